#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "certinfo.h"
#include "profile.h"
#include "report.h"
#include "tap13.h"
#include "warn.h"

#define TEXT_WIDTH 100 /* wrap column of the human report */
#define FPR_DIGITS 16  /* hex digits of a fingerprint shown in the text report */
#define MAX_COLS 4     /* side columns of the step table */

static const char *
nz(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const char *
status_name(enum uctls_status s)
{
	switch (s) {
	case UCTLS_PASS:
		return "pass";
	case UCTLS_FAIL:
		return "fail";
	case UCTLS_NOT_REACHED:
		return "not-reached";
	case UCTLS_UNOBSERVED:
		return "unobserved";
	}
	return "unknown";
}

/* The record of SIDE at STEP for the step table: its FAIL record when it has
 * one, else its first record; NULL when the side logged nothing there. */
static const struct uctls_step *
find_any(const struct uctls_log *log, const char *step, const char *side)
{
	const struct uctls_step *st;
	size_t i;

	st = uctls_log_find(log, step, side);
	if (st != NULL)
		return st;
	for (i = 0; i < log->nsteps; i++)
		if (streq(log->steps[i].step, step) && streq(log->steps[i].side, side))
			return &log->steps[i];
	return NULL;
}

/* The side that is not SIDE, from log->sides when registered there: with
 * more than two sides (traversal's mra-edge involves E and a Jabber client),
 * the one that has a record at STEP. */
static const char *
other_side(const struct uctls_log *log, const char *side, const char *step)
{
	const char *first = NULL;
	size_t i;

	for (i = 0; i < log->nsides; i++) {
		if (log->sides[i].id == NULL || streq(log->sides[i].id, side))
			continue;
		if (find_any(log, step, log->sides[i].id) != NULL)
			return log->sides[i].id;
		if (first == NULL)
			first = log->sides[i].id;
	}
	return first;
}

/* The side info of ID, or NULL. */
static const struct uctls_side_info *
side_info(const struct uctls_log *log, const char *id)
{
	size_t i;

	for (i = 0; i < log->nsides; i++)
		if (log->sides[i].id != NULL && streq(log->sides[i].id, id))
			return &log->sides[i];
	return NULL;
}

/* 1 when SIDE is a real peer whose steps this run could not observe. */
static int
side_is_remote(const struct uctls_log *log, const char *side)
{
	const struct uctls_side_info *si = side_info(log, side);

	return si != NULL && si->remote;
}

/* "step/side/reason" of ST, or "pass" when ST is NULL (nothing failed). */
static void
describe(char *buf, size_t len, const struct uctls_step *st)
{
	if (st == NULL)
		snprintf(buf, len, "pass");
	else
		snprintf(buf, len, "%s/%s/%s", st->step, st->side,
		         nz(st->reason, "(no reason)"));
}

/*
 * The <expect> comparison.  The primary failure (uctls_log_failure: the
 * side that diagnosed the cause, not the side that only received an alert)
 * must name exactly the expected step, side and reason; `other', when
 * given, is then checked against the other side's FAIL record at that step.
 */
static void
outcome_eval_steps(const struct uctls_expect *ex, const struct uctls_log *log,
                   struct uctls_outcome *out)
{
	const struct uctls_step *f, *o = NULL;
	const char *oid;
	char got[200], want[200];
	size_t i;

	memset(out, 0, sizeof(*out));
	f = uctls_log_failure(log);
	describe(got, sizeof(got), f);

	if (ex == NULL || !ex->present || ex->pass) {
		out->matched = f == NULL;
		if (!out->matched)
			snprintf(out->why, sizeof(out->why), "expected pass%s, got %s",
			         ex == NULL || !ex->present ? " (no <expect>)" : "", got);
		return;
	}

	snprintf(want, sizeof(want), "%s/%s/%s", nz(ex->fail_at, "?"),
	         nz(ex->side, "?"), nz(ex->reason, "?"));
	if (side_is_remote(log, ex->side)) {
		/* One side real (--remote/--listen): the expected side's own
		 * reason cannot be seen.  This side must have got that far
		 * (no failure before fail_at) and, when `other' is given, seen
		 * it at fail_at. */
		int reached = 0;

		for (i = 0; i < log->nsteps; i++) {
			const struct uctls_step *st = &log->steps[i];

			if (streq(st->side, ex->side))
				continue;
			if (streq(st->step, ex->fail_at)) {
				reached = 1;
				if (o == NULL && st->status == UCTLS_FAIL)
					o = st;
			}
		}
		if (!reached || (f != NULL && !streq(f->step, ex->fail_at)) ||
		    (ex->other != NULL && (o == NULL || !streq(o->reason, ex->other)))) {
			snprintf(out->why, sizeof(out->why),
			         "expected %s (%s is a real peer, its reason not observable here; "
			         "this side should reach %s%s%s), got %s",
			         want, ex->side, ex->fail_at, ex->other ? " and see " : "",
			         ex->other ? ex->other : "", got);
			return;
		}
		out->matched = 1;
		return;
	}
	if (f == NULL || !streq(f->step, ex->fail_at) ||
	    !streq(f->side, ex->side) || !streq(f->reason, ex->reason)) {
		snprintf(out->why, sizeof(out->why), "expected %s, got %s", want, got);
		return;
	}

	if (ex->other != NULL) {
		oid = other_side(log, ex->side, ex->fail_at);
		if (oid != NULL && side_is_remote(log, oid)) {
			/* The other side is a real peer: what it saw is not
			 * observable here. */
			out->matched = 1;
			return;
		}
		if (oid != NULL) {
			o = find_any(log, ex->fail_at, oid);
		} else {
			/* Sides not registered: any FAIL record of another side. */
			for (i = 0; i < log->nsteps && o == NULL; i++)
				if (log->steps[i].status == UCTLS_FAIL &&
				    streq(log->steps[i].step, ex->fail_at) &&
				    !streq(log->steps[i].side, ex->side))
					o = &log->steps[i];
		}
		if (o == NULL || o->status != UCTLS_FAIL ||
		    !streq(o->reason, ex->other)) {
			snprintf(out->why, sizeof(out->why),
			         "expected %s to see %s at %s, got %s",
			         nz(oid, "the other side"), ex->other, ex->fail_at,
			         o == NULL ? "no record" :
			         o->status == UCTLS_FAIL ? nz(o->reason, "(no reason)") :
			                                   status_name(o->status));
			return;
		}
	}
	out->matched = 1;
}

/* The steps as above; then <expect warns=> against the expiry warnings of
 * LOG (warn.h). */
void
uctls_outcome_eval(const struct uctls_expect *ex, const struct uctls_log *log,
                   struct uctls_outcome *out)
{
	const char *w;

	outcome_eval_steps(ex, log, out);
	if (!out->matched || ex == NULL || ex->warns == 0)
		return;
	w = uctls_warn_at(log, 0, NULL);
	if (ex->warns > 0 && w == NULL) {
		out->matched = 0;
		snprintf(out->why, sizeof(out->why),
		         "expected an expiry warning (warns=\"expiring\"), got none");
	} else if (ex->warns < 0 && w != NULL) {
		out->matched = 0;
		snprintf(out->why, sizeof(out->why), "expected no warning (warns=\"none\"), got: %s",
		         w);
	}
}

/* ---- text ------------------------------------------------------------- */

/* Display columns of the UTF-8 string S (continuation bytes take none). */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* Writes N bytes of S with control characters replaced, so a certificate
 * subject or a peer's error string cannot drive the terminal. */
static void
put_text_n(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

static void
put_text(FILE *f, const char *s)
{
	put_text_n(f, s, strlen(s));
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/*
 * Writes INDENT spaces, LABEL, then TEXT wrapped at TEXT_WIDTH with a hanging
 * indent under the start of TEXT.  Newlines in TEXT start a new line; runs
 * of blanks collapse; a word longer than the line gets a line of its own.
 */
static void
put_wrapped(FILE *f, size_t indent, const char *label, const char *text)
{
	size_t hang = indent + text_width(label), col, wlen, n, i;
	int at_start = 1;
	const char *p = text;

	pad(f, indent);
	put_text(f, label);
	col = hang;
	while (*p != '\0') {
		if (*p == '\n') {
			fputc('\n', f);
			pad(f, hang);
			col = hang;
			at_start = 1;
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		n = strcspn(p, " \t\r\n");
		for (wlen = 0, i = 0; i < n; i++)
			if (((unsigned char)p[i] & 0xC0) != 0x80)
				wlen++;
		if (!at_start && col + 1 + wlen > TEXT_WIDTH) {
			fputc('\n', f);
			pad(f, hang);
			col = hang;
			at_start = 1;
		}
		if (!at_start) {
			fputc(' ', f);
			col++;
		}
		put_text_n(f, p, n);
		col += wlen;
		at_start = 0;
		p += n;
	}
	fputc('\n', f);
}

/* The table cell of a record. */
static void
cell(char *buf, size_t len, const struct uctls_step *st)
{
	if (st == NULL)
		snprintf(buf, len, "-");
	else if (st->status == UCTLS_PASS)
		snprintf(buf, len, "ok");
	else if (st->status == UCTLS_FAIL)
		snprintf(buf, len, "FAIL %s", nz(st->reason, "(no reason)"));
	else if (st->status == UCTLS_NOT_REACHED)
		snprintf(buf, len, "not reached");
	else
		snprintf(buf, len, "unobserved");
}

/* 1 when record I is the first of its step: the table has one row per
 * distinct step, in the order the steps were first logged. */
static int
first_of_step(const struct uctls_log *log, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (streq(log->steps[j].step, log->steps[i].step))
			return 0;
	return 1;
}

/* The side columns of the text report: the registered sides, in
 * log->sides order; when none were registered (a log built by hand or an
 * engine that failed early), the sides named by the records, in order of
 * appearance.  Returns the number of ids stored in IDS. */
static size_t
side_columns(const struct uctls_log *log, const char *ids[MAX_COLS])
{
	size_t n = 0, i, j;

	for (i = 0; i < log->nsides && n < MAX_COLS; i++)
		ids[n++] = nz(log->sides[i].id, "?");
	if (n > 0)
		return n;
	for (i = 0; i < log->nsteps && n < MAX_COLS; i++) {
		for (j = 0; j < n && !streq(ids[j], log->steps[i].side); j++)
			;
		if (j == n)
			ids[n++] = log->steps[i].side;
	}
	return n;
}

static void
text_table(FILE *f, const struct uctls_log *log)
{
	const char *ids[MAX_COLS];
	char buf[256];
	size_t stepw = strlen("step"), sidew[MAX_COLS], ncols, i, s, w;

	ncols = side_columns(log, ids);
	for (s = 0; s < ncols; s++)
		sidew[s] = text_width(ids[s]);
	for (i = 0; i < log->nsteps; i++) {
		if (!first_of_step(log, i))
			continue;
		w = text_width(log->steps[i].step);
		if (w > stepw)
			stepw = w;
		for (s = 0; s < ncols; s++) {
			cell(buf, sizeof(buf), find_any(log, log->steps[i].step, ids[s]));
			w = text_width(buf);
			if (w > sidew[s])
				sidew[s] = w;
		}
	}

	fputs("  step", f);
	pad(f, stepw + 3 - strlen("step"));
	for (s = 0; s < ncols; s++) {
		put_text(f, ids[s]);
		if (s + 1 < ncols)
			pad(f, sidew[s] + 3 - text_width(ids[s]));
	}
	fputc('\n', f);
	for (i = 0; i < log->nsteps; i++) {
		if (!first_of_step(log, i))
			continue;
		fputs("  ", f);
		put_text(f, log->steps[i].step);
		pad(f, stepw + 3 - text_width(log->steps[i].step));
		for (s = 0; s < ncols; s++) {
			cell(buf, sizeof(buf), find_any(log, log->steps[i].step, ids[s]));
			put_text(f, buf);
			if (s + 1 < ncols)
				pad(f, sidew[s] + 3 - text_width(buf));
		}
		fputc('\n', f);
	}
}

/* What the failing side's device shows, in its own words (profile.h
 * symptom), next to uctls's reason. */
static void
text_symptom(FILE *f, const struct uctls_log *log, const struct uctls_step *fl)
{
	const struct uctls_side_info *si = NULL;
	const struct uctls_profile *p;
	const char *one = NULL, *const *list = NULL;
	size_t i, n = 0;

	/* An upload refused has its own words, in the detail. */
	if (streq(fl->step, "install"))
		return;
	for (i = 0; i < log->nsides; i++)
		if (streq(log->sides[i].id, fl->side) && log->sides[i].profile != NULL)
			si = &log->sides[i];
	if (si != NULL && (si->symptom != NULL || si->nsymptoms > 0)) {
		one = si->symptom; /* a scenario's own profile (steplog.h) */
		list = (const char *const *)si->symptoms;
		n = si->nsymptoms;
	} else if (si != NULL && (p = uctls_profile_find(si->profile)) != NULL) {
		one = p->symptom;
		list = p->symptoms;
		while (list != NULL && list[n] != NULL)
			n++;
	}
	/* A reason of its own first (profile.h symptoms: "REASON WORDS"). */
	for (i = 0; fl->reason != NULL && i < n; i++) {
		size_t k = strcspn(list[i], " ");

		if (strlen(fl->reason) == k && strncmp(list[i], fl->reason, k) == 0 &&
		    list[i][k] == ' ') {
			put_wrapped(f, 5, "the device shows: ", list[i] + k + 1);
			return;
		}
	}
	if (one != NULL)
		put_wrapped(f, 5, "the device shows: ", one);
}

/* The fixes uctls applied and re-ran (fix.h), best first. */
static void
text_fixes(FILE *f, const struct uctls_log *log)
{
	char label[32], msg[1024];
	size_t i;

	if (log->nfixes > 0)
		fputs("     fixes (each applied and verified again, best first):\n", f);
	for (i = 0; i < log->nfixes; i++) {
		snprintf(label, sizeof(label), "%zu. ", i + 1);
		snprintf(msg, sizeof(msg), "%s -- %s", log->fixes[i].what, log->fixes[i].result);
		put_wrapped(f, 7, label, msg);
	}
}

/* The prefix of a note that is a warning (not a failure; see devcheck.h). */
static const char warn_prefix[] = "warning: ";

static int
is_warning(const char *note)
{
	return strncmp(note, warn_prefix, sizeof(warn_prefix) - 1) == 0;
}

/* The problems of the failing record FL: "-> STEP failed on SIDE: REASON"
 * (TOO: another failing record than the cause), detail, hint, and every
 * other problem and note. */
static void
text_problems(FILE *f, const struct uctls_step *fl, int too, const char *verified)
{
	size_t i;

	fputs("  -> ", f);
	put_text(f, fl->step);
	fputs(" failed on ", f);
	put_text(f, fl->side);
	fputs(too ? " too: " : ": ", f);
	put_text(f, nz(fl->reason, "(no reason)"));
	fputc('\n', f);
	if (fl->detail != NULL)
		put_wrapped(f, 5, "", fl->detail);
	/* A hint uctls verified by re-running the scenario (fix.h) replaces
	 * the reasoned one. */
	if (verified != NULL)
		put_wrapped(f, 5, "hint (verified): ", verified);
	else if (fl->hint != NULL)
		put_wrapped(f, 5, "hint: ", fl->hint);
	for (i = 0; i < fl->nalso; i++) {
		if (is_warning(fl->also[i]))
			put_wrapped(f, 5, warn_prefix, fl->also[i] + sizeof(warn_prefix) - 1);
		else
			put_wrapped(f, 5, "also (not the cause): ", fl->also[i]);
	}
}

/* Every failing record but the cause FL and what the other sides saw at its
 * step (text_failure says that): each with all its problems, so that no
 * problem is only in the JSON report. */
static void
text_other_failures(FILE *f, const struct uctls_log *log, const struct uctls_step *fl)
{
	size_t i;

	for (i = 0; i < log->nsteps; i++) {
		const struct uctls_step *st = &log->steps[i];

		if (st == fl || st->status != UCTLS_FAIL ||
		    (streq(st->step, fl->step) && !streq(st->side, fl->side)))
			continue;
		text_problems(f, st, 1, NULL);
	}
}

/* The real peer REAL refused what this side presented (FL: an alert from
 * it, or the connection closed): why is in the real peer's own log, and
 * some log none (Kamailio's tls module, gnutls-serv, sipsak;
 * docs/fidelity.md).  Said, with the check that finds the reason offline on
 * the files of `uctls pki export'. */
static void
text_real_refusal(FILE *f, const struct uctls_log *log, const struct uctls_step *fl,
                  const char *real)
{
	const struct uctls_side_info *me = side_info(log, fl->side);
	char msg[1024];

	if (me == NULL || fl->reason == NULL ||
	    (strncmp(fl->reason, "alert:", 6) != 0 && !streq(fl->reason, "connection-closed")))
		return;
	snprintf(msg, sizeof(msg), "%s's reason is in its own log, if it logs one (Kamailio's tls "
	         "module, gnutls-serv and sipsak log none); the same check offline, on the files "
	         "of `uctls pki export SCENARIO DIR': uctls check --profile P --role %s --trust "
	         "DIR/%s-trust.pem DIR/%s-chain.pem (P: the profile nearest the real peer, e.g. "
	         "openssl, gnutls, kamailio, prosody; add --name with the name %s expects)",
	         real, nz(me->role, "server"), real, fl->side, real);
	put_wrapped(f, 5, "why: ", msg);
}

/* The failing step: cause, detail, hint, other problems, and what the other
 * side saw at the same step (often only the alert it received); then the
 * other failing steps. */
static void
text_failure(FILE *f, const struct uctls_log *log, const struct uctls_step *fl)
{
	const struct uctls_step *o;
	const char *ids[MAX_COLS];
	char label[256];
	size_t s, ncols;

	if (fl == NULL) {
		fputs(log->nsteps > 0 ? "  -> every step passed\n" :
		                        "  -> no step was recorded\n", f);
		return;
	}
	text_problems(f, fl, 0, log->nfixes > 0 && log->fixes[0].passes ? log->fixes[0].what : NULL);
	text_symptom(f, log, fl);
	text_fixes(f, log);

	ncols = side_columns(log, ids);
	for (s = 0; s < ncols; s++) {
		if (streq(ids[s], fl->side))
			continue;
		o = find_any(log, fl->step, ids[s]);
		if (o == NULL)
			continue;
		snprintf(label, sizeof(label), "%s saw: ", ids[s]);
		if (o->status == UCTLS_FAIL) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s%s%s", nz(o->reason, "(no reason)"),
			         o->detail != NULL ? " -- " : "", nz(o->detail, ""));
			put_wrapped(f, 5, label, msg);
		} else if (o->status == UCTLS_PASS) {
			put_wrapped(f, 5, label, "no problem (its side of the step passed)");
		} else if (o->status == UCTLS_UNOBSERVED && !side_is_remote(log, ids[s]) &&
		           o->detail != NULL) {
			/* A simulated side that misbehaves on purpose says what it did. */
			put_wrapped(f, 5, label, o->detail);
		} else if (o->status == UCTLS_UNOBSERVED) {
			put_wrapped(f, 5, label, "unobserved (a real peer: not seen from here)");
			text_real_refusal(f, log, fl, ids[s]);
		} else {
			put_wrapped(f, 5, label, "not reached");
		}
	}
	text_other_failures(f, log, fl);
}

/* What passing steps noted (how XMPP authenticated, what SIP answered, a
 * rule not checked, a certificate about to expire): the reader should see
 * which way a step passed, not only that it did. */
static void
text_notes(FILE *f, const struct uctls_log *log)
{
	char label[256];
	size_t i, k;

	for (i = 0; i < log->nsteps; i++) {
		const struct uctls_step *st = &log->steps[i];

		if (st->status != UCTLS_PASS)
			continue;
		snprintf(label, sizeof(label), "%s on %s: ", st->step, st->side);
		if (st->detail != NULL)
			put_wrapped(f, 5, label, st->detail);
		for (k = 0; k < st->nalso; k++) {
			int w = is_warning(st->also[k]);

			snprintf(label, sizeof(label), "%s (%s on %s): ", w ? "warning" : "note",
			         st->step, st->side);
			put_wrapped(f, 5, label,
			            st->also[k] + (w ? sizeof(warn_prefix) - 1 : 0));
		}
	}
}

/* 1 when a note of LOG says a rule was not checked ("names: not checked,
 * no --name given"). */
static int
any_unchecked(const struct uctls_log *log)
{
	size_t i, k;

	for (i = 0; i < log->nsteps; i++)
		for (k = 0; k < log->steps[i].nalso; k++)
			if (strstr(log->steps[i].also[k], ": not checked") != NULL)
				return 1;
	return 0;
}

/* First FPR_DIGITS hex digits of a fingerprint, skipping separators, in
 * upper case as devices display them. */
static void
short_fpr(char *buf, size_t len, const char *fpr)
{
	size_t n = 0;

	for (; fpr != NULL && *fpr != '\0' && n + 1 < len && n < FPR_DIGITS; fpr++)
		if ((*fpr >= '0' && *fpr <= '9') || (*fpr >= 'A' && *fpr <= 'F'))
			buf[n++] = *fpr;
		else if (*fpr >= 'a' && *fpr <= 'f')
			buf[n++] = (char)(*fpr - 'a' + 'A');
	buf[n] = '\0';
}

/* Certificate N (from 1) of what a real peer sent, on lines that begin
 * with PFX: subject and scenario id, issuer, names, validity and key,
 * SHA-256.  ID "?" or NULL: not a certificate of the scenario's PKI.
 * Decoded here, only when printed (certinfo.h). */
static void
put_cert(FILE *f, const char *pfx, size_t n, const char *id, const char *fpr,
         const struct uctls_der *der)
{
	struct uctls_certinfo ci;
	char disp[UCTLS_FPR_DISPLAY_LEN];
	const char *sid = id != NULL && strcmp(id, "?") != 0 ? id : NULL;
	size_t k;

	fprintf(f, "%s%zu. ", pfx, n);
	if (der == NULL || der->data == NULL ||
	    uctls_certinfo_decode(der->data, der->len, &ci) < 0) {
		uctls_fpr_display(fpr, disp);
		fprintf(f, "SHA-256 %s%s", disp, sid != NULL ? " (scenario id " : "\n");
		if (sid != NULL) {
			put_text(f, sid);
			fputs(")\n", f);
		}
		return;
	}
	fputs("subject `", f);
	put_text(f, ci.subject);
	fputs(sid != NULL ? "' (scenario id " : "' (not a certificate of the scenario)", f);
	if (sid != NULL) {
		put_text(f, sid);
		fputc(')', f);
	}
	fprintf(f, "\n%s   issuer `", pfx);
	put_text(f, ci.issuer);
	fprintf(f, "'\n%s   names: ", pfx);
	if (ci.nsan == 0)
		fputs("no subjectAltName", f);
	for (k = 0; k < ci.nsan; k++) {
		fputs(k > 0 ? ", " : "", f);
		put_text(f, ci.san[k]);
	}
	fprintf(f, "\n%s   valid %s to %s; key ", pfx, ci.not_before, ci.not_after);
	put_text(f, ci.key);
	fprintf(f, " (%u bits)\n%s   SHA-256 %s\n", ci.bits, pfx, ci.sha256);
	uctls_certinfo_clear(&ci);
}

/* What real peer SI sent, as the side facing it received it. */
static void
put_remote_sent(FILE *f, const char *pfx, const struct uctls_side_info *si)
{
	size_t i;

	for (i = 0; i < si->nsent; i++)
		put_cert(f, pfx, i + 1, si->sent_ids[i], si->sent_fpr[i],
		         si->sent_der != NULL ? &si->sent_der[i] : NULL);
}

/* What real server SI asked of the client (its CertificateRequest). */
static void
put_asked(FILE *f, const char *pfx, const struct uctls_side_info *si)
{
	size_t i;

	if (si->asked_cert == 0)
		return;
	fputs(pfx, f);
	if (si->asked_cert < 0) {
		fputs("it asked for no client certificate\n", f);
		return;
	}
	fputs("it asked for a client certificate", f);
	if (si->nasked_cas == 0)
		fputs(", naming no CA (any issuer)\n", f);
	else if (si->nasked_cas == 1)
		fputs(" issued under this CA:\n", f);
	else
		fprintf(f, " issued under one of these %zu CAs:\n", si->nasked_cas);
	for (i = 0; i < si->nasked_cas; i++) {
		fprintf(f, "%s   ", pfx);
		put_text(f, si->asked_cas[i]);
		fputc('\n', f);
	}
}

static void
text_sent(FILE *f, const struct uctls_log *log)
{
	char fp[FPR_DIGITS + 1];
	size_t s, i;

	for (s = 0; s < log->nsides; s++) {
		const struct uctls_side_info *si = &log->sides[s];

		fputs("  sent: ", f);
		put_text(f, nz(si->id, "?"));
		fputs(" (", f);
		put_text(f, nz(si->role, "?"));
		fputs(", profile ", f);
		put_text(f, nz(si->profile, "?"));
		fputs("): ", f);
		if (si->remote) {
			/* A real peer: what arrived from it, in full, to compare
			 * with what the device shows. */
			if (si->nsent == 0)
				fputs("no certificate arrived from it\n", f);
			else
				fprintf(f, "%zu certificate%s, as received:\n", si->nsent,
				        si->nsent == 1 ? "" : "s");
			put_remote_sent(f, "     ", si);
			put_asked(f, "     ", si);
			continue;
		}
		if (si->nsent == 0)
			fputs("no certificate", f);
		for (i = 0; i < si->nsent; i++) {
			short_fpr(fp, sizeof(fp), si->sent_fpr[i]);
			fputs(i > 0 ? ", " : "", f);
			put_text(f, nz(si->sent_ids[i], "?"));
			fputc(' ', f);
			fputs(fp, f);
		}
		fputc('\n', f);
	}
}

static void
text_expect(FILE *f, const struct uctls_log *log, const struct uctls_expect *ex,
            const struct uctls_outcome *oc)
{
	if (ex == NULL) {
		/* No scenario (uctls check): a verdict, not an expectation;
		 * a pass with rules left unchecked says so. */
		if (!oc->matched)
			fputs("  verdict: problems found (the first is the cause)\n", f);
		else if (any_unchecked(log))
			fputs("  verdict: every check that ran passed (some were not checked: see "
			      "the notes)\n", f);
		else
			fputs("  verdict: every check passed\n", f);
		return;
	}
	if (!ex->present) {
		fputs("  expect none (must pass)", f);
	} else if (ex->pass) {
		fputs("  expect result=pass", f);
	} else {
		fputs("  expect fail-at=", f);
		put_text(f, nz(ex->fail_at, "?"));
		fputs(" side=", f);
		put_text(f, nz(ex->side, "?"));
		fputs(" reason=", f);
		put_text(f, nz(ex->reason, "?"));
		if (ex->other != NULL) {
			fputs(" other=", f);
			put_text(f, ex->other);
		}
	}
	if (ex->warns != 0)
		fputs(ex->warns > 0 ? " warns=expiring" : " warns=none", f);
	if (oc->matched) {
		fputs(": MATCH\n", f);
	} else {
		/* The expectation line is long already: the difference gets
		 * lines of its own. */
		fputs(": MISMATCH\n", f);
		put_wrapped(f, 5, "", oc->why);
	}
}

void
uctls_report_text(FILE *f, const struct uctls_log *log,
                  const struct uctls_expect *ex, const struct uctls_outcome *oc)
{
	struct uctls_outcome own;

	if (oc == NULL) {
		uctls_outcome_eval(ex, log, &own);
		oc = &own;
	}
	fputs("scenario ", f);
	put_text(f, nz(log->scenario, "?"));
	fputs("  [", f);
	put_text(f, nz(log->file, "?"));
	fputs("]  family ", f);
	put_text(f, nz(log->family, "?"));
	fprintf(f, "  (%.1f ms)\n", isfinite(log->total_ms) ? log->total_ms : 0.0);
	text_table(f, log);
	text_notes(f, log);
	text_failure(f, log, uctls_log_failure(log));
	text_sent(f, log);
	if (log->version != NULL || log->cipher != NULL) {
		fputs("  negotiated: ", f);
		put_text(f, nz(log->version, "?"));
		fputs(" / ", f);
		put_text(f, nz(log->cipher, "?"));
		fputc('\n', f);
	}
	text_expect(f, log, ex, oc);
}

/* The one-line form (uctls_report_line): the name padded to this column. */
#define LINE_NAME_WIDTH 44

void
uctls_report_line(FILE *f, const struct uctls_log *log, const struct uctls_outcome *oc)
{
	const struct uctls_step *fl = uctls_log_failure(log);
	const char *name = nz(log->scenario, nz(log->file, "?"));
	size_t w = text_width(name);

	fputs(oc->matched ? "match     " : "MISMATCH  ", f);
	put_text(f, name);
	pad(f, w < LINE_NAME_WIDTH ? LINE_NAME_WIDTH - w : 0);
	fputc(' ', f);
	if (!oc->matched) {
		/* "expected X, got Y": both sides of the difference. */
		put_text(f, oc->why);
	} else if (fl == NULL) {
		fputs("pass", f);
	} else {
		fputs("fails at ", f);
		put_text(f, fl->step);
		fputs(" on ", f);
		put_text(f, nz(fl->side, "?"));
		fputs(": ", f);
		put_text(f, nz(fl->reason, "(no reason)"));
	}
	fputc('\n', f);
}

void
uctls_report_error_line(FILE *f, const char *file, const char *msg)
{
	size_t w = text_width(nz(file, "?"));

	fputs("ERROR     ", f);
	put_text(f, nz(file, "?"));
	pad(f, w < LINE_NAME_WIDTH ? LINE_NAME_WIDTH - w : 0);
	fputs(" input error", f);
	if (msg != NULL) {
		fputs(": ", f);
		put_text(f, msg);
	} else {
		fputs(" (the message is on stderr)", f);
	}
	fputc('\n', f);
}

const struct uctls_step *
uctls_report_other(const struct uctls_log *log, const struct uctls_step *fl)
{
	const char *oid;
	size_t i;

	if (fl == NULL)
		return NULL;
	oid = other_side(log, fl->side, fl->step);
	if (oid != NULL)
		return find_any(log, fl->step, oid);
	for (i = 0; i < log->nsteps; i++)
		if (streq(log->steps[i].step, fl->step) && !streq(log->steps[i].side, fl->side))
			return &log->steps[i];
	return NULL;
}

/* ---- JSON ------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at S (RFC 3629 section 4), or 0
 * when the bytes there are not one (overlong, surrogate, truncated...). */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/*
 * A JSON string (RFC 8259 section 7), or null for NULL.  Quotes, backslashes
 * and control characters are escaped; UTF-8 passes through; a byte that is
 * not part of well-formed UTF-8 becomes U+FFFD so the output stays valid
 * JSON whatever a certificate or a peer's error string holds.
 */
void
uctls_json_string(FILE *f, const char *s)
{
	const unsigned char *p;
	size_t n;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0';) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
			} else if (*p < 0x80) {
				fputc(*p, f);
			} else if ((n = utf8_len(p)) > 0) {
				fwrite(p, 1, n, f);
				p += n;
				continue;
			} else {
				fputs("\\ufffd", f);
			}
		}
		p++;
	}
	fputc('"', f);
}

