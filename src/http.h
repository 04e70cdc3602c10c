/* uctls — HTTP/1.1 message framing over a stream transport (uctls_http_*).
 *
 * One small HTTP module for every part of uctls that speaks HTTP: the
 * `https' family's http-request step (a browser, Jabber, Expressway-C or
 * UCCX against a Tomcat), and later a CRL or OCSP responder.  It builds
 * requests and responses as RFC 9112 bytes and parses what arrives on a
 * stream incrementally, within fixed bounds.  No I/O here: the caller feeds
 * the bytes it read and sends the bytes it is given.
 *
 * Framing (RFC 9112 6): a message is a start line, header fields, an empty
 * line and a body whose length is Content-Length, or chunked
 * (Transfer-Encoding: chunked, RFC 9112 7.1), or, for a response with
 * neither, everything until the connection closes (uctls_http_parser_eof).
 * A request without either has no body.  A response to HEAD, a 1xx, 204 or
 * 304 has no body.  A bare LF is tolerated as a line end (RFC 9112 2.2).
 * Obsolete line folding is refused (RFC 9112 5.2 allows either).
 *
 * Limits: the start line and headers together UCTLS_HTTP_MAX_HEAD bytes, the
 * body the parser's max_body bytes.  A peer that breaks a limit or sends
 * bytes that are not HTTP is an error at once: the parser never buffers more
 * than its limits, so an endless header costs 16 KiB, not the memory.
 *
 * Ownership: a parser owns the message it returns until uctls_http_msg_free;
 * every string of a message is owned by the message.
 */
#ifndef UCTLS_HTTP_H
#define UCTLS_HTTP_H

#include <stddef.h>

#include "err.h"

#define UCTLS_HTTP_MAX_HEAD 16384      /* bytes of start line + header fields */
#define UCTLS_HTTP_MAX_BODY (1 << 20)  /* the default body bound (a CRL fits) */

struct uctls_http_header {
	char *name;  /* as received */
	char *value; /* leading and trailing white space trimmed */
};

struct uctls_http_msg {
	int is_request;
	char *method;  /* request: "GET"; response: NULL */
	char *target;  /* request: "/ccmadmin/showHome.do"; response: NULL */
	int minor;     /* HTTP/1.<minor> */
	int status;    /* response: 100-599; request: 0 */
	char *reason;  /* response: the reason phrase (may be ""); request: NULL */
	struct uctls_http_header *headers; /* in order */
	size_t nheaders;
	char *body;    /* NUL-terminated copy (may hold NULs: use body_len) */
	size_t body_len;
	int chunked;   /* the body came chunked */
	int until_close; /* the body ended with the connection */
};

/* The first header NAME (case-insensitive), or NULL. */
const char *uctls_http_header(const struct uctls_http_msg *m, const char *name);
void uctls_http_msg_free(struct uctls_http_msg *m); /* accepts NULL */

struct uctls_http_parser;

/* A parser of requests (REQUESTS 1) or responses (0), with bodies of at
 * most MAX_BODY bytes (0: UCTLS_HTTP_MAX_BODY).  NULL when out of memory. */
struct uctls_http_parser *uctls_http_parser_new(int requests, size_t max_body);
void uctls_http_parser_free(struct uctls_http_parser *p); /* accepts NULL */
/* A response parser: the request was HEAD (the response has no body). */
void uctls_http_parser_head(struct uctls_http_parser *p);
/* Appends LEN bytes received.  Returns 0, or -1 with ERR set when the bytes
 * are not HTTP or break a limit; the message says what and quotes it ("not
 * an HTTP response: `SIP/2.0 200 OK'", "header section longer than 16384
 * bytes", "Content-Length `12x'", "body of 2000000 bytes exceeds 1048576").
 * After an error the parser stays failed. */
int uctls_http_parser_feed(struct uctls_http_parser *p, const void *buf, size_t len,
                           struct uctls_err *err);
/* The connection closed.  Returns 0 when that ends a message (a body
 * delimited by the close) or nothing was pending, 1 when a message was cut
 * short (ERR says where), -1 after an earlier error. */
int uctls_http_parser_eof(struct uctls_http_parser *p, struct uctls_err *err);
/* The next complete message (caller frees), or NULL when more bytes are
 * needed.  One message per parser: later bytes are counted, not parsed. */
struct uctls_http_msg *uctls_http_parser_next(struct uctls_http_parser *p);
/* Bytes fed so far (all of them, parsed or not). */
size_t uctls_http_parser_bytes(const struct uctls_http_parser *p);

/* What a request is built from. */
struct uctls_http_req {
	const char *method;       /* "GET" */
	const char *target;       /* "/" or "/ccmadmin/showHome.do" */
	const char *host;         /* Host header: the name the client dials [":port"] */
	const char *user_agent;   /* NULL: "uctls/VERSION" */
	const char *accept;       /* NULL: no Accept */
	const char *content_type; /* with a body; NULL: none */
	const void *body;         /* NULL: no body (and no Content-Length for GET) */
	size_t body_len;
};

/* Builds a request (RFC 9112 3): request line, Host, User-Agent, Accept,
 * Connection: close, Content-Type and Content-Length with a body.  Returns a
 * malloc'd buffer of *LEN bytes, NUL-terminated, or NULL when out of memory
 * or a field holds a CR, LF or NUL. */
char *uctls_http_build_request(const struct uctls_http_req *rq, size_t *len);
/* Builds a response: status line, Server, Content-Type (when given),
 * Content-Length, Connection: close, the body.  Returns a malloc'd buffer of
 * *LEN bytes, NUL-terminated, or NULL. */
char *uctls_http_build_response(int status, const char *content_type, const void *body,
                                size_t body_len, size_t *len);
/* Splits URL ("https://cucm.example.com:8443/ccmadmin/", RFC 9110 4.2: scheme
 * http or https, no user info) into *AUTHORITY ("cucm.example.com:8443", the
 * Host header), *HOST (the name alone, "cucm.example.com"; an IPv6 literal
 * without brackets) and *PATH ("/ccmadmin/", "/" when empty; the query
 * kept), each malloc'd.  Returns 0, or -1 with *WHY (a static phrase) and
 * nothing allocated. */
int uctls_http_url(const char *url, char **authority, char **host, char **path,
                   const char **why);
/* The reason phrase of STATUS (RFC 9110 15), or "Unknown". */
const char *uctls_http_reason_phrase(int status);

#endif
