/* uctls — the command line.  Only argument handling and printing live here;
 * the work is in libuctls (src/). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>

#include "certinfo.h"
#include "devcheck.h"
#include "engine.h"
#include "fileio.h"
#include "fix.h"
#include "html.h"
#include "junit.h"
#include "ladder.h"
#include "family.h"
#include "peerconf.h"
#include "pki.h"
#include "profile.h"
#include "report.h"
#include "runq.h"
#include "scenario.h"

/* uctls probe (harness/probe-cli.c). */
extern const char uctls_probe_help[];
int uctls_cmd_probe(int argc, char **argv);

/* Report formats, in the order of their --output names (output_names). */
enum { FMT_TEXT, FMT_JSON, FMT_TAP, FMT_JUNIT };

/* What the text report shows of each scenario: nothing but a mismatch
 * (--quiet); one line each and the full report of a mismatch (a run of
 * several scenarios); the full report of each (-v, or one scenario);
 * TEXT_FILE: the same in an --output file, input errors included. */
enum { TEXT_QUIET, TEXT_LINES, TEXT_ALL, TEXT_FILE };

/* `uctls --help': the subcommands; `uctls SUBCOMMAND --help' gives each
 * one's options (below). */
static const char main_help[] =
	"usage: uctls run [OPTION]... SCENARIO|DIR...\n"
	"       uctls validate SCENARIO...\n"
	"       uctls check --profile P... [OPTION]... CERT-OR-BUNDLE.pem...\n"
	"       uctls pki export [--key-cache DIR] [--for PEER] SCENARIO OUTDIR\n"
	"       uctls probe --family F [--profile P]... [OPTION]... HOST[:PORT]\n"
	"       uctls profiles [--verbose | --dump] | steps\n"
	"       uctls SUBCOMMAND --help | uctls help SUBCOMMAND\n"
	"       uctls --help | --version\n"
	"\n"
	"Subcommands (uctls SUBCOMMAND --help: its synopsis and options):\n"
	"  run        run each scenario: both peers in this process over loopback TCP,\n"
	"             real TLS handshakes; report the step where it fails, on which side,\n"
	"             and why, and compare with the scenario's <expect>\n"
	"  validate   load each scenario and build its PKI, without any handshake\n"
	"  check      check real certificate files as a device profile would: the\n"
	"             install-time rules, then what a handshake would verify\n"
	"  pki export write the scenario's certificates, keys, each peer's chain and\n"
	"             trust list, and a manifest to OUTDIR (for a real device or server)\n"
	"  probe      connect to a live server as a device would: what it sends, what\n"
	"             each profile decides; --save writes a scenario replaying it\n"
	"  profiles   list the device profiles and their rules\n"
	"  steps      list the families, their steps, and the reason identifiers\n"
	"Any subcommand: --profiles FILE (repeatable) adds device profiles from FILE\n"
	"(uctls-scenario(5), PROFILE FILES); $UCTLS_PROFILE_DIR replaces the built-in ones.\n"
	"\n"
	"Exit status: 0 every scenario matched its <expect> (check: no problem);\n"
	"1 one or more did not; 2 usage or input error (FILE:LINE: message on stderr).\n"
	"See uctls(1) and uctls-scenario(5).\n";

/* The option every subcommand takes (harness/profiles-cli.c), in each help. */
#define PROFILES_OPT_HELP \
	"  --profiles FILE also read device profiles from FILE (repeatable;\n" \
	"                  uctls-scenario(5), PROFILE FILES)\n"

static const char run_help[] =
	"usage: uctls run [OPTION]... SCENARIO|DIR...\n"
	"Runs each scenario file, and each *.xml under each DIR (recursively, sorted),\n"
	"and compares the outcome with its <expect>.\n"
	"\n"
	"Reports:\n"
	"  --text          text (default): one scenario, its full report; several, one\n"
	"                  line each, the full report of each that did not match, and a\n"
	"                  summary (a progress counter on stderr when it is a terminal)\n"
	"  -v, --verbose   text: the full report of every scenario\n"
	"  -q, --quiet     text: only the scenarios that did not match, and the summary\n"
	"  --json          one JSON object per scenario, one per line (see uctls(1))\n"
	"  --tap           TAP version 13, one test per scenario; a YAML block under each\n"
	"                  test that is not ok (step, side, reason, other, hint)\n"
	"  --output FORMAT=FILE  also write the whole report in FORMAT (text, json, tap,\n"
	"                  junit) to FILE (repeatable); text there is every full report\n"
	"  --junit FILE    JUnit XML for GitLab or Jenkins (the same as --output junit=FILE)\n"
	"  --no-fixes      do not look for verified fixes (re-runs) of failing scenarios\n"
	"  --fix FILE      write the best verified fix of the one SCENARIO to FILE\n"
	"Parallel runs:\n"
	"  -j, --jobs N    run N scenarios at a time (default: the number of online\n"
	"                  CPUs); every report is the same, in the same order, as -j 1\n"
	"  --shard K/N     run only the K-th of N slices of the scenarios (1 <= K <= N):\n"
	"                  scenario i (from 0, in the order given) is in slice\n"
	"                  i mod N + 1: N CI jobs with K = 1..N run each once\n"
	"  --warn-days N   warn of a certificate on an accepted path that expires\n"
	"                  within N days (default: each side's profile, else 30)\n"
	"Network and keys:\n"
	"  --timeout MS    bound on every network wait (default 5000)\n"
	"  --keylog FILE   append NSS key log lines (Wireshark) to FILE\n"
	"  --pcap FILE     write every connection to FILE as pcapng, the TLS secrets\n"
	"                  inside (tshark -r FILE -Y sip decrypts it, no key log file);\n"
	"                  the text report lists each connection's ports\n"
	"  --ladder        draw each connection's messages, the failure marked (text, TAP)\n"
	"  --html FILE     the run as one self-contained page: a summary table, and per\n"
	"                  scenario each side's chain and each connection's ladder (SVG)\n"
	"  --key-cache DIR keep generated keys in DIR and reuse them across runs\n"
	"                  (default: $UCTLS_KEY_CACHE, else keys live in memory only)\n"
	"One side real (one scenario):\n"
	"  --remote P=HOST:PORT  peer P (the server-role peer) is real, at HOST:PORT;\n"
	"                  uctls plays the other side and dials it\n"
	"  --step-address STEP=HOST:PORT  with --remote: dial HOST:PORT for the\n"
	"                  connection that begins with STEP (e.g. ssh-tunnel=expe:2222,\n"
	"                  mra-edge=expe:8443)\n"
	"  --listen P=HOST:PORT  uctls plays peer P (the server-role peer), listening\n"
	"                  on HOST:PORT (port 0: any; the port is printed on stderr)\n"
	"                  for a real client to dial in\n"
	"  --accept-timeout MS  with --listen: how long to wait for the real client\n"
	"                  to connect (default 60000)\n"
	"  --pki DIR       use the certificates and keys `uctls pki export' wrote to\n"
	"                  DIR (ID.pem, ID.key), exactly as exported, not new ones\n"
	"  --save-peer-chain FILE  write the certificates the peer sent (the real\n"
	"                  one with --remote/--listen, else the server-role peer's,\n"
	"                  as received) to FILE as PEM\n"
	"Device profiles:\n"
	PROFILES_OPT_HELP
	"\n"
	"Exit status: 0 every scenario matched its <expect>; 1 one or more did not;\n"
	"2 usage or input error (FILE:LINE: message on stderr); whatever --output writes.\n";

static const char validate_help[] =
	"usage: uctls validate SCENARIO...\n"
	"Loads each scenario and builds its PKI, without any handshake; prints\n"
	"\"FILE: ok\" for each valid one.  Exit status 0 all valid, 2 an input error\n"
	"(FILE:LINE: message on stderr).\n"
	"\n"
	PROFILES_OPT_HELP;

