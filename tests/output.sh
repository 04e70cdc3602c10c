#!/bin/sh
# tests/output.sh — the reports of `uctls run' (uctls(1), REPORTS): the text
# report of a run of many, --output FORMAT=FILE, TAP version 13, `run DIR'
# and the progress counter.  TAP.  env: UCTLS, top_srcdir.
#   1. a run of several scenarios prints one line per scenario (match /
#      MISMATCH / ERROR, the name, what happened), the full report of the
#      mismatch only, and the summary; -v prints every full report; one
#      scenario alone gets its full report;
#   2. --output text=, json=, tap=, junit= with a mismatch in the run: the
#      exit status is the run's (1), the terminal gets the text, each file
#      its whole report (text: every full report and the summary; JSON: one
#      object per scenario; TAP 13; JUnit valid against tests/junit.xsd);
#      --tap on stdout is byte for byte the tap= file;
#   3. an input error: exit 2, the JSON error object and the ERROR line
#      with the loader's message in the text file;
#   4. --output refuses, before running anything: a symbolic link, a
#      FORMAT it does not know, the same FILE twice (exit 2, one line and
#      "see uctls run --help");
#   5. TAP 13: "TAP version 13", the plan, a YAML block under the test that
#      is not ok with step, side, reason, other, hint, expected and got,
#      valid YAML (PyYAML when installed, else a strict line check) even
#      for a name with quotes, backslashes, `#' and non-ASCII; and
#      Automake's tap-driver still reads the stream (one FAIL, one PASS);
#   6. run DIR: the regular *.xml files under DIR, recursively, sorted;
#      a symbolic link, a FIFO named *.xml and other files skipped; a DIR
#      without scenarios is an input error (exit 2);
#   7. the progress counter: on stderr when it is a terminal (a pty), and
#      the same stdout as without one; none when stderr is not a terminal.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found (reads the reports)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-output.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for f in "$@"; do sed 's/^/# /' "$f" | head -20; done; }
check() { # DESCRIPTION COMMAND... (a test of its exit status 0)
	desc=$1
	shift
	if "$@" >"$tmp/chk" 2>&1; then ok "$desc"; else nok "$desc" "$tmp/chk"; fi
}
# A text report without what changes from run to run: times, fingerprints.
norm() { sed -e 's/([0-9.]* ms)/(T ms)/' -e 's/[0-9A-F]\{16\}/FPR/g' "$1"; }
S=$top_srcdir/scenarios
exp=$S/tls/expired.xml
expok=$S/tls/expired-ok.xml
# A mismatch: the expired certificate expected to pass, under a name with
# what TAP, YAML and terminals treat specially.
sed -e 's|<expect [^>]*/>|<expect result="pass"/>|' \
	-e 's|name="tls/expired"|name="odd/\&quot;q\\ # \&#233; x"|' "$exp" >"$tmp/mis.xml"

# 1. The text report of a run of many.
"$UCTLS" run "$exp" "$tmp/mis.xml" "$expok" >"$tmp/t.out" 2>"$tmp/t.err"
st=$?
check "a run of three with a mismatch: exit 1 ($st), one line each, the mismatch in full" \
	python3 - "$tmp/t.out" "$st" <<'P'
import re, sys
out = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert sys.argv[2] == "1", sys.argv[2]
lines = [l for l in out if re.match(r"(match|MISMATCH|ERROR)  ", l)]
assert len(lines) == 3, lines
assert re.match(r"match +tls/expired +fails at tls-handshake on client: expired$", lines[0]), lines[0]
assert re.match(r'MISMATCH +odd/"q\\ # \u00e9 x +expected pass, got tls-handshake/client/expired$', lines[1]), lines[1]
assert re.match(r"match +tls/expired-ok +pass$", lines[2]), lines[2]
full = [l for l in out if l.startswith("scenario ")]
assert len(full) == 1 and "odd/" in full[0], full
assert out[-1] == "3 scenarios: 2 matched, 1 did not match, 0 input errors", out[-1]
P
"$UCTLS" run -v "$exp" "$expok" >"$tmp/v.out" 2>&1
c=$(grep -c '^scenario ' "$tmp/v.out")
l=$(grep -c '^match ' "$tmp/v.out")
[ "$c" -eq 2 ] && [ "$l" -eq 0 ] && ok "-v: every full report ($c), no one-line form" || nok "-v: $c full reports, $l lines" "$tmp/v.out"
"$UCTLS" run "$exp" >"$tmp/one.out" 2>&1
grep -q '^  expect fail-at=tls-handshake side=client reason=expired.*: MATCH$' "$tmp/one.out" &&
	ok "one scenario alone: its full report" || nok "one scenario alone" "$tmp/one.out"

