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
