#!/bin/sh
# tests/failures-doc.sh — docs/failures.md says, per row, the verified fix
# uctls prints (its last column), and says it right: one TAP test per row
# compares the column with the first fix of `uctls run --json' on the row's
# first scenario ("-" when that scenario passes or no fix is derived).
#
#   tests/failures-doc.sh             TAP (for make check)
#   tests/failures-doc.sh --doc [F]   rewrite the column in F (default
#                                     docs/failures.md) instead
#
# A row's scenario is the first failing `name' of its second column (else
# the first), under the
# family of its section (`## Family `tls`', ...; "Certificate upload":
# install).  Environment: UCTLS, top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
UCTLS=${UCTLS:-$top_srcdir/harness/uctls}
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found (reads the JSON reports)"; exit 0; }
doc=""
if [ "${1:-}" = "--doc" ]; then
	doc=${2:-$top_srcdir/docs/failures.md}
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-failures-doc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
"$UCTLS" run --json "$top_srcdir"/scenarios/*/*.xml >"$tmp/all.json" 2>"$tmp/err"
st=$?
if [ "$st" -ne 0 ]; then
	echo "1..1"
	echo "not ok 1 - the shipped scenarios run (exit $st)"
	sed 's/^/# /' "$tmp/err" | head -20
	exit 1
fi
python3 - "$tmp/all.json" "$top_srcdir/docs/failures.md" "$doc" <<'P'
import json, re, sys
fixes = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    fx = [x for x in d.get("fixes") or [] if x["verified"]]
    fixes[d["scenario"]] = fx[0]["fix"] if d.get("failure") and fx else "-"
src, doc = sys.argv[2], sys.argv[3]
out, n, bad, family = [], 0, 0, None
for line in open(src).read().split("\n"):
    m = re.match(r"## Family `([^`]+)`", line)
    if m:
        family = m.group(1)
    elif line.startswith("## Certificate upload"):
        family = "install"
    elif line.startswith("## "):
        family = None
    cols = line.split(" | ")
    if (family and line.startswith("| ") and "verified fix uctls prints" not in line
            and not line.startswith("| ---") and len(cols) >= 3):
        names = ["%s/%s" % (family, x) for x in re.findall(r"`([^`]+)`", cols[1])]
        names = [x for x in names if x in fixes]
        name = next((x for x in names if fixes[x] != "-"), names[0] if names else None)
        if name in fixes:
            want = fixes[name].replace("|", "\\|")
            have = cols[-1].rstrip(" |")
            n += 1
            if have == want:
                print("ok %d - %s: %s" % (n, name, want[:60]))
            else:
                bad = 1
                print("not ok %d - %s: docs/failures.md says %r, uctls prints %r" % (n, name, have, want))
            cols[-1] = want + " |"
            line = " | ".join(cols)
    out.append(line)
if doc:
    open(doc, "w").write("\n".join(out))
print("1..%d" % n)
sys.exit(1 if bad and not doc else 0)
P
