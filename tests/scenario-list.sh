#!/bin/sh
# tests/scenario-list.sh — scenarios/scenarios.am lists exactly the shipped
# scenario files (scenarios/**/*.xml), once each and sorted, so that
# `make check' runs, and `make dist' ships, every scenario there is.
#
# TAP output for Automake's tap-driver.  Environment: top_srcdir (default:
# the parent of this script's directory).

LC_ALL=C
export LC_ALL

if [ -z "$top_srcdir" ]; then
	top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
am="$top_srcdir/scenarios/scenarios.am"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scenario-list.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' 0

echo "1..5"
failed=0
n=0

# result STATUS DESCRIPTION: one TAP line, "ok" when STATUS is 0.
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

# diag FILE: prints FILE's lines as TAP diagnostics.
diag() {
	sed 's/^/# /' "$1"
}

# 1. The list file exists and defines SCENARIO_FILES.
if [ -r "$am" ] && grep -q '^SCENARIO_FILES[ 	]*=' "$am"; then
	result 0 "scenarios/scenarios.am defines SCENARIO_FILES"
else
	result 1 "scenarios/scenarios.am defines SCENARIO_FILES"
	echo "# cannot read $am, or it has no SCENARIO_FILES ="
	for _ in 2 3 4 5; do
		n=$((n + 1))
		echo "not ok $n - not checked: no usable scenarios.am"
	done
	exit 1
fi

# The listed paths in file order: every word of the SCENARIO_FILES
# assignment and its continuation lines, without the backslashes.
awk '
	/^SCENARIO_FILES[ \t]*=/ { on = 1; sub(/^SCENARIO_FILES[ \t]*=/, "") }
	on {
		cont = ($0 ~ /\\[ \t]*$/)
		sub(/\\[ \t]*$/, "")
		for (i = 1; i <= NF; i++) print $i
		if (!cont) on = 0
	}
' "$am" >"$tmp/listed"
sort "$tmp/listed" >"$tmp/listed.sorted"
sort -u "$tmp/listed" >"$tmp/listed.uniq"

# On disk: every .xml under scenarios/, relative to the top.
(cd "$top_srcdir" && find scenarios -type f -name '*.xml') | sort >"$tmp/disk"

# 2. Every scenario file on disk is listed.
comm -23 "$tmp/disk" "$tmp/listed.uniq" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	result 1 "every scenarios/**/*.xml is listed in scenarios.am"
	echo "# not listed in scenarios/scenarios.am:"
	diag "$tmp/missing"
else
	result 0 "every scenarios/**/*.xml is listed in scenarios.am ($(wc -l <"$tmp/disk") files)"
fi

# 3. Every listed path exists.
comm -13 "$tmp/disk" "$tmp/listed.uniq" >"$tmp/stale"
if [ -s "$tmp/stale" ]; then
	result 1 "every path listed in scenarios.am exists"
	echo "# listed but not found under $top_srcdir:"
	diag "$tmp/stale"
else
	result 0 "every path listed in scenarios.am exists"
fi

# 4. No path is listed twice.
uniq -d "$tmp/listed.sorted" >"$tmp/dup"
if [ -s "$tmp/dup" ]; then
	result 1 "no path is listed twice"
	echo "# listed more than once:"
	diag "$tmp/dup"
else
	result 0 "no path is listed twice"
fi

# 5. The list is sorted (C locale), so that additions merge cleanly.
if cmp -s "$tmp/listed" "$tmp/listed.sorted"; then
	result 0 "scenarios.am is sorted"
else
	result 1 "scenarios.am is sorted"
	awk 'NR > 1 && $0 < prev { print "# out of order: " $0 " after " prev; exit }
	     { prev = $0 }' "$tmp/listed"
fi

exit $failed
