#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>

#include "fileio.h"
#include "pki.h"
#include "revoke.h"

/* Extension OIDs (RFC 5280 4.2.1). */
#define OID_SKI "2.5.29.14"
#define OID_KU "2.5.29.15"
#define OID_SAN "2.5.29.17"
#define OID_BC "2.5.29.19"
#define OID_AKI "2.5.29.35"
#define OID_EKU "2.5.29.37"
/* id-on-xmppAddr, RFC 6120 13.7.1.4 (otherName, UTF8String). */
#define OID_XMPP "1.3.6.1.5.5.7.8.5"
/* id-on-dnsSRV, RFC 4985 2 (otherName, IA5String "_service.domain"). */
#define OID_SRVNAME "1.3.6.1.5.5.7.8.7"

#define FPR_LEN (32 * 3) /* "xx:" per byte of SHA-256, last ':' -> NUL */

/* ------------------------------------------------------------------------
 * Key pool
 */

/* One signed certificate of the memo: KEY (owned) is everything that
 * determines it (memo_key), DER (gnutls_malloc) the certificate. */
struct memo_ent {
	struct memo_ent *next;
	unsigned char *key;
	size_t klen, hash;
	gnutls_datum_t der;
};

#define MEMO_BUCKETS 1024

struct uctls_keypool {
	/* keys[type][slot]; NULL where the slot has not been used yet. */
	gnutls_x509_privkey_t *keys[UCTLS_KEY__COUNT];
	size_t nkeys[UCTLS_KEY__COUNT];
	size_t generated;
	char *dir; /* persistent cache, or NULL */
	/* The certificates signed so far, by memo_key: a suite signs the
	 * same certificate (same keys, names, serial, validity, extensions)
	 * in many scenarios, and signing dominates building a PKI. */
	struct memo_ent *memo[MEMO_BUCKETS];
	size_t nsigned, nreused;
	/* keys, generated, memo, nsigned, nreused: `uctls run -j' builds
	 * PKIs on several threads at once. */
	pthread_mutex_t mu;
};

int
uctls_keypool_set_dir(struct uctls_keypool *pool, const char *dir, struct uctls_err *err)
{
	struct uctls_err e;

	uctls_err_clear(&e);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return uctls_err_set(err, "key cache %s: %s", dir, strerror(errno));
	/* Keys are read back from it: nobody else may write there. */
	if (uctls_file_check_private_dir(dir, &e) < 0)
		return uctls_err_set(err, "key cache %s", e.msg);
	free(pool->dir);
	pool->dir = strdup(dir);
	return pool->dir != NULL ? 0 : uctls_err_set(err, "out of memory");
}

/* The cached key for (TYPE, SLOT), or NULL when the cache has none (or
 * a file there that is not a regular file of a sane size). */
static gnutls_x509_privkey_t
cache_load(const struct uctls_keypool *pool, const char *path)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_privkey_t k = NULL;
	unsigned char *data;
	size_t len;

	(void)pool;
	if (uctls_file_read(path, UCTLS_FILE_MAX_PEM, &data, &len, NULL) < 0)
		return NULL;
	d.data = data;
	d.size = (unsigned)len;
	if (gnutls_x509_privkey_init(&k) < 0 ||
	    gnutls_x509_privkey_import(k, &d, GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_x509_privkey_deinit(k);
		k = NULL;
	}
	free(data);
	return k;
}

/* Writes KEY to PATH atomically (uctls_file_write: a temporary file renamed
 * into place), so that parallel test processes sharing the cache never read
 * half a key.  Failing to cache is not an error: the key is still good. */
static void
cache_store(gnutls_x509_privkey_t key, const char *path)
{
	gnutls_datum_t d = { NULL, 0 };

	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
		return;
	(void)uctls_file_write(path, d.data, d.size, 0600, NULL);
	gnutls_free(d.data);
}

struct uctls_keypool *
uctls_keypool_new(void)
{
	struct uctls_keypool *pool = calloc(1, sizeof(struct uctls_keypool));

	if (pool != NULL && pthread_mutex_init(&pool->mu, NULL) != 0) {
		free(pool);
		pool = NULL;
	}
	return pool;
}

void
uctls_keypool_free(struct uctls_keypool *pool)
{
	size_t t, s;

	if (pool == NULL)
		return;
	for (t = 0; t < UCTLS_KEY__COUNT; t++) {
		for (s = 0; s < pool->nkeys[t]; s++)
			if (pool->keys[t][s] != NULL)
				gnutls_x509_privkey_deinit(pool->keys[t][s]);
		free(pool->keys[t]);
	}
	for (s = 0; s < MEMO_BUCKETS; s++)
		while (pool->memo[s] != NULL) {
			struct memo_ent *m = pool->memo[s];

			pool->memo[s] = m->next;
			free(m->key);
			gnutls_free(m->der.data);
			free(m);
		}
	pthread_mutex_destroy(&pool->mu);
	free(pool->dir);
	free(pool);
}

size_t
uctls_keypool_generated(const struct uctls_keypool *pool)
{
	return pool->generated;
}

void
uctls_keypool_memo_stats(const struct uctls_keypool *pool, size_t *nsigned, size_t *nreused)
{
	*nsigned = pool->nsigned;
	*nreused = pool->nreused;
}

/* The loader resolves UCTLS_KEY_DEFAULT; hand-built models may not. */
static enum uctls_key_type
key_type_resolve(enum uctls_key_type t)
{
	return t == UCTLS_KEY_DEFAULT ? UCTLS_KEY_ECDSA_P256 : t;
}

static const char *
key_type_str(enum uctls_key_type t)
{
	switch (t) {
	case UCTLS_KEY_RSA1024: return "rsa-1024";
	case UCTLS_KEY_RSA2048: return "rsa-2048";
	case UCTLS_KEY_RSA3072: return "rsa-3072";
	case UCTLS_KEY_RSA4096: return "rsa-4096";
	case UCTLS_KEY_DEFAULT:
	case UCTLS_KEY_ECDSA_P256: return "ecdsa-p256";
	case UCTLS_KEY_ECDSA_P384: return "ecdsa-p384";
	case UCTLS_KEY_ED25519: return "ed25519";
	default: return "?";
	}
}

static int
key_params(enum uctls_key_type t, gnutls_pk_algorithm_t *pk, unsigned *bits)
{
	switch (t) {
	case UCTLS_KEY_RSA1024:
		*pk = GNUTLS_PK_RSA, *bits = 1024;
		return 0;
	case UCTLS_KEY_RSA2048:
		*pk = GNUTLS_PK_RSA, *bits = 2048;
		return 0;
	case UCTLS_KEY_RSA3072:
		*pk = GNUTLS_PK_RSA, *bits = 3072;
		return 0;
	case UCTLS_KEY_RSA4096:
		*pk = GNUTLS_PK_RSA, *bits = 4096;
		return 0;
	case UCTLS_KEY_ECDSA_P256:
		*pk = GNUTLS_PK_ECDSA;
		*bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
		return 0;
	case UCTLS_KEY_ECDSA_P384:
		*pk = GNUTLS_PK_ECDSA;
		*bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1);
		return 0;
	case UCTLS_KEY_ED25519:
		*pk = GNUTLS_PK_EDDSA_ED25519;
		*bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519);
		return 0;
	default:
		return -1;
	}
}

static int
keypool_get_locked(struct uctls_keypool *pool, enum uctls_key_type type,
                   unsigned slot, gnutls_x509_privkey_t *key,
                   struct uctls_err *err)
{
	gnutls_x509_privkey_t k = NULL;
	gnutls_pk_algorithm_t pk;
	unsigned bits;
	size_t t;
	int ret;

