/*
 * gradmatch.c - GradMatch: orthogonal matching pursuit of the full
 * gradient, per class (adaptive.h).
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

/* ---- GradMatch -------------------------------------------------------------------- */

/*
 * Cholesky factor of A + lambda I over the support, grown and shrunk in
 * place: L is m x m lower (row-major, stride cap), double.
 */
struct chol {
	double *L;
	size_t m, cap;
};

/* Append a row/column with off-diagonal a (m) and diagonal a_mm.
 * -1 if the result is not positive definite. */
static int
chol_append(struct chol *C, const double *a, double amm)
{
	size_t m = C->m, cap = C->cap;
	double *row = C->L + m * cap, s = amm;
	for (size_t i = 0; i < m; i++) {
		double v = a[i];
		for (size_t j = 0; j < i; j++)
			v -= C->L[i * cap + j] * row[j];
		row[i] = v / C->L[i * cap + i];
		s -= row[i] * row[i];
	}
	if (!(s > 0))
		return -1;
	row[m] = sqrt(s);
	C->m++;
	return 0;
}

/* Delete row/column q, restoring the lower form by Givens rotations. */
static void
chol_delete(struct chol *C, size_t q)
{
	size_t m = C->m, cap = C->cap;
	double *L = C->L;
	for (size_t i = q; i + 1 < m; i++)
		memcpy(L + i * cap, L + (i + 1) * cap, (i + 2) * sizeof *L);
	/* rows q..m-2 now have an extra entry at column i+1 */
	for (size_t i = q; i + 1 < m; i++) {
		double a = L[i * cap + i], b = L[i * cap + i + 1];
		double r = hypot(a, b), c = a / r, sn = b / r;
		for (size_t j = i; j + 1 < m; j++) {
			double u = L[j * cap + i], v = L[j * cap + i + 1];
			L[j * cap + i] = c * u + sn * v;
			L[j * cap + i + 1] = -sn * u + c * v;
		}
	}
	C->m--;
}

/* Solve (L L') x = b. */
static void
chol_solve(const struct chol *C, const double *b, double *x)
{
	size_t m = C->m, cap = C->cap;
	for (size_t i = 0; i < m; i++) {
		double v = b[i];
		for (size_t j = 0; j < i; j++)
			v -= C->L[i * cap + j] * x[j];
		x[i] = v / C->L[i * cap + i];
	}
	for (size_t i = m; i-- > 0;) {
		double v = x[i];
		for (size_t j = i + 1; j < m; j++)
			v -= C->L[j * cap + i] * x[j];
		x[i] = v / C->L[i * cap + i];
	}
}

/*
 * OMP for one class: rows[0..m) (canonical order), residuals Rc (m x ke:
 * the class's rows, ke = k, or 1 with classrow), target T (ke x d1).
 * Chosen rows and weights appended to s; returns the count chosen or -1.
 */
static long
omp_class(const struct ada_data *D, const size_t *rows, size_t m, const float *Xc,
          const float *Rc, int ke, const double *T, size_t budget, const struct ada_opts *o,
          struct ada_subset *s, struct wn_err *err)
{
	int d = D->d, d1 = d + (o->intercept != 0);
	size_t kd = (size_t)ke * (size_t)d1;
	/* beyond the dimension more atoms only trade against the ridge */
	size_t cap = budget < kd ? budget : kd;
	size_t iter = 0;
	struct chol C = { calloc(cap ? cap * cap : 1, sizeof(double)), 0, cap };
	size_t *sup = malloc((cap ? cap : 1) * sizeof *sup);  /* positions in rows[] */
	double *bS = malloc((cap ? cap : 1) * sizeof *bS);    /* <g_s, T> */
	double *x = malloc((cap ? cap : 1) * sizeof *x);
	double *col = malloc((cap ? cap : 1) * sizeof *col);
	double *res = malloc(kd * sizeof *res);
	float *resf = malloc(kd * sizeof *resf);
	float *proj = malloc(sur__mul(m, (size_t)ke) * sizeof *proj);
	long ret = -1;
	double tnorm = 0;

