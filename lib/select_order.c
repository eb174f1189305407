/*
 * select_order.c - the orders of keys (random, top, bottom), the k-th key
 * under them and keys grouped by class or ccs stratum (see select_int.h).
 */
#include <math.h>
#include <stdlib.h>

#include "select_int.h"

int
sel_cmp_hash(const struct sel_key *a, const struct sel_key *b)
{
	return (a->h > b->h) - (a->h < b->h);
}

/* top: higher score first, ties by smaller hash. */
int
sel_cmp_top(const struct sel_key *a, const struct sel_key *b)
{
	if (a->s != b->s)
		return a->s > b->s ? -1 : 1;
	return sel_cmp_hash(a, b);
}

int
sel_cmp_bottom(const struct sel_key *a, const struct sel_key *b)
{
	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	return sel_cmp_hash(a, b);
}

sel_keycmp *
sel_scheme_cmp(int scheme)
{
	switch (scheme) {
	case SEL_TOP: return sel_cmp_top;
	case SEL_BOTTOM: return sel_cmp_bottom;
	default: return sel_cmp_hash;
	}
}

static void
swap_key(struct sel_key *a, struct sel_key *b)
{
	struct sel_key t = *a;
	*a = *b;
	*b = t;
}

/*
 * Reorder k[0..n) so that k[t] is the key of rank t under cmp, with every
 * key before it ranked lower and every key after it higher or equal
 * (quickselect, median of three, three-way partition): O(n) where a sort
 * would be O(n log n) -- the cuts need only order statistics.
 */
void
sel_nth_key(struct sel_key *k, size_t n, size_t t, sel_keycmp *cmp)
{
	size_t lo = 0, hi = n;

	if (t >= n)
		return;
	while (hi - lo > 16) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(&k[mid], &k[lo]) < 0)
			swap_key(&k[mid], &k[lo]);
		if (cmp(&k[hi - 1], &k[lo]) < 0)
			swap_key(&k[hi - 1], &k[lo]);
		if (cmp(&k[hi - 1], &k[mid]) < 0)
			swap_key(&k[hi - 1], &k[mid]);
		struct sel_key p = k[mid];
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			int r = cmp(&k[i], &p);
			if (r < 0)
				swap_key(&k[lt++], &k[i++]);
			else if (r > 0)
				swap_key(&k[i], &k[--gt]);
			else
				i++;
		}
		if (t < lt)
			hi = lt;
		else if (t >= gt)
			lo = gt;
		else
			return;
	}
	for (size_t i = lo + 1; i < hi; i++)
		for (size_t j = i; j > lo && cmp(&k[j], &k[j - 1]) < 0; j--)
			swap_key(&k[j], &k[j - 1]);
}

long
sel_ccs_stratum(double s, double lo, double hi, int K)
{
	if (!(hi > lo))
		return 0;
	/* halved, which is exact: hi - lo of scores near +-DBL_MAX would be
	 * infinite (and inf/inf a NaN stratum) */
	double t = floor((s * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5) * K);
	if (!(t >= 0))
		return 0;
	if (t >= K)
		return K - 1;
	return (long)t;
}

static size_t
group_of(const struct sel_grouping *gr, const struct sel_key *x, uint32_t c)
{
	return gr->cls ? c : (size_t)sel_ccs_stratum(x->s, gr->lo, gr->hi, gr->strata);
}

/* Group k[0..n) (and gr->cls with it) in place by group_of (American flag
 * sort); count[g] keys are in group g < ng.  start[g] receives where
 * group g begins.  Returns -1 when out of memory. */
int
sel_group_keys(struct sel_key *k, const struct sel_grouping *gr, const long long *count,
           size_t ng, size_t *start)
{
	size_t *next = malloc((ng + 1) * sizeof *next);
	if (next == NULL)
		return -1;
	size_t at = 0;
	for (size_t g = 0; g < ng; g++) {
		start[g] = next[g] = at;
		at += (size_t)count[g];
	}
	start[ng] = at;
	for (size_t g = 0; g < ng; g++) {
		size_t end = start[g + 1];
		while (next[g] < end) {
			struct sel_key x = k[next[g]];
			uint32_t xc = gr->cls ? gr->cls[next[g]] : 0;
			size_t xg;
			while ((xg = group_of(gr, &x, xc)) != g) {
				size_t j = next[xg]++;
				swap_key(&x, &k[j]);
				if (gr->cls) {
					uint32_t t = xc;
					xc = gr->cls[j];
					gr->cls[j] = t;
				}
			}
			k[next[g]] = x;
			if (gr->cls)
				gr->cls[next[g]] = xc;
			next[g]++;
		}
	}
	free(next);
	return 0;
}
