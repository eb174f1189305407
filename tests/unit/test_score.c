/*
 * test_score.c - every score of score.h against a slow, direct computation
 * in double (explicit matrices and Gaussian elimination for influence,
 * explicit backpropagation for grand), and the k-means of prototype.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "score.h"
#include "softmax.h"
#include "unit.h"

enum { N = 300, D = 4, K = 3, D1 = D + 1, H = 6 };
static const char *const cls3[] = { "a", "b", "c" };

static void synth(float *X, int *y, float *w, int n, int d, int k, unsigned seed)
{
	unsigned s = seed * 2654435761u + 1;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < d; j++) {
			s = s * 1103515245u + 12345u;
			X[i * d + j] = (float)((s >> 8) % 20000) / 10000.0f - 1.0f + 0.5f * j;
		}
		y[i] = (X[i * d] + X[i * d + 1] > 0.5) + (X[i * d + 2] > 1.0);
		if (i % 7 == 0)
			y[i] = (y[i] + 1) % k;
		if (w)
			w[i] = 0.5f + (float)(i % 3);
	}
}

/* Probabilities of a softmax or mlp model, in double, directly. */
static void slow_proba(const struct sur_model *m, const float *x, double *p, double *a)
{
	double xs[64], z[16], mx = -1e300, se = 0;
	for (int j = 0; j < m->d; j++)
		xs[j] = ((double)x[j] - m->mean[j]) * m->scale[j];
	if (m->kind == SUR_SOFTMAX) {
		for (int c = 0; c < m->k; c++) {
			z[c] = m->b1[c];
			for (int j = 0; j < m->d; j++)
				z[c] += m->w1[c * m->d + j] * xs[j];
		}
	} else {
		for (int u = 0; u < m->h; u++) {
			a[u] = m->b1[u];
			for (int j = 0; j < m->d; j++)
				a[u] += m->w1[u * m->d + j] * xs[j];
			a[u] = a[u] > 0 ? a[u] : 0;
		}
		for (int c = 0; c < m->k; c++) {
			z[c] = m->b2[c];
			for (int u = 0; u < m->h; u++)
				z[c] += m->w2[c * m->h + u] * a[u];
		}
	}
	for (int c = 0; c < m->k; c++)
		mx = fmax(mx, z[c]);
	for (int c = 0; c < m->k; c++)
		se += exp(z[c] - mx);
	for (int c = 0; c < m->k; c++)
		p[c] = exp(z[c] - mx) / se;
}

/* x' A^-1 x by Gaussian elimination with partial pivoting (A is n x n,
 * destroyed). */
static double solve_quad(double *A, const double *x, int n)
{
	double b[64], z[64];
	memcpy(b, x, n * sizeof *b);
	for (int c = 0; c < n; c++) {
		int piv = c;
		for (int r = c + 1; r < n; r++)
			if (fabs(A[r * n + c]) > fabs(A[piv * n + c]))
				piv = r;
		for (int t = 0; t < n; t++) {
			double s = A[c * n + t];
			A[c * n + t] = A[piv * n + t];
			A[piv * n + t] = s;
		}
		double s = b[c];
		b[c] = b[piv];
		b[piv] = s;
		for (int r = c + 1; r < n; r++) {
			double f = A[r * n + c] / A[c * n + c];
			for (int t = c; t < n; t++)
				A[r * n + t] -= f * A[c * n + t];
			b[r] -= f * b[c];
		}
	}
	for (int r = n - 1; r >= 0; r--) {
		double s = b[r];
		for (int t = r + 1; t < n; t++)
			s -= A[r * n + t] * z[t];
		z[r] = s / A[r * n + r];
	}
	double q = 0;
	for (int r = 0; r < n; r++)
		q += x[r] * z[r];
	return q;
}

static struct sur_model *fit(const float *X, const int *y, const float *w)
{
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 0.02;
	o.norm = SUR_NORM_WEIGHT;
	struct wn_err err = { 0 };
	struct sur_model *m = sur_softmax_fit(X, y, w, N, D, cls3, K, &o, &err);
	if (!m)
		printf("# fit: %s\n", err.msg);
	return m;
}

static void scores(const struct sur_model *m, enum sur_method meth, const float *X,
                   const int *y, double *out)
{
	float *P = malloc(sizeof(float) * N * m->k);
	struct wn_err err = { 0 };
	sur_predict_proba(m, X, N, P, NULL, NULL);
	if (sur_score_block(m, meth, X, P, y, N, out, NULL, &err) < 0)
		printf("# %s: %s\n", sur_method_name(meth), err.msg);
	free(P);
}

