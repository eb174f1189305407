/*
 * mlp.c - one-hidden-layer MLP trained by minibatch Adam or SGD with
 * momentum (mlp.h).
 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "internal.h"
#include "mlp.h"
#include "optim.h"

/* Separates the weight-initialisation draws from the shuffles, which use
 * the seed itself (both under WN_STREAM_SHUFFLE; lib/hash.h has no
 * stream for initialisation). */
#define INIT_SALT 0x6d6c702d696e6974ULL     /* "mlp-init" */

void
sur_mlp_opts_default(struct sur_mlp_opts *o)
{
	memset(o, 0, sizeof *o);
	sur_minibatch_opts_default(&o->mb);
	o->hidden = 256;
}


enum { NP = 4 };    /* parameter tensors: W1 b1 W2 b2 */

struct sur_mlp_trainer {
	struct sur_mlp_opts o;
	struct sur_model *m;
	size_t n;           /* rows the trainer was made for */
	long long step;     /* optimiser steps taken */
	float *mom[NP], *vel[NP];   /* Adam first/second moments (SGD: mom only) */
	/* batch workspace */
	size_t *order;
	struct sur_ord *key;
	float *xs, *a, *z, *da, *g[NP];
	float *closs;       /* sifting: the forward-pass losses of a chunk of candidates */
	size_t *kept;       /* sifting: the rows kept for the next step */
};

static float **
param(struct sur_model *m, int i)
{
	switch (i) {
	case 0: return &m->w1;
	case 1: return &m->b1;
	case 2: return &m->w2;
	default: return &m->b2;
	}
}

static size_t
psize(const struct sur_model *m, int i)
{
	switch (i) {
	case 0: return (size_t)m->h * m->d;
	case 1: return m->h;
	case 2: return (size_t)m->k * m->h;
	default: return m->k;
	}
}

static const char *const pname[NP] = { "W1", "b1", "W2", "b2" };

void
sur_mlp_trainer_free(struct sur_mlp_trainer *t)
{
	if (!t)
		return;
	sur_model_free(t->m);
	for (int i = 0; i < NP; i++) {
		free(t->mom[i]);
		free(t->vel[i]);
		free(t->g[i]);
	}
	free(t->order);
	free(t->key);
	free(t->xs);
	free(t->a);
	free(t->z);
	free(t->da);
	free(t->closs);
	free(t->kept);
	free(t);
}

static int
check_opts(const struct sur_mlp_opts *o, struct wn_err *err)
{
	const struct sur_minibatch_opts *mb = &o->mb;
	if (o->hidden < 1 || o->hidden > (1 << 20) || mb->epochs < 0 || mb->batch < 1 ||
	    !(mb->lr > 0) || !isfinite(mb->lr) || !(mb->momentum >= 0 && mb->momentum < 1) ||
	    !(mb->beta2 >= 0 && mb->beta2 < 1) || !(mb->eps > 0) || !(mb->lambda >= 0) ||
	    !isfinite(mb->lambda) || (mb->norm == SUR_NORM_GIVEN && !(mb->norm_n > 0)) ||
	    (mb->norm != SUR_NORM_COUNT && mb->norm != SUR_NORM_WEIGHT &&
	     mb->norm != SUR_NORM_GIVEN))
		return wn_seterr(err, WN_EUSAGE, "mlp: bad options (hidden %d, epochs %d, batch %d, "
		                 "lr %g, momentum %g, beta2 %g, eps %g, lambda %g, norm %d, N %g)",
		                 o->hidden, mb->epochs, mb->batch, mb->lr, mb->momentum, mb->beta2,
		                 mb->eps, mb->lambda, (int)mb->norm, mb->norm_n);
	return 0;
}

