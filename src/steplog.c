#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "steplog.h"
#include "strv.h"

/* strdup that maps NULL to NULL; *OK is cleared when memory runs out. */
static char *
dup_opt(const char *s, int *ok)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*ok = 0;
	return d;
}

/* Appends a copy of S to *V (of *N elements). */
static int
strv_push(char ***v, size_t *n, const char *s)
{
	char **nv;
	char *d;

	if (s == NULL)
		return -1;
	d = strdup(s);
	if (d == NULL)
		return -1;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(d);
		return -1;
	}
	nv[*n] = d;
	*v = nv;
	(*n)++;
	return 0;
}

struct uctls_log *
uctls_log_new(const char *scenario, const char *file, const char *family)
{
	struct uctls_log *log;
	int ok = 1;

	log = calloc(1, sizeof(*log));
	if (log == NULL)
		return NULL;
	log->scenario = dup_opt(scenario, &ok);
	log->file = dup_opt(file, &ok);
	log->family = dup_opt(family, &ok);
	if (!ok) {
		uctls_log_free(log);
		return NULL;
	}
	return log;
}

static void
step_clear(struct uctls_step *st)
{
	free(st->step);
	free(st->side);
	free(st->reason);
	free(st->detail);
	free(st->hint);
	uctls_strv_free(st->also, st->nalso);
}

static void
side_clear(struct uctls_side_info *si)
{
	size_t i;

	free(si->id);
	free(si->role);
	uctls_strv_free(si->asked_cas, si->nasked_cas);
	free(si->profile);
	free(si->symptom);
	uctls_strv_free(si->symptoms, si->nsymptoms);
	for (i = 0; si->sent_der != NULL && i < si->nsent; i++)
		free(si->sent_der[i].data);
	for (i = 0; si->peer_der != NULL && i < si->npeer; i++)
		free(si->peer_der[i].data);
	free(si->sent_der);
	free(si->peer_der);
	uctls_strv_free(si->sent_fpr, si->nsent);
	uctls_strv_free(si->sent_ids, si->nsent);
	uctls_strv_free(si->peer_fpr, si->npeer);
	uctls_strv_free(si->peer_ids, si->npeer);
}

void
uctls_log_free(struct uctls_log *log)
{
	size_t i;

	if (log == NULL)
		return;
	for (i = 0; i < log->nsteps; i++)
		step_clear(&log->steps[i]);
	free(log->steps);
	for (i = 0; i < log->nsides; i++)
		side_clear(&log->sides[i]);
	free(log->scenario);
	free(log->file);
	free(log->family);
	free(log->version);
	free(log->cipher);
	for (i = 0; i < log->nfixes; i++) {
		free(log->fixes[i].what);
		free(log->fixes[i].result);
	}
	free(log->fixes);
	free(log->fixes_note);
	free(log);
}

int
uctls_log_add_fix(struct uctls_log *log, const char *what, int passes, const char *result)
{
	struct uctls_fixnote *n = realloc(log->fixes, (log->nfixes + 1) * sizeof(*n));

	if (n == NULL)
		return -1;
	log->fixes = n;
	n = &log->fixes[log->nfixes];
	n->what = strdup(what);
	n->result = strdup(result);
	n->passes = passes;
	if (n->what == NULL || n->result == NULL) {
		free(n->what);
		free(n->result);
		return -1;
	}
	log->nfixes++;
	return 0;
}

struct uctls_step *
uctls_log_add(struct uctls_log *log, const char *step, const char *side,
              enum uctls_status status, const char *reason,
              const char *detail, const char *hint, double ms)
{
	struct uctls_step *steps, st;
	int ok = 1;

	if (log == NULL || step == NULL || side == NULL)
		return NULL;
	memset(&st, 0, sizeof(st));
	st.step = dup_opt(step, &ok);
	st.side = dup_opt(side, &ok);
	st.status = status;
	st.reason = dup_opt(reason, &ok);
	st.detail = dup_opt(detail, &ok);
	st.hint = dup_opt(hint, &ok);
	st.ms = ms;
	/* Grown one record at a time: a log holds a handful of steps per side,
	 * and the header promises validity only until the next append. */
	steps = ok ? realloc(log->steps, (log->nsteps + 1) * sizeof(*steps)) : NULL;
	if (steps == NULL) {
		step_clear(&st);
		return NULL;
	}
	log->steps = steps;
	steps[log->nsteps] = st;
	return &steps[log->nsteps++];
}

int
uctls_log_add_also(struct uctls_step *st, const char *text)
{
	if (st == NULL)
		return -1;
	return strv_push(&st->also, &st->nalso, text);
}

int
uctls_side_set_symptoms(struct uctls_side_info *si, const char *symptom,
                        const char *const *symptoms)
{
	int ok = 1;
	size_t i;

	si->symptom = dup_opt(symptom, &ok);
	for (i = 0; ok && symptoms != NULL && symptoms[i] != NULL; i++)
		ok = strv_push(&si->symptoms, &si->nsymptoms, symptoms[i]) == 0;
	return ok ? 0 : -1;
}

