#!/usr/bin/env bats
# Every program has a man page that formats cleanly and whose EXAMPLES run.
#
# The EXAMPLES of every page of sections 1 and 7 are taken from the page
# as a user sees it: rendered by man(1) at 80 columns (MANWIDTH=80 man -l
# PAGE | col -bx), then tests/man-examples.py picks the commands (lines
# starting "$ ", continued by lines ending in "\" or "|" and by the
# deeper-indented lines of a loop) and refuses lines wider than 80
# columns.  They run in order in one temporary folder per page where
# data/, pipelines/ and tests/ point into the repository (the pages say
# "from the top of the winnow source tree") and python3 is Debian's
# (with NumPy); nothing else is prepared: the setup a page needs is on
# the page.

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

# examples PAGE: run the EXAMPLES of PAGE as rendered at 80 columns, in
# a folder of its own where data/, pipelines/ and tests/ point into the
# repository (the pages say "from the top of the winnow source tree").
examples() {
	local m=$1 name
	name=$(basename "$m")
	mkdir "$name" && cd "$name" || return 1
	ln -s "$WINNOW_TOP/data" data
	ln -s "$WINNOW_TOP/pipelines" pipelines
	ln -s "$WINNOW_TOP/tests" tests
	mkdir -p pybin && ln -sf "$PYTHON" pybin/python3
	render "$m" >page.txt
	[ -s page.txt ] || { echo "$name: man rendered nothing"; return 1; }
	"$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <page.txt >examples.sh ||
		{ echo "$name: EXAMPLES as rendered:"; sed -n '/^EXAMPLES/,/^SEE ALSO/p' page.txt; return 1; }
	if ! PATH=$PWD/pybin:$PATH sh -e examples.sh >out 2>&1; then
		echo "$name: EXAMPLES failed:"; cat examples.sh; cat out; return 1
	fi
	cd ..
}

# Regression: EXAMPLES were taken from the roff source, so quotes that
# mdoc ate, a command wrapped at 80 columns without a backslash and setup
# in roff comments passed here and failed when pasted.
@test "the EXAMPLES of each section-1 page run as rendered at 80 columns" {
	for m in "$WINNOW_TOP"/man/man1/*.1; do
		examples "$m"
	done
}

# Regression (issue 15): the overview pages' EXAMPLES were run from their
# source by tests/pipelines.bats (winnow-pipelines(7)) or not at all
# (winnow(7)), and were wider than 80 columns as rendered.
@test "the EXAMPLES of winnow-pipelines(7) run as rendered at 80 columns" {
	examples "$WINNOW_TOP/man/man7/winnow-pipelines.7"
	[ -s winnow-pipelines.7/winnow-out/to-label.jsonl ]
}

# winnow(7)'s example is the demo's pipeline on all 60,000 Fashion-MNIST
# images: about 20 s of CPU (80 s on a loaded two-core machine); it runs,
# as it is the first thing a user pastes.
@test "the EXAMPLES of winnow(7) run as rendered at 80 columns" {
	examples "$WINNOW_TOP/man/man7/winnow.7"
	run -0 grep -c '^kept: 0\.[0-9]' winnow.7/out
	run -0 grep -c '^random: 0\.[0-9]' winnow.7/out
}

@test "man-examples.py joins continued commands and refuses what would not paste" {
	printf '%s\n' 'NAME' '     x' 'EXAMPLES' '     Text $ not a command.' \
		'       $ echo a \' '           b |' '           tr a c' '       $ true' 'SEE ALSO' \
		'       $ not this' >ok.txt
	run -0 "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <ok.txt
	assert_equal "$output" "$(printf '%s\n' 'echo a \' '           b |' '           tr a c' 'true')"
	# a loop pasted as it is shown: its deeper-indented lines belong to it,
	# up to a blank line or a line not indented deeper than its "$"
	printf '%s\n' 'EXAMPLES' '       $ for x in a b; do' '           echo $x' '         done' \
		'       $ true' '' '         not this' 'SEE ALSO' >loop.txt
	run -0 "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <loop.txt
	assert_equal "$output" "$(printf '%s\n' 'for x in a b; do' '           echo $x' '         done' 'true')"
	# wrapped by man at 80 columns: the rest of the command on a new line
	printf '%s\n' 'EXAMPLES' '       $ winnow-manifest split -f 0.04 --seed 1 --stratify label -o' \
		'       seed.tsv train.tsv' "       \$ $(printf 'x%.0s' $(seq 80))" >bad.txt
	run -1 --separate-stderr "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <bad.txt
	assert_equal "$stderr" "line 4: 89 columns, wider than 80: \$ $(printf 'x%.0s' $(seq 80))"
	printf '%s\n' 'EXAMPLES' '       $ a \' '       b' >flush.txt
	run -1 --separate-stderr "$PYTHON" "$WINNOW_TOP/tests/man-examples.py" <flush.txt
	assert_equal "$stderr" 'line 3: continuation line not indented under its "$": b'
}
