#!/bin/sh
# The uctls command line: help, version, exit statuses, JSON and TAP shapes,
# key log, and a valgrind run.  TAP.  env: UCTLS, top_srcdir.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
t() { # DESCRIPTION EXPECTED-STATUS COMMAND...
	desc=$1
	want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	n=$((n + 1))
	if [ "$st" -eq "$want" ]; then
		echo "ok $n - $desc"
	else
		fail=1
		echo "not ok $n - $desc (exit $st, wanted $want)"
		sed 's/^/# /' "$tmp/err" | head -20
	fi
}
has() { # DESCRIPTION FILE PATTERN
	n=$((n + 1))
	if grep -q -- "$3" "$2"; then echo "ok $n - $1"; else
		fail=1
		echo "not ok $n - $1: no \`$3' in output"
		sed 's/^/# /' "$2" | head -20
	fi
}

cat >"$tmp/pass.xml" <<X
<scenario name="cli/pass" family="tls">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=CLI Root"/>
    <cert id="srv" issuer="root" subject="CN=srv.example.com" san="DNS:srv.example.com"/>
    <cert id="cli" issuer="root" subject="CN=cli.example.com" san="DNS:cli.example.com"/>
  </pki>
  <peer id="client" role="client" sends="cli" trusts="root" verify-name="srv.example.com"/>
  <peer id="server" role="server" sends="srv" trusts="root" verify-name="cli.example.com"/>
  <expect result="pass"/>
</scenario>
X
# The same scenario with an expectation the engine must refute.
sed -e 's|<expect result="pass"/>|<expect fail-at="tls-handshake" side="client" reason="expired"/>|' \
	-e 's|cli/pass|cli/wrong-expect|' "$tmp/pass.xml" >"$tmp/wrong.xml"

echo "1..40"
t "--help exits 0" 0 "$UCTLS" --help
has "--help lists run" "$tmp/out" "uctls run"
t "--version exits 0" 0 "$UCTLS" --version
t "no arguments is a usage error" 2 "$UCTLS"
t "unknown subcommand is a usage error" 2 "$UCTLS" frobnicate
t "run without a scenario is a usage error" 2 "$UCTLS" run
t "a bad --timeout is a usage error" 2 "$UCTLS" run --timeout abc "$tmp/pass.xml"
t "a missing scenario file is an input error" 2 "$UCTLS" run "$tmp/nonexistent.xml"
t "a matching scenario exits 0" 0 "$UCTLS" run "$tmp/pass.xml"
t "a scenario whose expectation is refuted exits 1" 1 "$UCTLS" run "$tmp/wrong.xml"
has "the mismatch is explained" "$tmp/out" "MISMATCH"
t "--json exits 0" 0 "$UCTLS" run --json "$tmp/pass.xml"
n=$((n + 1))
if command -v python3 >/dev/null 2>&1; then
	if python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["scenario"] == "cli/pass" and o["result"] == "pass" and o["matched"] is True
    assert [s["id"] for s in o["sides"]] == ["client", "server"]
    assert len(o["sides"][0]["sent"][0]["sha256"]) == 95
    assert {(s["step"], s["side"], s["status"]) for s in o["steps"]} >= {("tls-handshake", "client", "pass"), ("tls-handshake", "server", "pass")}
    assert o["tls"]["version"].startswith("TLS")
' "$tmp/out"; then echo "ok $n - JSON has the documented shape"; else fail=1; echo "not ok $n - JSON shape"; fi
else
	echo "ok $n # SKIP python3 not found"
fi
t "--tap exits 0" 0 "$UCTLS" run --tap "$tmp/pass.xml" "$tmp/pass.xml"
has "TAP plan counts the scenarios" "$tmp/out" "^1\.\.2$"
t "--keylog exits 0" 0 "$UCTLS" run --keylog "$tmp/keys" "$tmp/pass.xml"
has "--keylog writes NSS key log lines" "$tmp/keys" "^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]\{64\} "
# uctls check: no silent caps, no silent overrides.
t "check: pki export of the scenario" 0 "$UCTLS" pki export "$tmp/pass.xml" "$tmp/exp"
at="--at 2026-06-01T12:00:00Z"
t "check: --profile given twice is a usage error" 2 "$UCTLS" check --profile generic \
	--profile generic "$tmp/exp/srv.pem"