	type = key_type_resolve(type);
	t = (size_t)type;
	if (key_params(type, &pk, &bits) < 0)
		return uctls_err_set(err, "key pool: unknown key type %d",
		                     (int)type);
	if (slot >= pool->nkeys[t]) {
		size_t n = (size_t)slot + 1, i;
		gnutls_x509_privkey_t *v;

		v = realloc(pool->keys[t], n * sizeof(*v));
		if (v == NULL)
			return uctls_err_set(err, "key pool: out of memory");
		for (i = pool->nkeys[t]; i < n; i++)
			v[i] = NULL;
		pool->keys[t] = v;
		pool->nkeys[t] = n;
	}
	if (pool->keys[t][slot] == NULL && pool->dir != NULL) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s-%u.pem", pool->dir, key_type_str(type), slot);
		pool->keys[t][slot] = cache_load(pool, path);
		if (pool->keys[t][slot] == NULL) {
			ret = gnutls_x509_privkey_init(&k);
			if (ret >= 0)
				ret = gnutls_x509_privkey_generate2(k, pk, bits, 0, NULL, 0);
			if (ret < 0) {
				gnutls_x509_privkey_deinit(k);
				return uctls_err_set(err, "generating %s key: %s",
				                     key_type_str(type), gnutls_strerror(ret));
			}
			cache_store(k, path);
			pool->keys[t][slot] = k;
			pool->generated++;
		}
	}
	if (pool->keys[t][slot] == NULL) {
		ret = gnutls_x509_privkey_init(&k);
		if (ret < 0)
			return uctls_err_set(err, "gnutls_x509_privkey_init: %s",
			                     gnutls_strerror(ret));
		ret = gnutls_x509_privkey_generate2(k, pk, bits, 0, NULL, 0);
		if (ret < 0) {
			gnutls_x509_privkey_deinit(k);
			return uctls_err_set(err, "generating %s key: %s",
			                     key_type_str(type),
			                     gnutls_strerror(ret));
		}
		pool->keys[t][slot] = k;
		pool->generated++;
	}
	*key = pool->keys[t][slot];
	return 0;
}

/* Under the pool's lock: a key generated while another thread waits is
 * generated once. */
int
uctls_keypool_get(struct uctls_keypool *pool, enum uctls_key_type type,
                  unsigned slot, gnutls_x509_privkey_t *key,
                  struct uctls_err *err)
{
	int rv;

	pthread_mutex_lock(&pool->mu);
	rv = keypool_get_locked(pool, type, slot, key, err);
	pthread_mutex_unlock(&pool->mu);
	return rv;
}

/* ------------------------------------------------------------------------
 * PKI
 */

struct pki_entry {
	char *id;                  /* owned copy of the certdef id */
	gnutls_x509_crt_t crt;     /* NULL until built */
	gnutls_x509_privkey_t key; /* pool's (borrowed) or loaded (owned) */
	int key_owned;
	gnutls_datum_t der; /* owned (gnutls_free) */
	char fpr[FPR_LEN];
};

struct uctls_pki {
	struct pki_entry *e;
	size_t n;
};

void
uctls_pki_free(struct uctls_pki *pki)
{
	size_t i;

	if (pki == NULL)
		return;
	for (i = 0; i < pki->n; i++) {
		struct pki_entry *e = &pki->e[i];

		free(e->id);
		if (e->crt != NULL)
			gnutls_x509_crt_deinit(e->crt);
		if (e->key_owned && e->key != NULL)
			gnutls_x509_privkey_deinit(e->key);
		gnutls_free(e->der.data);
	}
	free(pki->e);
	free(pki);
}

static const char *
tag(const struct uctls_certdef *def)
{
	return def->is_ca ? "ca" : "cert";
}

static long
def_index(const struct uctls_scenario *sc, const char *id)
{
	size_t i;

	if (id == NULL)
		return -1;
	for (i = 0; i < sc->ncerts; i++)
		if (strcmp(sc->certs[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Reads a whole certificate or key file (a regular file of at most
 * UCTLS_FILE_MAX_PEM bytes); the message names the scenario's line. */
static int
read_file(const struct uctls_scenario *sc, const struct uctls_certdef *def,
          const char *path, gnutls_datum_t *out, struct uctls_err *err)
{
	struct uctls_err e;
	unsigned char *data;
	size_t len;

	uctls_err_clear(&e);
	if (uctls_file_read(path, UCTLS_FILE_MAX_PEM, &data, &len, &e) < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: %s", tag(def),
		                    def->id, e.msg);
	out->data = data;
	out->size = (unsigned)len;
	return 0;
}

/* A key matches a certificate when both hash to the same public-key id
 * (SHA-256 of the SubjectPublicKeyInfo): the same test certtool and the
 * devices' "key does not match certificate" check make. */
static int
same_key(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);

	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a,
	                               &alen) < 0)
		return 0;
	if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b,
	                                   &blen) < 0)
		return 0;
	return alen == blen && memcmp(a, b, alen) == 0;
}

static int
load_entry(const struct uctls_scenario *sc, const struct uctls_certdef *def,
           struct pki_entry *e, struct uctls_err *err)
{
	gnutls_datum_t data = { NULL, 0 }, kdata = { NULL, 0 };
	gnutls_x509_crt_t *list = NULL;
	unsigned nlist = 0, i, idx;
	int ret, rv = -1;

	idx = def->file_index > 0 ? (unsigned)def->file_index : 1;
	if (read_file(sc, def, def->file, &data, err) < 0)
		goto out;
	ret = gnutls_x509_crt_list_import2(&list, &nlist, &data,
	                                   GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0 || nlist == 0) {
		uctls_err_at(err, sc->file, def->line,
		             "<%s id=\"%s\">: `%s' is not PEM or holds no "
		             "certificate: %s",
		             tag(def), def->id, def->file,
		             ret < 0 ? gnutls_strerror(ret) : "empty");
		goto out;
	}
	if (idx > nlist) {
		uctls_err_at(err, sc->file, def->line,
		             "<%s id=\"%s\">: `%s' holds %u certificate%s, "
		             "index %u requested",
		             tag(def), def->id, def->file, nlist,
		             nlist == 1 ? "" : "s", idx);
		goto out;
	}
	e->crt = list[idx - 1];
	list[idx - 1] = NULL;

	if (def->key_file != NULL) {
		if (read_file(sc, def, def->key_file, &kdata, err) < 0)
			goto out;
		ret = gnutls_x509_privkey_init(&e->key);
		if (ret < 0) {
			uctls_err_set(err, "gnutls_x509_privkey_init: %s",
			              gnutls_strerror(ret));
			goto out;
		}
		e->key_owned = 1;
		ret = gnutls_x509_privkey_import2(e->key, &kdata,
		                                  GNUTLS_X509_FMT_PEM, NULL,
		                                  GNUTLS_PKCS_PLAIN);
		if (ret < 0) {
			uctls_err_at(err, sc->file, def->line,
			             "<%s id=\"%s\">: key file `%s' is not an "
			             "unencrypted PEM private key: %s",
			             tag(def), def->id, def->key_file,
			             gnutls_strerror(ret));
			goto out;
		}
		if (!same_key(e->crt, e->key)) {
			uctls_err_at(err, sc->file, def->line,
			             "<%s id=\"%s\">: the key in `%s' does not "
			             "match certificate %u of `%s'",
			             tag(def), def->id, def->key_file, idx,
			             def->file);
			goto out;
		}
	}
	rv = 0;
out:
	for (i = 0; i < nlist; i++)
		if (list[i] != NULL)
			gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	free(data.data);
	free(kdata.data);
	return rv;
}

/* --- extension builders -------------------------------------------------- */

