/* uctls — revocation internals shared by revoke.c and revoke-http.c. */
#ifndef UCTLS_REVOKE_INT_H
#define UCTLS_REVOKE_INT_H

#include <pthread.h>

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
	struct rev_cache *cache;
	/* uctls check --crl / --ocsp-response (sc NULL): real files, nothing
	 * fetched */
	gnutls_datum_t *fcrls;  /* gnutls_load_file */
	const char *const *fcrl_names; /* borrowed */
	size_t nfcrls;
	gnutls_datum_t focsp;
	const char *focsp_name; /* borrowed */
};

/* revoke-http.c */
int rev_http_fetch(struct uctls_revoke *rv, const char *url, const gnutls_datum_t *post,
                   gnutls_datum_t *out, char *why, size_t nwhy);
void rev_http_stop(struct uctls_revoke *rv);

/* revoke.c, in the responder thread: the answer to RQ (HTTP status; the
 * body in *BODY, gnutls_malloc); *DOWN set: close without answering. */
int rev_answer(struct uctls_revoke *rv, const struct uctls_http_msg *rq, gnutls_datum_t *body,
               int *down);
const char *rev_content_type(const struct uctls_http_msg *rq);

#endif
