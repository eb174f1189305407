/*
 * npy.c - NumPy .npy reading and writing (see npy.h).
 *
 * Hand-written: no Debian C library reads .npy, and the format is small
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host ('<f4' is written as the host's floats)"
#endif

enum { NPY_MAX_HEADER = 10000 };

static const unsigned char npy_magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

/* Find 'key' in the header dict and return a pointer just past its ':'. */
static const char *
dict_value(const char *h, const char *key)
{
	char q1[64], q2[64];
	const char *p;

	snprintf(q1, sizeof q1, "'%s'", key);
	snprintf(q2, sizeof q2, "\"%s\"", key);
	if ((p = strstr(h, q1)) == NULL && (p = strstr(h, q2)) == NULL)
		return NULL;
	p += strlen(q1);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

static int
bad(struct wn_err *err, const char *name, const char *what)
{
	return wn_seterr(err, WN_EDATA, "%s: not a 2-D float .npy file: %s", name, what);
}

/* Parse a shape tuple "(R, C)" into rows and cols.  Returns 0 or -1. */
static int
parse_shape(const char *p, size_t *rows, size_t *cols, struct wn_err *err, const char *name)
{
	unsigned long long d[3];
	int n = 0;
	char *end;

	if (*p++ != '(')
		return bad(err, name, "header: shape is not a tuple");
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			break;
		if (*p < '0' || *p > '9' || n == 3)
			return bad(err, name, "header: shape is not a tuple of integers");
		errno = 0;
		d[n++] = strtoull(p, &end, 10);
		if (errno)
			return bad(err, name, "header: absurd shape");
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != ')')
			return bad(err, name, "header: malformed shape");
	}
	if (n != 2)
		return wn_seterr(err, WN_EDATA, "%s: the array has %d dimension%s; embeddings must be 2-D (rows x features)",
		                 name, n, n == 1 ? "" : "s");
	*rows = d[0];
	*cols = d[1];
	return 0;
}

