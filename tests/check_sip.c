/* SIP framing: each parse row is a byte stream and either the messages it
 * holds, rendered one line per field, or the error uctls must name.  Every
 * parse row is fed three ways (whole, one byte at a time, 5-byte chunks) and
 * must give the same result.  Builder rows are exact bytes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "sip.h"

/* --- helpers ---------------------------------------------------------------- */

/* S with every "@PAD@" replaced by PAD 'a's (malloc'd). */
static char *
expand(const char *s, size_t pad)
{
	const char *p;
	size_t n = 0, o = 0;
	char *out;

	for (p = s; (p = strstr(p, "@PAD@")) != NULL; p += 5)
		n++;
	out = malloc(strlen(s) + n * pad + 1);
	ck_assert_ptr_nonnull(out);
	while (*s != '\0') {
		if (strncmp(s, "@PAD@", 5) == 0) {
			memset(out + o, 'a', pad);
			o += pad;
			s += 5;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Appends one line per field of M to OUT: "> METHOD URI" or "< STATUS
 * REASON", "Name: value" per header, "[LEN]BODY". */
static void
render(char **out, size_t *len, const struct uctls_sip_msg *m)
{
	FILE *f;
	size_t i;
	char *s = NULL;
	size_t n = 0;

	f = open_memstream(&s, &n);
	ck_assert_ptr_nonnull(f);
	fputs(*out, f);
	if (m->is_request) {
		ck_assert_int_eq(m->status, 0);
		ck_assert_ptr_null(m->reason);
		fprintf(f, "> %s %s\n", m->method, m->uri);
	} else {
		ck_assert_ptr_null(m->method);
		ck_assert_ptr_null(m->uri);
		fprintf(f, "< %d %s\n", m->status, m->reason);
	}
	for (i = 0; i < m->nheaders; i++)
		fprintf(f, "%s: %s\n", m->headers[i].name, m->headers[i].value);
	ck_assert_ptr_nonnull(m->body);
	ck_assert_int_eq(m->body[m->body_len], '\0');
	fprintf(f, "[%zu]", m->body_len);
	fwrite(m->body, 1, m->body_len, f);
	fputc('\n', f);
	fclose(f);
	free(*out);
	*out = s;
	*len = n;
}

static const char *const good_msg = "OPTIONS sip:z SIP/2.0\r\nContent-Length: 0\r\n\r\n";

/* --- parsing ------------------------------------------------------------------ */

struct parse_row {
	const char *in;     /* bytes; "@PAD@" stands for PAD 'a's */
	size_t pad;
	const char *want;   /* rendering of every message (render()), or NULL */
	unsigned keepalives;
	const char *err_has; /* NULL: no error; else a substring of the message */
};

/* header section of "OPTIONS sip:a SIP/2.0\r\nX-Pad: \r\nContent-Length: 0\r\n\r\n" */
#define PAD_HEAD_FIXED 53

static const struct parse_row parse_rows[] = {
	/* a 200 OK */
	{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS a.example.com:5061;branch=z9hG4bK1\r\n"
	  "From: <sip:a.example.com>;tag=1\r\nTo: <sip:b.example.com>;tag=2\r\nCall-ID: c1\r\n"
	  "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", 0,
	  "< 200 OK\nVia: SIP/2.0/TLS a.example.com:5061;branch=z9hG4bK1\n"
	  "From: <sip:a.example.com>;tag=1\nTo: <sip:b.example.com>;tag=2\nCall-ID: c1\n"
	  "CSeq: 1 OPTIONS\nContent-Length: 0\n[0]\n", 0, NULL },
	/* a request; white space around values is trimmed */
	{ "OPTIONS sip:b.example.com;transport=tls SIP/2.0\r\nMax-Forwards:70\r\n"
	  "Call-ID :  x y \r\nContent-Length: 0\r\n\r\n", 0,
	  "> OPTIONS sip:b.example.com;transport=tls\nMax-Forwards: 70\nCall-ID: x y\n"
	  "Content-Length: 0\n[0]\n", 0, NULL },
	/* folded headers become one SP (RFC 3261 7.3.1, its own example) */
	{ "OPTIONS sip:b SIP/2.0\r\nSubject: I know you're there,\r\n"
	  "         pick up the phone\r\n\t and talk to me!\r\n"
	  "Via: SIP/2.0/TLS a\r\n ;branch=z9hG4bK2\r\nContent-Length: 0\r\n\r\n", 0,
	  "> OPTIONS sip:b\nSubject: I know you're there, pick up the phone and talk to me!\n"
	  "Via: SIP/2.0/TLS a ;branch=z9hG4bK2\nContent-Length: 0\n[0]\n", 0, NULL },
	/* compact forms expanded (RFC 3261 7.3.3), either case */
	{ "OPTIONS sip:b SIP/2.0\r\nv: SIP/2.0/TLS a;branch=z9hG4bK3\r\ni: cid\r\nf: <sip:a>;tag=9\r\n"
	  "t: <sip:b>\r\nm: <sip:a>\r\nk: path\r\nL: 2\r\n\r\nhi", 0,
	  "> OPTIONS sip:b\nVia: SIP/2.0/TLS a;branch=z9hG4bK3\nCall-ID: cid\nFrom: <sip:a>;tag=9\n"
	  "To: <sip:b>\nContact: <sip:a>\nSupported: path\nContent-Length: 2\n[2]hi\n", 0, NULL },
	/* header names otherwise kept as received */
	{ "OPTIONS sip:b SIP/2.0\r\ncOnTeNt-LeNgTh: 0\r\nX-Thing: 1\r\n\r\n", 0,
	  "> OPTIONS sip:b\ncOnTeNt-LeNgTh: 0\nX-Thing: 1\n[0]\n", 0, NULL },
	/* a keep-alive ping (CRLFCRLF) before a message: two CRLFs skipped */
	{ "\r\n\r\nOPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n", 0,
	  "> OPTIONS sip:b\nContent-Length: 0\n[0]\n", 2, NULL },
	/* keep-alives alone: counted, no message */
	{ "\r\n\r\n\r\n", 0, "", 3, NULL },
	/* two messages in one feed, a pong between and a ping after */
	{ "OPTIONS sip:b SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n\r\n"
	  "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n", 0,
	  "> OPTIONS sip:b\nCSeq: 1 OPTIONS\nContent-Length: 0\n[0]\n"
	  "< 200 OK\nCSeq: 1 OPTIONS\nContent-Length: 3\n[3]abc\n", 3, NULL },
	/* a body is exactly Content-Length bytes, blank lines in it included */
	{ "MESSAGE sip:b SIP/2.0\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\n"
	  "a\r\n\r\nb\r\nSIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n", 0,
	  "> MESSAGE sip:b\nContent-Type: text/plain\nContent-Length: 8\n[8]a\r\n\r\nb\r\n\n"
	  "< 100 Trying\nContent-Length: 0\n[0]\n", 0, NULL },
	/* bare LF line ends, and a bare LF keep-alive */
	{ "\nINFO sip:b SIP/2.0\nVia: SIP/2.0/TLS a\n folded\nContent-Length: 3\n\nx\ny", 0,
	  "> INFO sip:b\nVia: SIP/2.0/TLS a folded\nContent-Length: 3\n[3]x\ny\n", 1, NULL },
	/* status 100 and 699 are the bounds; the version is case-insensitive;
	 * leading zeros and a repeated equal Content-Length are fine */
	{ "sip/2.0 699 Whatever it is\r\nContent-Length: 0\r\n\r\n"
	  "SIP/2.0 100 \r\nContent-Length: 001\r\nl: 1\r\n\r\nz", 0,
	  "< 699 Whatever it is\nContent-Length: 0\n[0]\n< 100 \nContent-Length: 001\n"
	  "Content-Length: 1\n[1]z\n", 0, NULL },
	/* an incomplete header section or body is not a message yet */
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n", 0, "", 0, NULL },
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 4\r\n\r\nabc", 0, "", 0, NULL },
	/* headers of exactly 16384 bytes */
	{ "OPTIONS sip:a SIP/2.0\r\nX-Pad: @PAD@\r\nContent-Length: 0\r\n\r\n",
	  UCTLS_SIP_MAX_HEADERS - PAD_HEAD_FIXED,
	  "> OPTIONS sip:a\nX-Pad: @PAD@\nContent-Length: 0\n[0]\n", 0, NULL },
	/* a body of exactly 65536 bytes */
	{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 65536\r\n\r\n@PAD@", UCTLS_SIP_MAX_BODY,
	  "> OPTIONS sip:a\nContent-Length: 65536\n[65536]@PAD@\n", 0, NULL },

	/* errors */
	/* an HTTP server where SIP was expected */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, NULL, 0,
	  "malformed status line `HTTP/1.1 200 OK': not SIP/2.0" },
	/* an HTTP request */
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, NULL, 0,
	  "malformed request line `GET / HTTP/1.1': Request-URI `/' has no scheme" },
	/* a SIP version this parser does not speak */
	{ "OPTIONS sip:b SIP/3.0\r\n", 0, NULL, 0,
	  "malformed request line `OPTIONS sip:b SIP/3.0': version `SIP/3.0' is not SIP/2.0" },
	{ "SIP/2.1 200 OK\r\n", 0, NULL, 0, "malformed status line `SIP/2.1 200 OK': not SIP/2.0" },
	/* a Request-URI without a scheme */
	{ "OPTIONS b.example.com SIP/2.0\r\n", 0, NULL, 0,
	  "Request-URI `b.example.com' has no scheme" },
	/* a request line with two words */
	{ "OPTIONS sip:b\r\n", 0, NULL, 0,
	  "malformed request line `OPTIONS sip:b': expected `Method Request-URI SIP/2.0'" },
	/* status codes out of range, or not numbers */
	{ "SIP/2.0 99 Too Low\r\nContent-Length: 0\r\n\r\n", 0, NULL, 0,
	  "malformed status line `SIP/2.0 99 Too Low': status 99 not in 100..699" },
	{ "SIP/2.0 700 Too High\r\nContent-Length: 0\r\n\r\n", 0, NULL, 0,
	  "status 700 not in 100..699" },
	{ "SIP/2.0 2OO OK\r\n", 0, NULL, 0, "status `2OO' is not a number" },
	/* Status-Code is exactly 3 digits (RFC 3261 25.1): `0200' is not 200 */
	{ "SIP/2.0 0200 OK\r\nContent-Length: 0\r\n\r\n", 0, NULL, 0,
	  "malformed status line `SIP/2.0 0200 OK': status 0200 not in 100..699" },
	{ "SIP/2.0\r\n", 0, NULL, 0, "malformed status line `SIP/2.0': no status code" },
	/* a TLS ClientHello on a plain stream: caught at its first byte */
	{ "\x16\x03\x01\x02\x05\x01\x03", 0, NULL, 0,
	  "malformed start line `\\x16" },
	/* garbage words */
	{ "hello world\r\n", 0, NULL, 0, "malformed request line `hello world'" },
	/* a method that is not a token */
	{ "OPT(ONS sip:b SIP/2.0\r\n", 0, NULL, 0, "malformed start line `OPT(ONS sip:b SIP/2.0'" },
	/* a stray CR after keep-alives */
	{ "\r\n\rX", 0, NULL, 0, "malformed start line `\\x0dX'" },
	/* no Content-Length (RFC 3261 20.14: mandatory on a stream) */
	{ "OPTIONS sip:b SIP/2.0\r\nCall-ID: x\r\n\r\n", 0, NULL, 0, "missing Content-Length" },
	/* Content-Length negative, garbage, empty, conflicting */
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: -5\r\n\r\n", 0, NULL, 0,
	  "bad Content-Length `-5'" },
	{ "OPTIONS sip:b SIP/2.0\r\nl: 12abc\r\n\r\n", 0, NULL, 0, "bad Content-Length `12abc'" },
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length:\r\n\r\n", 0, NULL, 0, "bad Content-Length `'" },
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab", 0, NULL, 0,
	  "conflicting Content-Length `1' and `2'" },
	/* headers one byte over the limit */
	{ "OPTIONS sip:a SIP/2.0\r\nX-Pad: @PAD@\r\nContent-Length: 0\r\n\r\n",
	  UCTLS_SIP_MAX_HEADERS - PAD_HEAD_FIXED + 1, NULL, 0, "headers longer than 16384 bytes" },
	/* headers that never end */
	{ "OPTIONS sip:a SIP/2.0\r\nX-Pad: @PAD@", 20000, NULL, 0,
	  "headers longer than 16384 bytes" },
	/* bodies over the limit, one absurdly */
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 70000\r\n\r\n", 0, NULL, 0,
	  "body of 70000 bytes exceeds 65536" },
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 65537\r\n\r\n", 0, NULL, 0,
	  "body of 65537 bytes exceeds 65536" },
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 000099999999999999999999999\r\n\r\n", 0, NULL, 0,
	  "body of 99999999999999999999999 bytes exceeds 65536" },
	/* malformed header lines */
	{ "OPTIONS sip:b SIP/2.0\r\nVia SIP/2.0/TLS a\r\n\r\n", 0, NULL, 0,
	  "malformed header line `Via SIP/2.0/TLS a': no colon" },
	{ "OPTIONS sip:b SIP/2.0\r\nBad Name: x\r\n\r\n", 0, NULL, 0,
	  "malformed header line `Bad Name: x': bad header name" },
	{ "OPTIONS sip:b SIP/2.0\r\n folded: x\r\n\r\n", 0, NULL, 0,
	  "continuation line ` folded: x' before any header" },
	{ "OPTIONS sip:b SIP/2.0\r\nCall-ID: a\rb\r\nContent-Length: 0\r\n\r\n", 0, NULL, 0,
	  "bare CR or NUL in line `Call-ID: a\\x0db'" },
	/* a good message before the error is dropped with the stream */
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\nHTTP/1.1 400 Bad\r\n", 0, NULL, 0,
	  "malformed status line `HTTP/1.1 400 Bad'" },
};

