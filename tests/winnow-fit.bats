#!/usr/bin/env bats
# winnow-fit: softmax and MLP surrogates from the labeled rows of a
# manifest; the model file; every bad-input path.

load test_helper

# 90 rows, 5 features, 3 classes that a linear model separates well;
# rows 60.. unlabeled (test_helper's separable3).
fixture() {
	separable3 'cat,dog,T-shirt/top' extra
}

@test "-h prints the usage on stdout; misuse exits 64" {
	run -0 winnow-fit -h
	assert_output --partial "usage: winnow-fit"
	run -64 --separate-stderr winnow-fit
	assert_output ""
	[[ $stderr == *"usage: winnow-fit"* ]]
	fixture
	run -64 --separate-stderr winnow-fit emb.npy m.tsv
	assert_equal "$stderr" "winnow-fit: -o MODEL is required"
	run -64 winnow-fit -m tree -o x emb.npy m.tsv
	run -64 winnow-fit -l -1 -o x emb.npy m.tsv
	run -64 winnow-fit --max-iter x -o x emb.npy m.tsv
	run -64 winnow-fit -m mlp --influence shared -o x emb.npy m.tsv
	[ ! -e x ]
}

@test "softmax: fits the labeled rows, reports objective, gradient norm, iterations" {
	fixture
	run -0 --separate-stderr winnow-fit -o model emb.npy m.tsv
	assert_output ""
	[[ $stderr =~ ^"winnow-fit: softmax: 60 rows, 5 features, 3 classes: objective "[0-9.e-]+" gradient-norm "[0-9.e-]+" iterations "[0-9]+" train-accuracy 1.0000 (" ]]
	[ -s model ]
	# the metadata is YAML a person (and a YAML parser) can read
	sed '/^\.\.\.$/q' model >meta.yaml
	"$PYTHON" - <<'EOF'
import yaml
m = yaml.safe_load(open('meta.yaml'))
assert m['kind'] == 'softmax' and m['dim'] == 5 and m['classes'] == 3, m
assert m['class_names'] == ['T-shirt/top', 'cat', 'dog'], m['class_names']
assert m['n_train'] == 60 and m['grad_norm'] <= 1e-5 and m['lambda'] == 1e-4, m
assert m['tensors'][2] == ['W', 3, 5], m['tensors']
EOF
}

