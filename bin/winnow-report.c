/*
 * winnow-report - one static HTML page of what a selection kept and
 * dropped.
 *
 *   winnow-report -o REPORT.html [-k KEPT.tsv] [options] POOL.tsv
 *
 * Reads the pool twice (it must be a file), the kept rows once, the
 * images through img.h, and writes the page atomically.  The work is in
 * lib/report.c; see winnow-report(1).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic.h"
#include "manifest.h"
#include "opt.h"
#include "prog.h"
#include "report.h"

enum { MAX_TABLES = 8, MAX_WARN = 20 };

static struct {
	struct rp_opts r;
	const char *out, *kept, *sweep;
	const char *table[MAX_TABLES];
	int ntable;
	int quiet;
} opt;

enum {
	O_ALPHA = 256, O_BINS, O_BUDGET, O_BY, O_GROUPS, O_ISSUES, O_MEMBERS, O_PER, O_SCORE,
	O_SEED, O_SIDE, O_SWEEP, O_TABLE, O_TITLE, O_VERSION
};

static const struct option longopts[] = {
	{ "alpha", required_argument, 0, O_ALPHA },
	{ "bins", required_argument, 0, O_BINS },
	{ "budget", required_argument, 0, O_BUDGET },
	{ "by", required_argument, 0, O_BY },
	{ "config", required_argument, 0, 'c' },
	{ "count", required_argument, 0, 'n' },
	{ "fraction", required_argument, 0, 'f' },
	{ "groups", required_argument, 0, O_GROUPS },
	{ "help", no_argument, 0, 'h' },
	{ "issues", required_argument, 0, O_ISSUES },
	{ "kept", required_argument, 0, 'k' },
	{ "members", required_argument, 0, O_MEMBERS },
	{ "output", required_argument, 0, 'o' },
	{ "per-class", required_argument, 0, O_PER },
	{ "quiet", no_argument, 0, 'q' },
	{ "score", required_argument, 0, O_SCORE },
	{ "seed", required_argument, 0, O_SEED },
	{ "sweep", required_argument, 0, O_SWEEP },
	{ "table", required_argument, 0, O_TABLE },
	{ "thumb", required_argument, 0, O_SIDE },
	{ "title", required_argument, 0, O_TITLE },
	{ "version", no_argument, 0, O_VERSION },
	{ 0, 0, 0, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-report -o REPORT.html [-k KEPT.tsv] [--by COL] [--score COL]\n"
	    "                     [--alpha A [-f F | -n N]] [--seed S] [--per-class N]\n"
	    "                     [--budget BYTES] [--thumb PX] [--bins B] [--groups G]\n"
	    "                     [--members M] [--issues N] [--sweep RESULTS.tsv]\n"
	    "                     [--table TABLE.tsv]... [--title TEXT] [-q] [-c CONFIG]\n"
	    "                     POOL.tsv\n");
}

static void
handle(int c, const char *arg)
{
	switch (c) {
	case 'c': break;
	case 'f': opt.r.fraction = opt_double(arg, 0x1p-60, 1); break;
	case 'h': usage(stdout); exit(0);
	case 'k': opt.kept = arg; break;
	case 'n': opt.r.count = opt_int(arg, 1, 1LL << 62); break;
	case 'o': opt.out = arg; break;
	case 'q': opt.quiet = 1; break;
	case O_ALPHA: opt.r.alpha = opt_double(arg, -1e6, 1e6); opt.r.have_alpha = 1; break;
	case O_BINS: opt.r.bins = (int)opt_int(arg, 1, 1000); break;
	case O_BUDGET: opt.r.budget = opt_int(arg, 0, 1LL << 40); break;
	case O_BY: opt.r.by = arg; break;
	case O_GROUPS: opt.r.groups = (int)opt_int(arg, 0, 1000); break;
	case O_ISSUES: opt.r.issues = (int)opt_int(arg, 0, 10000); break;
	case O_MEMBERS: opt.r.members = (int)opt_int(arg, 1, 1000); break;
	case O_PER: opt.r.per_class = (int)opt_int(arg, 0, 1000); break;
	case O_SCORE: opt.r.score = arg; break;
	case O_SEED: opt.r.seed = opt_seed(arg); break;
	case O_SIDE: opt.r.side = (int)opt_int(arg, 8, 1024); break;
	case O_SWEEP: opt.sweep = arg; break;
	case O_TABLE:
		if (opt.ntable == MAX_TABLES)
			opt_fail("at most %d --table options", MAX_TABLES);
		opt.table[opt.ntable++] = arg;
		break;
	case O_TITLE: opt.r.title = arg; break;
	case O_VERSION: printf("winnow-report %s\n", WINNOW_VERSION); exit(0);
	}
}

static int nwarn;

static void
warn_cb(void *arg, const char *msg)
{
	(void)arg;
	if (++nwarn <= MAX_WARN && !opt.quiet)
		warnx("%s", msg);
}

/* Open the pool for one pass; it must be a regular file (read twice). */
static FILE *
open_pool(const char *path)
{
	struct stat st;
	FILE *fp;

	if (strcmp(path, "-") == 0)
		die(WN_EUSAGE, "the pool is read twice: give a file, not standard input");
	fp = efopen_input(path);
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
		die(WN_EUSAGE, "%s: the pool is read twice: give a regular file, not a pipe", path);
	return fp;
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct rp_report *rp;
	struct mf_reader *r, *kr = NULL;
	struct wn_out out;
	FILE *fp, *kfp = NULL;

	prog_init("winnow-report");
	rp_opts_default(&opt.r);
	int i = opt_parse(argc, argv, "report", "c:f:hk:n:o:q", longopts, handle, usage);
	if (argc - i != 1 || !opt.out) {
		if (!opt.out)
			warnx("-o REPORT.html is required");
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.r.fraction > 0 && opt.r.count > 0)
		die(WN_EUSAGE, "-f and -n are exclusive");
	if ((opt.r.fraction > 0 || opt.r.count > 0) && !opt.r.have_alpha)
		die(WN_EUSAGE, "-f and -n give the budget of biased sampling: they need --alpha");
	if (opt.kept && strcmp(opt.kept, "-") == 0 && strcmp(argv[i], "-") == 0)
		die(WN_EUSAGE, "the pool and the kept rows cannot both be standard input");
	const char *pool = argv[i];

	if (!(rp = rp_new(&opt.r, &err)))
		die_err(&err);
	/* pass 1: the score range, the near-duplicate groups, every field
	 * checked, the ids unique */
	fp = open_pool(pool);
	if (!(r = mf_open(fp, pool, MF_CHECK_DUPS, &err)) || rp_pass1(rp, r, &err) != 0)
		die_err(&err);
	mf_close(r);
	fclose(fp);
	/* pass 2, joined with the kept rows (unique ids, in the pool's order) */
	fp = open_pool(pool);
	if (!(r = mf_open(fp, pool, 0, &err)))
		die_err(&err);
	if (opt.kept) {
		kfp = efopen_input(opt.kept);
		if (!(kr = mf_open(kfp, input_name(opt.kept), MF_CHECK_DUPS, &err)))
			die_err(&err);
	}
	if (rp_pass2(rp, r, kr, &err) != 0)
		die_err(&err);
	mf_close(r);
	fclose(fp);
	if (kr) {
		mf_close(kr);
		if (kfp != stdin)
			fclose(kfp);
	}
	if (opt.sweep) {
		FILE *sfp = efopen_input(opt.sweep);
		if (rp_add_sweep(rp, sfp, input_name(opt.sweep), &err) != 0)
			die_err(&err);
		if (sfp != stdin)
			fclose(sfp);
	}
	for (int t = 0; t < opt.ntable; t++) {
		FILE *tfp = efopen_input(opt.table[t]);
		if (rp_add_table(rp, tfp, input_name(opt.table[t]), &err) != 0)
			die_err(&err);
		if (tfp != stdin)
			fclose(tfp);
	}
	if (wn_out_open(&out, opt.out, &err) != 0)
		die_err(&err);
	if (rp_write(rp, out.fp, opt.out, warn_cb, NULL, &err) != 0) {
		wn_out_abort(&out);
		die_err(&err);
	}
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	if (nwarn > MAX_WARN && !opt.quiet)
		warnx("%d more images could not be read (placeholders shown)", nwarn - MAX_WARN);
	rp_free(rp);
	return 0;
}
