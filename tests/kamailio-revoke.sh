#!/bin/bash
# A real Kamailio checks revocation exactly as far as uctls's kamailio
# profile says (docs/profiles.md, "Revocation"): with a CRL file in its
# tls.cfg (`crl =', which `uctls pki export --for kamailio' writes for a
# peer with revocation="crl") it refuses a client whose certificate is on
# the CRL; without one it accepts that revoked client.
#
# The scenario: Kamailio plays the UAS B (profile kamailio), uctls the UAC A
# with --remote B=127.0.0.1:PORT.  Cases, each compared with the simulated
# twin (the same scenario run without --remote):
#   1. B with revocation="crl", A's certificate revoked: A's records are
#      tls-handshake fail alert:certificate-revoked (the alert OpenSSL sends
#      for X509_V_ERR_CERT_REVOKED, the only place the cause shows: Kamailio
#      logs just "certificate verify failed"), as in the twin;
#   2. the same Kamailio, A's certificate not revoked: every step passes
#      (the CRL loaded does not refuse everything);
#   3. a second Kamailio from the export of the scenario without
#      revocation= (no crl in its tls.cfg) accepts the revoked A: the run
#      passes, as the twin does, and the twin's B says "not checked:
#      Kamailio does not check revocation unless its tls.cfg names a CRL
#      file".
# TAP.  env: UCTLS, top_srcdir.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
pl_python
pl_kamailio_modules tls sl textops tm pv
pl_start kamailio-revoke # $tmp, traps, UCTLS_KEY_CACHE, n, fail
kpid=
cleanup() {
	if [ -n "$kpid" ]; then
		kill "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
	fi
}

# scenario NAME A-CERT B-ATTRS EXPECT.  Kamailio with crl = checks every
# certificate of the path (tls_domain.c: X509_V_FLAG_CRL_CHECK_ALL), so the
# CRL file holds the root's CRL too: without it every client is refused
# with unknown_ca.  The clock is the real time: the
# real Kamailio judges the CRL's thisUpdate/nextUpdate (made relative to the
# scenario's clock) at its own time.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
scenario() {
	cat >"$tmp/$1.xml" <<X
<scenario name="kamailio-revoke/$1" family="sip-trunk">
  <summary>interop with Kamailio, revocation: $1</summary>
  <clock now="$now"/>
  <pki>
    <ca id="root" subject="CN=Interop Root"/>
    <ca id="int" issuer="root" subject="CN=Interop Issuing CA"/>
    <cert id="a" issuer="int" subject="CN=uac.example.com" san="DNS:uac.example.com" crl="http://pki.example.com/int.crl"/>
    <cert id="a-revoked" issuer="int" subject="CN=uac.example.com" san="DNS:uac.example.com" crl="http://pki.example.com/int.crl"/>
    <cert id="b" issuer="int" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com" crl="http://pki.example.com/int.crl"/>
    <crl id="root-crl" issuer="root" url="http://pki.example.com/root.crl"/>
    <crl id="int-crl" issuer="int" url="http://pki.example.com/int.crl" revoked="a-revoked"/>
  </pki>
  <peer id="A" role="client" sends="$2 int" trusts="root" verify-name="kamailio.example.com"/>
  <peer id="B" role="server" profile="kamailio" sends="b int" trusts="root" verify-name="uac.example.com" $3/>
  $4
</scenario>
X
}
scenario revoked a-revoked 'revocation="crl"' \
	'<expect fail-at="tls-handshake" side="B" reason="revoked" other="alert:certificate-revoked"/>'
scenario good a 'revocation="crl"' '<expect result="pass"/>'
scenario unchecked a-revoked '' '<expect result="pass"/>'

