/*
 * test_confident.c - confident learning (confident.h) against hand-computed
 * cases and against a slow, obvious implementation of the thresholds, the
 * confident joint, its calibration and prune-by-noise-rate on random
 * probabilities (with ties), and of prune-by-class and both; cross-fitting (crossfit.h): the folds, a
 * row's probabilities independent of its own label, the same bits as a
 * direct fit of the complement, whatever the threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "confident.h"
#include "crossfit.h"
#include "hash.h"
#include "unit.h"

/* Probabilities given in sixteenths (exact in float). */
static void
sixteenths(float *P, const int *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		P[i] = (float)q[i] / 16.0f;
}

TEST(hand_three_classes)
{
	/* t = (25/3, 8, 10)/16; rows 2 and 5 are the wrong labels; row 7
	 * reaches no threshold, row 8 exactly that of class 2 (>= counts) */
	static const int q[] = { 12, 2, 2,  10, 4, 2,  3, 11, 2,
	                         2, 12, 2,  4, 9, 3,   2, 3, 11,
	                         1, 2, 13,  7, 2, 7,   3, 3, 10 };
	static const int y[] = { 0, 0, 0, 1, 1, 1, 2, 2, 2 };
	static const long long cj[] = { 2, 1, 0,  0, 2, 1,  0, 0, 2 };
	static const long long cal[] = { 2, 1, 0,  0, 2, 1,  0, 0, 3 };
	float P[27];
	unsigned char flag[9];
	struct sur_cl cl;
	struct wn_err err = { 0 };
	sixteenths(P, q, 27);
	CHECK(sur_cl_fit(&cl, P, y, 9, 3, &err) == 0, "%s", err.msg);
	CHECK_NEAR(cl.thresh[0], 25.0 / 48, 1e-12);
	CHECK_NEAR(cl.thresh[1], 0.5, 1e-12);
	CHECK_NEAR(cl.thresh[2], 10.0 / 16, 1e-12);
	for (int i = 0; i < 9; i++) {
		CHECK(cl.cj[i] == cj[i], "cj[%d] = %lld, want %lld", i, cl.cj[i], cj[i]);
		CHECK(cl.cal[i] == cal[i], "cal[%d] = %lld, want %lld", i, cl.cal[i], cal[i]);
	}
	CHECK(sur_cl_prune(&cl, P, y, NULL, flag, &err) == 2, "%s", err.msg);
	for (int i = 0; i < 9; i++)
		CHECK(flag[i] == (i == 2 || i == 5), "flag[%d] = %d", i, flag[i]);
	/* label quality */
	CHECK_NEAR(sur_cl_quality(P + 6, 3, 0, SUR_CL_SELF_CONFIDENCE), 3.0 / 16, 1e-12);
	CHECK_NEAR(sur_cl_quality(P + 6, 3, 0, SUR_CL_NORMALIZED_MARGIN),
	           (3.0 / 16 - 11.0 / 16 + 1) / 2, 1e-12);
	CHECK_NEAR(sur_cl_quality(P, 3, 0, SUR_CL_NORMALIZED_MARGIN),
	           (12.0 / 16 - 2.0 / 16 + 1) / 2, 1e-12);
	sur_cl_free(&cl);
}

