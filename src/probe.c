/* uctls — probing a live server: the scenario a probe runs, and the runs
 * (probe.h).  The handshake, the verification and the steps are the
 * engine's (engine.h, --remote): nothing here speaks TLS. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "engine.h"
#include "family.h"
#include "fileio.h"
#include "pki.h"
#include "probe.h"
#include "scenario.h"
#include "xml.h"

/* Our name when --from is not given (RFC 6761 6.4: .invalid never resolves). */
#define PROBE_FROM "probe.uctls.invalid"

unsigned
uctls_probe_default_port(const char *family)
{
	static const struct {
		const char *family;
		unsigned port;
	} ports[] = { { "tls", 443 }, { "sip-trunk", 5061 }, { "xmpp-s2s", 5269 },
		      { "traversal", 7001 } };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strcmp(ports[i].family, family) == 0)
			return ports[i].port;
	return 0;
}

/* VALUE escaped for an attribute in double quotes. */
void
uctls_probe_put_attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	for (; *value != '\0'; value++) {
		switch (*value) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\t': fputs("&#9;", f); break;
		default: fputc(*value, f);
		}
	}
	fputc('"', f);
}

static const char *
probe_from(const struct uctls_probe_opts *o)
{
	return o->from != NULL ? o->from : PROBE_FROM;
}

/* The number of certificates in the PEM file PATH (at least one), or -1
 * with ERR. */
static int
count_certs(const char *path, struct uctls_err *err)
{
	unsigned char *data = NULL;
	size_t len;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0, i;
	gnutls_datum_t d;
	int ret;

	if (uctls_file_read(path, UCTLS_FILE_MAX_PEM, &data, &len, err) < 0)
		return -1;
	d.data = data;
	d.size = (unsigned)len;
	ret = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	free(data);
	if (ret < 0 || n == 0)
		return uctls_err_set(err, "%s: no PEM certificate in it%s%s", path,
		                     ret < 0 ? ": " : "", ret < 0 ? gnutls_strerror(ret) : "");
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return (int)n > 1000 ? uctls_err_set(err, "%s: more than 1000 certificates", path) : (int)n;
}

/* <ca id="trust-F-I" file=PATH index=I/> for every certificate of every
 * trust file; the ids, space-separated, into TRUSTS (malloc'd). */
static int
put_trust(FILE *f, const struct uctls_probe_opts *o, char **trusts, struct uctls_err *err)
{
	char *abs, *t = NULL;
	size_t tl = 0, i;
	FILE *ids = open_memstream(&t, &tl);
	int n, k;

	if (ids == NULL)
		return uctls_err_set(err, "out of memory");
	for (i = 0; i < o->ntrust; i++) {
		if ((n = count_certs(o->trust_files[i], err)) < 0)
			break;
		abs = realpath(o->trust_files[i], NULL);
		for (k = 1; k <= n; k++) {
			fprintf(f, "    <ca id=\"trust-%zu-%d\"", i + 1, k);
			uctls_probe_put_attr(f, "file", abs != NULL ? abs : o->trust_files[i]);
			fprintf(f, " index=\"%d\"/>\n", k);
			fprintf(ids, "%strust-%zu-%d", ftell(ids) > 0 ? " " : "", i + 1, k);
		}
		free(abs);
	}
	fclose(ids);
	if (err->set) {
		free(t);
		return -1;
	}
	*trusts = t;
	return 0;
}

/* Our client certificate: the user's (--cert, --key: every certificate of
 * the file is sent, in order), or one issued by a CA of the probe's own for
 * our name. */
