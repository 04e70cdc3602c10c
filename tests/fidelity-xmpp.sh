#!/bin/bash
# The xmpp-s2s fidelity suite: one scenario, two worlds, one answer.  TAP.
# env: UCTLS, top_srcdir (given by the Makefile).  PX_KEEP=1 keeps the work
# directory (scenarios, exports, JSON reports, Prosody logs, table.md and
# excluded.md: the rows of docs/fidelity.md).  FIDELITY_CASES="NAME ...":
# only these scenarios.  FIDELITY_JOBS: workers (default 2).
#
# Every shipped scenario scenarios/xmpp-s2s/*.xml is read (python3's XML
# parser, no hand list): each peer with profile="prosody" is a side a real
# Prosody 0.12 can play, and the scenario runs with the same <expect>:
#   sim       both sides in uctls;
#   server    Prosody plays the receiving server (uctls, the initiating
#             server, dials it: --remote R);
#   client    Prosody plays the initiating server (it dials uctls, the
#             receiving server: --listen R; made to by an admin-shell ping).
# Prosody is configured only from `uctls pki export --for prosody' (the
# file DIR/prosody-ID.cfg.lua, untouched; ports and the listening address
# come from the environment the file reads).  A run passes when uctls says
# it matched the scenario's <expect> (exit 0) and uctls's own side
# recorded, step by step, what it recorded in the simulation (reason, and
# the text of a stream error: Prosody's "Your server's certificate ..."
# against the one uctls predicts).  A failing export fails its runs.
#
# A side the suite does not run is an exclusion, computed by a rule and
# printed with its cause (a TAP comment, not a SKIP: it is no missing
# tool); docs/fidelity.md must list each one of a scenario with a Prosody
# side (the last test checks it):
#   - no peer has profile `prosody' (the scenario is no candidate), or the
#     peer's profile is not `prosody': a real Prosody would judge as
#     Prosody does, not as that profile;
#   - a certificate with a fixed date (not-before/not-after as a date, or
#     a file=): the runs use the real clock;
#   - verify-name on the Prosody side: Prosody checks the stream's domain
#     and cannot be told another name;
#   - an <install> on the Prosody side: Prosody has no upload check;
#   - Prosody as receiving server where the simulated receiving server
#     authenticated the initiating one with dialback: a real Prosody then
#     asks the initiating domain's authoritative server (XEP-0220 2.3),
#     which uctls does not play.
#
# The scenarios use the real clock (Prosody verifies with it): each is
# copied with <clock now=> set to now, the only change.  Every domain the
# scenarios name (domain=, to=, subdomains=) resolves (SRV
# _xmpp-server._tcp, tests/prosody-lib.sh px_map_domains) to a port of its
# own on 127.0.0.1, where uctls listens when Prosody dials that domain.
# Scenarios are shared among FIDELITY_JOBS workers, each in a network
# namespace of its own (same domains, own DNS); the two real runs of a
# scenario go at once: they serve different domains.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
UCTLS=${UCTLS:-$top_srcdir/harness/uctls}
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found (needed to read the scenarios and JSON reports)"
	exit 0
fi
# The interpreter itself, once: a version-manager shim costs seconds a call.
py=$(python3 -c 'import sys; print(sys.executable)') || {
	echo "1..0 # SKIP python3 does not run"
	exit 0
}
if [ ! -x "$UCTLS" ]; then
	echo "Bail out! uctls not built ($UCTLS)"
	exit 1
fi
# shellcheck source=tests/prosody-lib.sh
. "$top_srcdir/tests/prosody-lib.sh"
px_setup # prints "1..0 # SKIP ..." and exits without Prosody, dnsmasq, netns

ROOT=$PX_DIR
W=$ROOT/work
mkdir -p "$W"
export UCTLS_KEY_CACHE=$ROOT/keys # the export and the runs share the keys
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
jobs=${FIDELITY_JOBS:-2}
echo "# work directory $ROOT (PX_KEEP=1 keeps it)"

# The plan: W/plan, one line per scenario with a Prosody side:
#   NAME SERVER-ID CLIENT-ID RUN-SERVER RUN-CLIENT TARGET-DOMAIN
# W/excluded: NAME<TAB>SIDE<TAB>CAUSE; W/domains: every domain named.
# shellcheck disable=SC2086 # FIDELITY_CASES: one word per scenario
"$py" "$top_srcdir/tests/fidelity-select.py" prosody "$top_srcdir" "$W" ${FIDELITY_CASES:-} || exit 1