#define NPARSE (sizeof(parse_rows) / sizeof(parse_rows[0]))
static const size_t chunk_sizes[] = { 0 /* whole */, 1, 5 };
#define NCHUNK (sizeof(chunk_sizes) / sizeof(chunk_sizes[0]))

START_TEST(test_parse_row)
{
	const struct parse_row *r = &parse_rows[_i / NCHUNK];
	size_t chunk = chunk_sizes[_i % NCHUNK];
	struct uctls_sip_parser *p;
	struct uctls_sip_msg *m;
	struct uctls_err err;
	char *in, *want = NULL, *got;
	size_t n, off, k, glen = 0;
	int rv = 0;

	in = expand(r->in, r->pad);
	n = strlen(in);
	if (chunk == 0)
		chunk = n;
	p = uctls_sip_parser_new();
	ck_assert_ptr_nonnull(p);
	uctls_err_clear(&err);
	got = calloc(1, 1);
	ck_assert_ptr_nonnull(got);
	/* feed, taking messages out as they complete */
	for (off = 0; off < n && rv == 0; off += k) {
		k = n - off < chunk ? n - off : chunk;
		rv = uctls_sip_parser_feed(p, in + off, k, &err);
		while ((m = uctls_sip_parser_next(p)) != NULL) {
			render(&got, &glen, m);
			uctls_sip_msg_free(m);
		}
	}
	if (r->err_has == NULL) {
		ck_assert_msg(rv == 0, "row %d: unexpected error: %s", _i / (int)NCHUNK, err.msg);
		want = expand(r->want, r->pad);
		/* messages can be 64 KiB: print the start of what differs */
		ck_assert_msg(strcmp(got, want) == 0, "row %d: got\n%.1000s\nwant\n%.1000s",
		              _i / (int)NCHUNK, got, want);
		ck_assert_uint_eq(uctls_sip_parser_keepalives(p), r->keepalives);
	} else {
		char first[UCTLS_ERR_MAX];

		ck_assert_msg(rv == -1, "row %d: no error, parsed:\n%.1000s", _i / (int)NCHUNK,
		              got);
		ck_assert_int_eq(err.set, 1);
		ck_assert_msg(strstr(err.msg, r->err_has) != NULL, "row %d: `%s' lacks `%s'",
		              _i / (int)NCHUNK, err.msg, r->err_has);
		/* fed whole, nothing is handed out once the stream failed */
		if (chunk == n)
			ck_assert_msg(got[0] == '\0', "row %d: parsed %.1000s", _i / (int)NCHUNK, got);
		/* the parser stays failed, with the same message */
		strcpy(first, err.msg);
		uctls_err_clear(&err);
		ck_assert_int_eq(uctls_sip_parser_feed(p, good_msg, strlen(good_msg), &err), -1);
		ck_assert_str_eq(err.msg, first);
		ck_assert_ptr_null(uctls_sip_parser_next(p));
	}
	free(got);
	free(want);
	free(in);
	uctls_sip_parser_free(p);
}
END_TEST

