/* uctls — a UCOS device's certificate slots and trust stores (uctls_store_*).
 *
 * CUCM, IM and Presence and UCCX hold one certificate per service, in named
 * slots (tomcat, callmanager, cup, cup-xmpp, cup-xmpp-s2s, ipsec and their
 * -ECDSA twins), and one trust store per service (tomcat-trust,
 * callmanager-trust, cup-trust, cup-xmpp-trust, ipsec-trust): Cisco,
 * "Configuration and Administration of the IM and Presence Service",
 * chapter "Configure Certificates" (12.5(1)SU4),
 * https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html
 * Which slots and stores a device has, and which one each family's
 * connection uses, is profile data (profile.h slots, stores, service_slot,
 * service_store).  A scenario names them inside a <peer>:
 *   <slot name="cup-xmpp-s2s" sends="leaf inter"/>
 *   <store name="cup-xmpp-trust" trusts="root inter"/>
 * and the loader resolves the service's slot into the peer's sends and the
 * service's store into its trusts, so the engine's hot path is unchanged; a
 * filled -ECDSA twin of the service slot becomes sends_ec, the second
 * credential a server chooses between (tls.c).  A CA in another store (say
 * tomcat-trust) does not verify this connection: the field's classic
 * mistake.
 */
#ifndef UCTLS_STORE_H
#define UCTLS_STORE_H

#include <stddef.h>

#include "err.h"
#include "scenario.h"

struct uctls_xml_node;
struct uctls_profile;

/* Whether NAME is an element this module loads inside <peer>. */
int uctls_store_is_child(const char *name);

/* Loads the <slot>/<store> children of the <peer> node N into PD (whose
 * profile, sends and trusts are loaded), checks them against PD's profile
 * (a slot or store the device has, once each, ids of <pki>, an RSA leaf in
 * an RSA slot and an ECDSA leaf in an -ECDSA slot, not both sends= and the
 * service's slot, not both trusts= and the service's store) and resolves the
 * service's slot and store.  0, or -1 with "FILE:LINE: ..." in ERR. */
int uctls_store_load_peer(const struct uctls_scenario *sc, const struct uctls_xml_node *n,
                          struct uctls_peerdef *pd, struct uctls_err *err);

/* Frees what uctls_store_load_peer() added to PD. */
void uctls_store_free_peer(struct uctls_peerdef *pd);

/* <install slot=>: SLOT must be a slot of PD's profile.  0, or -1 with
 * "FILE:LINE: ..." in ERR. */
int uctls_store_check_install(const struct uctls_scenario *sc, const struct uctls_peerdef *pd,
                              const char *slot, int line, struct uctls_err *err);

/* The chain held in SLOT of PD (NULL: the service's: PD's sends).  *IDS is
 * borrowed from PD. */
void uctls_store_slot_chain(const struct uctls_peerdef *pd, const char *slot,
                            char *const **ids, size_t *n);

/* The trust store that must hold SLOT's CA chain (NULL: the service's), by
 * the profile of PD, and its ids: PD's trusts for the service's store.
 * Returns the store's name, or NULL when the profile has no slots (then
 * *IDS is PD's trusts). */
const char *uctls_store_for_slot(const struct uctls_peerdef *pd, const char *slot,
                                 char *const **ids, size_t *n);

/* 1 when SLOT is an -ECDSA slot, 0 for another slot, -1 for NULL. */
int uctls_store_slot_is_ec(const char *slot);

/* Which chain server Y presents to client X: Y's sends_ec when X accepts
 * ECDSA signatures only (signatures="ecdsa"; a GnuTLS client otherwise lists
 * RSA first, and the device follows the client's order: Cisco, "IM and
 * Presence and ECDSA Certificate Q&A", doc 212086), else Y's sends.  The
 * static twin of tls.c's choice, for fixes.  *IDS borrowed from Y. */
void uctls_store_presented(const struct uctls_peerdef *y, const struct uctls_peerdef *x,
                           char *const **ids, size_t *n);

/* After a chain failure (REC's reason untrusted-root, issuer-not-found or
 * self-signed) on PD, a device with named stores: adds to REC an `also'
 * line for each CA that PD holds in another of its stores only (the field's
 * classic mistake: "root is in tomcat-trust, which this connection does not
 * use").  0, or -1 out of memory. */
struct uctls_step;
int uctls_store_note(struct uctls_step *rec, const struct uctls_peerdef *pd);

#endif