# run_server NAME SID: Prosody plays the receiving server SID; uctls dials it.
run_server() {
	local s=$1 sid=$2 f=$W/$1.xml o=$W/$1.$2
	if ! px_start_exported "$W/$s/prosody-$sid.cfg.lua" 2>"$o.px"; then
		echo "Prosody did not start" >"$o.err"
		return
	fi
	px_run timeout -k 2 30 "$UCTLS" run --json --remote "$sid=127.0.0.1:$PX_S2S_PORT" "$f" \
		>"$o.json" 2>"$o.err"
	echo $? >"$o.rc"
	# Prosody logs the reason as it closes: wait for the end of the session.
	px_wait_log -t 5 -p "$PX_PID" -E 's2s stream .* closed|Destroying incoming session' \
		>/dev/null 2>&1 || :
	cp "$PX_LOG" "$o.log"
	px_stop_prosody "$(px_dom "$W/$s/prosody-$sid.cfg.lua")"
}

# run_client NAME SID CID TARGET: Prosody plays the initiating server CID;
# it dials TARGET, where uctls plays SID.
run_client() {
	local s=$1 sid=$2 cid=$3 to=$4 f=$W/$1.xml o=$W/$1.$3 upid dom
	if ! px_start_exported "$W/$s/prosody-$cid.cfg.lua" 2>"$o.px"; then
		echo "Prosody did not start" >"$o.err"
		return
	fi
	dom=$(px_dom "$W/$s/prosody-$cid.cfg.lua")
	px_bg timeout -k 2 30 "$UCTLS" run --json --listen "$sid=127.0.0.1:${port[$to]}" \
		--accept-timeout 10000 "$f" >"$o.json" 2>"$o.err"
	upid=$PX_BG_PID
	PX_TRIGGER_PID=
	if px_wait_log -p "$upid" -f "$o.err" -F "listening on" >/dev/null 2>&1; then
		px_trigger_s2s "$dom" "$to" 5
	fi
	wait "$upid"
	echo $? >"$o.rc"
	px_wait_log -t 5 -p "$PX_PID" -E 's2s stream .* closed|Destroying outgoing session' \
		>/dev/null 2>&1 || :
	cp "$PX_LOG" "$o.log"
	[ -z "$PX_TRIGGER_PID" ] || px_reap "$PX_TRIGGER_PID" 1
	px_stop_prosody "$dom"
}

px_dom() { sed -n 's/^VirtualHost "\([^"]*\)"$/\1/p' "$1" | head -n 1; }

# one NAME SID CID RUN-SERVER RUN-CLIENT TARGET: a scenario's runs.
one() {
	local s=$1 sid=$2 cid=$3 rs=$4 rc=$5 to=$6 f=$W/$1.xml pids=
	sed "s|<clock now=\"[^\"]*\"/>|<clock now=\"$now\"/>|" "$top_srcdir/scenarios/xmpp-s2s/$s.xml" >"$f"
	mkdir -p "$W/$s"
	if ! "$UCTLS" pki export --for prosody "$f" "$W/$s" >"$W/$s.export" 2>&1; then
		echo "export" >"$W/$s.failed-export"
		return
	fi
	"$UCTLS" run --json "$f" >"$W/$s.sim.json" 2>"$W/$s.sim.err"
	echo $? >"$W/$s.sim.rc"
	# The dialback rule (above) needs the simulated run.
	if [ "$rs" = 1 ] && grep -q "\"step\":\"s2s-auth\",\"side\":\"$sid\",\"status\":\"pass\",\"reason\":null,\"detail\":\"dialback" \
		"$W/$s.sim.json"; then
		printf '%s\t%s\t%s\n' "$s" "$sid" "the simulated $sid accepted dialback: a real Prosody would ask $cid's authoritative server (XEP-0220 2.3), which uctls does not play" \
			>"$W/$s.excluded"
		rs=0
	fi
	if [ "$rs" = 1 ]; then
		run_server "$s" "$sid" &
		pids="$pids $!"
	fi
	if [ "$rc" = 1 ]; then
		run_client "$s" "$sid" "$cid" "$to" &
		pids="$pids $!"
	fi
	# shellcheck disable=SC2086 # one pid per word
	[ -z "$pids" ] || wait $pids
}

