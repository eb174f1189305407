/* spool.c - input that can be read twice (see spool.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spool.h"

int
spool_open(struct spool *s, FILE *in, const char *name, struct wn_err *err)
{
	struct stat st;
	char buf[1 << 16];
	size_t n;

	memset(s, 0, sizeof *s);
	s->in = in;
	s->name = name;
	if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && (s->start = ftello(in)) >= 0) {
		s->fp = in;
		return 0;
	}
	if ((s->fp = tmpfile()) == NULL)
		return wn_seterr(err, WN_EIO, "%s: cannot create a temporary copy: %s (set TMPDIR?)",
		                 name, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, s->fp) != n) {
			int e = errno;
			fclose(s->fp);
			s->fp = NULL;
			return wn_seterr(err, WN_EIO, "%s: cannot write the temporary copy: %s (set TMPDIR?)",
			                 name, strerror(e));
		}
	if (ferror(in)) {
		int e = errno;
		fclose(s->fp);
		s->fp = NULL;
		return wn_seterr(err, WN_EIO, "%s: read error: %s", name, strerror(e));
	}
	s->start = 0;
	return spool_rewind(s, err);
}

int
spool_rewind(struct spool *s, struct wn_err *err)
{
	if (fflush(s->fp) != 0 || fseeko(s->fp, s->start, SEEK_SET) != 0)
		return wn_seterr(err, WN_EIO, "%s: cannot read again: %s", s->name, strerror(errno));
	clearerr(s->fp);
	return 0;
}

void
spool_close(struct spool *s)
{
	if (s->fp != NULL && s->fp != s->in)
		fclose(s->fp);
	s->fp = NULL;
}
