#!/bin/sh
# tests/parallel.sh — `uctls run -j N' and `--shard K/N' (uctls(1)).  TAP.
# env: UCTLS, top_srcdir.
#   1. -j 1 and -j 4 over the same files (matching scenarios that fail and
#      pass, one that does not match its <expect>, the two timeouts, an
#      input error): the same exit status and byte for byte the same
#      reports — text (one line each), -v, --json, --tap, --junit, --output
#      — once the durations each run measures are blanked;
#   2. --shard K/N for N = 1..4 and 7: every slice in input order, the
#      slices disjoint, their union every scenario; a slice's exit status
#      is its own scenarios'; an empty slice exits 0;
#   3. bad -j and --shard values: one line naming the option (and where
#      the help is), exit 2, nothing run.
# Speed is not asserted here (bench/run measures it).
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-parallel.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# The same keys for every run (the reports carry fingerprints).
UCTLS_KEY_CACHE=${UCTLS_KEY_CACHE:-$tmp/keys}
export UCTLS_KEY_CACHE
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
S=$top_srcdir/scenarios

# A scenario that does not match its <expect>, and an input error.
sed 's#<expect [^>]*/>#<expect result="pass"/>#' "$S/tls/expired.xml" >"$tmp/mismatch.xml"
set -- "$S"/tls/[a-e]*.xml "$S/sip-trunk/sip-timeout.xml" "$tmp/mismatch.xml" \
	"$S/traversal/sip-timeout.xml" "$top_srcdir/tests/bad/bad-san.xml" "$S"/xmpp-s2s/e*.xml "$S"/xmpp-s2s/i*.xml \
	"$S"/traversal/e*.xml
nfiles=$#

# Durations: "(12.3 ms)" in the text report, "waited 301 ms" in a timeout's
# detail, "ms": in JSON, time= in JUnit.
norm() {
	sed -e 's/([0-9.]* ms)/(T ms)/g' -e 's/waited [0-9]* ms/waited T ms/g' \
		-e 's/"ms": *[0-9.e+-]*/"ms":T/g' -e 's/time="[0-9.]*"/time="T"/g' "$1"
}

# 1. -j 1 against -j 4, each report.
# Fixes (re-runs on the worker threads too) in the JSON run only: they cost.
for mode in text "-v --no-fixes" --json --tap --junit --output; do
	for j in 1 4; do
		out=$tmp/$j.out
		case $mode in
		text) "$UCTLS" run -j $j "$@" >"$out" 2>"$tmp/$j.err" ;;
		--junit) "$UCTLS" run -q -j $j --junit "$tmp/$j.xml" "$@" >/dev/null 2>"$tmp/$j.err"; st=$?
			cp "$tmp/$j.xml" "$out" 2>/dev/null || : >"$out"; (exit $st) ;;
		--output) "$UCTLS" run -q -j $j --no-fixes --output "json=$tmp/$j.json" "$@" \
			>/dev/null 2>"$tmp/$j.err"
			st=$?; cp "$tmp/$j.json" "$out" 2>/dev/null || : >"$out"; (exit $st) ;;
		*) # shellcheck disable=SC2086 # MODE is one or two words
			"$UCTLS" run $mode -j $j "$@" >"$out" 2>"$tmp/$j.err" ;;
		esac
		echo $? >"$tmp/$j.st"
		norm "$out" >"$out.n"
	done
	st1=$(cat "$tmp/1.st") st4=$(cat "$tmp/4.st")
	if [ "$st1" = 2 ] && [ "$st4" = 2 ] && [ -s "$tmp/1.out" ] &&
		cmp -s "$tmp/1.out.n" "$tmp/4.out.n" && cmp -s "$tmp/1.err" "$tmp/4.err"; then
		ok "$mode: -j 4 reports as -j 1 ($nfiles files; exit 2 both, an input error among them)"
	else
		nok "$mode: -j 4 differs from -j 1 (exit $st1, $st4)" \
			"$(diff "$tmp/1.out.n" "$tmp/4.out.n" | head -20)" \
			"$(diff "$tmp/1.err" "$tmp/4.err" | head -5)"
	fi
done

# The exit status of a run without the input error: 1 (a mismatch), both.
"$UCTLS" run -q -j 1 "$S/tls/expired.xml" "$tmp/mismatch.xml" "$S/tls/expired-ok.xml" \
	>/dev/null 2>&1
st1=$?
"$UCTLS" run -q -j 4 "$S/tls/expired.xml" "$tmp/mismatch.xml" "$S/tls/expired-ok.xml" \
	>/dev/null 2>&1
