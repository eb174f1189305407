/*
 * test_mlp.c - the MLP trainer: one full-batch SGD step equals minus the
 * learning rate times the finite-difference gradient of the objective;
 * it learns a problem a linear model cannot; runs are deterministic for a
 * seed and independent of row order given keys; a checkpoint resumes
 * bit for bit.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "softmax.h"
#include "unit.h"

static const char *const cls2[] = { "neg", "pos" };
static const char *const cls3[] = { "a", "b", "c" };

/* Two rings (class by radius) with a third class in one quadrant. */
static void rings(float *X, int *y, int n, int d)
{
	unsigned s = 12345;
	for (int i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		double ang = (s >> 8) % 100000 / 100000.0 * 6.283185307;
		double r = i % 2 ? 1.0 : 2.0;
		s = s * 1103515245u + 12345u;
		r += ((s >> 8) % 1000 / 1000.0 - 0.5) * 0.3;
		X[i * d] = (float)(r * cos(ang));
		X[i * d + 1] = (float)(r * sin(ang));
		for (int j = 2; j < d; j++) {
			s = s * 1103515245u + 12345u;
			X[i * d + j] = (float)((s >> 8) % 1000 / 1000.0 - 0.5);
		}
		y[i] = i % 2;
		if (y[i] == 0 && X[i * d] > 0 && X[i * d + 1] > 0)
			y[i] = 2;
	}
}

/* The batch objective in double, directly (mlp.h), all rows, S = sum w. */
static double slow_obj(const struct sur_model *m, const float *X, const int *y, const float *w,
                       int n, double lambda)
{
	double sum = 0, sw = 0, reg = 0;
	for (int i = 0; i < n; i++) {
		double a[64], z[8], mx = -1e300, se = 0, xs[8];
		for (int j = 0; j < m->d; j++)
			xs[j] = ((double)X[i * m->d + j] - m->mean[j]) * m->scale[j];
		for (int u = 0; u < m->h; u++) {
			a[u] = m->b1[u];
			for (int j = 0; j < m->d; j++)
				a[u] += (double)m->w1[u * m->d + j] * xs[j];
			a[u] = a[u] > 0 ? a[u] : 0;
		}
		for (int c = 0; c < m->k; c++) {
			z[c] = m->b2[c];
			for (int u = 0; u < m->h; u++)
				z[c] += (double)m->w2[c * m->h + u] * a[u];
			mx = fmax(mx, z[c]);
		}
		for (int c = 0; c < m->k; c++)
			se += exp(z[c] - mx);
		sum += w[i] * (log(se) + mx - z[y[i]]);
		sw += w[i];
	}
	for (int j = 0; j < m->h * m->d; j++)
		reg += (double)m->w1[j] * m->w1[j];
	for (int j = 0; j < m->k * m->h; j++)
		reg += (double)m->w2[j] * m->w2[j];
	return sum / sw + 0.5 * lambda * reg;
}

TEST(sgd_step_is_gradient)
{
	enum { N = 200, D = 4, HID = 8 };
	float X[N * D], w[N];
	int y[N];
	rings(X, y, N, D);
	for (int i = 0; i < N; i++)
		w[i] = 0.5f + (float)(i % 3);
	struct sur_mlp_opts o;
	sur_mlp_opts_default(&o);
	o.hidden = HID;
	o.mb.batch = N;         /* one step per epoch */
	o.mb.adam = 0;
	o.mb.momentum = 0;
	o.mb.lr = 1e-3;
	o.mb.lambda = 0.01;
	o.mb.norm = SUR_NORM_WEIGHT;
	o.mb.seed = 3;
	struct wn_err err = { 0 };
	struct sur_mlp_trainer *t = sur_mlp_trainer_new(&o, X, w, N, D, cls3, 3, &err);
	CHECK(t != NULL, "%s", err.msg);
	if (!t)
		return;
	struct sur_model *m0 = sur_model_dup(sur_mlp_trainer_model(t), NULL);
	CHECK(sur_mlp_trainer_epoch(t, X, y, w, N, NULL, &err) == 0, "%s", err.msg);
	const struct sur_model *m1 = sur_mlp_trainer_model(t);
	float *tensors0[4] = { m0->w1, m0->b1, m0->w2, m0->b2 };
	const float *tensors1[4] = { m1->w1, m1->b1, m1->w2, m1->b2 };
	int sizes[4] = { HID * D, HID, 3 * HID, 3 };
	double h = 1e-3;
	int checked = 0;
	for (int p = 0; p < 4; p++)
		for (int j = 0; j < sizes[p]; j += 3) {
			float s = tensors0[p][j];
			tensors0[p][j] = s + (float)h;
			double fp = slow_obj(m0, X, y, w, N, o.mb.lambda);
			tensors0[p][j] = s - (float)h;
			double fm = slow_obj(m0, X, y, w, N, o.mb.lambda);
			tensors0[p][j] = s;
			double fd = (fp - fm) / (2 * h), step = (s - tensors1[p][j]) / o.mb.lr;
			CHECK(fabs(step - fd) < 2e-3 * (1 + fabs(fd)), "tensor %d [%d]: step %g vs fd %g",
			      p, j, step, fd);
			checked++;
		}
	CHECK(checked > 20, "checked %d", checked);
	sur_model_free(m0);
	sur_mlp_trainer_free(t);
}

