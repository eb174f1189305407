/* manifest.c - streaming manifest reader and writer (see manifest.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "manifest.h"

struct mf_reader {
	FILE *fp;
	char *name;
	int flags;
	char *line;             /* getline() buffer, reused */
	size_t linecap;
	long long lineno;       /* of the current line */
	long long nrows;
	size_t ncols;
	char **colnames;        /* owned copies of the header fields */
	char **field;           /* fields of the current row, into line */
	size_t *fieldlen;
	int idcol;
	struct idset ids;       /* for MF_CHECK_DUPS */
	/* With MF_CHECK_DUPS the line after the current one is read ahead,
	 * its id hashed and the id table's slot for it fetched into the
	 * cache while the caller works on the current row: an id's check
	 * was a cache miss in any table larger than the cache, 10% of
	 * winnow-score's time and 3x the cost of a prefetched one.  What
	 * reading it found (a line, the end, an error) waits for its turn. */
	char *ahead;
	size_t aheadcap, aheadlen;
	int ahead_rc;           /* read_line's: 1, 0, -1; AHEAD_NONE before the first */
	struct wn_err ahead_err;
	long long ahead_lineno;
	uint64_t ahead_hash;    /* of its id field, 0 when it has none */
};

enum { AHEAD_NONE = -2 };

/* Return 0 if s[0..len) is valid UTF-8 without NUL, else the byte offset
 * of the first bad byte plus one. */
static size_t
utf8_bad(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		/* eight ASCII bytes, none of them NUL, at a time: most text */
		for (uint64_t w; i + 8 <= len; i += 8) {
			memcpy(&w, p + i, 8);
			if ((w | ((w - 0x0101010101010101u) & ~w)) & 0x8080808080808080u)
				break;
		}
		if (i >= len)
			break;
		unsigned c = p[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return i + 1;
		if (i + n >= len)
			return i + 1;   /* truncated sequence */
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i + 1;
		i += n + 1;
	}
	return 0;
}

/* The bytes mf_field_problem() looks at twice: TAB, LF, CR, NUL and
 * those of multi-byte UTF-8 sequences. */
static const unsigned char special[256] = {
	[0] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
#define S16(b) [b] = 1, [b + 1] = 1, [b + 2] = 1, [b + 3] = 1, [b + 4] = 1, [b + 5] = 1, \
	[b + 6] = 1, [b + 7] = 1, [b + 8] = 1, [b + 9] = 1, [b + 10] = 1, [b + 11] = 1, \
	[b + 12] = 1, [b + 13] = 1, [b + 14] = 1, [b + 15] = 1
	S16(0x80), S16(0x90), S16(0xa0), S16(0xb0), S16(0xc0), S16(0xd0), S16(0xe0), S16(0xf0)
#undef S16
};

const char *
mf_field_problem(const char *s, size_t len)
{
	/* one pass for the common field, plain ASCII without a TAB, line
	 * break or NUL; the others are looked at in full below */
	size_t k = 0;
	while (k < len && !special[(unsigned char)s[k]])
		k++;
	if (k == len)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\t')
			return "holds a TAB";
		if (s[i] == '\n' || s[i] == '\r')
			return "holds a line break";
		if (s[i] == '\0')
			return "holds a NUL byte";
	}
	if (utf8_bad(s, len))
		return "is not valid UTF-8";
	return NULL;
}

/* Read one line of r->fp into *buf (capacity *cap, getline's) without its
 * line ending, counting it in *lineno.  1, 0 at EOF, -1. */
static int
read_line(struct mf_reader *r, char **buf, size_t *cap, long long *lineno, size_t *lenp,
          struct wn_err *err)
{
	ssize_t n;
	size_t bad;

	errno = 0;
	n = getline(buf, cap, r->fp);
	if (n < 0) {
		if (ferror(r->fp))
			return wn_seterr(err, WN_EIO, "%s:%lld: read error: %s", r->name,
			                 *lineno + 1, strerror(errno ? errno : EIO));
		return 0;
	}
	(*lineno)++;
	char *line = *buf;
	/* getline() hands back the part of a line read before a read
	 * error: that is a read error, not a short row */
	if ((n == 0 || line[n - 1] != '\n') && ferror(r->fp))
		return wn_seterr(err, WN_EIO, "%s:%lld: read error: %s", r->name,
		                 *lineno, strerror(errno ? errno : EIO));
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')     /* CRLF files are accepted */
		line[--n] = '\0';
	if ((bad = utf8_bad(line, (size_t)n)) != 0)
		return wn_seterr(err, WN_EDATA, "%s:%lld: %s at byte %zu", r->name, *lineno,
		                 line[bad - 1] ? "invalid UTF-8" : "NUL byte", bad);
	/* a CR anywhere else is a line break no field may hold (the
	 * writer refuses it too: mf_field_problem) */
	{
		const char *cr = memchr(line, '\r', (size_t)n);
		if (cr != NULL)
			return wn_seterr(err, WN_EDATA, "%s:%lld: carriage return inside the line "
			                 "at byte %zu", r->name, *lineno, (size_t)(cr - line) + 1);
	}
	*lenp = (size_t)n;
	return 1;
}

