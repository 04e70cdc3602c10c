#!/usr/bin/env bash
# tests/mutation/run.sh — mutation testing of uctls (docs/fuzzing.md,
# "Mutation testing").  Not part of `make check`.
#
# For each mutant of tests/mutation/mutants.txt (one rule of the source
# changed: FILE, an exact search text, its replacement, a one-line
# description), in a PRIVATE copy of the tree (never the tree this script
# lives in): apply the edit (the search text must occur exactly once), build
# (only the changed object is recompiled), run the tests in fast-kill order
# and stop at the first that fails, revert.  A mutant is killed when a test
# fails, survives when every test passes.  Prints one line per mutant and
# the score: killed / (mutants - those marked equivalent that survive).
#
# usage: tests/mutation/run.sh [-l] [-k] [-r REV] [-w DIR] [-f FILE] [ID...]
#   ID...    run only these mutants (default: all of them)
#   -l       list the mutants and exit
#   -r REV   copy the tree at git revision REV (default: the working tree,
#            tracked and untracked files that git does not ignore)
#   -w DIR   work directory (default: a new ${TMPDIR:-/tmp}/uctls-mutation.XXXXXX);
#            reused when it holds a build from an earlier run with -k
#   -k       keep the work directory
#   -f FILE  the mutant list (default: tests/mutation/mutants.txt)
#   -s       stop after the scenarios and the Check suites (a quick first pass)
#   -B       skip the baseline when -w DIR holds a passing one from an earlier run
# env: MUT_TIMEOUT seconds per test command (default 300), MUT_NICE (10),
#      MUT_JOBS make -j (2).
# Exit: 0 when the score was computed and no mutant was broken, 1 when a
# mutant could not be applied or built, or the unmutated tree fails a test,
# 2 on a usage error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
list=$here/mutants.txt
rev= work= keep=0 listonly=0 short=0 skipbase=0
while getopts lkr:w:f:sB o; do
	case $o in
	l) listonly=1 ;;
	k) keep=1 ;;
	r) rev=$OPTARG ;;
	w) work=$OPTARG ;;
	f) list=$OPTARG ;;
	s) short=1 ;;
	B) skipbase=1 ;;
	*) echo "usage: $0 [-l] [-k] [-s] [-r REV] [-w DIR] [-f FILE] [ID...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -r "$list" ] || { echo "$0: $list: not readable" >&2; exit 2; }
: "${MUT_TIMEOUT:=300}" "${MUT_NICE:=10}" "${MUT_JOBS:=2}"

# The mutant list, parsed and checked (mutant.py parse), as lines
# "ID<TAB>FILE<TAB>EQUIVALENT(0|1)<TAB>DESCRIPTION".
index=$(python3 "$here/mutant.py" parse "$list") || exit 2
if [ "$listonly" = 1 ]; then
	printf '%s\n' "$index" | awk -F'\t' '{ printf "%-28s %-22s %s%s\n", $1, $2, $3 == 1 ? "(equivalent) " : "", $4 }'
	echo "$(printf '%s\n' "$index" | wc -l) mutants"
	exit 0
