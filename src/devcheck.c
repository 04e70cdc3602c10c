#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "devcheck.h"
#include "install.h"
#include "profile.h"
#include "verify.h"

#define MAX_CERTS 64

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Certificates of DATA (PEM, several allowed, or one DER) appended to
 * LIST. */
static int
import_all(const gnutls_datum_t *data, gnutls_x509_crt_t *list, size_t *n)
{
	gnutls_x509_crt_t *got = NULL;
	unsigned ng = 0, i;

	if (gnutls_x509_crt_list_import2(&got, &ng, data, GNUTLS_X509_FMT_PEM, 0) < 0 || ng == 0) {
		gnutls_x509_crt_t one;

		if (gnutls_x509_crt_init(&one) < 0)
			return -1;
		if (gnutls_x509_crt_import(one, data, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(one);
			return -1;
		}
		if (*n >= MAX_CERTS) {
			gnutls_x509_crt_deinit(one);
			return -1;
		}
		list[(*n)++] = one;
		return 0;
	}
	for (i = 0; i < ng; i++) {
		if (*n < MAX_CERTS)
			list[(*n)++] = got[i];
		else
			gnutls_x509_crt_deinit(got[i]);
	}
	gnutls_free(got);
	return 0;
}

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

int
uctls_check_files(const struct uctls_check_opts *o, struct uctls_log **out, struct uctls_err *err)
{
	const struct uctls_profile *p = uctls_profile_find(o->profile);
	gnutls_x509_crt_t trust[MAX_CERTS], chain[MAX_CERTS];
	size_t ntrust = 0, nchain = 0, i;
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 }, t = { NULL, 0 };
	struct uctls_install_rules rules;
	struct uctls_install_input in;
	struct uctls_verify_ctx ctx;
	struct uctls_diag d;
	struct uctls_log *log = NULL;
	double t0;
	int rv = -1, r;

	uctls_diag_init(&d);
	if (p == NULL)
		return uctls_err_set(err, "unknown profile `%s' (see uctls profiles)", o->profile);
	for (i = 0; i < o->ntrust; i++) {
		if (gnutls_load_file(o->trust_files[i], &t) < 0) {
			uctls_err_set(err, "%s: cannot read", o->trust_files[i]);
			goto out;
		}
		r = import_all(&t, trust, &ntrust);
		gnutls_free(t.data);
		t.data = NULL;
		if (r < 0) {
			uctls_err_set(err, "%s: no PEM or DER certificate", o->trust_files[i]);
			goto out;
		}
	}
	if (gnutls_load_file(o->cert_file, &cert) < 0) {
		uctls_err_set(err, "%s: cannot read", o->cert_file);
		goto out;
	}
	if (o->key_file != NULL && gnutls_load_file(o->key_file, &key) < 0) {
		uctls_err_set(err, "%s: cannot read", o->key_file);
		goto out;
	}
	log = uctls_log_new("check", o->cert_file, "check");
	if (log == NULL || uctls_log_side(log, "device", o->role_server ? "client" : "server",
	                                  p->name) == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}

	/* 1. What the device checks on upload. */
	t0 = now_ms();
	uctls_install_rules_of(p, &rules);
	memset(&in, 0, sizeof(in));
	in.name = o->cert_file;
	in.cert = cert.data;
	in.cert_len = cert.size;
	in.key = key.data;
	in.key_len = key.size;
	in.csr_sans = o->csr_sans;
	in.trust = trust;
	in.ntrust = ntrust;
	in.now = o->at;
	r = uctls_install_check(&rules, &in, &d, err);
	if (r < 0 || add_step(log, "install", &d, r, t0) < 0)
		goto out;
	uctls_diag_clear(&d);

	/* 2. What a handshake would verify, from what the file holds. */
	t0 = now_ms();
	if (import_all(&cert, chain, &nchain) < 0) {
		uctls_diag_problem(&d, "bad-format", 0, "upload the certificate as PEM",
		                   "%s holds no certificate GnuTLS can read", o->cert_file);
		if (add_step(log, "tls-handshake", &d, 1, t0) < 0)
			goto out;
	} else {
		memset(&ctx, 0, sizeof(ctx));
		ctx.profile = p;
		ctx.peer_is_server = o->role_server;
		ctx.names = o->names;
		ctx.nnames = o->nnames;
		ctx.trust = trust;
		ctx.ntrust = ntrust;
		ctx.now = o->at;
		ctx.verifier_id = "the device";
		ctx.peer_id = "the certificate's holder";
		r = uctls_verify_chain(&ctx, chain, nchain, &d);
		if (r < 0 || add_step(log, "tls-handshake", &d, r, t0) < 0)
			goto out;
	}
	*out = log;
	log = NULL;
	rv = 0;
out:
	uctls_diag_clear(&d);
	for (i = 0; i < ntrust; i++)
		gnutls_x509_crt_deinit(trust[i]);
	for (i = 0; i < nchain; i++)
		gnutls_x509_crt_deinit(chain[i]);
	gnutls_free(cert.data);
	gnutls_free(key.data);
	uctls_log_free(log);
	return rv;
}
