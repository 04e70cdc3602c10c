#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "html.h"
#include "warn.h"
#include "ladder.h"

struct slot {
	char *row, *body; /* the summary row and the section, owned */
	size_t rowlen, bodylen;
};

struct uctls_html {
	struct slot *slots;
	size_t nslots;
	unsigned nsvg; /* for unique marker ids */
};

struct uctls_html *
uctls_html_new(size_t nslots)
{
	struct uctls_html *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->slots = calloc(nslots ? nslots : 1, sizeof(*h->slots))) == NULL) {
		free(h);
		return NULL;
	}
	h->nslots = nslots;
	return h;
}

void
uctls_html_free(struct uctls_html *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nslots; i++) {
		free(h->slots[i].row);
		free(h->slots[i].body);
	}
	free(h->slots);
	free(h);
}

/* S escaped for HTML text and attribute values. */
static void
esc(FILE *f, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* How the failing reason shows in the chain the failing side checked: 1 a
 * link missing or failing above the certificates sent, 2 the end-entity
 * certificate itself, 3 no certificate sent, 0 not a chain matter. */
static int
chain_mark(const char *reason)
{
	static const char *const link[] = { "issuer-not-found", "untrusted-root", "self-signed",
		                            "signer-not-ca", "path-length", "name-constraints",
		                            "bad-signature" };
	static const char *const leaf[] = { "expired", "not-yet-valid", "name-mismatch",
		                            "cn-only-no-san", "wildcard-not-allowed",
		                            "wildcard-missing", "eku-server-auth-missing",
		                            "eku-client-auth-missing", "key-usage", "key-size",
		                            "unknown-critical-extension", "insecure-algorithm",
		                            "revoked" };
	size_t i;

	for (i = 0; reason != NULL && i < sizeof(link) / sizeof(link[0]); i++)
		if (strcmp(reason, link[i]) == 0)
			return 1;
	for (i = 0; reason != NULL && i < sizeof(leaf) / sizeof(leaf[0]); i++)
		if (strcmp(reason, leaf[i]) == 0)
			return 2;
	return reason != NULL && strstr(reason, "-cert") != NULL ? 3 : 0;
}

/* The side whose chain FAIL's side checked: another side with a record of
 * the same step (the other end of that connection). */
static const char *
checked_side(const struct uctls_log *log, const struct uctls_step *fail)
{
	size_t i;

	for (i = 0; i < log->nsteps; i++)
		if (strcmp(log->steps[i].step, fail->step) == 0 &&
		    strcmp(log->steps[i].side, fail->side) != 0 &&
		    log->steps[i].status != UCTLS_NOT_REACHED)
			return log->steps[i].side;
	return NULL;
}

static const struct uctls_peerdef *
peer_def(const struct uctls_scenario *sc, const char *id)
{
	size_t i;

	for (i = 0; i < sc->npeers; i++)
		if (strcmp(sc->peers[i].id, id) == 0)
			return &sc->peers[i];
	return NULL;
}

#define BOX_W 170
#define BOX_X0 170

/* One row of boxes at Y: LABEL, then N names (fingerprints FPR, may be
 * NULL); MARK 1: a red dashed box after them ("missing link"), 2: the first
 * box red, 3: the label red (nothing sent). */
static void
box_row(FILE *f, int y, const char *label, char *const *names, char *const *fpr, size_t n,
        int mark, const char *reason)
{
	size_t i;

	fprintf(f, "<text x=\"4\" y=\"%d\" class=\"%s\">", y + 24, mark == 3 ? "bad" : "lbl");
	esc(f, label);
	fprintf(f, "</text>\n");
	if (n == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"%s\">%s</text>\n", BOX_X0, y + 24,
		        mark == 3 ? "bad" : "dim", mark == 3 ? "no certificate: " : "none");
	if (n == 0 && mark == 3) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"bad\">", BOX_X0 + 120, y + 24);
		esc(f, reason);
		fprintf(f, "</text>\n");
	}
	for (i = 0; i < n; i++) {
		int x = BOX_X0 + (int)i * BOX_W, red = mark == 2 && i == 0;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"36\" rx=\"4\" class=\"%s\"/>"
		        "<text x=\"%d\" y=\"%d\" class=\"id\">", x, y + 4, BOX_W - 20,
		        red ? "boxbad" : "box", x + 6, y + 19);
		esc(f, names[i] != NULL ? names[i] : "?");
		fprintf(f, "</text>");
		if (fpr != NULL && fpr[i] != NULL)
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"fpr\">%.23s</text>", x + 6, y + 33,
			        fpr[i]);
		if (red) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"bad\">", x, y + 54);
			esc(f, reason);
			fprintf(f, "</text>");
		}
		fputc('\n', f);
	}
	if (mark == 1) {
		int x = BOX_X0 + (int)n * BOX_W;

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"36\" rx=\"4\" "
		        "class=\"missing\"/><text x=\"%d\" y=\"%d\" class=\"bad\">", x, y + 4,
		        BOX_W + 40, x + 6, y + 26);
		esc(f, reason);
		fprintf(f, "</text>\n");
	}
}