/* --- header lookup ----------------------------------------------------------- */

static const struct {
	const char *query;
	const char *want; /* NULL: absent */
} lookup_rows[] = {
	/* compact query finds the full name */
	{ "l", "4" },
	{ "I", "cid" },
	/* case-insensitive, first of several */
	{ "CONTENT-LENGTH", "4" },
	{ "via", "SIP/2.0/TLS first" },
	/* received compact, asked for in full */
	{ "From", "<sip:a>;tag=1" },
	/* absent, and not a compact form */
	{ "Subject", NULL },
	{ "q", NULL },
};

static const char lookup_msg[] =
	"OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS first\r\nv: SIP/2.0/TLS second\r\n"
	"call-id: cid\r\nf: <sip:a>;tag=1\r\nl: 4\r\n\r\nbody";

START_TEST(test_lookup_row)
{
	struct uctls_sip_parser *p = uctls_sip_parser_new();
	struct uctls_sip_msg *m;
	struct uctls_err err;
	const char *v;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_sip_parser_feed(p, lookup_msg, strlen(lookup_msg), &err), 0);
	m = uctls_sip_parser_next(p);
	ck_assert_ptr_nonnull(m);
	v = uctls_sip_header(m, lookup_rows[_i].query);
	if (lookup_rows[_i].want == NULL)
		ck_assert_ptr_null(v);
	else
		ck_assert_pstr_eq(v, lookup_rows[_i].want);
	uctls_sip_msg_free(m);
	uctls_sip_parser_free(p);
}
END_TEST

