/* uctls — OCSP responses built by hand (revoke.h uctls_ocsp_build).
 *
 * GnuTLS 3.7 parses and verifies OCSP responses (gnutls_ocsp_resp_*) but
 * does not create them, so the responder writes the DER itself: the
 * structure is small and fixed (RFC 6960 4.2.1):
 *
 *   OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED successful(0),
 *       responseBytes [0] EXPLICIT SEQUENCE { id-pkix-ocsp-basic,
 *                                            OCTET STRING BasicOCSPResponse } }
 *   BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm,
 *                                    signature BIT STRING }
 *   ResponseData ::= SEQUENCE { responderID byName [1] EXPLICIT Name,
 *       producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse }
 *   SingleResponse ::= SEQUENCE { certID, certStatus (good [0] IMPLICIT NULL |
 *       revoked [1] IMPLICIT SEQUENCE { revocationTime } | unknown [2]),
 *       thisUpdate, nextUpdate [0] EXPLICIT }
 *
 * The certID is the request's (hash algorithm, issuer name and key hashes,
 * serial); the signature is made with gnutls_privkey_sign_data, and the
 * result is checked by GnuTLS's own parser and verifier in the tests
 * (tests/check_revoke.c) and by every verifier that fetches it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/ocsp.h>

#include "revoke.h"

struct der {
	unsigned char *p;
	size_t n, cap;
	int oom;
};

static void
put(struct der *d, const void *b, size_t n)
{
	unsigned char *np;

	if (d->oom)
		return;
	if (d->n + n > d->cap) {
		size_t cap = (d->n + n) * 2 + 64;

		if ((np = realloc(d->p, cap)) == NULL) {
			d->oom = 1;
			return;
		}
		d->p = np;
		d->cap = cap;
	}
	memcpy(d->p + d->n, b, n);
	d->n += n;
}

/* TAG, the DER length of N, then N bytes of B. */
static void
tlv(struct der *d, unsigned char tag, const void *b, size_t n)
{
	unsigned char h[6];
	size_t k = 0;

	h[k++] = tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
	} else if (n < 0x100) {
		h[k++] = 0x81;
		h[k++] = (unsigned char)n;
	} else if (n < 0x10000) {
		h[k++] = 0x82;
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	} else {
		h[k++] = 0x83;
		h[k++] = (unsigned char)(n >> 16);
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	}
	put(d, h, k);
	put(d, b, n);
}

/* Wraps D's content in TAG (D becomes the TLV). */
static void
wrap(struct der *d, unsigned char tag)
{
	struct der o = { NULL, 0, 0, d->oom };

	tlv(&o, tag, d->p, d->n);
	free(d->p);
	*d = o;
}

static void
gentime(struct der *d, time_t t)
{
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm);
	tlv(d, 0x18, s, strlen(s));
}

static const unsigned char alg_sha1[] = { 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
	                                  0x03, 0x02, 0x1a, 0x05, 0x00 };
static const unsigned char alg_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00 };

/* CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash,
 * serialNumber } of the request's first certificate. */
static int
cert_id(const gnutls_datum_t *req, struct der *d)
{
	gnutls_ocsp_req_t r = NULL;
	gnutls_digest_algorithm_t dig;
	gnutls_datum_t nh = { NULL, 0 }, kh = { NULL, 0 }, sn = { NULL, 0 };
	int rv = -1;

	if (gnutls_ocsp_req_init(&r) < 0 || gnutls_ocsp_req_import(r, req) < 0 ||
	    gnutls_ocsp_req_get_cert_id(r, 0, &dig, &nh, &kh, &sn) < 0)
		goto out;
	if (dig == GNUTLS_DIG_SHA1)
		put(d, alg_sha1, sizeof(alg_sha1));
	else if (dig == GNUTLS_DIG_SHA256)
		put(d, alg_sha256, sizeof(alg_sha256));
	else
		goto out;
	tlv(d, 0x04, nh.data, nh.size);
	tlv(d, 0x04, kh.data, kh.size);
	tlv(d, 0x02, sn.data, sn.size);
	wrap(d, 0x30);
	rv = d->oom ? -1 : 0;
out:
	gnutls_free(nh.data);
	gnutls_free(kh.data);
	gnutls_free(sn.data);
	gnutls_ocsp_req_deinit(r);
	return rv;
}

