/* Check suite of the scenario loader (src/scenario.c, src/xml.c).
 *
 * Tables: the certificates and peers of one scenario that uses every
 * feature of the format, with their resolved values; then documents that
 * must be rejected, each with the line and a part of the message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "family.h"
#include "scenario.h"
#include "testutil.h"

#define NOW ((time_t)1780315200) /* 2026-06-01T12:00:00Z, the <clock> */
#define MIN ((time_t)60)
#define HOUR ((time_t)3600)
#define DAY ((time_t)86400)

/* ------------------------------------------------------------------------
 * A scenario with every feature
 * ------------------------------------------------------------------------ */

static const char all_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                 /* 1 */
	"<!DOCTYPE scenario SYSTEM \"uctls-scenario.dtd\">\n"
	"<scenario name=\"test/all &amp; more\" family=\"tls\">\n"
	"  <summary>\n"
	"    Every   feature\n"                                         /* 5 */
	"    of the &lt;format&gt;.  </summary>\n"
	"  <clock now=\"2026-06-01T12:00:00Z\"/>\n"
	"  <!-- a comment -->\n"
	"  <pki>\n"
	"    <ca id=\"root\" subject=\"CN=Root\" key=\"rsa-2048\"/>\n"     /* 10 */
	"    <ca id=\"int\" issuer=\"root\" subject=\"CN=Int,O=Example\""
	" path-len=\"0\" hash=\"sha384\" not-before=\"-30d\" not-after=\"+10d\"/>\n"
	"    <cert id=\"srv\" issuer=\"int\" subject=\"CN=srv\""
	" san=\"DNS:srv.example.com,IP:127.0.0.1, ip: ::1 ,uri:sip:srv.example.com,"
	"EMAIL:a@example.com,xmpp:example.com\" eku=\"serverAuth\"/>\n"
	"    <cert id=\"rsa\" issuer=\"int\" subject=\"CN=rsa\" key=\"rsa-1024\""
	" hash=\"sha1\" eku=\"clientAuth,codeSigning,emailProtection,"
	"timeStamping,OCSPSigning,anyExtendedKeyUsage,1.3.6.1.4.1.99999.7\""
	" not-before=\"2025-01-01T00:00:00Z\" not-after=\"2025-12-31T23:59:59Z\""
	" serial=\"4096\"/>\n"
	"    <cert id=\"odd\" issuer=\"int\" signed-with=\"root\" subject=\"CN=odd\""
	" key=\"ed25519\" key-usage=\"keyAgreement, decipherOnly\""
	" basic-constraints=\"ca\" path-len=\"3\""
	" critical=\"san,eku,basic-constraints\" san=\"DNS:odd\""
	" eku=\"serverAuth\" not-before=\"+1h\" not-after=\"90m\">\n"
	"      <extension oid=\"1.3.6.1.4.1.99999.1\" critical=\"yes\""  /* 15 */
	" value=\"0500\"/>\n"
	"      <extension oid=\"2.5.29.99\" value=\"30 03:02 01 Ff\"/>\n"
	"      <extension oid=\"1.2.3\" critical=\"no\"/>\n"
	"    </cert>\n"
	"    <cert id=\"bare\" subject=\"\" key=\"ecdsa-p384\" hash=\"sha512\""
	" key-usage=\"none\" eku=\"none\" basic-constraints=\"none\""
	" critical=\"none\" not-before=\"-120s\"/>\n"
	"    <ca id=\"lateissuer\" issuer=\"late\" subject=\"CN=li\"/>\n" /* 20 */
	"    <ca id=\"late\" subject=\"CN=late\" basic-constraints=\"leaf\""
	" key-usage=\"digitalSignature\"/>\n"
	"    <cert id=\"vendor\" file=\"vendor/leaf.pem\" index=\"2\""
	" key-file=\"vendor/leaf.key\"/>\n"
	"    <ca id=\"vroot\" file=\"/abs/root.pem\"/>\n"
	"  </pki>\n"
	"  <peer id=\"C\" role=\"client\" sends=\"srv int  root\"\n"       /* 25 */
	"        trusts=\"root vroot\" verify-name=\"a.example.com, b.example.com\""
	" tls=\"1.3\"/>\n"
	"  <peer id=\"E\" role=\"server\" profile=\"legacy\" sends=\" \""
	" tls=\"1.2,1.3\" max-depth=\"7\"/>\n"
	"  <expect fail-at=\"tls-handshake\" side=\"C\" reason=\"issuer-not-found\""
	" other=\"alert:unknown-ca\"/>\n"
	"</scenario>\n";

static struct uctls_scenario *all_sc;
static char all_path[512];

static void
all_setup(void)
{
	struct uctls_err err;

	uctls_err_clear(&err);
	snprintf(all_path, sizeof(all_path), "%s", tu_write("all.xml", all_xml));
	if (uctls_scenario_load(all_path, &all_sc, &err) < 0)
		ck_abort_msg("all.xml does not load: %s", err.msg);
}

static void
all_teardown(void)
{
	uctls_scenario_free(all_sc);
	all_sc = NULL;
	tu_cleanup();
}

/* Renders the model's lists as strings to compare with a table cell. */
static const char *
join_strv(char *const *v, size_t n, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(buf, " ", size - strlen(buf) - 1);
		strncat(buf, v[i], size - strlen(buf) - 1);
	}
	return buf;
}

static const char *
join_sans(const struct uctls_certdef *cd, char *buf, size_t size)
{
	static const char *const types[] = { "DNS", "IP", "URI", "email",
		                             "XMPP" };
	size_t i, n;

	buf[0] = '\0';
	for (i = 0; i < cd->nsans; i++) {
		n = strlen(buf);
		snprintf(buf + n, size - n, "%s%s:%s", i > 0 ? "," : "",
		         types[cd->sans[i].type], cd->sans[i].value);
	}
	return buf;
}

static const char *
join_exts(const struct uctls_certdef *cd, char *buf, size_t size)
{
	size_t i, k, n;

	buf[0] = '\0';
	for (i = 0; i < cd->nexts; i++) {
		n = strlen(buf);
		snprintf(buf + n, size - n, "%s%s/%d/", i > 0 ? " " : "",
		         cd->exts[i].oid, cd->exts[i].critical);
		for (k = 0; k < cd->exts[i].der_len; k++) {
			n = strlen(buf);
			snprintf(buf + n, size - n, "%02x", cd->exts[i].der[k]);
		}
	}
	return buf;
}

#define KU_CA (UCTLS_KU_KEY_CERT_SIGN | UCTLS_KU_CRL_SIGN)
#define CRIT_DEFAULT (UCTLS_CRIT_BASIC_CONSTRAINTS | UCTLS_CRIT_KEY_USAGE)
#define SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define PEM NULL, NULL, NULL, UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, "", 0, 0, NULL, \
	0, 0, -1, 0, 0, 0

