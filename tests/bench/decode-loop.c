/*
 * decode-loop - the reference of tests/bench/million.sh for decode-bound
 * stages: decode every image of a manifest with img_load() (lib/img.h),
 * nothing else, on J threads:
 *
 *   decode-loop [-j J] MANIFEST
 *
 * Prints "IMAGES images WALL s wall CPU s cpu" (CPU: user + system of the
 * process, getrusage), the figures winnow-embed's are divided by.  The
 * paths (column "path") are read first, so the loop times decoding only.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "img.h"
#include "manifest.h"

static char **paths;
static size_t npaths;
static atomic_size_t next;
static atomic_int failed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *
work(void *arg)
{
	struct img_cache *cache = arg;

	for (size_t i; (i = atomic_fetch_add(&next, 1)) < npaths;) {
		struct wn_err err = { 0 };
		struct img im;

		if (img_load(&im, paths[i], (size_t)IMG_MAX_PIXELS, cache, &err) != 0) {
			fprintf(stderr, "decode-loop: %s\n", err.msg);
			atomic_store(&failed, 1);
			continue;
		}
		img_free(&im);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct mf_reader *r;
	struct rusage ru;
	pthread_t th[64];
	size_t cap = 0;
	int j = 1, a = 1, pc, rc;
	FILE *fp;

	if (argc > 2 && strcmp(argv[1], "-j") == 0) {
		j = atoi(argv[2]);
		a = 3;
	}
	if (argc - a != 1 || j < 1 || j > 64) {
		fprintf(stderr, "usage: decode-loop [-j J] MANIFEST\n");
		return 64;
	}
	if ((fp = fopen(argv[a], "r")) == NULL || (r = mf_open(fp, argv[a], 0, &err)) == NULL ||
	    (pc = mf_col(r, "path")) < 0) {
		fprintf(stderr, "decode-loop: %s: %s\n", argv[a], err.msg[0] ? err.msg : "no path column");
		return 66;
	}
	while ((rc = mf_next(r, &err)) > 0) {
		if (npaths == cap) {
			cap = cap ? 2 * cap : 4096;
			paths = realloc(paths, cap * sizeof *paths);
		}
		paths[npaths++] = strdup(mf_field(r, (size_t)pc));
	}
	if (rc < 0) {
		fprintf(stderr, "decode-loop: %s\n", err.msg);
		return 65;
	}
	mf_close(r);
	fclose(fp);

	struct img_cache *cache = img_cache_new();
	getrusage(RUSAGE_SELF, &ru);
	double c0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	double t0 = now();
	for (int i = 0; i < j; i++)
		pthread_create(&th[i], NULL, work, cache);
	for (int i = 0; i < j; i++)
		pthread_join(th[i], NULL);
	double t = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	double c = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6 - c0;
	printf("%zu images %.3f s wall %.3f s cpu\n", npaths, t, c);
	img_cache_free(cache);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	return atomic_load(&failed) ? 65 : 0;
}