TEST(uncertainty_and_label_scores)
{
	float X[N * D], w[N];
	int y[N];
	synth(X, y, w, N, D, K, 1);
	struct sur_model *m = fit(X, y, w);
	if (!m)
		return;
	enum sur_method ms[] = { SUR_ENTROPY, SUR_MARGIN, SUR_LEASTCONF, SUR_LOSS, SUR_EL2N,
	                         SUR_GRAND };
	for (size_t t = 0; t < sizeof ms / sizeof ms[0]; t++) {
		double got[N];
		scores(m, ms[t], X, y, got);
		for (int i = 0; i < N; i++) {
			double p[K], a[1], want = 0, p1 = -1, p2 = -1, r2 = 0, x2 = 1;
			slow_proba(m, X + i * D, p, a);
			for (int c = 0; c < K; c++) {
				if (p[c] > p1) {
					p2 = p1;
					p1 = p[c];
				} else if (p[c] > p2) {
					p2 = p[c];
				}
				r2 += (p[c] - (c == y[i])) * (p[c] - (c == y[i]));
			}
			for (int j = 0; j < D; j++) {
				double xs = (X[i * D + j] - m->mean[j]) * m->scale[j];
				x2 += xs * xs;
			}
			switch (ms[t]) {
			case SUR_ENTROPY:
				for (int c = 0; c < K; c++)
					want -= p[c] * log(p[c]);
				break;
			case SUR_MARGIN: want = 1 - (p1 - p2); break;
			case SUR_LEASTCONF: want = 1 - p1; break;
			case SUR_LOSS: want = -log(p[y[i]]); break;
			case SUR_EL2N: want = sqrt(r2); break;
			default:
				/* ||(p - e_y) [x~ 1]'||_F, element by element */
				for (int c = 0; c < K; c++)
					for (int j = 0; j <= D; j++) {
						double xs = j < D ? (X[i * D + j] - m->mean[j]) * m->scale[j] : 1;
						double g = (p[c] - (c == y[i])) * xs;
						want += g * g;
					}
				want = sqrt(want);
			}
			CHECK(fabs(got[i] - want) < 2e-5 * (1 + fabs(want)), "%s row %d: %g vs %g",
			      sur_method_name(ms[t]), i, got[i], want);
			(void)x2;
		}
	}
	sur_model_free(m);
}

TEST(influence_scores)
{
	float X[N * D], w[N];
	int y[N];
	synth(X, y, w, N, D, K, 2);
	struct sur_model *m = fit(X, y, w);
	if (!m)
		return;
	double S = m->hp.sum_weight, lambda = m->hp.lambda;
	/* H_k and C from model.h, directly */
	static double Hk[K + 1][D1 * D1];
	memset(Hk, 0, sizeof Hk);
	for (int i = 0; i < N; i++) {
		double p[K], a[1], xt[D1];
		slow_proba(m, X + i * D, p, a);
		for (int j = 0; j < D; j++)
			xt[j] = (X[i * D + j] - m->mean[j]) * m->scale[j];
		xt[D] = 1;
		for (int c = 0; c <= K; c++) {
			double v = c < K ? p[c] * (1 - p[c]) : 1;
			for (int r = 0; r < D1; r++)
				for (int q = 0; q < D1; q++)
					Hk[c][r * D1 + q] += w[i] / S * v * xt[r] * xt[q];
		}
	}
	for (int c = 0; c <= K; c++)
		for (int r = 0; r < D1; r++)
			Hk[c][r * D1 + r] += lambda;
	double got[N], gots[N];
	scores(m, SUR_INFLUENCE, X, NULL, got);
	scores(m, SUR_INFLUENCE_SHARED, X, NULL, gots);
	for (int i = 0; i < N; i += 3) {
		double p[K], a[1], xt[D1], want = 0, wants, A[D1 * D1], vs = 0;
		slow_proba(m, X + i * D, p, a);
		for (int j = 0; j < D; j++)
			xt[j] = (X[i * D + j] - m->mean[j]) * m->scale[j];
		xt[D] = 1;
		for (int c = 0; c < K; c++) {
			memcpy(A, Hk[c], sizeof A);
			want += p[c] * (1 - p[c]) * solve_quad(A, xt, D1);
			vs += p[c] * (1 - p[c]);
		}
		memcpy(A, Hk[K], sizeof A);
		wants = vs * solve_quad(A, xt, D1);
		CHECK(fabs(got[i] - want) < 1e-3 * want, "influence row %d: %g vs %g", i, got[i], want);
		CHECK(fabs(gots[i] - wants) < 1e-3 * wants, "shared row %d: %g vs %g", i, gots[i],
		      wants);
	}
	sur_model_free(m);
}

