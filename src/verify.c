#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "certlint.h"
#include "ident.h"
#include "nc.h"
#include "verify.h"
#include "revoke.h"

#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define OID_ANY_EKU "2.5.29.37.0"
#define OID_XMPPADDR "1.3.6.1.5.5.7.8.5"
#define MAX_PATH 32   /* certificates in one path (documented in docs/steps.md) */
#define MAX_PATHS 8   /* complete candidate paths evaluated */
#define MAX_BUILD 512 /* issuer candidates examined: a hostile bundle cannot make path
                         building exponential (rustls-webpki's Budget) */
#define DEFAULT_DEPTH 100 /* OpenSSL's default verify depth */
#define DAY (24 * 3600)

/* Extensions a verifier understands and may therefore see marked critical
 * (RFC 5280 4.2: "A certificate-using system MUST reject the certificate if
 * it encounters a critical extension it does not recognize"); the set GnuTLS
 * itself recognises. */
const char *const uctls_verify_known_critical[] = {
	"2.5.29.14", "2.5.29.15", "2.5.29.17", "2.5.29.18", "2.5.29.19",
	"2.5.29.30", "2.5.29.31", "2.5.29.32", "2.5.29.33", "2.5.29.35",
	"2.5.29.36", "2.5.29.37", "2.5.29.54", "1.3.6.1.5.5.7.1.1",
	"1.3.6.1.5.5.7.1.24", NULL
};

void
uctls_diag_init(struct uctls_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
uctls_diag_clear(struct uctls_diag *d)
{
	size_t i;

	free(d->reason);
	free(d->detail);
	free(d->hint);
	free(d->matched);
	for (i = 0; i < d->nalso; i++)
		free(d->also[i]);
	free(d->also);
	uctls_diag_init(d);
}

static int
add_also(struct uctls_diag *d, char *text)
{
	char **n;

	if (text == NULL)
		return -1;
	n = realloc(d->also, (d->nalso + 1) * sizeof(*n));
	if (n == NULL) {
		free(text);
		return -1;
	}
	d->also = n;
	d->also[d->nalso++] = text;
	return 0;
}

static char *
vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return s;
}

int
uctls_diag_problem(struct uctls_diag *d, const char *reason, int alert,
                   const char *hint, const char *f, ...)
{
	va_list ap;
	char *detail;

	va_start(ap, f);
	detail = vfmt(f, ap);
	va_end(ap);
	if (detail == NULL)
		return -1;
	if (d->reason == NULL) {
		d->reason = strdup(reason);
		d->hint = hint != NULL ? strdup(hint) : NULL;
		d->detail = detail;
		d->alert = alert;
		if (d->reason == NULL || (hint != NULL && d->hint == NULL))
			return -1;
		return 0;
	}
	return add_also(d, fmt("%s: %s", reason, detail)) == 0 ? (free(detail), 0)
	                                                        : (free(detail), -1);
}

/* A note on the path that is not a failure ("expires in 3 days"). */
static int
note(struct uctls_diag *d, const char *f, ...) __attribute__((format(printf, 2, 3)));

static int
note(struct uctls_diag *d, const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return add_also(d, s);
}

int
uctls_diag_note(struct uctls_diag *d, const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return add_also(d, s);
}

/* RFC 8446 6.2 alerts, chosen as common stacks do (OpenSSL's
 * ssl_x509err2alert in 3.0, ssl_verify_alarm_type before; GnuTLS's
 * gnutls_error_to_alert). */
int
uctls_verify_alert_for(const char *r)
{
	static const struct {
		const char *reason;
		int alert;
	} map[] = {
		{ "issuer-not-found", GNUTLS_A_UNKNOWN_CA },
		{ "untrusted-root", GNUTLS_A_UNKNOWN_CA },
		{ "self-signed", GNUTLS_A_UNKNOWN_CA },
		{ "expired", GNUTLS_A_CERTIFICATE_EXPIRED },
		{ "revoked", GNUTLS_A_CERTIFICATE_REVOKED },
		{ "crl-expired", GNUTLS_A_CERTIFICATE_REVOKED },
		{ "revocation-unknown", GNUTLS_A_CERTIFICATE_UNKNOWN },
		{ "eku-server-auth-missing", GNUTLS_A_UNSUPPORTED_CERTIFICATE },
		{ "eku-client-auth-missing", GNUTLS_A_UNSUPPORTED_CERTIFICATE },
		{ "key-usage", GNUTLS_A_UNSUPPORTED_CERTIFICATE },
		{ "unknown-critical-extension", GNUTLS_A_UNSUPPORTED_CERTIFICATE },
		{ "insecure-algorithm", GNUTLS_A_UNSUPPORTED_CERTIFICATE },
		{ "no-client-cert", GNUTLS_A_CERTIFICATE_REQUIRED },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].reason, r) == 0)
			return map[i].alert;
	return GNUTLS_A_BAD_CERTIFICATE;
}

/* --- describing certificates ------------------------------------------- */

struct certinfo {
	gnutls_x509_crt_t crt;
	char *dn;      /* subject DN, owned */
	char *idn;     /* issuer DN, owned */
	const char *id; /* scenario id or NULL */
	const struct uctls_pki *pki;
	char *label;   /* "`CN=x' (srv)", owned */
};

static void
info_free(struct certinfo *ci)
{
	free(ci->dn);
	free(ci->idn);
	free(ci->label);
	memset(ci, 0, sizeof(*ci));
}

char *
uctls_verify_dn(gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t d = { NULL, 0 };
	char *s;
	int ret;

	ret = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
	             : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (ret < 0)
		return strdup(ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ? "" : "?");
	s = strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

/* Names are formatted only when a message needs them: DN decoding costs
 * more than the rest of a passing verification. */
static void
info_init(struct certinfo *ci, gnutls_x509_crt_t crt, const struct uctls_pki *pki)
{
	memset(ci, 0, sizeof(*ci));
	ci->crt = crt;
	ci->pki = pki;
}

static const char *
ci_idn(struct certinfo *ci)
{
	if (ci->idn == NULL)
		ci->idn = uctls_verify_dn(ci->crt, 1);
	return ci->idn != NULL ? ci->idn : "?";
}

static const char *
ci_label(struct certinfo *ci)
{
	if (ci->label == NULL) {
		ci->dn = uctls_verify_dn(ci->crt, 0);
		ci->id = ci->pki != NULL ? uctls_pki_find(ci->pki, ci->crt) : NULL;
		if (ci->dn != NULL)
			ci->label = ci->id != NULL ? fmt("`%s' (%s)", ci->dn, ci->id)
			                           : fmt("`%s'", ci->dn);
	}
	return ci->label != NULL ? ci->label : "?";
}

static int
same_crt(gnutls_x509_crt_t a, gnutls_x509_crt_t b)
{
	return gnutls_x509_crt_equals(a, b) != 0;
}

/* Self-signed as GnuTLS sees it (same names, and key identifiers that do
 * not say otherwise): the top of a path. */
static int
is_self_signed(gnutls_x509_crt_t crt)
{
	return gnutls_x509_crt_check_issuer(crt, crt) != 0;
}

static int
in_list(gnutls_x509_crt_t crt, gnutls_x509_crt_t *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_crt(crt, list[i]))
			return 1;
	return 0;
}

/* --- the checks, in order of precedence -------------------------------- */

