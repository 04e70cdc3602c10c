#!/bin/bash
# Interop with a real SIP-TLS element: Kamailio (tls module, OpenSSL).
#
# One sip-trunk scenario is exported with `uctls pki export --for
# kamailio', and Kamailio runs that kamailio.cfg and tls.cfg unchanged
# (ports given with -A) to play both roles uctls does not play:
#   - as the UAS B on tls:127.0.0.1:TPORT (B's certificate and key, B's
#     trust list as ca_list, verify_certificate and require_certificate on,
#     B's name checked by the script), answering OPTIONS with 200 via
#     sl_send_reply; uctls plays the UAC A with --remote B=127.0.0.1:TPORT;
#   - as the UAC A: an OPTIONS sent to its udp:127.0.0.1:UPORT for
#     sip:PORT@127.0.0.1 is relayed with t_relay over TLS (A's certificate
#     and key as [client:default]) to 127.0.0.1:PORT, where uctls plays B
#     with --listen B=127.0.0.1:0.
# For each case the observed side's records (step, status, reason) must be
# the expected ones and equal those of the simulated twin (the same
# scenario run without --remote/--listen), and Kamailio's log must show
# what it saw (the alert uctls sent, or its own verification failure).
# TAP.  env: UCTLS (default $top_builddir/harness/uctls).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
pl_python
pl_kamailio_modules tls sl textops tm pv
# uctls is the program under test, not an external tool: without it, or
# when it fails, the test fails (SKIP is for a missing external tool only).
# The export and every later uctls run build the same keys (pl_start sets
# UCTLS_KEY_CACHE), so the chains Kamailio loads verify against the
# certificates uctls generates.
pl_start kamailio # $tmp, traps, UCTLS_KEY_CACHE, n, fail
kpid=
lpid=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	if [ -n "$kpid" ]; then
		kill "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
	fi
}
klog="$tmp/kamailio.log"

log_lines() {
	echo $(($(wc -l <"$klog") + 1))
}

# scenario NAME A-ATTRS B-ATTRS EXPECT: one PKI for every case; the cases
# differ only in the peers.  A (uac.example.com) and B
# (kamailio.example.com) are issued by "root"; "a-other" is A's name issued
# by a root B does not trust.
scenario() {
	cat >"$tmp/$1.xml" <<X
<scenario name="kamailio/$1" family="sip-trunk">
  <summary>interop with Kamailio: $1</summary>
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Interop Root"/>
    <ca id="other" subject="CN=Some Other Root"/>
    <cert id="a" issuer="root" subject="CN=uac.example.com" san="DNS:uac.example.com"/>
    <cert id="a-other" issuer="other" subject="CN=uac.example.com" san="DNS:uac.example.com"/>
    <cert id="b" issuer="root" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"/>
  </pki>
  <peer id="A" role="client" $2/>
  <peer id="B" role="server" sends="b" trusts="root" $3/>
  $4
</scenario>
X
}

# Kamailio as B (uctls --remote).
kam='verify-name="kamailio.example.com"'
uac='verify-name="uac.example.com"'
scenario pass "sends=\"a\" trusts=\"root\" $kam" "$uac" '<expect result="pass"/>'
scenario pass-tls12 "sends=\"a\" trusts=\"root\" tls=\"1.2\" $kam" "$uac" '<expect result="pass"/>'
scenario untrusted "sends=\"a\" trusts=\"other\" $kam" "$uac" \
	'<expect fail-at="tls-handshake" side="A" reason="untrusted-root" other="alert:unknown-ca"/>'
scenario client-untrusted "sends=\"a-other\" trusts=\"root\" $kam" "$uac" \
	'<expect fail-at="tls-handshake" side="B" reason="untrusted-root" other="alert:unknown-ca"/>'
scenario no-client-cert "trusts=\"root\" $kam" "$uac" \
	'<expect fail-at="tls-handshake" side="B" reason="no-client-cert" other="alert:certificate-required"/>'
scenario name-mismatch 'sends="a" trusts="root" verify-name="trunk.example.com"' "$uac" \
	'<expect fail-at="tls-handshake" side="A" reason="name-mismatch" other="alert:bad-certificate"/>'
# Kamailio as A (uctls --listen).
scenario uas-pass "sends=\"a\" trusts=\"root\" $kam" "$uac" '<expect result="pass"/>'
scenario uas-name-mismatch "sends=\"a\" trusts=\"root\" $kam" 'verify-name="trunk.example.com"' \
	'<expect fail-at="tls-handshake" side="B" reason="name-mismatch" other="alert:bad-certificate"/>'

