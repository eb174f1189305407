/*
 * report.c - winnow-report's page.  See report.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "img.h"
#include "report.h"
#include "select.h"
#include "thumb.h"

enum {
	MAX_CLASSES = 10000,    /* a "class" column with more is refused */
	MAX_TABLES = 8,
	TABLE_ROWS = 200,       /* rows of a table shown */
	MAX_SWEEP = 4096,       /* (scheme, fraction) pairs of a sweep */
	ITEM_OVERHEAD = 400     /* page bytes of one thumbnail besides its URI */
};

enum { SIDE_DROPPED, SIDE_KEPT };
enum { KIND_HIGH, KIND_LOW, KIND_RANDOM, NKIND };
static const char *const kind_name[NKIND] = { "highest score", "lowest score", "random" };

/* One row shown with a thumbnail. */
struct item {
	char *id, *path, *cls;
	char *note;             /* an extra caption line, or NULL */
	char *col[3];           /* label issues: given, suggested, quality */
	double score;           /* NAN without a score column */
	double weight;          /* NAN when not kept or no weight column */
	int kept;               /* 1, 0, or -1 without a kept file */
	double k1;              /* rank: larger k1 first, then smaller k2 */
	uint64_t k2;
	char *uri;              /* data URI once made, or NULL */
	int tw, th;             /* thumbnail size */
	const char *why;        /* why there is no image */
};

/* The cap best items; v[0] is the worst of them (a heap). */
struct heap {
	struct item *v;
	size_t n, cap;
};

struct klass {
	char *name;
	long long n, kept;
	long long *hist;        /* 2 * bins: pool counts, then kept counts */
	struct heap g[2][NKIND];
	long long issues;
};

struct group {
	uint64_t h;
	long long n;            /* rows with dup_rank > 0 */
};

struct topgroup {
	uint64_t h;
	long long n;
	char *gid;              /* the dup_group value */
	struct heap m;          /* members, kept member (rank 0) first */
};

struct table {
	char *name;
	size_t ncols;
	char **cells;           /* (1 + nrows) * ncols, header first */
	size_t nrows;
	long long total;        /* rows in the file */
};

struct sweep {
	char *scheme;
	double fraction;
	long long n;
	double sum, sumsq, samples;
};

struct rp_report {
	struct rp_opts o;
	char *pool, *keptname;
	char *by;               /* the class column used */
	/* pool columns (-1: absent) */
	int c_path, c_cls, c_score, c_group, c_rank, c_nnsim, c_quality, c_issue, c_sugg,
	    c_label;
	int k_weight;           /* kept column */
	int have_kept, scored;
	long long n, nkept, pass1_rows;
	double lo, hi;          /* score range */
	long long *hist;        /* 2 * bins, all classes */
	struct klass *cls;
	size_t ncls, ccap;
	int32_t *ctab;          /* open addressing: class index + 1, 0 empty */
	size_t ctsize;
	/* near-duplicates */
	struct group *gtab;
	size_t gsize, gused;
	long long dup_rows, dup_untracked, dup_kept;
	struct topgroup *top;
	size_t ntop;
	/* label issues */
	long long issues, issues_kept;
	struct heap iss;
	/* pi(s) */
	int pi_drawn;
	double logc, pi_budget;
	double lc_min, lc_max, wsum;
	long long wn_ne1;       /* kept rows with weight != 1 */
	struct sel_plan *plan;
	char pi_note[512];
	/* other inputs */
	struct table tab[MAX_TABLES];
	size_t ntab;
	struct sweep *sw;
	size_t nsw;
	char *swname;
	long long thumb_bytes;
	int over_budget;        /* some thumbnail did not fit */
};

/* ---- small helpers ---- */

void
rp_opts_default(struct rp_opts *o)
{
	memset(o, 0, sizeof *o);
	o->score = "score";
	o->per_class = 4;
	o->budget = 4LL << 20;
	o->side = 64;
	o->bins = 40;
	o->groups = 8;
	o->members = 8;
	o->issues = 24;
	o->max_groups = 1 << 20;
	o->title = "winnow report";
}

double
rp_ci(long long n_a, long long n_d)
{
	if (n_a + n_d == 0)
		return NAN;
	return (double)(n_a - n_d) / (double)(n_a + n_d);
}

double
rp_dpl(long long pos_a, long long n_a, long long pos_d, long long n_d)
{
	if (n_a == 0 || n_d == 0)
		return NAN;
	return (double)pos_a / (double)n_a - (double)pos_d / (double)n_d;
}

void
rp_html_escape(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: putc(*s, fp);
		}
	}
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static int
nomem(struct wn_err *err)
{
	return wn_seterr(err, WN_ESOFTWARE, "out of memory");
}

static uint64_t
strhash(const char *s)
{
	return wn_hash64(0, 0, s, strlen(s));
}

/* Parse a finite number; -1 (65) naming FILE:LINE, the column and value. */
static int
parse_num(const char *f, const char *file, long long line, const char *col,
          double *out, struct wn_err *err)
{
	char *end;

	errno = 0;
	*out = strtod(f, &end);
	if (*f == '\0' || *end != '\0' || errno == ERANGE || !isfinite(*out))
		return wn_seterr(err, WN_EDATA, "%s:%lld: %s \"%s\" is not a finite number",
		                 file, line, col, f);
	return 0;
}

static int
parse_rank(const char *f, const char *file, long long line, long long *out,
           struct wn_err *err)
{
	char *end;

	errno = 0;
	*out = strtoll(f, &end, 10);
	if (*f == '\0' || *end != '\0' || errno || *out < 0)
		return wn_seterr(err, WN_EDATA, "%s:%lld: dup_rank \"%s\" is not a "
		                 "non-negative integer", file, line, f);
	return 0;
}

static int
parse_flag(const char *f, const char *file, long long line, int *out, struct wn_err *err)
{
	if (strcmp(f, "0") && strcmp(f, "1"))
		return wn_seterr(err, WN_EDATA, "%s:%lld: label_issue \"%s\" is not 0 or 1",
		                 file, line, f);
	*out = f[0] == '1';
	return 0;
}

/* ---- items and heaps ---- */

static void
item_free(struct item *it)
{
	free(it->id);
	free(it->path);
	free(it->cls);
	free(it->note);
	for (int i = 0; i < 3; i++)
		free(it->col[i]);
	free(it->uri);
	memset(it, 0, sizeof *it);
}

/* 1 if a is a better item than b. */
static int
better(double a1, uint64_t a2, const struct item *b)
{
	return a1 > b->k1 || (a1 == b->k1 && a2 < b->k2);
}

static int
heap_wants(const struct heap *h, double k1, uint64_t k2)
{
	return h->cap > 0 && (h->n < h->cap || better(k1, k2, &h->v[0]));
}

static void
heap_swap(struct item *a, struct item *b)
{
	struct item t = *a;
	*a = *b;
	*b = t;
}

/* Take it (its strings owned by the heap from now on); the caller checked
 * heap_wants. */
static int
heap_put(struct heap *h, struct item *it, struct wn_err *err)
{
	size_t i;

	if (!h->v && !(h->v = calloc(h->cap, sizeof *h->v))) {
		item_free(it);
		return nomem(err);
	}
	if (h->n < h->cap) {
		i = h->n++;
		h->v[i] = *it;
		/* sift up: a worse item goes towards the root */
		while (i > 0 && better(h->v[(i - 1) / 2].k1, h->v[(i - 1) / 2].k2, &h->v[i])) {
			heap_swap(&h->v[i], &h->v[(i - 1) / 2]);
			i = (i - 1) / 2;
		}
		return 0;
	}
	item_free(&h->v[0]);
	h->v[0] = *it;
	for (i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < h->n && better(h->v[w].k1, h->v[w].k2, &h->v[l]))
			w = l;
		if (r < h->n && better(h->v[w].k1, h->v[w].k2, &h->v[r]))
			w = r;
		if (w == i)
			break;
		heap_swap(&h->v[i], &h->v[w]);
		i = w;
	}
	return 0;
}

static int
item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (better(a->k1, a->k2, b))
		return -1;
	return better(b->k1, b->k2, a) ? 1 : 0;
}

/* The items best first. */
static void
heap_sort(struct heap *h)
{
	if (h->n > 1)
		qsort(h->v, h->n, sizeof *h->v, item_cmp);
}

static void
heap_free(struct heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		item_free(&h->v[i]);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* ---- the report ---- */

struct rp_report *
rp_new(const struct rp_opts *o, struct wn_err *err)
{
	struct rp_report *rp = calloc(1, sizeof *rp);

	if (!rp) {
		nomem(err);
		return NULL;
	}
	rp->o = *o;
	if (rp->o.bins < 1)
		rp->o.bins = 1;
	rp->iss.cap = (size_t)(o->issues > 0 ? o->issues : 0);
	rp->lo = INFINITY;
	rp->hi = -INFINITY;
	rp->lc_min = INFINITY;
	rp->lc_max = -INFINITY;
	return rp;
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->name);
}

