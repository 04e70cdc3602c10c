#!/bin/sh
# TAP test: every malformed input under tests/bad/ is rejected cleanly.
#
# Each tests/bad/*.xml starts with the comment
#   <!-- expect-error: LINE: SUBSTRING -->
# and `uctls run FILE' must exit with status 2 (input error; not a crash:
# status < 128), and print on stderr "FILE:LINE:" and SUBSTRING.
# Parity: `uctls validate FILE' and `uctls pki export FILE DIR' share the
# loader, so they must exit 2 too, with the same message as run.
# Environment (set by the Makefile): UCTLS, the built program; top_srcdir.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${UCTLS:=./harness/uctls}"

errfile=$(mktemp "${TMPDIR:-/tmp}/uctls-bad.XXXXXX") || exit 99
errfile2=$(mktemp "${TMPDIR:-/tmp}/uctls-bad.XXXXXX") || exit 99
outdir=$(mktemp -d "${TMPDIR:-/tmp}/uctls-bad.XXXXXX") || exit 99
trap 'rm -rf "$errfile" "$errfile2" "$outdir"' EXIT HUP INT TERM

# Runs `uctls ARGS...' and compares its status and stderr with run's.
same_as_run() {
	"$UCTLS" "$@" >/dev/null 2>"$errfile2"
	st=$?
	if [ "$st" -ne 2 ]; then
		echo "uctls $1 exit status $st, expected 2 (as run)"
	elif ! cmp -s "$errfile" "$errfile2"; then
		echo "uctls $1 says \`$(head -n 1 "$errfile2")', run says \`$(head -n 1 "$errfile")'"
	fi
}

set -- "$top_srcdir"/tests/bad/*.xml
if [ ! -e "$1" ]; then
	echo "Bail out! no files in $top_srcdir/tests/bad"
	exit 1
fi
echo "1..$#"

n=0
for f in "$@"; do
	n=$((n + 1))
	name=bad/${f##*/}
	head=$(sed -n '1p' "$f")
	line=$(printf '%s\n' "$head" |
	       sed -n 's/^<!-- expect-error: \([0-9][0-9]*\): .* -->$/\1/p')
	want=$(printf '%s\n' "$head" |
	       sed -n 's/^<!-- expect-error: [0-9][0-9]*: \(.*\) -->$/\1/p')
	if [ -z "$line" ] || [ -z "$want" ]; then
		echo "not ok $n - $name # first line is not <!-- expect-error: LINE: SUBSTRING -->"
		continue
	fi
	"$UCTLS" run "$f" >/dev/null 2>"$errfile"
	status=$?
	why=
	if [ "$status" -ge 128 ]; then
		why="crashed (exit status $status)"
	elif [ "$status" -ne 2 ]; then
		why="exit status $status, expected 2"
	elif ! grep -F -e "$f:$line:" "$errfile" >/dev/null; then
		why="stderr lacks \`$f:$line:'"
	elif ! grep -F -e "$want" "$errfile" >/dev/null; then
		why="stderr lacks \`$want'"
	else
		why=$(same_as_run validate "$f")
		[ -n "$why" ] || why=$(same_as_run pki export "$f" "$outdir/pki")
		rm -rf "$outdir/pki"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name: $why"
		sed 's/^/# stderr: /' "$errfile"
	fi
done
exit 0
