#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certlint.h"

/* The extensions whose presence and criticality the rules read. */
enum ext_idx { X_BC, X_KU, X_EKU, X_SAN, X_SKI, X_AKI, X_AIA, X_SIA, X_NC, X_CDP, X_CP, X__N };
static const char *const ext_oids[X__N] = {
	"2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17", "2.5.29.14",
	"2.5.29.35", "1.3.6.1.5.5.7.1.1", "1.3.6.1.5.5.7.1.11", "2.5.29.30", "2.5.29.31",
	"2.5.29.32",
};
static const char *const ext_names[X__N] = {
	"basicConstraints", "keyUsage", "extKeyUsage", "subjectAltName",
	"subjectKeyIdentifier", "authorityKeyIdentifier", "authorityInformationAccess",
	"subjectInformationAccess", "nameConstraints", "cRLDistributionPoints",
	"certificatePolicies",
};

#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define OID_ANY_EKU "2.5.29.37.0"

struct lint {
	gnutls_x509_crt_t crt;
	enum uctls_lint_pos pos;
	const struct uctls_profile *p;
	uctls_lint_report report;
	void *arg;
	unsigned present, critical; /* bit per enum ext_idx */
	int ca;                     /* basicConstraints cA=TRUE */
	int pathlen;                /* pathLenConstraint, -1 when absent */
	unsigned ku;                /* keyUsage bits, when X_KU is present */
	int subject_empty;
	unsigned nsans;             /* SAN entries */
};

static int
bad(struct lint *l, const char *reason, const char *hint, const char *f, ...)
	__attribute__((format(printf, 4, 5)));

static int
bad(struct lint *l, const char *reason, const char *hint, const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int rv;

	va_start(ap, f);
	rv = vasprintf(&s, f, ap);
	va_end(ap);
	if (rv < 0)
		return -1;
	rv = l->report(l->arg, reason, hint, s);
	free(s);
	return rv;
}

#define HAS(l, x) (((l)->present >> (x)) & 1u)
#define CRIT(l, x) (((l)->critical >> (x)) & 1u)

static int
raw_name_empty(gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t d = { NULL, 0 };

	int empty;

	if ((issuer ? gnutls_x509_crt_get_raw_issuer_dn(crt, &d)
	            : gnutls_x509_crt_get_raw_dn(crt, &d)) < 0)
		return 1;
	/* An empty SEQUENCE OF RelativeDistinguishedName: 30 00. */
	empty = d.size <= 2;
	gnutls_free(d.data);
	return empty;
}

int
uctls_lint_self_issued(gnutls_x509_crt_t crt)
{
	gnutls_datum_t s = { NULL, 0 }, i = { NULL, 0 };
	int same = 0;

	/* Both getters return copies (GnuTLS 3.7). */
	if (gnutls_x509_crt_get_raw_dn(crt, &s) >= 0 &&
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &i) >= 0)
		same = s.size == i.size && memcmp(s.data, i.data, s.size) == 0;
	gnutls_free(s.data);
	gnutls_free(i.data);
	return same;
}

int
uctls_san_foreach(gnutls_x509_crt_t crt,
                  int (*fn)(void *arg, int type, const char *val, size_t len), void *arg)
{
	char *buf, *nb;
	size_t cap = 256, sz;
	unsigned k, type;
	int ret, rv = -1;

	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (k = 0;;) {
		sz = cap - 1;
		ret = gnutls_x509_crt_get_subject_alt_name2(crt, k, buf, &sz, &type, NULL);
		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			if ((nb = realloc(buf, sz + 1)) == NULL)
				goto out;
			buf = nb;
			cap = sz + 1;
			continue; /* the same entry again */
		}
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (ret < 0)
			sz = 0;
		buf[sz] = '\0';
		if ((rv = fn(arg, ret, buf, sz)) != 0)
			goto out;
		k++;
	}
	rv = 0;
out:
	free(buf);
	return rv;
}

/* One pass over the extensions: presence, criticality, duplicates
 * (RFC 5280 4.2: "A certificate MUST NOT include more than one instance of
 * a particular extension"). */
