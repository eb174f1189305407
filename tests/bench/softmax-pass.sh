#!/bin/sh
# tests/bench/softmax-pass.sh - one objective-and-gradient pass of the
# softmax L-BFGS (60,000 x 1024, 10 classes: the demo's final model), the
# fused threaded pass against two cblas_sgemm a block and the sgemm peak,
# measured in one process (tests/bench/softmax-pass.c).  Best of 5.
set -eu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/softmax-pass.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. tests/bench/lib.sh
bench_cc "$tmp/softmax-pass" tests/bench/softmax-pass.c
for j in 1 $(nproc); do
	"$tmp/softmax-pass" 60000 1024 10 "$j"
done
