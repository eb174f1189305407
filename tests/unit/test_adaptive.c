/*
 * test_adaptive.c - surrogate/adaptive.c against slow, direct
 * implementations that build every per-sample gradient
 * g_i = (p_i - e_{y_i}) (x) [x_i, 1] explicitly.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adaptive.h"
#include "hash.h"
#include "mlp.h"
#include "model.h"
#include "unit.h"

enum { N = 48, D = 3, K = 3, NV = 17 };

struct prob {
	size_t n;
	float X[N * D], P[N * K];
	int y[N];
	uint64_t key[N];
};

static uint64_t lcg_state;

static double
rnd(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) * 0x1p-53;
}

static void
make(struct prob *p, size_t n, uint64_t seed)
{
	lcg_state = seed;
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		double z[K], mx = -1e9, s = 0;
		p->y[i] = (int)(rnd() * K);
		for (int j = 0; j < D; j++)
			p->X[i * D + j] = (float)(2 * rnd() - 1 + 0.5 * (j == p->y[i]));
		for (int c = 0; c < K; c++) {
			z[c] = 3 * rnd() - 1.5 + (c == p->y[i]);
			mx = fmax(mx, z[c]);
		}
		for (int c = 0; c < K; c++)
			s += exp(z[c] - mx);
		for (int c = 0; c < K; c++)
			p->P[i * K + c] = (float)(exp(z[c] - mx) / s);
		p->key[i] = wn_splitmix64(seed * 1000 + i);
	}
}

static struct ada_data
view(const struct prob *p)
{
	struct ada_data a = { p->n, D, K, p->X, p->P, p->y, p->key };
	return a;
}

enum { G1 = K * (D + 1) };

/* explicit per-sample gradient (k x d1), intercept on */
static void
grad(const float *x, const float *p, int y, double *g)
{
	for (int c = 0; c < K; c++) {
		double r = (double)p[c] - (c == y);
		for (int j = 0; j < D; j++)
			g[c * (D + 1) + j] = r * x[j];
		g[c * (D + 1) + D] = r;
	}
}

static double
dotv(const double *a, const double *b, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

struct ordent { double u; uint64_t key; size_t i; };

static int
cmp_ordent(const void *a, const void *b)
{
	const struct ordent *x = a, *y = b;
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* the documented canonical order of rows[0..m) */
static void
canon(const struct prob *p, size_t *rows, size_t m, uint64_t seed, uint64_t stream)
{
	struct ordent t[N];
	for (size_t j = 0; j < m; j++) {
		t[j].key = p->key[rows[j]];
		t[j].u = wn_u01_counter(seed, stream, t[j].key);
		t[j].i = rows[j];
	}
	qsort(t, m, sizeof *t, cmp_ordent);
	for (size_t j = 0; j < m; j++)
		rows[j] = t[j].i;
}

/* ---- Gram ---- */

TEST(gram_matches_explicit_gradients)
{
	struct prob p;
	float R[N * K], Kg[N * N];
	double gi[G1], gj[G1];

	make(&p, N, 1);
	ada_residuals(p.P, p.y, N, K, R);
	CHECK(ada_gram(p.X, R, N, p.X + 5 * D, R + 5 * K, 20, D, K, 1, Kg, NULL) == 0, "gram");
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 20; j++) {
			grad(p.X + i * D, p.P + i * K, p.y[i], gi);
			grad(p.X + (j + 5) * D, p.P + (j + 5) * K, p.y[j + 5], gj);
			CHECK_NEAR(Kg[i * 20 + j], dotv(gi, gj, G1), 1e-5);
		}
	/* without intercept: x~ = x */
	CHECK(ada_gram(p.X, R, 4, p.X, R, 4, D, K, 0, Kg, NULL) == 0, "gram");
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			double xx = 0, rr = 0;
			for (int q = 0; q < D; q++)
				xx += p.X[i * D + q] * p.X[j * D + q];
			for (int c = 0; c < K; c++)
				rr += R[i * K + c] * R[j * K + c];
			CHECK_NEAR(Kg[i * 4 + j], xx * rr, 1e-5);
		}
}

/* ---- GLISTER ---- */

