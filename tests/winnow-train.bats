#!/usr/bin/env bats
# winnow-train: options, weights, sifting, checkpoints, bad inputs.
load test_helper

data() {
	blobs 300 1 train
	blobs 150 2 test
}

@test "-h prints the usage on stdout" {
	run -0 winnow-train -h
	assert_output --partial "usage: winnow-train"
}

@test "without -o: usage error" {
	data
	run -64 --separate-stderr winnow-train train.npy train.tsv
	assert_equal "$stderr" "winnow-train: -o MODEL is required"
}

@test "bad option values are usage errors" {
	data
	run -64 --separate-stderr winnow-train -m tree -o m train.npy train.tsv
	assert_output ""
	run -64 --separate-stderr winnow-train --lambda-per half -o m train.npy train.tsv
	[[ $stderr == *"--lambda-per"* ]]
	run -64 --separate-stderr winnow-train --test nocolon -o m train.npy train.tsv
	[[ $stderr == *"is not EMB.npy:MANIFEST"* ]]
	run -64 --separate-stderr winnow-train --sift-beta 1 -o m train.npy train.tsv
	[[ $stderr == *"--solver sgd"* ]]
}

@test "softmax by L-BFGS: model, test accuracy, per-class accuracy, summary" {
	data
	run -0 winnow-train -o m.model --test test.npy:test.tsv train.npy train.tsv
	assert_line --partial "per class: cat"
	assert_line --regexp '^final: samples 300 .* test_accuracy 0\.[0-9]{6} test_error 0\.[0-9]{6} test_loss'
	acc=$(echo "$output" | sed -n 's/.*test_accuracy \([0-9.]*\).*/\1/p')
	"$PYTHON" -c "assert $acc > 0.8, $acc"
	run -0 head -1 m.model
	assert_output "# winnow-model 1"
	grep -q '^kind: softmax$' m.model
}

@test "the manifest can come from stdin" {
	data
	winnow-train -o a.model train.npy train.tsv >/dev/null
	winnow-train -o b.model train.npy <train.tsv >/dev/null
	cmp a.model b.model
}

@test "--log writes one row per epoch" {
	data
	run -0 winnow-train --solver sgd --epochs 3 --log run.tsv --test test.npy:test.tsv \
		-o m.model train.npy train.tsv
	run -0 cat run.tsv
	assert_line --index 0 "$(printf 'epoch\tsamples\tbackward\ttrain_loss\ttest_loss\ttest_accuracy\tval_loss\tval_accuracy\tseconds')"
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[3]} == "3	900	900	"* ]]
}

@test "a row with weight 2 counts as the row twice (L-BFGS)" {
	data
	# the first 30 rows have weight 2; the duplicate manifest repeats them
	{ printf 'id\trow\tlabel\tweight\n'
	  tail -n +2 train.tsv | awk -F'\t' -v OFS='\t' '{print $0, (NR <= 30 ? 2 : 1)}'
	} >weighted.tsv
	{ cat train.tsv; sed -n 2,31p train.tsv | sed 's/^/again-/'; } >dup.tsv
	winnow-train --tol 1e-7 -o w.model --test test.npy:test.tsv train.npy weighted.tsv >w.out
	winnow-train --tol 1e-7 -o d.model --test test.npy:test.tsv train.npy dup.tsv >d.out
	winnow-train --tol 1e-7 -o u.model --test test.npy:test.tsv train.npy train.tsv >u.out
	lw=$(sed -n 's/.*test_loss \([0-9.]*\).*/\1/p' w.out)
	ld=$(sed -n 's/.*test_loss \([0-9.]*\).*/\1/p' d.out)
	lu=$(sed -n 's/.*test_loss \([0-9.]*\).*/\1/p' u.out)
	"$PYTHON" -c "assert abs($lw - $ld) < 2e-5, ($lw, $ld)"
	# and the weight matters (else the test proves nothing)
	"$PYTHON" -c "assert abs($lw - $lu) > 1e-5, ($lw, $lu)"
	# --no-weights ignores the column
	winnow-train --tol 1e-7 --no-weights -o n.model --test test.npy:test.tsv train.npy weighted.tsv >n.out
	ln=$(sed -n 's/.*test_loss \([0-9.]*\).*/\1/p' n.out)
	assert_equal "$ln" "$lu"
}

@test "a bad weight is refused" {
	data
	{ printf 'id\trow\tlabel\tweight\n'; printf 'a\t0\tcat\t-1\n'; } >bad.tsv
	run -65 --separate-stderr winnow-train -o m train.npy bad.tsv
	assert_equal "$stderr" 'winnow-train: bad.tsv:2: weight "-1" is not a finite number >= 0'
	[ ! -e m ]
}

