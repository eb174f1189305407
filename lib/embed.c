/*
 * embed.c - the pixels, random and kmeans embeddings, and k-means
 * dictionary learning.  See embed.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __SSE__
#include <immintrin.h>
#endif

#include <cblas.h>
#include <lapacke.h>
#include <xxhash.h>

#include "embed.h"
#include "hash.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the dictionary file is read and written as host floats: little-endian only"
#endif

/* kmeans: the distance GEMM's output for one tile of an image's patches,
 * at most this many floats (1 MB: a 28x28 image's 529 patches against
 * 400 centroids in one tile, read back by the triangle activation while
 * still in the L2 cache, where the 8 MB block of 9 images this replaced
 * went out to memory and back). */
enum { TILE_FLOATS = 1 << 18 };

#define DICT_MAGIC "winnow-kmeans-dict 1\n"

struct emb_ws {
	size_t rows;        /* kmeans: patch rows per tile */
	float *x;           /* rows x dim (kmeans) or n x in_dim (random) */
	float *xw;          /* rows x dim, whitened */
	float *g;           /* rows x k */
	double *hs;         /* kmeans: W x ph window sums of the pixels ... */
	double *hs2;        /* ... and of their squares */
	double *pm, *ps;    /* kmeans: each patch's mean and 1/sqrt(var + eps) */
	size_t xcap;        /* random: floats in x (maxn images) */
	double flop, sec;
};

/* CPU time of the calling thread (GEMM rates without other load). */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int emb_init(struct emb *e, enum emb_method m, int W, int H, int C,
             int d, uint64_t seed, const struct emb_dict *dict,
             struct wn_err *err)
{
	memset(e, 0, sizeof *e);
	e->method = m;
	e->W = W;
	e->H = H;
	e->C = C;
	e->in_dim = W * H * C;
	switch (m) {
	case EMB_PIXELS:
		e->out_dim = e->in_dim;
		break;
	case EMB_RANDOM: {
		size_t n = (size_t)d * e->in_dim;
		e->out_dim = d;
		if (!(e->proj = malloc(sizeof(float) * n)))
			return wn_seterr(err, WN_ESOFTWARE, "random projection: out of memory");
		for (size_t i = 0; i < n; i++)
			e->proj[i] = (float)wn_normal_counter(seed, EMB_STREAM_PROJECT, i);
		break;
	}
	case EMB_KMEANS:
		if (dict->channels != C)
			return wn_seterr(err, WN_EDATA, "the dictionary was learned on "
			                 "%d-channel patches, the images have %d channels",
			                 dict->channels, C);
		if (W < dict->patch || H < dict->patch)
			return wn_seterr(err, WN_EDATA, "size %dx%d is smaller than the "
			                 "dictionary's %dx%d patches", W, H,
			                 dict->patch, dict->patch);
		e->dict = dict;
		e->pw = W - dict->patch + 1;
		e->ph = H - dict->patch + 1;
		e->out_dim = 4 * dict->k;
		if (!(e->cc = malloc(sizeof(float) * dict->k)))
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
		for (int k = 0; k < dict->k; k++) {
			double s = 0;
			for (int j = 0; j < dict->dim; j++) {
				double v = dict->cent[(size_t)k * dict->dim + j];
				s += v * v;
			}
			e->cc[k] = (float)s;
		}
		break;
	}
	return 0;
}

void emb_free(struct emb *e)
{
	free(e->proj);
	free(e->cc);
	e->proj = e->cc = NULL;
}

struct emb_ws *emb_ws_new(const struct emb *e, size_t maxn)
{
	struct emb_ws *ws = calloc(1, sizeof *ws);

