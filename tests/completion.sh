#!/bin/sh
# tests/completion.sh — the shell completion `make install' installs
# (harness/completion/uctls for bash, harness/completion/_uctls for zsh),
# run against the uctls under test.  TAP.  env: UCTLS, top_srcdir.
# bash (the completion function called as bash calls it, COMP_WORDS set):
#   1. `uctls <TAB>' offers the subcommands, and uctls knows each one;
#   2. `uctls run --j<TAB>' offers run's --json and --junit; `--profiles'
#      (which every subcommand takes) is offered by run, validate, check
#      and pki export;
#   3. `--profile <TAB>' offers exactly the names `uctls profiles' lists;
#   4. `--profile=exp<TAB>', as one word and as bash splits it at "=";
#   5. `--role <TAB>' offers the choices its help names (server, client);
#   6. `--step-address <TAB>' offers STEP= for the steps of `uctls steps';
#   7. `--junit DIR/<TAB>' offers files; `run DIR/<TAB>' scenarios and
#      directories, not other files; `--timeout <TAB>' nothing;
#   8. a choice listed in the option's help: `pki export --for <TAB>' the
#      real peers, `run --output <TAB>' FORMAT= for each report format;
#      `-j <TAB>' (short for --jobs N) nothing, not files;
#   9. an option whose help says REASON gets the reasons `uctls steps' lists
#      (a uctls whose help has one, since no subcommand takes a reason yet);
# zsh (a real interactive zsh under zsh/zpty, compinit, the widget
# complete-word; `# SKIP' without zsh):
#   10-14. the subcommands; --profile exp; --role; run DIR/ (scenarios
#   only); pki export --for.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
command -v bash >/dev/null 2>&1 || { echo "1..0 # SKIP bash not found"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-completion.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
C=$top_srcdir/harness/completion
echo "1..15"

# comp WORD...: the bash completion of the last WORD (one candidate a line).
comp() {
	bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _uctls
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' \
		"$C/uctls" "$@"
}
# expect LABEL WANT GOT: ok when GOT (lines) is WANT (words).
expect() {
	want=$(printf '%s\n' $2 | LC_ALL=C sort)
	if [ "$3" = "$want" ]; then ok "$1"
	else nok "$1" "want: $(echo $want)" "got:  $(echo $3)"; fi
}

subs=$(comp "$UCTLS" '')
bad=
for s in $subs; do
	case $s in
	-*) continue ;;
	help) "$UCTLS" help run >/dev/null 2>&1 || bad="$bad $s" ;; # uctls help SUBCOMMAND
	*) "$UCTLS" "$s" --help >/dev/null 2>&1 || bad="$bad $s" ;;
	esac
done
missing=
for s in check pki profiles run steps validate; do
	echo "$subs" | grep -q -x "$s" || missing="$missing $s"
done
if [ -n "$missing" ]; then nok "bash: uctls <TAB>: no$missing" "got: $(echo $subs)"
elif [ -n "$bad" ]; then nok "bash: uctls <TAB>: offers what uctls refuses:$bad"
else ok "bash: uctls <TAB>: the subcommands ($(echo $subs))"; fi

expect "bash: uctls run --j<TAB>" "--json --junit" "$(comp "$UCTLS" run --j | grep -v -e '--jobs')"
got=
for s in run validate check; do got="$got$(comp "$UCTLS" "$s" --profiles) "; done
got="$got$(comp "$UCTLS" pki export --profiles)"
expect "bash: run, validate, check, pki export --profiles<TAB>" \
	"--profiles --profiles --profiles --profiles" "$(echo $got | tr ' ' '\n')"

profiles=$("$UCTLS" profiles | awk '/^[a-z0-9]/ { print $1 }')
got=$(comp "$UCTLS" check --profile '')
if [ -n "$profiles" ] && echo "$profiles" | grep -q -x expressway-e; then
	expect "bash: check --profile <TAB>: the $(echo "$profiles" | wc -l) profiles of uctls profiles" \
		"$profiles" "$got"
else
	nok "bash: uctls profiles lists no expressway-e" "$profiles"
fi

a=$(comp "$UCTLS" check --json --profile=exp)
b=$(comp "$UCTLS" check --json --profile = exp)
if [ "$a" = "$(printf -- '--profile=expressway-c\n--profile=expressway-c-https\n--profile=expressway-c-sip\n--profile=expressway-e')" ] &&
	[ "$b" = "$(printf 'expressway-c\nexpressway-c-https\nexpressway-c-sip\nexpressway-e')" ]; then
	ok "bash: --profile=exp<TAB>, whole and split at ="
else
	nok "bash: --profile=exp<TAB>" "whole: $(echo $a)" "split: $(echo $b)"
fi

expect "bash: check --role <TAB>" "client server" "$(comp "$UCTLS" check --role '')"

steps=$("$UCTLS" steps | sed -n 's/^ *steps: *//p' | tr ' ' '\n' | sed '/^$/d; s/$/=/' | sort -u)
expect "bash: run --step-address <TAB>: every step, STEP=" "$steps install=" \
	"$(comp "$UCTLS" run --step-address '' | sort -u)"

