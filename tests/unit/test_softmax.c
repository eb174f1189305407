/*
 * test_softmax.c - softmax regression: gradient and Hessian-vector product
 * against finite differences, the fitted optimum against scikit-learn,
 * weights, standardisation, the model file round trip and its checks.
 */
#define _GNU_SOURCE     /* memmem */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "softmax.h"
#include "unit.h"

static const char *const cls3[] = { "a", "b", "c" };

/*
 * The tiny problem of test fit_matches_sklearn.  The reference numbers
 * were computed with scikit-learn 1.2.1 (Debian python3-sklearn):
 *
 *   n, d, k = 40, 3, 3
 *   i = np.arange(n)[:, None]; j = np.arange(d)[None, :]
 *   X = (np.sin(1.3*i + 0.7*j*j + 0.1) * (1 + j)).astype(np.float32)
 *   A = np.array([[1, -1, .5], [.5, 1, -1], [-.5, .2, 1]])
 *   y = np.argmax(X @ A, 1); y[::5] = (y[::5] + 1) % 3
 *   lam = 0.01
 *   clf = LogisticRegression(C=1/(lam*n), multi_class='multinomial',
 *       solver='lbfgs', tol=1e-12, max_iter=100000).fit(X, y)
 *   f = mean cross-entropy + lam/2 * ||coef_||^2
 *
 * ref_b is clf.intercept_ (it sums to 0, like winnow's biases).
 */
enum { TN = 40, TD = 3, TK = 3 };
static const double ref_f = 0.406042268905;
static const double ref_W[TK * TD] = {
	0.153449600, -0.390873840, -0.921714319, 0.159859867, 1.083284113, 0.202344038,
	-0.313309467, -0.692410273, 0.719370281
};
static const double ref_b[TK] = { -0.53564962, -0.35983415, 0.89548376 };
static const double ref_acc = 0.825;

static void tiny(float *X, int *y)
{
	static const double A[3][3] = { { 1, -1, .5 }, { .5, 1, -1 }, { -.5, .2, 1 } };
	for (int i = 0; i < TN; i++) {
		for (int j = 0; j < TD; j++)
			X[i * TD + j] = (float)(sin(1.3 * i + 0.7 * j * j + 0.1) * (1 + j));
		double best = -1e300;
		for (int c = 0; c < TK; c++) {
			double s = 0;
			for (int j = 0; j < TD; j++)
				s += X[i * TD + j] * A[j][c];
			if (s > best) {
				best = s;
				y[i] = c;
			}
		}
		if (i % 5 == 0)
			y[i] = (y[i] + 1) % 3;
	}
}

/* A random-ish problem of any size, deterministic. */
static void synth(float *X, int *y, float *w, int n, int d, int k, unsigned seed)
{
	unsigned s = seed * 2654435761u + 1;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < d; j++) {
			s = s * 1103515245u + 12345u;
			X[i * d + j] = (float)((s >> 8) % 20000) / 10000.0f - 1.0f + 0.3f * (j % 3);
		}
		y[i] = (int)((unsigned)(X[i * d] * 7 + 100 + i) % k);
		if (w)
			w[i] = 0.25f + (float)(i % 4);
	}
}

/* A model with deterministic nonzero weights. */
static struct sur_model *some_model(int d, int k, int intercept)
{
	struct sur_model *m = sur_model_new(SUR_SOFTMAX, d, k, 0, NULL);
	m->hp.intercept = intercept;
	for (int j = 0; j < k * d; j++)
		m->w1[j] = (float)(0.3 * sin(0.7 * j + 1));
	for (int c = 0; c < k; c++)
		m->b1[c] = intercept ? (float)(0.2 * c - 0.1) : 0.0f;
	return m;
}

/* Objective in double, the slow way, for finite differences. */
static double slow_obj(const struct sur_model *m, const double *W, const double *b,
                       const float *X, const int *y, const float *w, int n, double S,
                       double lambda)
{
	int d = m->d, k = m->k;
	double sum = 0, reg = 0;
	for (int i = 0; i < n; i++) {
		double z[16], mx = -1e300, se = 0;
		for (int c = 0; c < k; c++) {
			z[c] = b[c];
			for (int j = 0; j < d; j++)
				z[c] += W[c * d + j] * X[i * d + j];
			if (z[c] > mx)
				mx = z[c];
		}
		for (int c = 0; c < k; c++)
			se += exp(z[c] - mx);
		sum += (w ? w[i] : 1.0) * (log(se) + mx - z[y[i]]);
	}
	for (int j = 0; j < k * d; j++)
		reg += W[j] * W[j];
	return sum / S + 0.5 * lambda * reg;
}

