/* uctls — XMPP stream framing for server-to-server (uctls_xmpp_*).
 *
 * RFC 6120 streams over a byte stream, parsed with libexpat as a push
 * parser (through xml.h, part 2: the only expat user), one top-level
 * element ("stanza" below: any first-level child of <stream:stream>, such as
 * <stream:features>, <starttls/>, <proceed/>, <auth/>, <db:result/>,
 * <iq/>, <message/>, <stream:error/>) at a time.  No I/O here: the caller
 * feeds the bytes it read and sends the bytes the builders return.
 *
 * Namespaces are resolved (expat with a namespace separator): a stanza's
 * `ns' is its namespace URI and `name' its local name, so that
 * <stream:features> is { "http://etherx.jabber.org/streams", "features" }
 * whatever prefix the peer chose.  The stream header itself is reported
 * once, as an event of its own, with its attributes (to, from, id,
 * version, xml:lang) and its default namespace ("jabber:server" for s2s).
 *
 * After STARTTLS <proceed/> and after SASL <success/>, both sides start a
 * new stream (RFC 6120 5.4.3.3, 6.4.6): uctls_xmpp_reset() discards every
 * byte and all parser state so that the next header is parsed afresh
 * (XML_ParserReset).
 *
 * Limits: a stanza larger than UCTLS_XMPP_MAX_STANZA bytes or deeper than
 * UCTLS_XMPP_MAX_DEPTH, a DOCTYPE, a processing instruction other than the
 * XML declaration, or any entity declaration is an error (RFC 6120 11.1:
 * restricted XML).  Text that is not well-formed XML is an error with
 * expat's message.
 *
 * Ownership: events and stanzas returned are owned by the caller and freed
 * with uctls_xmpp_event_free(); every string in them is owned.
 */
#ifndef UCTLS_XMPP_H
#define UCTLS_XMPP_H

#include <stddef.h>

#include "err.h"

#define UCTLS_XMPP_MAX_STANZA 65536
#define UCTLS_XMPP_MAX_DEPTH 16

#define UCTLS_NS_STREAMS "http://etherx.jabber.org/streams"
#define UCTLS_NS_SERVER "jabber:server"
#define UCTLS_NS_DIALBACK "jabber:server:dialback"
#define UCTLS_NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define UCTLS_NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define UCTLS_NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define UCTLS_NS_DIALBACK_FEATURE "urn:xmpp:features:dialback"
#define UCTLS_NS_PING "urn:xmpp:ping"

/* A parsed element with its subtree. */
struct uctls_xmpp_elem {
	char *ns;    /* namespace URI, "" when none */
	char *name;  /* local name */
	char **attr_names; /* attribute names, "ns|local" for namespaced ones
	                      (xml:lang is "http://www.w3.org/XML/1998/namespace|lang") */
	char **attr_values;
	size_t nattrs;
	char *text;  /* character data directly inside, never NULL */
	struct uctls_xmpp_elem **children;
	size_t nchildren;
};

enum uctls_xmpp_event_type {
	UCTLS_XMPP_STREAM_OPEN,  /* <stream:stream ...>: elem has the attributes, no children */
	UCTLS_XMPP_STANZA,       /* a complete first-level element in elem */
	UCTLS_XMPP_STREAM_CLOSE  /* </stream:stream> */
};

struct uctls_xmpp_event {
	enum uctls_xmpp_event_type type;
	struct uctls_xmpp_elem *elem; /* NULL for STREAM_CLOSE */
};

void uctls_xmpp_event_free(struct uctls_xmpp_event *ev); /* accepts NULL */

/* Lookups on an element; NULL when absent. */
const char *uctls_xmpp_attr(const struct uctls_xmpp_elem *e, const char *name);
const struct uctls_xmpp_elem *uctls_xmpp_child(const struct uctls_xmpp_elem *e,
                                               const char *ns, const char *name);

struct uctls_xmpp_parser;

struct uctls_xmpp_parser *uctls_xmpp_parser_new(void);
void uctls_xmpp_parser_free(struct uctls_xmpp_parser *p); /* accepts NULL */

/* Feeds LEN bytes.  Returns 0, or -1 with ERR set: "not well-formed XML:
 * <expat message> (line L)", "stanza larger than 65536 bytes", "elements
 * nested deeper than 16", "first element is <x>, not <stream:stream>",
 * "DOCTYPE not allowed in an XMPP stream (RFC 6120 11.1)".  After an error
 * the parser stays failed. */
