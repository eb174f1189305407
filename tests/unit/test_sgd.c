/*
 * test_sgd.c - the shared optimiser (optim.h) against hand-written Adam
 * and heavy-ball steps, the epoch order against a sort by the counter
 * hash, the schedules and the tuning search by hand, the minibatch
 * softmax trainer (sgd.h) against a slow full-batch gradient step, and
 * checkpoints (ckpt.h, sgd.h) that resume exactly.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "hash.h"
#include "optim.h"
#include "sgd.h"
#include "unit.h"

TEST(adam_by_hand)
{
	/* two steps on w = (1, -2) with g = (0.5, 0.25), lambda 0.1 */
	struct sur_optim o = { 1, 0.01, 0.9, 0.999, 1e-8 };
	float W[2] = { 1, -2 }, g[2] = { 0.5f, 0.25f }, m[2] = { 0 }, v[2] = { 0 };
	double w0[2] = { 1, -2 }, mm[2] = { 0 }, vv[2] = { 0 };
	for (int t = 1; t <= 2; t++) {
		sur_optim_step(&o, t, W, g, m, v, 2, 0.1);
		for (int j = 0; j < 2; j++) {
			double gj = g[j] + 0.1 * w0[j];
			mm[j] = 0.9 * mm[j] + 0.1 * gj;
			vv[j] = 0.999 * vv[j] + 0.001 * gj * gj;
			double mh = mm[j] / (1 - pow(0.9, t)), vh = vv[j] / (1 - pow(0.999, t));
			w0[j] -= 0.01 * mh / (sqrt(vh) + 1e-8);
		}
		for (int j = 0; j < 2; j++)
			CHECK_NEAR(W[j], w0[j], 1e-6);
	}
	/* Adam's first step moves every weight by lr, whatever the gradient */
	float W1[3] = { 0, 0, 0 }, g1[3] = { 3, -1e-3f, 40 }, m1[3] = { 0 }, v1[3] = { 0 };
	sur_optim_step(&o, 1, W1, g1, m1, v1, 3, 0);
	CHECK_NEAR(W1[0], -0.01, 1e-5);
	CHECK_NEAR(W1[1], 0.01, 1e-3);
	CHECK_NEAR(W1[2], -0.01, 1e-5);
}

TEST(momentum_by_hand)
{
	struct sur_optim o = { 0, 0.1, 0.5, 0.999, 1e-8 };
	float W[1] = { 1 }, g[1] = { 2 }, m[1] = { 0 };
	sur_optim_step(&o, 1, W, g, m, NULL, 1, 0);
	CHECK_NEAR(m[0], 2, 1e-7);          /* 0.5 * 0 + 2 */
	CHECK_NEAR(W[0], 0.8, 1e-7);        /* 1 - 0.1 * 2 */
	sur_optim_step(&o, 2, W, g, m, NULL, 1, 0);
	CHECK_NEAR(m[0], 3, 1e-7);          /* 0.5 * 2 + 2 */
	CHECK_NEAR(W[0], 0.5, 1e-6);        /* 0.8 - 0.1 * 3 */
}

TEST(epoch_order_sorts_by_hash)
{
	enum { N = 200 };
	uint64_t keys[N];
	size_t order[N], rows[N / 2];
	struct sur_ord tmp[N];
	for (size_t i = 0; i < N; i++)
		keys[i] = wn_splitmix64(i * 7 + 3);
	sur_epoch_order(5, 2, keys, NULL, N, tmp, order);
	uint64_t es = 5 ^ wn_splitmix64(3);
	int seen[N] = { 0 };
	for (size_t j = 0; j < N; j++) {
		seen[order[j]]++;
		if (j > 0)
			CHECK(wn_u01_counter(es, WN_STREAM_SHUFFLE, keys[order[j - 1]]) <=
			      wn_u01_counter(es, WN_STREAM_SHUFFLE, keys[order[j]]), "j=%zu", j);
	}
	for (size_t i = 0; i < N; i++)
		CHECK(seen[i] == 1, "row %zu seen %d times", i, seen[i]);
	/* a subset keeps the relative order of the full epoch */
	for (size_t j = 0; j < N / 2; j++)
		rows[j] = 2 * j + 1;
	size_t sub[N / 2], q = 0;
	sur_epoch_order(5, 2, keys, rows, N / 2, tmp, sub);
	for (size_t j = 0; j < N; j++)
		if (order[j] % 2 == 1)
			CHECK(sub[q++] == order[j], "subset entry %zu", q - 1);
}

