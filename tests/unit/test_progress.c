/* test_progress.c - the progress line: totals counted from a file, the
 * rate of slow work (issue 15: winnow-train's rate read "0/s"). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "unit.h"

/* capture: what f(p) writes on stderr, in buf (NUL-terminated). */
static void
capture(void (*f)(struct progress *), struct progress *p, char *buf, size_t cap)
{
	FILE *t = tmpfile();
	int save = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	dup2(fileno(t), STDERR_FILENO);
	f(p);
	fflush(stderr);
	dup2(save, STDERR_FILENO);
	close(save);
	rewind(t);
	n = fread(buf, 1, cap - 1, t);
	buf[n] = '\0';
	fclose(t);
}

static void
done_4(struct progress *p)
{
	progress_done(p, 4);
}

static void
update_30(struct progress *p)
{
	p->last = 0;    /* due */
	progress_update(p, 30);
}

TEST(slow_rate_is_not_zero)
{
	struct progress p;
	char buf[256];

	/* 4 iterations in 10 s: 0.4/s, which "%.0f/s" printed as 0/s */
	progress_init(&p, "train", 80, 1);
	p.t0 = wn_now() - 10;
	capture(done_4, &p, buf, sizeof buf);
	CHECK(strstr(buf, "train: 4/80   5% 0.4/s in 10.0s done\n") != NULL, "[%s]", buf);
	CHECK(strstr(buf, " 0/s") == NULL, "[%s]", buf);
}

TEST(total_percentage_eta_and_resumed_base)
{
	struct progress p;
	char buf[256];

	/* 30 of 100 after 10 s, 10 of them done before (resumed): 2/s over
	 * the 20 this run did, 70 left: ETA 35s */
	progress_init(&p, "embed", 100, 1);
	p.base = 10;
	p.t0 = wn_now() - 10;
	capture(update_30, &p, buf, sizeof buf);
	CHECK(strstr(buf, "\rembed: 30/100  30% ETA 35s 2/s") == buf, "[%s]", buf);
	/* off unless forced or a terminal (the test's stderr is a file) */
	progress_init(&p, "embed", 100, 0);
	if (!isatty(STDERR_FILENO)) {
		capture(done_4, &p, buf, sizeof buf);
		CHECK(buf[0] == '\0', "[%s]", buf);
	}
}

TEST(count_lines)
{
	char path[] = "/tmp/test_progress.XXXXXX";
	int fd = mkstemp(path);
	int p[2];

	CHECK(fd >= 0, "mkstemp");
	CHECK(progress_count_lines(fd) == 0, "empty file");
	CHECK(write(fd, "id\tpath\na\tx\nb\ty\n", 16) == 16, "write");
	lseek(fd, 0, SEEK_SET);
	CHECK(progress_count_lines(fd) == 3, "%lld", progress_count_lines(fd));
	/* from the current offset, which it leaves alone */
	lseek(fd, 8, SEEK_SET);
	CHECK(progress_count_lines(fd) == 2, "%lld", progress_count_lines(fd));
	CHECK(lseek(fd, 0, SEEK_CUR) == 8, "offset moved");
	/* a last line without a newline counts */
	lseek(fd, 0, SEEK_END);
	CHECK(write(fd, "c\tz", 3) == 3, "write");
	lseek(fd, 0, SEEK_SET);
	CHECK(progress_count_lines(fd) == 4, "%lld", progress_count_lines(fd));
	close(fd);
	unlink(path);
	/* a pipe has no total */
	CHECK(pipe(p) == 0, "pipe");
	CHECK(progress_count_lines(p[0]) == -1, "pipe");
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	RUN(slow_rate_is_not_zero);
	RUN(total_percentage_eta_and_resumed_base);
	RUN(count_lines);
	return unit_done();
}
