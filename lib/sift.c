/*
 * sift.c - online loss-based sifting; see sift.h.
 *
 * The history is a ring (for the order of forgetting) plus a sorted copy
 * (for ranks by binary search).  Insert and evict are memmove()s of at
 * most L floats: L is a few hundred, so this costs less than the forward
 * pass that produced the loss.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sift.h"

int
sift_init(struct sift *s, double beta, size_t history, long long delay,
          struct wn_err *err)
{
	memset(s, 0, sizeof *s);
	if (!(beta >= 0 && isfinite(beta)))
		return wn_seterr(err, WN_EUSAGE, "sift: beta %g is not a finite number >= 0", beta);
	if (history < 1 || history > 100000000)
		return wn_seterr(err, WN_EUSAGE, "sift: history %zu is not in 1..100000000", history);
	if (delay < 0)
		return wn_seterr(err, WN_EUSAGE, "sift: delay %lld is negative", delay);
	s->beta = beta;
	s->history = history;
	s->delay = delay;
	s->ring = malloc(history * sizeof *s->ring);
	s->sorted = malloc(history * sizeof *s->sorted);
	if (!s->ring || !s->sorted) {
		sift_free(s);
		return wn_seterr(err, WN_ESOFTWARE, "sift: out of memory for a history of %zu", history);
	}
	return 0;
}

void
sift_free(struct sift *s)
{
	free(s->ring);
	free(s->sorted);
	s->ring = s->sorted = NULL;
	s->n = 0;
}

/* First index in a[0..n) with a[i] >= x (strict=0) or a[i] > x (strict=1). */
static size_t
bound(const float *a, size_t n, float x, int strict)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strict ? a[mid] <= x : a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double
sift_percentile(const struct sift *s, float loss)
{
	if (s->n == 0)
		return 1.0;
	size_t less = bound(s->sorted, s->n, loss, 0);
	size_t leq = bound(s->sorted, s->n, loss, 1);
	return ((double)less + 0.5 * (double)(leq - less) + 0.5) / ((double)s->n + 1.0);
}

static void
remember(struct sift *s, float loss)
{
	if (s->n == s->history) {
		/* forget the oldest */
		float old = s->ring[s->pos];
		size_t i = bound(s->sorted, s->n, old, 0);
		memmove(s->sorted + i, s->sorted + i + 1, (s->n - i - 1) * sizeof *s->sorted);
		s->n--;
		s->ring[s->pos] = loss;
		s->pos = (s->pos + 1) % s->history;
	} else {
		s->ring[s->n] = loss;
	}
	size_t j = bound(s->sorted, s->n, loss, 1);
	memmove(s->sorted + j + 1, s->sorted + j, (s->n - j) * sizeof *s->sorted);
	s->sorted[j] = loss;
	s->n++;
}

int
sift_keep(struct sift *s, float loss, double u)
{
	int keep;
	if (isnan(loss))
		loss = INFINITY;        /* rank a broken loss as the hardest */
	if (s->steps < s->delay || s->beta == 0) {
		keep = 1;
	} else {
		double q = sift_percentile(s, loss);
		keep = u < pow(q, s->beta);
	}
	remember(s, loss);
	s->seen++;
	s->kept += keep;
	return keep;
}

void
sift_step(struct sift *s)
{
	s->steps++;
}

/* State file layout (native byte order: a checkpoint is read back by the
 * same build): magic, beta, history, delay, n, pos, steps, seen, kept,
 * then the ring's n floats in ring order. */
static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static const char sift_magic[8] = "WNSIFT1";

int
sift_save(const struct sift *s, FILE *fp, const char *name, struct wn_err *err)
{
	uint64_t v[8] = { 0, s->history, (uint64_t)s->delay, s->n, s->pos,
	                  (uint64_t)s->steps, (uint64_t)s->seen, (uint64_t)s->kept };
	memcpy(&v[0], &s->beta, sizeof s->beta);
	if (fwrite(sift_magic, 1, 8, fp) != 8 || fwrite(v, sizeof v[0], 8, fp) != 8
	    || fwrite(s->ring, sizeof *s->ring, s->n, fp) != s->n)
		return wn_seterr(err, WN_EIO, "%s: write error", name);
	return 0;
}

int
sift_load(struct sift *s, FILE *fp, const char *name, struct wn_err *err)
{
	char magic[8];
	uint64_t v[8];
	double beta;
	if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, sift_magic, 8) != 0
	    || fread(v, sizeof v[0], 8, fp) != 8)
		return wn_seterr(err, WN_EDATA, "%s: sifting state: truncated or not a sifting state", name);
	memcpy(&beta, &v[0], sizeof beta);
	if (beta != s->beta || v[1] != s->history || (long long)v[2] != s->delay)
		return wn_seterr(err, WN_EDATA, "%s: sifting state: saved with beta %g, history %llu, delay %lld,"
		                 " not beta %g, history %zu, delay %lld", name, beta,
		                 (unsigned long long)v[1], (long long)v[2], s->beta, s->history, s->delay);
	if (v[3] > s->history || v[4] >= s->history || (v[3] < s->history && v[4] != 0))
		return wn_seterr(err, WN_EDATA, "%s: sifting state: bad ring position", name);
	s->n = v[3];
	s->pos = v[4];
	s->steps = (long long)v[5];
	s->seen = (long long)v[6];
	s->kept = (long long)v[7];
	if (fread(s->ring, sizeof *s->ring, s->n, fp) != s->n)
		return wn_seterr(err, WN_EDATA, "%s: sifting state: truncated", name);
	memcpy(s->sorted, s->ring, s->n * sizeof *s->ring);
	qsort(s->sorted, s->n, sizeof *s->sorted, cmp_float);
	return 0;
}
