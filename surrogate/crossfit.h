/*
 * crossfit.h - out-of-sample class probabilities by K-fold cross-fitting
 * of a surrogate (the same trainers as winnow-fit: sur_softmax_fit,
 * sur_mlp_fit), so that no row is judged by a model that saw its label.
 * Prefix sur_cf_.
 *
 * Row i's fold is a pure function of the seed and its id:
 *
 *   fold_i = floor(K * wn_u01_counter(seed, WN_STREAM_FOLD, keys_i))
 *
 * with keys_i = wn_hash64(0, WN_STREAM_SHUFFLE, id) (sur_data's keys), so
 * it does not depend on the input order, the other rows, the thread count
 * or the row's own label.  Fold f's model is trained on the rows of the
 * other folds only (its standardisation too) and predicts the rows of
 * fold f.  Changing a row's label therefore changes no probability of
 * that row (it changes the models of the other folds).
 *
 * Memory: besides the caller's data (n x d floats) and P (n x k), one
 * training copy of at most n x d floats (the softmax fit standardises it
 * in place) and the model.
 */
#ifndef SUR_CROSSFIT_H
#define SUR_CROSSFIT_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "err.h"
#include "mlp.h"
#include "model.h"
#include "softmax.h"

struct sur_cf_opts {
	int folds;                      /* K >= 2 */
	unsigned long long seed;        /* the folds' seed */
	enum sur_kind kind;             /* SUR_SOFTMAX or SUR_MLP */
	struct sur_softmax_opts softmax;/* for SUR_SOFTMAX (infl and consume_x are set here) */
	struct sur_mlp_opts mlp;        /* for SUR_MLP (keys are set here) */
	/* Called after each fold's fit with its training and held-out row
	 * counts and its model (may be NULL). */
	void (*on_fold)(void *ctx, int fold, size_t ntrain, size_t ntest,
	                const struct sur_model *m);
	void *ctx;
};

/* The fold (in [0, folds)) of a row with shuffle key `key`. */
int sur_cf_fold(uint64_t key, unsigned long long seed, int folds);

/*
 * Cross-fit on D (every row labeled): fold[i] (n ints, may be NULL) gets
 * row i's fold and P (n x D->k) its out-of-sample probabilities.  65 when
 * a class has fewer labeled rows than folds (naming the class), when a
 * fold holds every row, or from the trainer (a NaN feature...); 64 for
 * bad options; 70.
 */
int sur_cf_predict(const struct sur_data *D, const struct sur_cf_opts *o, int *fold, float *P,
                   struct wn_err *err);

/* Index of the first labeled row of D with a NaN or infinite feature
 * (*col gets the feature), or -1 when every feature is finite. */
long long sur_cf_nonfinite(const struct sur_data *D, int *col);

#endif
