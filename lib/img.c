/*
 * img.c - image decoding (libpng, libjpeg-turbo, netpbm by hand, IDX and
 * CIFAR-10 containers) and the area-averaging resize.  See img.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>    /* SSE2, and SSE's xmmintrin.h with it */
#endif
#include <jpeglib.h>
#include <png.h>

#include "idx.h"
#include "img.h"

enum { CIFAR_REC = 3073, CIFAR_SIDE = 32, CACHE_SLOTS = 4 };

/* ---- containers (IDX, CIFAR-10) ---- */

enum ctype { C_IDX, C_CIFAR };

struct container {
	char *path;
	enum ctype type;
	struct idx idx;             /* C_IDX */
	unsigned char *data;        /* C_CIFAR: the whole file */
	size_t count;               /* items */
	struct wn_err *fail;        /* a file that would not open: its error */
	int refs;                   /* threads holding it */
	unsigned long long used;    /* LRU clock */
};

struct img_cache {
	pthread_mutex_t lock;
	struct container *slot[CACHE_SLOTS];
	unsigned long long clock;
};

static void container_free(struct container *k)
{
	if (!k)
		return;
	if (k->type == C_IDX)
		idx_free(&k->idx);
	free(k->data);
	free(k->fail);
	free(k->path);
	free(k);
}

struct img_cache *img_cache_new(void)
{
	struct img_cache *c = calloc(1, sizeof *c);