	if (!ws || e->method == EMB_PIXELS)
		return ws;
	if (e->method == EMB_RANDOM) {
		ws->xcap = maxn * e->in_dim;
		if (!(ws->x = malloc(sizeof(float) * (ws->xcap ? ws->xcap : 1)))) {
			free(ws);
			return NULL;
		}
		return ws;
	}
	size_t P = (size_t)e->pw * e->ph, k = (size_t)e->dict->k;
	ws->rows = TILE_FLOATS / k;
	ws->rows = ws->rows < 1 ? 1 : ws->rows > P ? P : ws->rows;
	ws->x = malloc(sizeof(float) * ws->rows * e->dict->dim);
	ws->xw = malloc(sizeof(float) * ws->rows * e->dict->dim);
	ws->g = malloc(sizeof(float) * ws->rows * k);
	ws->hs = malloc(sizeof(double) * (size_t)e->W * e->ph);
	ws->hs2 = malloc(sizeof(double) * (size_t)e->W * e->ph);
	ws->pm = malloc(sizeof(double) * P);
	ws->ps = malloc(sizeof(double) * P);
	if (!ws->x || !ws->xw || !ws->g || !ws->hs || !ws->hs2 || !ws->pm || !ws->ps) {
		emb_ws_free(ws);
		return NULL;
	}
	return ws;
}

void emb_ws_free(struct emb_ws *ws)
{
	if (!ws)
		return;
	free(ws->x);
	free(ws->xw);
	free(ws->g);
	free(ws->hs);
	free(ws->hs2);
	free(ws->pm);
	free(ws->ps);
	free(ws);
}

void emb_ws_gemm(const struct emb_ws *ws, double *flop, double *sec)
{
	*flop = ws->flop;
	*sec = ws->sec;
}

void emb_patch(const float *img, int W, int C, int p, int x, int y, float *dst)
{
	for (int dy = 0; dy < p; dy++)
		memcpy(dst + (size_t)dy * p * C, img + ((size_t)(y + dy) * W + x) * C,
		       sizeof(float) * p * C);
}

