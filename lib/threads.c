/*
 * threads.c - the thread launcher and the thread pool (see threads.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "threads.h"

/*
 * The pool's threads wait for the run number to change, run their share
 * of that run (if it has one), count themselves done and wait again.
 * All of it under the one mutex, whose lock and unlock order the
 * caller's writes before a run against the threads' reads, and the
 * threads' writes against the caller's reads after wn_pool_finish.
 */
struct wn_pool {
	int nt;
	pthread_mutex_t mu;
	pthread_cond_t go;          /* the threads: a new run, or the end */
	pthread_cond_t done;        /* the caller: a share finished */
	unsigned long run;          /* the number of the current run */
	int n;                      /* its shares */
	void *(*fn)(void *);
	char *args;
	size_t size;
	int pending;                /* shares on the threads not yet finished */
	int running;                /* a run started and not finished */
	int quit;
	struct worker {
		struct wn_pool *p;
		int t;
		int made;           /* thread t exists */
		pthread_t tid;
	} *w;                       /* nt, w[0] unused: share 0 is the caller's */
};

static void *
pool_thread(void *arg)
{
	struct worker *w = arg;
	struct wn_pool *p = w->p;
	unsigned long seen = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->run == seen)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->run;
		if (w->t >= p->n)
			continue;
		void *(*fn)(void *) = p->fn;
		void *share = p->args + (size_t)w->t * p->size;
		pthread_mutex_unlock(&p->mu);
		fn(share);
		pthread_mutex_lock(&p->mu);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct wn_pool *
wn_pool_new(int nt)
{
	struct wn_pool *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->nt = nt < 1 ? 1 : nt;
	if (!(p->w = calloc((size_t)p->nt, sizeof *p->w))) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	for (int t = 1; t < p->nt; t++) {
		p->w[t].p = p;
		p->w[t].t = t;
		p->w[t].made = pthread_create(&p->w[t].tid, NULL, pool_thread, &p->w[t]) == 0;
	}
	return p;
}

void
wn_pool_start(struct wn_pool *p, int n, void *(*fn)(void *), void *args, size_t size)
{
	n = n < 0 ? 0 : n > p->nt ? p->nt : n;
	pthread_mutex_lock(&p->mu);
	p->n = n;
	p->fn = fn;
	p->args = args;
	p->size = size;
	p->pending = 0;
	for (int t = 1; t < n; t++)
		p->pending += p->w[t].made;
	p->running = 1;
	p->run++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
}

void
wn_pool_finish(struct wn_pool *p)
{
	if (!p || !p->running)
		return;
	p->running = 0;
	if (p->n > 0)
		p->fn(p->args);
	for (int t = 1; t < p->n; t++)
		if (!p->w[t].made)
			p->fn(p->args + (size_t)t * p->size);
	pthread_mutex_lock(&p->mu);
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void
wn_pool_free(struct wn_pool *p)
{
	if (!p)
		return;
	wn_pool_finish(p);
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int t = 1; t < p->nt; t++)
		if (p->w[t].made)
			pthread_join(p->w[t].tid, NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->go);
	pthread_mutex_destroy(&p->mu);
	free(p->w);
	free(p);
}

/* One run on a pool made for it; with no memory for the pool, every
 * share on the caller. */
void
wn_run_threads(int nt, void *(*fn)(void *), void *args, size_t size)
{
	struct wn_pool *p = wn_pool_new(nt);

	if (!p) {
		for (int t = 0; t < nt; t++)
			fn((char *)args + (size_t)t * size);
		return;
	}
	wn_pool_start(p, nt, fn, args, size);
	wn_pool_finish(p);
	wn_pool_free(p);
}
