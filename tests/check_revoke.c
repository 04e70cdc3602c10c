/* Check suite for src/revoke*.c and src/ocsp.c: the CRLs and OCSP answers
 * uctls makes, read back by GnuTLS's own parsers and verifiers, and the
 * verifier's revocation stage over the loopback HTTP responder.
 *
 * Each row loads a shipped scenario (scenarios/tls/), builds its PKI and
 * checks one thing that can fail. */
#include "config.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "check_suites.h"
#include "pki.h"
#include "profile.h"
#include "revoke-int.h"
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
	/* a peer's own certificate used as responder: a delegate the CA never
	 * authorised for OCSP (RFC 6960 4.2.2.2) */
	{ "tls/ocsp-wrong-key.xml", "client", "revocation-unknown",
	  "`CN=gw1.example.com' lacks id-kp-OCSPSigning" },
	/* delegated responders: accepted when the CA issued the certificate
	 * with id-kp-OCSPSigning and it is valid; otherwise why not */
	{ "tls/ocsp-delegated.xml", "client", NULL, NULL },
	{ "tls/ocsp-delegated-revoked.xml", "client", "revoked",
	  "signed by its delegated responder `CN=Example OCSP Responder" },
	{ "tls/ocsp-delegated-no-eku.xml", "client", "revocation-unknown",
	  "Responder,O=Example' lacks id-kp-OCSPSigning in its extendedKeyUsage (RFC 6960 4.2.2.2)" },
	{ "tls/ocsp-delegated-other-ca.xml", "client", "revocation-unknown",
	  "is issued by `CN=Example Operations CA,O=Example', not by `CN=Example Issuing CA" },
	{ "tls/ocsp-delegated-expired.xml", "client", "revocation-unknown", "expired since" },
	/* down="hold": the wait ends at the fetch's bound (half of 2000 ms) */
	{ "tls/ocsp-hold-fail-closed.xml", "client", "revocation-unknown",
	  "waited 1000 ms for an answer: none came" },
	{ "tls/crl-hold-fail-open.xml", "client", NULL, NULL },
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

/* RFC 6960 A.1 GET: the path, '/', then the request's base64 with '+', '/'
 * and '=' percent-encoded; read back to the same DER.  A path ending in '/'
 * gets no second one; another path is not a GET to this responder. */
START_TEST(get_encoding)
{
	struct fixture f;
	gnutls_datum_t req = { NULL, 0 }, back = { NULL, 0 };
	char *t, *t2;

	fx_load(&f, "tls/ocsp-get-revoked.xml");
	ck_assert_int_eq(uctls_ocsp_request(uctls_pki_crt(f.pki, "cucm"),
	                                    uctls_pki_crt(f.pki, "int"), &req), 0);
	ck_assert_ptr_nonnull(t = rev_ocsp_get_target("/int", &req));
	ck_assert_int_eq(strncmp(t, "/int/", 5), 0);
	ck_assert_ptr_null(strpbrk(t + 5, "+/=\n"));
	ck_assert_int_eq(rev_ocsp_get_request("/int", t, &back), 1);
	ck_assert_uint_eq(back.size, req.size);
	ck_assert_int_eq(memcmp(back.data, req.data, req.size), 0);
	gnutls_free(back.data);
	ck_assert_int_eq(rev_ocsp_get_request("/other", t, &back), 0);
	ck_assert_int_eq(rev_ocsp_get_request("/int", "/int/", &back), 0);
	/* base64 that is no OCSP request (a CRL's path under the same prefix) */
	ck_assert_int_eq(rev_ocsp_get_request("/", "/root", &back), 0);
	ck_assert_ptr_null(back.data);
	ck_assert_ptr_nonnull(t2 = rev_ocsp_get_target("/", &req));
	ck_assert_int_eq(strcmp(t2 + 1, t + 5), 0);
	ck_assert_int_eq(rev_ocsp_get_request("/", t2, &back), 1);
	gnutls_free(back.data);
	free(t);
	free(t2);
	gnutls_free(req.data);
	fx_free(&f);
}
END_TEST