TEST(gradient_matches_finite_differences)
{
	enum { N = 700, D = 6, K = 4 };     /* 700 rows: more than one block */
	float *X = malloc(sizeof(float) * N * D), w[N], gW[K * D], gb[K];
	int y[N];
	synth(X, y, w, N, D, K, 1);
	for (int intercept = 0; intercept <= 1; intercept++) {
		struct sur_model *m = some_model(D, K, intercept);
		double S = 900, lambda = 0.03, f;
		CHECK(sur_softmax_loss_grad(m, X, y, w, N, S, lambda, &f, gW, gb, NULL) == 0, "rc");
		double W[K * D], b[K];
		for (int j = 0; j < K * D; j++)
			W[j] = m->w1[j];
		for (int c = 0; c < K; c++)
			b[c] = m->b1[c];
		CHECK_NEAR(f, slow_obj(m, W, b, X, y, w, N, S, lambda), 1e-6);
		double h = 1e-4;
		for (int j = 0; j < K * D; j++) {
			double s = W[j];
			W[j] = s + h;
			double fp = slow_obj(m, W, b, X, y, w, N, S, lambda);
			W[j] = s - h;
			double fm = slow_obj(m, W, b, X, y, w, N, S, lambda);
			W[j] = s;
			CHECK(fabs(gW[j] - (fp - fm) / (2 * h)) < 1e-5, "gW[%d] %g vs fd %g", j,
			      gW[j], (fp - fm) / (2 * h));
		}
		for (int c = 0; c < K; c++) {
			double s = b[c];
			b[c] = s + h;
			double fp = slow_obj(m, W, b, X, y, w, N, S, lambda);
			b[c] = s - h;
			double fm = slow_obj(m, W, b, X, y, w, N, S, lambda);
			b[c] = s;
			double fd = intercept ? (fp - fm) / (2 * h) : 0;
			CHECK(fabs(gb[c] - fd) < 1e-5, "gb[%d] %g vs fd %g", c, gb[c], fd);
		}
		sur_model_free(m);
	}
	free(X);
}

TEST(hessian_vector_matches_finite_differences)
{
	enum { N = 600, D = 5, K = 3 };
	float *X = malloc(sizeof(float) * N * D), w[N];
	int y[N];
	synth(X, y, w, N, D, K, 2);
	struct sur_model *m = some_model(D, K, 1);
	float V[K * D], vb[K], HW[K * D], hb[K], gp[K * D], gm[K * D], gbp[K], gbm[K];
	for (int j = 0; j < K * D; j++)
		V[j] = (float)cos(1.1 * j);
	for (int c = 0; c < K; c++)
		vb[c] = (float)(0.5 - c * 0.3);
	double S = N, lambda = 0.1, f;
	CHECK(sur_softmax_hv(m, X, w, N, S, lambda, V, vb, HW, hb, NULL) == 0, "rc");
	/* central difference of the gradient along (V, vb) */
	float W0[K * D], b0[K], h = 1e-2f;
	memcpy(W0, m->w1, sizeof W0);
	memcpy(b0, m->b1, sizeof b0);
	for (int j = 0; j < K * D; j++)
		m->w1[j] = W0[j] + h * V[j];
	for (int c = 0; c < K; c++)
		m->b1[c] = b0[c] + h * vb[c];
	sur_softmax_loss_grad(m, X, y, w, N, S, lambda, &f, gp, gbp, NULL);
	for (int j = 0; j < K * D; j++)
		m->w1[j] = W0[j] - h * V[j];
	for (int c = 0; c < K; c++)
		m->b1[c] = b0[c] - h * vb[c];
	sur_softmax_loss_grad(m, X, y, w, N, S, lambda, &f, gm, gbm, NULL);
	for (int j = 0; j < K * D; j++)
		CHECK(fabs(HW[j] - (gp[j] - gm[j]) / (2 * h)) < 2e-3 * (1 + fabs(HW[j])),
		      "HW[%d] %g vs fd %g", j, HW[j], (gp[j] - gm[j]) / (2 * h));
	for (int c = 0; c < K; c++)
		CHECK(fabs(hb[c] - (gbp[c] - gbm[c]) / (2 * h)) < 2e-3 * (1 + fabs(hb[c])),
		      "hb[%d] %g vs fd %g", c, hb[c], (gbp[c] - gbm[c]) / (2 * h));
	sur_model_free(m);
	free(X);
}

