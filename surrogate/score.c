/*
 * score.c - per-sample scores (score.h) and spherical k-means for the
 * prototype score.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "internal.h"
#include "score.h"
#include "threads.h"

static const char *const method_names[SUR_NMETHODS] = {
	"entropy", "margin", "least-confidence", "influence", "influence-shared",
	"loss", "el2n", "grand", "prototype"
};

const char *
sur_method_name(enum sur_method m)
{
	return (unsigned)m < SUR_NMETHODS ? method_names[m] : "?";
}

int
sur_method_parse(const char *name)
{
	for (int i = 0; i < SUR_NMETHODS; i++)
		if (strcmp(name, method_names[i]) == 0)
			return i;
	return -1;
}

int
sur_method_needs_label(enum sur_method m)
{
	return m == SUR_LOSS || m == SUR_EL2N || m == SUR_GRAND;
}

int
sur_method_needs_model(enum sur_method m)
{
	return m != SUR_PROTOTYPE;
}

int
sur_method_needs_influence(enum sur_method m)
{
	return m == SUR_INFLUENCE || m == SUR_INFLUENCE_SHARED;
}

/* p(1) and p(2), the two largest of p[0..k). */
static void
top2(const float *p, int k, double *p1, double *p2)
{
	double a = -1, b = -1;
	for (int c = 0; c < k; c++) {
		if (p[c] > a) {
			b = a;
			a = p[c];
		} else if (p[c] > b) {
			b = p[c];
		}
	}
	*p1 = a;
	*p2 = b;
}

/* ||p - e_y||_2 */
static double
resid_norm(const float *p, int k, int y)
{
	double s = 0;
	for (int c = 0; c < k; c++) {
		double r = p[c] - (c == y);
		s += r * r;
	}
	return sqrt(s);
}

/* 1 - p_c as the sum of the other probabilities: in float, 1 - p_c
 * loses its relative precision when p_c is close to 1 (a confident row
 * whose influence is small but not zero). */
static double
one_minus(const float *p, int k, int c)
{
	double s = 0;
	for (int j = 0; j < k; j++)
		if (j != c)
			s += p[j];
	return s;
}

/*
 * out[i] = start + sum_j x~_ij^2 in double, j ascending, for the rows of
 * X standardised as sur_standardize does (the same float operations, in
 * registers: no pass that writes x~ out).  Rows side by side: each
 * row's sum is still one chain in column order, the same bits as summing
 * row after row, but independent chains hide the adder's latency
 * (one chain of 784 dependent double additions was a quarter of grand's
 * time, perf).
 */
static void
std_sumsq_rows(const struct sur_model *m, const float *X, size_t n, double start,
               double *out)
{
	int d = m->d;
	/* four rows at a time, their sums named so that they stay in
	 * registers (an array of them went through memory at each step) */
	for (size_t i0 = 0; i0 < n; i0 += 4) {
		size_t g = n - i0 < 4 ? n - i0 : 4;
		const float *x0 = X + i0 * (size_t)d;
		const float *x1 = g > 1 ? x0 + d : x0, *x2 = g > 2 ? x0 + 2 * (size_t)d : x0;
		const float *x3 = g > 3 ? x0 + 3 * (size_t)d : x0;
		double a0 = start, a1 = start, a2 = start, a3 = start;
		for (int j = 0; j < d; j++) {
			const float mu = m->mean[j], sc = m->scale[j];
			const float v0 = (x0[j] - mu) * sc, v1 = (x1[j] - mu) * sc;
			const float v2 = (x2[j] - mu) * sc, v3 = (x3[j] - mu) * sc;
			a0 += (double)v0 * v0;
			a1 += (double)v1 * v1;
			a2 += (double)v2 * v2;
			a3 += (double)v3 * v3;
		}
		const double a[4] = { a0, a1, a2, a3 };
		for (size_t r = 0; r < g; r++)
			out[i0 + r] = a[r];
	}
}

