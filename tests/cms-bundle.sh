#!/bin/sh
# tests/cms-bundle.sh — the Meeting Server's separate CA bundle
# (`callbridge certs <key> <cert> <bundle>'; <install bundle=>,
# src/cms-bundle.c; Cisco, "Generate CSR and Apply Certificates to CMS",
# doc 214618, "Certificate Trust Chains and Bundles",
# https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/214618-generate-csr-and-apply-certificates-to-c.html).
# TAP.  One row per case: the profile, the <install> attributes, the
# outcome (pass, or the install step's reason) and a text the report must
# contain.  The cases the shipped scenarios do not show: the bundle's
# ending, the entity inside it, a bundle that goes on after the root, and
# a profile without the bundle rules (only `pki verify''s first link).
# For the chain verdicts of cms-callbridge (pass, issuer-not-found), a
# real verifier must agree: OpenSSL's `openssl verify -CAfile BUNDLE'.
# Then `uctls check --bundle FILE' on files from `uctls pki export': a good
# bundle passes (the handshake verifies the certificate with the bundle's
# issuers); no root, wrong order, two newlines, the entity inside fail at
# install; a FIFO, a directory, --bundle twice are input errors (exit 2).
# env: UCTLS, top_srcdir.
set -u
: "${UCTLS:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-cms-bundle.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

# profile | install attributes | pass or reason | text in the report
rows='cms-callbridge|cert="cb1" bundle="int root"|pass|every step passed
cms-callbridge|cert="cb1" bundle="int root" newlines="2"|bundle-order|ends with 2 trailing newlines
cms-callbridge|cert="cb1" bundle="int root" newlines="0"|bundle-order|ends with 0 trailing newlines
cms-callbridge|cert="cb1" bundle="cb1 int root"|bundle-order|holds the entity certificate
cms-callbridge|cert="cb1" bundle="int root int"|bundle-order|goes on after the root
cms-callbridge|cert="cb1" bundle="root int"|bundle-order|is out of order: position 1 should be
cms-callbridge|cert="cb1" bundle="int"|issuer-not-found|ends at position 1 without the root
cms-callbridge|cert="cb1" bundle="root"|issuer-not-found|does not hold, at position 1 or anywhere, the issuer
cms-callbridge|cert="cb1 int"|issuer-not-found|from CMS 3.0 the bundle holds the full chain
generic-sip|cert="cb1" bundle="int"|pass|every step passed
generic-sip|cert="cb1" bundle="int root" newlines="3"|pass|every step passed
generic-sip|cert="cb1" bundle="root"|issuer-not-found|does not hold, at position 1 or anywhere'

printf '%s\n' "$rows" | {
	while IFS='|' read -r prof attrs want text; do
		n=$((n + 1))
		f="$tmp/row$n.xml"
		cat >"$f" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<scenario name="test/cms-bundle-$n" family="sip-trunk">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Example Root CA,O=Example"/>
    <ca id="int" issuer="root" subject="CN=Example Issuing CA,O=Example"/>
    <cert id="cb1" issuer="int" subject="CN=cb1.example.com" san="DNS:cb1.example.com"/>
    <cert id="cb2" issuer="int" subject="CN=cb2.example.com" san="DNS:cb2.example.com"/>
  </pki>
  <peer id="A" role="client" profile="$prof" sends="cb2 int" trusts="root" verify-name="cb1.example.com"/>
  <peer id="B" role="server" profile="$prof" sends="cb1 int" trusts="root" verify-name="cb2.example.com"/>
  <install peer="B" $attrs/>
</scenario>
EOF
		"$UCTLS" run --no-fixes "$f" >"$tmp/out" 2>&1
		st=$?
		if [ "$want" = pass ]; then
			want_line="every step passed"
			want_st=0
		else
			want_line="install failed on B: $want"
			want_st=1
		fi
		# run's status: 0 all steps passed, 1 a scenario failed (no <expect>)
		if [ "$st" -eq "$want_st" ] && grep -q "$want_line" "$tmp/out" &&
			tr '\n' ' ' <"$tmp/out" | tr -s ' ' | grep -qF "$text"; then
			echo "ok $n - $prof $attrs: $want"
		else
			fail=1
			echo "not ok $n - $prof $attrs: expected $want ($text), exit $st"
			sed 's/^/# /' "$tmp/out" | head -20
		fi
		# The chain verdict (not the order or the ending, which are the
		# Meeting Server's rules) against a real verifier: OpenSSL's
		# `openssl verify -CAfile BUNDLE CERT', default flags (no partial
		# chain), given the same files.
		case "$prof $want $attrs" in
		cms-callbridge\ pass\ *bundle=* | cms-callbridge\ issuer-not-found\ *bundle=*) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		if ! command -v openssl >/dev/null 2>&1; then
			echo "ok $n # SKIP openssl not found"
			continue
		fi
		rm -rf "$tmp/pki"
		ids=$(printf '%s\n' "$attrs" | sed -n 's/.*bundle="\([^"]*\)".*/\1/p')
		if "$UCTLS" pki export "$f" "$tmp/pki" >/dev/null 2>&1 &&
			(cd "$tmp/pki" && for i in $ids; do cat "$i.pem"; done) >"$tmp/bundle.pem"; then
			openssl verify -CAfile "$tmp/bundle.pem" "$tmp/pki/cb1.pem" >"$tmp/ossl" 2>&1
			ost=$?
		else
			ost=99
		fi
		if { [ "$want" = pass ] && [ "$ost" -eq 0 ]; } ||
			{ [ "$want" != pass ] && [ "$ost" -ne 0 ] && [ "$ost" -ne 99 ]; }; then
			echo "ok $n - openssl verify -CAfile ($ids) agrees: $want"
		else
			fail=1
			echo "not ok $n - openssl verify -CAfile ($ids) exit $ost, uctls: $want"
			sed 's/^/# /' "$tmp/ossl" 2>/dev/null | head -5
		fi
	done

	# `uctls check --bundle FILE' (harness/uctls.c, src/devcheck.c): the same
	# check on real files exported by `uctls pki export'.  One row per
	# bundle: the files it concatenates ("+" an extra newline; or a FIFO, a
	# directory, the option twice), the certificate file, the exit status, a
	# text of the report or of standard error.
	cat >"$tmp/check.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<scenario name="test/cms-bundle-check" family="sip-trunk">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Example Root CA,O=Example"/>
    <ca id="int" issuer="root" subject="CN=Example Issuing CA,O=Example"/>
    <cert id="cb1" issuer="int" subject="CN=cb1.example.com" san="DNS:cb1.example.com"/>
  </pki>
  <peer id="A" role="client" profile="cms-callbridge" sends="cb1 int" trusts="root"/>
  <peer id="B" role="server" profile="cms-callbridge" sends="cb1 int" trusts="root"/>
