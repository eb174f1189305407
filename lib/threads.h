/*
 * threads.h - the one thread launcher: run a function over an array of
 * per-thread arguments, at once or in two halves.
 */
#ifndef WN_THREADS_H
#define WN_THREADS_H

#include <pthread.h>
#include <stddef.h>

/*
 * fn(args + t * size) for t in [0, nt): t = 0 on the calling thread, the
 * others on threads of their own, all joined before the return.  The
 * share of a thread that cannot start (or every share but the first when
 * the thread table cannot be allocated) runs on the calling thread after
 * the others, so the work is always done and its results do not depend
 * on how many threads started.
 */
void wn_run_threads(int nt, void *(*fn)(void *), void *args, size_t size);

/*
 * wn_run_threads in two halves, for a caller with work of its own to do
 * while the threads run: wn_threads_start starts shares 1 .. nt-1;
 * wn_threads_finish runs share 0 on the calling thread, then joins the
 * others (running on the caller, as above, any share whose thread did not
 * start).  Finishing again, or a zeroed struct, does nothing.
 */
struct wn_threads {
	int nt;
	void *(*fn)(void *);
	char *args;
	size_t size;
	pthread_t *tid;         /* NULL: shares 1 .. nt-1 run in finish */
	char *started;
};

void wn_threads_start(struct wn_threads *t, int nt, void *(*fn)(void *), void *args,
                      size_t size);
void wn_threads_finish(struct wn_threads *t);

#endif
