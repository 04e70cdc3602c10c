# prosody-lib.sh -- real Prosody 0.12 peers for uctls's xmpp-s2s TAP tests.
# shellcheck shell=bash disable=SC2034 # PX_* are read by the sourcing test
#
# Source it from a bash TAP test.  Everything runs in a private network +
# mount namespace made with unshare(1): 127.0.0.1, all ports and a DNS server
# on 127.0.0.1:53 are private to the test; /etc/resolv.conf and /etc/hosts
# are bind-mounted from $PX_DIR (what `ip netns exec` does with
# /etc/netns/NAME/*, minus the global state that `ip netns add` leaves behind
# when a test is killed).  Works as root, and as a normal user where the
# kernel allows unprivileged user namespaces (unshare --map-root-user).
#
# Why a DNS server: Prosody resolves a remote domain itself (RFC 6120
# section 3.2: SRV _xmpp-server._tcp.DOMAIN, else DOMAIN's A/AAAA on 5269;
# 0.12 asks for _xmpps-server._tcp.DOMAIN, XEP-0368, first).  With
# lua-unbound Prosody sets hoststxt=false, so /etc/hosts is ignored unless
# the config says unbound = { hoststxt = true }; the legacy resolver (no
# lua-unbound) never reads it; neither can use a DNS port other than 53.
# So dnsmasq answers on 127.0.0.1:53 inside the namespace with the SRV and A
# records px_map_domain writes, which also lets every port be chosen at run
# time.
#
# API.  Functions return 0 on success; diagnostics go to stderr as "# ...".
# Call them from the test's main shell, not from $(...) or a pipeline (they
# set PX_* variables and start background processes).
#   px_setup                 make $PX_DIR, the namespace and dnsmasq; set an
#                            EXIT trap running px_cleanup (a test that needs
#                            its own EXIT trap must call px_cleanup in it).
#                            Missing tools or no namespaces: prints
#                            "1..0 # SKIP <reason>" and exits 0.
#   px_run CMD...            run CMD in the namespace, in the foreground
#   px_bg CMD...             run CMD in the namespace in the background; its
#                            pid (CMD's own) in PX_BG_PID; px_cleanup kills it.
#                            Redirections written after px_bg are opened by
#                            the calling shell before the fork: to a FIFO
#                            that blocks until a reader comes.  Send the
#                            output to a file and px_wait_log -f on it.
#   px_reap PID [SECS]       SIGTERM PID, SIGKILL after SECS (5), reap it
#                            (returns at once when PID exits)
#   px_free_port             print a free TCP port on 127.0.0.1 in the ns
#   px_start_prosody DOMAIN CERT KEY CAFILE [OPTION...]
#                            write a config, start Prosody (-F) in the ns,
#                            return once its c2s and s2s ports listen, its
#                            admin socket is up and its TLS contexts are
#                            built (fails if CERT/KEY do not load: without
#                            them 0.12 just offers no STARTTLS; a Prosody
#                            that failed is stopped).  Sets PX_C2S_PORT,
#                            PX_S2S_PORT, PX_LOG, PX_PID, PX_CFG; also kept
#                            per DOMAIN for px_get.  CAFILE is the only trust
#                            anchor (capath is an empty dir).  OPTIONs:
#                              KEY=LUA      global option, value verbatim Lua:
#                                           s2s_secure_auth=true
#                                           s2s_require_encryption=false
#                                           s2s_insecure_domains='{"u.example"}'
#                                           unbound='{hoststxt=true}'
#                              -MODULE      do not load MODULE; loaded are tls
#                                           dialback saslauth ping admin_shell
#                                           (-saslauth: no SASL EXTERNAL)
#                              +MODULE      load MODULE too (e.g. +s2s_bidi)
#                              dialback=off|on  same as -dialback / default
#                              host=DOMAIN2 also serve DOMAIN2, same cert
#                              c2s_port=N, s2s_port=N  fixed port (in the ns)
#                              ssl.KEY=LUA  LuaSec option in the host's ssl
#                                           table, e.g. strict EKU checks:
#                                           ssl.verifyext='{lsec_ignore_purpose=false}'
#   px_get DOMAIN KEY        print c2s_port|s2s_port|log|pid|cfg|dir
#   px_stop_prosody DOMAIN   SIGTERM, bounded wait (SIGKILL after $PX_TIMEOUT)
#   px_map_domain DOMAIN PORT  in the ns: _xmpp-server._tcp.DOMAIN SRV
#                            0 0 PORT DOMAIN, DOMAIN A 127.0.0.1, all else
#                            under DOMAIN NXDOMAIN; TTL 0 (restarts dnsmasq)
#   px_map_domains DOMAIN PORT...  the same for several, one restart
#   px_worker DIR            in a background subshell after px_setup: a
#                            namespace, dnsmasq and PX_DIR of its own (for
#                            workers that serve the same domains at once)
#   px_s2s_ping FROM TO [SECS]  admin shell xmpp:ping(FROM, TO): the Prosody
#                            serving FROM sends an XEP-0199 ping to TO, which
#                            opens an outgoing s2s stream unless one is up;
#                            prints the shell's output (session connected /
#                            authenticated / established lines); 0 iff a
#                            pong came back within SECS
#   px_trigger_s2s FROM TO [SECS]  the same in the background, returns at
#                            once: output in $PX_TRIGGER_OUT, pid in
#                            PX_TRIGGER_PID; then wait on log lines
#   px_shell DOMAIN LUA      one admin-shell command (prosodyctl shell), e.g.
#                            's2s:show()': per session TLS version, SASL and
#                            Dialback status
#   px_wait_log [-t SECS] [-a LINE] [-f LOG] [-p PID] [-E|-F] PATTERN
#                            wait until a line of LOG (default $PX_LOG) after
#                            line LINE (default 0) matches the ERE (fixed
#                            string with -F); print it.  Gives up after SECS
#                            (default $PX_TIMEOUT, 10) or when PID exits.
#   px_log_mark [LOG]        print LOG's line count now (for -a)
#   px_mkca NAME DIR / px_mkleaf NAME DIR CA DOMAIN [EKU...]
#                            certtool: ECDSA root, or leaf with DNS SAN and
#                            XmppAddr; EKU is tls_www_server, tls_www_client
#                            (default both); writes DIR/NAME.pem, .key.
#                            Need certtool (gnutls-bin), not checked by setup.
#   px_cleanup               stop everything started here, remove $PX_DIR
#                            (kept, and named, when PX_KEEP is set)
#
# Prosody 0.12.3 log lines (level, text; most need the debug level set here):
#   TLS:    info "Stream encrypted (TLSv1.3 with ...)";
#           debug "TLS handshake error: <openssl text>"
#   peer certificate: debug "certificate chain validation result: valid|invalid",
#           debug "certificate error(s) at depth 0: unsuitable certificate
#           purpose | self-signed certificate | certificate has expired |
#           unable to get local issuer certificate, ...",
#           debug "certificate identity validation result: valid|invalid",
#           warn "No certificate provided by D", and with secure auth
#           warn "Forbidding insecure connection to/from D because its
#           certificate is not trusted|has expired|is not valid for this
#           name|could not be validated"
#   SASL EXTERNAL: receiving info "Accepting SASL EXTERNAL identity from D";
#           initiating debug "SASL EXTERNAL with D succeeded"
#   dialback: initiating debug "Initiating dialback..."; receiving debug
#           "asking D if key K belongs to them"; authoritative debug
#           "verified dialback key... it is valid"
#   done:   info "Outgoing|Incoming s2s connection F->T complete"
#   host-unknown: receiving info "Incoming s2s stream F->T closed: This host
#           does not serve T"; initiating info "Session closed by remote with
#           error: host-unknown (This host does not serve T)"
#   end:    info "Outgoing|Incoming s2s stream F->T closed: <reason>"
#
# What 0.12.3 does, seen with tests/prosody.sh (modules/mod_s2s.lua,
# mod_saslauth.lua, mod_dialback.lua of the Debian package):
#   - s2s streams are one-way (RFC 6120 section 4.1 / 4.3): an answer to a
#     stanza received on an incoming stream goes out on Prosody's own
#     outgoing stream to the sender's domain (debug "opening a new outgoing
#     connection for this stanza", needs DNS for that domain); and a stanza
#     from the peer's domain arriving on Prosody's outgoing stream is
#     refused: warn "Received a stanza claiming to be from D, over a stream
#     authed for OURS!", stream error <not-authorized/>.  Only XEP-0288
#     (+s2s_bidi, and the initiator must ask for it) changes that.
#   - initiating: SASL EXTERNAL whenever the receiving server offers it
#     (priority 150, before dialback), whatever the receiving server's
#     certificate was; with s2s_secure_auth=true an invalid one is closed
#     first: warn "Forbidding insecure connection to/from D because its
#     certificate is not valid for this name" and <not-authorized/> to the
#     peer.  Dialback ("Initiating dialback...") only when EXTERNAL is not
#     offered or failed.
#   - receiving, with neither SASL EXTERNAL (peer certificate invalid)
#     nor dialback to offer after TLS: the stream header and then
#     <undefined-condition/> "No stream features to offer", instead of
#     empty features.
#   - a host whose ssl certificate/key do not load gets "SSL/TLS: Error
#     initialising" and no STARTTLS (px_start_prosody fails then).
#   - with a leaf-only certificate file and the intermediate not in the
#     cafile, OpenSSL sends the leaf alone.
#
# style.md rules kept: no fixed ports, no sleeps, only 127.0.0.1, every wait
# bounded.  (The one "sleep infinity" is the namespace's anchor, not a wait.)

