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
 *   select_biased.c    biased sampling's c and pi
 *   select_resolve.c   the global decision and the decision per row
 */
#ifndef WN_SELECT_INT_H
#define WN_SELECT_INT_H

#include "select.h"

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

/* ---- biased (select_biased.c) ---- */

/* log(s^alpha): -inf for a zero weight (s = 0, alpha > 0), +inf for an
 * infinite one (s = 0, alpha < 0). */
double sel_biased_lw(double s, double alpha);

#endif
