#include "config.h"

#include <string.h>

#include "family.h"

static const char *const tls_steps[] = { "tcp-connect", "tls-handshake", NULL };

/* Expressway-C (TLS client) dials Expressway-E (TLS server); docs/steps.md. */
static const char *const traversal_steps[] = {
	"tcp-connect", "tls-handshake", "sip-options", "ssh-tunnel", "mra-edge", NULL
};
#define C UCTLS_ATTR_CLIENT
#define S UCTLS_ATTR_SERVER
#define EITHER UCTLS_ATTR_EITHER
static const struct uctls_family_attr no_attrs[] = { { NULL, EITHER, 0, NULL } };
static const struct uctls_family_attr traversal_attrs[] = {
	/* C's "peer address" and E's "TLS verify subject name" (doc 221624). */
	{ "peer-address", C, 1, "tls-verify-name" },
	{ "tls-verify-name", S, 1, "peer-address" },
	{ "tls-verify", EITHER, 0, NULL }, /* off: this end checks no name */
	{ "ssh-tunnel", C, 0, NULL },      /* "no" for a zone without MRA SSH tunnels */
	{ "mra-domain", S, 0, NULL },      /* MRA service domain; enables mra-edge */
	{ "mra-trusts", S, 0, NULL },      /* what the Jabber client trusts */
	{ "sip-response", S, 0, NULL },    /* answer to OPTIONS: a status, none, garbage */
	{ NULL, EITHER, 0, NULL }
};

/* XMPP server-to-server, RFC 6120 / RFC 7590: initiating server I (TLS
 * client) and receiving server R (TLS server). */
static const char *const xmpp_steps[] = {
	"tcp-connect", "stream-open", "starttls", "tls-handshake", "stream-restart",
	"s2s-auth", "established", "subdomain", NULL
};
static const struct uctls_family_attr xmpp_attrs[] = {
	{ "domain", EITHER, 0, NULL },  /* the XMPP domain the peer is (default: its id) */
	{ "to", C, 0, NULL },           /* the domain I asks for (default: R's domain) */
	{ "subdomains", S, 0, NULL },   /* further hosted names, e.g. conference.example.com */
	{ "starttls", S, 0, NULL },     /* required (default), offered, none */
	{ "dialback", EITHER, 0, NULL }, /* yes / no: override the profile's dialback */
	/* yes / no: Prosody's s2s_secure_auth (refuse a bad certificate after
	 * the stream restart with <not-authorized/>, or ignore it) */
	{ "secure-auth", EITHER, 0, NULL },
	{ "signatures", EITHER, 0, NULL }, /* rsa / ecdsa: accept only those (store.h) */
	{ NULL, EITHER, 0, NULL }
};

static const char *const traversal_sides[] = { "jabber", NULL };
static const char *const no_sides[] = { NULL };

/* A SIP-TLS trunk (RFC 3261, RFC 5922): UAC A (TLS client), UAS B. */
static const char *const trunk_steps[] = { "tcp-connect", "tls-handshake", "sip-request", NULL };
static const struct uctls_family_attr trunk_attrs[] = {
	/* CUCM's SIP trunk security profile "X.509 Subject Name": the trunk is
	 * configured with the subject CN of the IM and Presence certificate
	 * (Cisco, "Configuration and Administration of the IM and Presence
	 * Service", chapter "Configure Certificates", section "Certificate
	 * Prerequisites", https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html). */
	{ "x509-subject-name", EITHER, 1, NULL },
	{ "request", C, 0, NULL },      /* OPTIONS (default), REGISTER, INVITE (with its ACK) */
	{ "sip-response", S, 0, NULL }, /* the final status B answers, none, or garbage */
	{ "signatures", EITHER, 0, NULL }, /* rsa / ecdsa: accept only those signatures */
	/* required (profile default), optional, or none (RFC 5922 7.4: local
	 * policy; Kamailio's require_certificate) */
	{ "client-cert", S, 0, NULL },
	/* the status a routing script refuses the client's names with
	 * (profile kamailio: $tls_peer_san_hostname, $tls_peer_subject_cn) */
	{ "script-status", S, 0, NULL },
	{ NULL, EITHER, 0, NULL }
};

/* HTTPS (RFC 9110, RFC 9112 over TLS, RFC 2818): a browser, Jabber,
 * Expressway-C's traffic server or UCCX (client) to a Tomcat (server). */
static const char *const https_steps[] = { "tcp-connect", "tls-handshake", "http-request", NULL };
static const struct uctls_family_attr https_attrs[] = {
	{ "url", C, 0, NULL },           /* the URL dialled: its host is a name C expects */
	{ "http-response", S, 0, NULL }, /* a status, none, garbage, endless-header */
	{ "client-cert", S, 0, NULL },   /* required, optional (default), none */
	{ NULL, EITHER, 0, NULL }
};
#undef C
#undef S
#undef EITHER

