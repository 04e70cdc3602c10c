/* uctls — device profiles (uctls_profile_*).
 *
 * A profile is data: what a device checks of the certificate its peer
 * presents and how it behaves in the handshake.  Every rule is cited in
 * docs/profiles.md.  The engine and the verifier read these fields and never
 * test a profile's name.
 */
#ifndef UCTLS_PROFILE_H
#define UCTLS_PROFILE_H

#include <stddef.h>
#include <stdio.h>

struct uctls_err;
struct uctls_profile_set;

struct uctls_profile {
	const char *name;
	const char *src_file;   /* where it was defined (profile-load.c): a profile file or
	                           a scenario; NULL for none */
	int src_line;
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
	/* Certificate slots and trust stores of a UCOS device (store.h; IM and
	 * Presence guide, chapter "Configure Certificates"; doc 118855). */
	const char *const *slots;  /* NULL-terminated "SLOT STORE" pairs: each certificate
	                              slot (-ECDSA twins too) and the trust store its CA
	                              chain must be in; NULL: no named slots */
	const char *const *stores; /* NULL-terminated trust store names; NULL: none */
	const char *service_slot;  /* the slot this family's connection presents (and its
	                              -ECDSA twin); NULL: none */
	const char *service_store; /* the trust store this family's connection verifies
	                              the other side with; NULL: none */
	unsigned inst_max_san_hosts; /* upload: DNS SANs a multi-server certificate may
	                                name (UCCX: node 1 and node 2); 0: any */
	/* Expiry warnings on a passing run (warn.h). */
	unsigned warn_days;     /* a certificate on a path this device accepted that expires
	                           within this many days is a warning; 0: 30 (uctls run
	                           --warn-days overrides) */
	const char *warn_words; /* what the device calls that warning, for the report
	                           (CUCM / IM and Presence: the Certificate Monitor's
	                           Notification Start Time); NULL: nothing */
	int inst_full_chain;    /* upload: the chain uploaded with the certificate (the
	                           bundle, or the separate CA bundle) ends with the root:
	                           "full chain trust" from CMS 3.0 (doc 214618) */
	const char *const *symptoms; /* NULL-terminated "REASON WORDS" items: what the device
	                           shows when it fails with REASON (a browser's error page:
	                           "name-mismatch NET::ERR_CERT_COMMON_NAME_INVALID ..."),
	                           before symptom; NULL: symptom alone (report.c) */
	/* Revocation (revoke.h; docs/profiles.md "Revocation").  All 0: the device
	 * checks no revocation unless the scenario's peer says revocation=. */
	int rev_crl;            /* fetches the CRL of each cRLDistributionPoints URL */
	int rev_ocsp;           /* asks the AIA OCSP responder */
	int rev_staple;         /* asks for and checks a stapled OCSP response
	                           (status_request, RFC 6066 8) */
	int rev_all_cas;        /* checks every certificate of the path below the anchor,
	                           not only the end-entity certificate */
	int rev_fail_closed;    /* status unobtainable: treat as revoked (1) or as not
	                           revoked (0) */
	int rev_crl_expired_revokes; /* a CRL past its nextUpdate: every certificate of
	                           its CA is revoked (crl-expired); 0: status unknown */
	/* Expressway's trusted CA list (trust-shadow.h; docs/profiles.md). */
	int trust_one_per_subject; /* of two or more trusted self-signed certificates with
	                           the same subject CN, only the first in the trust list
	                           is used */
	const char *const *ssh_subject_oids; /* NULL-terminated subject attribute OIDs
	                           the MRA SSH tunnel accepts in the certificate the
	                           other side presents (ssh-tunnel step; subject-oid-
	                           unsupported); NULL: any */
	/* Revocation, what a device that checks none says (revoke.c): the note a
	 * passing verification carries in a scenario with revocation data when
	 * no source is on, "PRODUCT does not check revocation ..."; NULL: none. */
	const char *rev_unchecked;
	/* Revocation: asks the OCSP responder by GET when the URL fits in 255
	 * bytes (RFC 6960 A.1, RFC 5019 5), by POST otherwise; 0: POST always
	 * (revoke-http.c) */
	int rev_ocsp_get;
};

/* The process's profiles (profile.c): the profile directory, then each
 * --profiles file.  NULL when unknown. */
