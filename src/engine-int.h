/* uctls — the engine's internals, shared by engine.c (connections, the
 * poll loop, the step log) and the per-application parts engine-sip.c,
 * engine-xmpp.c and engine-install.c.  Not a public header: only the
 * engine's own files include it (engine.h is the interface). */
#ifndef UCTLS_ENGINE_INT_H
#define UCTLS_ENGINE_INT_H

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "engine.h"
#include "family.h"
#include "http.h"
#include "install.h"
#include "misbehave.h"
#include "profile.h"
#include "sip.h"
#include "tls.h"
#include "trust-shadow.h"
#include "xmpp.h"

/*
 * A family's step program is a list of connections (phases).  Each phase is
 * a TCP connection from the client-role peer to the server-role peer, a TLS
 * handshake, and an application exchange, each recorded under a step name
 * (several parts may share one step: the MRA SSH tunnel is one step).  The
 * first failing phase ends the scenario; the steps it did not reach are
 * logged as such.
 */

enum app_kind {
	APP_READY,       /* server sends ready_msg, client reads it */
	APP_SIP_OPTIONS, /* client sends OPTIONS, server answers (RFC 3261 11) */
	APP_XMPP,        /* XMPP s2s streams around the handshake (RFC 6120) */
	APP_HTTP         /* client sends a GET, server answers (RFC 9112; engine-https.c) */
};

struct phase {
	const char *tcp_step, *tls_step, *app_step;
	enum app_kind app;
	int leaf_only;   /* each side sends and checks the end-entity certificate alone */
	int jabber;      /* the client is the simulated MRA Jabber client */
	const char *const *steps; /* all its steps, when the app names them itself */
};

/* How long a client facing a real TLS 1.3 server waits for a late alert. */
#define QUIET_MS 1000
/* After a failure facing a real peer, how much the lingering close reads
 * and discards at most (it also stops at the timeout). */
#define LINGER_MAX_BYTES (64 * 1024)
/* How long a passing side facing a real peer gives its close_notify to go
 * out (it is one small record: the socket takes it at once). */
#define BYE_MS 500
/* What a timeout's detail quotes of the bytes that arrived in the step. */
#define RX_QUOTE 32

enum side_state {
	S_CONNECT, /* client: connecting; server: accepting */
	S_PRE,     /* plaintext application exchange before TLS (XMPP) */
	S_HANDSHAKE,
	S_APP,
	S_DONE,
	S_FAILED,
	S_MISBEHAVE /* driven by misbehave.c (<misbehave>), never failing */
};

struct side {
	const struct uctls_peerdef *def; /* as this side plays in this phase */
	const struct uctls_profile *profile;
	struct side *other;
	int is_server;
	int local;  /* 0: a real peer we do not see from the inside */
	int fd;
	enum side_state state;
	int want;   /* POLLIN / POLLOUT */
	struct uctls_tls *tls;
	const char *step;
	double t0;  /* the step's start: its deadline is t0 + the timeout */
	/* What arrived in the current step, for a timeout's detail: bytes read
	 * from the socket (rx_plain before TLS, the session's count after),
	 * and the first and last application bytes. */
	size_t rx_plain, rx0, napp, nfirst, nlast;
	char first[RX_QUOTE], last[RX_QUOTE];
	int timed_out; /* failed by its deadline: no alert to linger for */
	/* application exchange */
	size_t ready_done;
	char *out;  /* bytes to send, owned */
	size_t outlen, outdone;
	struct uctls_sip_parser *sip;
	char *note; /* detail for a passing app step, owned */
	int tls_pending; /* client: handshake done, the server's verdict not yet seen */
	int quiet_ok;    /* facing a real server: silence after the handshake is a pass */
	/* XMPP */
	struct uctls_xmpp_parser *xp;
	int xstage;    /* 0 before TLS, 1 after TLS, 2 after SASL success */
	int xauth;     /* 1 SASL EXTERNAL, 2 dialback */
	int xclosing;  /* I: sent its ping and closed its stream */
	int xechoed;   /* R: closed its side after I closed */
	int xheader;   /* a stream header arrived in the current stage */
	int xexternal; /* R: SASL EXTERNAL offered */
	int xpinged;   /* R: answered the ping */
	int xdialback_ok; /* I: R offered dialback and this side may use it */
	char *xpeer;   /* R: the domain I claimed (stream from=), owned */
	/* SIP */
	int sip_ack;   /* client: sending the ACK of a 2xx to INVITE; server: awaiting it */
	int ponged;    /* server: answered the client's CRLF keep-alive ping */
	char refusal[48]; /* server: the reason its routing script refused the client's
	                     names for (profile name_check_in_app), "" when it did not */
	struct uctls_sip_req_params req; /* client: the request sent (for the ACK) */
	char req_buf[6][300];
	struct uctls_cap *cap; /* r->cap (--pcap, --ladder), else NULL */
	struct uctls_http_parser *http; /* https: owned, NULL in other families */
	/* <misbehave>: what this side does wrong on purpose (borrowed from its
	 * def; NULL when honest, and in every phase but the first), and its
	 * state once misbehave.c took it over (owned). */
	const struct uctls_misbehave *mb;
	struct uctls_mb_state *mbs;
};

