/* uctls — `pki export --for kamailio' (peerconf.h).
 *
 * kamailio.cfg and tls.cfg in DIR for Kamailio 5.6 with its tls module,
 * playing both peers of a sip-trunk scenario: the server-role peer (UAS)
 * on its TLS port, and the client-role peer (UAC) when it relays an
 * OPTIONS that arrives on its UDP port over TLS to 127.0.0.1:<user part
 * of the Request-URI>.  The tls module verifies the chain only (its
 * README, "Known limitations"); the name the server-role peer expects is
 * compared by the routing script with $tls_peer_san_hostname and
 * $tls_peer_subject_cn (the tls module's pseudo-variables), refused with
 * script-status (403).  The keywords of tls.cfg are those of the tls
 * module README ("verify_certificate", "require_certificate",
 * "ca_list", "certificate", "private_key", "method", and "crl" for a peer
 * that checks CRLs: revocation="crl"). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerconf.h"
#include "profile.h"
#include "revoke.h"
#include "sip.h"

static const struct uctls_peerdef *
role_peer(const struct uctls_scenario *sc, int server)
{
	for (size_t i = 0; i < sc->npeers; i++)
		if ((strcmp(sc->peers[i].role, "server") == 0) == server)
			return &sc->peers[i];
	return NULL;
}

static const char *
method_of(const struct uctls_peerdef *pd)
{
	if (pd->tls == NULL || (strstr(pd->tls, "1.2") && strstr(pd->tls, "1.3")))
		return "TLSv1.2+";
	return strstr(pd->tls, "1.3") ? "TLSv1.3" : "TLSv1.2";
}

/* Does PD check CRLs (its revocation=, else its profile's rev-crl) in a
 * scenario that declares some?  Kamailio then loads them from a file: the
 * tls module README, "crl (string)" ("Any attempt to verify a revoked
 * certificate will fail"); it has no OCSP and fetches nothing. */
static int
checks_crls(const struct uctls_scenario *sc, const struct uctls_peerdef *pd)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	size_t i;

	if (sc->rev == NULL || sc->rev->ncrls == 0)
		return 0;
	for (i = 0; i < sc->rev->npeers; i++)
		if (strcmp(sc->rev->peers[i].peer, pd->id) == 0 && sc->rev->peers[i].has_sources)
			return (sc->rev->peers[i].sources & UCTLS_REV_CRL) != 0;
	return p != NULL && p->rev_crl;
}

/* ABS/ID-crl.pem: every CRL of the scenario, as pki export wrote them
 * (ID.crl.pem), for a peer that checks CRLs. */
static int
write_crls(const struct uctls_scenario *sc, const char *abs, const struct uctls_peerdef *pd,
           struct uctls_err *err)
{
	char path[PATH_MAX + 64], in[PATH_MAX + 64] = "", buf[4096];
	FILE *f, *g;
	size_t i, k;
	int bad = 0;

	if (!checks_crls(sc, pd))
		return 0;
	snprintf(path, sizeof(path), "%s/%s-crl.pem", abs, pd->id);
	if ((f = fopen(path, "w")) == NULL)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	for (i = 0; i < sc->rev->ncrls && !bad; i++) {
		snprintf(in, sizeof(in), "%s/%s.crl.pem", abs, sc->rev->crls[i].id);
		if ((g = fopen(in, "r")) == NULL) {
			bad = 1;
			break;
		}
		while ((k = fread(buf, 1, sizeof(buf), g)) > 0)
			bad |= fwrite(buf, 1, k, f) != k;
		bad |= ferror(g);
		fclose(g);
	}
	bad |= ferror(f);
	if (fclose(f) != 0 || bad)
		return uctls_err_set(err, "%s: write error (from %s)", path, in);
	return 0;
}

