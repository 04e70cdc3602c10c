#!/bin/bash
# One side real: uctls plays E with --listen, a second uctls process plays C
# with --remote against it, over loopback.  Each side's records must equal
# the simulated twin's for that side, and the other side must be reported
# as unobserved.  TAP.  env: UCTLS.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-remote.XXXXXX") || exit 1
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"' EXIT
export UCTLS_KEY_CACHE="$tmp/keys" # both processes build the same PKI
n=0
fail=0

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found (needed to compare the JSON reports)"
	exit 0
fi

# scenario NAME C-ATTRS E-ATTRS EXPECT
scenario() {
	cat >"$tmp/$1.xml" <<X
<scenario name="remote/$1" family="traversal">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Remote Root"/>
    <ca id="int" issuer="root" subject="CN=Remote Issuing"/>
    <cert id="expe" issuer="int" subject="CN=expe.example.com" san="DNS:expe.example.com,DNS:collab-edge.example.com"/>
    <cert id="expc" issuer="int" subject="CN=expc.example.com" san="DNS:expc.example.com" $2/>
  </pki>
  <peer id="C" role="client" sends="expc int" $3/>
  <peer id="E" role="server" sends="expe int" tls-verify-name="expc.example.com" mra-domain="example.com" $4/>
  $5
</scenario>
X
}

scenario pass "" 'trusts="root int" peer-address="expe.example.com"' 'trusts="root int"' '<expect result="pass"/>'
scenario ssh-tunnel "" 'trusts="root" peer-address="expe.example.com"' 'trusts="root int"' \
	'<expect fail-at="ssh-tunnel" side="C" reason="issuer-not-found" other="alert:unknown-ca"/>'
scenario peer-address "" 'trusts="root" peer-address="other.example.com"' 'trusts="root"' \
	'<expect fail-at="tls-handshake" side="C" reason="name-mismatch" other="alert:bad-certificate"/>'
scenario no-client-auth 'eku="serverAuth"' 'trusts="root int" peer-address="expe.example.com"' 'trusts="root int"' \
	'<expect fail-at="tls-handshake" side="E" reason="eku-client-auth-missing" other="alert:unsupported-certificate"/>'
scenario sip-403 "" 'trusts="root int" peer-address="expe.example.com"' 'trusts="root int" sip-response="403"' \
	'<expect fail-at="sip-options" side="C" reason="sip-status:403"/>'

compare() { # NAME: sim.json listen.json remote.json
	python3 - "$tmp/$1.sim" "$tmp/$1.listen" "$tmp/$1.remote" <<'P'
import json, sys
sim, lis, rem = (json.loads(open(p).readline()) for p in sys.argv[1:4])
def recs(o, side):
    return sorted((s["step"], s["status"], s["reason"]) for s in o["steps"]
                  if s["side"] == side and s["status"] in ("pass", "fail"))
errs = []
for side, one in (("C", rem), ("jabber", rem), ("E", lis)):
    if recs(sim, side) != recs(one, side):
        errs.append("%s: simulated %s, one-sided %s" % (side, recs(sim, side), recs(one, side)))
for o, real in ((lis, "C"), (rem, "E")):
    st = {s["status"] for s in o["steps"] if s["side"] == real}
    if not st <= {"unobserved", "not-reached"} or "unobserved" not in st:
        errs.append("%s's steps should be unobserved, got %s" % (real, st))
    if not [s for s in o["sides"] if s["id"] == real and s["remote"]]:
        errs.append("%s not marked remote" % real)
# What the real peer sent is reported as its own "sent" (it was "no
# certificate" once): what its simulated twin's counterpart received.
def certs(o, side, key):
    return [(c["id"], c["sha256"]) for s in o["sides"] if s["id"] == side for c in s[key]]
for o, real, local in ((lis, "C", "E"), (rem, "E", "C")):
    if certs(o, real, "sent") != certs(sim, local, "received"):
        errs.append("%s sent %s as reported by %s, simulated %s received %s"
                    % (real, certs(o, real, "sent"), local, local, certs(sim, local, "received")))
for o in (lis, rem):
    if not o["matched"]:
        errs.append("%s did not match its expectation: %s" % (o["file"], o["why"]))
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
}

echo "1..5"
for s in pass ssh-tunnel peer-address no-client-auth sip-403; do
	n=$((n + 1))
	"$UCTLS" run --json "$tmp/$s.xml" >"$tmp/$s.sim"
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$UCTLS" run --json --timeout 500 --listen E=127.0.0.1:0 "$tmp/$s.xml" \
		>"$tmp/$s.listen" 2>"$tmp/fifo" &
	lpid=$!
	exec 3<"$tmp/fifo"
	line=
	read -r -u 3 line # "uctls: playing E, listening on 127.0.0.1:PORT"
	port=${line##*:}
	"$UCTLS" run --json --remote "E=127.0.0.1:$port" "$tmp/$s.xml" >"$tmp/$s.remote" 2>"$tmp/$s.rerr"
	wait "$lpid"
	lpid=
	cat <&3 >/dev/null
	exec 3<&-
	if [ -z "$port" ]; then
		fail=1
		echo "not ok $n - $s: the listening side did not announce its port"
	elif out=$(compare "$s" 2>&1); then
		echo "ok $n - $s: --listen E and --remote E record what the simulated twin does"
	else
		fail=1
		echo "not ok $n - $s"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
exit $fail
