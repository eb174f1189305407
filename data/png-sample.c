/*
 * png-sample - write a class-stratified sample of Fashion-MNIST as real PNG
 * files, one folder per class, for benchmarks and examples:
 *
 *   data/png-sample [-n N] OUTDIR [IMAGES.idx[.gz] LABELS.idx[.gz]]
 *
 * N (default 2000) images: N/10 per class (the first classes get one more
 * when 10 does not divide N), the first ones of each class in file order,
 * written as OUTDIR/CLASS/train-INDEX.png (8-bit gray).  The inputs default
 * to the Debian package's training set in /usr/share/datasets/fashion-mnist.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "fmnist.h"
#include "prog.h"


static void
usage(FILE *fp)
{
	fprintf(fp, "usage: png-sample [-n N] OUTDIR [IMAGES LABELS]\n");
}

int
main(int argc, char **argv)
{
	const char *out;
	struct idx im, lb;
	long n = 2000, want[10], got[10] = { 0 }, written = 0;
	char *end, path[4096];
	int a = 1;

	prog_init("png-sample");
	if (argc > 1 && strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		errno = 0;
		n = strtol(argv[2], &end, 10);
		if (errno || *end || n < 1 || n > 60000)
			die(WN_EUSAGE, "-n: \"%s\" is not a count from 1 to 60000", argv[2]);
		a = 3;
	}
	out = fmnist_open(argc - a, argv + a, &im, &lb, usage);
	for (int c = 0; c < 10; c++)
		want[c] = n / 10 + (c < n % 10);
	for (size_t i = 0; i < im.count && written < n; i++) {
		int c = idx_item(&lb, i)[0];
		png_image p;

		if (got[c] >= want[c])
			continue;
		memset(&p, 0, sizeof p);
		p.version = PNG_IMAGE_VERSION;
		p.width = (png_uint_32)im.dims[2];
		p.height = (png_uint_32)im.dims[1];
		p.format = PNG_FORMAT_GRAY;
		snprintf(path, sizeof path, "%s/%s/train-%zu.png", out, idx_fmnist_classes[c], i);
		if (!png_image_write_to_file(&p, path, 0, idx_item(&im, i), 0, NULL))
			die(WN_ECANTCREAT, "%s: %s", path, p.message);
		got[c]++;
		written++;
	}
	idx_free(&im);
	idx_free(&lb);
	return 0;
}
