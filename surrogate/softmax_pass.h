/*
 * softmax_pass.h - the threaded pass over row chunks behind softmax.c's
 * objective, gradient and Hessian-vector products (surrogate/ only).
 */
#ifndef SUR_SOFTMAX_PASS_H
#define SUR_SOFTMAX_PASS_H

#include <stdatomic.h>
#include <stddef.h>

#include "err.h"
#include "model.h"

/*
 * The data term: *ls = sum_i s_i l_i (not divided by S); gW (k x d) and
 * gb (k), in double, get (1/S) sum_i s_i (p_i - e_yi) x~_i' and the
 * column sums (when not NULL).
 *
 * One fused pass, threaded, hand-written rather than two BLAS GEMMs per
 * block.  With k = 10 columns both GEMMs are skinny: OpenBLAS spent a
 * third of its time packing operands and, with two threads, more in
 * sched_yield than in arithmetic on the 2,400-row seed; and its sums
 * change with the thread count.  Here the rows go in chunks of
 * PASS_CHUNK: a chunk's logits come from the row-pure sur__affine_rows,
 * its gradient R' X is summed in float in a fixed order while the chunk
 * is still in cache, and the chunks' sums add into the double totals in
 * chunk order.  So the objective and gradient -- and the model trained
 * on them -- are the same bytes whatever the number of threads; threads
 * only decide who computes which chunk.
 */
enum { PASS_CHUNK = 256, PASS_ROUND = 64 };

struct pass_thread {
	float *xs;          /* PASS_CHUNK x d: standardised chunk (raw X) */
	float *z;           /* PASS_CHUNK x k: logits, then residuals */
	float *u;           /* PASS_CHUNK x k: the direction's logits (hv) */
};

struct pass {
	int threads;
	struct pass_thread *th;
	float *part;        /* PASS_ROUND x (k d): the chunks' gradients */
	double *part_b;     /* PASS_ROUND x k: their column sums */
	double *part_l;     /* PASS_ROUND: their losses */
	/* the current pass */
	const struct sur_model *m;
	const float *X;
	int raw;
	const int *y;
	const float *w;
	size_t n, c0, nc;   /* rows; this round's first chunk and chunk count */
	double S;
	int grad;
	const float *VW, *vb;   /* Hessian-vector products: the direction */
	atomic_size_t next; /* next chunk of the round to take */
};

/* threads < 1: as many as OpenBLAS is set to use (the programs' -j).
 * -1 with 70 on allocation failure. */
int sur__pass_init(struct pass *P, int d, int k, int threads, struct wn_err *err);
void sur__pass_free(struct pass *P);
/* The data term: *ls = sum_i s_i l_i; gW, gb (double) the gradient's data
 * part divided by S (raw: X standardised chunk by chunk). */
void sur__data_term(const struct sur_model *m, const float *X, int raw, const int *y,
                    const float *w, size_t n, double S, double *ls, double *gW,
                    double *gb, struct pass *P);
/* acc (k*d + k doubles) = the data part of H [VW; vb] (without lambda). */
void sur__hv_core(const struct sur_model *m, const float *X, int raw, const float *w,
                  size_t n, double S, const float *VW, const float *vbb, double *acc,
                  struct pass *P);

#endif
