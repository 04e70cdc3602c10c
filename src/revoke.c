/* uctls — revocation checking (revoke.h): the CRLs a scenario's CAs
 * publish, the OCSP answers its responders give, and the verifier's stage
 * that fetches and judges them.
 *
 * Sources: RFC 5280 5 (CRL profile) and 6.3 (CRL validation: signed by the
 * certificate's issuer, current at the time of checking), 4.2.1.13
 * (cRLDistributionPoints); RFC 6960 (OCSP: 2.2 good / revoked / unknown,
 * 3.2 response acceptance: signed by the issuer or a delegated responder,
 * thisUpdate/nextUpdate current, 4.2.2.2 authorised responders); RFC 6066
 * 8 and RFC 8446 4.4.2.1 (a stapled status_request answer).  The policy
 * (which sources, which certificates of the path, the fallback when the
 * status cannot be obtained, an expired CRL) is the verifier's profile's
 * (docs/profiles.md "Revocation"), or its peer's revocation attributes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/ocsp.h>

#include "http.h"
#include "pki.h"
#include "profile.h"
#include "revoke-int.h"
#include "scenario.h"
#include "verify.h"

#define DAY 86400

/* ------------------------------------------------------------------------
 * The run's state
 * ------------------------------------------------------------------------ */

int
uctls_revoke_new(const struct uctls_scenario *sc, const struct uctls_pki *pki, int timeout_ms,
                 struct uctls_revoke **out, struct uctls_err *err)
{
	struct uctls_revoke *rv;

	*out = NULL;
	if (sc->rev == NULL)
		return 0;
	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return uctls_err_set(err, "out of memory");
	rv->sc = sc;
	rv->pki = pki;
	rv->timeout = timeout_ms > 0 ? timeout_ms : 5000;
	rv->lfd = rv->stop[0] = rv->stop[1] = -1;
	*out = rv;
	return 0;
}

int
uctls_revoke_new_files(const char *const *crls, size_t ncrls, const char *ocsp,
                       struct uctls_revoke **out, struct uctls_err *err)
{
	struct uctls_revoke *rv;
	size_t i;
	int r;

	if ((rv = calloc(1, sizeof(*rv))) == NULL ||
	    (ncrls > 0 && (rv->fcrls = calloc(ncrls, sizeof(*rv->fcrls))) == NULL)) {
		free(rv);
		return uctls_err_set(err, "out of memory");
	}
	rv->lfd = rv->stop[0] = rv->stop[1] = -1;
	rv->fcrl_names = crls;
	rv->focsp_name = ocsp;
	*out = rv;
	for (i = 0; i < ncrls; i++, rv->nfcrls++)
		if ((r = gnutls_load_file(crls[i], &rv->fcrls[i])) < 0)
			return uctls_err_set(err, "%s: %s", crls[i], gnutls_strerror(r));
	if (ocsp != NULL && (r = gnutls_load_file(ocsp, &rv->focsp)) < 0)
		return uctls_err_set(err, "%s: %s", ocsp, gnutls_strerror(r));
	return 0;
}

void
uctls_revoke_free(struct uctls_revoke *rv)
{
	struct rev_cache *c;

	if (rv == NULL)
		return;
	rev_http_stop(rv);
	for (size_t i = 0; i < rv->nfcrls; i++)
		gnutls_free(rv->fcrls[i].data);
	free(rv->fcrls);
	gnutls_free(rv->focsp.data);
	while ((c = rv->cache) != NULL) {
		rv->cache = c->next;
		free(c->key);
		gnutls_free(c->body.data);
		free(c);
	}
	free(rv);
}

