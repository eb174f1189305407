#!/bin/sh
# tests/bench/embed.sh - winnow-embed throughput, memory, GEMM efficiency,
# decode speed and feature quality.  Run from the repository root with bin/
# on PATH (tests/bench/run.sh does both).
#
#   images/s and peak RSS per method on the 60,000 Fashion-MNIST training
#     images (IDX) and on a 2000-image PNG sample (data/png-sample);
#   the kmeans distance GEMM's GFLOP/s (winnow-embed --stats) against a
#     single-thread cblas_sgemm peak (2048^3) measured in the same run, both
#     per thread CPU second, so that other load on the machine cancels out;
#   kmeans (learn + encode the 70,000 training and test images) against the
#     NumPy Coates-Ng of tests/bench/demo-reference.py doing the same work
#     (patch extraction, normalisation, whitening, distance GEMM, triangle
#     activation, pooling), both on -j / OpenBLAS threads $J, CPU seconds;
#   img_load() decode rate against a bare libpng / libjpeg loop on the same
#     files (the PNG sample, and the same images as JPEG);
#   test accuracy of scikit-learn's multinomial LogisticRegression fitted on
#     each embedding of the full training set (standardised features).
#
# EMBED_BENCH_N=6000 uses only the first N training images (a quick look);
# EMBED_BENCH_QUALITY=0 leaves out the (slow) accuracy part.
set -eu
top=$(pwd)
N=${EMBED_BENCH_N:-60000}
J=$(nproc)
F=/usr/share/datasets/fashion-mnist
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/embed-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# the reference tool, against the library as built
. tests/bench/lib.sh
bench_cc "$tmp/embed-ref" tests/bench/embed-ref.c

winnow-manifest idx $F/train-images-idx3-ubyte.gz $F/train-labels-idx1-ubyte.gz |
	head -n $((N + 1)) >"$tmp/train.tsv"
winnow-manifest idx $F/t10k-images-idx3-ubyte.gz $F/t10k-labels-idx1-ubyte.gz >"$tmp/test.tsv"
data/png-sample "$tmp/png"
(cd "$tmp" && winnow-manifest dir png) >"$tmp/png.tsv"

# timed NAME COUNT CMD...: run, print "NAME  images/s (wall and per CPU
# second: the machine is shared)  peak RSS"
timed() {
	name=$1 count=$2
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@"
	set -- $(cat "$tmp/time")
	awk -v n="$name" -v c="$count" -v s="$1" -v u="$2" -v y="$3" -v m="$4" \
		'BEGIN { printf "%-32s %7.0f images/s wall %7.0f per CPU s %6.1f CPU s %5.0f MB peak RSS\n",
			n, c / s, c / (u + y), u + y, m / 1024 }' >&3
}
exec 3>&1

echo "# winnow-embed bench: $N Fashion-MNIST training images, -j $J, $(date -u +%FT%TZ)"
echo "## throughput (decode + resize + embed + write)"
timed "pixels  idx" "$N" winnow-embed -j "$J" -o "$tmp/p.npy" "$tmp/train.tsv" >"$tmp/p.tsv"
timed "random  idx  (d=2048)" "$N" winnow-embed -m random -j "$J" -o "$tmp/r.npy" "$tmp/train.tsv" >"$tmp/r.tsv"
timed "learn   idx  (K=400, 100k patches)" "$N" winnow-embed learn -k 400 -j "$J" -o "$tmp/d.dict" "$tmp/train.tsv"
timed "kmeans  idx  (K=400, 1600 feat.)" "$N" winnow-embed -m kmeans --dict "$tmp/d.dict" --stats \
	-j "$J" -o "$tmp/k.npy" "$tmp/train.tsv" >"$tmp/k.tsv" 2>"$tmp/stats"
(cd "$tmp" && timed "pixels  png" 2000 winnow-embed -j "$J" -o pp.npy png.tsv >/dev/null)
(cd "$tmp" && timed "random  png  (d=2048)" 2000 winnow-embed -m random -j "$J" -o pr.npy png.tsv >/dev/null)
(cd "$tmp" && timed "kmeans  png  (K=400)" 2000 winnow-embed -m kmeans --dict d.dict -j "$J" -o pk.npy png.tsv >/dev/null)

