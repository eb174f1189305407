/*
 * model.h - surrogate models (softmax regression, one-hidden-layer MLP),
 * their model file, and prediction.  Prefix sur_.
 *
 * Features: a model sees x~ = (x - mean) * scale (elementwise, d wide);
 * without standardisation mean = 0 and scale = 1.  The layers:
 *
 *   softmax:  z = W x~ + b                 W: k x d, b: k
 *   mlp:      a = relu(W1 x~ + b1)         W1: h x d, b1: h
 *             z = W2 a + b2                W2: k x h, b2: k
 *   p = softmax(z)
 *
 * Without an intercept the biases are kept (all zero) so the shapes do not
 * depend on options.  Matrices are row-major float.
 *
 * Model file (version 1; see winnow-formats(5)):
 *
 *   # winnow-model 1                        first line, exactly
 *   kind: softmax                           YAML block, one "key: value"
 *   ...                                     per line (readable with
 *   ...                                     `sed '/^\.\.\.$/q' MODEL`)
 *   ...                                     line "..." ends the YAML
 *   <binary>                                little-endian float32 tensors,
 *                                           in the order and shapes the
 *                                           `tensors:` key lists, then an
 *                                           8-byte XXH64 of those bytes
 *
 * Loading checks the magic and version, every key (unknown keys are
 * errors), the shapes against the dimensions, the byte count, the
 * checksum, and that no weight is NaN or infinite: any failure is exit
 * code 65 with a message naming the file and what is wrong.
 */
#ifndef SUR_MODEL_H
#define SUR_MODEL_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum sur_kind { SUR_SOFTMAX = 1, SUR_MLP = 2 /* only append */ };

enum { SUR_MODEL_VERSION = 1 };

/* How the summed loss is normalised in the objective (softmax.h). */
enum sur_norm {
	SUR_NORM_COUNT  = 0,    /* divide by n, the number of training rows */
	SUR_NORM_WEIGHT = 1,    /* divide by the sum of the sample weights */
	SUR_NORM_GIVEN  = 2     /* divide by a given N (norm_n) */
};

/* Hyperparameters and training summary, stored in the model metadata. */
struct sur_hyper {
	double lambda;          /* L2 strength (see softmax.h for the objective) */
	enum sur_norm norm;
	double norm_n;          /* N for SUR_NORM_GIVEN */
	int intercept;          /* biases trained (1) or fixed at 0 (0) */
	int standardize;        /* mean/scale fitted (1) or 0/1 (0) */
	/* softmax */
	int max_iter;
	double tol;
	/* mlp */
	int epochs, batch;
	double lr, momentum;    /* momentum: SGD momentum, or Adam beta1 */
	int adam;               /* 1 Adam, 0 SGD with momentum */
	unsigned long long seed;
	/* what training did */
	long long n_train;      /* rows trained on */
	double sum_weight;      /* sum of the sample weights */
	double objective;       /* final objective */
	double grad_norm;       /* final gradient 2-norm (softmax) */
	int iterations;         /* L-BFGS iterations, or epochs run */
};

/*
 * Influence factors (score.h), computed at fit time from the training
 * data and stored in the model so winnow-score needs only the model.
 * Space is the standardised features with a 1 appended when the model has
 * an intercept: d1 = d + intercept.  Each factor is the lower Cholesky
 * factor L (d1 x d1, row-major, upper triangle zero) of
 *
 *   per class: H_k = (1/S) sum_i s_i p_ik (1 - p_ik) x~_i x~_i' + lambda I
 *   shared:    C   = (1/S) sum_i s_i x~_i x~_i' + lambda I
 *
 * with S the loss normaliser of the objective and s_i the sample weights,
 * and lambda raised to at least 1e-6 (and added to the intercept
 * coordinate too) so that the factors exist even for lambda = 0 or a
 * constant feature.
 */
enum sur_infl {
	SUR_INFL_NONE   = 0,
	SUR_INFL_SHARED = 1,    /* only the shared factor */
	SUR_INFL_CLASS  = 2     /* per-class factors and the shared one */
};

struct sur_model {
	enum sur_kind kind;
	int d;                  /* input dimension */
	int k;                  /* classes (>= 2) */
	int h;                  /* hidden units (mlp), 0 for softmax */
	char **classes;         /* k names, sorted by strcmp, distinct */
	float *mean, *scale;    /* d each */
	float *w1, *b1;         /* softmax: W (k x d), b (k); mlp: W1 (h x d), b1 (h) */
	float *w2, *b2;         /* mlp: W2 (k x h), b2 (k); NULL for softmax */
	struct sur_hyper hp;
	enum sur_infl infl;     /* which influence factors are present */
	float *infl_shared;     /* d1 x d1 lower factor, or NULL */
	float *infl_class;      /* k x d1 x d1 lower factors, or NULL */
};

