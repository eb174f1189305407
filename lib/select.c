/*
 * select.c - selection schemes and their mergeable plans (see select.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "hash.h"
#include "select.h"

const char *const sel_scheme_names[] = {
	"random", "top", "bottom", "stratified", "ccs", "biased", "threshold",
	NULL
};

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

void
sel_opts_default(struct sel_opts *o)
{
	memset(o, 0, sizeof *o);
	o->scheme = SEL_RANDOM;
	o->within = SEL_RANDOM;
	o->by_count = -1;
	o->alpha = 1;
	o->cutoff = 0;
	o->strata = 50;
	o->tmin = -INFINITY;
	o->tmax = INFINITY;
	o->score = "score";
	o->by = "label";
}

int
sel_opts_check(const struct sel_opts *o, struct wn_err *err)
{
	if (o->scheme < 0 || o->scheme > SEL_THRESHOLD)
		return wn_seterr(err, WN_EUSAGE, "unknown scheme %d", o->scheme);
	if (o->scheme == SEL_THRESHOLD) {
		if (o->by_count >= 0)
			return wn_seterr(err, WN_EUSAGE,
			    "-s threshold keeps by --min/--max, not by -f or -n");
		if (isinf(o->tmin) && o->tmin < 0 && isinf(o->tmax) && o->tmax > 0)
			return wn_seterr(err, WN_EUSAGE,
			    "-s threshold needs --min T or --max T");
		if (o->tmin > o->tmax)
			return wn_seterr(err, WN_EUSAGE, "--min %g is above --max %g",
			    o->tmin, o->tmax);
		return 0;
	}
	if (o->by_count < 0)
		return wn_seterr(err, WN_EUSAGE,
		    "-s %s needs a budget: -f FRACTION or -n COUNT",
		    sel_scheme_names[o->scheme]);
	if (o->by_count && o->count < 0)
		return wn_seterr(err, WN_EUSAGE, "-n %lld is negative", o->count);
	if (!o->by_count && !(o->fraction > 0 && o->fraction <= 1))
		return wn_seterr(err, WN_EUSAGE,
		    "fraction %g is outside (0, 1]", o->fraction);
	if (o->within != SEL_RANDOM && o->within != SEL_TOP && o->within != SEL_BOTTOM)
		return wn_seterr(err, WN_EUSAGE,
		    "--within must be random, top or bottom");
	if (!(o->cutoff >= 0 && o->cutoff < 1))
		return wn_seterr(err, WN_EUSAGE, "--cutoff %g is outside [0, 1)", o->cutoff);
	if (o->strata < 1)
		return wn_seterr(err, WN_EUSAGE, "--strata %d is below 1", o->strata);
	if (!isfinite(o->alpha))
		return wn_seterr(err, WN_EUSAGE, "--alpha must be finite");
	return 0;
}

int
sel_needs_score(const struct sel_opts *o)
{
	switch (o->scheme) {
	case SEL_RANDOM:
		return 0;
	case SEL_STRATIFIED:
		return o->within != SEL_RANDOM;
	default:
		return 1;
	}
}

int
sel_needs_class(const struct sel_opts *o)
{
	return o->scheme == SEL_STRATIFIED;
}

size_t
sel_out_columns(const struct sel_opts *o, const char *cols[2])
{
	if (o->scheme == SEL_STRATIFIED || o->scheme == SEL_CCS) {
		cols[0] = "stratum";
		cols[1] = "weight";
		return 2;
	}
	cols[0] = "weight";
	return 1;
}

/* ---- key orders ---- */

static int
cmp_h(const struct sel_key *a, const struct sel_key *b)
{
	return (a->h > b->h) - (a->h < b->h);
}

/* top: higher score first, ties by smaller hash. */
static int
cmp_top(const struct sel_key *a, const struct sel_key *b)
{
	if (a->s != b->s)
		return a->s > b->s ? -1 : 1;
	return cmp_h(a, b);
}

static int
cmp_bottom(const struct sel_key *a, const struct sel_key *b)
{
	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	return cmp_h(a, b);
}

typedef int keycmp(const struct sel_key *, const struct sel_key *);

static keycmp *
scheme_cmp(int scheme)
{
	switch (scheme) {
	case SEL_TOP: return cmp_top;
	case SEL_BOTTOM: return cmp_bottom;
	default: return cmp_h;
	}
}


static void
swap_key(struct sel_key *a, struct sel_key *b)
{
	struct sel_key t = *a;
	*a = *b;
	*b = t;
}

/*
 * Reorder k[0..n) so that k[t] is the key of rank t under cmp, with every
 * key before it ranked lower and every key after it higher or equal
 * (quickselect, median of three, three-way partition): O(n) where a sort
 * would be O(n log n) -- the cuts need only order statistics.
 */
static void
nth_key(struct sel_key *k, size_t n, size_t t, keycmp *cmp)
{
	size_t lo = 0, hi = n;

	if (t >= n)
		return;
	while (hi - lo > 16) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(&k[mid], &k[lo]) < 0)
			swap_key(&k[mid], &k[lo]);
		if (cmp(&k[hi - 1], &k[lo]) < 0)
			swap_key(&k[hi - 1], &k[lo]);
		if (cmp(&k[hi - 1], &k[mid]) < 0)
			swap_key(&k[hi - 1], &k[mid]);
		struct sel_key p = k[mid];
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			int r = cmp(&k[i], &p);
			if (r < 0)
				swap_key(&k[lt++], &k[i++]);
			else if (r > 0)
				swap_key(&k[i], &k[--gt]);
			else
				i++;
		}
		if (t < lt)
			hi = lt;
		else if (t >= gt)
			lo = gt;
		else
			return;
	}
	for (size_t i = lo + 1; i < hi; i++)
		for (size_t j = i; j > lo && cmp(&k[j], &k[j - 1]) < 0; j--)
			swap_key(&k[j], &k[j - 1]);
}

/* The group of a key when grouping: its class when cls is given, else
 * its ccs stratum. */
struct grouping {
	uint32_t *cls;
	double lo, hi;
	int strata;
};

static long ccs_stratum(double s, double lo, double hi, int K);

