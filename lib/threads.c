/*
 * threads.c - the thread launcher (see threads.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "threads.h"

void
wn_threads_start(struct wn_threads *t, int nt, void *(*fn)(void *), void *args,
                 size_t size)
{
	t->nt = nt;
	t->fn = fn;
	t->args = args;
	t->size = size;
	t->tid = nt > 1 ? malloc((size_t)nt * sizeof *t->tid) : NULL;
	t->started = nt > 1 ? calloc((size_t)nt, 1) : NULL;
	if (!t->tid || !t->started) {
		free(t->tid);
		free(t->started);
		t->tid = NULL;
		t->started = NULL;
		return;
	}
	for (int i = 1; i < nt; i++)
		t->started[i] = pthread_create(&t->tid[i], NULL, fn,
		                               t->args + (size_t)i * size) == 0;
}

void
wn_threads_finish(struct wn_threads *t)
{
	if (t->nt > 0)
		t->fn(t->args);
	for (int i = 1; i < t->nt; i++) {
		if (t->tid && t->started[i])
			pthread_join(t->tid[i], NULL);
		else
			t->fn(t->args + (size_t)i * t->size);
	}
	free(t->tid);
	free(t->started);
	t->tid = NULL;
	t->started = NULL;
	t->nt = 0;
}

void
wn_run_threads(int nt, void *(*fn)(void *), void *args, size_t size)
{
	struct wn_threads t;

	wn_threads_start(&t, nt, fn, args, size);
	wn_threads_finish(&t);
}
