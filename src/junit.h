/* uctls — a run's outcomes as JUnit XML (`uctls run --junit FILE').
 *
 * The layout GitLab (artifacts:reports:junit) and Jenkins (the junit step)
 * read: <testsuites> holding one <testsuite> per family, one <testcase> per
 * scenario (classname the family, name the scenario, file, time in
 * seconds); a scenario whose outcome does not match its <expect> carries a
 * <failure> whose message is the mismatch and whose text is the failing
 * step, side and reason, its detail, hint and verified fix; an input error
 * is an <error> in the suite "input".  Cases are kept in memory until
 * uctls_junit_write(), which writes the file safely (fileio.h).
 */
#ifndef UCTLS_JUNIT_H
#define UCTLS_JUNIT_H

#include "err.h"
#include "report.h"
#include "steplog.h"

struct uctls_junit;

struct uctls_junit *uctls_junit_new(void); /* NULL when out of memory */
void uctls_junit_free(struct uctls_junit *j);

/* One scenario's log and outcome; 0, or -1 when out of memory. */
int uctls_junit_add(struct uctls_junit *j, const struct uctls_log *log,
                    const struct uctls_outcome *oc);
/* A file that could not be run (exit status 2): FILE and the message. */
int uctls_junit_add_error(struct uctls_junit *j, const char *file, const char *msg);

/* Writes the report to PATH; 0, or -1 with ERR set. */
int uctls_junit_write(struct uctls_junit *j, const char *path, struct uctls_err *err);

#endif
