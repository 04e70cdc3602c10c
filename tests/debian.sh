#!/bin/sh
# tests/debian.sh — debian/ (README "Install": dpkg-buildpackage -us -uc -b;
# .ci/run builds the package and runs it) agrees with the build.  TAP.
# env: UCTLS, top_srcdir.
#   1. debian/changelog's version is the version of the uctls built here
#      (configure.ac's AC_INIT), so the package is not built stale;
#   2. debian/control's Build-Depends has the libraries configure requires
#      (GnuTLS, expat, pkg-config, debhelper 13) and not Check, which only
#      `make check' needs (the package build runs no tests);
#   3. debian/rules turns the tests off (override_dh_auto_test with no
#      command) and is executable.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
D=$top_srcdir/debian
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
echo "1..3"

built=$("$UCTLS" --version | sed -n '1s/^uctls \([^ ]*\).*/\1/p')
deb=$(sed -n '1s/^uctls (\([^)]*\)).*/\1/p' "$D/changelog")
[ -n "$built" ] && [ "$deb" = "$built" ] && ok "debian/changelog: $deb, the version built" ||
	nok "debian/changelog: '$deb', uctls --version: '$built'"

# The Build-Depends field, its continuation lines joined, one name a line.
bdeps=$(awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
	on && /^[ \t]/ { print; next } { on = 0 }' "$D/control" |
	tr ',' '\n' | sed 's/([^)]*)//; s/^[ \t]*//; s/[ \t]*$//' | sed '/^$/d')
missing=
for p in debhelper-compat pkg-config libgnutls28-dev libexpat1-dev; do
	echo "$bdeps" | grep -q -x "$p" || missing="$missing $p"
done
if [ -z "$missing" ] && ! echo "$bdeps" | grep -q -x check; then
	ok "debian/control: Build-Depends $(echo $bdeps), not check"
else
	nok "debian/control: Build-Depends: $(echo $bdeps)" "missing:$missing"
fi

# awk: 0 when the rule is there with no command line (a tab) under it.
if [ -x "$D/rules" ] && awk '/^override_dh_auto_test:/ { seen = 1; t = 1; next }
	t && /^\t/ { cmd = 1 } t && !/^\t/ { t = 0 } END { exit !seen || cmd }' "$D/rules"; then
	ok "debian/rules: executable, tests off (empty override_dh_auto_test)"
else
	nok "debian/rules: not executable, or dh_auto_test not overridden empty"
fi
exit $fail
