/*
 * progress.h - a progress line on stderr ("embed: 12000/60000 20% 3100/s
 * ETA 15s"), only when stderr is a terminal or the user asked (--progress);
 * silent in cron.  Programs only (it prints).
 */
#ifndef WN_PROGRESS_H
#define WN_PROGRESS_H

struct progress {
	int on;             /* print at all */
	const char *what;
	long long total;    /* 0 if unknown */
	double t0, last;    /* seconds (monotonic) */
};

/* force: 1 for --progress, 0 to decide by isatty(2). */
void progress_init(struct progress *p, const char *what, long long total, int force);
void progress_update(struct progress *p, long long done);
void progress_done(struct progress *p, long long done);

/* Monotonic clock in seconds. */
double wn_now(void);

#endif
