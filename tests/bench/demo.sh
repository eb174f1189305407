#!/bin/sh
# tests/bench/demo.sh - the whole demo (pipelines/demo: manifests, embed,
# seed, fit, score, select, three trainings) against the same pipeline in
# NumPy + scikit-learn (tests/bench/demo-reference.py), same settings, same
# machine, one after the other.  Prints both tables, the wall times and
# the speed ratio (aim: winnow at least 10x faster).  Both sides minimise
# the same objective (standardised features, the same penalty); winnow's
# preconditioned L-BFGS stops at the demo's --max-iter, scikit-learn's at
# 200 iterations, and each side prints the objective its models reached,
# so the speed is compared at equal optimisation, not at equal iterations.
# Run by `make bench` (cwd = repository root, bin/ on PATH).
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/winnow-bench-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
jobs=${DEMO_JOBS:-2}
now() { date +%s.%N; }

t=$(now)
DEMO_OUT=$dir/demo DEMO_JOBS=$jobs sh pipelines/demo 2>/dev/null
tw=$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
# the objective each final model reached, to compare with the reference's
for m in full random winnow; do
	printf '%-8s %s\n' "$m" "$(grep '^L-BFGS:' "$dir/demo/$m.out")"
done

t=$(now)
OPENBLAS_NUM_THREADS=$jobs OMP_NUM_THREADS=$jobs /usr/bin/python3 tests/bench/demo-reference.py \
	--method random --dim 1024 --fraction 0.3 --scheme biased --alpha 2 --rounds 4 --max-iter 200 \
	--lambda-per-full 60000
tp=$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')

awk -v w="$tw" -v p="$tp" 'BEGIN {
	printf "demo: winnow %.1f s, NumPy + scikit-learn %.1f s: winnow %.1fx faster\n", w, p, p / w }'
