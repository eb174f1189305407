/*
 * train.c - winnow-train's run over the trainers (see train.h): the epoch
 * loop, early stopping, checkpoints, adaptive selection and tuning.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "clock.h"
#include "hash.h"
#include "mlp.h"
#include "sgd.h"
#include "softmax.h"
#include "train.h"

void
sur_train_opts_default(struct sur_train_opts *o)
{
	*o = (struct sur_train_opts){
		.kind = SUR_SOFTMAX, .solver = SUR_SOLVER_LBFGS, .use_weights = 1,
		.epochs = 20, .batch = 128, .hidden = 256, .patience = 3,
		.lr = -1, .momentum = 0.9, .adam = 1, .sched = SUR_SCHED_CONSTANT, .decay = 1,
		.lambda = 1e-4, .norm = SUR_NORM_WEIGHT, .intercept = 1, .standardize = 1,
		.max_iter = 500, .tol = 1e-5, .sift_history = 500, .sift_delay = 10,
		.fraction = 0.1, .every = 5,
	};
}

int
sur_train_check(struct sur_train_opts *o, int have_val, int tune, struct wn_err *err)
{
	int lbfgs = o->kind == SUR_SOFTMAX && o->solver == SUR_SOLVER_LBFGS;
	int ckpt = o->ckpt_every || o->resume || o->stop_after;

	if (lbfgs && o->adaptive)
		return wn_seterr(err, WN_EUSAGE, "--adaptive needs minibatches: add --solver sgd"
		                 " (or use -m mlp)");
	if (o->adaptive && (o->sifting || ckpt))
		return wn_seterr(err, WN_EUSAGE, "--adaptive does not combine with --sift-beta,"
		                 " --checkpoint-every, --resume or --stop-after");
	if (tune && ckpt)
		return wn_seterr(err, WN_EUSAGE, "--tune does not combine with --checkpoint-every,"
		                 " --resume or --stop-after");
	if (o->adaptive && o->method == ADA_GLISTER && !have_val)
		return wn_seterr(err, WN_EUSAGE, "--adaptive glister needs a validation set: add"
		                 " --val EMB.npy:MANIFEST");
	if (tune && !have_val)
		return wn_seterr(err, WN_EUSAGE, "--tune needs a validation set: add --val"
		                 " EMB.npy:MANIFEST");
	if (lbfgs && (o->sifting || ckpt || (have_val && !tune)))
		return wn_seterr(err, WN_EUSAGE, "--sift-beta, --checkpoint-every, --resume,"
		                 " --stop-after and --val need minibatches: add --solver sgd (or"
		                 " use -m mlp)");
	if (o->kind == SUR_MLP)
		o->solver = SUR_SOLVER_SGD;
	if (o->lr < 0)
		o->lr = o->adam ? 1e-3 : 0.05;
	if ((o->resume || o->stop_after) && !o->ckpt_every)
		o->ckpt_every = 1000000;        /* a checkpoint at the stop only */
	return 0;
}

static void
report(const struct sur_train *t, int event)
{
	if (t->o.report)
		t->o.report(t->o.ctx, t, event);
}

static int
eval_init(struct sur_eval *e, int k, struct wn_err *err)
{
	e->cls_n = calloc((size_t)k, sizeof *e->cls_n);
	e->cls_ok = calloc((size_t)k, sizeof *e->cls_ok);
	if (e->cls_n == NULL || e->cls_ok == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "train: out of memory");
	return 0;
}

int
sur_train_init(struct sur_train *t, const struct sur_train_opts *o, const struct sur_data *D,
               const struct sur_data *T, const struct sur_data *V, struct wn_err *err)
{
	*t = (struct sur_train){ .o = *o, .D = D, .T = T, .V = V };
	if (!(o->lr > 0))
		return wn_seterr(err, WN_EUSAGE, "train: the learning rate must be > 0");
	if (o->kind == SUR_MLP)
		t->o.solver = SUR_SOLVER_SGD;
	if (eval_init(&t->te, D->k, err) != 0 || eval_init(&t->ve, D->k, err) != 0)
		return -1;
	if (o->sifting && sift_init(&t->sift, o->sift_beta, (size_t)o->sift_history,
	                            o->sift_delay, err) != 0) {
		t->o.sifting = 0;       /* nothing for sur_train_free to free */
		return -1;
	}
	return 0;
}

