/*
 * winnow-fit - train a surrogate model on the labeled rows of a manifest.
 *
 *   winnow-fit [-m softmax|mlp] [-l LAMBDA] [--max-iter N] [--tol T]
 *              [--influence none|shared|class] [--weights COLUMN] ...
 *              -o MODEL EMB.npy [MANIFEST]
 *
 * See winnow-fit(1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cblas.h>

#include "atomic.h"
#include "data.h"
#include "mlp.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"
#include "softmax.h"
#include "train.h"

static struct {
	int kind;               /* SUR_SOFTMAX or SUR_MLP */
	double lambda;
	int max_iter;
	double tol;
	int infl;
	int intercept, standardize;
	int norm;
	double norm_n;
	const char *weights;    /* column of sample weights */
	const char *out;
	int hidden, epochs, batch, adam;
	double lr, momentum;
	unsigned long long seed;
	int verbose;
	int jobs;               /* BLAS and softmax pass threads; 0: all cores */
	int progress;           /* --progress: a bar even when not a terminal */
} opt = {
	.kind = SUR_SOFTMAX, .lambda = 1e-4, .max_iter = 500, .tol = 1e-5,
	.infl = SUR_INFL_NONE, .intercept = 1, .standardize = 1, .norm = SUR_NORM_COUNT,
	.hidden = 256, .epochs = 20, .batch = 128, .adam = 1, .lr = -1, .momentum = 0.9,
};

enum {
	O_MAXITER = 256, O_TOL, O_INFL, O_NOINTERCEPT, O_NOSTD, O_NORM, O_WEIGHTS, O_HIDDEN,
	O_EPOCHS, O_BATCH, O_LR, O_MOMENTUM, O_OPTIM, O_SEED
};

static const struct option longopts[] = {
	{ "batch", required_argument, 0, O_BATCH },
	{ "config", required_argument, 0, 'c' },
	{ "epochs", required_argument, 0, O_EPOCHS },
	{ "help", no_argument, 0, 'h' },
	{ "jobs", required_argument, 0, 'j' },
	{ "hidden", required_argument, 0, O_HIDDEN },
	{ "influence", required_argument, 0, O_INFL },
	{ "kind", required_argument, 0, 'm' },    /* the old name of --model */
	{ "lambda", required_argument, 0, 'l' },
	{ "lr", required_argument, 0, O_LR },
	{ "max-iter", required_argument, 0, O_MAXITER },
	{ "model", required_argument, 0, 'm' },   /* as in winnow-train */
	{ "momentum", required_argument, 0, O_MOMENTUM },
	{ "no-intercept", no_argument, 0, O_NOINTERCEPT },
	{ "no-standardize", no_argument, 0, O_NOSTD },
	{ "norm", required_argument, 0, O_NORM },
	{ "optimizer", required_argument, 0, O_OPTIM },
	{ "output", required_argument, 0, 'o' },
	{ "progress", no_argument, 0, 'P' },
	{ "seed", required_argument, 0, O_SEED },
	{ "tol", required_argument, 0, O_TOL },
	{ "verbose", no_argument, 0, 'v' },
	{ "weights", required_argument, 0, O_WEIGHTS },
	{ 0, 0, 0, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-fit [-v] [-m softmax|mlp] [-l LAMBDA] [--max-iter N] [--tol T]\n"
	    "                  [--influence none|shared|class] [--no-intercept]\n"
	    "                  [--no-standardize] [--norm count|weight|N] [--weights COLUMN]\n"
	    "                  [--hidden H] [--epochs E] [--batch B] [--lr LR]\n"
	    "                  [--momentum M] [--optimizer adam|sgd] [--seed S] [-j N]\n"
	    "                  [--progress]\n"
	    "                  [-c CONFIG] -o MODEL EMB.npy [MANIFEST]\n");
}

