/*
 * model.c - surrogate model objects and prediction (the file: modelfile.c).
 */
#include <cblas.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "internal.h"
#include "model.h"


double
sur__exp_logits(float *z, int k, int y, double *nll)
{
	float mx = z[0];
	for (int c = 1; c < k; c++)
		if (z[c] > mx)
			mx = z[c];
	double se = 0, zy = (double)z[y] - mx;
	for (int c = 0; c < k; c++) {
		z[c] = expf(z[c] - mx);
		se += z[c];
	}
	*nll = log(se) - zy;
	return se;
}

size_t
sur__mul(size_t a, size_t b)
{
	if (a && b > SIZE_MAX / a)
		return 0;
	return a * b;
}

struct sur_model *
sur_model_new(enum sur_kind kind, int d, int k, int h, struct wn_err *err)
{
	if (kind != SUR_SOFTMAX && kind != SUR_MLP) {
		wn_seterr(err, WN_EDATA, "model: unknown kind %d", (int)kind);
		return NULL;
	}
	if (kind == SUR_SOFTMAX)
		h = 0;
	if (d < 1 || d > (1 << 24) || k < 2 || k > (1 << 16) ||
	    (kind == SUR_MLP && (h < 1 || h > (1 << 20)))) {
		wn_seterr(err, WN_EDATA, "model: bad sizes d=%d k=%d hidden=%d "
		          "(need d in [1, 2^24], k in [2, 2^16], hidden in [1, 2^20])", d, k, h);
		return NULL;
	}
	struct sur_model *m = calloc(1, sizeof *m);
	if (!m)
		goto oom;
	m->kind = kind;
	m->d = d;
	m->k = k;
	m->h = h;
	m->hp.intercept = 1;
	m->hp.standardize = 1;
	size_t in = kind == SUR_MLP ? (size_t)h : (size_t)k;
	m->mean = calloc(d, sizeof(float));
	m->scale = malloc(d * sizeof(float));
	m->w1 = calloc(sur__mul(in, d), sizeof(float));
	m->b1 = calloc(in, sizeof(float));
	if (!m->mean || !m->scale || !m->w1 || !m->b1)
		goto oom;
	if (kind == SUR_MLP) {
		m->w2 = calloc((size_t)k * h, sizeof(float));
		m->b2 = calloc(k, sizeof(float));
		if (!m->w2 || !m->b2)
			goto oom;
	}
	for (int j = 0; j < d; j++)
		m->scale[j] = 1;
	return m;
oom:
	sur_model_free(m);
	wn_seterr(err, WN_ESOFTWARE, "model: out of memory (d=%d k=%d hidden=%d)", d, k, h);
	return NULL;
}

void
sur_model_free(struct sur_model *m)
{
	if (!m)
		return;
	if (m->classes)
		for (int c = 0; c < m->k; c++)
			free(m->classes[c]);
	free(m->classes);
	free(m->mean);
	free(m->scale);
	free(m->w1);
	free(m->b1);
	free(m->w2);
	free(m->b2);
	free(m->infl_shared);
	free(m->infl_class);
	free(m);
}

static float *
dupf(const float *p, size_t n, int *fail)
{
	if (!p)
		return NULL;
	float *q = malloc(n * sizeof *q);
	if (!q) {
		*fail = 1;
		return NULL;
	}
	memcpy(q, p, n * sizeof *q);
	return q;
}

struct sur_model *
sur_model_dup(const struct sur_model *m, struct wn_err *err)
{
	struct sur_model *c = calloc(1, sizeof *c);
	int fail = !c;
	if (fail)
		goto oom;
	*c = *m;
	c->classes = NULL;
	size_t in = m->kind == SUR_MLP ? (size_t)m->h : (size_t)m->k;
	size_t d1 = (size_t)sur_model_d1(m);
	c->mean = dupf(m->mean, m->d, &fail);
	c->scale = dupf(m->scale, m->d, &fail);
	c->w1 = dupf(m->w1, in * m->d, &fail);
	c->b1 = dupf(m->b1, in, &fail);
	c->w2 = dupf(m->w2, (size_t)m->k * m->h, &fail);
	c->b2 = dupf(m->b2, m->k, &fail);
	c->infl_shared = dupf(m->infl_shared, d1 * d1, &fail);
	c->infl_class = dupf(m->infl_class, (size_t)m->k * d1 * d1, &fail);
	if (fail)
		goto oom;
	if (m->classes && sur_model_set_classes(c, (const char *const *)m->classes, err) < 0) {
		sur_model_free(c);
		return NULL;
	}
	return c;
oom:
	sur_model_free(c);
	wn_seterr(err, WN_ESOFTWARE, "model: out of memory");
	return NULL;
}

