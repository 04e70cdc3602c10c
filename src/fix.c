#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "fix.h"
#include "profile.h"
#include "report.h"
#include "revoke.h"
#include "ssh-subject.h"
#include "store.h"

#define MAX_EDITS 8
#define MAX_ANC 16

/* One attribute set (VALUE) or removed (VALUE NULL) on the element ELEM
 * whose id is ID; ELEM "extension" means: every <extension> child of the
 * certificate ID. */
struct edit {
	const char *elem;
	char *id, *value;
	const char *attr;
};

/* The order of fixes that all pass: what the verifying device's guides
 * prescribe or its own configuration can do first (its trust list, the
 * name it expects; for a generic stack, the peer sending its chain), then
 * the other device's configuration (what it sends or answers, an upload),
 * then a certificate re-issued by the CA.  For a device whose guides
 * prescribe its trust store (profile.h trust_words), the whole CA chain
 * there comes before a lone CA or a chain sent.  Last, a change of a name
 * that another certificate of the PKI carries too (a cluster's FQDN): other
 * connections depend on it, so the certificate lacking it is re-issued. */
enum effort { E_SELF, E_PEER, E_CA, E_SHARED };

struct cand {
	char *what;
	enum effort effort;
	struct edit e[MAX_EDITS];
	size_t ne;
	int rank; /* 0 passes, 1 moves the failure later, 2 changes it, 3 no help */
	char *result;
	struct uctls_xml_node *dom;
	struct uctls_scenario *sc2; /* the changed scenario and its run, kept when */
	struct uctls_log *log2;     /* the failure moved (a fix to build on) */
};

struct ctx {
	const struct uctls_scenario *sc;
	const struct uctls_xml_node *root;
	const struct uctls_step *fail;
	const struct uctls_peerdef *x; /* where the verifier is configured */
	const struct uctls_peerdef *y; /* the peer that presented the chain */
	const char *xname;             /* the verifier's name in words */
	int jabber;                    /* the MRA client verified (E's mra- attributes) */
	int install;                   /* the install step: X's upload (anc: what it uploads) */
	const struct uctls_certdef *anc[MAX_ANC]; /* y's leaf and its issuers, up */
	size_t nanc;
	struct cand c[UCTLS_FIX_MAX];
	size_t n;
	int oom;
	char store_id[160];   /* install to a slot whose trust store is not the service's
	                         (store.h): "PEER STORE", the <store> the trust fixes edit */
	char store_words[96]; /* and its words: "tomcat-trust store" */
};

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* A new candidate described by WHAT (owned), or NULL when full. */
static struct cand *
cand_new(struct ctx *c, enum effort effort, char *what)
{
	struct cand *k;

	if (what == NULL) {
		c->oom = 1;
		return NULL;
	}
	if (c->n == UCTLS_FIX_MAX) {
		free(what);
		return NULL;
	}
	k = &c->c[c->n++];
	memset(k, 0, sizeof(*k));
	k->what = what;
	k->effort = effort;
	return k;
}

static void
edit_add(struct ctx *c, struct cand *k, const char *elem, const char *id, const char *attr,
         const char *value)
{
	struct edit *e;

	if (k == NULL || k->ne == MAX_EDITS)
		return;
	e = &k->e[k->ne++];
	e->elem = elem;
	e->attr = attr;
	e->id = strdup(id);
	e->value = value != NULL ? strdup(value) : NULL;
	if (e->id == NULL || (value != NULL && e->value == NULL))
		c->oom = 1;
}

static const char *
subject_of(const struct uctls_certdef *cd)
{
	return cd->subject != NULL ? cd->subject : cd->id;
}

/* The certificate ID, declared as ELEM or as the other of <cert>/<ca>. */
static struct uctls_xml_node *
find_cert(struct uctls_xml_node *root, const char *elem, const char *id)
{
	struct uctls_xml_node *n = uctls_xml_find(root, elem, id);

	if (n == NULL && strcmp(elem, "cert") == 0)
		n = uctls_xml_find(root, "ca", id);
	if (n == NULL && strcmp(elem, "ca") == 0)
		n = uctls_xml_find(root, "cert", id);
	return n;
}

static int
in_strv(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Where a peer's trusts= or sends= lives (store.h): in its <store> of its
 * service, or its <slot> of its service (of the service's slot and its
 * -ECDSA twin, the one whose first id VALUE keeps; VALUE NULL: the RSA
 * one), when the scenario names them; else on the <peer> N itself. */
static struct uctls_xml_node *
slot_node(struct uctls_xml_node *n, const char *attr, const char *value)
{
	const struct uctls_profile *p;
	struct uctls_xml_node *m, *hit = n;
	const char *v, *want;
	size_t i, l, fl = value != NULL ? strcspn(value, " ") : 0;
	int store = strcmp(attr, "trusts") == 0;

	if (n == NULL || (!store && strcmp(attr, "sends") != 0) ||
	    (p = uctls_profile_find((v = uctls_xml_attr(n, "profile")) != NULL ? v : "")) == NULL ||
	    (want = store ? p->service_store : p->service_slot) == NULL)
		return n;
	l = strlen(want);
	for (i = 0; i < n->nchildren; i++) {
		m = n->children[i];
		if (strcmp(m->name, store ? "store" : "slot") != 0 ||
		    (v = uctls_xml_attr(m, "name")) == NULL || strncmp(v, want, l) != 0 ||
		    (v[l] != '\0' && strcmp(v + l, "-ECDSA") != 0))
			continue;
		if (hit == n || (value != NULL && (v = uctls_xml_attr(m, attr)) != NULL &&
		                 strncmp(v, value, fl) == 0 && (v[fl] == ' ' || v[fl] == '\0')))
			hit = m;
	}
	return hit;
}

/* The <store> named by "PEER STORE" (ctx store_id), or NULL. */
static struct uctls_xml_node *
named_store(struct uctls_xml_node *root, const char *pid)
{
	size_t l = strcspn(pid, " "), i;
	struct uctls_xml_node *n;
	const char *v;
	char id[64];

	snprintf(id, sizeof(id), "%.*s", (int)l, pid);
	if ((n = uctls_xml_find(root, "peer", id)) == NULL || pid[l] != ' ')
		return NULL;
	for (i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i]->name, "store") == 0 &&
		    (v = uctls_xml_attr(n->children[i], "name")) != NULL && strcmp(v, pid + l + 1) == 0)
			return n->children[i];
	return NULL;
}

/* The DOM value of attribute ATTR of <peer id=ID> (trusts, sends: or of its
 * service's <store>, <slot>), or NULL. */
static const char *
peer_attr(const struct ctx *c, const char *id, const char *attr)
{
	struct uctls_xml_node *n = uctls_xml_find((struct uctls_xml_node *)c->root, "peer", id);

	n = c->store_id[0] != '\0' && strcmp(attr, "trusts") == 0
	            ? named_store((struct uctls_xml_node *)c->root, c->store_id)
	            : slot_node(n, attr, NULL);
	return n != NULL ? uctls_xml_attr(n, attr) : NULL;
}

/* The trust list the verifier uses: its `trusts', or for the MRA client
 * E's mra-trusts (default: C's trusts). */
static const char *
trust_attr(const struct ctx *c, const char **peer)
{
	size_t i;
	const char *v;

	*peer = c->x->id;
	if (!c->jabber)
		return "trusts";
	v = peer_attr(c, c->x->id, "mra-trusts");
	for (i = 0; v == NULL && i < c->sc->npeers; i++)
		if (&c->sc->peers[i] != c->y)
			*peer = c->sc->peers[i].id; /* only to read its list */
	return v != NULL ? "mra-trusts" : "trusts";
}

/* The verifier's profile, or NULL. */
static const struct uctls_profile *
x_profile(const struct ctx *c)
{
	return c->jabber ? uctls_profile_find("jabber") : uctls_peer_profile(c->x);
}

/* The verifier's trust list in its device's own words (profile.h). */
static const char *
trust_words(const struct ctx *c)
{
	const struct uctls_profile *p = x_profile(c);

	if (c->store_words[0] != '\0')
		return c->store_words;
	return p != NULL && p->trust_words != NULL ? p->trust_words : "trust list";
}

/* A device whose guides prescribe its trust store for a missing chain
 * (docs/profiles.md, trust_words): the whole CA chain there is its fix.
 * Not the Jabber client: its operating system's store holds roots. */
static int
x_device(const struct ctx *c)
{
	const struct uctls_profile *p = x_profile(c);

	return p != NULL && p->trust_words != NULL && !c->jabber;
}

/* Whether the space-separated LIST holds the word ID. */
static int
in_list(const char *list, const char *id)
{
	size_t l = strlen(id);
	const char *p;

	for (p = list; list != NULL && (p = strstr(p, id)) != NULL; p++)
		if ((p == list || p[-1] == ' ') && (p[l] == '\0' || p[l] == ' '))
			return 1;
	return 0;
}

/* A new trust list: the old one, then IDS (count N) not in it yet; NULL
 * when out of memory, "" when nothing was added. */
static char *
trust_plus(struct ctx *c, const char *old, const struct uctls_certdef *const *ids, size_t n)
{
	char *list = strdup(old != NULL ? old : ""), *t;
	int added = 0;
	size_t i;

	for (i = 0; i < n && list != NULL; i++) {
		if (in_list(list, ids[i]->id))
			continue;
		t = fmt("%s%s%s", list, *list ? " " : "", ids[i]->id);
		free(list);
		list = t;
		added = 1;
	}
	if (list == NULL)
		c->oom = 1;
	else if (!added)
		*list = '\0';
	return list;
}

