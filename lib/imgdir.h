/*
 * imgdir.h - the images of a folder tree, as winnow-manifest dir lists
 * them.  Prefix imgdir_.
 *
 * Every regular file below root whose name ends in .png, .jpg, .jpeg,
 * .pgm or .ppm (any case), in strcmp order of names at each level, depth
 * first; names starting with "." are skipped, symbolic links to folders
 * are not followed (links to files are).  A file's id is its path below
 * root, its label the first folder of that path ("" for a file directly
 * in root).
 */
#ifndef WN_IMGDIR_H
#define WN_IMGDIR_H

#include "err.h"

/* Called with each image: id, the path (root/id) and the label; nonzero
 * stops the walk with that return (err set by the callback). */
typedef int imgdir_fn(void *ctx, const char *id, const char *path, const char *label,
                      struct wn_err *err);

/*
 * Walk root (no trailing "/") calling fn.  0, or -1 with err: 66 when
 * root cannot be read or is not a folder, 74 for a folder below it, 65
 * for folders nested more than 64 deep or a path that a manifest field
 * cannot hold (a TAB or newline), 70 without memory; or fn's return.
 */
int imgdir_walk(const char *root, imgdir_fn *fn, void *ctx, struct wn_err *err);

#endif
