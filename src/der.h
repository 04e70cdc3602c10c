/* uctls — reading DER one TLV at a time (X.690 8.1): the small walker the
 * name-constraints check (nc.c) and the SSH tunnel's subject check
 * (ssh-subject.c) share. */
#ifndef UCTLS_DER_H
#define UCTLS_DER_H

#include <stddef.h>

/* What is left to read. */
struct der {
	const unsigned char *p;
	size_t len;
};

/* One element read. */
struct tlv {
	unsigned tag;
	const unsigned char *v, *t; /* value, whole TLV */
	size_t vlen, tlen;
};

/* Reads the next TLV of C (one-byte tags, definite lengths of at most four
 * octets).  1 when read, 0 at the end, -1 when malformed. */
static inline int
der_get(struct der *c, struct tlv *t)
{
	size_t i = 2, n, len;

	if (c->len == 0)
		return 0;
	if (c->len < 2 || (c->p[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = c->p[0];
	len = c->p[1];
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 4 || c->len < 2 + n)
			return -1;
		for (len = 0; n > 0; n--)
			len = (len << 8) | c->p[i++];
	}
	if (len > c->len - i)
		return -1;
	t->t = c->p;
	t->tlen = i + len;
	t->v = c->p + i;
	t->vlen = len;
	c->p += t->tlen;
	c->len -= t->tlen;
	return 1;
}

#endif