void
rp_free(struct rp_report *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->ncls; i++) {
		struct klass *k = &rp->cls[i];
		free(k->name);
		free(k->hist);
		for (int s = 0; s < 2; s++)
			for (int j = 0; j < NKIND; j++)
				heap_free(&k->g[s][j]);
	}
	free(rp->cls);
	free(rp->ctab);
	free(rp->hist);
	free(rp->gtab);
	for (size_t i = 0; i < rp->ntop; i++) {
		free(rp->top[i].gid);
		heap_free(&rp->top[i].m);
	}
	free(rp->top);
	heap_free(&rp->iss);
	sel_plan_free(rp->plan);
	for (size_t i = 0; i < rp->ntab; i++)
		table_free(&rp->tab[i]);
	for (size_t i = 0; i < rp->nsw; i++)
		free(rp->sw[i].scheme);
	free(rp->sw);
	free(rp->swname);
	free(rp->pool);
	free(rp->keptname);
	free(rp->by);
	free(rp);
}

long long
rp_thumb_bytes(const struct rp_report *rp)
{
	return rp->thumb_bytes;
}

/* The columns of the pool; the same in both passes. */
static int
pool_columns(struct rp_report *rp, const struct mf_reader *r, struct wn_err *err)
{
	const char *by = rp->o.by;

	rp->c_path = mf_col(r, "path");
	rp->c_label = mf_col(r, "label");
	if (!by)
		by = rp->c_label >= 0 ? "label" : mf_col(r, "pred") >= 0 ? "pred" : NULL;
	rp->c_cls = by ? mf_col(r, by) : -1;
	if (rp->o.by && rp->c_cls < 0)
		return wn_seterr(err, WN_EDATA, "%s:1: no \"%s\" column (the class column, --by)",
		                 mf_name(r), rp->o.by);
	free(rp->by);
	rp->by = by ? xstrdup(by) : NULL;
	if (by && !rp->by)
		return nomem(err);
	rp->c_score = mf_col(r, rp->o.score);
	rp->c_group = mf_col(r, "dup_group");
	rp->c_rank = mf_col(r, "dup_rank");
	if ((rp->c_group < 0) != (rp->c_rank < 0))
		return wn_seterr(err, WN_EDATA, "%s:1: a \"%s\" column without \"%s\"", mf_name(r),
		                 rp->c_group < 0 ? "dup_rank" : "dup_group",
		                 rp->c_group < 0 ? "dup_group" : "dup_rank");
	rp->c_nnsim = mf_col(r, "nn_sim");
	rp->c_issue = mf_col(r, "label_issue");
	rp->c_quality = mf_col(r, "label_quality");
	rp->c_sugg = mf_col(r, "suggested_label");
	if (rp->o.have_alpha && rp->c_score < 0)
		return wn_seterr(err, WN_EDATA, "%s:1: no \"%s\" column, which --alpha needs",
		                 mf_name(r), rp->o.score);
	return 0;
}

/* The fields of the current row a section reads, checked. */
struct row {
	double s;
	long long rank;         /* -1 without dup columns */
	int issue;
	double quality;
};

static int
read_row(struct rp_report *rp, const struct mf_reader *r, struct row *x, struct wn_err *err)
{
	const char *f = mf_name(r);
	long long ln = mf_lineno(r);

	x->s = NAN;
	x->rank = -1;
	x->issue = 0;
	x->quality = NAN;
	if (rp->c_score >= 0) {
		char where[1200];
		snprintf(where, sizeof where, "%s:%lld", f, ln);
		if (sel_parse_score(mf_field(r, (size_t)rp->c_score), where, &x->s, err) != 0)
			return -1;
		if (rp->o.have_alpha && (x->s < 0 || (rp->o.alpha < 0 && x->s == 0)))
			return wn_seterr(err, WN_EDATA, "%s:%lld: score %s: biased sampling needs "
			                 "scores %s", f, ln, mf_field(r, (size_t)rp->c_score),
			                 rp->o.alpha < 0 ? "> 0 when alpha < 0" : ">= 0");
	}
	if (rp->c_rank >= 0) {
		if (parse_rank(mf_field(r, (size_t)rp->c_rank), f, ln, &x->rank, err) != 0)
			return -1;
		if (*mf_field(r, (size_t)rp->c_group) == '\0')
			return wn_seterr(err, WN_EDATA, "%s:%lld: empty dup_group", f, ln);
	}
	if (rp->c_issue >= 0 && parse_flag(mf_field(r, (size_t)rp->c_issue), f, ln, &x->issue,
	                                   err) != 0)
		return -1;
	if (rp->c_quality >= 0 && *mf_field(r, (size_t)rp->c_quality) != '\0' &&
	    parse_num(mf_field(r, (size_t)rp->c_quality), f, ln, "label_quality", &x->quality,
	              err) != 0)
		return -1;
	return 0;
}

/* Count a duplicate row of group h (open addressing, at most max_groups). */
static int
group_count(struct rp_report *rp, uint64_t h, struct wn_err *err)
{
	if (rp->gused + 1 > rp->gsize / 2) {
		if ((long long)rp->gused >= rp->o.max_groups) {
			size_t i = h & (rp->gsize - 1);
			for (; rp->gtab[i].n; i = (i + 1) & (rp->gsize - 1))
				if (rp->gtab[i].h == h) {
					rp->gtab[i].n++;
					return 0;
				}
			rp->dup_untracked++;
			return 0;
		}
		size_t ns = rp->gsize ? 2 * rp->gsize : 1024;
		struct group *t = calloc(ns, sizeof *t);
		if (!t)
			return nomem(err);
		for (size_t i = 0; i < rp->gsize; i++) {
			if (!rp->gtab[i].n)
				continue;
			size_t j = rp->gtab[i].h & (ns - 1);
			while (t[j].n)
				j = (j + 1) & (ns - 1);
			t[j] = rp->gtab[i];
		}
		free(rp->gtab);
		rp->gtab = t;
		rp->gsize = ns;
	}
	size_t i = h & (rp->gsize - 1);
	for (; rp->gtab[i].n; i = (i + 1) & (rp->gsize - 1))
		if (rp->gtab[i].h == h) {
			rp->gtab[i].n++;
			return 0;
		}
	rp->gtab[i].h = h;
	rp->gtab[i].n = 1;
	rp->gused++;
	return 0;
}

static int
group_cmp(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return (a->h > b->h) - (a->h < b->h);
}

