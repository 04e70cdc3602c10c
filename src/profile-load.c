/* uctls — device profiles read from data files (uctls_profile_set_*).
 *
 * A profile file is an XML document read with the scenario reader (xml.h:
 * same size and depth limits, FILE:LINE messages): <profiles> holding
 * <profile id=... base=... family=... describe=... FIELD=.../> elements,
 * each optionally with <cite attr="FIELD">source</cite> children.  A scenario
 * may hold <profile> elements too (scenario.c), visible to it only.
 *
 * The field table below drives parsing, validation and the dump: every field
 * of struct uctls_profile is one row (attribute name, type, offset).  A new
 * field is one row.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "profile.h"
#include "xml.h"

enum ftype {
	F_STR,   /* const char *: any text */
	F_BOOL,  /* int: yes / no */
	F_CNFB,  /* int: no / yes / always (0 / 1 / 2) */
	F_UINT,  /* unsigned: decimal */
	F_ALERT, /* int[2]: two alert numbers 0-255, as client and as server */
	F_ULIST, /* const unsigned *, 0-terminated: decimals, space-separated */
	F_WORDS, /* const char *const *, NULL-terminated: words, space-separated */
	F_ITEMS, /* const char *const *, NULL-terminated: free text, one <item attr=...>
	            child element per item */
};

struct field {
	const char *attr;
	enum ftype type;
	size_t off;
};

#define FLD(a, t, m) { a, t, offsetof(struct uctls_profile, m) }
static const struct field fields[] = {
	FLD("family", F_STR, family),
	FLD("describe", F_STR, describe),
	FLD("cn-fallback", F_CNFB, cn_fallback),
	FLD("wildcard", F_BOOL, wildcard),
	FLD("xmpp-ids", F_BOOL, xmpp_ids),
	FLD("dialback", F_BOOL, dialback),
	FLD("ignore-client-purpose", F_BOOL, ignore_client_purpose),
	FLD("secure-auth-switch", F_BOOL, secure_auth_switch),
	FLD("sasl-offer-always", F_BOOL, sasl_offer_always),
	FLD("sip-ids", F_BOOL, sip_ids),
	FLD("eku-required", F_BOOL, eku_required),
	FLD("check-key-usage", F_BOOL, check_key_usage),
	FLD("min-rsa-bits", F_UINT, min_rsa_bits),
	FLD("max-rsa-bits", F_UINT, max_rsa_bits),
	FLD("allow-sha1", F_BOOL, allow_sha1),
	FLD("require-client-cert", F_BOOL, require_client_cert),
	FLD("verify-peer", F_BOOL, verify_peer),
	FLD("rfc5280-strict", F_BOOL, rfc5280_strict),
	FLD("webpki", F_BOOL, webpki),
	FLD("anchor-self-signed", F_BOOL, anchor_self_signed),
	FLD("max-depth", F_UINT, max_depth),
	FLD("cert-alert", F_ALERT, cert_alert),
	FLD("name-check-in-app", F_BOOL, name_check_in_app),
	FLD("priority", F_STR, priority),
	FLD("trust-words", F_STR, trust_words),
	FLD("symptom", F_STR, symptom),
	FLD("inst-pem-only", F_BOOL, inst_pem_only),
	FLD("inst-ca-first", F_BOOL, inst_ca_first),
	FLD("inst-bundle-order", F_BOOL, inst_bundle_order),
	FLD("inst-bundle-newline", F_BOOL, inst_bundle_newline),
	FLD("inst-cn-in-san", F_BOOL, inst_cn_in_san),
	FLD("inst-key-bits", F_ULIST, inst_key_bits),
	FLD("inst-critical-ok", F_WORDS, inst_critical_ok),
	FLD("inst-ku-keep", F_WORDS, inst_ku_keep),
	FLD("tolerated-critical", F_WORDS, tolerated_critical),
	FLD("slots", F_ITEMS, slots),
	FLD("stores", F_WORDS, stores),
	FLD("service-slot", F_STR, service_slot),
	FLD("service-store", F_STR, service_store),
	FLD("inst-max-san-hosts", F_UINT, inst_max_san_hosts),
	FLD("warn-days", F_UINT, warn_days),
	FLD("warn-words", F_STR, warn_words),
	FLD("inst-full-chain", F_BOOL, inst_full_chain),
	FLD("symptoms", F_ITEMS, symptoms),
	FLD("rev-crl", F_BOOL, rev_crl),
	FLD("rev-ocsp", F_BOOL, rev_ocsp),
	FLD("rev-staple", F_BOOL, rev_staple),
	FLD("rev-all-cas", F_BOOL, rev_all_cas),
	FLD("rev-fail-closed", F_BOOL, rev_fail_closed),
	FLD("rev-crl-expired-revokes", F_BOOL, rev_crl_expired_revokes),
	FLD("trust-one-per-subject", F_BOOL, trust_one_per_subject),
	FLD("ssh-subject-oids", F_WORDS, ssh_subject_oids),
	FLD("rev-unchecked", F_STR, rev_unchecked),
	FLD("rev-ocsp-get", F_BOOL, rev_ocsp_get),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Every allocation of a set lives in its arena, freed with the set: a
 * profile inherits pointers from its base, which lives at least as long. */
struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct uctls_profile_set {
	const struct uctls_profile_set *parent; /* borrowed; NULL: none */
	struct uctls_profile **p;               /* arena */
	int *layer;                             /* malloc'd, parallel to p */
	size_t n, cap;
	int cur_layer;
	struct chunk *arena;
};

static void *
aalloc(struct uctls_profile_set *s, size_t len)
{
	struct chunk *c = calloc(1, sizeof(*c) + len + 1);

	if (c == NULL)
		return NULL;
	c->next = s->arena;
	s->arena = c;
	return c->data;
}

static char *
astrdup(struct uctls_profile_set *s, const char *v)
{
	size_t len = strlen(v);
	char *d = aalloc(s, len + 1);

	if (d != NULL)
		memcpy(d, v, len + 1);
	return d;
}

struct uctls_profile_set *
uctls_profile_set_new(const struct uctls_profile_set *parent)
{
	struct uctls_profile_set *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->parent = parent;
	return s;
}

void
uctls_profile_set_free(struct uctls_profile_set *s)
{
	struct chunk *c, *next;

	if (s == NULL)
		return;
	for (c = s->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(s->p);
	free(s->layer);
	free(s);
}

static ssize_t
set_index(const struct uctls_profile_set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->p[i]->name, name) == 0)
			return (ssize_t)i;
	return -1;
}