static void
add_trust(struct ctx *c, const struct uctls_certdef *cd, const char *kind)
{
	const char *from, *attr = trust_attr(c, &from), *old = peer_attr(c, from, attr);
	char *list = trust_plus(c, old, &cd, 1);
	struct cand *k;

	if (list == NULL || *list == '\0') {
		free(list);
		return;
	}
	k = cand_new(c, x_device(c) ? E_PEER : E_SELF,
	             fmt("add the %s `%s' (%s) to %s's %s", kind, subject_of(cd),
	                            cd->id, c->xname, trust_words(c)));
	edit_add(c, k, c->store_id[0] ? "store" : "peer", c->store_id[0] ? c->store_id : c->x->id,
	         c->jabber ? "mra-trusts" : "trusts", list);
	free(list);
}

/* Every CA above y's leaf into the trust list, root first (the order the
 * devices' guides upload a chain in): what a connection on which the peer
 * presents its leaf alone (the MRA SSH tunnel) needs. */
static void
trust_all(struct ctx *c)
{
	const char *from, *attr = trust_attr(c, &from), *old = peer_attr(c, from, attr);
	const struct uctls_certdef *down[MAX_ANC];
	struct cand *k;
	char *list;
	size_t i;

	if (c->nanc < (c->install ? 2 : 3))
		return;
	for (i = 1; i < c->nanc; i++)
		down[i - 1] = c->anc[c->nanc - i];
	list = trust_plus(c, old, down, c->nanc - 1);
	if (list == NULL || *list == '\0') {
		free(list);
		return;
	}
	k = cand_new(c, E_SELF,
	             fmt("add the root CA `%s' and the intermediates of %s's chain to %s's %s",
	                 subject_of(c->anc[c->nanc - 1]), c->y->id, c->xname, trust_words(c)));
	edit_add(c, k, c->store_id[0] ? "store" : "peer", c->store_id[0] ? c->store_id : c->x->id,
	         c->jabber ? "mra-trusts" : "trusts", list);
	free(list);
}

/* issuer-not-found, untrusted-root, self-signed: what is missing between
 * y's leaf and the verifier's trust anchors. */
static void
gen_chain(struct ctx *c, const char *reason)
{
	const struct uctls_certdef *top = c->anc[c->nanc - 1];
	const char *from, *tattr = trust_attr(c, &from);
	const struct uctls_peerdef *tp = uctls_scenario_peer(c->sc, from);
	/* On the MRA SSH tunnel the peer presents its leaf alone
	 * (docs/steps.md): what it sends elsewhere does not count there. */
	int leaf_only = strcmp(c->fail->step, "ssh-tunnel") == 0;
	size_t i, len = 0;
	char *sends = NULL, *t;
	struct cand *k;

	if (strcmp(reason, "self-signed") == 0 || strcmp(reason, "untrusted-root") == 0) {
		add_trust(c, top, top->issuer == NULL && c->nanc > 1 ? "root CA" : "certificate");
		trust_all(c);
		return;
	}
	/* First the standard fix, the peer sending its whole chain but the
	 * root (RFC 8446 4.4.2, RFC 5246 7.4.2), then the trust list. */
	for (i = 0; i < c->nanc && (i == 0 || c->anc[i]->issuer != NULL); i++, len++) {
		t = fmt("%s%s%s", sends != NULL ? sends : "", i ? " " : "", c->anc[i]->id);
		free(sends);
		if ((sends = t) == NULL) {
			c->oom = 1;
			return;
		}
	}
	if (len > 1 && !c->jabber && !leaf_only) {
		k = cand_new(c, x_device(c) ? E_PEER : E_SELF,
		             fmt("have %s send its intermediate CA certificate%s after its own "
		                    "(sends=\"%s\")", c->y->id, len > 2 ? "s" : "", sends));
		edit_add(c, k, "peer", c->y->id, "sends", sends);
	}
	free(sends);
	for (i = 1; i < c->nanc; i++) {
		if ((!leaf_only && in_strv(c->y->sends, c->y->nsends, c->anc[i]->id)) ||
		    (tp != NULL && strcmp(tattr, "trusts") == 0 &&
		     in_strv(tp->trusts, tp->ntrusts, c->anc[i]->id)))
			continue;
		if (c->anc[i]->issuer != NULL)
			add_trust(c, c->anc[i], "intermediate");
		break;
	}
	trust_all(c);
}

static int
is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The attributes that configure the name a verifier expects, in the words
 * of the device's configuration page (docs/profiles.md: Expressway zone,
 * CUCM SIP trunk security profile).  Only these are offered as a fix: a
 * domain a peer serves or connects to (xmpp-s2s to=, domain=) is what the
 * connection is for, not a setting to bend to the certificate. */
static const char *const name_attrs[][2] = {
	{ "verify-name", "verify-name" },
	{ "peer-address", "Peer 1 address (peer-address, the traversal zone)" },
	{ "tls-verify-name", "TLS verify subject name (tls-verify-name, the traversal zone)" },
	{ "x509-subject-name", "X.509 Subject Name (x509-subject-name, the SIP trunk "
	                       "security profile)" },
};

/* The name attribute of X's <peer> whose comma list holds NAME: its index
 * in name_attrs, or -1. */
static int
name_attr(const struct ctx *c, const char *name)
{
	size_t i, l = strlen(name);
	const char *v, *p, *all;

	for (i = 0; i < sizeof(name_attrs) / sizeof(name_attrs[0]); i++) {
		all = peer_attr(c, c->x->id, name_attrs[i][0]);
		for (v = all; v != NULL && (p = strstr(v, name)) != NULL; v = p + 1)
			if ((p == all || p[-1] == ',' || p[-1] == ' ') &&
			    (p[l] == '\0' || p[l] == ',' || p[l] == ' '))
				return (int)i;
	}
	return -1;
}

/* The name the verifier wanted, as the diagnosis quotes it (verify.c,
 * engine-xmpp.c): what it needs, else what it was configured to expect. */
static char *
wanted_name(const struct ctx *c)
{
	static const char *const marks[] = { "it needs `", "configured to expect `",
		                             "configured name `", NULL };
	const char *d = c->fail->detail, *p, *e;
	size_t i;

	for (i = 0; d != NULL && marks[i] != NULL; i++)
		if ((p = strstr(d, marks[i])) != NULL &&
		    (e = strchr(p += strlen(marks[i]), '\'')) != NULL)
			return strndup(p, (size_t)(e - p));
	if (c->jabber)
		return (p = peer_attr(c, c->x->id, "mra-domain")) != NULL ? strdup(p) : NULL;
	return c->x->nnames > 0 ? strdup(c->x->names[0]) : NULL;
}

/* The subject CN of CD: its value and length (0 when none). */
static const char *
cn_of(const struct uctls_certdef *cd, size_t *len)
{
	const char *cn = cd->subject != NULL ? strstr(cd->subject, "CN=") : NULL;

	*len = 0;
	if (cn == NULL || (cn != cd->subject && cn[-1] != ','))
		return NULL;
	*len = strcspn(cn + 3, ",");
	return cn + 3;
}

/* The SAN list of LEAF (OLD, its san= attribute, or NULL) with WANT added:
 * a sip: URI beside sip: URIs (RFC 5922 7.1: they take precedence), an IP
 * address as such, else a DNS name; the CN's own name first in the list (a
 * CN is one of the SANs, CA/B BR 7.1.4.3); a certificate without SANs keeps
 * its CN as a DNS name.  With NO_WILD, wildcard names are left out. */
static char *
san_with(const struct uctls_certdef *leaf, const char *old, const char *want, int no_wild)
{
	size_t l, wl = strlen(want), n;
	const char *cn = cn_of(leaf, &l), *p;
	const char *type = old != NULL && strstr(old, "URI:sip:") != NULL ? "URI:sip:"
	                   : is_ip(want)                                ? "IP:"
	                                                                : "DNS:";
	int first = cn != NULL && l == wl && strncmp(cn, want, l) == 0;
	char *out = NULL, *t;

	if (old == NULL && cn != NULL && l > 0 && l < 250 && memchr(cn, ' ', l) == NULL && !first)
		out = fmt("DNS:%.*s", (int)l, cn);
	else if (first)
		out = fmt("%s%s", type, want);
	else
		out = strdup("");
	for (p = old; p != NULL && *p != '\0' && out != NULL; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (no_wild && strncmp(p, "DNS:*.", 6) == 0)
			continue;
		t = fmt("%s%s%.*s", out, *out ? "," : "", (int)n, p);
		free(out);
		out = t;
	}
	if (out != NULL && !first) {
		t = fmt("%s%s%s%s", out, *out ? "," : "", type, want);
		free(out);
		out = t;
	}
	return out;
}

/* The subject of CD with a wildcard CN replaced by NAME, or NULL when its
 * CN is not a wildcard (or out of memory). */
static char *
subject_without_wildcard(const struct uctls_certdef *cd, const char *name)
{
	size_t l;
	const char *cn = cn_of(cd, &l);

	if (cn == NULL || strncmp(cn, "*.", 2) != 0)
		return NULL;
	return fmt("%.*s%s%s", (int)(cn - cd->subject), cd->subject, name, cn + l);
}

/* A name of LEAF a verifier can be configured to expect: with a profile
 * that takes sip: URIs (RFC 5922 7.1), the domain of the first sip: URI
 * SAN; else its first DNS name that is not a wildcard, or IP address. */
