/* The Meeting Server's CA bundle and full chain (cms-bundle.h; doc 214618,
 * "Certificate Trust Chains and Bundles"). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms-bundle.h"

#define MAX_BUNDLE 16 /* certificates in one CA bundle */

static const char end_crt[] = "-----END CERTIFICATE-----";

static const char hint_bundle[] =
	"build the CA bundle from the CA chain only: the entity certificate's issuer first, "
	"then each issuing CA in turn, the root last, ending in one newline; `pki verify "
	"<cert> <bundle>' must pass";

static int
self_issued(gnutls_x509_crt_t crt)
{
	return gnutls_x509_crt_check_issuer(crt, crt) != 0;
}

/* Problem about CRT with one or two DNs in the text: "%s" is CRT's subject
 * (WHICH 0) or issuer (1). */
static int
dn_problem(struct uctls_diag *d, const char *reason, gnutls_x509_crt_t crt, int which,
           const char *f, const char *a, size_t pos)
{
	char *dn = uctls_verify_dn(crt, which);
	int rv;

	if (dn == NULL)
		return -1;
	rv = uctls_install_problem(d, reason, hint_bundle, f, a, pos, dn);
	free(dn);
	return rv;
}

/* doc 214618: "only one carriage return at the end" (CRLF counts as one). */
static int
check_tail(const struct uctls_install_input *in, struct uctls_diag *d)
{
	const char *p = (const char *)in->bundle, *last = NULL, *q = p;
	size_t i, breaks = 0, len = in->bundle_len;

	while ((q = memmem(q, len - (size_t)(q - p), end_crt, sizeof(end_crt) - 1)) != NULL)
		last = q++;
	if (last == NULL)
		return 0;
	for (i = (size_t)(last - p) + sizeof(end_crt) - 1; i < len; i++)
		if (p[i] == '\n' || (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n')))
			breaks++;
	if (breaks == 1)
		return 0;
	return uctls_install_problem(d, "bundle-order", hint_bundle,
	               "the CA bundle `%s' ends with %zu trailing newline%s after the last `%s' "
	               "line; CMS 3.0 requires exactly one carriage return at the end",
	               in->bundle_name, breaks, breaks == 1 ? "" : "s", end_crt);
}

/* Position K (0-based) of the bundle should have issued PREV (the entity
 * for K 0): bundle-order when another position did, issuer-not-found when
 * none did. */
static int
check_link(gnutls_x509_crt_t *b, size_t n, size_t k, gnutls_x509_crt_t prev,
           const char *name, struct uctls_diag *d)
{
	size_t j;

	if (uctls_install_issued_by(prev, b[k]))
		return 0;
	for (j = 0; j < n; j++)
		if (uctls_install_issued_by(prev, b[j]))
			return dn_problem(d, "bundle-order", b[j], 0,
			                  "the CA bundle `%s' is out of order: position %zu should be "
			                  "`%s', the issuer of the certificate before it",
			                  name, k + 1);
	if (k > 0 && self_issued(prev))
		return dn_problem(d, "bundle-order", prev, 0,
		                  "the CA bundle `%s' goes on after the root at position %zu "
		                  "(`%s'); the root comes last", name, k);
	return dn_problem(d, "issuer-not-found", prev, 1,
	                  "`pki verify' fails: the CA bundle `%s' does not hold, at position %zu "
	                  "or anywhere, the issuer `%s'", name, k + 1);
}

static int
check_chain(const struct uctls_install_rules *r, const struct uctls_install_input *in,
            gnutls_x509_crt_t entity, const char *label, gnutls_x509_crt_t *b, size_t n,
            struct uctls_diag *d)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (gnutls_x509_crt_equals(b[k], entity))
			return uctls_install_problem(d, "bundle-order", hint_bundle,
			               "the CA bundle `%s' holds the entity certificate %s at position "
			               "%zu; the CA bundle is the chain without it", in->bundle_name,
			               label, k + 1);
	for (k = 0; k < n; k++) {
		gnutls_x509_crt_t prev = k == 0 ? entity : b[k - 1];

		if (k > 0 && self_issued(prev))
			return dn_problem(d, "bundle-order", prev, 0,
			                  "the CA bundle `%s' goes on after the root at position %zu "
			                  "(`%s'); the root comes last", in->bundle_name, k);
		if (r->bundle_order || k == 0) {
			int rv = check_link(b, n, k, prev, in->bundle_name, d);

			if (rv < 0 || d->reason != NULL)
				return rv;
		}
	}
	if (r->full_chain && n > 0 && !self_issued(b[n - 1]))
		return dn_problem(d, "issuer-not-found", b[n - 1], 1,
		                  "the CA bundle `%s' ends at position %zu without the root `%s': "
		                  "from CMS 3.0 the bundle holds the full chain, the root last",
		                  in->bundle_name, n);
	return 0;
}

int
uctls_cms_bundle_check(const struct uctls_install_rules *rules,
                       const struct uctls_install_input *in, gnutls_x509_crt_t entity,
                       const char *label, struct uctls_diag *out)
{
	gnutls_x509_crt_t *b = NULL;
	gnutls_datum_t data = { (unsigned char *)in->bundle, (unsigned)in->bundle_len };
	unsigned n = 0, i;
	int rv, gerr;

	if (in->bundle_len == 0 || in->bundle_len > 1024 * 1024)
		return uctls_install_problem(out, "bad-format", hint_bundle, "the CA bundle `%s' is %s",
		                             in->bundle_name,
		                             in->bundle_len == 0 ? "empty" : "too large");
	gerr = gnutls_x509_crt_list_import2(&b, &n, &data, GNUTLS_X509_FMT_PEM, 0);
	if (gerr < 0 || n == 0 || n > MAX_BUNDLE) {
		for (i = 0; i < n; i++)
			gnutls_x509_crt_deinit(b[i]);
		gnutls_free(b);
		return uctls_install_problem(out, "bad-format", hint_bundle,
		               "the CA bundle `%s' is not PEM certificates (%s)", in->bundle_name,
		               gerr < 0 ? gnutls_strerror(gerr) : n == 0 ? "none" : "too many");
	}
	rv = rules->bundle_newline ? check_tail(in, out) : 0;
	if (rv == 0)
		rv = check_chain(rules, in, entity, label, b, n, out);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(b[i]);
	gnutls_free(b);
	return rv;
}

int
uctls_cms_full_chain(gnutls_x509_crt_t *crts, size_t n, const char *name,
                     struct uctls_diag *out)
{
	if (n == 0 || self_issued(crts[n - 1]))
		return 0;
	return dn_problem(out, "issuer-not-found", crts[n - 1], 1,
	                  "`%s' ends at position %zu without the root `%s': from CMS 3.0 the "
	                  "bundle holds the full chain, entity, intermediates, the root last",
	                  name, n);
}

int
uctls_cms_bundle_pem(gnutls_x509_crt_t *crts, size_t n, int newlines, char **out, size_t *len)
{
	gnutls_datum_t d = { NULL, 0 };
	size_t i, used = 0, cap = 64;
	char *buf = malloc(cap), *nb;
	int k;

	for (i = 0; buf != NULL && i < n; i++) {
		if (crts[i] == NULL || gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_PEM, &d) < 0)
			break;
		while (d.size > 0 && d.data[d.size - 1] == '\n')
			d.size--; /* one newline between blocks, NEWLINES at the end */
		if (used + d.size + 16 > cap) {
			cap = (used + d.size + 16) * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				gnutls_free(d.data);
				break;
			}
			buf = nb;
		}
		memcpy(buf + used, d.data, d.size);
		used += d.size;
		if (i + 1 < n)
			buf[used++] = '\n';
		gnutls_free(d.data);
	}
	if (buf == NULL || i < n) {
		free(buf);
		return -1;
	}
	for (k = 0; k < newlines; k++)
		buf[used++] = '\n';
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}
