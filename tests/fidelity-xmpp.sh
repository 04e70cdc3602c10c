#!/bin/bash
# The xmpp-s2s fidelity suite: one scenario, two worlds, one answer.  TAP.
# env: UCTLS, top_srcdir (given by the Makefile).  PX_KEEP=1 keeps the work
# directory (scenarios, exports, JSON reports, Prosody logs, table.md: the
# rows of docs/fidelity.md).
#
# Each shipped scenario below is run three times with the same <expect>:
#   sim  both sides in uctls;
#   R    Prosody 0.12 plays peer R (uctls I dials it: --remote R);
#   I    Prosody plays peer I (it dials uctls R: --listen R, made to by an
#        admin-shell ping);
# Prosody configured only from `uctls pki export --for prosody' (the files
# DIR/prosody-ID.cfg.lua, untouched; ports and the listening address come
# from the environment the file reads).  A row passes when uctls says the
# run matched the scenario's <expect> (exit 0) and uctls's own side
# recorded, step by step, what it recorded in the simulation (reason, and
# the text of a stream error: Prosody's "Your server's certificate ..."
# against the one uctls predicts).  A failing export fails its rows.
#
# The scenarios use the real clock (Prosody verifies with it): each is
# copied with <clock now=> set to now, the only change.  The sides'
# domains: the Prosody side is example.org, the partner example.com;
# both resolve (SRV _xmpp-server._tcp) to the one port uctls listens on.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
UCTLS=${UCTLS:-$top_srcdir/harness/uctls}
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found (needed to read the JSON reports)"
	exit 0
fi
if [ ! -x "$UCTLS" ]; then
	echo "Bail out! uctls not built ($UCTLS)"
	exit 1
fi
# shellcheck source=tests/prosody-lib.sh
. "$top_srcdir/tests/prosody-lib.sh"
px_setup # prints "1..0 # SKIP ..." and exits without Prosody, dnsmasq, netns

W=$PX_DIR/work
mkdir -p "$W"
export UCTLS_KEY_CACHE=$PX_DIR/keys # the export and the runs share the keys
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "# work directory $PX_DIR (PX_KEEP=1 keeps it)"

# The scenarios (scenarios/xmpp-s2s/NAME.xml): -r-: Prosody's side is the
# receiving server R, -i-: the initiating server I.
cases="prosody-secure-r-pass prosody-secure-r-issuer-not-found
prosody-secure-r-name-mismatch prosody-secure-r-cn-only prosody-secure-r-expired
prosody-secure-r-not-yet-valid prosody-secure-r-untrusted-root
prosody-secure-r-wildcard-missing prosody-secure-r-server-auth-only
prosody-secure-r-self-signed prosody-secure-i-expired prosody-secure-i-name-mismatch
prosody-secure-i-eku-server-auth-missing prosody-insecure-i-name-mismatch"
cases=${FIDELITY_CASES:-$cases} # FIDELITY_CASES="NAME ...": only these
bad=

# Where uctls listens when Prosody dials it, per domain uctls plays R for.
# The two runs of a scenario go at once: the Prosody that plays R may dial
# the other domain (to answer a ping, RFC 6120 4.1), whose port is not the
# one uctls listens on then, so it meets a refused connection, never uctls.
if ! P_org=$(px_free_port) || ! P_com=$(px_free_port); then
	echo "Bail out! no free port"
	exit 1
fi
while [ "$P_com" = "$P_org" ]; do P_com=$(px_free_port) || exit 1; done
if ! px_map_domain example.org "$P_org" || ! px_map_domain example.com "$P_com"; then
	echo "Bail out! dnsmasq did not take the domains"
	exit 1
fi

