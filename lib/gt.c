/* gt.c - Ground Truth JSON Lines output (see gt.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "gt.h"

int
gt_write_row(FILE *fp, const char *fpname, const struct mf_out *o,
             const struct mf_reader *r, const char *const *values,
             const char *ns, struct wn_err *err)
{
	json_t *obj = json_object(), *sub = json_object();
	char *text = NULL;
	int rc = -1;

	if (obj == NULL || sub == NULL)
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
			if (json_object_set_new(obj, "source-ref", json_string(v)) != 0)
				goto oom;
		} else if (json_object_set_new(sub, o->names[k], json_string(v)) != 0) {
			goto oom;
		}
	}
	if (json_object_set(obj, ns, sub) != 0)
		goto oom;
	if ((text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto oom;
	if (fputs(text, fp) == EOF || putc('\n', fp) == EOF)
		rc = wn_seterr(err, WN_EIO, "%s: write error: %s", fpname, strerror(errno));
	else
		rc = 0;
	goto out;
oom:
	rc = wn_seterr(err, WN_ESOFTWARE, "out of memory");
out:
	free(text);
	json_decref(sub);
	json_decref(obj);
	return rc;
}