int
rp_pass1(struct rp_report *rp, struct mf_reader *r, struct wn_err *err)
{
	struct row x;
	int rc;

	free(rp->pool);
	if (!(rp->pool = xstrdup(mf_name(r))))
		return nomem(err);
	if (pool_columns(rp, r, err) != 0)
		return -1;
	while ((rc = mf_next(r, err)) > 0) {
		if (read_row(rp, r, &x, err) != 0)
			return -1;
		if (rp->c_score >= 0) {
			rp->lo = fmin(rp->lo, x.s);
			rp->hi = fmax(rp->hi, x.s);
		}
		if (x.rank > 0 &&
		    group_count(rp, strhash(mf_field(r, (size_t)rp->c_group)), err) != 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	rp->pass1_rows = mf_nrows(r);
	if (rp->pass1_rows == 0)
		return wn_seterr(err, WN_EDATA, "%s: no rows: nothing to report", mf_name(r));
	/* the largest groups, ties by hash: their members are collected in
	 * pass 2 */
	if (rp->gused > 0) {
		size_t m = 0;
		for (size_t i = 0; i < rp->gsize; i++)
			if (rp->gtab[i].n)
				rp->gtab[m++] = rp->gtab[i];
		qsort(rp->gtab, m, sizeof *rp->gtab, group_cmp);
		rp->ntop = m < (size_t)rp->o.groups ? m : (size_t)rp->o.groups;
		if (rp->ntop > 0 && !(rp->top = calloc(rp->ntop, sizeof *rp->top)))
			return nomem(err);
		for (size_t i = 0; i < rp->ntop; i++) {
			rp->top[i].h = rp->gtab[i].h;
			rp->top[i].n = rp->gtab[i].n;
			rp->top[i].m.cap = (size_t)(rp->o.members > 0 ? rp->o.members : 1);
		}
		rp->gused = m;
	}
	for (size_t i = 0; i < rp->gused; i++)
		rp->dup_rows += rp->gtab[i].n;
	rp->dup_rows += rp->dup_untracked;
	free(rp->gtab);
	rp->gtab = NULL;
	rp->gsize = 0;
	if (rp->c_score >= 0 && rp->o.have_alpha && (rp->o.fraction > 0 || rp->o.count > 0)) {
		struct sel_opts so;
		sel_opts_default(&so);
		so.scheme = SEL_BIASED;
		so.alpha = rp->o.alpha;
		so.by_count = rp->o.count > 0;
		so.count = rp->o.count;
		so.fraction = rp->o.fraction;
		so.seed = rp->o.seed;
		so.score = rp->o.score;
		if (sel_opts_check(&so, err) != 0)
			return -1;
		if (!(rp->plan = sel_plan_new(&so, err)))
			return -1;
	}
	return 0;
}

static int
class_of(struct rp_report *rp, const char *name, size_t *out, struct wn_err *err)
{
	uint64_t h = strhash(name);
	size_t i;

	if (rp->ctsize == 0 || 2 * (rp->ncls + 1) > rp->ctsize) {
		size_t ns = rp->ctsize ? 2 * rp->ctsize : 64;
		int32_t *t = calloc(ns, sizeof *t);
		if (!t)
			return nomem(err);
		for (size_t c = 0; c < rp->ncls; c++) {
			size_t j = strhash(rp->cls[c].name) & (ns - 1);
			while (t[j])
				j = (j + 1) & (ns - 1);
			t[j] = (int32_t)c + 1;
		}
		free(rp->ctab);
		rp->ctab = t;
		rp->ctsize = ns;
	}
	for (i = h & (rp->ctsize - 1); rp->ctab[i]; i = (i + 1) & (rp->ctsize - 1))
		if (strcmp(rp->cls[rp->ctab[i] - 1].name, name) == 0) {
			*out = (size_t)rp->ctab[i] - 1;
			return 0;
		}
	if (rp->ncls >= MAX_CLASSES)
		return wn_seterr(err, WN_EDATA, "%s: more than %d classes in column \"%s\": "
		                 "is it a class column? (--by)", rp->pool, MAX_CLASSES, rp->by);
	if (rp->ncls == rp->ccap) {
		size_t nc = rp->ccap ? 2 * rp->ccap : 16;
		struct klass *k = realloc(rp->cls, nc * sizeof *k);
		if (!k)
			return nomem(err);
		rp->cls = k;
		rp->ccap = nc;
	}
	struct klass *k = &rp->cls[rp->ncls];
	memset(k, 0, sizeof *k);
	if (!(k->name = xstrdup(name)) ||
	    !(k->hist = calloc(2 * (size_t)rp->o.bins, sizeof *k->hist))) {
		free(k->name);
		return nomem(err);
	}
	for (int s = 0; s < 2; s++)
		for (int j = 0; j < NKIND; j++)
			k->g[s][j].cap = (size_t)(rp->o.per_class > 0 ? rp->o.per_class : 0);
	rp->ctab[i] = (int32_t)rp->ncls + 1;
	*out = rp->ncls++;
	return 0;
}

static int
bin_of(const struct rp_report *rp, double s)
{
	int B = rp->o.bins;
	if (!(rp->hi > rp->lo))
		return 0;
	int b = (int)floor((s - rp->lo) / (rp->hi - rp->lo) * B);
	return b < 0 ? 0 : b >= B ? B - 1 : b;
}

/* A new item for the current row of r. */
static int
item_make(struct item *it, const struct rp_report *rp, const struct mf_reader *r,
          const char *cls, double s, double w, int kept, double k1, uint64_t k2,
          struct wn_err *err)
{
	memset(it, 0, sizeof *it);
	it->id = xstrdup(mf_id(r));
	it->path = xstrdup(rp->c_path >= 0 ? mf_field(r, (size_t)rp->c_path) : "");
	it->cls = xstrdup(cls);
	it->score = s;
	it->weight = w;
	it->kept = kept;
	it->k1 = k1;
	it->k2 = k2;
	if (!it->id || !it->path || !it->cls) {
		item_free(it);
		return nomem(err);
	}
	return 0;
}

static int
offer(struct heap *h, const struct rp_report *rp, const struct mf_reader *r,
      const char *cls, double s, double w, int kept, double k1, uint64_t k2,
      const char *note, const char *const *cols, struct wn_err *err)
{
	struct item it;

	if (!heap_wants(h, k1, k2))
		return 0;
	if (item_make(&it, rp, r, cls, s, w, kept, k1, k2, err) != 0)
		return -1;
	if (note && !(it.note = xstrdup(note))) {
		item_free(&it);
		return nomem(err);
	}
	for (int i = 0; cols && i < 3; i++)
		if (!(it.col[i] = xstrdup(cols[i]))) {
			item_free(&it);
			return nomem(err);
		}
	return heap_put(h, &it, err);
}

int
rp_pass2(struct rp_report *rp, struct mf_reader *r, struct mf_reader *kr, struct wn_err *err)
{
	struct row x;
	int rc, krc = 0;
	const int B = rp->o.bins;

	if (pool_columns(rp, r, err) != 0)
		return -1;
	rp->scored = rp->c_score >= 0;
	if (!(rp->hist = calloc(2 * (size_t)B, sizeof *rp->hist)))
		return nomem(err);
	rp->have_kept = kr != NULL;
	if (kr) {
		if (!(rp->keptname = xstrdup(mf_name(kr))))
			return nomem(err);
		rp->k_weight = mf_col(kr, "weight");
		if ((krc = mf_next(kr, err)) < 0)
			return -1;
	}
	while ((rc = mf_next(r, err)) > 0) {
		const char *id = mf_id(r);
		size_t idlen = strlen(id), c = 0;
		double w = NAN;
		int kept = -1;

		if (read_row(rp, r, &x, err) != 0)
			return -1;
		if (kr) {
			kept = krc > 0 && strcmp(mf_id(kr), id) == 0;
			if (kept) {
				if (rp->k_weight >= 0) {
					const char *wf = mf_field(kr, (size_t)rp->k_weight);
					if (parse_num(wf, mf_name(kr), mf_lineno(kr), "weight", &w, err) != 0)
						return -1;
					if (!(w > 0))
						return wn_seterr(err, WN_EDATA, "%s:%lld: weight %s is not "
						                 "positive", mf_name(kr), mf_lineno(kr), wf);
				}
				if ((krc = mf_next(kr, err)) < 0)
					return -1;
			}
		}
		const char *cname = rp->c_cls >= 0 ? mf_field(r, (size_t)rp->c_cls) : "";
		if (class_of(rp, cname, &c, err) != 0)
			return -1;
		struct klass *k = &rp->cls[c];
		k->n++;
		rp->n++;
		if (kept > 0) {
			k->kept++;
			rp->nkept++;
		}
		if (rp->scored) {
			int b = bin_of(rp, x.s);
			k->hist[b]++;
			rp->hist[b]++;
			if (kept > 0) {
				k->hist[B + b]++;
				rp->hist[B + b]++;
			}
		}
		/* thumbnails: the highest, lowest and a hash-ranked sample */
		uint64_t h = wn_hash64(rp->o.seed, WN_STREAM_SAMPLE, id, idlen);
		struct heap *g = k->g[kept > 0 ? SIDE_KEPT : SIDE_DROPPED];
		if (rp->scored) {
			if (offer(&g[KIND_HIGH], rp, r, cname, x.s, w, kept, x.s, h, NULL, NULL, err) ||
			    offer(&g[KIND_LOW], rp, r, cname, x.s, w, kept, -x.s, h, NULL, NULL, err))
				return -1;
		}
		if (offer(&g[KIND_RANDOM], rp, r, cname, x.s, w, kept, 0, h, NULL, NULL, err))
			return -1;
		/* near-duplicate groups */
		if (x.rank > 0 && kept > 0)
			rp->dup_kept++;
		if (x.rank >= 0 && rp->ntop > 0) {
			const char *gid = mf_field(r, (size_t)rp->c_group);
			uint64_t gh = strhash(gid);
			for (size_t t = 0; t < rp->ntop; t++) {
				struct topgroup *tg = &rp->top[t];
				if (tg->h != gh)
					continue;
				if (!tg->gid && !(tg->gid = xstrdup(gid)))
					return nomem(err);
				char note[128];
				if (rp->c_nnsim >= 0 && *mf_field(r, (size_t)rp->c_nnsim))
					snprintf(note, sizeof note, "rank %lld, nn_sim %.40s", x.rank,
					         mf_field(r, (size_t)rp->c_nnsim));
				else
					snprintf(note, sizeof note, "rank %lld", x.rank);
				if (offer(&tg->m, rp, r, cname, x.s, w, kept, -(double)x.rank, h, note,
				          NULL, err))
					return -1;
			}
		}
		/* label issues, the lowest label quality first */
		if (x.issue) {
			k->issues++;
			rp->issues++;
			if (kept > 0)
				rp->issues_kept++;
			double q = isnan(x.quality) ? 0 : -x.quality;
			if (heap_wants(&rp->iss, q, h)) {
				char note[600];
				snprintf(note, sizeof note, "given \"%.200s\", suggested \"%.200s\"%s%.40s",
				         rp->c_label >= 0 ? mf_field(r, (size_t)rp->c_label) : "",
				         rp->c_sugg >= 0 ? mf_field(r, (size_t)rp->c_sugg) : "",
				         isnan(x.quality) ? "" : ", quality ",
				         isnan(x.quality) ? "" : mf_field(r, (size_t)rp->c_quality));
				const char *cols[3] = {
					rp->c_label >= 0 ? mf_field(r, (size_t)rp->c_label) : "",
					rp->c_sugg >= 0 ? mf_field(r, (size_t)rp->c_sugg) : "",
					isnan(x.quality) ? "" : mf_field(r, (size_t)rp->c_quality)
				};
				if (offer(&rp->iss, rp, r, cname, x.s, w, kept, q, h, note, cols, err))
					return -1;
			}
		}
		/* pi(s) */
		if (rp->plan) {
			struct sel_key key;
			uint32_t kc;
			if (sel_row_key(rp->plan, id, idlen, mf_field(r, (size_t)rp->c_score), NULL, 0,
			                mf_name(r), mf_lineno(r), &key, &kc, err) != 0 ||
			    sel_plan_add(rp->plan, &key, kc, err) != 0)
				return -1;
		}
		if (kept > 0 && !isnan(w)) {
			rp->wsum += w;
			if (w != 1 && rp->o.have_alpha && x.s > 0) {
				rp->wn_ne1++;
				double lc = -log(w) - rp->o.alpha * log(x.s);
				rp->lc_min = fmin(rp->lc_min, lc);
				rp->lc_max = fmax(rp->lc_max, lc);
			}
		}
	}
	if (rc < 0)
		return -1;
	if (mf_nrows(r) != rp->pass1_rows)
		return wn_seterr(err, WN_EDATA, "%s: %lld rows, %lld the first time: the file "
		                 "changed while being read", mf_name(r), mf_nrows(r), rp->pass1_rows);
	if (krc > 0)
		return wn_seterr(err, WN_EDATA, "%s:%lld: id \"%s\" is not in %s, or not in its "
		                 "order (the kept rows must be an ordered subset of the pool, as "
		                 "winnow-select writes them)", mf_name(kr), mf_lineno(kr), mf_id(kr),
		                 mf_name(r));
	/* pi(s) of biased sampling */
	if (rp->plan) {
		struct sel_decide *d = sel_resolve(rp->plan, err);
		if (!d)
			return -1;
		rp->logc = sel_decide_logc(d);
		rp->pi_budget = sel_decide_budget(d);
		rp->pi_drawn = 1;
		snprintf(rp->pi_note, sizeof rp->pi_note, "pi(s) = min(1, c s^%g), c = %.6g "
		         "resolved from the pool's scores by winnow-select's library for a budget "
		         "of %.6g rows (%s %.6g)", rp->o.alpha, exp(rp->logc), rp->pi_budget,
		         rp->o.count > 0 ? "-n" : "-f",
		         rp->o.count > 0 ? (double)rp->o.count : rp->o.fraction);
		sel_decide_free(d);
		sel_plan_free(rp->plan);
		rp->plan = NULL;
	} else if (rp->o.have_alpha && rp->wn_ne1 > 0) {
		/* weight = 1/pi (winnow-select --reweight): every kept row with
		 * pi < 1 gives log c = -log w - alpha log s; one draw gives one c
		 * (up to the %.9g of the weights) */
		if (rp->lc_max - rp->lc_min > 1e-6 * fmax(1, fabs(rp->lc_min))) {
			snprintf(rp->pi_note, sizeof rp->pi_note, "pi(s) is not drawn: the weights of "
			         "the kept rows do not come from one biased draw with alpha %g (log c "
			         "ranges from %.6g to %.6g)", rp->o.alpha, rp->lc_min, rp->lc_max);
		} else {
			rp->logc = (rp->lc_min + rp->lc_max) / 2;
			rp->pi_drawn = 1;
			snprintf(rp->pi_note, sizeof rp->pi_note, "pi(s) = min(1, c s^%g), c = %.6g "
			         "recovered from the kept rows' weights (weight = 1/pi)", rp->o.alpha,
			         exp(rp->logc));
		}
	} else if (rp->o.have_alpha) {
		snprintf(rp->pi_note, sizeof rp->pi_note, "pi(s) is not drawn: no kept row has a "
		         "weight other than 1 (select without --reweight); give the selection's -f "
		         "or -n with --alpha to recompute it");
	}
	return 0;
}

/* ---- TSV tables (no id column: not manifests) ---- */

/* Split line (no newline) on TABs into at most max fields. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *p = line;; p++) {
		if (n < max)
			f[n] = p;
		n++;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p = '\0';
	}
	return n;
}

/* Read a TSV file with a header, calling row() on every line; rows must
 * have the header's width. */
typedef int row_fn(void *arg, char **f, size_t n, long long line, struct wn_err *err);

static int
read_tsv(FILE *fp, const char *name, row_fn *row, void *arg, struct wn_err *err)
{
	char *line = NULL, **f = NULL;
	size_t cap = 0, ncols = 0;
	ssize_t len;
	long long ln = 0;
	int rc = 0;

	while ((len = getline(&line, &cap, fp)) >= 0) {
		ln++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		const char *why;
		if (memchr(line, '\0', (size_t)len)) {
			rc = wn_seterr(err, WN_EDATA, "%s:%lld: a NUL byte", name, ln);
			break;
		}
		size_t n = 1;
		for (char *p = line; (p = strchr(p, '\t')); p++)
			n++;
		if (ln == 1) {
			ncols = n;
			if (!(f = calloc(ncols, sizeof *f))) {
				rc = nomem(err);
				break;
			}
		} else if (n != ncols) {
			rc = wn_seterr(err, WN_EDATA, "%s:%lld: %zu fields, the header has %zu",
			               name, ln, n, ncols);
			break;
		}
		split_tabs(line, f, ncols);
		for (size_t i = 0; i < ncols; i++) {
			if ((why = mf_field_problem(f[i], strlen(f[i])))) {
				rc = wn_seterr(err, WN_EDATA, "%s:%lld: field %zu %s", name, ln, i + 1, why);
				goto out;
			}
		}
		if ((rc = row(arg, f, ncols, ln, err)) != 0)
			break;
	}
	if (rc == 0 && ferror(fp))
		rc = wn_seterr(err, WN_EIO, "%s: read error: %s", name, strerror(errno));
	if (rc == 0 && ln == 0)
		rc = wn_seterr(err, WN_EDATA, "%s: empty file (a header line was expected)", name);
out:
	free(line);
	free(f);
	return rc;
}

static int
table_row(void *arg, char **f, size_t n, long long line, struct wn_err *err)
{
	struct table *t = arg;

	if (line == 1)
		t->ncols = n;
	else
		t->total++;
	if (line > 1 + TABLE_ROWS)
		return 0;
	char **c = realloc(t->cells, ((size_t)line * n) * sizeof *c);
	if (!c)
		return nomem(err);
	t->cells = c;
	for (size_t i = 0; i < n; i++)
		if (!(c[((size_t)line - 1) * n + i] = xstrdup(f[i]))) {
			for (size_t j = 0; j < i; j++)
				free(c[((size_t)line - 1) * n + j]);
			return nomem(err);
		}
	if (line > 1)
		t->nrows++;
	return 0;
}

int
rp_add_table(struct rp_report *rp, FILE *fp, const char *name, struct wn_err *err)
{
	if (rp->ntab == MAX_TABLES)
		return wn_seterr(err, WN_EUSAGE, "at most %d tables", MAX_TABLES);
	struct table *t = &rp->tab[rp->ntab];
	memset(t, 0, sizeof *t);
	if (!(t->name = xstrdup(name)))
		return nomem(err);
	if (read_tsv(fp, name, table_row, t, err) != 0) {
		table_free(t);
		return -1;
	}
	rp->ntab++;
	return 0;
}

struct sweep_rd {
	struct rp_report *rp;
	const char *name;
	int c_scheme, c_frac, c_acc, c_samples;
};

static int
sweep_row(void *arg, char **f, size_t n, long long line, struct wn_err *err)
{
	struct sweep_rd *s = arg;
	struct rp_report *rp = s->rp;
	double fr, acc, smp = NAN;

	if (line == 1) {
		s->c_scheme = s->c_frac = s->c_acc = s->c_samples = -1;
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(f[i], "scheme")) s->c_scheme = (int)i;
			if (!strcmp(f[i], "fraction")) s->c_frac = (int)i;
			if (!strcmp(f[i], "test_accuracy")) s->c_acc = (int)i;
			if (!strcmp(f[i], "samples")) s->c_samples = (int)i;
		}
		if (s->c_scheme < 0 || s->c_frac < 0 || s->c_acc < 0)
			return wn_seterr(err, WN_EDATA, "%s:1: a sweep's results need the columns "
			                 "scheme, fraction and test_accuracy", s->name);
		return 0;
	}
	if (parse_num(f[s->c_frac], s->name, line, "fraction", &fr, err) != 0 ||
	    parse_num(f[s->c_acc], s->name, line, "test_accuracy", &acc, err) != 0 ||
	    (s->c_samples >= 0 &&
	     parse_num(f[s->c_samples], s->name, line, "samples", &smp, err) != 0))
		return -1;
	if (!(fr > 0 && fr <= 1))
		return wn_seterr(err, WN_EDATA, "%s:%lld: fraction %s is not in (0, 1]", s->name,
		                 line, f[s->c_frac]);
	size_t i;
	for (i = 0; i < rp->nsw; i++)
		if (rp->sw[i].fraction == fr && !strcmp(rp->sw[i].scheme, f[s->c_scheme]))
			break;
	if (i == rp->nsw) {
		if (rp->nsw == MAX_SWEEP)
			return wn_seterr(err, WN_EDATA, "%s:%lld: more than %d (scheme, fraction) "
			                 "pairs", s->name, line, MAX_SWEEP);
		struct sweep *w = realloc(rp->sw, (rp->nsw + 1) * sizeof *w);
		if (!w)
			return nomem(err);
		rp->sw = w;
		memset(&w[i], 0, sizeof w[i]);
		if (!(w[i].scheme = xstrdup(f[s->c_scheme])))
			return nomem(err);
		w[i].fraction = fr;
		rp->nsw++;
	}
	rp->sw[i].n++;
	rp->sw[i].sum += acc;
	rp->sw[i].sumsq += acc * acc;
	rp->sw[i].samples += isnan(smp) ? 0 : smp;
	return 0;
}

