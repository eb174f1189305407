/*
 * fmt.c - %.9g without printf (fmt.h).
 *
 * printf rounds the exact binary value of a double to nine significant
 * digits, ties to even (glibc is exact).  Here a = m 2^e (m < 2^53) is
 * multiplied by 10^q, q = 8 - floor(log10 a), held as a 128-bit P 2^p
 * (P rounded down: a relative error under 2^-127).  The 192-bit product
 * m P gives the integer part N of a 10^q, in [10^8, 2 10^9), and the
 * top 64 bits f of its fraction with an error of at most a few units of
 * 2^-64; rounding N + f to an integer is then certain unless f is within
 * that error of one half, and those values (ties among them) go to
 * snprintf.  An f near 0 or 1 needs no care: N may be off by one there,
 * but N + f rounds to the same integer either way.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

__extension__ typedef unsigned __int128 u128;

enum {
	QMIN = -22, QMAX = 38,  /* 10^38 < 2^127: positive powers exact */
	BMIN = -96, BMAX = 96,  /* binary exponents of the fast path */
	SLACK = 8               /* units of 2^-64 around one half sent to snprintf */
};

static struct { u128 P; int p; } pow10_tab[QMAX - QMIN + 1];
static pthread_once_t pow10_once = PTHREAD_ONCE_INIT;

/* 10^q as P 2^p, 2^127 <= P < 2^128, P = floor(10^q 2^-p). */
static void
pow10_init(void)
{
	for (int q = QMIN; q <= QMAX; q++) {
		u128 P = 1, D = 1;
		int p = 0;
		if (q >= 0) {
			for (int i = 0; i < q; i++)
				P *= 10;
			while (!(P >> 127)) {
				P <<= 1;
				p--;
			}
		} else {
			for (int i = 0; i < -q; i++)
				D *= 10;
			/* 2^z in [D, 2D): the quotient's first bit is 1 */
			int z = 0;
			while (((u128)1 << z) < D)
				z++;
			u128 r = ((u128)1 << z) - D;
			P = 1;
			for (int i = 0; i < 127; i++) {
				r <<= 1;
				P <<= 1;
				if (r >= D) {
					r -= D;
					P |= 1;
				}
			}
			p = -(127 + z);
		}
		pow10_tab[q - QMIN].P = P;
		pow10_tab[q - QMIN].p = p;
	}
}

/* a 10^q = m 2^e 10^q as N + f 2^-64; 0, or -1 when off the table. */
static int
scale(uint64_t m, int e, int q, uint64_t *N, uint64_t *f)
{
	if (q < QMIN || q > QMAX)
		return -1;
	u128 P = pow10_tab[q - QMIN].P;
	int u = -(e + pow10_tab[q - QMIN].p) - 128;    /* the point sits at bit 128 + u */
	if (u < 1 || u > 63)
		return -1;
	u128 lo = (u128)m * (uint64_t)P, hi = (u128)m * (uint64_t)(P >> 64);
	u128 mid = hi + (lo >> 64);                 /* bits 64.. of m P */
	uint64_t t2 = (uint64_t)(mid >> 64), t1 = (uint64_t)mid;
	*N = t2 >> u;
	*f = t2 << (64 - u) | t1 >> u;
	return 0;
}

static char *
put_digits(char *s, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		s[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return s + n;
}

int
wn_fmt_g9(char buf[WN_G9_MAX], double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	int neg = (int)(bits >> 63), be = (int)(bits >> 52 & 0x7ff);
	char *s = buf;
	if ((bits << 1) == 0) {         /* 0 and -0 */
		if (neg)
			*s++ = '-';
		*s++ = '0';
		*s = '\0';
		return (int)(s - buf);
	}
	int b = be - 1023;              /* a in [2^b, 2^(b+1)) for normal a */
	if (be == 0 || be == 0x7ff || b < BMIN || b > BMAX)
		return snprintf(buf, WN_G9_MAX, "%.9g", v);
	pthread_once(&pow10_once, pow10_init);
	uint64_t m = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52, N, f;
	int e = b - 52;
	/* floor(b log10 2) (Ryu's 78913 / 2^18, exact for |b| < 1650):
	 * 10^X <= a < 2 10^(X+1), so a 10^(8-X) is in [10^8, 2 10^9) */
	int X = (b * 78913) >> 18;
	if (scale(m, e, 8 - X, &N, &f) != 0)
		return snprintf(buf, WN_G9_MAX, "%.9g", v);
	if (N >= 1000000000) {
		X++;
		if (scale(m, e, 8 - X, &N, &f) != 0)
			return snprintf(buf, WN_G9_MAX, "%.9g", v);
	}
	uint64_t half = (uint64_t)1 << 63;
	if (f - (half - SLACK) <= 2 * SLACK)   /* within SLACK of one half */
		return snprintf(buf, WN_G9_MAX, "%.9g", v);
	uint32_t R = (uint32_t)(N + (f > half));
	if (R >= 1000000000) {          /* 999999999.5 and up: one digit more */
		R /= 10;
		X++;
	}
	/* R has nine digits; drop the trailing zeros (%g without #) */
	int nd = 9;
	while (R % 10 == 0) {
		R /= 10;
		nd--;
	}
	if (neg)
		*s++ = '-';
	if (X < -4 || X >= 9) {         /* d.ddde+XX */
		uint32_t p10 = 1;
		for (int i = 1; i < nd; i++)
			p10 *= 10;
		*s++ = (char)('0' + R / p10);
		if (nd > 1) {
			*s++ = '.';
			s = put_digits(s, R % p10, nd - 1);
		}
		*s++ = 'e';
		*s++ = X < 0 ? '-' : '+';
		int ax = X < 0 ? -X : X;
		s = put_digits(s, (uint32_t)ax, ax >= 100 ? 3 : 2);
	} else if (X < 0) {             /* 0.000ddd */
		*s++ = '0';
		*s++ = '.';
		for (int i = 0; i < -X - 1; i++)
			*s++ = '0';
		s = put_digits(s, R, nd);
	} else if (nd <= X + 1) {       /* an integer: ddd000 */
		s = put_digits(s, R, nd);
		for (int i = nd; i < X + 1; i++)
			*s++ = '0';
	} else {                        /* ddd.ddd */
		uint32_t p10 = 1;
		for (int i = 0; i < nd - X - 1; i++)
			p10 *= 10;
		s = put_digits(s, R / p10, X + 1);
		*s++ = '.';
		s = put_digits(s, R % p10, nd - X - 1);
	}
	*s = '\0';
	return (int)(s - buf);
}

int
wn_fmt_lld(char buf[WN_LLD_MAX], long long v)
{
	/* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	char digits[WN_LLD_MAX];
	int n = 0, len = 0;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return len;
}
