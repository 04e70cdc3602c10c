#!/bin/bash
# uctls's xmpp-s2s family against a real Prosody 0.12, one side real.  TAP.
# env: UCTLS, top_srcdir (given by the Makefile).  PX_KEEP=1 keeps the work
# directory (scenarios, JSON reports, Prosody configs and logs).
#
# uctls plays one server, Prosody the other, inside the private network of
# tests/prosody-lib.sh (which also lists what Prosody 0.12.3 was seen to do).
# Prosody serves p.example, uctls u.example.  Each case is one row: a fresh
# Prosody with that row's certificate and options, one uctls run (--remote R
# when uctls initiates, --listen R when Prosody dials uctls), the uctls JSON
# records of uctls's own side checked step by step, and the Prosody log
# lines that show why.  Rows 1 and 5 also run their scenario simulated (both
# sides uctls) and compare uctls's side with that twin, as does the row of a
# revoked uctls certificate, which Prosody accepts (it checks no revocation).
#
# An s2s stream is one-way (RFC 6120 section 4.1): the "established" step
# sends a ping over the authenticated stream and closes it; the answer would
# travel over the other server's own stream, which uctls does not accept.
# uctls as I counts the stanza as routed when Prosody closes its side in
# order; uctls as R when the ping arrives, and it never answers over
# Prosody's outgoing stream (which Prosody would refuse).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
UCTLS=${UCTLS:-$top_srcdir/harness/uctls}
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found (needed to read the JSON reports)"
	exit 0
fi
# uctls is the program under test, not an external tool: without it, or
# when it fails, the test fails (SKIP is for a missing external tool only).
if [ ! -x "$UCTLS" ]; then
	echo "Bail out! uctls not built ($UCTLS)"
	exit 1
fi
# shellcheck source=tests/prosody-lib.sh
. "$top_srcdir/tests/prosody-lib.sh"
px_setup # prints "1..0 # SKIP ..." and exits without Prosody, dnsmasq, netns

W=$PX_DIR/work
mkdir -p "$W"
export UCTLS_KEY_CACHE=$PX_DIR/keys # the runs and the export share the keys
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)  # the real clock: Prosody checks with it

# One PKI for every scenario, so one export serves Prosody for all rows.
# eku defaults to serverAuth,clientAuth.
PKI='<pki>
    <ca id="root" subject="CN=uctls Prosody Test Root"/>
    <ca id="int" issuer="root" subject="CN=uctls Prosody Test Issuing"/>
    <ca id="other" subject="CN=uctls Prosody Test Other Root"/>
    <cert id="p" issuer="int" subject="CN=p.example" san="DNS:p.example"/>
    <cert id="q" issuer="int" subject="CN=q.example" san="DNS:q.example"/>
    <cert id="u" issuer="int" subject="CN=u.example" san="DNS:u.example"/>
    <cert id="userver" issuer="int" subject="CN=u.example" san="DNS:u.example" eku="serverAuth"/>
    <cert id="w" issuer="int" subject="CN=w.example" san="DNS:w.example"/>
    <cert id="urev" issuer="int" subject="CN=u.example" san="DNS:u.example" crl="http://pki.example.com/int.crl" ocsp="http://ocsp.example.com/int"/>
    <crl id="int-crl" issuer="int" url="http://pki.example.com/int.crl" revoked="urev"/>
    <ocsp id="int-ocsp" issuer="int" url="http://ocsp.example.com/int" revoked="urev"/>
  </pki>'

# scenario NAME TIMEOUT-MS I-ATTRS R-ATTRS
scenario() {
	cat >"$W/$1.xml" <<EOF
<scenario name="prosody/$1" family="xmpp-s2s" timeout="$2">
  <clock now="$now"/>
  $PKI
  <peer id="I" role="client" $3/>
  <peer id="R" role="server" $4/>
</scenario>
EOF
}