struct vstate {
	const struct uctls_verify_ctx *ctx;
	gnutls_x509_crt_t *chain;
	size_t n;
	struct certinfo path[MAX_PATH]; /* the path being evaluated or diagnosed */
	size_t plen;
	int anchored; /* path[plen-1] is a trust anchor */
	unsigned gstatus; /* GnuTLS's verdict on the path (0: accepted) */
	struct uctls_diag *d; /* the diagnosis of the path being evaluated */
	const char *verifier;
	const char *peer;
	/* Path building (RFC 5280 6.1; RFC 4158): a depth-first search over
	 * every candidate issuer, trust anchors first. */
	gnutls_x509_crt_t cur[MAX_PATH];
	size_t clen;
	gnutls_x509_crt_t dead[MAX_PATH]; /* the longest path that reached no anchor */
	size_t dlen;
	int too_long;             /* a path was cut at MAX_PATH */
	unsigned budget;          /* candidates examined */
	size_t tried;             /* complete paths evaluated */
	int done;                 /* a path was accepted, or evaluation failed */
	int oom;
	struct uctls_diag best;   /* the diagnosis of the path that got furthest */
	int best_stage;           /* -1: none yet */
	char **alts;              /* "the path through X: reason", per path tried */
	size_t nalts;
};

static int evaluate(struct vstate *v);

static int
used_in_path(const struct vstate *v, gnutls_x509_crt_t crt)
{
	size_t k;

	for (k = 0; k < v->clen; k++)
		if (same_crt(v->cur[k], crt))
			return 1;
	return 0;
}

/* Extends v->cur by every candidate issuer in turn (what the verifier trusts,
 * then what the peer sent: TLS 1.3 4.4.2 allows any order), evaluating each
 * path that reaches a trust anchor, until one is accepted. */
static void
search(struct vstate *v)
{
	const struct uctls_verify_ctx *c = v->ctx;
	gnutls_x509_crt_t top = v->cur[v->clen - 1], cand;
	size_t i, before = v->tried;

	if (in_list(top, c->trust, c->ntrust) &&
	    (!c->profile->anchor_self_signed || is_self_signed(top))) {
		if (v->tried < MAX_PATHS && evaluate(v) < 0)
			v->oom = v->done = 1;
		return;
	}
	if (v->clen == MAX_PATH)
		v->too_long = 1;
	else if (!is_self_signed(top)) {
		for (i = 0; i < c->ntrust + v->n - 1 && !v->done && v->tried < MAX_PATHS; i++) {
			cand = i < c->ntrust ? c->trust[i] : v->chain[i - c->ntrust + 1];
			if (++v->budget > MAX_BUILD)
				break;
			if (used_in_path(v, cand) || !gnutls_x509_crt_check_issuer(top, cand))
				continue;
			v->cur[v->clen++] = cand;
			search(v);
			v->clen--;
		}
	}
	if (v->tried == before && v->clen > v->dlen) {
		memcpy(v->dead, v->cur, v->clen * sizeof(v->cur[0]));
		v->dlen = v->clen;
	}
}

static void
path_set(struct vstate *v, gnutls_x509_crt_t *crts, size_t n, int anchored)
{
	size_t i;

	for (i = 0; i < v->plen; i++)
		info_free(&v->path[i]);
	for (i = 0; i < n; i++)
		info_init(&v->path[i], crts[i], v->ctx->pki);
	v->plen = n;
	v->anchored = anchored;
	v->gstatus = 0;
}

/* The verifier's trust list in the device's own words (profile.h
 * trust_words), e.g. "C's trusted CA list (Maintenance > Security >
 * Trusted CA list)". */
static char *
trust_list_words(const struct vstate *v)
{
	const char *w = v->ctx->profile->trust_words;

	return fmt("%s's %s", v->verifier, w != NULL ? w : "trust list");
}

static int diagnose_missing(struct vstate *v, const char *tl);

/* A trust anchor named like the subject (or with ISSUER, the issuer) of
 * CRT that is not CRT: the same name on another CA, the usual sign of two
 * different PKIs (a peer set up from one `uctls pki export', uctls run
 * with other keys).  NULL when there is none. */
static gnutls_x509_crt_t
trusted_namesake(const struct vstate *v, gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t dn, adn;
	gnutls_x509_crt_t hit = NULL;
	size_t i;

	if ((issuer ? gnutls_x509_crt_get_raw_issuer_dn(crt, &dn)
	            : gnutls_x509_crt_get_raw_dn(crt, &dn)) < 0)
		return NULL;
	for (i = 0; hit == NULL && i < v->ctx->ntrust; i++) {
		if (gnutls_x509_crt_get_raw_dn(v->ctx->trust[i], &adn) < 0)
			continue;
		if (adn.size == dn.size && memcmp(adn.data, dn.data, dn.size) == 0 &&
		    !gnutls_x509_crt_equals(crt, v->ctx->trust[i]))
			hit = v->ctx->trust[i];
		gnutls_free(adn.data);
	}
	gnutls_free(dn.data);
	return hit;
}

/* The namesake's diagnosis: REASON, for NAME, the CA that signed TOP. */
static int
diagnose_namesake(struct vstate *v, const char *reason, const char *name, struct certinfo *top)
{
	char *hint = fmt("use one PKI on both sides: run uctls with --pki DIR on the directory "
	                 "%s's certificates were exported to (uctls pki export), or give %s "
	                 "the CA `%s' that %s's chain really comes from",
	                 v->peer, v->verifier, name, v->peer);
	int rv = uctls_diag_problem(v->d, reason, GNUTLS_A_UNKNOWN_CA, hint,
	                            "a CA named `%s' is in %s's trust list, but it is not the one "
	                            "that signed %s: the same name with another key, the usual "
	                            "sign of two different PKIs",
	                            name, v->verifier, ci_label(top));

	free(hint);
	return rv;
}

/* diagnose_missing: the issuer of TOP, neither sent nor trusted, is the
 * scenario's certificate K (a root or an intermediate). */
static int
diagnose_known_issuer(struct vstate *v, struct certinfo *top, size_t k, const char *tl)
{
	const struct uctls_verify_ctx *c = v->ctx;
	gnutls_x509_crt_t cand = uctls_pki_crt_at(c->pki, k);
	char *hint;
	int rv;

	if (is_self_signed(cand)) {
		hint = fmt("add the root CA `%s' (%s) to %s", ci_idn(top),
		           uctls_pki_id_at(c->pki, k), tl);
		rv = uctls_diag_problem(
			v->d, "untrusted-root", GNUTLS_A_UNKNOWN_CA, hint,
			"%s's certificate %s chains to the root CA `%s' (%s), "
			"which %s does not trust (and %s did not send it)",
			v->peer, ci_label(top), ci_idn(top), uctls_pki_id_at(c->pki, k),
			v->verifier, v->peer);
	} else {
		hint = c->leaf_only
		               ? fmt("add the intermediate `%s' to %s: "
		                     "on this connection %s presents its certificate "
		                     "alone, so only the trust list can complete the "
		                     "chain",
		                     ci_idn(top), tl, v->peer)
		               : fmt("have %s send the intermediate `%s' after its "
		                     "certificate, or add it to %s",
		                     v->peer, ci_idn(top), tl);
		rv = c->leaf_only
		             ? uctls_diag_problem(
		                       v->d, "issuer-not-found", GNUTLS_A_UNKNOWN_CA,
		                       hint,
		                       "the issuer of %s is the intermediate CA `%s' "
		                       "(%s), which %s does not trust; on this "
		                       "connection %s takes %s's certificate alone, "
		                       "whatever else %s sends",
		                       ci_label(top), ci_idn(top),
		                       uctls_pki_id_at(c->pki, k), v->verifier,
		                       v->verifier, v->peer, v->peer)
		             : uctls_diag_problem(
		                       v->d, "issuer-not-found", GNUTLS_A_UNKNOWN_CA,
		                       hint,
		                       "the issuer of %s is the intermediate CA `%s' "
		                       "(%s), which %s neither sent nor %s trusts "
		                       "(a missing intermediate)",
		                       ci_label(top), ci_idn(top),
		                       uctls_pki_id_at(c->pki, k), v->peer, v->verifier);
	}
	free(hint);
	return rv;
}

