/* uctls — `pki export --for kamailio' (peerconf.h). */
#include "peerconf.h"

int
uctls_peerconf_kamailio(const struct uctls_scenario *sc, const struct uctls_pki *pki, const char *dir,
                  struct uctls_err *err)
{
	(void)pki;
	(void)dir;
	return uctls_err_set(err, "%s: --for kamailio: not written yet", sc->file);
}
