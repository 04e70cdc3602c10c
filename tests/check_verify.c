/* Verification diagnosis: each row is a PKI, what the peer sends, what the
 * verifier trusts and expects, and the reason uctls must name. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "pki.h"
#include "profile.h"
#include "scenario.h"
#include "testutil.h"
#include "verify.h"

/* A three-level PKI every row can use; rows add their own certificates. */
#define BASE_PKI                                                                            \
	"<ca id='root' subject='CN=Test Root'/>"                                                \
	"<ca id='int' issuer='root' subject='CN=Test Issuing CA'/>"                             \
	"<ca id='root2' subject='CN=Other Root'/>"

struct row {
	const char *what;
	const char *pki;     /* extra <ca>/<cert> elements */
	const char *sends;   /* ids, space-separated: chain[0] first */
	const char *trusts;  /* ids */
	const char *name;    /* expected name or NULL */
	const char *profile;
	int peer_is_server;
	const char *reason;  /* NULL: accepted */
	const char *detail_has; /* substring of the detail, or NULL */
	const char *also_has;   /* substring of some `also', or NULL */
};

static const struct row rows[] = {
	/* the passing baseline */
	{ "good chain", "<cert id='s' issuer='int' subject='CN=s.example.com' san='DNS:s.example.com'/>",
	  "s int", "root", "s.example.com", "generic", 1, NULL, NULL, NULL },
	/* intermediate neither sent nor trusted: named, and called an intermediate */
	{ "missing intermediate", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s'/>", "s",
	  "root", NULL, "generic", 1, "issuer-not-found", "CN=Test Issuing CA", NULL },
	/* the intermediate as a trust anchor is enough */
	{ "intermediate trusted", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s'/>", "s",
	  "int", NULL, "generic", 1, NULL, NULL, NULL },
	/* a root nobody trusts, sent */
	{ "untrusted root sent", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s'/>",
	  "s int root", "root2", NULL, "generic", 1, "untrusted-root", "CN=Test Root", NULL },
	/* a root nobody trusts, not sent */
	{ "untrusted root", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s'/>", "s int",
	  "root2", NULL, "generic", 1, "untrusted-root", "CN=Test Root", NULL },
	/* self-signed leaf */
	{ "self-signed", "<cert id='s' subject='CN=s' san='DNS:s'/>", "s", "root", NULL, "generic",
	  1, "self-signed", NULL, NULL },
	/* a certificate issued by an end-entity certificate */
	{ "signer not CA",
	  "<cert id='ee' issuer='int' subject='CN=ee'/><cert id='s' issuer='ee' subject='CN=s'/>",
	  "s ee int", "root", NULL, "generic", 1, "signer-not-ca", "CN=ee", NULL },
	/* pathLenConstraint 0 on int, but int issued another CA */
	{ "path length",
	  "<ca id='int0' issuer='root' subject='CN=Zero' path-len='0'/>"
	  "<ca id='sub' issuer='int0' subject='CN=Sub'/><cert id='s' issuer='sub' subject='CN=s'/>",
	  "s sub int0", "root", NULL, "generic", 1, "path-length", "pathLenConstraint 0", NULL },
	/* signature made with the wrong key */
	{ "bad signature", "<cert id='s' issuer='int' signed-with='root2' subject='CN=s'/>",
	  "s int", "root", NULL, "generic", 1, "bad-signature", NULL, NULL },
	/* SHA-1 leaf signature; legacy accepts it */
	{ "sha1", "<cert id='s' issuer='int' subject='CN=s' hash='sha1'/>", "s int", "root", NULL,
	  "generic", 1, "insecure-algorithm", "SHA1", NULL },
	{ "sha1 legacy", "<cert id='s' issuer='int' subject='CN=s' hash='sha1'/>", "s int", "root",
	  NULL, "legacy", 1, NULL, NULL, NULL },
	/* expired and not yet valid, against the scenario clock */
	{ "expired", "<cert id='s' issuer='int' subject='CN=s' not-before='-400d' not-after='-5d'/>",
	  "s int", "root", NULL, "generic", 1, "expired", "expired at", NULL },
	{ "not yet valid", "<cert id='s' issuer='int' subject='CN=s' not-before='+2d'/>", "s int",
	  "root", NULL, "generic", 1, "not-yet-valid", NULL, NULL },
	/* expiring soon is noted, not a failure */
	{ "expires soon", "<cert id='s' issuer='int' subject='CN=s' not-after='+3d'/>", "s int",
	  "root", NULL, "generic", 1, NULL, NULL, "expires in" },
	/* the first problem is the cause, the next is listed as also */
	{ "two problems", "<cert id='s' issuer='int' subject='CN=s' eku='clientAuth' not-after='-1d' not-before='-9d'/>",
	  "s int", "root", NULL, "generic", 1, "expired", NULL, "eku-server-auth-missing" },
	/* path building backtracks: the peer sends its root self-signed and
	 * cross-signed by the trusted root; the self-signed one is tried
	 * first and leads nowhere (RFC 4158) */
	{ "cross-signed root",
	  "<ca id='r3' subject='CN=Third Root'/>"
	  "<ca id='r3x' issuer='root' key-of='r3' subject='CN=Third Root'/>"
	  "<ca id='i3' issuer='r3' subject='CN=I3'/>"
	  "<cert id='s' issuer='i3' subject='CN=s' san='DNS:s'/>",
	  "s i3 r3 r3x", "root", "s", "generic", 1, NULL, NULL, NULL },
	/* two anchored paths, both failing: the one that gets further is
	 * reported, the other named as tried */
	{ "furthest path reported",
	  "<ca id='r3' subject='CN=Third Root'/>"
	  "<ca id='r3x' issuer='root' key-of='r3' subject='CN=Third Root' not-after='-1d' "
	  "not-before='-9d'/>"
	  "<ca id='r3y' issuer='root2' key-of='r3' subject='CN=Third Root'>"
	  "<extension oid='1.3.6.1.4.1.55555.1' critical='yes'/></ca>"
	  "<ca id='i3' issuer='r3' subject='CN=I3'/>"
	  "<cert id='s' issuer='i3' subject='CN=s' san='DNS:s'/>",
	  "s i3 r3x r3y", "root root2", "s", "generic", 1, "unknown-critical-extension", NULL,
	  "path building tried" },
	/* RFC 5280 6.1.4 (l): a self-issued CA (key rollover: same names,
	 * new key) does not count against pathLenConstraint */
	{ "self-issued not counted",
	  "<ca id='ia' issuer='root' subject='CN=IA' path-len='0'/>"
	  "<ca id='ianew' issuer='ia' subject='CN=IA'/>"
	  "<cert id='s' issuer='ianew' subject='CN=s' san='DNS:s'/>",
	  "s ianew ia", "root", "s", "generic", 1, NULL, NULL, NULL },
	/* an end-entity certificate that is a CA (RFC 5280 4.2.1.9) */
	{ "leaf is a CA", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s' basic-constraints='ca'/>",
	  "s int", "root", "s", "generic", 1, "leaf-is-ca", "cA=TRUE", NULL },
	{ "leaf is a CA, openssl", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s' basic-constraints='ca'/>",
	  "s int", "root", "s", "openssl", 1, NULL, NULL, NULL },
	/* basicConstraints not critical on a CA (RFC 5280 4.2.1.9) */
	{ "CA basicConstraints not critical",
	  "<ca id='i4' issuer='root' subject='CN=I4' critical='key-usage'/>"
	  "<cert id='s' issuer='i4' subject='CN=s' san='DNS:s'/>",
	  "s i4", "root", "s", "generic", 1, "bad-criticality", "CN=I4", NULL },
	/* name constraints of the intermediate: permitted .example.com */
	{ "name constraints",
	  "<ca id='nc' issuer='root' subject='CN=NC'><extension oid='2.5.29.30' critical='yes' "
	  "value='3012a010300e820c2e6578616d706c652e636f6d'/></ca>"
	  "<cert id='s' issuer='nc' subject='CN=www.evil.com' san='DNS:www.evil.com'/>",
	  "s nc", "root", "www.evil.com", "generic", 1, "name-constraints", "www.evil.com", NULL },
	{ "name constraints permit",
	  "<ca id='nc' issuer='root' subject='CN=NC'><extension oid='2.5.29.30' critical='yes' "
	  "value='3012a010300e820c2e6578616d706c652e636f6d'/></ca>"
	  "<cert id='s' issuer='nc' subject='CN=www.example.com' san='DNS:www.example.com'/>",
	  "s nc", "root", "www.example.com", "generic", 1, NULL, NULL, NULL },
	/* CA/B Forum BR 6.3.2: at most 398 days */
	{ "webpki validity",
	  "<cert id='s' issuer='int' subject='CN=s.example.com' san='DNS:s.example.com' "
	  "eku='serverAuth' not-before='-1d' not-after='+500d'>"
	  "<extension oid='1.3.6.1.5.5.7.1.1' value='3029302706082b06010505073002861b687474703a2f2f63612e6578616d706c652e636f6d2f692e637274'/><extension oid='2.5.29.32' value='300a3008060667810c010201'/></cert>",
	  "s int", "root", "s.example.com", "webpki", 1, "validity-period", "398", NULL },
	{ "webpki good",
	  "<cert id='s' issuer='int' subject='CN=s.example.com' san='DNS:s.example.com' "
	  "eku='serverAuth' not-before='-1d' not-after='+90d'>"
	  "<extension oid='1.3.6.1.5.5.7.1.1' value='3029302706082b06010505073002861b687474703a2f2f63612e6578616d706c652e636f6d2f692e637274'/><extension oid='2.5.29.32' value='300a3008060667810c010201'/></cert>",
	  "s int", "root", "s.example.com", "webpki", 1, NULL, NULL, NULL },
	/* stock OpenSSL: a trusted intermediate is no trust anchor without
	 * its root (no X509_V_FLAG_PARTIAL_CHAIN) */
	{ "openssl: intermediate trusted alone", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s'/>",
	  "s", "int", "s", "openssl", 1, "untrusted-root", "CN=Test Root", NULL },
	{ "openssl: intermediate and root trusted", "<cert id='s' issuer='int' subject='CN=s' san='DNS:s'/>",
	  "s", "int root", "s", "openssl", 1, NULL, NULL, NULL },
	/* EKU chained through the intermediate, as every common stack does */
	{ "intermediate EKU without serverAuth",
	  "<ca id='ic' issuer='root' subject='CN=Client CA' eku='clientAuth'/>"
	  "<cert id='s' issuer='ic' subject='CN=s' san='DNS:s' eku='serverAuth'/>",
	  "s ic", "root", "s", "generic", 1, "eku-server-auth-missing", "CN=Client CA", NULL },
	/* an IP address as the configured name: only an IP SAN matches it */
	{ "IP peer address", "<cert id='s' issuer='int' subject='CN=expe.example.com' san='DNS:expe.example.com'/>",
	  "s int", "root", "192.0.2.10", "generic", 1, "name-mismatch", "iPAddress SANs", NULL },
	/* a wildcard stands for one label only (RFC 9525 6.3) */
	{ "wildcard one label", "<cert id='s' issuer='int' subject='CN=example.com' san='DNS:*.example.com'/>",
	  "s int", "root", "conference.corp.example.com", "generic", 1, "name-mismatch",
	  "covers one label only", NULL },
	{ "wildcard not the domain", "<cert id='s' issuer='int' subject='CN=x' san='DNS:*.example.com'/>",
	  "s int", "root", "example.com", "generic", 1, "name-mismatch", "does not cover the domain",
	  NULL },
	/* unknown critical extension */
	{ "unknown critical",
	  "<cert id='s' issuer='int' subject='CN=s'><extension oid='1.3.6.1.4.1.55555.1' critical='yes'/></cert>",
	  "s int", "root", NULL, "generic", 1, "unknown-critical-extension", "1.3.6.1.4.1.55555.1",
	  NULL },
	/* the same extension, not critical, is fine */
	{ "unknown non-critical",
	  "<cert id='s' issuer='int' subject='CN=s'><extension oid='1.3.6.1.4.1.55555.1'/></cert>",
	  "s int", "root", NULL, "generic", 1, NULL, NULL, NULL },
	/* purposes */
	{ "no serverAuth", "<cert id='s' issuer='int' subject='CN=s' eku='clientAuth'/>", "s int",
	  "root", NULL, "generic", 1, "eku-server-auth-missing", NULL, NULL },
	{ "no clientAuth", "<cert id='s' issuer='int' subject='CN=s' eku='serverAuth'/>", "s int",
	  "root", NULL, "generic", 0, "eku-client-auth-missing", NULL, NULL },
	{ "EKU absent, generic", "<cert id='s' issuer='int' subject='CN=s' eku='none'/>", "s int",
	  "root", NULL, "generic", 0, NULL, NULL, NULL },
	{ "EKU absent, strict", "<cert id='s' issuer='int' subject='CN=s' eku='none'/>", "s int",
	  "root", NULL, "strict-mutual", 0, "eku-client-auth-missing", NULL, NULL },
	{ "key usage", "<cert id='s' issuer='int' subject='CN=s' key-usage='keyEncipherment'/>",
	  "s int", "root", NULL, "generic", 1, "key-usage", "digitalSignature", NULL },
	/* RSA-1024 below the generic minimum, accepted by legacy */
	{ "key size", "<cert id='s' issuer='int' subject='CN=s' key='rsa-1024'/>", "s int", "root",
	  NULL, "generic", 1, "key-size", "RSA-1024", NULL },
	{ "key size legacy", "<cert id='s' issuer='int' subject='CN=s' key='rsa-1024'/>", "s int",
	  "root", NULL, "legacy", 1, NULL, NULL, NULL },
	/* identity */
	{ "name mismatch", "<cert id='s' issuer='int' subject='CN=a.example.com' san='DNS:a.example.com'/>",
	  "s int", "root", "b.example.com", "generic", 1, "name-mismatch", "DNS:a.example.com", NULL },
	{ "CN only", "<cert id='s' issuer='int' subject='CN=a.example.com'/>", "s int", "root",
	  "a.example.com", "generic", 1, "cn-only-no-san", NULL, NULL },
	{ "CN only legacy", "<cert id='s' issuer='int' subject='CN=a.example.com'/>", "s int",
	  "root", "a.example.com", "legacy", 1, NULL, NULL, NULL },
	{ "wildcard", "<cert id='s' issuer='int' subject='CN=w' san='DNS:*.example.com'/>", "s int",
	  "root", "a.example.com", "generic", 1, NULL, NULL, NULL },
	{ "wildcard strict", "<cert id='s' issuer='int' subject='CN=w' san='DNS:*.example.com'/>",
	  "s int", "root", "a.example.com", "strict-mutual", 1, "wildcard-not-allowed", NULL, NULL },
	{ "IP SAN", "<cert id='s' issuer='int' subject='CN=w' san='IP:127.0.0.1'/>", "s int", "root",
	  "127.0.0.1", "generic", 1, NULL, NULL, NULL },
	/* nothing sent */
	{ "no cert", "", "", "root", NULL, "generic", 0, "no-client-cert", NULL, NULL },
};

