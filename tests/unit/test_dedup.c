/*
 * test_dedup.c - winnow-dedup's search (lib/dedup/dedup.c) against slow,
 * obvious loops: every pair's similarity in double, the k best by a full
 * sort, the groups by label propagation until nothing changes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup.h"
#include "manifest.h"
#include "npy.h"
#include "unit.h"

enum { N = 400, D = 24 };

static float raw[N * D];
static char npypath[64];

/* N rows: random, with planted near-copies (chains of small steps, so
 * that groups join through links below the threshold pairwise). */
static void
make_data(void)
{
	uint64_t s = 12345;
	for (int i = 0; i < N * D; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		raw[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
	}
	for (int g = 0; g < 40; g++) {
		int a = g * 7, b = a + 1 + g % 3;
		for (int c = 0; c < D; c++)
			raw[b * D + c] = raw[a * D + c] * (g % 2 ? 2.0f : 1.0f) +
			                 (g % 4 == 3 ? 0.01f * (float)((c * 7 + g) % 5 - 2) : 0);
	}
	/* a chain: 300 -> 301 -> 302, each step small */
	for (int c = 0; c < D; c++) {
		raw[301 * D + c] = raw[300 * D + c] + (c == 0 ? 0.12f : 0);
		raw[302 * D + c] = raw[301 * D + c] + (c == 1 ? 0.12f : 0);
	}
	snprintf(npypath, sizeof npypath, "/tmp/test_dedup.%ld.npy", (long)getpid());
	FILE *fp = fopen(npypath, "wb");
	struct wn_err err = { 0 };
	struct npy_writer *w = npy_writer_open(fp, npypath, D, N, &err);
	npy_write_rows(w, raw, N, &err);
	npy_writer_finish(w, &err);
	fclose(fp);
}

/* The manifest, rows listed in the order perm (NULL: 0..N-1). */
static FILE *
manifest(const int *perm, int with_score)
{
	static char buf[N * 64];
	size_t l = (size_t)snprintf(buf, sizeof buf, "id\trow%s\n", with_score ? "\tq" : "");
	for (int j = 0; j < N; j++) {
		int i = perm ? perm[j] : j;
		l += (size_t)snprintf(buf + l, sizeof buf - l, "r%d\t%d", i, i);
		if (with_score)
			l += (size_t)snprintf(buf + l, sizeof buf - l, "\t%d", (i * 37) % 11);
		buf[l++] = '\n';
	}
	return fmemopen(buf, l, "r");
}

static void
load(struct dd_pool *P, const int *perm, int with_score, uint64_t seed)
{
	struct wn_err err = { 0 };
	struct npy emb;
	FILE *fp = manifest(perm, with_score);
	CHECK(npy_open(&emb, npypath, &err) == 0, "%s", err.msg);
	struct mf_reader *r = mf_open(fp, "m.tsv", MF_CHECK_DUPS, &err);
	CHECK(dd_pool_load(P, &emb, r, with_score ? "q" : NULL, seed, &err) == 0, "%s",
	      err.msg);
	mf_close(r);
	fclose(fp);
	npy_close(&emb);
}

/* Similarity of raw rows i and j, from scratch. */
static double
slow_cos(int i, int j)
{
	double ab = 0, aa = 0, bb = 0;
	for (int c = 0; c < D; c++) {
		ab += (double)raw[i * D + c] * raw[j * D + c];
		aa += (double)raw[i * D + c] * raw[i * D + c];
		bb += (double)raw[j * D + c] * raw[j * D + c];
	}
	return ab / sqrt(aa * bb);
}

static int
cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

/* Row index of position p (ids are r<row>). */
static int
row_of(const struct dd_pool *P, int64_t p)
{
	return atoi(P->id[p] + 1);
}

static void
search(const struct dd_pool *P, struct dd_result *R, struct dd_opts *o)
{
	struct wn_err err = { 0 };
	CHECK(dd_result_init(R, P->n, o->clusters > 0, &err) == 0, "%s", err.msg);
	CHECK(dd_search(P, o, R, &err) == 0, "%s", err.msg);
}

static struct dd_opts
defaults(void)
{
	struct dd_opts o = { .threshold = 0.95, .k = 5, .cand = 32, .kmeans_iter = 10,
	                     .threads = 1, .shard = 0, .nshards = 1 };
	return o;
}

TEST(neighbours_and_density_match_brute_force)
{
	struct dd_pool P;
	struct dd_result R;
	struct dd_opts o = defaults();
	load(&P, NULL, 0, 0);
	search(&P, &R, &o);
	int bad_nn = 0, bad_sim = 0, bad_dens = 0;
	static double s[N];
	for (size_t p = 0; p < P.n; p++) {
		int i = row_of(&P, (int64_t)p), m = 0;
		double best = -2;
		for (int j = 0; j < N; j++)
			if (j != i) {
				s[m++] = slow_cos(i, j);
				if (s[m - 1] > best)
					best = s[m - 1];
			}
		qsort(s, (size_t)m, sizeof *s, cmp_desc);
		double mean = 0;
		for (int t = 0; t < o.k; t++)
			mean += s[t] / o.k;
		CHECK(R.query[p], "row %d not searched", i);
		if (R.nn[p] < 0 || fabs(slow_cos(i, row_of(&P, R.nn[p])) - best) > 1e-6)
			bad_nn++;
		if (fabs(R.nn_sim[p] - best) > 1e-6)
			bad_sim++;
		if (fabs(R.density[p] - mean) > 1e-6)
			bad_dens++;
	}
	CHECK(bad_nn == 0, "%d nearest neighbours wrong", bad_nn);
	CHECK(bad_sim == 0, "%d nn similarities wrong", bad_sim);
	CHECK(bad_dens == 0, "%d densities wrong", bad_dens);
	dd_result_free(&R);
	dd_pool_free(&P);
}

/* Groups by label propagation over every pair at or above t: each row
 * takes the smallest label among itself and its duplicates, until stable. */
static void
slow_groups(double t, int *label)
{
	for (int i = 0; i < N; i++)
		label[i] = i;
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++)
				if (i != j && label[j] < label[i] && slow_cos(i, j) >= t) {
					label[i] = label[j];
					changed = 1;
				}
	}
}