/* One row per <ca>/<cert> of all_xml, in order. */
static const struct cert_row {
	const char *id;
	int line, is_ca;
	const char *file;     /* NULL: generated; "~/x": in the test dir */
	int file_index;
	const char *key_file;
	const char *subject, *issuer, *signed_with;
	enum uctls_key_type key;
	enum uctls_hash hash;
	const char *sans;     /* TYPE:value,... */
	int has_key_usage;
	unsigned key_usage;
	const char *eku;      /* OIDs, space-separated; NULL: no extension */
	int has_bc, bc_ca, path_len;
	unsigned critical;
	time_t not_before, not_after;
	unsigned long serial;
	const char *exts;     /* oid/critical/hex ... */
} cert_rows[] = {
	/* defaults of a <ca>, RSA key */
	{ "root", 10, 1, NULL, 0, NULL, "CN=Root", NULL, NULL,
	  UCTLS_KEY_RSA2048, UCTLS_HASH_SHA256, "", 1, KU_CA, NULL,
	  1, 1, -1, CRIT_DEFAULT, NOW - DAY, NOW + 3650 * DAY, 1, "" },
	/* path-len 0, hash, relative validity against <clock> */
	{ "int", 11, 1, NULL, 0, NULL, "CN=Int,O=Example", "root", NULL,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA384, "", 1, KU_CA, NULL,
	  1, 1, 0, CRIT_DEFAULT, NOW - 30 * DAY, NOW + 10 * DAY, 2, "" },
	/* every SAN type, case-insensitive types, blanks trimmed */
	{ "srv", 12, 0, NULL, 0, NULL, "CN=srv", "int", NULL,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256,
	  "DNS:srv.example.com,IP:127.0.0.1,IP:::1,URI:sip:srv.example.com,"
	  "email:a@example.com,XMPP:example.com",
	  1, UCTLS_KU_DIGITAL_SIGNATURE, SERVER_AUTH,
	  1, 0, -1, CRIT_DEFAULT, NOW - DAY, NOW + 365 * DAY, 3, "" },
	/* RSA leaf: keyEncipherment by default; every EKU name; serial;
	 * absolute dates */
	{ "rsa", 13, 0, NULL, 0, NULL, "CN=rsa", "int", NULL,
	  UCTLS_KEY_RSA1024, UCTLS_HASH_SHA1, "", 1,
	  UCTLS_KU_DIGITAL_SIGNATURE | UCTLS_KU_KEY_ENCIPHERMENT,
	  "1.3.6.1.5.5.7.3.2 1.3.6.1.5.5.7.3.3 1.3.6.1.5.5.7.3.4 "
	  "1.3.6.1.5.5.7.3.8 1.3.6.1.5.5.7.3.9 2.5.29.37.0 1.3.6.1.4.1.99999.7",
	  1, 0, -1, CRIT_DEFAULT, 1735689600, 1767225599, 4096, "" },
	/* a <cert> with cA, signed-with, explicit critical set, extensions
	 * (hex with blanks and colons, default value 05 00) */
	{ "odd", 14, 0, NULL, 0, NULL, "CN=odd", "int", "root",
	  UCTLS_KEY_ED25519, UCTLS_HASH_SHA256, "DNS:odd", 1,
	  UCTLS_KU_KEY_AGREEMENT | UCTLS_KU_DECIPHER_ONLY, SERVER_AUTH,
	  1, 1, 3,
	  UCTLS_CRIT_SAN | UCTLS_CRIT_EKU | UCTLS_CRIT_BASIC_CONSTRAINTS,
	  NOW + HOUR, NOW + 90 * MIN, 5,
	  "1.3.6.1.4.1.99999.1/1/0500 2.5.29.99/0/30030201ff 1.2.3/0/0500" },
	/* every extension absent; empty subject */
	{ "bare", 19, 0, NULL, 0, NULL, "", NULL, NULL,
	  UCTLS_KEY_ECDSA_P384, UCTLS_HASH_SHA512, "", 0, 0, NULL,
	  0, 0, -1, 0, NOW - 120, NOW + 365 * DAY, 6, "" },
	/* issuer declared after its subject */
	{ "lateissuer", 20, 1, NULL, 0, NULL, "CN=li", "late", NULL,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, "", 1, KU_CA, NULL,
	  1, 1, -1, CRIT_DEFAULT, NOW - DAY, NOW + 3650 * DAY, 7, "" },
	/* a <ca> that is not a CA */
	{ "late", 21, 1, NULL, 0, NULL, "CN=late", NULL, NULL,
	  UCTLS_KEY_ECDSA_P256, UCTLS_HASH_SHA256, "", 1,
	  UCTLS_KU_DIGITAL_SIGNATURE, NULL,
	  1, 0, -1, CRIT_DEFAULT, NOW - DAY, NOW + 3650 * DAY, 8, "" },
	/* PEM, paths relative to the scenario's directory */
	{ "vendor", 22, 0, "~/vendor/leaf.pem", 2, "~/vendor/leaf.key", PEM,
	  9, "" },
	/* PEM, absolute path, no key */
	{ "vroot", 23, 1, "/abs/root.pem", 1, NULL, PEM, 10, "" },
};
#define NCERT_ROWS (int)(sizeof(cert_rows) / sizeof(cert_rows[0]))

static void
ck_path(const char *got, const char *want, const char *what)
{
	char buf[600];

	if (want == NULL) {
		ck_assert_msg(got == NULL, "%s: got %s, want none", what, got);
		return;
	}
	if (want[0] == '~')
		snprintf(buf, sizeof(buf), "%s%s", tu_tmpdir(), want + 1);
	else
		snprintf(buf, sizeof(buf), "%s", want);
	ck_assert_msg(got != NULL, "%s: none, want %s", what, buf);
	ck_assert_str_eq(got, buf);
}

static void
ck_opt_str(const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got != NULL ? got : "(null)", want);
}

START_TEST(test_cert_rows)
{
	const struct cert_row *r = &cert_rows[_i];
	const struct uctls_certdef *cd = &all_sc->certs[_i];
	char buf[1024];

	ck_assert_uint_eq(all_sc->ncerts, NCERT_ROWS);
	ck_assert_str_eq(cd->id, r->id);
	ck_assert_ptr_eq(uctls_scenario_cert(all_sc, r->id), cd);
	ck_assert_int_eq(cd->line, r->line);
	ck_assert_int_eq(cd->is_ca, r->is_ca);
	ck_path(cd->file, r->file, "file");
	ck_path(cd->key_file, r->key_file, "key-file");
	ck_assert_uint_eq(cd->serial, r->serial);
	if (r->file != NULL) {
		ck_assert_int_eq(cd->file_index, r->file_index);
		return; /* generation fields are not used */
	}
	ck_assert_str_eq(cd->subject, r->subject);
	ck_opt_str(cd->issuer, r->issuer);
	ck_opt_str(cd->signed_with, r->signed_with);
	ck_assert_int_eq(cd->key, r->key);
	ck_assert_int_eq(cd->hash, r->hash);
	ck_assert_str_eq(join_sans(cd, buf, sizeof(buf)), r->sans);
	ck_assert_int_eq(cd->has_key_usage, r->has_key_usage);
	ck_assert_uint_eq(cd->key_usage, r->key_usage);
	ck_assert_int_eq(cd->has_eku, r->eku != NULL);
	ck_assert_str_eq(join_strv(cd->eku, cd->neku, buf, sizeof(buf)),
	                 r->eku != NULL ? r->eku : "");
	ck_assert_int_eq(cd->has_basic_constraints, r->has_bc);
	ck_assert_int_eq(cd->bc_ca, r->bc_ca);
	ck_assert_int_eq(cd->path_len, r->path_len);
	ck_assert_uint_eq(cd->critical, r->critical);
	ck_assert_int_eq((long long)cd->not_before, (long long)r->not_before);
	ck_assert_int_eq((long long)cd->not_after, (long long)r->not_after);
	ck_assert_str_eq(join_exts(cd, buf, sizeof(buf)), r->exts);
}
END_TEST

