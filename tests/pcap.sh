#!/bin/bash
# tests/pcap.sh — `uctls run --pcap FILE' (uctls(1), src/pcap.h): every
# connection of a run as pcapng with the TLS secrets inside, read back by
# tshark with no key log file.  TAP.  env: UCTLS, top_srcdir.
#   1. a traversal, an xmpp-s2s and a failing traversal scenario in one run
#      (-j 2): exit 0, and the connections are in the file in input order
#      (the comment on each SYN names the scenario);
#   2. tshark -Y sip shows the decrypted SIP OPTIONS and its 200 OK;
#   3. tshark -Y xmpp shows a <stream:stream> inside TLS, after STARTTLS's
#      <proceed/> (the restarted stream, decrypted);
#   4. the failing scenario's alert (unknown_ca) is decrypted;
#   5. with the Decryption Secrets Blocks removed (editcap
#      --discard-all-secrets) no SIP is decoded: the secrets in the file are
#      what decrypts it;
#   6. the text report gives each connection's real ports, and the client
#      port is the one in the capture's SYN;
#   7. one side real (--listen E, --remote E: two uctls processes): each
#      capture holds its own side's session, decrypted (OPTIONS and 200 OK);
#   8. --pcap through a symbolic link is refused (exit 2), the target intact;
#   9. a run of every tls scenario (the kernel reuses client ports): no frame
#      that Wireshark's TCP analysis flags, beyond "port numbers reused"
#      (each connection's sequence numbers are its own).
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
command -v tshark >/dev/null 2>&1 || { echo "1..0 # SKIP tshark not found (Debian package tshark)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-pcap.XXXXXX") || exit 1
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"' EXIT
export HOME="$tmp" # tshark's profile directory: none of the user's preferences
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }
S=$top_srcdir/scenarios
ts() { tshark -n -r "$@" 2>/dev/null; }

echo "1..11"
"$UCTLS" run -j 2 --no-fixes --pcap "$tmp/a.pcapng" "$S/traversal/intermediate-not-sent-ok.xml" \
	"$S/xmpp-s2s/expired-ok.xml" "$S/traversal/intermediate-not-sent.xml" >"$tmp/a.out" 2>"$tmp/a.err"
st=$?
[ $st -eq 0 ] && [ -s "$tmp/a.pcapng" ] && ok "three scenarios, -j 2: exit 0, a capture written" ||
	nok "exit $st" "$(cat "$tmp/a.err")"
order=$(ts "$tmp/a.pcapng" -Y frame.comment -T fields -e frame.comment | sed 's/^uctls: \([^,]*\), connection \([0-9]*\).*/\1 \2/' | tr '\n' ' ')
want="traversal/intermediate-not-sent-ok 1 traversal/intermediate-not-sent-ok 2 traversal/intermediate-not-sent-ok 3 xmpp-s2s/expired-ok 1 traversal/intermediate-not-sent 1 "
[ "$order" = "$want" ] && ok "... every connection, in input order" || nok "... order" "got:  $order" "want: $want"

sip=$(ts "$tmp/a.pcapng" -Y sip)
if printf '%s\n' "$sip" | grep -q 'SIP.*Request: OPTIONS sip:expe.example.com' &&
	printf '%s\n' "$sip" | grep -q 'SIP.*Status: 200 OK (OPTIONS)'; then
	ok "tshark -Y sip: the decrypted OPTIONS and its 200 OK"
else nok "tshark -Y sip" "$sip"; fi

proceed=$(ts "$tmp/a.pcapng" -Y 'xmpp.proceed' -T fields -e frame.number | head -1)
stream=$(ts "$tmp/a.pcapng" -Y 'tls && xmpp.stream' -T fields -e frame.number | head -1)
if [ -n "$proceed" ] && [ -n "$stream" ] && [ "$stream" -gt "$proceed" ]; then
	ok "tshark -Y xmpp: <stream:stream> decrypted after STARTTLS (frame $stream after <proceed/> in $proceed)"
else nok "xmpp: proceed in '$proceed', stream in TLS in '$stream'" "$(ts "$tmp/a.pcapng" -Y xmpp)"; fi

alert=$(ts "$tmp/a.pcapng" -Y 'tls.alert_message.desc == 48' -T fields -e tcp.srcport -e tcp.dstport)
[ -n "$alert" ] && ok "the failing scenario's alert unknown_ca, decrypted (TLS 1.3)" ||
	nok "no decrypted unknown_ca alert" "$(ts "$tmp/a.pcapng" -Y tls.alert_message)"