static const struct uctls_family families[] = {
	{ "tls",
	  "generic mutual TLS between a client and a server (RFC 8446, RFC 5246)",
	  tls_steps, no_attrs, { "generic", "generic" }, no_sides,
	  { "client", "server" }, { "the TLS client", "the TLS server" } },
	{ "traversal",
	  "Expressway-C to Expressway-E traversal zone: SIP over mutual TLS, the MRA SSH "
	  "tunnel, and a Jabber client's view of Expressway-E",
	  traversal_steps, traversal_attrs, { "expressway-c", "expressway-e" }, traversal_sides,
	  { "C", "E" }, { "the traversal client, Expressway-C", "the traversal server, Expressway-E" } },
	{ "sip-trunk",
	  "a SIP-TLS trunk between two SIP elements (CUCM, IM and Presence, Meeting Server, "
	  "Expressway, any RFC 5922 proxy): mutual TLS, then a SIP transaction",
	  trunk_steps, trunk_attrs, { "generic-sip", "generic-sip" }, no_sides,
	  { "A", "B" }, { "the UAC, the TLS client", "the UAS, the TLS server" } },
	{ "xmpp-s2s",
	  "XMPP server-to-server federation: streams, STARTTLS, TLS with RFC 6125 identity, "
	  "SASL EXTERNAL or dialback, a routed ping, hosted subdomains",
	  xmpp_steps, xmpp_attrs, { "rfc6125-strict", "rfc6125-strict" }, no_sides,
	  { "I", "R" }, { "the initiating server", "the receiving server" } },
	{ "https",
	  "HTTPS to a web server (a browser, Jabber, Expressway-C or UCCX to a CUCM, IM and "
	  "Presence, UCCX or Finesse Tomcat): TLS, then an HTTP/1.1 GET",
	  https_steps, https_attrs, { "chrome", "cucm-tomcat" }, no_sides,
	  { "client", "server" }, { "the HTTPS client", "the HTTPS server (Tomcat)" } },
};

const struct uctls_family *
uctls_family_at(unsigned i)
{
	if (i >= sizeof(families) / sizeof(families[0]))
		return NULL;
	return &families[i];
}

