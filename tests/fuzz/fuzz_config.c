/*
 * fuzz_config.c - YAML config files (cfg_load), one section.
 */
#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmpfile(data, size, ".yaml");
	struct wn_err err = { 0 };
	struct cfg c;

	if (cfg_load(&c, path, "select", &err) != 0) {
		if (err.code == 0)
			abort();
	} else {
		for (size_t i = 0; i < c.n; i++)
			if (c.e[i].key == NULL || c.e[i].value == NULL || c.e[i].line < 1)
				abort();
		cfg_free(&c);
	}
	unlink(path);
	return 0;
}
