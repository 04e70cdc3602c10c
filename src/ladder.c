#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ladder.h"

/* Columns: the time, then the client's lifeline, LANE characters of
 * arrows, the server's lifeline. */
#define TIME_W 11
#define LANE 64

/* Whether event E is drawn as an arrow: noted by its sender, or by the
 * receiver when the sender is a real peer (uctls sees it only then). */
static int
is_row(const struct uctls_cap_conn *c, const struct uctls_cap_event *e)
{
	if (e->kind == UCTLS_CAP_FAIL)
		return 0;
	return !e->received || !c->local[e->side];
}

/* Events match across the two ends by kind, and for TLS messages and
 * alerts by name too (a side may note a message the other does not, such
 * as a TLS 1.3 compatibility ChangeCipherSpec). */
static int
same_key(const struct uctls_cap_event *a, const struct uctls_cap_event *b)
{
	if (a->kind != b->kind || a->side != b->side)
		return 0;
	return a->kind == UCTLS_CAP_APP || a->kind == UCTLS_CAP_CONNECT ||
	       strcmp(a->text, b->text) == 0;
}

/* The row the side that failed at event F was handling: the last message
 * it received before F, found among the sender's rows by its rank.  -1
 * when it had received none. */
static long
failed_on(const struct uctls_cap_conn *c, size_t f)
{
	const struct uctls_cap_event *fe = &c->ev[f], *got = NULL;
	size_t i, rank = 0, k = 0;

	for (i = f; i-- > 0;) {
		const struct uctls_cap_event *e = &c->ev[i];

		if (e->kind != UCTLS_CAP_FAIL && e->kind != UCTLS_CAP_CONNECT &&
		    e->side != fe->side && e->received) {
			got = e;
			break;
		}
	}
	if (got == NULL)
		return -1;
	if (!c->local[got->side])
		return (long)(got - c->ev); /* a real peer's message: its own row */
	for (i = 0; &c->ev[i] != got; i++)
		if (c->ev[i].received && same_key(&c->ev[i], got))
			rank++;
	for (i = 0; i < c->nev; i++)
		if (!c->ev[i].received && same_key(&c->ev[i], got) && k++ == rank)
			return (long)i;
	return -1;
}

static void
arrow(FILE *out, const char *prefix, double ms, int dir, const char *label, const char *mark)
{
	char lane[LANE + 1];
	size_t n = strlen(label), max = LANE - 8, i, at;

	if (n > max)
		n = max;
	memset(lane, '-', LANE);
	lane[LANE] = '\0';
	/* client to server: "-- label ---->"; server to client: "<-- label ----" */
	at = dir ? 4 : 3;
	if (dir)
		lane[0] = '<';
	else
		lane[LANE - 1] = '>';
	lane[at - 1] = ' ';
	for (i = 0; i < n; i++)
		lane[at + i] = label[i];
	if (n < max)
		lane[at + n] = ' ';
	if (n == max && strlen(label) > max)
		lane[at + n - 1] = '~';
	fprintf(out, "%s%8.1f ms |%s|%s%s\n", prefix, ms, lane, mark ? "   <== " : "",
	        mark ? mark : "");
}

size_t
uctls_ladder_rows(const struct uctls_cap_conn *c, struct uctls_ladder_row **out)
{
	struct uctls_ladder_row *rows;
	size_t i, k, n = 0;
	long m;

	*out = NULL;
	rows = calloc(c->nev ? c->nev : 1, sizeof(*rows));
	if (rows == NULL)
		return 0;
	for (i = 0; i < c->nev; i++) {
		const struct uctls_cap_event *e = &c->ev[i];

		if (e->kind != UCTLS_CAP_FAIL && !is_row(c, e))
			continue;
		rows[n].fail = e->kind == UCTLS_CAP_FAIL;
		rows[n].side = e->side;
		rows[n].ms = ((double)e->us - (double)c->t0) / 1000.0;
		rows[n].text = e->text;
		rows[n].marked = -1;
		rows[n].ev = i;
		n++;
	}
	/* The mark of each failure goes on the row of the message it was
	 * handling (failed_on). */
	for (i = 0; i < n; i++) {
		if (!rows[i].fail || (m = failed_on(c, rows[i].ev)) < 0)
			continue;
		for (k = 0; k < n; k++)
			if (!rows[k].fail && rows[k].ev == (size_t)m)
				rows[k].marked = rows[i].side;
	}
	*out = rows;
	return n;
}

static void
print_conn(FILE *out, const struct uctls_cap_conn *c, size_t num, const char *prefix)
{
	struct uctls_ladder_row *rows;
	char mark[128], a[80], b[80];
	size_t i, n;

	fprintf(out, "%sconnection %zu (%s): %s %s -> %s %s\n", prefix, num, c->step, c->id[0],
	        c->addr[0][0] ? c->addr[0] : "(not connected)", c->id[1],
	        c->addr[1][0] ? c->addr[1] : "");
	snprintf(a, sizeof(a), "%s%s", c->id[0], c->local[0] ? "" : " (real peer)");
	snprintf(b, sizeof(b), "%s%s", c->id[1], c->local[1] ? "" : " (real peer)");
	fprintf(out, "%s%*s%-*s%s\n", prefix, TIME_W + 1, "", LANE + 1, a, b);
	n = uctls_ladder_rows(c, &rows);
	for (i = 0; i < n; i++) {
		const struct uctls_ladder_row *r = &rows[i];

		if (r->fail) {
			fprintf(out, "%s%8.1f ms %c%*s%c   %s fails %s\n", prefix, r->ms,
			        r->side ? '|' : 'X', LANE, "", r->side ? 'X' : '|', c->id[r->side],
			        r->text);
			continue;
		}
		if (r->marked >= 0)
			snprintf(mark, sizeof(mark), "%s fails here", c->id[r->marked]);
		arrow(out, prefix, r->ms, r->side, r->text, r->marked >= 0 ? mark : NULL);
	}
	free(rows);
}

void
uctls_ladder_print(FILE *out, const struct uctls_cap *cap, const char *prefix)
{
	size_t i;

	for (i = 0; i < uctls_cap_nconns(cap); i++) {
		if (i > 0)
			fprintf(out, "%s\n", prefix);
		print_conn(out, uctls_cap_conn_at(cap, i), i + 1, prefix);
	}
}
