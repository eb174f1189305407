/*
 * dedup.c - near-duplicate groups and local density (see dedup.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "dedup.h"
#include "faissx.h"
#include "grow.h"
#include "hash.h"

/* Range search asks faiss for sims above threshold - DD_EPS and the exact
 * recomputation decides: faiss's float sums (sgemm blocking) may differ
 * from ours in the last bits, which must not drop a pair at the
 * threshold.  k-NN asks for DD_MARGIN more than needed for the same
 * reason. */
#define DD_EPS 1e-4f
enum { DD_MARGIN = 8, DD_BATCH = 1024 };

float
dd_cos(const float *a, const float *b, int d)
{
	double s = 0;

	for (int i = 0; i < d; i++)
		s += (double)a[i] * b[i];
	if (s > 1)
		s = 1;
	if (s < -1)
		s = -1;
	return (float)s;
}

void
dd_pool_free(struct dd_pool *P)
{
	free(P->X);
	free(P->key);
	free(P->id);
	free(P->idbuf);
	free(P->score);
	free(P->pos);
	free(P->line);
	memset(P, 0, sizeof *P);
}


/* Sorting positions into the canonical order. */
struct canon {
	const uint64_t *key;
	const char *buf;
	const size_t *off;
};

static _Thread_local const struct canon *canon_ctx;

static int
canon_cmp(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct canon *c = canon_ctx;

	if (c->key[i] != c->key[j])
		return c->key[i] < c->key[j] ? -1 : 1;
	return strcmp(c->buf + c->off[i], c->buf + c->off[j]);
}

/* Unit-length copy of row src into dst (which may be src); 65 naming the
 * manifest line on an all-zero row (NaN and inf were refused by the npy
 * reader). */
static int
unit_row(float *dst, const float *src, int d, const char *mname, long long line,
         const char *npyname, size_t row, struct wn_err *err)
{
	double s = 0;

	for (int c = 0; c < d; c++)
		s += (double)src[c] * src[c];
	if (s == 0)
		return wn_seterr(err, WN_EDATA, "%s:%lld: row %zu of %s is all zeros: its "
		                 "cosine similarity is undefined", mname, line, row, npyname);
	double inv = 1 / sqrt(s);
	for (int c = 0; c < d; c++)
		dst[c] = (float)(src[c] * inv);
	return 0;
}

