#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "ident.h"

/* Identity matching rows: RFC 6125 section 6 / RFC 9525 section 6.
 * SANS is a space-separated list of TYPE:value (TYPE as in the scenario
 * format: DNS, IP, URI, email, XMPP); CNS a space-separated list of subject
 * CN values.  MATCHED is the presented name expected in *matched (NULL: no
 * name). */
struct ident_row {
	const char *ref;
	const char *sans;
	const char *cns;
	int cn_fallback;
	int wildcard;
	enum uctls_ident_result want;
	const char *matched;
};

#define M UCTLS_IDENT_MATCH
#define X UCTLS_IDENT_MISMATCH
#define CN UCTLS_IDENT_CN_ONLY
#define WR UCTLS_IDENT_WILDCARD_REFUSED
#define XM 2 /* or-ed into `wildcard': the xmpp-server identity rules */
#define SU 4 /* or-ed into `wildcard': the RFC 5922 sip: URI rule */

static const struct ident_row rows[] = {
	/* plain DNS-ID, exact */
	{ "www.example.com", "DNS:www.example.com", NULL, 0, 1, M, "www.example.com" },
	/* case-insensitive comparison (RFC 6125 6.4.1) */
	{ "WWW.Example.COM", "DNS:www.example.com", NULL, 0, 1, M, "www.example.com" },
	/* trailing dot on the reference identifier is ignored */
	{ "www.example.com.", "DNS:www.example.com", NULL, 0, 1, M, "www.example.com" },
	/* trailing dot on the presented identifier is ignored */
	{ "www.example.com", "DNS:www.example.com.", NULL, 0, 1, M, "www.example.com." },
	/* any DNS-ID may match, not only the first */
	{ "b.example.com", "DNS:a.example.com DNS:b.example.com", NULL, 0, 1, M, "b.example.com" },
	/* no DNS-ID matches */
	{ "www.example.org", "DNS:www.example.com", NULL, 0, 1, X, NULL },
	/* a suffix is not a match */
	{ "example.com", "DNS:www.example.com", NULL, 0, 1, X, NULL },
	/* wildcard stands for exactly one label (RFC 6125 6.4.3) */
	{ "www.example.com", "DNS:*.example.com", NULL, 0, 1, M, "*.example.com" },
	/* wildcard does not span two labels */
	{ "a.b.example.com", "DNS:*.example.com", NULL, 0, 1, X, NULL },
	/* wildcard does not match the bare parent domain */
	{ "example.com", "DNS:*.example.com", NULL, 0, 1, X, NULL },
	/* `*.com': fewer than two labels after the wildcard */
	{ "example.com", "DNS:*.com", NULL, 0, 1, X, NULL },
	/* `*' alone is no pattern */
	{ "com", "DNS:*", NULL, 0, 1, X, NULL },
	/* two labels after `*': accepted (no public-suffix list) */
	{ "example.co.uk", "DNS:*.co.uk", NULL, 0, 1, M, "*.co.uk" },
	/* partial-label wildcard `f*' never matches (RFC 9525 6.3) */
	{ "foo.example.com", "DNS:f*.example.com", NULL, 0, 1, X, NULL },
	/* partial-label wildcard `*oo' never matches */
	{ "foo.example.com", "DNS:*oo.example.com", NULL, 0, 1, X, NULL },
	/* wildcard only in the left-most label */
	{ "www.foo.example.com", "DNS:www.*.example.com", NULL, 0, 1, X, NULL },
	/* wildcard pattern with a trailing dot */
	{ "www.example.com", "DNS:*.example.com.", NULL, 0, 1, M, "*.example.com." },
	/* only a wildcard matches and wildcards are not allowed */
	{ "www.example.com", "DNS:*.example.com", NULL, 0, 0, WR, "*.example.com" },
	/* an exact DNS-ID matches even when wildcards are refused */
	{ "www.example.com", "DNS:*.example.com DNS:www.example.com", NULL, 0, 0, M, "www.example.com" },
	/* the exact DNS-ID is reported in preference to an earlier wildcard */
	{ "www.example.com", "DNS:*.example.com DNS:www.example.com", NULL, 0, 1, M, "www.example.com" },
	/* a reference identifier never contains a wildcard (RFC 6125 6.2.1) */
	{ "*.example.com", "DNS:*.example.com", NULL, 0, 1, X, NULL },
	/* IDNA A-label compared as ASCII */
	{ "xn--bcher-kva.example.com", "DNS:xn--bcher-kva.example.com", NULL, 0, 1, M, "xn--bcher-kva.example.com" },
	/* A-label compared case-insensitively */
	{ "XN--BCHER-KVA.example.com", "DNS:xn--bcher-kva.example.com", NULL, 0, 1, M, "xn--bcher-kva.example.com" },
	/* a U-label is not a valid dNSName: never matches */
	{ "b\xc3\xbc" "cher.example.com", "DNS:b\xc3\xbc" "cher.example.com", NULL, 0, 1, X, NULL },
	/* a wildcard matches a whole A-label */
	{ "xn--bcher-kva.example.com", "DNS:*.example.com", NULL, 0, 1, M, "*.example.com" },
	/* a wildcard inside an A-label is refused (RFC 6125 6.4.3) */
	{ "xn--bcher-kva.example.com", "DNS:xn--*.example.com", NULL, 0, 1, X, NULL },
	/* an empty label in the presented name never matches */
	{ "www.example.com", "DNS:www..example.com", NULL, 0, 1, X, NULL },
	/* IPv4 reference matches an iPAddress SAN */
	{ "192.0.2.1", "IP:192.0.2.1", NULL, 0, 1, M, "192.0.2.1" },
	/* IPv6 compared as addresses, not as text */
	{ "2001:db8::1", "IP:2001:0db8:0:0:0:0:0:1", NULL, 0, 1, M, "2001:0db8:0:0:0:0:0:1" },
	/* bracketed IPv6 reference (URI form) */
	{ "[::1]", "IP:::1", NULL, 0, 1, M, "::1" },
	/* a different address */
	{ "192.0.2.2", "IP:192.0.2.1", NULL, 0, 1, X, NULL },
	/* IPv4 and its IPv4-mapped IPv6 form are different iPAddress values */
	{ "192.0.2.1", "IP:::ffff:192.0.2.1", NULL, 0, 1, X, NULL },
	/* an IP reference never matches a dNSName spelling the address */
	{ "192.0.2.1", "DNS:192.0.2.1", NULL, 0, 1, X, NULL },
	/* an IP reference in the CN only: never consulted, even with fallback */
	{ "192.0.2.1", NULL, "192.0.2.1", 1, 1, CN, "192.0.2.1" },
	/* a DNS reference does not match an iPAddress SAN */
	{ "www.example.com", "IP:192.0.2.1", NULL, 0, 1, X, NULL },
	/* a sip: URI SAN is not a DNS-ID (SIP profile, RFC 5922 7.1) */
	{ "example.com", "URI:sip:example.com", NULL, 0, 1, X, NULL },
	/* an XmppAddr SAN is not a DNS-ID (XMPP profile, RFC 7590) */
	{ "example.com", "XMPP:example.com", NULL, 0, 1, X, NULL },
	/* an email SAN is not a DNS-ID */
	{ "example.com", "email:example.com", NULL, 0, 1, X, NULL },
	/* CN-ID fallback: no SAN at all (RFC 6125 6.4.4) */
	{ "www.example.com", NULL, "www.example.com", 1, 1, M, "www.example.com" },
	/* CN matches but fallback is off (RFC 9525): cn-only-no-san */
	{ "www.example.com", NULL, "www.example.com", 0, 1, CN, "www.example.com" },
	/* CN matches, fallback on, but a DNS-ID exists: CN not consulted */
	{ "www.example.com", "DNS:other.example.com", "www.example.com", 1, 1, CN, "www.example.com" },
	/* CN matches, fallback on, but an iPAddress SAN exists: CN not consulted */
	{ "www.example.com", "IP:192.0.2.1", "www.example.com", 1, 1, CN, "www.example.com" },
	/* a URI SAN alone does not block the CN fallback here */
	{ "example.com", "URI:sip:example.com", "example.com", 1, 1, M, "example.com" },
	/* CN fallback with a different CN */
	{ "www.example.com", NULL, "other.example.com", 1, 1, X, NULL },
	/* CN fallback: any CN value may match */
	{ "www.example.com", NULL, "a.example.com www.example.com", 1, 1, M, "www.example.com" },
	/* CN fallback honours a wildcard CN */
	{ "www.example.com", NULL, "*.example.com", 1, 1, M, "*.example.com" },
	/* CN fallback with a wildcard CN and wildcards refused */
	{ "www.example.com", NULL, "*.example.com", 1, 0, WR, "*.example.com" },
	/* CN fallback: CN comparison is case-insensitive too */
	{ "www.example.com", NULL, "WWW.EXAMPLE.COM", 1, 1, M, "WWW.EXAMPLE.COM" },
	/* a refused SAN wildcard is reported before a CN that is not consulted */
	{ "www.example.com", "DNS:*.example.com", "www.example.com", 0, 0, WR, "*.example.com" },
	/* a wildcard CN not consulted: still cn-only */
	{ "www.example.com", NULL, "*.example.com", 0, 0, CN, "*.example.com" },
	/* no names at all */
	{ "www.example.com", NULL, NULL, 1, 1, X, NULL },
	/* empty reference identifier */
	{ "", "DNS:www.example.com", "www.example.com", 1, 1, X, NULL },
	/* XMPP: SRV-ID for the xmpp-server service (RFC 6125 6.5.1, RFC 7590) */
	{ "example.com", "SRV:_xmpp-server.example.com", NULL, 0, 1 | XM, M, "_xmpp-server.example.com" },
	/* the same SRV-ID means nothing without the XMPP rules */
	{ "example.com", "SRV:_xmpp-server.example.com", NULL, 0, 1, X, NULL },
	/* XmppAddr that is the domain (RFC 6120 13.7.1.4) */
	{ "example.com", "XMPP:example.com", NULL, 0, 1 | XM, M, "example.com" },
	/* an SRV-ID of another service does not identify an XMPP server */
	{ "example.com", "SRV:_xmpp-client.example.com", NULL, 0, 1 | XM, X, NULL },
	/* an SRV-ID names one domain, not its subdomains */
	{ "conference.example.com", "SRV:_xmpp-server.example.com", NULL, 0, 1 | XM, X, NULL },
	/* RFC 5922 7.1: a sip: URI SAN names the domain */
	{ "example.com", "URI:sip:example.com", NULL, 0, 1 | SU, M, "sip:example.com" },
	/* ... but not without the SIP rules */
	{ "example.com", "URI:sip:example.com", NULL, 0, 1, X, NULL },
	/* a sip: URI with a user part names a user, not the domain */
	{ "example.com", "URI:sip:alice@example.com", NULL, 0, 1 | SU, X, NULL },
	/* with a sip: URI SAN, dNSName is not examined (RFC 5922 7.1) */
	{ "example.com", "URI:sip:other.org DNS:example.com", NULL, 0, 1 | SU, X, NULL },
	/* parameters and a port are not part of the domain (RFC 5922 7.2) */
	{ "example.com", "URI:sip:example.com;transport=tls", NULL, 0, 1 | SU, M,
	  "sip:example.com;transport=tls" },
	{ "example.com", "URI:sip:example.com:5061", NULL, 0, 1 | SU, M, "sip:example.com:5061" },
	/* a sip: URI SAN stops the CN fallback (RFC 5922 7.1) */
	{ "example.com", "URI:sip:other.org", "example.com", 1, 1 | SU, CN, "example.com" },
	/* CUCM-style: the CN is always a name, SANs or not */
	{ "cup.example.com", "DNS:other.example.com", "cup.example.com", 2, 1, M, "cup.example.com" },
	/* an SRV-ID is a SAN identifier: the CN is not consulted (RFC 6125 6.4.4) */
	{ "example.com", "SRV:_xmpp-server.other.org", "example.com", 1, 1 | XM, CN, "example.com" },
};

