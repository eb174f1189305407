/*
 * test_report.c - winnow-report's kernels against hand-computed values:
 * SageMaker Clarify's CI and DPL, the HTML escaping, base64 (RFC 4648's
 * vectors) and PNG thumbnails read back through img.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "img.h"
#include "report.h"
#include "thumb.h"
#include "unit.h"

TEST(clarify_ci)
{
	/* CI = (n_a - n_d) / (n_a + n_d) */
	CHECK_NEAR(rp_ci(60, 40), 0.2, 1e-15);
	CHECK_NEAR(rp_ci(40, 60), -0.2, 1e-15);
	CHECK_NEAR(rp_ci(9, 1), 0.8, 1e-15);
	CHECK(rp_ci(5, 5) == 0, "balanced facets give 0");
	CHECK(isnan(rp_ci(0, 0)), "empty: NAN");
}

TEST(clarify_dpl)
{
	/* DPL = n_a(1)/n_a - n_d(1)/n_d: 30 of 100 against 5 of 20 */
	CHECK_NEAR(rp_dpl(30, 100, 5, 20), 0.30 - 0.25, 1e-15);
	CHECK_NEAR(rp_dpl(1, 4, 3, 4), -0.5, 1e-15);
	CHECK(isnan(rp_dpl(1, 4, 0, 0)), "empty facet d: NAN");
	CHECK(isnan(rp_dpl(0, 0, 1, 2)), "empty facet a: NAN");
}

TEST(html_escape)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	rp_html_escape(fp, "<script>alert(1)</script> & \"x\" 'y'");
	fclose(fp);
	CHECK(strcmp(buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;")
	      == 0, "got %s", buf);
	free(buf);
}

TEST(base64_rfc4648)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                   "Zm9vYmFy" };
	char buf[32];

	for (int i = 0; i < 7; i++) {
		size_t n = strlen(in[i]);
		CHECK(thumb_b64_len(n) == strlen(out[i]), "%s: length %zu", in[i], thumb_b64_len(n));
		thumb_b64((const unsigned char *)in[i], n, buf);
		CHECK(strcmp(buf, out[i]) == 0, "%s: got %s, want %s", in[i], buf, out[i]);
	}
}

/* Encode im, write the PNG to a file and decode it through img_load. */
static int
roundtrip(const struct img *im, int side, struct img *back)
{
	struct wn_err err = { 0 };
	unsigned char *png;
	size_t len;
	char path[] = "/tmp/test_report.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || thumb_png(im, side, &png, &len, &err) != 0)
		return -1;
	if (write(fd, png, len) != (ssize_t)len)
		return -1;
	close(fd);
	free(png);
	int rc = img_load(back, path, IMG_MAX_PIXELS, NULL, &err);
	unlink(path);
	return rc;
}

TEST(thumb_small_is_exact)
{
	unsigned char px[28 * 28];
	struct img im = { 28, 28, 1, px }, back;

	for (int i = 0; i < 28 * 28; i++)
		px[i] = (unsigned char)(i * 7);
	CHECK(roundtrip(&im, 64, &back) == 0, "roundtrip");
	CHECK(back.w == 28 && back.h == 28 && back.c == 1, "%dx%dx%d", back.w, back.h, back.c);
	CHECK(memcmp(back.px, px, sizeof px) == 0, "pixels differ");
	img_free(&back);
}

TEST(thumb_shrinks_by_area_average)
{
	/* 100 x 50 RGB into 64: 64 x 32, each pixel what img_resize gives */
	enum { W = 100, H = 50 };
	unsigned char *px = malloc(W * H * 3);
	struct img im = { W, H, 3, px }, back;
	struct wn_err err = { 0 };
	float *f = malloc(64 * 32 * 3 * sizeof *f);

	for (int i = 0; i < W * H * 3; i++)
		px[i] = (unsigned char)((i * 31) ^ (i >> 5));
	CHECK(roundtrip(&im, 64, &back) == 0, "roundtrip");
	CHECK(back.w == 64 && back.h == 32 && back.c == 3, "%dx%dx%d", back.w, back.h, back.c);
	CHECK(img_resize(&im, 64, 32, 3, f, NULL, &err) == 0, "resize");
	int bad = 0;
	for (int i = 0; i < 64 * 32 * 3; i++)
		bad += back.px[i] != (unsigned char)lrintf(f[i] * 255);
	CHECK(bad == 0, "%d pixels differ from the area average", bad);
	img_free(&back);
	free(f);
	free(px);
}

int
main(void)
{
	RUN(clarify_ci);
	RUN(clarify_dpl);
	RUN(html_escape);
	RUN(base64_rfc4648);
	RUN(thumb_small_is_exact);
	RUN(thumb_shrinks_by_area_average);
	return unit_done();
}
