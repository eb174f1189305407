/*
 * winnow-audit - find the labels that are probably wrong: K-fold
 * cross-fitted surrogate probabilities, then confident learning.
 *
 *   winnow-audit [-v] [-K FOLDS] [-m softmax|mlp] [-r RANK] [-F FILTER] [--probs]
 *                [--noise-matrix FILE] [--confidence-column COL] [--trust T]
 *                [-o OUT] EMB.npy [MANIFEST]
 *
 * Appends label_quality, label_issue, suggested_label (and p_<class> with
 * --probs) to the manifest.  See winnow-audit(1).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "atomic.h"
#include "confident.h"
#include "crossfit.h"
#include "data.h"
#include "manifest.h"
#include "npy.h"
#include "opt.h"
#include "prog.h"
#include "spool.h"

static struct {
	int folds;
	int kind;
	int rank;
	int filter;             /* enum sur_cl_filter */
	int probs;
	const char *noise;      /* --noise-matrix FILE */
	const char *confcol;    /* --confidence-column, NULL: "confidence" if present */
	int noconf;
	double trust;
	const char *out;
	int threads;
	double lambda, tol, lr;
	int max_iter, hidden, epochs, batch;
	unsigned long long seed;
	int verbose;
} opt = {
	.folds = 5, .kind = SUR_SOFTMAX, .rank = SUR_CL_SELF_CONFIDENCE, .trust = 0.95,
	.filter = SUR_CL_PRUNE_BY_CLASS,    /* measured: see winnow-audit(1), -F */
	.out = "-", .lambda = 1e-2, .tol = 1e-5, .max_iter = 500, .hidden = 256, .epochs = 20,
	.batch = 128, .lr = 1e-3,
};

enum {
	O_PROBS = 256, O_NOISE, O_CONFCOL, O_NOCONF, O_TRUST, O_MAXITER, O_TOL, O_HIDDEN,
	O_EPOCHS, O_BATCH, O_LR, O_SEED, O_VERSION
};

static const struct option longopts[] = {
	{ "batch", required_argument, 0, O_BATCH },
	{ "confidence-column", required_argument, 0, O_CONFCOL },
	{ "config", required_argument, 0, 'c' },
	{ "epochs", required_argument, 0, O_EPOCHS },
	{ "filter-by", required_argument, 0, 'F' },
	{ "folds", required_argument, 0, 'K' },
	{ "help", no_argument, 0, 'h' },
	{ "hidden", required_argument, 0, O_HIDDEN },
	{ "jobs", required_argument, 0, 'j' },
	{ "kind", required_argument, 0, 'm' },
	{ "lambda", required_argument, 0, 'l' },
	{ "lr", required_argument, 0, O_LR },
	{ "max-iter", required_argument, 0, O_MAXITER },
	{ "no-confidence", no_argument, 0, O_NOCONF },
	{ "noise-matrix", required_argument, 0, O_NOISE },
	{ "output", required_argument, 0, 'o' },
	{ "probs", no_argument, 0, O_PROBS },
	{ "rank-by", required_argument, 0, 'r' },
	{ "seed", required_argument, 0, O_SEED },
	{ "tol", required_argument, 0, O_TOL },
	{ "trust", required_argument, 0, O_TRUST },
	{ "verbose", no_argument, 0, 'v' },
	{ "version", no_argument, 0, O_VERSION },
	{ 0, 0, 0, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-audit [-v] [-K FOLDS] [-m softmax|mlp] [-l LAMBDA] [--max-iter N]\n"
	    "                    [--tol T] [--hidden H] [--epochs E] [--batch B] [--lr LR]\n"
	    "                    [--seed S] [-r self-confidence|normalized-margin]\n"
	    "                    [-F prune-by-noise-rate|prune-by-class|both] [--probs]\n"
	    "                    [--noise-matrix FILE] [--confidence-column COL]\n"
	    "                    [--trust T] [--no-confidence] [-j N] [-c CONFIG]\n"
	    "                    [-o OUT] EMB.npy [MANIFEST]\n");
}