/* Split r->line on TABs into at most max fields; return the count. */
static size_t
split(struct mf_reader *r, size_t len, size_t max)
{
	size_t n = 0;
	char *p = r->line, *end = r->line + len;

	for (;;) {
		char *tab = memchr(p, '\t', (size_t)(end - p));

		if (n < max) {
			r->field[n] = p;
			r->fieldlen[n] = (tab ? tab : end) - p;
		}
		n++;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

struct mf_reader *
mf_open(FILE *fp, const char *name, int flags, struct wn_err *err)
{
	struct mf_reader *r = calloc(1, sizeof *r);
	size_t len, n;
	int rc;

	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
		return NULL;
	}
	r->fp = fp;
	r->flags = flags;
	r->idcol = -1;
	r->ahead_rc = AHEAD_NONE;
	if ((rc = read_line(r, &r->line, &r->linecap, &r->lineno, &len, err)) <= 0) {
		if (rc == 0)
			wn_seterr(err, WN_EDATA, "%s: empty file: a manifest needs a header line", name);
		goto fail;
	}
	/* count fields first, then split for real */
	n = 1;
	for (size_t i = 0; i < len; i++)
		n += r->line[i] == '\t';
	r->ncols = n;
	r->field = calloc(n, sizeof *r->field);
	r->fieldlen = calloc(n, sizeof *r->fieldlen);
	r->colnames = calloc(n, sizeof *r->colnames);
	if (!r->field || !r->fieldlen || !r->colnames) {
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
		goto fail;
	}
	split(r, len, n);
	for (size_t i = 0; i < n; i++) {
		if (r->fieldlen[i] == 0) {
			wn_seterr(err, WN_EDATA, "%s:1: header: column %zu has no name", name, i + 1);
			goto fail;
		}
		if ((r->colnames[i] = strdup(r->field[i])) == NULL) {
			wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->colnames[j], r->colnames[i]) == 0) {
				wn_seterr(err, WN_EDATA, "%s:1: header: column \"%s\" appears twice (columns %zu and %zu)",
				          name, r->colnames[i], j + 1, i + 1);
				goto fail;
			}
		if (strcmp(r->colnames[i], "id") == 0)
			r->idcol = (int)i;
	}
	if (r->idcol < 0) {
		wn_seterr(err, WN_EDATA, "%s:1: header has no \"id\" column (is this a manifest? the first line must name the columns)", name);
		goto fail;
	}
	return r;
fail:
	mf_close(r);
	return NULL;
}

void
mf_close(struct mf_reader *r)
{
	if (r == NULL)
		return;
	if (r->colnames)
		for (size_t i = 0; i < r->ncols; i++)
			free(r->colnames[i]);
	free(r->colnames);
	free(r->field);
	free(r->fieldlen);
	free(r->line);
	free(r->ahead);
	idset_free(&r->ids);
	free(r->name);
	free(r);
}

/* Read the line after the current one into r->ahead, hash its id field
 * if it has one, and ask for the id table's slot.  r->line and r->lineno
 * stay the current row's. */
static void
read_ahead(struct mf_reader *r)
{
	r->ahead_lineno = r->lineno;
	r->ahead_err.code = 0;  /* not the whole struct: its message is 1 KB, a line */
	r->ahead_err.msg[0] = '\0';
	r->ahead_rc = read_line(r, &r->ahead, &r->aheadcap, &r->ahead_lineno, &r->aheadlen,
	                        &r->ahead_err);
	r->ahead_hash = 0;
	if (r->ahead_rc != 1)
		return;
	const char *p = r->ahead, *end = r->ahead + r->aheadlen;
	for (int c = 0; c < r->idcol && p; c++) {
		p = memchr(p, '\t', (size_t)(end - p));
		p = p ? p + 1 : NULL;
	}
	if (p == NULL)
		return;     /* too few fields: refused when its turn comes */
	const char *tab = memchr(p, '\t', (size_t)(end - p));
	r->ahead_hash = idset_hash(p, (size_t)((tab ? tab : end) - p));
	idset_prefetch(&r->ids, r->ahead_hash);
}