int
npy_open(struct npy *m, const char *path, struct wn_err *err)
{
	unsigned char pre[12];
	char *h = NULL;
	size_t hlen, pre_len, elt;
	const char *v;
	struct stat st;
	int fd;
	void *map;

	memset(m, 0, sizeof *m);
	m->name = path;
	m->fd = -1;
	if ((fd = open(path, O_RDONLY)) < 0)
		return wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return wn_seterr(err, WN_ENOINPUT, "%s: not a regular file (embeddings are read with mmap; save a pipe to a file first)", path);
	}
	if (st.st_size < 10 || pread(fd, pre, sizeof pre, 0) < 10 || memcmp(pre, npy_magic, 6) != 0) {
		close(fd);
		return bad(err, path, "no NumPy magic (\\x93NUMPY) at the start");
	}
	if (pre[6] == 1) {
		hlen = pre[8] | pre[9] << 8;
		pre_len = 10;
	} else if (pre[6] == 2 || pre[6] == 3) {
		if (st.st_size < 12) {
			close(fd);
			return bad(err, path, "truncated header");
		}
		hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
		pre_len = 12;
	} else {
		close(fd);
		return wn_seterr(err, WN_EDATA, "%s: .npy format version %d.%d is not supported (1.0, 2.0, 3.0 are)",
		                 path, pre[6], pre[7]);
	}
	if (hlen > NPY_MAX_HEADER) {
		close(fd);
		return wn_seterr(err, WN_EDATA, "%s: .npy header of %zu bytes is over the %d-byte limit",
		                 path, hlen, NPY_MAX_HEADER);
	}
	if ((off_t)(pre_len + hlen) > st.st_size) {
		close(fd);
		return bad(err, path, "truncated header");
	}
	if ((h = malloc(hlen + 1)) == NULL) {
		close(fd);
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
	}
	if (pread(fd, h, hlen, (off_t)pre_len) != (ssize_t)hlen) {
		free(h);
		close(fd);
		return wn_seterr(err, WN_EIO, "%s: read error: %s", path, strerror(errno));
	}
	h[hlen] = '\0';
	if (strlen(h) != hlen) {
		free(h);
		close(fd);
		return bad(err, path, "NUL byte in header");
	}

	if ((v = dict_value(h, "descr")) == NULL) {
		free(h);
		close(fd);
		return bad(err, path, "header has no 'descr'");
	}
	if (strncmp(v, "'<f4'", 5) == 0)
		m->dtype = NPY_F4;
	else if (strncmp(v, "'<f8'", 5) == 0)
		m->dtype = NPY_F8;
	else if (strncmp(v, "'<f2'", 5) == 0)
		m->dtype = NPY_F2;
	else {
		int n = 0;
		while (v[n] && v[n] != ',' && v[n] != '}' && n < 40)
			n++;
		wn_seterr(err, WN_EDATA, "%s: dtype %.*s is not supported: embeddings must be '<f2', '<f4' or '<f8' (little-endian float)",
		          path, n, v);
		free(h);
		close(fd);
		return -1;
	}
	if ((v = dict_value(h, "fortran_order")) == NULL || strncmp(v, "False", 5) != 0) {
		int fortran = v && strncmp(v, "True", 4) == 0;
		free(h);
		close(fd);
		return fortran ? wn_seterr(err, WN_EDATA, "%s: Fortran-order array: save it in C order (numpy.ascontiguousarray)", path)
		               : bad(err, path, "header has no valid 'fortran_order'");
	}
	if ((v = dict_value(h, "shape")) == NULL) {
		free(h);
		close(fd);
		return bad(err, path, "header has no 'shape'");
	}
	if (parse_shape(v, &m->rows, &m->cols, err, path) != 0) {
		free(h);
		close(fd);
		return -1;
	}
	free(h);

	elt = (size_t)m->dtype;
	m->data_off = pre_len + hlen;
	if (m->cols == 0 && m->rows > 0) {
		close(fd);
		return bad(err, path, "rows of zero features");
	}
	if (m->cols > 0 && m->rows > (SIZE_MAX / 2) / m->cols / elt) {
		close(fd);
		return wn_seterr(err, WN_EDATA, "%s: absurd shape (%zu, %zu)", path, m->rows, m->cols);
	}
	{
		unsigned long long want = (unsigned long long)m->data_off + (unsigned long long)m->rows * m->cols * elt;
		unsigned long long have = (unsigned long long)st.st_size;

		if (have < want) {
			close(fd);
			return wn_seterr(err, WN_EDATA, "%s: truncated: shape (%zu, %zu) needs %llu bytes of data, the file has %llu",
			                 path, m->rows, m->cols, want - m->data_off, have > m->data_off ? have - m->data_off : 0);
		}
		if (have > want) {
			close(fd);
			return wn_seterr(err, WN_EDATA, "%s: %llu bytes after the data that shape (%zu, %zu) describes",
			                 path, have - want, m->rows, m->cols);
		}
	}
	m->map_len = (size_t)st.st_size;
	map = mmap(NULL, m->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return wn_seterr(err, WN_EIO, "%s: mmap: %s", path, strerror(errno));
	}
	m->map = map;
	/* kept open for npy_read_list(), which reads with pread */
	m->fd = fd;
	return 0;
}

