/* uctls — the install step (uctls_install_*): what a device checks when a
 * certificate, its key and a bundle are uploaded to it, before any
 * handshake.  Every rule is cited in docs/profiles.md, with its section and
 * what is the document's statement and what uctls's model (e.g. that a
 * device refuses the upload, where a document gives only the rule):
 *   doc 221624: Cisco, "Troubleshoot Expressway Certificates",
 *     https://www.cisco.com/c/en/us/support/docs/unified-communications/telepresence-video-communication-server-vcs/221624-troubleshoot-expressway-certificates.html
 *   IM and Presence guide: Cisco, "Configuration and Administration of the
 *     IM and Presence Service", chapter "Configure Certificates" (12.5(1)SU4),
 *     https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html
 *   doc 214618: Cisco, "Generate CSR and Apply Certificates to CMS",
 *     https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/214618-generate-csr-and-apply-certificates-to-c.html
 *   doc 118855: Cisco, "Configure UCCX Solution Certificate Management"
 *     (until 2023: "UCCX Solution Certificate Management Guide"),
 *     https://www.cisco.com/c/en/us/support/docs/customer-collaboration/unified-contact-center-express/118855-configure-uccx-00.html
 *
 * The checks work on the uploaded bytes (so format problems are seen as the
 * device sees them) and on the device's trust list; they never touch the
 * network.  The first problem is the cause, the others are `also' (verify.h
 * struct uctls_diag).
 */
#ifndef UCTLS_INSTALL_H
#define UCTLS_INSTALL_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "err.h"
#include "verify.h"

/* The install-time rules of a device (a profile's, see profile.h). */
struct uctls_install_rules {
	int pem_only;         /* upload must be PEM / Base-64 text: DER or damaged
	                         text is "invalid certificate format" (doc 221624) */
	int ca_first;         /* every CA of the chain must already be trusted when
	                         the server certificate is uploaded ("untrusted CA
	                         chain": doc 221624, IM and Presence guide) */
	int bundle_order;     /* a bundle is entity, then intermediates, then the root
	                         (doc 214618: CMS) */
	int bundle_newline;   /* a bundle ends with exactly one newline (doc 214618) */
	int cn_in_san;        /* when SANs are present, the CN must be one of them
	                         (doc 214618: CMS pki csr; doc 118855: Chrome 58) */
	const unsigned *key_bits; /* RSA sizes accepted, 0-terminated; NULL: any
	                             (doc 118855: UCCX 1024 and 2048 only) */
	const char *const *critical_ok; /* OIDs that may be critical, NULL-terminated;
	                                   NULL: any known (doc 118855: UCCX allows key
	                                   usage 2.5.29.15 and basic constraints
	                                   2.5.29.19 only) */
	unsigned max_san_hosts; /* DNS SANs an uploaded certificate may carry; 0: any
	                           (doc 118855: a UCCX multi-server SAN certificate
	                           names UCCX node 1 and node 2 only) */
	const char *const *ku_keep; /* keyUsage bits (RFC 5280 names: "dataEncipherment")
	                               the CA must not have dropped, NULL-terminated; NULL:
	                               none (IM and Presence guide: the data encipherment
	                               bit of the CSR kept) */
	int full_chain;       /* the chain uploaded with the entity certificate ends
	                         with the root: "full chain trust" from CMS 3.0 (doc
	                         214618); cms-bundle.h */
};

struct uctls_profile;

/* The install rules of profile P (its inst_* fields). */
void uctls_install_rules_of(const struct uctls_profile *p, struct uctls_install_rules *out);

/* What is uploaded. */
struct uctls_install_input {
	const char *name;          /* for messages: the file name or scenario id */
	const unsigned char *cert; /* the certificate file as uploaded (PEM text, DER,
	                              or a bundle: entity first when bundle_order) */
	size_t cert_len;
	const unsigned char *key;  /* the private key file, or NULL */
	size_t key_len;
	const char *const *csr_sans; /* the SANs the CSR asked for ("DNS:a", ...),
	                                NULL-terminated, or NULL when unknown */
	gnutls_x509_crt_t *trust;  /* the device's trusted CA list (borrowed): the
	                              trust store of SLOT's service (store.h) */
	size_t ntrust;
	time_t now;
	const char *slot;          /* the certificate slot uploaded to (store.h), or NULL:
	                              an -ECDSA slot takes an ECDSA certificate, the
	                              others RSA (IM and Presence guide) */
	const char *store;         /* the name of TRUST's store for messages, or NULL */
	const unsigned char *bundle; /* a separate CA bundle file, or NULL: the chain
	                                without the entity, intermediates then the root
	                                (`callbridge certs <key> <cert> <bundle>', doc
	                                214618; cms-bundle.h) */
	size_t bundle_len;
	const char *bundle_name;   /* for messages */
};

/* The words for a certificate file that cannot be read, shared by the
 * install step and `uctls check' (malloc'd; NULL when out of memory):
 *   malformed: block N's Base-64 decodes, but not to a DER certificate
 *              (GERR: GnuTLS's error; reason malformed-certificate);
 *   damaged:   block N's Base-64 does not decode (reason bad-format);
 *   nocert:    neither a PEM certificate block nor one DER certificate. */
char *uctls_install_malformed_msg(const char *file, size_t n, int gerr);
char *uctls_install_damaged_msg(const char *file, size_t n, int gerr);
char *uctls_install_nocert_msg(const char *file);
/* The hint for malformed-certificate. */
extern const char uctls_install_hint_malformed[];

/* Runs every rule of RULES over IN.  Returns 0 when the upload would be
 * accepted, 1 when refused (OUT->reason: bad-format, malformed-certificate,
 * key-mismatch, bundle-order, csr-san-mismatch, cn-only-no-san (CN not
 * among the SANs), key-size, unknown-critical-extension, slot-key-type (an
 * ECDSA certificate in an RSA slot or the reverse), multi-server-san,
 * issuer-not-found / untrusted-root
 * (a CA of the chain not yet trusted), with detail, hint and also), -1 on
 * a local error (ERR set). */
/* ISSUER issued CRT: names and key identifiers agree and ISSUER's key
 * verifies CRT's signature (a renewed CA with the same name and another key
 * did not); 1 or 0. */
int uctls_install_issued_by(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer);

/* Records a problem of an upload in D: REASON, the alert a device sends for
 * it (uctls_verify_alert_for), HINT (may be NULL) and the detail; 0, or -1
 * when out of memory. */
int uctls_install_problem(struct uctls_diag *d, const char *reason, const char *hint,
                          const char *f, ...) __attribute__((format(printf, 4, 5)));

int uctls_install_check(const struct uctls_install_rules *rules,
                        const struct uctls_install_input *in, struct uctls_diag *out,
                        struct uctls_err *err);

#endif
