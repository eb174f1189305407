#!/bin/sh
# tests/bench/million.sh - `make bench-million`: the whole before-labeling
# job on a folder of a million small JPEG and PNG images, unsharded
# (pipelines/prune-before-labeling) and in shards (pipelines/sharded under
# GNU parallel), the same config; the two results compared byte for byte.
# Run from the repository root with bin/ on PATH (tests/bench/run.sh).
#
#   the folder: data/img-sample, Fashion-MNIST resized to 20..64 pixels,
#     gray or tinted RGB, PNG or JPEG, each repetition of the 60,000 items
#     moved by its own 2- or 4-pixel shift (so not a pool of copies) (generated into the work directory,
#     deleted at the end; its generation time is shown, not counted);
#   the seed: a 1% class-stratified sample of the folder, labeled;
#   the config: the shipped defaults (pipelines/prune-before-labeling.yaml:
#     k-means features, 400 centroids learned once into kmeans.dict, shared
#     by both runs; dedup on random 1024 at 14x14, threshold 0.995) but
#     dedup searches exactly within 512 k-means clusters (--clusters 512)
#     instead of over the whole pool, and 10% is kept in one round.  Not
#     IVF1024,Flat: Debian's faiss scans its lists with scalar code (1.8
#     GFLOP/s measured), so at 200,000 x 1,024 it took 483 s of CPU, and
#     it grows as n^2 (about 10,000 s at a million); --clusters 512 does
#     its k-means and its per-cluster search in BLAS: 68 s of CPU at
#     200,000, and dropped 1,212 rows, all of them among IVF's 1,288
#     (a pair split across two clusters is not found);
#   per stage (each program run of the job, timed by /usr/bin/time through
#     wrappers on PATH): wall s, CPU s, images/s, peak RSS;
#   disk written (du of the output directory) and the whole job's wall time;
#   the decode-bound stages against a bare decode loop over the same
#     files through img_load() (tests/bench/decode-loop.c), after the jobs:
#     the loop, winnow-embed -m pixels -s 16x16 and the dedup embedding
#     on the pool, in turn, MILLION_REPS times each (default 3), the
#     least and the median CPU of each, at the same -j; in images per CPU
#     second and per wall second.  In turn
#     because the jobs write 30 GB, more than the page cache holds: a loop
#     run before them read the images from memory and a stage run after
#     them from the disk (61% of the loop's rate for -m pixels that way,
#     84% in turn, 2026-12-04; 87-88% per CPU second, 88-91% per wall
#     second with the threads kept for the run and the resized rows
#     streamed, the same day).  The machine is shared: the per-CPU-second
#     ratio is the one to trust.
#
# MILLION_N=20000 for a quick look; MILLION_SHARDS (default 4);
# MILLION_DIR=DIR works there (kept) instead of a temporary directory;
# MILLION_DECODE_ONLY=1 with a MILLION_DIR that has run: the decode-bound
# comparison alone.
set -eu
top=$(pwd)
N=${MILLION_N:-1000000}
S=${MILLION_SHARDS:-4}
J=$(nproc)
if [ -n "${MILLION_DIR:-}" ]; then
	W=$MILLION_DIR
	mkdir -p "$W"
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/million.XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi
W=$(cd "$W" && pwd)
PATH=$top/bin:$PATH
export OPENBLAS_NUM_THREADS=1

. tests/bench/lib.sh
bench_cc "$W/decode-loop" tests/bench/decode-loop.c

now() { date +%s.%N; }

echo "# million: $N images, $S shards, $J cores, $(date -u +%FT%TZ)"

