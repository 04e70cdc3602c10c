/* XMPP framing: each parse row is one or more byte streams, the parser
 * being reset between two (a stream restart), and either the events they
 * hold, rendered one line each (render_event()), or the error uctls must
 * name.  Every parse row is fed three ways (whole, one byte at a time,
 * 7-byte chunks) and must give the same result.  Builder rows are exact
 * bytes, then parsed back. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "xmpp.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* --- helpers ---------------------------------------------------------------- */

/* S with every "@PAD@" replaced by PAD 'a's and every "@SPC@" by PAD
 * spaces (malloc'd). */
static char *
expand(const char *s, size_t pad)
{
	const char *p;
	size_t n = 0, o = 0;
	char *out;

	for (p = s; (p = strchr(p, '@')) != NULL; p++)
		n++;
	out = malloc(strlen(s) + n * pad + 1);
	ck_assert_ptr_nonnull(out);
	while (*s != '\0') {
		if (strncmp(s, "@PAD@", 5) == 0 || strncmp(s, "@SPC@", 5) == 0) {
			memset(out + o, s[1] == 'P' ? 'a' : ' ', pad);
			o += pad;
			s += 5;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Namespaces written short in renderings: "stream:features" is
 * {http://etherx.jabber.org/streams}features, "iq" is {jabber:server}iq,
 * "{}x" is x in no namespace, "{urn:other}x" any other. */
static const struct {
	const char *ns, *pfx;
} short_ns[] = {
	{ UCTLS_NS_STREAMS, "stream:" },
	{ UCTLS_NS_SERVER, "" },
	{ UCTLS_NS_DIALBACK, "db:" },
	{ UCTLS_NS_TLS, "tls:" },
	{ UCTLS_NS_SASL, "sasl:" },
	{ UCTLS_NS_STREAM_ERRORS, "err:" },
	{ UCTLS_NS_DIALBACK_FEATURE, "dbf:" },
	{ UCTLS_NS_PING, "ping:" },
};

#define NS_XML "http://www.w3.org/XML/1998/namespace"

static void
render_str(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\r')
			fputs("\\r", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else
			fputc(*s, f);
	}
}

/* NAME(ATTR=VALUE ...)"TEXT"[CHILD ...]; the xml: namespace of attribute
 * names written "xml:", other attribute names as stored. */
static void
render_elem(FILE *f, const struct uctls_xmpp_elem *e)
{
	size_t i;
	int known = 0;

	ck_assert_ptr_nonnull(e->ns);
	ck_assert_ptr_nonnull(e->name);
	ck_assert_ptr_nonnull(e->text);
	for (i = 0; i < sizeof(short_ns) / sizeof(short_ns[0]) && !known; i++)
		if (strcmp(e->ns, short_ns[i].ns) == 0) {
			fputs(short_ns[i].pfx, f);
			known = 1;
		}
	if (!known)
		fprintf(f, "{%s}", e->ns);
	fputs(e->name, f);
	for (i = 0; i < e->nattrs; i++) {
		const char *n = e->attr_names[i];

		fputs(i == 0 ? "(" : " ", f);
		if (strncmp(n, NS_XML "|", strlen(NS_XML) + 1) == 0)
			fprintf(f, "xml:%s", n + strlen(NS_XML) + 1);
		else
			fputs(n, f);
		fputc('=', f);
		render_str(f, e->attr_values[i]);
	}
	if (e->nattrs > 0)
		fputc(')', f);
	if (e->text[0] != '\0') {
		fputc('"', f);
		render_str(f, e->text);
		fputc('"', f);
	}
	for (i = 0; i < e->nchildren; i++) {
		fputs(i == 0 ? "[" : " ", f);
		render_elem(f, e->children[i]);
	}
	if (e->nchildren > 0)
		fputc(']', f);
}

/* Appends "open ELEM", "stanza ELEM" or "close" and a newline to OUT. */
static void
render_event(char **out, const struct uctls_xmpp_event *ev)
{
	FILE *f;
	char *s = NULL;
	size_t n = 0;

	f = open_memstream(&s, &n);
	ck_assert_ptr_nonnull(f);
	fputs(*out, f);
	switch (ev->type) {
	case UCTLS_XMPP_STREAM_OPEN:
		ck_assert_ptr_nonnull(ev->elem);
		ck_assert_uint_eq(ev->elem->nchildren, 0);
		ck_assert_str_eq(ev->elem->text, "");
		fputs("open ", f);
		render_elem(f, ev->elem);
		break;
	case UCTLS_XMPP_STANZA:
		ck_assert_ptr_nonnull(ev->elem);
		fputs("stanza ", f);
		render_elem(f, ev->elem);
		break;
	case UCTLS_XMPP_STREAM_CLOSE:
		ck_assert_ptr_null(ev->elem);
		fputs("close", f);
		break;
	default:
		ck_abort_msg("unknown event type %d", (int)ev->type);
	}
	fputc('\n', f);
	fclose(f);
	free(*out);
	*out = s;
}

/* Appends every ready event of P to OUT. */
static void
drain(struct uctls_xmpp_parser *p, char **out)
{
	struct uctls_xmpp_event *ev;

	while ((ev = uctls_xmpp_parser_next(p)) != NULL) {
		render_event(out, ev);
		uctls_xmpp_event_free(ev);
	}
}

/* --- stream fragments ------------------------------------------------------- */

/* Prosody's style (mod_s2s): single quotes, XML declaration, attributes in
 * hash order, prefixes stream: and db:, xml:lang. */
#define PROSODY_HDR(id) \
	"<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' " \
	"xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='b.example' " \
	"id='" id "' xml:lang='en' to='a.example' xmlns='jabber:server'>"
#define PROSODY_OPEN(id) \
	"open stream:stream(version=1.0 from=b.example id=" id " xml:lang=en to=a.example " \
	"xmlns:db=jabber:server:dialback xmlns:stream=http://etherx.jabber.org/streams " \
	"xmlns=jabber:server)\n"

/* An initiating server in another style: double quotes, no declaration. */
#define INIT_HDR \
	"<stream:stream xmlns=\"jabber:server\" xmlns:stream=\"http://etherx.jabber.org/streams\" " \
	"xmlns:db=\"jabber:server:dialback\" from=\"a.example\" to=\"b.example\" version=\"1.0\">"
#define INIT_OPEN \
	"open stream:stream(from=a.example to=b.example version=1.0 xmlns=jabber:server " \
	"xmlns:stream=http://etherx.jabber.org/streams xmlns:db=jabber:server:dialback)\n"

/* The shortest header, for rows about what follows it. */
#define HDR "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"
#define OPEN \
	"open stream:stream(xmlns=jabber:server xmlns:stream=http://etherx.jabber.org/streams)\n"

#define A5 "<a><a><a><a><a>"
#define Z5 "</a></a></a></a></a>"

/* --- parsing ------------------------------------------------------------------ */

struct parse_row {
	const char *in[4]; /* byte streams, reset between two; "@PAD@" stands
	                      for PAD 'a's */
	size_t pad;
	const char *want;  /* every event rendered, "--reset--\n" between
	                      streams; NULL with an error */
	const char *err_has; /* NULL: no error; else a substring of the message */
	size_t min_chunk;  /* feed at least this much at once (see big_tag) */
};

/* A start tag of 64 KiB unfinished costs a rescan of all of it per feed
 * (expat's reparse deferral is off, see xml.c): rows with one are fed in
 * pieces of at least this size so that the suite stays fast under
 * valgrind. */
#define BIG_TAG_CHUNK 1000

/* <message>PAD</message> is 19 + PAD bytes. */
#define MSG_FIXED 19

static const struct parse_row parse_rows[] = {
	/* s2s with SASL EXTERNAL, as the initiating server receives it from a
	 * Prosody receiving server: features with STARTTLS required and
	 * dialback, <proceed/>; restart over TLS: SASL EXTERNAL offered,
	 * <success/>; restart: no more features, the answer to our ping, the
	 * close (RFC 6120 5.4.3.3, 6.4.6; XEP-0178; XEP-0199) */
	{ { PROSODY_HDR("2f1a-77")
	    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
	    "</starttls><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
	    "</stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
	    PROSODY_HDR("9c0e-12")
	    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
	    "<mechanism>EXTERNAL</mechanism></mechanisms><dialback "
	    "xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>"
	    "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
	    PROSODY_HDR("d41d-3") "<stream:features/>"
	    "<iq type='result' id='ping-1' from='b.example' to='a.example'/></stream:stream>",
	    NULL }, 0,
	  PROSODY_OPEN("2f1a-77")
	  "stanza stream:features[tls:starttls[tls:required] dbf:dialback[dbf:errors]]\n"
	  "stanza tls:proceed\n"
	  "--reset--\n"
	  PROSODY_OPEN("9c0e-12")
	  "stanza stream:features[sasl:mechanisms[sasl:mechanism\"EXTERNAL\"] "
	  "dbf:dialback[dbf:errors]]\n"
	  "stanza sasl:success\n"
	  "--reset--\n"
	  PROSODY_OPEN("d41d-3")
	  "stanza stream:features\n"
	  "stanza iq(type=result id=ping-1 from=b.example to=a.example)\n"
	  "close\n", NULL, 0 },
	/* the same exchange as the receiving server gets it: <starttls/>;
	 * restart: <auth/> with base64("a.example"); restart: the ping, the
	 * close */
	{ { INIT_HDR "<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>",
	    INIT_HDR "<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"EXTERNAL\">"
	    "YS5leGFtcGxl</auth>",
	    INIT_HDR "<iq type=\"get\" id=\"ping-1\" from=\"a.example\" to=\"b.example\">"
	    "<ping xmlns=\"urn:xmpp:ping\"/></iq></stream:stream>",
	    NULL }, 0,
	  INIT_OPEN
	  "stanza tls:starttls\n"
	  "--reset--\n"
	  INIT_OPEN
	  "stanza sasl:auth(mechanism=EXTERNAL)\"YS5leGFtcGxl\"\n"
	  "--reset--\n"
	  INIT_OPEN
	  "stanza iq(type=get id=ping-1 from=a.example to=b.example)[ping:ping]\n"
	  "close\n", NULL, 0 },
	/* s2s with dialback after TLS, initiating side: the receiving server
	 * offers only dialback and says the key is valid (XEP-0220 2.1.3) */
	{ { PROSODY_HDR("1")
	    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
	    "</starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
	    PROSODY_HDR("2")
	    "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>"
	    "<db:result from='b.example' to='a.example' type='valid'/>"
	    "<iq type='result' id='ping-1' from='b.example' to='a.example'/>",
	    NULL }, 0,
	  PROSODY_OPEN("1")
	  "stanza stream:features[tls:starttls[tls:required]]\n"
	  "stanza tls:proceed\n"
	  "--reset--\n"
	  PROSODY_OPEN("2")
	  "stanza stream:features[dbf:dialback]\n"
	  "stanza db:result(from=b.example to=a.example type=valid)\n"
	  "stanza iq(type=result id=ping-1 from=b.example to=a.example)\n", NULL, 0 },
	/* dialback, receiving side: the key (XEP-0220 2.1.1) */
	{ { INIT_HDR "<db:result from=\"a.example\" to=\"b.example\">"
	    "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643</db:result>",
	    NULL }, 0,
	  INIT_OPEN "stanza db:result(from=a.example to=b.example)"
	  "\"37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643\"\n", NULL, 0 },
	/* whitespace keep-alives (RFC 6120 4.6.1) and separators (11.7)
	 * between stanzas are not events */
	{ { HDR " \n<iq type='get' id='1'/>\r\n\t <iq type='get' id='2'/>   \n", NULL }, 0,
	  OPEN "stanza iq(type=get id=1)\nstanza iq(type=get id=2)\n", NULL, 0 },
	/* keep-alives alone */
	{ { HDR " ", NULL }, 0, OPEN, NULL, 0 },
	/* keep-alives do not add up to a stanza over the limit, in one run or
	 * in several */
	{ { HDR "@SPC@", NULL }, 70000, OPEN, NULL, 0 },
	{ { HDR "@SPC@<iq/>@SPC@<iq/>", NULL }, 40000, OPEN "stanza iq\nstanza iq\n", NULL, 0 },
	{ { HDR "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n", NULL }, 0, OPEN,
	  NULL, 0 },
	/* whitespace inside a pretty-printed stanza is its text */
	{ { HDR "<stream:features>\n  <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
	    "</stream:features>", NULL }, 0,
	  OPEN "stanza stream:features\"\\n  \\n\"[tls:starttls]\n", NULL, 0 },
	/* prefixes: features with its own prefix for the streams namespace */
	{ { HDR "<s:features xmlns:s='http://etherx.jabber.org/streams'/>", NULL }, 0,
	  OPEN "stanza stream:features\n", NULL, 0 },
	/* ... or as the default namespace */
	{ { HDR "<features xmlns='http://etherx.jabber.org/streams'><starttls "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></features>", NULL }, 0,
	  OPEN "stanza stream:features[tls:starttls]\n", NULL, 0 },
	/* a stream whose prefix is not "stream" */
	{ { "<x:stream xmlns:x='http://etherx.jabber.org/streams' xmlns='jabber:server'>"
	    "<x:features/><x:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	    "</x:error></x:stream>", NULL }, 0,
	  "open stream:stream(xmlns:x=http://etherx.jabber.org/streams xmlns=jabber:server)\n"
	  "stanza stream:features\nstanza stream:error[err:host-unknown]\nclose\n", NULL, 0 },
	/* the stream namespace as the default one */
	{ { "<stream xmlns='http://etherx.jabber.org/streams'><features/></stream>", NULL }, 0,
	  "open stream:stream(xmlns=http://etherx.jabber.org/streams)\n"
	  "stanza stream:features\nclose\n", NULL, 0 },
	/* a content namespace with a prefix */
	{ { HDR "<tls:starttls xmlns:tls='urn:ietf:params:xml:ns:xmpp-tls'/>", NULL }, 0,
	  OPEN "stanza tls:starttls\n", NULL, 0 },
	/* names go by namespace, not prefix: stream: rebound, and xmlns='' */
	{ { HDR "<stream:features xmlns:stream='urn:other'/><iq xmlns=''/>", NULL }, 0,
	  OPEN "stanza {urn:other}features\nstanza {}iq\n", NULL, 0 },
	/* attribute names: "ns|local" when prefixed, xml:lang included */
	{ { HDR "<message xmlns:foo='urn:foo' foo:bar='1' xml:lang='de' to='x'/>", NULL }, 0,
	  OPEN "stanza message(urn:foo|bar=1 xml:lang=de to=x)\n", NULL, 0 },
	/* references, CDATA and attribute-value normalisation resolved */
	{ { HDR "<db:result xmlns:db='jabber:server:dialback' from='a&apos;b' to='c\td'>"
	    "&lt;k&amp;&#x41;&#66;<![CDATA[<x>]]></db:result>", NULL }, 0,
	  OPEN "stanza db:result(from=a'b to=c d)\"<k&AB<x>\"\n", NULL, 0 },
	/* multi-byte UTF-8 (split by the 1- and 7-byte feeds) */
	{ { HDR "<message><body>Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x98\x80 \xe2\x82\xac</body></message>",
	    NULL }, 0,
	  OPEN "stanza message[body\"Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x98\x80 \xe2\x82\xac\"]\n",
	  NULL, 0 },
	/* text directly inside and around children: only the direct pieces */
	{ { HDR "<a>x<b>y</b>z</a>", NULL }, 0, OPEN "stanza a\"xz\"[b\"y\"]\n", NULL, 0 },
	/* an XML declaration in UTF-8, any case */
	{ { "<?xml version='1.0' encoding='utf-8'?>" HDR, NULL }, 0, OPEN, NULL, 0 },
	/* an unfinished stanza is not an event yet */
	{ { HDR "<iq type='get'><ping xmlns='urn:xmpp:ping'/>", NULL }, 0, OPEN, NULL, 0 },
	{ { HDR "<iq type='ge", NULL }, 0, OPEN, NULL, 0 },
	/* a stanza of exactly 65536 bytes */
	{ { HDR "<message>@PAD@</message>", NULL }, UCTLS_XMPP_MAX_STANZA - MSG_FIXED,
	  OPEN "stanza message\"@PAD@\"\n", NULL, 0 },
	/* depth 16: the stream and 15 nested elements */
	{ { HDR A5 A5 A5 Z5 Z5 Z5, NULL }, 0,
	  OPEN "stanza a[a[a[a[a[a[a[a[a[a[a[a[a[a[a]]]]]]]]]]]]]]\n", NULL, 0 },
	/* reset: an unfinished stanza is forgotten, and the bytes after it are
	 * a new stream, where an XML declaration is allowed again */
	{ { HDR "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/>",
	    "<?xml version='1.0'?>" HDR "<iq type='result' id='1'/>", NULL }, 0,
	  OPEN "--reset--\n" OPEN "stanza iq(type=result id=1)\n", NULL, 0 },
	/* reset after the close; and a stream closed at once */
	{ { HDR "</stream:stream>", HDR "</stream:stream>", NULL }, 0,
	  OPEN "close\n--reset--\n" OPEN "close\n", NULL, 0 },
	/* reset before anything: nothing changes */
	{ { "", HDR, NULL }, 0, "--reset--\n" OPEN, NULL, 0 },

	/* errors */
	/* one byte over the stanza limit */
	{ { HDR "<message>@PAD@</message>", NULL }, UCTLS_XMPP_MAX_STANZA - MSG_FIXED + 1,
	  NULL, "stanza larger than 65536 bytes", 0 },
	/* a stanza that never ends, in text */
	{ { HDR "<message><body>@PAD@", NULL }, 70000, NULL, "stanza larger than 65536 bytes", 0 },
	/* ... in one start tag: expat would buffer it all */
	{ { HDR "<message to='@PAD@", NULL }, 70000, NULL, "stanza larger than 65536 bytes",
	  BIG_TAG_CHUNK },
	/* a stream header that never ends */
	{ { "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' x='@PAD@", NULL },
	  70000, NULL, "stream header larger than 65536 bytes", BIG_TAG_CHUNK },
	/* depth 17 */
	{ { HDR A5 A5 A5 "<a>", NULL }, 0, NULL, "elements nested deeper than 16", 0 },
	/* RFC 6120 11.1: DOCTYPE (billion laughs would start so), with or
	 * without an internal subset */
	{ { "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY a 'aaaa'>"
	    "<!ENTITY b '&a;&a;&a;&a;'>]>" HDR, NULL }, 0, NULL,
	  "DOCTYPE not allowed in an XMPP stream (RFC 6120 11.1)", 0 },
	{ { "<!DOCTYPE stream:stream SYSTEM 'http://example.com/x.dtd'>" HDR, NULL }, 0, NULL,
	  "DOCTYPE not allowed in an XMPP stream (RFC 6120 11.1)", 0 },
	/* ... processing instructions, before the header or in the stream */
	{ { "<?xml-stylesheet href='x'?>" HDR, NULL }, 0, NULL,
	  "processing instruction <?xml-stylesheet ...?> not allowed", 0 },
	{ { HDR "<iq><?php echo 1; ?></iq>", NULL }, 0, NULL,
	  "processing instruction <?php ...?> not allowed in an XMPP stream (RFC 6120 11.1)", 0 },
	/* ... comments */
	{ { HDR "<!-- keep-alive -->", NULL }, 0, NULL,
	  "comment not allowed in an XMPP stream (RFC 6120 11.1)", 0 },
	/* ... entity references other than the predefined ones */
	{ { HDR "<message>&nbsp;</message>", NULL }, 0, NULL,
	  "not well-formed XML: undefined entity (line 1)", 0 },
	/* RFC 6120 11.6: UTF-8 only */
	{ { "<?xml version='1.0' encoding='ISO-8859-1'?>" HDR, NULL }, 0, NULL,
	  "encoding `ISO-8859-1' not allowed in an XMPP stream: UTF-8 only (RFC 6120 11.6)", 0 },
	/* bytes that are not UTF-8 */
	{ { HDR "<message>\xff</message>", NULL }, 0, NULL, "not well-formed XML: ", 0 },
	/* garbage, an HTTP answer, a TLS ClientHello where XML was expected */
	{ { "hello world", NULL }, 0, NULL, "not well-formed XML: syntax error (line 1)", 0 },
	{ { "HTTP/1.1 400 Bad Request\r\n\r\n", NULL }, 0, NULL,
	  "not well-formed XML: not well-formed (invalid token) (line 1)", 0 },
	{ { "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", NULL }, 0, NULL,
	  "not well-formed XML: ", 0 },
	/* the line is counted */
	{ { HDR "\n\n<iq>\n</message>", NULL }, 0, NULL,
	  "not well-formed XML: mismatched tag (line 4)", 0 },
	/* a stream that starts with something other than <stream:stream> */
	{ { "<html><body>", NULL }, 0, NULL, "first element is <html>, not <stream:stream>", 0 },
	{ { "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>", NULL }, 0, NULL,
	  "first element is <stream:features>, not <stream:stream>", 0 },
	/* ... or a stream in the wrong namespace (RFC 6120 4.9.3.10) */
	{ { "<stream xmlns='jabber:client'>", NULL }, 0, NULL,
	  "first element is <stream> in namespace `jabber:client', not <stream:stream> in "
	  "`http://etherx.jabber.org/streams'", 0 },
	{ { "<stream:stream xmlns:stream='http://etherx.jabber.org/streams/'>", NULL }, 0, NULL,
	  "first element is <stream:stream> in namespace `http://etherx.jabber.org/streams/'", 0 },
	/* an unbound prefix */
	{ { "<stream:stream xmlns='jabber:server'>", NULL }, 0, NULL,
	  "not well-formed XML: unbound prefix (line 1)", 0 },
	{ { HDR "<db:result/>", NULL }, 0, NULL, "not well-formed XML: unbound prefix", 0 },
	/* text that is not whitespace between stanzas (quoted from its first
	 * character as far as it came in the same feed) */
	{ { HDR "<iq/>\n hello<iq/>", NULL }, 0, NULL,
	  "text `h", 0 },
	{ { HDR "<iq/>hello<iq/>", NULL }, 0, NULL,
	  "' between stanzas: only whitespace is allowed there (RFC 6120 11.7)", 0 },
	/* anything after the close */
	{ { HDR "</stream:stream><iq/>", NULL }, 0, NULL,
	  "not well-formed XML: junk after document element", 0 },
	/* a restart without reset: the XML declaration mid-stream */
	{ { HDR "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><?xml version='1.0'?>", NULL },
	  0, NULL, "not well-formed XML: XML or text declaration not at start of entity", 0 },
	/* ... and a new header without one */
	{ { HDR "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" HDR, NULL }, 0, NULL,
	  "stream header inside the open stream: a stream restart (RFC 6120 4.3.3) the reader "
	  "was not reset for", 0 },
	/* a good stanza before the error is dropped with the stream */
	{ { HDR "<iq type='get' id='1'/></stream>", NULL }, 0, NULL,
	  "not well-formed XML: mismatched tag (line 1)", 0 },
	/* an error in the stream after a reset */
	{ { HDR, "<iq/>", NULL }, 0, NULL, "first element is <iq>, not <stream:stream>", 0 },
};

#define NPARSE (sizeof(parse_rows) / sizeof(parse_rows[0]))
static const size_t chunk_sizes[] = { 0 /* whole */, 1, 7 };
#define NCHUNK (sizeof(chunk_sizes) / sizeof(chunk_sizes[0]))

/* Feeds IN to P in pieces of CHUNK (0: whole), taking events out as they
 * come into *GOT.  Returns what the last feed returned. */
static int
feed_all(struct uctls_xmpp_parser *p, const char *in, size_t chunk, char **got,
         struct uctls_err *err)
{
	size_t n = strlen(in), off, k;
	int rv = 0;

	if (chunk == 0)
		chunk = n > 0 ? n : 1;
	for (off = 0; off < n && rv == 0; off += k) {
		k = n - off < chunk ? n - off : chunk;
		rv = uctls_xmpp_parser_feed(p, in + off, k, err);
		drain(p, got);
	}
	return rv;
}

START_TEST(test_parse_row)
{
	const struct parse_row *r = &parse_rows[_i / NCHUNK];
	size_t chunk = chunk_sizes[_i % NCHUNK];
	struct uctls_xmpp_parser *p;
	struct uctls_err err;
	char *in, *want = NULL, *got, *tail;
	int rv = 0, row = _i / (int)NCHUNK;
	size_t s;

	if (chunk != 0 && chunk < r->min_chunk)
		chunk = r->min_chunk;
	p = uctls_xmpp_parser_new();
	ck_assert_ptr_nonnull(p);
	uctls_err_clear(&err);
	got = calloc(1, 1);
	ck_assert_ptr_nonnull(got);
	for (s = 0; s < 4 && r->in[s] != NULL && rv == 0; s++) {
		if (s > 0) {
			ck_assert_int_eq(uctls_xmpp_parser_reset(p), 0);
			tail = got;
			ck_assert_int_ge(asprintf(&got, "%s--reset--\n", tail), 0);
			free(tail);
		}
		in = expand(r->in[s], r->pad);
		rv = feed_all(p, in, chunk, &got, &err);
		free(in);
	}
	if (r->err_has == NULL) {
		ck_assert_msg(rv == 0, "row %d: unexpected error: %s", row, err.msg);
		ck_assert_int_eq(err.set, 0);
		want = expand(r->want, r->pad);
		/* stanzas can be 64 KiB: print the start of what differs */
		ck_assert_msg(strcmp(got, want) == 0, "row %d: got\n%.2000s\nwant\n%.2000s", row,
		              got, want);
	} else {
		char first[UCTLS_ERR_MAX];
		const char *hdr = HDR;

		ck_assert_msg(rv == -1, "row %d: no error, parsed:\n%.2000s", row, got);
		ck_assert_int_eq(err.set, 1);
		ck_assert_msg(strstr(err.msg, r->err_has) != NULL, "row %d: `%s' lacks `%s'", row,
		              err.msg, r->err_has);
		/* fed whole, the last stream hands nothing out once failed */
		if (chunk == 0) {
			const char *t;

			for (tail = got; (t = strstr(tail, "--reset--\n")) != NULL;)
				tail = (char *)t + 10;
			ck_assert_msg(tail[0] == '\0', "row %d: parsed %.2000s", row, tail);
		}
		/* the parser stays failed, with the same message */
		strcpy(first, err.msg);
		uctls_err_clear(&err);
		ck_assert_int_eq(uctls_xmpp_parser_feed(p, hdr, strlen(hdr), &err), -1);
		ck_assert_str_eq(err.msg, first);
		ck_assert_ptr_null(uctls_xmpp_parser_next(p));
		/* until a reset, after which it parses a new stream */
		ck_assert_int_eq(uctls_xmpp_parser_reset(p), 0);
		uctls_err_clear(&err);
		free(got);
		got = calloc(1, 1);
		ck_assert_ptr_nonnull(got);
		ck_assert_int_eq(feed_all(p, hdr, chunk, &got, &err), 0);
		ck_assert_str_eq(got, OPEN);
	}
	free(got);
	free(want);
	uctls_xmpp_parser_free(p);
}
END_TEST

/* Events queued but not taken are forgotten by a reset. */
START_TEST(test_reset_drops_events)
{
	static const char in[] = HDR "<iq type='get' id='1'/><iq type='get' id='2'/>";
	struct uctls_xmpp_parser *p = uctls_xmpp_parser_new();
	struct uctls_xmpp_event *ev;
	struct uctls_err err;
	char *got;

	ck_assert_ptr_nonnull(p);
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_xmpp_parser_feed(p, in, strlen(in), &err), 0);
	/* take one of the three */
	ev = uctls_xmpp_parser_next(p);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->type, UCTLS_XMPP_STREAM_OPEN);
	uctls_xmpp_event_free(ev);
	ck_assert_int_eq(uctls_xmpp_parser_reset(p), 0);
	ck_assert_ptr_null(uctls_xmpp_parser_next(p));
	got = calloc(1, 1);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(feed_all(p, HDR "<iq type='get' id='3'/>", 0, &got, &err), 0);
	ck_assert_str_eq(got, OPEN "stanza iq(type=get id=3)\n");
	free(got);
	/* and freeing with events queued leaks nothing (valgrind) */
	ck_assert_int_eq(uctls_xmpp_parser_feed(p, in + strlen(HDR), strlen(in) - strlen(HDR), &err), 0);
	uctls_xmpp_parser_free(p);
	uctls_xmpp_parser_free(NULL);
	uctls_xmpp_event_free(NULL);
}
END_TEST

/* Several events from one feed come out in order, one per call. */
START_TEST(test_next_order)
{
	static const char in[] = HDR "<a/><b/><c/></stream:stream>";
	static const struct {
		enum uctls_xmpp_event_type type;
		const char *name;
	} want[] = {
		{ UCTLS_XMPP_STREAM_OPEN, "stream" },
		{ UCTLS_XMPP_STANZA, "a" },
		{ UCTLS_XMPP_STANZA, "b" },
		{ UCTLS_XMPP_STANZA, "c" },
		{ UCTLS_XMPP_STREAM_CLOSE, NULL },
	};
	struct uctls_xmpp_parser *p = uctls_xmpp_parser_new();
	struct uctls_xmpp_event *ev;
	struct uctls_err err;
	int i;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_xmpp_parser_feed(p, in, strlen(in), &err), 0);
	for (i = 0; i < N(want); i++) {
		ev = uctls_xmpp_parser_next(p);
		ck_assert_ptr_nonnull(ev);
		ck_assert_int_eq(ev->type, want[i].type);
		if (want[i].name == NULL)
			ck_assert_ptr_null(ev->elem);
		else
			ck_assert_str_eq(ev->elem->name, want[i].name);
		uctls_xmpp_event_free(ev);
	}
	ck_assert_ptr_null(uctls_xmpp_parser_next(p));
	/* a feed of nothing is fine and gives nothing */
	ck_assert_int_eq(uctls_xmpp_parser_feed(p, "", 0, &err), 0);
	ck_assert_ptr_null(uctls_xmpp_parser_next(p));
	uctls_xmpp_parser_free(p);
}
END_TEST

/* --- lookups ------------------------------------------------------------------- */

static const struct {
	int stanza;       /* 0: the header, 1: the stanza after it */
	const char *attr; /* attribute looked up, or NULL */
	const char *ns;   /* else child looked up */
	const char *name;
	const char *want; /* attribute value or child's text; NULL: absent */
} lookup_rows[] = {
	/* the header's attributes */
	{ 0, "from", NULL, NULL, "b.example" },
	{ 0, "id", NULL, NULL, "4e1f" },
	/* xml:lang by its namespace name */
	{ 0, NS_XML "|lang", NULL, NULL, "en" },
	{ 0, "xml:lang", NULL, NULL, NULL },
	{ 0, "lang", NULL, NULL, NULL },
	/* the namespace declarations: default (jabber:server) and db: */
	{ 0, "xmlns", NULL, NULL, "jabber:server" },
	{ 0, "xmlns:db", NULL, NULL, UCTLS_NS_DIALBACK },
	{ 0, "xmlns:stream", NULL, NULL, UCTLS_NS_STREAMS },
	/* absent; case matters */
	{ 0, "to", NULL, NULL, NULL },
	{ 0, "FROM", NULL, NULL, NULL },
	/* stanzas have no xmlns attributes */
	{ 1, "xmlns", NULL, NULL, NULL },
	{ 1, "type", NULL, NULL, "error" },
	/* children by namespace and name */
	{ 1, NULL, UCTLS_NS_STREAMS, "x", "in streams" },
	{ 1, NULL, "jabber:server", "x", "in server" },
	/* NULL namespace: the first of that name */
	{ 1, NULL, NULL, "x", "in streams" },
	{ 1, NULL, "urn:none", "x", NULL },
	{ 1, NULL, NULL, "y", NULL },
};

START_TEST(test_lookup_row)
{
	static const char in[] =
		"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
		"xmlns:db='jabber:server:dialback' from='b.example' id='4e1f' xml:lang='en'>"
		"<iq type='error'><stream:x>in streams</stream:x><x>in server</x></iq>";
	struct uctls_xmpp_parser *p = uctls_xmpp_parser_new();
	struct uctls_xmpp_event *ev[2];
	const struct uctls_xmpp_elem *c;
	struct uctls_err err;
	const char *v;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_xmpp_parser_feed(p, in, strlen(in), &err), 0);
	ev[0] = uctls_xmpp_parser_next(p);
	ev[1] = uctls_xmpp_parser_next(p);
	ck_assert_ptr_nonnull(ev[0]);
	ck_assert_ptr_nonnull(ev[1]);
	if (lookup_rows[_i].attr != NULL) {
		v = uctls_xmpp_attr(ev[lookup_rows[_i].stanza]->elem, lookup_rows[_i].attr);
	} else {
		c = uctls_xmpp_child(ev[lookup_rows[_i].stanza]->elem, lookup_rows[_i].ns,
		                     lookup_rows[_i].name);
		v = c != NULL ? c->text : NULL;
	}
	if (lookup_rows[_i].want == NULL)
		ck_assert_ptr_null(v);
	else
		ck_assert_pstr_eq(v, lookup_rows[_i].want);
	uctls_xmpp_event_free(ev[0]);
	uctls_xmpp_event_free(ev[1]);
	uctls_xmpp_parser_free(p);
}
END_TEST

/* --- stream errors and SASL failures ------------------------------------------ */

static const struct {
	const char *stanza; /* parsed after PROSODY_HDR */
	const char *stream_cond;
	const char *sasl_cond;
	const char *text;
} cond_rows[] = {
	/* RFC 6120 4.9.3.6: the 'to' we gave is not served there */
	{ "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	  "</stream:error>", "host-unknown", NULL, NULL },
	/* 4.9.3.14 with text, the text first: the condition is not <text/> */
	{ "<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>"
	  "stanza too big</text><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	  "</stream:error>", "policy-violation", NULL, "stanza too big" },
	/* 4.9.3.12 */
	{ "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	  "</stream:error>", "not-authorized", NULL, NULL },
	/* 4.9.3.15, dialback could not reach us back (Prosody's wording) */
	{ "<stream:error><remote-connection-failed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Could not connect to a.example "
	  "for dialback</text></stream:error>",
	  "remote-connection-failed", NULL, "Could not connect to a.example for dialback" },
	/* an application-specific condition beside the defined one (4.9.4) */
	{ "<stream:error><bad-thing xmlns='urn:example:app'/><undefined-condition "
	  "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
	  "undefined-condition", NULL, NULL },
	/* a condition not defined by the RFC is reported as received */
	{ "<stream:error><made-up xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
	  "made-up", NULL, NULL },
	/* no condition at all; a <text/> outside the namespace is not the text */
	{ "<stream:error><text>hi</text></stream:error>", NULL, NULL, NULL },
	/* <error/> of the content namespace is a stanza error, not a stream error */
	{ "<error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></error>",
	  NULL, NULL, NULL },
	/* SASL failures, RFC 6120 6.5.10 and 6.5.11 with text (6.4.5) */
	{ "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>",
	  NULL, "not-authorized", NULL },
	{ "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><text xml:lang='en'>try later</text>"
	  "<temporary-auth-failure/></failure>", NULL, "temporary-auth-failure", "try later" },
	/* 6.5.4 with a prefix */
	{ "<s:failure xmlns:s='urn:ietf:params:xml:ns:xmpp-sasl'><s:encryption-required/>"
	  "</s:failure>", NULL, "encryption-required", NULL },
	/* a STARTTLS failure is not a SASL failure */
	{ "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", NULL, NULL, NULL },
	/* nor is a SASL success */
	{ "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", NULL, NULL, NULL },
};

START_TEST(test_cond_row)
{
	struct uctls_xmpp_parser *p = uctls_xmpp_parser_new();
	struct uctls_xmpp_event *ev;
	struct uctls_err err;
	char *in;

	ck_assert_int_ge(asprintf(&in, "%s%s", PROSODY_HDR("1"), cond_rows[_i].stanza), 0);
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_xmpp_parser_feed(p, in, strlen(in), &err), 0);
	uctls_xmpp_event_free(uctls_xmpp_parser_next(p));
	ev = uctls_xmpp_parser_next(p);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->type, UCTLS_XMPP_STANZA);
	ck_assert_pstr_eq(uctls_xmpp_stream_error_condition(ev->elem), cond_rows[_i].stream_cond);
	ck_assert_pstr_eq(uctls_xmpp_sasl_failure_condition(ev->elem), cond_rows[_i].sasl_cond);
	ck_assert_pstr_eq(uctls_xmpp_error_text(ev->elem), cond_rows[_i].text);
	uctls_xmpp_event_free(ev);
	uctls_xmpp_parser_free(p);
	free(in);
}
END_TEST

/* --- builders ------------------------------------------------------------------ */

enum bkind {
	B_HEADER, B_FEATURES, B_STARTTLS, B_PROCEED, B_TLS_FAILURE, B_CLOSE, B_AUTH,
	B_SUCCESS, B_SASL_FAILURE, B_DB_RESULT, B_DB_ANSWER, B_STREAM_ERROR, B_PING, B_PONG
};

static const struct {
	enum bkind kind;
	const char *a, *b, *c; /* string arguments in order */
	int x, y, z;           /* int arguments in order */
	const char *want;      /* exact bytes; NULL: refused */
	const char *parsed;    /* events when parsed (after a header, but for
	                          B_HEADER), without the header's */
} build_rows[] = {
	/* the header, every attribute */
	{ B_HEADER, "a.example", "b.example", "s2s-1", 0, 0, 0,
	  "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	  "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
	  "from='a.example' to='b.example' id='s2s-1' version='1.0'>",
	  "open stream:stream(from=a.example to=b.example id=s2s-1 version=1.0 "
	  "xmlns=jabber:server xmlns:stream=http://etherx.jabber.org/streams "
	  "xmlns:db=jabber:server:dialback)\n" },
	/* none of the optional ones */
	{ B_HEADER, NULL, NULL, NULL, 0, 0, 0,
	  "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	  "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
	  "version='1.0'>",
	  "open stream:stream(version=1.0 xmlns=jabber:server "
	  "xmlns:stream=http://etherx.jabber.org/streams xmlns:db=jabber:server:dialback)\n" },
	/* escaping of & < > " ' and of TAB LF CR in an attribute value;
	 * UTF-8 kept */
	{ B_HEADER, NULL, "b.example", "&<>\"'\t\n\r\xc3\xa9", 0, 0, 0,
	  "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	  "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
	  "to='b.example' id='&amp;&lt;&gt;&quot;&apos;&#9;&#10;&#13;\xc3\xa9' version='1.0'>",
	  "open stream:stream(to=b.example id=&<>\"'\\t\\n\\r\xc3\xa9 version=1.0 "
	  "xmlns=jabber:server xmlns:stream=http://etherx.jabber.org/streams "
	  "xmlns:db=jabber:server:dialback)\n" },
	/* 4-byte UTF-8 and the last characters XML allows kept */
	{ B_HEADER, NULL, NULL, "\xf0\x9f\x98\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf", 0, 0, 0,
	  "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	  "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
	  "id='\xf0\x9f\x98\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf' version='1.0'>",
	  "open stream:stream(id=\xf0\x9f\x98\x80\xef\xbf\xbd\xf4\x8f\xbf\xbf version=1.0 "
	  "xmlns=jabber:server xmlns:stream=http://etherx.jabber.org/streams "
	  "xmlns:db=jabber:server:dialback)\n" },
	/* refused: not XML characters, not UTF-8 (invalid byte, overlong,
	 * surrogate, U+FFFE) */
	{ B_HEADER, "a\x01", NULL, NULL, 0, 0, 0, NULL, NULL },
	{ B_HEADER, NULL, "\xff", NULL, 0, 0, 0, NULL, NULL },
	{ B_HEADER, NULL, NULL, "\xc0\xaf", 0, 0, 0, NULL, NULL },
	{ B_HEADER, NULL, NULL, "\xed\xa0\x80", 0, 0, 0, NULL, NULL },
	{ B_HEADER, NULL, NULL, "\xef\xbf\xbe", 0, 0, 0, NULL, NULL },
	{ B_HEADER, NULL, NULL, "\xe0\x80\xaf", 0, 0, 0, NULL, NULL },
	{ B_HEADER, NULL, NULL, "\xf0\x80\x80\xaf", 0, 0, 0, NULL, NULL },
	/* beyond U+10FFFF */
	{ B_HEADER, NULL, NULL, "\xf4\x90\x80\x80", 0, 0, 0, NULL, NULL },
	/* a truncated sequence */
	{ B_HEADER, NULL, NULL, "\xe2\x82", 0, 0, 0, NULL, NULL },
	/* features: STARTTLS required, SASL EXTERNAL, dialback */
	{ B_FEATURES, NULL, NULL, NULL, 2, 1, 1,
	  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
	  "</starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL"
	  "</mechanism></mechanisms><dialback xmlns='urn:xmpp:features:dialback'/>"
	  "</stream:features>",
	  "stanza stream:features[tls:starttls[tls:required] "
	  "sasl:mechanisms[sasl:mechanism\"EXTERNAL\"] dbf:dialback]\n" },
	/* STARTTLS offered only */
	{ B_FEATURES, NULL, NULL, NULL, 1, 0, 0,
	  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
	  "stanza stream:features[tls:starttls]\n" },
	/* nothing (after SASL) */
	{ B_FEATURES, NULL, NULL, NULL, 0, 0, 0, "<stream:features></stream:features>",
	  "stanza stream:features\n" },
	/* STARTTLS out of range */
	{ B_FEATURES, NULL, NULL, NULL, 3, 0, 0, NULL, NULL },
	{ B_FEATURES, NULL, NULL, NULL, -1, 0, 0, NULL, NULL },
	/* the fixed ones */
	{ B_STARTTLS, NULL, NULL, NULL, 0, 0, 0,
	  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "stanza tls:starttls\n" },
	{ B_PROCEED, NULL, NULL, NULL, 0, 0, 0,
	  "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "stanza tls:proceed\n" },
	{ B_TLS_FAILURE, NULL, NULL, NULL, 0, 0, 0,
	  "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "stanza tls:failure\n" },
	{ B_CLOSE, NULL, NULL, NULL, 0, 0, 0, "</stream:stream>", "close\n" },
	/* SASL EXTERNAL with the domain as authzid (XEP-0178 3) */
	{ B_AUTH, "a.example", NULL, NULL, 0, 0, 0,
	  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>YS5leGFtcGxl</auth>",
	  "stanza sasl:auth(mechanism=EXTERNAL)\"YS5leGFtcGxl\"\n" },
	/* base64 padding, one and two '=' (RFC 4648 4) */
	{ B_AUTH, "ab", NULL, NULL, 0, 0, 0,
	  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>YWI=</auth>",
	  "stanza sasl:auth(mechanism=EXTERNAL)\"YWI=\"\n" },
	{ B_AUTH, "abcd", NULL, NULL, 0, 0, 0,
	  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>YWJjZA==</auth>",
	  "stanza sasl:auth(mechanism=EXTERNAL)\"YWJjZA==\"\n" },
	/* no authzid, or an empty one: "=" (RFC 6120 6.4.2) */
	{ B_AUTH, NULL, NULL, NULL, 0, 0, 0,
	  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
	  "stanza sasl:auth(mechanism=EXTERNAL)\"=\"\n" },
	{ B_AUTH, "", NULL, NULL, 0, 0, 0,
	  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
	  "stanza sasl:auth(mechanism=EXTERNAL)\"=\"\n" },
	{ B_SUCCESS, NULL, NULL, NULL, 0, 0, 0,
	  "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "stanza sasl:success\n" },
	/* SASL failure (RFC 6120 6.5.10) */
	{ B_SASL_FAILURE, "not-authorized", NULL, NULL, 0, 0, 0,
	  "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>",
	  "stanza sasl:failure[sasl:not-authorized]\n" },
	/* refused: not a condition of RFC 6120 6.5, a stream one, none */
	{ B_SASL_FAILURE, "made-up", NULL, NULL, 0, 0, 0, NULL, NULL },
	{ B_SASL_FAILURE, "host-unknown", NULL, NULL, 0, 0, 0, NULL, NULL },
	{ B_SASL_FAILURE, NULL, NULL, NULL, 0, 0, 0, NULL, NULL },
	/* dialback key, escaped text */
	{ B_DB_RESULT, "a.example", "b.example", "k<&>'\"", 0, 0, 0,
	  "<db:result from='a.example' to='b.example'>k&lt;&amp;&gt;&apos;&quot;</db:result>",
	  "stanza db:result(from=a.example to=b.example)\"k<&>'\"\"\n" },
	/* refused without from, to or key (XEP-0220 2.1.1) */
	{ B_DB_RESULT, NULL, "b.example", "k", 0, 0, 0, NULL, NULL },
	{ B_DB_RESULT, "a.example", "b.example", NULL, 0, 0, 0, NULL, NULL },
	/* the answers (XEP-0220 2.1.3) */
	{ B_DB_ANSWER, "b.example", "a.example", NULL, 1, 0, 0,
	  "<db:result from='b.example' to='a.example' type='valid'/>",
	  "stanza db:result(from=b.example to=a.example type=valid)\n" },
	{ B_DB_ANSWER, "b.example", "a.example", NULL, 0, 0, 0,
	  "<db:result from='b.example' to='a.example' type='invalid'/>",
	  "stanza db:result(from=b.example to=a.example type=invalid)\n" },
	/* stream errors (RFC 6120 4.9.3.6, 4.9.3.14 with text to escape) */
	{ B_STREAM_ERROR, "host-unknown", NULL, NULL, 0, 0, 0,
	  "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	  "</stream:error></stream:stream>",
	  "stanza stream:error[err:host-unknown]\nclose\n" },
	{ B_STREAM_ERROR, "policy-violation", "over 64 KiB & <rude>\r\n", NULL, 0, 0, 0,
	  "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>over 64 KiB &amp; &lt;rude&gt;"
	  "&#13;\n</text></stream:error></stream:stream>",
	  "stanza stream:error[err:policy-violation err:text\"over 64 KiB & <rude>\\r\\n\"]\n"
	  "close\n" },
	/* refused: a SASL condition, an invented one, a control character */
	{ B_STREAM_ERROR, "temporary-auth-failure", NULL, NULL, 0, 0, 0, NULL, NULL },
	{ B_STREAM_ERROR, "host-unknown/><x", NULL, NULL, 0, 0, 0, NULL, NULL },
	{ B_STREAM_ERROR, "host-unknown", "bell\a", NULL, 0, 0, 0, NULL, NULL },
	/* XEP-0199 4.2 ping and its answer */
	{ B_PING, "a.example", "b.example", "ping-1", 0, 0, 0,
	  "<iq type='get' id='ping-1' from='a.example' to='b.example'>"
	  "<ping xmlns='urn:xmpp:ping'/></iq>",
	  "stanza iq(type=get id=ping-1 from=a.example to=b.example)[ping:ping]\n" },
	{ B_PONG, "b.example", "a.example", "ping-1", 0, 0, 0,
	  "<iq type='result' id='ping-1' from='b.example' to='a.example'/>",
	  "stanza iq(type=result id=ping-1 from=b.example to=a.example)\n" },
	/* refused without an id (RFC 6120 8.1.3) */
	{ B_PING, "a.example", "b.example", NULL, 0, 0, 0, NULL, NULL },
	{ B_PONG, "b.example", NULL, "x", 0, 0, 0, NULL, NULL },
};

static char *
build(int i)
{
	const char *a = build_rows[i].a, *b = build_rows[i].b, *c = build_rows[i].c;
	int x = build_rows[i].x, y = build_rows[i].y, z = build_rows[i].z;

	switch (build_rows[i].kind) {
	case B_HEADER: return uctls_xmpp_stream_header(a, b, c);
	case B_FEATURES: return uctls_xmpp_features(x, y, z);
	case B_STARTTLS: return uctls_xmpp_starttls();
	case B_PROCEED: return uctls_xmpp_proceed();
	case B_TLS_FAILURE: return uctls_xmpp_tls_failure();
	case B_CLOSE: return uctls_xmpp_stream_close();
	case B_AUTH: return uctls_xmpp_sasl_external(a);
	case B_SUCCESS: return uctls_xmpp_sasl_success();
	case B_SASL_FAILURE: return uctls_xmpp_sasl_failure(a);
	case B_DB_RESULT: return uctls_xmpp_db_result(a, b, c);
	case B_DB_ANSWER: return uctls_xmpp_db_answer(a, b, x);
	case B_STREAM_ERROR: return uctls_xmpp_stream_error(a, b);
	case B_PING: return uctls_xmpp_ping(a, b, c);
	case B_PONG: return uctls_xmpp_pong(a, b, c);
	}
	ck_abort_msg("row %d: unknown kind", i);
	return NULL;
}

START_TEST(test_build_row)
{
	char *s = build(_i);

	if (build_rows[_i].want == NULL)
		ck_assert_ptr_null(s);
	else
		ck_assert_pstr_eq(s, build_rows[_i].want);
	free(s);
}
END_TEST

/* What a builder writes, the parser reads back (after the header our
 * builder writes, which declares the stream: and db: prefixes). */
START_TEST(test_round_trip_row)
{
	struct uctls_xmpp_parser *p;
	struct uctls_xmpp_event *ev;
	struct uctls_err err;
	char *s, *hdr, *got;

	if (build_rows[_i].want == NULL)
		return;
	s = build(_i);
	ck_assert_ptr_nonnull(s);
	p = uctls_xmpp_parser_new();
	uctls_err_clear(&err);
	if (build_rows[_i].kind != B_HEADER) {
		hdr = uctls_xmpp_stream_header("a.example", "b.example", NULL);
		ck_assert_ptr_nonnull(hdr);
		ck_assert_int_eq(uctls_xmpp_parser_feed(p, hdr, strlen(hdr), &err), 0);
		ev = uctls_xmpp_parser_next(p);
		ck_assert_ptr_nonnull(ev);
		ck_assert_int_eq(ev->type, UCTLS_XMPP_STREAM_OPEN);
		uctls_xmpp_event_free(ev);
		free(hdr);
	}
	got = calloc(1, 1);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(feed_all(p, s, 1, &got, &err) == 0, "row %d: %s", _i, err.msg);
	ck_assert_str_eq(got, build_rows[_i].parsed);
	free(got);
	free(s);
	uctls_xmpp_parser_free(p);
}
END_TEST

/* A whole s2s negotiation written by the builders on one side and read by
 * the parser on the other, with the restarts (RFC 6120 5.4.3.3, 6.4.6). */
START_TEST(test_conversation)
{
	struct {
		int reset_before; /* the reader restarts its stream first */
		char *bytes;
		const char *want;
	} steps[] = {
		{ 0, uctls_xmpp_stream_header("b.example", "a.example", "i1"),
		  "open stream:stream(from=b.example to=a.example id=i1 version=1.0 "
		  "xmlns=jabber:server xmlns:stream=http://etherx.jabber.org/streams "
		  "xmlns:db=jabber:server:dialback)\n" },
		{ 0, uctls_xmpp_features(2, 0, 1),
		  "stanza stream:features[tls:starttls[tls:required] dbf:dialback]\n" },
		{ 0, uctls_xmpp_proceed(), "stanza tls:proceed\n" },
		{ 1, uctls_xmpp_stream_header("b.example", "a.example", "i2"),
		  "open stream:stream(from=b.example to=a.example id=i2 version=1.0 "
		  "xmlns=jabber:server xmlns:stream=http://etherx.jabber.org/streams "
		  "xmlns:db=jabber:server:dialback)\n" },
		{ 0, uctls_xmpp_features(0, 1, 1),
		  "stanza stream:features[sasl:mechanisms[sasl:mechanism\"EXTERNAL\"] "
		  "dbf:dialback]\n" },
		{ 0, uctls_xmpp_sasl_failure("not-authorized"),
		  "stanza sasl:failure[sasl:not-authorized]\n" },
		{ 0, uctls_xmpp_stream_error("not-authorized", "bad certificate"),
		  "stanza stream:error[err:not-authorized err:text\"bad certificate\"]\nclose\n" },
	};
	struct uctls_xmpp_parser *p = uctls_xmpp_parser_new();
	struct uctls_err err;
	char *got;
	int i;

	uctls_err_clear(&err);
	for (i = 0; i < N(steps); i++) {
		ck_assert_ptr_nonnull(steps[i].bytes);
		if (steps[i].reset_before)
			ck_assert_int_eq(uctls_xmpp_parser_reset(p), 0);
		got = calloc(1, 1);
		ck_assert_int_eq(feed_all(p, steps[i].bytes, 0, &got, &err), 0);
		ck_assert_msg(strcmp(got, steps[i].want) == 0, "step %d: got %s", i, got);
		free(got);
		free(steps[i].bytes);
	}
	uctls_xmpp_parser_free(p);
}
END_TEST

Suite *
make_xmpp_suite(void)
{
	Suite *s = suite_create("xmpp");
	TCase *tc = tcase_create("framing");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_parse_row, 0, (int)(NPARSE * NCHUNK));
	tcase_add_test(tc, test_reset_drops_events);
	tcase_add_test(tc, test_next_order);
	tcase_add_loop_test(tc, test_lookup_row, 0, N(lookup_rows));
	tcase_add_loop_test(tc, test_cond_row, 0, N(cond_rows));
	tcase_add_loop_test(tc, test_build_row, 0, N(build_rows));
	tcase_add_loop_test(tc, test_round_trip_row, 0, N(build_rows));
	tcase_add_test(tc, test_conversation);
	suite_add_tcase(s, tc);
	return s;
}
