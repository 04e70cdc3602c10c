#!/bin/sh
# tests/devcheck.sh — `uctls check' on certificate files made outside uctls,
# at run time, with certtool (gnutls-bin) and with openssl: each field
# mistake gives its reason at its step (read from --json with python3) and
# exit status 1; the fixed file gives exit 0; an unreadable file exit 2.
#
# Cases, for each tool (a tool that is missing is skipped, `# SKIP'):
#   good chain (leaf + intermediate, root trusted)        exit 0, pass
#   CMS bundle entity, intermediate, root                  exit 0, pass
#   missing intermediate (leaf alone, root trusted)        tls-handshake issuer-not-found
#     the same uploaded to Expressway (profile expressway-e) install issuer-not-found
#   wrong-order bundle (leaf, root, intermediate), CMS     install bundle-order
#   a key that does not match the certificate              install key-mismatch
#   serverAuth-only leaf checked for the client role       tls-handshake eku-client-auth-missing
#     the same leaf for the server role                    exit 0, pass
#   CN-only leaf (no SAN)                                  tls-handshake cn-only-no-san
#   root-first fullchain (root, intermediate, leaf), found by --key or as the
#     only non-CA: expressway-e and cucm tls-handshake bundle-order (the leaf
#     itself passes), generic a pass with a bundle-order note; a leaf problem
#     of a root-first file is the leaf's (eku-client-auth-missing), never the
#     root's
#   no --name: a pass that says "names: not checked, no --name given"
#   a leaf that expires in 3 days; --warn-days 400: warnings, exit 0
#   CN-only leaf for expressway-e: passes, with a warning that Jabber over
#     MRA would refuse it (cn-only-no-san)
#   three profiles x two files: a matrix, exit 1
# and once: a certificate file or trust file that cannot be read, exit 2;
# SHA-1, RSA-1024 and EKU problems of one file all in the text report.
#
# TAP for Automake's tap-driver.  Environment: UCTLS (the program; default
# the build tree's), top_srcdir.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${UCTLS:=${top_builddir:-$top_srcdir}/harness/uctls}"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found (needed to read uctls check --json)"
	exit 0
fi
# uctls is the program under test: without it the test fails (SKIP is for a
# missing external tool only).
if [ ! -x "$UCTLS" ]; then
	echo "Bail out! $UCTLS not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-devcheck.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
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

# The outcome of one `uctls check --json' object on stdin, as one line:
# "pass - -", "fail STEP REASON" (the failing step: the cause), or "error"
# (an input error object).
summarise() {
	python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError as e:
    print("unparsable: %s" % e)
    sys.exit(0)
if not isinstance(d, dict):
    print("not an object")
elif "error" in d:
    print("error")
elif isinstance(d.get("failure"), dict):
    f = d["failure"]
    print("%s %s %s" % (d.get("result"), f.get("step"), f.get("reason")))
else:
    print("%s - -" % d.get("result"))
'
}

# expect LABEL STATUS OUTCOME ARGS...: runs `uctls check --json ARGS' and
# asserts its exit status and its outcome line (see summarise).
expect() {
	label=$1
	want_st=$2
	want=$3
	shift 3
	"$UCTLS" check --json "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	got=$(summarise <"$tmp/out")
	if [ "$st" -eq "$want_st" ] && [ "$got" = "$want" ]; then
		ok "$label: exit $st, $got"
	else
		notok "$label" "expected exit $want_st, \"$want\"; got exit $st, \"$got\"" \
			"command: uctls check --json $*" "$(cat "$tmp/out" "$tmp/err")"
	fi
}

# --- the files ------------------------------------------------------------
# Each maker writes into DIR: root.pem, int.pem (issued by root), srv.pem
# (serverAuth and clientAuth, SAN DNS:srv.field.example), sonly.pem
# (serverAuth only), cn.pem (CN srv.field.example, no SAN), all issued by
# int, with their keys, and other.key (a key of no certificate).

