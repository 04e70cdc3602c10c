#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certinfo.h"
#include "check_suites.h"
#include "report.h"
#include "steplog.h"

/* ---- hand-built logs ---------------------------------------------------- */

enum log_kind {
	LOG_PASS,       /* both steps pass on both sides, TLS 1.3 negotiated */
	LOG_ISSUER,     /* missing intermediate: server's alert logged first,
	                   then the client's diagnosis */
	LOG_NOCLIENT,   /* server requires a client certificate, none sent */
	LOG_ALERTONLY,  /* the client only saw an alert; the server is a real
	                   peer (unobserved) */
	LOG_NOSIDES,    /* LOG_ISSUER without registered sides */
	LOG_EMPTY       /* nothing logged */
};

#define FPR_CLI "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FPR_INT "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
/* FPR_CLI as every report writes it: upper case, colons (certinfo.h) */
#define FPR_CLI_D "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"
#define FPR_INT_D "FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10"
#define FPR_SRV "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

#define DETAIL_ISSUER "intermediate `CN=Example Issuing CA' was neither sent nor trusted"

static void
add_sides(struct uctls_log *log)
{
	struct uctls_side_info *c, *s;

	c = uctls_log_side(log, "client", "client", "generic");
	s = uctls_log_side(log, "server", "server", "generic");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(uctls_side_add_sent(c, "cli", FPR_CLI), 0);
	ck_assert_int_eq(uctls_side_add_sent(c, "int", FPR_INT), 0);
	ck_assert_int_eq(uctls_side_add_sent(s, "srv", FPR_SRV), 0);
	ck_assert_int_eq(uctls_side_add_peer(c, FPR_SRV), 0);
	ck_assert_int_eq(uctls_side_add_peer(s, FPR_CLI), 0);
	ck_assert_int_eq(uctls_side_add_peer(s, FPR_INT), 0);
}

static struct uctls_log *
mk_log(enum log_kind k)
{
	struct uctls_log *log;
	struct uctls_step *st;

	log = uctls_log_new("tls/missing-intermediate",
	                    "scenarios/tls/missing-intermediate.xml", "tls");
	ck_assert_ptr_nonnull(log);
	if (k == LOG_EMPTY)
		return log;
	if (k != LOG_NOSIDES)
		add_sides(log);
	ck_assert_ptr_nonnull(uctls_log_add(log, "tcp-connect", "client", UCTLS_PASS,
	                                    NULL, NULL, NULL, 0.25));
	ck_assert_ptr_nonnull(uctls_log_add(log, "tcp-connect", "server", UCTLS_PASS,
	                                    NULL, NULL, NULL, 0.5));
	switch (k) {
	case LOG_PASS:
		uctls_log_add(log, "tls-handshake", "client", UCTLS_PASS, NULL, NULL,
		              NULL, 3.0);
		uctls_log_add(log, "tls-handshake", "server", UCTLS_PASS, NULL, NULL,
		              NULL, 3.0);
		log->version = strdup("TLS1.3");
		log->cipher = strdup("TLS_AES_256_GCM_SHA384");
		break;
	case LOG_ISSUER:
	case LOG_NOSIDES:
		uctls_log_add(log, "tls-handshake", "server", UCTLS_FAIL,
		              "alert:unknown-ca", "received alert unknown_ca", NULL, 2.0);
		st = uctls_log_add(log, "tls-handshake", "client", UCTLS_FAIL,
		                   "issuer-not-found", DETAIL_ISSUER,
		                   "send the intermediate with the certificate", 2.0);
		ck_assert_ptr_nonnull(st);
		ck_assert_int_eq(uctls_log_add_also(st, "certificate `srv' expires in 3 days"), 0);
		break;
	case LOG_NOCLIENT:
		uctls_log_add(log, "tls-handshake", "server", UCTLS_FAIL,
		              "no-client-cert", "the client sent no certificate",
		              "configure a client certificate", 1.0);
		uctls_log_add(log, "tls-handshake", "client", UCTLS_FAIL,
		              "alert:certificate-required", NULL, NULL, 1.0);
		break;
	case LOG_ALERTONLY:
		uctls_log_add(log, "tls-handshake", "client", UCTLS_FAIL,
		              "alert:handshake-failure", NULL, NULL, 1.0);
		uctls_log_add(log, "tls-handshake", "server", UCTLS_UNOBSERVED,
		              NULL, NULL, NULL, 0);
		break;
	case LOG_EMPTY:
		break;
	}
	log->total_ms = 12.5;
	return log;
}

