#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"
#include "xmpp.h"

/* ------------------------------------------------------------------------
 * Elements and events
 * ------------------------------------------------------------------------ */

static void
elem_free(struct uctls_xmpp_elem *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nchildren; i++)
		elem_free(e->children[i]);
	free(e->children);
	for (i = 0; i < e->nattrs; i++) {
		free(e->attr_names[i]);
		free(e->attr_values[i]);
	}
	free(e->attr_names);
	free(e->attr_values);
	free(e->text);
	free(e->name);
	free(e->ns);
	free(e);
}

void
uctls_xmpp_event_free(struct uctls_xmpp_event *ev)
{
	if (ev == NULL)
		return;
	elem_free(ev->elem);
	free(ev);
}

const char *
uctls_xmpp_attr(const struct uctls_xmpp_elem *e, const char *name)
{
	size_t i;

	if (e == NULL)
		return NULL;
	for (i = 0; i < e->nattrs; i++)
		if (strcmp(e->attr_names[i], name) == 0)
			return e->attr_values[i];
	return NULL;
}

int
uctls_xmpp_elem_is(const struct uctls_xmpp_elem *e, const char *ns, const char *name)
{
	return e != NULL && strcmp(e->name, name) == 0 &&
	       (ns == NULL || strcmp(e->ns, ns) == 0);
}

const struct uctls_xmpp_elem *
uctls_xmpp_child(const struct uctls_xmpp_elem *e, const char *ns, const char *name)
{
	size_t i;

	if (e == NULL)
		return NULL;
	for (i = 0; i < e->nchildren; i++)
		if (uctls_xmpp_elem_is(e->children[i], ns, name))
			return e->children[i];
	return NULL;
}

/* "NS|LOCAL", or LOCAL when NS is empty (malloc'd). */
static char *
join_name(const char *ns, const char *local)
{
	size_t nl = strlen(ns), ll = strlen(local);
	char *s;

	if (nl == 0)
		return strdup(local);
	s = malloc(nl + 1 + ll + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, ns, nl);
	s[nl] = '|';
	memcpy(s + nl + 1, local, ll + 1);
	return s;
}

/* Appends the attribute NAME=VALUE (both copied); NAME is taken over. */
static int
elem_add_attr(struct uctls_xmpp_elem *e, char *name, const char *value)
{
	char **n, **v;

	if (name == NULL)
		return -1;
	n = realloc(e->attr_names, (e->nattrs + 1) * sizeof(*n));
	if (n != NULL)
		e->attr_names = n;
	v = realloc(e->attr_values, (e->nattrs + 1) * sizeof(*v));
	if (v != NULL)
		e->attr_values = v;
	if (n == NULL || v == NULL) {
		free(name);
		return -1;
	}
	e->attr_values[e->nattrs] = strdup(value);
	if (e->attr_values[e->nattrs] == NULL) {
		free(name);
		return -1;
	}
	e->attr_names[e->nattrs++] = name;
	return 0;
}

/* An element from a start tag.  WITH_DECLS: namespace declarations become
 * attributes "xmlns" and "xmlns:PREFIX" (the stream header's, see
 * xmpp.h); they cannot clash with a real attribute, which with namespaces
 * on is never called xmlns (XML Namespaces 1.0 section 3). */
static struct uctls_xmpp_elem *
elem_new(const struct uctls_xml_start *st, int with_decls)
{
	struct uctls_xmpp_elem *e;
	const struct uctls_xml_pattr *a;
	const struct uctls_xml_nsdecl *d;
	char *name;
	size_t i;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->ns = strdup(st->name.ns);
	e->name = strdup(st->name.local);
	e->text = calloc(1, 1);
	if (e->ns == NULL || e->name == NULL || e->text == NULL)
		goto fail;
	for (i = 0; i < st->nattrs; i++) {
		a = &st->attrs[i];
		if (elem_add_attr(e, join_name(a->name.ns, a->name.local), a->value) < 0)
			goto fail;
	}
	for (i = 0; with_decls && i < st->nnsdecls; i++) {
		d = &st->nsdecls[i];
		if (d->prefix[0] == '\0') {
			name = strdup("xmlns");
		} else {
			name = malloc(strlen(d->prefix) + 7);
			if (name != NULL)
				sprintf(name, "xmlns:%s", d->prefix);
		}
		if (elem_add_attr(e, name, d->uri) < 0)
			goto fail;
	}
	return e;
fail:
	elem_free(e);
	return NULL;
}

