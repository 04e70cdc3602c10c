/* The install step: each row is an upload (certificates, in order, and how
 * the file was damaged), a key, the device's trust list and CSR, the
 * device's rules, and the reason uctls must name.  The PKI is generated
 * here with GnuTLS, ECDSA except where a row is about RSA sizes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "check_suites.h"
#include "install.h"

/* --- the test PKI ---------------------------------------------------------- */

struct tdef {
	const char *id;
	const char *cn;
	const char *issuer; /* id, or NULL: self-signed */
	int ca;
	unsigned rsa_bits;  /* 0: ECDSA P-256 */
	const char *sans;   /* DNS names, comma-separated, or NULL: no SAN extension */
	int eku_critical;   /* serverAuth EKU marked critical */
	const char *crit_oid; /* a private extension, marked critical */
	const char *signed_with; /* id whose key signs instead of the issuer's */
};

static const struct tdef defs[] = {
	{ "root", "Test Root", NULL, 1, 0, NULL, 0, NULL, NULL },
	{ "int", "Test Issuing CA", "root", 1, 0, NULL, 0, NULL, NULL },
	{ "sub", "Test Sub CA", "int", 1, 0, NULL, 0, NULL, NULL },
	/* doc 118855: the CSR asked for example.com and hostname.example.com */
	{ "leaf", "h.example.com", "int", 0, 0, "h.example.com,example.com", 0, NULL, NULL },
	/* ... and the CA added www. */
	{ "www", "h.example.com", "int", 0, 0, "h.example.com,example.com,www.h.example.com", 0,
	  NULL, NULL },
	{ "nocn", "h.example.com", "int", 0, 0, "other.example.com", 0, NULL, NULL },
	{ "cnonly", "h.example.com", "int", 0, 0, NULL, 0, NULL, NULL },
	{ "deep", "d.example.com", "sub", 0, 0, "d.example.com", 0, NULL, NULL },
	{ "rsa1024", "h.example.com", "int", 0, 1024, "h.example.com", 0, NULL, NULL },
	{ "rsa1536", "h.example.com", "int", 0, 1536, "h.example.com", 0, NULL, NULL },
	{ "ekucrit", "h.example.com", "int", 0, 0, "h.example.com", 1, NULL, NULL },
	{ "privcrit", "h.example.com", "int", 0, 0, "h.example.com", 0, "1.3.6.1.4.1.32473.1",
	  NULL },
	/* names int as its issuer, signed by another key: int renewed with a
	 * new key, the device still trusting the old one */
	{ "renewed", "h.example.com", "int", 0, 0, "h.example.com", 0, NULL, "sub" },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static gnutls_x509_crt_t crts[NDEFS];
static gnutls_x509_privkey_t keys[NDEFS];

static size_t
def_index(const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (strlen(defs[i].id) == len && strncmp(defs[i].id, id, len) == 0)
			return i;
	ck_abort_msg("test PKI has no `%.*s'", (int)len, id);
	return 0;
}

#define GT(call) ck_assert_msg((call) >= 0, "%s failed", #call)

static void
make_one(size_t i, time_t now)
{
	const struct tdef *d = &defs[i];
	gnutls_x509_crt_t crt;
	unsigned char id[64], serial[4];
	size_t idlen = sizeof(id), is;
	const char *p, *comma;
	gnutls_datum_t der;

	GT(gnutls_x509_privkey_init(&keys[i]));
	GT(gnutls_x509_privkey_generate(keys[i], d->rsa_bits ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA,
	                                d->rsa_bits ? d->rsa_bits
	                                            : GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
	                                0));
	GT(gnutls_x509_crt_init(&crt));
	GT(gnutls_x509_crt_set_version(crt, 3));
	serial[0] = 0x10;
	serial[1] = 0;
	serial[2] = 0;
	serial[3] = (unsigned char)(i + 1);
	GT(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	GT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, d->cn,
	                                 (unsigned)strlen(d->cn)));
	GT(gnutls_x509_crt_set_activation_time(crt, now - 86400));
	GT(gnutls_x509_crt_set_expiration_time(crt, now + 365 * 86400));
	GT(gnutls_x509_crt_set_key(crt, keys[i]));
	GT(gnutls_x509_crt_set_basic_constraints(crt, d->ca, -1));
	GT(gnutls_x509_crt_set_key_usage(crt, d->ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
	                                            : GNUTLS_KEY_DIGITAL_SIGNATURE |
	                                                  GNUTLS_KEY_KEY_ENCIPHERMENT));
	if (!d->ca)
		GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
		                                       (unsigned)d->eku_critical));
	for (p = d->sans; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		GT(gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, p,
			(unsigned)(comma != NULL ? (size_t)(comma - p) : strlen(p)), GNUTLS_FSAN_APPEND));
	}
	if (d->crit_oid != NULL)
		GT(gnutls_x509_crt_set_extension_by_oid(crt, d->crit_oid, "\x05\x00", 2, 1));
	GT(gnutls_x509_crt_get_key_id(crt, 0, id, &idlen));
	GT(gnutls_x509_crt_set_subject_key_id(crt, id, idlen));
	if (d->issuer == NULL) {
		GT(gnutls_x509_crt_set_authority_key_id(crt, id, idlen));
		GT(gnutls_x509_crt_sign2(crt, crt, keys[i], GNUTLS_DIG_SHA256, 0));
	} else {
		is = def_index(d->issuer, strlen(d->issuer));
		idlen = sizeof(id);
		GT(gnutls_x509_crt_get_subject_key_id(crts[is], id, &idlen, NULL));
		GT(gnutls_x509_crt_set_authority_key_id(crt, id, idlen));
		GT(gnutls_x509_crt_sign2(crt, crts[is],
		                         keys[d->signed_with != NULL
		                                  ? def_index(d->signed_with, strlen(d->signed_with))
		                                  : is],
		                         GNUTLS_DIG_SHA256, 0));
	}
	/* re-imported, as pki.c does: a certificate GnuTLS just signed keeps
	 * stale raw names that gnutls_x509_crt_check_issuer() compares */
	GT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der));
	gnutls_x509_crt_deinit(crt);
	GT(gnutls_x509_crt_init(&crts[i]));
	GT(gnutls_x509_crt_import(crts[i], &der, GNUTLS_X509_FMT_DER));
	gnutls_free(der.data);
}

