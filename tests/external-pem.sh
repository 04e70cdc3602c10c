#!/bin/sh
# Chains made outside uctls (certtool and openssl) loaded from PEM files give
# the same reasons as generated ones.  TAP.
# env: UCTLS (the program), top_srcdir.
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-pem.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

if ! command -v certtool >/dev/null 2>&1 && ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP neither certtool (gnutls-bin) nor openssl found"
	exit 0
fi

# --- certtool -------------------------------------------------------------
mk_certtool() {
	d=$1
	mkdir -p "$d"
	cat >"$d/root.tmpl" <<T
cn = "Vendor Root CA"
ca
cert_signing_key
expiration_days = 3650
T
	cat >"$d/int.tmpl" <<T
cn = "Vendor Issuing CA"
ca
cert_signing_key
expiration_days = 3650
T
	cat >"$d/srv.tmpl" <<T
cn = "srv.vendor.example"
dns_name = "srv.vendor.example"
tls_www_server
tls_www_client
signing_key
encryption_key
expiration_days = 365
T
	cat >"$d/cli.tmpl" <<T
cn = "cli.vendor.example"
dns_name = "cli.vendor.example"
tls_www_server
tls_www_client
signing_key
expiration_days = 365
T
	for k in root int srv cli other; do
		certtool --generate-privkey --key-type=ecdsa --outfile "$d/$k.key" >/dev/null 2>&1 || return 1
	done
	certtool --generate-self-signed --load-privkey "$d/root.key" --template "$d/root.tmpl" \
		--outfile "$d/root.pem" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$d/int.key" --load-ca-certificate "$d/root.pem" \
		--load-ca-privkey "$d/root.key" --template "$d/int.tmpl" --outfile "$d/int.pem" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$d/srv.key" --load-ca-certificate "$d/int.pem" \
		--load-ca-privkey "$d/int.key" --template "$d/srv.tmpl" --outfile "$d/srv.pem" >/dev/null 2>&1 &&
	certtool --generate-certificate --load-privkey "$d/cli.key" --load-ca-certificate "$d/int.pem" \
		--load-ca-privkey "$d/int.key" --template "$d/cli.tmpl" --outfile "$d/cli.pem" >/dev/null 2>&1
}

# --- openssl --------------------------------------------------------------
mk_openssl() {
	d=$1
	mkdir -p "$d"
	o() { openssl "$@" >/dev/null 2>&1; }
	for k in root int srv cli other; do
		o ecparam -name prime256v1 -genkey -noout -out "$d/$k.key" || return 1
	done
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$d/ca.ext"
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s\n' \
		srv.vendor.example >"$d/srv.ext"
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s\n' \
		cli.vendor.example >"$d/cli.ext"
	o req -new -x509 -key "$d/root.key" -subj "/CN=Vendor Root CA" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$d/root.pem" &&
	o req -new -key "$d/int.key" -subj "/CN=Vendor Issuing CA" -out "$d/int.csr" &&
	o x509 -req -in "$d/int.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -CAcreateserial \
		-days 3650 -extfile "$d/ca.ext" -out "$d/int.pem" &&
	o req -new -key "$d/srv.key" -subj "/CN=srv.vendor.example" -out "$d/srv.csr" &&
	o x509 -req -in "$d/srv.csr" -CA "$d/int.pem" -CAkey "$d/int.key" -CAcreateserial \
		-days 365 -extfile "$d/srv.ext" -out "$d/srv.pem" &&
	o req -new -key "$d/cli.key" -subj "/CN=cli.vendor.example" -out "$d/cli.csr" &&
	o x509 -req -in "$d/cli.csr" -CA "$d/int.pem" -CAkey "$d/int.key" -CAcreateserial \
		-days 365 -extfile "$d/cli.ext" -out "$d/cli.pem"
}

# scenario DIR NAME SERVER_SENDS CLIENT_TRUSTS NAME EXPECT
scenario() {
	cat >"$1/$2.xml" <<X
<scenario name="external/$2" family="tls">
  <pki>
    <ca id="root" file="root.pem"/>
    <ca id="int" file="int.pem"/>
    <cert id="srv" file="srv.pem" key-file="srv.key"/>
    <cert id="cli" file="cli.pem" key-file="cli.key"/>
  </pki>
  <peer id="client" role="client" sends="cli int" trusts="$4" verify-name="$5"/>
  <peer id="server" role="server" sends="$3" trusts="root"/>
  $6
</scenario>
X
}

check() { # DIR NAME LABEL
	out=$("$UCTLS" run --tap "$1/$2.xml" 2>&1)
	st=$?
	if [ $st -eq 0 ]; then ok "$3"; else notok "$3 (exit $st)" "$out"; fi
}

# A PEM bundle (leaf + intermediate in one file) loaded with index=.
bundle_scenario() {
	cat "$1/srv.pem" "$1/int.pem" >"$1/bundle.pem"
	cat >"$1/bundle.xml" <<X
<scenario name="external/bundle" family="tls">
  <pki>
    <ca id="root" file="root.pem"/>
    <ca id="int" file="bundle.pem" index="2"/>
    <cert id="srv" file="bundle.pem" index="1" key-file="srv.key"/>
    <cert id="cli" file="cli.pem" key-file="cli.key"/>
  </pki>
  <peer id="client" role="client" sends="cli int" trusts="root" verify-name="srv.vendor.example"/>
  <peer id="server" role="server" sends="srv int" trusts="root"/>
  <expect result="pass"/>
</scenario>
X
}

echo "1..10"
for tool in certtool openssl; do
	d="$tmp/$tool"
	if ! command -v $tool >/dev/null 2>&1; then
		for i in 1 2 3 4 5; do n=$((n + 1)); echo "ok $n # SKIP $tool not found"; done
		continue
	fi
	if ! mk_$tool "$d"; then
		for i in 1 2 3 4 5; do notok "$tool: could not make the test chain"; done
		continue
	fi
	scenario "$d" pass "srv int" root srv.vendor.example '<expect result="pass"/>'
	check "$d" pass "$tool chain, intermediate sent: pass"
	scenario "$d" missing srv root srv.vendor.example \
		'<expect fail-at="tls-handshake" side="client" reason="issuer-not-found" other="alert:unknown-ca"/>'
	check "$d" missing "$tool chain, intermediate neither sent nor trusted: issuer-not-found"
	scenario "$d" untrusted "srv int" int srv.vendor.example '<expect result="pass"/>'
	check "$d" untrusted "$tool chain, intermediate as trust anchor: pass"
	scenario "$d" name "srv int" root wrong.vendor.example \
		'<expect fail-at="tls-handshake" side="client" reason="name-mismatch" other="alert:bad-certificate"/>'
	check "$d" name "$tool chain, wrong verify name: name-mismatch"
	bundle_scenario "$d"
	check "$d" bundle "$tool bundle loaded by index: pass"
done
exit $fail
