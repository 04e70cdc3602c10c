/* uctls — certificate slots and trust stores (store.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "steplog.h"
#include "store.h"
#include "xml.h"
#include "strv.h"

static const char ec_suffix[] = "-ECDSA";

int
uctls_store_is_child(const char *name)
{
	return strcmp(name, "slot") == 0 || strcmp(name, "store") == 0;
}

int
uctls_store_slot_is_ec(const char *slot)
{
	size_t l, s = sizeof(ec_suffix) - 1;

	if (slot == NULL)
		return -1;
	l = strlen(slot);
	return l > s && strcmp(slot + l - s, ec_suffix) == 0;
}

/* The store of SLOT in P's "SLOT STORE" pairs, or NULL when P has no such
 * slot. */
static const char *
slot_store(const struct uctls_profile *p, const char *slot)
{
	size_t l = strlen(slot), i;

	for (i = 0; p != NULL && p->slots != NULL && p->slots[i] != NULL; i++)
		if (strncmp(p->slots[i], slot, l) == 0 && p->slots[i][l] == ' ')
			return p->slots[i] + l + 1;
	return NULL;
}

static int
has_store(const struct uctls_profile *p, const char *store)
{
	size_t i;

	for (i = 0; p != NULL && p->stores != NULL && p->stores[i] != NULL; i++)
		if (strcmp(p->stores[i], store) == 0)
			return 1;
	return 0;
}

/* "a, b, c": the slot names (STORES 0) or store names of P. */
static const char *
names_of(const struct uctls_profile *p, int stores, char *buf, size_t size)
{
	const char *const *v = stores ? p->stores : p->slots;
	size_t i, l = 0;

	buf[0] = '\0';
	for (i = 0; v != NULL && v[i] != NULL && l < size; i++)
		l += (size_t)snprintf(buf + l, size - l, "%s%.*s", i ? ", " : "",
		                      (int)strcspn(v[i], " "), v[i]);
	return buf;
}

/* Splits the whitespace-separated ids of V into *OUT; -1 out of memory. */
static int
split_ids(const char *v, char ***out, size_t *n)
{
	const char *p = v;
	size_t l;
	char **nv;

	*out = NULL;
	*n = 0;
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			return 0;
		l = strcspn(p, " \t\r\n");
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (nv == NULL)
			return -1;
		*out = nv;
		if ((nv[*n] = strndup(p, l)) == NULL)
			return -1;
		(*n)++;
		p += l;
	}
}

static int
copy_ids(char *const *ids, size_t n, char ***out, size_t *nout)
{
	size_t i;

	*out = n > 0 ? calloc(n, sizeof(**out)) : NULL;
	*nout = 0;
	if (n > 0 && *out == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (((*out)[i] = strdup(ids[i])) == NULL)
			return -1;
		*nout = i + 1;
	}
	return 0;
}

