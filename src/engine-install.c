#include "config.h"

#include "engine-int.h"
#include "cms-bundle.h"
#include "fileio.h"
#include "store.h"

/* --- the install step (install.h) ----------------------------------------- */

/* The bytes of what is uploaded: the certificates of IN as one file in the
 * format it asks for, with its trailing newlines. */
/* A file uploaded as is: a regular file only, within the PEM limit
 * (fileio.h), read into *OUT (NUL-terminated). */
static int
read_upload(struct run *r, const struct uctls_installdef *in, const char *path, char **out,
            size_t *len, struct uctls_err *err)
{
	struct uctls_err e;
	unsigned char *data = NULL;

	uctls_err_clear(&e);
	if (uctls_file_read(path, UCTLS_FILE_MAX_PEM, &data, len, &e) < 0)
		return uctls_err_at(err, r->sc->file, in->line, "<install>: %s", e.msg);
	*out = (char *)data;
	return 0;
}

static int
install_bytes(struct run *r, const struct uctls_installdef *in, char **out, size_t *len,
              struct uctls_err *err)
{
	gnutls_datum_t d = { NULL, 0 };
	size_t i, cap = 0, n = 0;
	char *buf = NULL, *nb;
	int der = strcmp(in->format, "der") == 0;

	if (in->file != NULL)
		return read_upload(r, in, in->file, out, len, err);
	for (i = 0; i < in->ncerts; i++) {
		gnutls_x509_crt_t crt = uctls_pki_crt(r->pki, in->certs[i]);

		if (crt == NULL ||
		    gnutls_x509_crt_export2(crt, der ? GNUTLS_X509_FMT_DER : GNUTLS_X509_FMT_PEM, &d) < 0)
			return uctls_err_at(err, r->sc->file, in->line, "<install>: cannot export `%s'",
			                    in->certs[i]);
		/* PEM: drop the export's trailing newlines; added back below. */
		while (!der && d.size > 0 && d.data[d.size - 1] == '\n')
			d.size--;
		if (n + d.size + 16 > cap) {
			cap = (n + d.size + 16) * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				gnutls_free(d.data);
				free(buf);
				return uctls_err_set(err, "out of memory");
			}
			buf = nb;
		}
		memcpy(buf + n, d.data, d.size);
		n += d.size;
		if (!der && i + 1 < in->ncerts)
			buf[n++] = '\n';
		gnutls_free(d.data);
		d.data = NULL;
	}
	if (!der) {
		int k;

		for (k = 0; k < in->newlines; k++)
			buf[n++] = '\n';
		buf[n] = '\0'; /* strstr below reads a string (ASan) */
		if (strcmp(in->format, "damaged") == 0) {
			/* A copy that lost a character: one base64 character of
			 * the first body line turned into something else. */
			char *p = strstr(buf, "-----\n");

			if (p != NULL && p + 10 < buf + n)
				p[10] = '#';
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int
install_key(struct run *r, const struct uctls_installdef *in, char **out, size_t *len,
            struct uctls_err *err)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_privkey_t key;
	const char *id = in->key != NULL ? in->key : in->ncerts > 0 ? in->certs[0] : NULL;

	*out = NULL;
	*len = 0;
	if (in->key_file != NULL) {
		return read_upload(r, in, in->key_file, out, len, err);
	} else {
		if (id == NULL || strcmp(id, "none") == 0)
			return 0;
		key = uctls_pki_key(r->pki, id);
		if (key == NULL)
			return 0; /* loaded without a key: nothing to upload */
		if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
			return uctls_err_set(err, "out of memory");
	}
	*out = malloc(d.size + 1);
	if (*out == NULL) {
		gnutls_free(d.data);
		return uctls_err_set(err, "out of memory");
	}
	memcpy(*out, d.data, d.size);
	(*out)[d.size] = '\0';
	*len = d.size;
	gnutls_free(d.data);
	return 0;
}

/* bundle=: the separate CA bundle file, named by its ids (cms-bundle.h);
 * *BUF and *NAME own what INP points to. */
static int
install_ca_bundle(struct run *r, const struct uctls_installdef *in,
                  struct uctls_install_input *inp, char **buf, char **name,
                  struct uctls_err *err)
{
	gnutls_x509_crt_t crts[16];
	size_t i, len = 0, nl = 0;

	if (in->nbundle == 0)
		return 0;
	if (in->nbundle > sizeof(crts) / sizeof(crts[0]))
		return uctls_err_at(err, r->sc->file, in->line, "<install>: bundle of more than "
		                    "%zu certificates", sizeof(crts) / sizeof(crts[0]));
	for (i = 0; i < in->nbundle; i++) {
		crts[i] = uctls_pki_crt(r->pki, in->bundle[i]);
		nl += strlen(in->bundle[i]) + 1;
	}
	if ((*name = calloc(1, nl)) == NULL)
		return uctls_err_set(err, "out of memory");
	for (i = 0; i < in->nbundle; i++) /* "int root" */
		strcat(strcat(*name, i ? " " : ""), in->bundle[i]);
	if (uctls_cms_bundle_pem(crts, in->nbundle, in->newlines, buf, &len) < 0)
		return uctls_err_at(err, r->sc->file, in->line, "<install>: cannot export the "
		                    "bundle");
	inp->bundle = (const unsigned char *)*buf;
	inp->bundle_len = len;
	inp->bundle_name = *name;
	return 0;
}

/* Records the outcome of one install check (RV, D) on PD's side. */
static int
install_record(struct run *r, const struct uctls_peerdef *pd, int rv, const struct uctls_diag *d,
               double t0, struct uctls_err *err)
{
	struct uctls_step *rec;
	size_t k;

	rec = uctls_log_add(r->log, "install", pd->id, rv ? UCTLS_FAIL : UCTLS_PASS, d->reason,
	                    d->detail, d->hint, eng_now_ms() - t0);
	for (k = 0; rec != NULL && k < d->nalso; k++)
		if (uctls_log_add_also(rec, d->also[k]) < 0)
			rec = NULL;
	return rec == NULL ? uctls_err_set(err, "out of memory") : 0;
}

/* One <install>: 0 (*FAILED set when the upload is refused), -1 with ERR. */
static int
run_install(struct run *r, const struct uctls_installdef *in, int *failed,
            struct uctls_err *err)
{
	const struct uctls_peerdef *pd = uctls_scenario_peer(r->sc, in->peer);
	struct uctls_install_rules rules;
	struct uctls_install_input inp;
	gnutls_x509_crt_t *trust = NULL;
	struct uctls_diag d;
	char *cert = NULL, *key = NULL, *bundle = NULL, *bname = NULL;
	const char **csr = NULL, *store;
	char *const *tids;
	size_t clen = 0, klen = 0, k, ntids;
	double t0 = eng_now_ms();
	int rv = -1, ret;

	uctls_diag_init(&d);
	uctls_install_rules_of(uctls_peer_profile(pd), &rules);
	if (install_bytes(r, in, &cert, &clen, err) < 0 ||
	    install_key(r, in, &key, &klen, err) < 0)
		goto out;
	/* every CA the peer trusts; install.h wants the CSR's SANs
	 * NULL-terminated */
	store = uctls_store_for_slot(pd, in->slot, &tids, &ntids); /* the slot's store */
	trust = calloc(ntids + 1, sizeof(*trust));
	csr = in->csr_sans != NULL ? calloc(in->ncsr + 1, sizeof(*csr)) : NULL;
	if (trust == NULL || (in->csr_sans != NULL && csr == NULL)) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	for (k = 0; k < ntids; k++)
		trust[k] = uctls_pki_crt(r->pki, tids[k]);
	for (k = 0; csr != NULL && k < in->ncsr; k++)
		csr[k] = in->csr_sans[k];
	memset(&inp, 0, sizeof(inp));
	inp.name = in->file != NULL ? in->file : in->certs[0];
	inp.cert = (const unsigned char *)cert;
	inp.cert_len = clen;
	inp.key = (const unsigned char *)key;
	inp.key_len = klen;
	inp.csr_sans = csr;
	inp.trust = trust;
	inp.ntrust = ntids;
	inp.now = r->sc->now;
	inp.slot = in->slot;
	inp.store = store;
	if (install_ca_bundle(r, in, &inp, &bundle, &bname, err) < 0)
		goto out;
	ret = uctls_install_check(&rules, &inp, &d, err);
	if (ret < 0 || install_record(r, pd, ret, &d, t0, err) < 0)
		goto out;
	*failed = ret;
	rv = 0;
out:
	uctls_diag_clear(&d);
	free(cert);
	free(key);
	free(bundle);
	free(bname);
	free(csr);
	free(trust);
	return rv;
}

/* Every <install> of the scenario, before the first connection; a refused
 * upload ends the scenario there. */
int
eng_run_installs(struct run *r, int *failed, struct uctls_err *err)
{
	size_t i;

	for (i = 0; i < r->sc->ninstalls && !*failed; i++)
		if (run_install(r, &r->sc->installs[i], failed, err) < 0)
			return -1;
	return 0;
}