	if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void img_cache_free(struct img_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		container_free(c->slot[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Read a whole file (plain) into memory. */
static unsigned char *slurp(const char *path, size_t *len, struct wn_err *err)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	struct stat st;

	if (!fp) {
		wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		wn_seterr(err, WN_ENOINPUT, "%s: not a regular file", path);
		goto out;
	}
	*len = (size_t)st.st_size;
	buf = malloc(*len ? *len : 1);
	if (!buf) {
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, *len, fp) != *len) {
		wn_seterr(err, WN_EIO, "%s: read error", path);
		free(buf);
		buf = NULL;
	}
out:
	fclose(fp);
	return buf;
}

/* Open a container: IDX if it starts like one (or like gzip), CIFAR-10 if
 * its size is a whole number of 3073-byte records. */
static struct container *container_open(const char *path, struct wn_err *err)
{
	struct container *k = calloc(1, sizeof *k);
	unsigned char head[4] = {0};
	FILE *fp;
	size_t n;

	if (!k || !(k->path = strdup(path))) {
		free(k);
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
		return NULL;
	}
	if (!(fp = fopen(path, "rb"))) {
		wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
		goto fail;
	}
	n = fread(head, 1, 4, fp);
	fclose(fp);
	if ((n >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
	    (n == 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08)) {
		k->type = C_IDX;
		if (idx_load(&k->idx, path, err) != 0)
			goto fail;
		if (k->idx.ndims != 3) {
			wn_seterr(err, WN_EDATA, "%s: IDX file has %d dimensions, "
			          "images need 3 (count, rows, columns)", path, k->idx.ndims);
			goto fail;
		}
		k->count = k->idx.count;
		return k;
	}
	k->type = C_CIFAR;
	if (!(k->data = slurp(path, &n, err)))
		goto fail;
	if (n == 0 || n % CIFAR_REC != 0) {
		wn_seterr(err, WN_EDATA, "%s: neither an IDX file nor a CIFAR-10 "
		          "batch (size %zu is not a multiple of %d)", path, n, CIFAR_REC);
		goto fail;
	}
	k->count = n / CIFAR_REC;
	return k;
fail:
	container_free(k);
	return NULL;
}

/* Put k in a free slot or the least recently used one nobody holds;
 * -1 if every slot is held.  Called with the lock held. */
static int cache_insert(struct img_cache *c, struct container *k)
{
	int victim = -1;

	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct container *s = c->slot[i];
		if (!s) {
			victim = i;
			break;
		}
		if (s->refs == 0 && (victim < 0 || s->used < c->slot[victim]->used))
			victim = i;
	}
	if (victim >= 0) {
		container_free(c->slot[victim]);
		c->slot[victim] = k;
	}
	return victim;
}

/* Remember that path would not open (bad or missing): with --on-error
 * skip, the other rows naming it then fail at once instead of reading it
 * again each (a truncated 30 MB .gz, 60,000 times).  Read errors and
 * out-of-memory are not remembered: they may pass. */
static void cache_failure(struct img_cache *c, const char *path,
                          const struct wn_err *err)
{
	struct container *k;

	if (!err || (err->code != WN_EDATA && err->code != WN_ENOINPUT))
		return;
	if (!(k = calloc(1, sizeof *k)) || !(k->path = strdup(path)) ||
	    !(k->fail = malloc(sizeof *k->fail))) {
		container_free(k);
		return;
	}
	*k->fail = *err;
	k->used = ++c->clock;
	if (cache_insert(c, k) < 0)
		container_free(k);
}

/* Find or open the container at path; the caller releases it. */
static struct container *cache_get(struct img_cache *c, const char *path,
                                   struct wn_err *err)
{
	struct container *k;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		k = c->slot[i];
		if (k && strcmp(k->path, path) == 0) {
			k->used = ++c->clock;
			if (k->fail) {
				if (err)
					*err = *k->fail;
				pthread_mutex_unlock(&c->lock);
				return NULL;
			}
			k->refs++;
			pthread_mutex_unlock(&c->lock);
			return k;
		}
	}
	/* Opened under the lock: threads asking for the same file wait for
	 * one read instead of each reading it. */
	k = container_open(path, err);
	if (k) {
		k->refs = 1;
		k->used = ++c->clock;
		if (cache_insert(c, k) < 0)
			k->refs = -1;   /* not cached: freed on release */
	} else {
		cache_failure(c, path, err);
	}
	pthread_mutex_unlock(&c->lock);
	return k;
}

static void cache_put(struct img_cache *c, struct container *k)
{
	if (k->refs < 0) {
		container_free(k);
		return;
	}
	pthread_mutex_lock(&c->lock);
	k->refs--;
	pthread_mutex_unlock(&c->lock);
}

static int load_item(struct img *im, const struct container *k, size_t i,
                     const char *path)
{
	if (k->type == C_IDX) {
		const unsigned char *p = idx_item(&k->idx, i);
		size_t n = k->idx.item_size;

		im->h = (int)k->idx.dims[1];
		im->w = (int)k->idx.dims[2];
		im->c = 1;
		if (!(im->px = malloc(n)))
			return -1;
		memcpy(im->px, p, n);
	} else {
		const unsigned char *r = k->data + i * CIFAR_REC + 1;
		int np = CIFAR_SIDE * CIFAR_SIDE;

		im->w = im->h = CIFAR_SIDE;
		im->c = 3;
		if (!(im->px = malloc((size_t)np * 3)))
			return -1;
		for (int j = 0; j < np; j++)
			for (int ch = 0; ch < 3; ch++)
				im->px[3 * j + ch] = r[ch * np + j];
	}
	(void)path;
	return 0;
}

/* "FILE#N" with FILE an existing file and N decimal: split it. */
static int container_path(const char *path, char **file, size_t *index)
{
	const char *h = strrchr(path, '#');
	struct stat st;
	char *end;
	unsigned long long v;

	if (!h || h[1] < '0' || h[1] > '9')
		return 0;
	errno = 0;
	v = strtoull(h + 1, &end, 10);
	if (*end || errno)
		return 0;
	if (!(*file = strndup(path, (size_t)(h - path))))
		return -1;
	if (stat(*file, &st) != 0 && stat(path, &st) == 0) {
		free(*file);    /* a file really called "x#3" */
		*file = NULL;
		return 0;
	}
	*index = (size_t)v;
	return 1;
}

static int load_container(struct img *im, const char *path, const char *file,
                          size_t index, size_t max_pixels,
                          struct img_cache *cache, struct wn_err *err)
{
	struct container *k;
	int rc = -1;

