#!/bin/bash
# tests/https-peer.sh — the https family against real HTTPS servers.
#
# uctls plays the client (--remote) of shipped scenarios/https/ scenarios
# against a real server on 127.0.0.1 configured from `uctls pki export'
# (its certificate, key and chain files):
#   openssl  openssl s_server -www (an HTTP/1.0 answer read to the close)
#   gnutls   gnutls-serv --http
# and each run must match the scenario's <expect> (exit 0) with the client's
# records (step:status:reason) equal to those of the simulated run: the
# same verdict at the same step, for a pass (a real HTTP/1.1 exchange after
# the handshake) and for the certificate failures.  Two cases run the
# server scripts `pki export --for' writes (for family https, s_server -www
# and gnutls-serv --http).  The hostile case runs against echo servers
# (s_server -rev, gnutls-serv --echo), which answer the GET with bytes that
# are not HTTP: http-malformed, as the simulated http-response="garbage".
# TAP; SKIP only when a tool is missing.  env: UCTLS, top_srcdir.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/peer-lib.sh
. "$top_srcdir/tests/peer-lib.sh"
pl_python
pl_need openssl "Debian: apt-get install openssl"
pl_need gnutls-serv "Debian: apt-get install gnutls-bin"
pl_start https-peer # $tmp, traps, UCTLS_KEY_CACHE, n, fail
spid=
sport=
cleanup() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
}

# The cases: SCENARIO (under scenarios/https) SERVER-ID LEAF MODE
# (http: the tool as an HTTPS server; exported: the exported script as is;
# echo: the tool as an echo server, not HTTP).
cases() {
	cat <<'C'
uccx-common-name-invalid-ok  uccx  tomcat  exported
uccx-common-name-invalid     uccx  tomcat  http
chrome-cucm-expired          cucm  tomcat  exported
uccx-domain-change           uccx  tomcat  http
chrome-missing-intermediate  cucm  tomcat  http
finesse-critical-extension   cucm  tomcat  http
hostile-garbage              cucm  tomcat  echo
C
}

# server_up TOOL DIR SERVER LEAF MODE: starts the server (spid, sport).
server_up() {
	local tool=$1 dir=$2 id=$3 leaf=$4 mode=$5 line chain=()
	: >"$tmp/srv.log"
	if [ "$tool" = openssl ]; then
		[ -f "$dir/$id-extra.pem" ] && chain=(-cert_chain "$id-extra.pem")
		if [ "$mode" = exported ]; then
			"$dir/openssl-server.sh" 127.0.0.1:0 </dev/null >"$tmp/srv.log" 2>&1 &
		else
			(cd "$dir" && exec openssl s_server -accept 127.0.0.1:0 -naccept 1 \
				"$([ "$mode" = echo ] && echo -rev || echo -www)" \
				-cert "$leaf.pem" -key "$leaf.key" "${chain[@]}") \
				</dev/null >"$tmp/srv.log" 2>&1 &
		fi
		spid=$!
		line=$(pl_wait_log "$tmp/srv.log" '^ACCEPT' 10) || return 1
		sport=${line##*:}
		return 0
	fi
	sport=$(pl_free_port)
	if [ "$mode" = exported ]; then
		"$dir/gnutls-server.sh" "127.0.0.1:$sport" </dev/null >"$tmp/srv.log" 2>&1 &
	else
		(cd "$dir" && exec gnutls-serv -p "$sport" "$([ "$mode" = echo ] && echo --echo || echo --http)" \
			--x509certfile "$id-chain.pem" \
			--x509keyfile "$leaf.key" --disable-client-cert) </dev/null >"$tmp/srv.log" 2>&1 &
	fi
	spid=$!
	pl_wait_log "$tmp/srv.log" 'listening on IPv4' 10 >/dev/null
}

server_down() {
	cleanup
	spid=
}

# one NAME SERVER LEAF MODE TOOL: the remote run of one case, against the
# simulated one.
one() {
	local name=$1 id=$2 leaf=$3 mode=$4 tool=$5 sc dir rc got want side
	sc="$top_srcdir/scenarios/https/$name.xml"
	dir="$tmp/$name-$tool.d"
	side=$(sed -n 's/.*<peer id="\([^"]*\)" role="client".*/\1/p' "$sc")
	n=$((n + 1))
	if ! "$UCTLS" pki export --for "$tool" "$sc" "$dir" >"$tmp/export.log" 2>&1; then
		fail=1
		echo "not ok $n - $name $tool: uctls pki export --for $tool failed"
		sed 's/^/# /' "$tmp/export.log"
		return
	fi
	if ! server_up "$tool" "$dir" "$id" "$leaf" "$mode"; then
		server_down
		fail=1
		echo "not ok $n - $name $tool: the server did not start"
		sed 's/^/# /' "$tmp/srv.log" | tail -5
		return
	fi
	"$UCTLS" run --json --timeout 5000 --remote "$id=127.0.0.1:$sport" "$sc" \
		>"$tmp/$name.$tool" 2>"$tmp/$name.$tool.err"
	rc=$?
	server_down
	{
		read -r got
		read -r want
	} < <(pl_records "$tmp/$name.$tool" "$tmp/$name.sim" "$side")
	if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then
		echo "ok $n - $name against $tool ($mode): $side recorded $got"
		return
	fi
	fail=1
	echo "not ok $n - $name against $tool ($mode): uctls exited $rc; $side recorded '$got'," \
		"simulated '$want'"
	sed 's/^/# uctls: /' "$tmp/$name.$tool.err" | head -5
	sed 's/^/# server: /' "$tmp/srv.log" | grep -iE 'error|alert|GET' | head -5
}

echo "1..$(($(cases | wc -l) * 3))"
while read -r name id leaf mode; do
	# The simulated run first: it must match its <expect> too.
	n=$((n + 1))
	if "$UCTLS" run --json "$top_srcdir/scenarios/https/$name.xml" >"$tmp/$name.sim" \
		2>"$tmp/$name.sim.err"; then
		echo "ok $n - $name simulated"
	else
		fail=1
		echo "not ok $n - $name simulated"
		sed 's/^/# /' "$tmp/$name.sim.err" | head -5
	fi
	for tool in openssl gnutls; do
		one "$name" "$id" "$leaf" "$mode" "$tool"
	done
done < <(cases)
exit $fail
