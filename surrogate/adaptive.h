/*
 * adaptive.h - gradient-based subset selection during training (the
 * methods of CORDS: GLISTER, GradMatch, CRAIG, and a random baseline),
 * from the state of a model's softmax output layer.  Prefix ada_.
 *
 * The last layer maps features x_i (d wide: the standardised inputs of a
 * softmax model, the hidden activations of an MLP) to logits z = W x + b
 * (k classes), p_i = softmax(z).  The gradient of the cross-entropy of
 * sample i with respect to (W, b) is the outer product
 *
 *   g_i = r_i (x) x~_i,    r_i = p_i - e_{y_i} (k),   x~_i = [x_i, 1] (d1)
 *
 * (d1 = d + 1 with an intercept, else d and x~ = x).  So
 *
 *   <g_i, g_j> = (r_i . r_j) (x~_i . x~_j)      e.g. (R R') o (1 + X X')
 *   <g_i, G>   = r_i' G x~_i                    for any k x d1 matrix G
 *
 * and the methods below never build the n x k*d1 matrix of per-sample
 * gradients: they work with residuals R (n x k), features X (n x d), and
 * k x d1 matrices (a target gradient, a residual of the matching).
 *
 * Methods (each returns a subset of exactly `budget` rows, or all rows
 * when budget >= n, with a weight per row):
 *
 *  ADA_GLISTER   (Killamsetty et al., AAAI 2021, GLISTER-ONLINE) greedy
 *     maximisation of the validation log-likelihood after one gradient
 *     step on the subset, under a first-order Taylor approximation.  With
 *     G = grad L_val(theta_S) (the mean validation gradient at the current
 *     last layer theta_S), the gain of candidate e is <g_e, G>; the best is
 *     taken, theta_S <- theta_S - eta * g_e, and G is recomputed exactly at
 *     the new last layer (the validation logits move by -eta r_e (x~_e .
 *     x~_v)).  With taylor_every = m > 1, G is recomputed after every m
 *     picks instead, the m steps applied together (GLISTER's r = budget/m
 *     Taylor approximations), for speed.  Stochastic greedy (Mirzasoleiman
 *     et al., AAAI 2015): each pick looks at s = ceil(n/budget ln(1/eps))
 *     candidates drawn from the rows not yet chosen (eps = 0: all of them).  Weights 1.  Needs a
 *     validation set (o->val_max caps the rows it uses).  Cost
 *     O(budget s d k + (budget/m) nv d k).
 *
 *  ADA_GRADMATCH (Killamsetty et al., ICML 2021, GRAD-MATCH per class)
 *     orthogonal matching pursuit with non-negative weights: per class c,
 *     with target T_c = sum of the class's training gradients (or, with a
 *     validation set and o->gm_val, (n_c / nv_c) times the sum of its
 *     validation gradients), repeat: take the row j of class c with the
 *     largest positive <g_j, T_c - sum_S w_s g_s>; solve the ridge problem
 *     min ||sum_S w_s g_s - T_c||^2 + lambda ||w||^2 on the support
 *     (incremental Cholesky); while a weight is negative, drop the most
 *     negative row and solve again.  Stops at the class's budget, when
 *     the residual norm is <= tol ||T_c||, when no row has a positive
 *     correlation, or when the best row is already in the support (as in
 *     CORDS).  The shortfall is filled at random from the class (weight
 *     1).  o->gm_classrow matches only row c of the gradient (CORDS's
 *     "PerClassPerGradient": dimension d1 instead of k*d1).  Class budgets
 *     are proportional to class sizes (largest remainder).
 *
 *  ADA_CRAIG     (Mirzasoleiman et al., ICML 2020) facility location per
 *     class: maximise F(S) = sum_i max_{j in S} s_ij with similarity
 *     s_ij = D_max - ||g_i - g_j||^2 (D_max the largest squared distance in
 *     the block), the distances from the Gram matrix
 *     K = (R R') o (X~ X~') as K_ii + K_jj - 2 K_ij; lazy greedy (Minoux).
 *     A class with more than o->max_block rows is cut into near-equal
 *     random blocks (so memory is max_block^2 floats), each with its share
 *     of the budget.  Weight of a chosen row = the number of rows of its
 *     block whose most similar chosen row it is (itself included).
 *
 *  ADA_RANDOM    the `budget` rows with the smallest
 *     wn_u01_counter(seed, ADA_STREAM_RANDOM, key_i): a fresh random subset
 *     for each seed.  Weights 1.
 *
 * Randomness only through lib/hash.h counters on the rows' keys, so the
 * subset does not depend on the order of the rows except through
 * floating-point sums and exact ties.  Ties in gains go to the row that
 * comes first in the canonical order: rows sorted by
 * wn_u01_counter(seed, ADA_STREAM_ORDER, key_i), then key, then index.
 */
