/* The install step: what a device checks when a certificate file, its key
 * and CA bundle are uploaded (install.h).  The rules and their sources:
 *   - the file is PEM text (RFC 7468); DER or a copy that lost a line or a
 *     character is "invalid certificate format" (doc 221624);
 *   - a bundle is entity, issuers in turn, root last, and ends with one
 *     newline (doc 214618, CMS 3.0 full chain trust);
 *   - the key is the certificate's (doc 214618, pki match);
 *   - every CA of the chain is already in the trusted CA list, else
 *     "untrusted CA chain" (doc 221624; IM and Presence guide: install the root
 *     chain first);
 *   - the SANs are the CSR's, the CN is among them, RSA sizes and critical
 *     extensions the device knows (doc 214618, doc 118855).
 * Refusing the upload is the documents' word for the Expressway rules (doc
 * 221624) and uctls's model for the others (docs/profiles.md, "Install
 * rules").  The documents:
 *   doc 221624: Cisco, "Troubleshoot Expressway Certificates",
 *     https://www.cisco.com/c/en/us/support/docs/unified-communications/telepresence-video-communication-server-vcs/221624-troubleshoot-expressway-certificates.html
 *   IM and Presence guide: Cisco, "Configuration and Administration of the
 *     IM and Presence Service", chapter "Configure Certificates" (12.5(1)SU4),
 *     https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html
 *   doc 214618: Cisco, "Generate CSR and Apply Certificates to CMS",
 *     https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/214618-generate-csr-and-apply-certificates-to-c.html
 *   doc 118855: Cisco, "Configure UCCX Solution Certificate Management"
 *     (until 2023: "UCCX Solution Certificate Management Guide"),
 *     https://www.cisco.com/c/en/us/support/docs/customer-collaboration/unified-contact-center-express/118855-configure-uccx-00.html
 * PEM is read here rather than by gnutls_x509_crt_list_import2() so that a
 * damaged copy is located (line, column) as the person at the upload page
 * needs it; each block's DER is then imported by GnuTLS. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "cms-bundle.h"
#include "install.h"
#include "profile.h"

#define MAX_CERTS 32 /* certificates in one upload */

static const char begin_crt[] = "-----BEGIN CERTIFICATE-----";
static const char end_crt[] = "-----END CERTIFICATE-----";

/* With no critical_ok list, only a critical extension outside the set GnuTLS
 * recognises is refused (RFC 5280 4.2): uctls_verify_known_critical. */

/* --- small helpers ------------------------------------------------------ */

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* A growing ", "-separated list for details ("DNS:a, DNS:b"). */
struct list {
	char *s;
	int oom;
};

static void
list_add(struct list *l, const char *item)
{
	char *n;

	if (l->oom)
		return;
	n = l->s == NULL ? strdup(item) : fmt("%s, %s", l->s, item);
	if (n == NULL) {
		l->oom = 1;
		return;
	}
	free(l->s);
	l->s = n;
}

static const char *
list_str(const struct list *l)
{
	return l->s != NULL ? l->s : "none";
}


static int
is_self_issued(gnutls_x509_crt_t crt)
{
	return gnutls_x509_crt_check_issuer(crt, crt) != 0;
}

/* ISSUER issued CRT: names and key identifiers agree
 * (gnutls_x509_crt_check_issuer) and ISSUER's key verifies CRT's signature,
 * so a renewed CA with the same name and another key is not taken for the
 * one that signed.  Only the signature bit is read: a signer that is not
 * a CA, or an old algorithm, is not this module's question. */
int
uctls_install_issued_by(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	unsigned status = 0;

	if (crt == issuer || gnutls_x509_crt_equals(crt, issuer))
		return 0;
	if (!gnutls_x509_crt_check_issuer(crt, issuer))
		return 0;
	if (gnutls_x509_crt_verify(crt, &issuer, 1,
	                           GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                               GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	                               GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
	                               GNUTLS_VERIFY_ALLOW_BROKEN,
	                           &status) < 0)
		return 0;
	return (status & GNUTLS_CERT_SIGNATURE_FAILURE) == 0;
}

static int
oid_in(const char *oid, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(oid, list[i]) == 0)
			return 1;
	return 0;
}

static const char *
ext_name(const char *oid)
{
	static const struct {
		const char *oid, *name;
	} names[] = {
		{ "2.5.29.14", "subject key identifier" },
		{ "2.5.29.15", "key usage" },
		{ "2.5.29.17", "subject alternative name" },
		{ "2.5.29.19", "basic constraints" },
		{ "2.5.29.30", "name constraints" },
		{ "2.5.29.31", "CRL distribution points" },
		{ "2.5.29.32", "certificate policies" },
		{ "2.5.29.35", "authority key identifier" },
		{ "2.5.29.37", "extended key usage" },
		{ "1.3.6.1.5.5.7.1.1", "authority information access" },
		{ "1.3.6.1.5.5.7.1.24", "TLS feature" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(oid, names[i].oid) == 0)
			return names[i].name;
	return "unrecognised";
}

/* --- the upload, parsed -------------------------------------------------- */

struct upload {
	const char *name;        /* for messages */
	gnutls_x509_crt_t crts[MAX_CERTS];
	char *dn[MAX_CERTS];     /* subject DNs, owned */
	char *label[MAX_CERTS];  /* for messages (upload_labels), owned */
	size_t n;
	size_t entity;           /* index of the entity certificate */
	int der;                 /* the upload was one DER certificate */
	size_t tail;             /* offset just past the last END marker */
	const unsigned char *p;
	size_t len;
};

static void
upload_free(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		gnutls_x509_crt_deinit(u->crts[i]);
		free(u->dn[i]);
		free(u->label[i]);
	}
	u->n = 0;
}

/* "certificate 2 (`CN=Issuing CA') of `bundle.pem'", or "certificate
 * `CN=x' in `server.pem'" for a file of one certificate.  Returns 0 or -1
 * (out of memory). */
static int
upload_labels(struct upload *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		u->label[i] = u->n == 1
		                  ? fmt("certificate `%s' in `%s'", u->dn[i], u->name)
		                  : fmt("certificate %zu (`%s') of `%s'", i + 1, u->dn[i], u->name);
		if (u->label[i] == NULL)
			return -1;
	}
	return 0;
}

int
uctls_install_problem(struct uctls_diag *d, const char *reason, const char *hint, const char *f,
                      ...)
{
	va_list ap;
	char *detail;
	int rv;

	va_start(ap, f);
	rv = vasprintf(&detail, f, ap);
	va_end(ap);
	if (rv < 0)
		return -1;
	rv = uctls_diag_problem(d, reason, uctls_verify_alert_for(reason), hint, "%s", detail);
	free(detail);
	return rv;
}

/* --- format: PEM (RFC 7468) or DER --------------------------------------- */

static const char hint_format[] =
	"export the certificate as Base-64 encoded X.509 (PEM) and upload that file unchanged";

const char uctls_install_hint_malformed[] =
	"the file's Base-64 does not hold a certificate: export the certificate again from "
	"its CA (or the device that made it) and upload that file unchanged";

/* GnuTLS's words for GERR without an "ASN1 parser: " prefix and the final
 * full stop, into BUF. */
