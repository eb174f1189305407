/*
 * stub.c - temporary: entry points not yet implemented return an error
 * (70) so that code written against the headers links.  Removed as the
 * real implementations land.
 */
#include "model.h"
#include "softmax.h"
#include "mlp.h"
#include "score.h"

#define NOTYET(e) wn_seterr((e), WN_ESOFTWARE, "%s: not implemented yet", __func__)

struct sur_model *sur_model_new(enum sur_kind kind, int d, int k, int h, struct wn_err *err)
{ (void)kind; (void)d; (void)k; (void)h; NOTYET(err); return NULL; }
void sur_model_free(struct sur_model *m) { (void)m; }
struct sur_model *sur_model_dup(const struct sur_model *m, struct wn_err *err)
{ (void)m; NOTYET(err); return NULL; }
int sur_model_set_classes(struct sur_model *m, const char *const *names, struct wn_err *err)
{ (void)m; (void)names; return NOTYET(err); }
int sur_model_class(const struct sur_model *m, const char *name) { (void)m; (void)name; return -1; }
int sur_model_d1(const struct sur_model *m) { return m->d + m->hp.intercept; }
int sur_model_save(const struct sur_model *m, FILE *fp, const char *name, struct wn_err *err)
{ (void)m; (void)fp; (void)name; return NOTYET(err); }
struct sur_model *sur_model_load(FILE *fp, const char *name, struct wn_err *err)
{ (void)fp; (void)name; NOTYET(err); return NULL; }
struct sur_model *sur_model_load_path(const char *path, struct wn_err *err)
{ (void)path; NOTYET(err); return NULL; }
struct sur_ws *sur_ws_new(const struct sur_model *m, size_t max_rows, struct wn_err *err)
{ (void)m; (void)max_rows; NOTYET(err); return NULL; }
void sur_ws_free(struct sur_ws *ws) { (void)ws; }
int sur_predict_proba(const struct sur_model *m, const float *X, size_t n, float *P,
                      struct sur_ws *ws, struct wn_err *err)
{ (void)m; (void)X; (void)n; (void)P; (void)ws; return NOTYET(err); }
int sur_evaluate(const struct sur_model *m, const float *X, const int *y, const float *w,
                 size_t n, double *loss, double *acc, struct wn_err *err)
{ (void)m; (void)X; (void)y; (void)w; (void)n; (void)loss; (void)acc; return NOTYET(err); }
void sur_softmax_rows(float *Z, size_t n, int k) { (void)Z; (void)n; (void)k; }
void sur_fit_standardize(struct sur_model *m, const float *X, size_t n, const float *w)
{ (void)m; (void)X; (void)n; (void)w; }
void sur_standardize(const struct sur_model *m, const float *X, size_t n, float *out)
{ (void)m; (void)X; (void)n; (void)out; }

void sur_softmax_opts_default(struct sur_softmax_opts *o) { (void)o; }
struct sur_model *sur_softmax_fit(const float *X, const int *y, const float *w, size_t n,
                                  int d, const char *const *classes, int k,
                                  const struct sur_softmax_opts *o, struct wn_err *err)
{ (void)X; (void)y; (void)w; (void)n; (void)d; (void)classes; (void)k; (void)o; NOTYET(err); return NULL; }
int sur_softmax_loss_grad(const struct sur_model *m, const float *Xs, const int *y,
                          const float *w, size_t n, double S, double lambda,
                          double *f, float *gW, float *gb, struct wn_err *err)
{ (void)m; (void)Xs; (void)y; (void)w; (void)n; (void)S; (void)lambda; (void)f; (void)gW; (void)gb; return NOTYET(err); }
int sur_softmax_hv(const struct sur_model *m, const float *Xs, const float *w, size_t n,
                   double S, double lambda, const float *VW, const float *vb,
                   float *HW, float *hb, struct wn_err *err)
{ (void)m; (void)Xs; (void)w; (void)n; (void)S; (void)lambda; (void)VW; (void)vb; (void)HW; (void)hb; return NOTYET(err); }
int sur_influence_factors(struct sur_model *m, const float *X, const float *w, size_t n,
                          double S, enum sur_infl kind, struct wn_err *err)
{ (void)m; (void)X; (void)w; (void)n; (void)S; (void)kind; return NOTYET(err); }

void sur_mlp_opts_default(struct sur_mlp_opts *o) { (void)o; }
struct sur_mlp_trainer *sur_mlp_trainer_new(const struct sur_mlp_opts *o, const float *X,
                                            const float *w, size_t n, int d,
                                            const char *const *classes, int k,
                                            struct wn_err *err)
{ (void)o; (void)X; (void)w; (void)n; (void)d; (void)classes; (void)k; NOTYET(err); return NULL; }
void sur_mlp_trainer_free(struct sur_mlp_trainer *t) { (void)t; }
int sur_mlp_trainer_epoch(struct sur_mlp_trainer *t, const float *X, const int *y,
                          const float *w, size_t n, double *loss, struct wn_err *err)
{ (void)t; (void)X; (void)y; (void)w; (void)n; (void)loss; return NOTYET(err); }
int sur_mlp_trainer_epochs_done(const struct sur_mlp_trainer *t) { (void)t; return 0; }
const struct sur_model *sur_mlp_trainer_model(const struct sur_mlp_trainer *t) { (void)t; return NULL; }
int sur_mlp_trainer_save(const struct sur_mlp_trainer *t, FILE *fp, const char *name,
                         struct wn_err *err)
{ (void)t; (void)fp; (void)name; return NOTYET(err); }
struct sur_mlp_trainer *sur_mlp_trainer_load(FILE *fp, const char *name,
                                             const struct sur_mlp_opts *o,
                                             struct wn_err *err)
{ (void)fp; (void)name; (void)o; NOTYET(err); return NULL; }
struct sur_model *sur_mlp_fit(const float *X, const int *y, const float *w, size_t n, int d,
                              const char *const *classes, int k,
                              const struct sur_mlp_opts *o, struct wn_err *err)
{ (void)X; (void)y; (void)w; (void)n; (void)d; (void)classes; (void)k; (void)o; NOTYET(err); return NULL; }

const char *sur_method_name(enum sur_method m) { (void)m; return "?"; }
int sur_method_parse(const char *name) { (void)name; return -1; }
int sur_method_needs_label(enum sur_method m) { (void)m; return 0; }
int sur_method_needs_model(enum sur_method m) { (void)m; return 1; }
int sur_score_block(const struct sur_model *m, enum sur_method meth, const float *X,
                    const float *P, const int *y, size_t n, double *out,
                    struct sur_ws *ws, struct wn_err *err)
{ (void)m; (void)meth; (void)X; (void)P; (void)y; (void)n; (void)out; (void)ws; return NOTYET(err); }
int sur_kmeans(const float *X, size_t n, int d, int k, int iters, size_t max_rows,
               uint64_t seed, float *C, struct wn_err *err)
{ (void)X; (void)n; (void)d; (void)k; (void)iters; (void)max_rows; (void)seed; (void)C; return NOTYET(err); }
void sur_proto_scores(const float *C, int k, int d, const float *X, size_t n, double *out)
{ (void)C; (void)k; (void)d; (void)X; (void)n; (void)out; }
