/*
 * select_biased.c - biased sampling in bounded memory: the summary of the
 * weights w = s^alpha (the largest ones, an exact sum of the others) and
 * the solver of sum min(1, c w) = budget over it (see select_int.h).
 *
 * At most `budget` rows can have pi = 1, so c needs the largest weights
 * one by one and only the sum of the rest: with m rows saturated,
 * c = (budget - m) / sum_{i>=m} w_i.  The rest is summed exactly (integer
 * sums per binade), so the result is a function of the multiset of
 * weights: the same whatever the order of the rows and however they are
 * split into shards and merged.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "select_int.h"

double
sel_biased_lw(double s, double alpha)
{
	return alpha == 0 ? 0.0 : s > 0 ? alpha * log(s) : alpha < 0 ? INFINITY : -INFINITY;
}

double
sel_biased_pi(double s, double alpha, double logc)
{
	double lw = sel_biased_lw(s, alpha);

	if (lw == INFINITY)     /* a zero score with alpha < 0: kept for certain */
		return 1.0;
	return logc == INFINITY ? (lw > -INFINITY ? 1.0 : 0.0) : fmin(1.0, exp(logc + lw));
}

/* ---- exact sums of exp(lw) ---- */

/*
 * A weight exp(lw) as an integer M < 2^54 times 2^e: exp(lw) itself where
 * a double holds it, else exp(r) 2^E with lw = r + E log 2.  Bucket
 * j = floor(e / 32) holds the weight as M << (e - 32 j), below 2^86.
 */
static void
xsum_term(double lw, int64_t *j, unsigned __int128 *v)
{
	double d;
	int64_t E = 0;
	int ex;

	if (lw > -700 && lw < 700) {
		d = exp(lw);
	} else {
		E = (int64_t)floor(lw / M_LN2);
		d = exp(lw - (double)E * M_LN2);
	}
	double mant = frexp(d, &ex);
	uint64_t M = (uint64_t)ldexp(mant, 53);
	int64_t e = E + ex - 53;
	int64_t b = e >= 0 ? e / 32 : -((-e + 31) / 32);
	*j = b;
	*v = (unsigned __int128)M << (e - 32 * b);
}

static size_t
slot_of(int64_t j, size_t nslot)
{
	return (size_t)(((uint64_t)j * 0x9E3779B97F4A7C15ULL) >> 32) & (nslot - 1);
}

/* Index of bucket j in x: found by hash while x is unsorted (added, zero,
 * if missing), by bisection once sel_xsum_sort ran (-1 if missing).  -1
 * on no memory. */
static long
xsum_bucket(struct sel_xsum *x, int64_t j)
{
	if (x->sorted) {
		size_t lo = 0, hi = x->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (x->b[mid].j < j)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < x->n && x->b[lo].j == j ? (long)lo : -1;
	}
	if (x->nslot > 0)
		for (size_t i = slot_of(j, x->nslot);; i = (i + 1) & (x->nslot - 1)) {
			if (x->slot[i] == 0)
				break;
			if (x->b[x->slot[i] - 1].j == j)
				return (long)x->slot[i] - 1;
		}
	if (x->n >= UINT32_MAX - 1 || wn_grow((void **)&x->b, &x->cap, x->n + 1, sizeof *x->b) < 0)
		return -1;
	if ((x->n + 1) * 2 > x->nslot) {
		size_t ns = x->nslot ? x->nslot * 2 : 16;
		uint32_t *t = calloc(ns, sizeof *t);
		if (t == NULL)
			return -1;
		for (size_t k = 0; k < x->n; k++) {
			size_t i = slot_of(x->b[k].j, ns);
			while (t[i])
				i = (i + 1) & (ns - 1);
			t[i] = (uint32_t)k + 1;
		}
		free(x->slot);
		x->slot = t;
		x->nslot = ns;
	}
	size_t i = slot_of(j, x->nslot);
	while (x->slot[i])
		i = (i + 1) & (x->nslot - 1);
	x->slot[i] = (uint32_t)x->n + 1;
	x->b[x->n] = (struct sel_xbucket){ .j = j };
	return (long)x->n++;
}

/* Add (neg = 0) or take away (neg = 1, only what was added) v in bucket k. */
static void
xsum_addv(struct sel_xsum *x, size_t k, unsigned __int128 v, int neg)
{
	uint64_t *l = x->b[k].v;
	unsigned __int128 lo = ((unsigned __int128)l[1] << 64) | l[0];

	if (!neg) {
		unsigned __int128 s = lo + v;
		l[2] += s < lo;
		lo = s;
	} else {
		l[2] -= lo < v;
		lo -= v;
	}
	l[0] = (uint64_t)lo;
	l[1] = (uint64_t)(lo >> 64);
}

