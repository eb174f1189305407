/*
 * test_rowpure.c - a row's probabilities and scores are a function of that
 * row alone, bit for bit: the same whether it is predicted and scored with
 * all the others, alone, or in blocks of any size at any offset.  This is
 * what lets a sharded run (pipelines/sharded) or another --block give the
 * unsharded selection byte for byte; BLAS GEMM/TRSM results changed in the
 * last bits with the block shape (the CI failure of pipelines.bats test 10).
 * The kernels under it (kernel.h) are checked here too: against a slow
 * loop in double, bit for bit against a slow loop in the documented
 * order, and bit for bit across every split of the rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
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

/* ---- the kernels (kernel.h) --------------------------------------------- */

/* sur__affine_rows' documented order, one output at a time */
static float affine_order(const float *x, const float *w, float b, int in)
{
	int iv = in - in % SUR_LANES;
	float a[SUR_LANES] = { 0 };
	for (int c = 0; c < iv; c += SUR_LANES)
		for (int l = 0; l < SUR_LANES; l++)
			a[l] = fmaf(x[c + l], w[c + l], a[l]);
	float s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
	for (int c = iv; c < in; c++)
		s = fmaf(x[c], w[c], s);
	return b + s;
}

static void affine_case(int n, int in, int out)
{
	float *X = malloc((size_t)n * in * sizeof *X), *W = malloc((size_t)out * in * sizeof *W);
	float *b = malloc(out * sizeof *b), *Y0 = malloc((size_t)n * out * sizeof *Y0);
	float *Y = malloc((size_t)n * out * sizeof *Y);
	CHECK(X && W && b && Y0 && Y, "out of memory");
	if (!X || !W || !b || !Y0 || !Y)
		return;
	fill(X, (size_t)n * in, 2.0f);
	fill(W, (size_t)out * in, 0.5f);
	fill(b, out, 0.5f);
	sur__affine_rows(X, n, in, W, b, out, Y0);
	int bad_order = 0;
	double worst = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < out; j++) {
			float o = affine_order(X + (size_t)i * in, W + (size_t)j * in, b[j], in);
			bad_order += memcmp(&o, &Y0[(size_t)i * out + j], sizeof o) != 0;
			double e = b[j], mag = fabs(b[j]);
			for (int c = 0; c < in; c++) {
				e += (double)X[(size_t)i * in + c] * W[(size_t)j * in + c];
				mag += fabs((double)X[(size_t)i * in + c] * W[(size_t)j * in + c]);
			}
			double r = fabs(Y0[(size_t)i * out + j] - e) / (mag + 1e-30);
			worst = r > worst ? r : worst;
		}
	CHECK(bad_order == 0, "affine %d x %d -> %d: %d outputs not in the documented order",
	      n, in, out, bad_order);
	CHECK(worst < 1e-6, "affine %d x %d -> %d: relative error %g against double", n, in,
	      out, worst);
	/* any split of the rows gives the same bytes */
	static const int bs[] = { 1, 2, 3, 4, 5, 7, 9, 64 };
	for (size_t t = 0; t < sizeof bs / sizeof *bs; t++)
		for (int o = 0; o < 6; o += 3) {
			for (int i0 = 0; i0 < n;) {
				int nb = i0 < o ? o - i0 : bs[t];
				nb = nb < n - i0 ? nb : n - i0;
				sur__affine_rows(X + (size_t)i0 * in, nb, in, W, b, out,
				                 Y + (size_t)i0 * out);
				i0 += nb;
			}
			CHECK(memcmp(Y, Y0, (size_t)n * out * sizeof *Y) == 0, "affine %d x %d -> %d: "
			      "blocks of %d at offset %d differ", n, in, out, bs[t], o);
		}
	free(X);
	free(W);
	free(b);
	free(Y0);
	free(Y);
}

TEST(kernel_affine)
{
	affine_case(37, 101, 13);    /* remainders everywhere */
	affine_case(9, 64, 10);      /* no remainder of the lanes */
	affine_case(5, 3, 2);        /* shorter than the lanes */
	affine_case(130, 784, 10);
}

/* sur__lower_quad's documented order for one row */
static double quad_order(const float *L, int d1, const float *a)
{
	float *z = malloc((size_t)d1 * sizeof *z);
	double q = 0;
	if (!z)
		return NAN;
	for (int j = 0; j < d1; j++) {
		const float *Lj = L + (size_t)j * d1;
		float s = 0;
		for (int l = 0; l < j; l++)
			s = fmaf(Lj[l], z[l], s);
		z[j] = (a[j] - s) / Lj[j];
	}
	for (int j = 0; j < d1; j++)
		q += (double)z[j] * z[j];
	free(z);
	return q;
}

