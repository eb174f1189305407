/*
 * test_harden.c - regression tests for what fuzzing found (tests/fuzz/),
 * and lib/gtread.h (Ground Truth JSON Lines to manifest rows).
 */
#define _GNU_SOURCE     /* fopencookie */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtread.h"
#include "idx.h"
#include "manifest.h"
#include "unit.h"

/* Read text as a manifest; the first error message, or "" if clean. */
static const char *
mf_read_all(const char *text, size_t len, long long *rows)
{
	static struct wn_err err;
	FILE *fp = fmemopen((void *)text, len, "r");
	struct mf_reader *r;
	int rc;

	memset(&err, 0, sizeof err);
	*rows = 0;
	if ((r = mf_open(fp, "m.tsv", MF_CHECK_DUPS, &err)) == NULL) {
		fclose(fp);
		return err.msg;
	}
	while ((rc = mf_next(r, &err)) > 0)
		(*rows)++;
	mf_close(r);
	fclose(fp);
	return rc < 0 ? err.msg : "";
}

/* fuzz_manifest crash-5de338a2: a header "id\tlabel\rx" was read as a
 * column "label\rx" that mf_out_header then refused: the reader must refuse
 * a CR inside a line (a CRLF line end is still accepted). */
TEST(manifest_cr_inside_line)
{
	static const char crash[] = "id\tlabel\rx\n\n1\r\ty\t2\r\n";
	long long rows;
	const char *msg;

	msg = mf_read_all(crash, sizeof crash - 1, &rows);
	CHECK(strstr(msg, "m.tsv:1: carriage return inside the line at byte 9") != NULL, "%s", msg);
	msg = mf_read_all("id\tx\na\tb\rc\n", 11, &rows);
	CHECK(strstr(msg, "m.tsv:2: carriage return") != NULL, "%s", msg);
	msg = mf_read_all("id\tx\r\na\tb\r\n", 11, &rows);
	CHECK(msg[0] == '\0' && rows == 1, "%s rows %lld", msg, rows);
}

/* A stream that gives the first `left` bytes of text, then fails (EIO). */
struct failing {
	const char *text;
	size_t pos, left;
};

static ssize_t
failing_read(void *c, char *buf, size_t n)
{
	struct failing *f = c;

	if (f->left == 0) {
		errno = EIO;
		return -1;
	}
	if (n > f->left)
		n = f->left;
	memcpy(buf, f->text + f->pos, n);
	f->pos += n;
	f->left -= n;
	return (ssize_t)n;
}

/* faults.bats (failio read): a read error in the middle of a row was
 * reported as a short row ("1 fields, but the header names 4 columns",
 * 65): it is a read error (74). */
TEST(manifest_read_error_mid_row)
{
	static const char text[] = "id\tx\na\t1\nb\t2\n";
	struct failing f = { text, 0, 7 };   /* "id\tx\na\t" then EIO */
	cookie_io_functions_t io = { failing_read, NULL, NULL, NULL };
	struct wn_err err = { 0 };
	FILE *fp = fopencookie(&f, "r", io);
	struct mf_reader *r;

	setvbuf(fp, NULL, _IONBF, 0);
	r = mf_open(fp, "m.tsv", 0, &err);
	CHECK(r != NULL, "%s", err.msg);
	if (r != NULL) {
		CHECK(mf_next(r, &err) == -1, "row read");
		CHECK(err.code == 74, "code %d", err.code);
		CHECK(strcmp(err.msg, "m.tsv:2: read error: Input/output error") == 0, "%s", err.msg);
		mf_close(r);
	}
	fclose(fp);
}

/* fuzz_idx crash-ce61cfac: 0x04000000 items of dimension 0 loaded as items
 * of 0 bytes, and idx_item() computed NULL + 0 (UBSan): a zero item
 * dimension is refused. */
