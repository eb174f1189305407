/* grow.c - arrays that double as rows are read. */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

int
wn_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap : 1024;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -1;
		nc *= 2;
	}
	if (size && nc > SIZE_MAX / size)
		return -1;
	void *q = realloc(*p, nc * size);
	if (!q)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}
