/*
 * softmax.c - multinomial logistic regression: loss, gradient, Hessian-
 * vector products on BLAS row blocks, training by liblbfgs (the
 * influence factors: influence.c).
 */
#include <cblas.h>
#include <lapacke.h>
#include <lbfgs.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "softmax.h"
#include "softmax_pass.h"
#include "threads.h"

void
sur_softmax_opts_default(struct sur_softmax_opts *o)
{
	memset(o, 0, sizeof *o);
	o->lambda = 1e-4;
	o->norm = SUR_NORM_COUNT;
	o->intercept = 1;
	o->standardize = 1;
	o->max_iter = 500;
	o->tol = 1e-5;
	o->memory = 10;
	o->precondition = 1;
	o->infl = SUR_INFL_CLASS;
}

/* ---- training ---------------------------------------------------------- */

struct fit {
	struct sur_model *m;
	const float *X;
	float *Xs;          /* X standardised once (X itself with consume_x), or
	                     * NULL (then per block) */
	double *mu;         /* d column means subtracted from Xs, or NULL */
	double *L;          /* d x d preconditioner (see precondition()), or NULL */
	double *U;          /* L', for column access */
	double *Wd;         /* k x d: the model's W at the last unpack(), in double */
	double *gtmp;       /* k x d scratch for mapping gradients */
	double *dots;       /* k scratch for the maps' class_dots() */
	double *gw_last;    /* k x d: the last evaluate()'s gradient in W ... */
	double *gv_last;    /* nvar: ... and as it went to the optimiser */
	int have_last;
	const int *y;
	const float *w;
	size_t n;
	double S, lambda;
	const struct sur_softmax_opts *o;
	struct pass pass;   /* objective, gradient, Hessian-vector products */
	double *gW, *gb;
	double sumw;
	int iters;
	double f, gnorm;
	int stopped;        /* callback or tolerance */
};

static double
norm2(const double *v, size_t n)
{
	double s = 0;
	for (size_t j = 0; j < n; j++)
		s += v[j] * v[j];
	return sqrt(s);
}

/*
 * Centring.  With an intercept the optimiser works on centred features
 * x - mu and the parameters (W, c = b + W mu): the same objective (the
 * biases are not penalised), far better conditioned when the features
 * are not centred (raw pixels: L-BFGS needs about half the iterations).
 * The gradient in the model's parameters (W, b) is (gW + gc mu', gc);
 * gnorm_of() is its 2-norm, the one reported and compared with tol.
 */

/*
 * Preconditioning.  Random-feature and pixel columns are strongly
 * correlated even after standardising, so the Hessian's eigenvalues
 * spread over four or more decades and L-BFGS crawls (200 iterations
 * short of convergence on 60,000 x 1024 random features).  The optimiser
 * therefore works on V = W L, with L L' = C + eps I the Cholesky factor of
 * the features' covariance C (a strided sample of at most 8192 rows):
 * the logits W x = V (L^-1 x) see whitened features, and the data term's
 * Hessian in V is close to a multiple of the identity.  The objective is
 * unchanged -- the penalty is still lambda/2 ||W||^2, on W = V L^-1 --
 * so the optimum is the same model; only the path to it is shorter.
 * eps = lambda S / (0.1 sum w) balances the penalty against a typical
 * p(1 - p) of 0.1, so the penalty's own curvature is whitened too.
 * The gradient maps back as g_V = g_W L^-T.
 */
enum { PRECOND_ROWS = 8192, PRECOND_MAX_D = 4096 };

/*
 * The four maps below are triangular solves and products with L on the
 * k rows of W, written out rather than left to cblas_dtrsm/dtrmm: those
 * split their work by the thread count, and the model must be the same
 * bytes whatever -j.  Each is a sweep over the rows of L (or U = L'), and
 * each row element serves all k classes at once through class_dots(): dot
 * products rather than row updates, so nothing but the k results is
 * stored per row (the update form loaded and stored every class row once
 * per row of L, and took a fifth of a 15,000-row fit).  k d^2 / 2
 * multiply-adds a map, about a millisecond at d = 1024.
 */

enum { DOT_LANES = 4 };

static inline double
sum4(const double a[DOT_LANES])
{
	return (a[0] + a[1]) + (a[2] + a[3]);
}

