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

#endif
