#!/bin/sh
# tests/run.sh [BUILD_DIR] - run every C unit test and Bats suite, print the
# TAP lines, and end with one line "N passed, N failed".  Exit 1 if any
# test failed or a suite could not run.
#
# BUILD_DIR (default ".") is where the programs and unit tests were built:
# "." for the normal build, build-asan for make check-asan.
# TESTS="npy select" runs only the unit tests and suites whose names
# contain one of the words.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-.}
case $build in /*) ;; *) build=$top/$build ;; esac
build=$(cd "$build" && pwd) || exit 1
export WINNOW_BIN="$build/bin"
export WINNOW_TOP="$top"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

selected() {
	[ -z "${TESTS:-}" ] && return 0
	for w in $TESTS; do
		case $1 in *"$w"*) return 0 ;; esac
	done
	return 1
}

for t in "$top"/tests/unit/test_*.c; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .c)
	selected "$name" || continue
	echo "# unit: $name"
	if ! "$build/tests/unit/$name" >"$log.out" 2>&1; then
		status=1
	fi
	cat "$log.out"
	grep -E '^(not )?ok ' "$log.out" >>"$log"
	if ! grep -q '^1\.\.' "$log.out"; then
		echo "not ok - $name did not finish (crashed?)" | tee -a "$log"
	fi
done
rm -f "$log.out"

for s in "$top"/tests/*.bats; do
	[ -e "$s" ] || continue
	name=$(basename "$s" .bats)
	selected "$name" || continue
	echo "# bats: $name"
	bats --tap "$s" >"$log.out" 2>&1 || status=1
	cat "$log.out"
	grep -E '^(not )?ok ' "$log.out" >>"$log"
	if ! grep -q '^1\.\.' "$log.out"; then
		echo "not ok - $name.bats did not run" | tee -a "$log"
	fi
done
rm -f "$log.out"

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
