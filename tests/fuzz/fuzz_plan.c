/*
 * fuzz_plan.c - winnow-select plan (summary) files: read; a plan read must
 * write and read back to the same bytes, and resolve or fail cleanly.
 */
#include "fuzz.h"
#include "select.h"

static void *
read_plan(FILE *fp, const char *name, struct wn_err *err)
{
	return sel_plan_read(fp, name, err);
}

static int
write_plan(const void *p, FILE *fp, const char *name, struct wn_err *err)
{
	return sel_plan_write(p, fp, name, err);
}

static void
plan_free(void *p)
{
	sel_plan_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_format plan = { read_plan, write_plan, plan_free };
	struct wn_err err = { 0 };
	struct sel_plan *p = fuzz_round_trip(&plan, data, size);
	struct sel_decide *d;

	if (p == NULL)
		return 0;
	/* (a key score of inf reached a float-to-long cast in ccs_stratum:
	 * crash-5600b8c1, now refused by sel_plan_read; tests/regress.bats) */
	if ((d = sel_resolve(p, &err)) != NULL)
		sel_decide_free(d);
	else if (err.code == 0)
		abort();
	sel_plan_free(p);
	return 0;
}