/* One raw HTTP exchange with the responder on 127.0.0.1:PORT: the status
 * code, and the body's OCSP certificate status in *CS (-1: not one). */
static int
raw_exchange(int port, const char *head, const gnutls_datum_t *body, int *cs)
{
	struct sockaddr_in a;
	struct pollfd p;
	char buf[8192];
	size_t n = 0;
	ssize_t r;
	int fd, status = -1;
	const char *b;
	gnutls_ocsp_resp_t resp;
	gnutls_datum_t d;
	unsigned c;

	*cs = -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
	if (body != NULL)
		ck_assert_int_eq(send(fd, body->data, body->size, 0), (ssize_t)body->size);
	p.fd = fd;
	p.events = POLLIN;
	while (n < sizeof(buf) && poll(&p, 1, 5000) == 1 &&
	       (r = recv(fd, buf + n, sizeof(buf) - n, 0)) > 0)
		n += (size_t)r;
	close(fd);
	if (n < 12 || sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	b = memmem(buf, n, "\r\n\r\n", 4);
	if (status == 200 && b != NULL && gnutls_ocsp_resp_init(&resp) >= 0) {
		d.data = (unsigned char *)b + 4;
		d.size = (unsigned)(n - (size_t)(b + 4 - buf));
		if (gnutls_ocsp_resp_import(resp, &d) >= 0 &&
		    gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL, &c, NULL, NULL,
		                                NULL, NULL) >= 0)
			*cs = (int)c;
		ck_assert_ptr_nonnull(memmem(buf, n, "application/ocsp-response", 25));
		gnutls_ocsp_resp_deinit(resp);
	}
	return status;
}

/* The responder's GET path over a real loopback socket: a GET built by
 * hand (RFC 6960 A.1) is answered 200 application/ocsp-response with the
 * declared status; a GET for another Host is 404; a responder with
 * get="no" answers the GET 405 and the POST 200. */
START_TEST(get_over_socket)
{
	static const char *const files[] = { "tls/ocsp-get-revoked.xml",
		                             "tls/ocsp-get-not-allowed.xml" };
	struct fixture f;
	struct uctls_revoke *rv;
	struct uctls_err err;
	gnutls_datum_t req = { NULL, 0 }, out = { NULL, 0 };
	char head[2048], why[256], *t;
	int cs, k;

	for (k = 0; k < 2; k++) {
		memset(&err, 0, sizeof(err));
		fx_load(&f, files[k]);
		ck_assert_int_eq(uctls_revoke_new(f.sc, f.pki, 2000, &rv, &err), 0);
		ck_assert_int_eq(uctls_ocsp_request(uctls_pki_crt(f.pki, "cucm"),
		                                    uctls_pki_crt(f.pki, "int"), &req), 0);
		/* the client side, by POST: starts the responder */
		ck_assert_msg(rev_http_fetch(rv, "http://ocsp.example.com/int", &req, &out, why,
		                             sizeof(why)) == 0, "%s", why);
		gnutls_free(out.data);
		out.data = NULL;
		ck_assert_int_gt(rv->port, 0);
		ck_assert_ptr_nonnull(t = rev_ocsp_get_target("/int", &req));
		snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: ocsp.example.com\r\n"
		         "Connection: close\r\n\r\n", t);
		ck_assert_int_eq(raw_exchange(rv->port, head, NULL, &cs), k == 0 ? 200 : 405);
		ck_assert_int_eq(cs, k == 0 ? GNUTLS_OCSP_CERT_REVOKED : -1);
		snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: other.example.com\r\n"
		         "Connection: close\r\n\r\n", t);
		ck_assert_int_eq(raw_exchange(rv->port, head, NULL, &cs), 404);
		snprintf(head, sizeof(head), "POST /int HTTP/1.1\r\nHost: ocsp.example.com\r\n"
		         "Content-Type: application/ocsp-request\r\nContent-Length: %u\r\n"
		         "Connection: close\r\n\r\n", req.size);
		ck_assert_int_eq(raw_exchange(rv->port, head, &req, &cs), 200);
		ck_assert_int_eq(cs, k == 0 ? GNUTLS_OCSP_CERT_REVOKED : GNUTLS_OCSP_CERT_GOOD);
		/* the client side by GET (rev_ocsp_get): what the responder says */
		rv->ocsp_get = 1;
		ck_assert_int_eq(rev_http_fetch(rv, "http://ocsp.example.com/int", &req, &out, why,
		                                sizeof(why)), k == 0 ? 0 : -1);
		if (k == 1)
			ck_assert_msg(strstr(why, "HTTP 405") != NULL && strstr(why, "by GET"), "%s",
			              why);
		gnutls_free(out.data);
		out.data = NULL;
		free(t);
		gnutls_free(req.data);
		uctls_revoke_free(rv);
		fx_free(&f);
	}
}
END_TEST

