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
 * serial); the signature is made with gnutls_privkey_sign_data,
 * deterministic (RFC 6979 for ECDSA) as pki.c's, so that `uctls pki export'
 * writes the same response bytes again under the same key cache; and the
 * result is checked by GnuTLS's own parser and verifier in the tests
 * (tests/check_revoke.c), by `openssl ocsp' (tests/revoke.sh) and by every
 * verifier that fetches it.
 *
 * A delegated responder (RFC 6960 4.2.2.2) names itself in responderID and
 * sends its certificate in the certs field ([0] EXPLICIT SEQUENCE OF
 * Certificate), as `openssl ocsp -rsigner' does; uctls_ocsp_check_signer
 * is the verifier's side of that rule. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/ocsp.h>

#include "revoke-int.h"
#include "verify.h"

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

/* certs [0] EXPLICIT SEQUENCE OF Certificate: CRT alone. */
static int
put_certs(struct der *d, gnutls_x509_crt_t crt)
{
	gnutls_datum_t c = { NULL, 0 };
	struct der seq = { 0 };

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &c) < 0)
		return -1;
	tlv(&seq, 0x30, c.data, c.size);
	tlv(d, 0xa0, seq.p, seq.n);
	gnutls_free(c.data);
	free(seq.p);
	return seq.oom ? -1 : 0;
}

/* The response of RESPONDER (responderID byName), signed with KEY; SEND
 * (may be NULL) goes in its certs field. */
