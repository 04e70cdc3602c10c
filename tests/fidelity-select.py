#!/usr/bin/env python3
"""Selects the shipped scenarios a real-peer fidelity suite runs, by rule.

    fidelity-select.py prosody  TOP WORKDIR [NAME...]   (tests/fidelity-xmpp.sh)
    fidelity-select.py kamailio TOP WORKDIR NOW         (tests/fidelity-sip.sh)

Every scenarios/FAMILY/*.xml with a peer of the product's profile is read
(no hand list); each of its two sides is run by the real product unless a
rule excludes it, and every exclusion is written with its cause
(WORKDIR/excluded: NAME<TAB>SIDE<TAB>CAUSE), for the suite to print and to
check against docs/fidelity.md, which lists the rules.

prosody writes WORKDIR/plan (NAME SERVER-ID CLIENT-ID RUN-SERVER RUN-CLIENT
TARGET-DOMAIN, one line per scenario) and WORKDIR/domains (every domain a
scenario names); NAME... restricts the scenarios.  kamailio copies each
selected scenario to WORKDIR/sip-trunk/NAME.xml with NOW as its clock and
prints one case per line (sip-trunk/NAME SERVER-ID CLIENT-ID RUN-SERVER
RUN-CLIENT).
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

DATE = re.compile(r"^\d{4}-")


def prosody_rule(sc, p, role):
    if p.get("verify-name"):
        return "verify-name on %s: Prosody checks the stream's domain only" % p.get("id")
    return None


def kamailio_rule(sc, p, role):
    pid = p.get("id")
    if role == "server" and p.get("sip-response") == "garbage":
        return "sip-response=garbage on %s: Kamailio answers SIP" % pid
    if role == "client" and (p.get("request") or "OPTIONS") != "OPTIONS":
        return "request=%s on %s: the suite makes Kamailio relay an OPTIONS" % (
            p.get("request"), pid)
    if role == "client" and not (p.get("sends") or "").split():
        return "%s sends no certificate: Kamailio's [client:default] always presents one" % pid
    return None


# product: (family folder, product name, the family's default profile, its own rule)
PRODUCTS = {
    "prosody": ("xmpp-s2s", "Prosody", "rfc6125-strict", prosody_rule),
    "kamailio": ("sip-trunk", "Kamailio", "generic-sip", kamailio_rule),
}


def exclusion(product, sc, p, role, fixed):
    """The cause that keeps the real product from playing side P, or None."""
    _, who, default, rule = PRODUCTS[product]
    pid = p.get("id")
    if p.get("profile") != product:
        return "%s has profile %s, which %s does not play" % (
            pid, p.get("profile") or "%s (the family's default)" % default, who)
    if fixed:
        return "clock-dependent: %s has a fixed date; the runs use the real clock" % fixed[0]
    if any(i.get("peer") == pid for i in sc.findall("install")):
        return "an <install> on %s: %s has no upload check" % (pid, who)
    return rule(sc, p, role)


def select(product, top, only=()):
    """Yields (name, path, tree, peers by role, {role: runs}) and fills excl."""
    excl = []
    family = PRODUCTS[product][0]
    chosen = []
    for f in sorted(glob.glob(os.path.join(top, "scenarios", family, "*.xml"))):
        name = os.path.basename(f)[:-4]
        if only and name not in only:
            continue
        sc = ET.parse(f).getroot()
        peers = {p.get("role"): p for p in sc.findall("peer")}
        if not any(p.get("profile") == product for p in peers.values()):
            excl.append((name, "-", "no peer has profile %s" % product))
            continue
        fixed = [c.get("id") for c in sc.find("pki") if c.get("file") or
                 any(DATE.match(c.get(a) or "") for a in ("not-before", "not-after"))]
        run = {}
        for role in ("server", "client"):
            why = exclusion(product, sc, peers[role], role, fixed)
            run[role] = why is None
            if why:
                excl.append((name, peers[role].get("id"), why))
        chosen.append((name, f, sc, peers, run))
    return chosen, excl


def write_lines(path, lines):
    with open(path, "w") as o:
        o.write("".join(l + "\n" for l in lines))


def plan_prosody(top, work, only):
    chosen, excl = select("prosody", top, only)
    plan, doms = [], set()
    for name, _, _, peers, run in chosen:
        s, c = peers["server"], peers["client"]
        for p in (s, c):
            doms.add(p.get("domain") or p.get("id"))
            doms.update(d for d in re.split(r"[\s,]+", p.get("subdomains") or "") if d)
        target = c.get("to") or s.get("domain") or s.get("id")
        doms.add(target)
        if run["server"] or run["client"]:
            plan.append("%s %s %s %d %d %s" % (name, s.get("id"), c.get("id"), run["server"],
                                              run["client"], target))
    write_lines(os.path.join(work, "plan"), plan)
    write_lines(os.path.join(work, "excluded"), ["%s\t%s\t%s" % e for e in excl])
    write_lines(os.path.join(work, "domains"), sorted(doms))


def plan_kamailio(top, work, now):
    chosen, excl = select("kamailio", top)
    for name, f, _, peers, run in chosen:
        if not (run["server"] or run["client"]):
            continue
        with open(f) as i, open(os.path.join(work, "sip-trunk", name + ".xml"), "w") as o:
            o.write(re.sub(r'<clock now="[^"]*"/>', '<clock now="%s"/>' % now, i.read()))
        print("sip-trunk/%s %s %s %d %d" % (name, peers["server"].get("id"),
                                            peers["client"].get("id"), run["server"], run["client"]))
    write_lines(os.path.join(work, "excluded"), ["%s\t%s\t%s" % e for e in excl])


def main(argv):
    if len(argv) >= 3 and argv[0] == "prosody":
        plan_prosody(argv[1], argv[2], argv[3:])
    elif len(argv) == 4 and argv[0] == "kamailio":
        plan_kamailio(argv[1], argv[2], argv[3])
    else:
        sys.stderr.write("usage: fidelity-select.py prosody TOP WORK [NAME...] | "
                         "kamailio TOP WORK NOW\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
