/*
 * unit.h - a tiny TAP producer for the C unit tests.
 *
 *     TEST(npy_roundtrip) { ... CHECK(x == y, "x=%d", x); ... }
 *     int main(void) { RUN(npy_roundtrip); return unit_done(); }
 *
 * Each TEST prints one "ok N - name" or "not ok N - name" line (TAP), with
 * the failed CHECKs as "# " comments; tests/run.sh counts those lines.
 */
#ifndef WN_UNIT_H
#define WN_UNIT_H

#include <math.h>
#include <stdio.h>

static int unit_n, unit_failed, unit_cur_failed;

#define TEST(name) static void test_##name(void)
#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		unit_cur_failed = 1; \
		printf("# %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} } while (0)
/* |a - b| <= tol * max(1, |b|) */
#define CHECK_NEAR(a, b, tol) do { \
	double a_ = (a), b_ = (b); \
	CHECK(fabs(a_ - b_) <= (tol) * fmax(1.0, fabs(b_)), \
	      "%s = %.10g, %s = %.10g, tol %g", #a, a_, #b, b_, (double)(tol)); \
	} while (0)
#define RUN(name) do { \
	unit_cur_failed = 0; \
	test_##name(); \
	unit_n++; \
	if (unit_cur_failed) unit_failed++; \
	printf("%s %d - %s\n", unit_cur_failed ? "not ok" : "ok", unit_n, #name); \
	fflush(stdout); \
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed != 0;
}

#endif