static int
read_extensions(struct lint *l)
{
	char oid[128];
	size_t osz;
	unsigned k, crit, x;
	int ret;

	for (k = 0;; k++) {
		osz = sizeof(oid);
		ret = gnutls_x509_crt_get_extension_info(l->crt, k, oid, &osz, &crit);
		if (ret < 0)
			break;
		for (x = 0; x < X__N && strcmp(oid, ext_oids[x]) != 0; x++)
			;
		if (x == X__N)
			continue;
		if (HAS(l, x) &&
		    bad(l, "duplicate-extension", "re-issue the certificate with each extension once",
		        "carries the %s extension twice (RFC 5280 4.2)", ext_names[x]) < 0)
			return -1;
		l->present |= 1u << x;
		if (crit)
			l->critical |= 1u << x;
	}
	l->pathlen = -1;
	if (HAS(l, X_BC))
		l->ca = gnutls_x509_crt_get_basic_constraints(l->crt, NULL, NULL, &l->pathlen) > 0;
	if (HAS(l, X_KU) && gnutls_x509_crt_get_key_usage(l->crt, &l->ku, &crit) < 0)
		l->ku = 0;
	l->subject_empty = raw_name_empty(l->crt, 0);
	return 0;
}

/* RFC 5280 4.1.2.2: a positive integer of at most 20 octets. */
static int
lint_serial(struct lint *l)
{
	unsigned char sn[64];
	size_t len = sizeof(sn), i;
	int zero = 1;

	if (l->pos == UCTLS_LINT_ANCHOR)
		return 0; /* a trust anchor is taken as configured (RFC 5280 6.1.1 (d)) */
	if (gnutls_x509_crt_get_serial(l->crt, sn, &len) < 0)
		return bad(l, "bad-serial", "re-issue the certificate",
		           "has a serial number of more than 64 octets (RFC 5280 4.1.2.2: at "
		           "most 20)");
	for (i = 0; i < len; i++)
		zero &= sn[i] == 0;
	if (len == 0 || zero)
		return bad(l, "bad-serial", "re-issue the certificate with a positive serial number",
		           "has the serial number 0 (RFC 5280 4.1.2.2: a positive integer)");
	if (sn[0] & 0x80)
		return bad(l, "bad-serial", "re-issue the certificate with a positive serial number",
		           "has a negative serial number (RFC 5280 4.1.2.2: a positive integer)");
	if (len > 20)
		return bad(l, "bad-serial", "re-issue the certificate with a serial of at most "
		                            "20 octets",
		           "has a serial number of %zu octets (RFC 5280 4.1.2.2: at most 20)", len);
	return 0;
}

/* RFC 5280 4.1.2.4, 4.1.2.6, 4.2.1.6. */
static int
lint_names(struct lint *l)
{
	static const char *hint = "re-issue the certificate with a subject name";

	if (raw_name_empty(l->crt, 1) &&
	    bad(l, "empty-name", "re-issue the certificate from a CA with a non-empty name",
	        "has an empty issuer name (RFC 5280 4.1.2.4: the issuer field MUST contain a "
	        "non-empty distinguished name)") < 0)
		return -1;
	if (!l->subject_empty)
		return 0;
	if (l->ca || l->pos != UCTLS_LINT_LEAF)
		return bad(l, "empty-name", hint,
		           "is a CA certificate with an empty subject name (RFC 5280 4.1.2.6: a "
		           "CA's subject MUST be a non-empty distinguished name)");
	if (!HAS(l, X_SAN))
		return bad(l, "empty-name", hint,
		           "has an empty subject name and no subjectAltName (RFC 5280 4.1.2.6: "
		           "then the names MUST be in a critical subjectAltName)");
	if (!CRIT(l, X_SAN))
		return bad(l, "bad-criticality", "re-issue the certificate with a subject name, "
		                                 "or with its subjectAltName marked critical",
		           "has an empty subject name and a non-critical subjectAltName (RFC 5280 "
		           "4.2.1.6: with an empty subject the extension MUST be critical)");
	return 0;
}

