#include "config.h"

#include <string.h>

#include "profile.h"

/* Sources for every rule, with the section and what is uctls's model rather
 * than the document's statement: docs/profiles.md.  The vendor documents:
 *   doc 221624: Cisco, "Troubleshoot Expressway Certificates",
 *     https://www.cisco.com/c/en/us/support/docs/unified-communications/telepresence-video-communication-server-vcs/221624-troubleshoot-expressway-certificates.html
 *   IM and Presence guide: Cisco, "Configuration and Administration of the
 *     IM and Presence Service", chapter "Configure Certificates" (12.5(1)SU4),
 *     https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html
 *   doc 214618: Cisco, "Generate CSR and Apply Certificates to CMS",
 *     https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/214618-generate-csr-and-apply-certificates-to-c.html
 *   doc 118855: Cisco, "UCCX Solution Certificate Management Guide",
 *     https://www.cisco.com/c/en/us/support/docs/customer-collaboration/unified-contact-center-express/118855-configure-uccx-00.html
 *   the Expressway guide: Cisco, "Cisco Expressway Certificate Creation and
 *     Use Deployment Guide" (X8.x), https://www.cisco.com/c/en/us/support/unified-communications/expressway-series/products-installation-and-configuration-guides-list.html
 */

/* doc 118855 ("Install Signed Tomcat Application Certificates"): "UCCX
 * supports only 1024-bit and 2048-bit certificate key lengths"; ("Problem -
 * Invalid User ID/Password") a critical extension other than key usage
 * (2.5.29.15) and basic constraints (2.5.29.19) in CUCM's certificate breaks
 * UCCX's TLS to CUCM.  Applying both at UCCX's own upload is uctls's model. */
static const unsigned uccx_key_bits[] = { 1024, 2048, 0 };
static const char *const uccx_critical_ok[] = { "2.5.29.15", "2.5.29.19", NULL };
/* IM and Presence guide ("Certificate Signing Request Key Usage Extensions"):
 * its CSRs (cup, cup-xmpp, cup-xmpp-s2s, ipsec, tomcat) request data
 * encipherment, and the CA must not change or remove that bit.  Refusing the
 * upload of a certificate without it is uctls's model (docs/profiles.md);
 * set on cup-xmpp-s2s only for now: the `cup' install scenarios use uctls's
 * default leaf key usage, which has no data encipherment. */
