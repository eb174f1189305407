/*
 * internal.h - helpers shared by the surrogate/ sources only.
 */
#ifndef SUR_INTERNAL_H
#define SUR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "kernel.h"
#include "model.h"

/* Rows per BLAS block in loss/gradient/prediction loops. */
enum { SUR_BLOCK = 512 };

/* Workspace for prediction (model.c): one standardised block, hidden
 * activations, logits. */
struct sur_ws {
	size_t rows;        /* capacity in rows */
	int d, h, k;
	float *xs;          /* rows x d */
	float *a;           /* rows x h (mlp) */
	float *z;           /* rows x k */
};

/* Row-pure prediction (as sur__affine_rows): P (n x k), any n, for
 * standardised Xs; uses ws->a (mlp). */
void sur__forward_rows(const struct sur_model *m, const float *Xs, size_t n, float *P,
                       struct sur_ws *ws);

/* Forward pass of rows [0, n) (n <= ws->rows) of standardised Xs: fills
 * ws->a (mlp) and P (n x k). */
void sur__forward(const struct sur_model *m, const float *Xs, size_t n, float *P,
                  struct sur_ws *ws);

/* Checked size arithmetic: 0 on overflow. */
size_t sur__mul(size_t a, size_t b);

/* One row of logits z[0..k) with true class y: replaces each z_c by
 * exp(z_c - max z) and returns their sum; *nll gets the cross-entropy
 * -log softmax(z)_y = log(sum) - (z_y - max z).  The loss of every
 * trainer (softmax, mlp, sifting) goes through here. */
double sur__exp_logits(float *z, int k, int y, double *nll);

/*
 * Tensor sections (model files and trainer checkpoints): a YAML block
 * ended by "...", then float32 tensors, then an XXH64 of their bytes.
 */
struct sur__tensor {
	const char *name;
	float *data;
	size_t n;           /* elements */
	int rank;
	size_t shape[3];
	int discard;        /* read: hash and check, keep nothing (data NULL) */
};

/* Write the "tensors:" key, "...", the data and the checksum. */
int sur__write_tensors(FILE *fp, const char *name, const struct sur__tensor *t, int nt,
                       struct wn_err *err);
/* Read "tensors:" lines (after the caller has read that key) matching t,
 * the "..." line, then the data (allocated into t[i].data with malloc,
 * except for the t[i].discard ones, which stay NULL) and the checksum;
 * check every value is finite.  65/74. */
int sur__read_tensors(FILE *fp, const char *name, struct sur__tensor *t, int nt,
                      struct wn_err *err);

/* A YAML double-quoted scalar for s (escapes " \ and control bytes). */
void sur__put_quoted(FILE *fp, const char *s);

/* Line reader for the metadata: next line without its newline into *buf;
 * 0 at EOF, -1 on a read error, else 1. */
int sur__getline(FILE *fp, char **buf, size_t *cap);

/* Parse "key: value" (value may be empty); 0 if the line is not that. */
int sur__split(char *line, char **key, char **val);

#endif
