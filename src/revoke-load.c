/* uctls — the scenario side of revocation (revoke.h): <crl> and <ocsp> of
 * <pki>, the crl=/ocsp= URLs of certificates and the revocation attributes
 * of <peer>, loaded into struct uctls_revdef. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "revoke-int.h"
#include "scenario.h"
#include "xml.h"
#include "strv.h"

static const char *const crl_attrs[] = { "id", "issuer", "url", "revoked", "this-update",
	                                 "next-update", "signed-with", "down", NULL };
static const char *const ocsp_attrs[] = { "id", "issuer", "url", "revoked", "unknown",
	                                  "this-update", "next-update", "signed-with",
	                                  "down", "get", NULL };

int
uctls_revoke_is_pki_child(const char *name)
{
	return strcmp(name, "crl") == 0 || strcmp(name, "ocsp") == 0;
}

void
uctls_revdef_free(struct uctls_revdef *rd)
{
	size_t i;

	if (rd == NULL)
		return;
	for (i = 0; i < rd->ncrls; i++) {
		struct uctls_crldef *c = &rd->crls[i];

		free(c->id);
		free(c->issuer);
		free(c->url);
		free(c->signed_with);
		uctls_strv_free(c->revoked, c->nrevoked);
	}
	for (i = 0; i < rd->nocsps; i++) {
		struct uctls_ocspdef *o = &rd->ocsps[i];

		free(o->id);
		free(o->issuer);
		free(o->url);
		free(o->signed_with);
		uctls_strv_free(o->revoked, o->nrevoked);
		uctls_strv_free(o->unknown, o->nunknown);
	}
	for (i = 0; i < rd->npeers; i++)
		free(rd->peers[i].peer);
	free(rd->crls);
	free(rd->ocsps);
	free(rd->peers);
	free(rd);
}

static struct uctls_revdef *
revdef(struct uctls_scenario *sc)
{
	if (sc->rev == NULL)
		sc->rev = calloc(1, sizeof(*sc->rev));
	return sc->rev;
}

/* An http:// URL (the responder serves no https: RFC 5280 4.2.1.13 and RFC
 * 6960 A.1 fetch CRLs and OCSP over HTTP, the data being signed). */
static int
check_url(const struct uctls_scenario *sc, int line, const char *attr, const char *url,
          struct uctls_err *err)
{
	char *auth, *host, *path;
	const char *why;

	if (strncmp(url, "http://", 7) != 0)
		return uctls_err_at(err, sc->file, line, "%s `%s' is not an http:// URL (CRLs and "
		                    "OCSP are fetched over HTTP: RFC 5280 4.2.1.13, RFC 6960 A.1)",
		                    attr, url);
	if (uctls_http_url(url, &auth, &host, &path, &why) < 0)
		return uctls_err_at(err, sc->file, line, "%s `%s': %s", attr, url, why);
	free(auth);
	free(host);
	free(path);
	return 0;
}

/* A space-separated list of certificate ids of SC. */
static int
load_ids(const struct uctls_scenario *sc, const struct uctls_xml_node *n, const char *attr,
         char ***out, size_t *nout, struct uctls_err *err)
{
	const char *v = uctls_xml_attr(n, attr), *p, *e;
	char *id, **nv;

	if (v == NULL)
		return 0;
	for (p = v; *p != '\0'; p = e) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t' && *e != '\n'; e++)
			;
		if ((id = strndup(p, (size_t)(e - p))) == NULL)
			return uctls_err_set(err, "out of memory");
		if (uctls_scenario_cert(sc, id) == NULL) {
			uctls_err_at(err, sc->file, n->line, "<%s>: %s names `%s', which is not a "
			             "<ca> or <cert> of <pki>", n->name, attr, id);
			free(id);
			return -1;
		}
		if ((nv = realloc(*out, (*nout + 1) * sizeof(*nv))) == NULL) {
			free(id);
			return uctls_err_set(err, "out of memory");
		}
		*out = nv;
		nv[(*nout)++] = id;
	}
	return 0;
}