/* Allocate the moments and the workspace for t->m and t->n. */
static int
alloc_work(struct sur_mlp_trainer *t, struct wn_err *err)
{
	struct sur_model *m = t->m;
	size_t B = (size_t)t->o.mb.batch;
	for (int i = 0; i < NP; i++) {
		size_t s = psize(m, i);
		if (!(t->mom[i] = calloc(s, sizeof(float))) ||
		    !(t->vel[i] = calloc(s, sizeof(float))) ||
		    !(t->g[i] = malloc(s * sizeof(float))))
			goto oom;
	}
	t->order = malloc((t->n ? t->n : 1) * sizeof *t->order);
	t->key = malloc((t->n ? t->n : 1) * sizeof *t->key);
	t->xs = malloc(sur__mul(B, m->d) * sizeof(float));
	t->a = malloc(sur__mul(B, m->h) * sizeof(float));
	t->z = malloc(sur__mul(B, m->k) * sizeof(float));
	t->da = malloc(sur__mul(B, m->h) * sizeof(float));
	t->closs = malloc(B * sizeof *t->closs);
	t->kept = malloc(B * sizeof *t->kept);
	if (!t->order || !t->key || !t->xs || !t->a || !t->z || !t->da || !t->closs || !t->kept)
		goto oom;
	return 0;
oom:
	return wn_seterr(err, WN_ESOFTWARE, "mlp: out of memory (hidden %d, d %d, batch %zu)",
	                 m->h, m->d, B);
}

static void
set_hyper(struct sur_model *m, const struct sur_mlp_opts *o)
{
	struct sur_hyper *hp = &m->hp;
	sur_minibatch_hyper(hp, &o->mb);
	hp->norm_n = o->mb.norm == SUR_NORM_GIVEN ? o->mb.norm_n : 0;
	hp->intercept = 1;
}

struct sur_mlp_trainer *
sur_mlp_trainer_new(const struct sur_mlp_opts *o, const float *X,
                    const float *w, size_t n, int d,
                    const char *const *classes, int k,
                    struct wn_err *err)
{
	struct sur_mlp_opts def;
	if (!o) {
		sur_mlp_opts_default(&def);
		o = &def;
	}
	if (check_opts(o, err) < 0)
		return NULL;
	if (n == 0) {
		wn_seterr(err, WN_EDATA, "mlp: no training rows");
		return NULL;
	}
	struct sur_mlp_trainer *t = calloc(1, sizeof *t);
	if (!t) {
		wn_seterr(err, WN_ESOFTWARE, "mlp: out of memory");
		return NULL;
	}
	t->o = *o;
	t->n = n;
	if (!(t->m = sur_model_new(SUR_MLP, d, k, o->hidden, err)) ||
	    sur_model_set_classes(t->m, classes, err) < 0 || alloc_work(t, err) < 0)
		goto fail;
	struct sur_model *m = t->m;
	set_hyper(m, o);
	m->hp.n_train = (long long)n;
	double sw = 0;
	for (size_t i = 0; i < n; i++) {
		double wi = w ? w[i] : 1.0;
		if (!(wi >= 0) || !isfinite(wi)) {
			wn_seterr(err, WN_EDATA, "training row %zu: weight %g is not a finite number "
			          ">= 0", i, wi);
			goto fail;
		}
		sw += wi;
		for (int j = 0; j < d; j++)
			if (!isfinite(X[i * (size_t)d + j])) {
				wn_seterr(err, WN_EDATA, "training row %zu: feature %d is %g", i, j,
				          X[i * (size_t)d + j]);
				goto fail;
			}
	}
	if (!(sw > 0)) {
		wn_seterr(err, WN_EDATA, "the training weights sum to 0");
		goto fail;
	}
	m->hp.sum_weight = sw;
	if (o->mb.standardize)
		sur_fit_standardize(m, X, n, w);
	/* He-normal W1 (fan-in d), Glorot-like W2 (fan-in h), zero biases */
	uint64_t is = wn_splitmix64(o->mb.seed ^ INIT_SALT);
	size_t hd = (size_t)m->h * d, kh = (size_t)k * m->h;
	double s1 = sqrt(2.0 / d), s2 = sqrt(1.0 / m->h);
	for (size_t j = 0; j < hd; j++)
		m->w1[j] = (float)(s1 * wn_normal_counter(is, WN_STREAM_SHUFFLE, j));
	for (size_t j = 0; j < kh; j++)
		m->w2[j] = (float)(s2 * wn_normal_counter(is, WN_STREAM_SHUFFLE, hd + j));
	return t;
fail:
	sur_mlp_trainer_free(t);
	return NULL;
}

