#include "config.h"

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
#include "install.h"
#include "profile.h"
#include "sip.h"
#include "tls.h"
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
	APP_XMPP         /* XMPP s2s streams around the handshake (RFC 6120) */
};

struct phase {
	const char *tcp_step, *tls_step, *app_step;
	enum app_kind app;
	int leaf_only;   /* each side sends and checks the end-entity certificate alone */
	int jabber;      /* the client is the simulated MRA Jabber client */
	const char *const *steps; /* all its steps, when the app names them itself */
};

/* tls: one connection. */
static const struct phase tls_phases[] = {
	{ "tcp-connect", "tls-handshake", "tls-handshake", APP_READY, 0, 0, NULL },
};

/* traversal: the zone (SIP over mutual TLS), the SSH tunnel (a stricter
 * connection in which each side presents its leaf alone: seeds 000/003,
 * "zone up, SSH tunnels down after certificate renewal"), and the MRA
 * Jabber client's TLS connection to Expressway-E. */
/* sip-trunk: one connection, one SIP transaction. */
static const struct phase trunk_phases[] = {
	{ "tcp-connect", "tls-handshake", "sip-request", APP_SIP_OPTIONS, 0, 0, NULL },
};

static const struct phase traversal_phases[] = {
	{ "tcp-connect", "tls-handshake", "sip-options", APP_SIP_OPTIONS, 0, 0, NULL },
	{ "ssh-tunnel", "ssh-tunnel", "ssh-tunnel", APP_READY, 1, 0, NULL },
	{ "mra-edge", "mra-edge", "mra-edge", APP_READY, 0, 1, NULL },
};

/* xmpp-s2s: one connection whose application exchange surrounds the TLS
 * handshake (docs/steps.md). */
static const char *const xmpp_steps[] = {
	"tcp-connect", "stream-open", "starttls", "tls-handshake", "stream-restart",
	"s2s-auth", "established", "subdomain", NULL
};
static const struct phase xmpp_phases[] = {
	{ "tcp-connect", "tls-handshake", "established", APP_XMPP, 0, 0, xmpp_steps },
};

/* What the server writes once its handshake is done, and the client reads
 * before it counts its own handshake as done: in TLS 1.3 the client
 * finishes before the server has checked the client's certificate, and only
 * learns of a rejection from the alert that arrives on its first read. */
static const char ready_msg[] = "uctls-ready\n";
#define READY_LEN (sizeof(ready_msg) - 1)
/* How long a client facing a real TLS 1.3 server waits for a late alert. */
#define QUIET_MS 1000

enum side_state {
	S_CONNECT, /* client: connecting; server: accepting */
	S_PRE,     /* plaintext application exchange before TLS (XMPP) */
	S_HANDSHAKE,
	S_APP,
	S_DONE,
	S_FAILED
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
	double t0;
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
	struct uctls_sip_req_params req; /* client: the request sent (for the ACK) */
	char req_buf[6][300];
};

