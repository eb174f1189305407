/*
 * mlp.h - one-hidden-layer MLP (ReLU, softmax output) trained by
 * minibatch Adam or SGD with momentum; forward and backward passes are
 * cblas_sgemm calls on the minibatch.
 *
 * Objective per minibatch B (the same as softmax.h, with the L2 term on
 * W1 and W2, biases unpenalised):
 *
 *   f_B = (1/S_B) sum_{i in B} s_i l_i + (lambda/2)(||W1||^2 + ||W2||^2)
 *
 * S_B: |B| (SUR_NORM_COUNT), the weight sum of B (SUR_NORM_WEIGHT), or
 * N * |B| / n (SUR_NORM_GIVEN: the full-data loss / N, unbiased).
 *
 * Determinism: weights start from He-normal values drawn from
 * wn_normal_counter() under the seed; the order of epoch e is the rows
 * sorted by wn_u01_counter(seed ^ splitmix64(e + 1), WN_STREAM_SHUFFLE,
 * key_i) with key_i = keys[i] if given (e.g. the hash of the sample id,
 * so the order does not depend on the input order) else i.  Same data,
 * options and seed give the same model, bit for bit, with the same BLAS
 * threads.  A trainer saved after epoch e and restored continues exactly
 * as if it had not stopped.
 */
#ifndef SUR_MLP_H
#define SUR_MLP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "model.h"
#include "optim.h"

struct sur_mlp_trainer;

struct sur_mlp_opts {
	struct sur_minibatch_opts mb;   /* optim.h; norm defaults to SUR_NORM_COUNT */
	int hidden;                     /* hidden units; default 256 */
	/*
	 * Called after each epoch (1-based) with the mean weighted training
	 * loss over that epoch's minibatches (before the L2 term); the
	 * callback may evaluate sur_mlp_trainer_model(t), log, or
	 * checkpoint with sur_mlp_trainer_save().  Nonzero return stops
	 * training.  May be NULL.
	 */
	int (*on_epoch)(void *ctx, struct sur_mlp_trainer *t, int epoch, double loss);
	void *ctx;
};

void sur_mlp_opts_default(struct sur_mlp_opts *o);

/*
 * A trainer for data X (n x d, raw), with class names (k >= 2, sorted,
 * distinct) and sample weights w (or NULL, used for the standardisation
 * only here; the epochs take them again).  Fits the standardisation on X
 * when o->mb.standardize, and initialises the weights.  NULL with 64 (bad
 * option), 65 (bad data) or 70.  The trainer copies o (keys and callback
 * pointers are borrowed).
 */
struct sur_mlp_trainer *sur_mlp_trainer_new(const struct sur_mlp_opts *o, const float *X,
                                            const float *w, size_t n, int d,
                                            const char *const *classes, int k,
                                            struct wn_err *err);
void sur_mlp_trainer_free(struct sur_mlp_trainer *t);

/*
 * Run one epoch over X, y (each in [0, k)), w (or NULL); n, d as at
 * creation.  *loss (if not NULL) gets the mean weighted loss.  Returns 0,
 * or -1: 65 for bad data (label out of range, NaN loss), 70.
 */
int sur_mlp_trainer_epoch(struct sur_mlp_trainer *t, const float *X, const int *y,
                          const float *w, size_t n, double *loss, struct wn_err *err);

/*
 * An epoch over a subset: rows[0..nrows) (distinct indices into X, y, w,
 * which have the trainer's n rows), in the epoch's shuffle order of
 * those rows; w (or NULL) is indexed by row.  For adaptive subset
 * selection (winnow-train --adaptive).  Returns 0 or -1 as above.
 */
int sur_mlp_trainer_epoch_rows(struct sur_mlp_trainer *t, const float *X, const int *y,
                               const float *w, size_t n, const size_t *rows, size_t nrows,
                               double *loss, struct wn_err *err);

/* Set the learning rate used from the next step on (schedules: call it
 * before each epoch; a checkpoint keeps the rate of the options). */
void sur_mlp_trainer_set_lr(struct sur_mlp_trainer *t, double lr);

/* Epochs done so far. */
int sur_mlp_trainer_epochs_done(const struct sur_mlp_trainer *t);

/* The current model (owned by the trainer, valid until the next epoch or
 * free; sur_model_dup() it to keep it).  hp.iterations = epochs done. */
const struct sur_model *sur_mlp_trainer_model(const struct sur_mlp_trainer *t);

/*
 * Checkpoint: write everything needed to resume to fp: the model file of
 * the current model (hyperparameters, epochs done, weights), then a
 * second section in the same layout -- "# winnow-mlp-state 1", the keys
 * rows, step, beta2, eps, "tensors:" (the optimiser moments m_* and v_*),
 * "...", float32 data, XXH64.  74 on a write error.
 */
int sur_mlp_trainer_save(const struct sur_mlp_trainer *t, FILE *fp, const char *name,
                         struct wn_err *err);
/*
 * Restore a trainer from a checkpoint.  The stored options win except
 * epochs, keys and the hooks (on_epoch, keep, on_step and their
 * contexts), which come from o (o may be NULL: then
 * no keys and no callback).  65 for a bad or mismatched file.
 */
struct sur_mlp_trainer *sur_mlp_trainer_load(FILE *fp, const char *name,
                                             const struct sur_mlp_opts *o,
                                             struct wn_err *err);

/*
 * Convenience: create a trainer, run o->mb.epochs epochs (calling
 * o->on_epoch), return a copy of the final model.
 */
struct sur_model *sur_mlp_fit(const float *X, const int *y, const float *w, size_t n, int d,
                              const char *const *classes, int k,
                              const struct sur_mlp_opts *o, struct wn_err *err);

#endif
