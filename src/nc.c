#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "nc.h"
#include "der.h"

/*
 * Name constraints, RFC 5280 4.2.1.10 and 6.1.3 (b)(c), 6.1.4 (g).
 *
 * Both the nameConstraints and the subjectAltName extensions are decoded
 * here from their DER, so that what GnuTLS would silently drop (an empty
 * extension, minimum/maximum, name forms it does not know) is seen.  Each
 * CA certificate's constraints are kept separately and every name below it
 * is checked against them; checking against each CA in turn is the same as
 * RFC 5280's intersection of permitted_subtrees and union of
 * excluded_subtrees.  Matching follows OpenSSL 3.0 (crypto/x509/v3_ncons.c)
 * where RFC 5280 leaves a choice; the choices are noted where they are made.
 *
 * The result is "undecided" (fail closed) whenever a name and a constraint
 * of the same form meet and the form is one we do not implement (otherName,
 * x400Address, ediPartyName, registeredID) or the name has no usable syntax
 * (an rfc822Name without `@', a URI without an authority, a name with a NUL).
 *
 * directoryName constraints are compared on the DER, RDN by RDN: the
 * constraint's RDNs must equal the first RDNs of the name, each attribute
 * with the same type OID and, for directory strings, the same value once
 * ASCII case and white space are canonicalised as OpenSSL does (other
 * values byte for byte).  RFC 4514 strings are only used for the text.
 */

#define OID_NC  "2.5.29.30"
#define OID_SAN "2.5.29.17"

/* GeneralName CHOICE tags (RFC 5280 4.2.1.6). */
enum {
	GN_OTHER, GN_EMAIL, GN_DNS, GN_X400, GN_DIR, GN_EDI, GN_URI, GN_IP, GN_RID
};

/* Where a name of a certificate comes from, for the detail text. */
enum { SRC_SAN, SRC_SUBJECT, SRC_EMAILATTR, SRC_CN };

struct gn {
	int type;               /* GN_* */
	const unsigned char *p; /* content; for GN_DIR the whole Name TLV */
	size_t len;
	int src;                /* SRC_* */
	int bad;                /* syntax we cannot check: fail closed */
};

struct gnlist {
	struct gn *v;
	size_t n, cap;
};

struct nc {
	int present;
	gnutls_datum_t der;
	struct gnlist perm, excl;
};

/* Static explanations of a bad extension (RFC 5280 4.2.1.10 unless said). */
#define WHY_MALFORMED "is not a valid DER NameConstraints"

/* ---- DER ---------------------------------------------------------------- */

/* Decodes the GeneralName T (IMPLICIT tags, RFC 5280 appendix A.2) into G.
 * -1 when malformed. */
static int
gn_decode(const struct tlv *t, struct gn *g, int src)
{
	static const unsigned char constructed[] = { 1, 0, 0, 1, 1, 1, 0, 0, 0 };
	unsigned num = t->tag & 0x1f;
	struct der c;
	struct tlv in;

	memset(g, 0, sizeof(*g));
	if ((t->tag & 0xc0) != 0x80 || num > GN_RID ||
	    ((t->tag & 0x20) != 0) != constructed[num])
		return -1;
	g->type = (int)num;
	g->p = t->v;
	g->len = t->vlen;
	g->src = src;
	if (num == GN_DIR) {
		/* directoryName is EXPLICIT (Name is a CHOICE): one SEQUENCE */
		c.p = t->v;
		c.len = t->vlen;
		if (der_get(&c, &in) != 1 || in.tag != 0x30 || c.len != 0)
			return -1;
		g->p = in.t;
		g->len = in.tlen;
	}
	if ((num == GN_EMAIL || num == GN_DNS || num == GN_URI) && g->len > 0 &&
	    memchr(g->p, 0, g->len) != NULL)
		g->bad = 1;
	return 0;
}

static int
gnlist_add(struct gnlist *l, const struct gn *g)
{
	struct gn *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 8 : l->cap * 2;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *g;
	return 0;
}

