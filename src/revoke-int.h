/* uctls — revocation internals shared by revoke.c and revoke-http.c. */
#ifndef UCTLS_REVOKE_INT_H
#define UCTLS_REVOKE_INT_H

#include <pthread.h>

#include <gnutls/ocsp.h>

#include "revoke.h"

struct uctls_http_msg;

/* One fetched answer, kept for the run (two paths or two phases ask the
 * same URL once). */
struct rev_cache {
	struct rev_cache *next;
	char *key;           /* URL, or URL + " " + serial for OCSP */
	int ok;              /* 0: failed, WHY says how */
	gnutls_datum_t body; /* gnutls_malloc */
	char why[256];
};

struct uctls_revoke {
	const struct uctls_scenario *sc; /* borrowed */
	const struct uctls_pki *pki;     /* borrowed */
	int timeout;                     /* ms, every network wait */
	int started;                     /* responder: 0 not yet, 1 running, -1 failed */
	int lfd, stop[2], port;
	pthread_t thread;
	int held[8]; /* down="hold": connections left unanswered (responder thread) */
	size_t nheld;
	int ocsp_get; /* the verifying profile's rev_ocsp_get, set by uctls_revoke_check */
	double blocked_ms; /* time spent in rev_http_fetch (uctls_revoke_blocked_ms) */
	struct rev_cache *cache;
	/* uctls check --crl / --ocsp-response (sc NULL): real files, nothing
	 * fetched */
	gnutls_datum_t *fcrls;  /* gnutls_load_file */
	const char *const *fcrl_names; /* borrowed */
	size_t nfcrls;
	gnutls_datum_t focsp;
	const char *focsp_name; /* borrowed */
};

/* uctls_crldef/uctls_ocspdef down: yes closes at once, hold never answers */
enum { UCTLS_DOWN_CLOSE = 1, UCTLS_DOWN_HOLD = 2 };

/* revoke-http.c */
int rev_http_fetch(struct uctls_revoke *rv, const char *url, const gnutls_datum_t *post,
                   gnutls_datum_t *out, char *why, size_t nwhy);
void rev_http_stop(struct uctls_revoke *rv);
/* RFC 6960 A.1 GET: PATH, '/', the URL-encoded base64 of the request DER
 * (malloc; NULL when out of memory); and the reverse: 1 when TARGET is
 * PATH followed by such a request, its DER in *DER (gnutls_malloc). */
char *rev_ocsp_get_target(const char *path, const gnutls_datum_t *der);
int rev_ocsp_get_request(const char *path, const char *target, gnutls_datum_t *der);

/* revoke.c, in the responder thread: the answer to RQ (HTTP status; the
 * body in *BODY, gnutls_malloc); *DOWN set: close without answering. */
int rev_answer(struct uctls_revoke *rv, const struct uctls_http_msg *rq, gnutls_datum_t *body,
               int *down);
const char *rev_content_type(const struct uctls_http_msg *rq);

/* ocsp.c */
/* As uctls_ocsp_build, by the delegated responder RESPONDER (responderID
 * byName; its certificate in the certs field, RFC 6960 4.2.1), signed
 * with KEY. */
int uctls_ocsp_build_delegated(const gnutls_datum_t *req, gnutls_x509_crt_t responder,
                               gnutls_privkey_t key, int status, time_t revoked_at,
                               time_t this_update, time_t next_update, time_t produced,
                               gnutls_datum_t *out, struct uctls_err *err);
/* RFC 6960 4.2.2.2: R is signed by ISSUER, or by the responder certificate
 * in R's certs that ISSUER issued with id-kp-OCSPSigning, valid at NOW.  0
 * (*DELEGATE: that certificate's DN, malloc; NULL when ISSUER signed), or
 * -1 with why in WHY. */
int uctls_ocsp_check_signer(gnutls_ocsp_resp_t r, gnutls_x509_crt_t issuer, time_t now,
                            char **delegate, char *why, size_t nwhy);

#endif
