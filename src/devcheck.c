#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "devcheck.h"
#include "install.h"
#include "profile.h"
#include "verify.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

/* Every certificate of the trust files of O, into L.  0, or -1 with ERR. */
static int
load_trust(const struct uctls_check_opts *o, struct crtlist *l, struct uctls_err *err)
{
	gnutls_datum_t t = { NULL, 0 };
	struct unreadable why;
	size_t i;
	int r;

	for (i = 0; i < o->ntrust; i++) {
		if (gnutls_load_file(o->trust_files[i], &t) < 0)
			return uctls_err_set(err, "%s: cannot read", o->trust_files[i]);
		r = read_certs(o->trust_files[i], &t, l, &why, err);
		gnutls_free(t.data);
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
	struct crtlist trust;
	gnutls_datum_t cert, key;
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
	r = uctls_install_check(&rules, &in, &d, err);
	if (r >= 0 && add_step(log, "install", &d, r, t0) < 0)
		r = uctls_err_set(err, "out of memory");
	uctls_diag_clear(&d);
	return r < 0 ? -1 : 0;
}

/* 2. What a handshake would verify, from what the file holds. */
static int
handshake_step(const struct uctls_check_opts *o, const struct files *f, struct uctls_log *log,
               struct uctls_err *err)
{
	struct crtlist chain = { NULL, 0, 0 };
	struct uctls_verify_ctx ctx;
	struct unreadable why = { NULL, NULL };
	struct uctls_diag d;
	double t0 = now_ms();
	int r, rv = -1;

	uctls_diag_init(&d);
	r = read_certs(o->cert_file, &f->cert, &chain, &why, err);
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
		memset(&ctx, 0, sizeof(ctx));
		ctx.profile = f->p;
		ctx.peer_is_server = o->role_server;
		ctx.names = o->names;
		ctx.nnames = o->nnames;
		ctx.trust = f->trust.v;
		ctx.ntrust = f->trust.n;
		ctx.now = o->at;
		ctx.verifier_id = "the device";
		ctx.peer_id = "the certificate's holder";
		ctx.max_depth = o->max_depth;
		r = uctls_verify_chain(&ctx, chain.v, chain.n, &d);
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
	if (load_trust(o, &f.trust, err) < 0)
		goto out;
	if (gnutls_load_file(o->cert_file, &f.cert) < 0) {
		uctls_err_set(err, "%s: cannot read", o->cert_file);
		goto out;
	}
	if (o->key_file != NULL && gnutls_load_file(o->key_file, &f.key) < 0) {
		uctls_err_set(err, "%s: cannot read", o->key_file);
		goto out;
	}
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
	gnutls_free(f.cert.data);
	gnutls_free(f.key.data);
	uctls_log_free(log);
	return rv;
}
