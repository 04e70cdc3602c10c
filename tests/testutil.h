/* Helpers shared by the Check suites. */
#ifndef UCTLS_TESTUTIL_H
#define UCTLS_TESTUTIL_H

#include <stddef.h>

/* SRCDIR "/" REL in a static buffer (valid until the next call). */
const char *tu_src(const char *rel);

/* Writes TEXT to a new file in a fresh temporary directory and returns its
 * path (static buffer, valid until the next call).  The directory is removed
 * by tu_cleanup(). */
const char *tu_write(const char *name, const char *text);
/* A fresh temporary directory shared by tu_write() calls until tu_cleanup(). */
const char *tu_tmpdir(void);
void tu_cleanup(void);

#endif