TEST(fit_matches_sklearn)
{
	float X[TN * TD];
	int y[TN];
	tiny(X, y);
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 0.01;
	o.standardize = 0;
	o.tol = 1e-6;
	struct wn_err err = { 0 };
	struct sur_model *m = sur_softmax_fit(X, y, NULL, TN, TD, cls3, TK, &o, &err);
	CHECK(m != NULL, "%s", err.msg);
	if (!m)
		return;
	CHECK(m->hp.grad_norm <= 1e-6, "grad norm %g", m->hp.grad_norm);
	CHECK_NEAR(m->hp.objective, ref_f, 1e-7);
	for (int j = 0; j < TK * TD; j++)
		CHECK(fabs(m->w1[j] - ref_W[j]) < 1e-4, "W[%d] %g vs sklearn %g", j, m->w1[j],
		      ref_W[j]);
	/* the biases too: the fit works on centred features and parameters
	 * (W, b + W mean) and must map them back */
	double bm = (m->b1[0] + m->b1[1] + m->b1[2]) / 3.0;
	for (int c = 0; c < TK; c++)
		CHECK(fabs(m->b1[c] - bm - ref_b[c]) < 1e-4, "b[%d] %g vs sklearn %g", c,
		      m->b1[c] - bm, ref_b[c]);
	/* the reported objective and gradient norm are those of the model */
	{
		double f;
		float gW[TK * TD], gb[TK], gg = 0;
		CHECK(sur_softmax_loss_grad(m, X, y, NULL, TN, TN, 0.01, &f, gW, gb, &err) == 0,
		      "%s", err.msg);
		for (int j = 0; j < TK * TD; j++)
			gg += gW[j] * gW[j];
		for (int c = 0; c < TK; c++)
			gg += gb[c] * gb[c];
		CHECK_NEAR(f, m->hp.objective, 1e-7);
		CHECK(sqrtf(gg) < 1e-5, "gradient norm of the model %g (reported %g)", sqrtf(gg),
		      m->hp.grad_norm);
	}
	double acc, loss;
	sur_evaluate(m, X, y, NULL, TN, &loss, &acc, NULL);
	CHECK_NEAR(acc, ref_acc, 1e-9);
	CHECK(m->hp.n_train == TN && m->hp.iterations > 0, "n_train %lld iters %d",
	      m->hp.n_train, m->hp.iterations);
	/* a warm start at the optimum stays there (the start maps (W, b) to
	 * the centred parameters) */
	o.init = m;
	struct sur_model *m2 = sur_softmax_fit(X, y, NULL, TN, TD, cls3, TK, &o, &err);
	CHECK(m2 != NULL, "%s", err.msg);
	if (m2) {
		CHECK(m2->hp.iterations <= 1 && m2->hp.grad_norm <= 1e-6, "warm start: %d "
		      "iterations, gradient norm %g", m2->hp.iterations, m2->hp.grad_norm);
		for (int c = 0; c < TK; c++)
			CHECK(fabs(m2->b1[c] - m->b1[c]) < 1e-5, "warm b[%d] %g vs %g", c, m2->b1[c],
			      m->b1[c]);
	}
	sur_model_free(m2);
	sur_model_free(m);
}

/* Integer weights equal repeated rows (SUR_NORM_WEIGHT). */
TEST(weights_equal_repeats)
{
	enum { N = 50, D = 4, K = 3 };
	float X[N * D], w[N], Xr[4 * N * D];
	int y[N], yr[4 * N], nr = 0;
	synth(X, y, NULL, N, D, K, 3);
	for (int i = 0; i < N; i++) {
		w[i] = (float)(1 + i % 3);
		for (int r = 0; r < (int)w[i]; r++, nr++) {
			memcpy(Xr + nr * D, X + i * D, sizeof(float) * D);
			yr[nr] = y[i];
		}
	}
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 0.02;
	o.norm = SUR_NORM_WEIGHT;
	o.tol = 1e-7;
	o.infl = SUR_INFL_NONE;
	struct sur_model *a = sur_softmax_fit(X, y, w, N, D, cls3, K, &o, NULL);
	struct sur_model *b = sur_softmax_fit(Xr, yr, NULL, nr, D, cls3, K, &o, NULL);
	CHECK(a && b, "fit");
	if (a && b) {
		CHECK_NEAR(a->hp.objective, b->hp.objective, 1e-6);
		for (int j = 0; j < K * D; j++)
			CHECK(fabs(a->w1[j] - b->w1[j]) < 1e-3, "W[%d] %g vs %g", j, a->w1[j], b->w1[j]);
		for (int j = 0; j < D; j++)
			CHECK(fabs(a->mean[j] - b->mean[j]) < 1e-5, "mean %d", j);
	}
	sur_model_free(a);
	sur_model_free(b);
}

