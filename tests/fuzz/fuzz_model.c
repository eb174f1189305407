/*
 * fuzz_model.c - surrogate model files: load; a loaded model must save and
 * load again to the same bytes.
 */
#include "fuzz.h"
#include "model.h"

static char *
save(const struct sur_model *m, size_t *len)
{
	struct wn_err err = { 0 };
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (fp == NULL || sur_model_save(m, fp, "<mem>", &err) != 0 || fclose(fp) != 0)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_err err = { 0 };
	FILE *fp = fuzz_memfile(data, size);
	struct sur_model *m = sur_model_load(fp, "<fuzz>", &err), *m2;
	char *a, *b;
	size_t alen, blen;

	fclose(fp);
	if (m == NULL) {
		if (err.code == 0)
			abort();
		return 0;
	}
	a = save(m, &alen);
	fp = fuzz_memfile((const uint8_t *)a, alen);
	if ((m2 = sur_model_load(fp, "<mem>", &err)) == NULL) {
		fprintf(stderr, "reload: %s\n", err.msg);
		abort();
	}
	fclose(fp);
	b = save(m2, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
	sur_model_free(m);
	sur_model_free(m2);
	return 0;
}
