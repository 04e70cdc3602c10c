/* uctls — the YAML diagnostics of a TAP version 13 stream (uctls_tap13_*).
 *
 * TAP 13 (testanything.org/tap-version-13-specification.html) lets a test
 * line be followed by a YAML document indented two spaces, between "  ---"
 * and "  ...".  `uctls run --tap' writes one under every test that is not
 * ok: the failing step, side and reason, what the other side saw, the
 * detail, the hint and the verified fix, and the expectation against what
 * happened, so a CI server (or yaml.safe_load) reads them as data.  Every
 * string is a YAML double-quoted scalar whose escapes keep it valid YAML
 * 1.1 and 1.2 whatever a certificate or a peer's error string holds.
 *
 * Writers only read; they write to a stream the caller owns.
 */
#ifndef UCTLS_TAP13_H
#define UCTLS_TAP13_H

#include <stdio.h>

#include "report.h"
#include "scenario.h"
#include "steplog.h"

/* The YAML block of a test that is not ok (LOG, its <expect> EX, OC). */
void uctls_tap13_yaml(FILE *f, const struct uctls_log *log, const struct uctls_expect *ex,
                      const struct uctls_outcome *oc);
/* The YAML block of a file that could not be run: FILE and MSG. */
void uctls_tap13_yaml_error(FILE *f, const char *file, const char *msg);
/* S as a YAML double-quoted scalar, or null for NULL. */
void uctls_yaml_string(FILE *f, const char *s);

#endif
