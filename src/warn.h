/* uctls — expiry warnings on a run that passes (uctls_warn_*).
 *
 * The verifier notes every certificate of a path it accepted that expires
 * within the verifying side's window (verify.c check_validity: "... expires
 * in N days (DATE) - not the cause").  A failure hides nothing, so these
 * notes matter most on a *passing* run: the certificate monitor of a
 * UCOS device (CUCM, IM and Presence) warns the same way before the
 * certificate breaks the connection.  This module turns those notes into
 * "warning: ..." entries of the passing tls-handshake record, in the
 * device's words (profile.h warn_words), and lets the reports and <expect
 * warns=> find them.  No cost when nothing is near expiry: the verifier
 * formats a note only for a certificate inside the window.
 */
#ifndef UCTLS_WARN_H
#define UCTLS_WARN_H

#include <stddef.h>

#include "profile.h"
#include "steplog.h"

/* The prefix of a note that is a warning (steplog `also' entries). */
#define UCTLS_WARN_PREFIX "warning: "

/* The length of TEXT without its " - not the cause" tail when TEXT is the
 * verifier's expiry note ("... expires in N days (DATE) - not the cause"),
 * else 0.  Shared with uctls check (devcheck.c). */
size_t uctls_warn_expiry_len(const char *text);

/* The window of a side with profile P: DAYS (uctls run --warn-days) when
 * not 0, else the profile's warn_days, else 30. */
unsigned uctls_warn_window(const struct uctls_profile *p, unsigned days);

/* Adds to REC (a passing tls-handshake record of a side with profile P) a
 * warning for each expiry note of NOTES[0..N): the certificate, days left
 * and notAfter, the window, and the device's words.  0, or -1 when out of
 * memory. */
int uctls_warn_add(struct uctls_step *rec, const struct uctls_profile *p, unsigned days,
                   char *const *notes, size_t n);

/* The Ith expiry warning of LOG (without its prefix), and in *ST its
 * record; NULL past the last. */
const char *uctls_warn_at(const struct uctls_log *log, size_t i, const struct uctls_step **st);

#endif
