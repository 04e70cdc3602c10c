#!/bin/bash
# Interop with a real SIP-TLS client: sipsak (GnuTLS) against uctls playing
# the UAS B (`uctls run --listen B=127.0.0.1:0').
#
# What Debian's sipsak 0.9.8.1 does, and so what this test pins down:
#   - it never presents a client certificate: --tls-client-cert is parsed
#     but never loaded (no gnutls_certificate_set_x509_key_file call), so
#     uctls's B, which requires one (every sip-trunk profile does), records
#     no-client-cert at tls-handshake whatever else happens;
#   - it checks the server's chain and name only with -vvv, after the
#     handshake, and on failure exits 3 without sending an alert, so B
#     cannot see that rejection;
#   - the name it checks is the host of -s as written (with ":PORT" when
#     the URI has one, and a 5-digit port is cut to 4 digits in the
#     Request-URI), hence -s sip:uas@127.0.0.1 -r PORT.
# The scenario's A has profile "sipsak" (docs/profiles.md): no certificate,
# no verification that shows on the wire, so the simulated twin records for
# B what B records against the real sipsak, in every case.
# For each case: sipsak's exit status and message, and B's records (step,
# status, reason), equal to the simulated twin's.
# TAP.  env: UCTLS (default $top_builddir/harness/uctls).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
pl_python
pl_need sipsak "Debian: apt-get install sipsak"
sipsak --version 2>&1 | grep -q 'TLS_SUPPORT' || pl_skip "this sipsak was built without TLS support"
# uctls is the program under test: without it the test fails (SKIP is for a
# missing external tool only).
pl_start sipsak # $tmp, traps, UCTLS_KEY_CACHE (shared by the export and the runs), n, fail
lpid=
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
}

# scenario NAME B-SENDS B-ATTRS A-VERIFY-NAME EXPECT: A is sipsak (profile
# sipsak, no certificate, trusts "root", dials 127.0.0.1); B is uctls.
scenario() {
	cat >"$tmp/$1.xml" <<X
<scenario name="sipsak/$1" family="sip-trunk">
  <summary>interop with sipsak as the TLS client: $1</summary>
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Interop Root"/>
    <ca id="other" subject="CN=Some Other Root"/>
    <cert id="a" issuer="root" subject="CN=sipsak.example.com" san="DNS:sipsak.example.com"/>
    <cert id="b" issuer="root" subject="CN=sip.example.com" san="DNS:sip.example.com,IP:127.0.0.1"/>
    <cert id="b-misnamed" issuer="root" subject="CN=trunk.example.com" san="DNS:trunk.example.com"/>
  </pki>
  <peer id="A" role="client" profile="sipsak" trusts="root" verify-name="$4"/>
  <peer id="B" role="server" sends="$2" trusts="root" verify-name="sipsak.example.com" $3/>
  $5
</scenario>
X
}

nocert='<expect fail-at="tls-handshake" side="B" reason="no-client-cert" other="alert:certificate-required"/>'
scenario named b "" 127.0.0.1 "$nocert"
# RFC 5922 7.4 leaves client certificates to local policy: with B not
# requiring one, sipsak's OPTIONS gets its answer.
scenario optional b 'client-cert="optional"' 127.0.0.1 '<expect result="pass"/>'
scenario named-tls12 b 'tls="1.2"' 127.0.0.1 "$nocert"
scenario untrusted b "" 127.0.0.1 "$nocert"
# sipsak checks the name after the handshake, silently (exit 3): B, and the
# profile, see only the missing client certificate.
scenario misnamed b-misnamed "" 127.0.0.1 "$nocert"

exp="$tmp/export"
if ! "$UCTLS" pki export "$tmp/named.xml" "$exp" >"$tmp/export.out" 2>&1; then
	echo "Bail out! uctls pki export failed: $(head -c 300 "$tmp/export.out")"
	exit 1
fi
# sipsak's --tls-client-cert takes one file; give it certificate and key,
# to show it is not sent.
cat "$exp/a.pem" "$exp/a.key" >"$tmp/sipsak-client.pem"

