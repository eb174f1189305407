/*
 * optim.h - the one minibatch optimiser, the one epoch order and the
 * options they take, shared by the minibatch trainers (mlp.h, sgd.h).
 *
 * Adam (Kingma & Ba, with bias correction) or SGD with momentum
 * (heavy ball: m = momentum m + g; w -= lr m), on float parameters with
 * float moments and double arithmetic per element, so that one step is
 * the same bits whoever calls it.
 */
#ifndef SUR_OPTIM_H
#define SUR_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct sur_optim {
	int adam;               /* 1 Adam, 0 SGD with momentum */
	double lr;
	double momentum;        /* SGD momentum, or Adam beta1 */
	double beta2, eps;      /* Adam only */
};

/*
 * One step, the step-th (1-based: Adam's bias correction), on n
 * parameters W with gradient g (lambda * W is added to it: the L2 term
 * when g does not hold it, else pass 0), moments m and (Adam) v.
 */
void sur_optim_step(const struct sur_optim *o, long long step, float *W, const float *g,
                    float *m, float *v, size_t n, double lambda);

/* One row of an epoch's order (sur_epoch_order). */
struct sur_ord {
	double key;
	size_t i;
};

/*
 * The order of epoch e (0-based) of rows[0..n) (or 0..n-1 when rows is
 * NULL): sorted by wn_u01_counter(seed ^ splitmix64(e + 1),
 * WN_STREAM_SHUFFLE, keys[i]) (keys NULL: i), ties by row.  A pure
 * function of (seed, e, key), so it does not depend on the input order
 * or thread count.  tmp holds n entries; the rows go to order[0..n).
 */
void sur_epoch_order(unsigned long long seed, int e, const uint64_t *keys, const size_t *rows,
                     size_t n, struct sur_ord *tmp, size_t *order);

/*
 * What the minibatch trainers (sgd.h, mlp.h) share of their options:
 * each embeds one as `mb`.  The hyperparameters are recorded in the
 * model (sur_minibatch_hyper); keys and hooks are borrowed.
 */
struct sur_minibatch_opts {
	int epochs;             /* default 20 */
	int batch;              /* minibatch rows; default 128 */
	double lr;              /* learning rate; default 1e-3 (Adam), use ~0.05 for SGD */
	double momentum;        /* SGD momentum or Adam beta1; default 0.9 */
	double beta2, eps;      /* Adam; default 0.999, 1e-8 */
	int adam;               /* 1 Adam (default), 0 SGD with momentum */
	double lambda;          /* L2 on the weights; default 1e-4 */
	enum sur_norm norm;     /* the trainer's default (sgd.h, mlp.h) */
	double norm_n;          /* N for SUR_NORM_GIVEN */
	int standardize;        /* default 1 */
	unsigned long long seed;/* default 0 */
	const uint64_t *keys;   /* n shuffle keys, or NULL (row index) */
	/*
	 * Online sifting (Selective-Backprop), if keep is not NULL: each
	 * epoch takes its rows in order in chunks of `batch` candidates, runs
	 * the forward pass on a chunk, and calls keep(keep_ctx, row, loss)
	 * with each candidate's cross-entropy (before weights) in order; rows
	 * for which it returns nonzero fill the minibatches of the backward
	 * pass (the epoch's last one may be short).  on_step (may be NULL)
	 * is called after every optimiser step with its row count.  The
	 * hooks hold no trainer state: a checkpoint does not save theirs.
	 */
	int (*keep)(void *keep_ctx, size_t row, float loss);
	void (*on_step)(void *keep_ctx, size_t rows);
	void *keep_ctx;
};

/* The defaults above, norm SUR_NORM_COUNT, no keys, no hooks. */
void sur_minibatch_opts_default(struct sur_minibatch_opts *o);

/* Record o's hyperparameters in hp (lambda, norm, norm_n, standardize and
 * adam as 0/1, epochs, batch, lr, momentum, seed); the trainer records
 * the rest. */
void sur_minibatch_hyper(struct sur_hyper *hp, const struct sur_minibatch_opts *o);

/* Learning-rate schedules: the rate of epoch e (0-based) of E. */
enum sur_sched { SUR_SCHED_CONSTANT, SUR_SCHED_COSINE, SUR_SCHED_EXP };

/* lr (constant), lr (1 + cos(pi e / E)) / 2 (cosine), or lr decay^e
 * (exp). */
double sur_lr_at(enum sur_sched s, double lr, double decay, int e, int E);

/*
 * The search of winnow-train --tune: trial i (0-based) of
 * sur_tune_trials() sets *lambda and *lr.  trials 0: the grid lambda in
 * {1e-6 ... 1e-2} x lr in {lr0/3, lr0, 3 lr0} (lr0 alone when with_lr is
 * 0); trials N: N settings drawn log-uniformly (lambda in [1e-7, 1e-1],
 * lr in [lr0/10, 10 lr0]) as a pure function of (seed, i).
 */
int sur_tune_trials(int trials, int with_lr);
void sur_tune_setting(int trials, int with_lr, unsigned long long seed, double lr0, int i,
                      double *lambda, double *lr);
/* Whether a trial with validation accuracy acc and loss beats the best so
 * far: higher accuracy, ties to the lower loss. */
int sur_tune_better(double acc, double loss, double best_acc, double best_loss);

#endif
