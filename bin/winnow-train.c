/*
 * winnow-train - train the final model on a (pruned) manifest and report
 * how well it does on a test set.  See winnow-train(1).
 *
 * Three trainers, all over the surrogate/ models:
 *   -m softmax (--solver lbfgs)  sur_softmax_fit, full batch to convergence
 *   -m softmax --solver sgd      minibatch Adam/momentum over
 *                                sur_softmax_loss_grad (this file), with
 *                                online sifting (lib/sift.h) and checkpoints
 *   -m mlp                       sur_mlp_trainer, epoch by epoch
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "adaptive.h"
#include "atomic.h"
#include "ckpt.h"
#include "data.h"
#include "hash.h"
#include "manifest.h"
#include "mlp.h"
#include "model.h"
#include "npy.h"
#include "optim.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"
#include "sgd.h"
#include "sift.h"
#include "softmax.h"

enum solver { SOLVER_LBFGS, SOLVER_SGD };

static struct {
	enum sur_kind kind;
	enum solver solver;
	int solver_set;
	const char *out;
	const char *test, *val, *log, *ckpt;
	int use_weights;
	int drop_issues;        /* leave out rows winnow-audit flagged */
	int epochs, batch, hidden, patience;
	double lr, momentum;
	int adam;
	enum sur_sched sched;
	double decay;
	double lambda;
	enum sur_norm norm;
	double norm_n;
	int intercept, standardize;
	int max_iter;
	double tol;
	double sift_beta;
	long long sift_history, sift_delay;
	int sifting;
	int ckpt_every, resume, stop_after;
	unsigned long long seed;
	int threads;
	int verbose;            /* -v: each L-BFGS iteration on stderr */
	int progress;
	/* adaptive subset selection (--adaptive) and tuning (--tune) */
	int adaptive;
	enum ada_method method;
	double fraction;
	int every, warm;
	long long taylor_every;         /* 0: budget / 100 */
	int tune, tune_trials;          /* tune_trials 0: the grid */
} O = {
	.kind = SUR_SOFTMAX, .solver = SOLVER_LBFGS, .use_weights = 1,
	.epochs = 20, .batch = 128, .hidden = 256, .patience = 3,
	.lr = -1, .momentum = 0.9, .adam = 1, .sched = SUR_SCHED_CONSTANT, .decay = 1,
	.lambda = 1e-4, .norm = SUR_NORM_WEIGHT, .intercept = 1, .standardize = 1,
	.max_iter = 500, .tol = 1e-5, .sift_history = 500, .sift_delay = 10,
	.threads = 0,
	.fraction = 0.1, .every = 5,
};

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
	case 'l': O.lambda = opt_double(arg, 0, 1e6); break;
	case 'm': O.kind = opt_choice(arg, kinds) == 0 ? SUR_SOFTMAX : SUR_MLP; break;
	case 'o': O.out = arg; break;
	case 'v': O.verbose = 1; break;
	case OPT_ADAPTIVE:
		O.method = (enum ada_method)ada_method_parse(methods[opt_choice(arg, methods)]);
		O.adaptive = 1;
		break;
	case OPT_BATCH: O.batch = (int)opt_int(arg, 1, 1 << 20); break;
	case OPT_CKPT: O.ckpt = arg; break;
	case OPT_CKPTEVERY: O.ckpt_every = (int)opt_int(arg, 1, 1000000); break;
	case OPT_DROPISSUES: O.drop_issues = 1; break;
	case OPT_EPOCHS: O.epochs = (int)opt_int(arg, 1, 1000000); break;
	case OPT_EVERY: O.every = (int)opt_int(arg, 1, 1000000); break;
	case OPT_FRACTION:
		O.fraction = opt_double(arg, 0, 1);
		if (!(O.fraction > 0))
			opt_fail("%s is not in (0, 1]", arg);
		break;
	case OPT_HIDDEN: O.hidden = (int)opt_int(arg, 1, 1 << 16); break;
	case OPT_LAMBDAPER:
		if (strcmp(arg, "subset") == 0) {
			O.norm = SUR_NORM_WEIGHT;
		} else if (strncmp(arg, "full:", 5) == 0) {
			O.norm = SUR_NORM_GIVEN;
			O.norm_n = opt_double(arg + 5, 1, 1e15);
		} else {
			opt_fail("\"%s\" is not subset or full:N", arg);
		}
		break;
	case OPT_LOG: O.log = arg; break;
	case OPT_LR: O.lr = opt_double(arg, 1e-12, 1e3); break;
	case OPT_MAXITER: O.max_iter = (int)opt_int(arg, 1, 100000000); break;
	case OPT_MOMENTUM: O.momentum = opt_double(arg, 0, 0.999999); break;
	case OPT_NOINTERCEPT: O.intercept = 0; break;
	case OPT_NOSTD: O.standardize = 0; break;
	case OPT_NOWEIGHTS: O.use_weights = 0; break;
	case OPT_OPTIMIZER: O.adam = opt_choice(arg, optims) == 0; break;
	case OPT_PATIENCE: O.patience = (int)opt_int(arg, 0, 1000000); break;
	case OPT_PROGRESS: O.progress = 1; break;
	case OPT_RESUME: O.resume = 1; break;
	case OPT_SBETA: O.sift_beta = opt_double(arg, 0, 1e3); O.sifting = 1; break;
	case OPT_SDELAY: O.sift_delay = opt_int(arg, 0, 1LL << 50); break;
	case OPT_SCHED:
		if (strcmp(arg, "constant") == 0) {
			O.sched = SUR_SCHED_CONSTANT;
		} else if (strcmp(arg, "cosine") == 0) {
			O.sched = SUR_SCHED_COSINE;
		} else if (strncmp(arg, "exp:", 4) == 0) {
			O.sched = SUR_SCHED_EXP;
			O.decay = opt_double(arg + 4, 1e-6, 1);
		} else {
			opt_fail("\"%s\" is not constant, cosine or exp:F", arg);
		}
		break;
	case OPT_SEED: O.seed = opt_seed(arg); break;
	case OPT_SHIST: O.sift_history = opt_int(arg, 1, 100000000); break;
	case OPT_SOLVER: O.solver = opt_choice(arg, solvers) == 0 ? SOLVER_LBFGS : SOLVER_SGD;
		O.solver_set = 1; break;
	case OPT_STOPAFTER: O.stop_after = (int)opt_int(arg, 1, 1000000); break;
	case OPT_TAYLOR: O.taylor_every = opt_int(arg, 1, 1LL << 40); break;
	case OPT_TUNE: O.tune = 1; break;
	case OPT_TUNETRIALS: O.tune_trials = (int)opt_int(arg, 1, 10000); O.tune = 1; break;
	case OPT_TEST: O.test = arg; break;
	case OPT_TOL: O.tol = opt_double(arg, 0, 1e6); break;
	case OPT_VAL: O.val = arg; break;
	case OPT_WARM: O.warm = (int)opt_int(arg, 0, 1000000); break;
	default: usage(stderr); exit(WN_EUSAGE);
	}
}

