#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <unistd.h>

#include "fileio.h"
#include "xml.h"

/* ------------------------------------------------------------------------
 * Part 1: the DOM (whole documents: scenario files)
 * ------------------------------------------------------------------------ */

/* State of one uctls_xml_load_*() call; expat's user data. */
struct dom_builder {
	XML_Parser parser;
	const char *name;            /* file name for messages */
	struct uctls_err *err;
	int failed;                  /* a callback recorded an error */
	struct uctls_xml_node *root; /* owned until handed to the caller */
	struct uctls_xml_node *cur;  /* innermost open element, or NULL */
	int depth;
	size_t text_cap;             /* capacity of cur->text */
	int has_doctype;             /* a <!DOCTYPE> was seen */
};

static int
line_of(const struct dom_builder *b)
{
	return (int)XML_GetCurrentLineNumber(b->parser);
}

/* Records the first error of a callback and stops the parser: expat
 * callbacks return void, so this is the only way not to lose the error
 * (XML_Parse() then returns XML_STATUS_ERROR with XML_ERROR_ABORTED, which
 * the caller recognises through b->failed). */
static void __attribute__((format(printf, 2, 3)))
dom_fail(struct dom_builder *b, const char *fmt, ...)
{
	char msg[UCTLS_ERR_MAX];
	va_list ap;

	if (b->failed)
		return;
	b->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uctls_err_at(b->err, b->name, line_of(b), "%s", msg);
	XML_StopParser(b->parser, XML_FALSE);
}

void
uctls_xml_free(struct uctls_xml_node *node)
{
	size_t i;

	if (node == NULL)
		return;
	for (i = 0; i < node->nchildren; i++)
		uctls_xml_free(node->children[i]);
	free(node->children);
	for (i = 0; i < node->nattrs; i++) {
		free(node->attrs[i].name);
		free(node->attrs[i].value);
	}
	free(node->attrs);
	free(node->text);
	free(node->name);
	free(node);
}

