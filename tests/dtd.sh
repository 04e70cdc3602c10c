#!/bin/sh
# TAP test: every shipped scenario (scenarios/**/*.xml) is valid against
# scenarios/uctls-scenario.dtd, and the DTD is strict enough to reject a
# document with an unknown element.
# Environment (set by the Makefile): XMLLINT (empty: not found); top_srcdir.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

if [ -z "$XMLLINT" ]; then
	echo "1..0 # SKIP xmllint not found"
	exit 0
fi

dtd=$top_srcdir/scenarios/uctls-scenario.dtd
list=$(mktemp "${TMPDIR:-/tmp}/uctls-dtd.XXXXXX") || exit 99
out=$(mktemp "${TMPDIR:-/tmp}/uctls-dtd.XXXXXX") || exit 99
trap 'rm -f "$list" "$out"' EXIT HUP INT TERM

find "$top_srcdir/scenarios" -name '*.xml' -type f | LC_ALL=C sort >"$list"
count=$(wc -l <"$list")
echo "1..$((count + 1))"

# --path: a scenario's <!DOCTYPE scenario SYSTEM "uctls-scenario.dtd">
# resolves to the DTD beside the folders; --nonet: never fetch anything.
validate() {
	"$XMLLINT" --noout --nonet --path "$top_srcdir/scenarios" \
		--dtdvalid "$dtd" "$1" >"$out" 2>&1
}

n=1
if validate "$top_srcdir/tests/bad/unknown-element.xml"; then
	echo "not ok $n - the DTD rejects tests/bad/unknown-element.xml"
else
	echo "ok $n - the DTD rejects tests/bad/unknown-element.xml"
fi

while IFS= read -r f; do
	n=$((n + 1))
	name=${f#"$top_srcdir"/}
	if validate "$f"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$out"
	fi
done <"$list"
exit 0