static void quad_case(int n, int d1)
{
	float *L = malloc((size_t)d1 * d1 * sizeof *L), *A = malloc((size_t)n * d1 * sizeof *A);
	float *Z = malloc(sur__lower_quad_scratch(d1) * sizeof *Z);
	double *q0 = malloc(n * sizeof *q0), *q = malloc(n * sizeof *q);
	double *z = malloc(d1 * sizeof *z);
	CHECK(L && A && Z && q0 && q && z, "out of memory");
	if (!L || !A || !Z || !q0 || !q || !z)
		return;
	lower(L, d1);
	/* the upper triangle is not read: poison it */
	for (int i = 0; i < d1; i++)
		for (int j = i + 1; j < d1; j++)
			L[(size_t)i * d1 + j] = NAN;
	fill(A, (size_t)n * d1, 2.0f);
	sur__lower_quad(L, d1, A, n, d1, q0, Z);
	int bad_order = 0;
	double worst = 0;
	for (int i = 0; i < n; i++) {
		const float *a = A + (size_t)i * d1;
		double o = quad_order(L, d1, a), e = 0;
		bad_order += memcmp(&o, &q0[i], sizeof o) != 0;
		for (int j = 0; j < d1; j++) {
			double s = a[j];
			for (int l = 0; l < j; l++)
				s -= (double)L[(size_t)j * d1 + l] * z[l];
			z[j] = s / L[(size_t)j * d1 + j];
			e += z[j] * z[j];
		}
		double r = fabs(q0[i] - e) / e;
		worst = r > worst ? r : worst;
	}
	CHECK(bad_order == 0, "lower_quad %d x %d: %d rows not in the documented order", n, d1,
	      bad_order);
	CHECK(worst < 1e-5, "lower_quad %d x %d: relative error %g against double", n, d1, worst);
	static const int bs[] = { 1, 2, 3, 31, 32, 33, 127, 128, 129 };
	for (size_t t = 0; t < sizeof bs / sizeof *bs; t++)
		for (int o = 0; o < 6; o += 3) {
			for (int i0 = 0; i0 < n;) {
				int nb = i0 < o ? o - i0 : bs[t];
				nb = nb < n - i0 ? nb : n - i0;
				sur__lower_quad(L, d1, A + (size_t)i0 * d1, nb, d1, q + i0, Z);
				i0 += nb;
			}
			CHECK(memcmp(q, q0, (size_t)n * sizeof *q) == 0, "lower_quad %d x %d: blocks "
			      "of %d at offset %d differ", n, d1, bs[t], o);
		}
	free(L);
	free(A);
	free(Z);
	free(q0);
	free(q);
	free(z);
}

/* nf factors at once: the same bits as one call a factor, in every
 * blocking (the block is transposed once and copied for each factor) */
static void quads_case(int n, int d1, int nf)
{
	size_t dd = (size_t)d1 * d1;
	float *L = malloc(dd * nf * sizeof *L), *A = malloc((size_t)n * d1 * sizeof *A);
	float *Z = malloc(sur__lower_quad_scratch(d1) * sizeof *Z);
	double *q1 = malloc((size_t)n * nf * sizeof *q1), *q = malloc((size_t)n * nf * sizeof *q);
	CHECK(L && A && Z && q1 && q, "out of memory");
	if (!L || !A || !Z || !q1 || !q)
		return;
	for (int f = 0; f < nf; f++) {
		lower(L + f * dd, d1);
		for (size_t i = 0; i < dd; i++)   /* a different factor each */
			L[f * dd + i] *= 1.0f + 0.25f * (float)f;
	}
	fill(A, (size_t)n * d1, 2.0f);
	for (int f = 0; f < nf; f++)
		sur__lower_quad(L + f * dd, d1, A, n, d1, q1 + (size_t)f * n, Z);
	sur__lower_quads(L, nf, d1, A, n, d1, q, Z);
	CHECK(memcmp(q, q1, (size_t)n * nf * sizeof *q) == 0,
	      "lower_quads %d x %d, %d factors: not the bits of one call a factor", n, d1, nf);
	int bad = 0;
	for (int f = 1; f < nf; f++)
		bad += memcmp(q + (size_t)f * n, q, (size_t)n * sizeof *q) == 0;
	CHECK(bad == 0, "lower_quads %d x %d: two factors gave the same q", n, d1);
	free(L);
	free(A);
	free(Z);
	free(q1);
	free(q);
}

TEST(kernel_lower_quad)
{
	quads_case(131, 37, 3);
	quads_case(300, 102, 10);
	quads_case(5, 3, 2);
	quad_case(131, 37);
	quad_case(300, 102);
	quad_case(6, 3);
	quad_case(9, 1);
}

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
	RUN(kernel_affine);
	RUN(kernel_lower_quad);
	return unit_done();
}