static int
elem_add_child(struct uctls_xmpp_elem *parent, struct uctls_xmpp_elem *child)
{
	struct uctls_xmpp_elem **c;

	c = realloc(parent->children, (parent->nchildren + 1) * sizeof(*c));
	if (c == NULL)
		return -1;
	parent->children = c;
	parent->children[parent->nchildren++] = child;
	return 0;
}

/* ------------------------------------------------------------------------
 * The parser
 * ------------------------------------------------------------------------ */

struct uctls_xmpp_parser {
	struct uctls_xml_push *push;
	int failed;

	/* Events ready for uctls_xmpp_parser_next(), oldest at HEAD. */
	struct uctls_xmpp_event **queue;
	size_t head, count, cap;

	/* The first-level element being built: OPEN[d] is the open element at
	 * depth d (OPEN[2] the stanza, which owns the deeper ones), with
	 * TEXT_LEN[d] bytes of text in a buffer of TEXT_CAP[d]. */
	struct uctls_xmpp_elem *open[UCTLS_XMPP_MAX_DEPTH + 1];
	size_t text_len[UCTLS_XMPP_MAX_DEPTH + 1];
	size_t text_cap[UCTLS_XMPP_MAX_DEPTH + 1];
};

static int
enqueue(struct uctls_xmpp_parser *p, enum uctls_xmpp_event_type type,
        struct uctls_xmpp_elem *elem)
{
	struct uctls_xmpp_event *ev, **q;

	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return -1;
	ev->type = type;
	if (p->head + p->count == p->cap) {
		if (p->head > 0) {
			memmove(p->queue, p->queue + p->head, p->count * sizeof(*q));
			p->head = 0;
		} else {
			q = realloc(p->queue, (p->cap ? 2 * p->cap : 8) * sizeof(*q));
			if (q == NULL) {
				free(ev);
				return -1;
			}
			p->queue = q;
			p->cap = p->cap ? 2 * p->cap : 8;
		}
	}
	ev->elem = elem;
	p->queue[p->head + p->count++] = ev;
	return 0;
}

/* Frees the queued events and the stanza being built. */
static void
drop_state(struct uctls_xmpp_parser *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		uctls_xmpp_event_free(p->queue[p->head + i]);
	p->head = 0;
	p->count = 0;
	elem_free(p->open[2]);
	memset(p->open, 0, sizeof(p->open));
	memset(p->text_len, 0, sizeof(p->text_len));
	memset(p->text_cap, 0, sizeof(p->text_cap));
}

/* <stream:stream>, whatever its prefix (RFC 6120 4.8.1, 11.2). */
static int
on_header(struct uctls_xmpp_parser *p, const struct uctls_xml_start *st,
          struct uctls_err *err)
{
	const struct uctls_xml_qname *n = &st->name;
	struct uctls_xmpp_elem *e;

	if (strcmp(n->local, "stream") == 0 && strcmp(n->ns, UCTLS_NS_STREAMS) != 0)
		return uctls_err_set(err, "first element is <%s%s%s> in namespace `%s', "
		                          "not <stream:stream> in `" UCTLS_NS_STREAMS "' "
		                          "(RFC 6120 4.8.1)",
		                     n->prefix, n->prefix[0] ? ":" : "", n->local, n->ns);
	if (strcmp(n->local, "stream") != 0)
		return uctls_err_set(err, "first element is <%s%s%s>, not <stream:stream>",
		                     n->prefix, n->prefix[0] ? ":" : "", n->local);
	e = elem_new(st, 1);
	if (e == NULL || enqueue(p, UCTLS_XMPP_STREAM_OPEN, e) < 0) {
		elem_free(e);
		return uctls_err_set(err, "out of memory");
	}
	return 0;
}