	k = cache ? cache_get(cache, file, err) : container_open(file, err);
	if (!k)
		return -1;
	if (index >= k->count) {
		wn_seterr(err, WN_EDATA, "%s: index %zu out of range (the file "
		          "holds %zu images)", path, index, k->count);
	} else if (k->type == C_IDX ? k->idx.item_size > max_pixels :
	           (size_t)CIFAR_SIDE * CIFAR_SIDE > max_pixels) {
		size_t w = k->type == C_IDX ? k->idx.dims[2] : CIFAR_SIDE;
		size_t h = k->type == C_IDX ? k->idx.dims[1] : CIFAR_SIDE;
		wn_seterr(err, WN_EDATA, "%s: %zux%zu image is more than the limit "
		          "of %zu pixels", path, w, h, max_pixels);
	} else if (load_item(im, k, index, path) != 0) {
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	} else {
		rc = 0;
	}
	if (cache)
		cache_put(cache, k);
	else
		container_free(k);
	return rc;
}

/* ---- PNG (libpng's simplified API: errors come back as messages) ---- */

static int load_png(struct img *im, const char *path, const unsigned char *buf,
                    size_t len, size_t max_pixels, struct wn_err *err)
{
	png_image p;
	png_color black = {0, 0, 0};

	memset(&p, 0, sizeof p);
	p.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&p, buf, len)) {
		wn_seterr(err, WN_EDATA, "%s: bad PNG: %s", path, p.message);
		png_image_free(&p);
		return -1;
	}
	if ((size_t)p.width * p.height > max_pixels) {
		wn_seterr(err, WN_EDATA, "%s: %ux%u image is more than the limit "
		          "of %zu pixels", path, p.width, p.height, max_pixels);
		png_image_free(&p);
		return -1;
	}
	/* Gray stays gray; colour (and palette) becomes RGB; alpha is
	 * composited onto black. */
	im->c = (p.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
	p.format = im->c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	im->w = (int)p.width;
	im->h = (int)p.height;
	if (!(im->px = malloc(PNG_IMAGE_SIZE(p)))) {
		png_image_free(&p);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	}
	if (!png_image_finish_read(&p, &black, im->px, 0, NULL)) {
		wn_seterr(err, WN_EDATA, "%s: bad PNG: %s", path, p.message);
		png_image_free(&p);
		img_free(im);
		return -1;
	}
	return 0;
}

/* ---- JPEG (libjpeg-turbo, errors longjmp back here) ---- */

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr ci)
{
	struct jerr *e = (struct jerr *)ci->err;

	(*ci->err->format_message)(ci, e->msg);
	longjmp(e->jb, 1);
}

/* Warnings (corrupt or truncated data, which libjpeg would paper over
 * with gray) are errors for us. */
static void jpeg_message(j_common_ptr ci, int level)
{
	if (level < 0)
		jpeg_fail(ci);
}

static int load_jpeg(struct img *im, const char *path, const unsigned char *buf,
                     size_t len, size_t max_pixels, struct wn_err *err)
{
	struct jpeg_decompress_struct ci;
	struct jerr je;
	unsigned char *volatile px = NULL;
	JSAMPROW row;

	ci.err = jpeg_std_error(&je.mgr);
	je.mgr.error_exit = jpeg_fail;
	je.mgr.emit_message = jpeg_message;
	if (setjmp(je.jb)) {
		wn_seterr(err, WN_EDATA, "%s: bad JPEG: %s", path, je.msg);
		jpeg_destroy_decompress(&ci);
		free(px);
		return -1;
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, buf, (unsigned long)len);
	jpeg_read_header(&ci, TRUE);
	if ((size_t)ci.image_width * ci.image_height > max_pixels) {
		wn_seterr(err, WN_EDATA, "%s: %ux%u image is more than the limit "
		          "of %zu pixels", path, ci.image_width, ci.image_height,
		          max_pixels);
		jpeg_destroy_decompress(&ci);
		return -1;
	}
	if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) {
		wn_seterr(err, WN_EDATA, "%s: CMYK JPEG is not supported", path);
		jpeg_destroy_decompress(&ci);
		return -1;
	}
	im->c = ci.num_components == 1 ? 1 : 3;
	ci.out_color_space = im->c == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_start_decompress(&ci);
	im->w = (int)ci.output_width;
	im->h = (int)ci.output_height;
	if (!(px = malloc((size_t)im->w * im->h * im->c))) {
		jpeg_destroy_decompress(&ci);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	}
	while (ci.output_scanline < ci.output_height) {
		row = px + (size_t)ci.output_scanline * im->w * im->c;
		jpeg_read_scanlines(&ci, &row, 1);
	}
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	im->px = px;
	return 0;
}

