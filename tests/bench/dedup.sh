#!/bin/sh
# tests/bench/dedup.sh - winnow-dedup: quality, speed, scale.
#
#   quality  near-duplicates injected into Fashion-MNIST (dedup-quality.py:
#            copies, noise, a one-pixel shift, JPEG, brightness), per
#            embedding (pixels, random, kmeans, and random and pixels at
#            14x14): recall of the injected pairs and the share of false
#            pairs at the default threshold and at each one's best
#   speed    exact search on the 60,000 x 1,024 random embedding of the
#            training set: winnow-dedup's wall time against python3-faiss
#            doing the same search in this script, and as a fraction of
#            the sgemm peak measured here; the approximate IVF1024,Flat
#            (nprobe 16): time and the recall of its nearest neighbours
#   million  one million rows (64-D, a Gaussian mixture) with IVF1024,Flat:
#            wall time and peak RSS, against python3-faiss, and the
#            CPU-time ratio; DEDUP_MN (1000000) rows, 200000 to iterate
#
# DEDUP_BENCH="quality speed million" picks parts; DEDUP_N0 (10000) and
# DEDUP_M (1000) size the quality pool; DEDUP_JOBS (2) threads.
set -eu
parts=${DEDUP_BENCH:-quality speed million}
n0=${DEDUP_N0:-10000}
m=${DEDUP_M:-1000}
j=${DEDUP_JOBS:-2}
py=/usr/bin/python3
# both sides wait for work passively, as under the pipelines (lib.sh)
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
export OMP_WAIT_POLICY
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dedup-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. tests/bench/lib.sh

# wall CMD...: run CMD, print its wall and CPU seconds and peak RSS (MiB).
# The machine is shared: CPU seconds are the steadier measure.
wall() {
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@"
	awk '{ printf "%.2f s wall, %.2f s CPU, %.0f MiB peak RSS\n", $1, $2 + $3, $4 / 1024 }' "$tmp/time"
}
cpu() { awk '{ print $2 + $3 }' "$tmp/time"; }

case " $parts " in *" quality "*)
	echo "quality: $n0 originals + $m near-copies per transform, default threshold"
	$py tests/bench/dedup-quality.py gen "$n0" "$m" "$tmp/q"
	winnow-manifest idx --id-prefix q "$tmp/q-images-idx3-ubyte" \
		"$tmp/q-labels-idx1-ubyte" >"$tmp/q.tsv"
	winnow-embed -m pixels -j "$j" -o "$tmp/pixels.npy" "$tmp/q.tsv" >"$tmp/q.rows.tsv"
	winnow-embed -m random -d 1024 -j "$j" -o "$tmp/random.npy" "$tmp/q.tsv" >/dev/null
	winnow-embed learn -k 256 -j "$j" -o "$tmp/km.dict" "$tmp/q.tsv"
	winnow-embed -m kmeans --dict "$tmp/km.dict" -j "$j" -o "$tmp/kmeans.npy" \
		"$tmp/q.tsv" >/dev/null
	# the embeddings for dedup: at 14x14 (2x2 pixels averaged) JPEG's
	# error, most of it at high frequencies, is mostly averaged away
	winnow-embed -m random -d 1024 -s 14x14 -j "$j" -o "$tmp/random14.npy" "$tmp/q.tsv" >/dev/null
	winnow-embed -m pixels -s 14x14 -j "$j" -o "$tmp/pixels14.npy" "$tmp/q.tsv" >/dev/null
	# EMBEDDING:THRESHOLD: the default for each, then the measured best
	for et in pixels:0.987 random:0.987 kmeans:0.987 random14:0.987 pixels14:0.987 \
	    random:0.985 random:0.99 pixels:0.995 random14:0.995 pixels14:0.997; do
		e=${et%:*} t=${et#*:}
		winnow-dedup -j "$j" -t "$t" -o "$tmp/$e.tsv" "$tmp/$e.npy" "$tmp/q.rows.tsv"
		$py tests/bench/dedup-quality.py eval "$tmp/q" "$tmp/$e.tsv" "$e@$t"
	done
	;;
esac

case " $parts " in *" speed "*)
	echo "speed: exact search, 60,000 x 1,024 (winnow-embed -m random), -j $j"
	sh data/fashion-mnist.sh "$tmp/fm"
	winnow-embed -m random -d 1024 -j "$j" -o "$tmp/fm.npy" "$tmp/fm/train.tsv" >"$tmp/fm.rows.tsv"
	bench_cc "$tmp/sgemm-peak" tests/bench/sgemm-peak.c
	peak=$("$tmp/sgemm-peak" "$j")
	for rep in 1 2; do
		printf 'winnow-dedup exact: '
		wall winnow-dedup -j "$j" -o "$tmp/exact.tsv" "$tmp/fm.npy" "$tmp/fm.rows.tsv"
		t=$(cpu)
		printf 'python3-faiss, the same search: '
		wall $py tests/bench/dedup-faiss.py "$tmp/fm.npy" 0.987 10 Flat - "$j" >/dev/null
		tf=$(cpu)
		awk -v t="$t" -v f="$tf" -v p="$peak" -v j="$j" 'BEGIN {
			fl = 2 * 60000 * 60000 * 1024 / 1e9
			printf "  winnow-dedup / python3-faiss CPU time %.2f; exact search %.1f GFLOP per CPU second = %.0f%% of the sgemm peak (%.1f GFLOP/s on %d threads, %.1f a thread), whole run\n", t / f, fl / t, 100 * fl / t / (p / j), p, j, p / j }'
	done
	printf 'winnow-dedup IVF1024,Flat nprobe 16: '
	wall winnow-dedup -j "$j" --index IVF1024,Flat --nprobe 16 -o "$tmp/ivf.tsv" \
		"$tmp/fm.npy" "$tmp/fm.rows.tsv"
	$py - "$tmp/exact.tsv" "$tmp/ivf.tsv" <<'PY'
