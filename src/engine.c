#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
#include "profile.h"
#include "tls.h"

/* What the server writes once its handshake is done, and the client reads
 * before it counts its own handshake as done: in TLS 1.3 the client
 * finishes before the server has checked the client's certificate, and only
 * learns of a rejection from the alert that arrives on its first read. */
static const char ready_msg[] = "uctls-ready\n";
#define READY_LEN (sizeof(ready_msg) - 1)

enum side_state {
	S_CONNECT,   /* client: connecting; server: accepting */
	S_HANDSHAKE,
	S_READY,     /* server: writing ready_msg; client: reading it */
	S_DONE,
	S_FAILED
};

struct side {
	const struct uctls_peerdef *def;
	const struct uctls_profile *profile;
	struct side *other;
	int is_server;
	int fd;
	enum side_state state;
	int want; /* POLLIN / POLLOUT */
	struct uctls_tls *tls;
	size_t ready_done;
	const char *step;
	double t0;
	struct uctls_side_info *info;
};

struct run {
	const struct uctls_scenario *sc;
	const struct uctls_run_opts *opts;
	struct uctls_pki *pki;
	struct uctls_log *log;
	FILE *keylog;
	int lfd; /* listening socket */
	struct side side[2]; /* [0] client, [1] server */
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

static int
record(struct run *r, struct side *s, enum uctls_status st, const struct uctls_diag *d)
{
	struct uctls_step *rec;
	size_t i;

	rec = uctls_log_add(r->log, s->step, s->def->id, st, d != NULL ? d->reason : NULL,
	                    d != NULL ? d->detail : NULL, d != NULL ? d->hint : NULL,
	                    now_ms() - s->t0);
	if (rec == NULL)
		return -1;
	for (i = 0; d != NULL && i < d->nalso; i++)
		if (uctls_log_add_also(rec, d->also[i]) < 0)
			return -1;
	return 0;
}

static int
begin_step(struct side *s, const char *step)
{
	s->step = step;
	s->t0 = now_ms();
	return 0;
}

/* Ends the side's run with a failure at its current step. */
static int
side_fail(struct run *r, struct side *s, const struct uctls_diag *d)
{
	s->state = S_FAILED;
	/* Let the other side see the end of the stream rather than wait. */
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_WR);
	return record(r, s, UCTLS_FAIL, d);
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
	if (uctls_tls_new(&cfg, s->fd, &s->tls, err) < 0)
		return -1;
	s->state = S_HANDSHAKE;
	s->want = POLLOUT | POLLIN;
	return begin_step(s, "tls-handshake");
}

static void
note_peer(struct side *s)
{
	size_t i;

	if (s->tls == NULL || s->info == NULL || s->info->npeer > 0)
		return;
	for (i = 0; i < uctls_tls_peer_count(s->tls); i++)
		uctls_side_add_peer(s->info, uctls_tls_peer_fpr(s->tls, i));
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
	note_peer(s);
	return side_fail(r, s, uctls_tls_failure(s->tls));
}

/* Advances one side as far as it can without blocking.  Returns -1 only for
 * local errors (out of memory, no sockets). */