/* No path reached a trust anchor: name the missing link of the longest. */
static int
diagnose_unanchored(struct vstate *v)
{
	char *tl = trust_list_words(v);
	int rv;

	if (tl == NULL)
		return -1;
	rv = diagnose_missing(v, tl);
	free(tl);
	return rv;
}

static int
diagnose_missing(struct vstate *v, const char *tl)
{
	const struct uctls_verify_ctx *c = v->ctx;
	struct certinfo *top;
	gnutls_x509_crt_t ns;
	size_t i;
	char *hint;
	int rv;

	path_set(v, v->dead, v->dlen, 0);
	if (v->too_long)
		return uctls_diag_problem(v->d, "path-length", GNUTLS_A_BAD_CERTIFICATE,
		                          "send a shorter chain",
		                          "the chain %s sent does not reach a trust anchor within "
		                          "%d certificates, the longest path uctls builds",
		                          v->peer, MAX_PATH);
	/* Say which link is missing. */
	top = &v->path[v->plen - 1];
	if (is_self_signed(top->crt)) {
		if (v->plen == 1) {
			hint = fmt("have %s send a CA-issued certificate, or add %s itself "
			           "to %s",
			           v->peer, ci_label(top), tl);
			rv = uctls_diag_problem(v->d, "self-signed", GNUTLS_A_UNKNOWN_CA, hint,
			                        "%s presented the self-signed certificate %s, "
			                        "which is not in %s's trust list",
			                        v->peer, ci_label(top), v->verifier);
		} else if (trusted_namesake(v, top->crt, 0) != NULL) {
			/* the root sent has a namesake: what it signed did not
			 * come from the trusted one */
			return diagnose_namesake(v, "untrusted-root", ci_idn(top),
			                         &v->path[v->plen - 2]);
		} else {
			hint = fmt("add the root CA %s to %s", ci_label(top), tl);
			rv = uctls_diag_problem(v->d, "untrusted-root", GNUTLS_A_UNKNOWN_CA,
			                        hint,
			                        "the chain %s sent ends at the root CA %s, "
			                        "which is not in %s's trust list",
			                        v->peer, ci_label(top), v->verifier);
		}
		free(hint);
		return rv;
	}

	/* The issuer of TOP is neither sent nor trusted.  If the scenario
	 * knows it, name it and say what kind of CA it is. */
	ns = trusted_namesake(v, top->crt, 1);
	if (c->pki != NULL) {
		for (i = 0; i < uctls_pki_count(c->pki); i++) {
			gnutls_x509_crt_t cand = uctls_pki_crt_at(c->pki, i);

			if (!gnutls_x509_crt_check_issuer(top->crt, cand))
				continue;
			if (ns != NULL)
				return diagnose_namesake(v, is_self_signed(cand) ? "untrusted-root"
				                                                 : "issuer-not-found",
				                         ci_idn(top), top);
			return diagnose_known_issuer(v, top, i, tl);
		}
	}
	if (ns != NULL)
		return diagnose_namesake(v, "issuer-not-found", ci_idn(top), top);
	hint = fmt("have %s send its issuing CA `%s', or add it to %s", v->peer, ci_idn(top),
	           tl);
	rv = uctls_diag_problem(v->d, "issuer-not-found", GNUTLS_A_UNKNOWN_CA, hint,
	                        "the issuer `%s' of %s was neither sent by %s nor "
	                        "found in %s's trust list",
	                        ci_idn(top), ci_label(top), v->peer, v->verifier);
	free(hint);
	return rv;
}

static int check_depth(struct vstate *v);

static int
check_links(struct vstate *v)
{
	unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	                 GNUTLS_VERIFY_ALLOW_BROKEN | GNUTLS_VERIFY_DISABLE_CA_SIGN;
	unsigned status, crit, ca_below = 0; /* non-self-issued CAs below path[i+1] */
	size_t i;
	int ca, pathlen;

	for (i = 0; i + 1 < v->plen; i++) {
		struct certinfo *c = &v->path[i], *iss = &v->path[i + 1];

		/* GnuTLS already checked every signature of an accepted
		 * path; check each link only to name a failure. */
		status = 0;
		if (!v->anchored || v->gstatus != 0)
			gnutls_x509_crt_verify(c->crt, &iss->crt, 1, flags, &status);
		if (status & GNUTLS_CERT_SIGNATURE_FAILURE) {
			if (uctls_diag_problem(v->d, "bad-signature", GNUTLS_A_BAD_CERTIFICATE,
			                       "re-issue the certificate from its CA; a CA that "
			                       "was re-keyed needs its new certificate distributed",
			                       "the signature on %s does not verify with the key "
			                       "of its issuer %s",
			                       ci_label(c), ci_label(iss)) < 0)
				return -1;
		}
		ca = gnutls_x509_crt_get_basic_constraints(iss->crt, &crit, NULL, &pathlen);
		if (ca <= 0 &&
		    !(i + 2 == v->plen && v->anchored && gnutls_x509_crt_get_version(iss->crt) == 1)) {
			if (uctls_diag_problem(v->d, "signer-not-ca", GNUTLS_A_BAD_CERTIFICATE,
			                       "issue the certificate from a CA certificate "
			                       "(basicConstraints cA=TRUE), not from an "
			                       "end-entity certificate",
			                       "%s was signed by %s, which is not a CA "
			                       "(basicConstraints %s)",
			                       ci_label(c), ci_label(iss),
			                       ca == 0 ? "cA=FALSE" : "absent") < 0)
				return -1;
		} else {
			unsigned ku = 0, kcrit;

			if (gnutls_x509_crt_get_key_usage(iss->crt, &ku, &kcrit) >= 0 &&
			    !(ku & GNUTLS_KEY_KEY_CERT_SIGN) &&
			    uctls_diag_problem(v->d, "signer-not-ca", GNUTLS_A_BAD_CERTIFICATE,
			                       "the CA certificate needs keyCertSign in its key usage",
			                       "%s signed %s but its keyUsage lacks keyCertSign "
			                       "(RFC 5280 4.2.1.3)",
			                       ci_label(iss), ci_label(c)) < 0)
				return -1;
			/* RFC 5280 4.2.1.9: pathLenConstraint counts the
			 * non-self-issued intermediates below this CA. */
			if (ca > 0 && pathlen >= 0 && ca_below > (unsigned)pathlen &&
			    uctls_diag_problem(v->d, "path-length", GNUTLS_A_BAD_CERTIFICATE,
			                       "issue the sub-CA from a CA whose pathLenConstraint "
			                       "allows it, or remove a level from the hierarchy",
			                       "%s has pathLenConstraint %d but %u CA "
			                       "certificate%s below it in the path",
			                       ci_label(iss), pathlen, ca_below,
			                       ca_below == 1 ? " is" : "s are") < 0)
				return -1;
		}
		/* RFC 5280 6.1.4 (l): a self-issued certificate (same
		 * subject and issuer names) is not counted, whatever its
		 * key identifiers. */
		if (!uctls_lint_self_issued(iss->crt))
			ca_below++;
	}
	return check_depth(v);
}

