/* test_npy.c - .npy round trips, other dtypes, and hostile headers. */
#define _GNU_SOURCE 1  /* memmem */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"
#include "unit.h"

static char dir[] = "/tmp/test_npy.XXXXXX";

static const char *
path(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	return buf;
}

/* Write a file with a v1.0 header dict and raw data bytes. */
static void
write_raw(const char *name, const char *dict, const void *data, size_t len)
{
	FILE *fp = fopen(path(name), "wb");
	size_t dl = strlen(dict), hl = (10 + dl + 1 + 63) / 64 * 64 - 10;
	unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8) };

	fwrite(pre, 1, 10, fp);
	fputs(dict, fp);
	for (size_t i = dl; i < hl - 1; i++)
		fputc(' ', fp);
	fputc('\n', fp);
	if (len)
		fwrite(data, 1, len, fp);
	fclose(fp);
}

TEST(roundtrip_seekable)
{
	struct wn_err err = { 0 };
	float rows[3 * 4], back[3 * 4];
	struct npy m;
	FILE *fp = fopen(path("a.npy"), "wb");
	struct npy_writer *w = npy_writer_open(fp, "a.npy", 4, -1, &err);

	for (int i = 0; i < 12; i++)
		rows[i] = (float)i * 0.1f - 0.5f;
	CHECK(w != NULL, "%s", err.msg);
	CHECK(npy_write_rows(w, rows, 2, &err) == 0, "%s", err.msg);
	CHECK(npy_write_rows(w, rows + 8, 1, &err) == 0, "%s", err.msg);
	CHECK(npy_writer_finish(w, &err) == 0, "%s", err.msg);
	fclose(fp);
	CHECK(npy_open(&m, path("a.npy"), &err) == 0, "%s", err.msg);
	CHECK(m.rows == 3 && m.cols == 4 && m.dtype == NPY_F4, "shape %zu x %zu", m.rows, m.cols);
	CHECK(npy_read_rows(&m, 0, 3, back, &err) == 0, "%s", err.msg);
	CHECK(memcmp(back, rows, 8 * sizeof(float)) == 0 && memcmp(back + 8, rows + 8, 4 * sizeof(float)) == 0, "data differs");
	CHECK(npy_f4_row(&m, 2) != NULL && npy_f4_row(&m, 2)[3] == rows[11], "direct row");
	CHECK(npy_read_rows(&m, 2, 2, back, &err) != 0 && err.code == WN_EDATA, "read past the end allowed");
	npy_close(&m);
}

TEST(numpy_reads_what_we_write)
{
	/* The contract: np.load must read what winnow writes, both with the
	 * row count patched in and with it known in advance. */
	struct wn_err err = { 0 };
	float rows[6] = { 0.5f, -1.25f, 3e-8f, 1e30f, -0.0f, 7 };
	char cmd[1024];
	int rc;

	for (int known = 0; known < 2; known++) {
		FILE *fp = fopen(path("np.npy"), "wb");
		struct npy_writer *w = npy_writer_open(fp, "np.npy", 3, known ? 2 : -1, &err);
		CHECK(w && npy_write_rows(w, rows, 2, &err) == 0 && npy_writer_finish(w, &err) == 0, "%s", err.msg);
		fclose(fp);
		snprintf(cmd, sizeof cmd,
		         "/usr/bin/python3 -c 'import numpy as np, sys; a = np.load(\"%s\"); "
		         "sys.exit(0 if a.dtype == np.float32 and a.shape == (2, 3) and a[0,1] == -1.25 "
		         "and a[1,0] == np.float32(1e30) and a[1,2] == 7 else 1)'", path("np.npy"));
		rc = system(cmd);
		CHECK(rc == 0, "numpy could not read the file (known=%d, rc=%d)", known, rc);
	}
}

TEST(pipe_needs_row_count)
{
	struct wn_err err = { 0 };
	int fds[2];
	FILE *fp;

	CHECK(pipe(fds) == 0, "pipe");
	fp = fdopen(fds[1], "w");
	CHECK(npy_writer_open(fp, "<pipe>", 4, -1, &err) == NULL && err.code == WN_EUSAGE,
	      "unknown row count accepted on a pipe");
	fclose(fp);
	close(fds[0]);
}

