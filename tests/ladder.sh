#!/bin/bash
# tests/ladder.sh — `uctls run --ladder' (uctls(1), src/ladder.h): the
# message-sequence diagram of each connection, the failure marked.  TAP.
# env: UCTLS, top_srcdir.  Times and ports vary: rows are compared with
# them blanked ("T ms", 127.0.0.1:PORT).
#   1. a TLS 1.3 handshake that fails on a missing intermediate: every
#      handshake message as an arrow in order, C's failure marked on the
#      message it was handling (GnuTLS verifies the chain at the
#      CertificateVerify), E's on C's alert, then an X per side with step
#      and reason; the steps not reached draw no connection;
#   2. SIP OPTIONS answered 403: the mark is on the 403's row;
#   3. XMPP SASL EXTERNAL refused: R's mark on <auth/>, I's on <failure>;
#   4. --tap --ladder: the diagram goes in TAP comments, the stream stays TAP;
#   5. --json --ladder: a usage error (exit 2) in one line;
#   6. docs/ladder.md's first example is what a run draws today;
#   7. --output text=FILE and tap=FILE carry the diagram too (FILE's text is
#      the report on standard output; the TAP file has it as comments).
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-ladder.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }
S=$top_srcdir/scenarios
# The diagram of a run's output (from its first "connection" line), times
# and ports blanked, trailing spaces cut.
shape() {
	sed -n '/^connection [0-9]/,$p' | grep -v '^[0-9]* scenario' |
		sed -E 's/^ *-?[0-9]+\.[0-9] ms /     T ms /; s/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g; s/ +$//'
}
same() { # LABEL WANT-FILE GOT-FILE
	if diff -u "$2" "$3" >"$tmp/diff"; then ok "$1"; else nok "$1" "$(cat "$tmp/diff")"; fi
}

echo "1..7"
"$UCTLS" run --no-fixes --ladder "$S/traversal/intermediate-not-sent.xml" >"$tmp/t.out" 2>&1
shape <"$tmp/t.out" >"$tmp/t.got"
cat >"$tmp/t.want" <<'W'
connection 1 (tcp-connect): C 127.0.0.1:PORT -> E 127.0.0.1:PORT
            C                                                                E
     T ms |-- TCP connect ------------------------------------------------>|
     T ms |-- ClientHello ------------------------------------------------>|
     T ms |<-- ServerHello ------------------------------------------------|
     T ms |<-- EncryptedExtensions ----------------------------------------|
     T ms |<-- CertificateRequest -----------------------------------------|
     T ms |<-- Certificate ------------------------------------------------|
     T ms |<-- CertificateVerify ------------------------------------------|   <== C fails here
     T ms |<-- Finished ---------------------------------------------------|
     T ms |-- Alert fatal unknown-ca ------------------------------------->|   <== E fails here
     T ms X                                                                |   C fails tls-handshake: issuer-not-found
     T ms |                                                                X   E fails tls-handshake: alert:unknown-ca
W
same "missing intermediate: each TLS message, both failures marked, one connection" "$tmp/t.want" "$tmp/t.got"

"$UCTLS" run --no-fixes --ladder "$S/traversal/sip-status-403.xml" | shape >"$tmp/s.got"
if grep -q '^     T ms |<-- CRLF pong, 403 Forbidden -*|   <== C fails here$' "$tmp/s.got" &&
	grep -q '^     T ms |-- CRLF ping, OPTIONS sip:' "$tmp/s.got" &&
	[ "$(grep -c 'fails here' "$tmp/s.got")" -eq 1 ] &&
	tail -1 "$tmp/s.got" | grep -q '^     T ms X  *|   C fails sip-options: sip-status:403$'; then
	ok "SIP 403: the OPTIONS drawn, C's failure marked on the 403"
else nok "SIP 403" "$(cat "$tmp/s.got")"; fi