TEST(standardize_and_predict)
{
	enum { N = 300, D = 5, K = 3 };
	float X[N * D], P[N * K], Xs[N * D];
	int y[N];
	synth(X, y, NULL, N, D, K, 4);
	for (int i = 0; i < N; i++)
		X[i * D + 1] = X[i * D + 1] * 1000 + 5000;     /* badly scaled */
	for (int i = 0; i < N; i++)
		X[i * D + 4] = 7;                               /* constant */
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.infl = SUR_INFL_NONE;
	struct wn_err err = { 0 };
	struct sur_model *m = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, &err);
	CHECK(m != NULL, "%s", err.msg);
	if (!m)
		return;
	CHECK(m->hp.grad_norm <= o.tol, "grad norm %g", m->hp.grad_norm);
	CHECK(fabs(m->mean[1] - 5300) < 100 && m->scale[4] == 1.0f && fabs(m->mean[4] - 7) < 1e-5,
	      "mean %g scale %g", m->mean[1], m->scale[4]);
	sur_standardize(m, X, N, Xs);
	double m1 = 0, v1 = 0;
	for (int i = 0; i < N; i++)
		m1 += Xs[i * D + 1] / N;
	for (int i = 0; i < N; i++)
		v1 += (Xs[i * D + 1] - m1) * (Xs[i * D + 1] - m1) / N;
	CHECK(fabs(m1) < 1e-4 && fabs(v1 - 1) < 1e-3, "mean %g var %g", m1, v1);
	/* predict_proba = softmax(W x~ + b), done slowly */
	sur_predict_proba(m, X, N, P, NULL, NULL);
	for (int i = 0; i < N; i += 37) {
		double z[K], mx = -1e300, se = 0;
		for (int c = 0; c < K; c++) {
			z[c] = m->b1[c];
			for (int j = 0; j < D; j++)
				z[c] += (double)m->w1[c * D + j] * ((X[i * D + j] - m->mean[j]) * m->scale[j]);
			mx = fmax(mx, z[c]);
		}
		for (int c = 0; c < K; c++)
			se += exp(z[c] - mx);
		for (int c = 0; c < K; c++)
			CHECK(fabs(P[i * K + c] - exp(z[c] - mx) / se) < 1e-5, "P[%d][%d]", i, c);
	}
	/* a NaN or inf is found as it is standardised (winnow-score reads
	 * its rows unchecked and relies on this): the first such row, and
	 * sur_predict_proba refuses with 65, the row counted from X */
	CHECK(sur_standardize(m, X, N, Xs) == N, "all finite");
	float saved = X[57 * D + 3], saved2 = X[90 * D + D - 1];
	X[90 * D + D - 1] = INFINITY;
	X[57 * D + 3] = NAN;
	CHECK(sur_standardize(m, X, N, Xs) == 57, "first bad row 57");
	CHECK(sur_standardize(m, X + 58 * D, N - 58, Xs) == 32, "then row 90 (-inf)");
	X[90 * D + D - 1] = -INFINITY;
	CHECK(sur_standardize(m, X + 58 * D, N - 58, Xs) == 32, "-inf too");
	struct wn_err e2 = { 0 };
	CHECK(sur_predict_proba(m, X, N, P, NULL, &e2) != 0 && e2.code == WN_EDATA &&
	      strcmp(e2.msg, "row 57: a feature is not a finite number") == 0, "refused: %s", e2.msg);
	X[57 * D + 3] = saved;
	X[90 * D + D - 1] = saved2;
	CHECK(sur_predict_proba(m, X, N, P, NULL, &e2) == 0, "finite again");
	sur_model_free(m);
}

TEST(bad_inputs)
{
	float X[6] = { 0, 1, 2, 3, 4, 5 }, w[3] = { 1, -1, 1 };
	int y[3] = { 0, 1, 3 };
	struct wn_err err = { 0 };
	CHECK(!sur_softmax_fit(X, y, NULL, 3, 2, cls3, 3, NULL, &err) && err.code == 65 &&
	      strstr(err.msg, "label index 3"), "%d %s", err.code, err.msg);
	y[2] = 2;
	CHECK(!sur_softmax_fit(X, y, w, 3, 2, cls3, 3, NULL, &err) && err.code == 65 &&
	      strstr(err.msg, "weight"), "%d %s", err.code, err.msg);
	X[3] = NAN;
	CHECK(!sur_softmax_fit(X, y, NULL, 3, 2, cls3, 3, NULL, &err) && err.code == 65 &&
	      strstr(err.msg, "feature 1"), "%d %s", err.code, err.msg);
	X[3] = 3;
	static const char *const unsorted[] = { "b", "a", "c" };
	CHECK(!sur_softmax_fit(X, y, NULL, 3, 2, unsorted, 3, NULL, &err) && err.code == 65,
	      "%d %s", err.code, err.msg);
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = -1;
	CHECK(!sur_softmax_fit(X, y, NULL, 3, 2, cls3, 3, &o, &err) && err.code == 64,
	      "%d %s", err.code, err.msg);
}

static struct sur_model *roundtrip(const struct sur_model *m, char **buf, size_t *len)
{
	FILE *fp = open_memstream(buf, len);
	sur_model_save(m, fp, "mem", NULL);
	fclose(fp);
	fp = fmemopen(*buf, *len, "rb");
	struct wn_err err = { 0 };
	struct sur_model *r = sur_model_load(fp, "mem", &err);
	if (!r)
		printf("# load: %s\n", err.msg);
	fclose(fp);
	return r;
}

/* Load buf after applying edit (replace the first `from` by `to`); return
 * the error. */
static struct wn_err load_edited(const char *buf, size_t len, const char *from, const char *to)
{
	struct wn_err err = { 0 };
	char *copy = malloc(len + 64);
	const char *at = memmem(buf, len, from, strlen(from));
	size_t pre = at ? (size_t)(at - buf) : len, fl = at ? strlen(from) : 0;
	memcpy(copy, buf, pre);
	memcpy(copy + pre, to, strlen(to));
	memcpy(copy + pre + strlen(to), buf + pre + fl, len - pre - fl);
	size_t nl = len - fl + strlen(to);
	FILE *fp = fmemopen(copy, nl, "rb");
	struct sur_model *m = sur_model_load(fp, "edited", &err);
	if (m)
		err.code = 0;
	sur_model_free(m);
	fclose(fp);
	free(copy);
	return err;
}