/* A JSON number: milliseconds with three decimals.  A non-finite value
 * (not a JSON number) is written as 0; a locale's decimal comma is undone. */
static void
json_ms(FILE *f, double v)
{
	char buf[64], *c;

	snprintf(buf, sizeof(buf), "%.3f", isfinite(v) ? v : 0.0);
	for (c = buf; *c != '\0'; c++)
		if (*c == ',')
			*c = '.';
	fputs(buf, f);
}

static void
json_key(FILE *f, int *first, const char *key)
{
	if (!*first)
		fputc(',', f);
	*first = 0;
	fputc('"', f);
	fputs(key, f);
	fputs("\":", f);
}

static void
json_kv(FILE *f, int *first, const char *key, const char *val)
{
	json_key(f, first, key);
	uctls_json_string(f, val);
}

static void
json_strv(FILE *f, char *const *v, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', f);
		uctls_json_string(f, v[i]);
	}
	fputc(']', f);
}

static void
json_expect(FILE *f, const struct uctls_expect *ex)
{
	int first = 1;

	if (ex == NULL || !ex->present) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	if (ex->pass) {
		json_kv(f, &first, "result", "pass");
	} else {
		json_kv(f, &first, "fail_at", ex->fail_at);
		json_kv(f, &first, "side", ex->side);
		json_kv(f, &first, "reason", ex->reason);
		json_kv(f, &first, "other", ex->other);
	}
	fputc('}', f);
}

