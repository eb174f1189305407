#!/bin/sh
# tests/bench/adaptive.sh - adaptive subset selection during training
# (winnow-train --adaptive) on Fashion-MNIST embeddings with an MLP head, in
# the layout of the GLISTER paper's table: for each fraction F, each method
# against adaptive random at the same F and against training on all the
# data (the reference, measured here): seconds per epoch (training only),
# total seconds (selection included), speedup over full data, selection
# seconds and their share of the training time saved, test accuracy (mean
# over the seeds) and its change against full data and against random.
# Run by `make bench` (cwd = repository root, bin/ on PATH).
#
# Settings from the environment [defaults]:
#   ADA_EPOCHS [7]  ADA_EVERY [3]  ADA_WARM [1]  ADA_SEEDS [1 2 3]
#   ADA_FRACTIONS [0.1 0.3 0.5]  ADA_METHODS [random glister gradmatch craig]
#   ADA_EMBED [-m random -d 256]  ADA_HIDDEN [256]  ADA_JOBS [2]
#   ADA_OUT (keep the work directory there)
set -eu
top=$(pwd)
epochs=${ADA_EPOCHS:-7}
every=${ADA_EVERY:-3}
warm=${ADA_WARM:-1}
seeds=${ADA_SEEDS:-1 2 3}
fractions=${ADA_FRACTIONS:-0.1 0.3 0.5}
methods=${ADA_METHODS:-random glister gradmatch craig}
embed=${ADA_EMBED:--m random -d 256}
hidden=${ADA_HIDDEN:-256}
jobs=${ADA_JOBS:-2}
if [ -n "${ADA_OUT:-}" ]; then
	dir=$ADA_OUT
	mkdir -p "$dir"
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/winnow-bench-adaptive.XXXXXX")
	trap 'rm -rf "$dir"' EXIT INT TERM
fi
cd "$dir"

# Fashion-MNIST: 55,000 training rows, 5,000 validation rows (stratified;
# GLISTER's validation set; every run evaluates it, with --patience 0: no
# early stopping, each run ends with its last epoch), the 10,000 test rows.
if [ ! -s test.npy ] || [ "$(cat embed.opts 2>/dev/null)" != "$embed" ]; then
	"$top/data/fashion-mnist.sh" "$dir" >/dev/null
	# shellcheck disable=SC2086 # options are words
	winnow-embed $embed -j "$jobs" -o train.npy train.tsv >train-emb.tsv
	# shellcheck disable=SC2086
	winnow-embed $embed -j "$jobs" -o test.npy test.tsv >test-emb.tsv
	winnow-manifest split -f 0.083333 --seed 1 --stratify label -o val.tsv -r fit.tsv \
		train-emb.tsv
	printf '%s\n' "$embed" >embed.opts
fi

# run NAME SEED [OPTIONS]: prints "accuracy train_seconds select_seconds epochs"
run() {
	name=$1 seed=$2
	shift 2
	winnow-train -m mlp --hidden "$hidden" --epochs "$epochs" -j "$jobs" --seed "$seed" \
		--val train.npy:val.tsv --patience 0 --test test.npy:test-emb.tsv \
		"$@" -o "$name.model" train.npy fit.tsv >"$name.out"
	sed -n 's/^final: .* epochs \([0-9]*\) .* train_seconds \([0-9.]*\) .* test_accuracy \([0-9.]*\) .*/\3 \2 \1/p' \
		"$name.out" | {
		read -r acc secs ep
		sel=$(sed -n 's/^final: .* select_seconds \([0-9.]*\).*/\1/p' "$name.out")
		echo "$acc $secs ${sel:-0} $ep"
	}
}

: >runs.tsv
for s in $seeds; do
	printf 'full\t1\t%s\t%s\n' "$s" "$(run full-$s "$s")" | tr ' ' '\t' >>runs.tsv
	for f in $fractions; do
		for m in $methods; do
			r=$(run "$m-$f-$s" "$s" --adaptive "$m" --fraction "$f" --every "$every" \
				--warm "$warm")
			printf '%s\t%s\t%s\t%s\n' "$m" "$f" "$s" "$r" | tr ' ' '\t' >>runs.tsv
		done
	done
done

echo "adaptive selection, Fashion-MNIST ($embed), MLP head ($hidden hidden), $epochs epochs,"
echo "selection every $every epochs after $warm warm-up epochs; seeds: $seeds"
awk -F'\t' '
{
	k = $1 SUBSEP $2
	n[k]++; acc[k] += $4; secs[k] += $5; sel[k] += $6; ep[k] += $7
	if (!(k in seen)) { seen[k] = 1; order[++no] = k }
}
END {
	fk = "full" SUBSEP "1"
	facc = acc[fk] / n[fk]; fsec = secs[fk] / n[fk]
	printf "%-6s %-10s %9s %9s %8s %8s %9s %9s %9s %9s\n", "subset", "method", "s/epoch",
	    "total s", "speedup", "select s", "sel/saved", "accuracy", "vs full", "vs random"
	for (i = 1; i <= no; i++) {
		k = order[i]
		split(k, p, SUBSEP)
		a = acc[k] / n[k]; t = secs[k] / n[k]; sl = sel[k] / n[k]; e = ep[k] / n[k]
		rk = "random" SUBSEP p[2]
		vr = (p[1] != "full" && p[1] != "random" && (rk in n)) ? \
		    sprintf("%+9.2f", 100 * (a - acc[rk] / n[rk])) : sprintf("%9s", "")
		saved = fsec - (t - sl)
		ss = (p[1] != "full" && saved > 0) ? sprintf("%9.2f", sl / saved) : sprintf("%9s", "")
		printf "%-6s %-10s %9.2f %9.2f %7.2fx %8.2f %s %9.4f %+9.2f %s\n",
		    p[1] == "full" ? "100%" : sprintf("%g%%", 100 * p[2]), p[1], (t - sl) / e, t,
		    fsec / t, sl, ss, a, 100 * (a - facc), vr
	}
}' runs.tsv