TEST(learns_nonlinear)
{
	enum { N = 1000, D = 2 };
	float X[N * D];
	int y[N];
	rings(X, y, N, D);
	struct sur_mlp_opts o;
	sur_mlp_opts_default(&o);
	o.hidden = 32;
	o.mb.epochs = 60;
	o.mb.batch = 32;
	o.mb.lr = 0.01;
	o.mb.lambda = 1e-5;
	struct wn_err err = { 0 };
	struct sur_model *m = sur_mlp_fit(X, y, NULL, N, D, cls3, 3, &o, &err);
	CHECK(m != NULL, "%s", err.msg);
	double acc = 0, lin = 1;
	if (m)
		sur_evaluate(m, X, y, NULL, N, NULL, &acc, NULL);
	struct sur_softmax_opts so;
	sur_softmax_opts_default(&so);
	so.infl = SUR_INFL_NONE;
	struct sur_model *l = sur_softmax_fit(X, y, NULL, N, D, cls3, 3, &so, NULL);
	if (l)
		sur_evaluate(l, X, y, NULL, N, NULL, &lin, NULL);
	CHECK(acc > 0.95 && lin < 0.8, "mlp accuracy %g, softmax %g", acc, lin);
	CHECK(m && m->hp.iterations == 60 && m->hp.n_train == N, "hp");
	/* SGD with momentum learns too */
	o.mb.adam = 0;
	o.mb.lr = 0.05;
	struct sur_model *s = sur_mlp_fit(X, y, NULL, N, D, cls3, 3, &o, &err);
	double sacc = 0;
	if (s)
		sur_evaluate(s, X, y, NULL, N, NULL, &sacc, NULL);
	CHECK(sacc > 0.9, "sgd accuracy %g", sacc);
	sur_model_free(m);
	sur_model_free(l);
	sur_model_free(s);
}

static int same_model(const struct sur_model *a, const struct sur_model *b)
{
	size_t hd = (size_t)a->h * a->d, kh = (size_t)a->k * a->h;
	return a->h == b->h && !memcmp(a->w1, b->w1, hd * 4) && !memcmp(a->b1, b->b1, a->h * 4) &&
	       !memcmp(a->w2, b->w2, kh * 4) && !memcmp(a->b2, b->b2, a->k * 4);
}

TEST(deterministic_and_order_free)
{
	enum { N = 300, D = 3 };
	float X[N * D], Xp[N * D];
	int y[N], yp[N];
	uint64_t keys[N], keysp[N];
	rings(X, y, N, D);
	for (int i = 0; i < N; i++)
		keys[i] = 1000003u * (uint64_t)i + 17;
	/* the same rows reversed, with their keys */
	for (int i = 0; i < N; i++) {
		memcpy(Xp + i * D, X + (N - 1 - i) * D, sizeof(float) * D);
		yp[i] = y[N - 1 - i];
		keysp[i] = keys[N - 1 - i];
	}
	struct sur_mlp_opts o;
	sur_mlp_opts_default(&o);
	o.hidden = 16;
	o.mb.epochs = 3;
	o.mb.batch = 50;
	o.mb.seed = 9;
	o.mb.standardize = 0;   /* the standardisation sums depend on order */
	o.mb.keys = keys;
	struct sur_model *a = sur_mlp_fit(X, y, NULL, N, D, cls3, 3, &o, NULL);
	struct sur_model *b = sur_mlp_fit(X, y, NULL, N, D, cls3, 3, &o, NULL);
	o.mb.keys = keysp;
	struct sur_model *c = sur_mlp_fit(Xp, yp, NULL, N, D, cls3, 3, &o, NULL);
	o.mb.keys = keys;
	o.mb.seed = 10;
	struct sur_model *e = sur_mlp_fit(X, y, NULL, N, D, cls3, 3, &o, NULL);
	CHECK(a && b && c && e, "fit");
	if (a && b && c && e) {
		CHECK(same_model(a, b), "same seed differs");
		CHECK(same_model(a, c), "row order changed the model");
		CHECK(!same_model(a, e), "seed ignored");
	}
	sur_model_free(a);
	sur_model_free(b);
	sur_model_free(c);
	sur_model_free(e);
}

struct ck {
	char *buf;
	size_t len;
	int at;
};

