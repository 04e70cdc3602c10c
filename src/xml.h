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
 * (Later: part 2, an incremental push parser for XMPP streams, lives beside
 * this one and shares nothing with it but the include of expat.)
 */
#ifndef UCTLS_XML_H
#define UCTLS_XML_H

#include <stddef.h>

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

#endif