static const char *const imp_ku_keep[] = { "dataEncipherment", NULL };
static const struct uctls_profile profiles[] = {
	{
		.name = "generic",
		.family = "*",
		.describe = "RFC 5280 path validation, RFC 9525 identity (no CN fallback), "
		            "mutual TLS 1.2/1.3",
		.cn_fallback = 0,      /* RFC 9525 section 6.3: CN-ID no longer used */
		.wildcard = 1,         /* RFC 6125 6.4.3 / RFC 9525 6.3: left-most label */
		.eku_required = 0,     /* RFC 5280 4.2.1.12: absent EKU = any purpose */
		.check_key_usage = 1,  /* RFC 5280 4.2.1.3; RFC 8446 4.4.2.2 */
		.min_rsa_bits = 2048,  /* NIST SP 800-131A: < 2048 disallowed */
		.max_rsa_bits = 0,
		.allow_sha1 = 0,       /* RFC 9155; SHA-1 signatures deprecated */
		.require_client_cert = 1,
		.verify_peer = 1,
		.rfc5280_strict = 1, /* RFC 5280 section 4 (certlint.c) */
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	{
		.name = "legacy",
		.family = "*",
		.describe = "a pre-2017 stack: CN-ID fallback (RFC 6125 6.4.4), RSA-1024 and "
		            "SHA-1 accepted",
		.cn_fallback = 1,
		.wildcard = 1,
		.eku_required = 0,
		.check_key_usage = 1,
		.min_rsa_bits = 1024,
		.max_rsa_bits = 0,
		.allow_sha1 = 1,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	{
		.name = "strict-mutual",
		.family = "*",
		.describe = "both EKU purposes must be explicit, no wildcards, no CN fallback",
		.cn_fallback = 0,
		.wildcard = 0,         /* RFC 5922 7.2 style: no wildcard */
		.eku_required = 1,     /* Expressway-style: EKU must name the purpose */
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.max_rsa_bits = 0,
		.allow_sha1 = 0,
		.require_client_cert = 1,
		.verify_peer = 1,
		.rfc5280_strict = 1, /* RFC 5280 section 4 (certlint.c) */
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	/* What a publicly-trusted CA may issue for a TLS server (CA/Browser
	 * Forum Baseline Requirements 2.0), on top of RFC 5280 section 4, as
	 * webpki clients (rustls-webpki, browsers) check it. */
	{
		.name = "webpki",
		.family = "*",
		.describe = "CA/Browser Forum Baseline Requirements: what a public CA must issue "
		            "for a TLS server (RFC 5280 section 4, EKU, key and signature "
		            "algorithms, 398-day leaves)",
		.cn_fallback = 0,      /* BR 7.1.4.3: the names are the SANs */
		.wildcard = 1,         /* RFC 6125 6.4.3 */
		.eku_required = 1,     /* BR 7.1.2.7.10 */
		.check_key_usage = 1,
		.min_rsa_bits = 2048,  /* BR 6.1.5 */
		.max_rsa_bits = 0,
		.allow_sha1 = 0,       /* BR 7.1.3.2 */
		.require_client_cert = 1,
		.verify_peer = 1,
		.rfc5280_strict = 1,
		.webpki = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	/* Stock OpenSSL 3.0 (`openssl verify -purpose sslserver
	 * -verify_hostname', and a TLS stack built on it): crypto/x509/
	 * x509_vfy.c, v3_purp.c (check_purpose_ssl_server), v3_utl.c
	 * (do_x509_check: CN only without a DNS SAN). */
	{
		.name = "openssl",
		.family = "*",
		.describe = "stock OpenSSL 3.0 verification (no -x509_strict): CN fallback "
		            "without a DNS SAN, EKU checked when present",
		.cn_fallback = 1,
		.wildcard = 1,
		.eku_required = 0,
		.check_key_usage = 0,  /* v3_purp.c: digitalSignature, keyEncipherment or
		                          keyAgreement suffices for sslserver */
		.min_rsa_bits = 2048,  /* security level 2, Debian's default for TLS */
		.max_rsa_bits = 0,
		.allow_sha1 = 0,       /* SHA-1 signatures below security level 1 (3.0) */
		.anchor_self_signed = 1, /* x509_vfy.c: no X509_V_FLAG_PARTIAL_CHAIN by default */
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	/* Stock GnuTLS 3.7 (gnutls_certificate_verify_peers3, certtool
	 * --verify): lib/x509/verify.c, lib/x509/hostname-verify.c (CN only
	 * without a DNS SAN). */
	{
		.name = "gnutls",
		.family = "*",
		.describe = "stock GnuTLS 3.7 verification: CN fallback without a DNS SAN, EKU "
		            "checked when present, SHA-1 rejected; alerts as gnutls-cli and "
		            "gnutls-serv send them",
		/* src/cli.c and src/serv.c of GnuTLS 3.7 (docs/profiles.md):
		 * bad_certificate from gnutls-cli, access_denied from
		 * gnutls-serv, for every verification failure. */
		.cert_alert = { 42, 49 },
		/* gnutls-serv verifies a client with no purpose (src/serv.c):
		 * a serverAuth-only client certificate is accepted. */
		.ignore_client_purpose = 1,
		.cn_fallback = 1,
		.wildcard = 1,
		.eku_required = 0,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.max_rsa_bits = 0,
		.allow_sha1 = 0,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	/* Cisco Expressway (docs/profiles.md): "Expressway does not support
	 * wildcard certificates"; certificates carry both TLS Web Server and
	 * TLS Web Client Authentication; the X.509 subject follows RFC 5922
	 * (a non-clustered Expressway may have the FQDN as CN and no SAN).
	 * Expressway Certificate Creation and Use Deployment Guide;
	 * doc 221624. */
	{
		.name = "expressway-c",
		.family = "traversal",
		.describe = "Cisco Expressway-C, traversal client: checks Expressway-E against "
		            "its trusted CA list and its zone's peer address",
		.inst_pem_only = 1,  /* "invalid certificate format" (doc 221624) */
		.inst_ca_first = 1,  /* "untrusted CA chain" (doc 221624) */
		.cn_fallback = 1,
		.wildcard = 0,
		.eku_required = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.max_rsa_bits = 0,
		.allow_sha1 = 0,
		.require_client_cert = 1,
		.verify_peer = 1,
		.trust_words = "trusted CA list (Maintenance > Security > Trusted CA list)",
		.symptom = "\"TLS negotiation error\" on the traversal zone (zone status Failed; with MRA, SSH tunnels down)",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	{
		.name = "expressway-e",
		.family = "traversal",
		.describe = "Cisco Expressway-E, traversal server: checks Expressway-C against "
		            "its trusted CA list and its zone's TLS verify subject name",
		.inst_pem_only = 1,  /* "invalid certificate format" (doc 221624) */
		.inst_ca_first = 1,  /* "untrusted CA chain" (doc 221624) */
		.cn_fallback = 1,
		.wildcard = 0,
		.eku_required = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.max_rsa_bits = 0,
		.allow_sha1 = 0,
		.require_client_cert = 1,
		.verify_peer = 1,
		.trust_words = "trusted CA list (Maintenance > Security > Trusted CA list)",
		.symptom = "\"TLS negotiation error\" on the traversal zone (zone status Failed; with MRA, SSH tunnels down)",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	/* The Jabber client of Mobile and Remote Access: the service domain
	 * must be a subject alternative name of Expressway-E (doc 221624,
	 * "Jabber untrusted certificate"); no CN matching (RFC 9525). */
	{
		.name = "jabber",
		.family = "traversal",
		.describe = "Cisco Jabber over MRA: Expressway-E must carry the service domain "
		            "or collab-edge.<domain> as a SAN",
		.cn_fallback = 0,
		.wildcard = 1,
		.eku_required = 0,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.max_rsa_bits = 0,
		.allow_sha1 = 0,
		.require_client_cert = 0,
		.verify_peer = 1,
		.trust_words = "trusted certificates (the operating system's certificate store)",
		.symptom = "\"untrusted certificate\" warning at MRA login",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = NULL,
	},
	/* XMPP server-to-server (docs/profiles.md).  Identity per RFC 6125 for
	 * the xmpp-server service: DNS-ID, SRV-ID _xmpp-server, XmppAddr
	 * (RFC 6120 13.7.1.4, RFC 7590); the servers differ in the CN-ID
	 * fallback and in dialback (XEP-0220) when SASL EXTERNAL (XEP-0178) is
	 * not possible. */
	{
		.name = "rfc6125-strict",
		.family = "xmpp-s2s",
		.describe = "RFC 7590 / RFC 9525: SAN identities only, SASL EXTERNAL only "
		            "(no dialback)",
		.cn_fallback = 0,
		.wildcard = 1,
		.xmpp_ids = 1,
		.dialback = 0,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "prosody",
		.family = "xmpp-s2s",
		.describe = "Prosody 0.12: CN-ID only without SAN (util/x509), dialback when "
		            "the certificate is not usable (s2s_secure_auth = false), client "
		            "certificate purpose not checked (lsec_ignore_purpose)",
		.ignore_client_purpose = 1,
		.secure_auth_switch = 1, /* modules/mod_s2s.lua: s2s_secure_auth, false */
		.cn_fallback = 1,
		.wildcard = 1,
		.xmpp_ids = 1,
		.dialback = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "ejabberd",
		.family = "xmpp-s2s",
		.describe = "ejabberd: SASL EXTERNAL offered for any certificate and refused at "
		            "<auth/>, dialback fallback (mod_s2s_dialback), CN-ID only without SAN",
		.sasl_offer_always = 1,
		.cn_fallback = 1,
		.wildcard = 1,
		.xmpp_ids = 1,
		.dialback = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "cup-xmpp-s2s",
		.family = "xmpp-s2s",
		.describe = "Cisco IM and Presence federation (cup-xmpp-s2s certificate, "
		            "cup-xmpp-trust): SASL EXTERNAL or dialback",
		.inst_ca_first = 1,  /* root and intermediates before the certificate (IM and Presence guide) */
		.inst_ku_keep = imp_ku_keep, /* the CA keeps data encipherment (IM and Presence guide) */
		.cn_fallback = 1,
		.wildcard = 1,
		.xmpp_ids = 1,
		.dialback = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.trust_words = "cup-xmpp-trust store (Cisco Unified IM and Presence OS Administration > Security > Certificate Management)",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	/* SIP-TLS trunks (docs/profiles.md). */
	{
		.name = "generic-sip",
		.family = "sip-trunk",
		.describe = "a SIP element following RFC 5922 loosely: DNS and sip: URI SANs, "
		            "CN when there is no SAN, wildcards accepted",
		.cn_fallback = 1,
		.wildcard = 1,
		.sip_ids = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "rfc5922",
		.family = "sip-trunk",
		.describe = "RFC 5922 strictly: sip: URI and DNS SANs, the CN only without "
		            "SANs (7.1), no wildcards (7.2)",
		.cn_fallback = 1,
		.wildcard = 0,
		.sip_ids = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "cucm",
		.family = "sip-trunk",
		.describe = "Cisco Unified CM SIP trunk security profile: the peer's subject CN "
		            "must equal the configured X.509 Subject Name; callmanager-trust",
		.inst_ca_first = 1,  /* root and intermediates before the certificate (IM and Presence guide) */
		.cn_fallback = 2,
		.wildcard = 0,
		.sip_ids = 0,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.trust_words = "callmanager-trust store (Cisco Unified OS Administration > Security > Certificate Management)",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "cup",
		.family = "sip-trunk",
		.describe = "Cisco IM and Presence SIP proxy: TLS peer subject (CN) of CUCM; "
		            "cup-trust",
		.inst_ca_first = 1,  /* root and intermediates before the certificate (IM and Presence guide) */
		.cn_fallback = 2,
		.wildcard = 0,
		.sip_ids = 0,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.trust_words = "cup-trust store (Cisco Unified IM and Presence OS Administration > Security > Certificate Management)",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	/* Kamailio 5.6 with its tls module (OpenSSL): the module verifies the
	 * chain (verify_certificate, require_certificate) but not the peer's
	 * name (tls module README, "Known limitations"); the routing script
	 * compares $tls_peer_san_hostname / $tls_peer_subject_cn with the
	 * trunk's name and refuses with a SIP status (script-status=, 403 by
	 * default).  Alerts and chain rules are OpenSSL's (ssl/statem,
	 * crypto/x509/x509_vfy.c). */
	{
		.name = "kamailio",
		.family = "sip-trunk",
		.describe = "Kamailio 5.6 tls module: the chain checked in the handshake "
		            "(OpenSSL), the name checked by the routing script against the first "
		            "DNS SAN or the CN, exactly, refused with script-status (403)",
		.name_check_in_app = 1,
		.cn_fallback = 2,      /* the script also compares $tls_peer_subject_cn */
		.wildcard = 0,         /* a string comparison: no wildcard matching */
		.sip_ids = 0,
		.check_key_usage = 0,  /* OpenSSL v3_purp.c, as the openssl profile */
		.min_rsa_bits = 2048,  /* Debian's OpenSSL security level 2 */
		.anchor_self_signed = 1, /* x509_vfy.c: no X509_V_FLAG_PARTIAL_CHAIN */
		.require_client_cert = 1, /* tls.cfg require_certificate = yes */
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	/* sipsak 0.9.8 (GnuTLS) as a UAC: never loads a client certificate
	 * and, when it checks the server (-vvv), does so after the handshake
	 * and exits without an alert (sipsak's tls code, docs/profiles.md): to
	 * the server it is a client that accepts any certificate. */
	{
		.name = "sipsak",
		.family = "sip-trunk",
		.describe = "sipsak 0.9.8 as a UAC: presents no certificate, never sends an "
		            "alert (its check of the server, if any, is silent)",
		.cn_fallback = 1,
		.wildcard = 1,
		.check_key_usage = 0,
		.min_rsa_bits = 1024,
		.allow_sha1 = 1,
		.require_client_cert = 1,
		.verify_peer = 0,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	{
		.name = "cms-callbridge",
		.family = "sip-trunk",
		.describe = "Cisco Meeting Server call bridge: full chain trust (CMS 3.0), SAN "
		            "identities with the CN included in the SAN",
		.inst_bundle_order = 1,   /* entity, intermediates, root (doc 214618) */
		.inst_bundle_newline = 1, /* exactly one carriage return at the end (doc 214618) */
		.inst_cn_in_san = 1,      /* pki csr: a SAN list must include the CN (doc 214618) */
		.trust_words = "call bridge CA bundle (MMP: callbridge certs <key> <cert> <bundle>; "
		               "pki verify <cert> <bundle> checks it; full chain from CMS 3.0)",
		.cn_fallback = 0,
		.wildcard = 1,
		.sip_ids = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	},
	/* Cisco Unified Contact Center Express (doc 118855): upload rules. */
	{
		.name = "uccx",
		.family = "*",
		.describe = "Cisco UCCX: 1024- and 2048-bit keys only, no critical extension "
		            "besides key usage and basic constraints, the FQDN as a SAN",
		.inst_key_bits = uccx_key_bits,
		.inst_critical_ok = uccx_critical_ok,
		.inst_cn_in_san = 1,
		.cn_fallback = 0,
		.wildcard = 1,
		.check_key_usage = 1,
		.min_rsa_bits = 1024,
		.max_rsa_bits = 2048,
		.require_client_cert = 1,
		.verify_peer = 1,
		.trust_words = "tomcat-trust store (Cisco Unified CCX OS Administration > Security > Certificate Management)",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		.tolerated_critical = uccx_critical_ok,
	},
};

const struct uctls_profile *
uctls_profile_at(unsigned i)
{
	if (i >= sizeof(profiles) / sizeof(profiles[0]))
		return NULL;
	return &profiles[i];
}

const struct uctls_profile *
uctls_profile_find(const char *name)
{
	const struct uctls_profile *p;
	unsigned i;

	for (i = 0; (p = uctls_profile_at(i)) != NULL; i++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}
