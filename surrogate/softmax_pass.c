/*
 * softmax_pass.c - softmax regression's loss, gradient and Hessian-vector
 * products on row chunks, threaded, the same bytes for any thread count
 * (softmax_pass.h); sur_softmax_loss_grad and sur_softmax_hv.
 */
#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "softmax.h"
#include "softmax_pass.h"
#include "threads.h"

void
sur__pass_free(struct pass *P)
{
	for (int t = 0; P->th && t < P->threads; t++) {
		free(P->th[t].xs);
		free(P->th[t].z);
		free(P->th[t].u);
	}
	free(P->th);
	free(P->part);
	free(P->part_b);
	free(P->part_l);
	memset(P, 0, sizeof *P);
}

/* threads < 1: as many as OpenBLAS is set to use (the programs' -j). */
int
sur__pass_init(struct pass *P, int d, int k, int threads, struct wn_err *err)
{
	memset(P, 0, sizeof *P);
	if (threads < 1)
		threads = openblas_get_num_threads();
	P->threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
	P->th = calloc(P->threads, sizeof *P->th);
	P->part = malloc(sur__mul(PASS_ROUND, sur__mul(k, d)) * sizeof *P->part);
	P->part_b = malloc((size_t)PASS_ROUND * k * sizeof *P->part_b);
	P->part_l = malloc(PASS_ROUND * sizeof *P->part_l);
	int ok = P->th && P->part && P->part_b && P->part_l;
	for (int t = 0; ok && t < P->threads; t++) {
		struct pass_thread *T = &P->th[t];
		T->xs = malloc(sur__mul(PASS_CHUNK, d) * sizeof *T->xs);
		T->z = malloc((size_t)PASS_CHUNK * k * sizeof *T->z);
		T->u = malloc((size_t)PASS_CHUNK * k * sizeof *T->u);
		ok = T->xs && T->z && T->u;
	}
	if (!ok) {
		sur__pass_free(P);
		return wn_seterr(err, WN_ESOFTWARE, "softmax: out of memory for the pass scratch");
	}
	return 0;
}

/* G (k x d) = R' X for a chunk: nb rows of X, residuals R (nb x k).  Four
 * rows a step, each step's four products summed left to right and then
 * added, row steps in order: a fixed order, the same in every vector
 * width.  The columns go in blocks of GRAD_COLS, so that a block of G
 * (k x GRAD_COLS) stays in L1 across the rows of the chunk, in loops of
 * constant width that the compiler vectorises at full width (AVX-512:
 * 1.6x the 8-lane loop over whole rows, the same sums). */
enum { GRAD_COLS = 256 };

/* always_inline: into each clone of chunk_grad, the remainder call too
 * (left out of line it ran the baseline code: a third of a fit at d = 784) */
static inline __attribute__((always_inline)) void
grad_cols(const float *restrict X, const float *restrict R, size_t nb, int d, int k, int j0,
          int w, float *restrict G)
{
	size_t i = 0;
	for (; i + 4 <= nb; i += 4) {
		const float *x0 = X + i * d + j0, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
		for (int c = 0; c < k; c++) {
			const float a0 = R[i * k + c], a1 = R[(i + 1) * k + c];
			const float a2 = R[(i + 2) * k + c], a3 = R[(i + 3) * k + c];
			float *restrict g = G + (size_t)c * d + j0;
			for (int l = 0; l < w; l++)
				g[l] += a0 * x0[l] + a1 * x1[l] + a2 * x2[l] + a3 * x3[l];
		}
	}
	for (; i < nb; i++) {
		const float *x0 = X + i * d + j0;
		for (int c = 0; c < k; c++) {
			const float a0 = R[i * k + c];
			float *restrict g = G + (size_t)c * d + j0;
			for (int l = 0; l < w; l++)
				g[l] += a0 * x0[l];
		}
	}
}

SUR_VECTOR_CLONES
static void
chunk_grad(const float *restrict X, const float *restrict R, size_t nb, int d,
           int k, float *restrict G)
{
	memset(G, 0, (size_t)k * d * sizeof *G);
	int j0 = 0;
	for (; j0 + GRAD_COLS <= d; j0 += GRAD_COLS)
		grad_cols(X, R, nb, d, k, j0, GRAD_COLS, G);    /* constant width */
	if (j0 < d)
		grad_cols(X, R, nb, d, k, j0, d - j0, G);
}

