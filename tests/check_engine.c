/* The engine end to end: real handshakes over loopback, both sides' records.
 * Each row is a scenario body and what each side must record at
 * tls-handshake. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check_suites.h"
#include "engine.h"
#include "report.h"
#include "scenario.h"
#include "testutil.h"

#define PKI                                                                                 \
	"<pki><ca id='root' subject='CN=E Root'/>"                                              \
	"<ca id='int' issuer='root' subject='CN=E Issuing'/>"                                   \
	"<cert id='srv' issuer='int' subject='CN=srv.example.com' san='DNS:srv.example.com'/>"  \
	"<cert id='cli' issuer='int' subject='CN=cli.example.com' san='DNS:cli.example.com'/>"  \
	"<cert id='cli-s' issuer='int' subject='CN=cli.example.com' san='DNS:cli.example.com' " \
	"eku='serverAuth'/></pki>"

struct row {
	const char *what;
	const char *peers;
	const char *client; /* reason the client records, or "pass" */
	const char *server;
	const char *version; /* negotiated, or NULL */
};

static const struct row rows[] = {
	/* both sides pass, TLS 1.3 by default */
	{ "pass",
	  "<peer id='client' role='client' sends='cli int' trusts='root' verify-name='srv.example.com'/>"
	  "<peer id='server' role='server' sends='srv int' trusts='root' verify-name='cli.example.com'/>",
	  "pass", "pass", "TLS1.3" },
	/* TLS 1.2 when both are limited to it */
	{ "pass 1.2",
	  "<peer id='client' role='client' sends='cli int' trusts='root' tls='1.2'/>"
	  "<peer id='server' role='server' sends='srv int' trusts='root' tls='1.2'/>",
	  "pass", "pass", "TLS1.2" },
	/* client rejects the server: the server hears the alert */
	{ "missing intermediate",
	  "<peer id='client' role='client' sends='cli int' trusts='root'/>"
	  "<peer id='server' role='server' sends='srv' trusts='root'/>",
	  "issuer-not-found", "alert:unknown-ca", NULL },
	/* server rejects the client after the client's TLS 1.3 handshake ended */
	{ "server rejects client 1.3",
	  "<peer id='client' role='client' sends='cli-s int' trusts='root'/>"
	  "<peer id='server' role='server' sends='srv int' trusts='root'/>",
	  "alert:unsupported-certificate", "eku-client-auth-missing", NULL },
	{ "server rejects client 1.2",
	  "<peer id='client' role='client' sends='cli-s int' trusts='root' tls='1.2'/>"
	  "<peer id='server' role='server' sends='srv int' trusts='root' tls='1.2'/>",
	  "alert:unsupported-certificate", "eku-client-auth-missing", NULL },
	/* no client certificate */
	{ "no client cert",
	  "<peer id='client' role='client' trusts='root'/>"
	  "<peer id='server' role='server' sends='srv int' trusts='root'/>",
	  "alert:certificate-required", "no-client-cert", NULL },
	/* no common TLS version */
	{ "version",
	  "<peer id='client' role='client' sends='cli int' trusts='root' tls='1.2'/>"
	  "<peer id='server' role='server' sends='srv int' trusts='root' tls='1.3'/>",
	  "alert:protocol-version", "protocol-version", NULL },
};

static struct uctls_keypool *pool;

static void
setup(void)
{
	pool = uctls_keypool_new();
}

static void
teardown(void)
{
	uctls_keypool_free(pool);
	tu_cleanup();
}

static const struct uctls_step *
rec(const struct uctls_log *log, const char *step, const char *side)
{
	size_t i;

	for (i = 0; i < log->nsteps; i++)
		if (strcmp(log->steps[i].step, step) == 0 && strcmp(log->steps[i].side, side) == 0)
			return &log->steps[i];
	return NULL;
}

static void
expect_side(const struct row *r, const struct uctls_log *log, const char *side,
            const char *want)
{
	const struct uctls_step *st = rec(log, "tls-handshake", side);

	if (want == NULL)
		return;
	ck_assert_msg(st != NULL, "%s: no tls-handshake record for %s", r->what, side);
	if (strcmp(want, "pass") == 0) {
		ck_assert_msg(st->status == UCTLS_PASS, "%s: %s failed: %s: %s", r->what, side,
		              st->reason, st->detail);
	} else {
		ck_assert_msg(st->status == UCTLS_FAIL, "%s: %s passed, expected %s", r->what, side,
		              want);
		ck_assert_msg(strcmp(st->reason, want) == 0, "%s: %s recorded %s (%s), expected %s",
		              r->what, side, st->reason, st->detail ? st->detail : "", want);
	}
}

START_TEST(test_engine_row)
{
	const struct row *r = &rows[_i];
	struct uctls_scenario *sc = NULL;
	struct uctls_log *log = NULL;
	struct uctls_run_opts opts = { .timeout_ms = 5000 };
	struct uctls_err err;
	char xml[4096];
	const struct uctls_step *st;

	snprintf(xml, sizeof(xml),
	         "<scenario name='e' family='tls'><clock now='2026-06-01T12:00:00Z'/>" PKI
	         "%s</scenario>",
	         r->peers);
	uctls_err_clear(&err);
	ck_assert_msg(uctls_scenario_load(tu_write("e.xml", xml), &sc, &err) == 0, "%s", err.msg);
	ck_assert_msg(uctls_engine_run(sc, pool, &opts, &log, &err) == 0, "%s", err.msg);
	st = rec(log, "tcp-connect", "client");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st->status, UCTLS_PASS);
	expect_side(r, log, "client", r->client);
	expect_side(r, log, "server", r->server);
	if (r->version != NULL) {
		ck_assert_ptr_nonnull(log->version);
		ck_assert_str_eq(log->version, r->version);
		/* each side received what the other sent */
		ck_assert_uint_eq(log->sides[0].npeer, log->sides[1].nsent);
		ck_assert_str_eq(log->sides[0].peer_fpr[0], log->sides[1].sent_fpr[0]);
	}
	uctls_log_free(log);
	uctls_scenario_free(sc);
}
END_TEST