/* grand for an MLP: explicit backpropagation in double, and the
 * gradient checked by finite differences on a few weights. */
TEST(grand_mlp)
{
	float X[N * D];
	int y[N];
	synth(X, y, NULL, N, D, K, 3);
	struct sur_model *m = sur_model_new(SUR_MLP, D, K, H, NULL);
	sur_model_set_classes(m, cls3, NULL);
	for (int j = 0; j < D; j++) {
		m->mean[j] = 0.1f * j;
		m->scale[j] = 1.0f / (1 + 0.2f * j);
	}
	for (int t = 0; t < H * D; t++)
		m->w1[t] = (float)(0.8 * sin(1.7 * t + 0.3));
	for (int u = 0; u < H; u++)
		m->b1[u] = (float)(0.1 * u - 0.2);
	for (int t = 0; t < K * H; t++)
		m->w2[t] = (float)(0.9 * cos(0.9 * t));
	for (int c = 0; c < K; c++)
		m->b2[c] = (float)(0.05 * c);
	double got[N];
	scores(m, SUR_GRAND, X, y, got);
	for (int i = 0; i < N; i++) {
		double p[K], a[H], xs[D], g2 = 0, d2[K], d1[H];
		slow_proba(m, X + i * D, p, a);
		for (int j = 0; j < D; j++)
			xs[j] = (X[i * D + j] - m->mean[j]) * m->scale[j];
		for (int c = 0; c < K; c++) {
			d2[c] = p[c] - (c == y[i]);
			g2 += d2[c] * d2[c];                    /* b2 */
			for (int u = 0; u < H; u++)
				g2 += d2[c] * a[u] * d2[c] * a[u];  /* W2 */
		}
		for (int u = 0; u < H; u++) {
			d1[u] = 0;
			for (int c = 0; c < K; c++)
				d1[u] += m->w2[c * H + u] * d2[c];
			d1[u] = a[u] > 0 ? d1[u] : 0;
			g2 += d1[u] * d1[u];                    /* b1 */
			for (int j = 0; j < D; j++)
				g2 += d1[u] * xs[j] * d1[u] * xs[j];  /* W1 */
		}
		CHECK(fabs(got[i] - sqrt(g2)) < 1e-4 * (1 + sqrt(g2)), "row %d: %g vs %g", i, got[i],
		      sqrt(g2));
		if (i == 5) {   /* finite differences on W1[0][0] and W2[1][2] */
			double h = 1e-3, lp, lm;
			float s = m->w1[0];
			m->w1[0] = s + (float)h;
			slow_proba(m, X + i * D, p, a);
			lp = -log(p[y[i]]);
			m->w1[0] = s - (float)h;
			slow_proba(m, X + i * D, p, a);
			lm = -log(p[y[i]]);
			m->w1[0] = s;
			CHECK(fabs((lp - lm) / (2 * h) - d1[0] * xs[0]) < 1e-4, "dW1 %g vs %g",
			      (lp - lm) / (2 * h), d1[0] * xs[0]);
		}
	}
	sur_model_free(m);
}

TEST(score_errors)
{
	float X[N * D], P[N * K];
	int y[N];
	double out[N];
	synth(X, y, NULL, N, D, K, 4);
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.infl = SUR_INFL_SHARED;
	struct sur_model *m = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, NULL);
	CHECK(m && m->infl == SUR_INFL_SHARED && !m->infl_class, "fit");
	if (!m)
		return;
	sur_predict_proba(m, X, N, P, NULL, NULL);
	struct wn_err err = { 0 };
	CHECK(sur_score_block(m, SUR_LOSS, X, P, NULL, N, out, NULL, &err) < 0 && err.code == 64,
	      "%d %s", err.code, err.msg);
	CHECK(sur_score_block(m, SUR_INFLUENCE, X, P, NULL, N, out, NULL, &err) < 0 &&
	      err.code == 65 && strstr(err.msg, "per-class"), "%d %s", err.code, err.msg);
	CHECK(sur_score_block(m, SUR_INFLUENCE_SHARED, X, P, NULL, N, out, NULL, &err) == 0,
	      "%s", err.msg);
	y[3] = 7;
	CHECK(sur_score_block(m, SUR_EL2N, X, P, y, N, out, NULL, &err) < 0 && err.code == 65,
	      "%d %s", err.code, err.msg);
	CHECK(sur_method_parse("least-confidence") == SUR_LEASTCONF &&
	      sur_method_parse("nope") == -1 && sur_method_needs_label(SUR_GRAND) &&
	      !sur_method_needs_label(SUR_INFLUENCE) && !sur_method_needs_model(SUR_PROTOTYPE),
	      "names");
	sur_model_free(m);
}