/* s[c] = sum_{i in [lo, hi)} a[i] V[c d + i] for the k rows of V (k x d),
 * DOT_LANES partial sums a dot product, added in a fixed order.  Five
 * classes at a time, their sums written out one by one (as in
 * sur__affine_rows) so that they stay in registers: an array of them
 * indexed by class was kept in memory, a store and a load per step. */
SUR_VECTOR_CLONES
static void
class_dots(const double *restrict a, const double *restrict V, int d, int k,
           int lo, int hi, double *restrict s)
{
	int hv = lo + (hi - lo) / DOT_LANES * DOT_LANES, c = 0;
	for (; c + 5 <= k; c += 5) {
		const double *v0 = V + (size_t)c * d, *v1 = v0 + d, *v2 = v1 + d;
		const double *v3 = v2 + d, *v4 = v3 + d;
		double a0[DOT_LANES] = { 0 }, a1[DOT_LANES] = { 0 }, a2[DOT_LANES] = { 0 };
		double a3[DOT_LANES] = { 0 }, a4[DOT_LANES] = { 0 };
		for (int i = lo; i < hv; i += DOT_LANES)
			for (int l = 0; l < DOT_LANES; l++) {
				const double x = a[i + l];
				a0[l] += x * v0[i + l];
				a1[l] += x * v1[i + l];
				a2[l] += x * v2[i + l];
				a3[l] += x * v3[i + l];
				a4[l] += x * v4[i + l];
			}
		double s0 = sum4(a0), s1 = sum4(a1), s2 = sum4(a2), s3 = sum4(a3), s4 = sum4(a4);
		for (int i = hv; i < hi; i++) {
			s0 += a[i] * v0[i];
			s1 += a[i] * v1[i];
			s2 += a[i] * v2[i];
			s3 += a[i] * v3[i];
			s4 += a[i] * v4[i];
		}
		s[c] = s0;
		s[c + 1] = s1;
		s[c + 2] = s2;
		s[c + 3] = s3;
		s[c + 4] = s4;
	}
	for (; c < k; c++) {
		const double *v0 = V + (size_t)c * d;
		double a0[DOT_LANES] = { 0 };
		for (int i = lo; i < hv; i += DOT_LANES)
			for (int l = 0; l < DOT_LANES; l++)
				a0[l] += a[i + l] * v0[i + l];
		double s0 = sum4(a0);
		for (int i = hv; i < hi; i++)
			s0 += a[i] * v0[i];
		s[c] = s0;
	}
}

/*
 * The maps, on the classes [c0, c1) of the k x d matrices in and out (in
 * == out for the in-place ones).  Rows of L are rows of the first factor
 * below; each class is computed the same way whatever the range, so
 * splitting the classes over threads changes no bit.
 *  MAP_V_TO_W   W = V L^-1: w L = v, from the last column back,
 *               w_j = (v_j - sum_{i > j} w_i L_ij) / L_jj, along row j of U.
 *  MAP_W_TO_V   V = W L in place: v_j = sum_{i >= j} w_i L_ij along row j
 *               of U; v_j needs only w_j..w_d-1, so ascending j overwrites
 *               what is done with.
 *  MAP_GW_TO_GV g_V = g_W L^-T in place: L x = g for each row,
 *               x_j = (g_j - sum_{i < j} L_ji x_i) / L_jj, ascending.
 *  MAP_GV_TO_GW g_W = g_V L': (g L')_j = sum_{i <= j} L_ji g_i.
 */
enum map_kind { MAP_V_TO_W, MAP_W_TO_V, MAP_GW_TO_GV, MAP_GV_TO_GW };

/* The part of row j of the factor that a map reads: [*lo, *hi). */
static void
map_segment(enum map_kind kind, int j, int d, int *lo, int *hi)
{
	*lo = *hi = 0;
	switch (kind) {
	case MAP_V_TO_W:
		*lo = j + 1, *hi = d;
		break;
	case MAP_W_TO_V:
		*lo = j, *hi = d;
		break;
	case MAP_GW_TO_GV:
		*lo = 0, *hi = j;
		break;
	case MAP_GV_TO_GW:
		*lo = 0, *hi = j + 1;
		break;
	}
}