static void
pki_setup(void)
{
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < NDEFS; i++)
		make_one(i, now);
}

static void
pki_teardown(void)
{
	size_t i;

	for (i = 0; i < NDEFS; i++) {
		gnutls_x509_crt_deinit(crts[i]);
		gnutls_x509_privkey_deinit(keys[i]);
		crts[i] = NULL;
		keys[i] = NULL;
	}
}

/* --- building an upload ---------------------------------------------------- */

struct buf {
	char *p;
	size_t n;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	ck_assert_ptr_nonnull(b->p);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
buf_datum(struct buf *b, gnutls_datum_t *d)
{
	buf_add(b, d->data, d->size);
	gnutls_free(d->data);
}

/* Offset of the start of line LNO (1-based) in B. */
static size_t
line_at(const struct buf *b, unsigned lno)
{
	size_t o = 0;

	while (--lno > 0) {
		char *nl = memchr(b->p + o, '\n', b->n - o);

		ck_assert_ptr_nonnull(nl);
		o = (size_t)(nl - b->p) + 1;
	}
	return o;
}

static void
cut(struct buf *b, size_t at, size_t n)
{
	memmove(b->p + at, b->p + at + n, b->n - at - n + 1);
	b->n -= n;
}

/* How the uploaded file differs from the certificates' PEM. */
enum mangle {
	M_NONE,
	M_DER,        /* the first certificate in DER */
	M_CRLF,       /* every line ends with CR LF */
	M_BADCHAR,    /* line 3, column 10 replaced by `*' */
	M_DROPCHAR,   /* line 4 lost its tenth character */
	M_EQCHAR,     /* line 3, column 10 replaced by `=' */
	M_MERGED,     /* the END and BEGIN lines between the first two lost */
	M_NOEND,      /* the last END line lost */
	M_NOEND1,     /* the first END line lost (before a second certificate) */
	M_NOBEGIN,    /* the first BEGIN line lost */
	M_KEY,        /* the key file uploaded as the certificate */
	M_GARBAGE,    /* a block of sound Base-64 of 200 bytes that are not DER after
	                 the certificates */
	M_GARBAGE1,   /* the same block before the certificates */
};

/* A PEM CERTIFICATE block of 200 pseudo-random bytes: valid Base-64,
 * anything but a DER certificate. */
static void
add_garbage(struct buf *out)
{
	unsigned char junk[200];
	gnutls_datum_t raw = { junk, sizeof(junk) }, pem;
	unsigned x = 12345;
	size_t i;

	for (i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (unsigned char)(x >> 16);
	}
	GT(gnutls_pem_base64_encode2("CERTIFICATE", &raw, &pem));
	buf_datum(out, &pem);
}

static void
build_upload(const char *ids, enum mangle m, const char *trail, struct buf *out)
{
	gnutls_datum_t d;
	const char *p = ids, *sp;
	size_t i, o;

	memset(out, 0, sizeof(*out));
	if (m == M_KEY) {
		GT(gnutls_x509_privkey_export2(keys[def_index(ids, strlen(ids))],
		                               GNUTLS_X509_FMT_PEM, &d));
		buf_datum(out, &d);
		return;
	}
	if (m == M_DER) {
		sp = strchr(ids, ' ');
		i = def_index(ids, sp != NULL ? (size_t)(sp - ids) : strlen(ids));
		GT(gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &d));
		buf_datum(out, &d);
		return;
	}
	if (m == M_GARBAGE1)
		add_garbage(out);
	while (*p != '\0') {
		sp = strchr(p, ' ');
		i = def_index(p, sp != NULL ? (size_t)(sp - p) : strlen(p));
		GT(gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_PEM, &d));
		buf_datum(out, &d);
		p = sp != NULL ? sp + 1 : p + strlen(p);
	}
	if (m == M_GARBAGE)
		add_garbage(out);
	/* GnuTLS ends each PEM with one newline: replace the last one with
	 * the row's trailer (default: one newline) */
	ck_assert(out->n > 0 && out->p[out->n - 1] == '\n');
	out->n--;
	buf_add(out, trail != NULL ? trail : "\n", strlen(trail != NULL ? trail : "\n"));
	switch (m) {
	case M_CRLF: {
		struct buf c = { NULL, 0 };

		for (o = 0; o < out->n; o++)
			buf_add(&c, out->p[o] == '\n' ? "\r\n" : out->p + o, out->p[o] == '\n' ? 2 : 1);
		free(out->p);
		*out = c;
		break;
	}
	case M_BADCHAR:
		out->p[line_at(out, 3) + 9] = '*';
		break;
	case M_DROPCHAR:
		cut(out, line_at(out, 4) + 9, 1);
		break;
	case M_EQCHAR:
		out->p[line_at(out, 3) + 9] = '=';
		break;
	case M_MERGED:
		sp = strstr(out->p, "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n");
		ck_assert_ptr_nonnull(sp);
		cut(out, (size_t)(sp - out->p),
		    strlen("-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n"));
		break;
	case M_NOEND:
		sp = strstr(out->p, "-----END CERTIFICATE-----");
		while (sp != NULL && strstr(sp + 1, "-----END CERTIFICATE-----") != NULL)
			sp = strstr(sp + 1, "-----END CERTIFICATE-----");
		ck_assert_ptr_nonnull(sp);
		cut(out, (size_t)(sp - out->p), strlen("-----END CERTIFICATE-----\n"));
		break;
	case M_NOEND1:
		sp = strstr(out->p, "-----END CERTIFICATE-----\n");
		ck_assert_ptr_nonnull(sp);
		cut(out, (size_t)(sp - out->p), strlen("-----END CERTIFICATE-----\n"));
		break;
	case M_NOBEGIN:
		cut(out, 0, strlen("-----BEGIN CERTIFICATE-----\n"));
		break;
	default:
		break;
	}
}

