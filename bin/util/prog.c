/* prog.c - dying helpers for programs (see prog.h). */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "prog.h"

const char *progname = "winnow";

static void
on_fatal_signal(int sig)
{
	wn_out_cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
prog_init(const char *name)
{
	struct sigaction sa;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	progname = name;
	setlocale(LC_ALL, "C");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
}

static void
vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

static void (*at_die)(void);

void
prog_at_die(void (*fn)(void))
{
	at_die = fn;
}

void
die(int code, const char *fmt, ...)
{
	void (*fn)(void) = at_die;
	va_list ap;

	at_die = NULL;
	if (fn)
		fn();
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	wn_out_cleanup_all();
	exit(code);
}

void
die_err(const struct wn_err *err)
{
	die(err->code ? err->code : WN_ESOFTWARE, "%s", err->msg);
}

void *
emalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		die(WN_ESOFTWARE, "out of memory (%zu bytes)", size);
	return p;
}

void *
ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die(WN_ESOFTWARE, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
ereallocarray(void *p, size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		die(WN_ESOFTWARE, "out of memory (%zu x %zu bytes)", n, size);
	p = realloc(p, n * size != 0 ? n * size : 1);
	if (p == NULL)
		die(WN_ESOFTWARE, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

char *
estrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		die(WN_ESOFTWARE, "out of memory");
	return p;
}

const char *
input_name(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "<stdin>" : path;
}

FILE *
efopen_input(const char *path)
{
	FILE *fp;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdin;
	if ((fp = fopen(path, "r")) == NULL)
		die(WN_ENOINPUT, "%s: %s", path, strerror(errno));
	return fp;
}

void
efshut(FILE *fp, const char *name)
{
	int bad = fflush(fp) != 0 || ferror(fp);
	int saved = errno;

	if (fclose(fp) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (!bad)
		return;
	if (saved == EPIPE) {
		/* The reader went away (| head): be quiet, as SIGPIPE would. */
		wn_out_cleanup_all();
		_exit(141);
	}
	die(WN_EIO, "%s: write error: %s", name, saved ? strerror(saved) : "unknown error");
}

void
emkdir(const char *path)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die(WN_ECANTCREAT, "%s: %s", path, strerror(errno));
}