static const char check_help[] =
	"usage: uctls check --profile P... [OPTION]... CERT-OR-BUNDLE.pem...\n"
	"Checks real certificate files as the device of each profile would: the\n"
	"install-time rules, then what a handshake would verify.  Several --profile\n"
	"and files: each against each, then a matrix.\n"
	"\n"
	"  --profile P     the device profile (uctls profiles); repeatable\n"
	"  --role server|client  the side the certificate is presented by (server)\n"
	"  --name NAME     a name the peer expects in it (repeatable)\n"
	"  --trust CA.pem  a trust anchor file (repeatable)\n"
	"  --key KEY.pem   the private key: checked against the certificate\n"
	"  --bundle FILE   the CA bundle uploaded beside the certificate (Meeting\n"
	"                  Server: issuers in order, root last, one newline at the end)\n"
	"  --at TIME       validity at YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (default: now)\n"
	"  --csr-san LIST  the SANs of the certificate request (comma-separated;\n"
	"                  repeatable): each must be in the certificate\n"
	"  --max-depth N   intermediate CAs allowed below the trust anchor\n"
	"  --warn-days N   warn of an expiry within N days\n"
	"  --crl FILE      a CRL (PEM or DER) the path is checked against (repeatable)\n"
	"  --ocsp-response FILE  a DER OCSP response for the certificate\n"
	"  --json          one JSON object per check (see uctls(1))\n"
	PROFILES_OPT_HELP
	"\n"
	"Exit status: 0 all good, 1 problems found, 2 usage or input error.\n";

static const char pki_help[] =
	"usage: uctls pki export [--key-cache DIR] [--for PEER] SCENARIO OUTDIR\n"
	"Writes the scenario's certificates and keys (ID.pem, ID.der, ID.key), each\n"
	"peer's chain and trust list (PEER-chain.pem, PEER-trust.pem) and MANIFEST.txt\n"
	"to OUTDIR, for a real device or server.\n"
	"\n"
	"  --key-cache DIR the key cache to take the keys from (default $UCTLS_KEY_CACHE)\n"
	"  --for PEER      also the configuration of a real PEER (prosody, kamailio,\n"
	"                  openssl, gnutls) playing a side of the scenario\n"
	PROFILES_OPT_HELP
	"\n"
	"Exit status: 0 written, 2 usage or input error.\n";

/* uctls profiles, --profiles FILE (harness/profiles-cli.c). */
extern const char uctls_profiles_help[];
#define profiles_help uctls_profiles_help
int uctls_profiles_args(int *argc, char **argv);
int uctls_cmd_profiles(int argc, char **argv);

static const char steps_help[] =
	"usage: uctls steps\n"
	"Lists the families, their steps, and the reason identifiers (docs/steps.md).\n";

/* 1 when ARGV (ARGC) asks for help: "--help" or "-h" before any "--". */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* One line after a usage error of uctls CMD (said on stderr before it):
 * where the help is.  Returns 2, the exit status of a usage error. */
static int
see_help(const char *cmd)
{
	fprintf(stderr, "see uctls %s%s--help\n", cmd != NULL ? cmd : "", cmd != NULL ? " " : "");
	return 2;
}

/* getopt_long's `?' or `:' (C, with opterr 0) for uctls CMD: which option
 * was wrong, in one line (the caller adds see_help).  Returns 2. */
static int
bad_option(const char *cmd, int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		fprintf(stderr, "uctls %s: %s takes a value\n", cmd, opt);
	else if (optopt != 0)
		fprintf(stderr, "uctls %s: unknown option `-%c'\n", cmd, optopt);
	else
		fprintf(stderr, "uctls %s: unknown option `%s'\n", cmd, opt);
	return 2;
}

static int
cmd_steps(void)
{
	const struct uctls_family *f;
	unsigned i, k;

	for (i = 0; (f = uctls_family_at(i)) != NULL; i++) {
		printf("family %s: %s\n  steps:", f->name, f->describe);
		for (k = 0; f->steps[k] != NULL; k++)
			printf(" %s", f->steps[k]);
		printf("\n");
	}
	printf("any family: a leading `install' step per <install> element (what a device "
	       "checks on upload)\n");
	printf("reasons:\n");
	for (i = 0; uctls_reasons[i] != NULL; i++)
		printf("  %s\n", uctls_reasons[i]);
	for (i = 0; uctls_reason_prefixes[i] != NULL; i++)
		printf("  %s<name>\n", uctls_reason_prefixes[i]);
	return 0;
}

/* A key pool, persistent in DIR when one is given (--key-cache or
 * UCTLS_KEY_CACHE).  NULL after printing why. */
static struct uctls_keypool *
new_pool(const char *dir)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_err err;

	uctls_err_clear(&err);
	if (pool == NULL) {
		fprintf(stderr, "uctls: out of memory\n");
		return NULL;
	}
	if (dir != NULL && *dir != '\0' && uctls_keypool_set_dir(pool, dir, &err) < 0) {
		fprintf(stderr, "uctls: %s\n", err.msg);
		uctls_keypool_free(pool);
		return NULL;
	}
	return pool;
}

static int
cmd_validate(int argc, char **argv)
{
	struct uctls_keypool *pool;
	int i, rv = 0;

	if (wants_help(argc, argv)) {
		fputs(validate_help, stdout);
		return 0;
	}
	if (argc < 1) {
		fprintf(stderr, "uctls validate: no scenario given\n");
		return see_help("validate");
	}
	pool = new_pool(getenv("UCTLS_KEY_CACHE"));
	if (pool == NULL)
		return 2;
	for (i = 0; i < argc; i++) {
		struct uctls_scenario *sc = NULL;
		struct uctls_pki *pki = NULL;
		struct uctls_err err;

		uctls_err_clear(&err);
		if (uctls_scenario_load(argv[i], &sc, &err) < 0 ||
		    uctls_pki_build(sc, pool, &pki, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			rv = 2;
		} else {
			printf("%s: ok\n", argv[i]);
		}
		uctls_pki_free(pki);
		uctls_scenario_free(sc);
	}
	uctls_keypool_free(pool);
	return rv;
}

/* --listen: say where we listen, so that the real peer (or a script) can
 * dial in; with port 0 this is the only way to learn the port. */
static void
announce(void *arg, const char *id, const char *host, unsigned port)
{
	const struct uctls_run_opts *o = arg;
	int ms = o->accept_timeout_ms > 0 ? o->accept_timeout_ms : UCTLS_ACCEPT_TIMEOUT_MS;

	/* Scripts read the port from the end of the first line. */
	fprintf(stderr, "uctls: playing %s, listening on %s:%u\n", id, host, port);
	fprintf(stderr, "uctls: waiting up to %d %s for the real client to connect to port %u "
	                "(--accept-timeout)\n", ms % 1000 ? ms : ms / 1000, ms % 1000 ? "ms" : "s",
	        port);
	fflush(stderr);
}

/* --save-peer-chain: what the real peer sent (or, with none, what the
 * server-role peer sent, as the client received it) to PATH as PEM.
 * Returns 0 (also when nothing arrived: said on stderr), -1 after saying
 * why it could not be written. */
static int
save_peer_chain(const struct uctls_log *log, const char *path)
{
	const struct uctls_side_info *t = NULL, *si;
	const struct uctls_der *der = NULL;
	struct uctls_err err;
	size_t i, n = 0, len;
	char *pem = NULL;
	int rv;

	for (i = 0; i < log->nsides && t == NULL; i++)
		if (log->sides[i].remote)
			t = &log->sides[i];
	if (t != NULL) {
		der = t->sent_der;
		n = t->nsent;
	}
	for (i = 0; i < log->nsides && t == NULL; i++)
		if (log->sides[i].role != NULL && strcmp(log->sides[i].role, "server") == 0)
			t = &log->sides[i];
	for (i = 0; i < log->nsides && der == NULL && t != NULL; i++) {
		si = &log->sides[i];
		if (si != t && !si->remote && si->npeer > 0) {
			der = si->peer_der;
			n = si->npeer;
		}
	}
	if (der == NULL || n == 0) {
		fprintf(stderr, "uctls run: --save-peer-chain %s: no certificate arrived from %s; "
		                "nothing written\n", path, t != NULL && t->id != NULL ? t->id : "the peer");
		return 0;
	}
	uctls_err_clear(&err);
	rv = uctls_certinfo_pem(der, n, &pem, &len, &err) < 0 ||
	     uctls_file_write(path, pem, len, 0644, &err) < 0 ? -1 : 0;
	if (rv < 0)
		fprintf(stderr, "uctls run: --save-peer-chain %s: %s\n", path, err.msg);
	free(pem);
	return rv;
}

/* "YYYY-MM-DDTHH:MM:SSZ", or "YYYY-MM-DD" (midnight UTC) -> time_t; -1 when
 * malformed or not a real date and time (2026-02-30, 24:00:00: timegm would
 * roll them over). */
static time_t
parse_time(const char *s)
{
	struct tm tm, norm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (end == NULL || *end != '\0')
			return (time_t)-1;
	}
	norm = tm;
	t = timegm(&norm);
	if (t == (time_t)-1 || norm.tm_year != tm.tm_year || norm.tm_mon != tm.tm_mon ||
	    norm.tm_mday != tm.tm_mday || norm.tm_hour != tm.tm_hour || norm.tm_min != tm.tm_min ||
	    norm.tm_sec != tm.tm_sec)
		return (time_t)-1;
	return t;
}

