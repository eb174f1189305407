/*
 * winnow-select - choose the rows of a scored manifest to keep.
 *
 *   winnow-select [OPTIONS] [MANIFEST]
 *   winnow-select plan [OPTIONS] [-o PLAN] [MANIFEST]
 *   winnow-select plan --merge [-o PLAN] PLAN...
 *   winnow-select apply --plan PLAN [-o FILE] [--jsonl] [MANIFEST]
 *
 * The schemes and their plans are in lib/select.c; see winnow-select(1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "gt.h"
#include "hash.h"
#include "idcheck.h"
#include "manifest.h"
#include "opt.h"
#include "prog.h"
#include "select.h"
#include "spool.h"

/* Options that apply may repeat, to check them against the plan. */
enum {
	G_SCHEME = 1 << 0, G_BUDGET = 1 << 1, G_SEED = 1 << 2, G_SCORE = 1 << 3,
	G_BY = 1 << 4, G_WITHIN = 1 << 5, G_BALANCED = 1 << 6, G_ALPHA = 1 << 7,
	G_CUTOFF = 1 << 8, G_STRATA = 1 << 9, G_MIN = 1 << 10, G_MAX = 1 << 11,
	G_REWEIGHT = 1 << 12
};

static struct {
	struct sel_opts s;
	unsigned given;         /* G_* bits set on the command line or config */
	const char *out;        /* -o */
	int jsonl;
	int merge;              /* plan --merge */
	const char *plan;       /* apply --plan */
	const char *kept;       /* --kept: rows kept before */
} opt;

/* The rows of --kept: their sorted hashes under (seed, WN_STREAM_SELECT),
 * 8 bytes a row (the ids themselves are never held), and whether the
 * input has shown each one yet. */
static struct {
	uint64_t *h;
	unsigned char *seen;
	size_t n;
} prior;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-select [-f FRACTION | -n COUNT] [-s SCHEME] [--score COLUMN]\n"
	    "                     [--seed S] [--by COLUMN] [--balanced] [--within SCHEME]\n"
	    "                     [--cutoff BETA] [--strata K] [--alpha A] [--reweight]\n"
	    "                     [--min T] [--max T] [--kept KEPT] [--jsonl] [-o FILE]\n"
	    "                     [-c CONFIG] [MANIFEST]\n"
	    "       winnow-select plan [OPTIONS] [-o PLAN] [MANIFEST]\n"
	    "       winnow-select plan --merge [-o PLAN] PLAN...\n"
	    "       winnow-select apply --plan PLAN [--jsonl] [-o FILE] [MANIFEST]\n"
	    "schemes: random top bottom stratified ccs biased threshold\n");
}

enum {
	O_ALPHA = 256, O_BALANCED, O_BY, O_CUTOFF, O_JSONL, O_KEPT, O_MAX, O_MERGE, O_MIN,
	O_PLAN, O_REWEIGHT, O_SCORE, O_SEED, O_STRATA, O_WITHIN
};