static const char *
carried_name(const struct ctx *c, const struct uctls_certdef *leaf)
{
	const struct uctls_profile *p = x_profile(c);
	const char *v;
	size_t i;

	for (i = 0; p != NULL && p->sip_ids && i < leaf->nsans; i++) {
		v = leaf->sans[i].value;
		if (leaf->sans[i].type == UCTLS_SAN_URI && strncmp(v, "sip:", 4) == 0 &&
		    strpbrk(v + 4, "@;:?") == NULL)
			return v + 4;
	}
	for (i = 0; i < leaf->nsans; i++)
		if ((leaf->sans[i].type == UCTLS_SAN_DNS && strncmp(leaf->sans[i].value, "*.", 2) != 0) ||
		    leaf->sans[i].type == UCTLS_SAN_IP)
			return leaf->sans[i].value;
	return NULL;
}

/* The re-issue that puts WANT into LEAF (node N): a wildcard the profile
 * refuses replaced by the name (subject CN too). */
static void
name_reissue(struct ctx *c, const struct uctls_certdef *leaf, struct uctls_xml_node *n,
             const char *want)
{
	int no_wild = strcmp(c->fail->reason, "wildcard-not-allowed") == 0;
	char *v = san_with(leaf, uctls_xml_attr(n, "san"), want, no_wild);
	char *subj = no_wild ? subject_without_wildcard(leaf, want) : NULL;
	struct cand *k;

	if (v == NULL) {
		c->oom = 1;
		return;
	}
	k = cand_new(c, E_CA, fmt("re-issue %s's certificate `%s' (%s) with `%s' as %s subject "
	                          "alternative name%s (san=\"%s\"%s%s%s)", c->y->id,
	                          subject_of(leaf), leaf->id, want,
	                          strstr(v, "URI:sip:") ? "a sip: URI"
	                          : is_ip(want)         ? "an IP address"
	                                                : "a DNS",
	                          no_wild ? ", without wildcards" : "", v,
	                          subj != NULL ? " subject=\"" : "", subj != NULL ? subj : "",
	                          subj != NULL ? "\"" : ""));
	edit_add(c, k, "cert", leaf->id, "san", v);
	if (subj != NULL)
		edit_add(c, k, "cert", leaf->id, "subject", subj);
	free(subj);
	free(v);
}

/* A name without a dot is a user, not a host: PostgreSQL's certificate
 * authentication compares the client certificate's CN with the database
 * user (PostgreSQL, "Certificate Authentication",
 * https://www.postgresql.org/docs/current/auth-cert.html; profile
 * cms-database).  For a verifier that reads the CN and a LEAF without SANs,
 * the CN re-issued as WANT; 1 when it applies. */
static int
cn_reissue(struct ctx *c, const struct uctls_certdef *leaf, const char *want)
{
	const struct uctls_profile *p = x_profile(c);
	const char *cn;
	char *subj;
	size_t l;
	struct cand *k;

	if (p == NULL || !p->cn_fallback || leaf->nsans > 0 || strchr(want, '.') != NULL ||
	    is_ip(want) || (cn = cn_of(leaf, &l)) == NULL)
		return 0;
	subj = fmt("%.*s%s%s", (int)(cn - leaf->subject), leaf->subject, want, cn + l);
	k = cand_new(c, E_CA, fmt("re-issue %s's certificate `%s' (%s) with the CN `%s' "
	                          "(subject=\"%s\")", c->y->id, subject_of(leaf), leaf->id, want,
	                          subj != NULL ? subj : ""));
	edit_add(c, k, "cert", leaf->id, "subject", subj);
	free(subj);
	return 1;
}

/* Whether a certificate of the PKI other than LEAF carries NAME (a SAN or
 * the CN). */
static int
name_shared(const struct ctx *c, const struct uctls_certdef *leaf, const char *name)
{
	const struct uctls_certdef *cd;
	const char *cn;
	size_t i, j, l;

	for (i = 0; i < c->sc->ncerts; i++) {
		cd = &c->sc->certs[i];
		if (cd == leaf || cd->is_ca)
			continue;
		for (j = 0; j < cd->nsans; j++)
			if (strcmp(cd->sans[j].value, name) == 0)
				return 1;
		cn = cn_of(cd, &l);
		if (cn != NULL && l == strlen(name) && strncmp(cn, name, l) == 0)
			return 1;
	}
	return 0;
}

/* name-mismatch, cn-only-no-san, wildcard-*: the name into the
 * certificate, or the certificate's name into the configuration (after
 * the re-issue when the certificate is at fault, its CN missing from its
 * SANs, or when another certificate carries the name). */
static void
gen_name(struct ctx *c)
{
	const struct uctls_certdef *leaf = c->anc[0];
	char *want = wanted_name(c);
	const char *have = carried_name(c, leaf);
	struct uctls_xml_node *n;
	struct cand *k;
	int a, late;

	if (want == NULL)
		return;
	n = uctls_xml_find((struct uctls_xml_node *)c->root, "cert", leaf->id);
	if (n == NULL)
		n = uctls_xml_find((struct uctls_xml_node *)c->root, "ca", leaf->id);
	if (n != NULL && leaf->file == NULL && !cn_reissue(c, leaf, want))
		name_reissue(c, leaf, n, want);
	/* ... or when the name it carries is another's too (a cluster FQDN
	 * names no one node) */
	late = name_shared(c, leaf, want) || strcmp(c->fail->reason, "cn-only-no-san") == 0 ||
	       (have != NULL && name_shared(c, leaf, have));
	if (have != NULL && !c->jabber && (a = name_attr(c, want)) >= 0) {
		k = cand_new(c, late ? E_SHARED : E_SELF,
		             fmt("configure %s's %s as `%s', a name the certificate carries",
		                 c->x->id, name_attrs[a][1], have));
		edit_add(c, k, "peer", c->x->id, name_attrs[a][0], have);
	}
	free(want);
}

static int
has_oid(const struct uctls_certdef *cd, const char *oid)
{
	return in_strv(cd->eku, cd->neku, oid);
}

/* eku-*-missing: the leaf re-issued with both purposes, or the CA that
 * restricts them re-issued without the restriction. */
static void
gen_eku(struct ctx *c, int server)
{
	const char *oid = server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2";
	const struct uctls_certdef *leaf = c->anc[0];
	struct cand *k;
	size_t i;

	if (leaf->file == NULL && (!leaf->has_eku || !has_oid(leaf, oid))) {
		k = cand_new(c, E_CA, fmt("re-issue %s's certificate `%s' (%s) with both serverAuth and "
		                    "clientAuth extended key usage", c->y->id, subject_of(leaf),
		                    leaf->id));
		edit_add(c, k, "cert", leaf->id, "eku", "serverAuth,clientAuth");
		return;
	}
	for (i = 1; i < c->nanc; i++)
		if (c->anc[i]->file == NULL && c->anc[i]->has_eku && !has_oid(c->anc[i], oid)) {
			k = cand_new(c, E_CA, fmt("re-issue the CA `%s' (%s) without its extended key usage "
			                    "restriction", subject_of(c->anc[i]), c->anc[i]->id));
			edit_add(c, k, "ca", c->anc[i]->id, "eku", NULL);
			return;
		}
}

/* expired, not-yet-valid: renew what the clock does not fit. */
static void
gen_validity(struct ctx *c)
{
	struct cand *k = NULL;
	char *what = NULL, *t;
	size_t i;

	for (i = 0; i < c->nanc; i++) {
		const struct uctls_certdef *cd = c->anc[i];

		if (cd->file != NULL || (c->sc->now >= cd->not_before && c->sc->now <= cd->not_after))
			continue;
		t = fmt("%s%s`%s' (%s)", what != NULL ? what : "renew ", what != NULL ? ", " : "",
		        subject_of(cd), cd->id);
		free(what);
		if ((what = t) == NULL) {
			c->oom = 1;
			return;
		}
	}
	if (what == NULL || (k = cand_new(c, E_CA, what)) == NULL)
		return;
	for (i = 0; i < c->nanc; i++) {
		const struct uctls_certdef *cd = c->anc[i];
		const char *el = cd->is_ca ? "ca" : "cert";

		if (cd->file != NULL || (c->sc->now >= cd->not_before && c->sc->now <= cd->not_after))
			continue;
		edit_add(c, k, el, cd->id, "not-before", NULL);
		edit_add(c, k, el, cd->id, "not-after", NULL);
	}
}

/* One attribute of every generated certificate of the path that has it:
 * removed (back to the default) or set. */
static void
gen_attr(struct ctx *c, const char *attr, const char *only, const char *value,
         const char *words)
{
	struct uctls_xml_node *n;
	struct cand *k = NULL;
	const char *v;
	size_t i;

	for (i = 0; i < c->nanc; i++) {
		const struct uctls_certdef *cd = c->anc[i];
		const char *el = cd->is_ca ? "ca" : "cert";

		n = uctls_xml_find((struct uctls_xml_node *)c->root, el, cd->id);
		if (n == NULL || cd->file != NULL || (v = uctls_xml_attr(n, attr)) == NULL ||
		    (only != NULL && strncmp(v, only, strlen(only)) != 0))
			continue;
		if (k == NULL && (k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) %s", subject_of(cd),
		                                      cd->id, words))) == NULL)
			return;
		edit_add(c, k, el, cd->id, attr, value);
	}
}

/* path-length: each CA whose pathLenConstraint is smaller than the number
 * of CAs below it in the path re-issued with that number (RFC 5280
 * 4.2.1.9), not without the constraint. */
