/*
 * fuzz_classes.c - class-name files of winnow-manifest idx --classes
 * (idx_class_names): one name per line.
 */
#include "fuzz.h"
#include "idx.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmpfile(data, size, ".txt");
	struct wn_err err = { 0 };
	size_t n;
	char **names = idx_class_names(path, &n, &err);

	if (names == NULL) {
		if (err.code == 0)
			abort();
		unlink(path);
		return 0;
	}
	if (n == 0 || names[n] != NULL)
		abort();
	for (size_t k = 0; k < n; k++) {
		if (names[k][0] == '\0' || strchr(names[k], '\t') || strchr(names[k], '\n'))
			abort();
		free(names[k]);
	}
	free(names);
	unlink(path);
	return 0;
}