/* ---- steplog ------------------------------------------------------------ */

/* Primary failure: the diagnosing side, even when an alert came first. */
/* Fingerprints in the form devices display, whatever form they come in. */
START_TEST(test_fpr_display)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
		/* lower case with colons (what the engine keeps) */
		{ "ab:cd:0f", "AB:CD:0F" },
		/* bare hex, mixed case */
		{ "aBcD0f", "AB:CD:0F" },
		/* what is not hex is dropped */
		{ "xx: ab-cd", "AB:CD" },
		{ "", "" },
		/* a full SHA-256 */
		{ FPR_CLI, FPR_CLI_D },
		/* longer than a SHA-256: cut, never overrun */
		{ FPR_CLI FPR_CLI, FPR_CLI_D },
	};
	char out[UCTLS_FPR_DISPLAY_LEN];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uctls_fpr_display(rows[i].in, out);
		ck_assert_msg(strcmp(out, rows[i].want) == 0, "row %zu: `%s' gave `%s'", i, rows[i].in,
		              out);
	}
}
END_TEST

START_TEST(test_log_failure)
{
	struct uctls_log *log;
	const struct uctls_step *f;

	log = mk_log(LOG_ISSUER);
	f = uctls_log_failure(log);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->side, "client");
	ck_assert_str_eq(f->reason, "issuer-not-found");
	ck_assert_uint_eq(f->nalso, 1);
	uctls_log_free(log);

	/* every FAIL is an alert: the first FAIL record */
	log = mk_log(LOG_ALERTONLY);
	f = uctls_log_failure(log);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->reason, "alert:handshake-failure");
	uctls_log_free(log);

	/* nothing failed */
	log = mk_log(LOG_PASS);
	ck_assert_ptr_null(uctls_log_failure(log));
	uctls_log_free(log);
	ck_assert_ptr_null(uctls_log_failure(NULL));
}
END_TEST

/* uctls_log_find: FAIL records only, by step and side. */
START_TEST(test_log_find)
{
	struct uctls_log *log = mk_log(LOG_ISSUER);
	const struct uctls_step *st;

	st = uctls_log_find(log, "tls-handshake", "server");
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(st->reason, "alert:unknown-ca");
	ck_assert_ptr_null(uctls_log_find(log, "tcp-connect", "server"));
	ck_assert_ptr_null(uctls_log_find(log, "tls-handshake", "nobody"));
	uctls_log_free(log);
}
END_TEST

/* Strings are copied; at most two sides; free accepts NULL. */
START_TEST(test_log_ownership)
{
	struct uctls_log *log;
	struct uctls_step *st;
	char reason[] = "expired";

	log = uctls_log_new("n", NULL, "tls");
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_null(log->file);
	st = uctls_log_add(log, "tls-handshake", "client", UCTLS_FAIL, reason,
	                   NULL, NULL, 1);
	ck_assert_ptr_nonnull(st);
	reason[0] = 'X';
	ck_assert_str_eq(log->steps[0].reason, "expired");
	ck_assert_ptr_nonnull(uctls_log_side(log, "a", "client", "generic"));
	ck_assert_ptr_nonnull(uctls_log_side(log, "b", "server", "generic"));
	/* a third side: traversal's mra-edge adds the Jabber client */
	ck_assert_ptr_nonnull(uctls_log_side(log, "c", "client", "jabber"));
	ck_assert_ptr_null(uctls_log_side(log, "d", "server", "generic"));
	ck_assert_uint_eq(log->nsides, 3);
	ck_assert_int_eq(uctls_side_add_sent(&log->sides[0], NULL, "ab"), 0);
	ck_assert_str_eq(log->sides[0].sent_ids[0], "?");
	ck_assert_ptr_null(uctls_log_add(log, NULL, "client", UCTLS_PASS, NULL,
	                                 NULL, NULL, 0));
	uctls_log_free(log);
	uctls_log_free(NULL);
}
END_TEST

/* ---- outcome_eval rows -------------------------------------------------- */

struct eval_row {
	enum log_kind log;
	int present, pass;
	const char *fail_at, *side, *reason, *other;
	int matched;
	const char *why; /* exact `why' when not matched */
};

