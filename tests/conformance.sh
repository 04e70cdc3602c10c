#!/bin/sh
# tests/conformance.sh — the certificate-chain conformance corpus.
#
# Every case of tests/conformance/cases.txt is generated here, at run time,
# with openssl (the extensions come from the sections of
# tests/conformance/ext.cnf), and checked by three verifiers on the same
# files:
#   uctls check --json --profile P --role server --name HOST --trust trust.pem chain.pem
#   openssl verify -x509_strict -purpose sslserver -verify_hostname HOST
#           -CAfile trust.pem -untrusted untrusted.pem leaf.pem
#   certtool --verify --verify-profile=medium --verify-purpose=<serverAuth>
#           --verify-hostname HOST --load-ca-certificate trust.pem --infile chain.pem
# One TAP test per case asserts uctls's verdict (accept = exit 0, reject =
# exit 1) and, when the row names one, the reason of uctls's failing step.
# OpenSSL's and GnuTLS's results are recorded, not asserted: the last line
# is a summary of how many cases each verifier agrees with the expected
# verdict.  The format of the case table is described at its top.
#
#   tests/conformance.sh             TAP (for make check)
#   tests/conformance.sh --doc [F]   also write the table of results as
#                                    markdown to F (default docs/conformance.md);
#                                    the same as UCTLS_CONFORMANCE_DOC=F
#
# Environment: UCTLS (the program; default the build tree's), top_srcdir,
# top_builddir, TMPDIR.  Needs openssl (3.0 or later) and certtool
# (gnutls-bin), skipped without them; perl (Debian: essential) for the few
# cases that patch DER.  Certificates are valid from "now" (certtool 3.7 has
# no verification-time option) except the rows that give fixed dates.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${UCTLS:=${top_builddir:-$top_srcdir}/harness/uctls}"
cdir=$top_srcdir/tests/conformance
cases_file=$cdir/cases.txt
ext_file=$cdir/ext.cnf

doc=${UCTLS_CONFORMANCE_DOC:-}
if [ "${1:-}" = "--doc" ]; then
	doc=${2:-$top_srcdir/docs/conformance.md}
fi

for t in openssl certtool; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "1..0 # SKIP $t not found"
		exit 0
	fi
done
if [ ! -x "$UCTLS" ]; then
	echo "Bail out! $UCTLS not built"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-conformance.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir "$tmp/keys" "$tmp/certs" "$tmp/c" || exit 99
tab=$(printf '\t')
SERVER_AUTH=1.3.6.1.5.5.7.3.1

# --- the table ------------------------------------------------------------
# Rows to tab-separated lists: $tmp/certs.list (the named CA certificates,
# "@NAME | ISSUER | SECTION | OPTIONS | note"), $tmp/cases.list (the cases).
awk -F'|' -v certs="$tmp/certs.list" -v cases="$tmp/cases.list" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
/^[ \t]*(#|$)/ { next }
{
	line = ""
	for (i = 1; i <= NF; i++) line = line (i > 1 ? "\t" : "") trim($i)
	if (substr(trim($1), 1, 1) == "@") {
		if (NF < 4) { print "cases.txt:" NR ": a cert row needs 4 fields" > "/dev/stderr"; exit 1 }
		print substr(line, 2) > certs
	} else {
		if (NF != 10) { print "cases.txt:" NR ": a case row needs 10 fields, has " NF > "/dev/stderr"; exit 1 }
		if (seen[trim($1)]++) { print "cases.txt:" NR ": duplicate id " trim($1) > "/dev/stderr"; exit 1 }
		print line > cases
	}
}' "$cases_file" || { echo "Bail out! $cases_file is malformed"; exit 1; }

# --- keys -----------------------------------------------------------------
# A key is named in a row (key=NAME; by default see cases.txt; "leaf" for
# an end entity); the name's prefix gives its type: rsa1024*, rsa2048*,
# rsa3072*, p384*, p521*, ed25519*, anything else EC P-256.  Each is made
# once, before the cases run.
mkkey() {
	k=$1
	[ -r "$tmp/keys/$k.key" ] && return 0
	case $k in
	rsa1024*) a="-algorithm RSA -pkeyopt rsa_keygen_bits:1024" ;;
	rsa2048*) a="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
	rsa3072*) a="-algorithm RSA -pkeyopt rsa_keygen_bits:3072" ;;
	p384*) a="-algorithm EC -pkeyopt ec_paramgen_curve:P-384" ;;
	p521*) a="-algorithm EC -pkeyopt ec_paramgen_curve:P-521" ;;
	ed25519*) a="-algorithm ED25519" ;;
	*) a="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ;;
	esac
	# shellcheck disable=SC2086
	openssl genpkey $a -out "$tmp/keys/$k.key" 2>/dev/null &&
		openssl pkey -in "$tmp/keys/$k.key" -pubout -out "$tmp/keys/$k.pub" 2>/dev/null
}