int
dd_pool_load(struct dd_pool *P, const struct npy *emb, struct mf_reader *r,
             const char *score_col, uint64_t seed, struct wn_err *err)
{
	const char *mname = mf_name(r);
	int rowcol = -1, sc = -1, got;
	size_t n = 0, cap_key = 0, cap_off = 0, cap_buf = 0, cap_row = 0, cap_sc = 0,
	    cap_line = 0, len = 0;
	size_t *off = NULL, *rows = NULL, *order = NULL;
	double *score = NULL;
	long long *line = NULL;
	int ret = -1;

	memset(P, 0, sizeof *P);
	P->seed = seed;
	/* the one pairing rule (surrogate/data.h): a row column, unique ids */
	if (emb && sur_pair_open(emb, r, &rowcol, err) != 0)
		return -1;
	if (score_col && (sc = mf_col(r, score_col)) < 0)
		return wn_seterr(err, WN_EDATA, "%s:1: no \"%s\" column for --score", mname,
		                 score_col);
	while ((got = mf_next(r, err)) > 0) {
		const char *id = mf_id(r);
		size_t l = strlen(id) + 1;
		if (wn_grow((void **)&P->key, &cap_key, n + 1, sizeof *P->key) < 0 ||
		    wn_grow((void **)&off, &cap_off, n + 1, sizeof *off) < 0 ||
		    wn_grow((void **)&line, &cap_line, n + 1, sizeof *line) < 0 ||
		    wn_grow((void **)&P->idbuf, &cap_buf, len + l, 1) < 0 ||
		    (emb && wn_grow((void **)&rows, &cap_row, n + 1, sizeof *rows) < 0) ||
		    (sc >= 0 && wn_grow((void **)&score, &cap_sc, n + 1, sizeof *score) < 0))
			goto oom;
		P->key[n] = wn_hash64(seed, WN_STREAM_TIEBREAK, id, l - 1);
		off[n] = len;
		memcpy(P->idbuf + len, id, l);
		len += l;
		line[n] = mf_lineno(r);
		if (emb && sur_row_of(r, rowcol, emb->rows, emb->name, &rows[n], err) < 0)
			goto out;
		if (sc >= 0) {
			const char *s = mf_field(r, (size_t)sc);
			char *end;
			errno = 0;
			double v = strtod(s, &end);
			if (!*s || *end || errno == ERANGE || !isfinite(v)) {
				wn_seterr(err, WN_EDATA, "%s:%lld: %s \"%s\" is not a finite number",
				          mname, mf_lineno(r), score_col, s);
				goto out;
			}
			score[n] = v;
		}
		n++;
	}
	if (got < 0)
		goto out;
	if (n == 0) {
		wn_seterr(err, WN_EDATA, "%s: no rows: the pool is empty", mname);
		goto out;
	}
	/* the canonical order */
	if (!(order = malloc(n * sizeof *order)))
		goto oom;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	struct canon c = { P->key, P->idbuf, off };
	canon_ctx = &c;
	qsort(order, n, sizeof *order, canon_cmp);
	canon_ctx = NULL;
	for (size_t p = 1; p < n; p++)
		if (P->key[order[p]] == P->key[order[p - 1]] &&
		    strcmp(P->idbuf + off[order[p]], P->idbuf + off[order[p - 1]]) == 0) {
			wn_seterr(err, WN_EDATA, "%s:%lld: duplicate id \"%s\" (also on line %lld)",
			          mname, line[order[p]] > line[order[p - 1]] ? line[order[p]] :
			          line[order[p - 1]], P->idbuf + off[order[p]],
			          line[order[p]] > line[order[p - 1]] ? line[order[p - 1]] :
			          line[order[p]]);
			goto out;
		}
	P->n = n;
	if (!(P->pos = malloc(n * sizeof *P->pos)) || !(P->id = malloc(n * sizeof *P->id)) ||
	    !(P->line = malloc(n * sizeof *P->line)))
		goto oom;
	uint64_t *key = malloc(n * sizeof *key);
	if (!key)
		goto oom;
	for (size_t p = 0; p < n; p++) {
		size_t i = order[p];
		P->pos[i] = p;
		P->id[p] = P->idbuf + off[i];
		P->line[p] = line[i];
		key[p] = P->key[i];
	}
	free(P->key);
	P->key = key;
	if (score) {
		if (!(P->score = malloc(n * sizeof *P->score)))
			goto oom;
		for (size_t p = 0; p < n; p++)
			P->score[p] = score[order[p]];
	}
	if (emb) {
		P->d = (int)emb->cols;
		if (P->d == 0) {
			wn_seterr(err, WN_EDATA, "%s: rows of 0 features", emb->name);
			goto out;
		}
		if (!(P->X = malloc(n * (size_t)P->d * sizeof *P->X)))
			goto oom;
		/* the rows are read in hash order, all over the file: with
		 * pread (npy_read_list), not through the mapping, which would
		 * grow to the file's size beside the unit rows (8.0 GB peak at a
		 * million rows of 1,024 instead of 5.0) */
		for (size_t p = 0; p < n; p++) {
			size_t i = order[p];
			float *x = P->X + p * P->d;
			if (npy_read_list(emb, &rows[i], 1, x, err) < 0 ||
			    unit_row(x, x, P->d, mname, line[i], emb->name, rows[i], err) < 0)
				goto out;
		}
	}
	ret = 0;
	goto out;
oom:
	wn_seterr(err, WN_ESOFTWARE, "out of memory after %zu rows", n);
out:
	free(off);
	free(rows);
	free(order);
	free(score);
	free(line);
	if (ret < 0)
		dd_pool_free(P);
	return ret;
}

