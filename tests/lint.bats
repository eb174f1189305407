#!/usr/bin/env bats
# The test suites themselves: no assertion that cannot fail (issue 15,
# "Tests that cannot fail").  tests/lint-bats.py says what it looks for.

load test_helper

@test "no Bats suite has an assertion that errexit ignores" {
	run -0 "$PYTHON" "$WINNOW_TOP/tests/lint-bats.py" "$WINNOW_TOP"/tests/*.bats
	assert_output ""
}

@test "the lint finds mid-test && assertions and || true, and spares the rest" {
	# the sample (a fixture, so that no check of tests/*.bats reads its bad
	# lines as real ones); "%test": a line starting "@test" would be read
	# by bats itself
	sed 's/^%test/@test/' "$WINNOW_TOP/tests/fixtures/lint/sample.bats.in" >t.bats
	run -1 "$PYTHON" "$WINNOW_TOP/tests/lint-bats.py" t.bats
	assert_line --index 0 "t.bats:2: assertion in an && list mid-test is ignored when false (make each its own command, or use run + assert_*)"
	assert_line --index 1 't.bats:3: "|| true" after an && list: it cannot fail'
	assert_line --index 2 --partial "t.bats:4: assertion in an && list"
	assert_equal "${#lines[@]}" 3
}