/* ---- binary PGM/PPM (by hand: a header and raw bytes) ---- */

struct cursor {
	const unsigned char *p, *end;
};

static int cgetc(struct cursor *c)
{
	return c->p < c->end ? *c->p++ : EOF;
}

/* Next header number, skipping whitespace and # comments; -1 if none. */
static long pnm_num(struct cursor *cu)
{
	int ch;
	long v = 0;

	for (;;) {
		ch = cgetc(cu);
		if (ch == '#') {
			while ((ch = cgetc(cu)) != EOF && ch != '\n')
				;
		} else if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
			break;
		}
	}
	if (ch < '0' || ch > '9')
		return -1;
	while (ch >= '0' && ch <= '9') {
		if (v > 100000000)
			return -1;
		v = v * 10 + (ch - '0');
		ch = cgetc(cu);
	}
	/* exactly one whitespace byte ends the number */
	if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
		return -1;
	return v;
}

static int load_pnm(struct img *im, const char *path, const unsigned char *buf,
                    size_t len, size_t max_pixels, struct wn_err *err)
{
	struct cursor cu = { buf + 2, buf + len };
	int type = buf[1];
	long w = pnm_num(&cu), h = w < 0 ? -1 : pnm_num(&cu);
	long maxval = h < 0 ? -1 : pnm_num(&cu);
	size_t n;

	if (w <= 0 || h <= 0 || maxval <= 0)
		return wn_seterr(err, WN_EDATA, "%s: bad P%c header", path, type);
	if (maxval > 255)
		return wn_seterr(err, WN_EDATA, "%s: maxval %ld: only 8-bit PGM/PPM "
		                 "(maxval at most 255) is supported", path, maxval);
	if ((size_t)w * (size_t)h > max_pixels)
		return wn_seterr(err, WN_EDATA, "%s: %ldx%ld image is more than the "
		                 "limit of %zu pixels", path, w, h, max_pixels);
	im->w = (int)w;
	im->h = (int)h;
	im->c = type == '5' ? 1 : 3;
	n = (size_t)w * h * im->c;
	if ((size_t)(cu.end - cu.p) < n)
		return wn_seterr(err, WN_EDATA, "%s: truncated P%c data "
		                 "(%ldx%ld needs %zu bytes)", path, type, w, h, n);
	if (!(im->px = malloc(n)))
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	memcpy(im->px, cu.p, n);
	if (maxval != 255)
		for (size_t i = 0; i < n; i++) {
			unsigned v = im->px[i] > maxval ? (unsigned)maxval : im->px[i];
			im->px[i] = (unsigned char)((v * 255 + (unsigned)maxval / 2) / (unsigned)maxval);
		}
	return 0;
}

