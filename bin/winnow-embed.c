/*
 * winnow-embed - images to embeddings, without pretrained weights.
 *
 *   winnow-embed [-m METHOD] [options] -o EMB.npy [MANIFEST]
 *   winnow-embed learn [options] -o DICT [MANIFEST]
 *
 * The manifest is read in rounds of -j batches of --batch rows; the -j
 * threads decode and resize the round's images, taking them one at a
 * time, then embed a batch each, and the main thread writes the round's
 * rows in input order, so the output does not depend on -j.  See
 * winnow-embed(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "atomic.h"
#include "embed.h"
#include "fmt.h"
#include "hash.h"
#include "img.h"
#include "manifest.h"
#include "npy.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"
#include "resume.h"
#include "threads.h"

static struct {
	int method;
	int W, H, C;
	int dim;                /* random */
	const char *dict;       /* kmeans */
	unsigned long long seed;
	const char *out;
	int jobs;
	int batch;
	int skip;               /* --on-error skip */
	int resume;
	int progress;
	int stats;
	int verbose;            /* -v: a summary line at the end */
	long long max_pixels;
	/* learn */
	int k, patch, iters;
	long long patches;
} opt = {
	.method = EMB_PIXELS, .W = 28, .H = 28, .C = 1, .dim = 2048, .seed = 1,
	.batch = 256, .max_pixels = IMG_MAX_PIXELS, .k = 400, .patch = 6,
	.iters = 10, .patches = 100000,
};

static const char *const methods[] = { "pixels", "random", "kmeans", NULL };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: winnow-embed [-m pixels|random|kmeans] [-s WxH] [--channels 1|3]\n"
	    "                    [-d DIM] [--dict DICT] [--seed S] [-j N] [--batch N]\n"
	    "                    [--on-error fail|skip] [--resume] [--progress] [--stats]\n"
	    "                    [--max-pixels N] [-c CONFIG] -o EMB.npy [MANIFEST]\n"
	    "       winnow-embed learn [-k K] [--patch P] [--patches N] [--iters N]\n"
	    "                    [-s WxH] [--channels 1|3] [--seed S] [-j N]\n"
	    "                    [--on-error fail|skip] [--progress] [--max-pixels N]\n"
	    "                    [-c CONFIG] -o DICT [MANIFEST]\n");
}

static void
handle(int c, const char *arg)
{
	static const char *const onerr[] = { "fail", "skip", NULL };
	char *end;
	long w, h;

	switch (c) {
	case 'A': opt.stats = 1; break;
	case 'v': opt.verbose = 1; break;
	case 'B': opt.batch = (int)opt_int(arg, 1, 1 << 16); break;
	case 'C': opt.C = (int)opt_int(arg, 1, 3);
		if (opt.C == 2)
			opt_fail("channels must be 1 or 3");
		break;
	case 'D': opt.dict = arg; break;
	case 'E': opt.skip = opt_choice(arg, onerr); break;
	case 'I': opt.iters = (int)opt_int(arg, 1, 1000); break;
	case 'M': opt.max_pixels = opt_int(arg, 1, 1LL << 40); break;
	case 'N': opt.patches = opt_int(arg, 1, 100000000); break;
	case 'P': opt.progress = 1; break;
	case 'Q': opt.patch = (int)opt_int(arg, 1, 64); break;
	case 'R': opt.resume = 1; break;
	case 'S': opt.seed = opt_seed(arg); break;
	case 'c': break;
	case 'd': opt.dim = (int)opt_int(arg, 1, 1 << 20); break;
	case 'h': usage(stdout); exit(0);
	case 'j': opt.jobs = (int)opt_int(arg, 1, 1024); break;
	case 'k': opt.k = (int)opt_int(arg, 1, 1 << 16); break;
	case 'm': opt.method = opt_choice(arg, methods); break;
	case 'o': opt.out = arg; break;
	case 's':
		errno = 0;
		w = strtol(arg, &end, 10);
		if (errno || end == arg || (*end != 'x' && *end != 'X'))
			opt_fail("\"%s\" is not WxH (e.g. 28x28)", arg);
		h = strtol(end + 1, &end, 10);
		if (errno || *end || w < 1 || h < 1 || w > 4096 || h > 4096)
			opt_fail("\"%s\" is not WxH with sides from 1 to 4096", arg);
		opt.W = (int)w;
		opt.H = (int)h;
		break;
	}
}