TEST(idx_zero_dimension)
{
	static const unsigned char crash[] = { 0, 0, 8, 2, 4, 0, 0, 0, 0, 0, 0, 0 };
	char path[] = "/tmp/test_harden.XXXXXX";
	int fd = mkstemp(path);
	struct wn_err err = { 0 };
	struct idx x;
	FILE *fp = fdopen(fd, "wb");

	fwrite(crash, 1, sizeof crash, fp);
	fclose(fp);
	CHECK(idx_load(&x, path, &err) == -1 && err.code == 65, "code %d", err.code);
	CHECK(strstr(err.msg, ": IDX dimension 2 is 0") != NULL, "%s", err.msg);
	unlink(path);
}

/* Run both passes of gtread over text, the label attribute found in it;
 * the error message ("" if none) and the TSV made of the header and rows
 * (static). */
static const char *
gt_convert(const char *text, const char **tsv)
{
	static struct wn_err err;
	static char out[4096];
	struct gtr *g;
	size_t o = 0;
	int pass;

	memset(&err, 0, sizeof err);
	out[0] = '\0';
	*tsv = out;
	if ((g = gtr_new("g.jsonl", NULL, "winnow", &err)) == NULL)
		return err.msg;
	for (pass = 1; pass <= 2; pass++) {
		const char *s = text;
		long long lineno = 1;
		if (pass == 2) {
			/* the columns are settled after the first pass */
			if (gtr_columns(g, &err) != 0) {
				gtr_free(g);
				return err.msg;
			}
			for (size_t k = 0; k < gtr_ncols(g); k++)
				o += snprintf(out + o, sizeof out - o, "%s%s", k ? "\t" : "",
				              gtr_colnames(g)[k]);
			o += snprintf(out + o, sizeof out - o, "\n");
		}
		while (*s) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			const char *const *f;
			if (pass == 1 ? gtr_scan(g, s, len, lineno, &err) :
			    gtr_row(g, s, len, lineno, &f, &err)) {
				gtr_free(g);
				return err.msg;
			}
			if (pass == 2) {
				for (size_t k = 0; k < gtr_ncols(g); k++)
					o += snprintf(out + o, sizeof out - o, "%s%s", k ? "\t" : "", f[k]);
				o += snprintf(out + o, sizeof out - o, "\n");
			}
			s = nl ? nl + 1 : s + len;
			lineno++;
		}
	}
	gtr_free(g);
	return "";
}

TEST(gtread_rows)
{
	const char *tsv, *msg;

	msg = gt_convert("{\"source-ref\":\"s3://b/a.png\",\"winnow\":{\"id\":\"a\",\"row\":\"0\"}}\n"
	                 "{\"source-ref\":\"b.png\",\"label\":3,\"label-metadata\":"
	                 "{\"class-map\":{\"3\":\"dog\"}},\"x\":[1,null]}\n", &tsv);
	CHECK(msg[0] == '\0', "%s", msg);
	CHECK(strcmp(tsv, "id\tpath\tlabel\trow\tx\n"
	                  "a\ts3://b/a.png\t\t0\t\n"
	                  "b.png\tb.png\tdog\t\t[1,null]\n") == 0, "%s", tsv);
	/* class-name wins over the number; a number without map is printed */
	msg = gt_convert("{\"source-ref\":\"a\",\"label\":1,\"label-metadata\":{\"class-name\":\"cat\"}}\n"
	                 "{\"source-ref\":\"b\",\"label\":7}\n", &tsv);
	CHECK(strcmp(tsv, "id\tpath\tlabel\na\ta\tcat\nb\tb\t7\n") == 0, "%s", tsv);
	/* unicode ids pass through */
	msg = gt_convert("{\"source-ref\":\"\\u65e5\\u672c.png\"}\n", &tsv);
	CHECK(strcmp(tsv, "id\tpath\tlabel\n日本.png\t日本.png\t\n") == 0, "%s", tsv);
}

/* from-jsonl leaked the namespace value of a key also present at the top
 * level (the second value overwrote the first without freeing it): the
 * top-level value wins, nothing leaks (check-asan). */