	if (!C.L || !sup || !bS || !x || !col || !res || !resf || !proj) {
		NOMEM(err);
		goto out;
	}
	for (size_t j = 0; j < kd; j++)
		tnorm += T[j] * T[j];
	tnorm = sqrt(tnorm);
	memcpy(res, T, kd * sizeof *res);
	while (C.m < cap && iter++ < 2 * budget) {
		double rn = 0, best = -INFINITY;
		size_t bj = 0;
		for (size_t j = 0; j < kd; j++)
			rn += res[j] * res[j];
		if (sqrt(rn) <= o->tol * tnorm)
			break;
		/* correlations <g_j, res> = r_j' res x~_j for all rows */
		for (int c = 0; c < ke; c++)
			for (int j = 0; j < d; j++)
				resf[(size_t)c * (size_t)d + (size_t)j] = (float)res[(size_t)c * (size_t)d1 + (size_t)j];
		if (ke == 1)
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, d, 1.0f, Xc, d, resf, 1,
			            0.0f, proj, 1);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, ke, d, 1.0f, Xc,
			            d, resf, d, 0.0f, proj, ke);
		for (size_t j = 0; j < m; j++) {
			double v = 0;
			for (int c = 0; c < ke; c++) {
				double pc = proj[j * (size_t)ke + (size_t)c];
				if (o->intercept)
					pc += res[(size_t)c * (size_t)d1 + (size_t)d];
				v += (double)Rc[j * (size_t)ke + (size_t)c] * pc;
			}
			if (v > best) {
				best = v;
				bj = j;
			}
		}
		if (!(best > 0))
			break;
		int dup = 0;
		for (size_t q = 0; q < C.m; q++)
			dup |= sup[q] == bj;
		if (dup)
			break;
		trace(s, rows[bj], best);
		/* the new Gram column, <g_s, g_bj>, and <g_bj, T> */
		const float *xb = Xc + bj * (size_t)d, *rb = Rc + bj * (size_t)ke;
		for (size_t q = 0; q <= C.m; q++) {
			size_t sj = q < C.m ? sup[q] : bj;
			const float *xs = Xc + sj * (size_t)d, *rs = Rc + sj * (size_t)ke;
			double xx = o->intercept ? 1 : 0, rr = 0;
			for (int j = 0; j < d; j++)
				xx += (double)xs[j] * xb[j];
			for (int c = 0; c < ke; c++)
				rr += (double)rs[c] * rb[c];
			col[q] = xx * rr;
		}
		double bt = 0;
		for (int c = 0; c < ke; c++)
			bt += (double)rb[c] * dot_tilde(xb, T + (size_t)c * (size_t)d1, d, o->intercept);
		if (chol_append(&C, col, col[C.m] + o->lambda) != 0)
			break;          /* numerically dependent: nothing more to gain */
		sup[C.m - 1] = bj;
		bS[C.m - 1] = bt;
		chol_solve(&C, bS, x);
		for (;;) {
			size_t qmin = 0;
			for (size_t q = 1; q < C.m; q++)
				if (x[q] < x[qmin])
					qmin = q;
			if (C.m == 0 || x[qmin] >= 0)
				break;
			chol_delete(&C, qmin);
			memmove(sup + qmin, sup + qmin + 1, (C.m - qmin) * sizeof *sup);
			memmove(bS + qmin, bS + qmin + 1, (C.m - qmin) * sizeof *bS);
			chol_solve(&C, bS, x);
		}
		/* res = T - sum_s x_s r_s (x) x~_s */
		memcpy(res, T, kd * sizeof *res);
		for (size_t q = 0; q < C.m; q++) {
			const float *xs = Xc + sup[q] * (size_t)d, *rs = Rc + sup[q] * (size_t)ke;
			for (int c = 0; c < ke; c++) {
				double f = x[q] * rs[c];
				double *rr = res + (size_t)c * (size_t)d1;
				for (int j = 0; j < d; j++)
					rr[j] -= f * xs[j];
				if (o->intercept)
					rr[d] -= f;
			}
		}
	}
	for (size_t q = 0; q < C.m; q++) {
		if (!(x[q] > 0))
			continue;       /* a zero weight adds nothing: left to the fill */
		s->idx[s->n] = rows[sup[q]];
		s->w[s->n++] = (float)x[q];
	}
	ret = 0;
	for (size_t q = 0; q < C.m; q++)
		ret += x[q] > 0;
out:
	free(C.L);
	free(sup);
	free(bS);
	free(x);
	free(col);
	free(res);
	free(resf);
	free(proj);
	return ret;
}

