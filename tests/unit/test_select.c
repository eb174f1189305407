/*
 * test_select.c - lib/select.c against slow, obvious implementations and
 * hand-computed cases.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "select_int.h"
#include "unit.h"

/* A small deterministic generator for test data (not for selection). */
static uint64_t rng = 88172645463325252ULL;
static uint64_t
xs(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static double
ur(void)
{
	return (double)(xs() >> 11) * 0x1p-53;
}

/* The CCS allocation as the paper writes it: repeatedly take the
 * smallest stratum left (first by index on ties), give it
 * min(size, floor(budget_left / strata_left)). */
static void
slow_ccs(const long long *size, size_t n, long long budget, long long *out)
{
	int *done = calloc(n, sizeof *done);
	for (size_t left = n; left > 0; left--) {
		size_t b = n;
		for (size_t i = 0; i < n; i++)
			if (!done[i] && (b == n || size[i] < size[b]))
				b = i;
		long long a = budget / (long long)left;
		out[b] = a < size[b] ? a : size[b];
		budget -= out[b];
		done[b] = 1;
	}
	free(done);
}

TEST(ccs_alloc_hand)
{
	long long size[] = { 2, 10, 10, 5 }, out[4];
	/* order 2,5,10,10: 20/4=5 -> 2; 18/3=6 -> 5; 13/2=6 -> 6; 7/1 -> 7 */
	sel_ccs_alloc(size, 4, 20, out);
	CHECK(out[0] == 2 && out[1] == 6 && out[2] == 7 && out[3] == 5,
	    "%lld %lld %lld %lld", out[0], out[1], out[2], out[3]);
	/* budget larger than the data: everything */
	sel_ccs_alloc(size, 4, 100, out);
	CHECK(out[0] == 2 && out[1] == 10 && out[2] == 10 && out[3] == 5, "all");
	long long z[] = { 0, 3, 0 }, oz[3];
	sel_ccs_alloc(z, 3, 2, oz);
	CHECK(oz[0] == 0 && oz[1] == 2 && oz[2] == 0, "%lld %lld %lld", oz[0], oz[1], oz[2]);
}

TEST(ccs_alloc_vs_slow)
{
	for (int t = 0; t < 2000; t++) {
		size_t n = 1 + xs() % 12;
		long long size[12], a[12], b[12], sum = 0;
		for (size_t i = 0; i < n; i++) {
			size[i] = (long long)(xs() % (t % 3 ? 40 : 4));
			sum += size[i];
		}
		long long budget = sum ? (long long)(xs() % (unsigned long long)(sum + 1)) : 0;
		sel_ccs_alloc(size, n, budget, a);
		slow_ccs(size, n, budget, b);
		long long tot = 0;
		int same = 1;
		for (size_t i = 0; i < n; i++) {
			same &= a[i] == b[i] && a[i] >= 0 && a[i] <= size[i];
			tot += a[i];
		}
		CHECK(same, "case %d differs from the slow allocation", t);
		CHECK(tot == budget, "case %d: allocated %lld of %lld", t, tot, budget);
		if (!same || tot != budget)
			return;
	}
}

TEST(prop_alloc_hand)
{
	long long size[] = { 5, 3, 2 }, out[3];
	uint64_t tie[] = { 9, 3, 1 };
	/* quotas 2.5 1.5 1: floors 2 1 1, one left; remainders tie 0.5/0.5,
	 * class 1 has the smaller tie hash */
	sel_prop_alloc(size, 3, 5, tie, out);
	CHECK(out[0] == 2 && out[1] == 2 && out[2] == 1, "%lld %lld %lld", out[0], out[1], out[2]);
	tie[1] = 10;
	sel_prop_alloc(size, 3, 5, tie, out);
	CHECK(out[0] == 3 && out[1] == 1 && out[2] == 1, "%lld %lld %lld", out[0], out[1], out[2]);
}

TEST(prop_alloc_vs_slow)
{
	for (int t = 0; t < 2000; t++) {
		size_t n = 1 + xs() % 10;
		long long size[10], out[10], sum = 0;
		uint64_t tie[10];
		for (size_t i = 0; i < n; i++) {
			size[i] = (long long)(xs() % 50);
			tie[i] = xs();
			sum += size[i];
		}
		long long budget = sum ? (long long)(xs() % (unsigned long long)(sum + 1)) : 0;
		sel_prop_alloc(size, n, budget, tie, out);
		long long tot = 0;
		int ok = 1;
		for (size_t i = 0; i < n; i++) {
			/* slow: the quota as a fraction, floor or floor+1 */
			long long fl = sum ? budget * size[i] / sum : 0;
			ok &= out[i] == fl || out[i] == fl + 1;
			ok &= out[i] <= size[i];
			tot += out[i];
		}
		/* largest remainders: a class given +1 has a remainder >= every
		 * class not given one */
		for (size_t i = 0; i < n && sum; i++)
			for (size_t j = 0; j < n; j++) {
				long long ri = budget * size[i] % sum, rj = budget * size[j] % sum;
				int pi = out[i] > budget * size[i] / sum;
				int pj = out[j] > budget * size[j] / sum;
				if (pi && !pj)
					ok &= ri > rj || (ri == rj && tie[i] <= tie[j]);
			}
		CHECK(ok, "case %d: not a largest-remainder allocation", t);
		CHECK(tot == budget, "case %d: allocated %lld of %lld", t, tot, budget);
		if (!ok || tot != budget)
			return;
	}
}

/* sum_i min(1, c w_i), summed naively */
static double
sum_pi(const double *w, size_t n, double c)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += fmin(1, c * w[i]);
	return s;
}

