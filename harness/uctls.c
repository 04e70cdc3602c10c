/* uctls — the command line.  Only argument handling and printing live here;
 * the work is in libuctls (src/). */
#include "config.h"

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
#include "junit.h"
#include "family.h"
#include "peerconf.h"
#include "pki.h"
#include "profile.h"
#include "report.h"
#include "scenario.h"

enum { FMT_TEXT, FMT_JSON, FMT_TAP };

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: uctls run [--text|--json|--tap] [--timeout MS] [--keylog FILE] [--quiet]\n"
	        "                 [--key-cache DIR] [--remote PEER=HOST:PORT | --listen PEER=HOST:PORT]\n"
	        "                 [--accept-timeout MS] [--pki DIR] [--save-peer-chain FILE]\n"
	        "                 [--fix FILE] [--no-fixes] [--junit FILE] SCENARIO...\n"
	        "       uctls validate SCENARIO...\n"
	        "       uctls check --profile P... [--role server|client] [--name NAME]...\n"
	        "                   [--trust CA.pem]... [--key KEY.pem] [--at TIME]\n"
	        "                   [--csr-san LIST]... [--max-depth N] [--warn-days N] [--json]\n"
	        "                   CERT-OR-BUNDLE.pem...\n"
	        "       uctls pki export [--key-cache DIR] [--for PEER] SCENARIO OUTDIR\n"
	        "       uctls profiles\n"
	        "       uctls steps\n"
	        "       uctls --help | --version\n"
	        "\n"
	        "Subcommands:\n"
	        "  run        run each scenario: both peers in this process over loopback TCP,\n"
	        "             real TLS handshakes; report the step where it fails, on which side,\n"
	        "             and why, and compare with the scenario's <expect>\n"
	        "  validate   load each scenario and build its PKI, without any handshake\n"
	        "  check      check real certificate files as a device profile would: the\n"
	        "             install-time rules, then what a handshake would verify\n"
	        "             (exit 0 all good, 1 problems found, 2 input error); several\n"
	        "             --profile and files: each against each, then a matrix\n"
	        "  pki export write the scenario's certificates, keys, each peer's chain and\n"
	        "             trust list, and a manifest to OUTDIR (for a real device or server)\n"
	        "  profiles   list the device profiles and their rules\n"
	        "  steps      list the families, their steps, and the reason identifiers\n"
	        "\n"
	        "Options of run:\n"
	        "  --text          human report: a step table per side (default)\n"
	        "  --json          one JSON object per scenario, one per line (see uctls(1))\n"
	        "  --tap           TAP output, one test per scenario (for make check)\n"
	        "  --timeout MS    bound on every network wait (default 5000)\n"
	        "  --keylog FILE   append NSS key log lines (Wireshark) to FILE\n"
	        "  -q, --quiet     text: print only scenarios that did not match, and the summary\n"
	        "  --key-cache DIR keep generated keys in DIR and reuse them across runs\n"
	        "                  (default: $UCTLS_KEY_CACHE, else keys live in memory only)\n"
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
	        "\n"
	        "Exit status: 0 every scenario matched its <expect>; 1 one or more did not;\n"
	        "2 usage or input error (FILE:LINE: message on stderr).\n"
	        "See uctls(1) and uctls-scenario(5).\n");
}

