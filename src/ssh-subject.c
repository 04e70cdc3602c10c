/* uctls — the subject attributes the MRA SSH tunnel accepts (ssh-subject.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/x509.h>

#include "ssh-subject.h"

/* The DER element at *P (before END): its tag, and its contents C (N
 * bytes); *P moves past it.  0, or -1 when it does not fit (X.690 8.1:
 * definite lengths of at most four octets). */
static int
der_next(const unsigned char **p, const unsigned char *end, unsigned *tag,
         const unsigned char **c, size_t *n)
{
	size_t len, k;

	if (end - *p < 2)
		return -1;
	*tag = (*p)[0];
	len = (*p)[1];
	*p += 2;
	if (len & 0x80) {
		k = len & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - *p) < k)
			return -1;
		for (len = 0; k > 0; k--)
			len = (len << 8) | *(*p)++;
	}
	if ((size_t)(end - *p) < len)
		return -1;
	*c = *p;
	*n = len;
	*p += len;
	return 0;
}

/* The OID of contents C (N bytes) in dotted form into BUF (SIZE).  0, or
 * -1 when malformed or too long. */
static int
oid_text(const unsigned char *c, size_t n, char *buf, size_t size)
{
	unsigned long v = 0;
	size_t i, at = 0, k = 0;
	int w;

	for (i = 0; i < n; i++) {
		if (++k > 5)
			return -1;
		v = (v << 7) | (c[i] & 0x7f);
		if (c[i] & 0x80)
			continue;
		if (at == 0) /* the first two arcs (X.690 8.19.4) */
			w = snprintf(buf, size, "%lu.%lu", v < 80 ? v / 40 : 2, v < 80 ? v % 40 : v - 80);
		else
			w = snprintf(buf + at, size - at, ".%lu", v);
		if (w < 0 || (size_t)w >= size - at)
			return -1;
		at += (size_t)w;
		v = 0;
		k = 0;
	}
	return at > 0 && k == 0 ? 0 : -1;
}

/* The contents of the subject Name of certificate DER (RFC 5280 4.1:
 * Certificate, TBSCertificate: [0] version, serialNumber, signature,
 * issuer, validity, subject).  0, or -1 when it does not decode. */
static int
subject_of(const unsigned char *der, size_t len, const unsigned char **c, size_t *n)
{
	const unsigned char *p = der, *t, *te;
	unsigned tag;
	int i;

	if (der_next(&p, der + len, &tag, &t, n) < 0 || tag != 0x30)
		return -1;
	p = t;
	if (der_next(&p, t + *n, &tag, &t, n) < 0 || tag != 0x30)
		return -1;
	te = t + *n;
	if (der_next(&t, te, &tag, c, n) < 0)
		return -1;
	if (tag == 0xa0 && der_next(&t, te, &tag, c, n) < 0) /* the serial after a version */
		return -1;
	for (i = 0; i < 4; i++) /* signature, issuer, validity, subject */
		if (der_next(&t, te, &tag, c, n) < 0 || tag != 0x30)
			return -1;
	return 0;
}

int
uctls_ssh_subject_bad(const char *const *ok, const unsigned char *der, size_t len,
                      char *oid, size_t size)
{
	const unsigned char *s, *se, *r, *re, *a, *o;
	size_t n, k;
	unsigned tag;

	if (ok == NULL)
		return 0;
	if (subject_of(der, len, &s, &n) < 0)
		return -1;
	/* each RelativeDistinguishedName (SET), each AttributeTypeAndValue */
	for (se = s + n; s < se;) {
		if (der_next(&s, se, &tag, &r, &n) < 0 || tag != 0x31)
			return -1;
		for (re = r + n; r < re;) {
			if (der_next(&r, re, &tag, &a, &n) < 0 || tag != 0x30 ||
			    der_next(&a, a + n, &tag, &o, &n) < 0 || tag != 0x06 ||
			    oid_text(o, n, oid, size) < 0)
				return -1;
			for (k = 0; ok[k] != NULL && strcmp(ok[k], oid) != 0; k++)
				;
			if (ok[k] == NULL)
				return 1;
		}
	}
	return 0;
}

const char *
uctls_ssh_subject_name(const char *oid)
{
	const char *n = gnutls_x509_dn_oid_name(oid, GNUTLS_X509_DN_OID_RETURN_OID);

	return n != NULL ? n : oid;
}

/* Whether the attribute type KEY (LEN bytes: an OID or a name) is in OK. */
static int
type_ok(const char *const *ok, const char *key, size_t len)
{
	const char *n;
	size_t k;

	for (k = 0; ok[k] != NULL; k++) {
		n = uctls_ssh_subject_name(ok[k]);
		if ((strlen(ok[k]) == len && strncmp(ok[k], key, len) == 0) ||
		    (strlen(n) == len && strncasecmp(n, key, len) == 0))
			return 1;
	}
	/* GnuTLS names the e-mail attribute EMAIL; OpenSSL emailAddress */
	return len == 12 && strncasecmp(key, "emailAddress", 12) == 0 &&
	       type_ok(ok, "EMAIL", 5);
}

char *
uctls_ssh_subject_keep(const char *const *ok, const char *subject)
{
	char *out;
	const char *p = subject, *q, *eq;
	size_t n = 0;
	int dropped = 0;

	if (ok == NULL || subject == NULL || (out = malloc(strlen(subject) + 1)) == NULL)
		return NULL;
	while (*p != '\0') {
		/* one attribute: up to an unescaped comma */
		for (q = p; *q != '\0' && *q != ','; q++)
			if (*q == '\\' && q[1] != '\0')
				q++;
		eq = memchr(p, '=', (size_t)(q - p));
		if (eq != NULL && !type_ok(ok, p, (size_t)(eq - p)))
			dropped = 1;
		else {
			if (n > 0)
				out[n++] = ',';
			memcpy(out + n, p, (size_t)(q - p));
			n += (size_t)(q - p);
		}
		p = *q == ',' ? q + 1 : q;
	}
	out[n] = '\0';
	if (!dropped) {
		free(out);
		return NULL;
	}
	return out;
}
