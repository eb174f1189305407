/*
 * sgd.c - softmax regression by minibatches (see sgd.h).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "optim.h"
#include "sgd.h"
#include "softmax.h"

struct sur_sgd {
	struct sur_sgd_opts o;
	struct sur_model *m;
	size_t n;
	int d, k;
	double lr;              /* rate in use */
	size_t ne;              /* rows of the last epoch */
	double sumw;            /* weight sum of the creation weights */
	long long step;         /* optimiser steps (Adam's t) */
	float *mW, *vW, *mb, *vb;       /* moments (vW, vb unused by momentum) */
	size_t *order;          /* n: the epoch's rows */
	struct sur_ord *tmp;    /* n */
	size_t *rows;           /* batch: its rows */
	size_t nb;
	float *X, *Xs, *w, *gW, *gb, *P;        /* batch: raw and standardised rows,
	                                         * weights, gradient, probabilities */
	int *y;
	struct sur_ws *ws;      /* sifting's forward pass */
};

void
sur_sgd_opts_default(struct sur_sgd_opts *o)
{
	memset(o, 0, sizeof *o);
	sur_minibatch_opts_default(&o->mb);
	o->mb.norm = SUR_NORM_WEIGHT;
	o->intercept = 1;
}

void
sur_sgd_free(struct sur_sgd *t)
{
	if (!t)
		return;
	sur_model_free(t->m);
	sur_ws_free(t->ws);
	free(t->mW);
	free(t->vW);
	free(t->mb);
	free(t->vb);
	free(t->order);
	free(t->tmp);
	free(t->rows);
	free(t->X);
	free(t->Xs);
	free(t->w);
	free(t->gW);
	free(t->gb);
	free(t->P);
	free(t->y);
	free(t);
}

struct sur_sgd *
sur_sgd_new(const struct sur_sgd_opts *o, const float *X, const float *w, size_t n, int d,
            const char *const *classes, int k, struct wn_err *err)
{
	const struct sur_minibatch_opts *mb = &o->mb;
	if (mb->batch < 1 || !(mb->lr > 0) || !(mb->momentum >= 0 && mb->momentum < 1) ||
	    !(mb->beta2 >= 0 && mb->beta2 < 1) || !(mb->eps > 0) || !(mb->lambda >= 0) || n == 0) {
		wn_seterr(err, WN_EUSAGE, "sgd: bad options (batch %d, lr %g, momentum %g, beta2 "
		          "%g, eps %g, lambda %g) or no rows", mb->batch, mb->lr, mb->momentum,
		          mb->beta2, mb->eps, mb->lambda);
		return NULL;
	}
	struct sur_sgd *t = calloc(1, sizeof *t);
	if (!t)
		goto oom;
	t->o = *o;
	t->o.mb.adam = o->mb.adam != 0;
	t->n = n;
	t->d = d;
	t->k = k;
	t->lr = o->mb.lr;
	size_t B = (size_t)o->mb.batch, nw = (size_t)k * (size_t)d;
	if (!(t->m = sur_model_new(SUR_SOFTMAX, d, k, 0, err)) ||
	    sur_model_set_classes(t->m, classes, err) != 0) {
		sur_sgd_free(t);
		return NULL;
	}
	struct sur_hyper *hp = &t->m->hp;
	sur_minibatch_hyper(hp, &o->mb);
	hp->intercept = o->intercept;
	if (o->mb.standardize)
		sur_fit_standardize(t->m, X, n, w);
	for (size_t i = 0; i < n; i++)
		t->sumw += w ? w[i] : 1;
	t->mW = calloc(nw, sizeof *t->mW);
	t->vW = calloc(nw, sizeof *t->vW);
	t->mb = calloc((size_t)k, sizeof *t->mb);
	t->vb = calloc((size_t)k, sizeof *t->vb);
	t->order = malloc(n * sizeof *t->order);
	t->tmp = malloc(n * sizeof *t->tmp);
	t->rows = malloc(B * sizeof *t->rows);
	t->X = malloc(B * (size_t)d * sizeof *t->X);
	t->Xs = malloc(B * (size_t)d * sizeof *t->Xs);
	t->w = malloc(B * sizeof *t->w);
	t->y = malloc(B * sizeof *t->y);
	t->gW = malloc(nw * sizeof *t->gW);
	t->gb = malloc((size_t)k * sizeof *t->gb);
	t->P = malloc(B * (size_t)k * sizeof *t->P);
	if (!t->mW || !t->vW || !t->mb || !t->vb || !t->order || !t->tmp || !t->rows || !t->X ||
	    !t->Xs || !t->w || !t->y || !t->gW || !t->gb || !t->P) {
		sur_sgd_free(t);
		goto oom;
	}
	return t;
oom:
	wn_seterr(err, WN_ESOFTWARE, "sgd: out of memory for %zu rows of %d features", n, d);
	return NULL;
}