/* ---- data ---------------------------------------------------------------- */

/*
 * Read a manifest (path, or stdin for NULL) and gather its labeled rows
 * from the embeddings at emb_path, through the one loader (data.h).  With
 * classes NULL (training set) the classes are the labels seen; else each
 * label must be one of the k classes.
 */
static void
load_data(struct sur_data *D, const char *emb_path, const char *mf_path,
          const char *const *classes, int k, int want_weights)
{
	struct wn_err err = { 0 };
	struct npy emb;
	FILE *fp = efopen_input(mf_path);
	const char *name = input_name(mf_path);
	struct mf_reader *r;

	if (npy_open(&emb, emb_path, &err) != 0)
		die_err(&err);
	r = mf_open(fp, name, MF_CHECK_DUPS, &err);
	if (r == NULL) {
		if (err.code == WN_EDATA && strstr(err.msg, "empty"))
			die(WN_EDATA, "%s: empty manifest: no header and no rows", name);
		die_err(&err);
	}
	if (want_weights && mf_col(r, "weight") < 0)
		want_weights = 0;
	if (sur_data_load(D, &emb, r, want_weights ? "weight" : NULL,
	                  O.drop_issues && classes == NULL ? "label_issue" : NULL, classes, k, &err) != 0)
		die_err(&err);
	mf_close(r);
	if (fp != stdin)
		fclose(fp);
	npy_close(&emb);
}

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

/* ---- evaluation ------------------------------------------------------------ */

struct evalres {
	double loss, acc;
	long long *cls_n, *cls_ok;      /* k each */
};

static void
evaluate(const struct sur_model *m, const struct sur_data *T, struct evalres *e)
{
	struct wn_err err = { 0 };
	if (sur_evaluate_classes(m, T->X, T->y, NULL, T->n, &e->loss, &e->acc, e->cls_n,
	                         e->cls_ok, &err) != 0)
		die_err(&err);
}

/* ---- the run's state, shared by the trainers --------------------------------- */

struct run {
	struct sur_data *D, *T, *V;       /* training, test (or NULL), validation (or NULL) */
	char **classes;
	int k;
	struct sift sift;
	struct evalres te, ve;
	FILE *log;
	double t0;
	/* counters (checkpointed) */
	int epoch;                      /* epochs done */
	long long steps, seen, backward;
	double last_loss;
	int best_epoch, bad;
	double best_val;
	struct sur_model *best;         /* model at best_epoch (early stopping) */
	struct sur_ckpt ck;             /* the checkpoint being read */
	double seconds;                 /* training seconds before this process */
	struct progress pr;
	int quiet;                      /* a tuning trial: no output, no log */
	/* adaptive selection: the subset in use and its weights by row */
	struct ada_subset sub;
	float *w_sub;                   /* D->n: weight of each chosen row, 0 elsewhere */
	int rounds;
	double select_secs;
};

static double
lr_at(int epoch)
{
	return sur_lr_at(O.sched, O.lr, O.decay, epoch, O.epochs);
}

