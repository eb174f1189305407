/*
 * confident.c - confident learning: thresholds, the confident joint, its
 * calibration and pruning by noise rate (see confident.h).
 *
 * Written here rather than taken from a library: cleanlab is Python only
 * and nothing in Debian does this in C; the rule is a few loops.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confident.h"

void
sur_cl_free(struct sur_cl *cl)
{
	free(cl->count);
	free(cl->thresh);
	free(cl->cj);
	free(cl->cal);
	memset(cl, 0, sizeof *cl);
}

int
sur_cl_argmax(const float *p, int k)
{
	int am = 0;
	for (int c = 1; c < k; c++)
		if (p[c] > p[am])
			am = c;
	return am;
}

double
sur_cl_quality(const float *p, int k, int y, enum sur_cl_rank rank)
{
	if (rank == SUR_CL_SELF_CONFIDENCE)
		return p[y];
	double other = -INFINITY;
	for (int c = 0; c < k; c++)
		if (c != y && p[c] > other)
			other = p[c];
	return ((double)p[y] - other + 1) / 2;
}

/*
 * Row i of the calibrated joint: num[j] / den (num[j] = C[i][j] count_i,
 * den = sum_j C[i][j] > 0) rounded to integers summing to count_i (= the
 * sum of num / den): half to even first, then one unit at a time onto the
 * entry with the largest remainder num/den - out (when short) or off the
 * one with the smallest (when over), lower index first among equals.  In
 * integers, so that the rule is exact (a double quotient can put 1.5 at
 * 1.4999999).
 */
static void
round_row(const long long *num, long long den, int k, long long total, long long *out)
{
	long long sum = 0;
	for (int c = 0; c < k; c++) {
		long long q = num[c] / den, r = num[c] % den;
		out[c] = q + (2 * r > den || (2 * r == den && q % 2 != 0));
		sum += out[c];
	}
	while (sum != total) {
		int up = sum < total, best = -1;
		long long bv = 0;
		for (int c = 0; c < k; c++) {
			long long r = num[c] - out[c] * den;    /* remainder times den */
			if (!up && out[c] <= 0)
				continue;
			if (best < 0 || (up ? r > bv : r < bv)) {
				best = c;
				bv = r;
			}
		}
		if (best < 0)
			break;  /* cannot happen: the entries are >= 0 and sum to total */
		out[best] += up ? 1 : -1;
		sum += up ? 1 : -1;
	}
}

int
sur_cl_fit(struct sur_cl *cl, const float *P, const int *y, size_t n, int k,
           struct wn_err *err)
{
	memset(cl, 0, sizeof *cl);
	cl->k = k;
	cl->n = n;
	size_t kk = (size_t)k * (size_t)k;
	cl->count = calloc(k, sizeof *cl->count);
	cl->thresh = calloc(k, sizeof *cl->thresh);
	cl->cj = calloc(kk, sizeof *cl->cj);
	cl->cal = calloc(kk, sizeof *cl->cal);
	long long *row = calloc(k, sizeof *row);
	if (!cl->count || !cl->thresh || !cl->cj || !cl->cal || !row) {
		free(row);
		sur_cl_free(cl);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %d classes", k);
	}
	/* thresholds: sums in row order, in double */
	for (size_t i = 0; i < n; i++) {
		if (y[i] < 0 || y[i] >= k) {
			free(row);
			sur_cl_free(cl);
			return wn_seterr(err, WN_EDATA, "row %zu: label %d is not in [0, %d)", i,
			                 y[i], k);
		}
		for (int c = 0; c < k; c++)
			if (!isfinite(P[i * k + c])) {
				free(row);
				sur_cl_free(cl);
				return wn_seterr(err, WN_EDATA, "row %zu: probability %d is not "
				                 "finite", i, c);
			}
		cl->count[y[i]]++;
		cl->thresh[y[i]] += P[i * k + y[i]];
	}
	for (int c = 0; c < k; c++)
		cl->thresh[c] = cl->count[c] ? cl->thresh[c] / (double)cl->count[c] : 0;
	/* the confident joint */
	for (size_t i = 0; i < n; i++) {
		const float *p = P + i * k;
		int best = -1;
		for (int c = 0; c < k; c++)
			if ((double)p[c] >= cl->thresh[c] && (best < 0 || p[c] > p[best]))
				best = c;
		if (best >= 0)
			cl->cj[(size_t)y[i] * k + best]++;
	}
	/* calibration: each row scaled to its label count, rounded */
	for (int i = 0; i < k; i++) {
		long long rs = 0;
		for (int j = 0; j < k; j++)
			rs += cl->cj[(size_t)i * k + j];
		for (int j = 0; j < k; j++)
			row[j] = rs ? cl->cj[(size_t)i * k + j] * cl->count[i] :
			         j == i ? cl->count[i] : 0;
		round_row(row, rs ? rs : 1, k, cl->count[i], cl->cal + (size_t)i * k);
	}
	free(row);
	return 0;
}