/* signatureAlgorithm for KEY, and the digest to sign with. */
static int
sig_alg(gnutls_privkey_t key, struct der *d, gnutls_digest_algorithm_t *dig)
{
	static const unsigned char rsa256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
		                                0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
	static const unsigned char ec256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
		                               0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const unsigned char ec384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
		                               0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
	static const unsigned char ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
	unsigned bits = 0;

	switch (gnutls_privkey_get_pk_algorithm(key, &bits)) {
	case GNUTLS_PK_RSA:
		*dig = GNUTLS_DIG_SHA256;
		put(d, rsa256, sizeof(rsa256));
		return 0;
	case GNUTLS_PK_ECDSA:
		*dig = bits > 256 ? GNUTLS_DIG_SHA384 : GNUTLS_DIG_SHA256;
		put(d, bits > 256 ? ec384 : ec256, sizeof(ec256));
		return 0;
	case GNUTLS_PK_EDDSA_ED25519:
		*dig = GNUTLS_DIG_SHA512;
		put(d, ed25519, sizeof(ed25519));
		return 0;
	default:
		return -1;
	}
}

/* ResponseData with one SingleResponse. */
static int
response_data(const gnutls_datum_t *req, gnutls_x509_crt_t issuer, int status,
              time_t revoked_at, time_t this_update, time_t next_update, time_t produced,
              struct der *rd)
{
	struct der single = { 0 }, st = { 0 }, nu = { 0 };
	gnutls_datum_t dn = { NULL, 0 };
	int rv = -1;

	if (cert_id(req, &single) < 0 || gnutls_x509_crt_get_raw_dn(issuer, &dn) < 0)
		goto out;
	if (status == 1) {
		gentime(&st, revoked_at);
		tlv(&single, 0xa1, st.p, st.n); /* revoked [1] IMPLICIT SEQUENCE */
	} else {
		put(&single, status == 0 ? "\x80\x00" : "\x82\x00", 2);
	}
	gentime(&single, this_update);
	gentime(&nu, next_update);
	tlv(&single, 0xa0, nu.p, nu.n);
	wrap(&single, 0x30);
	tlv(rd, 0xa1, dn.data, dn.size); /* responderID byName */
	gentime(rd, produced);
	tlv(rd, 0x30, single.p, single.n);
	wrap(rd, 0x30);
	rv = rd->oom || single.oom || st.oom || nu.oom ? -1 : 0;
out:
	gnutls_free(dn.data);
	free(single.p);
	free(st.p);
	free(nu.p);
	return rv;
}

int
uctls_ocsp_build(const gnutls_datum_t *req, gnutls_x509_crt_t issuer, gnutls_privkey_t key,
                 int status, time_t revoked_at, time_t this_update, time_t next_update,
                 time_t produced, gnutls_datum_t *out, struct uctls_err *err)
{
	struct der rd = { 0 }, basic = { 0 }, bytes = { 0 }, resp = { 0 };
	gnutls_digest_algorithm_t dig;
	gnutls_datum_t tbs, sig = { NULL, 0 };
	int rv = -1;

	out->data = NULL;
	out->size = 0;
	if (response_data(req, issuer, status, revoked_at, this_update, next_update, produced,
	                  &rd) < 0) {
		uctls_err_set(err, "OCSP: not a request for one certificate, or out of memory");
		goto out;
	}
	tbs.data = rd.p;
	tbs.size = (unsigned)rd.n;
	put(&basic, rd.p, rd.n);
	if (sig_alg(key, &basic, &dig) < 0 ||
	    gnutls_privkey_sign_data(key, dig, 0, &tbs, &sig) < 0) {
		uctls_err_set(err, "OCSP: signing the response failed");
		goto out;
	}
	put(&bytes, "\x00", 1);
	put(&bytes, sig.data, sig.size);
	tlv(&basic, 0x03, bytes.p, bytes.n);
	wrap(&basic, 0x30);
	bytes.n = 0;
	/* id-pkix-ocsp-basic 1.3.6.1.5.5.7.48.1.1 */
	put(&bytes, "\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01", 11);
	tlv(&bytes, 0x04, basic.p, basic.n);
	wrap(&bytes, 0x30);
	put(&resp, "\x0a\x01\x00", 3); /* successful */
	tlv(&resp, 0xa0, bytes.p, bytes.n);
	wrap(&resp, 0x30);
	if (resp.oom || bytes.oom || basic.oom || (out->data = gnutls_malloc(resp.n)) == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	memcpy(out->data, resp.p, resp.n);
	out->size = (unsigned)resp.n;
	rv = 0;
out:
	gnutls_free(sig.data);
	free(rd.p);
	free(basic.p);
	free(bytes.p);
	free(resp.p);
	return rv;
}

int
uctls_ocsp_request(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, gnutls_datum_t *out)
{
	gnutls_ocsp_req_t r = NULL;
	int rv = -1;

	out->data = NULL;
	out->size = 0;
	if (gnutls_ocsp_req_init(&r) >= 0 &&
	    gnutls_ocsp_req_add_cert(r, GNUTLS_DIG_SHA1, issuer, crt) >= 0 &&
	    gnutls_ocsp_req_export(r, out) >= 0)
		rv = 0;
	gnutls_ocsp_req_deinit(r);
	return rv;
}
