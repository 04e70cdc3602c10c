/* uctls — `uctls probe --save': what a probe saw, as a scenario that
 * replays it offline (probe.h).
 *
 * Each certificate the server sent is cloned into a <cert>/<ca> of <pki>
 * with what the format can say (uctls-scenario(5)): subject DN, issuer (the
 * clone of the certificate whose subject is its issuer DN), SANs, key
 * usage, extended key usage, basic constraints and path length, which of
 * them are critical, every other extension as oid/value (DER), validity
 * (absolute dates), serial, key type and size, signature hash.  The keys
 * are new (uctls makes them); so are the subject and authority key
 * identifiers, which follow from them.  An issuer that is neither sent nor
 * among the anchors is cloned as an intermediate CA (with the subject the
 * certificate names) under a root of its own, neither sent nor trusted:
 * the verifier names it a missing intermediate (issuer-not-found) in the
 * replay as in the probe.  Every trust anchor a certificate of the chain
 * names as issuer (or is) is cloned and trusted.  What cannot be cloned is
 * listed in the notes and in the <summary>.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certinfo.h"
#include "family.h"
#include "fileio.h"
#include "probe.h"
#include "scenario.h"

#define MAX_NODES 64

/* One certificate of the saved <pki>. */
struct node {
	gnutls_x509_crt_t crt; /* NULL: made up (a missing issuer, or its root) */
	char id[32];
	char *subject;         /* made-up nodes: gnutls_malloc'd DN */
	const char *key;       /* made-up nodes: key=, from what they signed, or NULL */
	int issuer;            /* index of the issuer node; -1: self-signed */
	int trusted, is_ca;
};

struct save {
	const struct uctls_probe_opts *o;
	struct node n[MAX_NODES];
	size_t nn, nsent;
	int fake_root;          /* index of the made-up root, -1 until needed */
	FILE *notes;            /* what could not be cloned, one per line */
	int nnotes;
	int undecoded;          /* certificates sent that did not decode */
	size_t unused;          /* anchors left out (more than MAX_UNUSED) */
	struct uctls_err *err;
};

static void
note(struct save *s, const char *id, const char *fmt, const char *what)
{
	fprintf(s->notes, "%s: ", id);
	fprintf(s->notes, fmt, what);
	fputc('\n', s->notes);
	s->nnotes++;
}

static int
add_node(struct save *s, gnutls_x509_crt_t crt, const char *prefix, size_t k)
{
	struct node *nd;
	unsigned ca = 0;
	int crit;

	if (s->nn >= MAX_NODES)
		return uctls_err_set(s->err, "more than %d certificates to clone", MAX_NODES);
	nd = &s->n[s->nn];
	memset(nd, 0, sizeof(*nd));
	nd->crt = crt;
	nd->issuer = -2; /* not linked yet */
	snprintf(nd->id, sizeof(nd->id), "%s%zu", prefix, k);
	if (crt != NULL && gnutls_x509_crt_get_basic_constraints(crt, (unsigned *)&crit, &ca, NULL) >= 0)
		nd->is_ca = ca != 0;
	return (int)s->nn++;
}

/* The node of anchor J (made when first needed), or -1. */
static int
anchor_node(struct save *s, gnutls_x509_crt_t anchor, size_t j, int *used)
{
	size_t i;
	int k;

	for (i = 0; i < s->nn; i++)
		if (s->n[i].crt == anchor)
			return (int)i;
	if ((k = add_node(s, anchor, "anchor-", j + 1)) < 0)
		return -1;
	used[j] = 1;
	s->n[k].trusted = 1;
	s->n[k].is_ca = 1;
	/* An anchor is where the path ends: cloned self-signed. */
	s->n[k].issuer = -1;
	if (!gnutls_x509_crt_check_issuer(anchor, anchor))
		note(s, s->n[k].id, "%s", "a trust anchor that is not self-issued: cloned self-signed");
	return k;
}