# run_r NAME: Prosody plays R; uctls I dials it.
run_r() {
	local s=$1 f=$W/$1.xml
	if ! px_start_exported "$W/$s/prosody-R.cfg.lua" 2>"$W/$s.R.px"; then
		echo "Prosody did not start" >"$W/$s.R.err"
		return
	fi
	px_run timeout -k 2 30 "$UCTLS" run --json --remote "R=127.0.0.1:$PX_S2S_PORT" "$f" \
		>"$W/$s.R.json" 2>"$W/$s.R.err"
	echo $? >"$W/$s.R.rc"
	# Prosody logs the reason as it closes: wait for the end of the session.
	px_wait_log -t 5 -p "$PX_PID" -E 's2s stream .* closed|Destroying incoming session' \
		>/dev/null 2>&1 || :
	cp "$PX_LOG" "$W/$s.R.log"
	px_stop_prosody "$(px_dom "$W/$s/prosody-R.cfg.lua")"
}

# run_i NAME: Prosody plays I; it dials uctls R.
run_i() {
	local s=$1 f=$W/$1.xml upid dom to port
	if ! px_start_exported "$W/$s/prosody-I.cfg.lua" 2>"$W/$s.I.px"; then
		echo "Prosody did not start" >"$W/$s.I.err"
		return
	fi
	dom=$(px_dom "$W/$s/prosody-I.cfg.lua")
	to=$(px_dom "$W/$s/prosody-R.cfg.lua")
	port=$P_com
	[ "$to" != example.org ] || port=$P_org
	px_bg timeout -k 2 30 "$UCTLS" run --json --listen "R=127.0.0.1:$port" --accept-timeout 10000 \
		"$f" >"$W/$s.I.json" 2>"$W/$s.I.err"
	upid=$PX_BG_PID
	PX_TRIGGER_PID=
	if px_wait_log -p "$upid" -f "$W/$s.I.err" -F "listening on" >/dev/null 2>&1; then
		px_trigger_s2s "$dom" "$to" 5
	fi
	wait "$upid"
	echo $? >"$W/$s.I.rc"
	px_wait_log -t 5 -p "$PX_PID" -E 's2s stream .* closed|Destroying outgoing session' \
		>/dev/null 2>&1 || :
	cp "$PX_LOG" "$W/$s.I.log"
	[ -z "$PX_TRIGGER_PID" ] || px_reap "$PX_TRIGGER_PID" 1
	px_stop_prosody "$dom"
}

px_dom() { sed -n 's/^VirtualHost "\([^"]*\)"$/\1/p' "$1" | head -n 1; }

for s in $cases; do
	f=$W/$s.xml
	sed "s|<clock now=\"[^\"]*\"/>|<clock now=\"$now\"/>|" "$top_srcdir/scenarios/xmpp-s2s/$s.xml" >"$f"
	mkdir -p "$W/$s"
	if ! "$UCTLS" pki export --for prosody "$f" "$W/$s" >"$W/$s.export" 2>&1; then
		echo "export" >"$W/$s.failed-export"
		continue
	fi
	"$UCTLS" run --json "$f" >"$W/$s.sim.json" 2>"$W/$s.sim.err"
	echo $? >"$W/$s.sim.rc"
	# Two Prosodys (the domains differ), two uctls runs: at once.
	run_r "$s" &
	pr=$!
	run_i "$s" &
	wait "$pr" $!
done

# The export itself: README-PEER.txt says how to start each peer; another
# family is refused (exit 2) rather than given a configuration that means
# nothing.
t=0
s=${cases%%[[:space:]]*}
r=$W/$s/README-PEER.txt
t=$((t + 1))
if grep -q "prosody-I.cfg.lua: Prosody as peer I" "$r" 2>/dev/null &&
	grep -q "prosody-R.cfg.lua: Prosody as peer R" "$r"; then
	echo "ok $t - pki export --for prosody: README-PEER.txt names both configurations"
else
	echo "not ok $t - pki export --for prosody: README-PEER.txt names both configurations ($r)"
	bad=1
fi
mkdir -p "$W/tls-export"
"$UCTLS" pki export --for prosody "$top_srcdir/scenarios/tls/expired.xml" "$W/tls-export" \
	>"$W/tls-export.out" 2>&1