/* Direct GLISTER: explicit theta update and validation gradient. */
static void
glister_direct(const struct prob *p, const struct prob *v, const struct ada_opts *o,
               size_t *pick, double *gain)
{
	double dth[G1] = { 0 }, pend[G1] = { 0 }, g[G1], G[G1];
	size_t pool[N], rem = p->n, ns = p->n;

	for (size_t i = 0; i < p->n; i++)
		pool[i] = i;
	canon(p, pool, p->n, o->seed, ADA_STREAM_ORDER);
	if (o->sg_eps > 0) {
		double q = ceil((double)p->n / (double)o->budget * log(1 / o->sg_eps));
		ns = q < (double)p->n ? (size_t)q : p->n;
	}
	for (size_t t = 0; t < o->budget; t++) {
		/* validation gradient at theta + dth */
		memset(G, 0, sizeof G);
		for (size_t q = 0; q < v->n; q++) {
			double z[K], mx = -1e300, s = 0, pv[K];
			float pf[K];
			for (int c = 0; c < K; c++) {
				z[c] = log(v->P[q * K + c]);
				for (int j = 0; j < D; j++)
					z[c] += dth[c * (D + 1) + j] * v->X[q * D + j];
				z[c] += dth[c * (D + 1) + D];
				mx = fmax(mx, z[c]);
			}
			for (int c = 0; c < K; c++)
				s += exp(z[c] - mx);
			for (int c = 0; c < K; c++) {
				pv[c] = exp(z[c] - mx) / s;
				pf[c] = (float)pv[c];
			}
			grad(v->X + q * D, pf, v->y[q], g);
			for (int j = 0; j < G1; j++)
				G[j] += g[j] / (double)v->n;
		}
		size_t nc = ns < rem ? ns : rem, bj = 0;
		uint64_t ts = o->seed ^ wn_splitmix64(t + 1);
		if (nc < rem)
			for (size_t j = 0; j < nc; j++) {
				size_t q = j + (size_t)(wn_u01_counter(ts, ADA_STREAM_SG, j) *
				                        (double)(rem - j));
				size_t tmp = pool[j];
				pool[j] = pool[q];
				pool[q] = tmp;
			}
		double best = -INFINITY;
		for (size_t j = 0; j < nc; j++) {
			size_t e = pool[j];
			grad(p->X + e * D, p->P + e * K, p->y[e], g);
			double gn = dotv(g, G, G1);
			if (gn > best) {
				best = gn;
				bj = j;
			}
		}
		size_t e = pool[bj];
		pick[t] = e;
		gain[t] = best;
		pool[bj] = pool[rem - 1];
		pool[rem - 1] = e;
		rem--;
		grad(p->X + e * D, p->P + e * K, p->y[e], g);
		for (int j = 0; j < G1; j++)
			pend[j] -= o->eta * g[j];
		if ((t + 1) % (o->taylor_every ? o->taylor_every : 1) == 0) {
			for (int j = 0; j < G1; j++)
				dth[j] += pend[j];
			memset(pend, 0, sizeof pend);
		}
	}
}

static void
check_glister(double eps, double eta, size_t budget, size_t every)
{
	struct prob p, v;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };
	size_t pick[N];
	double gain[N];

	make(&p, N, 2);
	make(&v, NV, 3);
	struct ada_data a = view(&p), b = view(&v);
	ada_opts_default(&o);
	o.method = ADA_GLISTER;
	o.budget = budget;
	o.sg_eps = eps;
	o.eta = eta;
	o.taylor_every = every;
	o.seed = 7;
	CHECK(ada_select(&a, &b, &o, &s, &err) == 0, "%s", err.msg);
	glister_direct(&p, &v, &o, pick, gain);
	CHECK(s.n == budget && s.n_pick == budget && s.n_greedy == budget, "n %zu", s.n);
	for (size_t t = 0; t < s.n_pick && t < budget; t++) {
		CHECK(s.pick[t] == pick[t], "pick %zu: %zu, direct %zu", t, s.pick[t], pick[t]);
		CHECK_NEAR(s.gain[t], gain[t], 1e-4);
	}
	for (size_t q = 0; q < s.n; q++) {
		CHECK(s.w[q] == 1.0f, "weight %g", s.w[q]);
		CHECK(q == 0 || s.idx[q] > s.idx[q - 1], "idx not ascending");
	}
	ada_subset_free(&s);
}

