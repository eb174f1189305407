/*
 * ckpt.h - the checkpoint file of a minibatch training run (winnow-train
 * --checkpoint-every, --resume), see winnow-formats(5):
 *
 *   "WNTRCKPT", version (uint32, 2), the run's counters (struct sur_ckpt,
 *   field by field, little-endian), the sifting state when the run sifts
 *   (sift.h), the trainer state (sgd.h or mlp.h), and the model with the
 *   best validation loss when there is one (model.h).
 *
 * A checkpoint is private to one run: its fingerprint (a hash of the
 * options and the training rows' ids, made by the caller) must match.
 */
#ifndef SUR_CKPT_H
#define SUR_CKPT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "model.h"
#include "sift.h"

enum { SUR_CKPT_VERSION = 2 };

struct sur_ckpt {
	uint64_t fingerprint;
	int32_t epoch;          /* epochs done */
	int32_t best_epoch, bad;        /* early stopping: best epoch, epochs since */
	int32_t has_best;       /* a best model follows the trainer state */
	int64_t steps, seen, backward;  /* optimiser steps, rows seen, rows backpropagated */
	double last_loss, best_val;
	double seconds;         /* training time so far */
};

/* The trainer's state writer (sur_sgd_save, sur_mlp_trainer_save). */
typedef int sur_ckpt_save_fn(void *ctx, FILE *fp, const char *name, struct wn_err *err);

/*
 * Write a whole checkpoint to fp: h, the sifting state s (or NULL), the
 * trainer state through save(ctx, ...), and best (NULL when h->has_best
 * is 0).  74 on a write error.
 */
int sur_ckpt_save(FILE *fp, const char *name, const struct sur_ckpt *h,
                  const struct sift *s, sur_ckpt_save_fn *save, void *ctx,
                  const struct sur_model *best, struct wn_err *err);

/*
 * Read the head of a checkpoint into h and, when s is not NULL, the
 * sifting state into s; fp is left at the trainer state (read it with
 * sur_sgd_load or sur_mlp_trainer_load, then sur_ckpt_load_best).  65
 * naming the file when it is not a checkpoint, another version, or the
 * checkpoint of another run (fingerprint).
 */
int sur_ckpt_load_head(FILE *fp, const char *name, uint64_t fingerprint, struct sur_ckpt *h,
                       struct sift *s, struct wn_err *err);

/* After the trainer state: *best gets the best model when h->has_best,
 * else NULL.  65 on a bad model. */
int sur_ckpt_load_best(FILE *fp, const char *name, const struct sur_ckpt *h,
                       struct sur_model **best, struct wn_err *err);

#endif
