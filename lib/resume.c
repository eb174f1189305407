/*
 * resume.c - a resumable embeddings output (see resume.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "resume.h"

static int
sync_fp(FILE *fp, const char *name, struct wn_err *err)
{
	if (fflush(fp) != 0 || fdatasync(fileno(fp)) != 0)
		return wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(errno));
	return 0;
}

/* Read OUT.resume into s: the skips and the last "done" line.  A torn
 * last line (no newline: killed while writing it) is ignored. */
static int
read_sidecar(struct rs_sink *s, uint64_t cfg, struct wn_err *err)
{
	FILE *fp = fopen(s->side, "r");
	char line[256];
	unsigned long long h;
	long long a, b, c;
	size_t cap = 0, nsk = 0;
	long long *sk = NULL;
	int lineno = 0, cfg_ok = 0, rc = 0;

	if (!fp)
		return 0;
	while (rc == 0 && fgets(line, sizeof line, fp)) {
		lineno++;
		if (!strchr(line, '\n'))
			break;
		if (lineno == 1) {
			if (strcmp(line, "winnow-embed-resume 1\n") != 0)
				rc = wn_seterr(err, WN_EDATA, "%s: not a winnow-embed resume file",
				               s->side);
		} else if (sscanf(line, "config %llx", &h) == 1) {
			if (h != cfg)
				rc = wn_seterr(err, WN_EDATA, "%s: the interrupted run used other "
				               "options (method, size, channels, dim, seed, batch, "
				               "max-pixels or dictionary); remove %s and %s to start "
				               "over", s->side, s->part, s->side);
			cfg_ok = 1;
		} else if (sscanf(line, "skip %lld", &a) == 1) {
			if (nsk == cap) {
				long long *t = realloc(sk, (cap = cap ? 2 * cap : 64) * sizeof *sk);
				if (!t) {
					rc = wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", s->side);
					break;
				}
				sk = t;
			}
			sk[nsk++] = a;
		} else if (sscanf(line, "done %lld %lld %lld %llx", &a, &b, &c, &h) == 4) {
			s->done_in = a;
			s->done_out = b;
			s->done_skip = c;
			s->done_hash = h;
			s->nskips = nsk;
		} else {
			rc = wn_seterr(err, WN_EDATA, "%s:%d: unexpected line", s->side, lineno);
		}
	}
	fclose(fp);
	if (rc == 0 && !cfg_ok)
		rc = wn_seterr(err, WN_EDATA, "%s: no config line", s->side);
	s->skips = sk;
	return rc;
}