/* The key type of the CA that signed C, as far as the signature tells:
 * an RSA signature is as long as the modulus; an ECDSA one does not say
 * its curve (P-384 is taken with SHA-384, else P-256). */
static const char *
signer_key(gnutls_x509_crt_t c)
{
	int sa = gnutls_x509_crt_get_signature_algorithm(c);
	gnutls_pk_algorithm_t pk = gnutls_sign_get_pk_algorithm((gnutls_sign_algorithm_t)sa);
	unsigned char sig[1024];
	size_t len = sizeof(sig);

	if ((pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS) &&
	    gnutls_x509_crt_get_signature(c, (char *)sig, &len) >= 0)
		return len == 128 ? "rsa-1024" : len == 256 ? "rsa-2048" : len == 384 ? "rsa-3072"
		       : len == 512 ? "rsa-4096" : NULL;
	if (pk == GNUTLS_PK_ECDSA)
		return gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sa) == GNUTLS_DIG_SHA384
		               ? "ecdsa-p384"
		               : "ecdsa-p256";
	return pk == GNUTLS_PK_EDDSA_ED25519 ? "ed25519" : NULL;
}

/* The node whose subject is the issuer of node I, made up if none. */
static int
find_issuer(struct save *s, int i, gnutls_x509_crt_t *anchors, size_t na, int *used)
{
	gnutls_x509_crt_t c = s->n[i].crt;
	gnutls_datum_t dn;
	size_t j;
	int k;

	if (gnutls_x509_crt_check_issuer(c, c))
		return -1;
	for (j = 0; j < s->nn; j++)
		if ((int)j != i && s->n[j].crt != NULL && gnutls_x509_crt_check_issuer(c, s->n[j].crt))
			return (int)j;
	for (j = 0; j < na; j++)
		if (gnutls_x509_crt_check_issuer(c, anchors[j]))
			return (k = anchor_node(s, anchors[j], j, used)) < 0 ? -3 : k;
	/* Neither sent nor trusted: a missing intermediate, under a root of
	 * its own (a self-signed one would read untrusted-root, verify.c). */
	if ((k = add_node(s, NULL, "missing-", s->nn)) < 0)
		return -3;
	s->n[k].is_ca = 1;
	if (gnutls_x509_crt_get_issuer_dn3(c, &dn, 0) < 0)
		return uctls_err_set(s->err, "cannot read the issuer of %s", s->n[i].id) - 2;
	s->n[k].subject = (char *)dn.data;
	s->n[k].key = signer_key(c);
	/* Under the one anchor given, if one (the common case: the server
	 * left out the intermediate of the CA the client trusts), else under a
	 * root never seen. */
	if (na == 1) {
		s->n[k].issuer = anchor_node(s, anchors[0], 0, used);
		return s->n[k].issuer < 0 ? -3 : k;
	}
	if (s->fake_root < 0) {
		if ((s->fake_root = add_node(s, NULL, "unseen-root-", 1)) < 0)
			return -3;
		s->n[s->fake_root].issuer = -1;
		s->n[s->fake_root].is_ca = 1;
	}
	s->n[k].issuer = s->fake_root;
	return k;
}

/* Links every node to its issuer (nodes appended while linking included);
 * then the anchors no certificate named, as the client trusted them too
 * (up to MAX_UNUSED of them: a system bundle is not cloned whole). */
#define MAX_UNUSED 8
static int
link_all(struct save *s, gnutls_x509_crt_t *anchors, size_t na, int *used)
{
	size_t i, unused = 0;
	int k;

	for (i = 0; i < na; i++)
		unused += !used[i];
	for (i = 0; i < na && unused <= MAX_UNUSED; i++)
		if (!used[i] && anchor_node(s, anchors[i], i, used) < 0)
			return -1;
	if (unused > MAX_UNUSED)
		s->unused = unused;

	for (i = 0; i < s->nn; i++) {
		if (s->n[i].issuer != -2 || s->n[i].crt == NULL)
			continue;
		if ((k = find_issuer(s, (int)i, anchors, na, used)) < -1)
			return -1;
		s->n[i].issuer = k;
	}
	return 0;
}