/* After an epoch: evaluate, print, log, early-stopping bookkeeping.
 * Returns 1 to stop (patience exhausted). */
static int
end_epoch(struct run *R, const struct sur_model *m, double train_loss)
{
	struct wn_err err = { 0 };
	double secs = R->seconds + (wn_now() - R->t0);
	int stop = 0;

	R->last_loss = train_loss;
	if (!R->quiet) {
		printf("epoch %d: train loss %.6f", R->epoch, train_loss);
		if (R->T) {
			evaluate(m, R->T, &R->te);
			printf(", test loss %.6f, test accuracy %.5f", R->te.loss, R->te.acc);
		}
	}
	if (R->V) {
		evaluate(m, R->V, &R->ve);
		if (!R->quiet)
			printf(", val loss %.6f, val accuracy %.5f", R->ve.loss, R->ve.acc);
		if (O.patience == 0) {
			/* no early stopping: the last epoch's model is kept */
		} else if (R->best == NULL || R->ve.loss < R->best_val) {
			sur_model_free(R->best);
			R->best = sur_model_dup(m, &err);
			if (R->best == NULL)
				die_err(&err);
			R->best_val = R->ve.loss;
			R->best_epoch = R->epoch;
			R->bad = 0;
		} else if (++R->bad >= O.patience) {
			stop = 1;
		}
	}
	if (R->quiet)
		return stop;
	printf("\n");
	if (R->T) {
		printf("  per class:");
		for (int c = 0; c < R->k; c++)
			printf(" %s %.4f", R->classes[c],
			       R->te.cls_n[c] ? (double)R->te.cls_ok[c] / R->te.cls_n[c] : 0.0);
		printf("\n");
	}
	fflush(stdout);
	if (R->log) {
		fprintf(R->log, "%d\t%lld\t%lld\t%.9g", R->epoch, R->seen, R->backward, train_loss);
		if (R->T)
			fprintf(R->log, "\t%.9g\t%.9g", R->te.loss, R->te.acc);
		else
			fprintf(R->log, "\t\t");
		if (R->V)
			fprintf(R->log, "\t%.9g\t%.9g", R->ve.loss, R->ve.acc);
		else
			fprintf(R->log, "\t\t");
		fprintf(R->log, "\t%.3f\n", secs);
		if (fflush(R->log) != 0)
			die(WN_EIO, "%s: write error: %s", O.log, strerror(errno));
	}
	return stop;
}

/* ---- checkpoints ------------------------------------------------------------- */

/* What a checkpoint must agree on with the run that resumes it. */
static uint64_t
fingerprint(const struct run *R)
{
	char buf[1024];
	int len = snprintf(buf, sizeof buf,
	    "%d %d %zu %d %d %d %d %.17g %.17g %d %d %.17g %.17g %d %.17g %d %d %d %.17g %lld %lld %d %llu",
	    O.kind, O.solver, R->D->n, R->D->d, R->k, O.batch, O.hidden, O.lr, O.momentum,
	    O.adam, O.sched, O.decay, O.lambda, O.norm, O.norm_n, O.intercept, O.standardize,
	    O.sifting, O.sift_beta, O.sift_history, O.sift_delay, O.use_weights, O.seed);
	uint64_t h = wn_hash64(0, 0, buf, (size_t)len);
	for (size_t i = 0; i < R->D->n; i++)
		h = wn_splitmix64(h ^ R->D->keys[i]);
	return h;
}

/* Model-state writer for the trainer in use. */
struct trainer_io {
	sur_ckpt_save_fn *save;
	void *ctx;
};

static void
ckpt_write(struct run *R, const struct trainer_io *io)
{
	struct wn_err err = { 0 };
	struct wn_out o;
	struct sur_ckpt h = {
		.fingerprint = fingerprint(R), .epoch = R->epoch, .best_epoch = R->best_epoch,
		.bad = R->bad, .has_best = R->best != NULL, .steps = R->steps,
		.seen = R->seen, .backward = R->backward, .last_loss = R->last_loss,
		.best_val = R->best_val, .seconds = R->seconds + (wn_now() - R->t0),
	};

	if (wn_out_open(&o, O.ckpt, &err) != 0)
		die_err(&err);
	if (sur_ckpt_save(o.fp, O.ckpt, &h, O.sifting ? &R->sift : NULL, io->save, io->ctx,
	                  R->best, &err) != 0) {
		wn_out_abort(&o);
		die_err(&err);
	}
	if (wn_out_commit(&o, &err) != 0)
		die_err(&err);
}

/* Open the checkpoint for --resume and read the run's counters; returns
 * the file positioned at the trainer state, or NULL if there is none. */
static FILE *
ckpt_open(struct run *R)
{
	struct wn_err err = { 0 };
	FILE *fp = fopen(O.ckpt, "rb");

	if (fp == NULL) {
		if (errno == ENOENT)
			return NULL;
		die(WN_ENOINPUT, "%s: %s", O.ckpt, strerror(errno));
	}
	if (sur_ckpt_load_head(fp, O.ckpt, fingerprint(R), &R->ck, O.sifting ? &R->sift : NULL,
	                       &err) != 0)
		die_err(&err);
	R->epoch = R->ck.epoch;
	R->best_epoch = R->ck.best_epoch;
	R->bad = R->ck.bad;
	R->steps = R->ck.steps;
	R->seen = R->ck.seen;
	R->backward = R->ck.backward;
	R->last_loss = R->ck.last_loss;
	R->best_val = R->ck.best_val;
	R->seconds = R->ck.seconds;
	return fp;
}