#ifndef SUR_ADAPTIVE_H
#define SUR_ADAPTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"

enum ada_method { ADA_RANDOM = 0, ADA_GLISTER = 1, ADA_GRADMATCH = 2, ADA_CRAIG = 3 };

/* Hash streams (see lib/hash.h; far from enum wn_stream's small values). */
enum {
	ADA_STREAM_ORDER  = 0x61646100,     /* canonical order, CRAIG blocks */
	ADA_STREAM_RANDOM = 0x61646101,     /* ADA_RANDOM, GradMatch fill */
	ADA_STREAM_SG     = 0x61646102      /* stochastic-greedy candidates */
};

/* The output layer's view of a set of rows. */
struct ada_data {
	size_t n;               /* rows */
	int d;                  /* features (last-layer input) */
	int k;                  /* classes */
	const float *X;         /* n x d */
	const float *P;         /* n x k probabilities */
	const int *y;           /* n labels in [0, k) */
	const uint64_t *key;    /* n per-sample keys (hash of the id), or NULL: index */
};

struct ada_opts {
	enum ada_method method;
	size_t budget;          /* rows to choose */
	int intercept;          /* the layer has a bias: x~ = [x, 1]; default 1 */
	unsigned long long seed;/* change it every selection round */
	/* glister */
	double eta;             /* step of the Taylor update; default 0.01 */
	double sg_eps;          /* stochastic greedy eps in (0, 1), 0 = plain greedy; default 0.01 */
	size_t taylor_every;    /* picks between re-linearisations; default 1 (after each) */
	size_t val_max;         /* use at most this many validation rows (a random
	                         * sample by key); 0 = all (default) */
	/* gradmatch */
	double lambda;          /* ridge on the weights; default 0.5 (CORDS) */
	double tol;             /* relative residual to stop at; default 1e-3 */
	int gm_val;             /* match the validation gradient; default 0 */
	int gm_classrow;        /* match row c of the gradient only; default 0 */
	/* craig */
	size_t max_block;       /* rows per facility-location block; default 1024 */
};

void ada_opts_default(struct ada_opts *o);

/* A chosen subset. */
struct ada_subset {
	size_t n;               /* rows chosen */
	size_t *idx;            /* n row indices, ascending */
	float *w;               /* n weights (> 0) */
	size_t n_greedy;        /* rows the method chose before any random fill */
	/* The greedy trace, in pick order (n_pick entries): the row and its
	 * gain when picked (GLISTER: <g_e, G>; GradMatch: the correlation
	 * with the residual, rows later dropped included; CRAIG: the
	 * marginal facility-location gain).  For tests and diagnostics. */
	size_t n_pick;
	size_t *pick;
	double *gain;
};

void ada_subset_free(struct ada_subset *s);

/*
 * Choose a subset of tr's rows as o says; val (or NULL) is the
 * validation set (same d and k), required by ADA_GLISTER and by
 * ADA_GRADMATCH with gm_val.  0, or -1 with err: 64 for a bad option
 * (budget 0, eps outside [0,1), glister without a validation set), 65
 * for bad data (a label out of range, mismatched shapes), 70 on
 * allocation failure.
 */
int ada_select(const struct ada_data *tr, const struct ada_data *val, const struct ada_opts *o,
               struct ada_subset *s, struct wn_err *err);

/* "random", "glister", "gradmatch", "craig" -> method, or -1. */
int ada_method_parse(const char *name);
const char *ada_method_name(enum ada_method m);

/*
 * The Gram block K (na x nb, row-major) of the per-sample gradients of
 * rows a and b: K_ij = (r_i . r_j)(x~_i . x~_j), r = p - e_y, computed
 * with two GEMMs.  Ra, Rb: residuals (na x k, nb x k).  -1 with 70 on
 * allocation failure.
 */
int ada_gram(const float *Xa, const float *Ra, size_t na, const float *Xb, const float *Rb,
             size_t nb, int d, int k, int intercept, float *K, struct wn_err *err);

/* Residuals R = P - onehot(y) (n x k). */
void ada_residuals(const float *P, const int *y, size_t n, int k, float *R);

/*
 * The output layer's inputs and probabilities for n rows of raw features
 * X under model m: F (n x ada_feature_dim(m)) gets the standardised
 * features (softmax) or the hidden activations (mlp); P (n x k) the
 * probabilities.  Blocked; -1 with 70 on allocation failure.
 */
int ada_head_features(const struct sur_model *m, const float *X, size_t n, float *F, float *P,
                      struct wn_err *err);
int ada_feature_dim(const struct sur_model *m);
/* 1 if the model's output layer has a trained bias. */
int ada_model_intercept(const struct sur_model *m);

#endif
