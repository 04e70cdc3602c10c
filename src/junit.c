/* uctls — JUnit XML report (junit.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "junit.h"
#include "warn.h"

#define MAX_SUITES 32

/* One <testsuite>: the <testcase> elements of a family, as text. */
struct suite {
	char *name;
	char *buf;
	size_t len;
	FILE *cases;
	unsigned tests, failures, errors;
	double secs;
};

struct uctls_junit {
	struct suite s[MAX_SUITES];
	size_t n;
	int oom;
};

struct uctls_junit *
uctls_junit_new(void)
{
	return calloc(1, sizeof(struct uctls_junit));
}

void
uctls_junit_free(struct uctls_junit *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		if (j->s[i].cases != NULL)
			fclose(j->s[i].cases);
		free(j->s[i].buf);
		free(j->s[i].name);
	}
	free(j);
}

/* S as XML attribute or text content: &, <, >, " escaped; control
 * characters other than tab and newline (not allowed in XML 1.0) as `?'. */
static void
esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c < 0x20 && c != '\t' && c != '\n')
			fputc('?', f);
		else
			fputc(c, f);
	}
}

/* The suite of FAMILY, created on first use; NULL when full or out of
 * memory (then J->oom). */
static struct suite *
suite_of(struct uctls_junit *j, const char *family)
{
	struct suite *s;
	size_t i;

	for (i = 0; i < j->n; i++)
		if (strcmp(j->s[i].name, family) == 0)
			return &j->s[i];
	if (j->n == MAX_SUITES) {
		j->oom = 1;
		return NULL;
	}
	s = &j->s[j->n];
	memset(s, 0, sizeof(*s));
	s->name = strdup(family);
	s->cases = s->name != NULL ? open_memstream(&s->buf, &s->len) : NULL;
	if (s->cases == NULL) {
		free(s->name);
		j->oom = 1;
		return NULL;
	}
	j->n++;
	return s;
}

/* The failing step of LOG in one line: step / side / reason, its detail and
 * hint, and the verified fix when there is one. */
static void
failure_text(FILE *f, const struct uctls_log *log)
{
	const struct uctls_step *st = uctls_log_failure(log);
	size_t i;

	if (st == NULL)
		return;
	fprintf(f, "%s failed on %s: %s\n", st->step, st->side, st->reason);
	if (st->detail != NULL)
		fprintf(f, "%s\n", st->detail);
	if (st->hint != NULL)
		fprintf(f, "hint: %s\n", st->hint);
	for (i = 0; i < log->nfixes; i++)
		if (log->fixes[i].passes) {
			fprintf(f, "verified fix: %s\n", log->fixes[i].what);
			break;
		}
}

/* Ends a passing testcase: its expiry warnings (warn.h), when there are
 * any, as <system-out>. */
static void
junit_warnings(FILE *f, const struct uctls_log *log)
{
	const struct uctls_step *st;
	const char *w;
	size_t i;

	if (uctls_warn_at(log, 0, NULL) == NULL) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      <system-out>", f);
	for (i = 0; (w = uctls_warn_at(log, i, &st)) != NULL; i++) {
		fputs("warning (", f);
		esc(f, st->step);
		fputs(" on ", f);
		esc(f, st->side);
		fputs("): ", f);
		esc(f, w);
		fputs("\n", f);
	}
	fputs("</system-out>\n    </testcase>\n", f);
}

int
uctls_junit_add(struct uctls_junit *j, const struct uctls_log *log,
                const struct uctls_outcome *oc)
{
	const struct uctls_step *st = uctls_log_failure(log);
	struct suite *s = suite_of(j, log->family != NULL ? log->family : "uctls");
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (s == NULL)
		return -1;
	s->tests++;
	s->secs += log->total_ms / 1000.0;
	fputs("    <testcase classname=\"", s->cases);
	esc(s->cases, log->family);
	fputs("\" name=\"", s->cases);
	esc(s->cases, log->scenario);
	fprintf(s->cases, "\" file=\"");
	esc(s->cases, log->file);
	fprintf(s->cases, "\" time=\"%.3f\"", log->total_ms / 1000.0);
	if (oc->matched) {
		junit_warnings(s->cases, log);
		return 0;
	}
	s->failures++;
	m = open_memstream(&text, &len);
	if (m == NULL) {
		j->oom = 1;
		return -1;
	}
	failure_text(m, log);
	fclose(m);
	fputs(">\n      <failure message=\"", s->cases);
	esc(s->cases, oc->why);
	fputs("\" type=\"", s->cases);
	esc(s->cases, st != NULL ? st->reason : "mismatch");
	fputs("\">", s->cases);
	esc(s->cases, text);
	fputs("</failure>\n    </testcase>\n", s->cases);
	free(text);
	return 0;
}

int
uctls_junit_add_error(struct uctls_junit *j, const char *file, const char *msg)
{
	struct suite *s = suite_of(j, "input");

	if (s == NULL)
		return -1;
	s->tests++;
	s->errors++;
	fputs("    <testcase classname=\"input\" name=\"", s->cases);
	esc(s->cases, file);
	fputs("\" time=\"0\">\n      <error message=\"", s->cases);
	esc(s->cases, msg);
	fputs("\" type=\"input-error\"/>\n    </testcase>\n", s->cases);
	return 0;
}

int
uctls_junit_write(struct uctls_junit *j, const char *path, struct uctls_err *err)
{
	unsigned tests = 0, failures = 0, errors = 0;
	char *buf = NULL;
	size_t len = 0, i;
	double secs = 0;
	FILE *m;
	int rv;

	for (i = 0; i < j->n; i++)
		if (fflush(j->s[i].cases) != 0)
			j->oom = 1;
	if (j->oom || (m = open_memstream(&buf, &len)) == NULL)
		return uctls_err_set(err, "%s: --junit: out of memory", path);
	for (i = 0; i < j->n; i++) {
		tests += j->s[i].tests;
		failures += j->s[i].failures;
		errors += j->s[i].errors;
		secs += j->s[i].secs;
	}
	fprintf(m, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"uctls\" "
	           "tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n",
	        tests, failures, errors, secs);
	for (i = 0; i < j->n; i++) {
		const struct suite *s = &j->s[i];

		fputs("  <testsuite name=\"", m);
		esc(m, s->name);
		fprintf(m, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"0\" time=\"%.3f\">\n",
		        s->tests, s->failures, s->errors, s->secs);
		fwrite(s->buf, 1, s->len, m);
		fputs("  </testsuite>\n", m);
	}
	fputs("</testsuites>\n", m);
	if (fclose(m) != 0) {
		free(buf);
		return uctls_err_set(err, "%s: --junit: out of memory", path);
	}
	rv = uctls_file_write(path, buf, len, 0644, err);
	free(buf);
	return rv;
}
