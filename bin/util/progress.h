/*
 * progress.h - a progress line on stderr ("embed: 12000/60000 20% 3100/s
 * ETA 15s"), only when stderr is a terminal or the user asked (--progress);
 * silent in cron.  Programs only (it prints).
 */
#ifndef WN_PROGRESS_H
#define WN_PROGRESS_H

#include "clock.h"

struct progress {
	int on;             /* print at all */
	const char *what;
	long long total;    /* 0 if unknown */
	long long base;     /* done before t0 (a resumed run): not in the rate */
	double t0, last;    /* seconds (monotonic) */
};

/* force: 1 for --progress, 0 to decide by isatty(2). */
void progress_init(struct progress *p, const char *what, long long total, int force);
void progress_update(struct progress *p, long long done);
void progress_done(struct progress *p, long long done);

/* The number of lines of the regular file open on fd, from its current
 * offset to the end (a last line without a newline counts), without
 * moving the offset; -1 when fd is not a regular file (a pipe, a
 * terminal) or cannot be read.  For totals: call it before the stream on
 * fd is read. */
long long progress_count_lines(int fd);

/* wn_now(): the monotonic clock in seconds (lib/clock.h). */

#endif