int
uctls_probe_put_client_pki(FILE *f, const struct uctls_probe_opts *o, struct uctls_err *err)
{
	const char *from = probe_from(o);
	char *abs, *kabs, san[600];
	int n, k;

	/* The CA the server-role peer trusts (the probe's own: a real server
	 * has its own trust; in a save, the simulated server accepts us). */
	fputs("    <ca id=\"probe-ca\" subject=\"CN=uctls probe client CA\"/>\n", f);
	if (o->cert_file == NULL) {
		fputs("    <cert id=\"probe-client\" issuer=\"probe-ca\"", f);
		snprintf(san, sizeof(san), "CN=%s", from);
		uctls_probe_put_attr(f, "subject", san);
		snprintf(san, sizeof(san), "DNS:%s%s%s", from,
		         strcmp(o->family, "xmpp-s2s") == 0 ? ",XMPP:" : "",
		         strcmp(o->family, "xmpp-s2s") == 0 ? from : "");
		uctls_probe_put_attr(f, "san", san);
		fputs("/>\n", f);
		return 0;
	}
	if ((n = count_certs(o->cert_file, err)) < 0)
		return -1;
	abs = realpath(o->cert_file, NULL);
	kabs = realpath(o->key_file, NULL);
	for (k = 1; k <= n; k++) {
		/* probe-client, then probe-client-2, -3 ... for the chain */
		if (k == 1)
			fputs("    <cert id=\"probe-client\"", f);
		else
			fprintf(f, "    <ca id=\"probe-client-%d\"", k);
		uctls_probe_put_attr(f, "file", abs != NULL ? abs : o->cert_file);
		fprintf(f, " index=\"%d\"", k);
		if (k == 1)
			uctls_probe_put_attr(f, "key-file", kabs != NULL ? kabs : o->key_file);
		fputs("/>\n", f);
	}
	free(abs);
	free(kabs);
	return 0;
}

/* What our client sends: the ids of uctls_probe_put_client_pki's certificates
 * (which has read the file: it counts the same, or failed first). */
static void
put_client_sends(FILE *f, const struct uctls_probe_opts *o)
{
	struct uctls_err ignored;
	int n, k;

	uctls_err_clear(&ignored);
	n = o->cert_file != NULL ? count_certs(o->cert_file, &ignored) : 1;
	fputs(" sends=\"probe-client", f);
	for (k = 2; k <= n; k++)
		fprintf(f, " probe-client-%d", k);
	fputc('"', f);
}

/* The MRA leg (probe.h): the Jabber client of Mobile and Remote Access.
 * Cisco Expressway IP Port Usage Configuration Guide: the Expressway-E
 * listens for MRA clients on TCP 8443 (HTTPS).  The client checks that the
 * service domain, or collab-edge.<domain>, is a name of the Expressway-E
 * certificate, with profile jabber's rules (doc 221624, as the traversal
 * family's mra-edge step); it presents no certificate.  Its first request
 * to the edge is for the edge configuration, GET /<domain in Base64>/
 * get_edge_config ("Mobile and Remote Access Through Cisco Expressway
 * Deployment Guide", X14.0, "SAML SSO Authentication Over the Edge":
 * /get_edge_sso, then /get_edge_config; docs/field.md), which an
 * Expressway-E answers 401 until the user signs in. */
#define MRA_PORT 8443

struct mra_keep {
	const char *names[2];
	const char *profiles[2];
	char edge[300];
};

int
uctls_probe_mra_opts(const struct uctls_probe_opts *o, struct uctls_probe_opts *mo, char **keep)
{
	struct mra_keep *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return -1;
	*mo = *o;
	snprintf(k->edge, sizeof(k->edge), "collab-edge.%s", o->mra_domain);
	k->names[0] = o->mra_domain;
	k->names[1] = k->edge;
	k->profiles[0] = UCTLS_PROBE_MRA_PROFILE;
	mo->family = "https";
	mo->port = o->mra_port != 0 ? o->mra_port : MRA_PORT;
	mo->names = k->names;
	mo->nnames = 1; /* the second, collab-edge, is the URL's host */
	mo->profiles = k->profiles;
	mo->nprofiles = 1;
	mo->cert_file = mo->key_file = NULL;
	mo->step_addrs = NULL;
	mo->jabber = 1;
	*keep = (char *)k;
	return 0;
}

void
uctls_probe_put_profiles(FILE *f, const struct uctls_probe_opts *o)
{
	if (!o->jabber)
		return;
	fputs("  <profile id=\"" UCTLS_PROBE_MRA_PROFILE "\" base=\"jabber\" family=\"https\"\n"
	      "           describe=\"Cisco Jabber over MRA (profile jabber) fetching its edge "
	      "configuration from Expressway-E\"/>\n",
	      f);
}