# start SCENARIO: export it for Kamailio and start Kamailio on a free port
# ($tport); the previous Kamailio is stopped first.
start() {
	local exp="$tmp/export-$1"
	cleanup
	kpid=
	if ! "$UCTLS" pki export --for kamailio "$tmp/$1.xml" "$exp" >"$tmp/export.out" 2>&1; then
		echo "Bail out! uctls pki export --for kamailio $1 failed: $(head -c 300 "$tmp/export.out" | tr '\n' ' ')"
		exit 1
	fi
	read -r tport uport < <(pl_free_port tcp udp)
	klog="$tmp/kamailio-$1.log"
	mkdir -p "$tmp/run-$1"
	kamailio -DD -E -f "$exp/kamailio.cfg" -A "TLS_PORT=$tport" -A "UDP_PORT=$uport" \
		-Y "$tmp/run-$1" -P "$tmp/run-$1/kamailio.pid" -m 32 -M 4 >"$klog" 2>&1 &
	kpid=$!
	if ! pl_wait_log "$klog" "uctls-peer: kamailio ready" 20 >/dev/null; then
		echo "Bail out! kamailio did not start ($1)"
		grep -v INFO "$klog" | tail -20 | sed 's/^/# /'
		exit 1
	fi
}

# case NAME DESCRIPTION A-WANT LOG-PATTERN [SIM-PYTHON]: uctls plays A
# against the running Kamailio; A's records must be A-WANT and the twin's.
case_() {
	local name=$1 desc=$2 want=$3 pat=$4 simpy=${5:-True} out rc
	n=$((n + 1))
	"$UCTLS" run --json --no-fixes "$tmp/$name.xml" >"$tmp/$name.sim" 2>"$tmp/$name.simerr"
	"$UCTLS" run --json --no-fixes --timeout 5000 --remote "B=127.0.0.1:$tport" "$tmp/$name.xml" \
		>"$tmp/$name.real" 2>"$tmp/$name.err"
	rc=$?
	out=$("$py" - "$tmp/$name.real" "$tmp/$name.sim" "$want" "$simpy" 2>&1 <<'P'
import json, sys
real = json.loads(open(sys.argv[1]).readline())
sim = json.loads(open(sys.argv[2]).readline())
want = sys.argv[3].split(",")
def recs(o, sd):
    return ["%s:%s:%s" % (s["step"], s["status"], s["reason"] or "-")
            for s in o["steps"] if s["side"] == sd and s["status"] != "unobserved"]
errs = []
if sorted(recs(real, "A")) != sorted(want):
    errs.append("A recorded %s, expected %s" % (recs(real, "A"), want))
if sorted(recs(real, "A")) != sorted(recs(sim, "A")):
    errs.append("A: real %s, simulated twin %s" % (recs(real, "A"), recs(sim, "A")))
if not real["matched"]:
    errs.append("did not match its expectation: %s" % real["why"])
if not eval(sys.argv[4], {"sim": sim, "real": real}):
    errs.append("the twin's report: %s does not hold" % sys.argv[4])
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
)
	local bad=$?
	[ "$rc" -eq 0 ] || { bad=1; out="uctls exited $rc${out:+
$out}"; }
	if [ -n "$pat" ] && ! pl_wait_log "$klog" "$pat" 5 >/dev/null; then
		bad=1
		out="Kamailio's log has no line matching /$pat/${out:+
$out}"
	fi
	if [ $bad -eq 0 ]; then
		echo "ok $n - $name: $desc"
	else
		fail=1
		echo "not ok $n - $name: $desc"
		printf '%s\n' "$out" | sed 's/^/# /'
		grep -v INFO "$klog" | tail -8 | sed 's/^/# kamailio: /'
	fi
}

echo "1..3"
start revoked
case_ revoked "Kamailio with crl = refuses the revoked client: certificate_revoked" \
	"tcp-connect:pass:-,tls-handshake:fail:alert:certificate-revoked,sip-request:not-reached:-" \
	"certificate verify failed" \
	'any(s["side"] == "B" and s["reason"] == "revoked" for s in sim["steps"])'
case_ good "the same Kamailio accepts a client not on the CRL" \
	"tcp-connect:pass:-,tls-handshake:pass:-,sip-request:pass:-" ""
start unchecked
case_ unchecked "Kamailio without crl = accepts the revoked client, as the profile says" \
	"tcp-connect:pass:-,tls-handshake:pass:-,sip-request:pass:-" "" \
	'any("not checked: Kamailio does not check revocation" in a for s in sim["steps"] if s["side"] == "B" for a in s["also"])'
exit $fail