/*
 * Each command takes only the options it uses (one that does nothing is
 * refused, not ignored): --dict, -d, -m, --batch, --resume and --stats
 * are embed's, -k, --iters, --patch and --patches learn's.  Both read the
 * "embed" config section, each skipping the other's keys.
 */
static const struct option longopts[] = {
	{ "batch", required_argument, 0, 'B' },
	{ "channels", required_argument, 0, 'C' },
	{ "config", required_argument, 0, 'c' },
	{ "dict", required_argument, 0, 'D' },
	{ "dim", required_argument, 0, 'd' },
	{ "help", no_argument, 0, 'h' },
	{ "jobs", required_argument, 0, 'j' },
	{ "max-pixels", required_argument, 0, 'M' },
	{ "method", required_argument, 0, 'm' },
	{ "on-error", required_argument, 0, 'E' },
	{ "output", required_argument, 0, 'o' },
	{ "progress", no_argument, 0, 'P' },
	{ "resume", no_argument, 0, 'R' },
	{ "seed", required_argument, 0, 'S' },
	{ "size", required_argument, 0, 's' },
	{ "stats", no_argument, 0, 'A' },
	{ "verbose", no_argument, 0, 'v' },
	{ 0, 0, 0, 0 }
};
static const struct option learn_longopts[] = {
	{ "centroids", required_argument, 0, 'k' },
	{ "channels", required_argument, 0, 'C' },
	{ "config", required_argument, 0, 'c' },
	{ "help", no_argument, 0, 'h' },
	{ "iters", required_argument, 0, 'I' },
	{ "jobs", required_argument, 0, 'j' },
	{ "max-pixels", required_argument, 0, 'M' },
	{ "on-error", required_argument, 0, 'E' },
	{ "output", required_argument, 0, 'o' },
	{ "patch", required_argument, 0, 'Q' },
	{ "patches", required_argument, 0, 'N' },
	{ "progress", no_argument, 0, 'P' },
	{ "seed", required_argument, 0, 'S' },
	{ "size", required_argument, 0, 's' },
	{ "verbose", no_argument, 0, 'v' },
	{ 0, 0, 0, 0 }
};
/* Every key of the "embed" config section, for both commands. */
static const char *const config_keys[] = {
	"batch", "centroids", "channels", "dict", "dim", "iters", "jobs", "max-pixels",
	"method", "on-error", "output", "patch", "patches", "progress", "resume", "seed",
	"size", "stats", "verbose", NULL
};

/* ---- batches ---- */

struct batch {
	struct mf_rows rows;    /* the manifest rows, copied */
	long long first;        /* input index of row 0 */
	int *ok;                /* decoded */
	struct wn_err *err;     /* per row, when !ok */
	size_t nok;
	float *px;              /* nok images, in_dim each */
	float *out;             /* nok embeddings */
};

struct ctx {
	const struct emb *e;
	struct img_cache *cache;
	size_t ncols;
	int pathcol;
};

static void
batch_init(struct batch *b, const struct emb *e, size_t ncols)
{
	size_t B = (size_t)opt.batch;

	memset(b, 0, sizeof *b);
	b->rows.ncols = ncols;
	b->ok = ereallocarray(NULL, B, sizeof *b->ok);
	b->err = ereallocarray(NULL, B, sizeof *b->err);
	b->px = ereallocarray(NULL, B * e->in_dim, sizeof(float));
	if (e->method != EMB_PIXELS)
		b->out = ereallocarray(NULL, B * e->out_dim, sizeof(float));
}

static void
batch_free(struct batch *b)
{
	mf_rows_free(&b->rows);
	free(b->ok);
	free(b->err);
	free(b->px);
	free(b->out);
}

/* A round: -j batches read from the manifest, decoded and embedded by
 * the threads, written by the main thread.  Its images are handed out
 * one at a time: a thread that draws small images does not wait at the
 * end of the round for one that drew large ones (a batch a thread, the
 * threads' idle time at -j 2 was 0.71-0.81 s of a 6 s run of 200,000
 * images, 0.37-0.43 s this way).  There are two: while the threads
 * decode one, the main thread writes the one before into the same
 * buffers it then reads the next one into (see cmd_embed). */