int
sur_score_block(const struct sur_model *m, enum sur_method meth, const float *X,
                const float *P, const int *y, size_t n, double *out,
                struct sur_ws *ws, struct wn_err *err)
{
	int k = m->k, d = m->d, d1 = sur_model_d1(m);
	if (meth == SUR_PROTOTYPE || (unsigned)meth >= SUR_NMETHODS)
		return wn_seterr(err, WN_ESOFTWARE, "sur_score_block: method %d is not a model "
		                 "score", (int)meth);
	if (sur_method_needs_label(meth) && !y)
		return wn_seterr(err, WN_EUSAGE, "%s scores need labels", sur_method_name(meth));
	if ((meth == SUR_INFLUENCE && m->infl != SUR_INFL_CLASS) ||
	    (meth == SUR_INFLUENCE_SHARED && m->infl == SUR_INFL_NONE))
		return wn_seterr(err, WN_EDATA, "the model has no %s influence factors (fit a "
		                 "softmax model with --influence %s)",
		                 meth == SUR_INFLUENCE ? "per-class" : "shared",
		                 meth == SUR_INFLUENCE ? "class" : "shared or class");
	if (y)
		for (size_t i = 0; i < n; i++)
			if (sur_method_needs_label(meth) && (y[i] < 0 || y[i] >= k))
				return wn_seterr(err, WN_EDATA, "row %zu: label index %d not in [0, %d)",
				                 i, y[i], k);

	switch (meth) {
	case SUR_ENTROPY:
		for (size_t i = 0; i < n; i++) {
			double s = 0;
			for (int c = 0; c < k; c++) {
				double p = P[i * k + c];
				if (p > 0)
					s -= p * log(p);
			}
			out[i] = s;
		}
		return 0;
	case SUR_MARGIN:
	case SUR_LEASTCONF:
		for (size_t i = 0; i < n; i++) {
			double p1, p2;
			top2(P + i * k, k, &p1, &p2);
			out[i] = meth == SUR_MARGIN ? 1 - (p1 - p2) : 1 - p1;
		}
		return 0;
	case SUR_LOSS:
		for (size_t i = 0; i < n; i++)
			/* 0.0 - x, not -x: -log(1) is -0, printed "-0" */
			out[i] = 0.0 - log(fmax(P[i * k + y[i]], FLT_MIN));
		return 0;
	case SUR_EL2N:
		for (size_t i = 0; i < n; i++)
			out[i] = resid_norm(P + i * k, k, y[i]);
		return 0;
	default:
		break;
	}

