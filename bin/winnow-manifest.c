/*
 * winnow-manifest - build, split and convert winnow manifests.
 *
 *   winnow-manifest idx [--classes FILE] [--id-prefix P] IMAGES [LABELS]
 *   winnow-manifest dir DIR
 *   winnow-manifest split -f FRACTION [--seed S] [--stratify COLUMN]
 *                         [-o FIRST] [-r REST] [MANIFEST]
 *   winnow-manifest to-jsonl [--namespace NS] [--source-prefix LOCAL=URI]
 *                            [--strings] [-c CONFIG] [MANIFEST]
 *   winnow-manifest from-jsonl [--label-attribute ATTR] [--namespace NS]
 *                              [--source-prefix LOCAL=URI] [-c CONFIG] [JSONL]
 *
 * See winnow-manifest(1).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "atomic.h"
#include "gt.h"
#include "gtread.h"
#include "hash.h"
#include "idset.h"
#include "idx.h"
#include "imgdir.h"
#include "manifest.h"
#include "opt.h"
#include "prog.h"
#include "split.h"
#include "spool.h"

static struct {
	const char *classes;        /* idx: file of class names, one a line */
	const char *id_prefix;      /* idx: id prefix */
	double fraction;            /* split */
	unsigned long long seed;
	const char *stratify;       /* split: column */
	const char *out_first, *out_rest;
	const char *ns;             /* to-jsonl, from-jsonl: namespace key */
	const char *label_attr;     /* from-jsonl; NULL: found in the file */
	struct gt_prefix *prefix;   /* --source-prefix mappings */
	size_t nprefix;
	int strings;                /* to-jsonl: every value a string */
} opt = { .fraction = -1, .seed = 0, .ns = "winnow" };

/* The keys of the "manifest" config section, for all commands. */
static const char *const config_keys[] = {
	"fraction", "seed", "stratify", "output", "rest", "namespace",
	"source-prefix", "strings", "label-attribute", NULL
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-manifest idx [--classes FILE] [--id-prefix P] IMAGES [LABELS]\n"
	    "       winnow-manifest dir DIR\n"
	    "       winnow-manifest split -f FRACTION [--seed S] [--stratify COLUMN]\n"
	    "                             [-o FIRST] [-r REST] [-c CONFIG] [MANIFEST]\n"
	    "       winnow-manifest to-jsonl [--namespace NS] [--source-prefix LOCAL=URI]\n"
	    "                                [--strings] [-c CONFIG] [MANIFEST]\n"
	    "       winnow-manifest from-jsonl [--label-attribute ATTR] [--namespace NS]\n"
	    "                                  [--source-prefix LOCAL=URI] [-c CONFIG] [JSONL]\n");
}

static void
handle(int c, const char *arg)
{
	switch (c) {
	case 'C': opt.classes = arg; break;
	case 'I': opt.id_prefix = arg; break;
	case 'L': opt.label_attr = arg; break;
	case 'N': opt.ns = arg; break;
	case 'P': {
		struct gt_prefix p;
		char *copy = estrdup(arg);      /* p points into it */
		const char *why = gt_prefix_parse(&p, copy);

		if (why != NULL) {
			free(copy);
			opt_fail("\"%s\" %s", arg, why);
		}
		opt.prefix = ereallocarray(opt.prefix, opt.nprefix + 1, sizeof *opt.prefix);
		opt.prefix[opt.nprefix++] = p;
		break;
	}
	case 'S': opt.stratify = arg; break;
	case 'c': break;    /* the config file: read by opt_parse */
	case 'f': opt.fraction = opt_double(arg, 0, 1); break;
	case 'h': usage(stdout); exit(0);
	case 'o': opt.out_first = arg; break;
	case 'r': opt.out_rest = arg; break;
	case 's': opt.seed = opt_seed(arg); break;
	case 'T': opt.strings = 1; break;
	}
}

static const struct option idx_opts[] = {
	{ "classes", required_argument, 0, 'C' },
	{ "id-prefix", required_argument, 0, 'I' },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 }
};
static const struct option split_opts[] = {
	{ "config", required_argument, 0, 'c' },
	{ "fraction", required_argument, 0, 'f' },
	{ "help", no_argument, 0, 'h' },
	{ "output", required_argument, 0, 'o' },
	{ "rest", required_argument, 0, 'r' },
	{ "seed", required_argument, 0, 's' },
	{ "stratify", required_argument, 0, 'S' },
	{ 0, 0, 0, 0 }
};
static const struct option tojsonl_opts[] = {
	{ "config", required_argument, 0, 'c' },
	{ "help", no_argument, 0, 'h' },
	{ "namespace", required_argument, 0, 'N' },
	{ "source-prefix", required_argument, 0, 'P' },
	{ "strings", no_argument, 0, 'T' },
	{ 0, 0, 0, 0 }
};
static const struct option fromjsonl_opts[] = {
	{ "config", required_argument, 0, 'c' },
	{ "help", no_argument, 0, 'h' },
	{ "label-attribute", required_argument, 0, 'L' },
	{ "namespace", required_argument, 0, 'N' },
	{ "source-prefix", required_argument, 0, 'P' },
	{ 0, 0, 0, 0 }
};
static const struct option no_opts[] = {
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 }
};

