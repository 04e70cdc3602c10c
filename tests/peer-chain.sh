#!/bin/bash
# What the real peer sent, and the lab path (uctls(1) --remote, --listen,
# --pki, --save-peer-chain, --accept-timeout): a real TLS server (Python's
# ssl module, i.e. OpenSSL) configured only from `uctls pki export' sends
# three certificates; every report of uctls --remote must show all three,
# with subject, issuer, names, validity, key and the colon fingerprint;
# --save-peer-chain writes them; the server must see close_notify, not an
# unexpected EOF; --pki runs on the exported files as exported, and without
# it the report names the two-PKI trap.  TAP.  env: UCTLS.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-peer-chain.XXXXXX") || exit 1
spid=
lpid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; [ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"' EXIT
unset UCTLS_KEY_CACHE # the export makes its own keys, as a first lab run does
n=0
fail=0

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ssl' 2>/dev/null; then
	echo "1..0 # SKIP python3 with its ssl module not found (the real TLS server)"
	exit 0
fi

ok() { # CONDITION-STATUS DESCRIPTION [DIAGNOSTIC-FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		fail=1
		echo "not ok $n - $2"
		[ -n "${3-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3" | head -40
	fi
	return 0
}

cat >"$tmp/s.xml" <<'X'
<scenario name="peer-chain/pass" family="tls">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Peer Chain Root" key="rsa-2048"/>
    <ca id="int" issuer="root" subject="CN=Peer Chain Issuing"/>
    <cert id="srv" issuer="int" subject="CN=srv.example.com" san="DNS:srv.example.com,IP:127.0.0.1"/>
    <cert id="cli" issuer="int" subject="CN=cli.example.com" san="DNS:cli.example.com"/>
  </pki>
  <peer id="C" role="client" sends="cli int" trusts="root" verify-name="srv.example.com"/>
  <peer id="S" role="server" sends="srv int root" trusts="root"/>
  <expect result="pass"/>
</scenario>
X
"$UCTLS" pki export "$tmp/s.xml" "$tmp/pki" >"$tmp/export.out" 2>&1 ||
	{ echo "1..0 # uctls pki export failed"; cat "$tmp/export.out"; exit 1; }

# The real server: the exported chain and key, one connection; it prints
# its port, then how the client ended the connection.
cat >"$tmp/server.py" <<'P'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(20)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.settimeout(20)
try:
    t = ctx.wrap_socket(c, server_side=True)
    if len(sys.argv) > 3:  # a SIP UAS refusing the request with that status
        req = b""
        while b"\r\n\r\n" not in req:
            d = t.recv(4096)
            if not d:
                break
            req += d
        hdrs = [l for l in req.decode("latin-1").split("\r\n")
                if l.split(":")[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
        t.sendall(("SIP/2.0 %s Forbidden\r\n%s\r\nContent-Length: 0\r\n\r\n"
                   % (sys.argv[3], "\r\n".join(hdrs))).encode("latin-1"))
    while t.recv(4096):
        pass
    print("close_notify", flush=True)
except ssl.SSLEOFError as e:
    print("unexpected eof:", e, flush=True)
except Exception as e:
    print("error:", type(e).__name__, e, flush=True)
P
# serve NAME: starts the server, sets $port (bounded wait for its line).
serve() { # NAME [SIP-STATUS]
	python3 "$tmp/server.py" "$tmp/pki/S-chain.pem" "$tmp/pki/srv.key" ${2-} >"$tmp/$1.srv" 2>&1 &
	spid=$!
	port=
	for _ in $(seq 200); do
		port=$(head -n1 "$tmp/$1.srv" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$spid" 2>/dev/null || break
		python3 -c 'import select; select.select([], [], [], 0.05)'
	done
}
# served NAME: waits for the server to end (it ends after one connection).
served() {
	wait "$spid"
	spid=
}

# What the exported files say, for comparison: per certificate of the
# chain, its id and its SHA-256 in the colon form.
python3 - "$tmp/pki" >"$tmp/want" <<'P'
import hashlib, sys
for i in ("srv", "int", "root"):
    d = hashlib.sha256(open("%s/%s.der" % (sys.argv[1], i), "rb").read()).hexdigest().upper()
    print(i, ":".join(d[k:k + 2] for k in range(0, 64, 2)))
P

echo "1..17"

# 1-3. text report of --remote, --save-peer-chain, close_notify
serve text
"$UCTLS" run --pki "$tmp/pki" --remote "S=127.0.0.1:$port" --save-peer-chain "$tmp/got.pem" \
	"$tmp/s.xml" >"$tmp/text.out" 2>"$tmp/text.err"
st=$?
served text
python3 - "$tmp/text.out" "$tmp/want" "$st" >"$tmp/text.why" <<'P'
import sys
out, want, st = open(sys.argv[1]).read(), open(sys.argv[2]).read().split("\n"), sys.argv[3]
errs = []
if st != "0":
    errs.append("exit status %s, wanted 0" % st)
if "S (server, profile real peer): 3 certificates" not in out:
    errs.append("S's line does not say 3 certificates")
if "no certificate" in out.split("sent: S", 1)[-1].split("\n")[0]:
    errs.append("S's line says no certificate")
for line in filter(None, want):
    i, fp = line.split()
    if "SHA-256 " + fp not in out or "(scenario id %s)" % i not in out:
        errs.append("%s (%s) not shown" % (i, fp))
for s in ("subject `CN=srv.example.com'", "issuer `CN=Peer Chain Issuing'",
          "names: DNS:srv.example.com, IP:127.0.0.1", "key RSA (2048 bits)",
          "valid 2026-05-31T12:00:00Z to "):
    if s not in out:
        errs.append("missing: " + s)
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
ok $? "--remote, text: the real server's 3 certificates, each with subject, issuer, names, validity, key, colon fingerprint and scenario id" "$tmp/text.why"
python3 - "$tmp/got.pem" "$tmp/pki/S-chain.pem" >"$tmp/save.why" 2>&1 <<'P'
import ssl, sys
def ders(p):
    t = open(p).read()
    return [ssl.PEM_cert_to_DER_cert("-----BEGIN" + b) for b in t.split("-----BEGIN")[1:]]
got, want = ders(sys.argv[1]), ders(sys.argv[2])
if got != want:
    print("saved %d certificate(s), the server sent %d; equal: %s" % (len(got), len(want), got == want))
    sys.exit(1)
P
ok $? "--save-peer-chain writes the 3 certificates the server sent, in order, as PEM" "$tmp/save.why"
grep -q '^close_notify' "$tmp/text.srv"
ok $? "a passing connection ends with close_notify (the real server saw no unexpected EOF)" "$tmp/text.srv"

# 4. A connection that fails above TLS ends with close_notify as well: a
# sip-trunk B (the same server, answering 403) refuses the OPTIONS.
sed -e 's/family="tls"/family="sip-trunk"/' -e 's/id="C"/id="A"/' -e 's/id="S"/id="B"/' \
	-e 's|<expect result="pass"/>|<expect fail-at="sip-request" side="A" reason="sip-status:403"/>|' \
	"$tmp/s.xml" >"$tmp/sip.xml"
serve sip 403
"$UCTLS" run --pki "$tmp/pki" --remote "B=127.0.0.1:$port" "$tmp/sip.xml" >"$tmp/sip.out" 2>&1
st=$?
served sip
[ $st -eq 0 ] && grep -q '^close_notify' "$tmp/sip.srv"
ok $? "a connection refused above TLS (SIP 403) also ends with close_notify" "$tmp/sip.srv"

# 5. JSON of --remote: the details on both records
serve json
"$UCTLS" run --json --pki "$tmp/pki" --remote "S=127.0.0.1:$port" "$tmp/s.xml" >"$tmp/json.out" 2>"$tmp/json.err"
served json
python3 - "$tmp/json.out" "$tmp/want" >"$tmp/json.why" 2>&1 <<'P'
import json, sys
o = json.loads(open(sys.argv[1]).readline())
want = [l.split() for l in open(sys.argv[2]) if l.strip()]
sides = {s["id"]: s for s in o["sides"]}
errs = []
for name, certs in (("S sent", sides["S"]["sent"]), ("C received", sides["C"]["received"])):
    got = [[c.get("id"), c.get("sha256")] for c in certs]
    if got != want:
        errs.append("%s %s, wanted %s" % (name, got, want))
    for c in certs:
        for k in ("subject", "issuer", "san", "not_before", "not_after", "key", "bits"):
            if k not in c:
                errs.append("%s: %s has no %s" % (name, c.get("id"), k))
leaf = sides["C"]["received"][0]
if (leaf.get("subject"), leaf.get("san"), leaf.get("key"), leaf.get("bits")) != (
        "CN=srv.example.com", ["DNS:srv.example.com", "IP:127.0.0.1"], "ECDSA P-256", 256):
    errs.append("leaf details: %s" % leaf)
if not o["matched"]:
    errs.append("did not match: %s" % o["why"])
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
ok $? "--remote, JSON: sent (S) and received (C) as objects with id, colon sha256 and the certificate's details" "$tmp/json.why"

# 6. TAP of --remote: the same as diagnostics
serve tap
"$UCTLS" run --tap --pki "$tmp/pki" --remote "S=127.0.0.1:$port" "$tmp/s.xml" >"$tmp/tap.out" 2>"$tmp/tap.err"
served tap
r=0
grep -q '^# S (real peer) sent 3 certificates:' "$tmp/tap.out" || r=1
while read -r id fp; do
	grep -q "^#   .*SHA-256 $fp" "$tmp/tap.out" || r=1
done <"$tmp/want"
grep -q '^#  *1\. subject `CN=srv.example.com'"'"' (scenario id srv)' "$tmp/tap.out" || r=1
ok $r "--remote, TAP: the 3 certificates as diagnostics" "$tmp/tap.out"

# 7. Without --pki uctls makes other keys: the names match, the keys do
# not, and the report says so (not "neither sent nor found").
serve trap
"$UCTLS" run --json --remote "S=127.0.0.1:$port" "$tmp/s.xml" >"$tmp/trap.out" 2>"$tmp/trap.err"
served trap
python3 - "$tmp/trap.out" >"$tmp/trap.why" 2>&1 <<'P'
import json, sys
o = json.loads(open(sys.argv[1]).readline())
f = o["failure"] or {}
d = f.get("detail") or ""
ok = (f.get("side") == "C" and f.get("reason") in ("untrusted-root", "issuer-not-found") and
      "a CA named `CN=Peer Chain Root' is in C's trust list, but it is not the one that signed" in d
      and "neither sent" not in d and "--pki" in (f.get("hint") or ""))
ids = [c["id"] for s in o["sides"] if s["id"] == "S" for c in s["sent"]]
if ids != ["?", "?", "?"]:
    ok = False
print(json.dumps(f), ids)
sys.exit(0 if ok else 1)
P
ok $? "two PKIs with the same names: the report says a CA of that name is trusted but did not sign, and points to --pki" "$tmp/trap.why"

# 8. --listen and --remote, both on the exported PKI: a pass
lrun() { # NAME EXTRA-ARGS...: uctls --listen S in the background, sets $port
	name=$1
	shift
	"$UCTLS" run --json "$@" --listen S=127.0.0.1:0 "$tmp/s.xml" >"$tmp/$name.lis" 2>"$tmp/$name.lerr" &
	lpid=$!
	port=
	for _ in $(seq 200); do
		line=$(grep -m1 'listening on' "$tmp/$name.lerr" 2>/dev/null)
		[ -n "$line" ] && break
		kill -0 "$lpid" 2>/dev/null || break
		python3 -c 'import select; select.select([], [], [], 0.05)'
	done
	port=${line##*:}
}
lrun both --pki "$tmp/pki" --timeout 5000
"$UCTLS" run --json --pki "$tmp/pki" --remote "S=127.0.0.1:$port" "$tmp/s.xml" >"$tmp/both.rem" 2>"$tmp/both.rerr"
wait "$lpid"
lpid=
python3 - "$tmp/both.lis" "$tmp/both.rem" >"$tmp/both.why" 2>&1 <<'P'
import json, sys
lis, rem = (json.loads(open(p).readline()) for p in sys.argv[1:3])
errs = ["%s: %s" % (o["file"], o["why"]) for o in (lis, rem) if not o["matched"]]
# each side's report names what the real one sent, by scenario id
c = [s for s in lis["sides"] if s["id"] == "C"][0]
if [x["id"] for x in c["sent"]] != ["cli", "int"]:
    errs.append("--listen: C sent %s" % c["sent"])
print("\n".join(errs))
sys.exit(1 if errs else 0)
P
ok $? "--pki on both sides (--listen S, --remote S): the exported PKI as exported passes; --listen shows what the real client sent" "$tmp/both.why"

# 9-10. --accept-timeout: --listen waits for the client that long, not --timeout
lrun accept --accept-timeout 300 --timeout 20000
wait "$lpid"
lpid=
grep -q '^uctls: waiting up to 300 ms for the real client to connect to port [0-9]' "$tmp/accept.lerr" &&
	grep -q '^uctls: waiting up to 60 s for the real client' "$tmp/both.lerr"
ok $? "--listen says on stderr that it waits, how long (60 s by default, whatever --timeout) and on which port" "$tmp/accept.lerr"
python3 - "$tmp/accept.lis" >"$tmp/accept.why" 2>&1 <<'P'
import json, re, sys
o = json.loads(open(sys.argv[1]).readline())
f = o["failure"] or {}
print(json.dumps(f))
sys.exit(0 if f.get("reason") == "timeout" and f.get("side") == "S" and o["ms"] < 5000
         and re.search(r"waited 3[0-9][0-9] ms", f.get("detail") or "")
         and "--accept-timeout" in (f.get("hint") or "") else 1)
P
ok $? "--accept-timeout 300 with --timeout 20000: no client, a timeout after 300 ms that names --accept-timeout" "$tmp/accept.why"

# 11-15. usage and input errors
"$UCTLS" run --accept-timeout 300 "$tmp/s.xml" >/dev/null 2>"$tmp/e1"
[ $? -eq 2 ] && grep -q 'accept-timeout goes with --listen' "$tmp/e1"
ok $? "--accept-timeout without --listen is a usage error" "$tmp/e1"
"$UCTLS" run --listen S=127.0.0.1:0 --accept-timeout 0 "$tmp/s.xml" >/dev/null 2>"$tmp/e2"
[ $? -eq 2 ]
ok $? "--accept-timeout 0 is a usage error" "$tmp/e2"
"$UCTLS" run --pki "$tmp/nonexistent" "$tmp/s.xml" >/dev/null 2>"$tmp/e3"
[ $? -eq 2 ] && grep -q 'not a directory' "$tmp/e3"
ok $? "--pki on a missing directory is a usage error" "$tmp/e3"
mkdir "$tmp/partial"
cp "$tmp/pki/root.pem" "$tmp/pki/root.key" "$tmp/partial/"
"$UCTLS" run --pki "$tmp/partial" "$tmp/s.xml" >/dev/null 2>"$tmp/e4"
[ $? -eq 2 ] && grep -q "s.xml:5: <ca id=\"int\">: .*partial/int.pem" "$tmp/e4"
ok $? "--pki on a directory without a certificate of the scenario: FILE:LINE names the id and the file" "$tmp/e4"
"$UCTLS" run --save-peer-chain "$tmp/x.pem" "$tmp/s.xml" "$tmp/s.xml" >/dev/null 2>"$tmp/e5"
[ $? -eq 2 ]
ok $? "--save-peer-chain with two scenarios is a usage error" "$tmp/e5"

# 16-17. The docs say what the code does.  Prosody validates a client's
# certificate with the SSL server purpose (profiles.md,
# ignore_client_purpose): a clientAuth-only one is refused for EXTERNAL.
cat >"$tmp/purpose.xml" <<'X'
<scenario name="peer-chain/prosody-client-auth-only" family="xmpp-s2s">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Purpose Root"/>
    <cert id="org" issuer="root" subject="CN=example.org" san="DNS:example.org" eku="clientAuth"/>
    <cert id="srv" issuer="root" subject="CN=example.com" san="DNS:example.com"/>
  </pki>
  <peer id="I" role="client" profile="ejabberd" domain="example.org" sends="org" trusts="root"/>
  <peer id="R" role="server" profile="prosody" domain="example.com" sends="srv" trusts="root"
        dialback="no"/>
  <expect fail-at="s2s-auth" side="R" reason="eku-server-auth-missing"/>
</scenario>
X
"$UCTLS" run --no-fixes "$tmp/purpose.xml" >"$tmp/purpose.out" 2>&1
r=$?
d=${top_srcdir:-.}/docs
if [ $r -eq 0 ] && [ -f "$d/profiles.md" ] && ! grep -q 'skips the client purpose check' "$d/profiles.md"; then
	r=0
else
	r=1
fi
ok $r "prosody refuses a clientAuth-only client certificate (eku-server-auth-missing), and profiles.md says so" "$tmp/purpose.out"
r=0
grep -q 'client-cert="required\\|optional\\|none"' "$d/steps.md" || r=1
sed -n '/^\.BR client\\-cert= required/,/^\.SS/p' "$d/uctls-scenario.5" | grep -q 'sipsak' || r=1
ok $r "client-cert=\"optional\" is documented in steps.md and uctls-scenario(5), with the sipsak case"
exit $fail
