/*
 * fuzz_img.c - image decoding through lib/img.h as winnow-embed uses it:
 * the input as a file (PNG, JPEG, PGM/PPM by their first bytes) and as a
 * container item "FILE#N" (IDX, CIFAR-10 batch), each decoded image then
 * resized to gray and RGB.
 */
#include "fuzz.h"
#include "img.h"

static void
one(const char *path)
{
	struct wn_err err = { 0 };
	struct img im = { 0 };
	float out[8 * 6 * 3];

	if (img_load(&im, path, 1 << 20, NULL, &err) != 0) {
		if (err.code == 0)
			abort();
		return;
	}
	if (im.w <= 0 || im.h <= 0 || (im.c != 1 && im.c != 3) ||
	    (size_t)im.w * (size_t)im.h > (1u << 20))
		abort();
	if (img_resize(&im, 8, 6, 1, out, NULL, &err) != 0 ||
	    img_resize(&im, 8, 6, 3, out, NULL, &err) != 0)
		abort();
	/* [0, 1] exactly (crash-f2c40798: 1.00000012, tests/regress.bats) */
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
		if (!(out[i] >= 0.0f && out[i] <= 1.0f))
			abort();
	img_free(&im);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmpfile(data, size, "");
	char item[300];

	one(path);
	snprintf(item, sizeof item, "%s#%u", path, size > 0 ? data[size - 1] % 4u : 0u);
	one(item);
	unlink(path);
	return 0;
}
