/*
 * gtread.c - Ground Truth JSON Lines to manifest rows.  See gtread.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "gt.h"
#include "gtread.h"
#include "idset.h"
#include "manifest.h"

struct gtr {
	const char *name, *attr, *ns;
	char *meta;             /* "ATTR-metadata" */
	char **col;             /* column names */
	size_t ncol;
	char **row;             /* current row, ncol fields */
	struct idset seen;      /* ids of the rows made so far */
};

static int
oom(struct wn_err *err)
{
	return wn_seterr(err, WN_ESOFTWARE, "out of memory");
}

struct gtr *
gtr_new(const char *name, const char *label_attr, const char *ns, struct wn_err *err)
{
	struct gtr *g = calloc(1, sizeof *g);
	size_t n = strlen(label_attr) + sizeof "-metadata";
	static const char *const fixed[] = { "id", "path", "label" };

	if (g == NULL || (g->meta = malloc(n)) == NULL ||
	    (g->col = calloc(3, sizeof *g->col)) == NULL)
		goto fail;
	snprintf(g->meta, n, "%s-metadata", label_attr);
	g->name = name;
	g->attr = label_attr;
	g->ns = ns;
	for (int k = 0; k < 3; k++)
		if ((g->col[g->ncol++] = strdup(fixed[k])) == NULL)
			goto fail;
	return g;
fail:
	gtr_free(g);
	oom(err);
	return NULL;
}

static void
row_clear(struct gtr *g)
{
	if (g->row == NULL)
		return;
	for (size_t k = 0; k < g->ncol; k++) {
		free(g->row[k]);
		g->row[k] = NULL;
	}
}

void
gtr_free(struct gtr *g)
{
	if (g == NULL)
		return;
	row_clear(g);
	free(g->row);
	for (size_t k = 0; k < g->ncol; k++)
		free(g->col[k]);
	free(g->col);
	free(g->meta);
	idset_free(&g->seen);
	free(g);
}

size_t
gtr_ncols(const struct gtr *g)
{
	return g->ncol;
}

const char *const *
gtr_colnames(const struct gtr *g)
{
	return (const char *const *)g->col;
}

/* Index of column name, or (size_t)-1. */
static size_t
col_find(const struct gtr *g, const char *name)
{
	for (size_t k = 0; k < g->ncol; k++)
		if (strcmp(g->col[k], name) == 0)
			return k;
	return (size_t)-1;
}

static int
skip_key(const struct gtr *g, const char *key)
{
	return strcmp(key, "source-ref") == 0 || strcmp(key, g->attr) == 0 ||
	       strcmp(key, g->meta) == 0 || strcmp(key, g->ns) == 0;
}

/* Parse one line into an object with a "source-ref" string. */
static json_t *
parse(const struct gtr *g, const char *line, size_t len, long long lineno,
      struct wn_err *err)
{
	json_error_t jerr;
	json_t *obj;