static void
put_time(FILE *f, const char *attr, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, " %s=\"%s\"", attr, buf);
}

/* key= and hash= of a clone. */
static void
put_key(struct save *s, FILE *f, const struct node *nd)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(nd->crt, &bits);
	int sa = gnutls_x509_crt_get_signature_algorithm(nd->crt);
	gnutls_digest_algorithm_t h = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sa);
	gnutls_ecc_curve_t curve = 0;
	const char *k = NULL;
	char what[64];

	if ((pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS) &&
	    (bits == 1024 || bits == 2048 || bits == 3072 || bits == 4096)) {
		snprintf(what, sizeof(what), "rsa-%u", bits);
		k = what;
		/* RFC 4055 id-RSASSA-PSS: the format's RSA keys are rsaEncryption */
		if (pk == GNUTLS_PK_RSA_PSS)
			note(s, nd->id, "an RSA-PSS key (RFC 4055): the format has none, cloned as %s "
			     "(rsaEncryption)", what);
	} else if (pk == GNUTLS_PK_ECDSA && gnutls_x509_crt_get_pk_ecc_raw(nd->crt, &curve, NULL, NULL) >= 0 &&
	           (curve == GNUTLS_ECC_CURVE_SECP256R1 || curve == GNUTLS_ECC_CURVE_SECP384R1)) {
		k = curve == GNUTLS_ECC_CURVE_SECP256R1 ? "ecdsa-p256" : "ecdsa-p384";
	} else if (pk == GNUTLS_PK_EDDSA_ED25519) {
		k = "ed25519";
	}
	if (k != NULL) {
		fprintf(f, " key=\"%s\"", k);
	} else {
		snprintf(what, sizeof(what), "%s %u bits",
		         pk >= 0 ? gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) : "?", bits);
		note(s, nd->id, "key %s: not a key type of the format, cloned as ecdsa-p256", what);
	}
	if (gnutls_sign_get_pk_algorithm((gnutls_sign_algorithm_t)sa) == GNUTLS_PK_RSA_PSS)
		note(s, nd->id, "signed with RSA-PSS (%s): the format signs RSA with PKCS#1 v1.5, "
		     "cloned so",
		     gnutls_sign_get_name((gnutls_sign_algorithm_t)sa) != NULL
		             ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sa)
		             : "?");
	if (h == GNUTLS_DIG_SHA1 || h == GNUTLS_DIG_SHA256 || h == GNUTLS_DIG_SHA384 ||
	    h == GNUTLS_DIG_SHA512)
		fprintf(f, " hash=\"%s\"",
		        h == GNUTLS_DIG_SHA1     ? "sha1"
		        : h == GNUTLS_DIG_SHA256 ? "sha256"
		        : h == GNUTLS_DIG_SHA384 ? "sha384"
		                                 : "sha512");
	else if (pk != GNUTLS_PK_EDDSA_ED25519) /* Ed25519 signs without a hash */
		note(s, nd->id, "signature algorithm %s: cloned with sha256",
		     sa >= 0 && gnutls_sign_get_name((gnutls_sign_algorithm_t)sa) != NULL
		             ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sa)
		             : "?");
}

/* serial= when it fits the format's (a positive 64-bit number). */
static void
put_serial(struct save *s, FILE *f, const struct node *nd)
{
	unsigned char ser[64];
	size_t len = sizeof(ser), i, lead = 0;
	unsigned long v = 0;

	if (gnutls_x509_crt_get_serial(nd->crt, ser, &len) < 0)
		return;
	while (lead < len && ser[lead] == 0)
		lead++;
	if (len - lead > sizeof(v) || lead == len || (ser[0] & 0x80)) {
		char hex[16];

		snprintf(hex, sizeof(hex), "%zu", len);
		note(s, nd->id, "serial of %s octets: the format takes 1 to 2^64-1, a new one is used",
		     hex);
		return;
	}
	for (i = lead; i < len; i++)
		v = v << 8 | ser[i];
	fprintf(f, " serial=\"%lu\"", v);
}

