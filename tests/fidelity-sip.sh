#!/bin/bash
# Fidelity of the sip-trunk family against Kamailio 5.6 (tls module):
# one scenario, two worlds, one answer.
#
# Each case is one scenario with one <expect>, both peers with profile
# "kamailio" (a Kamailio-to-Kamailio trunk: the chain is checked in the
# handshake by OpenSSL, the client's name by B's routing script, refused
# with script-status; as a client Kamailio checks no name).  It is run
# three times and must match its <expect> each time, and the observed
# side's records (step:status:reason) must equal the simulated run's:
#   sim     both peers in process;
#   remote  Kamailio plays B (the UAS) on its TLS port, uctls plays A
#           (--remote B=...);
#   listen  Kamailio plays A: an OPTIONS sent to its UDP port is relayed
#           over TLS to uctls playing B (--listen B=127.0.0.1:0).
# Kamailio is configured only from `uctls pki export --for kamailio' (its
# kamailio.cfg and tls.cfg); when the export fails, the test fails.
# TAP.  env: UCTLS (default $top_builddir/harness/uctls).
set -u

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

UCTLS=${UCTLS:-${top_builddir:-.}/harness/uctls}
command -v python3 >/dev/null 2>&1 || skip "python3 not found (needed to read the JSON reports)"
# The interpreter itself, once: a version-manager shim costs a process per call.
py=$(python3 -c 'import sys; print(sys.executable)') || skip "python3 does not run"
command -v kamailio >/dev/null 2>&1 || skip "kamailio not found (Debian: apt-get install kamailio)"
moddirs=$(kamailio -I 2>/dev/null | sed -n 's/^.*Default paths to modules: *//p')
for m in tls sl tm pv xlog textops; do
	found=
	IFS=: read -r -a dirs <<<"$moddirs"
	for d in "${dirs[@]}"; do
		[ -f "$d/$m.so" ] && found=1
	done
	[ -n "$found" ] || skip "Kamailio module $m not found in '$moddirs'" \
		"(Debian: apt-get install kamailio kamailio-tls-modules)"