/* Each side's chain: what it sent and what it trusts, the failing link
 * marked in the chain that the failing side checked. */
static void
chains(FILE *f, const struct uctls_scenario *sc, const struct uctls_log *log)
{
	const struct uctls_step *fail = uctls_log_failure(log);
	const char *checked = fail != NULL ? checked_side(log, fail) : NULL;
	int mark = fail != NULL ? chain_mark(fail->reason) : 0, y = 4, rows = 0;
	size_t i, most = 1;
	char label[128];

	for (i = 0; i < log->nsides; i++) {
		const struct uctls_peerdef *pd = peer_def(sc, log->sides[i].id);

		most = log->sides[i].nsent > most ? log->sides[i].nsent : most;
		most = pd != NULL && pd->ntrusts > most ? pd->ntrusts : most;
		rows += 2;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chains\" width=\"%zu\" "
	        "height=\"%d\">\n", BOX_X0 + (most + 1) * BOX_W + 60, rows * 62 + 10);
	for (i = 0; i < log->nsides; i++) {
		const struct uctls_side_info *si = &log->sides[i];
		const struct uctls_peerdef *pd = peer_def(sc, si->id);
		int here = checked != NULL && strcmp(checked, si->id) == 0;

		snprintf(label, sizeof(label), "%s sends%s", si->id, si->remote ? " (real)" : "");
		box_row(f, y, label, si->sent_ids, si->sent_fpr, si->nsent, here ? mark : 0,
		        fail != NULL ? fail->reason : NULL);
		y += 62;
		snprintf(label, sizeof(label), "%s trusts", si->id);
		box_row(f, y, label, pd != NULL ? pd->trusts : NULL, NULL, pd != NULL ? pd->ntrusts : 0,
		        0, NULL);
		y += 62;
	}
	fprintf(f, "</svg>\n");
}

#define LL_X1 200 /* the client's lifeline */
#define LL_X2 760 /* the server's */
#define ROW_H 22

/* Connection C's ladder (ladder.h) as an SVG drawing; MARKER a unique id. */
static void
ladder_svg(FILE *f, const struct uctls_cap_conn *c, size_t num, unsigned marker)
{
	struct uctls_ladder_row *rows;
	size_t i, n = uctls_ladder_rows(c, &rows);
	int y, h = 60 + (int)n * ROW_H;

	fprintf(f, "<h4>connection %zu (", num);
	esc(f, c->step);
	fprintf(f, "): ");
	esc(f, c->id[0]);
	fprintf(f, " %s &rarr; ", c->addr[0]);
	esc(f, c->id[1]);
	fprintf(f, " %s</h4>\n", c->addr[1]);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"1100\" "
	        "height=\"%d\"><defs><marker id=\"ah%u\" markerUnits=\"userSpaceOnUse\" "
	        "markerWidth=\"10\" markerHeight=\"8\" "
	        "refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\"/></marker>"
	        "</defs>\n", h, marker);
	fprintf(f, "<text x=\"%d\" y=\"16\" class=\"who\" text-anchor=\"middle\">", LL_X1);
	esc(f, c->id[0]);
	fprintf(f, "</text><text x=\"%d\" y=\"16\" class=\"who\" text-anchor=\"middle\">", LL_X2);
	esc(f, c->id[1]);
	fprintf(f, "</text>\n<line x1=\"%d\" y1=\"24\" x2=\"%d\" y2=\"%d\" class=\"life\"/>"
	        "<line x1=\"%d\" y1=\"24\" x2=\"%d\" y2=\"%d\" class=\"life\"/>\n", LL_X1, LL_X1,
	        h - 4, LL_X2, LL_X2, h - 4);
	for (i = 0, y = 48; i < n; i++, y += ROW_H) {
		const struct uctls_ladder_row *r = &rows[i];
		int from = r->side ? LL_X2 : LL_X1, to = r->side ? LL_X1 : LL_X2;

		fprintf(f, "<text x=\"4\" y=\"%d\" class=\"ms\">%.1f ms</text>", y, r->ms);
		if (r->fail) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"x\" text-anchor=\"middle\">X</text>"
			        "<text x=\"%d\" y=\"%d\" class=\"bad\">", from, y + 4,
			        r->side ? LL_X2 + 16 : LL_X1 + 16, y);
			esc(f, c->id[r->side]);
			fprintf(f, " fails ");
			esc(f, r->text);
			fprintf(f, "</text>\n");
			continue;
		}
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\" "
		        "marker-end=\"url(#ah%u)\"/><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		        "class=\"msg\">", from, y, to, y, r->marked >= 0 ? "arrowbad" : "arrow", marker,
		        (LL_X1 + LL_X2) / 2, y - 4);
		esc(f, r->text);
		fprintf(f, "</text>");
		if (r->marked >= 0) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"bad\">&lArr; ", LL_X2 + 16, y);
			esc(f, c->id[r->marked]);
			fprintf(f, " fails here</text>");
		}
		fputc('\n', f);
	}
	fprintf(f, "</svg>\n");
	free(rows);
}