TEST(schedules_and_tuning)
{
	CHECK_NEAR(sur_lr_at(SUR_SCHED_CONSTANT, 0.1, 0.5, 7, 10), 0.1, 1e-15);
	CHECK_NEAR(sur_lr_at(SUR_SCHED_COSINE, 0.1, 0.5, 0, 10), 0.1, 1e-15);
	CHECK_NEAR(sur_lr_at(SUR_SCHED_COSINE, 0.1, 0.5, 5, 10), 0.05, 1e-15);
	CHECK_NEAR(sur_lr_at(SUR_SCHED_EXP, 0.1, 0.5, 3, 10), 0.0125, 1e-15);
	/* the grid: 5 lambdas x 3 rates, every pair once */
	CHECK(sur_tune_trials(0, 1) == 15 && sur_tune_trials(0, 0) == 5 &&
	      sur_tune_trials(7, 1) == 7, "trial counts");
	int seen[5][3] = { { 0 } };
	for (int i = 0; i < 15; i++) {
		double l, r;
		sur_tune_setting(0, 1, 9, 0.3, i, &l, &r);
		int li = (int)lround(log10(l)) + 6, ri = r < 0.2 ? 0 : r < 0.5 ? 1 : 2;
		CHECK(li >= 0 && li < 5 && fabs(r - 0.3 * (ri == 0 ? 1.0 / 3 : ri == 1 ? 1 : 3)) < 1e-12,
		      "trial %d: lambda %g lr %g", i, l, r);
		if (li >= 0 && li < 5)
			seen[li][ri]++;
	}
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 3; b++)
			CHECK(seen[a][b] == 1, "grid point %d %d seen %d times", a, b, seen[a][b]);
	/* random trials: in range, a function of (seed, i) */
	for (int i = 0; i < 50; i++) {
		double l, r, l2, r2;
		sur_tune_setting(50, 1, 4, 0.01, i, &l, &r);
		sur_tune_setting(50, 1, 4, 0.01, i, &l2, &r2);
		CHECK(l >= 1e-7 && l <= 1e-1 && r >= 1e-3 && r <= 1e-1 && l == l2 && r == r2,
		      "trial %d: lambda %g lr %g", i, l, r);
	}
	CHECK(sur_tune_better(0.9, 1, 0.8, 0.1) && sur_tune_better(0.8, 0.05, 0.8, 0.1) &&
	      !sur_tune_better(0.8, 0.1, 0.8, 0.1) && !sur_tune_better(0.7, 0, 0.8, 1), "ranking");
}

/* 40 rows, 3 features, 2 classes */
static void
data(float *X, int *y, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		y[i] = (int)(i % 2);
		for (int j = 0; j < 3; j++)
			X[i * 3 + j] = (float)(wn_normal_counter(9, 1, i * 3 + j) + (y[i] ? 1.5 : -1.5) * (j == 0));
	}
}

TEST(one_batch_is_a_gradient_step)
{
	/* batch = n, momentum SGD without standardisation: the first epoch
	 * is one step w -= lr * grad of the mean loss + L2, from w = 0 */
	enum { N = 40, D = 3 };
	static const char *const cls[] = { "a", "b" };
	float X[N * D];
	int y[N];
	struct wn_err err = { 0 };
	struct sur_sgd_opts o;
	data(X, y, N);
	sur_sgd_opts_default(&o);
	o.mb.batch = N;
	o.mb.adam = 0;
	o.mb.lr = 0.3;
	o.mb.standardize = 0;
	o.mb.lambda = 0.01;
	struct sur_sgd *t = sur_sgd_new(&o, X, NULL, N, D, cls, 2, &err);
	CHECK(t != NULL, "%s", err.msg);
	if (!t)
		return;
	CHECK(sur_sgd_epoch(t, X, y, NULL, N, 0, NULL, &err) == 0, "%s", err.msg);
	const struct sur_model *m = sur_sgd_model(t);
	/* at w = 0, p = 1/2 for both classes: dL/dW_c = mean (p_c - [y = c]) x */
	for (int c = 0; c < 2; c++) {
		double gb = 0;
		for (int j = 0; j < D; j++) {
			double g = 0;
			for (size_t i = 0; i < N; i++)
				g += (0.5 - (y[i] == c)) * X[i * D + j];
			CHECK_NEAR(m->w1[c * D + j], -0.3 * g / N, 1e-5);
		}
		for (size_t i = 0; i < N; i++)
			gb += 0.5 - (y[i] == c);
		CHECK_NEAR(m->b1[c], -0.3 * gb / N, 1e-6);
	}
	CHECK(m->hp.iterations == 1, "iterations %d", m->hp.iterations);
	CHECK_NEAR(m->hp.objective, log(2), 1e-6);
	sur_sgd_free(t);
}