done
[ -x "$UCTLS" ] || {
	echo "Bail out! uctls binary not found at $UCTLS (build it first)"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-fidelity-sip.XXXXXX") || exit 1
spid=
tpid=
tport=
uport=
cleanup() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP INT TERM
export UCTLS_KEY_CACHE="$tmp/keys" # the export and the runs share keys
n=0
fail=0

# wait_log FILE PATTERN SECONDS: waits (bounded) for a line of FILE
# matching the extended regex PATTERN; prints it.
wait_log() {
	local rc
	exec 4< <(exec timeout "$3" tail -n +1 -F "$1" 2>/dev/null)
	tpid=$!
	grep -m1 -E -e "$2" <&4
	rc=$?
	kill "$tpid" 2>/dev/null
	tpid=
	exec 4<&-
	return $rc
}

# free_ports: a TCP and a UDP port free on 127.0.0.1 right now.
free_ports() {
	"$py" -c 'import socket
t = socket.socket(); t.bind(("127.0.0.1", 0))
u = socket.socket(type=socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t.getsockname()[1], u.getsockname()[1])'
}

# scenario NAME A-SENDS B-SENDS B-NAME EXPECT: one PKI for every case (no
# <clock>: Kamailio verifies at the real time).
scenario() {
	cat >"$tmp/$1.xml" <<X
<scenario name="fidelity/kamailio-$1" family="sip-trunk">
  <summary>fidelity against Kamailio: $1</summary>
  <pki>
    <ca id="root" subject="CN=Fidelity Root"/>
    <ca id="other" subject="CN=Some Other Root"/>
    <ca id="int" issuer="root" subject="CN=Fidelity Issuing CA"/>
    <cert id="b" issuer="int" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"/>
    <cert id="b-expired" issuer="int" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"
          not-before="-400d" not-after="-1d"/>
    <cert id="b-future" issuer="int" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"
          not-before="+30d" not-after="+400d"/>
    <cert id="b-other" issuer="other" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"/>
    <cert id="b-self" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"/>
    <cert id="a" issuer="int" subject="CN=uac.example.com" san="DNS:uac.example.com"/>
    <cert id="a-cn" issuer="int" subject="CN=uac.example.com"/>
    <cert id="a-wild" issuer="int" subject="CN=*.example.com" san="DNS:*.example.com"/>
    <cert id="a-srvonly" issuer="int" subject="CN=uac.example.com" san="DNS:uac.example.com"
          eku="serverAuth"/>
    <cert id="a-other" issuer="other" subject="CN=uac.example.com" san="DNS:uac.example.com"/>
    <cert id="a-expired" issuer="int" subject="CN=uac.example.com" san="DNS:uac.example.com"
          not-before="-400d" not-after="-1d"/>
  </pki>
  <peer id="A" role="client" profile="kamailio" sends="$2" trusts="root" verify-name="kamailio.example.com"/>
  <peer id="B" role="server" profile="kamailio" sends="$3" trusts="root" verify-name="$4"/>
  $5
</scenario>
X
}

# The cases: NAME A-SENDS B-SENDS (ids joined by commas) B-NAME STEP SIDE
# REASON OTHER ("-": a passing control).  Alerts are OpenSSL's
# (ssl_x509err2alert); the name check is B's script (403).
cases() {
	cat <<'C'
pass                  a,int          b,int          uac.example.com    -             -  -                        -
tls12-pass            a,int          b,int          uac.example.com    -             -  -                        -
missing-intermediate  a,int          b              uac.example.com    tls-handshake A  issuer-not-found         alert:unknown-ca
client-wrong-name     a,int          b,int          trunk.example.com  sip-request   B  name-mismatch            sip-status:403
cn-only-client        a-cn,int       b,int          uac.example.com    -             -  -                        -
wildcard-client       a-wild,int     b,int          uac.example.com    sip-request   B  wildcard-not-allowed     sip-status:403
expired               a,int          b-expired,int  uac.example.com    tls-handshake A  expired                  alert:certificate-expired
not-yet-valid         a,int          b-future,int   uac.example.com    tls-handshake A  not-yet-valid            alert:bad-certificate
untrusted-root        a,int          b-other        uac.example.com    tls-handshake A  untrusted-root           alert:unknown-ca
self-signed           a,int          b-self         uac.example.com    tls-handshake A  self-signed              alert:unknown-ca
server-only-as-client a-srvonly,int  b,int          uac.example.com    tls-handshake B  eku-client-auth-missing  alert:unsupported-certificate
client-untrusted      a-other        b,int          uac.example.com    tls-handshake B  untrusted-root           alert:unknown-ca
client-expired        a-expired,int  b,int          uac.example.com    tls-handshake B  expired                  alert:certificate-expired
C
}

# records FILE SIM SIDE: SIDE's records in the JSON report FILE, then in
# SIM's (the simulated run), one line each.
records() {
	"$py" - "$1" "$2" "$3" <<'P'
import json, sys
for f in sys.argv[1:3]:
    try:
        o = json.loads(open(f).readline())
    except Exception as e:
        print("no JSON report (%s)" % e)
        continue
    print(" ".join("%s:%s:%s" % (s["step"], s["status"], s["reason"] or "-")
                   for s in o["steps"] if s["side"] == sys.argv[3] and s["status"] != "unobserved"))
P
}

# verdict NAME MODE RC SIDE: one TAP line for the run MODE of NAME.
verdict() {
	local name=$1 mode=$2 rc=$3 side=$4 got want
	n=$((n + 1))
	{
		read -r got
		read -r want
	} < <(records "$tmp/$name.$mode" "$tmp/$name.sim" "$side")
	if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then
		echo "ok $n - $name $mode: $side recorded $got"
		return
	fi
	fail=1
	echo "not ok $n - $name $mode: uctls exited $rc; $side recorded '$got', simulated '$want'"
	sed 's/^/# uctls: /' "$tmp/$name.$mode.err" | grep -v listening | head -8
	sed -n 's/.*"why": *"\([^"]*\)".*/# why: \1/p' "$tmp/$name.$mode"
	grep -v INFO "$tmp/$name.klog" 2>/dev/null | grep -iE 'error|verif|alert|uctls' | head -5 |
		sed 's/^/# kamailio: /'
}

# kam_up DIR: starts Kamailio from the exported configuration on probed
# ports (tport, uport); waits (bounded) for its worker.
kam_up() {
	read -r tport uport < <(free_ports)
	mkdir -p "$1/run"
	kamailio -DD -E -f "$1/kamailio.cfg" -A "TLS_PORT=$tport" -A "UDP_PORT=$uport" \
		-Y "$1/run" -P "$1/run/kamailio.pid" -m 32 -M 4 >"$tmp/kam.log" 2>&1 &
	spid=$!
	wait_log "$tmp/kam.log" 'uctls-peer: kamailio ready' 20 >/dev/null
}

kam_down() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		spid=
	fi
}

