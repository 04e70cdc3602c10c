#!/bin/bash
# Fidelity of the tls family: one scenario, two worlds, one answer.
#
# Each case below is one scenario with one <expect>, written for a stack
# (profile openssl or gnutls on both peers).  It is run three times and
# must match its <expect> each time, and the observed side's records
# (step:status:reason) must equal those of the simulated run:
#   sim     both peers in process (uctls run);
#   remote  the server-role peer is the real tool (openssl s_server or
#           gnutls-serv), uctls plays the client (--remote server=...);
#   listen  the client-role peer is the real tool (openssl s_client or
#           gnutls-cli), uctls plays the server (--listen server=...).
# The real tools are configured only from `uctls pki export --for STACK'
# (the scripts it writes); when the export fails, the test fails.
# TAP.  env: UCTLS (default $top_builddir/harness/uctls).
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
pl_python
pl_need openssl "Debian: apt-get install openssl"
pl_need gnutls-serv "Debian: apt-get install gnutls-bin"
pl_need gnutls-cli "Debian: apt-get install gnutls-bin"
pl_start fidelity-tls # $tmp, traps, UCTLS_KEY_CACHE (shared by the export and the runs), n, fail
spid=
sport=
cleanup() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
}

# scenario STACK NAME SERVER-SENDS CLIENT-SENDS CLIENT-NAME EXTRA EXPECT:
# one PKI for every case (no <clock>: the real tools verify at the real
# time, so validity is relative to now).
scenario() {
	cat >"$tmp/$1-$2.xml" <<X
<scenario name="fidelity/$1-$2" family="tls">
  <summary>fidelity against $1: $2</summary>
  <pki>
    <ca id="root" subject="CN=Fidelity Root"/>
    <ca id="other" subject="CN=Some Other Root"/>
    <ca id="int" issuer="root" subject="CN=Fidelity Issuing CA"/>
    <cert id="srv" issuer="int" subject="CN=server.example.com" san="DNS:server.example.com"/>
    <cert id="srv-cn" issuer="int" subject="CN=server.example.com"/>
    <cert id="srv-expired" issuer="int" subject="CN=server.example.com" san="DNS:server.example.com"
          not-before="-400d" not-after="-1d"/>
    <cert id="srv-future" issuer="int" subject="CN=server.example.com" san="DNS:server.example.com"
          not-before="+30d" not-after="+400d"/>
    <cert id="srv-other" issuer="other" subject="CN=server.example.com" san="DNS:server.example.com"/>
    <cert id="srv-wild" issuer="int" subject="CN=*.example.com" san="DNS:*.example.com"/>
    <cert id="srv-self" subject="CN=server.example.com" san="DNS:server.example.com"/>
    <cert id="cli" issuer="int" subject="CN=client.example.com" san="DNS:client.example.com"/>
    <cert id="cli-srvonly" issuer="int" subject="CN=client.example.com" san="DNS:client.example.com"
          eku="serverAuth"/>
    <cert id="cli-other" issuer="other" subject="CN=client.example.com" san="DNS:client.example.com"/>
    <cert id="cli-expired" issuer="int" subject="CN=client.example.com" san="DNS:client.example.com"
          not-before="-400d" not-after="-1d"/>
  </pki>
  <peer id="client" role="client" profile="$1" sends="$4" trusts="root" verify-name="$5" $6/>
  <peer id="server" role="server" profile="$1" sends="$3" trusts="root" $6/>
  $7
</scenario>
X
}

# The cases: NAME SERVER-SENDS CLIENT-SENDS (ids joined by commas) CLIENT-NAME EXTRA SIDE REASON
# OPENSSL-ALERT GNUTLS-ALERT (SIDE "-": a passing control; an alert
# "pass": that stack accepts).  The alert is the one the rejecting stack
# sends (docs/profiles.md, cert_alert): OpenSSL's table by reason;
# gnutls-cli bad_certificate, gnutls-serv access_denied.  gnutls-serv
# checks no purpose of a client certificate (ignore_client_purpose).
cases() {
	cat <<'C'
pass                srv,int          cli,int          server.example.com   -          -      -                        -                        -
pass-tls12          srv,int          cli,int          server.example.com   tls="1.2"  -      -                        -                        -
missing-intermediate srv            cli,int          server.example.com   -          client issuer-not-found        unknown-ca               bad-certificate
wrong-name          srv,int          cli,int          trunk.example.com    -          client name-mismatch           bad-certificate          bad-certificate
cn-only             srv-cn,int       cli,int          server.example.com   -          -      -                        -                        -
expired             srv-expired,int  cli,int          server.example.com   -          client expired                 certificate-expired      bad-certificate
not-yet-valid       srv-future,int   cli,int          server.example.com   -          client not-yet-valid           bad-certificate          bad-certificate
untrusted-root      srv-other        cli,int          server.example.com   -          client untrusted-root          unknown-ca               bad-certificate
wildcard-miss       srv-wild,int     cli,int          a.b.example.com      -          client name-mismatch           bad-certificate          bad-certificate
self-signed         srv-self         cli,int          server.example.com   -          client self-signed             unknown-ca               bad-certificate
server-only-as-client srv,int        cli-srvonly,int  server.example.com   -          server eku-client-auth-missing unsupported-certificate  pass
client-untrusted    srv,int          cli-other        server.example.com   -          server untrusted-root          unknown-ca               access-denied
client-expired      srv,int          cli-expired,int  server.example.com   -          server expired                 certificate-expired      access-denied
no-client-cert      srv,int          -                server.example.com   -          server no-client-cert          certificate-required     certificate-required
C
}