/* key-usage=, eku=, basic-constraints=, path-len=, critical=; *CRIT
 * collects the critical ones. */
static void
put_usage(FILE *f, const struct node *nd, char *crit, size_t cl)
{
	static const char *const ku[] = { "digitalSignature", "nonRepudiation", "keyEncipherment",
		                          "dataEncipherment", "keyAgreement", "keyCertSign",
		                          "cRLSign", "encipherOnly", "decipherOnly" };
	static const unsigned bits[] = { GNUTLS_KEY_DIGITAL_SIGNATURE, GNUTLS_KEY_NON_REPUDIATION,
		                         GNUTLS_KEY_KEY_ENCIPHERMENT, GNUTLS_KEY_DATA_ENCIPHERMENT,
		                         GNUTLS_KEY_KEY_AGREEMENT, GNUTLS_KEY_KEY_CERT_SIGN,
		                         GNUTLS_KEY_CRL_SIGN, GNUTLS_KEY_ENCIPHER_ONLY,
		                         GNUTLS_KEY_DECIPHER_ONLY };
	unsigned u, c = 0, ca = 0, i, n = 0;
	int pl = -1;
	char oid[128];
	size_t ol;

	fputs(" key-usage=\"", f);
	if (gnutls_x509_crt_get_key_usage(nd->crt, &u, &c) >= 0) {
		for (i = 0; i < 9; i++)
			if (u & bits[i])
				fprintf(f, "%s%s", n++ ? "," : "", ku[i]);
		if (c)
			snprintf(crit + strlen(crit), cl - strlen(crit), "%skey-usage", *crit ? "," : "");
	}
	fprintf(f, "%s\" eku=\"", n == 0 ? "none" : "");
	for (n = 0;; n++) {
		ol = sizeof(oid);
		if (gnutls_x509_crt_get_key_purpose_oid(nd->crt, n, oid, &ol, &c) < 0)
			break;
		fprintf(f, "%s%s", n ? "," : "", oid);
		if (n == 0 && c)
			snprintf(crit + strlen(crit), cl - strlen(crit), "%seku", *crit ? "," : "");
	}
	fprintf(f, "%s\"", n == 0 ? "none" : "");
	if (gnutls_x509_crt_get_basic_constraints(nd->crt, &c, &ca, &pl) < 0) {
		fputs(" basic-constraints=\"none\"", f);
		return;
	}
	fprintf(f, " basic-constraints=\"%s\"", ca ? "ca" : "leaf");
	if (ca && pl >= 0)
		fprintf(f, " path-len=\"%d\"", pl);
	if (c)
		snprintf(crit + strlen(crit), cl - strlen(crit), "%sbasic-constraints", *crit ? "," : "");
}

/* san= from what the reports decode (certinfo.h), in the format's words. */
static void
put_san(struct save *s, FILE *f, const struct node *nd, const struct uctls_certinfo *ci)
{
	static const struct {
		const char *from, *to;
	} map[] = { { "DNS:", "DNS:" }, { "IP:", "IP:" }, { "URI:", "URI:" },
		    { "email:", "email:" }, { "XmppAddr:", "XMPP:" }, { "SRV:", "SRV:" } };
	size_t i, j, n = 0;
	char *v = NULL;
	size_t vl = 0;
	FILE *m = open_memstream(&v, &vl);

	if (m == NULL)
		return;
	for (i = 0; i < ci->nsan; i++) {
		for (j = 0; j < sizeof(map) / sizeof(map[0]); j++)
			if (strncmp(ci->san[i], map[j].from, strlen(map[j].from)) == 0)
				break;
		if (j == sizeof(map) / sizeof(map[0]) ||
		    strchr(ci->san[i] + strlen(map[j].from), ',') != NULL) {
			note(s, nd->id, "subjectAltName %s: not expressible in san=, left out", ci->san[i]);
			continue;
		}
		fprintf(m, "%s%s%s", n++ ? "," : "", map[j].to, ci->san[i] + strlen(map[j].from));
	}
	fclose(m);
	if (n > 0)
		uctls_probe_put_attr(f, "san", v);
	free(v);
}