@test "--no-intercept, --no-standardize and --lambda-per full:N reach the model" {
	data
	run -0 winnow-train --no-intercept --no-standardize --lambda-per full:60000 -l 0.01 \
		-o m.model train.npy train.tsv
	grep -q '^intercept: false$' m.model
	grep -q '^standardize: false$' m.model
	grep -q '^norm_n: 60000$' m.model
}

@test "same seed, same model (softmax sgd, -j 1 and -j 2 each)" {
	data
	for j in 1 2; do
		winnow-train -j $j --solver sgd --epochs 3 --seed 5 -o a$j.model train.npy train.tsv >/dev/null
		winnow-train -j $j --solver sgd --epochs 3 --seed 5 -o b$j.model train.npy train.tsv >/dev/null
		cmp a$j.model b$j.model
	done
	winnow-train --solver sgd --epochs 3 --seed 6 -o c.model train.npy train.tsv >/dev/null
	! cmp -s a1.model c.model
}

@test "L-BFGS softmax: the same model bytes whatever -j (the fused pass and the preconditioner are thread-independent)" {
	# 20,000 rows: two rounds of 64 chunks of 256 rows, shared by the threads
	blobs 20000 7 big
	for j in 1 2 3; do
		winnow-train -j $j --max-iter 15 -o m$j.model big.npy big.tsv >/dev/null
	done
	cmp m1.model m2.model
	cmp m1.model m3.model
	OPENBLAS_NUM_THREADS=1 winnow-fit -l 1e-3 -o f1.model big.npy big.tsv 2>/dev/null
	OPENBLAS_NUM_THREADS=2 winnow-fit -l 1e-3 -o f2.model big.npy big.tsv 2>/dev/null
	cmp f1.model f2.model
}

@test "the order of the manifest rows does not change the sgd model" {
	data
	{ head -1 train.tsv; tail -n +2 train.tsv | sort -r; } >shuffled.tsv
	winnow-train -j 1 --solver sgd --epochs 2 -o a.model train.npy train.tsv >/dev/null
	winnow-train -j 1 --solver sgd --epochs 2 -o b.model train.npy shuffled.tsv >/dev/null
	"$PYTHON" - <<'PY'
import re
def loss(p):
    return float(re.search(r"^objective: (\S+)$", open(p, encoding="latin-1").read(), re.M).group(1))
a, b = loss("a.model"), loss("b.model")
assert abs(a - b) < 1e-5 * max(1, abs(a)), (a, b)
PY
}

@test "sifting keeps about 1/(1+beta) of the samples (softmax sgd and mlp)" {
	blobs 4000 3 big
	for case in "1 --solver sgd" "3 --solver sgd" "1 -m mlp --hidden 8" "3 -m mlp --hidden 8"; do
		set -- $case
		beta=$1
		shift
		run -0 winnow-train "$@" --epochs 3 --sift-beta $beta --sift-delay 2 \
			--sift-history 300 -o m.model big.npy big.tsv
		line=$(echo "$output" | grep '^sifting:')
		seen=$(echo "$line" | sed -n 's/.* of \([0-9]*\) samples.*/\1/p')
		out=$(echo "$line" | sed -n 's/^sifting: \([0-9]*\) of.*/\1/p')
		[ "$seen" -eq 12000 ]
		# kept share within 0.03 of 1/(1+beta) (the delay keeps 2 batches)
		"$PYTHON" -c "k = 1 - $out / $seen; assert abs(k - 1 / (1 + $beta)) < 0.03, k"
		assert_line --regexp "^final: samples 4000 epochs 3 backward $((seen - out)) "
	done
}

@test "checkpoint and resume: same model as an uninterrupted run (softmax sgd, sifting)" {
	data
	opts="-j 1 --solver sgd --epochs 5 --sift-beta 1 --sift-delay 1 --seed 3"
	winnow-train $opts -o full.model train.npy train.tsv >/dev/null
	run -75 --separate-stderr winnow-train $opts --checkpoint-every 1 --stop-after 2 \
		-o part.model train.npy train.tsv
	[[ $stderr == *"stopped after epoch 2"* ]]
	[ -e part.model.ckpt ]
	[ ! -e part.model ]
	run -0 --separate-stderr winnow-train $opts --checkpoint-every 1 --resume \
		-o part.model train.npy train.tsv
	[[ $stderr == *"resuming from part.model.ckpt after epoch 2"* ]]
	cmp full.model part.model
	[ ! -e part.model.ckpt ]
}