struct round {
	struct batch *bs;       /* nw batches */
	struct worker *wk;      /* nw workers, worker t embedding bs[t] */
	size_t nw;
	size_t nb;              /* batches read this round */
	size_t n;               /* images this round: all batches but the last are full */
	atomic_size_t next;     /* the next image to take */
	long long nin_end;      /* input rows read up to the end of this round */
	uint64_t idhash;        /* the hash of their ids: the sidecar's, at the round's end */
};

struct worker {
	const struct ctx *cx;
	struct round *rd;
	struct batch *b;        /* the batch this thread embeds */
	struct emb_ws *ws;
	struct img_scratch scratch;     /* img_resize's memory, this share's */
};

/* Decode and resize the round's images, one at a time as the threads
 * come for them, each into its batch's row of px (a worker thread). */
static void *
work_decode(void *arg)
{
	struct worker *w = arg;
	struct round *rd = w->rd;
	const struct emb *e = w->cx->e;
	size_t B = (size_t)opt.batch;
	struct img im;

	for (size_t i; (i = atomic_fetch_add(&rd->next, 1)) < rd->n;) {
		struct batch *b = &rd->bs[i / B];
		size_t row = i % B;
		const char *path = mf_rows_field(&b->rows, row, (size_t)w->cx->pathcol);
		b->ok[row] = 0;
		if (*path == '\0') {
			wn_seterr(&b->err[row], WN_EDATA, "empty path");
			continue;
		}
		if (img_load(&im, path, (size_t)opt.max_pixels, w->cx->cache, &b->err[row]) != 0)
			continue;
		if (img_resize(&im, e->W, e->H, e->C, b->px + row * e->in_dim, &w->scratch,
		               &b->err[row]) == 0)
			b->ok[row] = 1;
		img_free(&im);
	}
	return NULL;
}

/* The decoded images of a batch moved down over the failed ones, in
 * input order: px holds nok rows. */
static void
batch_compact(struct batch *b, size_t in_dim)
{
	b->nok = 0;
	for (size_t row = 0; row < b->rows.n; row++)
		if (b->ok[row]) {
			if (b->nok != row)
				memmove(b->px + b->nok * in_dim, b->px + row * in_dim,
				        in_dim * sizeof *b->px);
			b->nok++;
		}
}

/* Embed one batch's decoded images (a worker thread). */
static void *
work_encode(void *arg)
{
	struct worker *w = arg;
	struct batch *b = w->b;

	if (b->nok > 0)
		emb_encode(w->cx->e, w->ws, b->px, b->nok, b->out);
	return NULL;
}

/* The threads that decode and embed the rounds, made once for the run
 * (threads.h); NULL before and after. */
static struct wn_pool *pool;

/* A round of nw batches, each with its worker and embedding workspace. */
static void
round_init(struct round *rd, size_t nw, const struct ctx *cx)
{
	*rd = (struct round){ .nw = nw };
	rd->bs = ecalloc(nw, sizeof *rd->bs);
	rd->wk = ecalloc(nw, sizeof *rd->wk);
	for (size_t w = 0; w < nw; w++) {
		batch_init(&rd->bs[w], cx->e, cx->ncols);
		rd->wk[w].cx = cx;
		rd->wk[w].rd = rd;
		rd->wk[w].b = &rd->bs[w];
		rd->wk[w].scratch.stream = nw > 1;      /* rows read next on another core */
		if (!(rd->wk[w].ws = emb_ws_new(cx->e, (size_t)opt.batch)))
			die(WN_ESOFTWARE, "out of memory");
	}
}

static void
round_free(struct round *rd)
{
	for (size_t w = 0; w < rd->nw; w++) {
		batch_free(&rd->bs[w]);
		emb_ws_free(rd->wk[w].ws);
		img_scratch_free(&rd->wk[w].scratch);
	}
	free(rd->wk);
	free(rd->bs);
}

/* Start decoding the round's images on nw threads; the calling thread is
 * free until finish_decoding, where it decodes too. */
static void
start_decoding(struct round *rd)
{
	atomic_store(&rd->next, 0);
	wn_pool_start(pool, (int)rd->nw, work_decode, rd->wk, sizeof *rd->wk);
}

