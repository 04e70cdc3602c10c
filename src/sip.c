#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip.h"

/* RFC 3261 8.1.1.7: every branch created by an RFC 3261 element starts
 * with this. */
#define MAGIC_COOKIE "z9hG4bK"

/* How much of an offending line an error message quotes. */
#define QUOTE_MAX 96

/* --- character classes (RFC 3261 25.1), locale-independent ------------- */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
 * "'" / "~") */
static int
is_token_char(int c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_token_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Copies N bytes of S into DST for an error message: printable ASCII as is,
 * everything else as \xHH, cut with "..." when longer than DST allows.
 * A peer that speaks TLS or HTTP where SIP is expected sends bytes a person
 * must be able to read in the report. */
static void
quote(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = (c >= 0x20 && c < 0x7f) ? 1 : 4;

		if (o + need + 4 > dstsz) { /* room for "..." and NUL */
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* --- compact header names ------------------------------------------------ */

static const struct {
	char letter;
	const char *name;
} compact_forms[] = {
	/* RFC 3261 7.3.3 and section 20 */
	{ 'c', "Content-Type" },
	{ 'e', "Content-Encoding" },
	{ 'f', "From" },
	{ 'i', "Call-ID" },
	{ 'k', "Supported" },
	{ 'l', "Content-Length" },
	{ 'm', "Contact" },
	{ 's', "Subject" },
	{ 't', "To" },
	{ 'v', "Via" },
	/* registered later (IANA "Header Field Parameters and Parameter Values") */
	{ 'a', "Accept-Contact" },      /* RFC 3841 */
	{ 'b', "Referred-By" },         /* RFC 3892 */
	{ 'd', "Request-Disposition" }, /* RFC 3841 */
	{ 'j', "Reject-Contact" },      /* RFC 3841 */
	{ 'o', "Event" },               /* RFC 6665 */
	{ 'r', "Refer-To" },            /* RFC 3515 */
	{ 'u', "Allow-Events" },        /* RFC 6665 */
	{ 'x', "Session-Expires" },     /* RFC 4028 */
};

/* The full name for a one-letter compact NAME, or NULL.  Header names are
 * case-insensitive (RFC 3261 7.3.1), compact ones included. */
static const char *
expand_compact(const char *name, size_t n)
{
	size_t i;
	char c;

	if (n != 1)
		return NULL;
	c = name[0];
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	for (i = 0; i < sizeof(compact_forms) / sizeof(compact_forms[0]); i++)
		if (compact_forms[i].letter == c)
			return compact_forms[i].name;
	return NULL;
}

/* --- messages ------------------------------------------------------------ */

const char *
uctls_sip_header(const struct uctls_sip_msg *m, const char *name)
{
	const char *full;
	size_t i;

	if (m == NULL || name == NULL)
		return NULL;
	full = expand_compact(name, strlen(name));
	if (full != NULL)
		name = full;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

void
uctls_sip_msg_free(struct uctls_sip_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->method);
	free(m->uri);
	free(m->reason);
	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->body);
	free(m);
}

static int
msg_add_header(struct uctls_sip_msg *m, char *name, char *value)
{
	struct uctls_sip_header *h;

	h = realloc(m->headers, (m->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		return -1;
	m->headers = h;
	h[m->nheaders].name = name;
	h[m->nheaders].value = value;
	m->nheaders++;
	return 0;
}

/* --- start line (RFC 3261 7.1, 7.2) --------------------------------------- */

static int
parse_status_line(const char *s, size_t n, const char *sp, struct uctls_sip_msg *m,
                  struct uctls_err *err)
{
	char q[QUOTE_MAX], code[8];
	const char *end = s + n, *c, *ce;
	int status = 0;

	quote(q, sizeof(q), s, n);
	/* SIP-Version is case-insensitive, sent in upper case (RFC 3261 7.1) */
	if (sp - s != 7 || strncasecmp(s, "SIP/2.0", 7) != 0)
		return uctls_err_set(err, "malformed status line `%s': not SIP/2.0", q);
	if (sp == end)
		return uctls_err_set(err, "malformed status line `%s': no status code", q);
	c = sp + 1;
	for (ce = c; ce < end && *ce != ' '; ce++)
		;
	quote(code, sizeof(code), c, (size_t)(ce - c));
	if (ce == c)
		return uctls_err_set(err, "malformed status line `%s': no status code", q);
	for (; c < ce; c++) {
		if (!is_digit((unsigned char)*c))
			return uctls_err_set(err, "malformed status line `%s': status `%s' is not a number",
			                     q, code);
		if (status < 1000)
			status = status * 10 + (*c - '0');
	}
	/* Status-Code = 3DIGIT, and only 1xx..6xx are defined (RFC 3261 7.2) */
	if (ce - (sp + 1) != 3 || status < 100 || status > 699)
		return uctls_err_set(err, "malformed status line `%s': status %s not in 100..699", q,
		                     code);
	if (m == NULL)
		return 0;
	m->is_request = 0;
	m->status = status;
	/* The reason phrase is free text; tolerate a missing "SP reason". */
	m->reason = ce < end ? dup_n(ce + 1, (size_t)(end - ce - 1)) : dup_n("", 0);
	if (m->reason == NULL)
		return uctls_err_set(err, "out of memory");
	return 0;
}

/* Request-URI = SIP-URI / SIPS-URI / absoluteURI (RFC 3261 25.1): all begin
 * with scheme ":" where scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static int
has_scheme(const char *u, size_t n)
{
	size_t i;

	if (n < 2 || !is_alpha((unsigned char)u[0]))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c == ':')
			return i + 1 < n;
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

static int
parse_request_line(const char *s, size_t n, const char *sp1, struct uctls_sip_msg *m,
                   struct uctls_err *err)
{
	char q[QUOTE_MAX], part[QUOTE_MAX];
	const char *end = s + n, *sp2;

	quote(q, sizeof(q), s, n);
	/* Request-Line = Method SP Request-URI SP SIP-Version CRLF */
	sp2 = sp1 < end ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
	if (sp2 == NULL)
		return uctls_err_set(err,
		                     "malformed request line `%s': expected `Method Request-URI SIP/2.0'",
		                     q);
	if (!has_scheme(sp1 + 1, (size_t)(sp2 - sp1 - 1))) {
		quote(part, sizeof(part), sp1 + 1, (size_t)(sp2 - sp1 - 1));
		return uctls_err_set(err, "malformed request line `%s': Request-URI `%s' has no scheme",
		                     q, part);
	}
	if (end - sp2 - 1 != 7 || strncasecmp(sp2 + 1, "SIP/2.0", 7) != 0) {
		quote(part, sizeof(part), sp2 + 1, (size_t)(end - sp2 - 1));
		return uctls_err_set(err, "malformed request line `%s': version `%s' is not SIP/2.0",
		                     q, part);
	}
	if (m == NULL)
		return 0;
	m->is_request = 1;
	m->method = dup_n(s, (size_t)(sp1 - s));
	m->uri = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	if (m->method == NULL || m->uri == NULL)
		return uctls_err_set(err, "out of memory");
	return 0;
}

/* Checks the start line S (N bytes, no line end) and, when M is not NULL,
 * fills its start-line fields.  A first word with a '/' is a protocol
 * version, so the line is taken for a status line ("HTTP/1.1 200 OK" is a
 * malformed status line); a first word that is a token is a method; anything
 * else is not SIP at all. */
static int
parse_start_line(const char *s, size_t n, struct uctls_sip_msg *m, struct uctls_err *err)
{
	char q[QUOTE_MAX];
	const char *sp;

	sp = memchr(s, ' ', n);
	if (sp == NULL)
		sp = s + n;
	if (memchr(s, '/', (size_t)(sp - s)) != NULL)
		return parse_status_line(s, n, sp, m, err);
	if (is_token(s, (size_t)(sp - s)))
		return parse_request_line(s, n, sp, m, err);
	quote(q, sizeof(q), s, n);
	return uctls_err_set(err, "malformed start line `%s': neither a SIP request nor a response",
	                     q);
}

/* --- header section --------------------------------------------------------- */

/* Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT (RFC 3261
 * 20.14).  Returns the value without leading zeros in DIGITS (pointing into
 * V), or -1. */
static int
content_length_digits(const char *v, const char **digits, size_t *ndigits)
{
	size_t i, n = strlen(v);

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char)v[i]))
			return -1;
	for (i = 0; i + 1 < n && v[i] == '0'; i++)
		;
	*digits = v + i;
	*ndigits = n - i;
	return 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Appends a continuation line to the last header: the line break and the
 * white space around it count as one SP (RFC 3261 7.3.1). */
static int
unfold(struct uctls_sip_msg *m, const char *line, size_t ll)
{
	struct uctls_sip_header *h = &m->headers[m->nheaders - 1];
	size_t old = strlen(h->value);
	char *v;

	trim(&line, &ll);
	if (ll == 0)
		return 0;
	v = realloc(h->value, old + 1 + ll + 1);
	if (v == NULL)
		return -1;
	h->value = v;
	if (old > 0)
		v[old++] = ' ';
	memcpy(v + old, line, ll);
	v[old + ll] = '\0';
	return 0;
}

static int
parse_header_line(struct uctls_sip_msg *m, const char *line, size_t ll, struct uctls_err *err)
{
	char q[QUOTE_MAX];
	const char *colon, *name, *value, *full;
	size_t nl, vl;
	char *n = NULL, *v = NULL;

	colon = memchr(line, ':', ll);
	if (colon == NULL) {
		quote(q, sizeof(q), line, ll);
		return uctls_err_set(err, "malformed header line `%s': no colon", q);
	}
	/* header = name HCOLON value; HCOLON = *( SP / HTAB ) ":" SWS */
	name = line;
	nl = (size_t)(colon - line);
	while (nl > 0 && is_wsp((unsigned char)name[nl - 1]))
		nl--;
	if (!is_token(name, nl)) {
		quote(q, sizeof(q), line, ll);
		return uctls_err_set(err, "malformed header line `%s': bad header name", q);
	}
	value = colon + 1;
	vl = (size_t)(line + ll - value);
	trim(&value, &vl);
	full = expand_compact(name, nl);
	n = full != NULL ? dup_n(full, strlen(full)) : dup_n(name, nl);
	v = dup_n(value, vl);
	if (n == NULL || v == NULL || msg_add_header(m, n, v) < 0) {
		free(n);
		free(v);
		return uctls_err_set(err, "out of memory");
	}
	return 0;
}

/* Parses the header section H (N bytes: start line through the empty line,
 * every line ending in LF) into a new message and finds the body length. */
static int
parse_head(const char *h, size_t n, struct uctls_sip_msg **out, size_t *body_len,
           struct uctls_err *err)
{
	struct uctls_sip_msg *m;
	char q[QUOTE_MAX], q2[QUOTE_MAX];
	const char *cl = NULL, *d, *cld = NULL;
	size_t pos = 0, i, nd, ncld = 0;
	int first = 1, rv = -1;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	while (pos < n) {
		const char *line = h + pos, *nl = memchr(line, '\n', n - pos);
		size_t ll = (size_t)(nl - line);

		pos += ll + 1;
		/* CRLF ends a line; a bare LF is tolerated (RFC 3261 7 asks for
		 * CRLF, but lenient parsers are the norm) */
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break; /* the empty line: end of the headers */
		if (memchr(line, '\r', ll) != NULL || memchr(line, '\0', ll) != NULL) {
			quote(q, sizeof(q), line, ll);
			uctls_err_set(err, "bare CR or NUL in line `%s'", q);
			goto out;
		}
		if (first) {
			if (parse_start_line(line, ll, m, err) < 0)
				goto out;
			first = 0;
		} else if (is_wsp((unsigned char)line[0])) {
			if (m->nheaders == 0) {
				quote(q, sizeof(q), line, ll);
				uctls_err_set(err, "continuation line `%s' before any header", q);
				goto out;
			}
			if (unfold(m, line, ll) < 0) {
				uctls_err_set(err, "out of memory");
				goto out;
			}
		} else if (parse_header_line(m, line, ll, err) < 0) {
			goto out;
		}
	}

	/* Content-Length is mandatory on a stream (RFC 3261 18.3, 20.14): it is
	 * the only way to find where the message ends. */
	for (i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, "Content-Length") != 0)
			continue;
		if (content_length_digits(m->headers[i].value, &d, &nd) < 0) {
			quote(q, sizeof(q), m->headers[i].value, strlen(m->headers[i].value));
			uctls_err_set(err, "bad Content-Length `%s'", q);
			goto out;
		}
		/* two different lengths make the framing ambiguous */
		if (cl != NULL && (nd != ncld || memcmp(d, cld, nd) != 0)) {
			quote(q, sizeof(q), cl, strlen(cl));
			quote(q2, sizeof(q2), m->headers[i].value, strlen(m->headers[i].value));
			uctls_err_set(err, "conflicting Content-Length `%s' and `%s'", q, q2);
			goto out;
		}
		cl = m->headers[i].value;
		cld = d;
		ncld = nd;
	}
	if (cl == NULL) {
		uctls_err_set(err, "missing Content-Length (mandatory on a stream, RFC 3261 20.14)");
		goto out;
	}
	/* more than 6 significant digits is over the limit: no overflow */
	*body_len = 0;
	for (i = 0; i < ncld && i < 7; i++)
		*body_len = *body_len * 10 + (size_t)(cld[i] - '0');
	if (ncld > 6 || *body_len > UCTLS_SIP_MAX_BODY) {
		quote(q, sizeof(q), cld, ncld);
		uctls_err_set(err, "body of %s bytes exceeds %d", q, UCTLS_SIP_MAX_BODY);
		goto out;
	}
	*out = m;
	m = NULL;
	rv = 0;
