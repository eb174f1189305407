#!/usr/bin/env bats
# What a Unix user expects of every program alike (issue 15, "Conventions
# a Unix user expects"): --version, and -h whose write error is an error.

load test_helper

# Every program and subcommand that parses options.
commands=(
	"winnow"
	"winnow-embed" "winnow-embed learn"
	"winnow-fit" "winnow-score" "winnow-select" "winnow-train"
	"winnow-manifest" "winnow-manifest idx" "winnow-manifest dir"
	"winnow-manifest split" "winnow-manifest to-jsonl"
	"winnow-manifest from-jsonl"
)

@test "every program and subcommand has --version" {
	for c in "${commands[@]}"; do
		run -0 $c --version
		assert_output --regexp "^${c%% *} [0-9]+\.[0-9]+"
	done
}

@test "-h writes the usage to stdout and exits 0" {
	for c in "${commands[@]}"; do
		run -0 --separate-stderr $c -h
		assert_output --partial "usage:"
		assert_equal "$stderr" ""
	done
}

# Regression: -h >/dev/full exited 0 everywhere.
@test "-h and --version on a full stdout exit 74 with a write error" {
	for c in "${commands[@]}"; do
		for o in -h --version; do
			run -74 --separate-stderr sh -c "$c $o >/dev/full"
			assert_equal "$stderr" "${c%% *}: <stdout>: write error: No space left on device"
		done
	done
}

# Regression: -m was --kind in winnow-fit but --model in winnow-train.
@test "-m and --model choose the model in fit and train alike; fit's --kind is an alias" {
	blobs 60 1 b
	winnow-fit --model mlp --epochs 2 --seed 1 -o a.model b.npy b.tsv 2>/dev/null
	winnow-fit -m mlp --epochs 2 --seed 1 -o m.model b.npy b.tsv 2>/dev/null
	winnow-fit --kind mlp --epochs 2 --seed 1 -o k.model b.npy b.tsv 2>/dev/null
	printf 'fit:\n  model: mlp\n  epochs: 2\n  seed: 1\n' >c.yaml
	winnow-fit -c c.yaml -o c.model b.npy b.tsv 2>/dev/null
	grep -q '^kind: mlp$' a.model
	cmp a.model m.model
	cmp a.model k.model
	cmp a.model c.model
	winnow-train --model mlp --epochs 2 -o t.model b.npy b.tsv >/dev/null
	winnow-train -m mlp --epochs 2 -o u.model b.npy b.tsv >/dev/null
	grep -q '^kind: mlp$' t.model
	cmp t.model u.model
}

# Regression: fit had no -j or --progress, score none of the three, embed
# and train no -v.
@test "-j, --progress and -v on every long-running program" {
	blobs 60 1 b
	printf 'id\tpath\n' >img.tsv
	for i in 0 1 2; do printf 'i%d\t%s\n' $i "$FIXTURES/embed/gray.png" >>img.tsv; done
	run -0 --separate-stderr winnow-embed -j 2 --progress -v -s 8x8 -o e.npy img.tsv
	[[ $stderr == *$'\r'"embed: 3/3 100%"*" done"* ]]
	[[ $stderr == *"winnow-embed: 3 images embedded, 64 features each, in "*" s" ]]
	run -0 --separate-stderr winnow-embed learn -j 2 --progress -v -k 2 -s 8x8 --patch 4 -o d.dict img.tsv
	[[ $stderr == *"winnow-embed: learn: 2 centroids from "*" patches of 3 images" ]]
	run -0 --separate-stderr winnow-fit -j 2 --progress -v -o f.model b.npy b.tsv
	[[ $stderr == *"winnow-fit: iteration 1 objective "* ]]
	[[ $stderr == *$'\r'"fit: "*" done"* ]]
	winnow-fit -j 1 -o f1.model b.npy b.tsv 2>/dev/null
	cmp f.model f1.model
	run -0 --separate-stderr winnow-score -j 2 --progress -v -M f.model b.npy b.tsv
	[[ $stderr == *$'\r'"score: 60 "*" done"* ]]
	[[ $stderr == *"winnow-score: 60 rows scored by entropy in "*" s" ]]
	winnow-score -j 1 -M f.model b.npy b.tsv | cmp - <(printf '%s\n' "$output")
	run -0 --separate-stderr winnow-train -j 2 --progress -v -o t.model b.npy b.tsv
	[[ $stderr == *"winnow-train: iteration 1 objective "* ]]
	[[ $stderr == *$'\r'"train (L-BFGS iterations): "*" done"* ]]
}

# Regression: -o renamed its temporary file over the target whatever it
# was, so as root `-o /dev/null` replaced /dev/null with an ordinary file.
# A FIFO stands in for the device here (the old code broke it the same way).
@test "-o onto a FIFO writes through it and leaves it a FIFO; --resume refuses it" {
	printf 'id\tscore\na\t0.5\nb\t0.25\nc\t0.75\n' >"$BATS_TEST_TMPDIR/s.tsv"
	mkfifo "$BATS_TEST_TMPDIR/out"
	# the reader gives up after 20 s: a FIFO renamed over has no writer
	timeout 20 cat "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/got" &
	run -0 winnow-select -s top -n 2 -o "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/s.tsv"
	wait || true
	[ -p "$BATS_TEST_TMPDIR/out" ]
	run -0 cut -f1 "$BATS_TEST_TMPDIR/got"
	assert_output "$(printf 'id\na\nc')"
	run -0 find "$BATS_TEST_TMPDIR" -name '.out.*'
	assert_output ""
	printf 'id\tpath\ng\t%s\n' "$FIXTURES/embed/gray.png" >"$BATS_TEST_TMPDIR/img.tsv"
	run -64 winnow-embed --resume -m pixels -o "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/img.tsv"
	assert_output --partial "not a regular file"
	[ -p "$BATS_TEST_TMPDIR/out" ]
}
