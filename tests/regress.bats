#!/usr/bin/env bats
# Bugs found by the hardening work (fuzzing, fault injection) in files owned
# by other branches, each with its reproducer.  A test is skipped ("bug:
# ...") until its fix lands; then the skip line goes and the test stays as
# the regression test.
bats_require_minimum_version 1.5.0
load test_helper

# plain_build: the programs are the normal build's (tests/run.sh gives
# WINNOW_BIN as TOP/./bin), not build-asan's
plain_build() {
	[ "$(cd "$WINNOW_BIN" && pwd -P)" = "$(cd "$WINNOW_TOP/bin" && pwd -P)" ]
}

H=$WINNOW_TOP/tests/fixtures/harden

# leakcheck: the command prefix that fails a run on a definite leak:
# valgrind for the plain build; nothing under check-asan (LeakSanitizer).
leakcheck() {
	if plain_build && command -v valgrind >/dev/null; then
		echo valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9
	fi
}

@test "img_resize stays within [0, 1] (fuzz_img crash-f2c40798: 1.00000012)" {
	printf 'id\tpath\nx\t%s\n' "$H/resize-above-one.pgm" >m.tsv
	run -0 winnow-embed -s 8x6 -o e.npy m.tsv
	run -0 "$PYTHON" -c "import numpy as np; a = np.load('e.npy'); print(a.min() >= 0, a.max() <= 1, repr(a.max()))"
	assert_output --partial "True True"
}

@test "sur_model_load frees its tensor-shape buffers (fuzz_model leak, fixed in 4257218)" {
	plain_build || skip "plain build only"
	command -v valgrind >/dev/null || skip "no valgrind"
	cat >load.c <<'C'
#include "model.h"
int main(int argc, char **argv)
{
	struct wn_err err = { 0 };
	struct sur_model *m = sur_model_load_path(argv[1], &err);
	sur_model_free(m);
	return m == NULL;
}
C
	cc -I"$WINNOW_TOP/lib" -I"$WINNOW_TOP/surrogate" -o load load.c "$WINNOW_TOP/lib/libwinnow.a" \
		-L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -llapacke -lyaml -lpng16 -ljpeg \
		-lz -ljansson -lxxhash -llbfgs -lm -pthread
	run -0 valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
		./load "$WINNOW_TOP/tests/fuzz/corpus/model/soft.model"
}

@test "from-jsonl: a source-ref and id both empty is refused, not an empty id" {
	run --separate-stderr -65 winnow-manifest from-jsonl <<<'{"source-ref":""}'
	[[ $stderr == *"<stdin>:1: empty id and empty source-ref"* ]]
}

@test "from-jsonl: a key under the namespace and at the top level does not leak" {
	run -0 $(leakcheck) winnow-manifest from-jsonl <<<'{"source-ref":"a","winnow":{"x":"ns"},"x":"top"}'
	assert_line "a	a		top"
}

@test "img_resize of a 50,000-wide image is exact for a constant area" {
	"$PYTHON" - <<'PY'
import struct, zlib
w, h = 50000, 3
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
row = b"\0" + b"\0" * (w // 2) + b"\xff" * (w - w // 2)
with open("wide.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
    f.write(chunk(b"IDAT", zlib.compress(row * h)) + chunk(b"IEND", b""))
PY
	printf 'id\tpath\nw\twide.png\n' >m.tsv
	run -0 winnow-embed -s 2x1 -o e.npy m.tsv
	run -0 "$PYTHON" -c "import numpy as np; print(np.load('e.npy').tolist())"
	assert_output "[[0.0, 1.0]]"
}

@test "a plan whose key score is not finite is refused (fuzz_plan crash-5600b8c1)" {
	printf 'id\tlabel\tscore\na\tx\t0.5\nb\tx\t0.7\nc\tx\t0.2\n' >p.tsv
	winnow-select plan -s ccs -n 1 --strata 4 --cutoff 0 -o p.plan p.tsv
	awk -F'\t' 'BEGIN { OFS = "\t" } $2 == "b4a4d50b0c60e11f" { $1 = "1e999" } { print }' p.plan >bad.plan
	grep -q '^1e999' bad.plan
	run --separate-stderr -65 winnow-select apply --plan bad.plan p.tsv
	[[ $stderr == *"bad.plan:"*": key score \"1e999\" is not finite"* ]]
}

@test "winnow-train: the one-class error frees the class list (LeakSanitizer, check-asan)" {
	npy_from_python one.npy "np.ones((1, 3), '<f4')"
	printf 'id\trow\tlabel\na\t0\tx\n' >one.tsv
	run --separate-stderr -65 $(leakcheck) winnow-train -o m.model one.npy one.tsv
	assert_equal "$stderr" "winnow-train: one.tsv: every labeled row has the label \"x\": a classifier needs at least 2 classes"
}