const char *
uctls_xml_attr(const struct uctls_xml_node *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

static int
is_predefined(const char *name, size_t len)
{
	static const char *const predef[] = { "lt", "gt", "amp", "quot",
		                              "apos", NULL };
	size_t i;

	for (i = 0; predef[i] != NULL; i++)
		if (strlen(predef[i]) == len && memcmp(predef[i], name, len) == 0)
			return 1;
	return 0;
}

/* With a DOCTYPE naming an external DTD, expat cannot tell whether an
 * undeclared &name; is declared there (it never reads it), so it is not an
 * error (XML 1.0 section 4.1, WFC: Entity Declared): in content it goes to
 * the skipped-entity handler (on_skipped_entity), but in an attribute value
 * expat drops it without a word.  Look for it in the raw start tag.  The
 * scan assumes an ASCII-compatible encoding (UTF-8, ISO-8859-1); expat
 * without XML_CONTEXT_BYTES gives no context and the scan is skipped. */
static void
check_attr_entities(struct dom_builder *b)
{
	const char *ctx, *p, *end, *name;
	int off = 0, size = 0, count;

	ctx = XML_GetInputContext(b->parser, &off, &size);
	count = XML_GetCurrentByteCount(b->parser);
	if (ctx == NULL || count <= 0 || off < 0 || off + count > size)
		return;
	end = ctx + off + count;
	for (p = ctx + off; p < end; p++) {
		if (*p != '&' || p + 1 >= end || p[1] == '#')
			continue;
		name = p + 1;
		for (p = name; p < end && *p != ';'; p++)
			;
		if (!is_predefined(name, (size_t)(p - name))) {
			dom_fail(b, "undefined entity `&%.*s;' in an attribute; "
			            "only the XML predefined entities (&lt; &gt; "
			            "&amp; &quot; &apos;) are allowed",
			         (int)(p - name), name);
			return;
		}
	}
}

/* A new element with its attributes (ATTS: name, value, ..., NULL). */
static struct uctls_xml_node *
node_new(const XML_Char *name, const XML_Char **atts, int line)
{
	struct uctls_xml_node *n;
	size_t i, count = 0;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->line = line;
	n->name = strdup(name);
	n->text = calloc(1, 1);
	if (n->name == NULL || n->text == NULL)
		goto fail;
	while (atts[2 * count] != NULL)
		count++;
	if (count > 0) {
		n->attrs = calloc(count, sizeof(*n->attrs));
		if (n->attrs == NULL)
			goto fail;
	}
	for (i = 0; i < count; i++) {
		n->attrs[i].name = strdup(atts[2 * i]);
		n->attrs[i].value = strdup(atts[2 * i + 1]);
		n->nattrs = i + 1;
		if (n->attrs[i].name == NULL || n->attrs[i].value == NULL)
			goto fail;
	}
	return n;
fail:
	uctls_xml_free(n);
	return NULL;
}

static int
node_add_child(struct uctls_xml_node *parent, struct uctls_xml_node *child)
{
	struct uctls_xml_node **c;

	c = realloc(parent->children,
	            (parent->nchildren + 1) * sizeof(*parent->children));
	if (c == NULL)
		return -1;
	parent->children = c;
	parent->children[parent->nchildren++] = child;
	child->parent = parent;
	return 0;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct dom_builder *b = ud;
	struct uctls_xml_node *n;

	if (b->failed)
		return;
	if (++b->depth > UCTLS_XML_MAX_DEPTH) {
		dom_fail(b, "elements nested deeper than %d levels",
		         UCTLS_XML_MAX_DEPTH);
		return;
	}
	if (b->has_doctype) {
		check_attr_entities(b);
		if (b->failed)
			return;
	}
	n = node_new(name, atts, line_of(b));
	if (n == NULL) {
		dom_fail(b, "out of memory");
		return;
	}
	if (b->cur == NULL) {
		/* expat itself rejects a second root element. */
		b->root = n;
	} else if (node_add_child(b->cur, n) < 0) {
		uctls_xml_free(n);
		dom_fail(b, "out of memory");
		return;
	}
	b->cur = n;
	b->text_cap = 1;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct dom_builder *b = ud;

	(void)name; /* expat checks that end tags match */
	if (b->failed || b->cur == NULL)
		return;
	b->depth--;
	b->cur = b->cur->parent;
	if (b->cur != NULL)
		b->text_cap = b->cur->text_len + 1; /* exact after a realloc */
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct dom_builder *b = ud;
	struct uctls_xml_node *n = b->cur;
	size_t need, cap;
	char *t;
	int i;

	if (b->failed || n == NULL || len <= 0)
		return;
	need = n->text_len + (size_t)len + 1;
	if (need > b->text_cap) {
		cap = b->text_cap * 2 > need ? b->text_cap * 2 : need;
		t = realloc(n->text, cap);
		if (t == NULL) {
			dom_fail(b, "out of memory");
			return;
		}
		n->text = t;
		b->text_cap = cap;
	}
	if (n->text_line == 0)
		for (i = 0; i < len; i++)
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r') {
				n->text_line = line_of(b);
				break;
			}
	memcpy(n->text + n->text_len, s, (size_t)len);
	n->text_len += (size_t)len;
	n->text[n->text_len] = '\0';
}

/* An internal subset is where entities are declared (XML 1.0 section 2.8):
 * refusing it refuses entity expansion attacks ("billion laughs") and
 * attribute defaults that would change a scenario behind its reader's back.
 * A bare <!DOCTYPE scenario SYSTEM "..."> remains fine. */
static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
           const XML_Char *pubid, int has_internal_subset)
{
	struct dom_builder *b = ud;

	(void)name;
	(void)sysid;
	(void)pubid;
	b->has_doctype = 1;
	if (has_internal_subset)
		dom_fail(b, "DOCTYPE with an internal subset ([...]) is not "
		            "allowed; use <!DOCTYPE scenario SYSTEM "
		            "\"uctls-scenario.dtd\"> or no DOCTYPE");
}

/* Belt and braces: entity declarations can only come from the internal
 * subset, which on_doctype() already refuses. */
static void XMLCALL
on_entity_decl(void *ud, const XML_Char *name, int is_param,
               const XML_Char *value, int value_len, const XML_Char *base,
               const XML_Char *sysid, const XML_Char *pubid,
               const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	dom_fail(ud, "entity declarations are not allowed");
}