struct run {
	const struct uctls_scenario *sc;
	const struct uctls_run_opts *opts;
	const struct phase *phase;
	struct uctls_pki *pki;
	struct uctls_log *log;
	FILE *keylog;
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
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
nodelay(int fd)
{
	int one = 1;

	/* Handshake flights are small writes: without this, Nagle and
	 * delayed ACKs add tens of ms per flight. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
record(struct run *r, struct side *s, enum uctls_status st, const struct uctls_diag *d,
       const char *detail)
{
	struct uctls_step *rec;
	size_t i;

	rec = uctls_log_add(r->log, s->step, s->def->id, st, d != NULL ? d->reason : NULL,
	                    d != NULL ? d->detail : detail, d != NULL ? d->hint : NULL,
	                    now_ms() - s->t0);
	if (rec == NULL)
		return -1;
	for (i = 0; d != NULL && i < d->nalso; i++)
		if (uctls_log_add_also(rec, d->also[i]) < 0)
			return -1;
	return 0;
}

/* Moves SIDE to STEP, recording the previous step as passed when the name
 * changes. */
static int
enter_step(struct run *r, struct side *s, const char *step)
{
	if (s->step != NULL && strcmp(s->step, step) != 0) {
		/* The passing step keeps what the side noted on the way. */
		if (record(r, s, UCTLS_PASS, NULL, s->note) < 0)
			return -1;
		free(s->note);
		s->note = NULL;
	}
	if (s->step == NULL || strcmp(s->step, step) != 0) {
		s->step = step;
		s->t0 = now_ms();
	}
	return 0;
}

/* Ends the side's phase with a failure at its current step. */
/* Before giving up, send what is queued (a stream error, the features that
 * tell the peer why): best effort, without blocking. */
static void
flush_best_effort(struct side *s)
{
	size_t n;
	ssize_t w;

	while (s->out != NULL && s->outdone < s->outlen) {
		if (s->tls != NULL && s->state != S_PRE) {
			if (uctls_tls_send(s->tls, s->out + s->outdone, s->outlen - s->outdone, &n) !=
			            UCTLS_TLS_OK ||
			    n == 0)
				return;
		} else {
			w = write(s->fd, s->out + s->outdone, s->outlen - s->outdone);
			if (w <= 0)
				return;
			n = (size_t)w;
		}
		s->outdone += n;
	}
}

static int
side_fail(struct run *r, struct side *s, const struct uctls_diag *d)
{
	if (s->tls_pending) {
		/* An alert before any answer is the server refusing the
		 * handshake (TLS 1.3: after the client's side of it ended);
		 * anything else happened in the application step. */
		s->tls_pending = 0;
		if ((d == NULL || d->reason == NULL || strncmp(d->reason, "alert:", 6) != 0) &&
		    enter_step(r, s, r->phase->app_step) < 0)
			return -1;
	}
	if (s->fd >= 0)
		flush_best_effort(s);
	s->state = S_FAILED;
	/* Let the other side see the end of the stream rather than wait. */
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_WR);
	return record(r, s, UCTLS_FAIL, d, NULL);
}

static int
side_fail_msg(struct run *r, struct side *s, const char *reason, const char *hint,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
side_fail_msg(struct run *r, struct side *s, const char *reason, const char *hint,
              const char *fmt, ...)
{
	struct uctls_diag d;
	va_list ap;
	char detail[1024];
	int rv;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	uctls_diag_init(&d);
	rv = uctls_diag_problem(&d, reason, 0, hint, "%s", detail);
	if (rv == 0)
		rv = side_fail(r, s, &d);
	uctls_diag_clear(&d);
	return rv;
}

static int
side_done(struct run *r, struct side *s)
{
	if (s->tls_pending) {
		s->tls_pending = 0;
		if (enter_step(r, s, r->phase->app_step) < 0)
			return -1;
	}
	s->state = S_DONE;
	if (r->log->version == NULL && s->tls != NULL && uctls_tls_version(s->tls) != NULL) {
		r->log->version = strdup(uctls_tls_version(s->tls));
		r->log->cipher = uctls_tls_cipher(s->tls) != NULL ? strdup(uctls_tls_cipher(s->tls))
		                                                  : NULL;
	}
	return record(r, s, UCTLS_PASS, NULL, s->note);
}

static int x_attr_yes(const struct uctls_peerdef *pd, const char *name, int dflt);

static int
start_tls(struct run *r, struct side *s, struct uctls_err *err)
{
	struct uctls_tls_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.def = s->def;
	cfg.profile = s->profile;
	cfg.pki = r->pki;
	cfg.is_server = s->is_server;
	cfg.now = r->sc->now;
	cfg.peer_id = s->other->def->id;
	cfg.keylog = r->keylog;
	cfg.scenario_file = r->sc->file;
	cfg.verify_leaf_only = r->phase->leaf_only;
	/* Expressway-E does not ask a Jabber client for a certificate. */
	cfg.no_client_auth = s->is_server && r->phase->jabber;
	/* An XMPP server takes any certificate in the handshake and decides at
	 * SASL EXTERNAL (XEP-0178). */
	cfg.verify_soft = r->phase->app == APP_XMPP &&
	                  (s->is_server || (s->profile->dialback &&
	                                    x_attr_yes(s->def, "dialback", 1)));
	if (s->is_server && uctls_peer_xattr(s->def, "client-cert") != NULL) {
		const char *cc = uctls_peer_xattr(s->def, "client-cert");

		cfg.no_client_auth |= strcmp(cc, "none") == 0;
		cfg.client_cert_optional = strcmp(cc, "optional") == 0;
	}
	cfg.rsa_only = uctls_peer_xattr(s->def, "signatures") != NULL &&
	               strcmp(uctls_peer_xattr(s->def, "signatures"), "rsa") == 0;
	if (uctls_tls_new(&cfg, s->fd, &s->tls, err) < 0)
		return -1;
	s->state = S_HANDSHAKE;
	s->want = POLLOUT | POLLIN;
	return enter_step(r, s, r->phase->tls_step);
}

/* What the other side presented, for the reports (first time only). */
static void
note_peer(struct run *r, struct side *s)
{
	size_t i, k;

	if (s->tls == NULL)
		return;
	for (i = 0; i < r->log->nsides; i++) {
		struct uctls_side_info *si = &r->log->sides[i];

		if (strcmp(si->id, s->def->id) != 0 || si->npeer > 0)
			continue;
		for (k = 0; k < uctls_tls_peer_count(s->tls); k++)
			uctls_side_add_peer(si, uctls_tls_peer_fpr(s->tls, k));
	}
}

static int
tls_result(struct run *r, struct side *s, int ret)
{
	if (ret == UCTLS_TLS_WANT_READ) {
		s->want = POLLIN;
		return 0;
	}
	if (ret == UCTLS_TLS_WANT_WRITE) {
		s->want = POLLOUT;
		return 0;
	}
	note_peer(r, s);
	return side_fail(r, s, uctls_tls_failure(s->tls));
}

/* --- SIP requests (RFC 3261) ------------------------------------------ */

/* The request the client sends: request= (sip-trunk), else OPTIONS. */
static const char *
sip_method(const struct run *r)
{
	const char *m = r->client != NULL ? uctls_peer_xattr(r->client, "request") : NULL;

	return m != NULL ? m : "OPTIONS";
}

static int
sip_start(struct run *r, struct side *s)
{
	struct uctls_sip_req_params *rp = &s->req;
	char *ruri = s->req_buf[0], *from = s->req_buf[1], *to = s->req_buf[2];
	char *callid = s->req_buf[3], *branch = s->req_buf[4], *tag = s->req_buf[5];
	const char *peer = s->def->nnames > 0 ? s->def->names[0] : s->other->def->id;
	const char *method = sip_method(r);

	s->sip = uctls_sip_parser_new();
	if (s->sip == NULL)
		return -1;
	if (s->is_server)
		return 0;
	r->seq++;
	if (strcmp(method, "REGISTER") == 0) {
		/* RFC 3261 10.2: the Request-URI names the registrar's domain;
		 * From and To the address of record. */
		snprintf(ruri, 300, "sip:%s;transport=tls", peer);
		snprintf(from, 300, "sip:%s@%s", s->def->id, peer);
		snprintf(to, 300, "sip:%s@%s", s->def->id, peer);
	} else {
		snprintf(ruri, 300, "sip:%s;transport=tls", peer);
		snprintf(from, 300, "sip:%s", s->def->id);
		snprintf(to, 300, "sip:%s", peer);
	}
	snprintf(callid, 300, "uctls-%lx-%u@%s", (unsigned long)getpid(), r->seq, s->def->id);
	snprintf(branch, 300, "z9hG4bK-uctls-%lx-%u", (unsigned long)getpid(), r->seq);
	snprintf(tag, 300, "uctls%u", r->seq);
	memset(rp, 0, sizeof(*rp));
	rp->method = method;
	rp->request_uri = ruri;
	rp->from_uri = from;
	rp->to_uri = to;
	rp->via_host = "127.0.0.1";
	rp->call_id = callid;
	rp->branch = branch;
	rp->from_tag = tag;
	rp->cseq = 1;
	s->out = uctls_sip_build_request(rp);
	if (s->out == NULL)
		return -1;
	s->outlen = strlen(s->out);
	return 0;
}

/* What the server answers, from E's sip-response= (default 200). */
static int
sip_answer(struct run *r, struct side *s, const struct uctls_sip_msg *req)
{
	const char *cfg = r->server != NULL ? uctls_peer_xattr(r->server, "sip-response") : NULL;
	int status = 200;
	char note[128];

	if (cfg != NULL && strcmp(cfg, "none") == 0) {
		free(s->note);
		s->note = strdup("received OPTIONS and, as configured (sip-response=none), "
		                 "did not answer");
		return 1; /* done, nothing to send */
	}
	if (cfg != NULL && strcmp(cfg, "garbage") == 0) {
		s->out = strdup("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
		free(s->note);
		s->note = strdup("answered with a non-SIP line, as configured (sip-response=garbage)");
	} else {
		if (cfg != NULL)
			status = atoi(cfg);
		s->out = uctls_sip_build_response(req, status, uctls_sip_reason_phrase(status),
		                                  "uctls-e");
		snprintf(note, sizeof(note), "answered %s with %d %s", req->method, status,
		         uctls_sip_reason_phrase(status));
		/* RFC 3261 13.3.1.4 / 17.1.1.3: a 2xx to INVITE is acknowledged
		 * by an ACK in a transaction of its own. */
		s->sip_ack = strcmp(req->method, "INVITE") == 0 && status < 300;
		free(s->note);
		s->note = strdup(note);
	}
	if (s->out == NULL)
		return -1;
	s->outlen = strlen(s->out);
	return 0;
}

/* Reads what has arrived into the SIP parser; returns the next message, or
 * NULL with *ret set (0: need more, -1: local error, 1: side failed). */
static struct uctls_sip_msg *
sip_read(struct run *r, struct side *s, int *ret)
{
	struct uctls_sip_msg *m;
	struct uctls_err e;
	char buf[4096];
	size_t n;
	int tr;

	*ret = 0;
	for (;;) {
		m = uctls_sip_parser_next(s->sip);
		if (m != NULL)
			return m;
		tr = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		if (tr != UCTLS_TLS_OK) {
			*ret = tls_result(r, s, tr) < 0 ? -1 : (s->state == S_FAILED);
			return NULL;
		}
		if (n == 0) {
			*ret = side_fail_msg(r, s, "connection-closed", NULL,
			                     "%s closed the connection before a complete SIP "
			                     "message arrived",
			                     s->other->def->id) < 0
			               ? -1
			               : 1;
			return NULL;
		}
		if (s->tls_pending) {
			s->tls_pending = 0;
			if (enter_step(r, s, r->phase->app_step) < 0) {
				*ret = -1;
				return NULL;
			}
		}
		uctls_err_clear(&e);
		if (uctls_sip_parser_feed(s->sip, buf, n, &e) < 0) {
			*ret = side_fail_msg(r, s, "sip-malformed",
			                     "check what answers on the peer's SIP TLS port",
			                     "%s sent bytes that are not a SIP message: %s",
			                     s->other->def->id, e.msg) < 0
			               ? -1
			               : 1;
			return NULL;
		}
	}
}

static int
flush_out(struct run *r, struct side *s, int *pending)
{
	size_t n;
	int tr;

	*pending = 0;
	while (s->outdone < s->outlen) {
		tr = uctls_tls_send(s->tls, s->out + s->outdone, s->outlen - s->outdone, &n);
		if (tr != UCTLS_TLS_OK) {
			*pending = tr == UCTLS_TLS_WANT_READ || tr == UCTLS_TLS_WANT_WRITE;
			return tls_result(r, s, tr);
		}
		s->outdone += n;
	}
	return 0;
}

static int
app_sip(struct run *r, struct side *s)
{
	struct uctls_sip_msg *m;
	int ret, pending;

	if (s->out != NULL) {
		if (flush_out(r, s, &pending) < 0)
			return -1;
		if (pending || s->state == S_FAILED)
			return 0;
		free(s->out);
		s->out = NULL;
		s->outlen = s->outdone = 0;
		if ((s->is_server && !s->sip_ack) || (!s->is_server && s->sip_ack))
			return side_done(r, s);
	}
	m = sip_read(r, s, &ret);
	if (m == NULL)
		return ret < 0 ? -1 : 0;
	if (s->is_server && s->sip_ack) {
		int ack = m->is_request && strcmp(m->method, "ACK") == 0;

		uctls_sip_msg_free(m);
		if (!ack)
			return side_fail_msg(r, s, "sip-malformed", NULL,
			                     "%s sent something other than the ACK of the 2xx to "
			                     "its INVITE", s->other->def->id);
		if (s->note != NULL) {
			char *n = NULL;

			if (asprintf(&n, "%s; ACK received", s->note) >= 0) {
				free(s->note);
				s->note = n;
			}
		}
		return side_done(r, s);
	}
	if (s->is_server) {
		if (!m->is_request) {
			uctls_sip_msg_free(m);
			return side_fail_msg(r, s, "sip-malformed", NULL,
			                     "%s sent a SIP response where a request was expected",
			                     s->other->def->id);
		}
		ret = sip_answer(r, s, m);
		uctls_sip_msg_free(m);
		if (ret < 0)
			return -1;
		if (ret == 1)
			return side_done(r, s);
		return app_sip(r, s);
	}
	if (m->is_request || m->status < 200) {
		/* Provisional responses (1xx) precede the final one. */
		int prov = !m->is_request;

		uctls_sip_msg_free(m);
		if (prov)
			return app_sip(r, s);
		return side_fail_msg(r, s, "sip-malformed", NULL,
		                     "%s sent a SIP request where the %s response was "
		                     "expected", s->other->def->id, s->req.method);
	}
	if (m->status >= 300) {
		char reason[32];

		snprintf(reason, sizeof(reason), "sip-status:%d", m->status);
		ret = side_fail_msg(r, s, reason,
		                    "check the other side's configuration for this zone or trunk "
		                    "(its SIP domain, security profile, authentication) and its log",
		                    "%s answered %s with %d %s%s", s->other->def->id, s->req.method,
		                    m->status, m->reason ? m->reason : "",
		                    strcmp(s->req.method, "OPTIONS") == 0 ? ": the zone or trunk is "
		                                                            "not active"
		                                                          : "");
		uctls_sip_msg_free(m);
		return ret;
	}
	free(s->note);
	s->note = NULL;
	if (asprintf(&s->note, "%s answered %s with %d %s", s->other->def->id, s->req.method,
	             m->status, m->reason ? m->reason : "") < 0)
		s->note = NULL;
	uctls_sip_msg_free(m);
	if (strcmp(s->req.method, "INVITE") == 0) {
		/* ACK the 2xx (RFC 3261 13.2.2.4): same Call-ID, CSeq number and
		 * tags, a new branch. */
		s->req.method = "ACK";
		snprintf(s->req_buf[4], 300, "z9hG4bK-uctls-%lx-%u-ack", (unsigned long)getpid(),
		         r->seq);
		s->out = uctls_sip_build_request(&s->req);
		if (s->out == NULL)
			return -1;
		s->outlen = strlen(s->out);
		s->outdone = 0;
		s->sip_ack = 1;
		return app_sip(r, s);
	}
	return side_done(r, s);
}

static int
app_ready(struct run *r, struct side *s)
{
	char buf[64];
	size_t n, want;
	int ret;

	/* A real server sends no ready line.  In TLS 1.2 its Finished came
	 * after it checked our certificate, so the handshake's end is its
	 * verdict; in TLS 1.3 a rejection arrives as an alert after our side
	 * of the handshake ended: read, and take a short silence as a pass. */
	if (!s->is_server && !s->other->local) {
		const char *v = uctls_tls_version(s->tls);

		if (v != NULL && strcmp(v, "TLS1.2") == 0)
			return side_done(r, s);
		s->quiet_ok = 1;
		ret = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		if (ret == UCTLS_TLS_OK) /* data, or an orderly close: no alert */
			return side_done(r, s);
		return tls_result(r, s, ret);
	}

	for (;;) {
		if (s->is_server) {
			ret = uctls_tls_send(s->tls, ready_msg + s->ready_done,
			                     READY_LEN - s->ready_done, &n);
		} else {
			want = READY_LEN - s->ready_done;
			ret = uctls_tls_recv(s->tls, buf, want < sizeof(buf) ? want : sizeof(buf),
			                     &n);
			if (ret == UCTLS_TLS_OK && n == 0)
				return side_fail_msg(r, s, "connection-closed", NULL,
				                     "%s closed the connection right after the "
				                     "handshake, without an alert",
				                     s->other->def->id);
		}
		if (ret != UCTLS_TLS_OK)
			return tls_result(r, s, ret);
		s->ready_done += n;
		if (s->ready_done >= READY_LEN)
			return side_done(r, s);
	}
}

/* --- XMPP server-to-server (RFC 6120, RFC 7590, XEP-0178, XEP-0220) ------ */

/* The initiating server I is the TLS client, the receiving server R the TLS
 * server.  Before TLS the stream is plaintext on the socket; after
 * <proceed/> the same socket carries TLS, and after TLS and after SASL
 * success both sides restart the stream (RFC 6120 5.4.3.3, 6.4.6). */

static const char *
x_domain(const struct uctls_peerdef *pd)
{
	const char *d = uctls_peer_xattr(pd, "domain");

	return d != NULL ? d : pd->id;
}

/* Appends TEXT (owned by the caller) to what SIDE sends next. */
static int
x_queue(struct side *s, const char *text)
{
	size_t n;
	char *p;

	if (text == NULL)
		return -1;
	n = strlen(text);
	p = realloc(s->out, s->outlen + n + 1);
	if (p == NULL)
		return -1;
	memcpy(p + s->outlen, text, n + 1);
	s->out = p;
	s->outlen += n;
	return 0;
}

static int
x_send(struct side *s, char *owned)
{
	int rv = x_queue(s, owned);

	free(owned);
	return rv;
}

/* Writes what is queued: plaintext before TLS, records after.  Returns 0
 * when all is written, 1 when it would block (s->want set), -1 on local
 * error; a failed write fails the side (s->state). */
static int
x_flush(struct run *r, struct side *s)
{
	ssize_t w;
	size_t n;
	int tr;

	while (s->outdone < s->outlen) {
		if (s->tls != NULL && s->state != S_PRE) {
			tr = uctls_tls_send(s->tls, s->out + s->outdone, s->outlen - s->outdone, &n);
			if (tr == UCTLS_TLS_WANT_READ || tr == UCTLS_TLS_WANT_WRITE) {
				s->want = tr == UCTLS_TLS_WANT_READ ? POLLIN : POLLOUT;
				return 1;
			}
			if (tr != UCTLS_TLS_OK)
				return tls_result(r, s, tr) < 0 ? -1 : 1;
			s->outdone += n;
			continue;
		}
		w = write(s->fd, s->out + s->outdone, s->outlen - s->outdone);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			s->want = POLLOUT;
			return 1;
		}
		if (w < 0)
			return side_fail_msg(r, s, "connection-closed", NULL, "writing to %s: %s",
			                     s->other->def->id, strerror(errno)) < 0 ? -1 : 1;
		s->outdone += (size_t)w;
	}
	free(s->out);
	s->out = NULL;
	s->outlen = s->outdone = 0;
	return 0;
}

/* Reads what has arrived into the XMPP parser.  Returns 0 when bytes were
 * fed, 1 when none are available (s->want set) or the side failed, -1 on
 * local error. */
static int
x_read(struct run *r, struct side *s)
{
	struct uctls_err e;
	char buf[8192];
	ssize_t got;
	size_t n;
	int tr;

	if (s->tls != NULL && s->state != S_PRE) {
		tr = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		if (tr == UCTLS_TLS_WANT_READ || tr == UCTLS_TLS_WANT_WRITE) {
			s->want = tr == UCTLS_TLS_WANT_READ ? POLLIN : POLLOUT;
			return 1;
		}
		if (tr != UCTLS_TLS_OK)
			return tls_result(r, s, tr) < 0 ? -1 : 1;
	} else {
		/* Plaintext: read only up to what the parser needs is not
		 * possible with a stream, but nothing follows <proceed/> or
		 * <starttls/> until the TLS handshake starts. */
		got = read(s->fd, buf, sizeof(buf));
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			s->want = POLLIN;
			return 1;
		}
		if (got < 0)
			return side_fail_msg(r, s, "connection-closed", NULL, "reading from %s: %s",
			                     s->other->def->id, strerror(errno)) < 0 ? -1 : 1;
		n = (size_t)got;
	}
	if (n == 0)
		return side_fail_msg(r, s, "connection-closed", NULL,
		                     "%s closed the connection without closing the XMPP stream",
		                     s->other->def->id) < 0 ? -1 : 1;
	uctls_err_clear(&e);
	if (uctls_xmpp_parser_feed(s->xp, buf, n, &e) < 0)
		return side_fail_msg(r, s, "xmpp-malformed",
		                     "check what answers on the peer's XMPP server port",
		                     "%s sent something that is not an XMPP stream: %s",
		                     s->other->def->id, e.msg) < 0 ? -1 : 1;
	return 0;
}

static int
x_set_note(struct side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
x_set_note(struct side *s, const char *fmt, ...)
{
	va_list ap;
	char *n = NULL;

	va_start(ap, fmt);
	if (vasprintf(&n, fmt, ap) < 0)
		n = NULL;
	va_end(ap);
	free(s->note);
	s->note = n;
	return n != NULL ? 0 : -1;
}

/* Does R host DOMAIN (its domain or one of its subdomains=)? */
static int
x_hosts(const struct uctls_peerdef *pd, const char *domain)
{
	const char *subs = uctls_peer_xattr(pd, "subdomains");
	size_t n = strlen(domain);
	const char *p;

	if (domain[0] == '\0')
		return 0;
	if (strcasecmp(x_domain(pd), domain) == 0)
		return 1;
	for (p = subs; p != NULL && *p != '\0';) {
		p += strspn(p, " ,");
		if (strncasecmp(p, domain, n) == 0 && (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
			return 1;
		p += strcspn(p, " ,");
	}
	return 0;
}

static int
x_attr_yes(const struct uctls_peerdef *pd, const char *name, int dflt)
{
	const char *v = uctls_peer_xattr(pd, name);

	return v == NULL ? dflt : strcmp(v, "yes") == 0;
}

/* Step failure with a stream error sent to the other side first (RFC 6120
 * 4.9: the entity that detects the error sends it and closes). */
static int
x_fail_stream(struct run *r, struct side *s, const char *condition, const char *reason,
              const char *hint, const char *detail)
{
	int rv;

	if (x_send(s, uctls_xmpp_stream_error(condition, NULL)) < 0)
		return -1;
	rv = x_flush(r, s);
	if (rv < 0)
		return -1;
	if (s->state == S_FAILED)
		return 0;
	return side_fail_msg(r, s, reason, hint, "%s", detail);
}

static int
x_start_tls(struct run *r, struct side *s, struct uctls_err *err)
{
	if (uctls_xmpp_parser_reset(s->xp) < 0)
		return uctls_err_set(err, "out of memory");
	if (start_tls(r, s, err) < 0)
		return -1;
	return 0;
}

/* The subdomain step: is R's certificate, already verified for R's domain,
 * also valid for each hosted service name?  IM and Presence (seed 001):
 * group chat between federated partners needs `*.example.com' on the
 * cup-xmpp-s2s certificate, because conference.example.com is a subdomain. */
static int
x_subdomains(struct run *r, struct side *s)
{
	const char *subs = uctls_peer_xattr(r->server, "subdomains");
	char name[256];
	const char *p;
	size_t n;
	int rv;

	if (subs == NULL)
		return side_done(r, s);
	if (enter_step(r, s, "subdomain") < 0)
		return -1;
	for (p = subs; *p != '\0';) {
		struct uctls_diag d;

		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), p);
		p += n;
		uctls_diag_init(&d);
		rv = uctls_tls_check_name(s->tls, name, &d);
		if (rv < 0) {
			uctls_diag_clear(&d);
			return -1;
		}
		if (rv == 1) {
			/* A name under R's domain that only the parent covers: the
			 * certificate needs the wildcard. */
			const char *dot = strchr(name, '.');

			if (strcmp(d.reason, "name-mismatch") == 0 && dot != NULL &&
			    strcasecmp(dot + 1, x_domain(r->server)) == 0) {
				char *detail = NULL;

				if (asprintf(&detail,
				             "%s serves `%s' over the same federation, but %s's "
				             "certificate does not cover it: it needs `*.%s' (IM and "
				             "Presence: group chat between federated partners needs a "
				             "wildcard cup-xmpp-s2s certificate); %s",
				             r->server->id, name, r->server->id, dot + 1, d.detail) < 0)
					detail = NULL;
				free(d.reason);
				free(d.detail);
				free(d.hint);
				d.reason = strdup("wildcard-missing");
				d.detail = detail;
				d.hint = NULL;
				if (asprintf(&d.hint, "re-issue %s's certificate with DNS:*.%s", r->server->id,
				             dot + 1) < 0)
					d.hint = NULL;
			}
			rv = side_fail(r, s, &d);
			uctls_diag_clear(&d);
			return rv;
		}
		uctls_diag_clear(&d);
	}
	if (x_set_note(s, "%s's certificate also covers %s", r->server->id, subs) < 0)
		return -1;
	return side_done(r, s);
}

/* I's stanza over the authenticated stream.  Server-to-server streams are
 * unidirectional (RFC 6120 4.1): R answers over a stream of its own to I's
 * domain, which uctls does not accept here; so I sends the ping, closes its
 * stream, and counts the stanza as routed when R closes its side in order
 * (RFC 6120 4.4) or, facing a real server, stays silent (no stream error). */
static int
x_ping(struct run *r, struct side *s, const char *me, const char *to)
{
	if (x_set_note(s, "sent a ping (XEP-0199) from %s to %s over the authenticated stream "
	               "and closed it; %s accepted it (its answer travels over its own stream, "
	               "RFC 6120 4.1)",
	               me, to, s->other->def->id) < 0 ||
	    x_send(s, uctls_xmpp_ping(me, to, "uctls-ping-1")) < 0 ||
	    x_send(s, uctls_xmpp_stream_close()) < 0)
		return -1;
	(void)r;
	s->xclosing = 1;
	s->quiet_ok = 1;
	return 0;
}

/* The initiating server, one parsed event at a time. */
static int
x_initiator(struct run *r, struct side *s, struct uctls_xmpp_event *ev, struct uctls_err *err)
{
	const struct uctls_xmpp_elem *e = ev->elem, *c;
	const char *me = x_domain(s->def), *to = uctls_peer_xattr(s->def, "to");
	const char *cond;

	if (to == NULL)
		to = x_domain(r->server);
	if (ev->type == UCTLS_XMPP_STREAM_CLOSE) {
		if (s->xclosing)
			return x_subdomains(r, s); /* R closed its side in order */
		return side_fail_msg(r, s, "connection-closed", NULL,
		                     "%s closed the stream (</stream:stream>) during %s",
		                     s->other->def->id, s->step);
	}
	if (ev->type == UCTLS_XMPP_STREAM_OPEN) {
		s->xheader = 1;
		return 0;
	}
	if ((cond = uctls_xmpp_stream_error_condition(e)) != NULL) {
		char reason[96];
		const struct uctls_xmpp_elem *t =
			uctls_xmpp_child(e, UCTLS_NS_STREAM_ERRORS, "text");

		snprintf(reason, sizeof(reason), "stream-error:%s", cond);
		/* R answered the restart and then refused: no features to
		 * offer is an authentication failure. */
		if (s->xstage == 1 && s->xheader && strcmp(s->step, "stream-restart") == 0 &&
		    enter_step(r, s, "s2s-auth") < 0)
			return -1;
		return side_fail_msg(r, s, reason, NULL, "%s sent the stream error <%s/>%s%s%s",
		                     s->other->def->id, cond, t ? " (" : "", t ? t->text : "",
		                     t ? ")" : "");
	}
	if (strcmp(e->ns, UCTLS_NS_STREAMS) == 0 && strcmp(e->name, "features") == 0) {
		if (s->xstage == 0) {
			if (enter_step(r, s, "starttls") < 0)
				return -1;
			if (uctls_xmpp_child(e, UCTLS_NS_TLS, "starttls") == NULL) {
				/* RFC 7590 3.1: TLS is mandatory between servers. */
				return x_fail_stream(r, s, "policy-violation", "starttls-not-offered",
				                     "enable TLS for server-to-server on the receiving "
				                     "server",
				                     "the receiving server offered no STARTTLS in its "
				                     "stream features, and server-to-server TLS is "
				                     "required (RFC 7590 3.1)");
			}
			return x_send(s, uctls_xmpp_starttls());
		}
		if (s->xstage == 1) {
			const struct uctls_xmpp_elem *mechs =
				uctls_xmpp_child(e, UCTLS_NS_SASL, "mechanisms");
			int external = 0, dialback;
			size_t i;

			for (i = 0; mechs != NULL && i < mechs->nchildren; i++)
				external |= strcmp(mechs->children[i]->name, "mechanism") == 0 &&
				            strcmp(mechs->children[i]->text, "EXTERNAL") == 0;
			dialback = uctls_xmpp_child(e, UCTLS_NS_DIALBACK_FEATURE, "dialback") != NULL &&
			           s->profile->dialback && x_attr_yes(s->def, "dialback", 1);
			if (enter_step(r, s, "s2s-auth") < 0)
				return -1;
			s->xdialback_ok = dialback;
			if (s->tls != NULL) {
				const struct uctls_diag *d;

				if (uctls_tls_peer_verdict(s->tls, &d) > 0) {
					/* s2s_secure_auth off: R's certificate did not
					 * verify, so only dialback can authenticate R. */
					if (!dialback)
						return side_fail(r, s, d);
					s->xauth = 2;
					if (x_set_note(s, "authenticated with dialback (XEP-0220): %s's "
					               "certificate did not verify (%s: %s), and this "
					               "profile falls back to dialback",
					               s->other->def->id, d->reason,
					               d->detail ? d->detail : "") < 0)
						return -1;
					return x_send(s, uctls_xmpp_db_result(me, to, "uctls-dialback-key"));
				}
			}
			if (external && s->def->nsends > 0) {
				s->xauth = 1;
				return x_send(s, uctls_xmpp_sasl_external(NULL));
			}
			if (dialback) {
				s->xauth = 2;
				if (x_set_note(s, "authenticated with dialback (XEP-0220): %s",
				               external ? "no certificate to offer for SASL EXTERNAL"
				                        : "the receiving server did not offer SASL "
				                          "EXTERNAL (XEP-0178), so it does not accept "
				                          "this server's certificate") < 0)
					return -1;
				return x_send(s, uctls_xmpp_db_result(me, to, "uctls-dialback-key"));
			}
			return side_fail_msg(r, s, "no-auth-mechanism",
			                     "see the receiving server's side: it did not accept the "
			                     "certificate for SASL EXTERNAL and dialback is off",
			                     "%s offered %s; no way to authenticate remains",
			                     s->other->def->id,
			                     external ? "SASL EXTERNAL but this server has no certificate"
			                     : uctls_xmpp_child(e, UCTLS_NS_DIALBACK_FEATURE, "dialback")
			                             ? "only dialback, which this server's profile "
			                               "does not use"
			                             : "neither SASL EXTERNAL nor dialback");
		}
		/* After SASL success: the stream is authenticated. */
		if (enter_step(r, s, "established") < 0)
			return -1;
		return x_ping(r, s, me, to);
	}
	if (strcmp(e->ns, UCTLS_NS_TLS) == 0 && strcmp(e->name, "proceed") == 0)
		return x_start_tls(r, s, err);
	if (strcmp(e->ns, UCTLS_NS_TLS) == 0 && strcmp(e->name, "failure") == 0)
		return side_fail_msg(r, s, "starttls-failed", NULL,
		                     "%s answered <starttls/> with <failure/>", s->other->def->id);
	if (strcmp(e->ns, UCTLS_NS_SASL) == 0 && strcmp(e->name, "success") == 0) {
		if (x_set_note(s, "authenticated with SASL EXTERNAL (XEP-0178): the receiving "
		                  "server accepted this server's certificate for %s", me) < 0)
			return -1;
		s->xstage = 2;
		if (uctls_xmpp_parser_reset(s->xp) < 0)
			return uctls_err_set(err, "out of memory");
		return x_send(s, uctls_xmpp_stream_header(me, to, NULL));
	}
	if ((cond = uctls_xmpp_sasl_failure_condition(e)) != NULL) {
		char reason[96];

		if (s->xdialback_ok) {
			if (x_set_note(s, "authenticated with dialback (XEP-0220) after %s refused "
			               "SASL EXTERNAL with <%s/>",
			               s->other->def->id, cond) < 0)
				return -1;
			s->xauth = 2;
			return x_send(s, uctls_xmpp_db_result(me, to, "uctls-dialback-key"));
		}
		snprintf(reason, sizeof(reason), "sasl-failure:%s", cond);
		return side_fail_msg(r, s, reason, "see the receiving server's side for why",
		                     "%s refused SASL EXTERNAL with <%s/>", s->other->def->id, cond);
	}
	if (strcmp(e->ns, UCTLS_NS_DIALBACK) == 0 && strcmp(e->name, "result") == 0) {
		const char *type = uctls_xmpp_attr(e, "type");

		if (type != NULL && strcmp(type, "valid") == 0) {
			if (enter_step(r, s, "established") < 0)
				return -1;
			return x_ping(r, s, me, to);
		}
		return side_fail_msg(r, s, "dialback-invalid", NULL,
		                     "%s answered the dialback key with type=`%s'",
		                     s->other->def->id, type ? type : "");
	}
	(void)c;
	return 0;
}

/* The receiving server. */
static int
x_receiver(struct run *r, struct side *s, struct uctls_xmpp_event *ev, struct uctls_err *err)
{
	const struct uctls_xmpp_elem *e = ev->elem;
	const char *me = x_domain(s->def), *cond;
	char id[64];

	if (ev->type == UCTLS_XMPP_STREAM_CLOSE) {
		const struct uctls_diag *d;

		if (s->state == S_APP && strcmp(s->step, "established") == 0 && s->xpinged) {
			/* Close our side too (RFC 6120 4.4). */
			s->xechoed = 1;
			return x_send(s, uctls_xmpp_stream_close());
		}
		/* I gave up on authentication: what R found wrong with I's
		 * certificate is the cause, not the close. */
		if (s->tls != NULL && strcmp(s->step, "s2s-auth") == 0 &&
		    uctls_tls_peer_verdict(s->tls, &d) > 0)
			return side_fail(r, s, d);
		return side_fail_msg(r, s, "connection-closed", NULL,
		                     "%s closed the stream (</stream:stream>) during %s",
		                     s->other->def->id, s->step);
	}
	if (ev->type == UCTLS_XMPP_STREAM_OPEN) {
		const char *to = uctls_xmpp_attr(e, "to"), *from = uctls_xmpp_attr(e, "from");

		snprintf(id, sizeof(id), "uctls-%u-%d", ++r->seq, s->xstage);
		if (x_send(s, uctls_xmpp_stream_header(me, from, id)) < 0)
			return -1;
		if (s->xstage == 0) {
			/* RFC 6120 4.9.3.6: a stream to a domain not served here. */
			if (to == NULL || !x_hosts(s->def, to)) {
				char detail[512];

				snprintf(detail, sizeof(detail),
				         "%s opened a stream to `%s', which %s does not serve (it "
				         "serves %s%s%s); sent <host-unknown/>",
				         s->other->def->id, to ? to : "(no to=)", s->def->id, me,
				         uctls_peer_xattr(s->def, "subdomains") ? ", " : "",
				         uctls_peer_xattr(s->def, "subdomains")
				                 ? uctls_peer_xattr(s->def, "subdomains")
				                 : "");
				return x_fail_stream(r, s, "host-unknown", "stream-error:host-unknown",
				                     "dial a domain the receiving server hosts", detail);
			}
			free(s->xpeer);
			s->xpeer = strdup(from != NULL ? from : "");
			if (s->xpeer == NULL)
				return -1;
			/* R checks I's certificate for the domain I claims. */
			if (r->xdef[1].names == &r->xnames[1] && s->xpeer[0] != '\0') {
				free(r->xnames[1]);
				r->xnames[1] = strdup(s->xpeer);
				if (r->xnames[1] == NULL)
					return -1;
			}
			{
				const char *st = uctls_peer_xattr(s->def, "starttls");
				int mode = st == NULL || strcmp(st, "required") == 0 ? 2
				           : strcmp(st, "offered") == 0            ? 1
				                                                   : 0;

				if (enter_step(r, s, "starttls") < 0)
					return -1;
				return x_send(s, uctls_xmpp_features(mode, 0, 0));
			}
		}
		if (s->xstage == 1) {
			const struct uctls_diag *d;
			int verdict = uctls_tls_peer_verdict(s->tls, &d);
			int dialback = s->profile->dialback && x_attr_yes(s->def, "dialback", 1);

			s->xexternal = verdict == 0;
			if (enter_step(r, s, "s2s-auth") < 0)
				return -1;
			if (x_send(s, uctls_xmpp_features(0, s->xexternal ||
			                                         (verdict > 0 && s->profile->sasl_offer_always),
			                                  dialback)) < 0)
				return -1;
			if (verdict > 0 && s->profile->sasl_offer_always)
				return 0; /* refused at <auth/> */
			if (!s->xexternal && !dialback) {
				/* XEP-0178 3: EXTERNAL only for a certificate valid for
				 * the initiating domain; without dialback nothing is left. */
				if (verdict < 0)
					return side_fail_msg(r, s, "no-client-cert",
					                     "configure a certificate on the initiating "
					                     "server, or allow dialback",
					                     "%s presented no certificate, so SASL EXTERNAL "
					                     "cannot be offered, and dialback is off",
					                     s->other->def->id);
				return side_fail(r, s, d);
			}
			if (!s->xexternal && verdict > 0 &&
			    x_set_note(s, "SASL EXTERNAL not offered: %s: %s", d->reason,
			               d->detail ? d->detail : "") < 0)
				return -1;
			return 0;
		}
		/* After SASL success. */
		if (enter_step(r, s, "established") < 0)
			return -1;
		return x_send(s, uctls_xmpp_features(0, 0, 0));
	}
	if ((cond = uctls_xmpp_stream_error_condition(e)) != NULL) {
		char reason[96];

		snprintf(reason, sizeof(reason), "stream-error:%s", cond);
		return side_fail_msg(r, s, reason, NULL, "%s sent the stream error <%s/>",
		                     s->other->def->id, cond);
	}
	if (strcmp(e->ns, UCTLS_NS_TLS) == 0 && strcmp(e->name, "starttls") == 0) {
		int rv;

		if (x_send(s, uctls_xmpp_proceed()) < 0)
			return -1;
		rv = x_flush(r, s);
		if (rv != 0)
			return rv < 0 ? -1 : 0; /* proceed is tiny: blocking here is a failure */
		return x_start_tls(r, s, err);
	}
	if (strcmp(e->ns, UCTLS_NS_SASL) == 0 && strcmp(e->name, "auth") == 0) {
		const struct uctls_diag *d;

		if (!s->xexternal) {
			(void)uctls_tls_peer_verdict(s->tls, &d);
			if (x_send(s, uctls_xmpp_sasl_failure("not-authorized")) < 0)
				return -1;
			if (s->profile->dialback && x_attr_yes(s->def, "dialback", 1)) {
				/* The initiating server may still use dialback. */
				return x_set_note(s, "SASL EXTERNAL refused: %s: %s",
				                  d->reason ? d->reason : "?",
				                  d->detail ? d->detail : "") < 0 ? -1 : 0;
			}
			return d->reason != NULL ? side_fail(r, s, d)
			                         : side_fail_msg(r, s, "sasl-failure:not-authorized", NULL,
			                                         "%s tried SASL EXTERNAL, which was "
			                                         "not offered", s->other->def->id);
		}
		if (x_set_note(s, "SASL EXTERNAL (XEP-0178): %s's certificate is valid for %s",
		               s->other->def->id, s->xpeer) < 0 ||
		    x_send(s, uctls_xmpp_sasl_success()) < 0)
			return -1;
		s->xstage = 2;
		if (x_flush(r, s) < 0)
			return -1;
		if (uctls_xmpp_parser_reset(s->xp) < 0)
			return uctls_err_set(err, "out of memory");
		return 0;
	}
	if (strcmp(e->ns, UCTLS_NS_DIALBACK) == 0 && strcmp(e->name, "result") == 0) {
		/* uctls does not call the authoritative server back (XEP-0220
		 * 2.3): the key is accepted as the simulated peer's. */
		const char *why = s->note;
		char *n = NULL;

		if (asprintf(&n, "dialback (XEP-0220) accepted for %s%s%s", s->xpeer,
		             why ? "; " : "", why ? why : "") < 0)
			n = NULL;
		free(s->note);
		s->note = n;
		if (x_send(s, uctls_xmpp_db_answer(me, s->xpeer, 1)) < 0 ||
		    enter_step(r, s, "established") < 0)
			return -1;
		return 0;
	}
	if (strcmp(e->name, "iq") == 0 && uctls_xmpp_child(e, UCTLS_NS_PING, "ping") != NULL) {
		const char *idv = uctls_xmpp_attr(e, "id");

		/* The stanza was routed here: established.  Its answer would go
		 * over this server's own stream to I's domain (RFC 6120 4.1),
		 * which uctls does not open; a real initiating server keeps its
		 * stream open while it waits, so a short silence ends the step. */
		(void)idv;
		(void)me;
		s->xpinged = 1;
		s->quiet_ok = 1;
		return x_set_note(s, "received %s's ping (XEP-0199) over the authenticated stream: "
		                  "the stanza was routed here", s->other->def->id) < 0 ? -1 : 0;
	}
	return 0;
}

/* Runs the XMPP exchange of one side as far as it can go without
 * blocking. */
static int
app_xmpp(struct run *r, struct side *s, struct uctls_err *err)
{
	struct uctls_xmpp_event *ev;
	int rv;

	for (;;) {
		if (s->out != NULL) {
			rv = x_flush(r, s);
			if (rv != 0)
				return rv < 0 ? -1 : 0;
		}
		if (s->state == S_FAILED || s->state == S_DONE || s->state == S_HANDSHAKE)
			return 0;
		if (s->is_server && s->xechoed)
			return side_done(r, s);
		if (s->xclosing && !s->is_server)
			return x_subdomains(r, s);
		ev = uctls_xmpp_parser_next(s->xp);
		if (ev == NULL) {
			rv = x_read(r, s);
			if (rv != 0)
				return rv < 0 ? -1 : 0;
			continue;
		}
		rv = s->is_server ? x_receiver(r, s, ev, err) : x_initiator(r, s, ev, err);
		uctls_xmpp_event_free(ev);
		if (rv < 0)
			return -1;
	}
}

/* After TCP: I opens the stream; R waits for it. */
static int
x_begin(struct run *r, struct side *s, struct uctls_err *err)
{
	const char *to = uctls_peer_xattr(s->def, "to");

	s->xp = uctls_xmpp_parser_new();
	if (s->xp == NULL)
		return uctls_err_set(err, "out of memory");
	s->state = S_PRE;
	s->want = POLLIN;
	if (enter_step(r, s, "stream-open") < 0)
		return -1;
	if (s->is_server)
		return 0;
	return x_send(s, uctls_xmpp_stream_header(x_domain(s->def),
	                                          to != NULL ? to : x_domain(r->server), NULL));
}

/* After the TLS handshake: I restarts the stream. */
static int
x_after_tls(struct run *r, struct side *s)
{
	const char *to = uctls_peer_xattr(s->def, "to");

	s->xstage = 1;
	if (enter_step(r, s, "stream-restart") < 0)
		return -1;
	if (s->is_server)
		return 0;
	return x_send(s, uctls_xmpp_stream_header(x_domain(s->def),
	                                          to != NULL ? to : x_domain(r->server), NULL));
}

/* Advances one local side as far as it can without blocking.  Returns -1
 * only for local errors (out of memory, no sockets). */
static int
advance(struct run *r, struct side *s, struct uctls_err *err)
{
	socklen_t sl;
	int ret, soerr;

	if (!s->local)
		return 0;
	for (;;) {
		switch (s->state) {
		case S_CONNECT:
			if (s->is_server) {
				ret = accept(r->lfd, NULL, NULL);
				if (ret < 0) {
					if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
						s->want = POLLIN;
						return 0;
					}
					return side_fail_msg(r, s, "connection-refused", NULL,
					                     "accept: %s", strerror(errno));
				}
				s->fd = ret;
				if (set_nonblock(s->fd) < 0)
					return uctls_err_set(err, "fcntl: %s", strerror(errno));
				nodelay(s->fd);
			} else {
				sl = sizeof(soerr);
				if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
					soerr = errno;
				if (soerr == EINPROGRESS) {
					s->want = POLLOUT;
					return 0;
				}
				if (soerr != 0)
					return side_fail_msg(r, s, "connection-refused",
					                     "check the address and port, and that the "
					                     "server listens",
					                     "connecting to %s: %s", s->other->def->id,
					                     strerror(soerr));
			}
			if (r->phase->app == APP_XMPP) {
				if (x_begin(r, s, err) < 0)
					return -1;
				break;
			}
			if (start_tls(r, s, err) < 0)
				return -1;
			break;
		case S_PRE:
			return app_xmpp(r, s, err);
		case S_HANDSHAKE:
			ret = uctls_tls_handshake(s->tls);
			if (ret != UCTLS_TLS_OK)
				return tls_result(r, s, ret);
			note_peer(r, s);
			if (uctls_tls_identity_note(s->tls) != NULL) {
				free(s->note);
				s->note = strdup(uctls_tls_identity_note(s->tls));
			}
			if (r->log->version == NULL && uctls_tls_version(s->tls) != NULL) {
				r->log->version = strdup(uctls_tls_version(s->tls));
				r->log->cipher = uctls_tls_cipher(s->tls) != NULL
				                         ? strdup(uctls_tls_cipher(s->tls))
				                         : NULL;
			}
			s->state = S_APP;
			if (r->phase->app == APP_XMPP) {
				if (x_after_tls(r, s) < 0)
					return -1;
				break;
			}
			if (r->phase->app == APP_SIP_OPTIONS) {
				/* In TLS 1.3 the client's handshake ends before the
				 * server has checked the client's certificate: the
				 * client's handshake step ends with the first bytes
				 * of the answer (or an alert instead). */
				if (s->is_server) {
					if (enter_step(r, s, r->phase->app_step) < 0)
						return -1;
				} else {
					s->tls_pending = 1;
				}
				if (sip_start(r, s) < 0)
					return uctls_err_set(err, "out of memory");
			}
			s->want = POLLIN;
			break;
		case S_APP:
			if (r->phase->app == APP_XMPP)
				return app_xmpp(r, s, err);
			return r->phase->app == APP_SIP_OPTIONS ? app_sip(r, s) : app_ready(r, s);
		case S_DONE:
		case S_FAILED:
			return 0;
		}
	}
}

static const char *
waiting_for(const struct side *s)
{
	switch (s->state) {
	case S_CONNECT:
		return s->is_server ? "a connection" : "the TCP connection to be accepted";
	case S_HANDSHAKE:
		return "the next TLS handshake message";
	case S_APP:
		return s->is_server ? "the request" : "an answer";
	default:
		return "nothing";
	}
}

static int
loop(struct run *r, struct uctls_err *err)
{
	struct pollfd pfd[2];
	struct side *ps[2];
	int i, n, ret;

	for (;;) {
		for (i = 0; i < 2; i++) {
			if (advance(r, &r->side[i], err) < 0)
				return -1;
		}
		n = 0;
		for (i = 0; i < 2; i++) {
			struct side *s = &r->side[i];

			if (!s->local || s->state == S_DONE || s->state == S_FAILED)
				continue;
			pfd[n].fd = s->state == S_CONNECT && s->is_server ? r->lfd : s->fd;
			pfd[n].events = (short)s->want;
			pfd[n].revents = 0;
			ps[n++] = s;
		}
		if (n == 0)
			return 0;
		/* Every wait is bounded: no progress within the timeout fails
		 * each side still waiting; a side facing a real server after its
		 * handshake waits a short quiet time instead. */
		ret = poll(pfd, (nfds_t)n,
		           n == 1 && ps[0]->quiet_ok && r->timeout > QUIET_MS ? QUIET_MS : r->timeout);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return uctls_err_set(err, "poll: %s", strerror(errno));
		if (ret == 0) {
			for (i = 0; i < n; i++) {
				if (ps[i]->quiet_ok) {
					/* The XMPP notes already say what happened. */
					if (r->phase->app != APP_XMPP) {
						free(ps[i]->note);
						ps[i]->note = NULL;
						if (asprintf(&ps[i]->note,
						             "%s sent no alert within %d ms after the "
						             "handshake: taken as accepted (TLS 1.3 leaves "
						             "the server's verdict on our certificate unsaid "
						             "until data flows)",
						             ps[i]->other->def->id,
						             r->timeout > QUIET_MS ? QUIET_MS : r->timeout) < 0)
							ps[i]->note = NULL;
					}
					if ((r->phase->app == APP_XMPP && !ps[i]->is_server
					             ? x_subdomains(r, ps[i])
					             : side_done(r, ps[i])) < 0)
						return -1;
					continue;
				}
				if (!ps[i]->other->local && ps[i]->state == S_CONNECT && ps[i]->is_server &&
				    r->nphase > 0) {
					/* --listen: the real client did not come back
					 * for this phase (a real Expressway-C opens its
					 * SSH tunnel elsewhere). */
					ps[i]->state = S_DONE;
					ps[i]->step = NULL;
					continue;
				}
				if (side_fail_msg(r, ps[i], "timeout",
				                  "check that the other side answers; raise --timeout "
				                  "for a slow peer",
				                  "%s waited %d ms for %s from %s", ps[i]->def->id,
				                  r->timeout, waiting_for(ps[i]),
				                  ps[i]->other->def->id) < 0)
					return -1;
			}
			return 0;
		}
	}
}

/* --- sides, addresses ---------------------------------------------------- */

static int
parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len, struct uctls_err *err)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':');
	size_t hl;
	int ret;

	if (colon == NULL || colon == spec || colon[1] == '\0')
		return uctls_err_set(err, "address `%s': expected HOST:PORT", spec);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return uctls_err_set(err, "address `%s': host name too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	ret = getaddrinfo(host, colon + 1, &hints, &res);
	if (ret != 0)
		return uctls_err_set(err, "address `%s': %s", spec, gai_strerror(ret));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
open_listener(struct run *r, const char *spec, struct uctls_err *err)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->addr;
	int one = 1;

	if (spec != NULL) {
		if (parse_addr(spec, &r->addr, &r->addrlen, err) < 0)
			return -1;
	} else {
		memset(&r->addr, 0, sizeof(r->addr));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = 0; /* the kernel picks a free port */
		r->addrlen = sizeof(*sin);
	}
	r->lfd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		return uctls_err_set(err, "socket: %s", strerror(errno));
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->lfd, (struct sockaddr *)&r->addr, r->addrlen) < 0 || listen(r->lfd, 8) < 0 ||
	    getsockname(r->lfd, (struct sockaddr *)&r->addr, &r->addrlen) < 0 ||
	    set_nonblock(r->lfd) < 0)
		return uctls_err_set(err, "listening on %s: %s", spec != NULL ? spec : "127.0.0.1:0",
		                     strerror(errno));
	if (spec != NULL && r->opts->on_listen != NULL) {
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;

		if (r->addr.ss_family == AF_INET) {
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->addr;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
		r->opts->on_listen(r->opts->on_listen_arg, r->server->id, host, port);
	}
	return 0;
}

