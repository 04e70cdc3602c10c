/* Name constraints (src/nc.c): each row builds a small certification path
 * in memory (leaf first) and names the result uctls_nc_check() must give. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "check_suites.h"
#include "nc.h"

/* One certificate.  Names are space-separated "DNS:x", "email:x", "URI:x",
 * "IP:addr" (constraints "IP:addr/bits"), "DirName:RFC4514" and "RID:oid". */
struct cspec {
	const char *dn;     /* subject, RFC 4514; NULL ends the path */
	int ca;             /* basicConstraints cA */
	const char *san;
	const char *perm;   /* nameConstraints permittedSubtrees */
	const char *excl;   /* nameConstraints excludedSubtrees */
	const char *nc_hex; /* raw nameConstraints value instead */
	int noncrit;        /* nameConstraints not critical */
	const char *san_hex; /* raw subjectAltName value instead of san */
};

#define LEAF(dn, san) { dn, 0, san, NULL, NULL, NULL, 0, NULL }
#define CA(dn, perm, excl) { dn, 1, NULL, perm, excl, NULL, 0, NULL }
#define RAWCA(dn, hex) { dn, 1, NULL, NULL, NULL, hex, 0, NULL }
#define ROOT CA("CN=Root", NULL, NULL)
#define NCROOT(perm, excl) CA("CN=Constrained CA", perm, excl)

struct row {
	const char *what;
	struct cspec c[5];      /* c[0] the leaf ... the top; then { NULL } */
	const char *reason;     /* NULL: the path passes */
	size_t idx;             /* cert_index when it fails */
	const char *detail_has; /* substring of the detail */
	const char *also_has;   /* another one, or NULL */
};

#define NC "name-constraints"