int
sel_xsum_add(struct sel_xsum *x, double lw, int neg)
{
	int64_t j;
	unsigned __int128 v;

	xsum_term(lw, &j, &v);
	long k = xsum_bucket(x, j);
	if (k < 0)
		return -1;
	xsum_addv(x, (size_t)k, v, neg);
	return 0;
}

int
sel_xsum_add_bucket(struct sel_xsum *x, const struct sel_xbucket *b)
{
	long k = xsum_bucket(x, b->j);
	if (k < 0)
		return -1;
	xsum_addv(x, (size_t)k, ((unsigned __int128)b->v[1] << 64) | b->v[0], 0);
	x->b[k].v[2] += b->v[2];
	return 0;
}

int
sel_xsum_merge(struct sel_xsum *dst, const struct sel_xsum *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (sel_xsum_add_bucket(dst, &src->b[i]) < 0)
			return -1;
	return 0;
}

static int
qs_bucket(const void *pa, const void *pb)
{
	const struct sel_xbucket *a = pa, *b = pb;
	return (a->j > b->j) - (a->j < b->j);
}

void
sel_xsum_sort(struct sel_xsum *x)
{
	if (x->n > 0)
		qsort(x->b, x->n, sizeof *x->b, qs_bucket);
	free(x->slot);
	x->slot = NULL;
	x->nslot = 0;
	x->sorted = 1;
}

/*
 * log of the sum of a sorted x (-inf when zero): the buckets within 40 of
 * the largest nonzero one (2^1100 and more below it is below any double's
 * precision), from the smallest up, as a double and a binary exponent
 * apart (so that no double overflows, and the exponent cancels exactly).
 * A function of the bucket sums alone, which are exact.  Drops zero
 * buckets at the top, so that taking the largest weights away one by one
 * keeps each call short.
 */
static double
xsum_log(struct sel_xsum *x)
{
	double m = 0;           /* the sum is m 2^X, m in [0.5, 1) */
	int64_t X = 0;
	size_t k;

	while (x->n > 0 && (x->b[x->n - 1].v[0] | x->b[x->n - 1].v[1] | x->b[x->n - 1].v[2]) == 0)
		x->n--;
	if (x->n == 0)
		return -INFINITY;
	for (k = x->n - 1; k > 0 && x->b[k - 1].j >= x->b[x->n - 1].j - 40; k--)
		;
	for (; k < x->n; k++) {
		const uint64_t *l = x->b[k].v;
		double d = ldexp((double)l[2], 128) + ldexp((double)l[1], 64) + (double)l[0];
		int e;
		if (d == 0)
			continue;
		d = frexp(d, &e);
		int64_t Xd = e + 32 * x->b[k].j;
		if (m == 0) {
			m = d;
			X = Xd;
			continue;
		}
		if (Xd > X) {
			double t = m;
			int64_t tx = X;
			m = d;
			X = Xd;
			d = t;
			Xd = tx;
		}
		m += X - Xd > 1100 ? 0 : ldexp(d, (int)(Xd - X));
		m = frexp(m, &e);
		X += e;
	}
	return log(m) + (double)X * M_LN2;
}

void
sel_xsum_free(struct sel_xsum *x)
{
	free(x->b);
	free(x->slot);
	memset(x, 0, sizeof *x);
}

/* ---- the summary ---- */

long long
sel_bsum_cap(const struct sel_bsum *b, long long nrows)
{
	if (b->fixed >= 0)
		return b->fixed;
	/* -f: the budget grows with the rows; twice its share and a margin,
	 * so that the first rows (when the budget is still small) rarely push
	 * out weights the solver needs; sel_bsum_solve checks it did not */
	double k = ceil(b->frac * (double)nrows);
	return 2 * (long long)k + 1024;
}

static void
heap_down(double *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && h[l] < h[w])
			w = l;
		if (r < n && h[r] < h[w])
			w = r;
		if (w == i)
			return;
		double t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void
heap_up(double *h, size_t i)
{
	while (i > 0) {
		size_t par = (i - 1) / 2;
		if (h[par] <= h[i])
			return;
		double t = h[i];
		h[i] = h[par];
		h[par] = t;
		i = par;
	}
}

