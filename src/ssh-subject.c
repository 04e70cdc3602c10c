/* uctls — the subject attributes the MRA SSH tunnel accepts (ssh-subject.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/x509.h>

#include "der.h"
#include "ssh-subject.h"

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

/* The subject Name of certificate DER (LEN bytes) into *NAME (RFC 5280
 * 4.1: Certificate, TBSCertificate: [0] version, serialNumber, signature,
 * issuer, validity, subject).  0, or -1 when it does not decode. */
static int
subject_of(const unsigned char *der, size_t len, struct tlv *name)
{
	struct der c = { der, len };
	struct tlv t;
	int i;

	if (der_get(&c, &t) != 1 || t.tag != 0x30)
		return -1;
	c.p = t.v;
	c.len = t.vlen;
	if (der_get(&c, &t) != 1 || t.tag != 0x30)
		return -1;
	c.p = t.v;
	c.len = t.vlen;
	if (der_get(&c, &t) != 1)
		return -1;
	if (t.tag == 0xa0 && der_get(&c, &t) != 1) /* the serial after a version */
		return -1;
	for (i = 0; i < 4; i++) /* signature, issuer, validity, subject */
		if (der_get(&c, name) != 1 || name->tag != 0x30)
			return -1;
	return 0;
}

int
uctls_ssh_subject_bad(const char *const *ok, const unsigned char *der, size_t len,
                      char *oid, size_t size)
{
	struct tlv name, rdn, atv, type;
	struct der names, attrs, one;
	size_t k;
	int r;

	if (ok == NULL)
		return 0;
	if (subject_of(der, len, &name) < 0)
		return -1;
	/* each RelativeDistinguishedName (SET), each AttributeTypeAndValue */
	names = (struct der){ name.v, name.vlen };
	while ((r = der_get(&names, &rdn)) == 1) {
		if (rdn.tag != 0x31)
			return -1;
		attrs = (struct der){ rdn.v, rdn.vlen };
		while ((r = der_get(&attrs, &atv)) == 1) {
			one = (struct der){ atv.v, atv.vlen };
			if (atv.tag != 0x30 || der_get(&one, &type) != 1 || type.tag != 0x06 ||
			    oid_text(type.v, type.vlen, oid, size) < 0)
				return -1;
			for (k = 0; ok[k] != NULL && strcmp(ok[k], oid) != 0; k++)
				;
			if (ok[k] == NULL)
				return 1;
		}
		if (r < 0)
			return -1;
	}
	return r < 0 ? -1 : 0;
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
