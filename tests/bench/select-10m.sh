#!/bin/sh
# select-10m: ten million rows through winnow-select (biased with --reweight,
# stratified, top-k), generated on the fly.  Reference: `sort -g` of the
# score column of the same rows (what a shell user would do for top-k).
# Prints rows/s, peak RSS, and time / reference.  N=... for another size.
set -eu
n=${N:-10000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$n" 'BEGIN { srand(1); print "id\tlabel\tscore"
	for (i = 0; i < n; i++) printf "r%d\t%d\t%.6f\n", i, i % 10, rand() + 0.001 }' >"$tmp/m.tsv"
echo "rows: $n ($(du -h "$tmp/m.tsv" | cut -f1))"

now() { date +%s.%N; }
t0=$(now)
tail -n +2 "$tmp/m.tsv" | cut -f3 | sort -g -r | head -n 1000 >/dev/null
ref=$(echo "$(now) - $t0" | bc)
printf 'reference  sort -g | head -1000: %.2f s\n' "$ref"

run() {
	name=$1
	shift
	t0=$(now)
	/usr/bin/time -f %M -o "$tmp/rss" winnow-select "$@" "$tmp/m.tsv" >"$tmp/out"
	t=$(echo "$(now) - $t0" | bc)
	kept=$(($(wc -l <"$tmp/out") - 1))
	printf '%-34s %.2f s  %.2f Mrows/s  peak %d MB  kept %d  %.2fx reference\n' \
		"$name" "$t" "$(echo "$n / $t / 1000000" | bc -l)" "$(($(cat "$tmp/rss") / 1024))" \
		"$kept" "$(echo "$t / $ref" | bc -l)"
}
run "top -n 1000" -s top -n 1000
run "biased --alpha 1 -f 0.1 --reweight" -s biased --alpha 1 -f 0.1 --reweight
run "stratified --by label -n 100000" -s stratified --by label -n 100000