/* After the trainer state: the best model, if the checkpoint has one. */
static void
ckpt_finish_load(struct run *R, FILE *fp)
{
	struct wn_err err = { 0 };
	if (sur_ckpt_load_best(fp, O.ckpt, &R->ck, &R->best, &err) != 0)
		die_err(&err);
	fclose(fp);
}

static void
maybe_checkpoint(struct run *R, const struct trainer_io *io)
{
	if (O.ckpt_every && R->epoch % O.ckpt_every == 0)
		ckpt_write(R, io);
	if (O.stop_after && R->epoch == O.stop_after && R->epoch < O.epochs) {
		if (O.ckpt_every)
			ckpt_write(R, io);
		die(WN_ETEMPFAIL, "stopped after epoch %d as asked (--stop-after);"
		    " continue with --resume", R->epoch);
	}
}

/* ---- adaptive subset selection (--adaptive) ------------------------------------ */

/*
 * The rows to train on in epoch e (0-based) of a run with --adaptive:
 * NULL (all rows) during the warm-up; else the subset chosen with model m
 * at the last selection epoch (warm, warm + every, ...), chosen anew when
 * e is one.  *n gets the count, *w the weights by row (the method's
 * weight times the manifest's).
 */
static const size_t *
adaptive_rows(struct run *R, const struct sur_model *m, int e, size_t *n, const float **w)
{
	struct wn_err err = { 0 };
	const struct sur_data *D = R->D, *V = R->V;

	if (!O.adaptive || e < O.warm)
		return NULL;
	if ((e - O.warm) % O.every == 0 || R->sub.idx == NULL) {
		double t = wn_now();
		int fd = ada_feature_dim(m);
		float *F = emalloc(D->n * (size_t)fd * sizeof *F);
		float *P = emalloc(D->n * (size_t)R->k * sizeof *P);
		float *Fv = NULL, *Pv = NULL;
		struct ada_data tr = { D->n, fd, R->k, F, P, D->y, D->keys }, va = { 0 };
		struct ada_opts ao;
		double want = ceil(O.fraction * (double)D->n);

		/* the output layer's view of the rows (random needs none) */
		if (O.method != ADA_RANDOM && ada_head_features(m, D->X, D->n, F, P, &err) != 0)
			die_err(&err);
		if (V && O.method != ADA_RANDOM) {
			Fv = emalloc(V->n * (size_t)fd * sizeof *Fv);
			Pv = emalloc(V->n * (size_t)R->k * sizeof *Pv);
			if (ada_head_features(m, V->X, V->n, Fv, Pv, &err) != 0)
				die_err(&err);
			va = (struct ada_data){ V->n, fd, R->k, Fv, Pv, V->y, V->keys };
		}
		ada_opts_default(&ao);
		ao.method = O.method;
		ao.budget = want < 1 ? 1 : (size_t)want;
		ao.intercept = ada_model_intercept(m);
		ao.seed = O.seed ^ wn_splitmix64((uint64_t)e + 0x5e1ec7);
		ao.eta = O.lr;
		ao.taylor_every = O.taylor_every ? (size_t)O.taylor_every : (ao.budget + 99) / 100;
		ao.val_max = 1000;
		ao.gm_classrow = 1;     /* CORDS's PerClassPerGradient */
		ada_subset_free(&R->sub);
		if (ada_select(&tr, V ? &va : NULL, &ao, &R->sub, &err) != 0)
			die_err(&err);
		if (R->w_sub == NULL)
			R->w_sub = emalloc(D->n * sizeof *R->w_sub);
		memset(R->w_sub, 0, D->n * sizeof *R->w_sub);
		for (size_t q = 0; q < R->sub.n; q++) {
			size_t i = R->sub.idx[q];
			R->w_sub[i] = R->sub.w[q] * (D->w ? D->w[i] : 1.0f);
		}
		free(F);
		free(P);
		free(Fv);
		free(Pv);
		t = wn_now() - t;
		R->select_secs += t;
		R->rounds++;
		if (!R->quiet) {
			printf("selection at epoch %d: %s chose %zu of %zu rows (%zu by the method)"
			       " in %.3f s\n", e + 1, ada_method_name(O.method), R->sub.n, D->n,
			       R->sub.n_greedy, t);
			if (R->log)
				fprintf(R->log, "# selection\t%d\t%s\t%zu\t%zu\t%.3f\n", e + 1,
				        ada_method_name(O.method), R->sub.n, R->sub.n_greedy, t);
		}
	}
	*n = R->sub.n;
	*w = R->w_sub;
	return R->sub.idx;
}