# the folder: J writers over ranges of the image numbers
if [ ! -e "$W/img.done" ] || [ "$(cat "$W/img.done")" != "$N" ]; then
	rm -rf "$W/img"
	t0=$(now)
	k=0
	while [ $k -lt "$J" ]; do
		a=$((N * k / J)) b=$((N * (k + 1) / J))
		data/img-sample -n $((b - a)) -f $a "$W/img" &
		k=$((k + 1))
	done
	wait
	echo "$N" >"$W/img.done"
	printf 'generated %d images in %.0f s: %s on disk (%d PNG, %d JPEG)\n' "$N" \
	    "$(echo "$(now) - $t0" | bc)" "$(du -sh "$W/img" | cut -f1)" \
	    "$(find "$W/img" -name '*.png' | wc -l)" "$(find "$W/img" -name '*.jpg' | wc -l)"
fi
cd "$W"
if [ ! -e seed.tsv ]; then
	winnow-manifest dir img >all.tsv
	winnow-manifest split -f 0.01 --seed 1 --stratify label -o seed.tsv all.tsv
fi

# wrappers: every winnow program of the job through /usr/bin/time, one
# line a run in $TIMELOG: wall, user, system, max RSS (KB), command line
mkdir -p wrap
for p in "$top"/bin/winnow-*; do
	case $p in *.c | *.o) continue ;; esac
	cat >"wrap/${p##*/}" <<EOF
#!/bin/sh
exec /usr/bin/time -a -o "\$TIMELOG" -f '%e	%U	%S	%M	%C' "$p" "\$@"
EOF
	chmod +x "wrap/${p##*/}"
done

# config OUT [sharded]
config() {
	printf '%s\n' pipeline: "  input: img" "  seed-manifest: seed.tsv" "  out: $1"
	[ -z "${2:-}" ] || printf '%s\n' "  shards: $S" "  jobs: $J"
	cat <<EOF
embed:
  method: kmeans
  dict: kmeans.dict
  centroids: 400
  size: 28x28
  seed: 1
  jobs: $J
dedup-embed:
  method: random
  dim: 1024
  size: 14x14
  seed: 1
  jobs: $J
fit:
  kind: softmax
  lambda: 0.01
  tol: 0.001
  influence: none
score:
  method: margin
dedup:
  threshold: 0.995
  clusters: 512
  jobs: $J
select:
  scheme: biased
  alpha: 2
  fraction: 0.1
  seed: 1
EOF
}
config u >u.yaml
config s sharded >s.yaml

# stages LOG: per timed run: a short name for its command line, wall,
# CPU, RSS (the pipelines' config checks, "PROG -c FILE -h", left out)
stages() {
	awk -F '\t' -v OFS='\t' '$5 !~ / -h$/ {
		c = $5; n = split(c, w, " "); p = w[1]; sub(/.*\//, "", p)
		s = p
		if (p == "winnow-manifest" || (p == "winnow-select" && (w[2] == "plan" || w[2] == "apply")))
			s = p " " w[2]
		if (p == "winnow-select" && w[2] == "plan" && w[3] == "--merge") s = p " merge"
		if (p == "winnow-embed")
			s = p (c ~ / learn / ? " learn" : c ~ /dedup-embed/ ? " dedup" : c ~ /seed\.tsv/ ? " seed" : " pool")
		print s, $1, $2 + $3, $4
	}' "$1"
}

# report NAME LOG WALL DIR: per stage: runs, wall (the sum over its runs,
# which run J at a time when sharded), CPU, images per wall and per CPU
# second (stages that go through the pool), peak RSS of its largest run
report() {
	echo "## $1: the whole job $(printf '%.1f' "$3") s wall, $(du -sh "$4" | cut -f1) written to $4/"
	printf '%-26s %4s %8s %8s %10s %10s %8s\n' stage runs "wall s" "CPU s" "images/s" "/CPU s" "peak MB"
	stages "$2" | awk -F '\t' -v n="$N" '
	{ if (!($1 in r)) o[++k] = $1; r[$1]++; w[$1] += $2; c[$1] += $3; if ($4 > m[$1]) m[$1] = $4 }
	END { for (i = 1; i <= k; i++) { s = o[i]
		pool = s ~ /pool|score|dedup|dir|select( plan| apply)?$/
		iw = (pool && w[s] > 0) ? sprintf("%.0f", n / w[s]) : "-"
		ic = (pool && c[s] > 0) ? sprintf("%.0f", n / c[s]) : "-"
		printf "%-26s %4d %8.1f %8.1f %10s %10s %8.1f\n", s, r[s], w[s], c[s], iw, ic, m[s] / 1024 } }'
}