/* T (ke x d1) += f * sum over rows of r_j (x) x~_j. */
static void
grad_sum(const float *X, const float *R, size_t m, int d, int ke, int intercept, double f,
         double *T)
{
	int d1 = d + (intercept != 0);
	for (size_t j = 0; j < m; j++)
		for (int c = 0; c < ke; c++) {
			double rc = f * R[j * (size_t)ke + (size_t)c];
			double *t = T + (size_t)c * (size_t)d1;
			for (int q = 0; q < d; q++)
				t[q] += rc * X[j * (size_t)d + (size_t)q];
			if (intercept)
				t[d] += rc;
		}
}

int
ada__gradmatch(const struct ada_data *D, const struct ada_data *V, const struct ada_opts *o,
               struct ada_subset *s, struct wn_err *err)
{
	size_t k = (size_t)D->k, d = (size_t)D->d;
	int ke = o->gm_classrow ? 1 : D->k, d1 = D->d + (o->intercept != 0);
	struct classes G = { 0 }, GV = { 0 };
	size_t *sz = calloc(k, sizeof *sz), *bud = calloc(k, sizeof *bud);
	size_t maxc = 0, maxv = 0;
	float *Xc = NULL, *Rc = NULL;
	double *T = malloc((size_t)ke * (size_t)d1 * sizeof *T);
	int rc = -1;

	if (!sz || !bud || !T || ada__group_classes(D, o->seed, &G) != 0 ||
	    (o->gm_val && ada__group_classes(V, o->seed, &GV) != 0)) {
		NOMEM(err);
		goto out;
	}
	for (size_t c = 0; c < k; c++) {
		sz[c] = G.off[c + 1] - G.off[c];
		if (sz[c] > maxc)
			maxc = sz[c];
		if (o->gm_val && GV.off[c + 1] - GV.off[c] > maxv)
			maxv = GV.off[c + 1] - GV.off[c];
	}
	ada__apportion(sz, k, D->n, o->budget, bud);
	if (maxv > maxc)
		maxc = maxv;
	Xc = malloc(sur__mul(maxc ? maxc : 1, d) * sizeof *Xc);
	Rc = malloc(sur__mul(maxc ? maxc : 1, k) * sizeof *Rc);
	if (!Xc || !Rc) {
		NOMEM(err);
		goto out;
	}
	for (size_t c = 0; c < k; c++) {
		size_t m = sz[c], nvc = o->gm_val ? GV.off[c + 1] - GV.off[c] : 0;
		size_t *rows = G.rows + G.off[c];
		if (bud[c] == 0)
			continue;
		memset(T, 0, (size_t)ke * (size_t)d1 * sizeof *T);
		if (nvc > 0) {
			ada__gather(V, GV.rows + GV.off[c], nvc, ke, (int)c, Xc, Rc);
			grad_sum(Xc, Rc, nvc, D->d, ke, o->intercept, (double)m / (double)nvc, T);
		}
		ada__gather(D, rows, m, ke, (int)c, Xc, Rc);
		if (nvc == 0)
			grad_sum(Xc, Rc, m, D->d, ke, o->intercept, 1.0, T);
		size_t before = s->n;
		long got = omp_class(D, rows, m, Xc, Rc, ke, T, bud[c], o, s, err);
		if (got < 0)
			goto out;
		s->n_greedy += (size_t)got;
		/* fill the shortfall at random from the class's other rows */
		size_t need = bud[c] - (s->n - before);
		if (need > 0) {
			size_t *rest = malloc(m * sizeof *rest), nr = 0;
			if (!rest) {
				NOMEM(err);
				goto out;
			}
			for (size_t j = 0; j < m; j++) {
				int taken = 0;
				for (size_t q = before; q < s->n && !taken; q++)
					taken = s->idx[q] == rows[j];
				if (!taken)
					rest[nr++] = rows[j];
			}
			if (ada__random_front(D, rest, nr, o->seed) != 0) {
				free(rest);
				NOMEM(err);
				goto out;
			}
			for (size_t j = 0; j < need && j < nr; j++) {
				s->idx[s->n] = rest[j];
				s->w[s->n++] = 1.0f;
			}
			free(rest);
		}
	}
	rc = 0;
out:
	ada__free_classes(&G);
	ada__free_classes(&GV);
	free(sz);
	free(bud);
	free(Xc);
	free(Rc);
	free(T);
	return rc;
}