static const struct row rows[] = {
	/* dNSName (RFC 5280 4.2.1.10) */
	{ "dns permitted", { LEAF("CN=leaf", "DNS:www.example.com"),
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "dns permitted itself", { LEAF("CN=leaf", "DNS:example.com"),
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "dns case-insensitive", { LEAF("CN=leaf", "DNS:WWW.Example.COM"),
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "dns outside permitted", { LEAF("CN=www.evil.com", "DNS:www.evil.com"),
	  NCROOT("DNS:.example.com", NULL) }, NC, 0,
	  "the dNSName `www.evil.com' of `CN=www.evil.com' is outside the permitted subtrees "
	  "of `CN=Constrained CA' (permitted: DNS:.example.com; RFC 5280 4.2.1.10)", NULL },
	{ "dns label boundary", { LEAF("CN=leaf", "DNS:notexample.com"),
	  NCROOT("DNS:example.com", NULL) }, NC, 0, "`notexample.com'", NULL },
	{ "dns one of several permitted", { LEAF("CN=leaf", "DNS:a.example.org"),
	  NCROOT("DNS:example.com DNS:example.org", NULL) }, NULL, 0, NULL, NULL },
	{ "dns every name checked", { LEAF("CN=leaf", "DNS:a.example.com DNS:b.evil.com"),
	  NCROOT("DNS:example.com", NULL) }, NC, 0, "`b.evil.com'", NULL },
	{ "dns excluded", { LEAF("CN=leaf", "DNS:www.evil.com"),
	  NCROOT(NULL, "DNS:evil.com") }, NC, 0,
	  "is within the excluded subtree DNS:evil.com of `CN=Constrained CA'", NULL },
	{ "dns excluded, other name fine", { LEAF("CN=leaf", "DNS:www.good.com"),
	  NCROOT(NULL, "DNS:evil.com") }, NULL, 0, NULL, NULL },
	{ "dns excluded wins over permitted", { LEAF("CN=leaf", "DNS:bad.example.com"),
	  NCROOT("DNS:example.com", "DNS:bad.example.com") }, NC, 0, "excluded", NULL },
	{ "dns wildcard meets excluded host", { LEAF("CN=leaf", "DNS:*.example.com"),
	  NCROOT(NULL, "DNS:www.example.com") }, NC, 0, "`*.example.com'", "excluded" },
	{ "dns leading dot: subdomain", { LEAF("CN=leaf", "DNS:a.example.com"),
	  NCROOT("DNS:.example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "dns leading dot: not the domain", { LEAF("CN=leaf", "DNS:example.com"),
	  NCROOT("DNS:.example.com", NULL) }, NC, 0, "DNS:.example.com", NULL },
	{ "dns constraint does not touch IP", { LEAF("CN=leaf", "IP:192.0.2.1"),
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	/* an intermediate's constraints apply to the leaf */
	{ "intermediate constrains leaf", { LEAF("CN=leaf", "DNS:www.evil.com"),
	  CA("CN=Issuing CA", "DNS:example.com", NULL), ROOT }, NC, 0,
	  "outside the permitted subtrees of `CN=Issuing CA'", NULL },
	{ "intermediate constraint, leaf fine", { LEAF("CN=leaf", "DNS:www.example.com"),
	  CA("CN=Issuing CA", "DNS:example.com", NULL), ROOT }, NULL, 0, NULL, NULL },
	/* two constraining CAs intersect */
	{ "stacked: inner narrows", { LEAF("CN=leaf", "DNS:x.b.example.com"),
	  CA("CN=Issuing CA", "DNS:a.example.com", NULL), NCROOT("DNS:example.com", NULL) },
	  NC, 0, "`CN=Issuing CA'", NULL },
	{ "stacked: within both", { LEAF("CN=leaf", "DNS:x.a.example.com"),
	  CA("CN=Issuing CA", "DNS:a.example.com", NULL), NCROOT("DNS:example.com", NULL) },
	  NULL, 0, NULL, NULL },
	{ "stacked: inner cannot widen", { LEAF("CN=leaf", "DNS:www.other.org"),
	  CA("CN=Issuing CA", "DNS:other.org", NULL), NCROOT("DNS:example.com", NULL) },
	  NC, 0, "`CN=Constrained CA'", NULL },
	{ "root constrains intermediate", { LEAF("CN=leaf", NULL),
	  { "CN=Issuing CA", 1, "DNS:ca.evil.com", NULL, NULL, NULL, 0, NULL },
	  NCROOT("DNS:example.com", NULL) }, NC, 1, "`ca.evil.com' of `CN=Issuing CA'", NULL },
	/* iPAddress */
	{ "ipv4 in net", { LEAF("CN=leaf", "IP:10.1.2.3"), NCROOT("IP:10.0.0.0/8", NULL) },
	  NULL, 0, NULL, NULL },
	{ "ipv4 outside net", { LEAF("CN=leaf", "IP:11.1.2.3"), NCROOT("IP:10.0.0.0/8", NULL) },
	  NC, 0, "the iPAddress `11.1.2.3'", "permitted: IP:10.0.0.0/8" },
	{ "ipv4 excluded", { LEAF("CN=leaf", "IP:192.168.1.7"),
	  NCROOT(NULL, "IP:192.168.0.0/16") }, NC, 0, "excluded subtree IP:192.168.0.0/16", NULL },
	{ "ipv6 in net", { LEAF("CN=leaf", "IP:2001:db8::1"), NCROOT("IP:2001:db8::/32", NULL) },
	  NULL, 0, NULL, NULL },
	{ "ipv6 outside net", { LEAF("CN=leaf", "IP:2001:db9::1"),
	  NCROOT("IP:2001:db8::/32", NULL) }, NC, 0, "`2001:db9::1'", "IP:2001:db8::/32" },
	{ "ipv4 against v6-only permitted", { LEAF("CN=leaf", "IP:10.1.2.3"),
	  NCROOT("IP:2001:db8::/32", NULL) }, NC, 0, "`10.1.2.3'", NULL },
	{ "ipv4 not excluded by v6", { LEAF("CN=leaf", "IP:10.1.2.3"),
	  NCROOT(NULL, "IP:::/0") }, NULL, 0, NULL, NULL },
	{ "ip constraint of 5 octets", { LEAF("CN=leaf", "IP:10.1.2.3"),
	  RAWCA("CN=Constrained CA", "300ba009300787050a000000ff") }, NC, 1,
	  "neither 8 (IPv4) nor 32 (IPv6) octets", NULL },
	{ "ip mask not CIDR", { LEAF("CN=leaf", "IP:10.1.2.3"),
	  RAWCA("CN=Constrained CA", "300ea00c300a87080a000000ff00ff00") }, NC, 1,
	  "not a CIDR prefix", NULL },
	/* rfc822Name: mailbox, host, domain */
	{ "email mailbox", { LEAF("CN=leaf", "email:alice@example.com"),
	  NCROOT("email:alice@example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "email other mailbox", { LEAF("CN=leaf", "email:bob@example.com"),
	  NCROOT("email:alice@example.com", NULL) }, NC, 0,
	  "the rfc822Name `bob@example.com'", "email:alice@example.com" },
	{ "email host", { LEAF("CN=leaf", "email:bob@Example.com"),
	  NCROOT("email:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "email host, not subdomain", { LEAF("CN=leaf", "email:bob@sub.example.com"),
	  NCROOT("email:example.com", NULL) }, NC, 0, "`bob@sub.example.com'", NULL },
	{ "email domain", { LEAF("CN=leaf", "email:bob@sub.example.com"),
	  NCROOT("email:.example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "email domain, not the host", { LEAF("CN=leaf", "email:bob@example.com"),
	  NCROOT("email:.example.com", NULL) }, NC, 0, "`bob@example.com'", NULL },
	{ "email excluded host", { LEAF("CN=leaf", "email:eve@evil.com"),
	  NCROOT(NULL, "email:evil.com") }, NC, 0, "excluded subtree email:evil.com", NULL },
	/* uniformResourceIdentifier: the host part */
	{ "uri domain", { LEAF("CN=leaf", "URI:https://www.example.com/x"),
	  NCROOT("URI:.example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "uri outside domain", { LEAF("CN=leaf", "URI:https://www.evil.com/x"),
	  NCROOT("URI:.example.com", NULL) }, NC, 0,
	  "the uniformResourceIdentifier `https://www.evil.com/x'", "URI:.example.com" },
	{ "uri host with userinfo and port", { LEAF("CN=leaf",
	  "URI:https://user@host.example.com:8443/p"), NCROOT("URI:host.example.com", NULL) },
	  NULL, 0, NULL, NULL },
	{ "uri host form is exact", { LEAF("CN=leaf", "URI:https://a.host.example.com/"),
	  NCROOT("URI:host.example.com", NULL) }, NC, 0, "`https://a.host.example.com/'", NULL },
	{ "uri without host fails closed", { LEAF("CN=leaf", "URI:sip:alice@example.com"),
	  NCROOT("URI:.example.com", NULL) }, NC, 0, "no usable syntax", "failing closed" },
	{ "uri without host, excluded", { LEAF("CN=leaf", "URI:sip:alice@example.com"),
	  NCROOT(NULL, "URI:.evil.com") }, NC, 0, "cannot be checked", NULL },
	/* directoryName on the subject DN */
	{ "dirname prefix", { LEAF("CN=leaf,O=Good,C=US", NULL),
	  NCROOT("DirName:O=Good,C=US", NULL) }, NULL, 0, NULL, NULL },
	{ "dirname prefix, case and space", { LEAF("CN=leaf,O=GOOD  ,C=US", NULL),
	  NCROOT("DirName:O=good,C=US", NULL) }, NULL, 0, NULL, NULL },
	{ "dirname outside", { LEAF("CN=leaf,O=Bad,C=US", NULL),
	  NCROOT("DirName:O=Good,C=US", NULL) }, NC, 0,
	  "the subject DN of `CN=leaf,O=Bad,C=US' is outside", "DirName:O=Good,C=US" },
	{ "dirname constraint longer than DN", { LEAF("C=US", NULL),
	  NCROOT("DirName:O=Good,C=US", NULL) }, NC, 0, "the subject DN", NULL },
	{ "dirname excluded", { LEAF("CN=leaf,O=Evil,C=US", NULL),
	  NCROOT(NULL, "DirName:O=evil,C=US") }, NC, 0, "excluded subtree DirName:O=evil,C=US",
	  NULL },
	{ "dirname SAN", { LEAF("CN=leaf,O=Good,C=US", "DirName:CN=x,O=Bad,C=US"),
	  NCROOT("DirName:O=Good,C=US", NULL) }, NC, 0, "the directoryName `CN=x,O=Bad,C=US'",
	  NULL },
	{ "dirname applies to the intermediate", { LEAF("CN=leaf,O=Good,C=US", NULL),
	  CA("CN=Issuing CA,O=Other,C=US", NULL, NULL), NCROOT("DirName:O=Good,C=US", NULL) },
	  NC, 1, "`CN=Issuing CA,O=Other,C=US'", NULL },
	/* the subject's emailAddress attribute is an rfc822Name */
	{ "subject emailAddress", { LEAF("CN=leaf,EMAIL=bob@evil.com", NULL),
	  NCROOT("email:example.com", NULL) }, NC, 0, "the subject emailAddress `bob@evil.com'",
	  NULL },
	{ "subject emailAddress fine", { LEAF("CN=leaf,EMAIL=bob@example.com", NULL),
	  NCROOT("email:example.com", NULL) }, NULL, 0, NULL, NULL },
	/* the leaf CN as a dNSName when there is no dNSName SAN (OpenSSL) */
	{ "cn fallback outside", { LEAF("CN=www.evil.com", NULL),
	  NCROOT("DNS:example.com", NULL) }, NC, 0, "the subject CN `www.evil.com'", NULL },
	{ "cn fallback excluded", { LEAF("CN=www.evil.com", "IP:10.0.0.1"),
	  NCROOT(NULL, "DNS:evil.com") }, NC, 0, "the subject CN `www.evil.com'", "excluded" },
	{ "cn fallback inside", { LEAF("CN=www.example.com", NULL),
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "cn ignored with dns SAN", { LEAF("CN=www.evil.com", "DNS:www.example.com"),
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "cn not a host name", { LEAF("CN=Evil Leaf", NULL), NCROOT("DNS:example.com", NULL) },
	  NULL, 0, NULL, NULL },
	{ "cn of an intermediate not checked", { LEAF("CN=leaf", "DNS:www.example.com"),
	  CA("CN=ca.evil.com", NULL, NULL), NCROOT("DNS:example.com", NULL) },
	  NULL, 0, NULL, NULL },
	/* errors in the extension itself */
	{ "not critical", { LEAF("CN=leaf", "DNS:www.example.com"),
	  { "CN=Constrained CA", 1, NULL, "DNS:example.com", NULL, NULL, 1, NULL } }, NC, 1,
	  "the nameConstraints extension of `CN=Constrained CA' is not marked critical", NULL },
	{ "on the end-entity", { { "CN=leaf", 0, "DNS:www.example.com", "DNS:example.com",
	  NULL, NULL, 0, NULL }, ROOT }, NC, 0, "MUST be used only in a CA certificate", NULL },
	{ "on a non-CA intermediate", { LEAF("CN=leaf", "DNS:www.example.com"),
	  { "CN=Not A CA", 0, NULL, "DNS:example.com", NULL, NULL, 0, NULL }, ROOT }, NC, 1,
	  "`CN=Not A CA' appears in an end-entity certificate", NULL },
	{ "empty sequence", { LEAF("CN=leaf", NULL), RAWCA("CN=Constrained CA", "3000") },
	  NC, 1, "is empty", NULL },
	{ "empty permittedSubtrees", { LEAF("CN=leaf", NULL),
	  RAWCA("CN=Constrained CA", "3002a000") }, NC, 1, "empty GeneralSubtrees", NULL },
	{ "NULL", { LEAF("CN=leaf", NULL), RAWCA("CN=Constrained CA", "0500") },
	  NC, 1, "not a valid DER NameConstraints", NULL },
	{ "trailing garbage", { LEAF("CN=leaf", NULL),
	  RAWCA("CN=Constrained CA", "3013a00f300d820b6578616d706c652e636f6d0500") },
	  NC, 1, "not a valid DER", NULL },
	{ "minimum not zero", { LEAF("CN=leaf", "DNS:www.example.com"),
	  RAWCA("CN=Constrained CA", "3014a0123010820b6578616d706c652e636f6d800101") },
	  NC, 1, "minimum MUST be zero", NULL },
	{ "explicit minimum zero", { LEAF("CN=leaf", "DNS:www.example.com"),
	  RAWCA("CN=Constrained CA", "3014a0123010820b6578616d706c652e636f6d800100") },
	  NULL, 0, NULL, NULL },
	{ "maximum present", { LEAF("CN=leaf", "DNS:www.example.com"),
	  RAWCA("CN=Constrained CA", "3014a0123010820b6578616d706c652e636f6d810105") },
	  NC, 1, "maximum MUST be absent", NULL },
	/* self-issued intermediates are not checked (RFC 5280 6.1.3 (b)) */
	{ "self-issued intermediate skipped", { LEAF("CN=leaf", "DNS:www.example.com"),
	  { "CN=Constrained CA", 1, "DNS:rollover.evil.com", NULL, NULL, NULL, 0, NULL },
	  NCROOT("DNS:example.com", NULL) }, NULL, 0, NULL, NULL },
	{ "same intermediate, not self-issued", { LEAF("CN=leaf", "DNS:www.example.com"),
	  { "CN=Issuing CA", 1, "DNS:rollover.evil.com", NULL, NULL, NULL, 0, NULL },
	  NCROOT("DNS:example.com", NULL) }, NC, 1, "`rollover.evil.com'", NULL },
	{ "self-issued leaf checked", { LEAF("CN=Constrained CA", "DNS:www.evil.com"),
	  NCROOT("DNS:example.com", NULL) }, NC, 0, "`www.evil.com'", NULL },
	/* unsupported forms fail closed only when a name of the form meets them */
	{ "unsupported form fails closed", { { "CN=leaf", 0, NULL, NULL, NULL, NULL, 0,
	  "300588032a0304" }, RAWCA("CN=Constrained CA", "3009a107300588032a0304") }, NC, 0,
	  "the registeredID", "unsupported name form" },
	{ "unsupported form, no such name", { LEAF("CN=leaf", "DNS:www.example.com"),
	  RAWCA("CN=Constrained CA", "3009a107300588032a0304") }, NULL, 0, NULL, NULL },
	{ "unconstrained path", { LEAF("CN=leaf", "DNS:anything.test"),
	  CA("CN=Issuing CA", NULL, NULL), ROOT }, NULL, 0, NULL, NULL },
	{ "lone certificate", { LEAF("CN=leaf", "DNS:anything.test") }, NULL, 0, NULL, NULL },
};

/* ---- building certificates ---------------------------------------------- */

static void
hex_decode(const char *hex, unsigned char *buf, size_t *len)
{
	size_t i, n = strlen(hex) / 2;
	unsigned v;

	ck_assert_uint_le(n, *len);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		buf[i] = (unsigned char)v;
	}
	*len = n;
}

static void
dn_der(const char *str, gnutls_datum_t *der)
{
	gnutls_x509_dn_t dn;

	ck_assert_int_ge(gnutls_x509_dn_init(&dn), 0);
	ck_assert_int_ge(gnutls_x509_dn_set_str(dn, str, NULL), 0);
	ck_assert_int_ge(gnutls_x509_dn_export2(dn, GNUTLS_X509_FMT_DER, der), 0);
	gnutls_x509_dn_deinit(dn);
}

/* Parses the "TYPE:value" token TOK (LEN bytes) into *TYPE and D (D->data
 * is BUF unless *ALLOC).  IP constraints (CONSTRAINT) carry a mask. */
static void
name_parse(const char *tok, size_t len, int constraint, unsigned *type,
           gnutls_datum_t *d, unsigned char *buf, int *alloc)
{
	char val[256], *slash;
	int af, bits = -1, i, n;

	*alloc = 0;
	ck_assert_ptr_nonnull(memchr(tok, ':', len));
	n = (int)(strchr(tok, ':') - tok);
	ck_assert_uint_lt(len - (size_t)n, sizeof(val));
	memcpy(val, tok + n + 1, len - (size_t)n - 1);
	val[len - (size_t)n - 1] = '\0';
	d->data = buf;
	if (strncmp(tok, "IP", (size_t)n) == 0) {
		*type = GNUTLS_SAN_IPADDRESS;
		if ((slash = strchr(val, '/')) != NULL) {
			*slash = '\0';
			bits = atoi(slash + 1);
		}
		af = strchr(val, ':') != NULL ? AF_INET6 : AF_INET;
		ck_assert_int_eq(inet_pton(af, val, buf), 1);
		d->size = af == AF_INET ? 4 : 16;
		if (constraint) {
			memset(buf + d->size, 0, d->size);
			for (i = 0; i < bits; i++)
				buf[d->size + i / 8] |= (unsigned char)(0x80 >> (i % 8));
			d->size *= 2;
		}
	} else if (strncmp(tok, "DirName", (size_t)n) == 0) {
		*type = GNUTLS_SAN_DN;
		dn_der(val, d);
		*alloc = 1;
	} else {
		*type = strncmp(tok, "DNS", (size_t)n) == 0     ? GNUTLS_SAN_DNSNAME
		        : strncmp(tok, "email", (size_t)n) == 0 ? GNUTLS_SAN_RFC822NAME
		        : GNUTLS_SAN_URI;
		ck_assert(*type != GNUTLS_SAN_URI || strncmp(tok, "URI", (size_t)n) == 0);
		memcpy(buf, val, strlen(val));
		d->size = (unsigned)strlen(val);
	}
}

/* Calls ADD for each name in LIST. */
static void
each_name(const char *list, int constraint, void *ctx,
          void (*add)(void *, unsigned, const gnutls_datum_t *))
{
	unsigned char buf[256];
	gnutls_datum_t d;
	unsigned type;
	size_t len;
	int alloc;

	while (list != NULL && *list != '\0') {
		len = strcspn(list, " ");
		name_parse(list, len, constraint, &type, &d, buf, &alloc);
		add(ctx, type, &d);
		if (alloc)
			gnutls_free(d.data);
		list += len;
		list += strspn(list, " ");
	}
}

static void
add_san(void *ctx, unsigned type, const gnutls_datum_t *d)
{
	ck_assert_int_ge(gnutls_x509_crt_set_subject_alt_name(ctx, type, d->data, d->size,
	                                                      GNUTLS_FSAN_APPEND), 0);
}

static void
add_perm(void *ctx, unsigned type, const gnutls_datum_t *d)
{
	ck_assert_int_ge(gnutls_x509_name_constraints_add_permitted(ctx, type, d), 0);
}

static void
add_excl(void *ctx, unsigned type, const gnutls_datum_t *d)
{
	ck_assert_int_ge(gnutls_x509_name_constraints_add_excluded(ctx, type, d), 0);
}

static void
set_raw_ext(gnutls_x509_crt_t crt, const char *oid, const char *hex, int critical)
{
	unsigned char buf[256];
	size_t len = sizeof(buf);

	hex_decode(hex, buf, &len);
	ck_assert_int_ge(gnutls_x509_crt_set_extension_by_oid(crt, oid, buf, len, critical), 0);
}

/* A DER buffer, for the constraints GnuTLS 3.7 cannot encode (its
 * gnutls_x509_crt_set_name_constraints() fails on directoryName). */
struct dbuf {
	unsigned char b[1024];
	size_t len;
};

/* Wraps D->b[from..] in a TLV of tag TAG. */
static void
dbuf_wrap(struct dbuf *d, size_t from, unsigned char tag)
{
	size_t n = d->len - from, hl = n < 0x80 ? 2 : n < 0x100 ? 3 : 4;

	ck_assert_uint_le(d->len + hl, sizeof(d->b));
	memmove(d->b + from + hl, d->b + from, n);
	d->b[from] = tag;
	if (hl == 2)
		d->b[from + 1] = (unsigned char)n;
	else if (hl == 3) {
		d->b[from + 1] = 0x81;
		d->b[from + 2] = (unsigned char)n;
	} else {
		d->b[from + 1] = 0x82;
		d->b[from + 2] = (unsigned char)(n >> 8);
		d->b[from + 3] = (unsigned char)n;
	}
	d->len += hl;
}

/* Appends the GeneralName (IMPLICIT tags, except the EXPLICIT
 * directoryName). */
static void
add_gn(void *ctx, unsigned type, const gnutls_datum_t *v)
{
	static const unsigned char tag[] = { [GNUTLS_SAN_DNSNAME] = 0x82,
		[GNUTLS_SAN_RFC822NAME] = 0x81, [GNUTLS_SAN_URI] = 0x86,
		[GNUTLS_SAN_IPADDRESS] = 0x87, [GNUTLS_SAN_DN] = 0xa4 };
	struct dbuf *d = ctx;
	size_t from = d->len;

	ck_assert_uint_le(d->len + v->size, sizeof(d->b));
	memcpy(d->b + d->len, v->data, v->size);
	d->len += v->size;
	dbuf_wrap(d, from, tag[type]);
}

/* Appends GeneralSubtree { base }. */
static void
add_subtree(void *ctx, unsigned type, const gnutls_datum_t *v)
{
	struct dbuf *d = ctx;
	size_t from = d->len;

	add_gn(ctx, type, v);
	dbuf_wrap(d, from, 0x30);
}

/* A subjectAltName GnuTLS 3.7 cannot encode (directoryName). */
static void
set_san_der(gnutls_x509_crt_t crt, const char *san)
{
	struct dbuf d = { { 0 }, 0 };

	each_name(san, 0, &d, add_gn);
	dbuf_wrap(&d, 0, 0x30);
	ck_assert_int_ge(gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.17", d.b, d.len,
	                                                      0), 0);
}

static void
set_nc_der(gnutls_x509_crt_t crt, const struct cspec *s)
{
	struct dbuf d = { { 0 }, 0 };
	size_t from;

	if (s->perm != NULL) {
		from = d.len;
		each_name(s->perm, 1, &d, add_subtree);
		dbuf_wrap(&d, from, 0xa0);
	}
	if (s->excl != NULL) {
		from = d.len;
		each_name(s->excl, 1, &d, add_subtree);
		dbuf_wrap(&d, from, 0xa1);
	}
	dbuf_wrap(&d, 0, 0x30);
	ck_assert_int_ge(gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.30", d.b, d.len,
	                                                      !s->noncrit), 0);
}

static void
set_nc(gnutls_x509_crt_t crt, const struct cspec *s)
{
	gnutls_x509_name_constraints_t nc;

	if (s->nc_hex != NULL) {
		set_raw_ext(crt, "2.5.29.30", s->nc_hex, !s->noncrit);
		return;
	}
	if (s->perm == NULL && s->excl == NULL)
		return;
	if ((s->perm != NULL && strstr(s->perm, "DirName:") != NULL) ||
	    (s->excl != NULL && strstr(s->excl, "DirName:") != NULL)) {
		set_nc_der(crt, s);
		return;
	}
	ck_assert_int_ge(gnutls_x509_name_constraints_init(&nc), 0);
	each_name(s->perm, 1, nc, add_perm);
	each_name(s->excl, 1, nc, add_excl);
	ck_assert_int_ge(gnutls_x509_crt_set_name_constraints(crt, nc, !s->noncrit), 0);
	gnutls_x509_name_constraints_deinit(nc);
}

/* Certificate S, signed by ISSUER (NULL: self-signed), all with KEY. */
static gnutls_x509_crt_t
mkcert(const struct cspec *s, gnutls_x509_crt_t issuer, gnutls_x509_privkey_t key,
       unsigned serial)
{
	gnutls_x509_crt_t crt;
	unsigned char ser[2] = { 0x10, (unsigned char)serial };
	time_t now = time(NULL);

	ck_assert_int_ge(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_version(crt, 3), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_serial(crt, ser, sizeof(ser)), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_activation_time(crt, now - 3600), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_expiration_time(crt, now + 86400), 0);
	ck_assert_msg(gnutls_x509_crt_set_dn(crt, s->dn, NULL) >= 0, "dn %s", s->dn);
	ck_assert_int_ge(gnutls_x509_crt_set_key(crt, key), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_basic_constraints(crt, s->ca, -1), 0);
	if (s->san_hex != NULL)
		set_raw_ext(crt, "2.5.29.17", s->san_hex, 0);
	if (s->san != NULL && strstr(s->san, "DirName:") != NULL)
		set_san_der(crt, s->san);
	else
		each_name(s->san, 0, crt, add_san);
	set_nc(crt, s);
	ck_assert_int_ge(gnutls_x509_crt_sign2(crt, issuer != NULL ? issuer : crt, key,
	                                       GNUTLS_DIG_SHA256, 0), 0);
	return crt;
}

/* ---- the tests ---------------------------------------------------------- */

START_TEST(test_nc_row)
{
	const struct row *r = &rows[_i];
	gnutls_x509_crt_t path[5];
	gnutls_x509_privkey_t key;
	struct uctls_nc_result res;
	size_t n, j;

	for (n = 0; r->c[n].dn != NULL; n++)
		;
	ck_assert_int_ge(gnutls_x509_privkey_init(&key), 0);
	ck_assert_int_ge(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	for (j = n; j-- > 0;)
		path[j] = mkcert(&r->c[j], j + 1 < n ? path[j + 1] : NULL, key, (unsigned)j);
	ck_assert_int_eq(uctls_nc_check(path, n, &res), 0);
	if (r->reason == NULL) {
		ck_assert_msg(res.reason == NULL, "%s: unexpected %s: %s", r->what, res.reason,
		              res.detail);
		ck_assert_ptr_null(res.detail);
	} else {
		ck_assert_msg(res.reason != NULL, "%s: passed", r->what);
		ck_assert_str_eq(res.reason, r->reason);
		ck_assert_msg(res.cert_index == r->idx, "%s: index %zu: %s", r->what,
		              res.cert_index, res.detail);
		ck_assert_msg(strstr(res.detail, r->detail_has) != NULL, "%s: detail: %s",
		              r->what, res.detail);
		ck_assert_msg(r->also_has == NULL || strstr(res.detail, r->also_has) != NULL,
		              "%s: detail: %s", r->what, res.detail);
	}
	uctls_nc_result_clear(&res);
	ck_assert_ptr_null(res.reason);
	for (j = 0; j < n; j++)
		gnutls_x509_crt_deinit(path[j]);
	gnutls_x509_privkey_deinit(key);
}
END_TEST

START_TEST(test_nc_empty_path)
{
	struct uctls_nc_result res;

	ck_assert_int_eq(uctls_nc_check(NULL, 0, &res), 0);
	ck_assert_ptr_null(res.reason);
	uctls_nc_result_clear(&res);
}
END_TEST

Suite *
make_nc_suite(void)
{
	Suite *s = suite_create("nc");
	TCase *tc = tcase_create("rows");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_nc_row, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_nc_empty_path);
	suite_add_tcase(s, tc);
	return s;
}
