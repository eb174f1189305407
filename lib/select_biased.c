/*
 * select_biased.c - biased sampling's solver: c with sum min(1, c s^alpha)
 * = budget, and pi (see select.h).
 */
#include <math.h>
#include <stdlib.h>

#include "select_int.h"

double
sel_biased_logc(const double *lw, size_t n, double budget)
{
	size_t npos = 0;
	while (npos < n && lw[npos] > -INFINITY)
		npos++;
	if (!(budget <= (double)npos))
		return NAN;
	if (budget == (double)npos)
		return INFINITY;
	/* L[m] = log of the sum of w[m..npos), added from the smallest up:
	 * L[m] = lw[m] + log1p(exp(L[m+1] - lw[m])), lw[m] the largest */
	double *L = malloc((npos + 1) * sizeof *L);
	if (L == NULL)
		return NAN;
	L[npos] = -INFINITY;
	for (size_t i = npos; i-- > 0;)
		L[i] = lw[i] + log1p(exp(L[i + 1] - lw[i]));
	/* smallest m with (budget - m) * w[m] <= S[m]: the m largest are
	 * saturated (pi = 1); the condition is monotone in m and holds at
	 * m = ceil(budget) - 1 */
	size_t lo = 0, hi = (size_t)ceil(budget);
	hi = hi > 0 ? hi - 1 : 0;
	if (hi > npos - 1)
		hi = npos - 1;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (log(budget - (double)m) + lw[m] <= L[m])
			hi = m;
		else
			lo = m + 1;
	}
	double logc = log(budget - (double)lo) - L[lo];
	free(L);
	return logc;
}

double
sel_biased_c(const double *w, size_t n, double budget)
{
	double *lw = malloc((n + 1) * sizeof *lw);
	if (lw == NULL)
		return NAN;
	for (size_t i = 0; i < n; i++)
		lw[i] = w[i] > 0 ? log(w[i]) : -INFINITY;
	double logc = sel_biased_logc(lw, n, budget);
	free(lw);
	return exp(logc);
}

/* log(s^alpha): -inf for a zero weight (s = 0, alpha > 0), +inf for an
 * infinite one (s = 0, alpha < 0: the easiest rows, kept for certain). */
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
