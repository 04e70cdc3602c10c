#!/bin/sh
# tests/export.sh — `uctls pki export' writes files a real TLS stack loads,
# and writes the same bytes again under the same key cache.
#
# Asserts:
#   - an export under UCTLS_KEY_CACHE=K exits 0 and writes the certificates,
#     keys, each peer's chain and trust list and MANIFEST.txt;
#   - a second export under the same K is byte-identical (diff -r), and so is
#     one with --key-cache K instead of the environment; a fresh key cache
#     gives other keys (so the comparison can fail);
#   - every key file is mode 0600, even under umask 000;
#   - with gnutls-bin: gnutls-serv loads the server peer's chain and key and
#     the server's trust list (client certificate required and verified);
#     gnutls-cli loads the client peer's chain, key and trust list and
#     checks the server's name (--verify-hostname, the client's
#     verify-name).  For tls/untrusted-root-ok, which uctls predicts to pass,
#     the handshake completes; for tls/untrusted-root, whose client does not
#     trust the server's root and which uctls predicts to fail on the
#     client, gnutls-cli fails with "not trusted" / "verification failed".
#     The scenarios are the shipped ones with <clock> set to now, so that
#     the certificates are valid for the real stack.
#
# Bounded: every wait is under timeout(1); no sleeps: the server's
# readiness is its "listening ... done" line, read through a fifo.  The
# trap stops the processes started here (by their ids) and removes the
# temporary directory.
#
# TAP for Automake's tap-driver.  Environment: UCTLS (the program; default
# the build tree's), top_srcdir.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${UCTLS:=${top_builddir:-$top_srcdir}/harness/uctls}"

# uctls is the program under test: without it the test fails (SKIP is for a
# missing external tool only).
if [ ! -x "$UCTLS" ]; then
	echo "Bail out! $UCTLS not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-export.XXXXXX") || exit 99
spid=
rpid=
stop_server() {
	if [ -n "$spid" ]; then
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	fi
	if [ -n "$rpid" ]; then
		# the reader ends at the server's EOF; it may instead be blocked
		# writing to the ready fifo if nobody read it in time
		kill "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
	fi
	spid=
	rpid=
}
cleanup() {
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # STATUS LABEL [DIAG...]
	st=$1
	shift
	if [ "$st" -eq 0 ]; then ok "$1"; else notok "$@"; fi
}

# The shipped twins, with the clock at the current time.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for s in untrusted-root-ok untrusted-root; do
	sed "s|<clock now=\"[^\"]*\"/>|<clock now=\"$now\"/>|" \
		"$top_srcdir/scenarios/tls/$s.xml" >"$tmp/$s.xml" || exit 99
done

# --- determinism and key modes --------------------------------------------

export_to() { # OUTDIR SCENARIO [uctls options...]: export, exit status
	out=$1
	sc=$2
	shift 2
	timeout 120 "$UCTLS" pki export "$@" "$sc" "$out" >"$tmp/export.log" 2>&1
}

sc=$tmp/untrusted-root-ok.xml
UCTLS_KEY_CACHE=$tmp/kc export_to "$tmp/a" "$sc"
st=$?
missing=
for f in MANIFEST.txt server-chain.pem server-trust.pem client-chain.pem client-trust.pem \
	cms.pem cms.der cms.key phone.pem phone.key root.pem int.pem; do
	[ -s "$tmp/a/$f" ] || missing="$missing $f"
done
[ $st -eq 0 ] && [ -z "$missing" ]
check $? "export under UCTLS_KEY_CACHE writes certificates, keys, chains, trust lists, manifest" \
	"exit $st; missing:$missing" "$(cat "$tmp/export.log")"

UCTLS_KEY_CACHE=$tmp/kc export_to "$tmp/b" "$sc"
st=$?
diff -r "$tmp/a" "$tmp/b" >"$tmp/diff" 2>&1
check $? "a second export with the same UCTLS_KEY_CACHE is byte-identical (exit $st)" \
	"$(head -20 "$tmp/diff")"

(unset UCTLS_KEY_CACHE; export_to "$tmp/c" "$sc" --key-cache "$tmp/kc")
st=$?
diff -r "$tmp/a" "$tmp/c" >"$tmp/diff" 2>&1
check $? "an export with --key-cache DIR (no environment) is byte-identical (exit $st)" \
	"$(head -20 "$tmp/diff")"

UCTLS_KEY_CACHE=$tmp/kc2 export_to "$tmp/d" "$sc"
st=$?
[ $st -eq 0 ] && ! cmp -s "$tmp/a/cms.key" "$tmp/d/cms.key"
check $? "a fresh key cache gives other keys (the comparison above can fail)" \
	"exit $st; cms.key identical across key caches"

(umask 000; UCTLS_KEY_CACHE=$tmp/kc export_to "$tmp/e" "$sc")
st=$?
nkeys=$(find "$tmp/a" "$tmp/e" -name '*.key' -type f | wc -l)
bad=$(find "$tmp/a" "$tmp/e" -name '*.key' -type f ! -perm 600)
[ $st -eq 0 ] && [ "$nkeys" -gt 0 ] && [ -z "$bad" ]
check $? "every key file is mode 0600, also under umask 000 ($nkeys keys)" \
	"exit $st; not 0600:" "$bad"

# --- a real TLS stack loads the export -----------------------------------