static const char *
gnutls_says(int gerr, char *buf, size_t size)
{
	const char *s = gnutls_strerror(gerr);
	size_t n;

	if (strncmp(s, "ASN1 parser: ", 13) == 0)
		s += 13;
	snprintf(buf, size, "%s", s);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return buf;
}

char *
uctls_install_malformed_msg(const char *file, size_t n, int gerr)
{
	char says[256];

	return fmt("malformed certificate: certificate %zu of `%s' is valid Base-64 but not a "
	           "valid DER certificate (the ASN.1 parser says: %s)",
	           n, file, gnutls_says(gerr, says, sizeof(says)));
}

char *
uctls_install_damaged_msg(const char *file, size_t n, int gerr)
{
	char says[256];

	return fmt("`%s' is PEM damaged: the Base-64 text of certificate %zu does not decode "
	           "(%s); a character was lost, added or changed in a copy",
	           file, n, gnutls_says(gerr, says, sizeof(says)));
}

char *
uctls_install_nocert_msg(const char *file)
{
	return fmt("`%s' holds no certificate: neither a `%s' block nor one DER certificate",
	           file, begin_crt);
}

/* Text, as opposed to DER or another binary file: no control characters
 * besides tab, CR, LF, and no NUL. */
static int
looks_binary(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') || p[i] == 0x7f)
			return 1;
	return 0;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One PEM block being read: its Base-64 text without white space, and the
 * line number and length of every data line (to locate a damaged line). */
struct block {
	char *b64;
	size_t blen, bcap;
	unsigned *lno, *llen;
	size_t nlines, lcap;
	unsigned begin;
	int pad;            /* `=' seen */
	unsigned pad_line;  /* where the first `=' is */
	size_t pad_col;
};

static void
block_reset(struct block *b, unsigned begin)
{
	b->blen = 0;
	b->nlines = 0;
	b->begin = begin;
	b->pad = 0;
}

static void
block_free(struct block *b)
{
	free(b->b64);
	free(b->lno);
	free(b->llen);
}

static int
block_line(struct block *b, const char *s, size_t n, unsigned lno)
{
	size_t k, chars = 0;

	if (b->nlines == b->lcap) {
		size_t cap = b->lcap ? b->lcap * 2 : 64;
		unsigned *a = realloc(b->lno, cap * sizeof(*a));

		if (a == NULL)
			return -1;
		b->lno = a;
		a = realloc(b->llen, cap * sizeof(*a));
		if (a == NULL)
			return -1;
		b->llen = a;
		b->lcap = cap;
	}
	if (b->blen + n + 1 > b->bcap) {
		size_t cap = (b->blen + n + 1) * 2;
		char *a = realloc(b->b64, cap);

		if (a == NULL)
			return -1;
		b->b64 = a;
		b->bcap = cap;
	}
	for (k = 0; k < n; k++) {
		if (s[k] == ' ' || s[k] == '\t')
			continue;
		b->b64[b->blen++] = s[k];
		chars++;
	}
	b->lno[b->nlines] = lno;
	b->llen[b->nlines] = (unsigned)chars;
	b->nlines++;
	return 0;
}

/* The line that most likely lost or gained characters in a copy: writers
 * (OpenSSL, GnuTLS, Windows) give every line but the last the same width. */
static unsigned
block_suspect_line(const struct block *b)
{
	size_t i, j, votes, best = 0;
	unsigned width = 0;

	if (b->nlines == 0)
		return b->begin + 1;
	/* the usual width: the most frequent one among all lines but the last */
	for (i = 0; i + 1 < b->nlines; i++) {
		for (votes = 0, j = 0; j + 1 < b->nlines; j++)
			votes += b->llen[j] == b->llen[i];
		if (votes > best) {
			best = votes;
			width = b->llen[i];
		}
	}
	for (i = 0; i + 1 < b->nlines; i++)
		if (b->llen[i] != width)
			return b->lno[i];
	return b->lno[b->nlines - 1];
}

/* Decodes B's Base-64 (already checked character by character) into DER.
 * Returns 0, 1 when the length is not a whole number of quanta, -1 when
 * out of memory. */
static int
block_decode(const struct block *b, gnutls_datum_t *der)
{
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	der->data = NULL;
	der->size = 0;
	if (b->blen == 0 || b->blen % 4 != 0)
		return 1;
	der->data = malloc(b->blen / 4 * 3);
	if (der->data == NULL)
		return -1;
	for (i = 0; i < b->blen && b->b64[i] != '='; i++) {
		v = b64_val((unsigned char)b->b64[i]);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			der->data[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	der->size = (unsigned)o;
	return 0;
}

/* The length of the DER element at P (tag, length, contents: X.690 8.1),
 * or 0 when its header is malformed or longer than N. */
static size_t
der_outer_len(const unsigned char *p, size_t n)
{
	size_t len = 0, hdr = 2, i;

	if (n < 2)
		return 0;
	if (p[1] < 0x80) {
		len = p[1];
	} else {
		hdr += p[1] & 0x7f;
		if ((p[1] & 0x7f) == 0 || (p[1] & 0x7f) > 4 || hdr > n)
			return 0;
		for (i = 2; i < hdr; i++)
			len = (len << 8) | p[i];
	}
	return hdr + len <= n ? hdr + len : 0;
}

/* 1 when the LEN bytes at P are one certificate GnuTLS reads, else 0. */
static int
is_cert(const unsigned char *p, size_t len)
{
	gnutls_datum_t der = { (unsigned char *)p, (unsigned)len };
	gnutls_x509_crt_t crt;
	int ok;

	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	ok = gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) >= 0;
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* B's text is one certificate followed by more Base-64 (the END and
 * BEGIN lines between two certificates lost in a copy): returns the line
 * where the second one starts, or 0.  -1 when out of memory. */
static long
block_run_together(const struct block *b)
{
	gnutls_datum_t der = { NULL, 0 };
	size_t first, chars = 0, i;
	long line = 0;
	int ret;

	ret = block_decode(b, &der);
	if (ret < 0)
		return -1;
	/* Two certificates: the rest is a DER element of its own too (a few
	 * stray octets after a certificate are a malformed certificate). */
	if (ret == 0 && (first = der_outer_len(der.data, der.size)) != 0 && first < der.size &&
	    is_cert(der.data, first) && der.data[first] == 0x30 &&
	    der_outer_len(der.data + first, der.size - first) != 0) {
		/* the Base-64 character where the second one begins: the
		 * first ended without padding, else block_pad_run_together() */
		first = first / 3 * 4;
		for (i = 0; i < b->nlines; i++) {
			chars += b->llen[i];
			if (chars > first) {
				line = (long)b->lno[i];
				break;
			}
		}
	}
	free(der.data);
	return line;
}

/* B's text so far, ended by `=' padding, is one whole certificate: more
 * text after it is a second certificate.  1 yes, 0 no, -1 out of memory. */
static int
block_pad_run_together(const struct block *b)
{
	gnutls_datum_t der = { NULL, 0 };
	int ret;

	ret = block_decode(b, &der);
	if (ret == 0)
		ret = der.size > 0 && der_outer_len(der.data, der.size) == der.size &&
		      is_cert(der.data, der.size);
	free(der.data);
	return ret;
}

/* The line [s, s+n) with surrounding blanks and a CR removed. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && ((*s)[*n - 1] == '\r' || (*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
}

static int
line_is(const char *s, size_t n, const char *what)
{
	return n == strlen(what) && memcmp(s, what, n) == 0;
}

static int
line_starts(const char *s, size_t n, const char *what)
{
	return n >= strlen(what) && memcmp(s, what, strlen(what)) == 0;
}

/* Imports one DER certificate into U (the caller checks u->n < MAX_CERTS).
 * Returns 0 with *GERR 0, or with *GERR the GnuTLS error when DER is not a
 * certificate (for the caller to word); -1 when out of memory. */
static int
add_cert(struct upload *u, const gnutls_datum_t *der, int *gerr)
{
	gnutls_x509_crt_t crt = NULL;
	int rv = -1;

	*gerr = 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		goto out;
	*gerr = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER);
	if (*gerr < 0) {
		rv = 0;
		goto out;
	}
	*gerr = 0;
	if ((u->dn[u->n] = uctls_verify_dn(crt, 0)) == NULL)
		goto out;
	u->crts[u->n] = crt;
	u->n++;
	crt = NULL;
	rv = 0;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return rv;
}

static const char run_together[] =
	"`%s' is PEM damaged at line %u: certificates %zu and %zu run together; the `%s' and "
	"`%s' lines between them were lost in a copy";

/* Reading the PEM text of an upload, line by line. */
struct pem_reader {
	struct upload *u;
	struct uctls_diag *d;
	struct block b;
	enum { OUTSIDE, IN_CERT, IN_OTHER } st;
	char other[64]; /* the label of the first other block ("RSA PRIVATE KEY") */
	unsigned lno;
	int bad;        /* a problem was recorded: reading stops */
};

/* Outside the blocks: RFC 7468 2, text outside the encapsulation
 * boundaries is explanatory and ignored. */
static int
pem_outside(struct pem_reader *r, const char *s, size_t n)
{
	if (line_is(s, n, begin_crt)) {
		block_reset(&r->b, r->lno);
		r->st = IN_CERT;
	} else if (line_starts(s, n, "-----BEGIN ")) {
		if (r->other[0] == '\0')
			snprintf(r->other, sizeof(r->other), "%.*s",
			         (int)(n - 11 - (n >= 16 && memcmp(s + n - 5, "-----", 5) == 0 ? 5 : 0)),
			         s + 11);
		r->st = IN_OTHER;
	} else if (line_starts(s, n, "-----END CERTIFICATE")) {
		r->bad = 1;
		return uctls_install_problem(r->d, "bad-format", hint_format,
		               "`%s' is PEM damaged at line %u: an END line without its `%s' line "
		               "(lost in a copy?)",
		               r->u->name, r->lno, begin_crt);
	}
	return 0;
}

/* The block's Base-64 decoded, but GnuTLS did not take the DER (GERR): two
 * certificates whose END and BEGIN lines were lost, or Base-64 that is
 * not a certificate at all. */
static int
pem_not_cert(struct pem_reader *r, int gerr)
{
	struct upload *u = r->u;
	long line = block_run_together(&r->b);
	char *msg;
	int rv;

	if (line < 0)
		return -1;
	r->bad = 1;
	if (line > 0)
		return uctls_install_problem(r->d, "bad-format", hint_format, run_together, u->name,
		               (unsigned)line, u->n + 1, u->n + 2, end_crt, begin_crt);
	msg = uctls_install_malformed_msg(u->name, u->n + 1, gerr);
	if (msg == NULL)
		return -1;
	/* GnuTLS refuses an extension given twice at import (RFC 5280 4.2). */
	rv = uctls_install_problem(r->d,
	             gerr == GNUTLS_E_X509_DUPLICATE_EXTENSION ? "duplicate-extension"
	                                                       : "malformed-certificate",
	             uctls_install_hint_malformed,
	             "%s; its PEM block is lines %u-%u", msg, r->b.begin, r->lno);
	free(msg);
	return rv;
}

/* The END line of a certificate block at [S, S+N). */
static int
pem_end(struct pem_reader *r, const char *s, size_t n)
{
	struct upload *u = r->u;
	gnutls_datum_t der = { NULL, 0 };
	int ret, gerr;

	ret = block_decode(&r->b, &der);
	if (ret < 0)
		return -1;
	if (ret == 1) {
		r->bad = 1;
		return uctls_install_problem(r->d, "bad-format", hint_format,
		               "`%s' is PEM damaged at line %u: the Base-64 text of certificate %zu "
		               "(lines %u-%u) is %s; a character was lost or added in a copy",
		               u->name, block_suspect_line(&r->b), u->n + 1, r->b.begin, r->lno,
		               r->b.blen == 0 ? "empty" : "cut short");
	}
	if (u->n == MAX_CERTS) {
		free(der.data);
		r->bad = 1;
		return uctls_install_problem(r->d, "bad-format", "upload the certificate and its CA chain only",
		               "`%s' holds more than %d certificates", u->name, MAX_CERTS);
	}
	ret = add_cert(u, &der, &gerr);
	free(der.data);
	if (ret < 0)
		return -1;
	if (gerr < 0)
		return pem_not_cert(r, gerr);
	u->tail = (size_t)((const unsigned char *)s - u->p) + n;
	r->st = OUTSIDE;
	return 0;
}

/* A Base-64 line [S, S+N) of a certificate block; LINE: where the line
 * starts in the upload (for the column). */
static int
pem_data(struct pem_reader *r, const char *s, size_t n, const char *line)
{
	struct block *b = &r->b;
	const char *what = NULL;
	unsigned at = r->lno;
	size_t col = 0, k;
	int c = 0, ret;

	for (k = 0; k < n && what == NULL; k++) {
		c = (unsigned char)s[k];
		col = (size_t)(s - line) + k + 1; /* 1-based in the line as uploaded */
		if (c == ' ' || c == '\t')
			continue;
		if (c == '=' && b->pad++ == 0) {
			b->pad_line = r->lno;
			b->pad_col = col;
		}
		if (c == '=' && b->pad > 2) {
			what = "a third `=' of padding";
		} else if (c != '=' && b64_val(c) < 0) {
			what = "a character that is not Base-64";
		} else if (c != '=' && b->pad) {
			/* the `=' is the damage, not what follows */
			what = "an `=' in the middle of the Base-64 text";
			at = b->pad_line;
			col = b->pad_col;
			c = '=';
		}
	}
	if (what == NULL)
		return n > 0 ? block_line(b, s, n, r->lno) : 0;
	if (at != r->lno && b->pad <= 2 && (ret = block_pad_run_together(b)) != 0) {
		if (ret < 0)
			return -1;
		r->bad = 1;
		return uctls_install_problem(r->d, "bad-format", hint_format, run_together, r->u->name, r->lno,
		               r->u->n + 1, r->u->n + 2, end_crt, begin_crt);
	}
	r->bad = 1;
	return uctls_install_problem(r->d, "bad-format", hint_format,
	               "`%s' is PEM damaged at line %u: %s (`%c', column %zu) in certificate %zu "
	               "(BEGIN at line %u)",
	               r->u->name, at, what, c >= 0x20 && c < 0x7f ? c : '?', col, r->u->n + 1,
	               b->begin);
}

/* One line [S, S+N) (trimmed), starting at LINE in the upload. */
static int
pem_line(struct pem_reader *r, const char *s, size_t n, const char *line)
{
	switch (r->st) {
	case OUTSIDE:
		return pem_outside(r, s, n);
	case IN_OTHER:
		if (line_starts(s, n, "-----END "))
			r->st = OUTSIDE;
		return 0;
	case IN_CERT:
		break;
	}
	if (line_is(s, n, end_crt))
		return pem_end(r, s, n);
	if (line_starts(s, n, "-----BEGIN ") || line_starts(s, n, "-----END ")) {
		r->bad = 1;
		return uctls_install_problem(r->d, "bad-format", hint_format,
		               "`%s' is PEM damaged at line %u: certificate %zu (BEGIN at line %u) "
		               "has no `%s' line",
		               r->u->name, r->lno, r->u->n + 1, r->b.begin, end_crt);
	}
	return pem_data(r, s, n, line);
}

/* At the end of the text: a block left open, or no certificate at all. */
static int
pem_finish(struct pem_reader *r)
{
	const char *name = r->u->name;

	if (r->st == IN_CERT) {
		r->bad = 1;
		return uctls_install_problem(r->d, "bad-format", hint_format,
		               "`%s' is PEM damaged at line %u: certificate %zu (BEGIN at line %u) "
		               "has no `%s' line; the file was cut short",
		               name, r->lno, r->u->n + 1, r->b.begin, end_crt);
	}
	if (r->u->n > 0)
		return 0;
	r->bad = 1;
	if (r->other[0] == '\0')
		return uctls_install_problem(r->d, "bad-format", hint_format,
		               "`%s' holds no certificate: no `%s' line", name, begin_crt);
	return uctls_install_problem(r->d, "bad-format", hint_format,
	               "`%s' holds no certificate: no `%s' line, only a `%s' block%s", name,
	               begin_crt, r->other,
	               strstr(r->other, "KEY") != NULL ? " (key and certificate files swapped?)"
	                                               : "");
}

/* Reads the PEM text of U.  Sets *BAD and records bad-format when the text
 * is damaged (invalid Base-64, a block without END line, ...) or holds no
 * certificate, malformed-certificate when a block's Base-64 is sound but
 * its DER is not a certificate.  Returns 0, or -1 when out of memory. */
static int
read_pem(struct upload *u, struct uctls_diag *d, int *bad)
{
	struct pem_reader r;
	size_t pos = 0, eol, n;
	const char *s, *line;
	int rv = -1;

	memset(&r, 0, sizeof(r));
	r.u = u;
	r.d = d;
	r.st = OUTSIDE;
	while (pos < u->len && !r.bad) {
		line = s = (const char *)u->p + pos;
		eol = pos;
		while (eol < u->len && u->p[eol] != '\n')
			eol++;
		n = eol - pos;
		r.lno++;
		trim(&s, &n);
		if (pem_line(&r, s, n, line) < 0)
			goto out;
		pos = eol + 1;
	}
	if (!r.bad && pem_finish(&r) < 0)
		goto out;
	*bad = r.bad;
	rv = 0;
out:
	block_free(&r.b);
	return rv;
}

static int
has_text(const unsigned char *p, size_t len, const char *what)
{
	size_t n = strlen(what);

	for (; len >= n; p++, len--)
		if (memcmp(p, what, n) == 0)
			return 1;
	return 0;
}

/* Reads the certificate upload.  Returns 0 (*BAD set when refused), -1 when
 * out of memory. */
static int
read_upload(const struct uctls_install_rules *r, struct upload *u, struct uctls_diag *d,
            int *bad)
{
	gnutls_datum_t der;
	int gerr;

	if (u->len == 0 || u->p == NULL) {
		*bad = 1;
		return uctls_install_problem(d, "bad-format", hint_format, "`%s' is empty", u->name);
	}
	if (u->len >= 2 && ((u->p[0] == 0xff && u->p[1] == 0xfe) ||
	                    (u->p[0] == 0xfe && u->p[1] == 0xff))) {
		*bad = 1;
		return uctls_install_problem(d, "bad-format", "save the PEM file as ASCII (or UTF-8), not UTF-16",
		               "`%s' is UTF-16 text, not PEM: a Windows editor saved it as "
		               "\"Unicode\"", u->name);
	}
	if (u->len >= 3 && memcmp(u->p, "\xef\xbb\xbf", 3) == 0) {
		/* OpenSSL and GnuTLS look for the BEGIN line at the start of a
		 * line: behind a byte-order mark it is not found. */
		*bad = 1;
		return uctls_install_problem(d, "bad-format", "save the PEM file without a byte-order mark (ASCII)",
		               "`%s' is PEM damaged at line 1: it starts with a UTF-8 byte-order "
		               "mark (added by a Windows editor), so its first BEGIN line is not "
		               "recognised", u->name);
	}
	if (!has_text(u->p, u->len, "-----BEGIN ") && looks_binary(u->p, u->len)) {
		/* doc 221624: only Base-64 is accepted, whatever the file
		 * extension; a DER (binary) export is "invalid certificate
		 * format". */
		if (r->pem_only) {
			*bad = 1;
			return uctls_install_problem(d, "bad-format", hint_format,
			               "`%s' is %s, not PEM (Base-64) text: the device accepts "
			               "Base-64 only (\"invalid certificate format\")",
			               u->name, u->p[0] == 0x30 ? "DER (binary ASN.1)" : "binary");
		}
		der.data = (unsigned char *)u->p;
		der.size = (unsigned)u->len;
		if (add_cert(u, &der, &gerr) < 0)
			return -1;
		if (gerr < 0) {
			*bad = 1;
			return uctls_install_problem(d, "bad-format", hint_format,
			               "`%s' is binary but not a DER certificate (%s); a PKCS#7 or "
			               "PKCS#12 file?", u->name, gnutls_strerror(gerr));
		}
		u->der = 1;
		return 0;
	}
	return read_pem(u, d, bad);
}

/* The entity certificate: the one that issued no other certificate of the
 * upload (and is not a root), whatever the order; the first when that does
 * not single one out. */
static void
find_entity(struct upload *u)
{
	size_t i, j, found = 0, cand = 0;

	for (i = 0; i < u->n; i++) {
		if (is_self_issued(u->crts[i]) && u->n > 1)
			continue;
		for (j = 0; j < u->n; j++)
			if (j != i && uctls_install_issued_by(u->crts[j], u->crts[i]))
				break;
		if (j == u->n) {
			if (found++ == 0)
				cand = i;
		}
	}
	u->entity = found == 1 ? cand : 0;
}

/* --- bundle layout (doc 214618: CMS 3.0) ----------------------------------- */

static const char hint_order[] =
	"order the bundle: entity certificate first, then each issuing CA in turn, the root "
	"last";

static int
check_order(struct upload *u, struct uctls_diag *d)
{
	size_t k, j;
	char *idn;
	int rv;

	if (u->entity != 0)
		return uctls_install_problem(d, "bundle-order", hint_order,
		               "position 1 of `%s' is `%s', a CA certificate; the entity "
		               "certificate `%s' is at position %zu, and it comes first",
		               u->name, u->dn[0], u->dn[u->entity], u->entity + 1);
	for (k = 1; k < u->n; k++) {
		if (uctls_install_issued_by(u->crts[k - 1], u->crts[k]))
			continue;
		if (is_self_issued(u->crts[k - 1]))
			return uctls_install_problem(d, "bundle-order", hint_order,
			               "position %zu of `%s' (`%s') follows the root `%s' at "
			               "position %zu; the root comes last",
			               k + 1, u->name, u->dn[k], u->dn[k - 1], k);
		for (j = 0; j < u->n; j++)
			if (uctls_install_issued_by(u->crts[k - 1], u->crts[j]))
				break;
		if (j < u->n)
			return uctls_install_problem(d, "bundle-order", hint_order,
			               "position %zu of `%s' is `%s', but the issuer of position "
			               "%zu (`%s') is `%s' at position %zu",
			               k + 1, u->name, u->dn[k], k, u->dn[k - 1], u->dn[j], j + 1);
		idn = uctls_verify_dn(u->crts[k - 1], 1);
		if (idn == NULL)
			return -1;
		rv = uctls_install_problem(d, "bundle-order", hint_order,
		             "position %zu of `%s' is `%s', which did not issue position %zu "
		             "(`%s'); its issuer `%s' is missing from the bundle",
		             k + 1, u->name, u->dn[k], k, u->dn[k - 1], idn);
		free(idn);
		return rv;
	}
	return 0;
}

/* doc 214618: "when you create a bundle, the certificate must have only one
 * carriage return at the end".  CRLF counts as one line break. */
static int
check_newline(struct upload *u, struct uctls_diag *d)
{
	size_t i, breaks = 0;
	int text = 0;

	for (i = u->tail; i < u->len; i++) {
		if (u->p[i] == '\n')
			breaks++;
		else if (u->p[i] == '\r' && (i + 1 == u->len || u->p[i + 1] != '\n'))
			breaks++;
		else if (u->p[i] != '\r' && u->p[i] != ' ' && u->p[i] != '\t')
			text = 1;
	}
	if (text)
		return uctls_install_problem(d, "bundle-order",
		               "end the file with the last certificate's END line and one "
		               "newline",
		               "`%s' has text after the last `%s' line; CMS 3.0 requires the "
		               "bundle to end there with exactly one carriage return",
		               u->name, end_crt);
	if (breaks == 1)
		return 0;
	return uctls_install_problem(d, "bundle-order",
	               breaks == 0 ? "add one newline after the last END line"
	                           : "remove the extra blank lines after the last END line",
	               "`%s' ends with %zu trailing newline%s after the last `%s' line; CMS "
	               "3.0 requires exactly one carriage return at the end",
	               u->name, breaks, breaks == 1 ? "" : "s", end_crt);
}

/* --- the private key (doc 214618: CMS pki match) --------------------------- */

static int
check_key(const struct uctls_install_rules *r, const struct uctls_install_input *in,
          struct upload *u, struct uctls_diag *d)
{
	static const char hint_key[] =
		"upload the unencrypted private key file (PEM) generated with this "
		"certificate's CSR";
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t kd;
	unsigned char kid[64], cid[64];
	size_t klen = sizeof(kid), clen, i;
	int pem, ret, rv = -1;

	if (in->key_len == 0) {
		rv = uctls_install_problem(d, "bad-format", hint_key, "the private key uploaded with `%s' is empty",
		             u->name);
		goto out;
	}
	pem = has_text(in->key, in->key_len, "-----BEGIN ");
	if (!pem && r->pem_only && looks_binary(in->key, in->key_len)) {
		rv = uctls_install_problem(d, "bad-format", hint_key,
		             "the private key uploaded with `%s' is binary (DER), not PEM "
		             "(Base-64) text", u->name);
		goto out;
	}
	if (pem && has_text(in->key, in->key_len, begin_crt) &&
	    !has_text(in->key, in->key_len, "PRIVATE KEY-----")) {
		rv = uctls_install_problem(d, "bad-format", hint_key,
		             "the private key uploaded with `%s' is a certificate, not a key "
		             "(key and certificate files swapped?)", u->name);
		goto out;
	}
	if ((ret = gnutls_x509_privkey_init(&key)) < 0)
		goto out;
	kd.data = (unsigned char *)in->key;
	kd.size = (unsigned)in->key_len;
	ret = gnutls_x509_privkey_import2(key, &kd, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
	                                  NULL, 0);
	if (ret < 0) {
		rv = uctls_install_problem(d, "bad-format", hint_key,
		             "the private key uploaded with `%s' is not a usable private key: %s%s",
		             u->name, gnutls_strerror(ret),
		             has_text(in->key, in->key_len, "ENCRYPTED") ? " (it is encrypted)" : "");
		goto out;
	}
	if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1, kid, &klen) < 0)
		goto out;
	/* The key ids are hashes of the public key (RFC 5280 4.2.1.2 method
	 * 1): equal ids, same key pair. */
	for (i = 0; i < u->n; i++) {
		clen = sizeof(cid);
		if (gnutls_x509_crt_get_key_id(u->crts[i], GNUTLS_KEYID_USE_SHA1, cid, &clen) < 0)
			continue;
		if (clen == klen && memcmp(cid, kid, klen) == 0)
			break;
	}
	if (i == u->entity) {
		rv = 0;
		goto out;
	}
	if (i < u->n)
		rv = uctls_install_problem(d, "key-mismatch",
		             "upload the key of the entity certificate (CMS: pki match <key> <cert>)",
		             "the private key does not match %s; it is the key of %s",
		             u->label[u->entity], u->label[i]);
	else
		rv = uctls_install_problem(d, "key-mismatch",
		             "upload the key generated with this certificate's CSR (CMS: pki match "
		             "<key> <cert>)",
		             "the private key does not match %s: this %s key belongs to another "
		             "certificate or an older CSR",
		             u->label[u->entity],
		             gnutls_pk_get_name(
				     (gnutls_pk_algorithm_t)gnutls_x509_privkey_get_pk_algorithm(key)));
out:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rv;
}

/* --- CA chain already trusted (doc 221624, IM and Presence guide) ----------------------- */

static gnutls_x509_crt_t
find_issuer(gnutls_x509_crt_t crt, gnutls_x509_crt_t *list, size_t n, size_t *at)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (uctls_install_issued_by(crt, list[i])) {
			if (at != NULL)
				*at = i;
			return list[i];
		}
	return NULL;
}

/* 1 when a certificate of LIST has the subject DN, 0 when none, -1 when
 * out of memory. */
static int
same_name(const char *dn, gnutls_x509_crt_t *list, size_t n)
{
	size_t i;
	char *s;
	int eq;

	for (i = 0; i < n; i++) {
		if ((s = uctls_verify_dn(list[i], 0)) == NULL)
			return -1;
		eq = strcmp(s, dn) == 0;
		free(s);
		if (eq)
			return 1;
	}
	return 0;
}

static int
check_trust(const struct uctls_install_input *in, struct upload *u, struct uctls_diag *d)
{
	char hint_trust[256];
	const char *tl = in->store != NULL ? in->store : "the trusted CA list";
	gnutls_x509_crt_t cur = u->crts[u->entity], next;
	char *cdn = NULL, *idn = NULL;
	size_t at, depth;
	int rv = -1, same;

	/* the store in the device's words (store.h), e.g. cup-xmpp-trust */
	snprintf(hint_trust, sizeof(hint_trust), "upload the root and then each intermediate CA "
	         "certificate to %s first, then the server certificate",
	         tl);
	/* Every CA of the path must be in the list, not only one anchor:
	 * "untrusted CA chain" unless each is (doc 221624); install the
	 * whole root chain before a CA-signed certificate (IM and Presence guide).  A
	 * path without a cycle has at most one step per certificate. */
	for (depth = 0; depth <= in->ntrust + u->n; depth++) {
		if (is_self_issued(cur))
			break;
		next = find_issuer(cur, in->trust, in->ntrust, NULL);
		if (next != NULL) {
			cur = next;
			continue;
		}
		next = find_issuer(cur, u->crts, u->n, &at);
		if (next != NULL) {
			if (is_self_issued(next)) {
				if (uctls_install_problem(d, "untrusted-root", hint_trust,
				            "untrusted CA chain: the root %s is not in %s",
				            u->label[at], tl) < 0)
					goto out;
			} else if (uctls_install_problem(d, "issuer-not-found", hint_trust,
			                   "untrusted CA chain: intermediate %s is not in %s",
			                   u->label[at], tl) < 0) {
				goto out;
			}
			cur = next;
			continue;
		}
		free(cdn);
		free(idn);
		cdn = uctls_verify_dn(cur, 0);
		idn = uctls_verify_dn(cur, 1);
		if (cdn == NULL || idn == NULL)
			goto out;
		if ((same = same_name(idn, in->trust, in->ntrust)) < 0)
			goto out;
		if (same) {
			/* A trusted CA has the name but not the key: the CA
			 * renewed its intermediate, or another CA uses the name. */
			if (uctls_install_problem(d, "issuer-not-found", hint_trust,
			            "untrusted CA chain: a CA named `%s' is trusted, but its key "
			            "did not sign `%s' in `%s' (a renewed CA certificate with a new "
			            "key, or another CA of the same name)",
			            idn, cdn, u->name) < 0)
				goto out;
		} else if (uctls_install_problem(d, "issuer-not-found", hint_trust,
		                   "untrusted CA chain: CA `%s', the issuer of `%s', is neither in "
		                   "%s nor in `%s'",
		                   idn, cdn, tl, u->name) < 0) {
			goto out;
		}
		break;
	}
	rv = 0;
out:
	free(cdn);
	free(idn);
	return rv;
}

