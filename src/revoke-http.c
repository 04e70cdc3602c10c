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
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "revoke-int.h"

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
			snprintf(why, nwhy, "no answer within %d ms", timeout_ms);
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

static void
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
		return;
	status = rev_answer(rv, rq, &body, &down);
	if (!down) {
		resp = uctls_http_build_response(status, status == 200 ? rev_content_type(rq) : NULL,
		                                 body.data, body.size, &len);
		if (resp != NULL)
			send_all(fd, resp, len, rv->timeout);
		free(resp);
	}
	gnutls_free(body.data);
	uctls_http_msg_free(rq);
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
		serve_conn(rv, fd);
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
	if (rv->lfd >= 0)
		close(rv->lfd);
	if (rv->stop[0] >= 0)
		close(rv->stop[0]);
	if (rv->stop[1] >= 0)
		close(rv->stop[1]);
}

static int
dial(struct uctls_revoke *rv, char *why, size_t nwhy)
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
	    !wait_fd(fd, POLLOUT, rv->timeout) ||
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
	char *auth = NULL, *host = NULL, *path = NULL, *req = NULL;
	const char *uw;
	size_t len;
	int fd = -1, rvl = -1;

	if (uctls_http_url(url, &auth, &host, &path, &uw) < 0) {
		snprintf(why, nwhy, "%s", uw);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = post != NULL ? "POST" : "GET";
	rq.target = path;
	rq.host = auth;
	rq.content_type = post != NULL ? "application/ocsp-request" : NULL;
	rq.body = post != NULL ? post->data : NULL;
	rq.body_len = post != NULL ? post->size : 0;
	if (start(rv, why, nwhy) < 0 || (fd = dial(rv, why, nwhy)) < 0)
		goto out;
	if ((req = uctls_http_build_request(&rq, &len)) == NULL ||
	    send_all(fd, req, len, rv->timeout) < 0) {
		snprintf(why, nwhy, "could not send the request");
		goto out;
	}
	if ((m = read_msg(fd, 0, rv->timeout, why, nwhy)) == NULL)
		goto out;
	if (m->status != 200) {
		snprintf(why, nwhy, "HTTP %d %s", m->status, m->reason);
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
	free(auth);
	free(host);
	free(path);
	return rvl;
}
