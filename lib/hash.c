/* hash.c - per-sample randomness (see hash.h for the frozen algorithm). */
#include <math.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hash.h"

uint64_t
wn_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
wn_hash64(uint64_t seed, uint64_t stream, const char *id, size_t len)
{
	uint64_t key = wn_splitmix64(seed ^ wn_splitmix64(stream));

	return XXH3_64bits_withSeed(id, len, key);
}

double
wn_u01(uint64_t seed, uint64_t stream, const char *id, size_t len)
{
	return (double)(wn_hash64(seed, stream, id, len) >> 11) * 0x1.0p-53;
}

double
wn_u01_counter(uint64_t seed, uint64_t stream, uint64_t counter)
{
	uint64_t key = wn_splitmix64(seed ^ wn_splitmix64(stream));

	return (double)(wn_splitmix64(key ^ wn_splitmix64(counter)) >> 11) * 0x1.0p-53;
}

double
wn_normal_counter(uint64_t seed, uint64_t stream, uint64_t counter)
{
	/* Box-Muller on the uniforms of counters 2c and 2c+1; 1-u keeps the
	 * log argument in (0, 1]. */
	double u1 = 1.0 - wn_u01_counter(seed, stream, 2 * counter);
	double u2 = wn_u01_counter(seed, stream, 2 * counter + 1);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
