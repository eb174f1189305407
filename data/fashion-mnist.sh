#!/bin/sh
# data/fashion-mnist.sh [OUTDIR] - make the Fashion-MNIST manifests from the
# Debian package dataset-fashion-mnist (installed by `make deps`):
#   OUTDIR/train.tsv  60,000 rows: id, path (FILE#index into the IDX file), label
#   OUTDIR/test.tsv   10,000 rows
# with the 10 class names of data/fashion-mnist-classes.txt.  OUTDIR
# defaults to data/fashion-mnist in the source tree, ./fashion-mnist
# installed (PREFIX/share/winnow/data).  Nothing is copied: paths point
# into /usr/share/datasets/fashion-mnist.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -e "$top/Makefile" ]; then
	out=${1:-$top/data/fashion-mnist}
else
	out=${1:-fashion-mnist}
fi
src=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
# winnow-manifest: $WINNOW_BIN, the build tree, PREFIX/bin from
# PREFIX/share/winnow/data (make install), else PATH
if [ -n "${WINNOW_BIN:-}" ]; then
	bin=$WINNOW_BIN/
elif [ -x "$top/bin/winnow-manifest" ]; then
	bin=$top/bin/
elif [ -x "$top/../../bin/winnow-manifest" ]; then
	bin=$top/../../bin/
else
	bin=
fi
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
	"${bin}winnow-manifest" idx --classes "$classes" --id-prefix "$name" \
		"$src/$part-images-idx3-ubyte.gz" "$src/$part-labels-idx1-ubyte.gz" \
		>"$out/.$name.tsv.tmp"
	mv "$out/.$name.tsv.tmp" "$out/$name.tsv"
done
