/*
 * img-sample - write a folder of small JPEG and PNG images of mixed sizes
 * made from Fashion-MNIST, as many as wanted (the million-image benchmark,
 * tests/bench/million.sh):
 *
 *   data/img-sample [-n N] [-f FIRST] OUTDIR [IMAGES.idx[.gz] LABELS.idx[.gz]]
 *
 * Writes images FIRST .. FIRST+N-1 (defaults 0 and 1000): image i is item
 * i mod COUNT of the IDX file (COUNT items); its repetitions past the first
 * (i >= COUNT) are moved by an even 2 or 4 pixels on either axis or both
 * (24 moves: repetitions 1 to 24 of an item each get a different one) and
 * given a contrast of 0.7 to 1.0 by a hash of i, so that a pool of a
 * million is not the training set's 60,000 images over and over (which
 * near-duplicate search rightly finds, and chains into groups of hundreds
 * of thousands).  Each is then resized by area averaging (lib/img.h) to
 * a side of 20, 28, 36, 48 or 64 pixels, gray or tinted RGB, and encoded
 * as PNG or as JPEG (quality 90), all chosen by a hash of i,
 * as OUTDIR/CLASS/img-IIIIIII.png or .jpg.  So two runs with the same
 * options write the same bytes, and ranges can be written by several
 * processes at once.  The inputs default to the Debian package's
 * training set in /usr/share/datasets/fashion-mnist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "hash.h"
#include "fmnist.h"
#include "img.h"
#include "prog.h"

static const int sides[5] = { 20, 28, 36, 48, 64 };

/*
 * A repetition of an item: src (w x h gray) moved by (dx, dy) pixels with
 * black coming in, its contrast scaled by gain, into dst.  Fashion-MNIST's
 * objects are centred on black, so a few pixels move the object without
 * cutting much of it.  The moves are 2 pixels apart: a 1-pixel move is
 * half a pixel at the 14x14 of the dedup embedding, close to a copy.  No
 * mirror: most of the classes are symmetric, so a mirror is a move.
 */
static void
vary(const unsigned char *src, int w, int h, int dx, int dy, float gain, unsigned char *dst)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int sx = x - dx, sy = y - dy;
			float v = sx < 0 || sx >= w || sy < 0 || sy >= h ? 0 : src[sy * w + sx];

			dst[y * w + x] = (unsigned char)(gain * v + 0.5f);
		}
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: img-sample [-n N] [-f FIRST] OUTDIR [IMAGES LABELS]\n");
}

static long
count_arg(const char *opt, const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > max)
		die(WN_EUSAGE, "%s: \"%s\" is not a count from 0 to %ld", opt, s, max);
	return v;
}

/* Write w x h x c pixels to path as JPEG (libjpeg-turbo, quality 90). */
static void
write_jpeg(const char *path, const unsigned char *px, int w, int h, int c)
{
	struct jpeg_compress_struct ci;
	struct jpeg_error_mgr je;
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		die(WN_ECANTCREAT, "%s: %s", path, strerror(errno));
	ci.err = jpeg_std_error(&je);   /* errors exit: a tool, not the library */
	jpeg_create_compress(&ci);
	jpeg_stdio_dest(&ci, fp);
	ci.image_width = (JDIMENSION)w;
	ci.image_height = (JDIMENSION)h;
	ci.input_components = c;
	ci.in_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, 90, TRUE);
	jpeg_start_compress(&ci, TRUE);
	for (int y = 0; y < h; y++) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)y * (size_t)w * (size_t)c);
		jpeg_write_scanlines(&ci, &row, 1);
	}
	jpeg_finish_compress(&ci);
	jpeg_destroy_compress(&ci);
	if (fclose(fp) != 0)
		die(WN_EIO, "%s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *out;
	struct idx im, lb;
	struct wn_err err = { 0 };
	long n = 1000, first = 0;
	char path[4096];
	float *f = emalloc(64 * 64 * 3 * sizeof *f);
	unsigned char *px = emalloc(64 * 64 * 3);
	unsigned char *moved = NULL;
	int a = 1;

	prog_init("img-sample");
	if (argc > 1 && strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	while (a + 1 < argc && (strcmp(argv[a], "-n") == 0 || strcmp(argv[a], "-f") == 0)) {
		if (argv[a][1] == 'n')
			n = count_arg("-n", argv[a + 1], 100000000);
		else
			first = count_arg("-f", argv[a + 1], 100000000);
		a += 2;
	}
	out = fmnist_open(argc - a, argv + a, &im, &lb, usage);
	moved = emalloc(im.dims[1] * im.dims[2]);
	for (long i = first; i < first + n; i++) {
		size_t k = (size_t)i % im.count;
		uint64_t r = wn_splitmix64((uint64_t)i);
		int cls = idx_item(&lb, k)[0], side = sides[r % 5], rgb = (r >> 8) % 4 == 0;
		int jpeg = (r >> 16) % 2, c = rgb ? 3 : 1;
		/* a tint per image: gray scaled per channel */
		float tint[3] = { 0.6f + 0.4f * (float)((r >> 24) & 255) / 255,
		                  0.6f + 0.4f * (float)((r >> 32) & 255) / 255,
		                  0.6f + 0.4f * (float)((r >> 40) & 255) / 255 };
		struct img g = { (int)im.dims[2], (int)im.dims[1], 1,
		                 (unsigned char *)idx_item(&im, k) };

		if ((size_t)i >= im.count) {
			/* move m of the 5 x 5 grid of (dx, dy) in {-4, -2, 0, 2, 4}
			 * less (0, 0); offset by the item so that not every item's
			 * first repetition moves the same way */
			int m = (int)((i / im.count - 1 + k * 7) % 24), cell = m < 12 ? m : m + 1;

			vary(g.px, g.w, g.h, 2 * (cell % 5) - 4, 2 * (cell / 5) - 4,
			     0.7f + 0.3f * (float)((r >> 48) & 31) / 31, moved);
			g.px = moved;
		}
		if (img_resize(&g, side, side, c, f, NULL, &err) != 0)
			die_err(&err);
		for (int j = 0; j < side * side * c; j++)
			px[j] = (unsigned char)(255 * f[j] * (rgb ? tint[j % 3] : 1) + 0.5f);
		snprintf(path, sizeof path, "%s/%s/img-%07ld.%s", out, idx_fmnist_classes[cls], i,
		         jpeg ? "jpg" : "png");
		if (jpeg) {
			write_jpeg(path, px, side, side, c);
		} else {
			png_image p;

			memset(&p, 0, sizeof p);
			p.version = PNG_IMAGE_VERSION;
			p.width = (png_uint_32)side;
			p.height = (png_uint_32)side;
			p.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
			if (!png_image_write_to_file(&p, path, 0, px, 0, NULL))
				die(WN_ECANTCREAT, "%s: %s", path, p.message);
		}
	}
	free(f);
	free(px);
	free(moved);
	idx_free(&im);
	idx_free(&lb);
	return 0;
}