/* A fingerprint in the form devices display ("AB:CD:..."). */
static void
json_fpr(FILE *f, int *first, const char *fpr)
{
	char disp[UCTLS_FPR_DISPLAY_LEN];

	uctls_fpr_display(fpr, disp);
	json_kv(f, first, "sha256", fpr != NULL ? disp : NULL);
}

/* One certificate: its scenario id and fingerprint, and when its DER was
 * kept, what it says (decoded here, only when printed: certinfo.h). */
static void
json_cert(FILE *f, const char *id, const char *fpr, const struct uctls_der *der)
{
	struct uctls_certinfo ci;
	int ff = 1;

	fputc('{', f);
	json_kv(f, &ff, "id", id);
	json_fpr(f, &ff, fpr);
	if (der != NULL && der->data != NULL &&
	    uctls_certinfo_decode(der->data, der->len, &ci) == 0) {
		json_kv(f, &ff, "subject", ci.subject);
		json_kv(f, &ff, "issuer", ci.issuer);
		json_key(f, &ff, "san");
		json_strv(f, ci.san, ci.nsan);
		json_kv(f, &ff, "not_before", ci.not_before);
		json_kv(f, &ff, "not_after", ci.not_after);
		json_kv(f, &ff, "key", ci.key);
		json_key(f, &ff, "bits");
		fprintf(f, "%u", ci.bits);
		uctls_certinfo_clear(&ci);
	}
	fputc('}', f);
}