@test "softmax: the model file's weights give the same probabilities in NumPy" {
	fixture
	winnow-fit -l 0.01 -o model emb.npy m.tsv 2>/dev/null
	run -0 "$PYTHON" - <<'EOF'
import numpy as np
b = open('model', 'rb').read()
end = b.index(b'\n...\n') + 5
f = np.frombuffer(b[end:-8], dtype='<f4')
d, k = 5, 3
mean, scale, W, bias = f[:d], f[d:2*d], f[2*d:2*d+k*d].reshape(k, d), f[2*d+k*d:2*d+k*d+k]
X = np.load('emb.npy')
Z = ((X - mean) * scale) @ W.T + bias
P = np.exp(Z - Z.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
print(P[0].max()); print(P[:60].argmax(1).tolist()[:6])
EOF
	[[ ${lines[0]} =~ ^0\.9 ]] || [[ ${lines[0]} =~ ^0\.8 ]]
	assert_line --index 1 "[1, 2, 0, 1, 2, 0]"
}

@test "fits are deterministic; mlp with a seed too" {
	fixture
	winnow-fit -o a emb.npy m.tsv 2>/dev/null
	winnow-fit -o b emb.npy <m.tsv 2>/dev/null
	cmp a b
	winnow-fit -m mlp --hidden 8 --epochs 5 --seed 3 -o c emb.npy m.tsv 2>/dev/null
	winnow-fit -m mlp --hidden 8 --epochs 5 --seed 3 -o d emb.npy m.tsv 2>/dev/null
	winnow-fit -m mlp --hidden 8 --epochs 5 --seed 4 -o e emb.npy m.tsv 2>/dev/null
	cmp c d
	! cmp -s c e
}

@test "mlp: trains, reports epochs, -v logs each epoch" {
	fixture
	run -0 --separate-stderr winnow-fit -v -m mlp --hidden 16 --epochs 30 --lr 0.01 -o model emb.npy m.tsv
	[[ $stderr == *"winnow-fit: epoch 30 mean-loss "* ]]
	[[ $stderr =~ "winnow-fit: mlp: 60 rows, 5 features, 3 classes, 16 hidden: objective "[0-9.e-]+" epochs 30 train-accuracy "0\.9[0-9]+ ]]
	head -2 model | tail -1 | grep -qx 'kind: mlp'
	run -0 winnow-fit -m mlp --optimizer sgd --momentum 0.5 --epochs 3 -o model emb.npy m.tsv
}

@test "weights column, --norm, --no-intercept, --no-standardize, --influence, config file" {
	fixture
	awk -F'\t' 'BEGIN{OFS="\t"} NR==1{print $0, "weight"; next} {print $0, (NR%2)+1}' m.tsv >w.tsv
	run -0 winnow-fit --weights weight --norm weight -o model emb.npy w.tsv
	grep -qx 'sum_weight: 90' model
	grep -qx 'norm: weight' model
	run -0 winnow-fit --no-intercept --no-standardize --influence none --norm 1000 -o model emb.npy m.tsv
	grep -qx 'intercept: false' model
	grep -qx 'norm: given' model
	grep -qx 'norm_n: 1000' model
	grep -qx 'influence: none' model
	printf 'fit:\n  lambda: 0.5\n  max-iter: 7\n' >c.yaml
	run -0 winnow-fit -c c.yaml -o model emb.npy m.tsv
	grep -qx 'lambda: 0.5' model
	grep -qx 'max_iter: 7' model
	run -0 winnow-fit -c c.yaml -l 0.25 -o model emb.npy m.tsv
	grep -qx 'lambda: 0.25' model
	printf 'fit:\n  lamda: 0.5\n' >bad.yaml
	run -78 winnow-fit -c bad.yaml -o model emb.npy m.tsv
}

@test "a fit that stops at --max-iter warns, and still writes the model" {
	fixture
	run -0 --separate-stderr winnow-fit -l 0 --max-iter 2 -o model emb.npy m.tsv
	[[ $stderr == *"winnow-fit: not converged after 2 iterations: gradient norm "*" > --tol 1e-05 (raise --max-iter or lambda)"* ]]
	[ -s model ]
}

@test "an mlp fit whose loss still falls at --epochs warns once; a converged fit does not" {
	fixture
	run -0 --separate-stderr winnow-fit -m mlp --hidden 4 --epochs 3 -o model emb.npy m.tsv
	[ "$(grep -c 'not converged' <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"winnow-fit: not converged after 3 epochs: the training loss fell by "*" > --tol 1e-05 in the last one (raise --epochs or --lr)"* ]]
	run -0 --separate-stderr winnow-fit -m mlp --hidden 4 --epochs 3 --tol 1e3 -o model emb.npy m.tsv
	[[ $stderr != *"not converged"* ]]
	run -0 --separate-stderr winnow-fit -o model emb.npy m.tsv
	[[ $stderr != *"not converged"* ]]
}

@test "bad input: no labeled rows, one class, bad rows, weights, columns, files" {
	fixture
	# table: manifest body (| = TAB) -> exit code and message
	check() {
		local code=$1 msg=$2; shift 2
		make_manifest in.tsv "$@"
		run -"$code" --separate-stderr winnow-fit -o model emb.npy in.tsv
		assert_equal "$stderr" "winnow-fit: $msg"
		[ ! -e model ]
	}
	check 65 "in.tsv: no labeled rows: the label of every row is empty" "id|label|row" "a||0" "b||1"
	check 65 "in.tsv: every labeled row has the label \"cat\": a classifier needs at least 2 classes" \
		"id|label|row" "a|cat|0" "b|cat|1" "c||2"
	check 65 "in.tsv:3: row 90 is past the end of emb.npy (90 rows)" "id|label|row" "a|cat|0" "b|dog|90"
	check 65 "in.tsv:2: row \"1.5\" is not a non-negative integer" "id|label|row" "a|cat|1.5" "b|dog|2"
	check 65 "in.tsv:2: row \"-1\" is not a non-negative integer" "id|label|row" "a|cat|-1"
	check 65 "in.tsv:2: row \"\" is not a non-negative integer" "id|label|row" "a|cat|"
	check 65 "in.tsv:1: no \"label\" column" "id|row" "a|0"
	# without a row column the pairing is not known: refused (pairing.bats)
	check 65 "in.tsv:1: no \"row\" column: which row of emb.npy belongs to which line is not known (winnow-embed writes the column; pairing by position is not done)" \
		"id|label" "a|cat" "b|dog"
	make_manifest in.tsv "id|label|row|w" "a|cat|0|1" "b|dog|1|-2"
	run -65 --separate-stderr winnow-fit --weights w -o model emb.npy in.tsv
	assert_equal "$stderr" "winnow-fit: in.tsv:3: weight \"-2\" is not a finite number >= 0"
	run -65 --separate-stderr winnow-fit --weights nope -o model emb.npy in.tsv
	assert_equal "$stderr" "winnow-fit: in.tsv:1: no \"nope\" column for the weights"
	run -66 winnow-fit -o model missing.npy m.tsv
	run -66 winnow-fit -o model emb.npy missing.tsv
	printf 'not npy' >bad.npy
	run -65 winnow-fit -o model bad.npy m.tsv
	run -73 winnow-fit -o /nonexistent/dir/model emb.npy m.tsv
}

# Regression: fit said "training row 0: feature 100" (its own row count,
# no file) for a NaN in embedding row 5 of the file.
@test "a NaN feature is named by file, embedding row and column" {
	fixture
	"$PYTHON" -c "import numpy as np; x = np.load('emb.npy'); x[5, 2] = np.nan; np.save('nan.npy', x)"
	awk 'NR == 1 || NR > 4' m.tsv >sub.tsv
	run -65 --separate-stderr winnow-fit -o n.model nan.npy sub.tsv
	assert_equal "$stderr" "winnow-fit: nan.npy: row 5, column 2: nan is not a finite number"
	[ ! -e n.model ]
}
