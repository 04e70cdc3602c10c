/* Check suite for `uctls run -j': src/runq.c (jobs on threads, results in
 * order) and the key pool's certificate memo (src/pki.c), which the threads
 * share.
 *
 * The memo is safe when a certificate it hands back is exactly the one
 * signing would give: each row below changes one input of a certificate
 * (or of its issuer) and checks that a pool that has already signed the
 * unchanged scenario builds the same bytes as a fresh pool with the same
 * keys. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "check_suites.h"
#include "pki.h"
#include "runq.h"
#include "scenario.h"
#include "testutil.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * runq: every job once, reported in order, whatever the number of threads
 */

#define MAXJOBS 64

struct order {
	pthread_mutex_t mu;
	size_t ran[MAXJOBS]; /* times job i ran */
	size_t done[MAXJOBS]; /* the order done saw */
	size_t ndone;
	int bad_result;
};

static void *
order_work(void *arg, size_t i)
{
	struct order *o = arg;

	pthread_mutex_lock(&o->mu);
	o->ran[i]++;
	pthread_mutex_unlock(&o->mu);
	return (void *)(o->done + i); /* any pointer that names i */
}

static void
order_done(void *arg, size_t i, void *res)
{
	struct order *o = arg;

	o->bad_result |= res != (void *)(o->done + i);
	o->done[o->ndone++] = i;
}

static const struct order_row {
	size_t n;
	unsigned jobs;
} order_rows[] = {
	{ 0, 4 },       /* nothing to run */
	{ 1, 4 },       /* one job: no thread */
	{ 10, 1 },      /* -j 1: serial */
	{ 10, 2 },      /* -j 2 */
	{ 3, 8 },       /* more threads than jobs */
	{ MAXJOBS, 7 }, /* threads finish out of order */
};

START_TEST(test_order)
{
	const struct order_row *r = &order_rows[_i];
	struct order o;
	size_t i;

	memset(&o, 0, sizeof(o));
	pthread_mutex_init(&o.mu, NULL);
	uctls_runq_run(r->n, r->jobs, order_work, order_done, &o);
	ck_assert_uint_eq(o.ndone, r->n);
	ck_assert_int_eq(o.bad_result, 0);
	for (i = 0; i < r->n; i++) {
		ck_assert_uint_eq(o.ran[i], 1);
		ck_assert_uint_eq(o.done[i], i);
	}
	pthread_mutex_destroy(&o.mu);
}
END_TEST

/* Two jobs, two threads: job 0 waits (bounded) until job 1 has started,
 * which only a second thread can do; done still sees 0 first. */
struct meet {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started1, met;
	size_t first_done;
	size_t ndone;
};

