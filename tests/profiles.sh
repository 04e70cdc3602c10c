#!/bin/sh
# tests/profiles.sh — the device profiles are data files (src/profiles/*.xml,
# uctls-scenario(5) PROFILE FILES; profile.h).  TAP.  env: UCTLS, top_srcdir.
#   1. every line of tests/profiles-table.txt — the dump of the built-in C
#      table the files replaced, one `ID ATTR=VALUE' per field — is a line of
#      `uctls profiles --dump': the data files say what the table said;
#   2. `uctls profiles' names each profile's file and line;
#   3. the DTD's <!ATTLIST profile> (plus id, base) and its <item attr=>
#      choices (the lists of texts) are exactly the loader's fields (its
#      field table, as `--dump' prints them);
#   4. each tests/bad-profiles/*.xml (first line <!-- expect-error: LINE:
#      TEXT -->) given to `--profiles' exits 2 with FILE:LINE: and TEXT;
#   5. `--profiles docs/acme-profiles.xml': its profiles are listed from
#      that file, and a scenario using one runs (exit 0, as it expects);
#      without the file the same scenario is an input error (exit 2);
#   6. a user file replaces a built-in profile of the same id (base= the
#      profile itself), and the change reaches a run: a wildcard refused;
#   7. UCTLS_PROFILE_DIR naming no directory: exit 2, the message names it;
#      an empty one: exit 2, "no profile files";
#   8. the program of the build tree finds the sources' profiles without
#      UCTLS_PROFILE_DIR (the README's run before `make install');
#   9. Makefile.am's dist_profiles_DATA lists exactly src/profiles/*.xml (a
#      file not listed would be neither installed nor distributed);
#  10. a scenario's own profile's symptom reaches the text report ("the
#      device shows: ..."), as a built-in profile's does;
#  11. `uctls profiles' shows a UCOS device's slot and store (cup: slot cup,
#      store cup-trust) and a revocation-checking profile's sources and
#      fallback (expressway-c).
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-profiles.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for f in "$@"; do sed 's/^/# /' "$f" | head -10; done; }
bad=$(ls "$top_srcdir"/tests/bad-profiles/*.xml | wc -l)
echo "1..$((bad + 11))"

# 1. the data equals the old table
"$UCTLS" profiles --dump >"$tmp/dump" 2>"$tmp/err"
st=$?
grep -v '^#' "$top_srcdir/tests/profiles-table.txt" | sort >"$tmp/want"
sort "$tmp/dump" >"$tmp/got"
comm -23 "$tmp/want" "$tmp/got" >"$tmp/missing"
if [ $st -eq 0 ] && [ -s "$tmp/want" ] && [ ! -s "$tmp/missing" ]; then
	ok "uctls profiles --dump has every field of the old table ($(wc -l <"$tmp/want") lines)"
else nok "uctls profiles --dump: exit $st, lines of the old table not in it" "$tmp/missing" "$tmp/err"; fi

# 2. where each profile comes from
"$UCTLS" profiles >"$tmp/list" 2>&1
nprof=$(grep -c '^[a-z0-9]' "$tmp/list")
nfrom=$(grep -c "^  *from $top_srcdir/src/profiles/[0-9][0-9]-[a-z0-9-]*\.xml:[0-9][0-9]*\$" "$tmp/list")
if [ "$nprof" -gt 20 ] && [ "$nprof" -eq "$nfrom" ] &&
   grep -A4 '^generic ' "$tmp/list" | grep -q "from $top_srcdir/src/profiles/10-generic.xml:"; then
	ok "uctls profiles: each of the $nprof profiles says its file:line"
else nok "uctls profiles: $nprof profiles, $nfrom from lines" "$tmp/list"; fi

# 3. DTD <-> loader
dtdf=$top_srcdir/scenarios/uctls-scenario.dtd
{ sed -n '/^<!ATTLIST profile$/,/>/p' "$dtdf" | awk 'NR > 1 { print $1 }' | grep -v '^>'
  sed -n 's/^<!ATTLIST item attr (\(.*\)) #REQUIRED>$/\1/p' "$dtdf" | tr -d ' ' | tr '|' '\n'
} | sort >"$tmp/dtd"
{ echo id; echo base; awk '$1 == "generic" { sub(/=.*/, "", $2); print $2 }' "$tmp/dump"; } | sort >"$tmp/fields"
if [ -s "$tmp/dtd" ] && cmp -s "$tmp/dtd" "$tmp/fields"; then
	ok "the DTD's <profile> attributes are the loader's fields"
