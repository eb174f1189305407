/* split.c - see split.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hash.h"
#include "split.h"

void
split_init(struct split *sp, double fraction, unsigned long long seed)
{
	*sp = (struct split){ .fraction = fraction, .seed = seed };
}

void
split_free(struct split *sp)
{
	for (size_t k = 0; k < sp->ns; k++) {
		free(sp->s[k].name);
		free(sp->s[k].hashes);
	}
	free(sp->s);
	sp->s = NULL;
	sp->ns = 0;
}

/* The stratum called name, or -1.  Linear search: strata are classes, a
 * handful to a few thousand. */
static long
find(const struct split *sp, const char *name)
{
	for (size_t k = 0; k < sp->ns; k++)
		if (strcmp(sp->s[k].name, name) == 0)
			return (long)k;
	return -1;
}

static uint64_t
row_hash(const struct split *sp, const char *id)
{
	return wn_hash64(sp->seed, WN_STREAM_SPLIT, id, strlen(id));
}

int
split_add(struct split *sp, const char *stratum, const char *id, struct wn_err *err)
{
	long k = find(sp, stratum);
	struct split_stratum *s;

	if (k < 0) {
		struct split_stratum *t = realloc(sp->s, (sp->ns + 1) * sizeof *t);
		if (t == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "split: out of memory");
		sp->s = t;
		t[sp->ns] = (struct split_stratum){ .name = strdup(stratum) };
		if (t[sp->ns].name == NULL)
			return wn_seterr(err, WN_ESOFTWARE, "split: out of memory");
		k = (long)sp->ns++;
	}
	s = &sp->s[k];
	if (wn_grow((void **)&s->hashes, &s->cap, s->n + 1, sizeof *s->hashes) != 0)
		return wn_seterr(err, WN_ESOFTWARE, "split: out of memory for %zu rows", s->n + 1);
	s->hashes[s->n++] = row_hash(sp, id);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
split_plan(struct split *sp)
{
	for (size_t k = 0; k < sp->ns; k++) {
		struct split_stratum *s = &sp->s[k];

		s->want = (size_t)floor(sp->fraction * (double)s->n + 0.5);
		qsort(s->hashes, s->n, sizeof *s->hashes, cmp_u64);
		/* the round(f n)-th smallest hash; all of them when want is n */
		s->cut = s->want < s->n ? s->hashes[s->want] : UINT64_MAX;
		free(s->hashes);
		s->hashes = NULL;
	}
}

int
split_first(const struct split *sp, const char *stratum, const char *id, struct wn_err *err)
{
	long k = find(sp, stratum);

	if (k < 0)
		return wn_seterr(err, WN_EDATA, "split: stratum \"%s\" was not there on the first"
		                 " reading: the input changed", stratum);
	return sp->s[k].want == sp->s[k].n || row_hash(sp, id) < sp->s[k].cut;
}