static int
sweep_cmp(const void *pa, const void *pb)
{
	const struct sweep *a = pa, *b = pb;
	int c = strcmp(a->scheme, b->scheme);

	if (c)
		return c;
	return (a->fraction > b->fraction) - (a->fraction < b->fraction);
}

int
rp_add_sweep(struct rp_report *rp, FILE *fp, const char *name, struct wn_err *err)
{
	struct sweep_rd s = { rp, name, -1, -1, -1, -1 };

	if (rp->swname)
		return wn_seterr(err, WN_EUSAGE, "one sweep only");
	if (!(rp->swname = xstrdup(name)))
		return nomem(err);
	if (read_tsv(fp, name, sweep_row, &s, err) != 0)
		return -1;
	if (rp->nsw > 1)
		qsort(rp->sw, rp->nsw, sizeof *rp->sw, sweep_cmp);
	return 0;
}

/* ---- thumbnails ---- */

/* The items in the order they get the page budget: round robin over the
 * gallery (per round every class's kept and dropped of each kind), the
 * near-duplicate groups and the label issues. */
struct queue {
	struct item **v;
	size_t n;
};

static int
queue_push(struct queue *q, struct item *it, struct wn_err *err)
{
	struct item **v = realloc(q->v, (q->n + 1) * sizeof *v);

	if (!v)
		return nomem(err);
	q->v = v;
	q->v[q->n++] = it;
	return 0;
}