TEST(hand_calibration_rounds)
{
	/* t = (9, 37/3)/16; C = [[2, 1], [0, 2]]; class 0 has 4 rows, so
	 * its row scales to (8/3, 4/3) -> (3, 1); class 1's to (0, 3) */
	static const int q[] = { 15, 1,  14, 2,  3, 13,  4, 12,  1, 15,  2, 14,  8, 8 };
	static const int y[] = { 0, 0, 0, 0, 1, 1, 1 };
	static const long long cj[] = { 2, 1, 0, 2 }, cal[] = { 3, 1, 0, 3 };
	float P[14];
	unsigned char flag[7];
	struct sur_cl cl;
	struct wn_err err = { 0 };
	sixteenths(P, q, 14);
	CHECK(sur_cl_fit(&cl, P, y, 7, 2, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 4; i++) {
		CHECK(cl.cj[i] == cj[i], "cj[%d] = %lld, want %lld", i, cl.cj[i], cj[i]);
		CHECK(cl.cal[i] == cal[i], "cal[%d] = %lld, want %lld", i, cl.cal[i], cal[i]);
	}
	/* one row of class 0 to prune: the largest p1 - p0 is row 2 (row 3,
	 * also predicted 1, is left: the estimate says one error) */
	CHECK(sur_cl_prune(&cl, P, y, NULL, flag, &err) == 1, "%s", err.msg);
	for (int i = 0; i < 7; i++)
		CHECK(flag[i] == (i == 2), "flag[%d] = %d", i, flag[i]);
	sur_cl_free(&cl);
}

TEST(hand_prune_by_class)
{
	/* t0 = 30/4/16; row 2 is confidently class 1 (C[0][1] = 1), row 3
	 * reaches no threshold but has the lowest p0; class 0's row of C,
	 * (2, 1, 0), scales to (8/3, 4/3, 0) -> (3, 1, 0): one error.  By noise
	 * rate it is row 2 (the largest p1 - p0), by class row 3 (the lowest
	 * p0), and no row is flagged by both. */
	static const int q[] = { 14, 1, 1,  13, 2, 1,  2, 14, 0,  1, 4, 11,
	                         1, 14, 1,  2, 13, 1,  1, 1, 14,  1, 2, 13 };
	static const int y[] = { 0, 0, 0, 0, 1, 1, 2, 2 };
	static const long long cal[] = { 3, 1, 0,  0, 2, 0,  0, 0, 2 };
	static const int want[3][8] = {
		{ 0, 0, 1, 0, 0, 0, 0, 0 },     /* prune by noise rate */
		{ 0, 0, 0, 1, 0, 0, 0, 0 },     /* prune by class */
		{ 0 },                          /* both */
	};
	float P[24];
	unsigned char flag[8];
	struct sur_cl cl;
	struct wn_err err = { 0 };
	sixteenths(P, q, 24);
	CHECK(sur_cl_fit(&cl, P, y, 8, 3, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 9; i++)
		CHECK(cl.cal[i] == cal[i], "cal[%d] = %lld, want %lld", i, cl.cal[i], cal[i]);
	for (int by = 0; by < 3; by++) {
		long long nf = sur_cl_filter(&cl, P, y, NULL, (enum sur_cl_filter)by, flag, &err);
		CHECK(nf == (by < 2), "filter %d: %lld flagged", by, nf);
		for (int i = 0; i < 8; i++)
			CHECK(flag[i] == want[by][i], "filter %d: flag[%d] = %d", by, i, flag[i]);
	}
	sur_cl_free(&cl);
}

TEST(bad_input)
{
	float P[4] = { 0.5f, 0.5f, NAN, 1 };
	int y[2] = { 0, 1 }, yb[2] = { 0, 2 };
	struct sur_cl cl;
	struct wn_err err = { 0 };
	CHECK(sur_cl_fit(&cl, P, y, 2, 2, &err) == -1 && err.code == WN_EDATA, "NaN accepted");
	P[2] = 0;
	CHECK(sur_cl_fit(&cl, P, yb, 2, 2, &err) == -1 && err.code == WN_EDATA,
	      "label out of range accepted");
}

/* ---- the slow, obvious implementation ---- */

static unsigned long long rs = 88172645463325252ull;

static double
urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) / 9007199254740992.0;
}

struct slow {
	double t[8];
	long long cj[64], cal[64];
};

/* Round num[]/den to integers summing to total, spelled out: for each
 * entry the integer nearest the quotient (half to even) by counting, then
 * sort the entries by remainder and move the first one, again and again. */
static void
slow_round(const long long *num, long long den, int k, long long total, long long *out)
{
	long long sum = 0;
	for (int c = 0; c < k; c++) {
		long long q = 0;
		while ((q + 1) * den <= num[c])
			q++;
		/* num/den - q vs 1/2: 2 num vs (2q + 1) den */
		if (2 * num[c] > (2 * q + 1) * den || (2 * num[c] == (2 * q + 1) * den && q % 2))
			q++;
		out[c] = q;
		sum += q;
	}
	while (sum != total) {
		int up = sum < total, idx[8];
		for (int c = 0; c < k; c++)
			idx[c] = c;
		/* insertion sort: largest remainder first when going up, smallest
		 * first when going down; stable (lower index first) */
		for (int a = 1; a < k; a++)
			for (int b = a; b > 0; b--) {
				long long rb = num[idx[b]] - out[idx[b]] * den;
				long long ra = num[idx[b - 1]] - out[idx[b - 1]] * den;
				if (up ? rb > ra : rb < ra) {
					int t = idx[b];
					idx[b] = idx[b - 1];
					idx[b - 1] = t;
				}
			}
		for (int a = 0; a < k; a++)
			if (up || out[idx[a]] > 0) {
				out[idx[a]] += up ? 1 : -1;
				sum += up ? 1 : -1;
				break;
			}
	}
}