/* One optimiser step on the rows in t->rows[0..t->nb); returns the
 * batch's data loss times its row count (0 for a batch of zero weights,
 * which takes no step). */
static int
step(struct sur_sgd *t, const float *X, const int *y, const float *w, double *lsum,
     struct wn_err *err)
{
	struct sur_model *m = t->m;
	size_t d = (size_t)t->d, k = (size_t)t->k, nw = k * d;
	double S = 0, f, reg = 0;

	*lsum = 0;
	for (size_t i = 0; i < t->nb; i++) {
		memcpy(t->X + i * d, X + t->rows[i] * d, d * sizeof *t->X);
		t->y[i] = y[t->rows[i]];
		if (w)
			t->w[i] = w[t->rows[i]];
		S += w ? w[t->rows[i]] : 1;
	}
	if (t->o.mb.norm == SUR_NORM_GIVEN)
		S = t->o.mb.norm_n * (double)t->nb / (double)t->n;
	else if (S <= 0)
		return 0;
	sur_standardize(m, t->X, t->nb, t->Xs);
	if (sur_softmax_loss_grad(m, t->Xs, t->y, w ? t->w : NULL, t->nb, S, t->o.mb.lambda, &f,
	                          t->gW, t->gb, err) != 0)
		return -1;
	for (size_t j = 0; j < nw; j++)
		reg += (double)m->w1[j] * m->w1[j];
	f -= 0.5 * t->o.mb.lambda * reg;
	/* the gradient holds the L2 term already */
	const struct sur_minibatch_opts *mbo = &t->o.mb;
	struct sur_optim opt = { mbo->adam, t->lr, mbo->momentum, mbo->beta2, mbo->eps };
	t->step += mbo->adam;
	sur_optim_step(&opt, t->step, m->w1, t->gW, t->mW, t->vW, nw, 0);
	sur_optim_step(&opt, t->step, m->b1, t->gb, t->mb, t->vb, k, 0);
	if (!t->o.intercept)
		memset(m->b1, 0, k * sizeof *m->b1);
	if (t->o.mb.on_step)
		t->o.mb.on_step(t->o.mb.keep_ctx, t->nb);
	*lsum = f * (double)t->nb;
	return 0;
}