TEST(glister_greedy_matches_direct) { check_glister(0, 0.5, 12, 1); }
TEST(glister_stochastic_matches_direct) { check_glister(0.1, 0.5, 10, 1); }
TEST(glister_large_step_matches_direct) { check_glister(0, 5, 20, 1); }
TEST(glister_batched_taylor_matches_direct) { check_glister(0.05, 5, 20, 3); }

TEST(glister_val_max_uses_a_hash_sample)
{
	struct prob p, v, v2;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };
	size_t pick[N], rows[NV];
	double gain[N];

	make(&p, N, 2);
	make(&v, NV, 3);
	ada_opts_default(&o);
	o.method = ADA_GLISTER;
	o.budget = 8;
	o.sg_eps = 0;
	o.eta = 1;
	o.seed = 9;
	o.val_max = 6;
	for (size_t i = 0; i < NV; i++)
		rows[i] = i;
	canon(&v, rows, NV, o.seed, ADA_STREAM_RANDOM);
	v2.n = 6;
	for (size_t j = 0; j < 6; j++) {
		memcpy(v2.X + j * D, v.X + rows[j] * D, D * sizeof(float));
		memcpy(v2.P + j * K, v.P + rows[j] * K, K * sizeof(float));
		v2.y[j] = v.y[rows[j]];
		v2.key[j] = v.key[rows[j]];
	}
	struct ada_data a = view(&p), b = view(&v);
	CHECK(ada_select(&a, &b, &o, &s, &err) == 0, "%s", err.msg);
	glister_direct(&p, &v2, &o, pick, gain);
	for (size_t t = 0; t < 8 && t < s.n_pick; t++) {
		CHECK(s.pick[t] == pick[t], "pick %zu: %zu, direct %zu", t, s.pick[t], pick[t]);
		CHECK_NEAR(s.gain[t], gain[t], 1e-4);
	}
	ada_subset_free(&s);
}

/* ---- GradMatch ---- */

/* solve (A + lam I) x = b, m x m, by Gaussian elimination with pivoting */
static void
solve_ridge(const double *A, const double *b, int m, double lam, double *x)
{
	double M[N][N + 1];
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < m; j++)
			M[i][j] = A[i * m + j] + (i == j) * lam;
		M[i][m] = b[i];
	}
	for (int c = 0; c < m; c++) {
		int pv = c;
		for (int r = c + 1; r < m; r++)
			if (fabs(M[r][c]) > fabs(M[pv][c]))
				pv = r;
		for (int j = 0; j <= m; j++) {
			double t = M[c][j];
			M[c][j] = M[pv][j];
			M[pv][j] = t;
		}
		for (int r = 0; r < m; r++) {
			if (r == c)
				continue;
			double f = M[r][c] / M[c][c];
			for (int j = c; j <= m; j++)
				M[r][j] -= f * M[c][j];
		}
	}
	for (int i = 0; i < m; i++)
		x[i] = M[i][m] / M[i][i];
}

/* Direct per-class OMP (CORDS OrthogonalMP_REG, positive), explicit
 * gradients; gradient rows restricted to row c when classrow.  Returns
 * the support (rows) and weights; pick/gain trace appended. */