# resign IN.der OUT.der KEY MD FROMHEX TOHEX: replaces the bytes FROMHEX by
# TOHEX (same length) in the to-be-signed part of IN and signs it again.
resign() {
	perl -e '
use strict;
my ($in, $out, $key, $md, $from, $to) = @ARGV;
open(my $f, "<:raw", $in) or die "$in: $!"; local $/; my $d = <$f>; close $f;
sub hdr { my ($s, $o) = @_; my $l = ord(substr($s, $o + 1, 1)); my $h = 2;
	if ($l & 0x80) { my $n = $l & 0x7f; $l = 0; $l = $l * 256 + ord(substr($s, $o + 2 + $_, 1)) for 0 .. $n - 1; $h += $n }
	return ($h, $l) }
sub len { my $l = shift; return chr($l) if $l < 128; my $s = ""; while ($l) { $s = chr($l & 255) . $s; $l >>= 8 } return chr(0x80 | length $s) . $s }
my ($h, $l) = hdr($d, 0);
my ($th, $tl) = hdr($d, $h); my $tbs = substr($d, $h, $th + $tl);
my ($ah, $al) = hdr($d, $h + $th + $tl); my $alg = substr($d, $h + $th + $tl, $ah + $al);
$from = pack("H*", $from); $to = pack("H*", $to);
length($from) == length($to) or die "patch: lengths differ\n";
my $i = index($tbs, $from); $i >= 0 or die "patch: bytes not found\n";
substr($tbs, $i, length $from) = $to;
open($f, ">:raw", "$out.tbs") or die; print $f $tbs; close $f;
system("openssl", "dgst", "-$md", "-sign", $key, "-out", "$out.sig", "$out.tbs") == 0 or die "sign\n";
open($f, "<:raw", "$out.sig") or die; my $sig = <$f>; close $f;
my $bs = "\x03" . len(length($sig) + 1) . "\x00" . $sig;
my $body = $tbs . $alg . $bs;
open($f, ">:raw", $out) or die; print $f "\x30" . len(length $body) . $body; close $f;
' "$@"
}

# der2pem IN.der OUT.pem (without parsing the certificate)
der2pem() {
	{
		echo "-----BEGIN CERTIFICATE-----"
		openssl base64 -e -in "$1"
		echo "-----END CERTIFICATE-----"
	} >"$2"
}

