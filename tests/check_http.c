/* HTTP/1.1 framing (src/http.c): each parse row is a byte stream and either
 * the message it holds, rendered as one line, or the start of the error
 * uctls must name.  Every parse row is fed three ways (whole, one byte at a
 * time, 7-byte chunks) and must give the same result.  Then the limits, the
 * URL rows and the builders. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "http.h"

/* "> METHOD TARGET 1.M | Name=value ... | [LEN]BODY" or "< STATUS REASON
 * ...", the framing last: " chunked", " close". */
static void
render(char *out, size_t len, const struct uctls_http_msg *m)
{
	size_t i, o;

	if (m->is_request)
		o = (size_t)snprintf(out, len, "> %s %s 1.%d |", m->method, m->target, m->minor);
	else
		o = (size_t)snprintf(out, len, "< %d %s 1.%d |", m->status, m->reason, m->minor);
	for (i = 0; i < m->nheaders && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, " %s=%s", m->headers[i].name,
		                      m->headers[i].value);
	if (o < len)
		o += (size_t)snprintf(out + o, len - o, " | [%zu]%s%s%s", m->body_len,
		                      m->body != NULL ? m->body : "", m->chunked ? " chunked" : "",
		                      m->until_close ? " close" : "");
}

static const struct prow {
	int requests, eof, head;
	const char *in;
	const char *want; /* the rendering, or "!" and the start of the error */
} prows[] = {
	/* A response with Content-Length; the body taken exactly. */
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	  "< 200 OK 1.1 | Content-Length=5 | [5]hello" },
	/* Chunked, with an extension and a trailer field. */
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n",
	  "< 200 OK 1.1 | Transfer-Encoding=chunked | [5]abcde chunked" },
	/* Neither: the body ends with the connection (openssl s_server -www). */
	{ 0, 1, 0, "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<p>x</p>",
	  "< 200 ok 1.0 | Content-type=text/html | [8]<p>x</p> close" },
	/* An interim 100 skipped; bare LF line ends; an empty reason. */
	{ 0, 0, 0, "HTTP/1.1 100 Continue\n\nHTTP/1.1 204 \nServer: t\n\n",
	  "< 204  1.1 | Server=t | [0]" },
	/* The answer to HEAD has no body whatever Content-Length says. */
	{ 0, 0, 1, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
	  "< 200 OK 1.1 | Content-Length=99 | [0]" },
	/* A request: empty lines before it ignored, no body. */
	{ 1, 0, 0, "\r\nGET /ccmadmin/ HTTP/1.1\r\nHost: cucm.example.com:8443\r\n\r\n",
	  "> GET /ccmadmin/ 1.1 | Host=cucm.example.com:8443 | [0]" },
	/* Not HTTP: said at once, quoted. */
	{ 0, 0, 0, "SIP/2.0 200 OK\r\n\r\n", "!not an HTTP response: `SIP/2.0 200 OK'" },
	{ 1, 1, 0, "\x16\x03\x01\x02\x00", "!not an HTTP request: `....'" },
	{ 0, 0, 0, "HTTP/1.1 2x0 OK\r\n\r\n", "!malformed status line `HTTP/1.1 2x0 OK'" },
	{ 1, 0, 0, "GET /\r\n\r\n", "!malformed request line" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "!malformed header line" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "!obsolete line folding" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "!Content-Length `12x'" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	  "!two different Content-Length" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", "!body of 2000000 bytes" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	  "!malformed chunk size" },
	{ 0, 0, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
	  "!no line end after a chunk" },
	/* Cut short: eof says so. */
	{ 0, 1, 0, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
	  "!the connection closed inside the body" },
	{ 0, 1, 0, "HTTP/1.1 200 OK\r\nServer:", "!the connection closed inside the header" },
};

/* Feeds ROW in pieces of STEP bytes (0: whole) into OUT. */
static void
parse(const struct prow *row, size_t step, char *out, size_t len)
{
	struct uctls_http_parser *p = uctls_http_parser_new(row->requests, 0);
	struct uctls_http_msg *m;
	struct uctls_err err;
	size_t n = strlen(row->in), i, k;
	int rv = 0;

	ck_assert_ptr_nonnull(p);
	if (row->head)
		uctls_http_parser_head(p);
	uctls_err_clear(&err);
	for (i = 0; i < n && rv == 0; i += k) {
		k = step == 0 || n - i < step ? n - i : step;
		rv = uctls_http_parser_feed(p, row->in + i, k, &err);
	}
	if (rv == 0 && row->eof && uctls_http_parser_eof(p, &err) != 0)
		rv = -1;
	if (rv < 0) {
		snprintf(out, len, "!%.900s", err.msg);
	} else if ((m = uctls_http_parser_next(p)) != NULL) {
		render(out, len, m);
		uctls_http_msg_free(m);
	} else {
		snprintf(out, len, "(incomplete)");
	}
	ck_assert_uint_eq(uctls_http_parser_bytes(p), rv < 0 ? uctls_http_parser_bytes(p) : n);
	uctls_http_parser_free(p);
}

START_TEST(test_parse)
{
	static const size_t steps[] = { 0, 1, 7 };
	const struct prow *row = &prows[_i];
	char got[1024];
	size_t s;

	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		parse(row, steps[s], got, sizeof(got));
		if (row->want[0] == '!')
			ck_assert_msg(strncmp(got, row->want, strlen(row->want)) == 0,
			              "row %d, step %zu: got %s, want %s", _i, steps[s], got, row->want);
		else
			ck_assert_msg(strcmp(got, row->want) == 0, "row %d, step %zu: got %s, want %s",
			              _i, steps[s], got, row->want);
	}
}
END_TEST