static void *
meet_work(void *arg, size_t i)
{
	struct meet *m = arg;
	struct timespec until;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	if (i == 1) {
		m->started1 = 1;
		pthread_cond_broadcast(&m->cv);
	} else {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (!m->started1 && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&m->cv, &m->mu, &until);
		m->met = m->started1;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

static void
meet_done(void *arg, size_t i, void *res)
{
	struct meet *m = arg;

	(void)res;
	if (m->ndone++ == 0)
		m->first_done = i;
}

START_TEST(test_concurrent)
{
	struct meet m;

	memset(&m, 0, sizeof(m));
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	uctls_runq_run(2, 2, meet_work, meet_done, &m);
	ck_assert_int_eq(m.met, 1);
	ck_assert_uint_eq(m.first_done, 0);
	ck_assert_uint_eq(m.ndone, 2);
	pthread_cond_destroy(&m.cv);
	pthread_mutex_destroy(&m.mu);
}
END_TEST

START_TEST(test_cpus)
{
	ck_assert_uint_ge(uctls_runq_cpus(), 1);
}
END_TEST

/* ------------------------------------------------------------------------
 * The certificate memo
 */

/* ROOT, LEAF: the attributes of <ca id="root"> and <cert id="leaf">; EXT
 * the leaf's child elements. */
static const char memo_tmpl[] =
	"<scenario name=\"memo/t\" family=\"tls\">\n"
	"  <clock now=\"2026-06-01T12:00:00Z\"/>\n"
	"  <pki>\n"
	"    <ca id=\"root\" %s/>\n"
	"    <ca id=\"other\" subject=\"CN=Memo Other CA\"/>\n"
	"    <cert id=\"leaf\" %s>%s</cert>\n"
	"  </pki>\n"
	"  <peer id=\"client\" role=\"client\" sends=\"leaf\" trusts=\"root\"/>\n"
	"  <peer id=\"server\" role=\"server\" sends=\"leaf\" trusts=\"root\"/>\n"
	"</scenario>\n";

#define BASE_ROOT "subject=\"CN=Memo Root CA\""
#define BASE_LEAF "issuer=\"root\" subject=\"CN=a.example.com\" san=\"DNS:a.example.com\""

static const struct memo_row {
	const char *root, *leaf, *ext;
} memo_rows[] = {
	/* (rows changing the root change that certificate, index 0; the
	 * others change the leaf, index 2) */
	/* the same scenario: from the memo, byte for byte */
	{ BASE_ROOT, BASE_LEAF, "" },
	/* the subject */
	{ BASE_ROOT, "issuer=\"root\" subject=\"CN=b.example.com\" san=\"DNS:a.example.com\"", "" },
	/* the SANs */
	{ BASE_ROOT, "issuer=\"root\" subject=\"CN=a.example.com\" san=\"DNS:b.example.com\"", "" },
	{ BASE_ROOT,
	  "issuer=\"root\" subject=\"CN=a.example.com\" san=\"DNS:a.example.com,DNS:b.example.com\"",
	  "" },
	{ BASE_ROOT, "issuer=\"root\" subject=\"CN=a.example.com\" san=\"URI:sip:a.example.com\"", "" },
	/* serial, validity */
	{ BASE_ROOT, BASE_LEAF " serial=\"77\"", "" },
	{ BASE_ROOT, BASE_LEAF " not-before=\"-2d\"", "" },
	{ BASE_ROOT, BASE_LEAF " not-after=\"+400d\"", "" },
	/* extensions and their criticality */
	{ BASE_ROOT, BASE_LEAF " eku=\"serverAuth\"", "" },
	{ BASE_ROOT, BASE_LEAF " key-usage=\"digitalSignature,keyAgreement\"", "" },
	{ BASE_ROOT, BASE_LEAF " basic-constraints=\"none\"", "" },
	{ BASE_ROOT, BASE_LEAF " critical=\"none\"", "" },
	{ BASE_ROOT, BASE_LEAF, "<extension oid=\"1.3.6.1.4.1.99999.1\"/>" },
	{ BASE_ROOT, BASE_LEAF, "<extension oid=\"1.3.6.1.4.1.99999.1\" critical=\"yes\"/>" },
	/* hash, subject key, signing key */
	{ BASE_ROOT, BASE_LEAF " hash=\"sha384\"", "" },
	{ BASE_ROOT, BASE_LEAF " key=\"ecdsa-p384\"", "" },
	{ BASE_ROOT, BASE_LEAF " key-of=\"other\"", "" },
	{ BASE_ROOT, BASE_LEAF " signed-with=\"other\"", "" },
	/* the issuer, or the issuer's own certificate */
	{ BASE_ROOT, "issuer=\"other\" subject=\"CN=a.example.com\" san=\"DNS:a.example.com\"", "" },
	{ "subject=\"CN=Memo Root CA 2\"", BASE_LEAF, "" },
	{ BASE_ROOT " path-len=\"0\"", BASE_LEAF, "" },
	{ BASE_ROOT " not-after=\"+9000d\"", BASE_LEAF, "" },
};

/* The DER of every certificate of scenario TEXT, built with POOL, in
 * BUF (N certificates; each gnutls_free'd by the caller). */
static size_t
build_all(const char *text, struct uctls_keypool *pool, gnutls_datum_t *buf, size_t max)
{
	struct uctls_scenario *sc = NULL;
	struct uctls_pki *pki = NULL;
	struct uctls_err err;
	size_t i, n;

	uctls_err_clear(&err);
	if (uctls_scenario_load(tu_write("memo.xml", text), &sc, &err) < 0 ||
	    uctls_pki_build(sc, pool, &pki, &err) < 0)
		ck_abort_msg("%s", err.msg);
	n = uctls_pki_count(pki);
	ck_assert_uint_le(n, max);
	for (i = 0; i < n; i++)
		ck_assert_int_ge(gnutls_x509_crt_export2(uctls_pki_crt_at(pki, i),
		                                         GNUTLS_X509_FMT_DER, &buf[i]), 0);
	uctls_pki_free(pki);
	uctls_scenario_free(sc);
	return n;
}

static struct uctls_keypool *
pool_in(const char *dir)
{
	struct uctls_keypool *pool = uctls_keypool_new();
	struct uctls_err err;

	ck_assert_ptr_nonnull(pool);
	uctls_err_clear(&err);
	ck_assert_int_eq(uctls_keypool_set_dir(pool, dir, &err), 0);
	return pool;
}

START_TEST(test_memo)
{
	const struct memo_row *r = &memo_rows[_i];
	gnutls_datum_t base[4], memo[4], fresh[4];
	struct uctls_keypool *pool, *pool2;
	char text[4096], keys[600];
	size_t nb, nm, nf, i, s0, u0, s1, u1;

	snprintf(keys, sizeof(keys), "%s/keys", tu_tmpdir());
	pool = pool_in(keys);
	snprintf(text, sizeof(text), memo_tmpl, BASE_ROOT, BASE_LEAF, "");
	nb = build_all(text, pool, base, 4);
	uctls_keypool_memo_stats(pool, &s0, &u0);
	ck_assert_uint_eq(s0, 3); /* root, other, leaf: signed once each */
	ck_assert_uint_eq(u0, 0);

	snprintf(text, sizeof(text), memo_tmpl, r->root, r->leaf, r->ext);
	nm = build_all(text, pool, memo, 4);
	uctls_keypool_memo_stats(pool, &s1, &u1);
	/* The same keys, read back from the cache: signed, not memoised. */
	pool2 = pool_in(keys);
	nf = build_all(text, pool2, fresh, 4);
	ck_assert_uint_eq(nm, nf);
	for (i = 0; i < nm; i++) {
		ck_assert_uint_eq(memo[i].size, fresh[i].size);
		ck_assert_mem_eq(memo[i].data, fresh[i].data, memo[i].size);
	}
	if (_i == 0) {
		/* the unchanged scenario: nothing signed again */
		ck_assert_uint_eq(s1, s0);
		ck_assert_uint_eq(u1, 3);
	} else {
		/* the changed certificate is new: signed, not taken */
		size_t k = strcmp(r->root, BASE_ROOT) != 0 ? 0 : 2;

		ck_assert_uint_gt(s1, s0);
		ck_assert(memo[k].size != base[k].size ||
		          memcmp(memo[k].data, base[k].data, base[k].size) != 0);
	}
	for (i = 0; i < nb; i++)
		gnutls_free(base[i].data);
	for (i = 0; i < nm; i++) {
		gnutls_free(memo[i].data);
		gnutls_free(fresh[i].data);
	}
	uctls_keypool_free(pool);
	uctls_keypool_free(pool2);
	tu_cleanup();
}
END_TEST

Suite *
make_runq_suite(void)
{
	Suite *s = suite_create("runq");
	TCase *tc = tcase_create("runq");

	tcase_add_loop_test(tc, test_order, 0, NROWS(order_rows));
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_cpus);
	suite_add_tcase(s, tc);
	tc = tcase_create("memo");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_memo, 0, NROWS(memo_rows));
	suite_add_tcase(s, tc);
	return s;
}