# j CMD FILE ARGS: read one uctls JSON report.
#   recs FILE SIDE [STEP...]  SIDE's pass/fail records as step:status[:reason],
#                             only STEPs if given
#   failure FILE              step/side/reason of the failure, or none
#   detail FILE SIDE STEP     that record's detail
#   real FILE SIDE            yes if SIDE is marked remote and all unobserved
#   received FILE SIDE        how many certificates SIDE received
# python3 reads each report once into FILE.tsv (python3 can be a slow pyenv
# shim: the one start-up per report is most of this test's own time).
cat >"$W/j.py" <<'EOF'
import json, sys
def clean(s):
    return " ".join(str(s).split())
try:
    with open(sys.argv[1]) as f:
        o = json.loads(f.readline())
    steps, sides = o["steps"], o["sides"]
except (OSError, ValueError, KeyError, TypeError) as e:
    print("error\t(no report: %s)" % clean(e))
    sys.exit(0)
for s in steps:
    if s["status"] in ("pass", "fail"):
        print("rec\t%s\t%s\t%s%s" % (s["side"], s["step"], s["status"],
                                       ":" + s["reason"] if s["reason"] else ""))
    print("detail\t%s\t%s\t%s" % (s["side"], s["step"], clean(s["detail"] or "")))
f = o.get("failure")
print("failure\t%s" % ("%s/%s/%s" % (f["step"], f["side"], f["reason"]) if f else "none"))
for d in sides:
    st = {s["status"] for s in steps if s["side"] == d["id"]}
    ok = d["remote"] and "unobserved" in st and st <= {"unobserved", "not-reached"}
    print("real\t%s\t%s" % (d["id"], "yes" if ok else
                             "no: remote=%s, statuses %s" % (d["remote"], sorted(st))))
    print("received\t%s\t%d" % (d["id"], len(d.get("received") or [])))
EOF
PY=$(python3 -c 'import sys; print(sys.executable)')
j() {
	local cmd=$1 f=$2 k a b c out=
	shift 2
	[ -s "$f.tsv" ] || "$PY" "$W/j.py" "$f" >"$f.tsv" 2>&1
	while IFS=$'\t' read -r k a b c; do
		case $k in
		error) out=$a; break ;;
		rec) if [ "$cmd" != recs ] || [ "$a" != "$1" ]; then continue; fi
			if [ $# -gt 1 ]; then
				case " ${*:2} " in *" $b "*) ;; *) continue ;; esac
			fi
			out+="${out:+ }$b:$c" ;;
		detail) [ "$cmd $a $b" = "detail ${1-} ${2-}" ] && out=$c ;;
		failure) [ "$cmd" = failure ] && out=$a ;;
		real | received) [ "$cmd $a" = "$k ${1-}" ] && out=$b ;;
		esac
	done <"$f.tsv"
	printf '%s\n' "$out"
}
step_names() { # "step:status[:reason] ..." -> "step ..."
	local w
	for w in $1; do printf '%s ' "${w%%:*}"; done
}

n=0
rc=0
errs=
want() { # WHAT GOT WANTED
	[ "$2" = "$3" ] || errs+="$1: got '$2'"$'\n'"    wanted '$3'"$'\n'
}
want_in() { # WHAT TEXT PART
	case $2 in *"$3"*) ;; *) errs+="$1: '$2' does not mention '$3'"$'\n' ;; esac
}
want_log() { # FIXED-STRING: a line of this case's Prosody log (already
	# written as a rule: it is only waited for, bounded, in case Prosody logs
	# it a moment after uctls is done)
	px_wait_log -t 5 -p "$PX_PID" -F "$1" >/dev/null 2>&1 ||
		errs+="Prosody log ($PX_LOG): no line with '$1'"$'\n'
}
twin_stderr() { # FILE: a simulated twin's stderr, shown when the row fails
	[ -z "$errs" ] || [ ! -s "$1" ] || errs+="uctls stderr (simulated twin): $(tr '\n' ' ' <"$1")"$'\n'
}
result() { # DESCRIPTION [TODO-REASON]
	n=$((n + 1))
	if [ -z "$errs" ]; then
		echo "ok $n - $1${2:+ # TODO $2}"
	else
		echo "not ok $n - $1${2:+ # TODO $2}"
		printf '%s' "$errs" | sed 's/^/#   /'
		[ -n "${2:-}" ] || rc=1
	fi
	errs=
}