/* An endless header line costs the limit, and fails at it. */
START_TEST(test_head_limit)
{
	struct uctls_http_parser *p = uctls_http_parser_new(0, 0);
	struct uctls_err err;
	char chunk[4096];
	size_t fed = 0;
	int rv = 0;

	memset(chunk, 'a', sizeof(chunk));
	uctls_err_clear(&err);
	rv = uctls_http_parser_feed(p, "HTTP/1.1 200 OK\r\nX: ", 21, &err);
	while (rv == 0 && fed < 10 * UCTLS_HTTP_MAX_HEAD) {
		rv = uctls_http_parser_feed(p, chunk, sizeof(chunk), &err);
		fed += sizeof(chunk);
	}
	ck_assert_int_eq(rv, -1);
	ck_assert_uint_le(fed, UCTLS_HTTP_MAX_HEAD + sizeof(chunk));
	ck_assert_ptr_nonnull(strstr(err.msg, "header section longer than 16384 bytes"));
	/* Failed stays failed. */
	ck_assert_int_eq(uctls_http_parser_feed(p, "x", 1, &err), -1);
	ck_assert_ptr_null(uctls_http_parser_next(p));
	uctls_http_parser_free(p);
}
END_TEST

/* A close-delimited body stops at the parser's bound. */
START_TEST(test_body_limit)
{
	struct uctls_http_parser *p = uctls_http_parser_new(0, 100);
	static const char head[] = "HTTP/1.0 200 OK\r\n\r\n";
	char body[64];
	struct uctls_err err;

	memset(body, 'b', sizeof(body));
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_http_parser_feed(p, head, sizeof(head) - 1, &err), 0);
	ck_assert_int_eq(uctls_http_parser_feed(p, body, sizeof(body), &err), 0);
	ck_assert_int_eq(uctls_http_parser_feed(p, body, sizeof(body), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "body longer than 100 bytes"));
	uctls_http_parser_free(p);
}
END_TEST

static const struct urow {
	const char *url, *authority, *host, *path; /* authority NULL: refused */
} urows[] = {
	{ "https://cucm.example.com:8443/ccmadmin/", "cucm.example.com:8443", "cucm.example.com",
	  "/ccmadmin/" },
	{ "https://uccx1.example.com", "uccx1.example.com", "uccx1.example.com", "/" },
	{ "HTTP://192.0.2.10/a?b=c", "192.0.2.10", "192.0.2.10", "/a?b=c" },
	{ "https://h.example?x=1", "h.example", "h.example", "/?x=1" },
	{ "https://[2001:db8::1]:443/", "[2001:db8::1]:443", "2001:db8::1", "/" },
	{ "ftp://x.example/", NULL, NULL, NULL },
	{ "https://user@x.example/", NULL, NULL, NULL },
	{ "https://:8443/", NULL, NULL, NULL },
	{ "https://x.example:0/", NULL, NULL, NULL },
	{ "https://x.example:99999/", NULL, NULL, NULL },
	{ "https://x.example/a b", NULL, NULL, NULL },
	{ "https://x.example/#frag", NULL, NULL, NULL },
	{ "https://[2001:db8::1/", NULL, NULL, NULL },
};

START_TEST(test_url)
{
	const struct urow *row = &urows[_i];
	char *a = NULL, *h = NULL, *p = NULL;
	const char *why = NULL;
	int rv = uctls_http_url(row->url, &a, &h, &p, &why);

	if (row->authority == NULL) {
		ck_assert_msg(rv == -1 && why != NULL && a == NULL, "%s accepted", row->url);
		return;
	}
	ck_assert_msg(rv == 0, "%s: %s", row->url, why);
	ck_assert_str_eq(a, row->authority);
	ck_assert_str_eq(h, row->host);
	ck_assert_str_eq(p, row->path);
	free(a);
	free(h);
	free(p);
}
END_TEST

/* What the builders write parses back to the same message. */
START_TEST(test_build)
{
	struct uctls_http_req rq = { .method = "GET", .target = "/x", .host = "h.example:8443",
		                     .user_agent = "t" };
	struct uctls_http_parser *p;
	struct uctls_http_msg *m;
	struct uctls_err err;
	size_t len;
	char *b, got[1024];

	b = uctls_http_build_request(&rq, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, "GET /x HTTP/1.1\r\nHost: h.example:8443\r\nUser-Agent: t\r\n"
	                    "Connection: close\r\n\r\n");
	free(b);
	rq.host = "evil\r\nX: y";
	ck_assert_ptr_null(uctls_http_build_request(&rq, &len));
	b = uctls_http_build_response(503, "text/plain", "down", 4, &len);
	ck_assert_ptr_nonnull(b);
	p = uctls_http_parser_new(0, 0);
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_http_parser_feed(p, b, len, &err), 0);
	m = uctls_http_parser_next(p);
	ck_assert_ptr_nonnull(m);
	render(got, sizeof(got), m);
	ck_assert_str_eq(got, "< 503 Service Unavailable 1.1 | Server=uctls/" PACKAGE_VERSION
	                      " Content-Type=text/plain Content-Length=4 Connection=close | [4]down");
	uctls_http_msg_free(m);
	uctls_http_parser_free(p);
	free(b);
	ck_assert_ptr_null(uctls_http_build_response(600, NULL, NULL, 0, &len));
	ck_assert_str_eq(uctls_http_reason_phrase(404), "Not Found");
	ck_assert_str_eq(uctls_http_reason_phrase(599), "Unknown");
}
END_TEST

Suite *
make_http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("framing");

	tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof(prows) / sizeof(prows[0])));
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_body_limit);
	tcase_add_loop_test(tc, test_url, 0, (int)(sizeof(urows) / sizeof(urows[0])));
	tcase_add_test(tc, test_build);
	suite_add_tcase(s, tc);
	return s;
}
