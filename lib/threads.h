/*
 * threads.h - the one thread launcher: run a function over an array of
 * per-thread arguments.
 */
#ifndef WN_THREADS_H
#define WN_THREADS_H

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

#endif