struct run {
	const struct uctls_scenario *sc;
	const struct uctls_run_opts *opts;
	const struct phase *phase;
	struct uctls_pki *pki;
	struct uctls_revoke *revoke; /* NULL: the scenario has no revocation (revoke.h) */
	struct uctls_log *log;
	FILE *keylog;
	struct uctls_cap *cap; /* opts->cap: NULL unless --pcap or --ladder */
	int timeout;
	int lfd; /* listening socket: the server's, or ours in --listen mode */
	struct sockaddr_storage addr; /* where the client connects */
	socklen_t addrlen;
	const struct uctls_peerdef *client, *server; /* the scenario's peers */
	const struct uctls_profile *cprof, *sprof;
	int client_remote, server_remote;
	struct uctls_peerdef leaf[2]; /* client/server sending their leaf alone */
	struct uctls_peerdef jabber;  /* the MRA Jabber client */
	char *jabber_names[2];
	struct uctls_peerdef xdef[2]; /* xmpp-s2s: I and R expecting each other's domain */
	char *xnames[2];
	struct side side[2]; /* [0] client, [1] server of the current phase */
	unsigned seq;
	size_t nphase; /* phases run so far */
	/* client/server whose profile trusts one self-signed certificate per CN
	 * (engine-rules.c): their trust lists without the shadowed ones */
	struct uctls_shadow shadow[2];
	struct uctls_peerdef shadowed[2];
};

/* engine.c: the connection loop and the step log. */
double eng_now_ms(void);
int eng_record(struct run *r, struct side *s, enum uctls_status st, const struct uctls_diag *d,
               const char *detail);
int eng_enter_step(struct run *r, struct side *s, const char *step);
int eng_side_fail(struct run *r, struct side *s, const struct uctls_diag *d);
int eng_side_fail_msg(struct run *r, struct side *s, const char *reason, const char *hint,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int eng_side_done(struct run *r, struct side *s);
void eng_rx(struct side *s, const char *buf, size_t n, int raw);
int eng_start_tls(struct run *r, struct side *s, struct uctls_err *err);
int eng_tls_result(struct run *r, struct side *s, int ret);
/* With a capture: SIDE's connection is established (first call counts). */
void eng_cap_connected(struct run *r, struct side *s);

/* engine-sip.c: SIP transactions (traversal's sip-options, sip-trunk). */
int eng_sip_start(struct run *r, struct side *s);
int eng_app_sip(struct run *r, struct side *s);

/* engine-xmpp.c: XMPP server-to-server streams around the handshake. */
const char *eng_x_domain(const struct uctls_peerdef *pd);
int eng_x_dialback(const struct side *s);
/* An XMPP side that keeps its verdict on the other's certificate for after
 * TLS (dialback, secure-auth): TLS never fails on it. */
int eng_x_verify_later(const struct side *s);
/* The XMPP steps the engine decides on, compared by identity (s->step ==
 * eng_step_established), never by spelling. */
extern const char eng_step_stream_open[], eng_step_starttls[], eng_step_stream_restart[],
	eng_step_s2s_auth[], eng_step_established[], eng_step_subdomain[];
int eng_x_begin(struct run *r, struct side *s, struct uctls_err *err);
int eng_x_after_tls(struct run *r, struct side *s);
int eng_app_xmpp(struct run *r, struct side *s, struct uctls_err *err);
int eng_x_subdomains(struct run *r, struct side *s);
const char *eng_x_awaiting(const struct side *s);

/* engine-https.c: the https family's http-request step. */
int eng_https_start(struct run *r, struct side *s);
int eng_app_http(struct run *r, struct side *s);
const char *eng_https_awaiting(const struct side *s);

/* engine-install.c: the install step. */
int eng_run_installs(struct run *r, int *failed, struct uctls_err *err);

/* engine-rules.c: Expressway's trusted CA list (trust-shadow.h) and its SSH
 * tunnel's subject attributes (ssh-subject.h). */
int eng_shadow_setup(struct run *r, struct uctls_err *err);
int eng_shadow_note(struct run *r, struct side *s, struct uctls_step *rec);
void eng_shadow_free(struct run *r);
int eng_ssh_subject(struct run *r, struct side *s);

#endif