# The certificates Prosody uses, from uctls's own export of the PKI.
scenario pki 5000 'domain="u.example"' 'domain="p.example"'
if ! "$UCTLS" pki export "$W/pki.xml" "$W/pki" >"$W/pki.out" 2>&1; then
	echo "Bail out! uctls pki export failed: $(tr '\n' ' ' <"$W/pki.out")"
	exit 1
fi
K=$W/pki
cat "$K/p.pem" "$K/int.pem" >"$K/p-chain.pem"
cat "$K/q.pem" "$K/int.pem" >"$K/q-chain.pem"

echo "# work directory $PX_DIR (PX_KEEP=1 keeps it)"

# --- uctls initiates (I), Prosody receives (R) ------------------------------

# case_i NAME TIMEOUT PROSODY-CERT PROSODY-KEY PROSODY-OPTS I-ATTRS R-ATTRS
#        WANT FAILURE DETAIL LOG...
# WANT: I's records of the steps it names (recs); FAILURE: the report's
# failure or - (not checked); DETAIL: STEP=text the record's detail
# mentions, or -; LOG: fixed strings of Prosody's log.  Prosody: p.example,
# trusting root only; OPTS: px_start_prosody options, space-separated.
case_i() {
	local name=$1 tmo=$2 cert=$3 key=$4 opts=$5 ia=$6 ra=$7 wanted=$8 failure=$9 detail=${10} l
	shift 10
	scenario "$name" "$tmo" "$ia" "$ra"
	# shellcheck disable=SC2086 # opts: one word per option
	if ! px_start_prosody p.example "$cert" "$key" "$K/root.pem" $opts 2>"$W/$name.px"; then
		errs+="Prosody did not start: $(tr '\n' ' ' <"$W/$name.px")"$'\n'
		return 1
	fi
	px_run timeout -k 2 30 "$UCTLS" run --json --remote "R=127.0.0.1:$PX_S2S_PORT" \
		"$W/$name.xml" >"$W/$name.json" 2>"$W/$name.err"
	# shellcheck disable=SC2046 # one word per step
	want "I's records" "$(j recs "$W/$name.json" I $(step_names "$wanted"))" "$wanted"
	[ "$failure" = - ] || want "failure" "$(j failure "$W/$name.json")" "$failure"
	[ "$detail" = - ] || want_in "${detail%%=*} detail" \
		"$(j detail "$W/$name.json" I "${detail%%=*}")" "${detail#*=}"
	want "R is the real peer" "$(j real "$W/$name.json" R)" yes
	for l; do want_log "$l"; done
	cp "$PX_LOG" "$W/$name.prosody.log"
	[ -z "$errs" ] || [ ! -s "$W/$name.err" ] ||
		errs+="uctls stderr: $(tr '\n' ' ' <"$W/$name.err")"$'\n'
}

# (1) The pass: Prosody accepts uctls's certificate for SASL EXTERNAL
# (XEP-0178); the ping is routed and Prosody closes its side in order.
pre=tcp-connect:pass' 'stream-open:pass' 'starttls:pass
case_i pass-sasl-external 2000 "$K/p-chain.pem" "$K/p.key" "s2s_secure_auth=false" \
	'profile="prosody" domain="u.example" sends="u int" trusts="root"' \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	"$pre tls-handshake:pass stream-restart:pass s2s-auth:pass established:pass" none \
	"s2s-auth=SASL EXTERNAL" \
	"Accepting SASL EXTERNAL identity from u.example" \
	"Incoming s2s connection u.example->p.example complete"
result "uctls I -> Prosody R: SASL EXTERNAL accepted (s2s-auth pass on I)"
# The twin: the same scenario with both sides in uctls.
px_run timeout -k 2 30 "$UCTLS" run --json "$W/pass-sasl-external.xml" >"$W/pass-sasl-external.sim" \
	2>"$W/pass-sasl-external.simerr"
want "I's records" "$(j recs "$W/pass-sasl-external.json" I)" \
	"$(j recs "$W/pass-sasl-external.sim" I)"