/* A growing NULL-terminated list of borrowed strings (argv's). */
struct strv {
	const char **v;
	size_t n, cap;
};

static int
strv_push(struct strv *l, const char *s)
{
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		const char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "uctls: out of memory\n");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

/* A whole number 1..MAX (--max-depth, --warn-days), else 0. */
static unsigned
parse_count_arg(const char *s, unsigned long max)
{
	unsigned long v = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return 0;
	}
	return (unsigned)v;
}

/* --csr-san LIST: its comma-separated SANs added to CSR (LIST is modified).
 * -1 after saying why when an item is empty. */
static int
add_csr_sans(struct strv *csr, char *list)
{
	char *p = list, *comma;

	if (strspn(list, ",") == strlen(list)) {
		fprintf(stderr, "uctls check: --csr-san `%s' holds no SAN; give the CSR's SANs "
		                "separated by commas (e.g. DNS:a.example.com,DNS:b.example.com), "
		                "or leave --csr-san out\n", list);
		return -1;
	}
	if (list[0] == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,") != NULL) {
		fprintf(stderr, "uctls check: --csr-san `%s': an empty item; give the CSR's SANs "
		                "separated by single commas\n", list);
		return -1;
	}
	for (; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (strv_push(csr, p) < 0)
			return -1;
	}
	return 0;
}

/* What `uctls check' was given. */
struct check_args {
	struct uctls_check_opts o;
	struct strv profiles, names, trust, csr, crl;
	const char *once[128]; /* the argument of each single-valued option seen */
	int json;
};

/* --profile P: several distinct profiles (a matrix); the same one twice is
 * a usage error.  -1 after saying why. */
static int
add_profile(struct check_args *a, const char *arg)
{
	size_t i;

	for (i = 0; i < a->profiles.n; i++)
		if (strcmp(a->profiles.v[i], arg) == 0) {
			fprintf(stderr, "uctls check: --profile given twice (`%s')\n", arg);
			return -1;
		}
	return strv_push(&a->profiles, arg);
}

/* Option C (named NAME) takes one value: a second is a usage error, never a
 * silent override.  -1 after saying why. */
static int
check_once(struct check_args *a, int c, const char *name, const char *arg)
{
	const char **seen = &a->once[(unsigned char)c & 127];

	if (*seen != NULL) {
		fprintf(stderr, "uctls check: --%s given twice (`%s', `%s')\n", name, *seen, arg);
		return -1;
	}
	*seen = arg;
	return 0;
}

/* One option C of `uctls check' (its argument ARG).  -1 after saying why. */
static int
check_opt(struct check_args *a, int c, char *arg)
{
	static const struct {
		int c;
		const char *name;
	} single[] = { { 'r', "role" }, { 'k', "key" }, { 'a', "at" }, { 'm', "max-depth" },
	               { 'w', "warn-days" }, { 'O', "ocsp-response" }, { 'B', "bundle" } };
	size_t i;

	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (single[i].c == c && check_once(a, c, single[i].name, arg) < 0)
			return -1;
	switch (c) {
	case 'p':
		return add_profile(a, arg);
	case 'w':
		a->o.warn_days = parse_count_arg(arg, 36500);
		if (a->o.warn_days != 0)
			return 0;
		fprintf(stderr, "uctls check: --warn-days takes a whole number of days from 1 to "
		                "36500, not `%s'\n", arg);
		return -1;
	case 'r':
		if (strcmp(arg, "server") != 0 && strcmp(arg, "client") != 0) {
			fprintf(stderr, "uctls check: --role server or client, not `%s'\n", arg);
			return -1;
		}
		a->o.role_server = strcmp(arg, "server") == 0;
		return 0;
	case 'n':
		return strv_push(&a->names, arg);
	case 'L': /* --crl (revoke.h) */
		return strv_push(&a->crl, arg);
	case 'O': /* --ocsp-response */
		a->o.ocsp_file = arg;
		return 0;
	case 'B': /* --bundle (cms-bundle.h) */
		a->o.bundle_file = arg;
		return 0;
	case 't':
		return strv_push(&a->trust, arg);
	case 'k':
		a->o.key_file = arg;
		return 0;
	case 'a':
		a->o.at = parse_time(arg);
		if (a->o.at != (time_t)-1)
			return 0;
		fprintf(stderr, "uctls check: --at takes a real date and time, YYYY-MM-DDTHH:MM:SSZ "
		                "or YYYY-MM-DD (midnight UTC), not `%s'\n", arg);
		return -1;
	case 'c':
		return add_csr_sans(&a->csr, arg);
	case 'm':
		a->o.max_depth = parse_count_arg(arg, UCTLS_MAX_DEPTH_LIMIT);
		if (a->o.max_depth != 0)
			return 0;
		fprintf(stderr, "uctls check: --max-depth takes a whole number from 1 to %d (the "
		                "intermediate CA certificates allowed between the certificate and "
		                "its trust anchor), not `%s'\n", UCTLS_MAX_DEPTH_LIMIT, arg);
		return -1;
	case 'j':
		a->json = 1;
		return 0;
	default:
		return -1;
	}
}

/* One cell of the matrix: a profile and a file, and what came of them. */
struct check_cell {
	const char *profile, *file;
	int status;       /* the exit status of the cell: 0, 1, 2 */
	char reason[128]; /* "STEP REASON" of the cause, or "-" */
};

/* Checks the files of O into CELL; its exit status. */
static int
check_run(const struct uctls_check_opts *o, int json, struct check_cell *cell)
{
	const struct uctls_step *fl;
	struct uctls_log *log = NULL;
	struct uctls_outcome oc;
	struct uctls_err err;

	cell->profile = o->profile;
	cell->file = o->cert_file;
	uctls_err_clear(&err);
	if (uctls_check_files(o, &log, &err) < 0) {
		fprintf(stderr, "uctls check: %s\n", err.msg);
		if (json)
			uctls_report_error_json(stdout, o->cert_file, err.msg);
		snprintf(cell->reason, sizeof(cell->reason), "input error (see above)");
		return cell->status = 2;
	}
	uctls_outcome_eval(NULL, log, &oc);
	if (json)
		uctls_report_json(stdout, log, NULL, &oc);
	else
		uctls_report_text(stdout, log, NULL, &oc);
	fl = uctls_log_failure(log);
	snprintf(cell->reason, sizeof(cell->reason), "%s%s%s", fl != NULL ? fl->step : "-",
	         fl != NULL ? " " : "", fl != NULL && fl->reason != NULL ? fl->reason : "");
	uctls_log_free(log);
	return cell->status = oc.matched ? 0 : 1;
}

/* The matrix of several profiles or files: one line per (profile, file). */
static void
check_matrix(const struct check_cell *cells, size_t n)
{
	static const char *const verdict[] = { "pass", "fail", "error" };
	size_t i, pw = strlen("profile"), fw = strlen("file"), w;

	for (i = 0; i < n; i++) {
		if ((w = strlen(cells[i].profile)) > pw)
			pw = w;
		if ((w = strlen(cells[i].file)) > fw)
			fw = w;
	}
	printf("matrix (profile x file):\n  %-*s  %-*s  %-7s  reason\n", (int)pw, "profile",
	       (int)fw, "file", "verdict");
	for (i = 0; i < n; i++)
		printf("  %-*s  %-*s  %-7s  %s\n", (int)pw, cells[i].profile, (int)fw, cells[i].file,
		       verdict[cells[i].status], cells[i].reason);
}

/* Every profile of A against every file FILES[0..NFILES-1]; the exit status:
 * 2 when any cell was an input error, else 1 when any failed, else 0. */