/* One row per <peer> of all_xml. */
static const struct peer_row {
	const char *id;
	int line;
	const char *role, *profile, *sends, *trusts, *names, *tls;
	unsigned max_depth;
} peer_rows[] = {
	/* default profile; sends order kept; comma list of names trimmed;
	 * no max-depth: the profile's */
	{ "C", 25, "client", "generic", "srv int root", "root vroot",
	  "a.example.com b.example.com", "1.3", 0 },
	/* blank sends = sends nothing; no trusts, no names */
	{ "E", 27, "server", "legacy", "", "", "", "1.2,1.3", 7 },
};
#define NPEER_ROWS (int)(sizeof(peer_rows) / sizeof(peer_rows[0]))

START_TEST(test_peer_rows)
{
	const struct peer_row *r = &peer_rows[_i];
	const struct uctls_peerdef *pd = &all_sc->peers[_i];
	char buf[512];

	ck_assert_uint_eq(all_sc->npeers, NPEER_ROWS);
	ck_assert_str_eq(pd->id, r->id);
	ck_assert_ptr_eq(uctls_scenario_peer(all_sc, r->id), pd);
	ck_assert_int_eq(pd->line, r->line);
	ck_assert_str_eq(pd->role, r->role);
	ck_assert_str_eq(pd->profile, r->profile);
	ck_assert_str_eq(join_strv(pd->sends, pd->nsends, buf, sizeof(buf)),
	                 r->sends);
	ck_assert_str_eq(join_strv(pd->trusts, pd->ntrusts, buf, sizeof(buf)),
	                 r->trusts);
	ck_assert_str_eq(join_strv(pd->names, pd->nnames, buf, sizeof(buf)),
	                 r->names);
	ck_opt_str(pd->tls, r->tls);
	ck_assert_uint_eq(pd->max_depth, r->max_depth);
}
END_TEST

START_TEST(test_all_scenario)
{
	const struct uctls_expect *ex = &all_sc->expect;

	ck_assert_str_eq(all_sc->file, all_path);
	ck_assert_str_eq(all_sc->dir, tu_tmpdir());
	ck_assert_str_eq(all_sc->name, "test/all & more");
	ck_assert_str_eq(all_sc->family, "tls");
	ck_assert_str_eq(all_sc->summary, "Every feature of the <format>.");
	ck_assert_int_eq(all_sc->has_clock, 1);
	ck_assert_int_eq((long long)all_sc->now, (long long)NOW);
	ck_assert_int_eq(ex->present, 1);
	ck_assert_int_eq(ex->pass, 0);
	ck_assert_str_eq(ex->fail_at, "tls-handshake");
	ck_assert_str_eq(ex->side, "C");
	ck_assert_str_eq(ex->reason, "issuer-not-found");
	ck_assert_str_eq(ex->other, "alert:unknown-ca");
	ck_assert_int_eq(ex->line, 28);
	ck_assert_ptr_null(uctls_scenario_cert(all_sc, "nope"));
	ck_assert_ptr_null(uctls_scenario_peer(all_sc, "nope"));
	ck_assert_ptr_null(uctls_scenario_peer(all_sc, "root"));
}
END_TEST

/* ------------------------------------------------------------------------
 * Other valid documents
 * ------------------------------------------------------------------------ */

#define MINIMAL(expect)                                                  \
	"<scenario name=\"m\" family=\"tls\">\n"                          \
	"<pki><ca id=\"r\" subject=\"CN=r\"/></pki>\n"                    \
	"<peer id=\"c\" role=\"client\"/><peer id=\"s\" role=\"server\"/>\n" \
	expect "</scenario>\n"

/* Without <clock>: now is the time of loading, relative validity too. */
START_TEST(test_no_clock)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;
	time_t before, after;

	uctls_err_clear(&err);
	before = time(NULL);
	ck_assert_int_eq(uctls_scenario_load(tu_write("m.xml",
	                 MINIMAL("<expect result=\"pass\"/>\n")), &sc, &err),
	                 0);
	after = time(NULL);
	ck_assert_int_eq(sc->has_clock, 0);
	ck_assert(sc->now >= before && sc->now <= after);
	ck_assert_int_eq((long long)sc->certs[0].not_before,
	                 (long long)(sc->now - DAY));
	ck_assert_ptr_null(sc->summary);
	ck_assert_int_eq(sc->expect.present, 1);
	ck_assert_int_eq(sc->expect.pass, 1);
	ck_assert_ptr_null(sc->expect.fail_at);
	ck_assert_ptr_null(sc->peers[0].tls);
	uctls_scenario_free(sc);
	tu_cleanup();
}
END_TEST

START_TEST(test_no_expect)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_scenario_load(tu_write("m.xml", MINIMAL("")),
	                                     &sc, &err), 0);
	ck_assert_int_eq(sc->expect.present, 0);
	ck_assert_int_eq(sc->expect.pass, 0);
	uctls_scenario_free(sc);
	tu_cleanup();
}
END_TEST

/* A file named without a directory: dir is "." and PEM paths follow. */
START_TEST(test_relative_file)
{
	static const char xml[] =
		"<scenario name=\"m\" family=\"tls\"><pki>"
		"<ca id=\"r\" file=\"r.pem\"/></pki>"
		"<peer id=\"c\" role=\"client\"/><peer id=\"s\" role=\"server\"/>"
		"</scenario>\n";
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;
	char cwd[1024];
	int rv;

	uctls_err_clear(&err);
	tu_write("rel.xml", xml);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tu_tmpdir()), 0);
	rv = uctls_scenario_load("rel.xml", &sc, &err);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(rv == 0, "%s", err.msg);
	ck_assert_str_eq(sc->dir, ".");
	ck_assert_str_eq(sc->certs[0].file, "./r.pem");
	uctls_scenario_free(sc);
	tu_cleanup();
}
END_TEST

START_TEST(test_free_null)
{
	uctls_scenario_free(NULL);
}
END_TEST

static const struct name_row {
	int value;
	const char *key, *hash;
} name_rows[] = {
	{ UCTLS_KEY_DEFAULT, "ecdsa-p256", "sha256" }, /* the defaults */
	{ UCTLS_KEY_RSA1024, "rsa-1024", "sha1" },
	{ UCTLS_KEY_RSA2048, "rsa-2048", "sha256" },
	{ UCTLS_KEY_RSA3072, "rsa-3072", "sha384" },
	{ UCTLS_KEY_RSA4096, "rsa-4096", "sha512" },
	{ UCTLS_KEY_ECDSA_P256, "ecdsa-p256", "unknown" },
	{ UCTLS_KEY_ECDSA_P384, "ecdsa-p384", "unknown" },
	{ UCTLS_KEY_ED25519, "ed25519", "unknown" },
	{ UCTLS_KEY__COUNT, "unknown", "unknown" },
};