else
	diff "$tmp/fields" "$tmp/dtd" >"$tmp/d"
	nok "the DTD's <profile> attributes differ from the loader's (< loader, > DTD)" "$tmp/d"
fi

# 4. bad profile files
for f in "$top_srcdir"/tests/bad-profiles/*.xml; do
	line=$(sed -n '1s/^<!-- expect-error: \([0-9][0-9]*\): .* -->$/\1/p' "$f")
	want=$(sed -n '1s/^<!-- expect-error: [0-9][0-9]*: \(.*\) -->$/\1/p' "$f")
	"$UCTLS" run --profiles "$f" "$top_srcdir/scenarios/tls/expired-ok.xml" >/dev/null 2>"$tmp/err"
	st=$?
	if [ -n "$line" ] && [ $st -eq 2 ] && grep -qF "$f:$line:" "$tmp/err" && grep -qF "$want" "$tmp/err"; then
		ok "bad-profiles/${f##*/}: exit 2, $want"
	else nok "bad-profiles/${f##*/}: exit $st, expected $line: $want" "$tmp/err"; fi
done

# 5. a user's profile file
acme=$top_srcdir/docs/acme-profiles.xml
cat >"$tmp/acme.xml" <<'EOF'
<scenario name="profiles/acme" family="sip-trunk">
  <clock now="2026-06-01T12:00:00Z"/>
  <pki>
    <ca id="root" subject="CN=Root"/>
    <cert id="sbc" issuer="root" subject="CN=sbc.example.com" san="DNS:sbc.example.com" eku="serverAuth,clientAuth"/>
    <cert id="phone" issuer="root" subject="CN=phone.example.com" san="DNS:phone.example.com" eku="serverAuth,clientAuth"/>
  </pki>
  <peer id="phone" role="client" profile="acme-phone" sends="phone" trusts="root" verify-name="sbc.example.com"/>
  <peer id="sbc" role="server" profile="acme-sbc" sends="sbc" trusts="root" verify-name="phone.example.com"/>
  <expect result="pass"/>
</scenario>
EOF
"$UCTLS" profiles --profiles "$acme" >"$tmp/list" 2>&1
st=$?
"$UCTLS" run --profiles="$acme" "$tmp/acme.xml" >"$tmp/run" 2>&1
rst=$?
"$UCTLS" run "$tmp/acme.xml" >"$tmp/run2" 2>&1
nst=$?
if [ $st -eq 0 ] && grep -A4 '^acme-phone ' "$tmp/list" | grep -q "from $acme:[0-9]" &&
   [ $rst -eq 0 ] && [ $nst -eq 2 ] && grep -q "unknown profile \`acme-phone'" "$tmp/run2"; then
	ok "--profiles docs/acme-profiles.xml: listed from that file; a scenario using it passes (without: exit 2)"
else nok "--profiles acme: profiles exit $st, run exit $rst, without the file exit $nst" "$tmp/list" "$tmp/run" "$tmp/run2"; fi

# 6. a user file amends a built-in profile; the run sees it
cat >"$tmp/strict.xml" <<'EOF'
<profiles>
  <profile id="generic" base="generic" wildcard="no"/>
