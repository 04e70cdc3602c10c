#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "family.h"
#include "http.h"
#include "profile.h"
#include "revoke.h"
#include "scenario.h"
#include "store.h"
#include "xml.h"
#include "strv.h"

/* The scenario format is specified in docs/uctls-scenario.5 (and mirrored by
 * scenarios/uctls-scenario.dtd).  Every check below has its rule there. */

/* ------------------------------------------------------------------------
 * Name tables
 * ------------------------------------------------------------------------ */

static const char *const key_names[UCTLS_KEY__COUNT] = {
	[UCTLS_KEY_DEFAULT] = "ecdsa-p256", /* what DEFAULT stands for */
	[UCTLS_KEY_RSA1024] = "rsa-1024",
	[UCTLS_KEY_RSA2048] = "rsa-2048",
	[UCTLS_KEY_RSA3072] = "rsa-3072",
	[UCTLS_KEY_RSA4096] = "rsa-4096",
	[UCTLS_KEY_ECDSA_P256] = "ecdsa-p256",
	[UCTLS_KEY_ECDSA_P384] = "ecdsa-p384",
	[UCTLS_KEY_ED25519] = "ed25519",
};

static const char *const hash_names[] = {
	[UCTLS_HASH_DEFAULT] = "sha256", /* what DEFAULT stands for */
	[UCTLS_HASH_SHA1] = "sha1",
	[UCTLS_HASH_SHA256] = "sha256",
	[UCTLS_HASH_SHA384] = "sha384",
	[UCTLS_HASH_SHA512] = "sha512",
};
#define NHASH (sizeof(hash_names) / sizeof(hash_names[0]))

const char *
uctls_key_type_name(enum uctls_key_type k)
{
	if ((unsigned)k >= UCTLS_KEY__COUNT)
		return "unknown";
	return key_names[k];
}

const char *
uctls_hash_name(enum uctls_hash h)
{
	if ((unsigned)h >= NHASH)
		return "unknown";
	return hash_names[h];
}

static int
key_is_rsa(enum uctls_key_type k)
{
	return k == UCTLS_KEY_RSA1024 || k == UCTLS_KEY_RSA2048 ||
	       k == UCTLS_KEY_RSA3072 || k == UCTLS_KEY_RSA4096;
}

/* RFC 5280 4.2.1.3, in bit order (UCTLS_KU_* is 1 << index). */
static const char *const ku_names[] = {
	"digitalSignature", "nonRepudiation", "keyEncipherment",
	"dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
	"encipherOnly", "decipherOnly", NULL
};

/* RFC 5280 4.2.1.12 (id-kp-*) and 2.5.29.37.0 (anyExtendedKeyUsage). */
static const struct {
	const char *name;
	const char *oid;
} eku_names[] = {
	{ "serverAuth", "1.3.6.1.5.5.7.3.1" },
	{ "clientAuth", "1.3.6.1.5.5.7.3.2" },
	{ "codeSigning", "1.3.6.1.5.5.7.3.3" },
	{ "emailProtection", "1.3.6.1.5.5.7.3.4" },
	{ "timeStamping", "1.3.6.1.5.5.7.3.8" },
	{ "OCSPSigning", "1.3.6.1.5.5.7.3.9" },
	{ "anyExtendedKeyUsage", "2.5.29.37.0" },
};
#define NEKU (sizeof(eku_names) / sizeof(eku_names[0]))

static const char *const crit_names[] = {
	"basic-constraints", "key-usage", "eku", "san", NULL
};

static const struct {
	const char *name;
	enum uctls_san_type type;
} san_types[] = {
	{ "DNS", UCTLS_SAN_DNS },
	{ "IP", UCTLS_SAN_IP },
	{ "URI", UCTLS_SAN_URI },
	{ "email", UCTLS_SAN_EMAIL },
	{ "XMPP", UCTLS_SAN_XMPP },
	{ "SRV", UCTLS_SAN_SRV },
};
#define NSAN_TYPES (sizeof(san_types) / sizeof(san_types[0]))

/* Attributes, per element.  For <ca>/<cert>: the first four are those of a
 * certificate loaded from PEM, the rest generate one. */
static const char *const scenario_attrs[] = { "name", "family", "timeout", NULL };
static const char *const clock_attrs[] = { "now", NULL };
static const char *const no_attrs[] = { NULL };
static const char *const cert_attrs[] = {
	"id", "file", "index", "key-file",
	"subject", "issuer", "signed-with", "key-of", "key", "hash", "san", "key-usage",
	"eku", "basic-constraints", "path-len", "critical", "not-before",
	"not-after", "serial", "crl", "ocsp", NULL
};
#define CERT_PEM_ATTRS 4
static const char *const ext_attrs[] = { "oid", "critical", "value", NULL };
static const char *const peer_attrs[] = {
	"id", "role", "profile", "sends", "trusts", "verify-name", "tls", "max-depth",
	"revocation", "revocation-fallback", "revocation-scope", "staple", NULL
};
static const char *const expect_attrs[] = {
	"result", "fail-at", "side", "reason", "other", "warns", NULL
};

/* Children of <scenario>, in the order they must appear. */
static const char *const scenario_children[] = {
	"summary", "clock", "profile", "pki", "peer", "install", "expect", NULL
};
#define SCENARIO_ORDER "summary?, clock?, profile*, pki, peer+, install*, expect?"
#define RANK_PKI 3 /* of "pki" in scenario_children */
static const char *const install_attrs[] = {
	"peer", "cert", "file", "key", "key-file", "format", "newlines", "csr-san", "slot", "bundle", NULL
};

/* ------------------------------------------------------------------------
 * Loader state and messages
 * ------------------------------------------------------------------------ */

struct loader {
	struct uctls_scenario *sc;
	const struct uctls_family *fam;
	const struct uctls_xml_node *root; /* the <scenario> being loaded */
	struct uctls_err *err;
	int have_client, have_server;
};

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Appends S to the NUL-terminated BUF of SIZE bytes, truncating. */
static void
cat(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf), m = strlen(s);

	if (n + 1 >= size)
		return;
	if (m > size - n - 1)
		m = size - n - 1;
	memcpy(buf + n, s, m);
	buf[n + m] = '\0';
}

/* "a, b, c" from a NULL-terminated list. */
static const char *
join(char *buf, size_t size, const char *const *list)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; list[i] != NULL; i++) {
		if (i > 0)
			cat(buf, size, ", ");
		cat(buf, size, list[i]);
	}
	return buf;
}

/* "FILE:LINE: MSG", without an element label. */
static int __attribute__((format(printf, 3, 4)))
fail_line(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[UCTLS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return uctls_err_at(ld->err, ld->sc->file, line, "%s", msg);
}

/* "FILE:LINE: <cert id="x">: MSG" for element N. */
static int __attribute__((format(printf, 3, 4)))
fail(struct loader *ld, const struct uctls_xml_node *n, const char *fmt, ...)
{
	char msg[UCTLS_ERR_MAX];
	const char *id = uctls_xml_attr(n, "id");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (id != NULL)
		return uctls_err_at(ld->err, ld->sc->file, n->line,
		                    "<%s id=\"%.64s\">: %s", n->name, id, msg);
	return uctls_err_at(ld->err, ld->sc->file, n->line, "<%s>: %s",
	                    n->name, msg);
}

static int
nomem(struct loader *ld)
{
	return uctls_err_set(ld->err, "%s: out of memory", ld->sc->file);
}

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* Unknown attributes are errors (a typo must not silently become a
 * default).  EXTRA: more allowed names (a family's alias attributes). */
static int
check_attrs(struct loader *ld, const struct uctls_xml_node *n,
            const char *const *allowed, const char *const *extra)
{
	char list[UCTLS_ERR_MAX];
	size_t i;

	for (i = 0; i < n->nattrs; i++) {
		if (in_list(allowed, n->attrs[i].name) ||
		    in_list(extra, n->attrs[i].name))
			continue;
		if (allowed[0] == NULL)
			return fail_line(ld, n->line,
			                 "unknown attribute `%s' on <%s>; <%s> "
			                 "takes no attributes",
			                 n->attrs[i].name, n->name, n->name);
		join(list, sizeof(list), allowed);
		if (extra != NULL && extra[0] != NULL) {
			cat(list, sizeof(list), ", ");
			join(list + strlen(list), sizeof(list) - strlen(list),
			     extra);
		}
		return fail_line(ld, n->line,
		                 "unknown attribute `%s' on <%s>; expected one "
		                 "of: %s", n->attrs[i].name, n->name, list);
	}
	return 0;
}

/* A required attribute: present (it may still be empty). */
static const char *
required(struct loader *ld, const struct uctls_xml_node *n, const char *name)
{
	const char *v = uctls_xml_attr(n, name);

	if (v == NULL)
		fail(ld, n, "missing required attribute `%s'", name);
	return v;
}

/* Only <summary> holds text; elsewhere text is a mistake (e.g. a value
 * written as content instead of as an attribute). */
static int
check_no_text(struct loader *ld, const struct uctls_xml_node *n)
{
	if (n->text_line == 0)
		return 0;
	return fail_line(ld, n->text_line,
	                 "unexpected text in <%s>; only <summary> holds text, "
	                 "values go in attributes", n->name);
}

static int
check_no_children(struct loader *ld, const struct uctls_xml_node *n)
{
	if (n->nchildren == 0)
		return 0;
	return fail_line(ld, n->children[0]->line,
	                 "unknown element <%s> in <%s>; <%s> has no child "
	                 "elements", n->children[0]->name, n->name, n->name);
}

/* Ids: [A-Za-z0-9._-]+ so that they can be listed in sends= and trusts=
 * (whitespace-separated) and in --remote ID=host:port. */
static int
check_id(struct loader *ld, const struct uctls_xml_node *n, const char *id)
{
	const char *p;

	if (*id == '\0')
		return fail(ld, n, "empty id; expected letters, digits, "
		                   "`.', `_' or `-'");
	for (p = id; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return fail(ld, n, "invalid character `%c' in id; "
			                   "expected letters, digits, `.', `_' "
			                   "or `-'", *p);
	return 0;
}

/* ------------------------------------------------------------------------
 * Value syntax
 * ------------------------------------------------------------------------ */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
push_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv;
	char *copy;

	copy = xstrndup(s, len);
	if (copy == NULL)
		return -1;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL) {
		free(copy);
		return -1;
	}
	nv[(*n)++] = copy;
	*v = nv;
	return 0;
}

/* Splits S into items: on commas (COMMA, items trimmed of blanks; an empty
 * item is an error) or on blanks.  Returns 0, -1 out of memory, -2 for an
 * empty item of a comma list. */
static int
split(const char *s, int comma, char ***out, size_t *nout)
{
	const char *b, *e, *p = s;
	char **v = NULL;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (comma) {
		for (;;) {
			e = strchr(p, ',');
			if (e == NULL)
				e = p + strlen(p);
			b = p;
			p = *e == ',' ? e + 1 : e;
			while (b < e && is_blank(*b))
				b++;
			while (e > b && is_blank(e[-1]))
				e--;
			if (e == b) {
				uctls_strv_free(v, n);
				return -2;
			}
			if (push_str(&v, &n, b, (size_t)(e - b)) < 0)
				goto nomem;
			if (*p == '\0' && p[-1] != ',')
				break;
		}
	} else {
		for (;;) {
			while (is_blank(*p))
				p++;
			if (*p == '\0')
				break;
			b = p;
			while (*p != '\0' && !is_blank(*p))
				p++;
			if (push_str(&v, &n, b, (size_t)(p - b)) < 0)
				goto nomem;
		}
	}
	*out = v;
	*nout = n;
	return 0;
nomem:
	uctls_strv_free(v, n);
	return -1;
}

/* Comma list of attribute ATTR of N, with the errors reported. */
static int
split_attr(struct loader *ld, const struct uctls_xml_node *n,
           const char *attr, const char *value, char ***out, size_t *nout)
{
	int r = split(value, 1, out, nout);

	if (r == -1)
		return nomem(ld);
	if (r == -2)
		return fail(ld, n, "%s=\"%s\": empty item; expected a "
		                   "comma-separated list", attr, value);
	return 0;
}

/* Decimal digits only, 1 <= value <= MAX. */
static int
parse_count(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int
digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Validity dates must be encodable in a certificate: UTCTime from 1950,
 * GeneralizedTime up to 9999 (RFC 5280 4.1.2.5). */
#define TIME_MIN ((long long)-631152000)  /* 1950-01-01T00:00:00Z */
#define TIME_MAX ((long long)253402300799) /* 9999-12-31T23:59:59Z */

/* Exactly YYYY-MM-DDTHH:MM:SSZ (UTC) and a real date.  Returns 0, -1
 * syntax, -2 before 1950. */
static int
parse_abs_time(const char *s, time_t *out)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30,
		                          31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, se;
	long long t;

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
	    digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &se) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (t < TIME_MIN)
		return -2;
	*out = (time_t)t;
	return 0;
}

