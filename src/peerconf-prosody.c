/* uctls — `pki export --for prosody' (peerconf.h): a Prosody 0.12
 * configuration for each xmpp-s2s peer of the scenario.
 *
 * DIR/prosody-ID.cfg.lua makes Prosody play peer ID: its domain (and
 * subdomains) as VirtualHosts, the certificate chain ID-chain.pem with the
 * key of its first certificate, the trust list ID-trust.pem as ssl.cafile
 * and an empty capath (the scenario's trust list only, not the system's),
 * and the switches uctls models (docs/profiles.md, prosody):
 * s2s_secure_auth (secure-auth=), s2s_require_encryption (starttls=),
 * mod_dialback (dialback=), the TLS versions (tls=).  Everything Prosody
 * writes stays in DIR; ports and the listening address come from the
 * environment (Prosody 0.12's ENV_ variables in the config), so that the
 * same file serves a lab and the fidelity suite. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "peerconf.h"
#include "profile.h"

/* S as a Lua string literal: "..." with \ and " escaped; NULL when S has a
 * control character (a path Prosody could not be told safely). */
static int
lua_str(FILE *m, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	fputc('"', m);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', m);
		fputc(*p, m);
	}
	fputc('"', m);
	return 0;
}

/* DIR/ID-NAME as a Lua string. */
static int
lua_path(FILE *m, const char *dir, const char *id, const char *name)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, id, name) >= sizeof(path))
		return -1;
	return lua_str(m, path);
}

/* LuaSec's protocol for tls= (util/sslconfig.lua: "tlsv1_2+" means 1.2 and
 * later). */
static const char *
x_protocol(const struct uctls_peerdef *pd)
{
	if (pd->tls == NULL || strcmp(pd->tls, "1.2,1.3") == 0)
		return "tlsv1_2+";
	return strcmp(pd->tls, "1.2") == 0 ? "tlsv1_2" : "tlsv1_3";
}

/* One VirtualHost with the peer's certificate. */
static int
w_host(FILE *m, const char *dir, const struct uctls_peerdef *pd, const char *host)
{
	int bad = 0;

	fputs("VirtualHost ", m);
	bad |= lua_str(m, host);
	fputs("\n\tssl = {\n", m);
	if (pd->nsends > 0) {
		fputs("\t\tcertificate = ", m);
		bad |= lua_path(m, dir, pd->id, "-chain.pem");
		fputs(";\n\t\tkey = ", m);
		bad |= lua_path(m, dir, pd->sends[0], ".key");
		fputs(";\n", m);
	}
	if (pd->ntrusts > 0) {
		fputs("\t\tcafile = ", m);
		bad |= lua_path(m, dir, pd->id, "-trust.pem");
		fputs(";\n", m);
	}
	fputs("\t\tcapath = ", m); /* empty: no system trust store */
	bad |= lua_path(m, dir, "prosody-", "capath");
	fprintf(m, ";\n\t\tprotocol = \"%s\";\n\t}\n", x_protocol(pd));
	return bad ? -1 : 0;
}