/* read(2) until n bytes or an error (EOF early counts as one). */
static int read_all(int fd, unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

int img_load(struct img *im, const char *path, size_t max_pixels,
             struct img_cache *cache, struct wn_err *err)
{
	unsigned char *buf;
	char *file = NULL;
	size_t index = 0, n;
	struct stat st;
	int fd, rc;

	memset(im, 0, sizeof *im);
	switch (container_path(path, &file, &index)) {
	case -1:
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	case 1:
		rc = load_container(im, path, file, index, max_pixels, cache, err);
		free(file);
		return rc;
	}
	/* One read of the whole file, decoded from memory: small images cost
	 * a syscall or two.  A file larger than any image within the pixel
	 * limit could need (4 bytes a pixel) is refused unread. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return wn_seterr(err, WN_ENOINPUT, "%s: not a regular file", path);
	}
	n = (size_t)st.st_size;
	if (n / 4 > max_pixels + 16384) {
		close(fd);
		return wn_seterr(err, WN_EDATA, "%s: %zu bytes is more than an image "
		                 "of at most %zu pixels needs", path, n, max_pixels);
	}
	if (!(buf = malloc(n ? n : 1))) {
		close(fd);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	}
	if (read_all(fd, buf, n) != 0) {
		rc = wn_seterr(err, WN_EIO, "%s: read error: %s", path, strerror(errno));
	} else if (n >= 8 && png_sig_cmp(buf, 0, 8) == 0) {
		rc = load_png(im, path, buf, n, max_pixels, err);
	} else if (n >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) {
		rc = load_jpeg(im, path, buf, n, max_pixels, err);
	} else if (n >= 2 && buf[0] == 'P' && (buf[1] == '5' || buf[1] == '6')) {
		rc = load_pnm(im, path, buf, n, max_pixels, err);
	} else if (n == 0) {
		rc = wn_seterr(err, WN_EDATA, "%s: empty file", path);
	} else {
		rc = wn_seterr(err, WN_EDATA, "%s: not a PNG, JPEG, PGM (P5) or "
		               "PPM (P6) image, nor FILE#INDEX in an IDX or "
		               "CIFAR-10 file", path);
	}
	close(fd);
	free(buf);
	return rc;
}

void img_free(struct img *im)
{
	free(im->px);
	im->px = NULL;
}

/* ---- resize ---- */

/* Area-averaging weights along one axis: output cell o covers input
 * [o*in/out, (o+1)*in/out); pairs start[o] .. start[o+1]-1 of (idx, wt)
 * list the input pixels it overlaps and their weights, which sum to 1.
 * The arrays are the caller's: out + 1 starts, in + 2 * out pairs. */
struct axis {
	int *start;
	int *idx;
	double *wt;
};

static void axis_init(struct axis *a, int in, int out)
{
	int k = 0;

	for (int o = 0; o < out; o++) {
		/* in units of 1/out input pixels, exact integers */
		long long lo = (long long)o * in, hi = (long long)(o + 1) * in;

		a->start[o] = k;
		for (long long i = lo / out; i * out < hi; i++) {
			long long a0 = i * out > lo ? i * out : lo;
			long long a1 = (i + 1) * out < hi ? (i + 1) * out : hi;
			a->idx[k] = (int)i;
			a->wt[k] = (double)(a1 - a0) / (double)in;
			k++;
		}
	}
	a->start[out] = k;
}

/*
 * npx pixels of ci channels as floats in [0, 1] with the output's C
 * channels (luminance 0.299 R + 0.587 G + 0.114 B for gray from colour; a
 * gray value three times for colour from gray), in order: rows[i*C + c].
 * Each term is its own statement so that no compiler fuses the luminance
 * into a multiply-add: the same floats on every machine, and the same as
 * the 256-entry tables they replace (which kept the loop from being
 * vectorised).  always_inline: into each clone of img_resize (out of line
 * it ran the baseline code, the colour loop a value at a time).
 */
static inline __attribute__((always_inline)) void
to_float_rows(const unsigned char *restrict px, size_t npx, int ci, int C,
              float *restrict rows)
{
	const float s = 1.0f / 255.0f;

	if (C == ci) {
		for (size_t i = 0; i < npx * C; i++)
			rows[i] = (float)px[i] * s;
	} else if (C == 1) {
		for (size_t i = 0; i < npx; i++) {
			float red = 0.299f * (float)px[3 * i];
			float green = 0.587f * (float)px[3 * i + 1];
			float blue = 0.114f * (float)px[3 * i + 2];
			float sum = red + green;
			sum += blue;
			rows[i] = sum * s;
		}
	} else {
		for (size_t i = 0; i < npx; i++) {
			float v = (float)px[i] * s;
			rows[3 * i] = v;
			rows[3 * i + 1] = v;
			rows[3 * i + 2] = v;
		}
	}
}

/*
 * cols[j*ld + i] = rows[i*m + j] for an n x m matrix, four by four with
 * SSE2 (baseline on x86-64) where a float at a time scattered each value
 * ld floats from the last: that scatter was 40% of the resize (perf, 40x40
 * images); a transposition moves values, so the bits are the same.
 */
static inline __attribute__((always_inline)) void
transpose(const float *restrict rows, size_t n, size_t m, float *restrict cols, size_t ld)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 4 <= n; i += 4) {
		size_t j = 0;
		for (; j + 4 <= m; j += 4) {
			__m128 r0 = _mm_loadu_ps(rows + i * m + j);
			__m128 r1 = _mm_loadu_ps(rows + (i + 1) * m + j);
			__m128 r2 = _mm_loadu_ps(rows + (i + 2) * m + j);
			__m128 r3 = _mm_loadu_ps(rows + (i + 3) * m + j);
			_MM_TRANSPOSE4_PS(r0, r1, r2, r3);
			_mm_storeu_ps(cols + j * ld + i, r0);
			_mm_storeu_ps(cols + (j + 1) * ld + i, r1);
			_mm_storeu_ps(cols + (j + 2) * ld + i, r2);
			_mm_storeu_ps(cols + (j + 3) * ld + i, r3);
		}
		for (; j < m; j++)
			for (size_t k = i; k < i + 4; k++)
				cols[j * ld + k] = rows[k * m + j];
	}
#endif
	for (; i < n; i++)
		for (size_t j = 0; j < m; j++)
			cols[j * ld + i] = rows[i * m + j];
}