const struct uctls_family *
uctls_family_find(const char *name)
{
	const struct uctls_family *f;
	unsigned i;

	for (i = 0; (f = uctls_family_at(i)) != NULL; i++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

int
uctls_family_has_step(const struct uctls_family *f, const char *step)
{
	unsigned i;

	/* The install step may open the step program of any family. */
	if (strcmp(step, "install") == 0)
		return 1;
	for (i = 0; f->steps[i] != NULL; i++)
		if (strcmp(f->steps[i], step) == 0)
			return 1;
	return 0;
}

const struct uctls_family_attr *
uctls_family_attr(const struct uctls_family *f, const char *name)
{
	unsigned i;

	for (i = 0; f->attrs[i].name != NULL; i++)
		if (strcmp(f->attrs[i].name, name) == 0)
			return &f->attrs[i];
	return NULL;
}

/* docs/steps.md lists each with its meaning. */
const char *const uctls_reasons[] = {
	"issuer-not-found", "untrusted-root", "self-signed", "signer-not-ca",
	"path-length", "name-constraints", "bad-signature", "insecure-algorithm",
	"expired", "not-yet-valid", "revoked", "name-mismatch", "cn-only-no-san",
	"wildcard-not-allowed", "wildcard-missing", "eku-server-auth-missing",
	"eku-client-auth-missing", "key-usage", "unknown-critical-extension",
	"key-size", "no-client-cert", "no-server-cert", "timeout",
	"connection-refused", "connection-closed", "starttls-not-offered",
	"protocol-version", "no-shared-cipher", "bad-format", "malformed-certificate",
	"key-mismatch", "bundle-order", "csr-san-mismatch", "tls-error", "verify-failed",
	"sip-malformed", "leaf-is-ca", "key-identifier", "bad-criticality", "empty-name",
	"bad-serial", "duplicate-extension", "malformed-san", "bad-extension", "validity-period", "bad-subject",
	"xmpp-malformed", "starttls-failed", "no-auth-mechanism", "dialback-invalid",
	"slot-key-type", "multi-server-san", /* install: store.h */
	"http-malformed",
	"crl-expired", "revocation-unknown", /* revoke.h */
	"subject-oid-unsupported", /* ssh-subject.h */
	NULL
};

const char *const uctls_reason_prefixes[] = {
	"alert:", "stream-error:", "sip-status:", "sasl-failure:", "http-status:", NULL
};

int
uctls_reason_known(const char *r)
{
	unsigned i;
	size_t n;

	for (i = 0; uctls_reasons[i] != NULL; i++)
		if (strcmp(uctls_reasons[i], r) == 0)
			return 1;
	for (i = 0; uctls_reason_prefixes[i] != NULL; i++) {
		n = strlen(uctls_reason_prefixes[i]);
		if (strncmp(r, uctls_reason_prefixes[i], n) == 0 && r[n] != '\0')
			return 1;
	}
	return 0;
}

/* OpenSSL's verify errors (X509_V_ERR_*, `openssl verify' words), GnuTLS's
 * status flags (GNUTLS_CERT_*) and other common words, normalised
 * (lower case, `-' between words), and the reason each means. */
static const struct {
	const char *word, *reason;
} reason_aliases[] = {
	{ "unknown-issuer", "issuer-not-found" },
	{ "issuer-unknown", "issuer-not-found" },
	{ "signer-not-found", "issuer-not-found" },
	{ "unable-to-get-issuer-cert", "issuer-not-found" },
	{ "unable-to-get-issuer-cert-locally", "issuer-not-found" },
	{ "unable-to-get-local-issuer-certificate", "issuer-not-found" },
	{ "missing-intermediate", "issuer-not-found" },
	{ "self-signed-cert-in-chain", "untrusted-root" },
	{ "self-signed-certificate-in-chain", "untrusted-root" },
	{ "cert-untrusted", "untrusted-root" },
	{ "untrusted", "untrusted-root" },
	{ "not-trusted", "untrusted-root" },
	{ "depth-zero-self-signed-cert", "self-signed" },
	{ "cert-has-expired", "expired" },
	{ "certificate-has-expired", "expired" },
	{ "certificate-expired", "expired" },
	{ "cert-not-yet-valid", "not-yet-valid" },
	{ "certificate-not-yet-valid", "not-yet-valid" },
	{ "not-activated", "not-yet-valid" },
	{ "hostname-mismatch", "name-mismatch" },
	{ "host-mismatch", "name-mismatch" },
	{ "unexpected-owner", "name-mismatch" },
	{ "ip-address-mismatch", "name-mismatch" },
	{ "cert-signature-failure", "bad-signature" },
	{ "signature-failure", "bad-signature" },
	{ "invalid-signature", "bad-signature" },
	{ "invalid-ca", "signer-not-ca" },
	{ "signer-not-ca", "signer-not-ca" },
	{ "path-length-exceeded", "path-length" },
	{ "cert-chain-too-long", "path-length" },
	{ "cert-revoked", "revoked" },
	{ "certificate-revoked", "revoked" },
	{ "ca-md-too-weak", "insecure-algorithm" },
	{ "weak-algorithm", "insecure-algorithm" },
	{ "ee-key-too-small", "key-size" },
	{ "ca-key-too-small", "key-size" },
	{ "permitted-violation", "name-constraints" },
	{ "excluded-violation", "name-constraints" },
	{ "unhandled-critical-extension", "unknown-critical-extension" },
	{ "unknown-ca", "alert:unknown-ca" },
	{ "bad-certificate", "alert:bad-certificate" },
	{ "certificate-required", "alert:certificate-required" },
	{ "handshake-failure", "alert:handshake-failure" },
	{ "no-certificate", "no-client-cert" },
	{ "peer-did-not-return-a-certificate", "no-client-cert" },
};

/* Levenshtein distance of A and B, capped at 9 (long words). */
static unsigned
edit_distance(const char *a, const char *b)
{
	unsigned row[64], i, j, diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 9;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

const char *
uctls_reason_suggest(const char *r)
{
	static const char *const prefixes[] = { "x509-v-err-", "gnutls-cert-", "err-", NULL };
	char w[64];
	const char *p = r, *best = NULL;
	unsigned i, d, bestd = 3;
	size_t n, k;

	for (n = 0; *p != '\0' && n < sizeof(w) - 1; p++)
		w[n++] = *p == '_' || *p == ' ' ? '-'
		         : *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
	w[n] = '\0';
	for (i = 0; prefixes[i] != NULL; i++) {
		k = strlen(prefixes[i]);
		if (strncmp(w, prefixes[i], k) == 0) {
			memmove(w, w + k, n - k + 1);
			break;
		}
	}
	for (i = 0; i < sizeof(reason_aliases) / sizeof(reason_aliases[0]); i++)
		if (strcmp(w, reason_aliases[i].word) == 0)
			return reason_aliases[i].reason;
	for (i = 0; uctls_reasons[i] != NULL; i++) {
		d = edit_distance(w, uctls_reasons[i]);
		if (d < bestd) {
			bestd = d;
			best = uctls_reasons[i];
		}
	}
	return best;
}
