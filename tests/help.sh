#!/bin/sh
# tests/help.sh — `uctls SUBCOMMAND --help' and usage errors (uctls(1)).
# TAP.  env: UCTLS, top_srcdir.
#   1. each subcommand's --help (and `uctls help SUBCOMMAND') exits 0 and
#      prints its own synopsis, "usage: uctls SUBCOMMAND", on stdout only;
#   2. a usage error of each subcommand exits 2 and prints exactly two
#      lines on stderr, what was wrong and "see uctls SUBCOMMAND --help",
#      and nothing on stdout (not the whole help);
#   3. every long option `uctls run --help' and `uctls check --help' name is
#      documented in docs/uctls.1.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-help.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for f in "$@"; do sed 's/^/# /' "$f" | head -10; done; }

for sub in run validate check pki profiles steps; do
	"$UCTLS" "$sub" --help >"$tmp/h.out" 2>"$tmp/h.err"
	st=$?
	"$UCTLS" help "$sub" >"$tmp/h2.out" 2>&1
	if [ $st -eq 0 ] && [ ! -s "$tmp/h.err" ] && head -n 1 "$tmp/h.out" | grep -q "^usage: uctls $sub" &&
		cmp -s "$tmp/h.out" "$tmp/h2.out"; then
		ok "uctls $sub --help: its synopsis (= uctls help $sub)"
	else nok "uctls $sub --help: exit $st" "$tmp/h.out" "$tmp/h.err"; fi
done

x=$top_srcdir/scenarios/tls/expired-ok.xml
# SUBCOMMAND (for "see uctls SUBCOMMAND --help"; - for the top level) and
# the command line, one usage error per row.
while read -r sub args; do
	# shellcheck disable=SC2086 # one word per argument
	"$UCTLS" $args >"$tmp/u.out" 2>"$tmp/u.err"
	st=$?
	want="see uctls $sub --help"
	[ "$sub" = - ] && want="see uctls --help"
	if [ $st -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(wc -l <"$tmp/u.err")" -eq 2 ] &&
		[ "$(tail -n 1 "$tmp/u.err")" = "$want" ]; then
		ok "uctls $args: exit 2, one line and \`$want'"
	else nok "uctls $args: exit $st, wanted 2 and two lines ending \`$want'" "$tmp/u.err" "$tmp/u.out"; fi
done <<EOF
- 
- frobnicate
- help frobnicate
run run
run run --bogus $x
run run --timeout
run run --timeout abc $x
run run -q -v $x $x
run run --output xml=$tmp/o $x
run run --remote E=127.0.0.1:1 --listen C=127.0.0.1:0 $x
check check
check check --bogus $x
check check --profile generic
check check --profile generic --role sideways $x
pki pki
pki pki frob
pki pki export $x
pki pki export --bogus v $x $tmp/d
validate validate
profiles profiles extra
steps steps extra
EOF

for sub in run check; do
	"$UCTLS" "$sub" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/opts"
	missing=""
	while read -r o; do
		# man(7) source writes a hyphen of an option as \-
		grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$top_srcdir/docs/uctls.1" ||
			missing="$missing $o"
	done <"$tmp/opts"
	if [ -z "$missing" ] && [ -s "$tmp/opts" ]; then ok "uctls $sub --help: each option in docs/uctls.1"
	else
		n=$((n + 1)); fail=1
		echo "not ok $n - uctls $sub --help: not in docs/uctls.1:$missing"
	fi
done
echo "1..$n"
exit $fail
