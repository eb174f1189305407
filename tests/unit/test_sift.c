/* test_sift.c - online sifting against a slow, obvious implementation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sift.h"
#include "unit.h"

/* The slow percentile: scan the last min(t, L) losses of all[0..t). */
static double
slow_percentile(const float *all, size_t t, size_t L, float x)
{
	size_t from = t > L ? t - L : 0, n = t - from;
	double less = 0, eq = 0;
	if (n == 0)
		return 1.0;
	for (size_t i = from; i < t; i++) {
		less += all[i] < x;
		eq += all[i] == x;
	}
	return (less + 0.5 * eq + 0.5) / ((double)n + 1.0);
}

TEST(percentile_matches_slow)
{
	struct sift s;
	struct wn_err err = { 0 };
	enum { T = 3000, L = 57 };
	static float all[T];
	CHECK(sift_init(&s, 2.0, L, 0, &err) == 0, "%s", err.msg);
	for (size_t t = 0; t < T; t++) {
		/* few distinct values, so ties happen */
		float x = (float)(int)(wn_u01_counter(1, 99, t) * 40) / 4;
		all[t] = x;
		double want = slow_percentile(all, t, L, x);
		double got = sift_percentile(&s, x);
		if (fabs(got - want) > 1e-12) {
			CHECK(0, "t=%zu x=%g got %g want %g", t, x, got, want);
			break;
		}
		sift_keep(&s, x, 0.5);
	}
	CHECK(s.seen == T, "seen %lld", s.seen);
	sift_free(&s);
}

/* Kept share close to 1/(1+beta) for iid losses, within 4 binomial
 * standard deviations (plus a small allowance for the finite history). */
TEST(kept_share)
{
	static const double betas[] = { 0.5, 1, 2, 3 };
	for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++) {
		struct sift s;
		struct wn_err err = { 0 };
		enum { N = 100000 };
		CHECK(sift_init(&s, betas[b], 500, 0, &err) == 0, "%s", err.msg);
		for (uint64_t i = 0; i < N; i++) {
			float loss = (float)-log(1 - wn_u01_counter(7, 1, i));   /* exponential */
			sift_keep(&s, loss, wn_u01_counter(7, 2, i));
		}
		double share = (double)s.kept / N, want = 1 / (1 + betas[b]);
		double sd = sqrt(want * (1 - want) / N);
		CHECK(fabs(share - want) < 4 * sd + 0.002, "beta %g: kept %g, want %g",
		      betas[b], share, want);
		sift_free(&s);
	}
}

/* Harder samples are kept more often. */
TEST(keeps_high_losses)
{
	struct sift s;
	struct wn_err err = { 0 };
	long long kept_hi = 0, kept_lo = 0, n_hi = 0, n_lo = 0;
	CHECK(sift_init(&s, 1.0, 200, 0, &err) == 0, "%s", err.msg);
	for (uint64_t i = 0; i < 20000; i++) {
		float loss = (float)wn_u01_counter(3, 1, i);
		int k = sift_keep(&s, loss, wn_u01_counter(3, 2, i));
		if (loss > 0.9f) { n_hi++; kept_hi += k; }
		if (loss < 0.1f) { n_lo++; kept_lo += k; }
	}
	CHECK((double)kept_hi / n_hi > 0.85, "hi kept %lld/%lld", kept_hi, n_hi);
	CHECK((double)kept_lo / n_lo < 0.15, "lo kept %lld/%lld", kept_lo, n_lo);
	sift_free(&s);
}

TEST(delay_keeps_all)
{
	struct sift s;
	struct wn_err err = { 0 };
	CHECK(sift_init(&s, 5.0, 10, 3, &err) == 0, "%s", err.msg);
	for (int step = 0; step < 3; step++) {
		for (int i = 0; i < 10; i++)
			CHECK(sift_keep(&s, 0.0f, 0.999), "step %d dropped", step);
		sift_step(&s);
	}
	/* now a loss below the whole history, u high: dropped */
	CHECK(!sift_keep(&s, -1.0f, 0.999), "kept after the delay");
	CHECK(s.kept == 30 && s.seen == 31, "kept %lld seen %lld", s.kept, s.seen);
	sift_free(&s);
}

TEST(save_load_roundtrip)
{
	struct sift a, b;
	struct wn_err err = { 0 };
	CHECK(sift_init(&a, 1.5, 33, 2, &err) == 0, "%s", err.msg);
	CHECK(sift_init(&b, 1.5, 33, 2, &err) == 0, "%s", err.msg);
	for (uint64_t i = 0; i < 100; i++) {
		sift_keep(&a, (float)wn_u01_counter(5, 1, i), wn_u01_counter(5, 2, i));
		if (i % 10 == 9)
			sift_step(&a);
	}
	FILE *fp = tmpfile();
	CHECK(fp != NULL, "tmpfile");
	CHECK(sift_save(&a, fp, "tmp", &err) == 0, "%s", err.msg);
	rewind(fp);
	CHECK(sift_load(&b, fp, "tmp", &err) == 0, "%s", err.msg);
	fclose(fp);
	/* continue both: identical decisions */
	int same = 1;
	for (uint64_t i = 100; i < 400; i++) {
		float x = (float)wn_u01_counter(5, 1, i);
		double u = wn_u01_counter(5, 2, i);
		same &= sift_keep(&a, x, u) == sift_keep(&b, x, u);
	}
	CHECK(same && a.kept == b.kept && a.steps == b.steps, "diverged");
	sift_free(&a);
	sift_free(&b);

	/* a state saved with other settings is refused */
	CHECK(sift_init(&a, 1.0, 5, 0, &err) == 0, "%s", err.msg);
	CHECK(sift_init(&b, 2.0, 5, 0, &err) == 0, "%s", err.msg);
	fp = tmpfile();
	sift_save(&a, fp, "tmp", &err);
	rewind(fp);
	CHECK(sift_load(&b, fp, "tmp", &err) == -1 && err.code == WN_EDATA, "code %d", err.code);
	fclose(fp);
	sift_free(&a);
	sift_free(&b);
}

TEST(bad_settings)
{
	struct sift s;
	struct wn_err err = { 0 };
	CHECK(sift_init(&s, -1, 10, 0, &err) == -1 && err.code == WN_EUSAGE, "beta -1");
	CHECK(sift_init(&s, 1, 0, 0, &err) == -1 && err.code == WN_EUSAGE, "history 0");
	CHECK(sift_init(&s, 1, 10, -1, &err) == -1 && err.code == WN_EUSAGE, "delay -1");
}

int
main(void)
{
	RUN(percentile_matches_slow);
	RUN(kept_share);
	RUN(keeps_high_losses);
	RUN(delay_keeps_all);
	RUN(save_load_roundtrip);
	RUN(bad_settings);
	return unit_done();
}