static void
adaptive_free(struct run *R)
{
	ada_subset_free(&R->sub);
	free(R->w_sub);
	R->w_sub = NULL;
}

/* ---- softmax, full batch (L-BFGS) ---------------------------------------------- */

static int
on_iter(void *ctx, int iter, double f, double gnorm)
{
	struct run *R = ctx;

	/* sgd and mlp epochs are on stdout already; -v shows L-BFGS's steps */
	if (O.verbose && !R->quiet)
		fprintf(stderr, "%s: iteration %d objective %.9g gradient-norm %.3g\n", progname,
		        iter, f, gnorm);
	progress_update(&R->pr, iter);
	return 0;
}

static struct sur_model *
train_lbfgs(struct run *R)
{
	struct wn_err err = { 0 };
	struct sur_softmax_opts so;
	struct sur_model *m;

	sur_softmax_opts_default(&so);
	so.lambda = O.lambda;
	so.norm = O.norm;
	so.norm_n = O.norm_n;
	so.intercept = O.intercept;
	so.standardize = O.standardize;
	so.max_iter = O.max_iter;
	so.tol = O.tol;
	so.infl = SUR_INFL_NONE;
	so.on_iter = on_iter;
	so.ctx = R;
	/* the final run is the features' last use (tuning trials reuse them) */
	so.consume_x = !R->quiet;
	progress_init(&R->pr, "train (L-BFGS iterations)", O.max_iter, O.progress);
	m = sur_softmax_fit(R->D->X, R->D->y, R->D->w, R->D->n, R->D->d,
	                    (const char *const *)R->classes, R->k, &so, &err);
	if (m == NULL)
		die_err(&err);
	progress_done(&R->pr, m->hp.iterations);
	R->epoch = 1;
	R->seen = R->backward = (long long)R->D->n;
	end_epoch(R, m, m->hp.objective);
	printf("L-BFGS: %d iterations, objective %.9g, gradient norm %.3g\n",
	       m->hp.iterations, m->hp.objective, m->hp.grad_norm);
	return m;
}

/* ---- minibatch trainers: the hooks they share ------------------------------ */

/* Sifting (both trainers): the same draw per (seed, epoch, id) and the
 * same counters. */
static int
keep_row(void *ctx, size_t row, float loss)
{
	struct run *R = ctx;
	uint64_t es = O.seed ^ wn_splitmix64((uint64_t)R->epoch + 1);
	R->seen++;
	return sift_keep(&R->sift, loss, wn_u01_counter(es, WN_STREAM_SIFT, R->D->keys[row]));
}

static void
on_step(void *ctx, size_t rows)
{
	struct run *R = ctx;
	R->steps++;
	R->backward += (long long)rows;
	if (O.sifting)
		sift_step(&R->sift);
}

/* ---- softmax, minibatch (Adam or momentum) with sifting --------------------------- */

static int
sgd_save(void *ctx, FILE *fp, const char *name, struct wn_err *err)
{
	return sur_sgd_save(ctx, fp, name, err);
}

static struct sur_model *
train_sgd(struct run *R)
{
	struct wn_err err = { 0 };
	struct sur_data *D = R->D;
	struct sur_sgd_opts so;
	struct sur_sgd *t;
	struct sur_model *m;
	FILE *ck = NULL;

	sur_sgd_opts_default(&so);
	so.epochs = O.epochs;
	so.batch = O.batch;
	so.lr = O.lr;
	so.momentum = O.momentum;
	so.adam = O.adam;
	so.lambda = O.lambda;
	so.norm = O.norm;
	so.norm_n = O.norm_n;
	so.intercept = O.intercept;
	so.standardize = O.standardize;
	so.seed = O.seed;
	so.keys = D->keys;
	so.keep = O.sifting ? keep_row : NULL;
	so.on_step = on_step;
	so.keep_ctx = R;
	if (!(t = sur_sgd_new(&so, D->X, D->w, D->n, D->d, (const char *const *)R->classes, R->k,
	                      &err)))
		die_err(&err);
	if (O.resume && (ck = ckpt_open(R)) != NULL) {
		if (sur_sgd_load(t, ck, O.ckpt, &err) != 0)
			die_err(&err);
		ckpt_finish_load(R, ck);
		fprintf(stderr, "%s: resuming from %s after epoch %d\n", progname, O.ckpt, R->epoch);
	}
	struct trainer_io io = { sgd_save, t };
	progress_init(&R->pr, "train (epochs)", O.epochs, O.progress);
	while (R->epoch < O.epochs) {
		double loss;
		size_t ne = D->n;
		const float *wsub = NULL;
		const size_t *sub = adaptive_rows(R, sur_sgd_model(t), R->epoch, &ne, &wsub);
		sur_sgd_set_lr(t, lr_at(R->epoch));
		if (sur_sgd_epoch(t, D->X, D->y, sub ? wsub : D->w, D->n, sub != NULL, &loss,
		                  &err) != 0)
			die_err(&err);
		R->epoch++;
		if (!O.sifting)
			R->seen += (long long)sur_sgd_epoch_rows(t);
		progress_update(&R->pr, R->epoch);
		int stop = end_epoch(R, sur_sgd_model(t), loss);
		maybe_checkpoint(R, &io);
		if (stop)
			break;
	}
	progress_done(&R->pr, R->epoch);
	if (!(m = sur_model_dup(sur_sgd_model(t), &err)))
		die_err(&err);
	sur_sgd_free(t);
	return m;
}