static const struct eval_row eval_rows[] = {
	/* match: step, side, reason and the other side's alert */
	{ LOG_ISSUER, 1, 0, "tls-handshake", "client", "issuer-not-found", "alert:unknown-ca", 1, NULL },
	/* match without `other' */
	{ LOG_ISSUER, 1, 0, "tls-handshake", "client", "issuer-not-found", NULL, 1, NULL },
	/* wrong step */
	{ LOG_ISSUER, 1, 0, "tcp-connect", "client", "issuer-not-found", NULL, 0,
	  "expected tcp-connect/client/issuer-not-found, got tls-handshake/client/issuer-not-found" },
	/* wrong side: the server only saw the alert */
	{ LOG_ISSUER, 1, 0, "tls-handshake", "server", "issuer-not-found", NULL, 0,
	  "expected tls-handshake/server/issuer-not-found, got tls-handshake/client/issuer-not-found" },
	/* wrong reason */
	{ LOG_ISSUER, 1, 0, "tls-handshake", "client", "untrusted-root", NULL, 0,
	  "expected tls-handshake/client/untrusted-root, got tls-handshake/client/issuer-not-found" },
	/* reasons compare exactly: a prefix is not a match */
	{ LOG_ISSUER, 1, 0, "tls-handshake", "client", "issuer", NULL, 0,
	  "expected tls-handshake/client/issuer, got tls-handshake/client/issuer-not-found" },
	/* the other side saw a different alert */
	{ LOG_ISSUER, 1, 0, "tls-handshake", "client", "issuer-not-found", "alert:bad-certificate", 0,
	  "expected server to see alert:bad-certificate at tls-handshake, got alert:unknown-ca" },
	/* pass expected, but the server rejected the client */
	{ LOG_NOCLIENT, 1, 1, NULL, NULL, NULL, NULL, 0,
	  "expected pass, got tls-handshake/server/no-client-cert" },
	/* pass expected and passed */
	{ LOG_PASS, 1, 1, NULL, NULL, NULL, NULL, 1, NULL },
	/* failure expected, but every step passed */
	{ LOG_PASS, 1, 0, "tls-handshake", "client", "issuer-not-found", NULL, 0,
	  "expected tls-handshake/client/issuer-not-found, got pass" },
	/* no <expect>: passing log matches */
	{ LOG_PASS, 0, 0, NULL, NULL, NULL, NULL, 1, NULL },
	/* no <expect>: a failing log does not */
	{ LOG_ISSUER, 0, 0, NULL, NULL, NULL, NULL, 0,
	  "expected pass (no <expect>), got tls-handshake/client/issuer-not-found" },
	/* only alerts: the first FAIL is the primary failure */
	{ LOG_ALERTONLY, 1, 0, "tls-handshake", "client", "alert:handshake-failure", NULL, 1, NULL },
	/* other expected, but the other side is a real peer (unobserved) */
	{ LOG_ALERTONLY, 1, 0, "tls-handshake", "client", "alert:handshake-failure", "no-client-cert", 0,
	  "expected server to see no-client-cert at tls-handshake, got unobserved" },
	/* no registered sides: the other side is any other FAIL record */
	{ LOG_NOSIDES, 1, 0, "tls-handshake", "client", "issuer-not-found", "alert:unknown-ca", 1, NULL },
	/* the server diagnosed, the client only saw the alert it sent */
	{ LOG_NOCLIENT, 1, 0, "tls-handshake", "server", "no-client-cert", "alert:certificate-required", 1, NULL },
	/* nothing logged at all and no <expect>: nothing failed */
	{ LOG_EMPTY, 0, 0, NULL, NULL, NULL, NULL, 1, NULL },
};

static void
set_expect(struct uctls_expect *ex, const struct eval_row *r)
{
	memset(ex, 0, sizeof(*ex));
	ex->present = r->present;
	ex->pass = r->pass;
	ex->fail_at = (char *)r->fail_at;
	ex->side = (char *)r->side;
	ex->reason = (char *)r->reason;
	ex->other = (char *)r->other;
}

START_TEST(test_eval_rows)
{
	const struct eval_row *r = &eval_rows[_i];
	struct uctls_log *log = mk_log(r->log);
	struct uctls_expect ex;
	struct uctls_outcome oc;

	set_expect(&ex, r);
	memset(&oc, 0x55, sizeof(oc));
	uctls_outcome_eval(&ex, log, &oc);
	ck_assert_msg(oc.matched == r->matched, "row %d: matched %d (%s)", _i,
	              oc.matched, oc.why);
	if (r->why != NULL)
		ck_assert_str_eq(oc.why, r->why);
	else
		ck_assert_str_eq(oc.why, "");
	uctls_log_free(log);
}
END_TEST

/* ---- JSON --------------------------------------------------------------- */