/* The calling thread decodes what is left of the round with the others,
 * and waits for them.  Also the hook of die(): exiting while the threads
 * decode would tear their work down under them. */
static void
finish_decoding(void)
{
	wn_pool_finish(pool);
}

/* The decoded round's batches compacted and embedded, a batch a thread. */
static void
embed_round(struct round *rd, const struct emb *e)
{
	for (size_t bi = 0; bi < rd->nb; bi++)
		batch_compact(&rd->bs[bi], (size_t)e->in_dim);
	if (e->method != EMB_PIXELS) {
		wn_pool_start(pool, (int)rd->nb, work_encode, rd->wk, sizeof *rd->wk);
		wn_pool_finish(pool);
	}
}

static int
default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* An image that failed: exit 65 (or the error's own code if it is not
 * about the data), or with --on-error skip a warning. */
static void
image_failed(const char *mfname, long long lineno, const struct wn_err *err,
             long long *skipped)
{
	int code = err->code == WN_ENOINPUT || err->code == WN_EDATA ||
	           err->code == WN_EIO ? WN_EDATA : err->code;

	if (!opt.skip || code != WN_EDATA)
		die(code, "%s:%lld: %s", mfname, lineno, err->msg);
	warnx("%s:%lld: %s (skipped)", mfname, lineno, err->msg);
	(*skipped)++;
}

/* ---- output and --resume (lib/resume.h) ---- */

/* End of a round: the sidecar's "done" line, then for tests a crash like
 * a kill after WINNOW_EMBED_CRASH_AFTER rounds. */
static void
end_round(struct rs_sink *s, long long in, long long skipped, uint64_t idhash)
{
	struct wn_err err = { 0 };
	static long long rounds;
	const char *crash = getenv("WINNOW_EMBED_CRASH_AFTER");

	if (rs_round(s, in, skipped, idhash, &err) != 0)
		die_err(&err);
	if (opt.resume && crash && ++rounds >= atoll(crash))
		raise(SIGKILL);
}

/* After a run without --resume: the stale files of an interrupted
 * --resume run go (rs_remove_stale), and the user is told. */
static void
remove_stale(void)
{
	int gone = rs_remove_stale(opt.out);

	if (gone)
		warnx("removed %s%s%s%s%s, left by an interrupted --resume run (this run "
		      "did not resume)", gone & RS_STALE_PART ? opt.out : "",
		      gone & RS_STALE_PART ? ".part" : "", gone == 3 ? " and " : "",
		      gone & RS_STALE_SIDE ? opt.out : "", gone & RS_STALE_SIDE ? ".resume" : "");
}

/* Read the next round from r: up to nw whole batches (fewer at the end,
 * *eof set), adding their ids to the running hash and their count to
 * *nin. */
static void
read_round(struct round *rd, struct mf_reader *r, XXH64_state_t *ids, long long *nin,
           int *eof)
{
	struct wn_err err = { 0 };

	rd->nb = 0;
	while (rd->nb < rd->nw && !*eof) {
		struct batch *b = &rd->bs[rd->nb];
		mf_rows_clear(&b->rows);
		b->first = *nin;
		while (b->rows.n < (size_t)opt.batch) {
			int rc = mf_next(r, &err);
			if (rc < 0)
				die_err(&err);
			if (rc == 0) {
				*eof = 1;
				break;
			}
			XXH64_update(ids, mf_id(r), strlen(mf_id(r)) + 1);
			if (mf_rows_add(&b->rows, r, &err) != 0)
				die_err(&err);
			(*nin)++;
		}
		if (b->rows.n == 0)
			break;
		rd->nb++;
	}
	rd->n = rd->nb ? (rd->nb - 1) * (size_t)opt.batch + rd->bs[rd->nb - 1].rows.n : 0;
	rd->nin_end = *nin;
	rd->idhash = XXH64_digest(ids);
}

/* Where a round's rows go: the manifest on stdout, the embeddings to the
 * sink, the failed images warned about (or fatal), the progress line. */
struct writer {
	const char *mfname;
	struct rs_sink *sink;
	struct mf_out *mo;
	const char **fields;    /* mo->nout */
	int pixels;             /* -m pixels: the decoded rows are the output */
	struct progress *pg;
	long long *skipped;
};

