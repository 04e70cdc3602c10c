/* uctls — `pki export --for openssl|gnutls': command lines for openssl
 * s_server/s_client and gnutls-serv/gnutls-cli (peerconf.h).
 *
 * Four shell scripts in DIR, one per tool and role, each playing the
 * scenario's peer of that role with its chain, key, trust list, TLS
 * versions and name, and README-PEER.txt.  The options are those of the
 * tools' manuals: openssl-s_server(1), openssl-s_client(1) (OpenSSL 3.0),
 * gnutls-serv(1) and gnutls-cli(1) (GnuTLS 3.7). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peerconf.h"
#include "profile.h"

/* The peer of the scenario with the TLS role SERVER (1) or client (0), or
 * NULL. */
static const struct uctls_peerdef *
role_peer(const struct uctls_scenario *sc, int server)
{
	for (size_t i = 0; i < sc->npeers; i++)
		if ((strcmp(sc->peers[i].role, "server") == 0) == server)
			return &sc->peers[i];
	return NULL;
}

/* Writes DIR/NAME (MODE) from the printf-style FMT. */
static int
put(const char *dir, const char *name, mode_t mode, struct uctls_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
put(const char *dir, const char *name, mode_t mode, struct uctls_err *err, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return uctls_err_set(err, "%s: write error", path);
	if (chmod(path, mode) < 0)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	return 0;
}

/* DIR/ID-extra.pem: what PD sends after its end-entity certificate (the
 * intermediates), for openssl's -cert_chain; DIR/<id>.pem come from
 * uctls_pki_export. */
static int
write_extra(const char *dir, const struct uctls_peerdef *pd, struct uctls_err *err)
{
	char path[4096], name[300];
	FILE *out, *in;
	size_t k, n;
	char buf[4096];

	snprintf(path, sizeof(path), "%s/%s-extra.pem", dir, pd->id);
	out = fopen(path, "w");
	if (out == NULL)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	for (k = 1; k < pd->nsends; k++) {
		snprintf(name, sizeof(name), "%s/%s.pem", dir, pd->sends[k]);
		in = fopen(name, "r");
		if (in == NULL) {
			fclose(out);
			return uctls_err_set(err, "%s: %s", name, strerror(errno));
		}
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, out);
		fclose(in);
	}
	if (fclose(out) != 0)
		return uctls_err_set(err, "%s: write error", path);
	return 0;
}

/* PD's key file must exist: a certificate loaded from a file without its
 * key cannot be played by a real peer. */
static int
check_key(const struct uctls_scenario *sc, const char *dir, const struct uctls_peerdef *pd,
          const char *peer, struct uctls_err *err)
{
	char path[4096];

	if (pd->nsends == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.key", dir, pd->sends[0]);
	if (access(path, R_OK) < 0)
		return uctls_err_at(err, sc->file, pd->line,
		                    "--for %s: peer %s sends `%s', whose private key is not in the "
		                    "scenario (%s: %s)", peer, pd->id, pd->sends[0], path,
		                    strerror(errno));
	return 0;
}

/* TLS versions of PD as openssl options. */
static const char *
ossl_versions(const struct uctls_peerdef *pd)
{
	if (pd->tls == NULL || (strstr(pd->tls, "1.2") && strstr(pd->tls, "1.3")))
		return "";
	return strstr(pd->tls, "1.3") ? " -tls1_3" : " -tls1_2";
}

/* TLS versions of PD as a GnuTLS priority option. */
static const char *
gtls_versions(const struct uctls_peerdef *pd)
{
	if (pd->tls == NULL || (strstr(pd->tls, "1.2") && strstr(pd->tls, "1.3")))
		return " --priority NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
	return strstr(pd->tls, "1.3") ? " --priority NORMAL:-VERS-ALL:+VERS-TLS1.3"
	                               : " --priority NORMAL:-VERS-ALL:+VERS-TLS1.2";
}

/* Does the server peer PD require (2), request (1) or not ask for (0) a
 * client certificate? */
static int
client_cert_policy(const struct uctls_peerdef *pd)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);

	if (pd->client_cert == UCTLS_CLIENT_CERT_NONE)
		return 0;
	if (pd->client_cert == UCTLS_CLIENT_CERT_OPTIONAL || (p && !p->require_client_cert))
		return 1;
	return 2;
}

/* A command line being built. */
struct cmd {
	char s[4096];
	size_t n;
};

