#!/bin/bash
# uctls probe against real servers on 127.0.0.1, each configured with a
# faulty chain from `uctls pki export': openssl s_server (family tls),
# Kamailio (sip-trunk), Prosody (xmpp-s2s).  For each: the probe names the
# fault (step, side, reason), exits 1, reports the chain the server sent
# (subject, SHA-256 fingerprint of the real certificate); `--save' writes a
# scenario that `uctls run' replays to the same step, side and reason, and
# whose cloned certificates say what the real ones say (subject, issuer,
# SANs, validity, key type and size, key usage, EKU, basic constraints).
# Then the usage errors: what was wrong and `see uctls probe --help', exit 2.
# A part whose server is not installed is skipped (ok # SKIP); when uctls
# fails, the test fails.  No fixed ports, no sleeps: every wait is bounded.
# TAP, plan at the end.  env: UCTLS, top_srcdir.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
pl_python
pl_start probe # $tmp, traps, UCTLS_KEY_CACHE, n, fail
spid=
kpid=
# shellcheck disable=SC2317 # called by pl_cleanup, at exit
cleanup() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
	[ -z "$kpid" ] || { kill "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null; }
}

tap() { # OK DESCRIPTION [DIAGNOSTICS]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		fail=1
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | head -30 | sed 's/^/# /'
	fi
}
skip() { # COUNT REASON
	local i
	for ((i = 0; i < $1; i++)); do
		n=$((n + 1))
		echo "ok $n # SKIP $2"
	done
}
finish() {
	echo "1..$n"
	exit "$fail"
}

# pki NAME FAMILY PKI PEERS: a scenario for `uctls pki export'
pki() {
	cat >"$tmp/$1.xml" <<X
<scenario name="probe/$1" family="$2">
  <pki>
$3
  </pki>
$4
</scenario>
X
}

# The checks of one probe.  verdict NAME RC WANT: the probe's exit status
# is 1, its JSON report's failure is WANT (step/side/reason), and the chain
# it reports is what the server sent (the SHA-256 of CERT.pem first).
verdict() { # NAME RC WANT CERT.pem DESCRIPTION
	local got
	got=$("$py" - "$tmp/$1.json" "$4" <<'P'
import json, subprocess, sys
o = json.loads(open(sys.argv[1]).readline())
f = [s for s in o["steps"] if s["status"] == "fail"]
print("%s/%s/%s" % (f[0]["step"], f[0]["side"], f[0]["reason"]) if f else "pass")
der = subprocess.run(["openssl", "x509", "-in", sys.argv[2], "-outform", "DER"],
                     capture_output=True).stdout
import hashlib
want = hashlib.sha256(der).hexdigest()
sent = [c for s in o["sides"] if s["remote"] for c in s["sent"]]
got = sent[0]["sha256"].replace(":", "").lower() if sent else "none"
if got != want:
    print("the server's first certificate: sha256 %s, the real one %s" % (got, want))
P
)
	if [ "$2" = 1 ] && [ "$got" = "$3" ]; then
		tap 0 "$5: probe names the fault ($3)"
	else
		tap 1 "$5: probe names the fault ($3)" "exit $2 (want 1), failure/notes: $got
$(head -c 2000 "$tmp/$1.err")"
	fi
}