static void
write_row(const char *const *fields, size_t n)
{
	struct wn_err err = { 0 };

	if (mf_write_fields(stdout, "<stdout>", fields, n, &err) != 0)
		die_err(&err);
}

/* ---- idx ---------------------------------------------------------------- */

static char *
default_prefix(const char *path)
{
	const char *base = strrchr(path, '/');
	char *p;
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, "-.");
	p = emalloc(n + 1);
	memcpy(p, base, n);
	p[n] = '\0';
	return p;
}

static int
cmd_idx(int argc, char **argv)
{
	struct idx images, labels = { 0 };
	struct wn_err err = { 0 };
	char **classes = NULL, *prefix;
	size_t nclasses = 0;
	int i = opt_parse(argc, argv, NULL, "h", idx_opts, handle, usage);

	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.classes && (classes = idx_class_names(opt.classes, &nclasses, &err)) == NULL)
		die_err(&err);
	if (idx_load(&images, argv[i], &err) != 0)
		die_err(&err);
	if (images.ndims < 2)
		die(WN_EDATA, "%s: IDX file of %d dimension; images need 2 or 3", argv[i], images.ndims);
	if (argc - i == 2) {
		if (idx_load(&labels, argv[i + 1], &err) != 0)
			die_err(&err);
		if (labels.ndims != 1)
			die(WN_EDATA, "%s: labels must be a 1-dimensional IDX file, this one has %d dimensions",
			    argv[i + 1], labels.ndims);
		if (labels.count != images.count)
			die(WN_EDATA, "%s has %zu images but %s has %zu labels", argv[i], images.count,
			    argv[i + 1], labels.count);
	}
	prefix = opt.id_prefix ? estrdup(opt.id_prefix) : default_prefix(argv[i]);
	if (mf_field_problem(prefix, strlen(prefix)))
		die(WN_EUSAGE, "--id-prefix: \"%s\" %s", prefix, mf_field_problem(prefix, strlen(prefix)));
	{
		const char *header[] = { "id", "path", "label" };
		size_t plen = strlen(argv[i]) + 32;
		char *id = emalloc(strlen(prefix) + 32), *path = emalloc(plen), num[32];

		write_row(header, 3);
		for (size_t k = 0; k < images.count; k++) {
			const char *row[3] = { id, path, "" };

			sprintf(id, "%s-%zu", prefix, k);
			snprintf(path, plen, "%s#%zu", argv[i], k);
			if (labels.data) {
				unsigned v = labels.data[k];
				if (classes) {
					if (v >= nclasses)
						die(WN_EDATA, "%s: label %u of item %zu has no name in %s (%zu classes)",
						    argv[i + 1], v, k, opt.classes, nclasses);
					row[2] = classes[v];
				} else {
					sprintf(num, "%u", v);
					row[2] = num;
				}
			}
			write_row(row, 3);
		}
		free(id);
		free(path);
	}
	free(prefix);
	for (size_t k = 0; k < nclasses; k++)
		free(classes[k]);
	free(classes);
	idx_free(&images);
	idx_free(&labels);
	return 0;
}

/* ---- dir ---------------------------------------------------------------- */

/* One image of the folder: its manifest row on stdout. */
static int
dir_row(void *ctx, const char *id, const char *path, const char *label, struct wn_err *err)
{
	const char *row[3] = { id, path, label };

	(void)ctx;
	return mf_write_fields(stdout, "<stdout>", row, 3, err);
}

