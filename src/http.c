#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* What a message's bytes are shown with in an error: at most this much. */
#define QUOTE_MAX 64
/* A chunk-size line (RFC 9112 7.1): the size in hex and its extensions. */
#define CHUNK_LINE_MAX 128

enum pstate {
	P_HEAD,        /* start line and header fields */
	P_BODY,        /* want more bytes of a Content-Length body */
	P_CLOSE,       /* a body delimited by the end of the connection */
	P_CHUNK_SIZE,  /* a chunk-size line */
	P_CHUNK_DATA,  /* want more bytes of a chunk */
	P_CHUNK_CRLF,  /* the line end after a chunk's data */
	P_TRAILER,     /* trailer fields, up to the empty line */
	P_DONE,        /* a message is complete */
	P_TAKEN,       /* ... and was returned */
	P_FAILED
};

struct uctls_http_parser {
	int requests;
	int head_only; /* response to HEAD */
	int bad;       /* the first bytes are not HTTP: kept until the line ends, for the quote */
	size_t max_body;
	enum pstate st;
	char head[UCTLS_HTTP_MAX_HEAD + 1];
	size_t hlen;
	char line[CHUNK_LINE_MAX + 1]; /* chunk-size or trailer line */
	size_t llen;
	size_t trailer; /* bytes of trailer fields so far */
	size_t want;    /* body or chunk bytes still due */
	size_t cap;     /* allocated body bytes (P_CLOSE, chunked) */
	struct uctls_http_msg *msg;
	size_t total;
};

/* Printable ASCII of P (N bytes), the rest as `.', at most QUOTE_MAX. */
static const char *
quote(const char *p, size_t n, char out[QUOTE_MAX + 4])
{
	size_t i, o = 0;

	for (i = 0; i < n && o < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' || c == '\n')
			break;
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	if (i < n && p[i] != '\r' && p[i] != '\n')
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o] = '\0';
	return out;
}

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