void emb_normalise(float *v, int n)
{
	double m = 0, s = 0;

	for (int i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (int i = 0; i < n; i++)
		s += (v[i] - m) * (v[i] - m);
	s = 1.0 / sqrt(s / (n > 1 ? n - 1 : 1) + EMB_NORM_EPS);
	for (int i = 0; i < n; i++)
		v[i] = (float)((v[i] - m) * s);
}

/*
 * The contrast normalisation of every patch of one image, from window sums
 * (each pixel is in p*p patches: summing each patch's D values, as
 * emb_normalise does, reads every pixel D times): ws->pm[r] gets patch
 * r's mean, ws->ps[r] 1 / sqrt(var + EMB_NORM_EPS), var the unbiased
 * variance, in double as emb_normalise computes them.  Each sum adds the
 * same values in the same order whatever the batch: a patch's numbers are
 * a function of its image alone.
 */
static void patch_stats(const struct emb *e, struct emb_ws *ws, const float *img)
{
	int p = e->dict->patch, C = e->C, W = e->W, D = e->dict->dim;

	/* column sums: hs[y * W + x] = sum over dy < p, c of pixel (x, y + dy) */
	for (int y = 0; y < e->ph; y++)
		for (int x = 0; x < W; x++) {
			double s = 0, s2 = 0;
			for (int dy = 0; dy < p; dy++)
				for (int c = 0; c < C; c++) {
					double v = img[((size_t)(y + dy) * W + x) * C + c];
					s += v;
					s2 += v * v;
				}
			ws->hs[(size_t)y * W + x] = s;
			ws->hs2[(size_t)y * W + x] = s2;
		}
	for (int y = 0; y < e->ph; y++)
		for (int x = 0; x < e->pw; x++) {
			const double *h = ws->hs + (size_t)y * W + x, *h2 = ws->hs2 + (size_t)y * W + x;
			double s = 0, s2 = 0, var;
			for (int dx = 0; dx < p; dx++) {
				s += h[dx];
				s2 += h2[dx];
			}
			var = (s2 - s * s / D) / (D > 1 ? D - 1 : 1);
			ws->pm[(size_t)y * e->pw + x] = s / D;
			ws->ps[(size_t)y * e->pw + x] = 1.0 / sqrt((var > 0 ? var : 0) + EMB_NORM_EPS);
		}
}

/* |v|^2 in 8 independent partial sums (which the compiler vectorises
 * without reordering anything), combined in a fixed order. */
static float sumsq(const float *v, int n)
{
	float a[8] = { 0 }, s;
	int j = 0;

	for (; j + 8 <= n; j += 8)
		for (int l = 0; l < 8; l++)
			a[l] += v[j + l] * v[j + l];
	s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
	for (; j < n; j++)
		s += v[j] * v[j];
	return s;
}

/*
 * The triangle activation of one patch: g holds -2 x.c_k, and becomes the
 * distances z_k = sqrt(|x|^2 - 2 x.c_k + |c_k|^2); q[k] += max(0,
 * mean(z) - z_k).  SSE by hand: the compiler will not vectorise sqrtf
 * (errno) nor reorder the float sum; the 4 partial sums are fixed, so the
 * result is the same on every run.
 */
static void triangle(float *restrict g, const float *restrict cc, float xx,
                     size_t K, float *restrict q)
{
	size_t k = 0;
	float mean = 0;
#ifdef __SSE__
	__m128 s4 = _mm_setzero_ps(), x4 = _mm_set1_ps(xx), z0 = _mm_setzero_ps();
	for (; k + 4 <= K; k += 4) {
		__m128 z = _mm_add_ps(_mm_add_ps(_mm_loadu_ps(g + k), _mm_loadu_ps(cc + k)), x4);
		z = _mm_sqrt_ps(_mm_max_ps(z, z0));
		_mm_storeu_ps(g + k, z);
		s4 = _mm_add_ps(s4, z);
	}
	float s[4];
	_mm_storeu_ps(s, s4);
	mean = (s[0] + s[1]) + (s[2] + s[3]);
#endif
	for (; k < K; k++) {
		float z2 = xx + g[k] + cc[k];
		g[k] = sqrtf(z2 > 0 ? z2 : 0);
		mean += g[k];
	}
	mean /= (float)K;
	k = 0;
#ifdef __SSE__
	__m128 m4 = _mm_set1_ps(mean);
	for (; k + 4 <= K; k += 4) {
		__m128 f = _mm_max_ps(_mm_sub_ps(m4, _mm_loadu_ps(g + k)), z0);
		_mm_storeu_ps(q + k, _mm_add_ps(_mm_loadu_ps(q + k), f));
	}
#endif
	for (; k < K; k++) {
		float f = mean - g[k];
		q[k] += f > 0 ? f : 0;
	}
}

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_TRIANGLE_AVX2 1
/*
 * triangle() 8 lanes at a time where the CPU has AVX2 (the square roots
 * are most of the encoding's time outside the GEMMs; an 8-wide vsqrtps
 * costs about what a 4-wide one does).  The same bits as triangle(): each
 * square root, difference and maximum is exact IEEE arithmetic, and the
 * 8 lanes are added into the same 4 partial sums in the same order (low
 * half, then high half), so a run on a machine without AVX2 writes the
 * same file.
 */
__attribute__((target("avx2"))) static void
triangle_avx2(float *restrict g, const float *restrict cc, float xx,
              size_t K, float *restrict q)
{
	size_t k = 0;
	float mean, s[4];
	__m256 x8 = _mm256_set1_ps(xx), z8 = _mm256_setzero_ps();
	__m128 s4 = _mm_setzero_ps();

	for (; k + 8 <= K; k += 8) {
		__m256 z = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(g + k),
		                                       _mm256_loadu_ps(cc + k)), x8);
		z = _mm256_sqrt_ps(_mm256_max_ps(z, z8));
		_mm256_storeu_ps(g + k, z);
		s4 = _mm_add_ps(s4, _mm256_castps256_ps128(z));
		s4 = _mm_add_ps(s4, _mm256_extractf128_ps(z, 1));
	}
	for (; k + 4 <= K; k += 4) {
		__m128 z = _mm_add_ps(_mm_add_ps(_mm_loadu_ps(g + k), _mm_loadu_ps(cc + k)),
		                      _mm256_castps256_ps128(x8));
		z = _mm_sqrt_ps(_mm_max_ps(z, _mm_setzero_ps()));
		_mm_storeu_ps(g + k, z);
		s4 = _mm_add_ps(s4, z);
	}
	_mm_storeu_ps(s, s4);
	mean = (s[0] + s[1]) + (s[2] + s[3]);
	for (; k < K; k++) {
		float z2 = xx + g[k] + cc[k];
		g[k] = sqrtf(z2 > 0 ? z2 : 0);
		mean += g[k];
	}
	mean /= (float)K;
	__m256 m8 = _mm256_set1_ps(mean);
	for (k = 0; k + 8 <= K; k += 8) {
		__m256 f = _mm256_max_ps(_mm256_sub_ps(m8, _mm256_loadu_ps(g + k)), z8);
		_mm256_storeu_ps(q + k, _mm256_add_ps(_mm256_loadu_ps(q + k), f));
	}
	for (; k < K; k++) {
		float f = mean - g[k];
		q[k] += f > 0 ? f : 0;
	}
}
#endif

