#!/bin/sh
# tests/bench/softmax-pass.sh - one objective-and-gradient pass of the
# softmax L-BFGS (60,000 x 1024, 10 classes: the demo's final model), the
# fused threaded pass against two cblas_sgemm a block and the sgemm peak,
# measured in one process (tests/bench/softmax-pass.c).  Best of 5.
set -eu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/softmax-pass.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
flags=$(printf 'include config.mk\nall:\n\t@echo "$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)"\n\t@echo "$(LIBS)"\n' |
	make -s --no-print-directory -f -)
cc=$(echo "$flags" | sed -n 1p)
libs=$(echo "$flags" | sed -n 2p)
$cc -o "$tmp/softmax-pass" tests/bench/softmax-pass.c lib/libwinnow.a $libs
for j in 1 $(nproc); do
	"$tmp/softmax-pass" 60000 1024 10 "$j"
done
