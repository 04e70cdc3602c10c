/* uctls — running independent jobs on worker threads, their results taken
 * back in order (uctls_runq_*).
 *
 * `uctls run -j N' runs scenarios concurrently: WORK runs on up to N
 * threads, each call on one index, in whatever order the threads pick them
 * up; DONE runs on the calling thread, for index 0, 1, 2, ... in turn, each
 * as soon as its WORK has returned.  Whatever DONE prints is therefore in
 * input order and byte for byte what a serial run prints: the caller keeps
 * every output (reports, files, counters) in DONE and every side-effect-free
 * computation in WORK.
 *
 * WORK must be safe to run concurrently with itself: libuctls is (no global
 * state; the key pool and its certificate memo lock themselves, pki.h).
 */
#ifndef UCTLS_RUNQ_H
#define UCTLS_RUNQ_H

#include <stddef.h>

/* The result of job I (ownership passes to DONE; may be NULL). */
typedef void *(*uctls_runq_work_fn)(void *arg, size_t i);
typedef void (*uctls_runq_done_fn)(void *arg, size_t i, void *result);

/* Runs WORK(ARG, i) for every i < N on up to JOBS threads and DONE(ARG, i,
 * result) on this thread in order of i.  With JOBS <= 1 or N <= 1 no thread
 * is created: WORK then DONE for each i in turn.  When no thread can be
 * created the jobs run so too; there is no failure to report. */
void uctls_runq_run(size_t n, unsigned jobs, uctls_runq_work_fn work, uctls_runq_done_fn done,
                    void *arg);

/* The number of online processors (at least 1): the default of -j. */
unsigned uctls_runq_cpus(void);

#endif