const struct uctls_profile *
uctls_profile_set_find(const struct uctls_profile_set *s, const char *name)
{
	ssize_t i;

	for (; s != NULL; s = s->parent)
		if ((i = set_index(s, name)) >= 0)
			return s->p[i];
	return NULL;
}

const struct uctls_profile *
uctls_profile_set_at(const struct uctls_profile_set *s, unsigned i)
{
	return s != NULL && i < s->n ? s->p[i] : NULL;
}

size_t
uctls_profile_set_count(const struct uctls_profile_set *s)
{
	return s != NULL ? s->n : 0;
}

static const struct field *
field_of(const char *attr)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].attr, attr) == 0)
			return &fields[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

static int
parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

/* Splits V at runs of whitespace into at most UCTLS_PROFILE_MAX_LIST + 1
 * pieces copied into the arena (*N over the limit: too many). */
static char **
split(struct uctls_profile_set *s, const char *v, int sep, size_t *n)
{
	char **out = aalloc(s, (UCTLS_PROFILE_MAX_LIST + 2) * sizeof(char *));
	char *buf = astrdup(s, v), *p, *e;

	(void)sep;
	*n = 0;
	if (out == NULL || buf == NULL)
		return NULL;
	for (p = buf; *p != '\0'; p = e) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, " \t\n");
		out[(*n)++] = p;
		if (*n > UCTLS_PROFILE_MAX_LIST)
			break;
		if (*e != '\0')
			*e++ = '\0';
	}
	out[*n] = NULL;
	return out;
}

/* Stores V, the value of attribute F->attr, into P.  0, or -1 with a
 * message (no FILE:LINE) in WHY. */
