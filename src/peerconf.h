/* uctls — a real peer's configuration for an exported scenario.
 *
 * `uctls pki export --for PEER SCENARIO DIR' writes, besides the files of
 * uctls_pki_export (pki.h), what that real peer needs to play one side of
 * the scenario: a minimal configuration file or a command line (trust
 * list, chain, key, verification switches), so that a lab user does not
 * translate the scenario by hand.  The fidelity suite uses exactly these.
 * Each writer lives in its own file (peerconf-*.c); README-PEER.txt in DIR
 * says what was written and how to start the peer. */
#ifndef UCTLS_PEERCONF_H
#define UCTLS_PEERCONF_H

#include "err.h"
#include "pki.h"
#include "scenario.h"

typedef int (*uctls_peerconf_fn)(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                                 const char *dir, struct uctls_err *err);

/* The writer for PEER ("prosody", "kamailio", "openssl", "gnutls"), or
 * NULL with ERR set to a message listing the known peers. */
uctls_peerconf_fn uctls_peerconf_find(const char *peer, struct uctls_err *err);

/* The writers (peerconf-prosody.c, peerconf-kamailio.c, peerconf-cli.c).
 * Called after uctls_pki_export (DIR holds its files); 0 or -1 with ERR. */
int uctls_peerconf_prosody(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                           const char *dir, struct uctls_err *err);
int uctls_peerconf_kamailio(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                            const char *dir, struct uctls_err *err);
int uctls_peerconf_openssl(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                           const char *dir, struct uctls_err *err);
int uctls_peerconf_gnutls(const struct uctls_scenario *sc, const struct uctls_pki *pki,
                          const char *dir, struct uctls_err *err);

#endif
