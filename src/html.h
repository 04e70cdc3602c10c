/* uctls — a run as one self-contained HTML page (`uctls run --html FILE').
 *
 * The page a QA engineer attaches to a ticket: a summary table (family,
 * scenario, verdict, step, side, reason), then per scenario what failed and
 * why, a drawing of each side's chain (the certificates it sent, the CAs it
 * trusts; the missing or failing link marked in the chain the failing side
 * checked) and the ladder of each connection (ladder.h), both inline SVG.
 * No script, no external asset: styles are inline, so the file opens
 * anywhere.
 *
 * Each scenario is rendered into its slot when it is reported (in input
 * order, also with -j); uctls_html_write() writes the page safely
 * (fileio.h).  Ownership: nothing passed in is kept.
 */
#ifndef UCTLS_HTML_H
#define UCTLS_HTML_H

#include <stddef.h>

#include "err.h"
#include "pcap.h"
#include "report.h"
#include "scenario.h"
#include "steplog.h"

struct uctls_html;

struct uctls_html *uctls_html_new(size_t nslots); /* NULL when out of memory */
void uctls_html_free(struct uctls_html *h);        /* accepts NULL */

/* Scenario SC's run into slot SLOT: LOG, its outcome OC, and CAP (the
 * ladders; may be NULL).  0, or -1 when out of memory. */
int uctls_html_set(struct uctls_html *h, size_t slot, const struct uctls_scenario *sc,
                   const struct uctls_log *log, const struct uctls_outcome *oc,
                   const struct uctls_cap *cap);
/* FILE could not be run: MSG.  0, or -1 when out of memory. */
int uctls_html_set_error(struct uctls_html *h, size_t slot, const char *file, const char *msg);

/* Writes the page to PATH; 0, or -1 with ERR set. */
int uctls_html_write(const struct uctls_html *h, const char *path, struct uctls_err *err);

#endif
