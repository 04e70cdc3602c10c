#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certlint.h"
#include "devcheck.h"
#include "fileio.h"
#include "install.h"
#include "profile.h"
#include "revoke.h"
#include "trust-shadow.h"
#include "verify.h"
#include "warn.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* --- the peer profiles ----------------------------------------------------- */

/* Profiles whose certificate another client verifies too (docs/profiles.md,
 * "Peers in uctls check"). */
static const struct uctls_check_peer peers[] = {
	{ "expressway-e", "jabber", "Jabber over MRA", "the zone",
	  "the Jabber client of Mobile and Remote Access connects to the same Expressway-E "
	  "certificate and, unlike the traversal zone, matches names in its SANs only" },
};

const struct uctls_check_peer *
uctls_check_peer_of(const char *profile)
{
	size_t i;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		if (strcmp(peers[i].profile, profile) == 0)
			return &peers[i];
	return NULL;
}

/* --- reading certificate files ------------------------------------------- */

/* A growing list of certificates (owned). */
struct crtlist {
	gnutls_x509_crt_t *v;
	size_t n, cap;
};

static void
crtlist_free(struct crtlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		gnutls_x509_crt_deinit(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Appends CRT to L, which then owns it.  -1 when out of memory (CRT freed). */
static int
crtlist_add(struct crtlist *l, gnutls_x509_crt_t crt)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		gnutls_x509_crt_t *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			gnutls_x509_crt_deinit(crt);
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = crt;
	return 0;
}

/* Imports DER into L.  Returns 0, the GnuTLS error when DER is not a
 * certificate, or 1 when out of memory. */
static int
import_der(const gnutls_datum_t *der, struct crtlist *l)
{
	gnutls_x509_crt_t crt;
	int ret;

	if (gnutls_x509_crt_init(&crt) < 0)
		return 1;
	ret = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		gnutls_x509_crt_deinit(crt);
		return ret;
	}
	return crtlist_add(l, crt) < 0 ? 1 : 0;
}

/* The next PEM certificate block at or after P (RFC 7468; GnuTLS also reads
 * the old "X509 CERTIFICATE" label), its label in *LABEL; NULL when none. */
static const unsigned char *
next_block(const unsigned char *p, const unsigned char *end, const char **label)
{
	static const char *const labels[] = { "CERTIFICATE", "X509 CERTIFICATE" };
	const unsigned char *best = NULL, *at;
	char begin[48];
	size_t i;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		snprintf(begin, sizeof(begin), "-----BEGIN %s-----", labels[i]);
		at = memmem(p, (size_t)(end - p), begin, strlen(begin));
		if (at != NULL && (best == NULL || at < best)) {
			best = at;
			*label = labels[i];
		}
	}
	return best;
}

/* Why a file could not be read: the reason and the words. */
struct unreadable {
	const char *reason; /* "bad-format" or "malformed-certificate" */
	char *msg;          /* owned */
};

/* The certificates of DATA (PEM blocks, or one DER certificate), read from
 * FILE, appended to L.  Returns 0; 1 with *WHY set when they cannot be read;
 * -1 with ERR set when out of memory or the file holds more than
 * UCTLS_CHECK_MAX_FILE_CERTS certificates. */
static int
read_certs(const char *file, const gnutls_datum_t *data, struct crtlist *l,
           struct unreadable *why, struct uctls_err *err)
{
	const unsigned char *end = data->data + data->size, *p;
	const char *label = NULL;
	gnutls_datum_t blk, der;
	size_t k = 0;
	int ret;

	why->msg = NULL;
	for (p = next_block(data->data, end, &label); p != NULL;
	     p = next_block(p + 1, end, &label)) {
		if (++k > UCTLS_CHECK_MAX_FILE_CERTS)
			return uctls_err_set(err, "%s: holds more than %d certificates, the most "
			                     "uctls check reads from one file", file,
			                     UCTLS_CHECK_MAX_FILE_CERTS);
		blk.data = (unsigned char *)p;
		blk.size = (unsigned)(end - p);
		ret = gnutls_pem_base64_decode2(label, &blk, &der);
		if (ret < 0) {
			why->reason = "bad-format";
			why->msg = uctls_install_damaged_msg(file, k, ret);
			return why->msg != NULL ? 1 : uctls_err_set(err, "out of memory");
		}
		ret = import_der(&der, l);
		gnutls_free(der.data);
		if (ret < 0) {
			/* GnuTLS refuses a certificate with an extension
			 * twice at import (RFC 5280 4.2). */
			why->reason = ret == GNUTLS_E_X509_DUPLICATE_EXTENSION
			                      ? "duplicate-extension"
			                      : "malformed-certificate";
			why->msg = uctls_install_malformed_msg(file, k, ret);
			return why->msg != NULL ? 1 : uctls_err_set(err, "out of memory");
		}
		if (ret > 0)
			return uctls_err_set(err, "out of memory");
	}
	if (k > 0)
		return 0;
	ret = import_der(data, l);
	if (ret > 0)
		return uctls_err_set(err, "out of memory");
	if (ret == 0)
		return 0;
	why->reason = "bad-format";
	why->msg = uctls_install_nocert_msg(file);
	return why->msg != NULL ? 1 : uctls_err_set(err, "out of memory");
}