TEST(checkpoint_resumes_exactly)
{
	enum { N = 40, D = 3 };
	static const char *const cls[] = { "a", "b" };
	float X[N * D];
	int y[N];
	uint64_t keys[N];
	struct wn_err err = { 0 };
	struct sur_sgd_opts o;
	data(X, y, N);
	for (size_t i = 0; i < N; i++)
		keys[i] = wn_splitmix64(i);
	sur_sgd_opts_default(&o);
	o.mb.batch = 7;
	o.mb.lr = 0.05;
	o.mb.keys = keys;
	o.mb.seed = 3;
	struct sur_sgd *a = sur_sgd_new(&o, X, NULL, N, D, cls, 2, &err);
	struct sur_sgd *b = sur_sgd_new(&o, X, NULL, N, D, cls, 2, &err);
	CHECK(a && b, "%s", err.msg);
	if (!a || !b)
		return;
	for (int e = 0; e < 4; e++)
		sur_sgd_epoch(a, X, y, NULL, N, 0, NULL, &err);
	for (int e = 0; e < 2; e++)
		sur_sgd_epoch(b, X, y, NULL, N, 0, NULL, &err);
	struct sur_ckpt h = { .fingerprint = 42, .epoch = 2, .best_epoch = 1, .bad = 1,
	                      .steps = 12, .seen = 80, .backward = 80, .last_loss = 0.5,
	                      .best_val = 0.25, .seconds = 1.5 }, h2;
	FILE *fp = tmpfile();
	CHECK(sur_ckpt_save(fp, "ck", &h, NULL, (sur_ckpt_save_fn *)sur_sgd_save, b, NULL, &err)
	      == 0, "%s", err.msg);
	sur_sgd_free(b);
	rewind(fp);
	CHECK(sur_ckpt_load_head(fp, "ck", 41, &h2, NULL, &err) != 0 && err.code == WN_EDATA,
	      "a checkpoint of another run accepted");
	rewind(fp);
	CHECK(sur_ckpt_load_head(fp, "ck", 42, &h2, NULL, &err) == 0, "%s", err.msg);
	CHECK(memcmp(&h, &h2, sizeof h) == 0, "the head changed on the way");
	struct sur_sgd *c = sur_sgd_new(&o, X, NULL, N, D, cls, 2, &err);
	CHECK(c && sur_sgd_load(c, fp, "ck", &err) == 0, "%s", err.msg);
	struct sur_model *best = (struct sur_model *)1;
	CHECK(sur_ckpt_load_best(fp, "ck", &h2, &best, &err) == 0 && best == NULL, "best");
	fclose(fp);
	for (int e = 0; c && e < 2; e++)
		sur_sgd_epoch(c, X, y, NULL, N, 0, NULL, &err);
	const struct sur_model *ma = sur_sgd_model(a), *mc = sur_sgd_model(c);
	CHECK(memcmp(ma->w1, mc->w1, sizeof(float) * 2 * D) == 0 &&
	      memcmp(ma->b1, mc->b1, sizeof(float) * 2) == 0, "resumed run differs");
	CHECK(mc->hp.iterations == 4, "iterations %d", mc->hp.iterations);
	sur_sgd_free(a);
	sur_sgd_free(c);
}

int
main(void)
{
	RUN(adam_by_hand);
	RUN(momentum_by_hand);
	RUN(epoch_order_sorts_by_hash);
	RUN(schedules_and_tuning);
	RUN(one_batch_is_a_gradient_step);
	RUN(checkpoint_resumes_exactly);
	return unit_done();
}
