/*
 * select.h - the selection schemes of winnow-select and their mergeable
 * plans.
 *
 * Every decision about a row is a pure function of (seed, id, score,
 * class) and a small global decision (struct sel_decide) that is resolved
 * from a summary of all rows (struct sel_plan).  A summary can be built per
 * shard, written to a file, merged with others in any order and grouping,
 * and resolved anywhere to the same decision: that is what makes a sharded
 * run give the same rows as an unsharded one.
 *
 * Per row the summary keeps a key: the score s, the row's hash
 * h = wn_hash64(seed, WN_STREAM_SELECT, id), and for stratified its class
 * index.  It keeps
 * only the keys a scheme can need: the k best for random/top/bottom when
 * the budget is a count (-n), all of them otherwise (16 bytes a row, 20
 * for stratified, never the rows themselves); none for threshold.
 * Biased keeps no keys but its weights w = s^alpha in bounded memory: the
 * largest ones (8 bytes each: -n K keeps K; -f F keeps 2 ceil(F N) + 1024
 * of N rows) and an exact sum of the rest (32 bytes per 2^32-fold range
 * of weights that holds any), which is all that c needs.
 *
 * The schemes (winnow-select(1) has the rules and their sources):
 *   random      the k smallest h.
 *   top/bottom  the k highest/lowest s, ties by smaller h.
 *   stratified  per class budgets (largest remainder, or balanced by the
 *               ccs allocation); inside a class random, top or bottom.
 *   ccs         drop the floor(cutoff*N) highest (s, h); K equal-width
 *               strata over [min, max] of the rest; budgets by sel_ccs_alloc;
 *               the b_j smallest h inside stratum j.
 *   biased      pi = min(1, c * s^alpha), sum pi = budget (in logs:
 *               pi = min(1, exp(log c + alpha log s))); keep iff
 *               u < pi with u = (h >> 11) * 2^-53 = wn_u01(seed, SELECT, id).
 *   threshold   min <= s <= max.
 */
#ifndef WN_SELECT_H
#define WN_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum sel_scheme {
	SEL_RANDOM, SEL_TOP, SEL_BOTTOM, SEL_STRATIFIED, SEL_CCS, SEL_BIASED,
	SEL_THRESHOLD
};
/* Names in enum order, NULL-terminated. */
extern const char *const sel_scheme_names[];

struct sel_opts {
	int scheme;             /* enum sel_scheme */
	int within;             /* stratified: SEL_RANDOM, SEL_TOP or SEL_BOTTOM */
	int balanced;           /* stratified: equal budgets, not proportional */
	int reweight;           /* weight = 1/pi instead of 1 */
	int by_count;           /* 1: budget is count; 0: fraction */
	long long count;        /* -n */
	double fraction;        /* -f, in (0, 1] */
	uint64_t seed;
	double alpha;           /* biased */
	double cutoff;          /* ccs: share of hardest rows dropped, [0, 1) */
	int strata;             /* ccs: K >= 1 */
	double tmin, tmax;      /* threshold: keep tmin <= s <= tmax */
	const char *score;      /* score column */
	const char *by;         /* stratified: class column */
};

/* Defaults: random, count 0 unset, seed 0, alpha 1, cutoff 0, strata 50,
 * tmin -inf, tmax +inf, score "score", by "label". */
void sel_opts_default(struct sel_opts *o);
/* Check the combination; 64 with a message if it makes no sense. */
int sel_opts_check(const struct sel_opts *o, struct wn_err *err);
/* 1 if the scheme reads the score column, 1 if it reads the class column. */
int sel_needs_score(const struct sel_opts *o);
int sel_needs_class(const struct sel_opts *o);
/* Columns the output sets: "weight", and "stratum" first for stratified
 * and ccs.  Returns how many (1 or 2). */
size_t sel_out_columns(const struct sel_opts *o, const char *cols[2]);

/* 16 bytes a row; stratified plans keep the class index beside it. */
struct sel_key {
	double s;               /* score (0 when unused) */
	uint64_t h;             /* wn_hash64(seed, WN_STREAM_SELECT, id) */
};

struct sel_plan;

/* An empty summary for the options (copied). NULL (70) on no memory. */
struct sel_plan *sel_plan_new(const struct sel_opts *o, struct wn_err *err);
void sel_plan_free(struct sel_plan *p);
const struct sel_opts *sel_plan_opts(const struct sel_plan *p);
long long sel_plan_rows(const struct sel_plan *p);

/* Parse a score field: 0, or -1 (65, "WHERE: score \"abc\" is not a
 * number" / "... is not finite") where `where` is "FILE:LINE". */
