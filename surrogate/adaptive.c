/*
 * adaptive.c - GLISTER, GradMatch, CRAIG and random subset selection from
 * a softmax output layer (see adaptive.h for the definitions).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "adaptive.h"
#include "hash.h"
#include "internal.h"

#define NOMEM(err) wn_seterr(err, WN_ESOFTWARE, "adaptive selection: out of memory")

void
ada_opts_default(struct ada_opts *o)
{
	memset(o, 0, sizeof *o);
	o->method = ADA_RANDOM;
	o->intercept = 1;
	o->eta = 0.01;
	o->sg_eps = 0.01;
	o->taylor_every = 1;
	o->lambda = 0.5;
	o->tol = 1e-3;
	o->max_block = 1024;
}

void
ada_subset_free(struct ada_subset *s)
{
	if (!s)
		return;
	free(s->idx);
	free(s->w);
	free(s->pick);
	free(s->gain);
	memset(s, 0, sizeof *s);
}

static const char *const method_names[] = { "random", "glister", "gradmatch", "craig", NULL };

int
ada_method_parse(const char *name)
{
	for (int i = 0; method_names[i]; i++)
		if (strcmp(name, method_names[i]) == 0)
			return i;
	return -1;
}

const char *
ada_method_name(enum ada_method m)
{
	return (unsigned)m < 4 ? method_names[m] : "?";
}

void
ada_residuals(const float *P, const int *y, size_t n, int k, float *R)
{
	memcpy(R, P, n * (size_t)k * sizeof *R);
	for (size_t i = 0; i < n; i++)
		R[i * (size_t)k + (size_t)y[i]] -= 1.0f;
}

int
ada_gram(const float *Xa, const float *Ra, size_t na, const float *Xb, const float *Rb,
         size_t nb, int d, int k, int intercept, float *K, struct wn_err *err)
{
	float *RR = malloc(sur__mul(na, nb) * sizeof *RR);
	if (!RR || na * nb == 0) {
		free(RR);
		return na * nb == 0 ? 0 : NOMEM(err);
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, d, 1.0f, Xa, d,
	            Xb, d, 0.0f, K, (int)nb);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, k, 1.0f, Ra, k,
	            Rb, k, 0.0f, RR, (int)nb);
	for (size_t i = 0; i < na * nb; i++)
		K[i] = (K[i] + (intercept ? 1.0f : 0.0f)) * RR[i];
	free(RR);
	return 0;
}

int
ada_feature_dim(const struct sur_model *m)
{
	return m->kind == SUR_MLP ? m->h : m->d;
}

int
ada_model_intercept(const struct sur_model *m)
{
	return m->kind == SUR_MLP ? 1 : m->hp.intercept;
}

int
ada_head_features(const struct sur_model *m, const float *X, size_t n, float *F, float *P,
                  struct wn_err *err)
{
	struct sur_ws *ws = sur_ws_new(m, SUR_BLOCK, err);
	int fd = ada_feature_dim(m);

	if (!ws)
		return -1;
	for (size_t i0 = 0; i0 < n; i0 += SUR_BLOCK) {
		size_t b = n - i0 < SUR_BLOCK ? n - i0 : SUR_BLOCK;
		sur_standardize(m, X + i0 * (size_t)m->d, b, ws->xs);
		sur__forward(m, ws->xs, b, P + i0 * (size_t)m->k, ws);
		memcpy(F + i0 * (size_t)fd, m->kind == SUR_MLP ? ws->a : ws->xs,
		       b * (size_t)fd * sizeof *F);
	}
	sur_ws_free(ws);
	return 0;
}

/* ---- shared helpers ------------------------------------------------------------ */

static uint64_t
row_key(const struct ada_data *D, size_t i)
{
	return D->key ? D->key[i] : (uint64_t)i;
}

struct ord {
	double u;
	uint64_t key;
	size_t i;
};

