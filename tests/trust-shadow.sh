#!/bin/sh
# tests/trust-shadow.sh — Expressway's trusted CA list keeps one self-signed
# certificate per CN (src/trust-shadow.h, profile trust-one-per-subject) and
# its MRA SSH tunnel accepts only some subject attributes (src/ssh-subject.h,
# profile ssh-subject-oids).  TAP.  env: UCTLS, top_srcdir.
#   1. https/mra-cucm-self-signed-same-cn fails at tls-handshake on expc with
#      self-signed, the detail naming `callmanager' as shadowing `tomcat'
#      and the hint the guide's advice (distinct CNs or CA-signed);
#   2. the same trust list in the other order (tomcat first) passes: the
#      first one is kept;
#   3. the same scenario with a profile without the field (generic) passes:
#      the rule is the profile's;
#   4. uctls check --trust with both certificates (uctls pki export): fails
#      with self-signed, the shadowing as the cause (detail and hint: which
#      certificate shadows which, distinct CNs; not "add it to the trusted
#      CA list", which it already is in); profile generic passes and says
#      nothing of it;
#   5. traversal/ssh-tunnel-ev-subject-oid fails at ssh-tunnel on C with
#      subject-oid-unsupported naming 1.3.6.1.4.1.6449.1.2.1.5.1; with C's
#      profile generic (no ssh-subject-oids) the tunnel passes;
#   6. a bad value of the new fields in a scenario's own <profile> is
#      FILE:LINE, exit 2.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-shadow.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for f in "$@"; do sed 's/^/# /' "$f" | head -30; done; }
S=$top_srcdir/scenarios
H=$S/https/mra-cucm-self-signed-same-cn.xml
T=$S/traversal/ssh-tunnel-ev-subject-oid.xml
echo "1..6"

# 1.
"$UCTLS" run --no-fixes "$H" >"$tmp/t1" 2>&1; rc=$?
tr -s ' \n' '  ' <"$tmp/t1" >"$tmp/t1.flat"
if [ $rc -eq 0 ] && grep -q "tls-handshake failed on expc: self-signed" "$tmp/t1.flat" &&
	grep -q "\`tomcat' is listed there, but \`callmanager', a self-signed certificate with the same CN earlier in the list, shadows it" "$tmp/t1.flat" &&
	grep -q "hint: a certificate with the same subject (CN=cucm1.example.com) earlier in the trust list shadows \`tomcat'; give the CallManager and tomcat certificates distinct CNs or use CA-signed certificates" "$tmp/t1.flat"; then
	ok "mra-cucm-self-signed-same-cn: self-signed, callmanager shadows tomcat, the guide's hint"
else nok "mra-cucm-self-signed-same-cn (exit $rc)" "$tmp/t1"; fi

# 2.
sed -e 's/trusts="root callmanager tomcat"/trusts="root tomcat callmanager"/' \
	-e 's|<expect [^>]*/>|<expect result="pass"/>|' "$H" >"$tmp/order.xml"
"$UCTLS" run --no-fixes "$tmp/order.xml" >"$tmp/t2" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "1 matched" "$tmp/t2" && ! grep -q shadows "$tmp/t2"; then
	ok "tomcat listed first: it is the one kept, the handshake passes"
else nok "tomcat listed first (exit $rc)" "$tmp/t2"; fi

# 3.
sed -e 's/profile="expressway-c-https"/profile="generic"/' \
	-e 's|<expect [^>]*/>|<expect result="pass"/>|' "$H" >"$tmp/generic.xml"
"$UCTLS" run --no-fixes "$tmp/generic.xml" >"$tmp/t3" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "1 matched" "$tmp/t3"; then
	ok "profile generic (no trust-one-per-subject) trusts both: passes"
else nok "profile generic (exit $rc)" "$tmp/t3"; fi

# 4.
"$UCTLS" pki export "$H" "$tmp/pki" >/dev/null 2>"$tmp/e4"
"$UCTLS" check --profile expressway-c-https --name cucm1.example.com \
	--trust "$tmp/pki/expc-trust.pem" "$tmp/pki/cucm-chain.pem" >"$tmp/t4" 2>&1; rc=$?
tr -s ' \n' '  ' <"$tmp/t4" >"$tmp/t4.flat"
"$UCTLS" check --profile generic --name cucm1.example.com \
	--trust "$tmp/pki/expc-trust.pem" "$tmp/pki/cucm-chain.pem" >"$tmp/t4g" 2>&1; rcg=$?
if [ $rc -eq 1 ] && grep -q "tls-handshake failed on device: self-signed" "$tmp/t4.flat" &&
	grep -q "the trust files hold .CN=cucm1.example.com,OU=UC,O=Example,L=Boston,ST=MA,C=US' (certificate 3), but certificate 2, a self-signed certificate with the same CN earlier in the list, shadows it: profile expressway-c-https trusts only the first" "$tmp/t4.flat" &&
	grep -q "hint: give the certificates distinct CNs" "$tmp/t4.flat" && ! grep -q "add .* to the device's trusted" "$tmp/t4.flat" &&
	[ $rcg -eq 0 ] && ! grep -q shadows "$tmp/t4g"; then
	ok "uctls check --trust: expressway-c-https says which certificate shadows which; generic passes"
else nok "uctls check --trust (exit $rc, generic $rcg)" "$tmp/t4" "$tmp/t4g" "$tmp/e4"; fi

# 5.
"$UCTLS" run --no-fixes "$T" >"$tmp/t5" 2>&1; rc=$?
tr -s ' \n' '  ' <"$tmp/t5" >"$tmp/t5.flat"
sed -e 's/<peer id="C" role="client"/<peer id="C" role="client" profile="generic"/' \
	-e 's|<expect [^>]*/>|<expect result="pass"/>|' "$T" >"$tmp/tg.xml"
"$UCTLS" run --no-fixes "$tmp/tg.xml" >"$tmp/t5g" 2>&1; rcg=$?
if [ $rc -eq 0 ] && grep -q "ssh-tunnel failed on C: subject-oid-unsupported" "$tmp/t5.flat" &&
	grep -q "E's certificate carries the subject attribute 1.3.6.1.4.1.6449.1.2.1.5.1, an OID openssl shows undecoded, which C's SSH tunnel does not accept" "$tmp/t5.flat" &&
	[ $rcg -eq 0 ] && grep -q "1 matched" "$tmp/t5g"; then
	ok "ssh-tunnel-ev-subject-oid: 1.3.6.1.4.1.6449.1.2.1.5.1 refused at ssh-tunnel; C with profile generic passes"
else nok "ssh-tunnel-ev-subject-oid (exit $rc, generic $rcg)" "$tmp/t5" "$tmp/t5g"; fi

# 6.
sed -e 's|<clock |<profile id="exp-x" base="expressway-c-https" trust-one-per-subject="maybe"/>\n  <clock |' "$H" |
	sed 's/profile="expressway-c-https"/profile="exp-x"/' >"$tmp/bad.xml"
"$UCTLS" run --no-fixes "$tmp/bad.xml" >"$tmp/t6" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q "bad.xml:[0-9][0-9]*:.*trust-one-per-subject" "$tmp/t6"; then
	ok "trust-one-per-subject=\"maybe\": FILE:LINE, exit 2"
else nok "a bad trust-one-per-subject (exit $rc)" "$tmp/t6"; fi
exit $fail