static int
omp_direct(const struct prob *p, const struct prob *v, int c, size_t budget,
           const struct ada_opts *o, size_t *sup, double *w, size_t *pick, double *gain,
           size_t *np)
{
	size_t rows[N], m = 0, ms = 0;
	double gs[N][G1], T[G1] = { 0 }, g[G1], A[N * N], bS[N], x[N] = { 0 };
	int lo = o->gm_classrow ? c * (D + 1) : 0, len = o->gm_classrow ? D + 1 : G1;
	size_t nvc = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->y[i] == c)
			rows[m++] = i;
	canon(p, rows, m, o->seed, ADA_STREAM_ORDER);
	for (size_t j = 0; j < m; j++) {
		grad(p->X + rows[j] * D, p->P + rows[j] * K, c, g);
		memcpy(gs[j], g + lo, len * sizeof *g);
	}
	if (o->gm_val)
		for (size_t q = 0; q < v->n; q++)
			nvc += v->y[q] == c;
	if (nvc) {
		for (size_t q = 0; q < v->n; q++)
			if (v->y[q] == c) {
				grad(v->X + q * D, v->P + q * K, c, g);
				for (int j = 0; j < len; j++)
					T[j] += g[lo + j] * (double)m / (double)nvc;
			}
	} else {
		for (size_t j = 0; j < m; j++)
			for (int q = 0; q < len; q++)
				T[q] += gs[j][q];
	}
	size_t cap = budget < (size_t)len ? budget : (size_t)len, iter = 0;
	double res[G1], tn = sqrt(dotv(T, T, len));
	memcpy(res, T, sizeof res);
	while (ms < cap && iter++ < 2 * budget) {
		if (sqrt(dotv(res, res, len)) <= o->tol * tn)
			break;
		double best = -INFINITY;
		size_t bj = 0;
		for (size_t j = 0; j < m; j++) {
			double v_ = dotv(gs[j], res, len);
			if (v_ > best) {
				best = v_;
				bj = j;
			}
		}
		if (!(best > 0))
			break;
		int dup = 0;
		for (size_t q = 0; q < ms; q++)
			dup |= sup[q] == bj;
		if (dup)
			break;
		pick[*np] = rows[bj];
		gain[(*np)++] = best;
		sup[ms++] = bj;
		for (;;) {
			for (size_t a = 0; a < ms; a++) {
				bS[a] = dotv(gs[sup[a]], T, len);
				for (size_t b = 0; b < ms; b++)
					A[a * ms + b] = dotv(gs[sup[a]], gs[sup[b]], len);
			}
			solve_ridge(A, bS, (int)ms, o->lambda, x);
			size_t qm = 0;
			for (size_t q = 1; q < ms; q++)
				if (x[q] < x[qm])
					qm = q;
			if (ms == 0 || x[qm] >= 0)
				break;
			memmove(sup + qm, sup + qm + 1, (ms - qm - 1) * sizeof *sup);
			ms--;
		}
		memcpy(res, T, sizeof res);
		for (size_t q = 0; q < ms; q++)
			for (int j = 0; j < len; j++)
				res[j] -= x[q] * gs[sup[q]][j];
	}
	for (size_t q = 0; q < ms; q++) {
		w[q] = x[q];
		sup[q] = rows[sup[q]];
	}
	return (int)ms;
}

static void
check_gradmatch(int classrow, int val, size_t budget, double lambda)
{
	struct prob p, v;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };
	size_t pick[4 * N], np = 0, ntot = 0, cnt[K] = { 0 }, bud[K];
	double gain[4 * N];

	make(&p, N, 4);
	make(&v, NV, 5);
	struct ada_data a = view(&p), b = view(&v);
	ada_opts_default(&o);
	o.method = ADA_GRADMATCH;
	o.budget = budget;
	o.seed = 11;
	o.lambda = lambda;
	o.tol = 1e-6;
	o.gm_classrow = classrow;
	o.gm_val = val;
	CHECK(ada_select(&a, &b, &o, &s, &err) == 0, "%s", err.msg);
	CHECK(s.n == budget, "n %zu", s.n);
	for (size_t i = 0; i < N; i++)
		cnt[p.y[i]]++;
	/* largest-remainder budgets */
	{
		size_t given = 0;
		double rem[K];
		for (int c = 0; c < K; c++) {
			double q = (double)budget * cnt[c] / N;
			bud[c] = (size_t)floor(q);
			rem[c] = q - bud[c];
			given += bud[c];
		}
		while (given < budget) {
			int bc = 0;
			for (int c = 1; c < K; c++)
				if (rem[c] > rem[bc])
					bc = c;
			bud[bc]++;
			rem[bc] = -1;
			given++;
		}
	}
	for (int c = 0; c < K; c++) {
		size_t sup[N];
		double w[N];
		int ms = omp_direct(&p, &v, c, bud[c], &o, sup, w, pick, gain, &np);
		size_t inclass = 0;
		for (size_t q = 0; q < s.n; q++)
			inclass += p.y[s.idx[q]] == c;
		CHECK(inclass == bud[c], "class %d: %zu rows, budget %zu", c, inclass, bud[c]);
		for (int q = 0; q < ms; q++) {
			size_t at = 0;
			while (at < s.n && s.idx[at] != sup[q])
				at++;
			CHECK(at < s.n, "class %d: support row %zu not chosen", c, sup[q]);
			if (at < s.n)
				CHECK_NEAR(s.w[at], w[q], 1e-3);
		}
		ntot += (size_t)ms;
	}
	CHECK(s.n_greedy == ntot, "greedy %zu, direct %zu", s.n_greedy, ntot);
	CHECK(s.n_pick == np, "picks %zu, direct %zu", s.n_pick, np);
	for (size_t t = 0; t < s.n_pick && t < np; t++) {
		CHECK(s.pick[t] == pick[t], "pick %zu: %zu, direct %zu", t, s.pick[t], pick[t]);
		CHECK_NEAR(s.gain[t], gain[t], 1e-4);
	}
	ada_subset_free(&s);
}

