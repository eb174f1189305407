/*
 * threads.h - the one thread launcher: run a function over an array of
 * per-thread arguments, once (wn_run_threads) or many times on threads
 * kept between the runs (struct wn_pool).
 */
#ifndef WN_THREADS_H
#define WN_THREADS_H

#include <stddef.h>

/*
 * fn(args + t * size) for t in [0, nt): t = 0 on the calling thread, the
 * others on threads of their own, all done before the return: one run on
 * a pool made for it (below).  The share of a thread that cannot start
 * (every share, when the pool cannot be allocated) runs on the calling
 * thread, so the work is always done and its results do not depend on
 * how many threads started.
 */
void wn_run_threads(int nt, void *(*fn)(void *), void *args, size_t size);

/*
 * A pool of threads made once and handed one run after another, for a
 * caller whose runs are short and many (winnow-embed: a round of 512
 * images every few milliseconds).  A thread made and joined each run
 * cost 0.14 ms a run at -j 2: the clone, the release of its stack (a TLB
 * shootdown on the other core) and a malloc cache started cold.
 *
 * wn_pool_new(nt): a pool for runs of up to nt shares, threads 1 .. nt-1;
 * NULL when out of memory.  wn_pool_start(p, n, fn, args, size) hands
 * shares 1 .. n-1 (n <= nt) of fn(args + t * size) to the threads and
 * returns, so the caller can do work of its own; wn_pool_finish(p) runs
 * share 0 on the calling thread, then waits for the others.  As with
 * wn_run_threads, the share of a thread that could not be made runs on
 * the caller.  One run at a time: start, finish, start, ...; finishing
 * with no run started does nothing.  wn_pool_free(p) (p may be NULL)
 * ends the threads, waiting for a run in progress first.
 */
struct wn_pool;

struct wn_pool *wn_pool_new(int nt);
void wn_pool_start(struct wn_pool *p, int n, void *(*fn)(void *), void *args, size_t size);
void wn_pool_finish(struct wn_pool *p);
void wn_pool_free(struct wn_pool *p);

#endif
