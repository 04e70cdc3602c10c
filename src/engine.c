#include "config.h"

#include <limits.h>

#include "engine-int.h"
#include "revoke.h"
#include "store.h"
#include "warn.h"

/* tls: one connection. */
static const struct phase tls_phases[] = {
	{ "tcp-connect", "tls-handshake", "tls-handshake", APP_READY, 0, 0, NULL },
};

/* sip-trunk: one connection, one SIP transaction. */
static const struct phase trunk_phases[] = {
	{ "tcp-connect", "tls-handshake", "sip-request", APP_SIP_OPTIONS, 0, 0, NULL },
};

/* https: one connection, one HTTP/1.1 exchange (engine-https.c). */
static const struct phase https_phases[] = {
	{ "tcp-connect", "tls-handshake", "http-request", APP_HTTP, 0, 0, NULL },
};

/* traversal: the zone (SIP over mutual TLS), the SSH tunnel, and the MRA
 * Jabber client's TLS connection to Expressway-E.  The SSH tunnel is "a
 * stricter connection" that fails unless the whole chain is trusted (Cisco,
 * "Troubleshoot Expressway Certificates", doc 221624, "Traversal Zone up but
 * SSH Tunnels Down after certificate renewal",
 * https://www.cisco.com/c/en/us/support/docs/unified-communications/telepresence-video-communication-server-vcs/221624-troubleshoot-expressway-certificates.html);
 * that each side presents its leaf alone in it is uctls's model of that. */
static const struct phase traversal_phases[] = {
	{ "tcp-connect", "tls-handshake", "sip-options", APP_SIP_OPTIONS, 0, 0, NULL },
	{ "ssh-tunnel", "ssh-tunnel", "ssh-tunnel", APP_READY, 1, 0, NULL },
	{ "mra-edge", "mra-edge", "mra-edge", APP_READY, 0, 1, NULL },
};

/* xmpp-s2s: one connection whose application exchange surrounds the TLS
 * handshake (docs/steps.md). */
const char eng_step_stream_open[] = "stream-open", eng_step_starttls[] = "starttls",
           eng_step_stream_restart[] = "stream-restart", eng_step_s2s_auth[] = "s2s-auth",
           eng_step_established[] = "established", eng_step_subdomain[] = "subdomain";
static const char *const xmpp_steps[] = {
	"tcp-connect", eng_step_stream_open, eng_step_starttls, "tls-handshake",
	eng_step_stream_restart, eng_step_s2s_auth, eng_step_established, eng_step_subdomain, NULL
};
static const struct phase xmpp_phases[] = {
	{ "tcp-connect", "tls-handshake", eng_step_established, APP_XMPP, 0, 0, xmpp_steps },
};

/* What the server writes once its handshake is done, and the client reads
 * before it counts its own handshake as done: in TLS 1.3 the client
 * finishes before the server has checked the client's certificate, and only
 * learns of a rejection from the alert that arrives on its first read. */
static const char ready_msg[] = "uctls-ready\n";
#define READY_LEN (sizeof(ready_msg) - 1)

double
eng_now_ms(void)
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

int
eng_record(struct run *r, struct side *s, enum uctls_status st, const struct uctls_diag *d,
       const char *detail)
{
	struct uctls_step *rec;
	size_t i;

	rec = uctls_log_add(r->log, s->step, s->def->id, st, d != NULL ? d->reason : NULL,
	                    d != NULL ? d->detail : detail, d != NULL ? d->hint : NULL,
	                    eng_now_ms() - s->t0);
	if (rec == NULL)
		return -1;
	for (i = 0; d != NULL && i < d->nalso; i++)
		if (uctls_log_add_also(rec, d->also[i]) < 0)
			return -1;
	/* a CA held in another of a device's stores (store.h) */
	if (st == UCTLS_FAIL && s->def->nstores > 0 && uctls_store_note(rec, s->def) < 0)
		return -1;
	/* a self-signed certificate shadowed by another of its CN (trust-shadow.h) */
	if (st == UCTLS_FAIL && (r->shadow[0].ngone | r->shadow[1].ngone) &&
	    eng_shadow_note(r, s, rec) < 0)
		return -1;
	/* A passing handshake: certificates about to expire (warn.h). */
	if (st == UCTLS_PASS && s->tls != NULL && s->step == r->phase->tls_step &&
	    !r->phase->leaf_only) {
		char *const *notes = uctls_tls_pass_notes(s->tls, &i);

		if (notes != NULL &&
		    uctls_warn_add(rec, s->profile, r->opts->warn_days, notes, i) < 0)
			return -1;
		for (; notes != NULL && i > 0; i--, notes++)
			if (strncmp(*notes, UCTLS_REV_NOTE, strlen(UCTLS_REV_NOTE)) == 0 &&
			    uctls_log_add_also(rec, *notes) < 0)
				return -1;
	}
	return 0;
}

