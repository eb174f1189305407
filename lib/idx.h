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

/*
 * Images and their labels: images (3-D) and labels (1-D) IDX files of the
 * same, nonzero count, every label below nclasses.  65 naming the files
 * ("not matching IDX images and labels") or the item with a bad label;
 * else as idx_load.  On error neither is left loaded.
 */
int idx_load_labeled(struct idx *im, struct idx *lb, const char *images, const char *labels,
                     int nclasses, struct wn_err *err);

/*
 * Class names for IDX labels, one per line of the file at path (label i
 * is line i + 1; a final CR is dropped; "-": stdin): a NULL-terminated malloc'ed
 * array of *n >= 1 names, free each and it.  NULL with 66 (unreadable),
 * 74 (a read error), 65 naming FILE:LINE for an empty name or one a
 * manifest field cannot hold, or a file without names; 70.
 */
char **idx_class_names(const char *path, size_t *n, struct wn_err *err);

/* Fashion-MNIST: the Debian package dataset-fashion-mnist's folder, its
 * training files there, and the class names of its labels 0..9 (those of
 * data/fashion-mnist-classes.txt, "/" as "_"). */
#define IDX_FMNIST_DIR "/usr/share/datasets/fashion-mnist/"
#define IDX_FMNIST_IMAGES IDX_FMNIST_DIR "train-images-idx3-ubyte.gz"
#define IDX_FMNIST_LABELS IDX_FMNIST_DIR "train-labels-idx1-ubyte.gz"
extern const char *const idx_fmnist_classes[10];

#endif
