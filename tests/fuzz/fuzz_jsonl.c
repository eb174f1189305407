/*
 * fuzz_jsonl.c - Ground Truth JSON Lines (lib/gtread.h), both passes as
 * winnow-manifest from-jsonl runs them, namespace "winnow", the label
 * attribute found in the file (an input whose first byte is odd: "label"
 * given); every field through gt_json_value, as to-jsonl reads it.
 */
#include "fuzz.h"
#include "gt.h"
#include "gtread.h"
#include "manifest.h"

/* Call f on each line of data (newline and CRs stripped), stop at the
 * first error.  Returns 0 or -1. */
static int
each_line(struct gtr *g, const uint8_t *data, size_t size, int pass, struct wn_err *err)
{
	const char *s = (const char *)data, *end = s + size;
	long long lineno = 1;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = (nl ? nl : end) - s;
		const char *const *fields;
		while (len > 0 && (s[len - 1] == '\r'))
			len--;
		if (pass == 1) {
			if (gtr_scan(g, s, len, lineno, err) != 0)
				return -1;
		} else {
			if (gtr_row(g, s, len, lineno, &fields, err) != 0)
				return -1;
			for (size_t k = 0; k < gtr_ncols(g); k++) {
				if (mf_field_problem(fields[k], strlen(fields[k])))
					abort();
				(void)gt_json_value(fields[k], strlen(fields[k]));
			}
			if (fields[0][0] == '\0')
				abort();
		}
		s = nl ? nl + 1 : end;
		lineno++;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_err err = { 0 };
	struct gtr *g = gtr_new("<fuzz>", size > 0 && data[0] % 2 ? "label" : NULL, "winnow", &err);

	if (g == NULL)
		abort();
	if (each_line(g, data, size, 1, &err) != 0) {
		if (err.code == 0)
			abort();
	} else if (gtr_columns(g, &err) != 0) {
		/* the columns: a bad key name, or more than one label attribute */
		if (err.code != 65 || (strstr(err.msg, "label attributes") == NULL &&
		    strstr(err.msg, "empty key") == NULL && strstr(err.msg, ": key ") == NULL))
			abort();
	} else {
		const char *const *names = gtr_colnames(g);
		for (size_t k = 0; k < gtr_ncols(g); k++)
			if (names[k][0] == '\0' || mf_field_problem(names[k], strlen(names[k])))
				abort();
		/* pass 2 over the same lines: only what pass 1 does not
		 * check may fail (values, ids) */
		if (each_line(g, data, size, 2, &err) != 0 &&
		    (err.code != 65 || (strstr(err.msg, "duplicate id") == NULL &&
		     strstr(err.msg, ": value of ") == NULL && strstr(err.msg, "empty id") == NULL)))
			abort();
	}
	gtr_free(g);
	return 0;
}
