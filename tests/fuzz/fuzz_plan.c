/*
 * fuzz_plan.c - winnow-select plan (summary) files: read; a plan read must
 * write and read back to the same bytes, and resolve or fail cleanly.
 */
#include "fuzz.h"
#include "select.h"

static char *
save(const struct sel_plan *p, size_t *len)
{
	struct wn_err err = { 0 };
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (fp == NULL || sel_plan_write(p, fp, "<mem>", &err) != 0 || fclose(fp) != 0)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_err err = { 0 };
	FILE *fp = fuzz_memfile(data, size);
	struct sel_plan *p = sel_plan_read(fp, "<fuzz>", &err), *p2;
	struct sel_decide *d;
	char *a, *b;
	size_t alen, blen;

	fclose(fp);
	if (p == NULL) {
		if (err.code == 0)
			abort();
		return 0;
	}
	a = save(p, &alen);
	fp = fuzz_memfile((const uint8_t *)a, alen);
	if ((p2 = sel_plan_read(fp, "<mem>", &err)) == NULL) {
		fprintf(stderr, "reread: %s\n", err.msg);
		abort();
	}
	fclose(fp);
	b = save(p2, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	/* (a key score of inf reached a float-to-long cast in ccs_stratum:
	 * crash-5600b8c1, now refused by sel_plan_read; tests/regress.bats) */
	if ((d = sel_resolve(p, &err)) != NULL)
		sel_decide_free(d);
	else if (err.code == 0)
		abort();
	free(a);
	free(b);
	sel_plan_free(p);
	sel_plan_free(p2);
	return 0;
}
