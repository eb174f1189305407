/*
 * fuzz_manifest.c - the manifest TSV reader (with duplicate-id checks) and
 * the row writer it feeds.
 */
#include "fuzz.h"
#include "manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const set[] = { "score", "id", "weight" };
	const char *vals[3];
	struct wn_err err = { 0 };
	struct mf_reader *r;
	struct mf_out plan;
	FILE *fp = fuzz_memfile(data, size), *out;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((r = mf_open(fp, "<fuzz>", MF_CHECK_DUPS, &err)) == NULL) {
		if (err.code == 0)
			abort();        /* failure without a reason */
		fclose(fp);
		return 0;
	}
	out = open_memstream(&buf, &len);
	if (mf_out_init(&plan, r, set, 3, &err) != 0)
		abort();
	if (mf_out_header(&plan, out, "<mem>", &err) != 0)
		abort();
	while ((rc = mf_next(r, &err)) > 0) {
		size_t n = mf_ncols(r), tot = 0;

		for (size_t i = 0; i < n; i++) {
			const char *f = mf_field(r, i);
			if (strlen(f) != mf_fieldlen(r, i))
				abort();
			tot += mf_fieldlen(r, i);
		}
		if (mf_id(r) == NULL || mf_id(r)[0] == '\0')
			abort();
		vals[0] = mf_id(r);
		vals[1] = "x";
		vals[2] = n > 1 ? mf_field(r, 1) : "";
		if (mf_out_row(&plan, r, vals, out, "<mem>", &err) != 0)
			abort();        /* values came from a valid row */
		(void)tot;
	}
	if (rc < 0 && err.code == 0)
		abort();
	mf_out_free(&plan);
	mf_close(r);
	fclose(out);
	free(buf);
	fclose(fp);
	return 0;
}