# 2. --output, every format at once; the terminal gets the text.
"$UCTLS" run --output "json=$tmp/r.json" --output "tap=$tmp/r.tap" --output "text=$tmp/r.txt" \
	--output "junit=$tmp/r.xml" "$exp" "$tmp/mis.xml" "$expok" >"$tmp/o.out" 2>"$tmp/o.err"
st=$?
[ $st -eq 1 ] && ok "--output with a mismatch: exit 1, the run's status" || nok "--output: exit $st" "$tmp/o.err"
norm "$tmp/o.out" >"$tmp/o.norm"
norm "$tmp/t.out" >"$tmp/t.norm"
cmp -s "$tmp/o.norm" "$tmp/t.norm" && ok "... the terminal's report as without --output" ||
	nok "... the terminal's report differs" "$tmp/o.out"
check "... json=: one object per scenario, in order, the mismatch with its verified fix" \
	python3 - "$tmp/r.json" <<'P'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [o["matched"] for o in objs] == [True, False, True], objs
assert objs[1]["failure"]["reason"] == "expired" and objs[1]["fixes"][0]["verified"], objs[1]
P
check "... text=: every full report, then the summary" python3 - "$tmp/r.txt" <<'P'
import sys
t = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert sum(l.startswith("scenario ") for l in t) == 3, t
assert sum(l.endswith(": MATCH") for l in t) == 2 and sum(l.endswith(": MISMATCH") for l in t) == 1
assert t[-1] == "3 scenarios: 2 matched, 1 did not match, 0 input errors", t[-1]
P
if command -v xmllint >/dev/null 2>&1; then
	check "... junit=: valid JUnit XML (tests/junit.xsd)" \
		xmllint --noout --schema "$top_srcdir/tests/junit.xsd" "$tmp/r.xml"
else
	echo "ok $((n = n + 1)) # SKIP xmllint not found (libxml2-utils)"
fi
"$UCTLS" run --tap --output "tap=$tmp/r2.tap" "$exp" "$tmp/mis.xml" "$expok" >"$tmp/tap.out" 2>/dev/null
cmp -s "$tmp/tap.out" "$tmp/r2.tap" && cmp -s "$tmp/tap.out" "$tmp/r.tap" &&
	ok "... tap=: the same bytes as --tap on stdout" || nok "... tap= differs from --tap" "$tmp/r.tap"
"$UCTLS" run --output "json=$tmp/m.json" "$tmp/mis.xml" >/dev/null 2>&1
st=$?
[ $st -eq 1 ] && [ -s "$tmp/m.json" ] && ok "a file report of a failing run: exit 1, the file written" ||
	nok "failing run with --output: exit $st"

# 3. An input error.
"$UCTLS" run --output "json=$tmp/e.json" --output "text=$tmp/e.txt" "$expok" \
	"$top_srcdir/tests/bad/bad-date.xml" >"$tmp/e.out" 2>"$tmp/e.err"
st=$?
check "an input error: exit 2 ($st), the JSON error object, the ERROR line with the message" \
	python3 - "$tmp/e.json" "$tmp/e.txt" "$tmp/e.out" "$st" <<'P'
import json, sys
assert sys.argv[4] == "2", sys.argv[4]
objs = [json.loads(l) for l in open(sys.argv[1])]
assert objs[1]["file"].endswith("bad-date.xml") and "bad-date.xml:" in objs[1]["error"], objs
t = open(sys.argv[2]).read()
assert "\nERROR     " in t and "input error: " in t and "bad-date.xml:" in t.split("ERROR")[1], t
out = open(sys.argv[3]).read()
assert "input error (the message is on stderr)" in out, out
P

# 4. Refused before anything runs.
ln -s "$tmp/victim" "$tmp/link.json"
"$UCTLS" run --output "json=$tmp/link.json" "$expok" >"$tmp/l.out" 2>"$tmp/l.err"
st=$?
if [ $st -eq 2 ] && [ ! -e "$tmp/victim" ] && [ ! -s "$tmp/l.out" ]; then
	ok "--output through a symbolic link: exit 2 before running, nothing written"