/* A softmax model with per-class influence factors (the default), fitted
 * with default options on synth(n, d, k, seed) rows into X (n x d). */
static struct sur_model *
fit_with_factors(float *X, int n, int d, int k, unsigned seed, const char *const *names)
{
	int *y = malloc((size_t)n * sizeof *y);
	struct sur_model *m = NULL;
	if (y) {
		synth(X, y, NULL, n, d, k, seed);
		m = sur_softmax_fit(X, y, NULL, (size_t)n, d, names, k, NULL, NULL);
	}
	free(y);
	CHECK(m && m->infl == SUR_INFL_CLASS, "fit");
	return m;
}

TEST(model_file_roundtrip_and_checks)
{
	enum { N = 120, D = 4, K = 3 };
	float X[N * D];
	static const char *const odd[] = { "T-shirt/top", "a \"quoted\" \\name", "\xc3\xa9t\xc3\xa9" };
	struct sur_model *m = fit_with_factors(X, N, D, K, 5, odd);
	if (!m)
		return;
	char *buf = NULL;
	size_t len = 0;
	struct sur_model *r = roundtrip(m, &buf, &len);
	CHECK(r != NULL, "load");
	if (r) {
		int d1 = D + 1;
		CHECK(r->kind == SUR_SOFTMAX && r->d == D && r->k == K && r->hp.n_train == N &&
		      r->hp.objective == m->hp.objective && r->hp.lambda == m->hp.lambda &&
		      r->infl == SUR_INFL_CLASS, "metadata");
		for (int c = 0; c < K; c++)
			CHECK(strcmp(r->classes[c], odd[c]) == 0, "class %d: %s", c, r->classes[c]);
		CHECK(memcmp(r->w1, m->w1, sizeof(float) * K * D) == 0 &&
		      memcmp(r->mean, m->mean, sizeof(float) * D) == 0 &&
		      memcmp(r->infl_class, m->infl_class, sizeof(float) * K * d1 * d1) == 0,
		      "weights");
		CHECK(sur_model_class(r, odd[1]) == 1 && sur_model_class(r, "x") == -1, "class");
	}
	CHECK(strncmp(buf, "# winnow-model 1\nkind: softmax\n", 31) == 0, "head: %.40s", buf);
	struct { const char *from, *to, *msg; } bad[] = {
		{ "# winnow-model 1", "# winnow-model 2", "version \"2\" not supported" },
		{ "# winnow-model 1", "# something else", "not a winnow model" },
		{ "dim: 4", "dim: 5", "tensor 1 is" },
		{ "dim: 4", "dim: x", "bad value \"x\" for dim" },
		{ "classes: 3", "classes: 4", "3 class names for 4 classes" },
		{ "lambda:", "lambada:", "unknown key \"lambada\"" },
		{ "kind: softmax", "kind: tree", "bad value \"tree\" for kind" },
		{ "n_train:", "n_tra:", "unknown key" },
		{ "iterations:", "objective:", "key \"objective\" repeated" },
		{ "...\n", "..\n", "expected \"...\"" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct wn_err e = load_edited(buf, len, bad[i].from, bad[i].to);
		CHECK(e.code == 65 && strstr(e.msg, bad[i].msg), "case %zu: %d %s", i, e.code, e.msg);
	}
	/* corrupt a weight byte, truncate, plant a NaN (with a fixed checksum) */
	char *end = memmem(buf, len, "...\n", 4) + 4;
	size_t off = (size_t)(end - buf);
	buf[off + 8] ^= 0x55;
	struct wn_err e = load_edited(buf, len, "", "");
	CHECK(e.code == 65 && strstr(e.msg, "checksum"), "%d %s", e.code, e.msg);
	buf[off + 8] ^= 0x55;
	FILE *fp = fmemopen(buf, len - 20, "rb");
	CHECK(!sur_model_load(fp, "short", &e) && e.code == 65 && strstr(e.msg, "truncated"),
	      "%d %s", e.code, e.msg);
	fclose(fp);
	m->w1[2] = NAN;
	free(buf);
	buf = NULL;
	sur_model_free(r);
	r = roundtrip(m, &buf, &len);
	CHECK(r == NULL, "NaN accepted");
	e = load_edited(buf, len, "", "");
	CHECK(e.code == 65 && strstr(e.msg, "tensor W: element 2 is nan"), "%d %s", e.code, e.msg);
	sur_model_free(r);
	sur_model_free(m);
	free(buf);
}

/* buf loaded from a real file with SUR_LOAD_NO_INFL: the factors are
 * then hashed and checked where the file is mapped, not read. */
static struct sur_model *
load_file_no_infl(const char *buf, size_t len, struct wn_err *e)
{
	FILE *fp = tmpfile();
	if (!fp || fwrite(buf, 1, len, fp) != len || fflush(fp) != 0 || fseek(fp, 0, SEEK_SET) != 0) {
		if (fp)
			fclose(fp);
		return NULL;
	}
	struct sur_model *r = sur_model_load_flags(fp, "file", SUR_LOAD_NO_INFL, e);
	fclose(fp);
	return r;
}

/* The loader reads, hashes and checks the tensors 16,384 floats at a
 * time: a NaN past the first chunk of a long tensor is still found and
 * named, and the weights round-trip across the chunk edges. */
TEST(model_file_chunked_read)
{
	enum { N = 120, D = 100, K = 3, D1 = D + 1 };
	static float X[N * D];
	static const char *const names[] = { "a", "b", "c" };
	struct sur_model *m = fit_with_factors(X, N, D, K, 7, names);
	if (!m)
		return;
	char *buf = NULL;
	size_t len = 0;
	struct sur_model *r = roundtrip(m, &buf, &len);
	CHECK(r && memcmp(r->infl_class, m->infl_class, sizeof(float) * K * D1 * D1) == 0,
	      "weights across the chunks");
	sur_model_free(r);
	/* SUR_LOAD_NO_INFL: the same weights, no factors kept */
	struct wn_err e = { 0 };
	FILE *fp = fmemopen(buf, len, "rb");
	r = sur_model_load_flags(fp, "mem", SUR_LOAD_NO_INFL, &e);
	fclose(fp);
	CHECK(r && memcmp(r->w1, m->w1, sizeof(float) * K * D) == 0, "no-infl weights: %s",
	      e.msg);
	CHECK(r && r->infl == SUR_INFL_NONE, "no-infl kind");
	CHECK(r && !r->infl_class, "no-infl kept the factors");
	sur_model_free(r);
	r = load_file_no_infl(buf, len, &e);
	CHECK(r && memcmp(r->w1, m->w1, sizeof(float) * K * D) == 0 && !r->infl_class,
	      "no-infl weights from a file: %s", e.msg);
	sur_model_free(r);
	/* ... whose bytes are still checksummed */
	buf[len - 12] ^= 0x55;
	fp = fmemopen(buf, len, "rb");
	r = sur_model_load_flags(fp, "mem", SUR_LOAD_NO_INFL, &e);
	fclose(fp);
	CHECK(!r && e.code == 65 && strstr(e.msg, "checksum"), "no-infl checksum: %d %s",
	      e.code, e.msg);
	sur_model_free(r);
	r = load_file_no_infl(buf, len, &e);
	CHECK(!r && e.code == 65 && strstr(e.msg, "checksum"), "no-infl checksum, file: %d %s",
	      e.code, e.msg);
	sur_model_free(r);
	free(buf);
	buf = NULL;
	m->infl_class[20000] = INFINITY;       /* in the second chunk */
	r = roundtrip(m, &buf, &len);
	CHECK(r == NULL, "inf accepted");
	e = load_edited(buf, len, "", "");
	CHECK(e.code == 65 && strstr(e.msg, "tensor infl_class: element 20000 is inf"), "%d %s",
	      e.code, e.msg);
	/* ... and checked */
	fp = fmemopen(buf, len, "rb");
	r = sur_model_load_flags(fp, "mem", SUR_LOAD_NO_INFL, &e);
	fclose(fp);
	CHECK(!r && e.code == 65 && strstr(e.msg, "tensor infl_class: element 20000 is inf"),
	      "no-infl inf: %d %s", e.code, e.msg);
	sur_model_free(r);
	r = load_file_no_infl(buf, len, &e);
	CHECK(!r && e.code == 65 && strstr(e.msg, "tensor infl_class: element 20000 is inf"),
	      "no-infl inf, file: %d %s", e.code, e.msg);
	sur_model_free(r);
	/* a truncated file: read, not mapped past its end, and refused as such */
	r = load_file_no_infl(buf, len - 5000, &e);
	CHECK(!r && e.code == 65 && strstr(e.msg, "truncated"), "truncated file: %d %s",
	      e.code, e.msg);
	sur_model_free(r);
	sur_model_free(m);
	free(buf);
}

/* The influence factors are the Cholesky factors of the matrices of
 * model.h, checked by rebuilding L L' against a slow sum. */
TEST(influence_factors)
{
	enum { N = 80, D = 3, K = 3, D1 = D + 1 };
	float X[N * D], w[N];
	int y[N];
	synth(X, y, w, N, D, K, 6);
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 0.05;
	o.norm = SUR_NORM_WEIGHT;
	struct sur_model *m = sur_softmax_fit(X, y, w, N, D, cls3, K, &o, NULL);
	CHECK(m && m->infl == SUR_INFL_CLASS, "fit");
	if (!m)
		return;
	float P[N * K], Xs[N * D];
	sur_predict_proba(m, X, N, P, NULL, NULL);
	sur_standardize(m, X, N, Xs);
	double S = m->hp.sum_weight;
	for (int c = -1; c < K; c++) {
		const float *L = c < 0 ? m->infl_shared : m->infl_class + c * D1 * D1;
		for (int r = 0; r < D1; r++)
			for (int q = 0; q < D1; q++) {
				double want = r == q ? 0.05 : 0, got = 0;
				for (int i = 0; i < N; i++) {
					double xr = r < D ? Xs[i * D + r] : 1, xq = q < D ? Xs[i * D + q] : 1;
					double pp = c < 0 ? 1 : P[i * K + c] * (1 - P[i * K + c]);
					want += w[i] / S * pp * xr * xq;
				}
				for (int t = 0; t < D1; t++)
					got += (double)L[r * D1 + t] * L[q * D1 + t];
				CHECK(fabs(got - want) < 1e-4, "class %d [%d][%d] %g vs %g", c, r, q, got,
				      want);
			}
	}
	sur_model_free(m);
}

/*
 * Preconditioning changes the path, not the optimum: on strongly
 * correlated features (each column a shared factor plus a little noise)
 * the whitened fit reaches the same objective and weights as the plain
 * one, in far fewer iterations.  With a warm start too (V = W L).
 */
enum { CN = 400, CD = 24 };

/* Latents with scales 0.7^j, mixed by a dense matrix: every column
 * correlated with every other, the covariance's eigenvalues spread over
 * decades (as random features are); 3 classes. */
static void correlated(float *X, int *y)
{
	enum { N = CN, D = CD };
	static float A[D * D];
	unsigned s = 12345;
#define NEXT_U (s = s * 1103515245u + 12345u, (float)((s >> 8) % 20000) / 10000.0f - 1.0f)
	for (int j = 0; j < D * D; j++)
		A[j] = NEXT_U;
	for (int i = 0; i < N; i++) {
		float z[D];
		for (int j = 0; j < D; j++)
			z[j] = NEXT_U * powf(0.7f, (float)j);
		for (int c = 0; c < D; c++) {
			float v = 0;
			for (int j = 0; j < D; j++)
				v += A[c * D + j] * z[j];
			X[i * D + c] = v;
		}
		float t = z[0] + 3 * z[3] + 20 * z[9];
		y[i] = t > 0.2f ? 2 : t > -0.2f ? 1 : 0;
	}
#undef NEXT_U
}

TEST(preconditioning_same_optimum_fewer_iterations)
{
	enum { N = CN, D = CD, K = 3 };
	static float X[N * D];
	int y[N];
	correlated(X, y);
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 1e-3;
	o.tol = 1e-6;
	o.max_iter = 5000;
	o.infl = SUR_INFL_NONE;
	struct wn_err err = { 0 };
	o.precondition = 0;
	struct sur_model *plain = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, &err);
	o.precondition = 1;
	struct sur_model *pre = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, &err);
	CHECK(plain && pre, "%s", err.msg);
	if (!plain || !pre)
		goto out;
	CHECK(plain->hp.grad_norm <= 1e-6 && pre->hp.grad_norm <= 1e-6, "gradient norms %g %g",
	      plain->hp.grad_norm, pre->hp.grad_norm);
	CHECK_NEAR(pre->hp.objective, plain->hp.objective, 1e-7);
	for (int j = 0; j < K * D; j++)
		CHECK(fabs(pre->w1[j] - plain->w1[j]) < 2e-3, "W[%d] %g vs %g", j, pre->w1[j],
		      plain->w1[j]);
	CHECK(3 * pre->hp.iterations <= plain->hp.iterations, "iterations: %d preconditioned, "
	      "%d plain", pre->hp.iterations, plain->hp.iterations);
	o.init = pre;
	struct sur_model *warm = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, &err);
	CHECK(warm && warm->hp.iterations <= 1, "warm start at the optimum: %d iterations",
	      warm ? warm->hp.iterations : -1);
	sur_model_free(warm);
