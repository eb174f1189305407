/*
 * select_int.h - what the files of winnow-select's library share and
 * nothing else includes: the summary and the decision as they are held,
 * the orders of keys, and the helpers one file defines for another.
 *
 *   select.c           options, the key of a row
 *   select_order.c     key orders, the k-th key, grouping keys
 *   select_plan.c      the summary in memory: classes, keys, merging
 *   select_planfile.c  the plan file
 *   select_alloc.c     budgets and their split over strata or classes
 *   select_biased.c    biased sampling: its bounded summary, c and pi
 *   select_resolve.c   the global decision and the decision per row
 */
#ifndef WN_SELECT_INT_H
#define WN_SELECT_INT_H

#include <stdint.h>

#include "select.h"

/* ---- biased (select_biased.c) ---- */

/* log(s^alpha): -inf for a zero weight (s = 0, alpha > 0), +inf for an
 * infinite one (s = 0, alpha < 0). */
double sel_biased_lw(double s, double alpha);

/* An exact sum of weights exp(lw): per bucket j, the integer sum of the
 * weights between 2^(32 j) and 2^(32 j + 86), in units of 2^(32 j)
 * (below 2^149 for 2^63 rows: three limbs, least significant first).
 * 36 bytes per bucket, one per 2^32-fold range of weights that holds any;
 * found by hash, in no order until sel_xsum_sort. */
struct sel_xbucket {
	int64_t j;
	uint64_t v[3];
};
struct sel_xsum {
	struct sel_xbucket *b;
	size_t n, cap;
	uint32_t *slot;         /* open addressing: bucket index + 1, 0 empty */
	size_t nslot;
	int sorted;             /* by j, after sel_xsum_sort: no more buckets */
};
/* Add exp(lw) (neg 0), or take away one added before (neg 1); -1 when
 * out of memory. */
int sel_xsum_add(struct sel_xsum *x, double lw, int neg);
/* Add a bucket's sum; -1 when out of memory. */
int sel_xsum_add_bucket(struct sel_xsum *x, const struct sel_xbucket *b);
/* dst += src; -1 when out of memory. */
int sel_xsum_merge(struct sel_xsum *dst, const struct sel_xsum *src);
/* Sort the buckets by j (for a file, and the solver); takes away only. */
void sel_xsum_sort(struct sel_xsum *x);
void sel_xsum_free(struct sel_xsum *x);

/* The summary of biased weights: counts, the largest finite log-weights
 * (a min-heap, 8 bytes each, at most sel_bsum_cap of them), the exact sum
 * of the other finite weights and the largest of those. */
struct sel_bsum {
	long long fixed;        /* >= 0: the capacity (-n COUNT); -1: by frac */
	double frac;            /* -f */
	long long npos;         /* rows of finite positive weight */
	long long ninf;         /* rows of infinite weight (pi = 1) */
	double *heap;
	size_t n, alloc;
	double horizon;         /* the largest lw in rest; -inf while none */
	struct sel_xsum rest;
};
/* How many largest weights a summary of nrows rows keeps. */
long long sel_bsum_cap(const struct sel_bsum *b, long long nrows);
/* Count a row of log-weight lw; nrows is the plan's rows with it.  -1 when
 * out of memory. */
int sel_bsum_add(struct sel_bsum *b, double lw, long long nrows);
/* dst += src, nrows the rows of both.  -1 when out of memory. */
int sel_bsum_merge(struct sel_bsum *dst, const struct sel_bsum *src, long long nrows);
void sel_bsum_free(struct sel_bsum *b);
/* log c with sum over rows of min(1, c w) = budget (the rows of infinite
 * weight and their share left out): 0, with +inf when budget = npos and
 * -inf when it is 0; -1 when budget > npos; 1 when the summary lacks a
 * weight it needs (more rows saturate than the largest weights it kept
 * can show: only for -f); -2 on no memory.  Sorts the heap (which leaves
 * it a heap). */