# replay NAME WANT ORIG.pem DESCRIPTION: the saved scenario (valid by the
# DTD) runs to WANT and its cloned end-entity certificate says what
# ORIG.pem says.
replay() {
	local out rc diff
	out=$("$UCTLS" run --json --no-fixes "$tmp/$1.saved.xml" 2>&1)
	rc=$?
	out=$(printf '%s\n' "$out" | "$py" -c '
import json, sys
o = json.loads(sys.stdin.readline())
f = [s for s in o["steps"] if s["status"] == "fail" and not (s["reason"] or "").startswith("alert:")]
print("%s/%s/%s" % (f[0]["step"], f[0]["side"], f[0]["reason"]) if f else "pass", o["matched"])
' 2>&1)
	# and it is valid by the DTD, as every shipped scenario (tests/dtd.sh)
	if command -v xmllint >/dev/null 2>&1 &&
		! xmllint --noout --dtdvalid "$top_srcdir/scenarios/uctls-scenario.dtd" \
			"$tmp/$1.saved.xml" >"$tmp/$1.dtd" 2>&1; then
		rc="$rc, not valid by the DTD: $(head -5 "$tmp/$1.dtd")"
	fi
	if [ "$rc" = 0 ] && [ "$out" = "$2 True" ]; then
		tap 0 "$4: the saved scenario replays to $2"
	else
		tap 1 "$4: the saved scenario replays to $2" "uctls run exit $rc: $out
$(cat "$tmp/$1.saved.xml")"
	fi
	# The clone, exported, against the original.
	rm -rf "$tmp/$1.clone"
	if ! "$UCTLS" pki export "$tmp/$1.saved.xml" "$tmp/$1.clone" >"$tmp/$1.export" 2>&1; then
		tap 1 "$4: the cloned certificate says what the real one says" \
			"uctls pki export of the saved scenario failed: $(cat "$tmp/$1.export")"
		return
	fi
	diff=$(diff <(describe "$3") <(describe "$tmp/$1.clone/sent-0.pem") 2>&1)
	if [ -z "$diff" ]; then
		tap 0 "$4: the cloned certificate says what the real one says"
	else
		tap 1 "$4: the cloned certificate says what the real one says" "$diff"
	fi
}

# What is compared of a real certificate and its clone (openssl's words).
describe() {
	openssl x509 -in "$1" -noout -subject -issuer -dates -serial \
		-ext subjectAltName,keyUsage,extendedKeyUsage,basicConstraints 2>&1
	openssl x509 -in "$1" -noout -text 2>&1 | grep -E 'Public-Key:|Signature Algorithm' | sort -u
}

# probe NAME DESCRIPTION WANT CERT.pem RUNNER UCTLS-PROBE-ARGS...: one probe
# with --save, its verdict and its replay.  RUNNER: a command prefix (the
# Prosody namespace), or "".
probe() {
	local name=$1 desc=$2 want=$3 cert=$4 runner=$5 rc
	shift 5
	$runner timeout -k 2 60 "$UCTLS" probe --json --timeout 5000 --save "$tmp/$name.saved.xml" \
		"$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
	rc=$?
	verdict "$name" "$rc" "$want" "$cert" "$desc"
	replay "$name" "$want" "$cert" "$desc"
}

# --- openssl s_server: family tls ------------------------------------------
srv_up() { # DIR: the exported openssl-server.sh on a port of its own
	local line
	"$1/openssl-server.sh" 127.0.0.1:0 </dev/null >"$tmp/srv.log" 2>&1 &
	spid=$!
	line=$(pl_wait_log "$tmp/srv.log" '^ACCEPT' 10) || return 1
	sport=${line##*:}
}
srv_down() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
	spid=
}
tls_case() { # NAME DESCRIPTION WANT PKI-NAME PROBE-ARGS...
	local name=$1 desc=$2 want=$3 exp=$tmp/$4.export
	shift 4
	if ! srv_up "$exp"; then
		tap 1 "$desc: openssl s_server started" "$(cat "$tmp/srv.log")"
		return
	fi
	probe "$name" "$desc" "$want" "$exp/srv.pem" "" --family tls --trust "$exp/root.pem" \
		"$@" "127.0.0.1:$sport"
	srv_down
}

if ! command -v openssl >/dev/null 2>&1; then
	skip 10 "openssl not found (Debian: apt-get install openssl)"
else
	ca='    <ca id="root" subject="CN=Probe Root,O=Example"/>
    <ca id="int" issuer="root" subject="CN=Probe Issuing CA,O=Example" key="rsa-2048"/>'
	peers='<peer id="client" role="client" sends="cli" trusts="root" verify-name="srv.example.com"/>'
	pki leafonly tls "$ca
    <cert id=\"srv\" issuer=\"int\" subject=\"CN=srv.example.com,O=Example,C=DE\" key=\"rsa-2048\"
          san=\"DNS:srv.example.com,DNS:alt.example.com,IP:127.0.0.1\"/>
    <cert id=\"cli\" issuer=\"int\" subject=\"CN=cli.example.com\"/>" \
		"$peers<peer id=\"server\" role=\"server\" sends=\"srv\" trusts=\"root\"/>"
	pki expired tls "$ca
    <cert id=\"srv\" issuer=\"int\" subject=\"CN=srv.example.com\" san=\"DNS:srv.example.com\"
          not-before=\"-400d\" not-after=\"-2d\" key=\"ecdsa-p384\" eku=\"serverAuth\"/>
    <cert id=\"cli\" issuer=\"int\" subject=\"CN=cli.example.com\"/>" \
		"$peers<peer id=\"server\" role=\"server\" sends=\"srv int\" trusts=\"root\"/>"
	pki named tls "$ca
    <cert id=\"srv\" issuer=\"int\" subject=\"CN=srv.example.com\" san=\"DNS:srv.example.com\"/>
    <cert id=\"cli\" issuer=\"int\" subject=\"CN=cli.example.com\"/>" \
		"$peers<peer id=\"server\" role=\"server\" sends=\"srv int\" trusts=\"root\"/>"
	for p in leafonly expired named; do
		"$UCTLS" pki export --for openssl "$tmp/$p.xml" "$tmp/$p.export" >"$tmp/$p.out" 2>&1 ||
			{ echo "Bail out! uctls pki export $p failed: $(cat "$tmp/$p.out")"; exit 1; }
	done
	tls_case tls-leafonly "openssl s_server sends its leaf alone" \
		tls-handshake/client/issuer-not-found leafonly --name srv.example.com
	# The exported server asks for a client certificate (-Verify) under
	# the CAs of its trust file: the probe reports its CertificateRequest.
	grep -q '"asked_client_cert":true,"acceptable_cas":\["CN=Probe Root,O=Example"\]' \
		"$tmp/tls-leafonly.json"
	tap $? "openssl s_server -Verify: the probe reports that it asked for a client certificate under CN=Probe Root" \
		"$(grep -o '"asked_client_cert[^]]*]' "$tmp/tls-leafonly.json")"
	tls_case tls-expired "openssl s_server's certificate expired two days ago" \
		tls-handshake/client/expired expired --name srv.example.com
	tls_case tls-name "openssl s_server's certificate lacks the name asked for" \
		tls-handshake/client/name-mismatch named --name other.example.com
