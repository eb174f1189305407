/*
 * grow.h - arrays that double as rows are read.
 */
#ifndef WN_GROW_H
#define WN_GROW_H

#include <stddef.h>

/*
 * Make *p (an array of *cap elements of size bytes, NULL and 0 at first)
 * hold at least need elements: doubled from 1024 until it does, *p and
 * *cap updated.  0, or -1 without memory (or past SIZE_MAX bytes), *p
 * and *cap then unchanged.
 */
int wn_grow(void **p, size_t *cap, size_t need, size_t size);

#endif
