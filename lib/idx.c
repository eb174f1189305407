/* idx.c - IDX files, plain or gzip (see idx.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "idx.h"
#include "manifest.h"

static int
read_full(gzFile gz, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
		int r = gzread(gz, (char *)buf + got, chunk);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got == n ? 0 : -1;
}

static int
gz_error(gzFile gz, const char *path, struct wn_err *err)
{
	int zerr;

	gzerror(gz, &zerr);

	if (zerr == Z_ERRNO)
		return wn_seterr(err, WN_EIO, "%s: read error: %s", path, strerror(errno));
	if (zerr == Z_BUF_ERROR)
		return wn_seterr(err, WN_EDATA, "%s: truncated gzip data", path);
	if (zerr != Z_OK)
		return wn_seterr(err, WN_EDATA, "%s: corrupt gzip data (%s)", path, zError(zerr));
	return wn_seterr(err, WN_EDATA, "%s: truncated IDX file", path);
}

int
idx_load(struct idx *x, const char *path, struct wn_err *err)
{
	unsigned char head[4], d[4];
	gzFile gz;
	size_t total = 1;
	char extra;

	memset(x, 0, sizeof *x);
	if ((gz = gzopen(path, "rb")) == NULL)
		return wn_seterr(err, WN_ENOINPUT, "%s: %s", path, errno ? strerror(errno) : "cannot open");
	gzbuffer(gz, 1 << 17);
	if (read_full(gz, head, 4) != 0) {
		gz_error(gz, path, err);
		gzclose(gz);
		return -1;
	}
	if (head[0] != 0 || head[1] != 0) {
		gzclose(gz);
		return wn_seterr(err, WN_EDATA, "%s: not an IDX file (bad magic %02x%02x)", path, head[0], head[1]);
	}
	if (head[2] != 0x08) {
		gzclose(gz);
		return wn_seterr(err, WN_EDATA, "%s: IDX data type 0x%02x is not supported (only unsigned bytes, 0x08)", path, head[2]);
	}
	x->ndims = head[3];
	if (x->ndims < 1 || x->ndims > 4) {
		gzclose(gz);
		return wn_seterr(err, WN_EDATA, "%s: IDX file with %d dimensions (1 to 4 are supported)", path, x->ndims);
	}
	for (int i = 0; i < x->ndims; i++) {
		if (read_full(gz, d, 4) != 0) {
			gz_error(gz, path, err);
			gzclose(gz);
			return -1;
		}
		x->dims[i] = (size_t)d[0] << 24 | (size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3];
		if (i > 0 && x->dims[i] == 0) {
			/* items of 0 bytes (fuzz_idx): nothing to decode */
			gzclose(gz);
			return wn_seterr(err, WN_EDATA, "%s: IDX dimension %d is 0", path, i + 1);
		}
		if (x->dims[i] != 0 && total > ((size_t)1 << 40) / x->dims[i]) {
			gzclose(gz);
			return wn_seterr(err, WN_EDATA, "%s: absurd IDX dimensions", path);
		}
		total *= x->dims[i];
	}
	x->count = x->dims[0];
	x->item_size = x->count ? total / x->count : 0;
	if (x->ndims == 1)
		x->item_size = 1;
	/* Grow as data actually arrives, so a header that lies about its size
	 * fails as "truncated" instead of allocating what it claims. */
	{
		size_t cap = 0, got = 0;
		while (got < total) {
			size_t want = total - got, step;
			unsigned char *p;
			if (got == cap) {
				cap = cap ? (cap * 2 < total ? cap * 2 : total) : (total < (1u << 20) ? total : (1u << 20));
				if ((p = realloc(x->data, cap)) == NULL) {
					gzclose(gz);
					idx_free(x);
					return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
				}
				x->data = p;
			}
			step = cap - got < want ? cap - got : want;
			if (read_full(gz, x->data + got, step) != 0) {
				gz_error(gz, path, err);
				gzclose(gz);
				idx_free(x);
				return -1;
			}
			got += step;
		}
	}
	if (gzread(gz, &extra, 1) == 1) {
		gzclose(gz);
		idx_free(x);
		return wn_seterr(err, WN_EDATA, "%s: bytes after the data the IDX header describes", path);
	}
	gzclose(gz);
	if ((x->name = strdup(path)) == NULL) {
		idx_free(x);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	return 0;
}

void
idx_free(struct idx *x)
{
	free(x->data);
	free(x->name);
	memset(x, 0, sizeof *x);
}

const unsigned char *
idx_item(const struct idx *x, size_t i)
{
	return i < x->count ? x->data + i * x->item_size : NULL;
}

const char *const idx_fmnist_classes[10] = {
	"T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot",
};

int
idx_load_labeled(struct idx *im, struct idx *lb, const char *images, const char *labels,
                 int nclasses, struct wn_err *err)
{
	if (idx_load(im, images, err) != 0)
		return -1;
	if (idx_load(lb, labels, err) != 0) {
		idx_free(im);
		return -1;
	}
	if (im->ndims != 3 || lb->ndims != 1 || im->count != lb->count || im->count == 0) {
		wn_seterr(err, WN_EDATA, "%s, %s: not matching IDX images and labels", images, labels);
		goto fail;
	}
	for (size_t i = 0; i < lb->count; i++)
		if (lb->data[i] >= nclasses) {
			wn_seterr(err, WN_EDATA, "%s: label %d of item %zu is not 0..%d", labels,
			          lb->data[i], i, nclasses - 1);
			goto fail;
		}
	return 0;
fail:
	idx_free(im);
	idx_free(lb);
	return -1;
}

static void
free_names(char **names, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
}

char **
idx_class_names(const char *path, size_t *n, struct wn_err *err)
{
	int in = strcmp(path, "-") == 0;
	FILE *fp = in ? stdin : fopen(path, "r");
	char *line = NULL, **names = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	const char *problem;

	*n = 0;
	if (fp == NULL) {
		wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char **t;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0) {
			wn_seterr(err, WN_EDATA, "%s:%ld: empty class name", path, lineno);
			goto fail;
		}
		if ((problem = mf_field_problem(line, (size_t)len)) != NULL) {
			wn_seterr(err, WN_EDATA, "%s:%ld: class name %s", path, lineno, problem);
			goto fail;
		}
		if ((t = realloc(names, (*n + 2) * sizeof *names)) == NULL ||
		    (t[*n] = strdup(line)) == NULL) {
			names = t ? t : names;
			wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", path);
			goto fail;
		}
		names = t;
		names[++*n] = NULL;
	}
	if (ferror(fp)) {
		wn_seterr(err, WN_EIO, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (*n == 0) {
		wn_seterr(err, WN_EDATA, "%s: no class names", path);
		goto fail;
	}
	free(line);
	if (!in)
		fclose(fp);
	return names;
fail:
	free(line);
	if (!in)
		fclose(fp);
	free_names(names, *n);
	*n = 0;
	return NULL;
}