static int
load_time(const struct uctls_scenario *sc, const struct uctls_xml_node *n, const char *attr,
          const char *dflt, time_t *out, struct uctls_err *err)
{
	const char *v = uctls_xml_attr(n, attr);
	int r = uctls_scenario_parse_time(v != NULL ? v : dflt, sc->now, out);

	if (r == -1)
		return uctls_err_at(err, sc->file, n->line, "<%s>: %s `%s' is not a date; expected "
		                    "YYYY-MM-DDTHH:MM:SSZ or [+|-]N followed by s, m, h or d", n->name,
		                    attr, v);
	if (r == -2)
		return uctls_err_at(err, sc->file, n->line, "<%s>: %s `%s' is outside the years "
		                    "1950 to 9999", n->name, attr, v != NULL ? v : dflt);
	return 0;
}

/* The attributes <crl> and <ocsp> share: id, issuer, url, signed-with, down. */
static int
load_common(struct uctls_scenario *sc, const struct uctls_xml_node *n, char **id,
            char **issuer, char **url, char **signed_with, int *down, struct uctls_err *err)
{
	const char *v;
	char dflt[256];
	const struct uctls_certdef *cd;

	if ((v = uctls_xml_attr(n, "id")) == NULL || *v == '\0')
		return uctls_err_at(err, sc->file, n->line, "<%s>: missing id", n->name);
	if (uctls_scenario_cert(sc, v) != NULL)
		return uctls_err_at(err, sc->file, n->line, "<%s>: id `%s' is already a certificate's",
		                    n->name, v);
	if ((*id = strdup(v)) == NULL)
		return uctls_err_set(err, "out of memory");
	if ((v = uctls_xml_attr(n, "issuer")) == NULL)
		return uctls_err_at(err, sc->file, n->line, "<%s id=\"%s\">: missing issuer (the CA "
		                    "that signs it)", n->name, *id);
	if ((cd = uctls_scenario_cert(sc, v)) == NULL)
		return uctls_err_at(err, sc->file, n->line, "<%s id=\"%s\">: unknown issuer `%s'",
		                    n->name, *id, v);
	if ((*issuer = strdup(v)) == NULL)
		return uctls_err_set(err, "out of memory");
	snprintf(dflt, sizeof(dflt), "http://pki.example/%s%s", *id,
	         strcmp(n->name, "crl") == 0 ? ".crl" : "");
	v = uctls_xml_attr(n, "url");
	if (check_url(sc, n->line, "url", v != NULL ? v : dflt, err) < 0)
		return -1;
	if ((*url = strdup(v != NULL ? v : dflt)) == NULL)
		return uctls_err_set(err, "out of memory");
	if ((v = uctls_xml_attr(n, "signed-with")) != NULL) {
		if (uctls_scenario_cert(sc, v) == NULL)
			return uctls_err_at(err, sc->file, n->line, "<%s id=\"%s\">: unknown "
			                    "signed-with `%s'", n->name, *id, v);
		if ((*signed_with = strdup(v)) == NULL)
			return uctls_err_set(err, "out of memory");
	}
	/* down="hold": the connection is accepted and never answered, so the
	 * fetch ends at the timeout (a responder behind a firewall that drops,
	 * or a hung server), not at a close */
	v = uctls_xml_attr(n, "down");
	if (v != NULL && strcmp(v, "yes") != 0 && strcmp(v, "no") != 0 && strcmp(v, "hold") != 0)
		return uctls_err_at(err, sc->file, n->line, "<%s id=\"%s\">: down `%s'; expected "
		                    "yes, hold or no", n->name, *id, v);
	*down = v == NULL || strcmp(v, "no") == 0 ? 0
	        : strcmp(v, "yes") == 0           ? UCTLS_DOWN_CLOSE
	                                          : UCTLS_DOWN_HOLD;
	return 0;
}

static int
check_attrs(const struct uctls_scenario *sc, const struct uctls_xml_node *n,
            const char *const *ok, struct uctls_err *err)
{
	size_t i, k;

	for (i = 0; i < n->nattrs; i++) {
		for (k = 0; ok[k] != NULL && strcmp(ok[k], n->attrs[i].name) != 0; k++)
			;
		if (ok[k] == NULL)
			return uctls_err_at(err, sc->file, n->line, "unknown attribute `%s' on <%s>",
			                    n->attrs[i].name, n->name);
	}
	if (n->nchildren > 0)
		return uctls_err_at(err, sc->file, n->children[0]->line, "<%s> takes no children",
		                    n->name);
	return 0;
}

