#!/usr/bin/env bats
# Every program has a man page that formats cleanly and whose EXAMPLES run.
#
# The commands of a page's EXAMPLES section are the lines that start with
# "$ " (continued by lines ending in "\e" or "|"); they run in order, in
# one temporary folder where data/ and tests/ point into the repository.
# A page may prepare that folder with comment lines
#   .\" example-setup: COMMAND
# which run first.  A page whose program's own suite runs its EXAMPLES
# (with fixtures it makes) says so instead:
#   .\" examples-tested-by: tests/winnow-select.bats

load test_helper

examples() {
	awk '
	/^\.Sh / { in_ex = ($2 == "EXAMPLES") ; next }
	/^\.\\" example-setup: / { sub(/^\.\\" example-setup: /, ""); print; next }
	!in_ex { next }
	/^\.Dl \$ / { sub(/^\.Dl \$ /, ""); print; next }
	/^\$ / { sub(/^\$ /, ""); cmd = $0
		while (cmd ~ /(\\e|\|)$/ && (getline line) > 0) {
			cmd = cmd "\n" line }
		print cmd; next }
	' "$1" | sed 's/\\e/\\/g; s/\\(em/-/g; s/\\-/-/g'
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

@test "the EXAMPLES of each section-1 page run" {
	for m in "$WINNOW_TOP"/man/man1/*.1; do
		name=$(basename "$m" .1)
		by=$(sed -n 's/^\.\\" examples-tested-by: //p' "$m")
		if [ -n "$by" ]; then
			grep -q "EXAMPLES of $name" "$WINNOW_TOP/$by" ||
				{ echo "$name: $by has no test of its EXAMPLES"; false; }
			continue
		fi
		mkdir "$name" && cd "$name"
		ln -s "$WINNOW_TOP/data" data
		ln -s "$WINNOW_TOP/tests" tests
		# examples say python3: make it Debian's, which has NumPy
		mkdir -p pybin && ln -sf "$PYTHON" pybin/python3
		examples "$m" >examples.sh
		[ -s examples.sh ] || { echo "$name: no runnable EXAMPLES"; false; }
		if ! PATH=$PWD/pybin:$PATH sh -e examples.sh >out 2>&1; then
			echo "$name: EXAMPLES failed:"; cat examples.sh; cat out; false
		fi
		cd ..
	done
}