/* Into the exact sum of the rest, remembering the largest weight there. */
static int
evict(struct sel_bsum *b, double lw)
{
	if (lw > b->horizon)
		b->horizon = lw;
	return sel_xsum_add(&b->rest, lw, 0);
}

/* Offer a finite lw to the largest ones under capacity cap. */
static int
offer(struct sel_bsum *b, double lw, long long cap)
{
	if ((long long)b->n < cap) {
		if (wn_grow((void **)&b->heap, &b->alloc, b->n + 1, sizeof *b->heap) < 0)
			return -1;
		b->heap[b->n++] = lw;
		heap_up(b->heap, b->n - 1);
		return 0;
	}
	if (b->n > 0 && lw > b->heap[0]) {
		double out = b->heap[0];
		b->heap[0] = lw;
		heap_down(b->heap, b->n, 0);
		lw = out;
	}
	return evict(b, lw);
}

int
sel_bsum_add(struct sel_bsum *b, double lw, long long nrows)
{
	if (lw == -INFINITY)
		return 0;
	if (lw == INFINITY) {
		b->ninf++;
		return 0;
	}
	b->npos++;
	return offer(b, lw, sel_bsum_cap(b, nrows));
}

int
sel_bsum_merge(struct sel_bsum *dst, const struct sel_bsum *src, long long nrows)
{
	long long cap = sel_bsum_cap(dst, nrows);

	dst->npos += src->npos;
	dst->ninf += src->ninf;
	if (src->horizon > dst->horizon)
		dst->horizon = src->horizon;
	if (sel_xsum_merge(&dst->rest, &src->rest) < 0)
		return -1;
	for (size_t i = 0; i < src->n; i++)
		if (offer(dst, src->heap[i], cap) < 0)
			return -1;
	/* the capacity of dst alone may have been larger (a count budget
	 * never changes it; -f grows it with the rows) */
	while ((long long)dst->n > cap) {
		double out = dst->heap[0];
		dst->heap[0] = dst->heap[--dst->n];
		heap_down(dst->heap, dst->n, 0);
		if (evict(dst, out) < 0)
			return -1;
	}
	return 0;
}

void
sel_bsum_free(struct sel_bsum *b)
{
	free(b->heap);
	sel_xsum_free(&b->rest);
}

static int
qs_asc(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* The m-th largest weight (from 0) once sorted in increasing order. */
static double
largest(const struct sel_bsum *b, size_t m)
{
	return b->heap[b->n - 1 - m];
}

/*
 * The smallest m with (budget - m) w_m <= S_m (w_m the m-th largest
 * weight from 0, S_m the sum of it and all below it): the m largest are
 * saturated; the condition is monotone in m and holds at
 * m = ceil(budget) - 1.  Sorts the largest weights in increasing order,
 * which leaves them a heap.
 */
int
sel_bsum_solve(struct sel_bsum *b, double budget, double *logc)
{
	size_t npos = (size_t)b->npos;

	if (!(budget <= (double)npos))
		return -1;
	if (budget == (double)npos) {
		*logc = INFINITY;
		return 0;
	}
	if (budget <= 0) {
		*logc = -INFINITY;
		return 0;
	}
	if (b->n > 0)
		qsort(b->heap, b->n, sizeof *b->heap, qs_asc);
	/* the v largest of them are the v largest of all: every weight
	 * pushed out was at most b->horizon */
	size_t v = 0;
	while (v < b->n && largest(b, v) >= b->horizon)
		v++;
	size_t hi = (size_t)ceil(budget) - 1;
	if (hi > npos - 1)
		hi = npos - 1;
	struct sel_xsum S = { 0 };
	if (sel_xsum_merge(&S, &b->rest) < 0)
		goto nomem;
	for (size_t i = 0; i < b->n; i++)
		if (sel_xsum_add(&S, b->heap[i], 0) < 0)
			goto nomem;
	sel_xsum_sort(&S);
	for (size_t m = 0;; m++) {
		double L = xsum_log(&S);
		if (m == hi || (m < v && log(budget - (double)m) + largest(b, m) <= L)) {
			*logc = log(budget - (double)m) - L;
			break;
		}
		if (m >= v) {
			sel_xsum_free(&S);
			return 1;
		}
		if (sel_xsum_add(&S, largest(b, m), 1) < 0)
			goto nomem;
	}
	sel_xsum_free(&S);
	return 0;
nomem:
	sel_xsum_free(&S);
	return -2;
}
