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
#include "hash.h"
#include "manifest.h"
#include "mlp.h"
#include "model.h"
#include "npy.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"
#include "sift.h"
#include "softmax.h"

enum solver { SOLVER_LBFGS, SOLVER_SGD };
enum sched { SCHED_CONSTANT, SCHED_COSINE, SCHED_EXP };

static struct {
	enum sur_kind kind;
	enum solver solver;
	int solver_set;
	const char *out;
	const char *test, *val, *log, *ckpt;
	int use_weights;
	int epochs, batch, hidden, patience;
	double lr, momentum;
	int adam;
	enum sched sched;
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
	.lr = -1, .momentum = 0.9, .adam = 1, .sched = SCHED_CONSTANT, .decay = 1,
	.lambda = 1e-4, .norm = SUR_NORM_WEIGHT, .intercept = 1, .standardize = 1,
	.max_iter = 500, .tol = 1e-5, .sift_history = 500, .sift_delay = 10,
	.threads = 0,
	.fraction = 0.1, .every = 5,
};

/* A data set: the rows of a manifest, gathered from its embeddings. */
struct data {
	const char *name;       /* manifest name, for messages */
	size_t n;
	int d;
	float *X;               /* n x d */
	int *y;                 /* class index */
	float *w;               /* weights, or NULL */
	uint64_t *key;          /* hash of the id: shuffle and sifting keys */
	char **labels;          /* training set only, until classes are known */
	size_t skipped;         /* rows without a label */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-train [-m softmax|mlp] [-c FILE.yaml] [-j N] [-l LAMBDA]\n"
	    "                    [--test EMB.npy:MANIFEST] [--val EMB.npy:MANIFEST]\n"
	    "                    [--log FILE.tsv] [--no-weights] [--solver lbfgs|sgd]\n"
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
	OPT_EVERY, OPT_WARM, OPT_TAYLOR, OPT_TUNE, OPT_TUNETRIALS
};

