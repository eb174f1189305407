/*
 * gtread.h - reading SageMaker Ground Truth JSON Lines manifests into
 * manifest rows (libjansson); the per-line work of `winnow-manifest
 * from-jsonl`, in the library so that it can be tested and fuzzed.
 *
 * Two passes over the same lines (the input is spooled by the caller):
 * gtr_scan() on every line notes the keys, gtr_columns() then settles the
 * label attribute and the columns, and gtr_row() on every line makes its
 * row.
 *
 * The label attribute ATTR is the one given, else found: the ATTR of the
 * one top-level "ATTR-metadata" object the file has; a file with none
 * has ATTR "label" (an input manifest: no labels yet); a file with two or
 * more is refused, listing them, since which one holds the labels cannot
 * be known.
 *
 * Columns: id, path, label, then in order of first appearance every key
 * under the namespace object, every top-level key other than source-ref,
 * ATTR, ATTR-metadata and the namespace, and every key of ATTR-metadata
 * but class-name and class-map (confidence, human-annotated, job-name,
 * creation-date, type, failure-reason, ...).  A key present in more than
 * one place takes the value of ATTR-metadata, else the top level, else
 * the namespace.  The label is ATTR-metadata.class-name, else ATTR as a
 * string, else ATTR as an integer mapped through ATTR-metadata.class-map
 * (or printed).  A row without an id takes its source-ref as id.  Values
 * that are not strings are written as compact JSON whose numbers are the
 * shortest text that reads back the same (0.9, 3.5, {"a":[1,2]}).  A row
 * whose ATTR-metadata has a failure-reason is a failed labeling task:
 * gtr_failure() tells it.  See winnow-formats(5).
 *
 * Errors are 65 with "NAME:LINE: reason" (NAME:LINE:COL for JSON syntax):
 * a line over GT_MAX_LINE bytes, an empty line, not an object, no
 * "source-ref" string, an empty key or a key or value that cannot be a
 * manifest field (TAB, CR, LF, NUL; the message names the key the value
 * came from), a duplicate id, a key that the first pass did not see, a
 * source-ref that no mapping matches; "NAME: ..." for more than one label
 * attribute; 70 on allocation failure.
 */
#ifndef WN_GTREAD_H
#define WN_GTREAD_H

#include <stddef.h>

#include "err.h"
#include "gt.h"

struct gtr;

/* name is for messages; label_attr (NULL: find it, see above) and ns are
 * borrowed, not copied. */
struct gtr *gtr_new(const char *name, const char *label_attr, const char *ns,
                    struct wn_err *err);
void gtr_free(struct gtr *g);

/* Map source-ref back through n mappings (uri to local, gt.h); a
 * source-ref that none matches is an error.  p is borrowed. */
void gtr_set_prefix(struct gtr *g, const struct gt_prefix *p, size_t n);

/* Pass 1: line (len bytes, without its newline) is line lineno. */
int gtr_scan(struct gtr *g, const char *line, size_t len, long long lineno,
             struct wn_err *err);

/* After pass 1: settle the label attribute and the columns. */
int gtr_columns(struct gtr *g, struct wn_err *err);

/* The label attribute (valid after gtr_columns). */
const char *gtr_label_attr(const struct gtr *g);

size_t gtr_ncols(const struct gtr *g);
/* The column names (gtr_ncols of them); valid until gtr_free. */
const char *const *gtr_colnames(const struct gtr *g);

/* Pass 2: the row of line lineno, gtr_ncols fields (absent keys are empty
 * strings), valid until the next call.  Checks every field and that the
 * id was not seen on an earlier gtr_row line. */
int gtr_row(struct gtr *g, const char *line, size_t len, long long lineno,
            const char *const **fields, struct wn_err *err);

/* The failure-reason of the row gtr_row made last (as text), or NULL when
 * its task did not fail. */
const char *gtr_failure(const struct gtr *g);

#endif
