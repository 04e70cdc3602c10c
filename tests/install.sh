#!/bin/sh
# tests/install.sh — `make install' (README "Install") into a staging
# directory (DESTDIR), and the installed uctls at work there.  TAP.
# env: top_builddir (the configured build tree), UCTLS.
#   1. make install DESTDIR=... succeeds;
#   2. the program, uctls(1) and uctls-scenario(5) are installed;
#   3. the docs (docs/*.md, failures.md among them, and the README) and the
#      DTD are installed;
#   4. every shipped scenario is an example, in its family's folder
#      ($(pkgdatadir)/examples/FAMILY/NAME.xml), byte for byte;
#   5. the bash and zsh completion are installed;
#   6. the installed uctls runs installed examples, one of each family
#      (exit 0: each matches its <expect>), and lists its profiles, read
#      from the installed $(pkgdatadir)/profiles;
#   7. make uninstall DESTDIR=... leaves no file behind.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
command -v make >/dev/null 2>&1 || { echo "1..0 # SKIP make not found"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
echo "1..7"

# A fresh make: not the jobserver of the `make check' that runs this test.
unset MAKEFLAGS MFLAGS MAKELEVEL
d=$tmp/root
if make -C "$top_builddir" install DESTDIR="$d" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	nok "make install DESTDIR=..." "$(tail -20 "$tmp/install.log")"
	exit 1
fi
# The installation directories, as this build's make expands them.
cat >"$tmp/dirs.mk" <<'EOF'
uctls-test-dirs:
	@echo "bindir='$(bindir)' mandir='$(mandir)' docdir='$(docdir)' pkgdatadir='$(pkgdatadir)'"
	@echo "bashdir='$(bashcompletiondir)' zshdir='$(zshcompletiondir)'"
EOF
eval "$(make -s -C "$top_builddir" -f Makefile -f "$tmp/dirs.mk" uctls-test-dirs)"
: "${bindir:?}" "${mandir:?}" "${docdir:?}" "${pkgdatadir:?}" "${bashdir:?}" "${zshdir:?}"

# have LABEL PATH...: ok when every PATH (under DESTDIR) is a file.
have() {
	label=$1 missing=
	shift
	for f; do [ -f "$d$f" ] || missing="$missing $f"; done
	[ -z "$missing" ] && ok "$label" || nok "$label" "missing:$missing" "$(cd "$d" && find . -type f | head -40)"
}
have "the program and the man pages" "$bindir/uctls" "$mandir/man1/uctls.1" "$mandir/man5/uctls-scenario.5"
docs=
for f in "$top_srcdir"/docs/*.md; do docs="$docs $docdir/$(basename "$f")"; done
have "docs/*.md (failures.md, steps.md, ...), README.md and the DTD" $docs "$docdir/README.md" \
	"$pkgdatadir/uctls-scenario.dtd"

# Every scenario of scenarios.am, in examples/FAMILY/, the same bytes.
bad=0 count=0
for f in $(sed -n 's|^[ 	]*\(scenarios/[^ ]*\.xml\).*|\1|p' "$top_srcdir/scenarios/scenarios.am"); do
	count=$((count + 1))
	cmp -s "$top_srcdir/$f" "$d$pkgdatadir/examples/${f#scenarios/}" || { bad=$((bad + 1)); echo "# not installed: $f"; }
done
inst=$(find "$d$pkgdatadir/examples" -type f | wc -l)
if [ "$count" -gt 0 ] && [ $bad -eq 0 ] && [ "$inst" -eq "$count" ]; then
	ok "the $count shipped scenarios are examples, one folder per family"
else
	nok "examples: $bad of $count missing or different, $inst installed"
fi
have "bash and zsh completion" "$bashdir/uctls" "$zshdir/_uctls"

# The installed program on installed examples, not the build tree's: the
# first of each family, and tls/issuer-not-found (a failure it expects).
ex=$d$pkgdatadir/examples
set -- "$ex/tls/issuer-not-found.xml"
for fam in "$ex"/*/; do set -- "$@" "$(ls "$fam"*.xml | head -n 1)"; done
# Its profiles: the installed ones (staged under DESTDIR, so named).
UCTLS_PROFILE_DIR=$d$pkgdatadir/profiles; export UCTLS_PROFILE_DIR
"$d$bindir/uctls" run --no-fixes "$@" >"$tmp/run.out" 2>&1
st=$?
"$d$bindir/uctls" profiles >"$tmp/profiles.out" 2>&1
pst=$?
if [ $st -eq 0 ] && [ $pst -eq 0 ] && grep -q '^expressway-e ' "$tmp/profiles.out" &&
   grep -q "from $d$pkgdatadir/profiles/20-traversal.xml:" "$tmp/profiles.out"; then
	ok "the installed uctls runs $# installed examples (exit 0) and lists its profiles"
else
	nok "the installed uctls: run exit $st, profiles exit $pst" "$(tail -20 "$tmp/run.out")"
fi

if make -C "$top_builddir" uninstall DESTDIR="$d" >"$tmp/uninstall.log" 2>&1 &&
	[ -z "$(find "$d" -type f)" ]; then
	ok "make uninstall leaves no file"
else
	nok "make uninstall" "$(find "$d" -type f | head -20)" "$(tail -5 "$tmp/uninstall.log")"
fi
exit $fail
