/* uctls — scenario model and loader (uctls_scenario_*).
 *
 * A scenario file (XML, see docs/uctls-scenario.5) is parsed with libexpat
 * (through xml.h) into the plain data model below.  Everything downstream
 * (PKI, engine, reports) reads this model; nothing re-parses the file.
 *
 * Ownership: a struct uctls_scenario owns every pointer reachable from it
 * (strings, arrays); uctls_scenario_free() releases them all.  Strings are
 * NUL-terminated UTF-8.  Arrays come with their element count.
 *
 * The model is plain data on purpose: it is the contract between the loader,
 * the PKI builder and the engine, and tests build it by hand as table rows.
 */
#ifndef UCTLS_SCENARIO_H
#define UCTLS_SCENARIO_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "misbehave.h"

enum uctls_key_type {
	UCTLS_KEY_DEFAULT = 0, /* resolved by the loader to UCTLS_KEY_ECDSA_P256 */
	UCTLS_KEY_RSA1024,
	UCTLS_KEY_RSA2048,
	UCTLS_KEY_RSA3072,
	UCTLS_KEY_RSA4096,
	UCTLS_KEY_ECDSA_P256,
	UCTLS_KEY_ECDSA_P384,
	UCTLS_KEY_ED25519,
	UCTLS_KEY__COUNT
};

enum uctls_hash {
	UCTLS_HASH_DEFAULT = 0, /* resolved by the loader to SHA256 */
	UCTLS_HASH_SHA1,
	UCTLS_HASH_SHA256,
	UCTLS_HASH_SHA384,
	UCTLS_HASH_SHA512
};

enum uctls_san_type {
	UCTLS_SAN_DNS,
	UCTLS_SAN_IP,
	UCTLS_SAN_URI,
	UCTLS_SAN_EMAIL,
	UCTLS_SAN_XMPP, /* otherName id-on-xmppAddr, 1.3.6.1.5.5.7.8.5 */
	UCTLS_SAN_SRV   /* otherName SRVName (RFC 4985), 1.3.6.1.5.5.7.8.7:
	                   "_xmpp-server.example.com" */
};

struct uctls_san {
	enum uctls_san_type type;
	char *value; /* owned */
};

/* Key usage bits (RFC 5280 4.2.1.3), our own values so no GnuTLS header leaks. */
enum {
	UCTLS_KU_DIGITAL_SIGNATURE = 1 << 0,
	UCTLS_KU_NON_REPUDIATION = 1 << 1,
	UCTLS_KU_KEY_ENCIPHERMENT = 1 << 2,
	UCTLS_KU_DATA_ENCIPHERMENT = 1 << 3,
	UCTLS_KU_KEY_AGREEMENT = 1 << 4,
	UCTLS_KU_KEY_CERT_SIGN = 1 << 5,
	UCTLS_KU_CRL_SIGN = 1 << 6,
	UCTLS_KU_ENCIPHER_ONLY = 1 << 7,
	UCTLS_KU_DECIPHER_ONLY = 1 << 8
};

/* Which extensions are marked critical (the `critical' attribute). */
enum {
	UCTLS_CRIT_BASIC_CONSTRAINTS = 1 << 0,
	UCTLS_CRIT_KEY_USAGE = 1 << 1,
	UCTLS_CRIT_EKU = 1 << 2,
	UCTLS_CRIT_SAN = 1 << 3
};

/* An arbitrary extra extension (<extension oid= critical= value=/>). */
struct uctls_extdef {
	char *oid;          /* owned, dotted decimal */
	int critical;       /* 0 or 1 */
	unsigned char *der; /* owned, the extension value (DER), default 05 00 */
	size_t der_len;
};

/* One <ca> or <cert> of <pki>. */
struct uctls_certdef {
	char *id;   /* owned, unique within the scenario */
	int line;   /* line of the element in the scenario file */
	int is_ca;  /* 1 for <ca>, 0 for <cert> */

	/* Loaded from PEM instead of generated (file != NULL).  Paths are
	 * resolved relative to the scenario file's directory by the loader. */
	char *file;     /* owned or NULL */
	int file_index; /* 1-based index of the certificate inside `file' */
	char *key_file; /* owned or NULL */

