#!/bin/bash
# Hostile real peers (tests/hostile-peer.py) against `uctls run --remote':
# a peer that floods, trickles bytes, or keeps the connection alive without
# ever completing a step must not hold uctls beyond its step deadline (the
# step's start plus --timeout) and the bounded lingering close.  Each case
# checks that uctls exits within 3 times the timeout, with the failing
# step's reason, and a detail that says what arrived.
# Then every misbehaviour of <misbehave> (uctls-scenario(5)), played for
# real by the same script (`hostile-peer.py mb WHAT'), in both directions:
# against `uctls run --remote' (the peer is the server) and `--listen' (the
# peer is the client); uctls must end the honest side's step with the
# reason a simulated hostile peer gets (scenarios/*/hostile-*.xml), the
# failing step within twice the timeout.  TAP.  env: UCTLS, top_srcdir.
set -u
srcdir=${top_srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-hostile.XXXXXX") || exit 1
pids=
trap '[ -n "$pids" ] && kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT
TIMEOUT=1000
fail=0

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found (runs the hostile peer)"
	exit 0
fi

# The SIP peer answers over TLS with the certificate uctls expects of B;
# the others likewise (uctls reads the same PKI: --pki).
"$UCTLS" pki export "$srcdir/scenarios/sip-trunk/expired-ok.xml" "$tmp/pki" >/dev/null
"$UCTLS" pki export "$srcdir/scenarios/tls/expired-ok.xml" "$tmp/pki-tls" >/dev/null
"$UCTLS" pki export "$srcdir/scenarios/xmpp-s2s/expired-ok.xml" "$tmp/pki-xmpp" >/dev/null
have_openssl=1
command -v openssl >/dev/null 2>&1 || have_openssl=0

# The cases run side by side (python3 starts slowly): first every peer,
# each announcing its port, then every uctls, each timed, then one check of
# all the reports.
# case NAME MODE SCENARIO PEER STEP REASON DETAIL-REGEX [PEER-ARGS...]
ncase=0
case_() {
	local name=$1 mode=$2
	ncase=$((ncase + 1))
	printf '%s\n' "$@" >"$tmp/$ncase.case"
	mkfifo "$tmp/$ncase.fifo"
	shift 7
	python3 "$srcdir/tests/hostile-peer.py" "$mode" "$@" >"$tmp/$ncase.fifo" &
	pids="$pids $!"
}

# mb NAME WHAT DIRECTION SCENARIO PEER STEP REASON DETAIL-REGEX CHAIN KEY:
# a misbehaving real peer; DIRECTION remote: it is PEER, the server, which
# uctls dials with --remote; listen: uctls plays PEER with --listen and the
# misbehaving peer dials in as the client.  CHAIN, KEY: under the PKI
# directory of SCENARIO's family.
mb() {
	local name=$1 what=$2 dir=$3 sc=$4 peer=$5 step=$6 reason=$7 re=$8 chain=$9 key=${10}
	local pki=$tmp/pki-tls
	case $sc in sip-trunk/*) pki=$tmp/pki ;; xmpp-s2s/*) pki=$tmp/pki-xmpp ;; esac
	if [ "$what" = renegotiate ] && [ "$have_openssl" = 0 ]; then
		nskip=$((nskip + 1))
		return
	fi
	if [ "$dir" = remote ]; then
		case_ "$name" mb "$sc" "$peer" "$step" "$reason" "$re" "$what" server \
			"$pki/$chain" "$pki/$key"
	else
		ncase=$((ncase + 1))
		printf '%s\n' "$name" mb "$sc" "$peer" "$step" "$reason" "$re" >"$tmp/$ncase.case"
		printf '%s\n' "$what" "$pki/$chain" "$pki/$key" >"$tmp/$ncase.listen"
	fi
	echo "$pki" >"$tmp/$ncase.pki"
	# A peer that must answer mid-handshake (python3, openssl) may be slow
	# on a loaded machine: the cases that do not expect a timeout allow
	# more; they end at once anyway.
	[ "$reason" = timeout ] || echo 5000 >"$tmp/$ncase.timeout"
}

# uctls --listen for case I, then the misbehaving client dials in.
run_listen() {
	local i=$1 sc peer pki line port t0 t1 rc upid ppid_ catpid
	sc=$(sed -n 3p "$tmp/$i.case")
	peer=$(sed -n 4p "$tmp/$i.case")
	pki=$(cat "$tmp/$i.pki")
	mkfifo "$tmp/$i.lfifo"
	t0=$(date +%s%N)
	# The client is a python3 that may start slowly on a loaded machine:
	# the accept waits up to a minute, the steps after it are timed.
	timeout 90 "$UCTLS" run --json --timeout "$(cat "$tmp/$i.timeout" 2>/dev/null || echo "$TIMEOUT")" \
		--accept-timeout 60000 --pki "$pki" \
		--listen "$peer=127.0.0.1:0" "$srcdir/scenarios/$sc" >"$tmp/$i.json" 2>"$tmp/$i.lfifo" &
	upid=$!
	exec 4<"$tmp/$i.lfifo"
	line=
	read -r -t 10 line <&4 # "uctls: playing PEER, listening on 127.0.0.1:PORT"
	port=${line##*:}
	cat <&4 >"$tmp/$i.err" &
	catpid=$!
	exec 4<&-
	python3 "$srcdir/tests/hostile-peer.py" mb "$(sed -n 1p "$tmp/$i.listen")" client \
		"$(sed -n 2p "$tmp/$i.listen")" "$(sed -n 3p "$tmp/$i.listen")" "${port:-1}" \
		>/dev/null 2>"$tmp/$i.perr" &
	ppid_=$!
	wait "$upid"
	rc=$?
	t1=$(date +%s%N)
	kill "$ppid_" 2>/dev/null
	wait "$ppid_" "$catpid" 2>/dev/null
	cat "$tmp/$i.perr" >>"$tmp/$i.err"
	echo "$rc $(((t1 - t0) / 1000000)) ${port:-none} listen" >"$tmp/$i.rc"
}

run_all() {
	local i port peer sc t0 t1 rc pki
	for i in $(seq 1 "$ncase"); do
		if [ -f "$tmp/$i.listen" ]; then
			run_listen "$i" &
			upids="$upids $!"
			continue
		fi
		port=
		read -r port <"$tmp/$i.fifo"
		sc=$(sed -n 3p "$tmp/$i.case")
		peer=$(sed -n 4p "$tmp/$i.case")
		pki=
		[ -f "$tmp/$i.pki" ] && pki=$(cat "$tmp/$i.pki")
		(
			t0=$(date +%s%N)
			timeout 20 "$UCTLS" run --json \
				--timeout "$(cat "$tmp/$i.timeout" 2>/dev/null || echo "$TIMEOUT")" ${pki:+--pki "$pki"} \
				--remote "$peer=127.0.0.1:${port:-1}" "$srcdir/scenarios/$sc" \
				>"$tmp/$i.json" 2>"$tmp/$i.err"
			rc=$?
			t1=$(date +%s%N)
			echo "$rc $(((t1 - t0) / 1000000)) ${port:-none}" >"$tmp/$i.rc"
		) &
		upids="$upids $!"
	done
	wait $upids
}

tls=tls/expired-ok.xml
xmpp=xmpp-s2s/expired-ok.xml
sip=sip-trunk/expired-ok.xml
pids=
upids=
# D7: the lingering close after a failure is bounded in bytes and in time.
case_ flood flood $tls server tls-handshake tls-error .
case_ junk-trickle junk-trickle $tls server tls-handshake tls-error .
# D8: each step has a deadline, whatever keeps arriving.
case_ tls-trickle tls-trickle $tls server tls-handshake timeout \
	'^server sent [0-9]+ bytes in [0-9]+ ms without completing the ServerHello'
case_ xmpp-header-trickle trickle $xmpp R stream-open timeout \
	'^R sent [0-9]+ bytes in [0-9]+ ms without completing the XMPP stream header \("<\?x'
case_ xmpp-whitespace whitespace $xmpp R stream-open timeout \
	'^R sent [0-9]+ bytes .* the stream features after the stream header .*ended ".*>  +"'
case_ xmpp-unknown-stanzas stanzas $xmpp R stream-open timeout \
	"^R sent [0-9]+ bytes .*the stream features.*<hostile xmlns='urn:x:hostile'/>"
case_ sip-100-trying sip-100 $sip B sip-request timeout \
	'^B sent [0-9]+ bytes .* a final SIP answer .*SIP/2\.0 100 Trying' \
	"$tmp/pki/B-chain.pem" "$tmp/pki/cup.key"
case_ sip-crlf-pings sip-crlf $sip B sip-request timeout \
	'^B sent [0-9]+ bytes .* a final SIP answer \("(\\r\\n)+"\)' \
	"$tmp/pki/B-chain.pem" "$tmp/pki/cup.key"
# D9: silence is reported as such.
case_ xmpp-silent silent $xmpp R stream-open timeout \
	'^I waited [0-9]+ ms for the XMPP stream header from R: nothing arrived'
# <misbehave>, played for real, both directions.
nskip=0
for dir in remote listen; do
	if [ "$dir" = remote ]; then
		me=server other=client chain=server-chain.pem key=cucm.key
	else
		me=client other=server chain=client-chain.pem key=gw.key
	fi
	mb "mb-garbage-$dir" garbage $dir $tls server tls-handshake tls-error \
		'^GnuTLS: An unexpected TLS packet was received' $chain $key
	mb "mb-truncate-$dir" truncate $dir $tls server tls-handshake timeout \
		"^$me sent [0-9]+ bytes in [0-9]+ ms without completing" $chain $key
	mb "mb-stall-$dir" stall $dir $tls server tls-handshake timeout \
		"^$other waited [0-9]+ ms for the (Server|Client)Hello from $me: nothing arrived" $chain $key
	mb "mb-stall-during-$dir" stall-during $dir $tls server tls-handshake timeout \
		"^$me sent [0-9]+ bytes .* after its (SERVER HELLO DONE|CLIENT HELLO)" $chain $key
	mb "mb-trickle-$dir" trickle $dir $tls server tls-handshake timeout \
		"^$me sent [0-9]+ bytes in [0-9]+ ms without completing the (Server|Client)Hello" $chain $key
	mb "mb-close-$dir" close $dir $tls server tls-handshake connection-closed \
		"^$me closed the connection without an alert" $chain $key
	mb "mb-close-during-$dir" close-during $dir $tls server tls-handshake connection-closed \
		"^$me closed the connection without an alert" $chain $key
	mb "mb-big-chain-$dir" big-chain $dir $tls server tls-handshake tls-error \
		'handshake data size is too large' $chain $key
done
mb mb-second-hello-listen second-hello listen $tls server tls-handshake tls-error \
	'^GnuTLS: ' client-chain.pem gw.key
mb mb-endless-header-remote endless-header remote $sip B sip-request sip-malformed \
	'^B sent bytes that are not a SIP message: headers longer than 16384' B-chain.pem cup.key
mb mb-endless-header-listen endless-header listen $sip B sip-request sip-malformed \
	'^A sent bytes that are not a SIP message: headers longer than 16384' A-chain.pem cucm.key
mb mb-endless-stanza-remote endless-stanza remote $xmpp R stream-open xmpp-malformed \
	'stanza larger than 65536' R-chain.pem cup.key
mb mb-endless-stanza-listen endless-stanza listen $xmpp R starttls xmpp-malformed \
	'stanza larger than 65536' I-chain.pem org.key
mb mb-renegotiate-remote renegotiate remote $sip B sip-request tls-error \
	'Rehandshake was requested by the peer' B-chain.pem cup.key
mb mb-renegotiate-listen renegotiate listen $sip B sip-request tls-error \
	'Rehandshake was requested by the peer' A-chain.pem cucm.key
# The loader types <misbehave> (uctls validate: FILE:LINE, exit 2).  Rows:
# what replaces <misbehave what="garbage"/> on the server of
# tls/hostile-garbage-server | the message expected.
bad=(
	'<misbehave what="fly"/>|:13: <misbehave>: on peer server: unknown what="fly"; expected one of: garbage,'
	'<misbehave what="endless-stanza"/>|:13: .*is for family xmpp-s2s, not tls'
	'<misbehave what="second-hello"/>|:13: .*second-hello" is for the client-role peer'
	'<misbehave what="garbage" at="during"/>|:13: .*takes no at= \(only stall and close do\)'
	'<misbehave what="stall" at="later"/>|:13: .*at="later"; expected before .* or during'
	'<misbehave what="renegotiate"/>|:13: .*needs tls="1.2" on the peer'
	'<misbehave what="trickle" extra="1"/>|:13: unknown attribute `extra. on <misbehave>'
	'<misbehave/>|:13: <misbehave>: missing required attribute `what.'
	'<misbehave what="stall"/><misbehave what="close"/>|:13: a second <misbehave> in <peer>'
	'<stall/>|:13: unknown element <stall> in <peer>'
)
echo "1..$((ncase + nskip + ${#bad[@]}))"
run_all
kill $pids 2>/dev/null
wait $pids 2>/dev/null
pids=
python3 - "$tmp" "$ncase" "$TIMEOUT" <<'P' || fail=1
import json, re, sys
tmp, n, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bad = 0
for i in range(1, n + 1):
    name, mode, sc, peer, step, reason, regex = open("%s/%d.case" % (tmp, i)).read().split("\n")[:7]
    rc, ms, port, *listen = open("%s/%d.rc" % (tmp, i)).read().split()
    ms = int(ms)
    try:
        timeout = int(open("%s/%d.timeout" % (tmp, i)).read())
    except OSError:
        timeout = int(sys.argv[3])
    why = None
    if port == "none":
        why = ("uctls --listen did not announce its port" if listen
               else "the hostile peer did not print its port")
    elif rc == "124":
        why = "uctls was still running at its time limit (timeout(1))"
    elif ms >= 3 * timeout and not listen:
        why = "uctls took %d ms (bound: %d ms)" % (ms, 3 * timeout)
    else:
        try:
            o = json.loads(open("%s/%d.json" % (tmp, i)).readline())
            f = [s for s in o["steps"] if s["status"] == "fail"]
            s = f[0] if f else None
            if s is None:
                why = "no failing step"
            elif (s["step"], s["reason"]) != (step, reason):
                why = "failed at %s with %s, expected %s with %s" % (
                    s["step"], s["reason"], step, reason)
            elif not re.search(regex, s["detail"] or ""):
                why = "detail %r does not match %r" % (s["detail"], regex)
            elif s["ms"] >= 2 * timeout:
                why = "the step took %.0f ms (bound: %d ms)" % (s["ms"], 2 * timeout)
        except (ValueError, OSError) as e:
            why = "no JSON report: %s" % e
    if why is None:
        print("ok %d - %s: %s fails with %s in %d ms" % (i, name, step, reason, ms))
    else:
        bad = 1
        print("not ok %d - %s: %s" % (i, name, why))
        for line in open("%s/%d.err" % (tmp, i)):
            print("# " + line.rstrip())
sys.exit(bad)
P
for i in $(seq 1 "$nskip"); do
	echo "ok $((ncase + i)) # SKIP openssl not found (renegotiates for the peer)"
done
n=$((ncase + nskip))
for row in "${bad[@]}"; do
	n=$((n + 1))
	sed "s|<misbehave what=\"garbage\"/>|${row%%|*}|" \
		"$srcdir/scenarios/tls/hostile-garbage-server.xml" >"$tmp/bad.xml"
	"$UCTLS" validate "$tmp/bad.xml" >/dev/null 2>"$tmp/bad.err"
	st=$?
	if [ "$st" -eq 2 ] && grep -Eq "^$tmp/bad.xml${row#*|}" "$tmp/bad.err"; then
		echo "ok $n - loader: ${row%%|*}: $(cat "$tmp/bad.err" | sed "s|^$tmp/||")"
	else
		fail=1
		echo "not ok $n - loader: ${row%%|*}: exit $st: $(cat "$tmp/bad.err")"
	fi
done
exit $fail