static int
cmd_profiles(void)
{
	const struct uctls_profile *p;
	unsigned i;

	for (i = 0; (p = uctls_profile_at(i)) != NULL; i++) {
		printf("%-14s family %-4s %s\n", p->name, p->family, p->describe);
		char rsa[32];

		if (p->max_rsa_bits)
			snprintf(rsa, sizeof(rsa), "%u-%u", p->min_rsa_bits, p->max_rsa_bits);
		else
			snprintf(rsa, sizeof(rsa), "%u+", p->min_rsa_bits);
		printf("%14s cn-fallback=%s wildcard=%s eku-required=%s rsa=%s sha1=%s "
		       "client-cert=%s\n",
		       "", p->cn_fallback == 2 ? "always" : p->cn_fallback ? "yes" : "no",
		       p->wildcard ? "yes" : "no", p->eku_required ? "yes" : "no", rsa,
		       p->allow_sha1 ? "yes" : "no", p->require_client_cert ? "required" : "optional");
		printf("%14s path: rfc5280-profile=%s webpki=%s max-depth=%u\n", "",
		       p->rfc5280_strict ? "strict" : "no", p->webpki ? "yes" : "no",
		       p->max_depth ? p->max_depth : 100);
		if (p->inst_pem_only || p->inst_ca_first || p->inst_bundle_order ||
		    p->inst_bundle_newline || p->inst_cn_in_san || p->inst_key_bits ||
		    p->inst_critical_ok)
			printf("%14s install:%s%s%s%s%s%s%s\n", "", p->inst_pem_only ? " pem-only" : "",
			       p->inst_ca_first ? " ca-first" : "",
			       p->inst_bundle_order ? " bundle-order" : "",
			       p->inst_bundle_newline ? " one-trailing-newline" : "",
			       p->inst_cn_in_san ? " cn-in-san" : "",
			       p->inst_key_bits ? " key-sizes-listed" : "",
			       p->inst_critical_ok ? " critical-ku-bc-only" : "");
	}
	return 0;
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

	if (argc < 1) {
		usage(stderr);
		return 2;
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
	struct strv profiles, names, trust, csr;
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
	               { 'w', "warn-days" } };
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
		usage(stderr);
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
 *             [--warn-days N] [--json] FILE... */
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
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 }
	};
	struct check_args a;
	int c, rv = 2;

	memset(&a, 0, sizeof(a));
	a.o.role_server = 1;
	a.o.at = time(NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			rv = 0;
			goto out;
		}
		if (check_opt(&a, c, optarg) < 0)
			goto out;
	}
	if (a.profiles.n == 0 || optind >= argc) {
		fprintf(stderr, "uctls check: needs --profile P and a certificate file\n");
		goto out;
	}
	a.o.names = a.names.v;
	a.o.nnames = a.names.n;
	a.o.trust_files = a.trust.v;
	a.o.ntrust = a.trust.n;
	a.o.csr_sans = a.csr.v; /* NULL: no --csr-san */
	rv = check_all(&a, argv + optind, (size_t)(argc - optind));
out:
	free(a.profiles.v);
	free(a.names.v);
	free(a.trust.v);
	free(a.csr.v);
	return rv;
}