out:
	uctls_sip_msg_free(m);
	return rv;
}

/* --- the parser ------------------------------------------------------------- */

struct uctls_sip_parser {
	char *buf;      /* bytes received; [start, len) not yet consumed */
	size_t start;
	size_t len;
	size_t cap;
	/* While looking for the end of a header section, relative to start:
	 * where the current line begins, and how far LF was searched for, so
	 * that a message fed one byte at a time is scanned once. */
	size_t line;
	size_t seen;
	struct uctls_sip_msg *pending; /* headers parsed, body not all here */
	size_t body_len;
	struct uctls_sip_msg **queue;  /* complete messages, [qhead, qlen) */
	size_t qhead;
	size_t qlen;
	size_t qcap;
	unsigned keepalives;
	int failed;
	char errmsg[UCTLS_ERR_MAX];
};

struct uctls_sip_parser *
uctls_sip_parser_new(void)
{
	return calloc(1, sizeof(struct uctls_sip_parser));
}

static void
drop_messages(struct uctls_sip_parser *p)
{
	size_t i;

	for (i = p->qhead; i < p->qlen; i++)
		uctls_sip_msg_free(p->queue[i]);
	p->qhead = p->qlen = 0;
	uctls_sip_msg_free(p->pending);
	p->pending = NULL;
}