/* Replace the sidecar by what is valid of it, then open it to append. */
static int
rewrite_sidecar(struct rs_sink *s, uint64_t cfg, struct wn_err *err)
{
	size_t sz = strlen(s->side) + 8;
	char *tmp = malloc(sz);
	FILE *t;

	if (!tmp)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	snprintf(tmp, sz, "%s.tmp", s->side);
	if (!(t = fopen(tmp, "w"))) {
		wn_seterr(err, WN_ECANTCREAT, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	fprintf(t, "winnow-embed-resume 1\nconfig %016llx\n", (unsigned long long)cfg);
	for (size_t i = 0; i < s->nskips; i++)
		fprintf(t, "skip %lld\n", s->skips[i]);
	if (s->done_in > 0)
		fprintf(t, "done %lld %lld %lld %016llx\n", s->done_in, s->done_out, s->done_skip,
		        (unsigned long long)s->done_hash);
	if (sync_fp(t, tmp, err) != 0) {
		fclose(t);
		free(tmp);
		return -1;
	}
	fclose(t);
	if (rename(tmp, s->side) != 0) {
		free(tmp);
		return wn_seterr(err, WN_ECANTCREAT, "%s: %s", s->side, strerror(errno));
	}
	free(tmp);
	if (!(s->sfp = fopen(s->side, "a")))
		return wn_seterr(err, WN_ECANTCREAT, "%s: %s", s->side, strerror(errno));
	return 0;
}

static int
open_resume(struct rs_sink *s, uint64_t cfg, struct wn_err *err)
{
	struct stat st;
	size_t sz = strlen(s->out) + 16;
	off_t want;

	s->part = malloc(sz);
	s->side = malloc(sz);
	if (!s->part || !s->side)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	snprintf(s->part, sz, "%s.part", s->out);
	snprintf(s->side, sz, "%s.resume", s->out);
	if (stat(s->part, &st) == 0 && read_sidecar(s, cfg, err) != 0)
		return -1;
	want = NPY_F4_HEADER_LEN + (off_t)s->done_out * (off_t)s->cols * 4;
	if (s->done_in > 0) {
		if (st.st_size < want)
			return wn_seterr(err, WN_EDATA, "%s: shorter than %s says; remove both to "
			                 "start over", s->part, s->side);
		if (!(s->fp = fopen(s->part, "r+b")) || ftruncate(fileno(s->fp), want) != 0 ||
		    fseeko(s->fp, want, SEEK_SET) != 0)
			return wn_seterr(err, WN_ECANTCREAT, "%s: %s", s->part, strerror(errno));
		s->rows = s->done_out;
	} else {
		s->done_out = s->done_skip = 0;
		s->nskips = 0;
		if (!(s->fp = fopen(s->part, "wb")))
			return wn_seterr(err, WN_ECANTCREAT, "%s: %s", s->part, strerror(errno));
	}
	if (rewrite_sidecar(s, cfg, err) != 0)
		return -1;
	if (s->done_in > 0)
		s->w = npy_writer_resume(s->fp, s->part, s->cols, (size_t)s->rows, err);
	else
		s->w = npy_writer_open(s->fp, s->part, s->cols, -1, err);
	return s->w ? 0 : -1;
}

static void
rs_free(struct rs_sink *s)
{
	if (s->sfp)
		fclose(s->sfp);
	free(s->part);
	free(s->side);
	free(s->skips);
	s->sfp = NULL;
	s->part = s->side = NULL;
	s->skips = NULL;
}

int
rs_open(struct rs_sink *s, const char *out, size_t cols, uint64_t config, int resume,
        struct wn_err *err)
{
	memset(s, 0, sizeof *s);
	s->out = out;
	s->cols = cols;
	s->resume = resume;
	if (resume) {
		struct stat st;

		/* --resume ends by renaming OUT.part over OUT: never over a
		 * device or FIFO (-o /dev/null), which it would replace. */
		if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
			return wn_seterr(err, WN_EUSAGE, "%s: not a regular file: --resume "
			                 "needs a file it can rename into place", out);
		return open_resume(s, config, err);
	}
	if (wn_out_open(&s->ao, out, err) != 0)
		return -1;
	s->fp = s->ao.fp;
	if (!(s->w = npy_writer_open(s->fp, out, cols, -1, err)))
		return -1;
	return 0;
}

int
rs_rows(struct rs_sink *s, const float *rows, size_t n, struct wn_err *err)
{
	if (npy_write_rows(s->w, rows, n, err) != 0)
		return -1;
	s->rows += (long long)n;
	return 0;
}

int
rs_skip(struct rs_sink *s, long long in, struct wn_err *err)
{
	(void)err;
	if (s->resume)
		fprintf(s->sfp, "skip %lld\n", in);
	return 0;
}

int
rs_round(struct rs_sink *s, long long in, long long skipped, uint64_t idhash,
         struct wn_err *err)
{
	if (!s->resume)
		return 0;
	if (sync_fp(s->fp, s->part, err) != 0)
		return -1;
	fprintf(s->sfp, "done %lld %lld %lld %016llx\n", in, s->rows, skipped,
	        (unsigned long long)idhash);
	return sync_fp(s->sfp, s->side, err);
}

int
rs_commit(struct rs_sink *s, struct wn_err *err)
{
	const char *name = s->resume ? s->part : s->out;
	int rc = npy_writer_finish(s->w, err);

	s->w = NULL;
	if (rc != 0)
		return -1;
	if (!s->resume) {
		rc = wn_out_commit(&s->ao, err);
		rs_free(s);
		return rc;
	}
	if (fsync(fileno(s->fp)) != 0 || fclose(s->fp) != 0) {
		s->fp = NULL;
		return wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(errno));
	}
	s->fp = NULL;
	if (rename(s->part, s->out) != 0)
		return wn_seterr(err, WN_ECANTCREAT, "%s: cannot rename to %s: %s", s->part, s->out,
		                 strerror(errno));
	unlink(s->side);
	rs_free(s);
	return 0;
}

int
rs_remove_stale(const char *out)
{
	size_t sz = strlen(out) + 16;
	char *name = malloc(sz);
	int gone = 0;

	if (name == NULL)
		return 0;
	snprintf(name, sz, "%s.part", out);
	if (unlink(name) == 0)
		gone |= RS_STALE_PART;
	snprintf(name, sz, "%s.resume", out);
	if (unlink(name) == 0)
		gone |= RS_STALE_SIDE;
	free(name);
	return gone;
}
