/* uctls — the `probe' subcommand's command line (the work is src/probe.c). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "family.h"
#include "probe.h"
#include "profile.h"
#include "report.h"

const char uctls_probe_help[] =
	"usage: uctls probe --family F [--profile P]... [OPTION]... HOST[:PORT]\n"
	"Connects to a live server the way a device of profile P would (one\n"
	"connection per profile), and reports, with the steps and reasons of a\n"
	"scenario run, what the server sent (its chain: subjects, issuers, SANs,\n"
	"validity, keys, SHA-256 fingerprints) and what each profile decides.\n"
	"\n"
	"  --family F      the step program (tls, sip-trunk, xmpp-s2s, traversal):\n"
	"                  sip-trunk: TLS, then SIP OPTIONS; xmpp-s2s: stream, STARTTLS,\n"
	"                  TLS, then SASL EXTERNAL or dialback; traversal: the\n"
	"                  Expressway-E zone port (SIP OPTIONS), then the SSH tunnel\n"
	"  --mra-domain D  traversal: then the MRA edge as a Jabber client of domain D\n"
	"                  would see it (HTTPS: D or collab-edge.D a SAN, then GET of\n"
	"                  its edge configuration; 401, sign-in needed, passes)\n"
	"  --mra-port N    the MRA edge's port on HOST (default 8443)\n"
	"  --profile P     the device whose view is wanted (repeatable; default: the\n"
	"                  family's client profile); see uctls profiles\n"
	"  --trust FILE    PEM file of trusted CAs (repeatable)\n"
	"  --name N        a name the server must carry (repeatable; default: --to,\n"
	"                  else HOST)\n"
	"  --from D, --to D  xmpp-s2s: our domain and the server's (default: HOST);\n"
	"                  --from is also the name in our client certificate\n"
	"  --cert FILE --key FILE  our client certificate (and chain) and key\n"
	"                  (default: one uctls makes, from a CA of its own)\n"
	"  --step-address STEP=HOST:PORT  dial HOST:PORT for the connection that begins\n"
	"                  with STEP (traversal: ssh-tunnel, default HOST:2222)\n"
	"  --timeout MS    bound on every network wait (default 5000)\n"
	"  --save FILE.xml write a scenario that replays what was seen offline (the\n"
	"                  server's chain cloned with fresh keys): FILE.xml the first\n"
	"                  profile's run, FILE-PROFILE.xml each other's, FILE-mra.xml\n"
	"                  the MRA edge's\n"
	"  --json          one JSON object per profile, one per line (as uctls run)\n"
	"Default ports: tls 443, sip-trunk 5061, xmpp-s2s 5269, traversal 7001.\n"
	"Exit status: 0 every profile passes, 1 one fails, 2 usage or input error.\n";

struct strv {
	const char **v;
	size_t n;
};

static int
push(struct strv *s, const char *v)
{
	const char **g = realloc(s->v, (s->n + 2) * sizeof(*g));

	if (g == NULL)
		return -1;
	s->v = g;
	s->v[s->n++] = v;
	s->v[s->n] = NULL;
	return 0;
}

static int
usage(const char *fmt, const char *arg)
{
	/* What was wrong, then where the help is (uctls(1): every
	 * subcommand's usage errors; tests/help.sh). */
	fputs("uctls probe: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nsee uctls probe --help\n", stderr);
	return 2;
}

/* HOST, [V6]:PORT, HOST:PORT into O (HOST is modified). */
static int
host_port(char *arg, struct uctls_probe_opts *o)
{
	char *p = NULL, *end;
	unsigned long v;

	if (arg[0] == '[' && (end = strchr(arg, ']')) != NULL) {
		*end = '\0';
		o->host = arg + 1;
		p = end[1] == ':' ? end + 2 : end[1] == '\0' ? NULL : end + 1;
	} else if ((p = strchr(arg, ':')) != NULL && strchr(p + 1, ':') == NULL) {
		*p++ = '\0';
		o->host = arg;
	} else {
		o->host = arg;
		p = NULL;
	}
	if (*o->host == '\0')
		return -1;
	if (p == NULL)
		return 0;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end != '\0' || errno != 0 || v == 0 || v > 65535)
		return -1;
	o->port = (unsigned)v;
	return 0;
}

struct probe_args {
	struct uctls_probe_opts o;
	struct strv profiles, names, trust, steps;
	const char *save;
	int json;
	char *hostarg;       /* the operand, owned: o.host points into it */
	char ssh[300];       /* traversal's default ssh-tunnel address */
	char **saves;        /* --save: one path per profile, then the MRA leg's */
};

