/*
 * dedup.h - near-duplicate groups and local density by cosine similarity
 * (winnow-dedup), on faiss (faissx.h).
 *
 * The pool is held in a canonical order: rows sorted by
 * wn_hash64(seed, WN_STREAM_TIEBREAK, id), then by id bytes.  The index is
 * built and searched in that order and every tie is broken by it, so no
 * result depends on the order of the manifest; the similarities reported
 * are recomputed here by a fixed-order dot product of the unit rows (in
 * double), so they do not depend on faiss's blocking or thread count.
 *
 * Memory: 4d bytes a row for the unit rows, the id bytes, about 64 bytes
 * of bookkeeping, plus the index (IndexFlatIP: another 4d).
 */
#ifndef WN_DEDUP_H
#define WN_DEDUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "manifest.h"
#include "npy.h"

struct dd_pool {
	size_t n;           /* rows */
	int d;              /* features; 0 when loaded without embeddings */
	float *X;           /* n x d unit rows, canonical order (or NULL) */
	uint64_t *key;      /* n sort keys, ascending */
	char **id;          /* n ids (pointers into idbuf) */
	char *idbuf;
	double *score;      /* n keep scores (--score), or NULL */
	size_t *pos;        /* pos[i]: canonical position of manifest row i */
	long long *line;    /* line[p]: manifest line of position p */
	uint64_t seed;
};

/*
 * Read every row of the manifest r and, when emb is not NULL, its
 * embedding row (sur_pair_open() and sur_row_of(), surrogate/data.h: a
 * manifest without a row column is refused);
 * normalise each to unit length.  score_col, when not NULL, names a
 * column whose finite numbers rank the rows of a group.  Refused (65,
 * naming FILE:LINE): a bad or out-of-range row, a manifest without a row
 * column, a NaN or infinite
 * feature, an all-zero row, a missing or non-finite score, an empty pool,
 * a duplicate id.  r should be opened with MF_CHECK_DUPS.
 */
int dd_pool_load(struct dd_pool *P, const struct npy *emb, struct mf_reader *r,
                 const char *score_col, uint64_t seed, struct wn_err *err);
void dd_pool_free(struct dd_pool *P);
/* Canonical position of id, or -1. */
long long dd_pool_find(const struct dd_pool *P, const char *id);

enum dd_keep { DD_KEEP_SCORE, DD_KEEP_SEMDEDUP };

struct dd_opts {
	double threshold;   /* pairs at or above are duplicates, in [-1, 1] */
	int k;              /* neighbours for the density */
	int cand;           /* k-NN candidates when the index has no range search */
	const char *index;  /* faiss index_factory string; NULL: "Flat" (exact) */
	const char *params; /* faiss search parameters, or NULL */
	int clusters;       /* > 0: SemDeDup (pairs within k-means clusters) */
	int kmeans_iter;
	int threads;
	int shard, nshards; /* queries: the positions p with p % nshards == shard */
};

struct dd_result {
	size_t n;
	unsigned char *query;   /* n: this run computed the row's neighbours */
	int64_t *nn;        /* n: nearest neighbour's position, -1 if none */
	float *nn_sim;      /* n */
	float *density;     /* n: mean similarity to the k nearest (NaN if none) */
	float *csim;        /* n: similarity to its k-means centroid, or NULL */
	int64_t *parent;    /* n: union-find forest of the duplicate pairs */
	size_t pairs;       /* pairs at or above the threshold seen */
};

int dd_result_init(struct dd_result *R, size_t n, int with_csim, struct wn_err *err);
void dd_result_free(struct dd_result *R);

/* Neighbours, density and duplicate pairs of the shard's queries against
 * the whole pool.  64 for an index or parameters faiss refuses, 70 for
 * faiss failures. */
int dd_search(const struct dd_pool *P, const struct dd_opts *o, struct dd_result *R,
              struct wn_err *err);

/* Root of p's set in the forest (halving paths as it goes). */
int64_t dd_find(int64_t *parent, int64_t p);
/* Join the sets of a and b; the root is the lower position. */
void dd_union(int64_t *parent, int64_t a, int64_t b);

/*
 * The groups: kept[p] the position of the row kept in p's group, rank[p]
 * p's place in the group's keep order (0 = kept).  The keep order:
 * DD_KEEP_SEMDEDUP the lowest similarity to its centroid first (SemDeDup
 * keeps the row farthest from it; R->csim needed), then the highest score
 * (when P->score), then the canonical order (lowest hash of (seed, id),
 * then id bytes).  sizes[p], if not NULL, gets the size of p's group.
 */
int dd_groups(const struct dd_pool *P, const struct dd_result *R, enum dd_keep keep,
              int64_t *kept, size_t *rank, size_t *sizes, struct wn_err *err);

/* The cosine similarity of unit rows a and b (d floats): a double sum in
 * index order, clamped to [-1, 1]. */
float dd_cos(const float *a, const float *b, int d);

/*
 * Partial results (winnow-dedup --shard I/N): a manifest with the columns
 * id query shard run link nn_id nn_sim density centroid_sim, one line per
 * query row of the shard and per other row with a link.  run describes
 * the run (rows, seed, threshold, index...) and must agree across the
 * partials merged.  74 on write errors.
 */
int dd_partial_write(FILE *fp, const char *fpname, const struct dd_pool *P,
                     const struct dd_result *R, const struct dd_opts *o, struct wn_err *err);
/* Add one partial to R (initialised for P, with csim when the partials
 * have centroid similarities).  *run holds the run string of the first
 * partial (malloc'ed; NULL before).  65 naming FILE:LINE: an id not in
 * the manifest, a row given twice, partials of different runs or shard
 * counts, a bad number. */
int dd_partial_read(struct mf_reader *r, const struct dd_pool *P, struct dd_result *R,
                    char **run, struct wn_err *err);
/* After the last partial: 65 naming the manifest line of the first row
 * no partial gave (a missing shard). */
int dd_partial_check(const struct dd_pool *P, const struct dd_result *R, const char *mname,
                     struct wn_err *err);

#endif