fi
if [ $# -gt 0 ]; then
	for id in "$@"; do
		printf '%s\n' "$index" | cut -f1 | grep -qx -- "$id" ||
			{ echo "$0: no mutant $id in $list" >&2; exit 2; }
	done
fi

if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/uctls-mutation.XXXXXX") || exit 2
fi
mkdir -p "$work" || exit 2
work=$(cd "$work" && pwd)
case $work/ in "$src"/*) echo "$0: the work directory must be outside $src" >&2; exit 2 ;; esac
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
tree=$work/src build=$work/build log=$work/log
mkdir -p "$log"
run() { nice -n "$MUT_NICE" "$@"; }

# --- the private tree and its build (once) ---------------------------------
# Copied again on every run (a kept work directory is brought up to date,
# and make rebuilds what changed).
# With -B and a passing baseline there, the copy is kept as that baseline
# saw it.
fresh=0
[ -f "$build/harness/uctls" ] || { rm -rf "$tree" "$build"; fresh=1; }
mkdir -p "$tree" "$build"
if [ "$skipbase" = 1 ] && [ "$fresh" = 0 ] && [ -f "$work/baseline.ok" ]; then
	echo "reusing $tree as the earlier baseline saw it (-B)"
elif echo "copying $src${rev:+ at $rev} to $tree" && [ -n "$rev" ]; then
	git -C "$src" archive "$rev" | tar -xf - -C "$tree" || exit 1
elif git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xf - -C "$tree" || exit 1
else
	cp -a "$src/." "$tree/" || exit 1
fi
[ "$skipbase" = 1 ] && [ -f "$work/baseline.ok" ] || rm -f "$work/baseline.ok"
# A run killed while a mutant was applied leaves it in the copy (restored
# here when the copy is kept) and an object built from it: rebuild that file.
if [ -f "$work/current" ]; then
	[ "$skipbase" = 1 ] && [ -f "$work/baseline.ok" ] && cat "$work/orig" >"$tree/$(cat "$work/current")"
	(cd "$tree" && touch "$(cat "$work/current")") && rm -f "$work/current"
fi
# every search text must occur exactly once in the copy: said, never skipped
python3 "$here/mutant.py" check "$list" "$tree" || exit 1
echo "building in $build (log: $log/build.log)"
if [ "$fresh" = 1 ]; then
	(cd "$tree" && run autoreconf -fi && cd "$build" && run "$tree/configure") >"$log/build.log" 2>&1 ||
		{ tail -30 "$log/build.log"; echo "$0: cannot configure the copy" >&2; exit 1; }
fi
(cd "$build" && run make -j"$MUT_JOBS" && run make -j"$MUT_JOBS" check TESTS=) >>"$log/build.log" 2>&1 ||
	{ tail -30 "$log/build.log"; echo "$0: the unmutated tree does not build" >&2; exit 1; }

# The test lists, read from the Makefile so that they follow Makefile.am.
mkvar() { printf 'print-var:\n\t@echo $(%s)\n' "$1" | make -s -C "$build" -f Makefile -f - print-var; }
sh_tests=$(mkvar SH_TESTS)
scenarios=$(mkvar SCENARIO_FILES)
# The scripts written to kill mutants first; those that start real peers,
# or run every scenario again, last: they are the slowest.
first="tests/mutant-kills.sh tests/script-peer.sh"
slow="tests/conformance.sh tests/hostile.sh tests/remote.sh tests/prosody.sh tests/kamailio.sh
	tests/sipsak.sh tests/fixes.sh tests/fidelity-tls.sh tests/fidelity-sip.sh
	tests/fidelity-xmpp.sh tests/peer-chain.sh"
# (slow_sh keeps this order: the chain corpus first, it kills verify's mutants)
fast_sh= slow_sh=
for t in $first; do
	case " $sh_tests " in *" $t "*) fast_sh="$fast_sh $t" ;; esac
done
for t in $sh_tests; do
	case " $first $(echo $slow) " in *" $t "*) continue ;; esac
	fast_sh="$fast_sh $t"
done
for t in $slow; do
	case " $sh_tests " in *" $t "*) slow_sh="$slow_sh $t" ;; esac
done

# Every test in the order a mutant meets them; prints the first that fails
# and returns 1, or returns 0 when all pass.
export top_srcdir=$tree top_builddir=$build UCTLS=$build/harness/uctls
export UCTLS_KEY_CACHE=$build/tests/key-cache XMLLINT=${XMLLINT:-$(command -v xmllint || true)}
tmo() { run timeout -k 5 "$MUT_TIMEOUT" "$@"; }
scenario_tap() { # OUT FILE...: the scenarios as make check runs them, in one process
	local out=$1 st
	shift
	(cd "$tree" && tmo "$UCTLS" run --tap "$@") >"$out" 2>&1
	st=$?
	grep -q '^not ok' "$out" && st=1
	return $st
}
suite() {
	local t u half a b
	# the scenarios (2 s in all), in two processes at once, then the Check
	# suites (20 s)
	set -- $scenarios
	half=$((($# + 1) / 2))
	scenario_tap "$log/scen1.tap" "${@:1:$half}" & a=$!
	scenario_tap "$log/scen2.tap" "${@:$((half + 1))}" & b=$!
	wait $a; t=$?
	wait $b; u=$?
	if [ $t -ne 0 ] || [ $u -ne 0 ]; then
		echo "scenarios"; return 1
	fi
	(cd "$build" && run make -j"$MUT_JOBS" tests/check_uctls) >"$log/check.build" 2>&1 ||
		{ echo "tests/check_uctls (does not build)"; return 1; }
	# the Check suite of the mutated module first, then the others
	# (CK_FORK=no: a third of the time; a crash still fails the run)
	if [ -n "${ck_first:-}" ] &&
		! (cd "$build" && CK_FORK=no CK_RUN_SUITE=$ck_first tmo tests/check_uctls) >"$log/check.out" 2>&1; then
		echo "tests/check_uctls"; return 1
	fi
	if ! (cd "$build" && CK_FORK=no CK_EXCLUDE_SUITES=${ck_first:-} tmo tests/check_uctls) >"$log/check.out" 2>&1; then
		echo "tests/check_uctls"; return 1
	fi
	[ "$short" = 1 ] && return 0
	for t in $fast_sh $slow_sh; do
		if ! (cd "$build" && tmo make -s check TESTS="$t") >"$log/sh.out" 2>&1; then
			echo "$t"; return 1
		fi
	done
	return 0
}

# The baseline: the unmutated tree must pass the scenarios and the Check
# suites (checked here, once: 1 to 3 minutes).  A script test is checked on
# the unmutated tree when it first kills a mutant (confirm below), so that
# a test someone's work in progress breaks is not taken for a kill: it is
# left out, loudly, and the exit status is 1.  The key cache the baseline
# fills is restored before each mutant, so that a mutant of key generation
# cannot poison later runs.
t0=$(date +%s)
left_out=
if [ "$skipbase" = 1 ] && [ -f "$work/baseline.ok" ] && [ -d "$work/key-cache.base" ]; then
	echo "baseline: skipped (-B: the one of an earlier run in $work)"
else
	echo "baseline: the unmutated tree, scenarios and Check suites"
	rm -f "$work/baseline.ok"
	while ! first=$(short=1 suite); do
		case $first in
		scenarios)
			bad=$(cat "$log/scen1.tap" "$log/scen2.tap" | sed -n 's/^not ok [0-9]* - \([^ ]*\).*/\1/p')
			[ -n "$bad" ] || { echo "$0: the scenario run fails (logs: $log/scen*.tap)" >&2; exit 1; }
			keep_s=
			for f in $scenarios; do
				n=${f#scenarios/}; n=${n%.xml}
				case " $(echo $bad) " in *" $n "*) left_out="$left_out $f" ;; *) keep_s="$keep_s $f" ;; esac
			done
			scenarios=$keep_s
			echo "baseline: WARNING: scenarios fail on the unmutated tree, left out:$(echo " $bad")" ;;
		*)
			echo "$0: the unmutated tree fails $first (log: $log/check.out)" >&2
			keep=1; trap - EXIT; exit 1 ;;
		esac
	done
	echo "baseline: passes ($(($(date +%s) - t0)) s)"
	rm -rf "$work/key-cache.base"
	[ -d "$UCTLS_KEY_CACHE" ] && cp -a "$UCTLS_KEY_CACHE" "$work/key-cache.base"
	[ -z "$left_out" ] && touch "$work/baseline.ok"