static void
handle(int c, const char *arg)
{
	static const char *const kinds[] = { "softmax", "mlp", NULL };
	static const char *const infls[] = { "none", "shared", "class", NULL };
	static const char *const optims[] = { "sgd", "adam", NULL };

	switch (c) {
	case 'c': break;    /* read by opt_parse */
	case 'h': usage(stdout); exit(0);
	case 'l': opt.lambda = opt_double(arg, 0, 1e6); break;
	case 'm': opt.kind = opt_choice(arg, kinds) == 1 ? SUR_MLP : SUR_SOFTMAX; break;
	case 'o': opt.out = arg; break;
	case 'v': opt.verbose = 1; break;
	case 'j': opt.jobs = (int)opt_int(arg, 1, 1024); break;
	case 'P': opt.progress = 1; break;
	case O_BATCH: opt.batch = (int)opt_int(arg, 1, 1 << 20); break;
	case O_EPOCHS: opt.epochs = (int)opt_int(arg, 0, 1 << 20); break;
	case O_HIDDEN: opt.hidden = (int)opt_int(arg, 1, 1 << 20); break;
	case O_INFL: opt.infl = opt_choice(arg, infls); break;
	case O_LR: opt.lr = opt_double(arg, 1e-12, 1e3); break;
	case O_MAXITER: opt.max_iter = (int)opt_int(arg, 0, 1 << 30); break;
	case O_MOMENTUM: opt.momentum = opt_double(arg, 0, 0.999999); break;
	case O_NOINTERCEPT: opt.intercept = 0; break;
	case O_NOSTD: opt.standardize = 0; break;
	case O_NORM:
		if (strcmp(arg, "count") == 0) {
			opt.norm = SUR_NORM_COUNT;
		} else if (strcmp(arg, "weight") == 0) {
			opt.norm = SUR_NORM_WEIGHT;
		} else {
			opt.norm = SUR_NORM_GIVEN;
			opt.norm_n = opt_double(arg, 1e-300, 1e300);
		}
		break;
	case O_OPTIM: opt.adam = opt_choice(arg, optims); break;
	case O_SEED: opt.seed = opt_seed(arg); break;
	case O_TOL: opt.tol = opt_double(arg, 0, 1e6); break;
	case O_WEIGHTS: opt.weights = arg; break;
	}
}

/* -v prints each iteration (epoch); the progress bar counts them out of
 * --max-iter (--epochs). */
static int
on_iter(void *ctx, int iter, double f, double gnorm)
{
	if (opt.verbose)
		fprintf(stderr, "%s: iteration %d objective %.9g gradient-norm %.3g\n", progname,
		        iter, f, gnorm);
	progress_update(ctx, iter);
	return 0;
}

/* The last two epochs' training losses, for sur_epochs_converged. */
static double prev_loss, last_loss;