static void
gnlist_free(struct gnlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- reading the nameConstraints extension ------------------------------ */

/* 1 when the mask of the iPAddress constraint G is a CIDR prefix. */
static int
ip_mask_contiguous(const struct gn *g)
{
	const unsigned char *m = g->p + g->len / 2;
	size_t i;
	int zero = 0;
	unsigned bit;

	for (i = 0; i < g->len / 2; i++)
		for (bit = 0x80; bit != 0; bit >>= 1) {
			if ((m[i] & bit) == 0)
				zero = 1;
			else if (zero)
				return 0;
		}
	return 1;
}

/* Reads the GeneralSubtrees in T into L.  0, -1 out of memory, -2 bad
 * (*WHY set). */
static int
parse_subtrees(const struct tlv *t, struct gnlist *l, const char **why)
{
	struct der c = { t->v, t->vlen }, s;
	struct tlv st, base, opt;
	struct gn g;
	int r;

	*why = WHY_MALFORMED;
	if (t->vlen == 0) {
		*why = "has an empty GeneralSubtrees (SIZE (1..MAX))";
		return -2;
	}
	while ((r = der_get(&c, &st)) == 1) {
		s.p = st.v;
		s.len = st.vlen;
		if (st.tag != 0x30 || der_get(&s, &base) != 1 ||
		    gn_decode(&base, &g, SRC_SAN) == -1)
			return -2;
		r = der_get(&s, &opt);
		if (r == 1 && opt.tag == 0x80) {
			if (opt.vlen != 1 || opt.v[0] != 0) {
				*why = "has a subtree whose minimum is not zero "
				       "(\"minimum MUST be zero\")";
				return -2;
			}
			r = der_get(&s, &opt);
		}
		if (r == 1 && opt.tag == 0x81) {
			*why = "has a subtree with a maximum (\"maximum MUST be absent\")";
			return -2;
		}
		if (r != 0)
			return -2;
		if (g.type == GN_IP && g.len != 8 && g.len != 32) {
			*why = "has an iPAddress constraint that is neither 8 (IPv4) nor "
			       "32 (IPv6) octets";
			return -2;
		}
		if (g.type == GN_IP && !ip_mask_contiguous(&g)) {
			*why = "has an iPAddress constraint whose mask is not a CIDR prefix";
			return -2;
		}
		if (gnlist_add(l, &g) == -1)
			return -1;
	}
	return r == 0 ? 0 : -2;
}

/* Decodes NC->der.  0, -1 out of memory, -2 bad (*WHY set). */
static int
parse_nc(struct nc *nc, const char **why)
{
	struct der c = { nc->der.data, nc->der.size }, top;
	struct tlv t;
	int r, e;

	*why = WHY_MALFORMED;
	if (der_get(&c, &t) != 1 || t.tag != 0x30 || c.len != 0)
		return -2;
	if (t.vlen == 0) {
		*why = "is empty: it has neither permittedSubtrees nor excludedSubtrees";
		return -2;
	}
	top.p = t.v;
	top.len = t.vlen;
	r = der_get(&top, &t);
	if (r == 1 && t.tag == 0xa0) {
		if ((e = parse_subtrees(&t, &nc->perm, why)) < 0)
			return e;
		r = der_get(&top, &t);
	}
	if (r == 1 && t.tag == 0xa1) {
		if ((e = parse_subtrees(&t, &nc->excl, why)) < 0)
			return e;
		r = der_get(&top, &t);
	}
	if (r != 0) {
		*why = WHY_MALFORMED;
		return -2;
	}
	return 0;
}

/* Loads the nameConstraints extension of path[k] into NC and checks where
 * it may appear.  0 (NC->present tells), -1 out of memory, -2 bad (*WHY). */
static int
load_nc(gnutls_x509_crt_t crt, size_t k, struct nc *nc, const char **why)
{
	gnutls_datum_t dup = { NULL, 0 };
	unsigned int critical = 0, ca_crit;
	int r;

	r = gnutls_x509_crt_get_extension_by_oid2(crt, OID_NC, 0, &nc->der, &critical);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	if (r == GNUTLS_E_MEMORY_ERROR)
		return -1;
	*why = "cannot be read";
	if (r < 0)
		return -2;
	nc->present = 1;
	if (gnutls_x509_crt_get_extension_by_oid2(crt, OID_NC, 1, &dup, NULL) >= 0) {
		gnutls_free(dup.data);
		*why = "appears more than once (RFC 5280 4.2)";
		return -2;
	}
	/* "The name constraints extension ... MUST be used only in a CA
	 * certificate": the leaf, or any certificate without cA TRUE. */
	if (k == 0 || gnutls_x509_crt_get_basic_constraints(crt, &ca_crit, NULL, NULL) <= 0) {
		*why = "appears in an end-entity certificate (it \"MUST be used only "
		       "in a CA certificate\")";
		return -2;
	}
	if (!critical) {
		*why = "is not marked critical (\"Conforming CAs MUST mark this "
		       "extension as critical\")";
		return -2;
	}
	return parse_nc(nc, why);
}

/* ---- the names of a certificate ---------------------------------------- */

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ieq(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	return 1;
}

/* 1 when the CN value S looks like a host name, as OpenSSL 3.0's
 * cn2dnsid(): letters, digits, `_', inner `-' and `.', no `..', no `.-'
 * or `-.', and at least one dot ("CN=sometld" is not a DNS name). */
static int
cn_is_dnsname(const unsigned char *s, size_t n)
{
	size_t i;
	int dot = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')
			continue;
		if (i == 0 || i == n - 1)
			return 0;
		if (c == '-')
			continue;
		if (c == '.' && s[i + 1] != '.' && s[i + 1] != '-' && s[i - 1] != '-') {
			dot = 1;
			continue;
		}
		return 0;
	}
	return dot;
}