static int
cmp_ord(const void *a, const void *b)
{
	const struct ord *x = a, *y = b;
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Sort the m rows in rows[] by (wn_u01_counter(seed, stream, key), key,
 * index).  -1 on allocation failure. */
static int
hash_sort(const struct ada_data *D, size_t *rows, size_t m, uint64_t seed, uint64_t stream)
{
	struct ord *t = malloc((m ? m : 1) * sizeof *t);
	if (!t)
		return -1;
	for (size_t j = 0; j < m; j++) {
		t[j].key = row_key(D, rows[j]);
		t[j].u = wn_u01_counter(seed, stream, t[j].key);
		t[j].i = rows[j];
	}
	qsort(t, m, sizeof *t, cmp_ord);
	for (size_t j = 0; j < m; j++)
		rows[j] = t[j].i;
	free(t);
	return 0;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* Split budget over groups of sizes sz[0..g) in proportion (largest
 * remainder, ties to the lower group), never more than a group's size. */
static void
apportion(const size_t *sz, size_t g, size_t total, size_t budget, size_t *out)
{
	size_t given = 0;
	double *rem = malloc((g ? g : 1) * sizeof *rem);

	for (size_t c = 0; c < g; c++) {
		double q = total ? (double)budget * (double)sz[c] / (double)total : 0;
		out[c] = (size_t)floor(q);
		if (out[c] > sz[c])
			out[c] = sz[c];
		if (rem)
			rem[c] = q - (double)out[c];
		given += out[c];
	}
	while (given < budget) {
		size_t best = g;
		for (size_t c = 0; c < g; c++)
			if (out[c] < sz[c] && (best == g || (rem && rem[c] > rem[best])))
				best = c;
		if (best == g)
			break;
		out[best]++;
		if (rem)
			rem[best] = -1;
		given++;
	}
	free(rem);
}

/* Append a pick to the trace. */
static void
trace(struct ada_subset *s, size_t row, double gain)
{
	s->pick[s->n_pick] = row;
	s->gain[s->n_pick] = gain;
	s->n_pick++;
}

/* x~ . G[c] for row x (d wide) and G (k x d1). */
static double
dot_tilde(const float *x, const double *g, int d, int intercept)
{
	double s = intercept ? g[d] : 0;
	for (int j = 0; j < d; j++)
		s += (double)x[j] * g[j];
	return s;
}

/* ---- random ------------------------------------------------------------------ */

/* The first `want` rows of rows[0..m) in the order of
 * wn_u01_counter(seed, ADA_STREAM_RANDOM, key): moved to the front. */
static int
random_front(const struct ada_data *D, size_t *rows, size_t m, uint64_t seed)
{
	return hash_sort(D, rows, m, seed, ADA_STREAM_RANDOM);
}

static int
sel_random(const struct ada_data *D, const struct ada_opts *o, struct ada_subset *s,
           struct wn_err *err)
{
	size_t *rows = malloc(D->n * sizeof *rows);
	if (!rows)
		return NOMEM(err);
	for (size_t i = 0; i < D->n; i++)
		rows[i] = i;
	if (random_front(D, rows, D->n, o->seed) != 0) {
		free(rows);
		return NOMEM(err);
	}
	for (size_t j = 0; j < o->budget; j++) {
		s->idx[s->n] = rows[j];
		s->w[s->n++] = 1.0f;
	}
	free(rows);
	return 0;
}

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
	if (hash_sort(D, pool, n, o->seed, ADA_STREAM_ORDER) != 0) {
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
static int
glister_sampled(const struct ada_data *D, const struct ada_data *V, const struct ada_opts *o,
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
		if (random_front(V, rows, V->n, o->seed) == 0) {
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

/* Rows of D by class: cls[c] = rows with label c, in canonical order. */
struct classes {
	size_t *rows;           /* n, grouped by class */
	size_t *off;            /* k + 1 */
};

static int
group_classes(const struct ada_data *D, uint64_t seed, struct classes *G)
{
	size_t k = (size_t)D->k;
	G->rows = malloc((D->n ? D->n : 1) * sizeof *G->rows);
	G->off = calloc(k + 1, sizeof *G->off);
	if (!G->rows || !G->off)
		return -1;
	for (size_t i = 0; i < D->n; i++)
		G->off[D->y[i] + 1]++;
	for (size_t c = 0; c < k; c++)
		G->off[c + 1] += G->off[c];
	size_t *pos = malloc(k * sizeof *pos);
	if (!pos)
		return -1;
	memcpy(pos, G->off, k * sizeof *pos);
	for (size_t i = 0; i < D->n; i++)
		G->rows[pos[D->y[i]]++] = i;
	free(pos);
	for (size_t c = 0; c < k; c++)
		if (hash_sort(D, G->rows + G->off[c], G->off[c + 1] - G->off[c], seed,
		              ADA_STREAM_ORDER) != 0)
			return -1;
	return 0;
}

static void
free_classes(struct classes *G)
{
	free(G->rows);
	free(G->off);
}

/* Gather rows' features (m x d) and residual columns (m x ke; column c
 * only when ke == 1). */
static void
gather(const struct ada_data *D, const size_t *rows, size_t m, int ke, int c, float *X,
       float *R)
{
	size_t d = (size_t)D->d, k = (size_t)D->k;
	for (size_t j = 0; j < m; j++) {
		size_t i = rows[j];
		memcpy(X + j * d, D->X + i * d, d * sizeof *X);
		if (ke == 1) {
			R[j] = D->P[i * k + (size_t)c] - (D->y[i] == c);
		} else {
			for (size_t q = 0; q < k; q++)
				R[j * k + q] = D->P[i * k + q] - (D->y[i] == (int)q);
		}
	}
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

static int
sel_gradmatch(const struct ada_data *D, const struct ada_data *V, const struct ada_opts *o,
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

	if (!sz || !bud || !T || group_classes(D, o->seed, &G) != 0 ||
	    (o->gm_val && group_classes(V, o->seed, &GV) != 0)) {
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
	apportion(sz, k, D->n, o->budget, bud);
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
			gather(V, GV.rows + GV.off[c], nvc, ke, (int)c, Xc, Rc);
			grad_sum(Xc, Rc, nvc, D->d, ke, o->intercept, (double)m / (double)nvc, T);
		}
		gather(D, rows, m, ke, (int)c, Xc, Rc);
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
			if (random_front(D, rest, nr, o->seed) != 0) {
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
	free_classes(&G);
	free_classes(&GV);
	free(sz);
	free(bud);
	free(Xc);
	free(Rc);
	free(T);
	return rc;
}

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

static int
sel_craig(const struct ada_data *D, const struct ada_opts *o, struct ada_subset *s,
          struct wn_err *err)
{
	size_t k = (size_t)D->k, d = (size_t)D->d, mb = o->max_block;
	struct classes G = { 0 };
	size_t *sz = calloc(k, sizeof *sz), *bud = calloc(k, sizeof *bud);
	float *Xb = malloc(sur__mul(mb, d) * sizeof *Xb), *Rb = malloc(mb * k * sizeof *Rb);
	float *S = malloc(sur__mul(mb, mb) * sizeof *S);
	double *diag = malloc(mb * sizeof *diag);
	int rc = -1;

	if (!sz || !bud || !Xb || !Rb || !S || !diag || group_classes(D, o->seed, &G) != 0) {
		NOMEM(err);
		goto out;
	}
	for (size_t c = 0; c < k; c++)
		sz[c] = G.off[c + 1] - G.off[c];
	apportion(sz, k, D->n, o->budget, bud);
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
		apportion(bs, nb, sz[c], bud[c], bbud);
		size_t off = G.off[c];
		for (size_t q = 0; q < nb; q++) {
			size_t m = bs[q];
			const size_t *rows = G.rows + off;
			off += m;
			gather(D, rows, m, (int)k, (int)c, Xb, Rb);
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
	free_classes(&G);
	free(sz);
	free(bud);
	free(Xb);
	free(Rb);
	free(S);
	free(diag);
	return rc;
}

/* ---- entry point ------------------------------------------------------------------- */

static int
check_data(const struct ada_data *D, const char *what, struct wn_err *err)
{
	if (D->k < 2 || D->d < 1 || !D->X || !D->P || !D->y)
		return wn_seterr(err, WN_EDATA, "adaptive selection: %s set: bad shape", what);
	for (size_t i = 0; i < D->n; i++)
		if (D->y[i] < 0 || D->y[i] >= D->k)
			return wn_seterr(err, WN_EDATA, "adaptive selection: %s row %zu: label %d"
			                 " out of range", what, i, D->y[i]);
	return 0;
}

static int
cmp_pair(const void *a, const void *b)
{
	return cmp_size(a, b);
}

int
ada_select(const struct ada_data *tr, const struct ada_data *val, const struct ada_opts *o,
           struct ada_subset *s, struct wn_err *err)
{
	struct ada_opts oo = *o;
	int rc;

	memset(s, 0, sizeof *s);
	if ((unsigned)o->method > ADA_CRAIG)
		return wn_seterr(err, WN_EUSAGE, "adaptive selection: unknown method %d", o->method);
	if (o->budget == 0)
		return wn_seterr(err, WN_EUSAGE, "adaptive selection: a budget of 0 rows");
	if (!(o->sg_eps >= 0 && o->sg_eps < 1))
		return wn_seterr(err, WN_EUSAGE, "adaptive selection: stochastic greedy eps %g"
		                 " is not in [0, 1)", o->sg_eps);
	if (o->method == ADA_CRAIG && o->max_block < 2)
		return wn_seterr(err, WN_EUSAGE, "adaptive selection: max_block below 2");
	if (check_data(tr, "training", err) != 0)
		return -1;
	int need_val = o->method == ADA_GLISTER || (o->method == ADA_GRADMATCH && o->gm_val);
	if (need_val && (val == NULL || val->n == 0))
		return wn_seterr(err, WN_EUSAGE, "adaptive selection: %s needs a validation set",
		                 ada_method_name(o->method));
	if (need_val && (check_data(val, "validation", err) != 0))
		return -1;
	if (need_val && (val->d != tr->d || val->k != tr->k))
		return wn_seterr(err, WN_EDATA, "adaptive selection: validation set is %d x %d,"
		                 " training set %d x %d", val->d, val->k, tr->d, tr->k);
	if (oo.budget > tr->n)
		oo.budget = tr->n;
	s->idx = malloc(oo.budget * sizeof *s->idx);
	s->w = malloc(oo.budget * sizeof *s->w);
	s->pick = malloc(2 * oo.budget * sizeof *s->pick);  /* GradMatch may drop and re-pick */
	s->gain = malloc(2 * oo.budget * sizeof *s->gain);
	if (!s->idx || !s->w || !s->pick || !s->gain) {
		ada_subset_free(s);
		return NOMEM(err);
	}
	if (oo.budget == tr->n) {
		for (size_t i = 0; i < tr->n; i++) {
			s->idx[i] = i;
			s->w[i] = 1.0f;
		}
		s->n = tr->n;
		return 0;
	}
	switch (oo.method) {
	case ADA_GLISTER: rc = glister_sampled(tr, val, &oo, s, err); break;
	case ADA_GRADMATCH: rc = sel_gradmatch(tr, val, &oo, s, err); break;
	case ADA_CRAIG: rc = sel_craig(tr, &oo, s, err); break;
	default: rc = sel_random(tr, &oo, s, err); break;
	}
	if (rc != 0) {
		ada_subset_free(s);
		return -1;
	}
	if (oo.method == ADA_RANDOM || oo.method == ADA_GLISTER)
		s->n_greedy = oo.method == ADA_GLISTER ? s->n : 0;
	/* ascending indices, weights alongside */
	size_t *perm = malloc((s->n ? s->n : 1) * 2 * sizeof *perm);
	float *w2 = malloc((s->n ? s->n : 1) * sizeof *w2);
	if (!perm || !w2) {
		free(perm);
		free(w2);
		ada_subset_free(s);
		return NOMEM(err);
	}
	for (size_t q = 0; q < s->n; q++) {
		perm[2 * q] = s->idx[q];
		perm[2 * q + 1] = q;
	}
	qsort(perm, s->n, 2 * sizeof *perm, cmp_pair);
	for (size_t q = 0; q < s->n; q++) {
		s->idx[q] = perm[2 * q];
		w2[q] = s->w[perm[2 * q + 1]];
	}
	memcpy(s->w, w2, s->n * sizeof *w2);
	free(perm);
	free(w2);
	return 0;
}
