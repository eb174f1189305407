/* idset.c - a set of ids as 64-bit hashes (see idset.h). */
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "idset.h"

static void
put(uint64_t *slot, size_t cap, uint64_t h)
{
	size_t j = h & (cap - 1);

	while (slot[j])
		j = (j + 1) & (cap - 1);
	slot[j] = h;
}

int
idset_add(struct idset *s, const char *id, size_t len)
{
	uint64_t h = XXH3_64bits(id, len) | 1;  /* never 0, the empty mark */

	if (2 * (s->used + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *t = calloc(cap, sizeof *t);

		if (t == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				put(t, cap, s->slot[i]);
		free(s->slot);
		s->slot = t;
		s->cap = cap;
	}
	for (size_t j = h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
		if (s->slot[j] == h)
			return 0;
		if (s->slot[j] == 0) {
			s->slot[j] = h;
			s->used++;
			return 1;
		}
	}
}

void
idset_free(struct idset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->used = 0;
}