/* --- building requests -------------------------------------------------------- */

static const struct {
	struct uctls_sip_req_params rp;
	const char *want; /* NULL: refused */
} request_rows[] = {
	/* the magic cookie prepended; the default User-Agent; a sip: Contact */
	{ { "OPTIONS", "sip:expe.example.com;transport=tls", "sip:expc.example.com",
	    "sip:expe.example.com", "expc.example.com:5061", "cid-1", "abc", "ft1", 1, NULL },
	  "OPTIONS sip:expe.example.com;transport=tls SIP/2.0\r\n"
	  "Via: SIP/2.0/TLS expc.example.com:5061;branch=z9hG4bKabc\r\n"
	  "Max-Forwards: 70\r\n"
	  "From: <sip:expc.example.com>;tag=ft1\r\n"
	  "To: <sip:expe.example.com>\r\n"
	  "Call-ID: cid-1\r\n"
	  "CSeq: 1 OPTIONS\r\n"
	  "Contact: <sip:expc.example.com:5061;transport=tls>\r\n"
	  "User-Agent: uctls/" PACKAGE_VERSION "\r\n"
	  "Content-Length: 0\r\n\r\n" },
	/* a branch that has the cookie keeps it once; a sips: Request-URI
	 * gets a sips: Contact (RFC 3261 8.1.1.8); a given User-Agent */
	{ { "INFO", "sips:b.example.com", "sips:a.example.com", "sips:b.example.com", "a.example.com",
	    "cid-2", "z9hG4bKxyz", "ft2", 4294967295u, "tester 1.0" },
	  "INFO sips:b.example.com SIP/2.0\r\n"
	  "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bKxyz\r\n"
	  "Max-Forwards: 70\r\n"
	  "From: <sips:a.example.com>;tag=ft2\r\n"
	  "To: <sips:b.example.com>\r\n"
	  "Call-ID: cid-2\r\n"
	  "CSeq: 4294967295 INFO\r\n"
	  "Contact: <sips:a.example.com>\r\n"
	  "User-Agent: tester 1.0\r\n"
	  "Content-Length: 0\r\n\r\n" },
	/* a missing field */
	{ { "OPTIONS", "sip:b", "sip:a", "sip:b", NULL, "c", "b", "t", 1, NULL }, NULL },
	/* a method that is not a token */
	{ { "OPT IONS", "sip:b", "sip:a", "sip:b", "a", "c", "b", "t", 1, NULL }, NULL },
	/* a Request-URI with a space */
	{ { "OPTIONS", "sip:b x", "sip:a", "sip:b", "a", "c", "b", "t", 1, NULL }, NULL },
	/* a header injected through the Call-ID */
	{ { "OPTIONS", "sip:b", "sip:a", "sip:b", "a", "c\r\nX: y", "b", "t", 1, NULL }, NULL },
};

