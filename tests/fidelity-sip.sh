#!/bin/bash
# Fidelity of the sip-trunk family against Kamailio 5.6 (tls module):
# one scenario, two worlds, one answer.
#
# Two sets of cases.  The shipped ones: every scenarios/sip-trunk/*.xml is
# read (python3's XML parser, no hand list) and each peer with
# profile="kamailio" is a side Kamailio plays (the server-role peer: a
# remote run; the client-role peer: a listen run), the scenario copied
# with <clock now=> set to now (Kamailio verifies with the real clock).  A
# side not run is an exclusion, computed by a rule and printed with its
# cause; docs/fidelity.md must list each one of a scenario with a
# Kamailio side (the last test checks it): no peer has profile `kamailio'
# (no candidate), or the peer's profile is not `kamailio'; a certificate with a fixed date
# (the runs use the real clock); an <install> on Kamailio's side; as UAS,
# sip-response=garbage (Kamailio answers SIP); as UAC, a request= other
# than OPTIONS (the suite makes Kamailio relay an OPTIONS) or no
# certificate to send (its [client:default] always presents one).
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
# Cases run FIDELITY_JOBS (default 2) at a time, each with its own
# Kamailio on its own probed ports.
# TAP.  env: UCTLS (default $top_builddir/harness/uctls), top_srcdir.
# PEER_KEEP=1 keeps the work directory (table.md: the rows of
# docs/fidelity.md).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
jobs=${FIDELITY_JOBS:-2}
pl_python
pl_kamailio_modules tls sl tm pv xlog textops
pl_start fidelity-sip # $tmp, traps, UCTLS_KEY_CACHE, n, fail
spid=
tport=
uport=
wpids=
cleanup() {
	local p
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	for p in $wpids; do # a running case stops its Kamailio (its TERM trap)
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
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

# verdict NAME MODE RC SIDE: one TAP line for the run MODE of NAME, not
# numbered (the main shell numbers the lines of all cases in order).
verdict() {
	local name=$1 mode=$2 rc=$3 side=$4 got want
	{
		read -r got
		read -r want
	} < <(pl_records "$tmp/$name.$mode" "$tmp/$name.sim" "$side")
	if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then
		echo "ok - $name $mode: $side recorded $got"
		return
	fi
	echo "not ok - $name $mode: uctls exited $rc; $side recorded '$got', simulated '$want'"
	sed 's/^/# uctls: /' "$tmp/$name.$mode.err" | grep -v listening | head -8
	sed -n 's/.*"why": *"\([^"]*\)".*/# why: \1/p' "$tmp/$name.$mode"
	grep -v INFO "$tmp/$name.klog" 2>/dev/null | grep -iE 'error|verif|alert|uctls' | head -5 |
		sed 's/^/# kamailio: /'
}

# kam_up DIR: starts Kamailio from the exported configuration on probed
# ports (tport, uport); waits (bounded) for its worker.
kam_up() {
	read -r tport uport < <(pl_free_port tcp udp)
	mkdir -p "$1/run"
	kamailio -DD -E -f "$1/kamailio.cfg" -A "TLS_PORT=$tport" -A "UDP_PORT=$uport" \
		-Y "$1/run" -P "$1/run/kamailio.pid" -m 32 -M 4 >"$1/kam.log" 2>&1 &
	spid=$!
	pl_wait_log "$1/kam.log" 'uctls-peer: kamailio ready' 20 >/dev/null
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
# final answer it relays back, if any, and prints its status line.  Run it
# in the background (`trigger PORT &'): it execs python, so $! is python.
trigger() {
	exec "$py" - "$uport" "$1" <<'P'
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

# one NAME SID CID RS RC: the runs of one case, as unnumbered TAP lines:
# sim; remote (Kamailio plays the UAS SID, uctls the UAC CID, observed)
# when RS is 1; listen (Kamailio plays the UAC CID, uctls the UAS SID,
# observed) when RC is 1.  Run in a subshell of its own.
one() {
	local name=$1 sid=$2 cid=$3 rs=$4 rc=$5 dir="$tmp/$1.d" sc="$tmp/$1.xml" line port st lpid
	local trig='' i nreal=$(($4 + $5))
	trap 'kam_down; exit 143' TERM
	"$UCTLS" run --json "$sc" >"$tmp/$name.sim" 2>"$tmp/$name.sim.err"
	verdict "$name" sim $? "$cid"
	if ! "$UCTLS" pki export --for kamailio "$sc" "$dir" >"$tmp/$name.export" 2>&1; then
		for ((i = 0; i < nreal; i++)); do
			echo "not ok - $name: uctls pki export --for kamailio failed"
		done
		sed 's/^/# /' "$tmp/$name.export"
		return
	fi
	if ! kam_up "$dir"; then
		kam_down
		for ((i = 0; i < nreal; i++)); do
			echo "not ok - $name: Kamailio did not start from the exported configuration"
		done
		grep -v INFO "$dir/kam.log" | tail -8 | sed 's/^/# /'
		return
	fi
	if [ "$rs" = 1 ]; then
		"$UCTLS" run --json --timeout 5000 --remote "$sid=127.0.0.1:$tport" "$sc" \
			>"$tmp/$name.remote" 2>"$tmp/$name.remote.err"
		st=$?
		cp "$dir/kam.log" "$tmp/$name.klog"
		verdict "$name" remote "$st" "$cid"
	fi
	if [ "$rc" = 1 ]; then
		mkfifo "$tmp/$name.fifo"
		"$UCTLS" run --json --timeout 5000 --listen "$sid=127.0.0.1:0" "$sc" \
			>"$tmp/$name.listen" 2>"$tmp/$name.fifo" &
		lpid=$!
		exec 3<"$tmp/$name.fifo"
		line=
		read -r -t 20 -u 3 line
		port=${line##*:}
		# The relayed answer is only a diagnostic: when Kamailio refused
		# uctls's certificate none comes for a while (tm's timers), and
		# uctls's verdict does not wait for it.
		if [ -n "$port" ]; then
			trigger "$port" >"$tmp/$name.trigger" 2>&1 &
			trig=$!
		fi
		wait "$lpid"
		st=$?
		cat <&3 >"$tmp/$name.listen.err"
		exec 3<&-
		if [ -n "$trig" ]; then
			kill "$trig" 2>/dev/null
			wait "$trig" 2>/dev/null
		fi
	fi
	kam_down
	cp "$dir/kam.log" "$tmp/$name.klog"
	[ "$rc" != 1 ] || verdict "$name" listen "$st" "$sid"
	# What Kamailio itself logged (docs/fidelity.md quotes these).
	grep -E 'uctls-peer: refused|verify|SSL_ERROR|alert' "$tmp/$name.klog" | grep -v INFO |
		sed 's/^ *[0-9]*([0-9]*) //' | sort -u | head -4 | sed "s|^|# $name kamailio: |"
}

# The cases: NAME SID CID RUN-REMOTE RUN-LISTEN.  The table's first.
while read -r name as bs bname step side reason other; do
	as=${as//,/ }
	bs=${bs//,/ }
	if [ "$step" = - ]; then
		exp='<expect result="pass"/>'
	else
		exp="<expect fail-at=\"$step\" side=\"$side\" reason=\"$reason\" other=\"$other\"/>"
	fi
	scenario "$name" "$as" "$bs" "$bname" "$exp"
	echo "$name B A 1 1" >>"$tmp/cases"
done < <(cases)
if [ ! -s "$tmp/cases" ]; then
	echo "Bail out! the table of written cases is empty"
	exit 1
fi
# tls12-pass: both peers on TLS 1.2 only.
sed -i 's|verify-name="\([a-z.]*\)"/>|verify-name="\1" tls="1.2"/>|' "$tmp/tls12-pass.xml"

# Then every shipped scenario with a Kamailio side (the rules above), as
# sip-trunk/NAME, copied with the real time as its clock; the exclusions
# in $tmp/excluded (NAME<TAB>SIDE<TAB>CAUSE).
mkdir -p "$tmp/sip-trunk"
"$py" "$top_srcdir/tests/fidelity-select.py" kamailio "$top_srcdir" "$tmp" \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$tmp/cases" || exit 1

# At most JOBS cases at once, each in a subshell with its own Kamailio.
running=0
while read -r name sid cid rs rc; do
	(one "$name" "$sid" "$cid" "$rs" "$rc") >"$tmp/$name.tap" 2>"$tmp/$name.stderr" &
	wpids="$wpids $!"
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done <"$tmp/cases"
for p in $wpids; do wait "$p"; done
wpids=

# The TAP lines, numbered in the order of the cases; then the exclusions,
# each printed and each listed in docs/fidelity.md.
while read -r name _; do
	while IFS= read -r line; do
		case $line in
		"ok - "* | "not ok - "*)
			n=$((n + 1))
			[ "${line%% *}" = ok ] || fail=1
			line="${line%%- *}$n - ${line#*- }"
			;;
		esac
		echo "$line"
	done <"$tmp/$name.tap"
	sed 's/^/# /' "$tmp/$name.stderr"
done <"$tmp/cases"
# The rows of docs/fidelity.md's tables (PEER_KEEP=1 keeps table.md).
"$py" - "$tmp" <<'P'
import json, os, re, sys
tmp = sys.argv[1]
def load(p):
    try:
        with open(p) as f:
            return json.loads(f.readline())
    except (OSError, ValueError):
        return None
def fail(o, other=True):
    f = o and o.get("failure")
    if o is None:
        return "—"
    if not f:
        return "pass"
    r = "%s/%s/%s" % (f["step"], f["side"], f["reason"])
    for s in o["steps"] if other else []:
        if s["step"] == f["step"] and s["side"] != f["side"] and s["status"] == "fail":
            r += " (%s)" % s["reason"]
    return r
def klog(p):
    try:
        t = open(p).read()
    except OSError:
        return "—"
    l = sorted(set(re.sub(r"^.*?(uctls-peer: |tls_err_ret\(\): )", "", m).replace(" (sni: unknown)", "")
                   for m in re.findall(r"^.*(?:uctls-peer: refused|tls_err_ret).*$", t, re.M)))
    return "; ".join("`%s`" % x for x in l) or "—"
rows = []
for line in open(os.path.join(tmp, "cases")):
    name = line.split()[0]
    b = os.path.join(tmp, name)
    rows.append("| %s | %s | %s | %s | %s |" % (name, fail(load(b + ".sim")),
                fail(load(b + ".remote"), False), fail(load(b + ".listen"), False), klog(b + ".klog")))
open(os.path.join(tmp, "table.md"), "w").write("\n".join(rows) + "\n")
P
missing=
sides=0
while IFS=$'\t' read -r name side why; do
	row="| $name | $side | $why |"
	echo "# excluded: $row"
	[ "$side" != - ] || continue # no candidate: the doc gives the rule
	sides=$((sides + 1))
	grep -qF -- "$row" "$top_srcdir/docs/fidelity.md" || missing="$missing$row"$'\n'
done <"$tmp/excluded"
n=$((n + 1))
if [ -z "$missing" ]; then
	echo "ok $n - docs/fidelity.md lists each of the $sides sides not run"
else
	fail=1
	echo "not ok $n - docs/fidelity.md lists each of the $sides sides not run; missing:"
	printf '%s' "$missing" | sed 's/^/#   /'
fi
echo "1..$n"
exit $fail