	/* Generated certificates.  Ignored when file != NULL. */
	char *subject;    /* owned, RFC 4514 string, e.g. "CN=a,O=b" */
	char *issuer;     /* owned, id of the issuing certdef; NULL = self-signed */
	char *key_of;     /* owned or NULL: id of a generated certificate whose key this
	                     one certifies too (a cross-signed or re-issued CA) */
	char *signed_with; /* owned or NULL: id whose key signs instead of the
	                      issuer's (models a bad signature / re-keyed CA) */
	struct uctls_san *sans; /* owned array */
	size_t nsans;
	int has_key_usage;   /* 0: extension absent */
	unsigned key_usage;  /* UCTLS_KU_* bits */
	int has_eku;         /* 0: extension absent */
	char **eku;          /* owned array of dotted OIDs */
	size_t neku;
	int has_basic_constraints; /* 0: extension absent */
	int bc_ca;                 /* cA flag */
	int path_len;              /* -1: no pathLenConstraint */
	unsigned critical;         /* UCTLS_CRIT_* */
	struct uctls_extdef *exts; /* owned array */
	size_t nexts;
	time_t not_before, not_after; /* absolute, resolved against <clock> */
	enum uctls_key_type key;
	enum uctls_hash hash;
	unsigned long serial; /* 0: derived from the position in <pki> */
	char *crl_url;  /* owned or NULL: crl=, a cRLDistributionPoints URI (revoke.h) */
	char *ocsp_url; /* owned or NULL: ocsp=, an AIA id-ad-ocsp URI (revoke.h) */
};

/* Values of the family attributes of a <peer>; 0 is the default. */
enum uctls_onoff { UCTLS_DEFAULT = 0, UCTLS_ON, UCTLS_OFF }; /* yes/no, on/off */
enum uctls_sip_answer {
	UCTLS_SIP_ANSWER_STATUS = 0, /* a final response, sip_status (200) */
	UCTLS_SIP_ANSWER_NONE,       /* no answer */
	UCTLS_SIP_ANSWER_GARBAGE     /* bytes that are not SIP */
};
enum uctls_http_answer {
	UCTLS_HTTP_ANSWER_STATUS = 0, /* a response with http_status (200) */
	UCTLS_HTTP_ANSWER_NONE,       /* no answer */
	UCTLS_HTTP_ANSWER_GARBAGE,    /* bytes that are not HTTP (a SIP line) */
	UCTLS_HTTP_ANSWER_ENDLESS     /* a header line without end, past the limit */
};
enum uctls_sip_method { UCTLS_SIP_OPTIONS = 0, UCTLS_SIP_REGISTER, UCTLS_SIP_INVITE };
enum uctls_client_cert {
	UCTLS_CLIENT_CERT_PROFILE = 0, /* as the profile says (required) */
	UCTLS_CLIENT_CERT_REQUIRED,
	UCTLS_CLIENT_CERT_OPTIONAL,
	UCTLS_CLIENT_CERT_NONE
};
enum uctls_starttls {
	UCTLS_STARTTLS_REQUIRED = 0, /* offered with <required/> */
	UCTLS_STARTTLS_OFFERED,
	UCTLS_STARTTLS_NONE
};

/* One <slot name= sends=/> or <store name= trusts=/> of a <peer> (store.h). */
struct uctls_slotdef {
	char *name;  /* owned: the device's word, e.g. "cup-xmpp-s2s-ECDSA", "tomcat-trust" */
	int line;
	char **ids;  /* owned: certdef ids (sent in order / trusted); may be empty */
	size_t nids;
};

/* One <peer>. */
/* The largest max-depth= (and uctls check --max-depth). */
#define UCTLS_MAX_DEPTH_LIMIT 1000
/* Certificates (<ca> and <cert>) of one scenario, and subject alternative
 * names of one certificate: beyond them the loader refuses the file (exit
 * 2, uctls(1) LIMITS) rather than spend minutes generating it. */
#define UCTLS_MAX_CERTS 1000
#define UCTLS_MAX_SANS 10000

struct uctls_peerdef {
	char *id;      /* owned, e.g. "client", "server", "C", "E" */
	int line;
	char *profile; /* owned, a name known to profile.h (validated by loader) */
	char *role;    /* owned: "client" or "server" (the TLS role) */
	char **sends;  /* owned array of certdef ids, in the order sent; may be empty */
	size_t nsends;
	char **trusts; /* owned array of certdef ids used as trust anchors */
	size_t ntrusts;
	char **names;  /* owned array: names this peer expects of the other side
	                  (verify-name, or a family alias such as peer-address) */
	size_t nnames;
	char *tls;     /* owned or NULL: "1.2", "1.3" or "1.2,1.3" */
	unsigned max_depth; /* max-depth=: intermediate CA certificates allowed
	                       between the other side's end-entity certificate
	                       and the trust anchor (verify.h); 0: the profile's */