static const struct option longopts[] = {
	{ "adaptive", required_argument, 0, OPT_ADAPTIVE },
	{ "batch", required_argument, 0, OPT_BATCH },
	{ "checkpoint", required_argument, 0, OPT_CKPT },
	{ "checkpoint-every", required_argument, 0, OPT_CKPTEVERY },
	{ "config", required_argument, 0, 'c' },
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
			O.sched = SCHED_CONSTANT;
		} else if (strcmp(arg, "cosine") == 0) {
			O.sched = SCHED_COSINE;
		} else if (strncmp(arg, "exp:", 4) == 0) {
			O.sched = SCHED_EXP;
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

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
class_index(char **classes, int k, const char *label)
{
	char **hit = bsearch(&label, classes, (size_t)k, sizeof *classes, cmp_str);
	return hit ? (int)(hit - classes) : -1;
}

/*
 * Read a manifest (path, or stdin for NULL) and gather its labeled rows
 * from emb.  With classes NULL (training set), labels are kept as strings
 * for make_classes(); else each label must be one of the k classes.
 */
static void
load_data(struct data *D, const char *emb_path, const char *mf_path, char **classes, int k,
          int want_weights)
{
	struct wn_err err = { 0 };
	struct npy emb;
	FILE *fp = efopen_input(mf_path);
	struct mf_reader *r;
	size_t cap = 0;
	int crow, clabel, cweight;

	memset(D, 0, sizeof *D);
	D->name = input_name(mf_path);
	if (npy_open(&emb, emb_path, &err) != 0)
		die_err(&err);
	if (emb.cols > 1000000)
		die(WN_EDATA, "%s: %zu columns is too wide", emb_path, emb.cols);
	D->d = (int)emb.cols;
	r = mf_open(fp, D->name, MF_CHECK_DUPS, &err);
	if (r == NULL) {
		if (err.code == WN_EDATA && strstr(err.msg, "empty"))
			die(WN_EDATA, "%s: empty manifest: no header and no rows", D->name);
		die_err(&err);
	}
	crow = mf_col(r, "row");
	clabel = mf_col(r, "label");
	cweight = want_weights ? mf_col(r, "weight") : -1;
	if (crow < 0)
		die(WN_EDATA, "%s:1: no \"row\" column: run winnow-embed to add it", D->name);
	if (clabel < 0)
		die(WN_EDATA, "%s:1: no \"label\" column", D->name);
	for (;;) {
		int rc = mf_next(r, &err);
		const char *f, *label;
		char *end;
		unsigned long long row;

		if (rc < 0)
			die_err(&err);
		if (rc == 0)
			break;
		label = mf_field(r, (size_t)clabel);
		if (label[0] == '\0') {
			D->skipped++;
			continue;
		}
		f = mf_field(r, (size_t)crow);
		errno = 0;
		row = strtoull(f, &end, 10);
		if (f[0] < '0' || f[0] > '9' || *end != '\0' || errno == ERANGE)
			die(WN_EDATA, "%s:%lld: row \"%s\" is not a row number", D->name,
			    mf_lineno(r), f);
		if (row >= emb.rows)
			die(WN_EDATA, "%s:%lld: row %llu is past the end of %s (%zu rows)",
			    D->name, mf_lineno(r), row, emb_path, emb.rows);
		if (D->n == cap) {
			cap = cap ? 2 * cap : 1024;
			D->X = ereallocarray(D->X, cap, (size_t)D->d * sizeof *D->X);
			D->y = ereallocarray(D->y, cap, sizeof *D->y);
			D->key = ereallocarray(D->key, cap, sizeof *D->key);
			if (cweight >= 0)
				D->w = ereallocarray(D->w, cap, sizeof *D->w);
			if (classes == NULL)
				D->labels = ereallocarray(D->labels, cap, sizeof *D->labels);
		}
		if (npy_read_rows(&emb, (size_t)row, 1, D->X + D->n * (size_t)D->d, &err) != 0)
			die_err(&err);
		for (int j = 0; j < D->d; j++)
			if (!isfinite(D->X[D->n * (size_t)D->d + (size_t)j]))
				die(WN_EDATA, "%s: row %llu, column %d: not a finite number",
				    emb_path, row, j);
		if (classes == NULL) {
			D->labels[D->n] = estrdup(label);
			D->y[D->n] = -1;
		} else {
			D->y[D->n] = class_index(classes, k, label);
			if (D->y[D->n] < 0)
				die(WN_EDATA, "%s:%lld: label \"%s\" is not one of the %d classes"
				    " of the training set", D->name, mf_lineno(r), label, k);
		}
		D->key[D->n] = wn_hash64(0, WN_STREAM_SHUFFLE, mf_id(r), strlen(mf_id(r)));
		if (cweight >= 0) {
			double v;
			f = mf_field(r, (size_t)cweight);
			errno = 0;
			v = strtod(f, &end);
			if (end == f || *end != '\0' || !isfinite(v) || v < 0 || v > FLT_MAX)
				die(WN_EDATA, "%s:%lld: weight \"%s\" is not a number >= 0",
				    D->name, mf_lineno(r), f);
			D->w[D->n] = (float)v;
		}
		D->n++;
	}
	if (D->n == 0)
		die(WN_EDATA, "%s: no labeled rows to %s", D->name,
		    classes == NULL ? "train on" : "evaluate");
	mf_close(r);
	if (fp != stdin)
		fclose(fp);
	npy_close(&emb);
}

/* The sorted distinct labels of D become the classes; y is filled. */
static char **
make_classes(struct data *D, int *k)
{
	char **c = emalloc(D->n * sizeof *c);
	size_t m = 0;

	memcpy(c, D->labels, D->n * sizeof *c);
	qsort(c, D->n, sizeof *c, cmp_str);
	for (size_t i = 0; i < D->n; i++)
		if (m == 0 || strcmp(c[m - 1], c[i]) != 0)
			c[m++] = c[i];
	if (m < 2) {
		const char *only = c[0];        /* still owned by D->labels */
		free(c);
		die(WN_EDATA, "%s: only one class (\"%s\"): need at least two", D->name, only);
	}
	if (m > 100000)
		die(WN_EDATA, "%s: %zu classes is too many", D->name, m);
	for (size_t i = 0; i < m; i++)
		c[i] = estrdup(c[i]);
	for (size_t i = 0; i < D->n; i++) {
		D->y[i] = class_index(c, (int)m, D->labels[i]);
		free(D->labels[i]);
	}
	free(D->labels);
	D->labels = NULL;
	*k = (int)m;
	return c;
}

static void
free_data(struct data *D)
{
	free(D->X);
	free(D->y);
	free(D->w);
	free(D->key);
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
	long long correct, n;
	long long *cls_n, *cls_ok;      /* k each */
};

static void
evaluate(const struct sur_model *m, const struct data *T, struct evalres *e)
{
	struct wn_err err = { 0 };
	enum { B = 2048 };
	float *P = emalloc((size_t)B * (size_t)m->k * sizeof *P);
	struct sur_ws *ws = sur_ws_new(m, B, &err);
	double loss = 0;

	if (ws == NULL)
		die_err(&err);
	memset(e->cls_n, 0, (size_t)m->k * sizeof *e->cls_n);
	memset(e->cls_ok, 0, (size_t)m->k * sizeof *e->cls_ok);
	e->correct = 0;
	for (size_t i0 = 0; i0 < T->n; i0 += B) {
		size_t nb = T->n - i0 < B ? T->n - i0 : B;
		if (sur_predict_proba(m, T->X + i0 * (size_t)T->d, nb, P, ws, &err) != 0)
			die_err(&err);
		for (size_t i = 0; i < nb; i++) {
			const float *p = P + i * (size_t)m->k;
			int y = T->y[i0 + i], best = 0;
			for (int c = 1; c < m->k; c++)
				if (p[c] > p[best])
					best = c;
			loss -= log(fmax(p[y], FLT_MIN));
			e->cls_n[y]++;
			if (best == y) {
				e->cls_ok[y]++;
				e->correct++;
			}
		}
	}
	e->n = (long long)T->n;
	e->loss = loss / (double)T->n;
	e->acc = (double)e->correct / (double)T->n;
	sur_ws_free(ws);
	free(P);
}

/* ---- the run's state, shared by the trainers --------------------------------- */

struct run {
	struct data *D, *T, *V;         /* training, test (or NULL), validation (or NULL) */
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
	int ck_has_best;                /* the checkpoint being read holds one */
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
	switch (O.sched) {
	case SCHED_COSINE:
		return O.lr * 0.5 * (1 + cos(M_PI * epoch / (double)O.epochs));
	case SCHED_EXP:
		return O.lr * pow(O.decay, epoch);
	default:
		return O.lr;
	}
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
		h = wn_splitmix64(h ^ R->D->key[i]);
	return h;
}

static const char ckpt_magic[8] = "WNTRCK1";

struct ckpt_head {
	uint64_t fp;
	int32_t epoch, best_epoch, bad, has_best;
	int64_t steps, seen, backward;
	double last_loss, best_val, seconds;
};

/* Model-state writer and reader for the trainer in use. */
struct trainer_io {
	int (*save)(void *ctx, FILE *fp, const char *name, struct wn_err *err);
	void *ctx;
};

static void
ckpt_write(struct run *R, const struct trainer_io *io)
{
	struct wn_err err = { 0 };
	struct wn_out o;
	struct ckpt_head h = {
		.fp = fingerprint(R), .epoch = R->epoch, .best_epoch = R->best_epoch,
		.bad = R->bad, .has_best = R->best != NULL, .steps = R->steps,
		.seen = R->seen, .backward = R->backward, .last_loss = R->last_loss,
		.best_val = R->best_val, .seconds = R->seconds + (wn_now() - R->t0),
	};

	if (wn_out_open(&o, O.ckpt, &err) != 0)
		die_err(&err);
	if (fwrite(ckpt_magic, 1, 8, o.fp) != 8 || fwrite(&h, sizeof h, 1, o.fp) != 1) {
		wn_out_abort(&o);
		die(WN_EIO, "%s: write error: %s", O.ckpt, strerror(errno));
	}
	if ((O.sifting && sift_save(&R->sift, o.fp, O.ckpt, &err) != 0) ||
	    io->save(io->ctx, o.fp, O.ckpt, &err) != 0 ||
	    (R->best && sur_model_save(R->best, o.fp, O.ckpt, &err) != 0)) {
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
	struct ckpt_head h;
	char magic[8];
	FILE *fp = fopen(O.ckpt, "rb");

	if (fp == NULL) {
		if (errno == ENOENT)
			return NULL;
		die(WN_ENOINPUT, "%s: %s", O.ckpt, strerror(errno));
	}
	if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, ckpt_magic, 8) != 0 ||
	    fread(&h, sizeof h, 1, fp) != 1)
		die(WN_EDATA, "%s: not a winnow-train checkpoint", O.ckpt);
	if (h.fp != fingerprint(R))
		die(WN_EDATA, "%s: checkpoint of a different run (data or options differ)", O.ckpt);
	R->epoch = h.epoch;
	R->best_epoch = h.best_epoch;
	R->bad = h.bad;
	R->steps = h.steps;
	R->seen = h.seen;
	R->backward = h.backward;
	R->last_loss = h.last_loss;
	R->best_val = h.best_val;
	R->seconds = h.seconds;
	if (O.sifting && sift_load(&R->sift, fp, O.ckpt, &err) != 0)
		die_err(&err);
	R->ck_has_best = h.has_best;    /* read after the trainer state */
	return fp;
}