/* Same partition: i, j together in one iff together in the other. */
static int
same_partition(const struct dd_pool *P, const int64_t *kept, const int *label)
{
	int bad = 0;
	for (size_t p = 0; p < P->n; p++)
		for (size_t q = 0; q < P->n; q++)
			if ((kept[p] == kept[q]) != (label[row_of(P, (int64_t)p)] ==
			                             label[row_of(P, (int64_t)q)]))
				bad++;
	return bad;
}

TEST(groups_match_slow_union)
{
	static const double ts[] = { 0.95, 0.99, 0.9, 0.5, 0.3 };   /* low: range search */
	for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
		struct dd_pool P;
		struct dd_result R;
		struct dd_opts o = defaults();
		struct wn_err err = { 0 };
		static int label[N];
		static int64_t kept[N];
		static size_t rank[N];
		o.threshold = ts[k];
		load(&P, NULL, 0, 0);
		search(&P, &R, &o);
		CHECK(dd_groups(&P, &R, DD_KEEP_SCORE, kept, rank, NULL, &err) == 0, "%s", err.msg);
		slow_groups(ts[k], label);
		int bad = same_partition(&P, kept, label), ngroups = 0, multi = 0;
		for (int i = 0; i < N; i++)
			if (label[i] == i)
				ngroups++;
		for (size_t p = 0; p < P.n; p++)
			if (rank[p] > 0)
				multi++;
		CHECK(bad == 0, "t=%g: %d pairs grouped differently", ts[k], bad);
		CHECK(multi >= 40, "t=%g: only %d duplicates found", ts[k], multi);
		for (size_t p = 0; p < P.n; p++)
			CHECK(rank[kept[p]] == 0, "kept row of %zu has rank %zu", p, rank[kept[p]]);
		dd_result_free(&R);
		dd_pool_free(&P);
	}
}

TEST(chain_joins_through_links)
{
	struct dd_pool P;
	struct dd_result R;
	struct dd_opts o = defaults();
	struct wn_err err = { 0 };
	static int64_t kept[N];
	static size_t rank[N];
	o.threshold = fmin(slow_cos(300, 301), slow_cos(301, 302)) - 1e-4;
	CHECK(slow_cos(300, 302) < o.threshold, "the chain's ends are too similar: %g",
	      slow_cos(300, 302));
	load(&P, NULL, 0, 0);
	search(&P, &R, &o);
	dd_groups(&P, &R, DD_KEEP_SCORE, kept, rank, NULL, &err);
	long long a = dd_pool_find(&P, "r300"), c = dd_pool_find(&P, "r302");
	CHECK(a >= 0 && c >= 0 && kept[a] == kept[c], "300 and 302 not in one group");
	dd_result_free(&R);
	dd_pool_free(&P);
}

