/*
 * fuzz.h - helpers shared by the libFuzzer harnesses (tests/fuzz/).
 */
#ifndef WN_FUZZ_H
#define WN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

/* Write data to a per-process temporary file and return its path (static
 * buffer), for parsers that take a path.  Aborts if the file cannot be
 * written: that is the harness's fault, not the parser's. */
static const char *
fuzz_tmpfile(const uint8_t *data, size_t size, const char *suffix)
{
	static char path[256];
	const char *dir = getenv("TMPDIR");
	FILE *fp;

	snprintf(path, sizeof path, "%s/winnow-fuzz.%ld%s", dir ? dir : "/tmp",
	         (long)getpid(), suffix ? suffix : "");
	if ((fp = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	if (fclose(fp) != 0)
		abort();
	return path;
}

/* fmemopen() refuses a zero-length buffer: read a 0-byte input from
 * /dev/null instead. */
static FILE *
fuzz_memfile(const uint8_t *data, size_t size)
{
	FILE *fp = size > 0 ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");

	if (fp == NULL)
		abort();
	return fp;
}

/* A file format that reads from and writes to a stream: the library's
 * read, write and free, through void pointers. */
struct fuzz_format {
	void *(*read)(FILE *fp, const char *name, struct wn_err *err);
	int (*write)(const void *x, FILE *fp, const char *name, struct wn_err *err);
	void (*free)(void *x);
};

/* x written by f->write into a malloc'd buffer of *len bytes.  Aborts if
 * that fails: what was read must write. */
static char *
fuzz_write(const struct fuzz_format *f, const void *x, size_t *len)
{
	struct wn_err err = { 0 };
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (fp == NULL || f->write(x, fp, "<mem>", &err) != 0 || fclose(fp) != 0)
		abort();
	return buf;
}

/*
 * The round trip of a format: data read with f->read ("<fuzz>").  Refused:
 * err.code must say why (else abort); returns NULL.  Read: it must write,
 * read back ("<mem>") and write again to the same bytes (else abort);
 * returns what was read first, for the caller's further checks and
 * f->free.
 */
static void *
fuzz_round_trip(const struct fuzz_format *f, const uint8_t *data, size_t size)
{
	struct wn_err err = { 0 };
	FILE *fp = fuzz_memfile(data, size);
	void *x = f->read(fp, "<fuzz>", &err), *x2;
	char *a, *b;
	size_t alen, blen;

	fclose(fp);
	if (x == NULL) {
		if (err.code == 0)
			abort();
		return NULL;
	}
	a = fuzz_write(f, x, &alen);
	fp = fuzz_memfile((const uint8_t *)a, alen);
	if ((x2 = f->read(fp, "<mem>", &err)) == NULL) {
		fprintf(stderr, "read back: %s\n", err.msg);
		abort();
	}
	fclose(fp);
	b = fuzz_write(f, x2, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
	f->free(x2);
	return x;
}

#endif
