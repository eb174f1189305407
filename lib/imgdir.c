/* imgdir.c - see imgdir.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "imgdir.h"
#include "manifest.h"

static int
is_image_name(const char *name)
{
	static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".pgm", ".ppm", NULL };
	size_t n = strlen(name);

	for (int i = 0; ext[i]; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
			return 1;
	}
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* "a" "/" "b", or b alone when a is empty; NULL without memory. */
static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s)
		snprintf(s, la + lb + 2, "%s%s%s", a, la ? "/" : "", b);
	return s;
}

/* One image: its label is the first component of its id. */
static int
image(const char *sub, const char *full, imgdir_fn *fn, void *ctx, struct wn_err *err)
{
	const char *slash = strchr(sub, '/'), *problem = mf_field_problem(full, strlen(full));
	char *label;
	int rc;

	if (problem)
		return wn_seterr(err, WN_EDATA, "%s: file name %s: rename it", full, problem);
	if ((label = strdup(sub)) == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "dir: out of memory");
	label[slash ? (size_t)(slash - sub) : 0] = '\0';
	rc = fn(ctx, sub, full, label, err);
	free(label);
	return rc;
}

/* The images under root/rel. */
static int
walk(const char *root, const char *rel, int depth, imgdir_fn *fn, void *ctx,
     struct wn_err *err)
{
	struct dirent **ents;
	char *dir = rel[0] ? join(root, rel) : strdup(root);
	int n, k, rc = 0;

	if (dir == NULL)
		return wn_seterr(err, WN_ESOFTWARE, "dir: out of memory");
	if ((n = scandir(dir, &ents, NULL, by_name)) < 0) {
		rc = wn_seterr(err, depth ? WN_EIO : WN_ENOINPUT, "%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	for (k = 0; k < n && rc == 0; k++) {
		const char *name = ents[k]->d_name;
		char *sub, *full;
		struct stat st;

		if (name[0] == '.')
			continue;
		sub = join(rel, name);
		full = sub ? join(root, sub) : NULL;
		if (full == NULL)
			rc = wn_seterr(err, WN_ESOFTWARE, "dir: out of memory");
		else if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
			rc = depth > 64 ? wn_seterr(err, WN_EDATA, "%s: folders nested too deep", full)
			                : walk(root, sub, depth + 1, fn, ctx, err);
		else if (is_image_name(name) && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = image(sub, full, fn, ctx, err);
		free(sub);
		free(full);
	}
	for (k = 0; k < n; k++)
		free(ents[k]);
	free(ents);
	free(dir);
	return rc;
}

int
imgdir_walk(const char *root, imgdir_fn *fn, void *ctx, struct wn_err *err)
{
	return walk(root, "", 0, fn, ctx, err);
}
