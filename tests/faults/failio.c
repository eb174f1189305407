/*
 * failio.c - an LD_PRELOAD shim that makes I/O fail, for tests/faults.bats.
 *
 *   cc -shared -fPIC -o failio.so tests/faults/failio.c -ldl
 *   FAILIO=write FAILIO_PATH=out.npy FAILIO_AFTER=1000 LD_PRELOAD=./failio.so prog ...
 *
 * FAILIO        comma-separated operations to fail: write, read, fsync,
 *               rename (fsync covers fdatasync; rename covers renameat and
 *               renameat2).
 * FAILIO_PATH   only files whose path contains this string (for rename:
 *               either name); default every file but descriptors 0-2
 *               (name those with e.g. FAILIO_PATH=pipe:).
 * FAILIO_AFTER  write, read: bytes that go through (per process, over all
 *               matching files) before the failure; fsync, rename: calls
 *               that succeed first.  Default 0.
 * FAILIO_ERRNO  ENOSPC, EIO, EDQUOT or EXDEV; default ENOSPC for write,
 *               EIO for the others.
 *
 * glibc's stdio calls its internal write/read, which a preloaded write()
 * cannot intercept: so files opened with fopen()/fdopen() whose path
 * matches are wrapped in a fopencookie() stream whose read and write
 * functions count and fail (fileno() on it still returns the real
 * descriptor, so fsync(fileno(fp)) works).  Direct write()/read() calls
 * are intercepted too.  Each injected failure is reported on stderr as
 * "failio: OP PATH: ERRNO" so tests can tell it from a genuine one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_READ = 2, OP_FSYNC = 4, OP_RENAME = 8 };

static int ops = -1;            /* -1: not read yet */
static const char *match;
static long long budget_rw, budget_calls;
static int err_write, err_other;

static void
init(void)
{
	const char *s = getenv("FAILIO"), *e = getenv("FAILIO_ERRNO");

	if (ops != -1)
		return;
	ops = 0;
	if (s != NULL) {
		if (strstr(s, "write")) ops |= OP_WRITE;
		if (strstr(s, "read")) ops |= OP_READ;
		if (strstr(s, "fsync")) ops |= OP_FSYNC;
		if (strstr(s, "rename")) ops |= OP_RENAME;
	}
	match = getenv("FAILIO_PATH");
	if (match != NULL && *match == '\0')
		match = NULL;
	budget_rw = budget_calls = getenv("FAILIO_AFTER") ? atoll(getenv("FAILIO_AFTER")) : 0;
	err_write = ENOSPC;
	err_other = EIO;
	if (e != NULL) {
		int v = strcmp(e, "EIO") == 0 ? EIO : strcmp(e, "EDQUOT") == 0 ? EDQUOT :
		        strcmp(e, "EXDEV") == 0 ? EXDEV : ENOSPC;
		err_write = err_other = v;
	}
}

static int
path_matches(const char *path)
{
	return path != NULL && (match == NULL || strstr(path, match) != NULL);
}

/* The path of descriptor fd, in buf. */
static const char *
fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, buf, size - 1)) < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static int
fd_matches(int fd)
{
	char buf[4096];

	if (fd <= 2 && match == NULL)
		return 0;       /* stdin/stdout/stderr only when named */
	return path_matches(fd_path(fd, buf, sizeof buf));
}

static void
report(const char *op, const char *path, int e)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "failio: %s %s: %s\n", op, path ? path : "?", strerror(e));
	ssize_t (*real_write)(int, const void *, size_t) = dlsym(RTLD_NEXT, "write");

	if (n > 0)
		(void)real_write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

/* How many of n bytes may go through before the failure (0: fail now). */
static size_t
allow(size_t n)
{
	if (budget_rw <= 0)
		return 0;
	if ((long long)n > budget_rw)
		n = (size_t)budget_rw;
	budget_rw -= (long long)n;
	return n;
}

/* ---- direct calls ---- */

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	char p[4096];
	size_t ok;

	init();
	if (!real)
		real = dlsym(RTLD_NEXT, "write");
	if (!(ops & OP_WRITE) || n == 0 || !fd_matches(fd))
		return real(fd, buf, n);
	if ((ok = allow(n)) == 0) {
		report("write", fd_path(fd, p, sizeof p), err_write);
		errno = err_write;
		return -1;
	}
	return real(fd, buf, ok);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	char p[4096];
	size_t ok;

	init();
	if (!real)
		real = dlsym(RTLD_NEXT, "read");
	if (!(ops & OP_READ) || n == 0 || !fd_matches(fd))
		return real(fd, buf, n);
	if ((ok = allow(n)) == 0) {
		report("read", fd_path(fd, p, sizeof p), err_other);
		errno = err_other;
		return -1;
	}
	return real(fd, buf, ok);
}