/* The key file: "leaf" (PEM), "leaf:der", "cert:leaf" (a certificate
 * instead), "garbage". */
static void
build_key(const char *spec, struct buf *out)
{
	gnutls_datum_t d;
	const char *colon = strchr(spec, ':');

	memset(out, 0, sizeof(*out));
	if (strcmp(spec, "garbage") == 0) {
		buf_add(out, "not a key\n", 10);
	} else if (strncmp(spec, "cert:", 5) == 0) {
		GT(gnutls_x509_crt_export2(crts[def_index(spec + 5, strlen(spec + 5))],
		                           GNUTLS_X509_FMT_PEM, &d));
		buf_datum(out, &d);
	} else {
		GT(gnutls_x509_privkey_export2(
			keys[def_index(spec, colon != NULL ? (size_t)(colon - spec) : strlen(spec))],
			colon != NULL ? GNUTLS_X509_FMT_DER : GNUTLS_X509_FMT_PEM, &d));
		buf_datum(out, &d);
	}
}

/* --- the table --------------------------------------------------------------- */

enum {
	R_PEM = 1 << 0,    /* pem_only */
	R_CA = 1 << 1,     /* ca_first */
	R_ORDER = 1 << 2,  /* bundle_order */
	R_NL = 1 << 3,     /* bundle_newline */
	R_CN = 1 << 4,     /* cn_in_san */
	R_UCCX = 1 << 5,   /* key_bits 1024/2048 and critical_ok KU/BC (doc 118855) */
	R_CMS = R_PEM | R_ORDER | R_NL | R_CN, /* doc 214618 */
	R_EXP = R_PEM | R_CA,                 /* doc 221624 */
};