PX_TIMEOUT=${PX_TIMEOUT:-10}
PX_DIR=
PX_OWNER=
PX_NS_PID=
PX_NS_ENTER=()
PX_PDEATH=()
PX_LOG='' PX_PID='' PX_CFG='' PX_C2S_PORT='' PX_S2S_PORT='' PX_BG_PID='' PX_TRIGGER_PID=''
PX_TRIGGER_OUT=
PX_NS_WHY=

px_diag() { printf '# %s\n' "$*" >&2; }

px_skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

px_setup() {
	local t need=
	case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac # dnsmasq, ip
	for t in prosody prosodyctl unshare nsenter ip mount dnsmasq lua5.4; do
		command -v "$t" >/dev/null 2>&1 || need="${need:+$need, }$t"
	done
	[ -z "$need" ] || px_skip "not installed: $need"
	lua5.4 -e 'require "socket"' 2>/dev/null || px_skip "lua-socket for lua5.4 not installed"
	# Everything started here dies with the test shell even on SIGKILL,
	# where no trap runs (prctl PR_SET_PDEATHSIG survives exec).
	setpriv --pdeathsig KILL true 2>/dev/null && PX_PDEATH=(setpriv --pdeathsig KILL)
	PX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/uctls-px.XXXXXX") || px_skip "mktemp failed"
	PX_OWNER=$BASHPID
	trap px_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	px_ns_up || px_skip "$PX_NS_WHY"
}

