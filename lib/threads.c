/*
 * threads.c - the thread launcher and the thread pool (see threads.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "threads.h"

void
wn_run_threads(int nt, void *(*fn)(void *), void *args, size_t size)
{
	char *base = args;
	pthread_t *tid = nt > 1 ? malloc((size_t)nt * sizeof *tid) : NULL;
	char *started = nt > 1 ? calloc((size_t)nt, 1) : NULL;

	if (nt > 1 && (!tid || !started)) {
		free(tid);
		free(started);
		tid = NULL;
		started = NULL;
	}
	for (int i = 1; tid && i < nt; i++)
		started[i] = pthread_create(&tid[i], NULL, fn, base + (size_t)i * size) == 0;
	if (nt > 0)
		fn(base);
	for (int i = 1; i < nt; i++) {
		if (tid && started[i])
			pthread_join(tid[i], NULL);
		else
			fn(base + (size_t)i * size);
	}
	free(tid);
	free(started);
}

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
	pthread_t *tid;
	char *made;                 /* made[t]: thread t exists */
	struct worker {
		struct wn_pool *p;
		int t;
	} *w;
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
	p->tid = calloc((size_t)p->nt, sizeof *p->tid);
	p->made = calloc((size_t)p->nt, 1);
	p->w = calloc((size_t)p->nt, sizeof *p->w);
	if (!p->tid || !p->made || !p->w) {
		free(p->tid);
		free(p->made);
		free(p->w);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	for (int t = 1; t < p->nt; t++) {
		p->w[t] = (struct worker){ p, t };
		p->made[t] = pthread_create(&p->tid[t], NULL, pool_thread, &p->w[t]) == 0;
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
		p->pending += p->made[t];
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
		if (!p->made[t])
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
		if (p->made[t])
			pthread_join(p->tid[t], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->go);
	pthread_mutex_destroy(&p->mu);
	free(p->tid);
	free(p->made);
	free(p->w);
	free(p);
}