static int
set_value(struct uctls_profile_set *s, struct uctls_profile *p, const struct field *f,
          const char *v, const char **why)
{
	char *at = (char *)p + f->off;
	unsigned long u;
	char **items;
	size_t n, i;

	*why = "out of memory";
	if (strlen(v) > UCTLS_PROFILE_MAX_ATTR)
		return *why = "value longer than " UCTLS_PROFILE_MAX_ATTR_S " bytes", -1;
	switch (f->type) {
	case F_STR:
		return (*(const char **)at = astrdup(s, v)) == NULL ? -1 : 0;
	case F_BOOL:
	case F_CNFB:
		if (strcmp(v, "no") == 0 || strcmp(v, "yes") == 0)
			*(int *)at = v[0] == 'y';
		else if (f->type == F_CNFB && strcmp(v, "always") == 0)
			*(int *)at = 2;
		else
			return *why = f->type == F_BOOL ? "expected yes or no"
			                                : "expected no, yes or always", -1;
		return 0;
	case F_UINT:
		if (parse_uint(v, 1000000, &u) < 0)
			return *why = "expected a number 0-1000000", -1;
		*(unsigned *)at = (unsigned)u;
		return 0;
	case F_ALERT:
		if ((items = split(s, v, ' ', &n)) == NULL)
			return -1;
		for (i = 0; i < n && i < 2 && parse_uint(items[i], 255, &u) == 0; i++)
			((int *)at)[i] = (int)u;
		return n == 2 && i == 2 ? 0
		       : (*why = "expected two alert numbers 0-255 (as client, as server)", -1);
	case F_ULIST: {
		unsigned *l;

		if ((items = split(s, v, ' ', &n)) == NULL)
			return -1;
		if (n > UCTLS_PROFILE_MAX_LIST)
			return *why = "more than " UCTLS_PROFILE_MAX_LIST_S " items", -1;
		if ((l = aalloc(s, (n + 1) * sizeof(*l))) == NULL)
			return -1;
		for (i = 0; i < n; i++) {
			if (parse_uint(items[i], 1000000, &u) < 0 || u == 0)
				return *why = "expected numbers 1-1000000, space-separated", -1;
			l[i] = (unsigned)u;
		}
		*(const unsigned **)at = l;
		return 0;
	}
	case F_ITEMS:
		return *why = "a list of texts: give each as an <item attr=...> child", -1;
	case F_WORDS:
		if ((items = split(s, v, ' ', &n)) == NULL)
			return -1;
		if (n > UCTLS_PROFILE_MAX_LIST)
			return *why = "more than " UCTLS_PROFILE_MAX_LIST_S " items", -1;
		*(const char *const **)at = (const char *const *)items;
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------------
 * <profile> elements
 * ------------------------------------------------------------------------ */

struct raw {
	const struct uctls_xml_node *n;
	const char *id;
	struct uctls_profile *p; /* once resolved */
	int state;               /* 0 new, 1 resolving, 2 done */
};

struct layer {
	struct uctls_profile_set *s;
	const char *file; /* in the arena */
	struct raw *r;
	size_t n;
	struct uctls_err *err;
};

static int
attr_list(char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < NFIELDS && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
		                        fields[i].attr);
	return 0;
}

/* The <cite attr=...> and <item attr=...> children of N: an item list
 * given replaces the base's. */
static int
children(struct layer *L, struct uctls_profile *p, const struct uctls_xml_node *n,
         const char *id)
{
	const char **lists[NFIELDS] = { NULL };
	size_t i, k, len[NFIELDS] = { 0 };

	for (i = 0; i < n->nchildren; i++) {
		const struct uctls_xml_node *c = n->children[i];
		const char *a = uctls_xml_attr(c, "attr");
		const struct field *f = a != NULL ? field_of(a) : NULL;
		int item = strcmp(c->name, "item") == 0;

		if (!item && strcmp(c->name, "cite") != 0)
			return uctls_err_at(L->err, L->file, c->line, "<profile id=\"%s\">: unknown "
			                    "element <%s>; expected <cite> or <item>", id, c->name);
		if (a != NULL && f == NULL && (item || (strcmp(a, "id") != 0 && strcmp(a, "base") != 0)))
			return uctls_err_at(L->err, L->file, c->line, "<%s attr=\"%s\">: no such "
			                    "profile attribute", c->name, a);
		if (!item)
			continue;
		if (f == NULL || f->type != F_ITEMS)
			return uctls_err_at(L->err, L->file, c->line, "<item>: attr= must name a "
			                    "list of texts (symptoms, slots)");
		k = (size_t)(f - fields);
		if (lists[k] == NULL &&
		    (lists[k] = aalloc(L->s, (UCTLS_PROFILE_MAX_LIST + 1) * sizeof(char *))) == NULL)
			return uctls_err_set(L->err, "out of memory");
		if (len[k] == UCTLS_PROFILE_MAX_LIST || c->text_len > UCTLS_PROFILE_MAX_ATTR)
			return uctls_err_at(L->err, L->file, c->line, "<item attr=\"%s\">: more than "
			                    "%d items or longer than %d bytes", a,
			                    UCTLS_PROFILE_MAX_LIST, UCTLS_PROFILE_MAX_ATTR);
		if ((lists[k][len[k]++] = astrdup(L->s, c->text)) == NULL)
			return uctls_err_set(L->err, "out of memory");
	}
	for (k = 0; k < NFIELDS; k++)
		if (lists[k] != NULL)
			*(const char *const **)((char *)p + fields[k].off) = lists[k];
	return 0;
}

/* Fills R->p: a copy of its base (or all zero), then its attributes. */
static int resolve(struct layer *L, struct raw *r);

static int
resolve_base(struct layer *L, struct raw *r, const char *base)
{
	const struct uctls_profile *b = NULL;
	size_t i;

	for (i = 0; i < L->n && strcmp(base, r->id) != 0; i++)
		if (strcmp(L->r[i].id, base) == 0) {
			if (L->r[i].state == 1)
				return uctls_err_at(L->err, L->file, r->n->line, "<profile id=\"%s\">: "
				                    "base cycle: its base `%s' depends, through its own "
				                    "bases, on `%s'", r->id, base, r->id);
			if (resolve(L, &L->r[i]) < 0)
				return -1;
			b = L->r[i].p;
			break;
		}
	/* base="ID" on a profile named ID: the earlier layers' ID (a user file
	 * amending a built-in profile) */
	if (b == NULL)
		b = uctls_profile_set_find(L->s, base);
	if (b == NULL)
		return uctls_err_at(L->err, L->file, r->n->line, "<profile id=\"%s\">: unknown "
		                    "base `%s'", r->id, base);
	*r->p = *b;
	return 0;
}

static int
resolve(struct layer *L, struct raw *r)
{
	const struct uctls_xml_node *n = r->n;
	const char *base = uctls_xml_attr(n, "base"), *why;
	char list[1024];
	size_t i;

	if (r->state == 2)
		return 0;
	r->state = 1;
	if ((r->p = aalloc(L->s, sizeof(*r->p))) == NULL)
		return uctls_err_set(L->err, "out of memory");
	if (base != NULL && resolve_base(L, r, base) < 0)
		return -1;
	r->p->name = r->id;
	r->p->src_file = L->file;
	r->p->src_line = n->line;
	for (i = 0; i < n->nattrs; i++) {
		const char *a = n->attrs[i].name;
		const struct field *f = field_of(a);

		if (strcmp(a, "id") == 0 || strcmp(a, "base") == 0)
			continue;
		if (f == NULL) {
			attr_list(list, sizeof(list));
			return uctls_err_at(L->err, L->file, n->line, "unknown attribute `%s' on "
			                    "<profile id=\"%s\">; expected one of: id, base, %s",
			                    a, r->id, list);
		}
		if (set_value(L->s, r->p, f, n->attrs[i].value, &why) < 0)
			return uctls_err_at(L->err, L->file, n->line, "<profile id=\"%s\">: %s=\"%.64s\": "
			                    "%s", r->id, a, n->attrs[i].value, why);
	}
	if (r->p->family == NULL || r->p->describe == NULL || r->p->priority == NULL)
		return uctls_err_at(L->err, L->file, n->line, "<profile id=\"%s\">: no %s= "
		                    "(given or from a base)", r->id,
		                    r->p->family == NULL ? "family" :
		                    r->p->describe == NULL ? "describe" : "priority");
	if (strcmp(r->p->family, "*") != 0 && uctls_family_find(r->p->family) == NULL)
		return uctls_err_at(L->err, L->file, n->line, "<profile id=\"%s\">: unknown "
		                    "family `%s'", r->id, r->p->family);
	r->state = 2;
	return children(L, r->p, n, r->id);
}

static int
id_ok(const char *id)
{
	size_t i;

	if (id[0] == '\0' || strlen(id) > 64)
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' || id[i] == '_' ||
		      id[i] == '.'))
			return 0;
	return 1;
}

