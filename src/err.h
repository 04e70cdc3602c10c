/* uctls — error reporting (uctls_err_*).
 *
 * Library code never prints and never exits: a failing call fills a
 * struct uctls_err and returns -1.  The first error is kept (it is the root
 * cause); later uctls_err_set() calls on a set error are ignored.
 * Messages name the file:line, the operation and the library's own error
 * string, e.g. "a.xml:12: <cert id=\"x\">: unknown issuer `y'".
 */
#ifndef UCTLS_ERR_H
#define UCTLS_ERR_H

#include <stddef.h>

#define UCTLS_ERR_MAX 1024

struct uctls_err {
	int set;
	char msg[UCTLS_ERR_MAX];
};

void uctls_err_clear(struct uctls_err *err);

/* Formats into err->msg unless an error is already set.  Always returns -1
 * so that callers can `return uctls_err_set(err, ...);'. */
int uctls_err_set(struct uctls_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Same, prefixed with "FILE:LINE: ". */
int uctls_err_at(struct uctls_err *err, const char *file, int line,
                 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