/* traversal: each row is C's and E's extra attributes and the failure
 * (step/side/reason) or "pass". */
struct trow {
	const char *what;
	const char *c, *e;
	const char *want;
};

static const struct trow trows[] = {
	/* the whole program passes: zone, SIP OPTIONS, SSH tunnel, MRA */
	{ "pass", "trusts='root int'", "trusts='root int' mra-domain='example.com'", "pass" },
	/* root-only trust: the zone comes up, the tunnel does not */
	{ "ssh tunnel", "trusts='root'", "trusts='root int' mra-domain='example.com'", "ssh-tunnel/C/issuer-not-found" },
	/* E refuses the zone at the SIP level */
	{ "sip 403", "trusts='root int'", "trusts='root int' sip-response='403'",
	  "sip-options/C/sip-status:403" },
	/* E says nothing: C gives up after the scenario's timeout */
	{ "sip none", "trusts='root int'", "trusts='root int' sip-response='none'",
	  "sip-options/C/timeout" },
	/* not SIP at all */
	{ "sip garbage", "trusts='root int'", "trusts='root int' sip-response='garbage'",
	  "sip-options/C/sip-malformed" },
	/* the Jabber client looks for example.com or collab-edge.example.com */
	{ "mra domain", "trusts='root int'", "trusts='root int' mra-domain='other.org'",
	  "mra-edge/jabber/name-mismatch" },
	/* no MRA: the scenario ends after sip-options */
	{ "no tunnel", "trusts='root' ssh-tunnel='no'", "trusts='root int'", "pass" },
};

START_TEST(test_traversal_row)
{
	const struct trow *r = &trows[_i];
	struct uctls_scenario *sc = NULL;
	struct uctls_log *log = NULL;
	struct uctls_run_opts opts = { .timeout_ms = 0 };
	struct uctls_err err;
	char xml[4096], got[256];
	const struct uctls_step *f;

	snprintf(xml, sizeof(xml),
	         "<scenario name='t' family='traversal' timeout='300'>"
	         "<clock now='2026-06-01T12:00:00Z'/><pki><ca id='root' subject='CN=T Root'/>"
	         "<ca id='int' issuer='root' subject='CN=T Issuing'/>"
	         "<cert id='e' issuer='int' subject='CN=e.example.com' "
	         "san='DNS:e.example.com,DNS:collab-edge.example.com'/>"
	         "<cert id='c' issuer='int' subject='CN=c.example.com' san='DNS:c.example.com'/></pki>"
	         "<peer id='C' role='client' sends='c int' peer-address='e.example.com' %s/>"
	         "<peer id='E' role='server' sends='e int' tls-verify-name='c.example.com' "
	         "%s/></scenario>",
	         r->c, r->e);
	uctls_err_clear(&err);
	ck_assert_msg(uctls_scenario_load(tu_write("t.xml", xml), &sc, &err) == 0, "%s", err.msg);
	ck_assert_msg(uctls_engine_run(sc, pool, &opts, &log, &err) == 0, "%s", err.msg);
	f = uctls_log_failure(log);
	if (f == NULL)
		snprintf(got, sizeof(got), "pass");
	else
		snprintf(got, sizeof(got), "%s/%s/%s", f->step, f->side, f->reason);
	ck_assert_msg(strcmp(got, r->want) == 0, "%s: got %s (%s), expected %s", r->what, got,
	              f != NULL && f->detail ? f->detail : "", r->want);
	if (strcmp(r->want, "pass") == 0) {
		/* C pinged with CRLFCRLF before OPTIONS and E ponged (RFC 5626) */
		const struct uctls_step *so = rec(log, "sip-options", "C");

		ck_assert_ptr_nonnull(so);
		ck_assert_ptr_nonnull(so->detail);
		ck_assert_msg(strstr(so->detail, "pong") != NULL, "%s: %s", r->what, so->detail);
	}
	uctls_log_free(log);
	uctls_scenario_free(sc);
}
END_TEST

/* A PKI that cannot be built is an input error with file:line, not a log. */
START_TEST(test_engine_input_error)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_log *log = NULL;
	struct uctls_err err;
	const char *f;

	f = tu_write("bad.xml", "<scenario name='b' family='tls'>\n<pki>\n"
	                        "<cert id='x' file='does-not-exist.pem'/>\n</pki>\n"
	                        "<peer id='client' role='client' sends='x'/>\n"
	                        "<peer id='server' role='server'/>\n</scenario>\n");
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_scenario_load(f, &sc, &err), 0);
	ck_assert_int_eq(uctls_engine_run(sc, pool, NULL, &log, &err), -1);
	ck_assert_ptr_null(log);
	ck_assert_msg(strstr(err.msg, "bad.xml:3:") != NULL, "%s", err.msg);
	uctls_scenario_free(sc);
}
END_TEST

Suite *
make_engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("handshakes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_engine_row, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_engine_input_error);
	tcase_add_loop_test(tc, test_traversal_row, 0, (int)(sizeof(trows) / sizeof(trows[0])));
	suite_add_tcase(s, tc);
	return s;
}
