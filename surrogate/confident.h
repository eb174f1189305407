/*
 * confident.h - confident learning (Northcutt, Jiang & Chuang, "Confident
 * Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021) on
 * out-of-sample class probabilities: which given labels are probably
 * wrong.  Prefix sur_cl_.
 *
 * Inputs: n rows, each with a given label y_i in [0, k) and out-of-sample
 * probabilities p_i (k floats; crossfit.h makes them).  Arithmetic in
 * double on the float probabilities.
 *
 *   count_i  = #{rows labeled i}
 *   t_j      = mean of p_xj over the rows x labeled j (the per-class
 *              threshold; 0 when no row is labeled j)
 *   C[i][j]  = #{x labeled i : j = argmax of p_xc over the classes c with
 *              p_xc >= t_c}   (the confident joint, given x true; a row
 *              with no class at its threshold is not counted; ties go to
 *              the lower class index)
 *   Cal[i][] = C[i][] count_i / sum_j C[i][j], rounded to integers
 *              whose sum is count_i (exactly, in integers: round half to
 *              even, then the entries with the largest (smallest)
 *              rounding remainder moved up (down) one at a time, lower
 *              index first: the paper's calibration step, rounded as
 *              cleanlab's round_preserving_row_totals means to); a class with no
 *              confident row has Cal[i][i] = count_i.  Cal estimates
 *              the number of rows with given label i and true label j;
 *              Q = Cal / n is the estimated joint.
 *
 * Prune by noise rate: for every given class i and j != i, flag the
 * Cal[i][j] rows labeled i with the largest margin p_xj - p_xi (ties: the
 * smaller tie key, then the lower row index); a row may be picked for
 * several j.  A class with at most one labeled row is not pruned, and no
 * class is pruned below one row (the flags for class i stop at
 * count_i - 1, taken in the order j = 0, 1, ...).  Finally a flagged row
 * whose argmax class is its given label is unflagged (the model agrees
 * with the label).  The same rule as cleanlab's find_label_issues with
 * filter_by='prune_by_noise_rate', frac_noise=1.
 *
 * Prune by class (the paper's PBC): for every class i, flag the
 * count_i - Cal[i][i] rows labeled i (the estimated errors of the class,
 * at most count_i - 1) with the lowest p_xi (ties: the smaller tie key,
 * then the lower row index).  Both (the paper's C+NR): the rows flagged
 * by both rules.  Then, as above, a flagged row whose argmax class is its
 * given label is unflagged (cleanlab's filter_by='prune_by_class' and
 * 'both').
 */
#ifndef SUR_CONFIDENT_H
#define SUR_CONFIDENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "manifest.h"

/* Label-quality scores (lower: more likely a wrong label). */
enum sur_cl_rank {
	SUR_CL_SELF_CONFIDENCE = 0,     /* p_{x, y} */
	SUR_CL_NORMALIZED_MARGIN = 1    /* (p_{x,y} - max_{j != y} p_xj + 1) / 2 */
};

/* Which rows are flagged (above). */
enum sur_cl_filter {
	SUR_CL_PRUNE_BY_NOISE_RATE = 0,
	SUR_CL_PRUNE_BY_CLASS = 1,
	SUR_CL_BOTH = 2                 /* flagged by both rules */
};

struct sur_cl {
	int k;
	size_t n;
	long long *count;       /* k: rows labeled i */
	double *thresh;         /* k: t_j */
	long long *cj;          /* k x k: the confident joint C, given x true */
	long long *cal;         /* k x k: calibrated, rounded; row i sums to count_i */
};

/*
 * Thresholds, confident joint and its calibration for P (n x k,
 * row-major) and labels y (n, each in [0, k)).  -1 with 65 on a label out
 * of range or a probability that is not finite, 70 on allocation failure.
 */
int sur_cl_fit(struct sur_cl *cl, const float *P, const int *y, size_t n, int k,
               struct wn_err *err);
void sur_cl_free(struct sur_cl *cl);

/*
 * Prune by noise rate (above) with cl from sur_cl_fit on the same P and y;
 * tiekey (n, or NULL for none) orders equal margins.  flag[i] is set to 1
 * for a flagged row, else 0.  Returns the number flagged, or -1 with 70.
 */
long long sur_cl_prune(const struct sur_cl *cl, const float *P, const int *y,
                       const uint64_t *tiekey, unsigned char *flag, struct wn_err *err);

/* The rows flagged by rule `by`, as sur_cl_prune (which is by =
 * SUR_CL_PRUNE_BY_NOISE_RATE). */
long long sur_cl_filter(const struct sur_cl *cl, const float *P, const int *y,
                        const uint64_t *tiekey, enum sur_cl_filter by, unsigned char *flag,
                        struct wn_err *err);

/* The label-quality score of one row: p (k probabilities), given label y. */
double sur_cl_quality(const float *p, int k, int y, enum sur_cl_rank rank);

/*
 * The estimated noise matrix as TSV on fp (name for messages): a header
 * "given" and the k class names, then a row a given class whose entries
 * are the calibrated confident joint cl->cal (estimated row counts, the
 * true class in the columns).  -1 with 74 on a write error, 70 on
 * allocation failure.  Documented in winnow-formats(5).
 */
int sur_cl_write_noise(FILE *fp, const char *name, const struct sur_cl *cl,
                       char *const *classes, struct wn_err *err);

/* The argmax of p (k probabilities), ties to the lower index. */
int sur_cl_argmax(const float *p, int k);

#endif
