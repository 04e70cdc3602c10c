/* uctls — certificate revocation: CRLs, OCSP and stapling (uctls_revoke_*).
 *
 * A scenario declares, after the <ca>/<cert> of its <pki>, the CRLs its CAs
 * publish (<crl>) and the OCSP responders they run (<ocsp>); certificates
 * carry crl= (cRLDistributionPoints, RFC 5280 4.2.1.13) and ocsp=
 * (authorityInformationAccess id-ad-ocsp, RFC 5280 4.2.2.1) URLs.  During a
 * run uctls serves them itself: a responder thread listens on 127.0.0.1
 * (port 0) and the verifying side fetches every http:// URL it meets from
 * it with a real HTTP/1.1 exchange (http.h), every wait bounded by the
 * scenario's timeout.  The host of a URL is the Host header, never dialled:
 * nothing leaves the loopback, even for a real peer's certificate.
 *
 * Why a thread and not the event loop: the verifier runs inside GnuTLS's
 * certificate callback, in the middle of the handshake, and the fetch it
 * makes there is a blocking call; the responder must therefore answer from
 * elsewhere.  The thread starts on the first fetch (a scenario that never
 * fetches starts none) and is stopped and joined by uctls_revoke_free.
 *
 * A scenario without <crl>, <ocsp>, crl=/ocsp= URLs or revocation
 * attributes gets no struct uctls_revoke at all: the verifier's revocation
 * stage is then one NULL test (the per-scenario hot path costs nothing).
 *
 * What a verifier checks is its profile's (profile.h rev_*), overridden by
 * its peer's revocation=, revocation-fallback= and revocation-scope=.
 */
#ifndef UCTLS_REVOKE_H
#define UCTLS_REVOKE_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "err.h"

struct uctls_scenario;
struct uctls_xml_node;
struct uctls_pki;
struct uctls_profile;
struct uctls_diag;

/* Revocation sources (profile.h rev_sources, revocation=). */
enum {
	UCTLS_REV_CRL = 1 << 0,   /* CRL from the cRLDistributionPoints URL */
	UCTLS_REV_OCSP = 1 << 1,  /* OCSP from the AIA responder URL */
	UCTLS_REV_STAPLE = 1 << 2 /* a stapled OCSP response (status_request) */
};

/* <crl id= issuer= url= revoked= this-update= next-update= signed-with= down=/> */
struct uctls_crldef {
	char *id;          /* owned */
	int line;
	char *issuer;      /* owned: the CA id that issues (and signs) it */
	char *url;         /* owned: where it is served, http://HOST/PATH */
	char **revoked;    /* owned: certificate ids listed as revoked */
	size_t nrevoked;
	time_t this_update, next_update;
	char *signed_with; /* owned or NULL: id whose key signs instead (a forged CRL) */
	int down;          /* 1 (yes): the URL accepts and closes without an answer;
	                    * 2 (hold): it accepts and never answers (revoke-int.h) */
};

/* <ocsp id= issuer= url= revoked= unknown= this-update= next-update=
 *       signed-with= down=/>: an OCSP responder for the certificates ISSUER
 * issued: revoked (RFC 6960 2.2 revoked), unknown, every other one good. */
struct uctls_ocspdef {
	char *id;
	int line;
	char *issuer;
	char *url;
	char **revoked;
	size_t nrevoked;
	char **unknown;
	size_t nunknown;
	time_t this_update, next_update; /* next-update in the past: a stale answer */
	char *signed_with; /* owned or NULL: a delegated responder signs, its certificate
	                      sent (authorised when ISSUER issued it with id-kp-OCSPSigning,
	                      RFC 6960 4.2.2.2; any other key is not) */
	int down;
	int no_get;        /* get="no": answers POST only, a GET 405 (RFC 6960 A.1) */
};

/* A peer's revocation attributes (0: the profile's). */
struct uctls_revpeer {
	char *peer;      /* owned: peer id */
	int line;
	int has_sources;
	unsigned sources; /* UCTLS_REV_* */
	int fallback;    /* 0 profile's, 1 "revoked", 2 "not-revoked" */
	int scope;       /* 0 profile's, 1 "leaf", 2 "all" */
	int staple;      /* server side: 1: staples its leaf's OCSP response */
};

/* Everything revocation-related of a scenario (uctls_scenario.rev). */
struct uctls_revdef {
	struct uctls_crldef *crls;
	size_t ncrls;
	struct uctls_ocspdef *ocsps;
	size_t nocsps;
	struct uctls_revpeer *peers;
	size_t npeers;
	int urls; /* some certificate carries crl= or ocsp= */
};

/* Loader hooks (scenario.c).  Each returns 0, or -1 with "FILE:LINE: ..." in
 * ERR.  NODES are the <crl>/<ocsp> children of <pki> (after every
 * <ca>/<cert>); the certificates are loaded already. */
