/*
 * adaptive.c - subset selection from a softmax output layer (adaptive.h):
 * the entry point, random selection and the helpers the methods share;
 * the methods in glister.c, gradmatch.c and craig.c.
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
int
ada__hash_sort(const struct ada_data *D, size_t *rows, size_t m, uint64_t seed,
               uint64_t stream)
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
void
ada__apportion(const size_t *sz, size_t g, size_t total, size_t budget, size_t *out)
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

/* ---- random ------------------------------------------------------------------ */

/* The first `want` rows of rows[0..m) in the order of
 * wn_u01_counter(seed, ADA_STREAM_RANDOM, key): moved to the front. */
int
ada__random_front(const struct ada_data *D, size_t *rows, size_t m, uint64_t seed)
{
	return ada__hash_sort(D, rows, m, seed, ADA_STREAM_RANDOM);
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
	if (ada__random_front(D, rows, D->n, o->seed) != 0) {
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


int
ada__group_classes(const struct ada_data *D, uint64_t seed, struct classes *G)
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
		if (ada__hash_sort(D, G->rows + G->off[c], G->off[c + 1] - G->off[c], seed,
		              ADA_STREAM_ORDER) != 0)
			return -1;
	return 0;
}

void
ada__free_classes(struct classes *G)
{
	free(G->rows);
	free(G->off);
}

/* Gather rows' features (m x d) and residual columns (m x ke; column c
 * only when ke == 1). */
void
ada__gather(const struct ada_data *D, const size_t *rows, size_t m, int ke, int c,
            float *X, float *R)
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
	case ADA_GLISTER: rc = ada__glister(tr, val, &oo, s, err); break;
	case ADA_GRADMATCH: rc = ada__gradmatch(tr, val, &oo, s, err); break;
	case ADA_CRAIG: rc = ada__craig(tr, &oo, s, err); break;
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