static void
ckpt_finish_load(struct run *R, FILE *fp)
{
	struct wn_err err = { 0 };
	if (R->ck_has_best) {
		R->best = sur_model_load(fp, O.ckpt, &err);
		if (R->best == NULL)
			die_err(&err);
	}
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
	const struct data *D = R->D, *V = R->V;

	if (!O.adaptive || e < O.warm)
		return NULL;
	if ((e - O.warm) % O.every == 0 || R->sub.idx == NULL) {
		double t = wn_now();
		int fd = ada_feature_dim(m);
		float *F = emalloc(D->n * (size_t)fd * sizeof *F);
		float *P = emalloc(D->n * (size_t)R->k * sizeof *P);
		float *Fv = NULL, *Pv = NULL;
		struct ada_data tr = { D->n, fd, R->k, F, P, D->y, D->key }, va = { 0 };
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
			va = (struct ada_data){ V->n, fd, R->k, Fv, Pv, V->y, V->key };
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

/* ---- softmax, minibatch (Adam or momentum) with sifting --------------------------- */

struct sgd {
	struct sur_model *m;
	float *mW, *vW, *mb, *vb;       /* optimiser moments (vW, vb unused by momentum) */
	size_t nw;                      /* k * d */
	long long t;                    /* Adam steps */
};

static int
sgd_save(void *ctx, FILE *fp, const char *name, struct wn_err *err)
{
	struct sgd *s = ctx;
	size_t k = (size_t)s->m->k;
	if (sur_model_save(s->m, fp, name, err) != 0)
		return -1;
	if (fwrite(&s->t, sizeof s->t, 1, fp) != 1 ||
	    fwrite(s->mW, sizeof *s->mW, s->nw, fp) != s->nw ||
	    fwrite(s->vW, sizeof *s->vW, s->nw, fp) != s->nw ||
	    fwrite(s->mb, sizeof *s->mb, k, fp) != k ||
	    fwrite(s->vb, sizeof *s->vb, k, fp) != k)
		return wn_seterr(err, WN_EIO, "%s: write error", name);
	return 0;
}

static void
sgd_load(struct sgd *s, FILE *fp)
{
	struct wn_err err = { 0 };
	size_t k = (size_t)s->m->k;
	struct sur_model *m = sur_model_load(fp, O.ckpt, &err);
	if (m == NULL)
		die_err(&err);
	if (m->d != s->m->d || m->k != s->m->k || m->kind != SUR_SOFTMAX)
		die(WN_EDATA, "%s: checkpoint model has the wrong shape", O.ckpt);
	sur_model_free(s->m);
	s->m = m;
	if (fread(&s->t, sizeof s->t, 1, fp) != 1 ||
	    fread(s->mW, sizeof *s->mW, s->nw, fp) != s->nw ||
	    fread(s->vW, sizeof *s->vW, s->nw, fp) != s->nw ||
	    fread(s->mb, sizeof *s->mb, k, fp) != k ||
	    fread(s->vb, sizeof *s->vb, k, fp) != k)
		die(WN_EDATA, "%s: checkpoint truncated", O.ckpt);
}

/* Scratch for one minibatch. */
struct batchbuf {
	size_t *rows;
	size_t n;
	float *X, *Xs, *w, *gW, *gb, *P;
	int *y;
};

/* One optimiser step on the rows in b. */
static double
sgd_step(struct run *R, struct sgd *s, struct batchbuf *b, double lr)
{
	struct wn_err err = { 0 };
	const struct data *D = R->D;
	struct sur_model *m = s->m;
	size_t d = (size_t)D->d, k = (size_t)m->k;
	double S = 0, f, reg = 0;

	for (size_t i = 0; i < b->n; i++) {
		memcpy(b->X + i * d, D->X + b->rows[i] * d, d * sizeof *b->X);
		b->y[i] = D->y[b->rows[i]];
		if (D->w)
			b->w[i] = D->w[b->rows[i]];
		S += D->w ? D->w[b->rows[i]] : 1;
	}
	if (O.norm == SUR_NORM_GIVEN)
		S = O.norm_n * (double)b->n / (double)D->n;
	else if (S <= 0)
		return 0;       /* a batch of zero weights: nothing to learn */
	sur_standardize(m, b->X, b->n, b->Xs);
	if (sur_softmax_loss_grad(m, b->Xs, b->y, D->w ? b->w : NULL, b->n, S, O.lambda, &f,
	                          b->gW, b->gb, &err) != 0)
		die_err(&err);
	for (size_t j = 0; j < s->nw; j++)
		reg += (double)m->w1[j] * m->w1[j];
	f -= 0.5 * O.lambda * reg;
	if (O.adam) {
		double b1 = O.momentum, b2 = 0.999, eps = 1e-8;
		s->t++;
		double c1 = 1 - pow(b1, (double)s->t), c2 = 1 - pow(b2, (double)s->t);
		for (size_t j = 0; j < s->nw + k; j++) {
			float *mm = j < s->nw ? &s->mW[j] : &s->mb[j - s->nw];
			float *vv = j < s->nw ? &s->vW[j] : &s->vb[j - s->nw];
			float g = j < s->nw ? b->gW[j] : b->gb[j - s->nw];
			float *p = j < s->nw ? &m->w1[j] : &m->b1[j - s->nw];
			*mm = (float)(b1 * *mm + (1 - b1) * g);
			*vv = (float)(b2 * *vv + (1 - b2) * g * g);
			*p -= (float)(lr * (*mm / c1) / (sqrt(*vv / c2) + eps));
		}
	} else {
		for (size_t j = 0; j < s->nw + k; j++) {
			float *mm = j < s->nw ? &s->mW[j] : &s->mb[j - s->nw];
			float g = j < s->nw ? b->gW[j] : b->gb[j - s->nw];
			float *p = j < s->nw ? &m->w1[j] : &m->b1[j - s->nw];
			*mm = (float)(O.momentum * *mm + g);
			*p -= (float)(lr * *mm);
		}
	}
	if (!O.intercept)
		memset(m->b1, 0, k * sizeof *m->b1);
	R->steps++;
	R->backward += (long long)b->n;
	if (O.sifting)
		sift_step(&R->sift);
	return f * (double)b->n;
}

struct order_ent {
	double u;
	size_t i;
};

static int
cmp_order(const void *a, const void *b)
{
	const struct order_ent *x = a, *y = b;
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* The order of epoch e (0-based), as mlp.h defines it. */
static void
epoch_order(const struct data *D, int e, size_t *order, struct order_ent *tmp)
{
	uint64_t es = O.seed ^ wn_splitmix64((uint64_t)e + 1);
	for (size_t i = 0; i < D->n; i++) {
		tmp[i].u = wn_u01_counter(es, WN_STREAM_SHUFFLE, D->key[i]);
		tmp[i].i = i;
	}
	qsort(tmp, D->n, sizeof *tmp, cmp_order);
	for (size_t i = 0; i < D->n; i++)
		order[i] = tmp[i].i;
}

static struct sur_model *
train_sgd(struct run *R)
{
	struct wn_err err = { 0 };
	struct data *D = R->D;
	size_t d = (size_t)D->d, k = (size_t)R->k, B = (size_t)O.batch;
	struct sgd s = { 0 };
	struct batchbuf b = { 0 };
	struct trainer_io io = { sgd_save, &s };
	size_t *order = emalloc(D->n * sizeof *order);
	struct order_ent *tmp = emalloc(D->n * sizeof *tmp);
	struct sur_ws *ws = NULL;
	FILE *ck = NULL;

	s.m = sur_model_new(SUR_SOFTMAX, D->d, R->k, 0, &err);
	if (s.m == NULL || sur_model_set_classes(s.m, (const char *const *)R->classes, &err) != 0)
		die_err(&err);
	s.m->hp.lambda = O.lambda;
	s.m->hp.norm = O.norm;
	s.m->hp.norm_n = O.norm_n;
	s.m->hp.intercept = O.intercept;
	s.m->hp.standardize = O.standardize;
	s.m->hp.epochs = O.epochs;
	s.m->hp.batch = O.batch;
	s.m->hp.lr = O.lr;
	s.m->hp.momentum = O.momentum;
	s.m->hp.adam = O.adam;
	s.m->hp.seed = O.seed;
	if (O.standardize)
		sur_fit_standardize(s.m, D->X, D->n, D->w);
	double sumw = 0;
	float *const wman = D->w;       /* the manifest's weights (subset epochs swap them) */
	for (size_t i = 0; i < D->n; i++)
		sumw += D->w ? D->w[i] : 1;
	s.nw = k * d;
	s.mW = ecalloc(s.nw, sizeof *s.mW);
	s.vW = ecalloc(s.nw, sizeof *s.vW);
	s.mb = ecalloc(k, sizeof *s.mb);
	s.vb = ecalloc(k, sizeof *s.vb);
	b.rows = emalloc(B * sizeof *b.rows);
	b.X = emalloc(B * d * sizeof *b.X);
	b.Xs = emalloc(B * d * sizeof *b.Xs);
	b.w = emalloc(B * sizeof *b.w);
	b.y = emalloc(B * sizeof *b.y);
	b.gW = emalloc(s.nw * sizeof *b.gW);
	b.gb = emalloc(k * sizeof *b.gb);
	b.P = emalloc(B * k * sizeof *b.P);

	if (O.resume && (ck = ckpt_open(R)) != NULL) {
		sgd_load(&s, ck);
		ckpt_finish_load(R, ck);
		fprintf(stderr, "%s: resuming from %s after epoch %d\n", progname, O.ckpt, R->epoch);
	}
	progress_init(&R->pr, "train (epochs)", O.epochs, O.progress);
	while (R->epoch < O.epochs) {
		int e = R->epoch;
		double lr = lr_at(e), lsum = 0;
		long long lrows = 0;

		size_t ne = D->n;
		const float *wsub = NULL;
		const size_t *sub = adaptive_rows(R, s.m, e, &ne, &wsub);

		epoch_order(D, e, order, tmp);
		if (sub) {
			/* the epoch's order restricted to the subset, its weights in D->w */
			size_t q = 0;
			for (size_t i = 0; i < D->n; i++)
				if (wsub[order[i]] > 0)
					order[q++] = order[i];
			ne = q;
			D->w = (float *)wsub;
		}
		b.n = 0;
		for (size_t c0 = 0; c0 < ne; c0 += B) {
			size_t nc = ne - c0 < B ? ne - c0 : B;
			if (!O.sifting) {
				memcpy(b.rows, order + c0, nc * sizeof *order);
				b.n = nc;
				lsum += sgd_step(R, &s, &b, lr);
				lrows += (long long)nc;
				R->seen += (long long)nc;
				b.n = 0;
				continue;
			}
			/* forward pass over the candidates, sift, fill the batch */
			if (ws == NULL && (ws = sur_ws_new(s.m, B, &err)) == NULL)
				die_err(&err);
			for (size_t i = 0; i < nc; i++)
				memcpy(b.Xs + i * d, D->X + order[c0 + i] * d, d * sizeof *b.Xs);
			if (sur_predict_proba(s.m, b.Xs, nc, b.P, ws, &err) != 0)
				die_err(&err);
			uint64_t es = O.seed ^ wn_splitmix64((uint64_t)e + 1);
			for (size_t i = 0; i < nc; i++) {
				size_t r = order[c0 + i];
				float loss = (float)-log(fmax(b.P[i * k + (size_t)D->y[r]], FLT_MIN));
				double u = wn_u01_counter(es, WN_STREAM_SIFT, D->key[r]);
				R->seen++;
				if (!sift_keep(&R->sift, loss, u))
					continue;
				b.rows[b.n++] = r;
				if (b.n == B) {
					lsum += sgd_step(R, &s, &b, lr);
					lrows += (long long)b.n;
					b.n = 0;
				}
			}
		}
		if (b.n > 0) {
			lsum += sgd_step(R, &s, &b, lr);
			lrows += (long long)b.n;
			b.n = 0;
		}
		if (sub)
			D->w = wman;
		R->epoch++;
		s.m->hp.iterations = R->epoch;
		s.m->hp.n_train = (long long)D->n;
		s.m->hp.sum_weight = sumw;
		s.m->hp.objective = lrows ? lsum / (double)lrows : 0;
		progress_update(&R->pr, R->epoch);
		int stop = end_epoch(R, s.m, lrows ? lsum / (double)lrows : 0);
		maybe_checkpoint(R, &io);
		if (stop)
			break;
	}
	progress_done(&R->pr, R->epoch);
	sur_ws_free(ws);
	free(order);
	free(tmp);
	free(s.mW);
	free(s.vW);
	free(s.mb);
	free(s.vb);
	free(b.rows);
	free(b.X);
	free(b.Xs);
	free(b.w);
	free(b.y);
	free(b.gW);
	free(b.gb);
	free(b.P);
	return s.m;
}

/* ---- MLP ------------------------------------------------------------------------- */

static int
mlp_save(void *ctx, FILE *fp, const char *name, struct wn_err *err)
{
	return sur_mlp_trainer_save(ctx, fp, name, err);
}

/* Sifting hooks of the MLP trainer: the same draw and the same counters
 * as the softmax minibatch loop above. */
static int
mlp_keep(void *ctx, size_t row, float loss)
{
	struct run *R = ctx;
	uint64_t es = O.seed ^ wn_splitmix64((uint64_t)R->epoch + 1);
	R->seen++;
	return sift_keep(&R->sift, loss, wn_u01_counter(es, WN_STREAM_SIFT, R->D->key[row]));
}

static void
mlp_on_step(void *ctx, size_t rows)
{
	struct run *R = ctx;
	R->steps++;
	R->backward += (long long)rows;
	if (O.sifting)
		sift_step(&R->sift);
}

static struct sur_model *
train_mlp(struct run *R)
{
	struct wn_err err = { 0 };
	struct data *D = R->D;
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
	mo.keys = D->key;
	mo.keep = O.sifting ? mlp_keep : NULL;
	mo.on_step = mlp_on_step;
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
 * on the validation set: the grid lambda in {1e-6 ... 1e-2} x lr in
 * {lr/3, lr, 3 lr}, or with --tune-trials N, N settings drawn log-uniformly
 * (lambda in [1e-7, 1e-1], lr in [lr/10, 10 lr]) from the seed.  Each trial
 * trains a model as the final run would (early stopping included) and is
 * scored by its validation accuracy (ties: lower loss).  Leaves the best
 * setting in O; every trial goes to stdout and the log.
 */
static void
tune(struct run *R)
{
	static const double lambdas[] = { 1e-6, 1e-5, 1e-4, 1e-3, 1e-2 };
	const double lr0 = O.lr, lrs[] = { lr0 / 3, lr0, lr0 * 3 };
	int with_lr = O.solver == SOLVER_SGD;
	int nl = 5, nr = with_lr ? 3 : 1;
	int trials = O.tune_trials ? O.tune_trials : nl * nr;
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

		if (O.tune_trials) {
			double u = wn_u01_counter(O.seed, WN_STREAM_SELECT, 2 * (uint64_t)i + 0x700e);
			double v = wn_u01_counter(O.seed, WN_STREAM_SELECT, 2 * (uint64_t)i + 0x700f);
			O.lambda = pow(10, -7 + 6 * u);
			O.lr = with_lr ? lr0 * pow(10, -1 + 2 * v) : lr0;
		} else {
			O.lambda = lambdas[i / nr];
			O.lr = with_lr ? lrs[i % nr] : lr0;
		}
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
		if (R->ve.acc > best_acc || (R->ve.acc == best_acc && R->ve.loss < best_loss)) {
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
	struct data D, T, V;
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
	R.classes = make_classes(&D, &R.k);
	if (D.skipped)
		warnx("%s: %zu row%s without a label skipped", D.name, D.skipped, WN_S(D.skipped));
	if (O.test) {
		char *e, *f;
		split_pair(O.test, "--test", &e, &f);
		load_data(&T, e, f, R.classes, R.k, 0);
		if (T.d != D.d)
			die(WN_EDATA, "%s: %d columns, but the training embeddings have %d", e, T.d, D.d);
		if (T.skipped)
			warnx("%s: %zu row%s without a label left out of the test measurement",
			      T.name, T.skipped, WN_S(T.skipped));
		R.T = &T;
		free(e);
		free(f);
	}
	if (O.val) {
		char *e, *f;
		split_pair(O.val, "--val", &e, &f);
		load_data(&V, e, f, R.classes, R.k, 0);
		if (V.d != D.d)
			die(WN_EDATA, "%s: %d columns, but the training embeddings have %d", e, V.d, D.d);
		if (V.skipped)
			warnx("%s: %zu row%s without a label left out of the validation set",
			      V.name, V.skipped, WN_S(V.skipped));
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
	for (int c = 0; c < R.k; c++)
		free(R.classes[c]);
	free(R.classes);
	free(R.te.cls_n);
	free(R.te.cls_ok);
	free(R.ve.cls_n);
	free(R.ve.cls_ok);
	free_data(&D);
	if (R.T)
		free_data(&T);
	if (R.V)
		free_data(&V);
	free(ckpt_default);
	return 0;
}