static void
handle(int c, const char *arg)
{
	static const char *const within[] = { "random", "top", "bottom", NULL };
	static const int within_scheme[] = { SEL_RANDOM, SEL_TOP, SEL_BOTTOM };

	switch (c) {
	case 'c': break;    /* the config file: read by opt_parse */
	case 'f':
		opt.s.fraction = opt_double(arg, 0, 1);
		if (!(opt.s.fraction > 0))
			opt_fail("fraction %s is outside (0, 1]", arg);
		opt.s.by_count = 0;
		opt.given |= G_BUDGET;
		break;
	case 'h': usage(stdout); exit(0);
	case 'n':
		opt.s.count = opt_int(arg, 0, (long long)1 << 52);
		opt.s.by_count = 1;
		opt.given |= G_BUDGET;
		break;
	case 'o': opt.out = arg; break;
	case 's': opt.s.scheme = opt_choice(arg, sel_scheme_names); opt.given |= G_SCHEME; break;
	case O_ALPHA: opt.s.alpha = opt_double(arg, -1e6, 1e6); opt.given |= G_ALPHA; break;
	case O_BALANCED: opt.s.balanced = 1; opt.given |= G_BALANCED; break;
	case O_BY: opt.s.by = arg; opt.given |= G_BY; break;
	case O_CUTOFF:
		opt.s.cutoff = opt_double(arg, 0, 1);
		if (opt.s.cutoff >= 1)
			opt_fail("%s is out of range ([0, 1): the share of hardest rows to drop)", arg);
		opt.given |= G_CUTOFF;
		break;
	case O_JSONL: opt.jsonl = 1; break;
	case O_KEPT: opt.kept = arg; break;
	case O_MAX: opt.s.tmax = opt_double(arg, -HUGE_VAL, HUGE_VAL); opt.given |= G_MAX; break;
	case O_MERGE: opt.merge = 1; break;
	case O_MIN: opt.s.tmin = opt_double(arg, -HUGE_VAL, HUGE_VAL); opt.given |= G_MIN; break;
	case O_PLAN: opt.plan = arg; break;
	case O_REWEIGHT: opt.s.reweight = 1; opt.given |= G_REWEIGHT; break;
	case O_SCORE: opt.s.score = arg; opt.given |= G_SCORE; break;
	case O_SEED: opt.s.seed = opt_seed(arg); opt.given |= G_SEED; break;
	case O_STRATA: opt.s.strata = (int)opt_int(arg, 1, 1000000); opt.given |= G_STRATA; break;
	case O_WITHIN: opt.s.within = within_scheme[opt_choice(arg, within)]; opt.given |= G_WITHIN; break;
	}
}

static const struct option longopts[] = {
	{ "alpha", required_argument, 0, O_ALPHA },
	{ "balanced", no_argument, 0, O_BALANCED },
	{ "by", required_argument, 0, O_BY },
	{ "config", required_argument, 0, 'c' },
	{ "count", required_argument, 0, 'n' },
	{ "cutoff", required_argument, 0, O_CUTOFF },
	{ "fraction", required_argument, 0, 'f' },
	{ "help", no_argument, 0, 'h' },
	{ "jsonl", no_argument, 0, O_JSONL },
	{ "kept", required_argument, 0, O_KEPT },
	{ "max", required_argument, 0, O_MAX },
	{ "merge", no_argument, 0, O_MERGE },
	{ "min", required_argument, 0, O_MIN },
	{ "output", required_argument, 0, 'o' },
	{ "plan", required_argument, 0, O_PLAN },
	{ "reweight", no_argument, 0, O_REWEIGHT },
	{ "scheme", required_argument, 0, 's' },
	{ "score", required_argument, 0, O_SCORE },
	{ "seed", required_argument, 0, O_SEED },
	{ "strata", required_argument, 0, O_STRATA },
	{ "within", required_argument, 0, O_WITHIN },
	{ 0, 0, 0, 0 }
};

/* Columns a manifest must have for the options; -1 when not needed. */
struct cols {
	int id, score, cls;
};

static struct cols
find_cols(const struct mf_reader *r, const struct sel_opts *s)
{
	struct cols c = { mf_col(r, "id"), -1, -1 };

	if (sel_needs_score(s) && (c.score = mf_col(r, s->score)) < 0)
		die(WN_EDATA, "%s:1: no column \"%s\" (choose the score column with --score)",
		    mf_name(r), s->score);
	if (sel_needs_class(s) && (c.cls = mf_col(r, s->by)) < 0)
		die(WN_EDATA, "%s:1: no column \"%s\" (choose the class column with --by)",
		    mf_name(r), s->by);
	return c;
}

/* The key of the current row. */
static void
row_key(struct sel_plan *p, const struct mf_reader *r, struct cols c, int add_class,
        struct sel_key *key, uint32_t *cls)
{
	struct wn_err err = { 0 };

