/*
 * test_embed.c - the resize, the ZCA whitening and the k-means encoder
 * against hand-computed cases and slow, obvious implementations.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed.h"
#include "hash.h"
#include "img.h"
#include "unit.h"

TEST(resize_halves)
{
	/* 4x2 gray -> 2x1: each output is the mean of a 2x2 block */
	unsigned char px[8] = {0, 255, 51, 102, 255, 255, 153, 204};
	struct img im = {4, 2, 1, px};
	float out[2];
	struct wn_err err;

	CHECK(img_resize(&im, 2, 1, 1, out, NULL, &err) == 0, "%s", err.msg);
	CHECK_NEAR(out[0], (0 + 255 + 255 + 255) / 4.0 / 255, 1e-6);
	CHECK_NEAR(out[1], (51 + 102 + 153 + 204) / 4.0 / 255, 1e-6);
}

TEST(resize_fractional)
{
	/* 3 -> 2 pixels in one row: out0 = (p0 + p1/2)/1.5, out1 = (p1/2 + p2)/1.5 */
	unsigned char px[3] = {30, 60, 90};
	struct img im = {3, 1, 1, px};
	float out[2];
	struct wn_err err;

	CHECK(img_resize(&im, 2, 1, 1, out, NULL, &err) == 0, "%s", err.msg);
	CHECK_NEAR(out[0], (30 + 30) / 1.5 / 255, 1e-6);
	CHECK_NEAR(out[1], (30 + 90) / 1.5 / 255, 1e-6);
}