static void
adaptive_free(struct sur_train *t)
{
	ada_subset_free(&t->sub);
	free(t->w_sub);
	t->w_sub = NULL;
}

void
sur_train_free(struct sur_train *t)
{
	free(t->te.cls_n);
	free(t->te.cls_ok);
	free(t->ve.cls_n);
	free(t->ve.cls_ok);
	if (t->o.sifting)
		sift_free(&t->sift);
	sur_model_free(t->best);
	adaptive_free(t);
	memset(t, 0, sizeof *t);
}

double
sur_train_seconds(const struct sur_train *t)
{
	return t->seconds + (wn_now() - t->t0);
}

static int
evaluate(const struct sur_model *m, const struct sur_data *S, struct sur_eval *e,
         struct wn_err *err)
{
	return sur_evaluate_classes(m, S->X, S->y, NULL, S->n, &e->loss, &e->acc, e->cls_n,
	                            e->cls_ok, err);
}

/* After an epoch: evaluate, early-stopping bookkeeping, report.  Returns
 * 1 to stop (patience exhausted), 0 to go on, -1 on error. */
static int
end_epoch(struct sur_train *t, const struct sur_model *m, double train_loss,
          struct wn_err *err)
{
	int stop = 0;

	t->prev_loss = t->epoch > 1 ? t->last_loss : NAN;
	t->last_loss = train_loss;
	if (t->T && t->trial == 0 && evaluate(m, t->T, &t->te, err) != 0)
		return -1;
	if (t->V) {
		if (evaluate(m, t->V, &t->ve, err) != 0)
			return -1;
		if (t->o.patience == 0) {
			/* no early stopping: the last epoch's model is kept */
		} else if (t->best == NULL || t->ve.loss < t->best_val) {
			sur_model_free(t->best);
			if ((t->best = sur_model_dup(m, err)) == NULL)
				return -1;
			t->best_val = t->ve.loss;
			t->best_epoch = t->epoch;
			t->bad = 0;
		} else if (++t->bad >= t->o.patience) {
			stop = 1;
		}
	}
	t->model = m;
	report(t, SUR_TRAIN_EPOCH);
	return stop;
}

/* ---- checkpoints ------------------------------------------------------- */

/* What a checkpoint must agree on with the run that resumes it. */
static uint64_t
fingerprint(const struct sur_train *t)
{
	const struct sur_train_opts *o = &t->o;
	char buf[1024];
	int len = snprintf(buf, sizeof buf,
	    "%d %d %zu %d %d %d %d %.17g %.17g %d %d %.17g %.17g %d %.17g %d %d %d %.17g %lld %lld %d %llu",
	    o->kind, o->solver, t->D->n, t->D->d, t->D->k, o->batch, o->hidden, o->lr, o->momentum,
	    o->adam, o->sched, o->decay, o->lambda, o->norm, o->norm_n, o->intercept, o->standardize,
	    o->sifting, o->sift_beta, o->sift_history, o->sift_delay, o->use_weights, o->seed);
	uint64_t h = wn_hash64(0, 0, buf, (size_t)len);
	for (size_t i = 0; i < t->D->n; i++)
		h = wn_splitmix64(h ^ t->D->keys[i]);
	return h;
}

static int
ckpt_write(struct sur_train *t, sur_ckpt_save_fn *save, void *ctx, struct wn_err *err)
{
	struct wn_out out;
	struct sur_ckpt h = {
		.fingerprint = fingerprint(t), .epoch = t->epoch, .best_epoch = t->best_epoch,
		.bad = t->bad, .has_best = t->best != NULL, .steps = t->steps,
		.seen = t->seen, .backward = t->backward, .last_loss = t->last_loss,
		.best_val = t->best_val, .seconds = sur_train_seconds(t),
	};

	if (wn_out_open(&out, t->o.ckpt, err) != 0)
		return -1;
	if (sur_ckpt_save(out.fp, t->o.ckpt, &h, t->o.sifting ? &t->sift : NULL, save, ctx,
	                  t->best, err) != 0) {
		wn_out_abort(&out);
		return -1;
	}
	return wn_out_commit(&out, err);
}

/*
 * Open the checkpoint for resume and read the run's counters: 0 with *fp
 * at the trainer state, or with *fp NULL when there is no checkpoint;
 * -1 with err.
 */