/* Write a decoded, embedded round in input order, then its sidecar line. */
static void
write_round(struct writer *wr, const struct round *rd)
{
	struct wn_err err = { 0 };

	for (size_t bi = 0; bi < rd->nb; bi++) {
		const struct batch *b = &rd->bs[bi];
		size_t k = 0;
		for (size_t row = 0; row < b->rows.n; row++) {
			char rowbuf[WN_LLD_MAX];
			if (!b->ok[row]) {
				image_failed(wr->mfname, b->rows.lineno[row], &b->err[row],
				             wr->skipped);
				rs_skip(wr->sink, b->first + (long long)row, &err);
				continue;
			}
			wn_fmt_lld(rowbuf, wr->sink->rows + (long long)k);
			for (size_t c = 0; c < wr->mo->nout; c++)
				wr->fields[c] = wr->mo->src[c] >= 0 ?
				    mf_rows_field(&b->rows, row, (size_t)wr->mo->src[c]) : rowbuf;
			if (mf_write_fields(stdout, "<stdout>", wr->fields, wr->mo->nout, &err) != 0)
				die_err(&err);
			k++;
		}
		if (rs_rows(wr->sink, wr->pixels ? b->px : b->out, b->nok, &err) != 0)
			die_err(&err);
	}
	end_round(wr->sink, rd->nin_end, *wr->skipped, rd->idhash);
	progress_update(wr->pg, rd->nin_end);
}

/* ---- embedding ---- */