</profiles>
EOF
w=$top_srcdir/scenarios/tls/wildcard.xml
"$UCTLS" run --no-fixes "$w" >"$tmp/w1" 2>&1
s1=$?
"$UCTLS" run --no-fixes --profiles "$tmp/strict.xml" "$w" >"$tmp/w2" 2>&1
s2=$?
if [ $s1 -eq 0 ] && [ $s2 -eq 1 ] && grep -q 'wildcard-not-allowed' "$tmp/w2"; then
	ok "--profiles replacing generic (wildcard=\"no\"): tls/wildcard.xml now fails, wildcard-not-allowed"
else nok "--profiles replacing generic: exit $s1 then $s2" "$tmp/w1" "$tmp/w2"; fi

# 7. no profile directory
UCTLS_PROFILE_DIR=$tmp/none "$UCTLS" profiles >/dev/null 2>"$tmp/err"
st=$?
if [ $st -eq 2 ] && grep -qF "$tmp/none" "$tmp/err"; then
	ok "UCTLS_PROFILE_DIR missing: exit 2, names it"
else nok "UCTLS_PROFILE_DIR missing: exit $st" "$tmp/err"; fi
mkdir "$tmp/empty"
UCTLS_PROFILE_DIR=$tmp/empty "$UCTLS" run "$w" >/dev/null 2>"$tmp/err"
st=$?
if [ $st -eq 2 ] && grep -q "no profile files" "$tmp/err"; then
	ok "UCTLS_PROFILE_DIR empty: exit 2, no profile files"
else nok "UCTLS_PROFILE_DIR empty: exit $st" "$tmp/err"; fi

# 8. the build tree's program without UCTLS_PROFILE_DIR
(unset UCTLS_PROFILE_DIR; "$UCTLS" profiles) >"$tmp/list" 2>&1
st=$?
if [ $st -eq 0 ] && grep -q "from $top_srcdir/src/profiles/10-generic.xml:" "$tmp/list"; then
	ok "without UCTLS_PROFILE_DIR the build tree's uctls reads $top_srcdir/src/profiles"
else nok "without UCTLS_PROFILE_DIR: exit $st" "$tmp/list"; fi

# 9. installed and distributed: every profile file
(cd "$top_srcdir" && ls src/profiles/*.xml) | LC_ALL=C sort >"$tmp/files"
sed -n '/^dist_profiles_DATA = /,/[^\\]$/p' "$top_srcdir/Makefile.am" |
	tr ' \t\\' '\n\n\n' | grep '^src/profiles/' | LC_ALL=C sort >"$tmp/listed"
if [ -s "$tmp/files" ] && cmp -s "$tmp/files" "$tmp/listed"; then
	ok "Makefile.am's dist_profiles_DATA lists the $(wc -l <"$tmp/files") files of src/profiles"
else
	diff "$tmp/files" "$tmp/listed" >"$tmp/d"
	nok "Makefile.am's dist_profiles_DATA is not src/profiles/*.xml (< files, > listed)" "$tmp/d"
fi

# 10. a scenario's own profile says what the device shows
s=$top_srcdir/scenarios/tls/vendor-profile-wildcard.xml
"$UCTLS" run "$s" >"$tmp/run" 2>&1
st=$?
if [ $st -eq 0 ] && grep -q "the device shows: the phone's display: Server certificate" "$tmp/run"; then
	ok "a scenario's own profile's symptom is in the report"
else nok "a scenario's own profile's symptom: exit $st" "$tmp/run"; fi

# 11. slots, stores and revocation in the listing
"$UCTLS" profiles >"$tmp/list" 2>&1
if sed -n '/^cup /,/ from /p' "$tmp/list" | grep -q "connection: slot cup, store cup-trust" &&
	sed -n '/^expressway-c /,/ from /p' "$tmp/list" | grep -q "revocation: crl ocsp.*fallback not revoked"; then
	ok "uctls profiles: cup's slot and store, expressway-c's revocation"
else nok "uctls profiles: no slot/store or revocation line" "$tmp/list"; fi
exit 0
