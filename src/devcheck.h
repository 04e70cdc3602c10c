/* uctls — checking real certificate files against a device profile without
 * a handshake (uctls_check_*; the `uctls check' subcommand).
 *
 * Everything a handshake would verify (verify.h: the chain from what the
 * file holds plus the trust given, validity at a time, the names, the
 * purpose for the role, key and signature limits, critical extensions) and
 * the profile's install-time rules (install.h), recorded as a step log with
 * the same steps and reasons as a scenario run: "install" and
 * "tls-handshake", on side "device".
 */
#ifndef UCTLS_DEVCHECK_H
#define UCTLS_DEVCHECK_H

#include <stddef.h>
#include <time.h>

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
};

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
