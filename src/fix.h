/* uctls — verified fixes (uctls_fix_*).
 *
 * A hint is a claim: "do this and it works".  For a failing run, uctls
 * derives each candidate fix as an edit of the scenario's tree (xml.h: have
 * the presenting peer send an intermediate, trust a CA, add a SAN, re-issue
 * with an EKU, renew, ...), applies it to a copy, re-runs the whole
 * scenario, and records per fix what happened: every step passes, the
 * failure moves to a later step, or it does not help.  Fixes are ranked
 * best first and stored in the log (steplog.h) for the reports.
 */
#ifndef UCTLS_FIX_H
#define UCTLS_FIX_H

#include <stdio.h>

#include "engine.h"
#include "err.h"
#include "scenario.h"
#include "steplog.h"
#include "xml.h"

#define UCTLS_FIX_MAX 6 /* candidates re-run for one failure */

/* For LOG's failure of scenario SC (loaded from ROOT, borrowed), re-runs
 * each candidate with POOL and OPTS (timeout only: a real peer cannot be
 * re-run) and appends the results to LOG, best first.  *BEST (may be NULL)
 * receives a copy of the tree of the best fix that makes every step pass,
 * with <expect result="pass"/>, or NULL when none does (caller frees with
 * uctls_xml_free()).  Returns 0, or -1 with ERR set when out of memory. */
int uctls_fix_find(const struct uctls_scenario *sc, const struct uctls_xml_node *root,
                   struct uctls_log *log, struct uctls_keypool *pool,
                   const struct uctls_run_opts *opts, struct uctls_xml_node **best,
                   struct uctls_err *err);

#endif
