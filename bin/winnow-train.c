/*
 * winnow-train - train the final model on a (pruned) manifest and report
 * how well it does on a test set.  See winnow-train(1).  The run itself
 * (L-BFGS, minibatch softmax, MLP; sifting, adaptive selection, early
 * stopping, checkpoints, tuning) is sur_train_* (surrogate/train.h); this
 * file parses, loads, calls and prints what the run reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "atomic.h"
#include "data.h"
#include "model.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"
#include "train.h"

/* The run's options (O.t, sur_train_opts_default()) and the program's. */
static struct {
	struct sur_train_opts t;
	int solver_set;
	const char *out;
	const char *test, *val, *log;
	int drop_issues;        /* leave out rows winnow-audit flagged */
	int verbose;            /* -v: each L-BFGS iteration on stderr */
	int progress;
	int tune;
	int threads;            /* -j; 0: the processors online */
} O;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-train [-m softmax|mlp] [-c FILE.yaml] [-j N] [-l LAMBDA]\n"
	    "                    [--test EMB.npy:MANIFEST] [--val EMB.npy:MANIFEST]\n"
	    "                    [--log FILE.tsv] [--no-weights] [--drop-issues]\n"
	    "                    [--solver lbfgs|sgd]\n"
	    "                    [--epochs N] [--batch N] [--hidden N] [--lr R]\n"
	    "                    [--optimizer adam|sgd] [--momentum M]\n"
	    "                    [--lr-schedule constant|cosine|exp:F] [--patience N]\n"
	    "                    [--lambda-per subset|full:N] [--no-intercept]\n"
	    "                    [--no-standardize] [--max-iter N] [--tol T]\n"
	    "                    [--sift-beta B] [--sift-history L] [--sift-delay D]\n"
	    "                    [--checkpoint FILE] [--checkpoint-every N] [--resume]\n"
	    "                    [--adaptive random|glister|gradmatch|craig] [--fraction F]\n"
	    "                    [--every R] [--warm E] [--taylor-every N]\n"
	    "                    [--tune] [--tune-trials N]\n"
	    "                    [--seed S] [--progress] [-v] -o MODEL EMB.npy [MANIFEST]\n");
}

enum {
	OPT_TEST = 256, OPT_VAL, OPT_LOG, OPT_NOWEIGHTS, OPT_SOLVER, OPT_EPOCHS,
	OPT_BATCH, OPT_HIDDEN, OPT_LR, OPT_OPTIMIZER, OPT_MOMENTUM, OPT_SCHED,
	OPT_PATIENCE, OPT_LAMBDAPER, OPT_NOINTERCEPT, OPT_NOSTD, OPT_MAXITER,
	OPT_TOL, OPT_SBETA, OPT_SHIST, OPT_SDELAY, OPT_CKPT, OPT_CKPTEVERY,
	OPT_RESUME, OPT_STOPAFTER, OPT_SEED, OPT_PROGRESS, OPT_ADAPTIVE, OPT_FRACTION,
	OPT_EVERY, OPT_WARM, OPT_TAYLOR, OPT_TUNE, OPT_TUNETRIALS, OPT_DROPISSUES
};

static const struct option longopts[] = {
	{ "adaptive", required_argument, 0, OPT_ADAPTIVE },
	{ "batch", required_argument, 0, OPT_BATCH },
	{ "checkpoint", required_argument, 0, OPT_CKPT },
	{ "checkpoint-every", required_argument, 0, OPT_CKPTEVERY },
	{ "config", required_argument, 0, 'c' },
	{ "drop-issues", no_argument, 0, OPT_DROPISSUES },
	{ "epochs", required_argument, 0, OPT_EPOCHS },
	{ "every", required_argument, 0, OPT_EVERY },
	{ "fraction", required_argument, 0, OPT_FRACTION },
	{ "help", no_argument, 0, 'h' },
	{ "hidden", required_argument, 0, OPT_HIDDEN },
	{ "jobs", required_argument, 0, 'j' },
	{ "lambda", required_argument, 0, 'l' },
	{ "lambda-per", required_argument, 0, OPT_LAMBDAPER },
	{ "log", required_argument, 0, OPT_LOG },
	{ "lr", required_argument, 0, OPT_LR },
	{ "lr-schedule", required_argument, 0, OPT_SCHED },
	{ "max-iter", required_argument, 0, OPT_MAXITER },
	{ "model", required_argument, 0, 'm' },
	{ "momentum", required_argument, 0, OPT_MOMENTUM },
	{ "no-intercept", no_argument, 0, OPT_NOINTERCEPT },
	{ "no-standardize", no_argument, 0, OPT_NOSTD },
	{ "no-weights", no_argument, 0, OPT_NOWEIGHTS },
	{ "optimizer", required_argument, 0, OPT_OPTIMIZER },
	{ "output", required_argument, 0, 'o' },
	{ "patience", required_argument, 0, OPT_PATIENCE },
	{ "progress", no_argument, 0, OPT_PROGRESS },
	{ "resume", no_argument, 0, OPT_RESUME },
	{ "seed", required_argument, 0, OPT_SEED },
	{ "sift-beta", required_argument, 0, OPT_SBETA },
	{ "sift-delay", required_argument, 0, OPT_SDELAY },
	{ "sift-history", required_argument, 0, OPT_SHIST },
	{ "solver", required_argument, 0, OPT_SOLVER },
	{ "stop-after", required_argument, 0, OPT_STOPAFTER },
	{ "taylor-every", required_argument, 0, OPT_TAYLOR },
	{ "test", required_argument, 0, OPT_TEST },
	{ "tol", required_argument, 0, OPT_TOL },
	{ "tune", no_argument, 0, OPT_TUNE },
	{ "tune-trials", required_argument, 0, OPT_TUNETRIALS },
	{ "val", required_argument, 0, OPT_VAL },
	{ "verbose", no_argument, 0, 'v' },
	{ "warm", required_argument, 0, OPT_WARM },
	{ 0, 0, 0, 0 }
};