mk_certtool() {
	d=$1
	mkdir -p "$d" || return 1
	cat >"$d/root.tmpl" <<T
cn = "Field Root CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 3650
T
	cat >"$d/int.tmpl" <<T
cn = "Field Issuing CA"
ca
cert_signing_key
crl_signing_key
expiration_days = 3650
T
	cat >"$d/srv.tmpl" <<T
cn = "srv.field.example"
dns_name = "srv.field.example"
tls_www_server
tls_www_client
signing_key
expiration_days = 365
T
	cat >"$d/sonly.tmpl" <<T
cn = "srv.field.example"
dns_name = "srv.field.example"
tls_www_server
signing_key
expiration_days = 365
T
	cat >"$d/cn.tmpl" <<T
cn = "srv.field.example"
tls_www_server
tls_www_client
signing_key
expiration_days = 365
T
	sed 's/expiration_days = 365/expiration_days = 3/' "$d/srv.tmpl" >"$d/soon.tmpl"
	for k in root int srv sonly cn soon other; do
		certtool --generate-privkey --key-type=ecdsa --outfile "$d/$k.key" \
			>/dev/null 2>&1 || return 1
	done
	certtool --generate-self-signed --load-privkey "$d/root.key" --template "$d/root.tmpl" \
		--outfile "$d/root.pem" >/dev/null 2>&1 || return 1
	certtool --generate-certificate --load-privkey "$d/int.key" \
		--load-ca-certificate "$d/root.pem" --load-ca-privkey "$d/root.key" \
		--template "$d/int.tmpl" --outfile "$d/int.pem" >/dev/null 2>&1 || return 1
	for l in srv sonly cn soon; do
		certtool --generate-certificate --load-privkey "$d/$l.key" \
			--load-ca-certificate "$d/int.pem" --load-ca-privkey "$d/int.key" \
			--template "$d/$l.tmpl" --outfile "$d/$l.pem" >/dev/null 2>&1 || return 1
	done
}

mk_openssl() {
	d=$1
	mkdir -p "$d" || return 1
	for k in root int srv sonly cn soon other; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$d/$k.key" \
			>/dev/null 2>&1 || return 1
	done
	printf '%s\n' 'basicConstraints=critical,CA:TRUE' \
		'keyUsage=critical,keyCertSign,cRLSign' >"$d/ca.ext"
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=serverAuth,clientAuth' 'subjectAltName=DNS:srv.field.example' \
		>"$d/srv.ext"
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:srv.field.example' >"$d/sonly.ext"
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=serverAuth,clientAuth' >"$d/cn.ext"
	cp "$d/srv.ext" "$d/soon.ext"
	openssl req -new -x509 -key "$d/root.key" -subj "/CN=Field Root CA" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$d/root.pem" >/dev/null 2>&1 || return 1
	openssl req -new -key "$d/int.key" -subj "/CN=Field Issuing CA" \
		-out "$d/int.csr" >/dev/null 2>&1 || return 1
	openssl x509 -req -in "$d/int.csr" -CA "$d/root.pem" -CAkey "$d/root.key" \
		-set_serial 2 -days 3650 -extfile "$d/ca.ext" -out "$d/int.pem" \
		>/dev/null 2>&1 || return 1
	s=3
	for l in srv sonly cn soon; do
		days=365
		[ $l = soon ] && days=3
		openssl req -new -key "$d/$l.key" -subj "/CN=srv.field.example" \
			-out "$d/$l.csr" >/dev/null 2>&1 || return 1
		openssl x509 -req -in "$d/$l.csr" -CA "$d/int.pem" -CAkey "$d/int.key" \
			-set_serial $s -days $days -extfile "$d/$l.ext" -out "$d/$l.pem" \
			>/dev/null 2>&1 || return 1
		s=$((s + 1))
	done
}