/* RFC 5280 4.2.1.1, 4.2.1.2. */
static int
lint_key_ids(struct lint *l)
{
	static const char *nc = "re-issue the certificate with the extension marked non-critical";

	if (!HAS(l, X_AKI) && l->pos != UCTLS_LINT_ANCHOR && !uctls_lint_self_issued(l->crt) &&
	    bad(l, "key-identifier", "re-issue the certificate from a CA that sets the "
	                             "authority key identifier",
	        "has no authorityKeyIdentifier (RFC 5280 4.2.1.1: MUST be included in all "
	        "certificates but self-signed ones)") < 0)
		return -1;
	if (CRIT(l, X_AKI) &&
	    bad(l, "bad-criticality", nc,
	        "marks authorityKeyIdentifier critical (RFC 5280 4.2.1.1: MUST be non-critical)") < 0)
		return -1;
	if (l->ca && !HAS(l, X_SKI) &&
	    bad(l, "key-identifier", "re-issue the CA certificate with a subject key identifier",
	        "is a CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2: MUST "
	        "appear in all conforming CA certificates)") < 0)
		return -1;
	if (CRIT(l, X_SKI) &&
	    bad(l, "bad-criticality", nc,
	        "marks subjectKeyIdentifier critical (RFC 5280 4.2.1.2: MUST be non-critical)") < 0)
		return -1;
	return 0;
}

/* RFC 5280 4.2.1.9, 4.2.2.1, 4.2.2.2, 4.2.1.3. */
static int
lint_ca_rules(struct lint *l)
{
	if (CRIT(l, X_AIA) &&
	    bad(l, "bad-criticality", "re-issue the certificate with the extension non-critical",
	        "marks authorityInformationAccess critical (RFC 5280 4.2.2.1: MUST be "
	        "non-critical)") < 0)
		return -1;
	if (CRIT(l, X_SIA) &&
	    bad(l, "bad-criticality", "re-issue the certificate with the extension non-critical",
	        "marks subjectInformationAccess critical (RFC 5280 4.2.2.2: MUST be "
	        "non-critical)") < 0)
		return -1;
	if (l->ca && !CRIT(l, X_BC) &&
	    bad(l, "bad-criticality", "re-issue the CA certificate with basicConstraints "
	                              "marked critical",
	        "is a CA certificate whose basicConstraints is not critical (RFC 5280 4.2.1.9: "
	        "MUST be critical in CA certificates)") < 0)
		return -1;
	if (l->ca && !HAS(l, X_KU) &&
	    bad(l, "key-usage", "re-issue the CA certificate with keyUsage keyCertSign, cRLSign",
	        "is a CA certificate without keyUsage (RFC 5280 4.2.1.3: CAs MUST include it "
	        "in certificates whose keys verify certificate signatures)") < 0)
		return -1;
	if (l->pathlen >= 0 && HAS(l, X_KU) && !(l->ku & GNUTLS_KEY_KEY_CERT_SIGN) &&
	    bad(l, "path-length", "re-issue the certificate without pathLenConstraint, or as "
	                          "a CA with keyCertSign",
	        "sets pathLenConstraint without keyCertSign in its keyUsage (RFC 5280 4.2.1.9)") <
	            0)
		return -1;
	return 0;
}

/* basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
 * pathLenConstraint INTEGER (0..MAX) OPTIONAL }: 1 when the DER carries a
 * negative pathLenConstraint, which GnuTLS reads as "absent" (no limit). */
static int
bc_pathlen_negative(gnutls_x509_crt_t crt)
{
	unsigned char der[64];
	size_t sz = sizeof(der), i;
	unsigned crit;

	if (gnutls_x509_crt_get_extension_by_oid(crt, "2.5.29.19", 0, der, &sz, &crit) < 0 ||
	    sz < 2 || der[0] != 0x30 || der[1] != sz - 2)
		return 0;
	i = 2;
	if (i + 3 <= sz && der[i] == 0x01 && der[i + 1] == 1)
		i += 3; /* cA */
	return i + 3 <= sz && der[i] == 0x02 && der[i + 1] >= 1 && (der[i + 2] & 0x80);
}

