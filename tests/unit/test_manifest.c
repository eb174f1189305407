/* test_manifest.c - the manifest reader on hostile input, and the writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "unit.h"

/* Read text as a manifest; return the error message of the first failure
 * ("" if it reads cleanly) and the number of rows. */
static const char *
read_all(const char *text, int flags, long long *rows)
{
	static struct wn_err err;
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	struct mf_reader *r;
	int rc;

	memset(&err, 0, sizeof err);
	*rows = 0;
	if ((r = mf_open(fp, "m.tsv", flags, &err)) == NULL) {
		fclose(fp);
		return err.msg;
	}
	while ((rc = mf_next(r, &err)) > 0)
		(*rows)++;
	mf_close(r);
	fclose(fp);
	return rc < 0 ? err.msg : "";
}

static const struct {
	const char *text;
	const char *error;      /* substring of the message, "" for none */
	long long rows;         /* rows read (before the error) */
} cases[] = {
	{ "id\tpath\na\tx\nb\ty\n", "", 2 },
	{ "id\tpath\r\na\tx\r\n", "", 1 },                          /* CRLF accepted */
	{ "id\tpath\na\tx", "", 1 },                                /* no final newline */
	{ "id\n", "", 0 },
	{ "", "m.tsv: empty file", 0 },
	{ "path\tlabel\nx\ty\n", "m.tsv:1: header has no \"id\"", 0 },
	{ "id\tid\n", "m.tsv:1: header: column \"id\" appears twice", 0 },
	{ "id\t\tx\n", "m.tsv:1: header: column 2 has no name", 0 },
	{ "id\tpath\na\tx\nb\n", "m.tsv:3: 1 fields, but the header names 2", 1 },
	{ "id\tpath\na\tx\ty\n", "m.tsv:2: 3 fields, but the header names 2", 0 },
	{ "id\tpath\n\tx\n", "m.tsv:2: empty id", 0 },
	{ "id\tpath\na\tx\n\nb\ty\n", "m.tsv:3: empty line", 1 },
	{ "id\tpath\na\tx\na\ty\n", "m.tsv:3: duplicate id \"a\"", 1 },
	/* the id in another column; the line read ahead without one */
	{ "path\tid\nx\ta\ny\tb\nz\ta\n", "m.tsv:4: duplicate id \"a\"", 2 },
	{ "path\tlabel\tid\nx\t1\ta\ny\n", "m.tsv:3: 1 fields, but the header names 3", 1 },
	{ "id\tpath\na\t\xff\xfe\n", "m.tsv:2: invalid UTF-8", 0 },
	{ "id\tpath\na\t\xc3\n", "m.tsv:2: invalid UTF-8", 0 },     /* truncated sequence */
	{ "id\tpath\na\t\xed\xa0\x80\n", "m.tsv:2: invalid UTF-8", 0 },  /* surrogate */
	{ "id\tpath\n\xc3\xa9t\xc3\xa9\t\xe2\x9c\x93\n", "", 1 },   /* unicode ids are fine */
};

TEST(hostile_input_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long long rows;
		const char *msg = read_all(cases[i].text, MF_CHECK_DUPS, &rows);

		if (cases[i].error[0] == '\0')
			CHECK(msg[0] == '\0', "case %zu: unexpected error \"%s\"", i, msg);
		else
			CHECK(strstr(msg, cases[i].error) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, msg, cases[i].error);
		CHECK(rows == cases[i].rows, "case %zu: %lld rows read, want %lld", i, rows, cases[i].rows);
	}
}

TEST(nul_byte)
{
	static const char text[] = "id\tpath\na\tx\0y\n";
	struct wn_err err = { 0 };
	FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");
	struct mf_reader *r = mf_open(fp, "m.tsv", 0, &err);

	CHECK(r != NULL, "%s", err.msg);
	CHECK(mf_next(r, &err) < 0 && strstr(err.msg, "m.tsv:2: NUL byte"), "NUL: %s", err.msg);
	mf_close(r);
	fclose(fp);
}

/* With MF_CHECK_DUPS the next line is read ahead: the current row's
 * fields and line number are still its own, and each row comes before
 * the next line's problem is reported. */
TEST(read_ahead_keeps_the_current_row)
{
	static const char text[] = "label\tid\nx\ta\ny\tb\n\xff\n";
	struct wn_err err = { 0 };
	FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");
	struct mf_reader *r = mf_open(fp, "m.tsv", MF_CHECK_DUPS, &err);

	CHECK(r != NULL, "%s", err.msg);
	CHECK(mf_next(r, &err) == 1, "row 1: %s", err.msg);
	CHECK(strcmp(mf_id(r), "a") == 0 && strcmp(mf_field(r, 0), "x") == 0 &&
	      mf_lineno(r) == 2, "row 1: %s %s line %lld", mf_id(r), mf_field(r, 0), mf_lineno(r));
	CHECK(mf_next(r, &err) == 1, "row 2: %s", err.msg);
	CHECK(strcmp(mf_id(r), "b") == 0 && strcmp(mf_field(r, 0), "y") == 0 &&
	      mf_lineno(r) == 3, "row 2: %s %s line %lld", mf_id(r), mf_field(r, 0), mf_lineno(r));
	CHECK(mf_next(r, &err) < 0 && strstr(err.msg, "m.tsv:4: invalid UTF-8"), "line 4: %s",
	      err.msg);
	mf_close(r);
	fclose(fp);
}

TEST(dups_only_when_asked)
{
	long long rows;
	const char *msg = read_all("id\na\na\n", 0, &rows);

	CHECK(msg[0] == '\0' && rows == 2, "without MF_CHECK_DUPS: \"%s\"", msg);
}