static int
on_epoch(void *ctx, struct sur_mlp_trainer *t, int epoch, double loss)
{
	(void)t;
	prev_loss = last_loss;
	last_loss = loss;
	if (opt.verbose)
		fprintf(stderr, "%s: epoch %d mean-loss %.9g\n", progname, epoch, loss);
	progress_update(ctx, epoch);
	return 0;
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct sur_data D;
	struct sur_model *m;
	struct wn_out out;

	prog_init("winnow-fit");
	struct progress pg;
	int i = opt_parse(argc, argv, "fit", "c:hj:l:m:o:v", longopts, handle, usage);
	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (!opt.out)
		die(WN_EUSAGE, "-o MODEL is required");
	if (opt.kind == SUR_MLP && opt.infl != SUR_INFL_NONE)
		die(WN_EUSAGE, "--influence: influence factors need a softmax model (-m softmax)");
	const char *npath = argv[i], *mpath = i + 1 < argc ? argv[i + 1] : NULL;
	if (sur_data_load_path(&D, npath, mpath, opt.weights, NULL, NULL, 0, 0, &err) != 0)
		die_err(&err);

	openblas_set_num_threads(opt.jobs ? opt.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN));
	progress_init(&pg, "fit", opt.kind == SUR_SOFTMAX ? opt.max_iter : opt.epochs,
	              opt.progress);
	double t0 = wn_now();
	if (opt.kind == SUR_SOFTMAX) {
		struct sur_softmax_opts o;
		sur_softmax_opts_default(&o);
		o.lambda = opt.lambda;
		o.norm = (enum sur_norm)opt.norm;
		o.norm_n = opt.norm_n;
		o.intercept = opt.intercept;
		o.standardize = opt.standardize;
		o.max_iter = opt.max_iter;
		o.tol = opt.tol;
		o.infl = (enum sur_infl)opt.infl;
		o.on_iter = on_iter;
		o.ctx = &pg;
		m = sur_softmax_fit(D.X, D.y, D.w, D.n, D.d, (const char *const *)D.classes, D.k, &o,
		                    &err);
	} else {
		struct sur_mlp_opts o;
		sur_mlp_opts_default(&o);
		o.hidden = opt.hidden;
		o.mb.epochs = opt.epochs;
		o.mb.batch = opt.batch;
		o.mb.adam = opt.adam;
		o.mb.lr = opt.lr > 0 ? opt.lr : opt.adam ? 1e-3 : 0.05;
		o.mb.momentum = opt.momentum;
		o.mb.lambda = opt.lambda;
		o.mb.norm = (enum sur_norm)opt.norm;
		o.mb.norm_n = opt.norm_n;
		o.mb.standardize = opt.standardize;
		o.mb.seed = opt.seed;
		o.mb.keys = D.keys;
		o.on_epoch = on_epoch;
		o.ctx = &pg;
		m = sur_mlp_fit(D.X, D.y, D.w, D.n, D.d, (const char *const *)D.classes, D.k, &o,
		                &err);
	}
	if (!m)
		die_err(&err);
	pg.total = m->hp.iterations;    /* converged: that many were needed */
	progress_done(&pg, m->hp.iterations);
	double secs = wn_now() - t0, acc = 0;
	sur_evaluate(m, D.X, D.y, D.w, D.n, NULL, &acc, NULL);

	if (wn_out_open(&out, opt.out, &err) != 0)
		die_err(&err);
	if (sur_model_save(m, out.fp, opt.out, &err) != 0) {
		wn_out_abort(&out);
		die_err(&err);
	}
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	if (m->kind == SUR_SOFTMAX)
		fprintf(stderr, "%s: softmax: %zu row%s, %d features, %d classes: objective %.9g "
		        "gradient-norm %.3g iterations %d train-accuracy %.4f (%.2f s)\n", progname,
		        D.n, WN_S(D.n), D.d, D.k, m->hp.objective, m->hp.grad_norm,
		        m->hp.iterations, acc, secs);
	else
		fprintf(stderr, "%s: mlp: %zu row%s, %d features, %d classes, %d hidden: objective "
		        "%.9g epochs %d train-accuracy %.4f (%.2f s)\n", progname, D.n, WN_S(D.n),
		        D.d, D.k, m->h, m->hp.objective, m->hp.iterations, acc, secs);
	if (m->kind == SUR_SOFTMAX && opt.infl != SUR_INFL_NONE) {
		/* their cost, so that a user who does not score by influence
		 * knows what --influence none saves: (k+1) or 1 factors of
		 * (d+1)^2 floats */
		double nf = opt.infl == SUR_INFL_CLASS ? D.k + 1 : 1, d1 = D.d + 1.0;
		fprintf(stderr, "%s: influence factors (%s): %.1f MB of the model\n", progname,
		        opt.infl == SUR_INFL_CLASS ? "class" : "shared", nf * d1 * d1 * 4 / 1e6);
	}
	char msg[256];
	if (m->kind == SUR_SOFTMAX ? !sur_lbfgs_converged(m, msg, sizeof msg)
	                           : !sur_epochs_converged(m->hp.iterations, prev_loss, last_loss,
	                                                   opt.tol, msg, sizeof msg))
		warnx("%s", msg);
	sur_model_free(m);
	sur_data_free(&D);
	return 0;
}