static int
check_all(struct check_args *a, char **files, size_t nfiles)
{
	size_t np = a->profiles.n, n = np * nfiles, i;
	struct check_cell *cells = calloc(n, sizeof(*cells));
	int rv = 0, st;

	if (cells == NULL) {
		fprintf(stderr, "uctls: out of memory\n");
		return 2;
	}
	a->o.profiles = (const char *const *)a->profiles.v;
	a->o.nprofiles = np;
	for (i = 0; i < n; i++) {
		a->o.profile = a->profiles.v[i / nfiles];
		a->o.cert_file = files[i % nfiles];
		st = check_run(&a->o, a->json, &cells[i]);
		fflush(stdout);
		if (st > rv)
			rv = st;
	}
	if (n > 1 && !a->json)
		check_matrix(cells, n);
	free(cells);
	return rv;
}

/* uctls check --profile P... [--role server|client] [--name N]... [--trust F]...
 *             [--key F] [--at TIME] [--csr-san LIST]... [--max-depth N]
 *             [--warn-days N] [--bundle F] [--json] FILE... */
static int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' }, { "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },    { "trust", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },     { "at", required_argument, NULL, 'a' },
		{ "csr-san", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
		{ "max-depth", required_argument, NULL, 'm' },
		{ "warn-days", required_argument, NULL, 'w' },
		{ "crl", required_argument, NULL, 'L' },
		{ "ocsp-response", required_argument, NULL, 'O' },
		{ "bundle", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 }
	};
	struct check_args a;
	int c, rv = 2;

	memset(&a, 0, sizeof(a));
	a.o.role_server = 1;
	a.o.at = time(NULL);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_help, stdout);
			rv = 0;
			goto out;
		}
		if (c == '?' || c == ':') {
			bad_option("check", c, argv);
			see_help("check");
			goto out;
		}
		if (check_opt(&a, c, optarg) < 0) {
			see_help("check");
			goto out;
		}
	}
	if (a.profiles.n == 0 || optind >= argc) {
		fprintf(stderr, "uctls check: needs --profile P and a certificate file\n");
		see_help("check");
		goto out;
	}
	a.o.names = a.names.v;
	a.o.nnames = a.names.n;
	a.o.trust_files = a.trust.v;
	a.o.ntrust = a.trust.n;
	a.o.csr_sans = a.csr.v; /* NULL: no --csr-san */
	a.o.crl_files = a.crl.v;
	a.o.ncrl = a.crl.n;
	rv = check_all(&a, argv + optind, (size_t)(argc - optind));
out:
	free(a.profiles.v);
	free(a.names.v);
	free(a.trust.v);
	free(a.crl.v);
	free(a.csr.v);
	return rv;
}

/* uctls pki export [--key-cache DIR] [--for PEER] SCENARIO OUTDIR */
static int
cmd_pki(int argc, char **argv)
{
	struct uctls_keypool *pool;
	struct uctls_scenario *sc = NULL;
	struct uctls_pki *pki = NULL;
	uctls_peerconf_fn peer = NULL;
	const char *cache = getenv("UCTLS_KEY_CACHE"), *for_peer = NULL;
	struct uctls_err err;
	int rv = 2, i = 1;

	uctls_err_clear(&err);
	if (wants_help(argc, argv)) {
		fputs(pki_help, stdout);
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "export") != 0) {
		fprintf(stderr, "uctls pki: %s%s%s\n", argc < 1 ? "no action given (export)" :
		        "unknown action `", argc < 1 ? "" : argv[0], argc < 1 ? "" : "' (export)");
		return see_help("pki");
	}
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		const char **slot = strcmp(argv[i], "--key-cache") == 0 ? &cache
		                    : strcmp(argv[i], "--for") == 0     ? &for_peer
		                                                        : NULL;
		if (slot == NULL || (*slot != NULL && slot == &for_peer)) {
			fprintf(stderr, "uctls pki export: %s: %s\n", argv[i],
			        slot == NULL ? "unknown option" : "given twice");
			return see_help("pki");
		}
		*slot = argv[i + 1];
	}
	if (argc - i != 2) {
		fprintf(stderr, "uctls pki export: takes SCENARIO OUTDIR (%d argument%s given)\n",
		        argc - i, argc - i == 1 ? "" : "s");
		return see_help("pki");
	}
	if (for_peer != NULL && (peer = uctls_peerconf_find(for_peer, &err)) == NULL) {
		fprintf(stderr, "uctls pki export: %s\n", err.msg);
		return 2;
	}
	pool = new_pool(cache);
	if (pool == NULL)
		return 2;
	if (uctls_scenario_load(argv[i], &sc, &err) < 0 || uctls_pki_build(sc, pool, &pki, &err) < 0 ||
	    uctls_pki_export(pki, sc, argv[i + 1], &err) < 0 ||
	    (peer != NULL && peer(sc, pki, argv[i + 1], &err) < 0))
		fprintf(stderr, "%s\n", err.msg);
	else
		rv = 0;
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
	return rv;
}

/* NODE written to PATH as a scenario file, safely (uctls_file_write: a
 * symbolic link, a FIFO or any other non-regular file there is refused). */
static int
out_write(const char *path, const struct uctls_xml_node *node, struct uctls_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int rv = -1;

	m = open_memstream(&buf, &len);
	if (m == NULL)
		return uctls_err_set(err, "out of memory");
	if (uctls_xml_write(m, node) < 0 || fclose(m) != 0) {
		uctls_err_set(err, "%s: writing: out of memory", path);
		goto out;
	}
	rv = uctls_file_write(path, buf, len, 0644, err);
out:
	free(buf);
	return rv;
}

/* Verified fixes for a failing run (fix.h); with FIX_OUT, the best fixed
 * scenario written there. */
static int
find_fixes(const struct uctls_scenario *sc, const struct uctls_xml_node *root,
           struct uctls_log *log, struct uctls_keypool *pool,
           const struct uctls_run_opts *opts, const char *fix_out, struct uctls_err *err)
{
	struct uctls_xml_node *best = NULL;
	int rv;

	if (uctls_fix_find(sc, root, log, pool, opts, fix_out != NULL ? &best : NULL, err) < 0)
		return -1;
	if (fix_out == NULL)
		return 0;
	if (best == NULL)
		return uctls_err_set(err, "%s: --fix: no fix makes every step pass, nothing written",
		                     sc->file);
	rv = out_write(fix_out, best, err);
	uctls_xml_free(best);
	return rv;
}

/* --output FORMAT=FILE (and --junit FILE): a report of the whole run, kept
 * in memory and written to FILE when the run ends (uctls_file_write: a
 * temporary name renamed over FILE, never through a symbolic link). */
struct output {
	int fmt;          /* FMT_* */
	const char *path; /* argv's */
	char *buf;        /* the report so far (junit: in run_args.junit) */
	size_t len;
	FILE *f;          /* open_memstream on buf, NULL for junit */
};

#define MAX_OUTPUTS 8

/* The options of `uctls run'. */
struct run_args {
	struct uctls_run_opts opts;
	int fmt, quiet, verbose, fixes;
	int text_mode;   /* the terminal's text report: TEXT_* */
	int fixes_shown; /* some report shows the fixes of every failing scenario */
	int progress;    /* a counter on stderr, a terminal (cleared before output) */
	const char *key_cache, *fix_out, *chain_out;
	struct uctls_junit *junit; /* --junit, --output junit=: the cases so far */
	struct output outs[MAX_OUTPUTS];
	size_t nouts;
	const char *step_addrs[9];
	size_t nstep_addrs;
	unsigned jobs;             /* -j: scenarios run at a time */
	unsigned shard_k, shard_n; /* --shard K/N; shard_n 0: every scenario */
	const char *pcap_out;      /* --pcap FILE */
	struct uctls_pcap *pcap;   /* --pcap: the file, one slot per scenario */
	int ladder;                /* --ladder */
	const char *html_out;      /* --html FILE */
	struct uctls_html *html;   /* --html: the page, one slot per scenario */
};

/* Erases the progress counter (run_counted) from the terminal. */
#define PROGRESS_CLEAR "\r\033[K"

/* The progress counter on stderr, a terminal: "[K/N] FILE", the end of a
 * long FILE (its name tells the scenarios apart), on one short line. */
static void
progress_show(size_t k, size_t n, const char *file)
{
	size_t len = strlen(file);

	fprintf(stderr, "[%zu/%zu] %s%s", k, n, len > 60 ? "..." : "", file + (len > 60 ? len - 57 : 0));
	fflush(stderr);
}

/* Scenario NUM's report in format FMT on F (text: in MODE): LOG with its
 * <expect> EX and outcome OC, or, LOG NULL, the input error MSG of FILE.
 * F NULL or a JUnit output: nothing (the JUnit report is built apart). */