static unsigned
ku_to_gnutls(unsigned ku)
{
	static const struct {
		unsigned ours, theirs;
	} map[] = {
		{ UCTLS_KU_DIGITAL_SIGNATURE, GNUTLS_KEY_DIGITAL_SIGNATURE },
		{ UCTLS_KU_NON_REPUDIATION, GNUTLS_KEY_NON_REPUDIATION },
		{ UCTLS_KU_KEY_ENCIPHERMENT, GNUTLS_KEY_KEY_ENCIPHERMENT },
		{ UCTLS_KU_DATA_ENCIPHERMENT, GNUTLS_KEY_DATA_ENCIPHERMENT },
		{ UCTLS_KU_KEY_AGREEMENT, GNUTLS_KEY_KEY_AGREEMENT },
		{ UCTLS_KU_KEY_CERT_SIGN, GNUTLS_KEY_KEY_CERT_SIGN },
		{ UCTLS_KU_CRL_SIGN, GNUTLS_KEY_CRL_SIGN },
		{ UCTLS_KU_ENCIPHER_ONLY, GNUTLS_KEY_ENCIPHER_ONLY },
		{ UCTLS_KU_DECIPHER_ONLY, GNUTLS_KEY_DECIPHER_ONLY },
	};
	unsigned r = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ku & map[i].ours)
			r |= map[i].theirs;
	return r;
}

/* DER of a UTF8String (X.690 8.23): the value of an XmppAddr otherName,
 * RFC 6120 13.7.1.4.  gnutls_subject_alt_names_set() stores otherName
 * values as given, so the encoding is ours. */
static int
der_string(unsigned char tag, const char *s, gnutls_datum_t *out)
{
	size_t n = strlen(s), hl;
	unsigned char *p;

	if (n > 0xffff)
		return -1;
	hl = n < 0x80 ? 2 : n < 0x100 ? 3 : 4;
	p = gnutls_malloc(hl + n);
	if (p == NULL)
		return -1;
	p[0] = tag;
	if (n < 0x80) {
		p[1] = (unsigned char)n;
	} else if (n < 0x100) {
		p[1] = 0x81;
		p[2] = (unsigned char)n;
	} else {
		p[1] = 0x82;
		p[2] = (unsigned char)(n >> 8);
		p[3] = (unsigned char)n;
	}
	memcpy(p + hl, s, n);
	out->data = p;
	out->size = (unsigned)(hl + n);
	return 0;
}

static int
export_san(const struct uctls_scenario *sc, const struct uctls_certdef *def,
           gnutls_datum_t *der, struct uctls_err *err)
{
	gnutls_subject_alt_names_t sans = NULL;
	unsigned char ip[16];
	gnutls_datum_t d, enc = { NULL, 0 };
	size_t i;
	int ret, rv = -1;

	ret = gnutls_subject_alt_names_init(&sans);
	if (ret < 0) {
		uctls_err_set(err, "gnutls_subject_alt_names_init: %s",
		              gnutls_strerror(ret));
		goto out;
	}
	for (i = 0; i < def->nsans; i++) {
		const struct uctls_san *s = &def->sans[i];
		unsigned type = 0;
		const char *oid = NULL;

		d.data = (unsigned char *)s->value;
		d.size = (unsigned)strlen(s->value);
		switch (s->type) {
		case UCTLS_SAN_DNS:
			type = GNUTLS_SAN_DNSNAME;
			break;
		case UCTLS_SAN_URI:
			type = GNUTLS_SAN_URI;
			break;
		case UCTLS_SAN_EMAIL:
			type = GNUTLS_SAN_RFC822NAME;
			break;
		case UCTLS_SAN_IP:
			/* iPAddress is the 4 or 16 octets, RFC 5280 4.2.1.6 */
			type = GNUTLS_SAN_IPADDRESS;
			if (inet_pton(AF_INET, s->value, ip) == 1) {
				d.size = 4;
			} else if (inet_pton(AF_INET6, s->value, ip) == 1) {
				d.size = 16;
			} else {
				uctls_err_at(err, sc->file, def->line,
				             "<%s id=\"%s\">: bad IP address "
				             "`%s' in san",
				             tag(def), def->id, s->value);
				goto out;
			}
			d.data = ip;
			break;
		case UCTLS_SAN_XMPP:
			type = GNUTLS_SAN_OTHERNAME;
			oid = OID_XMPP;
			if (der_string(0x0c, s->value, &enc) < 0) { /* UTF8String */
				uctls_err_set(err, "XmppAddr `%s': too long or "
				              "out of memory", s->value);
				goto out;
			}
			d = enc;
			break;
		case UCTLS_SAN_SRV:
			type = GNUTLS_SAN_OTHERNAME;
			oid = OID_SRVNAME;
			if (der_string(0x16, s->value, &enc) < 0) { /* IA5String */
				uctls_err_set(err, "SRVName `%s': too long or "
				              "out of memory", s->value);
				goto out;
			}
			d = enc;
			break;
		default:
			uctls_err_at(err, sc->file, def->line,
			             "<%s id=\"%s\">: unknown SAN type %d",
			             tag(def), def->id, (int)s->type);
			goto out;
		}
		ret = gnutls_subject_alt_names_set(sans, type, &d, oid);
		gnutls_free(enc.data);
		enc.data = NULL;
		if (ret < 0) {
			uctls_err_at(err, sc->file, def->line,
			             "<%s id=\"%s\">: SAN `%s': %s", tag(def),
			             def->id, s->value, gnutls_strerror(ret));
			goto out;
		}
	}
	ret = gnutls_x509_ext_export_subject_alt_names(sans, der);
	if (ret < 0) {
		uctls_err_at(err, sc->file, def->line,
		             "<%s id=\"%s\">: encoding subjectAltName: %s",
		             tag(def), def->id, gnutls_strerror(ret));
		goto out;
	}
	rv = 0;
out:
	gnutls_free(enc.data);
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	return rv;
}

static int
export_eku(const struct uctls_scenario *sc, const struct uctls_certdef *def,
           gnutls_datum_t *der, struct uctls_err *err)
{
	gnutls_x509_key_purposes_t p = NULL;
	size_t i;
	int ret, rv = -1;

	ret = gnutls_x509_key_purpose_init(&p);
	if (ret < 0) {
		uctls_err_set(err, "gnutls_x509_key_purpose_init: %s",
		              gnutls_strerror(ret));
		goto out;
	}
	for (i = 0; i < def->neku; i++) {
		ret = gnutls_x509_key_purpose_set(p, def->eku[i]);
		if (ret < 0) {
			uctls_err_at(err, sc->file, def->line,
			             "<%s id=\"%s\">: EKU `%s': %s", tag(def),
			             def->id, def->eku[i], gnutls_strerror(ret));
			goto out;
		}
	}
	ret = gnutls_x509_ext_export_key_purposes(p, der);
	if (ret < 0) {
		uctls_err_at(err, sc->file, def->line,
		             "<%s id=\"%s\">: encoding extKeyUsage: %s", tag(def),
		             def->id, gnutls_strerror(ret));
		goto out;
	}
	rv = 0;
out:
	if (p != NULL)
		gnutls_x509_key_purpose_deinit(p);
	return rv;
}

static int
export_aki(gnutls_x509_crt_t issuer, gnutls_datum_t *der)
{
	gnutls_x509_aki_t aki = NULL;
	unsigned char id[64];
	size_t idlen = sizeof(id);
	unsigned crit;
	gnutls_datum_t d;
	int ret;

	/* keyIdentifier = the issuer's subjectKeyIdentifier (RFC 5280
	 * 4.2.1.1); an issuer loaded from PEM may lack one, then the usual
	 * SHA-1 of its public key stands in. */
	ret = gnutls_x509_crt_get_subject_key_id(issuer, id, &idlen, &crit);
	if (ret < 0) {
		idlen = sizeof(id);
		ret = gnutls_x509_crt_get_key_id(issuer, GNUTLS_KEYID_USE_SHA1,
		                                 id, &idlen);
		if (ret < 0)
			return ret;
	}
	ret = gnutls_x509_aki_init(&aki);
	if (ret < 0)
		return ret;
	d.data = id;
	d.size = (unsigned)idlen;
	ret = gnutls_x509_aki_set_id(aki, &d);
	if (ret >= 0)
		ret = gnutls_x509_ext_export_authority_key_id(aki, der);
	gnutls_x509_aki_deinit(aki);
	return ret;
}

