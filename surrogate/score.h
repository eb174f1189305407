/*
 * score.h - per-sample scores from a surrogate (winnow-score(1) gives the
 * formulas).  Every score is "higher = harder / more informative".
 *
 * With p the class probabilities of a row (sur_predict_proba), p(1) >=
 * p(2) the two largest, y the row's label and x~ the standardised row
 * (with a 1 appended when the model has an intercept):
 *
 *   entropy           -sum_k p_k log p_k                    (0 log 0 = 0)
 *   margin            1 - (p(1) - p(2))
 *   least-confidence  1 - p(1)
 *   influence         sum_k p_k (1 - p_k) x~' H_k^-1 x~     (model.h)
 *   influence-shared  (sum_k p_k (1 - p_k)) x~' C^-1 x~
 *   loss              -log max(p_y, FLT_MIN)                (label)
 *   el2n              ||p - e_y||_2                         (label)
 *   grand             softmax: ||p - e_y||_2 * ||x~||_2     (label)
 *                     mlp: the 2-norm of the gradient of l with respect
 *                     to W1, b1, W2, b2
 *   prototype         1 - max_j cos(x, c_j) over k-means centroids c_j
 *                     of the embeddings (model-free)
 */
#ifndef SUR_SCORE_H
#define SUR_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"

enum sur_method {
	SUR_ENTROPY = 0,
	SUR_MARGIN,
	SUR_LEASTCONF,
	SUR_INFLUENCE,
	SUR_INFLUENCE_SHARED,
	SUR_LOSS,
	SUR_EL2N,
	SUR_GRAND,
	SUR_PROTOTYPE,
	SUR_NMETHODS
};

/* "entropy", "margin", "least-confidence", "influence",
 * "influence-shared", "loss", "el2n", "grand", "prototype". */
const char *sur_method_name(enum sur_method m);
/* Method by name, or -1. */
int sur_method_parse(const char *name);
/* 1 for loss, el2n, grand. */
int sur_method_needs_label(enum sur_method m);
/* 1 for all but prototype. */
int sur_method_needs_model(enum sur_method m);
/* 1 for influence and influence-shared: the model's influence factors. */
int sur_method_needs_influence(enum sur_method m);

/*
 * Scores of n rows.  X: raw features (n x m->d); P: their probabilities
 * (n x m->k) from sur_predict_proba; y: class indices (needed for label
 * methods, each in [0, k); NULL otherwise); out: n scores.  Not for
 * SUR_PROTOTYPE (sur_proto_scores).  ws as in sur_predict_proba (NULL:
 * allocate).  -1 with 65 when the model lacks the influence factors the
 * method needs (fit with influence factors), 64 for a label method
 * without y, 70 on allocation failure.
 */
int sur_score_block(const struct sur_model *m, enum sur_method meth, const float *X,
                    const float *P, const int *y, size_t n, double *out,
                    struct sur_ws *ws, struct wn_err *err);

/*
 * Spherical k-means for the prototype score: rows of X (n x d) are
 * normalised to unit length (zero rows stay zero); k-means++ seeding with
 * wn_u01_counter(seed, WN_STREAM_SHUFFLE, ...) draws over at most
 * max_rows rows (taken with a fixed stride, deterministic), then Lloyd
 * iterations (cosine assignment, mean then renormalise) until no row
 * changes cluster or iters is reached.  C gets k unit centroids (k x d).
 * The cosines are the row-pure product of prediction (kernel.h); a
 * cluster's sum is taken in double over float sums of the rows of each
 * block of SUR_BLOCK, in row order, one pass over the rows a step.
 * 65 if n < k.
 */
int sur_kmeans(const float *X, size_t n, int d, int k, int iters, size_t max_rows,
               uint64_t seed, float *C, struct wn_err *err);

/* out[i] = 1 - max_j cos(X_i, C_j), with C unit rows (k x d); a zero row
 * of X scores 1. */
void sur_proto_scores(const float *C, int k, int d, const float *X, size_t n, double *out);

/*
 * A scorer: class probabilities (sur_predict_proba, when there is a
 * model) and scores (sur_score_block, or sur_proto_scores for
 * SUR_PROTOTYPE) of blocks of rows, each block split into nt contiguous
 * shares scored on nt threads (lib/threads.h), each with a workspace of
 * its own.  Both are row-pure, so the results are the same bytes for any
 * nt.  m may be NULL for SUR_PROTOTYPE; C: its kc x d unit centroids
 * (sur_kmeans), NULL otherwise; neither is copied, both must outlive the
 * scorer.  NULL with 70 on allocation failure, 64 for prototype without C.
 */
struct sur_scorer;
struct sur_scorer *sur_scorer_new(const struct sur_model *m, enum sur_method meth,
                                  const float *C, int kc, int d, int nt, struct wn_err *err);
/* Rows X (n x d), labels y (as sur_score_block): P (n x m->k, unless m is
 * NULL) and out (n).  The first failing share's error (as
 * sur_score_block), -1. */
int sur_scorer_run(struct sur_scorer *s, const float *X, const int *y, size_t n, float *P,
                   double *out, struct wn_err *err);
void sur_scorer_free(struct sur_scorer *s);

#endif
