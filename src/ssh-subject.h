/* uctls — the subject attributes the MRA SSH tunnel accepts
 * (uctls_ssh_subject_*).
 *
 * Cisco Expressway Certificate Creation and Use Deployment Guide,
 * appendix "Troubleshooting", "Issues with SSH Failures and Unsupported
 * OIDs" (X8.x to X14.x; X14.3:
 * https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/expressway/config_guide/X14-3/cert_creation_use/exwy_b_cisco-expressway-certificate-creation-and-use-deployment-guide-x14-3.html):
 * the guide lists the Extended Validation subject attribute OIDs Expressway
 * supports; a certificate whose subject carries another one makes the SSH
 * tunnels fail.  The list is profile data (profile.h ssh_subject_oids);
 * which certificate is checked (the one the other Expressway presents in
 * the tunnel) is uctls's model: docs/profiles.md.
 */
#ifndef UCTLS_SSH_SUBJECT_H
#define UCTLS_SSH_SUBJECT_H

#include <stddef.h>

/* The first attribute of the subject of the DER certificate DER (LEN
 * bytes) whose OID is not in OK (NULL-terminated): its OID copied to OID
 * (SIZE bytes), 1.  0 when every attribute is in OK (or OK is NULL), -1
 * when the certificate does not decode. */
int uctls_ssh_subject_bad(const char *const *ok, const unsigned char *der, size_t len,
                          char *oid, size_t size);

/* A name for OID (the attribute's short name where GnuTLS knows one, else
 * "OID"), static. */
const char *uctls_ssh_subject_name(const char *oid);

/* SUBJECT (an RFC 4514 string, as a scenario's <cert subject=>) without the
 * attributes whose type is not in OK (by OID or by the name GnuTLS gives
 * it, case-insensitive), malloc'd; NULL when nothing is dropped or out of
 * memory (for `uctls run --fix'). */
char *uctls_ssh_subject_keep(const char *const *ok, const char *subject);

#endif