void
eng_cap_connected(struct run *r, struct side *s)
{
	struct sockaddr_storage a[2];
	socklen_t la = sizeof(a[0]), lb = sizeof(a[1]);

	memset(a, 0, sizeof(a));
	/* The side's own end and the other end, as client and server. */
	if (getsockname(s->fd, (struct sockaddr *)&a[s->is_server], &la) < 0 ||
	    getpeername(s->fd, (struct sockaddr *)&a[!s->is_server], &lb) < 0)
		return;
	uctls_cap_connected(r->cap, (struct sockaddr *)&a[0], (struct sockaddr *)&a[1]);
}

/* Bytes SIDE read from its socket so far, TLS records included. */
static size_t
rx_total(const struct side *s)
{
	return s->rx_plain + uctls_tls_rx_bytes(s->tls);
}

/* Notes N bytes that SIDE received in its current step: application bytes
 * (plaintext, or decrypted), read from the socket as such when RAW. */
void
eng_rx(struct side *s, const char *buf, size_t n, int raw)
{
	size_t k, keep;

	if (raw)
		s->rx_plain += n;
	s->napp += n;
	k = n < RX_QUOTE - s->nfirst ? n : RX_QUOTE - s->nfirst;
	memcpy(s->first + s->nfirst, buf, k);
	s->nfirst += k;
	if (n >= RX_QUOTE) {
		memcpy(s->last, buf + n - RX_QUOTE, RX_QUOTE);
		s->nlast = RX_QUOTE;
		return;
	}
	keep = s->nlast + n > RX_QUOTE ? RX_QUOTE - n : s->nlast;
	memmove(s->last, s->last + s->nlast - keep, keep);
	memcpy(s->last + keep, buf, n);
	s->nlast = keep + n;
}

/* Moves SIDE to STEP, recording the previous step as passed when the name
 * changes. */
int
eng_enter_step(struct run *r, struct side *s, const char *step)
{
	if (s->step != NULL && strcmp(s->step, step) != 0) {
		/* The passing step keeps what the side noted on the way. */
		if (eng_record(r, s, UCTLS_PASS, NULL, s->note) < 0)
			return -1;
		free(s->note);
		s->note = NULL;
	}
	if (s->step == NULL || strcmp(s->step, step) != 0) {
		/* A new step: a new deadline, nothing received yet. */
		s->t0 = eng_now_ms();
		s->rx0 = rx_total(s);
		s->napp = s->nfirst = s->nlast = 0;
	}
	s->step = step; /* the caller's constant: steps compare by identity */
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
			if (s->cap != NULL)
				uctls_cap_bytes(s->cap, s->is_server, s->out + s->outdone, n);
		}
		s->outdone += n;
	}
}

/* A connection to a real peer whose TLS session is sound (it passed, or
 * failed above TLS: a SIP 403, a stream error) ends with close_notify
 * (uctls_tls_bye), sent within at most BYE_MS: an orderly close, not an
 * "unexpected eof" in the peer's log.  Between two simulated sides nobody
 * reads it: skipped, so an in-process run costs what it did. */
static void
send_bye(struct run *r, struct side *s)
{
	double end = eng_now_ms() + (r->timeout < BYE_MS ? r->timeout : BYE_MS), left;
	struct pollfd p;
	int ret;

	while ((ret = uctls_tls_bye(s->tls)) == UCTLS_TLS_WANT_WRITE || ret == UCTLS_TLS_WANT_READ) {
		if ((left = end - eng_now_ms()) <= 0)
			return;
		p.fd = s->fd;
		p.events = ret == UCTLS_TLS_WANT_WRITE ? POLLOUT : POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)left + 1) <= 0)
			return;
	}
}

int
eng_side_fail(struct run *r, struct side *s, const struct uctls_diag *d)
{
	if (s->tls_pending) {
		/* An alert before any answer is the server refusing the
		 * handshake (TLS 1.3: after the client's side of it ended);
		 * anything else happened in the application step. */
		s->tls_pending = 0;
		if ((d == NULL || d->reason == NULL || strncmp(d->reason, "alert:", 6) != 0) &&
		    eng_enter_step(r, s, r->phase->app_step) < 0)
			return -1;
	}
	if (s->cap != NULL)
		uctls_cap_note(s->cap, UCTLS_CAP_FAIL, s->is_server, 0, "%s: %s", s->step,
		               d != NULL && d->reason != NULL ? d->reason : "failed");
	if (s->fd >= 0)
		flush_best_effort(s);
	s->state = S_FAILED;
	if (s->fd >= 0 && s->tls != NULL && !s->other->local && uctls_tls_version(s->tls) != NULL &&
	    uctls_tls_failure(s->tls)->reason == NULL)
		send_bye(r, s);
	/* Let the other side see the end of the stream rather than wait. */
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_WR);
	return eng_record(r, s, UCTLS_FAIL, d, NULL);
}

