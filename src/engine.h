/* uctls — running a scenario (uctls_engine_*).
 *
 * Builds the PKI, sets up both peers and runs the family's step program over
 * real loopback TCP with real GnuTLS sessions, both sides in this process,
 * driven by one poll() loop.  Every network wait is bounded by the timeout.
 */
#ifndef UCTLS_ENGINE_H
#define UCTLS_ENGINE_H

#include "err.h"
#include "pki.h"
#include "scenario.h"
#include "steplog.h"

struct uctls_run_opts {
	int timeout_ms; /* bound on each network wait; <= 0: 5000 */
	const char *keylog; /* NULL, or a file to append NSS key log lines to */
};

/* Runs SC.  Returns 0 with a new log in *out (caller frees) when the
 * scenario ran, whatever its outcome; -1 with ERR set when it could not be
 * run (input errors such as a PKI that cannot be built, or a local failure
 * such as no sockets). */
int uctls_engine_run(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                     const struct uctls_run_opts *opts, struct uctls_log **out,
                     struct uctls_err *err);

#endif