@test "a checkpoint of another run is refused" {
	data
	winnow-train -j 1 --solver sgd --epochs 3 --stop-after 1 -o m.model train.npy train.tsv \
		>/dev/null 2>&1 || true
	run -65 --separate-stderr winnow-train -j 1 --solver sgd --epochs 3 --lr 0.5 --resume \
		-o m.model train.npy train.tsv
	assert_equal "$stderr" "winnow-train: m.model.ckpt: checkpoint of a different run (data or options differ)"
}

@test "--val: early stopping keeps the best epoch (softmax sgd)" {
	data
	blobs 150 4 val
	run -0 winnow-train --solver sgd --epochs 40 --patience 2 --lr 0.5 --val val.npy:val.tsv \
		--test test.npy:test.tsv -o m.model train.npy train.tsv
	assert_line --regexp '^early stopping: best validation loss [0-9.]+ at epoch [0-9]+ of [0-9]+$'
	assert_line --partial "val accuracy"
}

# Regression: winnow-train said nothing when training stopped at its cap
# short of --tol (winnow-fit warned).
@test "a run that stops at --max-iter or --epochs short of --tol warns once" {
	data
	run -0 --separate-stderr winnow-train --max-iter 2 -o m.model train.npy train.tsv
	assert_equal "$(grep -c 'not converged' <<<"$stderr")" 1
	[[ $stderr == "winnow-train: not converged after 2 iterations: gradient norm "*" > --tol 1e-05 (raise --max-iter or lambda)" ]]
	run -0 --separate-stderr winnow-train --solver sgd --epochs 3 -o m.model train.npy train.tsv
	[[ $stderr == "winnow-train: not converged after 3 epochs: the training loss fell by "*" > --tol 1e-05 in the last one (raise --epochs or --lr)" ]]
	run -0 --separate-stderr winnow-train -m mlp --hidden 4 --epochs 3 -o m.model train.npy train.tsv
	[[ $stderr == "winnow-train: not converged after 3 epochs: "* ]]
}

@test "a run that reaches --tol, or stops early on --val, does not warn" {
	data
	blobs 150 4 val
	run -0 --separate-stderr winnow-train -o m.model train.npy train.tsv
	assert_equal "$stderr" ""
	run -0 --separate-stderr winnow-train --solver sgd --epochs 3 --tol 10 -o m.model train.npy train.tsv
	assert_equal "$stderr" ""
	run -0 --separate-stderr winnow-train --solver sgd --epochs 40 --patience 2 --lr 0.5 \
		--val val.npy:val.tsv -o m.model train.npy train.tsv
	assert_line --regexp '^early stopping: '
	assert_equal "$stderr" ""
}

# Regression: --test rows with an empty label were dropped without a word.
@test "--test and --val rows without a label are reported" {
	data
	awk -F'\t' 'BEGIN { OFS = "\t" } NR > 1 && NR <= 4 { $3 = "" } { print }' test.tsv >t2.tsv
	run -0 --separate-stderr winnow-train --solver sgd --epochs 1 --test test.npy:t2.tsv --val test.npy:t2.tsv \
		-o m.model train.npy train.tsv
	assert_equal "$stderr" "$(printf '%s\n' \
		'winnow-train: t2.tsv: 3 rows without a label left out of the test measurement' \
		'winnow-train: t2.tsv: 3 rows without a label left out of the validation set')"
}

# Regression: "early stopping ... at epoch 5 of 5" when nothing stopped.
@test "--val without an early stop does not say early stopping" {
	data
	blobs 150 4 val
	run -0 winnow-train --solver sgd --epochs 1 --val val.npy:val.tsv -o m.model train.npy train.tsv
	refute_line --partial "early stopping"
	assert_line --regexp '^validation: best loss [0-9.]+ at the last epoch, 1$'
}

@test "mlp: trains, early-stops on --val, checkpoint/resume equality" {
	data
	run -0 winnow-train -m mlp --hidden 16 --epochs 30 --patience 2 --val test.npy:test.tsv \
		--test test.npy:test.tsv -o m.model train.npy train.tsv
	assert_line --partial "val accuracy"
	grep -q '^kind: mlp$' m.model
	opts="-j 1 -m mlp --hidden 8 --epochs 4 --seed 2"
	winnow-train $opts -o full.model train.npy train.tsv >/dev/null
	run -75 winnow-train $opts --stop-after 2 -o part.model train.npy train.tsv
	run -0 winnow-train $opts --resume -o part.model train.npy train.tsv
	cmp full.model part.model
}