	if (sel_row_key(p, mf_id(r), mf_fieldlen(r, (size_t)c.id),
	    c.score >= 0 ? mf_field(r, (size_t)c.score) : NULL,
	    c.cls >= 0 ? mf_field(r, (size_t)c.cls) : NULL,
	    add_class, mf_name(r), mf_lineno(r), key, cls, &err) != 0)
		die_err(&err);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Read the ids of the --kept manifest. */
static void
load_prior(const char *path)
{
	struct wn_err err = { 0 };
	FILE *fp = efopen_input(path);
	struct mf_reader *r;
	size_t cap = 0;
	int rc;

	if ((r = mf_open(fp, input_name(path), MF_CHECK_DUPS, &err)) == NULL)
		die_err(&err);
	while ((rc = mf_next(r, &err)) > 0) {
		if (prior.n == cap) {
			cap = cap ? cap * 2 : 1024;
			prior.h = ereallocarray(prior.h, cap, sizeof *prior.h);
		}
		const char *id = mf_id(r);
		prior.h[prior.n++] = wn_hash64(opt.s.seed, WN_STREAM_SELECT, id, strlen(id));
	}
	if (rc < 0)
		die_err(&err);
	mf_close(r);
	if (fp != stdin)
		fclose(fp);
	qsort(prior.h, prior.n, sizeof *prior.h, cmp_u64);
	for (size_t i = 1; i < prior.n; i++)
		if (prior.h[i] == prior.h[i - 1])
			die(WN_EDATA, "%s: two ids with the same 64-bit hash %016llx under "
			    "seed %llu: try another --seed", input_name(path),
			    (unsigned long long)prior.h[i], (unsigned long long)opt.s.seed);
	prior.seen = ecalloc(prior.n + 1, 1);
}

/* Index + 1 in prior of the current row's id, 0 if it was not kept before. */
static size_t
prior_find(const struct mf_reader *r)
{
	if (prior.n == 0)
		return 0;
	const char *id = mf_id(r);
	uint64_t h = wn_hash64(opt.s.seed, WN_STREAM_SELECT, id, strlen(id));
	const uint64_t *at = bsearch(&h, prior.h, prior.n, sizeof h, cmp_u64);
	return at ? (size_t)(at - prior.h) + 1 : 0;
}

/* Die naming the lines of the two rows whose id hashes to h. */
static noreturn void
report_dup(struct spool *sp, const char *name, uint64_t h)
{
	struct wn_err err = { 0 };
	struct mf_reader *r;
	long long first = 0;
	int rc;

	if (spool_rewind(sp, &err) != 0 || (r = mf_open(sp->fp, name, 0, &err)) == NULL)
		die_err(&err);
	while ((rc = mf_next(r, &err)) > 0) {
		const char *id = mf_id(r);
		if (wn_hash64(opt.s.seed, WN_STREAM_SELECT, id, strlen(id)) != h)
			continue;
		if (first > 0)
			die(WN_EDATA, "%s:%lld: duplicate id \"%s\" (first on line %lld)",
			    name, mf_lineno(r), id, first);
		first = mf_lineno(r);
	}
	if (rc < 0)
		die_err(&err);
	die(WN_EDATA, "%s: two ids with the same 64-bit hash %016llx under seed %llu: "
	    "try another --seed", name, (unsigned long long)h, (unsigned long long)opt.s.seed);
}

/* Pass 1: the plan of every row of the manifest on sp (expect > 0: the
 * rows it holds, known from an earlier pass).  Ids must be
 * unique: checked through their key hashes (lib/idcheck.h: 64 MiB of
 * memory at most, past it 8 bytes a row in $TMPDIR), whatever the plan
 * keeps, so that memory does not grow with the rows. */
static struct sel_plan *
build_plan(struct spool *sp, const char *name, long long expect)
{
	struct wn_err err = { 0 };
	struct sel_plan *p;
	struct idcheck *ids;
	struct mf_reader *r;
	struct sel_key key;
	uint32_t cls;
	struct cols c;
	int rc;
	uint64_t dup;

	if ((p = sel_plan_new(&opt.s, &err)) == NULL ||
	    (ids = idc_new(0, &err)) == NULL ||
	    (r = mf_open(sp->fp, name, 0, &err)) == NULL)
		die_err(&err);
	if (expect > 0)
		sel_plan_expect_rows(p, expect);
	c = find_cols(r, &opt.s);
	while ((rc = mf_next(r, &err)) > 0) {
		size_t k = prior_find(r);

		if (k > 0) {
			/* kept before: counted in the budget, never drawn */
			if (prior.seen[k - 1]) {
				rc = wn_seterr(&err, WN_EDATA, "%s:%lld: duplicate id \"%s\"",
				    name, mf_lineno(r), mf_id(r));
				break;
			}
			prior.seen[k - 1] = 1;
			sel_plan_add_prior(p);
			continue;
		}
		row_key(p, r, c, 1, &key, &cls);
		if (sel_plan_add(p, &key, cls, &err) != 0 || idc_add(ids, key.h, &err) != 0) {
			rc = -1;
			break;
		}
	}
	mf_close(r);
	if (rc < 0) {
		/* freed first: LeakSanitizer */
		idc_free(ids);
		sel_plan_free(p);
		die_err(&err);
	}
	if ((rc = idc_find_dup(ids, &dup, &err)) < 0)
		die_err(&err);
	idc_free(ids);
	if (rc > 0) {
		sel_plan_free(p);   /* LeakSanitizer: report_dup dies */
		report_dup(sp, name, dup);
	}
	return p;
}

/* Write the kept rows of the manifest on fp, as decided by d. */
static long long
write_kept(FILE *fp, const char *name, struct sel_plan *p, const struct sel_decide *d,
           int check_dups)
{
	const struct sel_opts *s = sel_plan_opts(p);
	struct wn_err err = { 0 };
	const char *outname = opt.out ? opt.out : "<stdout>";
	const char *set[2], *values[2];
	char wbuf[64], sbuf[32];
	struct mf_reader *r;
	struct wn_out out;
	struct mf_out plan;
	struct sel_key key;
	uint32_t cls;
	size_t nset = sel_out_columns(s, set);
	long long kept = 0;
	struct cols c;
	int rc;

	if ((r = mf_open(fp, name, check_dups ? MF_CHECK_DUPS : 0, &err)) == NULL)
		die_err(&err);
	c = find_cols(r, s);
	if (wn_out_open(&out, opt.out ? opt.out : "-", &err) != 0 ||
	    mf_out_init(&plan, r, set, nset, &err) != 0 ||
	    (!opt.jsonl && mf_out_header(&plan, out.fp, outname, &err) != 0))
		die_err(&err);
	values[nset - 1] = wbuf;
	while ((rc = mf_next(r, &err)) > 0) {
		double w;
		long st;

		if (prior_find(r) > 0) {
			w = 1;          /* kept before: as it was, weight 1 */
			st = -1;
		} else {
			row_key(p, r, c, 0, &key, &cls);
			if (!sel_decide_row(d, &key, cls, &w, &st))
				continue;
		}
		kept++;
		snprintf(wbuf, sizeof wbuf, "%.9g", w);
		if (nset == 2) {
			if (st < 0)
				values[0] = "kept";
			else if (s->scheme == SEL_STRATIFIED)
				values[0] = sel_class_name(p, (uint32_t)st);
			else {
				snprintf(sbuf, sizeof sbuf, "%ld", st);
				values[0] = sbuf;
			}
		}
		if (opt.jsonl)
			rc = gt_write_row(out.fp, outname, &plan, r, values, "winnow", &err);
		else
			rc = mf_out_row(&plan, r, values, out.fp, outname, &err);
		if (rc != 0)
			die_err(&err);
	}
	if (rc < 0)
		die_err(&err);
	if (s->scheme != SEL_THRESHOLD && mf_nrows(r) > sel_plan_rows(p))
		die(WN_EDATA, "%s: %lld rows, but the plan covers only %lld in all "
		    "(mismatched plan? merge the plans of every shard)",
		    name, mf_nrows(r), sel_plan_rows(p));
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	mf_out_free(&plan);
	mf_close(r);
	return kept;
}

static struct sel_decide *
resolve(struct sel_plan *p)
{
	struct wn_err err = { 0 };
	struct sel_decide *d = sel_resolve(p, &err);

	if (d == NULL)
		die_err(&err);
	return d;
}

static void
check_opts(void)
{
	struct wn_err err = { 0 };

	if (sel_opts_check(&opt.s, &err) != 0) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		usage(stderr);
		exit(WN_EUSAGE);
	}
}

