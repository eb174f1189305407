/*
 * winnow-embed - images to embeddings, without pretrained weights.
 *
 *   winnow-embed [-m METHOD] [options] -o EMB.npy [MANIFEST]
 *   winnow-embed learn [options] -o DICT [MANIFEST]
 *
 * The manifest is read in batches of --batch rows; -j threads each decode,
 * resize and embed one batch of a round, and the main thread writes the
 * round's rows in input order, so the output does not depend on -j.  See
 * winnow-embed(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cblas.h>
#include <xxhash.h>

#include "atomic.h"
#include "embed.h"
#include "hash.h"
#include "img.h"
#include "manifest.h"
#include "npy.h"
#include "opt.h"
#include "prog.h"
#include "progress.h"

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
	size_t n;               /* rows */
	long long first;        /* input index of row 0 */
	long long *lineno;
	size_t *off;            /* n * ncols offsets into text */
	char *text;             /* the rows' fields, NUL-terminated */
	size_t tlen, tcap;
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

struct worker {
	pthread_t th;
	const struct ctx *cx;
	struct batch *b;
	struct emb_ws *ws;
};

static void
batch_init(struct batch *b, const struct emb *e, size_t ncols)
{
	size_t B = (size_t)opt.batch;

	memset(b, 0, sizeof *b);
	b->lineno = ereallocarray(NULL, B, sizeof *b->lineno);
	b->off = ereallocarray(NULL, B * ncols, sizeof *b->off);
	b->ok = ereallocarray(NULL, B, sizeof *b->ok);
	b->err = ereallocarray(NULL, B, sizeof *b->err);
	b->px = ereallocarray(NULL, B * e->in_dim, sizeof(float));
	if (e->method != EMB_PIXELS)
		b->out = ereallocarray(NULL, B * e->out_dim, sizeof(float));
	b->tcap = 4096;
	b->text = emalloc(b->tcap);
}

static void
batch_free(struct batch *b)
{
	free(b->lineno);
	free(b->off);
	free(b->ok);
	free(b->err);
	free(b->px);
	free(b->out);
	free(b->text);
}

/* Keep a copy of the reader's current row as row b->n of the batch. */
static void
batch_add(struct batch *b, const struct mf_reader *r, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++) {
		size_t len = mf_fieldlen(r, i) + 1;
		while (b->tlen + len > b->tcap) {
			b->tcap *= 2;
			b->text = ereallocarray(b->text, b->tcap, 1);
		}
		memcpy(b->text + b->tlen, mf_field(r, i), len);
		b->off[b->n * ncols + i] = b->tlen;
		b->tlen += len;
	}
	b->lineno[b->n] = mf_lineno(r);
	b->n++;
}

static const char *
batch_field(const struct batch *b, size_t row, size_t col, size_t ncols)
{
	return b->text + b->off[row * ncols + col];
}

/* Decode, resize and embed one batch (a worker thread). */
static void *
work(void *arg)
{
	struct worker *w = arg;
	struct batch *b = w->b;
	const struct emb *e = w->cx->e;
	struct img im;

	b->nok = 0;
	for (size_t i = 0; i < b->n; i++) {
		const char *path = batch_field(b, i, w->cx->pathcol, w->cx->ncols);
		b->ok[i] = 0;
		if (*path == '\0') {
			wn_seterr(&b->err[i], WN_EDATA, "empty path");
			continue;
		}
		if (img_load(&im, path, (size_t)opt.max_pixels, w->cx->cache, &b->err[i]) != 0)
			continue;
		if (img_resize(&im, e->W, e->H, e->C, b->px + b->nok * e->in_dim,
		               &b->err[i]) == 0) {
			b->ok[i] = 1;
			b->nok++;
		}
		img_free(&im);
	}
	if (e->method != EMB_PIXELS && b->nok > 0)
		emb_encode(e, w->ws, b->px, b->nok, b->out);
	return NULL;
}