const char *
uctls_http_header(const struct uctls_http_msg *m, const char *name)
{
	size_t i;

	for (i = 0; m != NULL && i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

void
uctls_http_msg_free(struct uctls_http_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->method);
	free(m->target);
	free(m->reason);
	free(m->body);
	free(m);
}

struct uctls_http_parser *
uctls_http_parser_new(int requests, size_t max_body)
{
	struct uctls_http_parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->requests = requests;
	p->max_body = max_body > 0 ? max_body : UCTLS_HTTP_MAX_BODY;
	p->st = P_HEAD;
	return p;
}

void
uctls_http_parser_free(struct uctls_http_parser *p)
{
	if (p == NULL)
		return;
	uctls_http_msg_free(p->msg);
	free(p);
}

void
uctls_http_parser_head(struct uctls_http_parser *p)
{
	p->head_only = 1;
}

size_t
uctls_http_parser_bytes(const struct uctls_http_parser *p)
{
	return p->total;
}

static int
fail(struct uctls_http_parser *p, struct uctls_err *err, const char *fmt, const char *a,
     const char *b)
{
	p->st = P_FAILED;
	return uctls_err_set(err, fmt, a, b);
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* The start line L (N bytes, no line end) into M. */
static int
start_line(struct uctls_http_parser *p, struct uctls_http_msg *m, const char *l, size_t n,
           struct uctls_err *err)
{
	char q[QUOTE_MAX + 4];
	const char *sp1 = memchr(l, ' ', n), *sp2;

	if (!p->requests) {
		/* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
		if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' ||
		    l[8] != ' ' || l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' ||
		    l[11] < '0' || l[11] > '9' || (n > 12 && l[12] != ' '))
			return fail(p, err, "malformed status line `%s'%s", quote(l, n, q), "");
		m->minor = l[7] - '0';
		m->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
		m->reason = dup_n(n > 13 ? l + 13 : "", n > 13 ? n - 13 : 0);
		return m->reason == NULL ? uctls_err_set(err, "out of memory") : 0;
	}
	/* request-line = method SP request-target SP HTTP-version */
	sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
	if (sp1 == NULL || sp1 == l || sp2 == NULL || sp2 == sp1 + 1 ||
	    (size_t)(l + n - sp2) != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' ||
	    sp2[8] > '9' || memchr(sp2 + 1, ' ', 8) != NULL)
		return fail(p, err, "malformed request line `%s'%s", quote(l, n, q), "");
	m->is_request = 1;
	m->minor = sp2[8] - '0';
	m->method = dup_n(l, (size_t)(sp1 - l));
	m->target = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	return m->method == NULL || m->target == NULL ? uctls_err_set(err, "out of memory") : 0;
}

/* One header field line L (N bytes) into M. */
static int
field_line(struct uctls_http_parser *p, struct uctls_http_msg *m, const char *l, size_t n,
           struct uctls_err *err)
{
	char q[QUOTE_MAX + 4];
	const char *colon = memchr(l, ':', n), *v, *e = l + n;
	struct uctls_http_header *h;
	size_t i;

	if (l[0] == ' ' || l[0] == '\t')
		return fail(p, err, "obsolete line folding in header `%s'%s", quote(l, n, q), "");
	if (colon == NULL || colon == l)
		return fail(p, err, "malformed header line `%s'%s", quote(l, n, q), "");
	for (i = 0; l + i < colon; i++)
		if (!is_tchar((unsigned char)l[i]))
			return fail(p, err, "malformed header name in `%s'%s", quote(l, n, q), "");
	for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	h = realloc(m->headers, (m->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		return uctls_err_set(err, "out of memory");
	m->headers = h;
	h += m->nheaders;
	h->name = dup_n(l, (size_t)(colon - l));
	h->value = dup_n(v, (size_t)(e - v));
	m->nheaders++;
	return h->name == NULL || h->value == NULL ? uctls_err_set(err, "out of memory") : 0;
}

/* Content-Length: digits only; several must agree (RFC 9112 6.3 item 5). */
static int
content_length(struct uctls_http_parser *p, const struct uctls_http_msg *m, size_t *out,
               struct uctls_err *err)
{
	char num[24];
	const char *v;
	size_t i, k, len;
	int seen = 0;

	for (i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, "Content-Length") != 0)
			continue;
		v = m->headers[i].value;
		k = strlen(v);
		if (k == 0 || k > 15 || strspn(v, "0123456789") != k)
			return fail(p, err, "Content-Length `%s'%s", v, "");
		len = (size_t)strtoull(v, NULL, 10);
		if (seen && len != *out)
			return fail(p, err, "two different Content-Length values (`%s')%s", v, "");
		*out = len;
		seen = 1;
	}
	if (seen && *out > p->max_body) {
		snprintf(num, sizeof(num), "%zu", p->max_body);
		return fail(p, err, "body of %s bytes exceeds %s", uctls_http_header(m, "Content-Length"),
		            num);
	}
	return seen;
}

/* After the header section: how the body is delimited (RFC 9112 6.3). */
static int
body_framing(struct uctls_http_parser *p, struct uctls_http_msg *m, struct uctls_err *err)
{
	const char *te = uctls_http_header(m, "Transfer-Encoding");
	size_t len = 0;
	int cl;

	if (!m->is_request && (m->status < 200 || m->status == 204 || m->status == 304 ||
	                       p->head_only)) {
		p->st = P_DONE;
		return 0;
	}
	if (te != NULL) {
		size_t k = strlen(te);

		if (k < 7 || strcasecmp(te + k - 7, "chunked") != 0) {
			if (m->is_request)
				return fail(p, err, "Transfer-Encoding `%s' without chunked last%s", te, "");
			p->st = P_CLOSE;
			m->until_close = 1;
			return 0;
		}
		m->chunked = 1;
		p->st = P_CHUNK_SIZE;
		return 0;
	}
	if ((cl = content_length(p, m, &len, err)) < 0)
		return -1;
	if (cl == 0 && !m->is_request) {
		p->st = P_CLOSE;
		m->until_close = 1;
		return 0;
	}
	m->body = malloc(len + 1);
	if (m->body == NULL)
		return uctls_err_set(err, "out of memory");
	m->body[0] = '\0';
	p->want = len;
	p->st = len > 0 ? P_BODY : P_DONE;
	return 0;
}

/* The complete header section in p->head: the message's start. */
static int
parse_head(struct uctls_http_parser *p, struct uctls_err *err)
{
	struct uctls_http_msg *m = calloc(1, sizeof(*m));
	const char *l = p->head, *end = p->head + p->hlen, *nl;
	size_t n;
	int first = 1;

	if (m == NULL)
		return uctls_err_set(err, "out of memory");
	p->msg = m;
	for (; l < end; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(end - l));
		n = (size_t)(nl - l);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if ((first ? start_line(p, m, l, n, err) : field_line(p, m, l, n, err)) < 0)
			return -1;
		first = 0;
	}
	if (!m->is_request && m->status < 200) {
		/* An interim response (1xx): the final one follows. */
		uctls_http_msg_free(m);
		p->msg = NULL;
		p->hlen = 0;
		return 0;
	}
	return body_framing(p, m, err);
}

/* One byte of the header section. */
static int
head_byte(struct uctls_http_parser *p, char c, struct uctls_err *err)
{
	static const char proto[] = "HTTP/";
	char q[QUOTE_MAX + 4], lim[16];

	/* RFC 9112 2.2: empty lines before a request line are ignored. */
	if (p->hlen == 0 && p->requests && (c == '\r' || c == '\n'))
		return 0;
	if (p->hlen >= UCTLS_HTTP_MAX_HEAD) {
		snprintf(lim, sizeof(lim), "%d", UCTLS_HTTP_MAX_HEAD);
		return fail(p, err, "header section longer than %s bytes (it began `%s')", lim,
		            quote(p->head, p->hlen, q));
	}
	p->head[p->hlen++] = c;
	/* Not HTTP at all: said at the end of its first line (or QUOTE_MAX
	 * bytes), not after 16 KiB. */
	if (!p->requests && p->hlen <= 5 && c != proto[p->hlen - 1])
		p->bad = 1;
	if (p->requests && memchr(p->head, ' ', p->hlen) == NULL && !is_tchar((unsigned char)c))
		p->bad = 1;
	if (p->bad && (c == '\n' || p->hlen >= QUOTE_MAX))
		return fail(p, err, "not an HTTP %s: `%s'", p->requests ? "request" : "response",
		            quote(p->head, p->hlen, q));
	if (p->bad)
		return 0;
	if (c == '\n' && (p->hlen >= 2 && (p->head[p->hlen - 2] == '\n' ||
	                                   (p->hlen >= 3 && p->head[p->hlen - 2] == '\r' &&
	                                    p->head[p->hlen - 3] == '\n'))))
		return parse_head(p, err);
	return 0;
}

/* Appends N bytes of body to the message, growing it within max_body. */
static int
body_add(struct uctls_http_parser *p, const char *b, size_t n, struct uctls_err *err)
{
	struct uctls_http_msg *m = p->msg;
	char num[24];
	char *nb;

	if (m->body_len + n > p->max_body) {
		snprintf(num, sizeof(num), "%zu", p->max_body);
		return fail(p, err, "body longer than %s bytes%s", num, "");
	}
	if (m->body_len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 1024;

		while (cap < m->body_len + n + 1)
			cap *= 2;
		if ((nb = realloc(m->body, cap)) == NULL)
			return uctls_err_set(err, "out of memory");
		m->body = nb;
		p->cap = cap;
	}
	memcpy(m->body + m->body_len, b, n);
	m->body_len += n;
	m->body[m->body_len] = '\0';
	return 0;
}

/* A complete line of the chunked framing in p->line. */
static int
chunk_line(struct uctls_http_parser *p, struct uctls_err *err)
{
	char q[QUOTE_MAX + 4], *end;
	size_t n = p->llen;
	unsigned long long size;

	if (n > 0 && p->line[n - 1] == '\r')
		n--;
	p->line[n] = '\0';
	p->llen = 0;
	if (p->st == P_TRAILER) {
		if (n == 0)
			p->st = P_DONE;
		return 0;
	}
	if (n == 0 || strspn(p->line, "0123456789abcdefABCDEF") == 0 ||
	    strspn(p->line, "0123456789abcdefABCDEF") > 15)
		return fail(p, err, "malformed chunk size `%s'%s", quote(p->line, n, q), "");
	size = strtoull(p->line, &end, 16);
	if (*end != '\0' && *end != ';' && *end != ' ' && *end != '\t')
		return fail(p, err, "malformed chunk size `%s'%s", quote(p->line, n, q), "");
	if (size == 0) {
		p->st = P_TRAILER;
		return 0;
	}
	if (size > p->max_body - p->msg->body_len)
		return fail(p, err, "chunk of %s bytes exceeds the body limit%s",
		            quote(p->line, n, q), "");
	p->want = (size_t)size;
	p->st = P_CHUNK_DATA;
	return 0;
}

/* Bytes of a chunked body: returns how many of N were used, or -1. */
static long
chunked(struct uctls_http_parser *p, const char *b, size_t n, struct uctls_err *err)
{
	size_t k;

	if (p->st == P_CHUNK_DATA) {
		k = n < p->want ? n : p->want;
		if (body_add(p, b, k, err) < 0)
			return -1;
		p->want -= k;
		if (p->want == 0)
			p->st = P_CHUNK_CRLF;
		return (long)k;
	}
	if (p->st == P_CHUNK_CRLF) {
		if (*b == '\r' && p->llen == 0) {
			p->llen = 1;
			return 1;
		}
		if (*b != '\n')
			return fail(p, err, "no line end after a chunk's data%s%s", "", "");
		p->llen = 0;
		p->st = P_CHUNK_SIZE;
		return 1;
	}
	/* P_CHUNK_SIZE, P_TRAILER: a line. */
	if (p->st == P_TRAILER && ++p->trailer > UCTLS_HTTP_MAX_HEAD)
		return fail(p, err, "trailer section longer than the header limit%s%s", "", "");
	if (*b == '\n')
		return chunk_line(p, err) < 0 ? -1 : 1;
	if (p->llen >= CHUNK_LINE_MAX) {
		if (p->st == P_TRAILER)
			return 1; /* a long trailer line: bounded by p->trailer */
		return fail(p, err, "chunk-size line longer than %s bytes%s", "128", "");
	}
	p->line[p->llen++] = *b;
	return 1;
}

int
uctls_http_parser_feed(struct uctls_http_parser *p, const void *buf, size_t len,
                       struct uctls_err *err)
{
	const char *b = buf;
	size_t i = 0, k;
	long used;

	if (p->st == P_FAILED)
		return uctls_err_set(err, "the HTTP stream failed earlier");
	p->total += len;
	while (i < len) {
		switch (p->st) {
		case P_HEAD:
			if (head_byte(p, b[i++], err) < 0)
				return -1;
			break;
		case P_BODY:
			k = len - i < p->want ? len - i : p->want;
			memcpy(p->msg->body + p->msg->body_len, b + i, k);
			p->msg->body_len += k;
			p->msg->body[p->msg->body_len] = '\0';
			p->want -= k;
			i += k;
			if (p->want == 0)
				p->st = P_DONE;
			break;
		case P_CLOSE:
			if (body_add(p, b + i, len - i, err) < 0)
				return -1;
			i = len;
			break;
		case P_CHUNK_SIZE:
		case P_CHUNK_DATA:
		case P_CHUNK_CRLF:
		case P_TRAILER:
			if ((used = chunked(p, b + i, len - i, err)) < 0)
				return -1;
			i += (size_t)used;
			break;
		default: /* P_DONE, P_TAKEN: later bytes are only counted */
			return 0;
		}
	}
	return 0;
}

int
uctls_http_parser_eof(struct uctls_http_parser *p, struct uctls_err *err)
{
	char q[QUOTE_MAX + 4];

	switch (p->st) {
	case P_FAILED:
		return -1;
	case P_CLOSE:
		p->st = P_DONE;
		return 0;
	case P_DONE:
	case P_TAKEN:
		return 0;
	case P_HEAD:
		if (p->bad) {
			uctls_err_set(err, "not an HTTP %s: `%s'", p->requests ? "request" : "response",
			              quote(p->head, p->hlen, q));
			return 1;
		}
		if (p->hlen == 0) {
			uctls_err_set(err, "the connection closed before any HTTP message");
			return 1;
		}
		uctls_err_set(err, "the connection closed inside the header section (after `%s')",
		              quote(p->head, p->hlen, q));
		return 1;
	default:
		uctls_err_set(err, "the connection closed inside the body (%zu bytes received)",
		              p->msg != NULL ? p->msg->body_len : 0);
		return 1;
	}
}

struct uctls_http_msg *
uctls_http_parser_next(struct uctls_http_parser *p)
{
	struct uctls_http_msg *m;

	if (p->st != P_DONE)
		return NULL;
	m = p->msg;
	p->msg = NULL;
	p->st = P_TAKEN;
	return m;
}

/* A field value fit for a header: no CR, LF or NUL. */
static int
clean(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* HEAD (a formatted header section) and the body, as one buffer. */
static char *
join(const char *head, int hn, const void *body, size_t body_len, size_t *len)
{
	char *out;

	if (hn < 0)
		return NULL;
	out = malloc((size_t)hn + body_len + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, head, (size_t)hn);
	if (body_len > 0)
		memcpy(out + hn, body, body_len);
	out[(size_t)hn + body_len] = '\0';
	*len = (size_t)hn + body_len;
	return out;
}

char *
uctls_http_build_request(const struct uctls_http_req *rq, size_t *len)
{
	char head[2048], cl[64] = "", ct[256] = "", acc[256] = "";
	char *out;
	int hn;

	if (!clean(rq->method) || !clean(rq->target) || !clean(rq->host) ||
	    !clean(rq->user_agent) || !clean(rq->accept) || !clean(rq->content_type) ||
	    strchr(rq->target, ' ') != NULL)
		return NULL;
	if (rq->body != NULL)
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", rq->body_len);
	if (rq->content_type != NULL)
		snprintf(ct, sizeof(ct), "Content-Type: %s\r\n", rq->content_type);
	if (rq->accept != NULL)
		snprintf(acc, sizeof(acc), "Accept: %s\r\n", rq->accept);
	hn = snprintf(head, sizeof(head),
	              "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n%sConnection: close\r\n"
	              "%s%s\r\n",
	              rq->method, rq->target, rq->host,
	              rq->user_agent != NULL ? rq->user_agent : "uctls/" PACKAGE_VERSION, acc, ct, cl);
	if (hn >= (int)sizeof(head))
		return NULL;
	out = join(head, hn, rq->body, rq->body != NULL ? rq->body_len : 0, len);
	return out;
}

char *
uctls_http_build_response(int status, const char *content_type, const void *body,
                          size_t body_len, size_t *len)
{
	char head[512], ct[256] = "";
	int hn;

	if (!clean(content_type) || status < 100 || status > 599)
		return NULL;
	if (content_type != NULL)
		snprintf(ct, sizeof(ct), "Content-Type: %s\r\n", content_type);
	hn = snprintf(head, sizeof(head),
	              "HTTP/1.1 %d %s\r\nServer: uctls/" PACKAGE_VERSION "\r\n%s"
	              "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	              status, uctls_http_reason_phrase(status), ct, body != NULL ? body_len : 0);
	if (hn >= (int)sizeof(head))
		return NULL;
	return join(head, hn, body, body != NULL ? body_len : 0, len);
}

int
uctls_http_url(const char *url, char **authority, char **host, char **path, const char **why)
{
	const char *a, *e, *h, *he, *port;
	size_t k;

	*authority = *host = *path = NULL;
	if (strncasecmp(url, "https://", 8) == 0)
		a = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		a = url + 7;
	else
		return *why = "expected a URL beginning https:// (or http://)", -1;
	if (strpbrk(url, " \t\r\n\"<>\\") != NULL)
		return *why = "a URL holds no blanks, quotes or angle brackets", -1;
	e = a + strcspn(a, "/?#");
	if (memchr(a, '@', (size_t)(e - a)) != NULL)
		return *why = "user information (user@) in a URL is not supported", -1;
	h = a;
	if (*a == '[') {
		he = memchr(a, ']', (size_t)(e - a));
		if (he == NULL)
			return *why = "an IPv6 literal without its closing ]", -1;
		h = a + 1;
		port = he + 1;
	} else {
		he = memchr(a, ':', (size_t)(e - a));
		if (he == NULL)
			he = e;
		port = he;
	}
	if (he == h)
		return *why = "no host name after the scheme", -1;
	if (port < e) {
		k = (size_t)(e - port - 1);
		if (*port != ':' || k == 0 || k > 5 || strspn(port + 1, "0123456789") < k ||
		    strtoul(port + 1, NULL, 10) == 0 || strtoul(port + 1, NULL, 10) > 65535)
			return *why = "a port after the host must be a number from 1 to 65535", -1;
	}
	if (*e == '#')
		return *why = "a fragment (#) is not sent in a request", -1;
	*authority = dup_n(a, (size_t)(e - a));
	*host = dup_n(h, (size_t)(he - h));
	if (*e == '?')
		*path = malloc(strlen(e) + 2), *path != NULL ? (void)sprintf(*path, "/%s", e) : (void)0;
	else
		*path = strdup(*e != '\0' ? e : "/");
	if (*authority == NULL || *host == NULL || *path == NULL) {
		free(*authority), free(*host), free(*path);
		*authority = *host = *path = NULL;
		return *why = "out of memory", -1;
	}
	if (strchr(*path, '#') != NULL) {
		free(*authority), free(*host), free(*path);
		*authority = *host = *path = NULL;
		return *why = "a fragment (#) is not sent in a request", -1;
	}
	return 0;
}

const char *
uctls_http_reason_phrase(int status)
{
	static const struct {
		int code;
		const char *phrase;
	} t[] = {
		{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" },
		{ 304, "Not Modified" }, { 307, "Temporary Redirect" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" }, { 421, "Misdirected Request" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == status)
			return t[i].phrase;
	return "Unknown";
}
