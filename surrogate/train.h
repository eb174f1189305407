/*
 * train.h - winnow-train's run: the final model trained on a labeled set
 * as the options say, and the search of --tune.  Prefix sur_train_.
 *
 *   softmax, SUR_SOLVER_LBFGS   sur_softmax_fit (softmax.h), full batch
 *   softmax, SUR_SOLVER_SGD     sur_sgd (sgd.h), epoch by epoch
 *   mlp (always minibatches)    sur_mlp_trainer (mlp.h), epoch by epoch
 *
 * Around the minibatch trainers: online sifting (lib/sift.h) through their
 * keep hook, one draw per (seed, epoch, id); adaptive subset selection
 * (adaptive.h) every `every` epochs after `warm`; a learning-rate
 * schedule (optim.h); after each epoch the test and validation sets are
 * evaluated and, with a validation set and patience > 0, the model of the
 * lowest validation loss is kept and training stops after `patience`
 * epochs without a better one (early stopping); checkpoints (ckpt.h)
 * every ckpt_every epochs, resumed with `resume`.
 *
 * The library prints nothing: each step is reported to the caller's
 * report() with the run's state (struct sur_train) to print, log or show
 * progress from.  Same data, options and seed give the same model, bit
 * for bit, also across a checkpoint and resume.
 */
#ifndef SUR_TRAIN_H
#define SUR_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "adaptive.h"
#include "ckpt.h"
#include "data.h"
#include "err.h"
#include "model.h"
#include "optim.h"
#include "sift.h"

enum sur_solver { SUR_SOLVER_LBFGS = 0, SUR_SOLVER_SGD = 1 };

struct sur_train;

struct sur_train_opts {
	enum sur_kind kind;
	enum sur_solver solver;         /* SUR_SOLVER_SGD for mlp */
	int epochs, batch, hidden;      /* minibatch trainers */
	int patience;                   /* early stopping; 0: keep the last epoch's model */
	double lr, momentum;            /* lr > 0 */
	int adam;
	enum sur_sched sched;
	double decay;                   /* SUR_SCHED_EXP */
	double lambda;
	enum sur_norm norm;
	double norm_n;
	int intercept, standardize;
	int max_iter;                   /* L-BFGS */
	double tol;                     /* L-BFGS: gradient norm to stop at */
	int sifting;                    /* online sifting with the three below */
	double sift_beta;
	long long sift_history, sift_delay;
	unsigned long long seed;
	int use_weights;                /* only recorded in the checkpoint's fingerprint */
	/* checkpoints: write one every ckpt_every epochs (0: never); with
	 * resume, start from ckpt when it exists; stop_after: end the run
	 * after that epoch with a checkpoint and WN_ETEMPFAIL */
	const char *ckpt;
	int ckpt_every, resume, stop_after;
	/* adaptive subset selection (adaptive nonzero): a `fraction` of the
	 * rows by `method` at epochs warm, warm + every, ... */
	int adaptive;
	enum ada_method method;
	double fraction;
	int every, warm;
	long long taylor_every;         /* GLISTER; 0: budget / 100 */
	int tune_trials;                /* sur_train_tune: 0 the grid, else N draws */
	/* What the run reports, and to whom (may be NULL). */
	void (*report)(void *ctx, const struct sur_train *t, int event);
	void *ctx;
};

/* The defaults of winnow-train(1), lr left at -1 (the caller's to set). */
void sur_train_opts_default(struct sur_train_opts *o);

/*
 * liblinear's check_parameter: refuse the combinations of options
 * winnow-train(1) does not run (64, naming its options), with or without
 * a validation set (have_val) and for --tune (tune), and settle what
 * follows from the others: mlp trains by minibatches, lr -1 becomes
 * 0.001 for Adam and 0.05 for SGD, resume and stop_after checkpoint.
 */
int sur_train_check(struct sur_train_opts *o, int have_val, int tune, struct wn_err *err);

/* The events given to report(), with the fields of struct sur_train they
 * fill. */
enum {
	SUR_TRAIN_START,        /* a training run begins (the run or a trial) */
	SUR_TRAIN_ITER,         /* an L-BFGS iteration: iter, f, gnorm */
	SUR_TRAIN_RESUME,       /* epoch: the epochs the checkpoint had done */
	SUR_TRAIN_SELECT,       /* a subset chosen: sel_epoch (1-based), sub, sel_secs */
	SUR_TRAIN_EPOCH,        /* an epoch done: epoch, last_loss, model, te (the
	                         * run, with a test set), ve (with a validation set) */
	SUR_TRAIN_LBFGS,        /* the L-BFGS fit done: model (after its EPOCH) */
	SUR_TRAIN_END,          /* a training run ends: epoch, model */
	SUR_TRAIN_TRIAL         /* sur_train_tune: trial done (lambda, lr in o), ve,
	                         * epoch, trial_secs */
};

/* A model's loss and accuracy on a labeled set, and per class. */
struct sur_eval {
	double loss, acc;
	long long *cls_n, *cls_ok;      /* k each: rows of the class, right of those */
};

/* A run's state.  The caller reads it (in report() and after the run);
 * sur_train_init and the run write it. */