TEST(resize_channels)
{
	unsigned char rgb[3] = {255, 0, 0}, gray[1] = {51};
	struct img a = {1, 1, 3, rgb}, b = {1, 1, 1, gray};
	float o1[1], o3[3];
	struct wn_err err;

	CHECK(img_resize(&a, 1, 1, 1, o1, NULL, &err) == 0, "%s", err.msg);
	CHECK_NEAR(o1[0], 0.299, 1e-6);
	CHECK(img_resize(&b, 1, 1, 3, o3, NULL, &err) == 0, "%s", err.msg);
	CHECK_NEAR(o3[0], 0.2, 1e-6);
	CHECK_NEAR(o3[2], 0.2, 1e-6);
	/* upscaling 1x1 to 3x2 replicates */
	float up[6];
	CHECK(img_resize(&b, 3, 2, 1, up, NULL, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 6; i++)
		CHECK_NEAR(up[i], 0.2, 1e-6);
}

/*
 * The area-averaging resize as first written, one sum at a time: the
 * definition img_resize must match bit for bit (the embeddings of every
 * earlier run stay valid), whatever its loop order, layout or vector width.
 */
static void slow_axis(int in, int out, int *start, int *idx, double *wt)
{
	int k = 0;

	for (int o = 0; o < out; o++) {
		long long lo = (long long)o * in, hi = (long long)(o + 1) * in;
		start[o] = k;
		for (long long i = lo / out; i * out < hi; i++) {
			long long a0 = i * out > lo ? i * out : lo;
			long long a1 = (i + 1) * out < hi ? (i + 1) * out : hi;
			idx[k] = (int)i;
			wt[k++] = (double)(a1 - a0) / (double)in;
		}
	}
	start[out] = k;
}

static void slow_resize(const struct img *im, int W, int H, int C, float *out)
{
	int w = im->w, h = im->h;
	size_t npx = (size_t)w * h;
	float *src = malloc(sizeof(float) * npx * C), *tmp = malloc(sizeof(float) * W * h * C);
	int *xs = malloc(sizeof(int) * (W + 1)), *xi = malloc(sizeof(int) * (w + 2 * W));
	int *ys = malloc(sizeof(int) * (H + 1)), *yi = malloc(sizeof(int) * (h + 2 * H));
	double *xw = malloc(sizeof(double) * (w + 2 * W)), *yw = malloc(sizeof(double) * (h + 2 * H));
	const float s = 1.0f / 255.0f;

	slow_axis(w, W, xs, xi, xw);
	slow_axis(h, H, ys, yi, yw);
	for (size_t i = 0; i < npx; i++)
		for (int c = 0; c < C; c++) {
			const unsigned char *p = im->px + i * im->c;
			src[i * C + c] = C == im->c ? p[c] * s : C == 1 ?
			    (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) * s : p[0] * s;
		}
	for (int y = 0; y < h; y++)
		for (int o = 0; o < W; o++)
			for (int c = 0; c < C; c++) {
				double acc = 0;
				for (int k = xs[o]; k < xs[o + 1]; k++)
					acc += xw[k] * src[((size_t)y * w + xi[k]) * C + c];
				tmp[((size_t)y * W + o) * C + c] = (float)acc;
			}
	for (int o = 0; o < H; o++)
		for (int x = 0; x < W * C; x++) {
			double acc = 0;
			for (int k = ys[o]; k < ys[o + 1]; k++)
				acc += yw[k] * tmp[(size_t)yi[k] * W * C + x];
			out[(size_t)o * W * C + x] = acc > 1 ? 1.0f : acc < 0 ? 0.0f : (float)acc;
		}
	free(src);
	free(tmp);
	free(xs);
	free(xi);
	free(ys);
	free(yi);
	free(xw);
	free(yw);
}

TEST(resize_bits_vs_slow)
{
	/* random sizes both ways (down, up, one side each), gray and RGB in
	 * and out, noise and black-and-white images */
	uint64_t r = 7;
	int bad = 0;
	struct img_scratch scratch = { 0 };     /* one for all: sizes up and down */

	for (int t = 0; t < 3000; t++) {
		struct img im;
		struct wn_err err;
		im.w = 1 + (int)(wn_u01_counter(r, 1, t) * 90);
		im.h = 1 + (int)(wn_u01_counter(r, 2, t) * 90);
		im.c = wn_u01_counter(r, 3, t) < 0.5 ? 1 : 3;
		int W = 1 + (int)(wn_u01_counter(r, 4, t) * 40), H = 1 + (int)(wn_u01_counter(r, 5, t) * 40);
		int C = wn_u01_counter(r, 6, t) < 0.5 ? 1 : 3;
		size_t n = (size_t)im.w * im.h * im.c, m = (size_t)W * H * C;
		im.px = malloc(n);
		for (size_t i = 0; i < n; i++) {
			double u = wn_u01_counter(r, 7 + t, i);
			im.px[i] = (unsigned char)(t % 3 == 0 ? (u < 0.5 ? 0 : 255) : u * 256);
		}
		/* the output 0-3 floats past an aligned start, streamed or not:
		 * img_resize streams the rows when asked and they are all
		 * 16-byte aligned, and stores them otherwise */
		float *a = malloc(sizeof(float) * m), *b0 = malloc(sizeof(float) * (m + 3));
		float *b = b0 + t % 4;
		slow_resize(&im, W, H, C, a);
		scratch.stream = t / 4 % 2;     /* both ways at each offset */
		CHECK(img_resize(&im, W, H, C, b, t % 5 ? &scratch : NULL, &err) == 0, "%s", err.msg);
		if (memcmp(a, b, sizeof(float) * m) != 0 && bad++ < 3)
			CHECK(0, "%dx%dx%d -> %dx%dx%d: not the same floats", im.w, im.h, im.c, W, H, C);
		free(a);
		free(b0);
		free(im.px);
	}
	CHECK(bad == 0, "%d of 3000 resizes differ", bad);
	img_scratch_free(&scratch);
}

static float frand(uint64_t i)
{
	return (float)wn_u01_counter(42, 99, i);
}

TEST(zca_whitens)
{
	/* Whitened learning patches have covariance ~ I (up to the eps). */
	int p = 2, D = 4, n = 2000, k = 3;
	float *x = malloc(sizeof(float) * n * D), *x0 = malloc(sizeof(float) * n * D);
	struct emb_dict d;
	struct wn_err err;

	for (int i = 0; i < n * D; i++)
		x[i] = frand(i);
	memcpy(x0, x, sizeof(float) * n * D);
	CHECK(emb_learn_kmeans(&d, x, n, p, 1, k, 3, &err) == 0, "%s", err.msg);
	/* zca symmetric */
	for (int a = 0; a < D; a++)
		for (int b = 0; b < D; b++)
			CHECK_NEAR(d.zca[a * D + b], d.zca[b * D + a], 1e-5);
	/* whiten by hand, covariance in the directions not killed by the
	 * normalisation (which removes the mean: one zero eigenvalue) */
	double cov[16] = {0};
	float *w = malloc(sizeof(float) * n * D);
	for (int i = 0; i < n; i++) {
		float v[4];
		memcpy(v, x0 + i * D, sizeof v);
		emb_normalise(v, D);
		for (int a = 0; a < D; a++) {
			double s = 0;
			for (int b = 0; b < D; b++)
				s += (v[b] - d.mean[b]) * d.zca[b * D + a];
			w[i * D + a] = (float)s;
		}
	}
	for (int i = 0; i < n; i++)
		for (int a = 0; a < D; a++)
			for (int b = 0; b < D; b++)
				cov[a * D + b] += (double)w[i * D + a] * w[i * D + b] / (n - 1);
	/* C_w = V diag(l/(l+eps)) V^T: a projector-like matrix; its trace is
	 * sum l/(l+eps) < 3, and C_w^2 ~ C_w with eigenvalues in (0,1) */
	double tr = cov[0] + cov[5] + cov[10] + cov[15];
	CHECK(tr > 2.5 && tr < 3.0, "trace %g", tr);
	/* the all-ones direction has zero variance after normalisation */
	double s1 = 0;
	for (int a = 0; a < D; a++)
		for (int b = 0; b < D; b++)
			s1 += cov[a * D + b];
	CHECK(fabs(s1) < 1e-3, "variance along ones %g", s1);
	emb_dict_free(&d);
	free(x);
	free(x0);
	free(w);
}

TEST(zca_hand)
{
	/* 1x1 patches with 2 channels would be degenerate; instead check the
	 * formula on a case we can solve: 2 samples give a rank-1 covariance.
	 * With patches (0,1,0,1) and (1,0,1,0) (2x2, one channel), normalised
	 * they are +-u, u = (-1,1,-1,1)/sqrt(4/3 + eps').  Covariance = 2 u u^T
	 * (n-1 = 1), eigenvalue l = 2|u|^2, so zca u = u / sqrt(l + 0.1). */
	float x[8] = {0, 1, 0, 1, 1, 0, 1, 0};
	struct emb_dict d;
	struct wn_err err;

	CHECK(emb_learn_kmeans(&d, x, 2, 2, 1, 1, 1, &err) == 0, "%s", err.msg);
	double s = 1.0 / sqrt(0.25 * 4 / 3 + EMB_NORM_EPS), u2 = 4 * 0.25 * s * s;
	double l = 2 * u2;
	float u[4] = {-0.5 * s, 0.5 * s, -0.5 * s, 0.5 * s};
	for (int a = 0; a < 4; a++) {
		double v = 0;
		for (int b = 0; b < 4; b++)
			v += d.zca[a * 4 + b] * u[b];
		CHECK_NEAR(v, u[a] / sqrt(l + EMB_ZCA_EPS), 1e-4);
	}
	/* an orthogonal direction scales by 1/sqrt(eps) */
	float o[4] = {1, 1, -1, -1};
	for (int a = 0; a < 4; a++) {
		double v = 0;
		for (int b = 0; b < 4; b++)
			v += d.zca[a * 4 + b] * o[b];
		CHECK_NEAR(v, o[a] / sqrt(EMB_ZCA_EPS), 1e-4);
	}
	emb_dict_free(&d);
}

/* The slow, obvious Coates-Lee-Ng encoder, one patch at a time. */
static void slow_kmeans(const struct emb_dict *d, const float *img, int W,
                        int H, int C, float *out)
{
	int p = d->patch, D = d->dim, K = d->k, pw = W - p + 1, ph = H - p + 1;
	double *z = malloc(sizeof(double) * K);
	float *v = malloc(sizeof(float) * D);

	memset(out, 0, sizeof(float) * 4 * K);
	for (int y = 0; y < ph; y++)
		for (int x = 0; x < pw; x++) {
			for (int dy = 0; dy < p; dy++)
				for (int dx = 0; dx < p; dx++)
					for (int c = 0; c < C; c++)
						v[(dy * p + dx) * C + c] = img[((y + dy) * W + x + dx) * C + c];
			double m = 0, var = 0, mean = 0;
			for (int j = 0; j < D; j++)
				m += v[j];
			m /= D;
			for (int j = 0; j < D; j++)
				var += (v[j] - m) * (v[j] - m);
			var /= D - 1;
			double w[64];
			for (int a = 0; a < D; a++) {
				w[a] = 0;
				for (int b = 0; b < D; b++)
					w[a] += ((v[b] - m) / sqrt(var + EMB_NORM_EPS) - d->mean[b]) *
					        d->zca[b * D + a];
			}
			for (int k = 0; k < K; k++) {
				double s = 0;
				for (int j = 0; j < D; j++)
					s += (w[j] - d->cent[k * D + j]) * (w[j] - d->cent[k * D + j]);
				z[k] = sqrt(s);
				mean += z[k] / K;
			}
			int q = (y >= (ph + 1) / 2) * 2 + (x >= (pw + 1) / 2);
			for (int k = 0; k < K; k++)
				if (mean - z[k] > 0)
					out[q * K + k] += (float)(mean - z[k]);
		}
	free(z);
	free(v);
}

TEST(kmeans_encoder_vs_slow)
{
	int W = 7, H = 6, C = 3, p = 3, K = 5, n = 3;
	int D = p * p * C, np = 400;
	float *pat = malloc(sizeof(float) * np * D);
	float *imgs = malloc(sizeof(float) * n * W * H * C);
	struct emb_dict d;
	struct emb e;
	struct wn_err err;

	for (int i = 0; i < np * D; i++)
		pat[i] = frand(1000 + i);
	for (int i = 0; i < n * W * H * C; i++)
		imgs[i] = frand(100000 + i);
	CHECK(emb_learn_kmeans(&d, pat, np, p, C, K, 5, &err) == 0, "%s", err.msg);
	CHECK(emb_init(&e, EMB_KMEANS, W, H, C, 0, 0, &d, &err) == 0, "%s", err.msg);
	CHECK(e.out_dim == 4 * K, "out_dim %d", e.out_dim);
	struct emb_ws *ws = emb_ws_new(&e, n);
	float *out = malloc(sizeof(float) * n * e.out_dim), slow[20];
	emb_encode(&e, ws, imgs, n, out);
	for (int i = 0; i < n; i++) {
		slow_kmeans(&d, imgs + i * W * H * C, W, H, C, slow);
		for (int j = 0; j < 4 * K; j++)
			CHECK_NEAR(out[i * 4 * K + j], slow[j], 2e-4);
	}
	double flop, sec;
	emb_ws_gemm(ws, &flop, &sec);
	CHECK(flop == 2.0 * n * 5 * 4 * K * D, "flop %g", flop);
	emb_ws_free(ws);
	emb_free(&e);
	emb_dict_free(&d);
	free(out);
	free(pat);
	free(imgs);
}

/* An image's features are a function of the image alone, bit for bit:
 * alone, or at any place in a batch (pipelines/sharded and -j rely on
 * it).  And an image whose patches take several tiles of the distance
 * GEMM (K = 20003 centroids: 13 patch rows a tile, 49 patches), K not a
 * multiple of 4 or 8, against the slow encoder. */
TEST(kmeans_image_pure_and_tiled)
{
	int W = 8, H = 8, C = 1, p = 2, K = 20003, n = 3, D = 4, np = 20100;
	float *pat = malloc(sizeof(float) * np * D);
	float *imgs = malloc(sizeof(float) * n * W * H * C);
	struct emb_dict d;
	struct emb e;
	struct wn_err err;

	for (int i = 0; i < np * D; i++)
		pat[i] = frand(300000 + i);
	for (int i = 0; i < n * W * H * C; i++)
		imgs[i] = frand(900000 + i);
	CHECK(emb_learn_kmeans(&d, pat, np, p, C, K, 1, &err) == 0, "%s", err.msg);
	CHECK(emb_init(&e, EMB_KMEANS, W, H, C, 0, 0, &d, &err) == 0, "%s", err.msg);
	struct emb_ws *ws = emb_ws_new(&e, n);
	float *all = malloc(sizeof(float) * n * e.out_dim);
	float *one = malloc(sizeof(float) * e.out_dim);
	float *slow = malloc(sizeof(float) * e.out_dim);
	emb_encode(&e, ws, imgs, n, all);
	for (int i = 0; i < n; i++) {
		emb_encode(&e, ws, imgs + i * W * H * C, 1, one);
		CHECK(memcmp(one, all + (size_t)i * e.out_dim, sizeof(float) * e.out_dim) == 0,
		      "image %d: features differ alone and in the batch", i);
		slow_kmeans(&d, imgs + i * W * H * C, W, H, C, slow);
		for (int j = 0; j < e.out_dim; j++)
			CHECK_NEAR(one[j], slow[j], 2e-3);
	}
	emb_ws_free(ws);
	emb_free(&e);
	emb_dict_free(&d);
	free(all);
	free(one);
	free(slow);
	free(pat);
	free(imgs);
}

TEST(random_vs_slow)
{
	int W = 4, H = 3, C = 1, dd = 6, D = 12;
	float img[12], out[6];
	struct emb e;
	struct wn_err err;

	for (int i = 0; i < D; i++)
		img[i] = frand(7 + i);
	CHECK(emb_init(&e, EMB_RANDOM, W, H, C, dd, 5, NULL, &err) == 0, "%s", err.msg);
	struct emb_ws *ws = emb_ws_new(&e, 1);
	emb_encode(&e, ws, img, 1, out);
	double m = 0, v = 0;
	for (int j = 0; j < D; j++)
		m += img[j] / D;
	for (int j = 0; j < D; j++)
		v += (img[j] - m) * (img[j] - m) / D;
	for (int k = 0; k < dd; k++) {
		double s = 0;
		for (int j = 0; j < D; j++)
			s += wn_normal_counter(5, EMB_STREAM_PROJECT, (uint64_t)k * D + j) *
			     (img[j] - m) / sqrt(v + 0.01);
		s /= sqrt(D);
		CHECK_NEAR(out[k], s > 0 ? s : 0, 1e-5);
	}
	emb_ws_free(ws);
	emb_free(&e);
}

TEST(dict_roundtrip)
{
	int np = 50, D = 4;
	float pat[200];
	struct emb_dict d, d2;
	struct wn_err err;
	char path[] = "/tmp/test_embed_dictXXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "wb");

	for (int i = 0; i < np * D; i++)
		pat[i] = frand(5000 + i);
	CHECK(emb_learn_kmeans(&d, pat, np, 2, 1, 4, 2, &err) == 0, "%s", err.msg);
	CHECK(emb_dict_save(&d, fp, path, &err) == 0, "%s", err.msg);
	fclose(fp);
	CHECK(emb_dict_load(&d2, path, &err) == 0, "%s", err.msg);
	CHECK(d2.k == 4 && d2.dim == 4 && d2.patch == 2, "k %d", d2.k);
	CHECK(memcmp(d.cent, d2.cent, sizeof(float) * 16) == 0, "centroids differ");
	emb_dict_free(&d2);
	/* flip a data byte: checksum */
	fp = fopen(path, "r+b");
	fseek(fp, -20, SEEK_END);
	fputc(0x55, fp);
	fclose(fp);
	CHECK(emb_dict_load(&d2, path, &err) == -1 && err.code == WN_EDATA &&
	      strstr(err.msg, "checksum"), "%s", err.msg);
	/* truncate */
	CHECK(truncate(path, 300) == 0, "truncate");
	CHECK(emb_dict_load(&d2, path, &err) == -1 && err.code == WN_EDATA &&
	      strstr(err.msg, "truncated"), "%s", err.msg);
	unlink(path);
	emb_dict_free(&d);
}

int main(void)
{
	RUN(resize_halves);
	RUN(resize_fractional);
	RUN(resize_channels);
	RUN(resize_bits_vs_slow);
	RUN(zca_whitens);
	RUN(zca_hand);
	RUN(kmeans_encoder_vs_slow);
	RUN(kmeans_image_pure_and_tiled);
	RUN(random_vs_slow);
	RUN(dict_roundtrip);
	return unit_done();
}