int
eng_side_fail_msg(struct run *r, struct side *s, const char *reason, const char *hint,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

int
eng_side_fail_msg(struct run *r, struct side *s, const char *reason, const char *hint,
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
		rv = eng_side_fail(r, s, &d);
	uctls_diag_clear(&d);
	return rv;
}

int
eng_side_done(struct run *r, struct side *s)
{
	if (s->tls_pending) {
		s->tls_pending = 0;
		if (eng_enter_step(r, s, r->phase->app_step) < 0)
			return -1;
	}
	s->state = S_DONE;
	if (r->log->version == NULL && s->tls != NULL && uctls_tls_version(s->tls) != NULL) {
		r->log->version = strdup(uctls_tls_version(s->tls));
		r->log->cipher = uctls_tls_cipher(s->tls) != NULL ? strdup(uctls_tls_cipher(s->tls))
		                                                  : NULL;
	}
	return eng_record(r, s, UCTLS_PASS, NULL, s->note);
}


int
eng_start_tls(struct run *r, struct side *s, struct uctls_err *err)
{
	struct uctls_tls_cfg cfg;
	int mb;

	/* <misbehave>: misbehave.c takes the side over here. */
	if (s->mb != NULL && (mb = eng_mb_start(r, s, 1, err)) != 0)
		return mb < 0 ? -1 : 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.def = s->def;
	cfg.profile = s->profile;
	cfg.pki = r->pki;
	cfg.revoke = r->revoke;
	cfg.is_server = s->is_server;
	cfg.now = r->sc->now;
	cfg.peer_id = s->other->def->id;
	cfg.keylog = r->keylog;
	cfg.cap = r->cap;
	cfg.cap_peer_remote = !s->other->local;
	cfg.peer_remote = !s->other->local;
	cfg.scenario_file = r->sc->file;
	cfg.warn_days = r->opts->warn_days;
	cfg.verify_leaf_only = r->phase->leaf_only;
	/* Expressway-E does not ask a Jabber client for a certificate. */
	cfg.no_client_auth = s->is_server && r->phase->jabber;
	/* An XMPP server takes any certificate in the handshake and decides at
	 * SASL EXTERNAL (XEP-0178). */
	cfg.verify_soft = r->phase->app == APP_XMPP &&
	                  (s->is_server || eng_x_verify_later(s));
	if (s->is_server) {
		cfg.no_client_auth |= s->def->client_cert == UCTLS_CLIENT_CERT_NONE;
		cfg.client_cert_optional = s->def->client_cert == UCTLS_CLIENT_CERT_OPTIONAL;
	}
	cfg.rsa_only = s->def->rsa_only;
	if (uctls_tls_new(&cfg, s->fd, &s->tls, err) < 0)
		return -1;
	s->state = S_HANDSHAKE;
	s->want = POLLOUT | POLLIN;
	return eng_enter_step(r, s, r->phase->tls_step);
}

/* The scenario id of the certificate with fingerprint FPR, or NULL. */
static const char *
pki_id_of(const struct uctls_pki *pki, const char *fpr)
{
	size_t i;

	for (i = 0; fpr != NULL && i < uctls_pki_count(pki); i++) {
		const char *id = uctls_pki_id_at(pki, i);
		const char *f = uctls_pki_fingerprint(pki, id);

		if (f != NULL && strcmp(f, fpr) == 0)
			return id;
	}
	return NULL;
}

static struct uctls_side_info *
side_info(struct run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->log->nsides; i++)
		if (strcmp(r->log->sides[i].id, id) == 0)
			return &r->log->sides[i];
	return NULL;
}

/* A real server's CertificateRequest, as local client S received it, on
 * the server's record: 1 asked, -1 did not (the handshake DONE), 0 not
 * seen (the handshake ended before the server's flight was read). */
static void
note_cert_request(struct run *r, struct side *s, int done)
{
	struct uctls_side_info *oi;
	const char *const *cas;
	size_t k, n;

	if (s->tls == NULL || s->other->local || strcmp(s->def->role, "client") != 0 ||
	    (oi = side_info(r, s->other->def->id)) == NULL || oi->asked_cert != 0)
		return;
	oi->asked_cert = uctls_tls_cert_request(s->tls, &cas, &n) ? 1 : done ? -1 : 0;
	if (oi->asked_cert != 1 || n == 0 || (oi->asked_cas = calloc(n, sizeof(char *))) == NULL)
		return;
	for (k = 0; k < n && (oi->asked_cas[k] = strdup(cas[k])) != NULL; k++)
		oi->nasked_cas++;
}

/* What the other side presented, for the reports (first time only): on
 * this side's record, and facing a real peer, as what that peer sent (it
 * has no record of its own).  The DER is copied, not decoded: the reports
 * decode it only when they print it (certinfo.h). */