static void
handle(int c, const char *arg)
{
	static const char *const kinds[] = { "softmax", "mlp", NULL };
	static const char *const methods[] = { "random", "glister", "gradmatch", "craig", NULL };
	static const char *const solvers[] = { "lbfgs", "sgd", NULL };
	static const char *const optims[] = { "adam", "sgd", NULL };

	switch (c) {
	case 'c': break;
	case 'h': usage(stdout); exit(0);
	case 'j': O.threads = (int)opt_int(arg, 1, 1024); break;
	case 'l': O.t.lambda = opt_double(arg, 0, 1e6); break;
	case 'm': O.t.kind = opt_choice(arg, kinds) == 0 ? SUR_SOFTMAX : SUR_MLP; break;
	case 'o': O.out = arg; break;
	case 'v': O.verbose = 1; break;
	case OPT_ADAPTIVE:
		O.t.method = (enum ada_method)ada_method_parse(methods[opt_choice(arg, methods)]);
		O.t.adaptive = 1;
		break;
	case OPT_BATCH: O.t.batch = (int)opt_int(arg, 1, 1 << 20); break;
	case OPT_CKPT: O.t.ckpt = arg; break;
	case OPT_CKPTEVERY: O.t.ckpt_every = (int)opt_int(arg, 1, 1000000); break;
	case OPT_DROPISSUES: O.drop_issues = 1; break;
	case OPT_EPOCHS: O.t.epochs = (int)opt_int(arg, 1, 1000000); break;
	case OPT_EVERY: O.t.every = (int)opt_int(arg, 1, 1000000); break;
	case OPT_FRACTION:
		O.t.fraction = opt_double(arg, 0, 1);
		if (!(O.t.fraction > 0))
			opt_fail("%s is not in (0, 1]", arg);
		break;
	case OPT_HIDDEN: O.t.hidden = (int)opt_int(arg, 1, 1 << 16); break;
	case OPT_LAMBDAPER:
		if (strcmp(arg, "subset") == 0) {
			O.t.norm = SUR_NORM_WEIGHT;
		} else if (strncmp(arg, "full:", 5) == 0) {
			O.t.norm = SUR_NORM_GIVEN;
			O.t.norm_n = opt_double(arg + 5, 1, 1e15);
		} else {
			opt_fail("\"%s\" is not subset or full:N", arg);
		}
		break;
	case OPT_LOG: O.log = arg; break;
	case OPT_LR: O.t.lr = opt_double(arg, 1e-12, 1e3); break;
	case OPT_MAXITER: O.t.max_iter = (int)opt_int(arg, 1, 100000000); break;
	case OPT_MOMENTUM: O.t.momentum = opt_double(arg, 0, 0.999999); break;
	case OPT_NOINTERCEPT: O.t.intercept = 0; break;
	case OPT_NOSTD: O.t.standardize = 0; break;
	case OPT_NOWEIGHTS: O.t.use_weights = 0; break;
	case OPT_OPTIMIZER: O.t.adam = opt_choice(arg, optims) == 0; break;
	case OPT_PATIENCE: O.t.patience = (int)opt_int(arg, 0, 1000000); break;
	case OPT_PROGRESS: O.progress = 1; break;
	case OPT_RESUME: O.t.resume = 1; break;
	case OPT_SBETA: O.t.sift_beta = opt_double(arg, 0, 1e3); O.t.sifting = 1; break;
	case OPT_SDELAY: O.t.sift_delay = opt_int(arg, 0, 1LL << 50); break;
	case OPT_SCHED:
		if (strcmp(arg, "constant") == 0) {
			O.t.sched = SUR_SCHED_CONSTANT;
		} else if (strcmp(arg, "cosine") == 0) {
			O.t.sched = SUR_SCHED_COSINE;
		} else if (strncmp(arg, "exp:", 4) == 0) {
			O.t.sched = SUR_SCHED_EXP;
			O.t.decay = opt_double(arg + 4, 1e-6, 1);
		} else {
			opt_fail("\"%s\" is not constant, cosine or exp:F", arg);
		}
		break;
	case OPT_SEED: O.t.seed = opt_seed(arg); break;
	case OPT_SHIST: O.t.sift_history = opt_int(arg, 1, 100000000); break;
	case OPT_SOLVER: O.t.solver = opt_choice(arg, solvers) == 0 ? SUR_SOLVER_LBFGS : SUR_SOLVER_SGD;
		O.solver_set = 1; break;
	case OPT_STOPAFTER: O.t.stop_after = (int)opt_int(arg, 1, 1000000); break;
	case OPT_TAYLOR: O.t.taylor_every = opt_int(arg, 1, 1LL << 40); break;
	case OPT_TUNE: O.tune = 1; break;
	case OPT_TUNETRIALS: O.t.tune_trials = (int)opt_int(arg, 1, 10000); O.tune = 1; break;
	case OPT_TEST: O.test = arg; break;
	case OPT_TOL: O.t.tol = opt_double(arg, 0, 1e6); break;
	case OPT_VAL: O.val = arg; break;
	case OPT_WARM: O.t.warm = (int)opt_int(arg, 0, 1000000); break;
	default: usage(stderr); exit(WN_EUSAGE);
	}
}

