#!/usr/bin/env bats
# Injected I/O failures (tests/faults/failio.c, an LD_PRELOAD shim; and a
# small tmpfs when `unshare -m` may mount one): every program exits with the
# documented code (74 I/O error, 73 cannot create the output), names what
# failed, and leaves no -o output and no temporary file behind.  A reader
# that goes away (| head -1) ends a program quietly.
bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	cc -shared -fPIC -o "$BATS_FILE_TMPDIR/failio.so" "$WINNOW_TOP/tests/faults/failio.c" -ldl
	cd "$BATS_FILE_TMPDIR" || return 1
	# 300 rows of 4 features, 3 classes; 60 Fashion-MNIST images
	"$PYTHON" - <<'PY'
import numpy as np
rng = np.random.default_rng(5)
n = 300
y = rng.integers(0, 3, n)
x = np.eye(3, 4)[y] * 2 + rng.standard_normal((n, 4))
np.save("d.npy", x.astype(np.float32))
with open("d.tsv", "w") as f:
    f.write("id\trow\tlabel\tscore\n")
    for i in range(n):
        f.write("s%d\t%d\t%s\t%.6f\n" % (i, i, "abc"[y[i]], rng.random()))
PY
	winnow-manifest idx "$FMNIST/train-images-idx3-ubyte.gz" \
		"$FMNIST/train-labels-idx1-ubyte.gz" | head -n 61 >fm.tsv
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cp "$BATS_FILE_TMPDIR"/d.npy "$BATS_FILE_TMPDIR"/d.tsv "$BATS_FILE_TMPDIR"/fm.tsv .
}

# failrun OP PATH AFTER CMD...: run CMD with OP (write, read, fsync,
# rename) failing on files whose path holds PATH after AFTER bytes/calls.
# (verify_asan_link_order=0: the shim comes before libasan in check-asan.)
failrun() {
	local op=$1 path=$2 after=$3
	shift 3
	FAILIO=$op FAILIO_PATH=$path FAILIO_AFTER=$after \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	LD_PRELOAD=$BATS_FILE_TMPDIR/failio.so "$@"
}

# no_output FILE: neither FILE nor a temporary file for it is left.
no_output() {
	[ ! -e "$1" ] || { echo "$1 was left behind"; return 1; }
	local left
	left=$(ls -A | grep -F ".$1." || true)
	[ -z "$left" ] || { echo "temporary file left: $left"; return 1; }
}

# check_faults OUT CMD...: CMD writes -o OUT; a write error at the start,
# in the middle, an fsync error and a rename error are each reported
# with the right code and message, leaving nothing.
check_faults() {
	local out=$1 prog=$2
	shift
	local after
	for after in 0 200; do
		run --separate-stderr failrun write "$out" $after "$@"
		[ "$status" -eq 74 ] || { echo "write after $after: status $status: $stderr"; return 1; }
		[[ $stderr == *"$prog: "*"$out"*"No space left on device"* ]] ||
			{ echo "write after $after: message: $stderr"; return 1; }
		no_output "$out"
	done
	run --separate-stderr failrun fsync "$out" 0 "$@"
	[ "$status" -eq 74 ] || { echo "fsync: status $status: $stderr"; return 1; }
	[[ $stderr == *"$prog: "*"$out"*"Input/output error"* ]] || { echo "fsync: $stderr"; return 1; }
	no_output "$out"
	run --separate-stderr failrun rename "$out" 0 "$@"
	[ "$status" -eq 73 ] || { echo "rename: status $status: $stderr"; return 1; }
	[[ $stderr == *"$prog: $out: cannot rename into place: Input/output error"* ]] ||
		{ echo "rename: $stderr"; return 1; }
	no_output "$out"
	# and without faults the same command works
	run --separate-stderr "$@"
	[ "$status" -eq 0 ] || { echo "clean run: $status: $stderr"; return 1; }
	[ -s "$out" ]
}

@test "the shim itself: injects, reports, and passes other files through" {
	local py="import sys; f = open(sys.argv[1], 'w'); f.write('hello world'); f.close()"
	run --separate-stderr failrun write out.txt 5 "$PYTHON" -c "$py" out.txt
	[ "$status" -ne 0 ]
	[[ $stderr == *"failio: write "*"out.txt: No space left on device"* ]]
	assert_equal "$(cat out.txt)" "hello"
	run -0 failrun write nomatch 0 "$PYTHON" -c "$py" out2.txt
	assert_equal "$(cat out2.txt)" "hello world"
	run --separate-stderr failrun rename b 0 mv out2.txt b
	[ "$status" -ne 0 ]
	[[ $stderr == *"failio: rename "* ]]
}

@test "winnow-manifest split -o/-r: write, fsync, rename failures" {
	check_faults a.tsv winnow-manifest split -f 0.5 -o a.tsv d.tsv
	rm -f a.tsv
	check_faults b.tsv winnow-manifest split -f 0.5 -o a.tsv -r b.tsv d.tsv
}

@test "winnow-select -o and plan -o: write, fsync, rename failures" {
	check_faults s.tsv winnow-select -f 0.3 -s biased --score score --alpha 1 -o s.tsv d.tsv
	check_faults p.plan winnow-select plan -f 0.3 -s stratified --by label -o p.plan d.tsv
}

