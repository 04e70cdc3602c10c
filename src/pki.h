/* uctls — the scenario PKI (uctls_pki_*) and the key pool (uctls_keypool_*).
 *
 * uctls_pki_build() turns the <pki> of a scenario into real X.509
 * certificates with GnuTLS: generated ones signed in issuer order, loaded
 * ones read from PEM files (with their key, checked to match).
 *
 * Key generation dominates the cost of a scenario (RSA-2048: ~35 ms), so keys
 * come from a struct uctls_keypool that outlives scenarios: the n-th generated
 * certificate of a key type in a scenario uses slot n of that type.  Two
 * certificates of one scenario never share a key unless the scenario says so
 * (signed-with), and running many scenarios in one process generates each
 * (type, slot) key once.  A persistent on-disk cache can sit behind the same
 * interface (uctls_keypool_set_dir).  A pool may be shared by threads: it
 * locks itself.
 *
 * GnuTLS types appear in this header: the PKI, verification and TLS modules
 * are the only ones that include GnuTLS.
 */
#ifndef UCTLS_PKI_H
#define UCTLS_PKI_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "err.h"
#include "scenario.h"

struct uctls_keypool;
struct uctls_pki;

struct uctls_keypool *uctls_keypool_new(void);
void uctls_keypool_free(struct uctls_keypool *pool); /* accepts NULL */

/* Keeps keys in DIR as well (created if missing; one PEM file per type and
 * slot, mode 0600), so that other processes (make check runs each scenario
 * in its own; --remote and --listen run the two sides in two) use the same
 * keys and skip generating them.  Keys are test material, never secrets to
 * protect. */
int uctls_keypool_set_dir(struct uctls_keypool *pool, const char *dir,
                          struct uctls_err *err);

/* Returns the pool's key for (type, slot), generating it on first use.  The
 * pool owns the key; it stays valid until uctls_keypool_free(). */
int uctls_keypool_get(struct uctls_keypool *pool, enum uctls_key_type type,
                      unsigned slot, gnutls_x509_privkey_t *key,
                      struct uctls_err *err);

/* How many keys the pool has generated so far (tests and benchmarks use it
 * to see that a warm pool generates nothing). */
size_t uctls_keypool_generated(const struct uctls_keypool *pool);

/* The pool also memoises every certificate it sees signed (uctls_pki_build):
 * one with the same keys, issuer, serial, names, validity, extensions and
 * hash is imported again instead of signed again (the signatures are
 * deterministic, so the bytes are the same).  How many distinct certificates
 * were signed, and how many were taken from the memo instead. */
void uctls_keypool_memo_stats(const struct uctls_keypool *pool, size_t *nsigned,
                              size_t *nreused);

/* Builds every certificate of SC.  POOL is borrowed and must outlive the
 * returned PKI.  Errors carry the scenario file:line of the <ca>/<cert>
 * concerned (unreadable or non-PEM file, no certificate at that index, key
 * that does not match its certificate, GnuTLS signing errors). */
int uctls_pki_build(const struct uctls_scenario *sc,
                    struct uctls_keypool *pool, struct uctls_pki **out,
                    struct uctls_err *err);
void uctls_pki_free(struct uctls_pki *pki); /* accepts NULL */

/* Every certificate, in <pki> order.  Borrowed pointers, valid while the PKI
 * lives. */
size_t uctls_pki_count(const struct uctls_pki *pki);
const char *uctls_pki_id_at(const struct uctls_pki *pki, size_t i);
gnutls_x509_crt_t uctls_pki_crt_at(const struct uctls_pki *pki, size_t i);

/* By id; NULL when the id is unknown (or, for the key, when the certificate
 * was loaded without a key file). */
gnutls_x509_crt_t uctls_pki_crt(const struct uctls_pki *pki, const char *id);
gnutls_x509_privkey_t uctls_pki_key(const struct uctls_pki *pki,
                                    const char *id);
/* SHA-256 of the DER certificate as lower-case hex, colon-separated. */
const char *uctls_pki_fingerprint(const struct uctls_pki *pki, const char *id);
/* Writes the PKI of SC to DIR (created if missing) as files a person can
 * upload to a real device: ID.pem and ID.der per certificate, ID.key (mode
 * 0600) per private key, PEER-chain.pem (what the peer sends, in order),
 * PEER-trust.pem (its trust anchors), and MANIFEST.txt saying which file
 * is what.  Returns 0 or -1 with ERR set. */
int uctls_pki_export(const struct uctls_pki *pki, const struct uctls_scenario *sc,
                     const char *dir, struct uctls_err *err);

/* The same, each certificate read from DIR/ID.pem (and its key from
 * DIR/ID.key when that exists) instead of generated: a PKI that `uctls
 * pki export' wrote, used exactly as exported (uctls run --pki). */
int uctls_pki_build_dir(const struct uctls_scenario *sc, struct uctls_keypool *pool,
                        const char *dir, struct uctls_pki **out, struct uctls_err *err);

/* The id of the certificate whose DER equals CRT's, or NULL. */
const char *uctls_pki_find(const struct uctls_pki *pki, gnutls_x509_crt_t crt);

#endif