/* --- names ---------------------------------------------------------------- */

struct sans {
	char **v; /* "DNS:a", "IP:192.0.2.1", ... (owned) */
	size_t n, cap;
};

static void
sans_free(struct sans *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Appends ITEM (owned from now on) to S.  -1 when out of memory (ITEM
 * NULL, or no room: then freed). */
static int
sans_add(struct sans *s, char *item)
{
	if (item == NULL)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			free(item);
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = item;
	return 0;
}

/* The certificate's SANs in the scenario syntax (TYPE:value, scenario.c's
 * san types).  Returns 0 or -1 (out of memory). */
static int
sans_get(gnutls_x509_crt_t crt, struct sans *s)
{
	char buf[1024], ip[64];
	const char *type;
	size_t sz;
	unsigned k, stype, crit;
	int ret;

	memset(s, 0, sizeof(*s));
	for (k = 0;; k++) {
		sz = sizeof(buf) - 1;
		ret = gnutls_x509_crt_get_subject_alt_name2(crt, k, buf, &sz, &stype, &crit);
		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* a name longer than any device takes: skipped */
		if (ret < 0)
			break; /* the last one, or an extension that does not decode */
		if (sz >= sizeof(buf))
			sz = sizeof(buf) - 1;
		buf[sz] = '\0';
		switch (ret) {
		case GNUTLS_SAN_DNSNAME:
			type = "DNS";
			break;
		case GNUTLS_SAN_IPADDRESS:
			type = "IP";
			if (inet_ntop(sz == 4 ? AF_INET : AF_INET6, buf, ip, sizeof(ip)) == NULL ||
			    (sz != 4 && sz != 16))
				strcpy(ip, "?");
			strcpy(buf, ip);
			break;
		case GNUTLS_SAN_URI:
			type = "URI";
			break;
		case GNUTLS_SAN_RFC822NAME:
			type = "email";
			break;
		case GNUTLS_SAN_OTHERNAME_XMPP:
			type = "XMPP";
			break;
		case GNUTLS_SAN_OTHERNAME_SRV:
			type = "SRV";
			break;
		case GNUTLS_SAN_DN:
			type = "dirName";
			break;
		default: /* another otherName: binary, shown by type only */
			type = "otherName";
			strcpy(buf, "?");
			break;
		}
		if (sans_add(s, fmt("%s:%s", type, buf)) < 0)
			return -1;
	}
	return 0;
}

/* A CSR SAN item ("DNS:a", "dns:A", "a", "IP:2001:db8::1") in the form
 * sans_get() gives, or NULL (out of memory). */
static char *
san_norm(const char *item)
{
	static const char *const types[] = { "DNS", "IP", "URI", "email", "XMPP", "SRV", NULL };
	const char *colon = strchr(item, ':');
	unsigned char addr[16];
	char ip[64];
	size_t i, tl;

	for (i = 0; colon != NULL && types[i] != NULL; i++) {
		tl = strlen(types[i]);
		if ((size_t)(colon - item) == tl && strncasecmp(item, types[i], tl) == 0)
			break;
	}
	if (colon == NULL || types[i] == NULL)
		return fmt("DNS:%s", item); /* no type: a host name */
	if (strcmp(types[i], "IP") == 0 &&
	    ((inet_pton(AF_INET, colon + 1, addr) == 1 &&
	      inet_ntop(AF_INET, addr, ip, sizeof(ip)) != NULL) ||
	     (inet_pton(AF_INET6, colon + 1, addr) == 1 &&
	      inet_ntop(AF_INET6, addr, ip, sizeof(ip)) != NULL)))
		return fmt("IP:%s", ip);
	return fmt("%s:%s", types[i], colon + 1);
}

/* DNS names compare without case (RFC 4343); the rest exactly. */
static int
san_eq(const char *a, const char *b)
{
	if (strncmp(a, "DNS:", 4) == 0 && strncmp(b, "DNS:", 4) == 0)
		return strcasecmp(a, b) == 0;
	return strcmp(a, b) == 0;
}

static int
san_in(const char *v, char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (san_eq(v, list[i]))
			return 1;
	return 0;
}

/* doc 118855: UCCX refuses a CA-signed certificate whose SANs differ from its
 * CSR's ("CSR SAN and certificate SAN do not match"), e.g. when the CA
 * added www.<host>.  A CSR without SANs (empty Parent Domain) lets the CA
 * choose them: no comparison then. */
static int
check_csr_sans(const struct uctls_install_input *in, struct upload *u, const struct sans *cs,
               struct uctls_diag *d)
{
	struct sans csr = { NULL, 0, 0 };
	struct list added = { NULL, 0 }, dropped = { NULL, 0 };
	size_t i;
	int rv = -1;

	for (i = 0; in->csr_sans[i] != NULL; i++)
		if (sans_add(&csr, san_norm(in->csr_sans[i])) < 0)
			goto out;
	if (csr.n == 0) {
		rv = 0;
		goto out;
	}
	for (i = 0; i < cs->n; i++)
		if (!san_in(cs->v[i], csr.v, csr.n))
			list_add(&added, cs->v[i]);
	for (i = 0; i < csr.n; i++)
		if (!san_in(csr.v[i], cs->v, cs->n))
			list_add(&dropped, csr.v[i]);
	if (added.oom || dropped.oom)
		goto out;
	rv = 0;
	if (added.s != NULL || dropped.s != NULL)
		rv = uctls_install_problem(d, "csr-san-mismatch",
		             "have the CA issue exactly the CSR's SANs, or generate the CSR without "
		             "SANs (UCCX: empty Parent Domain) so the CA may choose them",
		             "CSR SAN and certificate SAN do not match for %s: added by the CA: "
		             "%s; dropped from the CSR: %s",
		             u->label[u->entity], list_str(&added), list_str(&dropped));
out:
	sans_free(&csr);
	free(added.s);
	free(dropped.s);
	return rv;
}

/* doc 214618 (CMS pki csr: a SAN list must include the CN) and doc 118855
 * (Chrome 58 matches the SANs only): with SANs present, the CN must be a
 * DNS (or IP) SAN. */
static int
check_cn_in_san(struct upload *u, const struct sans *cs, struct uctls_diag *d)
{
	gnutls_x509_crt_t crt = u->crts[u->entity];
	char cn[512], tmp[600], *dns = NULL, *ip = NULL, *all = NULL;
	size_t sz, i;
	unsigned k;
	int rv = -1, ret;

	if (cs->n == 0)
		return 0;
	for (k = 0;; k++) {
		sz = sizeof(cn);
		ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, k, 0, cn, &sz);
		if (ret < 0)
			break;
		free(dns);
		free(ip);
		dns = fmt("DNS:%s", cn);
		snprintf(tmp, sizeof(tmp), "IP:%s", cn);
		ip = san_norm(tmp);
		if (dns == NULL || ip == NULL)
			goto out;
		if (san_in(dns, cs->v, cs->n) || san_in(ip, cs->v, cs->n))
			continue;
		for (i = 0; i < cs->n; i++) {
			char *n = all == NULL ? strdup(cs->v[i]) : fmt("%s, %s", all, cs->v[i]);

			if (n == NULL)
				goto out;
			free(all);
			all = n;
		}
		rv = uctls_install_problem(d, "cn-only-no-san",
		             "re-issue the certificate with its CN also listed as a DNS SAN",
		             "the CN `%s' of %s is not among its SANs (%s); clients that match "
		             "only SANs (Chrome 58 and later, XMPP) will not find it",
		             cn, u->label[u->entity], all);
		goto out;
	}
	rv = 0;
out:
	free(dns);
	free(ip);
	free(all);
	return rv;
}