static const unsigned uccx_bits[] = { 1024, 2048, 0 };
static const char *const uccx_crit[] = { "2.5.29.15", "2.5.29.19", NULL };

struct row {
	const char *what;
	unsigned rules;
	const char *upload;  /* ids in file order */
	enum mangle mangle;
	const char *trail;   /* bytes after the last END line; NULL: "\n" */
	const char *key;     /* build_key spec, or NULL: no key */
	const char *trusts;  /* ids */
	const char *csr;     /* SANs, comma-separated; "" an empty list; NULL unknown */
	const char *reason;  /* NULL: accepted */
	const char *detail_has;
	const char *also_has;
};

static const struct row rows[] = {
	/* --- pem_only: Base-64 text only (doc 221624) --- */
	{ "PEM accepted", R_PEM, "leaf", M_NONE, NULL, NULL, "", NULL, NULL, NULL, NULL },
	{ "DER refused", R_PEM, "leaf", M_DER, NULL, NULL, "", NULL, "bad-format",
	  "DER (binary ASN.1), not PEM", NULL },
	{ "DER accepted without pem_only", 0, "leaf", M_DER, NULL, NULL, "", NULL, NULL, NULL,
	  NULL },
	{ "CRLF line ends are fine", R_CMS, "leaf int root", M_CRLF, NULL, "leaf", "", NULL, NULL,
	  NULL, NULL },
	{ "broken Base-64 character", R_PEM, "leaf", M_BADCHAR, NULL, NULL, "", NULL, "bad-format",
	  "damaged at line 3: a character that is not Base-64 (`*', column 10)", NULL },
	{ "a character lost in a copy", R_PEM, "leaf", M_DROPCHAR, NULL, NULL, "", NULL,
	  "bad-format", "damaged at line 4", NULL },
	{ "damaged is refused without pem_only too", 0, "leaf", M_DROPCHAR, NULL, NULL, "", NULL,
	  "bad-format", "damaged at line 4", NULL },
	{ "`=' inside the Base-64 text", R_PEM, "leaf", M_EQCHAR, NULL, NULL, "", NULL,
	  "bad-format", "damaged at line 3: an `=' in the middle of the Base-64 text (`=', column 10)",
	  NULL },
	{ "two certificates run together", R_PEM, "leaf int", M_MERGED, NULL, NULL, "", NULL,
	  "bad-format", "certificates 1 and 2 run together", NULL },
	{ "END line missing at the end", R_PEM, "leaf", M_NOEND, NULL, NULL, "", NULL,
	  "bad-format", "has no `-----END CERTIFICATE-----' line; the file was cut short", NULL },
	{ "END line missing before the next certificate", R_PEM, "leaf int", M_NOEND1, NULL, NULL,
	  "", NULL, "bad-format", "certificate 1 (BEGIN at line 1) has no", NULL },
	{ "BEGIN line missing", R_PEM, "leaf", M_NOBEGIN, NULL, NULL, "", NULL, "bad-format",
	  "an END line without its", NULL },
	{ "key uploaded as the certificate", R_PEM, "leaf", M_KEY, NULL, NULL, "", NULL,
	  "bad-format", "holds no certificate", "" },
	/* sound Base-64, but not DER: not a damaged copy */
	{ "Base-64 of bytes that are not DER, first", R_PEM, "leaf", M_GARBAGE1, NULL, NULL, "",
	  NULL, "malformed-certificate", "malformed certificate: certificate 1 of `server.pem' is "
	  "valid Base-64 but not a valid DER certificate (the ASN.1 parser says: ", "" },
	{ "Base-64 of bytes that are not DER, after a certificate", 0, "leaf", M_GARBAGE, NULL,
	  NULL, "", NULL, "malformed-certificate", "certificate 2 of `server.pem' is valid Base-64 "
	  "but not a valid DER certificate", "" },

	/* --- ca_first: every CA already trusted (doc 221624, IM and Presence guide) --- */
	{ "whole chain trusted", R_EXP, "leaf", M_NONE, NULL, NULL, "root int", NULL, NULL, NULL,
	  NULL },
	{ "whole chain trusted, bundle sent", R_EXP, "leaf int root", M_NONE, NULL, NULL,
	  "root int", NULL, NULL, NULL, NULL },
	{ "intermediate not uploaded anywhere", R_EXP, "leaf", M_NONE, NULL, NULL, "root", NULL,
	  "issuer-not-found", "CA `CN=Test Issuing CA', the issuer of `CN=h.example.com', is "
	  "neither in the trusted CA list", NULL },
	{ "intermediate in the upload, not trusted", R_EXP, "leaf int", M_NONE, NULL, NULL, "root",
	  NULL, "issuer-not-found", "intermediate certificate 2 (`CN=Test Issuing CA')", NULL },
	{ "root not trusted", R_EXP, "leaf int root", M_NONE, NULL, NULL, "int", NULL,
	  "untrusted-root", "the root certificate 3 (`CN=Test Root')", NULL },
	{ "nothing trusted: intermediate is the cause, root also", R_EXP, "leaf int root", M_NONE,
	  NULL, NULL, "", NULL, "issuer-not-found", "CN=Test Issuing CA", "untrusted-root" },
	{ "root only trusted, two intermediates", R_EXP, "deep sub int", M_NONE, NULL, NULL, "root",
	  NULL, "issuer-not-found", "CN=Test Sub CA", "CN=Test Issuing CA" },
	{ "two intermediates trusted", R_EXP, "deep", M_NONE, NULL, NULL, "root int sub", NULL,
	  NULL, NULL, NULL },
	{ "trusted CA of the same name, another key", R_EXP, "renewed", M_NONE, NULL, NULL,
	  "root int", NULL, "issuer-not-found", "a CA named `CN=Test Issuing CA' is trusted, but "
	  "its key did not sign `CN=h.example.com'", NULL },
	{ "trusted intermediate whose root is not", R_EXP, "leaf", M_NONE, NULL, NULL, "int", NULL,
	  "issuer-not-found", "CA `CN=Test Root', the issuer of `CN=Test Issuing CA'", NULL },

	/* --- key matches the certificate (doc 214618: pki match) --- */
	{ "key matches", R_PEM, "leaf", M_NONE, NULL, "leaf", "", NULL, NULL, NULL, NULL },
	{ "key of another certificate", R_PEM, "leaf", M_NONE, NULL, "www", "", NULL,
	  "key-mismatch", "does not match certificate `CN=h.example.com' in `server.pem'", NULL },
	{ "key of the intermediate", R_PEM, "leaf int", M_NONE, NULL, "int", "", NULL,
	  "key-mismatch", "it is the key of certificate 2 (`CN=Test Issuing CA')", NULL },
	{ "key that is not a key", R_PEM, "leaf", M_NONE, NULL, "garbage", "", NULL, "bad-format",
	  "is not a usable private key", NULL },
	{ "certificate as the key", R_PEM, "leaf", M_NONE, NULL, "cert:leaf", "", NULL,
	  "bad-format", "files swapped", NULL },
	{ "DER key refused by pem_only", R_PEM, "leaf", M_NONE, NULL, "leaf:der", "", NULL,
	  "bad-format", "binary (DER)", NULL },
	{ "DER key accepted otherwise", 0, "leaf", M_NONE, NULL, "leaf:der", "", NULL, NULL, NULL,
	  NULL },

	/* --- bundle order: entity, issuers in turn, root last (doc 214618) --- */
	{ "bundle in order", R_CMS, "leaf int root", M_NONE, NULL, "leaf", "", NULL, NULL, NULL,
	  NULL },
	{ "bundle without the root", R_CMS, "leaf int", M_NONE, NULL, NULL, "", NULL, NULL, NULL,
	  NULL },
	{ "bundle reversed", R_CMS, "root int leaf", M_NONE, NULL, "leaf", "", NULL, "bundle-order",
	  "position 1 of `server.pem' is `CN=Test Root', a CA certificate; the entity "
	  "certificate `CN=h.example.com' is at position 3", NULL },
	{ "root before the intermediate", R_CMS, "leaf root int", M_NONE, NULL, NULL, "", NULL,
	  "bundle-order", "position 2 of `server.pem' is `CN=Test Root', but the issuer of "
	  "position 1", NULL },
	{ "something after the root", R_CMS, "deep sub int root int", M_NONE, NULL, NULL, "", NULL,
	  "bundle-order", "position 5 of `server.pem' (`CN=Test Issuing CA') follows the root", NULL },
	{ "intermediates swapped", R_CMS, "deep int sub root", M_NONE, NULL, NULL, "", NULL,
	  "bundle-order", "position 2", NULL },
	{ "intermediate missing from the bundle", R_CMS, "leaf root", M_NONE, NULL, NULL, "", NULL,
	  "bundle-order", "its issuer `CN=Test Issuing CA' is missing from the bundle", NULL },
	{ "order not a rule for Expressway", R_EXP, "root int leaf", M_NONE, NULL, "leaf",
	  "root int", NULL, NULL, NULL, NULL },

	/* --- exactly one newline at the end (doc 214618) --- */
	{ "no newline at the end", R_CMS, "leaf int root", M_NONE, "", NULL, "", NULL,
	  "bundle-order", "ends with 0 trailing newlines", NULL },
	{ "two newlines at the end", R_CMS, "leaf int root", M_NONE, "\n\n", NULL, "", NULL,
	  "bundle-order", "CMS 3.0 requires exactly one carriage return at the end", NULL },
	{ "newline, blank, newline", R_CMS, "leaf int", M_NONE, "\n  \n", NULL, "", NULL,
	  "bundle-order", "2 trailing newlines", NULL },
	{ "one CRLF at the end", R_CMS, "leaf int", M_NONE, "\r\n", NULL, "", NULL, NULL, NULL,
	  NULL },
	{ "text after the last END line", R_CMS, "leaf", M_NONE, "\nsubject=x\n", NULL, "", NULL,
	  "bundle-order", "text after the last", NULL },
	{ "newlines not a rule for Expressway", R_EXP, "leaf", M_NONE, "\n\n\n", NULL, "root int",
	  NULL, NULL, NULL, NULL },

	/* --- CSR SANs (doc 118855) --- */
	{ "SANs as in the CSR", R_PEM, "leaf", M_NONE, NULL, NULL, "",
	  "DNS:example.com,DNS:h.example.com", NULL, NULL, NULL },
	{ "CA added www.", R_PEM, "www", M_NONE, NULL, NULL, "", "DNS:example.com,DNS:h.example.com",
	  "csr-san-mismatch", "added by the CA: DNS:www.h.example.com; dropped from the CSR: none",
	  NULL },
	{ "CA dropped one", R_PEM, "leaf", M_NONE, NULL, NULL, "",
	  "DNS:example.com,DNS:h.example.com,DNS:x.example.com", "csr-san-mismatch",
	  "added by the CA: none; dropped from the CSR: DNS:x.example.com", NULL },
	{ "CSR without SANs: the CA chooses", R_PEM, "www", M_NONE, NULL, NULL, "", "", NULL, NULL,
	  NULL },
	{ "CSR names without type, other case", R_PEM, "leaf", M_NONE, NULL, NULL, "",
	  "H.Example.COM,dns:example.com", NULL, NULL, NULL },

	/* --- the CN among the SANs (doc 214618, doc 118855) --- */
	{ "CN among the SANs", R_CMS, "leaf", M_NONE, NULL, NULL, "", NULL, NULL, NULL, NULL },
	{ "CN not among the SANs", R_CMS, "nocn", M_NONE, NULL, NULL, "", NULL, "cn-only-no-san",
	  "the CN `h.example.com' of certificate `CN=h.example.com' in `server.pem' is not among "
	  "its SANs (DNS:other.example.com)", NULL },
	{ "no SANs at all is not this rule", R_CMS, "cnonly", M_NONE, NULL, NULL, "", NULL, NULL,
	  NULL, NULL },
	{ "CN rule off", R_PEM, "nocn", M_NONE, NULL, NULL, "", NULL, NULL, NULL, NULL },

	/* --- RSA sizes and critical extensions (doc 118855: UCCX) --- */
	{ "RSA 1024 accepted by UCCX", R_PEM | R_UCCX, "rsa1024", M_NONE, NULL, "rsa1024", "", NULL,
	  NULL, NULL, NULL },
	{ "RSA 1536 refused by UCCX", R_PEM | R_UCCX, "rsa1536", M_NONE, NULL, NULL, "", NULL,
	  "key-size", "has a 1536-bit RSA key; the device accepts 1024, 2048 bits only", NULL },
	{ "RSA 1536 without a size rule", R_PEM, "rsa1536", M_NONE, NULL, NULL, "", NULL, NULL,
	  NULL, NULL },
	{ "ECDSA is not an RSA size", R_PEM | R_UCCX, "leaf int", M_NONE, NULL, NULL, "", NULL,
	  NULL, NULL, NULL },
	{ "critical EKU refused by UCCX", R_PEM | R_UCCX, "ekucrit", M_NONE, NULL, NULL, "", NULL,
	  "unknown-critical-extension", "marks the extended key usage extension 2.5.29.37 critical",
	  NULL },
	{ "critical EKU known otherwise", R_PEM, "ekucrit", M_NONE, NULL, NULL, "", NULL, NULL,
	  NULL, NULL },
	{ "unknown critical extension", R_PEM, "privcrit", M_NONE, NULL, NULL, "", NULL,
	  "unknown-critical-extension", "1.3.6.1.4.1.32473.1", NULL },

	/* --- several problems: the first is the cause, the rest also --- */
	{ "newline first, then key and CN as also", R_CMS, "nocn int root", M_NONE, "\n\n", "leaf",
	  "", NULL,
	  "bundle-order", "2 trailing newlines", "cn-only-no-san" },
	{ "key first, then trust and CSR as also", R_EXP, "www", M_NONE, NULL, "leaf", "root",
	  "DNS:example.com,DNS:h.example.com", "key-mismatch", NULL, "csr-san-mismatch" },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* A comma-separated list as a NULL-terminated vector (in V, strings in S). */
static const char *const *
split(const char *list, char *s, size_t ssz, const char **v, size_t vn)
{
	size_t n = 0;
	char *p, *save = NULL;

	if (list == NULL)
		return NULL;
	snprintf(s, ssz, "%s", list);
	for (p = strtok_r(s, ",", &save); p != NULL && n + 1 < vn; p = strtok_r(NULL, ",", &save))
		v[n++] = p;
	v[n] = NULL;
	return v;
}

START_TEST(test_install_row)
{
	const struct row *r = &rows[_i];
	struct uctls_install_rules rules;
	struct uctls_install_input in;
	struct uctls_diag d;
	struct uctls_err err;
	struct buf up, key = { NULL, 0 };
	gnutls_x509_crt_t trust[NDEFS];
	const char *csrv[16];
	char csrs[512];
	const char *p, *sp;
	size_t i;
	int rv;

	memset(&rules, 0, sizeof(rules));
	rules.pem_only = (r->rules & R_PEM) != 0;
	rules.ca_first = (r->rules & R_CA) != 0;
	rules.bundle_order = (r->rules & R_ORDER) != 0;
	rules.bundle_newline = (r->rules & R_NL) != 0;
	rules.cn_in_san = (r->rules & R_CN) != 0;
	if (r->rules & R_UCCX) {
		rules.key_bits = uccx_bits;
		rules.critical_ok = uccx_crit;
	}
	build_upload(r->upload, r->mangle, r->trail, &up);
	if (r->key != NULL)
		build_key(r->key, &key);
	memset(&in, 0, sizeof(in));
	in.name = "server.pem";
	in.cert = (const unsigned char *)up.p;
	in.cert_len = up.n;
	in.key = (const unsigned char *)key.p;
	in.key_len = key.n;
	in.csr_sans = split(r->csr, csrs, sizeof(csrs), csrv, 16);
	for (p = r->trusts; *p != '\0'; p = sp != NULL ? sp + 1 : p + strlen(p)) {
		sp = strchr(p, ' ');
		trust[in.ntrust++] = crts[def_index(p, sp != NULL ? (size_t)(sp - p) : strlen(p))];
	}
	in.trust = trust;
	in.now = time(NULL);

	uctls_diag_init(&d);
	uctls_err_clear(&err);
	rv = uctls_install_check(&rules, &in, &d, &err);
	ck_assert_msg(rv >= 0, "%s: local error %s", r->what, err.msg);
	if (r->reason == NULL) {
		ck_assert_msg(rv == 0 && d.reason == NULL, "%s: refused: %s: %s", r->what,
		              d.reason, d.detail);
	} else {
		ck_assert_msg(rv == 1, "%s: accepted, expected %s", r->what, r->reason);
		ck_assert_msg(strcmp(d.reason, r->reason) == 0, "%s: reason %s (%s), expected %s",
		              r->what, d.reason, d.detail, r->reason);
		/* every detail names the file, every refusal has a hint */
		ck_assert_msg(d.detail != NULL && strstr(d.detail, "server.pem") != NULL,
		              "%s: detail does not name the file: %s", r->what, d.detail);
		ck_assert_msg(d.hint != NULL && d.hint[0] != '\0', "%s: no hint", r->what);
		ck_assert_msg(r->detail_has == NULL || strstr(d.detail, r->detail_has) != NULL,
		              "%s: detail `%s' lacks `%s'", r->what, d.detail, r->detail_has);
		/* a copy's damage is told only of Base-64 that is damaged */
		ck_assert_msg(strcmp(r->reason, "malformed-certificate") != 0 ||
		                      strstr(d.detail, "in a copy") == NULL,
		              "%s: sound Base-64 told as a damaged copy: %s", r->what, d.detail);
		if (r->also_has != NULL && r->also_has[0] == '\0') {
			/* "": a bad format is the only problem reported */
			ck_assert_msg(d.nalso == 0, "%s: %zu also after a bad format", r->what,
			              d.nalso);
		} else if (r->also_has != NULL) {
			for (i = 0; i < d.nalso; i++)
				if (strstr(d.also[i], r->also_has) != NULL)
					break;
			ck_assert_msg(i < d.nalso, "%s: no also with `%s' (%zu also, cause %s)",
			              r->what, r->also_has, d.nalso, d.detail);
		}
	}
	uctls_diag_clear(&d);
	free(up.p);
	free(key.p);
}
END_TEST

/* The accepted baseline of each row really is what the checks see: the
 * test PKI chains as the rows assume. */
START_TEST(test_pki_chains)
{
	unsigned status = 1;
	gnutls_x509_crt_t ca[2];

	ca[0] = crts[def_index("root", 4)];
	ca[1] = crts[def_index("int", 3)];
	ck_assert_int_ge(gnutls_x509_crt_verify(crts[def_index("leaf", 4)], ca, 2, 0, &status), 0);
	ck_assert_uint_eq(status, 0);
}
END_TEST

/* An empty upload is a bad format, not a local error. */
START_TEST(test_empty)
{
	struct uctls_install_rules rules;
	struct uctls_install_input in;
	struct uctls_diag d;
	struct uctls_err err;

	memset(&rules, 0, sizeof(rules));
	memset(&in, 0, sizeof(in));
	in.name = "empty.pem";
	in.cert = (const unsigned char *)"";
	uctls_diag_init(&d);
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_install_check(&rules, &in, &d, &err), 1);
	ck_assert_str_eq(d.reason, "bad-format");
	ck_assert_ptr_nonnull(strstr(d.detail, "empty.pem"));
	uctls_diag_clear(&d);
}
END_TEST

Suite *
make_install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("upload");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pki_chains);
	tcase_add_loop_test(tc, test_install_row, 0, (int)NROWS);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	return s;
}
