/* uctls — families and their steps (uctls_family_*).
 *
 * A family is a step program: the ordered, stable step names of
 * docs/steps.md, and the roles its two peers play.  The loader validates
 * <expect fail-at=> and peer attributes against it; the engine runs it.
 */
#ifndef UCTLS_FAMILY_H
#define UCTLS_FAMILY_H

struct uctls_family {
	const char *name;
	const char *describe;
	const char *const *steps;  /* NULL-terminated, in order */
	/* Peer attributes that configure the names a peer expects of the other
	 * side, besides the generic `verify-name' (e.g. traversal's
	 * "peer-address", "tls-verify-name").  NULL-terminated; may be empty. */
	const char *const *name_attrs;
	/* Further family-specific peer attributes (e.g. traversal's
	 * "mra-domain", "sip-response"), kept as name/value pairs in the peer
	 * (uctls_peer_xattr) and checked by the family's step program.
	 * NULL-terminated; may be empty. */
	const char *const *peer_attrs;
	const char *default_profile[2]; /* for the client and the server role */
	/* Sides the step program adds besides the two peers (traversal's
	 * "jabber", the MRA client); NULL-terminated, may be empty. */
	const char *const *extra_sides;
};

const struct uctls_family *uctls_family_find(const char *name); /* NULL: unknown */
const struct uctls_family *uctls_family_at(unsigned i);         /* NULL past end */
int uctls_family_has_step(const struct uctls_family *f, const char *step);


/* 1 when R is a reason identifier of docs/steps.md: a fixed one
 * ("issuer-not-found") or a parameterised one ("alert:unknown-ca",
 * "sip-status:503", "stream-error:host-unknown"). */
int uctls_reason_known(const char *r);
/* The fixed reason identifiers, NULL-terminated, and the prefixes. */
extern const char *const uctls_reasons[];
extern const char *const uctls_reason_prefixes[];

#endif