exp="$tmp/export"
# Kamailio's configuration is uctls's own (`pki export --for kamailio'),
# nothing written here: a failing export fails the test.
if ! "$UCTLS" pki export --for kamailio "$tmp/pass.xml" "$exp" >"$tmp/export.out" 2>&1; then
	echo "Bail out! uctls pki export --for kamailio failed: $(head -c 300 "$tmp/export.out" | tr '\n' ' ')"
	exit 1
fi

read -r tport uport < <(pl_free_port tcp udp)
kargs=(-f "$exp/kamailio.cfg" -A "TLS_PORT=$tport" -A "UDP_PORT=$uport")

echo "1..8"
if ! kamailio -c "${kargs[@]}" >"$tmp/check.log" 2>&1; then
	echo "Bail out! kamailio -c rejected the exported configuration"
	sed 's/^/# /' "$tmp/check.log" | grep -v INFO | tail -20
	exit 1
fi
mkdir -p "$tmp/run"
kamailio -DD -E "${kargs[@]}" -Y "$tmp/run" -P "$tmp/run/kamailio.pid" \
	-m 32 -M 4 >"$klog" 2>&1 &
kpid=$!
if ! pl_wait_log "$klog" "uctls-peer: kamailio ready" 20 >/dev/null; then
	echo "Bail out! kamailio did not start"
	grep -v INFO "$klog" | tail -20 | sed 's/^/# /'
	exit 1
fi

# check NAME MODE SIDE WANT [TLS-VERSION]: the JSON of the real run
# ($tmp/NAME.real) must have matched its <expect>; SIDE's records
# (step:status:reason, "-" for none, not counting "unobserved") must be
# WANT and equal the simulated twin's ($tmp/NAME.sim); the other side must
# be reported as unobserved.
check() {
	"$py" - "$tmp/$1.real" "$tmp/$1.sim" "$3" "$4" "${5:-}" <<'P'
import json, sys
real_f, sim_f, side, want, tlsv = sys.argv[1:6]
real = json.loads(open(real_f).readline())
sim = json.loads(open(sim_f).readline())
def recs(o, sd):
    return ["%s:%s:%s" % (s["step"], s["status"], s["reason"] or "-")
            for s in o["steps"] if s["side"] == sd and s["status"] != "unobserved"]
errs = []
got = recs(real, side)
if sorted(got) != sorted(want.split(",")):
    errs.append("%s recorded %s, expected %s" % (side, got, want))
if sorted(got) != sorted(recs(sim, side)):
    errs.append("%s: real run %s, simulated twin %s" % (side, got, recs(sim, side)))
other = [s for s in real["sides"] if s["id"] != side]
if not other or not other[0]["remote"]:
    errs.append("the other side is not marked remote")
elif {s["status"] for s in real["steps"] if s["side"] == other[0]["id"]} != {"unobserved"}:
    errs.append("the other side's steps are not all unobserved")
if not real["matched"]:
    errs.append("did not match its expectation: %s" % real["why"])
if tlsv and (real["tls"] or {}).get("version") != tlsv:
    errs.append("TLS version %s, expected %s" % ((real["tls"] or {}).get("version"), tlsv))
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
}

# report NAME DESCRIPTION UCTLS-RC WANT-RC LOG-PATTERN FROM CHECK-ARGS...
report() {
	local name=$1 desc=$2 rc=$3 wrc=$4 pat=$5 from=$6 out
	shift 6
	n=$((n + 1))
	out=$(check "$name" "$@" 2>&1)
	local ok=$?
	if [ "$rc" != "$wrc" ]; then
		out="uctls exited $rc, expected $wrc${out:+
$out}"
		ok=1
	fi
	if [ -n "$pat" ] && ! pl_wait_log "$klog" "$pat" 5 "$from" >/dev/null; then
		out="Kamailio's log has no line matching /$pat/${out:+
$out}"
		ok=1
	fi
	if [ $ok -eq 0 ]; then
		echo "ok $n - $name: $desc"
	else
		fail=1
		echo "not ok $n - $name: $desc"
		printf '%s\n' "$out" | sed 's/^/# /'
		# what uctls itself said (the real run, then the simulated twin)
		cat "$tmp/$name.err" "$tmp/$name.simerr" 2>/dev/null | grep -v 'listening on' |
			head -20 | sed 's/^/# uctls: /'
		grep -v INFO "$klog" | tail -n "+$from" | tail -8 | sed 's/^/# kamailio: /'
	fi
}

# remote NAME DESCRIPTION LOG-PATTERN A-WANT [TLS-VERSION]: uctls plays A
# against Kamailio playing B.
remote() {
	local from rc
	"$UCTLS" run --json "$tmp/$1.xml" >"$tmp/$1.sim" 2>"$tmp/$1.simerr"
	from=$(log_lines)
	"$UCTLS" run --json --timeout 5000 --remote "B=127.0.0.1:$tport" "$tmp/$1.xml" \
		>"$tmp/$1.real" 2>"$tmp/$1.err"
	rc=$?
	report "$1" "$2" "$rc" 0 "$3" "$from" remote A "$4" "${5:-}"
}

