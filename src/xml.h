/* uctls — XML (uctls_xml_*): the only module that includes <expat.h>.
 *
 * Part 1, the DOM: a whole document (a scenario file) read with libexpat into
 * a small tree of elements.  It keeps what the scenario loader needs and
 * nothing else: element names, attributes in document order, the character
 * data directly inside each element, children in order, and the line of each
 * start tag for "FILE:LINE:" messages.  Comments and processing instructions
 * are dropped.
 *
 * Hardening (a scenario file is input, not code):
 * - no namespace processing (XML_ParserCreate(NULL)): scenario names are plain;
 * - at most UCTLS_XML_MAX_DEPTH nested elements and UCTLS_XML_MAX_SIZE bytes;
 * - a DOCTYPE is allowed only without an internal subset, so a scenario may
 *   say <!DOCTYPE scenario SYSTEM "uctls-scenario.dtd"> but cannot declare
 *   entities (no "billion laughs" expansion, no external entities); the
 *   external DTD is never read, and a reference to an entity it might
 *   declare is an error instead of being silently skipped.
 *
 * Errors: "FILE:LINE: not well-formed XML: <expat's message>" and the like,
 * through uctls_err_at().  An error raised inside an expat callback (out of
 * memory, depth, DOCTYPE) is recorded and stops the parser; it is the error
 * reported.
 *
 * Part 2, below the DOM declarations: an incremental push parser for XMPP
 * streams.  It lives beside part 1 and shares nothing with it but the
 * include of expat.
 */
#ifndef UCTLS_XML_H
#define UCTLS_XML_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define UCTLS_XML_MAX_DEPTH 32
#define UCTLS_XML_MAX_SIZE ((size_t)4 << 20) /* 4 MiB */

struct uctls_xml_attr {
	char *name;  /* owned */
	char *value; /* owned, entity references and whitespace normalisation
	                done by expat (XML 1.0 section 3.3.3) */
};

struct uctls_xml_node {
	char *name;                   /* owned, the element name as written */
	int line;                     /* line of the start tag (1-based) */
	struct uctls_xml_attr *attrs; /* owned array, in document order */
	size_t nattrs;
	char *text;      /* owned, never NULL: the character data directly
	                    inside this element (not its children's), all
	                    pieces concatenated, CDATA included; "" if none */
	size_t text_len; /* strlen(text): XML 1.0 cannot carry a NUL */
	int text_line;   /* line of the first non-whitespace character of
	                    text, 0 when text is empty or only whitespace */
	struct uctls_xml_node **children; /* owned array of owned nodes */
	size_t nchildren;
	struct uctls_xml_node *parent; /* borrowed; NULL for the root */
};

/* Parses FILE into a tree.  On success returns 0 and stores the root
 * element in *out (free with uctls_xml_free()).  On failure returns -1,
 * leaves *out NULL and fills ERR ("FILE: cannot open: ..." or
 * "FILE:LINE: ..."). */
int uctls_xml_load_file(const char *file, struct uctls_xml_node **out,
                        struct uctls_err *err);

/* Same for LEN bytes at BUF; NAME is the file name used in messages. */
int uctls_xml_load_buffer(const char *name, const char *buf, size_t len,
                          struct uctls_xml_node **out, struct uctls_err *err);

/* Frees NODE and everything below it.  Accepts NULL.  Meant for a root: a
 * child still linked from its parent must not be freed alone. */
void uctls_xml_free(struct uctls_xml_node *node);

/* The value of attribute NAME of N, or NULL when absent (borrowed). */
const char *uctls_xml_attr(const struct uctls_xml_node *n, const char *name);

/* Editing (xml-dom.c), for fixes (fix.h).  A deep copy of N whose parent is
 * PARENT, or NULL when out of memory. */
struct uctls_xml_node *uctls_xml_copy(const struct uctls_xml_node *n,
                                      struct uctls_xml_node *parent);
/* Sets attribute NAME of N to a copy of VALUE (added last when absent);
 * VALUE NULL removes it.  Returns 0, or -1 when out of memory. */
int uctls_xml_set_attr(struct uctls_xml_node *n, const char *name, const char *value);
/* The first element named NAME at or below N (document order) whose id
 * attribute is ID (any, when ID is NULL); borrowed, NULL when none. */
struct uctls_xml_node *uctls_xml_find(struct uctls_xml_node *n, const char *name,
                                      const char *id);
/* Writes the tree as an XML document (UTF-8, two-space indentation; the
 * comments of the original are not kept).  Returns 0, or -1 on a write
 * error. */
int uctls_xml_write(FILE *f, const struct uctls_xml_node *root);

