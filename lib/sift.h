/*
 * sift.h - online loss-based sifting (Selective-Backprop, SageMaker smart
 * sifting): during training each sample's forward-pass loss is ranked
 * against the last `history` losses; the sample goes on to the backward
 * pass with probability q^beta, q its percentile.  For losses drawn from one
 * distribution q is close to uniform, so the expected kept share is
 * E[q^beta] = 1/(1+beta).  Nothing is sifted during the first `delay` steps
 * (the history still fills).
 *
 * The random draw u is the caller's (a pure function of seed, epoch and the
 * sample's id through hash.h), so a sifted run is deterministic for a seed
 * and an order of samples.  The state is plain numbers: sift_save() and
 * sift_load() write and read it for checkpoints.
 */
#ifndef WN_SIFT_H
#define WN_SIFT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct sift {
	double beta;        /* keep with probability q^beta; 0 keeps all */
	size_t history;     /* L: losses remembered */
	long long delay;    /* D: steps before sifting starts */
	float *ring;        /* the last min(n, L) losses, oldest at pos */
	float *sorted;      /* the same losses, ascending */
	size_t n;           /* losses held (<= history) */
	size_t pos;         /* next slot in ring to overwrite once full */
	long long steps;    /* steps done (sift_step) */
	long long seen;     /* samples offered to sift_keep */
	long long kept;     /* samples kept for the backward pass */
};

/* beta >= 0, history >= 1, delay >= 0; 64 on a bad value, 70 on memory. */
int sift_init(struct sift *s, double beta, size_t history, long long delay,
              struct wn_err *err);
void sift_free(struct sift *s);

/* Percentile of loss among the remembered losses, in (0, 1]:
 * (#less + #equal/2 + 1/2) / (n + 1), so that a loss exchangeable with
 * the history has mean percentile 1/2; 1 when the history is empty. */
double sift_percentile(const struct sift *s, float loss);

/* Offer one sample: rank its loss, remember it, and return 1 to keep it
 * for the backward pass (u < q^beta, or still within the delay), 0 to
 * drop it.  u is uniform in [0, 1). */
int sift_keep(struct sift *s, float loss, double u);

/* Count one optimiser step (for the delay). */
void sift_step(struct sift *s);

/* Write / read the whole state as binary (checkpoints).  sift_load needs
 * s initialised with the same beta, history and delay (65 otherwise). */
int sift_save(const struct sift *s, FILE *fp, const char *name, struct wn_err *err);
int sift_load(struct sift *s, FILE *fp, const char *name, struct wn_err *err);

#endif
