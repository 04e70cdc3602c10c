#!/bin/bash
# tests/html.sh — `uctls run --html FILE' (uctls(1), src/html.h): the run as
# one self-contained page, rendered by headless Chromium.  TAP.  env: UCTLS,
# top_srcdir.
#   1. a run of two failing scenarios, a passing one and a missing file: the
#      run's exit status (2: the input error), the page written;
#   2. self-contained: no script, no stylesheet link, no external URL;
#   3. Chromium's DOM of the page: the summary table has a row per scenario
#      (with verdict, step, side, reason), a section per scenario run;
#   4. ... the missing intermediate is a dashed "missing link" box in E's
#      chain, the EKU failure is I's end-entity certificate box in red;
#   5. ... each ladder is an SVG with the failure marks ("C fails here");
#   6. Chromium renders a screenshot of the page (a PNG of some size);
#   7. --html through a symbolic link is refused (exit 2), the target intact.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
chrome=
for c in chromium chromium-browser google-chrome; do
	command -v "$c" >/dev/null 2>&1 && { chrome=$c; break; }
done
[ -n "$chrome" ] || { echo "1..0 # SKIP chromium not found (Debian package chromium)"; exit 0; }
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found (reads the page)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-html.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp" # Chromium's profile: a fresh one, removed with tmp
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }
S=$top_srcdir/scenarios
# Headless Chromium on the page, bounded: --dump-dom or --screenshot=FILE.
browse() {
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$tmp/profile" --window-size=1200,2400 "$@" 2>>"$tmp/chrome.err"
}

echo "1..7"
"$UCTLS" run --no-fixes --html "$tmp/r.html" "$S/traversal/intermediate-not-sent.xml" \
	"$S/xmpp-s2s/ejabberd-r-eku-sasl-failure.xml" "$S/traversal/expired-ok.xml" \
	"$tmp/missing.xml" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && [ -s "$tmp/r.html" ] && ok "a run with an input error: exit 2, the page written" ||
	nok "exit $st" "$(cat "$tmp/err")"

ext=$(grep -Eio '<script|<link|(src|href)="[a-z]+:|url\([^#]' "$tmp/r.html" | sort -u)
[ -z "$ext" ] && ok "self-contained: no script, no link, no external URL" || nok "external: $ext"

browse --dump-dom "file://$tmp/r.html" >"$tmp/dom.html"
if python3 - "$tmp/dom.html" <<'P'
import re, sys
dom = open(sys.argv[1]).read()
rows = re.findall(r"<tr class=\"(ok|mis)\">(.*?)</tr>", dom, re.S)
cells = [re.sub(r"<[^>]+>", "", r[1].replace("</td><td", "</td>|<td")).split("|") for r in rows]
want = [["traversal", "traversal/intermediate-not-sent", "match", "fail", "tls-handshake", "C",
         "issuer-not-found"],
        ["xmpp-s2s", "xmpp-s2s/ejabberd-r-eku-sasl-failure", "match", "fail", "s2s-auth", "R",
         "eku-client-auth-missing"],
        ["traversal", "traversal/expired-ok", "match", "pass", "", "", ""]]
assert cells[:3] == want, cells
assert cells[3][0] == "input" and cells[3][2] == "ERROR" and "missing.xml" in cells[3][1], cells[3]
assert len(re.findall(r"<section id=", dom)) == 3, "sections"
P
then ok "Chromium's DOM: a summary row per scenario (verdict, step, side, reason), a section per run"
else nok "summary table"; fi

if python3 - "$tmp/dom.html" <<'P'
import re, sys
dom = open(sys.argv[1]).read()
s1 = dom.split('<section id="s1">')[1].split("</section>")[0]
e_row = s1.split(">E sends<")[1].split(">E trusts<")[0]
assert 'class="missing"' in e_row and "issuer-not-found" in e_row, e_row
assert 'class="missing"' not in s1.split(">E sends<")[0], "missing link only in E's chain"
s2 = dom.split('<section id="s2">')[1].split("</section>")[0]
i_row = s2.split(">I sends<")[1].split(">I trusts<")[0]
assert 'class="boxbad"' in i_row and "eku-client-auth-missing" in i_row, i_row
P
then ok "... the missing intermediate marked in E's chain, the EKU failure on I's own certificate"
else nok "chain marks"; fi

if python3 - "$tmp/dom.html" <<'P'
import re, sys
dom = open(sys.argv[1]).read()
s1 = dom.split('<section id="s1">')[1].split("</section>")[0]
svgs = re.findall(r'<svg[^>]*class="ladder".*?</svg>', s1, re.S)
assert len(svgs) == 1, len(svgs)
t = re.sub(r"<[^>]+>", " ", svgs[0])
for w in ("ClientHello", "CertificateVerify", "Alert fatal unknown-ca", "C fails here",
          "E fails here", "C fails tls-handshake: issuer-not-found"):
    assert w in t, w
s3 = dom.split('<section id="s3">')[1].split("</section>")[0]
assert len(re.findall(r'class="ladder"', s3)) == 3 and "fails" not in s3, "passing traversal"
P
then ok "... each connection a ladder SVG, the failure marked; a passing run's three, unmarked"
else nok "ladders"; fi

browse --screenshot="$tmp/r.png" "file://$tmp/r.html" >/dev/null
if [ -s "$tmp/r.png" ] && [ "$(head -c 8 "$tmp/r.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
	[ "$(wc -c <"$tmp/r.png")" -gt 20000 ]; then
	ok "Chromium renders a screenshot ($(wc -c <"$tmp/r.png") bytes of PNG)"
else nok "no screenshot" "$(tail -5 "$tmp/chrome.err")"; fi

echo keep >"$tmp/target"
ln -s "$tmp/target" "$tmp/link.html"
"$UCTLS" run --no-fixes --html "$tmp/link.html" "$S/tls/expired.xml" >/dev/null 2>"$tmp/l.err"
st=$?
[ $st -eq 2 ] && [ "$(cat "$tmp/target")" = keep ] && ok "--html through a symbolic link: refused, exit 2" ||
	nok "symlink: exit $st" "$(cat "$tmp/l.err")"
exit $fail