static void
handle(int c, const char *arg)
{
	static const char *const kinds[] = { "softmax", "mlp", NULL };
	static const char *const ranks[] = { "self-confidence", "normalized-margin", NULL };
	/* in the order of enum sur_cl_filter */
	static const char *const filters[] = { "prune-by-noise-rate", "prune-by-class", "both",
	                                       NULL };

	switch (c) {
	case 'F': opt.filter = opt_choice(arg, filters); break;
	case 'K': opt.folds = (int)opt_int(arg, 2, 1000); break;
	case 'c': break;    /* read by opt_parse */
	case 'h': usage(stdout); exit(0);
	case 'j': opt.threads = (int)opt_int(arg, 1, 1024); break;
	case 'l': opt.lambda = opt_double(arg, 0, 1e6); break;
	case 'm': opt.kind = opt_choice(arg, kinds) == 1 ? SUR_MLP : SUR_SOFTMAX; break;
	case 'o': opt.out = arg; break;
	case 'r': opt.rank = opt_choice(arg, ranks); break;
	case 'v': opt.verbose = 1; break;
	case O_BATCH: opt.batch = (int)opt_int(arg, 1, 1 << 20); break;
	case O_CONFCOL: opt.confcol = arg; break;
	case O_EPOCHS: opt.epochs = (int)opt_int(arg, 0, 1 << 20); break;
	case O_HIDDEN: opt.hidden = (int)opt_int(arg, 1, 1 << 20); break;
	case O_LR: opt.lr = opt_double(arg, 1e-12, 1e3); break;
	case O_MAXITER: opt.max_iter = (int)opt_int(arg, 0, 1 << 30); break;
	case O_NOCONF: opt.noconf = 1; break;
	case O_NOISE: opt.noise = arg; break;
	case O_PROBS: opt.probs = 1; break;
	case O_SEED: opt.seed = opt_seed(arg); break;
	case O_TOL: opt.tol = opt_double(arg, 0, 1e6); break;
	case O_TRUST: opt.trust = opt_double(arg, 0, 1); break;
	case O_VERSION: printf("winnow-audit %s\n", WINNOW_VERSION); exit(0);
	}
}

