/*
 * select_alloc.c - how a budget becomes a count, and how a count is split
 * over strata or classes (see select.h).
 */
#include <math.h>
#include <stdlib.h>

#include "select.h"

long long
sel_budget_count(double f, long long n)
{
	return (long long)floor(f * (double)n + 0.5);
}

struct idx_size {
	long long size;
	size_t i;
};

static int
qs_idx_size(const void *pa, const void *pb)
{
	const struct idx_size *a = pa, *b = pb;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

void
sel_ccs_alloc(const long long *size, size_t n, long long budget, long long *out)
{
	struct idx_size *o = malloc((n ? n : 1) * sizeof *o);
	if (o == NULL) {
		/* without memory, visit in index order: still a valid allocation */
		long long rem = budget;
		for (size_t i = 0; i < n; i++) {
			long long a = rem / (long long)(n - i);
			out[i] = a < size[i] ? a : size[i];
			rem -= out[i];
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (struct idx_size){ size[i], i };
	qsort(o, n, sizeof *o, qs_idx_size);
	long long rem = budget;
	for (size_t t = 0; t < n; t++) {
		long long a = rem / (long long)(n - t);
		if (a > o[t].size)
			a = o[t].size;
		out[o[t].i] = a;
		rem -= a;
	}
	free(o);
}

struct idx_rem {
	unsigned long long rem;
	uint64_t tie;
	size_t i;
};

static int
qs_idx_rem(const void *pa, const void *pb)
{
	const struct idx_rem *a = pa, *b = pb;
	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	if (a->tie != b->tie)
		return a->tie < b->tie ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

void
sel_prop_alloc(const long long *size, size_t n, long long budget,
               const uint64_t *tie, long long *out)
{
	unsigned long long N = 0;
	for (size_t i = 0; i < n; i++)
		N += (unsigned long long)size[i];
	if (N == 0) {
		for (size_t i = 0; i < n; i++)
			out[i] = 0;
		return;
	}
	struct idx_rem *r = malloc((n ? n : 1) * sizeof *r);
	long long left = budget;
	for (size_t i = 0; i < n; i++) {
		unsigned __int128 q = (unsigned __int128)(unsigned long long)budget *
		    (unsigned long long)size[i];
		out[i] = (long long)(q / N);
		left -= out[i];
		if (r != NULL)
			r[i] = (struct idx_rem){ (unsigned long long)(q % N), tie[i], i };
	}
	if (r == NULL) {
		for (size_t i = 0; i < n && left > 0; i++)
			if (out[i] < size[i])
				out[i]++, left--;
		return;
	}
	qsort(r, n, sizeof *r, qs_idx_rem);
	for (size_t t = 0; t < n && left > 0; t++, left--)
		out[r[t].i]++;
	free(r);
}