# worker K: every JOBS-th scenario of the plan from the K-th, in its own
# namespace (worker 0 in px_setup's), each domain on a port of its own.
declare -A port
worker() {
	local k=$1 i=0 d map=() s sid cid rs rc to
	if [ "$k" != 0 ] && ! px_worker "$ROOT/ns$k"; then
		echo "# worker $k: $PX_NS_WHY" >&2
		return 1
	fi
	while read -r d; do
		port[$d]=$(px_free_port) || return 1
		map+=("$d" "${port[$d]}")
	done <"$W/domains"
	px_map_domains "${map[@]}" || return 1
	while read -r s sid cid rs rc to; do
		[ $((i++ % jobs)) = "$k" ] && one "$s" "$sid" "$cid" "$rs" "$rc" "$to"
	done <"$W/plan"
	return 0
}

wpids=
for ((k = 0; k < jobs; k++)); do
	(worker "$k") 2>"$W/worker$k.err" &
	wpids="$wpids $!"
	echo "$!" >>"$ROOT/pids" # px_cleanup stops it (and it, what it started)
done
wbad=
for p in $wpids; do wait "$p" || wbad=1; done
[ -z "$wbad" ] || sed "s/^/# /" "$W"/worker*.err

# The export itself: README-PEER.txt says how to start each peer; another
# family is refused (exit 2) rather than given a configuration that means
# nothing.
t=0
bad=
read -r s _ <"$W/plan"
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

# One python3 for every report: the TAP lines, table.md and excluded.md.
"$py" - "$W" "$t" "$top_srcdir/docs/fidelity.md" "${FIDELITY_CASES:+subset}" <<'EOF'
import json, os, re, sys
W, doc, subset = sys.argv[1], sys.argv[3], sys.argv[4]
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
def other(o):
    f = o and o.get("failure")
    if not f:
        return ""
    for s in o["steps"]:
        if s["step"] == f["step"] and s["side"] != f["side"] and s["status"] == "fail":
            return " (%s)" % s["reason"]
    return ""
def logline(p):
    for pat in (r"Forbidding insecure connection[^\n]*", r"(Incoming|Outgoing) s2s connection \S+ complete",
                r"Session closed by remote with error: [^\n]*", r"No stream features to offer[^\n]*",
                r"SASL EXTERNAL with \S+ failed[^\n]*",
                r"Sending error replies for \d+ queued stanzas because of failed outgoing connection[^\n]*"):
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
excl = [l.split("\t") for l in rd(os.path.join(W, "excluded")).splitlines()]
for line in rd(os.path.join(W, "plan")).splitlines():
    s, sid, cid, rs, rc, _ = line.split()
    b = os.path.join(W, s)
    runs = [(sid, cid, "receiving")] * (rs == "1") + [(cid, sid, "initiating")] * (rc == "1")
    if os.path.exists(b + ".failed-export"):
        for real, _, _ in [("sim", "", "")] + runs:
            tap(False, "%s: %s: uctls pki export --for prosody failed" % (s, real), rd(b + ".export"))
        continue
    sim = load(b + ".sim.json")
    tap(rd(b + ".sim.rc").strip() == "0" and sim is not None,
        "%s: simulated: %s (matches <expect>)" % (s, fail(sim)), rd(b + ".sim.err"))
    e = rd(b + ".excluded").rstrip("\n")
    if e:
        excl.append(e.split("\t"))
        runs = [r for r in runs if r[0] != sid]
    for real, local, what in runs:
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
        tap(not why, "%s: Prosody as %s (the %s server), uctls %s: %s, as simulated" %
            (s, real, what, local, fail(o)), "\n".join(why) + "\nProsody: " + log if why else "")
        rows.append("| %s | Prosody as %s | %s%s | %s%s | %s |" % (
            s, real, fail(sim), other(sim), fail(o), other(o), log.replace("|", "\\|")))
# Exclusions: each printed; each of a scenario with a Prosody side listed
# in docs/fidelity.md (a scenario without one is no candidate: the doc
# gives the rule).
text_doc = rd(doc)
xrows = ["| %s | %s | %s |" % tuple(e) for e in sorted(excl)]
side = [r for e, r in zip(sorted(excl), xrows) if e[1] != "-"]
missing = [r for r in side if r not in text_doc]
for r in xrows:
    print("# excluded: " + r)
if not subset:
    tap(not missing, "docs/fidelity.md lists each of the %d sides not run (scenario | Prosody as | cause)"
        % len(side), "missing rows (PX_KEEP=1 keeps excluded.md):\n" + "\n".join(missing))
with open(os.path.join(W, "table.md"), "w") as f:
    f.write("\n".join(rows) + "\n")
with open(os.path.join(W, "excluded.md"), "w") as f:
    f.write("\n".join(xrows) + "\n")
print("1..%d" % n)
sys.exit(1 if bad else 0)
EOF
st=$?
[ "$st" = 0 ] && [ -z "$bad" ] && [ -z "$wbad" ]