static int
on_start(void *ud, const struct uctls_xml_start *st, struct uctls_err *err)
{
	struct uctls_xmpp_parser *p = ud;
	struct uctls_xmpp_elem *e;
	int d = st->depth;

	if (d == 1)
		return on_header(p, st, err);
	/* Otherwise a stanza that never ends: the reader would wait for ever
	 * instead of naming the mismatch of restarts between the two sides. */
	if (d == 2 && strcmp(st->name.local, "stream") == 0 &&
	    strcmp(st->name.ns, UCTLS_NS_STREAMS) == 0)
		return uctls_err_set(err, "stream header inside the open stream: a stream "
		                          "restart (RFC 6120 4.3.3) the reader was not reset for");
	/* The push parser enforces UCTLS_XMPP_MAX_DEPTH; OPEN has room. */
	e = elem_new(st, 0);
	if (e == NULL)
		return uctls_err_set(err, "out of memory");
	if (d > 2 && elem_add_child(p->open[d - 1], e) < 0) {
		elem_free(e);
		return uctls_err_set(err, "out of memory");
	}
	p->open[d] = e;
	p->text_len[d] = 0;
	p->text_cap[d] = 1;
	return 0;
}

static int
on_end(void *ud, int depth, const struct uctls_xml_qname *name, struct uctls_err *err)
{
	struct uctls_xmpp_parser *p = ud;
	struct uctls_xmpp_elem *e;

	(void)name; /* expat checks that end tags match */
	if (depth == 1) {
		if (enqueue(p, UCTLS_XMPP_STREAM_CLOSE, NULL) < 0)
			return uctls_err_set(err, "out of memory");
		return 0;
	}
	e = p->open[depth];
	p->open[depth] = NULL;
	if (depth == 2 && enqueue(p, UCTLS_XMPP_STANZA, e) < 0) {
		elem_free(e);
		return uctls_err_set(err, "out of memory");
	}
	return 0;
}

static int
on_text(void *ud, int depth, const char *s, size_t len, struct uctls_err *err)
{
	struct uctls_xmpp_parser *p = ud;
	struct uctls_xmpp_elem *e;
	size_t i, need, cap;
	char *t;

	if (depth == 1) {
		/* Whitespace keep-alives (RFC 6120 4.6.1) and separators (11.7)
		 * are the only text allowed between first-level elements. */
		for (i = 0; i < len; i++)
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
				return uctls_err_set(err, "text `%.*s' between stanzas: only "
				                          "whitespace is allowed there "
				                          "(RFC 6120 11.7)",
				                     (int)(len - i > 40 ? 40 : len - i), s + i);
		return 0;
	}
	e = p->open[depth];
	need = p->text_len[depth] + len + 1;
	if (need > p->text_cap[depth]) {
		cap = 2 * p->text_cap[depth] > need ? 2 * p->text_cap[depth] : need;
		t = realloc(e->text, cap);
		if (t == NULL)
			return uctls_err_set(err, "out of memory");
		e->text = t;
		p->text_cap[depth] = cap;
	}
	memcpy(e->text + p->text_len[depth], s, len);
	p->text_len[depth] += len;
	e->text[p->text_len[depth]] = '\0';
	return 0;
}

