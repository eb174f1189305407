/* progress.c - a progress line on stderr when someone is watching. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

double
wn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
progress_init(struct progress *p, const char *what, long long total, int force)
{
	p->on = force || isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	p->t0 = p->last = wn_now();
}

static void
show(struct progress *p, long long done, double now, int final)
{
	double dt = now - p->t0, rate = dt > 0 ? done / dt : 0;

	fprintf(stderr, "\r%s: %lld", p->what, done);
	if (p->total > 0) {
		fprintf(stderr, "/%lld %3.0f%%", p->total, 100.0 * done / p->total);
		if (!final && rate > 0)
			fprintf(stderr, " ETA %.0fs", (p->total - done) / rate);
	}
	fprintf(stderr, " %.0f/s%s", rate, final ? " done\n" : "   ");
	fflush(stderr);
}

void
progress_update(struct progress *p, long long done)
{
	double now;

	if (!p->on)
		return;
	now = wn_now();
	if (now - p->last < 0.5)
		return;
	p->last = now;
	show(p, done, now, 0);
}

void
progress_done(struct progress *p, long long done)
{
	if (p->on)
		show(p, done, wn_now(), 1);
}