/* The bytes of PATH into *D (malloc'd): a regular file of at most
 * UCTLS_FILE_MAX_PEM bytes.  0, or -1 with ERR ("PATH: why"). */
static int
load_file(const char *path, gnutls_datum_t *d, struct uctls_err *err)
{
	unsigned char *data;
	size_t len;

	if (uctls_file_read(path, UCTLS_FILE_MAX_PEM, &data, &len, err) < 0)
		return -1;
	d->data = data;
	d->size = (unsigned)len;
	return 0;
}

/* Every certificate of the trust files of O, into L.  0, or -1 with ERR. */
static int
load_trust(const struct uctls_check_opts *o, struct crtlist *l, struct uctls_err *err)
{
	gnutls_datum_t t = { NULL, 0 };
	struct unreadable why;
	size_t i;
	int r;

	for (i = 0; i < o->ntrust; i++) {
		if (load_file(o->trust_files[i], &t, err) < 0)
			return -1;
		r = read_certs(o->trust_files[i], &t, l, &why, err);
		free(t.data);
		t.data = NULL;
		if (r == 1) { /* the words name the file */
			uctls_err_set(err, "%s", why.msg);
			free(why.msg);
			return -1;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

/* --- notes -------------------------------------------------------------- */

/* Adds TEXT (owned; NULL: out of memory) to the notes of D.  0 or -1. */
static int
diag_note_take(struct uctls_diag *d, char *text)
{
	char **v;

	if (text == NULL)
		return -1;
	v = realloc(d->also, (d->nalso + 1) * sizeof(*v));
	if (v == NULL) {
		free(text);
		return -1;
	}
	d->also = v;
	d->also[d->nalso++] = text;
	return 0;
}

static int
diag_note(struct uctls_diag *d, const char *f, ...) __attribute__((format(printf, 2, 3)));

static int
diag_note(struct uctls_diag *d, const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, f);
	r = vasprintf(&s, f, ap);
	va_end(ap);
	return diag_note_take(d, r < 0 ? NULL : s);
}

/* A note of the verifier copied into D: an expiry within the warning
 * window (verify.c check_validity: "... expires in N days ... - not the
 * cause") is a warning. */
static int
copy_note(struct uctls_diag *d, const char *text)
{
	int expiry = uctls_warn_expiry_len(text) != 0; /* shared with uctls run (warn.h) */

	return diag_note(d, "%s%s", expiry ? UCTLS_WARN_PREFIX : "", text);
}

/* Moves the verdict of V into D: V's cause becomes D's when D has none,
 * else an `also' of D; V's notes follow.  0 or -1. */
static int
merge(struct uctls_diag *d, struct uctls_diag *v)
{
	size_t i;

	if (v->reason != NULL && d->reason == NULL) {
		d->reason = v->reason;
		d->detail = v->detail;
		d->hint = v->hint;
		d->alert = v->alert;
		v->reason = v->detail = v->hint = NULL;
	} else if (v->reason != NULL &&
	           diag_note(d, "%s: %s", v->reason, v->detail != NULL ? v->detail : "") < 0) {
		return -1;
	}
	if (d->matched == NULL) {
		d->matched = v->matched;
		v->matched = NULL;
	}
	for (i = 0; i < v->nalso; i++)
		if (copy_note(d, v->also[i]) < 0)
			return -1;
	return 0;
}

/* --- the steps ------------------------------------------------------------- */

static int
add_step(struct uctls_log *log, const char *step, const struct uctls_diag *d, int failed,
         double t0)
{
	struct uctls_step *rec;
	size_t i;

	rec = uctls_log_add(log, step, "device", failed ? UCTLS_FAIL : UCTLS_PASS, d->reason,
	                    d->detail != NULL ? d->detail : d->matched, d->hint, now_ms() - t0);
	for (i = 0; rec != NULL && i < d->nalso; i++)
		if (uctls_log_add_also(rec, d->also[i]) < 0)
			return -1;
	return rec != NULL ? 0 : -1;
}

/* The files as loaded. */
struct files {
	const struct uctls_profile *p;
	struct uctls_revoke *rv; /* --crl, --ocsp-response (revoke.h); NULL: none */
	struct crtlist trust;
	gnutls_datum_t cert, key;
	gnutls_datum_t bundle; /* --bundle; empty: none */
};

/* 1. What the device checks on upload. */
static int
install_step(const struct uctls_check_opts *o, const struct files *f, struct uctls_log *log,
             struct uctls_err *err)
{
	struct uctls_install_rules rules;
	struct uctls_install_input in;
	struct uctls_diag d;
	double t0 = now_ms();
	int r;

	uctls_diag_init(&d);
	uctls_install_rules_of(f->p, &rules);
	memset(&in, 0, sizeof(in));
	in.name = o->cert_file;
	in.cert = f->cert.data;
	in.cert_len = f->cert.size;
	in.key = f->key.data;
	in.key_len = f->key.size;
	in.csr_sans = o->csr_sans;
	in.trust = f->trust.v;
	in.ntrust = f->trust.n;
	in.now = o->at;
	if (o->bundle_file != NULL) { /* cms-bundle.h */
		in.bundle = f->bundle.data;
		in.bundle_len = f->bundle.size;
		in.bundle_name = o->bundle_file;
	}
	r = uctls_install_check(&rules, &in, &d, err);
	if (r >= 0 && o->key_file == NULL &&
	    diag_note(&d, "key: not checked, no --key given") < 0)
		r = uctls_err_set(err, "out of memory");
	if (r >= 0 && o->csr_sans == NULL &&
	    diag_note(&d, "SANs of the CSR: not checked, no --csr-san given") < 0)
		r = uctls_err_set(err, "out of memory");
	if (r >= 0 && add_step(log, "install", &d, r, t0) < 0)
		r = uctls_err_set(err, "out of memory");
	uctls_diag_clear(&d);
	return r < 0 ? -1 : 0;
}

/* --- the end-entity certificate ------------------------------------------ */

static int
is_ca(gnutls_x509_crt_t crt)
{
	unsigned ca = 0;
	int pathlen = -1;

	return gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, &pathlen) >= 0 && ca;
}

/* 1 when CRTS[I] is the issuer of another certificate of CRTS. */
static int
issued_other(gnutls_x509_crt_t *crts, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (j != i && gnutls_x509_crt_check_issuer(crts[j], crts[i]))
			return 1;
	return 0;
}

/* The certificate of CRTS whose public key is KEY's; N when none. */
static size_t
by_key(gnutls_x509_crt_t *crts, size_t n, gnutls_x509_privkey_t key)
{
	unsigned char kid[64], cid[64];
	size_t klen = sizeof(kid), clen, i;

	if (key == NULL ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, kid, &klen) < 0)
		return n;
	for (i = 0; i < n; i++) {
		clen = sizeof(cid);
		if (gnutls_x509_crt_get_key_id(crts[i], GNUTLS_KEYID_USE_SHA256, cid, &clen) >= 0 &&
		    clen == klen && memcmp(cid, kid, klen) == 0)
			return i;
	}
	return n;
}

