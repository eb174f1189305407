/*
 * glister.c - GLISTER: greedy subsets whose one-step update lowers the
 * validation loss most (adaptive.h).
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

/* ---- GLISTER -------------------------------------------------------------------- */

/* G (k x d1, double) = (1/nv) Rv' X~v from the validation probabilities
 * Pv (the residual formed in place in Rv). */
static void
val_grad(const struct ada_data *V, const float *Pv, float *Rv, float *Gf, double *G, int d1,
         int intercept)
{
	size_t k = (size_t)V->k, d = (size_t)V->d;
	ada_residuals(Pv, V->y, V->n, V->k, Rv);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V->k, V->d, (int)V->n,
	            1.0f / (float)V->n, Rv, V->k, V->X, V->d, 0.0f, Gf, V->d);
	for (size_t c = 0; c < k; c++) {
		for (size_t j = 0; j < d; j++)
			G[c * (size_t)d1 + j] = Gf[c * d + j];
		if (intercept) {
			double b = 0;
			for (size_t v = 0; v < V->n; v++)
				b += Rv[v * k + c];
			G[c * (size_t)d1 + d] = b / (double)V->n;
		}
	}
}

static int
sel_glister(const struct ada_data *D, const struct ada_data *V, const struct ada_opts *o,
            struct ada_subset *s, struct wn_err *err)
{
	size_t n = D->n, nv = V->n, k = (size_t)D->k, d = (size_t)D->d, B = o->budget;
	int d1 = D->d + (o->intercept != 0);
	size_t te = o->taylor_every ? o->taylor_every : 1, npicked = 0, rem = n, ns = n;
	size_t *pool = malloc(n * sizeof *pool);
	double *Z = malloc(sur__mul(nv, k) * sizeof *Z);
	float *Pv = malloc(sur__mul(nv, k) * sizeof *Pv);
	float *Rv = malloc(sur__mul(nv, k) * sizeof *Rv);
	float *Gf = malloc(k * d * sizeof *Gf);
	double *G = malloc(k * (size_t)d1 * sizeof *G);
	float *dW = calloc(k * d, sizeof *dW);          /* sum of picked g_e, W part */
	double *db = calloc(k, sizeof *db);             /* and bias part */
	float *Xc = NULL, *GX = NULL;
	int rc = -1;