static gnutls_digest_algorithm_t
digest_of(enum uctls_hash h)
{
	switch (h) {
	case UCTLS_HASH_SHA1: return GNUTLS_DIG_SHA1;
	case UCTLS_HASH_SHA384: return GNUTLS_DIG_SHA384;
	case UCTLS_HASH_SHA512: return GNUTLS_DIG_SHA512;
	case UCTLS_HASH_DEFAULT:
	case UCTLS_HASH_SHA256:
	default: return GNUTLS_DIG_SHA256;
	}
}

/* Sets one extension with an explicit critical flag: the scenario decides
 * criticality, not GnuTLS's per-extension defaults. */
static int
set_ext(const struct uctls_scenario *sc, const struct uctls_certdef *def,
        gnutls_x509_crt_t crt, const char *oid, const char *what,
        gnutls_datum_t *der, int ret, int critical, struct uctls_err *err)
{
	if (ret >= 0)
		ret = gnutls_x509_crt_set_extension_by_oid(crt, oid, der->data,
		                                           der->size,
		                                           critical ? 1 : 0);
	gnutls_free(der->data);
	der->data = NULL;
	der->size = 0;
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line,
		                    "<%s id=\"%s\">: %s extension: %s", tag(def),
		                    def->id, what, gnutls_strerror(ret));
	return 0;
}

/* crl= and ocsp= (revoke.h): cRLDistributionPoints (RFC 5280 4.2.1.13) and
 * authorityInformationAccess id-ad-ocsp (RFC 5280 4.2.2.1). */
static int
set_revoke_urls(const struct uctls_scenario *sc, const struct uctls_certdef *def,
                gnutls_x509_crt_t crt, struct uctls_err *err)
{
	int ret = def->crl_url == NULL ? 0
	          : gnutls_x509_crt_set_crl_dist_points(crt, GNUTLS_SAN_URI, def->crl_url, 0);

	if (ret >= 0 && def->ocsp_url != NULL) {
		gnutls_datum_t u = { (unsigned char *)def->ocsp_url,
			             (unsigned)strlen(def->ocsp_url) };

		ret = gnutls_x509_crt_set_authority_info_access(crt, GNUTLS_IA_OCSP_URI, &u);
	}
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: crl=/ocsp= URL: %s",
		                    tag(def), def->id, gnutls_strerror(ret));
	return 0;
}

/* The issuer (for the names and the authority key id) and the signer
 * (whose key signs: the issuer unless signed-with says otherwise) of
 * entry I; a self-signed entry is its own. */
static int
entry_signers(const struct uctls_scenario *sc, struct uctls_pki *pki, size_t i,
              struct pki_entry **iss, struct pki_entry **signer, struct uctls_err *err)
{
	const struct uctls_certdef *def = &sc->certs[i];
	long j;

	*iss = *signer = &pki->e[i];
	if (def->issuer != NULL) {
		j = def_index(sc, def->issuer);
		*iss = *signer = &pki->e[j]; /* caller checked j >= 0 */
	}
	if (def->signed_with != NULL) {
		j = def_index(sc, def->signed_with);
		if (j < 0)
			return uctls_err_at(err, sc->file, def->line,
			                    "<%s id=\"%s\">: unknown signed-with `%s'", tag(def),
			                    def->id, def->signed_with);
		*signer = &pki->e[j];
	}
	if ((*signer)->key == NULL)
		return uctls_err_at(err, sc->file, def->line,
		                    "<%s id=\"%s\">: `%s' was loaded without a key-file and "
		                    "cannot sign", tag(def), def->id, (*signer)->id);
	return 0;
}

/* Version, public key, serial number, subject and validity of CRT. */
static int
set_tbs_header(const struct uctls_scenario *sc, size_t i, gnutls_x509_crt_t crt,
               gnutls_x509_privkey_t key, struct uctls_err *err)
{
	const struct uctls_certdef *def = &sc->certs[i];
	unsigned char serial[sizeof(unsigned long) + 1];
	const char *errpos = NULL, *subject = def->subject != NULL ? def->subject : "";
	unsigned long sn = def->serial != 0 ? def->serial : (unsigned long)i + 1;
	size_t slen = 0, k;
	int ret;

	ret = gnutls_x509_crt_set_version(crt, 3);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_key(crt, key);
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: setting version/key: %s",
		                    tag(def), def->id, gnutls_strerror(ret));
	/* serialNumber: a positive INTEGER, big-endian (RFC 5280 4.1.2.2);
	 * a leading zero keeps the top bit clear. */
	for (k = sizeof(unsigned long); k > 0; k--) {
		unsigned char b = (unsigned char)(sn >> (8 * (k - 1)));

		if (slen == 0 && b == 0 && k > 1)
			continue;
		if (slen == 0 && (b & 0x80))
			serial[slen++] = 0;
		serial[slen++] = b;
	}
	ret = gnutls_x509_crt_set_serial(crt, serial, slen);
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: serial %lu: %s",
		                    tag(def), def->id, sn, gnutls_strerror(ret));
	ret = gnutls_x509_crt_set_dn(crt, subject, &errpos);
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: subject `%s': %s%s%s%s",
		                    tag(def), def->id, subject, gnutls_strerror(ret),
		                    errpos != NULL ? " (at `" : "", errpos != NULL ? errpos : "",
		                    errpos != NULL ? "')" : "");
	ret = gnutls_x509_crt_set_activation_time(crt, def->not_before);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_expiration_time(crt, def->not_after);
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: validity: %s",
		                    tag(def), def->id, gnutls_strerror(ret));
	return 0;
}

/* basicConstraints, subjectAltName, extKeyUsage, keyUsage, as declared. */
static int
set_declared_exts(const struct uctls_scenario *sc, const struct uctls_certdef *def,
                  gnutls_x509_crt_t crt, gnutls_datum_t *der, struct uctls_err *err)
{
	int ret;

	if (def->has_basic_constraints) {
		ret = gnutls_x509_ext_export_basic_constraints(def->bc_ca ? 1 : 0,
		                                               def->bc_ca ? def->path_len : -1, der);
		if (set_ext(sc, def, crt, OID_BC, "basicConstraints", der, ret,
		            def->critical & UCTLS_CRIT_BASIC_CONSTRAINTS, err) < 0)
			return -1;
	}
	if (def->nsans > 0 &&
	    (export_san(sc, def, der, err) < 0 ||
	     set_ext(sc, def, crt, OID_SAN, "subjectAltName", der, 0,
	             def->critical & UCTLS_CRIT_SAN, err) < 0))
		return -1;
	if (def->has_eku &&
	    (export_eku(sc, def, der, err) < 0 ||
	     set_ext(sc, def, crt, OID_EKU, "extKeyUsage", der, 0, def->critical & UCTLS_CRIT_EKU,
	             err) < 0))
		return -1;
	if (def->has_key_usage) {
		ret = gnutls_x509_ext_export_key_usage(ku_to_gnutls(def->key_usage), der);
		if (set_ext(sc, def, crt, OID_KU, "keyUsage", der, ret,
		            def->critical & UCTLS_CRIT_KEY_USAGE, err) < 0)
			return -1;
	}
	return 0;
}

/* Extensions, in the order certtool writes them, then the revocation
 * pointers and the scenario's own <extension>s. */
static int
set_extensions(const struct uctls_scenario *sc, const struct uctls_certdef *def,
               gnutls_x509_crt_t crt, const struct pki_entry *e, const struct pki_entry *iss,
               struct uctls_err *err)
{
	gnutls_datum_t der = { NULL, 0 };
	unsigned char id[64];
	size_t idlen = sizeof(id), k;
	int ret;