TEST(prototype_kmeans)
{
	enum { PN = 600, PD = 8, PK = 3 };
	float *X = malloc(sizeof(float) * PN * PD), C[PK * PD], C2[PK * PD];
	/* three tight bundles of directions around e0, e3, e6, scaled */
	unsigned s = 7;
	for (int i = 0; i < PN; i++)
		for (int j = 0; j < PD; j++) {
			s = s * 1103515245u + 12345u;
			float noise = (float)((s >> 8) % 1000) / 10000.0f;
			X[i * PD + j] = (j == 3 * (i % PK) ? 1.0f : 0.0f) * (1 + i % 5) + noise;
		}
	for (int j = 0; j < PD; j++)
		X[17 * PD + j] = 0;     /* a zero row */
	struct wn_err err = { 0 };
	CHECK(sur_kmeans(X, PN, PD, PK, 50, 0, 42, C, &err) == 0, "%s", err.msg);
	CHECK(sur_kmeans(X, PN, PD, PK, 50, 0, 42, C2, &err) == 0 &&
	      memcmp(C, C2, sizeof C) == 0, "not deterministic");
	/* each bundle direction has a centroid with cosine > 0.99 */
	for (int b = 0; b < PK; b++) {
		double bc = -1;
		for (int j = 0; j < PK; j++)
			bc = fmax(bc, C[j * PD + 3 * b]);
		CHECK(bc > 0.99, "bundle %d best cos %g", b, bc);
	}
	double out[PN];
	sur_proto_scores(C, PK, PD, X, PN, out);
	for (int i = 0; i < PN; i++) {
		double xx = 0, bc = -1;
		for (int t = 0; t < PD; t++)
			xx += (double)X[i * PD + t] * X[i * PD + t];
		for (int j = 0; j < PK; j++) {
			double dot = 0;
			for (int t = 0; t < PD; t++)
				dot += (double)X[i * PD + t] * C[j * PD + t];
			bc = fmax(bc, xx > 0 ? dot / sqrt(xx) : 0);
		}
		CHECK(fabs(out[i] - (1 - bc)) < 1e-5, "row %d: %g vs %g", i, out[i], 1 - bc);
	}
	CHECK(out[17] == 1, "zero row %g", out[17]);
	CHECK(sur_kmeans(X, 2, PD, PK, 5, 0, 1, C, &err) < 0 && err.code == 65, "n < k");
	/* subsampled runs are deterministic too */
	CHECK(sur_kmeans(X, PN, PD, PK, 50, 100, 42, C, &err) == 0 &&
	      sur_kmeans(X, PN, PD, PK, 50, 100, 42, C2, &err) == 0 &&
	      memcmp(C, C2, sizeof C) == 0, "subsample");
	free(X);
}

/* sur_kmeans' documented algorithm, slowly and in double: the same
 * seeding draws, every cosine to every centre each step, the sums of a
 * step taken after all its rows are assigned */