# mkcert OUT NAME ISSUER SECTION DEFKEY DEFSUBJ DEFDAYS [OPTION...]
# Makes OUT.pem (and OUT.subj, OUT.keyname) signed by the named certificate
# ISSUER ("self": self-signed) with the extensions of SECTION of ext.cnf
# ("-": none, a version 1 certificate).  OPTIONS (see cases.txt) override
# the key, subject, validity, digest, serial, or damage the result.
mkcert() {
	out=$1 name=$2 issuer=$3 sect=$4 key=$5 subj=$6 days=$7
	shift 7
	md=sha256 serial='' nb='' na='' badsig='' signkey='' patch='' corrupt='' sigopt=''
	for o in "$@"; do
		case $o in
		key=*) key=${o#key=} ;;
		subj=*) subj=${o#subj=} ;;
		days=*) days=${o#days=} ;;
		md=*) md=${o#md=} ;;
		serial=*) serial=${o#serial=} ;;
		nb=*) nb=${o#nb=} ;;
		na=*) na=${o#na=} ;;
		badsig) badsig=-badsig ;;
		pss) sigopt=pss ;;
		signkey=*) signkey=${o#signkey=} ;;
		patch=*) patch=${o#patch=} ;;
		corrupt=*) corrupt=${o#corrupt=} ;;
		*) echo "$name: unknown option $o" >&2; return 1 ;;
		esac
	done
	[ "$subj" = EMPTY ] && subj=/
	printf '%s\n' "$subj" >"$out.subj"
	printf '%s\n' "$key" >"$out.keyname"
	if [ "$sect" = - ]; then
		extargs="-extfile /dev/null"
	else
		extargs="-extfile $ext_file -extensions $sect"
	fi
	if [ "$issuer" = self ]; then
		cacert='' cakey=$tmp/keys/$key.key
	else
		cacert=$tmp/certs/$issuer.pem
		read -r ik <"$tmp/certs/$issuer.keyname"
		cakey=$tmp/keys/$ik.key
	fi
	if [ -n "$signkey" ]; then
		# a forged issuer: the same subject and key identifier, another key
		ski=$(openssl x509 -in "$cacert" -noout -ext subjectKeyIdentifier 2>/dev/null |
			sed -n 's/^ *\([0-9A-Fa-f:]\{4,\}\) *$/\1/p')
		printf '[f]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=%s\n' \
			"${ski:-hash}" >"$out.forge.cnf"
		read -r isubj <"$tmp/certs/$issuer.subj"
		openssl x509 -new -subj "$isubj" -key "$tmp/keys/$signkey.key" \
			-days 30 -extfile "$out.forge.cnf" -extensions f -out "$out.forge.pem" 2>"$out.err" || return 1
		cacert=$out.forge.pem cakey=$tmp/keys/$signkey.key
	fi
	mdarg=-$md
	case $key in ed25519*) [ "$issuer" = self ] && mdarg= ;; esac
	sigarg=
	[ -n "$sigopt" ] && sigarg="-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"
	if [ -n "$nb$na" ]; then
		# fixed dates: openssl ca
		cad=$out.ca
		mkdir -p "$cad" && : >"$cad/index.txt" || return 1
		printf '%s\n' "${serial:-40$(od -An -N7 -tx1 /dev/urandom | tr -d ' \n')}" |
			sed 's/^0x//' >"$cad/serial"
		printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\nemail_in_dn=no\n[p]\n' \
			"$cad" "$cad" "$cad" >"$cad/ca.cnf"
		openssl req -new -key "$tmp/keys/$key.key" -subj "$subj" -out "$cad/req.csr" 2>"$out.err" ||
			return 1
		if [ -z "$cacert" ]; then
			ss="-selfsign -keyfile $cakey"
		else
			ss="-cert $cacert -keyfile $cakey"
		fi
		# shellcheck disable=SC2086
		openssl ca -config "$cad/ca.cnf" -batch -notext -preserveDN -in "$cad/req.csr" $ss \
			-startdate "${nb:-20200101000000Z}" -enddate "${na:-20450101000000Z}" -md "$md" \
			$extargs -out "$out.pem" >"$out.err" 2>&1 || return 1
	else
		if [ -z "$cacert" ]; then
			signargs="-key $cakey"
		else
			signargs="-force_pubkey $tmp/keys/$key.pub -CA $cacert -CAkey $cakey"
		fi
		# shellcheck disable=SC2086
		openssl x509 -new -subj "$subj" $signargs -days "$days" ${serial:+-set_serial "$serial"} \
			$mdarg $sigarg $badsig $extargs -out "$out.pem" 2>"$out.err" || return 1
	fi
	if [ -n "$patch" ]; then
		openssl x509 -in "$out.pem" -outform DER -out "$out.der" 2>>"$out.err" &&
			resign "$out.der" "$out.p.der" "$cakey" "$md" "${patch%%/*}" "${patch#*/}" 2>>"$out.err" &&
			der2pem "$out.p.der" "$out.pem" || return 1
	fi
	case $corrupt in
	'') ;;
	truncate) # the DER cut short by 8 octets
		openssl x509 -in "$out.pem" -outform DER -out "$out.der" 2>>"$out.err" || return 1
		sz=$(wc -c <"$out.der")
		head -c $((sz - 8)) "$out.der" >"$out.c.der" && der2pem "$out.c.der" "$out.pem" ;;
	trailing) # two octets after the certificate's SEQUENCE
		openssl x509 -in "$out.pem" -outform DER -out "$out.der" 2>>"$out.err" || return 1
		{ cat "$out.der"; printf '\005\000'; } >"$out.c.der" && der2pem "$out.c.der" "$out.pem" ;;
	*) echo "$name: unknown corrupt=$corrupt" >&2; return 1 ;;
	esac
}

