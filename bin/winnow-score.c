/*
 * winnow-score - score every row of a manifest with a surrogate model.
 *
 *   winnow-score [-M MODEL] [-s METHOD] [--clusters K] [--seed S]
 *                EMB.npy [MANIFEST]
 *
 * Streams the manifest in blocks of rows and appends the columns score,
 * pred and conf.  See winnow-score(1) for the methods.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "fmt.h"
#include "manifest.h"
#include "npy.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"
#include "score.h"

static struct {
	const char *model;
	int method;
	int clusters;
	long long sample;       /* k-means rows */
	int iters;
	unsigned long long seed;
	int block;
	int shared;             /* --influence shared */
	int infl_given;         /* --influence was given */
	int jobs;               /* scoring threads; 0: all cores */
	int progress;           /* --progress: rows scored, even without a terminal */
	int verbose;            /* -v: a summary line at the end */
} opt = { .method = SUR_ENTROPY, .clusters = 10, .sample = 20000, .iters = 50, .block = 1024 };

enum { O_CLUSTERS = 256, O_SAMPLE, O_SEED, O_BLOCK, O_INFL, O_ITERS, O_PROGRESS };

static const struct option longopts[] = {
	{ "block", required_argument, 0, O_BLOCK },
	{ "clusters", required_argument, 0, O_CLUSTERS },
	{ "config", required_argument, 0, 'c' },
	{ "help", no_argument, 0, 'h' },
	{ "influence", required_argument, 0, O_INFL },
	{ "jobs", required_argument, 0, 'j' },
	{ "kmeans-iter", required_argument, 0, O_ITERS },
	{ "kmeans-sample", required_argument, 0, O_SAMPLE },
	{ "method", required_argument, 0, 's' },
	{ "model", required_argument, 0, 'M' },
	{ "progress", no_argument, 0, O_PROGRESS },
	{ "seed", required_argument, 0, O_SEED },
	{ "verbose", no_argument, 0, 'v' },
	{ 0, 0, 0, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-score -M MODEL [-s METHOD] [--influence class|shared]\n"
	    "                    [--block ROWS] [-j N] [--progress] [-v] [-c CONFIG]\n"
	    "                    EMB.npy [MANIFEST]\n"
	    "       winnow-score [-M MODEL] -s prototype [--clusters K] [--seed S]\n"
	    "                    [--kmeans-sample ROWS] [--kmeans-iter N] EMB.npy [MANIFEST]\n"
	    "methods: entropy margin least-confidence influence influence-shared\n"
	    "         loss el2n grand prototype\n");
}

