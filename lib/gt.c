/* gt.c - Ground Truth JSON Lines output (see gt.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "gt.h"

const char *
gt_prefix_parse(struct gt_prefix *p, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL)
		return "is not LOCAL=URI (say data/img/=s3://bucket/img/)";
	*eq = '\0';
	p->local = arg;
	p->uri = eq + 1;
	if (p->uri[0] == '\0')
		return "has an empty URI after \"=\"";
	if (mf_field_problem(p->local, strlen(p->local)) ||
	    mf_field_problem(p->uri, strlen(p->uri)))
		return "holds a TAB, CR, newline or invalid UTF-8";
	return NULL;
}

int
gt_map_path(const struct gt_prefix *p, size_t n, int reverse, const char *path,
            char **out)
{
	const struct gt_prefix *best = NULL;
	size_t bestlen = 0;

	*out = NULL;
	for (size_t k = 0; k < n; k++) {
		const char *from = reverse ? p[k].uri : p[k].local;
		size_t len = strlen(from);

		if (strncmp(path, from, len) == 0 && (best == NULL || len > bestlen)) {
			best = &p[k];
			bestlen = len;
		}
	}
	if (best == NULL)
		return 1;
	{
		const char *to = reverse ? best->local : best->uri;
		size_t tl = strlen(to), rest = strlen(path + bestlen);

		if ((*out = malloc(tl + rest + 1)) == NULL)
			return -1;
		memcpy(*out, to, tl);
		memcpy(*out + tl, path + bestlen, rest + 1);
	}
	return 0;
}

int
gt_json_value(const char *s, size_t len)
{
	json_t *v;
	int ok;

	if (len == 0)
		return 0;
	/* jansson refuses what follows the value (no JSON_DISABLE_EOF_CHECK) */
	if ((v = json_loadb(s, len, JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	ok = !json_is_string(v);
	json_decref(v);
	return ok;
}

char *
gt_dumps(const void *vp)
{
	const json_t *v = vp;
	char *text = NULL;

	/*
	 * jansson prints every real of a dump with one "%.*g" precision
	 * (17 by default: 0.9 is 0.90000000000000002).  The smallest
	 * precision at which the whole value reads back equal gives the
	 * shortest text that round-trips; %g drops trailing zeros, so the
	 * other reals of the value print short too.
	 */
	for (int p = 1; p <= 17; p++) {
		json_t *back;
		int same;

		free(text);
		if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		                       JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(p))) == NULL)
			return NULL;
		if (p == 17)
			break;
		if ((back = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL)
			continue;
		same = json_equal(back, (json_t *)v);
		json_decref(back);
		if (same)
			break;
	}
	return text;
}

/* Append the JSON string of s to *buf (size *cap, used *n). */
static int
put_text(char **buf, size_t *cap, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		char *t;

		while (*n + len + 1 > c)
			c *= 2;
		if ((t = realloc(*buf, c)) == NULL)
			return -1;
		*buf = t;
		*cap = c;
	}
	memcpy(*buf + *n, s, len);
	*n += len;
	(*buf)[*n] = '\0';
	return 0;
}

static int
put_string(char **buf, size_t *cap, size_t *n, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	int rc = t ? put_text(buf, cap, n, t, strlen(t)) : -1;

	free(t);
	json_decref(j);
	return rc;
}

