/*
 * test_img.c - decoding cases the Bats suite cannot see from outside: the
 * container cache shared by threads, "FILE#N" versus a file really named
 * so, netpbm headers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "img.h"
#include "unit.h"

static char dir[] = "/tmp/test_img.XXXXXX";
static char idxpath[256];

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	fwrite(data, 1, n, fp);
	fclose(fp);
}

/* 50 images of 3x2, image i filled with byte i */
static void make_idx(void)
{
	unsigned char buf[16 + 50 * 6] = {0, 0, 8, 3, 0, 0, 0, 50, 0, 0, 0, 2, 0, 0, 0, 3};
	for (int i = 0; i < 50; i++)
		memset(buf + 16 + 6 * i, i, 6);
	snprintf(idxpath, sizeof idxpath, "%s/imgs-idx3-ubyte", dir);
	write_file(idxpath, buf, sizeof buf);
}

struct job {
	struct img_cache *c;
	int bad;
};

static void *hammer(void *arg)
{
	struct job *j = arg;
	char p[300];
	struct wn_err err;
	struct img im;

	for (int r = 0; r < 20; r++)
		for (int i = 0; i < 50; i++) {
			snprintf(p, sizeof p, "%s#%d", idxpath, (i * 7 + r) % 50);
			if (img_load(&im, p, 1000, j->c, &err) != 0 || im.w != 3 ||
			    im.h != 2 || im.px[5] != (i * 7 + r) % 50)
				j->bad++;
			img_free(&im);
		}
	return NULL;
}

TEST(cache_threads)
{
	struct img_cache *c = img_cache_new();
	struct job jobs[4];
	pthread_t th[4];

	for (int t = 0; t < 4; t++) {
		jobs[t] = (struct job){ c, 0 };
		pthread_create(&th[t], NULL, hammer, &jobs[t]);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		CHECK(jobs[t].bad == 0, "thread %d: %d bad loads", t, jobs[t].bad);
	}
	img_cache_free(c);
}

TEST(cache_eviction)
{
	/* more containers than cache slots: all still load correctly */
	struct img_cache *c = img_cache_new();
	struct wn_err err;
	struct img im;
	char p[300], q[300];

	for (int k = 0; k < 7; k++) {
		snprintf(q, sizeof q, "%s/copy%d", dir, k);
		if (k == 0 || access(q, F_OK) != 0) {
			FILE *in = fopen(idxpath, "rb"), *out = fopen(q, "wb");
			int ch;
			while ((ch = getc(in)) != EOF)
				putc(ch, out);
			fclose(in);
			fclose(out);
		}
	}
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 7; k++) {
			snprintf(p, sizeof p, "%s/copy%d#%d", dir, k, k + r);
			CHECK(img_load(&im, p, 1000, c, &err) == 0 && im.px[0] == k + r,
			      "%s: %s", p, err.msg);
			img_free(&im);
		}
	img_cache_free(c);
}

TEST(hash_in_file_name)
{
	/* "a#1" is a file (a PGM), and "a" does not exist */
	char p[300];
	struct wn_err err;
	struct img im;

	snprintf(p, sizeof p, "%s/a#1", dir);
	write_file(p, "P5 1 1 255\n\x07", 12);
	CHECK(img_load(&im, p, 1000, NULL, &err) == 0 && im.px[0] == 7, "%s", err.msg);
	img_free(&im);
	/* out of range, and a non-container */
	snprintf(p, sizeof p, "%s#50", idxpath);
	CHECK(img_load(&im, p, 1000, NULL, &err) == -1 && err.code == WN_EDATA &&
	      strstr(err.msg, "index 50 out of range (the file holds 50 images)"), "%s", err.msg);
	snprintf(p, sizeof p, "%s/a#1#0", dir);
	CHECK(img_load(&im, p, 1000, NULL, &err) == -1 && err.code == WN_EDATA &&
	      strstr(err.msg, "neither an IDX file nor a CIFAR-10 batch"), "%s", err.msg);
}

