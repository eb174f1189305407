/*
 * atomic.h - outputs that appear whole or not at all.
 *
 * wn_out_open() creates "DIR/.NAME.XXXXXX" beside the target; the program
 * writes to ->fp; wn_out_commit() flushes, fsyncs, renames over the target
 * and fsyncs the directory.  wn_out_abort() (and the signal handlers that
 * prog_init() installs, on SIGINT/SIGTERM/SIGHUP) remove the temporary file.
 * Path "-" means stdout: no temporary file, commit just flushes.  A target
 * that exists and is not a regular file (/dev/null, a FIFO) is written in
 * place, never renamed over.
 */
#ifndef WN_ATOMIC_H
#define WN_ATOMIC_H

#include <stdio.h>

#include "err.h"

struct wn_out {
	char *path;     /* the target */
	char *tmp;      /* the temporary file, NULL for stdout */
	FILE *fp;       /* where to write */
	int slot;       /* index in the signal-cleanup table, or -1 */
};

/* 73 if the temporary file cannot be created. */
int wn_out_open(struct wn_out *o, const char *path, struct wn_err *err);
/* 74 on a write/fsync error, 73 if the rename fails; on failure the
 * temporary file is removed.  Frees o's strings either way. */
int wn_out_commit(struct wn_out *o, struct wn_err *err);
void wn_out_abort(struct wn_out *o);

/* Remove every unfinished temporary file (async-signal-safe); used by the
 * signal handlers. */
void wn_out_cleanup_all(void);

#endif