	/* The rest need the standardised rows. */
	struct sur_ws *own = NULL;
	float *A = NULL, *t = NULL;
	double *q = NULL;
	int rc = -1;
	if (!ws && !(own = ws = sur_ws_new(m, SUR_BLOCK, err)))
		return -1;
	size_t R = ws->rows;
	if (sur_method_needs_influence(meth)) {
		A = malloc(sur__mul(R, d1) * sizeof *A);
		t = malloc(sur__lower_quad_scratch(d1) * sizeof *t);
		q = malloc(sur__mul(R, meth == SUR_INFLUENCE ? (size_t)k : 1) * sizeof *q);
		if (!A || !t || !q) {
			wn_seterr(err, WN_ESOFTWARE, "influence: out of memory");
			goto out;
		}
	}
	for (size_t i0 = 0; i0 < n; i0 += R) {
		size_t nb = n - i0 < R ? n - i0 : R;
		const float *Pb = P + i0 * k;
		double *ob = out + i0;
		if (meth == SUR_GRAND && m->kind == SUR_SOFTMAX) {
			std_sumsq_rows(m, X + i0 * d, nb, m->hp.intercept ? 1 : 0, ob);
			for (size_t i = 0; i < nb; i++)
				ob[i] = resid_norm(Pb + i * k, k, y[i0 + i]) * sqrt(ob[i]);
			continue;
		}
		sur_standardize(m, X + i0 * d, nb, ws->xs);
		if (meth == SUR_GRAND) {     /* an MLP's */
			int h = m->h;
			/* hidden activations a = relu(W1 x~ + b1) into ws->a */
			sur__affine_rows(ws->xs, nb, d, m->w1, m->b1, h, ws->a);
			for (size_t i = 0; i < nb; i++) {
				const float *p = Pb + i * k;
				float *a = ws->a + i * h;
				double r2 = 0, a2 = 0, x2 = 0, dl2 = 0;
				int yi = y[i0 + i];
				for (int c = 0; c < k; c++) {
					double r = p[c] - (c == yi);
					r2 += r * r;
				}
				for (int j = 0; j < d; j++)
					x2 += (double)ws->xs[i * d + j] * ws->xs[i * d + j];
				for (int u = 0; u < h; u++) {
					if (a[u] <= 0)
						continue;
					a2 += (double)a[u] * a[u];
					double dl = 0;     /* (W2' (p - e_y))_u */
					for (int c = 0; c < k; c++)
						dl += (double)m->w2[(size_t)c * h + u] * (p[c] - (c == yi));
					dl2 += dl * dl;
				}
				double bias = m->hp.intercept ? 1 : 0;
				ob[i] = sqrt(r2 * (a2 + bias) + dl2 * (x2 + bias));
			}
			continue;
		}
		/* influence: A = [x~ 1] */
		for (size_t i = 0; i < nb; i++) {
			memcpy(A + i * d1, ws->xs + i * d, d * sizeof(float));
			if (d1 > d)
				A[i * d1 + d] = 1;
		}
		if (meth == SUR_INFLUENCE_SHARED) {
			sur__lower_quad(m->infl_shared, d1, A, nb, d1, q, t);
			for (size_t i = 0; i < nb; i++) {
				double v = 0;
				for (int c = 0; c < k; c++)
					v += (double)Pb[i * k + c] * one_minus(Pb + i * k, k, c);
				ob[i] = v * q[i];
			}
			continue;
		}
		for (size_t i = 0; i < nb; i++)
			ob[i] = 0;
		sur__lower_quads(m->infl_class, k, d1, A, nb, d1, q, t);
		for (int c = 0; c < k; c++) {
			const double *qc = q + (size_t)c * nb;
			for (size_t i = 0; i < nb; i++)
				ob[i] += Pb[i * k + c] * one_minus(Pb + i * k, k, c) * qc[i];
		}
	}
	rc = 0;
out:
	free(A);
	free(t);
	free(q);
	sur_ws_free(own);
	return rc;
}

/* ---- prototype --------------------------------------------------------- */

/* Rows of X normalised to unit length into U: ||x||^2 summed in double
 * in SUR_LANES partial sums (lane l the columns l, l + SUR_LANES, ...,
 * added as the kernels' lanes are), so that the loop vectorises; one
 * chain a row was 1 us a row at d = 784, half the prototype score. */
SUR_VECTOR_CLONES
static void
unit_rows(const float *X, size_t n, int d, float *U)
{
	int dv = d - d % SUR_LANES;
	for (size_t i = 0; i < n; i++) {
		const float *x = X + i * d;
		double a[SUR_LANES] = { 0 };
		for (int j = 0; j < dv; j += SUR_LANES)
			for (int l = 0; l < SUR_LANES; l++)
				a[l] += (double)x[j + l] * x[j + l];
		double s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
		for (int j = dv; j < d; j++)
			s += (double)x[j] * x[j];
		float inv = s > 0 ? (float)(1 / sqrt(s)) : 0.0f;
		for (int j = 0; j < d; j++)
			U[i * d + j] = x[j] * inv;
	}
}

/*
 * For nb unit rows U and the unit centroids C (k x d): S (nb x k) = the
 * cosines, by the row-pure product of prediction (kernel.h: a row's
 * cosines do not depend on the rows beside it, nor on k); then
 * best[i] = the first argmax when best is not NULL (returning how many
 * changed), and bcos[i] = max(bcos[i], the largest cosine) when bcos is
 * not NULL.
 */