/* The groups, kept ids and ranks, as text by row, for comparisons. */
static char *
summary(const struct dd_pool *P, const struct dd_result *R, enum dd_keep keep)
{
	static int64_t kept[N];
	static size_t rank[N];
	struct wn_err err = { 0 };
	char *buf = malloc(N * 96);
	size_t l = 0;
	CHECK(dd_groups(P, R, keep, kept, rank, NULL, &err) == 0, "%s", err.msg);
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "r%d", i);
		long long p = dd_pool_find(P, id);
		l += (size_t)snprintf(buf + l, 96, "%s %s %zu %s %.9g %.9g\n", id, P->id[kept[p]],
		                      rank[p], R->nn[p] >= 0 ? P->id[R->nn[p]] : "-",
		                      R->nn_sim[p], R->density[p]);
	}
	return buf;
}

TEST(invariant_under_order_threads_shards)
{
	static int perm[N];
	for (int i = 0; i < N; i++)
		perm[i] = (i * 163) % N;    /* 163 is prime to 400 */
	for (int mode = 0; mode < 2; mode++) {
		struct dd_pool P, Q;
		struct dd_result R, S;
		struct dd_opts o = defaults();
		o.clusters = mode ? 6 : 0;
		enum dd_keep keep = mode ? DD_KEEP_SEMDEDUP : DD_KEEP_SCORE;
		load(&P, NULL, 1, 7);
		search(&P, &R, &o);
		char *ref = summary(&P, &R, keep);
		/* shuffled input, 2 threads */
		load(&Q, perm, 1, 7);
		o.threads = 2;
		search(&Q, &S, &o);
		char *got = summary(&Q, &S, keep);
		CHECK(strcmp(ref, got) == 0, "mode %d: shuffled, -j 2: different results", mode);
		free(got);
		dd_result_free(&S);
		/* three shards through partial files, merged */
		struct wn_err err = { 0 };
		CHECK(dd_result_init(&S, Q.n, mode, &err) == 0, "%s", err.msg);
		char *run = NULL;
		for (int sh = 0; sh < 3; sh++) {
			struct dd_result T;
			struct dd_opts os = o;
			os.shard = sh;
			os.nshards = 3;
			search(&Q, &T, &os);
			char *text = NULL;
			size_t len = 0;
			FILE *fp = open_memstream(&text, &len);
			CHECK(dd_partial_write(fp, "part", &Q, &T, &os, &err) == 0, "%s", err.msg);
			fclose(fp);
			fp = fmemopen(text, len, "r");
			struct mf_reader *r = mf_open(fp, "part", MF_CHECK_DUPS, &err);
			CHECK(r && dd_partial_read(r, &Q, &S, &run, &err) == 0, "%s", err.msg);
			mf_close(r);
			fclose(fp);
			free(text);
			dd_result_free(&T);
		}
		CHECK(dd_partial_check(&Q, &S, "m.tsv", &err) == 0, "%s", err.msg);
		got = summary(&Q, &S, keep);
		CHECK(strcmp(ref, got) == 0, "mode %d: 3 shards merged: different results", mode);
		free(got);
		free(run);
		free(ref);
		dd_result_free(&S);
		dd_result_free(&R);
		dd_pool_free(&P);
		dd_pool_free(&Q);
	}
}

TEST(kept_row_is_highest_score_then_lowest_hash)
{
	struct dd_pool P;
	struct dd_result R;
	struct dd_opts o = defaults();
	struct wn_err err = { 0 };
	static int64_t kept[N];
	static size_t rank[N];
	load(&P, NULL, 1, 3);
	search(&P, &R, &o);
	CHECK(dd_groups(&P, &R, DD_KEEP_SCORE, kept, rank, NULL, &err) == 0, "%s", err.msg);
	int bad = 0;
	for (size_t p = 0; p < P.n; p++) {
		int64_t k = kept[p];
		/* nobody in the group beats the kept row */
		for (size_t q = 0; q < P.n; q++) {
			if (kept[q] != k || (int64_t)q == k)
				continue;
			if (P.score[q] > P.score[k] ||
			    (P.score[q] == P.score[k] && P.key[q] < P.key[k]))
				bad++;
		}
	}
	CHECK(bad == 0, "%d rows beat their group's kept row", bad);
	dd_result_free(&R);
	dd_pool_free(&P);
}

int
main(void)
{
	make_data();
	RUN(neighbours_and_density_match_brute_force);
	RUN(groups_match_slow_union);
	RUN(chain_joins_through_links);
	RUN(invariant_under_order_threads_shards);
	RUN(kept_row_is_highest_score_then_lowest_hash);
	unlink(npypath);
	return unit_done();
}