TEST(gradmatch_matches_direct) { check_gradmatch(0, 0, 24, 0.5); }
TEST(gradmatch_small_ridge_matches_direct) { check_gradmatch(0, 0, 30, 1e-3); }
TEST(gradmatch_classrow_matches_direct) { check_gradmatch(1, 0, 20, 0.5); }
TEST(gradmatch_validation_target_matches_direct) { check_gradmatch(0, 1, 15, 0.1); }

TEST(gradmatch_fills_shortfall_at_random)
{
	struct prob p;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };

	make(&p, N, 4);
	struct ada_data a = view(&p);
	ada_opts_default(&o);
	o.method = ADA_GRADMATCH;
	o.budget = 40;          /* more than the OMP can use (dimension 4 per class) */
	o.gm_classrow = 1;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == 0, "%s", err.msg);
	CHECK(s.n == 40, "n %zu", s.n);
	CHECK(s.n_greedy <= 3 * (D + 1), "greedy %zu", s.n_greedy);
	size_t ones = 0;
	for (size_t q = 0; q < s.n; q++) {
		CHECK(s.w[q] > 0, "weight %g", s.w[q]);
		CHECK(q == 0 || s.idx[q] > s.idx[q - 1], "duplicate or unsorted");
		ones += s.w[q] == 1.0f;
	}
	CHECK(ones >= s.n - s.n_greedy, "%zu weights of 1", ones);
	ada_subset_free(&s);
}

/* ---- CRAIG ---- */

static void
craig_direct(const struct prob *p, int c, size_t budget, uint64_t seed, size_t *chosen,
             double *w, double *gain)
{
	size_t rows[N], m = 0;
	double gs[N][G1], S[N][N], cur[N] = { 0 }, dmax = 0;
	int taken[N] = { 0 };

	for (size_t i = 0; i < p->n; i++)
		if (p->y[i] == c)
			rows[m++] = i;
	canon(p, rows, m, seed, ADA_STREAM_ORDER);
	for (size_t j = 0; j < m; j++)
		grad(p->X + rows[j] * D, p->P + rows[j] * K, c, gs[j]);
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < m; j++) {
			double dd = 0;
			for (int q = 0; q < G1; q++)
				dd += (gs[i][q] - gs[j][q]) * (gs[i][q] - gs[j][q]);
			S[i][j] = dd;
			dmax = fmax(dmax, dd);
		}
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < m; j++)
			S[i][j] = dmax - S[i][j];
	size_t pos[N];
	for (size_t t = 0; t < budget; t++) {
		double best = -1;
		size_t bj = 0;
		for (size_t j = 0; j < m; j++) {
			if (taken[j])
				continue;
			double g = 0;
			for (size_t i = 0; i < m; i++)
				g += fmax(0, S[i][j] - cur[i]);
			if (g > best + 1e-9 * fabs(best)) {
				best = g;
				bj = j;
			}
		}
		taken[bj] = 1;
		pos[t] = bj;
		chosen[t] = rows[bj];
		gain[t] = best;
		for (size_t i = 0; i < m; i++)
			cur[i] = fmax(cur[i], S[i][bj]);
	}
	for (size_t t = 0; t < budget; t++)
		w[t] = 0;
	for (size_t i = 0; i < m; i++) {
		size_t bt = 0;
		for (size_t t = 1; t < budget; t++)
			if (S[i][pos[t]] > S[i][pos[bt]] + 1e-9)
				bt = t;
		w[bt] += 1;
	}
}