/*
 * One image at a time, its patches in tiles of ws->rows (the same tiles
 * whatever the batch, so that an image's features do not depend on the
 * images beside it: the sharded pipeline and -j give the same bits):
 * contrast-normalised and mean-subtracted patches (im2col) -> whitened by
 * one GEMM -> -2 x.c_k by a second (the distance GEMM, all but a tenth of
 * the flops) -> triangle activation, sum-pooled into the quadrants.
 */
static void encode_kmeans(const struct emb *e, struct emb_ws *ws,
                          const float *px, size_t n, float *out)
{
	const struct emb_dict *d = e->dict;
	size_t P = (size_t)e->pw * e->ph, K = (size_t)d->k;
	int D = d->dim, hx = (e->pw + 1) / 2, hy = (e->ph + 1) / 2;
#ifdef HAVE_TRIANGLE_AVX2
	int avx2 = __builtin_cpu_supports("avx2");
#endif

	for (size_t i = 0; i < n; i++) {
		const float *img = px + i * e->in_dim;
		float *o = out + i * e->out_dim;

		memset(o, 0, sizeof(float) * e->out_dim);
		patch_stats(e, ws, img);
		for (size_t r0 = 0; r0 < P; r0 += ws->rows) {
			size_t rows = P - r0 < ws->rows ? P - r0 : ws->rows;
			/* im2col, normalised as emb_normalise does, mean subtracted */
			for (size_t r = 0; r < rows; r++) {
				int y = (int)((r0 + r) / e->pw), x = (int)((r0 + r) % e->pw);
				double m = ws->pm[r0 + r], s = ws->ps[r0 + r];
				float *dst = ws->x + r * D;
				emb_patch(img, e->W, e->C, d->patch, x, y, dst);
				for (int j = 0; j < D; j++)
					dst[j] = (float)((dst[j] - m) * s) - d->mean[j];
			}
			/*
			 * beta = 1 on zeroed outputs: the same bits as beta = 0
			 * (OpenBLAS zeroes C with its beta pass, then adds the
			 * products to it), but memset zeroes faster: the beta
			 * pass was a seventh of the encoding's time (perf).
			 */
			memset(ws->xw, 0, sizeof(float) * rows * D);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, D,
			            D, 1.0f, ws->x, D, d->zca, D, 1.0f, ws->xw, D);
			double t = now();
			memset(ws->g, 0, sizeof(float) * rows * K);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows,
			            (int)K, D, -2.0f, ws->xw, D, d->cent, D, 1.0f, ws->g,
			            (int)K);
			ws->sec += now() - t;
			ws->flop += 2.0 * rows * K * D;
			for (size_t r = 0; r < rows; r++) {
				int y = (int)((r0 + r) / e->pw), x = (int)((r0 + r) % e->pw);
				float xx = sumsq(ws->xw + r * D, D);
				float *q = o + K * (size_t)((y >= hy) * 2 + (x >= hx));
#ifdef HAVE_TRIANGLE_AVX2
				if (avx2) {
					triangle_avx2(ws->g + r * K, e->cc, xx, K, q);
					continue;
				}
#endif
				triangle(ws->g + r * K, e->cc, xx, K, q);
			}
		}
	}
}