/* What the extensions say: RFC 5280 4.2.1.1, 4.2.1.3, 4.2.1.9, 4.2.1.12. */
static int
lint_contents(struct lint *l)
{
	unsigned char id[64];
	char oid[128];
	size_t sz = sizeof(id);
	unsigned crit;

	if (HAS(l, X_AKI) && gnutls_x509_crt_get_authority_key_id(l->crt, id, &sz, &crit) < 0 &&
	    bad(l, "key-identifier", "re-issue the certificate from a CA that sets the "
	                             "authority key identifier's keyIdentifier",
	        "has an authorityKeyIdentifier without keyIdentifier (RFC 5280 4.2.1.1: the "
	        "keyIdentifier field MUST be included)") < 0)
		return -1;
	if (HAS(l, X_BC) && bc_pathlen_negative(l->crt) &&
	    bad(l, "path-length", "re-issue the CA certificate with a pathLenConstraint of 0 "
	                          "or more",
	        "has a negative pathLenConstraint (RFC 5280 4.2.1.9: INTEGER (0..MAX)), which "
	        "GnuTLS would read as no limit") < 0)
		return -1;
	if (HAS(l, X_KU) && l->ku == 0 &&
	    bad(l, "bad-extension", "re-issue the certificate with the key usages it needs",
	        "has a keyUsage with no bit set (RFC 5280 4.2.1.3: at least one bit MUST be "
	        "set)") < 0)
		return -1;
	sz = sizeof(oid);
	if (HAS(l, X_EKU) &&
	    gnutls_x509_crt_get_key_purpose_oid(l->crt, 0, oid, &sz, &crit) ==
	            GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE &&
	    bad(l, "bad-extension", "re-issue the certificate with the purposes it serves",
	        "has an extKeyUsage with no purpose (RFC 5280 4.2.1.12: SIZE (1..MAX))") < 0)
		return -1;
	return 0;
}

/* RFC 5280 4.2.1.9 and 4.2.1.3: an end-entity certificate is not a CA. */
static int
lint_leaf(struct lint *l)
{
	static const char *hint = "re-issue the end-entity certificate with basicConstraints "
	                          "cA=FALSE and without keyCertSign";

	if (l->pos != UCTLS_LINT_LEAF)
		return 0;
	if (l->ca)
		return bad(l, "leaf-is-ca", hint,
		           "is presented as the end-entity certificate but asserts cA=TRUE "
		           "(RFC 5280 4.2.1.9: a CA certificate; webpki and Go reject a CA as a "
		           "TLS end entity)");
	if (HAS(l, X_KU) && (l->ku & GNUTLS_KEY_KEY_CERT_SIGN))
		return bad(l, "leaf-is-ca", hint,
		           "asserts keyCertSign in its keyUsage without cA=TRUE (RFC 5280 4.2.1.3: "
		           "keyCertSign only with the cA bit)");
	return 0;
}

/* A dNSName in the preferred name syntax (RFC 5280 4.2.1.6, RFC 1034 3.5,
 * RFC 1123 2.1), `*' allowed as the whole left-most label (RFC 6125 6.4.3).
 * Returns NULL or what is wrong. */
static const char *
dns_syntax(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0)
		return "is empty";
	if (s[0] == '.')
		return "starts with a dot";
	if (n > 253)
		return "is longer than 253 characters";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return "has an empty label";
			label = 0;
			continue;
		}
		if (++label > 63)
			return "has a label longer than 63 characters";
		if (c == '*' && i == 0 && (n == 1 || s[1] == '.'))
			continue;
		if (c == '*')
			return "has a `*' that is not the whole left-most label";
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return c == '_' ? "has an underscore (not in the preferred name syntax; "
			                  "CA/B Forum BR 7.1.2.7.12)"
			                : "has a character that is not a letter, digit or hyphen";
	}
	return NULL;
}

static int
lint_san_entry(struct lint *l, int type, const char *v, size_t n)
{
	const char *why = NULL, *kind = "";
	static const char *hint = "re-issue the certificate with that subjectAltName entry "
	                          "corrected";

	switch (type) {
	case GNUTLS_SAN_DNSNAME:
		kind = "dNSName";
		why = dns_syntax(v, n);
		break;
	case GNUTLS_SAN_IPADDRESS:
		if (n != 4 && n != 16)
			return bad(l, "malformed-san", hint,
			           "has an iPAddress subjectAltName of %zu octets (RFC 5280 "
			           "4.2.1.6: 4 for IPv4, 16 for IPv6)", n);
		return 0;
	case GNUTLS_SAN_RFC822NAME:
		kind = "rfc822Name";
		if (n == 0 || memchr(v, '@', n) == NULL || v[0] == '@' || v[n - 1] == '@')
			why = "is not a mailbox (local-part@domain)";
		break;
	case GNUTLS_SAN_URI:
		kind = "uniformResourceIdentifier";
		if (n == 0 || memchr(v, ':', n) == NULL || v[0] == ':')
			why = "is not an absolute URI (RFC 5280 4.2.1.6: no relative URIs)";
		break;
	default:
		return 0;
	}
	if (why == NULL)
		return 0;
	return bad(l, "malformed-san", hint, "has the %s subjectAltName `%.*s', which %s%s", kind,
	           (int)(n > 200 ? 200 : n), v, why,
	           type == GNUTLS_SAN_DNSNAME ? " (RFC 5280 4.2.1.6, RFC 1034 3.5)" : "");
}