void
uctls_sip_parser_free(struct uctls_sip_parser *p)
{
	if (p == NULL)
		return;
	drop_messages(p);
	free(p->queue);
	free(p->buf);
	free(p);
}

unsigned
uctls_sip_parser_keepalives(const struct uctls_sip_parser *p)
{
	return p->keepalives;
}

struct uctls_sip_msg *
uctls_sip_parser_next(struct uctls_sip_parser *p)
{
	struct uctls_sip_msg *m;

	if (p->failed || p->qhead == p->qlen)
		return NULL;
	m = p->queue[p->qhead++];
	if (p->qhead == p->qlen)
		p->qhead = p->qlen = 0;
	return m;
}

static int
append(struct uctls_sip_parser *p, const void *buf, size_t len)
{
	size_t need, cap;
	char *b;

	if (len == 0)
		return 0;
	if (p->len + len > p->cap && p->start > 0) {
		/* reclaim consumed bytes before growing */
		memmove(p->buf, p->buf + p->start, p->len - p->start);
		p->len -= p->start;
		p->start = 0;
	}
	need = p->len + len;
	if (need > p->cap) {
		for (cap = p->cap ? p->cap : 4096; cap < need; cap *= 2)
			;
		b = realloc(p->buf, cap);
		if (b == NULL)
			return -1;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, buf, len);
	p->len += len;
	return 0;
}

