/*
 * optim.c - the minibatch optimiser and epoch order (see optim.h).
 */
#include <math.h>
#include <stdlib.h>

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
