#!/bin/sh
# tests/mutant-kills.sh — behaviour that a scenario's <expect> cannot see,
# asserted from the JSON report.  Each test kills a mutant of
# tests/mutation/mutants.txt (named in brackets) that survived the rest of
# `make check' (docs/fuzzing.md, "Mutation testing").  TAP.
# env: UCTLS, top_srcdir.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found (reads the JSON reports)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-mutant-kills.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
sc=$top_srcdir/scenarios

# check DESCRIPTION SCENARIO PYTHON: runs SCENARIO with --json (it must
# match its <expect>), then PYTHON with `r' the report and `step(NAME,
# SIDE)' its record of a step; an AssertionError fails the test.
check() {
	n=$((n + 1))
	if ! "$UCTLS" run --json "$2" >"$tmp/r.json" 2>"$tmp/err"; then
		fail=1
		echo "not ok $n - $1: the scenario does not match its <expect>"
		sed 's/^/# /' "$tmp/err" | head -10
		return
	fi
	if python3 - "$tmp/r.json" "$3" >"$tmp/py" 2>&1 <<'P'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
def step(name, side):
    for s in r["steps"]:
        if s["step"] == name and s["side"] == side:
            return s
    raise AssertionError("no record of %s on %s" % (name, side))
exec(sys.argv[2])
P
	then
		echo "ok $n - $1"
	else
		fail=1
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/py" | tail -5
	fi
}

# [sip-ack-not-awaited] RFC 3261 13.3.1.4: the UAS retransmits its 2xx to
# INVITE until the ACK arrives; the server's step ends with the ACK.
check "sip-trunk: the server of an INVITE answered 200 waits for the ACK (RFC 3261 13.3.1.4)" \
	"$sc/sip-trunk/invite-488-ok.xml" \
	'd = step("sip-request", "B").get("detail") or ""
assert "ACK received" in d, d'

# [engine-scenario-timeout] the scenario's timeout= (300 ms) bounds the
# wait, not the 5 s default; the detail says how long the side waited.
check "the scenario's timeout=\"300\" bounds the wait for the SIP answer" \
	"$sc/sip-trunk/sip-timeout.xml" \
	'import re
d = r["failure"]["detail"]
m = re.search(r"waited (\d+) ms", d)
assert m and 300 <= int(m.group(1)) < 2500, d'

# [verify-depth-off-by-one] a verify depth of 1 accepts one intermediate CA
# and refuses two (OpenSSL's -verify_depth; uctls(1) max-depth=).  Not a
# shipped scenario: no fix of the kind uctls derives (it says "send a
# shorter chain, or raise the device's verify depth").
cat >"$tmp/depth.xml" <<'X'
<scenario name="mutant-kills/verify-depth" family="tls">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Example Root CA,O=Example"/>
    <ca id="int1" issuer="root" subject="CN=Example Policy CA,O=Example"/>
    <ca id="int2" issuer="int1" subject="CN=Example Issuing CA,O=Example"/>
    <cert id="srv" issuer="int2" subject="CN=srv.example.com" san="DNS:srv.example.com"/>
    <cert id="cli" issuer="int2" subject="CN=cli.example.com" san="DNS:cli.example.com"/>
  </pki>
  <peer id="client" role="client" sends="cli int2 int1" trusts="root" verify-name="srv.example.com" max-depth="@DEPTH@"/>
  <peer id="server" role="server" sends="srv int2 int1" trusts="root" verify-name="cli.example.com"/>
  @EXPECT@
</scenario>
X
sed 's/@DEPTH@/1/; s|@EXPECT@|<expect fail-at="tls-handshake" side="client" reason="path-length" other="alert:bad-certificate"/>|' \
	"$tmp/depth.xml" >"$tmp/depth1.xml"
sed 's/@DEPTH@/2/; s|@EXPECT@|<expect result="pass"/>|' "$tmp/depth.xml" >"$tmp/depth2.xml"
check "max-depth=\"1\": two intermediate CAs are one too many (path-length)" "$tmp/depth1.xml" \
	'assert "2 intermediate" in r["failure"]["detail"], r["failure"]["detail"]'
check "max-depth=\"2\": two intermediate CAs are accepted" "$tmp/depth2.xml" 'assert r["failure"] is None'

echo "1..$n"
exit $fail