static int
san_entry_cb(void *arg, int type, const char *val, size_t len)
{
	struct lint *l = arg;

	if (type < 0)
		return bad(l, "malformed-san", "re-issue the certificate",
		           "has a subjectAltName entry (number %u) that cannot be decoded: %s",
		           l->nsans + 1, gnutls_strerror(type)) < 0 ? -1 : 1;
	l->nsans++;
	return lint_san_entry(l, type, val, len) < 0 ? -1 : 0;
}

/* Every entry, however many (a public certificate may carry hundreds). */
static int
lint_sans(struct lint *l)
{
	int r;

	if (!HAS(l, X_SAN))
		return 0;
	if ((r = uctls_san_foreach(l->crt, san_entry_cb, l)) != 0)
		return r < 0 ? -1 : 0; /* an entry that cannot be decoded ends it */
	if (l->nsans == 0 &&
	    bad(l, "malformed-san", "re-issue the certificate with its names in the extension",
	        "has an empty subjectAltName extension (RFC 5280 4.2.1.6: at least one "
	        "entry)") < 0)
		return -1;
	return 0;
}

/* CA/Browser Forum Baseline Requirements 2.0 (TLS server certificates),
 * sections 6.1.5, 7.1.2.3, 7.1.2.7, 7.1.3: what a publicly-trusted CA may
 * issue, as webpki clients check it. */
static int
lint_webpki_eku(struct lint *l)
{
	char oid[128];
	size_t osz;
	unsigned k, crit;
	int ret, server = 0;

	if (l->pos == UCTLS_LINT_ANCHOR)
		return HAS(l, X_EKU) ? bad(l, "bad-extension", "use a root certificate without "
		                                               "extKeyUsage",
		                           "is a root CA certificate with extKeyUsage (CA/B Forum "
		                           "BR 7.1.2.1.2: MUST NOT be present)")
		                     : 0;
	if (l->pos != UCTLS_LINT_LEAF)
		return 0;
	if (!HAS(l, X_EKU))
		return bad(l, "eku-server-auth-missing", "re-issue the certificate with extKeyUsage "
		                                         "serverAuth",
		           "has no extKeyUsage (CA/B Forum BR 7.1.2.7.10: MUST be present with "
		           "serverAuth)");
	if (CRIT(l, X_EKU) &&
	    bad(l, "bad-criticality", "re-issue the certificate with extKeyUsage non-critical",
	        "marks extKeyUsage critical (CA/B Forum BR 7.1.2.7.10: MUST NOT be critical)") < 0)
		return -1;
	for (k = 0;; k++) {
		osz = sizeof(oid);
		ret = gnutls_x509_crt_get_key_purpose_oid(l->crt, k, oid, &osz, &crit);
		if (ret < 0)
			break;
		server |= strcmp(oid, OID_SERVER_AUTH) == 0;
		if (strcmp(oid, OID_SERVER_AUTH) != 0 && strcmp(oid, OID_CLIENT_AUTH) != 0 &&
		    bad(l, "bad-extension", "re-issue the certificate with serverAuth (and at most "
		                            "clientAuth) only",
		        "carries the extended key usage %s (CA/B Forum BR 7.1.2.7.10: only "
		        "serverAuth and clientAuth; anyExtendedKeyUsage MUST NOT be present)",
		        strcmp(oid, OID_ANY_EKU) == 0 ? "anyExtendedKeyUsage" : oid) < 0)
			return -1;
	}
	return 0;
}

