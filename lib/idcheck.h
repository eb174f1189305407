/*
 * idcheck.h - are any two of a stream of 64-bit id hashes equal, in
 * memory that does not grow with the stream.
 *
 * The hashes are held in memory up to a bound; past it they are spilled
 * to unlinked temporary files in $TMPDIR (else /tmp), one per value of
 * their top 8 bits, 8 bytes a hash on disk.  The check then sorts one
 * file at a time; a file still larger than the bound is split again by
 * the next 8 bits (at most 8 levels: past them every hash in a file is
 * the same).  idset.h costs 16-32 bytes a row in memory instead; this is
 * for streams of any length (winnow-select at 10^8 rows).
 */
#ifndef WN_IDCHECK_H
#define WN_IDCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct idcheck;

/* An empty check holding at most mem bytes of hashes in memory (0: 64 MiB;
 * at least 64 KiB are used).  NULL (70) on no memory. */
struct idcheck *idc_new(size_t mem, struct wn_err *err);
/* Add one hash.  0, or -1 (74) when a spill file cannot be written
 * (naming the temporary directory: full?). */
int idc_add(struct idcheck *c, uint64_t h, struct wn_err *err);
/* After the last idc_add: 1 and *h when two of the hashes added are equal
 * (the smallest such value, spilled or not),
 * 0 when all differ, -1 (74 on I/O errors, 70 on no memory). */
int idc_find_dup(struct idcheck *c, uint64_t *h, struct wn_err *err);
/* Hashes added; bytes spilled to disk so far. */
uint64_t idc_count(const struct idcheck *c);
uint64_t idc_spilled(const struct idcheck *c);
void idc_free(struct idcheck *c);

#endif