/* Absolute, or [+|-]N(s|m|h|d) relative to NOW.  Returns 0, -1 syntax,
 * -2 out of the encodable range. */
static int
parse_time(const char *s, time_t now, time_t *out)
{
	long long sign = 1, n = 0, unit, t;
	const char *p = s;
	int r;

	r = parse_abs_time(s, out);
	if (r != -1)
		return r;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > 100000000000LL) /* more than any encodable span */
			return -2;
	}
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (p[1] != '\0')
		return -1;
	t = (long long)now + sign * n * unit;
	if (t < TIME_MIN || t > TIME_MAX)
		return -2;
	*out = (time_t)t;
	return 0;
}

int
uctls_scenario_parse_time(const char *s, time_t now, time_t *out)
{
	return parse_time(s, now, out);
}

/* Dotted decimal: at least two arcs, the first 0, 1 or 2, the second below
 * 40 under 0 and 1 (X.660), no leading zeros (DER encodes the value). */
static int
valid_oid(const char *s)
{
	const char *p = s;
	unsigned first = 0, second = 0, arcs = 0, len;

	for (;;) {
		if (*p < '0' || *p > '9')
			return 0;
		if (*p == '0' && p[1] >= '0' && p[1] <= '9')
			return 0;
		len = 0;
		while (p[len] >= '0' && p[len] <= '9')
			len++;
		if (arcs == 0)
			first = len == 1 ? (unsigned)(*p - '0') : 99;
		if (arcs == 1)
			second = len <= 2 ? (unsigned)atoi(p) : 99;
		arcs++;
		p += len;
		if (*p == '\0')
			break;
		if (*p != '.')
			return 0;
		p++;
	}
	if (arcs < 2 || first > 2 || (first < 2 && second > 39))
		return 0;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex bytes; blanks and colons between digits are ignored.  Returns 0, -1
 * syntax, -2 out of memory. */
static int
parse_hex(const char *s, unsigned char **out, size_t *nout)
{
	unsigned char *der;
	size_t n = 0, nd = 0;
	const char *p;
	int hi = -1, v;

	for (p = s; *p != '\0'; p++) {
		if (is_blank(*p) || *p == ':')
			continue;
		if (hexval(*p) < 0)
			return -1;
		nd++;
	}
	if (nd == 0 || nd % 2 != 0)
		return -1;
	der = malloc(nd / 2);
	if (der == NULL)
		return -2;
	for (p = s; *p != '\0'; p++) {
		if (is_blank(*p) || *p == ':')
			continue;
		v = hexval(*p);
		if (hi < 0) {
			hi = v;
		} else {
			der[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	*out = der;
	*nout = n;
	return 0;
}

/* ------------------------------------------------------------------------
 * <ca> and <cert>
 * ------------------------------------------------------------------------ */

static int
load_key(struct loader *ld, const struct uctls_xml_node *n,
         struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "key");
	char list[256];
	int k;

	cd->key = UCTLS_KEY_ECDSA_P256; /* fast to generate */
	if (v == NULL)
		return 0;
	for (k = UCTLS_KEY_DEFAULT + 1; k < UCTLS_KEY__COUNT; k++)
		if (strcmp(v, key_names[k]) == 0) {
			cd->key = (enum uctls_key_type)k;
			return 0;
		}
	list[0] = '\0';
	for (k = UCTLS_KEY_DEFAULT + 1; k < UCTLS_KEY__COUNT; k++) {
		if (k > UCTLS_KEY_DEFAULT + 1)
			cat(list, sizeof(list), ", ");
		cat(list, sizeof(list), key_names[k]);
	}
	return fail(ld, n, "unknown key type `%s'; expected one of: %s", v,
	            list);
}

static int
load_hash(struct loader *ld, const struct uctls_xml_node *n,
          struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "hash");
	unsigned h;

	cd->hash = UCTLS_HASH_SHA256;
	if (v == NULL)
		return 0;
	for (h = UCTLS_HASH_DEFAULT + 1; h < NHASH; h++)
		if (strcmp(v, hash_names[h]) == 0) {
			cd->hash = (enum uctls_hash)h;
			return 0;
		}
	return fail(ld, n, "unknown hash `%s'; expected one of: sha1, sha256, "
	                   "sha384, sha512", v);
}

static int
load_san(struct loader *ld, const struct uctls_xml_node *n,
         struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "san");
	unsigned char addr[16];
	char **items = NULL;
	size_t nitems = 0, i, t, tlen;
	const char *colon, *val;
	int rv = -1;

	if (v == NULL)
		return 0; /* no subjectAltName extension */
	if (split_attr(ld, n, "san", v, &items, &nitems) < 0)
		goto out;
	if (nitems > UCTLS_MAX_SANS) {
		fail(ld, n, "%zu san items, more than the %d uctls generates in one certificate "
		            "(uctls(1), LIMITS)", nitems, UCTLS_MAX_SANS);
		goto out;
	}
	cd->sans = calloc(nitems, sizeof(*cd->sans));
	if (cd->sans == NULL) {
		nomem(ld);
		goto out;
	}
	for (i = 0; i < nitems; i++) {
		colon = strchr(items[i], ':');
		if (colon == NULL) {
			fail(ld, n, "san item `%s' has no type; expected "
			            "TYPE:value with TYPE one of DNS, IP, URI, "
			            "email, XMPP, SRV", items[i]);
			goto out;
		}
		tlen = (size_t)(colon - items[i]);
		val = colon + 1;
		for (t = 0; t < NSAN_TYPES; t++)
			if (strlen(san_types[t].name) == tlen &&
			    strncasecmp(items[i], san_types[t].name, tlen) == 0)
				break;
		if (t == NSAN_TYPES) {
			fail(ld, n, "unknown san type `%.*s' in `%s'; expected "
			            "one of DNS, IP, URI, email, XMPP, SRV",
			     (int)tlen, items[i], items[i]);
			goto out;
		}
		while (is_blank(*val))
			val++;
		if (*val == '\0') {
			fail(ld, n, "san item `%s' has an empty value",
			     items[i]);
			goto out;
		}
		if (san_types[t].type == UCTLS_SAN_IP &&
		    inet_pton(AF_INET, val, addr) != 1 &&
		    inet_pton(AF_INET6, val, addr) != 1) {
			fail(ld, n, "san item `%s': `%s' is not an IPv4 or "
			            "IPv6 address", items[i], val);
			goto out;
		}
		cd->sans[i].type = san_types[t].type;
		cd->sans[i].value = strdup(val);
		if (cd->sans[i].value == NULL) {
			nomem(ld);
			goto out;
		}
		cd->nsans = i + 1;
	}
	rv = 0;
out:
	uctls_strv_free(items, nitems);
	return rv;
}

static int
load_key_usage(struct loader *ld, const struct uctls_xml_node *n,
               struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "key-usage");
	char **items = NULL;
	size_t nitems = 0, i;
	char list[512];
	unsigned b;
	int rv = -1;

	if (v == NULL) {
		/* RFC 5280 4.2.1.3: a CA signs certificates and CRLs; a TLS
		 * leaf signs handshakes (ECDHE, TLS 1.3) and, with RSA, may
		 * encrypt the TLS 1.2 premaster secret. */
		cd->has_key_usage = 1;
		if (cd->is_ca)
			cd->key_usage = UCTLS_KU_KEY_CERT_SIGN |
			                UCTLS_KU_CRL_SIGN;
		else
			cd->key_usage = UCTLS_KU_DIGITAL_SIGNATURE |
			                (key_is_rsa(cd->key) ?
			                 UCTLS_KU_KEY_ENCIPHERMENT : 0);
		return 0;
	}
	if (strcmp(v, "none") == 0)
		return 0;
	if (split_attr(ld, n, "key-usage", v, &items, &nitems) < 0)
		goto out;
	cd->has_key_usage = 1;
	for (i = 0; i < nitems; i++) {
		for (b = 0; ku_names[b] != NULL; b++)
			if (strcmp(items[i], ku_names[b]) == 0)
				break;
		if (ku_names[b] == NULL) {
			fail(ld, n, "unknown key-usage `%s'; expected a list "
			            "of %s; or none", items[i],
			     join(list, sizeof(list), ku_names));
			goto out;
		}
		cd->key_usage |= 1u << b;
	}
	rv = 0;
out:
	uctls_strv_free(items, nitems);
	return rv;
}