# json_ok LABEL PYTHON: asserts PYTHON (statements; `d' is the first JSON
# object of $tmp/out, `steps' its steps by name, `also' the notes of its
# tls-handshake step joined by newlines) holds.
json_ok() {
	if python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
steps = {s["step"]: s for s in d["steps"]}
also = "\n".join(steps["tls-handshake"]["also"])
exec(sys.argv[2])
' "$tmp/out" "$2" 2>"$tmp/py"; then
		ok "$1"
	else
		notok "$1" "$(cat "$tmp/py" "$tmp/out")"
	fi
}

# text_ok LABEL PATTERN ARGS...: `uctls check ARGS' (text) prints PATTERN
# (a fixed string).
text_ok() {
	label=$1
	pat=$2
	shift 2
	"$UCTLS" check "$@" >"$tmp/text" 2>&1
	if grep -qF -- "$pat" "$tmp/text"; then
		ok "$label"
	else
		notok "$label" "no \`$pat' in the text report of: uctls check $*" "$(cat "$tmp/text")"
	fi
}

# --- the cases --------------------------------------------------------------

CASES=32 # assertions of cases(); skipped together when the tool is missing

cases() {
	t=$1
	d=$2
	name=srv.field.example
	cat "$d/srv.pem" "$d/int.pem" >"$d/good.pem"
	cat "$d/srv.pem" "$d/int.pem" "$d/root.pem" >"$d/cms-bundle.pem"
	cat "$d/srv.pem" "$d/root.pem" "$d/int.pem" >"$d/wrong-order.pem"
	cat "$d/sonly.pem" "$d/int.pem" >"$d/sonly-chain.pem"
	cat "$d/cn.pem" "$d/int.pem" >"$d/cn-chain.pem"

	expect "$t: good chain, its own key" 0 "pass - -" \
		--profile generic --name $name --trust "$d/root.pem" --key "$d/srv.key" \
		"$d/good.pem"
	expect "$t: CMS bundle entity, intermediate, root, one trailing newline" 0 "pass - -" \
		--profile cms-callbridge --name $name --trust "$d/root.pem" --key "$d/srv.key" \
		"$d/cms-bundle.pem"
	expect "$t: a name the certificate lacks" 1 "fail tls-handshake name-mismatch" \
		--profile generic --name other.field.example --trust "$d/root.pem" "$d/good.pem"
	json_ok "$t: ... the certificate request with the name, its name check verified" \
		"fx = d[\"fixes\"][0]
assert fx[\"verified\"] and \"request the certificate again with \\x60other.field.example\\x27\" in fx[\"fix\"] and \"SANs: srv.field.example,other.field.example)\" in fx[\"fix\"], fx
assert \"the name check passes with it\" in fx[\"result\"], fx"
	expect "$t: missing intermediate (leaf alone, root trusted)" 1 \
		"fail tls-handshake issuer-not-found" \
		--profile generic --name $name --trust "$d/root.pem" "$d/srv.pem"
	expect "$t: Expressway upload whose intermediate is not trusted (untrusted CA chain)" 1 \
		"fail install issuer-not-found" \
		--profile expressway-e --name $name --trust "$d/root.pem" "$d/srv.pem"
	expect "$t: CMS bundle in the wrong order (leaf, root, intermediate)" 1 \
		"fail install bundle-order" \
		--profile cms-callbridge --name $name --trust "$d/root.pem" "$d/wrong-order.pem"
	expect "$t: a key that does not match the certificate" 1 "fail install key-mismatch" \
		--profile generic --name $name --trust "$d/root.pem" --key "$d/other.key" \
		"$d/good.pem"
	expect "$t: serverAuth-only leaf used as a mutual-TLS client" 1 \
		"fail tls-handshake eku-client-auth-missing" \
		--profile generic --role client --name $name --trust "$d/root.pem" \
		"$d/sonly-chain.pem"
	expect "$t: the same serverAuth-only leaf used as a server" 0 "pass - -" \
		--profile generic --role server --name $name --trust "$d/root.pem" \
		"$d/sonly-chain.pem"
	expect "$t: CN-only leaf (no SAN)" 1 "fail tls-handshake cn-only-no-san" \
		--profile generic --name $name --trust "$d/root.pem" "$d/cn-chain.pem"
	bundle_cases "$t" "$d"
	note_cases "$t" "$d"
}

# The end entity found in any order (issue 10, 1).
bundle_cases() {
	t=$1
	d=$2
	name=srv.field.example
	cat "$d/root.pem" "$d/int.pem" "$d/srv.pem" >"$d/rootfirst.pem"
	cat "$d/root.pem" "$d/int.pem" "$d/sonly.pem" >"$d/sonly-rootfirst.pem"
	trust="--trust $d/root.pem --trust $d/int.pem"
	no_root_blame='
for t in [d["failure"]["detail"]] + steps["tls-handshake"]["also"]:
    assert not (("eku-" in t or "key-usage" in t or "name-mismatch" in t or "leaf-is-ca" in t)
                and "Field Root CA" in t), t
assert "CN=srv.field.example" in d["failure"]["detail"], d["failure"]["detail"]'
	# shellcheck disable=SC2086 # $trust: two options
	expect "$t: root-first fullchain, expressway-e, --key" 1 "fail tls-handshake bundle-order" \
		--profile expressway-e --name $name $trust --key "$d/srv.key" "$d/rootfirst.pem"
	json_ok "$t: ... the order is the cause, no leaf rule blamed on the root, the leaf passes" \
		"$no_root_blame
assert \"position 3\" in d[\"failure\"][\"detail\"]
assert \"only the order is wrong\" in also, also"
	json_ok "$t: ... and the verified fix is to put the end-entity certificate first" \
		"fx = d.get(\"fixes\") or []
assert fx and fx[0][\"verified\"] and \"end-entity certificate first\" in fx[0][\"fix\"], fx"
	# shellcheck disable=SC2086
	expect "$t: root-first fullchain, cucm, no --key (the only non-CA)" 1 \
		"fail tls-handshake bundle-order" --profile cucm --name $name $trust "$d/rootfirst.pem"
	json_ok "$t: ... no leaf rule blamed on the root" "$no_root_blame"
	# shellcheck disable=SC2086
	expect "$t: root-first fullchain, generic (order not a failure)" 0 "pass - -" \
		--profile generic --name $name $trust "$d/rootfirst.pem"
	json_ok "$t: ... but a bundle-order note" \
		"assert \"bundle-order (not a failure for profile generic)\" in also, also"
	# shellcheck disable=SC2086
	expect "$t: root-first serverAuth-only leaf as client: the leaf's EKU" 1 \
		"fail tls-handshake eku-client-auth-missing" \
		--profile generic --role client --name $name $trust "$d/sonly-rootfirst.pem"
	json_ok "$t: ... named on the leaf, not the root" "$no_root_blame"
}

# Nothing passed silently (issue 10, 2, 3, 4, 5).
note_cases() {
	t=$1
	d=$2
	name=srv.field.example
	cat "$d/soon.pem" "$d/int.pem" >"$d/soon-chain.pem"
	expect "$t: no --name, the exit status kept" 0 "pass - -" \
		--profile generic --trust "$d/root.pem" "$d/good.pem"
	json_ok "$t: ... JSON says names were not checked" \
		"assert \"names: not checked, no --name given\" in also, also"
	text_ok "$t: ... and so does the text" "names: not checked, no --name given" \
		--profile generic --trust "$d/root.pem" "$d/good.pem"
	expect "$t: a leaf that expires in 3 days: a pass" 0 "pass - -" \
		--profile generic --name $name --trust "$d/root.pem" "$d/soon-chain.pem"
	json_ok "$t: ... with a warning in JSON" \
		"assert any(a.startswith(\"warning: \") and \"expires in\" in a
           for a in steps[\"tls-handshake\"][\"also\"]), also"
	text_ok "$t: ... and in text" "warning (tls-handshake on device): \`CN=srv.field.example' expires in" \
		--profile generic --name $name --trust "$d/root.pem" "$d/soon-chain.pem"
	expect "$t: --warn-days 400, a leaf of 365 days: a pass" 0 "pass - -" \
		--profile generic --name $name --trust "$d/root.pem" --warn-days 400 "$d/good.pem"
	json_ok "$t: ... with a warning" \
		"assert any(a.startswith(\"warning: \") and \"expires in 36\" in a
           for a in steps[\"tls-handshake\"][\"also\"]), also"
	expect "$t: CN-only leaf for expressway-e: passes for the zone" 0 "pass - -" \
		--profile expressway-e --name $name --trust "$d/root.pem" --trust "$d/int.pem" \
		"$d/cn-chain.pem"
	json_ok "$t: ... with a warning that Jabber over MRA would refuse it" \
		"assert \"warning: passes for the zone, but Jabber over MRA would refuse it: cn-only-no-san\" in also, also"
	"$UCTLS" check --profile cucm --profile expressway-e --profile jabber --name $name \
		--trust "$d/root.pem" --trust "$d/int.pem" "$d/good.pem" "$d/rootfirst.pem" \
		>"$tmp/text" 2>&1
	st=$?
	if [ $st -eq 1 ] && grep -q '^matrix (profile x file):' "$tmp/text" &&
		[ "$(sed -n '/^matrix/,$p' "$tmp/text" | grep -c ' pass  *-$')" -eq 4 ] &&
		grep -q "^  cucm  *$d/rootfirst.pem  *fail  *tls-handshake bundle-order$" "$tmp/text" &&
		grep -q "^  jabber  *$d/rootfirst.pem  *pass  *-$" "$tmp/text" &&
		tr -s ' \n' ' ' <"$tmp/text" | grep -q 'put the end-entity certificate first in the bundle, then its intermediates, then the root -- verified: the tls-handshake checks pass with it, for every profile given'; then
		ok "$t: 3 profiles x 2 files: a matrix, exit 1; the reorder fix verified for every profile"
	else
		notok "$t: 3 profiles x 2 files: a matrix, exit 1; the reorder fix verified for every profile" "exit $st" "$(cat "$tmp/text")"
	fi
	"$UCTLS" check --json --profile cucm --profile jabber --name $name \
		--trust "$d/root.pem" --trust "$d/int.pem" "$d/good.pem" "$d/rootfirst.pem" \
		>"$tmp/out" 2>&1
	st=$?
	if [ $st -eq 1 ] && [ "$(wc -l <"$tmp/out")" -eq 4 ]; then
		ok "$t: 2 profiles x 2 files, --json: 4 lines, exit 1"
	else
		notok "$t: 2 profiles x 2 files, --json: 4 lines, exit 1" "exit $st" "$(cat "$tmp/out")"
	fi
}

for tool in certtool openssl; do
	if ! command -v $tool >/dev/null 2>&1; then
		i=0
		while [ $i -lt $CASES ]; do
			skip "$tool: case $((i + 1))" "$tool not found"
			i=$((i + 1))
		done
		continue
	fi
	if ! mk_$tool "$tmp/$tool"; then
		notok "$tool: make the test certificates" "$tool failed; see the commands in $0"
		continue
	fi
	cases $tool "$tmp/$tool"
done

# --- input errors: exit 2 -------------------------------------------------
expect "a certificate file that cannot be read" 2 "error" \
	--profile generic "$tmp/no-such-file.pem"
if [ -r "$tmp/certtool/root.pem" ]; then
	good=$tmp/certtool/good.pem
else
	good=$tmp/openssl/good.pem
fi
expect "a trust file that cannot be read" 2 "error" \
	--profile generic --trust "$tmp/no-such-root.pem" "$good"

# A PEM block of sound Base-64 whose bytes are not DER: malformed-certificate
# (not a damaged copy), at both steps; as a trust file, an input error.
python3 -c '
import base64, random
random.seed(1)
b = base64.encodebytes(bytes(random.randrange(256) for _ in range(200))).decode()
print("-----BEGIN CERTIFICATE-----\n" + b + "-----END CERTIFICATE-----")
' >"$tmp/garbage.pem"
expect "Base-64 that is not DER" 1 "fail install malformed-certificate" \
	--profile generic "$tmp/garbage.pem"
words="malformed certificate: certificate 1 of \`$tmp/garbage.pem' is valid Base-64 but not a valid DER certificate (the ASN.1 parser says: "
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
steps = {s["step"]: s for s in d["steps"]}
for st in ("install", "tls-handshake"):
    s = steps[st]
    assert s["reason"] == "malformed-certificate", (st, s["reason"])
    assert s["detail"].startswith(sys.argv[2]), (st, s["detail"])
    assert "in a copy" not in s["detail"], (st, s["detail"])
' "$tmp/out" "$words" 2>"$tmp/py"; then
	ok "Base-64 that is not DER: both steps say so, in those words"
else
	notok "Base-64 that is not DER: both steps say so, in those words" "$(cat "$tmp/py" "$tmp/out")"
fi
expect "a trust file of Base-64 that is not DER" 2 "error" \
	--profile generic --trust "$tmp/garbage.pem" "$good"
if grep -qF "$words" "$tmp/err"; then
	ok "a trust file of Base-64 that is not DER: the error says so"
else
	notok "a trust file of Base-64 that is not DER: the error says so" "$(cat "$tmp/err")"
fi

# SHA-1, RSA-1024 and a missing serverAuth in one file, and an install
# problem before them: every one in the text report (issue 10, 7).
if command -v openssl >/dev/null 2>&1 && [ -r "$tmp/openssl/int.pem" ]; then
	d=$tmp/openssl
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth' \
		'subjectAltName=DNS:srv.field.example' >"$d/weak.ext"
	if openssl genrsa -out "$d/weak.key" 1024 >/dev/null 2>&1 &&
		openssl req -new -key "$d/weak.key" -subj "/CN=srv.field.example" \
			-out "$d/weak.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$d/weak.csr" -CA "$d/int.pem" -CAkey "$d/int.key" \
			-set_serial 20 -days 365 -sha1 -extfile "$d/weak.ext" -out "$d/weak.pem" \
			>/dev/null 2>&1; then
		cat "$d/weak.pem" "$d/int.pem" >"$d/weak-chain.pem"
		"$UCTLS" check --profile expressway-e --name srv.field.example \
			--trust "$d/root.pem" "$d/weak-chain.pem" >"$tmp/text" 2>&1
		miss=
		for w in "install failed on device: issuer-not-found" \
			"tls-handshake failed on device too: insecure-algorithm" "SHA1" \
			"key-size: \`CN=srv.field.example' has an RSA-1024 key" \
			"eku-server-auth-missing: \`CN=srv.field.example'"; do
			grep -qF -- "$w" "$tmp/text" || miss="$miss [$w]"
		done
		if [ -z "$miss" ]; then
			ok "SHA-1, RSA-1024, EKU and install problems of one file: all in text"
		else
			notok "SHA-1, RSA-1024, EKU and install problems of one file: all in text" \
				"missing:$miss" "$(cat "$tmp/text")"
		fi
	else
		notok "make the SHA-1 RSA-1024 certificate" "openssl failed"
	fi
else
	skip "SHA-1, RSA-1024, EKU and install problems of one file: all in text" "openssl not found"
fi

echo "1..$n"
