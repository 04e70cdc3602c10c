#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "pcap.h"
#include "revoke.h"
#include "tls.h"
#include "warn.h"

struct uctls_tls {
	struct uctls_tls_cfg cfg;
	gnutls_session_t sess;
	gnutls_certificate_credentials_t cred;
	gnutls_pcert_st *pcerts; /* what this side sends, in order */
	unsigned npcerts;
	gnutls_privkey_t pkey;
	gnutls_pcert_st *pcerts_ec; /* a server's -ECDSA slot beside its RSA one (store.h) */
	unsigned npcerts_ec;
	gnutls_privkey_t pkey_ec;
	int client_ec_first; /* server: the ClientHello lists an ECDSA scheme first */
	int cert_requested; /* client: the server sent a CertificateRequest */
	char **req_cas;     /* its certificate_authorities, RFC 4514 strings (owned) */
	size_t nreq_cas;
	gnutls_x509_crt_t *trust; /* borrowed from the PKI */
	size_t ntrust;
	gnutls_datum_t staple; /* gnutls_malloc: the OCSP response this side staples
	                          (revoke.h, staple="yes"); empty: none */
	gnutls_x509_crt_t *peer; /* what the other side presented, owned */
	size_t npeer;
	char **peer_fpr;
	int verified;   /* the verify callback ran */
	int order_checked; /* own_chain_misordered() ran */
	int rejected;   /* this side rejected the other's certificate */
	int failed;
	struct uctls_diag diag;
	struct uctls_diag soft;   /* verify_soft: the verdict kept for later */
	int soft_rejected;
	char version[32];
	char cipher[96];
	unsigned own_versions;  /* bit (minor) of each TLS 1.x version enabled here */
	unsigned peer_versions; /* server: versions the ClientHello offered */
	int fd;
	size_t rx; /* bytes read from the socket, for what a timeout reports */
	/* The record framing of what was read (RFC 8446 5.1), so that a
	 * plaintext alert where an encrypted record was expected is named. */
	struct {
		unsigned char hdr[5];
		unsigned hpos;   /* header bytes seen of the current record */
		size_t left;     /* body bytes still to come */
		unsigned char body[2]; /* a 2-byte alert record's body */
		int alert;       /* last complete record: a 2-byte alert (type 21) */
	} rec;
};

#define VBIT(minor) (1u << (minor)) /* TLS 1.minor, from wire version 3.(minor+1) */

/* RFC 8446 6.2 names (RFC 5246 7.2 for the TLS 1.2-only ones). */
const char *
uctls_tls_alert_name(int alert)
{
	static const struct {
		int a;
		const char *name;
	} names[] = {
		{ GNUTLS_A_CLOSE_NOTIFY, "close-notify" },
		{ GNUTLS_A_UNEXPECTED_MESSAGE, "unexpected-message" },
		{ GNUTLS_A_BAD_RECORD_MAC, "bad-record-mac" },
		{ GNUTLS_A_RECORD_OVERFLOW, "record-overflow" },
		{ GNUTLS_A_HANDSHAKE_FAILURE, "handshake-failure" },
		{ GNUTLS_A_BAD_CERTIFICATE, "bad-certificate" },
		{ GNUTLS_A_UNSUPPORTED_CERTIFICATE, "unsupported-certificate" },
		{ GNUTLS_A_CERTIFICATE_REVOKED, "certificate-revoked" },
		{ GNUTLS_A_CERTIFICATE_EXPIRED, "certificate-expired" },
		{ GNUTLS_A_CERTIFICATE_UNKNOWN, "certificate-unknown" },
		{ GNUTLS_A_ILLEGAL_PARAMETER, "illegal-parameter" },
		{ GNUTLS_A_UNKNOWN_CA, "unknown-ca" },
		{ GNUTLS_A_ACCESS_DENIED, "access-denied" },
		{ GNUTLS_A_DECODE_ERROR, "decode-error" },
		{ GNUTLS_A_DECRYPT_ERROR, "decrypt-error" },
		{ GNUTLS_A_PROTOCOL_VERSION, "protocol-version" },
		{ GNUTLS_A_INSUFFICIENT_SECURITY, "insufficient-security" },
		{ GNUTLS_A_INTERNAL_ERROR, "internal-error" },
		{ GNUTLS_A_INAPPROPRIATE_FALLBACK, "inappropriate-fallback" },
		{ GNUTLS_A_USER_CANCELED, "user-canceled" },
		{ GNUTLS_A_MISSING_EXTENSION, "missing-extension" },
		{ GNUTLS_A_UNSUPPORTED_EXTENSION, "unsupported-extension" },
		{ GNUTLS_A_UNRECOGNIZED_NAME, "unrecognized-name" },
		{ GNUTLS_A_UNKNOWN_PSK_IDENTITY, "unknown-psk-identity" },
		{ GNUTLS_A_CERTIFICATE_REQUIRED, "certificate-required" },
		{ GNUTLS_A_NO_APPLICATION_PROTOCOL, "no-application-protocol" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].a == alert)
			return names[i].name;
	return "unknown-alert";
}

static int
fingerprint(const gnutls_datum_t *der, char **out)
{
	unsigned char md[32];
	size_t mdlen = sizeof(md), i;
	char *s;

	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, der, md, &mdlen) < 0)
		return -1;
	s = malloc(mdlen * 3 + 1);
	if (s == NULL)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(s + i * 3, 4, "%02x%s", md[i], i + 1 < mdlen ? ":" : "");
	*out = s;
	return 0;
}

/* Imports what the other side presented (once per session). */
static int
load_peer(struct uctls_tls *t)
{
	const gnutls_datum_t *raw;
	unsigned n = 0, i;

	if (t->peer != NULL)
		return 0;
	raw = gnutls_certificate_get_peers(t->sess, &n);
	if (raw == NULL || n == 0)
		return 0;
	t->peer = calloc(n, sizeof(*t->peer));
	t->peer_fpr = calloc(n, sizeof(*t->peer_fpr));
	if (t->peer == NULL || t->peer_fpr == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_init(&t->peer[i]) < 0)
			return -1;
		t->npeer = i + 1;
		if (gnutls_x509_crt_import(t->peer[i], &raw[i], GNUTLS_X509_FMT_DER) < 0 ||
		    fingerprint(&raw[i], &t->peer_fpr[i]) < 0)
			return -1;
	}
	return 0;
}

/* How this side verifies the other: its profile, trust list, clock, path
 * length limit (max-depth=) and NAMES. */
static void
verify_ctx(const struct uctls_tls *t, struct uctls_verify_ctx *ctx, const char *const *names,
           size_t nnames)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->profile = t->cfg.profile;
	ctx->peer_is_server = !t->cfg.is_server;
	ctx->names = names;
	ctx->nnames = nnames;
	ctx->trust = t->trust;
	ctx->ntrust = t->ntrust;
	ctx->pki = t->cfg.pki;
	ctx->now = t->cfg.now;
	ctx->verifier_id = t->cfg.def->id;
	ctx->peer_id = t->cfg.peer_id;
	ctx->max_depth = t->cfg.def->max_depth;
	ctx->warn_days = uctls_warn_window(t->cfg.profile, t->cfg.warn_days);
	ctx->revoke = t->cfg.revoke;
}

