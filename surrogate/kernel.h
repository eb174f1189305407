/*
 * kernel.h - the fixed-order products that prediction and scoring spend
 * their time in (surrogate/ only): rows times a weight matrix, and rows
 * through a lower triangular factor.
 *
 * Row-pure: every output element is computed by the same operations in
 * the same order whatever the number of rows, a row's place among them,
 * the block it came in, the thread count, or the vector width of the CPU.
 * A dot product of length n is SUR_LANES partial sums, lane l taking the
 * products at l, l + SUR_LANES, ... in ascending order, each fused into its
 * sum (a = fmaf(x, w, a): one rounding), added together as
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); what follows depends
 * on the kernel (below).  The speed comes from register blocking (four
 * rows by five outputs, twenty independent sums in flight, each load of a
 * row serving five outputs and each load of a weight row four rows; for
 * the solve, 32 rows side by side in the vector lanes by four factor
 * rows) and from sweeping a block of rows through one slice of the
 * weights or factor at a time; none of it changes the order of a sum.
 *
 * Why not cblas_sgemm / cblas_strsm: OpenBLAS picks its kernels, its
 * blocking of the summed dimension and its split over threads from the
 * shape of the call and the thread count, so the last bits of a row's
 * result change with the number of rows in the call (pipelines.bats
 * failed on exactly that: a sharded run's scores differed from the
 * unsharded run's in the ninth digit).  Scores have to be byte-identical
 * whatever --block, --shard or -j.
 */
#ifndef SUR_KERNEL_H
#define SUR_KERNEL_H

#include <stddef.h>

/* Partial sums per dot product. */
enum { SUR_LANES = 8 };

/*
 * The hot float loops (these kernels, the softmax pass) are compiled
 * three times on x86-64, for AVX-512, AVX2 and the baseline, and the
 * loader picks one for the CPU (GCC function multi-versioning).  ISO C
 * mode keeps floating-point contraction off, so every version does the
 * same operations in the same order on each lane: the same bits, twice
 * the speed on a CPU from the last decade (and the softmax gradient's
 * column blocks another 1.6x with AVX-512).  GCC only: Clang wants the
 * attribute on every declaration, and the sanitizer and fuzzer builds
 * gain nothing from it.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SUR_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
/*
 * The two products (sur__affine_rows, the influence solve) fuse their
 * multiply-adds with fmaf() instead:
 * fma is one correctly rounded operation in IEEE 754, so every CPU gives
 * the same bits, and where the CPU has FMA (x86-64-v3 and up: Haswell,
 * 2013) the clones compile it to the instruction, 1.4-1.8x the speed of
 * a multiply and an add (tests/bench/score-kernel.c); the baseline
 * clone and other compilers call the C library's fmaf, slower and exact.
 */
#define SUR_FMA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SUR_VECTOR_CLONES
#define SUR_FMA_CLONES
#endif

/*
 * Y (n x out) = X (n x in) W' + b, W out x in, all row-major and dense.
 * Y[i][j] = b[j] + (D + sum_{c >= iv} X[i][c] W[j][c], c ascending, each
 * term fused), with D the lane sum over [0, iv), iv = in rounded down to
 * a multiple of SUR_LANES; b NULL is a bias of zeros.  Fused, the tile runs at 1.3-1.6x the speed of
 * a multiply and an add (rows of 784 and 2048 in the L2 cache, AVX2 and
 * AVX-512 alike: it is bound by the loads, tests/bench/score-kernel.c).
 */
void sur__affine_rows(const float *X, size_t n, int in, const float *W, const float *b,
                      int out, float *Y);

/*
 * q[i] = a_i' (L L')^-1 a_i = ||z_i||^2 with z_i = L^-1 a_i, for the n
 * rows a_i of A (n x d1, row stride lda >= d1), L lower triangular
 * (d1 x d1, row-major, positive diagonal; the upper triangle is not read).
 * z by forward substitution in float, z_j = (a_j - s_j) / L_jj with
 * s_j = sum_{l < j} L_jl z_l summed from 0 in ascending l, each term
 * fused, s = fmaf(L_jl, z_l, s) (one chain: the blocking puts rows, not
 * terms, side by side), and
 * q_i = sum_j z_j^2 in double, ascending j.  Z is
 * scratch of sur__lower_quad_scratch(d1) floats.
 */
void sur__lower_quad(const float *L, int d1, const float *A, size_t n, size_t lda,
                     double *q, float *Z);
/* The same for nf factors at once (L: nf of them, d1 x d1 apart), q[f n + i]
 * factor f's for row i, the same bits as nf calls of sur__lower_quad. */
void sur__lower_quads(const float *L, int nf, int d1, const float *A, size_t n,
                      size_t lda, double *q, float *Z);
size_t sur__lower_quad_scratch(int d1);

#endif