/* Every extension not said by an attribute, as <extension>; the SAN's
 * criticality into CRIT. */
static void
put_exts(FILE *f, const struct node *nd, char *crit, size_t cl)
{
	static const char *const said[] = { "2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17",
		                            "2.5.29.14", "2.5.29.35" };
	char oid[128];
	size_t ol, j;
	unsigned i, c;
	gnutls_datum_t d;

	for (i = 0;; i++) {
		ol = sizeof(oid);
		if (gnutls_x509_crt_get_extension_info(nd->crt, i, oid, &ol, &c) < 0)
			break;
		if (strcmp(oid, "2.5.29.17") == 0 && c)
			snprintf(crit + strlen(crit), cl - strlen(crit), "%ssan", *crit ? "," : "");
		for (j = 0; j < sizeof(said) / sizeof(said[0]); j++)
			if (strcmp(oid, said[j]) == 0)
				break;
		if (j < sizeof(said) / sizeof(said[0]) ||
		    gnutls_x509_crt_get_extension_data2(nd->crt, i, &d) < 0)
			continue;
		fprintf(f, "      <extension oid=\"%s\" critical=\"%s\" value=\"", oid, c ? "yes" : "no");
		for (j = 0; j < d.size; j++)
			fprintf(f, "%02x", d.data[j]);
		fputs("\"/>\n", f);
		gnutls_free(d.data);
	}
}