/* A signing key for ID (a copy: the pool's keys are shared by threads). */
static int
signer(const struct uctls_pki *pki, const char *id, gnutls_privkey_t *pk)
{
	gnutls_x509_privkey_t k = uctls_pki_key(pki, id);

	*pk = NULL;
	if (k == NULL || gnutls_privkey_init(pk) < 0)
		return -1;
	if (gnutls_privkey_import_x509(*pk, k, GNUTLS_PRIVKEY_IMPORT_COPY) < 0) {
		gnutls_privkey_deinit(*pk);
		*pk = NULL;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * What the responder serves
 * ------------------------------------------------------------------------ */

static int
crl_add_revoked(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                const struct uctls_crldef *cd, gnutls_x509_crl_t crl)
{
	unsigned char serial[64];
	size_t i, sl;

	for (i = 0; i < cd->nrevoked; i++) {
		gnutls_x509_crt_t c = uctls_pki_crt(pki, cd->revoked[i]);

		sl = sizeof(serial);
		if (c == NULL || gnutls_x509_crt_get_serial(c, serial, &sl) < 0 ||
		    gnutls_x509_crl_set_crt_serial(crl, serial, sl, cd->this_update) < 0)
			return -1;
	}
	(void)sc;
	return 0;
}

int
uctls_revoke_crl_der(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                     const struct uctls_crldef *cd, gnutls_datum_t *out, struct uctls_err *err)
{
	gnutls_x509_crl_t crl = NULL;
	gnutls_privkey_t pk = NULL;
	gnutls_x509_crt_t iss = uctls_pki_crt(pki, cd->issuer);
	unsigned char ski[64], num[1] = { 1 };
	size_t skl = sizeof(ski);
	int ret, rv = -1;

	out->data = NULL;
	out->size = 0;
	if (iss == NULL || signer(pki, cd->signed_with != NULL ? cd->signed_with : cd->issuer,
	                          &pk) < 0)
		return uctls_err_at(err, sc->file, cd->line, "<crl id=\"%s\">: no key to sign it "
		                    "with (a CA loaded without its key file)", cd->id);
	/* RFC 5280 5.1.2.1 v2; 5.2.1 authorityKeyIdentifier; 5.2.3 cRLNumber. */
	if ((ret = gnutls_x509_crl_init(&crl)) < 0 ||
	    (ret = gnutls_x509_crl_set_version(crl, 2)) < 0 ||
	    (ret = gnutls_x509_crl_set_this_update(crl, cd->this_update)) < 0 ||
	    (ret = gnutls_x509_crl_set_next_update(crl, cd->next_update)) < 0 ||
	    (ret = gnutls_x509_crl_set_number(crl, num, sizeof(num))) < 0)
		goto fail;
	if (gnutls_x509_crt_get_subject_key_id(iss, ski, &skl, NULL) >= 0 &&
	    (ret = gnutls_x509_crl_set_authority_key_id(crl, ski, skl)) < 0)
		goto fail;
	if (crl_add_revoked(sc, pki, cd, crl) < 0) {
		ret = GNUTLS_E_INTERNAL_ERROR;
		goto fail;
	}
	if ((ret = gnutls_x509_crl_privkey_sign(crl, iss, pk, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (ret = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, out)) < 0)
		goto fail;
	rv = 0;
	goto out;
fail:
	uctls_err_at(err, sc->file, cd->line, "<crl id=\"%s\">: %s", cd->id, gnutls_strerror(ret));
out:
	gnutls_x509_crl_deinit(crl);
	gnutls_privkey_deinit(pk);
	return rv;
}

/* Does URL name TARGET at AUTHORITY (the Host header)? */
static int
url_is(const char *url, const char *authority, const char *target)
{
	char *a = NULL, *h = NULL, *p = NULL;
	const char *why;
	int r;

	if (authority == NULL || uctls_http_url(url, &a, &h, &p, &why) < 0)
		return 0;
	r = strcasecmp(a, authority) == 0 && strcmp(p, target) == 0;
	free(a);
	free(h);
	free(p);
	return r;
}

static int
in_ids(char *const *ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

/* The id of the certificate OD's issuer issued with serial SERIAL, or NULL. */
static const char *
ocsp_subject(const struct uctls_revoke *rv, const struct uctls_ocspdef *od,
             const gnutls_datum_t *serial)
{
	unsigned char s[64];
	size_t i, sl;

	for (i = 0; i < rv->sc->ncerts; i++) {
		const struct uctls_certdef *cd = &rv->sc->certs[i];
		gnutls_x509_crt_t c = uctls_pki_crt(rv->pki, cd->id);

		sl = sizeof(s);
		if (cd->issuer == NULL || strcmp(cd->issuer, od->issuer) != 0 || c == NULL ||
		    gnutls_x509_crt_get_serial(c, s, &sl) < 0)
			continue;
		if (sl == serial->size && memcmp(s, serial->data, sl) == 0)
			return cd->id;
	}
	return NULL;
}

/* OD's answer to the OCSP request REQ (DER). */
static int
ocsp_answer(struct uctls_revoke *rv, const struct uctls_ocspdef *od, const gnutls_datum_t *req,
            gnutls_datum_t *body)
{
	gnutls_ocsp_req_t r = NULL;
	gnutls_datum_t serial = { NULL, 0 };
	gnutls_privkey_t pk = NULL;
	const char *id = NULL;
	struct uctls_err err;
	int st = 2, status = 400;

	memset(&err, 0, sizeof(err));
	if (gnutls_ocsp_req_init(&r) < 0 || gnutls_ocsp_req_import(r, req) < 0 ||
	    gnutls_ocsp_req_get_cert_id(r, 0, NULL, NULL, NULL, &serial) < 0)
		goto out;
	id = ocsp_subject(rv, od, &serial);
	if (id != NULL)
		st = in_ids(od->revoked, od->nrevoked, id) ? 1
		     : in_ids(od->unknown, od->nunknown, id) ? 2 : 0;
	status = 500;
	if (signer(rv->pki, od->signed_with != NULL ? od->signed_with : od->issuer, &pk) < 0)
		goto out;
	/* signed-with: a delegated responder, its certificate sent (ocsp.c) */
	if (od->signed_with != NULL && strcmp(od->signed_with, od->issuer) != 0
	        ? uctls_ocsp_build_delegated(req, uctls_pki_crt(rv->pki, od->signed_with), pk, st,
	                                     od->this_update, od->this_update, od->next_update,
	                                     rv->sc->now, body, &err) < 0
	        : uctls_ocsp_build(req, uctls_pki_crt(rv->pki, od->issuer), pk, st, od->this_update,
	                           od->this_update, od->next_update, rv->sc->now, body, &err) < 0)
		goto out;
	status = 200;
out:
	gnutls_free(serial.data);
	gnutls_ocsp_req_deinit(r);
	gnutls_privkey_deinit(pk);
	return status;
}

int
rev_answer(struct uctls_revoke *rv, const struct uctls_http_msg *rq, gnutls_datum_t *body,
           int *down)
{
	const struct uctls_revdef *rd = rv->sc->rev;
	const char *host = uctls_http_header(rq, "Host");
	gnutls_datum_t req;
	struct uctls_err err;
	size_t i;

	memset(&err, 0, sizeof(err));
	for (i = 0; i < rd->ncrls; i++) {
		if (!url_is(rd->crls[i].url, host, rq->target))
			continue;
		if ((*down = rd->crls[i].down))
			return 0;
		return uctls_revoke_crl_der(rv->sc, rv->pki, &rd->crls[i], body, &err) < 0 ? 500
		                                                                           : 200;
	}
	for (i = 0; i < rd->nocsps; i++) {
		if (!url_is(rd->ocsps[i].url, host, rq->target))
			continue;
		if ((*down = rd->ocsps[i].down))
			return 0;
		if (strcmp(rq->method, "POST") != 0)
			return 405;
		req.data = (unsigned char *)rq->body;
		req.size = (unsigned)rq->body_len;
		return ocsp_answer(rv, &rd->ocsps[i], &req, body);
	}
	return 404;
}

const char *
rev_content_type(const struct uctls_http_msg *rq)
{
	/* RFC 5280 4.2.1.13 / RFC 2585: application/pkix-crl; RFC 6960 A.1 */
	return strcmp(rq->method, "POST") == 0 ? "application/ocsp-response"
	                                       : "application/pkix-crl";
}

/* ------------------------------------------------------------------------
 * Fetching, with the run's cache
 * ------------------------------------------------------------------------ */

static const struct rev_cache *
fetch(struct uctls_revoke *rv, const char *url, const char *key, const gnutls_datum_t *post)
{
	struct rev_cache *c;

	for (c = rv->cache; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->key = strdup(key)) == NULL) {
		free(c);
		return NULL;
	}
	c->ok = rev_http_fetch(rv, url, post, &c->body, c->why, sizeof(c->why)) == 0;
	c->next = rv->cache;
	rv->cache = c;
	return c;
}

/* ------------------------------------------------------------------------
 * Judging one certificate
 * ------------------------------------------------------------------------ */

enum { ST_NONE = -1, ST_GOOD, ST_REVOKED, ST_UNKNOWN, ST_EXPIRED };

struct status {
	int st;
	time_t when;      /* ST_REVOKED: revocationDate; ST_EXPIRED: nextUpdate */
	char src[320];    /* "the CRL at URL", "the OCSP responder at URL" */
	char why[768];    /* ST_UNKNOWN: every source tried and what it gave */
};

struct policy {
	unsigned sources;
	int all, fail_closed, expired_revokes;
};

static void
add_why(struct status *s, const char *src, const char *what)
{
	size_t n = strlen(s->why);

	snprintf(s->why + n, sizeof(s->why) - n, "%s%s: %s", n > 0 ? "; " : "", src, what);
}

#define NZ(s) ((s) != NULL ? (s) : "")

/* RFC 6960 3.2: the response names CRT, is signed by ISSUER (or a responder
 * it delegated to), and is current. */
static void
judge_ocsp(const gnutls_datum_t *der, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
           time_t now, const char *src, struct status *s)
{
	gnutls_ocsp_resp_t r = NULL;
	unsigned cs = 0;
	time_t tu, nu, rt;
	char t[32], sig[400], *dlg = NULL;

	if (gnutls_ocsp_resp_init(&r) < 0 || gnutls_ocsp_resp_import(r, der) < 0) {
		add_why(s, src, "the answer is not an OCSP response");
	} else if (gnutls_ocsp_resp_get_status(r) != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		add_why(s, src, "the responder answered with an error status (RFC 6960 2.3)");
	} else if (uctls_ocsp_check_signer(r, issuer, now, &dlg, sig, sizeof(sig)) < 0) {
		add_why(s, src, sig); /* ocsp.c: RFC 6960 4.2.2.2, delegated responders */
	} else if (gnutls_ocsp_resp_check_crt(r, 0, crt) < 0 ||
	           gnutls_ocsp_resp_get_single(r, 0, NULL, NULL, NULL, NULL, &cs, &tu, &nu, &rt,
	                                       NULL) < 0) {
		add_why(s, src, "the response is about another certificate");
	} else if (nu != (time_t)-1 && now > nu) {
		uctls_fmt_time(nu, t, sizeof(t));
		add_why(s, src, "the response is stale: its nextUpdate was ");
		snprintf(s->why + strlen(s->why), sizeof(s->why) - strlen(s->why), "%s (RFC 6960 "
		         "3.2 (5))", t);
	} else if (cs == GNUTLS_OCSP_CERT_UNKNOWN) {
		add_why(s, src, "the responder does not know the certificate (status unknown, RFC "
		                "6960 2.2)");
	} else {
		s->st = cs == GNUTLS_OCSP_CERT_REVOKED ? ST_REVOKED : ST_GOOD;
		s->when = rt;
		snprintf(s->src, sizeof(s->src), "%s%s%s%s", src,
		         dlg != NULL ? " (signed by its delegated responder `" : "", NZ(dlg),
		         dlg != NULL ? "')" : "");
	}
	free(dlg);
	gnutls_ocsp_resp_deinit(r);
}

static void
crl_revoked_at(gnutls_x509_crl_t crl, gnutls_x509_crt_t crt, time_t *when)
{
	unsigned char a[64], b[64];
	size_t al = sizeof(a), bl;
	int i, n = gnutls_x509_crl_get_crt_count(crl);
	time_t t;

	if (gnutls_x509_crt_get_serial(crt, a, &al) < 0)
		return;
	for (i = 0; i < n; i++) {
		bl = sizeof(b);
		if (gnutls_x509_crl_get_crt_serial(crl, (unsigned)i, b, &bl, &t) >= 0 && bl == al &&
		    memcmp(a, b, al) == 0)
			*when = t;
	}
}

/* GnuTLS judges a CRL's dates by the real clock; uctls by the scenario's
 * (below), so only the signature counts here. */
static int
crl_sig_ok(unsigned verify)
{
	verify &= ~(unsigned)(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
	                      GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE);
	return verify == 0 || verify == GNUTLS_CERT_INVALID;
}

/* RFC 5280 6.3.3: signed by the issuer, current (nextUpdate not passed),
 * then the serial looked up. */
static void
judge_crl(const gnutls_datum_t *der, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
          time_t now, const char *src, struct status *s)
{
	gnutls_x509_crl_t crl = NULL;
	unsigned verify = 0;
	time_t nu;

	if (gnutls_x509_crl_init(&crl) < 0 ||
	    (gnutls_x509_crl_import(crl, der, GNUTLS_X509_FMT_DER) < 0 &&
	     gnutls_x509_crl_import(crl, der, GNUTLS_X509_FMT_PEM) < 0)) {
		add_why(s, src, "the answer is not a CRL");
	} else if (gnutls_x509_crl_verify(crl, &issuer, 1, 0, &verify) < 0 ||
	           !crl_sig_ok(verify)) {
		add_why(s, src, "the CRL is not signed by the certificate's issuer (RFC 5280 "
		                "6.3.3 (f))");
	} else if ((nu = gnutls_x509_crl_get_next_update(crl)) != (time_t)-1 && now > nu) {
		s->st = ST_EXPIRED;
		s->when = nu;
		snprintf(s->src, sizeof(s->src), "%s", src);
	} else {
		s->st = gnutls_x509_crt_check_revocation(crt, &crl, 1) == 1 ? ST_REVOKED : ST_GOOD;
		s->when = 0;
		if (s->st == ST_REVOKED)
			crl_revoked_at(crl, crt, &s->when);
		snprintf(s->src, sizeof(s->src), "%s", src);
	}
	gnutls_x509_crl_deinit(crl);
}

/* The first URL of CRT's cRLDistributionPoints (CRL) or AIA OCSP access
 * method; 0 when it carries none. */
static int
cert_url(gnutls_x509_crt_t crt, int ocsp, char *buf, size_t n)
{
	gnutls_datum_t d = { NULL, 0 };
	size_t sz = n - 1;
	unsigned i, flags;
	int r;

	if (!ocsp) {
		for (i = 0; i < 8; i++) {
			sz = n - 1;
			r = gnutls_x509_crt_get_crl_dist_points(crt, i, buf, &sz, &flags, NULL);
			if (r < 0)
				return 0;
			if (r == GNUTLS_SAN_URI && strncmp(buf, "http://", 7) == 0)
				return (buf[sz] = '\0', 1);
		}
		return 0;
	}
	for (i = 0; i < 8; i++) {
		r = gnutls_x509_crt_get_authority_info_access(crt, i, GNUTLS_IA_OCSP_URI, &d, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (r < 0)
			continue;
		snprintf(buf, n, "%.*s", (int)d.size, (const char *)d.data);
		gnutls_free(d.data);
		return strncmp(buf, "http://", 7) == 0;
	}
	return 0;
}

/* URL is in this scenario's namespace: a <crl>/<ocsp> serves it, or a
 * generated certificate names it (crl=, ocsp=; a URL nothing serves is then
 * a distribution point without its CRL, answered 404).  Any other URL came
 * with a real certificate (file=, a real peer): uctls never reaches a real
 * distribution point or responder, and says so. */
static int
in_scenario(const struct uctls_revoke *rv, const char *url, int ocsp)
{
	const struct uctls_revdef *rd = rv->sc->rev;
	size_t i;

	for (i = 0; i < rv->sc->ncerts; i++)
		if (strcmp(url, ocsp ? NZ(rv->sc->certs[i].ocsp_url)
		                     : NZ(rv->sc->certs[i].crl_url)) == 0)
			return 1;
	for (i = 0; rd != NULL && !ocsp && i < rd->ncrls; i++)
		if (strcmp(url, rd->crls[i].url) == 0)
			return 1;
	for (i = 0; rd != NULL && ocsp && i < rd->nocsps; i++)
		if (strcmp(url, rd->ocsps[i].url) == 0)
			return 1;
	return 0;
}

static const char not_fetched[] =
	"not fetched: uctls serves only the CRLs and OCSP responders a scenario declares and "
	"never reaches a real one; declare it (<crl url=...>, <ocsp url=...>) or check the "
	"certificate with uctls check --crl FILE / --ocsp-response FILE";

static void
ask_ocsp(struct uctls_revoke *rv, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, time_t now,
         struct status *s)
{
	char url[256], key[400], src[320];
	unsigned char serial[64];
	size_t sl = sizeof(serial), k;
	gnutls_datum_t req = { NULL, 0 };
	const struct rev_cache *c;

	if (rv->sc == NULL || !cert_url(crt, 1, url, sizeof(url)))
		return;
	snprintf(src, sizeof(src), "the OCSP responder %s", url);
	if (!in_scenario(rv, url, 1)) {
		add_why(s, src, not_fetched);
		return;
	}
	if (gnutls_x509_crt_get_serial(crt, serial, &sl) < 0 ||
	    uctls_ocsp_request(crt, issuer, &req) < 0) {
		add_why(s, src, "could not build the request");
		return;
	}
	k = (size_t)snprintf(key, sizeof(key), "%s ", url);
	for (size_t i = 0; i < sl && k + 3 < sizeof(key); i++)
		k += (size_t)snprintf(key + k, sizeof(key) - k, "%02x", serial[i]);
	if ((c = fetch(rv, url, key, &req)) == NULL)
		add_why(s, src, "out of memory");
	else if (!c->ok)
		add_why(s, src, c->why);
	else
		judge_ocsp(&c->body, crt, issuer, now, src, s);
	gnutls_free(req.data);
}

/* uctls check --crl: the file whose issuer is CRT's issuer. */
static void
file_crl(struct uctls_revoke *rv, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, time_t now,
         struct status *s)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	char src[320];
	size_t i;
	int same;

	for (i = 0; i < rv->nfcrls; i++) {
		if (gnutls_x509_crl_init(&crl) < 0)
			return;
		same = (gnutls_x509_crl_import(crl, &rv->fcrls[i], GNUTLS_X509_FMT_DER) >= 0 ||
		        gnutls_x509_crl_import(crl, &rv->fcrls[i], GNUTLS_X509_FMT_PEM) >= 0) &&
		       gnutls_x509_crl_get_raw_issuer_dn(crl, &a) >= 0 &&
		       gnutls_x509_crt_get_raw_issuer_dn(crt, &b) >= 0 && a.size == b.size &&
		       memcmp(a.data, b.data, a.size) == 0;
		gnutls_free(a.data);
		gnutls_free(b.data);
		a.data = b.data = NULL;
		gnutls_x509_crl_deinit(crl);
		if (!same)
			continue;
		snprintf(src, sizeof(src), "the CRL file %s", rv->fcrl_names[i]);
		judge_crl(&rv->fcrls[i], crt, issuer, now, src, s);
		return;
	}
}

static void
ask_crl(struct uctls_revoke *rv, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, time_t now,
        struct status *s)
{
	char url[256], src[320];
	const struct rev_cache *c;

	if (rv->sc == NULL) {
		file_crl(rv, crt, issuer, now, s);
		return;
	}
	if (!cert_url(crt, 0, url, sizeof(url)))
		return;
	snprintf(src, sizeof(src), "the CRL at %s", url);
	if (!in_scenario(rv, url, 0)) {
		add_why(s, src, not_fetched);
		return;
	}
	if ((c = fetch(rv, url, url, NULL)) == NULL)
		add_why(s, src, "out of memory");
	else if (!c->ok)
		add_why(s, src, c->why);
	else
		judge_crl(&c->body, crt, issuer, now, src, s);
}

/* The status of CRT (issued by ISSUER) from the sources P allows, in the
 * order a stack asks them: a stapled answer (the leaf only), OCSP, CRL. */
static void
status_of(struct uctls_revoke *rv, const struct policy *p, gnutls_x509_crt_t crt,
          gnutls_x509_crt_t issuer, time_t now, const gnutls_datum_t *staple, struct status *s)
{
	char t[32];

	memset(s, 0, sizeof(*s));
	s->st = ST_NONE;
	if ((p->sources & UCTLS_REV_STAPLE) && staple != NULL && staple->size > 0)
		judge_ocsp(staple, crt, issuer, now, rv->focsp_name != NULL ? rv->focsp_name
		                                     : "the stapled OCSP response", s);
	if (s->st == ST_NONE && (p->sources & UCTLS_REV_OCSP))
		ask_ocsp(rv, crt, issuer, now, s);
	if (s->st == ST_NONE && (p->sources & UCTLS_REV_CRL))
		ask_crl(rv, crt, issuer, now, s);
	if (s->st == ST_EXPIRED && !p->expired_revokes) {
		uctls_fmt_time(s->when, t, sizeof(t));
		add_why(s, s->src, "the CRL expired at ");
		snprintf(s->why + strlen(s->why), sizeof(s->why) - strlen(s->why),
		         "%s (its nextUpdate)", t);
		s->st = ST_UNKNOWN;
	}
	if (s->st == ST_NONE && s->why[0] != '\0')
		s->st = ST_UNKNOWN;
}

/* ------------------------------------------------------------------------
 * The verifier's stage
 * ------------------------------------------------------------------------ */

static const struct uctls_revpeer *
rev_peer(const struct uctls_revoke *rv, const char *peer)
{
	size_t i;

	for (i = 0; peer != NULL && i < rv->sc->rev->npeers; i++)
		if (strcmp(rv->sc->rev->peers[i].peer, peer) == 0)
			return &rv->sc->rev->peers[i];
	return NULL;
}

/* The profile's rules, with the peer's attributes over them. */
static void
policy_of(const struct uctls_revoke *rv, const struct uctls_profile *pr, const char *verifier,
          struct policy *p)
{
	const struct uctls_revpeer *rp = rv->sc != NULL ? rev_peer(rv, verifier) : NULL;

	p->sources = (pr->rev_crl ? UCTLS_REV_CRL : 0) | (pr->rev_ocsp ? UCTLS_REV_OCSP : 0) |
	             (pr->rev_staple ? UCTLS_REV_STAPLE : 0);
	p->all = pr->rev_all_cas;
	p->fail_closed = pr->rev_fail_closed;
	p->expired_revokes = pr->rev_crl_expired_revokes;
	if (rv->sc == NULL) {
		/* uctls check: the files given are the sources, for every CA */
		p->sources = (rv->nfcrls > 0 ? UCTLS_REV_CRL : 0) |
		             (rv->focsp.size > 0 ? UCTLS_REV_STAPLE : 0);
		p->all = 1;
		return;
	}
	if (rp == NULL)
		return;
	if (rp->has_sources)
		p->sources = rp->sources;
	if (rp->fallback != 0)
		p->fail_closed = rp->fallback == 1;
	if (rp->scope != 0)
		p->all = rp->scope == 2;
}

unsigned
uctls_revoke_sources(const struct uctls_revoke *rv, const struct uctls_profile *profile,
                     const char *verifier)
{
	struct policy p;

	policy_of(rv, profile, verifier, &p);
	return p.sources;
}

/* A device that checks no revocation says so (profile.h rev_unchecked), so
 * that a revoked certificate it accepts is a verdict about the device, not
 * a silent pass; not when the scenario's peer switched it off itself. */
static int
unchecked_note(const struct uctls_revoke *rv, const struct uctls_profile *pr,
               const char *verifier, struct uctls_diag *d)
{
	const struct uctls_revpeer *rp;

	if (pr->rev_unchecked == NULL || rv->sc == NULL)
		return 0;
	if ((rp = rev_peer(rv, verifier)) != NULL && rp->has_sources)
		return 0;
	return uctls_diag_note(d, UCTLS_REV_NOTE "not checked: %s", pr->rev_unchecked) < 0 ? -1
	                                                                                  : 0;
}

static char *
label(const struct uctls_revoke *rv, gnutls_x509_crt_t crt)
{
	char *dn = uctls_verify_dn(crt, 0), *s = NULL;
	const char *id = rv->pki != NULL ? uctls_pki_find(rv->pki, crt) : NULL;

	if (dn != NULL && asprintf(&s, "`%s'%s%s%s", dn, id != NULL ? " (" : "",
	                           id != NULL ? id : "", id != NULL ? ")" : "") < 0)
		s = NULL;
	free(dn);
	return s;
}

static int
report(const struct policy *p, const char *verifier, const char *who, const struct status *s,
       struct uctls_diag *d)
{
	char t[32], hint[512];

	uctls_fmt_time(s->when, t, sizeof(t));
	switch (s->st) {
	case ST_REVOKED:
		snprintf(hint, sizeof(hint), "the CA revoked this certificate: issue a new one "
		         "(a new serial) and install it with its chain");
		return uctls_diag_problem(d, "revoked", GNUTLS_A_CERTIFICATE_REVOKED, hint,
		                          "%s is revoked (revocation date %s), according to %s",
		                          who, s->when != 0 ? t : "not given", s->src);
	case ST_EXPIRED:
		snprintf(hint, sizeof(hint), "publish a current CRL at the distribution point (the "
		         "CA's CRL publishing stopped), or refresh the CRL on %s", verifier);
		return uctls_diag_problem(d, "crl-expired", GNUTLS_A_CERTIFICATE_REVOKED, hint,
		                          "%s: %s expired at %s (its nextUpdate); %s treats every "
		                          "certificate of that CA as revoked", who, s->src, t,
		                          verifier);
	case ST_UNKNOWN:
		if (!p->fail_closed)
			return uctls_diag_note(d, UCTLS_REV_NOTE "the status of %s is unknown (%s); "
			                       "the fallback treats it as not revoked", who, s->why);
		snprintf(hint, sizeof(hint), "make the revocation source reachable from %s and "
		         "answering for this certificate, or set its fallback to treat an unknown "
		         "status as not revoked", verifier);
		return uctls_diag_problem(d, "revocation-unknown", GNUTLS_A_CERTIFICATE_UNKNOWN,
		                          hint, "the revocation status of %s could not be "
		                          "obtained (%s); the fallback treats it as revoked", who,
		                          s->why);
	}
	return 0;
}

int
uctls_revoke_check(struct uctls_revoke *rv, const struct uctls_profile *profile,
                   const char *verifier, gnutls_x509_crt_t *path, size_t plen, time_t now,
                   const gnutls_datum_t *staple, struct uctls_diag *d)
{
	struct policy p;
	struct status s;
	size_t i;
	char *who;
	int r;

	policy_of(rv, profile, verifier, &p);
	if (p.sources == 0)
		return unchecked_note(rv, profile, verifier, d);
	rv->ocsp_get = profile->rev_ocsp_get; /* revoke-http.c: GET or POST */
	/* the trust anchor itself is not checked (RFC 5280 6.1: it is input) */
	if (staple == NULL && rv->focsp.size > 0)
		staple = &rv->focsp;
	for (i = 0; i + 1 < plen && (i == 0 || p.all); i++) {
		status_of(rv, &p, path[i], path[i + 1], now, i == 0 ? staple : NULL, &s);
		if (s.st == ST_NONE || s.st == ST_GOOD)
			continue;
		if ((who = label(rv, path[i])) == NULL)
			return -1;
		r = report(&p, verifier != NULL ? verifier : "the verifier", who, &s, d);
		free(who);
		if (r < 0)
			return -1;
	}
	return 0;
}

int
uctls_revoke_staple(struct uctls_revoke *rv, const char *peer, const char *leaf_id,
                    gnutls_datum_t *out, struct uctls_err *err)
{
	const struct uctls_revpeer *rp;
	const struct uctls_certdef *cd;
	gnutls_x509_crt_t crt, iss;
	gnutls_datum_t req = { NULL, 0 };
	size_t i;
	int r;

	out->data = NULL;
	out->size = 0;
	if (rv == NULL || rv->sc == NULL)
		return 0;
	cd = uctls_scenario_cert(rv->sc, leaf_id);
	crt = uctls_pki_crt(rv->pki, leaf_id);
	if ((rp = rev_peer(rv, peer)) == NULL || !rp->staple || cd == NULL ||
	    cd->issuer == NULL || crt == NULL || (iss = uctls_pki_crt(rv->pki, cd->issuer)) == NULL)
		return 0;
	for (i = 0; i < rv->sc->rev->nocsps; i++)
		if (strcmp(rv->sc->rev->ocsps[i].issuer, cd->issuer) == 0)
			break;
	if (i == rv->sc->rev->nocsps)
		return uctls_err_at(err, rv->sc->file, rp->line, "staple=\"yes\": no <ocsp> of "
		                    "`%s', the issuer of `%s', to staple an answer of", cd->issuer,
		                    leaf_id);
	if (uctls_ocsp_request(crt, iss, &req) < 0)
		return uctls_err_set(err, "out of memory");
	r = ocsp_answer(rv, &rv->sc->rev->ocsps[i], &req, out) == 200 ? 0 : -1;
	gnutls_free(req.data);
	return r < 0 ? uctls_err_set(err, "%s: could not make the OCSP response to staple",
	                             rv->sc->file) : 0;
}

int
uctls_revoke_ocsp_der(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                      const struct uctls_ocspdef *od, const char *cert_id, gnutls_datum_t *out,
                      struct uctls_err *err)
{
	/* the responder's own answer, asked directly: no thread, no socket */
	struct uctls_revoke tmp = { .sc = sc, .pki = pki };
	gnutls_x509_crt_t crt = uctls_pki_crt(pki, cert_id), iss = uctls_pki_crt(pki, od->issuer);
	gnutls_datum_t req = { NULL, 0 };
	int r;

	out->data = NULL;
	out->size = 0;
	if (crt == NULL || iss == NULL || uctls_ocsp_request(crt, iss, &req) < 0)
		return uctls_err_at(err, sc->file, od->line, "<ocsp id=\"%s\">: no request for "
		                    "`%s'", od->id, cert_id);
	r = ocsp_answer(&tmp, od, &req, out);
	gnutls_free(req.data);
	if (r != 200)
		return uctls_err_at(err, sc->file, od->line, "<ocsp id=\"%s\">: no key to sign "
		                    "the response for `%s' with", od->id, cert_id);
	return 0;
}