static size_t
assign(const float *U, size_t nb, int d, const float *C, int k, float *S, int *best,
       double *bcos)
{
	size_t changed = 0;
	sur__affine_rows(U, nb, d, C, NULL, k, S);
	for (size_t i = 0; i < nb; i++) {
		int b = 0;
		for (int j = 1; j < k; j++)
			if (S[i * k + j] > S[i * k + b])
				b = j;
		if (best && best[i] != b) {
			best[i] = b;
			changed++;
		}
		if (bcos && S[i * k + b] > bcos[i])
			bcos[i] = S[i * k + b];
	}
	return changed;
}

/*
 * Add the nb rows U to their clusters' sums acc (k x d, double) and
 * counts: each cluster's rows of the block summed in float first, in
 * part (k x d, 31 KB at k = 10, d = 784: the L1 cache), in ascending
 * order, then added to acc.  Adding each row to acc in double directly
 * read and wrote 6 KB of acc a row from the L2 cache: a third of the
 * prototype score.  A block's float sum of at most SUR_BLOCK unit rows
 * is off by a few parts in 10^5 at most, far below what moves a
 * centroid's direction.
 */
SUR_VECTOR_CLONES
static void
add_rows(const float *U, size_t nb, int d, const int *best, int k, float *part,
         double *acc, int *cnt)
{
	memset(part, 0, (size_t)k * d * sizeof *part);
	for (size_t i = 0; i < nb; i++) {
		float *p = part + (size_t)best[i] * d;
		const float *u = U + i * d;
		cnt[best[i]]++;
		for (int t = 0; t < d; t++)
			p[t] += u[t];
	}
	for (size_t t = 0; t < (size_t)k * d; t++)
		acc[t] += part[t];
}

int
sur_kmeans(const float *X, size_t n, int d, int k, int iters, size_t max_rows,
           uint64_t seed, float *C, struct wn_err *err)
{
	if (k < 1 || n < (size_t)k)
		return wn_seterr(err, WN_EDATA, "k-means: %zu rows for %d clusters", n, k);
	size_t ns = max_rows && n > max_rows ? max_rows : n;
	if (ns < (size_t)k)
		ns = k;
	float *U = malloc(sur__mul(ns, d) * sizeof *U);
	float *S = malloc((size_t)SUR_BLOCK * k * sizeof *S);
	int *best = malloc(ns * sizeof *best), *cnt = malloc(k * sizeof *cnt);
	double *bcos = malloc(ns * sizeof *bcos), *acc = malloc(sur__mul(k, d) * sizeof *acc);
	float *part = malloc(sur__mul(k, d) * sizeof *part);
	int rc = -1;
	if (!U || !S || !best || !cnt || !bcos || !acc || !part) {
		wn_seterr(err, WN_ESOFTWARE, "k-means: out of memory (%zu rows of %d)", ns, d);
		goto out;
	}
	/* the sample: rows floor(i n / ns), evenly spaced */
	for (size_t i = 0; i < ns; i++)
		unit_rows(X + (size_t)((double)i * n / ns) * d, 1, d, U + i * d);

	/* k-means++: the first centre uniformly, then with probability
	 * proportional to 1 - cos (half the squared chord distance); each
	 * row's best cosine kept, so each draw computes the cosines to the
	 * newest centre only (the same values as to all of them: the
	 * product is row-pure and each cosine its own sum) */
	size_t first = (size_t)(wn_u01_counter(seed, WN_STREAM_SHUFFLE, 0) * ns);
	memcpy(C, U + first * d, d * sizeof(float));
	for (size_t i = 0; i < ns; i++)
		bcos[i] = -HUGE_VAL;
	for (int j = 1; j < k; j++) {
		for (size_t i0 = 0; i0 < ns; i0 += SUR_BLOCK) {
			size_t nb = ns - i0 < SUR_BLOCK ? ns - i0 : SUR_BLOCK;
			assign(U + i0 * d, nb, d, C + (size_t)(j - 1) * d, 1, S, NULL, bcos + i0);
		}
		double tot = 0;
		for (size_t i = 0; i < ns; i++)
			tot += fmax(0, 1 - bcos[i]);
		double u = wn_u01_counter(seed, WN_STREAM_SHUFFLE, (uint64_t)j) * tot;
		size_t pick = ns - 1;
		if (tot > 0) {
			for (size_t i = 0; i < ns; i++) {
				u -= fmax(0, 1 - bcos[i]);
				if (u < 0) {
					pick = i;
					break;
				}
			}
		} else {
			pick = (size_t)j % ns;    /* all rows coincide with centres */
		}
		memcpy(C + (size_t)j * d, U + pick * d, d * sizeof(float));
	}
	/* Lloyd: each block of rows assigned, then added to its clusters'
	 * sums while it is still in the cache (one pass over the sample an
	 * iteration, not two); the sums are of the new assignment, as if
	 * they had been taken after all the rows were assigned */
	for (size_t i = 0; i < ns; i++)
		best[i] = -1;
	for (int it = 0; it < iters; it++) {
		size_t changed = 0;
		memset(acc, 0, (size_t)k * d * sizeof *acc);
		memset(cnt, 0, k * sizeof *cnt);
		for (size_t i0 = 0; i0 < ns; i0 += SUR_BLOCK) {
			size_t nb = ns - i0 < SUR_BLOCK ? ns - i0 : SUR_BLOCK;
			changed += assign(U + i0 * d, nb, d, C, k, S, best + i0, NULL);
			add_rows(U + i0 * d, nb, d, best + i0, k, part, acc, cnt);
		}
		if (!changed)
			break;
		for (int j = 0; j < k; j++) {
			double s = 0;
			for (int t = 0; t < d; t++)
				s += acc[(size_t)j * d + t] * acc[(size_t)j * d + t];
			if (!cnt[j] || !(s > 0))
				continue;   /* an empty cluster keeps its centre */
			double inv = 1 / sqrt(s);
			for (int t = 0; t < d; t++)
				C[(size_t)j * d + t] = (float)(acc[(size_t)j * d + t] * inv);
		}
	}
	rc = 0;
out:
	free(U);
	free(S);
	free(best);
	free(cnt);
	free(bcos);
	free(acc);
	free(part);
	return rc;
}

