/* Check suite for src/pki.c: the key pool and uctls_pki_build().
 *
 * Scenarios are built by hand (plain data, see src/scenario.h) so these
 * tests do not depend on the loader.  Every generated certificate is read
 * back through GnuTLS's own parsers and verifiers. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "check_suites.h"
#include "pki.h"
#include "scenario.h"
#include "testutil.h"

#define MAXCERTS 8
#define DAY 86400

#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define OID_XMPP "1.3.6.1.5.5.7.8.5"

/* ------------------------------------------------------------------------
 * Hand-built scenarios
 */

static char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void
set_str(char **field, const char *s)
{
	free(*field);
	*field = xstrdup(s);
}

static struct uctls_scenario *
sc_new(void)
{
	struct uctls_scenario *sc = calloc(1, sizeof(*sc));

	ck_assert_ptr_nonnull(sc);
	sc->file = xstrdup("pki-test.xml");
	sc->dir = xstrdup(".");
	sc->name = xstrdup("pki-test");
	sc->family = xstrdup("tls");
	sc->now = time(NULL);
	sc->certs = calloc(MAXCERTS, sizeof(*sc->certs));
	ck_assert_ptr_nonnull(sc->certs);
	return sc;
}

/* Appends a <ca>/<cert> with the defaults of docs/uctls-scenario.5 (what
 * the loader would produce), valid from a day ago for a year.  Line =
 * 10 + position, so error messages are predictable. */
static struct uctls_certdef *
add_cert(struct uctls_scenario *sc, const char *id, int is_ca,
         const char *issuer, const char *subject)
{
	struct uctls_certdef *d;

	ck_assert_uint_lt(sc->ncerts, MAXCERTS);
	d = &sc->certs[sc->ncerts++];
	memset(d, 0, sizeof(*d));
	d->id = xstrdup(id);
	d->line = 10 + (int)sc->ncerts;
	d->is_ca = is_ca;
	d->file_index = 1;
	d->subject = xstrdup(subject);
	d->issuer = xstrdup(issuer);
	d->key = UCTLS_KEY_ECDSA_P256;
	d->hash = UCTLS_HASH_SHA256;
	d->has_key_usage = 1;
	d->key_usage = is_ca ? UCTLS_KU_KEY_CERT_SIGN | UCTLS_KU_CRL_SIGN
	                     : UCTLS_KU_DIGITAL_SIGNATURE;
	d->has_eku = !is_ca;
	if (!is_ca) {
		d->eku = calloc(2, sizeof(char *));
		ck_assert_ptr_nonnull(d->eku);
		d->eku[0] = xstrdup(OID_SERVER_AUTH);
		d->eku[1] = xstrdup(OID_CLIENT_AUTH);
		d->neku = 2;
	}
	d->has_basic_constraints = 1;
	d->bc_ca = is_ca;
	d->path_len = -1;
	d->critical = UCTLS_CRIT_BASIC_CONSTRAINTS | UCTLS_CRIT_KEY_USAGE;
	d->not_before = sc->now - DAY;
	d->not_after = sc->now + 365 * DAY;
	return d;
}

/* A <ca>/<cert> loaded from PEM. */
static struct uctls_certdef *
add_file(struct uctls_scenario *sc, const char *id, int is_ca,
         const char *file, int index, const char *key_file)
{
	struct uctls_certdef *d;

	ck_assert_uint_lt(sc->ncerts, MAXCERTS);
	d = &sc->certs[sc->ncerts++];
	memset(d, 0, sizeof(*d));
	d->id = xstrdup(id);
	d->line = 10 + (int)sc->ncerts;
	d->is_ca = is_ca;
	d->file = xstrdup(file);
	d->file_index = index;
	d->key_file = xstrdup(key_file);
	return d;
}

/* "DNS:a,IP:1.2.3.4,XMPP:b" -> d->sans (the loader's job, in small). */
static void
set_sans(struct uctls_certdef *d, const char *spec)
{
	static const struct {
		const char *prefix;
		enum uctls_san_type type;
	} types[] = {
		{ "DNS:", UCTLS_SAN_DNS },     { "IP:", UCTLS_SAN_IP },
		{ "URI:", UCTLS_SAN_URI },     { "email:", UCTLS_SAN_EMAIL },
		{ "XMPP:", UCTLS_SAN_XMPP },
	};
	char *copy = xstrdup(spec), *tok, *save = NULL;
	size_t i;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strncmp(tok, types[i].prefix,
			            strlen(types[i].prefix)) == 0)
				break;
		ck_assert_uint_lt(i, sizeof(types) / sizeof(types[0]));
		d->sans = realloc(d->sans, (d->nsans + 1) * sizeof(*d->sans));
		ck_assert_ptr_nonnull(d->sans);
		d->sans[d->nsans].type = types[i].type;
		d->sans[d->nsans].value =
			xstrdup(tok + strlen(types[i].prefix));
		d->nsans++;
	}
	free(copy);
}

static void
add_ext(struct uctls_certdef *d, const char *oid, int critical,
        const unsigned char *der, size_t len)
{
	struct uctls_extdef *x;

	d->exts = realloc(d->exts, (d->nexts + 1) * sizeof(*d->exts));
	ck_assert_ptr_nonnull(d->exts);
	x = &d->exts[d->nexts++];
	x->oid = xstrdup(oid);
	x->critical = critical;
	x->der = malloc(len);
	ck_assert_ptr_nonnull(x->der);
	memcpy(x->der, der, len);
	x->der_len = len;
}

/* The usual three-level PKI: root <- int <- leaf. */
static struct uctls_scenario *
sc_chain(enum uctls_key_type kr, enum uctls_key_type ki,
         enum uctls_key_type kl)
{
	struct uctls_scenario *sc = sc_new();

	add_cert(sc, "root", 1, NULL, "CN=Test Root CA,O=uctls")->key = kr;
	add_cert(sc, "int", 1, "root", "CN=Test Issuing CA,O=uctls")->key = ki;
	add_cert(sc, "leaf", 0, "int", "CN=srv.example.com")->key = kl;
	sc->certs[1].path_len = 0;
	set_sans(&sc->certs[2], "DNS:srv.example.com");
	return sc;
}

