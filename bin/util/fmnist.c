/* fmnist.c - see fmnist.h. */
#include <stdio.h>
#include <stdlib.h>

#include "fmnist.h"
#include "prog.h"

const char *
fmnist_open(int n, char **argv, struct idx *im, struct idx *lb, void (*usage)(FILE *))
{
	const char *images = IDX_FMNIST_IMAGES, *labels = IDX_FMNIST_LABELS;
	struct wn_err err = { 0 };
	char path[4096];

	if (n != 1 && n != 3) {
		usage(stderr);
		exit(WN_EUSAGE);
	}
	if (n == 3) {
		images = argv[1];
		labels = argv[2];
	}
	if (idx_load_labeled(im, lb, images, labels, 10, &err) != 0)
		die_err(&err);
	emkdir(argv[0]);
	for (int c = 0; c < 10; c++) {
		snprintf(path, sizeof path, "%s/%s", argv[0], idx_fmnist_classes[c]);
		emkdir(path);
	}
	return argv[0];
}
