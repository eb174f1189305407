#!/usr/bin/env bats
# README.md: the pipeline a new user copies runs as written (on the first
# 3,000 Fashion-MNIST training images, so that it takes seconds), keeps
# the labeled seed, and ends with its test accuracy against random.
bats_require_minimum_version 1.5.0
load test_helper

# readme_pipeline: run.sh, the indented lines under "## The pipeline a user
# copies", run from a copy of the tree's data scripts and pipelines with
# the built programs; after the manifests are made, only the first 3,000
# training images are kept.
readme_pipeline() {
	sed -n '/^## The pipeline a user copies/,/^[^ #]/p' "$WINNOW_TOP/README.md" |
		sed -n 's/^    //p' >pipeline.sh
	mkdir data pipelines
	cp "$WINNOW_TOP"/data/*.sh "$WINNOW_TOP"/data/*.txt data/
	cp "$WINNOW_TOP"/pipelines/* pipelines/
	awk '{ print } /^data\/fashion-mnist.sh / {
		print "head -n 3001 fmnist/train.tsv >t && mv t fmnist/train.tsv" }' \
		pipeline.sh | sed "s|^PATH=\$PWD/bin:|PATH=$WINNOW_BIN:|" >run.sh
}

@test "the README's pipeline runs as written: the seed is kept, accuracy against random printed" {
	[ -r "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no $FMNIST"
	readme_pipeline
	run grep -c '^winnow-train\|^ *winnow-train' pipeline.sh
	assert_output 1
	run --separate-stderr -0 sh -e run.sh
	# one line per training set, in that order, each its test accuracy
	assert_line -n 0 --regexp '^kept: 0\.[0-9]+$'
	assert_line -n 1 --regexp '^random: 0\.[0-9]+$'
	[ "${#lines[@]}" -eq 2 ]
	# 30% of 3,000: random exactly, biased sampling in expectation
	[ "$(($(wc -l <random.tsv) - 1))" -eq 900 ]
	n=$(($(wc -l <kept.tsv) - 1))
	[ "$n" -ge 850 ]
	[ "$n" -le 950 ]
	# every labeled seed row is in both training sets (the seed is paid for)
	k=$(($(wc -l <seed.tsv) - 1))
	[ "$k" -ge 100 ]
	run -0 awk -F '\t' 'NR == FNR { if (FNR > 1) s[$1]; next } FNR > 1 && ($1 in s) { k++ }
		END { print k + 0 }' seed.tsv kept.tsv
	assert_output "$k"
	run -0 awk -F '\t' 'NR == FNR { if (FNR > 1) s[$1]; next } FNR > 1 && ($1 in s) { k++ }
		END { print k + 0 }' seed.tsv random.tsv
	assert_output "$k"
	[ -s kept.model ]
	[ -s random.model ]
}

@test "winnow(7)'s EXAMPLES are the README's pipeline, command for command" {
	# from the first winnow-embed line on, leading blanks and "$ " gone
	sed -n '/^## The pipeline a user copies/,/^[^ #]/p' "$WINNOW_TOP/README.md" |
		sed -n 's/^    //p' | sed -n '/^winnow-embed/,$p' | sed 's/^ *//' >readme.txt
	awk '/^\.Sh EXAMPLES/ { on = 1 } on && /^\.Bd/ { in_bd = 1; next }
		in_bd && /^\.Ed/ { exit } in_bd' "$WINNOW_TOP/man/man7/winnow.7" |
		sed 's/\\e/\\/g; s/^ *//; s/^\$ //' | sed -n '/^winnow-embed/,$p' >man.txt
	[ -s readme.txt ]
	diff readme.txt man.txt
}

@test "one scheme everywhere: the demo, pipelines/rounds, the sweep and every shipped config" {
	PL=$WINNOW_TOP/pipelines
	sel="-s biased --alpha 2"
	fit="-m softmax -l 1e-2 --tol 1e-3 --influence none"
	grep -qF "select_opts=\${DEMO_SELECT:-$sel}" "$PL/demo"
	grep -qF "fit_opts=\${DEMO_FIT:-$fit}" "$PL/demo"
	grep -qF 'score=${DEMO_SCORE:-margin}' "$PL/demo"
	grep -qF "select_opts=\"$sel\"" "$PL/rounds"
	grep -qF "fit_opts=\"$fit\"" "$PL/rounds"
	grep -qF "score=margin" "$PL/rounds"
	grep -qE "^  winnow: $sel( |\$)" "$PL/sweep.yaml"
	for y in prune-before-labeling nightly sharded sweep; do
		# section key value, one a line, comments gone
		awk '/^[^ #]/ { sec = $1; sub(/:.*/, "", sec); next }
			/^  [a-z-]+:/ { k = $1; sub(/:$/, "", k); v = $2; print sec, k, v }' \
			"$PL/$y.yaml" >kv
		grep -qx 'fit lambda 0.01' kv
		grep -qx 'fit tol 0.001' kv
		grep -qx 'fit influence none' kv
		grep -qx 'score method margin' kv
		[ "$y" = sweep ] && continue
		grep -qx 'select scheme biased' kv
		grep -qx 'select alpha 2' kv
		run grep -c '^select reweight' kv
		assert_output 0
	done
}