# verdict NAME MODE RC SIDE: one TAP line for the run MODE of NAME.
verdict() {
	local name=$1 mode=$2 rc=$3 side=$4 got want
	n=$((n + 1))
	{
		read -r got
		read -r want
	} < <(pl_records "$tmp/$name.$mode" "$tmp/$name.sim" "$side")
	if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then
		echo "ok $n - $name $mode: $side recorded $got"
		return
	fi
	fail=1
	echo "not ok $n - $name $mode: uctls exited $rc; $side recorded '$got', simulated '$want'"
	sed 's/^/# uctls: /' "$tmp/$name.$mode.err" | grep -v listening | head -8
	sed -n 's/.*"why": *"\([^"]*\)".*/# why: \1/p' "$tmp/$name.$mode"
	cat "$tmp/$name.srvlog" "$tmp/$name.peer" 2>/dev/null | grep -iE 'error|verif|alert' | head -5 |
		sed 's/^/# peer: /'
}

# server_up STACK DIR: starts the exported server script (spid); sets
# sport to its port.  openssl s_server binds port 0 and says which;
# gnutls-serv needs a port, probed free.
server_up() {
	local line
	if [ "$1" = openssl ]; then
		"$2/openssl-server.sh" 127.0.0.1:0 </dev/null >"$tmp/srv.log" 2>&1 &
		spid=$!
		line=$(pl_wait_log "$tmp/srv.log" '^ACCEPT' 10) || return 1
		sport=${line##*:}
	else
		sport=$(pl_free_port)
		"$2/gnutls-server.sh" "127.0.0.1:$sport" </dev/null >"$tmp/srv.log" 2>&1 &
		spid=$!
		pl_wait_log "$tmp/srv.log" 'listening on IPv4' 10 >/dev/null || return 1
	fi
}

server_down() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		spid=
	fi
}

# one STACK NAME: the three runs of one case.
one() {
	local stack=$1 name=$1-$2 dir="$tmp/$1-$2.d" port line rc
	local sc="$tmp/$name.xml"
	"$UCTLS" run --json "$sc" >"$tmp/$name.sim" 2>"$tmp/$name.sim.err"
	verdict "$name" sim $? client
	if ! "$UCTLS" pki export --for "$stack" "$sc" "$dir" >"$tmp/$name.export" 2>&1; then
		n=$((n + 1))
		fail=1
		echo "not ok $n - $name: uctls pki export --for $stack failed"
		sed 's/^/# /' "$tmp/$name.export"
		return
	fi
	# remote: the real server, uctls as the client.
	if server_up "$stack" "$dir"; then
		"$UCTLS" run --json --timeout 5000 --remote "server=127.0.0.1:$sport" "$sc" \
			>"$tmp/$name.remote" 2>"$tmp/$name.remote.err"
		rc=$?
		server_down
		cp "$tmp/srv.log" "$tmp/$name.srvlog"
		verdict "$name" remote "$rc" client
	else
		server_down
		n=$((n + 1))
		fail=1
		echo "not ok $n - $name remote: the exported $stack server did not start"
		sed 's/^/# /' "$tmp/srv.log" | tail -5
	fi
	# listen: uctls as the server, the real client dials in.
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$UCTLS" run --json --timeout 5000 --listen server=127.0.0.1:0 "$sc" \
		>"$tmp/$name.listen" 2>"$tmp/fifo" &
	local lpid=$!
	exec 3<"$tmp/fifo"
	line=
	read -r -t 20 -u 3 line
	port=${line##*:}
	if [ -n "$port" ]; then
		timeout 10 "$dir/$stack-client.sh" "127.0.0.1:$port" </dev/null >"$tmp/$name.peer" 2>&1
	fi
	wait "$lpid"
	rc=$?
	cat <&3 >"$tmp/$name.listen.err"
	exec 3<&-
	verdict "$name" listen "$rc" server
	# What the real tools themselves said (docs/fidelity.md quotes these).
	grep -hiE 'verify error|verification error|alert|error in|fatal|status:' \
		"$tmp/$name.srvlog" "$tmp/$name.peer" 2>/dev/null | sort -u | head -4 |
		sed "s/^/# $name $stack: /"
}

cases | while read -r name ss cs cname extra side reason oa ga; do
	[ "$extra" = - ] && extra=
	[ "$cs" = - ] && cs=
	ss=${ss//,/ }
	cs=${cs//,/ }
	for stack in openssl gnutls; do
		alert=$oa
		[ $stack = gnutls ] && alert=$ga
		if [ "$side" = - ] || [ "$alert" = pass ]; then
			exp='<expect result="pass"/>'
		else
			exp="<expect fail-at=\"tls-handshake\" side=\"$side\" reason=\"$reason\" other=\"alert:$alert\"/>"
		fi
		scenario "$stack" "$name" "$ss" "$cs" "$cname" "$extra" "$exp"
	done
done
total=$(($(cases | wc -l) * 2 * 3))
echo "1..$total"
while read -r name ss cs cname extra side reason oa ga; do
	for stack in openssl gnutls; do
		one "$stack" "$name"
	done
done < <(cases)
exit $fail