static int
probe_opt(struct probe_args *a, int c, char **argv)
{
	char *end;
	long v;

	switch (c) {
	case 'f': a->o.family = optarg; break;
	case 'p': return push(&a->profiles, optarg) < 0 ? 2 : 0;
	case 'n': return push(&a->names, optarg) < 0 ? 2 : 0;
	case 't': return push(&a->trust, optarg) < 0 ? 2 : 0;
	case 'S':
		if (strchr(optarg, '=') == NULL || strchr(optarg, '=') == optarg)
			return usage("--step-address `%s': expected STEP=HOST:PORT", optarg);
		return push(&a->steps, optarg) < 0 ? 2 : 0;
	case 'F': a->o.from = optarg; break;
	case 'T': a->o.to = optarg; break;
	case 'c': a->o.cert_file = optarg; break;
	case 'k': a->o.key_file = optarg; break;
	case 's': a->save = optarg; break;
	case 'j': a->json = 1; break;
	case 'D': a->o.mra_domain = optarg; break;
	case 'P':
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 65535)
			return usage("--mra-port `%s': expected a port, 1 to 65535", optarg);
		a->o.mra_port = (unsigned)v;
		break;
	case 'w':
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 600000)
			return usage("--timeout `%s': expected milliseconds, 1 to 600000", optarg);
		a->o.timeout_ms = (int)v;
		break;
	case ':': return usage("%s takes a value", argv[optind - 1]);
	default: return usage("unknown option `%s'", argv[optind - 1]);
	}
	return 0;
}

/* --mra-domain, --mra-port; a profile given twice. */
static int
mra_args(struct probe_args *a)
{
	size_t i, j;

	for (i = 0; i < a->profiles.n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(a->profiles.v[i], a->profiles.v[j]) == 0)
				return usage("profile `%s' given twice", a->profiles.v[i]);
	if (a->o.mra_port != 0 && a->o.mra_domain == NULL)
		return usage("%s", "--mra-port needs --mra-domain (the MRA service domain)");
	if (a->o.mra_domain != NULL && strcmp(a->o.family, "traversal") != 0)
		return usage("--mra-domain: the MRA edge is probed with --family traversal, not `%s'",
		             a->o.family);
	if (a->o.mra_domain != NULL &&
	    (*a->o.mra_domain == '\0' || strlen(a->o.mra_domain) > 253 ||
	     strspn(a->o.mra_domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                             "0123456789-.") != strlen(a->o.mra_domain)))
		return usage("--mra-domain `%s': expected a DNS domain, e.g. example.com",
		             a->o.mra_domain);
	return 0;
}

/* Options and operand into A.  0, 2 (usage error, said), or -1 (--help). */
static int
probe_args(struct probe_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "family", required_argument, NULL, 'f' }, { "profile", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },   { "trust", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'F' },   { "to", required_argument, NULL, 'T' },
		{ "cert", required_argument, NULL, 'c' },   { "key", required_argument, NULL, 'k' },
		{ "save", required_argument, NULL, 's' },   { "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "step-address", required_argument, NULL, 'S' },
		{ "mra-domain", required_argument, NULL, 'D' },
		{ "mra-port", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 }
	};
	const struct uctls_family *fam;
	size_t i;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return -1;
		if ((r = probe_opt(a, c, argv)) != 0)
			return r;
	}
	if (a->o.family == NULL)
		return usage("%s", "--family is required");
	if ((fam = uctls_family_find(a->o.family)) == NULL || uctls_probe_default_port(fam->name) == 0)
		return usage(fam == NULL ? "unknown family `%s'"
		                         : "family `%s' is not probed (tls, sip-trunk, xmpp-s2s, traversal)",
		             a->o.family);
	if (a->profiles.n == 0 && push(&a->profiles, fam->default_profile[0]) < 0)
		return 2;
	for (i = 0; i < a->profiles.n; i++) {
		const struct uctls_profile *p = uctls_profile_find(a->profiles.v[i]);

		if (p == NULL)
			return usage("unknown profile `%s' (uctls profiles lists them)",
			             a->profiles.v[i]);
		if (strcmp(p->family, "*") != 0 && strcmp(p->family, fam->name) != 0) {
			char m[256];

			snprintf(m, sizeof(m), "profile `%s' is for family `%s', not `%s'", p->name,
			         p->family, fam->name);
			return usage("%s", m);
		}
	}
	if ((a->o.cert_file == NULL) != (a->o.key_file == NULL))
		return usage("%s", "--cert and --key go together");
	if ((r = mra_args(a)) != 0)
		return r;
	if (optind + 1 != argc)
		return usage("%s", optind == argc ? "expected HOST[:PORT]" : "expected one HOST[:PORT]");
	a->o.port = uctls_probe_default_port(a->o.family);
	if ((a->hostarg = strdup(argv[optind])) == NULL || host_port(a->hostarg, &a->o) < 0)
		return usage("`%s': expected HOST, HOST:PORT or [ADDRESS]:PORT", argv[optind]);
	return 0;
}

