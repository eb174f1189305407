/*
 * softmax-pass.c - the L-BFGS objective-and-gradient pass of winnow's
 * softmax (sur_softmax_loss_grad: one fused, threaded pass) against the
 * same work as two cblas_sgemm calls a 2048-row block (what the pass
 * replaced), and against cblas_sgemm's peak on a square product, all in
 * this process.  Used by tests/bench/softmax-pass.sh.
 *
 *   softmax-pass N D K THREADS
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "softmax.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: softmax-pass N D K THREADS\n");
		return 64;
	}
	int n = atoi(argv[1]), d = atoi(argv[2]), k = atoi(argv[3]), th = atoi(argv[4]);
	openblas_set_num_threads(th);
	float *X = malloc((size_t)n * d * sizeof *X), *gW = malloc((size_t)k * d * sizeof *gW);
	float *Z = malloc((size_t)2048 * k * sizeof *Z), *G = malloc((size_t)k * d * sizeof *G);
	float *gb = malloc(k * sizeof *gb);
	int *y = malloc(n * sizeof *y);
	struct sur_model *m = sur_model_new(SUR_SOFTMAX, d, k, 0, NULL);
	if (!X || !gW || !Z || !G || !gb || !y || !m)
		return 70;
	srand(1);
	for (size_t i = 0; i < (size_t)n * d; i++)
		X[i] = (float)rand() / RAND_MAX - 0.5f;
	for (int i = 0; i < n; i++)
		y[i] = i % k;
	for (int i = 0; i < k * d; i++)
		m->w1[i] = 0.01f * sinf((float)i);
	double f, flops = 4.0 * n * d * k, best_pass = 1e30, best_gemm = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		double t = now();
		sur_softmax_loss_grad(m, X, y, NULL, n, n, 1e-3, &f, gW, gb, NULL);
		t = now() - t;
		best_pass = t < best_pass ? t : best_pass;
		t = now();
		for (int i0 = 0; i0 < n; i0 += 2048) {
			int nb = n - i0 < 2048 ? n - i0 : 2048;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, k, d, 1, X + (size_t)i0 * d,
			            d, m->w1, d, 0, Z, k);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, nb, 1, Z, k,
			            X + (size_t)i0 * d, d, 0, G, d);
		}
		t = now() - t;
		best_gemm = t < best_gemm ? t : best_gemm;
	}
	int N = 2048;
	float *A = calloc((size_t)N * N, sizeof *A), *B = calloc((size_t)N * N, sizeof *B);
	float *C = calloc((size_t)N * N, sizeof *C);
	double best_peak = 1e30;
	for (int rep = 0; A && B && C && rep < 3; rep++) {
		double t = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, A, N, B, N, 0, C, N);
		t = now() - t;
		best_peak = t < best_peak ? t : best_peak;
	}
	double peak = 2.0 * N * N * N / best_peak / 1e9;
	printf("%d threads: fused pass %.1f ms (%.1f GFLOP/s, %.0f%% of sgemm peak %.1f); "
	       "two sgemm a block %.1f ms (%.1f GFLOP/s); pass / sgemm time %.2f\n",
	       th, best_pass * 1e3, flops / best_pass / 1e9, 100 * flops / best_pass / 1e9 / peak,
	       peak, best_gemm * 1e3, flops / best_gemm / 1e9, best_pass / best_gemm);
	return 0;
}