/* A verifier that checks a stapled OCSP response and got none says so
 * (revoke.h): a client staples only in TLS 1.3, in its Certificate entry,
 * when the server's CertificateRequest carries status_request (RFC 8446
 * 4.4.2.1; GnuTLS 3.6.12 and later, lib/tls13/certificate_request.c and
 * lib/tls13/certificate.c); TLS 1.2's status_request (RFC 6066 8) is the
 * server's alone.  A missing staple is not a failure: GnuTLS fails it only
 * for a certificate with the OCSP Must-Staple feature (RFC 7633). */
static int
no_staple_note(struct uctls_tls *t)
{
	unsigned src = uctls_revoke_sources(t->cfg.revoke, t->cfg.profile, t->cfg.def->id);

	if (!(src & UCTLS_REV_STAPLE) || t->npeer == 0)
		return 0;
	if (t->cfg.is_server && gnutls_protocol_get_version(t->sess) != GNUTLS_TLS1_3)
		return uctls_diag_note(&t->diag, UCTLS_REV_NOTE "not checked: TLS 1.2 has no client "
		                       "certificate status (a client staples its OCSP response "
		                       "only in TLS 1.3, RFC 8446 4.4.2.1)");
	if (src != UCTLS_REV_STAPLE)
		return 0; /* OCSP or CRL answered, or said why not */
	return uctls_diag_note(&t->diag, UCTLS_REV_NOTE "not checked: %s stapled no OCSP "
	                       "response (status_request, RFC 6066 8; RFC 8446 4.4.2.1)",
	                       t->cfg.peer_id != NULL ? t->cfg.peer_id : "the other side");
}

static int
run_verify(struct uctls_tls *t)
{
	struct uctls_verify_ctx ctx;
	gnutls_datum_t staple = { NULL, 0 };
	int rv;

	if (t->verified)
		return t->rejected ? 1 : 0;
	t->verified = 1;
	if (load_peer(t) < 0)
		return -1;
	/* A stack that checks the chain only leaves the names to the
	 * application (profile.h name_check_in_app). */
	verify_ctx(t, &ctx, (const char *const *)t->cfg.def->names,
	           t->cfg.profile->name_check_in_app ? 0 : t->cfg.def->nnames);
	ctx.leaf_only = t->cfg.verify_leaf_only;
	/* A server that merely requests a certificate accepts its absence. */
	if (t->cfg.is_server &&
	    (t->cfg.no_client_auth ||
	     (t->npeer == 0 && (!t->cfg.profile->require_client_cert || t->cfg.client_cert_optional))))
		return 0;
	if (t->cfg.verify_soft && t->npeer == 0)
		return 0;
	/* A stapled OCSP response, for the revocation stage (revoke.h). */
	if (t->cfg.revoke != NULL && gnutls_ocsp_status_request_get(t->sess, &staple) >= 0)
		ctx.staple = &staple;
	rv = uctls_verify_chain(&ctx, t->peer,
	                        t->cfg.verify_leaf_only && t->npeer > 1 ? 1 : t->npeer, &t->diag);
	if (rv == 0 && ctx.staple == NULL && t->cfg.revoke != NULL && no_staple_note(t) < 0)
		return -1;
	if (rv == 1 && t->cfg.verify_soft) {
		/* Accept the handshake; the application decides. */
		t->soft = t->diag;
		uctls_diag_init(&t->diag);
		t->soft_rejected = 1;
		return 0;
	}
	if (rv == 1) {
		int a = t->cfg.profile->cert_alert[t->cfg.is_server ? 1 : 0];

		/* The alert this stack sends for any rejected certificate
		 * (profile.h); a missing one keeps certificate_required. */
		t->rejected = 1;
		if (a != 0 && t->npeer > 0)
			t->diag.alert = a;
	}
	return rv;
}

static int
verify_cb(gnutls_session_t sess)
{
	struct uctls_tls *t = gnutls_session_get_ptr(sess);

	return run_verify(t) == 0 ? 0 : -1;
}

static int
retrieve_cb(gnutls_session_t sess, const gnutls_datum_t *req_ca_rdn, int nreqs,
            const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
            gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct uctls_tls *t = gnutls_session_get_ptr(sess);

	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	*pcert = t->pcerts;
	*pcert_length = t->npcerts;
	*pkey = t->npcerts > 0 ? t->pkey : NULL;
	if (t->npcerts_ec > 0 && t->client_ec_first) {
		/* A device holding an RSA and an ECDSA certificate follows the
		 * client's order (Cisco, "IM and Presence and ECDSA Certificate
		 * Q&A", doc 212086): the ECDSA one when it comes first. */
		*pcert = t->pcerts_ec;
		*pcert_length = t->npcerts_ec;
		*pkey = t->pkey_ec;
	}
	return 0;
}

/* Reads the versions a ClientHello offers: supported_versions (RFC 8446
 * 4.2.1) when present, else legacy_version (RFC 5246 7.4.1.2). */
static int
client_hello_cb(gnutls_session_t sess, unsigned htype, unsigned when, unsigned incoming,
                const gnutls_datum_t *msg)
{
	struct uctls_tls *t = gnutls_session_get_ptr(sess);
	const unsigned char *p = msg->data, *end = msg->data + msg->size;
	unsigned i, n, type, len, legacy;

	(void)htype;
	(void)when;
	(void)incoming;
	if (msg->size < 35)
		return 0;
	legacy = p[1] >= 1 ? VBIT(p[1] - 1) : 0;
	p += 34;
	n = *p++; /* session id */
	if (end - p < (long)n + 2)
		goto legacy;
	p += n;
	n = (unsigned)(p[0] << 8 | p[1]); /* cipher suites */
	p += 2;
	if (end - p < (long)n + 1)
		goto legacy;
	p += n;
	n = *p++; /* compression methods */
	if (end - p < (long)n + 2)
		goto legacy;
	p += n + 2; /* extensions length */
	while (end - p >= 4) {
		type = (unsigned)(p[0] << 8 | p[1]);
		len = (unsigned)(p[2] << 8 | p[3]);
		p += 4;
		if (end - p < (long)len)
			break;
		if (type == 13 && len >= 4) /* signature_algorithms: the first (RFC 8446 4.2.3) */
			t->client_ec_first = p[3] == 3 && p[2] >= 4 && p[2] <= 6;
		if (type == 43 && len >= 1) { /* supported_versions */
			for (i = 1; i + 1 < len + 0u && i + 1 <= p[0]; i += 2)
				if (p[i] == 3 && p[i + 1] >= 1 && p[i + 1] <= 4)
					t->peer_versions |= VBIT(p[i + 1] - 1);
		}
		p += len;
	}
	if (t->peer_versions != 0)
		return 0;
legacy:
	/* Without supported_versions, a client offers every version up to
	 * legacy_version. */
	for (i = 0; legacy >> i; i++)
		t->peer_versions |= VBIT(i);
	return 0;
}