int
sur_mlp_trainer_epochs_done(const struct sur_mlp_trainer *t)
{
	return t->m->hp.iterations;
}

const struct sur_model *
sur_mlp_trainer_model(const struct sur_mlp_trainer *t)
{
	return t->m;
}

/* The forward pass on rows idx[0..nb) of X (nb <= batch): the
 * standardised rows in t->xs, the hidden activations in t->a, the logits
 * in t->z. */
static void
forward(struct sur_mlp_trainer *t, const float *X, const size_t *idx, size_t nb)
{
	struct sur_model *m = t->m;
	int d = m->d, h = m->h, k = m->k;
	for (size_t i = 0; i < nb; i++)
		sur_standardize(m, X + idx[i] * d, 1, t->xs + i * d);
	for (size_t i = 0; i < nb; i++)
		memcpy(t->a + i * h, m->b1, h * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, h, d, 1.0f, t->xs, d, m->w1,
	            d, 1.0f, t->a, h);
	for (size_t j = 0; j < nb * (size_t)h; j++)
		if (t->a[j] < 0)
			t->a[j] = 0;
	for (size_t i = 0; i < nb; i++)
		memcpy(t->z + i * k, m->b2, k * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, k, h, 1.0f, t->a, h, m->w2,
	            h, 1.0f, t->z, k);
}

/* One optimiser step on rows idx[0..nb) of X; *ls, *sw get the summed
 * weighted loss and weight of the batch. */
static void
step(struct sur_mlp_trainer *t, const float *X, const int *y, const float *w,
     const size_t *idx, size_t nb, double *ls, double *swb)
{
	struct sur_model *m = t->m;
	const struct sur_mlp_opts *o = &t->o;
	int d = m->d, h = m->h, k = m->k;
	double sw = 0, sum = 0;
	for (size_t i = 0; i < nb; i++)
		sw += w ? w[idx[i]] : 1.0;
	*swb = sw;
	double S;
	switch (o->mb.norm) {
	case SUR_NORM_WEIGHT: S = sw; break;
	case SUR_NORM_GIVEN: S = o->mb.norm_n * (double)nb / (double)t->n; break;
	default: S = (double)nb;
	}
	forward(t, X, idx, nb);
	/* loss and dz = (s_i / S)(p - e_y), in place in z */
	for (size_t i = 0; i < nb; i++) {
		float *z = t->z + i * k;
		int yi = y[idx[i]];
		double wi = w ? w[idx[i]] : 1.0, nll;
		double se = sur__exp_logits(z, k, yi, &nll);
		sum += wi * nll;
		float sc = S > 0 ? (float)(wi / S) : 0.0f, inv = (float)(1.0 / se);
		for (int c = 0; c < k; c++)
			z[c] = sc * (z[c] * inv - (c == yi));
	}
	*ls = sum;
	if (!(S > 0))
		return;
	/* backward */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, h, (int)nb, 1.0f, t->z, k, t->a,
	            h, 0.0f, t->g[2], h);
	for (int c = 0; c < k; c++) {
		float s = 0;
		for (size_t i = 0; i < nb; i++)
			s += t->z[i * k + c];
		t->g[3][c] = s;
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, h, k, 1.0f, t->z, k, m->w2,
	            h, 0.0f, t->da, h);
	for (size_t j = 0; j < nb * (size_t)h; j++)
		if (t->a[j] <= 0)
			t->da[j] = 0;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, d, (int)nb, 1.0f, t->da, h, t->xs,
	            d, 0.0f, t->g[0], d);
	for (int u = 0; u < h; u++) {
		float s = 0;
		for (size_t i = 0; i < nb; i++)
			s += t->da[i * h + u];
		t->g[1][u] = s;
	}
	/* update: the L2 term on the weights, not the biases */
	t->step++;
	struct sur_optim opt = { o->mb.adam, o->mb.lr, o->mb.momentum, o->mb.beta2, o->mb.eps };
	for (int p = 0; p < NP; p++)
		sur_optim_step(&opt, t->step, *param(m, p), t->g[p], t->mom[p], t->vel[p],
		               psize(m, p), (p == 0 || p == 2) ? o->mb.lambda : 0);
	if (o->mb.on_step)
		o->mb.on_step(o->mb.keep_ctx, nb);
}

