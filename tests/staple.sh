#!/bin/sh
# tests/staple.sh — client-side OCSP stapling and the revocation behaviour of
# real products as profile data (docs/profiles.md, "Revocation").  TAP.
#   1. tls/client-stapled-revoked: the server fails the client at
#      tls-handshake with `revoked', "according to the stapled OCSP
#      response" (its only source is the staple: the verdict can come from
#      nothing else), and its twin passes;
#   2. the capture of that run, decrypted by tshark (an independent TLS
#      dissector): the server's CertificateRequest carries status_request,
#      and the client's Certificate (TLS 1.3) carries status_request with an
#      OCSP response whose certStatus is revoked;
#   3. the same scenario with staple="no": the server passes the client,
#      saying "not checked: client stapled no OCSP response";
#   4. tls/client-stapled-tls12: the run passes, the server says "not
#      checked: TLS 1.2 has no client certificate status", and the capture
#      holds no status_request in the client's Certificate;
#   5. tls/client-stapled-good: passes, and nothing is said not checked;
#   6. per product (prosody, kamailio, cucm, openssl): the shipped
#      *-revoked-accepted scenario passes with "revocation: not checked:
#      PRODUCT does not check revocation" on the verifying side; the same
#      scenario with that side's revocation= switched on fails there with
#      `revoked' (the note is the profile's data, not a lost check; Prosody
#      at s2s-auth, with s2s_secure_auth);
#   7. revocation="none" on the Prosody side: no note (the scenario's own
#      choice is not the product's behaviour);
#   8. `uctls profiles --dump': the four rev-unchecked sentences and gnutls
#      rev-staple=yes.
# tshark missing: cases 2 and 4's capture half `# SKIP'.  env: UCTLS,
# top_srcdir.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${UCTLS:=${top_builddir:-$top_srcdir}/harness/uctls}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-staple.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
sc=$top_srcdir/scenarios
have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1

# run FILE: the JSON report in $tmp/r, the exit status in $st
run() {
	"$UCTLS" run --json --no-fixes "$@" >"$tmp/r" 2>&1
	st=$?
}
# has TEXT: the report holds TEXT (fixed string)
has() { grep -qF -- "$1" "$tmp/r"; }

# 1
run --pcap "$tmp/revoked.pcapng" "$sc/tls/client-stapled-revoked.xml"
if [ "$st" -eq 0 ] && has '"step":"tls-handshake","side":"server","status":"fail","reason":"revoked"' &&
	has 'according to the stapled OCSP response'; then
	ok "client-stapled-revoked: the server finds the client revoked by its stapled answer"
else
	nok "client-stapled-revoked: the server finds the client revoked by its stapled answer (exit $st)"
	sed 's/^/# /' "$tmp/r" | head -5
fi
run "$sc/tls/client-stapled-revoked-ok.xml"
if [ "$st" -eq 0 ] && has '"result":"pass"'; then
	ok "client-stapled-revoked-ok: a good stapled answer, the handshake completes"
else
	nok "client-stapled-revoked-ok: a good stapled answer, the handshake completes (exit $st)"
fi

# 2
if [ "$have_tshark" -eq 0 ]; then
	skip "tshark not found (the capture is not dissected)"
else
	srv=$(tshark -r "$tmp/revoked.pcapng" -Y 'tls.handshake.type == 13 && tls.handshake.extension.type == 5' \
		-T fields -e tcp.srcport 2>/dev/null | head -1)
	cli=$(tshark -r "$tmp/revoked.pcapng" -Y 'tls.handshake.type == 11 && tls.handshake.extension.type == 5' \
		-T fields -e tcp.srcport -e ocsp.certStatus 2>/dev/null | head -1)
	if [ -n "$srv" ] && [ -n "$cli" ] && [ "${cli%%	*}" != "$srv" ] && [ "${cli#*	}" = 1 ]; then
		ok "tshark: CertificateRequest from port $srv asks status_request; the client's Certificate staples certStatus revoked"
	else
		nok "tshark: CertificateRequest asks status_request and the client's Certificate staples (got '$srv' '$cli')"
	fi
fi

# 3
sed 's/ staple="yes"/ staple="no"/;s#<expect [^>]*/>#<expect result="pass"/>#' \
	"$sc/tls/client-stapled-revoked.xml" >"$tmp/nostaple.xml"
run "$tmp/nostaple.xml"
if [ "$st" -eq 0 ] && has '"result":"pass"' &&
	has 'revocation: not checked: client stapled no OCSP response'; then
	ok "no staple: the server passes the client and says it stapled nothing"
else
	nok "no staple: the server passes the client and says it stapled nothing (exit $st)"
	sed 's/^/# /' "$tmp/r" | head -5
fi

# 4
run --pcap "$tmp/tls12.pcapng" "$sc/tls/client-stapled-tls12.xml"
if [ "$st" -eq 0 ] && has '"result":"pass"' &&
	has 'revocation: not checked: TLS 1.2 has no client certificate status'; then
	ok "client-stapled-tls12: passes, saying TLS 1.2 has no client certificate status"