/* Traversal: the MRA SSH tunnel on the Expressway-E's TCP port 2222 (Cisco
 * Expressway IP Port Usage Configuration Guide: "SSH tunnel" 2222), unless
 * --step-address names another. */
static int
default_steps(struct probe_args *a)
{
	size_t i;

	if (strcmp(a->o.family, "traversal") != 0)
		return 0;
	for (i = 0; i < a->steps.n; i++)
		if (strncmp(a->steps.v[i], "ssh-tunnel=", 11) == 0)
			return 0;
	snprintf(a->ssh, sizeof(a->ssh),
	         strchr(a->o.host, ':') != NULL ? "ssh-tunnel=[%s]:2222" : "ssh-tunnel=%s:2222",
	         a->o.host);
	return push(&a->steps, a->ssh);
}

/* The MRA leg's verdict: every step passed, or the edge answered the
 * edge-configuration request 401 (it wants the user's sign-in: the
 * certificate checks passed, and an Expressway-E answers so). */
static int
mra_signin(const struct uctls_log *log)
{
	const struct uctls_step *fl = uctls_log_failure(log);

	return fl != NULL && strcmp(fl->step, "http-request") == 0 &&
	       strcmp(fl->side, "client") == 0 && fl->reason != NULL &&
	       strcmp(fl->reason, "http-status:401") == 0;
}

static void
matrix_line(const char *who, const struct uctls_log *log, int signin)
{
	const struct uctls_step *fl = uctls_log_failure(log);

	if (fl == NULL)
		printf("  %-24s pass\n", who);
	else if (signin)
		printf("  %-24s pass (the edge answered 401: sign-in needed)\n", who);
	else
		printf("  %-24s fail at %s on %s: %s\n", who, fl->step, fl->side,
		       fl->reason != NULL ? fl->reason : "");
	if (fl != NULL && !signin && fl->hint != NULL)
		printf("  %-24s hint: %s\n", "", fl->hint);
}

/* The verdicts of several profiles (and the MRA leg), one line each. */
static void
probe_matrix(const struct probe_args *a, const struct uctls_probe_result *res)
{
	size_t i;

	printf("\nprobe of %s port %u (%s):\n", a->o.host, a->o.port, a->o.family);
	for (i = 0; i < res->nlogs; i++)
		matrix_line(a->profiles.v[i], res->logs[i], 0);
	if (res->mra != NULL) {
		char who[64];

		snprintf(who, sizeof(who), "MRA edge, port %u", a->o.mra_port ? a->o.mra_port : 8443);
		matrix_line(who, res->mra, mra_signin(res->mra));
	}
}

/* --save's paths: FILE for the first profile, FILE-PROFILE.xml for each
 * other (FILE without its .xml), FILE-mra.xml for the MRA leg.  0 or 2. */
static int
save_paths(struct probe_args *a)
{
	size_t n = a->profiles.n + (a->o.mra_domain != NULL), i, j, bl = strlen(a->save);
	const char *tag;

	if ((a->saves = calloc(n + 1, sizeof(*a->saves))) == NULL)
		return 2;
	if (bl > 4 && strcmp(a->save + bl - 4, ".xml") == 0)
		bl -= 4;
	for (i = 0; i < n; i++) {
		tag = i < a->profiles.n ? a->profiles.v[i] : "mra";
		if (i == 0 ? (a->saves[i] = strdup(a->save)) == NULL
		           : asprintf(&a->saves[i], "%.*s-%s.xml", (int)bl, a->save, tag) < 0) {
			a->saves[i] = NULL;
			return 2;
		}
		for (j = 0; j < i; j++)
			if (strcmp(a->saves[i], a->saves[j]) == 0)
				return usage("--save: two runs would write `%s'", a->saves[i]);
	}
	return 0;
}