START_TEST(test_names)
{
	const struct name_row *r = &name_rows[_i];

	ck_assert_str_eq(uctls_key_type_name((enum uctls_key_type)r->value),
	                 r->key);
	ck_assert_str_eq(uctls_hash_name((enum uctls_hash)r->value), r->hash);
}
END_TEST

/* ------------------------------------------------------------------------
 * Documents that must be rejected
 * ------------------------------------------------------------------------ */

#define H "<scenario name=\"t\" family=\"tls\">\n" /* line 1 */
#define PKI "<pki><ca id=\"root\" subject=\"CN=r\"/>" \
	"<cert id=\"leaf\" issuer=\"root\" subject=\"CN=l\"/></pki>\n"
#define PEERS "<peer id=\"c\" role=\"client\" sends=\"leaf\" trusts=\"root\"/>\n" \
	"<peer id=\"s\" role=\"server\" sends=\"leaf\" trusts=\"root\"/>\n"
#define END "</scenario>\n"
/* A document whose line 2 is <pki>X</pki>. */
#define CERT(x) H "<pki>" x "</pki>\n" PEERS END
/* A document whose line 4 is the peer X (lines 2-3: <pki>, a server). */
#define PEER(x) H PKI "<peer id=\"s\" role=\"server\"/>\n" x "\n" END
/* A document whose line 5 is <expect X/>. */
#define EXPECT(x) H PKI PEERS "<expect " x "/>\n" END
/* Family FAM with the client peer CID (line 3) and the server peer SID
 * (line 4), their family attributes CA and SA. */
#define FAM(fam, cid, ca, sid, sa) "<scenario name=\"t\" family=\"" fam "\">\n" PKI \
	"<peer id=\"" cid "\" role=\"client\" " ca "/>\n" \
	"<peer id=\"" sid "\" role=\"server\" " sa "/>\n" END
#define TRAV(c, e) FAM("traversal", "C", c, "E", e)
#define TRUNK(a, b) FAM("sip-trunk", "A", a, "B", b)
#define XMPP(i, r) FAM("xmpp-s2s", "I", i, "R", r)
#define PA "peer-address=\"e.example.com\" "
#define TVN "tls-verify-name=\"c.example.com\" "