START_TEST(test_request_row)
{
	char *s = uctls_sip_build_request(&request_rows[_i].rp);

	if (request_rows[_i].want == NULL)
		ck_assert_ptr_null(s);
	else
		ck_assert_pstr_eq(s, request_rows[_i].want);
	free(s);
}
END_TEST

/* --- building responses ------------------------------------------------------- */

static const struct {
	const char *req; /* parsed first */
	int status;
	const char *reason;
	const char *to_tag;
	const char *want; /* NULL: refused */
} response_rows[] = {
	/* 200 to OPTIONS: every Via in order (a comma list stays one), To tag
	 * added, Allow and Accept (RFC 3261 8.2.6.2, 11.2) */
	{ "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1;branch=z9hG4bK1\r\nMax-Forwards: 69\r\n"
	  "v: SIP/2.0/TLS p2;branch=z9hG4bK2, SIP/2.0/TLS p3;branch=z9hG4bK3\r\n"
	  "f: <sip:a>;tag=ft\r\nt: <sip:b>\r\ni: cid\r\nCSeq: 5 OPTIONS\r\nl: 0\r\n\r\n",
	  200, NULL, "tt",
	  "SIP/2.0 200 OK\r\n"
	  "Via: SIP/2.0/TLS p1;branch=z9hG4bK1\r\n"
	  "Via: SIP/2.0/TLS p2;branch=z9hG4bK2, SIP/2.0/TLS p3;branch=z9hG4bK3\r\n"
	  "From: <sip:a>;tag=ft\r\n"
	  "To: <sip:b>;tag=tt\r\n"
	  "Call-ID: cid\r\n"
	  "CSeq: 5 OPTIONS\r\n"
	  "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
	  "Accept: application/sdp\r\n"
	  "Content-Length: 0\r\n\r\n" },
	/* a failure to OPTIONS: no Allow; the RFC 3261 21 phrase */
	{ "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\nTo: <sip:b>\r\n"
	  "Call-ID: cid\r\nCSeq: 5 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	  404, NULL, "tt",
	  "SIP/2.0 404 Not Found\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\n"
	  "To: <sip:b>;tag=tt\r\nCall-ID: cid\r\nCSeq: 5 OPTIONS\r\nContent-Length: 0\r\n\r\n" },
	/* a 2xx to another method: no Allow; a reason of our own */
	{ "INFO sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\nTo: <sip:b>\r\n"
	  "Call-ID: cid\r\nCSeq: 6 INFO\r\nContent-Length: 0\r\n\r\n",
	  202, "Fine", "tt",
	  "SIP/2.0 202 Fine\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\n"
	  "To: <sip:b>;tag=tt\r\nCall-ID: cid\r\nCSeq: 6 INFO\r\nContent-Length: 0\r\n\r\n" },
	/* a To that has a tag keeps it alone, even with spaces around ';' */
	{ "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\n"
	  "To: \"B\" <sip:b> ; TAG = old\r\nCall-ID: cid\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	  500, NULL, "tt",
	  "SIP/2.0 500 Server Internal Error\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\n"
	  "To: \"B\" <sip:b> ; TAG = old\r\nCall-ID: cid\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n" },
	/* addr-spec form: ;tag= follows the URI directly */
	{ "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1\r\nFrom: sip:a;tag=ft\r\nTo: sip:b;tag=old\r\n"
	  "Call-ID: cid\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	  486, NULL, "tt",
	  "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/TLS p1\r\nFrom: sip:a;tag=ft\r\nTo: sip:b;tag=old\r\n"
	  "Call-ID: cid\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n" },
	/* ";tag=" in a quoted display name or inside <> is not a tag */
	{ "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\n"
	  "To: \"x;tag=y <z>\" <sip:b;tag=u>\r\nCall-ID: cid\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	  603, NULL, "tt",
	  "SIP/2.0 603 Decline\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\n"
	  "To: \"x;tag=y <z>\" <sip:b;tag=u>;tag=tt\r\nCall-ID: cid\r\nCSeq: 7 OPTIONS\r\n"
	  "Content-Length: 0\r\n\r\n" },
	/* no tag given: none added */
	{ "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\nTo: <sip:b>\r\n"
	  "Call-ID: cid\r\nCSeq: 8 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	  100, NULL, NULL,
	  "SIP/2.0 100 Trying\r\nVia: SIP/2.0/TLS p1\r\nFrom: <sip:a>;tag=ft\r\nTo: <sip:b>\r\n"
	  "Call-ID: cid\r\nCSeq: 8 OPTIONS\r\nContent-Length: 0\r\n\r\n" },
	/* refused: a status out of range, a response as the request, a reason
	 * that would inject a header */
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n", 700, NULL, "tt", NULL },
	{ "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, NULL, "tt", NULL },
	{ "OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n", 200, "OK\r\nX: y", "tt", NULL },
};

START_TEST(test_response_row)
{
	struct uctls_sip_parser *p = uctls_sip_parser_new();
	struct uctls_sip_msg *m;
	struct uctls_err err;
	char *s;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_sip_parser_feed(p, response_rows[_i].req,
	                                       strlen(response_rows[_i].req), &err), 0);
	m = uctls_sip_parser_next(p);
	ck_assert_ptr_nonnull(m);
	s = uctls_sip_build_response(m, response_rows[_i].status, response_rows[_i].reason,
	                             response_rows[_i].to_tag);
	if (response_rows[_i].want == NULL)
		ck_assert_ptr_null(s);
	else
		ck_assert_pstr_eq(s, response_rows[_i].want);
	free(s);
	uctls_sip_msg_free(m);
	uctls_sip_parser_free(p);
}
END_TEST

