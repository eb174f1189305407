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

#endif