static struct uctls_pki *
build_ok(const struct uctls_scenario *sc, struct uctls_keypool *pool)
{
	struct uctls_pki *pki = NULL;
	struct uctls_err err;

	uctls_err_clear(&err);
	if (uctls_pki_build(sc, pool, &pki, &err) < 0)
		ck_abort_msg("uctls_pki_build: %s", err.msg);
	ck_assert_ptr_nonnull(pki);
	return pki;
}

/* Builds and expects failure; returns the message (static). */
static const char *
build_fails(const struct uctls_scenario *sc, struct uctls_keypool *pool)
{
	static struct uctls_err err;
	struct uctls_pki *pki = NULL;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_pki_build(sc, pool, &pki, &err), -1);
	ck_assert_ptr_null(pki);
	ck_assert_int_eq(err.set, 1);
	return err.msg;
}

static gnutls_x509_crt_t
crt_dup(gnutls_x509_crt_t crt)
{
	gnutls_datum_t der;
	gnutls_x509_crt_t c;

	ck_assert_int_ge(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der),
	                 0);
	ck_assert_int_ge(gnutls_x509_crt_init(&c), 0);
	ck_assert_int_ge(gnutls_x509_crt_import(c, &der, GNUTLS_X509_FMT_DER),
	                 0);
	gnutls_free(der.data);
	return c;
}

/* Verifies CHAIN (space-separated ids, leaf first) against ANCHOR with
 * GnuTLS's own RFC 5280 path validation; returns the status bits. */
static unsigned
verify(const struct uctls_pki *pki, const char *chain, const char *anchor,
       unsigned flags)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t list[MAXCERTS], ca;
	char *copy = xstrdup(chain), *tok, *save = NULL;
	unsigned n = 0, status = 0;

	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		ck_assert_ptr_nonnull(uctls_pki_crt(pki, tok));
		list[n++] = uctls_pki_crt(pki, tok);
	}
	free(copy);
	ck_assert_int_ge(gnutls_x509_trust_list_init(&tl, 0), 0);
	ca = crt_dup(uctls_pki_crt(pki, anchor)); /* the list takes it */
	ck_assert_int_eq(gnutls_x509_trust_list_add_cas(tl, &ca, 1, 0), 1);
	ck_assert_int_ge(gnutls_x509_trust_list_verify_crt2(tl, list, n, NULL,
	                                                    0, flags, &status,
	                                                    NULL),
	                 0);
	gnutls_x509_trust_list_deinit(tl, 1);
	return status;
}

/* ------------------------------------------------------------------------
 * Chains that must verify (or fail in exactly the intended way)
 */

static const struct chain_row {
	const char *name;
	enum uctls_key_type kr, ki, kl;
	enum uctls_hash hash;   /* of every certificate */
	int reverse;            /* declare leaf, int, root (issuers last) */
	int signed_with;        /* leaf signed with root's key, not int's */
	unsigned flags;         /* verification flags */
	unsigned expect;        /* status bits that must all be set; 0 = ok */
} chain_rows[] = {
	/* default keys, declared in issuer order */
	{ "p256", UCTLS_KEY_ECDSA_P256, UCTLS_KEY_ECDSA_P256,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, 0, 0, 0, 0 },
	/* issuers declared after their subjects */
	{ "p256-reversed", UCTLS_KEY_ECDSA_P256, UCTLS_KEY_ECDSA_P256,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, 1, 0, 0, 0 },
	/* loader-unresolved defaults behave as ecdsa-p256 / sha256 */
	{ "defaults", UCTLS_KEY_DEFAULT, UCTLS_KEY_DEFAULT, UCTLS_KEY_DEFAULT,
	  UCTLS_HASH_DEFAULT, 0, 0, 0, 0 },
	/* mixed algorithms: RSA root, P-384 intermediate, Ed25519 leaf */
	{ "mixed", UCTLS_KEY_RSA2048, UCTLS_KEY_ECDSA_P384, UCTLS_KEY_ED25519,
	  UCTLS_HASH_SHA384, 0, 0, 0, 0 },
	/* an Ed25519 CA signs with its own hash whatever `hash' says */
	{ "ed25519-ca", UCTLS_KEY_ED25519, UCTLS_KEY_ED25519,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA1, 0, 0, 0, 0 },
	{ "sha512", UCTLS_KEY_ECDSA_P384, UCTLS_KEY_ECDSA_P384,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA512, 1, 0, 0, 0 },
	/* SHA-1 signatures: GnuTLS flags them insecure (RFC 9155) ... */
	{ "sha1", UCTLS_KEY_ECDSA_P256, UCTLS_KEY_ECDSA_P256,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA1, 0, 0, 0,
	  GNUTLS_CERT_INVALID | GNUTLS_CERT_INSECURE_ALGORITHM },
	/* ... and accepts them when told to, so they are well-formed */
	{ "sha1-allowed", UCTLS_KEY_ECDSA_P256, UCTLS_KEY_ECDSA_P256,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA1, 0, 0,
	  GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, 0 },
	/* signed-with: right issuer name, wrong key */
	{ "signed-with", UCTLS_KEY_ECDSA_P256, UCTLS_KEY_ECDSA_P256,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, 0, 1, 0,
	  GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNATURE_FAILURE },
	{ "signed-with-reversed", UCTLS_KEY_ECDSA_P256, UCTLS_KEY_ECDSA_P256,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, 1, 1, 0,
	  GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNATURE_FAILURE },
};

