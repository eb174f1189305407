/*
 * kernel.c - the fixed-order products of prediction and scoring
 * (kernel.h): a register-blocked tile for each, and the loops over them.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "kernel.h"

enum {
	TR = 4,     /* rows a tile of sur__affine_rows */
	TJ = 5,     /* outputs a tile of sur__affine_rows */
	QR = 32,    /* rows a tile of sur__lower_quad, in the vector lanes */
	QJ = 8,     /* factor rows a tile of sur__lower_quad */
	/* rows swept through one slice of the factor in sur__lower_quad:
	 * 128 rows of a 2049-wide problem are 1 MiB, half the L2 cache,
	 * and each slice of QJ factor rows is read once a block */
	SOLVE_ROWS = 4 * QR
};

/* The sum of eight partial sums, in a fixed order. */
static inline float
sum8(const float a[SUR_LANES])
{
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/*
 * s[r][j] = the lane sum over [0, len) (len a multiple of SUR_LANES) of
 * x[r][c] w[j][c], for TR rows x and TJ weight rows w (pointers may
 * repeat: a tile at the edge computes a row or an output twice and the
 * caller drops the copy).  Each sum is written out by name, not indexed:
 * an array of them indexed by row and output is kept in memory, a store
 * and a load a step, where twenty named ones stay in vector registers.
 */
SUR_FMA_CLONES
static void
tile(const float *const x[TR], const float *const w[TJ], int len, float s[TR][TJ])
{
	const float *restrict x0 = x[0], *restrict x1 = x[1], *restrict x2 = x[2];
	const float *restrict x3 = x[3];
	const float *restrict w0 = w[0], *restrict w1 = w[1], *restrict w2 = w[2];
	const float *restrict w3 = w[3], *restrict w4 = w[4];
	float a00[SUR_LANES] = { 0 }, a01[SUR_LANES] = { 0 }, a02[SUR_LANES] = { 0 };
	float a03[SUR_LANES] = { 0 }, a04[SUR_LANES] = { 0 };
	float a10[SUR_LANES] = { 0 }, a11[SUR_LANES] = { 0 }, a12[SUR_LANES] = { 0 };
	float a13[SUR_LANES] = { 0 }, a14[SUR_LANES] = { 0 };
	float a20[SUR_LANES] = { 0 }, a21[SUR_LANES] = { 0 }, a22[SUR_LANES] = { 0 };
	float a23[SUR_LANES] = { 0 }, a24[SUR_LANES] = { 0 };
	float a30[SUR_LANES] = { 0 }, a31[SUR_LANES] = { 0 }, a32[SUR_LANES] = { 0 };
	float a33[SUR_LANES] = { 0 }, a34[SUR_LANES] = { 0 };
	for (int c = 0; c < len; c += SUR_LANES)
		for (int l = 0; l < SUR_LANES; l++) {
			const float v0 = x0[c + l], v1 = x1[c + l], v2 = x2[c + l], v3 = x3[c + l];
			const float u0 = w0[c + l], u1 = w1[c + l], u2 = w2[c + l];
			const float u3 = w3[c + l], u4 = w4[c + l];
			a00[l] = fmaf(v0, u0, a00[l]); a01[l] = fmaf(v0, u1, a01[l]); a02[l] = fmaf(v0, u2, a02[l]);
			a03[l] = fmaf(v0, u3, a03[l]); a04[l] = fmaf(v0, u4, a04[l]);
			a10[l] = fmaf(v1, u0, a10[l]); a11[l] = fmaf(v1, u1, a11[l]); a12[l] = fmaf(v1, u2, a12[l]);
			a13[l] = fmaf(v1, u3, a13[l]); a14[l] = fmaf(v1, u4, a14[l]);
			a20[l] = fmaf(v2, u0, a20[l]); a21[l] = fmaf(v2, u1, a21[l]); a22[l] = fmaf(v2, u2, a22[l]);
			a23[l] = fmaf(v2, u3, a23[l]); a24[l] = fmaf(v2, u4, a24[l]);
			a30[l] = fmaf(v3, u0, a30[l]); a31[l] = fmaf(v3, u1, a31[l]); a32[l] = fmaf(v3, u2, a32[l]);
			a33[l] = fmaf(v3, u3, a33[l]); a34[l] = fmaf(v3, u4, a34[l]);
		}
	s[0][0] = sum8(a00); s[0][1] = sum8(a01); s[0][2] = sum8(a02);
	s[0][3] = sum8(a03); s[0][4] = sum8(a04);
	s[1][0] = sum8(a10); s[1][1] = sum8(a11); s[1][2] = sum8(a12);
	s[1][3] = sum8(a13); s[1][4] = sum8(a14);
	s[2][0] = sum8(a20); s[2][1] = sum8(a21); s[2][2] = sum8(a22);
	s[2][3] = sum8(a23); s[2][4] = sum8(a24);
	s[3][0] = sum8(a30); s[3][1] = sum8(a31); s[3][2] = sum8(a32);
	s[3][3] = sum8(a33); s[3][4] = sum8(a34);
}

/* Pointers to rows [i, i + TR) of M (stride ld), the last real one
 * repeated past n. */
static void
tile_rows(const float *M, size_t ld, size_t i, size_t n, const float *p[], int t)
{
	for (int r = 0; r < t; r++)
		p[r] = M + (i + r < n ? i + r : n - 1) * ld;
}

SUR_FMA_CLONES
void
sur__affine_rows(const float *restrict X, size_t n, int in, const float *restrict W,
                 const float *restrict b, int out, float *restrict Y)
{
	int iv = in - in % SUR_LANES;
	for (size_t i = 0; i < n; i += TR) {
		const float *x[TR], *w[TJ];
		float s[TR][TJ];
		size_t nr = n - i < TR ? n - i : TR;
		tile_rows(X, (size_t)in, i, n, x, TR);
		/* ask for the next tile's rows now: a 1024-wide row is a 4 KiB
		 * page, and the hardware prefetchers stop at page boundaries
		 * (a hint, it changes no bit) */
		for (size_t r = i + TR; r < i + 2 * TR && r < n; r++)
			for (int c = 0; c < in; c += 64 / sizeof *X)
				__builtin_prefetch(X + r * in + c, 0, 3);
		for (int j = 0; j < out; j += TJ) {
			int nj = out - j < TJ ? out - j : TJ;
			tile_rows(W, (size_t)in, (size_t)j, (size_t)out, w, TJ);
			tile(x, w, iv, s);
			for (size_t r = 0; r < nr; r++)
				for (int t = 0; t < nj; t++) {
					float v = s[r][t];
					for (int c = iv; c < in; c++)
						v = fmaf(x[r][c], w[t][c], v);
					Y[(i + r) * out + j + t] = (b ? b[j + t] : 0.0f) + v;
				}
		}
	}
}

/* Z, then the block transposed (ZA): each factor but the last solves a
 * copy of it in Z, the last solves ZA itself */
size_t
sur__lower_quad_scratch(int d1)
{
	return 2 * (size_t)SOLVE_ROWS * (size_t)d1;
}

/*
 * s_t[r] += sum_{l in [lo, hi)} L_t[l] Z[l][r] in ascending l, for QJ
 * factor rows L_t and the QR rows of a tile, whose values sit side by
 * side (Z[l][r] at Z + l * QR + r).  The rows are the vector lanes, so
 * each sum is one chain of fused multiply-adds in plain order, whatever
 * the vector width (kernel.h: SUR_FMA_CLONES), and
 * sixteen vectors of independent sums hide the adder's latency.
 */
SUR_FMA_CLONES
static void
solve_dots(const float *const Lt[QJ], const float *restrict Z, int lo, int hi,
           float s[QJ][QR])
{
	enum { H = QR / 2 };    /* each sum array one AVX-512 register */
	const float *restrict L0 = Lt[0], *restrict L1 = Lt[1], *restrict L2 = Lt[2];
	const float *restrict L3 = Lt[3], *restrict L4 = Lt[4], *restrict L5 = Lt[5];
	const float *restrict L6 = Lt[6], *restrict L7 = Lt[7];
	float a0[H], b0[H], a1[H], b1[H], a2[H], b2[H], a3[H], b3[H];
	float a4[H], b4[H], a5[H], b5[H], a6[H], b6[H], a7[H], b7[H];
	for (int r = 0; r < H; r++) {
		a0[r] = s[0][r], b0[r] = s[0][H + r];
		a1[r] = s[1][r], b1[r] = s[1][H + r];
		a2[r] = s[2][r], b2[r] = s[2][H + r];
		a3[r] = s[3][r], b3[r] = s[3][H + r];
		a4[r] = s[4][r], b4[r] = s[4][H + r];
		a5[r] = s[5][r], b5[r] = s[5][H + r];
		a6[r] = s[6][r], b6[r] = s[6][H + r];
		a7[r] = s[7][r], b7[r] = s[7][H + r];
	}
	for (int l = lo; l < hi; l++) {
		const float c0 = L0[l], c1 = L1[l], c2 = L2[l], c3 = L3[l];
		const float c4 = L4[l], c5 = L5[l], c6 = L6[l], c7 = L7[l];
		const float *restrict z = Z + (size_t)l * QR, *restrict y = z + H;
		for (int r = 0; r < H; r++) {
			a0[r] = fmaf(c0, z[r], a0[r]);
			b0[r] = fmaf(c0, y[r], b0[r]);
			a1[r] = fmaf(c1, z[r], a1[r]);
			b1[r] = fmaf(c1, y[r], b1[r]);
			a2[r] = fmaf(c2, z[r], a2[r]);
			b2[r] = fmaf(c2, y[r], b2[r]);
			a3[r] = fmaf(c3, z[r], a3[r]);
			b3[r] = fmaf(c3, y[r], b3[r]);
			a4[r] = fmaf(c4, z[r], a4[r]);
			b4[r] = fmaf(c4, y[r], b4[r]);
			a5[r] = fmaf(c5, z[r], a5[r]);
			b5[r] = fmaf(c5, y[r], b5[r]);
			a6[r] = fmaf(c6, z[r], a6[r]);
			b6[r] = fmaf(c6, y[r], b6[r]);
			a7[r] = fmaf(c7, z[r], a7[r]);
			b7[r] = fmaf(c7, y[r], b7[r]);
		}
	}
	for (int r = 0; r < H; r++) {
		s[0][r] = a0[r], s[0][H + r] = b0[r];
		s[1][r] = a1[r], s[1][H + r] = b1[r];
		s[2][r] = a2[r], s[2][H + r] = b2[r];
		s[3][r] = a3[r], s[3][H + r] = b3[r];
		s[4][r] = a4[r], s[4][H + r] = b4[r];
		s[5][r] = a5[r], s[5][H + r] = b5[r];
		s[6][r] = a6[r], s[6][H + r] = b6[r];
		s[7][r] = a7[r], s[7][H + r] = b7[r];
	}
}

/*
 * Forward substitution of SOLVE_ROWS rows at a time, transposed into Z
 * (QR rows a tile side by side), in place: the outputs QJ at a time,
 * each one's dot product with the solved part [0, j0) for every tile of
 * rows (the bulk of the work: each slice of QJ factor rows is read once
 * per SOLVE_ROWS rows), then the few terms from j0 to j as each z_j is
 * found, continuing the same sums (those loops, over the rows of a tile,
 * vectorise too: hence the clones).
 *
 * The block is transposed once (into ZA) for all nf factors; each factor
 * but the last solves a copy of it, the last ZA itself: transposing it
 * again for every class was a sixth of per-class influence at d = 784
 * (perf; a scatter of single floats, where the copy is whole vectors).
 */
SUR_FMA_CLONES
void
sur__lower_quads(const float *restrict L, int nf, int d1, const float *restrict A,
                 size_t n, size_t lda, double *restrict q, float *restrict Z)
{
	float *restrict ZA = Z + (size_t)SOLVE_ROWS * d1;
	for (size_t i0 = 0; i0 < n; i0 += SOLVE_ROWS) {
		size_t nb = n - i0 < SOLVE_ROWS ? n - i0 : SOLVE_ROWS;
		size_t ntile = (nb + QR - 1) / QR;
		/* tile g holds rows i0 + g QR + r; rows past n solve zeros */
		for (size_t g = 0; g < ntile; g++) {
			float *Zg = ZA + g * (size_t)QR * d1;
			if ((g + 1) * QR <= nb) {
				/* a whole tile a column at a time: the stores
				 * whole vectors, the loads gathered (a row at a
				 * time, each float was a store of its own: a
				 * tenth of influence-shared at d = 784) */
				const float *base = A + (i0 + g * QR) * lda;
				for (int j = 0; j < d1; j++)
					for (int r = 0; r < QR; r++)
						Zg[(size_t)j * QR + r] = base[(size_t)r * lda + j];
				continue;
			}
			for (int r = 0; r < QR; r++) {
				size_t i = g * QR + r;
				const float *a = A + (i0 + i) * lda;
				for (int j = 0; j < d1; j++)
					Zg[(size_t)j * QR + r] = i < nb ? a[j] : 0.0f;
			}
		}
		for (int f = 0; f < nf; f++) {
			const float *Lf = L + (size_t)f * d1 * d1;
			/* the last factor solves the transposed block itself */
			float *Zf = f == nf - 1 ? ZA : Z;
			if (Zf != ZA)
				memcpy(Zf, ZA, ntile * QR * (size_t)d1 * sizeof *Zf);
			for (int j0 = 0; j0 < d1; j0 += QJ) {
				int nj = d1 - j0 < QJ ? d1 - j0 : QJ;
				const float *Lt[QJ];
				tile_rows(Lf, (size_t)d1, (size_t)j0, (size_t)d1, Lt, QJ);
				/* the dot products of every tile first, then the
				 * triangles of all the tiles together: each z_j
				 * waits on a division and on the z before it, and
				 * the tiles' chains are independent, so the CPU
				 * overlaps them (one tile at a time, the waits
				 * were a tenth of the solve at d = 784) */
				float s[SOLVE_ROWS / QR][QJ][QR];
				memset(s, 0, sizeof s);
				for (size_t g = 0; g < ntile; g++)
					solve_dots(Lt, Zf + g * (size_t)QR * d1, 0, j0, s[g]);
				for (int t = 0; t < nj; t++) {
					const float *Lj = Lt[t];
					for (size_t g = 0; g < ntile; g++) {
						float *Zg = Zf + g * (size_t)QR * d1;
						float *zj = Zg + (size_t)(j0 + t) * QR;
						for (int l = j0; l < j0 + t; l++)
							for (int r = 0; r < QR; r++)
								s[g][t][r] = fmaf(Lj[l], Zg[(size_t)l * QR + r], s[g][t][r]);
						for (int r = 0; r < QR; r++)
							zj[r] = (zj[r] - s[g][t][r]) / Lj[j0 + t];
					}
				}
			}
			for (size_t g = 0; g < ntile; g++) {
				const float *Zg = Zf + g * (size_t)QR * d1;
				double acc[QR] = { 0 };
				for (int j = 0; j < d1; j++)
					for (int r = 0; r < QR; r++) {
						double v = Zg[(size_t)j * QR + r];
						acc[r] += v * v;
					}
				for (int r = 0; r < QR && g * QR + r < nb; r++)
					q[(size_t)f * n + i0 + g * QR + r] = acc[r];
			}
		}
	}
}

void
sur__lower_quad(const float *L, int d1, const float *A, size_t n, size_t lda, double *q,
                float *Z)
{
	sur__lower_quads(L, 1, d1, A, n, lda, q, Z);
}
