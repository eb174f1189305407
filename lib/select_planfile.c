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

#include "select_int.h"

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