/* An undeclared &name; in content after a DOCTYPE naming an external DTD
 * (see check_attr_entities()): text must not vanish without a word. */
static void XMLCALL
on_skipped_entity(void *ud, const XML_Char *name, int is_param)
{
	(void)is_param;
	dom_fail(ud, "undefined entity `&%s;'; only the XML predefined "
	             "entities (&lt; &gt; &amp; &quot; &apos;) are allowed",
	         name);
}

static int
dom_begin(struct dom_builder *b, const char *name, struct uctls_err *err)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->err = err;
	b->parser = XML_ParserCreate(NULL);
	if (b->parser == NULL)
		return uctls_err_set(err, "%s: cannot create XML parser: "
		                          "out of memory", name);
	XML_SetUserData(b->parser, b);
	XML_SetElementHandler(b->parser, on_start, on_end);
	XML_SetCharacterDataHandler(b->parser, on_text);
	XML_SetStartDoctypeDeclHandler(b->parser, on_doctype);
	XML_SetEntityDeclHandler(b->parser, on_entity_decl);
	XML_SetSkippedEntityHandler(b->parser, on_skipped_entity);
	/* The default already; said here because it is a security property:
	 * no external DTD or parameter entity is ever fetched. */
	XML_SetParamEntityParsing(b->parser, XML_PARAM_ENTITY_PARSING_NEVER);
	return 0;
}

/* Feeds LEN bytes (FINAL: last chunk).  Returns 0 or -1 with the error. */
static int
dom_feed(struct dom_builder *b, const char *buf, size_t len, int final)
{
	enum XML_Error code;

	if (XML_Parse(b->parser, buf, (int)len, final) != XML_STATUS_ERROR)
		return 0;
	if (b->failed)
		return -1; /* our callback's error, already recorded */
	code = XML_GetErrorCode(b->parser);
	b->failed = 1;
	return uctls_err_at(b->err, b->name, line_of(b),
	                    "not well-formed XML: %s", XML_ErrorString(code));
}

static int
dom_end(struct dom_builder *b, struct uctls_xml_node **out)
{
	int rv = -1;

	if (!b->failed && b->root != NULL) {
		*out = b->root;
		b->root = NULL;
		rv = 0;
	} else if (!b->failed) {
		/* Unreachable: expat reports "no element found" itself. */
		uctls_err_at(b->err, b->name, 1, "no root element");
	}
	uctls_xml_free(b->root);
	XML_ParserFree(b->parser);
	return rv;
}

static int
size_error(struct dom_builder *b)
{
	b->failed = 1;
	return uctls_err_at(b->err, b->name, line_of(b),
	                    "file is larger than the %zu MiB limit",
	                    UCTLS_XML_MAX_SIZE >> 20);
}

int
uctls_xml_load_buffer(const char *name, const char *buf, size_t len,
                      struct uctls_xml_node **out, struct uctls_err *err)
{
	struct dom_builder b;

	*out = NULL;
	if (dom_begin(&b, name, err) < 0)
		return -1;
	if (len > UCTLS_XML_MAX_SIZE) {
		/* Parse up to the limit so the message can name a line. */
		if (dom_feed(&b, buf, UCTLS_XML_MAX_SIZE, 0) == 0)
			size_error(&b);
	} else {
		dom_feed(&b, buf, len, 1);
	}
	return dom_end(&b, out);
}

int
uctls_xml_load_file(const char *file, struct uctls_xml_node **out,
                    struct uctls_err *err)
{
	struct dom_builder b;
	char buf[65536];
	size_t n, total = 0, size;
	FILE *f;
	int fd, rv;

