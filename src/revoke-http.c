/* uctls — the loopback HTTP responder that serves a scenario's CRLs and
 * OCSP answers, and the client the verifier fetches them with (revoke.h).
 *
 * The responder is one thread with one listening socket on 127.0.0.1 (port
 * 0); it serves one connection at a time (Connection: close), each read and
 * write bounded by the scenario's timeout, and stops when uctls_revoke_free
 * writes to its pipe.  The client connects to the responder whatever host
 * the URL names: the host goes in the Host header, so the responder routes
 * by URL as a real web server would, and nothing is ever sent off the
 * loopback. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "revoke-int.h"
#include "scenario.h"

/* ------------------------------------------------------------------------
 * OCSP over GET (RFC 6960 A.1: "{url}/{url-encoding of base-64 encoding of
 * the DER encoding of the OCSPRequest}")
 * ------------------------------------------------------------------------ */

char *
rev_ocsp_get_target(const char *path, const gnutls_datum_t *der)
{
	gnutls_datum_t b = { NULL, 0 };
	size_t n = strlen(path), i, k;
	char *t;

	if (gnutls_base64_encode2(der, &b) < 0)
		return NULL;
	if ((t = malloc(n + 2 + 3 * (size_t)b.size)) != NULL) {
		memcpy(t, path, n);
		k = n;
		if (n == 0 || path[n - 1] != '/')
			t[k++] = '/';
		for (i = 0; i < b.size; i++) {
			unsigned char c = b.data[i];

			if (c == '\n' || c == '\r' || c == '\0')
				continue; /* GnuTLS folds its base64 at 64 columns */
			if (c == '+' || c == '/' || c == '=')
				k += (size_t)snprintf(t + k, 4, "%%%02X", c);
			else
				t[k++] = (char)c;
		}
		t[k] = '\0';
	}
	gnutls_free(b.data);
	return t;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

int
rev_ocsp_get_request(const char *path, const char *target, gnutls_datum_t *der)
{
	size_t n = strlen(path), k = 0;
	const char *p = target + n;
	gnutls_datum_t bd;
	gnutls_ocsp_req_t q = NULL;
	char *b;
	int r;

	der->data = NULL;
	der->size = 0;
	if (strncmp(target, path, n) != 0)
		return 0;
	if ((n == 0 || path[n - 1] != '/') && *p++ != '/')
		return 0;
	if (*p == '\0' || (b = malloc(strlen(p) + 1)) == NULL)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			b[k++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			b[k++] = *p;
		}
	}
	bd.data = (unsigned char *)b;
	bd.size = (unsigned)k;
	r = gnutls_base64_decode2(&bd, der) >= 0;
	free(b);
	/* only an OCSP request: a CRL's path under the same prefix may happen
	 * to be base64 too ("/root" under "/") */
	if (r && (gnutls_ocsp_req_init(&q) < 0 || gnutls_ocsp_req_import(q, der) < 0)) {
		gnutls_free(der->data);
		der->data = NULL;
		der->size = 0;
		r = 0;
	}
	gnutls_ocsp_req_deinit(q);
	return r;
}

/* A GET to one of the scenario's <ocsp> URLs, rewritten as the POST it
 * stands for (its request as the body), so that rev_answer answers both
 * alike; a responder with get="no" keeps the GET, which it answers 405. */
static void
get_as_post(struct uctls_revoke *rv, struct uctls_http_msg *rq)
{
	const struct uctls_revdef *rd = rv->sc->rev;
	const char *hh = uctls_http_header(rq, "Host"), *why;
	char *auth, *host, *path;
	gnutls_datum_t der;
	size_t i;
	int hit;

	for (i = 0; hh != NULL && strcmp(rq->method, "GET") == 0 && i < rd->nocsps; i++) {
		der.data = NULL;
		if (uctls_http_url(rd->ocsps[i].url, &auth, &host, &path, &why) < 0)
			continue;
		hit = strcasecmp(auth, hh) == 0 && rev_ocsp_get_request(path, rq->target, &der);
		if (hit && !rd->ocsps[i].no_get) {
			free(rq->method);
			free(rq->body);
			rq->method = strdup("POST");
			rq->body = malloc(der.size + 1);
			rq->body_len = rq->body != NULL ? der.size : 0;
			if (rq->body != NULL) {
				memcpy(rq->body, der.data, der.size);
				rq->body[der.size] = '\0';
			}
		}
		if (hit) {
			free(rq->target);
			rq->target = path;
			path = NULL;
		}
		gnutls_free(der.data);
		free(auth);
		free(host);
		free(path);
		if (hit)
			return;
	}
}