void
sur_proto_scores(const float *C, int k, int d, const float *X, size_t n, double *out)
{
	float *S = malloc((size_t)SUR_BLOCK * k * sizeof *S);
	float *U = malloc((size_t)SUR_BLOCK * d * sizeof *U);
	if (!S || !U) {     /* slow path without scratch: one row at a time */
		for (size_t i = 0; i < n; i++) {
			const float *x = X + i * d;
			double xx = 0, bc = -1;
			for (int t = 0; t < d; t++)
				xx += (double)x[t] * x[t];
			for (int j = 0; j < k; j++) {
				double s = 0;
				for (int t = 0; t < d; t++)
					s += (double)x[t] * C[(size_t)j * d + t];
				bc = fmax(bc, xx > 0 ? s / sqrt(xx) : 0);
			}
			out[i] = 1 - bc;
		}
		free(S);
		free(U);
		return;
	}
	double bc[SUR_BLOCK];
	for (size_t i0 = 0; i0 < n; i0 += SUR_BLOCK) {
		size_t nb = n - i0 < SUR_BLOCK ? n - i0 : SUR_BLOCK;
		unit_rows(X + i0 * d, nb, d, U);
		for (size_t i = 0; i < nb; i++)
			bc[i] = -HUGE_VAL;
		assign(U, nb, d, C, k, S, NULL, bc);
		for (size_t i = 0; i < nb; i++)
			out[i0 + i] = 1 - bc[i];
	}
	free(S);
	free(U);
}

/* ---- threads ----------------------------------------------------------- */

struct share {
	const struct sur_scorer *s;
	struct sur_ws *ws;      /* this thread's, NULL for prototype */
	const float *X;
	const int *y;
	size_t n;
	float *P;
	double *out;
	int rc;
	struct wn_err err;
};

struct sur_scorer {
	const struct sur_model *m;
	enum sur_method meth;
	const float *C;
	int kc, d, nt;
	struct share *sh;       /* nt */
};