	*out = NULL;
	/* A regular file only: a FIFO or a device would block or never end. */
	fd = uctls_file_open(file, &size, err);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "rb");
	if (f == NULL) {
		close(fd);
		return uctls_err_set(err, "%s: cannot open: %s", file,
		                     strerror(errno));
	}
	if (dom_begin(&b, file, err) < 0) {
		fclose(f);
		return -1;
	}
	for (;;) {
		n = fread(buf, 1, sizeof(buf), f);
		if (n == 0 && ferror(f)) {
			b.failed = 1;
			uctls_err_set(err, "%s: read error: %s", file,
			              strerror(errno));
			break;
		}
		total += n;
		if (total > UCTLS_XML_MAX_SIZE) {
			/* Parse up to the limit so the message names a line. */
			if (dom_feed(&b, buf, n - (total - UCTLS_XML_MAX_SIZE),
			             0) == 0)
				size_error(&b);
			break;
		}
		if (dom_feed(&b, buf, n, n == 0) < 0 || n == 0)
			break;
	}
	fclose(f);
	rv = dom_end(&b, out);
	return rv;
}

/* ------------------------------------------------------------------------
 * Part 2: the push parser (XMPP streams)
 * ------------------------------------------------------------------------ */

/* expat reports an expanded name as "URI|local|prefix" (prefixed),
 * "URI|local" (default namespace) or "local" (no namespace).  Since expat
 * 2.4.5 a namespace URI that contains the separator is a syntax error
 * (CVE-2022-25236), and '|' cannot occur in a name, so splitting on it is
 * unambiguous. */
#define NS_SEP '|'

/* Bytes handed to expat per XML_Parse() call: between two calls the stanza
 * limit is checked, so that however much the caller feeds at once, expat
 * never holds more than MAX_STANZA + PUSH_CHUNK bytes of one stanza. */
#define PUSH_CHUNK 4096

/* Expat 2.6.0 (CVE-2023-52425), and distributions' older versions with the
 * fix backported (Debian 12's 2.5.0-1+deb12u1 and later), defer reparsing
 * an unfinished token until the buffered input has doubled.  A stream is
 * interactive: a peer that sends one stanza and waits for the answer would
 * wait for ever, as the stanza is reported only when more bytes come (fed
 * one byte at a time, the stream header is never reported at all).  The
 * switch exists only in those versions, and XML_MAJOR/MINOR_VERSION cannot
 * tell a backport, so it is declared weak here and called when present.
 * The price of turning deferral off, rescanning a partial token on every
 * feed, is bounded by the stanza limit. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wredundant-decls"
XML_Bool XML_SetReparseDeferralEnabled(XML_Parser parser, XML_Bool enabled)
	__attribute__((weak));
#pragma GCC diagnostic pop

/* A namespace declaration waiting for its start tag (expat reports them
 * first); owned copies, as expat's strings need not outlive the call. */
struct pending_ns {
	char *prefix;
	char *uri;
};

struct uctls_xml_push {
	XML_Parser parser;
	struct uctls_xml_push_ops ops;
	void *ud;
	int max_depth;
	size_t max_stanza;

	int failed;
	struct uctls_err err; /* the first error, given to every later feed */
	int depth;            /* of the innermost open element, 0 outside */
	int root_seen;        /* the root's start tag was reported */

	/* Byte accounting, as offsets from the start of the document (what
	 * XML_GetCurrentByteIndex() counts): FED bytes were given to expat;
	 * MARK is where the bytes not yet accounted for begin: the start of
	 * the open first-level child, or else the end of the last thing
	 * reported at depth 0 or 1.  FED - MARK is what the current stanza
	 * (or the stream header) has taken so far. */
	unsigned long long fed;
	unsigned long long mark;

	struct pending_ns *ns; /* declarations for the next start tag */
	size_t nns, ns_cap;

	/* Scratch space for a start event, reused from tag to tag. */
	char *names;            /* split copies of every name of a tag */
	size_t names_cap;
	struct uctls_xml_pattr *attrs;
	size_t attrs_cap;
	struct uctls_xml_nsdecl *decls;
	size_t decls_cap;
};

/* Records the first error and stops the parser (expat callbacks return
 * void: this is the only way not to lose the error; XML_Parse() then fails
 * with XML_ERROR_ABORTED, recognised through p->failed). */
static void __attribute__((format(printf, 2, 3)))
push_fail(struct uctls_xml_push *p, const char *fmt, ...)
{
	char msg[UCTLS_ERR_MAX];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	uctls_err_set(&p->err, "%s", msg);
	XML_StopParser(p->parser, XML_FALSE);
}

