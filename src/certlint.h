/* uctls — certificate-profile rules (uctls_lint_*).
 *
 * RFC 5280 section 4 says what a conforming CA issues; path validation
 * (section 6) and GnuTLS's own checks leave most of it unchecked, so a chain
 * that OpenSSL's -x509_strict or a public-CA audit rejects would pass.  This
 * module checks one certificate of a path against those rules and, for
 * profiles with `webpki', the CA/Browser Forum Baseline Requirements for TLS
 * server certificates.  Each problem is reported with a stable reason
 * (docs/steps.md) and a text naming the rule; the caller prefixes the
 * certificate's label.  Sources of every rule: docs/profiles.md.
 */
#ifndef UCTLS_CERTLINT_H
#define UCTLS_CERTLINT_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "profile.h"

enum uctls_lint_pos {
	UCTLS_LINT_LEAF,   /* the end-entity certificate, path[0] */
	UCTLS_LINT_CA,     /* an intermediate CA certificate */
	UCTLS_LINT_ANCHOR, /* the trust anchor at the top of the path */
};

/* Called once per problem: REASON (static), HINT (static), TEXT (borrowed
 * for the call: what is wrong, without the certificate's name).  Returns 0,
 * or -1 when out of memory (which ends the lint). */
typedef int (*uctls_lint_report)(void *arg, const char *reason, const char *hint,
                                 const char *text);

/* Checks CRT at POS under profile P (its rfc5280_strict and webpki
 * fields).  Returns 0 (problems or not), -1 when out of memory or when
 * REPORT failed. */
int uctls_lint_cert(gnutls_x509_crt_t crt, enum uctls_lint_pos pos,
                    const struct uctls_profile *p, uctls_lint_report report, void *arg);

/* Calls FN for every subjectAltName entry of CRT, in order, however long:
 * TYPE is GnuTLS's gnutls_x509_subject_alt_name_t, or a negative GnuTLS
 * error for an entry that cannot be decoded (VAL empty); VAL is
 * NUL-terminated (an iPAddress: LEN raw octets).  Stops when FN returns
 * non-zero and returns that; 0 after the last entry; -1 when out of
 * memory. */
int uctls_san_foreach(gnutls_x509_crt_t crt,
                      int (*fn)(void *arg, int type, const char *val, size_t len),
                      void *arg);

/* Subject and issuer DN are the same octets: a self-issued certificate
 * (RFC 5280 3.2, 6.1: not counted for path length and name constraints),
 * whatever its key identifiers. */
int uctls_lint_self_issued(gnutls_x509_crt_t crt);

#endif
