/* idcheck.c - duplicate 64-bit hashes in bounded memory (see idcheck.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "idcheck.h"

enum { FANOUT = 256 };          /* spill files per level: 8 bits */

struct idcheck {
	uint64_t *buf, *tmp;    /* cap hashes each: held hashes, sort space */
	size_t cap, n;
	FILE *part[FANOUT];     /* level-1 spill files (NULL until a spill) */
	uint64_t count, spilled;
	char dir[4096];         /* where spill files go, for messages */
};

/* Sort a[0..n) with LSD radix sort, 8 bits a pass, through tmp; passes
 * where every key has the same byte are skipped (within a spill file the
 * top bytes are equal).  The result ends in a or tmp: returned. */
static uint64_t *
radix(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t cnt[256];

	for (int shift = 0; shift < 64; shift += 8) {
		memset(cnt, 0, sizeof cnt);
		for (size_t i = 0; i < n; i++)
			cnt[(a[i] >> shift) & 255]++;
		if (n == 0 || cnt[(a[0] >> shift) & 255] == n)
			continue;
		size_t at = 0;
		for (int d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(a[i] >> shift) & 255]++] = a[i];
		uint64_t *t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

/* 1 and *h (the smallest) if sorted a[0..n) holds a value twice, else 0. */
static int
adjacent(const uint64_t *a, size_t n, uint64_t *h)
{
	for (size_t i = 1; i < n; i++)
		if (a[i] == a[i - 1]) {
			*h = a[i];
			return 1;
		}
	return 0;
}

/* An unlinked temporary file in c->dir, or NULL (74). */
static FILE *
spillfile(struct idcheck *c, struct wn_err *err)
{
	char path[4096 + 32];
	FILE *fp;
	int fd;

	snprintf(path, sizeof path, "%s/winnow-ids.XXXXXX", c->dir);
	if ((fd = mkstemp(path)) < 0) {
		wn_seterr(err, WN_EIO, "%s: cannot create a temporary file for the id check: %s "
		    "(set TMPDIR)", c->dir, strerror(errno));
		return NULL;
	}
	unlink(path);
	if ((fp = fdopen(fd, "w+b")) == NULL) {
		close(fd);
		wn_seterr(err, WN_EIO, "%s: %s", c->dir, strerror(errno));
	}
	return fp;
}

static int
werr(struct idcheck *c, struct wn_err *err)
{
	return wn_seterr(err, WN_EIO, "%s: cannot write the id check's temporary file: %s "
	    "(disk full? set TMPDIR)", c->dir, strerror(errno));
}

/* Write a[0..n) to the FANOUT files out[] by the byte at shift, in
 * order (a counting pass, then one fwrite a file). */
static int
scatter(struct idcheck *c, const uint64_t *a, uint64_t *tmp, size_t n, int shift,
        FILE **out, struct wn_err *err)
{
	size_t cnt[FANOUT + 1] = { 0 }, at[FANOUT];

	for (size_t i = 0; i < n; i++)
		cnt[((a[i] >> shift) & 255) + 1]++;
	for (int d = 0; d < FANOUT; d++)
		cnt[d + 1] += cnt[d];
	memcpy(at, cnt, sizeof at);
	for (size_t i = 0; i < n; i++)
		tmp[at[(a[i] >> shift) & 255]++] = a[i];
	for (int d = 0; d < FANOUT; d++) {
		size_t k = cnt[d + 1] - cnt[d];
		if (k == 0)
			continue;
		if (out[d] == NULL && (out[d] = spillfile(c, err)) == NULL)
			return -1;
		if (fwrite(tmp + cnt[d], sizeof *tmp, k, out[d]) != k)
			return werr(c, err);
	}
	return 0;
}

struct idcheck *
idc_new(size_t mem, struct wn_err *err)
{
	struct idcheck *c = calloc(1, sizeof *c);
	const char *d = getenv("TMPDIR");

	if (mem == 0)
		mem = (size_t)64 << 20;
	if (mem < (size_t)64 << 10)
		mem = (size_t)64 << 10;
	if (c == NULL)
		goto nomem;
	c->cap = mem / (2 * sizeof *c->buf);
	if ((c->buf = malloc(c->cap * sizeof *c->buf)) == NULL ||
	    (c->tmp = malloc(c->cap * sizeof *c->tmp)) == NULL)
		goto nomem;
	snprintf(c->dir, sizeof c->dir, "%s", d && *d ? d : "/tmp");
	return c;
nomem:
	idc_free(c);
	wn_seterr(err, WN_ESOFTWARE, "out of memory for the id check");
	return NULL;
}

int
idc_add(struct idcheck *c, uint64_t h, struct wn_err *err)
{
	if (c->n == c->cap) {
		if (scatter(c, c->buf, c->tmp, c->n, 56, c->part, err) != 0)
			return -1;
		c->spilled += c->n * sizeof *c->buf;
		c->n = 0;
	}
	c->buf[c->n++] = h;
	c->count++;
	return 0;
}

/* Check the spill file fp (hashes equal above bit shift + 8), splitting
 * it by the byte at shift when it does not fit in memory. */
static int
check_file(struct idcheck *c, FILE *fp, int shift, uint64_t *h, struct wn_err *err)
{
	off_t size;
	size_t n;

	if (fflush(fp) != 0 || (size = ftello(fp)) < 0 || fseeko(fp, 0, SEEK_SET) != 0)
		return werr(c, err);
	n = (size_t)size / sizeof *c->buf;
	if (n <= c->cap || shift < 0) {
		if (shift < 0)  /* all 64 bits agree: every hash is the same */
			return n < 2 ? 0 : (fread(h, sizeof *h, 1, fp) == 1 ? 1 : werr(c, err));
		if (fread(c->buf, sizeof *c->buf, n, fp) != n)
			return wn_seterr(err, WN_EIO, "%s: cannot read the id check's temporary file: %s",
			    c->dir, strerror(errno));
		return adjacent(radix(c->buf, c->tmp, n), n, h);
	}
	FILE *sub[FANOUT] = { 0 };
	int rc = 0;

	/* split it in pieces of at most cap hashes, buf as the read buffer */
	for (size_t left = n; left > 0 && rc == 0;) {
		size_t k = left < c->cap ? left : c->cap;
		if (fread(c->buf, sizeof *c->buf, k, fp) != k)
			rc = wn_seterr(err, WN_EIO, "%s: cannot read the id check's temporary file: %s",
			    c->dir, strerror(errno));
		else
			rc = scatter(c, c->buf, c->tmp, k, shift, sub, err);
		left -= k;
	}
	for (int d = 0; d < FANOUT && rc == 0; d++)
		if (sub[d] != NULL)
			rc = check_file(c, sub[d], shift - 8, h, err);
	for (int d = 0; d < FANOUT; d++)
		if (sub[d] != NULL)
			fclose(sub[d]);
	return rc;
}

int
idc_find_dup(struct idcheck *c, uint64_t *h, struct wn_err *err)
{
	int spilled = 0;

	for (int d = 0; d < FANOUT; d++)
		spilled |= c->part[d] != NULL;
	if (!spilled) {
		int rc = adjacent(radix(c->buf, c->tmp, c->n), c->n, h);
		c->n = 0;
		return rc;
	}
	if (scatter(c, c->buf, c->tmp, c->n, 56, c->part, err) != 0)
		return -1;
	c->spilled += c->n * sizeof *c->buf;
	c->n = 0;
	for (int d = 0; d < FANOUT; d++) {
		if (c->part[d] == NULL)
			continue;
		int rc = check_file(c, c->part[d], 48, h, err);
		fclose(c->part[d]);
		c->part[d] = NULL;
		if (rc != 0)
			return rc;
	}
	return 0;
}

uint64_t idc_count(const struct idcheck *c) { return c->count; }
uint64_t idc_spilled(const struct idcheck *c) { return c->spilled; }

void
idc_free(struct idcheck *c)
{
	if (c == NULL)
		return;
	for (int d = 0; d < FANOUT; d++)
		if (c->part[d] != NULL)
			fclose(c->part[d]);
	free(c->buf);
	free(c->tmp);
	free(c);
}