static void encode_random(const struct emb *e, struct emb_ws *ws,
                          const float *px, size_t n, float *out)
{
	size_t D = (size_t)e->in_dim, i;

	for (i = 0; i < n; i++) {
		const float *p = px + i * D;
		float *s = ws->x + i * D;
		double m = 0, v = 0;
		for (size_t j = 0; j < D; j++)
			m += p[j];
		m /= D;
		for (size_t j = 0; j < D; j++)
			v += (p[j] - m) * (p[j] - m);
		v = 1.0 / sqrt(v / D + 0.01);
		for (size_t j = 0; j < D; j++)
			s[j] = (float)((p[j] - m) * v);
	}
	double t = now();
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, e->out_dim,
	            (int)D, (float)(1.0 / sqrt((double)D)), ws->x, (int)D,
	            e->proj, (int)D, 0.0f, out, e->out_dim);
	ws->sec += now() - t;
	ws->flop += 2.0 * n * e->out_dim * D;
	/* relu, NaN to 0: a select, which vectorises, not a conditional
	 * store (a branch per output, mispredicted on half of them: an
	 * eighth of winnow-embed's time) */
	for (i = 0; i < n * (size_t)e->out_dim; i++)
		out[i] = out[i] > 0 ? out[i] : 0.0f;
}

void emb_encode(const struct emb *e, struct emb_ws *ws, const float *px,
                size_t n, float *out)
{
	switch (e->method) {
	case EMB_PIXELS:
		memcpy(out, px, sizeof(float) * n * e->in_dim);
		break;
	case EMB_RANDOM:
		encode_random(e, ws, px, n, out);
		break;
	case EMB_KMEANS:
		encode_kmeans(e, ws, px, n, out);
		break;
	}
}

/* ---- learning ---- */

void emb_dict_free(struct emb_dict *d)
{
	free(d->mean);
	free(d->zca);
	free(d->cent);
	d->mean = d->zca = d->cent = NULL;
}

static int dict_alloc(struct emb_dict *d, int patch, int channels, int k)
{
	d->patch = patch;
	d->channels = channels;
	d->dim = patch * patch * channels;
	d->k = k;
	d->mean = calloc((size_t)d->dim, sizeof(float));
	d->zca = calloc((size_t)d->dim * d->dim, sizeof(float));
	d->cent = calloc((size_t)k * d->dim, sizeof(float));
	if (!d->mean || !d->zca || !d->cent) {
		emb_dict_free(d);
		return -1;
	}
	return 0;
}

/* Fit mean and ZCA matrix of the rows of x (already normalised). */
static int fit_zca(struct emb_dict *d, const float *x, size_t n, struct wn_err *err)
{
	int D = d->dim;
	double *mu = calloc((size_t)D, sizeof *mu), *cov = calloc((size_t)D * D, sizeof *cov);
	double *ev = malloc(sizeof(double) * D), *row = malloc(sizeof(double) * D);
	int rc = -1;

	if (!mu || !cov || !ev || !row) {
		wn_seterr(err, WN_ESOFTWARE, "ZCA: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < D; j++)
			mu[j] += x[i * D + j];
	for (int j = 0; j < D; j++)
		mu[j] /= (double)n;
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < D; j++)
			row[j] = x[i * D + j] - mu[j];
		cblas_dsyr(CblasRowMajor, CblasUpper, D, 1.0, row, 1, cov, D);
	}
	for (int a = 0; a < D; a++)
		for (int b = a; b < D; b++)
			cov[a * D + b] /= (double)(n > 1 ? n - 1 : 1);
	if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', D, cov, D, ev) != 0) {
		wn_seterr(err, WN_ESOFTWARE, "ZCA: the eigen-decomposition failed");
		goto out;
	}
	/* zca = V diag(1/sqrt(ev + eps)) V^T; columns of cov are eigenvectors */
	for (int a = 0; a < D; a++)
		for (int b = 0; b < D; b++) {
			double s = 0;
			for (int t = 0; t < D; t++) {
				double l = ev[t] > 0 ? ev[t] : 0;
				s += cov[a * D + t] * cov[b * D + t] / sqrt(l + EMB_ZCA_EPS);
			}
			d->zca[a * D + b] = (float)s;
		}
	for (int j = 0; j < D; j++)
		d->mean[j] = (float)mu[j];
	rc = 0;
