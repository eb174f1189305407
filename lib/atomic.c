/* atomic.c - outputs that appear whole or not at all (see atomic.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

/*
 * The one global in lib/: the temporary files not yet committed, so that a
 * signal handler can remove them.  A fixed table of fixed strings because a
 * handler may only call async-signal-safe functions (unlink) and must not
 * walk memory that malloc may be moving.
 */
enum { OUT_SLOTS = 16 };
static char pending[OUT_SLOTS][PATH_MAX];
static volatile sig_atomic_t pending_used[OUT_SLOTS];

static int
claim_slot(const char *tmp)
{
	for (int i = 0; i < OUT_SLOTS; i++)
		if (!pending_used[i] && strlen(tmp) < PATH_MAX) {
			strcpy(pending[i], tmp);
			pending_used[i] = 1;
			return i;
		}
	return -1;
}

static void
release_slot(int slot)
{
	if (slot >= 0)
		pending_used[slot] = 0;
}

void
wn_out_cleanup_all(void)
{
	for (int i = 0; i < OUT_SLOTS; i++)
		if (pending_used[i]) {
			unlink(pending[i]);
			pending_used[i] = 0;
		}
}

/* mkstemp() creates 0600; an output should get the usual 0666 & ~umask. */
static mode_t
umask_value(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

static void
free_out(struct wn_out *o)
{
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	o->fp = NULL;
}

int
wn_out_open(struct wn_out *o, const char *path, struct wn_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	struct stat st;
	int fd;

	memset(o, 0, sizeof *o);
	o->slot = -1;
	if (strcmp(path, "-") == 0) {
		o->fp = stdout;
		return 0;
	}
	/* A target that exists and is not a regular file (/dev/null, a FIFO,
	 * a terminal) is written in place: renaming over it would replace the
	 * device or pipe with a file (as root, -o /dev/null used to turn
	 * /dev/null into an ordinary file).  Nothing there to keep whole. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((o->path = strdup(path)) == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
		if ((o->fp = fopen(path, "w")) == NULL) {
			wn_seterr(err, WN_ECANTCREAT, "%s: cannot open: %s", path, strerror(errno));
			free_out(o);
			return -1;
		}
		return 0;
	}
	o->path = strdup(path);
	o->tmp = malloc(strlen(path) + 16);
	if (o->path == NULL || o->tmp == NULL) {
		free_out(o);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	}
	/* ".NAME.XXXXXX" in the target's directory, so rename() is atomic. */
	sprintf(o->tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
	if ((fd = mkstemp(o->tmp)) < 0) {
		wn_seterr(err, WN_ECANTCREAT, "%s: cannot create: %s", path, strerror(errno));
		free_out(o);
		return -1;
	}
	o->slot = claim_slot(o->tmp);
	fchmod(fd, 0666 & ~umask_value());
	if ((o->fp = fdopen(fd, "w+")) == NULL) {
		wn_seterr(err, WN_ECANTCREAT, "%s: %s", path, strerror(errno));
		close(fd);
		wn_out_abort(o);
		return -1;
	}
	return 0;
}

void
wn_out_abort(struct wn_out *o)
{
	if (o->tmp != NULL) {
		if (o->fp != NULL)
			fclose(o->fp);
		unlink(o->tmp);
	} else if (o->fp != NULL && o->fp != stdout) {
		fclose(o->fp);  /* a device or FIFO written in place */
	}
	release_slot(o->slot);
	o->slot = -1;
	free_out(o);
}

static void
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else if ((size_t)(slash - path) < sizeof dir)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	else
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
wn_out_commit(struct wn_out *o, struct wn_err *err)
{
	int e;

	if (o->tmp == NULL) {
		/* stdout (the program checks it with efshut() at exit), or a
		 * device or FIFO written in place (see wn_out_open), closed here */
		const char *name = o->fp == stdout ? "<stdout>" : o->path;
		int bad = fflush(o->fp) != 0 || (o->fp != stdout && ferror(o->fp));

		e = errno;
		if (o->fp != stdout && fclose(o->fp) != 0 && !bad) {
			bad = 1;
			e = errno;
		}
		if (bad)
			wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(e));
		free_out(o);
		return bad ? -1 : 0;
	}
	if (fflush(o->fp) != 0 || ferror(o->fp) || fsync(fileno(o->fp)) != 0) {
		e = errno;
		wn_seterr(err, WN_EIO, "%s: write error: %s", o->path, strerror(e));
		wn_out_abort(o);
		return -1;
	}
	if (fclose(o->fp) != 0) {
		e = errno;
		o->fp = NULL;
		wn_seterr(err, WN_EIO, "%s: write error: %s", o->path, strerror(e));
		wn_out_abort(o);
		return -1;
	}
	o->fp = NULL;
	if (rename(o->tmp, o->path) != 0) {
		e = errno;
		wn_seterr(err, WN_ECANTCREAT, "%s: cannot rename into place: %s", o->path, strerror(e));
		wn_out_abort(o);
		return -1;
	}
	release_slot(o->slot);
	sync_dir(o->path);
	free_out(o);
	return 0;
}