static void
on_fold(void *ctx, int fold, size_t ntrain, size_t ntest, const struct sur_model *m)
{
	(void)ctx;
	fprintf(stderr, "%s: fold %d: trained on %zu rows (objective %.9g, %d iterations), "
	        "predicted %zu\n", progname, fold, ntrain, m->hp.objective, m->hp.iterations,
	        ntest);
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct npy emb;
	struct sur_data D;
	struct spool sp;

	prog_init("winnow-audit");
	int i = opt_parse(argc, argv, "audit", "F:K:c:hj:l:m:o:r:v", longopts, handle, usage);
	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.noconf && opt.confcol)
		die(WN_EUSAGE, "--no-confidence and --confidence-column exclude each other");
	const char *npath = argv[i], *mpath = i + 1 < argc ? argv[i + 1] : NULL;
	const char *mname = input_name(mpath);
	/* The softmax fit is the same bytes whatever its threads; the MLP's
	 * BLAS calls are not, so it runs on one. */
	openblas_set_num_threads(opt.kind == SUR_MLP ? 1 :
	                         opt.threads ? opt.threads : (int)sysconf(_SC_NPROCESSORS_ONLN));

	if (npy_open(&emb, npath, &err) != 0)
		die_err(&err);
	FILE *in = efopen_input(mpath);
	if (spool_open(&sp, in, mname, &err) != 0)
		die_err(&err);

	/* pass 1: the labeled rows and their features, through the loader */
	struct mf_reader *r = mf_open(sp.fp, mname, MF_CHECK_DUPS, &err);
	if (!r)
		die_err(&err);
	int cc = -1;
	if (!opt.noconf) {
		cc = mf_col(r, opt.confcol ? opt.confcol : "confidence");
		if (cc < 0 && opt.confcol)
			die(WN_EDATA, "%s:1: no \"%s\" column (--confidence-column)", mname,
			    opt.confcol);
	}
	if (sur_data_load(&D, &emb, r, NULL, NULL, NULL, 0, &err) != 0)
		die_err(&err);
	mf_close(r);

	/* pass 2: the labeled rows' lines, for the confidences and messages */
	int nfcol;
	long long bad = sur_cf_nonfinite(&D, &nfcol);
	double *conf = emalloc((D.n ? D.n : 1) * sizeof *conf);
	if (spool_rewind(&sp, &err) != 0 || !(r = mf_open(sp.fp, mname, 0, &err)))
		die_err(&err);
	int lc = mf_col(r, "label"), got;
	size_t li = 0;
	while ((got = mf_next(r, &err)) > 0) {
		if (!*mf_field(r, (size_t)lc))
			continue;
		if ((long long)li == bad) {
			long long line = mf_lineno(r);
			mf_close(r);    /* die() leaves no reader for the leak checker */
			die(WN_EDATA, "%s:%lld: feature %d of row %zu of %s is not a finite number",
			    mname, line, nfcol, D.row[li], npath);
		}
		conf[li] = NAN;
		if (cc >= 0 && *mf_field(r, (size_t)cc)) {
			const char *s = mf_field(r, (size_t)cc);
			char *end;
			errno = 0;
			conf[li] = strtod(s, &end);
			if (*end || errno || !(conf[li] >= 0 && conf[li] <= 1)) {
				wn_seterr(&err, WN_EDATA, "%s:%lld: %s \"%s\" is not a number in "
				          "[0, 1]", mname, mf_lineno(r), mf_colname(r, (size_t)cc), s);
				mf_close(r);
				die_err(&err);
			}
		}
		li++;
	}
	if (got < 0)
		die_err(&err);
	mf_close(r);

	/* cross-fitting */
	struct sur_cf_opts co = {
		.folds = opt.folds, .seed = opt.seed, .kind = (enum sur_kind)opt.kind,
		.on_fold = opt.verbose ? on_fold : NULL,
	};
	sur_softmax_opts_default(&co.softmax);
	co.softmax.lambda = opt.lambda;
	co.softmax.max_iter = opt.max_iter;
	co.softmax.tol = opt.tol;
	sur_mlp_opts_default(&co.mlp);
	co.mlp.mb.lambda = opt.lambda;
	co.mlp.hidden = opt.hidden;
	co.mlp.mb.epochs = opt.epochs;
	co.mlp.mb.batch = opt.batch;
	co.mlp.mb.lr = opt.lr;
	co.mlp.mb.seed = opt.seed;
	size_t n = D.n, k = (size_t)D.k;
	float *P = ereallocarray(NULL, n * k, sizeof *P);
	if (sur_cf_predict(&D, &co, NULL, P, &err) != 0)
		die(err.code, "%s: %s", mname, err.msg);

	/* confident learning */
	struct sur_cl cl;
	unsigned char *flag = emalloc(n ? n : 1);
	long long nflag;
	if (sur_cl_fit(&cl, P, D.y, n, D.k, &err) != 0 ||
	    (nflag = sur_cl_filter(&cl, P, D.y, D.keys, (enum sur_cl_filter)opt.filter, flag,
	                           &err)) < 0)
		die_err(&err);
	long long trusted = 0;
	for (size_t j = 0; j < n; j++)
		if (flag[j] && conf[j] >= opt.trust) {
			flag[j] = 0;
			trusted++;
		}
	nflag -= trusted;
	if (opt.verbose) {
		long long est = 0;
		for (size_t a = 0; a < k; a++)
			for (size_t b = 0; b < k; b++)
				est += a != b ? cl.cal[a * k + b] : 0;
		fprintf(stderr, "%s: %zu labeled rows, %zu classes, %d folds: %lld estimated "
		        "label errors, %lld flagged", progname, n, k, opt.folds, est, nflag);
		if (cc >= 0)
			fprintf(stderr, " (and %lld left alone: %s >= %g)", trusted,
			        opt.confcol ? opt.confcol : "confidence", opt.trust);
		fprintf(stderr, "\n%s: estimated noise matrix (rows given, columns true):\n",
		        progname);
		if (sur_cl_write_noise(stderr, "<stderr>", &cl, D.classes, &err) != 0)
			die_err(&err);
	}
	if (opt.noise) {
		struct wn_out no;
		if (wn_out_open(&no, opt.noise, &err) != 0)
			die_err(&err);
		if (sur_cl_write_noise(no.fp, opt.noise, &cl, D.classes, &err) != 0) {
			wn_out_abort(&no);
			die_err(&err);
		}
		if (wn_out_commit(&no, &err) != 0)
			die_err(&err);
	}

	/* pass 3: the manifest with the audit columns */
	size_t nset = 3 + (opt.probs ? k : 0);
	const char **set = emalloc(nset * sizeof *set);
	char **pname = emalloc((k ? k : 1) * sizeof *pname);
	set[0] = "label_quality";
	set[1] = "label_issue";
	set[2] = "suggested_label";
	for (size_t c = 0; opt.probs && c < k; c++) {
		size_t l = strlen(D.classes[c]) + 3;
		pname[c] = emalloc(l);
		snprintf(pname[c], l, "p_%s", D.classes[c]);
		set[3 + c] = pname[c];
	}
	struct wn_out out;
	struct mf_out plan;
	if (spool_rewind(&sp, &err) != 0 || !(r = mf_open(sp.fp, mname, 0, &err)) ||
	    mf_out_init(&plan, r, set, nset, &err) != 0 || wn_out_open(&out, opt.out, &err) != 0)
		die_err(&err);
	const char *oname = strcmp(opt.out, "-") == 0 ? "<stdout>" : opt.out;
	if (mf_out_header(&plan, out.fp, oname, &err) != 0)
		goto fail;
	const char **vals = emalloc(nset * sizeof *vals);
	char *nbuf = emalloc((nset + 1) * 32);
	li = 0;
	while ((got = mf_next(r, &err)) > 0) {
		for (size_t s = 0; s < nset; s++)
			vals[s] = "";
		if (*mf_field(r, (size_t)lc)) {
			const float *p = P + li * k;
			snprintf(nbuf, 32, "%.9g", sur_cl_quality(p, D.k, D.y[li],
			                                          (enum sur_cl_rank)opt.rank));
			vals[0] = nbuf;
			vals[1] = flag[li] ? "1" : "0";
			vals[2] = D.classes[sur_cl_argmax(p, D.k)];
			for (size_t c = 0; opt.probs && c < k; c++) {
				snprintf(nbuf + (c + 1) * 32, 32, "%.9g", p[c]);
				vals[3 + c] = nbuf + (c + 1) * 32;
			}
			li++;
		}
		if (mf_out_row(&plan, r, vals, out.fp, oname, &err) != 0)
			goto fail;
	}
	if (got < 0)
		goto fail;
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	if (strcmp(opt.out, "-") == 0)
		efshut(stdout, "<stdout>");

	mf_out_free(&plan);
	mf_close(r);
	spool_close(&sp);
	if (in != stdin)
		fclose(in);
	npy_close(&emb);
	for (size_t c = 0; opt.probs && c < k; c++)
		free(pname[c]);
	free(pname);
	free(set);
	free(vals);
	free(nbuf);
	free(conf);
	free(flag);
	free(P);
	sur_cl_free(&cl);
	sur_data_free(&D);
	return 0;
fail:
	wn_out_abort(&out);
	die_err(&err);
}
