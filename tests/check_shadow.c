/* Check tests for trust-shadow.h (one trusted certificate per subject) and
 * ssh-subject.h (the subject attributes the MRA SSH tunnel accepts), one
 * row per case, on the certificates of one scenario's PKI. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "check_suites.h"
#include "pki.h"
#include "profile.h"
#include "scenario.h"
#include "ssh-subject.h"
#include "steplog.h"
#include "testutil.h"
#include "trust-shadow.h"

/* Self-signed: a and b with one subject, c another CN, d a's CN in another
 * DN; CA-issued: ev (an EV subject with the guide's example of an OID openssl
 * does not decode, 1.3.6.1.4.1.6449.1.2.1.5.1) and evok (the EV
 * attributes Expressway accepts only), both CN=e. */
static const char scenario[] =
	"<scenario name=\"s\" family=\"https\">\n"
	"<pki><ca id=\"root\" subject=\"CN=r\" key=\"rsa-2048\"/>\n"
	"<cert id=\"a\" subject=\"CN=cucm1.example.com,O=Example\" key=\"rsa-2048\"/>\n"
	"<cert id=\"b\" subject=\"CN=cucm1.example.com,O=Example\" key=\"rsa-2048\"/>\n"
	"<cert id=\"c\" subject=\"CN=other.example.com,O=Example\" key=\"rsa-2048\"/>\n"
	"<cert id=\"d\" subject=\"CN=cucm1.example.com,O=Elsewhere\" key=\"rsa-2048\"/>\n"
	"<cert id=\"ev\" issuer=\"root\" subject=\"CN=e,O=X,C=US,1.3.6.1.4.1.6449.1.2.1.5.1=#0C074578616D706C65,"
	"businessCategory=Private Organization,serialNumber=42\" key=\"rsa-2048\"/>\n"
	"<cert id=\"evok\" issuer=\"root\" subject=\"CN=e,O=X,C=US,"
	"1.3.6.1.4.1.311.60.2.1.3=US,businessCategory=Private Organization,"
	"serialNumber=42\" key=\"rsa-2048\"/></pki>\n"
	"<peer id=\"A\" role=\"client\" profile=\"expressway-c-https\" trusts=\"a b\"/>\n"
	"<peer id=\"B\" role=\"server\" profile=\"cucm-tomcat\" sends=\"b\" trusts=\"root\"/>\n"
	"</scenario>\n";

static struct uctls_scenario *sc;
static struct uctls_keypool *pool;
static struct uctls_pki *pki;

static void
setup(void)
{
	struct uctls_err err;

	uctls_err_clear(&err);
	ck_assert_msg(uctls_scenario_load(tu_write("shadow.xml", scenario), &sc, &err) == 0, "%s",
	              err.msg);
	pool = uctls_keypool_new();
	ck_assert_ptr_nonnull(pool);
	ck_assert_msg(uctls_pki_build(sc, pool, &pki, &err) == 0, "%s", err.msg);
}

static void
teardown(void)
{
	uctls_pki_free(pki);
	uctls_keypool_free(pool);
	uctls_scenario_free(sc);
	tu_cleanup();
}

static const struct split_row {
	const char *trusts;       /* the trust list, in order */
	const char *kept, *gone;  /* what is used; "ID<BY" per shadowed one */
} split_rows[] = {
	/* the second of one subject is shadowed by the first */
	{ "a b c", "a c", "b<a" },
	/* the order decides: b first, a shadowed */
	{ "b a", "b", "a<b" },
	/* the guide compares the CN: another DN with the same CN is shadowed */
	{ "a d", "a", "d<a" },
	/* CA-issued certificates with one CN are all kept (a CA renewed under
	 * its name, with a new key) */
	{ "ev evok", "ev evok", "" },
	/* the same certificate listed twice is not shadowed by itself */
	{ "a a", "a a", "" },
	/* three of one subject: both later ones by the first */
	{ "c a b", "c a", "b<a" },
	{ "", "", "" },
};
#define NSPLIT (sizeof(split_rows) / sizeof(split_rows[0]))

START_TEST(test_split)
{
	const struct split_row *r = &split_rows[_i];
	char buf[256], *ids[8], got[256];
	struct uctls_shadow sh;
	size_t n = 0, i, l = 0;
	char *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", r->trusts);
	for (p = strtok_r(buf, " ", &save); p != NULL && n < 8; p = strtok_r(NULL, " ", &save))
		ids[n++] = p;
	ck_assert_int_eq(uctls_shadow_split(pki, ids, n, &sh), 0);
	got[0] = '\0';
	for (i = 0; i < sh.nkept; i++)
		l += (size_t)snprintf(got + l, sizeof(got) - l, "%s%s", i ? " " : "", sh.kept[i]);
	ck_assert_msg(strcmp(got, r->kept) == 0, "row %d kept `%s', want `%s'", _i, got, r->kept);
	got[0] = '\0';
	for (i = 0, l = 0; i < sh.ngone; i++)
		l += (size_t)snprintf(got + l, sizeof(got) - l, "%s%s<%s", i ? " " : "", sh.gone[i],
		                      sh.by[i]);
	ck_assert_msg(strcmp(got, r->gone) == 0, "row %d gone `%s', want `%s'", _i, got, r->gone);
	uctls_shadow_clear(&sh);
}
END_TEST

/* A failure on the trust list "a b" against B's chain (b): the detail names
 * the shadowing certificate and the hint is the guide's advice; another
 * reason is left alone. */