static void
json_side(FILE *f, const struct uctls_side_info *si)
{
	int first = 1;
	size_t i;

	fputc('{', f);
	json_kv(f, &first, "id", si->id);
	json_kv(f, &first, "role", si->role);
	json_kv(f, &first, "profile", si->profile);
	json_key(f, &first, "remote");
	fputs(si->remote ? "true" : "false", f);
	json_key(f, &first, "sent");
	fputc('[', f);
	for (i = 0; i < si->nsent; i++) {
		if (i > 0)
			fputc(',', f);
		json_cert(f, si->sent_ids[i], si->sent_fpr[i],
		          si->sent_der != NULL ? &si->sent_der[i] : NULL);
	}
	fputc(']', f);
	json_key(f, &first, "received");
	fputc('[', f);
	for (i = 0; i < si->npeer; i++) {
		if (i > 0)
			fputc(',', f);
		json_cert(f, si->peer_ids != NULL ? si->peer_ids[i] : NULL, si->peer_fpr[i],
		          si->peer_der != NULL ? &si->peer_der[i] : NULL);
	}
	fputc(']', f);
	if (si->asked_cert != 0) {
		/* A real server: what its CertificateRequest asked. */
		json_key(f, &first, "asked_client_cert");
		fputs(si->asked_cert > 0 ? "true" : "false", f);
		json_key(f, &first, "acceptable_cas");
		json_strv(f, si->asked_cas, si->nasked_cas);
	}
	fputc('}', f);
}

