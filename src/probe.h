/* uctls — probing a live server the way a named device would
 * (uctls_probe_*; the `uctls probe' subcommand).
 *
 * A probe is an ordinary scenario run with the server-role peer real
 * (uctls_run_opts.remote_id): probe.c writes the scenario (the family, the
 * client-role peer with the profile, the trust anchors read from the user's
 * files, the names) as XML text, loads it through the scenario loader and
 * runs it with the engine, once per profile.  So a probe has the steps,
 * reasons and reports of a scenario run, and no handshake or verifier of
 * its own.  What the server sent is in the log (steplog.h: the remote
 * side's sent_der).
 *
 * probe-save.c clones what was seen into a scenario file that replays it
 * offline (uctls_probe_save): the server's chain with fresh keys, the
 * anchors, the profile, the names, and an <expect> equal to the verdict.
 *
 * Ownership: the options are borrowed; a result owns its logs and texts.
 */
#ifndef UCTLS_PROBE_H
#define UCTLS_PROBE_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "steplog.h"

/* The port each family dials when HOST has none: tls 443 (RFC 2818), SIP
 * over TLS 5061 (RFC 3261 19.1.2), XMPP s2s 5269 (RFC 6120 14.7), the
 * Expressway-E traversal zone 7001 (Cisco Expressway IP Port Usage Guide). */
unsigned uctls_probe_default_port(const char *family);

struct uctls_probe_opts {
	const char *family;              /* tls, traversal, sip-trunk, xmpp-s2s */
	const char *const *profiles;     /* the client-role profiles, one run each */
	size_t nprofiles;
	const char *from;                /* our name: xmpp-s2s domain of I, the name
	                                    in our client certificate; NULL: default */
	const char *to;                  /* xmpp-s2s: R's domain; else the default name */
	const char *const *names;        /* names the client expects of the server */
	size_t nnames;                   /* 0: to, else the host */
	const char *const *trust_files;  /* PEM files of the anchors (each may hold several) */
	size_t ntrust;
	const char *cert_file, *key_file; /* our client certificate (and chain) and key,
	                                     or NULL: one made by uctls */
	const char *host;                /* the server, as given (no port) */
	unsigned port;                   /* its port */
	const char *const *step_addrs;   /* "STEP=HOST:PORT", NULL-terminated, or NULL */
	int timeout_ms;                  /* bound on every wait; <= 0: 5000 */
	time_t now;                      /* the probe's clock (the <clock> of a save) */
	/* traversal: the MRA edge of the Expressway-E, probed after the zone
	 * as a Jabber client would (family https, uctls_probe_mra_opts). */
	const char *mra_domain;          /* the MRA service domain; NULL: no MRA leg */
	unsigned mra_port;               /* its HTTPS port (0: 8443) */
	int jabber;                      /* set by uctls_probe_mra_opts: this is the MRA leg */
};

struct uctls_probe_result {
	struct uctls_log **logs;         /* one per profile, owned */
	size_t nlogs;
	struct uctls_log *mra;           /* the MRA leg (mra_domain), owned, or NULL */
};

/* The profile of the MRA leg: a scenario <profile> on profile jabber's
 * rules, for family https (uctls-scenario(5), base=). */
#define UCTLS_PROBE_MRA_PROFILE "probe-jabber-mra"

/* The options of the MRA leg of O (O->mra_domain set) into *MO: family
 * https, HOST:mra_port, the Jabber client's names and URL.  MO borrows
 * from O and from *KEEP (malloc'd, free it after MO). */
int uctls_probe_mra_opts(const struct uctls_probe_opts *o, struct uctls_probe_opts *mo,
                         char **keep);

/* The scenario text a probe runs for PROFILE, malloc'd in *XML.  0, or -1
 * with ERR (a trust file that cannot be read or holds no certificate). */
int uctls_probe_xml(const struct uctls_probe_opts *o, const char *profile, char **xml,
                    struct uctls_err *err);

/* Runs the probe once per profile.  0 with RES filled (every run happened,
 * whatever its outcome), or -1 with ERR (input errors: exit 2). */
int uctls_probe_run(const struct uctls_probe_opts *o, struct uctls_probe_result *res,
                    struct uctls_err *err);
void uctls_probe_result_clear(struct uctls_probe_result *res);

/* Writes to PATH (safely: fileio.h) a scenario that replays LOG (the run
 * of PROFILE) offline.  *NOTES (malloc'd, NULL when nothing) lists, one
 * per line, what could not be cloned: the replay is then not faithful, and
 * the scenario's summary says so too.  0, or -1 with ERR. */
int uctls_probe_save(const struct uctls_probe_opts *o, const char *profile,
                     const struct uctls_log *log, const char *path, char **notes,
                     struct uctls_err *err);

/* Internal to probe.c and probe-save.c: the peers of the probe scenario.
 * Writes the client certificate and CA (<pki> entries) and both <peer>s to
 * F; SERVER_ATTRS: extra attributes of the server-role peer (its sends and
 * trusts in a save), CLIENT_TRUSTS: the client's trusts= ids. */
#include <stdio.h>
int uctls_probe_put_peers(FILE *f, const struct uctls_probe_opts *o, const char *profile,
                          const char *client_trusts, const char *server_attrs);
int uctls_probe_put_client_pki(FILE *f, const struct uctls_probe_opts *o, struct uctls_err *err);
void uctls_probe_put_attr(FILE *f, const char *name, const char *value);
/* The scenario's own <profile>s (after <clock>): the MRA leg's. */
void uctls_probe_put_profiles(FILE *f, const struct uctls_probe_opts *o);

#endif