static int
cmd_select(int argc, char **argv, int i)
{
	const char *inpath = i < argc ? argv[i] : NULL, *name = input_name(inpath);
	struct wn_err err = { 0 };
	struct sel_plan *p;
	struct sel_decide *d;
	struct spool sp;
	FILE *in;

	if (argc - i > 1 || opt.plan || opt.merge) {
		usage(stderr);
		return WN_EUSAGE;
	}
	check_opts();
	if (opt.kept) {
		if (opt.s.scheme == SEL_THRESHOLD)
			die(WN_EUSAGE, "--kept needs a budget: -s threshold has none");
		load_prior(opt.kept);
	}
	in = efopen_input(inpath);
	if (opt.s.scheme == SEL_THRESHOLD) {
		/* needs no plan: one pass */
		if ((p = sel_plan_new(&opt.s, &err)) == NULL)
			die_err(&err);
		d = resolve(p);
		/* a pure filter: no budget, so no need to hold every id */
		write_kept(in, name, p, d, 0);
	} else {
		if (spool_open(&sp, in, name, &err) != 0)
			die_err(&err);
		p = build_plan(&sp, name, 0);
		if ((d = sel_resolve(p, &err)) == NULL && sel_plan_lacking(p)) {
			/* biased -f lacked one of the largest weights: once more,
			 * keeping exactly as many as the row count now known needs */
			long long n = sel_plan_rows(p);
			sel_plan_free(p);
			if (spool_rewind(&sp, &err) != 0)
				die_err(&err);
			if (prior.n > 0)
				memset(prior.seen, 0, prior.n);
			p = build_plan(&sp, name, n);
			d = resolve(p);
		} else if (d == NULL) {
			die_err(&err);
		}
		if (spool_rewind(&sp, &err) != 0)
			die_err(&err);
		write_kept(sp.fp, name, p, d, 0);
		spool_close(&sp);
	}
	sel_decide_free(d);
	sel_plan_free(p);
	free(prior.h);
	free(prior.seen);
	if (in != stdin)
		fclose(in);
	return 0;
}