import sys
def load(p):
    rows = [l.rstrip("\n").split("\t") for l in open(p)]
    h = {c: i for i, c in enumerate(rows[0])}
    return [(r[h["nn_id"]], r[h["dup_group"]], r[h["dup_rank"]]) for r in rows[1:]]
a, b = load(sys.argv[1]), load(sys.argv[2])
nn = sum(x[0] == y[0] for x, y in zip(a, b)) / len(a)
da = sum(x[2] != "0" for x in a); db = sum(y[2] != "0" for y in b)
print("  IVF1024,Flat nprobe 16: nearest neighbour = exact's for %.4f of rows; "
      "rows dropped as duplicates %d (exact %d)" % (nn, db, da))
PY
	$py tests/bench/dedup-faiss.py "$tmp/fm.npy" 0.987 10 IVF1024,Flat nprobe=16 "$j" \
		"$tmp/exact.tsv"
	;;
esac

case " $parts " in *" million "*)
	mn=${DEDUP_MN:-1000000}
	echo "million: $mn x 64 (Gaussian mixture), IVF1024,Flat nprobe 8, -j $j"
	$py -c "
import numpy as np
n = $mn
rng = np.random.default_rng(5)
c = rng.standard_normal((2000, 64)).astype(np.float32)
x = c[rng.integers(0, 2000, n)] + 0.5 * rng.standard_normal((n, 64)).astype(np.float32)
np.save('$tmp/m.npy', x)
with open('$tmp/m.tsv', 'w') as f:
    f.write('id\trow\n')
    f.writelines('m%d\t%d\n' % (i, i) for i in range(n))"
	# best of 2 each, alternated, so both see the same load
	for rep in 1 2; do
		printf 'winnow-dedup: '
		wall winnow-dedup -j "$j" --index IVF1024,Flat --nprobe 8 -o "$tmp/m.out" \
			"$tmp/m.npy" "$tmp/m.tsv"
		awk '{ print $1, $2 + $3 }' "$tmp/time" >>"$tmp/mw"
		printf 'python3-faiss: '
		wall $py tests/bench/dedup-faiss.py "$tmp/m.npy" 0.987 10 IVF1024,Flat nprobe=8 "$j"
		awk '{ print $1, $2 + $3 }' "$tmp/time" >>"$tmp/mf"
	done
	sort -n -k2 "$tmp/mw" | head -1 >"$tmp/mw1"
	sort -n -k2 "$tmp/mf" | head -1 >"$tmp/mf1"
	paste "$tmp/mw1" "$tmp/mf1" | awk '{ printf "  RATIO winnow-dedup / python3-faiss (run of least CPU, of 2): CPU %.2f (%.1f / %.1f s), wall %.2f (%.1f / %.1f s)\n", $2 / $4, $2, $4, $1 / $3, $1, $3 }'
	;;
esac