static void
json_step(FILE *f, const struct uctls_step *st)
{
	int first = 1;

	fputc('{', f);
	json_kv(f, &first, "step", st->step);
	json_kv(f, &first, "side", st->side);
	json_kv(f, &first, "status", status_name(st->status));
	json_kv(f, &first, "reason", st->reason);
	json_kv(f, &first, "detail", st->detail);
	json_kv(f, &first, "hint", st->hint);
	json_key(f, &first, "also");
	json_strv(f, st->also, st->nalso);
	json_key(f, &first, "ms");
	json_ms(f, st->ms);
	fputc('}', f);
}

/* "fixes": [{"fix": ..., "verified": true|false, "result": ...}], best
 * first; present only when fixes were looked for and found. */
static void
json_fixes(FILE *f, int *first, const struct uctls_log *log)
{
	size_t i;
	int ff;

	if (log->nfixes == 0)
		return;
	json_key(f, first, "fixes");
	fputc('[', f);
	for (i = 0; i < log->nfixes; i++) {
		ff = 1;
		fputs(i > 0 ? ",{" : "{", f);
		json_kv(f, &ff, "fix", log->fixes[i].what);
		json_key(f, &ff, "verified");
		fputs(log->fixes[i].passes ? "true" : "false", f);
		json_kv(f, &ff, "result", log->fixes[i].result);
		fputc('}', f);
	}
	fputc(']', f);
}