else nok "--output through a symbolic link: exit $st" "$tmp/l.err"; fi
for bad in "xml=$tmp/x" "json=" "$tmp/noformat"; do
	"$UCTLS" run --output "$bad" "$expok" >/dev/null 2>"$tmp/b.err"
	st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$tmp/b.err")" -eq 2 ] &&
		[ "$(tail -n 1 "$tmp/b.err")" = "see uctls run --help" ]; then
		ok "--output $bad: exit 2, one line and see uctls run --help"
	else nok "--output $bad: exit $st" "$tmp/b.err"; fi
done
"$UCTLS" run --output "json=$tmp/same" --output "tap=$tmp/same" "$expok" >/dev/null 2>"$tmp/b.err"
st=$?
[ $st -eq 2 ] && grep -q 'given to two reports' "$tmp/b.err" && ok "one FILE for two reports: exit 2" ||
	nok "one FILE for two reports: exit $st" "$tmp/b.err"

# 5. TAP version 13.
check "TAP 13: version line, plan, a YAML block under the test that is not ok only" \
	python3 - "$tmp/r.tap" <<'P'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[0] == "TAP version 13" and lines[1] == "1..3", lines[:2]
tests = [i for i, l in enumerate(lines) if re.match(r"(not )?ok \d", l)]
assert [lines[i].split(" - ")[0] for i in tests] == ["ok 1", "not ok 2", "ok 3"], tests
blocks = [i for i, l in enumerate(lines) if l == "  ---"]
assert blocks == [tests[1] + 1], (blocks, tests)
assert "  ..." in lines[blocks[0]:tests[2]]
P
check "TAP 13: the YAML block is valid YAML with step, side, reason, other, hint, expected, got" \
	python3 - "$tmp/r.tap" <<'P'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = lines.index("  ---")
j = lines.index("  ...", i)
block = lines[i + 1:j]
try:
    import yaml
    d = yaml.safe_load("\n".join(l[2:] for l in block))
except ImportError:
    # A strict check of the subset uctls writes: "key: null" or
    # "key: "double-quoted"" at two or four spaces, "expected:"/"got:".
    q = r'"(?:[^"\\\x00-\x1f\x7f-\x9f]|\\["\\nt]|\\x[0-9A-F]{2}|\\u[0-9A-F]{4})*"'
    d, sub = {}, None
    for l in block:
        m = re.fullmatch(r"  (expected|got):", l)
        if m:
            sub = d[m.group(1)] = {}
            continue
        m = re.fullmatch(r"( {2}| {4})([a-z_]+): (null|%s)" % q, l)
        assert m, "not YAML uctls writes: %r" % l
        v = None if m.group(3) == "null" else eval(m.group(3))
        (sub if m.group(1) == "    " else d)[m.group(2)] = v
        if m.group(1) == "  ":
            sub = None
assert d["scenario"] == 'odd/"q\\ # \u00e9 x', d["scenario"]
assert (d["step"], d["side"], d["reason"]) == ("tls-handshake", "client", "expired"), d
assert d["other"] == "alert:certificate-expired" and d["hint"].startswith("renew"), d
assert d["expected"] == {"result": "pass"}, d["expected"]
assert d["got"]["result"] == "fail" and d["got"]["reason"] == "expired", d["got"]
assert d["message"] == "expected pass, got tls-handshake/client/expired", d["message"]
P
printf 'a\001b\302\205c\342\200\250d\377e' >"$tmp/nasty"
# The escaping itself, on the worst a string can hold: C0, NEL, LS, a
# byte that is not UTF-8 (uctls_yaml_string through an input error's
# message, which carries the file name).
cp "$top_srcdir/tests/bad/bad-date.xml" "$tmp/$(cat "$tmp/nasty").xml"
"$UCTLS" run --tap "$tmp/$(cat "$tmp/nasty").xml" >"$tmp/nasty.tap" 2>/dev/null
check "TAP 13: control characters, NEL, LS and a stray byte escaped" \
	python3 - "$tmp/nasty.tap" <<'P'
import sys
raw = open(sys.argv[1], "rb").read()
raw = raw[raw.index(b"\n  ---\n"):raw.index(b"\n  ...\n")]
for bad in (b"\x01", b"\xc2\x85", b"\xe2\x80\xa8", b"\xff"):
    assert bad not in raw, (bad, raw)
t = raw.decode("utf-8")
assert '\\x01b\\x85c\\u2028d\\uFFFDe.xml' in t, t
try:
    import yaml
except ImportError:
    sys.exit(0)