@test "winnow-embed -o and learn -o: write, fsync, rename failures" {
	check_faults e.npy winnow-embed -s 8x8 -o e.npy fm.tsv
	check_faults k.dict winnow-embed learn -k 4 --patches 200 -s 12x12 -o k.dict fm.tsv
}

@test "winnow-train -o: write, fsync, rename failures" {
	check_faults m.model winnow-train -o m.model d.npy d.tsv
}

@test "winnow-fit -o: write, fsync, rename failures" {
	check_faults f.model winnow-fit --influence class -o f.model d.npy d.tsv
	check_faults g.model winnow-fit -m mlp --hidden 4 --epochs 3 -o g.model d.npy d.tsv
}

@test "read errors on the input manifest: 74 naming the file" {
	local cmd
	for cmd in "winnow-manifest split -f 0.5 -o a.tsv d.tsv" \
	           "winnow-select -f 0.5 -o a.tsv d.tsv" \
	           "winnow-train -o a.tsv d.npy d.tsv" "winnow-fit -o a.tsv d.npy d.tsv"; do
		run --separate-stderr failrun read d.tsv 100 $cmd
		[ "$status" -eq 74 ] || { echo "$cmd: status $status: $stderr"; return 1; }
		[[ $stderr == *"d.tsv"*"read error: Input/output error"* ]] || { echo "$cmd: $stderr"; return 1; }
		no_output a.tsv
	done
}

@test "stdout on a full device (/dev/full): 74, 'write error'" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr -74 sh -c 'winnow-select -f 0.5 d.tsv >/dev/full'
	assert_equal "$stderr" "winnow-select: <stdout>: write error: No space left on device"
	run --separate-stderr -74 sh -c 'winnow-manifest to-jsonl fm.tsv >/dev/full'
	[[ $stderr == *"write error: No space left on device"* ]]
	run --separate-stderr -74 sh -c 'winnow-embed -s 4x4 -o e.npy fm.tsv >/dev/full'
	[[ $stderr == *"write error: No space left on device"* ]]
	winnow-fit -o m.model d.npy d.tsv 2>/dev/null
	run --separate-stderr -74 sh -c 'winnow-score -M m.model -s entropy d.npy d.tsv >/dev/full'
	[[ $stderr == *"winnow-score: "*"write error: No space left on device"* ]]
}

@test "a real full filesystem (tmpfs in a private mount namespace)" {
	unshare -m true 2>/dev/null || skip "unshare -m not permitted"
	mkdir mnt
	# 5 pages: the inputs (2 + 2 pages) fit, the outputs do not
	run --separate-stderr unshare -m sh -c '
		mount -t tmpfs -o size=20k tmpfs mnt || exit 99
		cp d.tsv fm.tsv mnt/ && cd mnt || exit 98
		winnow-select -f 1 -s random -o s.tsv d.tsv; echo "select $?"
		winnow-manifest split -f 1 -o a.tsv d.tsv; echo "split $?"
		winnow-embed -s 28x28 -o e.npy fm.tsv >e.tsv; echo "embed $?"
		ls -A'
	[ "$status" -ne 99 ] || skip "cannot mount a tmpfs"
	assert_line "select 74"
	assert_line "split 74"
	assert_line "embed 74"
	refute_line --partial ".a.tsv."
	refute_line --partial ".e.npy."
	refute_line "a.tsv"
	refute_line "s.tsv"
	refute_line "e.npy"
	[[ $stderr == *"winnow-manifest: a.tsv: write error: No space left on device"* ]]
	[[ $stderr == *"winnow-embed: "*"write error: No space left on device"* ]]
}

@test "| head -1: every program that writes to stdout ends quietly" {
	local cmd
	for cmd in "winnow-select -f 0.9 -s random" "winnow-manifest split -f 0.9" \
	           "winnow-manifest to-jsonl"; do
		# 300 rows are too few to fill a pipe: make 20000
		"$PYTHON" -c "
import sys
print('id\tpath\tlabel\tscore')
for i in range(20000): print('r%d\tp%d.png\t%d\t0.%d' % (i, i, i % 3, i))" >big.tsv
		run bash -c "set -o pipefail; $cmd big.tsv 2>err | head -1 >/dev/null; echo \"status \${PIPESTATUS[0]}\"; cat err"
		[[ $output == "status 0" || $output == "status 141" ]] || { echo "$cmd: $output"; return 1; }
	done
	run bash -c 'set -o pipefail; winnow-embed -s 4x4 -o e.npy fm.tsv 2>err | head -1 >/dev/null; echo "status ${PIPESTATUS[0]}"; cat err'
	[[ $output == "status 0" || $output == "status 141" ]]
	"$PYTHON" -c "
import numpy as np
np.save('big.npy', np.random.default_rng(0).normal(size=(20000, 4)).astype('<f4'))
with open('big.tsv', 'w') as f:
    f.write('id\trow\tlabel\n')
    for i in range(20000): f.write('b%d\t%d\t%s\n' % (i, i, 'abc'[i % 3]))"
	winnow-fit -o m.model d.npy d.tsv 2>/dev/null
	run bash -c 'set -o pipefail; winnow-score -M m.model -s margin big.npy big.tsv 2>err | head -1 >/dev/null; echo "status ${PIPESTATUS[0]}"; cat err'
	[[ $output == "status 0" || $output == "status 141" ]]
}