/* Collects the <profile> children of ROOT into L->r, checking ids. */
static int
collect(struct layer *L, const struct uctls_xml_node *root)
{
	size_t i, k;

	if ((L->r = calloc(root->nchildren + 1, sizeof(*L->r))) == NULL)
		return uctls_err_set(L->err, "out of memory");
	for (i = 0; i < root->nchildren; i++) {
		const struct uctls_xml_node *c = root->children[i];
		const char *id = uctls_xml_attr(c, "id");

		if (strcmp(c->name, "profile") != 0)
			continue;
		if (id == NULL || !id_ok(id))
			return uctls_err_at(L->err, L->file, c->line, "<profile>: %s id=; expected "
			                    "1-64 letters, digits, `-', `_' or `.'",
			                    id == NULL ? "no" : "bad");
		for (k = 0; k < L->n; k++)
			if (strcmp(L->r[k].id, id) == 0)
				return uctls_err_at(L->err, L->file, c->line, "<profile id=\"%s\">: "
				                    "duplicate id (first at line %d)", id,
				                    L->r[k].n->line);
		if (L->s->n + L->n >= UCTLS_PROFILE_MAX)
			return uctls_err_at(L->err, L->file, c->line, "more than %d profiles",
			                    UCTLS_PROFILE_MAX);
		L->r[L->n].n = c;
		L->r[L->n++].id = astrdup(L->s, id);
		if (L->r[L->n - 1].id == NULL)
			return uctls_err_set(L->err, "out of memory");
	}
	return 0;
}