/* A model with zeroed weights, mean 0, scale 1, classes NULL (the caller
 * fills them with sur_model_set_classes).  h is ignored for softmax.
 * NULL with 70 on allocation failure, 65 on a bad size. */
struct sur_model *sur_model_new(enum sur_kind kind, int d, int k, int h, struct wn_err *err);
void sur_model_free(struct sur_model *m);
/* Deep copy (NULL with 70 on allocation failure). */
struct sur_model *sur_model_dup(const struct sur_model *m, struct wn_err *err);

/* Copy k class names into m (they must be distinct and sorted by strcmp,
 * without TAB, CR or LF: else 65). */
int sur_model_set_classes(struct sur_model *m, const char *const *names, struct wn_err *err);
/* Index of class name, or -1. */
int sur_model_class(const struct sur_model *m, const char *name);
/* d1 = d + intercept: the size of an influence factor. */
int sur_model_d1(const struct sur_model *m);

/* Write m to fp (name for messages): 74 on a write error. */
int sur_model_save(const struct sur_model *m, FILE *fp, const char *name, struct wn_err *err);
/* Read a model from fp; NULL with 65 (bad file) or 74 (read error). */
struct sur_model *sur_model_load(FILE *fp, const char *name, struct wn_err *err);
/* Open path and load it; 66 when it cannot be opened. */
struct sur_model *sur_model_load_path(const char *path, struct wn_err *err);
/* The same with flags: SUR_LOAD_NO_INFL reads, hashes and checks the
 * influence factors but keeps none (m->infl is SUR_INFL_NONE): at
 * d = 2048 they are 168 of the file's 185 MB, and only the influence
 * scores use them. */
enum { SUR_LOAD_NO_INFL = 1 };
struct sur_model *sur_model_load_flags(FILE *fp, const char *name, unsigned flags,
                                       struct wn_err *err);
struct sur_model *sur_model_load_path_flags(const char *path, unsigned flags,
                                            struct wn_err *err);

/*
 * Class probabilities for n rows of raw (unstandardised) features X
 * (n x m->d, row-major) into P (n x m->k).  Row-pure: a row's
 * probabilities are a function of that row alone, bit for bit, whatever n,
 * its place among the rows or the thread count (so scores do not change
 * with block size or sharding); thread-safe for a shared const model.  NULL ws: allocates per call;
 * else a workspace from sur_ws_new() reused across calls (one per thread).
 * -1 with 70 on allocation failure, and with 65 ("row I: a feature is
 * not a finite number", I counted from X's first row) when a value of X
 * is NaN or infinite: the standardisation checks the values as it reads
 * them, so a caller that has not checked its rows need not read them
 * twice (winnow-score: npy_check_view then names the file's row).
 */
struct sur_ws;
struct sur_ws *sur_ws_new(const struct sur_model *m, size_t max_rows, struct wn_err *err);
void sur_ws_free(struct sur_ws *ws);
int sur_predict_proba(const struct sur_model *m, const float *X, size_t n, float *P,
                      struct sur_ws *ws, struct wn_err *err);

/* Mean cross-entropy (weighted by w, NULL = 1) and accuracy of m on n
 * rows with labels y (class indices; rows with y < 0 are skipped).
 * Either output may be NULL.  -1 with 70 on allocation failure. */
int sur_evaluate(const struct sur_model *m, const float *X, const int *y, const float *w,
                 size_t n, double *loss, double *acc, struct wn_err *err);
/* sur_evaluate, and when cls_n and cls_ok are not NULL (m->k each), the
 * rows of each class and how many of them m predicts right (unweighted),
 * for per-class accuracy. */
int sur_evaluate_classes(const struct sur_model *m, const float *X, const int *y,
                         const float *w, size_t n, double *loss, double *acc,
                         long long *cls_n, long long *cls_ok, struct wn_err *err);

/* In place, row-wise softmax of Z (n x k); computed with a max shift. */
void sur_softmax_rows(float *Z, size_t n, int k);

/* Fit mean/scale of m to X (n x d) with optional weights w (NULL = 1):
 * mean = weighted mean, scale = 1/std (1 where std is 0 or tiny). */
void sur_fit_standardize(struct sur_model *m, const float *X, size_t n, const float *w);
/* Standardise n rows of X into out (n x d), as the model sees them.
 * Returns the index of the first row of X holding a NaN or an infinity,
 * n if there is none (the check costs nothing beside the memory read). */
size_t sur_standardize(const struct sur_model *m, const float *X, size_t n, float *out);

#endif