@test "mlp with sifting and a cosine learning-rate schedule: resume equals an uninterrupted run" {
	data
	opts="-j 1 -m mlp --hidden 8 --epochs 5 --seed 4 --sift-beta 1 --sift-delay 1 --lr-schedule cosine"
	run -0 winnow-train $opts -o full.model train.npy train.tsv
	assert_line --regexp '^sifting: [1-9][0-9]* of 1500 samples sifted out'
	run -75 winnow-train $opts --stop-after 3 -o part.model train.npy train.tsv
	run -0 winnow-train $opts --resume -o part.model train.npy train.tsv
	cmp full.model part.model
	# the schedule changes the model: a constant rate gives another one
	winnow-train -j 1 -m mlp --hidden 8 --epochs 5 --seed 4 --sift-beta 1 --sift-delay 1 \
		-o const.model train.npy train.tsv >/dev/null
	! cmp -s full.model const.model
}

@test "a manifest row past the end of EMB.npy" {
	data
	{ cat train.tsv; printf 'x\t300\tcat\n'; } >past.tsv
	run -65 --separate-stderr winnow-train -o m train.npy past.tsv
	assert_equal "$stderr" "winnow-train: past.tsv:302: row 300 is past the end of train.npy (300 rows)"
	[ ! -e m ]
}

@test "an unknown label in the test set" {
	data
	{ cat test.tsv; printf 'x\t0\tfox\n'; } >t2.tsv
	run -65 --separate-stderr winnow-train --test test.npy:t2.tsv -o m train.npy train.tsv
	assert_equal "$stderr" 'winnow-train: t2.tsv:152: label "fox" is not one of the 3 classes of the training set'
	[ ! -e m ]
}

@test "an empty manifest, a manifest without rows, without labels" {
	data
	: >empty.tsv
	run -65 --separate-stderr winnow-train -o m train.npy empty.tsv
	[[ $stderr == "winnow-train: empty.tsv: "* ]]
	head -1 train.tsv >header.tsv
	run -65 --separate-stderr winnow-train -o m train.npy header.tsv
	assert_equal "$stderr" "winnow-train: header.tsv: no labeled rows: no rows at all"
	printf 'id\trow\tlabel\na\t0\t\n' >unlabeled.tsv
	run -65 --separate-stderr winnow-train -o m train.npy unlabeled.tsv
	assert_equal "$stderr" "winnow-train: unlabeled.tsv: no labeled rows: the label of every row is empty"
	[ ! -e m ]
}

@test "one class, no row column, test embeddings of the wrong width" {
	data
	printf 'id\trow\tlabel\na\t0\tcat\nb\t1\tcat\n' >one.tsv
	run -65 --separate-stderr winnow-train -o m train.npy one.tsv
	assert_equal "$stderr" 'winnow-train: one.tsv: every labeled row has the label "cat": a classifier needs at least 2 classes'
	cut -f1,3 train.tsv >norow.tsv
	run -65 --separate-stderr winnow-train -o m train.npy norow.tsv
	[[ $stderr == *'no "row" column'* ]]
	npy_from_python wide.npy "np.zeros((150, 5), np.float32)"
	run -65 --separate-stderr winnow-train --test wide.npy:test.tsv -o m train.npy train.tsv
	assert_equal "$stderr" "winnow-train: wide.npy: 5 columns, but the training embeddings have 4"
}

@test "-c: defaults from the train section; the command line wins; unknown keys" {
	data
	printf 'train:\n  solver: sgd\n  epochs: 2\n  no-intercept: true\n' >c.yaml
	run -0 winnow-train -c c.yaml -o m.model train.npy train.tsv
	assert_line --regexp '^final: samples 300 epochs 2 '
	grep -q '^intercept: false$' m.model
	run -0 winnow-train -c c.yaml --epochs 3 -o m.model train.npy train.tsv
	assert_line --regexp '^final: samples 300 epochs 3 '
	printf 'train:\n  epoch: 2\n' >bad.yaml
	run -78 --separate-stderr winnow-train -c bad.yaml -o m.model train.npy train.tsv
	[[ $stderr == "winnow-train: bad.yaml:2:3: unknown key \"epoch\""* ]]
}

@test "the man page example runs" {
	data
	cp train.npy emb.npy
	cp train.tsv kept.tsv
	cp test.npy test-emb.npy
	run -0 winnow-train -o final.model --test test-emb.npy:test.tsv \
		--log run.tsv emb.npy kept.tsv
	run -0 winnow-train --solver sgd --epochs 10 --sift-beta 1 \
		--checkpoint-every 1 -o final.model emb.npy kept.tsv
	run -0 winnow-train --solver sgd --epochs 10 --sift-beta 1 \
		--checkpoint-every 1 --resume -o final.model emb.npy kept.tsv
	run -0 winnow-train --lambda-per full:60000 -l 0.001 --no-standardize \
		--tol 1e-7 --test test-emb.npy:test.tsv -o final.model \
		emb.npy kept.tsv
	assert_line --regexp '^final: .* test_error 0\.[0-9]{6} '
}
