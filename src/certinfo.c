#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certinfo.h"
#include "certlint.h"
#include "verify.h"

void
uctls_fpr_display(const char *fpr, char out[UCTLS_FPR_DISPLAY_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, digits = 0;
	int v;

	for (; fpr != NULL && *fpr != '\0'; fpr++) {
		char c = *fpr;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			continue;
		if (o + (digits > 0 && digits % 2 == 0 ? 2 : 1) >= UCTLS_FPR_DISPLAY_LEN)
			break;
		if (digits > 0 && digits % 2 == 0)
			out[o++] = ':';
		out[o++] = hex[v];
		digits++;
	}
	out[o] = '\0';
}

/* The prefixes of docs/uctls-scenario.5's san= (and of the verifier's
 * "carries:" lists), so a report reads like the scenario. */
static int
san_cb(void *arg, int type, const char *val, size_t len)
{
	static const struct {
		int gnutls;
		const char *prefix;
	} kinds[] = {
		{ GNUTLS_SAN_DNSNAME, "DNS:" },       { GNUTLS_SAN_URI, "URI:" },
		{ GNUTLS_SAN_RFC822NAME, "email:" },  { GNUTLS_SAN_OTHERNAME_XMPP, "XmppAddr:" },
		{ GNUTLS_SAN_OTHERNAME_SRV, "SRV:" },
	};
	struct uctls_certinfo *ci = arg;
	char ip[INET6_ADDRSTRLEN], other[32], **v, *s;
	const char *prefix = NULL;
	size_t i;

	if (type == GNUTLS_SAN_IPADDRESS) {
		if (len != 4 && len != 16)
			snprintf(ip, sizeof(ip), "(%zu octets)", len);
		else
			inet_ntop(len == 4 ? AF_INET : AF_INET6, val, ip, sizeof(ip));
		prefix = "IP:";
		val = ip;
	} else if (type < 0) {
		val = "(an entry that cannot be decoded)";
	} else {
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (kinds[i].gnutls == type)
				prefix = kinds[i].prefix;
		if (prefix == NULL) {
			/* an otherName or registeredID: its raw value is not
			 * text; name the kind only */
			snprintf(other, sizeof(other), "(GnuTLS SAN type %d)", type);
			prefix = "other:";
			val = other;
		}
	}
	if (asprintf(&s, "%s%s", prefix, val) < 0)
		return -1;
	v = realloc(ci->san, (ci->nsan + 1) * sizeof(*v));
	if (v == NULL) {
		free(s);
		return -1;
	}
	ci->san = v;
	ci->san[ci->nsan++] = s;
	return 0;
}

static void
put_time(char out[24], time_t t)
{
	struct tm tm;

	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 24, "?");
}

/* "RSA" / "ECDSA P-256" / "Ed25519" and the size in bits. */
static void
put_key(struct uctls_certinfo *ci, gnutls_x509_crt_t crt)
{
	gnutls_ecc_curve_t curve;
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	const char *name = pk >= 0 ? gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) : NULL;

	ci->bits = bits;
	if (pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS) {
		snprintf(ci->key, sizeof(ci->key), "%s", pk == GNUTLS_PK_RSA ? "RSA" : "RSA-PSS");
	} else if (pk == GNUTLS_PK_ECDSA &&
	           gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL) >= 0) {
		/* SECP256R1 is NIST P-256 (RFC 8422 5.1.1 lists both names). */
		const char *c = curve == GNUTLS_ECC_CURVE_SECP256R1   ? "P-256"
		                : curve == GNUTLS_ECC_CURVE_SECP384R1 ? "P-384"
		                : curve == GNUTLS_ECC_CURVE_SECP521R1 ? "P-521"
		                                                       : gnutls_ecc_curve_get_name(curve);

		snprintf(ci->key, sizeof(ci->key), "ECDSA %s", c != NULL ? c : "?");
	} else if (pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448) {
		snprintf(ci->key, sizeof(ci->key), "%s",
		         pk == GNUTLS_PK_EDDSA_ED25519 ? "Ed25519" : "Ed448");
	} else {
		snprintf(ci->key, sizeof(ci->key), "%s", name != NULL ? name : "unknown");
	}
}

int
uctls_certinfo_decode(const void *der, size_t len, struct uctls_certinfo *ci)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
	gnutls_x509_crt_t crt = NULL;
	unsigned char md[32];
	char hex[65];
	size_t i;
	int rv = -1;

	memset(ci, 0, sizeof(*ci));
	if (der == NULL || len == 0 || gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, md) < 0)
		goto out;
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	uctls_fpr_display(hex, ci->sha256);
	ci->subject = uctls_verify_dn(crt, 0);
	ci->issuer = uctls_verify_dn(crt, 1);
	if (ci->subject == NULL || ci->issuer == NULL || uctls_san_foreach(crt, san_cb, ci) < 0)
		goto out;
	put_time(ci->not_before, gnutls_x509_crt_get_activation_time(crt));
	put_time(ci->not_after, gnutls_x509_crt_get_expiration_time(crt));
	put_key(ci, crt);
	rv = 0;
out:
	gnutls_x509_crt_deinit(crt);
	if (rv < 0)
		uctls_certinfo_clear(ci);
	return rv;
}

void
uctls_certinfo_clear(struct uctls_certinfo *ci)
{
	size_t i;

	if (ci == NULL)
		return;
	free(ci->subject);
	free(ci->issuer);
	for (i = 0; i < ci->nsan; i++)
		free(ci->san[i]);
	free(ci->san);
	memset(ci, 0, sizeof(*ci));
}

int
uctls_certinfo_pem(const struct uctls_der *certs, size_t n, char **out, size_t *len,
                   struct uctls_err *err)
{
	gnutls_datum_t d, pem;
	char *buf = NULL, *nb;
	size_t used = 0, i;
	int ret;

	for (i = 0; certs != NULL && i < n; i++) {
		if (certs[i].data == NULL)
			continue;
		d.data = certs[i].data;
		d.size = (unsigned)certs[i].len;
		ret = gnutls_pem_base64_encode2("CERTIFICATE", &d, &pem);
		if (ret < 0) {
			free(buf);
			return uctls_err_set(err, "PEM encoding: %s", gnutls_strerror(ret));
		}
		nb = realloc(buf, used + pem.size + 1);
		if (nb == NULL) {
			gnutls_free(pem.data);
			free(buf);
			return uctls_err_set(err, "out of memory");
		}
		buf = nb;
		memcpy(buf + used, pem.data, pem.size);
		used += pem.size;
		buf[used] = '\0';
		gnutls_free(pem.data);
	}
	if (buf == NULL)
		return uctls_err_set(err, "no certificate was received");
	*out = buf;
	*len = used;
	return 0;
}
