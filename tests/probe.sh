#!/bin/bash
# uctls probe against real servers on 127.0.0.1, each configured with a
# faulty chain from `uctls pki export': openssl s_server (family tls),
# Kamailio (sip-trunk), Prosody (xmpp-s2s).  For each: the probe names the
# fault (step, side, reason), exits 1, reports the chain the server sent
# (subject, SHA-256 fingerprint of the real certificate); `--save' writes a
# scenario that `uctls run' replays to the same step, side and reason, and
# whose cloned certificates say what the real ones say (subject, issuer,
# SANs, validity, key type and size, key usage, EKU, basic constraints).
# Two profiles: one saved scenario each (FILE.xml, FILE-PROFILE.xml), each
# replaying to its own verdict.  What a clone keeps of an openssl-made chain
# (name constraints, policies, AIA and CDP URLs, Ed25519) and what it names
# as not cloned (RSA-PSS).  Traversal: a uctls Expressway-E (--listen) and
# its MRA edge (openssl s_server -www, a uctls HTTPS server answering 401),
# and Kamailio as a traversal zone (a real SIP stack).
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
wpid=
wport=0
tport=0
# shellcheck disable=SC2317 # called by pl_cleanup, at exit
cleanup() {
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
	[ -z "$wpid" ] || { kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; }
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

# replay NAME WANT ORIG.pem DESCRIPTION [SAVED]: the saved scenario
# (SAVED, default $tmp/NAME.saved.xml; valid by the DTD) runs to WANT and
# its cloned end-entity certificate says what ORIG.pem says.
replay() {
	local out rc diff saved=${5:-$tmp/$1.saved.xml}
	out=$("$UCTLS" run --json --no-fixes "$saved" 2>&1)
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
			"$saved" >"$tmp/$1.dtd" 2>&1; then
		rc="$rc, not valid by the DTD: $(head -5 "$tmp/$1.dtd")"
	fi
	if [ "$rc" = 0 ] && [ "$out" = "$2 True" ]; then
		tap 0 "$4: the saved scenario replays to $2"
	else
		tap 1 "$4: the saved scenario replays to $2" "uctls run exit $rc: $out
$(cat "$saved")"
	fi
	# The clone, exported, against the original.
	rm -rf "$tmp/$1.clone"
	if ! "$UCTLS" pki export "$saved" "$tmp/$1.clone" >"$tmp/$1.export" 2>&1; then
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

# leg FILE.json N: the failure (step/side/reason) of the Nth JSON object
# of a probe's report (1: the first profile), or "pass".
leg() {
	"$py" - "$1" "$2" <<'P' 2>&1
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1])
f = [s for s in o["steps"] if s["status"] == "fail"]
print("%s/%s/%s" % (f[0]["step"], f[0]["side"], f[0]["reason"]) if f else "pass")
P
}

