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

/* Find or open the container at path; the caller releases it. */
static struct container *cache_get(struct img_cache *c, const char *path,
                                   struct wn_err *err)
{
	struct container *k;
	int victim = -1;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		k = c->slot[i];
		if (k && strcmp(k->path, path) == 0) {
			k->refs++;
			k->used = ++c->clock;
			pthread_mutex_unlock(&c->lock);
			return k;
		}
	}
	/* Opened under the lock: threads asking for the same file wait for
	 * one read instead of each reading it. */
	k = container_open(path, err);
	if (k) {
		for (int i = 0; i < CACHE_SLOTS; i++) {
			struct container *s = c->slot[i];
			if (!s) {
				victim = i;
				break;
			}
			if (s->refs == 0 && (victim < 0 || s->used < c->slot[victim]->used))
				victim = i;
		}
		k->refs = 1;
		k->used = ++c->clock;
		if (victim >= 0) {
			container_free(c->slot[victim]);
			c->slot[victim] = k;
		} else {
			k->refs = -1;   /* not cached: freed on release */
		}
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
	} else if (k->type == C_IDX && k->idx.item_size > max_pixels) {
		wn_seterr(err, WN_EDATA, "%s: %zu pixels is more than the limit %zu",
		          path, k->idx.item_size, max_pixels);
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
 * [o*in/out, (o+1)*in/out); wt[o] lists (index, weight) pairs whose
 * weights sum to 1.  Returns the pairs, start[out+1] offsets into them. */
struct axis {
	int *start;     /* out + 1 */
	int *idx;
	double *wt;     /* in double: 25,000 float weights summed in float
	                 * gave 0.99988675 for a white area */
};

static void axis_free(struct axis *a)
{
	free(a->start);
	free(a->idx);
	free(a->wt);
}

static int axis_init(struct axis *a, int in, int out)
{
	size_t cap = (size_t)in + 2 * (size_t)out;
	int k = 0;

	a->start = malloc(sizeof(int) * ((size_t)out + 1));
	a->idx = malloc(sizeof(int) * cap);
	a->wt = malloc(sizeof(double) * cap);
	if (!a->start || !a->idx || !a->wt) {
		axis_free(a);
		return -1;
	}
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
	return 0;
}

int img_resize(const struct img *im, int W, int H, int C, float *out,
               struct wn_err *err)
{
	int w = im->w, h = im->h;
	struct axis ax, ay;
	float *src, *tmp;
	size_t npx = (size_t)w * h;

	/* Convert to float with the output's channel count first (linear, so
	 * the order does not matter), then resize rows, then columns. */
	src = malloc(sizeof(float) * npx * C);
	tmp = malloc(sizeof(float) * (size_t)W * h * C);
	if (!src || !tmp || axis_init(&ax, w, W) != 0) {
		free(src);
		free(tmp);
		return wn_seterr(err, WN_ESOFTWARE, "resize: out of memory");
	}
	if (axis_init(&ay, h, H) != 0) {
		axis_free(&ax);
		free(src);
		free(tmp);
		return wn_seterr(err, WN_ESOFTWARE, "resize: out of memory");
	}
	const float s = 1.0f / 255.0f;
	if (C == im->c) {
		for (size_t i = 0; i < npx * C; i++)
			src[i] = im->px[i] * s;
	} else if (C == 1) {
		for (size_t i = 0; i < npx; i++) {
			const unsigned char *p = im->px + 3 * i;
			src[i] = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) * s;
		}
	} else {
		for (size_t i = 0; i < npx; i++)
			src[3 * i] = src[3 * i + 1] = src[3 * i + 2] = im->px[i] * s;
	}
	for (int y = 0; y < h; y++)
		for (int o = 0; o < W; o++)
			for (int c = 0; c < C; c++) {
				double acc = 0;
				for (int k = ax.start[o]; k < ax.start[o + 1]; k++)
					acc += ax.wt[k] * src[((size_t)y * w + ax.idx[k]) * C + c];
				tmp[((size_t)y * W + o) * C + c] = (float)acc;
			}
	for (int o = 0; o < H; o++)
		for (size_t x = 0; x < (size_t)W * C; x++) {
			double acc = 0;
			for (int k = ay.start[o]; k < ay.start[o + 1]; k++)
				acc += ay.wt[k] * tmp[(size_t)ay.idx[k] * W * C + x];
			/* the weights sum to 1 only up to rounding: 1.00000012
			 * for some upscales (fuzz_img crash-f2c40798) */
			out[(size_t)o * W * C + x] = acc < 1.0 ? (float)acc : 1.0f;
		}
	axis_free(&ax);
	axis_free(&ay);
	free(src);
	free(tmp);
	return 0;
}
