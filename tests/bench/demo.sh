#!/bin/sh
# tests/bench/demo.sh - the whole demo (pipelines/demo: manifests, embed,
# seed, fit, score, select, three trainings) against the same pipeline in
# NumPy + scikit-learn (tests/bench/demo-reference.py), same settings, same
# machine, BENCH_REPS times each (default 2), interleaved.  Prints both
# tables, the wall times and the ratio of the fastest runs (aim: winnow at
# least 10x faster).  Both sides minimise
# the same objective (standardised features, the same penalty); winnow's
# preconditioned L-BFGS stops at the demo's --max-iter, scikit-learn's at
# 200 iterations, and each side prints the objective its models reached,
# so the speed is compared at equal optimisation, not at equal iterations.
# The demo's near-duplicate count (winnow-dedup) is left out
# (DEMO_DEDUP=0): the reference has no counterpart.
# Run by `make bench` (cwd = repository root, bin/ on PATH).
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/winnow-bench-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
jobs=${DEMO_JOBS:-2}
# the reference embeds as the demo does: DEMO_EMBED (the demo's default if
# unset) -m kmeans is matched by --method kmeans (400 centroids, learned
# from the training images as the demo learns them), anything else by
# random features of 1,024 dimensions
case " ${DEMO_EMBED:--m kmeans} " in
*" -m kmeans "*) ref_embed="--method kmeans --centroids 400" ;;
*) ref_embed="--method random --dim 1024" ;;
esac
# BENCH_REPS runs of each side, interleaved (winnow, reference, winnow,
# ...); the fastest of each is compared: the machine is shared, and the
# least disturbed run is the best estimate of each side's own time.
reps=${BENCH_REPS:-2}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
tw='' tp='' cw='' cp=''
# cpu CMD...: run CMD, its CPU seconds (user + system, children included)
# into $tmpcpu: the steadier measure on a shared machine
cpu() {
	/usr/bin/time -f '%U %S' -o "$dir/cpu" "$@" || return
	tmpcpu=$(awk '{ print $1 + $2 }' "$dir/cpu")
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

r=1
while [ "$r" -le "$reps" ]; do
	rm -rf "$dir/demo"
	t=$(now)
	cpu env DEMO_OUT="$dir/demo" DEMO_JOBS="$jobs" DEMO_REPORT=0 DEMO_DEDUP=0 \
		sh pipelines/demo >"$dir/winnow.out" 2>/dev/null
	t=$(since "$t")
	echo "run $r: winnow $t s wall, $tmpcpu s CPU"
	tw=$(min "$tw" "$t")
	cw=$(min "$cw" "$tmpcpu")

	t=$(now)
	# OpenBLAS's idle threads spin for the time pipelines/lib.sh gives
	# winnow's programs (OPENBLAS_THREAD_TIMEOUT), not 64 times longer
	# shellcheck disable=SC2086 # options are words
	cpu env OPENBLAS_THREAD_TIMEOUT=4 OPENBLAS_NUM_THREADS="$jobs" OMP_NUM_THREADS="$jobs" \
		/usr/bin/python3 tests/bench/demo-reference.py \
		$ref_embed --fraction 0.3 --scheme biased --alpha 2 --rounds 4 --max-iter 200 \
		--lambda-per-full 60000 >"$dir/reference.out"
	t=$(since "$t")
	echo "run $r: NumPy + scikit-learn $t s wall, $tmpcpu s CPU"
	tp=$(min "$tp" "$t")
	cp=$(min "$cp" "$tmpcpu")
	r=$((r + 1))
done
cat "$dir/winnow.out"
# the objective each final model reached, to compare with the reference's
for m in full random winnow; do
	printf '%-8s %s\n' "$m" "$(grep '^L-BFGS:' "$dir/demo/$m.out")"
done
cat "$dir/reference.out"

awk -v w="$tw" -v p="$tp" -v n="$reps" -v cw="$cw" -v cp="$cp" 'BEGIN {
	printf "demo (fastest of %d runs each): winnow %.1f s, NumPy + scikit-learn %.1f s: winnow %.1fx faster\n", n, w, p, p / w
	printf "CPU seconds (least of %d runs each): winnow %.1f, NumPy + scikit-learn %.1f: %.1fx\n", n, cw, cp, cp / cw }'