/* Waits for EV on FD until DEADLINE_MS (monotonic); 1 ready, 0 timed out. */
static int
wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { fd, ev, 0 };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static int
send_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	ssize_t w;

	while (len > 0) {
		if (!wait_fd(fd, POLLOUT, timeout_ms))
			return -1;
		w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads one HTTP message (a request when REQUESTS) from FD.  NULL with WHY
 * on a timeout, a close before the end, or bytes that are not HTTP. */
static struct uctls_http_msg *
read_msg(int fd, int requests, int timeout_ms, char *why, size_t nwhy)
{
	struct uctls_http_parser *p = uctls_http_parser_new(requests, 0);
	struct uctls_http_msg *m = NULL;
	struct uctls_err err;
	char buf[4096];
	ssize_t r;

	memset(&err, 0, sizeof(err));
	if (p == NULL) {
		snprintf(why, nwhy, "out of memory");
		return NULL;
	}
	while ((m = uctls_http_parser_next(p)) == NULL) {
		if (!wait_fd(fd, POLLIN, timeout_ms)) {
			snprintf(why, nwhy, "waited %d ms for an answer: none came", timeout_ms);
			break;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			if (uctls_http_parser_eof(p, &err) == 0 &&
			    (m = uctls_http_parser_next(p)) != NULL)
				break;
			snprintf(why, nwhy, "%s", uctls_http_parser_bytes(p) == 0
			                           ? "the connection closed without an answer"
			                       : err.set ? err.msg
			                                 : "the connection closed in the middle of the answer");
			break;
		}
		if (uctls_http_parser_feed(p, buf, (size_t)r, &err) < 0) {
			snprintf(why, nwhy, "%s", err.msg);
			break;
		}
	}
	uctls_http_parser_free(p);
	return m;
}

/* Answers the request on FD; 1 when FD is to be held open unanswered
 * (down="hold"), 0 when it can be closed. */
static int
serve_conn(struct uctls_revoke *rv, int fd)
{
	struct uctls_http_msg *rq;
	char why[256], *resp;
	size_t len;
	int down = 0;
	gnutls_datum_t body = { NULL, 0 };
	int status;

	rq = read_msg(fd, 1, rv->timeout, why, sizeof(why));
	if (rq == NULL)
		return 0;
	get_as_post(rv, rq);
	if (rq->method == NULL || rq->target == NULL) {
		uctls_http_msg_free(rq);
		return 0;
	}
	status = rev_answer(rv, rq, &body, &down);
	if (down == 0) {
		resp = uctls_http_build_response(status, status == 200 ? rev_content_type(rq) : NULL,
		                                 body.data, body.size, &len);
		if (resp != NULL)
			send_all(fd, resp, len, rv->timeout);
		free(resp);
	}
	gnutls_free(body.data);
	uctls_http_msg_free(rq);
	return down == UCTLS_DOWN_HOLD;
}

/* down="hold": FD stays open, unanswered, until the responder stops (the
 * client's wait ends at its timeout, not at a close). */
static void
hold(struct uctls_revoke *rv, int fd)
{
	if (rv->nheld == sizeof(rv->held) / sizeof(rv->held[0])) {
		close(fd);
		return;
	}
	rv->held[rv->nheld++] = fd;
}

static void *
responder(void *arg)
{
	struct uctls_revoke *rv = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0].fd = rv->lfd;
		p[0].events = POLLIN;
		p[1].fd = rv->stop[0];
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents != 0)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept(rv->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (serve_conn(rv, fd))
			hold(rv, fd);
		else
			close(fd);
	}
	return NULL;
}

/* Starts the responder on first use.  0, or -1 with WHY. */
static int
start(struct uctls_revoke *rv, char *why, size_t nwhy)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	if (rv->started)
		return rv->started > 0 ? 0 : -1;
	rv->started = -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rv->lfd < 0 || bind(rv->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(rv->lfd, 8) < 0 || getsockname(rv->lfd, (struct sockaddr *)&a, &al) < 0 ||
	    pipe2(rv->stop, O_CLOEXEC) < 0) {
		snprintf(why, nwhy, "the responder could not listen: %s", strerror(errno));
		return -1;
	}
	rv->port = ntohs(a.sin_port);
	if (pthread_create(&rv->thread, NULL, responder, rv) != 0) {
		snprintf(why, nwhy, "the responder thread could not start");
		return -1;
	}
	rv->started = 1;
	return 0;
}

