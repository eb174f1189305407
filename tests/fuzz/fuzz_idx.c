/*
 * fuzz_idx.c - IDX files, plain (and gzip: seeds include a .gz).
 */
#include "fuzz.h"
#include "idx.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmpfile(data, size, ".idx");
	struct wn_err err = { 0 };
	struct idx x;
	unsigned sum = 0;

	if (idx_load(&x, path, &err) != 0) {
		if (err.code == 0)
			abort();
		unlink(path);
		return 0;
	}
	for (size_t i = 0; i < x.count; i++) {
		const unsigned char *p = idx_item(&x, i);
		if (x.item_size > 0)
			sum += p[0] + p[x.item_size - 1];
	}
	(void)sum;
	idx_free(&x);
	unlink(path);
	return 0;
}
