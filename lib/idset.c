/* idset.c - a set of ids as 64-bit hashes (see idset.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "idset.h"

/*
 * A zeroed table of cap slots.  Past 2 MiB, aligned for transparent huge
 * pages and asked for them: each id lands on a random slot, and with
 * 4 KiB pages nearly every lookup in a table larger than the TLB's reach
 * also walked the page tables (15-25% of an insert, 240,000 and ten
 * million ids).
 */
static uint64_t *
table_new(size_t cap)
{
	enum { HUGE = 2u << 20 };
	size_t bytes = cap * sizeof(uint64_t);

	if (bytes < HUGE)
		return calloc(cap, sizeof(uint64_t));
	uint64_t *t = aligned_alloc(HUGE, bytes);   /* cap a power of two: a multiple */
	if (t == NULL)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(t, bytes, MADV_HUGEPAGE);
#endif
	memset(t, 0, bytes);
	return t;
}

static void
put(uint64_t *slot, size_t cap, uint64_t h)
{
	size_t j = h & (cap - 1);

	while (slot[j])
		j = (j + 1) & (cap - 1);
	slot[j] = h;
}

uint64_t
idset_hash(const char *id, size_t len)
{
	return XXH3_64bits(id, len) | 1;    /* never 0, the empty mark */
}

void
idset_prefetch(const struct idset *s, uint64_t h)
{
	if (s->cap)
		__builtin_prefetch(&s->slot[h & (s->cap - 1)], 1, 3);
}

int
idset_add_hash(struct idset *s, uint64_t h)
{
	if (2 * (s->used + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *t = table_new(cap);

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

int
idset_add(struct idset *s, const char *id, size_t len)
{
	return idset_add_hash(s, idset_hash(id, len));
}

void
idset_free(struct idset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->used = 0;
}