/* ---- MLP ------------------------------------------------------------------------- */

static int
mlp_save(void *ctx, FILE *fp, const char *name, struct wn_err *err)
{
	return sur_mlp_trainer_save(ctx, fp, name, err);
}

static struct sur_model *
train_mlp(struct run *R)
{
	struct wn_err err = { 0 };
	struct sur_data *D = R->D;
	struct sur_mlp_opts mo;
	struct sur_mlp_trainer *t = NULL;
	struct sur_model *m;
	FILE *ck = NULL;

	sur_mlp_opts_default(&mo);
	mo.hidden = O.hidden;
	mo.epochs = O.epochs;
	mo.batch = O.batch;
	if (O.lr > 0)
		mo.lr = O.lr;
	mo.momentum = O.momentum;
	mo.adam = O.adam;
	mo.lambda = O.lambda;
	mo.norm = O.norm;
	mo.norm_n = O.norm_n;
	mo.standardize = O.standardize;
	mo.seed = O.seed;
	mo.keys = D->keys;
	mo.keep = O.sifting ? keep_row : NULL;
	mo.on_step = on_step;
	mo.keep_ctx = R;

	if (O.resume && (ck = ckpt_open(R)) != NULL) {
		t = sur_mlp_trainer_load(ck, O.ckpt, &mo, &err);
		if (t == NULL)
			die_err(&err);
		ckpt_finish_load(R, ck);
		fprintf(stderr, "%s: resuming from %s after epoch %d\n", progname, O.ckpt, R->epoch);
	} else {
		t = sur_mlp_trainer_new(&mo, D->X, D->w, D->n, D->d,
		                        (const char *const *)R->classes, R->k, &err);
		if (t == NULL)
			die_err(&err);
	}
	struct trainer_io io = { mlp_save, t };
	progress_init(&R->pr, "train (epochs)", O.epochs, O.progress);
	while (R->epoch < O.epochs) {
		double loss;
		size_t ne = D->n;
		const float *wsub = NULL;
		const size_t *sub = adaptive_rows(R, sur_mlp_trainer_model(t), R->epoch, &ne, &wsub);
		sur_mlp_trainer_set_lr(t, lr_at(R->epoch));
		if (sub ? sur_mlp_trainer_epoch_rows(t, D->X, D->y, wsub, D->n, sub, ne, &loss,
		                                     &err) != 0
		        : sur_mlp_trainer_epoch(t, D->X, D->y, D->w, D->n, &loss, &err) != 0)
			die_err(&err);
		R->epoch++;
		if (!O.sifting)
			R->seen += (long long)ne;
		progress_update(&R->pr, R->epoch);
		int stop = end_epoch(R, sur_mlp_trainer_model(t), loss);
		maybe_checkpoint(R, &io);
		if (stop)
			break;
	}
	progress_done(&R->pr, R->epoch);
	m = sur_model_dup(sur_mlp_trainer_model(t), &err);
	if (m == NULL)
		die_err(&err);
	sur_mlp_trainer_free(t);
	return m;
}

static struct sur_model *
train_model(struct run *R)
{
	if (O.kind == SUR_MLP)
		return train_mlp(R);
	if (O.solver == SOLVER_LBFGS)
		return train_lbfgs(R);
	return train_sgd(R);
}

/* ---- tuning (--tune) ------------------------------------------------------------ */

/*
 * Search the L2 strength (and, for minibatch training, the learning rate)
 * on the validation set, over the settings of sur_tune_setting() (optim.h:
 * a grid, or --tune-trials N drawn from the seed).  Each trial trains a
 * model as the final run would (early stopping included) and is ranked by
 * sur_tune_better() (validation accuracy, ties: lower loss).  Leaves the
 * best setting in O; every trial goes to stdout and the log.
 */
