#include "config.h"

#include <string.h>

#include "family.h"

static const char *const tls_steps[] = { "tcp-connect", "tls-handshake", NULL };
static const char *const no_attrs[] = { NULL };

/* Expressway-C (TLS client) dials Expressway-E (TLS server); docs/steps.md. */
static const char *const traversal_steps[] = {
	"tcp-connect", "tls-handshake", "sip-options", "ssh-tunnel", "mra-edge", NULL
};
/* C's "peer address" and E's "TLS verify subject name" (seeds 000/003). */
static const char *const traversal_names[] = { "peer-address", "tls-verify-name", NULL };
static const char *const traversal_attrs[] = {
	"mra-domain",   /* E: MRA service domain; enables the mra-edge step */
	"mra-trusts",   /* E: what the Jabber client trusts (default: C's trusts) */
	"sip-response", /* E: answer to OPTIONS: a status code, none, or garbage */
	"ssh-tunnel",   /* C: "no" for a zone without MRA SSH tunnels */
	NULL
};

/* XMPP server-to-server, RFC 6120 / RFC 7590: initiating server I (TLS
 * client) and receiving server R (TLS server). */
static const char *const xmpp_steps[] = {
	"tcp-connect", "stream-open", "starttls", "tls-handshake", "stream-restart",
	"s2s-auth", "established", "subdomain", NULL
};
static const char *const xmpp_attrs[] = {
	"domain",     /* the XMPP domain the peer is (default: its id) */
	"to",         /* I: the domain it asks for (default: R's domain) */
	"subdomains", /* R: further hosted names, e.g. conference.example.com */
	"starttls",   /* R: required (default), offered, none */
	"dialback",   /* yes / no: override the profile's dialback fallback */
	NULL
};

static const char *const traversal_sides[] = { "jabber", NULL };

/* A SIP-TLS trunk (RFC 3261, RFC 5922): UAC A (TLS client), UAS B. */
static const char *const trunk_steps[] = { "tcp-connect", "tls-handshake", "sip-request", NULL };
/* CUCM's SIP trunk security profile "X.509 Subject Name" (seed 001). */
static const char *const trunk_names[] = { "x509-subject-name", NULL };
static const char *const trunk_attrs[] = {
	"request",      /* A: OPTIONS (default), REGISTER, INVITE (with its ACK) */
	"sip-response", /* B: the final status it answers, none, or garbage */
	"signatures",   /* rsa: accept only RSA signatures (e.g. CUCM's TLS cipher setting) */
	"client-cert",  /* B: required (profile default), optional, or none (RFC 5922 7.4:
	                   local policy; Kamailio's require_certificate) */
	NULL
};

static const struct uctls_family families[] = {
	{ "tls",
	  "generic mutual TLS between a client and a server (RFC 8446, RFC 5246)",
	  tls_steps, no_attrs, no_attrs, { "generic", "generic" }, no_attrs },
	{ "traversal",
	  "Expressway-C to Expressway-E traversal zone: SIP over mutual TLS, the MRA SSH "
	  "tunnel, and a Jabber client's view of Expressway-E",
	  traversal_steps, traversal_names, traversal_attrs, { "expressway-c", "expressway-e" },
	  traversal_sides },
	{ "sip-trunk",
	  "a SIP-TLS trunk between two SIP elements (CUCM, IM and Presence, Meeting Server, "
	  "Expressway, any RFC 5922 proxy): mutual TLS, then a SIP transaction",
	  trunk_steps, trunk_names, trunk_attrs, { "generic-sip", "generic-sip" }, no_attrs },
	{ "xmpp-s2s",
	  "XMPP server-to-server federation: streams, STARTTLS, TLS with RFC 6125 identity, "
	  "SASL EXTERNAL or dialback, a routed ping, hosted subdomains",
	  xmpp_steps, no_attrs, xmpp_attrs, { "rfc6125-strict", "rfc6125-strict" }, no_attrs },
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
	NULL
};

const char *const uctls_reason_prefixes[] = {
	"alert:", "stream-error:", "sip-status:", "sasl-failure:", NULL
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