static const char *
versions_text(unsigned v, char *buf, size_t n)
{
	size_t l = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < 4; i++)
		if (v & VBIT(i))
			l += (size_t)snprintf(buf + l, n > l ? n - l : 0, "%sTLS1.%u", l ? ", " : "", i);
	return buf[0] ? buf : "none";
}

static int
keylog_cb(gnutls_session_t sess, const char *label, const gnutls_datum_t *secret)
{
	struct uctls_tls *t = gnutls_session_get_ptr(sess);
	gnutls_datum_t crand, srand;
	char line[512];
	size_t l;
	unsigned i;

	/* NSS key log format: LABEL CLIENT_RANDOM SECRET, in hex. */
	gnutls_session_get_random(sess, &crand, &srand);
	l = (size_t)snprintf(line, sizeof(line), "%s ", label);
	for (i = 0; i < crand.size && l + 3 < sizeof(line); i++)
		l += (size_t)snprintf(line + l, sizeof(line) - l, "%02x", crand.data[i]);
	l += (size_t)snprintf(line + l, sizeof(line) - l, " ");
	for (i = 0; i < secret->size && l + 3 < sizeof(line); i++)
		l += (size_t)snprintf(line + l, sizeof(line) - l, "%02x", secret->data[i]);
	if (t->cfg.keylog != NULL) {
		fprintf(t->cfg.keylog, "%s\n", line);
		fflush(t->cfg.keylog);
	}
	if (t->cfg.cap != NULL)
		uctls_cap_secret(t->cfg.cap, line);
	return 0;
}

/* A server's second chain, its -ECDSA slot (store.h), with its key. */
static int
setup_creds_ec(struct uctls_tls *t, struct uctls_err *err)
{
	const struct uctls_peerdef *def = t->cfg.def;
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	size_t i;

	if (!t->cfg.is_server || def->nsends_ec == 0)
		return 0;
	if ((t->pcerts_ec = calloc(def->nsends_ec, sizeof(*t->pcerts_ec))) == NULL)
		return uctls_err_set(err, "out of memory");
	for (i = 0; i < def->nsends_ec; i++) {
		if ((crt = uctls_pki_crt(t->cfg.pki, def->sends_ec[i])) == NULL ||
		    gnutls_pcert_import_x509(&t->pcerts_ec[i], crt, 0) < 0)
			return uctls_err_at(err, t->cfg.scenario_file, def->line,
			                    "<peer id=\"%s\">: certificate `%s' of its -ECDSA slot",
			                    def->id, def->sends_ec[i]);
		t->npcerts_ec = (unsigned)i + 1;
	}
	key = uctls_pki_key(t->cfg.pki, def->sends_ec[0]);
	if (key == NULL || gnutls_privkey_init(&t->pkey_ec) < 0 ||
	    gnutls_privkey_import_x509(t->pkey_ec, key, 0) < 0)
		return uctls_err_at(err, t->cfg.scenario_file, def->line,
		                    "<peer id=\"%s\">: no usable private key for `%s'", def->id,
		                    def->sends_ec[0]);
	return 0;
}

/* status_request (RFC 6066 8, RFC 8446 4.4.2.1): the OCSP response made
 * for this side's leaf by the scenario's responder (revoke.h). */
static int
staple_cb(gnutls_session_t sess, void *ptr, gnutls_datum_t *resp)
{
	struct uctls_tls *t = ptr;

	(void)sess;
	if (t->staple.size == 0)
		return GNUTLS_E_NO_CERTIFICATE_STATUS;
	if ((resp->data = gnutls_malloc(t->staple.size)) == NULL)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(resp->data, t->staple.data, t->staple.size);
	resp->size = t->staple.size;
	return 0;
}

static int
setup_staple(struct uctls_tls *t, struct uctls_err *err)
{
	if (t->cfg.revoke == NULL || t->cfg.def->nsends == 0)
		return 0;
	if (uctls_revoke_staple(t->cfg.revoke, t->cfg.def->id, t->cfg.def->sends[0], &t->staple,
	                        err) < 0)
		return -1;
	if (t->staple.size > 0)
		gnutls_certificate_set_ocsp_status_request_function(t->cred, staple_cb, t);
	return 0;
}

static int
setup_creds(struct uctls_tls *t, struct uctls_err *err)
{
	const struct uctls_peerdef *def = t->cfg.def;
	const char *file = t->cfg.scenario_file;
	gnutls_x509_privkey_t key;
	size_t i;
	int ret;

	if (gnutls_certificate_allocate_credentials(&t->cred) < 0)
		return uctls_err_set(err, "out of memory");
	gnutls_certificate_set_retrieve_function2(t->cred, retrieve_cb);
	gnutls_certificate_set_verify_function(t->cred, verify_cb);

	if (def->nsends > 0) {
		t->pcerts = calloc(def->nsends, sizeof(*t->pcerts));
		if (t->pcerts == NULL)
			return uctls_err_set(err, "out of memory");
		for (i = 0; i < def->nsends; i++) {
			gnutls_x509_crt_t crt = uctls_pki_crt(t->cfg.pki, def->sends[i]);

			if (crt == NULL)
				return uctls_err_at(err, file, def->line,
				                    "<peer id=\"%s\">: sends unknown id `%s'",
				                    def->id, def->sends[i]);
			ret = gnutls_pcert_import_x509(&t->pcerts[i], crt, 0);
			if (ret < 0)
				return uctls_err_at(err, file, def->line,
				                    "<peer id=\"%s\">: certificate `%s': %s", def->id,
				                    def->sends[i], gnutls_strerror(ret));
			t->npcerts = (unsigned)i + 1;
		}
		/* The first certificate sent is the end-entity certificate (RFC
		 * 8446 4.4.2): the handshake is signed with its key. */
		key = uctls_pki_key(t->cfg.pki, def->sends[0]);
		if (key == NULL)
			return uctls_err_at(err, file, def->line,
			                    "<peer id=\"%s\">: `%s' is sent first but has no "
			                    "private key (give key-file= for a loaded certificate)",
			                    def->id, def->sends[0]);
		if (gnutls_privkey_init(&t->pkey) < 0)
			return uctls_err_set(err, "out of memory");
		ret = gnutls_privkey_import_x509(t->pkey, key, 0);
		if (ret < 0)
			return uctls_err_at(err, file, def->line, "<peer id=\"%s\">: key of `%s': %s",
			                    def->id, def->sends[0], gnutls_strerror(ret));
	}
	if (def->ntrusts > 0) {
		t->trust = calloc(def->ntrusts, sizeof(*t->trust));
		if (t->trust == NULL)
			return uctls_err_set(err, "out of memory");
		for (i = 0; i < def->ntrusts; i++) {
			t->trust[i] = uctls_pki_crt(t->cfg.pki, def->trusts[i]);
			if (t->trust[i] == NULL)
				return uctls_err_at(err, file, def->line,
				                    "<peer id=\"%s\">: trusts unknown id `%s'",
				                    def->id, def->trusts[i]);
		}
		t->ntrust = def->ntrusts;
	}
	if (setup_staple(t, err) < 0)
		return -1;
	return setup_creds_ec(t, err);
}