static void
make_thumb(struct rp_report *rp, struct item *it, struct img_cache *cache, long long *left,
           rp_warn_fn *warn, void *warnarg)
{
	struct img im = { 0 };
	struct wn_err e = { 0 };
	unsigned char *png = NULL;
	size_t len = 0;

	if (rp->o.no_images) {
		it->why = "images not read";
		return;
	}
	if (rp->c_path < 0) {
		it->why = "no path column";
		return;
	}
	if (*it->path == '\0') {
		it->why = "empty path";
		return;
	}
	if (*left <= 0) {
		it->why = "over the page budget";
		rp->over_budget = 1;
		return;
	}
	if (img_load(&im, it->path, IMG_MAX_PIXELS, cache, &e) != 0 ||
	    thumb_png(&im, rp->o.side, &png, &len, &e) != 0) {
		char msg[1200];
		snprintf(msg, sizeof msg, "%s (id %s): %s; a placeholder is shown", it->path, it->id,
		         e.msg);
		if (warn)
			warn(warnarg, msg);
		it->why = "image unreadable";
		img_free(&im);
		return;
	}
	int m = im.w > im.h ? im.w : im.h;
	double sc = m > 0 ? (double)rp->o.side / m : 1;
	if (sc > 2)
		sc = 2;         /* small images at twice their size, no more */
	it->tw = (int)lround(im.w * sc);
	it->th = (int)lround(im.h * sc);
	img_free(&im);
	size_t bl = thumb_b64_len(len);
	static const char pre[] = "data:image/png;base64,";
	if (!(it->uri = malloc(sizeof pre + bl))) {
		free(png);
		it->why = "out of memory";
		return;
	}
	memcpy(it->uri, pre, sizeof pre - 1);
	thumb_b64(png, len, it->uri + sizeof pre - 1);
	free(png);
	*left -= (long long)(sizeof pre + bl + ITEM_OVERHEAD);
	rp->thumb_bytes += (long long)(sizeof pre - 1 + bl);
}

static int
make_thumbs(struct rp_report *rp, rp_warn_fn *warn, void *warnarg, struct wn_err *err)
{
	struct queue q[3] = { { 0 } };
	size_t maxr = (size_t)(rp->o.per_class > 0 ? rp->o.per_class : 0), maxm = 0;
	int rc = -1;

	for (size_t c = 0; c < rp->ncls; c++)
		for (int s = 0; s < 2; s++)
			for (int j = 0; j < NKIND; j++)
				heap_sort(&rp->cls[c].g[s][j]);
	for (size_t r = 0; r < maxr; r++)
		for (size_t c = 0; c < rp->ncls; c++)
			for (int s = 1; s >= 0; s--)
				for (int j = 0; j < NKIND; j++)
					if (r < rp->cls[c].g[s][j].n &&
					    queue_push(&q[0], &rp->cls[c].g[s][j].v[r], err) != 0)
						goto out;
	for (size_t t = 0; t < rp->ntop; t++) {
		heap_sort(&rp->top[t].m);
		if (rp->top[t].m.n > maxm)
			maxm = rp->top[t].m.n;
	}
	for (size_t r = 0; r < maxm; r++)
		for (size_t t = 0; t < rp->ntop; t++)
			if (r < rp->top[t].m.n && queue_push(&q[1], &rp->top[t].m.v[r], err) != 0)
				goto out;
	heap_sort(&rp->iss);
	for (size_t r = 0; r < rp->iss.n; r++)
		if (queue_push(&q[2], &rp->iss.v[r], err) != 0)
			goto out;
	struct img_cache *cache = img_cache_new();
	if (!cache) {
		nomem(err);
		goto out;
	}
	long long left = rp->o.budget;
	size_t at[3] = { 0, 0, 0 };
	for (int more = 1; more;) {
		more = 0;
		for (int k = 0; k < 3; k++)
			if (at[k] < q[k].n) {
				make_thumb(rp, q[k].v[at[k]++], cache, &left, warn, warnarg);
				more = 1;
			}
	}
	img_cache_free(cache);
	rc = 0;
out:
	for (int k = 0; k < 3; k++)
		free(q[k].v);
	return rc;
}

/* ---- the page ---- */

static const char css[] =
"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}\n"
"h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}\n"
"h3{margin:1.2em 0 .3em}h4{margin:.4em 0;font-size:13px;color:#555}\n"
"table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\n"
"th{background:#f3f3f3}td.t,th.t{text-align:left}\n"
".sum{font-size:16px}.note{color:#666;font-style:italic}\n"
".sides{display:flex;gap:1.5em;flex-wrap:wrap}.side{flex:1;min-width:300px;padding:.3em .6em;border-radius:6px}\n"
".side.kept{background:#eef6ee}.side.dropped{background:#f6eeee}\n"
".strip{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-end;margin-bottom:.4em}\n"
"figure{margin:0;width:78px;text-align:center;font-size:11px}\n"
"figure img{image-rendering:pixelated;background:#fff;border:1px solid #bbb}\n"
"figure.k img{border-color:#2a2}figure.mark{outline:3px solid #2a2;border-radius:3px}\n"
"figcaption{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\n"
".ph{width:56px;height:56px;margin:auto;border:1px dashed #999;color:#999;font-size:10px;"
"display:flex;align-items:center;justify-content:center;background:#fafafa}\n"
".mult{display:flex;flex-wrap:wrap;gap:10px}.mult div{font-size:12px}\n"
"svg text{font:11px sans-serif}\n"
"#filter{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #eee;z-index:1}\n";