static void
map_classes(const struct fit *F, enum map_kind kind, const double *in,
            double *out, int c0, int c1)
{
	int d = F->m->d, nc = c1 - c0, lo, hi;
	double *s = F->dots + c0;
	const double *vin = in + (size_t)c0 * d;
	double *vout = out + (size_t)c0 * d;
	/* the solves read what they have written, the products their input */
	const double *src = kind == MAP_GV_TO_GW ? vin : vout;
	const double *factor = kind == MAP_V_TO_W || kind == MAP_W_TO_V ? F->U : F->L;
	for (int t = 0; t < d; t++) {
		int j = kind == MAP_V_TO_W ? d - 1 - t : t;
		const double *row = factor + (size_t)j * d;
		/* the factor (8 MiB at d = 1024) comes from L3: ask for the next
		 * row's part now (a map took 2.4 times as long without) */
		if (t + 1 < d) {
			int jn = kind == MAP_V_TO_W ? j - 1 : j + 1;
			map_segment(kind, jn, d, &lo, &hi);
			for (int i = lo; i < hi; i += 64 / sizeof *row)
				__builtin_prefetch(factor + (size_t)jn * d + i, 0, 3);
		}
		map_segment(kind, j, d, &lo, &hi);
		class_dots(row, src, d, nc, lo, hi, s);
		for (int c = 0; c < nc; c++) {
			double *o = vout + (size_t)c * d + j;
			switch (kind) {
			case MAP_V_TO_W:
				*o = (vin[(size_t)c * d + j] - s[c]) / row[j];
				break;
			case MAP_GW_TO_GV:
				*o = (*o - s[c]) / row[j];
				break;
			case MAP_W_TO_V:
			case MAP_GV_TO_GW:
				*o = s[c];
				break;
			}
		}
	}
}

struct map_arg {
	const struct fit *F;
	enum map_kind kind;
	const double *in;
	double *out;
	int c0, c1;
};

static void *
map_worker(void *arg)
{
	struct map_arg *A = arg;
	map_classes(A->F, A->kind, A->in, A->out, A->c0, A->c1);
	return NULL;
}

/* One map over all k classes, the classes split over the pass's threads.
 * Without a preconditioner every map is the identity. */
static void
run_map(const struct fit *F, enum map_kind kind, const double *in, double *out)
{
	int k = F->m->k, d = F->m->d;
	if (!F->L) {
		if (out != in)
			memcpy(out, in, (size_t)k * d * sizeof *out);
		return;
	}
	int nt = F->pass.threads < k ? F->pass.threads : k;     /* <= 64 (pass_init) */
	struct map_arg arg[64];
	for (int t = 0; t < nt; t++)
		arg[t] = (struct map_arg){ F, kind, in, out, k * t / nt, k * (t + 1) / nt };
	wn_run_threads(nt, map_worker, arg, sizeof *arg);
}

static void
params_to_w(const struct fit *F, const double *v, double *w)
{
	run_map(F, MAP_V_TO_W, v, w);
}

static void
w_to_params(const struct fit *F, double *wv)
{
	run_map(F, MAP_W_TO_V, wv, wv);
}

static void
grad_to_params(const struct fit *F, double *g)
{
	run_map(F, MAP_GW_TO_GV, g, g);
}

static void
grad_to_w(const struct fit *F, const double *gv, double *gw)
{
	run_map(F, MAP_GV_TO_GW, gv, gw);
}

/*
 * F->L from F->Xs (standardised and centred), single-threaded so that
 * it, and so the model, is the same whatever the thread count.  0, or -1
 * if memory or the factorisation fails (then training goes on without
 * preconditioning).
 */
