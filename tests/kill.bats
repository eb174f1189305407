#!/usr/bin/env bats
# kill -9 at many points of winnow-embed, winnow-fit, winnow-select and
# winnow-train
# with -o: the output is absent or complete (byte-identical to an
# uninterrupted run); --resume (embed) and --checkpoint/--resume (train)
# then finish byte-identical to an uninterrupted run.
#
# The kill points are fixed delays plus one random one (printed, so a
# failure can be replayed with KILL_AT=SECONDS).
bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
	cd "$BATS_FILE_TMPDIR" || return 1
	winnow-manifest idx "$FMNIST/train-images-idx3-ubyte.gz" \
		"$FMNIST/train-labels-idx1-ubyte.gz" | head -n 3001 >fm.tsv
	winnow-embed -m random -d 32 -o e.npy fm.tsv >e.tsv
	# a manifest with scores for select: 200,000 rows
	"$PYTHON" -c "
import random
random.seed(3)
print('id\tlabel\tscore')
for i in range(200000): print('r%d\t%d\t%.6f' % (i, i % 10, random.random()))" >big.tsv
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

delays() {
	echo ${KILL_AT:-0.05 0.2 0.6 $((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))}
}

# killat SECONDS CMD...: run CMD, SIGKILL it after SECONDS (if still running).
killat() {
	local t=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$t"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

# absent_or_same OUT REF: OUT does not exist, or is byte-identical to REF.
absent_or_same() {
	[ ! -e "$1" ] && return 0
	cmp "$1" "$2" || { echo "$1 exists and differs from $2 (partial output)"; return 1; }
}

@test "winnow-embed -o: killed anywhere, e.npy is absent or whole" {
	cp "$BATS_FILE_TMPDIR/fm.tsv" .
	winnow-embed -m random -d 32 --batch 64 -o ref.npy fm.tsv >/dev/null
	for t in $(delays); do
		echo "kill at $t"
		rm -f e.npy
		killat "$t" winnow-embed -m random -d 32 --batch 64 -o e.npy fm.tsv
		absent_or_same e.npy ref.npy
	done
}

@test "winnow-embed --resume: killed anywhere, the resumed run ends byte-identical" {
	cp "$BATS_FILE_TMPDIR/fm.tsv" .
	winnow-embed -m random -d 32 --batch 64 -o ref.npy fm.tsv >ref.tsv
	for t in $(delays); do
		echo "kill at $t"
		rm -f e.npy e.npy.part e.npy.resume
		killat "$t" winnow-embed -m random -d 32 --batch 64 --resume -o e.npy fm.tsv
		absent_or_same e.npy ref.npy
		run --separate-stderr -0 winnow-embed -m random -d 32 --batch 64 --resume -o e.npy fm.tsv
		[ "$output" = "$(cat ref.tsv)" ] || { echo "resumed manifest differs"; return 1; }
		cmp e.npy ref.npy
		[ ! -e e.npy.part ]
		[ ! -e e.npy.resume ]
	done
}

@test "winnow-select -o and plan -o: killed anywhere, absent or whole" {
	cp "$BATS_FILE_TMPDIR/big.tsv" .
	winnow-select -f 0.3 -s biased --score score --alpha 1 --reweight -o ref.tsv big.tsv
	winnow-select plan -f 0.3 -s stratified --by label -o ref.plan big.tsv
	for t in $(delays); do
		echo "kill at $t"
		rm -f s.tsv p.plan
		killat "$t" winnow-select -f 0.3 -s biased --score score --alpha 1 --reweight -o s.tsv big.tsv
		absent_or_same s.tsv ref.tsv
		killat "$t" winnow-select plan -f 0.3 -s stratified --by label -o p.plan big.tsv
		absent_or_same p.plan ref.plan
	done
}

@test "winnow-train -o: killed anywhere, the model is absent or whole" {
	cp "$BATS_FILE_TMPDIR/e.npy" "$BATS_FILE_TMPDIR/e.tsv" .
	local opts="-m mlp --hidden 32 --epochs 60 -j 1 --seed 4"
	winnow-train $opts -o ref.model e.npy e.tsv 2>/dev/null
	for t in $(delays); do
		echo "kill at $t"
		rm -f m.model
		killat "$t" winnow-train $opts -o m.model e.npy e.tsv
		absent_or_same m.model ref.model
	done
}

@test "winnow-train --checkpoint: killed anywhere, --resume ends byte-identical" {
	cp "$BATS_FILE_TMPDIR/e.npy" "$BATS_FILE_TMPDIR/e.tsv" .
	local opts="-m mlp --hidden 32 --epochs 60 -j 1 --seed 4 --checkpoint ck --checkpoint-every 1"
	winnow-train $opts -o ref.model e.npy e.tsv 2>/dev/null
	rm -f ck
	for t in $(delays); do
		echo "kill at $t"
		rm -f m.model ck
		killat "$t" winnow-train $opts -o m.model e.npy e.tsv
		absent_or_same m.model ref.model
		if [ -e m.model ]; then
			continue        # finished before the kill
		fi
		run --separate-stderr -0 winnow-train $opts --resume -o m.model e.npy e.tsv
		cmp m.model ref.model
	done
}

@test "winnow-fit -o: killed anywhere, the model is absent or whole" {
	cp "$BATS_FILE_TMPDIR/e.npy" "$BATS_FILE_TMPDIR/e.tsv" .
	winnow-fit --influence class -o ref.model e.npy e.tsv 2>/dev/null
	for t in $(delays); do
		echo "kill at $t"
		rm -f m.model
		killat "$t" winnow-fit --influence class -o m.model e.npy e.tsv
		absent_or_same m.model ref.model
	done
}