/* The longest path the device accepts: intermediates between the end
 * entity and the trust anchor, as OpenSSL's verify depth counts them. */
static int
check_depth(struct vstate *v)
{
	unsigned max = v->ctx->max_depth ? v->ctx->max_depth
	               : v->ctx->profile->max_depth ? v->ctx->profile->max_depth
	                                            : DEFAULT_DEPTH;
	size_t inter = v->plen >= 2 ? v->plen - 2 : 0;

	if (!v->anchored || inter <= max)
		return 0;
	return uctls_diag_problem(v->d, "path-length", GNUTLS_A_BAD_CERTIFICATE,
	                          "send a shorter chain, or raise the device's verify depth",
	                          "the path from %s to the trust anchor %s has %zu "
	                          "intermediate CA certificates; %s accepts at most %u",
	                          ci_label(&v->path[0]), ci_label(&v->path[v->plen - 1]),
	                          inter, v->verifier, max);
}

/* RFC 5280 4.2.1.10, 6.1.3 (b)(c), 6.1.4 (g): every certificate below a
 * constraining CA, intermediates included (nc.c). */
static int
check_name_constraints(struct vstate *v)
{
	gnutls_x509_crt_t crts[MAX_PATH];
	struct uctls_nc_result r;
	size_t i;
	int rv;

	for (i = 0; i < v->plen; i++)
		crts[i] = v->path[i].crt;
	memset(&r, 0, sizeof(r));
	if (uctls_nc_check(crts, v->plen, &r) < 0)
		return -1;
	rv = 0;
	if (r.reason != NULL)
		rv = uctls_diag_problem(v->d, r.reason, GNUTLS_A_BAD_CERTIFICATE,
		                        "issue the certificate from a CA whose name constraints "
		                        "permit its names, or have the CA's constraints widened",
		                        "%s", r.detail != NULL ? r.detail : "?");
	uctls_nc_result_clear(&r);
	return rv;
}

struct lint_arg {
	struct vstate *v;
	struct certinfo *ci;
};

static int
lint_report(void *arg, const char *reason, const char *hint, const char *text)
{
	struct lint_arg *a = arg;

	return uctls_diag_problem(a->v->d, reason, uctls_verify_alert_for(reason), hint, "%s %s",
	                          ci_label(a->ci), text);
}

/* RFC 5280 section 4 (and, for webpki, the Baseline Requirements) on every
 * certificate of the path (certlint.c). */
static int
check_lint(struct vstate *v)
{
	struct lint_arg a;
	enum uctls_lint_pos pos;
	size_t i;

	a.v = v;
	for (i = 0; i < v->plen; i++) {
		a.ci = &v->path[i];
		pos = i == 0                             ? UCTLS_LINT_LEAF
		      : v->anchored && i + 1 == v->plen ? UCTLS_LINT_ANCHOR
		                                         : UCTLS_LINT_CA;
		if (uctls_lint_cert(v->path[i].crt, pos, v->ctx->profile, lint_report, &a) < 0)
			return -1;
	}
	return 0;
}

static int
check_algorithms(struct vstate *v)
{
	const struct uctls_profile *p = v->ctx->profile;
	size_t i;
	unsigned bits;
	int sig, pk;

	for (i = 0; i < v->plen; i++) {
		struct certinfo *c = &v->path[i];
		int is_anchor = v->anchored && i + 1 == v->plen;

		sig = gnutls_x509_crt_get_signature_algorithm(c->crt);
		/* The signature on a trust anchor is never checked (RFC 5280 6.1). */
		if (!is_anchor && sig >= 0) {
			gnutls_digest_algorithm_t dig = gnutls_sign_get_hash_algorithm(sig);

			if ((dig == GNUTLS_DIG_SHA1 && !p->allow_sha1) || dig == GNUTLS_DIG_MD5 ||
			    dig == GNUTLS_DIG_MD2) {
				if (uctls_diag_problem(v->d, "insecure-algorithm",
				                       GNUTLS_A_UNSUPPORTED_CERTIFICATE,
				                       "re-issue the certificate with a SHA-256 signature",
				                       "%s is signed with %s, which profile %s does "
				                       "not accept (RFC 9155)",
				                       ci_label(c), gnutls_sign_get_name(sig), p->name) < 0)
					return -1;
			}
		}
		bits = 0;
		pk = gnutls_x509_crt_get_pk_algorithm(c->crt, &bits);
		if (pk == GNUTLS_PK_RSA &&
		    (bits < p->min_rsa_bits || (p->max_rsa_bits && bits > p->max_rsa_bits))) {
			char range[64];

			if (p->max_rsa_bits)
				snprintf(range, sizeof(range), "%u to %u", p->min_rsa_bits,
				         p->max_rsa_bits);
			else
				snprintf(range, sizeof(range), "%u or more", p->min_rsa_bits);
			if (uctls_diag_problem(v->d, "key-size", GNUTLS_A_BAD_CERTIFICATE,
			                       "issue the certificate with a key size the device "
			                       "accepts",
			                       "%s has an RSA-%u key; profile %s accepts %s bits",
			                       ci_label(c), bits, p->name, range) < 0)
				return -1;
		}
	}
	return 0;
}

void
uctls_fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
check_validity(struct vstate *v)
{
	char nb[32], na[32], now[32];
	time_t a, b;
	size_t i;

	uctls_fmt_time(v->ctx->now, now, sizeof(now));
	for (i = 0; i < v->plen; i++) {
		struct certinfo *c = &v->path[i];

		a = gnutls_x509_crt_get_activation_time(c->crt);
		b = gnutls_x509_crt_get_expiration_time(c->crt);
		uctls_fmt_time(a, nb, sizeof(nb));
		uctls_fmt_time(b, na, sizeof(na));
		if (v->ctx->now > b) {
			if (uctls_diag_problem(v->d, "expired", GNUTLS_A_CERTIFICATE_EXPIRED,
			                       "renew the certificate (and check the device clock)",
			                       "%s expired at %s (%ld days before %s)", ci_label(c),
			                       na, (long)((v->ctx->now - b) / DAY), now) < 0)
				return -1;
		} else if (v->ctx->now < a) {
			if (uctls_diag_problem(v->d, "not-yet-valid", GNUTLS_A_BAD_CERTIFICATE,
			                       "check the clock of the verifying device, or wait "
			                       "until the certificate's notBefore",
			                       "%s is not valid before %s (verification time %s)",
			                       ci_label(c), nb, now) < 0)
				return -1;
		} else if (b - v->ctx->now <
		           (time_t)(v->ctx->warn_days != 0 ? v->ctx->warn_days : 30) * DAY) {
			if (note(v->d, "%s expires in %ld days (%s) - not the cause", ci_label(c),
			         (long)((b - v->ctx->now) / DAY), na) < 0)
				return -1;
		}
	}
	return 0;
}

/* A run without revocation sources, for a profile that checks: a
 * certificate of the path that names a distribution point or responder
 * (a real one: file=, a real peer) is said not checked, never passed in
 * silence. */
