#!/usr/bin/env bats
# make install / make uninstall honour PREFIX and DESTDIR; the installed
# pipelines and data tools run from PREFIX/share/winnow with the installed
# programs.

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
	for f in demo rounds lib.sh nightly nightly.yaml prune-before-labeling \
	    prune-before-labeling.yaml sharded sharded.yaml sweep sweep.yaml; do
		[ -f "root/opt/w/share/winnow/pipelines/$f" ]
	done
	[ -x root/opt/w/share/winnow/pipelines/rounds ]
	[ -x root/opt/w/share/winnow/data/png-sample ]
	[ -x root/opt/w/share/winnow/data/fashion-mnist.sh ]
	[ -f root/opt/w/share/winnow/data/fashion-mnist-classes.txt ]
	run make -s -C "$WINNOW_TOP" O="$o" uninstall DESTDIR="$PWD/root" PREFIX=/opt/w
	assert_success
	[ -z "$(find root -type f)" ]
	[ ! -e root/opt/w/share/winnow ]
}

@test "the installed pipelines and data tools run with the installed programs, not the build tree" {
	o=$(dirname "$WINNOW_BIN")
	make -s -C "$WINNOW_TOP" O="$o" install DESTDIR="$PWD/root" PREFIX=/opt/w
	s=$PWD/root/opt/w/share/winnow
	# no build tree on PATH, no WINNOW_BIN: only what was installed
	i() { env -u WINNOW_BIN PATH=/usr/bin:/bin "$@"; }
	mkdir job && cd job
	run -0 i "$s/data/png-sample" -n 200 png-sample
	i "$PWD/../root/opt/w/bin/winnow-manifest" dir png-sample |
		i "$PWD/../root/opt/w/bin/winnow-manifest" split -f 0.1 --seed 1 --stratify label -o seed.tsv
	run -0 i "$s/pipelines/prune-before-labeling" -c "$s/pipelines/prune-before-labeling.yaml"
	assert_line --regexp '^kept [0-9]+ of 180$'
	[ -s winnow-out/to-label.jsonl ]
	[ -r "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no $FMNIST"
	run -0 i "$s/data/fashion-mnist.sh"
	[ "$(wc -l <fashion-mnist/test.tsv)" -eq 10001 ]
	head -n 1001 fashion-mnist/train.tsv >t.tsv
	i "$PWD/../root/opt/w/bin/winnow-embed" -m pixels -o t.npy t.tsv >te.tsv
	i "$PWD/../root/opt/w/bin/winnow-manifest" split -f 0.05 --seed 1 --stratify label -o l.tsv te.tsv
	run -0 i "$s/pipelines/rounds" -f 0.2 -o k.tsv t.npy te.tsv l.tsv
	[ "$(($(wc -l <k.tsv) - 1))" -gt 150 ]
}