static void
split(char *s, const char **out, size_t *n)
{
	char *tok, *save = NULL;

	*n = 0;
	for (tok = strtok_r(s, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
		out[(*n)++] = tok;
}

static struct uctls_keypool *pool;

static void
setup(void)
{
	pool = uctls_keypool_new();
	ck_assert_ptr_nonnull(pool);
}

static void
teardown(void)
{
	uctls_keypool_free(pool);
	tu_cleanup();
}

START_TEST(test_verify_row)
{
	const struct row *r = &rows[_i];
	char xml[4096], sends[256], trusts[256];
	struct uctls_scenario *sc = NULL;
	struct uctls_pki *pki = NULL;
	struct uctls_err err;
	struct uctls_verify_ctx ctx;
	struct uctls_diag d;
	gnutls_x509_crt_t chain[8], anchors[8];
	const char *ids[8];
	const char *names[1];
	size_t n, nt, i;
	int rv;

	snprintf(xml, sizeof(xml),
	         "<scenario name='v' family='tls'><clock now='2026-06-01T12:00:00Z'/>"
	         "<pki>" BASE_PKI "%s</pki>"
	         "<peer id='client' role='client' trusts='root'/>"
	         "<peer id='server' role='server'/></scenario>",
	         r->pki);
	uctls_err_clear(&err);
	ck_assert_msg(uctls_scenario_load(tu_write("v.xml", xml), &sc, &err) == 0, "%s: %s",
	              r->what, err.msg);
	ck_assert_msg(uctls_pki_build(sc, pool, &pki, &err) == 0, "%s: %s", r->what, err.msg);

	snprintf(sends, sizeof(sends), "%s", r->sends);
	split(sends, ids, &n);
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(chain[i] = uctls_pki_crt(pki, ids[i]));
	snprintf(trusts, sizeof(trusts), "%s", r->trusts);
	split(trusts, ids, &nt);
	for (i = 0; i < nt; i++)
		ck_assert_ptr_nonnull(anchors[i] = uctls_pki_crt(pki, ids[i]));

	memset(&ctx, 0, sizeof(ctx));
	ctx.profile = uctls_profile_find(r->profile);
	ck_assert_ptr_nonnull(ctx.profile);
	ctx.peer_is_server = r->peer_is_server;
	names[0] = r->name;
	ctx.names = names;
	ctx.nnames = r->name != NULL ? 1 : 0;
	ctx.trust = anchors;
	ctx.ntrust = nt;
	ctx.pki = pki;
	ctx.now = sc->now;
	ctx.verifier_id = "client";
	ctx.peer_id = "server";
	uctls_diag_init(&d);
	rv = uctls_verify_chain(&ctx, chain, n, &d);
	if (r->reason == NULL) {
		ck_assert_msg(rv == 0, "%s: rejected with %s: %s", r->what,
		              d.reason ? d.reason : "?", d.detail ? d.detail : "");
	} else {
		ck_assert_msg(rv == 1, "%s: accepted, expected %s", r->what, r->reason);
		ck_assert_msg(strcmp(d.reason, r->reason) == 0, "%s: reason %s (%s), expected %s",
		              r->what, d.reason, d.detail, r->reason);
		ck_assert_ptr_nonnull(d.detail);
		ck_assert_ptr_nonnull(d.hint);
		ck_assert_int_ne(d.alert, 0);
	}
	if (r->detail_has != NULL)
		ck_assert_msg(d.detail != NULL && strstr(d.detail, r->detail_has) != NULL,
		              "%s: detail `%s' lacks `%s'", r->what, d.detail ? d.detail : "",
		              r->detail_has);
	if (r->also_has != NULL) {
		int found = 0;

		for (i = 0; i < d.nalso; i++)
			found |= strstr(d.also[i], r->also_has) != NULL;
		ck_assert_msg(found, "%s: no `also' mentions `%s'", r->what, r->also_has);
	}
	uctls_diag_clear(&d);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
}
END_TEST

/* The alert a device sends follows the reason. */
START_TEST(test_alert_map)
{
	ck_assert_int_eq(uctls_verify_alert_for("issuer-not-found"), GNUTLS_A_UNKNOWN_CA);
	ck_assert_int_eq(uctls_verify_alert_for("expired"), GNUTLS_A_CERTIFICATE_EXPIRED);
	ck_assert_int_eq(uctls_verify_alert_for("eku-client-auth-missing"),
	                 GNUTLS_A_UNSUPPORTED_CERTIFICATE);
	ck_assert_int_eq(uctls_verify_alert_for("name-mismatch"), GNUTLS_A_BAD_CERTIFICATE);
}
END_TEST

Suite *
make_verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("diagnosis");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_verify_row, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_alert_map);
	suite_add_tcase(s, tc);
	return s;
}