static void
slow_cl(const float *P, const int *y, int n, int k, struct slow *S, const uint64_t *key,
        unsigned char *flag)
{
	long long cnt[8] = { 0 };
	memset(S, 0, sizeof *S);
	for (int j = 0; j < k; j++) {
		double s = 0;
		for (int i = 0; i < n; i++)
			if (y[i] == j) {
				s += P[i * k + j];
				cnt[j]++;
			}
		S->t[j] = cnt[j] ? s / cnt[j] : 0;
	}
	for (int i = 0; i < n; i++) {
		int conf[8], nc = 0;
		for (int j = 0; j < k; j++)
			if ((double)P[i * k + j] >= S->t[j])
				conf[nc++] = j;
		if (!nc)
			continue;
		int best = conf[0];
		for (int a = 1; a < nc; a++)
			if (P[i * k + conf[a]] > P[i * k + best])
				best = conf[a];
		S->cj[y[i] * k + best]++;
	}
	for (int i = 0; i < k; i++) {
		long long f[8], r = 0;
		for (int j = 0; j < k; j++)
			r += S->cj[i * k + j];
		for (int j = 0; j < k; j++)
			f[j] = r ? S->cj[i * k + j] * cnt[i] : (j == i ? cnt[i] : 0);
		slow_round(f, r ? r : 1, k, cnt[i], S->cal + i * k);
	}
	/* prune: pick the largest margin one at a time */
	memset(flag, 0, n);
	unsigned char *used = malloc(n);
	for (int i = 0; i < k; i++) {
		if (cnt[i] <= 1)
			continue;
		long long left = cnt[i] - 1;
		for (int j = 0; j < k; j++) {
			if (j == i)
				continue;
			long long take = S->cal[i * k + j] < left ? S->cal[i * k + j] : left;
			if (take <= 0)
				continue;
			left -= take;
			memset(used, 0, n);
			for (long long t = 0; t < take; t++) {
				int b = -1;
				double bm = 0;
				for (int r = 0; r < n; r++) {
					if (y[r] != i || used[r])
						continue;
					double m = (double)P[r * k + j] - (double)P[r * k + i];
					if (b < 0 || m > bm || (m == bm && key[r] < key[b])) {
						b = r;
						bm = m;
					}
				}
				used[b] = 1;
				flag[b] = 1;
			}
		}
	}
	free(used);
	for (int r = 0; r < n; r++) {
		int am = 0;
		for (int j = 1; j < k; j++)
			if (P[r * k + j] > P[r * k + am])
				am = j;
		if (am == y[r])
			flag[r] = 0;
	}
}

/* Prune by class, spelled out: for each class i, its count_i - cal[i][i]
 * estimated errors (at most count_i - 1) picked one at a time as the
 * unpicked row labeled i with the lowest p_i (ties: the smaller key, then
 * the lower row); then the rows the model agrees with are unflagged. */
static void
slow_pbc(const float *P, const int *y, int n, int k, const struct slow *S,
         const uint64_t *key, unsigned char *flag)
{
	memset(flag, 0, n);
	for (int i = 0; i < k; i++) {
		long long cnt = 0;
		for (int r = 0; r < n; r++)
			cnt += y[r] == i;
		long long take = cnt - S->cal[i * k + i];
		if (take > cnt - 1)
			take = cnt - 1;
		for (long long t = 0; t < take; t++) {
			int b = -1;
			for (int r = 0; r < n; r++)
				if (y[r] == i && !flag[r] &&
				    (b < 0 || P[r * k + i] < P[b * k + i] ||
				     (P[r * k + i] == P[b * k + i] && key[r] < key[b])))
					b = r;
			flag[b] = 1;
		}
	}
	for (int r = 0; r < n; r++) {
		int am = 0;
		for (int j = 1; j < k; j++)
			if (P[r * k + j] > P[r * k + am])
				am = j;
		if (am == y[r])
			flag[r] = 0;
	}
}