out:
	free(mu);
	free(cov);
	free(ev);
	free(row);
	return rc;
}

int emb_learn_kmeans(struct emb_dict *d, float *x, size_t n, int patch,
                     int channels, int k, int iters, struct wn_err *err)
{
	int D = patch * patch * channels;
	size_t chunk = 4096;
	float *xw = NULL, *g = NULL, *cc = NULL;
	double *sum = NULL;
	long long *cnt = NULL;
	int *asg = NULL;

	memset(d, 0, sizeof *d);
	if (n < (size_t)k)
		return wn_seterr(err, WN_EDATA, "%zu patches are fewer than the %d "
		                 "centroids asked for", n, k);
	if (dict_alloc(d, patch, channels, k) != 0)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	d->npatches = (long long)n;
	d->iters = iters;
	for (size_t i = 0; i < n; i++)
		emb_normalise(x + i * D, D);
	if (fit_zca(d, x, n, err) != 0)
		goto fail;
	xw = malloc(sizeof(float) * n * D);
	g = malloc(sizeof(float) * chunk * k);
	cc = malloc(sizeof(float) * k);
	sum = malloc(sizeof(double) * k * D);
	cnt = malloc(sizeof(long long) * k);
	asg = malloc(sizeof(int) * chunk);
	if (!xw || !g || !cc || !sum || !cnt || !asg) {
		wn_seterr(err, WN_ESOFTWARE, "k-means: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < D; j++)
			x[i * D + j] -= d->mean[j];
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, D, D,
	            1.0f, x, D, d->zca, D, 0.0f, xw, D);
	for (int c = 0; c < k; c++)
		memcpy(d->cent + (size_t)c * D, xw + ((size_t)c * n / k) * D,
		       sizeof(float) * D);
	for (int it = 0; it < iters; it++) {
		for (int c = 0; c < k; c++) {
			double s = 0;
			for (int j = 0; j < D; j++)
				s += (double)d->cent[c * D + j] * d->cent[c * D + j];
			cc[c] = (float)s;
		}
		memset(sum, 0, sizeof(double) * k * D);
		memset(cnt, 0, sizeof(long long) * k);
		for (size_t i0 = 0; i0 < n; i0 += chunk) {
			size_t m = n - i0 < chunk ? n - i0 : chunk;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, k, D,
			            -2.0f, xw + i0 * D, D, d->cent, D, 0.0f, g, k);
			for (size_t i = 0; i < m; i++) {
				const float *gi = g + i * k;
				int best = 0;
				float bv = gi[0] + cc[0];
				for (int c = 1; c < k; c++)
					if (gi[c] + cc[c] < bv) {
						bv = gi[c] + cc[c];
						best = c;
					}
				asg[i] = best;
			}
			for (size_t i = 0; i < m; i++) {
				const float *r = xw + (i0 + i) * D;
				double *s = sum + (size_t)asg[i] * D;
				for (int j = 0; j < D; j++)
					s[j] += r[j];
				cnt[asg[i]]++;
			}
		}
		for (int c = 0; c < k; c++)
			if (cnt[c] > 0)
				for (int j = 0; j < D; j++)
					d->cent[c * D + j] = (float)(sum[c * D + j] / cnt[c]);
	}
	free(xw);
	free(g);
	free(cc);
	free(sum);
	free(cnt);
	free(asg);
	return 0;
fail:
	free(xw);
	free(g);
	free(cc);
	free(sum);
	free(cnt);
	free(asg);
	emb_dict_free(d);
	return -1;
}