static void
tune(struct run *R)
{
	const double lr0 = O.lr;
	int with_lr = O.solver == SOLVER_SGD;
	int trials = sur_tune_trials(O.tune_trials, with_lr);
	double best_acc = -1, best_loss = INFINITY, best_lambda = O.lambda, best_lr = O.lr;
	double t0 = wn_now();

	if (R->log) {
		fprintf(R->log, "# tune\ttrial\tlambda\tlr\tval_loss\tval_accuracy\tepochs\tseconds\n");
		fflush(R->log);
	}
	for (int i = 0; i < trials; i++) {
		struct run T = { 0 };
		struct sur_model *m;
		double t = wn_now();

		sur_tune_setting(O.tune_trials, with_lr, O.seed, lr0, i, &O.lambda, &O.lr);
		T.D = R->D;
		T.V = R->V;
		T.classes = R->classes;
		T.k = R->k;
		T.ve = R->ve;
		T.te = R->te;
		T.quiet = 1;
		T.t0 = wn_now();
		m = train_model(&T);
		if (T.best) {
			sur_model_free(m);
			m = T.best;
		}
		evaluate(m, R->V, &R->ve);
		t = wn_now() - t;
		printf("tune: trial %d of %d: lambda %.3g lr %.3g: val loss %.6f, val accuracy %.5f"
		       " (%d epochs, %.2f s)\n", i + 1, trials, O.lambda, O.lr, R->ve.loss, R->ve.acc,
		       T.epoch, t);
		if (R->log)
			fprintf(R->log, "# tune\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.3f\n", i + 1,
			        O.lambda, O.lr, R->ve.loss, R->ve.acc, T.epoch, t);
		if (sur_tune_better(R->ve.acc, R->ve.loss, best_acc, best_loss)) {
			best_acc = R->ve.acc;
			best_loss = R->ve.loss;
			best_lambda = O.lambda;
			best_lr = O.lr;
		}
		sur_model_free(m);
		adaptive_free(&T);
	}
	O.lambda = best_lambda;
	O.lr = best_lr;
	printf("tune: best lambda %.3g lr %.3g: val accuracy %.5f, val loss %.6f (%d trials,"
	       " %.2f s)\n", O.lambda, O.lr, best_acc, best_loss, trials, wn_now() - t0);
	if (R->log) {
		fprintf(R->log, "# tune\tbest\t%.9g\t%.9g\t%.9g\t%.9g\n", O.lambda, O.lr,
		        best_loss, best_acc);
		if (fflush(R->log) != 0)
			die(WN_EIO, "%s: write error: %s", O.log, strerror(errno));
	}
	fflush(stdout);
}