/* ---- data ---------------------------------------------------------------- */

/* "EMB.npy:MANIFEST": split at ".npy:" if present, else at the last ':'. */
static void
split_pair(const char *arg, const char *opt, char **emb, char **mf)
{
	const char *p = strstr(arg, ".npy:");
	p = p ? p + 4 : strrchr(arg, ':');
	if (p == NULL || p == arg || p[1] == '\0')
		die(WN_EUSAGE, "%s: \"%s\" is not EMB.npy:MANIFEST", opt, arg);
	*emb = estrdup(arg);
	(*emb)[p - arg] = '\0';
	*mf = estrdup(p + 1);
}

/* ---- what the run reports ---------------------------------------------- */

static struct progress pr;
static FILE *logf;              /* --log, or NULL */

/* The log's line for an event, if it has one (sur_train_log). */
static void
log_event(const struct sur_train *t, int event)
{
	struct wn_err err = { 0 };

	if (logf && sur_train_log(logf, O.log, t, event, &err) != 0)
		die_err(&err);
}

static void
print_classes(const char *what, const struct sur_train *t, const struct sur_eval *e,
              int digits)
{
	printf("%s", what);
	for (int c = 0; c < t->D->k; c++)
		printf(" %s %.*f", t->D->classes[c], digits,
		       e->cls_n[c] ? (double)e->cls_ok[c] / e->cls_n[c] : 0.0);
	printf("\n");
}

/* An epoch: its line on stdout (and per class with a test set), its row
 * in the log.  Tuning trials print only their summary. */
static void
print_epoch(const struct sur_train *t)
{
	if (t->o.solver == SUR_SOLVER_SGD)
		progress_update(&pr, t->epoch);
	if (t->trial)
		return;
	printf("epoch %d: train loss %.6f", t->epoch, t->last_loss);
	if (t->T)
		printf(", test loss %.6f, test accuracy %.5f", t->te.loss, t->te.acc);
	if (t->V)
		printf(", val loss %.6f, val accuracy %.5f", t->ve.loss, t->ve.acc);
	printf("\n");
	if (t->T)
		print_classes("  per class:", t, &t->te, 4);
	fflush(stdout);
	log_event(t, SUR_TRAIN_EPOCH);
}