static const char js[] =
"(function(){var s=document.getElementById('cls');if(!s)return;\n"
"s.addEventListener('change',function(){var v=s.value,e=document.querySelectorAll('[data-class]');\n"
"for(var i=0;i<e.length;i++)e[i].style.display=(v===''||e[i].getAttribute('data-class')===v)?'':'none';});})();\n";

static void
fmt_num(FILE *fp, double v)
{
	if (isnan(v))
		fputs("n/a", fp);
	else
		fprintf(fp, "%.4g", v);
}

static void
figure(FILE *fp, const struct rp_report *rp, const struct item *it, int mark)
{
	fprintf(fp, "<figure class=\"%s%s\" title=\"id: ", it->kept > 0 ? "k" : "",
	        mark ? " mark" : "");
	rp_html_escape(fp, it->id);
	if (rp->by) {
		fprintf(fp, "&#10;%s: ", rp->by);
		rp_html_escape(fp, it->cls);
	}
	if (*it->path) {
		fputs("&#10;path: ", fp);
		rp_html_escape(fp, it->path);
	}
	if (!isnan(it->score))
		fprintf(fp, "&#10;score: %.6g", it->score);
	if (rp->pi_drawn && !isnan(it->score))
		fprintf(fp, "&#10;pi: %.4g", sel_biased_pi(it->score, rp->o.alpha, rp->logc));
	else if (!isnan(it->weight) && it->weight != 1)
		fprintf(fp, "&#10;pi (1/weight): %.4g", 1 / it->weight);
	if (it->kept >= 0)
		fprintf(fp, "&#10;%s", it->kept ? "kept" : "dropped");
	if (it->note) {
		fputs("&#10;", fp);
		rp_html_escape(fp, it->note);
	}
	fputs("\">", fp);
	if (it->uri) {
		fprintf(fp, "<img src=\"%s\" width=\"%d\" height=\"%d\" alt=\"", it->uri, it->tw,
		        it->th);
		rp_html_escape(fp, it->id);
		fputs("\">", fp);
	} else {
		fprintf(fp, "<div class=\"ph\">%s</div>", it->why ? it->why : "no image");
	}
	fputs("<figcaption>", fp);
	rp_html_escape(fp, it->id);
	if (!isnan(it->score))
		fprintf(fp, "<br>%.4g", it->score);
	fputs("</figcaption></figure>\n", fp);
}

/* A stacked histogram (kept over dropped) with the keep rate per bin and
 * pi(s): W x H pixels; axes and labels when big. */
static void
histogram(FILE *fp, const struct rp_report *rp, const long long *hist, int W, int H, int big)
{
	const int B = rp->o.bins;
	int ml = big ? 50 : 4, mr = big ? 40 : 4, mt = 8, mb = big ? 30 : 4;
	double pw = W - ml - mr, ph = H - mt - mb;
	long long mx = 1;

	for (int b = 0; b < B; b++)
		if (hist[b] > mx)
			mx = hist[b];
	fprintf(fp, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W, H);
	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%g\" height=\"%g\" fill=\"#fafafa\" "
	        "stroke=\"#ccc\"/>", ml, mt, pw, ph);
	for (int b = 0; b < B; b++) {
		double x = ml + pw * b / B, bw = pw / B;
		double hd = ph * (double)(hist[b] - hist[B + b]) / mx, hk = ph * (double)hist[B + b] / mx;
		if (hist[b] == 0)
			continue;
		fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
		        "fill=\"%s\"/>", x, mt + ph - hd - hk, bw * 0.92, hd,
		        rp->have_kept ? "#d9a0a0" : "#7f9cc4");
		fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
		        "fill=\"#5a9e5a\"/>", x, mt + ph - hk, bw * 0.92, hk);
	}
	if (rp->have_kept) {
		/* the share kept per bin, on the right axis [0, 1] */
		for (int b = 0; b < B; b++)
			if (hist[b] > 0)
				fprintf(fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%d\" fill=\"#e69500\"/>",
				        ml + pw * (b + 0.5) / B,
				        mt + ph * (1 - (double)hist[B + b] / hist[b]), big ? 3 : 2);
	}
	if (rp->pi_drawn && rp->hi > rp->lo) {
		fputs("<polyline fill=\"none\" stroke=\"#1f4fd1\" stroke-width=\"2\" points=\"", fp);
		for (int i = 0; i <= 200; i++) {
			double s = rp->lo + (rp->hi - rp->lo) * i / 200.0;
			double pi = sel_biased_pi(s, rp->o.alpha, rp->logc);
			fprintf(fp, "%.2f,%.2f ", ml + pw * i / 200.0, mt + ph * (1 - pi));
		}
		fputs("\"/>", fp);
	}
	if (big) {
		fprintf(fp, "<text x=\"%d\" y=\"%d\">%.4g</text>", ml, H - 12, rp->lo);
		fprintf(fp, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\">score</text>",
		        ml + pw / 2, H - 2);
		fprintf(fp, "<text x=\"%g\" y=\"%d\" text-anchor=\"end\">%.4g</text>", ml + pw,
		        H - 12, rp->hi);
		fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>", ml - 4,
		        mt + 10, mx);
		fprintf(fp, "<text x=\"%d\" y=\"%g\" text-anchor=\"end\">0</text>", ml - 4, mt + ph);
		fprintf(fp, "<text x=\"%g\" y=\"%d\">1</text>", ml + pw + 4, mt + 10);
		fprintf(fp, "<text x=\"%g\" y=\"%g\">0</text>", ml + pw + 4, mt + ph);
	}
	fputs("</svg>", fp);
}

static void
section_gallery(FILE *fp, const struct rp_report *rp)
{
	fputs("<section id=\"gallery\"><h2>Kept and dropped per class</h2>\n", fp);
	fprintf(fp, "<p class=\"note\">Per class: the %d highest and lowest scores and %d rows "
	        "ranked by a hash of (seed %llu, id); hover for id, class, path, score%s.</p>\n",
	        rp->o.per_class, rp->o.per_class, (unsigned long long)rp->o.seed,
	        rp->pi_drawn ? " and pi" : "");
	for (size_t c = 0; c < rp->ncls; c++) {
		const struct klass *k = &rp->cls[c];
		fputs("<div class=\"cls\" data-class=\"c:", fp);
		rp_html_escape(fp, k->name);
		fputs("\"><h3>", fp);
		rp_html_escape(fp, *k->name ? k->name : "(empty)");
		if (rp->have_kept)
			fprintf(fp, " <small>kept %lld of %lld</small>", k->kept, k->n);
		else
			fprintf(fp, " <small>%lld rows</small>", k->n);
		fputs("</h3><div class=\"sides\">\n", fp);
		for (int s = 1; s >= 0; s--) {
			if (!rp->have_kept && s == SIDE_KEPT)
				continue;
			fprintf(fp, "<div class=\"side %s\"><h4>%s</h4>\n",
			        !rp->have_kept ? "pool" : s ? "kept" : "dropped",
			        !rp->have_kept ? "pool" : s ? "kept" : "dropped");
			int any = 0;
			for (int j = 0; j < NKIND; j++) {
				const struct heap *h = &k->g[s][j];
				if (h->n == 0)
					continue;
				any = 1;
				fprintf(fp, "<div>%s</div><div class=\"strip\">\n", kind_name[j]);
				for (size_t i = 0; i < h->n; i++)
					figure(fp, rp, &h->v[i], 0);
				fputs("</div>\n", fp);
			}
			if (!any)
				fputs("<p class=\"note\">none</p>\n", fp);
			fputs("</div>\n", fp);
		}
		fputs("</div></div>\n", fp);
	}
	fputs("</section>\n", fp);
}

static void
section_score(FILE *fp, const struct rp_report *rp)
{
	fprintf(fp, "<section id=\"score\"><h2>The score</h2>\n<p>Column <code>");
	rp_html_escape(fp, rp->o.score);
	fprintf(fp, "</code> from %.6g to %.6g in %d bins: ", rp->lo, rp->hi, rp->o.bins);
	if (rp->have_kept)
		fputs("<span style=\"color:#5a9e5a\">&#9632; kept</span> "
		      "<span style=\"color:#d9a0a0\">&#9632; dropped</span>", fp);
	else
		fputs("<span style=\"color:#7f9cc4\">&#9632; rows</span>", fp);
	if (rp->have_kept)
		fputs(" <span style=\"color:#e69500\">&#9679; share kept per bin</span> (right axis)",
		      fp);
	if (rp->pi_drawn)
		fputs(" <span style=\"color:#1f4fd1\">&#9473; pi(s)</span>", fp);
	fputs(".</p>\n", fp);
	if (*rp->pi_note) {
		fputs("<p>", fp);
		rp_html_escape(fp, rp->pi_note);
		fputs(".</p>\n", fp);
	}
	if (rp->have_kept) {
		fprintf(fp, "<p>Budget reached: <b>%lld</b> rows kept of %lld (%.2f%%)", rp->nkept,
		        rp->n, 100.0 * rp->nkept / rp->n);
		if (rp->pi_drawn && rp->pi_budget > 0)
			fprintf(fp, "; the budget pi sums to is %.6g rows", rp->pi_budget);
		if (rp->k_weight >= 0)
			fprintf(fp, "; the kept weights sum to %.6g", rp->wsum);
		fputs(".</p>\n", fp);
	}
	histogram(fp, rp, rp->hist, 720, 240, 1);
	fputs("<h3>Per class</h3><div class=\"mult\">\n", fp);
	for (size_t c = 0; c < rp->ncls; c++) {
		fputs("<div data-class=\"c:", fp);
		rp_html_escape(fp, rp->cls[c].name);
		fputs("\">", fp);
		rp_html_escape(fp, *rp->cls[c].name ? rp->cls[c].name : "(empty)");
		fputs("<br>", fp);
		histogram(fp, rp, rp->cls[c].hist, 220, 80, 0);
		fputs("</div>\n", fp);
	}
	fputs("</div></section>\n", fp);
}