static int
cmd_embed(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct emb_dict dict = { 0 };
	struct emb e;
	struct ctx cx;
	struct rs_sink sink;
	struct mf_reader *r;
	struct mf_out mo;
	struct progress pg;
	const char *set[] = { "row" };
	const char *mfname;
	FILE *in;
	int i = opt_parse(argc, argv, "embed", "hc:d:j:m:o:s:v", longopts, handle, usage);
	long long nin = 0, skipped = 0, resumed_skip = 0;
	size_t nw, sk = 0;
	XXH64_state_t *ids;

	if (argc - i > 1 || !opt.out || (opt.method == EMB_KMEANS) != (opt.dict != NULL)) {
		if (argc - i > 1)
			fprintf(stderr, "%s: one manifest at most\n", progname);
		else if (!opt.out)
			fprintf(stderr, "%s: -o EMB.npy is required\n", progname);
		else
			fprintf(stderr, "%s: --dict goes with -m kmeans, and -m kmeans needs it\n",
			        progname);
		usage(stderr);
		return WN_EUSAGE;
	}
	if (strcmp(opt.out, "-") == 0)
		die(WN_EUSAGE, "-o: the embeddings need a file, not stdout");
	if (opt.method == EMB_KMEANS && emb_dict_load(&dict, opt.dict, &err) != 0)
		die_err(&err);
	if (emb_init(&e, opt.method, opt.W, opt.H, opt.C, opt.dim, opt.seed,
	             opt.method == EMB_KMEANS ? &dict : NULL, &err) != 0)
		die(err.code, "%s%s%s", opt.dict ? opt.dict : "", opt.dict ? ": " : "", err.msg);
	in = efopen_input(i < argc ? argv[i] : NULL);
	mfname = input_name(i < argc ? argv[i] : NULL);
	/* the total of the progress line: the rows of a manifest file (a
	 * pipe has none), counted before the reader buffers any of it */
	long long nlines = opt.progress || isatty(STDERR_FILENO) ?
	    progress_count_lines(fileno(in)) : -1;
	if (!(r = mf_open(in, mfname, MF_CHECK_DUPS, &err)))
		die_err(&err);
	cx.e = &e;
	cx.ncols = mf_ncols(r);
	cx.pathcol = mf_col(r, "path");
	if (cx.pathcol < 0)
		die(WN_EDATA, "%s:1: no \"path\" column", mfname);
	if (!(cx.cache = img_cache_new()))
		die(WN_ESOFTWARE, "out of memory");
	if (mf_out_init(&mo, r, set, 1, &err) != 0 ||
	    mf_out_header(&mo, stdout, "<stdout>", &err) != 0)
		die_err(&err);
	if (rs_open(&sink, opt.out, (size_t)e.out_dim,
	            emb_config_hash(&e, opt.seed, opt.batch, opt.max_pixels), opt.resume,
	            &err) != 0)
		die_err(&err);

	nw = (size_t)(opt.jobs ? opt.jobs : default_jobs());
	const char **fields = ereallocarray(NULL, mo.nout, sizeof *fields);
	struct round rds[2];
	round_init(&rds[0], nw, &cx);
	round_init(&rds[1], nw, &cx);
	if (!(pool = wn_pool_new((int)nw)))
		die(WN_ESOFTWARE, "out of memory");
	ids = XXH64_createState();
	XXH64_reset(ids, 0);
	progress_init(&pg, "embed", nlines > 1 ? nlines - 1 : 0, opt.progress);

	/* --resume: the rows done before, without decoding */
	while (nin < sink.done_in) {
		char rowbuf[WN_LLD_MAX];
		int rc = mf_next(r, &err);
		if (rc < 0)
			die_err(&err);
		if (rc == 0)
			die(WN_EDATA, "%s: has %lld rows, fewer than the %lld the "
			    "interrupted run had done (%s)", mfname, nin, sink.done_in, sink.side);
		XXH64_update(ids, mf_id(r), strlen(mf_id(r)) + 1);
		if (sk < sink.nskips && sink.skips[sk] == nin) {
			sk++;
			resumed_skip++;
		} else {
			wn_fmt_lld(rowbuf, nin - resumed_skip);
			const char *v[] = { rowbuf };
			if (mf_out_row(&mo, r, v, stdout, "<stdout>", &err) != 0)
				die_err(&err);
		}
		nin++;
	}
	if (nin > 0 && XXH64_digest(ids) != sink.done_hash)
		die(WN_EDATA, "%s: the first %lld ids differ from those of the "
		    "interrupted run (%s); remove %s and %s to start over", mfname,
		    nin, sink.side, sink.part, sink.side);
	skipped = resumed_skip;
	if (skipped != sink.done_skip || nin - skipped != sink.done_out)
		die(WN_EDATA, "%s: inconsistent; remove %s and %s to start over",
		    sink.side, sink.part, sink.side);
	/* the rate and ETA count only the rows this run embeds */
	pg.base = nin;
	pg.t0 = wn_now();

	/*
	 * Two rounds in turn: while the threads decode one, the main thread
	 * writes the round before and reads the next into its buffers, then
	 * decodes with them.  At -j 2 the reading and writing between rounds
	 * had left a thread idle for a tenth of the run (wall 76% of the bare
	 * decode loop's rate, CPU 84%).  The output is written in input order
	 * as before, whatever the threads' timing.
	 */
	struct writer wr = { mfname, &sink, &mo, fields, e.method == EMB_PIXELS, &pg, &skipped };
	struct round *cur = &rds[0], *other = &rds[1];
	int eof = 0;
	prog_at_die(finish_decoding);
	read_round(cur, r, ids, &nin, &eof);
	while (cur->nb > 0) {
		start_decoding(cur);
		if (other->nb > 0)
			write_round(&wr, other);
		read_round(other, r, ids, &nin, &eof);
		finish_decoding();
		embed_round(cur, &e);
		struct round *t = cur;
		cur = other;
		other = t;
	}
	if (other->nb > 0)
		write_round(&wr, other);
	prog_at_die(NULL);
	progress_done(&pg, nin);
	if (rs_commit(&sink, &err) != 0)
		die_err(&err);
	if (!opt.resume)
		remove_stale();
	if (skipped)
		warnx("skipped %lld of %lld images", skipped, nin);
	if (opt.verbose)
		warnx("%lld image%s embedded, %zu features each, in %.2f s", nin - skipped,
		      WN_S(nin - skipped), (size_t)e.out_dim, wn_now() - pg.t0);
	if (opt.stats && e.method != EMB_PIXELS) {
		double flop = 0, sec = 0;
		for (int ri = 0; ri < 2; ri++)
			for (size_t w = 0; w < nw; w++) {
				double f, s;
				emb_ws_gemm(rds[ri].wk[w].ws, &f, &s);
				flop += f;
				sec += s;
			}
		/* thread CPU time summed: the rate is per thread */
		fprintf(stderr, "%s: stats: %s GEMM %.4g GFLOP in %.3f "
		        "thread CPU seconds: %.2f GFLOP/s per thread\n", progname,
		        e.method == EMB_KMEANS ? "kmeans distance" : "random projection",
		        flop * 1e-9, sec, sec > 0 ? flop * 1e-9 / sec : 0);
	}
	wn_pool_free(pool);
	pool = NULL;
	round_free(&rds[0]);
	round_free(&rds[1]);
	XXH64_freeState(ids);
	free(fields);
	mf_out_free(&mo);
	mf_close(r);
	if (in != stdin)
		fclose(in);
	img_cache_free(cx.cache);
	emb_free(&e);
	emb_dict_free(&dict);
	return 0;
}

