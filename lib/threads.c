/*
 * threads.c - the thread launcher (see threads.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "threads.h"

void
wn_run_threads(int nt, void *(*fn)(void *), void *args, size_t size)
{
	char *a = args;
	pthread_t *tid = nt > 1 ? malloc((size_t)nt * sizeof *tid) : NULL;
	char *started = nt > 1 ? calloc((size_t)nt, 1) : NULL;

	for (int t = 1; tid && started && t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, fn, a + (size_t)t * size) == 0;
	if (nt > 0)
		fn(a);
	for (int t = 1; t < nt; t++) {
		if (tid && started && started[t])
			pthread_join(tid[t], NULL);
		else
			fn(a + (size_t)t * size);
	}
	free(tid);
	free(started);
}
