/* uctls — device profiles (uctls_profile_*).
 *
 * A profile is data: what a device checks of the certificate its peer
 * presents and how it behaves in the handshake.  Every rule is cited in
 * docs/profiles.md.  The engine and the verifier read these fields and never
 * test a profile's name.
 */
#ifndef UCTLS_PROFILE_H
#define UCTLS_PROFILE_H

struct uctls_profile {
	const char *name;
	const char *family;     /* family it belongs to, or "*" for any */
	const char *describe;   /* one line for --help and docs */
	int cn_fallback;        /* match the subject CN when no DNS/IP SAN (RFC 6125 6.4.4) */
	int wildcard;           /* accept `*.' in the left-most label (RFC 6125 6.4.3) */
	int xmpp_ids;           /* SRV-ID _xmpp-server and XmppAddr identify a domain */
	int dialback;           /* XMPP: dialback (XEP-0220) when SASL EXTERNAL is not possible;
	                           as initiating server, also when the receiving server's
	                           certificate does not verify (s2s_secure_auth off) */
	int ignore_client_purpose; /* a client certificate's EKU is not checked
	                              (Prosody: LuaSec lsec_ignore_purpose) */
	int secure_auth_switch; /* XMPP: Prosody's s2s_secure_auth (secure-auth=), off by
	                           default: on, a bad certificate is refused after the
	                           stream restart with <not-authorized/>; off, an
	                           initiating server ignores the receiving server's */
	int sasl_offer_always;  /* XMPP R: SASL EXTERNAL offered for any certificate and
	                           refused at <auth/> when it does not verify (ejabberd) */
	int sip_ids;            /* a URI SAN sip:<domain> identifies a SIP domain (RFC 5922) */
	int eku_required;       /* the EKU extension must be present and carry the purpose
	                           (RFC 5280 4.2.1.12 lets its absence mean any purpose) */
	int check_key_usage;    /* keyUsage, when present, must allow the TLS use */
	unsigned min_rsa_bits;  /* smallest RSA modulus accepted of a peer */
	unsigned max_rsa_bits;  /* 0: no upper bound */
	int allow_sha1;         /* SHA-1 signatures in the peer's chain accepted */
	int require_client_cert; /* as server: a client certificate is required */
	int verify_peer;        /* 0: accepts any certificate (does not verify) */
	int rfc5280_strict;     /* RFC 5280 section 4 certificate-profile rules on every
	                           certificate of the path (certlint.h): key identifiers,
	                           criticality, empty names, serial numbers, SAN syntax, no CA
	                           certificate as end entity */
	int webpki;             /* and the CA/Browser Forum Baseline Requirements for TLS
	                           server certificates (certlint.h) */
	int anchor_self_signed; /* only a self-signed trusted certificate ends a path: a
	                           trusted intermediate needs its root too (OpenSSL without
	                           X509_V_FLAG_PARTIAL_CHAIN) */
	unsigned max_depth;     /* intermediate CAs accepted between the end-entity certificate
	                           and the trust anchor; 0: 100 (OpenSSL's default depth) */
	int cert_alert[2];      /* the alert (RFC 8446 6.2 number) this stack sends when it
	                           rejects a certificate the other side presented, as a client
	                           [0] and as a server [1]; 0: the alert of the reason
	                           (verify.c, as OpenSSL 3.0 ssl_x509err2alert() chooses) */
	int name_check_in_app;  /* the TLS layer checks the chain only; the peer's name is
	                           checked by the application after the handshake and
	                           refused at the application step (Kamailio's tls module
	                           and its routing script: sip-trunk script-status) */
	const char *priority;   /* GnuTLS priority string (TLS versions, ciphers) */
	const char *trust_words; /* the device's own name for its trust list, used in hints
	                            ("trusted CA list (Maintenance > Security > Trusted CA
	                            list)", "callmanager-trust"); NULL: "trust list" */
	const char *symptom;    /* what the device shows when this verification fails, in
	                           its own words, for the report; NULL: nothing */
	/* Install step (install.h): what the device checks on upload. */
	int inst_pem_only, inst_ca_first, inst_bundle_order, inst_bundle_newline, inst_cn_in_san;
	const unsigned *inst_key_bits;          /* 0-terminated, or NULL: any */
	const char *const *inst_critical_ok;    /* NULL-terminated, or NULL: any known */
	const char *const *inst_ku_keep;        /* keyUsage bits (RFC 5280 names) that an
	                           uploaded certificate with keyUsage must still carry,
	                           NULL-terminated; NULL: none */
	const char *const *tolerated_critical; /* NULL-terminated OIDs that may be
	                           critical; NULL: the set GnuTLS knows (verify.c) */
};

/* NULL when unknown. */
const struct uctls_profile *uctls_profile_find(const char *name);
/* Iteration: returns NULL past the end. */
const struct uctls_profile *uctls_profile_at(unsigned i);

#endif