/* Follows the record framing of the bytes read: the last complete record
 * is remembered when it is a 2-byte alert (content type 21, RFC 8446 5.1
 * and 6).  Costs a few operations per record, not per byte of body. */
static void
track_records(struct uctls_tls *t, const unsigned char *p, size_t n)
{
	while (n > 0) {
		if (t->rec.hpos < 5) {
			t->rec.hdr[t->rec.hpos++] = *p++;
			n--;
			if (t->rec.hpos < 5)
				continue;
			t->rec.left = (size_t)t->rec.hdr[3] << 8 | t->rec.hdr[4];
			t->rec.alert = 0;
		} else {
			size_t k = n < t->rec.left ? n : t->rec.left;

			if (t->rec.hdr[0] == 21 && t->rec.hdr[3] == 0 && t->rec.hdr[4] == 2)
				memcpy(t->rec.body + (2 - t->rec.left), p, k);
			t->rec.left -= k;
			p += k;
			n -= k;
		}
		if (t->rec.left == 0) {
			t->rec.alert = t->rec.hdr[0] == 21 && t->rec.hdr[3] == 0 &&
			               t->rec.hdr[4] == 2;
			t->rec.hpos = 0;
		}
	}
}

static ssize_t
t_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct uctls_tls *t = p;
	ssize_t n = recv(t->fd, buf, len, 0);

	if (n > 0) {
		t->rx += (size_t)n;
		track_records(t, buf, (size_t)n);
		if (t->cfg.cap != NULL && t->cfg.cap_peer_remote)
			uctls_cap_bytes(t->cfg.cap, !t->cfg.is_server, buf, (size_t)n);
	}
	return n;
}

/* With a capture only: GnuTLS's own writev, plus a copy of what went out. */
static ssize_t
t_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
	struct uctls_tls *t = p;
	struct msghdr mh;
	ssize_t n;
	size_t left, k;
	int i;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	n = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
	for (i = 0, left = n > 0 ? (size_t)n : 0; i < iovcnt && left > 0; i++) {
		k = iov[i].iov_len < left ? iov[i].iov_len : left;
		uctls_cap_bytes(t->cfg.cap, t->cfg.is_server, iov[i].iov_base, k);
		left -= k;
	}
	return n;
}

/* The RFC 8446 4 / RFC 5246 7.4 name of handshake message HTYPE. */
static const char *
msg_name(unsigned htype)
{
	switch (htype) {
	case GNUTLS_HANDSHAKE_HELLO_REQUEST: return "HelloRequest";
	case GNUTLS_HANDSHAKE_CLIENT_HELLO: return "ClientHello";
	case GNUTLS_HANDSHAKE_SERVER_HELLO: return "ServerHello";
	case GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST: return "HelloRetryRequest";
	case GNUTLS_HANDSHAKE_NEW_SESSION_TICKET: return "NewSessionTicket";
	case GNUTLS_HANDSHAKE_END_OF_EARLY_DATA: return "EndOfEarlyData";
	case GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS: return "EncryptedExtensions";
	case GNUTLS_HANDSHAKE_CERTIFICATE_PKT: return "Certificate";
	case GNUTLS_HANDSHAKE_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
	case GNUTLS_HANDSHAKE_CERTIFICATE_REQUEST: return "CertificateRequest";
	case GNUTLS_HANDSHAKE_SERVER_HELLO_DONE: return "ServerHelloDone";
	case GNUTLS_HANDSHAKE_CERTIFICATE_VERIFY: return "CertificateVerify";
	case GNUTLS_HANDSHAKE_CLIENT_KEY_EXCHANGE: return "ClientKeyExchange";
	case GNUTLS_HANDSHAKE_FINISHED: return "Finished";
	case GNUTLS_HANDSHAKE_KEY_UPDATE: return "KeyUpdate";
	case GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC: return "ChangeCipherSpec";
	default: return NULL;
	}
}

/* At most this many acceptable CAs of a CertificateRequest are kept; the
 * report says how many more there were. */
#define REQ_CAS_MAX 64

/* One DistinguishedName of a CertificateRequest's certificate_authorities
 * (DER), kept as text. */
static void
add_req_ca(struct uctls_tls *t, const unsigned char *p, unsigned len)
{
	gnutls_datum_t der = { (unsigned char *)p, len }, out = { NULL, 0 };
	char **v, *s;

	if (t->nreq_cas > REQ_CAS_MAX)
		return;
	if (t->nreq_cas == REQ_CAS_MAX) {
		s = strdup("...");
	} else {
		if (gnutls_x509_rdn_get2(&der, &out, 0) < 0)
			s = strdup("(a name that does not decode)");
		else
			s = strdup((const char *)out.data);
		gnutls_free(out.data);
	}
	v = s != NULL ? realloc(t->req_cas, (t->nreq_cas + 1) * sizeof(*v)) : NULL;
	if (v == NULL) {
		free(s);
		return;
	}
	t->req_cas = v;
	t->req_cas[t->nreq_cas++] = s;
}

/* Client: what the server's CertificateRequest asks (RFC 5246 7.4.4:
 * certificate_types, supported_signature_algorithms, certificate_authorities;
 * RFC 8446 4.3.2: context, extensions, certificate_authorities being
 * extension 47, 4.2.4), for a report on a real server. */
static int
cert_request_cb(gnutls_session_t sess, unsigned htype, unsigned when, unsigned incoming,
                const gnutls_datum_t *msg)
{
	struct uctls_tls *t = gnutls_session_get_ptr(sess);
	const unsigned char *p = msg->data, *end = msg->data + msg->size, *lend;
	unsigned n;

	(void)htype;
	(void)when;
	(void)incoming;
	t->cert_requested = 1;
	if (gnutls_protocol_get_version(sess) == GNUTLS_TLS1_3) {
		const unsigned char *cas = NULL;

		if (end - p < 1 || end - p < 1 + p[0] + 2)
			return 0;
		p += 1 + p[0] + 2; /* context, extensions length */
		while (cas == NULL && end - p >= 4) {
			unsigned type = (unsigned)(p[0] << 8 | p[1]), len = (unsigned)(p[2] << 8 | p[3]);

			p += 4;
			if (end - p < (long)len)
				return 0;
			if (type == 47) {
				cas = p;
				end = p + len;
			}
			p += len;
		}
		if (cas == NULL)
			return 0;
		p = cas;
	} else {
		if (end - p < 1 || end - p < 1 + p[0] + 2)
			return 0;
		p += 1 + p[0];
		n = (unsigned)(p[0] << 8 | p[1]);
		if (end - p < (long)n + 2)
			return 0;
		p += 2 + n;
	}
	if (end - p < 2)
		return 0;
	n = (unsigned)(p[0] << 8 | p[1]);
	p += 2;
	lend = end - p < (long)n ? end : p + n;
	while (lend - p >= 2) {
		n = (unsigned)(p[0] << 8 | p[1]);
		p += 2;
		if (lend - p < (long)n)
			break;
		add_req_ca(t, p, n);
		p += n;
	}
	return 0;
}