# px_ns_up: in $PX_DIR (made, empty), the namespace and its dnsmasq; 1 with
# the reason in PX_NS_WHY when it cannot be made.  px_setup calls it; a
# worker subshell that wants a namespace of its own calls px_worker.
px_ns_up() {
	PX_NS_WHY=
	mkdir -p "$PX_DIR/capath" # empty: trust only the test's cafile
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$PX_DIR/resolv.conf"
	printf '127.0.0.1 localhost\n' >"$PX_DIR/hosts"

	# The anchor: a process that owns the new net + mount namespaces and
	# reports on stdout once lo is up and the bind mounts are in place.
	local uflag=() ready
	[ "$(id -u)" = 0 ] || uflag=(--map-root-user)
	mkfifo "$PX_DIR/ns.fifo" || { PX_NS_WHY="mkfifo failed"; return 1; }
	# shellcheck disable=SC2016 # $1 is the inner sh's
	unshare "${uflag[@]}" --net --mount --propagation private -- "${PX_PDEATH[@]}" /bin/sh -c '
		ip link set lo up &&
		mount --bind "$1/resolv.conf" /etc/resolv.conf &&
		mount --bind "$1/hosts" /etc/hosts &&
		echo ready &&
		exec sleep infinity' sh "$PX_DIR" >"$PX_DIR/ns.fifo" 2>"$PX_DIR/ns.err" &
	PX_NS_PID=$!
	read -r -t "$PX_TIMEOUT" ready <"$PX_DIR/ns.fifo" || ready=
	if [ "$ready" != ready ]; then
		PX_NS_WHY="cannot make a network namespace: $(tr '\n' ' ' <"$PX_DIR/ns.err")"
		return 1
	fi
	PX_NS_ENTER=(nsenter --target "$PX_NS_PID" --net --mount)
	[ ${#uflag[@]} -eq 0 ] || PX_NS_ENTER+=(--user --preserve-credentials)
	px_dns_restart && return 0
	PX_NS_WHY="dnsmasq does not start in the namespace: $(tail -n 3 "$PX_DIR/dnsmasq.log" 2>/dev/null | tr '\n' ' ')"
	return 1
}

# px_worker DIR: in a subshell of the test (`( px_worker DIR; ... ) &'),
# after px_setup: a namespace, dnsmasq and PX_DIR (DIR, made here) of its
# own, so that several workers can serve the same domains at once; its
# px_cleanup stops what it started.  1 (reason in PX_NS_WHY) on failure.
px_worker() {
	PX_DIR=$1
	PX_OWNER=$BASHPID
	PX_NS_PID=
	PX_NS_ENTER=()
	trap px_cleanup EXIT
	trap 'exit 143' TERM
	mkdir -p "$PX_DIR" || { PX_NS_WHY="mkdir $PX_DIR failed"; return 1; }
	px_ns_up
}

px_run() {
	"${PX_NS_ENTER[@]}" -- "$@"
}

# Run CMD in the background inside the namespace and leave its pid in
# PX_BG_PID: $! is CMD itself, since nsenter and setpriv exec (nsenter
# forks only to enter a pid namespace).  The pid goes to a file, not a
# variable, so that px_cleanup also finds what a subshell started.
px_bg() {
	"${PX_NS_ENTER[@]}" -- "${PX_PDEATH[@]}" "$@" &
	PX_BG_PID=$!
	echo "$PX_BG_PID" >>"$PX_DIR/pids"
}

px_free_port() {
	# lua-socket is a Prosody dependency, so this needs nothing extra.
	px_run lua5.4 -e '
		local s = assert(require "socket".bind("127.0.0.1", 0))
		local _, port = s:getsockname(); s:close(); print(port)'
}

# Stop a process started with px_bg: SIGTERM, SIGKILL if it is still there
# after SECS (default 5), and reap it.  For our own child `wait` returns as
# soon as it exits; the watchdog (plain sh, so it inherits none of bash's
# traps) is a bounded `tail --pid`, which ends by itself within a second of
# the exit.  A process started by a subshell is no child of ours (wait says
# 127): then the watchdog itself is what we wait for.
px_reap() { # PID [SECS]
	local w rc=0
	if ! kill -TERM "$1" 2>/dev/null; then
		wait "$1" 2>/dev/null || :
		return 0
	fi
	sh -c 'timeout "$1" tail --pid="$2" -f /dev/null; [ $? != 124 ] || kill -KILL "$2"' \
		sh "${2:-5}" "$1" </dev/null >/dev/null 2>&1 &
	w=$!
	wait "$1" 2>/dev/null || rc=$?
	[ "$rc" != 127 ] || wait "$w" || :
	return 0
}

px_dns_restart() {
	local mark
	[ ! -s "$PX_DIR/dnsmasq.pid" ] || px_reap "$(cat "$PX_DIR/dnsmasq.pid")"
	touch "$PX_DIR/dns.conf" "$PX_DIR/dnsmasq.log" # tail -F is slow to see new files
	mark=$(px_log_mark "$PX_DIR/dnsmasq.log")
	# dnsmasq binds its sockets before it logs "started", so that line is
	# the event to wait for.  Nothing upstream: it answers only what
	# px_map_domain wrote, with TTL 0 so resolvers cache nothing.
	px_bg dnsmasq --keep-in-foreground --conf-file="$PX_DIR/dns.conf" \
		--no-resolv --no-hosts --no-poll --no-negcache \
		--listen-address=127.0.0.1 --bind-interfaces --port=53 \
		--user= --group= --pid-file= \
		--log-queries --log-facility="$PX_DIR/dnsmasq.log" \
		</dev/null >>"$PX_DIR/dnsmasq.out" 2>&1
	echo "$PX_BG_PID" >"$PX_DIR/dnsmasq.pid"
	px_wait_log -a "$mark" -p "$PX_BG_PID" -f "$PX_DIR/dnsmasq.log" -F "started, version" >/dev/null
}

px_map_domain() { px_map_domains "$1" "$2"; }

# px_map_domains DOMAIN PORT [DOMAIN PORT]...: px_map_domain for each,
# with one restart of dnsmasq.
px_map_domains() {
	local dom re
	while [ $# -ge 2 ]; do
		dom=$1 re=${1//./\\.}
		# RFC 6120 section 3.2.1 / RFC 2782: _xmpp-server._tcp.DOMAIN SRV
		# 0 0 PORT DOMAIN, and DOMAIN's own A record for the target.
		# local=/DOMAIN/ makes every other name under DOMAIN (Prosody 0.12
		# asks for _xmpps-server._tcp.DOMAIN first, XEP-0368) NXDOMAIN, not
		# SERVFAIL.
		sed -i -e "/^\(srv-host=_xmpp-server\._tcp\.\|host-record=\)$re,/d" \
			-e "\|^local=/$re/\$|d" "$PX_DIR/dns.conf"
		printf 'srv-host=_xmpp-server._tcp.%s,%s,%s,0,0\nhost-record=%s,127.0.0.1,0\nlocal=/%s/\n' \
			"$dom" "$dom" "$2" "$dom" "$dom" >>"$PX_DIR/dns.conf"
		shift 2
	done
	px_dns_restart
}

px_log_mark() {
	local f=${1:-$PX_LOG}
	[ -f "$f" ] || { echo 0; return; }
	wc -l <"$f" | tr -d ' '
}

px_wait_log() {
	local OPTIND opt t=$PX_TIMEOUT after=0 log=$PX_LOG pid='' fixed=-E pat
	while getopts t:a:f:p:EF opt; do
		case $opt in
		t) t=$OPTARG ;;
		a) after=$OPTARG ;;
		f) log=$OPTARG ;;
		p) pid=$OPTARG ;;
		E) fixed=-E ;;
		F) fixed=-F ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	pat=$1
	# tail -F survives the file not existing yet; --pid stops it early if
	# the writer dies; grep -m1 ends the pipe at the first match.
	# (No pipefail: the pipeline's status is grep's.)
	if timeout "$t" tail -n +"$((after + 1))" -F ${pid:+--pid="$pid" -s 0.1} "$log" 2>/dev/null |
		grep -m1 "$fixed" -- "$pat"; then
		return 0
	fi
	px_diag "no line matching '$pat' in $log${pid:+ (or pid $pid exited)} within ${t}s"
	return 1
}