/* Builds the SAN and CN arrays of a row (owned by the caller). */
static void
build(const struct ident_row *r, struct uctls_ident_names *n, char **buf)
{
	struct uctls_san *sans;
	char **cns, *tok, *save, *colon;
	size_t len = (r->sans ? strlen(r->sans) : 0) + (r->cns ? strlen(r->cns) : 0) + 2;

	*buf = malloc(len);
	ck_assert_ptr_nonnull(*buf);
	snprintf(*buf, len, "%s", r->sans ? r->sans : "");
	sans = calloc(8, sizeof(*sans));
	cns = calloc(8, sizeof(*cns));
	ck_assert_ptr_nonnull(sans);
	ck_assert_ptr_nonnull(cns);
	memset(n, 0, sizeof(*n));
	for (tok = strtok_r(*buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		colon = strchr(tok, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		if (strcmp(tok, "DNS") == 0)
			sans[n->nsans].type = UCTLS_SAN_DNS;
		else if (strcmp(tok, "IP") == 0)
			sans[n->nsans].type = UCTLS_SAN_IP;
		else if (strcmp(tok, "URI") == 0)
			sans[n->nsans].type = UCTLS_SAN_URI;
		else if (strcmp(tok, "email") == 0)
			sans[n->nsans].type = UCTLS_SAN_EMAIL;
		else if (strcmp(tok, "XMPP") == 0)
			sans[n->nsans].type = UCTLS_SAN_XMPP;
		else if (strcmp(tok, "SRV") == 0)
			sans[n->nsans].type = UCTLS_SAN_SRV;
		else
			ck_abort_msg("bad SAN type in row: %s", tok);
		sans[n->nsans++].value = colon + 1;
	}
	n->sans = sans;
	/* CNs go after the SAN text in the same buffer. */
	if (r->cns != NULL) {
		char *c = *buf + (r->sans ? strlen(r->sans) : 0) + 1;

		memcpy(c, r->cns, strlen(r->cns) + 1);
		for (tok = strtok_r(c, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
			cns[n->ncns++] = tok;
	}
	n->cns = (const char *const *)cns;
}

/* 1 when P is one of the presented names of N (a borrowed pointer). */
static int
borrowed(const struct uctls_ident_names *n, const char *p)
{
	size_t i;

	for (i = 0; i < n->nsans; i++)
		if (p == n->sans[i].value)
			return 1;
	for (i = 0; i < n->ncns; i++)
		if (p == n->cns[i])
			return 1;
	return 0;
}

START_TEST(test_ident_rows)
{
	const struct ident_row *r = &rows[_i];
	struct uctls_ident_names names;
	struct uctls_ident_rules rules = { r->cn_fallback, r->wildcard & 1, (r->wildcard & XM) != 0,
	                                   (r->wildcard & SU) != 0 };
	const char *matched = "sentinel";
	enum uctls_ident_result got;
	char *buf;

	build(r, &names, &buf);
	got = uctls_ident_match(r->ref, &names, &rules, &matched);
	ck_assert_msg(got == r->want, "row %d (%s vs %s|%s): got %d, want %d", _i,
	              r->ref, r->sans ? r->sans : "-", r->cns ? r->cns : "-",
	              (int)got, (int)r->want);
	if (r->matched == NULL) {
		ck_assert_msg(matched == NULL, "row %d: matched %s, want NULL", _i,
		              matched);
	} else {
		ck_assert_msg(matched != NULL && strcmp(matched, r->matched) == 0,
		              "row %d: matched %s, want %s", _i,
		              matched ? matched : "NULL", r->matched);
		ck_assert_msg(borrowed(&names, matched),
		              "row %d: matched is not a pointer into the names", _i);
	}
	/* MATCHED may be NULL: same result. */
	ck_assert_int_eq(uctls_ident_match(r->ref, &names, &rules, NULL), r->want);
	free((void *)names.sans);
	free((void *)names.cns);
	free(buf);
}
END_TEST

/* The pattern matcher on its own, wildcard flag explicit. */
static const struct {
	const char *pattern, *name;
	int wildcard, want;
} dns_rows[] = {
	/* exact, mixed case and trailing dots */
	{ "Example.COM.", "example.com", 0, 1 },
	/* wildcard honoured when allowed */
	{ "*.example.com", "a.example.com", 1, 1 },
	/* wildcard not honoured when refused */
	{ "*.example.com", "a.example.com", 0, 0 },
	/* the name may not itself contain a wildcard */
	{ "*.example.com", "*.example.com", 1, 0 },
	/* wildcard never matches an empty label */
	{ "*.example.com", ".example.com", 1, 0 },
	/* NULL pattern */
	{ NULL, "example.com", 1, 0 },
	/* NULL name */
	{ "example.com", NULL, 1, 0 },
};

START_TEST(test_dns_rows)
{
	ck_assert_int_eq(uctls_ident_dns_match(dns_rows[_i].pattern, dns_rows[_i].name,
	                                       dns_rows[_i].wildcard),
	                 dns_rows[_i].want);
}
END_TEST

/* NULL names and rules are tolerated: nothing matches. */
START_TEST(test_ident_null)
{
	const char *m = "x";

	ck_assert_int_eq(uctls_ident_match("www.example.com", NULL, NULL, &m),
	                 UCTLS_IDENT_MISMATCH);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(uctls_ident_match(NULL, NULL, NULL, NULL), UCTLS_IDENT_MISMATCH);
}
END_TEST

Suite *
make_ident_suite(void)
{
	Suite *s = suite_create("ident");
	TCase *tc = tcase_create("match");

	tcase_add_loop_test(tc, test_ident_rows, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_loop_test(tc, test_dns_rows, 0,
	                    (int)(sizeof(dns_rows) / sizeof(dns_rows[0])));
	tcase_add_test(tc, test_ident_null);
	suite_add_tcase(s, tc);
	return s;
}
