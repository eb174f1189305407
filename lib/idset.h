/*
 * idset.h - a set of sample ids, held as 64-bit hashes (8-16 bytes per id,
 * never the ids themselves), for refusing duplicate ids in streams of any
 * length.  Two distinct ids whose XXH3 hashes collide would be taken for
 * duplicates: about 1 chance in 10^8 for ten million ids.
 */
#ifndef WN_IDSET_H
#define WN_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
	uint64_t *slot;         /* open addressing; 0 marks an empty slot */
	size_t cap, used;
};

/* Add id; return 1 if it was new, 0 if already present, -1 out of memory. */
int idset_add(struct idset *s, const char *id, size_t len);
/* The same in two steps, for a caller that knows the next id before it
 * must be added: idset_hash, idset_prefetch (a hint: the slot's cache
 * line is fetched while the caller works on), later idset_add_hash. */
uint64_t idset_hash(const char *id, size_t len);
void idset_prefetch(const struct idset *s, uint64_t h);
int idset_add_hash(struct idset *s, uint64_t h);
void idset_free(struct idset *s);

#endif