/* --- key size, critical extensions (doc 118855: UCCX) ---------------------- */

/* An -ECDSA slot takes an ECDSA certificate, another slot an RSA one (IM
 * and Presence guide, "Certificates Overview"; a device refusing the other
 * at upload is uctls's model). */
static int
check_slot(const struct uctls_install_input *in, struct upload *u, struct uctls_diag *d)
{
	size_t l = strlen(in->slot);
	int ec_slot = l > 6 && strcmp(in->slot + l - 6, "-ECDSA") == 0;
	int alg = gnutls_x509_crt_get_pk_algorithm(u->crts[u->entity], NULL);
	int ec = alg == GNUTLS_PK_ECDSA;

	if (ec == ec_slot || (!ec && alg != GNUTLS_PK_RSA && alg != GNUTLS_PK_RSA_PSS))
		return 0;
	if (ec)
		return uctls_install_problem(d, "slot-key-type", "upload the certificate to the -ECDSA slot",
		               "%s has an ECDSA key; the %s slot holds RSA certificates, "
		               "ECDSA ones go to %s-ECDSA", u->label[u->entity], in->slot, in->slot);
	return uctls_install_problem(d, "slot-key-type", "upload the certificate to the RSA slot",
	               "%s has an RSA key; the %s slot holds ECDSA certificates, RSA ones go "
	               "to %.*s", u->label[u->entity], in->slot, (int)(l - 6), in->slot);
}