# trigger PORT: an OPTIONS over UDP to Kamailio for sip:PORT@127.0.0.1,
# which it relays over TLS to 127.0.0.1:PORT; waits (bounded) for the
# final answer it relays back, if any, and prints its status line.
trigger() {
	"$py" - "$uport" "$1" <<'P'
import socket, sys
kport, uport = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = s.getsockname()[1]
msg = ("OPTIONS sip:%s@127.0.0.1 SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-uctls-fidelity-%s;rport\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:test@127.0.0.1>;tag=t1\r\n"
       "To: <sip:%s@127.0.0.1>\r\nCall-ID: uctls-fidelity-%s@127.0.0.1\r\n"
       "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") % (uport, me, uport, uport, uport)
s.sendto(msg.encode(), ("127.0.0.1", kport))
s.settimeout(8)
try:
    while True:
        first = s.recv(65535).decode(errors="replace").split("\r\n", 1)[0]
        if not first.startswith("SIP/2.0 1"):
            print(first)
            break
except socket.timeout:
    print("no final answer relayed within 8 s")
P
}

# one NAME: the three runs of one case (A observed against a real B, B
# observed against a real A).
one() {
	local name=$1 dir="$tmp/$1.d" sc="$tmp/$1.xml" line port rc lpid
	"$UCTLS" run --json "$sc" >"$tmp/$name.sim" 2>"$tmp/$name.sim.err"
	verdict "$name" sim $? A
	if ! "$UCTLS" pki export --for kamailio "$sc" "$dir" >"$tmp/$name.export" 2>&1; then
		fail=1
		n=$((n + 2))
		echo "not ok $((n - 1)) - $name: uctls pki export --for kamailio failed"
		sed 's/^/# /' "$tmp/$name.export"
		echo "not ok $n - $name: (no export, no listen run)"
		return
	fi
	if ! kam_up "$dir"; then
		kam_down
		fail=1
		n=$((n + 2))
		echo "not ok $((n - 1)) - $name: Kamailio did not start from the exported configuration"
		grep -v INFO "$tmp/kam.log" | tail -8 | sed 's/^/# /'
		echo "not ok $n - $name: (Kamailio not started, no listen run)"
		return
	fi
	"$UCTLS" run --json --timeout 5000 --remote "B=127.0.0.1:$tport" "$sc" \
		>"$tmp/$name.remote" 2>"$tmp/$name.remote.err"
	rc=$?
	cp "$tmp/kam.log" "$tmp/$name.klog"
	verdict "$name" remote "$rc" A
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$UCTLS" run --json --timeout 5000 --listen B=127.0.0.1:0 "$sc" \
		>"$tmp/$name.listen" 2>"$tmp/fifo" &
	lpid=$!
	exec 3<"$tmp/fifo"
	line=
	read -r -t 20 -u 3 line
	port=${line##*:}
	[ -n "$port" ] && trigger "$port" >"$tmp/$name.trigger" 2>&1
	wait "$lpid"
	rc=$?
	cat <&3 >"$tmp/$name.listen.err"
	exec 3<&-
	kam_down
	cp "$tmp/kam.log" "$tmp/$name.klog"
	verdict "$name" listen "$rc" B
	# What Kamailio itself logged (docs/fidelity.md quotes these).
	grep -E 'uctls-peer: refused|verify|SSL_ERROR|alert' "$tmp/$name.klog" | grep -v INFO |
		sed 's/^ *[0-9]*([0-9]*) //' | sort -u | head -4 | sed "s/^/# $name kamailio: /"
}

while read -r name as bs bname step side reason other; do
	as=${as//,/ }
	bs=${bs//,/ }
	if [ "$step" = - ]; then
		exp='<expect result="pass"/>'
	else
		exp="<expect fail-at=\"$step\" side=\"$side\" reason=\"$reason\" other=\"$other\"/>"
	fi
	scenario "$name" "$as" "$bs" "$bname" "$exp"
done < <(cases)
# tls12-pass: both peers on TLS 1.2 only.
sed -i 's|verify-name="\([a-z.]*\)"/>|verify-name="\1" tls="1.2"/>|' "$tmp/tls12-pass.xml"
echo "1..$(($(cases | wc -l) * 3))"
while read -r name _; do
	one "$name"
done < <(cases)
exit $fail