/* One cloned certificate. */
static int
put_clone(struct save *s, FILE *f, const struct node *nd)
{
	struct uctls_certinfo ci;
	gnutls_datum_t der;
	char crit[80] = "", *ext = NULL;
	size_t el = 0;
	FILE *e;

	if (gnutls_x509_crt_export2(nd->crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return uctls_err_set(s->err, "%s: cannot export the certificate", nd->id);
	if (uctls_certinfo_decode(der.data, der.size, &ci) < 0) {
		gnutls_free(der.data);
		return uctls_err_set(s->err, "%s: cannot decode the certificate", nd->id);
	}
	gnutls_free(der.data);
	fprintf(f, "    <%s id=\"%s\"", nd->is_ca ? "ca" : "cert", nd->id);
	uctls_probe_put_attr(f, "subject", ci.subject);
	if (nd->issuer >= 0)
		fprintf(f, " issuer=\"%s\"", s->n[nd->issuer].id);
	put_key(s, f, nd);
	put_san(s, f, nd, &ci);
	put_usage(f, nd, crit, sizeof(crit));
	if ((e = open_memstream(&ext, &el)) == NULL) {
		uctls_certinfo_clear(&ci);
		return uctls_err_set(s->err, "out of memory");
	}
	put_exts(e, nd, crit, sizeof(crit));
	fclose(e);
	fprintf(f, " critical=\"%s\"", *crit ? crit : "none");
	put_time(f, "not-before", gnutls_x509_crt_get_activation_time(nd->crt));
	put_time(f, "not-after", gnutls_x509_crt_get_expiration_time(nd->crt));
	put_serial(s, f, nd);
	if (ci.subject[0] == '\0')
		note(s, nd->id, "%san empty subject: the format needs one, written as CN=", "");
	if (el > 0)
		fprintf(f, ">\n%s    </%s>\n", ext, nd->is_ca ? "ca" : "cert");
	else
		fputs("/>\n", f);
	free(ext);
	uctls_certinfo_clear(&ci);
	return 0;
}

/* <pki> of the save: our client's certificate, then every node. */
static int
put_pki(struct save *s, FILE *f)
{
	size_t i;

	fputs("  <pki>\n", f);
	if (uctls_probe_put_client_pki(f, s->o, s->err) < 0)
		return -1;
	for (i = 0; i < s->nn; i++) {
		const struct node *nd = &s->n[i];

		if (nd->crt != NULL) {
			if (put_clone(s, f, nd) < 0)
				return -1;
			continue;
		}
		fprintf(f, "    <ca id=\"%s\"", nd->id);
		uctls_probe_put_attr(f, "subject", nd->subject != NULL ? nd->subject
		                                                       : "CN=uctls probe: a root never seen");
		if (nd->issuer >= 0)
			fprintf(f, " issuer=\"%s\"", s->n[nd->issuer].id);
		if (nd->key != NULL)
			fprintf(f, " key=\"%s\"", nd->key);
		fputs("/>\n", f);
	}
	fputs("  </pki>\n", f);
	return 0;
}

/* Every certificate of the trust files, in *OUT (gnutls_free the array
 * after deinit of each). */
static int
load_anchors(const struct uctls_probe_opts *o, gnutls_x509_crt_t **out, size_t *nout,
             struct uctls_err *err)
{
	gnutls_x509_crt_t *all = NULL, *crts, *grown;
	size_t n = 0, i;
	unsigned k, m;
	unsigned char *data;
	size_t len;
	gnutls_datum_t d;

	for (i = 0; i < o->ntrust; i++) {
		if (uctls_file_read(o->trust_files[i], UCTLS_FILE_MAX_PEM, &data, &len, err) < 0)
			goto fail;
		d.data = data;
		d.size = (unsigned)len;
		m = 0;
		if (gnutls_x509_crt_list_import2(&crts, &m, &d, GNUTLS_X509_FMT_PEM, 0) < 0)
			m = 0;
		free(data);
		if ((grown = realloc(all, (n + m) * sizeof(*all) + 1)) == NULL) {
			for (k = 0; k < m; k++)
				gnutls_x509_crt_deinit(crts[k]);
			gnutls_free(crts);
			uctls_err_set(err, "out of memory");
			goto fail;
		}
		all = grown;
		for (k = 0; k < m; k++)
			all[n++] = crts[k];
		if (m > 0)
			gnutls_free(crts);
	}
	*out = all;
	*nout = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(all[i]);
	free(all);
	return -1;
}

/* The side of LOG that was real (the server), or NULL. */
static const struct uctls_side_info *
server_side(const struct uctls_log *log)
{
	size_t i;

	for (i = 0; i < log->nsides; i++)
		if (log->sides[i].remote && strcmp(log->sides[i].role, "server") == 0)
			return &log->sides[i];
	return NULL;
}

/* The nodes of what the server sent, each marked trusted when it is one of
 * the anchors. */
static int
add_sent(struct save *s, const struct uctls_side_info *si, gnutls_x509_crt_t *anchors, size_t na,
         int *used)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	size_t i, j;
	int k;

	for (i = 0; si != NULL && i < si->nsent; i++) {
		if (si->sent_der == NULL || si->sent_der[i].data == NULL)
			continue;
		d.data = si->sent_der[i].data;
		d.size = (unsigned)si->sent_der[i].len;
		if (gnutls_x509_crt_init(&crt) < 0)
			return uctls_err_set(s->err, "out of memory");
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt);
			s->undecoded++;
			continue;
		}
		if ((k = add_node(s, crt, "sent-", i)) < 0) {
			gnutls_x509_crt_deinit(crt);
			return -1;
		}
		s->nsent++;
		for (j = 0; j < na; j++)
			if (gnutls_x509_crt_equals(crt, anchors[j])) {
				s->n[k].trusted = 1;
				used[j] = 1;
			}
	}
	return 0;
}

