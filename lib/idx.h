/*
 * idx.h - IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed.
 *
 * The whole file is read once into memory (zlib reads both plain and .gz
 * files); items are then addressed by index.  Only unsigned-byte data
 * (type 0x08) is accepted, as MNIST-style data sets use.
 */
#ifndef WN_IDX_H
#define WN_IDX_H

#include <stddef.h>

#include "err.h"

struct idx {
	char *name;
	int ndims;              /* 1 for labels, 3 for images */
	size_t dims[4];
	size_t count;           /* dims[0] */
	size_t item_size;       /* product of dims[1..] */
	unsigned char *data;    /* count * item_size bytes */
};

/* 66 if unreadable, 65 if not a valid IDX file (bad magic, type, more
 * than 4 dimensions, truncated, trailing bytes). */
int idx_load(struct idx *x, const char *path, struct wn_err *err);
void idx_free(struct idx *x);
const unsigned char *idx_item(const struct idx *x, size_t i);

#endif