/* --- round trip ----------------------------------------------------------------- */

/* Parses the single message in S. */
static struct uctls_sip_msg *
parse_one(const char *s)
{
	struct uctls_sip_parser *p = uctls_sip_parser_new();
	struct uctls_sip_msg *m;
	struct uctls_err err;

	ck_assert_ptr_nonnull(p);
	uctls_err_clear(&err);
	ck_assert_msg(uctls_sip_parser_feed(p, s, strlen(s), &err) == 0, "%s", err.msg);
	m = uctls_sip_parser_next(p);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(uctls_sip_parser_next(p));
	ck_assert_uint_eq(uctls_sip_parser_keepalives(p), 0);
	uctls_sip_parser_free(p);
	return m;
}

START_TEST(test_round_trip)
{
	const struct uctls_sip_req_params rp = {
		"OPTIONS", "sip:expe.example.com;transport=tls", "sip:expc.example.com",
		"sip:expe.example.com", "expc.example.com:5061", "call-42@expc", "b42", "from42", 42,
		NULL
	};
	struct uctls_sip_msg *req, *res;
	char *rq, *rs;

	rq = uctls_sip_build_request(&rp);
	ck_assert_ptr_nonnull(rq);
	req = parse_one(rq);
	ck_assert_int_eq(req->is_request, 1);
	ck_assert_str_eq(req->method, "OPTIONS");
	ck_assert_str_eq(req->uri, "sip:expe.example.com;transport=tls");
	ck_assert_pstr_eq(uctls_sip_header(req, "Via"),
	                  "SIP/2.0/TLS expc.example.com:5061;branch=z9hG4bKb42");
	ck_assert_pstr_eq(uctls_sip_header(req, "Max-Forwards"), "70");
	ck_assert_pstr_eq(uctls_sip_header(req, "From"), "<sip:expc.example.com>;tag=from42");
	ck_assert_pstr_eq(uctls_sip_header(req, "To"), "<sip:expe.example.com>");
	ck_assert_pstr_eq(uctls_sip_header(req, "CSeq"), "42 OPTIONS");
	ck_assert_pstr_eq(uctls_sip_header(req, "User-Agent"), "uctls/" PACKAGE_VERSION);
	ck_assert_uint_eq(req->body_len, 0);

	rs = uctls_sip_build_response(req, 200, NULL, "to42");
	ck_assert_ptr_nonnull(rs);
	res = parse_one(rs);
	ck_assert_int_eq(res->is_request, 0);
	ck_assert_int_eq(res->status, 200);
	ck_assert_str_eq(res->reason, "OK");
	ck_assert_pstr_eq(uctls_sip_header(res, "Via"), uctls_sip_header(req, "Via"));
	ck_assert_pstr_eq(uctls_sip_header(res, "From"), uctls_sip_header(req, "From"));
	ck_assert_pstr_eq(uctls_sip_header(res, "To"), "<sip:expe.example.com>;tag=to42");
	ck_assert_pstr_eq(uctls_sip_header(res, "Call-ID"), "call-42@expc");
	ck_assert_pstr_eq(uctls_sip_header(res, "CSeq"), uctls_sip_header(req, "CSeq"));
	ck_assert_pstr_eq(uctls_sip_header(res, "Allow"), "INVITE, ACK, CANCEL, OPTIONS, BYE");
	ck_assert_pstr_eq(uctls_sip_header(res, "Content-Length"), "0");

	uctls_sip_msg_free(res);
	uctls_sip_msg_free(req);
	free(rs);
	free(rq);
}
END_TEST

