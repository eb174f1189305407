/*
 * fmt.h - number formatting faster than printf, byte for byte the same.
 */
#ifndef WN_FMT_H
#define WN_FMT_H

#include <stddef.h>

enum { WN_G9_MAX = 32 };    /* room for any %.9g of a double, and the NUL */

/* Write snprintf(buf, WN_G9_MAX, "%.9g", v) into buf, the same bytes for
 * every double (in the default rounding mode), and return its length.
 * Most values take a fast path whose rounding is proved right or handed
 * to snprintf (exact ties and values within 2^-61 of one, outside
 * [2^-96, 2^97), zero's sign aside, NaN and inf). */
int wn_fmt_g9(char buf[WN_G9_MAX], double v);

enum { WN_LLD_MAX = 21 };   /* "-9223372036854775808" and the NUL */

/* Write snprintf(buf, WN_LLD_MAX, "%lld", v) into buf and return its
 * length: a manifest's row column, a number a line (snprintf was 1,100
 * of the 3,000 instructions an image winnow-embed -m pixels spent besides
 * decoding and resizing, callgrind). */
int wn_fmt_lld(char buf[WN_LLD_MAX], long long v);

#endif
