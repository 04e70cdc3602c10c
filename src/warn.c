#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warn.h"

#define DEFAULT_WINDOW 30 /* days (verify.h warn_days 0) */

static const char tail[] = " - not the cause";

size_t
uctls_warn_expiry_len(const char *text)
{
	size_t n = strlen(text), t = sizeof(tail) - 1;

	if (strstr(text, " expires in ") == NULL || n < t || strcmp(text + n - t, tail) != 0)
		return 0;
	return n - t;
}

unsigned
uctls_warn_window(const struct uctls_profile *p, unsigned days)
{
	if (days != 0)
		return days;
	return p != NULL && p->warn_days != 0 ? p->warn_days : DEFAULT_WINDOW;
}

int
uctls_warn_add(struct uctls_step *rec, const struct uctls_profile *p, unsigned days,
               char *const *notes, size_t n)
{
	size_t i, len;
	char *s;
	int r;

	for (i = 0; i < n; i++) {
		if ((len = uctls_warn_expiry_len(notes[i])) == 0)
			continue;
		/* "warning: `CN=x' (x) expires in 9 days (DATE), within the
		 * 30-day window of cucm: WORDS" */
		r = asprintf(&s, "%s%.*s, within the %u-day expiry warning window of profile %s%s%s",
		             UCTLS_WARN_PREFIX, (int)len, notes[i], uctls_warn_window(p, days),
		             p != NULL ? p->name : "?",
		             p != NULL && p->warn_words != NULL ? ": " : "",
		             p != NULL && p->warn_words != NULL ? p->warn_words : "");
		if (r < 0)
			return -1;
		r = uctls_log_add_also(rec, s);
		free(s);
		if (r < 0)
			return -1;
	}
	return 0;
}

const char *
uctls_warn_at(const struct uctls_log *log, size_t i, const struct uctls_step **st)
{
	static const char pfx[] = UCTLS_WARN_PREFIX;
	size_t s, k;

	for (s = 0; log != NULL && s < log->nsteps; s++)
		for (k = 0; k < log->steps[s].nalso; k++) {
			const char *a = log->steps[s].also[k];

			if (strncmp(a, pfx, sizeof(pfx) - 1) != 0 || strstr(a, " expires in ") == NULL)
				continue;
			if (i-- == 0) {
				if (st != NULL)
					*st = &log->steps[s];
				return a + sizeof(pfx) - 1;
			}
		}
	return NULL;
}