static int
load_eku(struct loader *ld, const struct uctls_xml_node *n,
         struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "eku");
	static const char *const dflt = "serverAuth,clientAuth";
	char **items = NULL;
	size_t nitems = 0, i, e;
	const char *oid;
	int rv = -1;

	if (v == NULL && cd->is_ca)
		return 0; /* CAs: no EKU extension by default */
	if (v == NULL)
		v = dflt; /* both: a UC device is TLS client and server */
	if (strcmp(v, "none") == 0)
		return 0;
	if (split_attr(ld, n, "eku", v, &items, &nitems) < 0)
		goto out;
	cd->eku = calloc(nitems, sizeof(*cd->eku));
	if (cd->eku == NULL) {
		nomem(ld);
		goto out;
	}
	cd->has_eku = 1;
	for (i = 0; i < nitems; i++) {
		oid = NULL;
		for (e = 0; e < NEKU; e++)
			if (strcmp(items[i], eku_names[e].name) == 0)
				oid = eku_names[e].oid;
		if (oid == NULL && items[i][0] >= '0' && items[i][0] <= '9') {
			if (!valid_oid(items[i])) {
				fail(ld, n, "eku `%s' is not a valid dotted "
				            "OID", items[i]);
				goto out;
			}
			oid = items[i];
		}
		if (oid == NULL) {
			fail(ld, n, "unknown eku `%s'; expected a list of "
			            "serverAuth, clientAuth, codeSigning, "
			            "emailProtection, timeStamping, "
			            "OCSPSigning, anyExtendedKeyUsage or dotted "
			            "OIDs; or none", items[i]);
			goto out;
		}
		cd->eku[i] = strdup(oid);
		if (cd->eku[i] == NULL) {
			nomem(ld);
			goto out;
		}
		cd->neku = i + 1;
	}
	rv = 0;
out:
	uctls_strv_free(items, nitems);
	return rv;
}

static int
load_basic_constraints(struct loader *ld, const struct uctls_xml_node *n,
                       struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "basic-constraints");
	const char *pl = uctls_xml_attr(n, "path-len");
	unsigned long len;

	cd->path_len = -1;
	if (v == NULL || strcmp(v, "ca") == 0) {
		cd->has_basic_constraints = 1;
		cd->bc_ca = v != NULL || cd->is_ca;
	} else if (strcmp(v, "leaf") == 0) {
		cd->has_basic_constraints = 1;
	} else if (strcmp(v, "none") != 0) {
		return fail(ld, n, "unknown basic-constraints `%s'; expected "
		                   "ca, leaf or none", v);
	}
	if (pl == NULL)
		return 0;
	/* RFC 5280 4.2.1.9: pathLenConstraint only when cA is set. */
	if (!cd->bc_ca)
		return fail(ld, n, "path-len needs basic-constraints=\"ca\" "
		                   "(RFC 5280 4.2.1.9: pathLenConstraint only "
		                   "with cA)");
	if (parse_count(pl, 1000000, &len) < 0)
		return fail(ld, n, "path-len `%s' is not an integer >= 0", pl);
	cd->path_len = (int)len;
	return 0;
}

static int
load_critical(struct loader *ld, const struct uctls_xml_node *n,
              struct uctls_certdef *cd)
{
	const char *v = uctls_xml_attr(n, "critical");
	char **items = NULL;
	size_t nitems = 0, i;
	char list[128];
	unsigned b;
	int present[4], rv = -1;

	if (v == NULL) {
		/* RFC 5280 4.2.1.9 (basicConstraints in CAs MUST be
		 * critical), 4.2.1.3 (keyUsage SHOULD be); only the
		 * extensions the certificate has. */
		cd->critical =
			(cd->has_basic_constraints ? UCTLS_CRIT_BASIC_CONSTRAINTS
			                           : 0) |
			(cd->has_key_usage ? UCTLS_CRIT_KEY_USAGE : 0);
		return 0;
	}
	if (strcmp(v, "none") == 0)
		return 0;
	if (split_attr(ld, n, "critical", v, &items, &nitems) < 0)
		goto out;
	present[0] = cd->has_basic_constraints;
	present[1] = cd->has_key_usage;
	present[2] = cd->has_eku;
	present[3] = cd->nsans > 0;
	for (i = 0; i < nitems; i++) {
		for (b = 0; crit_names[b] != NULL; b++)
			if (strcmp(items[i], crit_names[b]) == 0)
				break;
		if (crit_names[b] == NULL) {
			fail(ld, n, "unknown critical `%s'; expected a list of "
			            "%s; or none", items[i],
			     join(list, sizeof(list), crit_names));
			goto out;
		}
		if (!present[b]) {
			fail(ld, n, "critical lists `%s' but the certificate "
			            "has no such extension", items[i]);
			goto out;
		}
		cd->critical |= 1u << b;
	}
	rv = 0;
out:
	uctls_strv_free(items, nitems);
	return rv;
}

static int
load_validity(struct loader *ld, const struct uctls_xml_node *n,
              struct uctls_certdef *cd)
{
	static const char *const attrs[] = { "not-before", "not-after" };
	time_t *dst[2] = { &cd->not_before, &cd->not_after };
	const char *dflt[2] = { "-1d", cd->is_ca ? "+3650d" : "+365d" };
	const char *v;
	unsigned i;
	int r;

	for (i = 0; i < 2; i++) {
		v = uctls_xml_attr(n, attrs[i]);
		r = parse_time(v != NULL ? v : dflt[i], ld->sc->now, dst[i]);
		if (r == -1)
			return fail(ld, n, "%s `%s' is not a date; expected "
			                   "YYYY-MM-DDTHH:MM:SSZ or [+|-]N "
			                   "followed by s, m, h or d (e.g. -30d)",
			            attrs[i], v);
		if (r == -2)
			return fail(ld, n, "%s `%s' is outside the years "
			                   "1950 to 9999 a certificate can "
			                   "carry (RFC 5280 4.1.2.5)",
			            attrs[i], v != NULL ? v : dflt[i]);
	}
	return 0;
}

static int
load_extension(struct loader *ld, const struct uctls_xml_node *n,
               struct uctls_extdef *ext)
{
	const char *oid, *crit, *value;
	int r;

	if (check_attrs(ld, n, ext_attrs, NULL) < 0 ||
	    check_no_text(ld, n) < 0 || check_no_children(ld, n) < 0)
		return -1;
	oid = required(ld, n, "oid");
	if (oid == NULL)
		return -1;
	if (!valid_oid(oid))
		return fail(ld, n, "oid `%s' is not a valid dotted OID (e.g. "
		                   "1.3.6.1.4.1.99999.1)", oid);
	crit = uctls_xml_attr(n, "critical");
	if (crit != NULL && strcmp(crit, "yes") != 0 &&
	    strcmp(crit, "no") != 0)
		return fail(ld, n, "critical `%s'; expected yes or no", crit);
	ext->critical = crit != NULL && strcmp(crit, "yes") == 0;
	value = uctls_xml_attr(n, "value");
	r = parse_hex(value != NULL ? value : "0500", &ext->der,
	              &ext->der_len);
	if (r == -2)
		return nomem(ld);
	if (r < 0)
		return fail(ld, n, "value `%s' is not hex bytes; expected the "
		                   "DER of the extension value, e.g. 0500",
		            value);
	ext->oid = strdup(oid);
	if (ext->oid == NULL)
		return nomem(ld);
	return 0;
}

/* "DIR/PATH" unless PATH is absolute. */
static char *
resolve_path(const char *dir, const char *path)
{
	char *p;
	size_t n;

	if (path[0] == '/')
		return strdup(path);
	n = strlen(dir) + strlen(path) + 2;
	p = malloc(n);
	if (p != NULL)
		snprintf(p, n, "%s%s%s", dir,
		         dir[strlen(dir) - 1] == '/' ? "" : "/", path);
	return p;
}

/* A certificate read from PEM by the PKI module: id, file, index,
 * key-file, and nothing that would generate one. */
static int
load_cert_pem(struct loader *ld, const struct uctls_xml_node *n,
              struct uctls_certdef *cd, const char *file)
{
	const char *index = uctls_xml_attr(n, "index");
	const char *key_file = uctls_xml_attr(n, "key-file");
	unsigned long v;
	size_t i;

	for (i = 0; i < n->nattrs; i++)
		if (!in_list(cert_attrs, n->attrs[i].name) ||
		    in_list(cert_attrs + CERT_PEM_ATTRS, n->attrs[i].name))
			return fail(ld, n, "`%s' cannot be used with file=; a "
			                   "certificate loaded from PEM takes "
			                   "only id, file, index and key-file",
			            n->attrs[i].name);
	if (n->nchildren > 0)
		return fail_line(ld, n->children[0]->line,
		                 "<%s> in <%s file=...>: a certificate loaded "
		                 "from PEM cannot have generated extensions",
		                 n->children[0]->name, n->name);
	if (*file == '\0')
		return fail(ld, n, "empty file attribute; expected the path "
		                   "of a PEM file, relative to the scenario's "
		                   "directory");
	cd->file_index = 1;
	if (index != NULL) {
		if (parse_count(index, 1000000, &v) < 0 || v == 0)
			return fail(ld, n, "index `%s' is not an integer >= 1",
			            index);
		cd->file_index = (int)v;
	}
	if (key_file != NULL && *key_file == '\0')
		return fail(ld, n, "empty key-file attribute; expected the "
		                   "path of a PEM private key, or no key-file");
	cd->file = resolve_path(ld->sc->dir, file);
	if (cd->file == NULL)
		return nomem(ld);
	if (key_file != NULL) {
		cd->key_file = resolve_path(ld->sc->dir, key_file);
		if (cd->key_file == NULL)
			return nomem(ld);
	}
	/* Generation fields are ignored with file; keep them neutral. */
	cd->key = UCTLS_KEY_ECDSA_P256;
	cd->hash = UCTLS_HASH_SHA256;
	cd->path_len = -1;
	return 0;
}

static int
load_cert(struct loader *ld, const struct uctls_xml_node *n,
          struct uctls_certdef *cd, size_t position)
{
	const char *id, *file, *v;
	unsigned long serial;
	size_t i;

	cd->line = n->line;
	cd->is_ca = strcmp(n->name, "ca") == 0;
	cd->path_len = -1;
	if (check_attrs(ld, n, cert_attrs, NULL) < 0 ||
	    check_no_text(ld, n) < 0)
		return -1;
	id = required(ld, n, "id");
	if (id == NULL || check_id(ld, n, id) < 0)
		return -1;
	for (i = 0; i < ld->sc->ncerts; i++)
		if (strcmp(ld->sc->certs[i].id, id) == 0)
			return fail(ld, n, "duplicate id `%s'; already "
			                   "declared at line %d", id,
			            ld->sc->certs[i].line);
	cd->id = strdup(id);
	if (cd->id == NULL)
		return nomem(ld);
	cd->serial = position;

	file = uctls_xml_attr(n, "file");
	if (file != NULL)
		return load_cert_pem(ld, n, cd, file);
	if (uctls_xml_attr(n, "index") != NULL)
		return fail(ld, n, "index needs file=; it selects a "
		                   "certificate inside a PEM file");
	if (uctls_xml_attr(n, "key-file") != NULL)
		return fail(ld, n, "key-file needs file=; a generated "
		                   "certificate gets a generated key");