/* The Jabber client's URL: https://collab-edge.D:PORT/B64(D)/get_edge_config
 * (Base64 of RFC 4648 section 5, without padding). */
static void
put_mra_url(FILE *f, const struct uctls_probe_opts *o)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *d = (const unsigned char *)o->mra_domain;
	size_t n = strlen(o->mra_domain), i;
	char url[1200];
	int k = snprintf(url, sizeof(url), "https://%s:%u/", o->names[1], o->port);

	for (i = 0; i < n && k + 5 < (int)sizeof(url) - 80; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
		             (i + 2 < n ? d[i + 2] : 0);

		url[k++] = b64[v >> 18 & 63];
		url[k++] = b64[v >> 12 & 63];
		if (i + 1 < n)
			url[k++] = b64[v >> 6 & 63];
		if (i + 2 < n)
			url[k++] = b64[v & 63];
	}
	snprintf(url + k, sizeof(url) - (size_t)k,
	         "/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin");
	uctls_probe_put_attr(f, "url", url);
}

/* The names the client expects of the server: --name, else --to, else the host. */
static void
put_names(FILE *f, const struct uctls_probe_opts *o, const char *attr)
{
	char *s = NULL;
	size_t l = 0, i;
	FILE *m = open_memstream(&s, &l);

	if (m == NULL)
		return;
	if (o->nnames == 0)
		fputs(o->to != NULL ? o->to : o->host, m);
	for (i = 0; i < o->nnames; i++)
		fprintf(m, "%s%s", i > 0 ? "," : "", o->names[i]);
	fclose(m);
	if (s != NULL)
		uctls_probe_put_attr(f, attr, s);
	free(s);
}

int
uctls_probe_put_peers(FILE *f, const struct uctls_probe_opts *o, const char *profile,
                      const char *client_trusts, const char *server_attrs)
{
	const struct uctls_family *fam = uctls_family_find(o->family);
	const char *from = probe_from(o);
	int x = strcmp(o->family, "xmpp-s2s") == 0;

	if (fam == NULL)
		return -1;
	fprintf(f, "  <peer id=\"%s\" role=\"client\"", fam->peer_id[0]);
	uctls_probe_put_attr(f, "profile", profile);
	if (!o->jabber)
		put_client_sends(f, o);
	uctls_probe_put_attr(f, "trusts", client_trusts);
	if (o->jabber) {
		put_names(f, o, "verify-name");
		put_mra_url(f, o);
		fprintf(f, "/>\n  <peer id=\"%s\" role=\"server\"%s/>\n", fam->peer_id[1],
		        server_attrs);
		return 0;
	}
	if (x) {
		uctls_probe_put_attr(f, "domain", from);
		uctls_probe_put_attr(f, "to", o->to != NULL ? o->to : o->host);
	} else {
		put_names(f, o, strcmp(o->family, "traversal") == 0 ? "peer-address" : "verify-name");
	}
	fprintf(f, "/>\n  <peer id=\"%s\" role=\"server\"%s", fam->peer_id[1], server_attrs);
	if (x)
		uctls_probe_put_attr(f, "domain", o->to != NULL ? o->to : o->host);
	else
		uctls_probe_put_attr(f, strcmp(o->family, "traversal") == 0 ? "tls-verify-name"
		                                                             : "verify-name",
		                     from);
	fputs("/>\n", f);
	return 0;
}

int
uctls_probe_xml(const struct uctls_probe_opts *o, const char *profile, char **xml,
                struct uctls_err *err)
{
	char *s = NULL, *trusts = NULL, now[32], name[300];
	size_t l = 0;
	FILE *f = open_memstream(&s, &l);
	struct tm tm;
	int rv = -1;