/* With a capture only, in place of client_hello_cb: every handshake
 * message sent, and received (the ladder marks the one a failing side was
 * handling), then the server's ClientHello check. */
static int
cap_hook(gnutls_session_t sess, unsigned htype, unsigned when, unsigned incoming,
         const gnutls_datum_t *msg)
{
	struct uctls_tls *t = gnutls_session_get_ptr(sess);
	const char *name = msg_name(htype);

	if (when == GNUTLS_HOOK_POST && name != NULL)
		uctls_cap_note(t->cfg.cap, UCTLS_CAP_TLS, incoming ? !t->cfg.is_server
		                                                   : t->cfg.is_server,
		               incoming != 0, "%s", name);
	if (t->cfg.is_server && htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && when == GNUTLS_HOOK_PRE)
		return client_hello_cb(sess, htype, when, incoming, msg);
	if (!t->cfg.is_server && t->cfg.peer_remote && htype == GNUTLS_HANDSHAKE_CERTIFICATE_REQUEST &&
	    when == GNUTLS_HOOK_POST && incoming)
		return cert_request_cb(sess, htype, when, incoming, msg);
	return 0;
}

/* An alert sent (by this side) or received, for the capture. */
static void
cap_alert(struct uctls_tls *t, int received, int level, int alert)
{
	if (t->cfg.cap != NULL)
		uctls_cap_note(t->cfg.cap, UCTLS_CAP_ALERT, received ? !t->cfg.is_server
		                                                     : t->cfg.is_server,
		               received, "Alert %s %s", level == GNUTLS_AL_FATAL ? "fatal" : "warning",
		               uctls_tls_alert_name(alert));
}

static int
t_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct uctls_tls *t = p;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN, .revents = 0 };

	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

/* The session's priority string: the scenario's tls= versions or the
 * profile's priority, less the signature algorithms a peer with
 * rsa_only (1: RSA only, 2: ECDSA only) cannot verify; records the
 * versions it allows.  0, or -1 with ERR set (FILE:LINE of the peer). */
static int
set_priority(struct uctls_tls *t, const struct uctls_tls_cfg *cfg, struct uctls_err *err)
{
	char prio[512];
	const char *epos = NULL;
	gnutls_priority_t pc;
	int ret;

	if (cfg->def->tls != NULL) {
		snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL%s%s",
		         strstr(cfg->def->tls, "1.3") ? ":+VERS-TLS1.3" : "",
		         strstr(cfg->def->tls, "1.2") ? ":+VERS-TLS1.2" : "");
	} else {
		snprintf(prio, sizeof(prio), "%s", cfg->profile->priority);
	}
	if (cfg->rsa_only == 1) {
		/* A peer that verifies RSA signatures only (e.g. CUCM's TLS cipher
		 * setting): an ECDSA or EdDSA certificate cannot sign for it. */
		size_t l = strlen(prio);

		snprintf(prio + l, sizeof(prio) - l, "%s",
		         ":-SIGN-ECDSA-SHA256:-SIGN-ECDSA-SHA384:-SIGN-ECDSA-SHA512"
		         ":-SIGN-ECDSA-SECP256R1-SHA256:-SIGN-ECDSA-SECP384R1-SHA384"
		         ":-SIGN-ECDSA-SECP521R1-SHA512:-SIGN-EDDSA-ED25519:-SIGN-EDDSA-ED448"
		         ":-SIGN-ECDSA-SHA1");
	}
	if (cfg->rsa_only == 2) {
		/* signatures="ecdsa": a peer that accepts ECDSA signatures only;
		 * a server holding both sends it its -ECDSA slot (store.h). */
		size_t l = strlen(prio);

		snprintf(prio + l, sizeof(prio) - l, "%s",
		         ":-SIGN-RSA-SHA256:-SIGN-RSA-PSS-SHA256:-SIGN-RSA-PSS-RSAE-SHA256"
		         ":-SIGN-RSA-SHA384:-SIGN-RSA-PSS-SHA384:-SIGN-RSA-PSS-RSAE-SHA384"
		         ":-SIGN-RSA-SHA512:-SIGN-RSA-PSS-SHA512:-SIGN-RSA-PSS-RSAE-SHA512"
		         ":-SIGN-RSA-SHA1:-SIGN-EDDSA-ED25519:-SIGN-EDDSA-ED448");
	}
	ret = gnutls_priority_init(&pc, prio, &epos);
	if (ret >= 0) {
		const unsigned *vl;
		int k, nv = gnutls_priority_protocol_list(pc, &vl);

		for (k = 0; k < nv; k++)
			if (vl[k] >= GNUTLS_TLS1_0 && vl[k] <= GNUTLS_TLS1_3)
				t->own_versions |= VBIT(vl[k] - GNUTLS_TLS1_0);
		ret = gnutls_priority_set(t->sess, pc);
		gnutls_priority_deinit(pc);
	}
	if (ret < 0) {
		uctls_err_at(err, cfg->scenario_file, cfg->def->line,
		             "<peer id=\"%s\">: TLS priority `%s': %s", cfg->def->id, prio,
		             gnutls_strerror(ret));
		return -1;
	}
	return 0;
}

