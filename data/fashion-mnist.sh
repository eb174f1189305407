#!/bin/sh
# data/fashion-mnist.sh [OUTDIR] - make the Fashion-MNIST manifests from the
# Debian package dataset-fashion-mnist (installed by `make deps`):
#   OUTDIR/train.tsv  60,000 rows: id, path (FILE#index into the IDX file), label
#   OUTDIR/test.tsv   10,000 rows
# with the 10 class names of data/fashion-mnist-classes.txt.  OUTDIR
# defaults to data/fashion-mnist.  Nothing is copied: paths point into
# /usr/share/datasets/fashion-mnist.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/data/fashion-mnist}
src=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
bin=${WINNOW_BIN:-$top/bin}
classes=$top/data/fashion-mnist-classes.txt

if [ ! -r "$src/train-images-idx3-ubyte.gz" ]; then
	echo "fashion-mnist.sh: $src/train-images-idx3-ubyte.gz not found: install dataset-fashion-mnist (make deps)" >&2
	exit 66
fi
mkdir -p "$out"
for part in train t10k; do
	name=$part
	[ "$part" = t10k ] && name=test
	# write beside, then rename: a half-made manifest never looks finished
	"$bin/winnow-manifest" idx --classes "$classes" --id-prefix "$name" \
		"$src/$part-images-idx3-ubyte.gz" "$src/$part-labels-idx1-ubyte.gz" \
		>"$out/.$name.tsv.tmp"
	mv "$out/.$name.tsv.tmp" "$out/$name.tsv"
done
