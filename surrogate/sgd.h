/*
 * sgd.h - softmax regression trained by minibatches (Adam or SGD with
 * momentum, optim.h), with optional online sifting: winnow-train
 * --solver sgd.  The full-batch fit is softmax.h (L-BFGS).
 *
 * Objective per minibatch B: softmax.h's, f_B = (1/S_B) sum_{i in B} s_i
 * l_i + (lambda/2) ||W||^2, with S_B = |B| (SUR_NORM_COUNT), the weight
 * sum of B (SUR_NORM_WEIGHT), or N |B| / n (SUR_NORM_GIVEN).  A minibatch
 * whose weights are all 0 takes no step.
 *
 * Determinism: the order of epoch e is sur_epoch_order() of the keys
 * (optim.h); weights start at 0.  A trainer saved after epoch e and
 * restored continues exactly as if it had not stopped.
 */
#ifndef SUR_SGD_H
#define SUR_SGD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "model.h"
#include "optim.h"

struct sur_sgd;

struct sur_sgd_opts {
	struct sur_minibatch_opts mb;   /* optim.h; norm defaults to SUR_NORM_WEIGHT,
	                                 * lr is recorded and sur_sgd_set_lr()
	                                 * sets the rate in use */
	int intercept;                  /* default 1 */
};

void sur_sgd_opts_default(struct sur_sgd_opts *o);

/*
 * A trainer for X (n x d, raw) with class names (k >= 2, sorted,
 * distinct) and weights w (NULL = 1) for the standardisation (fitted
 * when o->mb.standardize) and the recorded weight sum.  NULL with 64 (bad
 * option) or 70.  Copies o (keys and hooks are borrowed).
 */
struct sur_sgd *sur_sgd_new(const struct sur_sgd_opts *o, const float *X, const float *w,
                            size_t n, int d, const char *const *classes, int k,
                            struct wn_err *err);
void sur_sgd_free(struct sur_sgd *t);

/*
 * One epoch over X, y, w (NULL = 1), n rows as at creation.  With subset
 * nonzero, only rows whose w is > 0 take part (adaptive selection passes
 * the subset's weights by row).  *loss (if not NULL) gets the mean over
 * the epoch's rows of the minibatch losses (before the L2 term).  0, or
 * -1 with 65 (a label out of range) or 70.
 */
int sur_sgd_epoch(struct sur_sgd *t, const float *X, const int *y, const float *w, size_t n,
                  int subset, double *loss, struct wn_err *err);

/* Rows the last epoch took part (all n, or the subset's rows with w > 0). */
size_t sur_sgd_epoch_rows(const struct sur_sgd *t);

/* The learning rate from the next step on (schedules). */
void sur_sgd_set_lr(struct sur_sgd *t, double lr);

/* The current model (owned by the trainer; sur_model_dup() to keep it).
 * hp.iterations = epochs done. */
const struct sur_model *sur_sgd_model(const struct sur_sgd *t);

/*
 * Checkpoint: the model file of the current model, then the optimiser
 * state: the step count (int64) and the moments m_W, v_W (k x d each),
 * m_b, v_b (k each), float32, native byte order (a checkpoint resumes on
 * the machine that wrote it).  74 on a write error.
 */
int sur_sgd_save(const struct sur_sgd *t, FILE *fp, const char *name, struct wn_err *err);
/* Restore what sur_sgd_save() wrote into t (made with the same options
 * and data).  65 for a truncated or mismatched file. */
int sur_sgd_load(struct sur_sgd *t, FILE *fp, const char *name, struct wn_err *err);

#endif