if editcap --discard-all-secrets "$tmp/a.pcapng" "$tmp/nosecrets.pcapng" 2>/dev/null; then
	nosip=$(ts "$tmp/nosecrets.pcapng" -Y sip | wc -l)
	[ "$nosip" -eq 0 ] && ok "without its secrets blocks the same capture decodes no SIP" ||
		nok "SIP decoded without secrets: $nosip frames"
else
	ok "# SKIP editcap has no --discard-all-secrets"
fi

# The text report: "connection 1 (tcp-connect): C 127.0.0.1:P -> E 127.0.0.1:Q, in
# the capture as server port 5061"; P is the SYN's source port.
line=$(grep -m1 'connection 1 (tcp-connect): C ' "$tmp/a.out")
cport=$(printf '%s\n' "$line" | sed -n 's/.*: C [0-9.]*:\([0-9]*\) -> E [0-9.]*:[0-9]*, in the capture as server port 5061$/\1/p')
syn=$(ts "$tmp/a.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.srcport | head -1)
[ -n "$cport" ] && [ "$cport" = "$syn" ] && ok "the text report's ports: client port $cport is the SYN's" ||
	nok "ports: report '$line', SYN from '$syn'"

# One side real: E listens (uctls --listen), C dials it (a second uctls,
# --remote); each writes the capture of the side it plays.
cat >"$tmp/real.xml" <<X
<scenario name="pcap/real" family="traversal">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Pcap Root"/>
    <cert id="expe" issuer="root" subject="CN=expe.example.com" san="DNS:expe.example.com"/>
    <cert id="expc" issuer="root" subject="CN=expc.example.com" san="DNS:expc.example.com"/>
  </pki>
  <peer id="C" role="client" sends="expc" trusts="root" peer-address="expe.example.com" ssh-tunnel="no"/>
  <peer id="E" role="server" sends="expe" trusts="root" tls-verify-name="expc.example.com"/>
  <expect result="pass"/>
</scenario>
X
export UCTLS_KEY_CACHE="$tmp/keys" # both processes build the same PKI
mkfifo "$tmp/fifo"
"$UCTLS" run --timeout 2000 --pcap "$tmp/listen.pcapng" --listen E=127.0.0.1:0 "$tmp/real.xml" \
	>"$tmp/listen.out" 2>"$tmp/fifo" &
lpid=$!
exec 3<"$tmp/fifo"
line=
read -r -t 30 -u 3 line # "uctls: playing E, listening on 127.0.0.1:PORT"
port=${line##*:}
"$UCTLS" run --timeout 2000 --pcap "$tmp/remote.pcapng" --remote "E=127.0.0.1:$port" "$tmp/real.xml" \
	>"$tmp/remote.out" 2>&1
rst=$?
wait "$lpid"
lst=$?
lpid=
cat <&3 >/dev/null
exec 3<&-
for side in listen remote; do
	sip=$(ts "$tmp/$side.pcapng" -Y sip)
	if printf '%s\n' "$sip" | grep -q 'Request: OPTIONS' && printf '%s\n' "$sip" | grep -q 'Status: 200 OK'; then
		ok "one side real, --$side: its capture decrypts the OPTIONS and the 200 OK"
	else nok "--$side (exit listen $lst, remote $rst): tshark -Y sip" "$sip" "$(cat "$tmp/$side.out")"; fi
done

echo keep >"$tmp/target"
ln -s "$tmp/target" "$tmp/link.pcapng"
"$UCTLS" run --no-fixes --pcap "$tmp/link.pcapng" "$S/tls/expired.xml" >/dev/null 2>"$tmp/l.err"
st=$?
[ $st -eq 2 ] && [ "$(cat "$tmp/target")" = keep ] && ok "--pcap through a symbolic link: refused, exit 2" ||
	nok "symlink: exit $st, target '$(cat "$tmp/target")'" "$(cat "$tmp/l.err")"

"$UCTLS" run -q -j 2 --no-fixes --pcap "$tmp/tls.pcapng" "$S"/tls/*.xml >/dev/null 2>&1
flagged=$(ts "$tmp/tls.pcapng" -Y 'tcp.analysis.flags && !tcp.analysis.reused_ports')
nsyn=$(ts "$tmp/tls.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' | wc -l)
[ "$nsyn" -gt 50 ] && [ -z "$flagged" ] && ok "every tls scenario: $nsyn connections, none flagged by TCP analysis" ||
	nok "$nsyn connections; flagged:" "$(printf '%s\n' "$flagged" | head -5)"
exit $fail