long long
dd_pool_find(const struct dd_pool *P, const char *id)
{
	uint64_t k = wn_hash64(P->seed, WN_STREAM_TIEBREAK, id, strlen(id));
	size_t lo = 0, hi = P->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = P->key[mid] < k ? -1 : P->key[mid] > k ? 1 : strcmp(P->id[mid], id);
		if (c == 0)
			return (long long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
dd_result_init(struct dd_result *R, size_t n, int with_csim, struct wn_err *err)
{
	memset(R, 0, sizeof *R);
	R->n = n;
	R->query = calloc(n, 1);
	R->nn = malloc(n * sizeof *R->nn);
	R->nn_sim = malloc(n * sizeof *R->nn_sim);
	R->density = malloc(n * sizeof *R->density);
	R->parent = malloc(n * sizeof *R->parent);
	if (with_csim)
		R->csim = malloc(n * sizeof *R->csim);
	if (!R->query || !R->nn || !R->nn_sim || !R->density || !R->parent ||
	    (with_csim && !R->csim)) {
		dd_result_free(R);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu rows", n);
	}
	for (size_t p = 0; p < n; p++) {
		R->nn[p] = -1;
		R->nn_sim[p] = R->density[p] = NAN;
		R->parent[p] = (int64_t)p;
		if (R->csim)
			R->csim[p] = NAN;
	}
	return 0;
}

void
dd_result_free(struct dd_result *R)
{
	free(R->query);
	free(R->nn);
	free(R->nn_sim);
	free(R->density);
	free(R->csim);
	free(R->parent);
	memset(R, 0, sizeof *R);
}

int64_t
dd_find(int64_t *parent, int64_t p)
{
	while (parent[p] != p) {
		parent[p] = parent[parent[p]];
		p = parent[p];
	}
	return p;
}

void
dd_union(int64_t *parent, int64_t a, int64_t b)
{
	a = dd_find(parent, a);
	b = dd_find(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* A candidate neighbour: position and exact similarity. */
struct cand {
	int64_t p;
	float s;
};

static int
cand_by_pos(const void *a, const void *b)
{
	int64_t x = ((const struct cand *)a)->p, y = ((const struct cand *)b)->p;
	return (x > y) - (x < y);
}

/* Best first; equal similarities by position. */
static int
cand_by_sim(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->s != y->s)
		return x->s > y->s ? -1 : 1;
	return (x->p > y->p) - (x->p < y->p);
}

/*
 * One query's results from its candidates c[0..nc) (positions, duplicates
 * and the query itself allowed): exact similarities, the nearest, the
 * density over the k best, and the pairs at or above the threshold.
 */
static void
finish_query(const struct dd_pool *P, const struct dd_opts *o, struct dd_result *R,
             int64_t q, struct cand *c, size_t nc)
{
	const float *x = P->X + (size_t)q * P->d;
	size_t m = 0;

	qsort(c, nc, sizeof *c, cand_by_pos);
	for (size_t i = 0; i < nc; i++)
		if (c[i].p >= 0 && c[i].p != q && (m == 0 || c[m - 1].p != c[i].p))
			c[m++] = c[i];
	for (size_t i = 0; i < m; i++)
		c[i].s = dd_cos(x, P->X + (size_t)c[i].p * P->d, P->d);
	qsort(c, m, sizeof *c, cand_by_sim);
	R->query[q] = 1;
	if (m == 0)
		return;
	R->nn[q] = c[0].p;
	R->nn_sim[q] = c[0].s;
	size_t kk = m < (size_t)o->k ? m : (size_t)o->k;
	double s = 0;
	for (size_t i = 0; i < kk; i++)
		s += c[i].s;
	R->density[q] = (float)(s / (double)kk);
	for (size_t i = 0; i < m && c[i].s >= o->threshold; i++) {
		dd_union(R->parent, q, c[i].p);
		R->pairs++;
	}
}

/*
 * Search the queries qs[0..nq) (positions) against index ix, whose
 * labels map to positions through map (NULL: the labels are positions).
 */
static int
search_queries(const struct dd_pool *P, const struct dd_opts *o, struct dd_result *R,
               struct wf_index *ix, size_t nindex, const int64_t *map, const int64_t *qs,
               size_t nq, int *has_range, struct wn_err *err)
{
	int d = P->d, ret = -1;
	int kn = o->k + 1 + DD_MARGIN;
	if (!*has_range && o->cand + 1 > kn)
		kn = o->cand + 1;
	if ((size_t)kn > nindex)
		kn = (int)nindex;
	size_t B = nq < DD_BATCH ? nq : DD_BATCH;
	float *Q = malloc(B * (size_t)d * sizeof *Q), *D = malloc(B * (size_t)kn * sizeof *D);
	int64_t *I = malloc(B * (size_t)kn * sizeof *I);
	size_t *sat = malloc(B * sizeof *sat);
	struct cand *c = NULL;
	size_t ccap = 0;
	if (!Q || !D || !I || !sat)
		goto oom;
	for (size_t b0 = 0; b0 < nq; b0 += B) {
		size_t nb = nq - b0 < B ? nq - b0 : B;
		size_t *lims = NULL;
		float *rs = NULL;
		int64_t *rl = NULL;
		for (size_t j = 0; j < nb; j++)
			memcpy(Q + j * d, P->X + (size_t)qs[b0 + j] * d, (size_t)d * sizeof *Q);
		if (wf_search(ix, nb, Q, kn, D, I, err) < 0)
			goto out;
		/* Range search only the queries whose k-NN list may not hold all
		 * their pairs: those whose last neighbour is still above the
		 * radius (usually none, and a second pass over the index saved). */
		size_t ns = 0;
		float radius = (float)o->threshold - DD_EPS;
		for (size_t j = 0; j < nb; j++)
			if (kn < (int)nindex && I[j * kn + kn - 1] >= 0 && D[j * kn + kn - 1] >= radius) {
				sat[ns] = j;
				if (ns != j)
					memcpy(Q + ns * d, Q + j * d, (size_t)d * sizeof *Q);
				ns++;
			}
		if (*has_range && ns > 0) {
			int rc = wf_range_search(ix, ns, Q, radius, &lims, &rs, &rl, err);
			if (rc < 0)
				goto out;
			if (rc == 1) {
				/* no range search (HNSW): redo this batch with the wider k-NN */
				*has_range = 0;
				free(Q);
				free(D);
				free(I);
				free(c);
				free(sat);
				return search_queries(P, o, R, ix, nindex, map, qs, nq, has_range, err);
			}
		}
		size_t si = 0;
		for (size_t j = 0; j < nb; j++) {
			size_t nr = 0, r0 = 0, nc = 0;
			if (lims && si < ns && sat[si] == j) {
				r0 = lims[si];
				nr = lims[si + 1] - lims[si];
				si++;
			}
			if (wn_grow((void **)&c, &ccap, (size_t)kn + nr, sizeof *c) < 0) {
				free(lims);
				free(rs);
				free(rl);
				goto oom;
			}
			for (int t = 0; t < kn; t++) {
				int64_t l = I[j * kn + t];
				if (l >= 0)
					c[nc++].p = map ? map[l] : l;
			}
			for (size_t t = 0; t < nr; t++) {
				int64_t l = rl[r0 + t];
				c[nc++].p = map ? map[l] : l;
			}
			finish_query(P, o, R, qs[b0 + j], c, nc);
		}
		free(lims);
		free(rs);
		free(rl);
	}
	ret = 0;
	goto out;
oom:
	wn_seterr(err, WN_ESOFTWARE, "out of memory searching %zu queries", nq);
out:
	free(Q);
	free(D);
	free(I);
	free(c);
	free(sat);
	return ret;
}

/* A fresh index of factory over the n rows X (n x d), trained on them if
 * it needs it.  The index must be the same whatever the thread count and
 * in every shard.  faiss's k-means (an inverted file's coarse quantiser,
 * PQ codebooks) is: it trains on a subsample drawn with its fixed seed
 * (max_points_per_centroid, 256 a centroid), assigns by exhaustive search
 * (each row's distances one BLAS dot product, whoever computes it), and
 * sums each centroid's rows on one thread in row order; adding rows
 * fills each inverted list on one thread in row order too.  So those run
 * on the caller's threads (tests/winnow-dedup.bats compares -j 1 and -j 2
 * byte for byte).  HNSW's parallel insertion (and NSG's build) links rows
 * in the order threads reach them: those are built on one thread. */
static struct wf_index *
build_index(const char *factory, const char *params, const float *X, size_t n, int d,
            int threads, struct wn_err *err)
{
	struct wf_index *ix = wf_index_new(factory, d, err);
	if (!ix)
		return NULL;
	int graph = strstr(factory, "HNSW") || strstr(factory, "NSG");
	wf_set_threads(graph ? 1 : threads);
	if ((wf_index_needs_training(ix) && wf_index_train(ix, n, X, err) < 0) ||
	    wf_index_add(ix, n, X, err) < 0 ||
	    (params && wf_index_params(ix, params, err) < 0)) {
		wf_index_free(ix);
		return NULL;
	}
	wf_set_threads(threads);
	return ix;
}

static int
search_clusters(const struct dd_pool *P, const struct dd_opts *o, struct dd_result *R,
                struct wn_err *err)
{
	size_t n = P->n;
	int d = P->d, K = o->clusters, ret = -1;
	float *C = malloc((size_t)K * d * sizeof *C);
	int64_t *I = malloc(n * sizeof *I), *members = malloc(n * sizeof *members);
	int64_t *qs = malloc(n * sizeof *qs);
	float *D = malloc(n * sizeof *D), *Xc = NULL;
	size_t *start = calloc((size_t)K + 1, sizeof *start);
	struct wf_index *cix = NULL;

	if (!C || !I || !members || !qs || !D || !start)
		goto oom;
	if ((size_t)K > n) {
		wn_seterr(err, WN_EDATA, "%zu rows for --clusters %d", n, K);
		goto out;
	}
	wf_set_threads(o->threads);
	if (wf_kmeans(P->X, n, d, K, o->kmeans_iter, 1234, C, err) < 0)
		goto out;
	if (!(cix = wf_index_new("Flat", d, err)) || wf_index_add(cix, (size_t)K, C, err) < 0 ||
	    wf_search(cix, n, P->X, 1, D, I, err) < 0)
		goto out;
	for (size_t p = 0; p < n; p++) {
		if (I[p] < 0 || I[p] >= K) {
			wn_seterr(err, WN_ESOFTWARE, "k-means left row %zu in no cluster", p);
			goto out;
		}
		R->csim[p] = dd_cos(P->X + p * d, C + (size_t)I[p] * d, d);
		start[I[p] + 1]++;
	}
	for (int k = 0; k < K; k++)
		start[k + 1] += start[k];
	/* members of each cluster in canonical order (a counting sort) */
	{
		size_t *fill = malloc((size_t)K * sizeof *fill);
		if (!fill)
			goto oom;
		memcpy(fill, start, (size_t)K * sizeof *fill);
		for (size_t p = 0; p < n; p++)
			members[fill[I[p]]++] = (int64_t)p;
		free(fill);
	}
	size_t maxm = 0;
	for (int k = 0; k < K; k++)
		if (start[k + 1] - start[k] > maxm)
			maxm = start[k + 1] - start[k];
	if (!(Xc = malloc(maxm * (size_t)d * sizeof *Xc)))
		goto oom;
	for (int k = 0; k < K; k++) {
		size_t m = start[k + 1] - start[k], nq = 0;
		const int64_t *mem = members + start[k];
		for (size_t j = 0; j < m; j++) {
			memcpy(Xc + j * d, P->X + (size_t)mem[j] * d, (size_t)d * sizeof *Xc);
			if (mem[j] % o->nshards == o->shard)
				qs[nq++] = mem[j];
		}
		if (nq == 0)
			continue;
		struct wf_index *ix = build_index("Flat", NULL, Xc, m, d, o->threads, err);
		int has_range = 1;
		if (!ix)
			goto out;
		int rc = search_queries(P, o, R, ix, m, mem, qs, nq, &has_range, err);
		wf_index_free(ix);
		if (rc < 0)
			goto out;
	}
	ret = 0;
	goto out;
oom:
	wn_seterr(err, WN_ESOFTWARE, "out of memory for %d clusters of %zu rows", K, n);
out:
	wf_index_free(cix);
	free(C);
	free(I);
	free(members);
	free(qs);
	free(D);
	free(Xc);
	free(start);
	return ret;
}

int
dd_search(const struct dd_pool *P, const struct dd_opts *o, struct dd_result *R,
          struct wn_err *err)
{
	if (o->clusters > 0)
		return search_clusters(P, o, R, err);
	const char *factory = o->index ? o->index : "Flat";
	struct wf_index *ix = build_index(factory, o->params, P->X, P->n, P->d, o->threads, err);
	if (!ix)
		return -1;
	int64_t *qs = malloc(P->n * sizeof *qs);
	size_t nq = 0;
	if (!qs) {
		wf_index_free(ix);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu rows", P->n);
	}
	for (size_t p = (size_t)o->shard; p < P->n; p += (size_t)o->nshards)
		qs[nq++] = (int64_t)p;
	int has_range = 1;
	int rc = search_queries(P, o, R, ix, P->n, NULL, qs, nq, &has_range, err);
	free(qs);
	wf_index_free(ix);
	return rc;
}

/* The keep order of dd_groups. */
struct keepctx {
	const struct dd_pool *P;
	const struct dd_result *R;
	const int64_t *root;
	enum dd_keep keep;
};

static _Thread_local const struct keepctx *keep_ctx;

static int
keep_cmp(const void *a, const void *b)
{
	int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
	const struct keepctx *k = keep_ctx;

	if (k->root[i] != k->root[j])
		return k->root[i] < k->root[j] ? -1 : 1;
	if (k->keep == DD_KEEP_SEMDEDUP && k->R->csim[i] != k->R->csim[j])
		return k->R->csim[i] < k->R->csim[j] ? -1 : 1;
	if (k->P->score && k->P->score[i] != k->P->score[j])
		return k->P->score[i] > k->P->score[j] ? -1 : 1;
	return (i > j) - (i < j);   /* positions are the canonical order */
}

int
dd_groups(const struct dd_pool *P, const struct dd_result *R, enum dd_keep keep,
          int64_t *kept, size_t *rank, size_t *sizes, struct wn_err *err)
{
	size_t n = P->n;
	int64_t *root = malloc(n * sizeof *root), *ord = malloc(n * sizeof *ord);

	if (!root || !ord) {
		free(root);
		free(ord);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory for %zu rows", n);
	}
	if (keep == DD_KEEP_SEMDEDUP && !R->csim) {
		free(root);
		free(ord);
		return wn_seterr(err, WN_EUSAGE, "the SemDeDup keep rule needs the k-means "
		                 "clusters (--clusters K)");
	}
	for (size_t p = 0; p < n; p++) {
		root[p] = dd_find(R->parent, (int64_t)p);
		ord[p] = (int64_t)p;
	}
	struct keepctx k = { P, R, root, keep };
	keep_ctx = &k;
	qsort(ord, n, sizeof *ord, keep_cmp);
	keep_ctx = NULL;
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && root[ord[b]] == root[ord[a]])
			b++;
		for (size_t t = a; t < b; t++) {
			kept[ord[t]] = ord[a];
			rank[ord[t]] = t - a;
			if (sizes)
				sizes[ord[t]] = b - a;
		}
		a = b;
	}
	free(root);
	free(ord);
	return 0;
}

static const char *partial_cols[] = {
	"id", "query", "shard", "run", "link", "nn_id", "nn_sim", "density", "centroid_sim"
};
enum { PC_ID, PC_QUERY, PC_SHARD, PC_RUN, PC_LINK, PC_NN, PC_SIM, PC_DENS, PC_CSIM, PC_N };

static void
fmt_float(char *buf, size_t len, float v)
{
	if (isnan(v))
		buf[0] = '\0';
	else
		snprintf(buf, len, "%.9g", v);
}

int
dd_partial_write(FILE *fp, const char *fpname, const struct dd_pool *P,
                 const struct dd_result *R, const struct dd_opts *o, struct wn_err *err)
{
	char run[512], shard[64], sim[32], dens[32], csim[32];
	const char *f[PC_N];

	snprintf(run, sizeof run, "n=%zu seed=%llu threshold=%.9g k=%d cand=%d index=%s "
	         "params=%s clusters=%d kmeans_iter=%d shards=%d", P->n,
	         (unsigned long long)P->seed,
	         o->threshold, o->k, o->cand, o->index ? o->index : "Flat",
	         o->params ? o->params : "", o->clusters, o->clusters ? o->kmeans_iter : 0, o->nshards);
	snprintf(shard, sizeof shard, "%d/%d", o->shard, o->nshards);
	if (mf_write_fields(fp, fpname, partial_cols, PC_N, err) < 0)
		return -1;
	for (size_t p = 0; p < P->n; p++) {
		if (!R->query[p] && R->parent[p] == (int64_t)p)
			continue;
		f[PC_ID] = P->id[p];
		f[PC_QUERY] = R->query[p] ? "1" : "0";
		f[PC_SHARD] = shard;
		f[PC_RUN] = run;
		f[PC_LINK] = R->parent[p] != (int64_t)p ? P->id[R->parent[p]] : "";
		f[PC_NN] = R->query[p] && R->nn[p] >= 0 ? P->id[R->nn[p]] : "";
		fmt_float(sim, sizeof sim, R->query[p] ? R->nn_sim[p] : NAN);
		fmt_float(dens, sizeof dens, R->query[p] ? R->density[p] : NAN);
		fmt_float(csim, sizeof csim, R->csim ? R->csim[p] : NAN);
		f[PC_SIM] = sim;
		f[PC_DENS] = dens;
		f[PC_CSIM] = csim;
		if (mf_write_fields(fp, fpname, f, PC_N, err) < 0)
			return -1;
	}
	return 0;
}

/* A float field of a partial: empty is NaN; else a finite number. */
static int
parse_float(const char *s, float *v, const struct mf_reader *r, const char *col,
            struct wn_err *err)
{
	char *end;

	if (!*s) {
		*v = NAN;
		return 0;
	}
	errno = 0;
	float x = strtof(s, &end);
	if (*end || errno == ERANGE || !isfinite(x))
		return wn_seterr(err, WN_EDATA, "%s:%lld: %s \"%s\" is not a finite number",
		                 mf_name(r), mf_lineno(r), col, s);
	*v = x;
	return 0;
}

int
dd_partial_read(struct mf_reader *r, const struct dd_pool *P, struct dd_result *R,
                char **run, struct wn_err *err)
{
	const char *name = mf_name(r);
	int col[PC_N], got;

	for (int c = 0; c < PC_N; c++)
		if ((col[c] = mf_col(r, partial_cols[c])) < 0)
			return wn_seterr(err, WN_EDATA, "%s:1: no \"%s\" column: not a partial "
			                 "result of winnow-dedup --shard", name, partial_cols[c]);
	while ((got = mf_next(r, err)) > 0) {
		long long ln = mf_lineno(r);
		const char *id = mf_id(r), *q = mf_field(r, (size_t)col[PC_QUERY]);
		const char *sh = mf_field(r, (size_t)col[PC_SHARD]);
		const char *rs = mf_field(r, (size_t)col[PC_RUN]);
		long long p = dd_pool_find(P, id);
		if (p < 0)
			return wn_seterr(err, WN_EDATA, "%s:%lld: id \"%s\" is not in the manifest",
			                 name, ln, id);
		if (!*run) {
			char want[64];
			int l = snprintf(want, sizeof want, "n=%zu seed=%llu ", P->n,
			                 (unsigned long long)P->seed);
			if (strncmp(rs, want, (size_t)l) != 0)
				return wn_seterr(err, WN_EDATA, "%s:%lld: run \"%s\" is not of this "
				                 "manifest's %zu rows with seed %llu (--seed)", name, ln,
				                 rs, P->n, (unsigned long long)P->seed);
			if (!(*run = strdup(rs)))
				return wn_seterr(err, WN_ESOFTWARE, "out of memory");
		} else if (strcmp(*run, rs) != 0) {
			return wn_seterr(err, WN_EDATA, "%s:%lld: run \"%s\" differs from the first "
			                 "partial's \"%s\": partials of different runs", name, ln, rs,
			                 *run);
		}
		int si, sn, used = 0;
		if (sscanf(sh, "%d/%d%n", &si, &sn, &used) != 2 || sh[used] || si < 0 || sn < 1 ||
		    si >= sn)
			return wn_seterr(err, WN_EDATA, "%s:%lld: shard \"%s\" is not I/N", name, ln,
			                 sh);
		if (strcmp(q, "1") == 0 && (int64_t)p % sn != si)
			return wn_seterr(err, WN_EDATA, "%s:%lld: id \"%s\" does not belong to "
			                 "shard %s", name, ln, id, sh);
		if (strcmp(q, "1") == 0) {
			if (R->query[p])
				return wn_seterr(err, WN_EDATA, "%s:%lld: id \"%s\" already has a "
				                 "result (the same shard given twice?)", name, ln, id);
			R->query[p] = 1;
			const char *nn = mf_field(r, (size_t)col[PC_NN]);
			if (*nn) {
				long long t = dd_pool_find(P, nn);
				if (t < 0)
					return wn_seterr(err, WN_EDATA, "%s:%lld: nn_id \"%s\" is not in "
					                 "the manifest", name, ln, nn);
				R->nn[p] = t;
			}
			if (parse_float(mf_field(r, (size_t)col[PC_SIM]), &R->nn_sim[p], r,
			                "nn_sim", err) < 0 ||
			    parse_float(mf_field(r, (size_t)col[PC_DENS]), &R->density[p], r,
			                "density", err) < 0)
				return -1;
			if (R->csim) {
				if (parse_float(mf_field(r, (size_t)col[PC_CSIM]), &R->csim[p], r,
				                "centroid_sim", err) < 0)
					return -1;
				if (isnan(R->csim[p]))
					return wn_seterr(err, WN_EDATA, "%s:%lld: no centroid_sim (the "
					                 "shards ran without --clusters)", name, ln);
			}
		} else if (strcmp(q, "0") != 0) {
			return wn_seterr(err, WN_EDATA, "%s:%lld: query \"%s\" is not 0 or 1", name,
			                 ln, q);
		}
		const char *link = mf_field(r, (size_t)col[PC_LINK]);
		if (*link) {
			long long t = dd_pool_find(P, link);
			if (t < 0)
				return wn_seterr(err, WN_EDATA, "%s:%lld: link \"%s\" is not in the "
				                 "manifest", name, ln, link);
			dd_union(R->parent, p, t);
		}
	}
	return got < 0 ? -1 : 0;
}

int
dd_partial_check(const struct dd_pool *P, const struct dd_result *R, const char *mname,
                 struct wn_err *err)
{
	for (size_t p = 0; p < P->n; p++)
		if (!R->query[p])
			return wn_seterr(err, WN_EDATA, "%s:%lld: id \"%s\" has no result in the "
			                 "partials (a shard missing?)", mname, P->line[p], P->id[p]);
	return 0;
}