struct uctls_side_info *
uctls_log_side(struct uctls_log *log, const char *id, const char *role,
               const char *profile)
{
	struct uctls_side_info *si;
	int ok = 1;

	if (log == NULL || id == NULL ||
	    log->nsides >= sizeof(log->sides) / sizeof(log->sides[0]))
		return NULL;
	si = &log->sides[log->nsides];
	memset(si, 0, sizeof(*si));
	si->id = dup_opt(id, &ok);
	si->role = dup_opt(role, &ok);
	si->profile = dup_opt(profile, &ok);
	if (!ok) {
		side_clear(si);
		memset(si, 0, sizeof(*si));
		return NULL;
	}
	log->nsides++;
	return si;
}

/* Appends one certificate to a list of parallel arrays (fingerprints, ids,
 * DER) of *N entries: all grow, or none is counted. */
static int
cert_push(char ***fpr, char ***ids, struct uctls_der **der, size_t *n, const char *id,
          const char *f, const void *data, size_t len)
{
	char *fd, *idd = NULL, **v;
	unsigned char *dd = NULL;
	struct uctls_der *dv;

	if (f == NULL)
		return -1;
	fd = strdup(f);
	if (id != NULL)
		idd = strdup(id);
	if (data != NULL && len > 0 && (dd = malloc(len)) != NULL)
		memcpy(dd, data, len);
	if (fd == NULL || (id != NULL && idd == NULL) || (data != NULL && len > 0 && dd == NULL))
		goto oom;
	/* A failed realloc leaves the old array valid: only the count says
	 * how many entries are live. */
	if ((v = realloc(*fpr, (*n + 1) * sizeof(*v))) == NULL)
		goto oom;
	*fpr = v;
	if ((v = realloc(*ids, (*n + 1) * sizeof(*v))) == NULL)
		goto oom;
	*ids = v;
	if ((dv = realloc(*der, (*n + 1) * sizeof(*dv))) == NULL)
		goto oom;
	*der = dv;
	(*fpr)[*n] = fd;
	(*ids)[*n] = idd;
	(*der)[*n].data = dd;
	(*der)[*n].len = dd != NULL ? len : 0;
	(*n)++;
	return 0;
oom:
	free(fd);
	free(idd);
	free(dd);
	return -1;
}

int
uctls_side_add_sent_der(struct uctls_side_info *si, const char *id, const char *fpr,
                        const void *der, size_t len)
{
	if (si == NULL)
		return -1;
	return cert_push(&si->sent_fpr, &si->sent_ids, &si->sent_der, &si->nsent,
	                 id != NULL ? id : "?", fpr, der, len);
}

int
uctls_side_add_sent(struct uctls_side_info *si, const char *id, const char *fpr)
{
	return uctls_side_add_sent_der(si, id, fpr, NULL, 0);
}

int
uctls_side_add_peer_der(struct uctls_side_info *si, const char *id, const char *fpr,
                        const void *der, size_t len)
{
	if (si == NULL)
		return -1;
	return cert_push(&si->peer_fpr, &si->peer_ids, &si->peer_der, &si->npeer, id, fpr, der,
	                 len);
}

int
uctls_side_add_peer(struct uctls_side_info *si, const char *fpr)
{
	return uctls_side_add_peer_der(si, NULL, fpr, NULL, 0);
}

/*
 * The primary failure, the one a report leads with and <expect> is compared
 * against, is the first FAIL record whose reason is not an alert ("alert:"
 * prefix): an alert only says what the OTHER side sent, so the record of the
 * side that diagnosed the cause (e.g. client "issuer-not-found", while the
 * server merely saw "alert:unknown-ca") is the one to act on, even when the
 * alert was logged first.  When every FAIL record is an alert (e.g. the other
 * side is a real peer whose reasoning we cannot see), the first FAIL record
 * is the best we have.
 */
const struct uctls_step *
uctls_log_failure(const struct uctls_log *log)
{
	const struct uctls_step *first = NULL;
	size_t i;

	if (log == NULL)
		return NULL;
	for (i = 0; i < log->nsteps; i++) {
		const struct uctls_step *st = &log->steps[i];

		if (st->status != UCTLS_FAIL)
			continue;
		if (st->reason == NULL || strncmp(st->reason, "alert:", 6) != 0)
			return st;
		if (first == NULL)
			first = st;
	}
	return first;
}

const struct uctls_step *
uctls_log_find(const struct uctls_log *log, const char *step, const char *side)
{
	size_t i;

	if (log == NULL || step == NULL || side == NULL)
		return NULL;
	for (i = 0; i < log->nsteps; i++) {
		const struct uctls_step *st = &log->steps[i];

		if (st->status == UCTLS_FAIL && strcmp(st->step, step) == 0 &&
		    strcmp(st->side, side) == 0)
			return st;
	}
	return NULL;
}