static int
advance(struct run *r, struct side *s, struct uctls_err *err)
{
	struct sockaddr_in sin;
	socklen_t sl;
	size_t n;
	int ret, soerr, one = 1;
	char buf[64];

	for (;;) {
		switch (s->state) {
		case S_CONNECT:
			if (s->is_server) {
				sl = sizeof(sin);
				ret = accept(r->lfd, (struct sockaddr *)&sin, &sl);
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
				/* Handshake flights are small writes: without this,
				 * Nagle and delayed ACKs add tens of ms per flight. */
				setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
			if (record(r, s, UCTLS_PASS, NULL) < 0 || start_tls(r, s, err) < 0)
				return -1;
			break;
		case S_HANDSHAKE:
			ret = uctls_tls_handshake(s->tls);
			if (ret != UCTLS_TLS_OK)
				return tls_result(r, s, ret);
			note_peer(s);
			s->state = S_READY;
			s->ready_done = 0;
			break;
		case S_READY:
			if (s->is_server) {
				ret = uctls_tls_send(s->tls, ready_msg + s->ready_done,
				                     READY_LEN - s->ready_done, &n);
			} else {
				ret = uctls_tls_recv(s->tls, buf,
				                     READY_LEN - s->ready_done < sizeof(buf)
				                             ? READY_LEN - s->ready_done
				                             : sizeof(buf),
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
			if (s->ready_done < READY_LEN)
				break;
			if (r->log->version == NULL && uctls_tls_version(s->tls) != NULL) {
				r->log->version = strdup(uctls_tls_version(s->tls));
				r->log->cipher = uctls_tls_cipher(s->tls) != NULL
				                         ? strdup(uctls_tls_cipher(s->tls))
				                         : NULL;
			}
			s->state = S_DONE;
			return record(r, s, UCTLS_PASS, NULL);
		case S_DONE:
		case S_FAILED:
			return 0;
		}
	}
}

static int
open_sockets(struct run *r, struct uctls_err *err)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1;

	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		return uctls_err_set(err, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0; /* the kernel picks a free port */
	if (bind(r->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(r->lfd, 4) < 0 ||
	    getsockname(r->lfd, (struct sockaddr *)&sin, &sl) < 0 || set_nonblock(r->lfd) < 0)
		return uctls_err_set(err, "listening on 127.0.0.1: %s", strerror(errno));
	r->side[0].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->side[0].fd < 0 || set_nonblock(r->side[0].fd) < 0)
		return uctls_err_set(err, "socket: %s", strerror(errno));
	setsockopt(r->side[0].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(r->side[0].fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	    errno != EINPROGRESS)
		return uctls_err_set(err, "connect to 127.0.0.1:%u: %s", ntohs(sin.sin_port),
		                     strerror(errno));
	return 0;
}

static const char *
waiting_for(const struct side *s)
{
	switch (s->state) {
	case S_CONNECT:
		return s->is_server ? "a connection" : "the TCP connection to be accepted";
	case S_HANDSHAKE:
		return "the next TLS handshake message";
	case S_READY:
		return s->is_server ? "to send its first record" : "the first record after the handshake";
	default:
		return "nothing";
	}
}

static int
loop(struct run *r, struct uctls_err *err)
{
	int timeout = r->opts != NULL && r->opts->timeout_ms > 0 ? r->opts->timeout_ms : 5000;
	struct pollfd pfd[2];
	struct side *ps[2];
	int i, n, ret;

	for (;;) {
		for (i = 0; i < 2; i++)
			if (advance(r, &r->side[i], err) < 0)
				return -1;
		n = 0;
		for (i = 0; i < 2; i++) {
			struct side *s = &r->side[i];

			if (s->state == S_DONE || s->state == S_FAILED)
				continue;
			pfd[n].fd = s->state == S_CONNECT && s->is_server ? r->lfd : s->fd;
			pfd[n].events = (short)s->want;
			pfd[n].revents = 0;
			ps[n++] = s;
		}
		if (n == 0)
			return 0;
		/* Every wait is bounded: no progress within the timeout fails
		 * each side still waiting. */
		ret = poll(pfd, (nfds_t)n, timeout);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return uctls_err_set(err, "poll: %s", strerror(errno));
		if (ret == 0) {
			for (i = 0; i < n; i++)
				if (side_fail_msg(r, ps[i], "timeout",
				                  "check that the other side answers; raise --timeout "
				                  "for a slow peer",
				                  "%s waited %d ms for %s from %s", ps[i]->def->id,
				                  timeout, waiting_for(ps[i]), ps[i]->other->def->id) < 0)
					return -1;
			return 0;
		}
	}
}

static int
add_sides(struct run *r)
{
	size_t i, k;

	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		s->info = uctls_log_side(r->log, s->def->id, s->is_server ? "server" : "client",
		                         s->profile->name);
		if (s->info == NULL)
			return -1;
		for (k = 0; k < s->def->nsends; k++)
			if (uctls_side_add_sent(s->info, s->def->sends[k],
			                        uctls_pki_fingerprint(r->pki, s->def->sends[k])) < 0)
				return -1;
	}
	return 0;
}

/* Steps a side never reached are logged as such, so every report shows the
 * whole step program. */
static int
log_unreached(struct run *r)
{
	const struct uctls_family *f = uctls_family_find(r->sc->family);
	unsigned k;
	int i;

	for (i = 0; i < 2; i++)
		for (k = 0; f->steps[k] != NULL; k++)
			if (uctls_log_find(r->log, f->steps[k], r->side[i].def->id) == NULL) {
				size_t j;
				int seen = 0;

				for (j = 0; j < r->log->nsteps; j++)
					seen |= strcmp(r->log->steps[j].step, f->steps[k]) == 0 &&
					        strcmp(r->log->steps[j].side, r->side[i].def->id) == 0;
				if (!seen && uctls_log_add(r->log, f->steps[k], r->side[i].def->id,
				                           UCTLS_NOT_REACHED, NULL, NULL, NULL, 0) == NULL)
					return -1;
			}
	return 0;
}

int
uctls_engine_run(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                 const struct uctls_run_opts *opts, struct uctls_log **out,
                 struct uctls_err *err)
{
	struct run r;
	double t0 = now_ms();
	size_t i;
	int rv = -1;

	memset(&r, 0, sizeof(r));
	r.sc = sc;
	r.opts = opts;
	r.lfd = -1;
	r.side[0].fd = r.side[1].fd = -1;
	if (uctls_family_find(sc->family) == NULL)
		return uctls_err_at(err, sc->file, 1, "unknown family `%s'", sc->family);
	for (i = 0; i < sc->npeers; i++) {
		int srv = strcmp(sc->peers[i].role, "server") == 0;

		if (r.side[srv].def != NULL)
			return uctls_err_at(err, sc->file, sc->peers[i].line,
			                    "a second %s peer; family %s has one client and one server",
			                    sc->peers[i].role, sc->family);
		r.side[srv].def = &sc->peers[i];
		r.side[srv].is_server = srv;
		r.side[srv].profile = uctls_profile_find(sc->peers[i].profile);
		if (r.side[srv].profile == NULL)
			return uctls_err_at(err, sc->file, sc->peers[i].line, "unknown profile `%s'",
			                    sc->peers[i].profile);
	}
	if (r.side[0].def == NULL || r.side[1].def == NULL)
		return uctls_err_at(err, sc->file, 1, "family %s needs a client and a server peer",
		                    sc->family);
	r.side[0].other = &r.side[1];
	r.side[1].other = &r.side[0];

	if (uctls_pki_build(sc, pool, &r.pki, err) < 0)
		goto out;
	r.log = uctls_log_new(sc->name, sc->file, sc->family);
	if (r.log == NULL || add_sides(&r) < 0) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	if (opts != NULL && opts->keylog != NULL) {
		r.keylog = fopen(opts->keylog, "a");
		if (r.keylog == NULL) {
			uctls_err_set(err, "%s: %s", opts->keylog, strerror(errno));
			goto out;
		}
	}
	if (open_sockets(&r, err) < 0)
		goto out;
	for (i = 0; i < 2; i++) {
		r.side[i].state = S_CONNECT;
		r.side[i].want = r.side[i].is_server ? POLLIN : POLLOUT;
		begin_step(&r.side[i], "tcp-connect");
	}
	if (loop(&r, err) < 0 || log_unreached(&r) < 0)
		goto out;
	r.log->total_ms = now_ms() - t0;
	*out = r.log;
	r.log = NULL;
	rv = 0;
out:
	for (i = 0; i < 2; i++) {
		uctls_tls_free(r.side[i].tls);
		if (r.side[i].fd >= 0)
			close(r.side[i].fd);
	}
	if (r.lfd >= 0)
		close(r.lfd);
	if (r.keylog != NULL)
		fclose(r.keylog);
	uctls_log_free(r.log);
	uctls_pki_free(r.pki);
	return rv;
}