static int
open_client(struct run *r, struct side *c, struct uctls_err *err)
{
	c->fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || set_nonblock(c->fd) < 0)
		return uctls_err_set(err, "socket: %s", strerror(errno));
	nodelay(c->fd);
	if (connect(c->fd, (struct sockaddr *)&r->addr, r->addrlen) < 0 && errno != EINPROGRESS &&
	    errno != ECONNREFUSED)
		return uctls_err_set(err, "connect: %s", strerror(errno));
	return 0;
}

/* The scenario peer as it plays in a phase: sending its leaf alone for the
 * SSH tunnel; the Jabber client for mra-edge. */
static const struct uctls_peerdef *
phase_def(struct run *r, const struct phase *ph, int server)
{
	if (ph->jabber && !server)
		return &r->jabber;
	if (ph->app == APP_XMPP)
		return &r->xdef[server];
	if (ph->leaf_only)
		return &r->leaf[server];
	return server ? r->server : r->client;
}

/* Closing a socket with unread input makes the kernel send a reset, which
 * can destroy our last alert before a real peer reads it.  So, facing a
 * real peer: stop sending, then read and discard until it closes too (it
 * does once it has read the alert), for at most the timeout. */
static void
linger_close(struct run *r, int fd)
{
	struct pollfd p;
	char buf[4096];
	ssize_t n;

	shutdown(fd, SHUT_WR);
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		p.revents = 0;
		if (poll(&p, 1, r->timeout) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
	}
}

