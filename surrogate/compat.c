/*
 * compat.c - temporary weak stand-ins for lib/err.c and lib/hash.c until
 * they land on main (the real definitions override these).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "err.h"
#include "hash.h"

__attribute__((weak)) int wn_seterr(struct wn_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->code = code;
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

__attribute__((weak)) uint64_t wn_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

__attribute__((weak)) double wn_u01_counter(uint64_t seed, uint64_t stream, uint64_t counter)
{
	uint64_t key = wn_splitmix64(seed ^ wn_splitmix64(stream));
	uint64_t h = XXH3_64bits_withSeed(&counter, sizeof counter, key);
	return (double)(h >> 11) * 0x1.0p-53;
}
