/*
 * fuzz_dict.c - winnow-embed k-means dictionary files (emb_dict_load); a
 * loaded dictionary must save and load back to the same bytes.
 */
#include "embed.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmpfile(data, size, ".dict");
	struct wn_err err = { 0 };
	struct emb_dict d, d2;
	char *a = NULL, *b = NULL, first[300];
	size_t alen, blen;
	FILE *fp;

	if (emb_dict_load(&d, path, &err) != 0) {
		if (err.code == 0)
			abort();
		unlink(path);
		return 0;
	}
	if ((fp = open_memstream(&a, &alen)) == NULL || emb_dict_save(&d, fp, "<mem>", &err) != 0 ||
	    fclose(fp) != 0)
		abort();
	snprintf(first, sizeof first, "%s", path);
	path = fuzz_tmpfile((const uint8_t *)a, alen, ".dict.2");
	if (emb_dict_load(&d2, path, &err) != 0) {
		fprintf(stderr, "reload: %s\n", err.msg);
		abort();
	}
	if ((fp = open_memstream(&b, &blen)) == NULL || emb_dict_save(&d2, fp, "<mem>", &err) != 0 ||
	    fclose(fp) != 0)
		abort();
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	unlink(path);
	unlink(first);
	free(a);
	free(b);
	emb_dict_free(&d);
	emb_dict_free(&d2);
	return 0;
}
