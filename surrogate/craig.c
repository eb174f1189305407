/*
 * craig.c - CRAIG: facility location over gradient similarities, greedy
 * with a lazy heap (adaptive.h).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "adaptive.h"
#include "adaptive_int.h"
#include "hash.h"
#include "internal.h"

/* ---- CRAIG ------------------------------------------------------------------------ */

struct heapent {
	double g;               /* upper bound on the gain */
	size_t j;               /* position in the block */
};

/* a before b: larger bound, then smaller position */
static int
heap_before(const struct heapent *a, const struct heapent *b)
{
	return a->g > b->g || (a->g == b->g && a->j < b->j);
}

static void
heap_down(struct heapent *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && heap_before(&h[l], &h[m]))
			m = l;
		if (r < n && heap_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct heapent t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Facility location on one block: S (m x m similarities, symmetric),
 * choose `budget` by lazy greedy; weights = rows represented. */
static int
craig_block(const size_t *rows, size_t m, const float *S, size_t budget,
            struct ada_subset *s, struct wn_err *err)
{
	double *cur = calloc(m ? m : 1, sizeof *cur);
	float *best = malloc((m ? m : 1) * sizeof *best);
	size_t *who = malloc((m ? m : 1) * sizeof *who);
	size_t *chosen = malloc((budget ? budget : 1) * sizeof *chosen);
	float *cnt = calloc(budget ? budget : 1, sizeof *cnt);
	struct heapent *h = malloc((m ? m : 1) * sizeof *h);
	size_t nh = m, nch = 0;

	if (!cur || !best || !who || !chosen || !cnt || !h) {
		free(cur); free(best); free(who); free(chosen); free(cnt); free(h);
		return NOMEM(err);
	}
	for (size_t j = 0; j < m; j++) {
		double g = 0;
		const float *sj = S + j * m;
		for (size_t i = 0; i < m; i++)
			g += sj[i];
		h[j].g = g;
		h[j].j = j;
		best[j] = -1;
	}
	for (size_t i = nh / 2; i-- > 0;)
		heap_down(h, nh, i);
	while (nch < budget && nh > 0) {
		struct heapent top = h[0];
		const float *sj = S + top.j * m;
		double g = 0;
		for (size_t i = 0; i < m; i++)
			if (sj[i] > cur[i])
				g += sj[i] - cur[i];
		top.g = g;
		h[0] = h[--nh];
		heap_down(h, nh, 0);
		if (nh > 0 && heap_before(&h[0], &top)) {
			h[nh++] = top;       /* stale: put back with its fresh gain */
			for (size_t i = nh - 1; i > 0;) {
				size_t p = (i - 1) / 2;
				if (!heap_before(&h[i], &h[p]))
					break;
				struct heapent t = h[i];
				h[i] = h[p];
				h[p] = t;
				i = p;
			}
			continue;
		}
		trace(s, rows[top.j], g);
		for (size_t i = 0; i < m; i++) {
			if (sj[i] > cur[i])
				cur[i] = sj[i];
			if (sj[i] > best[i]) {
				best[i] = sj[i];
				who[i] = nch;
			}
		}
		chosen[nch++] = top.j;
	}
	for (size_t i = 0; i < m; i++)
		if (best[i] >= 0)
			cnt[who[i]] += 1;
	for (size_t q = 0; q < nch; q++) {
		s->idx[s->n] = rows[chosen[q]];
		s->w[s->n++] = cnt[q] > 0 ? cnt[q] : 1;
	}
	s->n_greedy += nch;
	free(cur); free(best); free(who); free(chosen); free(cnt); free(h);
	return 0;
}

int
ada__craig(const struct ada_data *D, const struct ada_opts *o, struct ada_subset *s,
           struct wn_err *err)
{
	size_t k = (size_t)D->k, d = (size_t)D->d, mb = o->max_block;
	struct classes G = { 0 };
	size_t *sz = calloc(k, sizeof *sz), *bud = calloc(k, sizeof *bud);
	float *Xb = malloc(sur__mul(mb, d) * sizeof *Xb), *Rb = malloc(mb * k * sizeof *Rb);
	float *S = malloc(sur__mul(mb, mb) * sizeof *S);
	double *diag = malloc(mb * sizeof *diag);
	int rc = -1;

	if (!sz || !bud || !Xb || !Rb || !S || !diag || ada__group_classes(D, o->seed, &G) != 0) {
		NOMEM(err);
		goto out;
	}
	for (size_t c = 0; c < k; c++)
		sz[c] = G.off[c + 1] - G.off[c];
	ada__apportion(sz, k, D->n, o->budget, bud);
	for (size_t c = 0; c < k; c++) {
		size_t nb = (sz[c] + mb - 1) / mb, bsz[64], bb[64], *bs = bsz, *bbud = bb;
		if (bud[c] == 0)
			continue;
		if (nb > 64) {
			bs = malloc(2 * nb * sizeof *bs);
			if (!bs) {
				NOMEM(err);
				goto out;
			}
			bbud = bs + nb;
		}
		for (size_t q = 0; q < nb; q++)
			bs[q] = sz[c] / nb + (q < sz[c] % nb);
		ada__apportion(bs, nb, sz[c], bud[c], bbud);
		size_t off = G.off[c];
		for (size_t q = 0; q < nb; q++) {
			size_t m = bs[q];
			const size_t *rows = G.rows + off;
			off += m;
			ada__gather(D, rows, m, (int)k, (int)c, Xb, Rb);
			/* K = (X X' + 1) o (R R'): the lower triangle of X X' by SYRK
			 * (the k-wide R R' is cheap enough entry by entry) */
			cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)m, D->d, 1.0f, Xb,
			            D->d, 0.0f, S, (int)m);
			for (size_t i = 0; i < m; i++)
				for (size_t j = 0; j <= i; j++) {
					float rr = 0;
					for (size_t q = 0; q < k; q++)
						rr += Rb[i * k + q] * Rb[j * k + q];
					S[i * m + j] = (S[i * m + j] + (o->intercept ? 1.0f : 0.0f)) * rr;
				}
			for (size_t i = 0; i < m; i++)
				diag[i] = S[i * m + i];
			double dmax = 0;
			for (size_t i = 0; i < m; i++)
				for (size_t j = 0; j < i; j++) {
					double v = diag[i] + diag[j] - 2.0 * S[i * m + j];
					if (v < 0)
						v = 0;
					S[i * m + j] = (float)v;
					if (v > dmax)
						dmax = v;
				}
			for (size_t i = 0; i < m; i++) {
				S[i * m + i] = (float)dmax;
				for (size_t j = 0; j < i; j++) {
					S[i * m + j] = (float)(dmax - S[i * m + j]);
					S[j * m + i] = S[i * m + j];
				}
			}
			if (craig_block(rows, m, S, bbud[q], s, err) != 0) {
				if (bs != bsz)
					free(bs);
				goto out;
			}
		}
		if (bs != bsz)
			free(bs);
	}
	rc = 0;
out:
	ada__free_classes(&G);
	free(sz);
	free(bud);
	free(Xb);
	free(Rb);
	free(S);
	free(diag);
	return rc;
}
