#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

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
	size_t n, total = 0;
	FILE *f;
	int rv;

	*out = NULL;
	f = fopen(file, "rb");
	if (f == NULL)
		return uctls_err_set(err, "%s: cannot open: %s", file,
		                     strerror(errno));
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
