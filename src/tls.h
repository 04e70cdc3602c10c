/* uctls — one side's TLS endpoint (uctls_tls_*).
 *
 * Wraps a GnuTLS session on a non-blocking socket for one simulated peer:
 * sends exactly the certificates the scenario says, in the order it says
 * (through a certificate retrieve callback, so GnuTLS neither sorts nor
 * drops them), verifies the other side with verify.h from inside the
 * handshake (gnutls_session_set_verify_function), and on rejection sends the
 * alert the device would.  Calls return UCTLS_TLS_OK, WANT_READ/WANT_WRITE
 * (poll the fd and call again) or FAILED, after which uctls_tls_failure()
 * says why from this side's point of view.
 */
#ifndef UCTLS_TLS_H
#define UCTLS_TLS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "pki.h"
#include "profile.h"
#include "scenario.h"
#include "verify.h"

struct uctls_cap; /* pcap.h */

enum {
	UCTLS_TLS_OK = 0,
	UCTLS_TLS_WANT_READ = 1,
	UCTLS_TLS_WANT_WRITE = 2,
	UCTLS_TLS_FAILED = -1
};

struct uctls_tls_cfg {
	const struct uctls_peerdef *def;     /* borrowed */
	const struct uctls_profile *profile; /* borrowed */
	const struct uctls_pki *pki;         /* borrowed */
	int is_server;
	time_t now;                          /* verification time */
	const char *peer_id;                 /* the other side's id, for wording */
	FILE *keylog;                        /* borrowed, may be NULL */
	const char *scenario_file;           /* for file:line errors */
	int verify_leaf_only; /* check only the peer's first certificate, as if it
	                         sent its leaf alone (the MRA SSH tunnel) */
	int no_client_auth;   /* server: do not ask for a client certificate */
	int verify_soft;      /* server: never reject the client's certificate in
	                         the handshake; record the verdict for later (an
	                         XMPP server decides at SASL EXTERNAL, XEP-0178) */
	int rsa_only;         /* accept only RSA signatures in the handshake */
	int client_cert_optional; /* server: a missing client certificate is fine */
	struct uctls_cap *cap; /* borrowed, may be NULL (uctls run --pcap, --ladder):
	                          records the bytes this side writes, its handshake
	                          messages, alerts and secrets (pcap.h) */
	int peer_remote;       /* the other side is a real peer: a client keeps what
	                          its CertificateRequest asked (uctls_tls_cert_request) */
	int cap_peer_remote;   /* with cap: the other side is a real peer, so the
	                          bytes and messages read are recorded too */
	unsigned warn_days;    /* expiry warning window in days (uctls run --warn-days);
	                          0: the profile's (warn.h) */
	struct uctls_revoke *revoke; /* borrowed, may be NULL: revocation sources (revoke.h) */
};

struct uctls_tls;

/* Sets up credentials and a session on FD (borrowed; not closed by free). */
int uctls_tls_new(const struct uctls_tls_cfg *cfg, int fd, struct uctls_tls **out,
                  struct uctls_err *err);
void uctls_tls_free(struct uctls_tls *t); /* accepts NULL */

int uctls_tls_handshake(struct uctls_tls *t);
/* Record I/O after the handshake.  *n receives the bytes moved. */
int uctls_tls_send(struct uctls_tls *t, const void *buf, size_t len, size_t *n);
int uctls_tls_recv(struct uctls_tls *t, void *buf, size_t cap, size_t *n);

/* Fails the session locally after the handshake (a check the device makes
 * once the handshake is done): records the reason and sends ALERT. */
void uctls_tls_reject(struct uctls_tls *t, const char *reason, int alert,
                      const char *detail, const char *hint);
/* Records a failure observed outside the session (timeout, reset). */
void uctls_tls_set_failure(struct uctls_tls *t, const char *reason, const char *detail);

/* With verify_soft: what the verification of the other side's certificate
 * found.  Returns -1 when it presented none, 0 when it passed, 1 when it
 * failed (*diag then says why; owned by the session). */
int uctls_tls_peer_verdict(const struct uctls_tls *t, const struct uctls_diag **diag);

/* Checks the other side's certificate for NAME as this side's profile
 * would (e.g. a further domain over the same XMPP stream).  Returns 0 when
 * valid, 1 when not (*d filled, caller clears), -1 on error. */
int uctls_tls_check_name(const struct uctls_tls *t, const char *name, struct uctls_diag *d);

/* After a handshake in which this side accepted the other's certificate:
 * which identifier matched the configured name ("`b.example' matched
 * DNS:b.example (... carries: ...)"), or NULL when no name was checked. */
const char *uctls_tls_identity_note(const struct uctls_tls *t);

/* After a handshake in which this side accepted the other's certificate:
 * the verifier's notes on the path (expiry within the window: warn.h), in
 * *N; NULL when none.  Owned by the session. */
char *const *uctls_tls_pass_notes(const struct uctls_tls *t, size_t *n);

/* After FAILED: this side's diagnosis (reason, detail, hint, also).  The
 * diag is owned by the session. */
const struct uctls_diag *uctls_tls_failure(const struct uctls_tls *t);

/* What was negotiated; NULL before the handshake completed. */
const char *uctls_tls_version(const struct uctls_tls *t);
const char *uctls_tls_cipher(const struct uctls_tls *t);

/* Fingerprints of the certificates the other side presented (SHA-256,
 * colon hex), in order; valid while T lives. */
size_t uctls_tls_peer_count(const struct uctls_tls *t);
/* Client: 1 when the server asked for a certificate (CertificateRequest),
 * with the acceptable CAs it listed (RFC 4514 strings, owned by T; at most
 * 64, then "..."; none: any CA). */
int uctls_tls_cert_request(const struct uctls_tls *t, const char *const **cas, size_t *ncas);
const char *uctls_tls_peer_fpr(const struct uctls_tls *t, size_t i);
/* The DER of the I-th (LEN bytes), or NULL; valid while T lives. */
const unsigned char *uctls_tls_peer_der(const struct uctls_tls *t, size_t i, size_t *len);

/* After a handshake that passed: sends close_notify.  UCTLS_TLS_OK, WANT_*
 * (poll and call again), or FAILED. */
int uctls_tls_bye(struct uctls_tls *t);

/* After a TLS 1.2 handshake: starts a renegotiation (misbehave.h), a
 * HelloRequest from a server, a new ClientHello from a client.  OK, WANT_*
 * (nothing more to do: the other side answers or not), or FAILED. */
int uctls_tls_renegotiate(struct uctls_tls *t);
/* The largest handshake data this side takes or sends (0: no limit;
 * GnuTLS's default is 128 KiB): misbehave.h's big-chain lifts it. */
void uctls_tls_set_max_handshake(struct uctls_tls *t, size_t max);

/* Bytes read from the socket since the session started (records, partial
 * ones included), 0 for NULL. */
size_t uctls_tls_rx_bytes(const struct uctls_tls *t);
/* During the handshake: the message this side waits for ("the
 * ServerHello"), written into BUF. */
const char *uctls_tls_awaiting(const struct uctls_tls *t, char *buf, size_t len);

/* The RFC 8446 name of a TLS alert with '_' as '-' ("unknown-ca"). */
const char *uctls_tls_alert_name(int alert);

#endif