	/* Family attributes (family.h peer_attrs), parsed and validated by the
	 * loader: an attribute only on the peer it belongs on, with a value of
	 * its accepted set.  Zero is the default of each. */
	enum uctls_onoff tls_verify;    /* traversal, both: off: no name check */
	enum uctls_onoff ssh_tunnel;    /* traversal C: off: no MRA SSH tunnel */
	char *mra_domain;               /* traversal E: owned or NULL */
	int has_mra_trusts;             /* traversal E: 0: the Jabber client trusts C's trusts */
	char **mra_trusts;              /* owned ids, may be empty */
	size_t nmra_trusts;
	enum uctls_sip_answer sip_answer; /* traversal E, sip-trunk B */
	int sip_status;                 /* with UCTLS_SIP_ANSWER_STATUS: 200-699 */
	enum uctls_sip_method request;  /* sip-trunk A */
	enum uctls_client_cert client_cert; /* sip-trunk B */
	int script_status;              /* sip-trunk B, a profile that checks names in its
	                                   routing script (kamailio): the status it refuses
	                                   a client's names with, 400-699; 0: 403 */
	int rsa_only;                   /* sip-trunk, xmpp-s2s, both: 1: signatures="rsa",
	                                   2: signatures="ecdsa" (only those accepted) */
	char *domain;                   /* xmpp-s2s, both: owned; NULL: the id */
	char *to;                       /* xmpp-s2s I: owned; NULL: R's domain */
	char **subdomains;              /* xmpp-s2s R: owned, may be empty */
	size_t nsubdomains;
	enum uctls_starttls starttls;   /* xmpp-s2s R */
	enum uctls_onoff dialback;      /* xmpp-s2s, both: off: no dialback */
	enum uctls_onoff secure_auth;   /* xmpp-s2s, both: Prosody's s2s_secure_auth; default:
	                                   the profile's (engine-xmpp.c) */
	struct uctls_misbehave misbehave; /* <misbehave>: what it does wrong on purpose;
	                                     what == UCTLS_MB_NONE when honest */
	/* <slot>/<store> children (store.h): a UCOS device's certificate slots
	 * and trust stores in its own words.  The loader puts the service
	 * slot's chain into sends and the service store's ids into trusts. */
	struct uctls_slotdef *slots;  /* owned array, may be empty */
	size_t nslots;
	struct uctls_slotdef *stores; /* owned array, may be empty */
	size_t nstores;
	char **sends_ec;  /* owned: the service's -ECDSA slot beside a filled RSA one, a
	                     second credential (tls.c presents it to a client that
	                     prefers ECDSA); may be empty */
	size_t nsends_ec;
	/* https (engine-https.c) */
	char *http_host;                /* client, url=: owned or NULL: the URL's
	                                   host[:port], the Host header it sends */
	char *http_path;                /* client, url=: owned or NULL: the path ("/") */
	enum uctls_http_answer http_answer; /* server, http-response= */
	int http_status;                /* with UCTLS_HTTP_ANSWER_STATUS: 100-599; 0: 200 */
	const struct uctls_profile *prof; /* borrowed: profile's data, from the process's
	                                     profiles or the scenario's own (profiles below);
	                                     read it with uctls_peer_profile() (profile.h) */
};

/* <install>: a certificate uploaded to a peer before the handshakes (the
 * install step; install.h). */
struct uctls_installdef {
	int line;
	char *peer;     /* owned: the peer id it is uploaded to */
	char **certs;   /* owned: ids uploaded as one file, in order (cert=); default:
	                   the peer's sends */
	size_t ncerts;
	char *file;     /* owned or NULL: a file uploaded as is instead (resolved path) */
	char *key;      /* owned or NULL: id whose private key is uploaded (default:
	                   certs[0]; "none": no key) */
	char *key_file; /* owned or NULL: a key file uploaded as is instead */
	char *format;   /* owned: "pem" (default), "der", "damaged" (a copy that lost
	                   a character) */
	int newlines;   /* newlines after the last END line (default 1) */
	char **csr_sans; /* owned: the SANs the CSR asked for (csr-san=), or NULL */
	size_t ncsr;
	char *slot;     /* owned or NULL: slot= (store.h), the certificate slot uploaded
	                   to; NULL: the slot of the family's service */
	char **bundle;  /* owned: bundle=, the ids of a separate CA bundle file (the
	                   chain without the entity: callbridge certs <key> <cert>
	                   <bundle>, cms-bundle.h; newlines= is then its ending), or NULL */
	size_t nbundle;
};