static int save_at(void *ctx, struct sur_mlp_trainer *t, int epoch, double loss)
{
	struct ck *c = ctx;
	(void)loss;
	if (epoch == c->at) {
		FILE *fp = open_memstream(&c->buf, &c->len);
		sur_mlp_trainer_save(t, fp, "ckpt", NULL);
		fclose(fp);
	}
	return 0;
}

TEST(checkpoint_resumes_identically)
{
	enum { N = 400, D = 3 };
	float X[N * D], w[N];
	int y[N];
	rings(X, y, N, D);
	for (int i = 0; i < N; i++)
		w[i] = 1 + (i % 2);
	for (int adam = 0; adam <= 1; adam++) {
		struct sur_mlp_opts o;
		sur_mlp_opts_default(&o);
		o.hidden = 12;
		o.mb.epochs = 5;
		o.mb.batch = 64;
		o.mb.adam = adam;
		o.mb.lr = adam ? 1e-2 : 0.05;
		o.mb.seed = 4;
		struct ck ck = { NULL, 0, 2 };
		o.on_epoch = save_at;
		o.ctx = &ck;
		struct sur_model *full = sur_mlp_fit(X, y, w, N, D, cls3, 3, &o, NULL);
		CHECK(full && ck.buf, "fit/checkpoint");
		if (!full || !ck.buf)
			continue;
		FILE *fp = fmemopen(ck.buf, ck.len, "rb");
		struct wn_err err = { 0 };
		o.on_epoch = NULL;
		struct sur_mlp_trainer *t = sur_mlp_trainer_load(fp, "ckpt", &o, &err);
		fclose(fp);
		CHECK(t != NULL, "%s", err.msg);
		if (t) {
			CHECK(sur_mlp_trainer_epochs_done(t) == 2, "epochs %d",
			      sur_mlp_trainer_epochs_done(t));
			while (sur_mlp_trainer_epochs_done(t) < 5)
				sur_mlp_trainer_epoch(t, X, y, w, N, NULL, NULL);
			CHECK(same_model(full, sur_mlp_trainer_model(t)), "resumed run differs (adam %d)",
			      adam);
			CHECK(sur_mlp_trainer_model(t)->hp.objective == full->hp.objective, "objective");
			sur_mlp_trainer_free(t);
		}
		/* a damaged checkpoint is refused */
		char *p = memmem(ck.buf, ck.len, "step: ", 6);
		if (p) {
			p[6] = 'x';
			fp = fmemopen(ck.buf, ck.len, "rb");
			t = sur_mlp_trainer_load(fp, "ckpt", NULL, &err);
			fclose(fp);
			CHECK(!t && err.code == 65 && strstr(err.msg, "step"), "%d %s", err.code, err.msg);
			sur_mlp_trainer_free(t);
		}
		free(ck.buf);
		sur_model_free(full);
	}
}

TEST(model_file_and_errors)
{
	enum { N = 100, D = 2 };
	float X[N * D];
	int y[N];
	rings(X, y, N, D);
	for (int i = 0; i < N; i++)
		y[i] = y[i] == 2 ? 0 : y[i];
	struct sur_mlp_opts o;
	sur_mlp_opts_default(&o);
	o.hidden = 5;
	o.mb.epochs = 2;
	struct sur_model *m = sur_mlp_fit(X, y, NULL, N, D, cls2, 2, &o, NULL);
	CHECK(m != NULL, "fit");
	if (!m)
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	sur_model_save(m, fp, "mem", NULL);
	fclose(fp);
	fp = fmemopen(buf, len, "rb");
	struct wn_err err = { 0 };
	struct sur_model *r = sur_model_load(fp, "mem", &err);
	fclose(fp);
	CHECK(r && r->kind == SUR_MLP && same_model(m, r) && r->hp.adam == 1 &&
	      r->hp.lr == o.mb.lr && r->hp.iterations == 2, "%s", err.msg);
	float P1[N * 2], P2[N * 2];
	sur_predict_proba(m, X, N, P1, NULL, NULL);
	if (r)
		sur_predict_proba(r, X, N, P2, NULL, NULL);
	CHECK(r && !memcmp(P1, P2, sizeof P1), "predictions differ after a round trip");
	sur_model_free(r);
	free(buf);
	o.hidden = 0;
	CHECK(!sur_mlp_fit(X, y, NULL, N, D, cls2, 2, &o, &err) && err.code == 64, "%d %s",
	      err.code, err.msg);
	o.hidden = 4;
	y[7] = 5;
	CHECK(!sur_mlp_fit(X, y, NULL, N, D, cls2, 2, &o, &err) && err.code == 65 &&
	      strstr(err.msg, "row 7"), "%d %s", err.code, err.msg);
	sur_model_free(m);
}

int main(void)
{
	RUN(sgd_step_is_gradient);
	RUN(learns_nonlinear);
	RUN(deterministic_and_order_free);
	RUN(checkpoint_resumes_identically);
	RUN(model_file_and_errors);
	return unit_done();
}