static void
close_phase(struct run *r)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		if (s->fd >= 0 && s->local && !s->other->local && s->state == S_FAILED)
			linger_close(r, s->fd);
		uctls_tls_free(s->tls);
		if (s->fd >= 0)
			close(s->fd);
		uctls_sip_parser_free(s->sip);
		uctls_xmpp_parser_free(s->xp);
		free(s->xpeer);
		free(s->out);
		free(s->note);
		memset(s, 0, sizeof(*s));
		s->fd = -1;
	}
}

/* The steps of phase PH, in order, without repeats. */
static int
phase_steps(const struct phase *ph, const char *out[16])
{
	const char *all[3] = { ph->tcp_step, ph->tls_step, ph->app_step };
	int n = 0, i;

	if (ph->steps != NULL) {
		for (i = 0; ph->steps[i] != NULL && i < 15; i++)
			out[i] = ph->steps[i];
		return i;
	}
	for (i = 0; i < 3; i++)
		if (n == 0 || strcmp(out[n - 1], all[i]) != 0)
			out[n++] = all[i];
	return n;
}

static int
log_status(struct run *r, const char *step, const char *side, enum uctls_status st,
           const char *detail)
{
	return uctls_log_add(r->log, step, side, st, NULL, detail, NULL, 0) == NULL ? -1 : 0;
}