void
rev_http_stop(struct uctls_revoke *rv)
{
	if (rv->started > 0) {
		if (write(rv->stop[1], "x", 1) < 0) {
			/* the thread then waits for a connection that never
			 * comes: shut the listener down instead */
			shutdown(rv->lfd, SHUT_RDWR);
		}
		pthread_join(rv->thread, NULL);
	}
	while (rv->nheld > 0)
		close(rv->held[--rv->nheld]);
	if (rv->lfd >= 0)
		close(rv->lfd);
	if (rv->stop[0] >= 0)
		close(rv->stop[0]);
	if (rv->stop[1] >= 0)
		close(rv->stop[1]);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double
uctls_revoke_blocked_ms(const struct uctls_revoke *rv)
{
	return rv->blocked_ms;
}

static int
dial(struct uctls_revoke *rv, int timeout_ms, char *why, size_t nwhy)
{
	struct sockaddr_in a;
	int fd, e = 0;
	socklen_t el = sizeof(e);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)rv->port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) ||
	    !wait_fd(fd, POLLOUT, timeout_ms) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
		snprintf(why, nwhy, "could not connect: %s", strerror(e != 0 ? e : errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
rev_http_fetch(struct uctls_revoke *rv, const char *url, const gnutls_datum_t *post,
               gnutls_datum_t *out, char *why, size_t nwhy)
{
	struct uctls_http_req rq;
	struct uctls_http_msg *m = NULL;
	char *auth = NULL, *host = NULL, *path = NULL, *req = NULL, *get = NULL;
	const char *uw;
	size_t len;
	int fd = -1, rvl = -1;
	/* A stack bounds its revocation fetch by a timeout of its own, shorter
	 * than the connection's; uctls's model: half the run's.  The time the
	 * verifier spends blocked here, inside the handshake, is added to the
	 * steps' deadlines (uctls_revoke_blocked_ms), so that a responder that
	 * never answers (down="hold") ends in the fallback, not in a timeout. */
	int t = rv->timeout / 2 > 0 ? rv->timeout / 2 : 1;
	double t0 = now_ms();

	if (uctls_http_url(url, &auth, &host, &path, &uw) < 0) {
		snprintf(why, nwhy, "%s", uw);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = post != NULL ? "POST" : "GET";
	rq.target = path;
	/* the verifier's profile asks by GET (rev_ocsp_get) when the whole URL
	 * fits in 255 bytes (RFC 5019 5), by POST otherwise */
	if (post != NULL && rv->ocsp_get && (get = rev_ocsp_get_target(path, post)) != NULL &&
	    7 + strlen(auth) + strlen(get) <= 255) {
		rq.method = "GET";
		rq.target = get;
		post = NULL;
	}
	rq.host = auth;
	rq.content_type = post != NULL ? "application/ocsp-request" : NULL;
	rq.body = post != NULL ? post->data : NULL;
	rq.body_len = post != NULL ? post->size : 0;
	if (start(rv, why, nwhy) < 0 || (fd = dial(rv, t, why, nwhy)) < 0)
		goto out;
	if ((req = uctls_http_build_request(&rq, &len)) == NULL || send_all(fd, req, len, t) < 0) {
		snprintf(why, nwhy, "could not send the request");
		goto out;
	}
	if ((m = read_msg(fd, 0, t, why, nwhy)) == NULL)
		goto out;
	if (m->status != 200) {
		snprintf(why, nwhy, "HTTP %d %s%s", m->status, m->reason,
		         m->status == 405 && strcmp(rq.method, "GET") == 0 && post == NULL &&
		                 get != NULL
		             ? " to the OCSP request sent by GET (RFC 6960 A.1; RFC 5019 5 wants a "
		               "responder to take GET)"
		             : "");
		goto out;
	}
	if ((out->data = gnutls_malloc(m->body_len + 1)) == NULL)
		goto out;
	memcpy(out->data, m->body, m->body_len);
	out->size = (unsigned)m->body_len;
	rvl = 0;
out:
	if (fd >= 0)
		close(fd);
	uctls_http_msg_free(m);
	free(req);
	free(get);
	free(auth);
	free(host);
	free(path);
	rv->blocked_ms += now_ms() - t0;
	return rvl;
}