static const struct bad_row {
	const char *xml;
	int line;
	const char *msg;
} bad_rows[] = {
	/* XML level */
	{ "hello\n", 1, "not well-formed XML: syntax error" },
	{ "", 1, "not well-formed XML: no element found" },
	{ H "<pki>\n<ca id=\"a\" sub", 3, "not well-formed XML: unclosed token" },
	{ H "<pki></scenario>\n", 2, "not well-formed XML: mismatched tag" },
	{ "<a/><b/>\n", 1, "not well-formed XML: junk after document element" },
	{ "<scenario name=\"&x;\" family=\"tls\"/>\n", 1,
	  "not well-formed XML: undefined entity" },
	{ "<!DOCTYPE scenario [\n<!ENTITY a \"aaaa\">\n]>\n"
	  "<scenario name=\"&a;\" family=\"tls\"/>\n", 1,
	  "DOCTYPE with an internal subset ([...]) is not allowed" },
	{ "<!DOCTYPE scenario SYSTEM \"uctls-scenario.dtd\">\n"
	  "<scenario name=\"a&x;\" family=\"tls\"/>\n", 2,
	  "undefined entity `&x;' in an attribute" },
	{ "<!DOCTYPE scenario SYSTEM \"uctls-scenario.dtd\">\n"
	  "<scenario name=\"a\" family=\"tls\"><summary>\n&x;</summary>"
	  "</scenario>\n", 3, "undefined entity `&x;'; only the XML" },
	{ "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
	  "<a><a><a><a><a><a><a><a><a><a><a><a>\n<a/>", 2,
	  "elements nested deeper than 32 levels" },
	/* structure */
	{ "<scenarios/>\n", 1, "root element is <scenarios>; expected <scenario>" },
	{ H PKI "<peers/>\n" END, 3, "unknown element <peers> in <scenario>; "
	  "expected one of: summary, clock, profile, pki, peer, install, expect" },
	{ CERT("<key id=\"a\"/>"), 2, "unknown element <key> in <pki>; "
	  "expected <ca> or <cert>" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><ext/></ca>"), 2,
	  "unknown element <ext> in <ca>; expected <extension>" },
	{ PEER("<peer id=\"c\" role=\"client\"><x/></peer>"), 4,
	  "unknown element <x> in <peer>; <peer> holds <slot>, <store> and one <misbehave>" },
	{ H PKI "text\n" PEERS END, 3, "unexpected text in <scenario>" },
	{ H "<pki>x<ca id=\"a\" subject=\"CN=a\"/></pki>\n" PEERS END, 2,
	  "unexpected text in <pki>" },
	{ H PKI "<clock now=\"2026-06-01T12:00:00Z\"/>\n" PEERS END, 3,
	  "<clock> after <pki>; the children of <scenario> go in this order: "
	  "summary?, clock?, profile*, pki, peer+, install*, expect?" },
	{ H PKI PKI PEERS END, 3, "a second <pki> in <scenario>" },
	{ H "<summary/>\n<summary/>\n" PKI PEERS END, 3,
	  "a second <summary> in <scenario>" },
	{ H PEERS PKI END, 2, "<peer> before any <pki>" },
	{ H PKI "<expect result=\"pass\"/>\n" PEERS END, 3,
	  "<expect> before any <peer>" },
	{ H PKI "<peer id=\"c\" role=\"client\"/>\n<expect result=\"pass\"/>\n"
	  "<peer id=\"s\" role=\"server\"/>\n" END, 5,
	  "<peer> after <expect>" },
	{ H PKI PEERS "<expect result=\"pass\"/>\n<expect result=\"pass\"/>\n"
	  END, 6, "a second <expect> in <scenario>" },
	{ H END, 1, "<scenario>: missing <pki>" },
	{ H PKI END, 1, "<scenario>: missing <peer>" },
	/* attributes */
	{ "<scenario name=\"t\" family=\"tls\" version=\"1\"/>\n", 1,
	  "unknown attribute `version' on <scenario>; expected one of: name, "
	  "family" },
	{ H "<summary lang=\"en\"/>\n" PKI PEERS END, 2,
	  "unknown attribute `lang' on <summary>; <summary> takes no attributes" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" colour=\"red\"/>"), 2,
	  "unknown attribute `colour' on <ca>; expected one of: id, file, index, "
	  "key-file, subject, issuer" },
	{ PEER("<peer id=\"c\" role=\"client\" colour=\"red\"/>"), 4,
	  "unknown attribute `colour' on <peer>; expected one of: id, role, "
	  "profile, sends, trusts, verify-name, tls" },
	{ "<scenario family=\"tls\"/>\n", 1,
	  "<scenario>: missing required attribute `name'" },
	{ "<scenario name=\"t\"/>\n", 1,
	  "<scenario>: missing required attribute `family'" },
	{ "<scenario name=\"\" family=\"tls\"/>\n", 1, "<scenario>: empty name" },
	{ "<scenario name=\"t\" family=\"sip\"/>\n", 1,
	  "<scenario>: unknown family `sip'; known: tls" },
	/* <clock> */
	{ H "<clock/>\n" PKI PEERS END, 2,
	  "<clock>: missing required attribute `now'" },
	{ H "<clock now=\"2026-06-01 12:00:00Z\"/>\n" PKI PEERS END, 2,
	  "<clock>: now `2026-06-01 12:00:00Z' is not a date" },
	{ H "<clock now=\"2027-02-29T12:00:00Z\"/>\n" PKI PEERS END, 2,
	  "now `2027-02-29T12:00:00Z' is not a date" },
	{ H "<clock now=\"2026-06-01T24:00:00Z\"/>\n" PKI PEERS END, 2,
	  "is not a date" },
	{ H "<clock now=\"1949-12-31T23:59:59Z\"/>\n" PKI PEERS END, 2,
	  "is not a date from 1950 on" },
	/* <ca>/<cert> */
	{ CERT("<ca subject=\"CN=a\"/>"), 2,
	  "<ca>: missing required attribute `id'" },
	{ CERT("<ca id=\"a\"/>"), 2,
	  "<ca id=\"a\">: missing required attribute `subject'" },
	{ CERT("<ca id=\"a b\" subject=\"CN=a\"/>"), 2,
	  "<ca id=\"a b\">: invalid character ` ' in id" },
	{ CERT("<ca id=\"\" subject=\"CN=a\"/>"), 2, "<ca id=\"\">: empty id" },
	{ H "<pki><ca id=\"a\" subject=\"CN=a\"/>\n<cert id=\"a\" subject=\"CN=b\"/>"
	  "</pki>\n" PEERS END, 3,
	  "<cert id=\"a\">: duplicate id `a'; already declared at line 2" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" key=\"rsa-512\"/>"), 2,
	  "unknown key type `rsa-512'; expected one of: rsa-1024, rsa-2048, "
	  "rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" hash=\"md5\"/>"), 2,
	  "unknown hash `md5'; expected one of: sha1, sha256, sha384, sha512" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"a.example.com\"/>"), 2,
	  "san item `a.example.com' has no type" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"PTR:_x.a\"/>"), 2,
	  "unknown san type `PTR' in `PTR:_x.a'; expected one of DNS, IP, URI, "
	  "email, XMPP, SRV" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"IP:10.0.0.256\"/>"), 2,
	  "san item `IP:10.0.0.256': `10.0.0.256' is not an IPv4 or IPv6 address" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"IP:fe80::1::2\"/>"), 2,
	  "is not an IPv4 or IPv6 address" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"DNS:\"/>"), 2,
	  "san item `DNS:' has an empty value" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"DNS:a,,DNS:b\"/>"), 2,
	  "san=\"DNS:a,,DNS:b\": empty item" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"DNS:a,\"/>"), 2,
	  "san=\"DNS:a,\": empty item" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" san=\"\"/>"), 2,
	  "san=\"\": empty item" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" key-usage=\"digitalsignature\"/>"),
	  2, "unknown key-usage `digitalsignature'; expected a list of "
	  "digitalSignature, nonRepudiation" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" key-usage=\"none,cRLSign\"/>"), 2,
	  "unknown key-usage `none'" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" eku=\"webServer\"/>"), 2,
	  "unknown eku `webServer'; expected a list of serverAuth, clientAuth" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" eku=\"1.50.3\"/>"), 2,
	  "eku `1.50.3' is not a valid dotted OID" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" eku=\"1.3.06\"/>"), 2,
	  "eku `1.3.06' is not a valid dotted OID" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" eku=\"1\"/>"), 2,
	  "eku `1' is not a valid dotted OID" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" basic-constraints=\"yes\"/>"), 2,
	  "unknown basic-constraints `yes'; expected ca, leaf or none" },
	{ CERT("<cert id=\"a\" subject=\"CN=a\" path-len=\"1\"/>"), 2,
	  "path-len needs basic-constraints=\"ca\"" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" basic-constraints=\"none\""
	       " path-len=\"1\"/>"), 2, "path-len needs basic-constraints=\"ca\"" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" path-len=\"-1\"/>"), 2,
	  "path-len `-1' is not an integer >= 0" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" critical=\"keyUsage\"/>"), 2,
	  "unknown critical `keyUsage'; expected a list of basic-constraints, "
	  "key-usage, eku, san; or none" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" critical=\"san\"/>"), 2,
	  "critical lists `san' but the certificate has no such extension" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" critical=\"eku\"/>"), 2,
	  "critical lists `eku' but the certificate has no such extension" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" not-before=\"yesterday\"/>"), 2,
	  "not-before `yesterday' is not a date; expected YYYY-MM-DDTHH:MM:SSZ "
	  "or [+|-]N followed by s, m, h or d" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" not-after=\"+5y\"/>"), 2,
	  "not-after `+5y' is not a date" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" not-after=\"30\"/>"), 2,
	  "not-after `30' is not a date" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" not-after=\"+1d \"/>"), 2,
	  "not-after `+1d ' is not a date" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" not-after=\"+3000000d\"/>"), 2,
	  "not-after `+3000000d' is outside the years 1950 to 9999" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" not-before=\"1900-01-01T00:00:00Z\"/>"),
	  2, "not-before `1900-01-01T00:00:00Z' is outside the years" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" serial=\"0\"/>"), 2,
	  "serial `0' is not a positive integer" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" serial=\"0x10\"/>"), 2,
	  "serial `0x10' is not a positive integer" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" serial=\"99999999999999999999999\"/>"),
	  2, "is not a positive integer" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" index=\"1\"/>"), 2,
	  "<ca id=\"a\">: index needs file=" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\" key-file=\"a.key\"/>"), 2,
	  "<ca id=\"a\">: key-file needs file=" },
	/* <ca>/<cert> loaded from PEM */
	{ CERT("<ca id=\"a\" file=\"a.pem\" subject=\"CN=a\"/>"), 2,
	  "<ca id=\"a\">: `subject' cannot be used with file=; a certificate "
	  "loaded from PEM takes only id, file, index and key-file" },
	{ CERT("<cert id=\"a\" key=\"rsa-2048\" file=\"a.pem\"/>"), 2,
	  "`key' cannot be used with file=" },
	{ H "<pki><ca id=\"a\" file=\"a.pem\">\n<extension oid=\"1.2.3\"/>"
	  "</ca></pki>\n" PEERS END, 3,
	  "<extension> in <ca file=...>: a certificate loaded from PEM cannot "
	  "have generated extensions" },
	{ CERT("<ca id=\"a\" file=\"\"/>"), 2, "<ca id=\"a\">: empty file attribute" },
	{ CERT("<ca id=\"a\" file=\"a.pem\" key-file=\"\"/>"), 2,
	  "empty key-file attribute" },
	{ CERT("<ca id=\"a\" file=\"a.pem\" index=\"0\"/>"), 2,
	  "index `0' is not an integer >= 1" },
	{ CERT("<ca id=\"a\" file=\"a.pem\" index=\"first\"/>"), 2,
	  "index `first' is not an integer >= 1" },
	/* <extension> */
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension/></ca>"), 2,
	  "<extension>: missing required attribute `oid'" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"x\"/></ca>"), 2,
	  "<extension>: oid `x' is not a valid dotted OID" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"3.1\"/></ca>"), 2,
	  "oid `3.1' is not a valid dotted OID" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"1.2.\"/></ca>"), 2,
	  "oid `1.2.' is not a valid dotted OID" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"1.2\""
	       " critical=\"true\"/></ca>"), 2,
	  "<extension>: critical `true'; expected yes or no" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"1.2\""
	       " value=\"050\"/></ca>"), 2,
	  "<extension>: value `050' is not hex bytes" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"1.2\""
	       " value=\"0g\"/></ca>"), 2, "value `0g' is not hex bytes" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"1.2\""
	       " value=\"\"/></ca>"), 2, "value `' is not hex bytes" },
	{ CERT("<ca id=\"a\" subject=\"CN=a\"><extension oid=\"1.2\" der=\"05\"/>"
	       "</ca>"), 2,
	  "unknown attribute `der' on <extension>; expected one of: oid, "
	  "critical, value" },
	/* references between certificates */
	{ H "<pki><ca id=\"root\" subject=\"CN=r\"/>\n<ca id=\"int\" "
	  "subject=\"CN=i\"/>\n<cert id=\"srv\" issuer=\"int2\" subject=\"CN=s\"/>"
	  "</pki>\n" PEERS END, 4,
	  "<cert id=\"srv\">: unknown issuer `int2'; declared ids: root, int" },
	{ CERT("<ca id=\"a\" issuer=\"a\" subject=\"CN=a\"/>"), 2,
	  "<ca id=\"a\">: issuer is its own id; omit issuer" },
	{ CERT("<ca id=\"a\" signed-with=\"b\" subject=\"CN=a\"/>"), 2,
	  "<ca id=\"a\">: unknown signed-with `b'; declared ids: a" },
	{ H "<pki>\n<ca id=\"r\" subject=\"CN=r\"/><ca id=\"a\" issuer=\"b\" "
	  "subject=\"CN=a\"/><ca id=\"b\" issuer=\"a\" subject=\"CN=b\"/></pki>\n"
	  PEERS END, 2, "<pki>: issuer cycle: a -> b -> a" },
	{ H "<pki>\n<ca id=\"x\" issuer=\"c\" subject=\"CN=r\"/>"
	  "<ca id=\"c\" issuer=\"d\" subject=\"CN=r\"/>"
	  "<ca id=\"d\" issuer=\"e\" subject=\"CN=r\"/>"
	  "<ca id=\"e\" issuer=\"c\" subject=\"CN=r\"/></pki>\n" PEERS END, 2,
	  "<pki>: issuer cycle: c -> d -> e -> c" },
	{ H "<pki/>\n" PEERS END, 2, "<pki>: no <ca> or <cert>" },
	/* <peer> */
	{ PEER("<peer role=\"client\"/>"), 4,
	  "<peer>: missing required attribute `id'" },
	{ PEER("<peer id=\"c\"/>"), 4,
	  "<peer id=\"c\">: missing required attribute `role'" },
	{ PEER("<peer id=\"c=1\" role=\"client\"/>"), 4,
	  "<peer id=\"c=1\">: invalid character `=' in id" },
	{ PEER("<peer id=\"s\" role=\"client\"/>"), 4,
	  "<peer id=\"s\">: duplicate peer id `s'; already declared at line 3" },
	{ PEER("<peer id=\"c\" role=\"proxy\"/>"), 4,
	  "<peer id=\"c\">: unknown role `proxy'; expected client or server" },
	{ PEER("<peer id=\"c\" role=\"server\"/>"), 4,
	  "<peer id=\"c\">: a second peer with role `server'; family `tls' has "
	  "one client and one server" },
	{ H PKI PEERS "<peer id=\"x\" role=\"client\"/>\n" END, 5,
	  "<peer id=\"x\">: a third <peer>; family `tls' has exactly two peers" },
	{ H PKI "<peer id=\"s\" role=\"server\"/>\n" END, 1,
	  "<scenario>: no peer with role `client'" },
	{ PEER("<peer id=\"c\" role=\"client\" profile=\"expressway\"/>"), 4,
	  "<peer id=\"c\">: unknown profile `expressway'; known: generic" },
	{ PEER("<peer id=\"c\" role=\"client\" sends=\"leaf int\"/>"), 4,
	  "<peer id=\"c\">: sends unknown id `int'; declared ids: root, leaf" },
	{ PEER("<peer id=\"c\" role=\"client\" trusts=\"root,leaf\"/>"), 4,
	  "<peer id=\"c\">: trusts unknown id `root,leaf'" },
	{ PEER("<peer id=\"c\" role=\"client\" verify-name=\"a,,b\"/>"), 4,
	  "<peer id=\"c\">: verify-name=\"a,,b\": empty item" },
	{ PEER("<peer id=\"c\" role=\"client\" tls=\"1.3,1.2\"/>"), 4,
	  "<peer id=\"c\">: tls `1.3,1.2'; expected 1.2, 1.3 or 1.2,1.3" },
	/* <expect> */
	{ EXPECT(""), 5, "<expect>: empty; expected result=\"pass\" or fail-at, "
	  "side and reason" },
	{ EXPECT("result=\"pass\" reason=\"expired\""), 5,
	  "<expect>: result= cannot be combined with fail-at, side, reason or "
	  "other" },
	{ EXPECT("result=\"fail\""), 5, "<expect>: result `fail'; expected pass" },
	{ EXPECT("fail-at=\"tls-handshake\" reason=\"expired\""), 5,
	  "<expect>: missing required attribute `side'" },
	{ EXPECT("side=\"c\" reason=\"expired\""), 5,
	  "<expect>: missing required attribute `fail-at'" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\""), 5,
	  "<expect>: missing required attribute `reason'" },
	{ EXPECT("fail-at=\"sip-options\" side=\"c\" reason=\"expired\""), 5,
	  "<expect>: unknown step `sip-options' for family `tls'; steps: "
	  "tcp-connect, tls-handshake" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"root\" reason=\"expired\""), 5,
	  "<expect>: side `root' is not a peer id; peers: c, s" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\" reason=\"expird\""), 5,
	  "<expect>: unknown reason `expird'; did you mean `expired'?" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\" reason=\"unknown-issuer\""), 5,
	  "<expect>: unknown reason `unknown-issuer'; did you mean `issuer-not-found'?" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\" reason=\"quux\""), 5,
	  "<expect>: unknown reason `quux'; expected one of issuer-not-found" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\" reason=\"expired\" "
	         "other=\"unknown_ca\""), 5,
	  "<expect>: unknown reason `unknown_ca' in other=; did you mean "
	  "`alert:unknown-ca'?" },
	/* family attributes: on the peer they belong on, with their values */
	{ TRAV(PA, TVN "peer-address=\"c.example.com\""), 4,
	  "<peer id=\"E\">: peer-address belongs on peer C (the traversal client, "
	  "Expressway-C), not on E; for the name E expects in C's certificate, use "
	  "tls-verify-name=" },
	{ TRAV(PA "tls-verify-name=\"e.example.com\"", TVN), 3,
	  "<peer id=\"C\">: tls-verify-name belongs on peer E (the traversal server, "
	  "Expressway-E), not on C; for the name C expects in E's certificate, use "
	  "peer-address=" },
	{ TRAV(PA, TVN "ssh-tunnel=\"no\""), 4,
	  "<peer id=\"E\">: ssh-tunnel belongs on peer C" },
	{ TRAV(PA "mra-domain=\"example.com\"", TVN), 3,
	  "<peer id=\"C\">: mra-domain belongs on peer E" },
	{ TRAV(PA "sip-response=\"503\"", TVN), 3,
	  "<peer id=\"C\">: sip-response belongs on peer E" },
	{ TRAV(PA, TVN "sip-response=\"200 OK\""), 4,
	  "<peer id=\"E\">: sip-response `200 OK'; expected a final status code "
	  "200-699 (digits only, e.g. 503), none, or garbage" },
	{ TRAV(PA, TVN "sip-response=\"700\""), 4, "sip-response `700'; expected" },
	{ TRAV(PA "ssh-tunnel=\"false\"", TVN), 3,
	  "<peer id=\"C\">: ssh-tunnel `false'; expected yes or no" },
	{ TRAV(PA "tls-verify=\"no\"", TVN), 3,
	  "<peer id=\"C\">: tls-verify `no'; expected on or off" },
	{ TRAV("", TVN), 3,
	  "<peer id=\"C\">: no peer-address: C (the traversal client, Expressway-C) "
	  "must say which name it expects in E's certificate "
	  "(peer-address=\"NAME\"), or tls-verify=\"off\"" },
	{ TRAV(PA, ""), 4,
	  "<peer id=\"E\">: no tls-verify-name: E (the traversal server, "
	  "Expressway-E) must say which name it expects in C's certificate" },
	{ TRAV(PA, TVN "tls-verify=\"off\""), 4,
	  "<peer id=\"E\">: tls-verify=\"off\" with tls-verify-name" },
	{ TRAV(PA, TVN "mra-trusts=\"root\""), 4,
	  "<peer id=\"E\">: mra-trusts without mra-domain" },
	{ TRAV(PA, TVN "mra-domain=\"example.com\" mra-trusts=\"nope\""), 4,
	  "<peer id=\"E\">: mra-trusts unknown id `nope'" },
	{ TRUNK("", "request=\"INVITE\""), 4,
	  "<peer id=\"B\">: request belongs on peer A (the UAC, the TLS client)" },
	{ TRUNK("request=\"BYE\"", ""), 3,
	  "<peer id=\"A\">: request `BYE'; expected OPTIONS, REGISTER or INVITE" },
	{ TRUNK("sip-response=\"none\"", ""), 3,
	  "<peer id=\"A\">: sip-response belongs on peer B (the UAS, the TLS server)" },
	{ TRUNK("", "sip-response=\"2OO\""), 4, "<peer id=\"B\">: sip-response `2OO'" },
	{ TRUNK("client-cert=\"none\"", ""), 3,
	  "<peer id=\"A\">: client-cert belongs on peer B" },
	{ TRUNK("", "client-cert=\"maybe\""), 4,
	  "<peer id=\"B\">: client-cert `maybe'; expected required, optional or none" },
	{ TRUNK("signatures=\"dsa\"", ""), 3,
	  "<peer id=\"A\">: signatures `dsa'; expected any, rsa or ecdsa" },
	{ XMPP("", "starttls=\"bogus\""), 4,
	  "<peer id=\"R\">: starttls `bogus'; expected required, offered or none" },
	{ XMPP("starttls=\"none\"", ""), 3,
	  "<peer id=\"I\">: starttls belongs on peer R (the receiving server)" },
	{ XMPP("dialback=\"2026-01-01\"", ""), 3,
	  "<peer id=\"I\">: dialback `2026-01-01'; expected yes or no" },
	{ XMPP("subdomains=\"conference.example.com\"", ""), 3,
	  "<peer id=\"I\">: subdomains belongs on peer R (the receiving server)" },
	{ XMPP("", "subdomains=\" , \""), 4, "<peer id=\"R\">: subdomains=\" , \": no name" },
	{ XMPP("", "to=\"example.com\""), 4,
	  "<peer id=\"R\">: to belongs on peer I (the initiating server)" },
	{ XMPP("domain=\"a b\"", ""), 3, "<peer id=\"I\">: domain=\"a b\": expected one" },
	{ XMPP("to=\"\"", ""), 3, "<peer id=\"I\">: to=\"\": expected one" },
	/* another family's attribute */
	{ FAM("sip-trunk", "A", "peer-address=\"x\"", "B", ""), 3,
	  "unknown attribute `peer-address' on <peer>" },
	{ FAM("tls", "c", "dialback=\"no\"", "s", ""), 3,
	  "unknown attribute `dialback' on <peer>" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\" reason=\"alert:\""), 5,
	  "<expect>: unknown reason `alert:'" },
	{ EXPECT("fail-at=\"tls-handshake\" side=\"c\" reason=\"expired\" "
	         "other=\"unknown-ca\""), 5,
	  "<expect>: unknown reason `unknown-ca' in other=" },
	{ EXPECT("result=\"pass\" when=\"now\""), 5,
	  "unknown attribute `when' on <expect>; expected one of: result, "
	  "fail-at, side, reason, other" },
};
#define NBAD_ROWS (int)(sizeof(bad_rows) / sizeof(bad_rows[0]))