st=$?
t=$((t + 1))
if [ "$st" = 2 ] && grep -q "Prosody plays the peers of xmpp-s2s scenarios only" "$W/tls-export.out"; then
	echo "ok $t - pki export --for prosody refuses a tls scenario (exit 2, says why)"
else
	echo "not ok $t - pki export --for prosody refuses a tls scenario: exit $st: $(tr '\n' ' ' <"$W/tls-export.out")"
	bad=1
fi

# One python3 for every report: the TAP lines, and table.md.
# shellcheck disable=SC2086 # cases: one word per scenario
python3 - "$W" "$t" $cases <<'EOF'
import json, os, re, sys
W, cases = sys.argv[1], sys.argv[3:]
def load(p):
    try:
        with open(p) as f:
            return json.loads(f.readline())
    except (OSError, ValueError):
        return None
def rd(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return ""
def text(detail):
    m = re.search(r"<not-authorized/> \((.*)\)$", detail or "")
    return m.group(1) if m else None
def recs(o, side):
    return [(s["step"], s["status"], s["reason"] or "", text(s["detail"]))
            for s in o["steps"] if s["side"] == side and s["status"] in ("pass", "fail")]
def fail(o):
    f = o and o.get("failure")
    return "%s/%s/%s" % (f["step"], f["side"], f["reason"]) if f else "pass"
def other(o, side):
    f = o and o.get("failure")
    if not f:
        return ""
    for s in o["steps"]:
        if s["step"] == f["step"] and s["side"] != f["side"] and s["status"] == "fail":
            return s["reason"]
    return ""
def logline(p):
    for pat in (r"Forbidding insecure connection[^\n]*", r"(Incoming|Outgoing) s2s connection \S+ complete",
                r"Session closed by remote with error: [^\n]*", r"No stream features to offer[^\n]*"):
        m = re.search(pat, rd(p))
        if m:
            return m.group(0)
    return "(no line)"
n, bad, rows = int(sys.argv[2]), 0, []
def tap(ok, what, why=""):
    global n, bad
    n += 1
    bad += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
    for l in why.splitlines():
        print("#   " + l)
for s in cases:
    b = os.path.join(W, s)
    if os.path.exists(b + ".failed-export"):
        for w in ("simulated", "Prosody as R", "Prosody as I"):
            tap(False, "%s: %s: uctls pki export --for prosody failed" % (s, w), rd(b + ".export"))
        continue
    sim = load(b + ".sim.json")
    tap(rd(b + ".sim.rc").strip() == "0" and sim is not None,
        "%s: simulated: %s (matches <expect>)" % (s, fail(sim)), rd(b + ".sim.err"))
    for real, local in (("R", "I"), ("I", "R")):
        o = load("%s.%s.json" % (b, real))
        why = []
        if rd("%s.%s.rc" % (b, real)).strip() != "0":
            why.append("uctls: the run did not match <expect> (or failed): " +
                       rd("%s.%s.err" % (b, real)) + rd("%s.%s.px" % (b, real)))
        if o is None or sim is None:
            why.append("no report")
        elif recs(o, local) != recs(sim, local):
            why.append("%s's records differ:\n  real      %s\n  simulated %s" %
                       (local, recs(o, local), recs(sim, local)))
        log = logline("%s.%s.log" % (b, real))
        tap(not why, "%s: Prosody as %s, uctls %s: %s, as simulated" % (s, real, local, fail(o)),
            "\n".join(why) + "\nProsody: " + log if why else "")
        rows.append("| %s | Prosody as %s | %s%s | %s%s | %s |" % (
            s, real, fail(sim), " (%s)" % other(sim, sim["failure"]["side"]) if sim and sim.get("failure") else "",
            fail(o), " (%s)" % other(o, o["failure"]["side"]) if o and o.get("failure") and other(o, o["failure"]["side"]) else "",
            log.replace("|", "\\|")))
with open(os.path.join(W, "table.md"), "w") as f:
    f.write("\n".join(rows) + "\n")
print("1..%d" % n)
sys.exit(1 if bad else 0)
EOF
st=$?
[ "$st" = 0 ] && [ -z "$bad" ]
