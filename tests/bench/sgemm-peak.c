/*
 * sgemm-peak.c - cblas_sgemm's GFLOP/s on a 2048-square product, best of
 * 3, on THREADS OpenBLAS threads: the peak tests/bench/dedup.sh measures
 * exact search against.
 *
 *   sgemm-peak THREADS
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	int N = 2048;
	openblas_set_num_threads(argc > 1 ? atoi(argv[1]) : 1);
	float *A = calloc((size_t)N * N, sizeof *A), *B = calloc((size_t)N * N, sizeof *B);
	float *C = calloc((size_t)N * N, sizeof *C);
	double best = 1e30;
	for (int rep = 0; A && B && C && rep < 3; rep++) {
		double t = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1, A, N, B, N, 0, C, N);
		t = now() - t;
		best = t < best ? t : best;
	}
	printf("%.1f\n", 2.0 * N * N * N / best / 1e9);
	free(A);
	free(B);
	free(C);
	return 0;
}
