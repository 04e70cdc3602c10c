#!/bin/bash
# Hostile real peers (tests/hostile-peer.py) against `uctls run --remote':
# a peer that floods, trickles bytes, or keeps the connection alive without
# ever completing a step must not hold uctls beyond its step deadline (the
# step's start plus --timeout) and the bounded lingering close.  Each case
# checks that uctls exits within 3 times the timeout, with the failing
# step's reason, and a detail that says what arrived.  TAP.  env: UCTLS,
# top_srcdir.
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

# The SIP peer answers over TLS with the certificate uctls expects of B.
"$UCTLS" pki export "$srcdir/scenarios/sip-trunk/expired-ok.xml" "$tmp/pki" >/dev/null

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

run_all() {
	local i port peer sc t0 t1 rc
	for i in $(seq 1 "$ncase"); do
		port=
		read -r port <"$tmp/$i.fifo"
		sc=$(sed -n 3p "$tmp/$i.case")
		peer=$(sed -n 4p "$tmp/$i.case")
		(
			t0=$(date +%s%N)
			timeout 20 "$UCTLS" run --json --timeout "$TIMEOUT" \
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
echo "1..$ncase"
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
    rc, ms, port = open("%s/%d.rc" % (tmp, i)).read().split()
    ms = int(ms)
    why = None
    if port == "none":
        why = "the hostile peer did not print its port"
    elif rc == "124":
        why = "uctls was still running after 20 s"
    elif ms >= 3 * timeout:
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
exit $fail