static int
cmd_dir(int argc, char **argv)
{
	int i = opt_parse(argc, argv, NULL, "h", no_opts, handle, usage);
	const char *header[] = { "id", "path", "label" };
	struct wn_err err = { 0 };
	char *root;
	struct stat st;

	if (argc - i != 1) {
		usage(stderr);
		return WN_EUSAGE;
	}
	root = estrdup(argv[i]);
	for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
		root[n - 1] = '\0';
	if (stat(root, &st) != 0)
		die(WN_ENOINPUT, "%s: %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die(WN_ENOINPUT, "%s: not a folder", root);
	write_row(header, 3);
	if (imgdir_walk(root, dir_row, NULL, &err) != 0)
		die_err(&err);
	free(root);
	return 0;
}

/* ---- split -------------------------------------------------------------- */

static int
cmd_split(int argc, char **argv)
{
	int i = opt_parse(argc, argv, "manifest", "c:f:ho:r:s:", split_opts, handle, usage);
	const char *inpath = i < argc ? argv[i] : NULL, *name = input_name(inpath);
	struct wn_err err = { 0 };
	struct split split;
	struct spool sp;
	struct mf_reader *r;
	struct wn_out first, rest;
	FILE *in;
	int col = -1, rc;

	if (argc - i > 1) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.fraction < 0)
		die(WN_EUSAGE, "split: -f FRACTION is required (0 to 1: the share that goes to the first output)");
	in = efopen_input(inpath);
	if (spool_open(&sp, in, name, &err) != 0)
		die_err(&err);

	/* Pass 1: each row's hash, grouped by stratum; then the cuts. */
	if ((r = mf_open(sp.fp, name, MF_CHECK_DUPS, &err)) == NULL)
		die_err(&err);
	if (opt.stratify && (col = mf_col(r, opt.stratify)) < 0)
		die(WN_EDATA, "%s:1: no column \"%s\" to stratify by", name, opt.stratify);
	split_init(&split, opt.fraction, opt.seed);
	while ((rc = mf_next(r, &err)) > 0)
		if (split_add(&split, col >= 0 ? mf_field(r, (size_t)col) : "", mf_id(r), &err) != 0)
			die_err(&err);
	if (rc < 0)
		die_err(&err);
	mf_close(r);
	split_plan(&split);

	/* Pass 2: write the rows to their side, in input order. */
	if (spool_rewind(&sp, &err) != 0)
		die_err(&err);
	if ((r = mf_open(sp.fp, name, 0, &err)) == NULL)
		die_err(&err);
	if (wn_out_open(&first, opt.out_first ? opt.out_first : "-", &err) != 0)
		die_err(&err);
	if (opt.out_rest && wn_out_open(&rest, opt.out_rest, &err) != 0)
		die_err(&err);
	{
		struct mf_out plan;
		if (mf_out_init(&plan, r, NULL, 0, &err) != 0 ||
		    mf_out_header(&plan, first.fp, opt.out_first ? opt.out_first : "<stdout>", &err) != 0 ||
		    (opt.out_rest && mf_out_header(&plan, rest.fp, opt.out_rest, &err) != 0))
			die_err(&err);
		while ((rc = mf_next(r, &err)) > 0) {
			int to_first = split_first(&split, col >= 0 ? mf_field(r, (size_t)col) : "",
			                           mf_id(r), &err);

			if (to_first < 0)
				die_err(&err);
			if (to_first)
				rc = mf_out_row(&plan, r, NULL, first.fp, opt.out_first ? opt.out_first : "<stdout>", &err);
			else if (opt.out_rest)
				rc = mf_out_row(&plan, r, NULL, rest.fp, opt.out_rest, &err);
			else
				rc = 0;
			if (rc != 0)
				die_err(&err);
		}
		if (rc < 0)
			die_err(&err);
		mf_out_free(&plan);
	}
	mf_close(r);
	if (opt.out_rest && wn_out_commit(&rest, &err) != 0)
		die_err(&err);
	if (wn_out_commit(&first, &err) != 0)
		die_err(&err);
	spool_close(&sp);
	if (in != stdin)
		fclose(in);
	split_free(&split);
	return 0;
}

/* ---- to-jsonl / from-jsonl ----------------------------------------------- */

