/*
 * data.h - labeled training data from a manifest and an embeddings file,
 * for winnow-fit and winnow-train.
 *
 * A manifest row belongs to embedding row `row` (its `row` column: a
 * non-negative decimal integer below the number of rows of the .npy), or,
 * when the manifest has no `row` column, to the row numbered like the
 * manifest line (first data line = row 0).
 */
#ifndef SUR_DATA_H
#define SUR_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "manifest.h"
#include "npy.h"

struct sur_data {
	size_t n;           /* rows kept */
	int d;              /* features */
	float *X;           /* n x d */
	int *y;             /* n class indices into classes */
	float *w;           /* n sample weights, or NULL */
	uint64_t *keys;     /* n: wn_hash64(0, WN_STREAM_SHUFFLE, id): shuffle keys */
	size_t *row;        /* n embedding rows */
	char **classes;     /* k sorted, distinct names */
	int k;
};

/*
 * Read every row of r whose `label` is not empty, with its embedding row
 * from emb and, if weight_col is not NULL, its weight from that column
 * (a finite number >= 0).  Class names: the given sorted list `classes`
 * (k of them; a label not in it is an error), or when classes is NULL
 * the distinct labels seen, sorted by strcmp.  Errors (65) name
 * FILE:LINE: no `label` column, a bad or out-of-range row, a bad weight,
 * an unknown label; no labeled rows; fewer than 2 classes (when they come
 * from the data).  66/74 from the reader.
 */
int sur_data_load(struct sur_data *D, const struct npy *emb, struct mf_reader *r,
                  const char *weight_col, const char *const *classes, int k,
                  struct wn_err *err);
void sur_data_free(struct sur_data *D);

/*
 * The embedding row of the current row of r: from column rowcol (or the
 * line number when rowcol < 0), checked against nrows rows of npyname.
 * 65 naming FILE:LINE on a non-integer or out-of-range value.
 */
int sur_row_of(const struct mf_reader *r, int rowcol, size_t nrows, const char *npyname,
               size_t *row, struct wn_err *err);

#endif
