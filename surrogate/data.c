/*
 * data.c - labeled training data from a manifest and an embeddings file.
 */
#include <errno.h>
#include <stdio.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "grow.h"
#include "hash.h"

static int
no_row_column(const struct mf_reader *r, const char *npyname, struct wn_err *err)
{
	return wn_seterr(err, WN_EDATA, "%s:1: no \"row\" column: which row of %s belongs to "
	                 "which line is not known (winnow-embed writes the column; pairing by "
	                 "position is not done)", mf_name(r), npyname);
}

int
sur_pair_open(const struct npy *emb, struct mf_reader *r, int *rowcol,
              struct wn_err *err)
{
	if (mf_check_dups(r, err) != 0)
		return -1;
	if ((*rowcol = mf_col(r, "row")) < 0)
		return no_row_column(r, emb->name, err);
	return 0;
}

int
sur_row_of(const struct mf_reader *r, int rowcol, size_t nrows, const char *npyname,
           size_t *row, struct wn_err *err)
{
	unsigned long long v;
	if (rowcol < 0)
		return no_row_column(r, npyname, err);
	const char *s = mf_field(r, (size_t)rowcol);
	char *end;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *s == '+' || *s == ' ')
		return wn_seterr(err, WN_EDATA, "%s:%lld: row \"%s\" is not a non-negative "
		                 "integer", mf_name(r), mf_lineno(r), s);
	if (v >= nrows)
		return wn_seterr(err, WN_EDATA, "%s:%lld: row %llu is past the end of %s "
		                 "(%zu rows)", mf_name(r), mf_lineno(r), v, npyname, nrows);
	*row = (size_t)v;
	return 0;
}

