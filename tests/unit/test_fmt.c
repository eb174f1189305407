/* test_fmt.c - wn_fmt_g9 and wn_fmt_lld against snprintf's %.9g and %lld,
 * byte for byte. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "unit.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next(void)      /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double
from_bits(uint64_t b)
{
	double v;
	memcpy(&v, &b, sizeof v);
	return v;
}

static long nchecked, nwrong;

/* v, -v and their neighbours within k ulps, each against snprintf */
static void
check(double v, int k)
{
	for (int sgn = 0; sgn < 2; sgn++) {
		double w = sgn ? -v : v;
		for (int i = 0; i < k; i++)
			w = nextafter(w, -INFINITY);
		for (int i = 0; i <= 2 * k; i++, w = nextafter(w, INFINITY)) {
			char a[WN_G9_MAX], b[WN_G9_MAX];
			int na = wn_fmt_g9(a, w), nb = snprintf(b, sizeof b, "%.9g", w);
			nchecked++;
			if (na != nb || strcmp(a, b) != 0) {
				if (nwrong++ < 10)
					CHECK(0, "%a: \"%s\", printf \"%s\"", w, a, b);
			}
		}
	}
}

TEST(special_values)
{
	nwrong = 0;
	double sp[] = { 0.0, 1.0, 0.5, 0.1, 1e9, 999999999.5, 999999999.4999999, 9999999995.0,
	                123456789.5, 123456788.5, 0.0001, 0.00009999999995, 1e-5, 1e16,
	                FLT_MIN, FLT_MAX, FLT_TRUE_MIN, DBL_MIN, DBL_MAX, DBL_TRUE_MIN,
	                INFINITY, NAN, 2.302585093, 0.69314718056 };
	for (size_t i = 0; i < sizeof sp / sizeof *sp; i++)
		check(sp[i], 3);
	CHECK(nwrong == 0, "%ld of %ld differ", nwrong, nchecked);
}

TEST(powers)
{
	/* every power of two (ties: 2^-10 = 0.0009765625 has ten digits)
	 * and of ten, with their neighbours */
	nwrong = 0;
	for (int e = -1074; e <= 1023; e++)
		check(ldexp(1, e), 2);
	for (int e = -330; e <= 310; e++) {
		char s[32];
		snprintf(s, sizeof s, "1e%d", e);
		check(strtod(s, NULL), 3);
	}
	CHECK(nwrong == 0, "%ld of %ld differ", nwrong, nchecked);
}

TEST(rounding_boundaries)
{
	/* the doubles nearest D.5 10^k for nine-digit D, exact ties among
	 * them where they are representable, and their neighbours */
	nwrong = 0;
	for (int i = 0; i < 300000; i++) {
		char s[48];
		uint64_t D = 100000000 + next() % 900000000;
		int k = (int)(next() % 80) - 45;
		snprintf(s, sizeof s, "%llu5e%d", (unsigned long long)D, k);
		check(strtod(s, NULL), 2);
	}
	/* exact ties: a 9-digit D plus one half, times powers of two */
	for (int i = 0; i < 100000; i++) {
		double t = (double)(100000000 + next() % 900000000) + 0.5;
		check(ldexp(t, (int)(next() % 60) - 30), 0);
	}
	CHECK(nwrong == 0, "%ld of %ld differ", nwrong, nchecked);
}

TEST(random_doubles_and_floats)
{
	nwrong = 0;
	for (int i = 0; i < 500000; i++) {
		check(from_bits(next()), 0);                    /* every exponent */
		uint32_t fb = (uint32_t)next();
		float f;
		memcpy(&f, &fb, sizeof f);
		check((double)f, 0);                            /* the conf column */
		check((double)(next() >> 11) * 0x1p-53 * 20, 0); /* scores in [0, 20) */
	}
	CHECK(nwrong == 0, "%ld of %ld differ", nwrong, nchecked);
}

/* v against snprintf's %lld */
static void
check_lld(long long v)
{
	char a[WN_LLD_MAX], b[WN_LLD_MAX];
	int na = wn_fmt_lld(a, v), nb = snprintf(b, sizeof b, "%lld", v);

	nchecked++;
	if ((na != nb || strcmp(a, b) != 0) && nwrong++ < 10)
		CHECK(0, "%lld: \"%s\", printf \"%s\"", v, a, b);
}

TEST(integers)
{
	nwrong = 0;
	long long sp[] = { 0, 1, -1, 9, 10, -10, 99, 100, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1,
	                   LLONG_MAX - 1, 999999999999999999, 1000000000000000000 };
	for (size_t i = 0; i < sizeof sp / sizeof *sp; i++)
		check_lld(sp[i]);
	/* every power of ten and its neighbours, of both signs */
	for (long long p = 1; p <= LLONG_MAX / 10; p *= 10)
		for (long long d = -1; d <= 1; d++) {
			check_lld(p + d);
			check_lld(-(p + d));
		}
	for (int i = 0; i < 300000; i++) {
		check_lld((long long)next());                   /* every width */
		check_lld((long long)(next() >> (next() % 64)));
	}
	CHECK(nwrong == 0, "%ld of %ld differ", nwrong, nchecked);
}

int
main(void)
{
	RUN(special_values);
	RUN(powers);
	RUN(rounding_boundaries);
	RUN(random_doubles_and_floats);
	RUN(integers);
	printf("# %ld values against snprintf\n", nchecked);
	return unit_done();
}