fi

# --- traversal: a uctls Expressway-E on the other end ----------------------
# No Expressway here: a second uctls process plays the Expressway-E with
# --listen (zone and SSH tunnel on one port), its chain renewed under an
# intermediate the Expressway-C trusts only through the zone's chain: the
# tunnel presents the leaf alone (docs/steps.md, ssh-tunnel).  The probe
# presents the Expressway-C's own certificate (--cert, --key).
pki trav traversal '    <ca id="root" subject="CN=Corp Root"/>
    <ca id="int" issuer="root" subject="CN=Corp Issuing CA 2"/>
    <cert id="expe" issuer="int" subject="CN=expe.example.com" san="DNS:expe.example.com" eku="serverAuth,clientAuth"/>
    <cert id="expc" issuer="int" subject="CN=expc.example.com" san="DNS:expc.example.com" eku="serverAuth,clientAuth"/>' \
	'<peer id="C" role="client" sends="expc int" trusts="root" peer-address="expe.example.com"/>
<peer id="E" role="server" sends="expe int" trusts="root" tls-verify-name="expc.example.com"/>'
T=$tmp/trav.export
if ! "$UCTLS" pki export "$tmp/trav.xml" "$T" >"$tmp/trav.out" 2>&1; then
	echo "Bail out! uctls pki export failed: $(cat "$tmp/trav.out")"
	exit 1
fi
cat "$T/expc.pem" "$T/int.pem" >"$T/expc-chain.pem"
"$UCTLS" run --pki "$T" --listen E=127.0.0.1:0 --accept-timeout 20000 "$tmp/trav.xml" \
	>"$tmp/trav.listen" 2>"$tmp/trav.lerr" &
spid=$!
if line=$(pl_wait_log "$tmp/trav.lerr" 'listening on' 10); then
	tport=${line##*:}
	probe trav-tunnel "Expressway-E (uctls --listen): the SSH tunnel's leaf alone" \
		ssh-tunnel/C/issuer-not-found "$T/expe.pem" "" --family traversal \
		--from expc.example.com --cert "$T/expc-chain.pem" --key "$T/expc.key" \
		--trust "$T/root.pem" --name expe.example.com \
		--step-address "ssh-tunnel=127.0.0.1:$tport" "127.0.0.1:$tport"
	grep -q "NOT a faithful" "$tmp/trav-tunnel.saved.xml"
	tap $((!$?)) "Expressway-E: a failure the family models is saved as a faithful replay" \
		"$(cat "$tmp/trav-tunnel.saved.xml")"
else
	tap 1 "uctls --listen E started" "$(cat "$tmp/trav.lerr")"
fi
wait "$spid" 2>/dev/null
spid=

# --- usage errors: two lines on stderr, exit 2, no connection --------------
usage() { # DESCRIPTION ARGS...
	local d=$1 out rc
	shift
	out=$("$UCTLS" probe "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 2 ] &&
		[ "$(printf '%s\n' "$out" | tail -n 1)" = "see uctls probe --help" ] &&
		case $out in "uctls probe: "*) true ;; *) false ;; esac; then
		tap 0 "usage: $d: what was wrong and where the help is, exit 2"
	else
		tap 1 "usage: $d: what was wrong and where the help is, exit 2" "exit $rc: $out"
	fi
}
"$UCTLS" probe --help >"$tmp/help.out" 2>"$tmp/help.err"
rc=$?
"$UCTLS" help probe >"$tmp/help2.out" 2>&1
[ "$rc" = 0 ] && [ ! -s "$tmp/help.err" ] && head -n 1 "$tmp/help.out" | grep -q '^usage: uctls probe' &&
	cmp -s "$tmp/help.out" "$tmp/help2.out"
