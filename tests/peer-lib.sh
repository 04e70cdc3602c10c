# peer-lib.sh -- the start-up that uctls's real-peer TAP tests share
# (tests/kamailio.sh, sipsak.sh, fidelity-sip.sh, fidelity-tls.sh; the
# Prosody tests have tests/prosody-lib.sh, which needs a namespace).
# shellcheck shell=bash disable=SC2034 # py, tmp, n, fail: the test's
#
# Source it from a bash TAP test, then:
#   pl_python                 python3 (the JSON reports) or SKIP; the
#                             interpreter itself in $py, resolved once (a
#                             version-manager shim costs a process a call)
#   pl_need CMD HINT...       CMD on PATH or SKIP "CMD not found (HINT)"
#   pl_kamailio_modules MOD...  Kamailio and each module in the directory
#                             it was built with (kamailio -I), or SKIP
#   pl_start NAME             uctls ($UCTLS, default
#                             $top_builddir/harness/uctls) must be there:
#                             it is the program under test, so without it
#                             the test bails out (fails), never skips; then
#                             $tmp (mktemp -d uctls-NAME.XXXXXX, removed at
#                             exit unless PEER_KEEP is set), the traps (EXIT
#                             runs the test's own `cleanup' if it has one,
#                             then removes $tmp), UCTLS_KEY_CACHE=$tmp/keys
#                             (an export and the runs share the keys), n=0,
#                             fail=0
#   pl_free_port [tcp|udp]... a port free on 127.0.0.1 right now, for each
#                             (default one tcp), on one line
#   pl_wait_log FILE ERE SECS [FROM-LINE]  wait (bounded) for a line of FILE
#                             at or after FROM-LINE (default 1) matching
#                             ERE; print it; 1 if none came in SECS
#   pl_records FILE SIM SIDE  SIDE's records (step:status:reason, the
#                             unobserved left out) in the JSON report FILE,
#                             then in SIM, a line each
# No fixed ports, no sleeps: every wait is bounded (style.md).

pl_tpid=

pl_skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

pl_python() {
	command -v python3 >/dev/null 2>&1 || pl_skip "python3 not found (needed to read the JSON reports)"
	py=$(python3 -c 'import sys; print(sys.executable)') || pl_skip "python3 does not run"
}

pl_need() {
	local cmd=$1
	shift
	command -v "$cmd" >/dev/null 2>&1 || pl_skip "$cmd not found ($*)"
}

pl_kamailio_modules() {
	local moddirs m d found dirs
	pl_need kamailio "Debian: apt-get install kamailio"
	moddirs=$(kamailio -I 2>/dev/null | sed -n 's/^.*Default paths to modules: *//p')
	IFS=: read -r -a dirs <<<"$moddirs"
	for m; do
		found=
		for d in "${dirs[@]}"; do
			[ -f "$d/$m.so" ] && found=1
		done
		[ -n "$found" ] && continue
		[ "$m" = tls ] && pl_skip "Kamailio's tls module not found in '$moddirs'" \
			"(Debian: apt-get install kamailio-tls-modules)"
		pl_skip "Kamailio module $m not found in '$moddirs'"
	done
}

pl_cleanup() {
	! declare -F cleanup >/dev/null || cleanup
	[ -z "$pl_tpid" ] || kill "$pl_tpid" 2>/dev/null
	[ -n "${tmp:-}" ] || return 0
	if [ -n "${PEER_KEEP:-}" ]; then
		echo "# kept $tmp"
		return 0
	fi
	rm -rf "$tmp"
}

pl_start() {
	UCTLS=${UCTLS:-${top_builddir:-.}/harness/uctls}
	if [ ! -x "$UCTLS" ]; then
		echo "Bail out! uctls binary not found at $UCTLS (build it first)"
		exit 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-$1.XXXXXX") || exit 1
	trap pl_cleanup EXIT
	trap 'exit 129' HUP INT TERM
	export UCTLS_KEY_CACHE="$tmp/keys"
	n=0
	fail=0
}

pl_free_port() {
	[ $# -gt 0 ] || set -- tcp
	"$py" - "$@" <<'P'
import socket, sys
socks = []
for kind in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
P
}

pl_wait_log() {
	local rc
	exec 4< <(exec timeout "$3" tail -n "+${4:-1}" -F "$1" 2>/dev/null)
	pl_tpid=$!
	grep -m1 -E -e "$2" <&4
	rc=$?
	kill "$pl_tpid" 2>/dev/null
	pl_tpid=
	exec 4<&-
	return $rc
}

# pl_records FILE SIM SIDE: SIDE's records in the JSON reports FILE and SIM
# (one line each: step:status:reason ..., what a real peer's side did not
# observe left out; "no JSON report (why)" for a file that has none).
pl_records() {
	"$py" - "$1" "$2" "$3" <<'P'
import json, sys
for f in sys.argv[1:3]:
    try:
        o = json.loads(open(f).readline())
    except Exception as e:
        print("no JSON report (%s)" % e)
        continue
    print(" ".join("%s:%s:%s" % (s["step"], s["status"], s["reason"] or "-")
                   for s in o["steps"] if s["side"] == sys.argv[3] and s["status"] != "unobserved"))
P
}
