/*
 * select_resolve.c - the global decision from a summary of every row, and
 * the decision on each row (see select.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "select_int.h"

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

/* The cut of each group: k grouped by cls (sel_group_keys), gbud[g] per group,
 * the gbud[g]-th key of group g under cmp. */
static int
group_cuts(struct sel_decide *d, struct sel_key *k, const struct sel_grouping *gr,
           sel_keycmp *cmp)
{
	size_t *start = malloc((d->ng + 1) * sizeof *start);
	if (start == NULL || sel_group_keys(k, gr, d->gsize, d->ng, start) < 0) {
		free(start);
		return -1;
	}
	for (size_t g = 0; g < d->ng; g++)
		if (d->gbud[g] > 0) {
			size_t t = (size_t)d->gbud[g] - 1;
			sel_nth_key(k + start[g], start[g + 1] - start[g], t, cmp);
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
		sel_nth_key(p->keys, p->nkeys, (size_t)k - 1, sel_scheme_cmp(o->scheme));
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
		d->gcmp = sel_scheme_cmp(o->within);
		struct sel_grouping gr = { .cls = p->kcls };
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
			sel_nth_key(p->keys, p->nkeys, (size_t)d->drop - 1, sel_cmp_top);
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
			d->gsize[sel_ccs_stratum(r[i].s, d->lo, d->hi, o->strata)]++;
		sel_ccs_alloc(d->gsize, d->ng, k, d->gbud);
		d->gcmp = sel_cmp_hash;
		struct sel_grouping gr = { NULL, d->lo, d->hi, o->strata };
		if (group_cuts(d, r, &gr, sel_cmp_hash) < 0)
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
		long long ninf = p->bs.ninf, npos = p->bs.npos + ninf;
		if (d->budget < (double)ninf) {
			wn_seterr(err, WN_EDATA, "budget of %.9g row%s is smaller than the %lld "
			    "row%s with score 0, which -s biased with a negative --alpha (%g) "
			    "keeps for certain (pi = 1)", d->budget, WN_S(d->budget), ninf,
			    WN_S(ninf), o->alpha);
			goto fail;
		}
		if (d->budget > (double)npos) {
			if (p->nprior)
				wn_seterr(err, WN_EDATA, "budget of %.9g row%s is larger than "
				    "the %lld row%s already kept (--kept) and the %lld other%s "
				    "with a score above zero", total, WN_S(total), p->nprior,
				    WN_S(p->nprior), npos, WN_S(npos));
			else
				wn_seterr(err, WN_EDATA, "budget of %.9g row%s is larger than the "
				    "%lld row%s with a score above zero", d->budget, WN_S(d->budget),
				    npos, WN_S(npos));
			goto fail;
		}
		/* the rows of infinite weight take pi = 1 and their share of the
		 * budget; c spreads the rest over the others */
		int rc = sel_bsum_solve(&p->bs, d->budget - (double)ninf, &d->logc);
		if (rc == -2)
			goto nomem;
		if (rc != 0) {
			p->lacking = rc == 1;
			wn_seterr(err, WN_EDATA, "-s biased -f %g: the plan lacks some of the "
			    "largest weights (more rows have pi = 1 than the %zu it kept can "
			    "show: the first rows, or one shard, held far more than their share "
			    "of the highest scores): select unsharded, or with -n COUNT, which "
			    "keeps the COUNT largest", o->fraction, p->bs.n);
			goto fail;
		}
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
sel_decide_logc(const struct sel_decide *d)
{
	return d->logc;
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
		if (d->none || sel_scheme_cmp(d->scheme)(key, &d->cut) > 0)
			return 0;
		*weight = d->wconst;
		return 1;
	case SEL_STRATIFIED:
	case SEL_CCS: {
		size_t g;
		if (d->scheme == SEL_CCS) {
			if (d->drop > 0 && sel_cmp_top(key, &d->dcut) <= 0)
				return 0;
			g = (size_t)sel_ccs_stratum(key->s, d->lo, d->hi, o->strata);
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