/* A minimal RFC 8259 validator: returns the end of the value at P, or NULL.
 * When KEYS is not NULL and the value is an object, its member names are
 * appended to KEYS separated by ','. */
static const char *json_value(const char *p, char *keys, size_t klen);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *
json_str(const char *p, char *out, size_t olen)
{
	size_t n = 0;
	int i;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF", p[i]) == NULL || p[i] == '\0')
						return NULL;
				p += 4;
			} else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0') {
				return NULL;
			}
		}
		if (out != NULL && n + 1 < olen)
			out[n++] = *p;
		p++;
	}
	if (out != NULL)
		out[n] = '\0';
	return p + 1;
}

static const char *
json_value(const char *p, char *keys, size_t klen)
{
	char key[64];

	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = json_str(json_ws(p), key, sizeof(key));
				if (p == NULL)
					return NULL;
				if (keys != NULL) {
					if (keys[0] != '\0')
						strncat(keys, ",", klen - strlen(keys) - 1);
					strncat(keys, key, klen - strlen(keys) - 1);
				}
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_value(p, NULL, 0);
			if (p == NULL)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_str(p, NULL, 0);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;

		strtod(p, &end);
		return end == p ? NULL : end;
	}
	return NULL;
}

/* Checks TEXT is one valid JSON object on one line and returns its
 * top-level member names ("a,b,c") in KEYS. */
static void
json_check_line(const char *text, char *keys, size_t klen)
{
	const char *end;

	keys[0] = '\0';
	ck_assert_msg(text[0] == '{', "not an object: %s", text);
	end = json_value(text, keys, klen);
	ck_assert_msg(end != NULL, "invalid JSON: %s", text);
	ck_assert_msg(strcmp(end, "\n") == 0, "not one line: %s", text);
}

/* Runs python3 -m json.tool over TEXT when python3 exists (extra check). */
static void
json_python(const char *text)
{
	char path[] = "/tmp/uctls-json-XXXXXX", cmd[128];
	FILE *f;
	int fd;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return;
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s >/dev/null 2>&1", path);
	ck_assert_msg(system(cmd) == 0, "python3 rejects: %s", text);
	unlink(path);
}

typedef void (*writer_fn)(FILE *, const struct uctls_log *,
                          const struct uctls_expect *, const struct uctls_outcome *);

/* Runs a writer into memory; the caller frees the result. */
static char *
capture(writer_fn fn, const struct uctls_log *log, const struct uctls_expect *ex)
{
	struct uctls_outcome oc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	uctls_outcome_eval(ex, log, &oc);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	fn(f, log, ex, &oc);
	fclose(f);
	return buf;
}

#define TOP_KEYS "scenario,file,family,result,matched,why,failure,expect,sides,steps,tls,ms"

static void
tap_1(FILE *f, const struct uctls_log *log, const struct uctls_expect *ex,
      const struct uctls_outcome *oc)
{
	uctls_report_tap(f, 1, log, ex, oc);
}

/* A real peer's side: what arrived from it is listed as what it sent (it
 * once read "no certificate" while three had arrived), in the text report
 * and as TAP diagnostics. */