static void
gen_pathlen(struct ctx *c)
{
	struct uctls_xml_node *n;
	struct cand *k = NULL;
	const char *v;
	char num[24];
	size_t i;

	for (i = 2; i < c->nanc; i++) {
		n = find_cert((struct uctls_xml_node *)c->root, "ca", c->anc[i]->id);
		if (n == NULL || c->anc[i]->file != NULL || (v = uctls_xml_attr(n, "path-len")) == NULL ||
		    strtoul(v, NULL, 10) >= i - 1)
			continue;
		snprintf(num, sizeof(num), "%zu", i - 1);
		if (k == NULL && (k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) with pathLenConstraint "
		                                            "%s, the CAs below it in the path",
		                                            subject_of(c->anc[i]), c->anc[i]->id,
		                                            num))) == NULL)
			return;
		edit_add(c, k, "ca", c->anc[i]->id, "path-len", num);
	}
}

/* A SIP answer other than 200: the answering peer answers 200. */
static void
gen_sip(struct ctx *c)
{
	size_t i;
	struct cand *k;

	for (i = 0; i < c->sc->npeers; i++)
		if (peer_attr(c, c->sc->peers[i].id, "sip-response") != NULL) {
			k = cand_new(c, E_PEER, fmt("have %s answer the request with 200 OK",
			                    c->sc->peers[i].id));
			edit_add(c, k, "peer", c->sc->peers[i].id, "sip-response", NULL);
		} else if (peer_attr(c, c->sc->peers[i].id, "http-response") != NULL) {
			/* https: the server answers the GET with 200 OK. */
			k = cand_new(c, E_PEER, fmt("have %s answer the GET with 200 OK",
			                    c->sc->peers[i].id));
			edit_add(c, k, "peer", c->sc->peers[i].id, "http-response", NULL);
		}
}

/* The <install> of peer ID in the tree. */
static struct uctls_xml_node *
find_install(struct uctls_xml_node *root, const char *id)
{
	const char *v;
	size_t i;

	for (i = 0; i < root->nchildren; i++)
		if (strcmp(root->children[i]->name, "install") == 0 &&
		    (v = uctls_xml_attr(root->children[i], "peer")) != NULL && strcmp(v, id) == 0)
			return root->children[i];
	return NULL;
}

/* The uploaded certificates from the leaf up (install.h: entity,
 * intermediates, root), as an install cert= list. */
static char *
install_order(const struct ctx *c)
{
	char *list = strdup(""), *t;
	size_t i;

	for (i = 0; i < c->nanc && list != NULL; i++) {
		t = fmt("%s%s%s", list, i ? " " : "", c->anc[i]->id);
		free(list);
		list = t;
	}
	return list;
}

/* The Meeting Server's bundle (cms-bundle.h; doc 214618, "Certificate
 * Trust Chains and Bundles"): with a separate CA bundle (bundle=), the
 * entity certificate alone and the CA chain up to the root as the bundle;
 * in one file, the whole chain to the root (full chain trust from CMS
 * 3.0).  1 when it applies. */
static int
gen_cms_bundle(struct ctx *c)
{
	const char *r = c->fail->reason, *id = c->x->id;
	struct uctls_xml_node *in = find_install((struct uctls_xml_node *)c->root, id);
	const struct uctls_profile *p = x_profile(c);
	char *v = install_order(c);
	const char *chain;
	struct cand *k;

	/* one file out of order: gen_install's bundle-order fix */
	if (in == NULL || v == NULL || c->nanc < 2 ||
	    (uctls_xml_attr(in, "bundle") == NULL &&
	     (p == NULL || !p->inst_full_chain || strcmp(r, "issuer-not-found") != 0)) ||
	    (strcmp(r, "issuer-not-found") != 0 && strcmp(r, "bundle-order") != 0)) {
		free(v);
		return 0;
	}
	if (uctls_xml_attr(in, "bundle") == NULL) {
		k = cand_new(c, E_PEER, fmt("upload to %s the full chain as one bundle, entity, "
		                            "intermediates, root (cert=\"%s\"), ending in one "
		                            "newline", id, v));
		edit_add(c, k, "install", id, "cert", v);
	} else {
		chain = v + strlen(c->anc[0]->id) + 1;
		k = cand_new(c, E_PEER, fmt("upload to %s the certificate `%s' alone and the CA "
		                            "bundle as the chain up to the root, issuer first "
		                            "(bundle=\"%s\"), ending in one newline", id,
		                            c->anc[0]->id, chain));
		edit_add(c, k, "install", id, "cert", c->anc[0]->id);
		edit_add(c, k, "install", id, "bundle", chain);
	}
	edit_add(c, k, "install", id, "newlines", NULL);
	free(v);
	return 1;
}

/* The install step's slot rules (store.h, install.c): an ECDSA certificate
 * goes to the -ECDSA slot and an RSA one to the slot without it; a UCCX
 * multi-server SAN certificate re-issued for its first two host names. */
static void
gen_slot(struct ctx *c, const char *r)
{
	struct uctls_xml_node *in = find_install((struct uctls_xml_node *)c->root, c->x->id);
	const char *slot = uctls_xml_attr(in, "slot"), *san;
	struct uctls_xml_node *n;
	char *v = NULL, *e;
	size_t l, k;

	if (strcmp(r, "slot-key-type") == 0 && slot != NULL) {
		l = strlen(slot);
		v = uctls_store_slot_is_ec(slot) ? fmt("%.*s", (int)(l - 6), slot)
		                                 : fmt("%s-ECDSA", slot);
		edit_add(c, cand_new(c, E_PEER, fmt("upload the certificate to the %s slot of %s, "
		                                    "not %s", v != NULL ? v : "", c->x->id, slot)),
		         "install", c->x->id, "slot", v);
	} else if (strcmp(r, "multi-server-san") == 0 && c->nanc > 0 && c->anc[0]->file == NULL &&
	           (n = find_cert((struct uctls_xml_node *)c->root, "cert", c->anc[0]->id)) != NULL &&
	           (san = uctls_xml_attr(n, "san")) != NULL && (v = strdup(san)) != NULL) {
		/* keep the SANs up to the third DNS name */
		for (k = 0, e = v; *e != '\0'; e += strcspn(e, ","), e += *e == ',')
			if (strncmp(e, "DNS:", 4) == 0 && ++k == 3) {
				e[e > v ? -1 : 0] = '\0';
				break;
			}
		edit_add(c, cand_new(c, E_CA, fmt("re-issue `%s' (%s) for UCCX node 1 and node 2 only "
		                                  "(san=\"%s\")", subject_of(c->anc[0]), c->anc[0]->id,
		                                  v)),
		         "cert", c->anc[0]->id, "san", v);
	}
	if (v == NULL)
		c->oom = c->oom || (strcmp(r, "slot-key-type") == 0 && slot != NULL);
	free(v);
}

/* The install step: what the upload or the device's trust store needs
 * (install.c's rules). */
static void
gen_install(struct ctx *c)
{
	const char *r = c->fail->reason, *id = c->x->id;
	struct cand *k;
	char *v;

	if (gen_cms_bundle(c))
		return;
	if (strcmp(r, "bad-format") == 0 || strcmp(r, "malformed-certificate") == 0) {
		k = cand_new(c, E_PEER, fmt("upload the certificate to %s as PEM text, as issued", id));
		edit_add(c, k, "install", id, "format", NULL);
	} else if (strcmp(r, "bundle-order") == 0) {
		v = install_order(c);
		k = cand_new(c, E_PEER, fmt("upload the bundle to %s as entity, intermediates, root (cert=\"%s\"), "
		                    "ending in one newline", id, v != NULL ? v : ""));
		edit_add(c, k, "install", id, "cert", v);
		edit_add(c, k, "install", id, "newlines", NULL);
		free(v);
	} else if (strcmp(r, "key-mismatch") == 0) {
		k = cand_new(c, E_PEER, fmt("upload to %s the private key of the certificate itself", id));
		edit_add(c, k, "install", id, "key", NULL);
		edit_add(c, k, "install", id, "key-file", NULL);
	} else if (strcmp(r, "csr-san-mismatch") == 0 &&
	           (v = (char *)uctls_xml_attr(find_install((struct uctls_xml_node *)c->root, id),
	                                       "csr-san")) != NULL) {
		k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) with exactly the SANs of its CSR (%s)",
		                    subject_of(c->anc[0]), c->anc[0]->id, v));
		edit_add(c, k, "cert", c->anc[0]->id, "san", v);
	} else if (strcmp(r, "slot-key-type") == 0 || strcmp(r, "multi-server-san") == 0) {
		gen_slot(c, r);
	} else if (strcmp(r, "cn-only-no-san") == 0) {
		size_t l;
		const char *cn = cn_of(c->anc[0], &l);
		struct uctls_xml_node *n = find_cert((struct uctls_xml_node *)c->root, "cert",
		                                     c->anc[0]->id);
		char *want = cn != NULL ? strndup(cn, l) : NULL;

		v = want != NULL && n != NULL ? san_with(c->anc[0], uctls_xml_attr(n, "san"), want, 0)
		                              : NULL;
		if (v != NULL) {
			k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) with its CN as a DNS subject "
			                          "alternative name (san=\"%s\")",
			                          subject_of(c->anc[0]), c->anc[0]->id, v));
			edit_add(c, k, "cert", c->anc[0]->id, "san", v);
		}
		free(want);
		free(v);
	}
}

/* key-usage at install: the CA dropped a bit the device's CSR requested
 * (profile inst_ku_keep; Cisco, "Configuration and Administration of the IM
 * and Presence Service", chapter "Configure Certificates", section
 * "Certificate Signing Request Key Usage Extensions",
 * https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html):
 * the certificate re-issued with its key usage plus the missing bits. */
