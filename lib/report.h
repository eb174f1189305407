/*
 * report.h - winnow-report's page: what a selection kept and dropped,
 * as one self-contained HTML file (thumbnails inline as PNG data URIs,
 * charts as inline SVG, a few lines of plain JavaScript for the class
 * filter; no CDN, no server).
 *
 * Inputs: the pool (a manifest every row of which the selection saw:
 * winnow-score's output, with whatever winnow-dedup and winnow-audit
 * added), read twice -- once for the score range and the near-duplicate
 * group sizes, once for everything else -- and optionally the kept rows
 * (winnow-select's output: an ordered subset of the pool), joined with the
 * second pass by id in constant memory.  The columns present decide which
 * sections appear; a section whose columns are missing is left out and
 * the page says so.
 *
 * Memory does not grow with the pool but for two documented exceptions:
 * the first pass's duplicate-id check (manifest.h, 16 bytes a row, freed
 * before the second) and the recomputed pi(s) (rp_opts.fraction or
 * .count: the selection's plan, 16 bytes a row, select.h).  Per class it
 * keeps counts, a histogram and 6 x per_class thumbnails; per tracked
 * near-duplicate group 16 bytes (at most max_groups of them).
 *
 * Library code: nothing here prints; warnings (an image that would not
 * decode) go to the caller's callback.
 */
#ifndef WN_REPORT_H
#define WN_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "manifest.h"

struct rp_opts {
	const char *by;         /* class column; NULL: label if present, else pred */
	const char *score;      /* score column ["score"] */
	int per_class;          /* thumbnails per class, side and kind [4] */
	long long budget;       /* bytes of thumbnails in the page [4 MB] */
	int side;               /* thumbnail side in pixels [64] */
	int bins;               /* histogram bins [40] */
	uint64_t seed;          /* of the random sample [0] */
	int groups;             /* near-duplicate groups shown [8] */
	int members;            /* members shown per group [8] */
	int issues;             /* label issues shown [24] */
	long long max_groups;   /* near-duplicate groups counted [1 << 20] */
	int have_alpha;         /* --alpha given: draw pi(s) of biased sampling */
	double alpha;
	double fraction;        /* > 0: recompute c for this budget share */
	long long count;        /* > 0: ... for this budget count */
	const char *title;      /* [winnow report] */
	int no_images;          /* placeholders only (the fuzz harness) */
};

void rp_opts_default(struct rp_opts *o);

struct rp_report;

/* A report for the options (copied, strings borrowed). NULL (70) on no
 * memory. */
struct rp_report *rp_new(const struct rp_opts *o, struct wn_err *err);
void rp_free(struct rp_report *rp);

/* The first pass over the pool (opened with MF_CHECK_DUPS by the caller):
 * checks every field a section reads (65, FILE:LINE), finds the score
 * range and counts near-duplicate groups. */
int rp_pass1(struct rp_report *rp, struct mf_reader *pool, struct wn_err *err);
/* The second pass over the same pool, with the kept rows (NULL: no
 * selection to show).  65 naming the kept file and line when the kept
 * rows are not an ordered subset of the pool, or the pool changed since
 * the first pass. */
int rp_pass2(struct rp_report *rp, struct mf_reader *pool, struct mf_reader *kept,
             struct wn_err *err);

/* A sweep's results (pipelines/sweep: scheme, fraction, seed, samples,
 * test_accuracy, train_seconds; TSV with a header) from fp; name for
 * messages.  65 on a malformed file. */
int rp_add_sweep(struct rp_report *rp, FILE *fp, const char *name, struct wn_err *err);
/* Any TSV table with a header (the demo's results), shown as it is (at
 * most 200 rows). */
int rp_add_table(struct rp_report *rp, FILE *fp, const char *name, struct wn_err *err);

/* Called once per warning (an image that would not decode...). */
typedef void rp_warn_fn(void *arg, const char *msg);

/* Make the thumbnails (images through img.h; a placeholder and a warning
 * for each one that fails) and write the page to fp.  74 on a write
 * error, 70 on no memory. */
int rp_write(struct rp_report *rp, FILE *fp, const char *fpname, rp_warn_fn *warn,
             void *warnarg, struct wn_err *err);

/* Bytes of thumbnails written (after rp_write). */
long long rp_thumb_bytes(const struct rp_report *rp);

/* ---- kernels, exposed for the unit tests ---- */

/* SageMaker Clarify's class imbalance CI = (n_a - n_d) / (n_a + n_d);
 * NAN when both are 0. */
double rp_ci(long long n_a, long long n_d);
/* Clarify's difference in proportions of labels DPL = q_a - q_d,
 * q_a = pos_a / n_a the share of facet a with the positive label; NAN
 * when a facet is empty. */
double rp_dpl(long long pos_a, long long n_a, long long pos_d, long long n_d);
/* Write s HTML-escaped (& < > " ' as entities): safe as element text and
 * as a quoted attribute value. */
void rp_html_escape(FILE *fp, const char *s);

#endif
