/*
 * config.h - YAML configuration (libyaml).
 *
 * A config file is a YAML mapping of sections; each section is a mapping
 * of option names to scalars:
 *
 *     select:
 *       scheme: biased
 *       alpha: -0.5
 *
 * cfg_load() returns the entries of one section, in file order, with their
 * line and column.  Syntax errors, a non-mapping document, or a non-scalar
 * value are reported as "FILE:LINE:COL: ..." with code 78.  Whether a key
 * is known is for the caller (opt.h) to decide.
 */
#ifndef WN_CONFIG_H
#define WN_CONFIG_H

#include <stddef.h>

#include "err.h"

struct cfg_entry {
	char *key;
	char *value;
	int line, col;      /* 1-based position of the key */
};

struct cfg {
	struct cfg_entry *e;
	size_t n;
	int found;          /* the section exists */
};

int cfg_load(struct cfg *c, const char *path, const char *section, struct wn_err *err);
void cfg_free(struct cfg *c);

#endif
