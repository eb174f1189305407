/*
 * faissx.cpp - C functions over faiss's C++ API (see faissx.h for why).
 *
 * Nothing here prints or exits: each function catches every exception and
 * fills the caller's struct wn_err.
 */
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>

#include <omp.h>

#include <faiss/AutoTune.h>
#include <faiss/Clustering.h>
#include <faiss/IVFlib.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_factory.h>

extern "C" {
#include "err.h"
#include "faissx.h"
void openblas_set_num_threads(int);
}

typedef faiss::Index::idx_t fidx;   /* faiss 1.7.3: Index::idx_t */

struct wf_index {
	faiss::Index *ix;
};

/* faiss's messages name the C++ function and file; the last line is the
 * part a user can act on. */
static int
fail(struct wn_err *err, int code, const char *what, const std::exception &e)
{
	const char *m = e.what(), *p = std::strstr(m, "Error: '");
	return wn_seterr(err, code, "faiss: %s: %s", what, p ? p + 8 : m);
}

extern "C" struct wf_index *
wf_index_new(const char *factory, int d, struct wn_err *err)
{
	wf_index *w = nullptr;
	try {
		w = new wf_index;
		w->ix = faiss::index_factory(d, factory, faiss::METRIC_INNER_PRODUCT);
		/* an inverted file's coarse k-means would print a warning of its
		 * own for a small pool (lib/ never prints); the threshold only
		 * decides the warning, not the clustering */
		if (faiss::IndexIVF *ivf = faiss::ivflib::try_extract_index_ivf(w->ix)) {
			ivf->cp.min_points_per_centroid = 1;
			ivf->cp.verbose = false;
		}
		return w;
	} catch (const std::bad_alloc &e) {
		fail(err, WN_ESOFTWARE, "out of memory", e);
	} catch (const std::exception &e) {
		wn_seterr(err, WN_EUSAGE, "faiss: --index \"%s\" is not an index faiss's "
		          "index_factory builds (\"Flat\", \"IVF1024,Flat\", \"HNSW32\", ...)",
		          factory);
	}
	delete w;
	return nullptr;
}

extern "C" void
wf_index_free(struct wf_index *w)
{
	if (!w)
		return;
	delete w->ix;
	delete w;
}

extern "C" int
wf_index_params(struct wf_index *w, const char *params, struct wn_err *err)
{
	try {
		faiss::ParameterSpace ps;
		ps.set_index_parameters(w->ix, params);
		return 0;
	} catch (const std::exception &e) {
		return wn_seterr(err, WN_EUSAGE, "faiss: search parameters \"%s\" do not apply "
		                 "to this index (IVF takes nprobe, HNSW efSearch)", params);
	}
}

extern "C" int
wf_index_needs_training(const struct wf_index *w)
{
	return !w->ix->is_trained;
}

extern "C" int
wf_index_train(struct wf_index *w, size_t n, const float *X, struct wn_err *err)
{
	try {
		w->ix->train((fidx)n, X);
		return 0;
	} catch (const std::exception &e) {
		return fail(err, WN_ESOFTWARE, "training the index", e);
	}
}

extern "C" int
wf_index_add(struct wf_index *w, size_t n, const float *X, struct wn_err *err)
{
	try {
		w->ix->add((fidx)n, X);
		return 0;
	} catch (const std::exception &e) {
		return fail(err, WN_ESOFTWARE, "adding rows to the index", e);
	}
}

extern "C" int
wf_search(struct wf_index *w, size_t n, const float *Q, int k, float *D, int64_t *I,
          struct wn_err *err)
{
	static_assert(sizeof(fidx) == sizeof(int64_t), "faiss labels are 64-bit");
	try {
		w->ix->search((fidx)n, Q, k, D, reinterpret_cast<fidx *>(I));
		return 0;
	} catch (const std::exception &e) {
		return fail(err, WN_ESOFTWARE, "search", e);
	}
}

extern "C" int
wf_range_search(struct wf_index *w, size_t n, const float *Q, float radius, size_t **lims,
                float **sim, int64_t **lab, struct wn_err *err)
{
	*lims = nullptr;
	*sim = nullptr;
	*lab = nullptr;
	try {
		faiss::RangeSearchResult res((fidx)n);
		try {
			w->ix->range_search((fidx)n, Q, radius, &res);
		} catch (const faiss::FaissException &e) {
			if (std::strstr(e.what(), "not implemented"))
				return 1;
			throw;
		}
		size_t tot = res.lims[n];
		size_t *l = (size_t *)std::malloc((n + 1) * sizeof *l);
		float *s = (float *)std::malloc((tot ? tot : 1) * sizeof *s);
		int64_t *b = (int64_t *)std::malloc((tot ? tot : 1) * sizeof *b);
		if (!l || !s || !b) {
			std::free(l);
			std::free(s);
			std::free(b);
			return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu range-search "
			                 "results", tot);
		}
		std::memcpy(l, res.lims, (n + 1) * sizeof *l);
		std::memcpy(s, res.distances, tot * sizeof *s);
		std::memcpy(b, res.labels, tot * sizeof *b);
		*lims = l;
		*sim = s;
		*lab = b;
		return 0;
	} catch (const std::exception &e) {
		return fail(err, WN_ESOFTWARE, "range search", e);
	}
}

extern "C" int
wf_kmeans(const float *X, size_t n, int d, int k, int niter, int seed, float *C,
          struct wn_err *err)
{
	try {
		faiss::ClusteringParameters cp;
		cp.niter = niter;
		cp.spherical = true;
		cp.seed = seed;
		cp.min_points_per_centroid = 1;   /* faiss would print a warning */
		cp.verbose = false;
		faiss::Clustering cl(d, k, cp);
		faiss::IndexFlatIP q(d);
		cl.train((fidx)n, X, q);
		std::memcpy(C, cl.centroids.data(), (size_t)k * d * sizeof *C);
		return 0;
	} catch (const std::exception &e) {
		return fail(err, WN_ESOFTWARE, "k-means", e);
	}
}

extern "C" void
wf_set_threads(int n)
{
	omp_set_num_threads(n);
	openblas_set_num_threads(n);
}