static int
load_crl(struct uctls_scenario *sc, const struct uctls_xml_node *n, struct uctls_crldef *c,
         struct uctls_err *err)
{
	c->line = n->line;
	if (check_attrs(sc, n, crl_attrs, err) < 0 ||
	    load_common(sc, n, &c->id, &c->issuer, &c->url, &c->signed_with, &c->down, err) < 0 ||
	    load_ids(sc, n, "revoked", &c->revoked, &c->nrevoked, err) < 0 ||
	    load_time(sc, n, "this-update", "-1d", &c->this_update, err) < 0 ||
	    load_time(sc, n, "next-update", "+7d", &c->next_update, err) < 0)
		return -1;
	return 0;
}

static int pick(const char *v, const char *a, const char *b);

static int
load_ocsp(struct uctls_scenario *sc, const struct uctls_xml_node *n, struct uctls_ocspdef *o,
          struct uctls_err *err)
{
	o->line = n->line;
	if (check_attrs(sc, n, ocsp_attrs, err) < 0 ||
	    load_common(sc, n, &o->id, &o->issuer, &o->url, &o->signed_with, &o->down, err) < 0 ||
	    load_ids(sc, n, "revoked", &o->revoked, &o->nrevoked, err) < 0 ||
	    load_ids(sc, n, "unknown", &o->unknown, &o->nunknown, err) < 0 ||
	    load_time(sc, n, "this-update", "-1h", &o->this_update, err) < 0 ||
	    load_time(sc, n, "next-update", "+1d", &o->next_update, err) < 0)
		return -1;
	/* get="no": a responder that takes POST only (RFC 6960 A.1 allows
	 * both; RFC 5019 5 wants GET taken) */
	if ((o->no_get = pick(uctls_xml_attr(n, "get"), "no", "yes")) < 0)
		return uctls_err_at(err, sc->file, n->line, "<ocsp id=\"%s\">: get `%s'; expected "
		                    "yes or no", o->id, uctls_xml_attr(n, "get"));
	o->no_get = o->no_get == 1;
	return 0;
}

/* Ids unique among <crl>/<ocsp>, URLs served once. */
static int
check_unique(const struct uctls_scenario *sc, const char *id, const char *url, int line,
             struct uctls_err *err)
{
	const struct uctls_revdef *rd = sc->rev;
	size_t i, n = rd->ncrls + rd->nocsps;

	for (i = 0; i + 1 < n; i++) {
		const char *oid = i < rd->ncrls ? rd->crls[i].id : rd->ocsps[i - rd->ncrls].id;
		const char *ourl = i < rd->ncrls ? rd->crls[i].url : rd->ocsps[i - rd->ncrls].url;

		if (strcmp(oid, id) == 0)
			return uctls_err_at(err, sc->file, line, "duplicate id `%s'", id);
		if (strcmp(ourl, url) == 0)
			return uctls_err_at(err, sc->file, line, "url `%s' is served by `%s' already",
			                    url, oid);
	}
	return 0;
}

static int
load_cert_urls(struct uctls_scenario *sc, struct uctls_err *err)
{
	size_t i;

	for (i = 0; i < sc->ncerts; i++) {
		const struct uctls_certdef *cd = &sc->certs[i];

		if (cd->crl_url == NULL && cd->ocsp_url == NULL)
			continue;
		if (cd->file != NULL)
			return uctls_err_at(err, sc->file, cd->line, "<%s id=\"%s\">: crl= and ocsp= "
			                    "need a generated certificate (a loaded one carries its "
			                    "own)", cd->is_ca ? "ca" : "cert", cd->id);
		if ((cd->crl_url != NULL && check_url(sc, cd->line, "crl", cd->crl_url, err) < 0) ||
		    (cd->ocsp_url != NULL && check_url(sc, cd->line, "ocsp", cd->ocsp_url, err) < 0))
			return -1;
		if (revdef(sc) == NULL)
			return uctls_err_set(err, "out of memory");
		sc->rev->urls = 1;
	}
	return 0;
}

