/*
 * prog.h - helpers for programs in bin/ only (bin/util/, built into
 * bin/util/libwnutil.a, not libwinnow.a): these print and exit.
 *
 * Library code (lib/, surrogate/) must not call anything here; it returns
 * a struct wn_err instead (err.h).
 */
#ifndef WN_PROG_H
#define WN_PROG_H

#include <stddef.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "err.h"

extern const char *progname;    /* "winnow-select", for messages */

/* Set progname, the C locale for numbers, and the signal handlers that
 * remove unfinished -o outputs (atomic.h) on SIGINT, SIGTERM and SIGHUP.
 * SIGPIPE keeps its default action so a filter dies quietly when its
 * reader goes away. */
void prog_init(const char *name);

/* One BLAS thread, and OpenBLAS's idle threads stopped: for programs
 * whose parallelism is their own threads (-j), with results that must
 * not depend on how the BLAS would split a product (util/blas.c). */
void prog_blas_one_thread(void);

/* fn runs first when die is called (once; NULL: none): a program whose
 * threads may be working at a die lets them finish before the exit. */
void prog_at_die(void (*fn)(void));

noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void die_err(const struct wn_err *err);
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *emalloc(size_t size);
void *ecalloc(size_t n, size_t size);
void *ereallocarray(void *p, size_t n, size_t size);
char *estrdup(const char *s);

/* Open an input file; NULL or "-" is stdin.  Dies with 66 if it cannot. */
FILE *efopen_input(const char *path);
/* A name for messages: "<stdin>" for NULL or "-". */
const char *input_name(const char *path);

/* mkdir(path), an existing one is fine; else die 73. */
void emkdir(const char *path);

/* Flush and close fp, dying with 74 ("NAME: write error: ...") if any
 * write failed: a full disk must not look like success.  EPIPE exits
 * quietly with status 141 like a filter killed by SIGPIPE. */
void efshut(FILE *fp, const char *name);

#endif