/* --save: one run (of profile PROFILE, options O) into PATH. */
static int
save_one(const struct probe_args *a, const struct uctls_probe_opts *o, const char *profile,
         const struct uctls_log *log, const char *path)
{
	FILE *out = a->json ? stderr : stdout;
	struct uctls_err err;
	char *notes = NULL;

	uctls_err_clear(&err);
	if (uctls_probe_save(o, profile, log, path, &notes, &err) < 0) {
		fprintf(stderr, "uctls probe: --save: %s\n", err.msg);
		return 2;
	}
	fprintf(out, "saved %s (%s %s)%s\n", path, o->jabber ? "the MRA edge, profile" : "profile",
	        profile,
	        notes != NULL ? ": NOT a faithful replay, not cloned:" : ": the chain cloned");
	if (notes != NULL) {
		char *line, *save = NULL;

		for (line = strtok_r(notes, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			fprintf(out, "  %s\n", line);
	}
	free(notes);
	return 0;
}

/* --save: every profile's run, then the MRA leg's. */
static int
probe_save(const struct probe_args *a, const struct uctls_probe_result *res)
{
	struct uctls_probe_opts mo;
	char *keep = NULL;
	size_t i;
	int rv = 0;

	for (i = 0; i < res->nlogs; i++)
		if (save_one(a, &a->o, a->profiles.v[i], res->logs[i], a->saves[i]) != 0)
			rv = 2;
	if (res->mra == NULL)
		return rv;
	if (uctls_probe_mra_opts(&a->o, &mo, &keep) < 0)
		return 2;
	if (save_one(a, &mo, UCTLS_PROBE_MRA_PROFILE, res->mra, a->saves[res->nlogs]) != 0)
		rv = 2;
	free(keep);
	return rv;
}

/* The MRA leg's report. */
static int
report_mra(const struct probe_args *a, const struct uctls_log *log)
{
	struct uctls_outcome oc;
	int signin = mra_signin(log);

	uctls_outcome_eval(NULL, log, &oc);
	if (a->json) {
		uctls_report_json(stdout, log, NULL, &oc);
	} else {
		printf("\n== MRA edge: %s port %u, as a Jabber client of %s ==\n", a->o.host,
		       a->o.mra_port ? a->o.mra_port : 8443, a->o.mra_domain);
		uctls_report_text(stdout, log, NULL, &oc);
		if (signin)
			puts("  the edge answered 401 (sign-in needed), as an Expressway-E answers a "
			     "Jabber client\n  before its user signs in: the MRA edge passes");
	}
	return oc.matched || signin ? 0 : 1;
}

int uctls_cmd_probe(int argc, char **argv);

int
uctls_cmd_probe(int argc, char **argv)
{
	struct probe_args a;
	struct uctls_probe_result res;
	struct uctls_outcome oc;
	struct uctls_err err;
	size_t i;
	int rv;

	memset(&a, 0, sizeof(a));
	rv = probe_args(&a, argc, argv);
	if (rv == -1)
		fputs(uctls_probe_help, stdout);
	if (rv == 0 && default_steps(&a) < 0)
		rv = 2;
	if (rv == 0 && a.save != NULL)
		rv = save_paths(&a);
	if (rv != 0)
		goto out;
	a.o.profiles = a.profiles.v;
	a.o.nprofiles = a.profiles.n;
	a.o.names = a.names.v;
	a.o.nnames = a.names.n;
	a.o.trust_files = a.trust.v;
	a.o.ntrust = a.trust.n;
	a.o.step_addrs = a.steps.v;
	a.o.now = time(NULL);
	uctls_err_clear(&err);
	if (uctls_probe_run(&a.o, &res, &err) < 0) {
		fprintf(stderr, "uctls probe: %s\n", err.msg);
		rv = 2;
		goto out;
	}
	for (i = 0; i < res.nlogs; i++) {
		uctls_outcome_eval(NULL, res.logs[i], &oc);
		if (a.json) {
			uctls_report_json(stdout, res.logs[i], NULL, &oc);
		} else {
			printf("%s== profile %s ==\n", i > 0 ? "\n" : "", a.profiles.v[i]);
			uctls_report_text(stdout, res.logs[i], NULL, &oc);
		}
		if (!oc.matched)
			rv = 1;
	}
	if (res.mra != NULL && report_mra(&a, res.mra) != 0)
		rv = 1;
	if (!a.json && (res.nlogs > 1 || res.mra != NULL))
		probe_matrix(&a, &res);
	if (a.save != NULL && probe_save(&a, &res) != 0)
		rv = 2;
	uctls_probe_result_clear(&res);
out:
	free(a.profiles.v);
	free(a.names.v);
	free(a.trust.v);
	free(a.steps.v);
	free(a.hostarg);
	for (i = 0; a.saves != NULL && a.saves[i] != NULL; i++)
		free(a.saves[i]);
	free(a.saves);
	return rv == -1 ? 0 : rv;
}