struct sur_scorer *
sur_scorer_new(const struct sur_model *m, enum sur_method meth, const float *C, int kc,
               int d, int nt, struct wn_err *err)
{
	if (meth == SUR_PROTOTYPE ? !C : !m) {
		wn_seterr(err, WN_EUSAGE, "sur_scorer_new: %s scores need %s",
		          sur_method_name(meth), meth == SUR_PROTOTYPE ? "centroids" : "a model");
		return NULL;
	}
	struct sur_scorer *s = calloc(1, sizeof *s);
	if (nt < 1)
		nt = 1;
	if (!s || !(s->sh = calloc((size_t)nt, sizeof *s->sh)))
		goto oom;
	s->m = m;
	s->meth = meth;
	s->C = C;
	s->kc = kc;
	s->d = d;
	s->nt = nt;
	for (int t = 0; m && t < nt; t++)
		if (!(s->sh[t].ws = sur_ws_new(m, SUR_BLOCK, err)))
			goto fail;
	return s;
oom:
	wn_seterr(err, WN_ESOFTWARE, "scorer: out of memory for %d threads", nt);
fail:
	sur_scorer_free(s);
	return NULL;
}

void
sur_scorer_free(struct sur_scorer *s)
{
	if (!s)
		return;
	for (int t = 0; s->sh && t < s->nt; t++)
		sur_ws_free(s->sh[t].ws);
	free(s->sh);
	free(s);
}

static void *
share_work(void *arg)
{
	struct share *h = arg;
	const struct sur_scorer *s = h->s;
	h->rc = 0;
	/* in chunks of rows that stay in L2 (256 KiB of features) between
	 * the standardisation, the forward pass and the score: a whole share
	 * at once went out to memory and back at each step (at d = 2048,
	 * 1,024 rows are 8 MB).  Every step is row-pure: the chunking
	 * changes no bit. */
	size_t R = ((size_t)65536 / (size_t)(s->d > 0 ? s->d : 1)) / 4 * 4;
	if (R < 4)
		R = 4;
	/* (influence works on whole blocks of its own: its scratch is sized
	 * per call) */
	if (sur_method_needs_influence(s->meth))
		R = h->n;
	size_t k = s->m ? (size_t)s->m->k : 0;
	for (size_t i0 = 0; h->rc == 0 && i0 < h->n; i0 += R) {
		size_t nb = h->n - i0 < R ? h->n - i0 : R;
		const float *X = h->X + i0 * (size_t)s->d;
		float *P = h->P ? h->P + i0 * k : NULL;
		if (s->m)
			h->rc = sur_predict_proba(s->m, X, nb, P, h->ws, &h->err);
		if (h->rc == 0 && s->meth == SUR_PROTOTYPE)
			sur_proto_scores(s->C, s->kc, s->d, X, nb, h->out + i0);
		else if (h->rc == 0)
			h->rc = sur_score_block(s->m, s->meth, X, P, h->y ? h->y + i0 : NULL, nb,
			                        h->out + i0, h->ws, &h->err);
	}
	return NULL;
}

int
sur_scorer_run(struct sur_scorer *s, const float *X, const int *y, size_t n, float *P,
               double *out, struct wn_err *err)
{
	/* shares of whole tiles of four rows where there are enough rows
	 * (the split changes no bit, only the edges' wasted work) */
	size_t per = (n + (size_t)s->nt - 1) / (size_t)s->nt;
	per = (per + 3) / 4 * 4;
	size_t k = s->m ? (size_t)s->m->k : 0;
	for (int t = 0; t < s->nt; t++) {
		struct share *h = &s->sh[t];
		size_t i0 = per * (size_t)t < n ? per * (size_t)t : n;
		h->s = s;
		h->n = n - i0 < per ? n - i0 : per;
		h->X = X + i0 * (size_t)s->d;
		h->y = y ? y + i0 : NULL;
		h->P = P ? P + i0 * k : NULL;
		h->out = out + i0;
	}
	wn_run_threads(s->nt, share_work, s->sh, sizeof *s->sh);
	for (int t = 0; t < s->nt; t++)
		if (s->sh[t].rc != 0) {
			if (err)
				*err = s->sh[t].err;
			return -1;
		}
	return 0;
}
