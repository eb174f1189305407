/*
 * test_rowpure.c - a row's probabilities and scores are a function of that
 * row alone, bit for bit: the same whether it is predicted and scored with
 * all the others, alone, or in blocks of any size at any offset.  This is
 * what lets a sharded run (pipelines/sharded) or another --block give the
 * unsharded selection byte for byte; BLAS GEMM/TRSM results changed in the
 * last bits with the block shape (the CI failure of pipelines.bats test 10).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "score.h"
#include "unit.h"

enum { N = 203, D = 101, H = 33, K = 5 };
static const char *const cls[K] = { "a", "b", "c", "d", "e" };

static unsigned rs = 12345;
static float rnd(void)
{
	rs = rs * 1103515245u + 12345u;
	return (float)((rs >> 8) % 20000) / 10000.0f - 1.0f;
}

static void fill(float *v, size_t n, float s)
{
	for (size_t i = 0; i < n; i++)
		v[i] = s * rnd();
}

/* a lower factor with a dominant positive diagonal */
static void lower(float *L, int d1)
{
	for (int i = 0; i < d1; i++)
		for (int j = 0; j < d1; j++)
			L[i * d1 + j] = j < i ? 0.1f * rnd() : j == i ? 1.5f + rnd() : 0.0f;
}

static struct sur_model *model(enum sur_kind kind)
{
	struct wn_err err;
	struct sur_model *m = sur_model_new(kind, D, K, H, &err);
	if (!m || sur_model_set_classes(m, cls, &err) != 0)
		return NULL;
	m->hp.intercept = 1;
	for (int j = 0; j < D; j++) {
		m->mean[j] = 0.1f * rnd();
		m->scale[j] = 1.0f + 0.5f * rnd();
	}
	int out1 = kind == SUR_SOFTMAX ? K : H;
	fill(m->w1, (size_t)out1 * D, 0.5f);
	fill(m->b1, out1, 0.5f);
	if (kind == SUR_MLP) {
		fill(m->w2, (size_t)K * H, 0.5f);
		fill(m->b2, K, 0.5f);
	} else {
		int d1 = sur_model_d1(m);
		m->infl_shared = malloc((size_t)d1 * d1 * sizeof(float));
		m->infl_class = malloc((size_t)K * d1 * d1 * sizeof(float));
		if (!m->infl_shared || !m->infl_class)
			return NULL;
		lower(m->infl_shared, d1);
		for (int c = 0; c < K; c++)
			lower(m->infl_class + (size_t)c * d1 * d1, d1);
		m->infl = SUR_INFL_CLASS;
	}
	return m;
}

/* predict and score rows [0, N) in blocks of b starting at offset o (the
 * rows before o as one block) */
static void blocks(const struct sur_model *m, enum sur_method meth, const float *X,
                   const int *y, size_t o, size_t b, float *P, double *S)
{
	struct wn_err err;
	struct sur_ws *ws = sur_ws_new(m, b, &err);
	for (size_t i0 = 0; i0 < N;) {
		size_t n = i0 < o ? o - i0 : b;
		if (n > N - i0)
			n = N - i0;
		CHECK(sur_predict_proba(m, X + i0 * D, n, P + i0 * K, ws, &err) == 0, "%s",
		      err.msg);
		CHECK(sur_score_block(m, meth, X + i0 * D, P + i0 * K, y + i0, n, S + i0, ws,
		                      &err) == 0, "%s", err.msg);
		i0 += n;
	}
	sur_ws_free(ws);
}

static void rowpure(enum sur_kind kind, enum sur_method meth)
{
	struct sur_model *m = model(kind);
	CHECK(m != NULL, "model");
	if (!m)
		return;
	float X[N * D], P0[N * K], P[N * K];
	double S0[N], S[N];
	int y[N];
	fill(X, (size_t)N * D, 2.0f);
	for (int i = 0; i < N; i++)
		y[i] = i % K;
	blocks(m, meth, X, y, 0, N, P0, S0);
	static const size_t bs[] = { 1, 2, 3, 7, 8, 9, 16, 61, 512 };
	for (size_t t = 0; t < sizeof bs / sizeof *bs; t++)
		for (size_t o = 0; o < 12; o += 5) {
			blocks(m, meth, X, y, o, bs[t], P, S);
			CHECK(memcmp(P, P0, sizeof P) == 0, "%s %s: probabilities differ "
			      "in blocks of %zu at offset %zu", kind == SUR_MLP ? "mlp" : "softmax",
			      sur_method_name(meth), bs[t], o);
			CHECK(memcmp(S, S0, sizeof S) == 0, "%s %s: scores differ in blocks of "
			      "%zu at offset %zu", kind == SUR_MLP ? "mlp" : "softmax",
			      sur_method_name(meth), bs[t], o);
		}
	/* and near the direct computation, for one row */
	double z[K], mx = -1e300, se = 0, xs[D];
	for (int j = 0; j < D; j++)
		xs[j] = ((double)X[7 * D + j] - m->mean[j]) * m->scale[j];
	for (int c = 0; c < K; c++) {
		if (kind == SUR_SOFTMAX) {
			z[c] = m->b1[c];
			for (int j = 0; j < D; j++)
				z[c] += (double)m->w1[c * D + j] * xs[j];
		} else {
			z[c] = m->b2[c];
			for (int u = 0; u < H; u++) {
				double a = m->b1[u];
				for (int j = 0; j < D; j++)
					a += (double)m->w1[u * D + j] * xs[j];
				z[c] += (double)m->w2[c * H + u] * (a > 0 ? a : 0);
			}
		}
		mx = z[c] > mx ? z[c] : mx;
	}
	for (int c = 0; c < K; c++)
		se += exp(z[c] - mx);
	for (int c = 0; c < K; c++)
		CHECK_NEAR(P0[7 * K + c], exp(z[c] - mx) / se, 1e-5);
	sur_model_free(m);
}

TEST(softmax_margin) { rowpure(SUR_SOFTMAX, SUR_MARGIN); }
TEST(softmax_entropy) { rowpure(SUR_SOFTMAX, SUR_ENTROPY); }
TEST(softmax_grand) { rowpure(SUR_SOFTMAX, SUR_GRAND); }
TEST(softmax_influence) { rowpure(SUR_SOFTMAX, SUR_INFLUENCE); }
TEST(softmax_influence_shared) { rowpure(SUR_SOFTMAX, SUR_INFLUENCE_SHARED); }
TEST(mlp_margin) { rowpure(SUR_MLP, SUR_MARGIN); }
TEST(mlp_grand) { rowpure(SUR_MLP, SUR_GRAND); }
TEST(mlp_el2n) { rowpure(SUR_MLP, SUR_EL2N); }

int main(void)
{
	RUN(softmax_margin);
	RUN(softmax_entropy);
	RUN(softmax_grand);
	RUN(softmax_influence);
	RUN(softmax_influence_shared);
	RUN(mlp_margin);
	RUN(mlp_grand);
	RUN(mlp_el2n);
	return unit_done();
}