out:
	sur_model_free(plain);
	sur_model_free(pre);
}

struct gnorms {
	int n;
	double g[64];
};

static int record_gnorm(void *ctx, int iter, double f, double gnorm)
{
	struct gnorms *G = ctx;
	(void)iter;
	(void)f;
	if (G->n < 64)
		G->g[G->n++] = gnorm;
	return 0;
}

/*
 * The gradient norm that each iteration reports (and that --tol is tested
 * against) is the model's, in (W, b), with or without an intercept.
 * Regression: preconditioned without an intercept, the iterations saw
 * libLBFGS's norm in the whitened coordinates V = W L, a different number,
 * so the fit stopped by the wrong measure.  The last iteration's norm is
 * checked against the gradient taken the slow way at the returned model.
 */
TEST(reported_gradient_norm_is_the_models)
{
	enum { N = CN, D = CD, K = 3 };
	static float X[N * D];
	int y[N];
	correlated(X, y);
	for (int intercept = 0; intercept <= 1; intercept++) {
		struct sur_softmax_opts o;
		sur_softmax_opts_default(&o);
		o.lambda = 1e-3;
		o.tol = 0;
		o.max_iter = 4;
		o.intercept = intercept;
		o.standardize = 0;      /* then X is the standardised data */
		o.infl = SUR_INFL_NONE;
		struct gnorms G = { 0 };
		o.on_iter = record_gnorm;
		o.ctx = &G;
		struct wn_err err = { 0 };
		struct sur_model *m = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, &err);
		CHECK(m && G.n >= 4, "%s: %d iterations", err.msg, G.n);
		if (!m || G.n == 0) {
			sur_model_free(m);
			continue;
		}
		float gW[K * D], gb[K];
		double f, s = 0;
		CHECK(sur_softmax_loss_grad(m, X, y, NULL, N, N, o.lambda, &f, gW, gb, &err) == 0,
		      "%s", err.msg);
		for (int j = 0; j < K * D; j++)
			s += (double)gW[j] * gW[j];
		for (int c = 0; c < K; c++)
			s += (double)gb[c] * gb[c];
		CHECK(fabs(G.g[G.n - 1] - sqrt(s)) <= 1e-3 * sqrt(s),
		      "intercept %d: last iteration reported %g, the gradient's norm is %g",
		      intercept, G.g[G.n - 1], sqrt(s));
		CHECK(fabs(m->hp.grad_norm - sqrt(s)) <= 1e-3 * sqrt(s),
		      "intercept %d: the model's grad_norm %g, the gradient's norm %g",
		      intercept, m->hp.grad_norm, sqrt(s));
		sur_model_free(m);
	}
}