START_TEST(test_bad_rows)
{
	const struct bad_row *r = &bad_rows[_i];
	struct uctls_scenario *sc = (struct uctls_scenario *)1;
	struct uctls_err err;
	char prefix[600];
	const char *path;

	uctls_err_clear(&err);
	path = tu_write("bad.xml", r->xml);
	ck_assert_int_eq(uctls_scenario_load(path, &sc, &err), -1);
	ck_assert_ptr_null(sc);
	ck_assert_int_eq(err.set, 1);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, r->line);
	ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0,
	              "row %d: message `%s' does not start with `%s'", _i,
	              err.msg, prefix);
	ck_assert_msg(strstr(err.msg, r->msg) != NULL,
	              "row %d: message `%s' lacks `%s'", _i, err.msg, r->msg);
	tu_cleanup();
}
END_TEST

/* The size limit names the line where it was crossed. */
START_TEST(test_too_large)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;
	const char *path, *colon;
	char *xml, *p;
	size_t i, n = 5u << 20;
	int line;

	uctls_err_clear(&err);
	xml = malloc(n + 64);
	ck_assert_ptr_nonnull(xml);
	p = xml + sprintf(xml, "<scenario name=\"t\" family=\"tls\"><summary>\n");
	for (i = 0; i < n / 100; i++, p += 100) {
		memset(p, 'x', 99);
		p[99] = '\n';
	}
	strcpy(p, "</summary></scenario>\n");
	path = tu_write("big.xml", xml);
	free(xml);
	ck_assert_int_eq(uctls_scenario_load(path, &sc, &err), -1);
	ck_assert_ptr_null(sc);
	/* 4 MiB is line 41944 (100-byte lines after a 43-byte one); expat
	 * stops at an event boundary a little before. */
	ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
	colon = err.msg + strlen(path);
	ck_assert_int_eq(sscanf(colon, ":%d:", &line), 1);
	ck_assert_msg(line > 41000 && line <= 41944, "line %d", line);
	ck_assert_ptr_nonnull(strstr(colon, ": file is larger than the 4 MiB "
	                                    "limit"));
	tu_cleanup();
}
END_TEST

