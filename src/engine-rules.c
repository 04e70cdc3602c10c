/* uctls — Expressway rules the engine applies around its connections:
 * one trusted self-signed certificate per CN (trust-shadow.h) and the subject
 * attributes the MRA SSH tunnel accepts (ssh-subject.h).  Both cost a
 * profile test for a device without them. */
#include "config.h"

#include "engine-int.h"
#include "ssh-subject.h"

/* Once per run, after the PKI is built and before the phases' peer
 * definitions are derived: a device whose profile trusts one certificate
 * per CN plays with its trust list without the shadowed ones. */
int
eng_shadow_setup(struct run *r, struct uctls_err *err)
{
	const struct uctls_peerdef **pd;
	const struct uctls_profile *p;
	int i;

	for (i = 0; i < 2; i++) {
		pd = i ? &r->server : &r->client;
		if ((i ? r->server_remote : r->client_remote) || (*pd)->ntrusts < 2 ||
		    (p = uctls_peer_profile(*pd)) == NULL || !p->trust_one_per_subject)
			continue;
		if (uctls_shadow_split(r->pki, (*pd)->trusts, (*pd)->ntrusts, &r->shadow[i]) < 0)
			return uctls_err_set(err, "out of memory");
		if (r->shadow[i].ngone == 0)
			continue;
		r->shadowed[i] = **pd;
		r->shadowed[i].trusts = r->shadow[i].kept;
		r->shadowed[i].ntrusts = r->shadow[i].nkept;
		*pd = &r->shadowed[i];
	}
	return 0;
}

void
eng_shadow_free(struct run *r)
{
	uctls_shadow_clear(&r->shadow[0]);
	uctls_shadow_clear(&r->shadow[1]);
}

/* A failure REC of side S: when S's device dropped a shadowed certificate
 * that the other side's chain needed, say so (uctls_shadow_note). */
int
eng_shadow_note(struct run *r, struct side *s, struct uctls_step *rec)
{
	int i;

	for (i = 0; i < 2; i++)
		if (r->shadow[i].ngone > 0 && strcmp(s->def->id, (i ? r->server : r->client)->id) == 0)
			return uctls_shadow_note(rec, &r->shadow[i], r->sc, r->pki, s->other->def);
	return 0;
}

/* Side S's SSH tunnel handshake completed: the certificate the other side
 * presented must carry only subject attributes S's profile accepts there.
 * 1 when S failed (recorded), 0 when it passes, -1 out of memory. */
int
eng_ssh_subject(struct run *r, struct side *s)
{
	const unsigned char *der;
	char oid[128];
	size_t len = 0;
	int bad, named;

	der = uctls_tls_peer_count(s->tls) > 0 ? uctls_tls_peer_der(s->tls, 0, &len) : NULL;
	if (der == NULL || (bad = uctls_ssh_subject_bad(s->profile->ssh_subject_oids, der, len, oid,
	                                                sizeof(oid))) <= 0)
		return 0;
	named = strcmp(uctls_ssh_subject_name(oid), oid) != 0;
	if (eng_side_fail_msg(r, s, "subject-oid-unsupported",
	                      "have the CA re-issue the certificate without that attribute in "
	                      "its subject (Cisco Expressway Certificate Creation and Use "
	                      "Deployment Guide, \"Issues with SSH Failures and Unsupported OIDs\")",
	                      "%s's certificate carries the subject attribute %s%s%s%s, which %s's "
	                      "SSH tunnel does not accept: the tunnel fails though the zone is up",
	                      s->other->def->id, uctls_ssh_subject_name(oid),
	                      named ? " (" : ", an OID openssl shows undecoded", named ? oid : "",
	                      named ? ")" : "", s->def->id) < 0)
		return -1;
	return 1;
}