static void
add(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (c->n >= sizeof(c->s))
		return;
	va_start(ap, fmt);
	k = vsnprintf(c->s + c->n, sizeof(c->s) - c->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		c->n += (size_t)k;
}

/* DIR/NAME: a script that runs C (extra arguments appended). */
static int
script(const struct uctls_scenario *sc, const char *dir, const char *name,
       const struct uctls_peerdef *pd, const struct cmd *c, struct uctls_err *err)
{
	if (c->n >= sizeof(c->s))
		return uctls_err_set(err, "%s: --for: command line too long", sc->file);
	return put(dir, name, 0755, err,
	           "#!/bin/sh\n"
	           "# Written by `uctls pki export' for scenario %s: plays peer %s (%s).\n"
	           "# %s [HOST:]PORT [more options of the tool]\n"
	           "cd \"$(dirname \"$0\")\" || exit 2\n"
	           "addr=${1:?usage: $0 [HOST:]PORT}\n"
	           "shift\n"
	           "%s \"$@\"\n",
	           sc->name, pd->id, pd->role, name, c->s);
}

/* The certificate and key options of PD: -cert LEAF -key KEY and the
 * intermediates with -cert_chain (openssl), or the whole chain file
 * (gnutls). */
static void
cert_opts(struct cmd *c, const struct uctls_peerdef *pd, int openssl)
{
	if (pd->nsends == 0)
		return;
	if (openssl) {
		add(c, " -cert %s.pem -key %s.key", pd->sends[0], pd->sends[0]);
		if (pd->nsends > 1)
			add(c, " -cert_chain %s-extra.pem", pd->id);
	} else {
		add(c, " --x509certfile %s-chain.pem --x509keyfile %s.key", pd->id, pd->sends[0]);
	}
}

static int
write_openssl(const struct uctls_scenario *sc, const char *dir, const struct uctls_peerdef *s,
              const struct uctls_peerdef *c, struct uctls_err *err)
{
	struct cmd srv = { .n = 0 }, cli = { .n = 0 };
	int cc = client_cert_policy(s);

	/* s_server: -accept, -naccept 1 (one connection, then exit), -Verify
	 * (require) or -verify (request) a client certificate, and
	 * -verify_return_error so that a failed verification aborts the
	 * handshake (openssl-s_server(1)); -verify_hostname checks the
	 * client's name (openssl-verification-options(1)); -rev answers what
	 * it reads (and does not read its standard input); for family https,
	 * -www answers the GET with a 200 OK page instead. */
	add(&srv, "exec openssl s_server -accept \"$addr\" -naccept 1 %s",
	    strcmp(sc->family, "https") == 0 ? "-www" : "-rev");
	cert_opts(&srv, s, 1);
	add(&srv, " -CAfile %s-trust.pem -verify_return_error", s->id);
	if (cc)
		add(&srv, " -%s %u", cc == 2 ? "Verify" : "verify", s->max_depth ? s->max_depth : 100);
	if (s->nnames)
		add(&srv, " -verify_hostname %s", s->names[0]);
	add(&srv, "%s", ossl_versions(s));
	/* s_client: -verify_return_error, else it goes on after a failure. */
	add(&cli, "exec openssl s_client -connect \"$addr\"");
	cert_opts(&cli, c, 1);
	add(&cli, " -CAfile %s-trust.pem -verify_return_error", c->id);
	if (c->max_depth)
		add(&cli, " -verify_depth %u", c->max_depth);
	if (c->nnames)
		add(&cli, " -verify_hostname %s -servername %s", c->names[0], c->names[0]);
	add(&cli, "%s", ossl_versions(c));
	if ((s->nsends > 1 && write_extra(dir, s, err) < 0) ||
	    (c->nsends > 1 && write_extra(dir, c, err) < 0) ||
	    script(sc, dir, "openssl-server.sh", s, &srv, err) < 0 ||
	    script(sc, dir, "openssl-client.sh", c, &cli, err) < 0)
		return -1;
	return put(dir, "README-PEER.txt", 0644, err,
	           "Scenario %s (%s), exported for OpenSSL's s_server and s_client.\n\n"
	           "  ./openssl-server.sh 127.0.0.1:PORT   plays %s, the TLS server: its chain,\n"
	           "      key and trust list, %s a client certificate, checks%s%s.\n"
	           "  ./openssl-client.sh 127.0.0.1:PORT   plays %s, the TLS client, and checks\n"
	           "      the server's chain%s%s.\n\n"
	           "Then run uctls for the other side, e.g.\n"
	           "  uctls run --remote %s=127.0.0.1:PORT %s\n"
	           "  uctls run --listen %s=127.0.0.1:0 %s   (then start openssl-client.sh)\n\n"
	           "s_server reports a verification failure as \"verify error:num=N:...\" on\n"
	           "its standard error; s_client as \"Verification error: ...\".\n",
	           sc->name, sc->file, s->id, cc == 2 ? "requires" : cc ? "requests" : "does not ask for",
	           s->nnames ? " the name " : " no client name", s->nnames ? s->names[0] : "",
	           c->id, c->nnames ? " and the name " : " (no name)", c->nnames ? c->names[0] : "",
	           s->id, sc->file, s->id, sc->file);
}

static int
write_gnutls(const struct uctls_scenario *sc, const char *dir, const struct uctls_peerdef *s,
             const struct uctls_peerdef *c, struct uctls_err *err)
{
	struct cmd srv = { .n = 0 }, cli = { .n = 0 };
	int cc = client_cert_policy(s);

	/* gnutls-serv(1): --require-client-cert, --verify-client-cert (verify
	 * what was sent and abort on failure); it cannot check a client's
	 * name, and listens on every address of PORT; --http answers family
	 * https's GET with a page, --echo the other families' bytes. */
	add(&srv, "exec gnutls-serv -p \"${addr##*:}\" %s",
	    strcmp(sc->family, "https") == 0 ? "--http" : "--echo");
	cert_opts(&srv, s, 0);
	add(&srv, " --x509cafile %s-trust.pem", s->id);
	if (cc == 2)
		add(&srv, " --require-client-cert --verify-client-cert");
	else if (cc == 1)
		add(&srv, " --verify-client-cert");
	else
		add(&srv, " --disable-client-cert");
	add(&srv, "%s", gtls_versions(s));
	/* gnutls-cli(1): --verify-hostname NAME (else the host dialled). */
	add(&cli, "exec gnutls-cli -p \"${addr##*:}\"");
	cert_opts(&cli, c, 0);
	add(&cli, " --x509cafile %s-trust.pem", c->id);
	if (c->nnames)
		add(&cli, " --verify-hostname %s --sni-hostname %s", c->names[0], c->names[0]);
	add(&cli, "%s \"${addr%%:*}\"", gtls_versions(c));
	if (script(sc, dir, "gnutls-server.sh", s, &srv, err) < 0 ||
	    script(sc, dir, "gnutls-client.sh", c, &cli, err) < 0)
		return -1;
	return put(dir, "README-PEER.txt", 0644, err,
	           "Scenario %s (%s), exported for GnuTLS's gnutls-serv and gnutls-cli.\n\n"
	           "  ./gnutls-server.sh 127.0.0.1:PORT   plays %s, the TLS server: its chain,\n"
	           "      key and trust list, %s a client certificate.  gnutls-serv checks\n"
	           "      no client name%s and listens on every address of PORT.\n"
	           "  ./gnutls-client.sh 127.0.0.1:PORT   plays %s, the TLS client, and checks\n"
	           "      the server's chain%s%s.\n\n"
	           "Then run uctls for the other side, e.g.\n"
	           "  uctls run --remote %s=127.0.0.1:PORT %s\n"
	           "  uctls run --listen %s=127.0.0.1:0 %s   (then start gnutls-client.sh)\n\n"
	           "gnutls-serv logs no reason for a rejected client certificate (\"Error in\n"
	           "handshake: Error in the certificate.\"): for the reason, run\n"
	           "  uctls check --profile gnutls --role client --trust %s-trust.pem %s-chain.pem\n",
	           sc->name, sc->file, s->id, cc == 2 ? "requires" : cc ? "requests" : "does not ask for",
	           s->nnames ? " (the scenario's verify-name on it is not played)" : "",
	           c->id, c->nnames ? " and the name " : " and the host dialled", c->nnames ? c->names[0] : "",
	           s->id, sc->file, s->id, sc->file, s->id, c->id);
}

/* Both writers: the peers, their keys, then the tool's files. */
static int
write_cli(const struct uctls_scenario *sc, const char *dir, int openssl, struct uctls_err *err)
{
	const char *tool = openssl ? "openssl" : "gnutls";
	const struct uctls_peerdef *s = role_peer(sc, 1), *c = role_peer(sc, 0);

	if (s == NULL || c == NULL)
		return uctls_err_set(err, "%s: --for %s: the scenario needs a client and a server peer",
		                     sc->file, tool);
	if (check_key(sc, dir, s, tool, err) < 0 || check_key(sc, dir, c, tool, err) < 0)
		return -1;
	return openssl ? write_openssl(sc, dir, s, c, err) : write_gnutls(sc, dir, s, c, err);
}

int
uctls_peerconf_openssl(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                       const char *dir, struct uctls_err *err)
{
	(void)pki;
	return write_cli(sc, dir, 1, err);
}

int
uctls_peerconf_gnutls(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                      const char *dir, struct uctls_err *err)
{
	(void)pki;
	return write_cli(sc, dir, 0, err);
}