px_get() { # DOMAIN c2s_port|s2s_port|log|pid|cfg|dir
	cat "$PX_DIR/prosody-$1/$2"
}

px_start_prosody() {
	local dom=$1 cert=$2 key=$3 ca=$4 dir c2s='' s2s='' o mods hosts ssl_extra globals
	shift 4
	dir=$PX_DIR/prosody-$dom
	if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		px_diag "px_start_prosody: $dom is running; px_stop_prosody it first"
		return 1
	fi
	# A restart of the same domain starts a fresh log so that waits cannot
	# match the previous run's lines (kept as prosody.log.prev; data_path
	# is kept too).
	[ ! -f "$dir/prosody.log" ] || mv -f "$dir/prosody.log" "$dir/prosody.log.prev"
	rm -f "$dir/stdout"
	mkdir -p "$dir/data" "$dir/certs" || return 1
	: >"$dir/prosody.log" # tail -F is slow to see a file that appears later
	if [ ${#dir} -gt 95 ]; then # sun_path holds 108 bytes
		px_diag "px_start_prosody: $dir/admin.sock is too long for a unix socket (set TMPDIR)"
		return 1
	fi
	mods=" tls dialback saslauth ping admin_shell "
	hosts=$dom
	ssl_extra=
	globals=
	for o in "$@"; do
		case $o in
		c2s_port=*) c2s=${o#*=} ;;
		s2s_port=*) s2s=${o#*=} ;;
		dialback=off) mods=${mods/ dialback / } ;;
		dialback=on) ;;
		-*) mods=${mods/ ${o#-} / } ;;
		+*) mods="$mods${o#+} " ;;
		host=*) hosts="$hosts ${o#host=}" ;;
		ssl.*=*) o=${o#ssl.}; ssl_extra="$ssl_extra ${o%%=*} = ${o#*=};" ;;
		*=*) globals="$globals${o%%=*} = ${o#*=}"$'\n' ;;
		*) px_diag "px_start_prosody: bad option '$o'"; return 2 ;;
		esac
	done
	[ -n "$c2s" ] || c2s=$(px_free_port) || return 1
	while [ -z "$s2s" ] || [ "$s2s" = "$c2s" ]; do
		s2s=$(px_free_port) || return 1
	done
	{
		cat <<-EOF
		-- written by tests/prosody-lib.sh for $dom
		daemonize = false
		run_as_root = true
		pidfile = "$dir/prosody.pid"
		data_path = "$dir/data"
		certificates = "$dir/certs"
		admin_socket = "$dir/admin.sock"
		log = { { levels = { min = "debug" }, to = "file", filename = "$dir/prosody.log" } }
		interfaces = { "127.0.0.1" }
		c2s_ports = { $c2s }
		s2s_ports = { $s2s }
		c2s_direct_tls_ports = { }
		s2s_direct_tls_ports = { }
		legacy_ssl_ports = { }
		use_ipv6 = false
		authentication = "internal_hashed"
		modules_enabled = {$(for o in $mods; do printf ' "%s";' "$o"; done) }
		EOF
		printf '%s' "$globals"
		for o in $hosts; do
			printf 'VirtualHost "%s"\n' "$o"
			printf '\tssl = { certificate = "%s"; key = "%s"; cafile = "%s"; capath = "%s";%s }\n' \
				"$cert" "$key" "$ca" "$PX_DIR/capath" "$ssl_extra"
		done
	} >"$dir/prosody.cfg.lua"
	case $mods in *" tls "*) o=tls ;; *) o=notls ;; esac
	# shellcheck disable=SC2086 # hosts: one word each
	px_launch "$dom" "$dir" "$dir/prosody.cfg.lua" "$dir/prosody.log" "$dir/admin.sock" \
		"$c2s" "$s2s" "$o" $hosts
}

