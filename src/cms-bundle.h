/* uctls — the Meeting Server's certificate bundles (uctls_cms_*): the CA
 * bundle given as a separate file to `callbridge certs <key> <cert>
 * <bundle>' (and `webbridge certs', `xmpp certs'), and the full chain that
 * CMS 3.0 requires.  Cisco, "Generate CSR and Apply Certificates to CMS"
 * (doc 214618), https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/214618-generate-csr-and-apply-certificates-to-c.html,
 * section "Certificate Trust Chains and Bundles": from CMS 3.0 full chain
 * trust; a bundle is the entity certificate, the intermediates, the root
 * last, with one carriage return at the end; a CA bundle is the same without
 * the entity certificate; `pki verify <cert> <bundle>' checks the chain.
 * That the upload is refused (the install step) is uctls's model: the
 * document gives the format and the command that checks it.  Rows in
 * docs/profiles.md (inst_full_chain) and docs/failures.md.
 */
#ifndef UCTLS_CMS_BUNDLE_H
#define UCTLS_CMS_BUNDLE_H

#include <stddef.h>

#include <gnutls/x509.h>

#include "install.h"
#include "verify.h"

/* IN->bundle, the CA bundle uploaded beside the entity certificate ENTITY
 * (LABEL names it in messages), as `pki verify <cert> <bundle>' would see
 * it: PEM certificates; with RULES->bundle_newline, one line break after
 * the last END line; not the entity certificate again; the entity's issuer
 * first and each certificate the issuer of the one before (bundle-order
 * when the bundle holds it elsewhere, issuer-not-found when not at all);
 * with RULES->full_chain, the root last (issuer-not-found).  Problems are
 * added to OUT (the first is the cause).  0, or -1 when out of memory. */
int uctls_cms_bundle_check(const struct uctls_install_rules *rules,
                           const struct uctls_install_input *in, gnutls_x509_crt_t entity,
                           const char *label, struct uctls_diag *out);

/* A one-file upload CRTS[0..N) named NAME: with full chain trust its last
 * certificate is a root (issuer-not-found otherwise).  0, or -1 when out
 * of memory. */
int uctls_cms_full_chain(gnutls_x509_crt_t *crts, size_t n, const char *name,
                         struct uctls_diag *out);

/* CRTS[0..N) as one PEM file with NEWLINES line breaks after the last END
 * line, into *OUT (malloc'd, NUL-terminated) and *LEN.  0, or -1 when out
 * of memory or an export fails. */
int uctls_cms_bundle_pem(gnutls_x509_crt_t *crts, size_t n, int newlines, char **out,
                         size_t *len);

#endif
