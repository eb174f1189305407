/*
 * select_plan.c - the summary of rows in memory: its classes, the keys it
 * keeps, adding rows and merging summaries (see select.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "select_int.h"

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
	if (o->scheme == SEL_THRESHOLD || o->scheme == SEL_BIASED)
		p->bound = -1;      /* biased keeps its weights in p->bs */
	else if (o->by_count == 1 && (o->scheme == SEL_RANDOM ||
	    o->scheme == SEL_TOP || o->scheme == SEL_BOTTOM))
		p->bound = o->count;
	else
		p->bound = 0;
	p->bs.fixed = o->by_count == 1 ? o->count : -1;
	p->bs.frac = o->fraction;
	p->bs.horizon = -INFINITY;
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
	sel_bsum_free(&p->bs);
	free(p);
}

void
sel_plan_expect_rows(struct sel_plan *p, long long nrows)
{
	if (p->o.scheme == SEL_BIASED && p->o.by_count == 0)
		p->bs.fixed = (long long)ceil(p->o.fraction * (double)nrows);
}

int
sel_plan_lacking(const struct sel_plan *p)
{
	return p->lacking;
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
long
sel_class_find(const struct sel_plan *p, const char *name, size_t len)
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

int
sel_class_add(struct sel_plan *p, const char *name, size_t len, struct wn_err *err)
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
long
sel_class_get(struct sel_plan *p, const char *name, size_t len, struct wn_err *err)
{
	long i = sel_class_find(p, name, len);
	if (i >= 0)
		return i;
	return sel_class_add(p, name, len, err);
}

static void
heap_down(struct sel_key *k, size_t n, size_t i, sel_keycmp *cmp)
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
heap_up(struct sel_key *k, size_t i, sel_keycmp *cmp)
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
int
sel_plan_keep(struct sel_plan *p, const struct sel_key *key, uint32_t cls,
         struct wn_err *err)
{
	if (p->bound < 0)
		return 0;
	if (p->bound > 0 && p->nkeys == (size_t)p->bound) {
		sel_keycmp *cmp = sel_scheme_cmp(p->o.scheme);
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
		heap_up(p->keys, p->nkeys - 1, sel_scheme_cmp(p->o.scheme));
	return 0;
}

int
sel_plan_add(struct sel_plan *p, const struct sel_key *key, uint32_t cls,
             struct wn_err *err)
{
	p->nrows++;
	if (sel_needs_class(&p->o))
		p->ccount[cls]++;
	if (p->o.scheme == SEL_BIASED &&
	    sel_bsum_add(&p->bs, sel_biased_lw(key->s, p->o.alpha), p->nrows) < 0)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %lld weights",
		    sel_bsum_cap(&p->bs, p->nrows));
	return sel_plan_keep(p, key, cls, err);
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
		long j = sel_class_get(dst, src->cname[i], strlen(src->cname[i]), err);
		if (j < 0) {
			free(map);
			return -1;
		}
		map[i] = (uint32_t)j;
		dst->ccount[j] += src->ccount[i];
	}
	dst->nrows += src->nrows;
	dst->nprior += src->nprior;
	if (dst->o.scheme == SEL_BIASED && sel_bsum_merge(&dst->bs, &src->bs, dst->nrows) < 0) {
		free(map);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %lld weights",
		    sel_bsum_cap(&dst->bs, dst->nrows));
	}
	for (size_t i = 0; i < src->nkeys; i++) {
		uint32_t c = src->kcls != NULL ? map[src->kcls[i]] : 0;
		if (sel_plan_keep(dst, &src->keys[i], c, err) < 0) {
			free(map);
			return -1;
		}
	}
	free(map);
	return 0;
}
