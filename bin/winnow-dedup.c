/*
 * winnow-dedup - near-duplicate groups, nearest neighbours and local
 * density by cosine similarity of embeddings, on faiss.
 *
 *   winnow-dedup [OPTIONS] [-o FILE] EMB.npy [MANIFEST]
 *   winnow-dedup --shard I/N [OPTIONS] -o PARTIAL EMB.npy [MANIFEST]
 *   winnow-dedup merge [--score COL] [--keep RULE] [--seed S] [-o FILE]
 *                MANIFEST PARTIAL...
 *
 * Appends dup_group, dup_rank, nn_id, nn_sim and density; see
 * winnow-dedup(1).  The work is in lib/dedup.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "dedup.h"
#include "manifest.h"
#include "npy.h"
#include "opt.h"
#include "prog.h"
#include "spool.h"

static struct {
	struct dd_opts d;
	const char *out;
	const char *score;
	int keep;
	int nprobe, ef;
	const char *params;
	int drop;
	int shard_given;
	unsigned long long seed;
} opt = {
	.d = { .threshold = 0.987, .k = 10, .cand = 32, .kmeans_iter = 20, .threads = 1,
	       .shard = 0, .nshards = 1 },
};

enum {
	O_CAND = 256, O_CLUSTERS, O_DROP, O_EF, O_INDEX, O_ITER, O_KEEP, O_NPROBE, O_PARAMS,
	O_SCORE, O_SEED, O_SHARD, O_VERSION
};

static const struct option longopts[] = {
	{ "candidates", required_argument, 0, O_CAND },
	{ "clusters", required_argument, 0, O_CLUSTERS },
	{ "config", required_argument, 0, 'c' },
	{ "density-k", required_argument, 0, 'k' },
	{ "drop", no_argument, 0, O_DROP },
	{ "ef", required_argument, 0, O_EF },
	{ "help", no_argument, 0, 'h' },
	{ "index", required_argument, 0, O_INDEX },
	{ "keep", required_argument, 0, O_KEEP },
	{ "kmeans-iter", required_argument, 0, O_ITER },
	{ "nprobe", required_argument, 0, O_NPROBE },
	{ "output", required_argument, 0, 'o' },
	{ "params", required_argument, 0, O_PARAMS },
	{ "score", required_argument, 0, O_SCORE },
	{ "seed", required_argument, 0, O_SEED },
	{ "shard", required_argument, 0, O_SHARD },
	{ "jobs", required_argument, 0, 'j' },
	{ "threshold", required_argument, 0, 't' },
	{ "version", no_argument, 0, O_VERSION },
	{ 0, 0, 0, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-dedup [-t THRESHOLD] [-k K] [--index FACTORY] [--nprobe N]\n"
	    "                    [--ef N] [--params P] [--candidates N] [--clusters K]\n"
	    "                    [--kmeans-iter N] [--keep score|semdedup] [--score COLUMN]\n"
	    "                    [--seed S] [--drop] [-j N] [--shard I/N] [-o FILE]\n"
	    "                    [-c CONFIG] EMB.npy [MANIFEST]\n"
	    "       winnow-dedup merge [--score COLUMN] [--keep score|semdedup] [--seed S]\n"
	    "                    [--drop] [-o FILE] MANIFEST PARTIAL...\n");
}

static void
handle(int c, const char *arg)
{
	static const char *const keeps[] = { "score", "semdedup", NULL };

	switch (c) {
	case 'c': break;
	case 'h': usage(stdout); exit(0);
	case 'j': opt.d.threads = (int)opt_int(arg, 1, 256); break;
	case 'k': opt.d.k = (int)opt_int(arg, 1, 4096); break;
	case 'o': opt.out = arg; break;
	case 't': opt.d.threshold = opt_double(arg, -1, 1); break;
	case O_CAND: opt.d.cand = (int)opt_int(arg, 1, 4096); break;
	case O_CLUSTERS: opt.d.clusters = (int)opt_int(arg, 1, 1 << 24); break;
	case O_DROP: opt.drop = 1; break;
	case O_EF: opt.ef = (int)opt_int(arg, 1, 1 << 20); break;
	case O_INDEX: opt.d.index = arg; break;
	case O_ITER: opt.d.kmeans_iter = (int)opt_int(arg, 1, 10000); break;
	case O_KEEP: opt.keep = opt_choice(arg, keeps); break;
	case O_NPROBE: opt.nprobe = (int)opt_int(arg, 1, 1 << 24); break;
	case O_PARAMS: opt.params = arg; break;
	case O_SCORE: opt.score = arg; break;
	case O_SEED: opt.seed = opt_seed(arg); break;
	case O_SHARD: {
		int i, n, used = 0;
		if (sscanf(arg, "%d/%d%n", &i, &n, &used) != 2 || arg[used] || n < 1 || i < 0 ||
		    i >= n)
			opt_fail("\"%s\" is not I/N with 0 <= I < N", arg);
		opt.d.shard = i;
		opt.d.nshards = n;
		opt.shard_given = 1;
		break;
	}
	case O_VERSION: puts("winnow-dedup " WINNOW_VERSION); exit(0);
	}
}

/* The search parameters: --params, --nprobe, --ef in faiss's syntax. */
static char *
search_params(void)
{
	char buf[1024] = "";
	size_t l = 0;

	if (opt.params)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "%s", opt.params);
	if (opt.nprobe && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "%snprobe=%d", l ? "," : "",
		                      opt.nprobe);
	if (opt.ef && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "%sefSearch=%d", l ? "," : "",
		                      opt.ef);
	if (l >= sizeof buf)
		die(WN_EUSAGE, "search parameters longer than %zu bytes", sizeof buf - 1);
	return l ? estrdup(buf) : NULL;
}