/* Chunk c (global index) into slot c - P->c0 of the round's partials. */
static void
pass_chunk(struct pass *P, struct pass_thread *T, size_t c)
{
	const struct sur_model *m = P->m;
	int k = m->k, d = m->d;
	size_t i0 = c * PASS_CHUNK, nb = P->n - i0 < PASS_CHUNK ? P->n - i0 : PASS_CHUNK;
	size_t slot = c - P->c0;
	const float *xs = P->X + i0 * d;
	if (P->raw) {
		sur_standardize(m, xs, nb, T->xs);
		xs = T->xs;
	}
	sur__affine_rows(xs, nb, d, m->w1, m->b1, k, T->z);
	double loss = 0, *gb = P->part_b + slot * k;
	for (int cl = 0; cl < k; cl++)
		gb[cl] = 0;
	if (P->VW) {
		/* Hessian times (V, vb): row residuals s_i p (u - p'u), with
		 * u = V x + vb the direction's logits */
		sur__affine_rows(xs, nb, d, P->VW, P->vb, k, T->u);
		for (size_t i = 0; i < nb; i++) {
			float *z = T->z + i * k, *u = T->u + i * k;
			double nll, se = sur__exp_logits(z, k, 0, &nll), pu = 0;
			float inv = (float)(1.0 / se);
			for (int cl = 0; cl < k; cl++) {
				z[cl] *= inv;
				pu += (double)z[cl] * u[cl];
			}
			double sc = (P->w ? P->w[i0 + i] : 1.0) / P->S;
			for (int cl = 0; cl < k; cl++) {
				z[cl] = (float)(sc * z[cl] * (u[cl] - pu));
				gb[cl] += z[cl];
			}
		}
	} else {
		for (size_t i = 0; i < nb; i++) {
			float *z = T->z + i * k;
			int yi = P->y[i0 + i];
			double wi = P->w ? P->w[i0 + i] : 1.0, nll;
			double se = sur__exp_logits(z, k, yi, &nll);
			loss += wi * nll;
			float inv = (float)(1.0 / se), sc = (float)(wi / P->S);
			for (int cl = 0; cl < k; cl++) {
				z[cl] = sc * (z[cl] * inv - (cl == yi));
				gb[cl] += z[cl];
			}
		}
	}
	P->part_l[slot] = loss;
	if (P->grad)
		chunk_grad(xs, T->z, nb, d, k, P->part + slot * (size_t)k * d);
}

struct pass_arg {
	struct pass *P;
	int t;
};

static void *
pass_worker(void *arg)
{
	struct pass_arg *A = arg;
	struct pass *P = A->P;
	for (;;) {
		size_t c = atomic_fetch_add(&P->next, 1);
		if (c >= P->nc)
			break;
		pass_chunk(P, &P->th[A->t], P->c0 + c);
	}
	return NULL;
}

/* One pass: the data term (VW NULL) or the data part of H [VW; vb]. */
static void
run_pass(const struct sur_model *m, const float *X, int raw, const int *y,
         const float *w, size_t n, double S, const float *VW, const float *vb,
         double *ls, double *gW, double *gb, struct pass *P)
{
	int k = m->k, d = m->d;
	size_t kd = (size_t)k * d, chunks = (n + PASS_CHUNK - 1) / PASS_CHUNK;
	double sum = 0;
	if (gW)
		memset(gW, 0, kd * sizeof *gW);
	if (gb)
		memset(gb, 0, k * sizeof *gb);
	P->m = m;
	P->X = X;
	P->raw = raw;
	P->y = y;
	P->w = w;
	P->n = n;
	P->S = S;
	P->grad = gW != NULL;
	P->VW = VW;
	P->vb = vb;
	for (P->c0 = 0; P->c0 < chunks; P->c0 += PASS_ROUND) {
		P->nc = chunks - P->c0 < PASS_ROUND ? chunks - P->c0 : PASS_ROUND;
		atomic_store(&P->next, 0);
		int nt = P->threads < (int)P->nc ? P->threads : (int)P->nc;
		struct pass_arg arg[64];
		for (int t = 0; t < nt; t++)
			arg[t] = (struct pass_arg){ P, t };
		wn_run_threads(nt, pass_worker, arg, sizeof *arg);
		for (size_t c = 0; c < P->nc; c++) {
			sum += P->part_l[c];
			if (gW) {
				const float *g = P->part + c * kd;
				for (size_t j = 0; j < kd; j++)
					gW[j] += g[j];
			}
			if (gb)
				for (int cl = 0; cl < k; cl++)
					gb[cl] += P->part_b[c * k + cl];
		}
	}
	*ls = sum;
}