static int
lint_webpki_key(struct lint *l)
{
	unsigned bits = 0;
	gnutls_ecc_curve_t curve;
	int pk = gnutls_x509_crt_get_pk_algorithm(l->crt, &bits);
	int sig = gnutls_x509_crt_get_signature_algorithm(l->crt);
	static const char *hint = "re-issue the certificate with an RSA key of 2048 bits or more "
	                          "or an ECDSA P-256/P-384/P-521 key";

	if ((pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS) && (bits < 2048 || bits % 8 != 0))
		return bad(l, "key-size", hint,
		           "has an RSA-%u key (CA/B Forum BR 6.1.5: at least 2048 bits, a "
		           "multiple of 8)", bits);
	if (pk == GNUTLS_PK_ECDSA) {
		gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };

		curve = GNUTLS_ECC_CURVE_INVALID;
		if (gnutls_x509_crt_get_pk_ecc_raw(l->crt, &curve, &x, &y) >= 0) {
			gnutls_free(x.data);
			gnutls_free(y.data);
		}
		if (curve != GNUTLS_ECC_CURVE_SECP256R1 && curve != GNUTLS_ECC_CURVE_SECP384R1 &&
		    curve != GNUTLS_ECC_CURVE_SECP521R1)
			return bad(l, "key-size", hint,
			           "has an ECDSA key on curve %s (CA/B Forum BR 6.1.5: P-256, P-384 "
			           "or P-521)", gnutls_ecc_curve_get_name(curve) != NULL
			                                ? gnutls_ecc_curve_get_name(curve)
			                                : "unknown");
	} else if (pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_RSA_PSS) {
		return bad(l, "key-size", hint,
		           "has a %s key (CA/B Forum BR 6.1.5: RSA or ECDSA only)",
		           gnutls_pk_get_name(pk) != NULL ? gnutls_pk_get_name(pk) : "unknown");
	}
	if (l->pos != UCTLS_LINT_ANCHOR && sig >= 0 &&
	    gnutls_sign_get_hash_algorithm(sig) != GNUTLS_DIG_SHA256 &&
	    gnutls_sign_get_hash_algorithm(sig) != GNUTLS_DIG_SHA384 &&
	    gnutls_sign_get_hash_algorithm(sig) != GNUTLS_DIG_SHA512)
		return bad(l, "insecure-algorithm", "re-issue the certificate with a SHA-256 "
		                                    "signature",
		           "is signed with %s (CA/B Forum BR 7.1.3.2: SHA-256, SHA-384 or "
		           "SHA-512 only)", gnutls_sign_get_name(sig) != NULL
		                                    ? gnutls_sign_get_name(sig)
		                                    : "an unknown algorithm");
	return 0;
}

/* BR 7.1.2.7.12 forbids Reserved IP Addresses (IANA special-purpose
 * registries) in a subscriber certificate. */
static int
ip_reserved(const unsigned char *a, size_t n)
{
	static const struct {
		unsigned char net[16];
		unsigned bits;
		unsigned char len;
	} reserved[] = {
		{ { 0 }, 8, 4 },           { { 10 }, 8, 4 },          { { 100, 64 }, 10, 4 },
		{ { 127 }, 8, 4 },         { { 169, 254 }, 16, 4 },   { { 172, 16 }, 12, 4 },
		{ { 192, 0, 0 }, 24, 4 },  { { 192, 0, 2 }, 24, 4 },  { { 192, 168 }, 16, 4 },
		{ { 198, 18 }, 15, 4 },    { { 198, 51, 100 }, 24, 4 }, { { 203, 0, 113 }, 24, 4 },
		{ { 224 }, 4, 4 },         { { 240 }, 4, 4 },
		{ { 0 }, 96, 16 } /* ::, ::1, IPv4-compatible */,
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96, 16 },
		{ { 0xfc }, 7, 16 },       { { 0xfe, 0x80 }, 10, 16 }, { { 0xff }, 8, 16 },
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, 16 },
	};
	size_t i;
	unsigned b;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (reserved[i].len != n)
			continue;
		for (b = 0; b < reserved[i].bits; b++)
			if (((a[b / 8] ^ reserved[i].net[b / 8]) >> (7 - b % 8)) & 1)
				break;
		if (b == reserved[i].bits)
			return 1;
	}
	return 0;
}

/* BR 1.6.1 "Internal Name": not under a TLD of the IANA root zone.  uctls
 * does not hold the root zone: a single label, or a last label that is
 * special-use (RFC 6761, 6762, 7686, 8375, 9476) or a common private
 * suffix, counts as internal. */
