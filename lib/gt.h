/*
 * gt.h - SageMaker Ground Truth JSON Lines manifests (libjansson).
 *
 * Out: one object per line, {"source-ref": PATH, "winnow": {COLUMN: VALUE,
 * ...}} with every manifest column but `path` under the "winnow" key.
 * Values are strings, as in the TSV, except in the columns the caller
 * marks as JSON (gt_json_value), whose text is written as the JSON value
 * it is, unchanged (so 3.5 stays 3.5, not "3.5" nor 3.5000000000000000),
 * and left out when empty.  PATH may be mapped from a local folder to an
 * s3:// prefix (struct gt_prefix).  In (gtread.h): an input manifest
 * ({"source-ref": ...}) or an augmented one returned by a labeling job.
 * See winnow-formats(5).
 */
#ifndef WN_GT_H
#define WN_GT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "manifest.h"

enum { GT_MAX_LINE = 100000 };  /* longer JSON lines are refused */

/* A source-ref mapping: a path that starts with local is written with
 * uri in place of that start (and read back the other way). */
struct gt_prefix {
	const char *local;
	const char *uri;
};

struct gt_wopts {
	const unsigned char *json;      /* json[k]: output column k holds JSON
	                                 * text; NULL: every column a string */
	const struct gt_prefix *prefix; /* nprefix mappings for source-ref */
	size_t nprefix;                 /* 0: the path as it is */
};

/* Parse "LOCAL=URI" (the text of a --source-prefix option) into p, which
 * points into arg.  Returns a static reason when arg is not of that form,
 * else NULL. */
const char *gt_prefix_parse(struct gt_prefix *p, char *arg);

/* Map path through the n mappings (the longest matching prefix wins):
 * local to uri, or uri to local when reverse.  Sets *out to a malloc'ed
 * string.  Returns 0, 1 when no mapping matches (*out NULL), -1 when
 * memory ran out. */
int gt_map_path(const struct gt_prefix *p, size_t n, int reverse,
                const char *path, char **out);

/* 1 when s (len bytes) is the text of one JSON value that is not a
 * string (a number, true, false, null, an object, an array), else 0. */
int gt_json_value(const char *s, size_t len);

/*
 * Which of o's output columns winnow-manifest to-jsonl writes as JSON
 * (json[k] for output column k, o->nout of them, malloc'ed into *json),
 * from every row of r (read to the end; o planned on a reader of the
 * same header): a column with a value whose every value is the text of a
 * JSON value that is not a string (gt_json_value, what from-jsonl makes
 * of keys that were not strings).  id, path and label, and every column
 * when strings is nonzero, are strings.  -1 with r's error or 70.
 */
int gt_json_columns(struct mf_reader *r, const struct mf_out *o, int strings,
                    unsigned char **json, struct wn_err *err);

/* The shortest JSON text of v (malloc'ed) whose numbers read back as the
 * same doubles: 0.9, not jansson's 0.90000000000000002; NULL when memory
 * ran out. */
char *gt_dumps(const void *v);

/* Write the current row of r as planned by o, with values for the set
 * columns (as mf_out_row does), as one JSON line.  The `path` column
 * becomes "source-ref"; the others go under the key ns ("winnow").
 * w may be NULL (strings, paths as they are).  65 when a path matches no
 * mapping or a JSON column's value is not JSON (naming the line of r),
 * 74 on a write error. */
int gt_write(FILE *fp, const char *fpname, const struct mf_out *o,
             const struct mf_reader *r, const char *const *values,
             const char *ns, const struct gt_wopts *w, struct wn_err *err);

/* gt_write with every value a string and paths as they are. */
int gt_write_row(FILE *fp, const char *fpname, const struct mf_out *o,
                 const struct mf_reader *r, const char *const *values,
                 const char *ns, struct wn_err *err);

#endif
