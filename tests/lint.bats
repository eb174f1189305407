#!/usr/bin/env bats
# The test suites themselves: no assertion that cannot fail (issue 15,
# "Tests that cannot fail").  tests/lint-bats.py says what it looks for.

load test_helper

@test "no Bats suite has an assertion that errexit ignores" {
	run -0 "$PYTHON" "$WINNOW_TOP/tests/lint-bats.py" "$WINNOW_TOP"/tests/*.bats
	assert_output ""
}

@test "the lint finds mid-test && assertions and || true, and spares the rest" {
	# "%test": a line starting "@test" would be read by bats itself
	sed 's/^%test/@test/' >t.bats <<'BATS'
%test "bad" {
	[ "$n" -eq 1 ] && [ "$m" -eq 2 ]
	cmp a b && false || true
	for f in a b; do [ -e "$f" ] && grep -q x "$f"; done
	n=$(echo x && echo y)
	[ -n "$n" ]
}
%test "good" {
	[ "$n" -eq 1 ] && [ "$m" -eq 2 ] || { echo "n=$n m=$m"; false; }
	[ $m = kmeans ] && a+=(--dict d)
	if true && [ -x /bin/sh ]; then :; fi
	echo "a && [ b ]"  # && [ c ]
	[ "$n" -eq 1 ] && [ "$m" -eq 2 ]
}
BATS
	run -1 "$PYTHON" "$WINNOW_TOP/tests/lint-bats.py" t.bats
	assert_line --index 0 "t.bats:2: assertion in an && list mid-test is ignored when false (make each its own command, or use run + assert_*)"
	assert_line --index 1 't.bats:3: "|| true" after an && list: it cannot fail'
	assert_line --index 2 --partial "t.bats:4: assertion in an && list"
	assert_equal "${#lines[@]}" 3
}
