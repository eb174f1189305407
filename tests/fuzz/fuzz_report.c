/*
 * fuzz_report.c - winnow-report's readers and page writer: the input as a
 * pool (both passes, joined with itself as the kept rows), as a sweep's
 * results and as a table, then the page (placeholders, no images read).
 */
#include "fuzz.h"
#include "manifest.h"
#include "report.h"

static void
check_fail(int rc, const struct wn_err *err)
{
	if (rc != 0 && err->code == 0)
		abort();        /* failure without a reason */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_err err = { 0 };
	struct rp_opts o;
	struct rp_report *rp;
	struct mf_reader *r = NULL, *k = NULL;
	FILE *fp, *kp = NULL, *out;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rp_opts_default(&o);
	o.no_images = 1;
	o.bins = 7;
	o.per_class = 2;
	if (size > 0 && data[0] & 1) {
		o.have_alpha = 1;
		o.alpha = data[0] & 2 ? 1.5 : -0.5;
		o.fraction = data[0] & 4 ? 0.5 : 0;
	}
	if (!(rp = rp_new(&o, &err)))
		abort();
	fp = fuzz_memfile(data, size);
	if (!(r = mf_open(fp, "<fuzz>", MF_CHECK_DUPS, &err))) {
		check_fail(-1, &err);
		goto tables;
	}
	rc = rp_pass1(rp, r, &err);
	check_fail(rc, &err);
	mf_close(r);
	fclose(fp);
	fp = NULL;
	if (rc != 0)
		goto tables;
	fp = fuzz_memfile(data, size);
	kp = fuzz_memfile(data, size);
	if (!(r = mf_open(fp, "<fuzz>", 0, &err)) || !(k = mf_open(kp, "<kept>", 0, &err)))
		abort();        /* it opened the first time */
	rc = rp_pass2(rp, r, k, &err);
	check_fail(rc, &err);
	mf_close(r);
	mf_close(k);
	fclose(kp);
	if (rc == 0) {
		out = open_memstream(&buf, &len);
		if (rp_write(rp, out, "<mem>", NULL, NULL, &err) != 0)
			abort();
		fclose(out);
		free(buf);
	}
tables:
	if (fp)
		fclose(fp);
	fp = fuzz_memfile(data, size);
	rc = rp_add_sweep(rp, fp, "<sweep>", &err);
	check_fail(rc, &err);
	fclose(fp);
	fp = fuzz_memfile(data, size);
	rc = rp_add_table(rp, fp, "<table>", &err);
	check_fail(rc, &err);
	fclose(fp);
	rp_free(rp);
	return 0;
}