	if (o->sg_eps > 0) {
		double q = ceil((double)n / (double)B * log(1 / o->sg_eps));
		ns = q < (double)n ? (size_t)q : n;
		if (ns < 1)
			ns = 1;
	}
	Xc = malloc(sur__mul(ns, d) * sizeof *Xc);
	GX = malloc(ns * k * sizeof *GX);
	if (!pool || !Z || !Pv || !Rv || !Gf || !G || !dW || !db || !Xc || !GX) {
		NOMEM(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		pool[i] = i;
	if (ada__hash_sort(D, pool, n, o->seed, ADA_STREAM_ORDER) != 0) {
		NOMEM(err);
		goto out;
	}
	/* validation logits, up to a per-row constant */
	for (size_t i = 0; i < nv * k; i++) {
		Z[i] = log(fmax((double)V->P[i], 1e-30));
		Pv[i] = V->P[i];
	}
	val_grad(V, Pv, Rv, Gf, G, d1, o->intercept);
	for (size_t t = 0; t < B; t++) {
		size_t nc = ns < rem ? ns : rem, bj = 0;
		double best = -INFINITY;
		uint64_t ts = o->seed ^ wn_splitmix64((uint64_t)t + 1);

		/* candidates: pool[0..nc), by a partial Fisher-Yates shuffle */
		if (nc < rem) {
			for (size_t j = 0; j < nc; j++) {
				size_t q = j + (size_t)(wn_u01_counter(ts, ADA_STREAM_SG, j) *
				                        (double)(rem - j));
				size_t tmp = pool[j];
				pool[j] = pool[q];
				pool[q] = tmp;
			}
		}
		/* gains r_e' G x~_e: X_C G_W' by one GEMM, then the residuals */
		for (size_t j = 0; j < nc; j++)
			memcpy(Xc + j * d, D->X + pool[j] * d, d * sizeof *Xc);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nc, D->k, D->d, 1.0f, Xc,
		            D->d, Gf, D->d, 0.0f, GX, D->k);
		for (size_t j = 0; j < nc; j++) {
			size_t e = pool[j];
			const float *p = D->P + e * k;
			double gain = 0;
			for (size_t c = 0; c < k; c++) {
				double rc_ = (double)p[c] - (D->y[e] == (int)c);
				gain += rc_ * ((double)GX[j * k + c] +
				               (o->intercept ? G[c * (size_t)d1 + d] : 0));
			}
			if (gain > best) {
				best = gain;
				bj = j;
			}
		}
		size_t e = pool[bj];
		trace(s, e, best);
		s->idx[s->n] = e;
		s->w[s->n++] = 1.0f;
		pool[bj] = pool[rem - 1];
		pool[rem - 1] = e;
		rem--;
		/* theta_S -= eta g_e, accumulated; applied every te picks */
		for (size_t c = 0; c < k; c++) {
			float r = D->P[e * k + c] - (D->y[e] == (int)c);
			cblas_saxpy(D->d, r, D->X + e * d, 1, dW + c * d, 1);
			db[c] += r;
		}
		if (t + 1 == B || ++npicked < te)
			continue;
		/* validation logits z_v -= eta (dW x_v + db) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nv, D->k, D->d, 1.0f,
		            V->X, D->d, dW, D->d, 0.0f, Pv, D->k);
		for (size_t v = 0; v < nv; v++) {
			double mx = -INFINITY, sum = 0;
			double *z = Z + v * k;
			for (size_t c = 0; c < k; c++) {
				z[c] -= o->eta * ((double)Pv[v * k + c] + (o->intercept ? db[c] : 0));
				if (z[c] > mx)
					mx = z[c];
			}
			for (size_t c = 0; c < k; c++)
				sum += exp(z[c] - mx);
			for (size_t c = 0; c < k; c++)
				Pv[v * k + c] = (float)(exp(z[c] - mx) / sum);
		}
		memset(dW, 0, k * d * sizeof *dW);
		memset(db, 0, k * sizeof *db);
		npicked = 0;
		val_grad(V, Pv, Rv, Gf, G, d1, o->intercept);
	}
	rc = 0;
out:
	free(pool);
	free(Z);
	free(Pv);
	free(Rv);
	free(Gf);
	free(G);
	free(dW);
	free(db);
	free(Xc);
	free(GX);
	return rc;
}

/* GLISTER on at most o->val_max validation rows: those first in the
 * order of wn_u01_counter(seed, ADA_STREAM_RANDOM, key). */
int
ada__glister(const struct ada_data *D, const struct ada_data *V, const struct ada_opts *o,
             struct ada_subset *s, struct wn_err *err)
{
	size_t m = o->val_max, d = (size_t)V->d, k = (size_t)V->k;
	if (m == 0 || V->n <= m)
		return sel_glister(D, V, o, s, err);
	size_t *rows = malloc(V->n * sizeof *rows);
	float *X = malloc(sur__mul(m, d) * sizeof *X), *P = malloc(m * k * sizeof *P);
	int *y = malloc(m * sizeof *y), rc = -1;
	uint64_t *key = malloc(m * sizeof *key);
	if (rows && X && P && y && key) {
		for (size_t i = 0; i < V->n; i++)
			rows[i] = i;
		if (ada__random_front(V, rows, V->n, o->seed) == 0) {
			for (size_t j = 0; j < m; j++) {
				size_t i = rows[j];
				memcpy(X + j * d, V->X + i * d, d * sizeof *X);
				memcpy(P + j * k, V->P + i * k, k * sizeof *P);
				y[j] = V->y[i];
				key[j] = row_key(V, i);
			}
			struct ada_data v = { m, V->d, V->k, X, P, y, key };
			rc = sel_glister(D, &v, o, s, err);
			goto out;
		}
	}
	NOMEM(err);
out:
	free(rows);
	free(X);
	free(P);
	free(y);
	free(key);
	return rc;
}