/* <expect> */
struct uctls_expect {
	int present;   /* 0: no <expect> in the file */
	int pass;      /* 1: result="pass" */
	char *fail_at; /* owned: step name */
	char *side;    /* owned: peer id */
	char *reason;  /* owned: reason identifier (docs/steps.md) */
	char *other;   /* owned or NULL: the other side's reason, e.g. "alert:unknown-ca" */
	int line;
	int warns;     /* warns=: 1 "expiring" (an expiry warning, warn.h, is required),
	                  -1 "none" (none allowed), 0 absent: not checked */
};

struct uctls_scenario {
	char *file;    /* owned: path as given */
	char *dir;     /* owned: directory of file, for relative PEM paths */
	char *name;    /* owned */
	char *family;  /* owned: "tls" (later: traversal, sip-trunk, xmpp-s2s) */
	char *summary; /* owned or NULL */
	int timeout_ms; /* <scenario timeout=>: bound on each network wait; 0: unset */
	time_t now;    /* <clock now=>, or the time of loading when absent */
	int has_clock;
	struct uctls_certdef *certs; /* owned array, in file order */
	size_t ncerts;
	struct uctls_peerdef *peers; /* owned array, in file order */
	size_t npeers;
	struct uctls_installdef *installs; /* owned array, in file order */
	size_t ninstalls;
	struct uctls_expect expect;
	struct uctls_revdef *rev; /* owned or NULL: <crl>, <ocsp>, revocation
	                             attributes (revoke.h) */
	struct uctls_profile_set *profiles; /* owned or NULL: the scenario's own
	                             <profile> elements, visible to it only (profile.h) */
};

/* Parses and validates FILE.  On success returns 0 and stores a new scenario
 * in *out (caller frees).  On failure returns -1 and fills ERR with
 * "FILE:LINE: what was wrong" (see err.h).  Checks: well-formed XML, known
 * elements and attributes, required attributes, values (key types, dates,
 * SAN syntax, OIDs), unique ids, issuer/sends/trusts references, issuer
 * cycles, known family and profile, <expect> step names for the family,
 * family attributes (on the peer they belong on, values of their set, into
 * the typed fields above), traversal's names (peer-address on C,
 * tls-verify-name on E, or tls-verify="off"). */
int uctls_scenario_load(const char *file, struct uctls_scenario **out,
                        struct uctls_err *err);

/* The same from a tree already read (xml.h), e.g. one a fix has edited
 * (fix.h); FILE names it in messages and anchors relative paths.  ROOT is
 * borrowed. */
struct uctls_xml_node;
int uctls_scenario_load_dom(const char *file, const struct uctls_xml_node *root,
                            struct uctls_scenario **out, struct uctls_err *err);

void uctls_scenario_free(struct uctls_scenario *sc);

/* Lookups; NULL when absent. */
const struct uctls_certdef *uctls_scenario_cert(const struct uctls_scenario *sc,
                                                const char *id);
const struct uctls_peerdef *uctls_scenario_peer(const struct uctls_scenario *sc,
                                                const char *id);

/* The XMPP domain of PD (xmpp-s2s domain=, else its id). */
const char *uctls_peer_domain(const struct uctls_peerdef *pd);
/* "OPTIONS", "REGISTER", "INVITE" */
const char *uctls_sip_method_name(enum uctls_sip_method m);

/* A time attribute: absolute (YYYY-MM-DDTHH:MM:SSZ) or [+|-]N(s|m|h|d)
 * relative to NOW.  0, -1 syntax, -2 outside 1950-9999. */
int uctls_scenario_parse_time(const char *s, time_t now, time_t *out);

/* Name tables shared by the loader, the PKI and the reports. */
const char *uctls_key_type_name(enum uctls_key_type k); /* "rsa-2048" ... */
const char *uctls_hash_name(enum uctls_hash h);         /* "sha256" ... */

#endif
