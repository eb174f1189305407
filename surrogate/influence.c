/*
 * influence.c - the influence factors of a softmax model (score.h): the
 * Cholesky factors of the regularised Hessian per class and of the
 * shared covariance, by BLAS ssyrk and LAPACKE.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "softmax.h"

/* The L2 term added to the factored matrices: lambda, or a tiny ridge
 * when lambda is 0 so that the factors exist. */
static double
infl_ridge(double lambda)
{
	return lambda > 1e-6 ? lambda : 1e-6;
}

/* acc (d1 x d1, double, lower) += A' A for A (nb x d1), via ssyrk into
 * the float scratch t. */
static void
syrk_acc(const float *A, size_t nb, int d1, float *t, double *acc)
{
	cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, d1, (int)nb, 1.0f, A, d1, 0.0f, t, d1);
	for (int r = 0; r < d1; r++)
		for (int c = 0; c <= r; c++)
			acc[(size_t)r * d1 + c] += t[(size_t)r * d1 + c];
}

/* Factor acc + ridge I (lower) into out as float; 65 if not PD. */
static int
factor(double *acc, int d1, double ridge, float *out, const char *what,
       struct wn_err *err)
{
	for (int r = 0; r < d1; r++)
		acc[(size_t)r * d1 + r] += ridge;
	lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', d1, acc, d1);
	if (info != 0)
		return wn_seterr(err, WN_EDATA, "influence: the %s matrix is not positive "
		                 "definite (LAPACK dpotrf info %d): use a larger lambda", what,
		                 (int)info);
	for (int r = 0; r < d1; r++)
		for (int c = 0; c < d1; c++)
			out[(size_t)r * d1 + c] = c <= r ? (float)acc[(size_t)r * d1 + c] : 0.0f;
	return 0;
}

int
sur_influence_factors(struct sur_model *m, const float *X, const float *w, size_t n,
                      double S, enum sur_infl kind, struct wn_err *err)
{
	if (m->kind != SUR_SOFTMAX)
		return wn_seterr(err, WN_EUSAGE, "influence factors need a softmax model");
	int d = m->d, k = m->k, d1 = sur_model_d1(m);
	size_t dd = (size_t)d1 * d1, B = SUR_BLOCK;
	int ncls = kind == SUR_INFL_CLASS ? k : 0;
	double *acc = calloc(dd * (1 + ncls), sizeof *acc);
	float *t = malloc(dd * sizeof *t);
	float *A = malloc(B * d1 * sizeof *A), *sA = malloc(B * d1 * sizeof *sA);
	float *P = malloc(B * k * sizeof *P);
	float *fs = malloc(dd * sizeof *fs), *fc = ncls ? malloc(dd * ncls * sizeof *fc) : NULL;
	struct sur_ws *ws = sur_ws_new(m, B, err);
	int rc = -1;
	if (!acc || !t || !A || !sA || !P || !fs || (ncls && !fc) || !ws) {
		wn_seterr(err, WN_ESOFTWARE, "influence: out of memory (%d x %d matrices)", d1, d1);
		goto out;
	}
	for (size_t i0 = 0; i0 < n; i0 += B) {
		size_t nb = n - i0 < B ? n - i0 : B;
		/* A = [x~ 1] scaled by sqrt(s_i / S) */
		sur_standardize(m, X + i0 * d, nb, ws->xs);
		for (size_t i = 0; i < nb; i++) {
			float sc = (float)sqrt((w ? w[i0 + i] : 1.0) / S);
			for (int j = 0; j < d; j++)
				A[i * d1 + j] = sc * ws->xs[i * d + j];
			if (d1 > d)
				A[i * d1 + d] = sc;
		}
		syrk_acc(A, nb, d1, t, acc);
		if (!ncls)
			continue;
		sur__forward(m, ws->xs, nb, P, ws);
		for (int c = 0; c < k; c++) {
			for (size_t i = 0; i < nb; i++) {
				float p = P[i * k + c];
				float s = sqrtf(p * (1 - p));
				for (int j = 0; j < d1; j++)
					sA[i * d1 + j] = s * A[i * d1 + j];
			}
			syrk_acc(sA, nb, d1, t, acc + dd * (1 + c));
		}
	}
	double ridge = infl_ridge(m->hp.lambda);
	if (factor(acc, d1, ridge, fs, "shared covariance", err) < 0)
		goto out;
	for (int c = 0; c < ncls; c++) {
		char what[64];
		snprintf(what, sizeof what, "class %d Fisher", c);
		if (factor(acc + dd * (1 + c), d1, ridge, fc + dd * c, what, err) < 0)
			goto out;
	}
	free(m->infl_shared);
	free(m->infl_class);
	m->infl_shared = fs;
	m->infl_class = fc;
	fs = fc = NULL;
	m->infl = kind == SUR_INFL_CLASS ? SUR_INFL_CLASS : SUR_INFL_SHARED;
	rc = 0;
out:
	free(acc);
	free(t);
	free(A);
	free(sA);
	free(P);
	free(fs);
	free(fc);
	sur_ws_free(ws);
	return rc;
}