/* consume_x: the same model from X standardised in place as from a copy;
 * with influence factors asked for, X is left alone (they need it). */
TEST(consume_x_same_model)
{
	enum { N = CN, D = CD, K = 3 };
	static float X[N * D], X2[N * D];
	int y[N];
	correlated(X, y);
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 1e-3;
	o.infl = SUR_INFL_NONE;
	struct wn_err err = { 0 };
	struct sur_model *a = sur_softmax_fit(X, y, NULL, N, D, cls3, K, &o, &err);
	memcpy(X2, X, sizeof X);
	o.consume_x = 1;
	struct sur_model *b = sur_softmax_fit(X2, y, NULL, N, D, cls3, K, &o, &err);
	CHECK(a && b, "%s", err.msg);
	if (a && b) {
		CHECK(memcmp(a->w1, b->w1, sizeof(float) * K * D) == 0 &&
		      memcmp(a->b1, b->b1, sizeof(float) * K) == 0, "models differ");
		CHECK(memcmp(X, X2, sizeof X) != 0, "consume_x left X as it was");
	}
	memcpy(X2, X, sizeof X);
	o.infl = SUR_INFL_CLASS;
	struct sur_model *c = sur_softmax_fit(X2, y, NULL, N, D, cls3, K, &o, &err);
	CHECK(c && memcmp(X, X2, sizeof X) == 0, "influence factors: X changed (%s)", err.msg);
	sur_model_free(a);
	sur_model_free(b);
	sur_model_free(c);
}

