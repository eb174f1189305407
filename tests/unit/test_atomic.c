/* test_atomic.c - -o outputs appear whole or not at all. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "prog.h"
#include "unit.h"

static char dir[] = "/tmp/test_atomic.XXXXXX";

static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
	closedir(d);
	return n;
}

TEST(commit_renames_into_place)
{
	struct wn_err err = { 0 };
	struct wn_out o;
	char target[256], buf[16] = "";
	FILE *fp;

	snprintf(target, sizeof target, "%s/out.tsv", dir);
	CHECK(wn_out_open(&o, target, &err) == 0, "%s", err.msg);
	fputs("hello\n", o.fp);
	CHECK(access(target, F_OK) != 0, "target visible before commit");
	CHECK(entries() == 1, "one temporary file expected, %d entries", entries());
	CHECK(wn_out_commit(&o, &err) == 0, "%s", err.msg);
	CHECK(entries() == 1, "temporary file left behind");
	fp = fopen(target, "r");
	CHECK(fp && fgets(buf, sizeof buf, fp) && strcmp(buf, "hello\n") == 0, "content \"%s\"", buf);
	if (fp)
		fclose(fp);
	unlink(target);
}

TEST(abort_leaves_nothing)
{
	struct wn_err err = { 0 };
	struct wn_out o;
	char target[256];

	snprintf(target, sizeof target, "%s/out.tsv", dir);
	CHECK(wn_out_open(&o, target, &err) == 0, "%s", err.msg);
	fputs("half", o.fp);
	wn_out_abort(&o);
	CHECK(entries() == 0, "%d entries left after abort", entries());
}

TEST(signal_removes_temporary_file)
{
	char target[256];
	int status;
	pid_t pid;

	snprintf(target, sizeof target, "%s/out.tsv", dir);
	if ((pid = fork()) == 0) {
		struct wn_err err = { 0 };
		struct wn_out o;

		prog_init("test_atomic");
		if (wn_out_open(&o, target, &err) != 0)
			_exit(2);
		fputs("half", o.fp);
		fflush(o.fp);
		raise(SIGTERM);
		_exit(3);       /* not reached */
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "child status %#x", status);
	CHECK(entries() == 0, "%d entries left after SIGTERM", entries());
}

TEST(cannot_create)
{
	struct wn_err err = { 0 };
	struct wn_out o;

	CHECK(wn_out_open(&o, "/nonexistent-dir/x", &err) != 0 && err.code == WN_ECANTCREAT, "code %d", err.code);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(commit_renames_into_place);
	RUN(abort_leaves_nothing);
	RUN(signal_removes_temporary_file);
	RUN(cannot_create);
	rmdir(dir);
	return unit_done();
}