/* Adds the names held in the subject DN (DER Name in DN) to L: the DN
 * itself when not empty (RFC 5280 4.2.1.10: directoryName constraints
 * apply to a non-empty subject), each emailAddress attribute as an
 * rfc822Name (the last paragraphs of 4.2.1.10), and with ADD_CN each
 * host-name-like CN as a dNSName.  -1 out of memory, -2 malformed. */
static int
subject_names(const gnutls_datum_t *dn, int add_cn, struct gnlist *l)
{
	static const unsigned char oid_email[] = {
		0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 };
	static const unsigned char oid_cn[] = { 0x55, 0x04, 0x03 };
	struct der c = { dn->data, dn->size }, rdns, avas, ava;
	struct tlv t, rdn, a, oid, val;
	struct gn g;
	int r;

	if (der_get(&c, &t) != 1 || t.tag != 0x30)
		return -2;
	if (t.vlen == 0)
		return 0;
	g = (struct gn){ GN_DIR, t.t, t.tlen, SRC_SUBJECT, 0 };
	if (gnlist_add(l, &g) == -1)
		return -1;
	rdns.p = t.v;
	rdns.len = t.vlen;
	while ((r = der_get(&rdns, &rdn)) == 1) {
		avas.p = rdn.v;
		avas.len = rdn.vlen;
		while ((r = der_get(&avas, &a)) == 1) {
			ava.p = a.v;
			ava.len = a.vlen;
			if (der_get(&ava, &oid) != 1 || der_get(&ava, &val) != 1)
				return -2;
			g = (struct gn){ GN_EMAIL, val.v, val.vlen, SRC_EMAILATTR, 0 };
			if (oid.vlen == sizeof(oid_email) &&
			    memcmp(oid.v, oid_email, sizeof(oid_email)) == 0) {
				/* an emailAddress that is not an IA5String cannot be
				 * compared (OpenSSL: unsupported name syntax) */
				g.bad = val.tag != 0x16 ||
				        (val.vlen > 0 && memchr(val.v, 0, val.vlen) != NULL);
			} else if (add_cn && oid.vlen == sizeof(oid_cn) &&
			           memcmp(oid.v, oid_cn, sizeof(oid_cn)) == 0 &&
			           cn_is_dnsname(val.v, val.vlen)) {
				g.type = GN_DNS;
				g.src = SRC_CN;
			} else
				continue;
			if (gnlist_add(l, &g) == -1)
				return -1;
		}
		if (r == -1)
			return -2;
	}
	return r == 0 ? 0 : -2;
}

/* Adds the subjectAltName entries in SAN to L; *HAS_DNS tells whether one
 * is a dNSName.  -1 out of memory, -2 malformed. */
static int
san_names(const gnutls_datum_t *san, struct gnlist *l, int *has_dns)
{
	struct der c = { san->data, san->size }, s;
	struct tlv t, e;
	struct gn g;
	int r;

	if (der_get(&c, &t) != 1 || t.tag != 0x30 || c.len != 0)
		return -2;
	s.p = t.v;
	s.len = t.vlen;
	while ((r = der_get(&s, &e)) == 1) {
		if (gn_decode(&e, &g, SRC_SAN) == -1)
			return -2;
		if (g.type == GN_DNS)
			*has_dns = 1;
		if (gnlist_add(l, &g) == -1)
			return -1;
	}
	return r == 0 ? 0 : -2;
}

/* Collects every name of CRT that name constraints apply to.  SAN and DN
 * receive the DER the names point into.  0, -1 out of memory, -2 when the
 * certificate cannot be read (*WHY set). */