void
uctls_report_json(FILE *f, const struct uctls_log *log,
                  const struct uctls_expect *ex, const struct uctls_outcome *oc)
{
	struct uctls_outcome own;
	const struct uctls_step *fl;
	int first = 1, ff;
	size_t i;

	if (oc == NULL) {
		uctls_outcome_eval(ex, log, &own);
		oc = &own;
	}
	fl = uctls_log_failure(log);
	fputc('{', f);
	json_kv(f, &first, "scenario", log->scenario);
	json_kv(f, &first, "file", log->file);
	json_kv(f, &first, "family", log->family);
	json_kv(f, &first, "result", fl == NULL ? "pass" : "fail");
	json_key(f, &first, "matched");
	fputs(oc->matched ? "true" : "false", f);
	json_kv(f, &first, "why", oc->matched ? NULL : oc->why);
	json_key(f, &first, "failure");
	if (fl == NULL) {
		fputs("null", f);
	} else {
		ff = 1;
		fputc('{', f);
		json_kv(f, &ff, "step", fl->step);
		json_kv(f, &ff, "side", fl->side);
		json_kv(f, &ff, "reason", fl->reason);
		json_kv(f, &ff, "detail", fl->detail);
		json_kv(f, &ff, "hint", fl->hint);
		fputc('}', f);
	}
	json_key(f, &first, "expect");
	json_expect(f, ex);
	json_key(f, &first, "sides");
	fputc('[', f);
	for (i = 0; i < log->nsides; i++) {
		if (i > 0)
			fputc(',', f);
		json_side(f, &log->sides[i]);
	}
	fputc(']', f);
	json_key(f, &first, "steps");
	fputc('[', f);
	for (i = 0; i < log->nsteps; i++) {
		if (i > 0)
			fputc(',', f);
		json_step(f, &log->steps[i]);
	}
	fputc(']', f);
	json_key(f, &first, "tls");
	if (log->version == NULL && log->cipher == NULL) {
		fputs("null", f);
	} else {
		ff = 1;
		fputc('{', f);
		json_kv(f, &ff, "version", log->version);
		json_kv(f, &ff, "cipher", log->cipher);
		fputc('}', f);
	}
	json_fixes(f, &first, log);
	json_key(f, &first, "ms");
	json_ms(f, log->total_ms);
	fputs("}\n", f);
}