static size_t
group_of(const struct grouping *gr, const struct sel_key *x, uint32_t c)
{
	return gr->cls ? c : (size_t)ccs_stratum(x->s, gr->lo, gr->hi, gr->strata);
}

/* Group k[0..n) (and gr->cls with it) in place by group_of (American flag
 * sort); count[g] keys are in group g < ng.  start[g] receives where
 * group g begins.  Returns -1 when out of memory. */
static int
group_keys(struct sel_key *k, const struct grouping *gr, const long long *count,
           size_t ng, size_t *start)
{
	size_t *next = malloc((ng + 1) * sizeof *next);
	if (next == NULL)
		return -1;
	size_t at = 0;
	for (size_t g = 0; g < ng; g++) {
		start[g] = next[g] = at;
		at += (size_t)count[g];
	}
	start[ng] = at;
	for (size_t g = 0; g < ng; g++) {
		size_t end = start[g + 1];
		while (next[g] < end) {
			struct sel_key x = k[next[g]];
			uint32_t xc = gr->cls ? gr->cls[next[g]] : 0;
			size_t xg;
			while ((xg = group_of(gr, &x, xc)) != g) {
				size_t j = next[xg]++;
				swap_key(&x, &k[j]);
				if (gr->cls) {
					uint32_t t = xc;
					xc = gr->cls[j];
					gr->cls[j] = t;
				}
			}
			k[next[g]] = x;
			if (gr->cls)
				gr->cls[next[g]] = xc;
			next[g]++;
		}
	}
	free(next);
	return 0;
}

/* ---- plans ---- */

struct sel_plan *
sel_plan_new(const struct sel_opts *o, struct wn_err *err)
{
	struct sel_plan *p = calloc(1, sizeof *p);
	if (p == NULL)
		goto nomem;
	p->o = *o;
	p->score = strdup(o->score ? o->score : "score");
	p->by = strdup(o->by ? o->by : "label");
	if (p->score == NULL || p->by == NULL)
		goto nomem;
	p->o.score = p->score;
	p->o.by = p->by;
	if (o->scheme == SEL_THRESHOLD)
		p->bound = -1;
	else if (o->by_count == 1 && (o->scheme == SEL_RANDOM ||
	    o->scheme == SEL_TOP || o->scheme == SEL_BOTTOM))
		p->bound = o->count;
	else
		p->bound = 0;
	return p;
nomem:
	sel_plan_free(p);
	wn_seterr(err, WN_ESOFTWARE, "out of memory");
	return NULL;
}

void
sel_plan_free(struct sel_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ncls; i++)
		free(p->cname[i]);
	free(p->cname);
	free(p->ccount);
	free(p->ctab);
	free(p->keys);
	free(p->kcls);
	free(p->score);
	free(p->by);
	free(p);
}

const struct sel_opts *
sel_plan_opts(const struct sel_plan *p)
{
	return &p->o;
}

long long
sel_plan_rows(const struct sel_plan *p)
{
	return p->nrows;
}

const char *
sel_class_name(const struct sel_plan *p, uint32_t i)
{
	return i < p->ncls ? p->cname[i] : "";
}

static uint64_t
name_hash(const char *s, size_t len)
{
	return XXH3_64bits(s, len);
}

/* Index of class name, or -1. */
static long
class_find(const struct sel_plan *p, const char *name, size_t len)
{
	if (p->ctabsz == 0)
		return -1;
	size_t mask = p->ctabsz - 1;
	for (size_t i = name_hash(name, len) & mask;; i = (i + 1) & mask) {
		uint32_t v = p->ctab[i];
		if (v == 0)
			return -1;
		const char *c = p->cname[v - 1];
		if (strlen(c) == len && memcmp(c, name, len) == 0)
			return v - 1;
	}
}

