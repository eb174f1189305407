/*
 * modelfile.c - the model file: YAML-like metadata, then the tensors
 * (float32, little-endian) and their XXH64 (see winnow-formats(5)).
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "internal.h"
#include "model.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the model file stores little-endian float32: port sur__write_tensors"
#endif

static const char *
kind_name(enum sur_kind k)
{
	return k == SUR_MLP ? "mlp" : "softmax";
}

static const char *norm_names[] = { "count", "weight", "given", NULL };
static const char *infl_names[] = { "none", "shared", "class", NULL };

void
sur__put_quoted(FILE *fp, const char *s)
{
	putc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			putc(*p, fp);
	}
	putc('"', fp);
}

/* Parse a double-quoted scalar written by sur__put_quoted; NULL if bad. */
static char *
get_quoted(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return NULL;
	char *out = malloc(n), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '"')
			goto bad;
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		i++;
		if (i >= n - 1)
			goto bad;
		if (s[i] == '"' || s[i] == '\\') {
			*o++ = s[i];
		} else if (s[i] == 'x' && i + 2 < n - 1) {
			char hex[3] = { s[i + 1], s[i + 2], 0 }, *end;
			long v = strtol(hex, &end, 16);
			if (*end || v <= 0)
				goto bad;
			*o++ = (char)v;
			i += 2;
		} else {
			goto bad;
		}
	}
	*o = 0;
	return out;
bad:
	free(out);
	return NULL;
}

int
sur__getline(FILE *fp, char **buf, size_t *cap)
{
	errno = 0;
	ssize_t len = getline(buf, cap, fp);
	if (len < 0)
		return ferror(fp) ? -1 : 0;
	if (len > 0 && (*buf)[len - 1] == '\n')
		(*buf)[--len] = 0;
	if (strlen(*buf) != (size_t)len)
		return -2;  /* NUL byte in the metadata */
	return 1;
}