static const struct uctls_slotdef *
find(const struct uctls_slotdef *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* An RSA key in an RSA slot, an ECDSA key in an -ECDSA slot (IM and
 * Presence guide, "Certificates Overview": the -ECDSA certificates are
 * EC).  A certificate loaded from a file is not checked here. */
static int
check_key(const struct uctls_scenario *sc, const struct uctls_slotdef *sd,
          struct uctls_err *err)
{
	const struct uctls_certdef *cd;
	int ec, is_ec;

	if (sd->nids == 0 || (cd = uctls_scenario_cert(sc, sd->ids[0])) == NULL || cd->file != NULL)
		return 0;
	ec = uctls_store_slot_is_ec(sd->name);
	is_ec = cd->key == UCTLS_KEY_ECDSA_P256 || cd->key == UCTLS_KEY_ECDSA_P384;
	if (ec && !is_ec)
		return uctls_err_at(err, sc->file, sd->line,
		                    "<slot name=\"%s\">: `%s' has a %s key; an -ECDSA slot holds an "
		                    "ECDSA certificate (key=\"ecdsa-p256\" or \"ecdsa-p384\")",
		                    sd->name, cd->id, uctls_key_type_name(cd->key));
	if (!ec && is_ec)
		return uctls_err_at(err, sc->file, sd->line,
		                    "<slot name=\"%s\">: `%s' has an ECDSA key; it belongs in the "
		                    "slot %s%s (this slot holds RSA certificates)",
		                    sd->name, cd->id, sd->name, ec_suffix);
	return 0;
}

/* One <slot> or <store> child M of peer PD into *V. */
static int
load_one(const struct uctls_scenario *sc, const struct uctls_xml_node *peer,
         const struct uctls_xml_node *m, const struct uctls_peerdef *pd, const struct uctls_profile *p,
         struct uctls_slotdef **v, size_t *n, struct uctls_err *err)
{
	int store = strcmp(m->name, "store") == 0;
	const char *attr = store ? "trusts" : "sends", *name, *ids, *other;
	struct uctls_slotdef *nv, *sd;
	char list[512];
	size_t i;

	for (i = 0; i < m->nattrs; i++)
		if (strcmp(m->attrs[i].name, "name") != 0 && strcmp(m->attrs[i].name, attr) != 0)
			return uctls_err_at(err, sc->file, m->line,
			                    "unknown attribute `%s' on <%s>; known: name, %s",
			                    m->attrs[i].name, m->name, attr);
	if (m->nchildren > 0 || m->text_line != 0)
		return uctls_err_at(err, sc->file, m->line, "<%s> holds no content", m->name);
	if ((name = uctls_xml_attr(m, "name")) == NULL)
		return uctls_err_at(err, sc->file, m->line, "<%s> needs name=", m->name);
	if (p->slots == NULL)
		return uctls_err_at(err, sc->file, m->line,
		                    "<%s name=\"%s\">: profile `%s' has no certificate slots or "
		                    "trust stores (profiles cucm, cup, cup-xmpp-s2s and uccx have)",
		                    m->name, name, p->name);
	if (store ? !has_store(p, name) : slot_store(p, name) == NULL)
		return uctls_err_at(err, sc->file, m->line,
		                    "unknown %s `%s' on profile %s; its %s: %s",
		                    store ? "trust store" : "certificate slot", name, p->name,
		                    store ? "trust stores" : "slots",
		                    names_of(p, store, list, sizeof(list)));
	if ((sd = (struct uctls_slotdef *)find(*v, *n, name)) != NULL)
		return uctls_err_at(err, sc->file, m->line, "a second <%s name=\"%s\"> on peer %s; "
		                    "the first is at line %d", m->name, name, pd->id, sd->line);
	other = store ? p->service_store : p->service_slot;
	if (other != NULL && strncmp(name, other, strlen(other)) == 0 &&
	    (name[strlen(other)] == '\0' || strcmp(name + strlen(other), ec_suffix) == 0) &&
	    uctls_xml_attr(peer, attr) != NULL)
		return uctls_err_at(err, sc->file, m->line,
		                    "<%s name=\"%s\"> and the peer's %s= both say what its %s "
		                    "connection %s: %s= is the short form of this <%s>; keep one",
		                    m->name, name, attr, sc->family, store ? "trusts" : "presents",
		                    attr, m->name);
	if ((ids = uctls_xml_attr(m, attr)) == NULL)
		return uctls_err_at(err, sc->file, m->line, "<%s name=\"%s\"> needs %s=", m->name,
		                    name, attr);
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return uctls_err_set(err, "out of memory");
	*v = nv;
	sd = &nv[(*n)++];
	memset(sd, 0, sizeof(*sd));
	sd->line = m->line;
	if ((sd->name = strdup(name)) == NULL || split_ids(ids, &sd->ids, &sd->nids) < 0)
		return uctls_err_set(err, "out of memory");
	for (i = 0; i < sd->nids; i++)
		if (uctls_scenario_cert(sc, sd->ids[i]) == NULL)
			return uctls_err_at(err, sc->file, m->line, "<%s name=\"%s\">: %s unknown id `%s'",
			                    m->name, name, attr, sd->ids[i]);
	return store ? 0 : check_key(sc, sd, err);
}

/* The service's slot (and its -ECDSA twin) into sends (and sends_ec), its
 * store into trusts. */
static int
resolve(struct uctls_peerdef *pd, const struct uctls_profile *p, struct uctls_err *err)
{
	const struct uctls_slotdef *rsa = NULL, *ec = NULL, *st = NULL;
	char twin[128];

	if (p->service_slot != NULL) {
		snprintf(twin, sizeof(twin), "%s%s", p->service_slot, ec_suffix);
		rsa = find(pd->slots, pd->nslots, p->service_slot);
		ec = find(pd->slots, pd->nslots, twin);
	}
	if (p->service_store != NULL)
		st = find(pd->stores, pd->nstores, p->service_store);
	if (rsa == NULL && ec != NULL)
		rsa = ec, ec = NULL;
	if (rsa != NULL) {
		uctls_strv_free(pd->sends, pd->nsends);
		if (copy_ids(rsa->ids, rsa->nids, &pd->sends, &pd->nsends) < 0)
			return uctls_err_set(err, "out of memory");
	}
	if (ec != NULL && ec->nids > 0 && rsa->nids > 0 &&
	    copy_ids(ec->ids, ec->nids, &pd->sends_ec, &pd->nsends_ec) < 0)
		return uctls_err_set(err, "out of memory");
	if (st != NULL) {
		uctls_strv_free(pd->trusts, pd->ntrusts);
		if (copy_ids(st->ids, st->nids, &pd->trusts, &pd->ntrusts) < 0)
			return uctls_err_set(err, "out of memory");
	}
	return 0;
}

int
uctls_store_load_peer(const struct uctls_scenario *sc, const struct uctls_xml_node *n,
                      struct uctls_peerdef *pd, struct uctls_err *err)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	const struct uctls_xml_node *m;
	size_t i;
	int any = 0;

	for (i = 0; i < n->nchildren; i++) {
		m = n->children[i];
		if (!uctls_store_is_child(m->name))
			continue;
		any = 1;
		if (load_one(sc, n, m, pd, p, strcmp(m->name, "store") == 0 ? &pd->stores : &pd->slots,
		             strcmp(m->name, "store") == 0 ? &pd->nstores : &pd->nslots, err) < 0)
			return -1;
	}
	return any ? resolve(pd, p, err) : 0;
}

