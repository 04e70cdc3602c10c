/* uctls — SIP message framing over a stream transport (uctls_sip_*).
 *
 * One SIP module for every family that speaks SIP (traversal zones, SIP
 * trunks): builds requests and responses as RFC 3261 bytes, and parses what
 * arrives on a TLS stream incrementally.  No I/O here: the caller feeds bytes
 * and sends the bytes it is given.
 *
 * Framing (RFC 3261 7.5, 18.3): a message is a start line, headers, an empty
 * line, and exactly Content-Length bytes of body (Content-Length is
 * mandatory on a stream transport).  CRLF keep-alives between messages (RFC
 * 5626 3.5.1: "\r\n\r\n" ping, "\r\n" pong) are skipped and counted.  Header
 * folding (a line starting with SP or HT continues the previous header, RFC
 * 3261 7.3.1) is unfolded.  Compact header names (RFC 3261 7.3.3: l, i, f,
 * t, v, m, c, k, s, e) are expanded.  A bare LF is tolerated as a line end.
 *
 * Ownership: a parser owns the messages it returns until
 * uctls_sip_msg_free(); every string in a message is owned by the message.
 */
#ifndef UCTLS_SIP_H
#define UCTLS_SIP_H

#include <stddef.h>

#include "err.h"

#define UCTLS_SIP_MAX_HEADERS 16384 /* bytes of start line + headers */
#define UCTLS_SIP_MAX_BODY 65536

struct uctls_sip_header {
	char *name;  /* full, canonical case as received ("Content-Length" for "l") */
	char *value; /* unfolded, leading/trailing white space trimmed */
};

struct uctls_sip_msg {
	int is_request;
	char *method;  /* request: "OPTIONS"; response: NULL */
	char *uri;     /* request: Request-URI; response: NULL */
	int status;    /* response: 100..699; request: 0 */
	char *reason;  /* response: reason phrase; request: NULL */
	struct uctls_sip_header *headers; /* in order */
	size_t nheaders;
	char *body;    /* NUL-terminated copy (may contain NULs; use body_len) */
	size_t body_len;
};

/* The first header named NAME (case-insensitive; compact forms match their
 * full names), or NULL. */
const char *uctls_sip_header(const struct uctls_sip_msg *m, const char *name);
void uctls_sip_msg_free(struct uctls_sip_msg *m); /* accepts NULL */

struct uctls_sip_parser;

struct uctls_sip_parser *uctls_sip_parser_new(void);
void uctls_sip_parser_free(struct uctls_sip_parser *p); /* accepts NULL */

/* Appends LEN bytes received.  Returns 0, or -1 with ERR set when the
 * stream is not SIP or breaks a limit: the message says what was wrong
 * ("malformed status line `HTTP/1.1 200 OK'", "missing Content-Length",
 * "headers longer than 16384 bytes", "body of 70000 bytes exceeds 65536"). */
int uctls_sip_parser_feed(struct uctls_sip_parser *p, const void *buf, size_t len,
                          struct uctls_err *err);

/* Returns the next complete message (caller frees), or NULL when more bytes
 * are needed.  After a feed error it always returns NULL. */
struct uctls_sip_msg *uctls_sip_parser_next(struct uctls_sip_parser *p);

/* Keep-alive CRLFs skipped so far. */
unsigned uctls_sip_parser_keepalives(const struct uctls_sip_parser *p);

/* What a request or response is built from. */
struct uctls_sip_req_params {
	const char *method;      /* "OPTIONS" */
	const char *request_uri; /* "sip:expe.example.com;transport=tls" */
	const char *from_uri;    /* "sip:expc.example.com" */
	const char *to_uri;      /* "sip:expe.example.com" */
	const char *via_host;    /* host[:port] for Via sent-by */
	const char *call_id;     /* unique */
	const char *branch;      /* unique; "z9hG4bK" is prepended when missing */
	const char *from_tag;
	unsigned cseq;
	const char *user_agent;  /* NULL: "uctls/VERSION" */
};

/* Builds a request with Via (SIP/2.0/TLS), Max-Forwards: 70, From, To,
 * Call-ID, CSeq, Contact, User-Agent, Content-Length: 0.  Returns a
 * malloc'd NUL-terminated string (caller frees), or NULL when out of
 * memory. */
char *uctls_sip_build_request(const struct uctls_sip_req_params *rp);

/* Builds a response to REQ (RFC 3261 8.2.6): status line, the request's Via
 * headers in order, From, To (with TO_TAG added when the request's To has no
 * tag), Call-ID, CSeq, and for a 2xx to OPTIONS Allow and Accept;
 * Content-Length: 0.  Returns a malloc'd string or NULL. */
char *uctls_sip_build_response(const struct uctls_sip_msg *req, int status,
                               const char *reason, const char *to_tag);

/* RFC 3261 21 reason phrase for STATUS ("OK", "Forbidden", ...), or
 * "Unknown". */
const char *uctls_sip_reason_phrase(int status);

#endif