/* Read the manifest's rows (and embeddings when emb is not NULL) into P,
 * leaving the manifest spooled in sp for the second pass. */
static void
load_pool(struct dd_pool *P, const struct npy *emb, const char *mpath, struct spool *sp,
          FILE **in)
{
	struct wn_err err = { 0 };
	const char *mname = input_name(mpath);

	*in = efopen_input(mpath);
	if (spool_open(sp, *in, mname, &err) != 0)
		die_err(&err);
	struct mf_reader *r = mf_open(sp->fp, mname, MF_CHECK_DUPS, &err);
	if (!r || dd_pool_load(P, emb, r, opt.score, opt.seed, &err) != 0)
		die_err(&err);
	mf_close(r);
}

/* Second pass over the manifest: every row with the dedup columns. */
static void
write_output(const struct dd_pool *P, struct dd_result *R, struct spool *sp,
             const char *mname)
{
	static const char *const set[] = { "dup_group", "dup_rank", "nn_id", "nn_sim",
	                                   "density" };
	struct wn_err err = { 0 };
	const char *outname = opt.out ? opt.out : "<stdout>";
	struct mf_reader *r;
	struct mf_out plan;
	struct wn_out out;
	size_t n = P->n;
	int64_t *kept = ereallocarray(NULL, n, sizeof *kept);
	size_t *rank = ereallocarray(NULL, n, sizeof *rank);
	int rc;

	if (dd_groups(P, R, opt.keep ? DD_KEEP_SEMDEDUP : DD_KEEP_SCORE, kept, rank, NULL,
	              &err) != 0)
		die_err(&err);
	if (spool_rewind(sp, &err) != 0 || !(r = mf_open(sp->fp, mname, 0, &err)) ||
	    wn_out_open(&out, opt.out ? opt.out : "-", &err) != 0 ||
	    mf_out_init(&plan, r, set, 5, &err) != 0 ||
	    mf_out_header(&plan, out.fp, outname, &err) != 0)
		die_err(&err);
	size_t i = 0;
	while ((rc = mf_next(r, &err)) > 0) {
		char rbuf[32], sbuf[32], dbuf[32];
		if (i >= n)
			die(WN_EIO, "%s: the manifest changed while it was read", mname);
		size_t p = P->pos[i++];
		if (opt.drop && rank[p] != 0)
			continue;
		snprintf(rbuf, sizeof rbuf, "%zu", rank[p]);
		sbuf[0] = dbuf[0] = '\0';
		if (!isnan(R->nn_sim[p]))
			snprintf(sbuf, sizeof sbuf, "%.9g", R->nn_sim[p]);
		if (!isnan(R->density[p]))
			snprintf(dbuf, sizeof dbuf, "%.9g", R->density[p]);
		const char *vals[5] = { P->id[kept[p]], rbuf, R->nn[p] >= 0 ? P->id[R->nn[p]] : "",
		                        sbuf, dbuf };
		if (mf_out_row(&plan, r, vals, out.fp, outname, &err) != 0)
			die_err(&err);
	}
	if (rc < 0)
		die_err(&err);
	if (i != n)
		die(WN_EIO, "%s: the manifest changed while it was read", mname);
	if (wn_out_commit(&out, &err) != 0)
		die_err(&err);
	mf_out_free(&plan);
	mf_close(r);
	free(kept);
	free(rank);
}