/* The next line into r->line: read directly, or (MF_CHECK_DUPS) the one
 * read ahead, reading the one after it.  *hash: its id's, 0 if unknown. */
static int
next_line(struct mf_reader *r, size_t *len, uint64_t *hash, struct wn_err *err)
{
	*hash = 0;
	if (!(r->flags & MF_CHECK_DUPS))
		return read_line(r, &r->line, &r->linecap, &r->lineno, len, err);
	if (r->ahead_rc == AHEAD_NONE)
		read_ahead(r);
	if (r->ahead_rc != 1) {
		if (r->ahead_rc < 0)
			*err = r->ahead_err;
		return r->ahead_rc;
	}
	char *t = r->line;
	size_t tcap = r->linecap;
	r->line = r->ahead;
	r->linecap = r->aheadcap;
	r->ahead = t;
	r->aheadcap = tcap;
	r->lineno = r->ahead_lineno;
	*len = r->aheadlen;
	*hash = r->ahead_hash;
	read_ahead(r);
	return 1;
}

int
mf_next(struct mf_reader *r, struct wn_err *err)
{
	size_t len, n;
	uint64_t hash;
	int rc;

	if ((rc = next_line(r, &len, &hash, err)) <= 0)
		return rc;
	if (len == 0)
		return wn_seterr(err, WN_EDATA, "%s:%lld: empty line", r->name, r->lineno);
	n = split(r, len, r->ncols);
	if (n != r->ncols)
		return wn_seterr(err, WN_EDATA, "%s:%lld: %zu fields, but the header names %zu columns",
		                 r->name, r->lineno, n, r->ncols);
	if (r->fieldlen[r->idcol] == 0)
		return wn_seterr(err, WN_EDATA, "%s:%lld: empty id", r->name, r->lineno);
	if (r->flags & MF_CHECK_DUPS) {
		rc = hash ? idset_add_hash(&r->ids, hash) :
		    idset_add(&r->ids, r->field[r->idcol], r->fieldlen[r->idcol]);
		if (rc < 0)
			return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", r->name);
		if (rc == 0)
			return wn_seterr(err, WN_EDATA, "%s:%lld: duplicate id \"%s\"",
			                 r->name, r->lineno, r->field[r->idcol]);
	}
	r->nrows++;
	return 1;
}

int
mf_check_dups(struct mf_reader *r, struct wn_err *err)
{
	if (r->flags & MF_CHECK_DUPS)
		return 0;
	if (r->nrows > 0)
		return wn_seterr(err, WN_ESOFTWARE, "%s: duplicate ids asked for after %lld rows",
		                 r->name, r->nrows);
	r->flags |= MF_CHECK_DUPS;
	return 0;
}

size_t mf_ncols(const struct mf_reader *r) { return r->ncols; }
const char *mf_colname(const struct mf_reader *r, size_t i) { return r->colnames[i]; }
const char *mf_field(const struct mf_reader *r, size_t i) { return r->field[i]; }
size_t mf_fieldlen(const struct mf_reader *r, size_t i) { return r->fieldlen[i]; }
const char *mf_id(const struct mf_reader *r) { return r->field[r->idcol]; }
long long mf_lineno(const struct mf_reader *r) { return r->lineno; }
long long mf_nrows(const struct mf_reader *r) { return r->nrows; }
const char *mf_name(const struct mf_reader *r) { return r->name; }

int
mf_col(const struct mf_reader *r, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->colnames[i], name) == 0)
			return (int)i;
	return -1;
}

