/*
 * fuzz_ckpt.c - winnow-train checkpoints (ckpt.h): the head, a sifting
 * state, a minibatch softmax trainer's state (sgd.h, 4 features, 3
 * classes) and the best model.  Every failure must say why (err.code);
 * nothing may crash or leak.
 */
#include "fuzz.h"
#include "ckpt.h"
#include "sgd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cls[] = { "cat", "dog", "eel" };
	static const float X[4 * 4] = { 1, 0, 0, 1, 0, 1, 0, -1, 0, 0, 1, 0, 1, 1, 1, 1 };
	struct wn_err err = { 0 };
	struct sur_ckpt h;
	struct sur_sgd_opts o;
	struct sift s;
	struct sur_model *best = NULL;
	uint64_t fp = 0;
	int sifting = size > 0 && data[size - 1] & 1;

	/* the fingerprint the file claims, so that the rest gets read */
	for (int i = 0; i < 8 && 16 + (size_t)i < size; i++)
		fp |= (uint64_t)data[16 + i] << (8 * i);
	if (sifting && sift_init(&s, 1.0, 500, 10, &err) != 0)
		abort();
	FILE *f = fuzz_memfile(data, size);
	if (sur_ckpt_load_head(f, "<fuzz>", fp, &h, sifting ? &s : NULL, &err) != 0) {
		if (err.code == 0)
			abort();
		goto out;
	}
	sur_sgd_opts_default(&o);
	struct sur_sgd *t = sur_sgd_new(&o, X, NULL, 4, 4, cls, 3, &err);
	if (!t)
		abort();
	if (sur_sgd_load(t, f, "<fuzz>", &err) != 0 ||
	    sur_ckpt_load_best(f, "<fuzz>", &h, &best, &err) != 0) {
		if (err.code == 0)
			abort();
	}
	sur_model_free(best);
	sur_sgd_free(t);
out:
	fclose(f);
	if (sifting)
		sift_free(&s);
	return 0;
}