has "check: ... and says so" "$tmp/err" "--profile given twice"
for o in "--role server" "--at 2026-06-01T12:00:00Z" "--key $tmp/exp/srv.key" "--warn-days 10"; do
	# shellcheck disable=SC2086 # $o: option and value
	t "check: ${o%% *} given twice is a usage error" 2 "$UCTLS" check --profile generic \
		$o $o "$tmp/exp/srv.pem"
	has "check: ... and says so" "$tmp/err" "${o%% *} given twice"
done
t "check: --warn-days x is a usage error" 2 "$UCTLS" check --profile generic --warn-days x \
	"$tmp/exp/srv.pem"
t "check: --at takes a date alone (midnight UTC)" 0 "$UCTLS" check --profile generic \
	--at 2026-06-01 --trust "$tmp/exp/root.pem" --name srv.example.com "$tmp/exp/srv.pem"
t "check: --at 2026-02-30 (no such day) is a usage error" 2 "$UCTLS" check --profile generic \
	--at 2026-02-30 "$tmp/exp/srv.pem"
t "check: --at 2026-02-30T00:00:00Z is a usage error" 2 "$UCTLS" check --profile generic \
	--at 2026-02-30T00:00:00Z "$tmp/exp/srv.pem"
t "check: --at 2026-06-01T24:00:00Z is a usage error" 2 "$UCTLS" check --profile generic \
	--at 2026-06-01T24:00:00Z "$tmp/exp/srv.pem"
t "check: --csr-san with no SAN at all is a usage error" 2 "$UCTLS" check --profile generic \
	--csr-san ,,, "$tmp/exp/srv.pem"
t "check: --max-depth x is a usage error" 2 "$UCTLS" check --profile generic --max-depth x \
	"$tmp/exp/srv.pem"
many() { # OPTION VALUE COUNT: OPTION VALUE, COUNT times
	i=0
	while [ $i -lt "$3" ]; do printf '%s\n%s\n' "$1" "$2"; i=$((i + 1)); done
}
# shellcheck disable=SC2046 # one word per line
t "check: the 41st --name counts (40 names not in the certificate before it)" 0 \
	"$UCTLS" check --profile generic $at --trust "$tmp/exp/root.pem" \
	$(many --name other.example.com 40) --name srv.example.com "$tmp/exp/srv.pem"
# shellcheck disable=SC2046
t "check: the 41st --trust file counts (40 without the root before it)" 0 \
	"$UCTLS" check --profile generic $at $(many --trust "$tmp/exp/cli.pem" 40) \
	--trust "$tmp/exp/root.pem" --name srv.example.com "$tmp/exp/srv.pem"
t "check: every --csr-san item counts (the 41st missing from the certificate)" 1 \
	"$UCTLS" check --profile generic $at --trust "$tmp/exp/root.pem" \
	--csr-san "$(many DNS:srv.example.com "" 40 | tr -s '\n' ',')DNS:x41.example.com" \
	"$tmp/exp/srv.pem"
has "check: ... and the report names it" "$tmp/out" "x41.example.com"
n=$((n + 1))
if [ -n "${UCTLS_SANITIZERS:-}" ]; then
	# configure --enable-sanitizers: valgrind cannot run an ASan program
	echo "ok $n # SKIP valgrind: this build runs under ASan and LSan instead"
elif command -v valgrind >/dev/null 2>&1; then
	if valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$UCTLS" run "$tmp/pass.xml" "$tmp/wrong.xml" \
		"$top_srcdir/scenarios/traversal/ssh-tunnel-intermediate-c.xml" \
		"$top_srcdir/scenarios/xmpp-s2s/eku-client-auth-missing-dialback.xml" \
		"$top_srcdir/scenarios/sip-trunk/invite-488.xml" \
		>"$tmp/vg" 2>&1 || [ $? -eq 1 ]; then
		echo "ok $n - valgrind: no errors, no leaks on a run of every family"
	else
		fail=1
		echo "not ok $n - valgrind"
		sed 's/^/# /' "$tmp/vg" | head -40
	fi
else
	echo "ok $n # SKIP valgrind not found"
fi
exit $fail