static int
ckpt_open(struct sur_train *t, FILE **fp, struct wn_err *err)
{
	struct sur_ckpt ck;

	if ((*fp = fopen(t->o.ckpt, "rb")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return wn_seterr(err, WN_ENOINPUT, "%s: %s", t->o.ckpt, strerror(errno));
	}
	if (sur_ckpt_load_head(*fp, t->o.ckpt, fingerprint(t), &ck,
	                       t->o.sifting ? &t->sift : NULL, err) != 0) {
		fclose(*fp);
		*fp = NULL;
		return -1;
	}
	t->ck = ck;
	t->epoch = ck.epoch;
	t->best_epoch = ck.best_epoch;
	t->bad = ck.bad;
	t->steps = ck.steps;
	t->seen = ck.seen;
	t->backward = ck.backward;
	t->last_loss = ck.last_loss;
	t->best_val = ck.best_val;
	t->seconds = ck.seconds;
	return 0;
}

/* After the trainer state: the best model, if the checkpoint has one. */
static int
ckpt_finish_load(struct sur_train *t, FILE *fp, struct wn_err *err)
{
	int rc = sur_ckpt_load_best(fp, t->o.ckpt, &t->ck, &t->best, err);
	fclose(fp);
	if (rc == 0)
		report(t, SUR_TRAIN_RESUME);
	return rc;
}

static int
maybe_checkpoint(struct sur_train *t, sur_ckpt_save_fn *save, void *ctx, struct wn_err *err)
{
	const struct sur_train_opts *o = &t->o;

	if (o->ckpt_every && t->epoch % o->ckpt_every == 0 && ckpt_write(t, save, ctx, err) != 0)
		return -1;
	if (o->stop_after && t->epoch == o->stop_after && t->epoch < o->epochs) {
		if (o->ckpt_every && ckpt_write(t, save, ctx, err) != 0)
			return -1;
		return wn_seterr(err, WN_ETEMPFAIL, "stopped after epoch %d as asked (--stop-after);"
		                 " continue with --resume", t->epoch);
	}
	return 0;
}

/* ---- adaptive subset selection ----------------------------------------- */

/* Choose the subset for epoch e (0-based) with model m into t->sub and
 * t->w_sub (the method's weight times the manifest's, by row). */
static int
adaptive_select(struct sur_train *t, const struct sur_model *m, int e, struct wn_err *err)
{
	const struct sur_data *D = t->D, *V = t->V;
	const struct sur_train_opts *o = &t->o;
	double t0 = wn_now(), want = ceil(o->fraction * (double)D->n);
	int fd = ada_feature_dim(m), k = D->k, rc = -1;
	float *F = malloc(D->n * (size_t)fd * sizeof *F);
	float *P = malloc(D->n * (size_t)k * sizeof *P);
	float *Fv = NULL, *Pv = NULL;
	struct ada_data tr = { D->n, fd, k, F, P, D->y, D->keys }, va = { 0 };
	struct ada_opts ao;

	if (t->w_sub == NULL)
		t->w_sub = malloc(D->n * sizeof *t->w_sub);
	if (V && o->method != ADA_RANDOM) {
		Fv = malloc(V->n * (size_t)fd * sizeof *Fv);
		Pv = malloc(V->n * (size_t)k * sizeof *Pv);
		va = (struct ada_data){ V->n, fd, k, Fv, Pv, V->y, V->keys };
	}
	if (!F || !P || !t->w_sub || (V && o->method != ADA_RANDOM && (!Fv || !Pv))) {
		wn_seterr(err, WN_ESOFTWARE, "train: out of memory for the selection's features");
		goto out;
	}
	/* the output layer's view of the rows (random needs none) */
	if (o->method != ADA_RANDOM && ada_head_features(m, D->X, D->n, F, P, err) != 0)
		goto out;
	if (Fv && ada_head_features(m, V->X, V->n, Fv, Pv, err) != 0)
		goto out;
	ada_opts_default(&ao);
	ao.method = o->method;
	ao.budget = want < 1 ? 1 : (size_t)want;
	ao.intercept = ada_model_intercept(m);
	ao.seed = o->seed ^ wn_splitmix64((uint64_t)e + 0x5e1ec7);
	ao.eta = o->lr;
	ao.taylor_every = o->taylor_every ? (size_t)o->taylor_every : (ao.budget + 99) / 100;
	ao.val_max = 1000;
	ao.gm_classrow = 1;     /* CORDS's PerClassPerGradient */
	ada_subset_free(&t->sub);
	if (ada_select(&tr, V ? &va : NULL, &ao, &t->sub, err) != 0)
		goto out;
	memset(t->w_sub, 0, D->n * sizeof *t->w_sub);
	for (size_t q = 0; q < t->sub.n; q++) {
		size_t i = t->sub.idx[q];
		t->w_sub[i] = t->sub.w[q] * (D->w ? D->w[i] : 1.0f);
	}
	t->sel_secs = wn_now() - t0;
	t->select_secs += t->sel_secs;
	t->rounds++;
	t->sel_epoch = e + 1;
	report(t, SUR_TRAIN_SELECT);
	rc = 0;
out:
	free(F);
	free(P);
	free(Fv);
	free(Pv);
	return rc;
}

/*
 * The rows to train on in epoch e (0-based): *rows NULL (all rows) without
 * adaptive selection and during the warm-up; else the subset chosen with
 * model m at the last selection epoch (warm, warm + every, ...), chosen
 * anew when e is one.  *n gets the count, *w the weights by row.
 */
static int
adaptive_rows(struct sur_train *t, const struct sur_model *m, int e, const size_t **rows,
              size_t *n, const float **w, struct wn_err *err)
{
	const struct sur_train_opts *o = &t->o;

	*rows = NULL;
	*n = t->D->n;
	*w = t->D->w;
	if (!o->adaptive || e < o->warm)
		return 0;
	if (((e - o->warm) % o->every == 0 || t->sub.idx == NULL) &&
	    adaptive_select(t, m, e, err) != 0)
		return -1;
	*rows = t->sub.idx;
	*n = t->sub.n;
	*w = t->w_sub;
	return 0;
}

/* ---- the trainers ---------------------------------------------------------- */

static int
on_iter(void *ctx, int iter, double f, double gnorm)
{
	struct sur_train *t = ctx;

	t->iter = iter;
	t->f = f;
	t->gnorm = gnorm;
	report(t, SUR_TRAIN_ITER);
	return 0;
}

static struct sur_model *
train_lbfgs(struct sur_train *t, struct wn_err *err)
{
	const struct sur_train_opts *o = &t->o;
	const struct sur_data *D = t->D;
	struct sur_softmax_opts so;
	struct sur_model *m;

	sur_softmax_opts_default(&so);
	so.lambda = o->lambda;
	so.norm = o->norm;
	so.norm_n = o->norm_n;
	so.intercept = o->intercept;
	so.standardize = o->standardize;
	so.max_iter = o->max_iter;
	so.tol = o->tol;
	so.infl = SUR_INFL_NONE;
	so.on_iter = on_iter;
	so.ctx = t;
	/* the final run is the features' last use (tuning trials reuse them) */
	so.consume_x = t->trial == 0;
	report(t, SUR_TRAIN_START);
	m = sur_softmax_fit(D->X, D->y, D->w, D->n, D->d, (const char *const *)D->classes, D->k,
	                    &so, err);
	if (m == NULL)
		return NULL;
	t->model = m;
	report(t, SUR_TRAIN_END);
	t->epoch = 1;
	t->seen = t->backward = (long long)D->n;
	if (end_epoch(t, m, m->hp.objective, err) < 0) {
		sur_model_free(m);
		return NULL;
	}
	report(t, SUR_TRAIN_LBFGS);
	return m;
}

/* Sifting: the same draw per (seed, epoch, id) for both minibatch
 * trainers, and the same counters. */
static int
keep_row(void *ctx, size_t row, float loss)
{
	struct sur_train *t = ctx;
	uint64_t es = t->o.seed ^ wn_splitmix64((uint64_t)t->epoch + 1);

	t->seen++;
	return sift_keep(&t->sift, loss, wn_u01_counter(es, WN_STREAM_SIFT, t->D->keys[row]));
}

static void
on_step(void *ctx, size_t rows)
{
	struct sur_train *t = ctx;

	t->steps++;
	t->backward += (long long)rows;
	if (t->o.sifting)
		sift_step(&t->sift);
}

/*
 * The one epoch loop of the minibatch trainers, over the operations of
 * either (struct mb): rows, schedule, epoch, early stopping, checkpoint.
 */
struct mb {
	void *t;
	const struct sur_model *(*model)(const void *t);
	void (*set_lr)(void *t, double lr);
	/* one epoch over rows[0..n) (rows NULL: all, weights w by row) */
	int (*epoch)(void *t, const struct sur_data *D, const size_t *rows, size_t n,
	             const float *w, double *loss, size_t *used, struct wn_err *err);
	sur_ckpt_save_fn *save;
};

static int
epochs(struct sur_train *t, const struct mb *mb, struct wn_err *err)
{
	const struct sur_train_opts *o = &t->o;

	while (t->epoch < o->epochs) {
		const struct sur_model *m = mb->model(mb->t);
		const size_t *rows;
		const float *w;
		size_t n, used;
		double loss;
		int stop;

		if (adaptive_rows(t, m, t->epoch, &rows, &n, &w, err) != 0)
			return -1;
		mb->set_lr(mb->t, sur_lr_at(o->sched, o->lr, o->decay, t->epoch, o->epochs));
		if (mb->epoch(mb->t, t->D, rows, n, w, &loss, &used, err) != 0)
			return -1;
		t->epoch++;
		if (!o->sifting)
			t->seen += (long long)used;
		if ((stop = end_epoch(t, mb->model(mb->t), loss, err)) < 0 ||
		    maybe_checkpoint(t, mb->save, mb->t, err) != 0)
			return -1;
		if (stop) {
			t->stopped = 1;
			break;
		}
	}
	t->model = mb->model(mb->t);
	report(t, SUR_TRAIN_END);
	return 0;
}

/* The run's options for a minibatch trainer (sgd.h, mlp.h), over the
 * trainer's defaults of beta2 and eps, with the sifting hooks. */
static void
minibatch_opts(struct sur_train *t, struct sur_minibatch_opts *mb)
{
	const struct sur_train_opts *o = &t->o;
	mb->epochs = o->epochs;
	mb->batch = o->batch;
	mb->lr = o->lr;
	mb->momentum = o->momentum;
	mb->adam = o->adam;
	mb->lambda = o->lambda;
	mb->norm = o->norm;
	mb->norm_n = o->norm_n;
	mb->standardize = o->standardize;
	mb->seed = o->seed;
	mb->keys = t->D->keys;
	mb->keep = o->sifting ? keep_row : NULL;
	mb->on_step = on_step;
	mb->keep_ctx = t;
}

static const struct sur_model *
sgd_model(const void *t)
{
	return sur_sgd_model(t);
}

static void
sgd_set_lr(void *t, double lr)
{
	sur_sgd_set_lr(t, lr);
}

static int
sgd_epoch(void *t, const struct sur_data *D, const size_t *rows, size_t n, const float *w,
          double *loss, size_t *used, struct wn_err *err)
{
	(void)n;
	if (sur_sgd_epoch(t, D->X, D->y, w, D->n, rows != NULL, loss, err) != 0)
		return -1;
	*used = sur_sgd_epoch_rows(t);
	return 0;
}

static int
sgd_save(void *t, FILE *fp, const char *name, struct wn_err *err)
{
	return sur_sgd_save(t, fp, name, err);
}

static struct sur_model *
train_sgd(struct sur_train *t, struct wn_err *err)
{
	const struct sur_train_opts *o = &t->o;
	const struct sur_data *D = t->D;
	struct sur_sgd_opts so;
	struct sur_sgd *s;
	struct sur_model *m = NULL;
	FILE *ck = NULL;

	sur_sgd_opts_default(&so);
	minibatch_opts(t, &so.mb);
	so.intercept = o->intercept;
	if (!(s = sur_sgd_new(&so, D->X, D->w, D->n, D->d, (const char *const *)D->classes, D->k,
	                      err)))
		return NULL;
	if (o->resume && ckpt_open(t, &ck, err) != 0)
		goto out;
	if (ck && sur_sgd_load(s, ck, o->ckpt, err) != 0) {
		fclose(ck);
		goto out;
	}
	if (ck && ckpt_finish_load(t, ck, err) != 0)
		goto out;
	struct mb mb = { s, sgd_model, sgd_set_lr, sgd_epoch, sgd_save };
	report(t, SUR_TRAIN_START);
	if (epochs(t, &mb, err) == 0)
		m = sur_model_dup(sur_sgd_model(s), err);
out:
	sur_sgd_free(s);
	return m;
}

static const struct sur_model *
mlp_model(const void *t)
{
	return sur_mlp_trainer_model(t);
}

static void
mlp_set_lr(void *t, double lr)
{
	sur_mlp_trainer_set_lr(t, lr);
}

static int
mlp_epoch(void *t, const struct sur_data *D, const size_t *rows, size_t n, const float *w,
          double *loss, size_t *used, struct wn_err *err)
{
	*used = n;
	if (rows)
		return sur_mlp_trainer_epoch_rows(t, D->X, D->y, w, D->n, rows, n, loss, err);
	return sur_mlp_trainer_epoch(t, D->X, D->y, w, D->n, loss, err);
}

static int
mlp_save(void *t, FILE *fp, const char *name, struct wn_err *err)
{
	return sur_mlp_trainer_save(t, fp, name, err);
}

static struct sur_model *
train_mlp(struct sur_train *t, struct wn_err *err)
{
	const struct sur_train_opts *o = &t->o;
	const struct sur_data *D = t->D;
	struct sur_mlp_opts mo;
	struct sur_mlp_trainer *s;
	struct sur_model *m = NULL;
	FILE *ck = NULL;

	sur_mlp_opts_default(&mo);
	minibatch_opts(t, &mo.mb);
	mo.hidden = o->hidden;
	if (o->resume && ckpt_open(t, &ck, err) != 0)
		return NULL;
	if (ck) {
		if ((s = sur_mlp_trainer_load(ck, o->ckpt, &mo, err)) == NULL) {
			fclose(ck);
			return NULL;
		}
		if (ckpt_finish_load(t, ck, err) != 0)
			goto out;
	} else if ((s = sur_mlp_trainer_new(&mo, D->X, D->w, D->n, D->d,
	                                    (const char *const *)D->classes, D->k, err)) == NULL) {
		return NULL;
	}
	struct mb mb = { s, mlp_model, mlp_set_lr, mlp_epoch, mlp_save };
	report(t, SUR_TRAIN_START);
	if (epochs(t, &mb, err) == 0)
		m = sur_model_dup(sur_mlp_trainer_model(s), err);
out:
	sur_mlp_trainer_free(s);
	return m;
}

static struct sur_model *
train_model(struct sur_train *t, struct wn_err *err)
{
	if (t->o.kind == SUR_MLP)
		return train_mlp(t, err);
	if (t->o.solver == SUR_SOLVER_LBFGS)
		return train_lbfgs(t, err);
	return train_sgd(t, err);
}

struct sur_model *
sur_train_run(struct sur_train *t, struct wn_err *err)
{
	struct sur_model *m;

	t->t0 = wn_now();
	if ((m = train_model(t, err)) == NULL)
		return NULL;
	if (t->best) {
		sur_model_free(m);
		m = t->best;
		t->best = NULL;
		t->best_kept = 1;
	}
	return m;
}

/* ---- tuning ------------------------------------------------------------------ */

int
sur_train_tune(struct sur_train *t, struct sur_tune_best *best, struct wn_err *err)
{
	struct sur_train_opts *o = &t->o;
	const double lr0 = o->lr;
	int with_lr = o->solver == SUR_SOLVER_SGD;
	int trials = sur_tune_trials(o->tune_trials, with_lr);

	if (t->V == NULL)
		return wn_seterr(err, WN_EUSAGE, "tune: a validation set is needed");
	*best = (struct sur_tune_best){ .lambda = o->lambda, .lr = o->lr, .acc = -1,
	                                .loss = INFINITY, .trials = trials };
	for (int i = 0; i < trials; i++) {
		struct sur_train T;
		struct sur_model *m;
		double t0 = wn_now();
		int rc;

		sur_tune_setting(o->tune_trials, with_lr, o->seed, lr0, i, &o->lambda, &o->lr);
		/* a fresh run (its own sifting state) sharing the data and the
		 * measures' buffers */
		T = (struct sur_train){ .o = *o, .D = t->D, .V = t->V, .te = t->te, .ve = t->ve,
		                        .trial = i + 1, .trials = trials, .t0 = wn_now() };
		if (o->sifting && sift_init(&T.sift, o->sift_beta, (size_t)o->sift_history,
		                            o->sift_delay, err) != 0)
			return -1;
		m = train_model(&T, err);
		if (m && T.best) {
			sur_model_free(m);
			m = T.best;
			T.best = NULL;
		}
		rc = m ? evaluate(m, t->V, &T.ve, err) : -1;
		sur_model_free(m);
		sur_model_free(T.best);
		adaptive_free(&T);
		if (o->sifting)
			sift_free(&T.sift);
		if (rc != 0)
			return -1;
		T.trial_secs = wn_now() - t0;
		report(&T, SUR_TRAIN_TRIAL);
		if (sur_tune_better(T.ve.acc, T.ve.loss, best->acc, best->loss)) {
			best->acc = T.ve.acc;
			best->loss = T.ve.loss;
			best->lambda = o->lambda;
			best->lr = o->lr;
		}
	}
	o->lambda = best->lambda;
	o->lr = best->lr;
	return 0;
}

/* ---- convergence -------------------------------------------------------------- */

int
sur_lbfgs_converged(const struct sur_model *m, char *msg, size_t len)
{
	if (m->hp.grad_norm <= m->hp.tol)
		return 1;
	snprintf(msg, len, "not converged after %d iterations: gradient norm %.3g > --tol %g"
	         " (raise --max-iter or lambda)", m->hp.iterations, m->hp.grad_norm, m->hp.tol);
	return 0;
}

int
sur_epochs_converged(int epochs, double prev_loss, double last_loss, double tol, char *msg,
                     size_t len)
{
	if (epochs < 2 || !(prev_loss - last_loss > tol))
		return 1;
	snprintf(msg, len, "not converged after %d epochs: the training loss fell by %.3g > --tol"
	         " %g in the last one (raise --epochs or --lr)", epochs, prev_loss - last_loss, tol);
	return 0;
}

int
sur_train_converged(const struct sur_train *t, const struct sur_model *m, char *msg,
                    size_t len)
{
	if (t->o.solver == SUR_SOLVER_LBFGS)
		return sur_lbfgs_converged(m, msg, len);
	return t->stopped || sur_epochs_converged(t->epoch, t->prev_loss, t->last_loss, t->o.tol,
	                                          msg, len);
}

/* ---- the log ---------------------------------------------------------------- */

static int
log_done(FILE *fp, const char *name, struct wn_err *err)
{
	if (fflush(fp) != 0 || ferror(fp))
		return wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(errno));
	return 0;
}