static int
precondition(struct fit *F, double a)
{
	enum { TILE = 32 };     /* the transposing loops go tile by tile */
	int d = F->m->d;
	size_t n = F->n, stride = n > PRECOND_ROWS ? (n + PRECOND_ROWS - 1) / PRECOND_ROWS : 1;
	size_t ns = (n + stride - 1) / stride;
	if (d > PRECOND_MAX_D || !F->Xs)
		return -1;
	float *C = calloc((size_t)d * d, sizeof *C);
	F->U = calloc((size_t)d * d, sizeof *F->U);
	F->L = malloc((size_t)d * d * sizeof *F->L);
	if (!C || !F->U || !F->L) {
		free(C);
		free(F->U);
		free(F->L);
		F->U = F->L = NULL;
		return -1;
	}
	/* one thread: OpenBLAS's threaded ssyrk and dpotrf block their sums by
	 * the thread count */
	int threads = openblas_get_num_threads();
	openblas_set_num_threads(1);
	/* rows i * stride of Xs: a matrix with leading dimension stride * d */
	cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, d, (int)ns, 1.0f / (float)ns, F->Xs,
	            (int)(stride * d), 0.0f, C, d);
	double trace = 0;
	for (int j = 0; j < d; j++)
		trace += C[(size_t)j * d + j];
	double eps = F->lambda * F->S / (a * F->sumw);
	eps = fmax(eps, 1e-6 * trace / d);
	/*
	 * The factor is computed in U's buffer read column-major: its lower
	 * triangle, (i, j) at U[j d + i] for i >= j, gets C + eps I, and
	 * LAPACK's column-major dpotrf('L') leaves L there, so that row-major U
	 * holds L' and its lower half stays 0.  The row-major LAPACKE call
	 * did the same work on a transposed copy, transposing back and forth
	 * (a third of the preconditioner's time); the bits are the same.
	 */
	for (int i0 = 0; i0 < d; i0 += TILE)
		for (int j0 = 0; j0 <= i0; j0 += TILE)
			for (int i = i0; i < d && i < i0 + TILE; i++)
				for (int j = j0; j <= i && j < j0 + TILE; j++)
					F->U[(size_t)j * d + i] = C[(size_t)i * d + j] + (i == j ? eps : 0);
	free(C);
	int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', d, F->U, d);
	openblas_set_num_threads(threads);
	if (info != 0) {
		free(F->U);
		free(F->L);
		F->U = F->L = NULL;
		return -1;
	}
	for (int j0 = 0; j0 < d; j0 += TILE)
		for (int i0 = 0; i0 < d; i0 += TILE)
			for (int j = j0; j < d && j < j0 + TILE; j++)
				for (int i = i0; i < d && i < i0 + TILE; i++)
					F->L[(size_t)i * d + j] = F->U[(size_t)j * d + i];
	return 0;
}

/* The gradient's 2-norm in the model's parameters (W, b). */
static double
gnorm_of(const struct fit *F, const double *g, size_t nvar)
{
	if (!F->mu && !F->L)
		return norm2(g, nvar);
	int k = F->m->k, d = F->m->d;
	size_t kd = (size_t)k * d;
	const double *gw = g;
	if (F->L && F->have_last && memcmp(g, F->gv_last, nvar * sizeof *g) == 0) {
		gw = F->gw_last;    /* the gradient of the last evaluation: no map back */
	} else if (F->L) {
		grad_to_w(F, g, F->gtmp);
		gw = F->gtmp;
	}
	double s = 0;
	for (int c = 0; c < k; c++) {
		double gc = kd + c < nvar ? g[kd + c] : 0;
		for (int j = 0; j < d; j++) {
			double v = gw[(size_t)c * d + j] + (F->mu ? gc * F->mu[j] : 0);
			s += v * v;
		}
		s += gc * gc;
	}
	return sqrt(s);
}

/* The model's (W, b) from the optimiser's x = (V, c): W also into F->Wd. */
static void
unpack(struct fit *F, const lbfgsfloatval_t *x)
{
	struct sur_model *m = F->m;
	size_t kd = (size_t)m->k * m->d;
	params_to_w(F, x, F->Wd);
	for (size_t j = 0; j < kd; j++)
		m->w1[j] = (float)F->Wd[j];
	for (int c = 0; c < m->k; c++)
		m->b1[c] = m->hp.intercept ? (float)x[kd + c] : 0.0f;
}

static lbfgsfloatval_t
evaluate(void *inst, const lbfgsfloatval_t *x, lbfgsfloatval_t *g,
         const int nvar, const lbfgsfloatval_t step)
{
	(void)step;
	struct fit *F = inst;
	struct sur_model *m = F->m;
	size_t kd = (size_t)m->k * m->d;
	unpack(F, x);
	double ls;
	sur__data_term(m, F->Xs ? F->Xs : F->X, !F->Xs, F->y, F->w, F->n, F->S, &ls, F->gW, F->gb,
	          &F->pass);
	double reg = 0;
	for (size_t j = 0; j < kd; j++) {
		reg += F->Wd[j] * F->Wd[j];
		g[j] = F->gW[j] + F->lambda * F->Wd[j];
	}
	if (F->L)
		memcpy(F->gw_last, g, kd * sizeof *g);
	grad_to_params(F, g);
	if (m->hp.intercept)
		for (int c = 0; c < m->k; c++)
			g[kd + c] = F->gb[c];
	if (F->L) {
		memcpy(F->gv_last, g, (size_t)nvar * sizeof *g);
		F->have_last = 1;
	}
	return ls / F->S + 0.5 * F->lambda * reg;
}

