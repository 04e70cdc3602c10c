#include "config.h"

#include "engine-int.h"

/* --- the https family's http-request step (docs/steps.md) -------------- *
 *
 * Over the TLS connection the client (a browser, Jabber, Expressway-C's
 * traffic server, UCCX) sends one HTTP/1.1 GET of its URL's path, with the
 * name it dials as Host (RFC 9112 3.2); the server (a Tomcat) answers as
 * http-response= says: a status with a small HTML body (200 by default),
 * nothing, bytes that are not HTTP, or a header line without end.  Every read
 * is bounded (http.h) and every step has its deadline (engine.c).
 */

/* What a hostile server sends of its endless header line: past the
 * client's limit, so the client stops on the limit, not on the deadline. */
#define ENDLESS_BYTES (UCTLS_HTTP_MAX_HEAD + 4096)

static const char page[] = "<!DOCTYPE html>\n<html><head><title>uctls</title></head>"
                           "<body><p>uctls https server</p></body></html>\n";

/* The Host the client dials: its URL's host[:port], else the first name
 * it expects of the server, else the server's id. */
static const char *
dial_host(const struct side *s)
{
	if (s->def->http_host != NULL)
		return s->def->http_host;
	return s->def->nnames > 0 ? s->def->names[0] : s->other->def->id;
}

int
eng_https_start(struct run *r, struct side *s)
{
	struct uctls_http_req rq;

	(void)r;
	s->http = uctls_http_parser_new(s->is_server, 0);
	if (s->http == NULL)
		return -1;
	if (s->is_server)
		return 0;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.target = s->def->http_path != NULL ? s->def->http_path : "/";
	rq.host = dial_host(s);
	rq.accept = "text/html,*/*";
	s->out = uctls_http_build_request(&rq, &s->outlen);
	return s->out == NULL ? -1 : 0;
}

/* Sends what is queued.  Returns 0 when it all went (or the side failed:
 * see s->state), 1 when the socket is full, -1 on a local error. */
static int
http_flush(struct run *r, struct side *s)
{
	size_t n;
	int tr;

	while (s->outdone < s->outlen) {
		tr = uctls_tls_send(s->tls, s->out + s->outdone, s->outlen - s->outdone, &n);
		if (tr != UCTLS_TLS_OK) {
			if (eng_tls_result(r, s, tr) < 0)
				return -1;
			return s->state == S_FAILED ? 0 : 1;
		}
		if (s->cap != NULL && s->outdone == 0 && n > 0)
			uctls_cap_note(s->cap, UCTLS_CAP_APP, s->is_server, 0, "%.*s",
			               (int)strcspn(s->out, "\r\n"), s->out);
		s->outdone += n;
	}
	free(s->out);
	s->out = NULL;
	s->outlen = s->outdone = 0;
	return 0;
}

static int
fail_malformed(struct run *r, struct side *s, const char *msg)
{
	return eng_side_fail_msg(r, s, "http-malformed",
	                         s->is_server ? "check what connects to this HTTPS port"
	                                      : "check what answers on the server's HTTPS port "
	                                        "(the port may belong to another service)",
	                         "%s sent bytes that are not an HTTP/1.1 %s: %s",
	                         s->other->def->id, s->is_server ? "request" : "response", msg);
}

/* Reads what has arrived into the HTTP parser; returns the complete
 * message, or NULL with *ret set (0: need more, -1: local error, 1: the
 * side failed). */
static struct uctls_http_msg *
http_read(struct run *r, struct side *s, int *ret)
{
	struct uctls_http_msg *m;
	struct uctls_err e;
	char buf[4096];
	size_t n;
	int tr, eof;

	for (*ret = 0;;) {
		if ((m = uctls_http_parser_next(s->http)) != NULL)
			return m;
		tr = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		if (tr != UCTLS_TLS_OK) {
			*ret = eng_tls_result(r, s, tr) < 0 ? -1 : (s->state == S_FAILED);
			return NULL;
		}
		eng_rx(s, buf, n, 0);
		if (s->tls_pending) {
			/* The first bytes of the answer: the server accepted us. */
			s->tls_pending = 0;
			if (eng_enter_step(r, s, r->phase->app_step) < 0) {
				*ret = -1;
				return NULL;
			}
		}
		uctls_err_clear(&e);
		if (n == 0) {
			eof = uctls_http_parser_eof(s->http, &e);
			if (eof == 0 && (m = uctls_http_parser_next(s->http)) != NULL)
				return m;
			*ret = eng_side_fail_msg(r, s, "connection-closed", NULL,
			                         "%s closed the connection before a complete HTTP "
			                         "%s arrived%s%s",
			                         s->other->def->id, s->is_server ? "request" : "response",
			                         eof == 1 ? ": " : "", eof == 1 ? e.msg : "") < 0
			               ? -1
			               : 1;
			return NULL;
		}
		if (uctls_http_parser_feed(s->http, buf, n, &e) < 0) {
			*ret = fail_malformed(r, s, e.msg) < 0 ? -1 : 1;
			return NULL;
		}
	}
}

