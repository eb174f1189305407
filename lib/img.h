/*
 * img.h - decoding images to 8-bit gray or RGB, and the area-averaging
 * resize to winnow-embed's working size.
 *
 * Formats, recognised by their first bytes (never by the file name):
 * PNG (libpng), JPEG (libjpeg-turbo), binary PGM/PPM (P5/P6, maxval at
 * most 255; smaller maxvals are rescaled to 0..255).  A path "FILE#N"
 * whose FILE exists names item N (0-based) of a container: an IDX image
 * file (plain or .gz, through idx.h) or a CIFAR-10 binary batch (3073-byte
 * records: label, 1024 R, 1024 G, 1024 B).  Containers are read once and
 * kept in a cache shared by the threads (struct img_cache); so is the
 * error of one that would not open (missing or bad content), so that the
 * other rows naming it fail at once instead of reading it again.
 *
 * Every failure is reported with the path and the reason: 66 for a file
 * that cannot be opened, 65 for anything wrong with its content (unknown
 * format, corrupt or truncated data, too many pixels, index out of range).
 */
#ifndef WN_IMG_H
#define WN_IMG_H

#include <stddef.h>

#include "err.h"

enum { IMG_MAX_PIXELS = 1 << 26 };  /* default decode-bomb limit (67M) */

struct img {
	int w, h;
	int c;                  /* 1 (gray) or 3 (RGB, interleaved) */
	unsigned char *px;      /* w*h*c bytes, row-major */
};

struct img_cache;

/* A cache of opened containers (up to a few files, least recently used
 * evicted when no thread holds them), safe to share between threads. */
struct img_cache *img_cache_new(void);
void img_cache_free(struct img_cache *c);

/* Decode path into im (im->px malloc'ed; img_free() it).  An image of more
 * than max_pixels pixels is refused before anything is allocated for it.
 * cache may be NULL (containers are then read for this call only). */
int img_load(struct img *im, const char *path, size_t max_pixels,
             struct img_cache *cache, struct wn_err *err);
void img_free(struct img *im);

/*
 * The working memory of img_resize, kept by a caller that resizes one
 * image after another on one thread (winnow-embed: one a share), so that
 * a call does not allocate and free its own: that was 1% of "-m pixels".
 * Zero it to start; img_scratch_free gives it back.  Kept only up to
 * IMG_SCRATCH_KEEP bytes (a 256 x 256 colour image needs 0.8 MB): a
 * larger image's memory is its call's alone, so one huge image does not
 * hold memory for the rest of the run.
 */
struct img_scratch {
	void *mem;
	size_t cap;
	/* set by the caller when another thread reads the output next: the
	 * rows are written past the cache (see clamp_to_float in img.c);
	 * when the same thread reads them at once that was 2% slower */
	int stream;
};
#define IMG_SCRATCH_KEEP ((size_t)1 << 20)
void img_scratch_free(struct img_scratch *s);

/*
 * Resize im to W x H by area averaging (each output pixel is the mean of
 * the input area it covers, partial pixels weighted by their overlap) and
 * write W*H*C floats in [0, 1], row-major, channels interleaved.
 * C = 1: RGB input becomes its luminance 0.299 R + 0.587 G + 0.114 B;
 * C = 3: gray input is replicated into the three channels.
 * scratch: the caller's working memory, or NULL for the call's own.
 * Returns -1 (70) only if memory runs out.
 */
int img_resize(const struct img *im, int W, int H, int C, float *out,
               struct img_scratch *scratch, struct wn_err *err);

#endif
