/*
 * hash.h - per-sample randomness as a pure function of (seed, id).
 *
 * Every random choice winnow makes about a sample comes from here, never
 * from a stream RNG, so a result does not depend on input order, thread
 * count or sharding.  The algorithm (documented in winnow-formats(5), and
 * frozen: changing it changes every selection):
 *
 *   key  = splitmix64(seed ^ splitmix64(stream))
 *   h    = XXH3_64bits_withSeed(id bytes, key)
 *   u    = (h >> 11) * 2^-53               uniform in [0, 1)
 *
 * `stream` separates independent decisions about the same sample (the split
 * into seed/rest, the selection, tie-breaking...): see enum wn_stream.
 */
#ifndef WN_HASH_H
#define WN_HASH_H

#include <stddef.h>
#include <stdint.h>

enum wn_stream {
	WN_STREAM_SPLIT    = 1,  /* winnow-manifest split */
	WN_STREAM_SELECT   = 2,  /* winnow-select sampling decisions */
	WN_STREAM_TIEBREAK = 3,  /* ordering ties in scores */
	WN_STREAM_SHUFFLE  = 4,  /* minibatch order in training */
	WN_STREAM_SIFT     = 5,  /* online sifting */
	WN_STREAM_PATCH    = 6,  /* patch sampling in winnow-embed learn */
	/* 7: EMB_STREAM_PROJECT, embed.h's random projection */
	WN_STREAM_SAMPLE   = 8,  /* the thumbnails winnow-report samples */
	WN_STREAM_FOLD     = 9   /* cross-fitting folds in winnow-audit */
	/* only ever append */
};

uint64_t wn_splitmix64(uint64_t x);
/* 64-bit hash of id under (seed, stream). */
uint64_t wn_hash64(uint64_t seed, uint64_t stream, const char *id, size_t len);
/* Uniform double in [0, 1) for (seed, stream, id). */
double wn_u01(uint64_t seed, uint64_t stream, const char *id, size_t len);
/* Uniform double in [0, 1) for (seed, stream, counter): for per-index
 * randomness that is not about a sample (random projections). */
double wn_u01_counter(uint64_t seed, uint64_t stream, uint64_t counter);
/* Standard normal for (seed, stream, counter), by Box-Muller on two
 * counter-based uniforms. */
double wn_normal_counter(uint64_t seed, uint64_t stream, uint64_t counter);

#endif