/* ---- the dictionary file ---- */

static size_t dict_floats(const struct emb_dict *d)
{
	return (size_t)d->dim + (size_t)d->dim * d->dim + (size_t)d->k * d->dim;
}

static uint64_t dict_hash(const struct emb_dict *d)
{
	XXH64_state_t *s = XXH64_createState();
	uint64_t h;

	XXH64_reset(s, 0);
	XXH64_update(s, d->mean, sizeof(float) * d->dim);
	XXH64_update(s, d->zca, sizeof(float) * d->dim * d->dim);
	XXH64_update(s, d->cent, sizeof(float) * d->k * d->dim);
	h = XXH64_digest(s);
	XXH64_freeState(s);
	return h;
}

int emb_dict_save(const struct emb_dict *d, FILE *fp, const char *name,
                  struct wn_err *err)
{
	uint64_t h = dict_hash(d);

	fprintf(fp, DICT_MAGIC
	        "# Coates-Lee-Ng k-means dictionary for winnow-embed -m kmeans\n"
	        "patch: %d\nchannels: %d\ndim: %d\nk: %d\n"
	        "norm_eps: %.9g\nzca_eps: %.9g\n"
	        "learned_from_patches: %lld\niterations: %d\nseed: %llu\n"
	        "data: float32 little-endian mean[dim] zca[dim*dim] "
	        "centroids[k*dim], then xxh64 (8 bytes)\n"
	        "xxh64: %016llx\nend\n",
	        d->patch, d->channels, d->dim, d->k, EMB_NORM_EPS, EMB_ZCA_EPS,
	        d->npatches, d->iters, (unsigned long long)d->seed,
	        (unsigned long long)h);
	fwrite(d->mean, sizeof(float), d->dim, fp);
	fwrite(d->zca, sizeof(float), (size_t)d->dim * d->dim, fp);
	fwrite(d->cent, sizeof(float), (size_t)d->k * d->dim, fp);
	fwrite(&h, 8, 1, fp);
	if (ferror(fp))
		return wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(errno));
	return 0;
}

static int header_int(const char *path, const char *key, const char *v,
                      long lo, long hi, int *out, struct wn_err *err)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return wn_seterr(err, WN_EDATA, "%s: header: %s \"%s\" is not an "
		                 "integer in [%ld, %ld]", path, key, v, lo, hi);
	*out = (int)x;
	return 0;
}