void
sur__data_term(const struct sur_model *m, const float *X, int raw, const int *y,
          const float *w, size_t n, double S, double *ls, double *gW,
          double *gb, struct pass *P)
{
	run_pass(m, X, raw, y, w, n, S, NULL, NULL, ls, gW, gb, P);
}

int
sur_softmax_loss_grad(const struct sur_model *m, const float *Xs, const int *y,
                      const float *w, size_t n, double S, double lambda,
                      double *f, float *gW, float *gb, struct wn_err *err)
{
	int k = m->k, d = m->d;
	struct pass P;
	double *g = NULL, *gbd = NULL;
	if (sur__pass_init(&P, d, k, 0, err) < 0)
		return -1;
	if (gW && (!(g = malloc((size_t)k * d * sizeof *g)) || !(gbd = malloc(k * sizeof *gbd)))) {
		free(g);
		sur__pass_free(&P);
		return wn_seterr(err, WN_ESOFTWARE, "softmax: out of memory");
	}
	double ls;
	sur__data_term(m, Xs, 0, y, w, n, S, &ls, g, gbd, &P);
	double reg = 0;
	for (size_t j = 0; j < (size_t)k * d; j++)
		reg += (double)m->w1[j] * m->w1[j];
	*f = ls / S + 0.5 * lambda * reg;
	if (gW) {
		for (size_t j = 0; j < (size_t)k * d; j++)
			gW[j] = (float)(g[j] + lambda * m->w1[j]);
		if (gb)
			for (int c = 0; c < k; c++)
				gb[c] = m->hp.intercept ? (float)gbd[c] : 0.0f;
	}
	free(g);
	free(gbd);
	sur__pass_free(&P);
	return 0;
}

/*
 * Hessian-vector product on rows of X (raw: standardised chunk by chunk):
 * acc (k*d + k doubles) = data part of H [VW; vb] (without lambda).
 */
void
sur__hv_core(const struct sur_model *m, const float *X, int raw, const float *w,
        size_t n, double S, const float *VW, const float *vbb, double *acc,
        struct pass *P)
{
	double unused;
	run_pass(m, X, raw, NULL, w, n, S, VW, vbb, &unused, acc, acc + (size_t)m->k * m->d, P);
}

int
sur_softmax_hv(const struct sur_model *m, const float *Xs, const float *w, size_t n,
               double S, double lambda, const float *VW, const float *vb,
               float *HW, float *hb, struct wn_err *err)
{
	int k = m->k, d = m->d;
	struct pass P;
	double *acc = calloc((size_t)k * d + k, sizeof *acc);
	float *zero = calloc(k, sizeof *zero);
	if (!acc || !zero) {
		free(acc);
		free(zero);
		return wn_seterr(err, WN_ESOFTWARE, "softmax: out of memory");
	}
	if (sur__pass_init(&P, d, k, 0, err) < 0) {
		free(acc);
		free(zero);
		return -1;
	}
	sur__hv_core(m, Xs, 0, w, n, S, VW, m->hp.intercept && vb ? vb : zero, acc, &P);
	for (size_t j = 0; j < (size_t)k * d; j++)
		HW[j] = (float)(acc[j] + lambda * VW[j]);
	if (hb)
		for (int c = 0; c < k; c++)
			hb[c] = m->hp.intercept ? (float)acc[(size_t)k * d + c] : 0.0f;
	free(zero);
	free(acc);
	sur__pass_free(&P);
	return 0;
}