static void
handle(int c, const char *arg)
{
	static const char *const infls[] = { "class", "shared", NULL };

	switch (c) {
	case 'M': opt.model = arg; break;
	case 'c': break;
	case 'j': opt.jobs = (int)opt_int(arg, 1, 1024); break;
	case 'v': opt.verbose = 1; break;
	case O_PROGRESS: opt.progress = 1; break;
	case 'h': usage(stdout); exit(0);
	case 's':
		if ((opt.method = sur_method_parse(arg)) < 0)
			opt_fail("unknown method \"%s\" (entropy, margin, least-confidence, "
			         "influence, influence-shared, loss, el2n, grand, prototype)", arg);
		break;
	case O_BLOCK: opt.block = (int)opt_int(arg, 1, 1 << 20); break;
	case O_CLUSTERS: opt.clusters = (int)opt_int(arg, 1, 1 << 20); break;
	case O_INFL: opt.shared = opt_choice(arg, infls); opt.infl_given = 1; break;
	case O_ITERS: opt.iters = (int)opt_int(arg, 0, 1 << 20); break;
	case O_SAMPLE: opt.sample = opt_int(arg, 1, 1LL << 40); break;
	case O_SEED: opt.seed = opt_seed(arg); break;
	}
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct npy emb;
	struct sur_model *m = NULL;
	float *C = NULL;

	prog_init("winnow-score");
	int i = opt_parse(argc, argv, "score", "M:c:hj:s:v", longopts, handle, usage);
	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	enum sur_method meth = (enum sur_method)opt.method;
	if (opt.infl_given && !sur_method_needs_influence(meth))
		die(WN_EUSAGE, "--influence goes with -s influence (it does nothing for %s)",
		    sur_method_name(meth));
	if (meth == SUR_INFLUENCE && opt.shared)
		meth = SUR_INFLUENCE_SHARED;
	if (!opt.model && sur_method_needs_model(meth))
		die(WN_EUSAGE, "-M MODEL is required for %s scores", sur_method_name(meth));
	const char *npath = argv[i], *mpath = i + 1 < argc ? argv[i + 1] : NULL;
	if (npy_open(&emb, npath, &err) != 0)
		die_err(&err);
	if (opt.model) {
		/* the influence factors, checked but not kept, for the other scores */
		unsigned lf = sur_method_needs_influence(meth) ? 0 : SUR_LOAD_NO_INFL;
		if (!(m = sur_model_load_path_flags(opt.model, lf, &err)))
			die_err(&err);
		if ((size_t)m->d != emb.cols)
			die(WN_EDATA, "%s: %zu columns, but %s was fitted on %d", npath, emb.cols,
			    opt.model, m->d);
		if (sur_score_block(m, meth, NULL, NULL, NULL, 0, NULL, NULL, &err) != 0 &&
		    err.code == WN_EDATA)
			die(WN_EDATA, "%s: %s", opt.model, err.msg);
	}
	int d = (int)emb.cols;
	/* our threads, not BLAS's: each block is split over opt.jobs
	 * threads that call single-threaded kernels (the k-means of
	 * prototype runs before on this thread alone) */
	int jobs = opt.jobs ? opt.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	prog_blas_one_thread();

	if (meth == SUR_PROTOTYPE) {
		/* k-means on evenly spaced rows of the whole embeddings file */
		size_t ns = emb.rows < (size_t)opt.sample ? emb.rows : (size_t)opt.sample;
		if (ns < (size_t)opt.clusters)
			die(WN_EDATA, "%s: %zu rows for %d clusters", npath, emb.rows, opt.clusters);
		float *S = ereallocarray(NULL, ns * (size_t)d, sizeof *S);
		size_t *srow = ereallocarray(NULL, ns, sizeof *srow);
		for (size_t j = 0; j < ns; j++)
			srow[j] = (size_t)((double)j * emb.rows / ns);
		if (npy_read_list(&emb, srow, ns, S, &err) != 0)
			die_err(&err);
		free(srow);
		C = ereallocarray(NULL, (size_t)opt.clusters * d, sizeof *C);
		if (sur_kmeans(S, ns, d, opt.clusters, opt.iters, ns, opt.seed, C, &err) != 0)
			die_err(&err);
		free(S);
	}

	FILE *in = efopen_input(mpath);
	const char *mname = input_name(mpath);
	struct mf_reader *r = mf_open(in, mname, 0, &err);
	if (!r)
		die_err(&err);
	int rowcol, labcol = mf_col(r, "label");
	if (sur_pair_open(&emb, r, &rowcol, &err) != 0)
		die_err(&err);
	if (sur_method_needs_label(meth) && labcol < 0)
		die(WN_EDATA, "%s:1: no \"label\" column: %s scores need labels", mname,
		    sur_method_name(meth));
	static const char *const set[] = { "score", "pred", "conf" };
	struct mf_out plan;
	if (mf_out_init(&plan, r, set, 3, &err) != 0 ||
	    mf_out_header(&plan, stdout, "<stdout>", &err) != 0)
		die_err(&err);

	size_t B = (size_t)opt.block, k = m ? (size_t)m->k : 1;
	struct mf_rows blk = { .ncols = mf_ncols(r) };
	float *X = ereallocarray(NULL, B * (size_t)d, sizeof *X);
	float *P = ereallocarray(NULL, B * k, sizeof *P);
	int *y = ereallocarray(NULL, B, sizeof *y);
	size_t *rows = ereallocarray(NULL, B, sizeof *rows);
	double *sc = ereallocarray(NULL, B, sizeof *sc);
	const char **fields = ereallocarray(NULL, plan.nout, sizeof *fields);
	struct sur_scorer *scorer = sur_scorer_new(m, meth, C, opt.clusters, d,
	                                           jobs > 0 ? jobs : 1, &err);
	if (!scorer)
		die_err(&err);
	/* The rows a call of the scorer: with a model, the whole block (the
	 * standardisation checks the rows as it reads them, and the
	 * scorer's threads work in chunks that stay in L2).  Without one
	 * (prototype), the rows are checked before they are scored, in
	 * sub-blocks of about 1 MiB a thread, so that they are still in the
	 * cache when scored (a whole block, 8 MB at d = 2048, went out to
	 * memory and back in between).  Sub-blocks with a model cost a
	 * thread start each for little work: -j 2 was slower than -j 1 on
	 * the cheap scores (median wall, 240,000 rows of 784). */
	size_t sub = B;
	if (!m) {
		sub = (size_t)(jobs > 0 ? jobs : 1) * ((size_t)1 << 20) / (4 * (size_t)d) / 4 * 4;
		if (sub < 4)
			sub = 4;
	}
	struct progress pg;
	long long nscored = 0;
	double t0 = wn_now();
	/* the manifest is a stream: its row count is not known, the
	 * embeddings' is an upper bound only */
	progress_init(&pg, "score", 0, opt.progress);
	int more = 1;
	while (more) {
		mf_rows_clear(&blk);
		int rc = 0;
		while (blk.n < B && (rc = mf_next(r, &err)) > 0) {
			if (sur_row_of(r, rowcol, emb.rows, npath, &rows[blk.n], &err) != 0)
				die_err(&err);
			y[blk.n] = -1;
			if (sur_method_needs_label(meth)) {
				const char *lab = mf_field(r, (size_t)labcol);
				if (!*lab)
					die(WN_EDATA, "%s:%lld: empty label: %s scores need the label of "
					    "every row", mname, mf_lineno(r), sur_method_name(meth));
				if ((y[blk.n] = sur_model_class(m, lab)) < 0)
					die(WN_EDATA, "%s:%lld: label \"%s\" is not a class of %s", mname,
					    mf_lineno(r), lab, opt.model);
			}
			if (mf_rows_add(&blk, r, &err) != 0)
				die_err(&err);
		}
		if (rc < 0)
			die_err(&err);
		more = rc > 0;
		if (blk.n == 0)
			break;
		/* a run of '<f4' rows scored in place in the mapping, the
		 * rest read in one call per run of consecutive rows; either
		 * way memory stays that of a block */
		for (size_t s0 = 0; s0 < blk.n; s0 += sub) {
			size_t ns = blk.n - s0 < sub ? blk.n - s0 : sub;
			const float *view = NULL;
			/* With a model every row is standardised first, and the
			 * standardisation checks each value as it reads it
			 * (sur_predict_proba): the view is not read a first time
			 * only to be checked.  A NaN or inf stops the scorer, and
			 * npy_check_view then names its row and column in the
			 * file, as the checked view would have. */
			if (m)
				view = npy_view_unchecked(&emb, rows + s0, ns);
			else if (npy_view_list(&emb, rows + s0, ns, &view, &err) != 0)
				die_err(&err);
			if (!view && npy_read_list(&emb, rows + s0, ns, X + s0 * d, &err) != 0)
				die_err(&err);
			if (sur_scorer_run(scorer, view ? view : X + s0 * d, y + s0, ns,
			                   m ? P + s0 * k : NULL, sc + s0, &err) != 0) {
				if (view)
					(void)npy_check_view(&emb, view, ns, &err);
				die_err(&err);
			}
			npy_unview(&emb, view, ns);
		}
		for (size_t j = 0; j < blk.n; j++) {
			char sbuf[WN_G9_MAX], cbuf[WN_G9_MAX];
			const char *pred = "", *conf = "";
			/* %.9g, the same bytes, without printf's cost (fmt.h) */
			wn_fmt_g9(sbuf, sc[j]);
			if (m) {
				const float *p = P + j * k;
				size_t am = 0;
				for (size_t c = 1; c < k; c++)
					if (p[c] > p[am])
						am = c;
				pred = m->classes[am];
				wn_fmt_g9(cbuf, p[am]);
				conf = cbuf;
			}
			const char *vals[3] = { sbuf, pred, conf };
			for (size_t o = 0; o < plan.nout; o++)
				fields[o] = plan.src[o] >= 0 ?
				    mf_rows_field(&blk, j, (size_t)plan.src[o]) : NULL;
			for (size_t s = 0; s < 3; s++)
				fields[plan.set_at[s]] = vals[s];
			if (mf_write_fields(stdout, "<stdout>", fields, plan.nout, &err) != 0)
				die_err(&err);
		}
		nscored += (long long)blk.n;
		progress_update(&pg, nscored);
	}
	progress_done(&pg, nscored);
	if (opt.verbose)
		fprintf(stderr, "%s: %lld row%s scored by %s in %.2f s\n", progname, nscored,
		        WN_S(nscored), sur_method_name(meth), wn_now() - t0);
	mf_out_free(&plan);
	mf_close(r);
	if (in != stdin)
		fclose(in);
	efshut(stdout, "<stdout>");
	mf_rows_free(&blk);
	free(X);
	free(P);
	free(y);
	free(rows);
	free(sc);
	free(fields);
	free(C);
	sur_scorer_free(scorer);
	sur_model_free(m);
	npy_close(&emb);
	return 0;
}