static int
progress(void *inst, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
         const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
         const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int nvar, int k,
         int ls)
{
	(void)x; (void)xnorm; (void)step; (void)ls;
	struct fit *F = inst;
	/* libLBFGS's gnorm is in its own coordinates (V, c): the norm
	 * reported and tested is the model's (W, b) */
	double gn = F->mu || F->L ? gnorm_of(F, g, (size_t)nvar) : gnorm;
	F->iters = k;
	F->f = fx;
	F->gnorm = gn;
	if (F->o->on_iter && F->o->on_iter(F->o->ctx, k, fx, gn)) {
		F->stopped = 1;
		return 1;
	}
	if (gn <= F->o->tol) {
		F->stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * Newton polish.  In float arithmetic the objective is only accurate to
 * about 1e-7 relative, so near the optimum L-BFGS's line search stops on
 * rounding errors before the gradient is small.  Newton steps need no
 * line search on f: solve H p = -g by conjugate gradients (Hv products),
 * accept x + p (or a halved step) when the gradient norm drops.  Returns
 * the Newton steps taken; x and g (the gradient at x) are updated.
 */
static int
newton_polish(struct fit *F, lbfgsfloatval_t *x, lbfgsfloatval_t *g, size_t nvar,
              int max_steps)
{
	struct sur_model *m = F->m;
	int k = m->k;
	size_t kd = (size_t)k * m->d;
	double *p = calloc(nvar, sizeof *p), *r = calloc(nvar, sizeof *r);
	double *dir = calloc(nvar, sizeof *dir), *acc = calloc(kd + k, sizeof *acc);
	double *dw = calloc(kd, sizeof *dw);
	float *vf = calloc(kd + k, sizeof *vf);
	lbfgsfloatval_t *xn = lbfgs_malloc((int)nvar), *gn = lbfgs_malloc((int)nvar);
	int steps = 0;
	if (!p || !r || !dir || !acc || !dw || !vf || !xn || !gn)
		goto out;
	double gnorm = gnorm_of(F, g, nvar);
	while (steps < max_steps && gnorm > F->o->tol) {
		unpack(F, x);
		/* CG on H p = -g from p = 0 */
		memset(p, 0, nvar * sizeof *p);
		for (size_t j = 0; j < nvar; j++)
			r[j] = dir[j] = -g[j];
		/* CG works in the optimiser's coordinates (centred: see gnorm_of) */
		double gi = norm2(g, nvar);
		double rr = gi * gi, stop = fmin(0.1, sqrt(gi)) * gi;
		for (int it = 0; it < 250 && sqrt(rr) > stop; it++) {
			/* H in V is L^-1 H_W L^-T: the direction to W, the product back */
			params_to_w(F, dir, dw);
			for (size_t j = 0; j < nvar; j++)
				vf[j] = (float)(j < kd ? dw[j] : dir[j]);
			sur__hv_core(m, F->Xs ? F->Xs : F->X, !F->Xs, F->w, F->n, F->S, vf, vf + kd, acc,
			        &F->pass);
			for (size_t j = 0; j < kd; j++)
				acc[j] += F->lambda * dw[j];
			grad_to_params(F, acc);
			double dHd = 0;
			for (size_t j = 0; j < nvar; j++)
				dHd += dir[j] * acc[j];
			if (!(dHd > 0))
				break;
			double alpha = rr / dHd, rr2 = 0;
			for (size_t j = 0; j < nvar; j++) {
				p[j] += alpha * dir[j];
				r[j] -= alpha * acc[j];
				rr2 += r[j] * r[j];
			}
			for (size_t j = 0; j < nvar; j++)
				dir[j] = r[j] + rr2 / rr * dir[j];
			rr = rr2;
		}
		int ok = 0;
		double t = 1, gnew = 0, fnew = 0;
		for (int half = 0; half < 4 && !ok; half++, t /= 2) {
			for (size_t j = 0; j < nvar; j++)
				xn[j] = x[j] + t * p[j];
			fnew = evaluate(F, xn, gn, (int)nvar, 0);
			gnew = gnorm_of(F, gn, nvar);
			ok = gnew < gnorm && isfinite(fnew);
		}
		if (!ok)
			break;
		memcpy(x, xn, nvar * sizeof *x);
		memcpy(g, gn, nvar * sizeof *g);
		gnorm = gnew;
		F->f = fnew;
		F->gnorm = gnew;
		steps++;
		if (F->o->on_iter && F->o->on_iter(F->o->ctx, F->iters + steps, fnew, gnew))
			break;
	}
out:
	unpack(F, x);
	free(p);
	free(r);
	free(dir);
	free(acc);
	free(dw);
	free(vf);
	if (xn) lbfgs_free(xn);
	if (gn) lbfgs_free(gn);
	return steps;
}

static void
fit_free(struct fit *F)
{
	free(F->gW);
	free(F->gb);
	if (F->Xs != F->X)     /* not the caller's X, standardised in place */
		free(F->Xs);
	free(F->mu);
	free(F->L);
	free(F->U);
	free(F->Wd);
	free(F->gtmp);
	free(F->dots);
	free(F->gw_last);
	free(F->gv_last);
	sur__pass_free(&F->pass);
}

static int
check_data(const float *X, const int *y, const float *w, size_t n, int d, int k,
           double *sumw, struct wn_err *err)
{
	double sw = 0;
	for (size_t i = 0; i < n; i++) {
		if (y[i] < 0 || y[i] >= k)
			return wn_seterr(err, WN_EDATA, "training row %zu: label index %d not in "
			                 "[0, %d)", i, y[i], k);
		if (w) {
			if (!(w[i] >= 0) || !isfinite(w[i]))
				return wn_seterr(err, WN_EDATA, "training row %zu: weight %g is not a "
				                 "finite number >= 0", i, w[i]);
			sw += w[i];
		} else {
			sw += 1;
		}
		const float *x = X + i * (size_t)d;
		for (int j = 0; j < d; j++)
			if (!isfinite(x[j]))
				return wn_seterr(err, WN_EDATA, "training row %zu: feature %d is %g",
				                 i, j, x[j]);
	}
	if (!(sw > 0))
		return wn_seterr(err, WN_EDATA, "the training weights sum to 0");
	*sumw = sw;
	return 0;
}

static double
normaliser(enum sur_norm norm, double norm_n, size_t n, double sumw)
{
	switch (norm) {
	case SUR_NORM_WEIGHT: return sumw;
	case SUR_NORM_GIVEN: return norm_n;
	default: return (double)n;
	}
}

struct sur_model *
sur_softmax_fit(const float *X, const int *y, const float *w, size_t n,
                int d, const char *const *classes, int k,
                const struct sur_softmax_opts *o, struct wn_err *err)
{
	struct sur_softmax_opts def;
	if (!o) {
		sur_softmax_opts_default(&def);
		o = &def;
	}
	if (!(o->lambda >= 0) || !isfinite(o->lambda) || o->max_iter < 0 || !(o->tol >= 0) ||
	    o->memory < 1 || (o->norm == SUR_NORM_GIVEN && !(o->norm_n > 0)) ||
	    (o->norm != SUR_NORM_COUNT && o->norm != SUR_NORM_WEIGHT && o->norm != SUR_NORM_GIVEN)) {
		wn_seterr(err, WN_EUSAGE, "softmax: bad options (lambda %g, max_iter %d, tol %g, "
		          "memory %d, norm %d, N %g)", o->lambda, o->max_iter, o->tol, o->memory,
		          (int)o->norm, o->norm_n);
		return NULL;
	}
	if (n == 0) {
		wn_seterr(err, WN_EDATA, "softmax: no training rows");
		return NULL;
	}
	double sumw = 0;
	if (check_data(X, y, w, n, d, k, &sumw, err) < 0)
		return NULL;
	if (o->init && (o->init->kind != SUR_SOFTMAX || o->init->d != d || o->init->k != k)) {
		wn_seterr(err, WN_EDATA, "softmax: the initial model is a %d-class, %d-wide %s "
		          "model, not a %d-class, %d-wide softmax model", o->init->k, o->init->d,
		          o->init->kind == SUR_MLP ? "mlp" : "softmax", k, d);
		return NULL;
	}
	struct sur_model *m = sur_model_new(SUR_SOFTMAX, d, k, 0, err);
	if (!m)
		return NULL;
	if (sur_model_set_classes(m, classes, err) < 0)
		goto fail;
	struct sur_hyper *hp = &m->hp;
	hp->lambda = o->lambda;
	hp->norm = o->norm;
	hp->norm_n = o->norm == SUR_NORM_GIVEN ? o->norm_n : 0;
	hp->intercept = o->intercept ? 1 : 0;
	hp->standardize = o->standardize ? 1 : 0;
	hp->max_iter = o->max_iter;
	hp->tol = o->tol;
	hp->n_train = (long long)n;
	hp->sum_weight = sumw;
	if (o->init) {
		memcpy(m->mean, o->init->mean, d * sizeof(float));
		memcpy(m->scale, o->init->scale, d * sizeof(float));
		hp->standardize = o->init->hp.standardize;
	} else if (o->standardize) {
		sur_fit_standardize(m, X, n, w);
	}

	struct fit F = { .m = m, .X = X, .y = y, .w = w, .n = n, .o = o, .lambda = o->lambda };
	/* Standardise (and centre) once, in place when the caller allows it,
	 * else in a copy when memory allows, else each pass standardises chunk
	 * by chunk. */
	F.Xs = o->consume_x && o->infl == SUR_INFL_NONE ? (float *)X
	                                                 : malloc(sur__mul(n, d) * sizeof(float));
	if (F.Xs && hp->intercept)
		F.mu = calloc(d, sizeof *F.mu);
	if (F.Xs) {
		/* row by row, the centre's sums taken while the row is in cache */
		double sw = 0;
		for (size_t i = 0; i < n; i++) {
			float *xs = F.Xs + i * d;
			double wi = w ? w[i] : 1.0;
			sur_standardize(m, X + i * d, 1, xs);
			for (int j = 0; F.mu && j < d; j++)
				F.mu[j] += wi * xs[j];
			sw += wi;
		}
		for (int j = 0; F.mu && j < d; j++)
			F.mu[j] /= sw;
	}
	if (F.mu) {
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
				F.Xs[i * d + j] -= (float)F.mu[j];
	}
	F.S = normaliser(o->norm, o->norm_n, n, sumw);
	F.sumw = sumw;
	size_t kd = (size_t)k * d, nvar = kd + (hp->intercept ? k : 0);
	lbfgsfloatval_t *x = lbfgs_malloc((int)nvar);
	F.gW = malloc(kd * sizeof *F.gW);
	F.gb = malloc(k * sizeof *F.gb);
	F.Wd = malloc(kd * sizeof *F.Wd);
	F.gtmp = malloc(kd * sizeof *F.gtmp);
	F.dots = malloc((size_t)m->k * sizeof *F.dots);
	F.gw_last = malloc(kd * sizeof *F.gw_last);
	F.gv_last = malloc(nvar * sizeof *F.gv_last);
	if (nvar > INT32_MAX || !x || !F.gW || !F.gb || !F.Wd || !F.gtmp || !F.dots ||
	    !F.gw_last || !F.gv_last ||
	    sur__pass_init(&F.pass, d, k, 0, err) < 0) {
		if (x) lbfgs_free(x);
		fit_free(&F);
		wn_seterr(err, WN_ESOFTWARE, "softmax: out of memory for %zu parameters", nvar);
		goto fail;
	}
	/*
	 * The maps to and from V cost about k d^2 an evaluation against the
	 * pass's 2 n d k multiply-adds, and the factor n d^2 / 2 + d^3 / 6
	 * once: a quarter of the pass at n = 2 d.  Measured (winnow-fit
	 * --tol 1e-3 -l 1e-2, Fashion-MNIST rows of the demo's rounds):
	 * at n = 2.3 d (2,400 rows of random features, d = 1,024) and
	 * 1.5 d (2,400 of k-means, d = 1,600) the same time either way; at
	 * n = 3.1 d (2,400 pixel rows) half the time (85 iterations instead
	 * of 283); at 3.9 d (6,298 k-means rows, the demo's second round)
	 * 130 iterations instead of 500 without converging, 2.2 times
	 * faster.  Hence from n = 2.5 d (it was 4 d, set when the maps were
	 * slower).
	 */
	if (o->precondition && o->max_iter > 0 && 2 * n >= 5 * (size_t)d)
		precondition(&F, 0.1);  /* without it (-1): the same optimum, more iterations */
	/* Start: the given model, or W = 0 and b = log class frequencies
	 * (the optimum of the intercept-only model). */
	for (size_t j = 0; j < nvar; j++)
		x[j] = 0;
	if (o->init) {
		for (size_t j = 0; j < kd; j++)
			x[j] = o->init->w1[j];
		if (hp->intercept)
			for (int c = 0; c < k; c++) {
				/* c = b + W mu */
				double bc = o->init->b1[c];
				for (int j = 0; F.mu && j < d; j++)
					bc += (double)o->init->w1[(size_t)c * d + j] * F.mu[j];
				x[kd + c] = bc;
			}
		w_to_params(&F, x);
	} else if (hp->intercept) {
		double *cnt = calloc(k, sizeof *cnt);
		if (cnt) {
			for (size_t i = 0; i < n; i++)
				cnt[y[i]] += w ? w[i] : 1.0;
			double mean = 0;
			for (int c = 0; c < k; c++) {
				cnt[c] = log(fmax(cnt[c] / sumw, 1e-12));
				mean += cnt[c] / k;
			}
			for (int c = 0; c < k; c++)
				x[kd + c] = cnt[c] - mean;
			free(cnt);
		}
	}

	lbfgs_parameter_t param;
	lbfgs_parameter_init(&param);
	param.m = o->memory;
	param.epsilon = 0;  /* our test is absolute, in progress() */
	param.max_iterations = o->max_iter;
	lbfgsfloatval_t fx = 0;
	int ret = LBFGS_ALREADY_MINIMIZED;
	if (o->max_iter > 0)
		ret = lbfgs((int)nvar, x, &fx, evaluate, progress, &F, &param);
	/*
	 * Anything but an invalid-argument error leaves x at the best point
	 * found: line-search failures (rounding errors once the gradient is
	 * at float noise level) and the iteration limit are reported through
	 * the gradient norm, not as failures.  Re-evaluate at x so that the
	 * model, objective and gradient norm agree.
	 */
	if (ret >= LBFGSERR_UNKNOWNERROR && ret <= LBFGSERR_INVALID_ORTHANTWISE_END &&
	    ret != LBFGSERR_CANCELED) {
		wn_seterr(err, WN_ESOFTWARE, "softmax: L-BFGS failed (liblbfgs status %d)", ret);
		lbfgs_free(x);
		fit_free(&F);
		goto fail;
	}
	lbfgsfloatval_t *g = lbfgs_malloc((int)nvar);
	double gn = NAN;
	if (g) {
		fx = evaluate(&F, x, g, (int)nvar, 0);
		gn = gnorm_of(&F, g, nvar);
		F.f = fx;
		if (gn > o->tol && !F.stopped && ret != LBFGSERR_MAXIMUMITERATION && o->max_iter > 0) {
			/* L-BFGS gave up on rounding errors or the iteration limit */
			F.iters += newton_polish(&F, x, g, nvar, 20);
			fx = F.f;
			gn = gnorm_of(&F, g, nvar);
		}
		lbfgs_free(g);
	} else {
		unpack(&F, x);
	}
	hp->objective = fx;
	hp->grad_norm = gn;
	hp->iterations = F.iters;
	if (F.mu)       /* back from (W, c) to (W, b = c - W mu) */
		for (int c = 0; c < k; c++) {
			double bc = m->b1[c];
			for (int j = 0; j < d; j++)
				bc -= (double)m->w1[(size_t)c * d + j] * F.mu[j];
			m->b1[c] = (float)bc;
		}
	lbfgs_free(x);
	fit_free(&F);
	if (!isfinite(fx)) {
		wn_seterr(err, WN_EDATA, "softmax: the objective is not finite (%g): "
		          "features too large?", fx);
		goto fail;
	}
	if (o->infl != SUR_INFL_NONE &&
	    sur_influence_factors(m, X, w, n, F.S, o->infl, err) < 0)
		goto fail;
	return m;
fail:
	sur_model_free(m);
	return NULL;
}