static int
collect_names(gnutls_x509_crt_t crt, int leaf, struct gnlist *l,
              gnutls_datum_t *san, gnutls_datum_t *dn, const char **why)
{
	gnutls_datum_t dup = { NULL, 0 };
	int r, has_dns = 0;

	*why = "has a subjectAltName extension that cannot be decoded";
	r = gnutls_x509_crt_get_extension_by_oid2(crt, OID_SAN, 0, san, NULL);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return -1;
	if (r < 0 && r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return -2;
	if (r >= 0) {
		if (gnutls_x509_crt_get_extension_by_oid2(crt, OID_SAN, 1, &dup, NULL) >= 0) {
			gnutls_free(dup.data);
			*why = "has more than one subjectAltName extension (RFC 5280 4.2)";
			return -2;
		}
		if ((r = san_names(san, l, &has_dns)) < 0)
			return r;
	}
	*why = "has a subject DN that cannot be decoded";
	r = gnutls_x509_crt_get_raw_dn(crt, dn);
	if (r == GNUTLS_E_MEMORY_ERROR)
		return -1;
	if (r < 0)
		return -2;
	/*
	 * The leaf's CN is checked as a dNSName when the certificate has no
	 * dNSName SAN and the CN looks like a host name, as OpenSSL 3.0's
	 * NAME_CONSTRAINTS_check_CN() does: clients that still fall back to
	 * the CN (RFC 6125 6.4.4) would otherwise escape the constraints.
	 */
	return subject_names(dn, leaf && !has_dns, l);
}

/* ---- matching ----------------------------------------------------------- */

/* Strips one trailing dot: "example.com." is the absolute "example.com". */
static size_t
strip_dot(const unsigned char *s, size_t n)
{
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/* dNSName (RFC 5280 4.2.1.10): any name formed by adding zero or more
 * labels on the left of the constraint.  A constraint starting with `.'
 * matches subdomains only, and an empty constraint every name (both as
 * OpenSSL's nc_dns()).  Case-insensitive. */
static int
dns_within(const unsigned char *n, size_t nlen, const unsigned char *b, size_t blen)
{
	nlen = strip_dot(n, nlen);
	blen = strip_dot(b, blen);
	if (blen == 0)
		return 1;
	if (nlen < blen)
		return 0;
	if (nlen > blen && b[0] != '.' && n[nlen - blen - 1] != '.')
		return 0;
	if (nlen == blen && b[0] == '.')
		return 0;
	return ieq(n + nlen - blen, b, blen);
}

/* A wildcard name `*.D' stands for any `L.D': it meets the excluded host
 * constraint `L.D' although it is not within it, so it is excluded too
 * (fail closed; OpenSSL compares the string and lets it through). */
static int
dns_wild_meets(const struct gn *name, const struct gn *base)
{
	size_t nlen = strip_dot(name->p, name->len), blen = strip_dot(base->p, base->len);
	const unsigned char *dot;

	if (nlen < 3 || name->p[0] != '*' || name->p[1] != '.' || blen == 0 ||
	    base->p[0] == '.')
		return 0;
	if ((dot = memchr(base->p, '.', blen)) == NULL || dot == base->p)
		return 0;
	return (size_t)(base->p + blen - dot) == nlen - 1 &&
	       ieq(dot, name->p + 1, nlen - 1);
}

/* Host part of a URI: "scheme://[userinfo@]host[:port][/...]" (RFC 3986
 * 3.2).  0 when there is no authority or an empty host. */
static int
uri_host(const unsigned char *u, size_t n, const unsigned char **h, size_t *hlen)
{
	const unsigned char *p = memchr(u, ':', n), *end = u + n, *q;

	if (p == NULL || end - p < 3 || p[1] != '/' || p[2] != '/')
		return 0;
	p += 3;
	for (q = p; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
		;
	end = q;
	for (q = end; q > p; q--)
		if (q[-1] == '@') {
			p = q;
			break;
		}
	if (p < end && *p == '[') {
		if ((q = memchr(p, ']', (size_t)(end - p))) == NULL)
			return 0;
		end = q + 1;
	} else if ((q = memchr(p, ':', (size_t)(end - p))) != NULL)
		end = q;
	*h = p;
	*hlen = (size_t)(end - p);
	return *hlen > 0;
}

/* Host constraint (rfc822Name host and URI forms, RFC 5280 4.2.1.10):
 * ".example.com" matches any host below it, "host.example.com" only that
 * host.  Case-insensitive. */
static int
host_within(const unsigned char *h, size_t hlen, const unsigned char *b, size_t blen)
{
	if (blen > 0 && b[0] == '.')
		return hlen > blen && ieq(h + hlen - blen, b, blen);
	return hlen == blen && ieq(h, b, blen);
}

/* rfc822Name: a mailbox constraint matches that mailbox (local part
 * case-sensitive), a host that host's mailboxes, ".domain" the mailboxes
 * of any host below it.  -1 when the name has no `@'. */
static int
email_within(const struct gn *name, const struct gn *base)
{
	size_t at, bat;

	for (at = name->len; at > 0 && name->p[at - 1] != '@'; at--)
		;
	if (at == 0)
		return -1;
	for (bat = base->len; bat > 0 && base->p[bat - 1] != '@'; bat--)
		;
	if (bat == 0)
		return host_within(name->p + at, name->len - at, base->p, base->len);
	return at == bat && memcmp(name->p, base->p, at - 1) == 0 &&
	       name->len - at == base->len - bat &&
	       ieq(name->p + at, base->p + bat, base->len - bat);
}

static int
ip_within(const struct gn *name, const struct gn *base)
{
	size_t i;

	if (name->len != 4 && name->len != 16)
		return -1;
	/* a 4-octet address only against IPv4 subtrees, 16 against IPv6 */
	if (name->len * 2 != base->len)
		return 0;
	for (i = 0; i < name->len; i++)
		if ((name->p[i] & base->p[name->len + i]) !=
		    (base->p[i] & base->p[name->len + i]))
			return 0;
	return 1;
}

/* Canonical form of a directory string, after OpenSSL's x509_name_canon():
 * ASCII case folded, leading and trailing white space dropped, inner runs
 * of white space collapsed to one space. */
struct cit {
	const unsigned char *p, *end;
	int started, space;
};

static int
cit_next(struct cit *it)
{
	unsigned char c;

	while (it->p < it->end) {
		c = *it->p;
		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			it->p++;
			it->space = it->started;
			continue;
		}
		if (it->space) {
			it->space = 0;
			return ' ';
		}
		it->started = 1;
		it->p++;
		return ascii_lower(c);
	}
	return -1;
}

/* UTF8String, PrintableString, T61String, IA5String, VisibleString. */
static int
is_dirstring(unsigned tag)
{
	return tag == 0x0c || tag == 0x13 || tag == 0x14 || tag == 0x16 || tag == 0x1a;
}

/* 1 when the AttributeTypeAndValue contents A and B are equal: same type,
 * string values equal in canonical form whatever their string type (so
 * neither `O=EVIL' nor a PrintableString `O=Evil' escapes an excluded
 * UTF8String `O=Evil'), other values byte for byte.  -1 when malformed. */
static int
ava_eq(const struct tlv *a, const struct tlv *b)
{
	struct der ca = { a->v, a->vlen }, cb = { b->v, b->vlen };
	struct tlv oa, va, ob, vb;
	struct cit x, y;
	int c;

	if (der_get(&ca, &oa) != 1 || der_get(&ca, &va) != 1 ||
	    der_get(&cb, &ob) != 1 || der_get(&cb, &vb) != 1)
		return -1;
	if (oa.tlen != ob.tlen || memcmp(oa.t, ob.t, oa.tlen) != 0)
		return 0;
	if (!is_dirstring(va.tag) || !is_dirstring(vb.tag))
		return va.tlen == vb.tlen && memcmp(va.t, vb.t, va.tlen) == 0;
	x = (struct cit){ va.v, va.v + va.vlen, 0, 0 };
	y = (struct cit){ vb.v, vb.v + vb.vlen, 0, 0 };
	do {
		if ((c = cit_next(&x)) != cit_next(&y))
			return 0;
	} while (c != -1);
	return 1;
}

/* 1 when the RDNs (SET OF AttributeTypeAndValue) A and B hold the same
 * attributes, in any order.  -1 when malformed. */
static int
rdn_eq(const struct tlv *a, const struct tlv *b)
{
	struct der ca = { a->v, a->vlen }, cb;
	struct tlv ta, tb;
	size_t na = 0, nb = 0;
	int r, e, found;

	for (cb = (struct der){ b->v, b->vlen }; (r = der_get(&cb, &tb)) == 1; nb++)
		;
	if (r == -1)
		return -1;
	while ((r = der_get(&ca, &ta)) == 1) {
		na++;
		found = 0;
		cb = (struct der){ b->v, b->vlen };
		while (!found && der_get(&cb, &tb) == 1)
			if ((e = ava_eq(&ta, &tb)) == -1)
				return -1;
			else
				found = e;
		if (!found)
			return 0;
	}
	return r == -1 ? -1 : na == nb;
}

/* directoryName: the constraint's RDN sequence must be a prefix of the
 * name's, RDN by RDN (RFC 5280 4.2.1.10, 7.1); an empty constraint
 * matches every name.  -1 when malformed. */
static int
dn_within(const struct gn *name, const struct gn *base)
{
	struct der cn = { name->p, name->len }, cb = { base->p, base->len };
	struct tlv n, b;
	int r;

	if (der_get(&cn, &n) != 1 || der_get(&cb, &b) != 1)
		return -1;
	cn = (struct der){ n.v, n.vlen };
	cb = (struct der){ b.v, b.vlen };
	while ((r = der_get(&cb, &b)) == 1) {
		if ((r = der_get(&cn, &n)) != 1)
			return r == 0 ? 0 : -1;
		if ((r = rdn_eq(&n, &b)) != 1)
			return r;
	}
	return r == 0 ? 1 : -1;
}

/* 1 when NAME is within the subtree BASE (same form), 0 when not, -1 when
 * it cannot be decided. */
static int
gn_match(const struct gn *name, const struct gn *base)
{
	const unsigned char *h;
	size_t hlen;

	if (name->bad)
		return -1;
	switch (base->type) {
	case GN_DNS:
		return dns_within(name->p, name->len, base->p, base->len);
	case GN_EMAIL:
		return email_within(name, base);
	case GN_URI:
		/* "the constraint applies to the host part of the name" */
		if (!uri_host(name->p, name->len, &h, &hlen))
			return -1;
		return host_within(h, hlen, base->p, base->len);
	case GN_IP:
		return ip_within(name, base);
	case GN_DIR:
		return dn_within(name, base);
	default:
		/* otherName, x400Address, ediPartyName, registeredID */
		return -1;
	}
}

enum { NC_OK, NC_PERMITTED, NC_EXCLUDED, NC_UNDECIDED };

/* Checks NAME against the constraints of one CA, as OpenSSL's nc_match()
 * and RFC 5280 6.1.3 (b)(c): when the CA has permitted subtrees of the
 * name's form the name must be within one, and it must be within none of
 * its excluded subtrees.  *HIT receives the constraint at fault. */
static int
check_name(const struct gn *name, const struct nc *nc, const struct gn **hit)
{
	const struct gn *b;
	size_t j;
	int r, seen = 0;

	for (j = 0; j < nc->perm.n; j++) {
		b = &nc->perm.v[j];
		if (b->type != name->type)
			continue;
		seen = 1;
		*hit = b;
		if ((r = gn_match(name, b)) == -1)
			return NC_UNDECIDED;
		if (r == 1) {
			seen = 0;
			break;
		}
	}
	if (seen)
		return NC_PERMITTED;
	for (j = 0; j < nc->excl.n; j++) {
		b = &nc->excl.v[j];
		if (b->type != name->type)
			continue;
		*hit = b;
		if ((r = gn_match(name, b)) == -1)
			return NC_UNDECIDED;
		if (r == 1 || (b->type == GN_DNS && dns_wild_meets(name, b)))
			return NC_EXCLUDED;
	}
	return NC_OK;
}

/* ---- the detail text ---------------------------------------------------- */

struct sb {
	char *s;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *s;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		cap = (b->len + (size_t)n + 1) * 2;
		if ((s = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Appends bytes from a certificate: printable ASCII as is, others \xNN. */
static void
sb_esc(struct sb *b, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 0x20 && p[i] < 0x7f)
			sb_add(b, "%c", p[i]);
		else
			sb_add(b, "\\x%02x", p[i]);
}

static void
sb_datum(struct sb *b, int r, gnutls_datum_t *d, const char *empty)
{
	if (r == GNUTLS_E_MEMORY_ERROR)
		b->oom = 1;
	else if (r < 0)
		sb_add(b, "(unprintable DN)");
	else if (d->size == 0)
		sb_add(b, "%s", empty);
	else
		sb_esc(b, d->data, d->size);
	gnutls_free(d->data);
}

/* The subject DN of CRT, RFC 4514. */
static void
sb_crt_dn(struct sb *b, gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = { NULL, 0 };

	sb_datum(b, gnutls_x509_crt_get_dn3(crt, &d, 0), &d, "(empty subject)");
}

/* The DER Name P, RFC 4514. */
static void
sb_dn(struct sb *b, const unsigned char *p, size_t len)
{
	gnutls_datum_t in = { (unsigned char *)p, (unsigned int)len }, d = { NULL, 0 };
	gnutls_x509_dn_t dn = NULL;
	int r;

	if ((r = gnutls_x509_dn_init(&dn)) >= 0 && (r = gnutls_x509_dn_import(dn, &in)) >= 0)
		r = gnutls_x509_dn_get_str2(dn, &d, 0);
	sb_datum(b, r, &d, "(empty DN)");
	if (dn != NULL)
		gnutls_x509_dn_deinit(dn);
}

static void
sb_ip(struct sb *b, const unsigned char *p, size_t len, int constraint)
{
	unsigned char a[16];
	char s[INET6_ADDRSTRLEN];
	size_t n = constraint ? len / 2 : len, i, bits = 0;

	if (n != 4 && n != 16) {
		sb_add(b, "(%zu octets)", len);
		return;
	}
	memcpy(a, p, n);
	inet_ntop(n == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	sb_add(b, "%s", s);
	if (!constraint)
		return;
	for (i = 0; i < n * 8; i++)
		bits += (p[n + i / 8] >> (7 - i % 8)) & 1;
	sb_add(b, "/%zu", bits);
}

static void
sb_value(struct sb *b, const struct gn *g, int constraint)
{
	switch (g->type) {
	case GN_EMAIL:
	case GN_DNS:
	case GN_URI:
		sb_esc(b, g->p, g->len);
		break;
	case GN_IP:
		sb_ip(b, g->p, g->len, constraint);
		break;
	case GN_DIR:
		sb_dn(b, g->p, g->len);
		break;
	default:
		sb_add(b, "(%zu octets)", g->len);
	}
}

/* A constraint, as OpenSSL prints it: "DNS:.example.com". */
static void
sb_constraint(struct sb *b, const struct gn *g)
{
	static const char *const prefix[] = { "othername:", "email:", "DNS:",
		"X400Name:", "DirName:", "EdiPartyName:", "URI:", "IP:", "RID:" };

	sb_add(b, "%s", prefix[g->type]);
	sb_value(b, g, 1);
}

static void
sb_name(struct sb *b, const struct gn *g)
{
	static const char *const word[] = { "otherName", "rfc822Name", "dNSName",
		"x400Address", "directoryName", "ediPartyName",
		"uniformResourceIdentifier", "iPAddress", "registeredID" };

	switch (g->src) {
	case SRC_SUBJECT:
		sb_add(b, "the subject DN");
		return;
	case SRC_EMAILATTR:
		sb_add(b, "the subject emailAddress `");
		break;
	case SRC_CN:
		sb_add(b, "the subject CN `");
		break;
	default:
		sb_add(b, "the %s ", word[g->type]);
		if (g->type == GN_OTHER || g->type == GN_X400 || g->type == GN_EDI ||
		    g->type == GN_RID) {
			sb_value(b, g, 0);
			return;
		}
		sb_add(b, "`");
	}
	sb_value(b, g, 0);
	sb_add(b, "'");
	if (g->src == SRC_CN)
		sb_add(b, " (checked as a dNSName: no dNSName SAN, as OpenSSL 3.0 does)");
}

static int
set_result(struct uctls_nc_result *out, struct sb *b, size_t idx)
{
	if (b->oom || (out->reason = strdup("name-constraints")) == NULL) {
		free(b->s);
		return -1;
	}
	out->detail = b->s;
	out->cert_index = idx;
	return 0;
}

/* A bad extension on path[k]. */
static int
report_ext(gnutls_x509_crt_t crt, size_t k, const char *why, struct uctls_nc_result *out)
{
	struct sb b = { NULL, 0, 0, 0 };

	sb_add(&b, "the nameConstraints extension of `");
	sb_crt_dn(&b, crt);
	sb_add(&b, "' %s (RFC 5280 4.2.1.10)", why);
	return set_result(out, &b, k);
}

/* The names of path[i] cannot be read while path[k] constrains them. */
static int
report_names(gnutls_x509_crt_t *path, size_t i, size_t k, const char *why,
             struct uctls_nc_result *out)
{
	struct sb b = { NULL, 0, 0, 0 };

	sb_add(&b, "`");
	sb_crt_dn(&b, path[i]);
	sb_add(&b, "' %s, so the name constraints of `", why);
	sb_crt_dn(&b, path[k]);
	sb_add(&b, "' cannot be checked (failing closed, RFC 5280 6.1.3 (b)(c))");
	return set_result(out, &b, i);
}

static int
report_violation(gnutls_x509_crt_t *path, size_t i, size_t k, const struct gn *name,
                 const struct nc *nc, int code, const struct gn *hit,
                 struct uctls_nc_result *out)
{
	struct sb b = { NULL, 0, 0, 0 };
	const char *sep = "";
	size_t j;

	sb_name(&b, name);
	sb_add(&b, " of `");
	sb_crt_dn(&b, path[i]);
	if (code == NC_PERMITTED) {
		sb_add(&b, "' is outside the permitted subtrees of `");
		sb_crt_dn(&b, path[k]);
		sb_add(&b, "' (permitted: ");
		for (j = 0; j < nc->perm.n; j++)
			if (nc->perm.v[j].type == name->type) {
				sb_add(&b, "%s", sep);
				sb_constraint(&b, &nc->perm.v[j]);
				sep = ", ";
			}
		sb_add(&b, "; RFC 5280 4.2.1.10)");
	} else {
		sb_add(&b, code == NC_EXCLUDED ? "' is within the excluded subtree "
		                               : "' cannot be checked against the constraint ");
		sb_constraint(&b, hit);
		sb_add(&b, " of `");
		sb_crt_dn(&b, path[k]);
		if (code == NC_EXCLUDED)
			sb_add(&b, "' (RFC 5280 4.2.1.10)");
		else
			sb_add(&b, "' (%s; failing closed, RFC 5280 6.1.3 (b)(c))",
			       hit->type == GN_OTHER || hit->type == GN_X400 ||
			               hit->type == GN_EDI || hit->type == GN_RID
			           ? "unsupported name form"
			           : "the name has no usable syntax for this form");
	}
	return set_result(out, &b, i);
}

/* ---- the path ----------------------------------------------------------- */

/* 1 when CRT is self-issued: subject and issuer DN equal byte for byte. */
static int
self_issued(gnutls_x509_crt_t crt)
{
	gnutls_datum_t s = { NULL, 0 }, i = { NULL, 0 };
	int rv = 0;

	if (gnutls_x509_crt_get_raw_dn(crt, &s) >= 0 &&
	    gnutls_x509_crt_get_raw_issuer_dn(crt, &i) >= 0)
		rv = s.size == i.size && memcmp(s.data, i.data, s.size) == 0;
	gnutls_free(s.data);
	gnutls_free(i.data);
	return rv;
}

/* Checks every name of path[i] against the constraints of the CAs above
 * it (RFC 5280 6.1.3 (b)(c)).  0 (OUT->reason set on a violation), -1 out
 * of memory. */
static int
check_cert(gnutls_x509_crt_t *path, size_t plen, size_t i, const struct nc *ncs,
           struct uctls_nc_result *out)
{
	gnutls_datum_t san = { NULL, 0 }, dn = { NULL, 0 };
	struct gnlist names = { NULL, 0, 0 };
	const struct gn *hit = NULL;
	const char *why = NULL;
	size_t j, k;
	int r, rv = -1;

	/* "unless certificate i is self-issued and it is not the final
	 * certificate in the path" */
	if (i > 0 && self_issued(path[i]))
		return 0;
	for (k = i + 1; k < plen && !ncs[k].present; k++)
		;
	if (k == plen)
		return 0;
	if ((r = collect_names(path[i], i == 0, &names, &san, &dn, &why)) == -1)
		goto out;
	if (r == -2) {
		rv = report_names(path, i, k, why, out);
		goto out;
	}
	for (; k < plen; k++) {
		if (!ncs[k].present)
			continue;
		for (j = 0; j < names.n; j++) {
			if ((r = check_name(&names.v[j], &ncs[k], &hit)) != NC_OK) {
				rv = report_violation(path, i, k, &names.v[j], &ncs[k], r,
				                      hit, out);
				goto out;
			}
		}
	}
	rv = 0;
out:
	gnlist_free(&names);
	gnutls_free(san.data);
	gnutls_free(dn.data);
	return rv;
}

int
uctls_nc_check(gnutls_x509_crt_t *path, size_t plen, struct uctls_nc_result *out)
{
	struct nc *ncs = NULL;
	const char *why = NULL;
	size_t i, k;
	int r, rv = -1;

	memset(out, 0, sizeof(*out));
	if (plen == 0)
		return 0;
	if ((ncs = calloc(plen, sizeof(*ncs))) == NULL)
		goto out;
	/* the extensions themselves first, from the leaf up */
	for (k = 0; k < plen; k++) {
		if ((r = load_nc(path[k], k, &ncs[k], &why)) == -1)
			goto out;
		if (r == -2) {
			rv = report_ext(path[k], k, why, out);
			goto out;
		}
	}
	for (i = 0; i + 1 < plen && out->reason == NULL; i++)
		if (check_cert(path, plen, i, ncs, out) == -1)
			goto out;
	rv = 0;
out:
	for (k = 0; ncs != NULL && k < plen; k++) {
		gnutls_free(ncs[k].der.data);
		gnlist_free(&ncs[k].perm);
		gnlist_free(&ncs[k].excl);
	}
	free(ncs);
	if (rv == -1)
		uctls_nc_result_clear(out);
	return rv;
}

void
uctls_nc_result_clear(struct uctls_nc_result *r)
{
	free(r->reason);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}