int
uctls_revoke_load_pki(struct uctls_scenario *sc, const struct uctls_xml_node *const *nodes,
                      size_t n, struct uctls_err *err)
{
	size_t i;

	if (load_cert_urls(sc, err) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (revdef(sc) == NULL || (sc->rev->crls = calloc(n, sizeof(*sc->rev->crls))) == NULL ||
	    (sc->rev->ocsps = calloc(n, sizeof(*sc->rev->ocsps))) == NULL)
		return uctls_err_set(err, "out of memory");
	for (i = 0; i < n; i++) {
		const struct uctls_xml_node *c = nodes[i];
		int is_crl = strcmp(c->name, "crl") == 0;

		if (!uctls_revoke_is_pki_child(c->name))
			return uctls_err_at(err, sc->file, c->line, "<%s> after <crl>/<ocsp> in <pki>; "
			                    "every <ca> and <cert> comes first", c->name);
		if (is_crl ? load_crl(sc, c, &sc->rev->crls[sc->rev->ncrls++], err)
		           : load_ocsp(sc, c, &sc->rev->ocsps[sc->rev->nocsps++], err))
			return -1;
		if (check_unique(sc, is_crl ? sc->rev->crls[sc->rev->ncrls - 1].id
		                            : sc->rev->ocsps[sc->rev->nocsps - 1].id,
		                 is_crl ? sc->rev->crls[sc->rev->ncrls - 1].url
		                        : sc->rev->ocsps[sc->rev->nocsps - 1].url,
		                 c->line, err) < 0)
			return -1;
	}
	return 0;
}

/* revocation="crl,ocsp,staple" or "none". */
static int
parse_sources(const char *v, unsigned *out)
{
	static const struct { const char *w; unsigned bit; } words[] = {
		{ "crl", UCTLS_REV_CRL }, { "ocsp", UCTLS_REV_OCSP }, { "staple", UCTLS_REV_STAPLE },
		{ "none", 0 },
	};
	const char *p = v, *e;
	size_t i, len;

	*out = 0;
	while (*p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].w) == len && strncmp(words[i].w, p, len) == 0)
				break;
		if (i == sizeof(words) / sizeof(words[0]) || (words[i].bit == 0 && *out != 0))
			return -1;
		*out |= words[i].bit;
		p = e != NULL ? e + 1 : p + len;
	}
	return 0;
}

static int
pick(const char *v, const char *a, const char *b)
{
	return v == NULL ? 0 : strcmp(v, a) == 0 ? 1 : strcmp(v, b) == 0 ? 2 : -1;
}

int
uctls_revoke_load_peer(struct uctls_scenario *sc, const struct uctls_xml_node *n,
                       const char *peer_id, struct uctls_err *err)
{
	const char *src = uctls_xml_attr(n, "revocation"), *fb, *sco, *st;
	struct uctls_revpeer rp, *np;

	memset(&rp, 0, sizeof(rp));
	fb = uctls_xml_attr(n, "revocation-fallback");
	sco = uctls_xml_attr(n, "revocation-scope");
	st = uctls_xml_attr(n, "staple");
	if (src == NULL && fb == NULL && sco == NULL && st == NULL)
		return 0;
	rp.line = n->line;
	if (src != NULL && (rp.has_sources = 1, parse_sources(src, &rp.sources) < 0))
		return uctls_err_at(err, sc->file, n->line, "revocation `%s'; expected none or a "
		                    "comma-separated list of crl, ocsp, staple", src);
	if ((rp.fallback = pick(fb, "revoked", "not-revoked")) < 0)
		return uctls_err_at(err, sc->file, n->line, "revocation-fallback `%s'; expected "
		                    "revoked or not-revoked", fb);
	if ((rp.scope = pick(sco, "leaf", "all")) < 0)
		return uctls_err_at(err, sc->file, n->line, "revocation-scope `%s'; expected leaf "
		                    "or all", sco);
	if ((rp.staple = pick(st, "yes", "no")) < 0)
		return uctls_err_at(err, sc->file, n->line, "staple `%s'; expected yes or no", st);
	rp.staple = rp.staple == 1;
	if (rp.staple && (sc->rev == NULL || sc->rev->nocsps == 0))
		return uctls_err_at(err, sc->file, n->line, "staple=\"yes\" needs an <ocsp> in <pki> "
		                    "for the issuer of the certificate the peer sends first: the "
		                    "answer it staples");
	if (revdef(sc) == NULL ||
	    (np = realloc(sc->rev->peers, (sc->rev->npeers + 1) * sizeof(*np))) == NULL)
		return uctls_err_set(err, "out of memory");
	sc->rev->peers = np;
	if ((rp.peer = strdup(peer_id)) == NULL)
		return uctls_err_set(err, "out of memory");
	np[sc->rev->npeers++] = rp;
	return 0;
}