# px_launch DOMAIN DIR CFG LOG SOCKET C2S S2S tls|notls HOST...: start
# Prosody with CFG (its ports from the UCTLS_PROSODY_* environment when CFG
# reads them, as `uctls pki export --for prosody' writes it) and wait until
# it is ready; px_get DOMAIN finds it then.
px_launch() {
	local dom=$1 dir=$2 cfg=$3 log=$4 sock=$5 c2s=$6 s2s=$7 tls=$8 o
	shift 8
	echo "$c2s" >"$dir/c2s_port"
	echo "$s2s" >"$dir/s2s_port"
	echo "$log" >"$dir/log"
	echo "$cfg" >"$dir/cfg"
	echo "$dir" >"$dir/dir"
	# -F: foreground (0.12 warns that 'daemonize' in the config is deprecated,
	# harmlessly; the command-line flag wins).
	px_bg env UCTLS_PROSODY_S2S_PORT="$s2s" UCTLS_PROSODY_C2S_PORT="$c2s" \
		UCTLS_PROSODY_INTERFACE=127.0.0.1 UCTLS_PROSODY_SOCKET="$sock" \
		prosody -F --config "$cfg" >"$dir/stdout" 2>&1
	echo "$PX_BG_PID" >"$dir/pid"
	PX_PID=$PX_BG_PID PX_C2S_PORT=$c2s PX_S2S_PORT=$s2s
	PX_LOG=$log PX_CFG=$cfg
	# Ready = both listeners activated, the admin socket created and, with
	# mod_tls, each host's TLS contexts built ("Certificates loaded").  0.12
	# does all of it in one synchronous start-up before its event loop
	# runs, in module-hash order (the admin socket can come first), so each
	# line is waited for; none is "the last".
	local ready=("Activated service 's2s' on [127.0.0.1]:$s2s"
		"Activated service 'c2s' on [127.0.0.1]:$c2s" "($sock, 0) created")
	[ "$tls" != tls ] || for o; do ready+=("$o:tls	info	Certificates loaded"); done
	for o in "${ready[@]}"; do
		px_wait_log -f "$log" -p "$PX_PID" -F "$o" >/dev/null && continue
		px_diag "Prosody for $dom did not start; stdout:"
		sed 's/^/#   /' "$dir/stdout" >&2
		grep -E '	(error|warn)	' "$log" 2>/dev/null | sed 's/^/#   /' >&2
		px_reap "$PX_PID" "$PX_TIMEOUT" # so that DOMAIN can be started again
		return 1
	done
	# A certificate/key Prosody cannot load (wrong key, unreadable file) is
	# only an error line: mod_tls then offers no STARTTLS at all and every
	# case would fail for a reason that has nothing to do with it.
	o='	error	(SSL/TLS: Error initialising|Error creating context)'
	if grep -qE "$o" "$log"; then
		grep -E "$o" "$log" | sed 's/^/#   /' >&2
		px_diag "Prosody for $dom has no TLS context ($cfg)"
		px_reap "$PX_PID" "$PX_TIMEOUT"
		return 1
	fi
}

