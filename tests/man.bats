#!/usr/bin/env bats
# Every program has a man page that formats cleanly and whose EXAMPLES run.
#
# The EXAMPLES are taken from the page as a user sees it: rendered by
# man(1) at 80 columns (MANWIDTH=80 man -l PAGE | col -bx), then
# tests/man-examples.py picks the commands (lines starting "$ ",
# continued by lines ending in "\" or "|") and refuses lines wider than
# 80 columns.  They run in order in one temporary folder where data/ and
# tests/ point into the repository (the pages say "from the top of the
# winnow source tree") and python3 is Debian's (with NumPy); nothing
# else is prepared: the setup a page needs is on the page.

load test_helper

# render PAGE: the page as man shows it in an 80-column terminal.
render() {
	MANWIDTH=80 MAN_KEEP_FORMATTING= man -l "$1" 2>/dev/null | col -bx
}

@test "every program in bin/ has a man page, a Bats suite, and -h" {
	for src in "$WINNOW_TOP"/bin/winnow-*.c; do
		p=$(basename "$src" .c)
		[ -f "$WINNOW_TOP/man/man1/$p.1" ] || { echo "no man page for $p"; false; }
		[ -f "$WINNOW_TOP/tests/$p.bats" ] || { echo "no Bats suite for $p"; false; }
		"$p" -h >/dev/null || { echo "$p -h failed"; false; }
		grep -q "Xr $p 1" "$WINNOW_TOP/man/man7/winnow.7" || { echo "$p missing from winnow(7)"; false; }
	done
}

@test "man pages format without warnings" {
	for m in "$WINNOW_TOP"/man/man*/*.[157]; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 groff -mandoc -Tutf8 -ww -z "$m" 2>&1) ||
			{ echo "$m: $out"; false; }
		[ -z "$out" ] || { echo "$m: $out"; false; }
	done
}

# Regression: EXAMPLES were taken from the roff source, so quotes that
# mdoc ate, a command wrapped at 80 columns without a backslash and setup
# in roff comments passed here and failed when pasted.
@test "the EXAMPLES of each section-1 page run as rendered at 80 columns" {
	for m in "$WINNOW_TOP"/man/man1/*.1; do
		name=$(basename "$m" .1)
		mkdir "$name" && cd "$name"
		ln -s "$WINNOW_TOP/data" data
		ln -s "$WINNOW_TOP/tests" tests
		mkdir -p pybin && ln -sf "$PYTHON" pybin/python3
		render "$m" >page.txt
		[ -s page.txt ] || { echo "$name: man rendered nothing"; false; }
		"$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <page.txt >examples.sh ||
			{ echo "$name: EXAMPLES as rendered:"; sed -n '/^EXAMPLES/,/^SEE ALSO/p' page.txt; false; }
		if ! PATH=$PWD/pybin:$PATH sh -e examples.sh >out 2>&1; then
			echo "$name: EXAMPLES failed:"; cat examples.sh; cat out; false
		fi
		cd ..
	done
}

@test "man-examples.py joins continued commands and refuses what would not paste" {
	printf '%s\n' 'NAME' '     x' 'EXAMPLES' '     Text $ not a command.' \
		'       $ echo a \' '           b |' '           tr a c' '       $ true' 'SEE ALSO' \
		'       $ not this' >ok.txt
	run -0 "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <ok.txt
	assert_equal "$output" "$(printf '%s\n' 'echo a \' '           b |' '           tr a c' 'true')"
	# wrapped by man at 80 columns: the rest of the command on a new line
	printf '%s\n' 'EXAMPLES' '       $ winnow-manifest split -f 0.04 --seed 1 --stratify label -o' \
		'       seed.tsv train.tsv' "       \$ $(printf 'x%.0s' $(seq 80))" >bad.txt
	run -1 --separate-stderr "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <bad.txt
	assert_equal "$stderr" "line 4: 89 columns, wider than 80: \$ $(printf 'x%.0s' $(seq 80))"
	printf '%s\n' 'EXAMPLES' '       $ a \' '       b' >flush.txt
	run -1 --separate-stderr "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <flush.txt
	assert_equal "$stderr" 'line 3: continuation line not indented under its "$": b'
}