/* Steps over the candidates order[0..nc) with sifting: forward pass on
 * each chunk of `batch` candidates, o->mb.keep decides per row, and the kept
 * rows fill the minibatches (the last one of the epoch may be short). */
static void
sifted_steps(struct sur_mlp_trainer *t, const float *X, const int *y,
             const float *w, size_t nc, double *ls, double *sw)
{
	const struct sur_mlp_opts *o = &t->o;
	size_t B = (size_t)o->mb.batch, nk = 0;
	int k = t->m->k;
	double l, s;
	for (size_t c0 = 0; c0 < nc; c0 += B) {
		size_t nb = nc - c0 < B ? nc - c0 : B;
		const size_t *cand = t->order + c0;
		/* all losses of the chunk first: a step below reuses t->z */
		forward(t, X, cand, nb);
		for (size_t i = 0; i < nb; i++) {
			double nll;
			sur__exp_logits(t->z + i * k, k, y[cand[i]], &nll);
			t->closs[i] = (float)nll;
		}
		for (size_t i = 0; i < nb; i++) {
			if (!o->mb.keep(o->mb.keep_ctx, cand[i], t->closs[i]))
				continue;
			t->kept[nk++] = cand[i];
			if (nk == B) {
				step(t, X, y, w, t->kept, nk, &l, &s);
				*ls += l;
				*sw += s;
				nk = 0;
			}
		}
	}
	if (nk > 0) {
		step(t, X, y, w, t->kept, nk, &l, &s);
		*ls += l;
		*sw += s;
	}
}

/* An epoch over rows[0..nrows), or over all n rows when rows is NULL, in
 * the epoch's shuffle order. */
static int
run_epoch(struct sur_mlp_trainer *t, const float *X, const int *y, const float *w,
          size_t n, const size_t *rows, size_t nrows, double *loss,
          struct wn_err *err)
{
	struct sur_model *m = t->m;
	if (n != t->n)
		return wn_seterr(err, WN_EDATA, "mlp: epoch over %zu rows, the trainer was made "
		                 "for %zu", n, t->n);
	if (nrows == 0 || nrows > n)
		return wn_seterr(err, WN_EUSAGE, "mlp: an epoch over %zu of %zu rows", nrows, n);
	for (size_t j = 0; j < nrows; j++) {
		size_t i = rows ? rows[j] : j;
		if (i >= n)
			return wn_seterr(err, WN_EDATA, "mlp: subset entry %zu: row %zu of %zu", j,
			                 i, n);
		if (y[i] < 0 || y[i] >= m->k)
			return wn_seterr(err, WN_EDATA, "training row %zu: label index %d not in "
			                 "[0, %d)", i, y[i], m->k);
	}
	int e = m->hp.iterations;
	sur_epoch_order(t->o.mb.seed, e, t->o.mb.keys, rows, nrows, t->key, t->order);
	double ls = 0, sw = 0;
	if (t->o.mb.keep)
		sifted_steps(t, X, y, w, nrows, &ls, &sw);
	else
		for (size_t i0 = 0, B = (size_t)t->o.mb.batch; i0 < nrows; i0 += B) {
			size_t nb = nrows - i0 < B ? nrows - i0 : B;
			double l, s;
			step(t, X, y, w, t->order + i0, nb, &l, &s);
			ls += l;
			sw += s;
		}
	double mean = sw > 0 ? ls / sw : 0;
	if (!isfinite(mean))
		return wn_seterr(err, WN_EDATA, "mlp: epoch %d: the loss is not finite (%g): "
		                 "lower the learning rate", e + 1, mean);
	double reg = 0;
	for (size_t j = 0; j < psize(m, 0); j++)
		reg += (double)m->w1[j] * m->w1[j];
	for (size_t j = 0; j < psize(m, 2); j++)
		reg += (double)m->w2[j] * m->w2[j];
	m->hp.iterations = e + 1;
	m->hp.objective = mean + 0.5 * t->o.mb.lambda * reg;
	m->hp.grad_norm = 0;
	if (loss)
		*loss = mean;
	return 0;
}