# px_start_exported CFG: start Prosody with a configuration written by
# `uctls pki export --for prosody' (DIR/prosody-ID.cfg.lua), untouched: its
# ports, listening address and admin socket come from the environment it
# reads; its log is DIR/ID.prosody/prosody.log.  The first VirtualHost is
# the DOMAIN for px_get and px_trigger_s2s.
px_start_exported() {
	local cfg=$1 id hosts dom dir c2s s2s tls=notls
	id=${cfg##*/prosody-}
	id=${id%.cfg.lua}
	hosts=$(sed -n 's/^VirtualHost "\([^"]*\)"$/\1/p' "$cfg")
	dom=${hosts%%$'\n'*}
	[ -n "$dom" ] || { px_diag "px_start_exported: no VirtualHost in $cfg"; return 1; }
	dir=$PX_DIR/prosody-$dom
	if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		px_diag "px_start_exported: $dom is running; px_stop_prosody it first"
		return 1
	fi
	mkdir -p "$dir" || return 1
	grep -q '^modules_enabled = .*"tls";' "$cfg" && tls=tls
	c2s=$(px_free_port) || return 1
	s2s=$c2s
	while [ "$s2s" = "$c2s" ]; do s2s=$(px_free_port) || return 1; done
	# shellcheck disable=SC2086 # hosts: one word each
	px_launch "$dom" "$dir" "$cfg" "${cfg%/*}/$id.prosody/prosody.log" "$dir/admin.sock" \
		"$c2s" "$s2s" "$tls" $hosts
}

px_stop_prosody() {
	local pid
	pid=$(px_get "$1" pid) || return 1
	px_reap "$pid" "$PX_TIMEOUT"
}

px_shell() { # DOMAIN LUA-COMMAND
	px_run env UCTLS_PROSODY_SOCKET="$(px_get "$1" dir)/admin.sock" \
		timeout "$PX_TIMEOUT" prosodyctl --config "$(px_get "$1" cfg)" shell "$2"
}

px_s2s_ping() { # FROM TO [SECS]
	local t=${3:-$PX_TIMEOUT}
	local out
	out=$(PX_TIMEOUT=$((t + 5)) px_shell "$1" "xmpp:ping(\"$1\", \"$2\", $t)" 2>&1) || :
	printf '%s\n' "$out"
	case $out in *"pong from "*) return 0 ;; esac
	return 1
}