	if (set_declared_exts(sc, def, crt, &der, err) < 0)
		return -1;
	/* subjectKeyIdentifier (RFC 5280 4.2.1.2, method 1: SHA-1 of the
	 * subjectPublicKey); never critical. */
	ret = gnutls_x509_privkey_get_key_id(e->key, GNUTLS_KEYID_USE_SHA1, id, &idlen);
	if (ret >= 0) {
		gnutls_datum_t d = { id, (unsigned)idlen };

		ret = gnutls_x509_ext_export_subject_key_id(&d, &der);
	}
	if (set_ext(sc, def, crt, OID_SKI, "subjectKeyIdentifier", &der, ret, 0, err) < 0)
		return -1;
	/* authorityKeyIdentifier: may be omitted in self-signed certificates
	 * (RFC 5280 4.2.1.1), required otherwise. */
	if (iss != e) {
		ret = export_aki(iss->crt, &der);
		if (set_ext(sc, def, crt, OID_AKI, "authorityKeyIdentifier", &der, ret, 0, err) < 0)
			return -1;
	}
	if (set_revoke_urls(sc, def, crt, err) < 0)
		return -1;
	for (k = 0; k < def->nexts; k++) {
		const struct uctls_extdef *x = &def->exts[k];

		ret = gnutls_x509_crt_set_extension_by_oid(crt, x->oid, x->der, x->der_len,
		                                           x->critical ? 1 : 0);
		if (ret < 0)
			return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: extension %s: %s",
			                    tag(def), def->id, x->oid, gnutls_strerror(ret));
	}
	return 0;
}

/* Signs CRT with SIGNER's key, then keeps it in E as a peer would receive
 * it: exported and imported again (GnuTLS parses a certificate's DNs and
 * SAN once, at import, so verification and the getters see the bytes). */
static int
sign_entry(const struct uctls_scenario *sc, const struct uctls_certdef *def,
           gnutls_x509_crt_t crt, struct pki_entry *e, const struct pki_entry *iss,
           const struct pki_entry *signer, struct uctls_err *err)
{
	gnutls_privkey_t pk = NULL;
	/* Ed25519 fixes its own hash (RFC 8410 3): GnuTLS picks it when the
	 * digest is left to it. */
	gnutls_digest_algorithm_t dig =
		gnutls_x509_privkey_get_pk_algorithm(signer->key) == GNUTLS_PK_EDDSA_ED25519
			? GNUTLS_DIG_UNKNOWN
			: digest_of(def->hash);
	int ret = gnutls_privkey_init(&pk);

	if (ret >= 0)
		ret = gnutls_privkey_import_x509(pk, signer->key, 0);
	/* Deterministic signatures (RFC 6979 for ECDSA; RSA PKCS#1 v1.5 is
	 * deterministic anyway): the same keys, serials, validity and names
	 * give the same certificate bytes, so `uctls pki export' reproduces a
	 * lab's files and two uctls processes build the same PKI. */
	if (ret >= 0)
		ret = gnutls_x509_crt_privkey_sign(crt, iss == e ? crt : iss->crt, pk, dig,
		                                   GNUTLS_PRIVKEY_FLAG_REPRODUCIBLE);
	if (pk != NULL)
		gnutls_privkey_deinit(pk);
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line,
		                    "<%s id=\"%s\">: signing with the key of `%s' (%s): %s", tag(def),
		                    def->id, signer->id,
		                    dig == GNUTLS_DIG_UNKNOWN ? "eddsa" : gnutls_digest_get_name(dig),
		                    gnutls_strerror(ret));
	ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &e->der);
	if (ret >= 0)
		ret = gnutls_x509_crt_init(&e->crt);
	if (ret >= 0)
		ret = gnutls_x509_crt_import(e->crt, &e->der, GNUTLS_X509_FMT_DER);
	if (ret < 0)
		return uctls_err_at(err, sc->file, def->line, "<%s id=\"%s\">: re-importing: %s",
		                    tag(def), def->id, gnutls_strerror(ret));
	return 0;
}

/* Builds and signs the generated certificate I.  Its issuer (if any) is
 * built; every generated entry already holds its key. */
static int
generate_entry(const struct uctls_scenario *sc, struct uctls_pki *pki,
               size_t i, struct uctls_err *err)
{
	const struct uctls_certdef *def = &sc->certs[i];
	struct pki_entry *e = &pki->e[i], *iss, *signer;
	gnutls_x509_crt_t crt = NULL;
	int ret, rv = -1;

	if (entry_signers(sc, pki, i, &iss, &signer, err) < 0)
		return -1;
	ret = gnutls_x509_crt_init(&crt);
	if (ret < 0)
		return uctls_err_set(err, "gnutls_x509_crt_init: %s", gnutls_strerror(ret));
	if (set_tbs_header(sc, i, crt, e->key, err) == 0 &&
	    set_extensions(sc, def, crt, e, iss, err) == 0 &&
	    sign_entry(sc, def, crt, e, iss, signer, err) == 0)
		rv = 0;
	gnutls_x509_crt_deinit(crt);
	return rv;
}

/* ------------------------------------------------------------------------
 * The certificate memo: a certificate already signed in this pool's life is
 * imported again, not signed again.  Signatures are deterministic (RFC 6979,
 * generate_entry), so the bytes are the ones signing would give.
 */

/* A memo key being written; OOM set when it could not grow. */
struct kbuf {
	unsigned char *p;
	size_t n, cap;
	int oom;
};

/* LEN, then LEN bytes of DATA: no two field lists write the same bytes. */
static void
kb_put(struct kbuf *kb, const void *data, size_t len)
{
	size_t need = kb->n + sizeof(len) + len;

	if (kb->oom)
		return;
	if (need > kb->cap) {
		size_t cap = need * 2 > 512 ? need * 2 : 512;
		unsigned char *p = realloc(kb->p, cap);

		if (p == NULL) {
			kb->oom = 1;
			return;
		}
		kb->p = p;
		kb->cap = cap;
	}
	memcpy(kb->p + kb->n, &len, sizeof(len));
	memcpy(kb->p + kb->n + sizeof(len), data, len);
	kb->n = need;
}

static void
kb_str(struct kbuf *kb, const char *s)
{
	kb_put(kb, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 0);
}

#define KB_VAL(kb, v) kb_put((kb), &(v), sizeof(v))

/* Everything generate_entry reads to make certificate I, signed by SIGNER
 * as ISS: its subject key and the signer's key (the pool's: they live as
 * long as the memo, so their address names them), the issuer's certificate
 * (its name and key identifier go into this one), the serial, names,
 * validity, extensions and hash.  A field added to generate_entry is added
 * here (tests/check_runq.c changes each in turn).  0, or -1 when the
 * certificate is not memoised (a key or issuer read from a file). */
static int
memo_key(const struct uctls_scenario *sc, const struct uctls_pki *pki, size_t i,
         const struct pki_entry *iss, const struct pki_entry *signer, struct kbuf *kb)
{
	const struct uctls_certdef *def = &sc->certs[i];
	const struct pki_entry *e = &pki->e[i];
	unsigned long sn = def->serial != 0 ? def->serial : (unsigned long)i + 1;
	long long nb = (long long)def->not_before, na = (long long)def->not_after;
	int hash = (int)def->hash;
	size_t k;

	if (e->key_owned || signer->key_owned || e->key == NULL || signer->key == NULL ||
	    (iss != e && iss->der.data == NULL))
		return -1;
	KB_VAL(kb, e->key);
	KB_VAL(kb, signer->key);
	if (iss != e)
		kb_put(kb, iss->der.data, iss->der.size);
	else
		kb_put(kb, "", 0);
	KB_VAL(kb, sn);
	kb_str(kb, def->subject);
	KB_VAL(kb, nb);
	KB_VAL(kb, na);
	KB_VAL(kb, hash);
	KB_VAL(kb, def->critical);
	KB_VAL(kb, def->has_basic_constraints);
	KB_VAL(kb, def->bc_ca);
	KB_VAL(kb, def->path_len);
	KB_VAL(kb, def->nsans);
	for (k = 0; k < def->nsans; k++) {
		KB_VAL(kb, def->sans[k].type);
		kb_str(kb, def->sans[k].value);
	}
	KB_VAL(kb, def->has_eku);
	KB_VAL(kb, def->neku);
	for (k = 0; k < def->neku; k++)
		kb_str(kb, def->eku[k]);
	KB_VAL(kb, def->has_key_usage);
	KB_VAL(kb, def->key_usage);
	kb_str(kb, def->crl_url);
	kb_str(kb, def->ocsp_url);
	KB_VAL(kb, def->nexts);
	for (k = 0; k < def->nexts; k++) {
		kb_str(kb, def->exts[k].oid);
		KB_VAL(kb, def->exts[k].critical);
		kb_put(kb, def->exts[k].der, def->exts[k].der_len);
	}
	return kb->oom ? -1 : 0;
}