remote pass "uctls as UAC, Kamailio answers OPTIONS 200 over TLS 1.3" "" \
	"tcp-connect:pass:-,tls-handshake:pass:-,sip-request:pass:-" TLS1.3
remote pass-tls12 "the same over TLS 1.2" "" \
	"tcp-connect:pass:-,tls-handshake:pass:-,sip-request:pass:-" TLS1.2
remote untrusted "A does not trust Kamailio's root: untrusted-root, Kamailio gets unknown_ca" \
	"alert unknown ca" \
	"tcp-connect:pass:-,tls-handshake:fail:untrusted-root,sip-request:not-reached:-"
remote client-untrusted "Kamailio's ca_list rejects A's chain: A gets alert unknown-ca" \
	"certificate verify failed" \
	"tcp-connect:pass:-,tls-handshake:fail:alert:unknown-ca,sip-request:not-reached:-"
remote no-client-cert "A sends no certificate, Kamailio requires one: alert certificate-required" \
	"peer did not return a certificate" \
	"tcp-connect:pass:-,tls-handshake:fail:alert:certificate-required,sip-request:not-reached:-"
remote name-mismatch "Kamailio's certificate lacks A's trunk name: Kamailio gets bad_certificate" \
	"alert bad certificate" \
	"tcp-connect:pass:-,tls-handshake:fail:name-mismatch,sip-request:not-reached:-"

# listen NAME DESCRIPTION LOG-PATTERN B-WANT: uctls plays B; a UDP OPTIONS
# to Kamailio makes it relay over TLS as A.  The answer relayed back is
# checked when B passes; otherwise the trigger is not waited for.
listen() {
	local line port from rc trig=0
	"$UCTLS" run --json "$tmp/$1.xml" >"$tmp/$1.sim" 2>"$tmp/$1.simerr"
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$UCTLS" run --json --timeout 10000 --listen B=127.0.0.1:0 "$tmp/$1.xml" \
		>"$tmp/$1.real" 2>"$tmp/fifo" &
	lpid=$!
	exec 3<"$tmp/fifo"
	line=
	read -r -t 20 -u 3 line # "uctls: playing B, listening on 127.0.0.1:PORT"
	port=${line##*:}
	from=$(log_lines)
	if [ -n "$port" ]; then
		"$py" - "$uport" "$port" "$([ "$4" = "${4#*fail}" ] && echo 1 || echo 0)" \
			>"$tmp/$1.trigger" 2>&1 <<'P'
import socket, sys
kport, uport, wait = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = s.getsockname()[1]
msg = ("OPTIONS sip:%s@127.0.0.1 SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-uctls-kamailio-%s;rport\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:test@127.0.0.1>;tag=t1\r\n"
       "To: <sip:%s@127.0.0.1>\r\n"
       "Call-ID: uctls-kamailio-%s@127.0.0.1\r\n"
       "CSeq: 1 OPTIONS\r\n"
       "Content-Length: 0\r\n\r\n") % (uport, me, uport, uport, uport)
s.sendto(msg.encode(), ("127.0.0.1", kport))
if not wait:
    sys.exit(0)
s.settimeout(10)
try:
    while True:
        data = s.recv(65535).decode(errors="replace")
        first = data.split("\r\n", 1)[0]
        if not first.startswith("SIP/2.0 1"):
            break
except socket.timeout:
    print("no answer relayed by Kamailio within 10 s")
    sys.exit(1)
print(first)
sys.exit(0 if first.startswith("SIP/2.0 200") else 1)
P
		trig=$?
	fi
	wait "$lpid"
	rc=$?
	lpid=
	cat <&3 >/dev/null
	exec 3<&-
	if [ -z "$port" ]; then
		n=$((n + 1))
		fail=1
		echo "not ok $n - $1: uctls --listen did not announce its port"
		return
	fi
	if [ $trig -ne 0 ]; then
		n=$((n + 1))
		fail=1
		echo "not ok $n - $1: the OPTIONS relayed through Kamailio was not answered 200"
		sed 's/^/# /' "$tmp/$1.trigger"
		return
	fi
	report "$1" "$2" "$rc" 0 "$3" "$from" listen B "$4"
}

listen uas-pass "Kamailio relays OPTIONS over TLS to uctls as UAS, 200 comes back" "" \
	"tcp-connect:pass:-,tls-handshake:pass:-,sip-request:pass:-"
listen uas-name-mismatch "B expects another trunk name: name-mismatch, Kamailio gets bad_certificate" \
	"alert bad certificate" \
	"tcp-connect:pass:-,tls-handshake:fail:name-mismatch,sip-request:not-reached:-"
exit $fail
