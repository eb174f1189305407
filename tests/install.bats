#!/usr/bin/env bats
# make install / make uninstall honour PREFIX and DESTDIR.

load test_helper

@test "make install puts programs and man pages under DESTDIR/PREFIX; uninstall removes them" {
	o=$(dirname "$WINNOW_BIN")
	run make -s -C "$WINNOW_TOP" O="$o" install DESTDIR="$PWD/root" PREFIX=/opt/w
	assert_success
	[ -x root/opt/w/bin/winnow-manifest ]
	[ -x root/opt/w/bin/winnow ]
	[ -f root/opt/w/share/man/man1/winnow-manifest.1 ]
	[ -f root/opt/w/share/man/man5/winnow-formats.5 ]
	[ -f root/opt/w/share/man/man7/winnow.7 ]
	root/opt/w/bin/winnow manifest -h >/dev/null
	run make -s -C "$WINNOW_TOP" O="$o" uninstall DESTDIR="$PWD/root" PREFIX=/opt/w
	assert_success
	[ -z "$(find root -type f)" ]
}