/* The server's attributes in the save: what it sends, trusts, and answers. */
static void
put_server_attrs(struct save *s, FILE *f, const struct uctls_step *fl)
{
	size_t i;

	fputs(" sends=\"", f);
	for (i = 0; i < s->nsent; i++)
		fprintf(f, "%s%s", i ? " " : "", s->n[i].id);
	fputs("\" trusts=\"probe-ca\"", f);
	if (fl == NULL || fl->reason == NULL)
		return;
	if (strncmp(fl->reason, "sip-status:", 11) == 0 && strcmp(s->o->family, "tls") != 0)
		fprintf(f, " sip-response=\"%d\"", atoi(fl->reason + 11));
	else if (strncmp(fl->reason, "http-status:", 12) == 0 && strcmp(s->o->family, "https") == 0)
		fprintf(f, " http-response=\"%d\"", atoi(fl->reason + 12));
	else if (strcmp(fl->reason, "starttls-not-offered") == 0)
		fputs(" starttls=\"none\"", f);
	else if ((strcmp(fl->step, "tls-handshake") != 0 && strcmp(fl->step, "ssh-tunnel") != 0) ||
	         strncmp(fl->reason, "alert:", 6) == 0 || strcmp(fl->reason, "timeout") == 0 ||
	         strcmp(fl->reason, "connection-refused") == 0)
		/* The client's verdict on a chain is replayed (the tunnel's
		 * leaf-alone chain is the family's); what the server did of
		 * its own accord is not modelled. */
		note(s, fl->side,
		     "the failure (%s) is the real server's behaviour, which the saved "
		     "scenario does not model: the replay may differ",
		     fl->reason);
}

/* <pki>, <peer>s and <expect> of the save (the notes are collected as it
 * is written). */
static int
put_body(struct save *s, FILE *f, const char *profile, const struct uctls_step *fl)
{
	char trusts[600] = "", *attrs = NULL;
	size_t i, al = 0;
	FILE *a;

	if (put_pki(s, f) < 0)
		return -1;
	for (i = 0; i < s->nn; i++)
		if (s->n[i].trusted && strlen(trusts) + strlen(s->n[i].id) + 2 < sizeof(trusts))
			snprintf(trusts + strlen(trusts), sizeof(trusts) - strlen(trusts), "%s%s",
			         *trusts ? " " : "", s->n[i].id);
	if ((a = open_memstream(&attrs, &al)) == NULL)
		return uctls_err_set(s->err, "out of memory");
	put_server_attrs(s, a, fl);
	fclose(a);
	uctls_probe_put_peers(f, s->o, profile, *trusts ? trusts : "probe-ca", attrs);
	free(attrs);
	if (fl == NULL)
		fputs("  <expect result=\"pass\"/>\n", f);
	else
		fprintf(f, "  <expect fail-at=\"%s\" side=\"%s\" reason=\"%s\"/>\n", fl->step,
		        fl->side, fl->reason);
	fputs("</scenario>\n", f);
	return 0;
}

/* <scenario>, <summary> (with NOTES) and <clock>. */
static void
put_head(struct save *s, FILE *f, const char *profile, const struct uctls_step *fl,
         const char *notes)
{
	char when[32], *sum = NULL;
	size_t i, sl = 0;
	struct tm tm;
	FILE *m;

	gmtime_r(&s->o->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "<scenario name=\"probe/%s-%s\"", s->o->family, profile);
	fprintf(f, " family=\"%s\">\n  <summary>", s->o->family);
	if ((m = open_memstream(&sum, &sl)) == NULL)
		return;
	fprintf(m, "Saved by uctls probe from %s port %u (%s, profile %s) at %s: ", s->o->host,
	        s->o->port, s->o->family, profile, when);
	if (fl == NULL)
		fputs("every step passed. ", m);
	else
		fprintf(m, "%s failed on %s: %s. ", fl->step, fl->side, fl->reason);
	fputs(*notes ? "NOT a faithful replay: " : "The server's chain is cloned with fresh keys.", m);
	for (i = 0; notes[i] != '\0'; i++)
		if (notes[i] != '\n')
			fputc(notes[i], m);
		else
			fputs(notes[i + 1] != '\0' ? "; " : ".", m);
	fclose(m);
	for (i = 0; sum != NULL && sum[i] != '\0'; i++)
		if (sum[i] == '<' || sum[i] == '&' || sum[i] == '>')
			fputs(sum[i] == '<' ? "&lt;" : sum[i] == '&' ? "&amp;" : "&gt;", f);
		else
			fputc(sum[i], f);
	free(sum);
	fprintf(f, "</summary>\n  <clock now=\"%s\"/>\n", when);
	uctls_probe_put_profiles(f, s->o);
}

