#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "runq.h"

/* The shared state of one uctls_runq_run: NEXT is the next index a worker
 * takes; RES[i] and READY[i] are written by the worker that ran i and read
 * by the caller's thread, all under MU.  The caller is the only one that
 * waits on CV. */
struct runq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n, next;
	void **res;
	unsigned char *ready;
	uctls_runq_work_fn work;
	void *arg;
};

static void *
worker(void *p)
{
	struct runq *q = p;
	size_t i;
	void *r;

	for (;;) {
		pthread_mutex_lock(&q->mu);
		i = q->next < q->n ? q->next++ : q->n;
		pthread_mutex_unlock(&q->mu);
		if (i == q->n)
			return NULL;
		r = q->work(q->arg, i);
		pthread_mutex_lock(&q->mu);
		q->res[i] = r;
		q->ready[i] = 1;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
}

static void
serial(size_t n, uctls_runq_work_fn work, uctls_runq_done_fn done, void *arg)
{
	size_t i;

	for (i = 0; i < n; i++)
		done(arg, i, work(arg, i));
}

void
uctls_runq_run(size_t n, unsigned jobs, uctls_runq_work_fn work, uctls_runq_done_fn done,
               void *arg)
{
	struct runq q = { .n = n, .work = work, .arg = arg };
	pthread_t *t = NULL;
	unsigned k, started = 0;
	size_t i;

	if (jobs > n)
		jobs = (unsigned)n;
	if (jobs > 1) {
		t = calloc(jobs, sizeof(*t));
		q.res = calloc(n, sizeof(*q.res));
		q.ready = calloc(n, 1);
	}
	if (t == NULL || q.res == NULL || q.ready == NULL || pthread_mutex_init(&q.mu, NULL) != 0)
		goto serial;
	if (pthread_cond_init(&q.cv, NULL) != 0) {
		pthread_mutex_destroy(&q.mu);
		goto serial;
	}
	for (k = 0; k < jobs; k++)
		if (pthread_create(&t[started], NULL, worker, &q) == 0)
			started++;
	if (started == 0) {
		pthread_cond_destroy(&q.cv);
		pthread_mutex_destroy(&q.mu);
		goto serial;
	}
	for (i = 0; i < n; i++) {
		void *r;

		pthread_mutex_lock(&q.mu);
		while (!q.ready[i])
			pthread_cond_wait(&q.cv, &q.mu);
		r = q.res[i];
		pthread_mutex_unlock(&q.mu);
		done(arg, i, r);
	}
	for (k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	pthread_cond_destroy(&q.cv);
	pthread_mutex_destroy(&q.mu);
	goto out;
serial:
	serial(n, work, done, arg);
out:
	free(t);
	free(q.res);
	free(q.ready);
}

unsigned
uctls_runq_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}
