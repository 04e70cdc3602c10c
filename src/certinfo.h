/* uctls — what a certificate says, for the reports (uctls_certinfo_*).
 *
 * Decodes one DER certificate into what a person compares with the screen
 * of a device: subject, issuer, subjectAltName entries, validity, key type
 * and size, and the SHA-256 fingerprint in the form devices display it
 * (upper-case hex pairs joined by colons, as Cisco Unified CM's "Certificate
 * Management" page and the Windows certificate viewer's "Thumbprint" show
 * them).  Only the report writers call it, and only when they print a
 * certificate: a run keeps the DER (steplog.h), so a quiet or TAP run of
 * simulated scenarios parses nothing more.
 */
#ifndef UCTLS_CERTINFO_H
#define UCTLS_CERTINFO_H

#include <stddef.h>

#include "err.h"
#include "steplog.h"

/* "AB:CD:...": 32 pairs and 31 colons. */
#define UCTLS_FPR_DISPLAY_LEN 96

struct uctls_certinfo {
	char *subject;   /* owned: RFC 4514 text; "" when empty */
	char *issuer;    /* owned: the same for the issuer */
	char **san;      /* owned: "DNS:a.example", "IP:192.0.2.1", "XmppAddr:...", ... */
	size_t nsan;
	char not_before[24], not_after[24]; /* "2026-06-01T12:00:00Z" */
	char key[32];    /* "RSA", "ECDSA P-256", "Ed25519", ... */
	unsigned bits;   /* the key's size in bits */
	char sha256[UCTLS_FPR_DISPLAY_LEN];
};

/* Decodes LEN bytes of DER.  0, or -1 (not a certificate, or out of
 * memory) with CI cleared.  Free with uctls_certinfo_clear(). */
int uctls_certinfo_decode(const void *der, size_t len, struct uctls_certinfo *ci);
void uctls_certinfo_clear(struct uctls_certinfo *ci);

/* FPR (hex pairs, any case, with or without colons) in the display form,
 * into OUT; what is not hex is dropped. */
void uctls_fpr_display(const char *fpr, char out[UCTLS_FPR_DISPLAY_LEN]);

/* The N certificates of CERTS (those with DER kept) as concatenated PEM
 * "CERTIFICATE" blocks, malloc'd in *OUT (*LEN bytes).  0, or -1 with ERR
 * (nothing kept, out of memory). */
int uctls_certinfo_pem(const struct uctls_der *certs, size_t n, char **out, size_t *len,
                       struct uctls_err *err);

#endif
