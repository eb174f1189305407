/*
 * gt.h - SageMaker Ground Truth JSON Lines manifests (libjansson).
 *
 * Out: one object per line, {"source-ref": PATH, "winnow": {COLUMN: VALUE,
 * ...}} with every manifest column but `path` under the "winnow" key
 * (values as strings, as in the TSV).  In: an input manifest
 * ({"source-ref": ...}) or an augmented one returned by a labeling job,
 * whose label is LABEL_ATTR ("label" by default) or
 * LABEL_ATTR-metadata.class-name.  See winnow-formats(5).
 */
#ifndef WN_GT_H
#define WN_GT_H

#include <stdio.h>

#include "err.h"
#include "manifest.h"

enum { GT_MAX_LINE = 100000 };  /* longer JSON lines are refused */

/* Write the current row of r as planned by o, with values for the set
 * columns (as mf_out_row does), as one JSON line.  The `path` column
 * becomes "source-ref"; the others go under the key ns ("winnow").
 * 74 on a write error. */
int gt_write_row(FILE *fp, const char *fpname, const struct mf_out *o,
                 const struct mf_reader *r, const char *const *values,
                 const char *ns, struct wn_err *err);

#endif