struct uctls_xmpp_parser *
uctls_xmpp_parser_new(void)
{
	static const struct uctls_xml_push_ops ops = { on_start, on_end, on_text };
	struct uctls_xmpp_parser *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->push = uctls_xml_push_new(&ops, p, UCTLS_XMPP_MAX_DEPTH, UCTLS_XMPP_MAX_STANZA);
	if (p->push == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
uctls_xmpp_parser_free(struct uctls_xmpp_parser *p)
{
	if (p == NULL)
		return;
	drop_state(p);
	free(p->queue);
	uctls_xml_push_free(p->push);
	free(p);
}

int
uctls_xmpp_parser_feed(struct uctls_xmpp_parser *p, const void *buf, size_t len,
                       struct uctls_err *err)
{
	if (uctls_xml_push_feed(p->push, buf, len, err) == 0)
		return 0;
	/* A failed stream hands nothing more out: what came before the error
	 * in the same bytes is not to be acted upon. */
	p->failed = 1;
	drop_state(p);
	return -1;
}

struct uctls_xmpp_event *
uctls_xmpp_parser_next(struct uctls_xmpp_parser *p)
{
	struct uctls_xmpp_event *ev;

	if (p->failed || p->count == 0)
		return NULL;
	ev = p->queue[p->head++];
	if (--p->count == 0)
		p->head = 0;
	return ev;
}

int
uctls_xmpp_parser_reset(struct uctls_xmpp_parser *p)
{
	drop_state(p);
	p->failed = 0;
	if (uctls_xml_push_reset(p->push) < 0) {
		p->failed = 1;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Builders
 * ------------------------------------------------------------------------ */

/* A growing string; any failure (memory, invalid content) sticks and makes
 * sb_finish() return NULL. */
struct sbuf {
	char *s;
	size_t len, cap;
	int bad;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *t;

	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		t = realloc(b->s, cap);
		if (t == NULL) {
			b->bad = 1;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static char *
sb_finish(struct sbuf *b)
{
	if (b->bad || b->s == NULL) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* Length of the UTF-8 sequence at S if it encodes a character XML 1.0
 * allows (section 2.2: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF]), else 0.  Overlong forms and surrogates are refused
 * (RFC 3629 3). */
static size_t
xml_char_len(const unsigned char *s)
{
	unsigned long c;
	size_t n, i;

	if (s[0] < 0x80) {
		if (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r')
			return 0;
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	if ((c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
		return 0;
	return n;
}

/* Appends S escaped for character data (IN_ATTR 0) or for an attribute
 * value in single quotes (IN_ATTR 1); marks B bad when S is not XML
 * content.  In attribute values TAB, LF and CR are written as references,
 * which survive attribute-value normalisation (XML 1.0 section 3.3.3);
 * in text CR is, which survives end-of-line handling (section 2.11). */
static void
sb_escaped(struct sbuf *b, const char *s, int in_attr)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *rep;
	size_t n;

	if (s == NULL) {
		b->bad = 1;
		return;
	}
	while (*u != '\0' && !b->bad) {
		n = xml_char_len(u);
		if (n == 0) {
			b->bad = 1;
			return;
		}
		switch (*u) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		case '\r': rep = "&#13;"; break;
		case '\t': rep = in_attr ? "&#9;" : NULL; break;
		case '\n': rep = in_attr ? "&#10;" : NULL; break;
		default: rep = NULL; break;
		}
		if (rep != NULL)
			sb_str(b, rep);
		else
			sb_add(b, (const char *)u, n);
		u += n;
	}
}

/* " NAME='VALUE'" */
static void
sb_attr(struct sbuf *b, const char *name, const char *value)
{
	sb_str(b, " ");
	sb_str(b, name);
	sb_str(b, "='");
	sb_escaped(b, value, 1);
	sb_str(b, "'");
}

char *
uctls_xmpp_stream_header(const char *from, const char *to, const char *id)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	sb_str(&b, "<?xml version='1.0'?><stream:stream xmlns='" UCTLS_NS_SERVER "'"
	           " xmlns:stream='" UCTLS_NS_STREAMS "'"
	           " xmlns:db='" UCTLS_NS_DIALBACK "'");
	if (from != NULL)
		sb_attr(&b, "from", from);
	if (to != NULL)
		sb_attr(&b, "to", to);
	if (id != NULL)
		sb_attr(&b, "id", id);
	sb_str(&b, " version='1.0'>");
	return sb_finish(&b);
}

char *
uctls_xmpp_features(int starttls, int sasl_external, int dialback)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	if (starttls < 0 || starttls > 2)
		return NULL;
	sb_str(&b, "<stream:features>");
	if (starttls == 1)
		sb_str(&b, "<starttls xmlns='" UCTLS_NS_TLS "'/>");
	else if (starttls == 2)
		sb_str(&b, "<starttls xmlns='" UCTLS_NS_TLS "'><required/></starttls>");
	if (sasl_external)
		sb_str(&b, "<mechanisms xmlns='" UCTLS_NS_SASL "'>"
		           "<mechanism>EXTERNAL</mechanism></mechanisms>");
	if (dialback)
		sb_str(&b, "<dialback xmlns='" UCTLS_NS_DIALBACK_FEATURE "'/>");
	sb_str(&b, "</stream:features>");
	return sb_finish(&b);
}

char *
uctls_xmpp_starttls(void)
{
	return strdup("<starttls xmlns='" UCTLS_NS_TLS "'/>");
}

char *
uctls_xmpp_proceed(void)
{
	return strdup("<proceed xmlns='" UCTLS_NS_TLS "'/>");
}

char *
uctls_xmpp_tls_failure(void)
{
	return strdup("<failure xmlns='" UCTLS_NS_TLS "'/>");
}

char *
uctls_xmpp_stream_close(void)
{
	return strdup("</stream:stream>");
}

/* Base64 (RFC 4648 4), with padding. */
static void
sb_base64(struct sbuf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	unsigned long v;
	size_t i;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		sb_add(b, q, 4);
	}
}

/* RFC 6120 6.4.2: an empty initial response is sent as "=" (a lone "="),
 * so that it differs from no response at all; XEP-0178 3 (step 7): the
 * initiating server may send its domain as the authorization identity, or
 * the empty response. */
char *
uctls_xmpp_sasl_external(const char *authzid)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	sb_str(&b, "<auth xmlns='" UCTLS_NS_SASL "' mechanism='EXTERNAL'>");
	if (authzid == NULL || authzid[0] == '\0')
		sb_str(&b, "=");
	else
		sb_base64(&b, (const unsigned char *)authzid, strlen(authzid));
	sb_str(&b, "</auth>");
	return sb_finish(&b);
}

char *
uctls_xmpp_sasl_success(void)
{
	return strdup("<success xmlns='" UCTLS_NS_SASL "'/>");
}

/* RFC 6120 4.9.3.1 to 4.9.3.25, the defined stream error conditions. */
static const char *const stream_conditions[] = {
	"bad-format", "bad-namespace-prefix", "conflict", "connection-timeout",
	"host-gone", "host-unknown", "improper-addressing", "internal-server-error",
	"invalid-from", "invalid-namespace", "invalid-xml", "not-authorized",
	"not-well-formed", "policy-violation", "remote-connection-failed", "reset",
	"resource-constraint", "restricted-xml", "see-other-host", "system-shutdown",
	"undefined-condition", "unsupported-encoding", "unsupported-feature",
	"unsupported-stanza-type", "unsupported-version", NULL
};

/* RFC 6120 6.5.1 to 6.5.11, the defined SASL failure conditions. */
static const char *const sasl_conditions[] = {
	"aborted", "account-disabled", "credentials-expired", "encryption-required",
	"incorrect-encoding", "invalid-authzid", "invalid-mechanism",
	"malformed-request", "mechanism-too-weak", "not-authorized",
	"temporary-auth-failure", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

char *
uctls_xmpp_sasl_failure(const char *condition)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	if (!in_list(sasl_conditions, condition))
		return NULL;
	sb_str(&b, "<failure xmlns='" UCTLS_NS_SASL "'><");
	sb_str(&b, condition);
	sb_str(&b, "/></failure>");
	return sb_finish(&b);
}

char *
uctls_xmpp_db_result(const char *from, const char *to, const char *key)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	sb_str(&b, "<db:result");
	sb_attr(&b, "from", from);
	sb_attr(&b, "to", to);
	sb_str(&b, ">");
	sb_escaped(&b, key, 0);
	sb_str(&b, "</db:result>");
	return sb_finish(&b);
}

char *
uctls_xmpp_db_answer(const char *from, const char *to, int valid)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	sb_str(&b, "<db:result");
	sb_attr(&b, "from", from);
	sb_attr(&b, "to", to);
	sb_attr(&b, "type", valid ? "valid" : "invalid");
	sb_str(&b, "/>");
	return sb_finish(&b);
}

/* RFC 6120 4.9.2: the condition and <text/> are both qualified by the
 * xmpp-streams namespace; the stream is closed right after (4.9.1.1). */
char *
uctls_xmpp_stream_error(const char *condition, const char *text)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	if (!in_list(stream_conditions, condition))
		return NULL;
	sb_str(&b, "<stream:error><");
	sb_str(&b, condition);
	sb_str(&b, " xmlns='" UCTLS_NS_STREAM_ERRORS "'/>");
	if (text != NULL && text[0] != '\0') {
		sb_str(&b, "<text xmlns='" UCTLS_NS_STREAM_ERRORS "'>");
		sb_escaped(&b, text, 0);
		sb_str(&b, "</text>");
	}
	sb_str(&b, "</stream:error></stream:stream>");
	return sb_finish(&b);
}

static char *
iq(const char *type, const char *from, const char *to, const char *id, const char *payload)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	sb_str(&b, "<iq");
	sb_attr(&b, "type", type);
	sb_attr(&b, "id", id);
	sb_attr(&b, "from", from);
	sb_attr(&b, "to", to);
	if (payload != NULL) {
		sb_str(&b, ">");
		sb_str(&b, payload);
		sb_str(&b, "</iq>");
	} else {
		sb_str(&b, "/>");
	}
	return sb_finish(&b);
}