static int
revocation_unchecked(struct vstate *v)
{
	const struct uctls_profile *p = v->ctx->profile;
	char url[256];
	size_t i, n = v->plen - (v->anchored && v->plen > 1 ? 1 : 0), sz;
	unsigned flags;
	gnutls_datum_t d = { NULL, 0 };

	if (!p->rev_all_cas && n > 1)
		n = 1;
	for (i = 0; i < n; i++) {
		sz = sizeof(url) - 1;
		if (p->rev_crl && gnutls_x509_crt_get_crl_dist_points(v->path[i].crt, 0, url, &sz,
		                                                      &flags, NULL) == GNUTLS_SAN_URI)
			return uctls_diag_note(v->d, UCTLS_REV_NOTE "not checked, the CRL at %.*s (named "
			                       "by certificate %zu of the path) is not fetched: uctls "
			                       "serves only what a scenario declares (<crl>)",
			                       (int)sz, url, i + 1);
		if (p->rev_ocsp &&
		    gnutls_x509_crt_get_authority_info_access(v->path[i].crt, 0, GNUTLS_IA_OCSP_URI,
		                                              &d, NULL) >= 0) {
			int r = uctls_diag_note(v->d, UCTLS_REV_NOTE "not checked, the OCSP responder %.*s "
			                        "(named by certificate %zu of the path) is not asked: "
			                        "uctls serves only what a scenario declares (<ocsp>)",
			                        (int)d.size, (const char *)d.data, i + 1);

			gnutls_free(d.data);
			return r;
		}
	}
	return 0;
}

/* Revocation (revoke.h): nothing at all unless the run has sources. */
static int
check_revocation(struct vstate *v)
{
	gnutls_x509_crt_t p[MAX_PATH];
	size_t i;

	if (v->ctx->revoke == NULL)
		return v->ctx->profile->rev_crl || v->ctx->profile->rev_ocsp
		               ? (revocation_unchecked(v) < 0 ? -1 : 0)
		               : 0;
	for (i = 0; i < v->plen; i++)
		p[i] = v->path[i].crt;
	return uctls_revoke_check(v->ctx->revoke, v->ctx->profile, v->ctx->verifier_id, p,
	                          v->plen, v->ctx->now, v->ctx->staple, v->d);
}

static int
oid_in(const char *oid, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, oid) == 0)
			return 1;
	return 0;
}

static int
check_critical(struct vstate *v)
{
	const char *const *ok = v->ctx->profile->tolerated_critical;
	char oid[128];
	size_t i, osz;
	unsigned k, crit;
	int ret;

	if (ok == NULL)
		ok = uctls_verify_known_critical;
	for (i = 0; i < v->plen; i++) {
		for (k = 0;; k++) {
			osz = sizeof(oid);
			ret = gnutls_x509_crt_get_extension_info(v->path[i].crt, k, oid, &osz,
			                                         &crit);
			if (ret < 0)
				break;
			if (crit && !oid_in(oid, ok) &&
			    uctls_diag_problem(v->d, "unknown-critical-extension",
			                       GNUTLS_A_UNSUPPORTED_CERTIFICATE,
			                       "re-issue the certificate without that extension, "
			                       "or with it marked non-critical",
			                       "%s carries the critical extension %s, which %s "
			                       "(profile %s) does not accept (RFC 5280 4.2)",
			                       ci_label(&v->path[i]), oid, v->verifier,
			                       v->ctx->profile->name) < 0)
				return -1;
		}
	}
	return 0;
}

/* RFC 5280 4.2.1.12 names, as people read them in certificate viewers. */
static const char *
eku_name(const char *oid)
{
	static const char *const names[][2] = {
		{ OID_SERVER_AUTH, "serverAuth" },      { OID_CLIENT_AUTH, "clientAuth" },
		{ "1.3.6.1.5.5.7.3.3", "codeSigning" }, { "1.3.6.1.5.5.7.3.4", "emailProtection" },
		{ "1.3.6.1.5.5.7.3.8", "timeStamping" }, { "1.3.6.1.5.5.7.3.9", "OCSPSigning" },
		{ OID_ANY_EKU, "anyExtendedKeyUsage" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i][0], oid) == 0)
			return names[i][1];
	return oid;
}

/* An intermediate CA whose extendedKeyUsage does not allow the purpose
 * cannot issue for it.  RFC 5280 4.2.1.12 itself does not chain EKU, but
 * every common stack does (OpenSSL crypto/x509/v3_purp.c checks the
 * purpose of each CA; GnuTLS lib/x509/verify.c the key purpose over the
 * chain; Go, browsers) and so do the CA/B Forum BR (7.1.2.10.6): a path
 * they all reject is not passed.  The trust anchor is not checked. */
static int
check_ca_purpose(struct vstate *v, const char *want, const char *reason, const char *pname)
{
	char oid[128];
	size_t i, osz;
	unsigned k, crit;
	int ret, present, ok;

	for (i = 1; i + (v->anchored ? 1 : 0) < v->plen; i++) {
		present = ok = 0;
		for (k = 0;; k++) {
			osz = sizeof(oid);
			ret = gnutls_x509_crt_get_key_purpose_oid(v->path[i].crt, k, oid, &osz, &crit);
			if (ret < 0)
				break;
			present = 1;
			ok |= strcmp(oid, want) == 0 || strcmp(oid, OID_ANY_EKU) == 0;
		}
		if (present && !ok &&
		    uctls_diag_problem(v->d, reason, GNUTLS_A_UNSUPPORTED_CERTIFICATE,
		                       "have the certificate issued by a CA whose extended key "
		                       "usage allows the purpose (or has no extendedKeyUsage)",
		                       "the intermediate CA %s restricts its extended key usage to "
		                       "purposes without %s, so it cannot issue %s's certificate "
		                       "%s for it (OpenSSL, GnuTLS and the CA/B Forum BR 7.1.2.10.6 "
		                       "chain EKU)",
		                       ci_label(&v->path[i]), pname, v->peer,
		                       ci_label(&v->path[0])) < 0)
			return -1;
	}
	return 0;
}

static int
check_purpose(struct vstate *v)
{
	const struct uctls_profile *p = v->ctx->profile;
	struct certinfo *leaf = &v->path[0];
	/* Prosody (LuaSec lsec_ignore_purpose) validates a client certificate
	 * as if it were a server certificate: serverAuth is what it needs. */
	int as_server = v->ctx->peer_is_server || p->ignore_client_purpose;
	const char *want = as_server ? OID_SERVER_AUTH : OID_CLIENT_AUTH;
	const char *reason = as_server ? "eku-server-auth-missing" : "eku-client-auth-missing";
	const char *pname = as_server ? "TLS Web Server Authentication (serverAuth)"
	                              : "TLS Web Client Authentication (clientAuth)";
	char oid[128], have[512];
	size_t osz, hl = 0;
	unsigned k, crit, ku;
	int ret, present = 0, found = 0, any = 0;

	have[0] = '\0';
	for (k = 0;; k++) {
		osz = sizeof(oid);
		ret = gnutls_x509_crt_get_key_purpose_oid(leaf->crt, k, oid, &osz, &crit);
		if (ret < 0)
			break;
		present = 1;
		found |= strcmp(oid, want) == 0;
		any |= strcmp(oid, OID_ANY_EKU) == 0;
		if (hl < sizeof(have) - 1)
			hl += (size_t)snprintf(have + hl, sizeof(have) - hl, "%s%s",
			                       hl ? ", " : "", eku_name(oid));
	}
	if (!found && ((present && !(any && !p->eku_required)) || (!present && p->eku_required))) {
		char hint[256];

		snprintf(hint, sizeof(hint),
		         "request the certificate with both serverAuth and clientAuth EKUs "
		         "(a CA that no longer issues clientAuth cannot serve mutual TLS)");
		if (uctls_diag_problem(v->d, reason, GNUTLS_A_UNSUPPORTED_CERTIFICATE, hint,
		                       "%s lacks %s in its extended key usage (%s); %s "
		                       "needs it of %s acting as TLS %s",
		                       ci_label(leaf), pname,
		                       present ? have : "extension absent", v->verifier,
		                       v->peer, v->ctx->peer_is_server ? "server" : "client") < 0)
			return -1;
	}
	if (p->check_key_usage && gnutls_x509_crt_get_key_usage(leaf->crt, &ku, &crit) >= 0 &&
	    !(ku & GNUTLS_KEY_DIGITAL_SIGNATURE)) {
		if (uctls_diag_problem(v->d, "key-usage", GNUTLS_A_UNSUPPORTED_CERTIFICATE,
		                       "re-issue the certificate with digitalSignature in its "
		                       "key usage",
		                       "%s has a keyUsage without digitalSignature, so its key "
		                       "may not sign the TLS handshake (RFC 5280 4.2.1.3, "
		                       "RFC 8446 4.4.2.2)",
		                       ci_label(leaf)) < 0)
			return -1;
	}
	return check_ca_purpose(v, want, reason, pname);
}