/* ------------------------------------------------------------------------
 * Part 2: the push parser (XMPP streams, RFC 6120), used by xmpp.c.
 *
 * An XMPP stream is one XML document whose root element (<stream:stream>)
 * stays open for the whole connection; its first-level children (stanzas)
 * arrive over time.  The caller feeds bytes as they are read, in pieces of
 * any size (one byte at a time included), and gets callbacks as soon as
 * expat has seen each start tag, end tag and piece of character data:
 *
 * - namespaces are resolved (expat with a '|' namespace separator and
 *   prefixes reported): every name is { namespace URI, local name, prefix };
 * - the element depth is tracked (1 for the root) and limited;
 * - the input is restricted XML (RFC 6120 11.1): a DOCTYPE, an entity
 *   declaration, a processing instruction other than the XML declaration
 *   or a comment is an error; so is an encoding other than UTF-8 in the
 *   XML declaration (RFC 6120 11.6);
 * - the root's start tag and each first-level child, from its `<' to the
 *   `>' of its end tag, are limited to MAX_STANZA bytes; bytes that expat
 *   holds without reporting them (an unfinished tag) count too, so a peer
 *   cannot make the parser buffer without bound;
 * - uctls_xml_push_reset() starts a new document (XML_ParserReset), for the
 *   stream restarts after STARTTLS and SASL (RFC 6120 5.4.3.3, 6.4.6).
 *
 * Callbacks return 0, or -1 after setting ERR (the parser's own error
 * record; if they leave it unset a generic message is used).  The parser
 * then stops at once (XML_StopParser), the feed returns -1 with that error,
 * and the parser stays failed, giving the same error to every later feed,
 * until it is reset.  The first error is the one kept.
 *
 * Every string handed to a callback is borrowed for the duration of the
 * call only.
 */

/* An expanded name. */
struct uctls_xml_qname {
	const char *ns;     /* namespace URI, "" when none */
	const char *local;  /* local name */
	const char *prefix; /* prefix as written, "" when none */
};

struct uctls_xml_pattr {
	struct uctls_xml_qname name; /* ns "" for an unprefixed attribute
	                                (XML Namespaces 1.0 section 6.2) */
	const char *value;           /* normalised by expat */
};

/* A namespace declaration (xmlns='...' or xmlns:p='...'): with namespace
 * processing these are not attributes, but a stream header's default
 * namespace ("jabber:server") is information the caller needs. */
struct uctls_xml_nsdecl {
	const char *prefix; /* "" for the default namespace */
	const char *uri;    /* "" when xmlns='' undeclares the default */
};

struct uctls_xml_start {
	int depth; /* 1 for the root element */
	struct uctls_xml_qname name;
	const struct uctls_xml_pattr *attrs; /* in document order */
	size_t nattrs;
	const struct uctls_xml_nsdecl *nsdecls; /* declared on this tag, in order */
	size_t nnsdecls;
};

struct uctls_xml_push_ops {
	int (*start)(void *ud, const struct uctls_xml_start *st, struct uctls_err *err);
	/* DEPTH is the depth of the element being closed (1: the root). */
	int (*end)(void *ud, int depth, const struct uctls_xml_qname *name,
	           struct uctls_err *err);
	/* Character data (CDATA sections and references already resolved)
	 * directly inside the element at DEPTH, in pieces of any size; not
	 * NUL-terminated.  Whitespace between first-level children arrives
	 * with DEPTH 1.  Nothing outside the root element is reported. */
	int (*text)(void *ud, int depth, const char *s, size_t len,
	            struct uctls_err *err);
};

struct uctls_xml_push;

/* A parser calling OPS (copied; any member may be NULL) with UD.  Elements
 * deeper than MAX_DEPTH are an error ("elements nested deeper than N"), as
 * are stanzas larger than MAX_STANZA bytes ("stanza larger than N bytes",
 * "stream header larger than N bytes").  NULL when out of memory. */
struct uctls_xml_push *uctls_xml_push_new(const struct uctls_xml_push_ops *ops, void *ud,
                                          int max_depth, size_t max_stanza);
void uctls_xml_push_free(struct uctls_xml_push *p); /* accepts NULL */

/* Parses LEN more bytes of the stream.  Returns 0, or -1 with ERR set:
 * "not well-formed XML: <expat's message> (line L)", a restricted-XML or
 * limit message, or a callback's error.  Must not be called from a
 * callback. */
int uctls_xml_push_feed(struct uctls_xml_push *p, const void *buf, size_t len,
                        struct uctls_err *err);

/* Forgets the document (expat state, buffered bytes, depth, byte count,
 * failure) so that the next byte fed starts a new one.  Returns 0, or -1
 * when expat cannot reset (out of memory): the parser is then failed.
 * Must not be called from a callback. */
int uctls_xml_push_reset(struct uctls_xml_push *p);

#endif
