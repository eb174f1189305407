/*
 * fuzz_npy.c - .npy header and body: npy_open, then every row read back
 * in chunks (and through npy_f4_row for '<f4').  A chunk with a NaN or
 * inf feature must be refused as bad data (65), and nothing else may be.
 */
#include "fuzz.h"
#include "npy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_tmpfile(data, size, ".npy");
	struct wn_err err = { 0 };
	struct npy m;
	float *buf;

	if (npy_open(&m, path, &err) != 0) {
		if (err.code == 0)
			abort();
		unlink(path);
		return 0;
	}
	/* the file length equals header + rows * cols * size: cols * 8
	 * bytes per row cannot overflow a file that exists */
	if (m.cols > 0 && m.rows > 0) {
		size_t chunk = 7;
		buf = malloc(chunk * m.cols * sizeof *buf);
		for (size_t r = 0; r < m.rows; r += chunk) {
			size_t n = m.rows - r < chunk ? m.rows - r : chunk;
			if (npy_read_rows(&m, r, n, buf, &err) != 0) {
				if (err.code != WN_EDATA || !strstr(err.msg, "not a finite number"))
					abort();
				break;
			}
			if (m.dtype == NPY_F4) {
				/* NULL is the documented answer when the data does
				 * not start on a float boundary (crash-fe36c4af:
				 * a 91-byte header); otherwise the row must match */
				const float *p = npy_f4_row(&m, r);
				if (p == NULL ? (m.data_off & 3) == 0
				              : memcmp(p, buf, m.cols * sizeof *buf) != 0)
					abort();
			}
		}
		if (npy_read_rows(&m, m.rows, 1, buf, &err) == 0)
			abort();        /* past the end must be refused */
		free(buf);
	}
	npy_close(&m);
	unlink(path);
	return 0;
}