static void
gen_ku_keep(struct ctx *c)
{
	const struct uctls_profile *p = x_profile(c);
	const struct uctls_certdef *cd = c->anc[0];
	struct uctls_xml_node *n;
	const char *cur;
	char *v, *t;
	size_t i, l;

	if (p == NULL || p->inst_ku_keep == NULL || cd->file != NULL ||
	    (n = find_cert((struct uctls_xml_node *)c->root, "cert", cd->id)) == NULL ||
	    (cur = uctls_xml_attr(n, "key-usage")) == NULL || strcmp(cur, "none") == 0 ||
	    (v = strdup(cur)) == NULL)
		return;
	for (i = 0; v != NULL && p->inst_ku_keep[i] != NULL; i++) {
		l = strlen(p->inst_ku_keep[i]);
		for (t = strstr(v, p->inst_ku_keep[i]); t != NULL; t = strstr(t + 1, p->inst_ku_keep[i]))
			if ((t == v || t[-1] == ',' || t[-1] == ' ') &&
			    (t[l] == '\0' || t[l] == ',' || t[l] == ' '))
				break;
		if (t == NULL) {
			t = fmt("%s,%s", v, p->inst_ku_keep[i]);
			free(v);
			v = t;
		}
	}
	if (v == NULL) {
		c->oom = 1;
		return;
	}
	edit_add(c, cand_new(c, E_CA, fmt("re-issue `%s' (%s) with the key usage its CSR requested "
	                                  "(key-usage=\"%s\")", subject_of(cd), cd->id, v)),
	         "cert", cd->id, "key-usage", v);
	free(v);
}

/* The peer's chain, when it sent none: its first end-entity certificate
 * (with its intermediates). */
static void
gen_send(struct ctx *c)
{
	const struct uctls_certdef *cd = NULL;
	size_t i;
	struct cand *k;

	for (i = 0; i < c->sc->ncerts && cd == NULL; i++)
		if (!c->sc->certs[i].is_ca &&
		    !in_strv(c->x->sends, c->x->nsends, c->sc->certs[i].id))
			cd = &c->sc->certs[i];
	if (cd == NULL)
		return;
	k = cand_new(c, E_PEER, fmt("configure a certificate on %s: have it send `%s' (%s)%s", c->y->id,
	                    subject_of(cd), cd->id,
	                    cd->issuer != NULL ? " and its intermediate" : ""));
	if (cd->issuer != NULL && uctls_scenario_cert(c->sc, cd->issuer) != NULL &&
	    uctls_scenario_cert(c->sc, cd->issuer)->issuer != NULL) {
		char *v = fmt("%s %s", cd->id, cd->issuer);

		edit_add(c, k, "peer", c->y->id, "sends", v);
		free(v);
	} else {
		edit_add(c, k, "peer", c->y->id, "sends", cd->id);
	}
}

static int
is_rsa(enum uctls_key_type t)
{
	return t == UCTLS_KEY_RSA1024 || t == UCTLS_KEY_RSA2048 || t == UCTLS_KEY_RSA3072 ||
	       t == UCTLS_KEY_RSA4096;
}

/* no-shared-cipher facing an RSA-only peer: the other peer presents the
 * RSA certificate of the same subject that it holds (a UCOS device's
 * service certificate beside its -ECDSA twin), in place of its EC one. */
static void
gen_rsa_cert(struct ctx *c)
{
	const struct uctls_peerdef *p, *q;
	const struct uctls_certdef *leaf, *cd;
	struct cand *k;
	char *v, *t;
	size_t i, j;

	for (i = 0; i < c->sc->npeers; i++) {
		p = &c->sc->peers[i];
		q = &c->sc->peers[i == 0 ? 1 : 0];
		if (c->sc->npeers != 2 || p->rsa_only != 1 || q->nsends == 0 ||
		    (leaf = uctls_scenario_cert(c->sc, q->sends[0])) == NULL || is_rsa(leaf->key))
			continue;
		for (j = 0, cd = NULL; j < c->sc->ncerts && cd == NULL; j++)
			if (!c->sc->certs[j].is_ca && is_rsa(c->sc->certs[j].key) &&
			    c->sc->certs[j].subject != NULL && leaf->subject != NULL &&
			    strcmp(c->sc->certs[j].subject, leaf->subject) == 0)
				cd = &c->sc->certs[j];
		if (cd == NULL)
			continue;
		v = strdup(cd->id);
		for (j = 1; j < q->nsends && v != NULL; j++) {
			t = fmt("%s %s", v, q->sends[j]);
			free(v);
			v = t;
		}
		k = cand_new(c, E_PEER, fmt("have %s present its RSA certificate `%s' (%s) instead of "
		                            "`%s' (sends=\"%s\")", q->id, subject_of(cd), cd->id,
		                            leaf->id, v != NULL ? v : ""));
		if (v == NULL)
			c->oom = 1;
		edit_add(c, k, "peer", q->id, "sends", v);
		free(v);
	}
}

/* bundle-order in a handshake (tls.c): X's own chain with its end-entity
 * certificate first, the others in their order. */
static void
gen_own_order(struct ctx *c)
{
	const struct uctls_certdef *cd;
	char *v = NULL, *t;
	size_t i, leaf = c->x->nsends;
	struct cand *k;

	for (i = 0; i < c->x->nsends && leaf == c->x->nsends; i++)
		if ((cd = uctls_scenario_cert(c->sc, c->x->sends[i])) != NULL && !cd->is_ca)
			leaf = i;
	if (leaf == c->x->nsends)
		return;
	v = strdup(c->x->sends[leaf]);
	for (i = 0; i < c->x->nsends && v != NULL; i++) {
		if (i == leaf)
			continue;
		t = fmt("%s %s", v, c->x->sends[i]);
		free(v);
		v = t;
	}
	if (v == NULL) {
		c->oom = 1;
		return;
	}
	k = cand_new(c, E_SELF, fmt("configure %s's chain with its own certificate first "
	                            "(sends=\"%s\")", c->x->id, v));
	edit_add(c, k, "peer", c->x->id, "sends", v);
	free(v);
}

/* A peer attribute back to its default on every peer that has it. */
static void
gen_peer_default(struct ctx *c, const char *attr, const char *words)
{
	struct cand *k = NULL;
	size_t i;

	for (i = 0; i < c->sc->npeers; i++)
		if (peer_attr(c, c->sc->peers[i].id, attr) != NULL) {
			if (k == NULL && (k = cand_new(c, E_PEER, strdup(words))) == NULL)
				return;
			edit_add(c, k, "peer", c->sc->peers[i].id, attr, NULL);
		}
}

static void gen_critical_ext(struct ctx *c);
static void gen_shadow(struct ctx *c);
static void gen_subject_oids(struct ctx *c);

/* LIST (space-separated ids) without ID, malloc'd ("" when nothing is left). */
static char *
ids_without(const char *list, const char *id)
{
	char *out = calloc(1, strlen(list) + 1);
	const char *p = list, *e;
	size_t l = strlen(id), n = 0;

	if (out == NULL)
		return NULL;
	for (; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, " ");
		if (e == p || ((size_t)(e - p) == l && strncmp(p, id, l) == 0))
			continue;
		if (n > 0)
			out[n++] = ' ';
		memcpy(out + n, p, (size_t)(e - p));
		n += (size_t)(e - p);
	}
	return out;
}

/* The <crl>/<ocsp> children of <pki> (revoke.h), one by one: *I from 0. */
static struct uctls_xml_node *
rev_node(const struct ctx *c, size_t *i)
{
	struct uctls_xml_node *pki = uctls_xml_find((struct uctls_xml_node *)c->root, "pki", NULL);

	while (pki != NULL && *i < pki->nchildren)
		if (uctls_revoke_is_pki_child(pki->children[(*i)++]->name))
			return pki->children[*i - 1];
	return NULL;
}

/* revoked (revoke.h): the revoked certificates of the path re-issued, i.e.
 * off every CRL and OCSP list of the scenario (a new certificate is not on
 * them). */
static void
gen_unrevoke(struct ctx *c)
{
	struct uctls_xml_node *n;
	struct cand *k = NULL;
	const char *v;
	char *nv;
	size_t i, j;

	for (i = 0; i < c->nanc; i++) {
		const struct uctls_certdef *cd = c->anc[i];

		for (j = 0; (n = rev_node(c, &j)) != NULL;) {
			if ((v = uctls_xml_attr(n, "revoked")) == NULL)
				continue;
			if ((nv = ids_without(v, cd->id)) == NULL) {
				c->oom = 1;
				return;
			}
			if (strcmp(nv, v) != 0 && k == NULL)
				k = cand_new(c, E_CA, fmt("re-issue `%s' (%s): a new certificate its CA has "
				                          "not revoked", subject_of(cd), cd->id));
			if (strcmp(nv, v) != 0)
				edit_add(c, k, n->name, uctls_xml_attr(n, "id"), "revoked",
				         *nv != '\0' ? nv : NULL);
			free(nv);
		}
	}
}

/* Does a peer of the scenario send ID (a TLS certificate, not a responder's)? */
static int
sent_by_peer(const struct ctx *c, const char *id)
{
	size_t i, j;

	for (i = 0; i < c->sc->npeers; i++)
		for (j = 0; j < c->sc->peers[i].nsends; j++)
			if (strcmp(c->sc->peers[i].sends[j], id) == 0)
				return 1;
	return 0;
}

/* revocation-unknown: the delegated responder certificate of an <ocsp
 * signed-with=> re-issued as RFC 6960 4.2.2.2 wants it (issued by the CA it
 * answers for, id-kp-OCSPSigning, valid now).  Not for a CA, nor for a
 * certificate a peer sends: that one is a key the CA never authorised. */