static void
section_balance(FILE *fp, const struct rp_report *rp)
{
	fputs("<section id=\"balance\"><h2>Class balance</h2>\n", fp);
	fputs("<p class=\"note\">SageMaker Clarify's pre-training metrics, one class against the "
	      "rest as Clarify does for a facet of many values. CI = (n<sub>a</sub> - "
	      "n<sub>d</sub>) / (n<sub>a</sub> + n<sub>d</sub>) with facet d the class and facet "
	      "a the other classes, in the pool and in the kept set (0: the class is half the "
	      "set; towards 1: rarer). DPL = q<sub>a</sub> - q<sub>d</sub> with facet a the pool, "
	      "facet d the kept set and the class as the positive label: the share of the class "
	      "in the pool less its share in the kept set (&gt; 0: pruning made it rarer).</p>\n",
	      fp);
	fputs("<table id=\"balance-table\"><tr><th class=\"t\">class</th><th>pool</th>", fp);
	if (rp->have_kept)
		fputs("<th>kept</th><th>dropped</th><th>kept share</th>", fp);
	fputs("<th>CI pool</th>", fp);
	if (rp->have_kept)
		fputs("<th>CI kept</th><th>DPL pool vs kept</th>", fp);
	fputs("</tr>\n", fp);
	for (size_t c = 0; c < rp->ncls; c++) {
		const struct klass *k = &rp->cls[c];
		fputs("<tr data-class=\"c:", fp);
		rp_html_escape(fp, k->name);
		fputs("\"><td class=\"t\">", fp);
		rp_html_escape(fp, *k->name ? k->name : "(empty)");
		fprintf(fp, "</td><td class=\"n-pool\">%lld</td>", k->n);
		if (rp->have_kept) {
			fprintf(fp, "<td class=\"n-kept\">%lld</td><td class=\"n-dropped\">%lld</td>"
			        "<td>%.2f%%</td>", k->kept, k->n - k->kept, 100.0 * k->kept / k->n);
		}
		fputs("<td class=\"ci-pool\">", fp);
		fmt_num(fp, rp_ci(rp->n - k->n, k->n));
		fputs("</td>", fp);
		if (rp->have_kept) {
			fputs("<td class=\"ci-kept\">", fp);
			fmt_num(fp, rp_ci(rp->nkept - k->kept, k->kept));
			fputs("</td><td class=\"dpl\">", fp);
			fmt_num(fp, rp_dpl(k->n, rp->n, k->kept, rp->nkept));
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	fprintf(fp, "<tr><th class=\"t\">all</th><th>%lld</th>", rp->n);
	if (rp->have_kept)
		fprintf(fp, "<th>%lld</th><th>%lld</th><th>%.2f%%</th><th></th><th></th><th></th>",
		        rp->nkept, rp->n - rp->nkept, 100.0 * rp->nkept / rp->n);
	else
		fputs("<th></th>", fp);
	fputs("</tr></table></section>\n", fp);
}

static void
section_dups(FILE *fp, const struct rp_report *rp)
{
	fputs("<section id=\"dups\"><h2>Near-duplicate groups</h2>\n", fp);
	fprintf(fp, "<p><b id=\"n-dup-rows\">%lld</b> rows are near-duplicates of another "
	        "(dup_rank &gt; 0) in %zu groups", rp->dup_rows, rp->gused);
	if (rp->have_kept)
		fprintf(fp, "; %lld of them were kept by the selection", rp->dup_kept);
	fputs(".", fp);
	if (rp->dup_untracked)
		fprintf(fp, " %lld duplicate rows of groups beyond the first %lld were not counted "
		        "in group sizes.", rp->dup_untracked, rp->o.max_groups);
	fprintf(fp, " The %zu largest groups; the kept member (dup_rank 0) is framed.</p>\n",
	        rp->ntop);
	for (size_t t = 0; t < rp->ntop; t++) {
		const struct topgroup *g = &rp->top[t];
		fputs("<div class=\"grp\"><h3>group ", fp);
		rp_html_escape(fp, g->gid ? g->gid : "?");
		fprintf(fp, " <small>%lld rows</small></h3><div class=\"strip\">\n", g->n + 1);
		for (size_t i = 0; i < g->m.n; i++)
			figure(fp, rp, &g->m.v[i], g->m.v[i].k1 == 0);
		fputs("</div></div>\n", fp);
	}
	fputs("</section>\n", fp);
}

static void
section_issues(FILE *fp, const struct rp_report *rp)
{
	fputs("<section id=\"issues\"><h2>Label issues</h2>\n", fp);
	fprintf(fp, "<p><b id=\"n-issues\">%lld</b> rows flagged (label_issue = 1)", rp->issues);
	if (rp->have_kept)
		fprintf(fp, ", %lld of them kept", rp->issues_kept);
	fprintf(fp, "; the %zu with the lowest label quality:</p>\n", rp->iss.n);
	fputs("<table><tr><th class=\"t\">image</th><th class=\"t\">id</th><th class=\"t\">"
	      "given label</th><th class=\"t\">suggested label</th><th>label quality</th>"
	      "</tr>\n", fp);
	for (size_t i = 0; i < rp->iss.n; i++) {
		const struct item *it = &rp->iss.v[i];
		fputs("<tr data-class=\"c:", fp);
		rp_html_escape(fp, it->cls);
		fputs("\"><td class=\"t\">", fp);
		figure(fp, rp, it, 0);
		fputs("</td><td class=\"t\">", fp);
		rp_html_escape(fp, it->id);
		for (int c = 0; c < 3; c++) {
			fputs(c < 2 ? "</td><td class=\"t\">" : "</td><td class=\"quality\">", fp);
			rp_html_escape(fp, it->col[c] ? it->col[c] : "");
		}
		fputs("</td></tr>\n", fp);
	}
	fputs("</table></section>\n", fp);
}

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"
};

static void
section_sweep(FILE *fp, const struct rp_report *rp)
{
	double x0 = 1, x1 = 0, y0 = INFINITY, y1 = -INFINITY;
	const int W = 720, H = 300, ml = 60, mr = 150, mt = 10, mb = 35;
	double pw = W - ml - mr, ph = H - mt - mb;

	fputs("<section id=\"sweep\"><h2>Accuracy against the fraction kept</h2>\n<p>From ", fp);
	rp_html_escape(fp, rp->swname);
	fputs(": the mean test accuracy over the seeds.</p>\n", fp);
	for (size_t i = 0; i < rp->nsw; i++) {
		double m = rp->sw[i].sum / rp->sw[i].n;
		x0 = fmin(x0, rp->sw[i].fraction);
		x1 = fmax(x1, rp->sw[i].fraction);
		y0 = fmin(y0, m);
		y1 = fmax(y1, m);
	}
	if (!(x1 > x0)) {
		x0 = 0;
		x1 = 1;
	}
	if (!(y1 > y0)) {
		y0 -= 0.01;
		y1 += 0.01;
	}
	double pad = (y1 - y0) * 0.08;
	y0 -= pad;
	y1 += pad;
	fprintf(fp, "<svg width=\"%d\" height=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"%g\" "
	        "height=\"%g\" fill=\"#fafafa\" stroke=\"#ccc\"/>", W, H, ml, mt, pw, ph);
	size_t ns = 0;
	for (size_t i = 0; i < rp->nsw;) {
		size_t j = i;
		while (j < rp->nsw && !strcmp(rp->sw[j].scheme, rp->sw[i].scheme))
			j++;
		const char *col = palette[ns % 8];
		fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
		        col, j - i == 1 ? " stroke-dasharray=\"4 3\"" : "");
		for (size_t k = i; k < j; k++)
			fprintf(fp, "%.2f,%.2f ", ml + pw * (rp->sw[k].fraction - x0) / (x1 - x0),
			        mt + ph * (1 - (rp->sw[k].sum / rp->sw[k].n - y0) / (y1 - y0)));
		if (j - i == 1)     /* one fraction (all the data): a flat line */
			fprintf(fp, "%.2f,%.2f", (double)ml,
			        mt + ph * (1 - (rp->sw[i].sum / rp->sw[i].n - y0) / (y1 - y0)));
		fputs("\"/>", fp);
		for (size_t k = i; k < j; k++)
			fprintf(fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>",
			        ml + pw * (rp->sw[k].fraction - x0) / (x1 - x0),
			        mt + ph * (1 - (rp->sw[k].sum / rp->sw[k].n - y0) / (y1 - y0)), col);
		fprintf(fp, "<text x=\"%g\" y=\"%zu\" fill=\"%s\">", ml + pw + 10, mt + 14 + 16 * ns,
		        col);
		rp_html_escape(fp, rp->sw[i].scheme);
		fputs("</text>", fp);
		ns++;
		i = j;
	}
	fprintf(fp, "<text x=\"%d\" y=\"%d\">%.3g</text><text x=\"%g\" y=\"%d\" "
	        "text-anchor=\"end\">%.3g</text><text x=\"%g\" y=\"%d\" text-anchor=\"middle\">"
	        "fraction kept</text>", ml, H - 20, x0, ml + pw, H - 20, x1, ml + pw / 2, H - 4);
	fprintf(fp, "<text x=\"%d\" y=\"%g\" text-anchor=\"end\">%.4f</text><text x=\"%d\" "
	        "y=\"%d\" text-anchor=\"end\">%.4f</text></svg>\n", ml - 4, mt + ph, y0, ml - 4,
	        mt + 10, y1);
	fputs("<table><tr><th class=\"t\">scheme</th><th>fraction</th><th>runs</th>"
	      "<th>mean samples</th><th>mean test accuracy</th><th>sd</th></tr>\n", fp);
	for (size_t i = 0; i < rp->nsw; i++) {
		const struct sweep *w = &rp->sw[i];
		double m = w->sum / w->n;
		double var = w->n > 1 ? (w->sumsq - w->n * m * m) / (w->n - 1) : 0;
		fputs("<tr><td class=\"t\">", fp);
		rp_html_escape(fp, w->scheme);
		fprintf(fp, "</td><td>%g</td><td>%lld</td><td>%.0f</td><td>%.4f</td><td>%.4f</td>"
		        "</tr>\n", w->fraction, w->n, w->samples / w->n, m, sqrt(fmax(var, 0)));
	}
	fputs("</table></section>\n", fp);
}

