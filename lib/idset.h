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
void idset_free(struct idset *s);

#endif