/* uctls pki export [--key-cache DIR] [--for PEER] SCENARIO OUTDIR */
static int
cmd_pki(int argc, char **argv)
{
	static const char usage[] =
	    "usage: uctls pki export [--key-cache DIR] [--for PEER] SCENARIO OUTDIR\n";
	struct uctls_keypool *pool;
	struct uctls_scenario *sc = NULL;
	struct uctls_pki *pki = NULL;
	uctls_peerconf_fn peer = NULL;
	const char *cache = getenv("UCTLS_KEY_CACHE"), *for_peer = NULL;
	struct uctls_err err;
	int rv = 2, i = 1;

	uctls_err_clear(&err);
	if (argc < 1 || strcmp(argv[0], "export") != 0) {
		fputs(usage, stderr);
		return 2;
	}
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		const char **slot = strcmp(argv[i], "--key-cache") == 0 ? &cache
		                    : strcmp(argv[i], "--for") == 0     ? &for_peer
		                                                        : NULL;
		if (slot == NULL || (*slot != NULL && slot == &for_peer)) {
			fprintf(stderr, "uctls pki export: %s: %s\n", argv[i],
			        slot == NULL ? "unknown option" : "given twice");
			return 2;
		}
		*slot = argv[i + 1];
	}
	if (argc - i != 2) {
		fputs(usage, stderr);
		return 2;
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

/* The options of `uctls run'. */
struct run_args {
	struct uctls_run_opts opts;
	int fmt, quiet, fixes;
	const char *key_cache, *fix_out, *chain_out, *junit_out;
	struct uctls_junit *junit; /* --junit: the cases so far */
	const char *step_addrs[9];
	size_t nstep_addrs;
};

/* Runs FILE (the NUM-th) and reports it.  Returns 0 matched, 1 did not,
 * 2 input error. */
static int
run_one(const char *file, int num, const struct run_args *a, struct uctls_keypool *pool)
{
	const struct uctls_run_opts *opts = &a->opts;
	const char *fix_out = num == 1 ? a->fix_out : NULL, *chain_out = a->chain_out;
	int fmt = a->fmt, quiet = a->quiet, fixes = a->fixes;
	struct uctls_xml_node *root = NULL;
	struct uctls_scenario *sc = NULL;
	struct uctls_log *log = NULL;
	struct uctls_outcome oc;
	struct uctls_err err;
	int failed, rv = 2;

	uctls_err_clear(&err);
	failed = uctls_xml_load_file(file, &root, &err) < 0 ||
	         uctls_scenario_load_dom(file, root, &sc, &err) < 0 ||
	         uctls_engine_run(sc, pool, opts, &log, &err) < 0;

	if (!failed) {
		uctls_outcome_eval(&sc->expect, log, &oc);
		/* Fixes cost re-runs: looked for where a report shows them (text,
		 * JSON) or the outcome is not what was expected; a quiet or TAP
		 * run of a suite that matches skips them (bench/FIGURES.md). */
		failed = fixes && uctls_log_failure(log) != NULL &&
		         (fix_out != NULL || !oc.matched || fmt == FMT_JSON ||
		          (fmt == FMT_TEXT && !quiet)) &&
		         find_fixes(sc, root, log, pool, opts, fix_out, &err) < 0;
	}
	if (failed) {
		fprintf(stderr, "%s\n", err.msg);
		if (fmt == FMT_JSON)
			uctls_report_error_json(stdout, file, err.msg);
		else if (fmt == FMT_TAP)
			uctls_report_error_tap(stdout, num, file, err.msg);
		if (a->junit != NULL && uctls_junit_add_error(a->junit, file, err.msg) < 0)
			fprintf(stderr, "uctls: --junit: out of memory\n");
		goto out;
	}
	rv = oc.matched ? 0 : 1;
	if (a->junit != NULL && uctls_junit_add(a->junit, log, &oc) < 0) {
		fprintf(stderr, "uctls: --junit: out of memory\n");
		rv = 2;
	}
	if (fmt == FMT_JSON)
		uctls_report_json(stdout, log, &sc->expect, &oc);
	else if (fmt == FMT_TAP)
		uctls_report_tap(stdout, num, log, &sc->expect, &oc);
	else if (!quiet || !oc.matched)
		uctls_report_text(stdout, log, &sc->expect, &oc);
	fflush(stdout);
	if (chain_out != NULL && save_peer_chain(log, chain_out) < 0)
		rv = 2;
out:
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

/* Parses run's options into A.  Returns 0, 1 after --help, or 2 on a
 * usage error (said on stderr). */
static int
parse_run_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{ "text", no_argument, NULL, 't' },   { "json", no_argument, NULL, 'j' },
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
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->fmt = FMT_TEXT;
	a->fixes = 1;
	a->key_cache = getenv("UCTLS_KEY_CACHE");
	a->opts.timeout_ms = 0; /* the scenario's timeout=, else 5000 */
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			a->fmt = FMT_TEXT;
			break;
		case 'j':
			a->fmt = FMT_JSON;
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
			if (a->junit_out != NULL) {
				fprintf(stderr, "uctls run: --junit given twice\n");
				return 2;
			}
			a->junit_out = optarg;
			break;
		case 'k':
			a->opts.keylog = optarg;
			break;
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
			if (a->fix_out != NULL) {
				fprintf(stderr, "uctls run: --fix given twice\n");
				return 2;
			}
			a->fix_out = optarg;
			break;
		case 'N':
			a->fixes = 0;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	return 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct uctls_keypool *pool = NULL;
	int i, rv = 0, nmatch = 0, nmis = 0, nerr = 0;

	if ((rv = parse_run_args(argc, argv, &a)) != 0)
		return rv == 1 ? 0 : 2;
	argc -= optind;
	argv += optind;
	if (a.fix_out != NULL && (argc != 1 || !a.fixes)) {
		fprintf(stderr, "uctls run: --fix takes one scenario, and fixes (no --no-fixes)\n");
		return 2;
	}
	/* A real peer cannot be re-run with a change: no fixes verified. */
	if (a.opts.remote_id != NULL || a.opts.listen_id != NULL)
		a.fixes = 0;
	if (a.opts.remote_id != NULL && a.opts.listen_id != NULL) {
		fprintf(stderr, "uctls run: --remote and --listen exclude each other: one side "
		                "is real, uctls plays the other\n");
		return 2;
	}
	if ((a.opts.remote_id != NULL || a.opts.listen_id != NULL) && argc > 1) {
		fprintf(stderr, "uctls run: --remote and --listen take one scenario\n");
		return 2;
	}
	if (a.opts.accept_timeout_ms > 0 && a.opts.listen_id == NULL) {
		fprintf(stderr, "uctls run: --accept-timeout goes with --listen\n");
		return 2;
	}
	if (a.chain_out != NULL && argc != 1) {
		fprintf(stderr, "uctls run: --save-peer-chain takes one scenario\n");
		return 2;
	}
	if (a.opts.pki_dir != NULL) {
		struct stat st;

		if (stat(a.opts.pki_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "uctls run: --pki %s: not a directory (give the OUTDIR of "
			                "`uctls pki export')\n", a.opts.pki_dir);
			return 2;
		}
		/* Certificates read from files are not re-issued: no fix is
		 * verified on them. */
		if (a.fix_out != NULL) {
			fprintf(stderr, "uctls run: --fix and --pki exclude each other: a fix "
			                "changes the scenario, --pki keeps the exported files\n");
			return 2;
		}
		a.fixes = 0;
	}
	a.opts.on_listen = announce;
	a.opts.on_listen_arg = &a.opts;
	if (argc < 1) {
		fprintf(stderr, "uctls run: no scenario given\n");
		usage(stderr);
		return 2;
	}
	pool = new_pool(a.key_cache);
	if (pool == NULL)
		return 2;
	if (a.fmt == FMT_TAP)
		printf("1..%d\n", argc);
	if (a.junit_out != NULL && (a.junit = uctls_junit_new()) == NULL) {
		fprintf(stderr, "uctls: out of memory\n");
		uctls_keypool_free(pool);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		int r = run_one(argv[i], i + 1, &a, pool);

		nmatch += r == 0;
		nmis += r == 1;
		nerr += r == 2;
	}
	if (a.junit != NULL) {
		struct uctls_err err;

		uctls_err_clear(&err);
		if (uctls_junit_write(a.junit, a.junit_out, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			nerr++;
		}
		uctls_junit_free(a.junit);
	}
	if (a.fmt == FMT_TEXT)
		printf("%d scenario%s: %d matched, %d did not match, %d input error%s\n", argc,
		       argc == 1 ? "" : "s", nmatch, nmis, nerr, nerr == 1 ? "" : "s");
	uctls_keypool_free(pool);
	if (nerr > 0)
		rv = 2;
	else if (nmis > 0)
		rv = 1;
	return rv;
}

int
main(int argc, char **argv)
{
	int rv;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("uctls %s (GnuTLS %s)\n", PACKAGE_VERSION, gnutls_check_version(NULL));
		return 0;
	}
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
	else if (strcmp(argv[1], "profiles") == 0)
		rv = cmd_profiles();
	else if (strcmp(argv[1], "steps") == 0)
		rv = cmd_steps();
	else {
		fprintf(stderr, "uctls: unknown subcommand `%s'\n", argv[1]);
		usage(stderr);
		rv = 2;
	}
	gnutls_global_deinit();
	return rv;
}
