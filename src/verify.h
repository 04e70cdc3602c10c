/* uctls — certificate verification with diagnosis (uctls_verify_*).
 *
 * Verifies the chain a peer presented the way a device with PROFILE would,
 * and names the cause, not only the symptom: because the verifier may know
 * the whole scenario PKI, a missing link is named ("intermediate `CN=Issuing
 * CA 2' was neither sent nor trusted") rather than reported as "unknown
 * issuer".  Other problems on the path are listed as `also'.
 *
 * Path building (RFC 5280 6.1, RFC 4158) is a depth-first search over every
 * candidate issuer (trust anchors first, then what the peer sent), within
 * budgets; each path that reaches a trust anchor is checked, the first that
 * passes is accepted, and otherwise the one that got furthest is reported,
 * the others named as tried.  No anchored path: the missing link of the
 * longest is named (self-signed, issuer-not-found, untrusted-root).
 *
 * Reasons are the identifiers of docs/steps.md.  On a path, the first
 * problem in this order is the cause: links (bad-signature, signer-not-ca,
 * path-length, the maximum depth), name constraints (nc.h), the RFC 5280
 * section 4 certificate profile and, for webpki, the CA/B Forum Baseline
 * Requirements (certlint.h), algorithms (insecure-algorithm, key-size),
 * validity (expired, not-yet-valid), extensions
 * (unknown-critical-extension), purpose (eku-*-missing, key-usage),
 * identity (name-mismatch, cn-only-no-san, wildcard-not-allowed).
 * GnuTLS's own verification runs as well; a failure it reports that the
 * checks above did not explain becomes the cause with its GnuTLS status
 * text, so nothing GnuTLS rejects is passed, except its count of
 * self-issued intermediates against pathLenConstraint, which RFC 5280
 * 6.1.4 (l) settles the other way (uctls checks path length and name
 * constraints itself, in full).
 */
#ifndef UCTLS_VERIFY_H
#define UCTLS_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "pki.h"
#include "revoke.h"
#include "profile.h"

struct uctls_verify_ctx {
	const struct uctls_profile *profile; /* borrowed */
	int peer_is_server;   /* purpose checked: serverAuth (1) or clientAuth (0) */
	const char *const *names; /* borrowed: names expected of the peer; may be empty */
	size_t nnames;
	gnutls_x509_crt_t *trust; /* borrowed: trust anchors */
	size_t ntrust;
	const struct uctls_pki *pki; /* borrowed, may be NULL: every known certificate */
	time_t now;               /* verification time */
	const char *verifier_id;  /* borrowed, for wording: the verifying peer's id */
	const char *peer_id;      /* borrowed, for wording: the presenting peer's id */
	int leaf_only;            /* the connection carries the peer's leaf alone (the MRA
	                             SSH tunnel): only the trust list can complete the path */
	unsigned max_depth;       /* the longest path accepted: how many intermediate CA
	                             certificates may stand between the end-entity
	                             certificate and the trust anchor (as OpenSSL's
	                             -verify_depth counts); 0: the profile's limit */
	unsigned warn_days;       /* a certificate of the path that expires within this
	                             many days is a note ("expires in N days - not the
	                             cause"); 0: 30 */
	struct uctls_revoke *revoke; /* borrowed, may be NULL: the run's revocation
	                             sources (revoke.h); NULL: no revocation checking */
	const gnutls_datum_t *staple; /* borrowed, may be NULL: the OCSP response the
	                             peer stapled (status_request) */
};

struct uctls_diag {
	char *reason;  /* owned; NULL when the chain is accepted */
	char *detail;  /* owned or NULL */
	char *hint;    /* owned or NULL */
	char **also;   /* owned */
	size_t nalso;
	int alert;     /* gnutls_alert_description_t the device would send */
	char *matched; /* owned or NULL: which presented identifier matched the
	                  configured name, and all the certificate carries */
};

void uctls_diag_init(struct uctls_diag *d);
/* Sets the cause (when none is set yet; otherwise the problem is added to
 * `also').  Strings are copied.  Returns 0, or -1 when out of memory. */
int uctls_diag_problem(struct uctls_diag *d, const char *reason, int alert,
                       const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Adds a note that is not the cause ("... - not the cause") to D's `also'.
 * 0, or -1 when out of memory. */
int uctls_diag_note(struct uctls_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The subject (or with ISSUER, the issuer) DN of CRT as RFC 4514 text,
 * malloc'd; "" when absent, "?" when unreadable, NULL when out of memory. */
char *uctls_verify_dn(gnutls_x509_crt_t crt, int issuer);

/* 1 when CRT with the subject alternative name ADD (a DNS name, or an IP
 * address) added would match one of NAMES under P's identity rules, 0 when
 * not, -1 when out of memory: a re-issue with that SAN, checked. */
int uctls_verify_names_with(gnutls_x509_crt_t crt, const struct uctls_profile *p, const char *add,
                            const char *const *names, size_t nnames);

/* The extensions GnuTLS (and so uctls) understands and accepts marked
 * critical (RFC 5280 4.2), NULL-terminated. */
extern const char *const uctls_verify_known_critical[];

/* The TLS alert a device sends for REASON (RFC 8446 6.2), as a
 * gnutls_alert_description_t. */
int uctls_verify_alert_for(const char *reason);
void uctls_diag_clear(struct uctls_diag *d); /* frees members, re-inits */

/* CHAIN[0] is the peer's end-entity certificate, then what else it sent, in
 * the order sent (n == 0: the peer sent no certificate).  Returns 0 when
 * accepted, 1 when rejected (OUT->reason set), -1 when out of memory. */
int uctls_verify_chain(const struct uctls_verify_ctx *ctx,
                       gnutls_x509_crt_t *chain, size_t n,
                       struct uctls_diag *out);

/* T as YYYY-MM-DDTHH:MM:SSZ (UTC) in BUF of N bytes (21 suffice). */
void uctls_fmt_time(time_t t, char *buf, size_t n);

#endif