# the named certificates: level by level (a root 0, what it signs 1, ...),
# two at a time; an issuer must come before what it signs in the table
# The key of each: key=K, key=@NAME (NAME's key), else NAME's own for a
# root and ISSUER-sub for the others (the CAs one CA issues share a key).
awk -F'\t' -v OFS='\t' '{
	if ($2 != "self" && !($2 in lv)) { print "cases.txt: @" $1 ": issuer " $2 " not defined above" > "/dev/stderr"; exit 1 }
	lv[$1] = ($2 == "self") ? 0 : lv[$2] + 1
	k = ($2 == "self") ? $1 : $2 "-sub"
	n = split($4, o, " "); opts = ""
	for (i = 1; i <= n; i++) {
		if (o[i] ~ /^key=@/) { k = key[substr(o[i], 6)]; continue }
		if (o[i] ~ /^key=/) { k = substr(o[i], 5); continue }
		if (o[i] != "-") opts = opts " " o[i]
	}
	key[$1] = k
	print lv[$1], $1, $2, $3, k, opts }' "$tmp/certs.list" >"$tmp/certs.lv" || { echo "Bail out! bad cert rows"; exit 1; }
# every key: the CAs' (above), the leaves' (key= in the case rows), "leaf"
{
	cut -f5 "$tmp/certs.lv"
	grep -v '^[ 	]*[@#]' "$cases_file" | sed -n 's/.*key=\([A-Za-z0-9_-]*\).*/\1/p'
	echo leaf
} | sort -u >"$tmp/keys.list"
while read -r k; do
	mkkey "$k" &
done <"$tmp/keys.list"
wait
while read -r k; do
	mkkey "$k" || { echo "Bail out! cannot make key $k"; exit 1; }
done <"$tmp/keys.list"

mkcerts() { # LEVEL WORKER
	i=0
	while IFS="$tab" read -r lv name issuer sect key opts; do
		[ "$lv" = "$1" ] || continue
		i=$((i + 1))
		[ $((i % 2)) -eq "$2" ] || continue
		# shellcheck disable=SC2086
		mkcert "$tmp/certs/$name" "$name" "$issuer" "$sect" "$key" \
			"/O=uctls-conformance/CN=$name" 3650 $opts
	done <"$tmp/certs.lv"
}
lv=0
maxlv=$(cut -f1 "$tmp/certs.lv" | sort -n | tail -1)
while [ $lv -le "$maxlv" ]; do
	mkcerts $lv 0 &
	mkcerts $lv 1 &
	wait
	lv=$((lv + 1))
