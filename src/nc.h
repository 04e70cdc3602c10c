/* uctls — RFC 5280 name constraints over a certification path.
 *
 * The nameConstraints extension (RFC 5280 4.2.1.10) is read from the raw
 * DER, so that malformed, empty and non-conforming extensions are reported
 * instead of being skipped, and the path is checked as RFC 5280 6.1.3 (b)(c)
 * and 6.1.4 (g) describe, failing closed whenever a name cannot be decided.
 * GnuTLS's own name-constraint checking is not used.
 */
#ifndef UCTLS_NC_H
#define UCTLS_NC_H

#include <stddef.h>

#include <gnutls/x509.h>

struct uctls_nc_result {
	char *reason;      /* NULL when the path satisfies every constraint, else
	                      "name-constraints" (malloc'd) */
	char *detail;      /* malloc'd human text naming the certificate (subject DN,
	                      RFC 4514), the name and the constraining CA; NULL when
	                      reason is NULL */
	size_t cert_index; /* index in the path of the certificate that violates a
	                      constraint or carries the bad extension */
};

/* Checks the name constraints of PATH: path[0] is the end-entity
 * certificate, path[plen - 1] the trust anchor (or the top of the path).
 * The constraints of every CA certificate at index k >= 1, the anchor
 * included, apply to the certificates below it, except self-issued
 * intermediates (RFC 5280 6.1.3 (b)).
 * Returns 0 when checked (OUT->reason set or NULL), -1 when out of memory
 * (OUT is then cleared).  Free OUT with uctls_nc_result_clear(). */
int uctls_nc_check(gnutls_x509_crt_t *path, size_t plen, struct uctls_nc_result *out);

void uctls_nc_result_clear(struct uctls_nc_result *r);

#endif