static void
report_one(FILE *f, int fmt, int mode, int num, const char *file, const struct uctls_log *log,
           const struct uctls_expect *ex, const struct uctls_outcome *oc, const char *msg)
{
	if (f == NULL || fmt == FMT_JUNIT)
		return;
	if (fmt == FMT_JSON) {
		if (log != NULL)
			uctls_report_json(f, log, ex, oc);
		else
			uctls_report_error_json(f, file, msg);
	} else if (fmt == FMT_TAP) {
		if (log != NULL)
			uctls_report_tap13(f, num, log, ex, oc);
		else
			uctls_report_error_tap13(f, num, file, msg);
	} else if (log == NULL) {
		/* On the terminal the message is on stderr already. */
		if (mode == TEXT_LINES || mode == TEXT_FILE)
			uctls_report_error_line(f, file, mode == TEXT_FILE ? msg : NULL);
	} else {
		if (mode == TEXT_LINES)
			uctls_report_line(f, log, oc);
		if (mode == TEXT_ALL || mode == TEXT_FILE || !oc->matched)
			uctls_report_text(f, log, ex, oc);
	}
}

/* Scenario NUM's reports: OUTS[0] the terminal's (stdout, or a buffer the
 * caller prints in order), OUTS[1 + k] that of A's --output k.  Every
 * report of a scenario goes through here. */
static void
report_all(const struct run_args *a, FILE *const *outs, int num, const char *file,
           const struct uctls_log *log, const struct uctls_expect *ex,
           const struct uctls_outcome *oc, const char *msg)
{
	size_t k;

	report_one(outs[0], a->fmt, a->text_mode, num, file, log, ex, oc, msg);
	for (k = 0; k < a->nouts; k++)
		report_one(outs[1 + k], a->outs[k].fmt, TEXT_FILE, num, file, log, ex, oc, msg);
	fflush(outs[0]);
}

/* One scenario run, from run_work (on a worker thread with -j) to run_one
 * (on the main thread, in input order). */
struct run_res {
	struct uctls_xml_node *root;
	struct uctls_scenario *sc;
	struct uctls_log *log;
	struct uctls_outcome oc;
	struct uctls_err err;
	int failed;
	struct uctls_cap *cap; /* --pcap, --ladder: this run's capture, owned */
};

/* One run of several scenarios (uctls_runq_run's ARG): run_work reads A,
 * POOL and FILES; run_done, on the main thread, the rest. */
struct run_ctx {
	const struct run_args *a;
	struct uctls_keypool *pool;
	char **files;
	size_t n;
	FILE **outs;
	int nmatch, nmis, nerr;
};

/* The options of one scenario's run: A's, with a new capture in R when
 * --pcap or --ladder asked for one (O holds the copy: a capture per run). */
static const struct uctls_run_opts *
cap_opts(const struct run_args *a, struct run_res *r, struct uctls_run_opts *o)
{
	if (a->pcap == NULL && !a->ladder && a->html == NULL)
		return &a->opts;
	*o = a->opts;
	o->cap = r->cap = uctls_cap_new(); /* NULL: reported by report_cap */
	return o;
}

/* Runs scenario I of the run (uctls_runq_work_fn): everything but the
 * reports, which print nothing here.  A new run_res (NULL: out of memory). */
static void *
run_work(void *arg, size_t i)
{
	const struct run_ctx *x = arg;
	const struct run_args *a = x->a;
	const struct uctls_run_opts *opts = &a->opts;
	const char *file = x->files[i], *fix_out = i == 0 ? a->fix_out : NULL;
	struct run_res *r = calloc(1, sizeof(*r));
	struct uctls_run_opts capo;

	if (r == NULL)
		return NULL;
	uctls_err_clear(&r->err);
	r->failed = uctls_xml_load_file(file, &r->root, &r->err) < 0 ||
	            uctls_scenario_load_dom(file, r->root, &r->sc, &r->err) < 0 ||
	            uctls_engine_run(r->sc, x->pool, cap_opts(a, r, &capo), &r->log, &r->err) < 0;
	if (!r->failed) {
		uctls_outcome_eval(&r->sc->expect, r->log, &r->oc);
		/* Fixes cost re-runs: looked for where a report shows them (a
		 * full text report, JSON) or the outcome is not what was
		 * expected; a one-line, quiet or TAP run of a suite that matches
		 * skips them (bench/FIGURES.md). */
		r->failed = a->fixes && uctls_log_failure(r->log) != NULL &&
		            (fix_out != NULL || !r->oc.matched || a->fixes_shown) &&
		            find_fixes(r->sc, r->root, r->log, x->pool, opts, fix_out, &r->err) < 0;
	}
	return r;
}

/* --ladder, --pcap: the diagram and the connections' ports of CAP on F, a
 * report of format FMT (text, or TAP comments; nothing in the others). */
static void
cap_print(const struct run_args *a, FILE *f, int fmt, const struct uctls_cap *cap)
{
	if (fmt != FMT_TAP && fmt != FMT_TEXT)
		return;
	if (a->ladder)
		uctls_ladder_print(f, cap, fmt == FMT_TAP ? "# " : "");
	if (a->pcap != NULL)
		uctls_cap_print_conns(f, cap, fmt == FMT_TAP ? "# " : "  ");
}

/* --ladder, --pcap: scenario NUM's diagram on OUTS (report_all: on standard
 * output where its report shows, not for a --quiet match; in each --output
 * text or tap file), its connections' ports, and its capture into the
 * file's slot.  0, or -1 after saying why. */
static int
report_cap(const struct run_args *a, FILE *const *outs, int num, const struct uctls_scenario *sc,
           const struct uctls_cap *cap, int matched)
{
	size_t k;

	if (cap == NULL || uctls_cap_status(cap) < 0) {
		fprintf(stderr, "uctls: %s: --pcap, --ladder: out of memory\n", sc->file);
		return -1;
	}
	if (a->fmt == FMT_TAP || (a->fmt == FMT_TEXT && (a->text_mode != TEXT_QUIET || !matched)))
		cap_print(a, outs[0], a->fmt, cap);
	for (k = 0; k < a->nouts; k++)
		cap_print(a, outs[1 + k], a->outs[k].fmt, cap);
	if (a->pcap == NULL)
		return 0;
	if (uctls_pcap_set(a->pcap, (size_t)num - 1, sc->name, cap) < 0) {
		fprintf(stderr, "uctls: %s: --pcap: out of memory\n", sc->file);
		return -1;
	}
	return 0;
}

/* Reports FILE (the NUM-th), run by run_work into R (freed here), on OUTS
 * (report_all).  Returns 0 matched, 1 did not, 2 input error. */
static int
run_one(const char *file, int num, const struct run_args *a, struct run_res *r,
        FILE *const *outs)
{
	const char *chain_out = a->chain_out;
	struct uctls_xml_node *root = r->root;
	struct uctls_scenario *sc = r->sc;
	struct uctls_log *log = r->log;
	struct uctls_outcome oc = r->oc;
	struct uctls_err err = r->err;
	struct uctls_cap *cap = r->cap;
	int failed = r->failed, rv = 2;

	free(r);
	if (failed) {
		if (a->progress)
			fputs(PROGRESS_CLEAR, stderr);
		fprintf(stderr, "%s\n", err.msg);
		report_all(a, outs, num, file, NULL, NULL, NULL, err.msg);
		if (a->junit != NULL && uctls_junit_add_error(a->junit, file, err.msg) < 0)
			fprintf(stderr, "uctls: --junit: out of memory\n");
		if (a->html != NULL && uctls_html_set_error(a->html, (size_t)num - 1, file, err.msg) < 0)
			fprintf(stderr, "uctls: --html: out of memory\n");
		goto out;
	}
	rv = oc.matched ? 0 : 1;
	if (a->junit != NULL && uctls_junit_add(a->junit, log, &oc) < 0) {
		fprintf(stderr, "uctls: --junit: out of memory\n");
		rv = 2;
	}
	report_all(a, outs, num, file, log, &sc->expect, &oc, NULL);
	if ((a->pcap != NULL || a->ladder) && report_cap(a, outs, num, sc, cap, oc.matched) < 0)
		rv = 2;
	if (a->html != NULL && uctls_html_set(a->html, (size_t)num - 1, sc, log, &oc, cap) < 0) {
		fprintf(stderr, "uctls: --html: out of memory\n");
		rv = 2;
	}
	if (chain_out != NULL && save_peer_chain(log, chain_out) < 0)
		rv = 2;
out:
	uctls_cap_free(cap);
	uctls_log_free(log);
	uctls_scenario_free(sc);
	uctls_xml_free(root);
	return rv;
}