static const char *
verdict(const struct uctls_outcome *oc)
{
	return oc->matched ? "match" : "MISMATCH";
}

/* The summary row of scenario SLOT. */
static void
summary_row(FILE *f, size_t slot, const struct uctls_log *log, const struct uctls_outcome *oc)
{
	const struct uctls_step *fail = uctls_log_failure(log);

	fprintf(f, "<tr class=\"%s\"><td>", oc->matched ? "ok" : "mis");
	esc(f, log->family);
	fprintf(f, "</td><td><a href=\"#s%zu\">", slot + 1);
	esc(f, log->scenario);
	fprintf(f, "</a></td><td>%s</td><td>%s</td><td>", verdict(oc), fail ? "fail" : "pass");
	esc(f, fail ? fail->step : "");
	fprintf(f, "</td><td>");
	esc(f, fail ? fail->side : "");
	fprintf(f, "</td><td>");
	esc(f, fail ? fail->reason : "");
	fprintf(f, "</td></tr>\n");
}

/* The expiry warnings of LOG (warn.h), one list item each. */
static void
html_warnings(FILE *f, const struct uctls_log *log)
{
	const struct uctls_step *st;
	const char *w;
	size_t i;

	for (i = 0; (w = uctls_warn_at(log, i, &st)) != NULL; i++) {
		if (i == 0)
			fprintf(f, "<ul class=\"warn\">\n");
		fprintf(f, "<li>warning (");
		esc(f, st->step);
		fprintf(f, " on ");
		esc(f, st->side);
		fprintf(f, "): ");
		esc(f, w);
		fprintf(f, "</li>\n");
	}
	if (i > 0)
		fprintf(f, "</ul>\n");
}

static void
section(FILE *f, struct uctls_html *h, size_t slot, const struct uctls_scenario *sc,
        const struct uctls_log *log, const struct uctls_outcome *oc, const struct uctls_cap *cap)
{
	const struct uctls_step *fail = uctls_log_failure(log);
	size_t i;

	fprintf(f, "<section id=\"s%zu\"><h2>", slot + 1);
	esc(f, log->scenario);
	fprintf(f, " <span class=\"%s\">%s</span></h2>\n<p class=\"file\">", oc->matched ? "ok" : "mis",
	        verdict(oc));
	esc(f, log->file);
	if (!oc->matched) {
		fprintf(f, "<br>");
		esc(f, oc->why);
	}
	fprintf(f, "</p>\n");
	if (fail != NULL) {
		fprintf(f, "<p class=\"why\"><b>");
		esc(f, fail->step);
		fprintf(f, " failed on ");
		esc(f, fail->side);
		fprintf(f, ": ");
		esc(f, fail->reason);
		fprintf(f, "</b><br>");
		esc(f, fail->detail);
		if (fail->hint != NULL) {
			fprintf(f, "<br>hint: ");
			esc(f, fail->hint);
		}
		fprintf(f, "</p>\n");
	} else {
		fprintf(f, "<p class=\"why\">every step passed</p>\n");
	}
	html_warnings(f, log);
	fprintf(f, "<h3>Chains</h3>\n");
	chains(f, sc, log);
	fprintf(f, "<h3>Ladder</h3>\n");
	for (i = 0; i < uctls_cap_nconns(cap); i++)
		ladder_svg(f, uctls_cap_conn_at(cap, i), i + 1, ++h->nsvg);
	fprintf(f, "</section>\n");
}