TEST(pnm_headers)
{
	static const struct { const char *data; size_t n; int ok; const char *msg; } t[] = {
		{ "P5\n#c\n#d\n2 1\n255\n\x01\x02", 19, 1, "" },
		{ "P6 1 1 255 abc", 14, 1, "" },
		{ "P5 1 1 0 a", 10, 0, "bad P5 header" },
		{ "P5 1 1 256 aa", 13, 0, "maxval 256" },
		{ "P5 -1 1 255 a", 13, 0, "bad P5 header" },
		{ "P5 2 2 255 abc", 14, 0, "truncated P5 data" },
		{ "P5 99999 99999 255 a", 20, 0, "more than the limit" },
		{ "P5 1 1 255", 10, 0, "bad P5 header" },
	};
	char p[300];
	struct wn_err err;
	struct img im;

	snprintf(p, sizeof p, "%s/t.pnm", dir);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		write_file(p, t[i].data, t[i].n);
		int rc = img_load(&im, p, 1 << 20, NULL, &err);
		CHECK(t[i].ok ? rc == 0 : rc == -1 && strstr(err.msg, t[i].msg),
		      "case %zu: rc %d: %s", i, rc, rc ? err.msg : "");
		if (rc == 0)
			img_free(&im);
	}
}

TEST(cache_remembers_failures)
{
	/* A container that would not open is not read again: replacing the
	 * truncated file with a good one does not change the answer within
	 * the same cache, while a fresh cache reads the good file.  (With
	 * --on-error skip, 60,000 rows naming a broken .gz read it once.) */
	struct img_cache *c = img_cache_new();
	char bad[300], p[320];
	struct wn_err err, first;
	struct img im;
	FILE *in;
	unsigned char buf[16 + 50 * 6];

	snprintf(bad, sizeof bad, "%s/broken-idx3-ubyte", dir);
	in = fopen(idxpath, "rb");
	CHECK(in && fread(buf, 1, sizeof buf, in) == sizeof buf, "read %s", idxpath);
	fclose(in);
	write_file(bad, buf, 40);
	snprintf(p, sizeof p, "%s#1", bad);
	CHECK(img_load(&im, p, 1000, c, &first) == -1 && first.code == WN_EDATA &&
	      strstr(first.msg, "truncated IDX file"), "%s", first.msg);
	write_file(bad, buf, sizeof buf);
	for (int i = 0; i < 3; i++) {
		memset(&err, 0, sizeof err);
		CHECK(img_load(&im, p, 1000, c, &err) == -1 && err.code == first.code &&
		      strcmp(err.msg, first.msg) == 0, "load %d: %d %s", i, err.code, err.msg);
	}
	/* the remembered failure takes a slot like any container: evicted
	 * by newer ones, after which the (now good) file is read again */
	for (int k = 0; k < 7; k++) {
		char q[320];
		snprintf(q, sizeof q, "%s/copy%d#0", dir, k);
		CHECK(img_load(&im, q, 1000, c, &err) == 0, "%s: %s", q, err.msg);
		img_free(&im);
	}
	CHECK(img_load(&im, p, 1000, c, &err) == 0 && im.px[0] == 1, "%s", err.msg);
	img_free(&im);
	img_cache_free(c);
}

/* idx_load_labeled: images with their labels, refused when they do not
 * match or a label is out of range */
TEST(idx_labeled)
{
	unsigned char lab[8 + 50] = {0, 0, 8, 1, 0, 0, 0, 50};
	char lp[300], sp[300];
	struct idx im, lb;
	struct wn_err err;

	for (int i = 0; i < 50; i++)
		lab[8 + i] = (unsigned char)(i % 10);
	snprintf(lp, sizeof lp, "%s/labels-idx1-ubyte", dir);
	write_file(lp, lab, sizeof lab);
	CHECK(idx_load_labeled(&im, &lb, idxpath, lp, 10, &err) == 0, "%s", err.msg);
	CHECK(im.count == 50 && lb.count == 50 && idx_item(&lb, 13)[0] == 3, "counts %zu %zu",
	      im.count, lb.count);
	idx_free(&im);
	idx_free(&lb);
	CHECK(idx_load_labeled(&im, &lb, idxpath, lp, 9, &err) == -1, "label 9 accepted");
	CHECK(err.code == WN_EDATA && strstr(err.msg, "label 9 of item 9 is not 0..8"), "%s", err.msg);
	lab[7] = 49;            /* one label short */
	snprintf(sp, sizeof sp, "%s/short-idx1-ubyte", dir);
	write_file(sp, lab, sizeof lab - 1);
	CHECK(idx_load_labeled(&im, &lb, idxpath, sp, 10, &err) == -1, "49 labels accepted");
	CHECK(err.code == WN_EDATA && strstr(err.msg, "not matching IDX images and labels"), "%s",
	      err.msg);
	CHECK(idx_load_labeled(&im, &lb, lp, lp, 10, &err) == -1 && err.code == WN_EDATA,
	      "labels taken for images");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	make_idx();
	RUN(cache_threads);
	RUN(cache_eviction);
	RUN(hash_in_file_name);
	RUN(pnm_headers);
	RUN(cache_remembers_failures);
	RUN(idx_labeled);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