/* ---- main ---------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct sur_data D, T, V;
	struct run R = { 0 };
	struct sur_model *m;
	struct wn_out out;
	char *ckpt_default = NULL;
	int i;

	prog_init("winnow-train");
	i = opt_parse(argc, argv, "train", "c:hj:l:m:o:v", longopts, handle, usage);
	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		exit(WN_EUSAGE);
	}
	if (O.out == NULL)
		die(WN_EUSAGE, "-o MODEL is required");
	if (O.kind == SUR_MLP && O.solver_set && O.solver == SOLVER_LBFGS)
		die(WN_EUSAGE, "--solver lbfgs is for -m softmax; -m mlp trains by minibatches");
	if (O.kind == SUR_MLP)
		O.solver = SOLVER_SGD;
	if (O.kind == SUR_SOFTMAX && O.solver == SOLVER_LBFGS && O.adaptive)
		die(WN_EUSAGE, "--adaptive needs minibatches: add --solver sgd (or use -m mlp)");
	if (O.adaptive && (O.sifting || O.ckpt_every || O.resume || O.stop_after))
		die(WN_EUSAGE, "--adaptive does not combine with --sift-beta, --checkpoint-every,"
		    " --resume or --stop-after");
	if (O.tune && (O.ckpt_every || O.resume || O.stop_after))
		die(WN_EUSAGE, "--tune does not combine with --checkpoint-every, --resume or"
		    " --stop-after");
	if (O.adaptive && O.method == ADA_GLISTER && !O.val)
		die(WN_EUSAGE, "--adaptive glister needs a validation set: add --val EMB.npy:MANIFEST");
	if (O.tune && !O.val)
		die(WN_EUSAGE, "--tune needs a validation set: add --val EMB.npy:MANIFEST");
	if (O.kind == SUR_SOFTMAX && O.solver == SOLVER_LBFGS &&
	    (O.sifting || O.ckpt_every || O.resume || O.stop_after || (O.val && !O.tune)))
		die(WN_EUSAGE, "--sift-beta, --checkpoint-every, --resume, --stop-after and --val"
		    " need minibatches: add --solver sgd (or use -m mlp)");
	if (O.lr < 0)
		O.lr = O.adam ? 1e-3 : 0.05;
	if ((O.resume || O.stop_after) && !O.ckpt_every)
		O.ckpt_every = 1000000;
	if (O.ckpt == NULL) {
		size_t len = strlen(O.out) + 6;
		ckpt_default = emalloc(len);
		snprintf(ckpt_default, len, "%s.ckpt", O.out);
		O.ckpt = ckpt_default;
	}
	openblas_set_num_threads(O.threads ? O.threads : (int)sysconf(_SC_NPROCESSORS_ONLN));

	R.t0 = wn_now();
	load_data(&D, argv[i], i + 1 < argc ? argv[i + 1] : NULL, NULL, 0, O.use_weights);
	R.D = &D;
	R.classes = D.classes;
	R.k = D.k;
	if (D.skipped)
		warnx("%s: %zu row%s without a label skipped", input_name(i + 1 < argc ? argv[i + 1] : NULL), D.skipped, WN_S(D.skipped));
	if (O.drop_issues)
		warnx("%s: %zu row%s flagged by winnow-audit left out (--drop-issues)",
		      input_name(i + 1 < argc ? argv[i + 1] : NULL), D.dropped, WN_S(D.dropped));
	if (O.test) {
		char *e, *f;
		split_pair(O.test, "--test", &e, &f);
		load_data(&T, e, f, (const char *const *)R.classes, R.k, 0);
		if (T.d != D.d)
			die(WN_EDATA, "%s: %d columns, but the training embeddings have %d", e, T.d, D.d);
		if (T.skipped)
			warnx("%s: %zu row%s without a label left out of the test measurement",
			      input_name(f), T.skipped, WN_S(T.skipped));
		R.T = &T;
		free(e);
		free(f);
	}
	if (O.val) {
		char *e, *f;
		split_pair(O.val, "--val", &e, &f);
		load_data(&V, e, f, (const char *const *)R.classes, R.k, 0);
		if (V.d != D.d)
			die(WN_EDATA, "%s: %d columns, but the training embeddings have %d", e, V.d, D.d);
		if (V.skipped)
			warnx("%s: %zu row%s without a label left out of the validation set",
			      input_name(f), V.skipped, WN_S(V.skipped));
		R.V = &V;
		free(e);
		free(f);
	}
	R.te.cls_n = ecalloc((size_t)R.k, sizeof(long long));
	R.te.cls_ok = ecalloc((size_t)R.k, sizeof(long long));
	R.ve.cls_n = ecalloc((size_t)R.k, sizeof(long long));
	R.ve.cls_ok = ecalloc((size_t)R.k, sizeof(long long));
	if (O.sifting && sift_init(&R.sift, O.sift_beta, (size_t)O.sift_history, O.sift_delay,
	                           &err) != 0)
		die_err(&err);
	if (O.log) {
		R.log = fopen(O.log, O.resume ? "a" : "w");
		if (R.log == NULL)
			die(WN_ECANTCREAT, "%s: %s", O.log, strerror(errno));
		if (ftell(R.log) == 0)
			fprintf(R.log, "epoch\tsamples\tbackward\ttrain_loss\ttest_loss\ttest_accuracy"
			        "\tval_loss\tval_accuracy\tseconds\n");
	}
	double load_secs = wn_now() - R.t0;
	R.t0 = wn_now();

	if (O.tune) {
		tune(&R);
		R.t0 = wn_now();
	}
	m = train_model(&R);
	if (R.best) {
		/* "early stopping" only when training stopped before --epochs */
		if (R.best_epoch == R.epoch)
			printf("validation: best loss %.6f at the last epoch, %d\n", R.best_val,
			       R.epoch);
		else if (R.epoch < O.epochs)
			printf("early stopping: best validation loss %.6f at epoch %d of %d\n",
			       R.best_val, R.best_epoch, R.epoch);
		else
			printf("validation: best loss %.6f at epoch %d of %d, whose model is kept\n",
			       R.best_val, R.best_epoch, R.epoch);
		sur_model_free(m);
		m = R.best;
		R.best = NULL;
	}
	double secs = R.seconds + (wn_now() - R.t0);

	if (wn_out_open(&out, O.out, &err) != 0 || sur_model_save(m, out.fp, O.out, &err) != 0) {
		wn_out_abort(&out);
		die_err(&err);
	}
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	if (O.ckpt_every && !O.stop_after)
		unlink(O.ckpt);         /* the run finished: the checkpoint has served */

	if (R.T) {
		evaluate(m, R.T, &R.te);
		printf("test per class:");
		for (int c = 0; c < R.k; c++)
			printf(" %s %.5f", R.classes[c],
			       R.te.cls_n[c] ? (double)R.te.cls_ok[c] / R.te.cls_n[c] : 0.0);
		printf("\n");
	}
	if (O.sifting)
		printf("sifting: %lld of %lld samples sifted out (%.2f%%), %lld backward passes"
		       " saved\n", R.sift.seen - R.sift.kept, R.sift.seen,
		       R.sift.seen ? 100.0 * (R.sift.seen - R.sift.kept) / R.sift.seen : 0.0,
		       R.sift.seen - R.sift.kept);
	printf("final: samples %zu epochs %d backward %lld train_seconds %.3f load_seconds %.3f",
	       D.n, R.epoch, R.backward, secs, load_secs);
	if (R.T)
		printf(" test_accuracy %.6f test_error %.6f test_loss %.6f", R.te.acc,
		       1 - R.te.acc, R.te.loss);
	if (O.adaptive)
		printf(" select_seconds %.3f selections %d", R.select_secs, R.rounds);
	printf("\n");

	if (R.log && fclose(R.log) != 0)
		die(WN_EIO, "%s: write error: %s", O.log, strerror(errno));
	efshut(stdout, "<stdout>");
	sur_model_free(m);
	sur_model_free(R.best);
	adaptive_free(&R);
	if (O.sifting)
		sift_free(&R.sift);
	free(R.te.cls_n);
	free(R.te.cls_ok);
	free(R.ve.cls_n);
	free(R.ve.cls_ok);
	sur_data_free(&D);
	if (R.T)
		sur_data_free(&T);
	if (R.V)
		sur_data_free(&V);
	free(ckpt_default);
	return 0;
}