START_TEST(test_missing_file)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;

	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_scenario_load("/nonexistent/a.xml", &sc, &err),
	                 -1);
	ck_assert_ptr_null(sc);
	ck_assert_str_eq(err.msg, "/nonexistent/a.xml: cannot open: "
	                          "No such file or directory");
}
END_TEST

/* Family attributes load into typed fields (the engine reads only these). */
static struct uctls_scenario *
load_doc(const char *xml)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;

	uctls_err_clear(&err);
	if (uctls_scenario_load(tu_write("fam.xml", xml), &sc, &err) < 0)
		ck_abort_msg("does not load: %s", err.msg);
	return sc;
}

START_TEST(test_family_fields)
{
	struct uctls_scenario *sc;
	const struct uctls_peerdef *c, *e;

	sc = load_doc(TRAV(PA "ssh-tunnel=\"no\"", TVN "mra-domain=\"example.com\" "
	                   "mra-trusts=\"\" sip-response=\"503\""));
	c = &sc->peers[0];
	e = &sc->peers[1];
	ck_assert_int_eq(c->ssh_tunnel, UCTLS_OFF);
	ck_assert_int_eq((int)c->nnames, 1);
	ck_assert_str_eq(c->names[0], "e.example.com");
	ck_assert_str_eq(e->names[0], "c.example.com");
	ck_assert_str_eq(e->mra_domain, "example.com");
	ck_assert_int_eq(e->has_mra_trusts, 1);
	ck_assert_int_eq((int)e->nmra_trusts, 0);
	ck_assert_int_eq(e->sip_answer, UCTLS_SIP_ANSWER_STATUS);
	ck_assert_int_eq(e->sip_status, 503);
	uctls_scenario_free(sc);

	sc = load_doc(TRAV("tls-verify=\"off\"", "tls-verify=\"off\" sip-response=\"garbage\""));
	ck_assert_int_eq(sc->peers[0].tls_verify, UCTLS_OFF);
	ck_assert_int_eq((int)sc->peers[0].nnames, 0);
	ck_assert_int_eq(sc->peers[0].ssh_tunnel, UCTLS_DEFAULT);
	ck_assert_int_eq(sc->peers[1].sip_answer, UCTLS_SIP_ANSWER_GARBAGE);
	ck_assert_ptr_null(sc->peers[1].mra_domain);
	uctls_scenario_free(sc);

	sc = load_doc(TRUNK("request=\"REGISTER\" signatures=\"rsa\" x509-subject-name=\"b\"",
	                    "client-cert=\"optional\" sip-response=\"none\""));
	ck_assert_int_eq(sc->peers[0].request, UCTLS_SIP_REGISTER);
	ck_assert_str_eq(uctls_sip_method_name(sc->peers[0].request), "REGISTER");
	ck_assert_int_eq(sc->peers[0].rsa_only, 1);
	ck_assert_str_eq(sc->peers[0].names[0], "b");
	ck_assert_int_eq(sc->peers[1].client_cert, UCTLS_CLIENT_CERT_OPTIONAL);
	ck_assert_int_eq(sc->peers[1].sip_answer, UCTLS_SIP_ANSWER_NONE);
	ck_assert_int_eq(sc->peers[1].request, UCTLS_SIP_OPTIONS);
	uctls_scenario_free(sc);

	sc = load_doc(XMPP("domain=\"a.example\" to=\"b.example\" dialback=\"no\"",
	                   "subdomains=\"muc.b.example, pub.b.example x.b.example\" "
	                   "starttls=\"offered\""));
	ck_assert_str_eq(uctls_peer_domain(&sc->peers[0]), "a.example");
	ck_assert_str_eq(uctls_peer_domain(&sc->peers[1]), "R");
	ck_assert_str_eq(sc->peers[0].to, "b.example");
	ck_assert_int_eq(sc->peers[0].dialback, UCTLS_OFF);
	ck_assert_int_eq(sc->peers[1].dialback, UCTLS_DEFAULT);
	ck_assert_int_eq((int)sc->peers[1].nsubdomains, 3);
	ck_assert_str_eq(sc->peers[1].subdomains[2], "x.b.example");
	ck_assert_int_eq(sc->peers[1].starttls, UCTLS_STARTTLS_OFFERED);
	uctls_scenario_free(sc);
	tu_cleanup();
}
END_TEST

