#!/bin/sh
# tests/warn.sh — expiry warnings on a passing run (src/warn.h; uctls(1)
# --warn-days, uctls-scenario(5) <expect warns=>).  TAP.  env: UCTLS,
# top_srcdir.
#   1. sip-trunk/cup-expiring-warning passes (exit 0) and the text report
#      warns on CUCM's side (A) naming the certificate, its days left and
#      notAfter, the 30-day window of profile cucm and the Certificate
#      Monitor; B's side (its peer's certificate a year away) does not;
#   2. --warn-days 10: the same certificate is outside the window, no
#      warning, so warns="expiring" does not match (exit 1, said why);
#   3. sip-trunk/cup-expiring-outside-window (45 days) passes with
#      warns="none"; --warn-days 60 brings the warning, and the mismatch;
#   4. xmpp-s2s/intermediate-expiring-warning: the issuing CA, not a leaf,
#      is warned about, by both servers;
#   5. TAP (13): a "# warning (tls-handshake on A): ..." line under "ok",
#      and its YAML block: severity warning, a warnings: list with side
#      and message, warns: expiring under expected:;
#   6. JUnit: a passing testcase with the warning in <system-out>; JSON:
#      the warning among the tls-handshake record's also;
#   7. a scenario far from expiry (tls/expired-ok) has no warning at all;
#   8. bad input: warns="soon" is FILE:LINE, exit 2; --warn-days 0 and
#      --warn-days x are usage errors, exit 2.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-warn.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for f in "$@"; do sed 's/^/# /' "$f"; done; }
S=$top_srcdir/scenarios
W=$S/sip-trunk/cup-expiring-warning.xml
O=$S/sip-trunk/cup-expiring-outside-window.xml
echo "1..8"

# 1.
"$UCTLS" run --no-fixes "$W" >"$tmp/t1" 2>&1; rc=$?
tr -s ' \n' '  ' <"$tmp/t1" >"$tmp/t1.flat"
if [ $rc -eq 0 ] &&
	grep -q "warning (tls-handshake on A): \`CN=cup.example.com' (cup) expires in 21 days (2026-06-22T12:00:00Z), within the 30-day expiry warning window of profile cucm: the Certificate Monitor" "$tmp/t1.flat" &&
	! grep -q "warning (tls-handshake on B)" "$tmp/t1.flat" &&
	grep -q "expect result=pass warns=expiring: MATCH" "$tmp/t1"; then
	ok "cup-expiring-warning passes with CUCM's warning: certificate, days left, notAfter, window, Certificate Monitor"
else nok "cup-expiring-warning: exit $rc, warning text" "$tmp/t1"; fi

# 2.
"$UCTLS" run --no-fixes --warn-days 10 "$W" >"$tmp/t2" 2>&1; rc=$?
if [ $rc -eq 1 ] && ! grep -q "warning (tls-handshake" "$tmp/t2" &&
	grep -q 'expected an expiry warning (warns="expiring"), got none' "$tmp/t2"; then
	ok "--warn-days 10: 21 days left is outside the window; warns=\"expiring\" does not match (exit 1)"
else nok "--warn-days 10: exit $rc" "$tmp/t2"; fi

# 3.
"$UCTLS" run --no-fixes "$O" >"$tmp/t3a" 2>&1; rc1=$?
"$UCTLS" run --no-fixes --warn-days 60 "$O" >"$tmp/t3b" 2>&1; rc2=$?
if [ $rc1 -eq 0 ] && ! grep -q "warning (tls-handshake" "$tmp/t3a" && [ $rc2 -eq 1 ] &&
	grep -q 'expected no warning (warns="none"), got: `CN=cup.example.com' "$tmp/t3b" &&
	grep -q "expires in 45 days" "$tmp/t3b"; then
	ok "45 days left: no warning in the 30-day window (warns=\"none\" matches); --warn-days 60 warns, mismatch"
else nok "outside-window: exit $rc1 / $rc2" "$tmp/t3a" "$tmp/t3b"; fi