int
mf_out_init(struct mf_out *o, const struct mf_reader *r, const char *const *set,
            size_t nset, struct wn_err *err)
{
	size_t nin = r->ncols, k;

	memset(o, 0, sizeof *o);
	o->nin = nin;
	o->nset = nset;
	o->set_at = calloc(nset ? nset : 1, sizeof *o->set_at);
	o->src = calloc(nin + nset, sizeof *o->src);
	o->names = calloc(nin + nset, sizeof *o->names);
	if (!o->set_at || !o->src || !o->names) {
		mf_out_free(o);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	for (k = 0; k < nin; k++) {
		o->src[k] = (int)k;
		o->names[k] = r->colnames[k];
	}
	for (size_t j = 0; j < nset; j++) {
		int at = mf_col(r, set[j]);

		if (at < 0) {
			at = (int)k++;
			o->names[at] = set[j];
		}
		o->src[at] = -1;
		o->set_at[j] = at;
	}
	o->nout = k;
	return 0;
}

void
mf_out_free(struct mf_out *o)
{
	free(o->set_at);
	free(o->src);
	free(o->names);
	memset(o, 0, sizeof *o);
}

static int
write_error(const char *fpname, struct wn_err *err)
{
	return wn_seterr(err, WN_EIO, "%s: write error: %s", fpname, strerror(errno));
}

int
mf_write_fields(FILE *fp, const char *fpname, const char *const *fields, size_t n,
                struct wn_err *err)
{
	/* the line put together here and written in one call when it fits:
	 * a putc and an fwrite a field, each taking the stream's lock, were
	 * a tenth of winnow-score's time on the cheap scores */
	char line[4096];
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(fields[i]);
		const char *why = mf_field_problem(fields[i], len);

		if (why)
			return wn_seterr(err, WN_EDATA, "%s: field %zu (\"%.40s\") %s", fpname, i + 1, fields[i], why);
		if (at + len + 2 > sizeof line) {       /* flush what is held */
			if (fwrite(line, 1, at, fp) != at)
				return write_error(fpname, err);
			at = 0;
		}
		if (i)
			line[at++] = '\t';
		if (at + len + 1 > sizeof line) {       /* a field longer than the buffer */
			if (fwrite(line, 1, at, fp) != at || fwrite(fields[i], 1, len, fp) != len)
				return write_error(fpname, err);
			at = 0;
		} else {
			memcpy(line + at, fields[i], len);
			at += len;
		}
	}
	line[at++] = '\n';
	if (fwrite(line, 1, at, fp) != at)
		return write_error(fpname, err);
	return 0;
}

int
mf_out_header(const struct mf_out *o, FILE *fp, const char *fpname, struct wn_err *err)
{
	return mf_write_fields(fp, fpname, o->names, o->nout, err);
}

int
mf_out_row(const struct mf_out *o, const struct mf_reader *r, const char *const *values,
           FILE *fp, const char *fpname, struct wn_err *err)
{
	for (size_t j = 0; j < o->nset; j++) {
		const char *why = mf_field_problem(values[j], strlen(values[j]));

		if (why)
			return wn_seterr(err, WN_EDATA, "%s: id \"%s\": value for column \"%s\" %s",
			                 fpname, mf_id(r), o->names[o->set_at[j]], why);
	}
	for (size_t k = 0; k < o->nout; k++) {
		const char *s;
		size_t len;

		if (o->src[k] >= 0) {
			s = r->field[o->src[k]];
			len = r->fieldlen[o->src[k]];
		} else {
			size_t j = 0;
			while (o->set_at[j] != (int)k)
				j++;
			s = values[j];
			len = strlen(s);
		}
		if ((k && putc('\t', fp) == EOF) || fwrite(s, 1, len, fp) != len)
			return write_error(fpname, err);
	}
	if (putc('\n', fp) == EOF)
		return write_error(fpname, err);
	return 0;
}

int
mf_rows_add(struct mf_rows *b, const struct mf_reader *r, struct wn_err *err)
{
	size_t nc = b->ncols;

	if (b->n == b->rcap) {
		size_t rc = b->rcap ? 2 * b->rcap : 256;
		size_t *off = realloc(b->off, rc * (nc ? nc : 1) * sizeof *off);
		if (off)
			b->off = off;
		long long *ln = off ? realloc(b->lineno, rc * sizeof *ln) : NULL;
		if (!ln)
			return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory for a block of "
			                 "%zu rows", r->name, rc);
		b->lineno = ln;
		b->rcap = rc;
	}
	for (size_t c = 0; c < nc; c++) {
		size_t l = r->fieldlen[c] + 1;
		if (b->len + l > b->cap) {
			size_t cap = b->cap ? b->cap : 65536;
			while (b->len + l > cap)
				cap *= 2;
			char *t = realloc(b->text, cap);
			if (!t)
				return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory for a block "
				                 "of rows", r->name);
			b->text = t;
			b->cap = cap;
		}
		memcpy(b->text + b->len, r->field[c], l);
		b->off[b->n * nc + c] = b->len;
		b->len += l;
	}
	b->lineno[b->n] = r->lineno;
	b->n++;
	return 0;
}

const char *
mf_rows_field(const struct mf_rows *b, size_t i, size_t col)
{
	return b->text + b->off[i * b->ncols + col];
}

void
mf_rows_clear(struct mf_rows *b)
{
	b->n = b->len = 0;
}

void
mf_rows_free(struct mf_rows *b)
{
	free(b->text);
	free(b->off);
	free(b->lineno);
	memset(b, 0, sizeof *b);
}
