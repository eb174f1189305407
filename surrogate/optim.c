/*
 * optim.c - the minibatch optimiser, epoch order and options (see optim.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "optim.h"

void
sur_optim_step(const struct sur_optim *o, long long step, float *W, const float *g, float *m,
               float *v, size_t n, double lambda)
{
	double b1 = o->momentum, b2 = o->beta2;
	double c1 = 1 - pow(b1, (double)step), c2 = 1 - pow(b2, (double)step);

	for (size_t j = 0; j < n; j++) {
		double gj = g[j] + lambda * W[j];
		if (o->adam) {
			m[j] = (float)(b1 * m[j] + (1 - b1) * gj);
			v[j] = (float)(b2 * v[j] + (1 - b2) * gj * gj);
			W[j] -= (float)(o->lr * (m[j] / c1) / (sqrt(v[j] / c2) + o->eps));
		} else {
			m[j] = (float)(b1 * m[j] + gj);
			W[j] -= (float)(o->lr * m[j]);
		}
	}
}

static int
cmp_ord(const void *a, const void *b)
{
	const struct sur_ord *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

void
sur_epoch_order(unsigned long long seed, int e, const uint64_t *keys, const size_t *rows,
                size_t n, struct sur_ord *tmp, size_t *order)
{
	uint64_t es = seed ^ wn_splitmix64((uint64_t)e + 1);
	for (size_t j = 0; j < n; j++) {
		size_t i = rows ? rows[j] : j;
		tmp[j].i = i;
		tmp[j].key = wn_u01_counter(es, WN_STREAM_SHUFFLE, keys ? keys[i] : i);
	}
	qsort(tmp, n, sizeof *tmp, cmp_ord);
	for (size_t j = 0; j < n; j++)
		order[j] = tmp[j].i;
}

double
sur_lr_at(enum sur_sched s, double lr, double decay, int e, int E)
{
	switch (s) {
	case SUR_SCHED_COSINE:
		return lr * 0.5 * (1 + cos(M_PI * e / (double)E));
	case SUR_SCHED_EXP:
		return lr * pow(decay, e);
	default:
		return lr;
	}
}

static const double tune_lambdas[] = { 1e-6, 1e-5, 1e-4, 1e-3, 1e-2 };

int
sur_tune_trials(int trials, int with_lr)
{
	return trials ? trials : 5 * (with_lr ? 3 : 1);
}

void
sur_tune_setting(int trials, int with_lr, unsigned long long seed, double lr0, int i,
                 double *lambda, double *lr)
{
	if (trials) {
		double u = wn_u01_counter(seed, WN_STREAM_SELECT, 2 * (uint64_t)i + 0x700e);
		double v = wn_u01_counter(seed, WN_STREAM_SELECT, 2 * (uint64_t)i + 0x700f);
		*lambda = pow(10, -7 + 6 * u);
		*lr = with_lr ? lr0 * pow(10, -1 + 2 * v) : lr0;
	} else {
		const double lrs[] = { lr0 / 3, lr0, lr0 * 3 };
		int nr = with_lr ? 3 : 1;
		*lambda = tune_lambdas[i / nr];
		*lr = with_lr ? lrs[i % nr] : lr0;
	}
}

int
sur_tune_better(double acc, double loss, double best_acc, double best_loss)
{
	return acc > best_acc || (acc == best_acc && loss < best_loss);
}

void
sur_minibatch_opts_default(struct sur_minibatch_opts *o)
{
	memset(o, 0, sizeof *o);
	o->epochs = 20;
	o->batch = 128;
	o->lr = 1e-3;
	o->momentum = 0.9;
	o->beta2 = 0.999;
	o->eps = 1e-8;
	o->adam = 1;
	o->lambda = 1e-4;
	o->norm = SUR_NORM_COUNT;
	o->standardize = 1;
}

void
sur_minibatch_hyper(struct sur_hyper *hp, const struct sur_minibatch_opts *o)
{
	hp->lambda = o->lambda;
	hp->norm = o->norm;
	hp->norm_n = o->norm_n;
	hp->standardize = o->standardize ? 1 : 0;
	hp->epochs = o->epochs;
	hp->batch = o->batch;
	hp->lr = o->lr;
	hp->momentum = o->momentum;
	hp->adam = o->adam ? 1 : 0;
	hp->seed = o->seed;
}