TEST(many_ids_no_false_duplicates)
{
	size_t n = 100000, len = 0;
	char *text = malloc(n * 16 + 8), *msg;
	long long rows;

	len += (size_t)sprintf(text, "id\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "s%zu\n", i);
	msg = (char *)read_all(text, MF_CHECK_DUPS, &rows);
	CHECK(msg[0] == '\0' && rows == (long long)n, "%s (%lld rows)", msg, rows);
	free(text);
}

TEST(output_overwrites_and_appends)
{
	static const char text[] = "id\tscore\tpath\na\t1\tx\n";
	struct wn_err err = { 0 };
	FILE *in = fmemopen((void *)text, sizeof text - 1, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct mf_reader *r = mf_open(in, "m.tsv", 0, &err);
	const char *set[] = { "weight", "score" }, *vals[] = { "0.5", "9" };
	struct mf_out o;

	CHECK(mf_out_init(&o, r, set, 2, &err) == 0, "%s", err.msg);
	CHECK(mf_out_header(&o, out, "out", &err) == 0, "%s", err.msg);
	CHECK(mf_next(r, &err) == 1, "%s", err.msg);
	CHECK(mf_out_row(&o, r, vals, out, "out", &err) == 0, "%s", err.msg);
	vals[0] = "bad\tvalue";
	CHECK(mf_out_row(&o, r, vals, out, "out", &err) != 0 && strstr(err.msg, "TAB"), "TAB in value: %s", err.msg);
	fclose(out);
	CHECK(strncmp(buf, "id\tscore\tpath\tweight\na\t9\tx\t0.5\n", len) == 0 && len == 31, "got \"%s\"", buf);
	free(buf);
	mf_out_free(&o);
	mf_close(r);
	fclose(in);
}

TEST(write_fields_of_every_length)
{
	/* lines of fields from empty to well past the writer's 4 KiB line
	 * buffer, in every mix: the bytes are the fields joined by TABs */
	static const size_t lens[] = { 0, 1, 7, 4093, 4094, 4095, 4096, 5000, 9000 };
	enum { NL = sizeof lens / sizeof *lens };
	struct wn_err err = { 0 };
	char *f[3], *want = malloc(3 * 9001 + 4);
	int bad = 0;
	for (int i = 0; i < 3; i++) {
		f[i] = malloc(9001);
		memset(f[i], 'a' + i, 9000);
	}
	for (int a = 0; a < NL; a++)
		for (int b = 0; b < NL; b++)
			for (int c = 0; c < NL; c++) {
				size_t l[3] = { lens[a], lens[b], lens[c] }, wl = 0;
				const char *fields[3];
				for (int i = 0; i < 3; i++) {
					f[i][l[i]] = '\0';
					fields[i] = f[i];
					memcpy(want + wl, f[i], l[i]);
					wl += l[i];
					want[wl++] = i < 2 ? '\t' : '\n';
				}
				char *buf = NULL;
				size_t len = 0;
				FILE *out = open_memstream(&buf, &len);
				bad += mf_write_fields(out, "out", fields, 3, &err) != 0;
				fclose(out);
				bad += len != wl || memcmp(buf, want, wl) != 0;
				free(buf);
				for (int i = 0; i < 3; i++)
					f[i][l[i]] = (char)('a' + i);
			}
	CHECK(bad == 0, "%d of %d lines wrong", bad, NL * NL * NL);
	for (int i = 0; i < 3; i++)
		free(f[i]);
	free(want);
}

TEST(problems_at_every_place)
{
	/* a bad byte at every place of ASCII fields of 1 to 40 bytes (the
	 * checks go eight bytes at a time): named, and its place found */
	static const struct { const char *b; const char *why; } bad[] = {
		{ "\t", "holds a TAB" }, { "\n", "holds a line break" },
		{ "\r", "holds a line break" }, { "\xff", "is not valid UTF-8" },
		{ "\xc3", "is not valid UTF-8" }, { "\xc3\xa9", NULL },
		{ "\xe2\x9c\x93", NULL }, { "\xed\xa0\x80", "is not valid UTF-8" },
	};
	int wrong = 0;
	for (size_t len = 1; len <= 40; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
				char f[64], text[128];
				memset(f, 'x', len);
				size_t bl = strlen(bad[b].b);
				memcpy(f + at, bad[b].b, bl);
				size_t n = at + bl > len ? at + bl : len;
				f[n] = '\0';
				const char *why = mf_field_problem(f, n);
				wrong += why != bad[b].why && (!why || !bad[b].why || strcmp(why, bad[b].why));
				if (bad[b].b[0] == '\t' || bad[b].b[0] == '\n' || bad[b].b[0] == '\r')
					continue;
				/* the reader: the byte's place in the line */
				long long rows;
				snprintf(text, sizeof text, "id\n%s\n", f);
				const char *msg = read_all(text, 0, &rows);
				char want[64] = "";
				if (bad[b].why)
					snprintf(want, sizeof want, "m.tsv:2: invalid UTF-8 at byte %zu", at + 1);
				wrong += bad[b].why ? !strstr(msg, want) : *msg != '\0';
			}
	CHECK(wrong == 0, "%d wrong", wrong);
	CHECK(mf_field_problem("x\0y", 3) && !strcmp(mf_field_problem("x\0y", 3), "holds a NUL byte"),
	      "NUL");
}

int
main(void)
{
	RUN(hostile_input_table);
	RUN(nul_byte);
	RUN(dups_only_when_asked);
	RUN(many_ids_no_false_duplicates);
	RUN(read_ahead_keeps_the_current_row);
	RUN(output_overwrites_and_appends);
	RUN(write_fields_of_every_length);
	RUN(problems_at_every_place);
	return unit_done();
}