"$UCTLS" run --no-fixes --ladder "$S/xmpp-s2s/ejabberd-r-eku-sasl-failure.xml" | shape >"$tmp/x.got"
if grep -q "|-- <auth mechanism='EXTERNAL'> -*>|   <== R fails here$" "$tmp/x.got" &&
	grep -q '|<-- <failure> -*|   <== I fails here$' "$tmp/x.got" &&
	grep -q "|-- <starttls/> -*>|$" "$tmp/x.got" && grep -q '|<-- <proceed/> -*|$' "$tmp/x.got" &&
	[ "$(grep -c "<stream:stream from=" "$tmp/x.got")" -eq 4 ]; then
	ok "XMPP: each element drawn (two streams each way), R marked on <auth/>, I on <failure>"
else nok "XMPP SASL failure" "$(cat "$tmp/x.got")"; fi

"$UCTLS" run --tap --no-fixes --ladder "$S/traversal/intermediate-not-sent.xml" \
	"$S/traversal/sip-status-403.xml" >"$tmp/tap.out" 2>/dev/null
bad=$(grep -Ev '^(TAP version 13|1\.\.2|ok [12] .*|not ok [12] .*|#.*|  .*)$' "$tmp/tap.out")
if [ -z "$bad" ] && [ "$(grep -c '^# connection 1 (tcp-connect)' "$tmp/tap.out")" -eq 2 ] &&
	grep -q '^# .*<== C fails here' "$tmp/tap.out"; then
	ok "--tap --ladder: two diagrams as TAP comments, nothing else added"
else nok "--tap --ladder" "stray lines: $bad"; fi

"$UCTLS" run --json --ladder "$S/traversal/intermediate-not-sent.xml" >"$tmp/j.out" 2>"$tmp/j.err"
st=$?
[ $st -eq 2 ] && [ ! -s "$tmp/j.out" ] && grep -q 'ladder' "$tmp/j.err" &&
	ok "--json --ladder: usage error, exit 2" || nok "--json --ladder: exit $st" "$(cat "$tmp/j.err")"

# docs/ladder.md: the block after "<!-- ladder: FILE -->" is what
# `uctls run --ladder FILE' draws (times and ports as they were).
doc=$top_srcdir/docs/ladder.md
f=$(sed -n 's/^<!-- ladder: \(.*\) -->$/\1/p' "$doc" | head -1)
if [ -z "$f" ]; then
	nok "docs/ladder.md has no <!-- ladder: FILE --> example"
else
	awk -v m="<!-- ladder: $f -->" '$0 == m { on = 1; next }
		on && /^```/ { if (in_block) exit; in_block = 1; next }
		in_block' "$doc" | shape >"$tmp/d.want"
	"$UCTLS" run --no-fixes --ladder "$top_srcdir/$f" | shape >"$tmp/d.got"
	[ -s "$tmp/d.want" ] && same "docs/ladder.md's example ($f) is what a run draws" "$tmp/d.want" "$tmp/d.got" ||
		nok "docs/ladder.md: empty example for $f"
fi

"$UCTLS" run --no-fixes --ladder --output text="$tmp/o.txt" --output tap="$tmp/o.tap" \
	"$S/traversal/intermediate-not-sent.xml" >"$tmp/o.out" 2>&1
shape <"$tmp/o.out" >"$tmp/o.want"
shape <"$tmp/o.txt" >"$tmp/o.got"
sed -n 's/^# //p' "$tmp/o.tap" | shape >"$tmp/o.tapgot"
if [ -s "$tmp/o.want" ] && cmp -s "$tmp/o.want" "$tmp/o.got" && cmp -s "$tmp/o.want" "$tmp/o.tapgot"; then
	ok "--output text=FILE and tap=FILE carry the ladder of standard output"
else nok "--output text/tap=FILE: no ladder, or another one" "$(diff "$tmp/o.want" "$tmp/o.got" | head -5)"; fi
exit $fail