/*
 * out[x] = acc[x] clamped to [0, 1], as a float.  Written in C ("v > 1 ?
 * 1 : v") it is a compare and a branch a value, 12% of the resize (perf):
 * under the default -ftrapping-math GCC will not turn a compare that may
 * trap into a vector select.  minpd and maxpd give the same values for
 * these sums, which are never NaN (finite weights times 8-bit values) and
 * never -0 (non-negative terms added to +0), the two cases where they and
 * the C would differ.
 *
 * stream (the caller's scratch asks for it, and every output row is
 * 16-byte aligned and a whole number of four floats): the floats go out
 * four at a time with streaming stores (movntps), past the cache.  The
 * output is read next by another thread (winnow-embed's writer or
 * encoder, on the other core), and an ordinary store must first take
 * each cache line back from the core that read it last: at -j 2 that
 * made the resize twice as slow as at -j 1 (perf: 1,300 against 650
 * samples on 50,000 images, 4% of "-m pixels"); streamed, 700.  All of an
 * image's rows or none: streamed and ordinary stores into the same cache
 * lines (14 floats a row, every other row aligned) made "-m random -s
 * 14x14" 7% slower.  img_resize fences the streaming stores before it
 * returns.
 */
static inline __attribute__((always_inline)) void
clamp_to_float(const double *restrict acc, float *restrict out, size_t n, int stream)
{
	size_t x = 0;
#ifdef __SSE2__
	const __m128d zero = _mm_setzero_pd(), one = _mm_set1_pd(1.0);
	if (stream)
		for (; x + 4 <= n; x += 4) {
			__m128d lo = _mm_max_pd(_mm_min_pd(_mm_loadu_pd(acc + x), one), zero);
			__m128d hi = _mm_max_pd(_mm_min_pd(_mm_loadu_pd(acc + x + 2), one), zero);
			_mm_stream_ps(out + x, _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)));
		}
	for (; x + 2 <= n; x += 2) {
		__m128d v = _mm_max_pd(_mm_min_pd(_mm_loadu_pd(acc + x), one), zero);
		_mm_storel_pi((__m64 *)(out + x), _mm_cvtpd_ps(v));
	}
#endif
	for (; x < n; x++) {
		double v = acc[x] > 1 ? 1 : acc[x];
		v = v < 0 ? 0 : v;
		out[x] = (float)v;
	}
}

/*
 * Each output is the same sum as ever, in the same order and precision
 * (the bits do not change with this layout, nor with the vector width):
 * tmp = the rows resized, tmp[y][o][c] = sum_k wt_x[k] src[y][idx_x[k]][c]
 * in double, rounded to float; out[o][x] = sum_k wt_y[k] tmp[idx_y[k]][x]
 * in double, clamped.  What is new is the order of the loops: the source
 * is converted into columns (srcT[x][c][y]), so that the row pass adds one
 * weight times a whole column into h sums at a time, and the column pass
 * one weight times a whole row of tmp: the inner loops run over
 * contiguous independent sums, which the compiler vectorises, where one
 * sum at a time waited on its own additions (the resize was 12% of
 * "winnow-embed -m pixels", perf).  All the scratch is one allocation.
 */