static void
kmeans_slow(const float *X, int n, int d, int k, int iters, uint64_t seed, double *C,
            int *best)
{
	double *U = malloc(sizeof(double) * n * d), *acc = malloc(sizeof(double) * k * d);
	double *bcos = malloc(sizeof(double) * n);
	for (int i = 0; i < n; i++) {
		double s = 0;
		for (int t = 0; t < d; t++)
			s += (double)X[i * d + t] * X[i * d + t];
		for (int t = 0; t < d; t++)
			U[i * d + t] = s > 0 ? X[i * d + t] / sqrt(s) : 0;
	}
	int first = (int)(wn_u01_counter(seed, WN_STREAM_SHUFFLE, 0) * n);
	memcpy(C, U + first * d, sizeof(double) * d);
	for (int j = 1; j < k; j++) {
		double tot = 0;
		for (int i = 0; i < n; i++) {
			bcos[i] = -HUGE_VAL;
			for (int c = 0; c < j; c++) {
				double dot = 0;
				for (int t = 0; t < d; t++)
					dot += U[i * d + t] * C[c * d + t];
				bcos[i] = fmax(bcos[i], dot);
			}
			tot += fmax(0, 1 - bcos[i]);
		}
		double u = wn_u01_counter(seed, WN_STREAM_SHUFFLE, (uint64_t)j) * tot;
		int pick = n - 1;
		for (int i = 0; i < n; i++)
			if ((u -= fmax(0, 1 - bcos[i])) < 0) {
				pick = i;
				break;
			}
		memcpy(C + j * d, U + pick * d, sizeof(double) * d);
	}
	for (int i = 0; i < n; i++)
		best[i] = -1;
	for (int it = 0; it < iters; it++) {
		int changed = 0;
		for (int i = 0; i < n; i++) {
			int b = 0;
			double bd = -HUGE_VAL;
			for (int c = 0; c < k; c++) {
				double dot = 0;
				for (int t = 0; t < d; t++)
					dot += U[i * d + t] * C[c * d + t];
				if (dot > bd) {
					bd = dot;
					b = c;
				}
			}
			changed += best[i] != b;
			best[i] = b;
		}
		if (!changed)
			break;
		memset(acc, 0, sizeof(double) * k * d);
		for (int i = 0; i < n; i++)
			for (int t = 0; t < d; t++)
				acc[best[i] * d + t] += U[i * d + t];
		for (int c = 0; c < k; c++) {
			double s = 0;
			for (int t = 0; t < d; t++)
				s += acc[c * d + t] * acc[c * d + t];
			for (int t = 0; s > 0 && t < d; t++)
				C[c * d + t] = acc[c * d + t] / sqrt(s);
		}
	}
	free(U);
	free(acc);
	free(bcos);
}

/* Overlapping clusters that take Lloyd several steps, in more rows than
 * a block (SUR_BLOCK, 512) and a dimension that is not a multiple of the
 * kernel's lanes: sur_kmeans' centroids and assignments against
 * kmeans_slow's. */
TEST(kmeans_against_slow)
{
	enum { N = 1500, D = 37, K = 6 };
	float *X = malloc(sizeof(float) * N * D), *C = malloc(sizeof(float) * K * D);
	double *Cs = malloc(sizeof(double) * K * D);
	int *best = malloc(sizeof(int) * N);
	unsigned r = 11;
	for (int i = 0; i < N; i++)
		for (int t = 0; t < D; t++) {
			r = r * 1103515245u + 12345u;
			double noise = (double)((r >> 8) % 10000) / 10000.0 - 0.5;
			X[i * D + t] = (float)((t % K == i % K ? 1.0 : 0.0) + 0.8 * noise);
		}
	struct wn_err err = { 0 };
	CHECK(sur_kmeans(X, N, D, K, 50, 0, 3, C, &err) == 0, "%s", err.msg);
	kmeans_slow(X, N, D, K, 50, 3, Cs, best);
	double worst = 0;
	for (int t = 0; t < K * D; t++)
		worst = fmax(worst, fabs(C[t] - Cs[t]));
	CHECK(worst < 1e-4, "centroids %g from the slow k-means", worst);
	/* and the prototype scores: the best cosine to those centroids */
	double *out = malloc(sizeof(double) * N);
	sur_proto_scores(C, K, D, X, N, out);
	double werr = 0;
	for (int i = 0; i < N; i++) {
		double xx = 0, dot = 0;
		for (int t = 0; t < D; t++) {
			xx += (double)X[i * D + t] * X[i * D + t];
			dot += (double)X[i * D + t] * Cs[best[i] * D + t];
		}
		werr = fmax(werr, fabs(out[i] - (1 - dot / sqrt(xx))));
	}
	CHECK(werr < 1e-4, "prototype scores %g from the slow k-means'", werr);
	free(X);
	free(C);
	free(Cs);
	free(best);
	free(out);
}

int main(void)
{
	RUN(uncertainty_and_label_scores);
	RUN(kmeans_against_slow);
	RUN(influence_scores);
	RUN(grand_mlp);
	RUN(score_errors);
	RUN(prototype_kmeans);
	return unit_done();
}
