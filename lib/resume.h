/*
 * resume.h - an embeddings .npy written in rounds of rows, which a killed
 * run can resume (winnow-embed --resume).
 *
 * Without resume the rows go to an atomic temporary file (atomic.h)
 * through npy_writer_*.  With resume they go to OUT.part, and after each
 * round (rs_round: whole batches only, so a resumed run batches the rest
 * exactly as an uninterrupted one) a line is appended to the sidecar
 * OUT.resume:
 *
 *   winnow-embed-resume 1
 *   config HASH            the options that shape the bytes (the caller's)
 *   skip N                 input row N was skipped (--on-error skip)
 *   done IN OUT SKIP HASH  IN input rows consumed, OUT written, SKIP
 *                          skipped, HASH of the ids (the caller's)
 *
 * The .part file is flushed and fdatasync'ed before the line is written.
 * rs_open() of a resumed run truncates .part after the last "done" and
 * rewrites the sidecar with what is valid; the caller re-reads the first
 * done_in rows (checking their ids against done_hash) and continues.
 * rs_commit() writes the header, renames .part to OUT and removes the
 * sidecar.
 */
#ifndef WN_RESUME_H
#define WN_RESUME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "atomic.h"
#include "err.h"
#include "npy.h"

struct rs_sink {
	const char *out;        /* OUT */
	int resume;
	struct npy_writer *w;
	FILE *fp;               /* the .npy being written */
	struct wn_out ao;       /* without resume */
	char *part, *side;      /* with resume: OUT.part, OUT.resume */
	FILE *sfp;              /* the sidecar, appending */
	size_t cols;
	long long rows;         /* rows written, those of the interrupted run included */
	/* what the interrupted run had done (all 0 for a fresh run) */
	long long done_in, done_out, done_skip;
	uint64_t done_hash;
	long long *skips;       /* input rows it skipped, nskips of them */
	size_t nskips;
};

/*
 * Open the output OUT for cols-wide float rows; with resume, pick up the
 * run recorded in OUT.part and OUT.resume if there is one and its config
 * line is config.  65 naming the sidecar when it is not one, was written
 * with another config (remove both files to start over), or disagrees
 * with .part; 73 when a file cannot be created; 74.
 */
int rs_open(struct rs_sink *s, const char *out, size_t cols, uint64_t config, int resume,
            struct wn_err *err);
/* Append n rows.  74 on a write error. */
int rs_rows(struct rs_sink *s, const float *rows, size_t n, struct wn_err *err);
/* Record that input row in was skipped (resume only; else nothing). */
int rs_skip(struct rs_sink *s, long long in, struct wn_err *err);
/* End of a round: in input rows consumed, skipped of them skipped, idhash
 * of their ids (resume only: sync .part, append "done", sync). */
int rs_round(struct rs_sink *s, long long in, long long skipped, uint64_t idhash,
             struct wn_err *err);
/* Write the header and make OUT appear whole; frees s. */
int rs_commit(struct rs_sink *s, struct wn_err *err);

/* After a run without --resume: remove OUT.part and OUT.resume, which an
 * interrupted --resume run left and which would let a later --resume
 * continue that old run over this one's output.  Returns which were
 * removed: RS_STALE_PART | RS_STALE_SIDE. */
enum { RS_STALE_PART = 1, RS_STALE_SIDE = 2 };
int rs_remove_stale(const char *out);
#endif