/* --remote / --listen PEER=HOST:PORT (ARG is modified): *ID and *ADDR point
 * into it.  -1 after saying why. */
static int
peer_addr_arg(const char *opt, char *arg, const char **id, const char **addr)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(stderr, "uctls run: --%s takes PEER=HOST:PORT, not `%s'\n", opt, arg);
		return -1;
	}
	*eq = '\0';
	*id = arg;
	*addr = eq + 1;
	return 0;
}

/* --timeout / --accept-timeout MS into *OUT; -1 after saying why. */
static int
ms_arg(const char *opt, const char *arg, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v <= 0 || v > 3600000) {
		fprintf(stderr, "uctls run: --%s takes milliseconds from 1 to 3600000, not `%s'\n",
		        opt, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* --step-address STEP=HOST:PORT, kept in A; -1 after saying why. */
static int
step_addr_arg(struct run_args *a, const char *arg)
{
	size_t max = sizeof(a->step_addrs) / sizeof(a->step_addrs[0]) - 1;

	if (a->nstep_addrs >= max || strchr(arg, '=') == NULL) {
		fprintf(stderr, "uctls run: --step-address takes STEP=HOST:PORT (at most %zu), not "
		                "`%s'\n", max, arg);
		return -1;
	}
	a->step_addrs[a->nstep_addrs++] = arg;
	a->opts.step_addrs = a->step_addrs;
	return 0;
}

/* The FORMAT names of --output, in FMT_* order. */
static const char *const output_names[] = { "text", "json", "tap", "junit" };

/* --output FORMAT=FILE, or (FMT FMT_JUNIT) --junit FILE, kept in A.  The
 * FILE is checked now, not after the run: one that exists and is not a
 * regular file (a symbolic link, a directory...) is refused.  -1 after
 * saying why. */
static int
output_arg(struct run_args *a, int fmt, const char *arg)
{
	const char *eq = strchr(arg, '='), *path = arg;
	struct stat st;
	size_t k;

	for (k = 0; fmt < 0 && eq != NULL && k < sizeof(output_names) / sizeof(output_names[0]); k++)
		if (strlen(output_names[k]) == (size_t)(eq - arg) &&
		    strncmp(arg, output_names[k], (size_t)(eq - arg)) == 0) {
			fmt = (int)k;
			path = eq + 1;
		}
	if (fmt < 0 || *path == '\0') {
		fprintf(stderr, "uctls run: --output takes FORMAT=FILE (FORMAT text, json, tap or "
		                "junit), not `%s'\n", arg);
		return -1;
	}
	for (k = 0; k < a->nouts; k++)
		if (strcmp(a->outs[k].path, path) == 0) {
			fprintf(stderr, "uctls run: %s: given to two reports\n", path);
			return -1;
		}
	if (a->nouts == MAX_OUTPUTS) {
		fprintf(stderr, "uctls run: at most %d reports (--output, --junit)\n", MAX_OUTPUTS);
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "uctls run: %s: exists and is not a regular file (a symbolic link, "
		                "a directory...): not written through\n", path);
		return -1;
	}
	a->outs[a->nouts].fmt = fmt;
	a->outs[a->nouts++].path = path;
	return 0;
}

/* -j N: 1 to 1024.  -1 after saying why. */
static int
jobs_arg(struct run_args *a, const char *arg)
{
	unsigned n = parse_count_arg(arg, 1024);

	if (n == 0) {
		fprintf(stderr, "uctls run: -j takes a number of scenarios at a time from 1 to "
		                "1024, not `%s'\n", arg);
		return -1;
	}
	a->jobs = n;
	return 0;
}

/* --shard K/N: 1 <= K <= N <= 100000, given once.  -1 after saying why. */
static int
shard_arg(struct run_args *a, const char *arg)
{
	const char *slash = strchr(arg, '/');
	char k[16];
	unsigned kk = 0, nn = 0;

	if (slash != NULL && (size_t)(slash - arg) < sizeof(k)) {
		memcpy(k, arg, (size_t)(slash - arg));
		k[slash - arg] = '\0';
		kk = parse_count_arg(k, 100000);
		nn = parse_count_arg(slash + 1, 100000);
	}
	if (a->shard_n != 0 || kk == 0 || nn == 0 || kk > nn) {
		fprintf(stderr, "uctls run: --shard takes K/N, 1 <= K <= N (the K-th of N slices), "
		                "once, not `%s'\n", arg);
		return -1;
	}
	a->shard_k = kk;
	a->shard_n = nn;
	return 0;
}

/* An option that may be given once: 0, or 2 (said) when given twice. */
static int
once_arg(const char **slot, const char *opt, const char *arg)
{
	if (*slot != NULL) {
		fprintf(stderr, "uctls run: --%s given twice\n", opt);
		return 2;
	}
	*slot = arg;
	return 0;
}

/* One option C of `uctls run' into A: 0, 1 when the help was printed,
 * 2 on a usage error (said). */
static int
run_opt(struct run_args *a, int c, char **argv)
{
	switch (c) {
	case 't':
		a->fmt = FMT_TEXT;
		break;
	case 'Y':
		a->fmt = FMT_JSON;
		break;
	case 'j':
	case 'H':
		if ((c == 'j' ? jobs_arg(a, optarg) : shard_arg(a, optarg)) < 0)
			return 2;
		break;
	case 'T':
		a->fmt = FMT_TAP;
		break;
	case 'w':
	case 'A':
		if (ms_arg(c == 'w' ? "timeout" : "accept-timeout", optarg,
		           c == 'w' ? &a->opts.timeout_ms : &a->opts.accept_timeout_ms) < 0)
			return 2;
		break;
	case 'P':
		a->opts.pki_dir = optarg;
		break;
	case 'C':
		a->chain_out = optarg;
		break;
	case 'J':
	case 'O':
		if (output_arg(a, c == 'J' ? FMT_JUNIT : -1, optarg) < 0)
			return 2;
		break;
	case 'v':
		a->verbose = 1;
		break;
	case 'k':
		a->opts.keylog = optarg;
		break;
	case 'p':
		return once_arg(&a->pcap_out, "pcap", optarg);
	case 'L':
		a->ladder = 1;
		break;
	case 'M':
		return once_arg(&a->html_out, "html", optarg);
	case 'K':
		a->key_cache = optarg;
		break;
	case 'S':
		if (step_addr_arg(a, optarg) < 0)
			return 2;
		break;
	case 'r':
	case 'l':
		if (peer_addr_arg(c == 'r' ? "remote" : "listen", optarg,
		                  c == 'r' ? &a->opts.remote_id : &a->opts.listen_id,
		                  c == 'r' ? &a->opts.remote_addr : &a->opts.listen_addr) < 0)
			return 2;
		break;
	case 'q':
		a->quiet = 1;
		break;
	case 'F':
		return once_arg(&a->fix_out, "fix", optarg);
	case 'N':
		a->fixes = 0;
		break;
	case 'W':
		/* The expiry warning window of every side (warn.h). */
		if ((a->opts.warn_days = parse_count_arg(optarg, 36500)) != 0)
			break;
		fprintf(stderr, "uctls run: --warn-days takes a whole number of days from 1 to "
		                "36500, not `%s'\n", optarg);
		return 2;
	case 'h':
		fputs(run_help, stdout);
		return 1;
	default:
		return bad_option("run", c, argv);
	}
	return 0;
}

/* Parses run's options into A.  Returns 0, 1 after --help, or 2 on a
 * usage error (said on stderr). */
static int
parse_run_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{ "text", no_argument, NULL, 't' },   { "json", no_argument, NULL, 'Y' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "shard", required_argument, NULL, 'H' },
		{ "tap", no_argument, NULL, 'T' },    { "timeout", required_argument, NULL, 'w' },
		{ "keylog", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },  { "help", no_argument, NULL, 'h' },
		{ "remote", required_argument, NULL, 'r' },
		{ "key-cache", required_argument, NULL, 'K' },
		{ "step-address", required_argument, NULL, 'S' },
		{ "listen", required_argument, NULL, 'l' },
		{ "fix", required_argument, NULL, 'F' },
		{ "no-fixes", no_argument, NULL, 'N' },
		{ "accept-timeout", required_argument, NULL, 'A' },
		{ "pki", required_argument, NULL, 'P' },
		{ "save-peer-chain", required_argument, NULL, 'C' },
		{ "junit", required_argument, NULL, 'J' },
		{ "output", required_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "ladder", no_argument, NULL, 'L' },
		{ "html", required_argument, NULL, 'M' },
		{ "warn-days", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->fmt = FMT_TEXT;
	a->fixes = 1;
	a->key_cache = getenv("UCTLS_KEY_CACHE");
	a->jobs = uctls_runq_cpus();
	a->opts.timeout_ms = 0; /* the scenario's timeout=, else 5000 */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qhvj:", longopts, NULL)) != -1) {
		int rc = run_opt(a, c, argv);

		if (rc != 0)
			return rc;
	}
	if (a->quiet && a->verbose) {
		fprintf(stderr, "uctls run: --quiet and --verbose exclude each other\n");
		return 2;
	}
	return 0;
}

