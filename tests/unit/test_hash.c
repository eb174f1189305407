/* test_hash.c - the per-sample hash RNG: frozen values and statistics. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "unit.h"

enum { N = 200000 };

static double
u_of(uint64_t seed, long i)
{
	char id[32];
	int n = sprintf(id, "id-%ld", i);

	return wn_u01(seed, WN_STREAM_SELECT, id, (size_t)n);
}

TEST(frozen_values)
{
	/* The algorithm is part of the file contracts: a change here changes
	 * every selection ever made.  Values pinned when it was written. */
	CHECK(wn_splitmix64(0) == 0xe220a8397b1dcdafULL, "splitmix64(0)=%#llx",
	      (unsigned long long)wn_splitmix64(0));
	CHECK(wn_hash64(1, 2, "abc", 3) == 0x233428989b9fce24ULL, "hash64(1,2,abc)=%#llx",
	      (unsigned long long)wn_hash64(1, 2, "abc", 3));
	CHECK(wn_u01(42, 2, "train-0", 7) == 0.60878787672144119, "u01=%.17g",
	      wn_u01(42, 2, "train-0", 7));
	CHECK(wn_hash64(1, 2, "abc", 3) != wn_hash64(2, 2, "abc", 3), "seed ignored");
	CHECK(wn_hash64(1, 2, "abc", 3) != wn_hash64(1, 3, "abc", 3), "stream ignored");
	CHECK(wn_hash64(1, 2, "abc", 3) != wn_hash64(1, 2, "abd", 3), "id ignored");
}

TEST(uniform_mean_variance_bins)
{
	double sum = 0, sq = 0, chi2 = 0;
	long bins[20] = { 0 };

	for (long i = 0; i < N; i++) {
		double u = u_of(42, i);
		CHECK(u >= 0 && u < 1, "u=%g out of [0,1)", u);
		sum += u;
		sq += u * u;
		bins[(int)(u * 20)]++;
	}
	double mean = sum / N, var = sq / N - mean * mean;
	/* standard error of the mean: sqrt(1/12/N) = 6.5e-4; allow 5 sigma */
	CHECK(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / N), "mean %g", mean);
	CHECK(fabs(var - 1.0 / 12) < 0.002, "variance %g", var);
	for (int b = 0; b < 20; b++) {
		double e = N / 20.0;
		chi2 += (bins[b] - e) * (bins[b] - e) / e;
	}
	/* chi-squared, 19 degrees of freedom: P(chi2 > 43.8) = 0.001 */
	CHECK(chi2 < 43.8, "chi2 %g over 19 d.o.f.", chi2);
}

TEST(neighbouring_ids_uncorrelated)
{
	/* ids that differ in one character must give unrelated numbers */
	double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;

	for (long i = 0; i < N; i++) {
		double x = u_of(7, i), y = u_of(7, i + 1);
		sx += x; sy += y; sxy += x * y; sxx += x * x; syy += y * y;
	}
	double cov = sxy / N - sx / N * sy / N;
	double r = cov / sqrt((sxx / N - sx / N * sx / N) * (syy / N - sy / N * sy / N));
	/* |r| has standard error 1/sqrt(N) = 0.0022 */
	CHECK(fabs(r) < 5 / sqrt((double)N), "lag-1 correlation %g", r);
}

TEST(seeds_independent)
{
	double sxy = 0, sx = 0, sy = 0;

	for (long i = 0; i < N; i++) {
		double x = u_of(1, i), y = u_of(2, i);
		sx += x; sy += y; sxy += x * y;
	}
	double cov = sxy / N - sx / N * sy / N;
	CHECK(fabs(cov * 12) < 5 / sqrt((double)N), "correlation between seeds %g", cov * 12);
}

TEST(normal_counter)
{
	double sum = 0, sq = 0, q4 = 0;

	for (long i = 0; i < N; i++) {
		double z = wn_normal_counter(3, WN_STREAM_PATCH, (uint64_t)i);
		sum += z; sq += z * z; q4 += z * z * z * z;
	}
	CHECK(fabs(sum / N) < 5 / sqrt((double)N), "mean %g", sum / N);
	CHECK(fabs(sq / N - 1) < 0.02, "variance %g", sq / N);
	CHECK(fabs(q4 / N - 3) < 0.1, "fourth moment %g (3 for a normal)", q4 / N);
}

int
main(void)
{
	RUN(frozen_values);
	RUN(uniform_mean_variance_bins);
	RUN(neighbouring_ids_uncorrelated);
	RUN(seeds_independent);
	RUN(normal_counter);
	return unit_done();
}