int emb_dict_load(struct emb_dict *d, const char *path, struct wn_err *err)
{
	FILE *fp = fopen(path, "rb");
	char line[512];
	int patch = -1, ch = -1, dim = -1, k = -1, seen_end = 0, lineno = 1;
	uint64_t h, hfile;
	size_t nf;

	memset(d, 0, sizeof *d);
	if (!fp)
		return wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
	if (!fgets(line, sizeof line, fp) || strcmp(line, DICT_MAGIC) != 0) {
		fclose(fp);
		return wn_seterr(err, WN_EDATA, "%s: not a winnow k-means dictionary "
		                 "(no \"winnow-kmeans-dict 1\" first line)", path);
	}
	while (fgets(line, sizeof line, fp)) {
		char *v;
		int bad = 0;

		lineno++;
		if (!strchr(line, '\n'))
			break;
		*strchr(line, '\n') = 0;
		if (strcmp(line, "end") == 0) {
			seen_end = 1;
			break;
		}
		if (line[0] == '#')
			continue;
		if (!(v = strstr(line, ": "))) {
			fclose(fp);
			return wn_seterr(err, WN_EDATA, "%s:%d: header line is not "
			                 "\"key: value\"", path, lineno);
		}
		*v = 0;
		v += 2;
		if (strcmp(line, "patch") == 0)
			bad = header_int(path, line, v, 1, 64, &patch, err);
		else if (strcmp(line, "channels") == 0)
			bad = header_int(path, line, v, 1, 3, &ch, err);
		else if (strcmp(line, "dim") == 0)
			bad = header_int(path, line, v, 1, 64 * 64 * 3, &dim, err);
		else if (strcmp(line, "k") == 0)
			bad = header_int(path, line, v, 1, 1 << 20, &k, err);
		else if (strcmp(line, "iterations") == 0)
			bad = header_int(path, line, v, 0, 1 << 30, &d->iters, err);
		else if (strcmp(line, "learned_from_patches") == 0)
			d->npatches = strtoll(v, NULL, 10);
		else if (strcmp(line, "seed") == 0)
			d->seed = strtoull(v, NULL, 10);
		if (bad) {
			fclose(fp);
			return -1;
		}
	}
	if (!seen_end || patch < 0 || ch < 0 || dim < 0 || k < 0 || ch == 2 ||
	    dim != patch * patch * ch) {
		fclose(fp);
		return wn_seterr(err, WN_EDATA, "%s: header: %s", path, !seen_end ?
		                 "truncated (no \"end\" line)" : ch == 2 ?
		                 "channels must be 1 or 3" :
		                 dim >= 0 && patch >= 0 && ch >= 0 && k >= 0 ?
		                 "dim is not patch*patch*channels" :
		                 "patch, channels, dim and k are all required");
	}
	if (dict_alloc(d, patch, ch, k) != 0) {
		fclose(fp);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	}
	nf = fread(d->mean, sizeof(float), dim, fp);
	nf += fread(d->zca, sizeof(float), (size_t)dim * dim, fp);
	nf += fread(d->cent, sizeof(float), (size_t)k * dim, fp);
	if (nf != dict_floats(d) || fread(&hfile, 8, 1, fp) != 1) {
		fclose(fp);
		emb_dict_free(d);
		return wn_seterr(err, WN_EDATA, "%s: truncated (the header promises "
		                 "%zu floats)", path, dict_floats(d));
	}
	if (fgetc(fp) != EOF) {
		fclose(fp);
		emb_dict_free(d);
		return wn_seterr(err, WN_EDATA, "%s: trailing bytes after the data", path);
	}
	fclose(fp);
	h = dict_hash(d);
	if (h != hfile) {
		emb_dict_free(d);
		return wn_seterr(err, WN_EDATA, "%s: checksum mismatch: the data is "
		                 "corrupt", path);
	}
	for (size_t i = 0; i < (size_t)k * dim; i++)
		if (!isfinite(d->cent[i])) {
			emb_dict_free(d);
			return wn_seterr(err, WN_EDATA, "%s: non-finite centroid value", path);
		}
	return 0;
}

void
emb_sample_patches(const float *img, int W, int H, int C, int p, uint64_t key,
                   size_t ppi, float *dst)
{
	int pw = W - p + 1, ph = H - p + 1;
	size_t D = (size_t)p * p * C;

	for (size_t i = 0; i < ppi; i++) {
		int x = (int)(wn_u01_counter(key, WN_STREAM_PATCH, 2 * i) * pw);
		int y = (int)(wn_u01_counter(key, WN_STREAM_PATCH, 2 * i + 1) * ph);
		emb_patch(img, W, C, p, x, y, dst + i * D);
	}
}

uint64_t
emb_config_hash(const struct emb *e, uint64_t seed, int batch, long long max_pixels)
{
	const struct emb_dict *d = e->method == EMB_KMEANS ? e->dict : NULL;
	char buf[512];
	uint64_t h;

	snprintf(buf, sizeof buf, "m=%d s=%dx%d c=%d d=%d seed=%llu batch=%d px=%lld",
	         (int)e->method, e->W, e->H, e->C, e->out_dim, (unsigned long long)seed, batch,
	         max_pixels);
	h = XXH64(buf, strlen(buf), 0);
	if (d) {
		h = XXH64(d->cent, sizeof(float) * d->k * d->dim, h);
		h = XXH64(d->zca, sizeof(float) * d->dim * d->dim, h);
		h = XXH64(d->mean, sizeof(float) * d->dim, h);
	}
	return h;
}