static void
note_peer(struct run *r, struct side *s)
{
	struct uctls_side_info *si, *oi = NULL;
	const unsigned char *der;
	const char *fpr, *id;
	size_t k, len;

	if (s->tls == NULL || (si = side_info(r, s->def->id)) == NULL || si->npeer > 0)
		return;
	if (!s->other->local && (oi = side_info(r, s->other->def->id)) != NULL && oi->nsent > 0)
		oi = NULL;
	for (k = 0; k < uctls_tls_peer_count(s->tls); k++) {
		fpr = uctls_tls_peer_fpr(s->tls, k);
		len = 0;
		der = uctls_tls_peer_der(s->tls, k, &len);
		id = pki_id_of(r->pki, fpr);
		if (uctls_side_add_peer_der(si, id, fpr, der, len) < 0 ||
		    (oi != NULL && uctls_side_add_sent_der(oi, id, fpr, der, len) < 0))
			return; /* out of memory: the report shows less */
	}
}

int
eng_tls_result(struct run *r, struct side *s, int ret)
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
	note_cert_request(r, s, 0);
	return eng_side_fail(r, s, uctls_tls_failure(s->tls));
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
			return eng_side_done(r, s);
		s->quiet_ok = 1;
		ret = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		eng_rx(s, buf, n, 0);
		if (ret == UCTLS_TLS_OK) /* data, or an orderly close: no alert */
			return eng_side_done(r, s);
		return eng_tls_result(r, s, ret);
	}

	for (;;) {
		if (s->is_server) {
			ret = uctls_tls_send(s->tls, ready_msg + s->ready_done,
			                     READY_LEN - s->ready_done, &n);
		} else {
			want = READY_LEN - s->ready_done;
			ret = uctls_tls_recv(s->tls, buf, want < sizeof(buf) ? want : sizeof(buf),
			                     &n);
			eng_rx(s, buf, n, 0);
			if (ret == UCTLS_TLS_OK && n == 0)
				return eng_side_fail_msg(r, s, "connection-closed", NULL,
				                     "%s closed the connection right after the "
				                     "handshake, without an alert",
				                     s->other->def->id);
		}
		if (ret != UCTLS_TLS_OK)
			return eng_tls_result(r, s, ret);
		s->ready_done += n;
		if (s->ready_done >= READY_LEN)
			return eng_side_done(r, s);
	}
}

/* Server side S accepts its connection: 1 when accepted, 0 to wait (or
 * the step failed), -1 with ERR set on a local error. */
static int
accept_side(struct run *r, struct side *s, struct uctls_err *err)
{
	int fd = accept(r->lfd, NULL, NULL);

	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			s->want = POLLIN;
			return 0;
		}
		return eng_side_fail_msg(r, s, "connection-refused", NULL, "accept: %s",
		                         strerror(errno));
	}
	s->fd = fd;
	if (set_nonblock(s->fd) < 0)
		return uctls_err_set(err, "fcntl: %s", strerror(errno));
	nodelay(s->fd);
	if (r->cap != NULL)
		eng_cap_connected(r, s);
	return 1;
}

/* Side S's handshake has completed: note what was negotiated and start
 * the application step.  Returns 0, or -1 with ERR set. */
static int
tls_established(struct run *r, struct side *s, struct uctls_err *err)
{
	note_peer(r, s);
	note_cert_request(r, s, 1);
	if (uctls_tls_identity_note(s->tls) != NULL) {
		free(s->note);
		s->note = strdup(uctls_tls_identity_note(s->tls));
	}
	if (r->log->version == NULL && uctls_tls_version(s->tls) != NULL) {
		r->log->version = strdup(uctls_tls_version(s->tls));
		r->log->cipher = uctls_tls_cipher(s->tls) != NULL ? strdup(uctls_tls_cipher(s->tls))
		                                                  : NULL;
	}
	s->state = S_APP;
	/* the MRA SSH tunnel's subject attributes (ssh-subject.h) */
	if (r->phase->leaf_only && s->profile->ssh_subject_oids != NULL &&
	    eng_ssh_subject(r, s) != 0)
		return s->state == S_FAILED ? 0 : uctls_err_set(err, "out of memory");
	if (r->phase->app == APP_XMPP)
		return eng_x_after_tls(r, s);
	if (r->phase->app == APP_SIP_OPTIONS || r->phase->app == APP_HTTP) {
		/* In TLS 1.3 the client's handshake ends before the server has
		 * checked the client's certificate: the client's handshake step
		 * ends with the first bytes of the answer (or an alert instead). */
		if (s->is_server) {
			if (eng_enter_step(r, s, r->phase->app_step) < 0)
				return -1;
		} else {
			s->tls_pending = 1;
		}
		if ((r->phase->app == APP_HTTP ? eng_https_start(r, s) : eng_sip_start(r, s)) < 0)
			return uctls_err_set(err, "out of memory");
	}
	s->want = POLLIN;
	return 0;
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
				if ((ret = accept_side(r, s, err)) <= 0)
					return ret;
			} else {
				sl = sizeof(soerr);
				if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
					soerr = errno;
				if (soerr == EINPROGRESS) {
					s->want = POLLOUT;
					return 0;
				}
				if (soerr != 0)
					return eng_side_fail_msg(r, s, "connection-refused",
					                     "check the address and port, and that the "
					                     "server listens",
					                     "connecting to %s: %s", s->other->def->id,
					                     strerror(soerr));
				if (r->cap != NULL)
					eng_cap_connected(r, s);
			}
			if (r->phase->app == APP_XMPP) {
				if (s->mb != NULL && (ret = eng_mb_start(r, s, 0, err)) != 0) {
					if (ret < 0)
						return -1;
					break;
				}
				if (eng_x_begin(r, s, err) < 0)
					return -1;
				break;
			}
			if (eng_start_tls(r, s, err) < 0)
				return -1;
			break;
		case S_PRE:
			return eng_app_xmpp(r, s, err);
		case S_HANDSHAKE:
			ret = uctls_tls_handshake(s->tls);
			if (ret != UCTLS_TLS_OK)
				return eng_tls_result(r, s, ret);
			if (tls_established(r, s, err) < 0)
				return -1;
			break;
		case S_APP:
			if (r->phase->app == APP_XMPP)
				return eng_app_xmpp(r, s, err);
			if (r->phase->app == APP_HTTP)
				return eng_app_http(r, s);
			return r->phase->app == APP_SIP_OPTIONS ? eng_app_sip(r, s) : app_ready(r, s);
		case S_MISBEHAVE:
			return eng_mb_advance(r, s, err);
		case S_DONE:
		case S_FAILED:
			return 0;
		}
	}
}

