/* uctls — running a scenario (uctls_engine_*).
 *
 * Builds the PKI, sets up both peers and runs the family's step program over
 * real loopback TCP with real GnuTLS sessions, both sides in this process,
 * driven by one poll() loop.  Every network wait is bounded by the timeout.
 */
#ifndef UCTLS_ENGINE_H
#define UCTLS_ENGINE_H

#include "err.h"
#include "pcap.h"
#include "pki.h"
#include "scenario.h"
#include "steplog.h"

struct uctls_run_opts {
	int timeout_ms; /* bound on each network wait; <= 0: the scenario's, else 5000 */
	const char *keylog; /* NULL, or a file to append NSS key log lines to */
	/* One side real (uctls(1) --remote, --listen).  Both name the
	 * server-role peer: with remote_id it is a real server at remote_addr
	 * (HOST:PORT) and uctls plays the client; with listen_id uctls plays it,
	 * listening on listen_addr (HOST:PORT, port 0 = any), and a real client
	 * dials in.  The other side's steps are logged as unobserved. */
	const char *remote_id, *remote_addr;
	const char *listen_id, *listen_addr;
	/* Called once the listening socket is bound (--listen), with the
	 * address actually bound: the place to tell the user the port. */
	void (*on_listen)(void *arg, const char *id, const char *host, unsigned port);
	void *on_listen_arg;
	/* --remote: another address for the connection that begins with a
	 * given step (a real Expressway-E takes the SSH tunnel and MRA on
	 * ports of their own).  Entries "STEP=HOST:PORT", NULL-terminated. */
	const char *const *step_addrs;
	/* --listen: how long to wait for the real client's first connection;
	 * <= 0: UCTLS_ACCEPT_TIMEOUT_MS. */
	int accept_timeout_ms;
	/* --pki: the directory `uctls pki export' wrote; the certificates and
	 * keys are read from it by id (uctls_pki_build_dir), not generated. */
	const char *pki_dir;
	/* NULL, or a capture of every connection (uctls(1) --pcap, --ladder),
	 * borrowed: one per scenario run, so never shared between threads
	 * (pcap.h).  Without it the hot path pays one pointer test. */
	struct uctls_cap *cap;
	/* Expiry warning window in days (uctls(1) run --warn-days); 0: each
	 * side's profile's (warn.h). */
	unsigned warn_days;
};

#define UCTLS_ACCEPT_TIMEOUT_MS 60000

/* Runs SC.  Returns 0 with a new log in *out (caller frees) when the
 * scenario ran, whatever its outcome; -1 with ERR set when it could not be
 * run (input errors such as a PKI that cannot be built, or a local failure
 * such as no sockets). */
int uctls_engine_run(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                     const struct uctls_run_opts *opts, struct uctls_log **out,
                     struct uctls_err *err);

#endif