/* After a callback returned RV: a failing callback stops the parser with
 * the error it set (or a generic one). */
static void
push_check_cb(struct uctls_xml_push *p, int rv)
{
	if (rv == 0 || p->failed)
		return;
	if (!p->err.set)
		uctls_err_set(&p->err, "XMPP stream rejected by its reader");
	p->failed = 1;
	XML_StopParser(p->parser, XML_FALSE);
}

static unsigned long long
push_offset(const struct uctls_xml_push *p)
{
	XML_Index i = XML_GetCurrentByteIndex(p->parser);

	return i < 0 ? 0 : (unsigned long long)i;
}

/* The offset just past the token being reported. */
static unsigned long long
push_offset_end(const struct uctls_xml_push *p)
{
	int n = XML_GetCurrentByteCount(p->parser);

	return push_offset(p) + (n > 0 ? (unsigned long long)n : 0);
}

static int
grow(void **buf, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *b;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	b = realloc(*buf, n * size);
	if (b == NULL)
		return -1;
	*buf = b;
	*cap = n;
	return 0;
}

static void
push_drop_ns(struct uctls_xml_push *p)
{
	size_t i;

	for (i = 0; i < p->nns; i++) {
		free(p->ns[i].prefix);
		free(p->ns[i].uri);
	}
	p->nns = 0;
}

/* Splits expat's name S (copied to DST, which has room for strlen(S)+1)
 * into Q. */
static void
split_name(char *dst, const char *s, struct uctls_xml_qname *q)
{
	char *sep1, *sep2;

	strcpy(dst, s);
	sep1 = strchr(dst, NS_SEP);
	if (sep1 == NULL) {
		q->ns = "";
		q->local = dst;
		q->prefix = "";
		return;
	}
	*sep1 = '\0';
	q->ns = dst;
	q->local = sep1 + 1;
	sep2 = strchr(sep1 + 1, NS_SEP);
	if (sep2 == NULL) {
		q->prefix = "";
	} else {
		*sep2 = '\0';
		q->prefix = sep2 + 1;
	}
}

static void XMLCALL
push_on_ns(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
	struct uctls_xml_push *p = ud;
	struct pending_ns *n;

	if (p->failed)
		return;
	if (grow((void **)&p->ns, &p->ns_cap, p->nns + 1, sizeof(*p->ns)) < 0) {
		push_fail(p, "out of memory");
		return;
	}
	n = &p->ns[p->nns];
	n->prefix = strdup(prefix != NULL ? prefix : "");
	n->uri = strdup(uri != NULL ? uri : "");
	p->nns++;
	if (n->prefix == NULL || n->uri == NULL)
		push_fail(p, "out of memory");
}

static void XMLCALL
push_on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct uctls_xml_push *p = ud;
	struct uctls_xml_start st;
	size_t i, natts = 0, need, off;
	int n;

	if (p->failed)
		return;
	if (p->depth + 1 > p->max_depth) {
		push_fail(p, "elements nested deeper than %d", p->max_depth);
		return;
	}
	if (p->depth == 0) {
		/* The root's start tag: all of it is buffered by now. */
		n = XML_GetCurrentByteCount(p->parser);
		if (n > 0 && (size_t)n > p->max_stanza) {
			push_fail(p, "stream header larger than %zu bytes",
			          p->max_stanza);
			return;
		}
	} else if (p->depth == 1) {
		p->mark = push_offset(p); /* a first-level child begins */
	}
	p->depth++;

	need = strlen(name) + 1;
	while (atts[2 * natts] != NULL)
		need += strlen(atts[2 * natts++]) + 1;
	if (grow((void **)&p->names, &p->names_cap, need, 1) < 0 ||
	    grow((void **)&p->attrs, &p->attrs_cap, natts + 1, sizeof(*p->attrs)) < 0 ||
	    grow((void **)&p->decls, &p->decls_cap, p->nns + 1, sizeof(*p->decls)) < 0) {
		push_fail(p, "out of memory");
		return;
	}
	memset(&st, 0, sizeof(st));
	st.depth = p->depth;
	split_name(p->names, name, &st.name);
	off = strlen(name) + 1;
	for (i = 0; i < natts; i++) {
		split_name(p->names + off, atts[2 * i], &p->attrs[i].name);
		off += strlen(atts[2 * i]) + 1;
		p->attrs[i].value = atts[2 * i + 1];
	}
	for (i = 0; i < p->nns; i++) {
		p->decls[i].prefix = p->ns[i].prefix;
		p->decls[i].uri = p->ns[i].uri;
	}
	st.attrs = p->attrs;
	st.nattrs = natts;
	st.nsdecls = p->decls;
	st.nnsdecls = p->nns;
	if (p->ops.start != NULL)
		push_check_cb(p, p->ops.start(p->ud, &st, &p->err));
	push_drop_ns(p);
	if (p->depth == 1) {
		p->root_seen = 1;
		p->mark = push_offset_end(p);
	}
}