/* The one certificate of CRTS that issued no other and is not a CA (NONCA)
 * or not self-issued (!NONCA); N when none or several. */
static size_t
unique_end(gnutls_x509_crt_t *crts, size_t n, int nonca)
{
	size_t i, found = n, count = 0;

	for (i = 0; i < n; i++) {
		if (nonca ? is_ca(crts[i]) : gnutls_x509_crt_check_issuer(crts[i], crts[i]) != 0)
			continue;
		if (issued_other(crts, n, i))
			continue;
		found = i;
		count++;
	}
	return count == 1 ? found : n;
}

size_t
uctls_check_find_leaf(gnutls_x509_crt_t *crts, size_t n, gnutls_x509_privkey_t key,
                      const char **how)
{
	const char *h = "the first certificate of the file";
	size_t i = 0;

	if (n <= 1) {
		h = "the only certificate of the file";
	} else if ((i = by_key(crts, n, key)) < n) {
		h = "its public key is the --key's";
	} else if ((i = unique_end(crts, n, 1)) < n) {
		h = "the only certificate of the file that is not a CA and issued no other";
	} else if ((i = unique_end(crts, n, 0)) < n) {
		h = "the end of the chain the file holds";
	} else {
		i = 0;
	}
	if (how != NULL)
		*how = h;
	return i;
}