# 4.
"$UCTLS" run --no-fixes "$S/xmpp-s2s/intermediate-expiring-warning.xml" >"$tmp/t4" 2>&1; rc=$?
tr -s ' \n' '  ' <"$tmp/t4" >"$tmp/t4.flat"
if [ $rc -eq 0 ] &&
	grep -q "warning (tls-handshake on I): \`CN=Example Issuing CA,O=Example' (int) expires in 12 days" "$tmp/t4.flat" &&
	grep -q "warning (tls-handshake on R): \`CN=Example Issuing CA,O=Example' (int) expires in 12 days" "$tmp/t4.flat" &&
	grep -q "window of profile cup-xmpp-s2s: the Certificate Monitor (Cisco Unified IM and Presence OS" "$tmp/t4.flat"; then
	ok "the expiring issuing CA is warned about by both servers, IM and Presence in its own words"
else nok "intermediate-expiring-warning: exit $rc" "$tmp/t4"; fi

# 5.
"$UCTLS" run --no-fixes --tap "$W" >"$tmp/t5a" 2>&1
cp "$tmp/t5a" "$tmp/t5b"
if grep -q '^ok 1 - sip-trunk/cup-expiring-warning' "$tmp/t5a" &&
	grep -q "^# warning (tls-handshake on A): \`CN=cup.example.com' (cup) expires in 21 days" "$tmp/t5a" &&
	grep -q '^  severity: "warning"' "$tmp/t5b" && grep -q '^  warnings:' "$tmp/t5b" &&
	grep -q '^    - side: "A"' "$tmp/t5b" && grep -q '^      message: ".*expires in 21 days' "$tmp/t5b" &&
	grep -q '^    warns: "expiring"' "$tmp/t5b"; then
	ok "TAP: a # warning line under ok; TAP13: severity warning, warnings: with side and message"
else nok "TAP / TAP13 warnings" "$tmp/t5a" "$tmp/t5b"; fi

# 6.
"$UCTLS" run --no-fixes --junit "$tmp/j.xml" "$W" >/dev/null 2>&1
"$UCTLS" run --no-fixes --json "$W" >"$tmp/t6.json" 2>&1
if grep -q '<system-out>warning (tls-handshake on A): `CN=cup.example.com' "$tmp/j.xml" &&
	! grep -q '<failure' "$tmp/j.xml" &&
	python3 - "$tmp/t6.json" <<'P'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
recs = [s for s in d["steps"] if s["step"] == "tls-handshake" and s["side"] == "A"]
assert recs and any(a.startswith("warning: `CN=cup.example.com'") for a in recs[0]["also"]), recs
P
then ok "JUnit: the passing testcase carries the warning in <system-out>; JSON: in the record's also"
else nok "JUnit / JSON warnings" "$tmp/j.xml" "$tmp/t6.json"; fi

# 7.
"$UCTLS" run --no-fixes --tap "$S/tls/expired-ok.xml" >"$tmp/t7" 2>&1; rc=$?
if [ $rc -eq 0 ] && ! grep -qi "warning" "$tmp/t7"; then
	ok "a certificate a year from expiry: no warning"
else nok "expired-ok: exit $rc" "$tmp/t7"; fi

# 8.
sed 's/warns="expiring"/warns="soon"/' "$W" >"$tmp/bad.xml"
"$UCTLS" run "$tmp/bad.xml" >"$tmp/t8" 2>&1; rc1=$?
"$UCTLS" run --warn-days 0 "$W" >"$tmp/t8b" 2>&1; rc2=$?
"$UCTLS" run --warn-days x "$W" >"$tmp/t8c" 2>&1; rc3=$?
if [ $rc1 -eq 2 ] && grep -q "bad.xml:[0-9]*: .*warns \`soon'; expected expiring" "$tmp/t8" &&
	[ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] && grep -q "warn-days takes a whole number" "$tmp/t8b"; then
	ok "warns=\"soon\" is FILE:LINE, exit 2; --warn-days 0 and x are usage errors, exit 2"
else nok "bad input: exit $rc1 / $rc2 / $rc3" "$tmp/t8" "$tmp/t8b" "$tmp/t8c"; fi
exit $fail