TEST(craig_matches_direct)
{
	struct prob p;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };
	size_t cnt[K] = { 0 }, t = 0;

	make(&p, N, 6);
	struct ada_data a = view(&p);
	ada_opts_default(&o);
	o.method = ADA_CRAIG;
	o.budget = 12;
	o.seed = 3;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == 0, "%s", err.msg);
	CHECK(s.n == 12 && s.n_greedy == 12 && s.n_pick == 12, "n %zu", s.n);
	for (size_t i = 0; i < N; i++)
		cnt[p.y[i]]++;
	for (int c = 0; c < K; c++) {
		size_t b = 0, chosen[N];
		double w[N], gain[N], wsum = 0;
		for (size_t q = 0; q < s.n; q++)
			b += p.y[s.idx[q]] == c;
		craig_direct(&p, c, b, o.seed, chosen, w, gain);
		for (size_t q = 0; q < b; q++, t++) {
			CHECK(s.pick[t] == chosen[q], "class %d pick %zu: %zu, direct %zu", c, q,
			      s.pick[t], chosen[q]);
			CHECK_NEAR(s.gain[t], gain[q], 1e-3);
			size_t at = 0;
			while (at < s.n && s.idx[at] != chosen[q])
				at++;
			if (at < s.n)
				CHECK(s.w[at] == (float)w[q], "weight %g, direct %g", s.w[at], w[q]);
			wsum += w[q];
		}
		CHECK(wsum == (double)cnt[c], "class %d: weights sum to %g, %zu rows", c, wsum, cnt[c]);
	}
	ada_subset_free(&s);
}

TEST(craig_blocks_bound_memory)
{
	struct prob p;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };
	double wsum = 0;

	make(&p, N, 6);
	struct ada_data a = view(&p);
	ada_opts_default(&o);
	o.method = ADA_CRAIG;
	o.budget = 20;
	o.max_block = 5;        /* every class cut into blocks of <= 5 rows */
	CHECK(ada_select(&a, NULL, &o, &s, &err) == 0, "%s", err.msg);
	CHECK(s.n == 20, "n %zu", s.n);
	for (size_t q = 0; q < s.n; q++) {
		wsum += s.w[q];
		CHECK(q == 0 || s.idx[q] > s.idx[q - 1], "duplicate");
	}
	CHECK(wsum == N, "weights sum to %g", wsum);
	ada_subset_free(&s);
}

/* ---- random, order independence, errors ---- */

TEST(random_is_fresh_per_seed_and_order_free)
{
	struct prob p, q;
	struct ada_opts o;
	struct ada_subset s1, s2, s3;
	struct wn_err err = { 0 };

	make(&p, N, 8);
	/* q: p reversed */
	q.n = N;
	for (size_t i = 0; i < N; i++) {
		size_t j = N - 1 - i;
		memcpy(q.X + i * D, p.X + j * D, D * sizeof(float));
		memcpy(q.P + i * K, p.P + j * K, K * sizeof(float));
		q.y[i] = p.y[j];
		q.key[i] = p.key[j];
	}
	struct ada_data a = view(&p), b = view(&q);
	ada_opts_default(&o);
	o.budget = 10;
	o.seed = 1;
	CHECK(ada_select(&a, NULL, &o, &s1, &err) == 0, "%s", err.msg);
	CHECK(ada_select(&b, NULL, &o, &s2, &err) == 0, "%s", err.msg);
	o.seed = 2;
	CHECK(ada_select(&a, NULL, &o, &s3, &err) == 0, "%s", err.msg);
	CHECK(s1.n == 10 && s2.n == 10 && s3.n == 10, "sizes");
	int same = 1, same3 = 1;
	for (size_t i = 0; i < 10; i++) {
		same &= s1.idx[i] == N - 1 - s2.idx[9 - i];
		same3 &= s1.idx[i] == s3.idx[i];
	}
	CHECK(same, "random subset depends on the row order");
	CHECK(!same3, "a new seed gives the same subset");
	ada_subset_free(&s1);
	ada_subset_free(&s2);
	ada_subset_free(&s3);

	/* CRAIG and GradMatch too (same keys, rows reversed) */
	for (int mth = ADA_GRADMATCH; mth <= ADA_CRAIG; mth++) {
		o.method = mth;
		o.budget = 12;
		CHECK(ada_select(&a, NULL, &o, &s1, &err) == 0, "%s", err.msg);
		CHECK(ada_select(&b, NULL, &o, &s2, &err) == 0, "%s", err.msg);
		same = s1.n == s2.n;
		for (size_t i = 0; same && i < s1.n; i++)
			same &= s1.idx[i] == N - 1 - s2.idx[s1.n - 1 - i] &&
			        fabsf(s1.w[i] - s2.w[s1.n - 1 - i]) <= 1e-4f * fmaxf(1, s1.w[i]);
		CHECK(same, "%s depends on the row order", ada_method_name(mth));
		ada_subset_free(&s1);
		ada_subset_free(&s2);
	}
}