static void
on_report(void *ctx, const struct sur_train *t, int event)
{
	(void)ctx;
	switch (event) {
	case SUR_TRAIN_START:
		if (t->o.solver == SUR_SOLVER_LBFGS)
			progress_init(&pr, "train (L-BFGS iterations)", t->o.max_iter, O.progress);
		else
			progress_init(&pr, "train (epochs)", t->o.epochs, O.progress);
		break;
	case SUR_TRAIN_ITER:
		/* sgd and mlp epochs are on stdout already; -v shows L-BFGS's steps */
		if (O.verbose && !t->trial)
			fprintf(stderr, "%s: iteration %d objective %.9g gradient-norm %.3g\n",
			        progname, t->iter, t->f, t->gnorm);
		progress_update(&pr, t->iter);
		break;
	case SUR_TRAIN_RESUME:
		fprintf(stderr, "%s: resuming from %s after epoch %d\n", progname, t->o.ckpt,
		        t->epoch);
		break;
	case SUR_TRAIN_SELECT:
		if (t->trial)
			break;
		printf("selection at epoch %d: %s chose %zu of %zu rows (%zu by the method)"
		       " in %.3f s\n", t->sel_epoch, ada_method_name(t->o.method), t->sub.n,
		       t->D->n, t->sub.n_greedy, t->sel_secs);
		log_event(t, event);
		break;
	case SUR_TRAIN_EPOCH:
		print_epoch(t);
		break;
	case SUR_TRAIN_LBFGS:
		printf("L-BFGS: %d iterations, objective %.9g, gradient norm %.3g\n",
		       t->model->hp.iterations, t->model->hp.objective, t->model->hp.grad_norm);
		break;
	case SUR_TRAIN_END:
		progress_done(&pr, t->o.solver == SUR_SOLVER_LBFGS ? t->model->hp.iterations
		                                                    : t->epoch);
		break;
	case SUR_TRAIN_TRIAL:
		printf("tune: trial %d of %d: lambda %.3g lr %.3g: val loss %.6f, val accuracy %.5f"
		       " (%d epochs, %.2f s)\n", t->trial, t->trials, t->o.lambda, t->o.lr,
		       t->ve.loss, t->ve.acc, t->epoch, t->trial_secs);
		log_event(t, event);
		break;
	}
}

/*
 * --tune: search the L2 strength (and, for minibatch training, the
 * learning rate) on the validation set (sur_train_tune); every trial goes
 * to stdout and the log, the best setting into the run's options.
 */
static void
tune(struct sur_train *t)
{
	struct wn_err err = { 0 };
	struct sur_tune_best b;
	double t0 = wn_now();

	if (logf && sur_train_log_head(logf, O.log, 1, &err) != 0)
		die_err(&err);
	if (sur_train_tune(t, &b, &err) != 0)
		die_err(&err);
	printf("tune: best lambda %.3g lr %.3g: val accuracy %.5f, val loss %.6f (%d trials,"
	       " %.2f s)\n", b.lambda, b.lr, b.acc, b.loss, b.trials, wn_now() - t0);
	if (logf && sur_train_log_best(logf, O.log, &b, &err) != 0)
		die_err(&err);
	fflush(stdout);
}

/* --test or --val: the labeled rows of "EMB.npy:MANIFEST" (arg), with the
 * training set's classes and width; what is left out is said (what). */
