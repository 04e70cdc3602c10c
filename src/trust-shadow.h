/* uctls — one trusted self-signed certificate per CN (uctls_shadow_*).
 *
 * "The Expressway does not allow two self-signed certificates with the
 * same CN. So if the CallManager and tomcat self-signed certificates have
 * the same CN in the Expressway's trusted CA list, the Expressway can only
 * trust one of them": Cisco Expressway Certificate Creation and Use
 * Deployment Guide (X14.3), "Server Certificate Requirements for Unified
 * Communications",
 * https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/expressway/config_guide/X14-3/cert_creation_use/exwy_b_cisco-expressway-certificate-creation-and-use-deployment-guide-x14-3/exwy_m_server-certificate-requirements-for-unified.html
 * The guide does not say which one; uctls's model: the first in the trust
 * list.  Only self-signed certificates, compared by their CN, as the guide
 * says (a CA renewed under the same name, with a new key, stays trusted
 * beside the old one).  A device does this when its
 * profile says trust-one-per-subject (profile.h); the engine applies it
 * once per run, after the PKI is built, so a profile without the field
 * costs one test.
 */
#ifndef UCTLS_TRUST_SHADOW_H
#define UCTLS_TRUST_SHADOW_H

#include <stddef.h>

#include <gnutls/x509.h>

struct uctls_pki;
struct uctls_peerdef;
struct uctls_scenario;
struct uctls_step;

/* What a device's trust list holds once shadowed certificates are gone. */
struct uctls_shadow {
	char **kept;       /* owned array of borrowed ids: the trust list used */
	size_t nkept;
	const char **gone; /* owned array of borrowed ids: the shadowed ones */
	const char **by;   /* parallel: the id earlier in the list that shadows each */
	size_t ngone;
};

/* Splits IDS (N, a trust list in order) as certificates of PKI: of the
 * self-signed ones with one subject CN, the first is kept.  0, or -1 out of memory (SH then
 * holds nothing).  Ids PKI does not know are kept as they are. */
int uctls_shadow_split(const struct uctls_pki *pki, char *const *ids, size_t n,
                       struct uctls_shadow *sh);
void uctls_shadow_clear(struct uctls_shadow *sh);

/* The same rule on the certificates TRUST (N; `uctls check --trust'): OUT
 * (room for N) receives the ones kept, in order, and the count is returned;
 * *GONE the index of the first shadowed one and *BY of the one that shadows
 * it, -1 when none.  Only the first UCTLS_SHADOW_MAX_CRTS are compared. */
#define UCTLS_SHADOW_MAX_CRTS 256
size_t uctls_shadow_crts(gnutls_x509_crt_t *trust, size_t n, gnutls_x509_crt_t *out, long *gone,
                         long *by);

/* After a chain failure (REC's reason untrusted-root, issuer-not-found or
 * self-signed) of the device whose trust list SH is, checking PEER's chain
 * (its first certificate sent, and its issuers in SC): when a shadowed
 * certificate is that certificate or one of its issuers, says so in REC's
 * detail and replaces its hint.  0, or -1 out of memory. */
int uctls_shadow_note(struct uctls_step *rec, const struct uctls_shadow *sh,
                      const struct uctls_scenario *sc, const struct uctls_pki *pki,
                      const struct uctls_peerdef *peer);

#endif