static int
dns_internal(const char *s, size_t n)
{
	static const char *const tlds[] = { "test", "localhost", "invalid", "example", "local",
		                            "onion", "alt", "arpa", "corp", "lan", "internal",
		                            "intranet", "home", "localdomain", "private", NULL };
	const char *dot = NULL, *last;
	size_t i, ll;

	for (i = 0; i < n; i++)
		if (s[i] == '.')
			dot = s + i;
	if (dot == NULL)
		return 1;
	last = dot + 1;
	ll = (size_t)(s + n - last);
	for (i = 0; tlds[i] != NULL; i++)
		if (strlen(tlds[i]) == ll && strncasecmp(last, tlds[i], ll) == 0)
			return 1;
	return 0;
}

/* BR 7.1.2.7.12: a subscriber certificate names public DNS names and
 * public IP addresses only; BR 7.1.4.3: a subject CN repeats one of them. */
static int
webpki_san_cb(void *arg, int type, const char *val, size_t len)
{
	struct lint *l = arg;

	if (type == GNUTLS_SAN_IPADDRESS && ip_reserved((const unsigned char *)val, len))
		return bad(l, "bad-extension", "use a public name or address",
		           "names a reserved IP address in its subjectAltName (CA/B Forum BR "
		           "7.1.2.7.12)") < 0 ? -1 : 0;
	if (type == GNUTLS_SAN_DNSNAME && dns_internal(val, len))
		return bad(l, "bad-extension", "use a name under a public top-level domain",
		           "has the internal name `%.*s' in its subjectAltName (CA/B Forum BR 1.6.1, "
		           "7.1.2.7.12)", (int)(len > 200 ? 200 : len), val) < 0 ? -1 : 0;
	return 0;
}

struct cn_in_san {
	const char *cn;
	int found;
};

static int
cn_in_san_cb(void *arg, int type, const char *val, size_t len)
{
	struct cn_in_san *c = arg;

	c->found |= type == GNUTLS_SAN_DNSNAME && len == strlen(c->cn) &&
	            strncasecmp(val, c->cn, len) == 0;
	return c->found;
}

/* BR 7.1.2.7.12: a subscriber certificate names public DNS names and
 * public IP addresses only; BR 7.1.4.3: a subject CN repeats one of them. */
static int
lint_webpki_names(struct lint *l)
{
	struct cn_in_san c;
	char cn[256];
	size_t csz;
	unsigned i;

	if (uctls_san_foreach(l->crt, webpki_san_cb, l) < 0)
		return -1;
	for (i = 0;; i++) {
		csz = sizeof(cn);
		if (gnutls_x509_crt_get_dn_by_oid(l->crt, GNUTLS_OID_X520_COMMON_NAME, i, 0, cn,
		                                  &csz) < 0)
			break;
		c.cn = cn;
		c.found = 0;
		if (uctls_san_foreach(l->crt, cn_in_san_cb, &c) < 0)
			return -1;
		if (!c.found && bad(l, "bad-subject", "re-issue the certificate with the CN among "
		                                      "its DNS subject alternative names",
		                    "has the subject CN `%s', which is none of its subjectAltName "
		                    "names (CA/B Forum BR 7.1.4.3)", cn) < 0)
			return -1;
	}
	return 0;
}

/* BR 7.1.2.7.7 and 7.1.2.7.9: a subscriber certificate says where its
 * issuer is and under which policy it was issued; BR 7.1.2.10.6: a TLS
 * subordinate CA's extKeyUsage allows serverAuth. */