/* The obvious way: bisection on c itself. */
static double
slow_c(const double *w, size_t n, double budget)
{
	double lo = 0, hi = 1;
	while (sum_pi(w, n, hi) < budget)
		hi *= 2;
	for (int it = 0; it < 200; it++) {
		double mid = 0.5 * (lo + hi);
		if (sum_pi(w, n, mid) < budget)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

static int
desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

/*
 * The slow, obvious solver, with every weight in memory: lw[i] = log w_i
 * sorted in decreasing order (-inf for w_i = 0); log c with
 * sum min(1, c w_i) = budget: the smallest m with (budget - m) w_m <= S_m
 * (S_m = sum of w_m and the smaller ones, log-sum-exp from the smallest
 * up), then c = (budget - m) / S_m.  +inf when budget = #(w > 0), NAN
 * when larger.  (winnow-select solved it so, holding every row's key.)
 */
static double
slow_logc(const double *lw, size_t n, double budget)
{
	size_t npos = 0;
	while (npos < n && lw[npos] > -INFINITY)
		npos++;
	if (!(budget <= (double)npos))
		return NAN;
	if (budget == (double)npos)
		return INFINITY;
	double *L = malloc((npos + 1) * sizeof *L);
	L[npos] = -INFINITY;
	for (size_t i = npos; i-- > 0;)
		L[i] = lw[i] + log1p(exp(L[i + 1] - lw[i]));
	size_t m = 0;
	while (m + 1 < (size_t)ceil(budget) && m + 1 < npos &&
	    !(log(budget - (double)m) + lw[m] <= L[m]))
		m++;
	double logc = log(budget - (double)m) - L[m];
	free(L);
	return logc;
}

/* The bounded summary of lw[0..n) in the order given, split into `shards`
 * consecutive parts merged in reverse order; cap >= 0 a fixed capacity,
 * else -f frac over the n rows.  *rc as sel_bsum_solve. */
static double
bounded_logc(const double *lw, size_t n, double budget, long long cap, double frac,
             int shards, int *rc)
{
	struct sel_bsum b[8];
	double logc = NAN;

	for (int s = 0; s < shards; s++) {
		b[s] = (struct sel_bsum){ .fixed = cap, .frac = frac, .horizon = -INFINITY };
		size_t lo = n * (size_t)s / (size_t)shards, hi = n * (size_t)(s + 1) / (size_t)shards;
		for (size_t i = lo; i < hi; i++)
			sel_bsum_add(&b[s], lw[i], (long long)(i - lo + 1));
	}
	long long rows = (long long)(n * (size_t)(shards - 1) / (size_t)shards);
	for (int s = shards - 1; s-- > 0;) {
		rows += (long long)(n * (size_t)(s + 1) / (size_t)shards - n * (size_t)s / (size_t)shards);
		sel_bsum_merge(&b[shards - 1], &b[s], rows);
		sel_bsum_free(&b[s]);
	}
	*rc = sel_bsum_solve(&b[shards - 1], budget, &logc);
	sel_bsum_free(&b[shards - 1]);
	return logc;
}

/* w = 4 2 1 1 (and 3 1 0 0) by hand. */
TEST(biased_c_hand)
{
	double w[] = { log(4), log(2), 0, 0 }, z[] = { log(3), 0, -INFINITY, -INFINITY };
	int rc;
	/* budget 2: unsaturated c = 2/8 = 0.25, pi = 1 .5 .25 .25 */
	CHECK_NEAR(exp(bounded_logc(w, 4, 2, 2, 0, 1, &rc)), 0.25, 1e-15);
	/* budget 3: c = 0.375 gives 1.5 for w=4: saturate it, c = 2/4 = 0.5,
	 * pi = 1 1 .5 .5 (w=2 exactly at 1) */
	CHECK_NEAR(exp(bounded_logc(w, 4, 3, 3, 0, 2, &rc)), 0.5, 1e-15);
	CHECK(bounded_logc(w, 4, 4, 4, 0, 1, &rc) == INFINITY && rc == 0, "budget = #positive");
	bounded_logc(w, 4, 4.5, 5, 0, 1, &rc);
	CHECK(rc == -1, "budget > #positive: %d", rc);
	CHECK(bounded_logc(w, 4, 0, 0, 0, 1, &rc) == -INFINITY && rc == 0, "budget 0");
	CHECK_NEAR(exp(bounded_logc(z, 4, 1, 1, 0, 1, &rc)), 0.25, 1e-15);
	/* the weights no double holds: lw = 1000, 0, 0 */
	double big[] = { 1000, 0, 0, -INFINITY };
	CHECK_NEAR(bounded_logc(big, 4, 2, 2, 0, 1, &rc), log(0.5), 1e-15);
	CHECK(bounded_logc(big, 4, 3, 3, 0, 1, &rc) == INFINITY, "budget = #positive");
}

/* The largest difference in pi = min(1, c w) between two log c: what the
 * draw sees.  (Where a row is a hair from saturating, log c itself is
 * ill-conditioned: with budget 15 + 2e-15 and weights e^13000 apart, c
 * can be 1/w_14 or 2e-15/w_15 as rounding goes, and pi the same.) */
static double
max_dpi(const double *lw, size_t n, double la, double lb)
{
	double d = 0;
	for (size_t i = 0; i < n; i++) {
		double a = la == INFINITY ? (lw[i] > -INFINITY) : fmin(1, exp(la + lw[i]));
		double b = lb == INFINITY ? (lw[i] > -INFINITY) : fmin(1, exp(lb + lw[i]));
		d = fmax(d, fabs(a - b));
	}
	return isnan(la) != isnan(lb) ? 1 : d;
}

static void
shuffle(double *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = xs() % i;
		double t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* The bounded summary against the slow solver, on random and adversarial
 * weights, in any order and split: a count budget (capacity ceil(budget))
 * always solves, and to the same bits whatever the order and split; -f
 * solves unless it lacks a weight, and then to the same bits as well. */
TEST(biased_bounded_vs_slow)
{
	int lacked = 0;
	for (int t = 0; t < 1500; t++) {
		/* past 1024 rows -f pushes weights out */
		size_t n = 1 + xs() % (t % 10 == 9 ? 8000 : 600);
		double *lw = malloc(n * sizeof *lw), *sorted = malloc(n * sizeof *sorted);
		size_t npos = 0;
		int kind = t % 8;
		for (size_t i = 0; i < n; i++) {
			double u = ur();
			switch (kind) {
			case 0: lw[i] = log(u); break;                      /* uniform */
			case 1: lw[i] = -2 * log(u); break;                 /* heavy tail */
			case 2: lw[i] = xs() % 3 ? 2 * log(u) : -INFINITY; break; /* zeros */
			case 3: lw[i] = log(1 + (double)(xs() % 3)); break; /* ties */
			case 4: lw[i] = 1e5 * log(u); break;                /* huge alpha */
			case 5: lw[i] = -1e5 * log(u); break;               /* huge -alpha */
			case 6: lw[i] = 60 * log(u); break;                 /* many capped */
			default: lw[i] = xs() % 2 ? 0 : -INFINITY; break;   /* ties, zeros */
			}
			npos += lw[i] > -INFINITY;
		}
		memcpy(sorted, lw, n * sizeof *lw);
		qsort(sorted, n, sizeof *sorted, desc);
		if (npos == 0) {
			free(lw);
			free(sorted);
			continue;
		}
		double budget = ur() * (double)npos * (kind == 6 ? 1 : 0.999);
		if (t % 5 == 0)
			budget = floor(budget);
		double want = slow_logc(sorted, n, budget);
		long long cap = (long long)ceil(budget);
		int rc, rc2;
		double got = bounded_logc(lw, n, budget, cap, 0, 1, &rc);
		CHECK(rc == 0, "case %d: count budget failed (%d)", t, rc);
		CHECK(max_dpi(lw, n, got, want) <= 1e-9, "case %d (kind %d): log c %.17g, "
		    "slow %.17g", t, kind, got, want);
		/* sum pi = budget, in doubles where they hold the weights */
		if (kind != 4 && kind != 5 && isfinite(got)) {
			double s = 0;
			for (size_t i = 0; i < n; i++)
				s += fmin(1, exp(got + lw[i]));
			CHECK(fabs(s - budget) <= 1e-9 * fmax(1, budget), "case %d: sum pi %.17g, "
			    "budget %.17g", t, s, budget);
			/* and the most obvious way, bisection on c itself */
			double *w = malloc(n * sizeof *w);
			for (size_t i = 0; i < n; i++)
				w[i] = exp(lw[i]);
			if (budget > 0) {
				double c = slow_c(w, n, budget);
				CHECK(fabs(exp(got) - c) <= 1e-9 * c, "case %d: c %.17g, bisection %.17g",
				    t, exp(got), c);
			}
			free(w);
		}
		/* another order, another split: the same bits */
		shuffle(lw, n);
		double again = bounded_logc(lw, n, budget, cap, 0, 1 + (int)(xs() % 8), &rc2);
		CHECK(rc2 == 0 && memcmp(&again, &got, sizeof got) == 0,
		    "case %d: %.17g, then %.17g shuffled and sharded", t, got, again);
		/* -f: budget = frac * n */
		double frac = budget / (double)n;
		double f1 = bounded_logc(lw, n, frac * (double)n, -1, frac, 1, &rc);
		if (rc == 1) {
			lacked++;
		} else {
			double fw = slow_logc(sorted, n, frac * (double)n);
			CHECK(rc == 0 && max_dpi(lw, n, f1, fw) <= 1e-9, "case %d: -f log c %.17g, "
			    "slow %.17g", t, f1, fw);
			shuffle(lw, n);
			double f2 = bounded_logc(lw, n, frac * (double)n, -1, frac, 1 + (int)(xs() % 8), &rc2);
			CHECK(rc2 == 1 || memcmp(&f1, &f2, sizeof f1) == 0,
			    "case %d: -f %.17g, then %.17g", t, f1, f2);
		}
		free(lw);
		free(sorted);
	}
	printf("# -f lacked a weight in %d of 1500 cases (said so: rc 1)\n", lacked);
}

/* -f lacks a weight when the first rows hold far more than their share of
 * the saturated ones: say so (rc 1), never a wrong c; with the row count
 * known (a fixed capacity) it solves. */
TEST(biased_lacking)
{
	enum { N = 20000 };
	double *lw = malloc(N * sizeof *lw);
	for (size_t i = 0; i < N; i++)
		lw[i] = -50 * log((double)(i + 1));     /* decreasing, steep */
	int rc;
	double budget = 0.4 * N;
	bounded_logc(lw, N, budget, -1, 0.4, 1, &rc);
	CHECK(rc == 1, "lacking: rc %d", rc);
	double got = bounded_logc(lw, N, budget, (long long)ceil(budget), 0, 1, &rc);
	CHECK(rc == 0, "fixed capacity: rc %d", rc);
	CHECK_NEAR(got, slow_logc(lw, N, budget), 1e-12 * fabs(got));
	/* the same rows in increasing order: -f sees them all in time */
	for (size_t i = 0; i < N / 2; i++) {
		double x = lw[i];
		lw[i] = lw[N - 1 - i];
		lw[N - 1 - i] = x;
	}
	double inc = bounded_logc(lw, N, budget, -1, 0.4, 1, &rc);
	CHECK(rc == 0 && memcmp(&inc, &got, sizeof got) == 0, "increasing: rc %d, %.17g vs %.17g",
	    rc, inc, got);
	free(lw);
}

TEST(budget_count)
{
	CHECK(sel_budget_count(0.1, 1000) == 100, "0.1*1000");
	CHECK(sel_budget_count(0.5, 3) == 2, "round half up");
	CHECK(sel_budget_count(0.25, 2) == 1, "0.5 -> 1");
	CHECK(sel_budget_count(0.1, 4) == 0, "0.4 -> 0");
	CHECK(sel_budget_count(1, 7) == 7, "all");
}

TEST(parse_score)
{
	struct wn_err e;
	double v;
	CHECK(sel_parse_score("1.5e-3", "f:2", &v, &e) == 0 && v == 1.5e-3, "number");
	CHECK(sel_parse_score("abc", "f:2", &v, &e) < 0 && e.code == 65 &&
	    strstr(e.msg, "f:2: score \"abc\" is not a number"), "%s", e.msg);
	CHECK(sel_parse_score("nan", "f:3", &v, &e) < 0 && strstr(e.msg, "not a finite"), "%s", e.msg);
	CHECK(sel_parse_score("-inf", "f:3", &v, &e) < 0, "inf");
	CHECK(sel_parse_score("", "f:3", &v, &e) < 0, "empty");
	CHECK(sel_parse_score(" 1", "f:3", &v, &e) < 0, "space");
	CHECK(sel_parse_score("1x", "f:3", &v, &e) < 0, "trailing");
}

/* ---- plans: sharded == unsharded, exact budgets ---- */

enum { NROWS = 3000 };
static char ids[NROWS][16];
static char scores[NROWS][32];
static char classes[NROWS][8];

static void
make_rows(void)
{
	for (int i = 0; i < NROWS; i++) {
		snprintf(ids[i], sizeof ids[i], "s%05d", i);
		/* coarse scores so that ties happen */
		snprintf(scores[i], sizeof scores[i], "%.3g", (double)(xs() % 500) / 100 + 0.01);
		snprintf(classes[i], sizeof classes[i], "c%d", (int)(xs() % 7 ? xs() % 5 : 5));
	}
}

/* Row i of the synthetic data into plan p; 0, or -1 with the message
 * printed. */
static int
add_row(struct sel_plan *p, int i)
{
	struct wn_err e;
	struct sel_key k;
	uint32_t c;
	if (sel_row_key(p, ids[i], strlen(ids[i]), scores[i], classes[i], 1,
	    "t", 1, &k, &c, &e) < 0 || sel_plan_add(p, &k, c, &e) < 0) {
		printf("# %s\n", e.msg);
		return -1;
	}
	return 0;
}

static struct sel_plan *
plan_of(const struct sel_opts *o, int from, int to)
{
	struct wn_err e;
	struct sel_plan *p = sel_plan_new(o, &e);
	for (int i = from; i < to; i++)
		if (add_row(p, i) < 0) {
			sel_plan_free(p);
			return NULL;
		}
	return p;
}

/* Write and read back through a temporary file. */
static struct sel_plan *
roundtrip(struct sel_plan *p)
{
	struct wn_err e;
	FILE *f = tmpfile();
	if (sel_plan_write(p, f, "tmp", &e) < 0)
		return NULL;
	rewind(f);
	struct sel_plan *q = sel_plan_read(f, "tmp", &e);
	if (q == NULL)
		printf("# read: %s\n", e.msg);
	fclose(f);
	sel_plan_free(p);
	return q;
}

/* Decide every row with plan p but every every-th (none when 0: those
 * are the plan's prior rows); kept[i], weights w[i], strata st[i]
 * (stratified: -2 once the stratum is checked to be the row's class). */
static int
decide_rows(struct sel_plan *p, int every, int *kept, double *w, long *st, long long *nkept)
{
	struct wn_err e;
	struct sel_decide *d = sel_resolve(p, &e);
	if (d == NULL) {
		printf("# resolve: %s\n", e.msg);
		return -1;
	}
	*nkept = 0;
	for (int i = 0; i < NROWS; i++) {
		struct sel_key k;
		uint32_t c;
		kept[i] = 0;
		if (every > 0 && i % every == 0)
			continue;
		if (sel_row_key(p, ids[i], strlen(ids[i]), scores[i], classes[i], 0,
		    "t", 1, &k, &c, &e) < 0) {
			printf("# key: %s\n", e.msg);
			sel_decide_free(d);
			return -1;
		}
		kept[i] = sel_decide_row(d, &k, c, &w[i], &st[i]);
		*nkept += kept[i];
		/* a class index depends on the order classes were seen: compare names */
		if (kept[i] && sel_plan_opts(p)->scheme == SEL_STRATIFIED) {
			if (strcmp(sel_class_name(p, (uint32_t)st[i]), classes[i]) != 0) {
				printf("# row %d: stratum %s, class %s\n", i,
				    sel_class_name(p, (uint32_t)st[i]), classes[i]);
				sel_decide_free(d);
				return -1;
			}
			st[i] = -2;
		}
	}
	sel_decide_free(d);
	return 0;
}

static int
decide_all(struct sel_plan *p, int *kept, double *w, long *st, long long *nkept)
{
	return decide_rows(p, 0, kept, w, st, nkept);
}

static int kept1[NROWS], kept2[NROWS];
static double w1[NROWS], w2[NROWS];
static long st1[NROWS], st2[NROWS];

static void
check_sharded(const char *what, const struct sel_opts *o, long long want)
{
	struct sel_plan *whole = plan_of(o, 0, NROWS);
	/* three uneven shards, merged in a shuffled order, via files */
	struct sel_plan *a = roundtrip(plan_of(o, 0, 400));
	struct sel_plan *b = roundtrip(plan_of(o, 400, 2500));
	struct sel_plan *c = roundtrip(plan_of(o, 2500, NROWS));
	struct wn_err e;
	long long n1 = 0, n2 = 0;
	int ok = whole && a && b && c && sel_plan_merge(c, a, &e) == 0 &&
	    sel_plan_merge(c, b, &e) == 0;
	if (ok)
		c = roundtrip(c);
	ok = ok && c && decide_all(whole, kept1, w1, st1, &n1) == 0 &&
	    decide_all(c, kept2, w2, st2, &n2) == 0;
	CHECK(ok, "%s: plans failed", what);
	int same = ok;
	for (int i = 0; ok && i < NROWS; i++)
		same &= kept1[i] == kept2[i] && (!kept1[i] || (w1[i] == w2[i] && st1[i] == st2[i]));
	CHECK(same, "%s: sharded decisions differ", what);
	if (want >= 0)
		CHECK(n1 == want, "%s: kept %lld, budget %lld", what, n1, want);
	sel_plan_free(whole);
	sel_plan_free(a);
	sel_plan_free(b);
	sel_plan_free(c);
}

TEST(sharded_equals_unsharded)
{
	struct sel_opts o;
	const int sch[] = { SEL_RANDOM, SEL_TOP, SEL_BOTTOM, SEL_STRATIFIED, SEL_CCS, SEL_BIASED };
	for (size_t s = 0; s < sizeof sch / sizeof *sch; s++)
		for (int bc = 0; bc < 2; bc++) {
			char what[64];
			sel_opts_default(&o);
			o.scheme = sch[s];
			o.seed = 7 + s;
			o.by_count = bc;
			o.count = 250;
			o.fraction = 0.123;
			o.cutoff = 0.1;
			o.strata = 9;
			o.by = "class";
			o.reweight = bc;
			snprintf(what, sizeof what, "%s %s", sel_scheme_names[sch[s]],
			    bc ? "-n" : "-f");
			check_sharded(what, &o, sch[s] == SEL_BIASED ? -1 :
			    bc ? 250 : sel_budget_count(0.123, NROWS));
		}
	sel_opts_default(&o);
	o.scheme = SEL_STRATIFIED;
	o.by = "class";
	o.by_count = 1;
	o.count = 600;
	o.balanced = 1;
	o.within = SEL_TOP;
	check_sharded("stratified balanced top", &o, 600);
	o.within = SEL_BOTTOM;
	o.balanced = 0;
	check_sharded("stratified bottom", &o, 600);
	sel_opts_default(&o);
	o.scheme = SEL_THRESHOLD;
	o.tmin = 2.5;
	check_sharded("threshold", &o, -1);
}

/* top: the kept set is exactly the k best (s desc, h asc), checked by
 * brute force. */
TEST(top_exact)
{
	struct sel_opts o;
	sel_opts_default(&o);
	o.scheme = SEL_TOP;
	o.by_count = 1;
	o.count = 100;
	o.seed = 3;
	struct sel_plan *p = plan_of(&o, 0, NROWS);
	long long n;
	if (decide_all(p, kept1, w1, st1, &n) < 0)
		return;
	int bad = 0;
	for (int i = 0; i < NROWS; i++) {
		double si = atof(scores[i]);
		uint64_t hi = wn_hash64(3, WN_STREAM_SELECT, ids[i], strlen(ids[i]));
		int better = 0;
		for (int j = 0; j < NROWS; j++) {
			double sj = atof(scores[j]);
			uint64_t hj = wn_hash64(3, WN_STREAM_SELECT, ids[j], strlen(ids[j]));
			better += sj > si || (sj == si && hj < hi);
		}
		bad += kept1[i] != (better < 100);
	}
	CHECK(bad == 0 && n == 100, "%d rows decided wrong, %lld kept", bad, n);
	sel_plan_free(p);
}

/* ccs strata counts on a hand-computed case. */
TEST(ccs_hand)
{
	struct sel_opts o;
	sel_opts_default(&o);
	o.scheme = SEL_CCS;
	o.by_count = 1;
	o.count = 12;
	o.cutoff = 0.25;   /* N = 20: drop the 5 hardest */
	o.strata = 3;
	struct wn_err e;
	struct sel_plan *p = sel_plan_new(&o, &e);
	/* scores: 0 x4, 1 x1, 5 x2, 9 x8 (kept range 0..9 after dropping
	 * 10 x5): strata width 3: [0,3) = 5 rows, [3,6) = 2, [6,9] = 8.
	 * allocation of 12: sizes 2,5,8: 12/3=4 -> 2; 10/2=5 -> 5; 5 -> 5 */
	const char *sc[20] = { "0", "0", "0", "0", "1", "5", "5", "9", "9", "9",
	    "9", "9", "9", "9", "9", "10", "10", "10", "10", "10" };
	char id[20][16];
	struct sel_key k[20];
	uint32_t c;
	for (int i = 0; i < 20; i++) {
		snprintf(id[i], sizeof id[i], "r%d", i);
		sel_row_key(p, id[i], strlen(id[i]), sc[i], NULL, 1, "t", 1, &k[i], &c, &e);
		sel_plan_add(p, &k[i], 0, &e);
	}
	struct sel_decide *d = sel_resolve(p, &e);
	if (d == NULL) {
		CHECK(0, "%s", e.msg);
		sel_plan_free(p);
		return;
	}
	long cnt[3] = { 0, 0, 0 }, dropped = 0;
	for (int i = 0; i < 20; i++) {
		double w;
		long st;
		if (sel_decide_row(d, &k[i], 0, &w, &st)) {
			CHECK(st >= 0 && st < 3, "stratum %ld", st);
			CHECK(strcmp(sc[i], "10") != 0, "row %d was to be dropped", i);
			cnt[st]++;
		} else if (strcmp(sc[i], "10") == 0) {
			dropped++;
		}
	}
	CHECK(cnt[0] == 5 && cnt[1] == 2 && cnt[2] == 5, "strata %ld %ld %ld", cnt[0], cnt[1], cnt[2]);
	CHECK(dropped == 5, "dropped %ld", dropped);
	sel_decide_free(d);
	sel_plan_free(p);
}

/* biased: over many seeds each row is kept with frequency pi_i, within 5
 * binomial standard deviations; sum pi_i = budget. */
TEST(biased_frequency)
{
	enum { N = 60, SEEDS = 4000 };
	struct sel_opts o;
	sel_opts_default(&o);
	o.scheme = SEL_BIASED;
	o.by_count = 1;
	o.count = 15;
	o.alpha = 1.5;
	o.reweight = 1;
	char sc[N][16], id[N][16];
	int hits[N] = { 0 };
	double pi[N];
	for (int i = 0; i < N; i++) {
		snprintf(id[i], sizeof id[i], "x%d", i);
		snprintf(sc[i], sizeof sc[i], "%g", i < 3 ? 50.0 : 0.1 + i * 0.05);
	}
	struct wn_err e;
	for (int s = 0; s < SEEDS; s++) {
		o.seed = (uint64_t)s;
		struct sel_plan *p = sel_plan_new(&o, &e);
		struct sel_key k[N];
		uint32_t kc;
		for (int i = 0; i < N; i++) {
			sel_row_key(p, id[i], strlen(id[i]), sc[i], NULL, 1, "t", 1, &k[i], &kc, &e);
			sel_plan_add(p, &k[i], 0, &e);
		}
		struct sel_decide *d = sel_resolve(p, &e);
		double c = exp(sel_decide_logc(d)), sum = 0;
		for (int i = 0; i < N; i++) {
			double w, sv = atof(sc[i]);
			long st;
			pi[i] = fmin(1, c * pow(sv, 1.5));
			sum += pi[i];
			if (sel_decide_row(d, &k[i], 0, &w, &st)) {
				hits[i]++;
				if (fabs(w - 1 / pi[i]) > 1e-12 * w)
					CHECK(0, "weight %g, 1/pi %g", w, 1 / pi[i]);
			}
		}
		if (s == 0)
			CHECK_NEAR(sum, 15, 1e-12);
		sel_decide_free(d);
		sel_plan_free(p);
	}
	int bad = 0;
	for (int i = 0; i < N; i++) {
		double sd = sqrt(SEEDS * pi[i] * (1 - pi[i]));
		double dev = fabs(hits[i] - SEEDS * pi[i]);
		if (dev > 5 * sd + 1e-9) {
			bad++;
			printf("# row %d: %d hits, expected %.1f +- %.1f\n", i, hits[i],
			    SEEDS * pi[i], sd);
		}
	}
	CHECK(bad == 0, "%d rows off", bad);
	CHECK(pi[0] == 1 && hits[0] == SEEDS, "saturated rows always kept");
}

TEST(mismatched_plans)
{
	struct sel_opts o;
	sel_opts_default(&o);
	o.scheme = SEL_TOP;
	o.by_count = 1;
	o.count = 5;
	struct wn_err e;
	struct sel_plan *a = sel_plan_new(&o, &e);
	o.seed = 9;
	struct sel_plan *b = sel_plan_new(&o, &e);
	CHECK(sel_plan_merge(a, b, &e) < 0 && e.code == 65 && strstr(e.msg, "seed"), "%s", e.msg);
	sel_plan_free(a);
	sel_plan_free(b);
	FILE *f = tmpfile();
	fputs("winnow-select-plan\t2\nscheme\tfoo\n", f);
	rewind(f);
	CHECK(sel_plan_read(f, "p", &e) == NULL && e.code == 65 &&
	    strstr(e.msg, "p:2: unknown scheme"), "%s", e.msg);
	fclose(f);
	/* version 1 held every biased row's key: refused, saying what to do */
	f = tmpfile();
	fputs("winnow-select-plan\t1\nscheme\tbiased\n", f);
	rewind(f);
	CHECK(sel_plan_read(f, "p", &e) == NULL && e.code == 65 &&
	    strstr(e.msg, "p:1: plan version 1, this program reads 2 (make the plans again"),
	    "%s", e.msg);
	fclose(f);
}

/* Regression: pi = min(1, c s^alpha) was computed with s^alpha itself,
 * which overflows for s = 1e200, alpha = 2 (and 1e-200, alpha = -2): the
 * one infinite weight took pi = 1 and every other row pi = 0, so sum pi
 * was 1, not the budget 2.  In logs: the huge row saturates and the rest
 * share the remaining 1 as s^2 / 14 (resp. s^-2 / (1 + 1/4 + 1/9)). */
TEST(biased_extreme_scores)
{
	static const struct { const char *big; double alpha, c; } t[] = {
		{ "1e200", 2, 1.0 / 14 },
		{ "1e-200", -2, 1.0 / (1 + 0.25 + 1.0 / 9) },
	};
	const char *ids[] = { "a", "b", "c", "d" };
	struct wn_err e;

	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		const char *sc[] = { t[k].big, "1", "2", "3" };
		struct sel_opts o;
		sel_opts_default(&o);
		o.scheme = SEL_BIASED;
		o.by_count = 1;
		o.count = 2;
		o.alpha = t[k].alpha;
		o.reweight = 1;
		struct sel_plan *p = sel_plan_new(&o, &e);
		struct sel_key key[4];
		uint32_t kc;
		for (int i = 0; i < 4; i++) {
			CHECK(sel_row_key(p, ids[i], 1, sc[i], NULL, 1, "t", i + 2, &key[i],
			    &kc, &e) == 0, "%s", e.msg);
			sel_plan_add(p, &key[i], 0, &e);
		}
		struct sel_decide *d = sel_resolve(p, &e);
		CHECK(d != NULL, "%s", e.msg);
		CHECK(fabs(exp(sel_decide_logc(d)) - t[k].c) <= 1e-13 * t[k].c, "case %zu: c %.17g, want %.17g",
		    k, exp(sel_decide_logc(d)), t[k].c);
		double sum = 1, w;
		long st;
		CHECK(sel_decide_row(d, &key[0], 0, &w, &st) == 1 && w == 1,
		    "case %zu: the huge row is saturated (weight %g)", k, w);
		for (int i = 1; i < 4; i++)
			sum += t[k].c * pow(atof(sc[i]), t[k].alpha);
		CHECK_NEAR(sum, 2, 1e-12);
		sel_decide_free(d);
		sel_plan_free(p);
	}
}

/* Rows kept before (--kept): a plan of every row where every 4th row is
 * prior, with -f 0.5 over all of them, decides the other rows exactly as
 * a plain plan of the other rows alone with -n (budget - prior rows). */
static struct sel_plan *
plan_prior(const struct sel_opts *o, int every)
{
	struct wn_err e;
	struct sel_plan *p = sel_plan_new(o, &e);
	for (int i = 0; i < NROWS; i++) {
		if (every > 0 && i % every == 0) {
			sel_plan_add_prior(p);
			continue;
		}
		if (add_row(p, i) < 0) {
			sel_plan_free(p);
			return NULL;
		}
	}
	return p;
}

/* Decide the rows that are not prior; -1 on failure, else how many kept. */
static long long
decide_others(struct sel_plan *p, int every, int *kept, double *w, long *st)
{
	long long n;
	return decide_rows(p, every, kept, w, st, &n) < 0 ? -1 : n;
}

TEST(prior_rows)
{
	const int sch[] = { SEL_RANDOM, SEL_TOP, SEL_BOTTOM, SEL_STRATIFIED, SEL_CCS, SEL_BIASED };
	const int every = 4, nprior = (NROWS + every - 1) / every;
	struct wn_err e;
	for (size_t s = 0; s < sizeof sch / sizeof *sch; s++) {
		struct sel_opts o, q;
		sel_opts_default(&o);
		o.scheme = sch[s];
		o.seed = 11 + s;
		o.by_count = 0;
		o.fraction = 0.5;
		o.cutoff = 0.1;
		o.strata = 9;
		o.by = "class";
		o.reweight = s % 2;
		q = o;
		q.by_count = 1;
		q.count = sel_budget_count(0.5, NROWS) - nprior;
		struct sel_plan *a = plan_prior(&o, every);
		/* b: a plan of the other rows only */
		struct sel_plan *b = sel_plan_new(&q, &e);
		for (int i = 0; b && i < NROWS; i++) {
			struct sel_key k;
			uint32_t c;
			if (i % every == 0)
				continue;
			if (sel_row_key(b, ids[i], strlen(ids[i]), scores[i], classes[i], 1,
			    "t", 1, &k, &c, &e) < 0 || sel_plan_add(b, &k, c, &e) < 0) {
				sel_plan_free(b);
				b = NULL;
			}
		}
		CHECK(a && b && sel_plan_prior(a) == nprior && sel_plan_rows(a) == NROWS,
		    "%s: plans", sel_scheme_names[sch[s]]);
		if (!a || !b) {
			sel_plan_free(a);
			sel_plan_free(b);
			continue;
		}
		long long n1 = decide_others(a, every, kept1, w1, st1);
		long long n2 = decide_others(b, every, kept2, w2, st2);
		int same = n1 >= 0 && n1 == n2;
		for (int i = 0; same && i < NROWS; i++)
			same = kept1[i] == kept2[i] && (!kept1[i] || (w1[i] == w2[i] && st1[i] == st2[i]));
		CHECK(same, "%s: with prior rows %lld kept, plain plan %lld",
		    sel_scheme_names[sch[s]], n1, n2);
		if (sch[s] != SEL_BIASED)
			CHECK(n1 == sel_budget_count(0.5, NROWS) - nprior, "%s: kept %lld",
			    sel_scheme_names[sch[s]], n1);
		sel_plan_free(a);
		sel_plan_free(b);
	}
	/* a budget below the prior rows: 65 naming both */
	struct sel_opts o;
	sel_opts_default(&o);
	o.scheme = SEL_RANDOM;
	o.by_count = 0;
	o.fraction = 0.2;
	struct sel_plan *p = plan_prior(&o, 4);
	CHECK(p && sel_resolve(p, &e) == NULL && e.code == 65 &&
	    strstr(e.msg, "budget of 600 rows is smaller than the 750 rows already kept"),
	    "%s", e.msg);
	sel_plan_free(p);
	o.scheme = SEL_BIASED;
	p = plan_prior(&o, 4);
	CHECK(p && sel_resolve(p, &e) == NULL && e.code == 65 &&
	    strstr(e.msg, "smaller than the 750 rows already kept"), "%s", e.msg);
	/* budget = prior rows: nothing more is drawn */
	sel_plan_free(p);
	o.fraction = 0.25;
	p = plan_prior(&o, 4);
	CHECK(p && decide_others(p, 4, kept1, w1, st1) == 0, "biased, budget = prior");
	/* a plan file cannot carry prior rows */
	FILE *f = tmpfile();
	CHECK(p && sel_plan_write(p, f, "tmp", &e) < 0 && e.code == 64 &&
	    strstr(e.msg, "rows kept before"), "%s", e.msg);
	fclose(f);
	sel_plan_free(p);
}

int
main(void)
{
	make_rows();
	RUN(ccs_alloc_hand);
	RUN(ccs_alloc_vs_slow);
	RUN(prop_alloc_hand);
	RUN(prop_alloc_vs_slow);
	RUN(biased_c_hand);
	RUN(biased_bounded_vs_slow);
	RUN(biased_lacking);
	RUN(budget_count);
	RUN(parse_score);
	RUN(sharded_equals_unsharded);
	RUN(top_exact);
	RUN(ccs_hand);
	RUN(biased_frequency);
	RUN(biased_extreme_scores);
	RUN(mismatched_plans);
	RUN(prior_rows);
	return unit_done();
}
