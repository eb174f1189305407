/*
 * embed.h - image embeddings without pretrained weights.
 *
 * Every method takes images already resized to the working size (img.h:
 * W x H x C floats in [0,1], row-major, channels interleaved) and writes
 * emb_dim() floats per image.  An embedder (struct emb) is immutable once
 * made and may be shared by threads; each thread has its own workspace.
 *
 *   pixels  the W*H*C pixels as they are.
 *   random  relu(R s / sqrt(W*H*C)): s the image standardised on its own
 *           (s = (x - mean(x)) / sqrt(var(x) + 0.01), mean and variance
 *           over the image's W*H*C values), R a d x W*H*C matrix of
 *           independent standard normals R[k][j] =
 *           wn_normal_counter(seed, EMB_STREAM_PROJECT, k*W*H*C + j),
 *           regenerated from the seed, never stored.
 *   kmeans  Coates, Lee & Ng (2011) single-layer features with a
 *           dictionary learned by emb_learn_kmeans(): every p x p patch
 *           (stride 1) is contrast-normalised, whitened (ZCA), and
 *           compared with the K centroids, f_k = max(0, mean(z) - z_k)
 *           with z_k the Euclidean distance to centroid k; each of the K
 *           maps is sum-pooled over 4 quadrants: 4K features, ordered
 *           quadrant-major (top-left, top-right, bottom-left,
 *           bottom-right), centroid within quadrant.
 */
#ifndef WN_EMBED_H
#define WN_EMBED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum emb_method { EMB_PIXELS, EMB_RANDOM, EMB_KMEANS };

/* The hash.h stream of the random projection (hash.h's enum stops at 6). */
enum { EMB_STREAM_PROJECT = 7 };

/* Contrast normalisation of a patch in [0,1] units: (p - mean) /
 * sqrt(var + EMB_NORM_EPS), var the unbiased variance: Coates et al.'s
 * "+10" for pixels in 0..255.  ZCA: eigenvalues + EMB_ZCA_EPS. */
#define EMB_NORM_EPS (10.0 / (255.0 * 255.0))
#define EMB_ZCA_EPS 0.1

struct emb_dict {
	int patch;          /* p: patches are p x p x channels */
	int channels;
	int dim;            /* p*p*channels */
	int k;              /* centroids */
	float *mean;        /* dim: patch mean subtracted before whitening */
	float *zca;         /* dim x dim, symmetric */
	float *cent;        /* k x dim, in whitened space */
	/* how it was learned (for the file header) */
	uint64_t seed;
	long long npatches;
	int iters;
};

struct emb {
	enum emb_method method;
	int W, H, C;
	int in_dim;         /* W*H*C */
	int out_dim;
	float *proj;        /* random: out_dim x in_dim */
	const struct emb_dict *dict;    /* kmeans: borrowed */
	float *cc;          /* kmeans: |c_k|^2 */
	int pw, ph;         /* kmeans: patch grid (W-p+1) x (H-p+1) */
};

/* Make an embedder.  d is the output dimension for random (ignored
 * otherwise), dict the dictionary for kmeans (kept by pointer).  65 if
 * the size is too small for the patches or the channels differ from the
 * dictionary's; 70 on out-of-memory. */
int emb_init(struct emb *e, enum emb_method m, int W, int H, int C,
             int d, uint64_t seed, const struct emb_dict *dict,
             struct wn_err *err);
void emb_free(struct emb *e);

struct emb_ws;
/* A workspace for batches of at most maxn images; NULL if out of memory. */
struct emb_ws *emb_ws_new(const struct emb *e, size_t maxn);
void emb_ws_free(struct emb_ws *ws);

/* Embed n <= maxn images (px: n * in_dim floats) into out (n * out_dim).
 * kmeans encodes each image on its own (fixed tiles of its patches), so an
 * image's features do not depend on the batch, bit for bit; random's one
 * GEMM per batch can differ in the last bits with the row's place. */
void emb_encode(const struct emb *e, struct emb_ws *ws, const float *px,
                size_t n, float *out);

/* Flops and thread CPU seconds this workspace spent in the encoding GEMM
 * so far: kmeans's distance GEMM, random's projection. */
void emb_ws_gemm(const struct emb_ws *ws, double *flop, double *sec);

/*
 * Learning a dictionary: patches (n x dim, raw pixels in [0,1]) are
 * contrast-normalised in place, the ZCA whitening fitted (LAPACKE_dsyev),
 * the patches whitened, and k-means run for iters Lloyd iterations,
 * started from the patches at rows i*n/k.  A cluster that ends up empty
 * keeps its centroid.  Deterministic for given patches.
 * 65 if n < k; 70 on out-of-memory or a failed eigen-decomposition.
 */
int emb_learn_kmeans(struct emb_dict *d, float *patches, size_t n,
                     int patch, int channels, int k, int iters,
                     struct wn_err *err);

/* Copy the p x p patch at (x, y) of a W x H x C image into dst. */
void emb_patch(const float *img, int W, int C, int p, int x, int y, float *dst);
/* The ppi patches winnow-embed learn takes from one W x H x C image: the
 * p x p patch at positions drawn from hash stream WN_STREAM_PATCH of the
 * image's key (a hash of its id), so the sample does not depend on the
 * order, the threads or the other images.  dst: ppi * p*p*C floats. */
void emb_sample_patches(const float *img, int W, int H, int C, int p, uint64_t key,
                        size_t ppi, float *dst);
/* The resume sidecar's config word: an XXH64 of everything that shapes
 * the output bytes (method, size, dimension, seed, batch, pixel limit,
 * and for kmeans the dictionary), so that --resume refuses to continue a
 * run made with other options. */
uint64_t emb_config_hash(const struct emb *e, uint64_t seed, int batch,
                         long long max_pixels);
/* Contrast-normalise one patch of n values in place. */
void emb_normalise(float *v, int n);

/* The dictionary file: a text header (magic line "winnow-kmeans-dict 1",
 * then "key: value" lines, then "end") followed by little-endian float32
 * arrays mean, zca, centroids and an XXH64 of them.  Loading checks all
 * of it: 66 if unreadable, 65 if anything is wrong. */
int emb_dict_save(const struct emb_dict *d, FILE *fp, const char *name,
                  struct wn_err *err);
int emb_dict_load(struct emb_dict *d, const char *path, struct wn_err *err);
void emb_dict_free(struct emb_dict *d);

#endif