done
while IFS="$tab" read -r name _; do
	if [ ! -s "$tmp/certs/$name.pem" ]; then
		echo "Bail out! cannot make certificate $name: $(cat "$tmp/certs/$name.err" 2>/dev/null)"
		exit 1
	fi
done <"$tmp/certs.list"

# --- one case -------------------------------------------------------------
# run_case ROW: makes the leaf, chain.pem, untrusted.pem, trust.pem in
# $tmp/c/ID and runs the three verifiers; writes ID/result, one line:
# uctls-verdict uctls-reason openssl-verdict certtool-verdict, and
# ID/openssl.txt, ID/certtool.txt (their short messages).
run_case() {
	IFS="$tab" read -r id expect reason profile host leaf chain trust cite desc <<EOF
$1
EOF
	d=$tmp/c/$id
	mkdir -p "$d"
	set -f
	# shellcheck disable=SC2086
	set -- $leaf
	set +f
	lissuer=$1 lsect=$2
	shift 2
	if ! mkcert "$d/leaf" leaf "$lissuer" "$lsect" leaf /O=uctls-conformance/OU=leaf 365 "$@"; then
		printf 'build-error - build-error build-error\n' >"$d/result"
		sed 's/^/build: /' "$d/leaf.err" >"$d/openssl.txt"
		cp "$d/openssl.txt" "$d/certtool.txt"
		return
	fi
	cf='' tf=''
	for c in $chain; do
		[ "$c" = - ] || cf="$cf $tmp/certs/$c.pem"
	done
	for c in $trust; do
		[ "$c" = - ] || tf="$tf $tmp/certs/$c.pem"
	done
	# shellcheck disable=SC2086
	cat "$d/leaf.pem" $cf >"$d/chain.pem"
	if [ -n "$cf" ]; then
		# shellcheck disable=SC2086
		cat $cf >"$d/untrusted.pem"
	fi
	# shellcheck disable=SC2086
	cat $tf >"$d/trust.pem"

	# uctls
	if [ "$host" = - ]; then
		"$UCTLS" check --json --profile "$profile" --role server --trust "$d/trust.pem" \
			"$d/chain.pem" >"$d/uctls.json" 2>"$d/uctls.err"
	else
		"$UCTLS" check --json --profile "$profile" --role server --name "$host" \
			--trust "$d/trust.pem" "$d/chain.pem" >"$d/uctls.json" 2>"$d/uctls.err"
	fi
	st=$?
	# the reason of the failing step, from the "failure" object
	json=
	read -r json <"$d/uctls.json"
	ur=
	case $json in
	*'"failure":{'*'"reason":"'*)
		ur=${json#*\"failure\":\{}
		ur=${ur#*\"reason\":\"}
		ur=${ur%%\"*}
		;;
	esac
	case $st in
	0) uv=accept ur=- ;;
	1) uv=reject ;;
	*) uv=error ur="exit-$st" ;;
	esac
	[ -n "$ur" ] || ur='?'

	# openssl
	case $host in
	-) hopt= ;;
	*:* | *[0-9]) hopt="-verify_ip $host" ;;
	*) hopt="-verify_hostname $host" ;;
	esac
	[ -n "$cf" ] && uopt="-untrusted $d/untrusted.pem" || uopt=
	# shellcheck disable=SC2086
	openssl verify -x509_strict -purpose sslserver $hopt -CAfile "$d/trust.pem" $uopt \
		"$d/leaf.pem" >"$d/openssl.out" 2>&1
	if [ $? -eq 0 ]; then
		ov=accept
		echo OK >"$d/openssl.txt"
	else
		ov=reject
		# the first "error N at D depth lookup" line, else the first line
		sed -n '/^error [0-9]* at [0-9]* depth lookup: /{s/^error \([0-9]*\) at \([0-9]*\) depth lookup: \(.*\)$/\3 (error \1, depth \2)/;p;q}' \
			"$d/openssl.out" >"$d/openssl.txt"
		[ -s "$d/openssl.txt" ] ||
			sed -n -e '/^ *$/d' -e 's/^[0-9A-F]*:error:[0-9A-F]*://p' -e 'q' "$d/openssl.out" >"$d/openssl.txt"
	fi

	# certtool
	if [ "$host" = - ]; then
		certtool --verify --verify-profile=medium --verify-purpose=$SERVER_AUTH \
			--load-ca-certificate "$d/trust.pem" --infile "$d/chain.pem" >"$d/certtool.out" 2>&1
	else
		certtool --verify --verify-profile=medium --verify-purpose=$SERVER_AUTH \
			--verify-hostname="$host" \
			--load-ca-certificate "$d/trust.pem" --infile "$d/chain.pem" >"$d/certtool.out" 2>&1
	fi
	cst=$?
	# the "Chain verification output" line, else the first message
	sed -n -e '/^Chain verification output: /{s///;s/Not verified\. //;s/The certificate is NOT trusted\. *//;s/ *$//;p;q}' \
		"$d/certtool.out" >"$d/certtool.txt"
	read -r m <"$d/certtool.txt" || m=
	if [ $cst -eq 0 ] && [ "${m#Verified}" != "$m" ]; then
		gv=accept
		echo OK >"$d/certtool.txt"
	else
		gv=reject
		[ -n "$m" ] || sed -n -e '/^ *$/d' -e '/^Note that/d' -e '/^Use --verify-profile/d' \
			-e '/^Loaded CAs/d' -e 'p;q' "$d/certtool.out" >"$d/certtool.txt"
		[ -s "$d/certtool.txt" ] || echo "not trusted" >"$d/certtool.txt"
	fi
	printf '%s %s %s %s\n' "$uv" "$ur" "$ov" "$gv" >"$d/result"
}

