/*
 * gtread.h - reading SageMaker Ground Truth JSON Lines manifests into
 * manifest rows (libjansson); the per-line work of `winnow-manifest
 * from-jsonl`, in the library so that it can be tested and fuzzed.
 *
 * Two passes over the same lines (the input is spooled by the caller):
 * gtr_scan() on every line collects the columns (id, path, label, then
 * every other key in order of first appearance: keys under the namespace
 * object and top-level keys other than source-ref, LABEL_ATTR,
 * LABEL_ATTR-metadata and the namespace), then gtr_row() on every line
 * makes its row.  A key present both under the namespace and at the top
 * level takes the top-level value.  The label is LABEL_ATTR-metadata.
 * class-name, else LABEL_ATTR as a string, else LABEL_ATTR as an integer
 * mapped through LABEL_ATTR-metadata.class-map (or printed).  A row
 * without an id takes its source-ref as id.  See winnow-formats(5).
 *
 * Errors are 65 with "NAME:LINE: reason" (NAME:LINE:COL for JSON syntax):
 * a line over GT_MAX_LINE bytes, an empty line, not an object, no
 * "source-ref" string, an empty key or a key or value that cannot be a
 * manifest field (TAB, CR, LF, NUL), a duplicate id, a key that the first
 * pass did not see; 70 on allocation failure.
 */
#ifndef WN_GTREAD_H
#define WN_GTREAD_H

#include <stddef.h>

#include "err.h"

struct gtr;

/* name is for messages; label_attr and ns are borrowed, not copied. */
struct gtr *gtr_new(const char *name, const char *label_attr, const char *ns,
                    struct wn_err *err);
void gtr_free(struct gtr *g);

/* Pass 1: line (len bytes, without its newline) is line lineno. */
int gtr_scan(struct gtr *g, const char *line, size_t len, long long lineno,
             struct wn_err *err);

size_t gtr_ncols(const struct gtr *g);
/* The column names (gtr_ncols of them); valid until gtr_free. */
const char *const *gtr_colnames(const struct gtr *g);

/* Pass 2: the row of line lineno, gtr_ncols fields (absent keys are empty
 * strings), valid until the next call.  Checks every field and that the
 * id was not seen on an earlier gtr_row line. */
int gtr_row(struct gtr *g, const char *line, size_t len, long long lineno,
            const char *const **fields, struct wn_err *err);

#endif
