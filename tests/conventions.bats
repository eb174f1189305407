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