static void
write_plan(const struct sel_plan *p)
{
	struct wn_err err = { 0 };
	struct wn_out out;
	const char *outname = opt.out ? opt.out : "<stdout>";

	if (wn_out_open(&out, opt.out ? opt.out : "-", &err) != 0 ||
	    sel_plan_write(p, out.fp, outname, &err) != 0 ||
	    wn_out_commit(&out, &err) != 0)
		die_err(&err);
}

static struct sel_plan *
read_plan(const char *path)
{
	struct wn_err err = { 0 };
	FILE *fp = efopen_input(path);
	struct sel_plan *p = sel_plan_read(fp, input_name(path), &err);

	if (p == NULL)
		die_err(&err);
	if (fp != stdin)
		fclose(fp);
	return p;
}

static int
cmd_plan(int argc, char **argv, int i)
{
	struct wn_err err = { 0 };
	struct sel_plan *p;

	if (opt.jsonl || opt.plan) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.kept)
		die(WN_EUSAGE, "plan: --kept works only without plans (a plan does "
		    "not record the rows kept before)");
	if (opt.merge) {
		if (i >= argc)
			die(WN_EUSAGE, "plan --merge: give the plans to merge");
		if (opt.given)
			die(WN_EUSAGE, "plan --merge takes its options from the plans");
		p = read_plan(argv[i]);
		for (int k = i + 1; k < argc; k++) {
			struct sel_plan *q = read_plan(argv[k]);
			int rc = sel_plan_merge(p, q, &err);
			sel_plan_free(q);
			if (rc != 0) {
				sel_plan_free(p);
				die(WN_EDATA, "%s and %s: %s", argv[i], argv[k], err.msg);
			}
		}
	} else {
		const char *inpath = i < argc ? argv[i] : NULL;
		struct spool sp;
		FILE *in;

		if (argc - i > 1) {
			usage(stderr);
			return WN_EUSAGE;
		}
		check_opts();
		in = efopen_input(inpath);
		if (spool_open(&sp, in, input_name(inpath), &err) != 0)
			die_err(&err);
		p = build_plan(&sp, input_name(inpath), 0);
		spool_close(&sp);
		if (in != stdin)
			fclose(in);
	}
	write_plan(p);
	sel_plan_free(p);
	return 0;
}

