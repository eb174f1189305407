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

/* Where a key was seen: under the namespace, at the top level, in an
 * X-metadata object (owner X); K_OWNER notes the X of an X-metadata
 * object, empty or not. */
enum { K_NS, K_TOP, K_META, K_OWNER };

struct gkey {
	char *name;
	char *owner;            /* K_META: the X of the X-metadata object */
	int where;
	long long lineno;       /* first seen on */
};

struct gtr {
	const char *name, *given, *ns;
	char *attr;             /* the label attribute, once settled */
	char *meta;             /* "ATTR-metadata" */
	struct gkey *keys;      /* pass 1: every key, first appearance order */
	size_t nkeys;
	char **col;             /* column names */
	size_t ncol;
	char **row;             /* current row, ncol fields */
	char *failure;          /* current row's failure-reason, or NULL */
	const struct gt_prefix *prefix;
	size_t nprefix;
	struct idset seen;      /* ids of the rows made so far */
};

static const char SUFFIX[] = "-metadata";

static int
oom(struct wn_err *err)
{
	return wn_seterr(err, WN_ESOFTWARE, "out of memory");
}

struct gtr *
gtr_new(const char *name, const char *label_attr, const char *ns, struct wn_err *err)
{
	struct gtr *g = calloc(1, sizeof *g);

	if (g == NULL) {
		oom(err);
		return NULL;
	}
	g->name = name;
	g->given = label_attr;
	g->ns = ns;
	return g;
}

void
gtr_set_prefix(struct gtr *g, const struct gt_prefix *p, size_t n)
{
	g->prefix = p;
	g->nprefix = n;
}