int
uctls_html_set(struct uctls_html *h, size_t slot, const struct uctls_scenario *sc,
               const struct uctls_log *log, const struct uctls_outcome *oc,
               const struct uctls_cap *cap)
{
	struct slot *s;
	FILE *row, *body;

	if (slot >= h->nslots)
		return -1;
	s = &h->slots[slot];
	free(s->row);
	free(s->body);
	s->row = s->body = NULL;
	row = open_memstream(&s->row, &s->rowlen);
	body = row != NULL ? open_memstream(&s->body, &s->bodylen) : NULL;
	if (body == NULL) {
		if (row != NULL)
			fclose(row);
		return -1;
	}
	summary_row(row, slot, log, oc);
	section(body, h, slot, sc, log, oc, cap);
	return (fclose(row) != 0) | (fclose(body) != 0) ? -1 : 0;
}

int
uctls_html_set_error(struct uctls_html *h, size_t slot, const char *file, const char *msg)
{
	struct slot *s;
	FILE *row;

	if (slot >= h->nslots)
		return -1;
	s = &h->slots[slot];
	if ((row = open_memstream(&s->row, &s->rowlen)) == NULL)
		return -1;
	fprintf(row, "<tr class=\"mis\"><td>input</td><td>");
	esc(row, file);
	fprintf(row, "</td><td>ERROR</td><td colspan=\"4\">");
	esc(row, msg);
	fprintf(row, "</td></tr>\n");
	return fclose(row) != 0 ? -1 : 0;
}

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 8px;"
	"text-align:left}tr.mis td{background:#fde2e2}tr.ok td{background:#e6f4e6}"
	"span.ok{color:#1a7f1a}span.mis{color:#c00}.file{color:#555;font-size:90%}"
	"section{border-top:2px solid #888;margin-top:2em}"
	"svg text{font-family:monospace;font-size:12px}.lbl{font-weight:bold}"
	".dim{fill:#888}.bad{fill:#c00;font-weight:bold}.box{fill:#eef;stroke:#447}"
	".boxbad{fill:#fdd;stroke:#c00;stroke-width:2}.missing{fill:none;stroke:#c00;"
	"stroke-width:2;stroke-dasharray:6 4}.id{fill:#000}.fpr{fill:#666;font-size:10px}"
	".life{stroke:#999;stroke-dasharray:4 3}.arrow{stroke:#333}.arrowbad{stroke:#c00;"
	"stroke-width:2}.ms{fill:#777}.who{font-weight:bold;font-size:14px}"
	".x{fill:#c00;font-size:16px;font-weight:bold}";

int
uctls_html_write(const struct uctls_html *h, const char *path, struct uctls_err *err)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	int rv;

	if (f == NULL)
		return uctls_err_set(err, "%s: out of memory", path);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<title>uctls run</title><style>%s</style></head><body>\n<h1>uctls run: %zu "
	        "scenario%s</h1>\n<table><tr><th>family</th><th>scenario</th><th>verdict</th>"
	        "<th>outcome</th><th>step</th><th>side</th><th>reason</th></tr>\n", style,
	        h->nslots, h->nslots == 1 ? "" : "s");
	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].row != NULL)
			fwrite(h->slots[i].row, 1, h->slots[i].rowlen, f);
	fprintf(f, "</table>\n");
	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].body != NULL)
			fwrite(h->slots[i].body, 1, h->slots[i].bodylen, f);
	fprintf(f, "</body></html>\n");
	if (fclose(f) != 0) {
		free(buf);
		return uctls_err_set(err, "%s: out of memory", path);
	}
	rv = uctls_file_write(path, buf, len, 0644, err);
	free(buf);
	return rv;
}