static int
class_add(struct sel_plan *p, const char *name, size_t len, struct wn_err *err)
{
	if (p->ncls >= UINT32_MAX - 1)
		return wn_seterr(err, WN_EDATA, "too many classes");
	if ((p->ncls + 1) * 2 > p->ctabsz) {
		size_t nsz = p->ctabsz ? p->ctabsz * 2 : 16;
		uint32_t *nt = calloc(nsz, sizeof *nt);
		if (nt == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
		for (size_t j = 0; j < p->ncls; j++) {
			size_t i = name_hash(p->cname[j], strlen(p->cname[j])) & (nsz - 1);
			while (nt[i])
				i = (i + 1) & (nsz - 1);
			nt[i] = (uint32_t)j + 1;
		}
		free(p->ctab);
		p->ctab = nt;
		p->ctabsz = nsz;
	}
	if (p->ncls == p->ccap) {
		size_t nc = p->ccap ? p->ccap * 2 : 8;
		char **cn = realloc(p->cname, nc * sizeof *cn);
		if (cn == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
		p->cname = cn;
		long long *cc = realloc(p->ccount, nc * sizeof *cc);
		if (cc == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
		p->ccount = cc;
		p->ccap = nc;
	}
	char *s = malloc(len + 1);
	if (s == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	memcpy(s, name, len);
	s[len] = '\0';
	p->cname[p->ncls] = s;
	p->ccount[p->ncls] = 0;
	size_t mask = p->ctabsz - 1, i = name_hash(name, len) & mask;
	while (p->ctab[i])
		i = (i + 1) & mask;
	p->ctab[i] = (uint32_t)p->ncls + 1;
	return (int)(p->ncls++);
}

/* Index of class name, adding it if missing. */
static long
class_get(struct sel_plan *p, const char *name, size_t len, struct wn_err *err)
{
	long i = class_find(p, name, len);
	if (i >= 0)
		return i;
	return class_add(p, name, len, err);
}

int
sel_parse_score(const char *field, const char *where, double *out,
                struct wn_err *err)
{
	char *end;
	if (where == NULL)
		where = "score";
	if (*field == '\0')
		return wn_seterr(err, WN_EDATA, "%s: score is empty", where);
	if (isspace((unsigned char)*field))
		return wn_seterr(err, WN_EDATA, "%s: score \"%.40s\" is not a number",
		    where, field);
	errno = 0;
	double v = strtod(field, &end);
	if (*end != '\0' || end == field)
		return wn_seterr(err, WN_EDATA, "%s: score \"%.40s\" is not a number",
		    where, field);
	if (!isfinite(v))
		return wn_seterr(err, WN_EDATA,
		    "%s: score \"%.40s\" is not a finite number", where, field);
	*out = v;
	return 0;
}

int
sel_row_key(struct sel_plan *p, const char *id, size_t idlen,
            const char *score, const char *cls, int add_class,
            const char *file, long long line, struct sel_key *key,
            uint32_t *kcls, struct wn_err *err)
{
	char where[512];
	const struct sel_opts *o = &p->o;
	key->h = wn_hash64(o->seed, WN_STREAM_SELECT, id, idlen);
	key->s = 0;
	*kcls = 0;
	if (sel_needs_score(o)) {
		if (sel_parse_score(score, NULL, &key->s, err) < 0) {
			snprintf(where, sizeof where, "%s:%lld", file, line);
			return sel_parse_score(score, where, &key->s, err);
		}
		if (o->scheme == SEL_BIASED && o->alpha != 0 && key->s <= 0) {
			snprintf(where, sizeof where, "%s:%lld", file, line);
			if (key->s < 0)
				return wn_seterr(err, WN_EDATA,
				    "%s: score %s is negative; -s biased with "
				    "--alpha %g needs scores >= 0", where, score, o->alpha);
			/* s = 0 with alpha < 0: s^alpha is infinite, pi = 1
			 * (sel_decide_new refuses more of them than the budget) */
		}
	}
	if (sel_needs_class(o)) {
		size_t len = strlen(cls);
		long i = add_class ? class_get(p, cls, len, err) : class_find(p, cls, len);
		if (i < 0 && add_class)
			return -1;
		if (i < 0)
			return wn_seterr(err, WN_EDATA,
			    "%s:%lld: class \"%.60s\" is not in the plan (mismatched plan?)",
			    file, line, cls);
		*kcls = (uint32_t)i;
	}
	return 0;
}

static void
heap_down(struct sel_key *k, size_t n, size_t i, keycmp *cmp)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && cmp(&k[l], &k[w]) > 0)
			w = l;
		if (r < n && cmp(&k[r], &k[w]) > 0)
			w = r;
		if (w == i)
			return;
		struct sel_key t = k[i];
		k[i] = k[w];
		k[w] = t;
		i = w;
	}
}

static void
heap_up(struct sel_key *k, size_t i, keycmp *cmp)
{
	while (i > 0) {
		size_t par = (i - 1) / 2;
		if (cmp(&k[i], &k[par]) <= 0)
			return;
		struct sel_key t = k[i];
		k[i] = k[par];
		k[par] = t;
		i = par;
	}
}

/* Keep key if the plan may need it (bound > 0: a heap of the best). */
static int
keep_key(struct sel_plan *p, const struct sel_key *key, uint32_t cls,
         struct wn_err *err)
{
	if (p->bound < 0)
		return 0;
	if (p->bound > 0 && p->nkeys == (size_t)p->bound) {
		keycmp *cmp = scheme_cmp(p->o.scheme);
		if (cmp(key, &p->keys[0]) < 0) {
			p->keys[0] = *key;
			heap_down(p->keys, p->nkeys, 0, cmp);
		}
		return 0;
	}
	if (p->nkeys == p->kcap) {
		size_t nc = p->kcap ? p->kcap * 2 : 1024;
		if (p->bound > 0 && nc > (size_t)p->bound)
			nc = (size_t)p->bound;
		struct sel_key *nk = realloc(p->keys, nc * sizeof *nk);
		if (nk == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu keys", nc);
		p->keys = nk;
		if (sel_needs_class(&p->o)) {
			uint32_t *nc2 = realloc(p->kcls, nc * sizeof *nc2);
			if (nc2 == NULL)
				return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu keys", nc);
			p->kcls = nc2;
		}
		p->kcap = nc;
	}
	if (p->kcls != NULL)
		p->kcls[p->nkeys] = cls;
	p->keys[p->nkeys++] = *key;
	if (p->bound > 0)
		heap_up(p->keys, p->nkeys - 1, scheme_cmp(p->o.scheme));
	return 0;
}

int
sel_plan_add(struct sel_plan *p, const struct sel_key *key, uint32_t cls,
             struct wn_err *err)
{
	p->nrows++;
	if (sel_needs_class(&p->o))
		p->ccount[cls]++;
	return keep_key(p, key, cls, err);
}

void
sel_plan_add_prior(struct sel_plan *p)
{
	p->nrows++;
	p->nprior++;
}

long long
sel_plan_prior(const struct sel_plan *p)
{
	return p->nprior;
}

/* 0 if a and b select the same way, else -1 with the difference. */
static int
opts_same(const struct sel_opts *a, const struct sel_opts *b, struct wn_err *err)
{
#define DIFF(what, fmt, x, y) \
	return wn_seterr(err, WN_EDATA, "mismatched plans: " what " " fmt " and " fmt, x, y)
	if (a->scheme != b->scheme)
		DIFF("scheme", "%s", sel_scheme_names[a->scheme], sel_scheme_names[b->scheme]);
	if (a->by_count != b->by_count || (a->by_count && a->count != b->count) ||
	    (!a->by_count && a->fraction != b->fraction))
		return wn_seterr(err, WN_EDATA, "mismatched plans: different budgets");
	if (a->seed != b->seed)
		DIFF("seed", "%" PRIu64, a->seed, b->seed);
	if (strcmp(a->score, b->score) != 0)
		DIFF("score column", "\"%s\"", a->score, b->score);
	if (a->scheme == SEL_STRATIFIED) {
		if (strcmp(a->by, b->by) != 0)
			DIFF("class column", "\"%s\"", a->by, b->by);
		if (a->within != b->within)
			DIFF("within", "%s", sel_scheme_names[a->within], sel_scheme_names[b->within]);
		if (a->balanced != b->balanced)
			DIFF("balanced", "%d", a->balanced, b->balanced);
	}
	if (a->scheme == SEL_BIASED && a->alpha != b->alpha)
		DIFF("alpha", "%g", a->alpha, b->alpha);
	if (a->scheme == SEL_CCS && a->cutoff != b->cutoff)
		DIFF("cutoff", "%g", a->cutoff, b->cutoff);
	if (a->scheme == SEL_CCS && a->strata != b->strata)
		DIFF("strata", "%d", a->strata, b->strata);
	if (a->scheme == SEL_THRESHOLD && (a->tmin != b->tmin || a->tmax != b->tmax))
		return wn_seterr(err, WN_EDATA, "mismatched plans: different thresholds");
	if (a->reweight != b->reweight)
		DIFF("reweight", "%d", a->reweight, b->reweight);
#undef DIFF
	return 0;
}

int
sel_plan_merge(struct sel_plan *dst, const struct sel_plan *src, struct wn_err *err)
{
	if (opts_same(&dst->o, &src->o, err) < 0)
		return -1;
	uint32_t *map = NULL;
	if (src->ncls > 0) {
		map = malloc(src->ncls * sizeof *map);
		if (map == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	for (size_t i = 0; i < src->ncls; i++) {
		long j = class_get(dst, src->cname[i], strlen(src->cname[i]), err);
		if (j < 0) {
			free(map);
			return -1;
		}
		map[i] = (uint32_t)j;
		dst->ccount[j] += src->ccount[i];
	}
	dst->nrows += src->nrows;
	dst->nprior += src->nprior;
	for (size_t i = 0; i < src->nkeys; i++) {
		uint32_t c = src->kcls != NULL ? map[src->kcls[i]] : 0;
		if (keep_key(dst, &src->keys[i], c, err) < 0) {
			free(map);
			return -1;
		}
	}
	free(map);
	return 0;
}

/* ---- plan files ---- */

enum { PLAN_VERSION = 1 };

int
sel_plan_write(const struct sel_plan *p, FILE *fp, const char *name, struct wn_err *err)
{
	const struct sel_opts *o = &p->o;
	if (p->nprior > 0)
		return wn_seterr(err, WN_EUSAGE, "%s: a plan cannot record rows kept "
		    "before (--kept)", name);
	fprintf(fp, "winnow-select-plan\t%d\n", PLAN_VERSION);
	fprintf(fp, "scheme\t%s\n", sel_scheme_names[o->scheme]);
	fprintf(fp, "within\t%s\n", sel_scheme_names[o->within]);
	fprintf(fp, "balanced\t%d\n", o->balanced);
	fprintf(fp, "reweight\t%d\n", o->reweight);
	if (o->by_count > 0)
		fprintf(fp, "budget\tcount\t%lld\n", o->count);
	else if (o->by_count == 0)
		fprintf(fp, "budget\tfraction\t%.17g\n", o->fraction);
	else
		fprintf(fp, "budget\tnone\n");
	fprintf(fp, "seed\t%" PRIu64 "\n", o->seed);
	fprintf(fp, "alpha\t%.17g\n", o->alpha);
	fprintf(fp, "cutoff\t%.17g\n", o->cutoff);
	fprintf(fp, "strata\t%d\n", o->strata);
	fprintf(fp, "min\t%.17g\n", o->tmin);
	fprintf(fp, "max\t%.17g\n", o->tmax);
	fprintf(fp, "score\t%s\n", o->score);
	fprintf(fp, "by\t%s\n", o->by);
	fprintf(fp, "rows\t%lld\n", p->nrows);
	fprintf(fp, "classes\t%zu\n", p->ncls);
	for (size_t i = 0; i < p->ncls; i++)
		fprintf(fp, "%lld\t%s\n", p->ccount[i], p->cname[i]);
	fprintf(fp, "keys\t%zu\n", p->nkeys);
	for (size_t i = 0; i < p->nkeys; i++)
		fprintf(fp, "%.17g\t%016" PRIx64 "\t%" PRIu32 "\n",
		    p->keys[i].s, p->keys[i].h, p->kcls ? p->kcls[i] : 0);
	fprintf(fp, "end\n");
	if (ferror(fp))
		return wn_seterr(err, WN_EIO, "%s: write error", name);
	return 0;
}

struct plan_reader {
	FILE *fp;
	const char *name;
	char *line;
	size_t cap;
	long lineno;
	char *f[4];             /* TAB-separated fields of the line */
	int nf;
};

static int
pr_next(struct plan_reader *r, int nf, const char *want, struct wn_err *err)
{
	ssize_t n = getline(&r->line, &r->cap, r->fp);
	r->lineno++;
	if (n < 0)
		return wn_seterr(err, ferror(r->fp) ? WN_EIO : WN_EDATA,
		    "%s:%ld: plan ends early (expected %s)", r->name, r->lineno, want);
	if (n > 0 && r->line[n - 1] == '\n')
		r->line[--n] = '\0';
	if (strlen(r->line) != (size_t)n)
		return wn_seterr(err, WN_EDATA, "%s:%ld: NUL byte in plan", r->name, r->lineno);
	char *s = r->line;
	r->nf = 0;
	/* the last field takes the rest of the line (class names have spaces) */
	while (r->nf < nf) {
		r->f[r->nf++] = s;
		char *t = r->nf < nf ? strchr(s, '\t') : NULL;
		if (t == NULL)
			break;
		*t = '\0';
		s = t + 1;
	}
	if (r->nf != nf || (want[0] != '\0' && strcmp(r->f[0], want) != 0))
		return wn_seterr(err, WN_EDATA,
		    "%s:%ld: not a winnow-select plan (expected \"%s\")",
		    r->name, r->lineno, want[0] ? want : "a key");
	return 0;
}

static int
pr_ll(struct plan_reader *r, const char *s, long long lo, long long hi,
      long long *out, struct wn_err *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return wn_seterr(err, WN_EDATA, "%s:%ld: bad number \"%.40s\" in plan",
		    r->name, r->lineno, s);
	*out = v;
	return 0;
}

static int
pr_double(struct plan_reader *r, const char *s, double *out, struct wn_err *err)
{
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || isnan(v))
		return wn_seterr(err, WN_EDATA, "%s:%ld: bad number \"%.40s\" in plan",
		    r->name, r->lineno, s);
	*out = v;
	return 0;
}

static int
pr_choice(struct plan_reader *r, const char *s, int *out, struct wn_err *err)
{
	for (int i = 0; sel_scheme_names[i]; i++)
		if (strcmp(s, sel_scheme_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return wn_seterr(err, WN_EDATA, "%s:%ld: unknown scheme \"%.40s\" in plan",
	    r->name, r->lineno, s);
}

struct sel_plan *
sel_plan_read(FILE *fp, const char *name, struct wn_err *err)
{
	struct plan_reader r = { .fp = fp, .name = name };
	struct sel_plan *p = NULL;
	struct sel_opts o;
	long long v;
	char *score = NULL, *by = NULL;

	sel_opts_default(&o);
	if (pr_next(&r, 2, "winnow-select-plan", err) < 0)
		goto fail;
	if (pr_ll(&r, r.f[1], 0, 1000, &v, err) < 0)
		goto fail;
	if (v != PLAN_VERSION) {
		wn_seterr(err, WN_EDATA, "%s:1: plan version %lld, this program reads %d",
		    name, v, PLAN_VERSION);
		goto fail;
	}
	if (pr_next(&r, 2, "scheme", err) < 0 || pr_choice(&r, r.f[1], &o.scheme, err) < 0 ||
	    pr_next(&r, 2, "within", err) < 0 || pr_choice(&r, r.f[1], &o.within, err) < 0 ||
	    pr_next(&r, 2, "balanced", err) < 0 || pr_ll(&r, r.f[1], 0, 1, &v, err) < 0)
		goto fail;
	o.balanced = (int)v;
	if (pr_next(&r, 2, "reweight", err) < 0 || pr_ll(&r, r.f[1], 0, 1, &v, err) < 0)
		goto fail;
	o.reweight = (int)v;
	if (pr_next(&r, 2, "budget", err) < 0)
		goto fail;
	if (strcmp(r.f[1], "none") == 0) {
		o.by_count = -1;
	} else {
		char *t = strchr(r.f[1], '\t');
		if (t == NULL)
			goto bad;
		*t++ = '\0';
		if (strcmp(r.f[1], "count") == 0) {
			o.by_count = 1;
			if (pr_ll(&r, t, 0, LLONG_MAX, &o.count, err) < 0)
				goto fail;
		} else if (strcmp(r.f[1], "fraction") == 0) {
			o.by_count = 0;
			if (pr_double(&r, t, &o.fraction, err) < 0)
				goto fail;
		} else {
			goto bad;
		}
	}
	if (pr_next(&r, 2, "seed", err) < 0)
		goto fail;
	{
		char *end;
		errno = 0;
		unsigned long long s = strtoull(r.f[1], &end, 10);
		if (*r.f[1] == '\0' || *end != '\0' || errno != 0 || r.f[1][0] == '-')
			goto bad;
		o.seed = s;
	}
	if (pr_next(&r, 2, "alpha", err) < 0 || pr_double(&r, r.f[1], &o.alpha, err) < 0 ||
	    pr_next(&r, 2, "cutoff", err) < 0 || pr_double(&r, r.f[1], &o.cutoff, err) < 0 ||
	    pr_next(&r, 2, "strata", err) < 0 || pr_ll(&r, r.f[1], 1, INT32_MAX, &v, err) < 0)
		goto fail;
	o.strata = (int)v;
	if (pr_next(&r, 2, "min", err) < 0 || pr_double(&r, r.f[1], &o.tmin, err) < 0 ||
	    pr_next(&r, 2, "max", err) < 0 || pr_double(&r, r.f[1], &o.tmax, err) < 0 ||
	    pr_next(&r, 2, "score", err) < 0 || (score = strdup(r.f[1])) == NULL ||
	    pr_next(&r, 2, "by", err) < 0 || (by = strdup(r.f[1])) == NULL)
		goto fail;
	o.score = score;
	o.by = by;
	if (sel_opts_check(&o, err) < 0) {
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg);
		wn_seterr(err, WN_EDATA, "%s: bad plan: %s", name, m);
		goto fail;
	}
	if ((p = sel_plan_new(&o, err)) == NULL)
		goto fail;
	if (pr_next(&r, 2, "rows", err) < 0 || pr_ll(&r, r.f[1], 0, LLONG_MAX, &p->nrows, err) < 0 ||
	    pr_next(&r, 2, "classes", err) < 0 || pr_ll(&r, r.f[1], 0, UINT32_MAX - 2, &v, err) < 0)
		goto fail;
	long long ncls = v, total = 0;
	for (long long i = 0; i < ncls; i++) {
		long long c;
		if (pr_next(&r, 2, "", err) < 0 || pr_ll(&r, r.f[0], 0, LLONG_MAX, &c, err) < 0)
			goto fail;
		size_t len = strlen(r.f[1]);
		if (class_find(p, r.f[1], len) >= 0) {
			wn_seterr(err, WN_EDATA, "%s:%ld: class \"%.60s\" repeats",
			    name, r.lineno, r.f[1]);
			goto fail;
		}
		long j = class_add(p, r.f[1], len, err);
		if (j < 0)
			goto fail;
		p->ccount[j] = c;
		total += c;
	}
	if (sel_needs_class(&p->o) && total != p->nrows) {
		wn_seterr(err, WN_EDATA, "%s:%ld: class counts add up to %lld, not %lld rows",
		    name, r.lineno, total, p->nrows);
		goto fail;
	}
	if (pr_next(&r, 2, "keys", err) < 0 || pr_ll(&r, r.f[1], 0, p->nrows, &v, err) < 0)
		goto fail;
	long long nkeys = v;
	long long want = p->bound < 0 ? 0 : p->bound == 0 ? p->nrows :
	    p->bound < p->nrows ? p->bound : p->nrows;
	if (nkeys != want) {
		wn_seterr(err, WN_EDATA, "%s:%ld: %lld keys for %lld rows; expected %lld",
		    name, r.lineno, nkeys, p->nrows, want);
		goto fail;
	}
	for (long long i = 0; i < nkeys; i++) {
		struct sel_key k;
		char *end;
		if (pr_next(&r, 3, "", err) < 0 || pr_double(&r, r.f[0], &k.s, err) < 0)
			goto fail;
		if (!isfinite(k.s)) {
			/* a row's score is always finite (sel_parse_score); an
			 * infinite one would make the ccs score range infinite */
			wn_seterr(err, WN_EDATA, "%s:%ld: key score \"%.40s\" is not "
			    "finite", name, r.lineno, r.f[0]);
			goto fail;
		}
		errno = 0;
		k.h = strtoull(r.f[1], &end, 16);
		if (strlen(r.f[1]) != 16 || *end != '\0' || errno != 0)
			goto bad;
		if (pr_ll(&r, r.f[2], 0, ncls > 0 ? ncls - 1 : 0, &v, err) < 0)
			goto fail;
		if (keep_key(p, &k, (uint32_t)v, err) < 0)
			goto fail;
	}
	if (pr_next(&r, 1, "end", err) < 0)
		goto fail;
	if (sel_needs_class(&p->o)) {
		/* every row has its key: the keys of each class match its count */
		long long *kc = calloc(p->ncls + 1, sizeof *kc);
		if (kc == NULL) {
			wn_seterr(err, WN_ESOFTWARE, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < p->nkeys; i++)
			kc[p->kcls[i]]++;
		for (size_t i = 0; i < p->ncls; i++)
			if (kc[i] != p->ccount[i]) {
				wn_seterr(err, WN_EDATA, "%s: class \"%.60s\" counts %lld rows "
				    "but has %lld keys", name, p->cname[i], p->ccount[i], kc[i]);
				free(kc);
				goto fail;
			}
		free(kc);
	}
	free(r.line);
	free(score);
	free(by);
	return p;
bad:
	wn_seterr(err, WN_EDATA, "%s:%ld: malformed plan line", name, r.lineno);
fail:
	free(r.line);
	free(score);
	free(by);
	sel_plan_free(p);
	return NULL;
}

/* ---- kernels ---- */

long long
sel_budget_count(double f, long long n)
{
	return (long long)floor(f * (double)n + 0.5);
}

struct idx_size {
	long long size;
	size_t i;
};

static int
qs_idx_size(const void *pa, const void *pb)
{
	const struct idx_size *a = pa, *b = pb;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

void
sel_ccs_alloc(const long long *size, size_t n, long long budget, long long *out)
{
	struct idx_size *o = malloc((n ? n : 1) * sizeof *o);
	if (o == NULL) {
		/* without memory, visit in index order: still a valid allocation */
		long long rem = budget;
		for (size_t i = 0; i < n; i++) {
			long long a = rem / (long long)(n - i);
			out[i] = a < size[i] ? a : size[i];
			rem -= out[i];
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (struct idx_size){ size[i], i };
	qsort(o, n, sizeof *o, qs_idx_size);
	long long rem = budget;
	for (size_t t = 0; t < n; t++) {
		long long a = rem / (long long)(n - t);
		if (a > o[t].size)
			a = o[t].size;
		out[o[t].i] = a;
		rem -= a;
	}
	free(o);
}

struct idx_rem {
	unsigned long long rem;
	uint64_t tie;
	size_t i;
};

static int
qs_idx_rem(const void *pa, const void *pb)
{
	const struct idx_rem *a = pa, *b = pb;
	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	if (a->tie != b->tie)
		return a->tie < b->tie ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

void
sel_prop_alloc(const long long *size, size_t n, long long budget,
               const uint64_t *tie, long long *out)
{
	unsigned long long N = 0;
	for (size_t i = 0; i < n; i++)
		N += (unsigned long long)size[i];
	if (N == 0) {
		for (size_t i = 0; i < n; i++)
			out[i] = 0;
		return;
	}
	struct idx_rem *r = malloc((n ? n : 1) * sizeof *r);
	long long left = budget;
	for (size_t i = 0; i < n; i++) {
		unsigned __int128 q = (unsigned __int128)(unsigned long long)budget *
		    (unsigned long long)size[i];
		out[i] = (long long)(q / N);
		left -= out[i];
		if (r != NULL)
			r[i] = (struct idx_rem){ (unsigned long long)(q % N), tie[i], i };
	}
	if (r == NULL) {
		for (size_t i = 0; i < n && left > 0; i++)
			if (out[i] < size[i])
				out[i]++, left--;
		return;
	}
	qsort(r, n, sizeof *r, qs_idx_rem);
	for (size_t t = 0; t < n && left > 0; t++, left--)
		out[r[t].i]++;
	free(r);
}

double
sel_biased_logc(const double *lw, size_t n, double budget)
{
	size_t npos = 0;
	while (npos < n && lw[npos] > -INFINITY)
		npos++;
	if (!(budget <= (double)npos))
		return NAN;
	if (budget == (double)npos)
		return INFINITY;
	/* L[m] = log of the sum of w[m..npos), added from the smallest up:
	 * L[m] = lw[m] + log1p(exp(L[m+1] - lw[m])), lw[m] the largest */
	double *L = malloc((npos + 1) * sizeof *L);
	if (L == NULL)
		return NAN;
	L[npos] = -INFINITY;
	for (size_t i = npos; i-- > 0;)
		L[i] = lw[i] + log1p(exp(L[i + 1] - lw[i]));
	/* smallest m with (budget - m) * w[m] <= S[m]: the m largest are
	 * saturated (pi = 1); the condition is monotone in m and holds at
	 * m = ceil(budget) - 1 */
	size_t lo = 0, hi = (size_t)ceil(budget);
	hi = hi > 0 ? hi - 1 : 0;
	if (hi > npos - 1)
		hi = npos - 1;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (log(budget - (double)m) + lw[m] <= L[m])
			hi = m;
		else
			lo = m + 1;
	}
	double logc = log(budget - (double)lo) - L[lo];
	free(L);
	return logc;
}

double
sel_biased_c(const double *w, size_t n, double budget)
{
	double *lw = malloc((n + 1) * sizeof *lw);
	if (lw == NULL)
		return NAN;
	for (size_t i = 0; i < n; i++)
		lw[i] = w[i] > 0 ? log(w[i]) : -INFINITY;
	double logc = sel_biased_logc(lw, n, budget);
	free(lw);
	return exp(logc);
}

static int
qs_desc(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a < b) - (a > b);
}

/* log(s^alpha): -inf for a zero weight (s = 0, alpha > 0), +inf for an
 * infinite one (s = 0, alpha < 0: the easiest rows, kept for certain). */
static double
biased_lw(double s, double alpha)
{
	return alpha == 0 ? 0.0 : s > 0 ? alpha * log(s) : alpha < 0 ? INFINITY : -INFINITY;
}

static long
ccs_stratum(double s, double lo, double hi, int K)
{
	if (!(hi > lo))
		return 0;
	/* halved, which is exact: hi - lo of scores near +-DBL_MAX would be
	 * infinite (and inf/inf a NaN stratum) */
	double t = floor((s * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5) * K);
	if (!(t >= 0))
		return 0;
	if (t >= K)
		return K - 1;
	return (long)t;
}

/* ---- resolving ---- */

/* The rows left to choose: the budget over every row (the prior ones
 * included) less the prior rows, which it must cover. */
static int
budget_rows(const struct sel_plan *p, long long *k, struct wn_err *err)
{
	const struct sel_opts *o = &p->o;
	long long n = p->nrows;
	*k = o->by_count ? o->count : sel_budget_count(o->fraction, n);
	if (*k > n)
		return wn_seterr(err, WN_EDATA,
		    "budget of %lld row%s is larger than the %lld row%s%s", *k, WN_S(*k),
		    n, WN_S(n), o->scheme == SEL_CCS ? " left after --cutoff" : "");
	if (*k < p->nprior)
		return wn_seterr(err, WN_EDATA, "budget of %lld row%s is smaller than "
		    "the %lld row%s already kept (--kept)", *k, WN_S(*k), p->nprior,
		    WN_S(p->nprior));
	*k -= p->nprior;
	return 0;
}

/* The cut of each group: k grouped by cls (group_keys), gbud[g] per group,
 * the gbud[g]-th key of group g under cmp. */
static int
group_cuts(struct sel_decide *d, struct sel_key *k, const struct grouping *gr,
           keycmp *cmp)
{
	size_t *start = malloc((d->ng + 1) * sizeof *start);
	if (start == NULL || group_keys(k, gr, d->gsize, d->ng, start) < 0) {
		free(start);
		return -1;
	}
	for (size_t g = 0; g < d->ng; g++)
		if (d->gbud[g] > 0) {
			size_t t = (size_t)d->gbud[g] - 1;
			nth_key(k + start[g], start[g + 1] - start[g], t, cmp);
			d->gcut[g] = k[start[g] + t];
		}
	free(start);
	return 0;
}

struct sel_decide *
sel_resolve(struct sel_plan *p, struct wn_err *err)
{
	const struct sel_opts *o = &p->o;
	struct sel_decide *d = calloc(1, sizeof *d);
	/* N: the rows to choose from (the prior ones are kept already) */
	long long k, N = p->nrows - p->nprior;

	if (d == NULL)
		goto nomem;
	d->p = p;
	d->scheme = o->scheme;
	d->wconst = 1;
	switch (o->scheme) {
	case SEL_RANDOM:
	case SEL_TOP:
	case SEL_BOTTOM:
		if (budget_rows(p, &k, err) < 0)
			goto fail;
		d->budget = (double)k;
		if (k == 0) {
			d->none = 1;
			break;
		}
		nth_key(p->keys, p->nkeys, (size_t)k - 1, scheme_cmp(o->scheme));
		if (p->bound > 0)     /* that broke the heap; the plan is done */
			p->bound = 0;
		d->cut = p->keys[k - 1];
		if (o->reweight && o->scheme == SEL_RANDOM)
			d->wconst = (double)N / (double)k;
		break;
	case SEL_STRATIFIED: {
		if (budget_rows(p, &k, err) < 0)
			goto fail;
		d->budget = (double)k;
		d->ng = p->ncls;
		d->gsize = malloc((d->ng + 1) * sizeof *d->gsize);
		d->gbud = malloc((d->ng + 1) * sizeof *d->gbud);
		d->gcut = calloc(d->ng + 1, sizeof *d->gcut);
		uint64_t *tie = malloc((d->ng + 1) * sizeof *tie);
		if (!d->gsize || !d->gbud || !d->gcut || !tie) {
			free(tie);
			goto nomem;
		}
		for (size_t i = 0; i < d->ng; i++) {
			d->gsize[i] = p->ccount[i];
			tie[i] = wn_hash64(o->seed, WN_STREAM_TIEBREAK, p->cname[i],
			    strlen(p->cname[i]));
		}
		if (o->balanced)
			sel_ccs_alloc(d->gsize, d->ng, k, d->gbud);
		else
			sel_prop_alloc(d->gsize, d->ng, k, tie, d->gbud);
		free(tie);
		d->gcmp = scheme_cmp(o->within);
		struct grouping gr = { .cls = p->kcls };
		if (p->nkeys > 0 && p->kcls == NULL)
			goto nomem;
		if (group_cuts(d, p->keys, &gr, d->gcmp) < 0)
			goto nomem;
		break;
	}
	case SEL_CCS: {
		d->drop = (long long)floor(o->cutoff * (double)N);
		if (d->drop > N)
			d->drop = N;
		if (d->drop > 0) {
			nth_key(p->keys, p->nkeys, (size_t)d->drop - 1, cmp_top);
			d->dcut = p->keys[d->drop - 1];
		}
		long long rest = N - d->drop;
		if (budget_rows(p, &k, err) < 0)
			goto fail;
		if (k > rest) {
			wn_seterr(err, WN_EDATA, "budget of %lld row%s is larger than the "
			    "%lld row%s left after --cutoff %g", k, WN_S(k), rest, WN_S(rest),
			    o->cutoff);
			goto fail;
		}
		d->budget = (double)k;
		struct sel_key *r = p->keys + d->drop;
		if (rest > 0) {
			d->hi = d->lo = r[0].s;
			for (long long i = 1; i < rest; i++) {
				if (r[i].s > d->hi)
					d->hi = r[i].s;
				if (r[i].s < d->lo)
					d->lo = r[i].s;
			}
		}
		d->ng = (size_t)o->strata;
		d->gsize = calloc(d->ng, sizeof *d->gsize);
		d->gbud = calloc(d->ng, sizeof *d->gbud);
		d->gcut = calloc(d->ng, sizeof *d->gcut);
		if (!d->gsize || !d->gbud || !d->gcut)
			goto nomem;
		for (long long i = 0; i < rest; i++)
			d->gsize[ccs_stratum(r[i].s, d->lo, d->hi, o->strata)]++;
		sel_ccs_alloc(d->gsize, d->ng, k, d->gbud);
		d->gcmp = cmp_h;
		struct grouping gr = { NULL, d->lo, d->hi, o->strata };
		if (group_cuts(d, r, &gr, cmp_h) < 0)
			goto nomem;
		break;
	}
	case SEL_BIASED: {
		double total = o->by_count ? (double)o->count : o->fraction * (double)p->nrows;
		if (total < (double)p->nprior) {
			wn_seterr(err, WN_EDATA, "budget of %.9g row%s is smaller than "
			    "the %lld row%s already kept (--kept)", total, WN_S(total),
			    p->nprior, WN_S(p->nprior));
			goto fail;
		}
		d->budget = total - (double)p->nprior;
		/* in logs: s^alpha of scores like 1e200 or 1e-200 would
		 * overflow or underflow, and pi is a ratio of weights */
		double *w = malloc((p->nkeys + 1) * sizeof *w);
		if (w == NULL)
			goto nomem;
		size_t npos = 0, ninf = 0;
		for (size_t i = 0; i < p->nkeys; i++) {
			w[i] = biased_lw(p->keys[i].s, o->alpha);
			npos += w[i] > -INFINITY;
			ninf += w[i] == INFINITY;
		}
		qsort(w, p->nkeys, sizeof *w, qs_desc);
		if (d->budget < (double)ninf) {
			free(w);
			wn_seterr(err, WN_EDATA, "budget of %.9g row%s is smaller than the %zu "
			    "row%s with score 0, which -s biased with a negative --alpha (%g) "
			    "keeps for certain (pi = 1)", d->budget, WN_S(d->budget), ninf,
			    WN_S(ninf), o->alpha);
			goto fail;
		}
		if (d->budget > (double)npos) {
			free(w);
			if (p->nprior)
				wn_seterr(err, WN_EDATA, "budget of %.9g row%s is larger than "
				    "the %lld row%s already kept (--kept) and the %zu other%s "
				    "with a score above zero", total, WN_S(total), p->nprior,
				    WN_S(p->nprior), npos, WN_S(npos));
			else
				wn_seterr(err, WN_EDATA, "budget of %.9g row%s is larger than the "
				    "%zu row%s with a score above zero", d->budget, WN_S(d->budget),
				    npos, WN_S(npos));
			goto fail;
		}
		/* the rows of infinite weight take pi = 1 and their share of the
		 * budget; c spreads the rest over the others */
		d->logc = sel_biased_logc(w + ninf, p->nkeys - ninf, d->budget - (double)ninf);
		free(w);
		if (isnan(d->logc))
			goto nomem;
		break;
	}
	case SEL_THRESHOLD:
		break;
	}
	return d;
nomem:
	wn_seterr(err, WN_ESOFTWARE, "out of memory");
fail:
	sel_decide_free(d);
	return NULL;
}

void
sel_decide_free(struct sel_decide *d)
{
	if (d == NULL)
		return;
	free(d->gsize);
	free(d->gbud);
	free(d->gcut);
	free(d);
}

double
sel_decide_budget(const struct sel_decide *d)
{
	return d->budget;
}

double
sel_decide_c(const struct sel_decide *d)
{
	return exp(d->logc);
}

double
sel_decide_logc(const struct sel_decide *d)
{
	return d->logc;
}

double
sel_biased_pi(double s, double alpha, double logc)
{
	double lw = biased_lw(s, alpha);

	if (lw == INFINITY)     /* a zero score with alpha < 0: kept for certain */
		return 1.0;
	return logc == INFINITY ? (lw > -INFINITY ? 1.0 : 0.0) : fmin(1.0, exp(logc + lw));
}

int
sel_decide_row(const struct sel_decide *d, const struct sel_key *key, uint32_t cls,
               double *weight, long *stratum)
{
	const struct sel_opts *o = &d->p->o;
	*weight = 1;
	*stratum = -1;
	switch (d->scheme) {
	case SEL_RANDOM:
	case SEL_TOP:
	case SEL_BOTTOM:
		if (d->none || scheme_cmp(d->scheme)(key, &d->cut) > 0)
			return 0;
		*weight = d->wconst;
		return 1;
	case SEL_STRATIFIED:
	case SEL_CCS: {
		size_t g;
		if (d->scheme == SEL_CCS) {
			if (d->drop > 0 && cmp_top(key, &d->dcut) <= 0)
				return 0;
			g = (size_t)ccs_stratum(key->s, d->lo, d->hi, o->strata);
		} else {
			g = cls;
		}
		if (g >= d->ng || d->gbud[g] == 0)
			return 0;
		if (d->gcmp(key, &d->gcut[g]) > 0)
			return 0;
		*stratum = (long)g;
		if (o->reweight)
			*weight = (double)d->gsize[g] / (double)d->gbud[g];
		return 1;
	}
	case SEL_BIASED: {
		double pi = sel_biased_pi(key->s, o->alpha, d->logc);
		double u = (double)(key->h >> 11) * 0x1p-53;
		if (!(u < pi))
			return 0;
		if (o->reweight)
			*weight = 1 / pi;
		return 1;
	}
	case SEL_THRESHOLD:
		return key->s >= o->tmin && key->s <= o->tmax;
	}
	return 0;
}