/* The server's answer to request M, as http-response= says. */
static int
server_answer(struct run *r, struct side *s, const struct uctls_http_msg *m)
{
	const struct uctls_peerdef *d = r->server;
	int status = d->http_status ? d->http_status : 200;
	const char *host = uctls_http_header(m, "Host");

	free(s->note);
	s->note = NULL;
	if (d->http_answer == UCTLS_HTTP_ANSWER_NONE) {
		s->note = strdup("received the request and, as configured (http-response=none), "
		                 "did not answer");
		return s->note == NULL ? -1 : 1;
	}
	if (d->http_answer == UCTLS_HTTP_ANSWER_GARBAGE) {
		/* What another service on the port would say: a SIP answer. */
		s->out = strdup("SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
		s->outlen = s->out != NULL ? strlen(s->out) : 0;
		s->note = strdup("answered with a SIP line instead of HTTP, as configured "
		                 "(http-response=garbage)");
	} else if (d->http_answer == UCTLS_HTTP_ANSWER_ENDLESS) {
		s->out = malloc(ENDLESS_BYTES);
		if (s->out != NULL) {
			s->outlen = (size_t)snprintf(s->out, ENDLESS_BYTES,
			                             "HTTP/1.1 200 OK\r\nX-Hostile: ");
			memset(s->out + s->outlen, 'a', ENDLESS_BYTES - s->outlen);
			s->outlen = ENDLESS_BYTES;
		}
		s->note = strdup("answered with a header line that never ends, as configured "
		                 "(http-response=endless-header)");
	} else {
		s->out = uctls_http_build_response(status, "text/html; charset=utf-8", page,
		                                   sizeof(page) - 1, &s->outlen);
		if (asprintf(&s->note, "answered %s %s (Host: %s) with %d %s", m->method, m->target,
		             host != NULL ? host : "none", status,
		             uctls_http_reason_phrase(status)) < 0)
			s->note = NULL;
	}
	return s->out == NULL || s->note == NULL ? -1 : 0;
}

/* The client's verdict on response M. */
static int
client_verdict(struct run *r, struct side *s, const struct uctls_http_msg *m)
{
	const char *ct = uctls_http_header(m, "Content-Type");
	char reason[32];

	if (m->status >= 400) {
		snprintf(reason, sizeof(reason), "http-status:%d", m->status);
		return eng_side_fail_msg(r, s, reason,
		                         "the TLS connection is sound: check the URL's path and the "
		                         "web application (401/403: credentials or the user's "
		                         "roles; 404: the path; 503: the service is not running)",
		                         "%s answered GET %s with %d %s", s->other->def->id,
		                         s->def->http_path != NULL ? s->def->http_path : "/",
		                         m->status, m->reason);
	}
	free(s->note);
	if (asprintf(&s->note, "%s answered GET %s with %d %s (%zu bytes%s%s%s)", s->other->def->id,
	             s->def->http_path != NULL ? s->def->http_path : "/", m->status, m->reason,
	             m->body_len, ct != NULL ? " of " : "", ct != NULL ? ct : "",
	             m->chunked ? ", chunked" : m->until_close ? ", to the close" : "") < 0)
		s->note = NULL;
	return eng_side_done(r, s);
}

int
eng_app_http(struct run *r, struct side *s)
{
	struct uctls_http_msg *m;
	int ret;

	if (s->out != NULL) {
		if ((ret = http_flush(r, s)) != 0 || s->state == S_FAILED)
			return ret < 0 ? -1 : 0;
		if (s->is_server)
			return eng_side_done(r, s);
	}
	m = http_read(r, s, &ret);
	if (m == NULL)
		return ret < 0 ? -1 : 0;
	if (s->cap != NULL) {
		if (m->is_request)
			uctls_cap_note(s->cap, UCTLS_CAP_APP, !s->is_server, 1, "%s %s", m->method,
			               m->target);
		else
			uctls_cap_note(s->cap, UCTLS_CAP_APP, !s->is_server, 1, "%d %s", m->status,
			               m->reason);
	}
	if (!s->is_server) {
		ret = client_verdict(r, s, m);
		uctls_http_msg_free(m);
		return ret;
	}
	if (!m->is_request) {
		uctls_http_msg_free(m);
		return fail_malformed(r, s, "a response where a request was expected");
	}
	ret = server_answer(r, s, m);
	uctls_http_msg_free(m);
	if (ret < 0)
		return -1;
	if (ret == 1)
		return eng_side_done(r, s);
	return eng_app_http(r, s);
}

const char *
eng_https_awaiting(const struct side *s)
{
	if (s->is_server)
		return s->out != NULL ? "the client to read the answer" : "the HTTP request";
	return s->out != NULL ? "the server to read the request" : "a complete HTTP response";
}