void
uctls_report_error_json(FILE *f, const char *file, const char *msg)
{
	int first = 1;

	fputc('{', f);
	json_kv(f, &first, "file", file);
	json_kv(f, &first, "error", msg);
	fputs("}\n", f);
}

/* ---- TAP -------------------------------------------------------------- */

/*
 * A test description for TAP (Test Anything Protocol 13; Automake's
 * tap-driver.sh): `#' would start a directive ("# SKIP", "# TODO") and a
 * newline would end the line, so `#' and `\' are backslash-escaped (the
 * driver counts the backslashes before `#') and control characters become
 * `?'.
 */
static void
tap_name(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '#' || c == '\\')
			fputc('\\', f);
		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

/* "# LABEL TEXT", one "# " line per line of TEXT. */
static void
tap_diag(FILE *f, const char *label, const char *text)
{
	const char *p = text;
	size_t n;

	do {
		n = strcspn(p, "\n");
		fputs("# ", f);
		if (p == text)
			fputs(label, f);
		put_text_n(f, p, n);
		fputc('\n', f);
		p += n;
	} while (*p++ != '\0');
}

/* What each real peer sent, as diagnostics: in a run against a real
 * device the first thing to compare with its screen.  (Simulated sides
 * print nothing more: their certificates are the scenario's.) */