# www_up N CERT KEY [CHAIN]: openssl s_server -www (an HTTPS server
# answering every GET with 200 and a status page, asking no client
# certificate) on a port of its own, for N connections: $wpid, $wport.
www_up() {
	local line
	: >"$tmp/www.log" # now: the background job's own truncation may come late
	openssl s_server -accept 127.0.0.1:0 -naccept "$1" -www -cert "$2" -key "$3" \
		${4:+-cert_chain "$4"} </dev/null >"$tmp/www.log" 2>&1 &
	wpid=$!
	line=$(pl_wait_log "$tmp/www.log" '^ACCEPT' 10) || return 1
	wport=${line##*:}
}
www_down() {
	[ -z "$wpid" ] || { kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; }
	wpid=
}

# --- openssl s_server: family tls ------------------------------------------
srv_up() { # DIR: the exported openssl-server.sh on a port of its own
	local line
	: >"$tmp/srv.log" # now, not when the background job gets to it
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

# --- several profiles: one saved scenario each ------------------------------
# A server certificate whose name is only its CN: profile generic (RFC 9525)
# refuses it, profile openssl (stock OpenSSL: CN fallback) accepts it.
# --save FILE.xml keeps the first profile's run in FILE.xml and the
# second's in FILE-openssl.xml; each replays to its own profile's verdict.
if ! command -v openssl >/dev/null 2>&1; then
	skip 6 "openssl not found (Debian: apt-get install openssl)"
else
	pki cn tls '    <ca id="root" subject="CN=Probe Root,O=Example"/>
    <ca id="int" issuer="root" subject="CN=Probe Issuing CA,O=Example"/>
    <cert id="srv" issuer="int" subject="CN=srv.example.com" eku="serverAuth"/>
    <cert id="cli" issuer="int" subject="CN=cli.example.com"/>' \
		'<peer id="client" role="client" sends="cli" trusts="root" verify-name="srv.example.com"/>
<peer id="server" role="server" sends="srv int" trusts="root"/>'
	M=$tmp/cn.export
	"$UCTLS" pki export "$tmp/cn.xml" "$M" >"$tmp/cn.out" 2>&1 ||
		{ echo "Bail out! uctls pki export cn failed: $(cat "$tmp/cn.out")"; exit 1; }
	if ! www_up 2 "$M/srv.pem" "$M/srv.key" "$M/int.pem"; then
		tap 1 "openssl s_server -www started" "$(cat "$tmp/www.log")"
		skip 5 "openssl s_server did not start"
	else
		timeout -k 2 60 "$UCTLS" probe --json --timeout 5000 --family tls --profile generic \
			--profile openssl --trust "$M/root.pem" --name srv.example.com \
			--save "$tmp/multi.xml" "127.0.0.1:$wport" >"$tmp/multi.json" 2>"$tmp/multi.err"
		rc=$?
		got="$(leg "$tmp/multi.json" 1) $(leg "$tmp/multi.json" 2)"
		[ "$rc" = 1 ] && [ "$got" = "tls-handshake/client/cn-only-no-san pass" ]
		tap $? "CN-only server, profiles generic and openssl: cn-only-no-san for generic, pass for openssl, exit 1" \
			"exit $rc: $got $(cat "$tmp/multi.err")"
		grep -q "^saved $tmp/multi.xml (profile generic)" "$tmp/multi.err" &&
			grep -q "^saved $tmp/multi-openssl.xml (profile openssl)" "$tmp/multi.err" &&
			[ -s "$tmp/multi.xml" ] && [ -s "$tmp/multi-openssl.xml" ]
		tap $? "--save with two profiles: FILE.xml for the first, FILE-openssl.xml for the second, both said" \
			"$(cat "$tmp/multi.err")"
		replay multi-generic tls-handshake/client/cn-only-no-san "$M/srv.pem" \
			"two profiles, the first (generic)" "$tmp/multi.xml"
		replay multi-openssl pass "$M/srv.pem" "two profiles, the second (openssl)" \
			"$tmp/multi-openssl.xml"
	fi
	www_down
fi

# --- what a clone keeps: name constraints, policies, AIA and CDP, key types -
# openssl makes the chains (uctls does not): an intermediate with name
# constraints and the anyPolicy policy, a leaf with certificate policies,
# an authorityInformationAccess (OCSP, caIssuers) and a CRL distribution
# point with real-looking http URLs, and a leaf key of each kind: RSA,
# Ed25519, RSA-PSS (RFC 4055), and an RSA key signed with RSA-PSS.  The
# probe passes; the saved scenario replays to pass without fetching the
# URLs (uctls serves only what a scenario declares: revoke.c); the clone's
# `openssl x509 -text' is the original's, but for the keys, signatures,
# serials and key identifiers (which follow from the keys) and the order of
# the extensions -- or the notes name what the format cannot say (RSA-PSS).
norm() { # CERT.pem: openssl x509 -text, less what a clone cannot keep
	openssl x509 -in "$1" -noout -text 2>&1 | "$py" -c '
import re, sys
out, exts, cur, cut = [], {}, None, None
for ln in sys.stdin.read().splitlines():
    ind, s = len(ln) - len(ln.lstrip()), ln.strip()
    if cut is not None and ind > cut:
        continue
    cut = None
    if re.match(r"(Modulus|pub|Signature Value|Serial Number):", s):
        cut = ind
        continue
    if ind <= 8 or s == "X509v3 extensions:":
        cur = None
    elif ind == 12 and s.startswith(("X509v3 ", "Authority Information Access", "CT ")):
        cur = s
        exts[cur] = []
        continue
    if cur is None:
        out.append(s)
    elif not cur.startswith(("X509v3 Subject Key Id", "X509v3 Authority Key Id")):
        exts[cur].append(s)
for k in sorted(exts):
    out.append(k)
    out.extend("  " + v for v in exts[k])
print("\n".join(out))'
}
if ! command -v openssl >/dev/null 2>&1; then
	skip 12 "openssl not found (Debian: apt-get install openssl)"
else
	X=$tmp/ext
	mkdir -p "$X"
	cat >"$X/ext.cnf" <<'X'
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;DNS:example.com,excluded;DNS:bad.example.com
certificatePolicies = 2.5.29.32.0
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:srv.example.com
certificatePolicies = 2.23.140.1.2.2,1.3.6.1.4.1.311.21.8.1
authorityInfoAccess = OCSP;URI:http://ocsp.example.com/,caIssuers;URI:http://pki.example.com/int.crt
crlDistributionPoints = URI:http://pki.example.com/int.crl
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X
	(
		cd "$X" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -set_serial 1 \
			-subj "/CN=Ext Root/O=Example" -days 3650 -config ext.cnf -extensions ca &&
			openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr \
				-subj "/CN=Ext Issuing CA/O=Example" &&
			openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 2 -days 1000 \
				-extfile ext.cnf -extensions int -out int.pem &&
			openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj "/CN=srv.example.com/O=Example" &&
			openssl req -newkey ed25519 -nodes -keyout ed.key -out ed.csr -subj "/CN=srv.example.com/O=Example" &&
			openssl req -newkey rsa-pss -pkeyopt rsa_keygen_bits:2048 -nodes -keyout pss.key \
				-out pss.csr -subj "/CN=srv.example.com/O=Example" &&
			for k in rsa ed pss; do
				openssl x509 -req -in $k.csr -CA int.pem -CAkey int.key -set_serial 1000 -days 300 \
					-extfile ext.cnf -extensions leaf -out $k.pem || exit 1
			done &&
			openssl x509 -req -in rsa.csr -CA int.pem -CAkey int.key -set_serial 1001 -days 300 \
				-extfile ext.cnf -extensions leaf -sigopt rsa_padding_mode:pss \
				-sigopt rsa_pss_saltlen:32 -sha256 -out psig.pem &&
			cp rsa.key psig.key
	) >"$X/make.log" 2>&1 || { echo "Bail out! openssl could not make the test chains: $(tail -5 "$X/make.log")"; exit 1; }
	# ext_case KIND DESCRIPTION NOTE: NOTE empty: a faithful clone;
	# else what the notes must name (and the clone may differ in).
	ext_case() {
		local k=$1 desc=$2 want=$3 rc got d
		if ! www_up 1 "$X/$k.pem" "$X/$k.key" "$X/int.pem"; then
			tap 1 "$desc: openssl s_server started" "$(cat "$tmp/www.log")"
			skip 2 "openssl s_server did not start"
			return
		fi
		timeout -k 2 60 "$UCTLS" probe --json --timeout 5000 --family tls --trust "$X/root.pem" \
			--name srv.example.com --save "$X/$k.xml" "127.0.0.1:$wport" >"$X/$k.json" 2>"$X/$k.err"
		rc=$?
		www_down
		got="$rc $(leg "$X/$k.json" 1) $("$UCTLS" run --no-fixes "$X/$k.xml" >"$X/$k.run" 2>&1; echo $?)"
		[ "$got" = "0 pass 0" ]
		tap $? "$desc: the probe passes, the saved scenario replays to pass" \
			"exit, verdict, replay exit: $got $(cat "$X/$k.err" "$X/$k.run")"
		rm -rf "$X/$k.clone"
		"$UCTLS" pki export "$X/$k.xml" "$X/$k.clone" >"$X/$k.exp" 2>&1
		d=$(diff <(norm "$X/$k.pem") <(norm "$X/$k.clone/sent-0.pem"); diff <(norm "$X/int.pem") <(norm "$X/$k.clone/sent-1.pem")) 
		if [ -z "$want" ]; then
			[ -z "$d" ] && grep -q ": the chain cloned$" "$X/$k.err"
			tap $? "$desc: the clones' openssl x509 -text (leaf, intermediate) equal the originals', but for keys, signatures, serials" \
				"$d $(cat "$X/$k.err" "$X/$k.exp")"
		else
			grep -q "NOT a faithful replay" "$X/$k.err" && grep -q "^  sent-0: $want" "$X/$k.err" &&
				grep -q "NOT a faithful replay: sent-0: $want" "$X/$k.xml" && [ -n "$d" ]
			tap $? "$desc: not cloned, and said so: $want" "$d $(cat "$X/$k.err")"
		fi
	}
	ext_case rsa "name constraints, policies, AIA and CDP URLs (RSA)" ""
	grep -q 'oid="2.5.29.30" critical="yes"' "$X/rsa.xml" && grep -q 'oid="2.5.29.31"' "$X/rsa.xml" &&
		grep -q 'oid="1.3.6.1.5.5.7.1.1"' "$X/rsa.xml" && grep -q 'oid="2.5.29.32"' "$X/rsa.xml"
	tap $? "the saved scenario carries name constraints (critical), CDP, AIA and policies as <extension>" \
		"$(grep -c '<extension' "$X/rsa.xml") extensions in $X/rsa.xml"
	ext_case ed "an Ed25519 leaf" ""
	ext_case pss "an RSA-PSS leaf key" "an RSA-PSS key (RFC 4055)"
	ext_case psig "a leaf signed with RSA-PSS" "signed with RSA-PSS"
fi

# --- traversal: a uctls Expressway-E on the other end ----------------------
# No Expressway here: a second uctls process plays the Expressway-E with
# --listen (zone and SSH tunnel on one port), its chain renewed under an
# intermediate the Expressway-C trusts only through the zone's chain: the
# tunnel presents the leaf alone (docs/steps.md, ssh-tunnel).  The probe
# presents the Expressway-C's own certificate (--cert, --key).
# The MRA edge (--mra-domain, --mra-port): openssl s_server -www with the
# Expressway-E's chain (every GET answered 200), or a uctls --listen HTTPS
# server answering 401, as an Expressway-E answers a Jabber client's
# get_edge_config before its user signs in.
pki trav traversal '    <ca id="root" subject="CN=Corp Root"/>
    <ca id="int" issuer="root" subject="CN=Corp Issuing CA 2"/>
    <cert id="expe" issuer="int" subject="CN=expe.example.com" san="DNS:expe.example.com,DNS:collab-edge.example.com" eku="serverAuth,clientAuth"/>
    <cert id="expc" issuer="int" subject="CN=expc.example.com" san="DNS:expc.example.com" eku="serverAuth,clientAuth"/>' \
	'<peer id="C" role="client" sends="expc int" trusts="root" peer-address="expe.example.com"/>
<peer id="E" role="server" sends="expe int" trusts="root" tls-verify-name="expc.example.com"/>'
T=$tmp/trav.export
if ! "$UCTLS" pki export "$tmp/trav.xml" "$T" >"$tmp/trav.out" 2>&1; then
	echo "Bail out! uctls pki export failed: $(cat "$tmp/trav.out")"
	exit 1
fi
cat "$T/expc.pem" "$T/int.pem" >"$T/expc-chain.pem"
# e_up [SCENARIO]: a uctls Expressway-E (--listen) for one probe: $spid,
# $tport.
e_up() {
	local line
	: >"$tmp/trav.lerr" # now, not when the background job gets to it
	"$UCTLS" run --pki "$T" --listen E=127.0.0.1:0 --accept-timeout 20000 "${1:-$tmp/trav.xml}" \
		>"$tmp/trav.listen" 2>"$tmp/trav.lerr" &
	spid=$!
	line=$(pl_wait_log "$tmp/trav.lerr" 'listening on' 10) || return 1
	tport=${line##*:}
}
e_down() {
	[ -z "$spid" ] || wait "$spid" 2>/dev/null
	spid=
}
if ! command -v openssl >/dev/null 2>&1; then
	skip 9 "openssl not found (Debian: apt-get install openssl)"
	e_up || tap 1 "uctls --listen E started" "$(cat "$tmp/trav.lerr")"
	mra=()
else
	www_up 1 "$T/expe.pem" "$T/expe.key" "$T/int.pem" ||
		tap 1 "openssl s_server -www (MRA edge) started" "$(cat "$tmp/www.log")"
	e_up || tap 1 "uctls --listen E started" "$(cat "$tmp/trav.lerr")"
	mra=(--mra-domain example.com --mra-port "$wport")
fi
probe trav-tunnel "Expressway-E (uctls --listen): the SSH tunnel's leaf alone" \
	ssh-tunnel/C/issuer-not-found "$T/expe.pem" "" --family traversal \
	--from expc.example.com --cert "$T/expc-chain.pem" --key "$T/expc.key" \
	--trust "$T/root.pem" --name expe.example.com \
	--step-address "ssh-tunnel=127.0.0.1:$tport" "${mra[@]}" "127.0.0.1:$tport"
grep -q "NOT a faithful" "$tmp/trav-tunnel.saved.xml"
tap $((!$?)) "Expressway-E: a failure the family models is saved as a faithful replay" \
	"$(cat "$tmp/trav-tunnel.saved.xml")"
e_down
www_down
if [ ${#mra[@]} -gt 0 ]; then
	# The second JSON object is the MRA leg: the Jabber client's GET of its
	# edge configuration, answered 200 by s_server.
	got=$("$py" - "$tmp/trav-tunnel.json" <<'P' 2>&1
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[1])
f = [s for s in o["steps"] if s["status"] == "fail"]
d = [s["detail"] for s in o["steps"] if s["step"] == "http-request" and s["side"] == "client"]
print(o["family"], o["sides"][0]["profile"], "fail" if f else "pass",
      "get_edge_config" in (d[0] if d else "") and "200" in (d[0] if d else ""))
P
)
	[ "$got" = "https probe-jabber-mra pass True" ]
	tap $? "MRA edge (s_server -www, port $wport): a Jabber client's GET /ZXhhbXBsZS5jb20/get_edge_config answered 200, the leg passes" "$got"
	replay trav-mra pass "$T/expe.pem" "MRA edge saved as FILE-mra.xml" \
		"$tmp/trav-tunnel.saved-mra.xml"

	# 401 at the edge (sign-in needed) with a zone that passes (the
	# intermediate trusted on both ends, for the tunnel's leaves): exit 0,
	# the leg said to pass; its save replays the 401.
	sed 's/trusts="root"/trusts="root int"/' "$tmp/trav.xml" >"$tmp/trav-int.xml"
	cat >"$tmp/mra401.xml" <<'X'
<scenario name="probe/mra401" family="https">
  <pki>
    <ca id="root" subject="CN=Corp Root"/>
    <ca id="int" issuer="root" subject="CN=Corp Issuing CA 2"/>
    <cert id="expe" issuer="int" subject="CN=expe.example.com" san="DNS:expe.example.com,DNS:collab-edge.example.com" eku="serverAuth,clientAuth"/>
  </pki>
  <peer id="client" role="client" trusts="root" verify-name="example.com"/>
  <peer id="server" role="server" sends="expe int" trusts="root" client-cert="none" http-response="401"/>
</scenario>
X
	"$UCTLS" run --pki "$T" --listen server=127.0.0.1:0 --accept-timeout 20000 "$tmp/mra401.xml" \
		>"$tmp/mra401.listen" 2>"$tmp/mra401.lerr" &
	wpid=$!
	if line=$(pl_wait_log "$tmp/mra401.lerr" 'listening on' 10) && e_up "$tmp/trav-int.xml"; then
		timeout -k 2 60 "$UCTLS" probe --timeout 5000 --family traversal --from expc.example.com \
			--cert "$T/expc-chain.pem" --key "$T/expc.key" --trust "$T/root.pem" \
			--trust "$T/int.pem" --name expe.example.com --step-address "ssh-tunnel=127.0.0.1:$tport" \
			--mra-domain example.com --mra-port "${line##*:}" --save "$tmp/m401.xml" \
			"127.0.0.1:$tport" >"$tmp/m401.out" 2>&1
		rc=$?
		grep -q "tls-handshake   ok" "$tmp/m401.out" && grep -q "FAIL http-status:401" "$tmp/m401.out" &&
			grep -qE "^  MRA edge, port [0-9]+ +pass \(the edge answered 401" "$tmp/m401.out" &&
			grep -qE "^  expressway-c +pass" "$tmp/m401.out"
		tap $((rc + $?)) "MRA edge answering 401 (sign-in needed), zone passing: exit 0, the leg passes" \
			"exit $rc: $(cat "$tmp/m401.out")"
		replay mra401 http-request/client/http-status:401 "$T/expe.pem" \
			"MRA edge answering 401" "$tmp/m401-mra.xml"
	else
		tap 1 "uctls --listen (MRA edge, 401) and E started" "$(cat "$tmp/mra401.lerr" "$tmp/trav.lerr")"
		skip 2 "the listeners did not start"
	fi
	e_down
	www_down

	# The Jabber client's names: a domain the certificate does not carry.
	# Nothing listens on the zone port: every leg runs whatever the others
	# did.
	port=$(pl_free_port)
	if www_up 1 "$T/expe.pem" "$T/expe.key" "$T/int.pem"; then
		timeout -k 2 60 "$UCTLS" probe --json --timeout 5000 --family traversal \
			--trust "$T/root.pem" --mra-domain other.example --mra-port "$wport" \
			--save "$tmp/mnm.xml" "127.0.0.1:$port" >"$tmp/mnm.json" 2>"$tmp/mnm.err"
		rc=$?
		got="$(leg "$tmp/mnm.json" 1) $(leg "$tmp/mnm.json" 2)"
		[ "$rc" = 1 ] && [ "$got" = "tcp-connect/C/connection-refused tls-handshake/client/name-mismatch" ]
		tap $? "MRA edge without other.example or collab-edge.other.example: name-mismatch for Jabber, exit 1" \
			"exit $rc: $got $(cat "$tmp/mnm.err")"
		replay mnm tls-handshake/client/name-mismatch "$T/expe.pem" "MRA edge name mismatch" \
			"$tmp/mnm-mra.xml"
	else
		tap 1 "openssl s_server -www (MRA edge) started" "$(cat "$tmp/www.log")"
		skip 2 "openssl s_server did not start"
	fi
	www_down
fi

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
usage "--mra-port without --mra-domain" --family traversal --mra-port 8443 127.0.0.1:1
usage "--mra-domain with a family other than traversal" --family tls --mra-domain example.com 127.0.0.1:1
usage "a --mra-domain that is not a domain" --family traversal --mra-domain 'a b' 127.0.0.1:1
usage "bad --mra-port" --family traversal --mra-domain example.com --mra-port 0 127.0.0.1:1
usage "a profile twice" --family tls --profile generic --profile generic 127.0.0.1:1
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

# --- Kamailio as a traversal zone: family traversal against a real SIP stack
# No Expressway here: Kamailio's TLS port stands in for the Expressway-E's
# zone port (SIP over mutual TLS, OPTIONS answered 200 by its routing
# script) and, through --step-address, for its SSH tunnel port, where the
# probe does what it does against any real E: the TLS handshake, with
# Expressway-C checking E's leaf alone against its trust (docs/steps.md,
# ssh-tunnel), then nothing of SSH.  Kamailio's certificate names a CRL
# distribution point (http://pki.example.com/zone.crl) that profile
# expressway-c would check: neither the probe nor the replay fetches it.
if [ -n "$kam_skip" ]; then
	skip 6 "${kam_skip#1..0 # SKIP }"
else
	pki kt sip-trunk '    <ca id="root" subject="CN=Zone Root"/>
    <ca id="int" issuer="root" subject="CN=Zone Issuing CA"/>
    <cert id="a" issuer="int" subject="CN=expc.example.com" san="DNS:expc.example.com" eku="serverAuth,clientAuth"/>
    <cert id="b" issuer="int" subject="CN=expe.example.com" san="DNS:expe.example.com"
          eku="serverAuth,clientAuth" crl="http://pki.example.com/zone.crl"/>' \
		'<peer id="A" role="client" sends="a int" trusts="root" verify-name="expe.example.com"/>
<peer id="B" role="server" sends="b int" trusts="root int" verify-name="expc.example.com"/>'
	exp=$tmp/kt.export
	klog=$tmp/kt.log
	if ! "$UCTLS" pki export --for kamailio "$tmp/kt.xml" "$exp" >"$tmp/kt.out" 2>&1; then
		echo "Bail out! uctls pki export --for kamailio failed: $(head -c 300 "$tmp/kt.out")"
		exit 1
	fi
	cat "$exp/a.pem" "$exp/int.pem" >"$exp/a-chain.pem"
	read -r tport uport < <(pl_free_port tcp udp)
	mkdir -p "$tmp/ktrun"
	kamailio -DD -E -f "$exp/kamailio.cfg" -A "TLS_PORT=$tport" -A "UDP_PORT=$uport" \
		-Y "$tmp/ktrun" -P "$tmp/ktrun/kamailio.pid" -m 32 -M 4 >"$klog" 2>&1 &
	kpid=$!
	if ! pl_wait_log "$klog" "uctls-peer: kamailio ready" 20 >/dev/null; then
		tap 1 "Kamailio started" "$(grep -v INFO "$klog" | tail -20)"
		skip 5 "Kamailio did not start"
	else
		zone=(--family traversal --from expc.example.com --cert "$exp/a-chain.pem"
			--key "$exp/a.key" --trust "$exp/root.pem" --step-address "ssh-tunnel=127.0.0.1:$tport")
		# The Expressway-C's peer address is a name E's certificate lacks.
		probe kt-name "Kamailio as the zone: the peer address not in its certificate" \
			tls-handshake/C/name-mismatch "$exp/b.pem" "" "${zone[@]}" \
			--name expe-cluster.example.com "127.0.0.1:$tport"
		# The intermediate trusted too: every step passes, Kamailio's 200.
		timeout -k 2 60 "$UCTLS" probe --json --timeout 5000 "${zone[@]}" --trust "$exp/int.pem" \
			--name expe.example.com --save "$tmp/kt-pass.xml" "127.0.0.1:$tport" \
			>"$tmp/kt-pass.json" 2>"$tmp/kt-pass.err"
		rc=$?
		"$UCTLS" run --json --no-fixes "$tmp/kt-pass.xml" >"$tmp/kt-replay.json" 2>&1
		rrc=$?
		got=$("$py" - "$tmp/kt-pass.json" "$tmp/kt-replay.json" <<'P' 2>&1
import json, sys
for f in sys.argv[1:]:
    o = json.loads(open(f).readline())
    c = {s["step"]: s for s in o["steps"] if s["side"] == "C"}
    print(" ".join("%s:%s" % (k, v["status"]) for k, v in c.items()),
          "200" if "200 OK" in (c.get("sip-options") or {}).get("detail", "") else "-",
          any("http://pki.example.com/zone.crl" in a and "not fetched" in a
              for a in c["tls-handshake"].get("also") or []))
P
)
		want="tcp-connect:pass tls-handshake:pass sip-options:pass ssh-tunnel:pass 200 True"
		[ "$rc" = 0 ] && [ "$(printf '%s\n' "$got" | head -1)" = "$want" ]
		tap $? "Kamailio as the zone, the chain trusted: every step passes, OPTIONS answered 200 by Kamailio, the CRL URL not fetched" \
			"exit $rc: $got $(cat "$tmp/kt-pass.err")"
		[ "$rrc" = 0 ] && [ "$(printf '%s\n' "$got" | tail -1)" = "tcp-connect:pass tls-handshake:pass sip-options:pass ssh-tunnel:pass 200 True" ]
		tap $? "Kamailio as the zone: the saved pass replays to pass, its CRL URL said not fetched" \
			"exit $rrc: $got $(head -c 2000 "$tmp/kt-replay.json")"
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
	skip 6 "$*"
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
	skip 5 "Prosody did not start"
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
# The second profile's run is saved in FILE-prosody.xml: it replays to its
# verdict, or (the verdict being what the real Prosody did of its own
# accord, e.g. no dialback answer for a domain it cannot resolve: a
# timeout) says it is not a faithful replay, naming that reason.
pv=$(leg "$tmp/px-leafonly.json" 2)
px2=$tmp/px-leafonly.saved-prosody.xml
if grep -q "NOT a faithful replay" "$px2" 2>/dev/null; then
	grep -q "failure (${pv##*/}) is the real server's behaviour" "$px2"
	tap $? "Prosody, the second profile (prosody, $pv): FILE-prosody.xml says the server's own behaviour is not replayed" \
		"$(cat "$px2")"
	"$UCTLS" run --no-fixes "$px2" >"$tmp/px2.run" 2>&1
	rc=$?
	[ "$rc" -le 1 ] && grep -q "^1 scenario: " "$tmp/px2.run"
	tap $? "Prosody, the second profile: FILE-prosody.xml loads and runs (exit $rc)" "$(cat "$tmp/px2.run")"
else
	replay px-prosody "$pv" "$K/p.pem" \
		"Prosody, the second profile (prosody), saved as FILE-prosody.xml" "$px2"
fi
px_stop_prosody p.example
finish