int
uctls_tls_new(const struct uctls_tls_cfg *cfg, int fd, struct uctls_tls **out,
              struct uctls_err *err)
{
	struct uctls_tls *t;
	int ret;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return uctls_err_set(err, "out of memory");
	t->cfg = *cfg;
	uctls_diag_init(&t->diag);
	if (setup_creds(t, err) < 0)
		goto fail;
	ret = gnutls_init(&t->sess, (cfg->is_server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
	                                    GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (ret < 0) {
		uctls_err_set(err, "gnutls_init: %s", gnutls_strerror(ret));
		goto fail;
	}
	gnutls_session_set_ptr(t->sess, t);
	if (set_priority(t, cfg, err) < 0)
		goto fail;
	if (cfg->cap != NULL)
		gnutls_handshake_set_hook_function(t->sess, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH,
		                                   cap_hook);
	else if (cfg->is_server)
		gnutls_handshake_set_hook_function(t->sess, GNUTLS_HANDSHAKE_CLIENT_HELLO,
		                                   GNUTLS_HOOK_PRE, client_hello_cb);
	else if (cfg->peer_remote)
		gnutls_handshake_set_hook_function(t->sess, GNUTLS_HANDSHAKE_CERTIFICATE_REQUEST,
		                                   GNUTLS_HOOK_POST, cert_request_cb);
	ret = gnutls_credentials_set(t->sess, GNUTLS_CRD_CERTIFICATE, t->cred);
	if (ret < 0) {
		uctls_err_set(err, "gnutls_credentials_set: %s", gnutls_strerror(ret));
		goto fail;
	}
	if (cfg->is_server)
		gnutls_certificate_server_set_request(t->sess, cfg->no_client_auth
		                                                       ? GNUTLS_CERT_IGNORE
		                                                       : GNUTLS_CERT_REQUEST);
	gnutls_session_set_verify_function(t->sess, verify_cb);
	if (cfg->keylog != NULL || cfg->cap != NULL)
		gnutls_session_set_keylog_function(t->sess, keylog_cb);
	/* Reads go through t_pull, which counts the bytes; writes keep
	 * GnuTLS's own sendmsg on the descriptor. */
	t->fd = fd;
	gnutls_transport_set_ptr2(t->sess, t, (gnutls_transport_ptr_t)(intptr_t)fd);
	gnutls_transport_set_pull_function(t->sess, t_pull);
	gnutls_transport_set_pull_timeout_function(t->sess, t_pull_timeout);
	if (cfg->cap != NULL) {
		gnutls_transport_set_ptr2(t->sess, t, t);
		gnutls_transport_set_vec_push_function(t->sess, t_push);
	}
	gnutls_handshake_set_timeout(t->sess, 0);
	*out = t;
	return 0;
fail:
	uctls_tls_free(t);
	return -1;
}

void
uctls_tls_free(struct uctls_tls *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->sess != NULL)
		gnutls_deinit(t->sess);
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	gnutls_free(t->staple.data);
	for (i = 0; i < t->npcerts; i++)
		gnutls_pcert_deinit(&t->pcerts[i]);
	free(t->pcerts);
	if (t->pkey != NULL)
		gnutls_privkey_deinit(t->pkey);
	for (i = 0; i < t->npcerts_ec; i++)
		gnutls_pcert_deinit(&t->pcerts_ec[i]);
	free(t->pcerts_ec);
	if (t->pkey_ec != NULL)
		gnutls_privkey_deinit(t->pkey_ec);
	free(t->trust);
	for (i = 0; i < t->npeer; i++) {
		gnutls_x509_crt_deinit(t->peer[i]);
		free(t->peer_fpr[i]);
	}
	for (i = 0; i < t->nreq_cas; i++)
		free(t->req_cas[i]);
	free(t->req_cas);
	free(t->peer);
	free(t->peer_fpr);
	uctls_diag_clear(&t->diag);
	uctls_diag_clear(&t->soft);
	free(t);
}

/* certificate_required exists only in TLS 1.3 (RFC 8446 6.2); a TLS 1.2
 * server answers a missing client certificate with handshake_failure (RFC
 * 5246 7.4.6). */
static void
send_alert(struct uctls_tls *t, int alert)
{
	if (alert == GNUTLS_A_CERTIFICATE_REQUIRED &&
	    gnutls_protocol_get_version(t->sess) != GNUTLS_TLS1_3)
		alert = GNUTLS_A_HANDSHAKE_FAILURE;
	cap_alert(t, 0, GNUTLS_AL_FATAL, alert);
	gnutls_alert_send(t->sess, GNUTLS_AL_FATAL, (gnutls_alert_description_t)alert);
}

/* 1 when this side's own end-entity certificate cannot sign a handshake
 * (keyUsage present without digitalSignature). */
static int
own_key_cannot_sign(struct uctls_tls *t, char *label, size_t n)
{
	gnutls_x509_crt_t crt;
	unsigned ku = 0, crit;

	if (t->cfg.def->nsends == 0)
		return 0;
	crt = uctls_pki_crt(t->cfg.pki, t->cfg.def->sends[0]);
	if (crt == NULL || gnutls_x509_crt_get_key_usage(crt, &ku, &crit) < 0 ||
	    (ku & GNUTLS_KEY_DIGITAL_SIGNATURE))
		return 0;
	snprintf(label, n, "%s", t->cfg.def->sends[0]);
	return 1;
}

static void
set_failure(struct uctls_tls *t, const char *reason, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
set_failure(struct uctls_tls *t, const char *reason, const char *hint, const char *fmt, ...)
{
	va_list ap;
	char detail[1024];

	t->failed = 1;
	if (t->diag.reason != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	uctls_diag_problem(&t->diag, reason, 0, hint, "%s", detail);
}

void
uctls_tls_set_failure(struct uctls_tls *t, const char *reason, const char *detail)
{
	set_failure(t, reason, NULL, "%s", detail);
}

void
uctls_tls_reject(struct uctls_tls *t, const char *reason, int alert, const char *detail,
                 const char *hint)
{
	t->rejected = 1;
	uctls_diag_problem(&t->diag, reason, alert, hint, "%s", detail);
	t->failed = 1;
	send_alert(t, alert);
}

/* The side's own chain (`sends') begins with a CA certificate although an
 * end-entity certificate follows: a device configured with its bundle in
 * the wrong order presents the CA as its identity, and the private key does
 * not match it (OpenSSL: "key values mismatch"), so it cannot take part in
 * a handshake.  RFC 8446 4.4.2, RFC 5246 7.4.2: the sender's certificate
 * comes first.  Checked once, before the first handshake message. */
static int
own_chain_misordered(struct uctls_tls *t)
{
	const struct uctls_peerdef *d = t->cfg.def;
	gnutls_x509_crt_t first, c;
	size_t i;

	t->order_checked = 1;
	if (d->nsends < 2 || (first = uctls_pki_crt(t->cfg.pki, d->sends[0])) == NULL ||
	    gnutls_x509_crt_get_ca_status(first, NULL) <= 0)
		return 0;
	for (i = 1; i < d->nsends; i++)
		if ((c = uctls_pki_crt(t->cfg.pki, d->sends[i])) != NULL &&
		    gnutls_x509_crt_get_ca_status(c, NULL) <= 0) {
			set_failure(t, "bundle-order",
			            "configure the chain with the device's own certificate first, then "
			            "its intermediates",
			            "%s is configured to send `%s', a CA certificate, before its own "
			            "certificate `%s': the end-entity certificate must come first (RFC "
			            "8446 4.4.2), so %s would present the CA as its identity, with a "
			            "private key that does not match it",
			            d->id, d->sends[0], d->sends[i], d->id);
			return 1;
		}
	return 0;
}

static int
want(struct uctls_tls *t)
{
	return gnutls_record_get_direction(t->sess) ? UCTLS_TLS_WANT_WRITE : UCTLS_TLS_WANT_READ;
}

/* RFC 8446 5.1: once the handshake keys are in use every record is
 * protected; an OpenSSL 3 client that rejects the server's certificate
 * sends its alert before it has installed its own handshake keys
 * (ssl/statem/statem_clnt.c), so the alert arrives in the clear and GnuTLS
 * cannot decrypt it.  It is still that peer's alert: records it as such,
 * with a note of how it arrived, and sends nothing back. */
static void
plaintext_alert(struct uctls_tls *t, int ret)
{
	char reason[64];
	int a = t->rec.body[1];
	const char *who = t->cfg.peer_id;

	cap_alert(t, 1, t->rec.body[0], a);
	snprintf(reason, sizeof(reason), "alert:%s", uctls_tls_alert_name(a));
	set_failure(t, reason, NULL,
	            "%s aborted the handshake with the %s alert %s (%s): it rejected what %s "
	            "presented or proposed; see %s's side for why (the alert arrived as a "
	            "plaintext record where an encrypted one was expected; GnuTLS: %s)",
	            who, t->rec.body[0] == 2 ? "fatal" : "warning", uctls_tls_alert_name(a),
	            gnutls_alert_get_name((gnutls_alert_description_t)a), t->cfg.def->id, who,
	            gnutls_strerror(ret));
}

/* The failures decided before the GnuTLS error code: our own rejection of
 * the other side's certificate, no TLS version in common, an alert that
 * arrived in the clear.  Returns 1 when it was one of them (recorded). */
static int
early_failure(struct uctls_tls *t, int ret)
{
	const char *who = t->cfg.peer_id;

	if (t->rejected) {
		/* Our verify callback refused the other side's certificate. */
		t->failed = 1;
		send_alert(t, t->diag.alert);
		return 1;
	}
	if (t->cfg.is_server && t->peer_versions != 0 && ret != GNUTLS_E_FATAL_ALERT_RECEIVED &&
	    (t->peer_versions & t->own_versions) == 0) {
		char a[64], b[64];

		/* RFC 8446 4.2.1 / RFC 5246 E.1: no version in common. */
		set_failure(t, "protocol-version",
		            "enable a TLS version on both sides (tls= on the peers, or the "
		            "device's TLS settings)",
		            "%s offered %s; %s accepts %s only (%s)", who,
		            versions_text(t->peer_versions, a, sizeof(a)), t->cfg.def->id,
		            versions_text(t->own_versions, b, sizeof(b)), gnutls_strerror(ret));
		send_alert(t, GNUTLS_A_PROTOCOL_VERSION);
		return 1;
	}
	if ((ret == GNUTLS_E_DECRYPTION_FAILED || ret == GNUTLS_E_UNEXPECTED_PACKET) &&
	    t->rec.alert) {
		plaintext_alert(t, ret);
		return 1;
	}
	return 0;
}

/* The peer aborted with a fatal alert: this side's reason is the alert. */
static void
fail_alert_received(struct uctls_tls *t)
{
	char reason[64];
	int a = (int)gnutls_alert_get(t->sess);

	cap_alert(t, 1, GNUTLS_AL_FATAL, a);
	snprintf(reason, sizeof(reason), "alert:%s", uctls_tls_alert_name(a));
	set_failure(t, reason, NULL,
	            "%s aborted the handshake with the fatal alert %s (%s): it "
	            "rejected what %s presented or proposed; see %s's side for why",
	            t->cfg.peer_id, uctls_tls_alert_name(a), gnutls_alert_get_name(a),
	            t->cfg.def->id, t->cfg.peer_id);
}

/* No cipher suite or signature algorithm in common (error RET): a key that
 * may not sign, or the key type of the own certificate. */
static void
fail_no_cipher(struct uctls_tls *t, int ret)
{
	const char *who = t->cfg.peer_id;
	char own[160] = "";
	gnutls_x509_crt_t crt;
	unsigned bits = 0;

	/* RFC 5280 4.2.1.3 / RFC 8446 4.4.2.2: without digitalSignature
	 * the key may not sign the handshake, so no suite is usable. */
	if (own_key_cannot_sign(t, own, sizeof(own))) {
		set_failure(t, "key-usage",
		            "re-issue the certificate with digitalSignature in its key usage",
		            "%s's own certificate `%s' has a keyUsage without "
		            "digitalSignature, so its key may not sign the handshake and "
		            "no cipher suite is usable (%s)",
		            t->cfg.def->id, own, gnutls_strerror(ret));
		return;
	}
	own[0] = '\0';
	crt = t->cfg.def->nsends > 0 ? uctls_pki_crt(t->cfg.pki, t->cfg.def->sends[0]) : NULL;
	if (crt != NULL) {
		int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);

		snprintf(own, sizeof(own), "; %s's certificate `%s' has an %s key, which %s "
		         "may not accept",
		         t->cfg.def->id, t->cfg.def->sends[0],
		         gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), who);
	}
	set_failure(t, "no-shared-cipher",
	            "check the key type of the certificate against the cipher suites "
	            "and signature algorithms both sides enable (e.g. an RSA-only peer)",
	            "no cipher suite or signature algorithm in common with %s (%s)%s", who,
	            gnutls_strerror(ret), own);
}

/* Turns a fatal GnuTLS error into this side's reason, and tells the other
 * side with an alert where a device would. */
static int
fail(struct uctls_tls *t, int ret)
{
	const char *who = t->cfg.peer_id;
	int alert;

	if (early_failure(t, ret))
		return UCTLS_TLS_FAILED;
	switch (ret) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		fail_alert_received(t);
		return UCTLS_TLS_FAILED;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		set_failure(t, "connection-closed", NULL,
		            "%s closed the connection without an alert (%s)", who,
		            gnutls_strerror(ret));
		return UCTLS_TLS_FAILED;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		set_failure(t, t->cfg.is_server ? "no-client-cert" : "no-server-cert",
		            "configure a certificate on the peer", "%s sent no certificate (%s)",
		            who, gnutls_strerror(ret));
		break;
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_INAPPROPRIATE_FALLBACK:
		if (ret == GNUTLS_E_UNSUPPORTED_VERSION_PACKET &&
		    (t->peer_versions & t->own_versions) != 0) {
			/* The ClientHello offered a version in common: a later
			 * record of another version (a second ClientHello, RFC
			 * 8446 4.1.2) is the record layer's error, not a
			 * version mismatch. */
			set_failure(t, "tls-error", NULL, "GnuTLS: %s", gnutls_strerror(ret));
			break;
		}
		set_failure(t, "protocol-version", "enable a TLS version both sides support",
		            "no TLS version in common with %s (%s)", who, gnutls_strerror(ret));
		break;
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
	case GNUTLS_E_UNWANTED_ALGORITHM:
		fail_no_cipher(t, ret);
		break;
	case GNUTLS_E_REHANDSHAKE:
		/* A renegotiation after the handshake (a HelloRequest, or a new
		 * ClientHello): a simulated device does not renegotiate (TLS 1.3
		 * has none, RFC 8446 4.1.2; RFC 5746 4.4 recommends servers not
		 * permit legacy renegotiation): it ends the step with the record
		 * layer's words and answers no_renegotiation (RFC 5246 7.2.2),
		 * docs/steps.md, "Hostile peers". */
		set_failure(t, "tls-error", "check why the peer renegotiates: uctls does not",
		            "%s asked to renegotiate the established session (GnuTLS: %s); %s "
		            "does not renegotiate", who, gnutls_strerror(ret), t->cfg.def->id);
		break;
	case GNUTLS_E_KEY_USAGE_VIOLATION:
		/* GnuTLS enforces keyUsage itself; explain it with the diagnosis. */
		if (run_verify(t) >= 0 && t->diag.reason != NULL) {
			t->failed = 1;
			break;
		}
		set_failure(t, "key-usage", NULL, "%s's certificate key usage does not allow "
		            "this use (%s)", who, gnutls_strerror(ret));
		break;
	default:
		set_failure(t, "tls-error", NULL, "GnuTLS: %s", gnutls_strerror(ret));
		break;
	}
	alert = gnutls_error_to_alert(ret, NULL);
	if (alert >= 0) {
		cap_alert(t, 0, GNUTLS_AL_FATAL, alert);
		gnutls_alert_send(t->sess, GNUTLS_AL_FATAL, (gnutls_alert_description_t)alert);
	}
	return UCTLS_TLS_FAILED;
}

