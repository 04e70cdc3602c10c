#!/bin/sh
# TAP test: every fuzz target's seed corpus, and every crash ever found,
# replayed through the target's harness in the normal build
# (tests/fuzz/replay_TARGET, docs/fuzzing.md).  Each replay must exit 0:
# a crash (a signal) or an unreadable input is a failure.
# Seeds: scenario: the shipped scenarios and tests/bad by path; the other
# targets: tests/fuzz/corpus/TARGET.  Crashes: tests/fuzz/crashes/TARGET.
# Environment (set by the Makefile): top_srcdir, top_builddir.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"

fuzz=$top_srcdir/tests/fuzz
targets="scenario pem sip xmpp install"
out=$(mktemp "${TMPDIR:-/tmp}/uctls-replay.XXXXXX") || exit 99
trap 'rm -f "$out"' EXIT HUP INT TERM

echo "1..5"
n=0
for t in $targets; do
	n=$((n + 1))
	prog=$top_builddir/tests/fuzz/replay_$t
	if [ ! -x "$prog" ]; then
		echo "not ok $n - $t: $prog not built"
		continue
	fi
	if [ "$t" = scenario ]; then
		set -- "$top_srcdir"/scenarios/*/*.xml "$top_srcdir"/tests/bad/*.xml
	else
		set -- "$fuzz/corpus/$t"
	fi
	[ -d "$fuzz/crashes/$t" ] && set -- "$@" "$fuzz/crashes/$t"
	"$prog" "$@" >"$out" 2>&1
	st=$?
	count=$(sed -n 's/^replay: \([0-9]*\) input(s)$/\1/p' "$out")
	if [ "$st" -ne 0 ]; then
		echo "not ok $n - $t: exit status $st"
		sed 's/^/# /' "$out" | tail -n 20
	elif [ -z "$count" ] || [ "$count" -eq 0 ]; then
		echo "not ok $n - $t: no input replayed"
	else
		echo "ok $n - $t: $count input(s) replayed"
	fi
done