int uctls_revoke_load_pki(struct uctls_scenario *sc, const struct uctls_xml_node *const *nodes,
                          size_t n, struct uctls_err *err);
/* The revocation attributes of <peer> N. */
int uctls_revoke_load_peer(struct uctls_scenario *sc, const struct uctls_xml_node *n,
                           const char *peer_id, struct uctls_err *err);
/* Is NAME a <pki> child of this module (crl, ocsp)? */
int uctls_revoke_is_pki_child(const char *name);
void uctls_revdef_free(struct uctls_revdef *rd);     /* accepts NULL */

/* The CRL of CD signed now (PKI's certificates and keys), DER in *OUT
 * (gnutls_free).  0, or -1 with ERR. */
int uctls_revoke_crl_der(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                         const struct uctls_crldef *cd, gnutls_datum_t *out,
                         struct uctls_err *err);

/* The OCSP response (DER in *OUT, gnutls_free) the responder OD gives for
 * the certificate CERT_ID (one its issuer issued) at the scenario's clock,
 * as `uctls pki export' writes it for stapling (ocsp.c builds it).  0, or
 * -1 with ERR. */
int uctls_revoke_ocsp_der(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                          const struct uctls_ocspdef *od, const char *cert_id,
                          gnutls_datum_t *out, struct uctls_err *err);

struct uctls_revoke;

/* The run's revocation state for SC (NULL in *OUT when SC has no
 * revocation data: nothing to do).  PKI is borrowed and must outlive it. */
int uctls_revoke_new(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                     int timeout_ms, struct uctls_revoke **out, struct uctls_err *err);
void uctls_revoke_free(struct uctls_revoke *rv); /* accepts NULL; joins the responder */
/* The ms the run has spent blocked in fetches so far (the verifier fetches
 * inside the handshake): the engine adds them to its step deadlines. */
double uctls_revoke_blocked_ms(const struct uctls_revoke *rv);

/* The same for `uctls check': the CRL files CRLS[0..NCRLS-1] (PEM or DER)
 * and an OCSP response file OCSP (DER; may be NULL), read now; nothing is
 * fetched.  The names are borrowed and must outlive the state.  0, or -1
 * with "FILE: ..." in ERR. */
int uctls_revoke_new_files(const char *const *crls, size_t ncrls, const char *ocsp,
                           struct uctls_revoke **out, struct uctls_err *err);

/* The revocation stage of verification (verify.c): PATH[0..PLEN-1] from the
 * end-entity certificate to the trust anchor, checked as VERIFIER (peer
 * id) with PROFILE would at NOW; STAPLE (may be NULL) is the OCSP response
 * the other side stapled.  Adds the cause or notes to D.  0, or -1 when out
 * of memory. */
int uctls_revoke_check(struct uctls_revoke *rv, const struct uctls_profile *profile,
                       const char *verifier, gnutls_x509_crt_t *path, size_t plen,
                       time_t now, const gnutls_datum_t *staple, struct uctls_diag *d);

/* The sources (UCTLS_REV_*) VERIFIER checks with PROFILE: the profile's,
 * or its peer's revocation= (tls.c: a staple the protocol cannot carry). */
unsigned uctls_revoke_sources(const struct uctls_revoke *rv,
                              const struct uctls_profile *profile, const char *verifier);

/* Server side: the OCSP response (DER, gnutls_free) PEER staples for its
 * leaf LEAF_ID, when its staple= says so; *OUT empty otherwise.  0 or -1. */
int uctls_revoke_staple(struct uctls_revoke *rv, const char *peer, const char *leaf_id,
                        gnutls_datum_t *out, struct uctls_err *err);

/* ocsp.c: builds a signed OCSPResponse (RFC 6960 4.2.1) for one certificate
 * (its CertID from the request REQ, DER), status 0 good, 1 revoked (at
 * REVOKED_AT), 2 unknown, responder ISSUER (byName), signed with KEY.  DER
 * in *OUT (gnutls_free).  0, or -1 with ERR. */
int uctls_ocsp_build(const gnutls_datum_t *req, gnutls_x509_crt_t issuer,
                     gnutls_privkey_t key, int status, time_t revoked_at,
                     time_t this_update, time_t next_update, time_t produced,
                     gnutls_datum_t *out, struct uctls_err *err);
/* A request (DER in *OUT, gnutls_free) for CRT issued by ISSUER. */
int uctls_ocsp_request(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, gnutls_datum_t *out);

/* Every note the revocation checks leave on a passing verification starts
 * with this: the run records them on the passing handshake step, so that a
 * status not known or not checked is said (engine.c). */
#define UCTLS_REV_NOTE "revocation: "

#endif