want "the simulated twin" "$(j failure "$W/pass-sasl-external.sim")" none
twin_stderr "$W/pass-sasl-external.simerr"
result "uctls I -> Prosody R: I records what the simulated twin does, every step"
px_stop_prosody p.example

# (2) Prosody configured with its leaf only: the intermediate is neither
# sent nor trusted by I.  Prosody sees uctls's alert.
case_i no-intermediate 5000 "$K/p.pem" "$K/p.key" "" \
	'profile="rfc6125-strict" domain="u.example" sends="u int" trusts="root"' \
	'profile="prosody" domain="p.example" sends="p" trusts="root"' \
	"$pre tls-handshake:fail:issuer-not-found" tls-handshake/I/issuer-not-found - \
	"TLS handshake error: tlsv1 alert unknown ca"
want "certificates Prosody sent" "$(j received "$W/no-intermediate.json" I)" 1
result "Prosody R without its intermediate: tls-handshake / I / issuer-not-found"
px_stop_prosody p.example

# (3) Prosody's certificate is for q.example, not p.example (RFC 6125).
case_i wrong-domain 5000 "$K/q-chain.pem" "$K/q.key" "" \
	'profile="rfc6125-strict" domain="u.example" sends="u int" trusts="root"' \
	'profile="prosody" domain="p.example" sends="q int" trusts="root"' \
	"$pre tls-handshake:fail:name-mismatch" tls-handshake/I/name-mismatch \
	"tls-handshake=p.example" "TLS handshake error: sslv3 alert bad certificate"
result "Prosody R with a q.example certificate: tls-handshake / I / name-mismatch"
px_stop_prosody p.example

# (4) uctls I presents a serverAuth-only certificate (no clientAuth).  With
# lsec_ignore_purpose=false LuaSec rejects it for the client role, so there
# is no SASL EXTERNAL, and with dialback off nothing to offer: Prosody
# sends <undefined-condition/> right after its post-TLS stream header, which
# uctls I records at s2s-auth (the simulated twin, a strict R: s2s-auth / R /
# eku-client-auth-missing, I no-auth-mechanism).
case_i eku-strict 5000 "$K/p-chain.pem" "$K/p.key" \
	"ssl.verifyext={lsec_ignore_purpose=false} dialback=off" \
	'profile="prosody" domain="u.example" sends="userver int" trusts="root"' \
	'profile="rfc6125-strict" domain="p.example" sends="p int" trusts="root" dialback="no"' \
	"$pre tls-handshake:pass stream-restart:pass s2s-auth:fail:stream-error:undefined-condition" \
	s2s-auth/I/stream-error:undefined-condition "s2s-auth=No stream features to offer" \
	"certificate error(s) at depth 0: unsuitable certificate purpose" \
	"No stream features to offer, giving up"
result "serverAuth-only I vs Prosody with lsec_ignore_purpose=false, no dialback: s2s-auth / I / stream-error:undefined-condition"
px_stop_prosody p.example

# ... and the same certificate against a default Prosody: LuaSec's
# lsec_ignore_purpose (Prosody's default) accepts it for SASL EXTERNAL.
case_i eku-default 2000 "$K/p-chain.pem" "$K/p.key" "" \
	'profile="prosody" domain="u.example" sends="userver int" trusts="root"' \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	"$pre tls-handshake:pass stream-restart:pass s2s-auth:pass" - "s2s-auth=SASL EXTERNAL" \
	"certificate chain validation result: valid" \
	"Accepting SASL EXTERNAL identity from u.example"
result "serverAuth-only I vs default Prosody (lsec_ignore_purpose): s2s-auth pass by SASL EXTERNAL"
px_stop_prosody p.example