static int
sync_common(int fd, const char *name)
{
	char p[4096];

	init();
	if (!(ops & OP_FSYNC) || !fd_matches(fd))
		return 1;
	if (budget_calls > 0) {
		budget_calls--;
		return 1;
	}
	report(name, fd_path(fd, p, sizeof p), err_other);
	errno = err_other;
	return -1;
}

int
fsync(int fd)
{
	static int (*real)(int);
	int rc = sync_common(fd, "fsync");

	if (!real)
		real = dlsym(RTLD_NEXT, "fsync");
	return rc < 0 ? -1 : real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);
	int rc = sync_common(fd, "fdatasync");

	if (!real)
		real = dlsym(RTLD_NEXT, "fdatasync");
	return rc < 0 ? -1 : real(fd);
}

static int
rename_common(const char *from, const char *to)
{
	init();
	if (!(ops & OP_RENAME) || !(path_matches(from) || path_matches(to)))
		return 1;
	if (budget_calls > 0) {
		budget_calls--;
		return 1;
	}
	report("rename", to, err_other);
	errno = err_other;
	return -1;
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (!real)
		real = dlsym(RTLD_NEXT, "rename");
	return rename_common(from, to) < 0 ? -1 : real(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	static int (*real)(int, const char *, int, const char *);

	if (!real)
		real = dlsym(RTLD_NEXT, "renameat");
	return rename_common(from, to) < 0 ? -1 : real(fd1, from, fd2, to);
}

int
renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned);

	if (!real)
		real = dlsym(RTLD_NEXT, "renameat2");
	return rename_common(from, to) < 0 ? -1 : real(fd1, from, fd2, to, flags);
}

/* ---- stdio streams ---- */

struct cookie {
	int fd;
	FILE *fp;
	struct cookie *next;
};
static struct cookie *cookies;  /* to answer fileno() */

static ssize_t
c_read(void *c, char *buf, size_t n)
{
	return read(((struct cookie *)c)->fd, buf, n);
}

static ssize_t
c_write(void *c, const char *buf, size_t n)
{
	/* as glibc does for a file: retry short writes, so the failure
	 * comes with its errno; -1 (not the 0 fopencookie(3) documents)
	 * keeps that errno */
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(((struct cookie *)c)->fd, buf + done, n - done);
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static int
c_seek(void *c, off64_t *off, int whence)
{
	off64_t r = lseek(((struct cookie *)c)->fd, *off, whence);

	if (r < 0)
		return -1;
	*off = r;
	return 0;
}

static int
c_close(void *c)
{
	struct cookie **pp, *k = c;
	int fd = k->fd;

	for (pp = &cookies; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	free(k);
	return close(fd);
}

/* Wrap fd (opened with mode) when it is one to fail. */
static FILE *
wrap(int fd, const char *mode, FILE *plain)
{
	cookie_io_functions_t io = { c_read, c_write, c_seek, c_close };
	struct cookie *k;
	FILE *fp;

	if (!(ops & (OP_WRITE | OP_READ)) || fd < 0 || !fd_matches(fd))
		return plain;
	if ((k = calloc(1, sizeof *k)) == NULL)
		return plain;
	/* the cookie owns a duplicate; the plain stream is closed */
	if ((k->fd = dup(fd)) < 0 || (fp = fopencookie(k, mode, io)) == NULL) {
		free(k);
		return plain;
	}
	k->fp = fp;
	k->next = cookies;
	cookies = k;
	fclose(plain);
	return fp;
}

FILE *
fopen(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);
	FILE *fp;

	init();
	if (!real)
		real = dlsym(RTLD_NEXT, "fopen");
	if ((fp = real(path, mode)) == NULL)
		return NULL;
	return wrap(fileno(fp), mode, fp);
}

FILE *
fopen64(const char *path, const char *mode)
{
	return fopen(path, mode);
}

FILE *
fdopen(int fd, const char *mode)
{
	static FILE *(*real)(int, const char *);
	FILE *fp;

	init();
	if (!real)
		real = dlsym(RTLD_NEXT, "fdopen");
	if ((fp = real(fd, mode)) == NULL)
		return NULL;
	return wrap(fd, mode, fp);
}

int
fileno(FILE *fp)
{
	static int (*real)(FILE *);

	for (struct cookie *k = cookies; k; k = k->next)
		if (k->fp == fp)
			return k->fd;
	if (!real)
		real = dlsym(RTLD_NEXT, "fileno");
	return real(fp);
}