START_TEST(test_note)
{
	char *ids[2] = { "a", "b" };
	struct uctls_shadow sh;
	struct uctls_step rec;

	ck_assert_int_eq(uctls_shadow_split(pki, ids, 2, &sh), 0);
	memset(&rec, 0, sizeof(rec));
	rec.reason = strdup("self-signed");
	rec.detail = strdup("B presented a self-signed certificate");
	ck_assert_int_eq(uctls_shadow_note(&rec, &sh, sc, pki, uctls_scenario_peer(sc, "B")), 0);
	ck_assert_msg(strstr(rec.detail, "`b' is listed there, but `a', a self-signed certificate "
	                                 "with the same CN earlier in the list, shadows it") != NULL,
	              "%s", rec.detail);
	ck_assert_ptr_nonnull(rec.hint);
	ck_assert_msg(strstr(rec.hint, "a certificate with the same subject "
	                               "(CN=cucm1.example.com) earlier in the trust list "
	                               "shadows `b'; give the CallManager and tomcat certificates "
	                               "distinct CNs or use CA-signed certificates") != NULL,
	              "%s", rec.hint);
	free(rec.reason);
	rec.reason = strdup("expired");
	free(rec.hint);
	rec.hint = NULL;
	ck_assert_int_eq(uctls_shadow_note(&rec, &sh, sc, pki, uctls_scenario_peer(sc, "B")), 0);
	ck_assert_ptr_null(rec.hint);
	free(rec.reason);
	free(rec.detail);
	uctls_shadow_clear(&sh);
}
END_TEST

/* The attributes of a certificate's subject against the Expressway list. */
START_TEST(test_ssh_subject)
{
	const struct uctls_profile *p = uctls_profile_find("expressway-c");
	static const char *const cn_only[] = { "2.5.4.3", NULL };
	gnutls_datum_t der = { NULL, 0 };
	char oid[128];
	unsigned cut;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(p->ssh_subject_oids);
	ck_assert_int_eq(gnutls_x509_crt_export2(uctls_pki_crt(pki, "ev"), GNUTLS_X509_FMT_DER, &der),
	                 0);
	ck_assert_int_eq(uctls_ssh_subject_bad(p->ssh_subject_oids, der.data, der.size, oid,
	                                       sizeof(oid)), 1);
	ck_assert_str_eq(oid, "1.3.6.1.4.1.6449.1.2.1.5.1");
	ck_assert_str_eq(uctls_ssh_subject_name(oid), "1.3.6.1.4.1.6449.1.2.1.5.1");
	/* no list: anything goes */
	ck_assert_int_eq(uctls_ssh_subject_bad(NULL, der.data, der.size, oid, sizeof(oid)), 0);
	gnutls_free(der.data);
	ck_assert_int_eq(gnutls_x509_crt_export2(uctls_pki_crt(pki, "evok"), GNUTLS_X509_FMT_DER,
	                                         &der), 0);
	ck_assert_int_eq(uctls_ssh_subject_bad(p->ssh_subject_oids, der.data, der.size, oid,
	                                       sizeof(oid)), 0);
	/* a list of the CN alone: the first refused in the encoding, which is
	 * the string's last (RFC 4514 2.1 writes the RDNs in reverse) */
	ck_assert_int_eq(uctls_ssh_subject_bad(cn_only, der.data, der.size, oid, sizeof(oid)), 1);
	ck_assert_str_eq(oid, "2.5.4.5");
	/* not a certificate: every truncation of one is refused, none read
	 * past its end (ASan, valgrind) */
	for (cut = 0; cut < der.size; cut++)
		ck_assert_int_eq(uctls_ssh_subject_bad(cn_only, der.data, cut, oid, sizeof(oid)), -1);
	gnutls_free(der.data);
}
END_TEST

static const struct keep_row {
	const char *subject, *want; /* want NULL: nothing dropped */
} keep_rows[] = {
	{ "CN=a,O=b,1.3.6.1.4.1.6449.1.2.1.5.1=#0C0178,C=US", "CN=a,O=b,C=US" },
	/* by OID and by name, the EV attributes kept; postalCode (decoded by
	 * name) kept */
	{ "CN=a,2.5.4.17=1,1.2.3.4=#0C0178,1.3.6.1.4.1.311.60.2.1.3=US,businessCategory=Private Organization",
	  "CN=a,2.5.4.17=1,1.3.6.1.4.1.311.60.2.1.3=US,businessCategory=Private Organization" },
	/* an escaped comma stays inside its value */
	{ "CN=a\\,b,1.2.3.4=x,OU=x", "CN=a\\,b,OU=x" },
	/* OpenSSL's name of the e-mail attribute */
	{ "CN=a,emailAddress=x@example.com", NULL },
	{ "CN=a,O=b", NULL },
};
#define NKEEP (sizeof(keep_rows) / sizeof(keep_rows[0]))

START_TEST(test_keep)
{
	const struct keep_row *r = &keep_rows[_i];
	char *got = uctls_ssh_subject_keep(uctls_profile_find("expressway-e")->ssh_subject_oids,
	                                   r->subject);

	if (r->want == NULL)
		ck_assert_msg(got == NULL, "row %d: `%s'", _i, got);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, r->want);
	}
	free(got);
}
END_TEST

Suite *
make_shadow_suite(void)
{
	Suite *s = suite_create("shadow");
	TCase *tc = tcase_create("trust-shadow");
	TCase *tk = tcase_create("ssh-subject-keep");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_split, 0, (int)NSPLIT);
	tcase_add_test(tc, test_note);
	tcase_add_test(tc, test_ssh_subject);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(tk, test_keep, 0, (int)NKEEP);
	suite_add_tcase(s, tk);
	return s;
}
