#!/bin/sh
# Runs the libFuzzer targets of a fuzzing build (docs/fuzzing.md) and says
# what they did.
#
#   tests/fuzz/run.sh TARGET|all SECONDS [RUNS]
#
# from the top of a build configured with --enable-fuzzing CC=clang (or with
# FUZZ_BUILDDIR set to it).  TARGET: scenario, pem, sip, xmpp, install.
# Each target runs for SECONDS (-max_total_time), or until RUNS executions
# (-runs) when given, under nice (FUZZ_NICE, default 19), starting from its
# seeds (the shipped scenarios and tests/bad for scenario, else
# tests/fuzz/corpus/TARGET) plus the crashes found before; new interesting
# inputs go to BUILDDIR/tests/fuzz/work/TARGET (not the source tree).
# Extra libFuzzer options can be given in FUZZ_OPTS; the per-input timeout
# (wall-clock seconds) in FUZZ_TIMEOUT (default 60).  A timeout-* input is
# run again alone and counts as a finding only if it times out again (on a
# busy machine an ordinary input can exceed a wall-clock limit).
#
# Prints one line per target: executions, rate, coverage, findings.  Every
# finding (crash-*, leak-*, timeout-*, oom-*) is moved to
# SRCDIR/tests/fuzz/crashes/TARGET/, where make check replays it.  Exit
# status: 0 when no target found anything, 1 on a finding, 2 on a usage
# or setup error.

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
builddir=${FUZZ_BUILDDIR:-.}
builddir=$(cd "$builddir" && pwd) || exit 2
all="scenario pem sip xmpp install"

usage() {
	echo "usage: $0 TARGET|all SECONDS [RUNS]   (TARGET: $all)" >&2
	exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
case $2 in '' | *[!0-9]*) usage ;; esac
case ${3:-0} in *[!0-9]*) usage ;; esac
if [ "$1" = all ]; then
	targets=$all
else
	case " $all " in *" $1 "*) targets=$1 ;; *) usage ;; esac
fi
secs=$2
runs=${3:-}

found=0
for t in $targets; do
	prog=$builddir/tests/fuzz/fuzz_$t
	if [ ! -x "$prog" ]; then
		echo "$t: $prog not built (./configure --enable-fuzzing CC=clang; make tests/fuzz/fuzz_$t)" >&2
		exit 2
	fi
	work=$builddir/tests/fuzz/work/$t
	art=$builddir/tests/fuzz/findings/$t
	crashes=$srcdir/tests/fuzz/crashes/$t
	log=$builddir/tests/fuzz/fuzz-$t.log
	mkdir -p "$work" "$art" || exit 2
	if [ "$t" = scenario ]; then
		set -- "$srcdir/scenarios" "$srcdir/tests/bad"
	else
		set -- "$srcdir/tests/fuzz/corpus/$t"
	fi
	[ -d "$crashes" ] && set -- "$@" "$crashes"
	# shellcheck disable=SC2086 # FUZZ_OPTS is a list of options
	nice -n "${FUZZ_NICE:-19}" "$prog" -max_total_time="$secs" ${runs:+-runs="$runs"} \
		-print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-60}" -rss_limit_mb=2048 \
		-artifact_prefix="$art/" ${FUZZ_OPTS:-} "$work" "$@" >"$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	n=0 soft=0
	for f in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-* "$art"/slow-unit-*; do
		[ -e "$f" ] || continue
		case $f in */slow-unit-*) continue ;; esac
		# libFuzzer's -timeout is wall-clock time: on a starved machine
		# (nice 19 beside builds) an ordinary input can exceed it.  A
		# timeout counts only if the input, run alone, times out again.
		case $f in */timeout-*)
			if "$prog" -timeout="${FUZZ_TIMEOUT:-60}" "$f" >"$f.rerun" 2>&1; then
				echo "$t: $f: timed out under load, not when run alone (kept there, not a finding)"
				soft=1
				continue
			fi ;;
		esac
		mkdir -p "$crashes" && mv "$f" "$crashes/" || exit 2
		echo "$t: finding $crashes/$(basename "$f")"
		n=$((n + 1))
	done
	if [ "$st" -ne 0 ] && [ "$n" -eq 0 ] && [ "$soft" -eq 0 ]; then
		echo "$t: fuzzer exit status $st without a finding file; see $log" >&2
		n=1
	fi
	echo "$t: ${execs:-?} executions in ${secs}s at most (${rate:-?}/s), coverage ${cov:-?}, findings $n (log: $log)"
	[ "$n" -eq 0 ] || found=1
done
exit $found
