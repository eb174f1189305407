/*
 * spool.h - input that can be read twice.
 *
 * Some stages need two passes (an exact stratified split needs the class
 * sizes before the first row is written).  A regular file is simply read
 * again; anything else (a pipe) is copied to an unlinked temporary file
 * during the first pass.  Memory stays constant either way.
 */
#ifndef WN_SPOOL_H
#define WN_SPOOL_H

#include <stdio.h>
#include <sys/types.h>

#include "err.h"

struct spool {
	FILE *in;           /* the caller's stream */
	FILE *fp;           /* what to read: in itself, or the temporary copy */
	off_t start;        /* where reading starts in fp */
	const char *name;
};

/* Make in readable twice.  Copies a non-seekable stream to $TMPDIR now
 * (74 on errors, naming the temporary directory when it is full). */
int spool_open(struct spool *s, FILE *in, const char *name, struct wn_err *err);
/* Position fp at the start again. */
int spool_rewind(struct spool *s, struct wn_err *err);
/* Close the temporary copy if any (never the caller's stream). */
void spool_close(struct spool *s);

#endif