static int
enqueue(struct uctls_sip_parser *p, struct uctls_sip_msg *m)
{
	struct uctls_sip_msg **q;
	size_t cap;

	if (p->qlen == p->qcap) {
		cap = p->qcap ? p->qcap * 2 : 4;
		q = realloc(p->queue, cap * sizeof(*q));
		if (q == NULL)
			return -1;
		p->queue = q;
		p->qcap = cap;
	}
	p->queue[p->qlen++] = m;
	return 0;
}

/* Skips keep-alives and looks for a complete header section.  Returns 1
 * with p->pending set, 0 when more bytes are needed, or -1. */
static int
find_head(struct uctls_sip_parser *p, struct uctls_err *err)
{
	const char *s, *nl;
	size_t avail, e, ce, hlen;

	if (p->seen == 0) {
		/* Nothing of a start line yet: CRLFs here are keep-alives (RFC
		 * 5626 3.5.1; RFC 3261 7.5 asks to ignore CRLFs before a start
		 * line).  Each CRLF (or bare LF) counts once. */
		while (p->start < p->len) {
			char c = p->buf[p->start];

			if (c == '\n') {
				p->start++;
			} else if (c == '\r') {
				if (p->start + 1 == p->len)
					return 0; /* CR of a CRLF still to come */
				if (p->buf[p->start + 1] != '\n')
					break;
				p->start += 2;
			} else {
				break;
			}
			p->keepalives++;
		}
		if (p->start == p->len)
			return 0;
		/* Methods and "SIP/2.0" both start with a token character: fail
		 * at once on, say, a TLS record instead of buffering 16 KiB. */
		if (!is_token_char((unsigned char)p->buf[p->start])) {
			s = p->buf + p->start;
			avail = p->len - p->start;
			nl = memchr(s, '\n', avail);
			return parse_start_line(s, nl != NULL ? (size_t)(nl - s) : avail, NULL, err);
		}
	}
	s = p->buf + p->start;
	avail = p->len - p->start;
	while (p->seen < avail) {
		nl = memchr(s + p->seen, '\n', avail - p->seen);
		if (nl == NULL) {
			p->seen = avail;
			break;
		}
		e = (size_t)(nl - s);
		ce = e > p->line && s[e - 1] == '\r' ? e - 1 : e;
		if (p->line == 0) {
			/* check the start line as soon as it is complete */
			if (parse_start_line(s, ce, NULL, err) < 0)
				return -1;
		} else if (ce == p->line) {
			hlen = e + 1;
			if (hlen > UCTLS_SIP_MAX_HEADERS)
				return uctls_err_set(err, "headers longer than %d bytes",
				                     UCTLS_SIP_MAX_HEADERS);
			if (parse_head(s, hlen, &p->pending, &p->body_len, err) < 0)
				return -1;
			p->start += hlen;
			p->line = p->seen = 0;
			return 1;
		}
		p->line = p->seen = e + 1;
	}
	if (avail > UCTLS_SIP_MAX_HEADERS)
		return uctls_err_set(err, "headers longer than %d bytes", UCTLS_SIP_MAX_HEADERS);
	return 0;
}