/* Whether the step program includes STEP for this scenario (the subdomain
 * step only when R hosts subdomains). */
static int
step_planned(const struct run *r, const char *step)
{
	return strcmp(step, "subdomain") != 0 ||
	       uctls_peer_xattr(r->server, "subdomains") != NULL;
}

static int
run_phase(struct run *r, const struct phase *ph, int *failed, struct uctls_err *err)
{
	const char *steps[16], *detail;
	int i, k, n;

	r->phase = ph;
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		s->def = phase_def(r, ph, i);
		s->profile = uctls_profile_find(s->def->profile);
		s->is_server = i;
		s->local = i ? !r->server_remote : !r->client_remote;
		s->other = &r->side[!i];
		s->fd = -1;
		s->state = S_CONNECT;
		s->want = i ? POLLIN : POLLOUT;
		s->step = ph->tcp_step;
		s->t0 = now_ms();
	}
	if (r->server_remote && r->opts->step_addrs != NULL) {
		const char *spec = r->opts->remote_addr;
		size_t l = strlen(ph->tcp_step);

		for (k = 0; r->opts->step_addrs[k] != NULL; k++)
			if (strncmp(r->opts->step_addrs[k], ph->tcp_step, l) == 0 &&
			    r->opts->step_addrs[k][l] == '=')
				spec = r->opts->step_addrs[k] + l + 1;
		if (parse_addr(spec, &r->addr, &r->addrlen, err) < 0)
			return -1;
	}
	if (r->side[0].local && open_client(r, &r->side[0], err) < 0)
		return -1;
	/* TCP connect is a step of its own only when its name differs from
	 * the handshake's; otherwise it passes silently into it. */
	if (loop(r, err) < 0)
		return -1;
	n = phase_steps(ph, steps);
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		if (s->state == S_FAILED) {
			*failed = 1;
			/* The steps of this phase after the failing one. */
			for (k = 0; k < n && strcmp(steps[k], s->step) != 0; k++)
				;
			for (k++; k < n; k++)
				if (step_planned(r, steps[k]) &&
				    log_status(r, steps[k], s->def->id, UCTLS_NOT_REACHED, NULL) < 0)
					return -1;
		}
		if (s->local && s->step == NULL) {
			/* --listen: no connection came for this phase. */
			for (k = 0; k < n; k++)
				if (log_status(r, steps[k], s->def->id, UCTLS_UNOBSERVED,
				               "no connection arrived for this step within the "
				               "timeout; the real peer does not make it here") < 0)
					return -1;
			continue;
		}
		if (s->local)
			continue;
		detail = "a real peer: its view is not observable from here";
		for (k = 0; k < n; k++)
			if (step_planned(r, steps[k]) &&
			    log_status(r, steps[k], s->def->id, UCTLS_UNOBSERVED, detail) < 0)
				return -1;
	}
	close_phase(r);
	r->nphase++;
	return 0;
}

