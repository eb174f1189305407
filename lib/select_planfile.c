/*
 * select_planfile.c - the plan file, "winnow-select-plan 1": writing it
 * and reading it back, refusing anything malformed (see winnow-formats(5)).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "select_int.h"

/* 2: biased plans hold their largest weights and an exact sum of the
 * rest, no longer every row's key (version 1) */
enum { PLAN_VERSION = 2 };

static int
qs_desc(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a < b) - (a > b);
}

/* Biased: the counts, the largest log-weights (sorted, so that the same
 * rows give the same file), the largest of the rest and the exact sums. */
static int
write_biased(const struct sel_bsum *b, FILE *fp, struct wn_err *err)
{
	double *h = malloc((b->n + 1) * sizeof *h);

	if (h == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	if (b->n > 0)
		memcpy(h, b->heap, b->n * sizeof *h);
	if (b->n > 0)
		qsort(h, b->n, sizeof *h, qs_desc);
	fprintf(fp, "positive\t%lld\n", b->npos);
	fprintf(fp, "infinite\t%lld\n", b->ninf);
	fprintf(fp, "largest\t%zu\n", b->n);
	for (size_t i = 0; i < b->n; i++)
		fprintf(fp, "%.17g\n", h[i]);
	free(h);
	fprintf(fp, "rest\t%.17g\n", b->horizon);
	struct sel_xsum x = { .n = b->rest.n };
	if ((x.b = malloc((x.n + 1) * sizeof *x.b)) == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	if (x.n > 0)
		memcpy(x.b, b->rest.b, x.n * sizeof *x.b);
	sel_xsum_sort(&x);
	fprintf(fp, "sums\t%zu\n", x.n);
	for (size_t i = 0; i < x.n; i++)
		fprintf(fp, "%" PRId64 "\t%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "\n",
		    x.b[i].j, x.b[i].v[2], x.b[i].v[1], x.b[i].v[0]);
	sel_xsum_free(&x);
	return 0;
}


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
	if (o->scheme == SEL_BIASED && write_biased(&p->bs, fp, err) < 0)
		return -1;
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

/* A log-weight as the summary holds it: finite, and within what
 * sel_biased_lw gives for |alpha| <= 1e6 and finite scores. */
static int
pr_lw(struct plan_reader *r, const char *s, double *out, struct wn_err *err)
{
	if (pr_double(r, s, out, err) < 0)
		return -1;
	if (!(fabs(*out) <= 1e10))
		return wn_seterr(err, WN_EDATA, "%s:%ld: log-weight \"%.40s\" out of range",
		    r->name, r->lineno, s);
	return 0;
}

/* The biased section, as write_biased writes it, checked for sense. */
static int
read_biased(struct plan_reader *r, struct sel_plan *p, struct wn_err *err)
{
	struct sel_bsum *b = &p->bs;
	long long v, cap = sel_bsum_cap(b, p->nrows);

	if (pr_next(r, 2, "positive", err) < 0 || pr_ll(r, r->f[1], 0, p->nrows, &b->npos, err) < 0 ||
	    pr_next(r, 2, "infinite", err) < 0 ||
	    pr_ll(r, r->f[1], 0, p->nrows - b->npos, &b->ninf, err) < 0 ||
	    pr_next(r, 2, "largest", err) < 0 ||
	    pr_ll(r, r->f[1], 0, b->npos < cap ? b->npos : cap, &v, err) < 0)
		return -1;
	long long n = v;
	double prev = INFINITY;
	for (long long i = 0; i < n; i++) {
		double lw;
		if (pr_next(r, 1, "", err) < 0 || pr_lw(r, r->f[0], &lw, err) < 0)
			return -1;
		if (lw > prev)
			return wn_seterr(err, WN_EDATA, "%s:%ld: largest weights out of order",
			    r->name, r->lineno);
		prev = lw;
		if (wn_grow((void **)&b->heap, &b->alloc, b->n + 1, sizeof *b->heap) < 0)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
		b->heap[b->n++] = lw;
	}
	/* ascending, a min-heap as it is */
	for (size_t i = 0; i < b->n / 2; i++) {
		double t = b->heap[i];
		b->heap[i] = b->heap[b->n - 1 - i];
		b->heap[b->n - 1 - i] = t;
	}
	if (pr_next(r, 2, "rest", err) < 0 || pr_double(r, r->f[1], &b->horizon, err) < 0)
		return -1;
	/* rows pushed out of the largest: then the rest has a largest weight
	 * (above the smallest kept when -f grew the capacity) and sums */
	int pushed = b->npos > n;
	if (pushed ? !(fabs(b->horizon) <= 1e10) : b->horizon != -INFINITY)
		return wn_seterr(err, WN_EDATA, "%s:%ld: rest \"%.40s\" does not fit %lld "
		    "positive rows and %lld largest", r->name, r->lineno, r->f[1], b->npos, n);
	if (pr_next(r, 2, "sums", err) < 0 || pr_ll(r, r->f[1], pushed, pushed ? 1000000000 : 0,
	    &v, err) < 0)
		return -1;
	int64_t prevj = 0;
	for (long long i = 0; i < v; i++) {
		struct sel_xbucket x;
		long long v2;
		const char *h;
		if (pr_next(r, 2, "", err) < 0 || pr_ll(r, r->f[0], -(1LL << 40), 1LL << 40, &v2,
		    err) < 0)
			return -1;
		x.j = v2;
		h = r->f[1];
		if (strlen(h) != 48 || strspn(h, "0123456789abcdef") != 48)
			return wn_seterr(err, WN_EDATA, "%s:%ld: sum \"%.60s\" is not 48 hex digits",
			    r->name, r->lineno, h);
		for (int l = 0; l < 3; l++) {
			char part[17];
			memcpy(part, h + 16 * (2 - l), 16);
			part[16] = '\0';
			x.v[l] = strtoull(part, NULL, 16);
		}
		/* a sum of 2^63 weights stays below 2^149; merges stay far
		 * from overflowing 192 bits */
		if (x.v[2] >> 24 != 0 || (i > 0 && x.j <= prevj))
			return wn_seterr(err, WN_EDATA, "%s:%ld: sums out of range or order",
			    r->name, r->lineno);
		prevj = x.j;
		if (sel_xsum_add_bucket(&b->rest, &x) < 0)
			return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	return 0;
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
		wn_seterr(err, WN_EDATA, "%s:1: plan version %lld, this program reads %d "
		    "(make the plans again with this winnow-select)", name, v, PLAN_VERSION);
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
		if (sel_class_find(p, r.f[1], len) >= 0) {
			wn_seterr(err, WN_EDATA, "%s:%ld: class \"%.60s\" repeats",
			    name, r.lineno, r.f[1]);
			goto fail;
		}
		long j = sel_class_add(p, r.f[1], len, err);
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
	if (p->o.scheme == SEL_BIASED && read_biased(&r, p, err) < 0)
		goto fail;
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
		if (sel_plan_keep(p, &k, (uint32_t)v, err) < 0)
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
