/*
 * fuzz_model.c - surrogate model files: load; a loaded model must save and
 * load again to the same bytes.
 */
#include "fuzz.h"
#include "model.h"

static void *
load(FILE *fp, const char *name, struct wn_err *err)
{
	return sur_model_load(fp, name, err);
}

static int
save(const void *m, FILE *fp, const char *name, struct wn_err *err)
{
	return sur_model_save(m, fp, name, err);
}

static void
model_free(void *m)
{
	sur_model_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_format model = { load, save, model_free };

	model_free(fuzz_round_trip(&model, data, size));
	return 0;
}