/* The global section: where Prosody keeps its files, and the switches. */
static int
w_globals(FILE *m, const char *dir, const struct uctls_scenario *sc,
          const struct uctls_peerdef *pd)
{
	int secure = pd->secure_auth == UCTLS_ON, bad = 0;
	int require = pd->starttls == UCTLS_STARTTLS_REQUIRED;

	fprintf(m, "-- Written by `uctls pki export --for prosody': Prosody 0.12 as peer %s\n"
	           "-- (%s, profile %s) of scenario %s.\n"
	           "-- Start: prosody -F --config <this file>; see README-PEER.txt.\n\n",
	        pd->id, pd->role, pd->profile, sc->name);
	fputs("run_as_root = true -- started by hand, as the owner of this directory\n"
	      "pidfile = ", m);
	bad |= lua_path(m, dir, pd->id, ".prosody/prosody.pid");
	fputs("\ndata_path = ", m);
	bad |= lua_path(m, dir, pd->id, ".prosody");
	/* Where Prosody looks for host certificates by name: none here (an
	 * empty directory rather than the default DIR/certs, missing). */
	fputs("\ncertificates = ", m);
	bad |= lua_path(m, dir, "prosody-", "capath");
	fputs("\nadmin_socket = ENV_UCTLS_PROSODY_SOCKET or ", m);
	bad |= lua_path(m, dir, pd->id, ".prosody/admin.sock");
	fputs("\nlog = { { levels = { min = ENV_UCTLS_PROSODY_LOG_LEVEL or \"debug\" }, "
	      "to = \"file\", filename = ", m);
	bad |= lua_path(m, dir, pd->id, ".prosody/prosody.log");
	fputs(" } }\n"
	      "interfaces = { ENV_UCTLS_PROSODY_INTERFACE or \"*\" }\n"
	      "use_ipv6 = false\n"
	      "s2s_ports = { tonumber(ENV_UCTLS_PROSODY_S2S_PORT) or 5269 }\n"
	      "c2s_ports = { tonumber(ENV_UCTLS_PROSODY_C2S_PORT) or 5222 }\n"
	      "c2s_direct_tls_ports = { }\ns2s_direct_tls_ports = { }\nlegacy_ssl_ports = { }\n"
	      "authentication = \"internal_hashed\"\n", m);
	/* mod_tls offers STARTTLS; mod_saslauth SASL EXTERNAL (XEP-0178);
	 * mod_dialback XEP-0220; mod_ping answers and admin_shell's
	 * xmpp:ping() makes Prosody dial a domain (as I). */
	fprintf(m, "modules_enabled = { %s\"saslauth\"; %s\"ping\"; \"admin_shell\" }\n",
	        pd->starttls == UCTLS_STARTTLS_NONE ? "" : "\"tls\"; ",
	        pd->dialback == UCTLS_OFF ? "" : "\"dialback\"; ");
	fprintf(m, "-- secure-auth=\"%s\": a certificate that does not verify is refused after\n"
	           "-- the stream restart with <not-authorized/> (mod_s2s.lua check_auth_policy)\n"
	           "s2s_secure_auth = %s\n",
	        secure ? "yes" : "no", secure ? "true" : "false");
	fprintf(m, "s2s_require_encryption = %s\n\n", require || secure ? "true" : "false");
	return bad ? -1 : 0;
}

/* DIR/prosody-ID.cfg.lua for peer PD. */
static int
w_config(const struct uctls_scenario *sc, const char *dir, const struct uctls_peerdef *pd,
         struct uctls_err *err)
{
	char *buf = NULL, path[PATH_MAX];
	size_t len = 0, i;
	FILE *m;
	int bad, rv = -1;

	m = open_memstream(&buf, &len);
	if (m == NULL)
		return uctls_err_set(err, "out of memory");
	bad = w_globals(m, dir, sc, pd);
	bad |= w_host(m, dir, pd, uctls_peer_domain(pd));
	for (i = 0; i < pd->nsubdomains; i++)
		bad |= w_host(m, dir, pd, pd->subdomains[i]);
	if (fclose(m) != 0) {
		free(buf);
		return uctls_err_set(err, "out of memory");
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/prosody-%s.cfg.lua", dir, pd->id) >=
	    sizeof(path))
		bad = 1;
	if (bad)
		uctls_err_set(err, "%s: %s: a path or name Prosody's configuration cannot hold "
		                   "(a control character, or longer than %d bytes)", sc->file, path,
		              PATH_MAX);
	else
		rv = uctls_file_write(path, buf, len, 0644, err);
	free(buf);
	return rv;
}

/* A directory DIR/NAME, mode 0700, empty or already there. */
static int
w_mkdir(const char *dir, const char *name, struct uctls_err *err)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return uctls_err_set(err, "%s/%s: a path too long", dir, name);
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return uctls_err_set(err, "%s: %s", path, errno == EEXIST ? "exists and is not a directory"
	                                                          : strerror(errno));
}