START_TEST(test_chain)
{
	const struct chain_row *r = &chain_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_pki *pki;
	struct uctls_certdef *d[3];
	size_t k;
	unsigned st;

	ck_assert_ptr_nonnull(pool);
	if (r->reverse) {
		d[2] = add_cert(sc, "leaf", 0, "int", "CN=srv.example.com");
		d[1] = add_cert(sc, "int", 1, "root", "CN=Test Issuing CA");
		d[0] = add_cert(sc, "root", 1, NULL, "CN=Test Root CA");
	} else {
		d[0] = add_cert(sc, "root", 1, NULL, "CN=Test Root CA");
		d[1] = add_cert(sc, "int", 1, "root", "CN=Test Issuing CA");
		d[2] = add_cert(sc, "leaf", 0, "int", "CN=srv.example.com");
	}
	d[0]->key = r->kr;
	d[1]->key = r->ki;
	d[2]->key = r->kl;
	for (k = 0; k < 3; k++)
		d[k]->hash = r->hash;
	if (r->signed_with)
		set_str(&d[2]->signed_with, "root");

	pki = build_ok(sc, pool);
	ck_assert_uint_eq(uctls_pki_count(pki), 3);
	st = verify(pki, "leaf int", "root", r->flags);
	if (r->expect == 0)
		ck_assert_msg(st == 0, "%s: status 0x%x", r->name, st);
	else
		ck_assert_msg((st & r->expect) == r->expect,
		              "%s: status 0x%x, want 0x%x", r->name, st,
		              r->expect);
	/* the intermediate alone always verifies */
	st = verify(pki, "int", "root", r->flags);
	ck_assert_msg(st == 0 || r->hash == UCTLS_HASH_SHA1, "%s: int 0x%x",
	              r->name, st);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* A PKI built against a GnuTLS verification time: validity fields are
 * exactly the scenario's, so a past window verifies only at a past time. */
START_TEST(test_validity)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_chain(UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256);
	struct uctls_pki *pki;
	const time_t nb = 1700000000, na = 1700000000 + 30 * DAY;

	sc->certs[2].not_before = nb;
	sc->certs[2].not_after = na;
	pki = build_ok(sc, pool);
	ck_assert_int_eq(gnutls_x509_crt_get_activation_time(
	                         uctls_pki_crt(pki, "leaf")),
	                 nb);
	ck_assert_int_eq(gnutls_x509_crt_get_expiration_time(
	                         uctls_pki_crt(pki, "leaf")),
	                 na);
	ck_assert(verify(pki, "leaf int", "root", 0) & GNUTLS_CERT_EXPIRED);
	ck_assert_uint_eq(verify(pki, "leaf int", "root",
	                         GNUTLS_VERIFY_DISABLE_TIME_CHECKS),
	                  0);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * Extensions and their critical flags
 */

static const unsigned char ext_null[] = { 0x05, 0x00 };
static const unsigned char ext_int[] = { 0x02, 0x01, 0x2a };

static const struct ext_row {
	const char *name;
	unsigned critical; /* UCTLS_CRIT_* of the leaf */
	int x_critical;    /* of the extra extension */
	const unsigned char *x_der;
	size_t x_len;
} ext_rows[] = {
	{ "default", UCTLS_CRIT_BASIC_CONSTRAINTS | UCTLS_CRIT_KEY_USAGE, 0,
	  ext_null, sizeof(ext_null) },
	{ "none", 0, 1, ext_int, sizeof(ext_int) },
	{ "all", UCTLS_CRIT_BASIC_CONSTRAINTS | UCTLS_CRIT_KEY_USAGE |
	  UCTLS_CRIT_EKU | UCTLS_CRIT_SAN, 1, ext_null, sizeof(ext_null) },
	{ "eku-san", UCTLS_CRIT_EKU | UCTLS_CRIT_SAN, 0, ext_int,
	  sizeof(ext_int) },
	{ "ku-only", UCTLS_CRIT_KEY_USAGE, 1, ext_int, sizeof(ext_int) },
};

/* Critical flag of OID in CRT, or -1 when the extension is absent. */
static int
ext_critical(gnutls_x509_crt_t crt, const char *oid, gnutls_datum_t *data)
{
	char buf[128];
	size_t len;
	unsigned crit, i;
	int ret;

	for (i = 0;; i++) {
		len = sizeof(buf);
		ret = gnutls_x509_crt_get_extension_info(crt, i, buf, &len,
		                                         &crit);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return -1;
		ck_assert_int_ge(ret, 0);
		if (strcmp(buf, oid) == 0) {
			if (data != NULL)
				ck_assert_int_ge(gnutls_x509_crt_get_extension_data2(
				                         crt, i, data),
				                 0);
			return (int)crit;
		}
	}
}

START_TEST(test_extensions)
{
	const struct ext_row *r = &ext_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_chain(UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_RSA1024);
	struct uctls_certdef *leaf = &sc->certs[2];
	struct uctls_pki *pki;
	gnutls_x509_crt_t crt;
	gnutls_datum_t data;
	unsigned ku, crit, ca;
	int pathlen;

	leaf->critical = r->critical;
	leaf->key_usage = UCTLS_KU_DIGITAL_SIGNATURE |
	                  UCTLS_KU_KEY_ENCIPHERMENT | UCTLS_KU_DECIPHER_ONLY;
	add_ext(leaf, "1.3.6.1.4.1.99999.1", r->x_critical, r->x_der, r->x_len);
	pki = build_ok(sc, pool);
	crt = uctls_pki_crt(pki, "leaf");

	ck_assert_int_eq(ext_critical(crt, "2.5.29.19", NULL),
	                 !!(r->critical & UCTLS_CRIT_BASIC_CONSTRAINTS));
	ck_assert_int_eq(ext_critical(crt, "2.5.29.15", NULL),
	                 !!(r->critical & UCTLS_CRIT_KEY_USAGE));
	ck_assert_int_eq(ext_critical(crt, "2.5.29.37", NULL),
	                 !!(r->critical & UCTLS_CRIT_EKU));
	ck_assert_int_eq(ext_critical(crt, "2.5.29.17", NULL),
	                 !!(r->critical & UCTLS_CRIT_SAN));
	ck_assert_int_eq(ext_critical(crt, "2.5.29.14", NULL), 0);
	ck_assert_int_eq(ext_critical(crt, "2.5.29.35", NULL), 0);
	ck_assert_int_eq(ext_critical(crt, "1.3.6.1.4.1.99999.1", &data),
	                 r->x_critical);
	ck_assert_uint_eq(data.size, r->x_len);
	ck_assert_mem_eq(data.data, r->x_der, r->x_len);
	gnutls_free(data.data);

	/* the typed getters agree */
	ck_assert_int_ge(gnutls_x509_crt_get_key_usage(crt, &ku, &crit), 0);
	ck_assert_uint_eq(ku, GNUTLS_KEY_DIGITAL_SIGNATURE |
	                          GNUTLS_KEY_KEY_ENCIPHERMENT |
	                          GNUTLS_KEY_DECIPHER_ONLY);
	ck_assert_uint_eq(crit, !!(r->critical & UCTLS_CRIT_KEY_USAGE));
	ck_assert_int_eq(gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca,
	                                                       &pathlen),
	                 0);
	ck_assert_uint_eq(ca, 0);
	ck_assert_uint_eq(crit,
	                  !!(r->critical & UCTLS_CRIT_BASIC_CONSTRAINTS));
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* Absent extensions stay absent; path length and EKU OIDs read back. */
START_TEST(test_extension_values)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_chain(UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256);
	struct uctls_certdef *leaf = &sc->certs[2];
	struct uctls_pki *pki;
	gnutls_x509_crt_t root, in, crt;
	unsigned crit, ca;
	int pathlen;
	char buf[256], buf2[256];
	size_t len, len2;
	gnutls_datum_t dn;

	sc->certs[1].path_len = 2;
	leaf->has_key_usage = 0;
	leaf->has_basic_constraints = 0;
	free(leaf->eku[1]);
	leaf->eku[1] = xstrdup("1.3.6.1.4.1.99999.7");
	leaf->serial = 0x8001; /* high bit set in its first octet */
	pki = build_ok(sc, pool);
	root = uctls_pki_crt(pki, "root");
	in = uctls_pki_crt(pki, "int");
	crt = uctls_pki_crt(pki, "leaf");

	ck_assert_int_eq(gnutls_x509_crt_get_version(crt), 3);
	ck_assert_int_eq(gnutls_x509_crt_get_basic_constraints(in, &crit, &ca,
	                                                       &pathlen),
	                 1);
	ck_assert_uint_eq(ca, 1);
	ck_assert_int_eq(pathlen, 2);
	ck_assert_int_eq(gnutls_x509_crt_get_basic_constraints(root, &crit,
	                                                       &ca, &pathlen),
	                 1);
	ck_assert_int_eq(pathlen, -1);
	ck_assert_int_eq(ext_critical(crt, "2.5.29.15", NULL), -1);
	ck_assert_int_eq(ext_critical(crt, "2.5.29.19", NULL), -1);
	ck_assert_int_eq(ext_critical(root, "2.5.29.37", NULL), -1);
	ck_assert_int_eq(ext_critical(root, "2.5.29.17", NULL), -1);

	len = sizeof(buf);
	ck_assert_int_eq(gnutls_x509_crt_get_key_purpose_oid(crt, 0, buf, &len,
	                                                     &crit),
	                 0);
	ck_assert_str_eq(buf, OID_SERVER_AUTH);
	len = sizeof(buf);
	ck_assert_int_eq(gnutls_x509_crt_get_key_purpose_oid(crt, 1, buf, &len,
	                                                     &crit),
	                 0);
	ck_assert_str_eq(buf, "1.3.6.1.4.1.99999.7");
	len = sizeof(buf);
	ck_assert_int_eq(gnutls_x509_crt_get_key_purpose_oid(crt, 2, buf, &len,
	                                                     &crit),
	                 GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);

	/* serial: positive, big-endian; default = position in <pki> */
	len = sizeof(buf);
	ck_assert_int_ge(gnutls_x509_crt_get_serial(crt, buf, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(buf, "\x00\x80\x01", 3);
	len = sizeof(buf);
	ck_assert_int_ge(gnutls_x509_crt_get_serial(in, buf, &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(buf[0], 2);

	/* DN, and authorityKeyIdentifier = issuer's subjectKeyIdentifier */
	/* RFC 4514 strings list the last RDN first: the round trip gives
	 * the subject back, the compat form shows the encoded order */
	ck_assert_int_ge(gnutls_x509_crt_get_dn3(in, &dn, 0), 0);
	ck_assert_str_eq((const char *)dn.data, "CN=Test Issuing CA,O=uctls");
	gnutls_free(dn.data);
	ck_assert_int_ge(gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0), 0);
	ck_assert_str_eq((const char *)dn.data, "CN=Test Issuing CA,O=uctls");
	gnutls_free(dn.data);
	len = sizeof(buf);
	ck_assert_int_ge(gnutls_x509_crt_get_dn(in, buf, &len), 0);
	ck_assert_str_eq(buf, "O=uctls,CN=Test Issuing CA");
	len = sizeof(buf);
	len2 = sizeof(buf2);
	ck_assert_int_ge(gnutls_x509_crt_get_subject_key_id(in, buf, &len,
	                                                    &crit),
	                 0);
	ck_assert_int_ge(gnutls_x509_crt_get_authority_key_id(crt, buf2, &len2,
	                                                      &crit),
	                 0);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(buf, buf2, len);
	/* self-signed: no AKI (RFC 5280 4.2.1.1 allows omitting it) */
	len2 = sizeof(buf2);
	ck_assert_int_lt(gnutls_x509_crt_get_authority_key_id(root, buf2,
	                                                      &len2, &crit),
	                 0);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * subjectAltName: each type, as GnuTLS reads it back
 */

static const struct san_row {
	const char *spec;
	int type; /* gnutls_x509_subject_alt_name_t */
	const char *value;
	size_t value_len; /* 0: strlen(value) */
} san_rows[] = {
	{ "DNS:srv.example.com", GNUTLS_SAN_DNSNAME, "srv.example.com", 0 },
	{ "DNS:*.example.com", GNUTLS_SAN_DNSNAME, "*.example.com", 0 },
	{ "IP:127.0.0.1", GNUTLS_SAN_IPADDRESS, "\x7f\x00\x00\x01", 4 },
	{ "IP:::1", GNUTLS_SAN_IPADDRESS,
	  "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16 },
	{ "URI:sip:srv.example.com", GNUTLS_SAN_URI, "sip:srv.example.com",
	  0 },
	{ "email:admin@example.com", GNUTLS_SAN_RFC822NAME,
	  "admin@example.com", 0 },
	/* RFC 6120 13.7.1.4: otherName id-on-xmppAddr, UTF8String */
	{ "XMPP:example.com", GNUTLS_SAN_OTHERNAME_XMPP, "example.com", 0 },
	{ "XMPP:conférence.example.com", GNUTLS_SAN_OTHERNAME_XMPP,
	  "conférence.example.com", 0 },
};

START_TEST(test_san)
{
	const struct san_row *r = &san_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_certdef *d;
	struct uctls_pki *pki;
	gnutls_x509_crt_t crt;
	char buf[256], oid[64];
	size_t len = sizeof(buf), olen = sizeof(oid), want;
	unsigned crit;
	int type;

	d = add_cert(sc, "leaf", 0, NULL, "CN=x");
	set_sans(d, "DNS:first.example.com");
	set_sans(d, r->spec);
	pki = build_ok(sc, pool);
	crt = uctls_pki_crt(pki, "leaf");

	type = gnutls_x509_crt_get_subject_alt_name(crt, 1, buf, &len, &crit);
	ck_assert_int_eq(type, r->type);
	want = r->value_len != 0 ? r->value_len : strlen(r->value);
	ck_assert_uint_eq(len, want);
	ck_assert_mem_eq(buf, r->value, want);
	if (r->type == GNUTLS_SAN_OTHERNAME_XMPP) {
		ck_assert_int_eq(gnutls_x509_crt_get_subject_alt_othername_oid(
		                         crt, 1, oid, &olen),
		                 GNUTLS_SAN_OTHERNAME_XMPP);
		ck_assert_str_eq(oid, OID_XMPP);
	}
	len = sizeof(buf);
	ck_assert_int_eq(gnutls_x509_crt_get_subject_alt_name(crt, 2, buf, &len,
	                                                      &crit),
	                 GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * Signature algorithm follows `hash' and the signer's key
 */

static const struct sig_row {
	enum uctls_key_type issuer_key;
	enum uctls_hash hash;
	gnutls_sign_algorithm_t expect;
} sig_rows[] = {
	{ UCTLS_KEY_RSA1024, UCTLS_HASH_SHA1, GNUTLS_SIGN_RSA_SHA1 },
	{ UCTLS_KEY_RSA1024, UCTLS_HASH_SHA256, GNUTLS_SIGN_RSA_SHA256 },
	{ UCTLS_KEY_RSA1024, UCTLS_HASH_SHA512, GNUTLS_SIGN_RSA_SHA512 },
	{ UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA1, GNUTLS_SIGN_ECDSA_SHA1 },
	{ UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, GNUTLS_SIGN_ECDSA_SHA256 },
	{ UCTLS_KEY_ECDSA_P384, UCTLS_HASH_SHA384, GNUTLS_SIGN_ECDSA_SHA384 },
	/* RFC 8410 3: Ed25519 has no separate hash choice */
	{ UCTLS_KEY_ED25519, UCTLS_HASH_SHA1, GNUTLS_SIGN_EDDSA_ED25519 },
	{ UCTLS_KEY_ED25519, UCTLS_HASH_SHA256, GNUTLS_SIGN_EDDSA_ED25519 },
};

START_TEST(test_signature_algorithm)
{
	const struct sig_row *r = &sig_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_pki *pki;

	add_cert(sc, "ca", 1, NULL, "CN=CA")->key = r->issuer_key;
	add_cert(sc, "leaf", 0, "ca", "CN=leaf")->hash = r->hash;
	sc->certs[0].hash = r->hash;
	pki = build_ok(sc, pool);
	ck_assert_int_eq(gnutls_x509_crt_get_signature_algorithm(
	                         uctls_pki_crt(pki, "leaf")),
	                 r->expect);
	ck_assert_int_eq(gnutls_x509_crt_get_signature_algorithm(
	                         uctls_pki_crt(pki, "ca")),
	                 r->expect);
	ck_assert_uint_eq(verify(pki, "leaf", "ca",
	                         GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1),
	                  0);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * Key pool
 */

static const struct pool_row {
	enum uctls_key_type type;
	gnutls_pk_algorithm_t pk;
	unsigned bits;
} pool_rows[] = {
	{ UCTLS_KEY_RSA1024, GNUTLS_PK_RSA, 1024 },
	{ UCTLS_KEY_ECDSA_P256, GNUTLS_PK_ECDSA, 256 },
	{ UCTLS_KEY_ECDSA_P384, GNUTLS_PK_ECDSA, 384 },
	{ UCTLS_KEY_ED25519, GNUTLS_PK_EDDSA_ED25519, 256 },
	{ UCTLS_KEY_DEFAULT, GNUTLS_PK_ECDSA, 256 },
};

static int
same_key(gnutls_x509_privkey_t a, gnutls_x509_privkey_t b)
{
	unsigned char ia[32], ib[32];
	size_t la = sizeof(ia), lb = sizeof(ib);

	ck_assert_int_ge(gnutls_x509_privkey_get_key_id(a, GNUTLS_KEYID_USE_SHA256,
	                                                ia, &la),
	                 0);
	ck_assert_int_ge(gnutls_x509_privkey_get_key_id(b, GNUTLS_KEYID_USE_SHA256,
	                                                ib, &lb),
	                 0);
	return la == lb && memcmp(ia, ib, la) == 0;
}

START_TEST(test_pool)
{
	const struct pool_row *r = &pool_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	gnutls_x509_privkey_t k0, k0b, k5, other;
	unsigned bits = 0;
	struct uctls_err err;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_keypool_get(pool, r->type, 0, &k0, &err), 0);
	ck_assert_uint_eq(uctls_keypool_generated(pool), 1);
	ck_assert_int_eq((int)gnutls_x509_privkey_get_pk_algorithm2(k0, &bits),
	                 (int)r->pk);
	ck_assert_uint_eq(bits, r->bits);
	/* slot 5 first: storage grows past unused slots */
	ck_assert_int_eq(uctls_keypool_get(pool, r->type, 5, &k5, &err), 0);
	ck_assert_int_eq(uctls_keypool_get(pool, r->type, 0, &k0b, &err), 0);
	ck_assert_ptr_eq(k0, k0b);
	ck_assert_uint_eq(uctls_keypool_generated(pool), 2);
	ck_assert(!same_key(k0, k5));
	/* another type, same slot: another key */
	ck_assert_int_eq(uctls_keypool_get(pool,
	                                   r->pk == GNUTLS_PK_ECDSA &&
	                                           r->bits == 256
	                                       ? UCTLS_KEY_ECDSA_P384
	                                       : UCTLS_KEY_ECDSA_P256,
	                                   0, &other, &err),
	                 0);
	ck_assert_ptr_ne(other, k0);
	ck_assert_uint_eq(uctls_keypool_generated(pool), 3);
	ck_assert_int_eq(err.set, 0);
	uctls_keypool_free(pool);
}
END_TEST

/* Slot n = n-th generated certdef of a key type; a second scenario in the
 * same process reuses the keys. */
START_TEST(test_pool_slots)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_pki *pki, *pki2;
	gnutls_x509_privkey_t k;
	struct uctls_err err;

	uctls_err_clear(&err);
	add_cert(sc, "a", 1, NULL, "CN=a");
	add_cert(sc, "b", 1, NULL, "CN=b")->key = UCTLS_KEY_ED25519;
	add_cert(sc, "c", 0, "a", "CN=c");
	pki = build_ok(sc, pool);
	ck_assert_uint_eq(uctls_keypool_generated(pool), 3);
	ck_assert_int_eq(uctls_keypool_get(pool, UCTLS_KEY_ECDSA_P256, 0, &k,
	                                   &err),
	                 0);
	ck_assert_ptr_eq(uctls_pki_key(pki, "a"), k);
	ck_assert_int_eq(uctls_keypool_get(pool, UCTLS_KEY_ECDSA_P256, 1, &k,
	                                   &err),
	                 0);
	ck_assert_ptr_eq(uctls_pki_key(pki, "c"), k);
	ck_assert_int_eq(uctls_keypool_get(pool, UCTLS_KEY_ED25519, 0, &k,
	                                   &err),
	                 0);
	ck_assert_ptr_eq(uctls_pki_key(pki, "b"), k);

	pki2 = build_ok(sc, pool); /* warm: nothing generated */
	ck_assert_uint_eq(uctls_keypool_generated(pool), 3);
	ck_assert_ptr_eq(uctls_pki_key(pki2, "c"), uctls_pki_key(pki, "c"));
	uctls_pki_free(pki2);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * Lookups and fingerprints
 */

START_TEST(test_lookup)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_chain(UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256,
	                                     UCTLS_KEY_ECDSA_P256);
	struct uctls_scenario *sc2 = sc_new();
	struct uctls_pki *pki, *pki2;
	gnutls_x509_crt_t copy;
	unsigned char md[32];
	size_t mdlen = sizeof(md), k;
	char hex[3 * 32];
	const char *f;

	pki = build_ok(sc, pool);
	add_cert(sc2, "leaf", 0, NULL, "CN=srv.example.com");
	pki2 = build_ok(sc2, pool);

	ck_assert_uint_eq(uctls_pki_count(pki), 3);
	ck_assert_str_eq(uctls_pki_id_at(pki, 0), "root");
	ck_assert_str_eq(uctls_pki_id_at(pki, 2), "leaf");
	ck_assert_ptr_null(uctls_pki_id_at(pki, 3));
	ck_assert_ptr_eq(uctls_pki_crt_at(pki, 1), uctls_pki_crt(pki, "int"));
	ck_assert_ptr_null(uctls_pki_crt(pki, "nope"));
	ck_assert_ptr_null(uctls_pki_key(pki, "nope"));
	ck_assert_ptr_null(uctls_pki_fingerprint(pki, "nope"));

	/* find compares DER: a re-imported copy is found, a certificate of
	 * the same subject from another PKI is not */
	copy = crt_dup(uctls_pki_crt(pki, "int"));
	ck_assert_str_eq(uctls_pki_find(pki, copy), "int");
	gnutls_x509_crt_deinit(copy);
	ck_assert_ptr_null(uctls_pki_find(pki, uctls_pki_crt(pki2, "leaf")));

	/* fingerprint = SHA-256 of the DER, lower-case hex with colons */
	ck_assert_int_ge(gnutls_x509_crt_get_fingerprint(
	                         uctls_pki_crt(pki, "leaf"), GNUTLS_DIG_SHA256,
	                         md, &mdlen),
	                 0);
	for (k = 0; k < mdlen; k++)
		snprintf(hex + 3 * k, sizeof(hex) - 3 * k, "%02x%s", md[k],
		         k + 1 < mdlen ? ":" : "");
	f = uctls_pki_fingerprint(pki, "leaf");
	ck_assert_str_eq(f, hex);
	ck_assert_uint_eq(strlen(f), 95);
	ck_assert_str_ne(f, uctls_pki_fingerprint(pki, "int"));

	uctls_pki_free(pki2);
	uctls_pki_free(pki);
	uctls_scenario_free(sc2);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * Loading PEM (files made by certtool 3.7.9; kept as text so the test
 * needs no certtool):
 *   root.pem: CN=Vendor Root CA, self-signed, serial 1000
 *   chain.pem: leaf (CN=vendor.example.com, issued by root) then root
 *   leaf.key, root.key: their ECDSA P-256 keys; other.key: an unrelated one
 */

static const char pem_leaf[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBvjCCAWSgAwIBAgICA+kwCgYIKoZIzj0EAwIwGTEXMBUGA1UEAxMOVmVuZG9y\n"
	"IFJvb3QgQ0EwIBcNMjYxMTI2MjEyOTIxWhgPMjEyNjExMDIyMTI5MjFaMB0xGzAZ\n"
	"BgNVBAMTEnZlbmRvci5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABJy0HTR6H1PXt4IOdr191JRVHqlXJQNLfGtSli68+ZWl/oWDkhQKrPYYBoGI\n"
	"PggavDQahUm8v2cE95zTEX35OIKjgZUwgZIwDAYDVR0TAQH/BAIwADAdBgNVHREE\n"
	"FjAUghJ2ZW5kb3IuZXhhbXBsZS5jb20wEwYDVR0lBAwwCgYIKwYBBQUHAwEwDgYD\n"
	"VR0PAQH/BAQDAgeAMB0GA1UdDgQWBBQ+X9JE+29EGd4hxpjyr10L7U0cjzAfBgNV\n"
	"HSMEGDAWgBQkccT2N+xx8WelpLnunfRsWgEy0DAKBggqhkjOPQQDAgNIADBFAiEA\n"
	"mznx2L9sEoIxtQlU9AgWNbysL1JzlkUAEpqgfTh7pMICICMPRCoPfG5xBjd86lqR\n"
	"JBm1cwl6ALjBvjBOWg0pX/Qx\n"
	"-----END CERTIFICATE-----\n";

static const char pem_root[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBZzCCAQygAwIBAgICA+gwCgYIKoZIzj0EAwIwGTEXMBUGA1UEAxMOVmVuZG9y\n"
	"IFJvb3QgQ0EwIBcNMjYxMTI2MjEyOTIxWhgPMjEyNjExMDIyMTI5MjFaMBkxFzAV\n"
	"BgNVBAMTDlZlbmRvciBSb290IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
	"m7vxWPBPpvxW39GYAe7T3Z9gbL5TPQZZs0CU1oyIUkoYGC/ynzFhaefzOWNfWtfz\n"
	"ufVjEIQoFAYAXAkJu0642qNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8E\n"
	"BAMCAQYwHQYDVR0OBBYEFCRxxPY37HHxZ6Wkue6d9GxaATLQMAoGCCqGSM49BAMC\n"
	"A0kAMEYCIQC2FO9j3xrlgWNDC4c2NT+NI1K142vWmKmtReIPeSf9QAIhAJcD0rdW\n"
	"eFzyTd6cZWdEcO8GD0+zLNvagOS6IHo6vw48\n"
	"-----END CERTIFICATE-----\n";

static const char key_leaf[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHgCAQEEIQD+PXDrKWcBRcAsvugqEkkFkHeFMN+qTP/VNp5r7bEECaAKBggqhkjO\n"
	"PQMBB6FEA0IABJy0HTR6H1PXt4IOdr191JRVHqlXJQNLfGtSli68+ZWl/oWDkhQK\n"
	"rPYYBoGIPggavDQahUm8v2cE95zTEX35OII=\n"
	"-----END EC PRIVATE KEY-----\n";

static const char key_root[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIHXVQORvajvJdcS0Iu1vDwNezvGP/FMYTqgssfWddoTooAoGCCqGSM49\n"
	"AwEHoUQDQgAEm7vxWPBPpvxW39GYAe7T3Z9gbL5TPQZZs0CU1oyIUkoYGC/ynzFh\n"
	"aefzOWNfWtfzufVjEIQoFAYAXAkJu0642g==\n"
	"-----END EC PRIVATE KEY-----\n";

static const char key_other[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHgCAQEEIQCnMlCJh14uEmEysjaA5bq+Iz+7k24SBOt0uPO0LY5B46AKBggqhkjO\n"
	"PQMBB6FEA0IABPAEAeuSiOJ83MMF+gVwcCDlz+E3ZtPsZEbjvFe+4zT9fd5F3Ape\n"
	"B6bAtlOHKHqPnXLtv5yR/8/s475TfW8O7/g=\n"
	"-----END EC PRIVATE KEY-----\n";

/* openssl x509 -fingerprint -sha256, lower-cased */
#define FPR_LEAF "ca:ea:7a:e0:6b:63:1d:c0:7e:51:d5:be:08:ec:df:27:" \
                 "60:30:e8:72:83:45:af:c5:88:7a:80:b3:af:70:9d:41"
#define FPR_ROOT "3d:c7:a0:95:c3:28:57:bb:32:1e:6b:71:fd:12:03:57:" \
                 "5b:aa:ae:3d:60:2d:39:66:81:76:54:92:20:b1:02:aa"

static char pem_dir[512];

static void
pem_setup(void)
{
	char chain[sizeof(pem_leaf) + sizeof(pem_root)];

	snprintf(chain, sizeof(chain), "%s%s", pem_leaf, pem_root);
	tu_write("chain.pem", chain);
	tu_write("root.pem", pem_root);
	tu_write("leaf.key", key_leaf);
	tu_write("root.key", key_root);
	tu_write("other.key", key_other);
	tu_write("junk.pem", "this is not PEM\n");
	tu_write("empty.pem", "");
	snprintf(pem_dir, sizeof(pem_dir), "%s", tu_tmpdir());
}

static void
pem_teardown(void)
{
	tu_cleanup();
}

static const char *
pem(const char *name)
{
	static char buf[4][600];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", pem_dir, name);
	return buf[n];
}

static const struct load_row {
	const char *file;
	int index;
	const char *key;
	const char *fpr; /* expected fingerprint, or NULL: expect an error */
	const char *err; /* substring of the message after "FILE:LINE: " */
	const char *names; /* the file the message must name */
} load_rows[] = {
	{ "chain.pem", 1, "leaf.key", FPR_LEAF, NULL, NULL },
	{ "chain.pem", 2, "root.key", FPR_ROOT, NULL, NULL },
	{ "chain.pem", 0, NULL, FPR_LEAF, NULL, NULL }, /* 0: as the default, 1 */
	{ "root.pem", 1, NULL, FPR_ROOT, NULL, NULL },
	{ "chain.pem", 3, NULL, NULL,
	  "holds 2 certificates, index 3 requested", "chain.pem" },
	{ "root.pem", 2, NULL, NULL, "holds 1 certificate, index 2", "root.pem" },
	{ "missing.pem", 1, NULL, NULL, "No such file or directory",
	  "missing.pem" },
	{ "junk.pem", 1, NULL, NULL, "is not PEM or holds no certificate",
	  "junk.pem" },
	{ "empty.pem", 1, NULL, NULL, "is not PEM or holds no certificate",
	  "empty.pem" },
	{ "chain.pem", 1, "other.key", NULL, "does not match certificate 1",
	  "other.key" },
	{ "chain.pem", 2, "leaf.key", NULL, "does not match certificate 2",
	  "leaf.key" },
	{ "chain.pem", 1, "missing.key", NULL, "No such file or directory",
	  "missing.key" },
	{ "chain.pem", 1, "junk.pem", NULL,
	  "is not an unencrypted PEM private key", "junk.pem" },
	{ "chain.pem", 1, "root.pem", NULL,
	  "is not an unencrypted PEM private key", "root.pem" },
};

/* FILE:LINE: of the <cert> that failed */
#define LOAD_PREFIX "pki-test.xml:12: <cert id=\"vendor\">: "

START_TEST(test_load)
{
	const struct load_row *r = &load_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_pki *pki;
	const char *msg;

	add_cert(sc, "gen", 1, NULL, "CN=generated");
	add_file(sc, "vendor", 0, pem(r->file), r->index,
	         r->key != NULL ? pem(r->key) : NULL);
	if (r->fpr != NULL) {
		pki = build_ok(sc, pool);
		ck_assert_str_eq(uctls_pki_fingerprint(pki, "vendor"), r->fpr);
		if (r->key != NULL)
			ck_assert_ptr_nonnull(uctls_pki_key(pki, "vendor"));
		else
			ck_assert_ptr_null(uctls_pki_key(pki, "vendor"));
		ck_assert_uint_eq(uctls_keypool_generated(pool), 1);
		uctls_pki_free(pki);
	} else {
		msg = build_fails(sc, pool);
		ck_assert_msg(strncmp(msg, LOAD_PREFIX, strlen(LOAD_PREFIX)) ==
		                      0,
		              "%s", msg);
		ck_assert_msg(strstr(msg, r->err) != NULL, "%s", msg);
		ck_assert_msg(strstr(msg, r->names) != NULL, "%s", msg);
	}
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* A loaded CA with its key issues generated certificates; without its key
 * it cannot. */
START_TEST(test_loaded_issuer)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_pki *pki;
	const char *msg;
	char aki[64], ski[64];
	size_t alen = sizeof(aki), slen = sizeof(ski);
	unsigned crit;

	add_cert(sc, "leaf", 0, "vroot", "CN=gen.example.com");
	add_file(sc, "vroot", 1, pem("chain.pem"), 2, pem("root.key"));
	pki = build_ok(sc, pool);
	ck_assert_uint_eq(verify(pki, "leaf", "vroot", 0), 0);
	ck_assert_int_ge(gnutls_x509_crt_get_authority_key_id(
	                         uctls_pki_crt(pki, "leaf"), aki, &alen, &crit),
	                 0);
	ck_assert_int_ge(gnutls_x509_crt_get_subject_key_id(
	                         uctls_pki_crt(pki, "vroot"), ski, &slen, &crit),
	                 0);
	ck_assert_uint_eq(alen, slen);
	ck_assert_mem_eq(aki, ski, alen);
	uctls_pki_free(pki);

	set_str(&sc->certs[1].key_file, NULL);
	msg = build_fails(sc, pool);
	ck_assert_str_eq(msg, "pki-test.xml:11: <cert id=\"leaf\">: `vroot' "
	                      "was loaded without a key-file and cannot sign");

	/* the same through signed-with */
	set_str(&sc->certs[0].issuer, NULL);
	set_str(&sc->certs[0].signed_with, "vroot");
	msg = build_fails(sc, pool);
	ck_assert_msg(strstr(msg, "`vroot' was loaded without a key-file") !=
	                      NULL,
	              "%s", msg);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

/* ------------------------------------------------------------------------
 * Errors in generated certificates
 */

static const struct gen_err_row {
	const char *name;
	const char *issuer_a, *issuer_b; /* of certs a (line 11), b (12) */
	const char *subject_b;
	const char *signed_with_b;
	const char *san_b;
	const char *err; /* whole message */
} gen_err_rows[] = {
	{ "cycle", "b", "a", "CN=b", NULL, NULL,
	  "pki-test.xml:11: <ca id=\"a\">: issuer cycle through `b'" },
	{ "self", NULL, "b", "CN=b", NULL, NULL,
	  "pki-test.xml:12: <cert id=\"b\">: issuer is itself; omit issuer "
	  "for a self-signed certificate" },
	{ "unknown-issuer", NULL, "zz", "CN=b", NULL, NULL,
	  "pki-test.xml:12: <cert id=\"b\">: unknown issuer `zz'" },
	{ "unknown-signed-with", NULL, "a", "CN=b", "zz", NULL,
	  "pki-test.xml:12: <cert id=\"b\">: unknown signed-with `zz'" },
	{ "bad-dn", NULL, "a", "CN=b,XYZZY=1", NULL, NULL,
	  "pki-test.xml:12: <cert id=\"b\">: subject `CN=b,XYZZY=1': " },
	{ "bad-ip", NULL, "a", "CN=b", NULL, "IP:300.1.1.1",
	  "pki-test.xml:12: <cert id=\"b\">: bad IP address `300.1.1.1' in "
	  "san" },
};

START_TEST(test_gen_errors)
{
	const struct gen_err_row *r = &gen_err_rows[_i];
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_scenario *sc = sc_new();
	struct uctls_certdef *b;
	const char *msg;

	add_cert(sc, "a", 1, r->issuer_a, "CN=a");
	b = add_cert(sc, "b", 0, r->issuer_b, r->subject_b);
	set_str(&b->signed_with, r->signed_with_b);
	if (r->san_b != NULL)
		set_sans(b, r->san_b);
	msg = build_fails(sc, pool);
	ck_assert_msg(strncmp(msg, r->err, strlen(r->err)) == 0,
	              "%s: got `%s'", r->name, msg);
	uctls_scenario_free(sc);
	uctls_keypool_free(pool);
}
END_TEST

START_TEST(test_free_null)
{
	uctls_pki_free(NULL);
	uctls_keypool_free(NULL);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
make_pki_suite(void)
{
	Suite *s = suite_create("pki");
	TCase *tc;

	tc = tcase_create("generate");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_chain, 0, NROWS(chain_rows));
	tcase_add_test(tc, test_validity);
	tcase_add_loop_test(tc, test_extensions, 0, NROWS(ext_rows));
	tcase_add_test(tc, test_extension_values);
	tcase_add_loop_test(tc, test_san, 0, NROWS(san_rows));
	tcase_add_loop_test(tc, test_signature_algorithm, 0, NROWS(sig_rows));
	tcase_add_loop_test(tc, test_gen_errors, 0, NROWS(gen_err_rows));
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("keypool");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_pool, 0, NROWS(pool_rows));
	tcase_add_test(tc, test_pool_slots);
	suite_add_tcase(s, tc);

	tc = tcase_create("pem");
	tcase_add_checked_fixture(tc, pem_setup, pem_teardown);
	tcase_add_loop_test(tc, test_load, 0, NROWS(load_rows));
	tcase_add_test(tc, test_loaded_issuer);
	suite_add_tcase(s, tc);
	return s;
}
