/* test_idcheck.c - duplicate hashes in bounded memory against the obvious
 * check (qsort every hash, compare neighbours), in memory and spilled to
 * disk at one, two and all eight levels of splitting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hash.h"
#include "idcheck.h"
#include "unit.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The obvious answer: 1 and the smallest value present twice, or 0. */
static int
slow_dup(const uint64_t *h, size_t n, uint64_t *dup)
{
	uint64_t *a = malloc((n + 1) * sizeof *a);
	int found = 0;

	for (size_t i = 0; i < n; i++)
		a[i] = h[i];
	qsort(a, n, sizeof *a, cmp_u64);
	for (size_t i = 1; i < n && !found; i++)
		if (a[i] == a[i - 1]) {
			*dup = a[i];
			found = 1;
		}
	free(a);
	return found;
}

/* Run the check on h[0..n) with mem bytes; compare with slow_dup. */
static void
same_as_slow(const uint64_t *h, size_t n, size_t mem, int spills, const char *what)
{
	struct wn_err err = { 0 };
	struct idcheck *c = idc_new(mem, &err);
	uint64_t want = 0, got = 0;
	int rc = 0, ws;

	CHECK(c != NULL, "%s: idc_new: %s", what, err.msg);
	if (c == NULL)
		return;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = idc_add(c, h[i], &err);
	CHECK(rc == 0, "%s: idc_add: %s", what, err.msg);
	CHECK(idc_count(c) == n, "%s: count %llu", what, (unsigned long long)idc_count(c));
	rc = idc_find_dup(c, &got, &err);
	ws = slow_dup(h, n, &want);
	CHECK(rc == ws, "%s: idc_find_dup %d (%s), slow %d", what, rc, err.msg, ws);
	CHECK(!ws || got == want, "%s: dup %016llx, slow %016llx", what,
	      (unsigned long long)got, (unsigned long long)want);
	CHECK((idc_spilled(c) > 0) == spills, "%s: spilled %llu bytes", what,
	      (unsigned long long)idc_spilled(c));
	idc_free(c);
}

enum { N = 300000 };

TEST(in_memory_and_spilled_one_level)
{
	uint64_t *h = malloc(N * sizeof *h);

	for (size_t i = 0; i < N; i++)
		h[i] = wn_splitmix64(i);
	same_as_slow(h, N, 0, 0, "distinct, in memory");
	same_as_slow(h, N, 1 << 16, 1, "distinct, spilled");
	/* two duplicates: the smaller value is reported, wherever it is */
	h[N - 1] = h[7];
	h[N / 2] = h[N / 3];
	same_as_slow(h, N, 0, 0, "two dups, in memory");
	same_as_slow(h, N, 1 << 16, 1, "two dups, spilled");
	/* neighbours in the stream, and the very first and last */
	h[N - 1] = wn_splitmix64(N + 1);
	h[N / 2] = wn_splitmix64(N + 2);
	h[1] = h[0];
	same_as_slow(h, N, 1 << 16, 1, "dup at the start");
	h[1] = wn_splitmix64(N + 3);
	h[N - 1] = h[N - 2];
	same_as_slow(h, N, 1 << 16, 1, "dup at the end");
	free(h);
}

TEST(one_top_byte_splits_again)
{
	/* every hash in one level-1 file (top byte 0xab): 300,000 do not fit
	 * in 4,096, so the file is split by the next byte, some twice */
	uint64_t *h = malloc(N * sizeof *h);

	for (size_t i = 0; i < N; i++)
		h[i] = (0xabULL << 56) | (wn_splitmix64(i) >> 8);
	same_as_slow(h, N, 1 << 16, 1, "one top byte, distinct");
	for (size_t i = 0; i < N; i++)
		h[i] = (0xab12ULL << 48) | (wn_splitmix64(i) >> 16);
	same_as_slow(h, N, 1 << 16, 1, "two top bytes, distinct");
	h[12345] = h[N - 5];
	same_as_slow(h, N, 1 << 16, 1, "two top bytes, one dup");
	free(h);
}

TEST(all_the_same_exhausts_the_bits)
{
	/* 20,000 copies of one value: no split separates them; after the
	 * eighth level every hash left in a file is the same */
	enum { M = 20000 };
	uint64_t *h = malloc(M * sizeof *h);

	for (size_t i = 0; i < M; i++)
		h[i] = 0x0123456789abcdefULL;
	same_as_slow(h, M, 1 << 16, 1, "all equal");
	for (size_t i = 0; i < M; i++)
		h[i] = i % 2 ? 0x0123456789abcdefULL : 0x0123456789abcdeeULL;
	same_as_slow(h, M, 1 << 16, 1, "two values");
	free(h);
}

TEST(empty_and_one)
{
	uint64_t h = 5;

	same_as_slow(&h, 0, 0, 0, "empty");
	same_as_slow(&h, 1, 0, 0, "one");
}

int
main(void)
{
	RUN(in_memory_and_spilled_one_level);
	RUN(one_top_byte_splits_again);
	RUN(all_the_same_exhausts_the_bits);
	RUN(empty_and_one);
	return unit_done();
}
