/*
 * npy.h - NumPy .npy files: 2-D float matrices, the embeddings contract.
 *
 * Read: format 1.0/2.0/3.0, dtype '<f2', '<f4' or '<f8', C order, 2-D,
 * header at most 10,000 bytes, file length exactly header + rows*cols*size.
 * The file is mapped read-only; rows are converted to float on request.
 * Write: '<f4', C order, 2-D, a fixed 128-byte header so that the row count
 * can be patched in place when the output is seekable.
 */
#ifndef WN_NPY_H
#define WN_NPY_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum npy_dtype { NPY_F2 = 2, NPY_F4 = 4, NPY_F8 = 8 };

struct npy {
	const char *name;   /* path, for messages */
	enum npy_dtype dtype;
	size_t rows, cols;
	size_t data_off;    /* byte offset of row 0 */
	const unsigned char *map;   /* whole file, read-only; NULL if 0 rows */
	size_t map_len;
	int fd;             /* the file, for npy_read_list; -1 when closed */
};

/* Open and validate path.  66 if it cannot be opened, 65 if it is not a
 * valid 2-D float .npy (message says what: bad magic, dtype, Fortran
 * order, shape, truncated data, trailing bytes...). */
int npy_open(struct npy *m, const char *path, struct wn_err *err);
void npy_close(struct npy *m);

/* Copy rows [row0, row0+n) into out (n*cols floats), converting the
 * dtype.  65 if the range is past the end, or naming the file, row and
 * column of the first NaN or inf (out is then partly written). */
int npy_read_rows(const struct npy *m, size_t row0, size_t n, float *out, struct wn_err *err);

/* Rows rows[0..n) (file row numbers, any order) into out (n*cols
 * floats), converting and checking as npy_read_rows() does.  Reads
 * with pread, a call per run of consecutive rows, without touching the
 * mapping: the process's memory does not grow with the rows read (a
 * stream through a large file), and no page of the file is faulted in.
 * Safe from several threads at once. */
int npy_read_list(const struct npy *m, const size_t *rows, size_t n, float *out,
                  struct wn_err *err);

/* When rows[0..n) are consecutive rows of an aligned '<f4' file: *view
 * points at them in the mapping (no copy), their pages filled in and
 * checked as npy_read_rows() checks; 65 and *view NULL if one is NaN or
 * inf.  Otherwise *view is NULL and the caller reads them with
 * npy_read_list().  Give the view back with npy_unview() when done:
 * its pages stop counting in the process's memory (they stay in the
 * page cache), so a stream of views costs the memory of one. */
int npy_view_list(const struct npy *m, const size_t *rows, size_t n, const float **view,
                  struct wn_err *err);
void npy_unview(const struct npy *m, const float *view, size_t n);
/* npy_view_list's two halves, for a caller that checks the values itself
 * as it reads them (winnow-score: the standardisation does, and reading
 * the rows twice, once to check and once to score, was a sixth of a cheap
 * score's time).  npy_view_unchecked: the view of rows[0..n), its pages
 * filled in, or NULL where npy_view_list gives none; nothing is checked.
 * npy_check_view: 0, or 65 naming the file, row and column of the first
 * NaN or inf among a view's n rows, as npy_view_list would have. */
const float *npy_view_unchecked(const struct npy *m, const size_t *rows, size_t n);
int npy_check_view(const struct npy *m, const float *view, size_t n, struct wn_err *err);

/* Direct pointer to row r when the dtype is <f4 (no copy), else NULL;
 * also NULL when the data does not start on a 4-byte boundary of the file
 * (NumPy pads headers to 64 bytes; other writers may not): then use
 * npy_read_rows(). */
const float *npy_f4_row(const struct npy *m, size_t r);

struct npy_writer;

/* Start writing a cols-wide '<f4' matrix to fp.  rows_known is the row
 * count if known in advance, or -1: then fp must be seekable, and the
 * count is patched in by npy_writer_finish().  74 on write errors. */
struct npy_writer *npy_writer_open(FILE *fp, const char *name, size_t cols,
                                   long long rows_known, struct wn_err *err);
/* Continue a '<f4' matrix of cols columns whose 128-byte header starts
 * at offset 0 of fp and that holds rows rows, fp positioned after them
 * (a resumed run); npy_writer_finish() then patches the count in. */
struct npy_writer *npy_writer_resume(FILE *fp, const char *name, size_t cols, size_t rows,
                                     struct wn_err *err);
int npy_write_rows(struct npy_writer *w, const float *rows, size_t n, struct wn_err *err);
/* Rows written so far. */
size_t npy_writer_rows(const struct npy_writer *w);
/* Write the final header (rows_known must match what was written) and
 * flush; frees w whatever happens.  Does not close fp. */
int npy_writer_finish(struct npy_writer *w, struct wn_err *err);
/* Free w without finishing (after an error). */
void npy_writer_abandon(struct npy_writer *w);

/* The 128-byte header for a rows x cols '<f4' matrix, written into
 * buf[128].  Exposed for --resume (which rewrites it). */
void npy_header_f4(unsigned char buf[128], size_t rows, size_t cols);
enum { NPY_F4_HEADER_LEN = 128 };

/* IEEE half to float (for '<f2'). */
float npy_half_to_float(unsigned short h);

#endif