int
sur__split(char *line, char **key, char **val)
{
	char *c = strstr(line, ":");
	if (!c || c == line)
		return 0;
	for (char *p = line; p < c; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return 0;
	*c = 0;
	*key = line;
	c++;
	if (*c == ' ')
		c++;
	else if (*c)
		return 0;
	*val = c;
	return 1;
}

static void
put_shape(FILE *fp, const struct sur__tensor *t)
{
	fprintf(fp, "  - [%s", t->name);
	for (int r = 0; r < t->rank; r++)
		fprintf(fp, ", %zu", t->shape[r]);
	fputs("]\n", fp);
}

int
sur__write_tensors(FILE *fp, const char *name, const struct sur__tensor *t, int nt,
                   struct wn_err *err)
{
	fputs("tensors:\n", fp);
	for (int i = 0; i < nt; i++)
		put_shape(fp, &t[i]);
	fputs("...\n", fp);
	XXH64_state_t *st = XXH64_createState();
	if (!st)
		return wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
	XXH64_reset(st, 0);
	for (int i = 0; i < nt; i++) {
		fwrite(t[i].data, sizeof(float), t[i].n, fp);
		XXH64_update(st, t[i].data, t[i].n * sizeof(float));
	}
	uint64_t h = XXH64_digest(st);
	XXH64_freeState(st);
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(h >> (8 * i));
	fwrite(b, 1, 8, fp);
	if (ferror(fp))
		return wn_seterr(err, WN_EIO, "%s: write error: %s", name, strerror(errno));
	return 0;
}

/*
 * Hash nc floats at p (any alignment) into st and check them: the index
 * of the first NaN or inf, nc if there is none.  The scan is branch-free
 * (it vectorises: the early-exit loop alone was 17% of winnow-score -s
 * margin at d = 2048); the place is looked for only when there is one.
 */
static size_t
hash_and_check(XXH64_state_t *st, const void *p, size_t nc)
{
	const unsigned char *b = p;
	int nonfinite = 0;
	float v;

	XXH64_update(st, b, nc * sizeof v);
	for (size_t j = 0; j < nc; j++) {
		memcpy(&v, b + j * sizeof v, sizeof v);
		nonfinite |= !(fabsf(v) <= FLT_MAX);
	}
	for (size_t j = 0; nonfinite && j < nc; j++) {
		memcpy(&v, b + j * sizeof v, sizeof v);
		if (!isfinite(v))
			return j;
	}
	return nc;
}

/*
 * A discarded tensor of n floats at fp's position, hashed into st and
 * checked where the file is mapped instead of copied out of it (the
 * 168 MB of influence factors at d = 2048 for the scores that drop
 * them), a MiB at a time: its pages filled in one call, then given back.
 * 1 when done, fp moved past the tensor, *bad set to the first
 * non-finite element's index or to n; 0 when it cannot be mapped (not
 * a regular file, fewer bytes left than the tensor needs): the caller
 * reads it; -1 when fp cannot be moved (errno).
 */
static int
discard_mapped(FILE *fp, size_t n, XXH64_state_t *st, size_t *bad, float *badv)
{
	struct stat sb;
	int fd = fileno(fp);
	off_t off = n ? ftello(fp) : -1;
	size_t len = n * sizeof(float);
	if (fd < 0 || off < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (unsigned long long)sb.st_size < (unsigned long long)off + len)
		return 0;
	off_t a = off - off % (off_t)sysconf(_SC_PAGESIZE);
	size_t mlen = len + (size_t)(off - a);
	unsigned char *map = mmap(NULL, mlen, PROT_READ, MAP_PRIVATE, fd, a);
	if (map == MAP_FAILED)
		return 0;
	const unsigned char *p = map + (off - a);
	enum { MB = 1 << 20 };
	*bad = n;
	for (size_t o = 0; o < len; o += MB) {
		size_t c = len - o < MB ? len - o : MB;
		/* the pages of [o, o + c), from the page below */
		unsigned char *lo = map + ((size_t)(p + o - map) & ~(size_t)(sysconf(_SC_PAGESIZE) - 1));
#ifdef MADV_POPULATE_READ
		(void)madvise(lo, (size_t)(p + o + c - lo), MADV_POPULATE_READ);
#endif
		size_t j = hash_and_check(st, p + o, c / sizeof(float));
		if (j < c / sizeof(float) && *bad == n) {
			*bad = o / sizeof(float) + j;
			memcpy(badv, p + o + j * sizeof(float), sizeof *badv);
		}
		(void)madvise(lo, (size_t)(p + o + c - lo), MADV_DONTNEED);
	}
	munmap(map, mlen);
	return fseeko(fp, off + (off_t)len, SEEK_SET) == 0 ? 1 : -1;
}

int
sur__read_tensors(FILE *fp, const char *name, struct sur__tensor *t, int nt,
                  struct wn_err *err)
{
	char *line = NULL, *want = NULL;
	size_t cap = 0, wcap = 0;
	FILE *ws = NULL;
	XXH64_state_t *st = NULL;
	float *scratch = NULL, badv = 0;
	int rc = -1;
	for (int i = 0; i <= nt; i++) {
		int r = sur__getline(fp, &line, &cap);
		if (r <= 0) {
			wn_seterr(err, r == -1 ? WN_EIO : WN_EDATA, "%s: %s in the tensor list",
			          name, r == -1 ? strerror(errno) : "unexpected end of file");
			goto out;
		}
		if (i == nt) {
			if (strcmp(line, "...") != 0) {
				wn_seterr(err, WN_EDATA, "%s: tensor list: expected \"...\" after %d "
				          "tensors, found \"%.60s\"", name, nt, line);
				goto out;
			}
			break;
		}
		free(want);
		want = NULL;
		ws = open_memstream(&want, &wcap);
		if (!ws) {
			wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
			goto out;
		}
		put_shape(ws, &t[i]);
		fclose(ws);
		ws = NULL;
		want[strlen(want) - 1] = 0;
		if (strcmp(line, want) != 0) {
			wn_seterr(err, WN_EDATA, "%s: tensor %d is \"%.80s\", expected \"%s\" "
			          "for the dimensions given", name, i + 1, line + (line[0] ? 4 : 0),
			          want + 4);
			goto out;
		}
	}
	if (!(st = XXH64_createState())) {
		wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
		goto out;
	}
	XXH64_reset(st, 0);
	/* Read, hash and check each tensor a chunk at a time, while the
	 * chunk is still in cache: three passes over memory (fread, XXH64,
	 * the finite check) were a quarter of winnow-score -s margin at
	 * d = 2048, where the influence factors make the file 185 MB. */
	/* A discarded tensor goes through one reused chunk: no 168 MB
	 * allocation to fault in for scores that never use the factors. */
	enum { CHUNK = 16384 };      /* floats: 64 KiB, inside L2 */
	int bad = -1;                /* the first tensor with a non-finite element */
	size_t badj = 0;             /* and the element, for a discarded one */
	for (int i = 0; i < nt; i++) {
		if (t[i].discard) {
			size_t bj;
			float bv = 0;
			int r = discard_mapped(fp, t[i].n, st, &bj, &bv);
			if (r < 0) {
				wn_seterr(err, WN_EIO, "%s: seek error: %s", name, strerror(errno));
				goto out;
			}
			if (r > 0) {
				if (bj < t[i].n && bad < 0) {
					bad = i;
					badj = bj;
					badv = bv;
				}
				continue;
			}
			if (!scratch && !(scratch = malloc(CHUNK * sizeof *scratch))) {
				wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
				goto out;
			}
		} else if (!(t[i].data = malloc((t[i].n ? t[i].n : 1) * sizeof(float)))) {
			wn_seterr(err, WN_ESOFTWARE, "%s: out of memory for tensor %s (%zu floats)",
			          name, t[i].name, t[i].n);
			goto out;
		}
		for (size_t j0 = 0; j0 < t[i].n; j0 += CHUNK) {
			size_t nc = t[i].n - j0 < CHUNK ? t[i].n - j0 : CHUNK;
			float *c = t[i].discard ? scratch : t[i].data + j0;
			if (fread(c, sizeof(float), nc, fp) != nc) {
				if (ferror(fp))
					wn_seterr(err, WN_EIO, "%s: read error: %s", name, strerror(errno));
				else
					wn_seterr(err, WN_EDATA, "%s: truncated: tensor %s needs %zu floats",
					          name, t[i].name, t[i].n);
				goto out;
			}
			/* the place is reported after the checksum, which takes
			 * precedence */
			size_t j = hash_and_check(st, c, nc);
			if (j < nc && bad < 0) {
				bad = i;
				badj = j0 + j;
				badv = c[j];
			}
		}
	}
	unsigned char b[8];
	if (fread(b, 1, 8, fp) != 8) {
		wn_seterr(err, WN_EDATA, "%s: truncated: checksum missing", name);
		goto out;
	}
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h |= (uint64_t)b[i] << (8 * i);
	if (h != XXH64_digest(st)) {
		wn_seterr(err, WN_EDATA, "%s: checksum mismatch: the weights are corrupt", name);
		goto out;
	}
	if (bad >= 0) {
		wn_seterr(err, WN_EDATA, "%s: tensor %s: element %zu is %g", name, t[bad].name,
		          badj, badv);
		goto out;
	}
	rc = 0;
out:
	if (st)
		XXH64_freeState(st);
	free(scratch);
	free(line);
	free(want);
	if (rc < 0)
		for (int i = 0; i < nt; i++) {
			free(t[i].data);
			t[i].data = NULL;
		}
	return rc;
}

/* The tensors of m, in file order. */
static int
model_tensors(const struct sur_model *m, struct sur__tensor *t)
{
	size_t d = m->d, k = m->k, h = m->h, d1 = sur_model_d1(m);
	int n = 0;
#define T1(nm, p, a) t[n++] = (struct sur__tensor){ nm, p, (a), 1, { (a) }, 0 }
#define T2(nm, p, a, b) t[n++] = (struct sur__tensor){ nm, p, (a) * (b), 2, { (a), (b) }, 0 }
	T1("mean", m->mean, d);
	T1("scale", m->scale, d);
	if (m->kind == SUR_SOFTMAX) {
		T2("W", m->w1, k, d);
		T1("b", m->b1, k);
	} else {
		T2("W1", m->w1, h, d);
		T1("b1", m->b1, h);
		T2("W2", m->w2, k, h);
		T1("b2", m->b2, k);
	}
	if (m->infl != SUR_INFL_NONE)
		T2("infl_shared", m->infl_shared, d1, d1);
	if (m->infl == SUR_INFL_CLASS)
		t[n++] = (struct sur__tensor){ "infl_class", m->infl_class, k * d1 * d1, 3,
		                               { k, d1, d1 }, 0 };
#undef T1
#undef T2
	return n;
}

int
sur_model_save(const struct sur_model *m, FILE *fp, const char *name, struct wn_err *err)
{
	const struct sur_hyper *hp = &m->hp;
	fprintf(fp, "# winnow-model %d\n", SUR_MODEL_VERSION);
	fprintf(fp, "kind: %s\n", kind_name(m->kind));
	fprintf(fp, "dim: %d\n", m->d);
	fprintf(fp, "classes: %d\n", m->k);
	fprintf(fp, "hidden: %d\n", m->h);
	fputs("class_names:\n", fp);
	for (int c = 0; c < m->k; c++) {
		fputs("  - ", fp);
		sur__put_quoted(fp, m->classes[c]);
		putc('\n', fp);
	}
	fprintf(fp, "intercept: %s\n", hp->intercept ? "true" : "false");
	fprintf(fp, "standardize: %s\n", hp->standardize ? "true" : "false");
	fprintf(fp, "lambda: %.17g\n", hp->lambda);
	fprintf(fp, "norm: %s\n", norm_names[hp->norm]);
	fprintf(fp, "norm_n: %.17g\n", hp->norm_n);
	fprintf(fp, "max_iter: %d\n", hp->max_iter);
	fprintf(fp, "tol: %.17g\n", hp->tol);
	fprintf(fp, "epochs: %d\n", hp->epochs);
	fprintf(fp, "batch: %d\n", hp->batch);
	fprintf(fp, "lr: %.17g\n", hp->lr);
	fprintf(fp, "momentum: %.17g\n", hp->momentum);
	fprintf(fp, "optimizer: %s\n", hp->adam ? "adam" : "sgd");
	fprintf(fp, "seed: %llu\n", hp->seed);
	fprintf(fp, "n_train: %lld\n", hp->n_train);
	fprintf(fp, "sum_weight: %.17g\n", hp->sum_weight);
	fprintf(fp, "objective: %.17g\n", hp->objective);
	fprintf(fp, "grad_norm: %.17g\n", hp->grad_norm);
	fprintf(fp, "iterations: %d\n", hp->iterations);
	fprintf(fp, "influence: %s\n", infl_names[m->infl]);
	struct sur__tensor t[8];
	int nt = model_tensors(m, t);
	return sur__write_tensors(fp, name, t, nt, err);
}

/* Metadata keys, in the order written.  Each must appear exactly once. */
enum {
	K_KIND, K_DIM, K_CLASSES, K_HIDDEN, K_CLASS_NAMES, K_INTERCEPT, K_STANDARDIZE,
	K_LAMBDA, K_NORM, K_NORM_N, K_MAX_ITER, K_TOL, K_EPOCHS, K_BATCH, K_LR,
	K_MOMENTUM, K_OPTIMIZER, K_SEED, K_N_TRAIN, K_SUM_WEIGHT, K_OBJECTIVE,
	K_GRAD_NORM, K_ITERATIONS, K_INFLUENCE, K_TENSORS, K_N
};
static const char *const keys[K_N + 1] = {
	"kind", "dim", "classes", "hidden", "class_names", "intercept", "standardize",
	"lambda", "norm", "norm_n", "max_iter", "tol", "epochs", "batch", "lr",
	"momentum", "optimizer", "seed", "n_train", "sum_weight", "objective",
	"grad_norm", "iterations", "influence", "tensors", NULL
};

static int
get_ll(const char *v, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || errno || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int
get_d(const char *v, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (!*v || *end || !isfinite(x))
		return -1;
	*out = x;
	return 0;
}

static int
get_choice(const char *v, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

struct sur_model *
sur_model_load(FILE *fp, const char *name, struct wn_err *err)
{
	return sur_model_load_flags(fp, name, 0, err);
}

struct sur_model *
sur_model_load_flags(FILE *fp, const char *name, unsigned flags, struct wn_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	long long lineno = 1;
	int seen[K_N] = { 0 };
	long long iv[K_N] = { 0 };
	double dv[K_N] = { 0 };
	char **names = NULL;
	size_t nnames = 0, namecap = 0;
	struct sur_model *m = NULL;
	int bad = 1, in_names = 0;

	int r = sur__getline(fp, &line, &cap);
	if (r == -1) {
		wn_seterr(err, WN_EIO, "%s: read error: %s", name, strerror(errno));
		goto out;
	}
	long long ver;
	if (r <= 0 || strncmp(line, "# winnow-model ", 15) != 0) {
		wn_seterr(err, WN_EDATA, "%s: not a winnow model (the first line is not "
		          "\"# winnow-model %d\")", name, SUR_MODEL_VERSION);
		goto out;
	}
	if (get_ll(line + 15, 1, 1000000, &ver) < 0 || ver != SUR_MODEL_VERSION) {
		wn_seterr(err, WN_EDATA, "%s: model file version \"%s\" not supported "
		          "(this winnow reads version %d)", name, line + 15, SUR_MODEL_VERSION);
		goto out;
	}
	for (;;) {
		r = sur__getline(fp, &line, &cap);
		lineno++;
		if (r == -1) {
			wn_seterr(err, WN_EIO, "%s: read error: %s", name, strerror(errno));
			goto out;
		}
		if (r == 0) {
			wn_seterr(err, WN_EDATA, "%s:%lld: unexpected end of file in the metadata",
			          name, lineno);
			goto out;
		}
		if (r == -2) {
			wn_seterr(err, WN_EDATA, "%s:%lld: NUL byte in the metadata", name, lineno);
			goto out;
		}
		if (in_names && strncmp(line, "  - ", 4) == 0) {
			char *s = get_quoted(line + 4);
			if (!s) {
				wn_seterr(err, WN_EDATA, "%s:%lld: class name is not a valid quoted "
				          "string: %.80s", name, lineno, line + 4);
				goto out;
			}
			if (nnames == namecap) {
				namecap = namecap ? 2 * namecap : 16;
				char **nn = realloc(names, namecap * sizeof *nn);
				if (!nn) {
					free(s);
					wn_seterr(err, WN_ESOFTWARE, "%s: out of memory", name);
					goto out;
				}
				names = nn;
			}
			names[nnames++] = s;
			continue;
		}
		char *key, *val;
		if (!sur__split(line, &key, &val)) {
			wn_seterr(err, WN_EDATA, "%s:%lld: expected \"key: value\", found \"%.80s\"",
			          name, lineno, line);
			goto out;
		}
		int ki = get_choice(key, keys);
		if (ki < 0) {
			wn_seterr(err, WN_EDATA, "%s:%lld: unknown key \"%s\"", name, lineno, key);
			goto out;
		}
		in_names = ki == K_CLASS_NAMES;
		if (seen[ki]++) {
			wn_seterr(err, WN_EDATA, "%s:%lld: key \"%s\" repeated", name, lineno, key);
			goto out;
		}
		int ok = 0;
		switch (ki) {
		case K_KIND:
			ok = (iv[ki] = get_choice(val, (const char *[]){ "softmax", "mlp", NULL })) >= 0;
			break;
		case K_DIM: ok = get_ll(val, 1, 1 << 24, &iv[ki]) == 0; break;
		case K_CLASSES: ok = get_ll(val, 2, 1 << 16, &iv[ki]) == 0; break;
		case K_HIDDEN: ok = get_ll(val, 0, 1 << 20, &iv[ki]) == 0; break;
		case K_CLASS_NAMES: case K_TENSORS: ok = *val == 0; break;
		case K_INTERCEPT: case K_STANDARDIZE:
			ok = (iv[ki] = get_choice(val, (const char *[]){ "false", "true", NULL })) >= 0;
			break;
		case K_NORM: ok = (iv[ki] = get_choice(val, norm_names)) >= 0; break;
		case K_INFLUENCE: ok = (iv[ki] = get_choice(val, infl_names)) >= 0; break;
		case K_OPTIMIZER:
			ok = (iv[ki] = get_choice(val, (const char *[]){ "sgd", "adam", NULL })) >= 0;
			break;
		case K_MAX_ITER: case K_EPOCHS: case K_BATCH: case K_ITERATIONS:
			ok = get_ll(val, 0, INT32_MAX, &iv[ki]) == 0;
			break;
		case K_N_TRAIN: ok = get_ll(val, 0, INT64_MAX, &iv[ki]) == 0; break;
		case K_SEED: {
			char *end;
			errno = 0;
			unsigned long long s = strtoull(val, &end, 10);
			ok = *val && *val != '-' && !*end && !errno;
			iv[ki] = (long long)s;
			break;
		}
		default:
			ok = get_d(val, &dv[ki]) == 0;
		}
		if (!ok) {
			wn_seterr(err, WN_EDATA, "%s:%lld: bad value \"%.60s\" for %s", name, lineno,
			          val, key);
			goto out;
		}
		if (ki == K_TENSORS)
			break;
	}
	for (int i = 0; i < K_N; i++)
		if (!seen[i]) {
			wn_seterr(err, WN_EDATA, "%s: metadata lacks the key \"%s\"", name, keys[i]);
			goto out;
		}
	enum sur_kind kind = iv[K_KIND] == 1 ? SUR_MLP : SUR_SOFTMAX;
	if ((kind == SUR_MLP) != (iv[K_HIDDEN] > 0)) {
		wn_seterr(err, WN_EDATA, "%s: hidden is %lld for a %s model", name, iv[K_HIDDEN],
		          kind_name(kind));
		goto out;
	}
	if ((long long)nnames != iv[K_CLASSES]) {
		wn_seterr(err, WN_EDATA, "%s: %zu class names for %lld classes", name, nnames,
		          iv[K_CLASSES]);
		goto out;
	}
	if (iv[K_INFLUENCE] != SUR_INFL_NONE && kind != SUR_SOFTMAX) {
		wn_seterr(err, WN_EDATA, "%s: influence factors in a %s model", name,
		          kind_name(kind));
		goto out;
	}
	{
		/* refuse absurd sizes before allocating for them */
		double d = (double)iv[K_DIM], k = (double)iv[K_CLASSES], h = (double)iv[K_HIDDEN];
		double floats = kind == SUR_MLP ? h * d + k * h : k * d;
		if (iv[K_INFLUENCE] != SUR_INFL_NONE)
			floats += (k + 1) * (d + 1) * (d + 1);
		if (floats > 4e9) {
			wn_seterr(err, WN_EDATA, "%s: dimensions too large (%.3g weights)", name,
			          floats);
			goto out;
		}
	}
	if (!(m = sur_model_new(kind, (int)iv[K_DIM], (int)iv[K_CLASSES], (int)iv[K_HIDDEN], err)))
		goto out;
	if (sur_model_set_classes(m, (const char *const *)names, err) < 0) {
		err->code = WN_EDATA;
		goto out;
	}
	struct sur_hyper *hp = &m->hp;
	hp->intercept = (int)iv[K_INTERCEPT];
	hp->standardize = (int)iv[K_STANDARDIZE];
	hp->lambda = dv[K_LAMBDA];
	hp->norm = (enum sur_norm)iv[K_NORM];
	hp->norm_n = dv[K_NORM_N];
	hp->max_iter = (int)iv[K_MAX_ITER];
	hp->tol = dv[K_TOL];
	hp->epochs = (int)iv[K_EPOCHS];
	hp->batch = (int)iv[K_BATCH];
	hp->lr = dv[K_LR];
	hp->momentum = dv[K_MOMENTUM];
	hp->adam = (int)iv[K_OPTIMIZER];
	hp->seed = (unsigned long long)iv[K_SEED];
	hp->n_train = iv[K_N_TRAIN];
	hp->sum_weight = dv[K_SUM_WEIGHT];
	hp->objective = dv[K_OBJECTIVE];
	hp->grad_norm = dv[K_GRAD_NORM];
	hp->iterations = (int)iv[K_ITERATIONS];
	m->infl = (enum sur_infl)iv[K_INFLUENCE];
	if (hp->lambda < 0) {
		wn_seterr(err, WN_EDATA, "%s: lambda %g is negative", name, hp->lambda);
		goto out;
	}
	/* The tensors are read into fresh buffers, then swapped in. */
	struct sur__tensor t[8];
	int nt = model_tensors(m, t);
	for (int i = 0; i < nt; i++) {
		t[i].data = NULL;
		t[i].discard = (flags & SUR_LOAD_NO_INFL) && !strncmp(t[i].name, "infl_", 5);
	}
	if (sur__read_tensors(fp, name, t, nt, err) < 0)
		goto out;
	if (flags & SUR_LOAD_NO_INFL)
		m->infl = SUR_INFL_NONE;     /* checked and dropped */
	for (int i = 0; i < nt; i++) {
		float **dst = NULL;
		const char *tn = t[i].name;
		if (!strcmp(tn, "mean")) dst = &m->mean;
		else if (!strcmp(tn, "scale")) dst = &m->scale;
		else if (!strcmp(tn, "W") || !strcmp(tn, "W1")) dst = &m->w1;
		else if (!strcmp(tn, "b") || !strcmp(tn, "b1")) dst = &m->b1;
		else if (!strcmp(tn, "W2")) dst = &m->w2;
		else if (!strcmp(tn, "b2")) dst = &m->b2;
		else if (!strcmp(tn, "infl_shared")) dst = &m->infl_shared;
		else dst = &m->infl_class;
		free(*dst);
		*dst = t[i].data;
	}
	for (int j = 0; j < m->d; j++)
		if (!(m->scale[j] > 0)) {
			wn_seterr(err, WN_EDATA, "%s: scale of feature %d is %g (must be > 0)",
			          name, j, m->scale[j]);
			goto out;
		}
	bad = 0;
out:
	free(line);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (bad) {
		sur_model_free(m);
		return NULL;
	}
	return m;
}

struct sur_model *
sur_model_load_path(const char *path, struct wn_err *err)
{
	return sur_model_load_path_flags(path, 0, err);
}

struct sur_model *
sur_model_load_path_flags(const char *path, unsigned flags, struct wn_err *err)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		wn_seterr(err, WN_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct sur_model *m = sur_model_load_flags(fp, path, flags, err);
	if (m && getc(fp) != EOF) {
		wn_seterr(err, WN_EDATA, "%s: trailing bytes after the checksum", path);
		sur_model_free(m);
		m = NULL;
	}
	fclose(fp);
	return m;
}