# decode_bound: the decode loop, -m pixels and the dedup embedding on
# the pool, in turn, MILLION_REPS times; the least CPU and wall of each,
# and the median CPU
decode_bound() {
	m=$(($(wc -l <u/work/pool.tsv) - 1))
	rm -f db.log
	for k in $(seq "${MILLION_REPS:-3}"); do
		/usr/bin/time -a -o db.log -f "loop\t%e\t%U\t%S" "$W/decode-loop" -j "$J" u/work/pool.tsv >/dev/null
		/usr/bin/time -a -o db.log -f "pixels\t%e\t%U\t%S" winnow-embed -m pixels -s 16x16 -j "$J" \
		    -o db.npy u/work/pool.tsv >/dev/null
		/usr/bin/time -a -o db.log -f "dedup-embed\t%e\t%U\t%S" winnow-embed --section dedup-embed \
		    -c u.yaml -o db.npy u/work/pool.tsv >/dev/null
		rm -f db.npy
	done
	awk -F '\t' -v m="$m" -v reps="${MILLION_REPS:-3}" '
	# sorted(s, v): the CPU seconds of stage s, ascending, into v; their count
	function sorted(s, v,   n, i, j, t) {
		n = split(cpu[s], v, " ")
		for (i = 2; i <= n; i++)        # insertion sort: a handful of runs
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n
	}
	function least(s,   v) { sorted(s, v); return v[1] }
	function median(s,   n, v) {
		n = sorted(s, v)
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	{ cpu[$1] = cpu[$1] " " ($3 + $4); if (!($1 in bw) || $2 < bw[$1]) bw[$1] = $2 }
	END {
		printf "decode-bound stages on the pool (%d images, -j %d, in turn, least of %d): decode loop %.1f CPU s (median %.1f), %.1f wall s\n", m, '"$J"', reps, least("loop"), median("loop"), bw["loop"]
		for (s in bw) if (s != "loop")
			printf "winnow-embed %s vs decode loop: %.0f%% per CPU second (%.1f vs %.1f CPU s; %.0f%% of the medians), %.0f%% per wall second\n",
			    s == "pixels" ? "-m pixels" : s, 100 * least("loop") / least(s), least(s), least("loop"),
			    100 * median("loop") / median(s), 100 * bw["loop"] / bw[s]
	}' db.log
}
if [ -n "${MILLION_DECODE_ONLY:-}" ]; then
	decode_bound
	exit 0
fi

rm -rf u s u.log s.log
t0=$(now)
TIMELOG=$W/u.log WINNOW_BIN=$W/wrap "$top/pipelines/prune-before-labeling" -c u.yaml >/dev/null 2>u.err ||
	{ cat u.err >&2; exit 1; }
tu=$(echo "$(now) - $t0" | bc)
t0=$(now)
TIMELOG=$W/s.log WINNOW_BIN=$W/wrap "$top/pipelines/sharded" -c s.yaml >/dev/null 2>s.err ||
	{ cat s.err >&2; exit 1; }
ts=$(echo "$(now) - $t0" | bc)
export TIMELOG N
report "unsharded (prune-before-labeling)" u.log "$tu" u
report "sharded ($S shards, GNU parallel -j $J)" s.log "$ts" s
same=yes
for f in selected.tsv to-label.jsonl report.txt work/pool.npy work/scored.tsv; do
	cmp -s "u/$f" "s/$f" || same="NO ($f differs)"
done
echo "sharded == unsharded byte for byte: $same; kept $(($(wc -l <u/selected.tsv) - 1)) of $(($(wc -l <u/work/pool.tsv) - 1))"

decode_bound