# run NAME CA-FILE: B played by uctls, sipsak dials it once.  Leaves
# $tmp/NAME.real (uctls JSON), .rc, .sipsak (output), .src (sipsak exit).
run() {
	local line port
	"$UCTLS" run --json "$tmp/$1.xml" >"$tmp/$1.sim" 2>"$tmp/$1.simerr"
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$UCTLS" run --json --timeout 5000 --listen B=127.0.0.1:0 "$tmp/$1.xml" \
		>"$tmp/$1.real" 2>"$tmp/fifo" &
	lpid=$!
	exec 3<"$tmp/fifo"
	line=
	read -r -t 20 -u 3 line # "uctls: playing B, listening on 127.0.0.1:PORT"
	port=${line##*:}
	if [ -n "$port" ]; then
		timeout 20 sipsak -vvv --transport=tls --tls-ca-cert "$2" \
			--tls-client-cert "$tmp/sipsak-client.pem" \
			-s sip:uas@127.0.0.1 -r "$port" >"$tmp/$1.sipsak" 2>&1 &
		spid=$!
		wait "$spid"
		echo $? >"$tmp/$1.src"
		spid=
	else
		echo "no port" >"$tmp/$1.src"
		: >"$tmp/$1.sipsak"
	fi
	wait "$lpid"
	echo $? >"$tmp/$1.rc"
	lpid=
	cat <&3 >/dev/null
	exec 3<&-
}

# check NAME DESC UCTLS-RC SIPSAK-RC SIPSAK-MUST SIPSAK-MUST-NOT B-WANT TWIN
#   SIPSAK-MUST / -MUST-NOT: extended regexes on sipsak's output ("" none);
#   B-WANT: B's records step:status:reason; TWIN: "same" when the simulated
#   twin records the same for B, else the twin's A and B records expected.
check() {
	local name=$1 desc=$2 out ok=0
	n=$((n + 1))
	out=$("$py" - "$tmp/$name.real" "$tmp/$name.sim" "$7" "$8" <<'P'
import json, sys
real_f, sim_f, want, twin = sys.argv[1:5]
errs = []
try:
    real = json.loads(open(real_f).readline())
except Exception as e:
    print("no JSON from uctls --listen: %s" % e)
    sys.exit(1)
sim = json.loads(open(sim_f).readline())
def recs(o, sd):
    return sorted("%s:%s:%s" % (s["step"], s["status"], s["reason"] or "-")
                  for s in o["steps"] if s["side"] == sd and s["status"] != "unobserved")
got = recs(real, "B")
if got != sorted(want.split(",")):
    errs.append("B recorded %s, expected %s" % (got, want))
b = [s for s in real["sides"] if s["id"] == "B"][0]
if b["received"]:
    errs.append("B received %d certificate(s) from sipsak, expected none" % len(b["received"]))
a = [s for s in real["sides"] if s["id"] == "A"][0]
if not a["remote"] or {s["status"] for s in real["steps"] if s["side"] == "A"} != {"unobserved"}:
    errs.append("A (sipsak) is not reported as an unobserved real peer")
if twin == "same":
    if got != recs(sim, "B"):
        errs.append("B: real %s, simulated twin %s" % (got, recs(sim, "B")))
    if not real["matched"]:
        errs.append("did not match its expectation: %s" % real["why"])
else:
    tw = sorted(recs(sim, "A") + recs(sim, "B"))
    if tw != sorted(twin.split(",")):
        errs.append("simulated twin recorded %s, expected %s" % (tw, twin))
    if real["matched"]:
        errs.append("matched the twin's expectation, but B cannot see sipsak's rejection")
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
) || ok=1
	if [ "$(cat "$tmp/$name.rc")" != "$3" ]; then
		out="uctls exited $(cat "$tmp/$name.rc"), expected $3${out:+
$out}"
		ok=1
	fi
	if [ "$(cat "$tmp/$name.src")" != "$4" ]; then
		out="sipsak exited $(cat "$tmp/$name.src"), expected $4${out:+
$out}"
		ok=1
	fi
	if [ -n "$5" ] && ! grep -a -q -E -e "$5" "$tmp/$name.sipsak"; then
		out="sipsak's output has no /$5/${out:+
$out}"
		ok=1
	fi
	if [ -n "$6" ] && grep -a -q -E -e "$6" "$tmp/$name.sipsak"; then
		out="sipsak's output has /$6/${out:+
$out}"
		ok=1
	fi
	if [ $ok -eq 0 ]; then
		echo "ok $n - $name: $desc"
	else
		fail=1
		echo "not ok $n - $name: $desc"
		printf '%s\n' "$out" | sed 's/^/# /'
		grep -a -v -E '^[A-Z][A-Za-z-]*: |^$' "$tmp/$name.sipsak" | tail -6 | sed 's/^/# sipsak: /'
	fi
}

b_nocert="tcp-connect:pass:-,tls-handshake:fail:no-client-cert,sip-request:not-reached:-"
echo "1..5"

# TLS 1.3: sipsak accepts B, sends OPTIONS, then reads B's
# certificate_required alert where the answer should be: exit 2.
run named "$exp/A-trust.pem"
check named "B names 127.0.0.1, sipsak accepts it and sends OPTIONS; B: no-client-cert" \
	0 2 'send to: TLS:127\.0\.0\.1:' 'does not match|not trustworthy|known issuer' \
	"$b_nocert" same

# TLS 1.2: B's rejection is inside sipsak's handshake: exit 3.
run named-tls12 "$exp/A-trust.pem"
check named-tls12 "TLS 1.2: sipsak's handshake ends with B's fatal alert; B: no-client-cert" \
	0 3 'A TLS fatal alert has been received' 'send to: TLS' \
	"$b_nocert" same

# sipsak trusts another root: it rejects B after the handshake.
run untrusted "$exp/other.pem"
check untrusted "sipsak does not trust B's root (exit 3); B sees only its own no-client-cert" \
	0 3 "hasn't got a known issuer" 'send to: TLS' \
	"$b_nocert" same

# B's certificate does not name what sipsak dialled.
run misnamed "$exp/A-trust.pem"
check misnamed "B's certificate lacks 127.0.0.1: sipsak exits 3 without an alert; B: no-client-cert" \
	0 3 "owner does not match hostname '127\.0\.0\.1'" 'send to: TLS' \
	"$b_nocert" same
# B does not require a client certificate: the whole transaction passes.
run optional "$exp/A-trust.pem"
check optional "client-cert=optional on B: sipsak gets 200 to its OPTIONS; B passes every step" \
	0 0 'SIP/2\.0 200' 'does not match|not trustworthy|known issuer' \
	"tcp-connect:pass:-,tls-handshake:pass:-,sip-request:pass:-" same
exit $fail
