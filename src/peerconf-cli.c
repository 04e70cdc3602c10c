/* uctls — `pki export --for openssl|gnutls': command lines for openssl
 * s_server/s_client and gnutls-serv/gnutls-cli (peerconf.h). */
#include "peerconf.h"

int
uctls_peerconf_openssl(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                       const char *dir, struct uctls_err *err)
{
	(void)pki;
	(void)dir;
	return uctls_err_set(err, "%s: --for openssl: not written yet", sc->file);
}

int
uctls_peerconf_gnutls(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                      const char *dir, struct uctls_err *err)
{
	(void)pki;
	(void)dir;
	return uctls_err_set(err, "%s: --for gnutls: not written yet", sc->file);
}