</scenario>
EOF
	P="$tmp/check"
	if ! "$UCTLS" pki export "$tmp/check.xml" "$P" >"$tmp/out" 2>&1; then
		sed 's/^/# /' "$tmp/out"
		echo "Bail out! uctls pki export failed"
		exit 1
	fi
	mkfifo "$tmp/fifo" || echo "# mkfifo failed: the FIFO row fails"
	mkdir "$tmp/dir"
	# bundle | cert file's ids | exit | text (the report, or stderr for 2)
	crows='int root|cb1|0|every step passed
int|cb1|1|install failed on device: issuer-not-found .* ends at position 1 without the root
root int|cb1|1|install failed on device: bundle-order .* is out of order: position 1 should be
int root +|cb1|1|install failed on device: bundle-order .* ends with 2 trailing newlines
cb1 int root|cb1|1|install failed on device: bundle-order .* holds the entity certificate
JUNK|cb1|1|install failed on device: bad-format .* is not PEM certificates
-|cb1|1|install failed on device: issuer-not-found .* from CMS 3.0 the bundle holds the full chain
-|cb1 int root|0|every step passed
FIFO|cb1|2|fifo: not a regular file (a FIFO)
DIR|cb1|2|dir: not a regular file (a directory)
TWICE|cb1|2|--bundle given twice'
	printf '%s\n' "$crows" | {
		while IFS='|' read -r ids cert want text; do
			n=$((n + 1))
			(cd "$P" && for i in $cert; do cat "$i.pem"; done) >"$tmp/cert.pem"
			set -- --bundle "$tmp/bundle.pem"
			case "$ids" in
			-) set -- ;;
			FIFO) set -- --bundle "$tmp/fifo" ;;
			DIR) set -- --bundle "$tmp/dir" ;;
			TWICE) set -- --bundle "$P/int.pem" --bundle "$P/root.pem" ;;
			JUNK) echo 'not a certificate' >"$tmp/bundle.pem" ;;
			*)
				(cd "$P" && for i in $ids; do
					if [ "$i" = + ]; then echo; else cat "$i.pem"; fi
				done) >"$tmp/bundle.pem"
				;;
			esac
			"$UCTLS" check --profile cms-callbridge --at 2026-06-01 --key "$P/cb1.key" \
				--trust "$P/root.pem" --name cb1.example.com "$@" "$tmp/cert.pem" \
				>"$tmp/out" 2>&1
			st=$?
			if [ "$st" -eq "$want" ] &&
				tr '\n' ' ' <"$tmp/out" | tr -s ' ' | grep -q -- "$text"; then
				echo "ok $n - check --bundle ($ids) beside ($cert): exit $want"
			else
				fail=1
				echo "not ok $n - check --bundle ($ids) beside ($cert): expected exit" \
					"$want ($text), got $st"
				sed 's/^/# /' "$tmp/out" | head -20
			fi
		done
		echo "1..$n"
		exit $fail
	}
	exit $?
}