/* One [server:default] or [client:default] section for PD. */
static void
tls_section(FILE *f, const struct uctls_scenario *sc, const char *abs,
            const struct uctls_peerdef *pd, int server)
{
	const struct uctls_profile *p = uctls_peer_profile(pd);
	int verify = p == NULL || p->verify_peer, require = verify;

	if (server && pd->client_cert == UCTLS_CLIENT_CERT_NONE)
		verify = require = 0;
	else if (server && (pd->client_cert == UCTLS_CLIENT_CERT_OPTIONAL ||
	                    (p != NULL && !p->require_client_cert)))
		require = 0;
	fprintf(f, "# Peer %s, the %s.\n[%s:default]\nmethod = %s\n", pd->id,
	        server ? "UAS (TLS server)" : "UAC (TLS client)", server ? "server" : "client",
	        method_of(pd));
	fprintf(f, "verify_certificate = %s\nrequire_certificate = %s\n", verify ? "yes" : "no",
	        require ? "yes" : "no");
	if (pd->nsends > 0)
		fprintf(f, "private_key = %s/%s.key\ncertificate = %s/%s-chain.pem\n", abs,
		        pd->sends[0], abs, pd->id);
	if (pd->ntrusts > 0)
		fprintf(f, "ca_list = %s/%s-trust.pem\n", abs, pd->id);
	if (verify && checks_crls(sc, pd))
		fprintf(f, "crl = %s/%s-crl.pem\n", abs, pd->id);
	fprintf(f, "\n");
}

/* The request route: the server-role peer S's name check and answer, and
 * the relay that makes Kamailio play the client-role peer. */
static void
route(FILE *f, const struct uctls_peerdef *s)
{
	int status = s->script_status ? s->script_status : 403;
	int answer = s->sip_answer == UCTLS_SIP_ANSWER_STATUS ? s->sip_status : 200;
	size_t i;

	fprintf(f, "request_route {\n\tif (proto == TLS) {\n\t\tif (is_method(\"ACK\"))\n"
	           "\t\t\texit;\n");
	if (s->nnames > 0) {
		fprintf(f, "\t\t# The tls module checked the chain; the name is the script's.\n"
		           "\t\tif (");
		for (i = 0; i < s->nnames; i++)
			fprintf(f, "%s$tls_peer_san_hostname != \"%s\" && $tls_peer_subject_cn != \"%s\"",
			        i ? "\n\t\t    && " : "", s->names[i], s->names[i]);
		fprintf(f, ") {\n\t\t\txlog(\"L_ERR\", \"uctls-peer: refused $rm: client certificate "
		           "san=$tls_peer_san_hostname cn=$tls_peer_subject_cn is not %s; answering "
		           "%d\\n\");\n\t\t\tsl_send_reply(\"%d\", \"%s\");\n\t\t\texit;\n\t\t}\n",
		        s->names[0], status, status, uctls_sip_reason_phrase(status));
	}
	if (s->sip_answer == UCTLS_SIP_ANSWER_NONE)
		fprintf(f, "\t\tdrop;\n\t}\n");
	else
		fprintf(f, "\t\tsl_send_reply(\"%d\", \"%s\");\n\t\texit;\n\t}\n", answer,
		        uctls_sip_reason_phrase(answer));
	fprintf(f, "\t# From UDP: relay over TLS (as the UAC) to 127.0.0.1:<user part>.\n"
	           "\t$du = \"sip:127.0.0.1:\" + $rU + \";transport=tls\";\n"
	           "\tif (!t_relay())\n\t\tsl_reply_error();\n}\n\n"
	           "event_route[core:worker-one-init] {\n"
	           "\txlog(\"L_ALERT\", \"uctls-peer: kamailio ready\\n\");\n}\n");
}

static int
write_cfg(const struct uctls_scenario *sc, const char *abs, const struct uctls_peerdef *s,
          struct uctls_err *err)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/kamailio.cfg", abs);
	if ((f = fopen(path, "w")) == NULL)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	fprintf(f, "#!KAMAILIO\n# Written by `uctls pki export --for kamailio' for scenario %s.\n"
	           "# kamailio -DD -E -f kamailio.cfg -A TLS_PORT=5061 -A UDP_PORT=5060\n"
	           "#!ifndef TLS_PORT\n#!define TLS_PORT 5061\n#!endif\n"
	           "#!ifndef UDP_PORT\n#!define UDP_PORT 5060\n#!endif\n"
	           "debug=2\nlog_stderror=yes\nchildren=1\ntcp_children=1\nenable_tls=yes\n"
	           "auto_aliases=no\ndns=no\nrev_dns=no\n"
	           "listen=udp:127.0.0.1:UDP_PORT\nlisten=tls:127.0.0.1:TLS_PORT\n\n"
	           "loadmodule \"pv.so\"\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\n"
	           "loadmodule \"textops.so\"\nloadmodule \"xlog.so\"\nloadmodule \"tls.so\"\n"
	           "modparam(\"tls\", \"config\", \"%s/tls.cfg\")\n\n",
	        sc->name, abs);
	route(f, s);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return uctls_err_set(err, "%s: write error", path);
	return 0;
}

