#!/bin/sh
# tests/citations.sh — vendor citations name the public documents (issue 14,
# point 5).  TAP.  env: top_srcdir.
#   1. the scanner itself finds each kind of forbidden citation in a planted
#      file, and passes a clean one (so a silent scanner cannot pass 2.);
#   2. no file under docs/, scenarios/, src/ or README.md cites the
#      translated copies the project was written from: a file name
#      NNN_<16 hex>.txt, a "seeds/" path, "seed 3", "doc 000" .. "doc 009",
#      a bare "(001: ..." / "(002)", or ../shared/ — the users have none of
#      these; a rule cites the public original by title, number, URL;
#   3. every Cisco document cited by number anywhere in those files (doc
#      221624, 225476, 214618, 118855, or any other "doc NNNNNN") is given
#      with its URL somewhere in docs/, and the four of the issue with their
#      titles; the IM and Presence guide and the Expressway deployment guide,
#      which have no number, with their titles and URLs.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-citations.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

# One extended regular expression per kind of forbidden citation.
kinds="seed-file seed-dir seed-word doc-seed-number bare-seed-number shared-dir"
re_of() {
	case $1 in
	seed-file) echo '[0-9]{3}_[0-9a-fA-F]{16}' ;;
	seed-dir) echo '(^|[^A-Za-z])seeds/' ;;
	seed-word) echo '(^|[^A-Za-z])[Ss]eeds?[ #_-]?[0-9]' ;;
	doc-seed-number) echo '(^|[^A-Za-z])([Dd]oc(ument)?s?|[Ff]ile) ?#?00[0-9]([^0-9]|$)' ;;
	bare-seed-number) echo '(^|[[:space:](;])00[0-9](:|\))' ;;
	shared-dir) echo '\.\./shared' ;;
	esac
}
# scan DIR...: print FILE:LINE: kind: text for every forbidden citation.
scan() {
	for k in $kinds; do
		grep -rnHE -I "$(re_of "$k")" "$@" 2>/dev/null | sed "s/^\([^:]*:[0-9]*\):/\1: $k: /"
	done
}

# 1. The scanner finds each kind in a planted file, and nothing in a clean one.
mkdir -p "$tmp/bad" "$tmp/good"
i=0
for line in 'see 001_e0b7c5c74619c96d.txt' 'read ../shared/seeds/ first' 'as seed 3 says' \
	'(doc 000, section 2)' '(001: "enable wildcards")' 'the root first (002) is refused' \
	'see ../shared/domain.md'; do
	i=$((i + 1))
	printf '%s\n' "ok line" "$line" >"$tmp/bad/case$i.md"
done
cat >"$tmp/good/clean.md" <<'E'
Cisco, "Configure UCCX Solution Certificate Management", doc 118855, section
"Signed Certificates": 10,000,000 executions; now=2026-06-01T12:00:00Z; the
fuzzing seed corpus; RFC 5280 4.2.1.3; 0x0001; port 5061.
E
missed=""
j=0
while [ "$j" -lt "$i" ]; do
	j=$((j + 1))
	scan "$tmp/bad/case$j.md" | grep -q "case$j.md:2: " || missed="$missed case$j"
done
if [ -z "$missed" ]; then
	ok "the scanner finds each planted kind of seed citation ($i cases)"
else
	nok "the scanner misses:$missed"
fi
if [ -z "$(scan "$tmp/good")" ]; then
	ok "the scanner passes public citations, timestamps and big numbers"
else
	nok "the scanner flags a clean file"; scan "$tmp/good" | sed 's/^/# /'
fi

# 2. The shipped tree.
cd "$top_srcdir" || exit 1
for d in docs scenarios src README.md; do
	[ -e "$d" ] || { nok "$d: missing"; continue; }
	scan "$d" >"$tmp/hits"
	if [ -s "$tmp/hits" ]; then
		nok "$d cites the translated seed copies or ../shared/ (cite the public original)"
		sed 's/^/# /' "$tmp/hits" | head -20
	else
		ok "$d: no seed file name, seed number or ../shared/"
	fi
done

# 3. Every document cited by number has its URL in docs/; the known ones
# their titles as well.
cat docs/*.md docs/*.1 docs/*.5 >"$tmp/docs.txt" 2>/dev/null
grep -rhoE '[Dd]oc(ument)? [0-9]{6}' docs scenarios src README.md | grep -oE '[0-9]{6}' |
	sort -u >"$tmp/cited"
for num in 221624 225476 214618 118855; do
	grep -qx "$num" "$tmp/cited" || echo "$num" >>"$tmp/cited"
done
sort -u -o "$tmp/cited" "$tmp/cited"
while IFS= read -r num; do
	if grep -qE "https://www\.cisco\.com/[^ )|>\"]*/$num-[A-Za-z0-9-]+\.html" "$tmp/docs.txt"; then
		ok "doc $num: its URL is given in docs/"
	else
		nok "doc $num is cited by number, but docs/ gives no https://www.cisco.com/... URL for it"
	fi
done <"$tmp/cited"
# Titles (a line break inside a title is allowed: the text is joined first).
tr '\n' ' ' <"$tmp/docs.txt" | tr -s ' ' >"$tmp/joined.txt"
while IFS='|' read -r what title url; do
	if grep -qF "$title" "$tmp/joined.txt" && grep -qF "$url" "$tmp/joined.txt"; then
		ok "$what: title \"$title\" and URL in docs/"
	else
		nok "$what: docs/ lacks the title \"$title\" or its URL $url"
	fi
done <<'T'
doc 221624|Troubleshoot Expressway Certificates|https://www.cisco.com/c/en/us/support/docs/unified-communications/telepresence-video-communication-server-vcs/221624-troubleshoot-expressway-certificates.html
doc 225476|Understand Mobile and Remote Access|https://www.cisco.com/c/en/us/support/docs/unified-communications/telepresence-video-communication-server-expressway/225476-understand-mobile-and-remote-access.html
doc 214618|Generate CSR and Apply Certificates to CMS|https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/214618-generate-csr-and-apply-certificates-to-c.html
doc 118855|Configure UCCX Solution Certificate Management|https://www.cisco.com/c/en/us/support/docs/customer-collaboration/unified-contact-center-express/118855-configure-uccx-00.html
the IM and Presence guide|Configuration and Administration of the IM and Presence Service|https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html
the Expressway guide|Cisco Expressway Certificate Creation and Use Deployment Guide|https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/expressway/config_guide/X15-4/cert-creation-use/exwy_b_cisco-expressway-certificate-creation-and-use-deployment-guide-x154/exwy_m_about-this-guide.html
T
echo "1..$n"
exit $fail
