#!/bin/sh
# tests/bench/select.sh - winnow-select on a generated manifest of ROWS rows
# (default 10 million): rows/s and peak RSS per scheme, from a file and
# from a pipe, against `sort -g | head` on the same file (the reference a
# shell user would reach for to get the top 10%).
# Run by `make bench` (cwd = repository root, bin/ on PATH).
set -eu
rows=${ROWS:-10000000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/winnow-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
m=$dir/m.tsv
k=$((rows / 10))

awk -v n="$rows" 'BEGIN {
	srand(1); print "id\tlabel\tscore"
	for (i = 0; i < n; i++) printf "s%d\t%d\t%.6f\n", i, int(rand() * 10), rand() + 1e-6
}' >"$m"
echo "select: $rows rows, $(du -m "$m" | cut -f1) MB, keep $k"

# measure NAME CMD...: wall seconds, CPU seconds (user + system: the
# figure to trust on a shared machine), rows per CPU second and peak RSS of
# CMD; sets $secs to the CPU seconds.
measure() {
	name=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$@" >/dev/null
	read -r wall user sys kb <"$dir/time"
	secs=$(echo "$user + $sys" | bc -l)
	printf '%-44s wall %7.2f s  cpu %7.2f s %9.0f rows/cpu-s %6.0f MB\n' "$name" \
		"$wall" "$secs" "$(echo "$rows / ($secs + 0.001)" | bc -l)" \
		"$(echo "$kb / 1024" | bc -l)"
}

measure "sort -g | head (reference)" sh -c \
	"tail -n +2 '$m' | LC_ALL=C sort -t'	' -k3,3gr | head -n $k"
ref=$secs
for args in "-s top -f 0.1" "-s top -n $k" "-s random -f 0.1" "-s stratified -f 0.1" \
    "-s ccs -f 0.1 --cutoff 0.1" "-s biased -f 0.1 --alpha 1" "-s threshold --min 0.9"; do
	measure "winnow-select $args" winnow-select $args "$m"
	echo "  cpu ratio to sort -g | head: $(echo "$secs / $ref" | bc -l | cut -c1-5)"
done
measure "winnow-select -s top -n $k (pipe)" sh -c "cat '$m' | winnow-select -s top -n $k"
echo "  cpu ratio to sort -g | head: $(echo "$secs / $ref" | bc -l | cut -c1-5)"
