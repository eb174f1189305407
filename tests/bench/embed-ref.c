/*
 * embed-ref - reference measurements for tests/bench/embed.sh (built by
 * that script against lib/libwinnow.a):
 *
 *   embed-ref gemm M N K      single-thread cblas_sgemm GFLOP per CPU second,
 *                             C(MxN) = A(MxK) B(NxK)^T, the kmeans shape;
 *                             "gemm 2048 2048 2048" is the peak reference
 *   embed-ref decode FILE...  images per CPU second decoding the files with
 *                             a bare libpng/libjpeg loop and with img_load()
 *
 * Each figure is the best of several repetitions, in thread CPU time (the
 * machine is shared: wall-clock rates would measure the other load).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <jpeglib.h>
#include <png.h>

#include "img.h"

/* CPU time of this thread: the GEMM rates do not count time the machine
 * gave to others. */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int gemm(int M, int N, int K)
{
	float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * N * K);
	float *c = malloc(sizeof(float) * M * N);
	double best = 0;

	for (long i = 0; i < (long)M * K; i++)
		a[i] = (float)(i % 17) * 0.01f;
	for (long i = 0; i < (long)N * K; i++)
		b[i] = (float)(i % 13) * 0.01f;
	for (int r = 0; r < 4; r++) {
		double t = cpu(), reps = 0;
		do {
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K,
			            -2.0f, a, K, b, K, 0.0f, c, N);
			reps++;
		} while (cpu() - t < 0.5);
		double g = 2.0 * M * N * K * reps / (cpu() - t) * 1e-9;
		if (r > 0 && g > best)  /* the first round warms up */
			best = g;
	}
	printf("%.2f\n", best);
	free(a);
	free(b);
	free(c);
	return 0;
}

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
};

static void jfail(j_common_ptr ci)
{
	longjmp(((struct jerr *)ci->err)->jb, 1);
}

/* The bare loops: the plainest use of each library. */
static int bare_png(const char *path, unsigned char *buf, size_t cap)
{
	png_image p;

	memset(&p, 0, sizeof p);
	p.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&p, path))
		return -1;
	p.format = (p.format & PNG_FORMAT_FLAG_COLOR) ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	if (PNG_IMAGE_SIZE(p) > cap || !png_image_finish_read(&p, NULL, buf, 0, NULL)) {
		png_image_free(&p);
		return -1;
	}
	return 0;
}

static int bare_jpeg(const char *path, unsigned char *buf, size_t cap)
{
	struct jpeg_decompress_struct ci;
	struct jerr je;
	FILE *fp = fopen(path, "rb");
	JSAMPROW row;

	if (!fp)
		return -1;
	ci.err = jpeg_std_error(&je.mgr);
	je.mgr.error_exit = jfail;
	if (setjmp(je.jb)) {
		jpeg_destroy_decompress(&ci);
		fclose(fp);
		return -1;
	}
	jpeg_create_decompress(&ci);
	jpeg_stdio_src(&ci, fp);
	jpeg_read_header(&ci, TRUE);
	jpeg_start_decompress(&ci);
	if ((size_t)ci.output_width * ci.output_height * ci.output_components > cap)
		longjmp(je.jb, 1);
	while (ci.output_scanline < ci.output_height) {
		row = buf + (size_t)ci.output_scanline * ci.output_width * ci.output_components;
		jpeg_read_scanlines(&ci, &row, 1);
	}
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	fclose(fp);
	return 0;
}

static int decode(int n, char **files)
{
	size_t cap = 64 << 20;
	unsigned char *buf = malloc(cap);
	double best_bare = 0, best_img = 0;
	struct wn_err err;

	for (int r = 0; r < 5; r++) {
		double t = cpu();
		for (int i = 0; i < n; i++) {
			size_t l = strlen(files[i]);
			int jpg = l > 4 && (strcmp(files[i] + l - 4, ".jpg") == 0 ||
			                    strcmp(files[i] + l - 5, ".jpeg") == 0);
			if ((jpg ? bare_jpeg : bare_png)(files[i], buf, cap) != 0) {
				fprintf(stderr, "embed-ref: %s: cannot decode\n", files[i]);
				return 1;
			}
		}
		double bare = n / (cpu() - t);
		t = cpu();
		for (int i = 0; i < n; i++) {
			struct img im;
			if (img_load(&im, files[i], IMG_MAX_PIXELS, NULL, &err) != 0) {
				fprintf(stderr, "embed-ref: %s\n", err.msg);
				return 1;
			}
			img_free(&im);
		}
		double mine = n / (cpu() - t);
		if (bare > best_bare)
			best_bare = bare;
		if (mine > best_img)
			best_img = mine;
	}
	printf("%.0f %.0f\n", best_bare, best_img);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	openblas_set_num_threads(1);
	if (argc == 5 && strcmp(argv[1], "gemm") == 0)
		return gemm(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc > 2 && strcmp(argv[1], "decode") == 0)
		return decode(argc - 2, argv + 2);
	fprintf(stderr, "usage: embed-ref gemm M N K | decode FILE...\n");
	return 64;
}