int
sur_sgd_epoch(struct sur_sgd *t, const float *X, const int *y, const float *w, size_t n,
              int subset, double *loss, struct wn_err *err)
{
	struct sur_model *m = t->m;
	size_t d = (size_t)t->d, k = (size_t)t->k, B = (size_t)t->o.mb.batch, ne = n;
	int e = m->hp.iterations;
	double lsum = 0, l;
	long long lrows = 0;

	if (n != t->n)
		return wn_seterr(err, WN_EDATA, "sgd: epoch over %zu rows, the trainer was made "
		                 "for %zu", n, t->n);
	for (size_t i = 0; i < n; i++)
		if (y[i] < 0 || y[i] >= t->k)
			return wn_seterr(err, WN_EDATA, "training row %zu: label index %d not in "
			                 "[0, %d)", i, y[i], t->k);
	sur_epoch_order(t->o.mb.seed, e, t->o.mb.keys, NULL, n, t->tmp, t->order);
	if (subset) {
		/* the epoch's order restricted to the subset */
		size_t q = 0;
		for (size_t i = 0; i < n; i++)
			if (w[t->order[i]] > 0)
				t->order[q++] = t->order[i];
		ne = q;
	}
	t->nb = 0;
	for (size_t c0 = 0; c0 < ne; c0 += B) {
		size_t nc = ne - c0 < B ? ne - c0 : B;
		if (!t->o.mb.keep) {
			memcpy(t->rows, t->order + c0, nc * sizeof *t->order);
			t->nb = nc;
			if (step(t, X, y, w, &l, err) != 0)
				return -1;
			lsum += l;
			lrows += (long long)nc;
			t->nb = 0;
			continue;
		}
		/* sifting: the forward pass over the candidates, then the
		 * kept ones fill the batch */
		if (!t->ws && !(t->ws = sur_ws_new(m, B, err)))
			return -1;
		for (size_t i = 0; i < nc; i++)
			memcpy(t->Xs + i * d, X + t->order[c0 + i] * d, d * sizeof *t->Xs);
		if (sur_predict_proba(m, t->Xs, nc, t->P, t->ws, err) != 0)
			return -1;
		for (size_t i = 0; i < nc; i++) {
			size_t r = t->order[c0 + i];
			float li = (float)-log(fmax(t->P[i * k + (size_t)y[r]], FLT_MIN));
			if (!t->o.mb.keep(t->o.mb.keep_ctx, r, li))
				continue;
			t->rows[t->nb++] = r;
			if (t->nb == B) {
				if (step(t, X, y, w, &l, err) != 0)
					return -1;
				lsum += l;
				lrows += (long long)t->nb;
				t->nb = 0;
			}
		}
	}
	if (t->nb > 0) {
		if (step(t, X, y, w, &l, err) != 0)
			return -1;
		lsum += l;
		lrows += (long long)t->nb;
		t->nb = 0;
	}
	t->ne = ne;
	m->hp.iterations = e + 1;
	m->hp.n_train = (long long)n;
	m->hp.sum_weight = t->sumw;
	m->hp.objective = lrows ? lsum / (double)lrows : 0;
	if (loss)
		*loss = m->hp.objective;
	return 0;
}

size_t
sur_sgd_epoch_rows(const struct sur_sgd *t)
{
	return t->ne;
}

void
sur_sgd_set_lr(struct sur_sgd *t, double lr)
{
	t->lr = lr;
}

const struct sur_model *
sur_sgd_model(const struct sur_sgd *t)
{
	return t->m;
}

int
sur_sgd_save(const struct sur_sgd *t, FILE *fp, const char *name, struct wn_err *err)
{
	size_t k = (size_t)t->k, nw = k * (size_t)t->d;
	int64_t s = t->step;
	if (sur_model_save(t->m, fp, name, err) != 0)
		return -1;
	if (fwrite(&s, sizeof s, 1, fp) != 1 || fwrite(t->mW, sizeof *t->mW, nw, fp) != nw ||
	    fwrite(t->vW, sizeof *t->vW, nw, fp) != nw || fwrite(t->mb, sizeof *t->mb, k, fp) != k ||
	    fwrite(t->vb, sizeof *t->vb, k, fp) != k)
		return wn_seterr(err, WN_EIO, "%s: write error", name);
	return 0;
}

int
sur_sgd_load(struct sur_sgd *t, FILE *fp, const char *name, struct wn_err *err)
{
	size_t k = (size_t)t->k, nw = k * (size_t)t->d;
	int64_t s;
	struct sur_model *m = sur_model_load(fp, name, err);
	if (!m)
		return -1;
	if (m->d != t->d || m->k != t->k || m->kind != SUR_SOFTMAX) {
		sur_model_free(m);
		return wn_seterr(err, WN_EDATA, "%s: checkpoint model has the wrong shape", name);
	}
	if (fread(&s, sizeof s, 1, fp) != 1 || fread(t->mW, sizeof *t->mW, nw, fp) != nw ||
	    fread(t->vW, sizeof *t->vW, nw, fp) != nw || fread(t->mb, sizeof *t->mb, k, fp) != k ||
	    fread(t->vb, sizeof *t->vb, k, fp) != k) {
		sur_model_free(m);
		return wn_seterr(err, WN_EDATA, "%s: checkpoint truncated", name);
	}
	sur_model_free(t->m);
	t->m = m;
	t->step = s;
	sur_ws_free(t->ws);
	t->ws = NULL;
	return 0;
}