TEST(random_against_slow)
{
	enum { N = 400 };
	static float P[N * 8];
	static int y[N];
	static uint64_t key[N];
	static unsigned char f1[N], f2[N];
	for (int trial = 0; trial < 60; trial++) {
		int k = 2 + trial % 6, n = 20 + (int)(urand() * (N - 20));
		int quant = trial % 3 == 0;     /* eighths: ties in margins and thresholds */
		for (int i = 0; i < n; i++) {
			double s = 0, v[8];
			int truth = (int)(urand() * k);
			for (int j = 0; j < k; j++) {
				v[j] = urand() + (j == truth ? 1.5 * urand() : 0);
				if (quant)
					v[j] = floor(v[j] * 4) + 1;
				s += v[j];
			}
			for (int j = 0; j < k; j++)
				P[i * k + j] = (float)(v[j] / s);
			y[i] = urand() < 0.25 ? (int)(urand() * k) : truth;
			key[i] = quant ? (uint64_t)(urand() * 4) : wn_splitmix64((uint64_t)i);
		}
		struct sur_cl cl;
		struct slow S;
		struct wn_err err = { 0 };
		CHECK(sur_cl_fit(&cl, P, y, n, k, &err) == 0, "%s", err.msg);
		long long nf = sur_cl_prune(&cl, P, y, key, f1, &err);
		slow_cl(P, y, n, k, &S, key, f2);
		long long ns = 0;
		for (int j = 0; j < k; j++)
			CHECK(cl.thresh[j] == S.t[j], "trial %d t[%d] %.17g vs %.17g", trial, j,
			      cl.thresh[j], S.t[j]);
		for (int j = 0; j < k * k; j++) {
			CHECK(cl.cj[j] == S.cj[j], "trial %d cj[%d] %lld vs %lld", trial, j,
			      cl.cj[j], S.cj[j]);
			CHECK(cl.cal[j] == S.cal[j], "trial %d cal[%d] %lld vs %lld", trial, j,
			      cl.cal[j], S.cal[j]);
		}
		for (int i = 0; i < n; i++) {
			CHECK(f1[i] == f2[i], "trial %d row %d flag %d vs slow %d", trial, i, f1[i],
			      f2[i]);
			ns += f2[i];
		}
		CHECK(nf == ns, "trial %d: %lld flagged, slow %lld", trial, nf, ns);
		/* prune by class, and both: the rows flagged by noise rate
		 * and by class (unflagging the agreed rows commutes with and) */
		static unsigned char f3[N], f4[N];
		slow_pbc(P, y, n, k, &S, key, f3);
		CHECK(sur_cl_filter(&cl, P, y, key, SUR_CL_PRUNE_BY_CLASS, f4, &err) >= 0, "%s",
		      err.msg);
		for (int i = 0; i < n; i++)
			CHECK(f4[i] == f3[i], "trial %d row %d by class %d vs slow %d", trial, i,
			      f4[i], f3[i]);
		CHECK(sur_cl_filter(&cl, P, y, key, SUR_CL_BOTH, f4, &err) >= 0, "%s", err.msg);
		for (int i = 0; i < n; i++)
			CHECK(f4[i] == (f2[i] & f3[i]), "trial %d row %d both %d vs slow %d", trial,
			      i, f4[i], f2[i] & f3[i]);
		sur_cl_free(&cl);
	}
}

/* ---- cross-fitting ---- */

static const char *const cls3[] = { "a", "b", "c" };

/* n rows of 3 classes in 3-D, ids "r<i>" hashed as sur_data_load does. */
static void
blobs(struct sur_data *D, size_t n)
{
	memset(D, 0, sizeof *D);
	D->n = n;
	D->d = 3;
	D->k = 3;
	D->X = malloc(n * 3 * sizeof *D->X);
	D->y = malloc(n * sizeof *D->y);
	D->keys = malloc(n * sizeof *D->keys);
	D->classes = (char **)cls3;
	for (size_t i = 0; i < n; i++) {
		char id[32];
		int len = snprintf(id, sizeof id, "r%zu", i);
		D->keys[i] = wn_hash64(0, WN_STREAM_SHUFFLE, id, (size_t)len);
		D->y[i] = (int)(i % 3);
		for (int j = 0; j < 3; j++)
			D->X[i * 3 + j] = (float)((j == D->y[i] ? 1.5 : 0) + 2 * urand() - 1);
	}
}

static void
blobs_free(struct sur_data *D)
{
	free(D->X);
	free(D->y);
	free(D->keys);
}

