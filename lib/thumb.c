/*
 * thumb.c - PNG thumbnails as base64.  See thumb.h.  base64 by hand: none
 * of the libraries winnow links (zlib, libpng, jansson...) exports one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "thumb.h"

/* The size that fits w x h into side x side, never enlarged. */
static void
fit(int w, int h, int side, int *W, int *H)
{
	int m = w > h ? w : h;

	if (m <= side) {
		*W = w;
		*H = h;
		return;
	}
	*W = (int)lround((double)w * side / m);
	*H = (int)lround((double)h * side / m);
	if (*W < 1)
		*W = 1;
	if (*H < 1)
		*H = 1;
}

int
thumb_png(const struct img *im, int side, unsigned char **png, size_t *len,
          struct wn_err *err)
{
	int W, H, C = im->c;
	unsigned char *px = im->px, *own = NULL;
	png_image p;
	png_alloc_size_t n = 0;

	*png = NULL;
	*len = 0;
	fit(im->w, im->h, side, &W, &H);
	if (W != im->w || H != im->h) {
		size_t m = (size_t)W * H * C;
		float *f = malloc(m * sizeof *f);
		if (!f || !(own = malloc(m))) {
			free(f);
			return wn_seterr(err, WN_ESOFTWARE, "thumbnail: out of memory");
		}
		if (img_resize(im, W, H, C, f, NULL, err) != 0) {
			free(f);
			free(own);
			return -1;
		}
		for (size_t i = 0; i < m; i++)
			own[i] = (unsigned char)lrintf(fminf(fmaxf(f[i], 0), 1) * 255);
		free(f);
		px = own;
	}
	memset(&p, 0, sizeof p);
	p.version = PNG_IMAGE_VERSION;
	p.width = (png_uint_32)W;
	p.height = (png_uint_32)H;
	p.format = C == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	/* the size first, then the bytes (libpng's two-call protocol) */
	if (!png_image_write_get_memory_size(p, n, 0, px, 0, NULL) ||
	    !(*png = malloc(n)) ||
	    !png_image_write_to_memory(&p, *png, &n, 0, px, 0, NULL)) {
		wn_seterr(err, WN_ESOFTWARE, "thumbnail: PNG encoding failed%s%s",
		          p.message[0] ? ": " : "", p.message);
		png_image_free(&p);
		free(*png);
		*png = NULL;
		free(own);
		return -1;
	}
	png_image_free(&p);
	free(own);
	*len = n;
	return 0;
}

size_t
thumb_b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
thumb_b64(const unsigned char *s, size_t n, char *d)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		*d++ = a[v >> 18];
		*d++ = a[v >> 12 & 63];
		*d++ = a[v >> 6 & 63];
		*d++ = a[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
		*d++ = a[v >> 18];
		*d++ = a[v >> 12 & 63];
		*d++ = i + 1 < n ? a[v >> 6 & 63] : '=';
		*d++ = '=';
	}
	*d = '\0';
}
