/* uctls — TAP version 13 YAML diagnostics (tap13.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tap13.h"
#include "warn.h"

/* The code point of the well-formed UTF-8 sequence at S and its length in
 * *N (RFC 3629 section 4); -1 when the bytes there are not one. */
static long
utf8_decode(const unsigned char *s, size_t *n)
{
	static const unsigned char lo_of[5] = { 0, 0, 0x80, 0xA0, 0x90 };
	unsigned char c = s[0], lo, hi = 0xBF;
	long cp;
	size_t i;

	if (c >= 0xC2 && c <= 0xDF)
		*n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		*n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		*n = 4;
	else
		return -1;
	lo = c == 0xE0 || c == 0xF0 ? lo_of[*n] : 0x80;
	if (c == 0xED)
		hi = 0x9F; /* no surrogates */
	else if (c == 0xF4)
		hi = 0x8F; /* nothing above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return -1;
	cp = c & (0xFF >> (*n + 1));
	for (i = 1; i < *n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return -1;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	return cp;
}

/*
 * A code point a YAML reader takes as it is inside a double-quoted scalar.
 * YAML 1.1 section 5.1 (what PyYAML reads) allows tab, line feed, carriage
 * return, 0x20-0x7E, U+0085, U+00A0-U+D7FF, U+E000-U+FFFD and above; of
 * those, line breaks (U+0085, U+2028, U+2029) would be folded, and a BOM
 * inside a document is refused by some readers: all of these are escaped.
 */
static int
yaml_plain_cp(long cp)
{
	return (cp >= 0x20 && cp <= 0x7E) ||
	       (cp >= 0xA0 && cp <= 0xFFFD && cp != 0x2028 && cp != 0x2029 && cp != 0xFEFF) ||
	       cp >= 0x10000;
}

void
uctls_yaml_string(FILE *f, const char *s)
{
	const unsigned char *p;
	size_t n;
	long cp;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = 1;
		cp = *p < 0x80 ? *p : utf8_decode(p, &n);
		if (cp < 0) {
			fputs("\\uFFFD", f); /* a byte that is not UTF-8 */
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			fprintf(f, "\\%c", (int)cp);
		} else if (cp == '\n') {
			fputs("\\n", f);
		} else if (cp == '\t') {
			fputs("\\t", f);
		} else if (yaml_plain_cp(cp)) {
			fwrite(p, 1, n, f);
		} else if (cp <= 0xFF) {
			fprintf(f, "\\x%02X", (unsigned)cp);
		} else {
			fprintf(f, "\\u%04lX", cp);
		}
	}
	fputc('"', f);
}

/* "  KEY: VALUE" at INDENT spaces, VALUE a quoted string or null. */
static void
kv(FILE *f, int indent, const char *key, const char *val)
{
	fprintf(f, "%*s%s: ", indent, "", key);
	uctls_yaml_string(f, val);
	fputc('\n', f);
}

/* The first verified fix of LOG, or NULL. */
static const char *
verified_fix(const struct uctls_log *log)
{
	size_t i;

	for (i = 0; i < log->nfixes; i++)
		if (log->fixes[i].passes)
			return log->fixes[i].what;
	return NULL;
}

/* "expected:": what the scenario's <expect> says. */
static void
yaml_expected(FILE *f, const struct uctls_expect *ex)
{
	fputs("  expected:\n", f);
	if (ex == NULL || !ex->present || ex->pass) {
		kv(f, 4, "result", "pass");
		return;
	}
	kv(f, 4, "result", "fail");
	kv(f, 4, "step", ex->fail_at);
	kv(f, 4, "side", ex->side);
	kv(f, 4, "reason", ex->reason);
	kv(f, 4, "other", ex->other);
}

/* "warnings:": the expiry warnings of a run (warn.h), each with its side;
 * nothing when there are none. */
static void
yaml_warnings(FILE *f, const struct uctls_log *log)
{
	const struct uctls_step *st;
	const char *w;
	size_t i;

	for (i = 0; (w = uctls_warn_at(log, i, &st)) != NULL; i++) {
		if (i == 0)
			fputs("  warnings:\n", f);
		fputs("    - side: ", f);
		uctls_yaml_string(f, st->side);
		fputs("\n      step: ", f);
		uctls_yaml_string(f, st->step);
		fputs("\n      message: ", f);
		uctls_yaml_string(f, w);
		fputc('\n', f);
	}
}

/* "got:": what happened -- the primary failure FL and the record OTHER
 * of the other side at its step. */
static void
yaml_got(FILE *f, const struct uctls_step *fl, const struct uctls_step *other)
{
	fputs("  got:\n", f);
	if (fl == NULL) {
		kv(f, 4, "result", "pass");
		return;
	}
	kv(f, 4, "result", "fail");
	kv(f, 4, "step", fl->step);
	kv(f, 4, "side", fl->side);
	kv(f, 4, "reason", fl->reason);
	kv(f, 4, "other", other != NULL && other->status == UCTLS_FAIL ? other->reason : NULL);
}

void
uctls_tap13_yaml(FILE *f, const struct uctls_log *log, const struct uctls_expect *ex,
                 const struct uctls_outcome *oc)
{
	const struct uctls_step *fl = uctls_log_failure(log);
	const struct uctls_step *o = uctls_report_other(log, fl);

	fputs("  ---\n", f);
	kv(f, 2, "message", oc->matched ? "matched" : oc->why);
	kv(f, 2, "severity",
	   !oc->matched ? "fail" : uctls_warn_at(log, 0, NULL) != NULL ? "warning" : "none");
	kv(f, 2, "scenario", log->scenario);
	kv(f, 2, "file", log->file);
	kv(f, 2, "family", log->family);
	if (fl != NULL) {
		kv(f, 2, "step", fl->step);
		kv(f, 2, "side", fl->side);
		kv(f, 2, "reason", fl->reason);
		kv(f, 2, "other", o != NULL && o->status == UCTLS_FAIL ? o->reason : NULL);
		kv(f, 2, "detail", fl->detail);
		kv(f, 2, "hint", fl->hint);
		kv(f, 2, "fix", verified_fix(log));
	}
	yaml_warnings(f, log);
	yaml_expected(f, ex);
	if (ex != NULL && ex->warns != 0)
		kv(f, 4, "warns", ex->warns > 0 ? "expiring" : "none");
	yaml_got(f, fl, o);
	fputs("  ...\n", f);
}

void
uctls_tap13_yaml_error(FILE *f, const char *file, const char *msg)
{
	fputs("  ---\n", f);
	kv(f, 2, "message", msg);
	kv(f, 2, "severity", "error");
	kv(f, 2, "file", file);
	fputs("  ...\n", f);
}