static void
save_clear(struct save *s, gnutls_x509_crt_t *anchors, size_t na, int *used)
{
	size_t i;

	for (i = 0; i < s->nn; i++) {
		if (i < s->nsent && s->n[i].crt != NULL)
			gnutls_x509_crt_deinit(s->n[i].crt);
		gnutls_free(s->n[i].subject);
	}
	for (i = 0; i < na; i++)
		gnutls_x509_crt_deinit(anchors[i]);
	free(anchors);
	free(used);
}

/* The whole scenario text of the save into *XML, the notes into *NT. */
static int
put_scenario(struct save *s, const char *profile, const struct uctls_log *log, char **xml,
             size_t *xl, char **nt)
{
	const struct uctls_step *fl = uctls_log_failure(log);
	char *body = NULL;
	size_t bl = 0;
	FILE *b, *x;
	int rv;

	if (s->nsent == 0)
		note(s, "server", "%s", "sent no certificate: nothing to clone");
	if (s->unused > 0)
		note(s, "trust", "%s", "the anchors no certificate of the chain names are left out");
	if (s->undecoded > 0)
		note(s, "server", "%s", "sent a certificate that does not decode: left out");
	if ((b = open_memstream(&body, &bl)) == NULL)
		return uctls_err_set(s->err, "out of memory");
	rv = put_body(s, b, profile, fl);
	fclose(b);
	fflush(s->notes);
	if (rv == 0 && (x = open_memstream(xml, xl)) != NULL) {
		put_head(s, x, profile, fl, *nt != NULL ? *nt : "");
		fwrite(body, 1, bl, x);
		fclose(x);
	} else if (rv == 0) {
		rv = uctls_err_set(s->err, "out of memory");
	}
	free(body);
	return rv;
}

int
uctls_probe_save(const struct uctls_probe_opts *o, const char *profile,
                 const struct uctls_log *log, const char *path, char **notes,
                 struct uctls_err *err)
{
	struct save s;
	struct uctls_probe_opts oc;
	gnutls_x509_crt_t *anchors = NULL;
	size_t na = 0, xl = 0;
	int *used = NULL, rv = -1;
	char *nt = NULL, *xml = NULL;
	size_t nl = 0;

	memset(&s, 0, sizeof(s));
	/* The client's certificate in the save is always one uctls makes for
	 * --from (a scenario must not depend on the user's key files); the
	 * server trusts its CA. */
	oc = *o;
	oc.cert_file = oc.key_file = NULL;
	s.o = &oc;
	s.err = err;
	s.fake_root = -1;
	*notes = NULL;
	if (load_anchors(o, &anchors, &na, err) < 0)
		return -1;
	if ((used = calloc(na + 1, sizeof(*used))) == NULL ||
	    (s.notes = open_memstream(&nt, &nl)) == NULL) {
		save_clear(&s, anchors, na, used);
		return uctls_err_set(err, "out of memory");
	}
	if (add_sent(&s, server_side(log), anchors, na, used) == 0 &&
	    link_all(&s, anchors, na, used) == 0 &&
	    put_scenario(&s, profile, log, &xml, &xl, &nt) == 0)
		rv = uctls_file_write(path, xml, xl, 0644, err);
	fclose(s.notes);
	if (rv == 0 && nt != NULL && *nt != '\0')
		*notes = nt;
	else
		free(nt);
	free(xml);
	save_clear(&s, anchors, na, used);
	return rv;
}
