/*
 * optim.h - the one minibatch optimiser and the one epoch order, shared
 * by the minibatch trainers (mlp.h, sgd.h).
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