/* Every identifier the certificate presents, however many (a public
 * certificate may carry hundreds), and for the report as "DNS:a, IP:b,
 * CN=c" (that text alone is shortened, saying how many names there are). */
struct names {
	struct uctls_san *sans; /* owned */
	size_t nsans, asans;
	char **cns;             /* owned */
	size_t ncns, acns;
	char text[1024];
	size_t shown, total;
};

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->nsans; i++)
		free(nm->sans[i].value);
	for (i = 0; i < nm->ncns; i++)
		free(nm->cns[i]);
	free(nm->sans);
	free(nm->cns);
}

static void
names_append(struct names *nm, const char *prefix, const char *val)
{
	size_t l = strlen(nm->text);
	int w;

	nm->total++;
	if (nm->shown < nm->total - 1)
		return;
	w = snprintf(nm->text + l, sizeof(nm->text) - l, "%s%s%s", l ? ", " : "", prefix, val);
	if (w < 0 || (size_t)w >= sizeof(nm->text) - l - 48)
		nm->text[l] = '\0'; /* does not fit: counted, and said in names_done */
	else
		nm->shown++;
}

static void
names_done(struct names *nm)
{
	size_t l = strlen(nm->text);

	if (nm->total == 0)
		strcpy(nm->text, "no names at all");
	else if (nm->shown < nm->total)
		snprintf(nm->text + l, sizeof(nm->text) - l, ", ... (%zu names in all)", nm->total);
}

static int
names_add_san(struct names *nm, enum uctls_san_type t, const char *val)
{
	if (nm->nsans == nm->asans) {
		size_t na = nm->asans ? 2 * nm->asans : 16;
		struct uctls_san *n = realloc(nm->sans, na * sizeof(*n));

		if (n == NULL)
			return -1;
		nm->sans = n;
		nm->asans = na;
	}
	if ((nm->sans[nm->nsans].value = strdup(val)) == NULL)
		return -1;
	nm->sans[nm->nsans++].type = t;
	return 0;
}

static int
names_add_cn(struct names *nm, const char *val)
{
	if (nm->ncns == nm->acns) {
		size_t na = nm->acns ? 2 * nm->acns : 4;
		char **n = realloc(nm->cns, na * sizeof(*n));

		if (n == NULL)
			return -1;
		nm->cns = n;
		nm->acns = na;
	}
	if ((nm->cns[nm->ncns] = strdup(val)) == NULL)
		return -1;
	nm->ncns++;
	names_append(nm, "CN=", val);
	return 0;
}

/* One SAN entry of GnuTLS type RET, its value BUF of SZ octets. */
static int
names_san(struct names *nm, int ret, const char *buf, size_t sz)
{
	/* Text-valued names, XmppAddr (RFC 6120 13.7.1.4) and SRVName
	 * (RFC 4985) already decoded by GnuTLS. */
	static const struct {
		int gnutls;
		enum uctls_san_type type;
		const char *prefix;
	} kinds[] = {
		{ GNUTLS_SAN_DNSNAME, UCTLS_SAN_DNS, "DNS:" },
		{ GNUTLS_SAN_URI, UCTLS_SAN_URI, "URI:" },
		{ GNUTLS_SAN_RFC822NAME, UCTLS_SAN_EMAIL, "email:" },
		{ GNUTLS_SAN_OTHERNAME_XMPP, UCTLS_SAN_XMPP, "XmppAddr:" },
		{ GNUTLS_SAN_OTHERNAME_SRV, UCTLS_SAN_SRV, "SRV:" },
	};
	char ipbuf[64];
	size_t i;

	if (ret == GNUTLS_SAN_IPADDRESS) {
		/* iPAddress: 4 or 16 octets (RFC 5280 4.2.1.6) */
		if (sz == 4)
			inet_ntop(AF_INET, buf, ipbuf, sizeof(ipbuf));
		else if (sz == 16)
			inet_ntop(AF_INET6, buf, ipbuf, sizeof(ipbuf));
		else
			strcpy(ipbuf, "?");
		names_append(nm, "IP:", ipbuf);
		return names_add_san(nm, UCTLS_SAN_IP, ipbuf);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && kinds[i].gnutls != ret; i++)
		;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return 0;
	names_append(nm, kinds[i].prefix, buf);
	return names_add_san(nm, kinds[i].type, buf);
}

static int
names_san_cb(void *arg, int type, const char *val, size_t len)
{
	return type < 0 ? 0 : names_san(arg, type, val, len) < 0 ? -1 : 0;
}

static int
names_get(gnutls_x509_crt_t crt, struct names *nm)
{
	char buf[1024];
	size_t sz;
	unsigned k;
	int ret;

	memset(nm, 0, sizeof(*nm));
	if (uctls_san_foreach(crt, names_san_cb, nm) < 0)
		return -1;
	for (k = 0;; k++) {
		sz = sizeof(buf);
		ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, k, 0, buf, &sz);
		/* A CN longer than the buffer is longer than ub-common-name (64,
		 * RFC 5280 A.1) allows: not a name to match; the next CN is. */
		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (ret < 0)
			break;
		if (names_add_cn(nm, buf) < 0)
			return -1;
	}
	names_done(nm);
	return 0;
}