static void
gen_ocsp_delegate(struct ctx *c, struct uctls_xml_node *n)
{
	const char *sw = uctls_xml_attr(n, "signed-with"), *iss = uctls_xml_attr(n, "issuer");
	const struct uctls_certdef *cd = sw != NULL ? uctls_scenario_cert(c->sc, sw) : NULL;
	struct uctls_xml_node *cn;
	const char *eku;
	struct cand *k;
	char *neku;

	if (cd == NULL || cd->is_ca || cd->file != NULL || iss == NULL || strcmp(sw, iss) == 0 ||
	    sent_by_peer(c, sw) || (cn = uctls_xml_find((struct uctls_xml_node *)c->root, "cert",
	                                                sw)) == NULL)
		return;
	k = cand_new(c, E_PEER, fmt("re-issue the OCSP responder certificate `%s' (%s) from `%s' "
	                            "with id-kp-OCSPSigning, valid now (RFC 6960 4.2.2.2)",
	                            subject_of(cd), sw, iss));
	if (k == NULL)
		return;
	if (strcmp(cd->issuer, iss) != 0)
		edit_add(c, k, "cert", sw, "issuer", iss);
	eku = uctls_xml_attr(cn, "eku");
	if (eku == NULL || strstr(eku, "OCSPSigning") == NULL) {
		neku = fmt("%s%s%s", eku != NULL && strcmp(eku, "none") != 0 ? eku : "",
		           eku != NULL && strcmp(eku, "none") != 0 ? "," : "", "OCSPSigning");
		edit_add(c, k, "cert", sw, "eku", neku);
		free(neku);
	}
	if (uctls_xml_attr(cn, "not-before") != NULL)
		edit_add(c, k, "cert", sw, "not-before", NULL);
	if (uctls_xml_attr(cn, "not-after") != NULL)
		edit_add(c, k, "cert", sw, "not-after", NULL);
}

/* crl-expired, revocation-unknown: each CRL or responder that is down,
 * forged, stale or expired, back to a current one signed by its CA (the
 * PKI's service, ranked as the other side's configuration); then the
 * verifier's fallback to "treat as not revoked" (Expressway's default),
 * ranked last because it accepts what cannot be checked. */
static void
gen_revocation_source(struct ctx *c)
{
	static const char *const attrs[] = { "down", "signed-with", "this-update", "next-update",
		                             "unknown" };
	struct uctls_xml_node *n;
	struct cand *k;
	size_t j, a;

	for (j = 0; (n = rev_node(c, &j)) != NULL;) {
		/* get="no": a responder that refuses the GET a client sends */
		int noget = uctls_xml_attr(n, "get") != NULL &&
		            strcmp(uctls_xml_attr(n, "get"), "no") == 0;

		if (strcmp(n->name, "ocsp") == 0)
			gen_ocsp_delegate(c, n);
		for (a = 0; a < 5 && uctls_xml_attr(n, attrs[a]) == NULL; a++)
			;
		if (a == 5 && !noget)
			continue;
		k = cand_new(c, E_PEER, fmt(strcmp(n->name, "crl") == 0
		                              ? "publish a current CRL `%s' signed by its CA at %s"
		                            : a == 5
		                              ? "have the OCSP responder `%s' at %s take requests by "
		                                "GET (RFC 6960 A.1; RFC 5019 5)"
		                              : "have the OCSP responder `%s' at %s answer, current "
		                                "and signed by its CA",
		                          uctls_xml_attr(n, "id"),
		                          uctls_xml_attr(n, "url") != NULL ? uctls_xml_attr(n, "url")
		                                                          : "its URL"));
		for (a = 0; a < 5; a++)
			if (uctls_xml_attr(n, attrs[a]) != NULL)
				edit_add(c, k, n->name, uctls_xml_attr(n, "id"), attrs[a], NULL);
		if (noget)
			edit_add(c, k, n->name, uctls_xml_attr(n, "id"), "get", NULL);
	}
	if (strcmp(c->fail->reason, "revocation-unknown") == 0 &&
	    (k = cand_new(c, E_CA, fmt("set %s's revocation fallback to treat an unknown "
	                                 "status as not revoked", c->xname))) != NULL)
		edit_add(c, k, "peer", c->x->id, "revocation-fallback", "not-revoked");
}

/* signer-not-ca: the certificate issued by the first real CA above the
 * end-entity certificate that signed it. */
static void
gen_reissue_from_ca(struct ctx *c)
{
	struct cand *k;
	size_t i;

	for (i = 1; i + 1 < c->nanc; i++)
		if (!c->anc[i]->is_ca && c->anc[i + 1]->is_ca) {
			k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) from the CA `%s' (%s), not from the "
			                    "end-entity certificate `%s' (%s)",
			                    subject_of(c->anc[i - 1]), c->anc[i - 1]->id,
			                    subject_of(c->anc[i + 1]), c->anc[i + 1]->id,
			                    subject_of(c->anc[i]), c->anc[i]->id));
			edit_add(c, k, c->anc[i - 1]->is_ca ? "ca" : "cert", c->anc[i - 1]->id,
			         "issuer", c->anc[i + 1]->id);
			return;
		}
}

/* signer-not-ca: a CA certificate of the path made without basicConstraints
 * cA=TRUE (basic-constraints="none" or "leaf" on a <ca>) re-issued as a CA
 * (RFC 5280 4.2.1.9; the Expressway guide, "Points to be Aware"). */
static void
gen_ca_basic_constraints(struct ctx *c)
{
	struct uctls_xml_node *n;
	struct cand *k;
	size_t i;

	for (i = 1; i < c->nanc; i++) {
		if (!c->anc[i]->is_ca || c->anc[i]->file != NULL)
			continue;
		n = uctls_xml_find((struct uctls_xml_node *)c->root, "ca", c->anc[i]->id);
		if (n == NULL || uctls_xml_attr(n, "basic-constraints") == NULL)
			continue;
		k = cand_new(c, E_CA, fmt("re-issue the CA `%s' (%s) with basicConstraints cA=TRUE",
		                    subject_of(c->anc[i]), c->anc[i]->id));
		edit_add(c, k, "ca", c->anc[i]->id, "basic-constraints", NULL);
		return;
	}
}

/* key-usage is also found by the owner of the certificate, whose stack
 * cannot sign with it (docs/steps.md): X's own leaf. */
static void
gen_own_key_usage(struct ctx *c)
{
	struct uctls_xml_node *n;
	struct cand *k;

	if (c->x->nsends == 0 || c->x == c->y)
		return;
	n = uctls_xml_find((struct uctls_xml_node *)c->root, "cert", c->x->sends[0]);
	if (n == NULL || uctls_xml_attr(n, "key-usage") == NULL)
		return;
	k = cand_new(c, E_CA, fmt("re-issue %s's own certificate (%s) with the default key usage "
	                    "(digitalSignature)", c->x->id, c->x->sends[0]));
	edit_add(c, k, "cert", c->x->sends[0], "key-usage", NULL);
}

/* name-constraints: the certificate issued by the root instead, whose
 * constraints (none, in the scenario) permit the name; the peer then sends
 * its certificate alone. */
static void
gen_unconstrained(struct ctx *c)
{
	const struct uctls_certdef *root = c->anc[c->nanc - 1], *leaf = c->anc[0];
	struct cand *k;

	if (c->nanc < 3 || root->issuer != NULL || leaf->file != NULL)
		return;
	k = cand_new(c, E_CA, fmt("have `%s' (%s) issued by a CA whose name constraints permit its "
	                    "names, e.g. the root `%s' (%s), and sent alone", subject_of(leaf),
	                    leaf->id, subject_of(root), root->id));
	edit_add(c, k, leaf->is_ca ? "ca" : "cert", leaf->id, "issuer", root->id);
	edit_add(c, k, "peer", c->y->id, "sends", leaf->id);
}