static int
lint_webpki_required(struct lint *l)
{
	char oid[128];
	size_t osz;
	unsigned k, crit;
	int ret, server = 0;

	if (l->pos == UCTLS_LINT_CA && HAS(l, X_EKU)) {
		for (k = 0;; k++) {
			osz = sizeof(oid);
			ret = gnutls_x509_crt_get_key_purpose_oid(l->crt, k, oid, &osz, &crit);
			if (ret < 0)
				break;
			server |= strcmp(oid, OID_SERVER_AUTH) == 0 || strcmp(oid, OID_ANY_EKU) == 0;
		}
		if (!server)
			return bad(l, "eku-server-auth-missing", "have the server certificate issued "
			                                         "by a CA whose extKeyUsage allows "
			                                         "serverAuth",
			           "is a subordinate CA whose extKeyUsage does not allow serverAuth "
			           "(CA/B Forum BR 7.1.2.10.6; RFC 5280 4.2.1.12)");
	}
	if (l->pos != UCTLS_LINT_LEAF)
		return 0;
	if (!HAS(l, X_AIA) &&
	    bad(l, "bad-extension", "re-issue the certificate from a CA that includes "
	                            "authorityInformationAccess",
	        "has no authorityInformationAccess (CA/B Forum BR 7.1.2.7.7: MUST be "
	        "present)") < 0)
		return -1;
	if (!HAS(l, X_CP) &&
	    bad(l, "bad-extension", "re-issue the certificate with the CA/B Forum policy "
	                            "identifier",
	        "has no certificatePolicies (CA/B Forum BR 7.1.2.7.9: MUST be present)") < 0)
		return -1;
	return lint_webpki_names(l);
}

static int
lint_webpki(struct lint *l)
{
	time_t a, b;

	if (lint_webpki_eku(l) < 0 || lint_webpki_key(l) < 0)
		return -1;
	if (l->pos == UCTLS_LINT_LEAF && (!HAS(l, X_SAN) || l->nsans == 0) &&
	    bad(l, "cn-only-no-san", "re-issue the certificate with its names as DNS subject "
	                             "alternative names",
	        "has no subjectAltName (CA/B Forum BR 7.1.2.7.12: MUST be present)") < 0)
		return -1;
	if (lint_webpki_required(l) < 0)
		return -1;
	if (l->pos != UCTLS_LINT_LEAF)
		return 0;
	if (CRIT(l, X_SAN) && !l->subject_empty &&
	    bad(l, "bad-criticality", "re-issue the certificate with subjectAltName "
	                              "non-critical",
	        "marks subjectAltName critical while its subject is not empty (CA/B Forum BR "
	        "7.1.2.7.12; RFC 5280 4.2.1.6 SHOULD)") < 0)
		return -1;
	a = gnutls_x509_crt_get_activation_time(l->crt);
	b = gnutls_x509_crt_get_expiration_time(l->crt);
	if (b - a > 398L * 86400 &&
	    bad(l, "validity-period", "re-issue the certificate with a validity of at most "
	                              "398 days",
	        "is valid for %ld days (CA/B Forum BR 6.3.2: at most 398)",
	        (long)((b - a) / 86400)) < 0)
		return -1;
	return 0;
}

int
uctls_lint_cert(gnutls_x509_crt_t crt, enum uctls_lint_pos pos, const struct uctls_profile *p,
                uctls_lint_report report, void *arg)
{
	struct lint l;

	if (!p->rfc5280_strict && !p->webpki)
		return 0;
	memset(&l, 0, sizeof(l));
	l.crt = crt;
	l.pos = pos;
	l.p = p;
	l.report = report;
	l.arg = arg;
	/* A version 1 certificate has no extensions: a trust anchor or an
	 * end entity may be one, never an intermediate (RFC 5280 6.1.4 (k)); a
	 * public CA issues version 3 only (CA/B Forum BR 7.1.1). */
	if (gnutls_x509_crt_get_version(crt) < 3) {
		if (pos == UCTLS_LINT_ANCHOR || (pos == UCTLS_LINT_LEAF && !p->webpki))
			return 0;
		return bad(&l, "bad-extension", "re-issue the certificate as X.509 version 3",
		           "is an X.509 version %d certificate (RFC 5280 6.1.4 (k): an "
		           "intermediate needs version 3 and basicConstraints; CA/B Forum BR "
		           "7.1.1: version 3)",
		           gnutls_x509_crt_get_version(crt));
	}
	/* In order of precedence: the first problem is the cause. */
	if (read_extensions(&l) < 0 || lint_leaf(&l) < 0 || lint_names(&l) < 0 ||
	    lint_key_ids(&l) < 0 || lint_ca_rules(&l) < 0 || lint_contents(&l) < 0 ||
	    lint_sans(&l) < 0 ||
	    lint_serial(&l) < 0)
		return -1;
	if (p->webpki && lint_webpki(&l) < 0)
		return -1;
	return 0;
}