	if (f == NULL)
		return uctls_err_set(err, "out of memory");
	gmtime_r(&o->now, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(name, sizeof(name), strchr(o->host, ':') != NULL ? "probe/[%s]:%u" : "probe/%s:%u",
	         o->host, o->port);
	fputs("<scenario", f);
	uctls_probe_put_attr(f, "name", name);
	fprintf(f, " family=\"%s\">\n  <clock now=\"%s\"/>\n", o->family, now);
	uctls_probe_put_profiles(f, o);
	fputs("  <pki>\n", f);
	if (uctls_probe_put_client_pki(f, o, err) < 0 || put_trust(f, o, &trusts, err) < 0)
		goto out;
	fputs("  </pki>\n", f);
	/* The server is real: what it sends and trusts is its own. */
	if (uctls_probe_put_peers(f, o, profile, trusts, " trusts=\"probe-ca\"") < 0) {
		uctls_err_set(err, "unknown family `%s'", o->family);
		goto out;
	}
	fputs("</scenario>\n", f);
	rv = 0;
out:
	fclose(f);
	free(trusts);
	if (rv == 0)
		*xml = s;
	else
		free(s);
	return rv;
}

/* One run of the probe for PROFILE. */
static int
probe_one(const struct uctls_probe_opts *o, const char *profile, struct uctls_keypool *pool,
          struct uctls_log **log, struct uctls_err *err)
{
	const struct uctls_family *fam = uctls_family_find(o->family);
	struct uctls_xml_node *root = NULL;
	struct uctls_scenario *sc = NULL;
	struct uctls_run_opts ro;
	char *xml = NULL, addr[300];
	int rv = -1;

	if (fam == NULL)
		return uctls_err_set(err, "unknown family `%s'", o->family);
	if (uctls_probe_xml(o, profile, &xml, err) < 0)
		return -1;
	if (uctls_xml_load_buffer("probe", xml, strlen(xml), &root, err) < 0 ||
	    uctls_scenario_load_dom("probe", root, &sc, err) < 0)
		goto out;
	snprintf(addr, sizeof(addr), strchr(o->host, ':') != NULL ? "[%s]:%u" : "%s:%u", o->host,
	         o->port);
	memset(&ro, 0, sizeof(ro));
	ro.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	ro.remote_id = fam->peer_id[1];
	ro.remote_addr = addr;
	ro.step_addrs = o->step_addrs;
	rv = uctls_engine_run(sc, pool, &ro, log, err);
out:
	uctls_scenario_free(sc);
	uctls_xml_free(root);
	free(xml);
	return rv;
}

/* The MRA leg, after the zone's runs. */
static int
probe_mra(const struct uctls_probe_opts *o, struct uctls_keypool *pool, struct uctls_log **log,
          struct uctls_err *err)
{
	struct uctls_probe_opts mo;
	char *keep = NULL;
	int rv;

	if (uctls_probe_mra_opts(o, &mo, &keep) < 0)
		return uctls_err_set(err, "out of memory");
	rv = probe_one(&mo, UCTLS_PROBE_MRA_PROFILE, pool, log, err);
	free(keep);
	return rv;
}

int
uctls_probe_run(const struct uctls_probe_opts *o, struct uctls_probe_result *res,
                struct uctls_err *err)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	size_t i;

	memset(res, 0, sizeof(*res));
	if (pool == NULL || (res->logs = calloc(o->nprofiles, sizeof(*res->logs))) == NULL) {
		uctls_keypool_free(pool);
		return uctls_err_set(err, "out of memory");
	}
	for (i = 0; i < o->nprofiles; i++) {
		if (probe_one(o, o->profiles[i], pool, &res->logs[i], err) < 0) {
			uctls_keypool_free(pool);
			uctls_probe_result_clear(res);
			return -1;
		}
		res->nlogs = i + 1;
	}
	if (o->mra_domain != NULL && probe_mra(o, pool, &res->mra, err) < 0) {
		uctls_keypool_free(pool);
		uctls_probe_result_clear(res);
		return -1;
	}
	uctls_keypool_free(pool);
	return 0;
}

void
uctls_probe_result_clear(struct uctls_probe_result *res)
{
	size_t i;

	for (i = 0; i < res->nlogs; i++)
		uctls_log_free(res->logs[i]);
	free(res->logs);
	uctls_log_free(res->mra);
	memset(res, 0, sizeof(*res));
}