echo "## kmeans encoding GEMM vs cblas_sgemm peak (GFLOP per thread CPU second)"
gemm=$(sed -n 's/.*: \([0-9.]*\) GFLOP\/s per thread/\1/p' "$tmp/stats")
peak=$("$tmp/embed-ref" gemm 2048 2048 2048)
shape=$("$tmp/embed-ref" gemm 529 400 36)
awk -v g="$gemm" -v p="$peak" -v s="$shape" 'BEGIN {
	printf "encoding GEMM %.1f GFLOP/s per thread (in the -j run), peak %.1f: %.0f%%\n", g, p, 100 * g / p
	printf "the same shape (529x400x36: one image) alone: %.1f GFLOP/s: %.0f%% of peak\n", s, 100 * s / p }'

echo "## kmeans vs NumPy Coates-Ng: learn (K=400) + encode the training (60,000 unless EMBED_BENCH_N) and 10,000 test images, CPU seconds"
/usr/bin/time -f '%U %S' -o "$tmp/cw" sh -c 'winnow-embed learn -k 400 -j "$1" -o "$2/r.dict" "$3" &&
	winnow-embed -m kmeans --dict "$2/r.dict" -j "$1" -o "$2/rk.npy" "$3" >/dev/null &&
	winnow-embed -m kmeans --dict "$2/r.dict" -j "$1" -o "$2/rkt.npy" "$4" >/dev/null' \
	sh "$J" "$tmp" "$tmp/train.tsv" "$tmp/test.tsv"
OPENBLAS_THREAD_TIMEOUT=4 OPENBLAS_NUM_THREADS=$J /usr/bin/time -f '%U %S' -o "$tmp/cp" \
	"$PY" tests/bench/demo-reference.py --method kmeans --embed-only >/dev/null
awk -v w="$(awk '{ print $1 + $2 }' "$tmp/cw")" -v p="$(awk '{ print $1 + $2 }' "$tmp/cp")" 'BEGIN {
	printf "winnow %.1f CPU s, NumPy %.1f CPU s: winnow %.1fx\n", w, p, p / w }'

echo "## decode: img_load vs a bare library loop (images per CPU second, files cached)"
find "$tmp/png" -name '*.png' | sort >"$tmp/pngs"
"$PY" - "$tmp/pngs" <<'EOF'
import sys
from PIL import Image
for p in open(sys.argv[1]).read().split():
    Image.open(p).save(p[:-4] + ".jpg", quality=90)
EOF
sed 's/\.png$/.jpg/' "$tmp/pngs" >"$tmp/jpgs"
for kind in png jpg; do
	set -- $("$tmp/embed-ref" decode $(cat "$tmp/${kind}s"))
	awk -v k="$kind" -v b="$1" -v m="$2" 'BEGIN {
		printf "%s: bare loop %.0f images/s, img_load %.0f images/s: %.0f%%\n", k, b, m, 100 * m / b }'
done

[ "${EMBED_BENCH_QUALITY:-1}" = 0 ] && exit 0
echo "## feature quality: LogisticRegression test accuracy (train $N, test 10000)"
winnow-embed -j "$J" -o "$tmp/pt.npy" "$tmp/test.tsv" >"$tmp/pt.tsv"
winnow-embed -m random -j "$J" -o "$tmp/rt.npy" "$tmp/test.tsv" >"$tmp/rt.tsv"
winnow-embed -m kmeans --dict "$tmp/d.dict" -j "$J" -o "$tmp/kt.npy" "$tmp/test.tsv" >"$tmp/kt.tsv"
for m in p:pixels r:random k:kmeans; do
	"$PY" - "$tmp/${m%%:*}" "${m#*:}" <<'EOF'
import sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
warnings.filterwarnings("ignore")
def load(base):
    rows = [l.rstrip("\n").split("\t") for l in open(base + ".tsv")]
    h = rows[0]
    li, ri = h.index("label"), h.index("row")
    y = np.array([int(r[li]) for r in rows[1:]])
    idx = np.array([int(r[ri]) for r in rows[1:]])
    return np.load(base + ".npy")[idx], y
b = sys.argv[1]
X, y = load(b)
Xt, yt = load(b + "t")
s = StandardScaler().fit(X)
t = time.time()
m = LogisticRegression(max_iter=300).fit(s.transform(X), y)
print("%-7s %5d features: test accuracy %.4f (fit %.0f s)" % (
    sys.argv[2], X.shape[1], m.score(s.transform(Xt), yt), time.time() - t))
EOF
done