static int
parse_buffered(struct uctls_sip_parser *p, struct uctls_err *err)
{
	struct uctls_sip_msg *m;
	int r;

	for (;;) {
		if (p->pending == NULL) {
			r = find_head(p, err);
			if (r <= 0)
				return r;
		}
		if (p->len - p->start < p->body_len)
			return 0;
		m = p->pending;
		m->body = dup_n(p->buf + p->start, p->body_len);
		if (m->body == NULL)
			return uctls_err_set(err, "out of memory");
		m->body_len = p->body_len;
		if (enqueue(p, m) < 0)
			return uctls_err_set(err, "out of memory");
		p->pending = NULL;
		p->start += p->body_len;
		p->body_len = 0;
	}
}

int
uctls_sip_parser_feed(struct uctls_sip_parser *p, const void *buf, size_t len,
                      struct uctls_err *err)
{
	struct uctls_err e;

	/* A stream that broke framing once cannot be resynchronised. */
	if (p->failed)
		return uctls_err_set(err, "%s", p->errmsg);
	uctls_err_clear(&e);
	if (append(p, buf, len) < 0)
		uctls_err_set(&e, "out of memory");
	else if (parse_buffered(p, &e) == 0)
		return 0;
	p->failed = 1;
	snprintf(p->errmsg, sizeof(p->errmsg), "%s", e.msg);
	drop_messages(p);
	return uctls_err_set(err, "%s", p->errmsg);
}