/* Run the n batches of a round on the workers. */
static void
run_round(struct worker *ws, size_t n)
{
	if (n == 1) {
		work(&ws[0]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&ws[i].th, NULL, work, &ws[i]) != 0)
			die(WN_ESOFTWARE, "cannot start a thread: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		pthread_join(ws[i].th, NULL);
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

/* ---- output and --resume ---- */

/*
 * Without --resume the embeddings go to an atomic temporary file (atomic.h).
 * With --resume they go to EMB.npy.part, and after each round of batches
 * (whole batches only, so a resumed run batches the rest exactly as an
 * uninterrupted one) a line is appended to the sidecar EMB.npy.resume:
 *
 *   winnow-embed-resume 1
 *   config HASH            the options that shape the bytes
 *   skip N                 input row N was skipped (--on-error skip)
 *   done IN OUT HASH       IN input rows consumed, OUT written, HASH of ids
 *
 * The .part file is flushed and fdatasync'ed before the line is written.
 * A resumed run truncates .part after the last "done", re-reads the
 * manifest, writes the first IN rows' manifest lines again without
 * decoding (checking the ids hash to the same HASH), and continues.  At
 * the end the header is written, .part renamed to EMB.npy and the
 * sidecar removed.
 */
struct sink {
	FILE *fp;
	struct wn_out ao;       /* without --resume */
	char *part, *side;      /* with --resume */
	FILE *sfp;
	size_t cols;
	long long rows;         /* written */
	/* resume state */
	long long done_in, done_out, done_skip;
	uint64_t done_hash;
	long long *skips;
	size_t nskips;
};

static uint64_t
config_hash(const struct emb *e, const struct emb_dict *d)
{
	char buf[512];
	uint64_t h;

	snprintf(buf, sizeof buf, "m=%d s=%dx%d c=%d d=%d seed=%llu batch=%d px=%lld",
	         opt.method, opt.W, opt.H, opt.C, e->out_dim, opt.seed, opt.batch,
	         opt.max_pixels);
	h = XXH64(buf, strlen(buf), 0);
	if (d) {
		h = XXH64(d->cent, sizeof(float) * d->k * d->dim, h);
		h = XXH64(d->zca, sizeof(float) * d->dim * d->dim, h);
		h = XXH64(d->mean, sizeof(float) * d->dim, h);
	}
	return h;
}

static void
sync_fp(FILE *fp, const char *name)
{
	if (fflush(fp) != 0 || fdatasync(fileno(fp)) != 0)
		die(WN_EIO, "%s: write error: %s", name, strerror(errno));
}

static void
read_sidecar(struct sink *s, uint64_t cfg)
{
	FILE *fp = fopen(s->side, "r");
	char line[256];
	unsigned long long h;
	long long a, b, c;
	size_t cap = 0, nsk = 0;
	long long *sk = NULL;
	int lineno = 0, cfg_ok = 0;

	if (!fp)
		return;
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		if (!strchr(line, '\n'))
			break;  /* a torn last line */
		if (lineno == 1) {
			if (strcmp(line, "winnow-embed-resume 1\n") != 0)
				die(WN_EDATA, "%s: not a winnow-embed resume file", s->side);
		} else if (sscanf(line, "config %llx", &h) == 1) {
			if (h != cfg)
				die(WN_EDATA, "%s: the interrupted run used other options "
				    "(method, size, channels, dim, seed, batch, max-pixels or "
				    "dictionary); remove %s and %s to start over",
				    s->side, s->part, s->side);
			cfg_ok = 1;
		} else if (sscanf(line, "skip %lld", &a) == 1) {
			if (nsk == cap)
				sk = ereallocarray(sk, cap = cap ? 2 * cap : 64, sizeof *sk);
			sk[nsk++] = a;
		} else if (sscanf(line, "done %lld %lld %lld %llx", &a, &b, &c, &h) == 4) {
			s->done_in = a;
			s->done_out = b;
			s->done_skip = c;
			s->done_hash = h;
			s->nskips = nsk;
		} else {
			die(WN_EDATA, "%s:%d: unexpected line", s->side, lineno);
		}
	}
	fclose(fp);
	if (!cfg_ok)
		die(WN_EDATA, "%s: no config line", s->side);
	s->skips = sk;
}

static void
sink_open(struct sink *s, const struct emb *e, const struct emb_dict *d)
{
	struct wn_err err = { 0 };
	unsigned char hdr[NPY_F4_HEADER_LEN];
	uint64_t cfg = config_hash(e, d);

	memset(s, 0, sizeof *s);
	s->cols = (size_t)e->out_dim;
	if (!opt.resume) {
		if (wn_out_open(&s->ao, opt.out, &err) != 0)
			die_err(&err);
		s->fp = s->ao.fp;
	} else {
		struct stat st;
		size_t sz = strlen(opt.out) + 16;
		off_t want;

		s->part = emalloc(sz);
		s->side = emalloc(sz);
		snprintf(s->part, sz, "%s.part", opt.out);
		snprintf(s->side, sz, "%s.resume", opt.out);
		if (stat(s->part, &st) == 0)
			read_sidecar(s, cfg);
		want = NPY_F4_HEADER_LEN + (off_t)s->done_out * (off_t)s->cols * 4;
		if (s->done_in > 0) {
			if (st.st_size < want)
				die(WN_EDATA, "%s: shorter than %s says; remove both to start over",
				    s->part, s->side);
			if (!(s->fp = fopen(s->part, "r+b")) || ftruncate(fileno(s->fp), want) != 0 ||
			    fseeko(s->fp, want, SEEK_SET) != 0)
				die(WN_ECANTCREAT, "%s: %s", s->part, strerror(errno));
			s->rows = s->done_out;
		} else {
			s->done_out = s->done_skip = 0;
			s->nskips = 0;
			if (!(s->fp = fopen(s->part, "wb")))
				die(WN_ECANTCREAT, "%s: %s", s->part, strerror(errno));
		}
		/* rewrite the sidecar with what is valid */
		{
			char *tmp = emalloc(sz + 8);
			FILE *t;
			snprintf(tmp, sz + 8, "%s.tmp", s->side);
			if (!(t = fopen(tmp, "w")))
				die(WN_ECANTCREAT, "%s: %s", tmp, strerror(errno));
			fprintf(t, "winnow-embed-resume 1\nconfig %016llx\n", (unsigned long long)cfg);
			for (size_t i = 0; i < s->nskips; i++)
				fprintf(t, "skip %lld\n", s->skips[i]);
			if (s->done_in > 0)
				fprintf(t, "done %lld %lld %lld %016llx\n", s->done_in, s->done_out,
				        s->done_skip, (unsigned long long)s->done_hash);
			sync_fp(t, tmp);
			fclose(t);
			if (rename(tmp, s->side) != 0)
				die(WN_ECANTCREAT, "%s: %s", s->side, strerror(errno));
			free(tmp);
			if (!(s->sfp = fopen(s->side, "a")))
				die(WN_ECANTCREAT, "%s: %s", s->side, strerror(errno));
		}
		if (s->done_in > 0)
			return;
	}
	npy_header_f4(hdr, 0, s->cols);
	if (fwrite(hdr, 1, sizeof hdr, s->fp) != sizeof hdr)
		die(WN_EIO, "%s: write error: %s", opt.out, strerror(errno));
}

static void
sink_rows(struct sink *s, const float *rows, size_t n)
{
	if (n && fwrite(rows, sizeof(float) * s->cols, n, s->fp) != n)
		die(WN_EIO, "%s: write error: %s", opt.resume ? s->part : opt.out,
		    strerror(errno));
	s->rows += (long long)n;
}

static void
sink_checkpoint(struct sink *s, long long in, long long skipped, uint64_t idhash)
{
	static long long rounds;
	const char *crash = getenv("WINNOW_EMBED_CRASH_AFTER");

	if (!opt.resume)
		return;
	sync_fp(s->fp, s->part);
	fprintf(s->sfp, "done %lld %lld %lld %016llx\n", in, s->rows, skipped,
	        (unsigned long long)idhash);
	sync_fp(s->sfp, s->side);
	/* for tests: die like a crash after that many checkpoints */
	if (crash && ++rounds >= atoll(crash))
		raise(SIGKILL);
}

static void
sink_skip(struct sink *s, long long in)
{
	if (opt.resume)
		fprintf(s->sfp, "skip %lld\n", in);
}

static void
sink_commit(struct sink *s)
{
	struct wn_err err = { 0 };
	unsigned char hdr[NPY_F4_HEADER_LEN];
	const char *name = opt.resume ? s->part : opt.out;

	npy_header_f4(hdr, (size_t)s->rows, s->cols);
	if (fseeko(s->fp, 0, SEEK_SET) != 0 || fwrite(hdr, 1, sizeof hdr, s->fp) != sizeof hdr)
		die(WN_EIO, "%s: write error: %s", name, strerror(errno));
	if (!opt.resume) {
		if (wn_out_commit(&s->ao, &err) != 0)
			die_err(&err);
		return;
	}
	if (fflush(s->fp) != 0 || fsync(fileno(s->fp)) != 0 || fclose(s->fp) != 0)
		die(WN_EIO, "%s: write error: %s", name, strerror(errno));
	if (rename(s->part, opt.out) != 0)
		die(WN_ECANTCREAT, "%s: cannot rename to %s: %s", s->part, opt.out, strerror(errno));
	fclose(s->sfp);
	unlink(s->side);
	free(s->part);
	free(s->side);
	free(s->skips);
}

/* ---- embedding ---- */

static int
cmd_embed(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct emb_dict dict = { 0 };
	struct emb e;
	struct ctx cx;
	struct sink sink;
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
	sink_open(&sink, &e, opt.method == EMB_KMEANS ? &dict : NULL);

	nw = (size_t)(opt.jobs ? opt.jobs : default_jobs());
	struct worker *wk = ecalloc(nw, sizeof *wk);
	struct batch *bs = ecalloc(nw, sizeof *bs);
	const char **fields = ereallocarray(NULL, mo.nout, sizeof *fields);
	for (size_t w = 0; w < nw; w++) {
		batch_init(&bs[w], &e, cx.ncols);
		wk[w].cx = &cx;
		wk[w].b = &bs[w];
		if (!(wk[w].ws = emb_ws_new(&e, (size_t)opt.batch)))
			die(WN_ESOFTWARE, "out of memory");
	}
	ids = XXH64_createState();
	XXH64_reset(ids, 0);
	progress_init(&pg, "embed", 0, opt.progress);

	/* --resume: the rows done before, without decoding */
	while (nin < sink.done_in) {
		char rowbuf[32];
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
			snprintf(rowbuf, sizeof rowbuf, "%lld", nin - resumed_skip);
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

	for (int eof = 0;;) {
		size_t nb = 0;
		/* read a round: up to nw whole batches */
		while (nb < nw && !eof) {
			struct batch *b = &bs[nb];
			b->n = b->tlen = 0;
			b->first = nin;
			while (b->n < (size_t)opt.batch) {
				int rc = mf_next(r, &err);
				if (rc < 0)
					die_err(&err);
				if (rc == 0) {
					eof = 1;
					break;
				}
				XXH64_update(ids, mf_id(r), strlen(mf_id(r)) + 1);
				batch_add(b, r, cx.ncols);
				nin++;
			}
			if (b->n == 0)
				break;
			nb++;
		}
		if (nb == 0)
			break;
		run_round(wk, nb);
		for (size_t bi = 0; bi < nb; bi++) {
			struct batch *b = &bs[bi];
			size_t k = 0;
			for (size_t row = 0; row < b->n; row++) {
				char rowbuf[32];
				if (!b->ok[row]) {
					image_failed(mfname, b->lineno[row], &b->err[row], &skipped);
					sink_skip(&sink, b->first + (long long)row);
					continue;
				}
				snprintf(rowbuf, sizeof rowbuf, "%lld", sink.rows + (long long)k);
				for (size_t c = 0; c < mo.nout; c++)
					fields[c] = mo.src[c] >= 0 ?
					    batch_field(b, row, (size_t)mo.src[c], cx.ncols) : rowbuf;
				if (mf_write_fields(stdout, "<stdout>", fields, mo.nout, &err) != 0)
					die_err(&err);
				k++;
			}
			sink_rows(&sink, e.method == EMB_PIXELS ? b->px : b->out, b->nok);
		}
		sink_checkpoint(&sink, nin, skipped, XXH64_digest(ids));
		progress_update(&pg, nin);
	}
	progress_done(&pg, nin);
	sink_commit(&sink);
	if (skipped)
		warnx("skipped %lld of %lld images", skipped, nin);
	if (opt.verbose)
		warnx("%lld image%s embedded, %zu features each, in %.2f s", nin - skipped,
		      WN_S(nin - skipped), (size_t)e.out_dim, wn_now() - pg.t0);
	if (opt.stats && e.method == EMB_KMEANS) {
		double flop = 0, sec = 0;
		for (size_t w = 0; w < nw; w++) {
			double f, s;
			emb_ws_gemm(wk[w].ws, &f, &s);
			flop += f;
			sec += s;
		}
		/* thread CPU time summed: the rate is per thread */
		fprintf(stderr, "%s: stats: kmeans distance GEMM %.4g GFLOP in %.3f "
		        "thread CPU seconds: %.2f GFLOP/s per thread\n", progname,
		        flop * 1e-9, sec, sec > 0 ? flop * 1e-9 / sec : 0);
	}
	for (size_t w = 0; w < nw; w++) {
		batch_free(&bs[w]);
		emb_ws_free(wk[w].ws);
	}
	XXH64_freeState(ids);
	free(wk);
	free(bs);
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
	pthread_t th;
	struct lrow *rows;
	size_t from, to;
	size_t ppi;             /* patches per image */
	float *patches;         /* ppi * dim per image, in row order */
	int *ok;
	struct wn_err *err;
	struct img_cache *cache;
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
	int pw = opt.W - opt.patch + 1, ph = opt.H - opt.patch + 1;
	float *px = ereallocarray(NULL, (size_t)opt.W * opt.H * opt.C, sizeof(float));
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
		if (img_resize(&im, opt.W, opt.H, opt.C, px, &j->err[i]) == 0) {
			for (size_t p = 0; p < j->ppi; p++) {
				int x = (int)(wn_u01_counter(r->key, WN_STREAM_PATCH, 2 * p) * pw);
				int y = (int)(wn_u01_counter(r->key, WN_STREAM_PATCH, 2 * p + 1) * ph);
				emb_patch(px, opt.W, opt.C, opt.patch, x, y,
				          j->patches + (i * j->ppi + p) * D);
			}
			j->ok[i] = 1;
		}
		img_free(&im);
	}
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
	for (size_t w = 0; w < nw; w++) {
		jobs[w] = (struct ljob){ .rows = rows, .from = w * n / nw,
		    .to = (w + 1) * n / nw, .ppi = ppi, .patches = patches, .ok = ok,
		    .err = errs, .cache = cache };
		if (nw == 1)
			learn_work(&jobs[w]);
		else if (pthread_create(&jobs[w].th, NULL, learn_work, &jobs[w]) != 0)
			die(WN_ESOFTWARE, "cannot start a thread: %s", strerror(errno));
	}
	for (size_t w = 0; nw > 1 && w < nw; w++)
		pthread_join(jobs[w].th, NULL);
	{
		/* the workers do not report as they go: one line once the
		 * patches are drawn, then k-means runs */
		struct progress pg;
		progress_init(&pg, "learn: images read", (long long)n, opt.progress);
		progress_done(&pg, (long long)n);
	}
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
	if (emb_learn_kmeans(&d, patches, m * ppi, opt.patch, opt.C, opt.k, opt.iters, &err) != 0)
		die_err(&err);
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
	/* one BLAS thread per worker: -j is the parallelism, and results do
	 * not depend on how OpenBLAS would split a GEMM */
	openblas_set_num_threads(1);
	if (argc > 1 && strcmp(argv[1], "learn") == 0)
		rc = cmd_learn(argc - 1, argv + 1);
	else
		rc = cmd_embed(argc, argv);
	if (rc == 0)
		efshut(stdout, "<stdout>");
	return rc;
}