int sel_parse_score(const char *field, const char *where, double *out,
                    struct wn_err *err);

/* The key of one row.  score is the score field (NULL if the scheme does
 * not need one), cls the class field (NULL likewise).  Validates the score
 * for the scheme (biased: s >= 0, and s > 0 when alpha < 0); *cls is the
 * class index (0 when unused).  Unknown
 * classes are added when add_class, else refused (65, mismatched plan).
 * file and line name the row in messages. */
int sel_row_key(struct sel_plan *p, const char *id, size_t idlen,
                const char *score, const char *cls, int add_class,
                const char *file, long long line, struct sel_key *key,
                uint32_t *kcls, struct wn_err *err);
/* Count a row kept before (winnow-select --kept): it counts towards the
 * budget (-f is a share of every row, these included) but has no key and
 * is never drawn; the scheme chooses the budget less these rows from the
 * others.  Only for a plan resolved where it was built (plan files do not
 * record prior rows). */
void sel_plan_add_prior(struct sel_plan *p);
long long sel_plan_prior(const struct sel_plan *p);
/* Biased -f: the rows (prior ones included) the plan will count in all,
 * known from an earlier pass.  The plan then keeps exactly the
 * ceil(F * nrows) largest weights, as -n would, and sel_resolve never
 * lacks one.  Call before adding rows; no effect on other schemes. */
void sel_plan_expect_rows(struct sel_plan *p, long long nrows);
/* 1 after sel_resolve failed because a biased -f plan built without
 * sel_plan_expect_rows lacked one of the largest weights (more rows have
 * pi = 1 than the weights it kept can show, which takes the first rows
 * of the input, or of a shard, holding far more than their share of the
 * highest scores): build it again with sel_plan_expect_rows. */
int sel_plan_lacking(const struct sel_plan *p);
/* Count the row and keep its key (and class) if the scheme may need it. */
int sel_plan_add(struct sel_plan *p, const struct sel_key *key, uint32_t cls,
                 struct wn_err *err);


/* Merge src into dst.  65 if their options differ (mismatched plans). */
int sel_plan_merge(struct sel_plan *dst, const struct sel_plan *src, struct wn_err *err);

/* Summary files: text, versioned ("winnow-select-plan 2"; version 1,
 * which held every biased row's key, is refused).  name is for messages.
 * Read fails with 65 (FILE:LINE) on anything malformed. */
int sel_plan_write(const struct sel_plan *p, FILE *fp, const char *name, struct wn_err *err);
struct sel_plan *sel_plan_read(FILE *fp, const char *name, struct wn_err *err);

/* The global decision, resolved from a summary of every row. */
struct sel_decide;
/* 65 when the budget cannot be met (larger than the data, ...). */
struct sel_decide *sel_resolve(struct sel_plan *p, struct wn_err *err);
void sel_decide_free(struct sel_decide *d);
/* Decide one row from its key (made with sel_row_key on the same plan):
 * 1 keep, 0 drop.  On keep, *weight is its weight and *stratum its stratum
 * (ccs: 0..K-1; stratified: class index; else -1). */
int sel_decide_row(const struct sel_decide *d, const struct sel_key *key,
                   uint32_t cls, double *weight, long *stratum);
/* Name of class i of the plan (for the stratum column of stratified). */
const char *sel_class_name(const struct sel_plan *p, uint32_t i);
/* The budget the decision works to (rows, or sum pi for biased), less the
 * prior rows. */
double sel_decide_budget(const struct sel_decide *d);
/* Biased: log c (finite where c would overflow a double). */
double sel_decide_logc(const struct sel_decide *d);
/* Biased: the inclusion probability pi = min(1, c s^alpha) of a score s
 * for log c = logc, exactly as sel_decide_row draws it (logc = +inf: 1 for
 * every s with a positive weight, 0 otherwise).  winnow-report draws the
 * curve with it. */
double sel_biased_pi(double s, double alpha, double logc);

/* ---- kernels, exposed for the unit tests ---- */

/* ccs allocation: visit the n strata in increasing size (ties by index),
 * give each min(size, floor(remaining / strata_left)).  Allocates
 * min(budget, sum size) in total.  out[i] for stratum i. */
void sel_ccs_alloc(const long long *size, size_t n, long long budget, long long *out);
/* Proportional allocation by largest remainder: floor(budget*n_i/N), the
 * rest one each to the largest remainders budget*n_i mod N, ties by the
 * smaller tie[i]. */
void sel_prop_alloc(const long long *size, size_t n, long long budget,
                    const uint64_t *tie, long long *out);
/* The k-th fraction-to-count rule: round-half-up(f * n). */
long long sel_budget_count(double f, long long n);

#endif