# two workers, every other case each; TAP is written afterwards, in order
worker() {
	i=0
	while IFS= read -r row; do
		[ $((i % 2)) -eq "$1" ] && run_case "$row"
		i=$((i + 1))
	done <"$tmp/cases.list"
}
worker 0 &
worker 1 &
wait

# --- TAP --------------------------------------------------------------------
n=0 total=0 au=0 ao=0 ag=0
: >"$tmp/results.tsv"
while IFS="$tab" read -r id expect reason profile host leaf chain trust cite desc; do
	n=$((n + 1))
	d=$tmp/c/$id
	if [ -r "$d/result" ]; then
		read -r uv ur ov gv <"$d/result"
	else
		uv=missing ur=- ov=missing gv=missing
	fi
	total=$((total + 1))
	# EXPECT is the standard's verdict; "accept/reject" says the standard
	# accepts and uctls rejects by design (a check it does not make fails
	# closed; the citation says why): that is asserted, and counted as a
	# disagreement.
	std=${expect%/*} mine=${expect#*/}
	[ "$uv" = "$std" ] && au=$((au + 1))
	[ "$ov" = "$std" ] && ao=$((ao + 1))
	[ "$gv" = "$std" ] && ag=$((ag + 1))
	want="$mine"
	[ "$reason" != - ] && want="$mine $reason"
	got="$uv"
	[ "$uv" != accept ] && got="$uv $ur"
	if [ "$uv" = "$mine" ] && { [ "$reason" = - ] || [ "$ur" = "$reason" ]; }; then
		echo "ok $n - $id: $got"
	else
		echo "not ok $n - $id: expected $want, uctls: $got"
		echo "#   $desc ($cite)"
		echo "#   uctls check --profile $profile --name $host --trust trust.pem chain.pem"
		if [ "$uv" = error ] || [ "$uv" = build-error ]; then
			head -3 "$d/uctls.err" "$d/leaf.err" 2>/dev/null | sed 's/^/#   /'
		fi
	fi
	om='' gm=''
	[ -r "$d/openssl.txt" ] && read -r om <"$d/openssl.txt"
	[ -r "$d/certtool.txt" ] && read -r gm <"$d/certtool.txt"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$desc" "$expect" "$reason" \
		"$uv" "$ur" "$ov" "$om" "$gv" "$gm" "$cite" >>"$tmp/results.tsv"