/* doc 118855 ("Multi-server SAN"): the certificate names UCCX node 1 and
 * node 2 only; refusing a third host name at upload is uctls's model. */
static int
check_san_hosts(const struct uctls_install_rules *r, struct upload *u, const struct sans *cs,
                struct uctls_diag *d)
{
	struct list names = { NULL, 0 };
	unsigned n = 0;
	size_t i;
	int rv;

	for (i = 0; i < cs->n; i++)
		if (strncmp(cs->v[i], "DNS:", 4) == 0) {
			list_add(&names, cs->v[i] + 4);
			n++;
		}
	if (names.oom)
		rv = -1;
	else if (n <= r->max_san_hosts)
		rv = 0;
	else
		rv = uctls_install_problem(d, "multi-server-san",
		             "request the multi-server SAN certificate for the cluster's own nodes "
		             "only (node 1 and node 2)",
		             "%s names %u hosts (%s); a multi-server SAN certificate names at most %u",
		             u->label[u->entity], n, list_str(&names), r->max_san_hosts);
	free(names.s);
	return rv;
}

static int
check_key_bits(const struct uctls_install_rules *r, struct upload *u, struct uctls_diag *d)
{
	struct list ok = { NULL, 0 };
	unsigned bits = 0;
	char num[16];
	size_t i;
	int alg, rv = -1;

	alg = gnutls_x509_crt_get_pk_algorithm(u->crts[u->entity], &bits);
	if (alg != GNUTLS_PK_RSA && alg != GNUTLS_PK_RSA_PSS)
		return 0;
	for (i = 0; r->key_bits[i] != 0; i++) {
		if (r->key_bits[i] == bits) {
			rv = 0;
			goto out;
		}
		snprintf(num, sizeof(num), "%u", r->key_bits[i]);
		list_add(&ok, num);
	}
	if (ok.oom)
		goto out;
	rv = uctls_install_problem(d, "key-size", "generate the CSR with one of the accepted RSA key sizes",
	             "%s has a %u-bit RSA key; the device accepts %s bits only",
	             u->label[u->entity], bits, list_str(&ok));
out:
	free(ok.s);
	return rv;
}