int
sur_mlp_trainer_epoch(struct sur_mlp_trainer *t, const float *X, const int *y,
                      const float *w, size_t n, double *loss, struct wn_err *err)
{
	return run_epoch(t, X, y, w, n, NULL, n, loss, err);
}

int
sur_mlp_trainer_epoch_rows(struct sur_mlp_trainer *t, const float *X, const int *y,
                           const float *w, size_t n, const size_t *rows, size_t nrows,
                           double *loss, struct wn_err *err)
{
	return run_epoch(t, X, y, w, n, rows, nrows, loss, err);
}

void
sur_mlp_trainer_set_lr(struct sur_mlp_trainer *t, double lr)
{
	if (lr > 0 && isfinite(lr))
		t->o.mb.lr = lr;
}

struct sur_model *
sur_mlp_fit(const float *X, const int *y, const float *w, size_t n, int d,
            const char *const *classes, int k,
            const struct sur_mlp_opts *o, struct wn_err *err)
{
	struct sur_mlp_opts def;
	if (!o) {
		sur_mlp_opts_default(&def);
		o = &def;
	}
	struct sur_mlp_trainer *t = sur_mlp_trainer_new(o, X, w, n, d, classes, k, err);
	if (!t)
		return NULL;
	while (t->m->hp.iterations < o->mb.epochs) {
		double l;
		if (sur_mlp_trainer_epoch(t, X, y, w, n, &l, err) < 0) {
			sur_mlp_trainer_free(t);
			return NULL;
		}
		if (o->on_epoch && o->on_epoch(o->ctx, t, t->m->hp.iterations, l))
			break;
	}
	struct sur_model *m = t->m;
	t->m = NULL;
	sur_mlp_trainer_free(t);
	return m;
}

/* ---- checkpoints ------------------------------------------------------- */

static void
state_tensors(struct sur_mlp_trainer *t, struct sur__tensor *ts)
{
	static const char *const mn[NP] = { "m_W1", "m_b1", "m_W2", "m_b2" };
	static const char *const vn[NP] = { "v_W1", "v_b1", "v_W2", "v_b2" };
	struct sur_model *m = t->m;
	for (int i = 0; i < NP; i++) {
		size_t s = psize(m, i);
		size_t r0 = i == 0 ? (size_t)m->h : i == 2 ? (size_t)m->k : s;
		size_t r1 = i == 0 ? (size_t)m->d : i == 2 ? (size_t)m->h : 0;
		int rank = r1 ? 2 : 1;
		ts[i] = (struct sur__tensor){ mn[i], t->mom[i], s, rank, { r0, r1 }, 0 };
		ts[NP + i] = (struct sur__tensor){ vn[i], t->vel[i], s, rank, { r0, r1 }, 0 };
	}
	(void)pname;
}

int
sur_mlp_trainer_save(const struct sur_mlp_trainer *t, FILE *fp, const char *name,
                     struct wn_err *err)
{
	struct sur_mlp_trainer *tt = (struct sur_mlp_trainer *)t;
	struct sur__tensor ts[2 * NP];
	if (sur_model_save(t->m, fp, name, err) < 0)
		return -1;
	fprintf(fp, "# winnow-mlp-state 1\n");
	fprintf(fp, "rows: %zu\n", t->n);
	fprintf(fp, "step: %lld\n", t->step);
	fprintf(fp, "beta2: %.17g\n", t->o.mb.beta2);
	fprintf(fp, "eps: %.17g\n", t->o.mb.eps);
	state_tensors(tt, ts);
	return sur__write_tensors(fp, name, ts, 2 * NP, err);
}