int
gt_write(FILE *fp, const char *fpname, const struct mf_out *o,
         const struct mf_reader *r, const char *const *values, const char *ns,
         const struct gt_wopts *w, struct wn_err *err)
{
	char *sub = NULL, *line = NULL, *mapped = NULL;
	size_t subcap = 0, subn = 0, cap = 0, n = 0;
	const char *path = NULL;
	int rc = -1;

	/*
	 * The line is put together here rather than through a json_t: a JSON
	 * column's text goes out as it came in, where jansson would reprint
	 * its numbers (3.5 as 3.5, but 0.9 as 0.90000000000000002).
	 */
	if (put_text(&sub, &subcap, &subn, "{", 1) != 0)
		goto oom;
	for (size_t k = 0; k < o->nout; k++) {
		const char *v;

		if (o->src[k] >= 0) {
			v = mf_field(r, (size_t)o->src[k]);
		} else {
			size_t j = 0;
			while (o->set_at[j] != (int)k)
				j++;
			v = values[j];
		}
		if (strcmp(o->names[k], "path") == 0) {
			path = v;
			continue;
		}
		if (w != NULL && w->json != NULL && w->json[k]) {
			if (v[0] == '\0')
				continue;       /* an absent key, as it came */
			if (!gt_json_value(v, strlen(v))) {
				rc = wn_seterr(err, WN_EDATA, "%s:%lld: column \"%s\": %s is not JSON "
				               "like the rest of the column", mf_name(r), mf_lineno(r),
				               o->names[k], v);
				goto out;
			}
		}
		if ((subn > 1 && put_text(&sub, &subcap, &subn, ",", 1) != 0) ||
		    put_string(&sub, &subcap, &subn, o->names[k]) != 0 ||
		    put_text(&sub, &subcap, &subn, ":", 1) != 0)
			goto oom;
		if (w != NULL && w->json != NULL && w->json[k]) {
			if (put_text(&sub, &subcap, &subn, v, strlen(v)) != 0)
				goto oom;
		} else if (put_string(&sub, &subcap, &subn, v) != 0) {
			goto oom;
		}
	}
	if (put_text(&sub, &subcap, &subn, "}", 1) != 0)
		goto oom;
	if (path != NULL && w != NULL && w->nprefix > 0) {
		switch (gt_map_path(w->prefix, w->nprefix, 0, path, &mapped)) {
		case -1:
			goto oom;
		case 1:
			rc = wn_seterr(err, WN_EDATA, "%s:%lld: path \"%s\" starts with none of the "
			               "--source-prefix folders", mf_name(r), mf_lineno(r), path);
			goto out;
		}
		path = mapped;
	}
	if (put_text(&line, &cap, &n, "{", 1) != 0)
		goto oom;
	if (path != NULL && (put_string(&line, &cap, &n, "source-ref") != 0 ||
	    put_text(&line, &cap, &n, ":", 1) != 0 || put_string(&line, &cap, &n, path) != 0 ||
	    put_text(&line, &cap, &n, ",", 1) != 0))
		goto oom;
	if (put_string(&line, &cap, &n, ns) != 0 || put_text(&line, &cap, &n, ":", 1) != 0 ||
	    put_text(&line, &cap, &n, sub, subn) != 0 || put_text(&line, &cap, &n, "}\n", 2) != 0)
		goto oom;
	if (fwrite(line, 1, n, fp) != n)
		rc = wn_seterr(err, WN_EIO, "%s: write error: %s", fpname, strerror(errno));
	else
		rc = 0;
	goto out;
oom:
	rc = wn_seterr(err, WN_ESOFTWARE, "out of memory");
out:
	free(mapped);
	free(sub);
	free(line);
	return rc;
}

int
gt_write_row(FILE *fp, const char *fpname, const struct mf_out *o,
             const struct mf_reader *r, const char *const *values,
             const char *ns, struct wn_err *err)
{
	return gt_write(fp, fpname, o, r, values, ns, NULL, err);
}

int
gt_json_columns(struct mf_reader *r, const struct mf_out *o, int strings,
                unsigned char **json, struct wn_err *err)
{
	size_t n = o->nout ? o->nout : 1;
	unsigned char *js = calloc(n, 1), *seen = calloc(n, 1);
	int rc;

	*json = NULL;
	if (js == NULL || seen == NULL) {
		free(js);
		free(seen);
		return wn_seterr(err, WN_ESOFTWARE, "to-jsonl: out of memory");
	}
	for (size_t k = 0; k < o->nout; k++)
		js[k] = !strings && strcmp(o->names[k], "id") != 0 &&
		        strcmp(o->names[k], "path") != 0 && strcmp(o->names[k], "label") != 0;
	while ((rc = mf_next(r, err)) > 0)
		for (size_t k = 0; k < o->nout; k++) {
			size_t len = mf_fieldlen(r, (size_t)o->src[k]);

			if (!js[k] || len == 0)
				continue;
			seen[k] = 1;
			js[k] = gt_json_value(mf_field(r, (size_t)o->src[k]), len);
		}
	for (size_t k = 0; k < o->nout; k++)
		js[k] = js[k] && seen[k];
	free(seen);
	if (rc < 0) {
		free(js);
		return -1;
	}
	*json = js;
	return 0;
}
