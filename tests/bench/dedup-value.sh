#!/bin/sh
# tests/bench/dedup-value.sh - what dropping near-duplicates before
# selection is worth to the final model (issue 17, "Value").
#
# The pool: N0 Fashion-MNIST training images and N0/2 near-copies of
# distinct ones among them (tests/bench/dedup-quality.py gen: exact copies,
# Gaussian noise, a one-pixel shift, JPEG re-encoding, brightness, a fifth
# each), so a third of the pool is a near-duplicate of the rest; a copy
# has its original's label.  The demo's settings (pipelines/demo): random
# features (-m random -d 1024), a 4% labeled seed stratified by label, the
# final model winnow-train's softmax tested on Fashion-MNIST's 10,000 test
# images.  At the same labeling budget B (the seed included, FRACTION of
# the pool), the final model trained on:
#   random   the seed and random rows of the pool
#   select   winnow's default selection over the pool (pipelines/rounds:
#            biased on the margin, alpha 2, 4 rounds)
#   dedup    winnow-dedup first (default threshold; a group holding a seed
#            row keeps it: --score on a seed column), then the same
#            selection over the rows kept, for the same B rows
# Biased sampling draws each row with its own probability, so select and
# dedup label B rows in expectation (the count is printed), random
# exactly B.  Each row: test accuracy (mean and spread over the seeds)
# and how many of the labels were paid twice (a selected row whose original, or
# another copy of it, is selected too: the truth file, not dedup's groups).
#
# DEDUP_VALUE_N0 (20000), DEDUP_VALUE_FRACTIONS ("0.1 0.3"),
# DEDUP_VALUE_SEEDS ("1 2 3"), DEDUP_JOBS (2) threads.
set -eu
n0=${DEDUP_VALUE_N0:-20000}
fractions=${DEDUP_VALUE_FRACTIONS:-0.1 0.3}
seeds=${DEDUP_VALUE_SEEDS:-1 2 3}
j=${DEDUP_JOBS:-2}
py=/usr/bin/python3
top=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dedup-value.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
train_opts="-m softmax -l 3e-3 --max-iter 80 --lambda-per full:60000"

m=$((n0 / 10))
echo "value: $n0 Fashion-MNIST images + $((5 * m)) near-copies ($m per transform), random features, 4% seed"
$py tests/bench/dedup-quality.py gen "$n0" "$m" "$tmp/q"
winnow-manifest idx --classes data/fashion-mnist-classes.txt --id-prefix q "$tmp/q-images-idx3-ubyte" "$tmp/q-labels-idx1-ubyte" >"$tmp/q.tsv"
sh data/fashion-mnist.sh "$tmp/fm" >/dev/null
winnow-embed -m random -d 1024 -j "$j" -o "$tmp/pool.npy" "$tmp/q.tsv" >"$tmp/pool.tsv"
winnow-embed -m random -d 1024 -j "$j" -o "$tmp/test.npy" "$tmp/fm/test.tsv" >"$tmp/test.tsv"
n=$(($(wc -l <"$tmp/pool.tsv") - 1))

# family id: the original's row for a copy, its own row otherwise
awk -F '\t' 'NR > 1 { print "q-" $1 "\tq-" $2 }' "$tmp/q-truth.tsv" >"$tmp/family.tsv"

# paid_twice SELECTED: selected rows whose family has another selected row
paid_twice() {
	awk -F '\t' 'NR == FNR { fam[$1] = $2; next }
	FNR == 1 { next }
	{ f = ($1 in fam) ? fam[$1] : $1; c[f]++ }
	END { for (f in c) d += c[f] - 1; print d + 0 }' "$tmp/family.tsv" "$1"
}

# train MANIFEST: the final model's test accuracy
train() {
	# shellcheck disable=SC2086 # options are words
	winnow-train $train_opts -j "$j" --seed 1 --test "$tmp/test.npy:$tmp/test.tsv" \
		-o "$tmp/model" "$tmp/pool.npy" "$1" >"$tmp/train.out"
	sed -n 's/^final: .* test_accuracy \([0-9.]*\) .*/\1/p' "$tmp/train.out"
}

: >"$tmp/results"
for s in $seeds; do
	winnow-manifest split -f 0.04 --seed "$s" --stratify label -o "$tmp/seed.tsv" "$tmp/pool.tsv"
	# dedup once per seed: the seed's rows are kept in their groups
	awk -F '\t' -v OFS='\t' 'NR == FNR { if (FNR > 1) sd[$1]; next }
	FNR == 1 { print $0, "seeded"; next } { print $0, ($1 in sd) ? 1 : 0 }' \
		"$tmp/seed.tsv" "$tmp/pool.tsv" >"$tmp/pool.seeded.tsv"
	winnow-dedup -j "$j" --score seeded --drop -o "$tmp/dd.tsv" "$tmp/pool.npy" "$tmp/pool.seeded.tsv"
	nd=$(($(wc -l <"$tmp/dd.tsv") - 1))
	for f in $fractions; do
		b=$(awk -v f="$f" -v n="$n" 'BEGIN { print int(f * n + 0.5) }')
		winnow-select -n "$b" -s random --seed "$s" --kept "$tmp/seed.tsv" "$tmp/pool.tsv" >"$tmp/random.tsv"
		sh pipelines/rounds -f "$f" -S "$s" -o "$tmp/select.tsv" "$tmp/pool.npy" "$tmp/pool.tsv" "$tmp/seed.tsv"
		# the same B rows from the n_d rows dedup kept: FRACTION B / n_d
		fd=$(awk -v b="$b" -v n="$nd" 'BEGIN { printf "%.9f", b / n }')
		sh pipelines/rounds -f "$fd" -S "$s" -o "$tmp/dedup.tsv" "$tmp/pool.npy" "$tmp/dd.tsv" "$tmp/seed.tsv"
		for arm in random select dedup; do
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$arm" "$s" "$(train "$tmp/$arm.tsv")" \
				"$(paid_twice "$tmp/$arm.tsv")" "$nd" "$(($(wc -l <"$tmp/$arm.tsv") - 1))" >>"$tmp/results"
		done
	done
done
awk -F '\t' -v n="$n" '
{ k = $1 SUBSEP $2; a[k] += $4; a2[k] += $4 * $4; d[k] += $5; c[k]++; nd += $6; r++; kept[k] += $7
  if (!($1 in seen)) { seen[$1]; fo[++nf] = $1 } }
END {
	printf "pool %d rows; dedup kept %.0f on average (%.1f%% dropped)\n", n, nd / r, 100 * (1 - nd / r / n)
	printf "%-9s %-7s %8s %8s %16s %11s\n", "fraction", "arm", "budget", "labeled", "test accuracy", "paid twice"
	split("random select dedup", arms, " ")
	for (i = 1; i <= nf; i++) for (t = 1; t <= 3; t++) {
		k = fo[i] SUBSEP arms[t]; m = a[k] / c[k]
		sd = c[k] > 1 ? sqrt((a2[k] - c[k] * m * m) / (c[k] - 1)) : 0
		printf "%-9s %-7s %8d %8.0f %9.4f+-%.4f %11.0f\n", fo[i], arms[t], int(fo[i] * n + 0.5), kept[k] / c[k], m, sd, d[k] / c[k]
	}
	printf "(%d seeds; +- the standard deviation over them)\n", c[k]
}' "$tmp/results"