TEST(gtread_key_twice)
{
	const char *tsv, *msg;

	msg = gt_convert("{\"source-ref\":\"a\",\"winnow\":{\"x\":\"ns\",\"id\":\"i\"},\"x\":\"top\",\"id\":\"j\"}\n", &tsv);
	CHECK(msg[0] == '\0', "%s", msg);
	CHECK(strcmp(tsv, "id\tpath\tlabel\tx\nj\ta\t\ttop\n") == 0, "%s", tsv);
}

TEST(gtread_errors)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
		{ "{\"source-ref\":\"a\"}\n{\"source-ref\":\"a\"}\n", "g.jsonl:2: duplicate id \"a\"" },
		{ "{\"source-ref\":\"\"}\n", "g.jsonl:1: empty id and empty source-ref" },
		{ "{\"source-ref\":\"a\"}\n\n", "g.jsonl:2: empty line" },
		{ "[1]\n", "g.jsonl:1: not a JSON object" },
		{ "{\"path\":\"a\"}\n", "g.jsonl:1: no \"source-ref\" string" },
		{ "{\"source-ref\":\"a\",\"\":1}\n", "g.jsonl:1: empty key" },
		{ "{\"source-ref\":\"a\",\"a\\tb\":1}\n", "g.jsonl:1: key holds a TAB" },
		/* the source-ref, not the id made of it (the message blamed "id") */
		{ "{\"source-ref\":\"a\\nb\"}\n", "g.jsonl:1: value of \"source-ref\" holds a line break" },
		{ "{\"source-ref\":\"a\",\"x-metadata\":{},\"y-metadata\":{}}\n",
		  "g.jsonl: 2 label attributes" },
		{ "{\"source-ref\":\"a\",\"source-ref\":\"b\"}\n", "g.jsonl:1:" },
		{ "{\"source-ref\":\"a\"\n", "g.jsonl:1:" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *tsv, *msg = gt_convert(cases[i].text, &tsv);
		CHECK(strstr(msg, cases[i].error) != NULL, "case %zu: \"%s\", want \"%s\"",
		      i, msg, cases[i].error);
	}
}

/* A line over GT_MAX_LINE is refused before it is parsed. */
TEST(gtread_long_line)
{
	size_t n = 100001;
	char *s = malloc(n + 2);
	const char *tsv, *msg;

	memset(s, ' ', n);
	s[0] = '{';
	s[n - 1] = '}';
	s[n] = '\n';
	s[n + 1] = '\0';
	msg = gt_convert(s, &tsv);
	CHECK(strstr(msg, "g.jsonl:1: line of 100001 characters is over the 100000 limit") != NULL, "%s", msg);
	free(s);
}

/* A second pass that meets a key the first did not see (the input
 * changed between them) is refused, not written out of bounds. */
TEST(gtread_changed_input)
{
	struct wn_err err = { 0 };
	struct gtr *g = gtr_new("g", "label", "winnow", &err);
	const char *const *f;
	static const char a[] = "{\"source-ref\":\"a\"}", b[] = "{\"source-ref\":\"a\",\"new\":1}";

	CHECK(gtr_scan(g, a, strlen(a), 1, &err) == 0, "%s", err.msg);
	CHECK(gtr_row(g, b, strlen(b), 1, &f, &err) == -1 && err.code == 65, "%d", err.code);
	CHECK(strstr(err.msg, "key \"new\" was not there on the first reading") != NULL, "%s", err.msg);
	gtr_free(g);
}

int
main(void)
{
	RUN(manifest_cr_inside_line);
	RUN(manifest_read_error_mid_row);
	RUN(idx_zero_dimension);
	RUN(gtread_rows);
	RUN(gtread_key_twice);
	RUN(gtread_errors);
	RUN(gtread_long_line);
	RUN(gtread_changed_input);
	return unit_done();
}
