/* uctls — families and their steps (uctls_family_*).
 *
 * A family is a step program: the ordered, stable step names of
 * docs/steps.md, and the roles its two peers play.  The loader validates
 * <expect fail-at=> and peer attributes against it; the engine runs it.
 */
#ifndef UCTLS_FAMILY_H
#define UCTLS_FAMILY_H

/* Which peer a family attribute belongs on (its TLS role). */
enum uctls_attr_peer { UCTLS_ATTR_CLIENT, UCTLS_ATTR_SERVER, UCTLS_ATTR_EITHER };

/* A family attribute of <peer>.  The loader (scenario.c) parses each into a
 * typed field of struct uctls_peerdef and rejects it on the other peer. */
struct uctls_family_attr {
	const char *name;
	enum uctls_attr_peer peer;
	int is_name;         /* names what the peer expects of the other side:
	                        adds to verify-name */
	const char *instead; /* on the other peer, the attribute that does what
	                        the user likely meant (peer-address on E:
	                        tls-verify-name), or NULL */
};

struct uctls_family {
	const char *name;
	const char *describe;
	const char *const *steps;  /* NULL-terminated, in order */
	/* Family-specific peer attributes; terminated by a NULL name. */
	const struct uctls_family_attr *attrs;
	const char *default_profile[2]; /* for the client and the server role */
	/* Sides the step program adds besides the two peers (traversal's
	 * "jabber", the MRA client); NULL-terminated, may be empty. */
	const char *const *extra_sides;
	/* The conventional ids of the client and server peers ("C", "E") and
	 * what they are ("the traversal client"), for messages. */
	const char *peer_id[2];
	const char *peer_what[2];
};

const struct uctls_family *uctls_family_find(const char *name); /* NULL: unknown */
const struct uctls_family *uctls_family_at(unsigned i);         /* NULL past end */
int uctls_family_has_step(const struct uctls_family *f, const char *step);
/* The attribute NAME of family F, or NULL. */
const struct uctls_family_attr *uctls_family_attr(const struct uctls_family *f,
                                                  const char *name);


/* 1 when R is a reason identifier of docs/steps.md: a fixed one
 * ("issuer-not-found") or a parameterised one ("alert:unknown-ca",
 * "sip-status:503", "stream-error:host-unknown"). */
int uctls_reason_known(const char *r);
/* The fixed reason identifiers, NULL-terminated, and the prefixes. */
extern const char *const uctls_reasons[];
extern const char *const uctls_reason_prefixes[];
/* For an unknown reason R: the known reason meant (an OpenSSL or GnuTLS
 * word, or one within a small edit distance), or NULL. */
const char *uctls_reason_suggest(const char *r);

#endif
