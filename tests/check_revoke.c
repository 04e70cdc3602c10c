/* Check suite for src/revoke*.c and src/ocsp.c: the CRLs and OCSP answers
 * uctls makes, read back by GnuTLS's own parsers and verifiers, and the
 * verifier's revocation stage over the loopback HTTP responder.
 *
 * Each row loads a shipped scenario (scenarios/tls/), builds its PKI and
 * checks one thing that can fail. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "check_suites.h"
#include "pki.h"
#include "profile.h"
#include "revoke.h"
#include "scenario.h"
#include "verify.h"

struct fixture {
	struct uctls_scenario *sc;
	struct uctls_keypool *pool;
	struct uctls_pki *pki;
};

static void
fx_load(struct fixture *f, const char *name)
{
	char path[512];
	struct uctls_err err;

	memset(&err, 0, sizeof(err));
	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/scenarios/%s", SRCDIR, name);
	ck_assert_msg(uctls_scenario_load(path, &f->sc, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(f->pool = uctls_keypool_new());
	ck_assert_msg(uctls_pki_build(f->sc, f->pool, &f->pki, &err) == 0, "%s", err.msg);
}

static void
fx_free(struct fixture *f)
{
	uctls_pki_free(f->pki);
	uctls_keypool_free(f->pool);
	uctls_scenario_free(f->sc);
}

/* The CRL of the scenario, imported by GnuTLS; *SIG_OK: its signature
 * verifies with the issuer's certificate. */
static gnutls_x509_crl_t
crl_of(struct fixture *f, int *sig_ok)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crl_t crl;
	gnutls_x509_crt_t iss;
	struct uctls_err err;
	unsigned v = 0;

	memset(&err, 0, sizeof(err));
	ck_assert_ptr_nonnull(f->sc->rev);
	ck_assert_uint_ge(f->sc->rev->ncrls, 1);
	ck_assert_msg(uctls_revoke_crl_der(f->sc, f->pki, &f->sc->rev->crls[0], &der, &err) == 0,
	              "%s", err.msg);
	ck_assert_int_ge(gnutls_x509_crl_init(&crl), 0);
	ck_assert_int_ge(gnutls_x509_crl_import(crl, &der, GNUTLS_X509_FMT_DER), 0);
	gnutls_free(der.data);
	iss = uctls_pki_crt(f->pki, f->sc->rev->crls[0].issuer);
	ck_assert_int_ge(gnutls_x509_crl_verify(crl, &iss, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS,
	                                        &v), 0);
	*sig_ok = (v & GNUTLS_CERT_SIGNATURE_FAILURE) == 0;
	return crl;
}

/* The CRL lists the revoked certificate and not the others, is a v2 CRL
 * with the declared dates, and is signed by the CA (RFC 5280 5). */
START_TEST(crl_lists_revoked)
{
	struct fixture f;
	gnutls_x509_crl_t crl;
	gnutls_x509_crt_t leaf, other;
	int sig_ok;

	fx_load(&f, "tls/revoked-leaf-crl.xml");
	crl = crl_of(&f, &sig_ok);
	ck_assert(sig_ok);
	ck_assert_int_eq(gnutls_x509_crl_get_version(crl), 2);
	ck_assert_int_eq(gnutls_x509_crl_get_crt_count(crl), 1);
	leaf = uctls_pki_crt(f.pki, "cucm");
	other = uctls_pki_crt(f.pki, "gw");
	ck_assert_int_eq(gnutls_x509_crt_check_revocation(leaf, &crl, 1), 1);
	ck_assert_int_eq(gnutls_x509_crt_check_revocation(other, &crl, 1), 0);
	ck_assert_int_eq(gnutls_x509_crl_get_next_update(crl) - gnutls_x509_crl_get_this_update(crl),
	                 8 * 86400);
	gnutls_x509_crl_deinit(crl);
	fx_free(&f);
}
END_TEST

/* signed-with: the CRL does not verify with the CA's certificate. */
START_TEST(crl_forged)
{
	struct fixture f;
	gnutls_x509_crl_t crl;
	int sig_ok;

	fx_load(&f, "tls/crl-forged.xml");
	crl = crl_of(&f, &sig_ok);
	ck_assert(!sig_ok);
	gnutls_x509_crl_deinit(crl);
	fx_free(&f);
}
END_TEST

/* An OCSP answer built by hand (ocsp.c) for ID: imported, verified and read
 * by GnuTLS.  Returns the certificate status, -2 when the signature does not
 * verify with the issuer. */
static int
ocsp_status(struct fixture *f, const char *id, int status, const char *signer)
{
	gnutls_x509_crt_t crt = uctls_pki_crt(f->pki, id), iss = uctls_pki_crt(f->pki, "int");
	gnutls_datum_t req = { NULL, 0 }, der = { NULL, 0 };
	gnutls_privkey_t pk;
	gnutls_ocsp_resp_t r;
	struct uctls_err err;
	unsigned v = 0, cs = 0;
	time_t tu, nu;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(uctls_ocsp_request(crt, iss, &req), 0);
	ck_assert_int_ge(gnutls_privkey_init(&pk), 0);
	ck_assert_int_ge(gnutls_privkey_import_x509(pk, uctls_pki_key(f->pki, signer), 0), 0);
	ck_assert_msg(uctls_ocsp_build(&req, iss, pk, status, f->sc->now - 3600, f->sc->now - 3600,
	                               f->sc->now + 86400, f->sc->now, &der, &err) == 0,
	              "%s", err.msg);
	ck_assert_int_ge(gnutls_ocsp_resp_init(&r), 0);
	ck_assert_int_ge(gnutls_ocsp_resp_import(r, &der), 0);
	ck_assert_int_eq(gnutls_ocsp_resp_get_status(r), GNUTLS_OCSP_RESP_SUCCESSFUL);
	ck_assert_int_ge(gnutls_ocsp_resp_verify_direct(r, iss, &v, 0), 0);
	ck_assert_int_eq(gnutls_ocsp_resp_check_crt(r, 0, crt), 0);
	ck_assert_int_ge(gnutls_ocsp_resp_get_single(r, 0, NULL, NULL, NULL, NULL, &cs, &tu, &nu,
	                                             NULL, NULL), 0);
	ck_assert_int_eq(tu, f->sc->now - 3600);
	ck_assert_int_eq(nu, f->sc->now + 86400);
	gnutls_ocsp_resp_deinit(r);
	gnutls_privkey_deinit(pk);
	gnutls_free(req.data);
	gnutls_free(der.data);
	return v != 0 ? -2 : (int)cs;
}

