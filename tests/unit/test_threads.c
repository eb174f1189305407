/*
 * test_threads.c - wn_run_threads and the pool (lib/threads.h): every
 * share of every run done exactly once, on time for the caller, also when
 * a thread could not be made.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"
#include "unit.h"

/* pthread_create fails while refuse_threads is set: this definition in
 * the test program is the one libwinnow.a's calls bind to; the real one
 * is the next in the search order. */
static atomic_int refuse_threads;

int
pthread_create(pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

	if (atomic_load(&refuse_threads))
		return 11;      /* EAGAIN */
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real(tid, attr, fn, arg);
}

struct share {
	int run;                /* the run this share belongs to */
	int times;              /* how often it ran in that run */
	long sum;               /* its work: the sum of 0 .. run + index */
	int index;
	pthread_t on;           /* the thread it ran on */
};

static void *
add_up(void *arg)
{
	struct share *s = arg;

	s->times++;
	s->on = pthread_self();
	s->sum = 0;
	for (long i = 0; i <= s->run + s->index; i++)
		s->sum += i;
	return NULL;
}

static void
set_run(struct share *s, int n, int run)
{
	for (int t = 0; t < n; t++)
		s[t] = (struct share){ .run = run, .index = t };
}

/* Every share t < n ran once with the right result, the others not at
 * all; *others: how many ran off the calling thread. */
static int
shares_right(const struct share *s, int n, int nt, int *others)
{
	*others = 0;
	for (int t = 0; t < nt; t++) {
		long k = s[t].run + t;
		if (s[t].times != (t < n) || (t < n && s[t].sum != k * (k + 1) / 2))
			return 0;
		*others += t < n && !pthread_equal(s[t].on, pthread_self());
	}
	return 1;
}

TEST(run_threads_every_share_once)
{
	struct share s[5];
	int others;

	for (int nt = 0; nt <= 5; nt++) {
		set_run(s, 5, 7);
		wn_run_threads(nt, add_up, s, sizeof *s);
		CHECK(shares_right(s, nt, 5, &others), "nt %d: a share missed or run twice", nt);
		CHECK(others == (nt > 1 ? nt - 1 : 0), "nt %d: %d shares off the caller", nt, others);
	}
}

TEST(pool_many_runs)
{
	/* pools of 1, 2 and 4; 700 runs of 0 to nt shares each, the caller
	 * busy between start and finish: each run's shares done once, by the
	 * finish */
	int sizes[] = { 1, 2, 4 };

	for (int si = 0; si < 3; si++) {
		int nt = sizes[si], bad = 0, off = 0, others;
		struct wn_pool *p = wn_pool_new(nt);
		struct share s[4];

		CHECK(p != NULL, "no pool");
		wn_pool_finish(p);      /* nothing started: nothing to do */
		for (int run = 0; run < 700; run++) {
			int n = run % (nt + 1);
			set_run(s, 4, run);
			wn_pool_start(p, n, add_up, s, sizeof *s);
			volatile long busy = 0;
			for (int i = 0; i < (run % 7) * 1000; i++)
				busy += i;
			wn_pool_finish(p);
			bad += !shares_right(s, n, 4, &others);
			off += others;
			wn_pool_finish(p);      /* again: nothing */
			bad += s[0].times > 1;
		}
		CHECK(bad == 0, "pool of %d: %d of 700 runs wrong", nt, bad);
		CHECK((off > 0) == (nt > 1), "pool of %d: %d shares off the caller", nt, off);
		wn_pool_free(p);
	}
}

TEST(pool_free_waits_for_a_run)
{
	struct wn_pool *p = wn_pool_new(3);
	struct share s[3];
	int others;

	set_run(s, 3, 100000);
	wn_pool_start(p, 3, add_up, s, sizeof *s);
	wn_pool_free(p);
	CHECK(shares_right(s, 3, 3, &others), "a share of the last run not done");
	wn_pool_free(NULL);
}

TEST(threads_that_cannot_be_made)
{
	/* no thread can be made: every share runs on the caller, once */
	struct share s[3];
	int others;

	atomic_store(&refuse_threads, 1);
	set_run(s, 3, 5);
	wn_run_threads(3, add_up, s, sizeof *s);
	CHECK(shares_right(s, 3, 3, &others), "wn_run_threads: a share missed");
	CHECK(others == 0, "%d shares on threads that failed to start", others);

	struct wn_pool *p = wn_pool_new(3);
	atomic_store(&refuse_threads, 0);
	CHECK(p != NULL, "no pool");
	int bad = 0, off = 0;
	for (int run = 0; run < 50; run++) {
		set_run(s, 3, run);
		wn_pool_start(p, 3, add_up, s, sizeof *s);
		wn_pool_finish(p);
		bad += !shares_right(s, 3, 3, &others);
		off += others;
	}
	CHECK(bad == 0, "pool: %d of 50 runs missed a share", bad);
	CHECK(off == 0, "pool: %d shares off the caller", off);
	wn_pool_free(p);
}

int
main(void)
{
	RUN(run_threads_every_share_once);
	RUN(pool_many_runs);
	RUN(pool_free_waits_for_a_run);
	RUN(threads_that_cannot_be_made);
	return unit_done();
}