static void
section_tables(FILE *fp, const struct rp_report *rp)
{
	fputs("<section id=\"tables\"><h2>Tables</h2>\n", fp);
	for (size_t t = 0; t < rp->ntab; t++) {
		const struct table *tb = &rp->tab[t];
		fputs("<h3>", fp);
		rp_html_escape(fp, tb->name);
		fputs("</h3><table>", fp);
		for (size_t r = 0; r <= tb->nrows; r++) {
			fputs("<tr>", fp);
			for (size_t c = 0; c < tb->ncols; c++) {
				fputs(r ? "<td class=\"t\">" : "<th class=\"t\">", fp);
				rp_html_escape(fp, tb->cells[r * tb->ncols + c]);
				fputs(r ? "</td>" : "</th>", fp);
			}
			fputs("</tr>\n", fp);
		}
		fputs("</table>\n", fp);
		if (tb->total > (long long)tb->nrows)
			fprintf(fp, "<p class=\"note\">the first %zu of %lld rows</p>\n", tb->nrows,
			        tb->total);
	}
	fputs("</section>\n", fp);
}

int
rp_write(struct rp_report *rp, FILE *fp, const char *fpname, rp_warn_fn *warn, void *warnarg,
         struct wn_err *err)
{
	int dups = rp->c_group >= 0, iss = rp->c_issue >= 0;

	if (make_thumbs(rp, warn, warnarg, err) != 0)
		return -1;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"winnow-report " WINNOW_VERSION "\">\n<title>", fp);
	rp_html_escape(fp, rp->o.title);
	fprintf(fp, "</title>\n<style>\n%s</style></head><body>\n<h1>", css);
	rp_html_escape(fp, rp->o.title);
	fputs("</h1>\n<p class=\"sum\">Pool ", fp);
	rp_html_escape(fp, rp->pool);
	fprintf(fp, ": <b id=\"n-pool\">%lld</b> rows", rp->n);
	if (rp->have_kept) {
		fputs("; kept (", fp);
		rp_html_escape(fp, rp->keptname);
		fprintf(fp, "): <b id=\"n-kept\">%lld</b>, dropped <b id=\"n-dropped\">%lld</b> "
		        "(%.2f%% kept)", rp->nkept, rp->n - rp->nkept, 100.0 * rp->nkept / rp->n);
	}
	fprintf(fp, "; <span id=\"n-classes\">%zu</span> classes", rp->ncls);
	if (rp->by) {
		fputs(" by column <code>", fp);
		rp_html_escape(fp, rp->by);
		fputs("</code>", fp);
	}
	fputs(".</p>\n", fp);
	/* the class filter */
	fputs("<div id=\"filter\">Class: <select id=\"cls\"><option value=\"\">all classes"
	      "</option>", fp);
	for (size_t c = 0; c < rp->ncls; c++) {
		fputs("<option value=\"c:", fp);
		rp_html_escape(fp, rp->cls[c].name);
		fputs("\">", fp);
		rp_html_escape(fp, *rp->cls[c].name ? rp->cls[c].name : "(empty)");
		fputs("</option>", fp);
	}
	fputs("</select> &nbsp; ", fp);
	if (rp->scored)
		fputs("<a href=\"#score\">score</a> &middot; ", fp);
	fputs("<a href=\"#balance\">class balance</a>", fp);
	if (rp->swname)
		fputs(" &middot; <a href=\"#sweep\">sweep</a>", fp);
	if (rp->ntab)
		fputs(" &middot; <a href=\"#tables\">tables</a>", fp);
	if (rp->o.per_class > 0)
		fputs(" &middot; <a href=\"#gallery\">kept and dropped</a>", fp);
	if (dups)
		fputs(" &middot; <a href=\"#dups\">near-duplicates</a>", fp);
	if (iss)
		fputs(" &middot; <a href=\"#issues\">label issues</a>", fp);
	fputs("</div>\n", fp);

	/* what is left out, and why */
	fputs("<ul id=\"omitted\" class=\"note\">\n", fp);
	if (!rp->have_kept)
		fputs("<li>No kept rows given (--kept): the pool is shown without a selection.</li>\n",
		      fp);
	if (!rp->scored) {
		fputs("<li>The score section is left out: the pool has no <code>", fp);
		rp_html_escape(fp, rp->o.score);
		fputs("</code> column (thumbnails are a random sample only).</li>\n", fp);
	}
	if (!rp->by)
		fputs("<li>No class column (<code>label</code> or <code>pred</code>, or --by): one "
		      "class for every row.</li>\n", fp);
	if (rp->c_path < 0)
		fputs("<li>No <code>path</code> column: no images.</li>\n", fp);
	if (!dups)
		fputs("<li>Near-duplicate groups are left out: no <code>dup_group</code> and "
		      "<code>dup_rank</code> columns (winnow-dedup).</li>\n", fp);
	if (!iss)
		fputs("<li>Label issues are left out: no <code>label_issue</code> column "
		      "(winnow-audit).</li>\n", fp);
	if (!rp->swname)
		fputs("<li>Accuracy against the fraction kept is left out: no sweep results "
		      "(--sweep).</li>\n", fp);
	if (rp->o.per_class == 0)
		fputs("<li>Kept and dropped per class is left out (--per-class 0).</li>\n", fp);
	if (rp->over_budget)
		fprintf(fp, "<li>The thumbnails reached the page budget (%lld bytes, --budget): "
		        "the rest are placeholders.</li>\n", rp->o.budget);
	fputs("</ul>\n", fp);

	/* the summaries first, then the galleries */
	if (rp->scored)
		section_score(fp, rp);
	section_balance(fp, rp);
	if (rp->swname)
		section_sweep(fp, rp);
	if (rp->ntab)
		section_tables(fp, rp);
	if (rp->o.per_class > 0)
		section_gallery(fp, rp);
	if (dups)
		section_dups(fp, rp);
	if (iss)
		section_issues(fp, rp);
	fprintf(fp, "<footer class=\"note\"><p>winnow-report %s</p></footer>\n<script>\n%s"
	        "</script>\n</body></html>\n", WINNOW_VERSION, js);
	if (ferror(fp))
		return wn_seterr(err, WN_EIO, "%s: write error: %s", fpname, strerror(errno));
	return 0;
}