int uctls_xmpp_parser_feed(struct uctls_xmpp_parser *p, const void *buf, size_t len,
                           struct uctls_err *err);

/* The next event, or NULL when more bytes are needed (caller frees). */
struct uctls_xmpp_event *uctls_xmpp_parser_next(struct uctls_xmpp_parser *p);

/* Forgets everything (buffered bytes, queued events, expat state) for a
 * stream restart. */
int uctls_xmpp_parser_reset(struct uctls_xmpp_parser *p);

/* --- builders: each returns a malloc'd NUL-terminated string, or NULL when
 * out of memory or when an argument would not be valid XML content (the
 * builders escape & < > " ' in attribute values and text). --- */

/* "<?xml version='1.0'?><stream:stream xmlns='jabber:server'
 * xmlns:stream='http://etherx.jabber.org/streams'
 * xmlns:db='jabber:server:dialback' from=.. to=.. [id=..] version='1.0'>"
 * FROM, TO, ID may be NULL (omitted). */
char *uctls_xmpp_stream_header(const char *from, const char *to, const char *id);

/* <stream:features> with, in order and when asked: <starttls> (with
 * <required/> when STARTTLS_REQUIRED), <mechanisms> listing EXTERNAL,
 * <dialback xmlns='urn:xmpp:features:dialback'/>.  STARTTLS: 0 absent, 1
 * offered, 2 offered and required. */
char *uctls_xmpp_features(int starttls, int sasl_external, int dialback);

/* Fixed elements: "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
 * "<proceed .../>", "<failure xmlns='...xmpp-tls'/>", "</stream:stream>". */
char *uctls_xmpp_starttls(void);
char *uctls_xmpp_proceed(void);
char *uctls_xmpp_tls_failure(void);
char *uctls_xmpp_stream_close(void);

/* SASL EXTERNAL (RFC 6120 6.4.2, XEP-0178 3): <auth mechanism='EXTERNAL'>
 * with base64 of AUTHZID, or "=" when AUTHZID is NULL; <success/>;
 * <failure><CONDITION/></failure> (e.g. "not-authorized"). */
char *uctls_xmpp_sasl_external(const char *authzid);
char *uctls_xmpp_sasl_success(void);
char *uctls_xmpp_sasl_failure(const char *condition);

/* Dialback (XEP-0220 2.1): <db:result from to>KEY</db:result>, and the
 * answer <db:result from to type='valid'|'invalid'/>. */
char *uctls_xmpp_db_result(const char *from, const char *to, const char *key);
char *uctls_xmpp_db_answer(const char *from, const char *to, int valid);

/* A stream error followed by the stream close (RFC 6120 4.9):
 * <stream:error><CONDITION xmlns='...xmpp-streams'/>[<text>TEXT</text>]
 * </stream:error></stream:stream>. */
char *uctls_xmpp_stream_error(const char *condition, const char *text);

/* XEP-0199 ping: <iq type='get' id=ID from to><ping xmlns='urn:xmpp:ping'/></iq>
 * and its <iq type='result' id=ID from to/>. */
char *uctls_xmpp_ping(const char *from, const char *to, const char *id);
char *uctls_xmpp_pong(const char *from, const char *to, const char *id);

/* The defined condition of a <stream:error/> stanza ("host-unknown"), or
 * NULL when ELEM is not one; likewise for a SASL <failure/>. */
const char *uctls_xmpp_stream_error_condition(const struct uctls_xmpp_elem *elem);
const char *uctls_xmpp_sasl_failure_condition(const struct uctls_xmpp_elem *elem);

/* --- additions (after the first contract) ---
 *
 * The stream header's namespace declarations, which namespace processing
 * does not report as attributes, are added to its STREAM_OPEN element as
 * attributes "xmlns" (the default namespace: "jabber:server" for s2s, RFC
 * 6120 4.8.2) and "xmlns:PREFIX" (e.g. "xmlns:db", which announces
 * dialback, XEP-0220 2.1), after the real attributes.  Stanzas carry no
 * such attributes.
 *
 * uctls_xmpp_child() with NS NULL matches any namespace. */

/* Whether E (may be NULL) is {NS, NAME}; NS NULL matches any namespace. */
int uctls_xmpp_elem_is(const struct uctls_xmpp_elem *e, const char *ns, const char *name);

/* The <text/> of a <stream:error/> (RFC 6120 4.9.2) or of a SASL
 * <failure/> (6.4.5), or NULL when absent or ELEM is neither. */
const char *uctls_xmpp_error_text(const struct uctls_xmpp_elem *elem);

#endif
