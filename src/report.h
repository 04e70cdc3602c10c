/* uctls — outcome and report writers (uctls_report_*).
 *
 * Writers only read the step log; they write to a stream the caller owns.
 * Formats: human text (a step table per side, then the failing step with
 * reason, detail and a one-line hint), JSON (one object per scenario, one per
 * line; the shape is documented in uctls(1)), TAP (one test line per
 * scenario, for Automake's tap-driver; TAP 13 adds a YAML block under a test
 * that is not ok), and one line per scenario for a run of many.
 */
#ifndef UCTLS_REPORT_H
#define UCTLS_REPORT_H

#include <stdio.h>

#include "scenario.h"
#include "steplog.h"

struct uctls_outcome {
	int matched;      /* 1: the log agrees with <expect> (or passes with none) */
	char why[512];    /* when not matched: what differed, one line */
};

/* Compares LOG with EX (EX may have present == 0). */
void uctls_outcome_eval(const struct uctls_expect *ex, const struct uctls_log *log,
                        struct uctls_outcome *out);

void uctls_report_text(FILE *f, const struct uctls_log *log,
                       const struct uctls_expect *ex,
                       const struct uctls_outcome *oc);
void uctls_report_json(FILE *f, const struct uctls_log *log,
                       const struct uctls_expect *ex,
                       const struct uctls_outcome *oc);
/* "ok N - NAME" / "not ok N - NAME" with the failing step as a TAP
 * diagnostic ("# ...") below. */
void uctls_report_tap(FILE *f, int num, const struct uctls_log *log,
                      const struct uctls_expect *ex,
                      const struct uctls_outcome *oc);

/* The same in TAP version 13: a test that is not ok also gets a YAML block
 * (tap13.h) right below its line.  The stream begins "TAP version 13". */
void uctls_report_tap13(FILE *f, int num, const struct uctls_log *log,
                        const struct uctls_expect *ex,
                        const struct uctls_outcome *oc);

/* One line for a run of many scenarios: "match", "MISMATCH" (then the
 * difference) or "ERROR", the name, and the outcome ("pass", or "fails at
 * STEP on SIDE: REASON"). */
void uctls_report_line(FILE *f, const struct uctls_log *log,
                       const struct uctls_outcome *oc);
/* The line of a file that could not be run; MSG NULL: said on stderr. */
void uctls_report_error_line(FILE *f, const char *file, const char *msg);

/* The record of the other side at the step of the failure FL (what it
 * saw: often the alert it received), or NULL. */
const struct uctls_step *uctls_report_other(const struct uctls_log *log,
                                            const struct uctls_step *fl);

/* A scenario that could not be run (input error): FILE and the message. */
void uctls_report_error_json(FILE *f, const char *file, const char *msg);
void uctls_report_error_tap(FILE *f, int num, const char *file, const char *msg);
void uctls_report_error_tap13(FILE *f, int num, const char *file, const char *msg);

/* JSON string escaping, for writers and the harness. */
void uctls_json_string(FILE *f, const char *s);

#endif