/* --- builders --------------------------------------------------------------- */

struct sbuf {
	char *s;
	size_t len;
	size_t cap;
	int oom;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *s;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 512; cap < b->len + (size_t)n + 1; cap *= 2)
			;
		s = realloc(b->s, cap);
		if (s == NULL) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static char *
sb_finish(struct sbuf *b)
{
	if (b->oom || b->s == NULL) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* A value that would break the framing of what is built. */
static int
bad_field(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") != NULL;
}

char *
uctls_sip_build_request(const struct uctls_sip_req_params *rp)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	const char *ua, *cookie;
	int sips;

	if (rp == NULL || bad_field(rp->method) || !is_token(rp->method, strlen(rp->method)) ||
	    bad_field(rp->request_uri) || strpbrk(rp->request_uri, " \t") != NULL ||
	    bad_field(rp->from_uri) || bad_field(rp->to_uri) || bad_field(rp->via_host) ||
	    bad_field(rp->call_id) || bad_field(rp->branch) || bad_field(rp->from_tag) ||
	    (rp->user_agent != NULL && bad_field(rp->user_agent)))
		return NULL;
	ua = rp->user_agent != NULL ? rp->user_agent : "uctls/" PACKAGE_VERSION;
	/* RFC 3261 8.1.1.7: the branch starts with the magic cookie */
	cookie = strncmp(rp->branch, MAGIC_COOKIE, strlen(MAGIC_COOKIE)) == 0 ? "" : MAGIC_COOKIE;
	/* RFC 3261 8.1.1.8: a SIPS Request-URI needs a SIPS Contact */
	sips = strncasecmp(rp->request_uri, "sips:", 5) == 0;

	sb_printf(&b, "%s %s SIP/2.0\r\n", rp->method, rp->request_uri);
	sb_printf(&b, "Via: SIP/2.0/TLS %s;branch=%s%s\r\n", rp->via_host, cookie, rp->branch);
	sb_printf(&b, "Max-Forwards: 70\r\n");
	/* name-addr form: URI parameters such as ;transport=tls would
	 * otherwise become header parameters (RFC 3261 20.10) */
	sb_printf(&b, "From: <%s>;tag=%s\r\n", rp->from_uri, rp->from_tag);
	sb_printf(&b, "To: <%s>\r\n", rp->to_uri);
	sb_printf(&b, "Call-ID: %s\r\n", rp->call_id);
	sb_printf(&b, "CSeq: %u %s\r\n", rp->cseq, rp->method);
	if (sips)
		sb_printf(&b, "Contact: <sips:%s>\r\n", rp->via_host);
	else
		sb_printf(&b, "Contact: <sip:%s;transport=tls>\r\n", rp->via_host);
	sb_printf(&b, "User-Agent: %s\r\n", ua);
	sb_printf(&b, "Content-Length: 0\r\n\r\n");
	return sb_finish(&b);
}

/* Whether the From/To value V carries a tag parameter.  Parameters follow
 * the '>' of a name-addr, or the URI itself in addr-spec form (RFC 3261
 * 20.10); a quoted display name may hold '<' or ';'. */