int
sur_train_log_head(FILE *fp, const char *name, int tune, struct wn_err *err)
{
	if (tune)
		fprintf(fp, "# tune\ttrial\tlambda\tlr\tval_loss\tval_accuracy\tepochs\tseconds\n");
	else
		fprintf(fp, "epoch\tsamples\tbackward\ttrain_loss\ttest_loss\ttest_accuracy"
		        "\tval_loss\tval_accuracy\tseconds\n");
	return log_done(fp, name, err);
}

int
sur_train_log(FILE *fp, const char *name, const struct sur_train *t, int event,
              struct wn_err *err)
{
	switch (event) {
	case SUR_TRAIN_EPOCH:
		if (t->trial)
			return 0;
		fprintf(fp, "%d\t%lld\t%lld\t%.9g", t->epoch, t->seen, t->backward, t->last_loss);
		if (t->T)
			fprintf(fp, "\t%.9g\t%.9g", t->te.loss, t->te.acc);
		else
			fprintf(fp, "\t\t");
		if (t->V)
			fprintf(fp, "\t%.9g\t%.9g", t->ve.loss, t->ve.acc);
		else
			fprintf(fp, "\t\t");
		fprintf(fp, "\t%.3f\n", sur_train_seconds(t));
		break;
	case SUR_TRAIN_SELECT:
		if (t->trial)
			return 0;
		fprintf(fp, "# selection\t%d\t%s\t%zu\t%zu\t%.3f\n", t->sel_epoch,
		        ada_method_name(t->o.method), t->sub.n, t->sub.n_greedy, t->sel_secs);
		break;
	case SUR_TRAIN_TRIAL:
		fprintf(fp, "# tune\t%d\t%.9g\t%.9g\t%.9g\t%.9g\t%d\t%.3f\n", t->trial,
		        t->o.lambda, t->o.lr, t->ve.loss, t->ve.acc, t->epoch, t->trial_secs);
		break;
	default:
		return 0;
	}
	return log_done(fp, name, err);
}

int
sur_train_log_best(FILE *fp, const char *name, const struct sur_tune_best *b,
                   struct wn_err *err)
{
	fprintf(fp, "# tune\tbest\t%.9g\t%.9g\t%.9g\t%.9g\n", b->lambda, b->lr, b->loss, b->acc);
	return log_done(fp, name, err);
}