static int
cmd_merge(int argc, char **argv, int i)
{
	struct wn_err err = { 0 };
	struct dd_pool P;
	struct dd_result R;
	struct spool sp;
	FILE *in;
	char *run = NULL;

	if (argc - i < 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.shard_given || opt.d.index || opt.d.clusters)
		die(WN_EUSAGE, "merge takes the keep options only (--score, --keep, --seed, "
		    "--drop): the search options belong to the shards");
	const char *mpath = argv[i], *mname = input_name(mpath);
	if (strcmp(mpath, "-") == 0)
		die(WN_EUSAGE, "merge: the manifest must be a file");
	load_pool(&P, NULL, mpath, &sp, &in);
	if (dd_result_init(&R, P.n, opt.keep != 0, &err) != 0)
		die_err(&err);
	for (int a = i + 1; a < argc; a++) {
		FILE *fp = efopen_input(argv[a]);
		struct mf_reader *r = mf_open(fp, input_name(argv[a]), MF_CHECK_DUPS, &err);
		if (!r || dd_partial_read(r, &P, &R, &run, &err) != 0)
			die_err(&err);
		mf_close(r);
		if (fp != stdin)
			fclose(fp);
	}
	if (dd_partial_check(&P, &R, mname, &err) != 0)
		die_err(&err);
	write_output(&P, &R, &sp, mname);
	free(run);
	spool_close(&sp);
	if (in != stdin)
		fclose(in);
	dd_result_free(&R);
	dd_pool_free(&P);
	return 0;
}

int
main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct dd_pool P;
	struct dd_result R;
	struct npy emb;
	struct spool sp;
	FILE *in;

	prog_init("winnow-dedup");
	int i = opt_parse(argc, argv, "dedup", "c:hj:k:o:t:", longopts, handle, usage);
	/* getopt_long permutes: the options after the word merge are parsed too */
	if (i < argc && strcmp(argv[i], "merge") == 0)
		return cmd_merge(argc, argv, i + 1);
	if (argc - i < 1 || argc - i > 2) {
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.keep && !opt.d.clusters)
		die(WN_EUSAGE, "--keep semdedup needs --clusters K (the rows farthest from "
		    "their k-means centroid are kept)");
	if ((opt.nprobe || opt.ef || opt.params) && !opt.d.index)
		die(WN_EUSAGE, "--nprobe, --ef and --params apply to an approximate --index");
	if (opt.d.index && opt.d.clusters)
		die(WN_EUSAGE, "--clusters searches each cluster exactly: no --index with it");
	if (opt.shard_given && opt.drop)
		die(WN_EUSAGE, "--drop applies to the merged output, not to a --shard");
	opt.d.params = search_params();
	const char *npath = argv[i], *mpath = i + 1 < argc ? argv[i + 1] : NULL;
	if (npy_open(&emb, npath, &err) != 0)
		die_err(&err);
	load_pool(&P, &emb, mpath, &sp, &in);
	/* The unit rows are a copy: unmap the file now, not at exit, so its
	 * pages (4 bytes a feature a row) are not counted twice while faiss
	 * works (measured: 8.3 of 10.8 kB a row at d = 1,024 before). */
	npy_close(&emb);
	if (dd_result_init(&R, P.n, opt.d.clusters > 0, &err) != 0 ||
	    dd_search(&P, &opt.d, &R, &err) != 0)
		die_err(&err);
	if (opt.shard_given) {
		struct wn_out out;
		if (wn_out_open(&out, opt.out ? opt.out : "-", &err) != 0 ||
		    dd_partial_write(out.fp, opt.out ? opt.out : "<stdout>", &P, &R, &opt.d,
		                     &err) != 0 ||
		    wn_out_commit(&out, &err) != 0)
			die_err(&err);
	} else {
		write_output(&P, &R, &sp, input_name(mpath));
	}
	spool_close(&sp);
	if (in != stdin)
		fclose(in);
	dd_result_free(&R);
	dd_pool_free(&P);
	free((char *)opt.d.params);
	if (!opt.out)
		efshut(stdout, "<stdout>");
	return 0;
}