/* Adds (or, for an id of an earlier layer, replaces) P in S. */
static int
set_put(struct uctls_profile_set *s, struct uctls_profile *p, const char *file,
        struct uctls_err *err)
{
	ssize_t i = set_index(s, p->name);

	if (i >= 0 && s->layer[i] == s->cur_layer)
		return uctls_err_at(err, file, p->src_line, "<profile id=\"%s\">: duplicate id "
		                    "(first at %s:%d)", p->name, s->p[i]->src_file,
		                    s->p[i]->src_line);
	if (i >= 0) {
		s->p[i] = p;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct uctls_profile **np = realloc(s->p, cap * sizeof(*np));
		int *nl;

		if (np == NULL)
			return uctls_err_set(err, "out of memory");
		s->p = np;
		if ((nl = realloc(s->layer, cap * sizeof(*nl))) == NULL)
			return uctls_err_set(err, "out of memory");
		s->layer = nl;
		s->cap = cap;
	}
	s->layer[s->n] = s->cur_layer;
	s->p[s->n++] = p;
	return 0;
}

int
uctls_profile_set_add_xml(struct uctls_profile_set *s, const char *file,
                          const struct uctls_xml_node *root, struct uctls_err *err)
{
	struct layer L = { s, NULL, NULL, 0, err };
	int rv = -1;
	size_t i;

	if ((L.file = astrdup(s, file)) == NULL) {
		uctls_err_set(err, "out of memory");
		return -1;
	}
	if (collect(&L, root) < 0)
		goto out;
	for (i = 0; i < L.n; i++)
		if (resolve(&L, &L.r[i]) < 0)
			goto out;
	for (i = 0; i < L.n; i++)
		if (set_put(s, L.r[i].p, L.file, err) < 0)
			goto out;
	rv = 0;
out:
	free(L.r);
	return rv;
}

void
uctls_profile_set_layer(struct uctls_profile_set *s)
{
	s->cur_layer++;
}

int
uctls_profile_set_load_file(struct uctls_profile_set *s, const char *file,
                            struct uctls_err *err)
{
	struct uctls_xml_node *root = NULL;
	int rv;