TEST(crossfit_folds_and_independence)
{
	enum { N = 240 };
	struct sur_data D;
	struct sur_cf_opts o = { .folds = 5, .seed = 7, .kind = SUR_SOFTMAX };
	struct wn_err err = { 0 };
	static float P1[N * 3], P2[N * 3], P3[N * 3];
	static int fold[N];
	blobs(&D, N);
	sur_softmax_opts_default(&o.softmax);
	int sizes[5] = { 0 };
	CHECK(sur_cf_predict(&D, &o, fold, P1, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < N; i++) {
		CHECK(fold[i] == sur_cf_fold(D.keys[i], 7, 5), "row %zu fold %d", i, fold[i]);
		CHECK(fold[i] == (int)(wn_u01_counter(7, WN_STREAM_FOLD, D.keys[i]) * 5),
		      "row %zu: fold %d is not floor(K u)", i, fold[i]);
		sizes[fold[i]]++;
		double s = 0;
		for (int c = 0; c < 3; c++)
			s += P1[i * 3 + c];
		CHECK_NEAR(s, 1, 1e-5);
	}
	for (int f = 0; f < 5; f++)
		CHECK(sizes[f] > N / 10, "fold %d has %d rows", f, sizes[f]);
	/* changing row 17's label changes nothing of row 17, but other rows */
	D.y[17] = (D.y[17] + 1) % 3;
	CHECK(sur_cf_predict(&D, &o, NULL, P2, &err) == 0, "%s", err.msg);
	CHECK(memcmp(P1 + 17 * 3, P2 + 17 * 3, 3 * sizeof *P1) == 0,
	      "row 17's probabilities moved with its own label");
	CHECK(memcmp(P1, P2, sizeof P1) != 0, "no row's probabilities depend on row 17's label");
	D.y[17] = (D.y[17] + 2) % 3;
	/* the same bits with another thread count */
	openblas_set_num_threads(1);
	CHECK(sur_cf_predict(&D, &o, NULL, P3, &err) == 0, "%s", err.msg);
	CHECK(memcmp(P1, P3, sizeof P1) == 0, "threads changed the probabilities");
	openblas_set_num_threads(2);
	/* fold 2's rows: exactly a direct sur_softmax_fit on the other rows */
	static float Xt[N * 3];
	static int yt[N];
	size_t nt = 0;
	for (size_t i = 0; i < N; i++)
		if (fold[i] != 2) {
			memcpy(Xt + nt * 3, D.X + i * 3, 3 * sizeof *Xt);
			yt[nt++] = D.y[i];
		}
	struct sur_softmax_opts so = o.softmax;
	so.infl = SUR_INFL_NONE;
	struct sur_model *m = sur_softmax_fit(Xt, yt, NULL, nt, 3, cls3, 3, &so, &err);
	CHECK(m != NULL, "%s", err.msg);
	for (size_t i = 0; m && i < N; i++)
		if (fold[i] == 2) {
			float p[3];
			sur_predict_proba(m, D.X + i * 3, 1, p, NULL, &err);
			CHECK(memcmp(p, P1 + i * 3, sizeof p) == 0, "row %zu differs from a direct fit",
			      i);
		}
	sur_model_free(m);
	/* the mlp through the same path */
	o.kind = SUR_MLP;
	sur_mlp_opts_default(&o.mlp);
	o.mlp.hidden = 8;
	o.mlp.mb.epochs = 3;
	CHECK(sur_cf_predict(&D, &o, NULL, P2, &err) == 0, "%s", err.msg);
	CHECK(P2[0] > 0 && P2[0] < 1, "mlp p = %g", P2[0]);
	blobs_free(&D);
}

TEST(crossfit_refuses)
{
	struct sur_data D;
	struct sur_cf_opts o = { .folds = 5, .kind = SUR_SOFTMAX };
	struct wn_err err = { 0 };
	float P[60 * 3];
	blobs(&D, 60);
	sur_softmax_opts_default(&o.softmax);
	/* class "c" down to 4 rows: fewer than 5 folds */
	int left = 0;
	for (size_t i = 0; i < 60; i++)
		if (D.y[i] == 2 && left++ >= 4)
			D.y[i] = 0;
	CHECK(sur_cf_predict(&D, &o, NULL, P, &err) == -1, "accepted");
	CHECK(err.code == WN_EDATA, "code %d", err.code);
	CHECK(strstr(err.msg, "class \"c\" has 4 labeled rows") != NULL, "%s", err.msg);
	o.folds = 1;
	CHECK(sur_cf_predict(&D, &o, NULL, P, &err) == -1 && err.code == WN_EUSAGE, "1 fold");
	blobs_free(&D);
}

int
main(void)
{
	openblas_set_num_threads(2);
	RUN(hand_three_classes);
	RUN(hand_calibration_rounds);
	RUN(hand_prune_by_class);
	RUN(bad_input);
	RUN(random_against_slow);
	RUN(crossfit_folds_and_independence);
	RUN(crossfit_refuses);
	return unit_done();
}
