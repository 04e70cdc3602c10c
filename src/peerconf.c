/* uctls — `pki export --for PEER': which writer (peerconf.h). */
#include "peerconf.h"

#include <string.h>

static const struct {
	const char *name;
	uctls_peerconf_fn fn;
} writers[] = {
	{ "prosody", uctls_peerconf_prosody },
	{ "kamailio", uctls_peerconf_kamailio },
	{ "openssl", uctls_peerconf_openssl },
	{ "gnutls", uctls_peerconf_gnutls },
};

uctls_peerconf_fn
uctls_peerconf_find(const char *peer, struct uctls_err *err)
{
	for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
		if (strcmp(writers[i].name, peer) == 0)
			return writers[i].fn;
	uctls_err_set(err, "--for %s: unknown peer (known: prosody, kamailio, openssl, gnutls)", peer);
	return NULL;
}
