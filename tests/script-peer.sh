#!/bin/bash
# Behaviour seen only against a real peer, with a small scripted one
# (tests/script-peer.py) instead of an installed server, so that it is
# tested everywhere.  uctls plays one side with --remote; the peer plays the
# other from the certificates `uctls pki export' writes.  TAP.
# env: UCTLS, top_srcdir.
#   1. XMPP: a receiving server that offers SASL EXTERNAL to an initiating
#      server that presented no certificate (ejabberd, Openfire): uctls I
#      must use dialback, never try EXTERNAL without a certificate
#      (XEP-0178 3: EXTERNAL needs the certificate) [mutant
#      xmpp-sasl-without-cert];
#   2. traversal: an Expressway-E that sends its whole chain in the SSH
#      tunnel too: the tunnel still checks the leaf alone, so a C that
#      trusts only the root fails at ssh-tunnel with issuer-not-found
#      [mutant tls-ssh-leaf-only].
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found (runs the scripted peer)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-script-peer.XXXXXX") || exit 1
ppid_=
trap '[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null; rm -rf "$tmp"' EXIT
export UCTLS_KEY_CACHE="$tmp/keys"
n=0 fail=0
echo "1..2"

# run NAME MODE PEER-ID CHAIN KEY SIDE DESCRIPTION PEER-WANT: exports
# $tmp/NAME.xml, starts the scripted peer, runs uctls --remote against it
# (the scenario must match its <expect>), and compares the peer's first
# event with PEER-WANT.
run() {
	local name=$1 mode=$2 peer=$3 chain=$4 key=$5 desc=$7 want=$8 port rc ev catpid
	n=$((n + 1))
	if ! "$UCTLS" pki export "$tmp/$name.xml" "$tmp/$name" >"$tmp/$name.exp" 2>&1; then
		fail=1; echo "not ok $n - $desc: pki export failed"; sed 's/^/# /' "$tmp/$name.exp"; return
	fi
	# The peer prints its port first: read through a FIFO, at most 10 s
	# (no polling), then the rest of what it prints goes to NAME.peer.
	mkfifo "$tmp/$name.fifo"
	python3 "$top_srcdir/tests/script-peer.py" "$mode" "$tmp/$name/$chain" "$tmp/$name/$key" \
		"$tmp/$name/root.pem" >"$tmp/$name.fifo" 2>"$tmp/$name.perr" &
	ppid_=$!
	exec 3<"$tmp/$name.fifo"
	port=
	read -r -t 10 port <&3
	cat <&3 >"$tmp/$name.peer" &
	catpid=$!
	"$UCTLS" run --json --timeout 5000 --remote "$peer=127.0.0.1:${port:-1}" "$tmp/$name.xml" \
		>"$tmp/$name.json" 2>"$tmp/$name.err"
	rc=$?
	wait "$ppid_"
	ppid_=
	wait "$catpid"
	exec 3<&-
	cat "$tmp/$name.perr" >>"$tmp/$name.peer"
	ev=$(sed -n 1p "$tmp/$name.peer")
	if [ "$rc" -eq 0 ] && [ "$ev" = "$want" ]; then
		echo "ok $n - $desc"
	else
		fail=1
		echo "not ok $n - $desc (uctls exit $rc; the peer saw: ${ev:-nothing})"
		sed 's/^/# /' "$tmp/$name.err" "$tmp/$name.peer" | head -10
		python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print("# " + d["why"])' \
			"$tmp/$name.json" 2>/dev/null
	fi
}

cat >"$tmp/xmpp.xml" <<'X'
<scenario name="script/xmpp-no-cert" family="xmpp-s2s">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Script Root"/>
    <ca id="int" issuer="root" subject="CN=Script Issuing"/>
    <cert id="org" issuer="int" subject="CN=example.org" san="DNS:example.org"/>
    <cert id="srv" issuer="int" subject="CN=example.com" san="DNS:example.com"/>
  </pki>
  <peer id="I" role="client" profile="prosody" domain="example.org" sends="" trusts="root"/>
  <peer id="R" role="server" profile="ejabberd" domain="example.com" sends="srv int" trusts="root"/>
  <expect result="pass"/>
</scenario>
X
run xmpp xmpp-r R R-chain.pem srv.key R \
	"XMPP I without a certificate, offered SASL EXTERNAL by a real R: dialback, not EXTERNAL" dialback

cat >"$tmp/traversal.xml" <<'X'
<scenario name="script/ssh-tunnel-chain" family="traversal">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Script Root"/>
    <ca id="int" issuer="root" subject="CN=Script Issuing"/>
    <cert id="expe" issuer="int" subject="CN=expe.example.com" san="DNS:expe.example.com"/>
    <cert id="expc" issuer="int" subject="CN=expc.example.com" san="DNS:expc.example.com"/>
  </pki>
  <peer id="C" role="client" sends="expc int" trusts="root" peer-address="expe.example.com"/>
  <peer id="E" role="server" sends="expe int" trusts="root int" tls-verify-name="expc.example.com"/>
  <expect fail-at="ssh-tunnel" side="C" reason="issuer-not-found"/>
</scenario>
X
run traversal traversal-e E E-chain.pem expe.key C \
	"traversal: a real E sending its chain in the SSH tunnel: C checks the leaf alone (issuer-not-found)" options
exit $fail