static int
is_ip_text(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Why a wildcard SAN of NM does not cover NAME, when one looks as if it
 * might: it stands for exactly one label (RFC 9525 6.3, RFC 6125 6.4.3).
 * Writes into BUF (empty when no wildcard is near). */
static void
wildcard_why(const struct names *nm, const char *name, char *buf, size_t n)
{
	size_t i, nl = strlen(name), dl;
	const char *d;

	buf[0] = '\0';
	for (i = 0; i < nm->nsans; i++) {
		if (nm->sans[i].type != UCTLS_SAN_DNS || strncmp(nm->sans[i].value, "*.", 2) != 0)
			continue;
		d = nm->sans[i].value + 1; /* ".example.com" */
		dl = strlen(d);
		if (nl + 1 == dl && strcasecmp(name, d + 1) == 0) {
			snprintf(buf, n, " (the wildcard `%s' does not cover the domain `%s' itself: "
			                 "it stands for exactly one label; RFC 9525 6.3)",
			         nm->sans[i].value, name);
			return;
		}
		if (nl > dl && strcasecmp(name + nl - dl, d) == 0 &&
		    memchr(name, '.', nl - dl) != NULL) {
			snprintf(buf, n, " (the wildcard `%s' covers one label only, e.g. `x%s', not "
			                 "`%s', which has more labels before `%s'; RFC 9525 6.3, RFC "
			                 "6125 6.4.3)",
			         nm->sans[i].value, d, name, d);
			return;
		}
	}
}

/* The configured names did not match: cause, detail and a hint that fits
 * the name (an IP address needs an IP SAN). */
static int
identity_problem(struct vstate *v, enum uctls_ident_result worst, const char *matched,
                 const char *near, const char *configured, const struct names *nm)
{
	const struct uctls_profile *p = v->ctx->profile;
	const char *first = v->ctx->names[0];
	int ip = is_ip_text(first);
	const char *san_hint = ip ? "re-issue the certificate with the address as an IP subject "
	                            "alternative name (a DNS name never matches an IP address), "
	                            "or configure an FQDN the certificate carries"
	                          : "re-issue the certificate with the name as a DNS subject "
	                            "alternative name";
	char why[512];

	switch (worst) {
	case UCTLS_IDENT_CN_ONLY:
		return uctls_diag_problem(
			v->d, "cn-only-no-san", GNUTLS_A_BAD_CERTIFICATE, san_hint,
			"%s's configured name `%s' is in the subject CN of %s but in none of "
			"its SANs, and profile %s does not match the CN %s; the certificate "
			"carries: %s",
			v->verifier, matched, ci_label(&v->path[0]), p->name,
			nm->nsans ? "of a certificate that has SANs (RFC 6125 6.4.4)"
			          : "at all (RFC 9525 6.3; browsers since Chrome 58)",
			nm->text);
	case UCTLS_IDENT_WILDCARD_REFUSED:
		return uctls_diag_problem(
			v->d, "wildcard-not-allowed", GNUTLS_A_BAD_CERTIFICATE,
			"add the exact name as a DNS subject alternative name",
			"%s's configured name `%s' matches only the wildcard `%s' of %s, and "
			"profile %s does not accept wildcards; the certificate carries: %s",
			v->verifier, matched, near != NULL ? near : "*", ci_label(&v->path[0]),
			p->name, nm->text);
	default:
		wildcard_why(nm, first, why, sizeof(why));
		return uctls_diag_problem(
			v->d, "name-mismatch", GNUTLS_A_BAD_CERTIFICATE,
			ip ? san_hint
			   : "configure the name the certificate carries, or re-issue the "
			     "certificate with the configured name as a DNS subject alternative name",
			"%s is configured to expect %s of %s, but %s carries only: %s%s%s%s",
			v->verifier, configured, v->peer, ci_label(&v->path[0]), nm->text,
			p->sip_ids && strstr(nm->text, "URI:sip:") != NULL
			        ? " (RFC 5922 7.1: with a sip: URI identity present, DNS names are "
			          "not examined)"
			        : "",
			why, ip ? " (an IP address is matched only against iPAddress SANs; RFC "
			          "9525 6.2.1, RFC 5280 4.2.1.6)" : "");
	}
}

int
uctls_verify_names_with(gnutls_x509_crt_t crt, const struct uctls_profile *p, const char *add,
                        const char *const *names, size_t nnames)
{
	struct uctls_ident_rules rules = { p->cn_fallback, p->wildcard, p->xmpp_ids, p->sip_ids };
	struct uctls_ident_names in;
	struct uctls_san *sans;
	struct names nm;
	unsigned char ip[16];
	size_t i;
	int rv = 0;

	if (names_get(crt, &nm) < 0)
		return -1;
	sans = calloc(nm.nsans + 1, sizeof(*sans));
	if (sans == NULL) {
		names_free(&nm);
		return -1;
	}
	if (nm.nsans > 0)
		memcpy(sans, nm.sans, nm.nsans * sizeof(*sans));
	sans[nm.nsans].type = inet_pton(AF_INET, add, ip) == 1 || inet_pton(AF_INET6, add, ip) == 1
	                              ? UCTLS_SAN_IP
	                              : UCTLS_SAN_DNS;
	sans[nm.nsans].value = (char *)add;
	in.sans = sans;
	in.nsans = nm.nsans + 1;
	in.cns = (const char *const *)nm.cns;
	in.ncns = nm.ncns;
	for (i = 0; i < nnames && !rv; i++)
		rv = uctls_ident_match(names[i], &in, &rules, NULL) == UCTLS_IDENT_MATCH;
	free(sans);
	names_free(&nm);
	return rv;
}

static int
check_identity(struct vstate *v)
{
	const struct uctls_profile *p = v->ctx->profile;
	struct uctls_ident_rules rules = { p->cn_fallback, p->wildcard, p->xmpp_ids, p->sip_ids };
	struct uctls_ident_names in;
	enum uctls_ident_result r, worst = UCTLS_IDENT_MISMATCH;
	struct names nm;
	const char *matched = NULL, *near = NULL;
	char configured[512];
	size_t i, cl = 0;
	int rv = -1;

	if (v->ctx->nnames == 0)
		return 0;
	if (names_get(v->path[0].crt, &nm) < 0)
		goto out;
	in.sans = nm.sans;
	in.nsans = nm.nsans;
	in.cns = (const char *const *)nm.cns;
	in.ncns = nm.ncns;
	configured[0] = '\0';
	for (i = 0; i < v->ctx->nnames; i++) {
		const char *m = NULL;

		r = uctls_ident_match(v->ctx->names[i], &in, &rules, &m);
		if (r == UCTLS_IDENT_MATCH) {
			/* Which identifier matched, among all it carries: kept
			 * as the passing step's note. */
			static const char *const kinds[] = { "DNS-ID", "IP address", "URI-ID",
			                                     "email", "XmppAddr", "SRV-ID" };
			const char *kind = "name";
			size_t k;

			for (k = 0; k < nm.nsans; k++)
				if (m == nm.sans[k].value && (size_t)nm.sans[k].type < 6)
					kind = kinds[nm.sans[k].type];
			for (k = 0; k < nm.ncns; k++)
				if (m == nm.cns[k])
					kind = "CN-ID";
			free(v->d->matched);
			if (asprintf(&v->d->matched, "`%s' matched the %s `%s' (%s carries: %s)",
			             v->ctx->names[i], kind, m != NULL ? m : "?", ci_label(&v->path[0]),
			             nm.text) < 0)
				v->d->matched = NULL;
			rv = 0;
			goto out;
		}
		if (r != UCTLS_IDENT_MISMATCH && worst == UCTLS_IDENT_MISMATCH) {
			worst = r;
			matched = v->ctx->names[i];
			near = m;
		}
		if (cl < sizeof(configured) - 1)
			cl += (size_t)snprintf(configured + cl, sizeof(configured) - cl,
			                       "%s`%s'", cl ? " or " : "", v->ctx->names[i]);
	}
	rv = identity_problem(v, worst, matched, near, configured, &nm);
out:
	names_free(&nm);
	return rv < 0 && v->d->reason == NULL ? -1 : 0;
}

/* GnuTLS's own verdict on the path, so that uctls never passes what
 * GnuTLS rejects (see verify_chain). */
static int
run_gnutls(struct vstate *v)
{
	const struct uctls_verify_ctx *c = v->ctx;
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t anchor = NULL, path[MAX_PATH];
	gnutls_datum_t der = { NULL, 0 };
	unsigned flags;
	size_t i;
	int rv = -1;

	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		return -1;
	/* The trust list owns what it is given: hand it a copy of the anchor. */
	if (gnutls_x509_crt_export2(v->path[v->plen - 1].crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_init(&anchor) < 0 ||
	    gnutls_x509_crt_import(anchor, &der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	if (gnutls_x509_trust_list_add_cas(tl, &anchor, 1, 0) < 0)
		goto out;
	anchor = NULL;
	for (i = 0; i < v->plen; i++)
		path[i] = v->path[i].crt;
	flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	        GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN;
	if (c->profile->allow_sha1)
		flags |= GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
	if (gnutls_x509_trust_list_verify_crt2(tl, path, (unsigned)v->plen, NULL, 0, flags,
	                                       &v->gstatus, NULL) < 0)
		goto out;
	rv = 0;
out:
	if (anchor != NULL)
		gnutls_x509_crt_deinit(anchor);
	gnutls_free(der.data);
	gnutls_x509_trust_list_deinit(tl, 1);
	return rv;
}

static int
gnutls_unexplained(struct vstate *v)
{
	gnutls_datum_t out = { NULL, 0 };
	int rv = 0;

	unsigned status = v->gstatus;

	/* GnuTLS 3.7 counts a self-issued intermediate against
	 * pathLenConstraint, which RFC 5280 6.1.4 (l) forbids, and reports
	 * name constraints with the same bit: uctls checks both itself, in
	 * full (check_links, nc.c), so that bit alone is settled by RFC 5280
	 * (docs/conformance.md). */
	if (status == (GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE))
		status = 0;
	if (status == 0 || v->d->reason != NULL)
		return 0;
	gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
	rv = uctls_diag_problem(v->d, "verify-failed", GNUTLS_A_BAD_CERTIFICATE, NULL,
	                        "GnuTLS rejects the chain %s sent: %s", v->peer,
	                        out.data != NULL ? (const char *)out.data : "?");
	gnutls_free(out.data);
	return rv;
}

/* The checks of one complete path, in order of precedence. */
static int (*const stages[])(struct vstate *) = {
	check_links, check_name_constraints, check_lint, check_algorithms, check_validity,
	check_revocation, check_critical, check_purpose, check_identity, gnutls_unexplained,
};
#define NSTAGES ((int)(sizeof(stages) / sizeof(stages[0])))

static int
add_alt(struct vstate *v, char *text)
{
	char **n;

	if (text == NULL)
		return -1;
	n = realloc(v->alts, (v->nalts + 1) * sizeof(*n));
	if (n == NULL) {
		free(text);
		return -1;
	}
	v->alts = n;
	v->alts[v->nalts++] = text;
	return 0;
}

static char *
path_text(struct vstate *v)
{
	char *s = NULL, *t;
	size_t i;

	for (i = 1; i < v->plen; i++) {
		t = fmt("%s%s%s", s != NULL ? s : "", s != NULL ? " <- " : "", ci_label(&v->path[i]));
		free(s);
		if ((s = t) == NULL)
			return NULL;
	}
	return s != NULL ? s : strdup("the certificate itself");
}

/* Evaluates v->cur, a path that reached a trust anchor; keeps its
 * diagnosis when it is accepted or gets further than the others. */
static int
evaluate(struct vstate *v)
{
	struct uctls_diag d;
	char *via, *alt;
	int i, stage, rv = -1;

	uctls_diag_init(&d);
	path_set(v, v->cur, v->clen, 1);
	v->d = &d;
	v->tried++;
	if (run_gnutls(v) < 0)
		goto out;
	/* Every stage runs, so that later problems are listed as `also'; the
	 * stage of the first is how far this path got. */
	for (i = 0, stage = NSTAGES; i < NSTAGES; i++) {
		if (stages[i](v) < 0)
			goto out;
		if (d.reason != NULL && stage == NSTAGES)
			stage = i;
	}
	if (d.reason == NULL)
		v->done = 1;
	if ((via = path_text(v)) == NULL)
		goto out;
	alt = fmt("the path through %s: %s", via, d.reason != NULL ? d.reason : "accepted");
	free(via);
	if (add_alt(v, alt) < 0)
		goto out;
	if (stage > v->best_stage) {
		uctls_diag_clear(&v->best);
		v->best = d;
		v->best_stage = stage;
		uctls_diag_init(&d);
	}
	rv = 0;
out:
	uctls_diag_clear(&d);
	v->d = NULL;
	return rv;
}

/* Several paths tried: say which, as notes that are not the cause. */
static int
note_alternatives(struct vstate *v, struct uctls_diag *out)
{
	size_t i;

	if (v->nalts < 2 && v->budget <= MAX_BUILD && v->tried < MAX_PATHS)
		return 0;
	for (i = 0; i < v->nalts; i++)
		if (note(out, "path building tried %s - not the cause", v->alts[i]) < 0)
			return -1;
	if ((v->budget > MAX_BUILD || v->tried == MAX_PATHS) &&
	    note(out, "path building stopped after %zu paths and %u candidate issuers (limits "
	              "%d and %d); other paths were not tried",
	         v->tried, v->budget, MAX_PATHS, MAX_BUILD) < 0)
		return -1;
	return 0;
}

static int
no_certificate(const struct uctls_verify_ctx *ctx, struct vstate *v, struct uctls_diag *out)
{
	char hint[256];

	snprintf(hint, sizeof(hint), "configure a certificate on %s", v->peer);
	if (uctls_diag_problem(out, ctx->peer_is_server ? "no-server-cert" : "no-client-cert",
	                       ctx->peer_is_server ? GNUTLS_A_HANDSHAKE_FAILURE
	                                           : GNUTLS_A_CERTIFICATE_REQUIRED,
	                       hint, "%s sent no certificate, and %s requires one", v->peer,
	                       v->verifier) < 0)
		return -1;
	return 1;
}

int
uctls_verify_chain(const struct uctls_verify_ctx *ctx, gnutls_x509_crt_t *chain, size_t n,
                   struct uctls_diag *out)
{
	struct vstate v;
	size_t i;
	int rv = -1;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.chain = chain;
	v.n = n;
	v.best_stage = -1;
	v.verifier = ctx->verifier_id != NULL ? ctx->verifier_id : "the verifier";
	v.peer = ctx->peer_id != NULL ? ctx->peer_id : "the peer";
	if (!ctx->profile->verify_peer)
		return 0;
	if (n == 0)
		return no_certificate(ctx, &v, out);
	v.cur[0] = chain[0];
	v.clen = 1;
	search(&v);
	if (v.oom)
		goto out;
	if (v.tried == 0) {
		v.d = out;
		if (diagnose_unanchored(&v) < 0)
			goto out;
	} else {
		uctls_diag_clear(out);
		*out = v.best;
		uctls_diag_init(&v.best);
		if (note_alternatives(&v, out) < 0)
			goto out;
	}
	rv = out->reason != NULL ? 1 : 0;
out:
	for (i = 0; i < v.plen; i++)
		info_free(&v.path[i]);
	for (i = 0; i < v.nalts; i++)
		free(v.alts[i]);
	free(v.alts);
	uctls_diag_clear(&v.best);
	return rv;
}
