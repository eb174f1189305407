/*
 * ckpt.c - training checkpoints (see ckpt.h).
 */
#include <string.h>

#include "ckpt.h"

static const char ckpt_magic[8] = { 'W', 'N', 'T', 'R', 'C', 'K', 'P', 'T' };

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t
dbits(double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof v);
	return v;
}

static double
bitsd(uint64_t v)
{
	double d;
	memcpy(&d, &v, sizeof d);
	return d;
}

/* The head after the magic: version, then every field as 8 bytes. */
enum { NFIELD = 11, HEAD = 8 * (NFIELD + 1) };

int
sur_ckpt_save(FILE *fp, const char *name, const struct sur_ckpt *h, const struct sift *s,
              sur_ckpt_save_fn *save, void *ctx, const struct sur_model *best,
              struct wn_err *err)
{
	const uint64_t v[NFIELD + 1] = {
		SUR_CKPT_VERSION, h->fingerprint, (uint64_t)(int64_t)h->epoch,
		(uint64_t)(int64_t)h->best_epoch, (uint64_t)(int64_t)h->bad,
		(uint64_t)(int64_t)h->has_best, (uint64_t)h->steps, (uint64_t)h->seen,
		(uint64_t)h->backward, dbits(h->last_loss), dbits(h->best_val), dbits(h->seconds),
	};
	unsigned char b[HEAD];

	for (int i = 0; i <= NFIELD; i++)
		put64(b + 8 * i, v[i]);
	if (fwrite(ckpt_magic, 1, 8, fp) != 8 || fwrite(b, 1, HEAD, fp) != HEAD)
		return wn_seterr(err, WN_EIO, "%s: write error", name);
	if (s && sift_save(s, fp, name, err) != 0)
		return -1;
	if (save(ctx, fp, name, err) != 0)
		return -1;
	if (h->has_best && sur_model_save(best, fp, name, err) != 0)
		return -1;
	return 0;
}

int
sur_ckpt_load_head(FILE *fp, const char *name, uint64_t fingerprint, struct sur_ckpt *h,
                   struct sift *s, struct wn_err *err)
{
	unsigned char magic[8], b[HEAD];
	uint64_t v[NFIELD + 1];

	if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, ckpt_magic, 8) != 0)
		return wn_seterr(err, WN_EDATA, "%s: not a winnow-train checkpoint", name);
	if (fread(b, 1, HEAD, fp) != HEAD)
		return wn_seterr(err, WN_EDATA, "%s: checkpoint truncated", name);
	for (int i = 0; i <= NFIELD; i++)
		v[i] = get64(b + 8 * i);
	if (v[0] != SUR_CKPT_VERSION)
		return wn_seterr(err, WN_EDATA, "%s: checkpoint version %llu, this winnow-train "
		                 "reads version %d", name, (unsigned long long)v[0],
		                 SUR_CKPT_VERSION);
	if (v[1] != fingerprint)
		return wn_seterr(err, WN_EDATA, "%s: checkpoint of a different run (data or "
		                 "options differ)", name);
	h->fingerprint = v[1];
	h->epoch = (int32_t)(int64_t)v[2];
	h->best_epoch = (int32_t)(int64_t)v[3];
	h->bad = (int32_t)(int64_t)v[4];
	h->has_best = (int32_t)(int64_t)v[5];
	h->steps = (int64_t)v[6];
	h->seen = (int64_t)v[7];
	h->backward = (int64_t)v[8];
	h->last_loss = bitsd(v[9]);
	h->best_val = bitsd(v[10]);
	h->seconds = bitsd(v[11]);
	if (s && sift_load(s, fp, name, err) != 0)
		return -1;
	return 0;
}

int
sur_ckpt_load_best(FILE *fp, const char *name, const struct sur_ckpt *h,
                   struct sur_model **best, struct wn_err *err)
{
	*best = NULL;
	if (!h->has_best)
		return 0;
	return (*best = sur_model_load(fp, name, err)) ? 0 : -1;
}