	if (len > GT_MAX_LINE) {
		wn_seterr(err, WN_EDATA, "%s:%lld: line of %zu characters is over the %d limit",
		          g->name, lineno, len, GT_MAX_LINE);
		return NULL;
	}
	if (len == 0) {
		wn_seterr(err, WN_EDATA, "%s:%lld: empty line", g->name, lineno);
		return NULL;
	}
	if ((obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		wn_seterr(err, WN_EDATA, "%s:%lld:%d: %s", g->name, lineno, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		wn_seterr(err, WN_EDATA, "%s:%lld: not a JSON object", g->name, lineno);
	} else if (!json_is_string(json_object_get(obj, "source-ref"))) {
		wn_seterr(err, WN_EDATA, "%s:%lld: no \"source-ref\" string", g->name, lineno);
	} else {
		return obj;
	}
	json_decref(obj);
	return NULL;
}

/* Add key as a column if new; check it can be a column name. */
static int
add_col(struct gtr *g, const char *key, long long lineno, struct wn_err *err)
{
	const char *why;
	char **t;

	if (col_find(g, key) != (size_t)-1)
		return 0;
	if (key[0] == '\0')
		return wn_seterr(err, WN_EDATA, "%s:%lld: empty key", g->name, lineno);
	if ((why = mf_field_problem(key, strlen(key))) != NULL)
		return wn_seterr(err, WN_EDATA, "%s:%lld: key %s", g->name, lineno, why);
	if ((t = realloc(g->col, (g->ncol + 1) * sizeof *t)) == NULL)
		return oom(err);
	g->col = t;
	if ((g->col[g->ncol] = strdup(key)) == NULL)
		return oom(err);
	g->ncol++;
	return 0;
}

int
gtr_scan(struct gtr *g, const char *line, size_t len, long long lineno, struct wn_err *err)
{
	json_t *obj, *v;
	const char *key;
	int rc = 0;

	if (g->row != NULL)
		return wn_seterr(err, WN_ESOFTWARE, "%s: gtr_scan after gtr_row", g->name);
	if ((obj = parse(g, line, len, lineno, err)) == NULL)
		return -1;
	json_object_foreach(json_object_get(obj, g->ns), key, v)
		if (rc == 0)
			rc = add_col(g, key, lineno, err);
	json_object_foreach(obj, key, v)
		if (rc == 0 && !skip_key(g, key))
			rc = add_col(g, key, lineno, err);
	json_decref(obj);
	return rc;
}

/* The text a JSON value becomes in a field (malloc'ed), or NULL. */
static char *
json_text(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_null(v))
		return strdup("");
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Set field k of the row to the text of v, replacing what was there. */
static int
set_field(struct gtr *g, const char *key, const json_t *v, long long lineno,
          struct wn_err *err)
{
	size_t k = col_find(g, key);
	char *s;

	if (k == (size_t)-1)
		return wn_seterr(err, WN_EDATA, "%s:%lld: key \"%s\" was not there on the first "
		                 "reading (input changed?)", g->name, lineno, key);
	if ((s = json_text(v)) == NULL)
		return oom(err);
	free(g->row[k]);
	g->row[k] = s;
	return 0;
}

/* The label (malloc'ed), or NULL when there is none or memory ran out. */
static char *
label(const struct gtr *g, json_t *obj)
{
	json_t *m = json_object_get(obj, g->meta), *v = json_object_get(obj, g->attr);
	json_t *name = json_is_object(m) ? json_object_get(m, "class-name") : NULL;
	char key[32];

	if (json_is_string(name))
		return strdup(json_string_value(name));
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		json_t *map = json_is_object(m) ? json_object_get(m, "class-map") : NULL;
		snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		if (json_is_string(json_object_get(map, key)))
			return strdup(json_string_value(json_object_get(map, key)));
		return strdup(key);
	}
	return NULL;
}

int
gtr_row(struct gtr *g, const char *line, size_t len, long long lineno,
        const char *const **fields, struct wn_err *err)
{
	json_t *obj, *v;
	const char *key, *why;
	char *lab;
	int rc = 0;

	if (g->row == NULL && (g->row = calloc(g->ncol, sizeof *g->row)) == NULL)
		return oom(err);
	row_clear(g);
	if ((obj = parse(g, line, len, lineno, err)) == NULL)
		return -1;
	json_object_foreach(json_object_get(obj, g->ns), key, v)
		if (rc == 0)
			rc = set_field(g, key, v, lineno, err);
	json_object_foreach(obj, key, v)
		if (rc == 0 && !skip_key(g, key))
			rc = set_field(g, key, v, lineno, err);
	if (rc == 0) {
		free(g->row[1]);
		if ((g->row[1] = strdup(json_string_value(json_object_get(obj, "source-ref")))) == NULL)
			rc = oom(err);
	}
	if (rc == 0 && (lab = label(g, obj)) != NULL) {
		free(g->row[2]);
		g->row[2] = lab;
	}
	json_decref(obj);
	if (rc != 0)
		return -1;
	if (g->row[0] == NULL || g->row[0][0] == '\0') {
		free(g->row[0]);
		if ((g->row[0] = strdup(g->row[1])) == NULL)   /* the image is the id */
			return oom(err);
	}
	for (size_t k = 0; k < g->ncol; k++) {
		if (g->row[k] == NULL && (g->row[k] = strdup("")) == NULL)
			return oom(err);
		if ((why = mf_field_problem(g->row[k], strlen(g->row[k]))) != NULL)
			return wn_seterr(err, WN_EDATA, "%s:%lld: value of \"%s\" %s",
			                 g->name, lineno, g->col[k], why);
	}
	if (g->row[0][0] == '\0')
		return wn_seterr(err, WN_EDATA, "%s:%lld: empty id and empty source-ref",
		                 g->name, lineno);
	switch (idset_add(&g->seen, g->row[0], strlen(g->row[0]))) {
	case -1:
		return oom(err);
	case 0:
		return wn_seterr(err, WN_EDATA, "%s:%lld: duplicate id \"%s\"", g->name, lineno, g->row[0]);
	}
	*fields = (const char *const *)g->row;
	return 0;
}