static int
check_critical(const struct uctls_install_rules *r, struct upload *u, struct uctls_diag *d)
{
	const char *const *allowed = r->critical_ok != NULL ? r->critical_ok : uctls_verify_known_critical;
	struct list ok = { NULL, 0 };
	char oid[128], *hint = NULL;
	size_t sz, i;
	unsigned k, crit;
	int rv = -1;

	for (i = 0; allowed[i] != NULL; i++) {
		char *item = fmt("%s (%s)", ext_name(allowed[i]), allowed[i]);

		if (item == NULL)
			goto out;
		list_add(&ok, item);
		free(item);
	}
	if (ok.oom)
		goto out;
	hint = r->critical_ok != NULL
	           ? fmt("have the CA re-issue with only %s marked critical", list_str(&ok))
	           : strdup("have the CA re-issue without marking that extension critical");
	if (hint == NULL)
		goto out;
	/* Every uploaded certificate: peers verify the whole chain. */
	for (i = 0; i < u->n; i++) {
		for (k = 0;; k++) {
			sz = sizeof(oid);
			crit = 0;
			if (gnutls_x509_crt_get_extension_info(u->crts[i], k, oid, &sz, &crit) < 0)
				break;
			if (!crit || oid_in(oid, allowed))
				continue;
			if (uctls_install_problem(d, "unknown-critical-extension", hint,
			            "%s marks the %s extension %s critical; the device accepts "
			            "only %s as critical",
			            u->label[i], ext_name(oid), oid,
			            r->critical_ok != NULL ? list_str(&ok)
			                                   : "the extensions it knows") < 0)
				goto out;
		}
	}
	rv = 0;
out:
	free(ok.s);
	free(hint);
	return rv;
}

