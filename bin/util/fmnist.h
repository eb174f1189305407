/*
 * fmnist.h - the operands "OUTDIR [IMAGES LABELS]" of the data tools
 * (data/png-sample, data/img-sample) that write Fashion-MNIST out as
 * image files.  Programs only (it dies).
 */
#ifndef WN_FMNIST_H
#define WN_FMNIST_H

#include "idx.h"

/*
 * From the n operands at argv (1: OUTDIR, or 3: OUTDIR IMAGES LABELS;
 * else usage(stderr) and exit 64): load the images and their labels
 * (idx_load_labeled, 10 classes; the Debian package's training set by
 * default), make OUTDIR and one folder per class in it
 * (idx_fmnist_classes).  Returns OUTDIR; dies on an error.
 */
const char *fmnist_open(int n, char **argv, struct idx *im, struct idx *lb,
                        void (*usage)(FILE *));

#endif
