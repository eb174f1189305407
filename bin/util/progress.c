/* progress.c - a progress line on stderr when someone is watching. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

void
progress_init(struct progress *p, const char *what, long long total, int force)
{
	p->on = force || isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	p->base = 0;
	p->t0 = p->last = wn_now();
}

long long
progress_count_lines(int fd)
{
	struct stat st;
	char buf[1 << 16];
	off_t off;
	long long n = 0;
	ssize_t got;
	char last = '\n';

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (off = lseek(fd, 0, SEEK_CUR)) < 0)
		return -1;
	while ((got = pread(fd, buf, sizeof buf, off)) > 0) {
		for (const char *q = buf; (q = memchr(q, '\n', (size_t)(buf + got - q))); q++)
			n++;
		last = buf[got - 1];
		off += got;
	}
	if (got < 0)
		return -1;
	return n + (last != '\n');
}

/* A rate for people: whole numbers from 10 a second, two digits below
 * (an L-BFGS run of 0.4 iterations a second is not "0/s"). */
static void
show_rate(double rate)
{
	if (rate >= 10)
		fprintf(stderr, " %.0f/s", rate);
	else if (rate > 0)
		fprintf(stderr, " %.2g/s", rate);
}

static void
show(struct progress *p, long long done, double now, int final)
{
	double dt = now - p->t0;
	double rate = dt > 0 && done > p->base ? (done - p->base) / dt : 0;

	fprintf(stderr, "\r%s: %lld", p->what, done);
	if (p->total > 0) {
		fprintf(stderr, "/%lld %3.0f%%", p->total, 100.0 * done / p->total);
		if (!final && rate > 0 && done < p->total)
			fprintf(stderr, " ETA %.0fs", (p->total - done) / rate);
	}
	show_rate(rate);
	if (final)
		fprintf(stderr, " in %.1fs done\n", dt);
	else
		fputs("   ", stderr);
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