/* --- key usage the CA must keep (IM and Presence guide) ------------------- */

/* The IM and Presence guide ("Certificate Signing Request Key Usage
 * Extensions"): the CA must not change or remove the Data Encipherment bit
 * (the CSRs request it) as it signs the certificate.  The document does
 * not say what the device then does: refusing the upload is uctls's model,
 * and so is letting a certificate without any keyUsage pass (RFC 5280
 * 4.2.1.3: no restriction). */
static const struct {
	const char *name;
	unsigned bit;
} ku_bits[] = {
	{ "digitalSignature", GNUTLS_KEY_DIGITAL_SIGNATURE },
	{ "nonRepudiation", GNUTLS_KEY_NON_REPUDIATION },
	{ "keyEncipherment", GNUTLS_KEY_KEY_ENCIPHERMENT },
	{ "dataEncipherment", GNUTLS_KEY_DATA_ENCIPHERMENT },
	{ "keyAgreement", GNUTLS_KEY_KEY_AGREEMENT },
};

static int
check_ku_keep(const struct uctls_install_rules *r, struct upload *u, struct uctls_diag *d)
{
	struct list miss = { NULL, 0 };
	unsigned ku = 0, crit = 0;
	size_t i, j;
	int rv = -1;

	if (gnutls_x509_crt_get_key_usage(u->crts[u->entity], &ku, &crit) < 0)
		return 0;
	for (i = 0; r->ku_keep[i] != NULL; i++)
		for (j = 0; j < sizeof(ku_bits) / sizeof(ku_bits[0]); j++)
			if (strcmp(r->ku_keep[i], ku_bits[j].name) == 0 && !(ku & ku_bits[j].bit))
				list_add(&miss, ku_bits[j].name);
	if (miss.oom)
		goto out;
	rv = 0;
	if (miss.s != NULL)
		rv = uctls_install_problem(d, "key-usage",
		             "have the CA re-issue the certificate with the key usage its CSR "
		             "requested, without dropping a bit",
		             "%s has keyUsage without %s, which its CSR requested and the CA "
		             "must not drop", u->label[u->entity], list_str(&miss));
out:
	free(miss.s);
	return rv;
}

/* --- the entry point ------------------------------------------------------ */

int
uctls_install_check(const struct uctls_install_rules *rules,
                    const struct uctls_install_input *in, struct uctls_diag *out,
                    struct uctls_err *err)
{
	struct upload u;
	struct sans cs;
	int bad = 0, rv = -1;

	memset(&u, 0, sizeof(u));
	memset(&cs, 0, sizeof(cs));
	u.name = in->name != NULL ? in->name : "the upload";
	u.p = in->cert;
	u.len = in->cert != NULL ? in->cert_len : 0;

	/* IN->now is not used: no rule here is about validity, which the
	 * handshake checks (verify.h).
	 * The order of the checks is the order of precedence of the cause:
	 * a file that does not parse stops everything; then the bundle's
	 * layout, the key, the trust list, the names, the algorithms. */
	if (read_upload(rules, &u, out, &bad) < 0)
		goto nomem;
	if (bad) {
		rv = 1;
		goto out;
	}
	find_entity(&u);
	if (upload_labels(&u) < 0)
		goto nomem;
	if (rules->bundle_order && check_order(&u, out) < 0)
		goto nomem;
	if (rules->bundle_newline && !u.der && in->bundle == NULL && check_newline(&u, out) < 0)
		goto nomem;
	/* the separate CA bundle, or the full chain in the one file (cms-bundle.h) */
	if (in->bundle != NULL &&
	    uctls_cms_bundle_check(rules, in, u.crts[u.entity], u.label[u.entity], out) < 0)
		goto nomem;
	if (in->bundle == NULL && rules->full_chain && uctls_cms_full_chain(u.crts, u.n, u.name, out) < 0)
		goto nomem;
	if (in->key != NULL && check_key(rules, in, &u, out) < 0)
		goto nomem;
	if (in->slot != NULL && check_slot(in, &u, out) < 0)
		goto nomem;
	if (rules->ca_first && check_trust(in, &u, out) < 0)
		goto nomem;
	if (sans_get(u.crts[u.entity], &cs) < 0)
		goto nomem;
	if (in->csr_sans != NULL && check_csr_sans(in, &u, &cs, out) < 0)
		goto nomem;
	if (rules->cn_in_san && check_cn_in_san(&u, &cs, out) < 0)
		goto nomem;
	if (rules->max_san_hosts > 0 && check_san_hosts(rules, &u, &cs, out) < 0)
		goto nomem;
	if (rules->key_bits != NULL && check_key_bits(rules, &u, out) < 0)
		goto nomem;
	if (rules->ku_keep != NULL && check_ku_keep(rules, &u, out) < 0)
		goto nomem;
	if (check_critical(rules, &u, out) < 0)
		goto nomem;
	rv = out->reason != NULL ? 1 : 0;
	goto out;
nomem:
	uctls_err_set(err, "install check of `%s': out of memory or GnuTLS failure", u.name);
out:
	sans_free(&cs);
	upload_free(&u);
	return rv;
}

void
uctls_install_rules_of(const struct uctls_profile *p, struct uctls_install_rules *out)
{
	memset(out, 0, sizeof(*out));
	out->pem_only = p->inst_pem_only;
	out->ca_first = p->inst_ca_first;
	out->bundle_order = p->inst_bundle_order;
	out->bundle_newline = p->inst_bundle_newline;
	out->cn_in_san = p->inst_cn_in_san;
	out->key_bits = p->inst_key_bits;
	out->critical_ok = p->inst_critical_ok;
	out->ku_keep = p->inst_ku_keep;
	out->full_chain = p->inst_full_chain;
	out->max_san_hosts = p->inst_max_san_hosts;
}