/* Options repeated on the command line must agree with the plan. */
static void
check_against_plan(const struct sel_opts *ps, const char *planname)
{
	const struct sel_opts *s = &opt.s;
	const char *bad = NULL;

	if ((opt.given & G_SCHEME) && s->scheme != ps->scheme)
		bad = "-s";
	else if ((opt.given & G_BUDGET) && (s->by_count != ps->by_count ||
	    (s->by_count ? s->count != ps->count : s->fraction != ps->fraction)))
		bad = "-f/-n";
	else if ((opt.given & G_SEED) && s->seed != ps->seed)
		bad = "--seed";
	else if ((opt.given & G_SCORE) && strcmp(s->score, ps->score) != 0)
		bad = "--score";
	else if ((opt.given & G_BY) && strcmp(s->by, ps->by) != 0)
		bad = "--by";
	else if ((opt.given & G_WITHIN) && s->within != ps->within)
		bad = "--within";
	else if ((opt.given & G_BALANCED) && s->balanced != ps->balanced)
		bad = "--balanced";
	else if ((opt.given & G_ALPHA) && s->alpha != ps->alpha)
		bad = "--alpha";
	else if ((opt.given & G_CUTOFF) && s->cutoff != ps->cutoff)
		bad = "--cutoff";
	else if ((opt.given & G_STRATA) && s->strata != ps->strata)
		bad = "--strata";
	else if ((opt.given & G_MIN) && s->tmin != ps->tmin)
		bad = "--min";
	else if ((opt.given & G_MAX) && s->tmax != ps->tmax)
		bad = "--max";
	else if ((opt.given & G_REWEIGHT) && s->reweight != ps->reweight)
		bad = "--reweight";
	if (bad)
		die(WN_EUSAGE, "apply: %s differs from the plan %s (leave it out: "
		    "apply takes its options from the plan)", bad, planname);
}

static int
cmd_apply(int argc, char **argv, int i)
{
	const char *inpath = i < argc ? argv[i] : NULL;
	struct sel_plan *p;
	struct sel_decide *d;
	FILE *in;

	if (argc - i > 1 || opt.merge) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.plan == NULL)
		die(WN_EUSAGE, "apply: --plan PLAN is required");
	if (opt.kept)
		die(WN_EUSAGE, "apply: --kept works only without plans (a plan does "
		    "not record the rows kept before)");
	p = read_plan(opt.plan);
	check_against_plan(sel_plan_opts(p), opt.plan);
	d = resolve(p);
	in = efopen_input(inpath);
	/* `plan` checked this shard's ids; apply holds no id set, so its
	 * memory stays constant */
	write_kept(in, input_name(inpath), p, d, 0);
	if (in != stdin)
		fclose(in);
	sel_decide_free(d);
	sel_plan_free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	int (*cmd)(int, char **, int) = cmd_select;
	int i, rc;

	prog_init("winnow-select");
	sel_opts_default(&opt.s);
	if (argc > 1 && strcmp(argv[1], "plan") == 0)
		cmd = cmd_plan;
	else if (argc > 1 && strcmp(argv[1], "apply") == 0)
		cmd = cmd_apply;
	if (cmd != cmd_select) {
		argc--;
		argv++;
	}
	i = opt_parse(argc, argv, "select", "c:f:hn:o:s:", longopts, handle, usage);
	rc = cmd(argc, argv, i);
	if (rc == 0)
		efshut(stdout, "<stdout>");
	return rc;
}