void
sur_data_free(struct sur_data *D)
{
	free(D->X);
	free(D->y);
	free(D->w);
	free(D->keys);
	free(D->row);
	if (D->classes)
		for (int c = 0; c < D->k; c++)
			free(D->classes[c]);
	free(D->classes);
	memset(D, 0, sizeof *D);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


int
sur_data_load(struct sur_data *D, const struct npy *emb, struct mf_reader *r,
              const char *weight_col, const char *drop_col,
              const char *const *classes, int k, struct wn_err *err)
{
	memset(D, 0, sizeof *D);
	const char *name = mf_name(r);
	int lc = mf_col(r, "label"), rc, wc = -1, dc = -1;
	char **labels = NULL;
	size_t n = 0, cl = 0, cr = 0, cw = 0, ck = 0, cy = 0;
	int ret = -1;
	if (lc < 0)
		return wn_seterr(err, WN_EDATA, "%s:1: no \"label\" column", name);
	if (sur_pair_open(emb, r, &rc, err) != 0)
		return -1;
	if (weight_col && (wc = mf_col(r, weight_col)) < 0)
		return wn_seterr(err, WN_EDATA, "%s:1: no \"%s\" column for the weights", name,
		                 weight_col);
	if (drop_col && (dc = mf_col(r, drop_col)) < 0)
		return wn_seterr(err, WN_EDATA, "%s:1: no \"%s\" column to leave rows out by", name,
		                 drop_col);
	if (emb->cols > 1000000)
		return wn_seterr(err, WN_EDATA, "%s: %zu columns is too wide", emb->name, emb->cols);
	D->d = (int)emb->cols;
	int got;
	while ((got = mf_next(r, err)) > 0) {
		const char *lab = mf_field(r, (size_t)lc);
		if (!*lab) {
			D->skipped++;
			continue;
		}
		if (dc >= 0) {
			const char *f = mf_field(r, (size_t)dc);
			if (strcmp(f, "1") == 0) {
				D->dropped++;
				continue;
			}
			if (*f && strcmp(f, "0") != 0) {
				wn_seterr(err, WN_EDATA, "%s:%lld: %s \"%s\" is not 0 or 1", name,
				          mf_lineno(r), drop_col, f);
				goto out;
			}
		}
		if (classes && !bsearch(&lab, classes, k, sizeof *classes, cmp_str)) {
			wn_seterr(err, WN_EDATA, "%s:%lld: label \"%s\" is not one of the %d classes "
			          "of the training set", name, mf_lineno(r), lab, k);
			goto out;
		}
		size_t row;
		if (sur_row_of(r, rc, emb->rows, emb->name, &row, err) < 0)
			goto out;
		if (wn_grow((void **)&labels, &cl, n + 1, sizeof *labels) < 0 ||
		    wn_grow((void **)&D->row, &cr, n + 1, sizeof *D->row) < 0 ||
		    wn_grow((void **)&D->keys, &ck, n + 1, sizeof *D->keys) < 0 ||
		    (wc >= 0 && wn_grow((void **)&D->w, &cw, n + 1, sizeof *D->w) < 0) ||
		    !(labels[n] = strdup(lab))) {
			wn_seterr(err, WN_ESOFTWARE, "out of memory after %zu labeled rows", n);
			goto out;
		}
		D->row[n] = row;
		D->keys[n] = wn_hash64(0, WN_STREAM_SHUFFLE, mf_id(r), strlen(mf_id(r)));
		if (wc >= 0) {
			const char *s = mf_field(r, (size_t)wc);
			char *end;
			errno = 0;
			double v = strtod(s, &end);
			if (!*s || *end || errno || !isfinite(v) || v < 0 || v > FLT_MAX) {
				n++;
				wn_seterr(err, WN_EDATA, "%s:%lld: weight \"%s\" is not a finite number "
				          ">= 0", name, mf_lineno(r), s);
				goto out;
			}
			D->w[n] = (float)v;
		}
		n++;
	}
	if (got < 0)
		goto out;
	if (n == 0) {
		if (D->skipped == 0)
			wn_seterr(err, WN_EDATA, "%s: no labeled rows: no rows at all", name);
		else
			wn_seterr(err, WN_EDATA, "%s: no labeled rows: the label of every row is "
			          "empty", name);
		goto out;
	}
	/* the classes */
	if (classes) {
		D->k = k;
		if (!(D->classes = calloc(k, sizeof *D->classes)))
			goto oom;
		for (int c = 0; c < k; c++)
			if (!(D->classes[c] = strdup(classes[c])))
				goto oom;
	} else {
		char **s = malloc(n * sizeof *s);
		if (!s)
			goto oom;
		memcpy(s, labels, n * sizeof *s);
		qsort(s, n, sizeof *s, cmp_str);
		int u = 0;
		for (size_t i = 0; i < n; i++)
			if (i == 0 || strcmp(s[i], s[i - 1]) != 0)
				s[u++] = s[i];
		if (u < 2) {
			wn_seterr(err, WN_EDATA, "%s: every labeled row has the label \"%s\": "
			          "a classifier needs at least 2 classes", name, s[0]);
			free(s);
			goto out;
		}
		if (u > 100000) {
			wn_seterr(err, WN_EDATA, "%s: %d classes is too many", name, u);
			free(s);
			goto out;
		}
		D->k = u;
		D->classes = calloc(u, sizeof *D->classes);
		for (int c = 0; D->classes && c < u; c++)
			if (!(D->classes[c] = strdup(s[c])))
				break;
		free(s);
		for (int c = 0; c < u; c++)
			if (!D->classes || !D->classes[c])
				goto oom;
	}
	if (wn_grow((void **)&D->y, &cy, n, sizeof *D->y) < 0)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		char **hit = bsearch(&labels[i], D->classes, D->k, sizeof *D->classes, cmp_str);
		if (!hit) {
			wn_seterr(err, WN_EDATA, "%s: label \"%s\" is not one of the %d classes",
			          name, labels[i], D->k);
			goto out;
		}
		D->y[i] = (int)(hit - D->classes);
	}
	/* the features */
	if (!(D->X = malloc(n * (size_t)D->d * sizeof *D->X)))
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const float *x = D->X + i * D->d;

		if (npy_read_rows(emb, D->row[i], 1, D->X + i * D->d, err) < 0)
			goto out;
		/* named here, by file and embedding row: the trainers only
		 * know their own row numbers */
		for (int j = 0; j < D->d; j++)
			if (!isfinite(x[j])) {
				wn_seterr(err, WN_EDATA, "%s: row %zu, column %d is %g, not a finite "
				          "number (the embedding of a labeled row of %s)", emb->name,
				          D->row[i], j, x[j], name);
				goto out;
			}
	}
	D->n = n;
	ret = 0;
	goto out;
oom:
	wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu rows of %d features", n, D->d);
out:
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
	if (ret < 0)
		sur_data_free(D);
	return ret;
}

int
sur_data_load_path(struct sur_data *D, const char *emb_path, const char *mf_path,
                   const char *weight_col, const char *drop_col,
                   const char *const *classes, int k, int flags, struct wn_err *err)
{
	int in = mf_path == NULL || strcmp(mf_path, "-") == 0;
	const char *name = in ? "<stdin>" : mf_path;
	struct mf_reader *r;
	struct npy emb;
	FILE *fp;
	int rc = -1;

	memset(D, 0, sizeof *D);
	if (npy_open(&emb, emb_path, err) != 0)
		return -1;
	if ((fp = in ? stdin : fopen(mf_path, "r")) == NULL) {
		wn_seterr(err, WN_ENOINPUT, "%s: %s", mf_path, strerror(errno));
		goto out;
	}
	if ((r = mf_open(fp, name, MF_CHECK_DUPS, err)) != NULL) {
		if (weight_col && (flags & SUR_DATA_WEIGHTS_OPTIONAL) && mf_col(r, weight_col) < 0)
			weight_col = NULL;
		rc = sur_data_load(D, &emb, r, weight_col, drop_col, classes, k, err);
		mf_close(r);
	}
	if (!in)
		fclose(fp);
out:
	npy_close(&emb);
	return rc;
}