/* The scenario files of a run, each path malloc'd. */
struct pathv {
	char **v;
	size_t n, cap;
};

static void
pathv_free(struct pathv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Appends a copy of DIR/NAME (NAME NULL: DIR alone); -1 when out of memory. */
static int
pathv_add(struct pathv *l, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	char *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (name == NULL)
		p = strdup(dir);
	else if ((p = malloc(dl + strlen(name) + 2)) != NULL)
		sprintf(p, "%s%s%s", dir, dl > 0 && dir[dl - 1] == '/' ? "" : "/", name);
	if (p == NULL)
		return -1;
	l->v[l->n++] = p;
	return 0;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deepest directory `uctls run DIR' descends into. */
#define MAX_DIR_DEPTH 32

/* Adds the scenario files under DIR (at DEPTH) to L: every regular file
 * named *.xml, in every directory below; symbolic links are not followed
 * (no loop, nothing outside DIR).  -1 after saying why. */
static int
scan_dir(struct pathv *l, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	int rv = 0;

	if (depth > MAX_DIR_DEPTH) {
		fprintf(stderr, "uctls run: %s: more than %d directories deep\n", dir, MAX_DIR_DEPTH);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "uctls run: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while (rv == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			struct pathv sub = { NULL, 0, 0 };

			rv = pathv_add(&sub, dir, e->d_name);
			if (rv == 0)
				rv = scan_dir(l, sub.v[0], depth + 1);
			pathv_free(&sub);
		} else if (S_ISREG(st.st_mode) && len > 4 && strcmp(e->d_name + len - 4, ".xml") == 0 &&
		           pathv_add(l, dir, e->d_name) < 0) {
			fprintf(stderr, "uctls: out of memory\n");
			rv = -1;
		}
	}
	closedir(d);
	return rv;
}

/* The scenario files of ARGS (N): a file as given, a directory as the
 * *.xml files under it, sorted (byte order, as LC_ALL=C sorts).  -1 after
 * saying why: a directory unreadable or with no scenario. */
static int
collect_scenarios(char **args, int n, struct pathv *l)
{
	struct stat st;
	size_t first;
	int i;

	for (i = 0; i < n; i++) {
		if (stat(args[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			/* a file, or nothing there: run_one says which */
			if (pathv_add(l, args[i], NULL) < 0) {
				fprintf(stderr, "uctls: out of memory\n");
				return -1;
			}
			continue;
		}
		first = l->n;
		if (scan_dir(l, args[i], 0) < 0)
			return -1;
		if (l->n == first) {
			fprintf(stderr, "uctls run: %s: no scenario file (*.xml) under it\n", args[i]);
			return -1;
		}
		qsort(l->v + first, l->n - first, sizeof(*l->v), path_cmp);
	}
	return 0;
}

/* --shard K/N: keeps in L the scenarios of slice K, i mod N == K - 1 over
 * the order given (round robin: each family spreads over the slices). */
static void
shard_select(const struct run_args *a, struct pathv *l)
{
	size_t i, n = 0;

	if (a->shard_n == 0)
		return;
	for (i = 0; i < l->n; i++) {
		if (i % a->shard_n == a->shard_k - 1)
			l->v[n++] = l->v[i];
		else
			free(l->v[i]);
	}
	l->n = n;
}

/* The checks of run's options against each other and the number N of
 * scenarios.  0, or 2 after saying why. */
static int
run_args_check(struct run_args *a, size_t n)
{
	if (a->fix_out != NULL && (n != 1 || !a->fixes)) {
		fprintf(stderr, "uctls run: --fix takes one scenario, and fixes (no --no-fixes)\n");
		return 2;
	}
	/* A real peer cannot be re-run with a change: no fixes verified. */
	if (a->opts.remote_id != NULL || a->opts.listen_id != NULL)
		a->fixes = 0;
	if (a->opts.remote_id != NULL && a->opts.listen_id != NULL) {
		fprintf(stderr, "uctls run: --remote and --listen exclude each other: one side "
		                "is real, uctls plays the other\n");
		return 2;
	}
	if ((a->opts.remote_id != NULL || a->opts.listen_id != NULL) && n > 1) {
		fprintf(stderr, "uctls run: --remote and --listen take one scenario\n");
		return 2;
	}
	if (a->opts.accept_timeout_ms > 0 && a->opts.listen_id == NULL) {
		fprintf(stderr, "uctls run: --accept-timeout goes with --listen\n");
		return 2;
	}
	if (a->ladder && a->fmt == FMT_JSON) {
		fprintf(stderr, "uctls run: --ladder goes with the text or TAP report\n");
		return 2;
	}
	if (a->chain_out != NULL && n != 1) {
		fprintf(stderr, "uctls run: --save-peer-chain takes one scenario\n");
		return 2;
	}
	if (a->opts.pki_dir != NULL) {
		struct stat st;

		if (stat(a->opts.pki_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "uctls run: --pki %s: not a directory (give the OUTDIR of "
			                "`uctls pki export')\n", a->opts.pki_dir);
			return 2;
		}
		/* Certificates read from files are not re-issued: no fix is
		 * verified on them. */
		if (a->fix_out != NULL) {
			fprintf(stderr, "uctls run: --fix and --pki exclude each other: a fix "
			                "changes the scenario, --pki keeps the exported files\n");
			return 2;
		}
		a->fixes = 0;
	}
	/* An empty --shard slice (more CI jobs than scenarios) runs none. */
	if (n < 1 && a->shard_n == 0) {
		fprintf(stderr, "uctls run: no scenario given\n");
		return 2;
	}
	return 0;
}

/* What each report of a run of N scenarios shows (text mode, whether fixes
 * are looked for, the progress counter), and the reports opened: the
 * --output buffers, TAP's header, the JUnit cases.  0, or -1 after saying
 * why. */
static int
run_reports_open(struct run_args *a, size_t n)
{
	size_t k;

	a->text_mode = a->quiet ? TEXT_QUIET : a->verbose || n == 1 ? TEXT_ALL : TEXT_LINES;
	a->fixes_shown = a->fmt == FMT_JSON || (a->fmt == FMT_TEXT && a->text_mode == TEXT_ALL);
	/* A terminal watching a long run sees it advance; a file or a pipe
	 * gets the reports alone. */
	a->progress = n > 1 && isatty(STDERR_FILENO);
	if (a->fmt == FMT_TAP)
		printf("TAP version 13\n1..%zu\n", n);
	for (k = 0; k < a->nouts; k++) {
		struct output *o = &a->outs[k];

		if (o->fmt == FMT_JUNIT) {
			if (a->junit == NULL && (a->junit = uctls_junit_new()) == NULL)
				goto oom;
			continue;
		}
		a->fixes_shown |= o->fmt == FMT_TEXT || o->fmt == FMT_JSON;
		if ((o->f = open_memstream(&o->buf, &o->len)) == NULL)
			goto oom;
		if (o->fmt == FMT_TAP)
			fprintf(o->f, "TAP version 13\n1..%zu\n", n);
	}
	if (a->pcap_out != NULL && (a->pcap = uctls_pcap_new(n)) == NULL)
		goto oom;
	if (a->html_out != NULL && (a->html = uctls_html_new(n)) == NULL)
		goto oom;
	return 0;
oom:
	fprintf(stderr, "uctls: out of memory\n");
	return -1;
}

/* Writes every --output of A (text ones end with SUMMARY; none when WRITE
 * is 0: the run did not start) and frees them; the number that could not
 * be written (each said on stderr). */
