/* test_split.c - split.h against the obvious: per stratum, the round(f n)
 * rows of smallest hash go first, whatever order the rows come in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "split.h"
#include "unit.h"

enum { N = 1000, STRATA = 3 };

static const char *const names[STRATA] = { "cat", "dog", "eel" };

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* row i: id "r-i", stratum by i: 1/2 cat, 1/3 dog, 1/6 eel */
static const char *
stratum(int i)
{
	return names[i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2];
}

TEST(smallest_hashes_per_stratum)
{
	const double f = 0.3;
	struct split sp;
	struct wn_err err;
	char id[32];

	split_init(&sp, f, 7);
	for (int q = 0; q < N; q++) {           /* pass 1 in reverse order */
		int i = N - 1 - q;
		snprintf(id, sizeof id, "r-%d", i);
		CHECK(split_add(&sp, stratum(i), id, &err) == 0, "%s", err.msg);
	}
	split_plan(&sp);
	for (int c = 0; c < STRATA; c++) {
		uint64_t h[N];
		size_t n = 0, first = 0, want;

		for (int i = 0; i < N; i++)
			if (strcmp(stratum(i), names[c]) == 0) {
				snprintf(id, sizeof id, "r-%d", i);
				h[n++] = wn_hash64(7, WN_STREAM_SPLIT, id, strlen(id));
			}
		qsort(h, n, sizeof *h, cmp_u64);
		want = (size_t)floor(f * (double)n + 0.5);
		for (int i = 0; i < N; i++) {
			if (strcmp(stratum(i), names[c]) != 0)
				continue;
			snprintf(id, sizeof id, "r-%d", i);
			uint64_t hi = wn_hash64(7, WN_STREAM_SPLIT, id, strlen(id));
			int got = split_first(&sp, names[c], id, &err);
			CHECK(got == (hi < h[want]), "row %d of %s: %d", i, names[c], got);
			first += got == 1;
		}
		CHECK(first == want, "%s: %zu first of %zu, want %zu", names[c], first, n, want);
	}
	CHECK(split_first(&sp, "fox", "r-1", &err) == -1 && err.code == WN_EDATA,
	      "an unseen stratum");
	split_free(&sp);
}

TEST(all_and_none)
{
	struct split sp;
	struct wn_err err;

	for (int all = 0; all <= 1; all++) {
		split_init(&sp, all, 1);
		CHECK(split_add(&sp, "", "a", &err) == 0 && split_add(&sp, "", "b", &err) == 0, "add");
		split_plan(&sp);
		CHECK(split_first(&sp, "", "a", &err) == all && split_first(&sp, "", "b", &err) == all,
		      "fraction %d", all);
		split_free(&sp);
	}
}

int
main(void)
{
	RUN(smallest_hashes_per_stratum);
	RUN(all_and_none);
	return unit_done();
}
