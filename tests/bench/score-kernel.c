/*
 * score-kernel.c - the scoring kernels against OpenBLAS on the same
 * shapes, in this process, single-threaded: the forward pass
 * (sur_predict_proba, N rows of a softmax model with K classes) against
 * cblas_sgemm of the same product and against PEAK, cblas_sgemm's
 * GFLOP/s on a 2048-square product (sgemm-peak.c, run just before);
 * per-class influence (sur_score_block, K factors of d+1, NINFL rows)
 * against K cblas_strsm of the same rows.  Best of 3.  Used by
 * tests/bench/score.sh.
 *
 *   score-kernel N D K NINFL PEAK
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "score.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static float frand(void)
{
	return (float)rand() / RAND_MAX - 0.5f;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: score-kernel N D K NINFL PEAK\n");
		return 64;
	}
	int n = atoi(argv[1]), d = atoi(argv[2]), k = atoi(argv[3]), ni = atoi(argv[4]);
	openblas_set_num_threads(1);
	struct sur_model *m = sur_model_new(SUR_SOFTMAX, d, k, 0, NULL);
	int d1 = d + 1;
	float *X = malloc((size_t)n * d * sizeof *X), *P = malloc((size_t)n * k * sizeof *P);
	float *Z = malloc((size_t)n * k * sizeof *Z);
	float *L = malloc((size_t)k * d1 * d1 * sizeof *L), *B = malloc((size_t)ni * d1 * sizeof *B);
	float *Ls = malloc((size_t)d1 * d1 * sizeof *Ls);
	double *S = malloc((size_t)n * sizeof *S);
	if (!m || !X || !P || !Z || !L || !B || !Ls || !S)
		return 70;
	srand(1);
	for (size_t i = 0; i < (size_t)n * d; i++)
		X[i] = frand();
	for (int i = 0; i < k * d; i++)
		m->w1[i] = 0.01f * sinf((float)i);
	/* lower factors with a dominant diagonal */
	for (int c = 0; c < k; c++)
		for (int i = 0; i < d1; i++)
			for (int j = 0; j < d1; j++)
				L[((size_t)c * d1 + i) * d1 + j] = j < i ? 0.01f * frand() : j == i ? 1 : 0;
	for (size_t i = 0; i < (size_t)d1 * d1; i++)
		Ls[i] = L[i];
	m->infl_class = L;
	m->infl_shared = Ls;
	m->infl = SUR_INFL_CLASS;

	double fwd = 1e30, gemm = 1e30, infl = 1e30, trsm = 1e30, shr = 1e30, trsm1 = 1e30;
	for (int rep = 0; rep < 3; rep++) {
		double t = now();
		sur_predict_proba(m, X, n, P, NULL, NULL);
		t = now() - t;
		fwd = t < fwd ? t : fwd;
		t = now();
		for (int i0 = 0; i0 < n; i0 += 1024) {
			int nb = n - i0 < 1024 ? n - i0 : 1024;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, k, d, 1,
			            X + (size_t)i0 * d, d, m->w1, d, 0, Z + (size_t)i0 * k, k);
		}
		t = now() - t;
		gemm = t < gemm ? t : gemm;

		t = now();
		sur_score_block(m, SUR_INFLUENCE, X, P, NULL, ni, S, NULL, NULL);
		t = now() - t;
		infl = t < infl ? t : infl;
		t = now();
		sur_score_block(m, SUR_INFLUENCE_SHARED, X, P, NULL, ni, S, NULL, NULL);
		t = now() - t;
		shr = t < shr ? t : shr;
		/* the reference: the same solves as BLAS triangular solves of
		 * the rows (B' = L^-1 B'), the rows copied in first */
		t = now();
		for (int c = 0; c < k; c++) {
			for (int i = 0; i < ni; i++)
				for (int j = 0; j < d1; j++)
					B[(size_t)i * d1 + j] = j < d ? X[(size_t)i * d + j] : 1;
			cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit,
			            ni, d1, 1, L + (size_t)c * d1 * d1, d1, B, d1);
			if (c == 0) {
				double t1 = now() - t;
				trsm1 = t1 < trsm1 ? t1 : trsm1;
			}
		}
		t = now() - t;
		trsm = t < trsm ? t : trsm;
	}
	/* the peak: cblas_sgemm on a 2048-square product (sgemm-peak.c),
	 * measured by the caller just before */
	double peak = atof(argv[5]);
	double ff = 2.0 * n * d * k / 1e9, fi = (double)k * ni * d1 * d1 / 1e9;
	printf("d=%d: forward %.0f rows/s = %.1f GFLOP/s = %.0f%% of peak; sgemm same shape "
	       "%.1f GFLOP/s; forward / sgemm time %.2f\n", d, n / fwd, ff / fwd,
	       100 * ff / fwd / peak, ff / gemm, fwd / gemm);
	printf("d=%d: influence %.0f rows/s = %.1f GFLOP/s = %.0f%% of peak; strsm same solves "
	       "%.0f rows/s; influence / strsm time %.2f\n", d, ni / infl, fi / infl,
	       100 * fi / infl / peak, ni / trsm, infl / trsm);
	printf("d=%d: influence-shared %.0f rows/s; one strsm %.0f rows/s; time ratio %.2f\n",
	       d, ni / shr, ni / trsm1, shr / trsm1);
	m->infl_class = NULL;
	m->infl_shared = NULL;
	sur_model_free(m);
	free(X); free(P); free(Z); free(L); free(Ls); free(B); free(S);
	return 0;
}