	if (uctls_xml_load_file(file, &root, err) < 0)
		return -1;
	if (strcmp(root->name, "profiles") != 0)
		rv = uctls_err_at(err, file, root->line, "root element <%s>; expected <profiles>",
		                  root->name);
	else
		rv = uctls_profile_set_add_xml(s, file, root, err);
	uctls_xml_free(root);
	return rv;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every DIR/NAME.xml, in C-sorted name order (the order of `uctls
 * profiles'), one layer: an id twice in the directory is an error. */
int
uctls_profile_set_load_dir(struct uctls_profile_set *s, const char *dir,
                           struct uctls_err *err)
{
	char *names[UCTLS_PROFILE_MAX_FILES], path[4096];
	size_t n = 0, i, len;
	struct dirent *de;
	int rv = -1;
	DIR *d = opendir(dir);

	if (d == NULL)
		return uctls_err_set(err, "%s: cannot open profile directory: %s", dir,
		                     strerror(errno));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		if (n == UCTLS_PROFILE_MAX_FILES) {
			uctls_err_set(err, "%s: more than %d profile files", dir,
			              UCTLS_PROFILE_MAX_FILES);
			goto out;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL) {
			n--;
			uctls_err_set(err, "out of memory");
			goto out;
		}
	}
	if (n == 0) {
		uctls_err_set(err, "%s: no profile files (*.xml)", dir);
		goto out;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	uctls_profile_set_layer(s);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (uctls_profile_set_load_file(s, path, err) < 0)
			goto out;
	}
	rv = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	closedir(d);
	return rv;
}

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

static void
put_value(FILE *f, const struct field *fl, const struct uctls_profile *p)
{
	const char *at = (const char *)p + fl->off;
	size_t i;

	switch (fl->type) {
	case F_STR:
		fputs(*(const char *const *)at, f);
		break;
	case F_BOOL:
	case F_CNFB:
		fputs(*(const int *)at == 2 ? "always" : *(const int *)at ? "yes" : "no", f);
		break;
	case F_UINT:
		fprintf(f, "%u", *(const unsigned *)at);
		break;
	case F_ALERT:
		fprintf(f, "%d %d", ((const int *)at)[0], ((const int *)at)[1]);
		break;
	case F_ULIST:
		for (i = 0; (*(const unsigned *const *)at)[i] != 0; i++)
			fprintf(f, "%s%u", i ? " " : "", (*(const unsigned *const *)at)[i]);
		break;
	case F_WORDS:
	case F_ITEMS:
		for (i = 0; (*(const char *const *const *)at)[i] != NULL; i++)
			fprintf(f, "%s%s", i ? (fl->type == F_ITEMS ? ", " : " ") : "",
			        (*(const char *const *const *)at)[i]);
		break;
	}
}

/* Every field of P, one "ID ATTR=VALUE" line each ("ID ATTR" alone when a
 * pointer is NULL): the same text for the same data, whatever its origin. */
void
uctls_profile_dump(FILE *f, const struct uctls_profile *p)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		const char *at = (const char *)p + fields[i].off;
		int isptr = fields[i].type == F_STR || fields[i].type >= F_ULIST;

		fprintf(f, "%s %s", p->name, fields[i].attr);
		if (!isptr || *(const void *const *)at != NULL) {
			fputc('=', f);
			put_value(f, &fields[i], p);
		}
		fputc('\n', f);
	}
}

/* The attributes of P that differ from a profile of all zero fields, as a
 * user would write them (for `uctls profiles --verbose'). */
void
uctls_profile_print_attrs(FILE *f, const struct uctls_profile *p, const char *indent)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		const char *at = (const char *)p + fields[i].off;
		int isptr = fields[i].type == F_STR || fields[i].type >= F_ULIST;

		if (fields[i].type == F_ALERT ? ((const int *)at)[0] == 0 && ((const int *)at)[1] == 0
		    : isptr ? *(const void *const *)at == NULL
		    : fields[i].type == F_UINT ? *(const unsigned *)at == 0 : *(const int *)at == 0)
			continue;
		if (fields[i].type == F_ITEMS) {
			const char *const *l = *(const char *const *const *)at;
			size_t k;

			for (k = 0; l[k] != NULL; k++)
				fprintf(f, "%s<item attr=\"%s\">%s</item>\n", indent,
				        fields[i].attr, l[k]);
			continue;
		}
		fprintf(f, "%s%s=\"", indent, fields[i].attr);
		put_value(f, &fields[i], p);
		fputs("\"\n", f);
	}
}