static int
run_reports_close(struct run_args *a, const char *summary, int write)
{
	struct uctls_err err;
	int bad = 0, oom;
	size_t k;

	for (k = 0; k < a->nouts; k++) {
		struct output *o = &a->outs[k];

		uctls_err_clear(&err);
		if (o->fmt == FMT_JUNIT) {
			if (write && a->junit != NULL && uctls_junit_write(a->junit, o->path, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				bad++;
			}
			continue;
		}
		if (o->f == NULL)
			continue; /* not opened: said already */
		if (o->fmt == FMT_TEXT)
			fputs(summary, o->f);
		oom = fclose(o->f) != 0;
		if (write && (oom || uctls_file_write(o->path, o->buf, o->len, 0644, &err) < 0)) {
			fprintf(stderr, "%s\n", oom ? "uctls: --output: out of memory" : err.msg);
			bad++;
		}
		free(o->buf);
		o->f = NULL;
		o->buf = NULL;
	}
	uctls_junit_free(a->junit);
	a->junit = NULL;
	if (a->pcap != NULL) {
		uctls_err_clear(&err);
		if (write && uctls_pcap_write(a->pcap, a->pcap_out, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			bad++;
		}
		uctls_pcap_free(a->pcap);
		a->pcap = NULL;
	}
	if (a->html != NULL) {
		uctls_err_clear(&err);
		if (write && uctls_html_write(a->html, a->html_out, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			bad++;
		}
		uctls_html_free(a->html);
		a->html = NULL;
	}
	return bad;
}

/* Reports scenario I of FILES (N in all; R as run_one's) with the progress
 * counter of A on stderr, a terminal: the terminal's report of the scenario
 * is held until it ends, then printed where the counter was, and the counter
 * moves on to the scenario awaited next.  OUTS as run_one's. */
static int
run_counted(const struct run_args *a, char *const *files, size_t i, size_t n,
            struct run_res *res, FILE **outs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *term = open_memstream(&buf, &len);
	int r;

	if (term == NULL)
		return run_one(files[i], (int)i + 1, a, res, outs);
	outs[0] = term;
	r = run_one(files[i], (int)i + 1, a, res, outs);
	outs[0] = stdout;
	fclose(term);
	fputs(PROGRESS_CLEAR, stderr);
	fflush(stderr);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	free(buf);
	if (i + 1 < n) {
		progress_show(i + 2, n, files[i + 1]);
	}
	return r;
}

/* Scenario I run (uctls_runq_done_fn): reported, counted. */
static void
run_done(void *arg, size_t i, void *res)
{
	struct run_ctx *x = arg;
	int r = 2;

	if (res == NULL)
		fprintf(stderr, "uctls: out of memory\n");
	else if (x->a->progress)
		r = run_counted(x->a, x->files, i, x->n, res, x->outs);
	else
		r = run_one(x->files[i], (int)i + 1, x->a, res, x->outs);
	x->nmatch += r == 0;
	x->nmis += r == 1;
	x->nerr += r == 2;
}

static int
cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct uctls_keypool *pool = NULL;
	struct pathv files = { NULL, 0, 0 };
	FILE *outs[1 + MAX_OUTPUTS];
	struct run_ctx x;
	char summary[160];
	int rv = 0, started = 0;
	size_t i;

	if ((rv = parse_run_args(argc, argv, &a)) != 0)
		return rv == 1 ? 0 : see_help("run");
	if (optind >= argc) {
		fprintf(stderr, "uctls run: no scenario given\n");
		return see_help("run");
	}
	if (collect_scenarios(argv + optind, argc - optind, &files) < 0) {
		pathv_free(&files);
		return 2;
	}
	shard_select(&a, &files);
	if (run_args_check(&a, files.n) != 0) {
		pathv_free(&files);
		return see_help("run");
	}
	a.opts.on_listen = announce;
	a.opts.on_listen_arg = &a.opts;
	pool = new_pool(a.key_cache);
	memset(&x, 0, sizeof(x));
	if (pool == NULL || run_reports_open(&a, files.n) < 0) {
		x.nerr = 1;
		goto out;
	}
	started = 1;
	outs[0] = stdout;
	for (i = 0; i < a.nouts; i++)
		outs[1 + i] = a.outs[i].f;
	x.a = &a;
	x.pool = pool;
	x.files = files.v;
	x.n = files.n;
	x.outs = outs;
	if (a.progress && files.n > 0)
		progress_show(1, files.n, files.v[0]);
	/* Scenarios run on a.jobs threads; each is reported here, in order. */
	uctls_runq_run(files.n, a.jobs, run_work, run_done, &x);
out:
	snprintf(summary, sizeof(summary), "%zu scenario%s: %d matched, %d did not match, "
	         "%d input error%s\n", files.n, files.n == 1 ? "" : "s", x.nmatch, x.nmis, x.nerr,
	         x.nerr == 1 ? "" : "s");
	if (started && a.fmt == FMT_TEXT)
		fputs(summary, stdout);
	x.nerr += run_reports_close(&a, summary, started);
	uctls_keypool_free(pool);
	pathv_free(&files);
	return x.nerr > 0 ? 2 : x.nmis > 0 ? 1 : 0;
}

/* A subcommand without options or arguments (profiles, steps): ARGV[0]
 * is its name, HELP its --help.  -1 to run it, else the exit status. */
static int
no_args(int argc, char **argv, const char *help)
{
	if (argc < 2)
		return -1;
	if (wants_help(argc - 1, argv + 1)) {
		fputs(help, stdout);
		return 0;
	}
	fprintf(stderr, "uctls %s: takes no argument (`%s')\n", argv[0], argv[1]);
	return see_help(argv[0]);
}

/* The --help of subcommand NAME, or NULL. */
static const char *
help_of(const char *name)
{
	static const struct {
		const char *name, *help;
	} helps[] = { { "run", run_help },           { "validate", validate_help },
		      { "check", check_help },       { "pki", pki_help },
		      { "profiles", profiles_help }, { "steps", steps_help },
		      { "probe", uctls_probe_help } };
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].name, name) == 0)
			return helps[i].help;
	return NULL;
}

/* uctls --help, -h, help [SUBCOMMAND]: 0, or 2 for an unknown one. */
static int
cmd_help(int argc, char **argv)
{
	const char *h = argc > 2 && strcmp(argv[1], "help") == 0 ? help_of(argv[2]) : main_help;

	if (h == NULL) {
		fprintf(stderr, "uctls help: unknown subcommand `%s'\n", argv[2]);
		return see_help(NULL);
	}
	fputs(h, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	int rv;

	/* --profiles FILE (anywhere), then the profiles read once (profile.h). */
	if ((rv = uctls_profiles_args(&argc, argv)) >= 0)
		return rv;
	if (argc < 2) {
		fprintf(stderr, "uctls: no subcommand given\n");
		return see_help(NULL);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return cmd_help(argc, argv);
	if (strcmp(argv[1], "--version") == 0) {
		printf("uctls %s (GnuTLS %s)\n", PACKAGE_VERSION, gnutls_check_version(NULL));
		return 0;
	}
	if (help_of(argv[1]) == NULL) {
		fprintf(stderr, "uctls: unknown subcommand `%s'\n", argv[1]);
		return see_help(NULL);
	}
	if (strcmp(argv[1], "steps") == 0 && (rv = no_args(argc - 1, argv + 1, steps_help)) >= 0)
		return rv;
	if (gnutls_global_init() < 0) {
		fprintf(stderr, "uctls: gnutls_global_init failed\n");
		return 2;
	}
	if (strcmp(argv[1], "run") == 0)
		rv = cmd_run(argc - 1, argv + 1);
	else if (strcmp(argv[1], "validate") == 0)
		rv = cmd_validate(argc - 2, argv + 2);
	else if (strcmp(argv[1], "check") == 0)
		rv = cmd_check(argc - 1, argv + 1);
	else if (strcmp(argv[1], "pki") == 0)
		rv = cmd_pki(argc - 2, argv + 2);
	else if (strcmp(argv[1], "probe") == 0)
		rv = uctls_cmd_probe(argc - 1, argv + 1);
	else if (strcmp(argv[1], "profiles") == 0)
		rv = uctls_cmd_profiles(argc - 1, argv + 1);
	else
		rv = cmd_steps();
	gnutls_global_deinit();
	return rv;
}