/*
 * The model is the same bytes whatever the thread count, with enough
 * classes that the preconditioner's maps split them unevenly (12 classes:
 * 5 + 5 + 2 on one thread, 5 + 1 twice on two).  It catches a wrong split
 * or a race; a last-bit difference between the five-class and the
 * one-class path of class_dots() would mostly vanish in the float model,
 * so those two are written to do the same operations.
 */
TEST(same_model_whatever_the_threads)
{
	enum { N = 1200, D = 20, K = 12 };
	static float X[N * D];
	static int y[N];
	synth(X, y, NULL, N, D, K, 7);
	const char *names[K];
	static char buf[K][16];   /* "c%02d" of any int: no truncation warning at -O1 */
	for (int c = 0; c < K; c++) {
		snprintf(buf[c], sizeof buf[c], "c%02d", c);
		names[c] = buf[c];
	}
	struct sur_softmax_opts o;
	sur_softmax_opts_default(&o);
	o.lambda = 1e-3;
	o.max_iter = 30;
	o.infl = SUR_INFL_NONE;
	struct wn_err err = { 0 };
	struct sur_model *m[3] = { NULL };
	int threads = openblas_get_num_threads();
	for (int t = 0; t < 3; t++) {
		openblas_set_num_threads(t + 1);
		m[t] = sur_softmax_fit(X, y, NULL, N, D, names, K, &o, &err);
		CHECK(m[t] != NULL, "%d threads: %s", t + 1, err.msg);
	}
	openblas_set_num_threads(threads);
	for (int t = 1; t < 3; t++)
		if (m[0] && m[t])
			CHECK(memcmp(m[0]->w1, m[t]->w1, sizeof(float) * K * D) == 0 &&
			      memcmp(m[0]->b1, m[t]->b1, sizeof(float) * K) == 0,
			      "1 and %d threads: the models differ", t + 1);
	for (int t = 0; t < 3; t++)
		sur_model_free(m[t]);
}

int main(void)
{
	RUN(gradient_matches_finite_differences);
	RUN(hessian_vector_matches_finite_differences);
	RUN(fit_matches_sklearn);
	RUN(weights_equal_repeats);
	RUN(preconditioning_same_optimum_fewer_iterations);
	RUN(standardize_and_predict);
	RUN(bad_inputs);
	RUN(model_file_roundtrip_and_checks);
	RUN(model_file_chunked_read);
	RUN(influence_factors);
	RUN(reported_gradient_norm_is_the_models);
	RUN(consume_x_same_model);
	RUN(same_model_whatever_the_threads);
	return unit_done();
}