static void
tap_remote(FILE *f, const struct uctls_log *log)
{
	size_t s;

	for (s = 0; s < log->nsides; s++) {
		const struct uctls_side_info *si = &log->sides[s];

		if (!si->remote)
			continue;
		fputs("# ", f);
		put_text(f, nz(si->id, "?"));
		if (si->nsent == 0)
			fputs(" (real peer) sent no certificate that arrived\n", f);
		else
			fprintf(f, " (real peer) sent %zu certificate%s:\n", si->nsent,
			        si->nsent == 1 ? "" : "s");
		put_remote_sent(f, "#   ", si);
	}
}

/* The TAP test line and, in TAP 13 (YAML), the YAML block of a test that
 * is not ok or warns (tap13.h); then the diagnostics (tap_diags). */
static void
tap_test(FILE *f, int num, const struct uctls_log *log, const struct uctls_expect *ex,
         const struct uctls_outcome *oc, int yaml)
{
	fprintf(f, "%s %d - ", oc->matched ? "ok" : "not ok", num);
	tap_name(f, nz(log->scenario, nz(log->file, "?")));
	fputc('\n', f);
	/* A passing run with expiry warnings (warn.h) gets its YAML too. */
	if (yaml && (!oc->matched || uctls_warn_at(log, 0, NULL) != NULL))
		uctls_tap13_yaml(f, log, ex, oc);
}

/* The "# " diagnostics below a test line: the failing step, detail, hint,
 * other problems, the mismatch, and what a real peer sent. */
static void
tap_diags(FILE *f, const struct uctls_log *log, const struct uctls_outcome *oc)
{
	const struct uctls_step *fl, *ws;
	const char *w;
	char buf[512];
	size_t i;

	fl = uctls_log_failure(log);
	if (fl != NULL) {
		snprintf(buf, sizeof(buf), "%s failed on %s: %s", fl->step, fl->side,
		         nz(fl->reason, "(no reason)"));
		tap_diag(f, "", buf);
		if (fl->detail != NULL)
			tap_diag(f, "detail: ", fl->detail);
		if (fl->hint != NULL)
			tap_diag(f, "hint: ", fl->hint);
		for (i = 0; i < fl->nalso; i++)
			tap_diag(f, "also (not the cause): ", fl->also[i]);
	}
	for (i = 0; (w = uctls_warn_at(log, i, &ws)) != NULL; i++) {
		snprintf(buf, sizeof(buf), "warning (%s on %s): ", ws->step, ws->side);
		tap_diag(f, buf, w);
	}
	if (!oc->matched)
		tap_diag(f, "", oc->why);
	tap_remote(f, log);
}

/* uctls_report_tap (YAML 0) and uctls_report_tap13 (1). */
static void
report_tap(FILE *f, int num, const struct uctls_log *log, const struct uctls_expect *ex,
           const struct uctls_outcome *oc, int yaml)
{
	struct uctls_outcome own;

	if (oc == NULL) {
		uctls_outcome_eval(ex, log, &own);
		oc = &own;
	}
	tap_test(f, num, log, ex, oc, yaml);
	tap_diags(f, log, oc);
}

void
uctls_report_tap(FILE *f, int num, const struct uctls_log *log,
                 const struct uctls_expect *ex, const struct uctls_outcome *oc)
{
	report_tap(f, num, log, ex, oc, 0);
}

void
uctls_report_tap13(FILE *f, int num, const struct uctls_log *log,
                   const struct uctls_expect *ex, const struct uctls_outcome *oc)
{
	report_tap(f, num, log, ex, oc, 1);
}

static void
report_error_tap(FILE *f, int num, const char *file, const char *msg, int yaml)
{
	fprintf(f, "not ok %d - ", num);
	tap_name(f, nz(file, "?"));
	fputs(" # input error\n", f);
	if (yaml)
		uctls_tap13_yaml_error(f, file, msg);
	tap_diag(f, "", nz(msg, "(no message)"));
}

void
uctls_report_error_tap(FILE *f, int num, const char *file, const char *msg)
{
	report_error_tap(f, num, file, msg, 0);
}

void
uctls_report_error_tap13(FILE *f, int num, const char *file, const char *msg)
{
	report_error_tap(f, num, file, msg, 1);
}
