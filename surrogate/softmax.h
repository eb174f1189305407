/*
 * softmax.h - multinomial logistic regression trained by L-BFGS
 * (liblbfgs) to the optimum of
 *
 *   f(W, b) = (1/S) sum_i s_i l_i(W, b) + (lambda/2) ||W||_F^2
 *   l_i     = -log p_{i, y_i},   p_i = softmax(W x~_i + b)
 *
 * over n rows with class labels y_i in [0, k) and sample weights s_i
 * (1 when not given).  S is n (SUR_NORM_COUNT), sum_i s_i
 * (SUR_NORM_WEIGHT) or a given N (SUR_NORM_GIVEN).  The biases are not
 * penalised.  Equivalences: liblinear/scikit-learn minimise
 * C sum_i l_i + ||W||^2/2, i.e. lambda = 1/(C n) with SUR_NORM_COUNT.
 *
 * Loss, gradient and Hessian-vector products are one fused, threaded pass
 * over chunks of 256 rows (softmax.c): each chunk's sums in float in a
 * fixed order, the chunks' added in double in chunk order, so the model is
 * the same bytes whatever the thread count.  L-BFGS works in whitened
 * coordinates V = W L (L L' the features' covariance, from a sample).
 */
#ifndef SUR_SOFTMAX_H
#define SUR_SOFTMAX_H

#include <stddef.h>

#include "err.h"
#include "model.h"

struct sur_softmax_opts {
	double lambda;          /* >= 0; default 1e-4 */
	enum sur_norm norm;     /* default SUR_NORM_COUNT */
	double norm_n;          /* N for SUR_NORM_GIVEN (> 0) */
	int intercept;          /* default 1 */
	int standardize;        /* default 1 */
	int max_iter;           /* L-BFGS iterations; default 500 */
	double tol;             /* stop when ||grad||_2 <= tol; default 1e-5 */
	int memory;             /* L-BFGS memory (pairs); default 10 */
	int precondition;       /* whiten the features' covariance (the same
	                         * optimum, far fewer iterations) when there
	                         * are at least 4 d rows; default 1 */
	enum sur_infl infl;     /* influence factors to compute; default SUR_INFL_CLASS */
	/* Called after each iteration with the objective and gradient
	 * norm; a nonzero return stops training (the model is then the
	 * current iterate).  May be NULL. */
	int (*on_iter)(void *ctx, int iter, double f, double gnorm);
	void *ctx;
	/* Warm start from this model's weights (same kind, d, k; its
	 * standardisation is reused) or NULL to start from zero. */
	const struct sur_model *init;
	/* Nonzero: X is the caller's to overwrite, and the fit standardises
	 * and centres it in place instead of in a copy of n x d floats (the
	 * memory, and the time to fault it in: a tenth of a 60,000-row fit).
	 * X holds no features afterwards.  Ignored when influence factors are
	 * asked for: they need the raw X after the fit.  Default 0. */
	int consume_x;
};

void sur_softmax_opts_default(struct sur_softmax_opts *o);

/*
 * Train on X (n x d, row-major, raw features), labels y (n, each in
 * [0, k)), weights w (n, >= 0, or NULL), class names (k >= 2, sorted,
 * distinct).  Returns the model with hp filled in (objective, grad_norm,
 * iterations, n_train...), or NULL: 65 for bad data (a label out of
 * range, a NaN feature, a negative weight, all weights zero), 64 for a
 * bad option, 70 on allocation failure or an optimiser failure that
 * leaves no usable model.  Reaching max_iter is not an error (the
 * caller sees hp.grad_norm).
 */
struct sur_model *sur_softmax_fit(const float *X, const int *y, const float *w, size_t n,
                                  int d, const char *const *classes, int k,
                                  const struct sur_softmax_opts *o, struct wn_err *err);

/*
 * Objective of m (a softmax model) on standardised data, as defined
 * above, with S the normaliser.  If gW (k x d) and gb (k) are not NULL,
 * the gradient goes there (gb is zeroed when m has no intercept).
 * Xs must already be standardised (sur_standardize).  -1 with 70 on
 * allocation failure, else 0 and *f set.
 */
int sur_softmax_loss_grad(const struct sur_model *m, const float *Xs, const int *y,
                          const float *w, size_t n, double S, double lambda,
                          double *f, float *gW, float *gb, struct wn_err *err);

/*
 * Hessian-vector product of the objective at m on standardised data:
 * (VW, vb) -> (HW, hb), shapes as W and b.  Exact (Gauss-Newton equals
 * Hessian for softmax cross-entropy).
 */
int sur_softmax_hv(const struct sur_model *m, const float *Xs, const float *w, size_t n,
                   double S, double lambda, const float *VW, const float *vb,
                   float *HW, float *hb, struct wn_err *err);

/*
 * Compute the influence factors of m (see model.h) from its training
 * data X (raw), weights w (or NULL) and the normaliser S; kind
 * SUR_INFL_SHARED or SUR_INFL_CLASS.  Cholesky by LAPACKE_dpotrf on the
 * matrices accumulated in double.  65 if a matrix is not positive
 * definite (lambda 0 with collinear features).
 */
int sur_influence_factors(struct sur_model *m, const float *X, const float *w, size_t n,
                          double S, enum sur_infl kind, struct wn_err *err);

#endif
