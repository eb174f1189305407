/*
 * split.h - winnow-manifest split: a share of a manifest's rows, the same
 * share of each stratum (the values of a column, or one stratum), chosen
 * by a hash of (seed, id) so that it does not depend on the row order.
 * Prefix split_.
 *
 * Two passes over the rows: split_add every row (8 bytes a row are kept
 * until split_plan), split_plan, then split_first for each row.  A
 * stratum of n rows puts its round(fraction n) rows with the smallest
 * wn_hash64(seed, WN_STREAM_SPLIT, id) first (ties between equal hashes
 * of different ids may put one more there).
 */
#ifndef WN_SPLIT_H
#define WN_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct split_stratum {
	char *name;
	uint64_t *hashes;       /* of its rows, until split_plan */
	size_t n, cap;
	size_t want;            /* rows to put first */
	uint64_t cut;           /* rows with a hash below it go first */
};

struct split {
	double fraction;        /* in [0, 1] */
	unsigned long long seed;
	struct split_stratum *s;
	size_t ns;
};

void split_init(struct split *sp, double fraction, unsigned long long seed);
void split_free(struct split *sp);

/* Pass 1: a row with this id in this stratum ("" without strata).  -1
 * with 70 without memory. */
int split_add(struct split *sp, const char *stratum, const char *id, struct wn_err *err);

/* Between the passes: each stratum's cut. */
void split_plan(struct split *sp);

/* Pass 2: 1 if the row goes to the first share, else 0; -1 with 65 for a
 * stratum pass 1 did not see (the input changed between the passes). */
int split_first(const struct split *sp, const char *stratum, const char *id,
                struct wn_err *err);

#endif