static int
write_tls(const struct uctls_scenario *sc, const char *abs, const struct uctls_peerdef *s,
          const struct uctls_peerdef *c, struct uctls_err *err)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/tls.cfg", abs);
	if ((f = fopen(path, "w")) == NULL)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	tls_section(f, sc, abs, s, 1);
	tls_section(f, sc, abs, c, 0);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return uctls_err_set(err, "%s: write error", path);
	return 0;
}

static int
write_readme(const struct uctls_scenario *sc, const char *abs, const struct uctls_peerdef *s,
             const struct uctls_peerdef *c, struct uctls_err *err)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/README-PEER.txt", abs);
	if ((f = fopen(path, "w")) == NULL)
		return uctls_err_set(err, "%s: %s", path, strerror(errno));
	fprintf(f, "Scenario %s (%s), exported for Kamailio 5.6 (tls module).\n\n"
	           "  kamailio -DD -E -f %s/kamailio.cfg -A TLS_PORT=5061 -A UDP_PORT=5060\n\n"
	           "plays %s (the UAS) on tls:127.0.0.1:TLS_PORT: %s's chain, key and trust\n"
	           "list in tls.cfg [server:default]; its routing script refuses a client\n"
	           "whose certificate does not name %s with %d; then\n"
	           "  uctls run --remote %s=127.0.0.1:TLS_PORT %s\n"
	           "and plays %s (the UAC, tls.cfg [client:default]) when an OPTIONS for\n"
	           "sip:PORT@127.0.0.1 arrives on udp:127.0.0.1:UDP_PORT: it relays it over TLS\n"
	           "to 127.0.0.1:PORT, where\n  uctls run --listen %s=127.0.0.1:0 %s\n"
	           "listens.  As a client Kamailio checks the server's chain, not its name.\n\n"
	           "Kamailio logs no verification reason beyond OpenSSL's \"certificate verify\n"
	           "failed\": for the reason, run\n"
	           "  uctls check --profile kamailio --role client --trust %s-trust.pem %s-chain.pem\n"
	           "(%s, the UAS, judging %s's chain) or\n"
	           "  uctls check --profile kamailio --role server --trust %s-trust.pem %s-chain.pem\n"
	           "(%s, the UAC, judging %s's chain).\n",
	        sc->name, sc->file, abs, s->id, s->id, s->nnames ? s->names[0] : "(no name)",
	        s->script_status ? s->script_status : 403, s->id, sc->file, c->id, s->id, sc->file,
	        s->id, c->id, s->id, c->id, c->id, s->id, c->id, s->id);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return uctls_err_set(err, "%s: write error", path);
	return 0;
}

int
uctls_peerconf_kamailio(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                        const char *dir, struct uctls_err *err)
{
	const struct uctls_peerdef *s = role_peer(sc, 1), *c = role_peer(sc, 0);
	char abs[PATH_MAX];

	(void)pki;
	if (strcmp(sc->family, "sip-trunk") != 0)
		return uctls_err_set(err, "%s: --for kamailio: family `%s'; Kamailio plays "
		                          "sip-trunk scenarios", sc->file, sc->family);
	if (s == NULL || c == NULL || s->nsends == 0)
		return uctls_err_set(err, "%s: --for kamailio: the scenario needs a client peer "
		                          "and a server peer that sends a certificate", sc->file);
	if (s->sip_answer == UCTLS_SIP_ANSWER_GARBAGE)
		return uctls_err_at(err, sc->file, s->line, "--for kamailio: sip-response=garbage "
		                    "cannot be played by Kamailio");
	if (realpath(dir, abs) == NULL)
		return uctls_err_set(err, "%s: %s", dir, strerror(errno));
	if (write_cfg(sc, abs, s, err) < 0 || write_crls(sc, abs, s, err) < 0 ||
	    write_crls(sc, abs, c, err) < 0 || write_tls(sc, abs, s, c, err) < 0)
		return -1;
	return write_readme(sc, abs, s, c, err);
}