	v = required(ld, n, "subject");
	if (v == NULL)
		return -1;
	if ((cd->subject = strdup(v)) == NULL)
		return nomem(ld);
	/* issuer and signed-with are checked once every id is known. */
	v = uctls_xml_attr(n, "issuer");
	if (v != NULL && (cd->issuer = strdup(v)) == NULL)
		return nomem(ld);
	v = uctls_xml_attr(n, "signed-with");
	if (v != NULL && (cd->signed_with = strdup(v)) == NULL)
		return nomem(ld);
	v = uctls_xml_attr(n, "key-of");
	if (v != NULL && (cd->key_of = strdup(v)) == NULL)
		return nomem(ld);
	if (load_key(ld, n, cd) < 0 || load_hash(ld, n, cd) < 0 ||
	    load_san(ld, n, cd) < 0 || load_key_usage(ld, n, cd) < 0 ||
	    load_eku(ld, n, cd) < 0 || load_basic_constraints(ld, n, cd) < 0 ||
	    load_critical(ld, n, cd) < 0 || load_validity(ld, n, cd) < 0)
		return -1;
	v = uctls_xml_attr(n, "serial");
	if (v != NULL) {
		if (parse_count(v, (unsigned long)-1, &serial) < 0 ||
		    serial == 0)
			return fail(ld, n, "serial `%s' is not a positive "
			                   "integer", v);
		cd->serial = serial;
	}
	/* revoke.h: the CDP and OCSP URLs (checked by uctls_revoke_load_pki) */
	if ((v = uctls_xml_attr(n, "crl")) != NULL && (cd->crl_url = strdup(v)) == NULL)
		return nomem(ld);
	if ((v = uctls_xml_attr(n, "ocsp")) != NULL && (cd->ocsp_url = strdup(v)) == NULL)
		return nomem(ld);

	if (n->nchildren > 0) {
		cd->exts = calloc(n->nchildren, sizeof(*cd->exts));
		if (cd->exts == NULL)
			return nomem(ld);
	}
	for (i = 0; i < n->nchildren; i++) {
		if (strcmp(n->children[i]->name, "extension") != 0)
			return fail_line(ld, n->children[i]->line,
			                 "unknown element <%s> in <%s>; "
			                 "expected <extension>",
			                 n->children[i]->name, n->name);
		cd->nexts = i + 1;
		if (load_extension(ld, n->children[i], &cd->exts[i]) < 0)
			return -1;
	}
	return 0;
}

/* "a, b, c": the ids of <pki>, but EXCEPT (may be NULL). */
static const char *
declared_ids(const struct uctls_scenario *sc, const char *except, char *buf,
             size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sc->ncerts; i++) {
		if (except != NULL && strcmp(sc->certs[i].id, except) == 0)
			continue;
		if (buf[0] != '\0')
			cat(buf, size, ", ");
		cat(buf, size, sc->certs[i].id);
	}
	return buf;
}