const struct uctls_profile *uctls_profile_find(const char *name);
/* Iteration: returns NULL past the end. */
const struct uctls_profile *uctls_profile_at(unsigned i);

/* Reads the process's profiles once, before any thread starts: every *.xml
 * of the profile directory (uctls_profile_dir()), then each of the NFILES
 * FILES (`--profiles', adding profiles or replacing those of the same id).
 * 0, or -1 with ERR ("FILE:LINE: ...", or where the directory was looked
 * for).  Without this call, the first uctls_profile_find()/_at() reads the
 * directory alone (test and fuzz programs); an error then leaves no
 * profile (uctls_profile_load_error() says why). */
int uctls_profiles_load(const char *const *files, size_t nfiles, struct uctls_err *err);
const char *uctls_profile_load_error(void);
/* The profile directory: $UCTLS_PROFILE_DIR when set (and not empty), else
 * PKGDATADIR/profiles when it exists, else the build's SRCDIR/src/profiles
 * (a program run from its build tree before `make install').  NULL when
 * none exists; WHERE then lists the places looked at. */
const char *uctls_profile_dir(char *where, size_t size);
/* The profile of a scenario's peer (scenario.h): its own profile when the
 * scenario defines it, else the process's of that name; NULL when none. */
struct uctls_peerdef;
const struct uctls_profile *uctls_peer_profile(const struct uctls_peerdef *pd);
/* The process's set (NULL before loading): the parent of a scenario's own. */
const struct uctls_profile_set *uctls_profiles(void);

/* ------------------------------------------------------------------------
 * Profile sets read from data files (profile-load.c).  Limits: exit 2 with
 * FILE:LINE when exceeded (uctls-scenario(5), PROFILE FILES). */
#define UCTLS_PROFILE_MAX 512        /* profiles in a set */
#define UCTLS_PROFILE_MAX_FILES 64   /* *.xml files in a profile directory */
#define UCTLS_PROFILE_MAX_ATTR 1024  /* bytes in an attribute value */
#define UCTLS_PROFILE_MAX_ATTR_S "1024"
#define UCTLS_PROFILE_MAX_LIST 64    /* items in a list value */
#define UCTLS_PROFILE_MAX_LIST_S "64"

struct uctls_xml_node;

/* A set whose lookups fall back to PARENT (borrowed, may be NULL; a base= may
 * name one of its profiles). */
struct uctls_profile_set *uctls_profile_set_new(const struct uctls_profile_set *parent);
void uctls_profile_set_free(struct uctls_profile_set *s); /* accepts NULL */
/* Starts a layer: a profile of a later layer replaces one of the same id
 * from an earlier one; the same id twice in a layer is an error. */
void uctls_profile_set_layer(struct uctls_profile_set *s);
/* The <profile> children of ROOT (a <profiles> or a <scenario>), FILE for
 * messages.  0, or -1 with ERR ("FILE:LINE: ..."). */
int uctls_profile_set_add_xml(struct uctls_profile_set *s, const char *file,
                              const struct uctls_xml_node *root, struct uctls_err *err);
/* A profile file (root <profiles>), in the current layer. */
int uctls_profile_set_load_file(struct uctls_profile_set *s, const char *file,
                                struct uctls_err *err);
/* Every *.xml of DIR in C-sorted name order, as one new layer. */
int uctls_profile_set_load_dir(struct uctls_profile_set *s, const char *dir,
                               struct uctls_err *err);
/* NAME in S, else in its parents; NULL when unknown. */
const struct uctls_profile *uctls_profile_set_find(const struct uctls_profile_set *s,
                                                   const char *name);
/* S's own profiles in order (not its parent's); NULL past the end. */
const struct uctls_profile *uctls_profile_set_at(const struct uctls_profile_set *s,
                                                 unsigned i);
size_t uctls_profile_set_count(const struct uctls_profile_set *s);
/* Every field of P, one "ID ATTR=VALUE" line each (the same text for the
 * same data whatever its origin: `uctls profiles --dump'). */
void uctls_profile_dump(FILE *f, const struct uctls_profile *p);
/* The fields of P that are not zero, one INDENT ATTR="VALUE" line each. */
void uctls_profile_print_attrs(FILE *f, const struct uctls_profile *p, const char *indent);

#endif
