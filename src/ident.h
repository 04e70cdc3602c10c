/* uctls — identity matching (uctls_ident_*): RFC 6125 / RFC 9525 / RFC 5922.
 *
 * Pure functions over names already extracted from a certificate, so they
 * can be tested as table rows without GnuTLS.  The verifier extracts the
 * names (verify.c) and calls uctls_ident_match().
 */
#ifndef UCTLS_IDENT_H
#define UCTLS_IDENT_H

#include <stddef.h>

#include "scenario.h" /* enum uctls_san_type */

struct uctls_ident_names {
	const struct uctls_san *sans; /* borrowed */
	size_t nsans;
	const char *const *cns; /* borrowed: subject CN values */
	size_t ncns;
};

struct uctls_ident_rules {
	int cn_fallback; /* 1: CN-ID used when the certificate has no DNS-ID/IP (RFC 6125
	                    6.4.4); 2: the CN is always one of the names (CUCM's
	                    SIP trunk "X.509 Subject Name" is matched against the
	                    subject CN whatever the SANs say) */
	int wildcard;    /* `*' accepted as the whole left-most label (RFC 6125 6.4.3) */
	int xmpp_server; /* also SRV-ID `_xmpp-server.<domain>' (RFC 6125 6.5.1, RFC 4985)
	                    and XmppAddr `<domain>' (RFC 6120 13.7.1.4) */
	int sip_uri;     /* also a URI SAN `sip:<domain>' (RFC 5922 7.1) */
};

enum uctls_ident_result {
	UCTLS_IDENT_MATCH = 0,
	UCTLS_IDENT_MISMATCH,        /* no presented identifier matches */
	UCTLS_IDENT_CN_ONLY,         /* only the CN matches and it is not consulted
	                                (no SAN, no CN fallback): cn-only-no-san */
	UCTLS_IDENT_WILDCARD_REFUSED /* only a wildcard matches, wildcards not allowed */
};

/* Matches the reference identifier REF (a DNS name or IP address, as
 * configured on the verifying side) against NAMES under RULES.
 * When MATCHED is not NULL it receives a borrowed pointer to the presented
 * identifier that matched (or that would have, for CN_ONLY and
 * WILDCARD_REFUSED).  DNS comparison is case-insensitive; a trailing dot on
 * either side is ignored; a wildcard matches exactly one label and never a
 * public suffix of one label (`*.com'). */
enum uctls_ident_result uctls_ident_match(const char *ref,
                                          const struct uctls_ident_names *names,
                                          const struct uctls_ident_rules *rules,
                                          const char **matched);

/* 1 when PATTERN (possibly `*.x.y') matches the DNS name NAME, else 0. */
int uctls_ident_dns_match(const char *pattern, const char *name, int wildcard);

#endif