TEST(errors_and_edge_cases)
{
	struct prob p;
	struct ada_opts o;
	struct ada_subset s;
	struct wn_err err = { 0 };

	make(&p, N, 9);
	struct ada_data a = view(&p);
	ada_opts_default(&o);
	o.method = ADA_GLISTER;
	o.budget = 5;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == -1 && err.code == 64, "glister w/o val");
	CHECK(strstr(err.msg, "validation") != NULL, "%s", err.msg);
	o.method = ADA_RANDOM;
	o.budget = 0;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == -1 && err.code == 64, "budget 0");
	o.budget = 5;
	o.sg_eps = 1;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == -1 && err.code == 64, "eps 1");
	o.sg_eps = 0.1;
	p.y[3] = K;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == -1 && err.code == 65, "bad label");
	p.y[3] = 0;
	o.budget = N + 5;       /* everything, weight 1 */
	o.method = ADA_CRAIG;
	CHECK(ada_select(&a, NULL, &o, &s, &err) == 0, "%s", err.msg);
	CHECK(s.n == N && s.w[0] == 1 && s.idx[N - 1] == N - 1, "all rows");
	ada_subset_free(&s);
	CHECK(ada_method_parse("craig") == ADA_CRAIG && ada_method_parse("x") == -1, "parse");
}

/* ---- head features ---- */

TEST(head_features_of_mlp_and_softmax)
{
	struct wn_err err = { 0 };
	struct sur_mlp_opts mo;
	const char *cls[K] = { "a", "b", "c" };
	struct prob p;
	float F[N * 8], P[N * K], P2[N * K];

	make(&p, N, 10);
	sur_mlp_opts_default(&mo);
	mo.hidden = 8;
	mo.mb.epochs = 1;
	struct sur_model *m = sur_mlp_fit(p.X, p.y, NULL, N, D, cls, K, &mo, &err);
	CHECK(m != NULL, "%s", err.msg);
	if (!m)
		return;
	CHECK(ada_feature_dim(m) == 8 && ada_model_intercept(m) == 1, "dims");
	CHECK(ada_head_features(m, p.X, N, F, P, &err) == 0, "%s", err.msg);
	CHECK(sur_predict_proba(m, p.X, N, P2, NULL, &err) == 0, "%s", err.msg);
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < 8; j++) {
			double a = m->b1[j];
			for (int q = 0; q < D; q++)
				a += m->w1[j * D + q] * (p.X[i * D + q] - m->mean[q]) * m->scale[q];
			CHECK_NEAR(F[i * 8 + j], fmax(a, 0), 1e-5);
		}
		for (int c = 0; c < K; c++)
			CHECK_NEAR(P[i * K + c], P2[i * K + c], 1e-6);
	}
	sur_model_free(m);
}

int main(void)
{
	RUN(gram_matches_explicit_gradients);
	RUN(glister_greedy_matches_direct);
	RUN(glister_stochastic_matches_direct);
	RUN(glister_large_step_matches_direct);
	RUN(glister_batched_taylor_matches_direct);
	RUN(glister_val_max_uses_a_hash_sample);
	RUN(gradmatch_matches_direct);
	RUN(gradmatch_small_ridge_matches_direct);
	RUN(gradmatch_classrow_matches_direct);
	RUN(gradmatch_validation_target_matches_direct);
	RUN(gradmatch_fills_shortfall_at_random);
	RUN(craig_matches_direct);
	RUN(craig_blocks_bound_memory);
	RUN(random_is_fresh_per_seed_and_order_free);
	RUN(errors_and_edge_cases);
	RUN(head_features_of_mlp_and_softmax);
	return unit_done();
}