d = yaml.safe_load("\n".join(l[2:] for l in t.split("\n")[2:]))
assert d["file"].endswith("a\x01b\x85c\u2028d\ufffde.xml") and d["severity"] == "error", d
P
(cd "$tmp" && env AM_TAP_AWK="${AWK:-awk}" sh "$top_srcdir/build-aux/tap-driver.sh" --test-name x \
	--log-file x.log --trs-file x.trs --color-tests no --enable-hard-errors yes \
	--expect-failure no -- "$UCTLS" run --tap "$tmp/mis.xml" "$expok" >/dev/null 2>&1)
if [ "$(grep -c '^:test-result: FAIL' "$tmp/x.trs")" -eq 1 ] &&
	[ "$(grep -c '^:test-result: PASS' "$tmp/x.trs")" -eq 1 ] &&
	[ "$(grep -c '^:test-result: ERROR' "$tmp/x.trs")" -eq 1 ]; then
	ok "Automake's tap-driver reads TAP 13: one FAIL, one PASS (the ERROR is exit 1)"
else nok "tap-driver on TAP 13" "$tmp/x.trs" "$tmp/x.log"; fi

# 6. run DIR.
d=$tmp/dir
mkdir -p "$d/b/deep" "$d/a"
cp "$expok" "$d/b/deep/z.xml"
cp "$expok" "$d/b/a.xml"
cp "$exp" "$d/a/m.xml"
cp "$expok" "$d/top.xml"
echo "not a scenario" >"$d/a/notes.txt"
ln -s "$d/top.xml" "$d/link.xml"
ln -s "$d/b" "$d/a/linkdir"
mkfifo "$d/fifo.xml" 2>/dev/null || :
"$UCTLS" run --json "$d" >"$tmp/d.json" 2>"$tmp/d.err"
st=$?
check "run DIR: exit 0 ($st), the regular *.xml files under it, recursively, sorted" \
	python3 - "$tmp/d.json" "$d" "$st" <<'P'
import json, sys
d = sys.argv[2]
files = [json.loads(l)["file"] for l in open(sys.argv[1])]
want = [d + "/" + f for f in ("a/m.xml", "b/a.xml", "b/deep/z.xml", "top.xml")]
assert sys.argv[3] == "0" and files == want, (sys.argv[3], files)
P
"$UCTLS" run "$d/" "$expok" >"$tmp/d2.out" 2>&1
[ "$(grep -c '^match ' "$tmp/d2.out")" -eq 5 ] && grep -q "^match .*tls/expired-ok" "$tmp/d2.out" &&
	ok "run DIR/ FILE: the DIR's scenarios, then the FILE" || nok "run DIR/ FILE" "$tmp/d2.out"
mkdir "$tmp/empty"
"$UCTLS" run "$tmp/empty" >/dev/null 2>"$tmp/em.err"
st=$?
[ $st -eq 2 ] && grep -q 'no scenario file (\*.xml) under it' "$tmp/em.err" &&
	ok "run DIR without scenarios: exit 2, said" || nok "run DIR without scenarios: exit $st" "$tmp/em.err"

# 7. The progress counter.
"$UCTLS" run "$exp" "$expok" >"$tmp/p0.out" 2>"$tmp/p0.err"
if [ ! -s "$tmp/p0.err" ]; then ok "stderr not a terminal: no progress counter"
else nok "progress on a stderr that is not a terminal" "$tmp/p0.err"; fi
# stderr on a pseudo-terminal, stdout to a file (python3's pty module).
python3 - "$UCTLS" "$exp" "$expok" "$tmp/p1.out" "$tmp/p1.err" <<'P'
import os, pty, sys
prog, a, b, out, err = sys.argv[1:]
try:
    pid, fd = pty.fork()
except OSError:
    sys.exit(3)  # no pseudo-terminal here
if pid == 0:
    o = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(o, 1)
    os.execv(prog, [prog, "run", a, b])
data = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
os.waitpid(pid, 0)
open(err, "wb").write(data)
P
st=$?
if [ $st -eq 3 ]; then
	n=$((n + 1))
	echo "ok $n # SKIP no pseudo-terminal to give uctls a terminal stderr"
elif grep -q '\[1/2\] .*expired' "$tmp/p1.err" && grep -q '\[2/2\] ' "$tmp/p1.err" &&
	cmp -s "$tmp/p0.out" "$tmp/p1.out"; then
	ok "stderr a terminal: [1/2], [2/2] on it; stdout the same as without"
else nok "the progress counter on a terminal" "$tmp/p1.err" "$tmp/p1.out"; fi
echo "1..$n"
exit $fail