static void XMLCALL
push_on_end(void *ud, const XML_Char *name)
{
	struct uctls_xml_push *p = ud;
	struct uctls_xml_qname q;
	unsigned long long end;
	char *copy;
	int depth = p->depth;

	if (p->failed)
		return;
	end = push_offset_end(p);
	if (depth == 2 && end - p->mark > p->max_stanza) {
		push_fail(p, "stanza larger than %zu bytes", p->max_stanza);
		return;
	}
	p->depth--;
	if (depth <= 2)
		p->mark = end;
	if (p->ops.end == NULL)
		return;
	copy = strdup(name);
	if (copy == NULL) {
		push_fail(p, "out of memory");
		return;
	}
	split_name(copy, name, &q);
	push_check_cb(p, p->ops.end(p->ud, depth, &q, &p->err));
	free(copy);
}

static void XMLCALL
push_on_text(void *ud, const XML_Char *s, int len)
{
	struct uctls_xml_push *p = ud;

	if (p->failed || len <= 0)
		return;
	if (p->depth == 1)
		p->mark = push_offset_end(p);
	if (p->ops.text != NULL)
		push_check_cb(p, p->ops.text(p->ud, p->depth, s, (size_t)len, &p->err));
}

/* RFC 6120 11.1: "An XMPP entity MUST NOT [send] comments, processing
 * instructions, internal or external DTD subsets, internal or external
 * entity references (with the exception of the predefined entities)".
 * Entity references need no handler: without a DTD expat itself rejects
 * every one but the predefined five ("undefined entity"). */
static void XMLCALL
push_on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	push_fail(ud, "DOCTYPE not allowed in an XMPP stream (RFC 6120 11.1)");
}

/* Unreachable while DOCTYPE is refused: entities are declared only in a
 * DTD.  Kept so that the refusal does not rest on one handler. */
static void XMLCALL
push_on_entity_decl(void *ud, const XML_Char *name, int is_param,
                    const XML_Char *value, int value_len, const XML_Char *base,
                    const XML_Char *sysid, const XML_Char *pubid,
                    const XML_Char *notation)
{
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	push_fail(ud, "entity declaration `%s' not allowed in an XMPP stream "
	              "(RFC 6120 11.1)", name);
}

/* The XML declaration is not a processing instruction (expat reports it
 * to push_on_xmldecl()); anything else in <? ?> is one. */
static void XMLCALL
push_on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)data;
	push_fail(ud, "processing instruction <?%s ...?> not allowed in an "
	              "XMPP stream (RFC 6120 11.1)", target);
}

static void XMLCALL
push_on_comment(void *ud, const XML_Char *data)
{
	(void)data;
	push_fail(ud, "comment not allowed in an XMPP stream (RFC 6120 11.1)");
}

/* RFC 6120 11.6: XMPP is UTF-8.  The parser is created for UTF-8 whatever
 * the declaration says; a declaration that says otherwise is named rather
 * than left to fail later as bad UTF-8. */
static void XMLCALL
push_on_xmldecl(void *ud, const XML_Char *version, const XML_Char *encoding,
                int standalone)
{
	(void)version;
	(void)standalone;
	if (encoding != NULL && strcasecmp(encoding, "UTF-8") != 0)
		push_fail(ud, "encoding `%s' not allowed in an XMPP stream: "
		              "UTF-8 only (RFC 6120 11.6)", encoding);
}