/* --- the install step (install.h) ----------------------------------------- */

/* The bytes of what is uploaded: the certificates of IN as one file in the
 * format it asks for, with its trailing newlines. */
static int
install_bytes(struct run *r, const struct uctls_installdef *in, char **out, size_t *len,
              struct uctls_err *err)
{
	gnutls_datum_t d = { NULL, 0 };
	size_t i, cap = 0, n = 0;
	char *buf = NULL, *nb;
	int der = strcmp(in->format, "der") == 0;

	if (in->file != NULL) {
		if (gnutls_load_file(in->file, &d) < 0)
			return uctls_err_at(err, r->sc->file, in->line, "<install>: cannot read `%s'",
			                    in->file);
		buf = malloc(d.size + 1);
		if (buf == NULL) {
			gnutls_free(d.data);
			return uctls_err_set(err, "out of memory");
		}
		memcpy(buf, d.data, d.size);
		buf[d.size] = '\0';
		*out = buf;
		*len = d.size;
		gnutls_free(d.data);
		return 0;
	}
	for (i = 0; i < in->ncerts; i++) {
		gnutls_x509_crt_t crt = uctls_pki_crt(r->pki, in->certs[i]);

		if (crt == NULL ||
		    gnutls_x509_crt_export2(crt, der ? GNUTLS_X509_FMT_DER : GNUTLS_X509_FMT_PEM, &d) < 0)
			return uctls_err_at(err, r->sc->file, in->line, "<install>: cannot export `%s'",
			                    in->certs[i]);
		/* PEM: drop the export's trailing newlines; added back below. */
		while (!der && d.size > 0 && d.data[d.size - 1] == '\n')
			d.size--;
		if (n + d.size + 16 > cap) {
			cap = (n + d.size + 16) * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				gnutls_free(d.data);
				free(buf);
				return uctls_err_set(err, "out of memory");
			}
			buf = nb;
		}
		memcpy(buf + n, d.data, d.size);
		n += d.size;
		if (!der && i + 1 < in->ncerts)
			buf[n++] = '\n';
		gnutls_free(d.data);
		d.data = NULL;
	}
	if (!der) {
		int k;

		for (k = 0; k < in->newlines; k++)
			buf[n++] = '\n';
		if (strcmp(in->format, "damaged") == 0) {
			/* A copy that lost a character: one base64 character of
			 * the first body line turned into something else. */
			char *p = strstr(buf, "-----\n");

			if (p != NULL && p + 10 < buf + n)
				p[10] = '#';
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int
install_key(struct run *r, const struct uctls_installdef *in, char **out, size_t *len,
            struct uctls_err *err)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_privkey_t key;
	const char *id = in->key != NULL ? in->key : in->ncerts > 0 ? in->certs[0] : NULL;

	*out = NULL;
	*len = 0;
	if (in->key_file != NULL) {
		if (gnutls_load_file(in->key_file, &d) < 0)
			return uctls_err_at(err, r->sc->file, in->line, "<install>: cannot read `%s'",
			                    in->key_file);
	} else {
		if (id == NULL || strcmp(id, "none") == 0)
			return 0;
		key = uctls_pki_key(r->pki, id);
		if (key == NULL)
			return 0; /* loaded without a key: nothing to upload */
		if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
			return uctls_err_set(err, "out of memory");
	}
	*out = malloc(d.size + 1);
	if (*out == NULL) {
		gnutls_free(d.data);
		return uctls_err_set(err, "out of memory");
	}
	memcpy(*out, d.data, d.size);
	(*out)[d.size] = '\0';
	*len = d.size;
	gnutls_free(d.data);
	return 0;
}

/* Every <install> of the scenario, before the first connection; a refused
 * upload ends the scenario there. */
static int
run_installs(struct run *r, int *failed, struct uctls_err *err)
{
	size_t i, k;

	for (i = 0; i < r->sc->ninstalls && !*failed; i++) {
		const struct uctls_installdef *in = &r->sc->installs[i];
		const struct uctls_peerdef *pd = uctls_scenario_peer(r->sc, in->peer);
		const struct uctls_profile *p = uctls_profile_find(pd->profile);
		struct uctls_install_rules rules;
		struct uctls_install_input inp;
		gnutls_x509_crt_t trust[32];
		struct uctls_diag d;
		struct uctls_step *rec;
		char *cert = NULL, *key = NULL;
		const char **csr;
		size_t clen = 0, klen = 0, ntrust;
		double t0 = now_ms();
		int rv;

		memset(&rules, 0, sizeof(rules));
		rules.pem_only = p->inst_pem_only;
		rules.ca_first = p->inst_ca_first;
		rules.bundle_order = p->inst_bundle_order;
		rules.bundle_newline = p->inst_bundle_newline;
		rules.cn_in_san = p->inst_cn_in_san;
		rules.key_bits = p->inst_key_bits;
		rules.critical_ok = p->inst_critical_ok;
		memset(&inp, 0, sizeof(inp));
		if (install_bytes(r, in, &cert, &clen, err) < 0)
			return -1;
		if (install_key(r, in, &key, &klen, err) < 0) {
			free(cert);
			return -1;
		}
		for (ntrust = 0; ntrust < pd->ntrusts && ntrust < 32; ntrust++)
			trust[ntrust] = uctls_pki_crt(r->pki, pd->trusts[ntrust]);
		inp.name = in->file != NULL ? in->file : in->certs[0];
		inp.cert = (const unsigned char *)cert;
		inp.cert_len = clen;
		inp.key = (const unsigned char *)key;
		inp.key_len = klen;
		/* install.h wants the CSR's SANs NULL-terminated. */
		csr = NULL;
		if (in->csr_sans != NULL) {
			csr = calloc(in->ncsr + 1, sizeof(*csr));
			if (csr == NULL) {
				free(cert);
				free(key);
				return uctls_err_set(err, "out of memory");
			}
			for (k = 0; k < in->ncsr; k++)
				csr[k] = in->csr_sans[k];
		}
		inp.csr_sans = csr;
		inp.trust = trust;
		inp.ntrust = ntrust;
		inp.now = r->sc->now;
		uctls_diag_init(&d);
		rv = uctls_install_check(&rules, &inp, &d, err);
		free(cert);
		free(key);
		free(csr);
		if (rv < 0) {
			uctls_diag_clear(&d);
			return -1;
		}
		rec = uctls_log_add(r->log, "install", pd->id, rv ? UCTLS_FAIL : UCTLS_PASS,
		                    d.reason, d.detail, d.hint, now_ms() - t0);
		for (k = 0; rec != NULL && k < d.nalso; k++)
			if (uctls_log_add_also(rec, d.also[k]) < 0)
				rec = NULL;
		uctls_diag_clear(&d);
		if (rec == NULL)
			return uctls_err_set(err, "out of memory");
		if (rv)
			*failed = 1;
	}
	return 0;
}

/* --- set-up -------------------------------------------------------------- */

static const struct phase *
family_phases(const char *family, size_t *n)
{
	if (strcmp(family, "traversal") == 0) {
		*n = sizeof(traversal_phases) / sizeof(traversal_phases[0]);
		return traversal_phases;
	}
	if (strcmp(family, "sip-trunk") == 0) {
		*n = sizeof(trunk_phases) / sizeof(trunk_phases[0]);
		return trunk_phases;
	}
	if (strcmp(family, "xmpp-s2s") == 0) {
		*n = sizeof(xmpp_phases) / sizeof(xmpp_phases[0]);
		return xmpp_phases;
	}
	*n = sizeof(tls_phases) / sizeof(tls_phases[0]);
	return tls_phases;
}

static int
phase_enabled(struct run *r, const struct phase *ph)
{
	const char *v;

	if (ph->jabber)
		return uctls_peer_xattr(r->server, "mra-domain") != NULL;
	if (ph->leaf_only) {
		v = uctls_peer_xattr(r->client, "ssh-tunnel");
		return v == NULL || strcmp(v, "no") != 0;
	}
	return 1;
}

/* Family-specific attributes, checked here with their file:line. */
static int
check_xattrs(struct run *r, struct uctls_err *err)
{
	const struct uctls_scenario *sc = r->sc;
	const char *v;
	char *end;
	long code;
	size_t i;

	v = uctls_peer_xattr(r->server, "sip-response");
	if (v != NULL && strcmp(v, "none") != 0 && strcmp(v, "garbage") != 0) {
		code = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || code < 200 || code > 699)
			return uctls_err_at(err, sc->file, r->server->line,
			                    "<peer id=\"%s\">: sip-response `%s'; expected a final "
			                    "status code 200-699, none, or garbage",
			                    r->server->id, v);
	}
	for (i = 0; i < 2; i++) {
		const struct uctls_peerdef *pd = i ? r->server : r->client;
		static const char *const only_server[] = { "subdomains", "starttls", NULL };
		size_t k;

		v = uctls_peer_xattr(pd, "starttls");
		if (v != NULL && strcmp(v, "required") != 0 && strcmp(v, "offered") != 0 &&
		    strcmp(v, "none") != 0)
			return uctls_err_at(err, sc->file, pd->line,
			                    "<peer id=\"%s\">: starttls `%s'; expected required, "
			                    "offered or none", pd->id, v);
		v = uctls_peer_xattr(pd, "dialback");
		if (v != NULL && strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return uctls_err_at(err, sc->file, pd->line,
			                    "<peer id=\"%s\">: dialback `%s'; expected yes or no",
			                    pd->id, v);
		for (k = 0; i == 0 && only_server[k] != NULL; k++)
			if (uctls_peer_xattr(pd, only_server[k]) != NULL)
				return uctls_err_at(err, sc->file, pd->line,
				                    "<peer id=\"%s\">: %s belongs on the server-role "
				                    "peer (the receiving server)", pd->id, only_server[k]);
		if (i == 1 && uctls_peer_xattr(pd, "to") != NULL)
			return uctls_err_at(err, sc->file, pd->line,
			                    "<peer id=\"%s\">: to belongs on the client-role peer "
			                    "(the initiating server)", pd->id);
	}
	v = uctls_peer_xattr(r->client, "request");
	if (v != NULL && strcmp(v, "OPTIONS") != 0 && strcmp(v, "REGISTER") != 0 &&
	    strcmp(v, "INVITE") != 0)
		return uctls_err_at(err, sc->file, r->client->line,
		                    "<peer id=\"%s\">: request `%s'; expected OPTIONS, REGISTER or "
		                    "INVITE", r->client->id, v);
	if (uctls_peer_xattr(r->server, "request") != NULL)
		return uctls_err_at(err, sc->file, r->server->line,
		                    "<peer id=\"%s\">: request belongs on the client-role peer (the "
		                    "UAC)", r->server->id);
	for (i = 0; i < 2; i++) {
		const struct uctls_peerdef *pd = i ? r->server : r->client;

		v = uctls_peer_xattr(pd, "client-cert");
		if (v != NULL && (i == 0 || (strcmp(v, "required") != 0 && strcmp(v, "optional") != 0 &&
		                             strcmp(v, "none") != 0)))
			return uctls_err_at(err, sc->file, pd->line,
			                    "<peer id=\"%s\">: client-cert `%s'; expected required, "
			                    "optional or none, on the server-role peer",
			                    pd->id, v);
		v = uctls_peer_xattr(pd, "signatures");
		if (v != NULL && strcmp(v, "rsa") != 0 && strcmp(v, "any") != 0)
			return uctls_err_at(err, sc->file, pd->line,
			                    "<peer id=\"%s\">: signatures `%s'; expected rsa or any",
			                    pd->id, v);
	}
	v = uctls_peer_xattr(r->client, "ssh-tunnel");
	if (v != NULL && strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
		return uctls_err_at(err, sc->file, r->client->line,
		                    "<peer id=\"%s\">: ssh-tunnel `%s'; expected yes or no",
		                    r->client->id, v);
	for (i = 0; i < 2; i++) {
		const struct uctls_peerdef *pd = i ? r->server : r->client;
		const char *wrong[] = { "mra-domain", "mra-trusts", "sip-response", NULL };
		size_t k;

		for (k = 0; wrong[k] != NULL && i == 0; k++)
			if (uctls_peer_xattr(pd, wrong[k]) != NULL)
				return uctls_err_at(err, sc->file, pd->line,
				                    "<peer id=\"%s\">: %s belongs on the server-role "
				                    "peer (Expressway-E)",
				                    pd->id, wrong[k]);
		if (i == 1 && uctls_peer_xattr(pd, "ssh-tunnel") != NULL)
			return uctls_err_at(err, sc->file, pd->line,
			                    "<peer id=\"%s\">: ssh-tunnel belongs on the client-role "
			                    "peer (Expressway-C)",
			                    pd->id);
	}
	return 0;
}

static char **
split_ids(const char *v, size_t *n)
{
	char *copy = strdup(v), *tok, *save = NULL, **out = NULL, **nv;

	*n = 0;
	if (copy == NULL)
		return NULL;
	for (tok = strtok_r(copy, " \t\n,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n,", &save)) {
		nv = realloc(out, (*n + 1) * sizeof(*out));
		if (nv == NULL)
			break;
		out = nv;
		out[(*n)++] = strdup(tok);
	}
	free(copy);
	return out;
}

static int
setup_defs(struct run *r, struct uctls_err *err)
{
	const char *dom, *mt;
	size_t i;

	for (i = 0; i < 2; i++) {
		r->leaf[i] = i ? *r->server : *r->client;
		r->leaf[i].nsends = r->leaf[i].nsends > 0 ? 1 : 0;
	}
	/* xmpp-s2s: each server expects the other's domain (RFC 6125 for
	 * xmpp-server) unless verify-name says otherwise; R learns I's domain
	 * from the stream header. */
	for (i = 0; i < 2; i++) {
		const struct uctls_peerdef *pd = i ? r->server : r->client;
		const struct uctls_peerdef *other = i ? r->client : r->server;
		const char *to = uctls_peer_xattr(r->client, "to");

		r->xdef[i] = *pd;
		if (pd->nnames == 0) {
			r->xnames[i] = strdup(i ? x_domain(other) : to != NULL ? to : x_domain(other));
			if (r->xnames[i] == NULL)
				return uctls_err_set(err, "out of memory");
			r->xdef[i].names = &r->xnames[i];
			r->xdef[i].nnames = 1;
		}
	}
	dom = uctls_peer_xattr(r->server, "mra-domain");
	if (dom == NULL)
		return 0;
	memset(&r->jabber, 0, sizeof(r->jabber));
	r->jabber.id = "jabber";
	r->jabber.line = r->server->line;
	r->jabber.role = "client";
	r->jabber.profile = "jabber";
	/* Seeds 000/003: the domain, or collab-edge.<domain>, must be a SAN. */
	r->jabber_names[0] = strdup(dom);
	if (asprintf(&r->jabber_names[1], "collab-edge.%s", dom) < 0)
		r->jabber_names[1] = NULL;
	if (r->jabber_names[0] == NULL || r->jabber_names[1] == NULL)
		return uctls_err_set(err, "out of memory");
	r->jabber.names = r->jabber_names;
	r->jabber.nnames = 2;
	mt = uctls_peer_xattr(r->server, "mra-trusts");
	if (mt != NULL) {
		r->jabber.trusts = split_ids(mt, &r->jabber.ntrusts);
		for (i = 0; i < r->jabber.ntrusts; i++)
			if (r->jabber.trusts[i] == NULL ||
			    uctls_scenario_cert(r->sc, r->jabber.trusts[i]) == NULL)
				return uctls_err_at(err, r->sc->file, r->server->line,
				                    "<peer id=\"%s\">: mra-trusts unknown id `%s'",
				                    r->server->id,
				                    r->jabber.trusts[i] ? r->jabber.trusts[i] : "?");
	} else {
		r->jabber.trusts = r->client->trusts;
		r->jabber.ntrusts = r->client->ntrusts;
	}
	return 0;
}

static int
add_side(struct run *r, const struct uctls_peerdef *pd, int remote)
{
	struct uctls_side_info *si;
	size_t k;

	si = uctls_log_side(r->log, pd->id, pd->role, remote ? "real peer" : pd->profile);
	if (si == NULL)
		return -1;
	si->remote = remote;
	for (k = 0; !remote && k < pd->nsends; k++)
		if (uctls_side_add_sent(si, pd->sends[k], uctls_pki_fingerprint(r->pki, pd->sends[k])) <
		    0)
			return -1;
	return 0;
}

int
uctls_engine_run(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                 const struct uctls_run_opts *opts, struct uctls_log **out,
                 struct uctls_err *err)
{
	static const struct uctls_run_opts defaults = { .timeout_ms = 5000 };
	const struct phase *phases;
	const char *steps[16];
	size_t nph, i;
	int rv = -1, failed = 0, k, n;
	struct run r;
	double t0 = now_ms();

	memset(&r, 0, sizeof(r));
	r.sc = sc;
	r.opts = opts != NULL ? opts : &defaults;
	/* --timeout, else the scenario's timeout=, else 5 s. */
	r.timeout = r.opts->timeout_ms > 0 ? r.opts->timeout_ms
	            : sc->timeout_ms > 0   ? sc->timeout_ms
	                                   : 5000;
	r.lfd = -1;
	r.side[0].fd = r.side[1].fd = -1;
	if (uctls_family_find(sc->family) == NULL)
		return uctls_err_at(err, sc->file, 1, "unknown family `%s'", sc->family);
	for (i = 0; i < sc->npeers; i++) {
		if (strcmp(sc->peers[i].role, "server") == 0)
			r.server = &sc->peers[i];
		else
			r.client = &sc->peers[i];
	}
	if (r.client == NULL || r.server == NULL)
		return uctls_err_at(err, sc->file, 1, "family %s needs a client and a server peer",
		                    sc->family);
	/* --remote / --listen name the server-role peer. */
	for (k = 0; k < 2; k++) {
		const char *id = k ? r.opts->listen_id : r.opts->remote_id;

		if (id != NULL && strcmp(id, r.server->id) != 0)
			return uctls_err_set(err, "%s: --%s %s: the peer named must be the "
			                     "server-role peer `%s' (the client-role peer is `%s')",
			                     sc->file, k ? "listen" : "remote", id, r.server->id,
			                     r.client->id);
	}
	r.server_remote = r.opts->remote_id != NULL;
	r.client_remote = r.opts->listen_id != NULL;
	if (check_xattrs(&r, err) < 0 || setup_defs(&r, err) < 0)
		goto out;

	if (uctls_pki_build(sc, pool, &r.pki, err) < 0)
		goto out;
	r.log = uctls_log_new(sc->name, sc->file, sc->family);
	if (r.log == NULL || add_side(&r, r.client, r.client_remote) < 0 ||
	    add_side(&r, r.server, r.server_remote) < 0 ||
	    (uctls_peer_xattr(r.server, "mra-domain") != NULL &&
	     add_side(&r, &r.jabber, r.client_remote) < 0)) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	if (r.opts->keylog != NULL) {
		r.keylog = fopen(r.opts->keylog, "a");
		if (r.keylog == NULL) {
			uctls_err_set(err, "%s: %s", r.opts->keylog, strerror(errno));
			goto out;
		}
	}
	if (r.server_remote) {
		if (parse_addr(r.opts->remote_addr, &r.addr, &r.addrlen, err) < 0)
			goto out;
	} else if (open_listener(&r, r.client_remote ? r.opts->listen_addr : NULL, err) < 0) {
		goto out;
	}

	if (run_installs(&r, &failed, err) < 0)
		goto out;
	phases = family_phases(sc->family, &nph);
	for (i = 0; i < nph; i++) {
		if (!phase_enabled(&r, &phases[i]))
			continue;
		if (failed) {
			/* The first failing step ends the scenario. */
			n = phase_steps(&phases[i], steps);
			for (k = 0; k < n; k++) {
				const struct uctls_peerdef *a = phase_def(&r, &phases[i], 0),
				                           *b = phase_def(&r, &phases[i], 1);

				if (log_status(&r, steps[k], a->id, UCTLS_NOT_REACHED, NULL) < 0 ||
				    log_status(&r, steps[k], b->id, UCTLS_NOT_REACHED, NULL) < 0)
					goto oom;
			}
			continue;
		}
		if (run_phase(&r, &phases[i], &failed, err) < 0)
			goto out;
	}
	r.log->total_ms = now_ms() - t0;
	*out = r.log;
	r.log = NULL;
	rv = 0;
	goto out;
oom:
	uctls_err_set(err, "out of memory");
out:
	close_phase(&r);
	if (r.lfd >= 0)
		close(r.lfd);
	if (r.keylog != NULL)
		fclose(r.keylog);
	if (r.jabber.trusts != r.client->trusts) {
		for (i = 0; i < r.jabber.ntrusts; i++)
			free(r.jabber.trusts[i]);
		free(r.jabber.trusts);
	}
	free(r.jabber_names[0]);
	free(r.jabber_names[1]);
	free(r.xnames[0]);
	free(r.xnames[1]);
	uctls_log_free(r.log);
	uctls_pki_free(r.pki);
	return rv;
}