done <"$tmp/cases.list"
echo "1..$n"
summary="agreement with the expected verdict: uctls $au/$total, openssl verify -x509_strict $ao/$total, certtool --verify $ag/$total"
echo "# $summary"

# --- the document -------------------------------------------------------------
if [ -n "$doc" ]; then
	{
		cat <<EOF
# Certificate-chain conformance corpus

This table is generated by \`tests/conformance.sh --doc\`: every row of
[\`tests/conformance/cases.txt\`](../tests/conformance/cases.txt) is a
certificate chain built at run time with \`openssl\` (extensions from the
sections of [\`tests/conformance/ext.cnf\`](../tests/conformance/ext.cnf),
EC P-256 keys unless the row says otherwise, valid from the time of the run
except the rows with fixed dates), and checked by three verifiers on the same
files:

- **uctls**: \`uctls check --json --profile P --role server --name HOST --trust root.pem chain.pem\`
  (profile \`generic\` unless the id starts with \`webpki-\`); the reason is
  that of the failing step.  \`make check\` asserts its verdict, and the
  reason when the table gives one.
- **OpenSSL** $(openssl version | cut -d' ' -f2): \`openssl verify -x509_strict -purpose sslserver -verify_hostname HOST
  -CAfile root.pem -untrusted intermediates.pem leaf.pem\` (the first error).
- **GnuTLS** $(certtool --version | sed -n '1s/.* //p'): \`certtool --verify --verify-profile=medium --verify-purpose=1.3.6.1.5.5.7.3.1
  --verify-hostname HOST --load-ca-certificate root.pem --infile chain.pem\`.

OpenSSL's and GnuTLS's results are recorded for comparison, not asserted.
The expected verdict of each case is the one the cited section settles
(RFC 5280, RFC 9525, the CA/Browser Forum Baseline Requirements); the
last column marks with ≠ the cases where a verifier disagrees with it.

Regenerate with \`make && tests/conformance.sh --doc\` (or
\`UCTLS_CONFORMANCE_DOC=docs/conformance.md make check\`).

**Agreement with the expected verdict** ($total cases): uctls $au,
OpenSSL \`-x509_strict\` $ao, GnuTLS certtool $ag.

| id | case | expected | uctls | OpenSSL | GnuTLS | settled by |
|----|------|----------|-------|---------|--------|------------|
EOF
		awk -F'\t' '
function esc(s) { gsub(/\|/, "\\|", s); gsub(/\*/, "\\*", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/_/, "\\_", s); return s }
{
	id = $1; desc = $2; ex = $3; reason = $4; uv = $5; ur = $6; ov = $7; om = $8; gv = $9; gm = $10; cite = $11
	design = (index(ex, "/") > 0); if (design) ex = substr(ex, 1, index(ex, "/") - 1)
	e = ex; if (reason != "-" && !design) e = e " `" reason "`"
	u = uv; if (uv != "accept") u = uv " `" ur "`"
	if (uv != ex) u = "**" u "**" (design ? " (by design)" : "")
	if (length(om) > 60) om = substr(om, 1, 57) "..."
	if (length(gm) > 60) gm = substr(gm, 1, 57) "..."
	o = (ov == "accept") ? "accept" : "reject: " esc(om); if (ov != ex) o = "**" o "**"
	g = (gv == "accept") ? "accept" : "reject: " esc(gm); if (gv != ex) g = "**" g "**"
	mark = (uv != ex || ov != ex || gv != ex) ? "≠ " : ""
	printf "| `%s` | %s | %s | %s | %s | %s | %s%s |\n", id, esc(desc), e, u, o, g, mark, esc(cite)
}' "$tmp/results.tsv"
	} >"$doc.tmp" && mv "$doc.tmp" "$doc" && echo "# wrote $doc"
fi
exit 0