else
	nok "client-stapled-tls12: passes, saying TLS 1.2 has no client certificate status (exit $st)"
	sed 's/^/# /' "$tmp/r" | head -5
fi
if [ "$have_tshark" -eq 0 ]; then
	skip "tshark not found (the TLS 1.2 capture is not dissected)"
else
	v=$(tshark -r "$tmp/tls12.pcapng" -Y 'tls.handshake.type == 11' -T fields \
		-e tls.handshake.version -e tls.record.version 2>/dev/null | head -1)
	k=$(tshark -r "$tmp/tls12.pcapng" -Y 'tls.handshake.type == 22 || (tls.handshake.type == 11 && tls.handshake.extension.type == 5)' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	cr=$(tshark -r "$tmp/tls12.pcapng" -Y 'tls.handshake.type == 13' -T fields -e frame.number 2>/dev/null | wc -l)
	if [ "$cr" -ge 1 ] && [ "$k" -eq 0 ] && echo "$v" | grep -q 0x0303; then
		ok "tshark: TLS 1.2, a CertificateRequest, and no certificate status anywhere"
	else
		nok "tshark: TLS 1.2 capture (version '$v', CertificateRequest $cr, status messages $k)"
	fi
fi

# 5
run "$sc/tls/client-stapled-good.xml"
if [ "$st" -eq 0 ] && has '"result":"pass"' && ! has 'revocation: not checked'; then
	ok "client-stapled-good: passes, nothing said not checked"
else
	nok "client-stapled-good: passes, nothing said not checked (exit $st)"
	sed 's/^/# /' "$tmp/r" | head -5
fi

# 6: FILE SIDE SOURCE STEP EXTRA PRODUCT (SIDE is the verifying peer's id;
# STEP where it refuses once it checks; EXTRA another attribute it needs:
# Prosody refuses a bad certificate only with s2s_secure_auth, else it
# falls back to dialback)
while read -r f side src step extra product; do
	run "$sc/$f.xml"
	if [ "$st" -eq 0 ] && has '"result":"pass"' &&
		has "revocation: not checked: $product does not check revocation"; then
		ok "$f: $product accepts the revoked certificate, saying it did not check"
	else
		nok "$f: $product accepts the revoked certificate, saying it did not check (exit $st)"
		sed 's/^/# /' "$tmp/r" | head -5
	fi
	[ "$extra" = - ] && extra=
	sed "s#<peer id=\"$side\" #<peer id=\"$side\" revocation=\"$src\" $extra #;s#<expect [^>]*/>#<expect fail-at=\"$step\" side=\"$side\" reason=\"revoked\"/>#" \
		"$sc/$f.xml" >"$tmp/on.xml"
	run "$tmp/on.xml"
	if [ "$st" -eq 0 ] && has "\"step\":\"$step\",\"side\":\"$side\",\"status\":\"fail\",\"reason\":\"revoked\""; then
		ok "$f with revocation=\"$src\"${extra:+ $extra} on $side: revoked at $step"
	else
		nok "$f with revocation=\"$src\"${extra:+ $extra} on $side: revoked at $step (exit $st)"
		sed 's/^/# /' "$tmp/r" | head -5
	fi
done <<'EOF'
xmpp-s2s/prosody-revoked-accepted R crl s2s-auth secure-auth="yes" Prosody
sip-trunk/kamailio-revoked-accepted B crl tls-handshake - Kamailio
sip-trunk/cucm-revoked-accepted cucm ocsp tls-handshake - CUCM
tls/openssl-revoked-accepted client crl tls-handshake - OpenSSL
EOF

# 7
sed 's#<peer id="R" #<peer id="R" revocation="none" #' "$sc/xmpp-s2s/prosody-revoked-accepted.xml" >"$tmp/none.xml"
run "$tmp/none.xml"
if [ "$st" -eq 0 ] && [ "$(grep -o 'not checked: Prosody' "$tmp/r" | wc -l)" -eq 1 ]; then
	ok "revocation=\"none\" on R: only I (the profile's default) says Prosody did not check"
else
	nok "revocation=\"none\" on R: only I says Prosody did not check (exit $st)"
	sed 's/^/# /' "$tmp/r" | head -5
fi

# 8
"$UCTLS" profiles --dump >"$tmp/d" 2>&1
if grep -q '^prosody rev-unchecked=Prosody does not check revocation' "$tmp/d" &&
	grep -q '^kamailio rev-unchecked=Kamailio does not check revocation' "$tmp/d" &&
	grep -q '^cucm rev-unchecked=CUCM does not check revocation' "$tmp/d" &&
	grep -q '^openssl rev-unchecked=OpenSSL does not check revocation' "$tmp/d" &&
	grep -q '^gnutls rev-staple=yes' "$tmp/d" && grep -q '^generic rev-unchecked$' "$tmp/d"; then
	ok "profiles --dump: rev-unchecked of prosody, kamailio, cucm, openssl; gnutls rev-staple=yes"
else
	nok "profiles --dump: rev-unchecked and gnutls rev-staple"
	grep 'rev-unchecked\|gnutls rev-staple' "$tmp/d" | sed 's/^/# /'
fi

echo "1..$n"
exit $fail