void
npy_close(struct npy *m)
{
	if (m->map != NULL)
		munmap((void *)m->map, m->map_len);
	m->map = NULL;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

float
npy_half_to_float(unsigned short h)
{
	unsigned sign = h >> 15, e = (h >> 10) & 0x1f, f = h & 0x3ff;
	float v;

	if (e == 0)
		v = ldexpf((float)f, -24);                  /* subnormal */
	else if (e == 31)
		v = f ? NAN : INFINITY;
	else
		v = ldexpf((float)(f | 0x400), (int)e - 25);
	return sign ? -v : v;
}

/* 1 for NaN, inf and -inf: the one test of every reader, branch-free
 * (NaN compares false), so that the loops around it vectorise. */
static inline int
non_finite(float v)
{
	return !(fabsf(v) <= FLT_MAX);
}

/* Convert count values of dtype at p into out; nonzero if one of them
 * is NaN or inf (or an <f8 past the float range).  Each conversion checks
 * as it copies, branch-free (it vectorises).  In place (p == out) is
 * allowed for <f4. */
static int
convert(enum npy_dtype dt, const unsigned char *p, size_t count, float *out)
{
	int bad = 0;
	switch (dt) {
	case NPY_F4:
		for (size_t i = 0; i < count; i++) {
			float v;
			memcpy(&v, p + 4 * i, 4);
			out[i] = v;
			bad |= non_finite(v);
		}
		break;
	case NPY_F8:
		for (size_t i = 0; i < count; i++) {
			double d;
			memcpy(&d, p + 8 * i, 8);
			out[i] = (float)d;
			bad |= non_finite(out[i]);
		}
		break;
	case NPY_F2:
		for (size_t i = 0; i < count; i++) {
			out[i] = npy_half_to_float((unsigned short)(p[2 * i] | p[2 * i + 1] << 8));
			bad |= non_finite(out[i]);
		}
		break;
	}
	return bad;
}

/* The error for the first non-finite value of out[0..count), rows from
 * row0; 0 if there is none. */
static int
not_finite(const struct npy *m, size_t row0, const float *out, size_t count,
           struct wn_err *err)
{
	for (size_t i = 0; i < count; i++)
		if (!isfinite(out[i]))
			return wn_seterr(err, WN_EDATA, "%s: row %zu, column %zu: %s is not a finite "
			                 "number", m->name, row0 + i / m->cols, i % m->cols,
			                 isnan(out[i]) ? "nan" : out[i] > 0 ? "inf" : "-inf");
	return 0;
}

int
npy_read_rows(const struct npy *m, size_t row0, size_t n, float *out, struct wn_err *err)
{
	size_t count = n * m->cols;

	if (row0 > m->rows || n > m->rows - row0)
		return wn_seterr(err, WN_EDATA, "%s: rows %zu..%zu asked for, the file has %zu rows",
		                 m->name, row0, row0 + n - 1, m->rows);
	/* Every reader of embeddings comes here or to npy_read_list: a NaN
	 * or inf feature (or an <f8 value past the float range) is refused
	 * once, for all of them, instead of being scored, fitted or selected
	 * on.  The place is looked for only when there is one. */
	if (convert(m->dtype, m->map + m->data_off + row0 * m->cols * (size_t)m->dtype, count,
	            out))
		return not_finite(m, row0, out, count, err);
	return 0;
}

/* pread exactly len bytes at off into buf. */
static int
pread_all(const struct npy *m, void *buf, size_t len, off_t off, struct wn_err *err)
{
	unsigned char *b = buf;
	while (len > 0) {
		ssize_t got = pread(m->fd, b, len, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return wn_seterr(err, WN_EIO, "%s: read error: %s", m->name,
			                 got < 0 ? strerror(errno) : "the file shrank");
		b += got;
		len -= (size_t)got;
		off += got;
	}
	return 0;
}

/* Rows [row0, row0 + n) into out through pread: <f4 straight into out,
 * the other dtypes through a bounce buffer on the stack. */
static int
read_range(const struct npy *m, size_t row0, size_t n, float *out, struct wn_err *err)
{
	size_t elt = (size_t)m->dtype, count = n * m->cols;
	off_t off = (off_t)(m->data_off + row0 * m->cols * elt);
	int bad = 0;
	if (m->dtype == NPY_F4) {
		/* in pieces that are still in the cache when checked */
		enum { PIECE = (1 << 16) / 4 };
		for (size_t i = 0; i < count; i += PIECE) {
			size_t c = count - i < PIECE ? count - i : PIECE;
			if (pread_all(m, out + i, c * 4, off + (off_t)(i * 4), err) != 0)
				return -1;
			bad |= convert(NPY_F4, (const unsigned char *)(out + i), c, out + i);
		}
	} else {
		unsigned char buf[1 << 14];
		size_t per = sizeof buf / elt;
		for (size_t i = 0; i < count; i += per) {
			size_t c = count - i < per ? count - i : per;
			if (pread_all(m, buf, c * elt, off + (off_t)(i * elt), err) != 0)
				return -1;
			bad |= convert(m->dtype, buf, c, out + i);
		}
	}
	return bad ? not_finite(m, row0, out, count, err) : 0;
}

int
npy_read_list(const struct npy *m, const size_t *rows, size_t n, float *out,
              struct wn_err *err)
{
	if (m->fd < 0 && n > 0)
		return wn_seterr(err, WN_ESOFTWARE, "%s: not open", m->name);
	for (size_t i = 0; i < n;) {
		/* the run of consecutive rows from rows[i]: one read each */
		size_t j = i + 1;
		while (j < n && rows[j - 1] < m->rows && rows[j] == rows[j - 1] + 1)
			j++;
		if (rows[i] >= m->rows || j - i > m->rows - rows[i])
			return wn_seterr(err, WN_EDATA, "%s: row %zu asked for, the file has %zu rows",
			                 m->name, rows[i] >= m->rows ? rows[i] : rows[j - 1], m->rows);
		if (read_range(m, rows[i], j - i, out + i * m->cols, err) != 0)
			return -1;
		i = j;
	}
	return 0;
}

const float *
npy_view_unchecked(const struct npy *m, const size_t *rows, size_t n)
{
	if (n == 0 || m->dtype != NPY_F4 || (m->data_off & 3) != 0 || m->map == NULL)
		return NULL;
	for (size_t i = 1; i < n; i++)
		if (rows[i] != rows[0] + i)
			return NULL;
	if (rows[0] >= m->rows || n > m->rows - rows[0])
		return NULL;    /* npy_read_list says what is wrong */
	const float *v = (const float *)(m->map + m->data_off) + rows[0] * m->cols;
	/* the page tables filled in one call, not a fault per few pages
	 * (Linux 5.14; elsewhere the accesses fault them in) */
#ifdef MADV_POPULATE_READ
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)v & ~(pg - 1);
	(void)madvise((void *)a, (uintptr_t)(v + n * m->cols) - a, MADV_POPULATE_READ);
#endif
	return v;
}

int
npy_check_view(const struct npy *m, const float *view, size_t n, struct wn_err *err)
{
	size_t count = n * m->cols;
	int bad = 0;
	for (size_t i = 0; i < count; i++)
		bad |= non_finite(view[i]);
	if (!bad)
		return 0;
	size_t row0 = (size_t)(view - (const float *)(m->map + m->data_off)) / m->cols;
	return not_finite(m, row0, view, count, err);
}

int
npy_view_list(const struct npy *m, const size_t *rows, size_t n, const float **view,
              struct wn_err *err)
{
	const float *v = npy_view_unchecked(m, rows, n);
	*view = NULL;
	if (v && npy_check_view(m, v, n, err) != 0)
		return -1;
	*view = v;
	return 0;
}

void
npy_unview(const struct npy *m, const float *view, size_t n)
{
	if (!view || n == 0)
		return;
	/* Whole 2 MiB regions only, from the one before the view's first
	 * (filling a view's pages maps some around them -- the kernel's
	 * fault-around, whole large folios -- among them the previous
	 * view's, which would otherwise stay) to the last one the view ends
	 * past.  The page cache maps large folios with huge page-table
	 * entries, and dropping part of one splits it first, with a TLB
	 * flush on every CPU the process ran on: 8% of a cheap score at a
	 * call per 1 MiB view.  The tail of the view is dropped by the next
	 * call, which reaches a region back; at most one view and 4 MiB
	 * stay resident. */
	const uintptr_t region = (uintptr_t)1 << 21;
	uintptr_t mstart = (uintptr_t)m->map, mend = mstart + m->map_len;
	uintptr_t a = ((uintptr_t)view & ~(region - 1));
	a = a >= mstart + region ? a - region : mstart;
	uintptr_t end = (uintptr_t)(view + n * m->cols) & ~(region - 1);
	if (end > mend)
		end = mend;
	if (end > a)
		(void)madvise((void *)a, end - a, MADV_DONTNEED);
}

const float *
npy_f4_row(const struct npy *m, size_t r)
{
	if (m->dtype != NPY_F4 || r >= m->rows)
		return NULL;
	/* data_off is a multiple of 16 or 64 in files NumPy writes, so the
	 * pointer is float-aligned; check anyway. */
	if ((m->data_off & 3) != 0)
		return NULL;
	return (const float *)(m->map + m->data_off) + r * m->cols;
}

struct npy_writer {
	FILE *fp;
	const char *name;
	size_t cols, rows;
	long long rows_known;
	off_t start;            /* where the header begins */
};

void
npy_header_f4(unsigned char buf[128], size_t rows, size_t cols)
{
	char dict[119];
	int n;

	memcpy(buf, npy_magic, 6);
	buf[6] = 1;
	buf[7] = 0;
	buf[8] = 118;   /* header length, little-endian: 128 - 10 */
	buf[9] = 0;
	n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
	memset(dict + n, ' ', (size_t)(117 - n));
	dict[117] = '\n';
	memcpy(buf + 10, dict, 118);
}

struct npy_writer *
npy_writer_resume(FILE *fp, const char *name, size_t cols, size_t rows, struct wn_err *err)
{
	struct npy_writer *w;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
		return NULL;
	}
	w->fp = fp;
	w->name = name;
	w->cols = cols;
	w->rows = rows;
	w->rows_known = -1;
	w->start = 0;
	return w;
}