/* The nearest known reason to an unknown one. */
static const struct suggest_row {
	const char *in, *out;
} suggest_rows[] = {
	{ "unknown-issuer", "issuer-not-found" },
	{ "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "issuer-not-found" },
	{ "unable to get local issuer certificate", "issuer-not-found" },
	{ "GNUTLS_CERT_SIGNER_NOT_FOUND", "issuer-not-found" },
	{ "X509_V_ERR_CERT_HAS_EXPIRED", "expired" },
	{ "GNUTLS_CERT_EXPIRED", "expired" },
	{ "GNUTLS_CERT_UNEXPECTED_OWNER", "name-mismatch" },
	{ "hostname_mismatch", "name-mismatch" },
	{ "self-signed-certificate-in-chain", "untrusted-root" },
	{ "unknown-ca", "alert:unknown-ca" },
	{ "expird", "expired" },
	{ "Revoked", "revoked" },
	{ "eku-server-auth-mising", "eku-server-auth-missing" },
	{ "quux", NULL },
	{ "", NULL },
};

START_TEST(test_reason_suggest)
{
	const struct suggest_row *r = &suggest_rows[_i];
	const char *got = uctls_reason_suggest(r->in);

	if (r->out == NULL)
		ck_assert_msg(got == NULL, "`%s': suggested `%s'", r->in, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, r->out) == 0, "`%s': `%s', expected `%s'",
		              r->in, got ? got : "(none)", r->out);
}
END_TEST

Suite *
make_scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, all_setup, all_teardown);
	tcase_add_loop_test(tc, test_cert_rows, 0, NCERT_ROWS);
	tcase_add_loop_test(tc, test_peer_rows, 0, NPEER_ROWS);
	tcase_add_test(tc, test_all_scenario);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_test(tc, test_no_clock);
	tcase_add_test(tc, test_no_expect);
	tcase_add_test(tc, test_relative_file);
	tcase_add_test(tc, test_free_null);
	tcase_add_loop_test(tc, test_names, 0,
	                    (int)(sizeof(name_rows) / sizeof(name_rows[0])));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_family_fields);
	tcase_add_loop_test(tc, test_reason_suggest, 0,
	                    (int)(sizeof(suggest_rows) / sizeof(suggest_rows[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad_rows, 0, NBAD_ROWS);
	suite_add_tcase(s, tc);
	return s;
}