/* FNV-1a. */
static size_t
kb_hash(const struct kbuf *kb)
{
	size_t h = (size_t)14695981039346656037ULL, k;

	for (k = 0; k < kb->n; k++)
		h = (h ^ kb->p[k]) * (size_t)1099511628211ULL;
	return h;
}

/* Under the pool's lock: a copy (gnutls_malloc) of the memoised DER for
 * KB in *DER; 0 found, -1 not (or out of memory). */
static int
memo_find(struct uctls_keypool *pool, const struct kbuf *kb, size_t h, gnutls_datum_t *der)
{
	const struct memo_ent *m;
	int rv = -1;

	pthread_mutex_lock(&pool->mu);
	for (m = pool->memo[h % MEMO_BUCKETS]; m != NULL; m = m->next)
		if (m->hash == h && m->klen == kb->n && memcmp(m->key, kb->p, kb->n) == 0)
			break;
	if (m != NULL && (der->data = gnutls_malloc(m->der.size)) != NULL) {
		memcpy(der->data, m->der.data, m->der.size);
		der->size = m->der.size;
		pool->nreused++;
		rv = 0;
	}
	pthread_mutex_unlock(&pool->mu);
	return rv;
}

/* Under the pool's lock: DER kept for KB (the key moves into the memo).
 * Failing to memoise is not an error: the certificate is still good. */
static void
memo_add(struct uctls_keypool *pool, struct kbuf *kb, size_t h, const gnutls_datum_t *der)
{
	struct memo_ent *m = calloc(1, sizeof(*m)), *o;

	if (m == NULL || (m->der.data = gnutls_malloc(der->size)) == NULL) {
		free(m);
		return;
	}
	memcpy(m->der.data, der->data, der->size);
	m->der.size = der->size;
	m->key = kb->p;
	m->klen = kb->n;
	m->hash = h;
	kb->p = NULL;
	pthread_mutex_lock(&pool->mu);
	pool->nsigned++;
	/* Two threads may sign the same certificate at once: keep one. */
	for (o = pool->memo[h % MEMO_BUCKETS]; o != NULL; o = o->next)
		if (o->hash == h && o->klen == m->klen && memcmp(o->key, m->key, m->klen) == 0)
			break;
	if (o == NULL) {
		m->next = pool->memo[h % MEMO_BUCKETS];
		pool->memo[h % MEMO_BUCKETS] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&pool->mu);
	if (m != NULL) {
		free(m->key);
		gnutls_free(m->der.data);
		free(m);
	}
}

/* Certificate I from the memo, else generate_entry (and memoised). */
static int
build_entry(const struct uctls_scenario *sc, struct uctls_pki *pki, size_t i,
            struct uctls_keypool *pool, struct uctls_err *err)
{
	const struct uctls_certdef *def = &sc->certs[i];
	struct pki_entry *e = &pki->e[i], *iss = e, *signer = e;
	struct kbuf kb = { NULL, 0, 0, 0 };
	long j = def->issuer != NULL ? def_index(sc, def->issuer) : -1;
	size_t h = 0;
	int ret, memo;

	if (j >= 0)
		iss = signer = &pki->e[j];
	if (def->signed_with != NULL) {
		j = def_index(sc, def->signed_with);
		signer = j >= 0 ? &pki->e[j] : NULL;
	}
	memo = signer != NULL && memo_key(sc, pki, i, iss, signer, &kb) == 0;
	if (memo) {
		h = kb_hash(&kb);
		if (memo_find(pool, &kb, h, &e->der) == 0) {
			free(kb.p);
			ret = gnutls_x509_crt_init(&e->crt);
			if (ret >= 0)
				ret = gnutls_x509_crt_import(e->crt, &e->der, GNUTLS_X509_FMT_DER);
			if (ret < 0)
				return uctls_err_at(err, sc->file, def->line,
				                    "<%s id=\"%s\">: re-importing: %s", tag(def),
				                    def->id, gnutls_strerror(ret));
			return 0;
		}
	}
	ret = generate_entry(sc, pki, i, err);
	if (ret == 0 && memo)
		memo_add(pool, &kb, h, &e->der);
	free(kb.p);
	return ret;
}

static int
finish_entry(struct pki_entry *e, struct uctls_err *err)
{
	unsigned char md[32];
	size_t k;
	int ret;

	ret = 0;
	if (e->der.data == NULL)
		ret = gnutls_x509_crt_export2(e->crt, GNUTLS_X509_FMT_DER,
		                              &e->der);
	if (ret >= 0)
		ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, e->der.data,
		                       e->der.size, md);
	if (ret < 0)
		return uctls_err_set(err, "certificate `%s': export: %s", e->id,
		                     gnutls_strerror(ret));
	for (k = 0; k < sizeof(md); k++)
		snprintf(e->fpr + 3 * k, FPR_LEN - 3 * k, "%02x%s", md[k],
		         k + 1 < sizeof(md) ? ":" : "");
	return 0;
}

/* Pass 1 of uctls_pki_build: the loaded certificates, and a key for each
 * generated one.  The n-th generated certificate of a key type takes slot
 * n, so a scenario's certificates never share a key by accident.  *LEFT:
 * how many are to be signed.  0, or -1 with ERR set. */
static int
build_keys(const struct uctls_scenario *sc, struct uctls_keypool *pool,
           struct uctls_pki *pki, size_t *left, struct uctls_err *err)
{
	unsigned slots[UCTLS_KEY__COUNT] = { 0 };
	size_t i;

	*left = 0;
	for (i = 0; i < sc->ncerts; i++) {
		const struct uctls_certdef *def = &sc->certs[i];
		enum uctls_key_type t;

		if (def->file != NULL) {
			if (load_entry(sc, def, &pki->e[i], err) < 0)
				return -1;
			continue;
		}
		if (def->issuer != NULL && def_index(sc, def->issuer) < 0)
			return uctls_err_at(err, sc->file, def->line,
			                    "<%s id=\"%s\">: unknown issuer `%s'",
			                    tag(def), def->id, def->issuer);
		t = key_type_resolve(def->key);
		if ((size_t)t >= UCTLS_KEY__COUNT)
			return uctls_err_at(err, sc->file, def->line,
			                    "<%s id=\"%s\">: unknown key type %d",
			                    tag(def), def->id, (int)def->key);
		(*left)++;
		if (def->key_of != NULL)
			continue; /* shares a key: taken below */
		if (uctls_keypool_get(pool, t, slots[t]++, &pki->e[i].key, err) < 0)
			return -1;
	}
	/* key-of: the same subject key in two certificates (the loader
	 * checked that the id names a generated certificate with its own
	 * key); the pool owns it. */
	for (i = 0; i < sc->ncerts; i++)
		if (sc->certs[i].file == NULL && sc->certs[i].key_of != NULL)
			pki->e[i].key = pki->e[def_index(sc, sc->certs[i].key_of)].key;
	return 0;
}

/* Pass 2 of uctls_pki_build: sign in issuer order; issuers may come after
 * their subjects.  Each round builds at least one certificate, or the rest
 * wait on each other (a cycle the loader should have rejected). */
static int
build_signed(const struct uctls_scenario *sc, struct uctls_keypool *pool,
             struct uctls_pki *pki, size_t left, struct uctls_err *err)
{
	size_t i, built;

