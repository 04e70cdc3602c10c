/* Check tests for store.h: <slot>/<store> in the loader, one row per case.
 * Each row is the B peer of a sip-trunk scenario (CUCM A, IM and Presence
 * B, profile cup: service slot cup, service store cup-trust) and either the
 * loader's error (FILE:LINE and a fragment) or what B's connection then
 * uses. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "scenario.h"
#include "store.h"
#include "testutil.h"

#define HEAD                                                                              \
	"<scenario name=\"s\" family=\"sip-trunk\">\n"                                        \
	"<pki><ca id=\"root\" subject=\"CN=r\" key=\"rsa-2048\"/>\n"                         \
	"<ca id=\"int\" issuer=\"root\" subject=\"CN=i\" key=\"rsa-2048\"/>\n"               \
	"<cert id=\"rsa\" issuer=\"int\" subject=\"CN=b\" key=\"rsa-2048\"/>\n"               \
	"<cert id=\"ec\" issuer=\"int\" subject=\"CN=b\" key=\"ecdsa-p256\"/></pki>\n"       \
	"<peer id=\"A\" role=\"client\" profile=\"cucm\" sends=\"rsa\" trusts=\"root\"/>\n"
/* The B peer's line is 7; its children follow from line 8. */
#define TAIL "</scenario>\n"

static const struct row {
	const char *peer;  /* the <peer id="B"> element and its children */
	const char *error; /* NULL: loads; else a fragment of "FILE:LINE: ..." */
	const char *sends, *sends_ec, *trusts; /* B's, space-joined, when it loads */
} rows[] = {
	/* the short form alone: unchanged */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" sends=\"rsa int\" trusts=\"root\"/>\n",
	  NULL, "rsa int", "", "root" },
	/* the service's slot and store become sends and trusts */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot name=\"cup\" sends=\"rsa int\"/>\n"
	  "<store name=\"cup-trust\" trusts=\"root int\"/>\n</peer>\n",
	  NULL, "rsa int", "", "root int" },
	/* another store does not count: tomcat-trust leaves cup-trust empty */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" sends=\"rsa\">\n"
	  "<store name=\"tomcat-trust\" trusts=\"root\"/>\n</peer>\n",
	  NULL, "rsa", "", "" },
	/* both the RSA slot and its -ECDSA twin: a second credential */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" trusts=\"root\">\n"
	  "<slot name=\"cup\" sends=\"rsa int\"/>\n<slot name=\"cup-ECDSA\" sends=\"ec int\"/>\n"
	  "</peer>\n",
	  NULL, "rsa int", "ec int", "root" },
	/* the -ECDSA slot alone is what it sends */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" trusts=\"root\">\n"
	  "<slot name=\"cup-ECDSA\" sends=\"ec\"/>\n</peer>\n",
	  NULL, "ec", "", "root" },
	/* a slot of another service is allowed and not sent */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" sends=\"rsa\" trusts=\"root\">\n"
	  "<slot name=\"tomcat\" sends=\"rsa int\"/>\n</peer>\n",
	  NULL, "rsa", "", "root" },
	/* errors, each at the child's line */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot name=\"cup-xmpp-s2s-RSA\" "
	  "sends=\"rsa\"/>\n</peer>\n",
	  ":8: unknown certificate slot `cup-xmpp-s2s-RSA' on profile cup; its slots: tomcat,", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<store name=\"xmpp-trust\" "
	  "trusts=\"root\"/>\n</peer>\n",
	  ":8: unknown trust store `xmpp-trust' on profile cup; its trust stores: tomcat-trust, "
	  "cup-trust, cup-xmpp-trust, ipsec-trust", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"generic-sip\">\n<store name=\"cup-trust\" "
	  "trusts=\"root\"/>\n</peer>\n",
	  ":8: <store name=\"cup-trust\">: profile `generic-sip' has no certificate slots", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot name=\"cup\" sends=\"ec\"/>\n"
	  "</peer>\n",
	  ":8: <slot name=\"cup\">: `ec' has an ECDSA key; it belongs in the slot cup-ECDSA", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot name=\"cup-ECDSA\" "
	  "sends=\"rsa\"/>\n</peer>\n",
	  ":8: <slot name=\"cup-ECDSA\">: `rsa' has a rsa-2048 key; an -ECDSA slot holds", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" sends=\"rsa\">\n<slot name=\"cup\" "
	  "sends=\"rsa\"/>\n</peer>\n",
	  ":8: <slot name=\"cup\"> and the peer's sends= both say", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" trusts=\"root\">\n<store name=\"cup-trust\" "
	  "trusts=\"root\"/>\n</peer>\n",
	  ":8: <store name=\"cup-trust\"> and the peer's trusts= both say", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<store name=\"cup-trust\" "
	  "trusts=\"nope\"/>\n</peer>\n",
	  ":8: <store name=\"cup-trust\">: trusts unknown id `nope'", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot name=\"tomcat\" sends=\"rsa\"/>\n"
	  "<slot name=\"tomcat\" sends=\"rsa\"/>\n</peer>\n",
	  ":9: a second <slot name=\"tomcat\"> on peer B; the first is at line 8", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot sends=\"rsa\"/>\n</peer>\n",
	  ":8: <slot> needs name=", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<store name=\"cup-trust\"/>\n</peer>\n",
	  ":8: <store name=\"cup-trust\"> needs trusts=", NULL, NULL, NULL },
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\">\n<slot name=\"cup\" trusts=\"root\"/>\n"
	  "</peer>\n",
	  ":8: unknown attribute `trusts' on <slot>; known: name, sends", NULL, NULL, NULL },
	/* <install slot=>: a slot of the profile */
	{ "<peer id=\"B\" role=\"server\" profile=\"cup\" sends=\"rsa\" trusts=\"root\"/>\n"
	  "<install peer=\"B\" slot=\"callmanager\"/>\n",
	  ":8: <install slot=\"callmanager\">: unknown certificate slot on profile cup", NULL, NULL, NULL },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void