START_TEST(test_remote_sent)
{
	struct uctls_log *log = mk_log(LOG_ALERTONLY);
	struct uctls_expect ex;
	struct uctls_side_info *s = &log->sides[1];
	char *out;

	s->remote = 1;
	ck_assert_int_eq(uctls_side_add_sent_der(s, NULL, FPR_CLI, NULL, 0), 0);
	ck_assert_int_eq(uctls_side_add_sent_der(s, "int", FPR_INT, NULL, 0), 0);
	memset(&ex, 0, sizeof(ex));
	out = capture(uctls_report_text, log, &ex);
	ck_assert_msg(strstr(out, "): 3 certificates, as received:\n     1. SHA-256 " FPR_SRV
	                          " (scenario id srv)\n     2. SHA-256 " FPR_CLI_D "\n") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "3. SHA-256 " FPR_INT_D " (scenario id int)\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "no certificate") == NULL, "%s", out);
	/* The real server refused with an alert: where its reason is, and the
	 * same check offline on the exported files. */
	ck_assert_msg(strstr(out, "why: server's reason is in its own log") != NULL &&
	                      strstr(out, "uctls check --profile P --role client --trust") != NULL &&
	                      strstr(out, "DIR/server-trust.pem DIR/client-chain.pem") != NULL,
	              "%s", out);
	free(out);
	out = capture(tap_1, log, &ex);
	ck_assert_msg(strstr(out, "\n# server (real peer) sent 3 certificates:\n#   1. SHA-256 "
	                          FPR_SRV " (scenario id srv)\n") != NULL, "%s", out);
	free(out);
	uctls_log_free(log);
}
END_TEST

/* One side real (--remote): the local side must reach the expected step
 * without failing before it.  The client failed at tls-handshake and still
 * has a record at sip-options: expecting the real server to fail at
 * sip-options is not a match (tests/mutation: report-remote-earlier-failure);
 * expecting it at tls-handshake is. */
START_TEST(test_eval_remote_earlier_failure)
{
	struct uctls_log *log = mk_log(LOG_PASS);
	struct uctls_expect ex;
	struct uctls_outcome oc;

	log->sides[1].remote = 1;
	/* steps[2]: the client's tls-handshake record */
	ck_assert_str_eq(log->steps[2].step, "tls-handshake");
	ck_assert_str_eq(log->steps[2].side, "client");
	log->steps[2].status = UCTLS_FAIL;
	log->steps[2].reason = strdup("issuer-not-found");
	ck_assert_ptr_nonnull(log->steps[2].reason);
	ck_assert_ptr_nonnull(uctls_log_add(log, "sip-options", "client", UCTLS_PASS, NULL, NULL,
	                                    NULL, 1.0));
	memset(&ex, 0, sizeof(ex));
	ex.present = 1;
	ex.fail_at = (char *)"sip-options";
	ex.side = (char *)"server";
	ex.reason = (char *)"sip-status:503";
	uctls_outcome_eval(&ex, log, &oc);
	ck_assert_msg(!oc.matched, "an earlier local failure matched: %s", oc.why);
	ck_assert_msg(strstr(oc.why, "got tls-handshake/client/issuer-not-found") != NULL, "%s",
	              oc.why);
	ex.fail_at = (char *)"tls-handshake";
	uctls_outcome_eval(&ex, log, &oc);
	ck_assert_msg(oc.matched, "%s", oc.why);
	uctls_log_free(log);
}
END_TEST

/* Shape and escaping of a failing scenario with an awkward detail. */
START_TEST(test_json_failure)
{
	struct uctls_log *log = mk_log(LOG_ISSUER);
	struct uctls_expect ex;
	char keys[512], *out;

	free(log->steps[1].detail);
	log->steps[1].detail = strdup("say \"hi\" C:\\ca\nnext\tline \x01 caf\xc3\xa9 \xff");
	set_expect(&ex, &eval_rows[0]);
	out = capture(uctls_report_json, log, &ex);
	json_check_line(out, keys, sizeof(keys));
	ck_assert_str_eq(keys, TOP_KEYS);
	json_python(out);
	ck_assert_ptr_nonnull(strstr(out, "\"scenario\":\"tls/missing-intermediate\","));
	ck_assert_ptr_nonnull(strstr(out, "\"result\":\"fail\",\"matched\":true,\"why\":null,"));
	ck_assert_ptr_nonnull(strstr(out, "\"failure\":{\"step\":\"tls-handshake\","
	                                  "\"side\":\"client\",\"reason\":\"issuer-not-found\","));
	ck_assert_ptr_nonnull(strstr(out, "\"detail\":\"say \\\"hi\\\" C:\\\\ca\\nnext\\tline "
	                                  "\\u0001 caf\xc3\xa9 \\ufffd\""));
	ck_assert_ptr_nonnull(strstr(out, "\"expect\":{\"fail_at\":\"tls-handshake\","
	                                  "\"side\":\"client\",\"reason\":\"issuer-not-found\","
	                                  "\"other\":\"alert:unknown-ca\"}"));
	ck_assert_ptr_nonnull(strstr(out, "{\"id\":\"client\",\"role\":\"client\",\"profile\":"
	                                  "\"generic\",\"remote\":false,\"sent\":[{\"id\":\"cli\",\"sha256\":\""
	                                  FPR_CLI_D "\"},{\"id\":\"int\""));
	ck_assert_ptr_nonnull(strstr(out, "\"received\":[{\"id\":null,\"sha256\":\"" FPR_SRV "\"}]"));
	ck_assert_ptr_nonnull(strstr(out, "\"status\":\"fail\",\"reason\":\"alert:unknown-ca\""));
	ck_assert_ptr_nonnull(strstr(out, "\"also\":[\"certificate `srv' expires in 3 days\"]"));
	ck_assert_ptr_nonnull(strstr(out, "\"hint\":null,\"also\":[],\"ms\":0.250}"));
	ck_assert_ptr_nonnull(strstr(out, "\"tls\":null,\"ms\":12.500}"));
	free(out);
	uctls_log_free(log);
}
END_TEST

/* A passing scenario: failure null, tls object, expect result pass, and a
 * mismatch carrying `why'. */
START_TEST(test_json_pass)
{
	struct uctls_log *log = mk_log(LOG_PASS);
	struct uctls_expect ex;
	char keys[512], *out;

	set_expect(&ex, &eval_rows[8]);
	out = capture(uctls_report_json, log, &ex);
	json_check_line(out, keys, sizeof(keys));
	ck_assert_str_eq(keys, TOP_KEYS);
	json_python(out);
	ck_assert_ptr_nonnull(strstr(out, "\"result\":\"pass\",\"matched\":true,\"why\":null,"
	                                  "\"failure\":null,\"expect\":{\"result\":\"pass\"},"));
	ck_assert_ptr_nonnull(strstr(out, "\"tls\":{\"version\":\"TLS1.3\","
	                                  "\"cipher\":\"TLS_AES_256_GCM_SHA384\"}"));
	free(out);

	set_expect(&ex, &eval_rows[9]);
	out = capture(uctls_report_json, log, &ex);
	json_check_line(out, keys, sizeof(keys));
	ck_assert_ptr_nonnull(strstr(out, "\"matched\":false,\"why\":\"expected "
	                                  "tls-handshake/client/issuer-not-found, got pass\","));
	free(out);

	ex.present = 0;
	out = capture(uctls_report_json, log, &ex);
	ck_assert_ptr_nonnull(strstr(out, "\"expect\":null,"));
	free(out);
	uctls_log_free(log);
}
END_TEST

/* Statuses as JSON strings. */
START_TEST(test_json_statuses)
{
	struct uctls_log *log = mk_log(LOG_ALERTONLY);
	char keys[512], *out;

	uctls_log_add(log, "later", "client", UCTLS_NOT_REACHED, NULL, NULL, NULL, 0);
	out = capture(uctls_report_json, log, NULL);
	json_check_line(out, keys, sizeof(keys));
	ck_assert_ptr_nonnull(strstr(out, "\"status\":\"unobserved\""));
	ck_assert_ptr_nonnull(strstr(out, "\"status\":\"not-reached\""));
	ck_assert_ptr_nonnull(strstr(out, "\"status\":\"pass\""));
	free(out);
	uctls_log_free(log);
}
END_TEST

/* uctls_json_string rows: input -> exact output. */
static const struct {
	const char *in, *out;
} jstr_rows[] = {
	/* NULL is null */
	{ NULL, "null" },
	/* empty string */
	{ "", "\"\"" },
	/* quote and backslash */
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	/* the short escapes */
	{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
	/* other control characters and DEL as \u00XX */
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
	/* UTF-8 passes through (2, 3 and 4 byte sequences) */
	{ "\xc3\xa9\xe2\x80\x94\xf0\x9f\x94\x92", "\"\xc3\xa9\xe2\x80\x94\xf0\x9f\x94\x92\"" },
	/* a stray continuation byte becomes U+FFFD */
	{ "a\x80z", "\"a\\ufffdz\"" },
	/* an overlong encoding becomes U+FFFD per byte */
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
	/* a truncated sequence at the end of the string */
	{ "x\xe2\x80", "\"x\\ufffd\\ufffd\"" },
	/* a UTF-16 surrogate encoded in UTF-8 is not well-formed */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
	/* slash needs no escape */
	{ "tls/x", "\"tls/x\"" },
};

START_TEST(test_json_string_rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	uctls_json_string(f, jstr_rows[_i].in);
	fclose(f);
	ck_assert_str_eq(buf, jstr_rows[_i].out);
	free(buf);
}
END_TEST

/* The input-error object. */
START_TEST(test_json_error)
{
	char keys[64], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	uctls_report_error_json(f, "bad\".xml", "bad\".xml:3: unknown element <x>");
	fclose(f);
	json_check_line(buf, keys, sizeof(keys));
	ck_assert_str_eq(keys, "file,error");
	ck_assert_str_eq(buf, "{\"file\":\"bad\\\".xml\",\"error\":"
	                      "\"bad\\\".xml:3: unknown element <x>\"}\n");
	free(buf);
}
END_TEST

/* ---- TAP ---------------------------------------------------------------- */

struct tap_row {
	enum log_kind log;
	int eval_row;      /* index into eval_rows for the expectation */
	const char *name;  /* scenario name, NULL: keep */
	const char *first; /* exact first line */
	const char *diag;  /* a diagnostic line that must appear, or NULL */
};

static const struct tap_row tap_rows[] = {
	/* expected failure matched: ok, with the cause as a diagnostic */
	{ LOG_ISSUER, 0, NULL, "ok 7 - tls/missing-intermediate\n",
	  "\n# tls-handshake failed on client: issuer-not-found\n" },
	/* the hint follows */
	{ LOG_ISSUER, 0, NULL, "ok 7 - tls/missing-intermediate\n",
	  "\n# hint: send the intermediate with the certificate\n" },
	/* wrong reason: not ok, with the why */
	{ LOG_ISSUER, 4, NULL, "not ok 7 - tls/missing-intermediate\n",
	  "\n# expected tls-handshake/client/untrusted-root, got tls-handshake/client/issuer-not-found\n" },
	/* pass expected, passed: no diagnostics needed */
	{ LOG_PASS, 8, NULL, "ok 7 - tls/missing-intermediate\n", NULL },
	/* a `#' in the name must not become a SKIP directive */
	{ LOG_PASS, 8, "odd # SKIP name", "ok 7 - odd \\# SKIP name\n", NULL },
	/* a backslash before `#' is escaped too, so the `#' stays escaped */
	{ LOG_PASS, 8, "odd \\# TODO", "ok 7 - odd \\\\\\# TODO\n", NULL },
	/* a newline in the name cannot end the test line */
	{ LOG_PASS, 8, "two\nlines", "ok 7 - two?lines\n", NULL },
};

START_TEST(test_tap_rows)
{
	const struct tap_row *r = &tap_rows[_i];
	struct uctls_log *log = mk_log(r->log);
	struct uctls_expect ex;
	struct uctls_outcome oc;
	char *buf = NULL, *nl;
	size_t len = 0;
	FILE *f;

	if (r->name != NULL) {
		free(log->scenario);
		log->scenario = strdup(r->name);
	}
	set_expect(&ex, &eval_rows[r->eval_row]);
	uctls_outcome_eval(&ex, log, &oc);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	uctls_report_tap(f, 7, log, &ex, &oc);
	fclose(f);
	ck_assert_msg(strncmp(buf, r->first, strlen(r->first)) == 0,
	              "row %d: got %s", _i, buf);
	if (r->diag != NULL)
		ck_assert_msg(strstr(buf, r->diag) != NULL, "row %d: no %s in %s", _i,
		              r->diag, buf);
	/* every line after the first is a diagnostic */
	for (nl = strchr(buf, '\n'); nl != NULL && nl[1] != '\0'; nl = strchr(nl + 1, '\n'))
		ck_assert_msg(strncmp(nl + 1, "# ", 2) == 0, "row %d: not a comment: %s",
		              _i, nl + 1);
	free(buf);
	uctls_log_free(log);
}
END_TEST

/* A multi-line detail stays inside "# " lines; input errors. */
START_TEST(test_tap_error)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	uctls_report_error_tap(f, 3, "a#b.xml", "a#b.xml:3: unknown element <x>\nsecond");
	fclose(f);
	ck_assert_str_eq(buf, "not ok 3 - a\\#b.xml # input error\n"
	                      "# a#b.xml:3: unknown element <x>\n# second\n");
	free(buf);
}
END_TEST

/* ---- text --------------------------------------------------------------- */

/* The human report: table, cause, detail, hint, also, the other side,
 * what was sent, the expectation; and lines wrapped at 100 columns. */
START_TEST(test_text_failure)
{
	struct uctls_log *log = mk_log(LOG_ISSUER);
	struct uctls_expect ex;
	char *out, *line, *nl;
	static const char *const want[] = {
		"scenario tls/missing-intermediate  [scenarios/tls/missing-intermediate.xml]"
		"  family tls  (12.5 ms)\n",
		"  step            client                  server\n",
		"  tcp-connect     ok                      ok\n",
		"  tls-handshake   FAIL issuer-not-found   FAIL alert:unknown-ca\n",
		"  -> tls-handshake failed on client: issuer-not-found\n",
		"     hint: send the intermediate with the certificate\n",
		"     also (not the cause): certificate `srv' expires in 3 days\n",
		"     server saw: alert:unknown-ca -- received alert unknown_ca\n",
		"  sent: client (client, profile generic): cli 0123456789ABCDEF, int FEDCBA9876543210\n",
		"  sent: server (server, profile generic): srv AABBCCDDEEFF0011\n",
		"  expect fail-at=tls-handshake side=client reason=issuer-not-found "
		"other=alert:unknown-ca: MATCH\n",
	};
	size_t i;

	/* a long detail, to be wrapped */
	free(log->steps[3].detail);
	log->steps[3].detail = strdup(DETAIL_ISSUER " " DETAIL_ISSUER " " DETAIL_ISSUER);
	set_expect(&ex, &eval_rows[0]);
	out = capture(uctls_report_text, log, &ex);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(out, want[i]) != NULL, "missing %s in:\n%s", want[i], out);
	ck_assert_msg(strstr(out, "     intermediate `CN=Example Issuing CA' was neither") != NULL,
	              "detail not indented:\n%s", out);
	ck_assert_ptr_null(strstr(out, "negotiated:"));
	for (line = out; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
		ck_assert_msg(nl - line <= 100, "line longer than 100: %.*s",
		              (int)(nl - line), line);
	ck_assert_int_gt(strlen(out), 0);
	free(out);
	uctls_log_free(log);
}
END_TEST

/* Passing, mismatching and partially observed scenarios. */
START_TEST(test_text_other)
{
	struct uctls_log *log = mk_log(LOG_PASS);
	struct uctls_expect ex;
	char *out;

	set_expect(&ex, &eval_rows[9]);
	out = capture(uctls_report_text, log, &ex);
	ck_assert_ptr_nonnull(strstr(out, "  -> every step passed\n"));
	ck_assert_ptr_nonnull(strstr(out, "  negotiated: TLS1.3 / TLS_AES_256_GCM_SHA384\n"));
	ck_assert_ptr_nonnull(strstr(out, ": MISMATCH\n     expected tls-handshake/client/"
	                                  "issuer-not-found, got pass\n"));
	free(out);
	uctls_log_free(log);

	log = mk_log(LOG_ALERTONLY);
	uctls_log_add(log, "later", "client", UCTLS_NOT_REACHED, NULL, NULL, NULL, 0);
	out = capture(uctls_report_text, log, NULL);
	ck_assert_ptr_nonnull(strstr(out, "FAIL alert:handshake-failure   unobserved\n"));
	ck_assert_ptr_nonnull(strstr(out, "  later           not reached                    -\n"));
	ck_assert_ptr_nonnull(strstr(out, "     server saw: unobserved"));
	/* no scenario (uctls check): a verdict instead of an expectation */
	ck_assert_ptr_nonnull(strstr(out, "  verdict: problems found (the first is the cause)\n"));
	free(out);
	uctls_log_free(log);

	/* no registered sides: the columns come from the records */
	log = mk_log(LOG_NOSIDES);
	out = capture(uctls_report_text, log, NULL);
	ck_assert_ptr_nonnull(strstr(out, "  step            client                  server\n"));
	ck_assert_ptr_nonnull(strstr(out, "     server saw: alert:unknown-ca"));
	free(out);
	uctls_log_free(log);
}
END_TEST

Suite *
make_report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tl = tcase_create("steplog");
	TCase *te = tcase_create("outcome");
	TCase *tj = tcase_create("json");
	TCase *tt = tcase_create("tap");
	TCase *tx = tcase_create("text");

	tcase_add_test(tl, test_log_failure);
	tcase_add_test(tl, test_fpr_display);
	tcase_add_test(tl, test_remote_sent);
	tcase_add_test(te, test_eval_remote_earlier_failure);
	tcase_add_test(tl, test_log_find);
	tcase_add_test(tl, test_log_ownership);
	tcase_add_loop_test(te, test_eval_rows, 0,
	                    (int)(sizeof(eval_rows) / sizeof(eval_rows[0])));
	tcase_add_test(tj, test_json_failure);
	tcase_add_test(tj, test_json_pass);
	tcase_add_test(tj, test_json_statuses);
	tcase_add_loop_test(tj, test_json_string_rows, 0,
	                    (int)(sizeof(jstr_rows) / sizeof(jstr_rows[0])));
	tcase_add_test(tj, test_json_error);
	tcase_add_loop_test(tt, test_tap_rows, 0,
	                    (int)(sizeof(tap_rows) / sizeof(tap_rows[0])));
	tcase_add_test(tt, test_tap_error);
	tcase_add_test(tx, test_text_failure);
	tcase_add_test(tx, test_text_other);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	suite_add_tcase(s, tj);
	suite_add_tcase(s, tt);
	suite_add_tcase(s, tx);
	return s;
}