/* Each status survives the round trip through GnuTLS; a wrong key is
 * caught by gnutls_ocsp_resp_verify_direct. */
START_TEST(ocsp_round_trip)
{
	struct fixture f;

	fx_load(&f, "tls/stapled-revoked.xml");
	ck_assert_int_eq(ocsp_status(&f, "cucm", 0, "int"), GNUTLS_OCSP_CERT_GOOD);
	ck_assert_int_eq(ocsp_status(&f, "cucm", 1, "int"), GNUTLS_OCSP_CERT_REVOKED);
	ck_assert_int_eq(ocsp_status(&f, "gw", 2, "int"), GNUTLS_OCSP_CERT_UNKNOWN);
	ck_assert_int_eq(ocsp_status(&f, "gw", 0, "gw"), -2);
	fx_free(&f);
}
END_TEST

/* The verifier's stage, over the responder thread: scenario, verifying
 * peer, expected cause (NULL: none) and a word the detail must hold. */
static const struct {
	const char *file, *peer, *reason, *word;
} stage_rows[] = {
	{ "tls/revoked-leaf-crl.xml", "client", "revoked", "CRL at http://pki.example.com/int.crl" },
	{ "tls/revoked-leaf-ocsp.xml", "client", "revoked", "OCSP responder" },
	{ "tls/revoked-leaf-crl-ok.xml", "client", NULL, NULL },
	{ "tls/crl-down-fail-closed.xml", "client", "revocation-unknown", "closed without an answer" },
	{ "tls/crl-not-published.xml", "client", "revocation-unknown", "HTTP 404" },
	{ "tls/ocsp-stale.xml", "client", "revocation-unknown", "stale" },
	{ "tls/ocsp-wrong-key.xml", "client", "revocation-unknown", "not signed by" },
	{ "tls/crl-down-fail-open.xml", "client", NULL, NULL },
	{ "traversal/crl-expired.xml", "C", "crl-expired", "expired at" },
};

START_TEST(stage)
{
	struct fixture f;
	struct uctls_revoke *rv;
	struct uctls_diag d;
	struct uctls_err err;
	const struct uctls_peerdef *pd;
	gnutls_x509_crt_t path[3];
	const char *leaf;

	memset(&err, 0, sizeof(err));
	fx_load(&f, stage_rows[_i].file);
	pd = uctls_scenario_peer(f.sc, stage_rows[_i].peer);
	ck_assert_ptr_nonnull(pd);
	leaf = f.sc->peers[&f.sc->peers[0] == pd ? 1 : 0].sends[0];
	path[0] = uctls_pki_crt(f.pki, leaf);
	path[1] = uctls_pki_crt(f.pki, "int");
	path[2] = uctls_pki_crt(f.pki, "root");
	ck_assert_int_eq(uctls_revoke_new(f.sc, f.pki, 2000, &rv, &err), 0);
	ck_assert_ptr_nonnull(rv);
	uctls_diag_init(&d);
	ck_assert_int_eq(uctls_revoke_check(rv, uctls_profile_find(pd->profile), pd->id, path, 3,
	                                    f.sc->now, NULL, &d), 0);
	if (stage_rows[_i].reason == NULL) {
		ck_assert_msg(d.reason == NULL, "%s: %s", stage_rows[_i].file, d.reason);
	} else {
		ck_assert_ptr_nonnull(d.reason);
		ck_assert_str_eq(d.reason, stage_rows[_i].reason);
		ck_assert_msg(strstr(d.detail, stage_rows[_i].word) != NULL, "%s", d.detail);
	}
	uctls_diag_clear(&d);
	uctls_revoke_free(rv);
	fx_free(&f);
}
END_TEST

/* A scenario without revocation data gets no state at all (the hot path
 * stays as it was). */
START_TEST(none_without_data)
{
	struct fixture f;
	struct uctls_revoke *rv = (struct uctls_revoke *)&f;
	struct uctls_err err;

	memset(&err, 0, sizeof(err));
	fx_load(&f, "tls/expired-ok.xml");
	ck_assert_ptr_null(f.sc->rev);
	ck_assert_int_eq(uctls_revoke_new(f.sc, f.pki, 0, &rv, &err), 0);
	ck_assert_ptr_null(rv);
	fx_free(&f);
}
END_TEST

Suite *
make_revoke_suite(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc = tcase_create("revoke");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, crl_lists_revoked);
	tcase_add_test(tc, crl_forged);
	tcase_add_test(tc, ocsp_round_trip);
	tcase_add_loop_test(tc, stage, 0, (int)(sizeof(stage_rows) / sizeof(stage_rows[0])));
	tcase_add_test(tc, none_without_data);
	suite_add_tcase(s, tc);
	return s;
}