@test "pipelines/rounds: the seed over the budget, a seed row without a label, bad options" {
	blobs 200 1 b
	head -n 31 b.tsv >seed.tsv
	run --separate-stderr -65 "$WINNOW_TOP/pipelines/rounds" -f 0.1 -o k.tsv b.npy b.tsv seed.tsv
	assert_equal "$stderr" "rounds: seed.tsv: the 30 seed rows are more than the budget of 20 rows (0.1 of 200)"
	[ ! -e k.tsv ]
	awk -F '\t' -v OFS='\t' 'NR == 3 { $3 = "" } 1' seed.tsv >s2.tsv
	run --separate-stderr -65 "$WINNOW_TOP/pipelines/rounds" -o k.tsv b.npy b.tsv s2.tsv
	assert_equal "$stderr" 'rounds: s2.tsv:3: row "b-1" of the labeled seed has no label'
	run --separate-stderr -64 "$WINNOW_TOP/pipelines/rounds" -f 2 -o k.tsv b.npy b.tsv seed.tsv
	assert_equal "$stderr" "rounds: -f 2: the share kept must be in (0, 1]"
	run --separate-stderr -64 "$WINNOW_TOP/pipelines/rounds" -r 0 -o k.tsv b.npy b.tsv seed.tsv
	run --separate-stderr -66 "$WINNOW_TOP/pipelines/rounds" -o k.tsv b.npy b.tsv nope.tsv
	assert_equal "$stderr" "rounds: nope.tsv: cannot read it"
	run --separate-stderr -64 "$WINNOW_TOP/pipelines/rounds" b.npy b.tsv seed.tsv
	[ -z "$(ls -A | grep '^\.rounds')" ]
}

@test "pipelines/rounds: round r keeps K + (B - K) r / R rows, the seed in all, same bytes twice" {
	blobs 400 2 b
	head -n 41 b.tsv >seed.tsv
	run --separate-stderr -0 "$WINNOW_TOP/pipelines/rounds" -f 0.5 -r 3 -S 7 \
		-p "-s top" -o k.tsv b.npy b.tsv seed.tsv
	# -s top keeps exactly the budget: 200 of 400
	[ "$(($(wc -l <k.tsv) - 1))" -eq 200 ]
	run -0 awk -F '\t' 'NR == FNR { if (FNR > 1) s[$1]; next }
		FNR > 1 && ($1 in s) { k++ } END { print k + 0 }' seed.tsv k.tsv
	assert_output 40
	"$WINNOW_TOP/pipelines/rounds" -f 0.5 -r 3 -S 7 -p "-s top" -o k2.tsv b.npy b.tsv seed.tsv
	cmp k.tsv k2.tsv
	# the same as the rounds written out by hand: 40 + 160 r / 3 rows
	winnow-fit -m softmax -l 1e-2 --tol 1e-3 --influence none -o m b.npy seed.tsv 2>/dev/null
	winnow-score -M m -s margin b.npy b.tsv >s.tsv
	winnow-select -n 93 -s top --seed 7 --kept seed.tsv s.tsv >r1.tsv
	cut -f1-3 r1.tsv >l1.tsv
	winnow-fit -m softmax -l 1e-2 --tol 1e-3 --influence none -o m b.npy l1.tsv 2>/dev/null
	winnow-score -M m -s margin b.npy b.tsv >s.tsv
	winnow-select -n 146 -s top --seed 1007 --kept r1.tsv s.tsv >r2.tsv
	cut -f1-3 r2.tsv >l2.tsv
	winnow-fit -m softmax -l 1e-2 --tol 1e-3 --influence none -o m b.npy l2.tsv 2>/dev/null
	winnow-score -M m -s margin b.npy b.tsv >s.tsv
	winnow-select -n 200 -s top --seed 2007 --kept r2.tsv s.tsv >r3.tsv
	cmp r3.tsv k.tsv
}