/* ---- learning a dictionary ---- */

struct lrow {
	uint64_t key;           /* hash of the id: sorting and patch positions */
	char *id, *path;
	long long lineno;
};

struct ljob {
	struct lrow *rows;
	size_t from, to;
	size_t ppi;             /* patches per image */
	float *patches;         /* ppi * dim per image, in row order */
	int *ok;
	struct wn_err *err;
	struct img_cache *cache;
	atomic_llong *done;     /* images done by every job: the progress line */
	struct progress *pg;    /* job 0 only (the calling thread): shows done */
};

static int
lrow_cmp(const void *a, const void *b)
{
	const struct lrow *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void *
learn_work(void *arg)
{
	struct ljob *j = arg;
	int D = opt.patch * opt.patch * opt.C;
	float *px = ereallocarray(NULL, (size_t)opt.W * opt.H * opt.C, sizeof(float));
	struct img_scratch scratch = { 0 };
	struct img im;

	for (size_t i = j->from; i < j->to; i++) {
		struct lrow *r = &j->rows[i];
		j->ok[i] = 0;
		if (*r->path == '\0') {
			wn_seterr(&j->err[i], WN_EDATA, "empty path");
			continue;
		}
		if (img_load(&im, r->path, (size_t)opt.max_pixels, j->cache, &j->err[i]) != 0)
			continue;
		if (img_resize(&im, opt.W, opt.H, opt.C, px, &scratch, &j->err[i]) == 0) {
			emb_sample_patches(px, opt.W, opt.H, opt.C, opt.patch, r->key, j->ppi,
			                   j->patches + i * j->ppi * D);
			j->ok[i] = 1;
		}
		img_free(&im);
		long long all = atomic_fetch_add(j->done, 1) + 1;
		if (j->pg)
			progress_update(j->pg, all);
	}
	img_scratch_free(&scratch);
	free(px);
	return NULL;
}

static int
cmd_learn(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct mf_reader *r;
	struct lrow *rows = NULL;
	struct emb_dict d;
	struct wn_out out;
	size_t n = 0, cap = 0, nw, ppi, D, m = 0;
	long long skipped = 0;
	const char *mfname;
	FILE *in;
	int i = opt_parse(argc, argv, "embed", "hc:j:k:o:s:v", learn_longopts, handle, usage);

	if (argc - i > 1 || !opt.out) {
		fprintf(stderr, "%s: %s\n", progname, !opt.out ? "learn: -o DICT is required" :
		        "one manifest at most");
		usage(stderr);
		return WN_EUSAGE;
	}
	if (opt.patch > opt.W || opt.patch > opt.H)
		die(WN_EUSAGE, "--patch %d is larger than the size %dx%d", opt.patch, opt.W, opt.H);
	in = efopen_input(i < argc ? argv[i] : NULL);
	mfname = input_name(i < argc ? argv[i] : NULL);
	if (!(r = mf_open(in, mfname, MF_CHECK_DUPS, &err)))
		die_err(&err);
	int pc = mf_col(r, "path");
	if (pc < 0)
		die(WN_EDATA, "%s:1: no \"path\" column", mfname);
	for (int rc; (rc = mf_next(r, &err)) != 0;) {
		if (rc < 0)
			die_err(&err);
		if (n == cap)
			rows = ereallocarray(rows, cap = cap ? 2 * cap : 1024, sizeof *rows);
		rows[n].id = estrdup(mf_id(r));
		rows[n].path = estrdup(mf_field(r, (size_t)pc));
		rows[n].key = wn_hash64(opt.seed, WN_STREAM_PATCH, rows[n].id, strlen(rows[n].id));
		rows[n].lineno = mf_lineno(r);
		n++;
	}
	mf_close(r);
	if (in != stdin)
		fclose(in);
	if (n == 0)
		die(WN_EDATA, "%s: no images to learn from", mfname);
	/* sorted by the hash of the id: the dictionary does not depend on the
	 * manifest's order */
	qsort(rows, n, sizeof *rows, lrow_cmp);
	/* More images than patches asked for: one patch from each of the
	 * first --patches images in that order, not one from every image
	 * (which took ten times the patches asked for, and decoded the whole
	 * pool, at a million images) */
	if ((long long)n > opt.patches) {
		for (size_t k = (size_t)opt.patches; k < n; k++) {
			free(rows[k].id);
			free(rows[k].path);
		}
		n = (size_t)opt.patches;
	}
	ppi = (size_t)((opt.patches + (long long)n - 1) / (long long)n);
	D = (size_t)opt.patch * opt.patch * opt.C;
	nw = (size_t)(opt.jobs ? opt.jobs : default_jobs());
	if (nw > n)
		nw = n;
	struct ljob *jobs = ecalloc(nw, sizeof *jobs);
	float *patches = ereallocarray(NULL, n * ppi * D, sizeof(float));
	int *ok = ereallocarray(NULL, n, sizeof *ok);
	struct wn_err *errs = ereallocarray(NULL, n, sizeof *errs);
	struct img_cache *cache = img_cache_new();
	if (!cache)
		die(WN_ESOFTWARE, "out of memory");
	atomic_llong done = 0;
	struct progress pg;
	progress_init(&pg, "learn (images)", (long long)n, opt.progress);
	for (size_t w = 0; w < nw; w++) {
		jobs[w] = (struct ljob){ .rows = rows, .from = w * n / nw,
		    .to = (w + 1) * n / nw, .ppi = ppi, .patches = patches, .ok = ok,
		    .err = errs, .cache = cache, .done = &done, .pg = w == 0 ? &pg : NULL };
	}
	/* job 0 runs on this thread and shows the count of every job */
	wn_run_threads((int)nw, learn_work, jobs, sizeof *jobs);
	progress_done(&pg, atomic_load(&done));
	/* failures in manifest order would need another sort; report them in
	 * the (deterministic) hashed order */
	for (size_t k = 0; k < n; k++) {
		if (!ok[k]) {
			image_failed(mfname, rows[k].lineno, &errs[k], &skipped);
			continue;
		}
		if (m != k)
			memmove(patches + m * ppi * D, patches + k * ppi * D, sizeof(float) * ppi * D);
		m++;
	}
	if (skipped)
		warnx("skipped %lld of %zu images", skipped, n);
	/* the iterations run inside the library: their line comes at the end */
	progress_init(&pg, "learn (k-means iterations)", opt.iters, opt.progress);
	if (emb_learn_kmeans(&d, patches, m * ppi, opt.patch, opt.C, opt.k, opt.iters, &err) != 0)
		die_err(&err);
	progress_done(&pg, opt.iters);
	d.seed = opt.seed;
	if (opt.verbose)
		warnx("learn: %d centroids from %zu patches of %zu image%s", opt.k, m * ppi, m,
		      WN_S(m));
	if (wn_out_open(&out, opt.out, &err) != 0 ||
	    emb_dict_save(&d, out.fp, opt.out, &err) != 0 ||
	    wn_out_commit(&out, &err) != 0)
		die_err(&err);
	for (size_t k = 0; k < n; k++) {
		free(rows[k].id);
		free(rows[k].path);
	}
	free(rows);
	free(jobs);
	free(patches);
	free(ok);
	free(errs);
	img_cache_free(cache);
	emb_dict_free(&d);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc;

	prog_init("winnow-embed");
	opt_config_siblings(config_keys);
	prog_blas_one_thread();
	if (argc > 1 && strcmp(argv[1], "learn") == 0)
		rc = cmd_learn(argc - 1, argv + 1);
	else
		rc = cmd_embed(argc, argv);
	if (rc == 0)
		efshut(stdout, "<stdout>");
	return rc;
}