	while (left > 0) {
		built = 0;
		for (i = 0; i < sc->ncerts; i++) {
			const struct uctls_certdef *def = &sc->certs[i];
			long j;

			if (def->file != NULL || pki->e[i].crt != NULL)
				continue;
			j = def_index(sc, def->issuer);
			if (j >= 0 && (size_t)j != i && pki->e[j].crt == NULL)
				continue;
			if ((size_t)j == i)
				return uctls_err_at(err, sc->file, def->line,
				                    "<%s id=\"%s\">: issuer is itself; omit "
				                    "issuer for a self-signed certificate",
				                    tag(def), def->id);
			if (build_entry(sc, pki, i, pool, err) < 0)
				return -1;
			built++;
			left--;
		}
		if (built > 0)
			continue;
		for (i = 0; i < sc->ncerts; i++)
			if (sc->certs[i].file == NULL && pki->e[i].crt == NULL)
				break;
		return uctls_err_at(err, sc->file, sc->certs[i].line,
		                    "<%s id=\"%s\">: issuer cycle through `%s'",
		                    tag(&sc->certs[i]), sc->certs[i].id, sc->certs[i].issuer);
	}
	return 0;
}

int
uctls_pki_build(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                struct uctls_pki **out, struct uctls_err *err)
{
	struct uctls_pki *pki;
	size_t i, left;
	int rv = -1;

	pki = calloc(1, sizeof(*pki));
	if (pki == NULL)
		return uctls_err_set(err, "out of memory");
	pki->e = calloc(sc->ncerts > 0 ? sc->ncerts : 1, sizeof(*pki->e));
	if (pki->e == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	pki->n = sc->ncerts;
	for (i = 0; i < sc->ncerts; i++) {
		pki->e[i].id = strdup(sc->certs[i].id);
		if (pki->e[i].id == NULL) {
			uctls_err_set(err, "out of memory");
			goto out;
		}
	}
	if (build_keys(sc, pool, pki, &left, err) < 0 ||
	    build_signed(sc, pool, pki, left, err) < 0)
		goto out;
	for (i = 0; i < sc->ncerts; i++)
		if (finish_entry(&pki->e[i], err) < 0)
			goto out;
	*out = pki;
	pki = NULL;
	rv = 0;
out:
	uctls_pki_free(pki);
	return rv;
}

/* ------------------------------------------------------------------------
 * Lookups
 */

size_t
uctls_pki_count(const struct uctls_pki *pki)
{
	return pki->n;
}

const char *
uctls_pki_id_at(const struct uctls_pki *pki, size_t i)
{
	return i < pki->n ? pki->e[i].id : NULL;
}

gnutls_x509_crt_t
uctls_pki_crt_at(const struct uctls_pki *pki, size_t i)
{
	return i < pki->n ? pki->e[i].crt : NULL;
}

static const struct pki_entry *
entry(const struct uctls_pki *pki, const char *id)
{
	size_t i;

	for (i = 0; i < pki->n; i++)
		if (strcmp(pki->e[i].id, id) == 0)
			return &pki->e[i];
	return NULL;
}

gnutls_x509_crt_t
uctls_pki_crt(const struct uctls_pki *pki, const char *id)
{
	const struct pki_entry *e = entry(pki, id);

	return e != NULL ? e->crt : NULL;
}

gnutls_x509_privkey_t
uctls_pki_key(const struct uctls_pki *pki, const char *id)
{
	const struct pki_entry *e = entry(pki, id);

	return e != NULL ? e->key : NULL;
}

const char *
uctls_pki_fingerprint(const struct uctls_pki *pki, const char *id)
{
	const struct pki_entry *e = entry(pki, id);

	return e != NULL ? e->fpr : NULL;
}

const char *
uctls_pki_find(const struct uctls_pki *pki, gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = { NULL, 0 };
	const char *id = NULL;
	size_t i;

	if (crt == NULL ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return NULL;
	for (i = 0; i < pki->n; i++)
		if (pki->e[i].der.size == der.size &&
		    memcmp(pki->e[i].der.data, der.data, der.size) == 0) {
			id = pki->e[i].id;
			break;
		}
	gnutls_free(der.data);
	return id;
}

/* uctls run --pki DIR: every <ca>/<cert> read from DIR/ID.pem, with
 * DIR/ID.key where there is one, as if the scenario said file= and key=:
 * the PKI exactly as `uctls pki export' wrote it, whatever keys the pool
 * holds now. */
int
uctls_pki_build_dir(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                    const char *dir, struct uctls_pki **out, struct uctls_err *err)
{
	struct uctls_scenario copy = *sc;
	struct uctls_certdef *defs;
	char **paths;
	size_t i, n = sc->ncerts;
	int rv = -1;

	defs = calloc(n > 0 ? n : 1, sizeof(*defs));
	paths = calloc(2 * n + 1, sizeof(*paths));
	if (defs == NULL || paths == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		defs[i] = sc->certs[i];
		if (asprintf(&paths[2 * i], "%s/%s.pem", dir, sc->certs[i].id) < 0)
			paths[2 * i] = NULL;
		else if (asprintf(&paths[2 * i + 1], "%s/%s.key", dir, sc->certs[i].id) < 0)
			paths[2 * i + 1] = NULL;
		if (paths[2 * i] == NULL || paths[2 * i + 1] == NULL) {
			uctls_err_set(err, "out of memory");
			goto out;
		}
		defs[i].file = paths[2 * i];
		defs[i].file_index = 1;
		defs[i].key_file = access(paths[2 * i + 1], F_OK) == 0 ? paths[2 * i + 1] : NULL;
	}
	copy.certs = defs;
	rv = uctls_pki_build(&copy, pool, out, err);
out:
	for (i = 0; paths != NULL && i < 2 * n; i++)
		free(paths[i]);
	free(paths);
	free(defs);
	return rv;
}

/* ------------------------------------------------------------------------
 * Export
 */

/* DIR/NAME replaced safely (uctls_file_write: never through a symbolic
 * link, never blocking on a FIFO), in MODE exactly. */
static int
write_file(const char *dir, const char *name, const void *data, size_t len, int mode,
           struct uctls_err *err)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return uctls_err_set(err, "%s/%s: path too long", dir, name);
	return uctls_file_write(path, data, len, (mode_t)mode, err);
}

/* Appends the PEM of CRT to *BUF. */
static int
append_pem(gnutls_x509_crt_t crt, char **buf, size_t *len)
{
	gnutls_datum_t d = { NULL, 0 };
	char *n;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
		return -1;
	n = realloc(*buf, *len + d.size + 1);
	if (n == NULL) {
		gnutls_free(d.data);
		return -1;
	}
	memcpy(n + *len, d.data, d.size);
	*len += d.size;
	n[*len] = '\0';
	*buf = n;
	gnutls_free(d.data);
	return 0;
}

/* The scenario's <crl>s (revoke.h), as a device uploads them (Expressway:
 * PEM, Maintenance > Security certificates > CRL management) and as a CDP
 * serves them (DER): ID.crl.pem and ID.crl, listed in the manifest M. */
static int
export_crls(const struct uctls_pki *pki, const struct uctls_scenario *sc, const char *dir,
            FILE *m, struct uctls_err *err)
{
	gnutls_datum_t der = { NULL, 0 }, pem = { NULL, 0 };
	char name[512];
	size_t i;
	int rv = 0;

	for (i = 0; sc->rev != NULL && i < sc->rev->ncrls && rv == 0; i++) {
		const struct uctls_crldef *cd = &sc->rev->crls[i];

		if (uctls_revoke_crl_der(sc, pki, cd, &der, err) < 0)
			return -1;
		if (gnutls_pem_base64_encode2("X509 CRL", &der, &pem) < 0)
			rv = uctls_err_set(err, "out of memory");
		snprintf(name, sizeof(name), "%s.crl", cd->id);
		if (rv == 0)
			rv = write_file(dir, name, der.data, der.size, 0644, err);
		snprintf(name, sizeof(name), "%s.crl.pem", cd->id);
		if (rv == 0)
			rv = write_file(dir, name, pem.data, pem.size, 0644, err);
		fprintf(m, "%s.crl, %s.crl.pem\tthe CRL of %s (DER, PEM), served at %s%s\n", cd->id,
		        cd->id, cd->issuer, cd->url, cd->down ? " (down in the scenario)" : "");
		gnutls_free(der.data);
		gnutls_free(pem.data);
		der.data = pem.data = NULL;
	}
	return rv;
}

/* The scenario's <ocsp> responders (revoke.h): for each certificate a
 * responder answers for (every one its issuer issued), the DER response it
 * gives at the scenario's clock, OCSPID-CERTID.ocsp, as `openssl s_server
 * -status_file' and `gnutls-serv --ocsp-response' staple it; listed in the
 * manifest M with the status it carries. */
static int
export_ocsps(const struct uctls_pki *pki, const struct uctls_scenario *sc, const char *dir,
             FILE *m, struct uctls_err *err)
{
	gnutls_datum_t der = { NULL, 0 };
	char name[512];
	size_t i, k, j;
	int rv = 0;

	for (i = 0; sc->rev != NULL && i < sc->rev->nocsps && rv == 0; i++) {
		const struct uctls_ocspdef *od = &sc->rev->ocsps[i];

		for (k = 0; k < sc->ncerts && rv == 0; k++) {
			const struct uctls_certdef *cd = &sc->certs[k];
			const char *st = "good";

			if (cd->issuer == NULL || strcmp(cd->issuer, od->issuer) != 0 ||
			    strcmp(cd->id, od->issuer) == 0)
				continue;
			for (j = 0; j < od->nrevoked; j++)
				if (strcmp(od->revoked[j], cd->id) == 0)
					st = "revoked";
			for (j = 0; j < od->nunknown; j++)
				if (strcmp(od->unknown[j], cd->id) == 0)
					st = "unknown";
			if (uctls_revoke_ocsp_der(sc, pki, od, cd->id, &der, err) < 0)
				return -1;
			snprintf(name, sizeof(name), "%s-%s.ocsp", od->id, cd->id);
			rv = write_file(dir, name, der.data, der.size, 0644, err);
			fprintf(m, "%s\tthe OCSP response of %s for %s (DER): %s, signed by %s%s\n", name,
			        od->id, cd->id, st, od->signed_with != NULL ? od->signed_with : od->issuer,
			        od->down ? " (the responder is down in the scenario: what it would "
			                   "answer)" : "");
			gnutls_free(der.data);
			der.data = NULL;
		}
	}
	return rv;
}

/* ID.pem, ID.der and ID.key of every certificate of the PKI. */
static int
export_certs(const struct uctls_pki *pki, const char *dir, FILE *m, struct uctls_err *err)
{
	char *buf = NULL, name[512];
	size_t len, i;
	gnutls_datum_t d = { NULL, 0 };
	int rv = -1;

	for (i = 0; i < uctls_pki_count(pki); i++) {
		const char *id = uctls_pki_id_at(pki, i);
		gnutls_x509_crt_t crt = uctls_pki_crt_at(pki, i);
		gnutls_x509_privkey_t key = uctls_pki_key(pki, id);

		len = 0;
		if (append_pem(crt, &buf, &len) < 0)
			goto oom;
		snprintf(name, sizeof(name), "%s.pem", id);
		if (write_file(dir, name, buf, len, 0644, err) < 0)
			goto out;
		if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d) < 0)
			goto oom;
		snprintf(name, sizeof(name), "%s.der", id);
		if (write_file(dir, name, d.data, d.size, 0644, err) < 0)
			goto out;
		gnutls_free(d.data);
		d.data = NULL;
		fprintf(m, "%s.pem\tcertificate %s (PEM; %s.der: the same, DER) sha256 %s\n", id, id,
		        id, uctls_pki_fingerprint(pki, id));
		if (key != NULL) {
			if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
				goto oom;
			snprintf(name, sizeof(name), "%s.key", id);
			if (write_file(dir, name, d.data, d.size, 0600, err) < 0)
				goto out;
			gnutls_free(d.data);
			d.data = NULL;
			fprintf(m, "%s.key\tprivate key of %s (PEM, mode 0600)\n", id, id);
		}
	}
	rv = 0;
	goto out;