int sel_bsum_solve(struct sel_bsum *b, double budget, double *logc);

struct sel_plan {
	struct sel_opts o;      /* o.score and o.by point into the copies below */
	char *score, *by;
	long long nrows;        /* every row, the prior ones included */
	long long nprior;       /* rows kept before (--kept): no key, in budget */
	long long bound;        /* >0: keep the bound best keys; 0: all; -1: none */
	struct sel_key *keys;   /* a heap with the worst at the root when bound > 0 */
	uint32_t *kcls;         /* stratified: class of keys[i] */
	size_t nkeys, kcap;
	char **cname;           /* classes, in order of first sight */
	long long *ccount;
	size_t ncls, ccap;
	uint32_t *ctab;         /* open addressing: class index + 1, 0 empty */
	size_t ctabsz;
	struct sel_bsum bs;     /* biased: the weights, in place of keys */
	int lacking;            /* biased -f: sel_resolve lacked a weight */
};

struct sel_decide {
	const struct sel_plan *p;
	int scheme;
	double budget;
	int none;               /* random/top/bottom: keep nothing */
	struct sel_key cut;     /* random/top/bottom: keep keys ranked <= cut */
	double wconst;          /* weight of every kept row (random) */
	int (*gcmp)(const struct sel_key *, const struct sel_key *);
	size_t ng;              /* stratified: classes; ccs: strata */
	long long *gsize, *gbud;
	struct sel_key *gcut;
	long long drop;         /* ccs: rows dropped as hardest */
	struct sel_key dcut;    /* ccs: the last dropped key */
	double lo, hi;          /* ccs: score range of the rest */
	double logc;            /* biased: log c */
};

/* ---- key orders (select_order.c) ---- */

/* <0, 0, >0 as a ranks before, with or after b. */
typedef int sel_keycmp(const struct sel_key *, const struct sel_key *);
/* random: smaller h first. */
int sel_cmp_hash(const struct sel_key *a, const struct sel_key *b);
/* top: higher s first, ties by smaller h; bottom: lower s first. */
int sel_cmp_top(const struct sel_key *a, const struct sel_key *b);
int sel_cmp_bottom(const struct sel_key *a, const struct sel_key *b);
/* The order of a scheme: top, bottom, else random. */
sel_keycmp *sel_scheme_cmp(int scheme);
/* Reorder k[0..n) so that k[t] has rank t under cmp, the keys before it
 * lower and those after it higher or equal (no-op when t >= n). */
void sel_nth_key(struct sel_key *k, size_t n, size_t t, sel_keycmp *cmp);

/* The group of a key when grouping: its class when cls is given, else
 * its ccs stratum. */
struct sel_grouping {
	uint32_t *cls;
	double lo, hi;
	int strata;
};

/* ccs: the stratum 0..K-1 of s among K equal-width strata of [lo, hi]. */
long sel_ccs_stratum(double s, double lo, double hi, int K);
/* Group k[0..n) (and gr->cls with it) in place; count[g] keys are in
 * group g < ng, start[g] receives where group g begins.  -1 when out of
 * memory. */
int sel_group_keys(struct sel_key *k, const struct sel_grouping *gr,
                   const long long *count, size_t ng, size_t *start);

/* ---- the summary (select_plan.c) ---- */

/* Index of a class name, or -1. */
long sel_class_find(const struct sel_plan *p, const char *name, size_t len);
/* Add a class (not there yet): its index, or -1 (70, 65 past 2^32 - 2). */
int sel_class_add(struct sel_plan *p, const char *name, size_t len,
                  struct wn_err *err);
/* Index of a class name, added if missing; -1 as sel_class_add. */
long sel_class_get(struct sel_plan *p, const char *name, size_t len,
                   struct wn_err *err);
/* Keep a key (and its class) if the plan may need it: -1 (70) on no
 * memory. */
int sel_plan_keep(struct sel_plan *p, const struct sel_key *key, uint32_t cls,
                  struct wn_err *err);

#endif