px_trigger_s2s() { # FROM TO [SECS]
	local t=${3:-$PX_TIMEOUT}
	PX_TRIGGER_OUT=$(mktemp "$PX_DIR/trigger.XXXXXX") || return 1
	px_bg env UCTLS_PROSODY_SOCKET="$(px_get "$1" dir)/admin.sock" \
		timeout "$((t + 5))" prosodyctl --config "$(px_get "$1" cfg)" shell \
		"xmpp:ping(\"$1\", \"$2\", $t)" </dev/null >"$PX_TRIGGER_OUT" 2>&1
	PX_TRIGGER_PID=$PX_BG_PID
}

px_mkca() { # NAME DIR
	printf 'cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' "$1" >"$2/$1.tmpl" &&
		certtool --generate-privkey --key-type=ecdsa --outfile "$2/$1.key" 2>/dev/null &&
		certtool --generate-self-signed --load-privkey "$2/$1.key" \
			--template "$2/$1.tmpl" --outfile "$2/$1.pem" 2>/dev/null
}

px_mkleaf() { # NAME DIR CA DOMAIN [EKU...]
	local n=$1 d=$2 ca=$3 dom=$4 eku
	shift 4
	[ $# -gt 0 ] || set -- tls_www_server tls_www_client
	{
		# XEP-0178 section 3: the peer's domain as DNS SAN and XmppAddr.
		printf 'cn = "%s"\ndns_name = "%s"\nxmpp_name = "%s"\n' "$dom" "$dom" "$dom"
		printf 'signing_key\nexpiration_days = 30\n'
		for eku; do echo "$eku"; done
	} >"$d/$n.tmpl"
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/$n.key" 2>/dev/null &&
		certtool --generate-certificate --load-privkey "$d/$n.key" \
			--load-ca-certificate "$d/$ca.pem" --load-ca-privkey "$d/$ca.key" \
			--template "$d/$n.tmpl" --outfile "$d/$n.pem" 2>/dev/null
}

px_cleanup() {
	local pid
	# Only the shell that ran px_setup cleans up, never a subshell that
	# inherited the EXIT trap.
	[ -n "$PX_DIR" ] && [ "$BASHPID" = "$PX_OWNER" ] || return 0
	if [ -f "$PX_DIR/pids" ]; then
		while read -r pid; do
			kill -TERM "$pid" 2>/dev/null || :
		done <"$PX_DIR/pids"
		while read -r pid; do
			px_reap "$pid"
		done <"$PX_DIR/pids"
	fi
	if [ -n "$PX_NS_PID" ]; then
		kill "$PX_NS_PID" 2>/dev/null || :
		wait "$PX_NS_PID" 2>/dev/null || :
	fi
	[ -n "${PX_KEEP:-}" ] && { px_diag "kept $PX_DIR"; return 0; }
	rm -rf "$PX_DIR"
	PX_DIR=
}