st4=$?
[ $st1 = 1 ] && [ $st4 = 1 ] && ok "a mismatch: exit 1 with -j 1 and -j 4" ||
	nok "a mismatch: exit $st1 (-j 1), $st4 (-j 4)"

# 2. Shards: scenario files from --json, in order, over fewer files.
set -- "$S"/tls/[a-c]*.xml "$tmp/mismatch.xml" "$top_srcdir/tests/bad/bad-san.xml" \
	"$S"/traversal/e*.xml
nfiles=$#
# The first "file" of each JSON line.
files() { sed -n 's/^{[^{]*"file":"\([^"]*\)".*/\1/p'; }
"$UCTLS" run --json --no-fixes -j 2 "$@" 2>/dev/null | files >"$tmp/all"
for N in 1 2 3 4 7; do
	: >"$tmp/union"
	bad=
	K=1
	while [ $K -le $N ]; do
		"$UCTLS" run --json --no-fixes --shard $K/$N "$@" 2>/dev/null | files >"$tmp/s$K"
		# Slice K: files K, K+N, K+2N, ... of the input, in that order.
		i=0
		for f in "$@"; do
			[ $((i % N)) -eq $((K - 1)) ] && echo "$f"
			i=$((i + 1))
		done >"$tmp/want$K"
		cmp -s "$tmp/s$K" "$tmp/want$K" || bad="$bad $K/$N"
		cat "$tmp/s$K" >>"$tmp/union"
		K=$((K + 1))
	done
	if [ -z "$bad" ] && [ "$(sort "$tmp/union")" = "$(sort "$tmp/all")" ] &&
		[ "$(sort "$tmp/union" | uniq -d)" = "" ] && [ "$(wc -l <"$tmp/union")" -eq $nfiles ]; then
		ok "--shard K/$N: $N slices in input order, disjoint, all $nfiles files together"
	else
		nok "--shard K/$N" "slices not as expected:$bad" "$(diff "$tmp/all" "$tmp/union" | head -5)"
	fi
done
# A slice's exit status is its own: the mismatch is in one slice of 3.
sts=
for K in 1 2 3; do
	"$UCTLS" run -q --shard $K/3 "$S/tls/expired.xml" "$tmp/mismatch.xml" "$S/tls/expired-ok.xml" \
		>/dev/null 2>&1
	sts="$sts$?"
done
[ "$sts" = 010 ] && ok "--shard: each slice exits with its own status (0, 1, 0)" ||
	nok "--shard: slice statuses $sts, not 010"

# More slices than scenarios: an empty slice runs none and exits 0 (a CI
# matrix larger than the suite), its JUnit report empty.
"$UCTLS" run --shard 3/3 --junit "$tmp/empty.xml" "$S/tls/expired.xml" "$S/tls/expired-ok.xml" \
	>"$tmp/o" 2>"$tmp/e"
st=$?
if [ $st -eq 0 ] && grep -q '^0 scenarios: 0 matched' "$tmp/o" && grep -q 'tests="0"' "$tmp/empty.xml"; then
	ok "--shard 3/3 of 2 scenarios: an empty slice, exit 0, an empty JUnit report"
else
	nok "--shard 3/3 of 2 scenarios: exit $st" "$(cat "$tmp/o" "$tmp/e" | head -3)"
fi

# 3. Bad values.
for arg in "-j 0" "-j -1" "-j x" "-j 1025" "--jobs=" "--shard 0/2" "--shard 3/2" "--shard 1/0" \
	"--shard 2" "--shard x/y" "--shard 1/2/3" "--shard /2" "--shard 1/2 --shard 2/2"; do
	# shellcheck disable=SC2086 # ARG is several words on purpose
	"$UCTLS" run $arg "$S/tls/expired.xml" >"$tmp/o" 2>"$tmp/e"
	st=$?
	opt=$(echo "$arg" | sed 's/[ =].*//')
	case $opt in --jobs) opt=-j ;; esac
	if [ $st -eq 2 ] && [ ! -s "$tmp/o" ] && [ "$(wc -l <"$tmp/e")" -le 2 ] &&
		head -1 "$tmp/e" | grep -q -- "$opt"; then
		ok "$arg: a one-line usage error naming $opt, exit 2"
	else
		nok "$arg: exit $st" "$(head -3 "$tmp/e")" "$(head -2 "$tmp/o")"
	fi
done

echo "1..$n"
exit $fail