struct sur_train {
	struct sur_train_opts o;
	const struct sur_data *D, *T, *V;       /* training, test, validation (or NULL) */
	int trial, trials;              /* tuning trial (1-based) of trials; 0 the run */
	/* what happened */
	int epoch;                      /* epochs done */
	long long steps, seen, backward;        /* optimiser steps, rows offered, backpropagated */
	double last_loss, prev_loss;    /* the last epoch's training loss, the one before */
	int stopped;                    /* early stopping ended the run */
	struct sur_eval te, ve;         /* test and validation measures of the last epoch */
	int best_epoch, bad;            /* early stopping: best epoch, epochs since */
	double best_val;
	struct sur_model *best;         /* the model at best_epoch, or NULL */
	int best_kept;                  /* sur_train_run returned best (early stopping) */
	struct sift sift;               /* sifting state and counts (o.sifting) */
	const struct sur_model *model;  /* SUR_TRAIN_EPOCH, LBFGS, END: the current model */
	int iter;                       /* SUR_TRAIN_ITER */
	double f, gnorm;
	struct ada_subset sub;          /* adaptive: the subset in use */
	float *w_sub;                   /* D->n: weight of each chosen row, 0 elsewhere */
	int sel_epoch, rounds;          /* adaptive: epoch of the last selection, selections */
	double sel_secs, select_secs;   /* seconds of the last selection, of all */
	double trial_secs;
	double seconds;                 /* training seconds of earlier processes (resume) */
	double t0;                      /* when this process started training */
	struct sur_ckpt ck;             /* the checkpoint being resumed */
};

/*
 * Set up a run on D (labeled rows; T, V the test and validation sets or
 * NULL, with D's classes and width).  Copies o.  0, or -1 with 64 (a bad
 * option), 70.  Free with sur_train_free even after an error.
 */
int sur_train_init(struct sur_train *t, const struct sur_train_opts *o, const struct sur_data *D,
                   const struct sur_data *T, const struct sur_data *V, struct wn_err *err);
void sur_train_free(struct sur_train *t);

/*
 * Train: the model (the caller's, sur_model_free) with hp filled in, or
 * NULL with err: 65 bad data, 70, 66 or 65 for an unreadable or foreign
 * checkpoint, 73 or 74 when one cannot be written, and 75 after
 * stop_after epochs (the checkpoint is written: resume it).  With early
 * stopping the model of the best epoch is returned (t->best_epoch,
 * t->best_val say which); training seconds in sur_train_seconds().
 * L-BFGS consumes D's features (softmax.h consume_x).
 */
struct sur_model *sur_train_run(struct sur_train *t, struct wn_err *err);

/* Training seconds so far, earlier processes of a resumed run included. */
double sur_train_seconds(const struct sur_train *t);

/* The result of sur_train_tune. */
struct sur_tune_best {
	double lambda, lr;
	double acc, loss;               /* validation accuracy and loss */
	int trials;
};

/*
 * Search lambda (and, for minibatches, lr) on t->V over the settings of
 * sur_tune_setting (optim.h): each trial trains as the run would, early
 * stopping included, without features being consumed, and is ranked by
 * sur_tune_better.  Sets t->o.lambda and t->o.lr to the best and *best.
 * Reports SUR_TRAIN_TRIAL for each trial (and the trial runs' events with
 * t->trial set).  0, or -1 with err (64 without a validation set).
 */
int sur_train_tune(struct sur_train *t, struct sur_tune_best *best, struct wn_err *err);

/*
 * Whether training stopped by its rule rather than at its cap, or else
 * 0 with a sentence for the user in msg ("not converged after N
 * iterations: ..."):
 *   sur_lbfgs_converged   an L-BFGS softmax model m: its gradient norm is
 *                         at most the tolerance it was trained with (hp.tol)
 *   sur_epochs_converged  minibatches: the last of `epochs` epochs lowered
 *                         the training loss (prev_loss to last_loss) by at
 *                         most tol, scikit-learn's rule for its MLP and
 *                         SGD; one epoch cannot tell (1)
 *   sur_train_converged   run t and its model m: one of the two, and
 *                         converged when early stopping ended the run
 */
int sur_lbfgs_converged(const struct sur_model *m, char *msg, size_t len);
int sur_epochs_converged(int epochs, double prev_loss, double last_loss, double tol, char *msg,
                         size_t len);
int sur_train_converged(const struct sur_train *t, const struct sur_model *m, char *msg,
                        size_t len);

/*
 * The log of winnow-train --log (winnow-train(1)), TSV: the header
 * (sur_train_log_head with tune 0) "epoch samples backward train_loss
 * test_loss test_accuracy val_loss val_accuracy seconds"; a row per
 * epoch of the run (sur_train_log on SUR_TRAIN_EPOCH; a field empty
 * without its set, floats %.9g); comment lines "# selection EPOCH METHOD
 * ROWS GREEDY SECONDS" (SUR_TRAIN_SELECT), and for --tune "# tune trial
 * lambda lr val_loss val_accuracy epochs seconds" (tune 1), one line per
 * trial (SUR_TRAIN_TRIAL) and "# tune best LAMBDA LR LOSS ACCURACY"
 * (sur_train_log_best).  Other events, and a trial's epochs and
 * selections, write nothing.  Each call flushes fp: 74 naming name on a
 * write error.
 */
int sur_train_log_head(FILE *fp, const char *name, int tune, struct wn_err *err);
int sur_train_log(FILE *fp, const char *name, const struct sur_train *t, int event,
                  struct wn_err *err);
int sur_train_log_best(FILE *fp, const char *name, const struct sur_tune_best *b,
                       struct wn_err *err);

#endif
