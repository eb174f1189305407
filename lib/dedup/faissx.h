/*
 * faissx.h - the few faiss calls winnow-dedup needs, as C functions.
 *
 * Debian's libfaiss-dev ships faiss's C API headers but not the library
 * behind them (only the C++ libfaiss.a), so lib/faissx.cpp wraps what is
 * used here: an inner-product index from an index_factory string, its
 * search parameters, k-NN and range search, spherical k-means.  Every C++
 * exception is caught at this boundary and becomes a struct wn_err (70 for
 * faiss's internal failures, 64 for an index string or parameter faiss
 * does not accept).  Only lib/dedup.c calls these; only winnow-dedup and
 * its tests link them (libfaiss.a, OpenMP and BLAS: FAISS_LIBS in
 * config.mk).
 */
#ifndef WN_FAISSX_H
#define WN_FAISSX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wf_index;        /* a faiss::Index with METRIC_INNER_PRODUCT */

/* A d-dimensional inner-product index built by faiss::index_factory from
 * factory ("Flat", "IVF1024,Flat", "HNSW32", ...).  64 if faiss refuses
 * the string. */
struct wf_index *wf_index_new(const char *factory, int d, struct wn_err *err);
void wf_index_free(struct wf_index *ix);

/* Search parameters in faiss's ParameterSpace syntax ("nprobe=16",
 * "efSearch=64", comma-separated).  64 if the index has no such
 * parameter. */
int wf_index_params(struct wf_index *ix, const char *params, struct wn_err *err);

/* Whether the index needs training before add. */
int wf_index_needs_training(const struct wf_index *ix);
/* Train on n rows of X (n x d), then add n rows of Y; the rows added get
 * labels 0, 1, ... in order. */
int wf_index_train(struct wf_index *ix, size_t n, const float *X, struct wn_err *err);
int wf_index_add(struct wf_index *ix, size_t n, const float *X, struct wn_err *err);

/* The k largest inner products of each of the n queries Q: D and I are
 * n x k, best first; label -1 (and D = -inf) where fewer than k exist. */
int wf_search(struct wf_index *ix, size_t n, const float *Q, int k, float *D, int64_t *I,
              struct wn_err *err);

/* Every added row whose inner product with a query is above radius:
 * query q's results are lab[lims[q] .. lims[q+1]) with sims sim[...]
 * (in no particular order).  lims, sim, lab are malloc'ed here (free with
 * free()).  Returns 1 (err untouched) when the index type has no range
 * search (HNSW): the caller uses k-NN instead. */
int wf_range_search(struct wf_index *ix, size_t n, const float *Q, float radius,
                    size_t **lims, float **sim, int64_t **lab, struct wn_err *err);

/* Spherical k-means (faiss::Clustering, inner product, unit-length
 * centroids) of the n rows of X into k centroids C (k x d): niter
 * iterations, faiss's sampling of at most 256 rows per centroid drawn with
 * seed. */
int wf_kmeans(const float *X, size_t n, int d, int k, int niter, int seed, float *C,
              struct wn_err *err);

/* The OpenMP threads faiss uses from now on (and OpenBLAS's). */
void wf_set_threads(int n);

#ifdef __cplusplus
}
#endif

#endif
