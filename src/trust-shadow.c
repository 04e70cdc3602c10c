/* uctls — one trusted self-signed certificate per CN (trust-shadow.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "certlint.h"
#include "pki.h"
#include "scenario.h"
#include "steplog.h"
#include "trust-shadow.h"

/* The subject CN of ID when it is a self-signed certificate of PKI
 * (malloc'd), else NULL: the rule is about self-signed certificates only. */
static char *
crt_self_signed_cn(gnutls_x509_crt_t crt)
{
	char buf[256];
	size_t size = sizeof(buf);

	if (crt == NULL || !uctls_lint_self_issued(crt) ||
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size) < 0)
		return NULL;
	return strdup(buf);
}

static char *
self_signed_cn(const struct uctls_pki *pki, const char *id)
{
	return crt_self_signed_cn(uctls_pki_crt(pki, id));
}

size_t
uctls_shadow_crts(gnutls_x509_crt_t *trust, size_t n, gnutls_x509_crt_t *out, long *gone,
                  long *by)
{
	char *cn[UCTLS_SHADOW_MAX_CRTS];
	size_t i, j, k = 0;

	*gone = *by = -1;
	for (i = 0; i < n; i++) {
		cn[i] = i < UCTLS_SHADOW_MAX_CRTS ? crt_self_signed_cn(trust[i]) : NULL;
		for (j = 0; cn[i] != NULL && j < i; j++)
			if (cn[j] != NULL && strcmp(cn[j], cn[i]) == 0 && trust[j] != trust[i])
				break;
		if (cn[i] != NULL && j < i) {
			if (*gone < 0) {
				*gone = (long)i;
				*by = (long)j;
			}
		} else
			out[k++] = trust[i];
	}
	for (i = 0; i < n && i < UCTLS_SHADOW_MAX_CRTS; i++)
		free(cn[i]);
	return k;
}

void
uctls_shadow_clear(struct uctls_shadow *sh)
{
	free(sh->kept);
	free(sh->gone);
	free(sh->by);
	memset(sh, 0, sizeof(*sh));
}

int
uctls_shadow_split(const struct uctls_pki *pki, char *const *ids, size_t n,
                   struct uctls_shadow *sh)
{
	char **cn;
	size_t i, j;
	int rv = -1;

	memset(sh, 0, sizeof(*sh));
	cn = calloc(n > 0 ? n : 1, sizeof(*cn));
	sh->kept = calloc(n > 0 ? n : 1, sizeof(*sh->kept));
	sh->gone = calloc(n > 0 ? n : 1, sizeof(*sh->gone));
	sh->by = calloc(n > 0 ? n : 1, sizeof(*sh->by));
	if (cn == NULL || sh->kept == NULL || sh->gone == NULL || sh->by == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		cn[i] = self_signed_cn(pki, ids[i]);
		/* an earlier self-signed certificate with the same CN shadows it */
		for (j = 0; cn[i] != NULL && j < i; j++)
			if (cn[j] != NULL && strcmp(cn[j], cn[i]) == 0 && strcmp(ids[j], ids[i]) != 0)
				break;
		if (cn[i] != NULL && j < i) {
			sh->gone[sh->ngone] = ids[i];
			sh->by[sh->ngone++] = ids[j];
		} else
			sh->kept[sh->nkept++] = ids[i];
	}
	rv = 0;
out:
	for (i = 0; cn != NULL && i < n; i++)
		free(cn[i]);
	free(cn);
	if (rv < 0)
		uctls_shadow_clear(sh);
	return rv;
}

/* The index in SH's gone of the certificate PEER presents first or of one
 * of its issuers in SC; -1 when none is shadowed. */
static long
gone_on_path(const struct uctls_shadow *sh, const struct uctls_scenario *sc,
             const struct uctls_peerdef *peer)
{
	const struct uctls_certdef *cd;
	size_t i, depth;

	cd = peer->nsends > 0 ? uctls_scenario_cert(sc, peer->sends[0]) : NULL;
	for (depth = 0; cd != NULL && depth < 16; depth++) {
		for (i = 0; i < sh->ngone; i++)
			if (strcmp(sh->gone[i], cd->id) == 0)
				return (long)i;
		cd = cd->issuer != NULL ? uctls_scenario_cert(sc, cd->issuer) : NULL;
	}
	return -1;
}

int
uctls_shadow_note(struct uctls_step *rec, const struct uctls_shadow *sh,
                  const struct uctls_scenario *sc, const struct uctls_pki *pki,
                  const struct uctls_peerdef *peer)
{
	char *dn, *detail = NULL, *hint = NULL;
	long g;
	int rv = -1;

	if (sh->ngone == 0 || rec->reason == NULL ||
	    (strcmp(rec->reason, "untrusted-root") != 0 &&
	     strcmp(rec->reason, "issuer-not-found") != 0 && strcmp(rec->reason, "self-signed") != 0) ||
	    (g = gone_on_path(sh, sc, peer)) < 0)
		return 0;
	dn = self_signed_cn(pki, sh->gone[g]);
	if (asprintf(&detail, "%s%s`%s' is listed there, but `%s', a self-signed certificate with "
	             "the same CN earlier in the list, shadows it: the device trusts only one "
	             "of them", rec->detail != NULL ? rec->detail : "",
	             rec->detail != NULL ? "; " : "", sh->gone[g], sh->by[g]) < 0)
		detail = NULL;
	if (asprintf(&hint, "a certificate with the same subject (CN=%s) earlier in the trust list "
	             "shadows `%s'; give the CallManager and tomcat certificates distinct CNs "
	             "or use CA-signed certificates", dn != NULL ? dn : "?", sh->gone[g]) < 0)
		hint = NULL;
	if (detail != NULL && hint != NULL) {
		free(rec->detail);
		free(rec->hint);
		rec->detail = detail;
		rec->hint = hint;
		detail = hint = NULL;
		rv = 0;
	}
	free(detail);
	free(hint);
	free(dn);
	return rv;
}
