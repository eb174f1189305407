/*
 * thumb.h - thumbnails for the report: an image decoded by img.h (the
 * same path winnow-embed reads), shrunk by img_resize()'s area averaging
 * to fit a square, encoded as PNG with libpng, and base64 for data URIs.
 */
#ifndef WN_THUMB_H
#define WN_THUMB_H

#include <stddef.h>

#include "err.h"
#include "img.h"

/*
 * Encode im as an 8-bit PNG (gray or RGB as im is), shrunk first when
 * its larger side exceeds side (aspect kept, each side at least 1 pixel;
 * never enlarged).  *png is malloc'ed, *len its size.  70 on no memory or
 * a libpng failure.
 */
int thumb_png(const struct img *im, int side, unsigned char **png, size_t *len,
              struct wn_err *err);

/* Bytes base64 of n bytes takes (without a NUL). */
size_t thumb_b64_len(size_t n);
/* Write the base64 (RFC 4648, padded) of src[0..n) into dst, which holds
 * thumb_b64_len(n) + 1 bytes; NUL-terminated. */
void thumb_b64(const unsigned char *src, size_t n, char *dst);

#endif