/* --- reason phrases (RFC 3261 21) ------------------------------------------- */

static const struct {
	int status;
	const char *phrase;
} phrase_rows[] = {
	{ 100, "Trying" },
	{ 200, "OK" },
	{ 403, "Forbidden" },
	{ 481, "Call/Transaction Does Not Exist" },
	{ 504, "Server Time-out" },
	{ 606, "Not Acceptable" },
	/* defined elsewhere, not in RFC 3261 21 */
	{ 202, "Unknown" },
	/* outside any class */
	{ 0, "Unknown" },
	{ 999, "Unknown" },
};

START_TEST(test_phrase_row)
{
	ck_assert_str_eq(uctls_sip_reason_phrase(phrase_rows[_i].status), phrase_rows[_i].phrase);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
make_sip_suite(void)
{
	Suite *s = suite_create("sip");
	TCase *tc = tcase_create("framing");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parse_row, 0, (int)(NPARSE * NCHUNK));
	tcase_add_loop_test(tc, test_lookup_row, 0, N(lookup_rows));
	tcase_add_loop_test(tc, test_request_row, 0, N(request_rows));
	tcase_add_loop_test(tc, test_response_row, 0, N(response_rows));
	tcase_add_test(tc, test_round_trip);
	tcase_add_loop_test(tc, test_phrase_row, 0, N(phrase_rows));
	suite_add_tcase(s, tc);
	return s;
}