int
sur_model_set_classes(struct sur_model *m, const char *const *names, struct wn_err *err)
{
	for (int c = 0; c < m->k; c++) {
		if (!names[c] || strpbrk(names[c], "\t\r\n"))
			return wn_seterr(err, WN_EDATA, "model: class %d: a name holds a TAB, "
			                 "CR or newline", c);
		if (c > 0 && strcmp(names[c - 1], names[c]) >= 0)
			return wn_seterr(err, WN_EDATA, "model: class names not sorted and "
			                 "distinct: \"%s\" before \"%s\"", names[c - 1], names[c]);
	}
	char **v = calloc((size_t)(m->k > 0 ? m->k : 1), sizeof *v);
	if (!v)
		return wn_seterr(err, WN_ESOFTWARE, "model: out of memory");
	for (int c = 0; c < m->k; c++) {
		if (!(v[c] = strdup(names[c]))) {
			while (c-- > 0)
				free(v[c]);
			free(v);
			return wn_seterr(err, WN_ESOFTWARE, "model: out of memory");
		}
	}
	if (m->classes)
		for (int c = 0; c < m->k; c++)
			free(m->classes[c]);
	free(m->classes);
	m->classes = v;
	return 0;
}

int
sur_model_class(const struct sur_model *m, const char *name)
{
	int lo = 0, hi = m->k - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(m->classes[mid], name);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int
sur_model_d1(const struct sur_model *m)
{
	return m->d + (m->hp.intercept ? 1 : 0);
}


/* ---- prediction -------------------------------------------------------- */

struct sur_ws *
sur_ws_new(const struct sur_model *m, size_t max_rows, struct wn_err *err)
{
	struct sur_ws *ws = calloc(1, sizeof *ws);
	if (!ws)
		goto oom;
	/* SUR_BLOCK rows whatever the caller asks: callers step by ws->rows */
	(void)max_rows;
	max_rows = SUR_BLOCK;
	ws->rows = max_rows;
	ws->d = m->d;
	ws->h = m->h;
	ws->k = m->k;
	ws->xs = malloc(sur__mul(max_rows, m->d) * sizeof(float) + 1);
	ws->a = malloc(sur__mul(max_rows, m->h) * sizeof(float) + 1);
	ws->z = malloc(sur__mul(max_rows, m->k) * sizeof(float) + 1);
	if (!ws->xs || !ws->a || !ws->z)
		goto oom;
	return ws;
oom:
	sur_ws_free(ws);
	wn_seterr(err, WN_ESOFTWARE, "out of memory for a %zu-row workspace", max_rows);
	return NULL;
}

void
sur_ws_free(struct sur_ws *ws)
{
	if (!ws)
		return;
	free(ws->xs);
	free(ws->a);
	free(ws->z);
	free(ws);
}

void
sur_softmax_rows(float *Z, size_t n, int k)
{
	for (size_t i = 0; i < n; i++) {
		float *z = Z + i * k;
		float mx = z[0];
		for (int c = 1; c < k; c++)
			if (z[c] > mx)
				mx = z[c];
		double s = 0;
		for (int c = 0; c < k; c++) {
			z[c] = expf(z[c] - mx);
			s += z[c];
		}
		float inv = (float)(1.0 / s);
		for (int c = 0; c < k; c++)
			z[c] *= inv;
	}
}

/* Y (n x out) = X (n x in) W' + b, with W out x in. */
static void
affine(const float *X, size_t n, int in, const float *W, const float *b, int out,
       float *Y)
{
	for (size_t i = 0; i < n; i++)
		memcpy(Y + i * out, b, out * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, out, in, 1.0f, X, in, W, in,
	            1.0f, Y, out);
}

void
sur__forward(const struct sur_model *m, const float *Xs, size_t n, float *P,
             struct sur_ws *ws)
{
	if (m->kind == SUR_SOFTMAX) {
		affine(Xs, n, m->d, m->w1, m->b1, m->k, P);
	} else {
		affine(Xs, n, m->d, m->w1, m->b1, m->h, ws->a);
		for (size_t i = 0; i < n * (size_t)m->h; i++)
			if (ws->a[i] < 0)
				ws->a[i] = 0;
		affine(ws->a, n, m->h, m->w2, m->b2, m->k, P);
	}
	sur_softmax_rows(P, n, m->k);
}

void
sur__forward_rows(const struct sur_model *m, const float *Xs, size_t n, float *P,
                  struct sur_ws *ws)
{
	if (m->kind == SUR_SOFTMAX) {
		sur__affine_rows(Xs, n, m->d, m->w1, m->b1, m->k, P);
	} else {
		sur__affine_rows(Xs, n, m->d, m->w1, m->b1, m->h, ws->a);
		for (size_t i = 0; i < n * (size_t)m->h; i++)
			if (ws->a[i] < 0)
				ws->a[i] = 0;
		sur__affine_rows(ws->a, n, m->h, m->w2, m->b2, m->k, P);
	}
	sur_softmax_rows(P, n, m->k);
}

int
sur_predict_proba(const struct sur_model *m, const float *X, size_t n, float *P,
                  struct sur_ws *ws, struct wn_err *err)
{
	struct sur_ws *own = NULL;
	if (!ws) {
		if (!(own = ws = sur_ws_new(m, SUR_BLOCK, err)))
			return -1;
	}
	for (size_t i0 = 0; i0 < n; i0 += ws->rows) {
		size_t b = n - i0 < ws->rows ? n - i0 : ws->rows;
		size_t bad = sur_standardize(m, X + i0 * m->d, b, ws->xs);
		if (bad < b) {
			sur_ws_free(own);
			return wn_seterr(err, WN_EDATA, "row %zu: a feature is not a finite number",
			                 i0 + bad);
		}
		sur__forward_rows(m, ws->xs, b, P + i0 * m->k, ws);
	}
	sur_ws_free(own);
	return 0;
}

int
sur_evaluate(const struct sur_model *m, const float *X, const int *y, const float *w,
             size_t n, double *loss, double *acc, struct wn_err *err)
{
	return sur_evaluate_classes(m, X, y, w, n, loss, acc, NULL, NULL, err);
}

int
sur_evaluate_classes(const struct sur_model *m, const float *X, const int *y,
                     const float *w, size_t n, double *loss, double *acc,
                     long long *cls_n, long long *cls_ok, struct wn_err *err)
{
	struct sur_ws *ws = sur_ws_new(m, SUR_BLOCK, err);
	float *P = malloc((size_t)SUR_BLOCK * m->k * sizeof *P);
	if (!ws || !P) {
		sur_ws_free(ws);
		free(P);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	double sl = 0, sw = 0, sc = 0;
	if (cls_n) {
		memset(cls_n, 0, (size_t)m->k * sizeof *cls_n);
		memset(cls_ok, 0, (size_t)m->k * sizeof *cls_ok);
	}
	for (size_t i0 = 0; i0 < n; i0 += SUR_BLOCK) {
		size_t b = n - i0 < SUR_BLOCK ? n - i0 : SUR_BLOCK;
		sur_predict_proba(m, X + i0 * m->d, b, P, ws, NULL);
		for (size_t i = 0; i < b; i++) {
			int yi = y[i0 + i];
			if (yi < 0 || yi >= m->k)
				continue;
			double wi = w ? w[i0 + i] : 1.0;
			const float *p = P + i * m->k;
			int am = 0;
			for (int c = 1; c < m->k; c++)
				if (p[c] > p[am])
					am = c;
			sl += wi * -log(fmax(p[yi], FLT_MIN));
			sc += wi * (am == yi);
			sw += wi;
			if (cls_n) {
				cls_n[yi]++;
				cls_ok[yi] += am == yi;
			}
		}
	}
	sur_ws_free(ws);
	free(P);
	if (loss)
		*loss = sw > 0 ? sl / sw : 0;
	if (acc)
		*acc = sw > 0 ? sc / sw : 0;
	return 0;
}

void
sur_fit_standardize(struct sur_model *m, const float *X, size_t n, const float *w)
{
	int d = m->d;
	double *s1 = calloc(d, sizeof *s1), *s2 = calloc(d, sizeof *s2);
	double sw = 0;
	if (!s1 || !s2) {   /* keep the identity: correct, only slower to fit */
		free(s1);
		free(s2);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		double wi = w ? w[i] : 1.0;
		const float *x = X + i * d;
		for (int j = 0; j < d; j++)
			s1[j] += wi * x[j];
		sw += wi;
	}
	for (int j = 0; j < d; j++)
		s1[j] = sw > 0 ? s1[j] / sw : 0;
	for (size_t i = 0; i < n; i++) {
		double wi = w ? w[i] : 1.0;
		const float *x = X + i * d;
		for (int j = 0; j < d; j++) {
			double t = x[j] - s1[j];
			s2[j] += wi * t * t;
		}
	}
	for (int j = 0; j < d; j++) {
		double sd = sw > 0 ? sqrt(s2[j] / sw) : 0;
		m->mean[j] = (float)s1[j];
		/* a constant feature: leave it centred at 0, unscaled */
		m->scale[j] = sd > 1e-6 * (1 + fabs(s1[j])) ? (float)(1.0 / sd) : 1.0f;
	}
	free(s1);
	free(s2);
}

/* (cloned for AVX2: a subtraction and a product per element, the same
 * bits on every lane width; half the time of the SSE loop at d = 2048.
 * The finiteness test is branch-free, NaN comparing false, so the loop
 * still vectorises: it rides on the load the standardisation makes.) */
SUR_VECTOR_CLONES size_t
sur_standardize(const struct sur_model *m, const float *X, size_t n, float *out)
{
	int d = m->d;
	size_t first_bad = n;
	for (size_t i = 0; i < n; i++) {
		const float *x = X + i * d;
		float *o = out + i * d;
		int bad = 0;
		for (int j = 0; j < d; j++) {
			o[j] = (x[j] - m->mean[j]) * m->scale[j];
			bad |= !(fabsf(x[j]) <= FLT_MAX);
		}
		if (bad && first_bad == n)
			first_bad = i;
	}
	return first_bad;
}
