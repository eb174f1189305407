/*
 * select.c - the options of winnow-select's schemes and the key of each
 * row (see select.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "select_int.h"

const char *const sel_scheme_names[] = {
	"random", "top", "bottom", "stratified", "ccs", "biased", "threshold",
	NULL
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
	if (!(o->alpha >= -1e6 && o->alpha <= 1e6))
		return wn_seterr(err, WN_EUSAGE, "--alpha %g is outside [-1e6, 1e6]", o->alpha);
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
		long i = add_class ? sel_class_get(p, cls, len, err) : sel_class_find(p, cls, len);
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