fi

# confirm TEST: with the mutant reverted, does TEST pass?  (Re-applies it.)
sh_ok=" "
confirm() {
	local st
	cat "$work/orig" >"$tree/$file" && touch "$tree/$file"
	(cd "$build" && run make -j"$MUT_JOBS" harness/uctls) >"$log/confirm.build" 2>&1
	(cd "$build" && tmo make -s check TESTS="$1") >"$log/confirm.out" 2>&1
	st=$?
	python3 "$here/mutant.py" apply "$list" "$id" "$tree" &&
		(cd "$build" && run make -j"$MUT_JOBS" harness/uctls) >"$log/confirm.build" 2>&1 || exit 1
	return $st
}

killed=0 survived=0 equiv=0 broken=0 total=0 survivors=
while IFS=$'\t' read -r id file eq desc; do
	[ $# -eq 0 ] || printf '%s\n' "$@" | grep -qx -- "$id" || continue
	total=$((total + 1))
	t0=$(date +%s)
	cp -p "$tree/$file" "$work/orig" || exit 1
	if ! python3 "$here/mutant.py" apply "$list" "$id" "$tree" 2>"$log/apply.err"; then
		printf '%-28s BROKEN: %s\n' "$id" "$(cat "$log/apply.err")"
		broken=$((broken + 1)); continue
	fi
	# the Check suite of the module (tests/check_MODULE.c), run first
	ck_first=$(basename "$file" .c)
	case $ck_first in engine-*) ck_first=engine ;; steplog) ck_first=report ;; esac
	[ -f "$tree/tests/check_$ck_first.c" ] || ck_first=
	# only the programs the first tests need: `make check TESTS=X' builds
	# the others when a test script comes to need them
	echo "$file" >"$work/current"
	if ! (cd "$build" && run make -j"$MUT_JOBS" harness/uctls) >"$log/$id.build" 2>&1; then
		printf '%-28s BROKEN: does not build (%s)\n' "$id" "$log/$id.build"
		broken=$((broken + 1))
	else
		rm -rf "$UCTLS_KEY_CACHE"
		[ -d "$work/key-cache.base" ] && cp -a "$work/key-cache.base" "$UCTLS_KEY_CACHE"
		tb=$(date +%s)
		while by=$(suite); [ -n "$by" ]; do
			case $by in scenarios | tests/check_uctls*) break ;; esac
			case $sh_ok in *" $by "*) break ;; esac
			if confirm "$by"; then sh_ok="$sh_ok$by "; break; fi
			echo "  WARNING: $by fails on the unmutated tree too: left out of this run"
			left_out="$left_out $by"
			fast_sh=$(echo " $fast_sh " | sed "s| $by | |")
			slow_sh=$(echo " $slow_sh " | sed "s| $by | |")
		done
		if [ -z "$by" ]; then
			if [ "$eq" = 1 ]; then
				equiv=$((equiv + 1))
				printf '%-28s survived (marked equivalent)   %3ss  %s\n' "$id" $(($(date +%s) - t0)) "$desc"
			else
				survived=$((survived + 1)); survivors="$survivors $id"
				printf '%-28s SURVIVED                       %3ss  %s\n' "$id" $(($(date +%s) - t0)) "$desc"
				echo "  (build $((tb - t0)) s)"
			fi
		else
			killed=$((killed + 1))
			printf '%-28s killed by %-20s %3ss  %s\n' "$id" "$by" $(($(date +%s) - t0)) "$desc"
			[ "$eq" = 1 ] && echo "  note: $id is marked equivalent but a test kills it: drop the mark"
		fi
	fi
	# revert: the original content, with a new time stamp so that make rebuilds it
	cat "$work/orig" >"$tree/$file" && touch "$tree/$file" && rm -f "$work/current"
done <<EOF
$index
EOF
(cd "$build" && run make -j"$MUT_JOBS" harness/uctls tests/check_uctls) >"$log/final.build" 2>&1

scored=$((total - equiv - broken))
echo "mutants: $total; killed $killed, survived $survived, equivalent $equiv, broken $broken"
[ -n "$survivors" ] && echo "survivors:$survivors"
if [ "$scored" -gt 0 ]; then
	echo "score: $killed/$scored = $((killed * 1000 / scored / 10)).$((killed * 1000 / scored % 10))%"
fi
[ -n "$left_out" ] && echo "left out (they fail on the unmutated tree):$left_out"
[ "$broken" -eq 0 ] && [ -z "$left_out" ]
