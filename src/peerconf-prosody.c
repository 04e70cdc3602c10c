/* uctls — `pki export --for prosody' (peerconf.h). */
#include "peerconf.h"

int
uctls_peerconf_prosody(const struct uctls_scenario *sc, const struct uctls_pki *pki, const char *dir,
                  struct uctls_err *err)
{
	(void)pki;
	(void)dir;
	return uctls_err_set(err, "%s: --for prosody: not written yet", sc->file);
}
