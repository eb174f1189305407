#!/usr/bin/env bats
# winnow-train --adaptive (GLISTER, GradMatch, CRAIG, random) and --tune:
# options, errors, what each selection round does, the tuning log.
load test_helper

data() {
	blobs 400 1 train
	blobs 150 2 test
	blobs 120 3 val
}

# usage_error EXPECTED-STDERR-PART ARGS...: exit 64 and the message
usage_error() {
	local want=$1
	shift
	run -64 --separate-stderr winnow-train "$@"
	[[ $stderr == *"$want"* ]] || { echo "stderr: $stderr"; return 1; }
}

@test "-h lists the adaptive and tuning options" {
	run -0 winnow-train -h
	assert_output --partial "--adaptive random|glister|gradmatch|craig"
	assert_output --partial "--tune"
}

@test "--fraction outside (0, 1] is a usage error" {
	data
	for f in 0 -0.1 1.5 abc; do
		usage_error "--fraction" -m mlp --adaptive craig --fraction "$f" -o m train.npy train.tsv
	done
	usage_error "is not in (0, 1]" -m mlp --adaptive craig --fraction 0 -o m train.npy train.tsv
}

@test "--every 0, a negative --warm, an unknown method: usage errors" {
	data
	usage_error "--every" -m mlp --adaptive random --every 0 -o m train.npy train.tsv
	usage_error "--warm" -m mlp --adaptive random --warm -1 -o m train.npy train.tsv
	usage_error "--adaptive" -m mlp --adaptive kcenter -o m train.npy train.tsv
	usage_error "--taylor-every" -m mlp --adaptive glister --taylor-every 0 -o m train.npy train.tsv
}

@test "glister without a validation set is a usage error" {
	data
	usage_error "--adaptive glister needs a validation set" -m mlp --adaptive glister \
		-o m train.npy train.tsv
	[ ! -e m ]
}

@test "--adaptive needs minibatches and refuses sifting and checkpoints" {
	data
	usage_error "--solver sgd" --adaptive craig -o m train.npy train.tsv
	usage_error "does not combine" -m mlp --adaptive craig --sift-beta 1 -o m train.npy train.tsv
	usage_error "does not combine" -m mlp --adaptive craig --checkpoint-every 1 -o m train.npy train.tsv
}

@test "--tune needs a validation set" {
	data
	usage_error "--tune needs a validation set" -m mlp --tune -o m train.npy train.tsv
}

@test "each method trains on its subset: rows per epoch, selections, accuracy" {
	data
	for method in random glister gradmatch craig; do
		run -0 winnow-train -m mlp --hidden 16 --batch 16 --lr 0.01 --epochs 6 \
			--adaptive "$method" --fraction 0.25 --every 2 --warm 1 \
			--val val.npy:val.tsv --patience 100 --seed 3 --test test.npy:test.tsv \
			--log "$method.tsv" -o "$method.model" train.npy train.tsv
		# warm-up epoch on all 400 rows, then 5 epochs on 100 rows
		assert_line --regexp "^final: samples 400 epochs 6 backward 900 .* select_seconds [0-9.]+ selections 3$"
		assert_line --regexp "^selection at epoch 2: $method chose 100 of 400 rows"
		assert_line --regexp "^selection at epoch 6: $method chose 100 of 400 rows"
		acc=$(echo "$output" | sed -n 's/^final: .*test_accuracy \([0-9.]*\).*/\1/p')
		"$PYTHON" -c "assert $acc > 0.75, ('$method', $acc)"
		[ "$(grep -c '^# selection' "$method.tsv")" = 3 ]
		[ "$(grep -vc '^#' "$method.tsv")" = 7 ]
	done
}

@test "softmax by minibatches takes --adaptive too; --fraction 1 keeps every row" {
	data
	run -0 winnow-train --solver sgd --epochs 3 --adaptive gradmatch --fraction 1 \
		-o m train.npy train.tsv
	assert_line --regexp "^final: samples 400 epochs 3 backward 1200 "
	run -0 winnow-train --solver sgd --epochs 3 --adaptive craig --fraction 0.1 --every 1 \
		-o m train.npy train.tsv
	assert_line --regexp "^final: samples 400 epochs 3 backward 120 .* selections 3$"
}

@test "adaptive training is deterministic for a seed" {
	data
	for i in 1 2; do
		winnow-train -m mlp --hidden 8 --epochs 4 --adaptive glister --fraction 0.2 --every 2 \
			--val val.npy:val.tsv --patience 100 --seed 5 -o "m$i" train.npy train.tsv >"out$i"
	done
	cmp m1 m2
}

# Regression: --tune with --sift-beta crashed (the trials sifted with an
# unset sifting state).
@test "--tune with --sift-beta: the trials sift too" {
	data
	run -0 winnow-train --solver sgd --epochs 2 --tune --tune-trials 2 --sift-beta 1 \
		--val val.npy:val.tsv -o m.model train.npy train.tsv
	assert_line --regexp '^tune: best lambda '
	assert_line --regexp '^sifting: [0-9]+ of [0-9]+ samples sifted out'
}

@test "--tune: every trial in the log, the best setting used, the model trained with it" {
	data
	run -0 winnow-train -m mlp --hidden 8 --epochs 3 --tune --val val.npy:val.tsv \
		--test test.npy:test.tsv --log log.tsv -o m.model train.npy train.tsv
	[ "$(grep -c '^tune: trial' <<<"$output")" = 15 ]
	assert_line --regexp '^tune: best lambda [0-9.e+-]+ lr [0-9.e+-]+: val accuracy'
	[ "$(grep -c '^# tune	[0-9]' log.tsv)" = 15 ]
	best=$(sed -n 's/^# tune	best	\([^	]*\)	.*/\1/p' log.tsv)
	[ -n "$best" ]
	# the model file records the chosen lambda
	run -0 sed '/^\.\.\.$/q' m.model
	lam=$(echo "$output" | sed -n 's/^lambda: //p')
	"$PYTHON" -c "assert abs($lam - $best) <= 1e-6 * $best, ($lam, $best)"
}

@test "--tune-trials N draws N settings; softmax L-BFGS tunes lambda only" {
	data
	run -0 winnow-train --tune-trials 4 --val val.npy:val.tsv -o m train.npy train.tsv
	[ "$(grep -c '^tune: trial' <<<"$output")" = 4 ]
	run -0 winnow-train --tune --val val.npy:val.tsv -o m train.npy train.tsv
	[ "$(grep -c '^tune: trial' <<<"$output")" = 5 ]
	# the final run standardises the features in place (consume_x), the
	# trials must not: the tuned model is the plain one at the chosen lambda
	best=$(sed -n 's/^tune: best lambda \([^ ]*\) .*/\1/p' <<<"$output")
	[ -n "$best" ]
	run -0 winnow-train -l "$best" -o m2 train.npy train.tsv
	cmp m m2
}

@test "--patience 0: the validation set is evaluated, no early stopping, the last model kept" {
	data
	run -0 winnow-train -m mlp --hidden 8 --epochs 4 --val val.npy:val.tsv --patience 0 \
		-o m.model train.npy train.tsv
	refute_line --partial "early stopping"
	assert_line --regexp '^epoch 4: .* val accuracy'
	run -64 --separate-stderr winnow-train -m mlp --patience -1 -o m train.npy train.tsv
	[[ $stderr == *"--patience"* ]]
}