mkdir -p "$tmp/d/sub" && : >"$tmp/d/a.xml" && : >"$tmp/d/b.pem"
r1=$(comp "$UCTLS" run --junit "$tmp/d/")
r2=$(comp "$UCTLS" run "$tmp/d/")
r3=$(comp "$UCTLS" run --timeout '')
if [ "$r1" = "$(printf '%s\n' "$tmp/d/a.xml" "$tmp/d/b.pem" "$tmp/d/sub")" ] &&
	[ "$r2" = "$(printf '%s\n' "$tmp/d/a.xml" "$tmp/d/sub")" ] && [ -z "$r3" ]; then
	ok "bash: --junit DIR/<TAB> files; run DIR/<TAB> scenarios and folders; --timeout nothing"
else
	nok "bash: file arguments" "--junit: $(echo $r1)" "run: $(echo $r2)" "--timeout: $(echo $r3)"
fi

# has WORDS LINES: every word is one of the lines.
has() {
	for w in $1; do echo "$2" | grep -q -x -F -e "$w" || return 1; done
}
r1=$(comp "$UCTLS" pki export --for '')
r2=$(comp "$UCTLS" run --output '')
r3=$(comp "$UCTLS" run -j '')
if has "gnutls kamailio openssl prosody" "$r1" && has "json= junit= tap= text=" "$r2" && [ -z "$r3" ]; then
	ok "bash: pki export --for <TAB>, run --output <TAB>: the choices their help lists; -j <TAB>: none"
else
	nok "bash: choices" "--for: $(echo $r1)" "--output: $(echo $r2)" "-j: $(echo $r3)"
fi

# A uctls whose `run --help' has an option taking a REASON.
cat >"$tmp/uctls" <<EOF
#!/bin/sh
case "\$*" in
"run --help") echo "usage: uctls run [--why REASON] SCENARIO..." ;;
*) exec "$UCTLS" "\$@" ;;
esac
EOF
chmod +x "$tmp/uctls"
reasons=$("$UCTLS" steps | sed -n '/^reasons:/,$s/^  \([a-z0-9:-]*[a-z0-9:]\)\(<name>\)\{0,1\}$/\1/p')
got=$(comp "$tmp/uctls" run --why '')
if echo "$got" | grep -q -x issuer-not-found && echo "$got" | grep -q -x 'alert:'; then
	expect "bash: --why REASON <TAB>: the reasons of uctls steps" "$reasons" "$got"
else
	nok "bash: --why REASON <TAB>: no issuer-not-found, alert:" "$(echo $got)"
fi

# zsh: type the line in an interactive zsh (zsh/zpty), complete with the
# complete-word widget, and collect every candidate compsys adds.
if ! command -v zsh >/dev/null 2>&1 || ! zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
	for t in 10 11 12 13 14; do n=$((n + 1)); echo "ok $n # SKIP zsh (with zsh/zpty) not found"; done
	exit $fail
fi
mkdir -p "$tmp/fpath" && cp "$C/_uctls" "$tmp/fpath/"
cat >"$tmp/zcomp.zsh" <<'EOF'
# zcomp.zsh FPATH OUTDIR LINE...: the candidates completing the Ith LINE, in
# OUTDIR/I, one a line.  One interactive zsh types each line and completes it.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; zc_n=0"
zpty -w z "dump() { local -a m; functions[compadd]='builtin compadd -O m \"\$@\"; print -rl -- \$m >>$2/\$zc_n; builtin compadd \"\$@\"'; zle complete-word; unfunction compadd; BUFFER=; print -- \${(U):-end-of-list} }; zle -N dump; bindkey '^T' dump"
shift 2
for line; do
  zpty -w z "(( zc_n++ ))"
  zpty -w -n z "$line"$'\x14'
  zpty -r z junk '*END-OF-LIST*'
done
zpty -d z
EOF
mkdir "$tmp/z"
timeout 60 zsh -f "$tmp/zcomp.zsh" "$tmp/fpath" "$tmp/z" "$UCTLS " "$UCTLS check --profile exp" \
	"$UCTLS check --role " "$UCTLS run $tmp/d/" "$UCTLS pki export --for " >"$tmp/z.log" 2>&1
zst=$?
# zcomp I: the candidates for the Ith line (sorted, unique).
zcomp() {
	[ $zst -eq 0 ] || echo "(zsh did not complete: exit $zst)"
	[ ! -f "$tmp/z/$1" ] || LC_ALL=C sort -u "$tmp/z/$1"
}
zsubs=$(zcomp 1)
if echo "$zsubs" | grep -q -x run; then
	expect "zsh: uctls <TAB>: the same subcommands as bash" "$(echo "$subs" | grep -v '^-')" "$zsubs"
else
	nok "zsh: uctls <TAB>: no run" "$(echo $zsubs)"
fi
expect "zsh: check --profile exp<TAB>" "expressway-c expressway-c-https expressway-c-sip expressway-e" "$(zcomp 2)"
expect "zsh: check --role <TAB>" "client server" "$(zcomp 3)"
got=$(zcomp 4)
if echo "$got" | grep -q -x a.xml && echo "$got" | grep -q -x 'sub' && ! echo "$got" | grep -q pem; then
	ok "zsh: run DIR/<TAB>: scenarios and folders, not the .pem"
else
	nok "zsh: run DIR/<TAB>" "$(echo $got)"
fi
got=$(zcomp 5)
has "gnutls kamailio openssl prosody" "$got" && ok "zsh: pki export --for <TAB>" ||
	nok "zsh: pki export --for <TAB>" "$(echo $got)"
exit $fail