/* Settings and handlers: after XML_ParserCreateNS() and again after
 * XML_ParserReset(), which clears handlers, user data and the triplet
 * switch. */
static void
push_setup(struct uctls_xml_push *p)
{
	XML_SetUserData(p->parser, p);
	XML_SetReturnNSTriplet(p->parser, 1);
	XML_SetElementHandler(p->parser, push_on_start, push_on_end);
	XML_SetCharacterDataHandler(p->parser, push_on_text);
	XML_SetStartNamespaceDeclHandler(p->parser, push_on_ns);
	XML_SetStartDoctypeDeclHandler(p->parser, push_on_doctype);
	XML_SetEntityDeclHandler(p->parser, push_on_entity_decl);
	XML_SetProcessingInstructionHandler(p->parser, push_on_pi);
	XML_SetCommentHandler(p->parser, push_on_comment);
	XML_SetXmlDeclHandler(p->parser, push_on_xmldecl);
	XML_SetParamEntityParsing(p->parser, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_SetReparseDeferralEnabled != NULL)
		XML_SetReparseDeferralEnabled(p->parser, XML_FALSE);
}

static void
push_clear_state(struct uctls_xml_push *p)
{
	p->failed = 0;
	uctls_err_clear(&p->err);
	p->depth = 0;
	p->root_seen = 0;
	p->fed = 0;
	p->mark = 0;
	push_drop_ns(p);
}

struct uctls_xml_push *
uctls_xml_push_new(const struct uctls_xml_push_ops *ops, void *ud, int max_depth,
                   size_t max_stanza)
{
	struct uctls_xml_push *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	/* UTF-8 whatever the document declares (RFC 6120 11.6). */
	p->parser = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (p->parser == NULL) {
		free(p);
		return NULL;
	}
	if (ops != NULL)
		p->ops = *ops;
	p->ud = ud;
	p->max_depth = max_depth;
	p->max_stanza = max_stanza;
	push_clear_state(p);
	push_setup(p);
	return p;
}

void
uctls_xml_push_free(struct uctls_xml_push *p)
{
	if (p == NULL)
		return;
	push_drop_ns(p);
	free(p->ns);
	free(p->names);
	free(p->attrs);
	free(p->decls);
	XML_ParserFree(p->parser);
	free(p);
}

int
uctls_xml_push_reset(struct uctls_xml_push *p)
{
	push_clear_state(p);
	if (!XML_ParserReset(p->parser, "UTF-8")) {
		p->failed = 1;
		return uctls_err_set(&p->err, "cannot reset the XML parser");
	}
	push_setup(p);
	return 0;
}

/* Copies the recorded error to ERR. */
static int
push_report(struct uctls_xml_push *p, struct uctls_err *err)
{
	return uctls_err_set(err, "%s", p->err.msg);
}

int
uctls_xml_push_feed(struct uctls_xml_push *p, const void *buf, size_t len,
                    struct uctls_err *err)
{
	const char *b = buf;
	size_t n;

	if (p->failed)
		return push_report(p, err);
	while (len > 0) {
		n = len < PUSH_CHUNK ? len : PUSH_CHUNK;
		if (XML_Parse(p->parser, b, (int)n, 0) == XML_STATUS_ERROR) {
			if (!p->failed) {
				p->failed = 1;
				uctls_err_set(&p->err, "not well-formed XML: %s (line %lu)",
				              XML_ErrorString(XML_GetErrorCode(p->parser)),
				              (unsigned long)XML_GetCurrentLineNumber(p->parser));
			}
			return push_report(p, err);
		}
		b += n;
		len -= n;
		p->fed += n;
		/* Bytes expat holds without having reported them: an unfinished
		 * stanza or stream header. */
		if (p->fed - p->mark > p->max_stanza) {
			p->failed = 1;
			if (p->root_seen)
				uctls_err_set(&p->err, "stanza larger than %zu bytes",
				              p->max_stanza);
			else
				uctls_err_set(&p->err, "stream header larger than %zu bytes",
				              p->max_stanza);
			return push_report(p, err);
		}
	}
	return 0;
}
