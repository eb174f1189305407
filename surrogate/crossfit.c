/*
 * crossfit.c - K-fold cross-fitting of the surrogate trainers (see
 * crossfit.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crossfit.h"
#include "hash.h"

int
sur_cf_fold(uint64_t key, unsigned long long seed, int folds)
{
	int f = (int)(wn_u01_counter(seed, WN_STREAM_FOLD, key) * folds);
	return f < folds ? f : folds - 1;
}

long long
sur_cf_nonfinite(const struct sur_data *D, int *col)
{
	for (size_t i = 0; i < D->n; i++)
		for (int j = 0; j < D->d; j++)
			if (!isfinite(D->X[i * (size_t)D->d + j])) {
				*col = j;
				return (long long)i;
			}
	return -1;
}

int
sur_cf_predict(const struct sur_data *D, const struct sur_cf_opts *o, int *fold, float *P,
               struct wn_err *err)
{
	size_t n = D->n, d = (size_t)D->d, k = (size_t)D->k;
	int K = o->folds, ret = -1;
	if (K < 2)
		return wn_seterr(err, WN_EUSAGE, "%d folds: cross-fitting needs at least 2", K);
	long long *count = calloc(k, sizeof *count);
	size_t *fsize = calloc((size_t)K, sizeof *fsize);
	int *fd = fold ? fold : malloc((n ? n : 1) * sizeof *fd);
	float *Xt = NULL, *wt = NULL;
	int *yt = NULL;
	uint64_t *kt = NULL;
	struct sur_ws *ws = NULL;
	if (!count || !fsize || !fd) {
		wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu rows", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		count[D->y[i]]++;
		fd[i] = sur_cf_fold(D->keys[i], o->seed, K);
		fsize[fd[i]]++;
	}
	for (size_t c = 0; c < k; c++)
		if (count[c] < K) {
			wn_seterr(err, WN_EDATA, "class \"%s\" has %lld labeled row%s, fewer than "
			          "the %d folds: too few to judge (lower --folds or label more)",
			          D->classes[c], count[c], count[c] == 1 ? "" : "s", K);
			goto out;
		}
	size_t maxtrain = 0;
	for (int f = 0; f < K; f++) {
		if (fsize[f] == n) {
			wn_seterr(err, WN_EDATA, "all %zu labeled rows fall in fold %d: nothing to "
			          "train its model on (more rows, or another --seed)", n, f);
			goto out;
		}
		if (n - fsize[f] > maxtrain)
			maxtrain = n - fsize[f];
	}
	Xt = malloc(maxtrain * d * sizeof *Xt);
	yt = malloc(maxtrain * sizeof *yt);
	kt = malloc(maxtrain * sizeof *kt);
	wt = D->w ? malloc(maxtrain * sizeof *wt) : NULL;
	if (!Xt || !yt || !kt || (D->w && !wt)) {
		wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu training rows of %zu features",
		          maxtrain, d);
		goto out;
	}
	for (int f = 0; f < K; f++) {
		size_t nt = 0;
		for (size_t i = 0; i < n; i++) {
			if (fd[i] == f)
				continue;
			memcpy(Xt + nt * d, D->X + i * d, d * sizeof *Xt);
			yt[nt] = D->y[i];
			kt[nt] = D->keys[i];
			if (wt)
				wt[nt] = D->w[i];
			nt++;
		}
		struct sur_model *m;
		if (o->kind == SUR_MLP) {
			struct sur_mlp_opts mo = o->mlp;
			mo.mb.keys = kt;
			m = sur_mlp_fit(Xt, yt, wt, nt, D->d, (const char *const *)D->classes, D->k,
			                &mo, err);
		} else {
			struct sur_softmax_opts so = o->softmax;
			so.infl = SUR_INFL_NONE;
			so.consume_x = 1;
			m = sur_softmax_fit(Xt, yt, wt, nt, D->d, (const char *const *)D->classes,
			                    D->k, &so, err);
		}
		if (!m)
			goto out;
		if (!ws && !(ws = sur_ws_new(m, 0, err))) {
			sur_model_free(m);
			goto out;
		}
		/* the held-out rows, one at a time (prediction is row-pure) */
		for (size_t i = 0; i < n; i++)
			if (fd[i] == f &&
			    sur_predict_proba(m, D->X + i * d, 1, P + i * k, ws, err) != 0) {
				sur_model_free(m);
				goto out;
			}
		if (o->on_fold)
			o->on_fold(o->ctx, f, nt, n - nt, m);
		sur_model_free(m);
	}
	ret = 0;
out:
	sur_ws_free(ws);
	free(count);
	free(fsize);
	if (fd != fold)
		free(fd);
	free(Xt);
	free(yt);
	free(kt);
	free(wt);
	return ret;
}
