/*
 * data.h - the one place where a manifest is paired with an embeddings
 * file: labeled training data for winnow-fit and winnow-train, and the
 * row of each manifest line for the streaming readers (winnow-score).
 *
 * A manifest row belongs to embedding row `row` (its `row` column: a
 * non-negative decimal integer below the number of rows of the .npy).  A
 * manifest without a `row` column is refused: its lines cannot be matched
 * with the embeddings' rows for certain (a seed split from the manifest
 * before embedding would be paired by position with the wrong rows).
 * Duplicate ids are refused, and so (npy_read_rows) are NaN and inf
 * features, naming file, row and column.
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
	size_t skipped;     /* rows without a label, not kept */
	size_t dropped;     /* labeled rows left out by drop_col */
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
 * Pair r with emb (sur_pair_open: a `row` column, unique ids) and read
 * every row of r whose `label` is not empty, with its embedding row
 * from emb and, if weight_col is not NULL, its weight from that column
 * (a finite number >= 0).  If drop_col is not NULL, a labeled row whose
 * drop_col is 1 is left out and counted in D->dropped (0 or empty: kept;
 * anything else is an error): winnow-train --drop-issues with
 * "label_issue", the flag winnow-audit writes.  Class names: the given sorted list `classes`
 * (k of them; a label not in it is an error), or when classes is NULL
 * the distinct labels seen, sorted by strcmp.  Errors (65) name
 * FILE:LINE: no `label` column, a bad or out-of-range row, a bad weight,
 * an unknown label; no labeled rows; fewer than 2 or more than 100,000
 * classes (when they come from the data); more than 1,000,000 features.  66/74 from the reader.
 */
int sur_data_load(struct sur_data *D, const struct npy *emb, struct mf_reader *r,
                  const char *weight_col, const char *drop_col,
                  const char *const *classes, int k,
                  struct wn_err *err);
void sur_data_free(struct sur_data *D);

/*
 * sur_data_load over files: the embeddings at emb_path and the manifest
 * at mf_path (NULL or "-": stdin, named <stdin>), both closed again.
 * With SUR_DATA_WEIGHTS_OPTIONAL in flags, a manifest without the
 * weight_col column loads without weights instead of being refused.  66
 * naming the file that cannot be opened; else as sur_data_load.
 */
enum { SUR_DATA_WEIGHTS_OPTIONAL = 1 };
int sur_data_load_path(struct sur_data *D, const char *emb_path, const char *mf_path,
                       const char *weight_col, const char *drop_col,
                       const char *const *classes, int k, int flags, struct wn_err *err);

/*
 * Start pairing the rows of r (just opened, no row read yet) with emb:
 * turns on r's duplicate-id check (mf_check_dups) and sets *rowcol to the
 * index of the `row` column.  65 "FILE:1: no "row" column..." when there
 * is none, 70 if rows were read already.  Every reader that pairs a
 * manifest with embeddings calls this first, then sur_row_of() per row.
 */
int sur_pair_open(const struct npy *emb, struct mf_reader *r, int *rowcol,
                  struct wn_err *err);

/*
 * The embedding row of the current row of r: from column rowcol (from
 * sur_pair_open()), checked against nrows rows of npyname.  65 naming
 * FILE:LINE on a non-integer or out-of-range value, and naming FILE when
 * rowcol < 0 (no `row` column: the pairing is not known).
 */
int sur_row_of(const struct mf_reader *r, int rowcol, size_t nrows, const char *npyname,
               size_t *row, struct wn_err *err);

#endif