# (5) uctls I presents a certificate its CA revoked (on the CRL at its
# distribution point and at its OCSP responder): Prosody, even with
# s2s_secure_auth, checks no revocation (docs/profiles.md, "Revocation":
# core/certmanager.lua, no crl_check) and accepts it for SASL EXTERNAL, as
# the profile says; the simulated twin passes too, and its R says
# "revocation: not checked: Prosody does not check revocation".
case_i revoked-accepted 2000 "$K/p-chain.pem" "$K/p.key" "s2s_secure_auth=true" \
	'profile="prosody" domain="u.example" sends="urev int" trusts="root"' \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	"$pre tls-handshake:pass stream-restart:pass s2s-auth:pass established:pass" none \
	"s2s-auth=SASL EXTERNAL" "Accepting SASL EXTERNAL identity from u.example"
px_run timeout -k 2 30 "$UCTLS" run --json "$W/revoked-accepted.xml" >"$W/revoked-accepted.sim" \
	2>"$W/revoked-accepted.simerr"
want "I's records, real and simulated" "$(j recs "$W/revoked-accepted.json" I)" \
	"$(j recs "$W/revoked-accepted.sim" I)"
grep -q '"side":"R","status":"pass","reason":null,[^}]*"also":\["revocation: not checked: Prosody does not check revocation' \
	"$W/revoked-accepted.sim" || errs+="the twin's R does not say Prosody did not check revocation"$'\n'
result "revoked I certificate vs Prosody with s2s_secure_auth: accepted (Prosody checks no revocation)"
px_stop_prosody p.example

# --- Prosody initiates (I), uctls receives (R) ------------------------------

