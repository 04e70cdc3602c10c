#!/bin/sh
# tests/junit.sh — `uctls run --junit FILE' (uctls(1)): the JUnit XML report
# CI servers read.  TAP.  env: UCTLS, top_srcdir.
#   1. a run of matching scenarios of two families: exit 0, one <testsuite>
#      per family, one <testcase> per scenario, no failure; the file is
#      valid against tests/junit.xsd (GitLab's and Jenkins's layout);
#   2. a scenario whose outcome does not match: exit 1 (the run's status,
#      whatever --junit writes), a <failure> whose text has the step, side,
#      reason, hint and verified fix;
#   3. an input error: exit 2, an <error> in the suite "input";
#   4. --junit through a symbolic link is refused (exit 2);
#   5. --output junit=FILE writes the same report as --junit (but for the
#      times).
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found (reads the report)"; exit 0; }
command -v xmllint >/dev/null 2>&1 || { echo "1..0 # SKIP xmllint not found (libxml2-utils: validates the report)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-junit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
S=$top_srcdir/scenarios

valid() { # LABEL FILE
	if xmllint --noout --schema "$top_srcdir/tests/junit.xsd" "$2" 2>"$tmp/xsd"; then ok "$1"
	else nok "$1" "$(cat "$tmp/xsd")"; fi
}

"$UCTLS" run --junit "$tmp/a.xml" "$S/tls/expired.xml" "$S/tls/expired-ok.xml" \
	"$S/traversal/expired.xml" >/dev/null 2>&1
st=$?
[ $st -eq 0 ] && ok "matching scenarios: exit 0" || nok "matching scenarios: exit $st"
valid "... the report is valid JUnit XML (tests/junit.xsd)" "$tmp/a.xml"
if python3 - "$tmp/a.xml" <<'P'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
suites = {s.get("name"): s for s in r.findall("testsuite")}
assert sorted(suites) == ["tls", "traversal"], suites
assert [c.get("name") for c in suites["tls"]] == ["tls/expired", "tls/expired-ok"]
assert r.get("tests") == "3" and r.get("failures") == "0", r.attrib
assert not r.findall(".//failure")
P
then ok "... one testsuite per family, one testcase per scenario, no failure"
else nok "... suites and cases"; fi

# A scenario that does not match its <expect>: the expired certificate
# expected to pass.
sed 's#<expect [^>]*/>#<expect result="pass"/>#' "$S/tls/expired.xml" >"$tmp/mismatch.xml"
"$UCTLS" run --junit "$tmp/b.xml" "$tmp/mismatch.xml" "$S/tls/expired-ok.xml" >/dev/null 2>&1
st=$?
[ $st -eq 1 ] && ok "a mismatch: exit 1, the run's status" || nok "a mismatch: exit $st"
valid "... valid JUnit XML" "$tmp/b.xml"
if python3 - "$tmp/b.xml" <<'P'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
f = r.findall(".//failure")
assert len(f) == 1 and r.get("failures") == "1", ET.tostring(r)
t = f[0].text
assert "tls-handshake failed on client: expired" in t, t
assert "hint:" in t and "verified fix: renew" in t, t
assert "expected pass" in f[0].get("message"), f[0].attrib
assert f[0].get("type") == "expired", f[0].attrib
P
then ok "... a failure with step, side, reason, hint and the verified fix"
else nok "... the failure's text"; fi

"$UCTLS" run --junit "$tmp/c.xml" "$S/tls/expired-ok.xml" "$top_srcdir/tests/bad/bad-date.xml" \
	>/dev/null 2>&1
st=$?
[ $st -eq 2 ] && ok "an input error: exit 2" || nok "an input error: exit $st"
valid "... valid JUnit XML" "$tmp/c.xml"
if python3 - "$tmp/c.xml" <<'P'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
e = r.findall("testsuite[@name='input']/testcase/error")
assert len(e) == 1 and "bad-date.xml" in e[0].get("message"), ET.tostring(r)
P
then ok "... an error in the suite input, with the loader's message"
else nok "... the input error"; fi

ln -s "$tmp/victim" "$tmp/link.xml"
"$UCTLS" run --junit "$tmp/link.xml" "$S/tls/expired-ok.xml" >/dev/null 2>"$tmp/err"
st=$?
if [ $st -eq 2 ] && [ ! -e "$tmp/victim" ]; then ok "--junit refuses a symbolic link (exit 2)"
else nok "--junit through a symbolic link: exit $st" "$(cat "$tmp/err")"; fi
"$UCTLS" run --junit "$tmp/d1.xml" --output "junit=$tmp/d2.xml" "$tmp/mismatch.xml" \
	"$S/tls/expired-ok.xml" >/dev/null 2>&1
st=$?
sed 's/time="[0-9.]*"//g' "$tmp/d1.xml" >"$tmp/d1.n"
sed 's/time="[0-9.]*"//g' "$tmp/d2.xml" >"$tmp/d2.n"
if [ $st -eq 1 ] && grep -q '<failure' "$tmp/d1.n" && cmp -s "$tmp/d1.n" "$tmp/d2.n"; then
	ok "--output junit=FILE: the same report as --junit (exit 1)"
else nok "--output junit= vs --junit: exit $st"; fi
echo "1..$n"
exit $fail