static void
row_clear(struct gtr *g)
{
	free(g->failure);
	g->failure = NULL;
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
	for (size_t k = 0; k < g->nkeys; k++) {
		free(g->keys[k].name);
		free(g->keys[k].owner);
	}
	free(g->keys);
	free(g->attr);
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

const char *
gtr_label_attr(const struct gtr *g)
{
	return g->attr;
}

const char *
gtr_failure(const struct gtr *g)
{
	return g->failure;
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

/* The X of a top-level key "X-metadata" whose value is an object, or
 * NULL (malloc'ed; *bad set when memory ran out). */
static char *
meta_owner(const char *key, const json_t *v, int *bad)
{
	size_t n = strlen(key), s = sizeof SUFFIX - 1;
	char *x;

	if (n <= s || strcmp(key + n - s, SUFFIX) != 0 || !json_is_object(v))
		return NULL;
	if ((x = strndup(key, n - s)) == NULL)
		*bad = 1;
	return x;
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

/* Note a key of pass 1 if it is new.  Linear search: a manifest has a
 * handful of distinct keys, not one per line. */
static int
note_key(struct gtr *g, int where, const char *owner, const char *name, long long lineno,
         struct wn_err *err)
{
	struct gkey *t;

	for (size_t k = 0; k < g->nkeys; k++)
		if (g->keys[k].where == where && strcmp(g->keys[k].name, name) == 0 &&
		    (owner == NULL || strcmp(g->keys[k].owner, owner) == 0))
			return 0;
	if ((t = realloc(g->keys, (g->nkeys + 1) * sizeof *t)) == NULL)
		return oom(err);
	g->keys = t;
	t = &g->keys[g->nkeys];
	t->where = where;
	t->lineno = lineno;
	t->owner = NULL;
	if ((t->name = strdup(name)) == NULL || (owner && (t->owner = strdup(owner)) == NULL)) {
		free(t->name);
		return oom(err);
	}
	g->nkeys++;
	return 0;
}

int
gtr_scan(struct gtr *g, const char *line, size_t len, long long lineno, struct wn_err *err)
{
	json_t *obj, *v, *mv;
	const char *key, *mkey;
	int rc = 0, bad = 0;

	if (g->col != NULL)
		return wn_seterr(err, WN_ESOFTWARE, "%s: gtr_scan after gtr_columns", g->name);
	if ((obj = parse(g, line, len, lineno, err)) == NULL)
		return -1;
	json_object_foreach(json_object_get(obj, g->ns), key, v)
		if (rc == 0)
			rc = note_key(g, K_NS, NULL, key, lineno, err);
	json_object_foreach(obj, key, v) {
		char *x;

		if (rc != 0 || strcmp(key, "source-ref") == 0 || strcmp(key, g->ns) == 0)
			continue;
		rc = note_key(g, K_TOP, NULL, key, lineno, err);
		if (rc == 0 && (x = meta_owner(key, v, &bad)) != NULL) {
			rc = note_key(g, K_OWNER, NULL, x, lineno, err);
			json_object_foreach(v, mkey, mv)
				if (rc == 0)
					rc = note_key(g, K_META, x, mkey, lineno, err);
			free(x);
		}
		if (bad)
			rc = oom(err);
	}
	json_decref(obj);
	return rc;
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

/* A metadata key that is not a column of its own. */
static int
meta_skipped(const char *key)
{
	return strcmp(key, "class-name") == 0 || strcmp(key, "class-map") == 0;
}

/* The label attribute: the given one, else the one ATTR-metadata object
 * of the file, else "label"; two or more are refused. */
static int
settle_attr(struct gtr *g, struct wn_err *err)
{
	const char *found = NULL;
	char list[512] = "";
	size_t n = 0;

	if (g->given != NULL) {
		found = g->given;
	} else {
		for (size_t k = 0; k < g->nkeys; k++) {
			const struct gkey *a = &g->keys[k];

			if (a->where != K_OWNER)
				continue;       /* note_key made each owner once */
			if (n++ == 0)
				found = a->name;
			if (strlen(list) + strlen(a->name) + 8 < sizeof list)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
				         n > 1 ? ", " : "", a->name);
		}
		if (n > 1)
			return wn_seterr(err, WN_EDATA, "%s: %zu label attributes (%s): name the one "
			                 "that holds the labels with --label-attribute", g->name, n, list);
		if (n == 0)
			found = "label";
	}
	if ((g->attr = strdup(found)) == NULL ||
	    (g->meta = malloc(strlen(found) + sizeof SUFFIX)) == NULL)
		return oom(err);
	sprintf(g->meta, "%s%s", found, SUFFIX);
	return 0;
}

int
gtr_columns(struct gtr *g, struct wn_err *err)
{
	static const char *const fixed[] = { "id", "path", "label" };

	if (g->col != NULL)
		return 0;
	if (settle_attr(g, err) != 0)
		return -1;
	for (int k = 0; k < 3; k++)
		if (add_col(g, fixed[k], 1, err) != 0)
			return -1;
	for (size_t k = 0; k < g->nkeys; k++) {
		const struct gkey *a = &g->keys[k];

		if (a->where == K_TOP && (strcmp(a->name, g->attr) == 0 ||
		    strcmp(a->name, g->meta) == 0))
			continue;
		if (a->where == K_OWNER ||
		    (a->where == K_META && (strcmp(a->owner, g->attr) != 0 || meta_skipped(a->name))))
			continue;
		if (add_col(g, a->name, a->lineno, err) != 0)
			return -1;
	}
	if ((g->row = calloc(g->ncol, sizeof *g->row)) == NULL)
		return oom(err);
	return 0;
}

/* The text a JSON value becomes in a field (malloc'ed), or NULL. */
static char *
json_text(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_null(v))
		return strdup("");
	return gt_dumps(v);
}

/* Set field k of the row to s (taken over), checking it can be a field;
 * what names where s came from in messages. */
static int
take_field(struct gtr *g, size_t k, char *s, const char *what, long long lineno,
           struct wn_err *err)
{
	const char *why;

	if (s == NULL)
		return oom(err);
	if ((why = mf_field_problem(s, strlen(s))) != NULL) {
		free(s);
		return wn_seterr(err, WN_EDATA, "%s:%lld: value of \"%s\" %s", g->name, lineno,
		                 what, why);
	}
	free(g->row[k]);
	g->row[k] = s;
	return 0;
}

/* Set the field of column key to the text of v. */
static int
set_field(struct gtr *g, const char *key, const json_t *v, const char *what,
          long long lineno, struct wn_err *err)
{
	size_t k = col_find(g, key);

	if (k == (size_t)-1)
		return wn_seterr(err, WN_EDATA, "%s:%lld: key \"%s\" was not there on the first "
		                 "reading (input changed?)", g->name, lineno, key);
	return take_field(g, k, json_text(v), what, lineno, err);
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

/* Fill the row from obj: namespace, then top level, then metadata, so
 * that the later places win. */
static int
fill(struct gtr *g, json_t *obj, long long lineno, struct wn_err *err)
{
	json_t *v, *m = json_object_get(obj, g->meta), *fr;
	const char *key, *src = json_string_value(json_object_get(obj, "source-ref"));
	char what[256], *s;
	int rc = 0;

	json_object_foreach(json_object_get(obj, g->ns), key, v) {
		snprintf(what, sizeof what, "%s.%s", g->ns, key);
		if (rc == 0)
			rc = set_field(g, key, v, what, lineno, err);
	}
	json_object_foreach(obj, key, v)
		if (rc == 0 && strcmp(key, "source-ref") != 0 && strcmp(key, g->ns) != 0 &&
		    strcmp(key, g->attr) != 0 && strcmp(key, g->meta) != 0)
			rc = set_field(g, key, v, key, lineno, err);
	if (json_is_object(m))
		json_object_foreach(m, key, v) {
			snprintf(what, sizeof what, "%s.%s", g->meta, key);
			if (rc == 0 && !meta_skipped(key))
				rc = set_field(g, key, v, what, lineno, err);
		}
	if (rc != 0)
		return -1;
	if (json_is_object(m) && (fr = json_object_get(m, "failure-reason")) != NULL &&
	    !json_is_null(fr) && (g->failure = json_text(fr)) == NULL)
		return oom(err);
	/* the path, mapped back to a local one if asked */
	if (g->nprefix > 0) {
		switch (gt_map_path(g->prefix, g->nprefix, 1, src, &s)) {
		case -1:
			return oom(err);
		case 1:
			return wn_seterr(err, WN_EDATA, "%s:%lld: source-ref \"%s\" starts with none "
			                 "of the --source-prefix URIs", g->name, lineno, src);
		}
	} else {
		s = strdup(src);
	}
	if (take_field(g, 1, s, "source-ref", lineno, err) != 0)
		return -1;
	if (g->row[0] == NULL || g->row[0][0] == '\0') {
		/* the image is the id */
		if (take_field(g, 0, strdup(src), "source-ref", lineno, err) != 0)
			return -1;
	}
	if ((s = label(g, obj)) != NULL) {
		if (json_is_string(json_object_get(m, "class-name")))
			snprintf(what, sizeof what, "%s.class-name", g->meta);
		else
			snprintf(what, sizeof what, "%s", g->attr);
		if (take_field(g, 2, s, what, lineno, err) != 0)
			return -1;
	}
	return 0;
}

int
gtr_row(struct gtr *g, const char *line, size_t len, long long lineno,
        const char *const **fields, struct wn_err *err)
{
	json_t *obj;
	int rc;

	if (g->row == NULL && gtr_columns(g, err) != 0)
		return -1;
	row_clear(g);
	if ((obj = parse(g, line, len, lineno, err)) == NULL)
		return -1;
	rc = fill(g, obj, lineno, err);
	json_decref(obj);
	if (rc != 0)
		return -1;
	for (size_t k = 0; k < g->ncol; k++)
		if (g->row[k] == NULL && (g->row[k] = strdup("")) == NULL)
			return oom(err);
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