/* What side S waits for in its current step, for a timeout's detail. */
static const char *
waiting_for(struct run *r, const struct side *s, char *buf, size_t len)
{
	switch (s->state) {
	case S_CONNECT:
		return s->is_server ? "a connection" : "the TCP connection to be accepted";
	case S_HANDSHAKE:
		return uctls_tls_awaiting(s->tls, buf, len);
	case S_PRE:
		return eng_x_awaiting(s);
	case S_APP:
		if (r->phase->app == APP_XMPP)
			return eng_x_awaiting(s);
		if (r->phase->app == APP_HTTP)
			return eng_https_awaiting(s);
		if (r->phase->app == APP_SIP_OPTIONS)
			return s->is_server ? (s->sip_ack ? "the ACK" : "the SIP request")
			                    : "a final SIP answer";
		return s->is_server ? "nothing" : "the ready line";
	default:
		return "nothing";
	}
}

/* Writes N bytes of P quoted for a detail: printable ASCII as is, the rest
 * as C escapes.  OUT holds 4 * RX_QUOTE + 1. */
static const char *
quote(const char *p, size_t n, char out[4 * RX_QUOTE + 1])
{
	size_t i, o = 0;

	for (i = 0; i < n && i < RX_QUOTE; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' || c == '\n' || c == '\t')
			o += (size_t)sprintf(out + o, "\\%c", c == '\r' ? 'r' : c == '\n' ? 'n' : 't');
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* The step's deadline passed: fails the side with reason timeout, saying
 * what arrived in the step, and for how long. */
static int
fail_timeout(struct run *r, struct side *s)
{
	char what[128], q1[4 * RX_QUOTE + 1], q2[4 * RX_QUOTE + 1], seen[320];
	/* In the handshake, the bytes on the wire; after it, the application
	 * data (not the records that carry session tickets). */
	size_t got = s->state == S_HANDSHAKE ? rx_total(s) - s->rx0 : s->napp;
	double ms = eng_now_ms() - s->t0;
	const char *w = waiting_for(r, s, what, sizeof(what));

	s->timed_out = 1;
	if (got == 0 && s->state == S_CONNECT && s->is_server && !s->other->local)
		return eng_side_fail_msg(r, s, "timeout",
		                         "start the real client and have it connect here; "
		                         "raise --accept-timeout to wait longer",
		                         "%s waited %.0f ms for %s from %s (the real client): "
		                         "none came",
		                         s->def->id, ms, w, s->other->def->id);
	if (got == 0)
		return eng_side_fail_msg(r, s, "timeout",
		                         "check that the other side answers; raise --timeout "
		                         "for a slow peer",
		                         "%s waited %.0f ms for %s from %s: nothing arrived",
		                         s->def->id, ms, w, s->other->def->id);
	seen[0] = '\0';
	if (s->napp > RX_QUOTE)
		snprintf(seen, sizeof(seen), " (it began \"%s\" and ended \"%s\")",
		         quote(s->first, s->nfirst, q1), quote(s->last, s->nlast, q2));
	else if (s->napp > 0)
		snprintf(seen, sizeof(seen), " (\"%s\")", quote(s->first, s->nfirst, q1));
	return eng_side_fail_msg(r, s, "timeout",
	                         "the other side keeps the connection busy without "
	                         "completing the step: check what answers there; raise "
	                         "--timeout for a slow peer",
	                         "%s sent %zu bytes in %.0f ms without completing %s%s",
	                         s->other->def->id, got, ms, w, seen);
}

/* A side facing a real peer met the short silence it waits for: a pass. */
static int
quiet_pass(struct run *r, struct side *s)
{
	/* The XMPP notes already say what happened. */
	if (r->phase->app != APP_XMPP) {
		free(s->note);
		s->note = NULL;
		if (asprintf(&s->note,
		             "%s sent no alert within %d ms after the handshake: taken as "
		             "accepted (TLS 1.3 leaves the server's verdict on our certificate "
		             "unsaid until data flows)",
		             s->other->def->id, r->timeout > QUIET_MS ? QUIET_MS : r->timeout) < 0)
			s->note = NULL;
	}
	return r->phase->app == APP_XMPP && !s->is_server ? eng_x_subdomains(r, s)
	                                                  : eng_side_done(r, s);
}

/* Side S reached its step's deadline. */
static int
expire(struct run *r, struct side *s)
{
	if (s->state == S_MISBEHAVE)
		return eng_mb_tick(r, s);
	if (s->quiet_ok)
		return quiet_pass(r, s);
	if (!s->other->local && s->state == S_CONNECT && s->is_server && r->nphase > 0) {
		/* --listen: the real client did not come back for this phase
		 * (a real Expressway-C opens its SSH tunnel elsewhere). */
		s->state = S_DONE;
		s->step = NULL;
		return 0;
	}
	return fail_timeout(r, s);
}

/* --listen: the first connection of the real client is awaited for the
 * accept timeout (a person starts the client by hand); every other wait
 * for the timeout. */
static int
step_timeout(const struct run *r, const struct side *s)
{
	if (s->state == S_CONNECT && s->is_server && !s->other->local && r->nphase == 0)
		return r->opts->accept_timeout_ms > 0 ? r->opts->accept_timeout_ms
		                                      : UCTLS_ACCEPT_TIMEOUT_MS;
	return r->timeout;
}

/* Every step has a deadline, its start plus the timeout, whatever arrives
 * meanwhile: a peer that trickles bytes, or keeps the connection alive
 * without completing the step, fails it with reason timeout.  Returns the
 * ms to the earliest deadline of the N sides PS, or -1 when one passed
 * (and was dealt with). */
static int
deadlines(struct run *r, struct side **ps, int n)
{
	double now = eng_now_ms(), left;
	int i, wait = INT_MAX, expired = 0;

	for (i = 0; i < n; i++) {
		/* time spent blocked in a revocation fetch (revoke.h) is not the
		 * peer's: it does not count against a step's deadline */
		left = ps[i]->t0 + step_timeout(r, ps[i]) - now +
		       (r->revoke != NULL ? uctls_revoke_blocked_ms(r->revoke) : 0);
		if (left <= 0) {
			if (expire(r, ps[i]) < 0)
				return -2;
			expired = 1;
		} else if (left + 1 < wait) {
			wait = (int)left + 1;
		}
	}
	return expired ? -1 : wait;
}

static int
loop(struct run *r, struct uctls_err *err)
{
	struct pollfd pfd[2];
	struct side *ps[2];
	int i, n, ret, wait, quiet;

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
		wait = deadlines(r, ps, n);
		if (wait == -2)
			return -1;
		if (wait < 0)
			continue;
		/* A side facing a real server after its handshake waits a
		 * short quiet time instead. */
		quiet = n == 1 && ps[0]->quiet_ok && wait > QUIET_MS;
		ret = poll(pfd, (nfds_t)n, quiet ? QUIET_MS : wait);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return uctls_err_set(err, "poll: %s", strerror(errno));
		if (ret == 0 && quiet && quiet_pass(r, ps[0]) < 0)
			return -1;
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
 * does once it has read the alert), for at most the timeout and at most
 * LINGER_MAX_BYTES in all: a peer that keeps sending gets the reset.  A
 * side that failed by its deadline sent no alert: it closes at once. */
static void
linger_close(struct run *r, int fd)
{
	struct pollfd p;
	char buf[4096];
	double end = eng_now_ms() + r->timeout, left;
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	p.fd = fd;
	p.events = POLLIN;
	while (total < LINGER_MAX_BYTES && (left = end - eng_now_ms()) > 0) {
		p.revents = 0;
		if (poll(&p, 1, (int)left + 1) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
			break;
		if (n > 0)
			total += (size_t)n;
	}
}

static void
close_phase(struct run *r)
{
	int i;

	if (r->cap != NULL)
		uctls_cap_end(r->cap);

	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		if (s->fd >= 0 && s->tls != NULL && s->local && !s->other->local &&
		    s->state == S_DONE && uctls_tls_version(s->tls) != NULL)
			send_bye(r, s);
		if (s->fd >= 0 && s->local && !s->other->local && s->state == S_FAILED &&
		    !s->timed_out)
			linger_close(r, s->fd);
		uctls_tls_free(s->tls);
		if (s->fd >= 0)
			close(s->fd);
		uctls_sip_parser_free(s->sip);
		uctls_http_parser_free(s->http);
		uctls_xmpp_parser_free(s->xp);
		eng_mb_free(s->mbs);
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
	return step != eng_step_subdomain || r->server->nsubdomains > 0;
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
		s->profile = uctls_peer_profile(s->def);
		s->is_server = i;
		s->local = i ? !r->server_remote : !r->client_remote;
		s->other = &r->side[!i];
		s->fd = -1;
		s->state = S_CONNECT;
		s->want = i ? POLLIN : POLLOUT;
		s->step = ph->tcp_step;
		s->t0 = eng_now_ms();
		/* <misbehave> applies to the first connection, played here. */
		s->mb = r->nphase == 0 && s->local && s->def->misbehave.what != UCTLS_MB_NONE
		                ? &s->def->misbehave
		                : NULL;
		s->cap = r->cap;
	}
	/* The server port written in the capture: what Wireshark decodes as
	 * the phase's protocol (pcap.h). */
	if (r->cap != NULL)
		uctls_cap_begin(r->cap, ph->tcp_step, r->side[0].def->id, r->side[1].def->id,
		                r->side[0].local, r->side[1].local,
		                ph->app == APP_SIP_OPTIONS ? 5061 : ph->app == APP_XMPP ? 5222 : 443);
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
	if (strcmp(family, "https") == 0) {
		*n = sizeof(https_phases) / sizeof(https_phases[0]);
		return https_phases;
	}
	*n = sizeof(tls_phases) / sizeof(tls_phases[0]);
	return tls_phases;
}

static int
phase_enabled(struct run *r, const struct phase *ph)
{
	if (ph->jabber)
		return r->server->mra_domain != NULL;
	if (ph->leaf_only)
		return r->client->ssh_tunnel != UCTLS_OFF;
	return 1;
}

static int
setup_defs(struct run *r, struct uctls_err *err)
{
	const char *dom = r->server->mra_domain;
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
		const char *to = r->client->to;

		r->xdef[i] = *pd;
		if (pd->nnames == 0) {
			r->xnames[i] = strdup(i || to == NULL ? uctls_peer_domain(other) : to);
			if (r->xnames[i] == NULL)
				return uctls_err_set(err, "out of memory");
			r->xdef[i].names = &r->xnames[i];
			r->xdef[i].nnames = 1;
		}
	}
	if (dom == NULL)
		return 0;
	memset(&r->jabber, 0, sizeof(r->jabber));
	r->jabber.id = "jabber";
	r->jabber.line = r->server->line;
	r->jabber.role = "client";
	r->jabber.profile = "jabber";
	/* doc 221624: the domain, or collab-edge.<domain>, must be a SAN. */
	r->jabber_names[0] = strdup(dom);
	if (asprintf(&r->jabber_names[1], "collab-edge.%s", dom) < 0)
		r->jabber_names[1] = NULL;
	if (r->jabber_names[0] == NULL || r->jabber_names[1] == NULL)
		return uctls_err_set(err, "out of memory");
	r->jabber.names = r->jabber_names;
	r->jabber.nnames = 2;
	/* mra-trusts= (ids checked by the loader), else C's trust anchors. */
	r->jabber.trusts = r->server->has_mra_trusts ? r->server->mra_trusts : r->client->trusts;
	r->jabber.ntrusts = r->server->has_mra_trusts ? r->server->nmra_trusts
	                                              : r->client->ntrusts;
	return 0;
}

static int
add_side(struct run *r, const struct uctls_peerdef *pd, int remote)
{
	struct uctls_side_info *si;
	char *const *ids;
	size_t k, n;

	si = uctls_log_side(r->log, pd->id, pd->role, remote ? "real peer" : pd->profile);
	if (si == NULL)
		return -1;
	si->remote = remote;
	/* a scenario's own profile: the report cannot find its words by name */
	if (!remote && pd->prof != NULL && pd->prof != uctls_profile_find(pd->profile) &&
	    uctls_side_set_symptoms(si, pd->prof->symptom, pd->prof->symptoms) < 0)
		return -1;
	/* a server holding an RSA and an -ECDSA slot: the one it presents (store.h) */
	uctls_store_presented(pd, pd == r->server ? r->client : NULL, &ids, &n);
	for (k = 0; !remote && k < n; k++)
		if (uctls_side_add_sent(si, ids[k], uctls_pki_fingerprint(r->pki, ids[k])) < 0)
			return -1;
	return 0;
}

/* Sets up R for scenario SC: options, timeout, the client and server
 * peers, which of them is real.  Returns 0, or -1 with ERR set. */
static int
run_init(struct run *r, const struct uctls_scenario *sc, const struct uctls_run_opts *opts,
         struct uctls_err *err)
{
	static const struct uctls_run_opts defaults = { .timeout_ms = 5000 };
	size_t i;
	int k;

	memset(r, 0, sizeof(*r));
	r->sc = sc;
	r->opts = opts != NULL ? opts : &defaults;
	/* --timeout, else the scenario's timeout=, else 5 s. */
	r->timeout = r->opts->timeout_ms > 0 ? r->opts->timeout_ms
	             : sc->timeout_ms > 0   ? sc->timeout_ms
	                                    : 5000;
	r->lfd = -1;
	r->side[0].fd = r->side[1].fd = -1;
	r->cap = r->opts->cap;
	if (uctls_family_find(sc->family) == NULL)
		return uctls_err_at(err, sc->file, 1, "unknown family `%s'", sc->family);
	for (i = 0; i < sc->npeers; i++) {
		if (strcmp(sc->peers[i].role, "server") == 0)
			r->server = &sc->peers[i];
		else
			r->client = &sc->peers[i];
	}
	if (r->client == NULL || r->server == NULL)
		return uctls_err_at(err, sc->file, 1, "family %s needs a client and a server peer",
		                    sc->family);
	/* --remote / --listen name the server-role peer. */
	for (k = 0; k < 2; k++) {
		const char *id = k ? r->opts->listen_id : r->opts->remote_id;

		if (id != NULL && strcmp(id, r->server->id) != 0)
			return uctls_err_set(err, "%s: --%s %s: the peer named must be the "
			                     "server-role peer `%s' (the client-role peer is `%s')",
			                     sc->file, k ? "listen" : "remote", id, r->server->id,
			                     r->client->id);
	}
	r->server_remote = r->opts->remote_id != NULL;
	r->client_remote = r->opts->listen_id != NULL;
	return 0;
}

/* Opens R's key log, and the address to dial or the listener.  Returns 0,
 * or -1 with ERR set. */
static int
run_open_io(struct run *r, struct uctls_err *err)
{
	if (r->opts->keylog != NULL) {
		r->keylog = fopen(r->opts->keylog, "a");
		if (r->keylog == NULL)
			return uctls_err_set(err, "%s: %s", r->opts->keylog, strerror(errno));
		/* One write(2) per line, appended (O_APPEND): scenarios run
		 * at once (uctls run -j) interleave whole lines only. */
		setvbuf(r->keylog, NULL, _IOLBF, 0);
	}
	if (r->server_remote)
		return parse_addr(r->opts->remote_addr, &r->addr, &r->addrlen, err);
	return open_listener(r, r->client_remote ? r->opts->listen_addr : NULL, err);
}

/* Runs the family's phases; after the first failing step, the steps of
 * the phases left are logged not reached.  Returns 0, or -1 with ERR set. */
static int
run_phases(struct run *r, int failed, struct uctls_err *err)
{
	const struct phase *phases;
	const char *steps[16];
	size_t nph, i;
	int k, n;

	phases = family_phases(r->sc->family, &nph);
	for (i = 0; i < nph; i++) {
		if (!phase_enabled(r, &phases[i]))
			continue;
		if (!failed) {
			if (run_phase(r, &phases[i], &failed, err) < 0)
				return -1;
			continue;
		}
		n = phase_steps(&phases[i], steps);
		for (k = 0; k < n; k++) {
			const struct uctls_peerdef *a = phase_def(r, &phases[i], 0),
			                           *b = phase_def(r, &phases[i], 1);

			if (log_status(r, steps[k], a->id, UCTLS_NOT_REACHED, NULL) < 0 ||
			    log_status(r, steps[k], b->id, UCTLS_NOT_REACHED, NULL) < 0)
				return uctls_err_set(err, "out of memory");
		}
	}
	return 0;
}

int
uctls_engine_run(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                 const struct uctls_run_opts *opts, struct uctls_log **out,
                 struct uctls_err *err)
{
	int rv = -1, failed = 0;
	struct run r;
	double t0 = eng_now_ms();

	if (run_init(&r, sc, opts, err) < 0)
		return -1;
	if ((r.opts->pki_dir != NULL ? uctls_pki_build_dir(sc, pool, r.opts->pki_dir, &r.pki, err)
	                             : uctls_pki_build(sc, pool, &r.pki, err)) < 0 ||
	    uctls_revoke_new(sc, r.pki, r.timeout, &r.revoke, err) < 0)
		goto out;
	/* trust lists without shadowed certificates, then the phases' peers */
	if (eng_shadow_setup(&r, err) < 0 || setup_defs(&r, err) < 0)
		goto out;
	r.log = uctls_log_new(sc->name, sc->file, sc->family);
	if (r.log == NULL || add_side(&r, r.client, r.client_remote) < 0 ||
	    add_side(&r, r.server, r.server_remote) < 0 ||
	    (r.server->mra_domain != NULL &&
	     add_side(&r, &r.jabber, r.client_remote) < 0)) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	if (run_open_io(&r, err) < 0 || eng_run_installs(&r, &failed, err) < 0 ||
	    run_phases(&r, failed, err) < 0)
		goto out;
	r.log->total_ms = eng_now_ms() - t0;
	*out = r.log;
	r.log = NULL;
	rv = 0;
out:
	close_phase(&r);
	if (r.lfd >= 0)
		close(r.lfd);
	if (r.keylog != NULL)
		fclose(r.keylog);
	free(r.jabber_names[0]);
	free(r.jabber_names[1]);
	free(r.xnames[0]);
	free(r.xnames[1]);
	uctls_log_free(r.log);
	uctls_revoke_free(r.revoke);
	uctls_pki_free(r.pki);
	eng_shadow_free(&r);
	return rv;
}