tap $? "uctls probe --help: its synopsis on stdout (= uctls help probe), exit 0" "exit $rc: $(cat "$tmp/help.err")"
usage "no --family" 127.0.0.1:1
usage "unknown family" --family smtp 127.0.0.1:1
usage "unknown profile" --family tls --profile nosuch 127.0.0.1:1
usage "a profile of another family" --family tls --profile cucm 127.0.0.1:1
usage "a family probe does not play" --family https 127.0.0.1:1
usage "no HOST" --family tls
usage "port out of range" --family tls 127.0.0.1:70000
usage "--cert without --key" --family tls --cert /dev/null 127.0.0.1:1
usage "bad --timeout" --family tls --timeout 0 127.0.0.1:1
# An input error (a trust file with no certificate): exit 2.
printf 'not a certificate\n' >"$tmp/empty.pem"
"$UCTLS" probe --family tls --trust "$tmp/empty.pem" 127.0.0.1:1 >/dev/null 2>"$tmp/empty.err"
rc=$?
[ "$rc" = 2 ] && grep -q 'empty.pem' "$tmp/empty.err"
tap $? "a trust file without a certificate: exit 2, the file named" "exit $rc: $(cat "$tmp/empty.err")"
# Nothing listening: the probe fails at tcp-connect (exit 1), bounded.
port=$(pl_free_port)
timeout 20 "$UCTLS" probe --json --timeout 2000 --family tls "127.0.0.1:$port" >"$tmp/refused.json" 2>&1
rc=$?
got=$("$py" -c '
import json, sys
o = json.loads(open(sys.argv[1]).readline())
print(" ".join("%s/%s/%s" % (s["step"], s["side"], s["reason"]) for s in o["steps"] if s["status"] == "fail"))
' "$tmp/refused.json" 2>&1)
[ "$rc" = 1 ] && [ "$got" = "tcp-connect/client/connection-refused" ]
tap $? "nothing listening: tcp-connect/client/connection-refused, exit 1" "exit $rc: $got"

# --save writes safely (fileio.c): a planted symbolic link is refused,
# exit 2, what it points to unchanged; a FIFO too, without blocking.
printf 'keep\n' >"$tmp/target"
ln -s "$tmp/target" "$tmp/link.xml"
mkfifo "$tmp/fifo.xml" 2>/dev/null || : >"$tmp/fifo.xml"
for out in link.xml fifo.xml; do
	timeout 20 "$UCTLS" probe --timeout 2000 --family tls --save "$tmp/$out" "127.0.0.1:$port" \
		>/dev/null 2>"$tmp/save.err"
	rc=$?
	[ "$rc" = 2 ] && [ "$(cat "$tmp/target")" = keep ] && grep -q "$out" "$tmp/save.err"
	tap $? "--save to a planted $out: refused (exit 2), nothing written through it" \
		"exit $rc: $(cat "$tmp/save.err")"
done

# --- Kamailio: family sip-trunk --------------------------------------------
# Kamailio serves its certificate without the intermediate (the export's
# kamailio.cfg, B sends="b"); the probe trusts the root only.
kam_skip=$( (pl_kamailio_modules tls sl textops tm pv) 2>&1)
if [ -n "$kam_skip" ]; then
	skip 3 "${kam_skip#1..0 # SKIP }"
else
	pki kam sip-trunk '    <ca id="root" subject="CN=Trunk Root"/>
    <ca id="int" issuer="root" subject="CN=Trunk Issuing CA"/>
    <cert id="a" issuer="int" subject="CN=uac.example.com" san="DNS:uac.example.com"/>
    <cert id="b" issuer="int" subject="CN=kamailio.example.com" san="DNS:kamailio.example.com"
          key="rsa-3072" hash="sha384"/>' \
		'<peer id="A" role="client" sends="a int" trusts="root" verify-name="kamailio.example.com"/>
<peer id="B" role="server" sends="b" trusts="root" verify-name="uac.example.com"/>'
	exp=$tmp/kam.export
	klog=$tmp/kamailio.log
	if ! "$UCTLS" pki export --for kamailio "$tmp/kam.xml" "$exp" >"$tmp/kam.out" 2>&1; then
		echo "Bail out! uctls pki export --for kamailio failed: $(head -c 300 "$tmp/kam.out")"
		exit 1
	fi
	read -r tport uport < <(pl_free_port tcp udp)
	mkdir -p "$tmp/krun"
	kamailio -DD -E -f "$exp/kamailio.cfg" -A "TLS_PORT=$tport" -A "UDP_PORT=$uport" \
		-Y "$tmp/krun" -P "$tmp/krun/kamailio.pid" -m 32 -M 4 >"$klog" 2>&1 &
	kpid=$!
	if ! pl_wait_log "$klog" "uctls-peer: kamailio ready" 20 >/dev/null; then
		tap 1 "Kamailio started" "$(grep -v INFO "$klog" | tail -20)"
		skip 2 "Kamailio did not start"
	else
		probe kam-leafonly "Kamailio sends its leaf alone" tls-handshake/A/issuer-not-found \
			"$exp/b.pem" "" --family sip-trunk --profile generic-sip --trust "$exp/root.pem" \
			--name kamailio.example.com --from uac.example.com "127.0.0.1:$tport"
	fi
	kill "$kpid" 2>/dev/null
	wait "$kpid" 2>/dev/null
	kpid=
fi

# --- Prosody: family xmpp-s2s ----------------------------------------------
# Prosody p.example serves its leaf alone (the intermediate neither in its
# certificate file nor in the probe's trust).  prosody-lib.sh runs it in a
# namespace of its own; its skip (no Prosody, dnsmasq or namespaces)
# becomes this part's.
# shellcheck source=tests/prosody-lib.sh
. "$top_srcdir/tests/prosody-lib.sh"
px_skip() {
	skip 4 "$*"
	finish
}
px_setup
trap 'px_cleanup; pl_cleanup' EXIT
pki px xmpp-s2s '    <ca id="root" subject="CN=XMPP Root"/>
    <ca id="int" issuer="root" subject="CN=XMPP Issuing CA"/>
    <cert id="p" issuer="int" subject="CN=p.example" san="DNS:p.example,XMPP:p.example"/>
    <cert id="u" issuer="int" subject="CN=u.example" san="DNS:u.example,XMPP:u.example"/>' \
	'<peer id="I" role="client" profile="prosody" domain="u.example" sends="u int" trusts="root"/>
<peer id="R" role="server" profile="prosody" domain="p.example" sends="p" trusts="root"/>'
if ! "$UCTLS" pki export "$tmp/px.xml" "$tmp/px.export" >"$tmp/px.out" 2>&1; then
	echo "Bail out! uctls pki export failed: $(cat "$tmp/px.out")"
	exit 1
fi
K=$tmp/px.export
if ! px_start_prosody p.example "$K/p.pem" "$K/p.key" "$K/root.pem" 2>"$tmp/px.start"; then
	tap 1 "Prosody started" "$(cat "$tmp/px.start")"
	skip 3 "Prosody did not start"
	finish
fi
# Two profiles: a strict RFC 6125 initiator rejects the chain in the
# handshake; Prosody's own (profile prosody: it decides on the certificate
# after TLS, for SASL EXTERNAL or dialback) lets the handshake pass.
probe px-leafonly "Prosody serves its leaf alone" tls-handshake/I/issuer-not-found "$K/p.pem" \
	px_run --family xmpp-s2s --profile rfc6125-strict --profile prosody --from u.example \
	--to p.example --trust "$K/root.pem" "127.0.0.1:$PX_S2S_PORT"
got=$("$py" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
o = json.loads(lines[1])
print(o["sides"][0]["profile"], " ".join("%s:%s" % (s["step"], s["status"]) for s in o["steps"]
      if s["side"] == "I" and s["step"] in ("starttls", "tls-handshake")))
' "$tmp/px-leafonly.json" 2>&1)
[ "$got" = "prosody starttls:pass tls-handshake:pass" ]
tap $? "Prosody serves its leaf alone: profile prosody (second --profile) passes the handshake" "$got"
px_stop_prosody p.example
finish