/* an AVX2 copy too where the compiler can make one (4 doubles a vector
 * instead of 2): the same IEEE operations on each lane, so the same bits
 * on every machine.  GCC only, as SUR_VECTOR_CLONES: Clang 14 left the
 * fuzz build without an img_resize to link. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
int img_resize(const struct img *im, int W, int H, int C, float *out,
               struct img_scratch *scratch, struct wn_err *err)
{
	int w = im->w, h = im->h;
	size_t npx = (size_t)w * h, WC = (size_t)W * C;
	size_t nacc = (size_t)h > WC ? (size_t)h : WC;
	/* tmp holds four rows of the source as floats at a time first, then
	 * the rows resized, which are made in tmpT as columns and transposed */
	size_t ntmp = (WC * h > 4 * (size_t)w * C ? WC * h : 4 * (size_t)w * C);
	size_t nx = (size_t)w + 2 * (size_t)W, ny = (size_t)h + 2 * (size_t)H;
	size_t bytes = sizeof(double) * (nacc + nx + ny) +
	    sizeof(float) * (npx * C + ntmp + WC * h) + sizeof(int) * (nx + ny + W + H + 2);
	struct axis ax, ay;
	struct img_scratch own = { 0 }, *s = scratch && bytes <= IMG_SCRATCH_KEEP ? scratch : &own;

	if (bytes > s->cap) {
		free(s->mem);
		s->cap = 0;
		if (!(s->mem = malloc(bytes)))
			return wn_seterr(err, WN_ESOFTWARE, "resize: out of memory");
		s->cap = bytes;
	}
	char *mem = s->mem;
	/* doubles first, then floats, then ints: each aligned */
	double *restrict acc = (double *)mem;
	ax.wt = acc + nacc;
	ay.wt = ax.wt + nx;
	float *restrict srcT = (float *)(ay.wt + ny);
	float *restrict tmp = srcT + npx * C;
	float *restrict tmpT = tmp + ntmp;
	ax.start = (int *)(tmpT + WC * h);
	ax.idx = ax.start + W + 1;
	ay.start = ax.idx + nx;
	ay.idx = ay.start + H + 1;
	axis_init(&ax, w, W);
	if (h == w && H == W)
		ay = ax;        /* square to square: the same weights (axis_init is 10% of a resize) */
	else
		axis_init(&ay, h, H);

	/* to float with the output's channel count (linear, so converting
	 * before resizing gives the same sums as after), four rows at a time,
	 * each four transposed into srcT */
	for (int y = 0; y < h; y += 4) {
		int nr = h - y < 4 ? h - y : 4;
		to_float_rows(im->px + (size_t)y * w * im->c, (size_t)nr * w, im->c, C, tmp);
		transpose(tmp, (size_t)nr, (size_t)w * C, srcT + y, (size_t)h);
	}
	/* Sums in double: in float, 25,000 weights of 1/25,000 drift (a white
	 * half of a 50,000-wide row averaged to 0.99988675), and float-rounded
	 * weights can sum above 1 (1.00000012).  The result is clamped to
	 * [0, 1], which the double sums only leave by an ulp. */
	for (int o = 0; o < W; o++)
		for (int c = 0; c < C; c++) {
			for (int y = 0; y < h; y++)
				acc[y] = 0;
			for (int k = ax.start[o]; k < ax.start[o + 1]; k++) {
				const double wk = ax.wt[k];
				const float *col = srcT + ((size_t)ax.idx[k] * C + c) * h;
				for (int y = 0; y < h; y++)
					acc[y] += wk * col[y];
			}
			for (int y = 0; y < h; y++)
				tmpT[((size_t)o * C + c) * h + y] = (float)acc[y];
		}
	transpose(tmpT, WC, (size_t)h, tmp, WC);
	const int stream = scratch && scratch->stream && ((uintptr_t)out & 15) == 0 && WC % 4 == 0;
	for (int o = 0; o < H; o++) {
		for (size_t x = 0; x < WC; x++)
			acc[x] = 0;
		for (int k = ay.start[o]; k < ay.start[o + 1]; k++) {
			const double wk = ay.wt[k];
			const float *row = tmp + (size_t)ay.idx[k] * WC;
			for (size_t x = 0; x < WC; x++)
				acc[x] += wk * row[x];
		}
		clamp_to_float(acc, out + (size_t)o * WC, WC, stream);
	}
#ifdef __SSE2__
	_mm_sfence();   /* the streaming stores of clamp_to_float, weakly ordered */
#endif
	img_scratch_free(&own);
	return 0;
}

void img_scratch_free(struct img_scratch *s)
{
	free(s->mem);
	s->mem = NULL;
	s->cap = 0;
}