struct sur_mlp_trainer *
sur_mlp_trainer_load(FILE *fp, const char *name,
                     const struct sur_mlp_opts *o,
                     struct wn_err *err)
{
	struct sur_model *m = sur_model_load(fp, name, err);
	if (!m)
		return NULL;
	struct sur_mlp_trainer *t = NULL;
	char *line = NULL;
	size_t cap = 0;
	if (m->kind != SUR_MLP) {
		wn_seterr(err, WN_EDATA, "%s: a checkpoint holds an mlp model, not softmax", name);
		goto fail;
	}
	if (!(t = calloc(1, sizeof *t))) {
		wn_seterr(err, WN_ESOFTWARE, "mlp: out of memory");
		goto fail;
	}
	t->m = m;
	struct sur_mlp_opts *so = &t->o;
	sur_mlp_opts_default(so);
	so->hidden = m->h;
	so->mb.batch = m->hp.batch;
	so->mb.lr = m->hp.lr;
	so->mb.momentum = m->hp.momentum;
	so->mb.adam = m->hp.adam;
	so->mb.lambda = m->hp.lambda;
	so->mb.norm = m->hp.norm;
	so->mb.norm_n = m->hp.norm_n;
	so->mb.standardize = m->hp.standardize;
	so->mb.seed = m->hp.seed;
	so->mb.epochs = o ? o->mb.epochs : m->hp.epochs;
	if (o) {
		so->mb.keys = o->mb.keys;
		so->on_epoch = o->on_epoch;
		so->ctx = o->ctx;
		so->mb.keep = o->mb.keep;
		so->mb.on_step = o->mb.on_step;
		so->mb.keep_ctx = o->mb.keep_ctx;
	}
	static const char *const want[] = { "# winnow-mlp-state 1", "rows", "step", "beta2", "eps",
	                                    "tensors" };
	for (int i = 0; i < 6; i++) {
		int r = sur__getline(fp, &line, &cap);
		char *key, *val, *end;
		if (r <= 0 || (i == 0 && strcmp(line, want[0]) != 0) ||
		    (i > 0 && (!sur__split(line, &key, &val) || strcmp(key, want[i]) != 0))) {
			wn_seterr(err, r == -1 ? WN_EIO : WN_EDATA, "%s: checkpoint state: expected "
			          "\"%s\"%s", name, want[i], i ? ": VALUE" : " after the model");
			goto fail;
		}
		if (i == 0 || i == 5)
			continue;
		errno = 0;
		int ok;
		if (i <= 2) {
			long long v = strtoll(val, &end, 10);
			ok = *val && !*end && !errno && v >= 0;
			if (i == 1) t->n = (size_t)v; else t->step = v;
		} else {
			double v = strtod(val, &end);
			ok = *val && !*end && isfinite(v);
			if (i == 3) so->mb.beta2 = v; else so->mb.eps = v;
		}
		if (!ok) {
			wn_seterr(err, WN_EDATA, "%s: checkpoint state: bad value \"%.40s\" for %s",
			          name, val, want[i]);
			goto fail;
		}
	}
	if (check_opts(so, err) < 0) {
		err->code = WN_EDATA;
		goto fail;
	}
	if (alloc_work(t, err) < 0)
		goto fail;
	struct sur__tensor ts[2 * NP];
	state_tensors(t, ts);
	for (int i = 0; i < 2 * NP; i++)
		ts[i].data = NULL;
	if (sur__read_tensors(fp, name, ts, 2 * NP, err) < 0)
		goto fail;
	for (int i = 0; i < NP; i++) {
		free(t->mom[i]);
		free(t->vel[i]);
		t->mom[i] = ts[i].data;
		t->vel[i] = ts[NP + i].data;
	}
	free(line);
	return t;
fail:
	free(line);
	if (t)
		sur_mlp_trainer_free(t);
	else
		sur_model_free(m);
	return NULL;
}