static int
cmd_to_jsonl(int argc, char **argv)
{
	int i = opt_parse(argc, argv, "manifest", "c:h", tojsonl_opts, handle, usage);
	const char *inpath = i < argc ? argv[i] : NULL, *name = input_name(inpath);
	struct wn_err err = { 0 };
	struct mf_reader *head, *r;     /* head: the plan's names live in it */
	struct mf_out plan;
	struct gt_wopts w = { 0 };
	struct spool sp;
	FILE *in;
	int rc;

	if (argc - i > 1) {
		usage(stderr);
		return WN_EUSAGE;
	}
	in = efopen_input(inpath);
	if (spool_open(&sp, in, name, &err) != 0)
		die_err(&err);
	if ((head = mf_open(sp.fp, name, 0, &err)) == NULL)
		die_err(&err);
	if (mf_col(head, "path") < 0)
		die(WN_EDATA, "%s:1: no \"path\" column: Ground Truth needs a \"source-ref\" for each row", name);
	if (mf_out_init(&plan, head, NULL, 0, &err) != 0)
		die_err(&err);
	/* pass 1: the JSON columns (and duplicate ids); pass 2: the lines */
	if (spool_rewind(&sp, &err) != 0)
		die_err(&err);
	{
		unsigned char *json;
		if ((r = mf_open(sp.fp, name, MF_CHECK_DUPS, &err)) == NULL ||
		    gt_json_columns(r, &plan, opt.strings, &json, &err) != 0)
			die_err(&err);
		mf_close(r);
		w.json = json;
	}
	w.prefix = opt.prefix;
	w.nprefix = opt.nprefix;
	if (spool_rewind(&sp, &err) != 0 || (r = mf_open(sp.fp, name, 0, &err)) == NULL)
		die_err(&err);
	while ((rc = mf_next(r, &err)) > 0)
		if (gt_write(stdout, "<stdout>", &plan, r, NULL, opt.ns, &w, &err) != 0)
			die_err(&err);
	if (rc < 0)
		die_err(&err);
	free((void *)w.json);
	mf_out_free(&plan);
	mf_close(r);
	mf_close(head);
	spool_close(&sp);
	if (in != stdin)
		fclose(in);
	return 0;
}

static int
cmd_from_jsonl(int argc, char **argv)
{
	int i = opt_parse(argc, argv, "manifest", "c:h", fromjsonl_opts, handle, usage);
	const char *inpath = i < argc ? argv[i] : NULL, *name = input_name(inpath);
	struct wn_err err = { 0 };
	const char *const *row;
	long long nfailed = 0, nrows = 0;
	struct spool sp;
	struct gtr *g;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long long lineno;
	FILE *in;

	if (argc - i > 1) {
		usage(stderr);
		return WN_EUSAGE;
	}
	in = efopen_input(inpath);
	if (spool_open(&sp, in, name, &err) != 0 ||
	    (g = gtr_new(name, opt.label_attr, opt.ns, &err)) == NULL)
		die_err(&err);
	gtr_set_prefix(g, opt.prefix, opt.nprefix);
	/* pass 1: the columns; pass 2: one TSV row per line */
	for (int pass = 1; pass <= 2; pass++) {
		if (pass == 2) {
			if (gtr_columns(g, &err) != 0 || spool_rewind(&sp, &err) != 0)
				die_err(&err);
			write_row(gtr_colnames(g), gtr_ncols(g));
		}
		for (lineno = 1; (len = getline(&line, &cap, sp.fp)) >= 0; lineno++) {
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = '\0';
			if (pass == 1 ? gtr_scan(g, line, (size_t)len, lineno, &err) != 0 :
			    gtr_row(g, line, (size_t)len, lineno, &row, &err) != 0)
				die_err(&err);
			if (pass == 1)
				continue;
			write_row(row, gtr_ncols(g));
			nrows++;
			/* a failed task is not an unlabeled row: say which */
			if (gtr_failure(g) != NULL && ++nfailed <= 10)
				warnx("%s:%lld: labeling task failed (%s): \"%s\" has no label",
				      name, lineno, gtr_failure(g), row[0]);
		}
		if (ferror(sp.fp))
			die(WN_EIO, "%s: read error: %s", name, strerror(errno));
	}
	if (nfailed > 0)
		warnx("%s: %lld of %lld labeling tasks failed; their rows have an empty "
		      "label and the reason in the failure-reason column", name, nfailed, nrows);
	gtr_free(g);
	free(line);
	spool_close(&sp);
	if (in != stdin)
		fclose(in);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{ "idx", cmd_idx }, { "dir", cmd_dir }, { "split", cmd_split },
		{ "to-jsonl", cmd_to_jsonl }, { "from-jsonl", cmd_from_jsonl },
	};
	int rc;

	prog_init("winnow-manifest");
	opt_config_siblings(config_keys);
	if (argc < 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		if (argv[1][2] == 'v')
			printf("winnow-manifest %s\n", WINNOW_VERSION);
		else
			usage(stdout);
		efshut(stdout, "<stdout>");
		return 0;
	}
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (strcmp(argv[1], cmds[k].name) == 0) {
			rc = cmds[k].run(argc - 1, argv + 1);
			if (rc == 0)
				efshut(stdout, "<stdout>");
			return rc;
		}
	fprintf(stderr, "winnow-manifest: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return WN_EUSAGE;
}
