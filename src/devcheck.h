/* uctls — checking real certificate files against a device profile without
 * a handshake (uctls_check_*; the `uctls check' subcommand).
 *
 * Everything a handshake would verify (verify.h: the chain from what the
 * file holds plus the trust given, validity at a time, the names, the
 * purpose for the role, key and signature limits, critical extensions) and
 * the profile's install-time rules (install.h), recorded as a step log with
 * the same steps and reasons as a scenario run: "install" and
 * "tls-handshake", on side "device".
 *
 * The handshake step verifies from the end-entity certificate wherever it
 * stands in the file (uctls_check_find_leaf), the others as the chain sent;
 * a file whose first certificate is not the end entity is a bundle-order
 * problem (a failure for a profile with install rule bundle-order or
 * ca-first, a note otherwise).  Nothing is passed silently: a rule not
 * checked (no --name, no --key, no --csr-san) is a note of its step; a
 * certificate of the path that expires within warn_days, and a failure for
 * the peer profile (uctls_check_peer_of), are warnings ("warning: ..."
 * notes), not failures.
 */
#ifndef UCTLS_DEVCHECK_H
#define UCTLS_DEVCHECK_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "err.h"
#include "steplog.h"

/* The most certificates uctls check reads from one file (a trust file or
 * the certificate file): more is an input error, never a truncation. */
#define UCTLS_CHECK_MAX_FILE_CERTS 1000

struct uctls_check_opts {
	const char *profile;     /* a profile name (profile.h) */
	int role_server;         /* the certificate serves as TLS server (1) or client (0) */
	const char *const *names; /* names the device expects of it; may be empty */
	size_t nnames;
	const char *const *trust_files; /* PEM files of trusted CAs (each may hold several) */
	size_t ntrust;
	const char *cert_file;   /* the certificate or bundle (PEM or DER), entity first */
	const char *key_file;    /* or NULL */
	const char *const *csr_sans; /* NULL-terminated, at least one item; or NULL */
	time_t at;               /* verification time */
	unsigned max_depth;      /* intermediates allowed between the certificate and
	                            the trust anchor (verify.h); 0: the profile's */
	unsigned warn_days;      /* a certificate of the path expiring within this many
	                            days of AT is a warning (verify.h); 0: 30 */
	const char *const *profiles; /* every profile of the call (the matrix), or NULL: a
	                                fix is verified against each of them */
	size_t nprofiles;
	const char *const *crl_files; /* --crl: CRL files (PEM or DER) the path is checked
	                                 against, every CA (revoke.h); may be empty */
	size_t ncrl;
	const char *ocsp_file;   /* --ocsp-response: a DER OCSP response for the
	                            certificate, checked as if stapled; or NULL */
	const char *bundle_file; /* --bundle: the CA bundle uploaded beside the
	                            certificate (`callbridge certs <key> <cert>
	                            <bundle>'), checked at install as cms-bundle.h
	                            checks it and sent after the certificate file's
	                            certificates; or NULL */
};

/* A profile whose certificate another profile also verifies (the same
 * certificate seen by another client): `uctls check' runs that check too
 * and reports its failure as a warning.  Data, cited in docs/profiles.md. */
struct uctls_check_peer {
	const char *profile; /* the profile checked (--profile) */
	const char *peer;    /* the profile that sees the same certificate */
	const char *who;     /* for the words: "Jabber over MRA" */
	const char *what;    /* what passes for PROFILE: "the zone" */
	const char *why;     /* why PEER sees the same certificate */
};

/* The peer of PROFILE, or NULL. */
const struct uctls_check_peer *uctls_check_peer_of(const char *profile);

/* The end-entity certificate of a file, in any order: with a private key
 * (KEY, NULL: none), the certificate whose public key is the key's; else
 * the one certificate that is not a CA and issued no other of the file;
 * else the one that is not self-issued and issued no other (the end of the
 * chain the file holds); else the first.  Its index, and in *HOW (may be
 * NULL) how it was found, in words. */
size_t uctls_check_find_leaf(gnutls_x509_crt_t *crts, size_t n, gnutls_x509_privkey_t key,
                             const char **how);

/* Returns 0 with a new log in *out (problems found or not: a file with no
 * certificate in it is a bad-format problem, as a device would say; one
 * whose Base-64 decodes to something that is not DER a
 * malformed-certificate problem), or -1 with ERR set for input errors
 * (unknown profile, unreadable files, a trust file without certificates or
 * with a damaged or malformed one, a file of more than
 * UCTLS_CHECK_MAX_FILE_CERTS certificates). */
int uctls_check_files(const struct uctls_check_opts *o, struct uctls_log **out,
                      struct uctls_err *err);

#endif