static void
generate(struct ctx *c)
{
	const char *r = c->fail->reason;

	if (strncmp(r, "sip-status:", 11) == 0 || strcmp(r, "sip-malformed") == 0 ||
	    strncmp(r, "http-status:", 12) == 0 || strcmp(r, "http-malformed") == 0 ||
	    strcmp(r, "timeout") == 0)
		gen_sip(c);
	else if (strcmp(r, "protocol-version") == 0)
		gen_peer_default(c, "tls", "configure both sides with TLS 1.2 and 1.3");
	else if (strcmp(r, "no-shared-cipher") == 0) {
		gen_rsa_cert(c);
		gen_peer_default(c, "signatures", "allow ECDSA as well as RSA signatures on both sides");
	}
	else if (strcmp(r, "starttls-not-offered") == 0 || strcmp(r, "starttls-failed") == 0)
		gen_peer_default(c, "starttls", "have R offer STARTTLS (required)");
	else if (strcmp(r, "stream-error:host-unknown") == 0)
		gen_peer_default(c, "to", "have I address the XMPP domain R hosts (its domain, "
		                          "as the DNS SRV record names it), not a node name");
	else if ((strcmp(r, "no-client-cert") == 0 || strcmp(r, "no-server-cert") == 0) &&
	         c->y->nsends == 0)
		gen_send(c);
	else if (strcmp(r, "bundle-order") == 0 && !c->install)
		gen_own_order(c);
	if (c->nanc == 0)
		return;
	if (c->install) {
		gen_install(c);
		if (strcmp(r, "issuer-not-found") == 0 || strcmp(r, "untrusted-root") == 0)
			trust_all(c);
	}
	if (strcmp(r, "issuer-not-found") == 0 || strcmp(r, "untrusted-root") == 0 ||
	    strcmp(r, "self-signed") == 0) {
		if (!c->install)
			gen_chain(c, r);
		gen_shadow(c);
	}
	else if (strcmp(r, "name-mismatch") == 0 || strcmp(r, "cn-only-no-san") == 0 ||
	         strcmp(r, "wildcard-not-allowed") == 0 || strcmp(r, "wildcard-missing") == 0)
		gen_name(c);
	else if (strcmp(r, "eku-server-auth-missing") == 0)
		gen_eku(c, 1);
	else if (strcmp(r, "eku-client-auth-missing") == 0)
		gen_eku(c, 0);
	else if (strcmp(r, "expired") == 0 || strcmp(r, "not-yet-valid") == 0)
		gen_validity(c);
	else if (strcmp(r, "insecure-algorithm") == 0)
		gen_attr(c, "hash", NULL, NULL, "with a SHA-256 signature");
	else if (strcmp(r, "key-size") == 0)
		gen_attr(c, "key", "rsa", "rsa-2048", "with an RSA-2048 key");
	else if (strcmp(r, "key-usage") == 0) {
		if (c->install)
			gen_ku_keep(c);
		gen_attr(c, "key-usage", NULL, NULL, "with the default key usage");
		gen_own_key_usage(c);
	}
	else if (strcmp(r, "leaf-is-ca") == 0)
		gen_attr(c, "basic-constraints", NULL, NULL, "as an end entity (cA=FALSE)");
	else if (strcmp(r, "bad-criticality") == 0)
		gen_attr(c, "critical", NULL, NULL, "with the default criticality");
	else if (strcmp(r, "unknown-critical-extension") == 0) {
		gen_critical_ext(c);
		gen_attr(c, "critical", NULL, NULL, "with only the extensions the device accepts "
		                                    "marked critical");
	} else if (strcmp(r, "bad-signature") == 0)
		gen_attr(c, "signed-with", NULL, NULL, "signed with its issuer's current key");
	else if (strcmp(r, "path-length") == 0)
		gen_pathlen(c);
	else if (strcmp(r, "signer-not-ca") == 0) {
		gen_reissue_from_ca(c);
		gen_ca_basic_constraints(c);
	}
	else if (strcmp(r, "name-constraints") == 0)
		gen_unconstrained(c);
	else if (strcmp(r, "subject-oid-unsupported") == 0)
		gen_subject_oids(c);
	else if (strcmp(r, "revoked") == 0)
		gen_unrevoke(c);
	else if (strcmp(r, "crl-expired") == 0 || strcmp(r, "revocation-unknown") == 0)
		gen_revocation_source(c);
}

/* A device that trusts one self-signed certificate per CN (trust-shadow.h):
 * the certificate of y's path that an earlier one with the same CN in x's
 * trust list shadows, re-issued with a CN of its own (the Expressway guide,
 * "Server Certificate Requirements for Unified Communications": the two
 * certificates "must have different common names"). */
static void
gen_shadow(struct ctx *c)
{
	const struct uctls_profile *p = x_profile(c);
	const struct uctls_certdef *cd, *by = NULL;
	const char *cn, *bcn;
	size_t i, j, k, l, bl;
	struct cand *kd;
	char *subj;

	for (i = 0; p != NULL && p->trust_one_per_subject && !c->jabber && i < c->nanc; i++) {
		cd = c->anc[i];
		for (j = 0; j < c->x->ntrusts && strcmp(c->x->trusts[j], cd->id) != 0; j++)
			;
		if (j == c->x->ntrusts || cd->issuer != NULL || (cn = cn_of(cd, &l)) == NULL)
			continue;
		/* an earlier self-signed certificate with the same CN */
		for (k = 0; k < j; k++)
			if ((by = uctls_scenario_cert(c->sc, c->x->trusts[k])) != NULL &&
			    by->issuer == NULL && (bcn = cn_of(by, &bl)) != NULL && bl == l &&
			    strncmp(bcn, cn, l) == 0 && strcmp(by->id, cd->id) != 0)
				break;
		if (k == j)
			continue;
		subj = fmt("%.*s%s-%s", (int)(cn - cd->subject), cd->subject, cd->id, cn);
		kd = cand_new(c, E_PEER, fmt("give the certificates distinct CNs: re-issue `%s' (%s) "
		                             "with a CN of its own (subject=\"%s\"); `%s', a "
		                             "self-signed certificate with the same CN earlier in %s's "
		                             "%s, shadows it", subject_of(cd), cd->id,
		                             subj != NULL ? subj : "", by->id, c->xname,
		                             trust_words(c)));
		edit_add(c, kd, cd->is_ca ? "ca" : "cert", cd->id, "subject", subj);
		free(subj);
		return;
	}
}

/* subject-oid-unsupported (ssh-subject.h): y's certificate re-issued
 * without the subject attributes x's SSH tunnel does not accept. */
static void
gen_subject_oids(struct ctx *c)
{
	const struct uctls_profile *p = x_profile(c);
	const struct uctls_certdef *cd = c->anc[0];
	char *subj = p != NULL ? uctls_ssh_subject_keep(p->ssh_subject_oids, cd->subject) : NULL;
	struct cand *k;

	if (subj == NULL)
		return;
	k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) without the subject attributes %s's SSH "
	                          "tunnel does not accept (subject=\"%s\")", subject_of(cd), cd->id,
	                          c->xname, subj));
	edit_add(c, k, cd->is_ca ? "ca" : "cert", cd->id, "subject", subj);
	free(subj);
}

static void
gen_critical_ext(struct ctx *c)
{
	struct cand *k;
	size_t i, j;

	for (i = 0; i < c->nanc; i++)
		for (j = 0; j < c->anc[i]->nexts; j++)
			if (c->anc[i]->exts[j].critical) {
				k = cand_new(c, E_CA, fmt("re-issue `%s' (%s) with its extension %s marked "
				                    "non-critical", subject_of(c->anc[i]),
				                    c->anc[i]->id, c->anc[i]->exts[j].oid));
				edit_add(c, k, "extension", c->anc[i]->id, "critical", "no");
				return;
			}
}

/* The install step failed on X: what X was given to upload, from its
 * end-entity certificate up. */
static int
setup_install(struct ctx *c)
{
	const struct uctls_installdef *in = NULL;
	const struct uctls_certdef *cd = NULL;
	char *const *ids;
	size_t i, n;

	c->install = 1;
	c->x = c->y = uctls_scenario_peer(c->sc, c->fail->side);
	c->xname = c->fail->side;
	for (i = 0; c->x != NULL && i < c->sc->ninstalls; i++)
		if (strcmp(c->sc->installs[i].peer, c->x->id) == 0)
			in = &c->sc->installs[i];
	if (in != NULL && c->x != NULL) {
		/* an upload to a slot whose store is not the service's (store.h) */
		const struct uctls_profile *p = uctls_peer_profile(c->x);
		const char *st = uctls_store_for_slot(c->x, in->slot, &ids, &n);

		if (st != NULL && p != NULL && p->service_store != NULL &&
		    strcmp(st, p->service_store) != 0) {
			snprintf(c->store_id, sizeof(c->store_id), "%s %s", c->x->id, st);
			snprintf(c->store_words, sizeof(c->store_words), "%s store", st);
		}
	}
	if (in == NULL || in->file != NULL)
		return c->x != NULL;
	ids = in->ncerts > 0 ? in->certs : c->x->sends;
	n = in->ncerts > 0 ? in->ncerts : c->x->nsends;
	for (i = 0; i < n && cd == NULL; i++)
		if ((cd = uctls_scenario_cert(c->sc, ids[i])) != NULL && cd->is_ca)
			cd = NULL;
	for (; cd != NULL && c->nanc < MAX_ANC;
	     cd = cd->issuer != NULL ? uctls_scenario_cert(c->sc, cd->issuer) : NULL)
		c->anc[c->nanc++] = cd;
	return 1;
}

/* Who verified whom: X the failing side's configuration, Y the other
 * peer (for the MRA client, both are E: it verifies E with E's mra-
 * attributes); Y's leaf and its issuers from the scenario's PKI. */
static int
setup(struct ctx *c)
{
	const struct uctls_certdef *cd;
	char *const *sent;
	size_t i, nsent;

	if (strcmp(c->fail->step, "install") == 0)
		return setup_install(c);
	if (c->sc->npeers != 2)
		return 0;
	c->x = uctls_scenario_peer(c->sc, c->fail->side);
	c->xname = c->fail->side;
	if (c->x == NULL) {
		c->jabber = 1;
		for (i = 0; i < c->sc->npeers; i++)
			if (strcmp(c->sc->peers[i].role, "server") == 0)
				c->x = c->y = &c->sc->peers[i];
		if (c->x == NULL)
			return 0;
	} else {
		c->y = &c->sc->peers[c->x == &c->sc->peers[0] ? 1 : 0];
	}
	uctls_store_presented(c->y, c->x, &sent, &nsent); /* store.h: RSA or -ECDSA slot */
	if (nsent == 0)
		return 1;
	for (cd = uctls_scenario_cert(c->sc, sent[0]); cd != NULL && c->nanc < MAX_ANC;
	     cd = cd->issuer != NULL ? uctls_scenario_cert(c->sc, cd->issuer) : NULL) {
		c->anc[c->nanc++] = cd;
		if (cd->issuer == NULL || (c->nanc > 1 && cd == c->anc[c->nanc - 2]))
			break;
	}
	return 1;
}

