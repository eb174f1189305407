#!/usr/bin/env bats
# README.md: the pipeline a new user copies runs as written (on the first
# 3,000 Fashion-MNIST training images, so that it takes seconds).
bats_require_minimum_version 1.5.0
load test_helper

@test "the README's pipeline runs as written and keeps 30% of the rows" {
	[ -r "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no $FMNIST"
	# the indented lines under "## The pipeline a user copies"
	sed -n '/^## The pipeline a user copies/,/^[^ #]/p' "$WINNOW_TOP/README.md" |
		sed -n 's/^    //p' >pipeline.sh
	grep -q '^winnow-train' pipeline.sh
	# run it from a copy of the tree's data scripts with the built programs;
	# after the manifests are made, keep the first 3,000 training images
	mkdir data
	cp "$WINNOW_TOP"/data/*.sh "$WINNOW_TOP"/data/*.txt data/
	awk '{ print } /^data\/fashion-mnist.sh / {
		print "head -n 3001 data/fmnist/train.tsv >t && mv t data/fmnist/train.tsv" }' \
		pipeline.sh | sed "s|^PATH=\$PWD/bin:|PATH=$WINNOW_BIN:|" >run.sh
	run -0 sh -e run.sh
	[ "$(($(wc -l <kept.tsv) - 1))" -eq 900 ]
	[ -s final.model ]
}