oom:
	uctls_err_set(err, "out of memory");
out:
	gnutls_free(d.data);
	free(buf);
	return rv;
}

/* The PEM of the certificates IDS[0..N-1], in order, in DIR/NAME. */
static int
export_list(const struct uctls_pki *pki, char *const *ids, size_t n, const char *dir,
            const char *name, struct uctls_err *err)
{
	char *buf = NULL;
	size_t len = 0, k;
	int rv;

	for (k = 0; k < n; k++)
		if (append_pem(uctls_pki_crt(pki, ids[k]), &buf, &len) < 0) {
			free(buf);
			return uctls_err_set(err, "out of memory");
		}
	rv = write_file(dir, name, buf != NULL ? buf : "", len, 0644, err);
	free(buf);
	return rv;
}

/* PEER-chain.pem (what each peer sends) and PEER-trust.pem (its anchors). */
static int
export_peers(const struct uctls_pki *pki, const struct uctls_scenario *sc, const char *dir,
             FILE *m, struct uctls_err *err)
{
	char name[512];
	size_t i, k;

	for (i = 0; i < sc->npeers; i++) {
		const struct uctls_peerdef *pd = &sc->peers[i];

		snprintf(name, sizeof(name), "%s-chain.pem", pd->id);
		if (export_list(pki, pd->sends, pd->nsends, dir, name, err) < 0)
			return -1;
		fprintf(m, "%s-chain.pem\twhat peer %s sends, in order:", pd->id, pd->id);
		for (k = 0; k < pd->nsends; k++)
			fprintf(m, " %s", pd->sends[k]);
		fprintf(m, "%s\n", pd->nsends ? "" : " nothing");
		snprintf(name, sizeof(name), "%s-trust.pem", pd->id);
		if (export_list(pki, pd->trusts, pd->ntrusts, dir, name, err) < 0)
			return -1;
		fprintf(m, "%s-trust.pem\tthe trust anchors of peer %s:", pd->id, pd->id);
		for (k = 0; k < pd->ntrusts; k++)
			fprintf(m, " %s", pd->trusts[k]);
		fprintf(m, "%s\n", pd->ntrusts ? "" : " none");
	}
	return 0;
}

int
uctls_pki_export(const struct uctls_pki *pki, const struct uctls_scenario *sc, const char *dir,
                 struct uctls_err *err)
{
	char *man = NULL;
	size_t manlen = 0;
	FILE *m = NULL;
	int rv = -1;

	/* OUTDIR itself only (mode 0700), in a parent that exists. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int e = errno;

		return uctls_err_set(err, "%s: cannot create: %s%s", dir, strerror(e),
		                     e == ENOENT ? " (uctls creates OUTDIR, not its parents)" : "");
	}
	if (uctls_file_check_dir(dir, err) < 0)
		return -1;
	m = open_memstream(&man, &manlen);
	if (m == NULL)
		return uctls_err_set(err, "out of memory");
	fprintf(m, "# PKI of scenario %s (%s), written by uctls pki export.\n", sc->name, sc->file);
	fprintf(m, "# Keys come from the key pool and signatures are deterministic (RFC 6979):\n"
	           "# with the same --key-cache the same files are written again.\n");
	if (export_certs(pki, dir, m, err) < 0 || export_peers(pki, sc, dir, m, err) < 0 ||
	    export_crls(pki, sc, dir, m, err) < 0 || export_ocsps(pki, sc, dir, m, err) < 0)
		goto out;
	rv = fclose(m);
	m = NULL;
	if (rv != 0) {
		rv = uctls_err_set(err, "out of memory");
		goto out;
	}
	rv = write_file(dir, "MANIFEST.txt", man, manlen, 0644, err);
out:
	if (m != NULL)
		fclose(m);
	free(man);
	return rv;
}