void
uctls_store_free_peer(struct uctls_peerdef *pd)
{
	size_t i;

	for (i = 0; i < pd->nslots; i++) {
		free(pd->slots[i].name);
		uctls_strv_free(pd->slots[i].ids, pd->slots[i].nids);
	}
	for (i = 0; i < pd->nstores; i++) {
		free(pd->stores[i].name);
		uctls_strv_free(pd->stores[i].ids, pd->stores[i].nids);
	}
	free(pd->slots);
	free(pd->stores);
	uctls_strv_free(pd->sends_ec, pd->nsends_ec);
}

int
uctls_store_check_install(const struct uctls_scenario *sc, const struct uctls_peerdef *pd,
                          const char *slot, int line, struct uctls_err *err)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	char list[512];

	if (p == NULL || p->slots == NULL)
		return uctls_err_at(err, sc->file, line,
		                    "<install slot=\"%s\">: profile `%s' of peer %s has no certificate "
		                    "slots (profiles cucm, cup, cup-xmpp-s2s and uccx have)",
		                    slot, pd->profile, pd->id);
	if (slot_store(p, slot) == NULL)
		return uctls_err_at(err, sc->file, line,
		                    "<install slot=\"%s\">: unknown certificate slot on profile %s; "
		                    "its slots: %s", slot, p->name, names_of(p, 0, list, sizeof(list)));
	return 0;
}

void
uctls_store_slot_chain(const struct uctls_peerdef *pd, const char *slot, char *const **ids,
                       size_t *n)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	const struct uctls_slotdef *sd;

	*ids = pd->sends;
	*n = pd->nsends;
	if (slot == NULL || (p != NULL && p->service_slot != NULL &&
	                     strcmp(slot, p->service_slot) == 0))
		return;
	if ((sd = find(pd->slots, pd->nslots, slot)) != NULL) {
		*ids = sd->ids;
		*n = sd->nids;
	} else {
		*ids = NULL;
		*n = 0;
	}
}

const char *
uctls_store_for_slot(const struct uctls_peerdef *pd, const char *slot, char *const **ids,
                     size_t *n)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	const struct uctls_slotdef *sd;
	const char *store;

	*ids = pd->trusts;
	*n = pd->ntrusts;
	if (p == NULL || p->slots == NULL)
		return NULL;
	store = slot_store(p, slot != NULL ? slot : p->service_slot);
	if (store == NULL || (p->service_store != NULL && strcmp(store, p->service_store) == 0))
		return store != NULL ? store : p->service_store;
	sd = find(pd->stores, pd->nstores, store);
	*ids = sd != NULL ? sd->ids : NULL;
	*n = sd != NULL ? sd->nids : 0;
	return store;
}

void
uctls_store_presented(const struct uctls_peerdef *y, const struct uctls_peerdef *x,
                      char *const **ids, size_t *n)
{
	int ec = y->nsends_ec > 0 && x != NULL && x->rsa_only == 2;

	*ids = ec ? y->sends_ec : y->sends;
	*n = ec ? y->nsends_ec : y->nsends;
}

int
uctls_store_note(struct uctls_step *rec, const struct uctls_peerdef *pd)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	char line[512];
	size_t i, k, j;
	int held;

	if (rec->reason == NULL || p == NULL || p->service_store == NULL ||
	    (strcmp(rec->reason, "untrusted-root") != 0 &&
	     strcmp(rec->reason, "issuer-not-found") != 0 && strcmp(rec->reason, "self-signed") != 0))
		return 0;
	for (i = 0; i < pd->nstores; i++) {
		if (strcmp(pd->stores[i].name, p->service_store) == 0)
			continue;
		for (k = 0; k < pd->stores[i].nids; k++) {
			for (j = 0, held = 0; j < pd->ntrusts && !held; j++)
				held = strcmp(pd->trusts[j], pd->stores[i].ids[k]) == 0;
			if (held)
				continue;
			snprintf(line, sizeof(line), "`%s' is in %s's %s, a trust store this connection "
			         "does not use: it verifies with %s", pd->stores[i].ids[k], pd->id,
			         pd->stores[i].name, p->service_store);
			if (uctls_log_add_also(rec, line) < 0)
				return -1;
		}
	}
	return 0;
}