struct npy_writer *
npy_writer_open(FILE *fp, const char *name, size_t cols, long long rows_known, struct wn_err *err)
{
	struct npy_writer *w;
	unsigned char hdr[NPY_F4_HEADER_LEN];
	off_t start = ftello(fp);

	if (cols == 0) {
		wn_seterr(err, WN_ESOFTWARE, "%s: cannot write a .npy of zero columns", name);
		return NULL;
	}
	if (rows_known < 0 && start < 0) {
		wn_seterr(err, WN_EUSAGE, "%s: not seekable: the row count is not known in advance, so the .npy must go to a file", name);
		return NULL;
	}
	if ((w = npy_writer_resume(fp, name, cols, 0, err)) == NULL)
		return NULL;
	w->rows_known = rows_known;
	w->start = start;
	npy_header_f4(hdr, rows_known < 0 ? 0 : (size_t)rows_known, cols);
	if (fwrite(hdr, 1, sizeof hdr, fp) != sizeof hdr) {
		wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

int
npy_write_rows(struct npy_writer *w, const float *rows, size_t n, struct wn_err *err)
{
	if (fwrite(rows, sizeof(float) * w->cols, n, w->fp) != n)
		return wn_seterr(err, WN_EIO, "%s: write error: %s", w->name, strerror(errno));
	w->rows += n;
	return 0;
}

size_t
npy_writer_rows(const struct npy_writer *w)
{
	return w->rows;
}

int
npy_writer_finish(struct npy_writer *w, struct wn_err *err)
{
	unsigned char hdr[NPY_F4_HEADER_LEN];
	int rc = 0;

	if (w->rows_known >= 0) {
		if ((size_t)w->rows_known != w->rows)
			rc = wn_seterr(err, WN_ESOFTWARE, "%s: %zu rows written, %lld announced",
			               w->name, w->rows, w->rows_known);
	} else {
		off_t end = ftello(w->fp);

		npy_header_f4(hdr, w->rows, w->cols);
		if (end < 0 || fseeko(w->fp, w->start, SEEK_SET) != 0 ||
		    fwrite(hdr, 1, sizeof hdr, w->fp) != sizeof hdr ||
		    fseeko(w->fp, end, SEEK_SET) != 0)
			rc = wn_seterr(err, WN_EIO, "%s: cannot write the final header: %s", w->name, strerror(errno));
	}
	if (rc == 0 && fflush(w->fp) != 0)
		rc = wn_seterr(err, WN_EIO, "%s: write error: %s", w->name, strerror(errno));
	free(w);
	return rc;
}

void
npy_writer_abandon(struct npy_writer *w)
{
	free(w);
}
