/*
 * blas.c - one BLAS thread for the programs whose parallelism is their
 * own -j (prog.h).  In a file of its own so that the programs without
 * the BLAS do not link it.
 */
#include <cblas.h>

#include "prog.h"

/* OpenBLAS's (exported, not in its headers): weak, so that another BLAS
 * links too */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void
prog_blas_one_thread(void)
{
	/* one BLAS thread per worker: -j is the parallelism, and results do
	 * not depend on how OpenBLAS would split a GEMM */
	openblas_set_num_threads(1);
	/* and OpenBLAS's own threads, started before main and now idle,
	 * stopped: each spins on sched_yield for a while before it sleeps,
	 * a tenth of a CPU second a run (5% of winnow-embed -m pixels on
	 * 40,000 images; 0.24 against 0.39 CPU s for winnow-score -s margin
	 * on 60,000 rows of 1,600) */
	if (blas_thread_shutdown_)
		blas_thread_shutdown_();
}