static struct sur_data *
load_eval(struct sur_data *S, const char *arg, const char *opt, const struct sur_data *D,
          const char *what)
{
	struct wn_err err = { 0 };
	char *e, *f;

	if (arg == NULL)
		return NULL;
	split_pair(arg, opt, &e, &f);
	if (sur_data_load_path(S, e, f, NULL, NULL, (const char *const *)D->classes, D->k, 0,
	                       &err) != 0)
		die_err(&err);
	if (S->d != D->d)
		die(WN_EDATA, "%s: %d columns, but the training embeddings have %d", e, S->d, D->d);
	if (S->skipped)
		warnx("%s: %zu row%s without a label left out of %s", input_name(f), S->skipped,
		      WN_S(S->skipped), what);
	free(e);
	free(f);
	return S;
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct sur_data D, T, V;
	struct sur_train R;
	struct sur_model *m;
	struct wn_out out;
	char *ckpt_default = NULL, msg[256];
	const char *mf;
	int i;

	prog_init("winnow-train");
	sur_train_opts_default(&O.t);
	i = opt_parse(argc, argv, "train", "c:hj:l:m:o:v", longopts, handle, usage);
	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		exit(WN_EUSAGE);
	}
	if (O.out == NULL)
		die(WN_EUSAGE, "-o MODEL is required");
	if (O.t.kind == SUR_MLP && O.solver_set && O.t.solver == SUR_SOLVER_LBFGS)
		die(WN_EUSAGE, "--solver lbfgs is for -m softmax; -m mlp trains by minibatches");
	if (sur_train_check(&O.t, O.val != NULL, O.tune, &err) != 0)
		die_err(&err);
	if (O.t.ckpt == NULL) {
		size_t len = strlen(O.out) + 6;
		ckpt_default = emalloc(len);
		snprintf(ckpt_default, len, "%s.ckpt", O.out);
		O.t.ckpt = ckpt_default;
	}
	O.t.report = on_report;
	openblas_set_num_threads(O.threads ? O.threads : (int)sysconf(_SC_NPROCESSORS_ONLN));

	double t0 = wn_now();
	mf = i + 1 < argc ? argv[i + 1] : NULL;
	if (sur_data_load_path(&D, argv[i], mf, O.t.use_weights ? "weight" : NULL,
	                       O.drop_issues ? "label_issue" : NULL, NULL, 0,
	                       SUR_DATA_WEIGHTS_OPTIONAL, &err) != 0)
		die_err(&err);
	if (D.skipped)
		warnx("%s: %zu row%s without a label skipped", input_name(mf), D.skipped,
		      WN_S(D.skipped));
	if (O.drop_issues)
		warnx("%s: %zu row%s flagged by winnow-audit left out (--drop-issues)",
		      input_name(mf), D.dropped, WN_S(D.dropped));
	const struct sur_data *Tp = load_eval(&T, O.test, "--test", &D, "the test measurement");
	const struct sur_data *Vp = load_eval(&V, O.val, "--val", &D, "the validation set");
	if (sur_train_init(&R, &O.t, &D, Tp, Vp, &err) != 0)
		die_err(&err);
	if (O.log) {
		logf = fopen(O.log, O.t.resume ? "a" : "w");
		if (logf == NULL)
			die(WN_ECANTCREAT, "%s: %s", O.log, strerror(errno));
		if (ftell(logf) == 0 && sur_train_log_head(logf, O.log, 0, &err) != 0)
			die_err(&err);
	}
	double load_secs = wn_now() - t0;

	if (O.tune)
		tune(&R);
	if ((m = sur_train_run(&R, &err)) == NULL)
		die_err(&err);
	if (R.best_kept) {
		/* "early stopping" only when training stopped before --epochs */
		if (R.best_epoch == R.epoch)
			printf("validation: best loss %.6f at the last epoch, %d\n", R.best_val,
			       R.epoch);
		else if (R.epoch < O.t.epochs)
			printf("early stopping: best validation loss %.6f at epoch %d of %d\n",
			       R.best_val, R.best_epoch, R.epoch);
		else
			printf("validation: best loss %.6f at epoch %d of %d, whose model is kept\n",
			       R.best_val, R.best_epoch, R.epoch);
	}
	double secs = sur_train_seconds(&R);

	if (wn_out_open(&out, O.out, &err) != 0 || sur_model_save(m, out.fp, O.out, &err) != 0) {
		wn_out_abort(&out);
		die_err(&err);
	}
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	if (O.t.ckpt_every && !O.t.stop_after)
		unlink(O.t.ckpt);       /* the run finished: the checkpoint has served */
	if (!sur_train_converged(&R, m, msg, sizeof msg))
		warnx("%s", msg);

	if (R.T) {
		if (sur_evaluate_classes(m, T.X, T.y, NULL, T.n, &R.te.loss, &R.te.acc, R.te.cls_n,
		                         R.te.cls_ok, &err) != 0)
			die_err(&err);
		print_classes("test per class:", &R, &R.te, 5);
	}
	if (O.t.sifting)
		printf("sifting: %lld of %lld samples sifted out (%.2f%%), %lld backward passes"
		       " saved\n", R.sift.seen - R.sift.kept, R.sift.seen,
		       R.sift.seen ? 100.0 * (R.sift.seen - R.sift.kept) / R.sift.seen : 0.0,
		       R.sift.seen - R.sift.kept);
	printf("final: samples %zu epochs %d backward %lld train_seconds %.3f load_seconds %.3f",
	       D.n, R.epoch, R.backward, secs, load_secs);
	if (R.T)
		printf(" test_accuracy %.6f test_error %.6f test_loss %.6f", R.te.acc,
		       1 - R.te.acc, R.te.loss);
	if (O.t.adaptive)
		printf(" select_seconds %.3f selections %d", R.select_secs, R.rounds);
	printf("\n");

	if (logf && fclose(logf) != 0)
		die(WN_EIO, "%s: write error: %s", O.log, strerror(errno));
	efshut(stdout, "<stdout>");
	sur_model_free(m);
	sur_train_free(&R);
	sur_data_free(&D);
	if (Tp)
		sur_data_free(&T);
	if (Vp)
		sur_data_free(&V);
	free(ckpt_default);
	return 0;
}
