/* uctls — reading the device profiles at start (--profiles FILE, any
 * subcommand) and `uctls profiles' (uctls(1); the format:
 * uctls-scenario(5), PROFILE FILES). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "profile.h"

const char uctls_profiles_help[] =
	"usage: uctls profiles [--verbose | --dump] [--profiles FILE]...\n"
	"Lists the device profiles, their rules and where each is defined (FILE:LINE;\n"
	"docs/profiles.md cites each rule's source).\n"
	"  --verbose        also every attribute that is set, as a profile file says it\n"
	"  --dump           every field of every profile, one `ID ATTR=VALUE' line each\n"
	"  --profiles FILE  (any subcommand; repeatable) add the profiles of FILE, or\n"
	"                   replace the ones of the same id\n"
	"Profiles are read from $UCTLS_PROFILE_DIR, else the installed profile\n"
	"directory (a program of a build tree: its sources' src/profiles).\n";

/* Takes every `--profiles FILE' / `--profiles=FILE' out of ARGV (before a
 * `--'), then reads the profiles once.  -1 to go on, else the exit status
 * (2: a profile file is wrong, or no profile directory). */
int
uctls_profiles_args(int *argc, char **argv)
{
	const char *files[UCTLS_PROFILE_MAX_FILES];
	struct uctls_err err;
	int i, k, n = 0, help = 0;

	for (i = k = 1; i < *argc; i++) {
		const char *a = argv[i], *f = NULL;

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[k++] = argv[i++];
			break;
		}
		help |= strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
		if (strcmp(a, "--profiles") == 0) {
			if (i + 1 == *argc) {
				fprintf(stderr, "uctls: --profiles takes a value\n");
				return 2;
			}
			f = argv[++i];
		} else if (strncmp(a, "--profiles=", 11) == 0) {
			f = a + 11;
		}
		if (f == NULL) {
			argv[k++] = argv[i];
		} else if (n == UCTLS_PROFILE_MAX_FILES) {
			fprintf(stderr, "uctls: more than %d --profiles files\n",
			        UCTLS_PROFILE_MAX_FILES);
			return 2;
		} else {
			files[n++] = f;
		}
	}
	*argc = k;
	argv[k] = NULL;
	/* No profile needed: no subcommand, an unknown one (main says so),
	 * help, --version, `uctls steps'. */
	if (k < 2 || help || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "steps") == 0 || argv[1][0] == '-')
		return -1;
	uctls_err_clear(&err);
	if (uctls_profiles_load(files, (size_t)n, &err) < 0) {
		fprintf(stderr, "uctls: %s\n", err.msg);
		return 2;
	}
	return -1;
}

/* A UCOS device's slots and trust stores (store.h): the ones this
 * family's connection uses, then all of them. */
static void
stores_line(const struct uctls_profile *p)
{
	unsigned k;

	if (p->slots == NULL && p->stores == NULL)
		return;
	printf("%14s connection: slot %s, store %s\n%14s stores:", "",
	       p->service_slot ? p->service_slot : "-", p->service_store ? p->service_store : "-", "");
	for (k = 0; p->stores != NULL && p->stores[k] != NULL; k++)
		printf(" %s", p->stores[k]);
	fputs("; slots:", stdout);
	for (k = 0; p->slots != NULL && p->slots[k] != NULL; k++)
		printf(" %.*s", (int)strcspn(p->slots[k], " "), p->slots[k]);
	putchar('\n');
}

static void
summary(const struct uctls_profile *p)
{
	char rsa[32];
	unsigned k;

	printf("%-14s family %-4s %s\n", p->name, p->family, p->describe);
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
	    p->inst_critical_ok || p->inst_ku_keep != NULL) {
		printf("%14s install:%s%s%s%s%s%s%s", "", p->inst_pem_only ? " pem-only" : "",
		       p->inst_ca_first ? " ca-first" : "",
		       p->inst_bundle_order ? " bundle-order" : "",
		       p->inst_bundle_newline ? " one-trailing-newline" : "",
		       p->inst_cn_in_san ? " cn-in-san" : "",
		       p->inst_key_bits ? " key-sizes-listed" : "",
		       p->inst_critical_ok ? " critical-ku-bc-only" : "");
		for (k = 0; p->inst_ku_keep != NULL && p->inst_ku_keep[k] != NULL; k++)
			printf(" keeps-ku=%s", p->inst_ku_keep[k]);
		putchar('\n');
	}
	stores_line(p);
	if (p->rev_crl || p->rev_ocsp || p->rev_staple)
		printf("%14s revocation:%s%s%s %s, fallback %s%s\n", "", p->rev_crl ? " crl" : "",
		       p->rev_ocsp ? " ocsp" : "", p->rev_staple ? " stapled" : "",
		       p->rev_all_cas ? "every certificate of the path" : "the end entity",
		       p->rev_fail_closed ? "revoked" : "not revoked",
		       p->rev_crl_expired_revokes ? ", an expired CRL revokes" : "");
	printf("%14s from %s:%d\n", "", p->src_file ? p->src_file : "?", p->src_line);
}

/* uctls profiles [--verbose | --dump] (ARGV[0] "profiles"). */
int
uctls_cmd_profiles(int argc, char **argv)
{
	const struct uctls_profile *p;
	int mode = 0; /* 1 verbose, 2 dump */
	unsigned i;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--verbose") != 0 &&
	                 strcmp(argv[1], "--dump") != 0 && strcmp(argv[1], "--help") != 0 &&
	                 strcmp(argv[1], "-h") != 0)) {
		fprintf(stderr, "uctls profiles: unexpected argument `%s'\n", argv[argc > 2 ? 2 : 1]);
		fprintf(stderr, "see uctls profiles --help\n");
		return 2;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(uctls_profiles_help, stdout);
		return 0;
	}
	if (argc == 2)
		mode = strcmp(argv[1], "--dump") == 0 ? 2 : 1;
	for (i = 0; (p = uctls_profile_at(i)) != NULL; i++) {
		if (mode == 2) {
			uctls_profile_dump(stdout, p);
			continue;
		}
		summary(p);
		if (mode == 1)
			uctls_profile_print_attrs(stdout, p, "                 ");
	}
	return 0;
}