# case_r NAME PROSODY-OPTS I-ATTRS R-ATTRS WANT FAILURE DETAIL LOG...
# as case_i, for R's records; Prosody (p.example, certificate p + int) is
# made to dial u.example by an admin-shell ping, u.example's SRV record
# pointing at the port uctls announced.
case_r() {
	local name=$1 opts=$2 ia=$3 ra=$4 wanted=$5 failure=$6 detail=$7 l upid line port
	shift 7
	scenario "$name" 5000 "$ia" "$ra"
	# shellcheck disable=SC2086 # opts: one word per option
	if ! px_start_prosody p.example "$K/p-chain.pem" "$K/p.key" "$K/root.pem" $opts 2>"$W/$name.px"; then
		errs+="Prosody did not start: $(tr '\n' ' ' <"$W/$name.px")"$'\n'
		return 1
	fi
	: >"$W/$name.err"
	PX_TRIGGER_PID=
	px_bg timeout -k 2 30 "$UCTLS" run --json --listen R=127.0.0.1:0 "$W/$name.xml" \
		>"$W/$name.json" 2>"$W/$name.err"
	upid=$PX_BG_PID
	line=$(px_wait_log -p "$upid" -f "$W/$name.err" -F "listening on" 2>/dev/null)
	port=${line##*:}
	if [ -z "$port" ] || ! px_map_domain u.example "$port"; then
		errs+="uctls did not listen, or no DNS: $(tr '\n' ' ' <"$W/$name.err")"$'\n'
	else
		px_trigger_s2s p.example u.example 5
	fi
	wait "$upid"
	# shellcheck disable=SC2046 # one word per step
	want "R's records" "$(j recs "$W/$name.json" R $(step_names "$wanted"))" "$wanted"
	[ "$failure" = - ] || want "failure" "$(j failure "$W/$name.json")" "$failure"
	[ "$detail" = - ] || want_in "${detail%%=*} detail" \
		"$(j detail "$W/$name.json" R "${detail%%=*}")" "${detail#*=}"
	want "I is the real peer" "$(j real "$W/$name.json" I)" yes
	for l; do want_log "$l"; done
	cp "$PX_LOG" "$W/$name.prosody.log"
	[ -z "$errs" ] || [ ! -s "$W/$name.err" ] ||
		errs+="uctls stderr: $(tr '\n' ' ' <"$W/$name.err")"$'\n'
	# The ping stanza is out (or never will be): the admin shell waiting
	# for its pong can go.
	[ -z "$PX_TRIGGER_PID" ] || px_reap "$PX_TRIGGER_PID" 1
}
all="$pre tls-handshake:pass stream-restart:pass s2s-auth:pass established:pass"
# no_wrong_way: uctls R sent nothing over Prosody's outgoing stream that
# Prosody had to refuse (RFC 6120 4.1: the stream is one-way).
no_wrong_way() {
	px_wait_log -t 5 -p "$PX_PID" \
		-E 'Outgoing s2s stream p\.example->u\.example closed|Destroying outgoing session p\.example->u\.example' \
		>/dev/null 2>&1 || errs+="the outgoing session did not end"$'\n'
	grep -qF "over a stream authed for p.example" "$PX_LOG" &&
		errs+="Prosody refused a stanza uctls R sent over Prosody's outgoing stream"$'\n'
	result "$1"
}

# (5) The pass: Prosody authenticates with SASL EXTERNAL, pings.
case_r pass-prosody-i "s2s_secure_auth=false" \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	'profile="prosody" domain="u.example" sends="u int" trusts="root"' \
	"$all" none "s2s-auth=SASL EXTERNAL" \
	"SASL EXTERNAL with u.example succeeded" \
	"Outgoing s2s connection p.example->u.example complete"
result "Prosody I -> uctls R: every step of R passes"
px_run timeout -k 2 30 "$UCTLS" run --json "$W/pass-prosody-i.xml" >"$W/pass-prosody-i.sim" \
	2>"$W/pass-prosody-i.simerr"
want "R's records" "$(j recs "$W/pass-prosody-i.json" R)" "$(j recs "$W/pass-prosody-i.sim" R)"
want "the simulated twin" "$(j failure "$W/pass-prosody-i.sim")" none
twin_stderr "$W/pass-prosody-i.simerr"
result "Prosody I -> uctls R: R records what the simulated twin does"
no_wrong_way "Prosody I -> uctls R: uctls R sends nothing back over Prosody's one-way stream"
px_stop_prosody p.example

# (6) uctls R's certificate is for w.example, not u.example, and Prosody
# has s2s_secure_auth: it closes with <not-authorized/> right after TLS, on
# uctls R's post-TLS stream header.
case_r secure-auth-bad-cert "s2s_secure_auth=true" \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	'profile="prosody" domain="u.example" sends="w int" trusts="root"' \
	"$pre tls-handshake:pass stream-restart:pass s2s-auth:fail:stream-error:not-authorized" \
	s2s-auth/R/stream-error:not-authorized - \
	"certificate identity validation result: invalid" \
	"Forbidding insecure connection to/from u.example because its certificate is not valid for this name"
result "w.example R vs Prosody I with s2s_secure_auth=true: s2s-auth / R / stream-error:not-authorized"
px_stop_prosody p.example

# (7) The same without s2s_secure_auth: Prosody 0.12.3 goes on despite the
# certificate, and since uctls R offers SASL EXTERNAL (Prosody's certificate
# is valid) Prosody uses it, not dialback (mod_saslauth answers the
# features before mod_dialback).
case_r insecure-bad-cert "s2s_secure_auth=false" \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	'profile="prosody" domain="u.example" sends="w int" trusts="root"' \
	"$all" none "s2s-auth=SASL EXTERNAL" \
	"certificate identity validation result: invalid" \
	"SASL EXTERNAL with u.example succeeded" \
	"Outgoing s2s connection p.example->u.example complete"
result "w.example R vs Prosody I without s2s_secure_auth: pass, by SASL EXTERNAL"
px_stop_prosody p.example

# ... and when uctls R does not trust Prosody's CA either it offers no SASL
# EXTERNAL, only dialback (XEP-0220), and Prosody falls back to it.  uctls
# does not call the authoritative server back; it accepts the key.
case_r insecure-dialback "s2s_secure_auth=false" \
	'profile="prosody" domain="p.example" sends="p int" trusts="root"' \
	'profile="prosody" domain="u.example" sends="w int" trusts="other"' \
	"$all" none "s2s-auth=dialback" \
	"certificate identity validation result: invalid" \
	"Initiating dialback..." \
	"Outgoing s2s connection p.example->u.example complete"
result "w.example R not trusting Prosody's CA vs Prosody I without s2s_secure_auth: pass, by dialback"
px_stop_prosody p.example

echo "1..$n"
exit $rc