/* The private key of F for finding the end entity, or NULL (none given, or
 * unusable: the install step says why). */
static gnutls_x509_privkey_t
load_key(const struct files *f)
{
	gnutls_x509_privkey_t key;
	int pem;

	if (f->key.size == 0 || gnutls_x509_privkey_init(&key) < 0)
		return NULL;
	pem = memmem(f->key.data, f->key.size, "-----BEGIN ", 11) != NULL;
	if (gnutls_x509_privkey_import2(key, &f->key,
	                                pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, NULL,
	                                0) < 0) {
		gnutls_x509_privkey_deinit(key);
		return NULL;
	}
	return key;
}

/* --- the handshake step ---------------------------------------------------- */

static const char hint_order[] =
	"put the end-entity certificate first in the file, then each issuing CA in turn, the "
	"root last (or leave the root out)";

/* The end entity is at LEAF, not first: a bundle-order failure of D when
 * the profile cares about the order (its install rules bundle-order or
 * ca-first: the device takes the first certificate of the file as its
 * own), else a note.  0 or -1. */
static int
order_problem(const struct uctls_check_opts *o, const struct files *f, gnutls_x509_crt_t *crts,
              size_t leaf, const char *how, struct uctls_diag *d)
{
	char *first = uctls_verify_dn(crts[0], 0), *ee = uctls_verify_dn(crts[leaf], 0);
	int rv = -1;

	if (first == NULL || ee == NULL)
		goto out;
	if (f->p->inst_bundle_order || f->p->inst_ca_first)
		rv = uctls_diag_problem(d, "bundle-order", 0, hint_order,
		                        "`%s' is in the wrong order: position 1 is `%s'%s, but the "
		                        "end-entity certificate is `%s' at position %zu (%s); "
		                        "%s takes the first certificate of the file as the "
		                        "certificate's own and would present `%s'",
		                        o->cert_file, first, is_ca(crts[0]) ? ", a CA certificate" : "",
		                        ee, leaf + 1, how, f->p->name, first);
	else
		rv = diag_note(d, "bundle-order (not a failure for profile %s): position 1 of `%s' "
		                  "is `%s', the end-entity certificate `%s' is at position %zu (%s); "
		                  "it was verified from there, but put it first",
		               f->p->name, o->cert_file, first, ee, leaf + 1, how);
out:
	free(first);
	free(ee);
	return rv;
}

/* Verifies SENT (the end entity first) as profile P would, into D. */
static int
verify_as(const struct uctls_check_opts *o, const struct uctls_profile *p, int server,
          const struct files *f, gnutls_x509_crt_t *sent, size_t n, struct uctls_diag *d)
{
	struct uctls_verify_ctx ctx;
	gnutls_x509_crt_t *kept = NULL;
	long gone, by;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.profile = p;
	ctx.peer_is_server = server;
	ctx.names = o->names;
	ctx.nnames = o->nnames;
	ctx.trust = f->trust.v;
	ctx.ntrust = f->trust.n;
	/* one self-signed certificate per CN (trust-shadow.h) */
	if (p->trust_one_per_subject && f->trust.n > 1) {
		if ((kept = calloc(f->trust.n, sizeof(*kept))) == NULL)
			return -1;
		ctx.ntrust = uctls_shadow_crts(f->trust.v, f->trust.n, kept, &gone, &by);
		ctx.trust = kept;
	}
	ctx.now = o->at;
	ctx.verifier_id = "the device";
	ctx.peer_id = "the certificate's holder";
	ctx.max_depth = o->max_depth;
	ctx.warn_days = o->warn_days;
	ctx.revoke = f->rv;
	r = uctls_verify_chain(&ctx, sent, n, d);
	free(kept);
	return r;
}

/* The trust files hold self-signed certificates with one CN and the
 * profile trusts only the first (trust-shadow.h).  V: the profile's
 * verification of SENT (N).  When it failed and SENT passes with every
 * certificate of the files trusted, the shadowing is the cause: V's detail
 * and hint say so, as a run's do; otherwise it is a note of V.  0, or -1
 * out of memory. */