int
uctls_tls_handshake(struct uctls_tls *t)
{
	int ret;

	if (t->failed || (!t->order_checked && own_chain_misordered(t)))
		return UCTLS_TLS_FAILED;
	do {
		ret = gnutls_handshake(t->sess);
	} while (ret == GNUTLS_E_WARNING_ALERT_RECEIVED || ret == GNUTLS_E_INTERRUPTED);
	if (ret == GNUTLS_E_AGAIN)
		return want(t);
	if (ret < 0)
		return fail(t, ret);
	snprintf(t->version, sizeof(t->version), "%s",
	         gnutls_protocol_get_name(gnutls_protocol_get_version(t->sess)));
	snprintf(t->cipher, sizeof(t->cipher), "%s", gnutls_ciphersuite_get(t->sess));
	if (load_peer(t) < 0) {
		set_failure(t, "tls-error", NULL, "out of memory");
		return UCTLS_TLS_FAILED;
	}
	/* A server that only requested a certificate: GnuTLS does not call
	 * the verify function when none came, so decide here. */
	if (!t->verified && run_verify(t) != 0) {
		t->failed = 1;
		send_alert(t, t->diag.alert ? t->diag.alert : GNUTLS_A_BAD_CERTIFICATE);
		return UCTLS_TLS_FAILED;
	}
	return UCTLS_TLS_OK;
}

