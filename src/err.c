#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
uctls_err_clear(struct uctls_err *err)
{
	err->set = 0;
	err->msg[0] = '\0';
}

int
uctls_err_set(struct uctls_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->set)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->set = 1;
	return -1;
}

int
uctls_err_at(struct uctls_err *err, const char *file, int line,
             const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || err->set)
		return -1;
	n = snprintf(err->msg, sizeof(err->msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	err->set = 1;
	return -1;
}