/* GnuTLS's own verifier on a delegated response (ocsp.c): the responder's
 * certificate is in the certs field, and gnutls_ocsp_resp_verify_direct
 * with the issuing CA accepts it; the same response checked against
 * another CA is refused as an untrusted signer. */
START_TEST(delegated_gnutls)
{
	struct fixture f;
	gnutls_x509_crt_t crt, iss, sgn, root, *certs = NULL;
	gnutls_datum_t req = { NULL, 0 }, der = { NULL, 0 };
	gnutls_privkey_t pk;
	gnutls_ocsp_resp_t r;
	struct uctls_err err;
	size_t nc = 0, i;
	unsigned v = 1;
	char *dlg = NULL, why[400];

	memset(&err, 0, sizeof(err));
	fx_load(&f, "tls/ocsp-delegated.xml");
	crt = uctls_pki_crt(f.pki, "cucm");
	iss = uctls_pki_crt(f.pki, "int");
	sgn = uctls_pki_crt(f.pki, "ocsp-signer");
	root = uctls_pki_crt(f.pki, "root");
	ck_assert_int_eq(uctls_ocsp_request(crt, iss, &req), 0);
	ck_assert_int_ge(gnutls_privkey_init(&pk), 0);
	ck_assert_int_ge(gnutls_privkey_import_x509(pk, uctls_pki_key(f.pki, "ocsp-signer"), 0), 0);
	ck_assert_msg(uctls_ocsp_build_delegated(&req, sgn, pk, 0, 0, f.sc->now - 3600,
	                                         f.sc->now + 86400, f.sc->now, &der, &err) == 0,
	              "%s", err.msg);
	ck_assert_int_ge(gnutls_ocsp_resp_init(&r), 0);
	ck_assert_int_ge(gnutls_ocsp_resp_import(r, &der), 0);
	ck_assert_int_ge(gnutls_ocsp_resp_get_certs(r, &certs, &nc), 0);
	ck_assert_uint_eq(nc, 1);
	ck_assert(gnutls_x509_crt_equals(certs[0], sgn));
	ck_assert_int_ge(gnutls_ocsp_resp_verify_direct(r, iss, &v,
	                                                GNUTLS_VERIFY_DISABLE_TIME_CHECKS), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_ge(gnutls_ocsp_resp_verify_direct(r, root, &v,
	                                                GNUTLS_VERIFY_DISABLE_TIME_CHECKS), 0);
	ck_assert_uint_ne(v, 0);
	ck_assert_int_eq(uctls_ocsp_check_signer(r, iss, f.sc->now, &dlg, why, sizeof(why)), 0);
	ck_assert_str_eq(dlg, "CN=Example OCSP Responder,O=Example");
	free(dlg);
	ck_assert_int_eq(uctls_ocsp_check_signer(r, root, f.sc->now, &dlg, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not by `CN=Example Root CA"));
	for (i = 0; i < nc; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	gnutls_ocsp_resp_deinit(r);
	gnutls_privkey_deinit(pk);
	gnutls_free(req.data);
	gnutls_free(der.data);
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
	tcase_add_test(tc, get_encoding);
	tcase_add_test(tc, get_over_socket);
	tcase_add_test(tc, delegated_gnutls);
	suite_add_tcase(s, tc);
	return s;
}