/* A copy of ROOT with K's edits, or NULL when out of memory. */
static struct uctls_xml_node *
apply(const struct uctls_xml_node *root, const struct cand *k)
{
	struct uctls_xml_node *dom = uctls_xml_copy(root, NULL), *n;
	size_t i, j;
	int bad = dom == NULL;

	for (i = 0; i < k->ne && !bad; i++) {
		const struct edit *e = &k->e[i];

		if (strcmp(e->elem, "extension") == 0) {
			n = find_cert(dom, "cert", e->id);
			for (j = 0; n != NULL && j < n->nchildren && !bad; j++)
				if (strcmp(n->children[j]->name, "extension") == 0)
					bad = uctls_xml_set_attr(n->children[j], e->attr, e->value) < 0;
			continue;
		}
		n = strcmp(e->elem, "peer") == 0
		        ? slot_node(uctls_xml_find(dom, "peer", e->id), e->attr, e->value)
		    : strcmp(e->elem, "store") == 0   ? named_store(dom, e->id)
		    : strcmp(e->elem, "install") == 0 ? find_install(dom, e->id)
		                                      : find_cert(dom, e->elem, e->id);
		if (n != NULL)
			bad = uctls_xml_set_attr(n, e->attr, e->value) < 0;
	}
	if (bad) {
		uctls_xml_free(dom);
		return NULL;
	}
	return dom;
}

static void cand_clear(struct cand *k);

static int
step_index(const struct uctls_scenario *sc, const char *step)
{
	const struct uctls_family *f = uctls_family_find(sc->family);
	int i;

	for (i = 0; f != NULL && f->steps[i] != NULL; i++)
		if (strcmp(f->steps[i], step) == 0)
			return i;
	return -1;
}

/* Re-runs K's scenario; sets its rank and result.  When the failure moves
 * later, the changed scenario and its log stay in K (chain()). */
static int
verify_cand(struct ctx *c, struct cand *k, struct uctls_keypool *pool,
            const struct uctls_run_opts *opts)
{
	struct uctls_scenario *sc2 = NULL;
	struct uctls_log *log2 = NULL;
	const struct uctls_step *f2;
	struct uctls_err err;

	if ((k->dom = apply(c->root, k)) == NULL)
		return -1;
	uctls_err_clear(&err);
	if (uctls_scenario_load_dom(c->sc->file, k->dom, &sc2, &err) < 0 ||
	    uctls_engine_run(sc2, pool, opts, &log2, &err) < 0) {
		k->rank = 3;
		k->result = fmt("not verified: the changed scenario does not run (%s)", err.msg);
	} else if ((f2 = uctls_log_failure(log2)) == NULL) {
		k->rank = 0;
		k->result = strdup("verified: every step passes");
	} else {
		int later = step_index(c->sc, f2->step) > step_index(c->sc, c->fail->step);
		int same = strcmp(f2->step, c->fail->step) == 0 && strcmp(f2->side, c->fail->side) == 0 &&
		           strcmp(f2->reason, c->fail->reason) == 0;

		k->rank = later ? 1 : same ? 3 : 2;
		k->result = fmt("%s %s on %s: %s", same ? "does not help: still fails at"
		                                   : later ? "moves the failure to"
		                                           : "changes the failure to",
		                f2->step, f2->side, f2->reason);
		if (later) {
			k->sc2 = sc2;
			k->log2 = log2;
			sc2 = NULL;
			log2 = NULL;
		}
	}
	uctls_log_free(log2);
	uctls_scenario_free(sc2);
	return k->result != NULL ? 0 : -1;
}

/* No single change passes, but K moves the failure later: the fixes of
 * the failure it moves to, derived on K's scenario, each applied after
 * K's own edits and verified from the original scenario (one level). */
static void
chain(struct ctx *c, const struct cand *k, struct uctls_keypool *pool,
      const struct uctls_run_opts *opts)
{
	struct ctx *c2 = calloc(1, sizeof(*c2));
	struct cand *n;
	size_t i, j;

	if (c2 == NULL) {
		c->oom = 1;
		return;
	}
	c2->sc = k->sc2;
	c2->root = k->dom;
	c2->fail = uctls_log_failure(k->log2);
	if (c2->fail != NULL && c2->fail->reason != NULL && setup(c2))
		generate(c2);
	c->oom |= c2->oom;
	for (i = 0; i < c2->n && !c->oom; i++) {
		if (k->ne + c2->c[i].ne > MAX_EDITS ||
		    (n = cand_new(c, c2->c[i].effort > k->effort ? c2->c[i].effort : k->effort,
		                  fmt("%s, and %s", k->what, c2->c[i].what))) == NULL)
			continue;
		for (j = 0; j < k->ne; j++)
			edit_add(c, n, k->e[j].elem, k->e[j].id, k->e[j].attr, k->e[j].value);
		for (j = 0; j < c2->c[i].ne; j++)
			edit_add(c, n, c2->c[i].e[j].elem, c2->c[i].e[j].id, c2->c[i].e[j].attr,
			         c2->c[i].e[j].value);
		if (!c->oom && verify_cand(c, n, pool, opts) < 0)
			c->oom = 1;
	}
	for (i = 0; i < c2->n; i++)
		cand_clear(&c2->c[i]);
	free(c2);
}

/* The best passing fix's tree, with <expect result="pass"/>. */
static struct uctls_xml_node *
best_tree(struct cand *k)
{
	struct uctls_xml_node *dom = k->dom, *ex = uctls_xml_find(dom, "expect", NULL);
	static const char *const drop[] = { "fail-at", "side", "reason", "other", NULL };
	size_t i;

	for (i = 0; ex != NULL && drop[i] != NULL; i++)
		uctls_xml_set_attr(ex, drop[i], NULL);
	if (ex != NULL && uctls_xml_set_attr(ex, "result", "pass") < 0)
		return NULL;
	k->dom = NULL;
	return dom;
}

static void
cand_clear(struct cand *k)
{
	size_t i;

	free(k->what);
	free(k->result);
	uctls_xml_free(k->dom);
	uctls_log_free(k->log2);
	uctls_scenario_free(k->sc2);
	for (i = 0; i < k->ne; i++) {
		free(k->e[i].id);
		free(k->e[i].value);
	}
}

/* Best first: by what re-running showed (rank), then by effort, then in
 * the order the candidates were derived (a stable insertion sort). */
static void
order(struct ctx *c)
{
	struct cand t;
	size_t i, j;

	for (i = 1; i < c->n; i++) {
		t = c->c[i];
		for (j = i; j > 0 && (c->c[j - 1].rank > t.rank ||
		                      (c->c[j - 1].rank == t.rank && c->c[j - 1].effort > t.effort));
		     j--)
			c->c[j] = c->c[j - 1];
		c->c[j] = t;
	}
}

/* A peer that misbehaves on purpose (<misbehave>, misbehave.h) causes the
 * failure: no edit of the certificates or the configuration fixes it, and
 * --fix (WANT_TREE) writes nothing but says why. */
static int
misbehave_no_fix(const struct uctls_scenario *sc, const struct uctls_peerdef *pd,
                 struct uctls_log *log, int want_tree, struct uctls_err *err)
{
	char what[160], msg[400];

	snprintf(msg, sizeof(msg),
	         "the failure comes from <misbehave what=\"%s\"> on peer %s (line %d), which %s; "
	         "no configuration change fixes it",
	         uctls_misbehave_name(pd->misbehave.what), pd->id, pd->misbehave.line,
	         uctls_misbehave_describe(&pd->misbehave, strcmp(pd->role, "server") == 0, what,
	                                  sizeof(what)));
	if (uctls_log_add_fix(log, msg, 0, "not re-run: a deliberate misbehaviour") < 0)
		return uctls_err_set(err, "verifying fixes: out of memory");
	if (want_tree)
		return uctls_err_set(err, "%s: --fix: %s; nothing written", sc->file, msg);
	return 0;
}

int
uctls_fix_find(const struct uctls_scenario *sc, const struct uctls_xml_node *root,
               struct uctls_log *log, struct uctls_keypool *pool,
               const struct uctls_run_opts *opts, struct uctls_xml_node **best,
               struct uctls_err *err)
{
	struct ctx c;
	struct uctls_run_opts o;
	size_t i, j, first;
	int rv = -1;

	if (best != NULL)
		*best = NULL;
	memset(&c, 0, sizeof(c));
	c.sc = sc;
	c.root = root;
	c.fail = uctls_log_failure(log);
	for (i = 0; c.fail != NULL && i < sc->npeers; i++)
		if (sc->peers[i].misbehave.what != UCTLS_MB_NONE)
			return misbehave_no_fix(sc, &sc->peers[i], log, best != NULL, err);
	if (c.fail == NULL || c.fail->reason == NULL || !setup(&c))
		return 0;
	generate(&c);
	/* Re-runs stay in this process: no key log, no real peer. */
	memset(&o, 0, sizeof(o));
	o.timeout_ms = opts != NULL ? opts->timeout_ms : 0;
	for (i = 0; i < c.n && !c.oom; i++)
		if (verify_cand(&c, &c.c[i], pool, &o) < 0)
			c.oom = 1;
	first = c.n;
	for (i = 0; i < first && !c.oom && c.c[i].rank != 0; i++)
		;
	for (j = 0; i == first && j < first && !c.oom; j++)
		if (c.c[j].rank == 1)
			chain(&c, &c.c[j], pool, &o);
	if (c.oom) {
		uctls_err_set(err, "verifying fixes: out of memory");
		goto out;
	}
	order(&c);
	for (i = 0; i < c.n; i++)
		if (uctls_log_add_fix(log, c.c[i].what, c.c[i].rank == 0, c.c[i].result) < 0) {
			uctls_err_set(err, "verifying fixes: out of memory");
			goto out;
		}
	if (best != NULL && c.n > 0 && c.c[0].rank == 0 && (*best = best_tree(&c.c[0])) == NULL) {
		uctls_err_set(err, "verifying fixes: out of memory");
		goto out;
	}
	rv = 0;
out:
	for (i = 0; i < c.n; i++)
		cand_clear(&c.c[i]);
	return rv;
}
