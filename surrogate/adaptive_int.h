/*
 * adaptive_int.h - what the adaptive selection sources (adaptive.c,
 * glister.c, gradmatch.c, craig.c) share; not for other callers.
 */
#ifndef SUR_ADAPTIVE_INT_H
#define SUR_ADAPTIVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "adaptive.h"

#define NOMEM(err) wn_seterr(err, WN_ESOFTWARE, "adaptive selection: out of memory")

static inline uint64_t
row_key(const struct ada_data *D, size_t i)
{
	return D->key ? D->key[i] : (uint64_t)i;
}

/* Append a pick to the trace. */
static inline void
trace(struct ada_subset *s, size_t row, double gain)
{
	s->pick[s->n_pick] = row;
	s->gain[s->n_pick] = gain;
	s->n_pick++;
}

/* x~ . G[c] for row x (d wide) and G (k x d1). */
static inline double
dot_tilde(const float *x, const double *g, int d, int intercept)
{
	double s = intercept ? g[d] : 0;
	for (int j = 0; j < d; j++)
		s += (double)x[j] * g[j];
	return s;
}

/* Rows of D by class: rows with label c at rows[off[c] .. off[c+1]), each
 * class in canonical order (ada__group_classes). */
struct classes {
	size_t *rows;           /* n, grouped by class */
	size_t *off;            /* k + 1 */
};

/* Sort the m rows in rows[] by (wn_u01_counter(seed, stream, key), key,
 * index).  -1 on allocation failure. */
int ada__hash_sort(const struct ada_data *D, size_t *rows, size_t m, uint64_t seed,
                   uint64_t stream);
/* Split budget over groups of sizes sz[0..g) in proportion (largest
 * remainder, ties to the lower group), never more than a group's size. */
void ada__apportion(const size_t *sz, size_t g, size_t total, size_t budget, size_t *out);
/* rows[0..m) in the order of wn_u01_counter(seed, ADA_STREAM_RANDOM, key). */
int ada__random_front(const struct ada_data *D, size_t *rows, size_t m, uint64_t seed);
/* D's rows grouped by class; -1 on allocation failure (free G anyway). */
int ada__group_classes(const struct ada_data *D, uint64_t seed, struct classes *G);
void ada__free_classes(struct classes *G);
/* Gather rows' features (m x d) and residual columns (m x ke; column c
 * only when ke == 1). */
void ada__gather(const struct ada_data *D, const size_t *rows, size_t m, int ke, int c,
                 float *X, float *R);

/* The methods (adaptive.h gives their definitions): 0, or -1 with err. */
int ada__glister(const struct ada_data *D, const struct ada_data *V, const struct ada_opts *o,
                 struct ada_subset *s, struct wn_err *err);
int ada__gradmatch(const struct ada_data *D, const struct ada_data *V,
                   const struct ada_opts *o, struct ada_subset *s, struct wn_err *err);
int ada__craig(const struct ada_data *D, const struct ada_opts *o, struct ada_subset *s,
               struct wn_err *err);

#endif