static void
w_readme_peer(FILE *m, const struct uctls_scenario *sc, const struct uctls_peerdef *pd,
              const struct uctls_peerdef *other)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	int client = strcmp(pd->role, "client") == 0;

	fprintf(m, "\nprosody-%s.cfg.lua: Prosody as peer %s, %s, domain %s\n", pd->id, pd->id,
	        client ? "the initiating server" : "the receiving server", uctls_peer_domain(pd));
	fprintf(m, "  start:  UCTLS_PROSODY_S2S_PORT=5269 prosody -F --config %s/prosody-%s.cfg.lua\n"
	           "  log:    %s.prosody/prosody.log (debug: the certificate checks)\n",
	        "DIR", pd->id, pd->id);
	if (client)
		fprintf(m, "  then:   uctls run --listen %s=0.0.0.0:5270 %s  (uctls plays %s; its\n"
		           "          domain %s must resolve to uctls: SRV _xmpp-server._tcp\n"
		           "          to port 5270, or an A record with uctls on port 5269)\n"
		           "          and make Prosody dial it:\n"
		           "          prosodyctl --config DIR/prosody-%s.cfg.lua shell "
		           "'xmpp:ping(\"%s\", \"%s\")'\n",
		        other->id, sc->file, other->id, uctls_peer_domain(other), pd->id,
		        uctls_peer_domain(pd),
		        pd->to != NULL ? pd->to : uctls_peer_domain(other));
	else
		fprintf(m, "  then:   uctls run --remote %s=HOST:5269 %s  (uctls plays %s)\n", pd->id,
		        sc->file, other->id);
	if (p != NULL && !p->secure_auth_switch)
		fprintf(m, "  NOTE:   the scenario gives %s the profile `%s'; Prosody checks as the\n"
		           "          profile `prosody' does (docs/profiles.md), so its outcome may\n"
		           "          differ from the scenario's <expect>.\n",
		        pd->id, pd->profile);
	if (pd->nnames > 0)
		fprintf(m, "  NOTE:   verify-name is not something Prosody can be told: it checks the\n"
		           "          domain of the stream.\n");
}

/* DIR/README-PEER.txt: what was written and how to start it. */
static int
w_readme(const struct uctls_scenario *sc, const char *dir, struct uctls_err *err)
{
	char *buf = NULL, path[PATH_MAX];
	size_t len = 0;
	FILE *m;
	int rv;

	m = open_memstream(&buf, &len);
	if (m == NULL)
		return uctls_err_set(err, "out of memory");
	fprintf(m, "Prosody 0.12 for scenario %s (%s), written by\n"
	           "`uctls pki export --for prosody'.  DIR below is %s.\n"
	           "\nOne configuration per peer: start the one for the peer Prosody plays;\n"
	           "uctls plays the other.  Prosody keeps its pid, data, log and admin socket\n"
	           "in DIR/ID.prosody/.  The environment sets what the scenario does not say:\n"
	           "  UCTLS_PROSODY_S2S_PORT (5269), UCTLS_PROSODY_C2S_PORT (5222),\n"
	           "  UCTLS_PROSODY_INTERFACE (*), UCTLS_PROSODY_LOG_LEVEL (debug),\n"
	           "  UCTLS_PROSODY_SOCKET (DIR/ID.prosody/admin.sock; a unix socket path\n"
	           "  holds at most 107 bytes).\n"
	           "Prosody verifies with the real clock: give the scenario a <clock> near now.\n",
	        sc->name, sc->file, dir);
	for (size_t i = 0; i < sc->npeers; i++)
		w_readme_peer(m, sc, &sc->peers[i], &sc->peers[1 - i]);
	if (fclose(m) != 0) {
		free(buf);
		return uctls_err_set(err, "out of memory");
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/README-PEER.txt", dir) >= sizeof(path))
		rv = uctls_err_set(err, "%s: a path too long", dir);
	else
		rv = uctls_file_write(path, buf, len, 0644, err);
	free(buf);
	return rv;
}

int
uctls_peerconf_prosody(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                       const char *dir, struct uctls_err *err)
{
	char abs[PATH_MAX], name[PATH_MAX];
	size_t i;

	(void)pki;
	if (strcmp(sc->family, "xmpp-s2s") != 0 || sc->npeers != 2)
		return uctls_err_set(err, "%s: --for prosody: the scenario's family is %s; Prosody "
		                          "plays the peers of xmpp-s2s scenarios only",
		                     sc->file, sc->family);
	if (realpath(dir, abs) == NULL)
		return uctls_err_set(err, "%s: %s", dir, strerror(errno));
	if (w_mkdir(abs, "prosody-capath", err) < 0)
		return -1;
	for (i = 0; i < sc->npeers; i++) {
		const struct uctls_peerdef *pd = &sc->peers[i];

		/* The export writes ID.key only when uctls has the key. */
		if (pd->nsends > 0 &&
		    ((size_t)snprintf(name, sizeof(name), "%s/%s.key", abs, pd->sends[0]) >=
		             sizeof(name) ||
		     access(name, R_OK) != 0))
			return uctls_err_set(err, "%s: --for prosody: no private key for `%s' (sent "
			                          "by %s): Prosody needs one",
			                     sc->file, pd->sends[0], pd->id);
		snprintf(name, sizeof(name), "%s.prosody", sc->peers[i].id);
		if (w_mkdir(abs, name, err) < 0 || w_config(sc, abs, &sc->peers[i], err) < 0)
			return -1;
	}
	return w_readme(sc, abs, err);
}