static int
build(const gnutls_datum_t *req, gnutls_x509_crt_t responder, gnutls_x509_crt_t send,
      gnutls_privkey_t key, int status, time_t revoked_at, time_t this_update,
      time_t next_update, time_t produced, gnutls_datum_t *out, struct uctls_err *err)
{
	struct der rd = { 0 }, basic = { 0 }, bytes = { 0 }, resp = { 0 };
	gnutls_digest_algorithm_t dig;
	gnutls_datum_t tbs, sig = { NULL, 0 };
	int rv = -1;

	out->data = NULL;
	out->size = 0;
	if (response_data(req, responder, status, revoked_at, this_update, next_update, produced,
	                  &rd) < 0) {
		uctls_err_set(err, "OCSP: not a request for one certificate, or out of memory");
		goto out;
	}
	tbs.data = rd.p;
	tbs.size = (unsigned)rd.n;
	put(&basic, rd.p, rd.n);
	if (sig_alg(key, &basic, &dig) < 0 ||
	    gnutls_privkey_sign_data(key, dig, GNUTLS_PRIVKEY_FLAG_REPRODUCIBLE, &tbs, &sig) < 0) {
		uctls_err_set(err, "OCSP: signing the response failed");
		goto out;
	}
	put(&bytes, "\x00", 1);
	put(&bytes, sig.data, sig.size);
	tlv(&basic, 0x03, bytes.p, bytes.n);
	if (send != NULL && put_certs(&basic, send) < 0) {
		uctls_err_set(err, "OCSP: the responder certificate could not be exported");
		goto out;
	}
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
uctls_ocsp_build(const gnutls_datum_t *req, gnutls_x509_crt_t issuer, gnutls_privkey_t key,
                 int status, time_t revoked_at, time_t this_update, time_t next_update,
                 time_t produced, gnutls_datum_t *out, struct uctls_err *err)
{
	return build(req, issuer, NULL, key, status, revoked_at, this_update, next_update,
	             produced, out, err);
}

int
uctls_ocsp_build_delegated(const gnutls_datum_t *req, gnutls_x509_crt_t responder,
                           gnutls_privkey_t key, int status, time_t revoked_at,
                           time_t this_update, time_t next_update, time_t produced,
                           gnutls_datum_t *out, struct uctls_err *err)
{
	return build(req, responder, responder, key, status, revoked_at, this_update, next_update,
	             produced, out, err);
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

/* ------------------------------------------------------------------------
 * Who signed a response (the verifier's side)
 * ------------------------------------------------------------------------ */

/* The certificate R's responderID names among R's certs (byName: its
 * subject; byKey: its subjectKeyIdentifier), or NULL. */
static gnutls_x509_crt_t
responder_cert(gnutls_ocsp_resp_t r)
{
	gnutls_x509_crt_t *certs = NULL, found = NULL;
	gnutls_datum_t dn = { NULL, 0 }, kid = { NULL, 0 }, sdn = { NULL, 0 };
	unsigned char ski[64];
	size_t n = 0, i, skl;

	if (gnutls_ocsp_resp_get_responder_raw_id(r, GNUTLS_OCSP_RESP_ID_DN, &dn) < 0 &&
	    gnutls_ocsp_resp_get_responder_raw_id(r, GNUTLS_OCSP_RESP_ID_KEY, &kid) < 0)
		return NULL;
	if (gnutls_ocsp_resp_get_certs(r, &certs, &n) < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		skl = sizeof(ski);
		if (found == NULL && dn.data != NULL &&
		    gnutls_x509_crt_get_raw_dn(certs[i], &sdn) >= 0 && sdn.size == dn.size &&
		    memcmp(sdn.data, dn.data, dn.size) == 0)
			found = certs[i];
		else if (found == NULL && kid.data != NULL &&
		         gnutls_x509_crt_get_subject_key_id(certs[i], ski, &skl, NULL) >= 0 &&
		         skl == kid.size && memcmp(ski, kid.data, skl) == 0)
			found = certs[i];
		gnutls_free(sdn.data);
		sdn.data = NULL;
		if (certs[i] != found)
			gnutls_x509_crt_deinit(certs[i]);
	}
	gnutls_free(certs);
	gnutls_free(dn.data);
	gnutls_free(kid.data);
	return found;
}

static int
has_ocsp_signing(gnutls_x509_crt_t crt)
{
	char oid[128];
	size_t n;
	unsigned i;
	int r;

	for (i = 0; i < 64; i++) {
		n = sizeof(oid);
		r = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &n, NULL);
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (r < 0)
			return 0;
		if (strcmp(oid, GNUTLS_KP_OCSP_SIGNING) == 0)
			return 1;
	}
	return 0;
}

/* Why the delegated responder certificate RC (DN) may not sign for the
 * certificates ISSUER issued, at NOW; 0 when it may. */
static int
delegate_why(gnutls_x509_crt_t rc, const char *dn, gnutls_x509_crt_t issuer, time_t now,
             char *why, size_t nwhy)
{
	char *idn = NULL, *cadn = NULL, t[32];
	unsigned v = 0;
	time_t nb = gnutls_x509_crt_get_activation_time(rc);
	time_t na = gnutls_x509_crt_get_expiration_time(rc);
	int r = -1;

	/* the scenario's clock, not the real one: GnuTLS's time checks off */
	if (!gnutls_x509_crt_check_issuer(rc, issuer) ||
	    gnutls_x509_crt_verify(rc, &issuer, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &v) < 0 ||
	    (v & GNUTLS_CERT_SIGNATURE_FAILURE) != 0) {
		idn = uctls_verify_dn(rc, 1);
		cadn = uctls_verify_dn(issuer, 0);
		snprintf(why, nwhy, "the OCSP responder certificate `%s' is issued by `%s', not by "
		         "`%s', the CA that issued the certificate (RFC 6960 4.2.2.2)", dn,
		         idn != NULL ? idn : "?", cadn != NULL ? cadn : "?");
	} else if (!has_ocsp_signing(rc)) {
		snprintf(why, nwhy, "the OCSP responder certificate `%s' lacks id-kp-OCSPSigning in "
		         "its extendedKeyUsage (RFC 6960 4.2.2.2)", dn);
	} else if (now < nb || now > na) {
		uctls_fmt_time(now < nb ? nb : na, t, sizeof(t));
		snprintf(why, nwhy, "the OCSP responder certificate `%s' is %s %s (RFC 6960 3.2 "
		         "(4))", dn, now < nb ? "not valid before" : "expired since", t);
	} else {
		r = 0;
	}
	free(idn);
	free(cadn);
	return r;
}

int
uctls_ocsp_check_signer(gnutls_ocsp_resp_t r, gnutls_x509_crt_t issuer, time_t now,
                        char **delegate, char *why, size_t nwhy)
{
	gnutls_x509_crt_t rc = responder_cert(r);
	unsigned v = 0;
	char *dn = NULL;
	int rv = -1;

	*delegate = NULL;
	if (rc == NULL || gnutls_x509_crt_equals(rc, issuer)) {
		/* signed by the CA itself (or by a key with no certificate) */
		if (gnutls_ocsp_resp_verify_direct(r, issuer, &v, 0) < 0 || v != 0)
			snprintf(why, nwhy, "the response is not signed by the certificate's issuer "
			         "nor by a responder it authorised (RFC 6960 4.2.2.2)");
		else
			rv = 0;
		goto out;
	}
	if ((dn = uctls_verify_dn(rc, 0)) == NULL) {
		snprintf(why, nwhy, "out of memory");
		goto out;
	}
	if (delegate_why(rc, dn, issuer, now, why, nwhy) < 0)
		goto out;
	/* RC given as the "issuer": GnuTLS finds it in the certs and checks
	 * the signature with its key only */
	if (gnutls_ocsp_resp_verify_direct(r, rc, &v, 0) < 0 || v != 0) {
		snprintf(why, nwhy, "the response's signature does not verify with the key of its "
		         "OCSP responder certificate `%s' (RFC 6960 3.2 (2))", dn);
		goto out;
	}
	*delegate = dn;
	dn = NULL;
	rv = 0;
out:
	free(dn);
	gnutls_x509_crt_deinit(rc);
	return rv;
}