static int
shadow_diag(const struct uctls_check_opts *o, const struct files *f, gnutls_x509_crt_t *sent,
            size_t n, struct uctls_diag *v)
{
	struct uctls_profile all = *f->p;
	struct uctls_diag w;
	gnutls_x509_crt_t *kept;
	gnutls_datum_t dn = { NULL, 0 };
	long gone = -1, by = -1;
	int r = 0, cause = 0;

	if (!f->p->trust_one_per_subject || f->trust.n < 2)
		return 0;
	if ((kept = calloc(f->trust.n, sizeof(*kept))) == NULL)
		return -1;
	uctls_shadow_crts(f->trust.v, f->trust.n, kept, &gone, &by);
	free(kept);
	if (gone < 0 || gnutls_x509_crt_get_dn3(f->trust.v[gone], &dn, 0) < 0)
		return 0;
	all.trust_one_per_subject = 0; /* the same device, trusting every certificate */
	uctls_diag_init(&w);
	if (v->reason != NULL)
		cause = verify_as(o, &all, o->role_server, f, sent, n, &w) == 0;
	uctls_diag_clear(&w);
	if (cause) {
		free(v->detail);
		free(v->hint);
		if (asprintf(&v->detail, "the trust files hold `%.*s' (certificate %ld), but "
		             "certificate %ld, a self-signed certificate with the same CN earlier "
		             "in the list, shadows it: profile %s trusts only the first",
		             (int)dn.size, (const char *)dn.data, gone + 1, by + 1, f->p->name) < 0)
			v->detail = NULL;
		if (asprintf(&v->hint, "give the certificates distinct CNs (re-issue `%.*s' with a "
		             "CN of its own), or use CA-signed certificates",
		             (int)dn.size, (const char *)dn.data) < 0)
			v->hint = NULL;
		r = v->detail != NULL && v->hint != NULL ? 0 : -1;
	} else
		r = diag_note(v, "trust list: certificate %ld (%.*s) is self-signed with the CN of "
		                 "certificate %ld, which shadows it: profile %s trusts only the first; "
		                 "give the CallManager and tomcat certificates distinct CNs or use "
		                 "CA-signed certificates", gone + 1, (int)dn.size, (const char *)dn.data,
		              by + 1, f->p->name);
	gnutls_free(dn.data);
	return r < 0 ? -1 : 0;
}

/* The peer profile (uctls_check_peer_of) verifies SENT too: its failure is
 * a warning of D.  PASSED: the profile's own verification passed. */
static int
peer_check(const struct uctls_check_opts *o, const struct files *f, gnutls_x509_crt_t *sent,
           size_t n, int passed, struct uctls_diag *d)
{
	const struct uctls_check_peer *pe = uctls_check_peer_of(f->p->name);
	const struct uctls_profile *pp;
	struct uctls_diag pd;
	int r;

	if (pe == NULL || (pp = uctls_profile_find(pe->peer)) == NULL)
		return 0;
	uctls_diag_init(&pd);
	r = verify_as(o, pp, 1, f, sent, n, &pd);
	if (r == 0)
		r = diag_note(d, "%s (profile %s) would accept it too%s", pe->who, pe->peer,
		              o->nnames == 0 ? " (names not checked)" : "");
	else if (r == 1 && passed)
		r = diag_note(d, "warning: passes for %s, but %s would refuse it: %s - %s (profile "
		                 "%s: %s)", pe->what, pe->who, pd.reason,
		              pd.detail != NULL ? pd.detail : "", pe->peer, pe->why);
	else if (r == 1)
		r = diag_note(d, "warning: %s would refuse it as well: %s - %s (profile %s: %s)",
		              pe->who, pd.reason, pd.detail != NULL ? pd.detail : "", pe->peer,
		              pe->why);
	uctls_diag_clear(&pd);
	return r < 0 ? -1 : 0;
}

/* A candidate fix (F2: the files with the change) verified as the profile
 * of the check would: 0 when it passes.  BUF receives the result's words,
 * with, when the call gave several profiles, whether each of them passes
 * with the same change ("one change for every profile"). */