char *
uctls_xmpp_ping(const char *from, const char *to, const char *id)
{
	return iq("get", from, to, id, "<ping xmlns='" UCTLS_NS_PING "'/>");
}

char *
uctls_xmpp_pong(const char *from, const char *to, const char *id)
{
	return iq("result", from, to, id, NULL);
}

/* ------------------------------------------------------------------------
 * Conditions
 * ------------------------------------------------------------------------ */

/* The first child of E in NS other than <text/>: the defined condition
 * (RFC 6120 4.9.2, 6.4.5).  Returned as received, defined or not, so that
 * a report can name what the peer sent. */
static const char *
condition_of(const struct uctls_xmpp_elem *e, const char *ns)
{
	size_t i;

	for (i = 0; i < e->nchildren; i++)
		if (strcmp(e->children[i]->ns, ns) == 0 &&
		    strcmp(e->children[i]->name, "text") != 0)
			return e->children[i]->name;
	return NULL;
}

const char *
uctls_xmpp_stream_error_condition(const struct uctls_xmpp_elem *elem)
{
	if (!uctls_xmpp_elem_is(elem, UCTLS_NS_STREAMS, "error"))
		return NULL;
	return condition_of(elem, UCTLS_NS_STREAM_ERRORS);
}

const char *
uctls_xmpp_sasl_failure_condition(const struct uctls_xmpp_elem *elem)
{
	if (!uctls_xmpp_elem_is(elem, UCTLS_NS_SASL, "failure"))
		return NULL;
	return condition_of(elem, UCTLS_NS_SASL);
}

const char *
uctls_xmpp_error_text(const struct uctls_xmpp_elem *elem)
{
	const struct uctls_xmpp_elem *t = NULL;

	if (uctls_xmpp_elem_is(elem, UCTLS_NS_STREAMS, "error"))
		t = uctls_xmpp_child(elem, UCTLS_NS_STREAM_ERRORS, "text");
	else if (uctls_xmpp_elem_is(elem, UCTLS_NS_SASL, "failure"))
		t = uctls_xmpp_child(elem, UCTLS_NS_SASL, "text");
	return t != NULL ? t->text : NULL;
}