int
uctls_tls_send(struct uctls_tls *t, const void *buf, size_t len, size_t *n)
{
	ssize_t ret;

	*n = 0;
	if (t->failed)
		return UCTLS_TLS_FAILED;
	ret = gnutls_record_send(t->sess, buf, len);
	if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
		return want(t);
	if (ret < 0)
		return fail(t, (int)ret);
	*n = (size_t)ret;
	return UCTLS_TLS_OK;
}

int
uctls_tls_recv(struct uctls_tls *t, void *buf, size_t cap, size_t *n)
{
	ssize_t ret;

	*n = 0;
	if (t->failed)
		return UCTLS_TLS_FAILED;
	do {
		ret = gnutls_record_recv(t->sess, buf, cap);
	} while (ret == GNUTLS_E_WARNING_ALERT_RECEIVED || ret == GNUTLS_E_INTERRUPTED);
	if (ret == GNUTLS_E_AGAIN)
		return want(t);
	if (ret < 0)
		return fail(t, (int)ret);
	*n = (size_t)ret;
	return UCTLS_TLS_OK;
}

const char *
uctls_tls_identity_note(const struct uctls_tls *t)
{
	return t->diag.reason == NULL ? t->diag.matched : NULL;
}

char *const *
uctls_tls_pass_notes(const struct uctls_tls *t, size_t *n)
{
	*n = t->verified && t->diag.reason == NULL ? t->diag.nalso : 0;
	return *n != 0 ? t->diag.also : NULL;
}

int
uctls_tls_check_name(const struct uctls_tls *t, const char *name, struct uctls_diag *d)
{
	struct uctls_verify_ctx ctx;
	const char *names[1] = { name };

	verify_ctx(t, &ctx, names, 1);
	if (t->npeer == 0)
		return uctls_diag_problem(d, "no-server-cert", 0, NULL, "no certificate to check") < 0
		               ? -1
		               : 1;
	return uctls_verify_chain(&ctx, t->peer, t->npeer, d);
}

int
uctls_tls_peer_verdict(const struct uctls_tls *t, const struct uctls_diag **diag)
{
	*diag = &t->soft;
	if (t->npeer == 0)
		return -1;
	return t->soft_rejected ? 1 : 0;
}

const struct uctls_diag *
uctls_tls_failure(const struct uctls_tls *t)
{
	return &t->diag;
}

const char *
uctls_tls_version(const struct uctls_tls *t)
{
	return t->version[0] ? t->version : NULL;
}

const char *
uctls_tls_cipher(const struct uctls_tls *t)
{
	return t->cipher[0] ? t->cipher : NULL;
}

int
uctls_tls_cert_request(const struct uctls_tls *t, const char *const **cas, size_t *ncas)
{
	*cas = (const char *const *)t->req_cas;
	*ncas = t->nreq_cas;
	return t->cert_requested;
}

size_t
uctls_tls_peer_count(const struct uctls_tls *t)
{
	return t->npeer;
}

const char *
uctls_tls_peer_fpr(const struct uctls_tls *t, size_t i)
{
	return i < t->npeer ? t->peer_fpr[i] : NULL;
}

const unsigned char *
uctls_tls_peer_der(const struct uctls_tls *t, size_t i, size_t *len)
{
	const gnutls_datum_t *raw = NULL;
	unsigned n = 0;

	if (i < t->npeer)
		raw = gnutls_certificate_get_peers(t->sess, &n);
	if (raw == NULL || i >= n)
		return NULL;
	*len = raw[i].size;
	return raw[i].data;
}

/* close_notify (RFC 8446 6.1), without waiting for the other side's: a
 * real peer that reads the end of the stream without it logs an
 * "unexpected eof" (OpenSSL 3: SSL_R_UNEXPECTED_EOF_WHILE_READING). */
int
uctls_tls_bye(struct uctls_tls *t)
{
	int ret = gnutls_bye(t->sess, GNUTLS_SHUT_WR);

	if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
		return gnutls_record_get_direction(t->sess) ? UCTLS_TLS_WANT_WRITE
		                                            : UCTLS_TLS_WANT_READ;
	return ret < 0 ? UCTLS_TLS_FAILED : UCTLS_TLS_OK;
}

void
uctls_tls_set_max_handshake(struct uctls_tls *t, size_t max)
{
	gnutls_handshake_set_max_packet_length(t->sess, max);
}

int
uctls_tls_renegotiate(struct uctls_tls *t)
{
	int ret = t->cfg.is_server ? gnutls_rehandshake(t->sess) : gnutls_handshake(t->sess);

	if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
		return want(t);
	return ret < 0 ? UCTLS_TLS_FAILED : UCTLS_TLS_OK;
}

size_t
uctls_tls_rx_bytes(const struct uctls_tls *t)
{
	return t != NULL ? t->rx : 0;
}

const char *
uctls_tls_awaiting(const struct uctls_tls *t, char *buf, size_t len)
{
	gnutls_handshake_description_t last = gnutls_handshake_get_last_in(t->sess);
	const char *name = gnutls_handshake_description_get_name(last);

	/* Nothing yet: GnuTLS says -1 (or HelloRequest, which uctls never
	 * receives). */
	if ((int)last <= 0 || (int)last > 255 || name == NULL)
		snprintf(buf, len, "%s", t->cfg.is_server ? "the ClientHello" : "the ServerHello");
	else
		snprintf(buf, len, "the handshake message after its %s", name);
	return buf;
}