struct cand {
	double margin;
	uint64_t key;
	size_t i;
};

/* Largest margin first, then the smaller key, then the lower row. */
static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *z = b;
	if (x->margin != z->margin)
		return x->margin > z->margin ? -1 : 1;
	if (x->key != z->key)
		return x->key < z->key ? -1 : 1;
	return (x->i > z->i) - (x->i < z->i);
}

/*
 * The flags of one rule, before the rows the model agrees with are
 * unflagged: prune by noise rate (by_class 0) or prune by class (1), see
 * confident.h.  cd and rows hold the largest class's rows.
 */
static void
prune(const struct sur_cl *cl, const float *P, const int *y, const uint64_t *tiekey,
      int by_class, struct cand *cd, size_t *rows, unsigned char *flag)
{
	int k = cl->k;
	size_t n = cl->n;
	memset(flag, 0, n);
	for (int i = 0; i < k; i++) {
		if (cl->count[i] <= 1)
			continue;
		size_t ni = 0;
		for (size_t r = 0; r < n; r++)
			if (y[r] == i)
				rows[ni++] = r;
		long long left = cl->count[i] - 1;     /* keep at least one row */
		/* by class: one pick of all the class's estimated errors, by the
		 * margin -p_i (the lowest self-confidence first) */
		for (int j = by_class ? i : 0; j < (by_class ? i + 1 : k) && left > 0; j++) {
			long long take = by_class ? cl->count[i] - cl->cal[(size_t)i * k + i] :
			                 j == i ? 0 : cl->cal[(size_t)i * k + j];
			if (take <= 0)
				continue;
			if (take > left)
				take = left;
			left -= take;
			for (size_t q = 0; q < ni; q++) {
				const float *p = P + rows[q] * k;
				cd[q].margin = by_class ? -(double)p[i] : (double)p[j] - (double)p[i];
				cd[q].key = tiekey ? tiekey[rows[q]] : 0;
				cd[q].i = rows[q];
			}
			qsort(cd, ni, sizeof *cd, cand_cmp);
			for (long long q = 0; q < take; q++)
				flag[cd[q].i] = 1;
		}
	}
}

long long
sur_cl_filter(const struct sur_cl *cl, const float *P, const int *y, const uint64_t *tiekey,
              enum sur_cl_filter by, unsigned char *flag, struct wn_err *err)
{
	int k = cl->k;
	size_t n = cl->n, maxc = 0;
	for (int c = 0; c < k; c++)
		if ((size_t)cl->count[c] > maxc)
			maxc = (size_t)cl->count[c];
	struct cand *cd = malloc((maxc ? maxc : 1) * sizeof *cd);
	size_t *rows = malloc((maxc ? maxc : 1) * sizeof *rows);
	unsigned char *other = by == SUR_CL_BOTH ? malloc(n ? n : 1) : NULL;
	if (!cd || !rows || (by == SUR_CL_BOTH && !other)) {
		free(cd);
		free(rows);
		free(other);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu rows", maxc);
	}
	prune(cl, P, y, tiekey, by == SUR_CL_PRUNE_BY_CLASS, cd, rows, flag);
	if (other) {
		prune(cl, P, y, tiekey, 1, cd, rows, other);
		for (size_t r = 0; r < n; r++)
			flag[r] &= other[r];
	}
	long long nflag = 0;
	for (size_t r = 0; r < n; r++) {
		if (flag[r] && sur_cl_argmax(P + r * k, k) == y[r])
			flag[r] = 0;
		nflag += flag[r];
	}
	free(cd);
	free(rows);
	free(other);
	return nflag;
}

long long
sur_cl_prune(const struct sur_cl *cl, const float *P, const int *y,
             const uint64_t *tiekey, unsigned char *flag, struct wn_err *err)
{
	return sur_cl_filter(cl, P, y, tiekey, SUR_CL_PRUNE_BY_NOISE_RATE, flag, err);
}

int
sur_cl_write_noise(FILE *fp, const char *name, const struct sur_cl *cl,
                   char *const *classes, struct wn_err *err)
{
	int k = cl->k;
	const char **f = malloc(((size_t)k + 1) * sizeof *f);
	char *buf = malloc(((size_t)k + 1) * 24);
	int rc;

	if (f == NULL || buf == NULL) {
		free(f);
		free(buf);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
	}
	f[0] = "given";
	for (int j = 0; j < k; j++)
		f[j + 1] = classes[j];
	rc = mf_write_fields(fp, name, f, (size_t)k + 1, err);
	for (int i = 0; rc == 0 && i < k; i++) {
		f[0] = classes[i];
		for (int j = 0; j < k; j++) {
			snprintf(buf + j * 24, 24, "%lld", cl->cal[(size_t)i * k + j]);
			f[j + 1] = buf + j * 24;
		}
		rc = mf_write_fields(fp, name, f, (size_t)k + 1, err);
	}
	free(f);
	free(buf);
	return rc;
}