static long
cert_index(const struct uctls_scenario *sc, const char *id)
{
	size_t i;

	for (i = 0; i < sc->ncerts; i++)
		if (strcmp(sc->certs[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Issuer and signed-with references, then issuer cycles (a chain must end
 * in a self-signed certificate for the PKI to sign in issuer order). */
static int
check_issuers(struct loader *ld, const struct uctls_xml_node *pki,
              const struct uctls_xml_node *const *nodes)
{
	struct uctls_scenario *sc = ld->sc;
	char ids[UCTLS_ERR_MAX], cycle[UCTLS_ERR_MAX];
	long *up = NULL, j;
	size_t *path = NULL, npath, i, k;
	unsigned char *state = NULL; /* 0 new, 1 on the walk, 2 done */
	int rv = -1;

	up = calloc(sc->ncerts, sizeof(*up));
	path = calloc(sc->ncerts, sizeof(*path));
	state = calloc(sc->ncerts, 1);
	if (up == NULL || path == NULL || state == NULL) {
		nomem(ld);
		goto out;
	}
	for (i = 0; i < sc->ncerts; i++) {
		const struct uctls_certdef *cd = &sc->certs[i];

		up[i] = -1;
		if (cd->key_of != NULL &&
		    (cert_index(sc, cd->key_of) < 0 ||
		     sc->certs[cert_index(sc, cd->key_of)].file != NULL ||
		     sc->certs[cert_index(sc, cd->key_of)].key_of != NULL)) {
			fail(ld, nodes[i], "key-of `%s' must name a generated certificate "
			                   "that has its own key; declared ids: %s", cd->key_of,
			     declared_ids(sc, NULL, ids, sizeof(ids)));
			goto out;
		}
		if (cd->signed_with != NULL &&
		    cert_index(sc, cd->signed_with) < 0) {
			fail(ld, nodes[i], "unknown signed-with `%s'; declared "
			                   "ids: %s", cd->signed_with,
			     declared_ids(sc, NULL, ids, sizeof(ids)));
			goto out;
		}
		if (cd->issuer == NULL)
			continue;
		if (strcmp(cd->issuer, cd->id) == 0) {
			fail(ld, nodes[i], "issuer is its own id; omit issuer "
			                   "for a self-signed certificate");
			goto out;
		}
		up[i] = cert_index(sc, cd->issuer);
		if (up[i] < 0) {
			fail(ld, nodes[i], "unknown issuer `%s'; declared ids: "
			                   "%s", cd->issuer,
			     declared_ids(sc, cd->id, ids, sizeof(ids)));
			goto out;
		}
	}
	for (i = 0; i < sc->ncerts; i++) {
		npath = 0;
		for (j = (long)i; j >= 0 && state[j] == 0; j = up[j]) {
			state[j] = 1;
			path[npath++] = (size_t)j;
		}
		if (j >= 0 && state[j] == 1) {
			/* The cycle is the walk from j on. */
			for (k = 0; path[k] != (size_t)j; k++)
				;
			cycle[0] = '\0';
			for (; k < npath; k++) {
				cat(cycle, sizeof(cycle), sc->certs[path[k]].id);
				cat(cycle, sizeof(cycle), " -> ");
			}
			cat(cycle, sizeof(cycle), sc->certs[j].id);
			fail(ld, pki, "issuer cycle: %s; a chain must end in "
			              "a certificate without issuer "
			              "(self-signed)", cycle);
			goto out;
		}
		for (k = 0; k < npath; k++)
			state[path[k]] = 2;
	}
	rv = 0;
out:
	free(up);
	free(path);
	free(state);
	return rv;
}

static int
load_pki(struct loader *ld, const struct uctls_xml_node *pki)
{
	struct uctls_scenario *sc = ld->sc;
	size_t i;

	if (check_attrs(ld, pki, no_attrs, NULL) < 0 ||
	    check_no_text(ld, pki) < 0)
		return -1;
	if (pki->nchildren == 0)
		return fail(ld, pki, "no <ca> or <cert>; expected at least "
		                     "one");
	if (pki->nchildren > UCTLS_MAX_CERTS)
		return fail_line(ld, pki->children[UCTLS_MAX_CERTS]->line,
		                 "more than %d certificates in <pki>, the most uctls generates "
		                 "for one scenario (uctls(1), LIMITS)", UCTLS_MAX_CERTS);
	sc->certs = calloc(pki->nchildren, sizeof(*sc->certs));
	if (sc->certs == NULL)
		return nomem(ld);
	for (i = 0; i < pki->nchildren; i++) {
		const struct uctls_xml_node *c = pki->children[i];

		/* <crl>/<ocsp> (revoke.h) follow every <ca> and <cert>. */
		if (i > 0 && uctls_revoke_is_pki_child(c->name))
			break;

		if (strcmp(c->name, "ca") != 0 && strcmp(c->name, "cert") != 0)
			return fail_line(ld, c->line,
			                 "unknown element <%s> in <pki>; "
			                 "expected <ca> or <cert>", c->name);
		if (load_cert(ld, c, &sc->certs[i], i + 1) < 0) {
			/* Owned fields were set; count it so it is freed. */
			sc->ncerts = i + 1;
			return -1;
		}
		sc->ncerts = i + 1;
	}
	if (check_issuers(ld, pki, (const struct uctls_xml_node *const *)pki->children) < 0)
		return -1;
	return uctls_revoke_load_pki(sc, (const struct uctls_xml_node *const *)pki->children + i,
	                             pki->nchildren - i, ld->err);
}

/* ------------------------------------------------------------------------
 * <install>
 * ------------------------------------------------------------------------ */

static int load_idrefs(struct loader *ld, const struct uctls_xml_node *n, const char *attr,
                       char ***out, size_t *nout);

/* <install>'s certificates: cert= (ids), file=, or the slot's chain
 * (slot=, by default the service's) for peer PD.  0, or -1 with ERR set. */
static int
install_certs(struct loader *ld, const struct uctls_xml_node *n,
              const struct uctls_peerdef *pd, struct uctls_installdef *in)
{
	struct uctls_scenario *sc = ld->sc;
	const char *v;
	size_t i;

	if (uctls_xml_attr(n, "cert") != NULL && uctls_xml_attr(n, "file") != NULL)
		return fail(ld, n, "cert and file exclude each other: upload scenario "
		                   "certificates, or a file as it is");
	if ((v = uctls_xml_attr(n, "slot")) != NULL) {
		if (uctls_store_check_install(sc, pd, v, n->line, ld->err) < 0)
			return -1;
		if ((in->slot = strdup(v)) == NULL)
			return nomem(ld);
	}
	if (uctls_xml_attr(n, "key") != NULL && uctls_xml_attr(n, "key-file") != NULL)
		return fail(ld, n, "key and key-file exclude each other");
	if (uctls_xml_attr(n, "cert") != NULL) {
		if (load_idrefs(ld, n, "cert", &in->certs, &in->ncerts) < 0)
			return -1;
		if (in->ncerts == 0)
			return fail(ld, n, "empty cert; expected the ids uploaded, in order");
	} else if (uctls_xml_attr(n, "file") == NULL) {
		char *const *chain; /* the slot's (store.h), by default the service's */
		size_t nchain;

		uctls_store_slot_chain(pd, in->slot, &chain, &nchain);
		for (i = 0; i < nchain; i++)
			if (push_str(&in->certs, &in->ncerts, chain[i], strlen(chain[i])) < 0)
				return nomem(ld);
		if (in->ncerts == 0)
			return fail(ld, n, "peer `%s' sends no certificate; give cert= or file=",
			            pd->id);
	}
	return 0;
}

/* <install file= key-file= key=>. */
static int
install_files(struct loader *ld, const struct uctls_xml_node *n, struct uctls_installdef *in)
{
	struct uctls_scenario *sc = ld->sc;
	const char *v;

	if ((v = uctls_xml_attr(n, "file")) != NULL) {
		if (*v == '\0')
			return fail(ld, n, "empty file; expected a path");
		if ((in->file = resolve_path(sc->dir, v)) == NULL)
			return nomem(ld);
	}
	if ((v = uctls_xml_attr(n, "key-file")) != NULL) {
		if (*v == '\0')
			return fail(ld, n, "empty key-file; expected a path");
		if ((in->key_file = resolve_path(sc->dir, v)) == NULL)
			return nomem(ld);
	}
	if ((v = uctls_xml_attr(n, "key")) != NULL) {
		if (strcmp(v, "none") != 0 && cert_index(sc, v) < 0)
			return fail(ld, n, "key `%s' is not a certificate id (or none)", v);
		if ((in->key = strdup(v)) == NULL)
			return nomem(ld);
	}
	return 0;
}

/* <install format= newlines= csr-san= bundle=>. */
static int
install_format(struct loader *ld, const struct uctls_xml_node *n, struct uctls_installdef *in)
{
	const char *v;
	char *end;
	long nl;

	v = uctls_xml_attr(n, "format");
	if (v != NULL && strcmp(v, "pem") != 0 && strcmp(v, "der") != 0 &&
	    strcmp(v, "damaged") != 0)
		return fail(ld, n, "format `%s'; expected pem, der or damaged", v);
	if ((in->format = strdup(v != NULL ? v : "pem")) == NULL)
		return nomem(ld);
	if ((v = uctls_xml_attr(n, "newlines")) != NULL) {
		nl = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || nl < 0 || nl > 9)
			return fail(ld, n, "newlines `%s'; expected 0 to 9", v);
		in->newlines = (int)nl;
	}
	if ((v = uctls_xml_attr(n, "csr-san")) != NULL &&
	    split_attr(ld, n, "csr-san", v, &in->csr_sans, &in->ncsr) < 0)
		return -1;
	if (uctls_xml_attr(n, "bundle") != NULL) {
		if (uctls_xml_attr(n, "file") != NULL || in->ncerts != 1 ||
		    strcmp(in->format, "pem") != 0)
			return fail(ld, n, "bundle needs cert= with the one entity certificate, "
			                   "in PEM");
		if (load_idrefs(ld, n, "bundle", &in->bundle, &in->nbundle) < 0)
			return -1;
		if (in->nbundle == 0)
			return fail(ld, n, "empty bundle; expected the CA ids, issuer first");
	}
	return 0;
}

static int
load_install(struct loader *ld, const struct uctls_xml_node *n)
{
	struct uctls_scenario *sc = ld->sc;
	struct uctls_installdef *in, *nv;
	const struct uctls_peerdef *pd;
	const char *v;

	if (check_attrs(ld, n, install_attrs, NULL) < 0 || check_no_text(ld, n) < 0 ||
	    check_no_children(ld, n) < 0)
		return -1;
	nv = realloc(sc->installs, (sc->ninstalls + 1) * sizeof(*nv));
	if (nv == NULL)
		return nomem(ld);
	sc->installs = nv;
	in = &sc->installs[sc->ninstalls++];
	memset(in, 0, sizeof(*in));
	in->line = n->line;
	in->newlines = 1;
	v = required(ld, n, "peer");
	if (v == NULL)
		return -1;
	pd = uctls_scenario_peer(sc, v);
	if (pd == NULL)
		return fail(ld, n, "peer `%s' is not a peer id", v);
	if ((in->peer = strdup(v)) == NULL)
		return nomem(ld);
	if (install_certs(ld, n, pd, in) < 0 || install_files(ld, n, in) < 0 ||
	    install_format(ld, n, in) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------
 * <peer>
 * ------------------------------------------------------------------------ */

static int
load_profile(struct loader *ld, const struct uctls_xml_node *n,
             struct uctls_peerdef *pd)
{
	const char *v = uctls_xml_attr(n, "profile");
	/* the scenario's own <profile>s, then the process's (profile.h) */
	const struct uctls_profile_set *set = ld->sc->profiles ? ld->sc->profiles : uctls_profiles();
	const struct uctls_profile *p;
	char list[512];
	unsigned i, k;

	if (set == NULL)
		return fail(ld, n, "no device profiles: %s", uctls_profile_load_error());
	if (v == NULL)
		v = ld->fam->default_profile[strcmp(pd->role, "server") == 0];
	p = uctls_profile_set_find(set, v);
	if (p == NULL || (strcmp(p->family, "*") != 0 &&
	                  strcmp(p->family, ld->fam->name) != 0)) {
		list[0] = '\0';
		for (k = 0; k < 2; k++)
			for (i = 0; (p = uctls_profile_set_at(k ? uctls_profiles() : ld->sc->profiles,
			                                      i)) != NULL; i++) {
				if (strcmp(p->family, "*") != 0 &&
				    strcmp(p->family, ld->fam->name) != 0)
					continue;
				if (list[0] != '\0')
					cat(list, sizeof(list), ", ");
				cat(list, sizeof(list), p->name);
			}
		if (uctls_profile_set_find(set, v) != NULL)
			return fail(ld, n, "profile `%s' is for family `%s', "
			                   "not `%s'; usable here: %s", v,
			            uctls_profile_set_find(set, v)->family,
			            ld->fam->name, list);
		return fail(ld, n, "unknown profile `%s'; known: %s", v, list);
	}
	pd->prof = p;
	pd->profile = strdup(v);
	return pd->profile == NULL ? nomem(ld) : 0;
}

/* sends= / trusts=: whitespace-separated ids of <pki>. */
static int
load_idrefs(struct loader *ld, const struct uctls_xml_node *n,
            const char *attr, char ***out, size_t *nout)
{
	const char *v = uctls_xml_attr(n, attr);
	char ids[UCTLS_ERR_MAX];
	size_t i;

	if (v == NULL)
		return 0;
	if (split(v, 0, out, nout) < 0)
		return nomem(ld);
	for (i = 0; i < *nout; i++)
		if (cert_index(ld->sc, (*out)[i]) < 0)
			return fail(ld, n, "%s unknown id `%s'; declared ids: "
			                   "%s", attr, (*out)[i],
			            declared_ids(ld->sc, NULL, ids, sizeof(ids)));
	return 0;
}

/* verify-name= and the family's aliases of it (is_name), on their peer. */
static int
load_names(struct loader *ld, const struct uctls_xml_node *n,
           struct uctls_peerdef *pd)
{
	const struct uctls_family_attr *fa = ld->fam->attrs;
	char **items;
	size_t nitems, i, k;
	const char *attr, *v;

	for (k = 0; k == 0 || fa[k - 1].name != NULL; k++) {
		if (k > 0 && !fa[k - 1].is_name)
			continue;
		attr = k == 0 ? "verify-name" : fa[k - 1].name;
		v = uctls_xml_attr(n, attr);
		if (v == NULL)
			continue;
		if (split_attr(ld, n, attr, v, &items, &nitems) < 0)
			return -1;
		for (i = 0; i < nitems; i++) {
			if (push_str(&pd->names, &pd->nnames, items[i],
			             strlen(items[i])) < 0) {
				uctls_strv_free(items, nitems);
				return nomem(ld);
			}
		}
		uctls_strv_free(items, nitems);
	}
	return 0;
}

/* tls= and max-depth= */
static int
load_tls_opts(struct loader *ld, const struct uctls_xml_node *n,
              struct uctls_peerdef *pd)
{
	const char *tls = uctls_xml_attr(n, "tls");
	const char *depth = uctls_xml_attr(n, "max-depth");
	unsigned long v;

	if (tls != NULL) {
		if (strcmp(tls, "1.2") != 0 && strcmp(tls, "1.3") != 0 &&
		    strcmp(tls, "1.2,1.3") != 0)
			return fail(ld, n, "tls `%s'; expected 1.2, 1.3 or "
			                   "1.2,1.3", tls);
		if ((pd->tls = strdup(tls)) == NULL)
			return nomem(ld);
	}
	if (depth != NULL) {
		if (parse_count(depth, UCTLS_MAX_DEPTH_LIMIT, &v) < 0 || v == 0)
			return fail(ld, n, "max-depth=\"%s\": expected a whole "
			                   "number from 1 to %d (the intermediate CA "
			                   "certificates allowed between the other "
			                   "side's certificate and its trust anchor)",
			            depth, UCTLS_MAX_DEPTH_LIMIT);
		pd->max_depth = (unsigned)v;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Family attributes of <peer> (family.h), into the typed fields of
 * struct uctls_peerdef.  The engine reads those fields only, so what loads
 * here runs, and `validate', `pki export' and `run' agree.
 * ------------------------------------------------------------------------ */

/* VALUE of attribute NAME: the index of it in VALUES, else an error that
 * lists them ("expected A, B or C"). */
static int
pick(struct loader *ld, const struct uctls_xml_node *n, const char *name,
     const char *value, const char *const *values)
{
	char list[256];
	size_t i, nv;

	for (nv = 0; values[nv] != NULL; nv++)
		if (strcmp(values[nv], value) == 0)
			return (int)nv;
	list[0] = '\0';
	for (i = 0; i < nv; i++) {
		if (i > 0)
			cat(list, sizeof(list), i + 1 == nv ? " or " : ", ");
		cat(list, sizeof(list), values[i]);
	}
	return fail(ld, n, "%s `%s'; expected %s", name, value, list);
}

static int
fa_onoff(struct loader *ld, const struct uctls_xml_node *n, const char *name,
         const char *v, enum uctls_onoff *out)
{
	static const char *const yesno[] = { "yes", "no", NULL };
	static const char *const onoff[] = { "on", "off", NULL };
	int i = pick(ld, n, name, v, strcmp(name, "tls-verify") == 0 ? onoff : yesno);

	if (i < 0)
		return -1;
	*out = i == 0 ? UCTLS_ON : UCTLS_OFF;
	return 0;
}

/* sip-response=: a final status code 200-699, none or garbage. */
static int
fa_sip_response(struct loader *ld, const struct uctls_xml_node *n, const char *v,
                struct uctls_peerdef *pd)
{
	unsigned long code;

	if (strcmp(v, "none") == 0) {
		pd->sip_answer = UCTLS_SIP_ANSWER_NONE;
		return 0;
	}
	if (strcmp(v, "garbage") == 0) {
		pd->sip_answer = UCTLS_SIP_ANSWER_GARBAGE;
		return 0;
	}
	if (parse_count(v, 699, &code) < 0 || code < 200)
		return fail(ld, n, "sip-response `%s'; expected a final status code "
		                   "200-699 (digits only, e.g. 503), none, or garbage", v);
	pd->sip_answer = UCTLS_SIP_ANSWER_STATUS;
	pd->sip_status = (int)code;
	return 0;
}

/* script-status=: the final status 400-699 a routing script refuses a
 * client's names with; only for a profile that checks names there. */
static int
fa_script_status(struct loader *ld, const struct uctls_xml_node *n, const char *v,
                 struct uctls_peerdef *pd)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	unsigned long code;

	if (p == NULL || !p->name_check_in_app)
		return fail(ld, n, "script-status=\"%s\" on peer %s, whose profile `%s' checks "
		                   "names in the TLS handshake, not in a routing script (use "
		                   "profile=\"kamailio\")", v, pd->id,
		            pd->profile ? pd->profile : "?");
	if (parse_count(v, 699, &code) < 0 || code < 400)
		return fail(ld, n, "script-status `%s'; expected a final error status 400-699 "
		                   "(digits only, e.g. 403)", v);
	pd->script_status = (int)code;
	return 0;
}

/* domain= and to=: one non-empty name without blanks or commas. */
static int
fa_domain(struct loader *ld, const struct uctls_xml_node *n, const char *name,
          const char *v, char **out)
{
	if (*v == '\0' || strpbrk(v, " \t\r\n,") != NULL)
		return fail(ld, n, "%s=\"%s\": expected one XMPP domain, e.g. "
		                   "example.com", name, v);
	*out = strdup(v);
	return *out == NULL ? nomem(ld) : 0;
}

/* subdomains=: names separated by blanks or commas, at least one. */
static int
fa_subdomains(struct loader *ld, const struct uctls_xml_node *n, const char *v,
              struct uctls_peerdef *pd)
{
	char *copy = strdup(v), *p;
	int r;

	if (copy == NULL)
		return nomem(ld);
	for (p = copy; *p != '\0'; p++)
		if (*p == ',')
			*p = ' ';
	r = split(copy, 0, &pd->subdomains, &pd->nsubdomains);
	free(copy);
	if (r < 0)
		return nomem(ld);
	if (pd->nsubdomains == 0)
		return fail(ld, n, "subdomains=\"%s\": no name; expected the names "
		                   "the peer hosts, e.g. conference.example.com", v);
	return 0;
}

/* https url=: the URL the client dials (http.h); its host is a name the
 * client expects of the server, its authority the Host header. */
static int
fa_url(struct loader *ld, const struct uctls_xml_node *n, const char *v,
       struct uctls_peerdef *pd)
{
	const char *why = NULL;
	char *host = NULL;
	int r;

	if (uctls_http_url(v, &pd->http_host, &host, &pd->http_path, &why) < 0)
		return fail(ld, n, "url=\"%s\": %s, e.g. https://cucm.example.com:8443/ccmadmin/",
		            v, why);
	r = push_str(&pd->names, &pd->nnames, host, strlen(host));
	free(host);
	return r < 0 ? nomem(ld) : 0;
}

/* https http-response=: a status code 100-599, none, garbage or
 * endless-header. */
static int
fa_http_response(struct loader *ld, const struct uctls_xml_node *n, const char *v,
                 struct uctls_peerdef *pd)
{
	static const char *const kinds[] = { "none", "garbage", "endless-header", NULL };
	unsigned long code;
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(v, kinds[i]) == 0) {
			pd->http_answer = (enum uctls_http_answer)(i + 1);
			return 0;
		}
	if (parse_count(v, 599, &code) < 0 || code < 200)
		return fail(ld, n, "http-response `%s'; expected a final status code 200-599 "
		                   "(digits only, e.g. 503), none, garbage or endless-header", v);
	pd->http_answer = UCTLS_HTTP_ANSWER_STATUS;
	pd->http_status = (int)code;
	return 0;
}

static int
fa_value(struct loader *ld, const struct uctls_xml_node *n, const char *name,
         const char *v, struct uctls_peerdef *pd)
{
	static const char *const methods[] = { "OPTIONS", "REGISTER", "INVITE", NULL };
	static const char *const sigs[] = { "any", "rsa", "ecdsa", NULL };
	static const char *const certs[] = { "required", "optional", "none", NULL };
	static const char *const starttls[] = { "required", "offered", "none", NULL };
	int i;

	if (strcmp(name, "tls-verify") == 0)
		return fa_onoff(ld, n, name, v, &pd->tls_verify);
	if (strcmp(name, "ssh-tunnel") == 0)
		return fa_onoff(ld, n, name, v, &pd->ssh_tunnel);
	if (strcmp(name, "dialback") == 0)
		return fa_onoff(ld, n, name, v, &pd->dialback);
	if (strcmp(name, "secure-auth") == 0)
		return fa_onoff(ld, n, name, v, &pd->secure_auth);
	if (strcmp(name, "sip-response") == 0)
		return fa_sip_response(ld, n, v, pd);
	if (strcmp(name, "script-status") == 0)
		return fa_script_status(ld, n, v, pd);
	if (strcmp(name, "url") == 0)
		return fa_url(ld, n, v, pd);
	if (strcmp(name, "http-response") == 0)
		return fa_http_response(ld, n, v, pd);
	if (strcmp(name, "mra-domain") == 0)
		return fa_domain(ld, n, name, v, &pd->mra_domain);
	if (strcmp(name, "mra-trusts") == 0) {
		pd->has_mra_trusts = 1;
		return load_idrefs(ld, n, name, &pd->mra_trusts, &pd->nmra_trusts);
	}
	if (strcmp(name, "domain") == 0)
		return fa_domain(ld, n, name, v, &pd->domain);
	if (strcmp(name, "to") == 0)
		return fa_domain(ld, n, name, v, &pd->to);
	if (strcmp(name, "subdomains") == 0)
		return fa_subdomains(ld, n, v, pd);
	if (strcmp(name, "request") == 0) {
		if ((i = pick(ld, n, name, v, methods)) >= 0)
			pd->request = (enum uctls_sip_method)i;
	} else if (strcmp(name, "signatures") == 0) {
		if ((i = pick(ld, n, name, v, sigs)) >= 0)
			pd->rsa_only = i; /* 1 rsa, 2 ecdsa (store.h) */
	} else if (strcmp(name, "client-cert") == 0) {
		if ((i = pick(ld, n, name, v, certs)) >= 0)
			pd->client_cert = (enum uctls_client_cert)(i + 1);
	} else if (strcmp(name, "starttls") == 0) {
		if ((i = pick(ld, n, name, v, starttls)) >= 0)
			pd->starttls = (enum uctls_starttls)i;
	} else {
		return 0; /* a name attribute: load_names */
	}
	return i < 0 ? -1 : 0;
}

/* The id of the peer with role SERVER (1) or client (0) in the document,
 * else the family's conventional one. */
static const char *
peer_id_of(const struct loader *ld, int server)
{
	const struct uctls_xml_node *c;
	const char *role, *id;
	size_t i;

	for (i = 0; ld->root != NULL && i < ld->root->nchildren; i++) {
		c = ld->root->children[i];
		role = uctls_xml_attr(c, "role");
		id = uctls_xml_attr(c, "id");
		if (strcmp(c->name, "peer") == 0 && role != NULL && id != NULL &&
		    strcmp(role, server ? "server" : "client") == 0)
			return id;
	}
	return ld->fam->peer_id[server];
}

/* FA on the peer PD of the other role. */
static int
wrong_peer(struct loader *ld, const struct uctls_xml_node *n,
           const struct uctls_family_attr *fa, const struct uctls_peerdef *pd)
{
	int server = fa->peer == UCTLS_ATTR_SERVER;
	const char *there = peer_id_of(ld, server);
	char hint[256] = "";

	if (fa->instead != NULL)
		snprintf(hint, sizeof(hint), "; for the name %s expects in %s's "
		         "certificate, use %s=", pd->id, there, fa->instead);
	return fail(ld, n, "%s belongs on peer %s (%s), not on %s%s", fa->name,
	            there, ld->fam->peer_what[server], pd->id, hint);
}

/* Traversal: each end checks the other's name, unless it says it does
 * not (tls-verify="off"). */
static int
check_traversal_names(struct loader *ld, const struct uctls_xml_node *n,
                      const struct uctls_peerdef *pd)
{
	int server = strcmp(pd->role, "server") == 0;
	const char *attr = server ? "tls-verify-name" : "peer-address";
	const char *other = peer_id_of(ld, !server);

	if (strcmp(ld->fam->name, "traversal") != 0)
		return 0;
	if (pd->tls_verify == UCTLS_OFF && pd->nnames > 0)
		return fail(ld, n, "tls-verify=\"off\" with %s: a name check that is "
		                   "off checks no name; drop one of them",
		            uctls_xml_attr(n, attr) != NULL ? attr : "verify-name");
	if (pd->tls_verify == UCTLS_OFF || pd->nnames > 0)
		return 0;
	return fail(ld, n, "no %s: %s (%s) must say which name it expects in %s's "
	                   "certificate (%s=\"NAME\"), or tls-verify=\"off\" to run "
	                   "without a name check", attr, pd->id, ld->fam->peer_what[server],
	            other, attr);
}

/* Every family attribute of N, checked against the peer it belongs on. */
static int
load_family_attrs(struct loader *ld, const struct uctls_xml_node *n,
                  struct uctls_peerdef *pd)
{
	const struct uctls_family_attr *fa;
	int server = strcmp(pd->role, "server") == 0;
	const char *v;
	size_t i;

	pd->sip_status = 200;
	for (i = 0; i < n->nattrs; i++) {
		fa = uctls_family_attr(ld->fam, n->attrs[i].name);
		if (fa == NULL)
			continue;
		if (fa->peer != UCTLS_ATTR_EITHER && (fa->peer == UCTLS_ATTR_SERVER) != server)
			return wrong_peer(ld, n, fa, pd);
	}
	for (i = 0; i < n->nattrs; i++) {
		fa = uctls_family_attr(ld->fam, n->attrs[i].name);
		v = n->attrs[i].value;
		if (fa != NULL && fa_value(ld, n, fa->name, v, pd) < 0)
			return -1;
	}
	if (pd->has_mra_trusts && pd->mra_domain == NULL)
		return fail(ld, n, "mra-trusts without mra-domain: the Jabber client "
		                   "it configures exists only with mra-domain=");
	return 0;
}

/* <peer>'s one child, <misbehave what= at=> (misbehave.h), if any. */
static int
load_misbehave(struct loader *ld, const struct uctls_xml_node *n, struct uctls_peerdef *pd)
{
	static const char *const attrs[] = { "what", "at", NULL };
	const struct uctls_xml_node *m;
	char msg[256];
	const char *what;

	size_t i, k = n->nchildren;

	for (i = 0; i < n->nchildren; i++) /* <slot>, <store>: store.h */
		if (!uctls_store_is_child(n->children[i]->name) && k == n->nchildren)
			k = i;
		else if (!uctls_store_is_child(n->children[i]->name))
			return fail_line(ld, n->children[i]->line, "a second <%s> in <peer>; <peer> "
			                 "holds one <misbehave> at most", n->children[i]->name);
	if (k == n->nchildren)
		return 0;
	m = n->children[k];
	if (strcmp(m->name, "misbehave") != 0)
		return fail_line(ld, m->line, "unknown element <%s> in <peer>; <peer> holds "
		                 "<slot>, <store> and one <misbehave>", m->name);
	if (check_attrs(ld, m, attrs, NULL) < 0 || check_no_text(ld, m) < 0 ||
	    check_no_children(ld, m) < 0 || (what = required(ld, m, "what")) == NULL)
		return -1;
	if (uctls_misbehave_parse(what, uctls_xml_attr(m, "at"), ld->fam->name,
	                          strcmp(pd->role, "server") == 0, pd->tls, &pd->misbehave, msg,
	                          sizeof(msg)) < 0)
		return fail(ld, m, "on peer %s: %s", pd->id, msg);
	pd->misbehave.line = m->line;
	return 0;
}

static int
load_peer(struct loader *ld, const struct uctls_xml_node *n,
          struct uctls_peerdef *pd)
{
	struct uctls_scenario *sc = ld->sc;
	const char *id, *role;
	size_t i;
	int *have;

	const char *extra[64];
	size_t ne = 0, k;

	pd->line = n->line;
	for (k = 0; ld->fam->attrs[k].name != NULL && ne < 63; k++)
		extra[ne++] = ld->fam->attrs[k].name;
	extra[ne] = NULL;
	if (check_attrs(ld, n, peer_attrs, extra) < 0 || check_no_text(ld, n) < 0)
		return -1;
	id = required(ld, n, "id");
	if (id == NULL || check_id(ld, n, id) < 0)
		return -1;
	for (i = 0; &sc->peers[i] != pd; i++) /* the peers before this one */
		if (strcmp(sc->peers[i].id, id) == 0)
			return fail(ld, n, "duplicate peer id `%s'; already "
			                   "declared at line %d", id,
			            sc->peers[i].line);
	if ((pd->id = strdup(id)) == NULL)
		return nomem(ld);
	role = required(ld, n, "role");
	if (role == NULL)
		return -1;
	if (strcmp(role, "client") != 0 && strcmp(role, "server") != 0)
		return fail(ld, n, "unknown role `%s'; expected client or "
		                   "server", role);
	/* Every family is a TLS client facing a TLS server (design.md). */
	have = strcmp(role, "client") == 0 ? &ld->have_client
	                                   : &ld->have_server;
	if (*have)
		return fail(ld, n, "a second peer with role `%s'; family `%s' "
		                   "has one client and one server", role,
		            ld->fam->name);
	*have = 1;
	if ((pd->role = strdup(role)) == NULL)
		return nomem(ld);
	if (load_profile(ld, n, pd) < 0 ||
	    load_idrefs(ld, n, "sends", &pd->sends, &pd->nsends) < 0 ||
	    load_idrefs(ld, n, "trusts", &pd->trusts, &pd->ntrusts) < 0 ||
	    load_family_attrs(ld, n, pd) < 0 || load_names(ld, n, pd) < 0 ||
	    load_tls_opts(ld, n, pd) < 0 || load_misbehave(ld, n, pd) < 0 ||
	    uctls_store_load_peer(sc, n, pd, ld->err) < 0 ||
	    uctls_revoke_load_peer(sc, n, pd->id, ld->err) < 0)
		return -1;
	return check_traversal_names(ld, n, pd);
}

const char *
uctls_peer_domain(const struct uctls_peerdef *pd)
{
	return pd->domain != NULL ? pd->domain : pd->id;
}

const char *
uctls_sip_method_name(enum uctls_sip_method m)
{
	return m == UCTLS_SIP_REGISTER ? "REGISTER" : m == UCTLS_SIP_INVITE ? "INVITE" : "OPTIONS";
}
/* ------------------------------------------------------------------------
 * <expect>, <clock>, <summary>, <scenario>
 * ------------------------------------------------------------------------ */

/* <expect warns="expiring|none"> (warn.h). */
static int
load_expect_warns(struct loader *ld, const struct uctls_xml_node *n, struct uctls_expect *ex)
{
	const char *w = uctls_xml_attr(n, "warns");

	if (w == NULL)
		return 0;
	if (strcmp(w, "expiring") == 0 || strcmp(w, "none") == 0) {
		ex->warns = w[0] == 'e' ? 1 : -1;
		return 0;
	}
	return fail(ld, n, "warns `%s'; expected expiring (a certificate expires within the "
	                   "warning window) or none", w);
}

static int
load_expect(struct loader *ld, const struct uctls_xml_node *n)
{
	struct uctls_expect *ex = &ld->sc->expect;
	const char *result, *fail_at, *side, *reason, *other;
	char list[UCTLS_ERR_MAX];
	size_t i;

	ex->present = 1;
	ex->line = n->line;
	if (check_attrs(ld, n, expect_attrs, NULL) < 0 ||
	    check_no_text(ld, n) < 0 || check_no_children(ld, n) < 0)
		return -1;
	result = uctls_xml_attr(n, "result");
	fail_at = uctls_xml_attr(n, "fail-at");
	side = uctls_xml_attr(n, "side");
	reason = uctls_xml_attr(n, "reason");
	other = uctls_xml_attr(n, "other");
	if (load_expect_warns(ld, n, ex) < 0)
		return -1;
	if (result != NULL) {
		if (fail_at != NULL || side != NULL || reason != NULL ||
		    other != NULL)
			return fail(ld, n, "result= cannot be combined with "
			                   "fail-at, side, reason or other; "
			                   "expected either result=\"pass\" or "
			                   "fail-at, side and reason");
		if (strcmp(result, "pass") != 0)
			return fail(ld, n, "result `%s'; expected pass (a "
			                   "failure is written fail-at, side, "
			                   "reason)", result);
		ex->pass = 1;
		return 0;
	}
	if (fail_at == NULL && side == NULL && reason == NULL && other == NULL)
		return fail(ld, n, "empty; expected result=\"pass\" or fail-at, "
		                   "side and reason");
	if (required(ld, n, "fail-at") == NULL ||
	    required(ld, n, "side") == NULL || required(ld, n, "reason") == NULL)
		return -1;
	if (!uctls_family_has_step(ld->fam, fail_at))
		return fail(ld, n, "unknown step `%s' for family `%s'; steps: "
		                   "%s", fail_at, ld->fam->name,
		            join(list, sizeof(list), ld->fam->steps));
	if (uctls_scenario_peer(ld->sc, side) == NULL &&
	    !in_list(ld->fam->extra_sides, side)) {
		list[0] = '\0';
		for (i = 0; i < ld->sc->npeers; i++) {
			if (i > 0)
				cat(list, sizeof(list), ", ");
			cat(list, sizeof(list), ld->sc->peers[i].id);
		}
		for (i = 0; ld->fam->extra_sides[i] != NULL; i++) {
			cat(list, sizeof(list), ", ");
			cat(list, sizeof(list), ld->fam->extra_sides[i]);
		}
		return fail(ld, n, "side `%s' is not a peer id; peers: %s",
		            side, list);
	}
	if (!uctls_reason_known(reason) && uctls_reason_suggest(reason) != NULL)
		return fail(ld, n, "unknown reason `%s'; did you mean `%s'? "
		                   "(uctls steps lists the reasons)", reason,
		            uctls_reason_suggest(reason));
	if (!uctls_reason_known(reason))
		return fail(ld, n, "unknown reason `%s'; expected one of %s; "
		                   "or alert:NAME, stream-error:NAME, "
		                   "sip-status:CODE", reason,
		            join(list, sizeof(list), uctls_reasons));
	if (other != NULL && !uctls_reason_known(other))
		return fail(ld, n, "unknown reason `%s' in other=; %s%s%s"
		                   "expected a reason identifier such as "
		                   "alert:unknown-ca", other,
		            uctls_reason_suggest(other) ? "did you mean `" : "",
		            uctls_reason_suggest(other) ? uctls_reason_suggest(other) : "",
		            uctls_reason_suggest(other) ? "'? " : "");
	if ((ex->fail_at = strdup(fail_at)) == NULL ||
	    (ex->side = strdup(side)) == NULL ||
	    (ex->reason = strdup(reason)) == NULL ||
	    (other != NULL && (ex->other = strdup(other)) == NULL))
		return nomem(ld);
	return 0;
}

static int
load_clock(struct loader *ld, const struct uctls_xml_node *n)
{
	const char *now;

	if (check_attrs(ld, n, clock_attrs, NULL) < 0 ||
	    check_no_text(ld, n) < 0 || check_no_children(ld, n) < 0)
		return -1;
	now = required(ld, n, "now");
	if (now == NULL)
		return -1;
	if (parse_abs_time(now, &ld->sc->now) < 0)
		return fail(ld, n, "now `%s' is not a date from 1950 on; "
		                   "expected YYYY-MM-DDTHH:MM:SSZ (UTC), e.g. "
		                   "2026-06-01T12:00:00Z", now);
	ld->sc->has_clock = 1;
	return 0;
}

/* Free text; runs of blanks (line breaks of the XML file) become one
 * space. */
static int
load_summary(struct loader *ld, const struct uctls_xml_node *n)
{
	const char *p;
	char *q;

	if (check_attrs(ld, n, no_attrs, NULL) < 0 ||
	    check_no_children(ld, n) < 0)
		return -1;
	ld->sc->summary = q = malloc(strlen(n->text) + 1);
	if (q == NULL)
		return nomem(ld);
	for (p = n->text; *p != '\0'; p++) {
		if (!is_blank(*p))
			*q++ = *p;
		else if (q > ld->sc->summary && !is_blank(p[1]) && p[1] != '\0')
			*q++ = ' ';
	}
	*q = '\0';
	return 0;
}

static int
child_rank(const char *name)
{
	int i;

	for (i = 0; scenario_children[i] != NULL; i++)
		if (strcmp(scenario_children[i], name) == 0)
			return i;
	return -1;
}

/* The scenario's own <profile> elements (profile.h): all of them, at the
 * first; their ids are new ones (a scenario does not redefine a profile
 * that reports and other scenarios know by that name). */
static int
load_profiles(struct loader *ld, const struct uctls_xml_node *root)
{
	const struct uctls_profile *p, *g;
	unsigned i;

	if (uctls_profiles() == NULL)
		return fail_line(ld, root->line, "no device profiles: %s",
		                 uctls_profile_load_error());
	if ((ld->sc->profiles = uctls_profile_set_new(uctls_profiles())) == NULL)
		return nomem(ld);
	if (uctls_profile_set_add_xml(ld->sc->profiles, ld->sc->file, root, ld->err) < 0)
		return -1;
	for (i = 0; (p = uctls_profile_set_at(ld->sc->profiles, i)) != NULL; i++)
		if ((g = uctls_profile_find(p->name)) != NULL)
			return fail_line(ld, p->src_line, "<profile id=\"%s\">: a profile of that "
			                 "id exists (%s:%d); a scenario's own profile takes a new "
			                 "id (base=\"%s\" starts from it)", p->name, g->src_file,
			                 g->src_line, p->name);
	return 0;
}

/* Child C of <scenario> is known, in order, and not a second one (but
 * <peer>).  LAST: rank of the previous child, -1 at first. */
static int
check_order(struct loader *ld, const struct uctls_xml_node *c,
            const struct uctls_xml_node *prev, int last, int have_pki)
{
	char list[128];
	int rank = child_rank(c->name);

	if (rank < 0)
		return fail_line(ld, c->line,
		                 "unknown element <%s> in <scenario>; expected "
		                 "one of: %s", c->name,
		                 join(list, sizeof(list), scenario_children));
	if (rank == last && strcmp(c->name, "peer") != 0 && strcmp(c->name, "install") != 0 &&
	    strcmp(c->name, "profile") != 0)
		return fail_line(ld, c->line,
		                 "a second <%s> in <scenario>; at most one is "
		                 "allowed", c->name);
	if (rank < last)
		return fail_line(ld, c->line,
		                 "<%s> after <%s>; the children of <scenario> go "
		                 "in this order: " SCENARIO_ORDER, c->name,
		                 prev->name);
	if (rank > RANK_PKI && !have_pki)
		return fail_line(ld, c->line,
		                 "<%s> before any <pki>; the children of "
		                 "<scenario> go in this order: " SCENARIO_ORDER,
		                 c->name);
	if (rank > RANK_PKI + 1 && ld->sc->npeers == 0)
		return fail_line(ld, c->line,
		                 "<%s> before any <peer>; the children of "
		                 "<scenario> go in this order: " SCENARIO_ORDER, c->name);
	return rank;
}

/* <scenario name= family= timeout=>. */
static int
load_root_attrs(struct loader *ld, const struct uctls_xml_node *root)
{
	struct uctls_scenario *sc = ld->sc;
	const struct uctls_family *f;
	const char *name, *family, *to = uctls_xml_attr(root, "timeout");
	char list[256], *end;
	unsigned k;
	long v;

	name = required(ld, root, "name");
	if (name == NULL)
		return -1;
	if (*name == '\0')
		return fail(ld, root, "empty name; expected e.g. "
		                      "\"tls/missing-intermediate\"");
	family = required(ld, root, "family");
	if (family == NULL)
		return -1;
	ld->fam = uctls_family_find(family);
	if (ld->fam == NULL) {
		list[0] = '\0';
		for (k = 0; (f = uctls_family_at(k)) != NULL; k++) {
			if (k > 0)
				cat(list, sizeof(list), ", ");
			cat(list, sizeof(list), f->name);
		}
		return fail(ld, root, "unknown family `%s'; known: %s", family,
		            list);
	}
	if ((sc->name = strdup(name)) == NULL ||
	    (sc->family = strdup(family)) == NULL)
		return nomem(ld);
	if (to != NULL) {
		v = strtol(to, &end, 10);
		if (*to == '\0' || *end != '\0' || v < 1 || v > 600000)
			return fail(ld, root, "timeout `%s'; expected milliseconds "
			                      "from 1 to 600000", to);
		sc->timeout_ms = (int)v;
	}
	return 0;
}

/* One child of <scenario>, C, of any kind but <expect>'s. */
static int
load_root_child(struct loader *ld, const struct uctls_xml_node *root,
                const struct uctls_xml_node *c, int *have_pki)
{
	struct uctls_scenario *sc = ld->sc;

	if (strcmp(c->name, "summary") == 0)
		return load_summary(ld, c);
	if (strcmp(c->name, "clock") == 0)
		return load_clock(ld, c);
	if (strcmp(c->name, "profile") == 0)
		return ld->sc->profiles == NULL ? load_profiles(ld, root) : 0;
	if (strcmp(c->name, "pki") == 0) {
		*have_pki = 1;
		return load_pki(ld, c);
	}
	if (strcmp(c->name, "peer") == 0) {
		if (sc->npeers == 2)
			return fail(ld, c, "a third <peer>; family `%s' "
			                   "has exactly two peers, one "
			                   "client and one server",
			            ld->fam->name);
		sc->npeers++; /* so that it is freed on error */
		return load_peer(ld, c, &sc->peers[sc->npeers - 1]);
	}
	if (strcmp(c->name, "install") == 0)
		return load_install(ld, c);
	return load_expect(ld, c);
}

/* The children of <scenario>, in document order, so that the first error
 * reported is the first in the file; then what must be there. */
static int
load_root_children(struct loader *ld, const struct uctls_xml_node *root)
{
	struct uctls_scenario *sc = ld->sc;
	int last = -1, have_pki = 0;
	size_t i;

	for (i = 0; i < root->nchildren; i++) {
		last = check_order(ld, root->children[i], i > 0 ? root->children[i - 1] : NULL,
		                   last, have_pki);
		if (last < 0 || load_root_child(ld, root, root->children[i], &have_pki) < 0)
			return -1;
	}
	if (!have_pki)
		return fail(ld, root, "missing <pki>; expected children "
		                      SCENARIO_ORDER);
	if (sc->npeers == 0)
		return fail(ld, root, "missing <peer>; family `%s' needs a "
		                      "client and a server", ld->fam->name);
	if (!ld->have_client || !ld->have_server)
		return fail(ld, root, "no peer with role `%s'; family `%s' has "
		                      "one client and one server",
		            ld->have_client ? "server" : "client",
		            ld->fam->name);
	return 0;
}

/* The document: <scenario>, its attributes and its children. */
static int
load_root(struct loader *ld, const struct uctls_xml_node *root)
{
	struct uctls_scenario *sc = ld->sc;
	size_t i, npeers = 0;

	ld->root = root;
	if (strcmp(root->name, "scenario") != 0)
		return fail_line(ld, root->line, "root element is <%s>; "
		                 "expected <scenario>", root->name);
	if (check_attrs(ld, root, scenario_attrs, NULL) < 0 ||
	    check_no_text(ld, root) < 0 || load_root_attrs(ld, root) < 0)
		return -1;
	for (i = 0; i < root->nchildren; i++)
		npeers += strcmp(root->children[i]->name, "peer") == 0;
	if (npeers > 0) {
		sc->peers = calloc(npeers, sizeof(*sc->peers));
		if (sc->peers == NULL)
			return nomem(ld);
	}
	return load_root_children(ld, root);
}

/* ------------------------------------------------------------------------
 * Public functions
 * ------------------------------------------------------------------------ */

/* Directory of FILE: "." when it has no slash. */
static char *
dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		return strdup(".");
	while (slash > file && slash[-1] == '/')
		slash--;
	if (slash == file)
		return strdup("/");
	return xstrndup(file, (size_t)(slash - file));
}

int
uctls_scenario_load(const char *file, struct uctls_scenario **out,
                    struct uctls_err *err)
{
	struct uctls_xml_node *root = NULL;
	int rv;

	*out = NULL;
	if (uctls_xml_load_file(file, &root, err) < 0)
		return -1;
	rv = uctls_scenario_load_dom(file, root, out, err);
	uctls_xml_free(root);
	return rv;
}

int
uctls_scenario_load_dom(const char *file, const struct uctls_xml_node *root,
                        struct uctls_scenario **out, struct uctls_err *err)
{
	struct uctls_scenario *sc = NULL;
	struct loader ld;
	int rv = -1;

	*out = NULL;
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		uctls_err_set(err, "%s: out of memory", file);
		goto out;
	}
	sc->file = strdup(file);
	sc->dir = dir_of(file);
	if (sc->file == NULL || sc->dir == NULL) {
		uctls_err_set(err, "%s: out of memory", file);
		goto out;
	}
	/* Relative validity is resolved against this when there is no
	 * <clock>; <clock> comes before <pki> and replaces it. */
	sc->now = time(NULL);
	memset(&ld, 0, sizeof(ld));
	ld.sc = sc;
	ld.err = err;
	if (load_root(&ld, root) < 0)
		goto out;
	*out = sc;
	sc = NULL;
	rv = 0;
out:
	uctls_scenario_free(sc);
	return rv;
}

static void
certdef_clear(struct uctls_certdef *cd)
{
	size_t i;

	free(cd->id);
	free(cd->file);
	free(cd->key_file);
	free(cd->subject);
	free(cd->issuer);
	free(cd->signed_with);
	free(cd->key_of);
	for (i = 0; i < cd->nsans; i++)
		free(cd->sans[i].value);
	free(cd->sans);
	uctls_strv_free(cd->eku, cd->neku);
	for (i = 0; i < cd->nexts; i++) {
		free(cd->exts[i].oid);
		free(cd->exts[i].der);
	}
	free(cd->exts);
	free(cd->crl_url);
	free(cd->ocsp_url);
}

void
uctls_scenario_free(struct uctls_scenario *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	uctls_profile_set_free(sc->profiles);
	for (i = 0; i < sc->ncerts; i++)
		certdef_clear(&sc->certs[i]);
	free(sc->certs);
	for (i = 0; i < sc->npeers; i++) {
		struct uctls_peerdef *pd = &sc->peers[i];

		free(pd->id);
		free(pd->profile);
		free(pd->role);
		uctls_strv_free(pd->sends, pd->nsends);
		uctls_strv_free(pd->trusts, pd->ntrusts);
		uctls_strv_free(pd->names, pd->nnames);
		free(pd->mra_domain);
		free(pd->http_host);
		free(pd->http_path);
		uctls_strv_free(pd->mra_trusts, pd->nmra_trusts);
		free(pd->domain);
		free(pd->to);
		uctls_strv_free(pd->subdomains, pd->nsubdomains);
		free(pd->tls);
		uctls_store_free_peer(pd);
	}
	for (i = 0; i < sc->ninstalls; i++) {
		struct uctls_installdef *in = &sc->installs[i];

		free(in->peer);
		uctls_strv_free(in->certs, in->ncerts);
		free(in->file);
		free(in->key);
		free(in->key_file);
		free(in->format);
		uctls_strv_free(in->csr_sans, in->ncsr);
		free(in->slot);
		uctls_strv_free(in->bundle, in->nbundle);
	}
	free(sc->installs);
	free(sc->peers);
	free(sc->expect.fail_at);
	free(sc->expect.side);
	free(sc->expect.reason);
	free(sc->expect.other);
	free(sc->file);
	free(sc->dir);
	free(sc->name);
	free(sc->family);
	free(sc->summary);
	uctls_revdef_free(sc->rev);
	free(sc);
}

const struct uctls_certdef *
uctls_scenario_cert(const struct uctls_scenario *sc, const char *id)
{
	long i = cert_index(sc, id);

	return i < 0 ? NULL : &sc->certs[i];
}

const struct uctls_peerdef *
uctls_scenario_peer(const struct uctls_scenario *sc, const char *id)
{
	size_t i;

	for (i = 0; i < sc->npeers; i++)
		if (strcmp(sc->peers[i].id, id) == 0)
			return &sc->peers[i];
	return NULL;
}