static int
has_tag(const char *v)
{
	const char *p = v, *params = NULL, *end, *eq;
	int inq = 0;
	size_t n;

	for (; *p != '\0'; p++) {
		if (inq) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				inq = 0;
		} else if (*p == '"') {
			inq = 1;
		} else if (*p == '<') {
			params = strchr(p, '>');
			break;
		} else if (*p == ';') {
			params = p;
			break;
		}
	}
	if (params == NULL)
		return 0;
	for (p = strchr(params, ';'); p != NULL; p = strchr(p + 1, ';')) {
		const char *name = p + 1;

		end = strchr(name, ';');
		n = end != NULL ? (size_t)(end - name) : strlen(name);
		eq = memchr(name, '=', n);
		if (eq != NULL)
			n = (size_t)(eq - name);
		trim(&name, &n);
		if (n == 3 && strncasecmp(name, "tag", 3) == 0)
			return 1;
	}
	return 0;
}

char *
uctls_sip_build_response(const struct uctls_sip_msg *req, int status, const char *reason,
                         const char *to_tag)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	const char *v;
	size_t i;

	if (req == NULL || !req->is_request || req->method == NULL || status < 100 ||
	    status > 699)
		return NULL;
	if (reason == NULL)
		reason = uctls_sip_reason_phrase(status);
	if (bad_field(reason) || (to_tag != NULL && bad_field(to_tag)))
		return NULL;

	sb_printf(&b, "SIP/2.0 %d %s\r\n", status, reason);
	/* RFC 3261 8.2.6.2: every Via, in order (names were expanded and
	 * values unfolded by the parser) */
	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, "Via") == 0)
			sb_printf(&b, "Via: %s\r\n", req->headers[i].value);
	if ((v = uctls_sip_header(req, "From")) != NULL)
		sb_printf(&b, "From: %s\r\n", v);
	if ((v = uctls_sip_header(req, "To")) != NULL)
		sb_printf(&b, "To: %s%s%s\r\n", v, to_tag != NULL && !has_tag(v) ? ";tag=" : "",
		          to_tag != NULL && !has_tag(v) ? to_tag : "");
	if ((v = uctls_sip_header(req, "Call-ID")) != NULL)
		sb_printf(&b, "Call-ID: %s\r\n", v);
	if ((v = uctls_sip_header(req, "CSeq")) != NULL)
		sb_printf(&b, "CSeq: %s\r\n", v);
	/* RFC 3261 11.2: a 2xx to OPTIONS says what the UA supports; method
	 * names are case-sensitive (7.1) */
	if (status >= 200 && status < 300 && strcmp(req->method, "OPTIONS") == 0) {
		sb_printf(&b, "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n");
		sb_printf(&b, "Accept: application/sdp\r\n");
	}
	sb_printf(&b, "Content-Length: 0\r\n\r\n");
	return sb_finish(&b);
}

/* RFC 3261 section 21 */
static const struct {
	int status;
	const char *phrase;
} reasons[] = {
	{ 100, "Trying" },
	{ 180, "Ringing" },
	{ 181, "Call Is Being Forwarded" },
	{ 182, "Queued" },
	{ 183, "Session Progress" },
	{ 200, "OK" },
	{ 300, "Multiple Choices" },
	{ 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" },
	{ 305, "Use Proxy" },
	{ 380, "Alternative Service" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" },
	{ 410, "Gone" },
	{ 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" },
	{ 420, "Bad Extension" },
	{ 421, "Extension Required" },
	{ 423, "Interval Too Brief" },
	{ 480, "Temporarily Unavailable" },
	{ 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" },
	{ 483, "Too Many Hops" },
	{ 484, "Address Incomplete" },
	{ 485, "Ambiguous" },
	{ 486, "Busy Here" },
	{ 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" },
	{ 491, "Request Pending" },
	{ 493, "Undecipherable" },
	{ 500, "Server Internal Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Server Time-out" },
	{ 505, "Version Not Supported" },
	{ 513, "Message Too Large" },
	{ 600, "Busy Everywhere" },
	{ 603, "Decline" },
	{ 604, "Does Not Exist Anywhere" },
	{ 606, "Not Acceptable" },
};

const char *
uctls_sip_reason_phrase(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].phrase;
	return "Unknown";
}