static int
verify_every(const struct uctls_check_opts *o, const struct files *f2, gnutls_x509_crt_t *sent,
             size_t n, char *buf, size_t len)
{
	const struct uctls_profile *p;
	struct uctls_diag d;
	size_t i, at;
	int r, r2, all = 1;

	uctls_diag_init(&d);
	r = verify_as(o, f2->p, o->role_server, f2, sent, n, &d);
	uctls_diag_clear(&d);
	at = (size_t)snprintf(buf, len, "verified: the tls-handshake checks pass with it");
	for (i = 0; r == 0 && i < o->nprofiles && at < len; i++) {
		if ((p = uctls_profile_find(o->profiles[i])) == NULL || p == f2->p)
			continue;
		r2 = verify_as(o, p, o->role_server, f2, sent, n, &d);
		if (r2 != 0) {
			at += (size_t)snprintf(buf + at, len - at, "%s %s still fails (%s)",
			                       all ? "; with it, profile" : ", profile", p->name,
			                       d.reason != NULL ? d.reason : "?");
			all = 0;
		}
		uctls_diag_clear(&d);
	}
	if (r == 0 && all && o->nprofiles > 1 && at < len)
		snprintf(buf + at, len - at, ", for every profile given");
	return r;
}

/* Verified fixes for files (fix.h does it for scenarios): each change
 * the user can make to the bundle or the trust list is re-verified, and
 * kept in LOG when it makes this profile's verification pass.  SENT holds
 * the end entity first (the order fix), CHAIN the file's order. */
/* ITEM appended to the comma list *LIST (grown; NULL: empty) unless it is
 * there already; -1 when out of memory. */
