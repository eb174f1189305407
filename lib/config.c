/* config.c - one section of a YAML config file, with libyaml (see config.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"

void
cfg_free(struct cfg *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	memset(c, 0, sizeof *c);
}

static int
next_event(yaml_parser_t *p, yaml_event_t *ev, const char *path, struct wn_err *err)
{
	if (yaml_parser_parse(p, ev))
		return 0;
	return wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: YAML syntax error: %s%s%s", path,
	                 p->problem_mark.line + 1, p->problem_mark.column + 1,
	                 p->problem ? p->problem : "unknown problem",
	                 p->context ? " " : "", p->context ? p->context : "");
}

/* Skip the node whose first event is ev (already consumed), including
 * everything nested in it. */
static int
skip_node(yaml_parser_t *p, yaml_event_t *ev, const char *path, struct wn_err *err)
{
	int depth = 0;

	for (;;) {
		if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(ev);
		if (depth == 0)
			return 0;
		if (next_event(p, ev, path, err) != 0)
			return -1;
	}
}

static int
add_entry(struct cfg *c, const yaml_event_t *key, const yaml_event_t *val, const char *path,
          struct wn_err *err)
{
	const char *k = (const char *)key->data.scalar.value;
	struct cfg_entry *e;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, k) == 0)
			return wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: key \"%s\" given twice (first on line %d)",
			                 path, key->start_mark.line + 1, key->start_mark.column + 1, k, c->e[i].line);
	if ((e = realloc(c->e, (c->n + 1) * sizeof *c->e)) == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	c->e = e;
	e = &c->e[c->n];
	e->key = strdup(k);
	e->value = strdup((const char *)val->data.scalar.value);
	e->line = (int)key->start_mark.line + 1;
	e->col = (int)key->start_mark.column + 1;
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		free(e->value);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	c->n++;
	return 0;
}

/* Read the section's mapping (its MAPPING_START already consumed). */
static int
read_section(yaml_parser_t *p, struct cfg *c, const char *path, const char *section,
             struct wn_err *err)
{
	yaml_event_t key, val;

	for (;;) {
		if (next_event(p, &key, path, err) != 0)
			return -1;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: in section \"%s\": keys must be plain names",
			          path, key.start_mark.line + 1, key.start_mark.column + 1, section);
			yaml_event_delete(&key);
			return -1;
		}
		if (next_event(p, &val, path, err) != 0) {
			yaml_event_delete(&key);
			return -1;
		}
		if (val.type != YAML_SCALAR_EVENT) {
			wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: %s.%s: expected a single value, not a %s",
			          path, val.start_mark.line + 1, val.start_mark.column + 1, section,
			          (const char *)key.data.scalar.value,
			          val.type == YAML_SEQUENCE_START_EVENT ? "list" : "mapping");
			yaml_event_delete(&key);
			yaml_event_delete(&val);
			return -1;
		}
		if (add_entry(c, &key, &val, path, err) != 0) {
			yaml_event_delete(&key);
			yaml_event_delete(&val);
			return -1;
		}
		yaml_event_delete(&key);
		yaml_event_delete(&val);
	}
}

int
cfg_load(struct cfg *c, const char *path, const char *section, struct wn_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev, key;
	FILE *fp;
	int rc = -1;

	memset(c, 0, sizeof *c);
	if ((fp = fopen(path, "r")) == NULL)
		return wn_seterr(err, WN_ENOINPUT, "%s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&p)) {
		fclose(fp);
		return wn_seterr(err, WN_ESOFTWARE, "out of memory");
	}
	yaml_parser_set_input_file(&p, fp);

	/* STREAM-START, DOCUMENT-START, then the top-level node */
	for (;;) {
		if (next_event(&p, &ev, path, err) != 0)
			goto out;
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	}
	if (ev.type == YAML_STREAM_END_EVENT) {     /* empty file: no sections */
		yaml_event_delete(&ev);
		rc = 0;
		goto out;
	}
	if (ev.type != YAML_MAPPING_START_EVENT) {
		wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: expected a mapping of sections (e.g. \"%s:\" followed by indented options)",
		          path, ev.start_mark.line + 1, ev.start_mark.column + 1, section);
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);
	for (;;) {
		if (next_event(&p, &key, path, err) != 0)
			goto out;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			break;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: section names must be plain names",
			          path, key.start_mark.line + 1, key.start_mark.column + 1);
			yaml_event_delete(&key);
			goto out;
		}
		if (next_event(&p, &ev, path, err) != 0) {
			yaml_event_delete(&key);
			goto out;
		}
		if (strcmp((const char *)key.data.scalar.value, section) == 0) {
			if (c->found) {
				wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: section \"%s\" given twice",
				          path, key.start_mark.line + 1, key.start_mark.column + 1, section);
				yaml_event_delete(&key);
				yaml_event_delete(&ev);
				goto out;
			}
			c->found = 1;
			if (ev.type == YAML_MAPPING_START_EVENT) {
				yaml_event_delete(&ev);
				if (read_section(&p, c, path, section, err) != 0) {
					yaml_event_delete(&key);
					goto out;
				}
			} else if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0) {
				yaml_event_delete(&ev);     /* "select:" with nothing under it */
			} else {
				wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: section \"%s\" must be a mapping of option: value",
				          path, ev.start_mark.line + 1, ev.start_mark.column + 1, section);
				yaml_event_delete(&key);
				yaml_event_delete(&ev);
				goto out;
			}
		} else if (skip_node(&p, &ev, path, err) != 0) {
			yaml_event_delete(&key);
			goto out;
		}
		yaml_event_delete(&key);
	}
	/* DOCUMENT-END, then either STREAM-END or a second document */
	for (;;) {
		if (next_event(&p, &ev, path, err) != 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			wn_seterr(err, WN_ECONFIG, "%s:%zu:%zu: more than one YAML document",
			          path, ev.start_mark.line + 1, ev.start_mark.column + 1);
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
out:
	yaml_parser_delete(&p);
	fclose(fp);
	if (rc != 0)
		cfg_free(c);
	return rc;
}
