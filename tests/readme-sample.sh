#!/bin/sh
# tests/readme-sample.sh — the sample output at the top of README.md is what
# uctls prints today.  TAP.  env: UCTLS, top_srcdir.
# The first fenced block of README.md holds commands ("$ uctls ARGS", run in
# top_srcdir with ARGS split on blanks) each followed by its output.  Each
# command is run; its stdout must equal the block's lines but for what
# changes from run to run (times "(N ms)" and 16-digit fingerprints), and
# its exit status must be 0.  When the report changes, the test fails until
# the block is pasted again from a real run.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-readme.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# The block, "$ " lines and output, without its fences.
awk '/^```/ { if (in_block) exit; in_block = 1; next } in_block' "$top_srcdir/README.md" \
	>"$tmp/block"
norm() { sed -e 's/([0-9][0-9.]* ms)/(T ms)/' -e 's/[0-9A-F]\{16\}/FINGERPRINT/g' "$@"; }
ncmd=$(grep -c '^\$ uctls ' "$tmp/block")
if [ "$ncmd" -eq 0 ]; then
	echo "1..1"
	echo "not ok 1 - README.md's first block holds no \`\$ uctls' command"
	exit 1
fi
echo "1..$ncmd"
n=0 fail=0
while [ $n -lt "$ncmd" ]; do
	n=$((n + 1))
	# Command N and the lines after it, up to the next command.
	awk -v n=$n '/^\$ uctls / { k++; if (k == n) { print > "/dev/stderr"; on = 1; next } on = 0 }
		on' "$tmp/block" >"$tmp/want" 2>"$tmp/cmd"
	args=$(sed 's/^\$ uctls //' "$tmp/cmd")
	# shellcheck disable=SC2086 # ARGS split on blanks, as the README shows them
	(cd "$top_srcdir" && "$UCTLS" $args) >"$tmp/got" 2>"$tmp/err"
	st=$?
	norm "$tmp/want" >"$tmp/want.n"
	norm "$tmp/got" >"$tmp/got.n"
	if [ $st -eq 0 ] && cmp -s "$tmp/want.n" "$tmp/got.n"; then
		echo "ok $n - README.md: \$ uctls $args"
	else
		fail=1
		echo "not ok $n - README.md: \$ uctls $args is stale (exit $st); paste a real run"
		diff -u "$tmp/want.n" "$tmp/got.n" | sed 's/^/# /' | head -40
		sed 's/^/# stderr: /' "$tmp/err" | head -5
	fi
done
exit $fail
