#!/bin/sh
# tests/readme-snippets.sh — the CI snippets of README.md ("Using uctls in
# CI"), each the fenced block after its <!-- snippet:NAME --> marker, used on
# a small project (scenarios/tls/server-chain.xml, a failure it expects, and
# server-chain-ok.xml) with the uctls under test first on PATH.  TAP.
# env: UCTLS, top_srcdir.
#   1. plain make: `make tls-test' passes and writes the JUnit report;
#   2. ... and fails when a scenario does not match its <expect>;
#   3. Automake: autoreconf -fi, ./configure, make check runs each scenario
#      as a TAP test through tap-driver.sh, 2 PASS;
#   4. ... and make check fails, naming the scenario that does not match;
#   5. GitLab: the YAML parses (python3 yaml), has the JUnit report, and its
#      uctls lines (each parallel job) exit 0 and write the report;
#   6. Jenkins: its sh '...' lines exit 0 and write the files its junit
#      step reads;
#   7. GitHub Actions: the YAML parses, its uctls run: lines (each matrix
#      entry) exit 0 and write the files uploaded.
set -u
: "${UCTLS:?}" "${top_srcdir:?}"
[ -x "$UCTLS" ] || { echo "Bail out! $UCTLS not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uctls-snippets.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
echo "1..7"
README=$top_srcdir/README.md

# snippet NAME: the lines of the fenced block after <!-- snippet:NAME -->.
snippet() {
	awk -v tag="<!-- snippet:$1 -->" '
		$0 == tag { found = 1; next }
		found && /^```/ { if (inblock) exit; inblock = 1; next }
		found && inblock { print }
	' "$README"
}
for s in make automake-configure automake-makefile gitlab jenkins github; do
	[ -n "$(snippet $s)" ] || { echo "Bail out! README.md has no <!-- snippet:$s --> block"; exit 1; }
done

mkdir -p "$tmp/bin" && ln -s "$UCTLS" "$tmp/bin/uctls"
PATH=$tmp/bin:$PATH
export PATH
unset MAKEFLAGS MFLAGS MAKELEVEL # not the jobserver of the make check running this
# project DIR: a fresh small project.
project() {
	rm -rf "$1" && mkdir -p "$1/scenarios/tls" || exit 1
	cp "$top_srcdir/scenarios/tls/issuer-not-found.xml" "$1/scenarios/tls/server-chain.xml"
	cp "$top_srcdir/scenarios/tls/issuer-not-found-ok.xml" "$1/scenarios/tls/server-chain-ok.xml"
}
# mismatch DIR: the project's -ok scenario now expects a failure it has not.
mismatch() {
	sed 's#<expect [^>]*/>#<expect fail-at="tls-handshake" side="client" reason="expired"/>#' \
		"$top_srcdir/scenarios/tls/issuer-not-found-ok.xml" >"$1/scenarios/tls/server-chain-ok.xml"
}
# cases FILE: the number of <testcase elements of a JUnit report.
cases() { grep -o '<testcase ' "$1" 2>/dev/null | wc -l; }

# 1-2. Plain make.
p=$tmp/make
project "$p"
snippet make >"$p/Makefile"
make -C "$p" tls-test >"$tmp/make.log" 2>&1
st=$?
if [ $st -eq 0 ] && [ "$(cases "$p/uctls-junit.xml")" -eq 2 ]; then
	ok "plain make: make tls-test passes, a JUnit report of 2 cases"
else
	nok "plain make: exit $st, $(cases "$p/uctls-junit.xml") cases" "$(tail -20 "$tmp/make.log")"
fi
mismatch "$p"
make -C "$p" tls-test >"$tmp/make.log" 2>&1
st=$?
[ $st -ne 0 ] && ok "plain make: a mismatch fails make tls-test (exit $st)" ||
	nok "plain make: a mismatch, yet make tls-test exit 0"

# 3-4. Automake.
if command -v autoreconf >/dev/null 2>&1 && command -v automake >/dev/null 2>&1; then
	p=$tmp/automake
	project "$p"
	snippet automake-configure >"$p/configure.ac"
	snippet automake-makefile >"$p/Makefile.am"
	if (cd "$p" && autoreconf -fi && ./configure && make check) >"$tmp/am.log" 2>&1 &&
		grep -q '^# PASS: *2$' "$tmp/am.log" && grep -q '^PASS: scenarios/tls/server-chain-ok.xml' "$tmp/am.log"; then
		ok "Automake: make check runs both scenarios through tap-driver.sh, 2 PASS"
	else
		nok "Automake: make check" "$(tail -30 "$tmp/am.log")"
	fi
	mismatch "$p"
	(cd "$p" && make check) >"$tmp/am2.log" 2>&1
	st=$?
	if [ $st -ne 0 ] && grep -q '^FAIL: scenarios/tls/server-chain-ok.xml' "$tmp/am2.log"; then
		ok "Automake: a mismatch fails make check, naming the scenario"
	else
		nok "Automake: a mismatch: make check exit $st" "$(grep -E '^(PASS|FAIL|ERROR)' "$tmp/am2.log")"
	fi
else
	skip "Automake: make check" "autoreconf or automake not found"
	skip "Automake: a mismatch" "autoreconf or automake not found"
fi

# YAML: python3 with yaml parses it and prints the uctls lines to run, one a
# line (with each parallel job's or matrix entry's values), then "FILES"
# and the report files the CI server reads.
yaml_ok=0
python3 -c 'import yaml' 2>/dev/null && yaml_ok=1
# run_lines FILE DIR: runs each uctls line of FILE in DIR; 0 when all exit 0.
run_lines() {
	st=0
	while IFS= read -r l; do
		[ "$l" = FILES ] && break
		(cd "$2" && sh -c "$l") >>"$tmp/lines.log" 2>&1 || { st=1; echo "# failed: $l"; }
	done <"$1"
	return $st
}
# files_exist FILE DIR: each file after FILES in FILE exists in DIR (a glob:
# some file matches).
files_exist() {
	sed '1,/^FILES$/d' "$1" >"$1.files"
	[ -s "$1.files" ] || return 1
	while IFS= read -r f; do
		[ -n "$(cd "$2" && eval "ls -d $f" 2>/dev/null)" ] || { echo "# not written: $f"; return 1; }
	done <"$1.files"
}

# 5. GitLab.
p=$tmp/gitlab
project "$p"
snippet gitlab >"$tmp/gitlab.yml"
if [ $yaml_ok -eq 1 ] && python3 - "$tmp/gitlab.yml" >"$tmp/gitlab.run" 2>"$tmp/gitlab.err" <<'EOF'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["uctls"]
jobs = int(job.get("parallel", 1))
for i in range(1, jobs + 1):
    for l in job["script"]:
        if l.startswith("uctls "):
            print(l.replace("$CI_NODE_INDEX", str(i)).replace("$CI_NODE_TOTAL", str(jobs)))
print("FILES")
print(job["artifacts"]["reports"]["junit"])
assert job["artifacts"]["when"] == "always"
EOF
then
	if run_lines "$tmp/gitlab.run" "$p" && files_exist "$tmp/gitlab.run" "$p"; then
		ok "GitLab: YAML parses; its uctls lines exit 0 and write the JUnit report"
	else
		nok "GitLab: the uctls lines" "$(cat "$tmp/gitlab.run")" "$(tail -5 "$tmp/lines.log")"
	fi
elif [ $yaml_ok -eq 0 ]; then
	skip "GitLab YAML" "python3 with yaml (python3-yaml) not found"
else
	nok "GitLab: the YAML" "$(tail -5 "$tmp/gitlab.err")"
fi

# 6. Jenkins: the sh '...' steps and the junit '...' pattern.
p=$tmp/jenkins
project "$p"
snippet jenkins >"$tmp/Jenkinsfile"
{
	sed -n "s/.*sh '\\(uctls [^']*\\)'.*/\\1/p" "$tmp/Jenkinsfile"
	echo FILES
	sed -n "s/.*junit '\\([^']*\\)'.*/\\1/p" "$tmp/Jenkinsfile"
} >"$tmp/jenkins.run"
open=$(tr -cd '{' <"$tmp/Jenkinsfile" | wc -c)
close=$(tr -cd '}' <"$tmp/Jenkinsfile" | wc -c)
if [ "$open" -eq "$close" ] && [ "$(grep -c '^uctls ' "$tmp/jenkins.run")" -ge 1 ] &&
	run_lines "$tmp/jenkins.run" "$p" && files_exist "$tmp/jenkins.run" "$p"; then
	ok "Jenkins: its sh lines exit 0 and write what its junit step reads"
else
	nok "Jenkins: braces $open/$close" "$(cat "$tmp/jenkins.run")" "$(tail -5 "$tmp/lines.log")"
fi

# 7. GitHub Actions.
p=$tmp/github
project "$p"
snippet github >"$tmp/github.yml"
if [ $yaml_ok -eq 1 ] && python3 - "$tmp/github.yml" >"$tmp/github.run" 2>"$tmp/github.err" <<'EOF'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["jobs"]["scenarios"]
paths = []
for shard in job["strategy"]["matrix"]["shard"]:
    sub = lambda s: s.replace("${{ matrix.shard }}", str(shard))
    for st in job["steps"]:
        if st.get("run", "").startswith("uctls "):
            print(sub(st["run"]))
        if "path" in st.get("with", {}):
            paths.append(sub(st["with"]["path"]))
print("FILES")
print("\n".join(paths))
EOF
then
	if run_lines "$tmp/github.run" "$p" && files_exist "$tmp/github.run" "$p"; then
		ok "GitHub Actions: YAML parses; its uctls lines exit 0 and write what it uploads"
	else
		nok "GitHub Actions: the uctls lines" "$(cat "$tmp/github.run")" "$(tail -5 "$tmp/lines.log")"
	fi
elif [ $yaml_ok -eq 0 ]; then
	skip "GitHub Actions YAML" "python3 with yaml (python3-yaml) not found"
else
	nok "GitHub Actions: the YAML" "$(tail -5 "$tmp/github.err")"
fi
exit $fail
