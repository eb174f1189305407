/*
 * manifest.h - streaming reader and writer for winnow manifests.
 *
 * A manifest is UTF-8 TSV: one header line naming the columns, one sample
 * per line, the same number of fields on every line, a non-empty `id` on
 * every line, no empty lines.  See winnow-formats(5).
 *
 * The reader holds one line at a time (memory does not grow with the
 * file).  Duplicate ids are detected, when asked for, through a set of
 * 64-bit hashes of the ids: 16 bytes per row, never the rows themselves.
 */
#ifndef WN_MANIFEST_H
#define WN_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum {
	MF_CHECK_DUPS = 1   /* refuse a manifest whose ids repeat (exit 65) */
};

struct mf_reader;

/* Read the header line of fp.  name is used in messages ("<stdin>").
 * Fails (65) on an empty file, a header without an `id` column, a
 * repeated or empty column name, invalid UTF-8, NUL bytes. */
struct mf_reader *mf_open(FILE *fp, const char *name, int flags, struct wn_err *err);
void mf_close(struct mf_reader *r);     /* does not fclose fp */

/* Refuse duplicate ids from now on, as MF_CHECK_DUPS does, for a loader
 * handed a reader opened without it: 70 if rows were read already (their
 * ids were not kept), else 0. */
int mf_check_dups(struct mf_reader *r, struct wn_err *err);

/* Read the next row: 1 on a row, 0 at end of file, -1 on error (ragged
 * row, empty id, duplicate id, bad UTF-8, read error).  The fields stay
 * valid until the next call. */
int mf_next(struct mf_reader *r, struct wn_err *err);

size_t mf_ncols(const struct mf_reader *r);
const char *mf_colname(const struct mf_reader *r, size_t i);
/* Index of the column called name, or -1. */
int mf_col(const struct mf_reader *r, const char *name);
/* Field i of the current row (NUL-terminated, no TAB or newline). */
const char *mf_field(const struct mf_reader *r, size_t i);
/* Length in bytes of field i of the current row. */
size_t mf_fieldlen(const struct mf_reader *r, size_t i);
const char *mf_id(const struct mf_reader *r);
/* 1-based line number of the current row in the file (header is line 1). */
long long mf_lineno(const struct mf_reader *r);
/* Number of rows read so far. */
long long mf_nrows(const struct mf_reader *r);
const char *mf_name(const struct mf_reader *r);

/*
 * Output rows: every input column in order, with some columns set by the
 * program.  A set column that the input already has is overwritten in
 * place; the others are appended in the order given.
 */
struct mf_out {
	size_t nin;         /* input columns */
	size_t nset;        /* columns the program sets */
	size_t nout;        /* output columns */
	int *set_at;        /* set_at[j]: output index of set column j */
	int *src;           /* src[k]: input index feeding output k, or -1 (set) */
	const char **names; /* output column names */
};

/* Plan the output of a reader's rows with the given columns set.
 * Returns -1 (70) only on allocation failure. */
int mf_out_init(struct mf_out *o, const struct mf_reader *r,
                const char *const *set, size_t nset, struct wn_err *err);
void mf_out_free(struct mf_out *o);
/* Write the header line.  Returns -1 on a write error (74). */
int mf_out_header(const struct mf_out *o, FILE *fp, const char *fpname, struct wn_err *err);
/* Write the current row of r with values[j] for set column j.  A value
 * holding a TAB, CR or newline is refused (65).  Returns -1 on error. */
int mf_out_row(const struct mf_out *o, const struct mf_reader *r,
               const char *const *values, FILE *fp, const char *fpname,
               struct wn_err *err);

/*
 * A block of rows copied out of a reader (which holds one row at a time),
 * for programs that read rows in blocks and write them after the block's
 * work: their fields, NUL-terminated, and line numbers.  Zero-initialise,
 * set ncols, add rows, clear between blocks, free at the end.
 */
struct mf_rows {
	size_t ncols;
	size_t n;           /* rows held */
	char *text;         /* the fields */
	size_t len, cap;
	size_t *off;        /* n x ncols offsets into text */
	long long *lineno;  /* n */
	size_t rcap;        /* rows off and lineno have room for */
};

/* Copy the current row of r as row b->n.  -1 (70) out of memory. */
int mf_rows_add(struct mf_rows *b, const struct mf_reader *r, struct wn_err *err);
/* Field col of row i of b. */
const char *mf_rows_field(const struct mf_rows *b, size_t i, size_t col);
/* Forget the rows (keeps the memory). */
void mf_rows_clear(struct mf_rows *b);
void mf_rows_free(struct mf_rows *b);

/* Write one row (or a header) of n fields, checking each (65 on a TAB,
 * CR or newline, 74 on a write error). */
int mf_write_fields(FILE *fp, const char *fpname, const char *const *fields,
                    size_t n, struct wn_err *err);

/* Check that s (len bytes) can be a manifest field: no TAB, CR, LF, NUL,
 * valid UTF-8.  Returns 0 when it can, else a static reason. */
const char *mf_field_problem(const char *s, size_t len);

#endif