TEST(reads_f8_and_f2)
{
	struct wn_err err = { 0 };
	double d[4] = { 1.5, -2.25, 1e-3, 3e6 };
	unsigned short h[4] = { 0x3c00, 0xc000, 0x3555, 0x0001 };   /* 1, -2, 0.333, min subnormal */
	float out[4];
	struct npy m;

	write_raw("d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", d, sizeof d);
	CHECK(npy_open(&m, path("d.npy"), &err) == 0, "%s", err.msg);
	CHECK(npy_read_rows(&m, 0, 2, out, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 4; i++)
		CHECK(out[i] == (float)d[i], "f8[%d] %g", i, out[i]);
	npy_close(&m);
	write_raw("h.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 4), }", h, sizeof h);
	CHECK(npy_open(&m, path("h.npy"), &err) == 0, "%s", err.msg);
	CHECK(npy_read_rows(&m, 0, 1, out, &err) == 0, "%s", err.msg);
	CHECK(out[0] == 1.0f && out[1] == -2.0f, "f2 %g %g", out[0], out[1]);
	CHECK_NEAR(out[2], 0.33325195, 1e-6);
	CHECK(out[3] == ldexpf(1, -24), "subnormal %g", out[3]);
	npy_close(&m);
}

static void
refused(const char *name, const char *dict, size_t datalen, const char *want)
{
	struct wn_err err = { 0 };
	struct npy m;
	char *data = calloc(1, datalen + 1);

	write_raw(name, dict, data, datalen);
	free(data);
	CHECK(npy_open(&m, path(name), &err) != 0, "%s accepted", name);
	CHECK(err.code == WN_EDATA, "%s: code %d", name, err.code);
	CHECK(strstr(err.msg, want) != NULL, "%s: message \"%s\" lacks \"%s\"", name, err.msg, want);
}

TEST(hostile_headers)
{
	struct wn_err err = { 0 };
	struct npy m;
	FILE *fp;

	refused("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, "Fortran");
	refused("int.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", 16, "not supported");
	refused("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", 16, "not supported");
	refused("3d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", 32, "3 dimensions");
	refused("1d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 16, "1 dimension");
	refused("trunc.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 15, "truncated");
	refused("trail.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 17, "after the data");
	refused("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 2), }", 16, "absurd");
	refused("big.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", 16, "absurd");
	refused("noshape.npy", "{'descr': '<f4', 'fortran_order': False, }", 16, "no 'shape'");

	fp = fopen(path("magic.npy"), "wb");
	fputs("PK\003\004 this is a zip", fp);
	fclose(fp);
	CHECK(npy_open(&m, path("magic.npy"), &err) != 0 && strstr(err.msg, "magic"), "bad magic: %s", err.msg);

	/* a header longer than the 10,000-byte limit (format 2.0) */
	fp = fopen(path("long.npy"), "wb");
	fwrite("\x93NUMPY\x02\x00\x10\x27\x01\x00", 1, 12, fp);
	fclose(fp);
	CHECK(npy_open(&m, path("long.npy"), &err) != 0 && strstr(err.msg, "limit"), "long header: %s", err.msg);

	CHECK(npy_open(&m, path("missing.npy"), &err) != 0 && err.code == WN_ENOINPUT, "missing: %d", err.code);
}

TEST(header_is_fixed_size_and_aligned)
{
	unsigned char h[128];

	npy_header_f4(h, 123456789012ULL, 2048);
	CHECK(h[127] == '\n', "header must end in a newline");
	CHECK(h[8] + 10 == 128, "header length field");
	CHECK(memmem(h, 128, "(123456789012, 2048)", 20) != NULL, "shape text");
}

/* Resident pages of this process (/proc/self/statm's second field). */
static long
resident_pages(void)
{
	long size = 0, res = -1;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp && fscanf(fp, "%ld %ld", &size, &res) != 2)
		res = -1;
	if (fp)
		fclose(fp);
	return res;
}

/* The rows of big.npy, value i % 977 * 0.25 at flat index i. */
static float
big_value(size_t row, size_t col, size_t cols)
{
	return (float)((row * cols + col) % 977) * 0.25f;
}

TEST(read_list_streams)
{
	/* 16 MB through npy_read_list, in blocks of runs and of scattered
	 * rows: the same values as npy_read_rows, in every dtype, and the
	 * process's resident pages do not grow with the rows read (pread,
	 * not the mapping). */
	enum { COLS = 1024, ROWS = 4096, BLK = 64 };
	struct wn_err err = { 0 };
	float *rows = malloc((size_t)ROWS * COLS * sizeof *rows);
	float *out = malloc((size_t)BLK * COLS * sizeof *out);
	size_t list[BLK];
	struct npy m;
	FILE *fp = fopen(path("big.npy"), "wb");
	struct npy_writer *w = npy_writer_open(fp, "big.npy", COLS, ROWS, &err);

	CHECK(rows != NULL && out != NULL && w != NULL, "%s", err.msg);
	for (size_t r = 0; r < ROWS; r++)
		for (size_t c = 0; c < COLS; c++)
			rows[r * COLS + c] = big_value(r, c, COLS);
	CHECK(npy_write_rows(w, rows, ROWS, &err) == 0 && npy_writer_finish(w, &err) == 0, "%s", err.msg);
	fclose(fp);
	free(rows);
	CHECK(npy_open(&m, path("big.npy"), &err) == 0, "%s", err.msg);
	long before = resident_pages();
	int wrong = 0;
	for (size_t b = 0; b < ROWS / BLK; b++) {
		for (size_t i = 0; i < BLK; i++)  /* odd blocks scattered, even ones a run */
			list[i] = b % 2 ? (b * BLK + i * 37) % ROWS : b * BLK + i;
		CHECK(npy_read_list(&m, list, BLK, out, &err) == 0, "%s", err.msg);
		for (size_t i = 0; i < BLK; i++)
			for (size_t c = 0; c < COLS; c++)
				wrong += out[i * COLS + c] != big_value(list[i], c, COLS);
	}
	long after = resident_pages();
	CHECK(wrong == 0, "%d values differ", wrong);
	CHECK(before > 0 && after - before < 1000, "reading 16 MB grew by %ld pages", after - before);
	list[0] = 5;
	list[1] = ROWS;
	CHECK(npy_read_list(&m, list, 2, out, &err) != 0 && err.code == WN_EDATA, "row past the end read");
	npy_close(&m);

	/* <f8 and <f2 through the bounce buffer, rows out of order; a NaN named */
	double d[3 * 2] = { 1.5, -2.25, 1e-3, 3e6, 7, NAN };
	unsigned short h[2 * 2] = { 0x3c00, 0xc000, 0x3555, 0x0001 };
	write_raw("d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", d, sizeof d);
	CHECK(npy_open(&m, path("d.npy"), &err) == 0, "%s", err.msg);
	size_t l2[2] = { 1, 0 };
	CHECK(npy_read_list(&m, l2, 2, out, &err) == 0, "%s", err.msg);
	CHECK(out[0] == 1e-3f && out[1] == 3e6f && out[2] == 1.5f && out[3] == -2.25f,
	      "f8 %g %g %g %g", out[0], out[1], out[2], out[3]);
	l2[1] = 2;
	CHECK(npy_read_list(&m, l2, 2, out, &err) != 0 && strstr(err.msg, "row 2, column 1: nan"),
	      "NaN: %s", err.msg);
	npy_close(&m);
	write_raw("h.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", h, sizeof h);
	CHECK(npy_open(&m, path("h.npy"), &err) == 0, "%s", err.msg);
	l2[0] = 1, l2[1] = 0;
	CHECK(npy_read_list(&m, l2, 2, out, &err) == 0, "%s", err.msg);
	CHECK(out[2] == 1.0f && out[3] == -2.0f && out[1] == ldexpf(1, -24), "f2 %g %g %g",
	      out[2], out[3], out[1]);
	npy_close(&m);
	free(out);
}

TEST(views_stream)
{
	/* 16 MB through npy_view_list and npy_unview, 64 rows a view: the
	 * views hold the rows, and the resident pages do not grow with the
	 * rows viewed (red without the MADV_DONTNEED of npy_unview) */
	enum { COLS = 1024, ROWS = 4096, BLK = 64 };
	struct wn_err err = { 0 };
	size_t list[BLK];
	struct npy m;
	const float *v;

	CHECK(npy_open(&m, path("big.npy"), &err) == 0, "%s", err.msg);   /* read_list_streams' */
	long before = resident_pages();
	int wrong = 0, views = 0;
	for (size_t b = 0; b < ROWS / BLK; b++) {
		for (size_t i = 0; i < BLK; i++)
			list[i] = b * BLK + i;
		CHECK(npy_view_list(&m, list, BLK, &v, &err) == 0, "%s", err.msg);
		views += v != NULL;
		for (size_t i = 0; v && i < BLK; i++)
			for (size_t c = 0; c < COLS; c++)
				wrong += v[i * COLS + c] != big_value(list[i], c, COLS);
		npy_unview(&m, v, BLK);
	}
	long after = resident_pages();
	CHECK(views == ROWS / BLK, "%d views of %d", views, ROWS / BLK);
	CHECK(wrong == 0, "%d values differ", wrong);
	CHECK(before > 0 && after - before < 1500, "viewing 16 MB grew by %ld pages", after - before);
	list[0] = 0, list[1] = 2;       /* not a run: read them instead */
	CHECK(npy_view_list(&m, list, 2, &v, &err) == 0 && v == NULL, "a view of rows 0 and 2");
	npy_close(&m);

	float d[3 * 2] = { 1.5f, -2.25f, 1e-3f, 3e6f, 7, NAN };
	write_raw("nan.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", d, sizeof d);
	CHECK(npy_open(&m, path("nan.npy"), &err) == 0, "%s", err.msg);
	list[0] = 0, list[1] = 1;
	CHECK(npy_view_list(&m, list, 2, &v, &err) == 0 && v && v[3] == 3e6f, "view of two rows");
	npy_unview(&m, v, 2);
	list[0] = 1, list[1] = 2;
	CHECK(npy_view_list(&m, list, 2, &v, &err) != 0 && !v && strstr(err.msg, "row 2, column 1: nan"),
	      "NaN: %s", err.msg);
	npy_close(&m);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(roundtrip_seekable);
	RUN(numpy_reads_what_we_write);
	RUN(pipe_needs_row_count);
	RUN(reads_f8_and_f2);
	RUN(hostile_headers);
	RUN(header_is_fixed_size_and_aligned);
	RUN(read_list_streams);
	RUN(views_stream);
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return unit_done();
}