static int
list_add(char **list, const char *item)
{
	size_t l = strlen(item);
	const char *p;
	char *t;

	for (p = *list; p != NULL && *p != '\0'; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
		if (strncmp(p, item, l) == 0 && (p[l] == ',' || p[l] == '\0'))
			return 0;
	if (asprintf(&t, "%s%s%s", *list != NULL ? *list : "", *list != NULL ? "," : "", item) < 0)
		return -1;
	free(*list);
	*list = t;
	return 0;
}

/* uctls_san_foreach: the DNS names and IP addresses of a certificate as
 * a comma list (ARG: a char **, list_add). */
static int
san_text(void *arg, int type, const char *val, size_t len)
{
	char ip[64];

	if (type == GNUTLS_SAN_IPADDRESS) {
		if (inet_ntop(len == 16 ? AF_INET6 : AF_INET, val, ip, sizeof(ip)) == NULL)
			return 0;
		val = ip;
	} else if (type != GNUTLS_SAN_DNSNAME) {
		return 0;
	}
	return list_add(arg, val);
}

/* A name the certificate lacks (REASON one of the name reasons): the
 * certificate requested again with the first --name as a subject
 * alternative name (beside the --csr-san list, when given), checked against
 * the name rules of every profile of the call. */
static int
csr_fix(const struct uctls_check_opts *o, const struct files *f, gnutls_x509_crt_t crt,
        const char *reason, struct uctls_log *log)
{
	static const char *const why[] = { "name-mismatch", "cn-only-no-san",
		                           "wildcard-not-allowed", "wildcard-missing", NULL };
	const struct uctls_profile *p;
	const char *miss = NULL;
	char *what = NULL, *sans = NULL, res[256];
	size_t i;
	int r;

	for (i = 0; why[i] != NULL && strcmp(why[i], reason) != 0; i++)
		;
	if (why[i] == NULL || o->nnames == 0)
		return 0;
	r = uctls_verify_names_with(crt, f->p, o->names[0], o->names, o->nnames);
	for (i = 0; r == 1 && i < o->nprofiles; i++)
		if ((p = uctls_profile_find(o->profiles[i])) != NULL && p != f->p &&
		    (r = uctls_verify_names_with(crt, p, o->names[0], o->names, o->nnames)) == 0) {
			miss = miss != NULL ? miss : p->name;
			r = 1;
		}
	if (r != 1)
		return r < 0 ? -1 : 0;
	if (miss != NULL)
		snprintf(res, sizeof(res), "verified for the names: the name check passes with it; "
		         "profile %s still does not match (the rest of the certificate as checked "
		         "above)", miss);
	else
		snprintf(res, sizeof(res), "verified for the names: the name check%s with it (the "
		         "rest of the certificate as checked above)",
		         o->nprofiles > 1 ? "s of every profile given pass" : " passes");
	/* The request's SANs: --csr-san's, else the certificate's own; then
	 * the name, each once. */
	if (o->csr_sans == NULL)
		r = uctls_san_foreach(crt, san_text, &sans);
	for (i = 0; r >= 0 && o->csr_sans != NULL && o->csr_sans[i] != NULL; i++)
		r = list_add(&sans, o->csr_sans[i]);
	if (r < 0 || list_add(&sans, o->names[0]) < 0) {
		free(sans);
		return -1;
	}
	if (asprintf(&what, "request the certificate again with `%s' as a subject alternative name "
	                    "(the certificate request's SANs: %s)", o->names[0], sans) < 0)
		what = NULL;
	r = what == NULL ? -1 : uctls_log_add_fix(log, what, 1, res);
	free(what);
	free(sans);
	return r;
}

static int
check_fixes(const struct uctls_check_opts *o, const struct files *f, gnutls_x509_crt_t *sent,
            size_t n, size_t leaf, const char *reason, struct uctls_log *log)
{
	struct files f2 = *f;
	gnutls_x509_crt_t *tv = NULL;
	char res[512];
	size_t i;
	int rv = 0;

	/* The bundle in the order the device needs: verified as it was (the
	 * chain is always verified from the end entity). */
	if (leaf != 0 && verify_every(o, f, sent, n, res, sizeof(res)) == 0 &&
	    uctls_log_add_fix(log, "put the end-entity certificate first in the bundle, then its "
	                           "intermediates, then the root", 1, res) < 0)
		return -1;
	/* A self-signed CA the bundle carries, added to the trust list. */
	for (i = 1; i < n && rv == 0; i++) {
		char *what, *dn;

		if (!is_ca(sent[i]) || !gnutls_x509_crt_check_issuer(sent[i], sent[i]))
			continue;
		if (tv == NULL && (tv = calloc(f->trust.n + 1, sizeof(*tv))) == NULL)
			return -1;
		if (f->trust.n > 0)
			memcpy(tv, f->trust.v, f->trust.n * sizeof(*tv));
		tv[f->trust.n] = sent[i];
		f2.trust.v = tv;
		f2.trust.n = f->trust.n + 1;
		if (verify_every(o, &f2, sent, n, res, sizeof(res)) != 0)
			continue;
		dn = uctls_verify_dn(sent[i], 0);
		if (asprintf(&what, "add the root CA `%s', which the bundle carries, to the device's "
		                    "trust list (if it is the CA you mean to trust)",
		             dn != NULL ? dn : "?") < 0)
			what = NULL;
		rv = what != NULL ? uctls_log_add_fix(log, what, 1, res) : -1;
		free(what);
		free(dn);
	}
	free(tv);
	return rv < 0 ? -1 : csr_fix(o, f, sent[leaf], reason, log);
}

/* The certificates of CHAIN, the end entity first, verified into D. */
static int
check_chain(const struct uctls_check_opts *o, const struct files *f, struct crtlist *chain,
            struct uctls_diag *d, struct uctls_log *log)
{
	gnutls_x509_privkey_t key = load_key(f);
	gnutls_x509_crt_t *sent = calloc(chain->n + 1, sizeof(*sent));
	struct uctls_diag vd;
	const char *how = NULL;
	size_t leaf, i, k = 1;
	int r, rv = -1;

	uctls_diag_init(&vd);
	if (sent == NULL)
		goto out;
	leaf = uctls_check_find_leaf(chain->v, chain->n, key, &how);
	sent[0] = chain->v[leaf];
	for (i = 0; i < chain->n; i++)
		if (i != leaf)
			sent[k++] = chain->v[i];
	if (leaf != 0 && order_problem(o, f, chain->v, leaf, how, d) < 0)
		goto out;
	r = verify_as(o, f->p, o->role_server, f, sent, chain->n, &vd);
	if (r < 0 || shadow_diag(o, f, sent, chain->n, &vd) < 0 || merge(d, &vd) < 0)
		goto out;
	/* The order the cause: what the end entity itself is worth. */
	if (leaf != 0 && r == 0 && d->reason != NULL &&
	    diag_note(d, "verified from the end-entity certificate at position %zu, the chain "
	                 "passes: only the order is wrong", leaf + 1) < 0)
		goto out;
	if (!f->p->verify_peer &&
	    diag_note(d, "chain, names and purpose: not checked, profile %s does not verify "
	                 "certificates", f->p->name) < 0)
		goto out;
	if (f->p->verify_peer && o->nnames == 0 &&
	    diag_note(d, "names: not checked, no --name given") < 0)
		goto out;
	/* The device would ask its CRL distribution points or OCSP responders;
	 * uctls check reaches none (revoke.h). */
	if (f->p->verify_peer && f->rv == NULL && (f->p->rev_crl || f->p->rev_ocsp) &&
	    diag_note(d, "revocation: not checked, profile %s checks %s and uctls check fetches "
	                 "nothing; give --crl FILE or --ocsp-response FILE", f->p->name,
	              f->p->rev_crl && f->p->rev_ocsp ? "CRLs and OCSP"
	              : f->p->rev_crl                 ? "CRLs"
	                                              : "OCSP") < 0)
		goto out;
	if (peer_check(o, f, sent, chain->n, r == 0, d) < 0)
		goto out;
	if (d->reason != NULL && check_fixes(o, f, sent, chain->n, leaf, d->reason, log) < 0)
		goto out;
	rv = d->reason != NULL ? 1 : 0;
out:
	uctls_diag_clear(&vd);
	free(sent);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rv;
}

/* The certificates of the --bundle file appended to CHAIN: the device sends
 * them after the certificate (`callbridge certs <key> <cert> <bundle>', doc
 * 214618).  One that cannot be read adds nothing: the install step says why.
 * 0, or -1 with ERR. */
static int
add_bundle(const struct uctls_check_opts *o, const struct files *f, struct crtlist *chain,
           struct uctls_err *err)
{
	struct crtlist b = { NULL, 0, 0 };
	struct unreadable why = { NULL, NULL };
	size_t i;
	int r;

	r = read_certs(o->bundle_file, &f->bundle, &b, &why, err);
	free(why.msg);
	for (i = 0; r == 0 && i < b.n; i++) {
		r = crtlist_add(chain, b.v[i]);
		b.v[i] = NULL;
	}
	if (r < 0 && !err->set)
		uctls_err_set(err, "out of memory");
	for (; i < b.n; i++)
		gnutls_x509_crt_deinit(b.v[i]);
	free(b.v);
	return r < 0 ? -1 : 0;
}

/* 2. What a handshake would verify, from what the file holds. */
static int
handshake_step(const struct uctls_check_opts *o, const struct files *f, struct uctls_log *log,
               struct uctls_err *err)
{
	struct crtlist chain = { NULL, 0, 0 };
	struct unreadable why = { NULL, NULL };
	struct uctls_diag d;
	double t0 = now_ms();
	int r, rv = -1;

	uctls_diag_init(&d);
	r = read_certs(o->cert_file, &f->cert, &chain, &why, err);
	if (r == 0 && o->bundle_file != NULL)
		r = add_bundle(o, f, &chain, err);
	if (r < 0)
		goto out;
	if (r == 1) {
		if (uctls_diag_problem(&d, why.reason, 0,
		                       strcmp(why.reason, "bad-format") == 0
		                               ? "upload the certificate as PEM, as exported by its CA"
		                               : uctls_install_hint_malformed,
		                       "%s", why.msg) < 0)
			goto nomem;
	} else {
		r = check_chain(o, f, &chain, &d, log);
		if (r < 0)
			goto nomem;
	}
	if (add_step(log, "tls-handshake", &d, r, t0) < 0)
		goto nomem;
	rv = 0;
	goto out;
nomem:
	uctls_err_set(err, "out of memory or GnuTLS failure");
out:
	free(why.msg);
	uctls_diag_clear(&d);
	crtlist_free(&chain);
	return rv;
}

int
uctls_check_files(const struct uctls_check_opts *o, struct uctls_log **out, struct uctls_err *err)
{
	struct files f;
	struct uctls_log *log = NULL;
	int rv = -1;

	memset(&f, 0, sizeof(f));
	f.p = uctls_profile_find(o->profile);
	if (f.p == NULL)
		return uctls_err_set(err, "unknown profile `%s' (see uctls profiles)", o->profile);
	if (load_trust(o, &f.trust, err) < 0 ||
	    ((o->ncrl > 0 || o->ocsp_file != NULL) &&
	     uctls_revoke_new_files(o->crl_files, o->ncrl, o->ocsp_file, &f.rv, err) < 0))
		goto out;
	if (load_file(o->cert_file, &f.cert, err) < 0 ||
	    (o->key_file != NULL && load_file(o->key_file, &f.key, err) < 0) ||
	    (o->bundle_file != NULL && load_file(o->bundle_file, &f.bundle, err) < 0))
		goto out;
	log = uctls_log_new("check", o->cert_file, "check");
	if (log == NULL || uctls_log_side(log, "device", o->role_server ? "client" : "server",
	                                  f.p->name) == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	if (install_step(o, &f, log, err) < 0 || handshake_step(o, &f, log, err) < 0)
		goto out;
	*out = log;
	log = NULL;
	rv = 0;
out:
	crtlist_free(&f.trust);
	uctls_revoke_free(f.rv);
	free(f.cert.data);
	free(f.key.data);
	free(f.bundle.data);
	uctls_log_free(log);
	return rv;
}