join(char *buf, size_t size, char *const *v, size_t n)
{
	size_t i, l = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		l += (size_t)snprintf(buf + l, size - l, "%s%s", i ? " " : "", v[i]);
}

START_TEST(test_rows)
{
	const struct row *r = &rows[_i];
	const struct uctls_peerdef *b;
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;
	char text[4096], got[256];
	int rv;

	snprintf(text, sizeof(text), "%s%s%s", HEAD, r->peer, TAIL);
	uctls_err_clear(&err);
	rv = uctls_scenario_load(tu_write("store.xml", text), &sc, &err);
	if (r->error != NULL) {
		ck_assert_msg(rv == -1, "row %d: loaded, expected %s", _i, r->error);
		ck_assert_msg(strstr(err.msg, r->error) != NULL, "row %d: got `%s', want `%s'", _i,
		              err.msg, r->error);
		tu_cleanup();
		return;
	}
	ck_assert_msg(rv == 0, "row %d: %s", _i, err.msg);
	b = uctls_scenario_peer(sc, "B");
	join(got, sizeof(got), b->sends, b->nsends);
	ck_assert_str_eq(got, r->sends);
	join(got, sizeof(got), b->sends_ec, b->nsends_ec);
	ck_assert_str_eq(got, r->sends_ec);
	join(got, sizeof(got), b->trusts, b->ntrusts);
	ck_assert_str_eq(got, r->trusts);
	uctls_scenario_free(sc);
	tu_cleanup();
}
END_TEST

/* Which chain a server with both slots presents, and which store an
 * upload to a slot is checked against. */
START_TEST(test_presented_and_store)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;
	struct uctls_peerdef *a;
	const struct uctls_peerdef *b;
	char *const *ids;
	const char *store;
	size_t n;

	uctls_err_clear(&err);
	ck_assert_int_eq(
	        uctls_scenario_load(
	                tu_write("p.xml",
	                         HEAD "<peer id=\"B\" role=\"server\" profile=\"cup\">\n"
	                              "<slot name=\"cup\" sends=\"rsa int\"/>\n"
	                              "<slot name=\"cup-ECDSA\" sends=\"ec int\"/>\n"
	                              "<store name=\"cup-trust\" trusts=\"root int\"/>\n"
	                              "<store name=\"tomcat-trust\" trusts=\"int\"/>\n"
	                              "</peer>\n" TAIL),
	                &sc, &err),
	        0);
	a = (struct uctls_peerdef *)uctls_scenario_peer(sc, "A");
	b = uctls_scenario_peer(sc, "B");
	uctls_store_presented(b, a, &ids, &n); /* a GnuTLS client lists RSA first */
	ck_assert_int_eq((int)n, 2);
	ck_assert_str_eq(ids[0], "rsa");
	a->rsa_only = 2; /* signatures="ecdsa" */
	uctls_store_presented(b, a, &ids, &n);
	ck_assert_str_eq(ids[0], "ec");
	a->rsa_only = 1; /* signatures="rsa" */
	uctls_store_presented(b, a, &ids, &n);
	ck_assert_str_eq(ids[0], "rsa");
	store = uctls_store_for_slot(b, NULL, &ids, &n); /* the service's */
	ck_assert_str_eq(store, "cup-trust");
	ck_assert_int_eq((int)n, 2);
	store = uctls_store_for_slot(b, "tomcat-ECDSA", &ids, &n);
	ck_assert_str_eq(store, "tomcat-trust");
	ck_assert_int_eq((int)n, 1);
	ck_assert_str_eq(ids[0], "int");
	store = uctls_store_for_slot(b, "cup-xmpp-s2s", &ids, &n); /* a store not given */
	ck_assert_str_eq(store, "cup-xmpp-trust");
	ck_assert_int_eq((int)n, 0);
	uctls_store_slot_chain(b, "cup-ECDSA", &ids, &n);
	ck_assert_int_eq((int)n, 2);
	ck_assert_str_eq(ids[0], "ec");
	ck_assert_int_eq(uctls_store_slot_is_ec("cup-xmpp-s2s-ECDSA"), 1);
	ck_assert_int_eq(uctls_store_slot_is_ec("-ECDSA"), 0);
	ck_assert_int_eq(uctls_store_slot_is_ec("tomcat"), 0);
	uctls_scenario_free(sc);
	tu_cleanup();
}
END_TEST

Suite *
make_store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("loader");

	tcase_add_loop_test(tc, test_rows, 0, (int)NROWS);
	tcase_add_test(tc, test_presented_and_store);
	suite_add_tcase(s, tc);
	return s;
}