need=
for t in gnutls-serv gnutls-cli timeout mkfifo; do
	command -v $t >/dev/null 2>&1 || need="$need $t"
done

# A port free now: the kernel's choice (python3), else a random one; a
# port taken meanwhile shows as gnutls-serv's "bind() failed" and the
# caller tries another.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
	else
		r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		echo $((20000 + r % 40000))
	fi
}

# start_server DIR PEER: gnutls-serv with PEER's chain, key and trust list
# on a free port; sets port, spid, rpid.  Returns 0 once the server listens
# on IPv4, 1 when it does not (its output in $tmp/serv.log).
start_server() {
	d=$1
	p=$2
	key=$(sed -n "s/^$p-chain\.pem	what peer $p sends, in order: \([^ ]*\).*/\1/p" \
		"$d/MANIFEST.txt")
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		port=$(free_port)
		rm -f "$tmp/serv.fifo" "$tmp/ready.fifo" "$tmp/serv.log"
		mkfifo "$tmp/serv.fifo" "$tmp/ready.fifo" || return 1
		gnutls-serv --echo -p "$port" --x509certfile "$d/$p-chain.pem" \
			--x509keyfile "$d/$key.key" --x509cafile "$d/$p-trust.pem" \
			--require-client-cert --verify-client-cert \
			>"$tmp/serv.fifo" 2>&1 </dev/null &
		spid=$!
		# The reader drains the server's output for its whole life (a
		# closed fifo would kill the server with SIGPIPE) and reports
		# the first IPv4 line: "...done" listening, else bind failed.
		(
			said=
			while IFS= read -r l; do
				printf '%s\n' "$l" >>"$tmp/serv.log"
				if [ -z "$said" ]; then
					case $l in
					*"listening on IPv4"*done*) said=ready ;;
					*"listening on IPv4"*) said=failed ;;
					esac
					[ -n "$said" ] && echo $said >"$tmp/ready.fifo"
				fi
			done
			[ -n "$said" ] || echo eof >"$tmp/ready.fifo"
		) <"$tmp/serv.fifo" &
		rpid=$!
		said=$(timeout 10 head -n 1 "$tmp/ready.fifo")
		[ "$said" = ready ] && return 0
		stop_server
	done
	return 1
}

# client DIR PEER NAME: gnutls-cli with PEER's chain, key and trust list,
# checking NAME; output in $tmp/cli.log; returns its exit status.
client() {
	d=$1
	p=$2
	key=$(sed -n "s/^$p-chain\.pem	what peer $p sends, in order: \([^ ]*\).*/\1/p" \
		"$d/MANIFEST.txt")
	timeout 20 gnutls-cli --x509cafile "$d/$p-trust.pem" --x509certfile "$d/$p-chain.pem" \
		--x509keyfile "$d/$key.key" --verify-hostname "$3" -p "$port" 127.0.0.1 \
		</dev/null >"$tmp/cli.log" 2>&1
}

# What uctls predicts for a scenario: "pass" or "fail" (and that it matches
# the scenario's <expect>).
predict() {
	out=$(timeout 60 "$UCTLS" run --json "$1" 2>&1)
	case $out in
	*'"result":"pass","matched":true'*) echo pass ;;
	*'"result":"fail","matched":true'*) echo fail ;;
	*) echo "unexpected: $out" ;;
	esac
}

for s in untrusted-root-ok untrusted-root; do
	if [ -n "$need" ]; then
		skip "$s: uctls predicts the outcome" "not found:$need"
		skip "$s: gnutls-serv loads the server's chain, key and trust list" "not found:$need"
		skip "$s: gnutls-cli with the client's trust list agrees" "not found:$need"
		continue
	fi
	sc=$tmp/$s.xml
	d=$tmp/tls-$s
	UCTLS_KEY_CACHE=$tmp/kc export_to "$d" "$sc" || {
		notok "$s: export" "$(cat "$tmp/export.log")"
		continue
	}
	name=$(sed -n 's/.*role="client".*verify-name="\([^"]*\)".*/\1/p' "$sc")
	want=$(predict "$sc")
	case $s in
	*-ok) [ "$want" = pass ] ;;
	*) [ "$want" = fail ] ;;
	esac
	check $? "$s: uctls predicts $want" "$want"

	if ! start_server "$d" server; then
		notok "$s: gnutls-serv loads the server's chain, key and trust list" \
			"$(cat "$tmp/serv.log" 2>/dev/null)"
		skip "$s: gnutls-cli with the client's trust list agrees" "no server"
		stop_server
		continue
	fi
	ok "$s: gnutls-serv loads the server's chain, key and trust list (port $port)"

	client "$d" client "$name"
	st=$?
	if [ "$want" = pass ]; then
		[ $st -eq 0 ] && grep -q "Handshake was completed" "$tmp/cli.log"
		check $? "$s: gnutls-cli --verify-hostname $name completes the handshake, as predicted" \
			"exit $st" "$(tail -20 "$tmp/cli.log")" "server:" "$(tail -5 "$tmp/serv.log")"
	else
		[ $st -ne 0 ] && [ $st -ne 124 ] &&
			grep -E -q "NOT trusted|not trusted|verification failed" "$tmp/cli.log"
		check $? "$s: gnutls-cli --verify-hostname $name fails (not trusted), as predicted" \
			"exit $st" "$(tail -20 "$tmp/cli.log")"
	fi
	stop_server
done

echo "1..$n"
