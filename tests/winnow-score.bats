#!/usr/bin/env bats
# winnow-score: every method, the appended columns, streaming in blocks,
# and every bad-input path.

load test_helper

# emb.npy (90 x 5, 3 classes), m.tsv (labels on rows < 60), all.tsv
# (every row labeled, rows in reverse order), a model.
fixture() {
	separable3 'cat,dog,T-shirt/top' extra
	"$PYTHON" - <<'EOF'
names = ['cat', 'dog', 'T-shirt/top']
with open('all.tsv', 'w') as f:
    f.write('id\tlabel\trow\n')
    for i in range(90):
        f.write('s%d\t%s\t%d\n' % (i, names[i % 3], 89 - i))
EOF
	winnow-fit -l 0.01 --influence class -o model emb.npy m.tsv 2>/dev/null
}

@test "-h prints the usage; misuse exits 64" {
	run -0 winnow-score -h
	assert_output --partial "usage: winnow-score -M MODEL"
	fixture
	run -64 --separate-stderr winnow-score emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: -M MODEL is required for entropy scores"
	run -64 --separate-stderr winnow-score -M model -s nope emb.npy m.tsv
	[[ $stderr == *'unknown method "nope"'* ]]
	run -64 winnow-score -M model emb.npy m.tsv extra
	run -64 winnow-score -M model --influence bogus emb.npy m.tsv
}

@test "appends score, pred, conf and passes the other columns through" {
	fixture
	run -0 --separate-stderr winnow-score -M model emb.npy m.tsv
	[ "${lines[0]}" = "$(printf 'id\tlabel\trow\textra\tscore\tpred\tconf')" ]
	[ "${#lines[@]}" -eq 91 ]
	[[ ${lines[1]} =~ ^"s0	cat	0	x0	"[0-9.e-]+"	cat	0."[0-9]+$ ]]
	# an existing score column is overwritten in place
	winnow-score -M model -s margin emb.npy m.tsv >a.tsv
	winnow-score -M model -s entropy emb.npy a.tsv >b.tsv
	[ "$(head -1 b.tsv)" = "$(head -1 a.tsv)" ]
	cut -f5 b.tsv >s1
	winnow-score -M model emb.npy m.tsv | cut -f5 >s2
	cmp s1 s2
}

@test "every method matches NumPy on the model file's weights" {
	fixture
	for s in entropy margin least-confidence influence influence-shared loss el2n grand; do
		winnow-score -M model -s "$s" emb.npy all.tsv | cut -f4 | tail -n +2 >"got.$s"
	done
	run -0 "$PYTHON" - <<'EOF'
import numpy as np
b = open('model', 'rb').read()
end = b.index(b'\n...\n') + 5
f = np.frombuffer(b[end:-8], dtype='<f4').astype(np.float64)
d, k, d1 = 5, 3, 6
o = 0
def take(n):
    global o; o += n; return f[o - n:o]
mean, scale = take(d), take(d)
W, bias = take(k * d).reshape(k, d), take(k)
Ls = take(d1 * d1).reshape(d1, d1); Lc = take(k * d1 * d1).reshape(k, d1, d1)
names = ['T-shirt/top', 'cat', 'dog']
X = np.load('emb.npy').astype(np.float64)
rows, lab = [], []
for line in open('all.tsv').read().split('\n')[1:]:
    if line:
        i, l, r = line.split('\t'); rows.append(int(r)); lab.append(names.index(l))
Xs = (X[rows] - mean) * scale; y = np.array(lab)
Z = Xs @ W.T + bias
P = np.exp(Z - Z.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
Ps = np.sort(P, 1)
Xt = np.hstack([Xs, np.ones((len(y), 1))])
E = np.eye(k)[y]
want = {
    'entropy': -(P * np.log(P)).sum(1),
    'margin': 1 - (Ps[:, -1] - Ps[:, -2]),
    'least-confidence': 1 - Ps[:, -1],
    'influence': sum(P[:, c] * (1 - P[:, c]) *
                     np.einsum('ij,ij->i', Xt, np.linalg.solve(Lc[c] @ Lc[c].T, Xt.T).T)
                     for c in range(k)),
    'influence-shared': (P * (1 - P)).sum(1) *
                     np.einsum('ij,ij->i', Xt, np.linalg.solve(Ls @ Ls.T, Xt.T).T),
    'loss': -np.log(P[np.arange(len(y)), y]),
    'el2n': np.linalg.norm(P - E, axis=1),
    'grand': np.linalg.norm(P - E, axis=1) * np.linalg.norm(Xt, axis=1),
}
for s, w in want.items():
    got = np.loadtxt('got.' + s)
    err = np.max(np.abs(got - w) / (1e-3 + np.abs(w)))
    print(s, 'ok' if err < 1e-4 else 'BAD %g' % err)
EOF
	for s in entropy margin least-confidence influence influence-shared loss el2n grand; do
		assert_line "$s ok"
	done
}

@test "prototype: model-free, deterministic for a seed, scores in [0, 2]" {
	fixture
	run -0 --separate-stderr winnow-score -s prototype --clusters 3 --seed 1 emb.npy m.tsv
	[ "${#lines[@]}" -eq 91 ]
	[[ ${lines[1]} =~ ^"s0	cat	0	x0	"[0-9.e-]+"		"$ ]]
	winnow-score -s prototype --clusters 3 --seed 1 emb.npy m.tsv >a
	winnow-score -s prototype --clusters 3 --seed 1 --block 7 emb.npy m.tsv >b
	cmp a b
	awk -F'\t' 'NR > 1 && ($5 < 0 || $5 > 2) { exit 1 }' a
	# with a model it fills pred and conf too
	run -0 winnow-score -M model -s prototype --clusters 3 emb.npy m.tsv
	[[ ${lines[1]} =~ "	cat	0."[0-9]+$ ]]
	run -65 --separate-stderr winnow-score -s prototype --clusters 100 emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: emb.npy: 90 rows for 100 clusters"
}

@test "output does not depend on the block size or on stdin vs file" {
	fixture
	winnow-score -M model -s influence emb.npy m.tsv >a
	winnow-score -M model -s influence --block 1 emb.npy <m.tsv >b
	winnow-score -M model -s influence --block 13 emb.npy - <m.tsv >c
	cmp a b
	cmp a c
}

# Regression for issue 20 (threads and the blocked kernels): every
# method's output is the same bytes whatever -j, --block or the split of
# the manifest into shards, at a width with remainders for every tile.
@test "-j, --block and shards change no byte of any method's output" {
	"$PYTHON" - <<'EOF'
import numpy as np
rng = np.random.default_rng(2)
n, d = 301, 37
y = np.arange(n) % 3
X = rng.normal(size=(n, d)).astype(np.float32)
X[:, 0] += 2 * (y == 0); X[:, 1] += 2 * (y == 1)
np.save('emb.npy', X)
with open('m.tsv', 'w') as f:
    f.write('id\tlabel\trow\n')
    f.writelines('s%d\t%s\t%d\n' % (i, 'abc'[y[i]], i) for i in range(n))
EOF
	winnow-fit -l 0.01 --influence class -o model emb.npy m.tsv 2>/dev/null
	head -n 151 m.tsv >s1.tsv
	{ head -n 1 m.tsv; tail -n +152 m.tsv; } >s2.tsv
	for s in entropy margin least-confidence influence influence-shared loss el2n grand prototype; do
		winnow-score -j 1 -M model -s "$s" --clusters 4 emb.npy m.tsv >"$s.1"
		winnow-score -j 2 -M model -s "$s" --clusters 4 emb.npy m.tsv >"$s.2"
		winnow-score -j 3 --block 50 -M model -s "$s" --clusters 4 emb.npy m.tsv >"$s.3"
		winnow-score -j 2 --block 7 -M model -s "$s" --clusters 4 emb.npy s1.tsv >"$s.a"
		winnow-score -j 2 --block 7 -M model -s "$s" --clusters 4 emb.npy s2.tsv >"$s.b"
		{ cat "$s.a"; tail -n +2 "$s.b"; } >"$s.sh"
		cmp "$s.1" "$s.2"
		cmp "$s.1" "$s.3"
		[ "$s" = prototype ] || cmp "$s.1" "$s.sh"
	done
}

@test "mlp models score too; influence needs a softmax model's factors" {
	fixture
	winnow-fit -m mlp --hidden 8 --epochs 5 -o mlp emb.npy m.tsv 2>/dev/null
	for s in entropy margin least-confidence; do
		run -0 winnow-score -M mlp -s "$s" emb.npy m.tsv
	done
	run -0 winnow-score -M mlp -s grand emb.npy all.tsv
	run -65 --separate-stderr winnow-score -M mlp -s influence emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: mlp: the model has no per-class influence factors (fit a softmax model with --influence class)"
	winnow-fit --influence shared -o shared emb.npy m.tsv 2>/dev/null
	run -0 winnow-score -M shared -s influence --influence shared emb.npy m.tsv
	run -65 winnow-score -M shared -s influence emb.npy m.tsv
}

@test "label methods: empty and unknown labels, no label column" {
	fixture
	for s in loss el2n grand; do
		run -65 --separate-stderr winnow-score -M model -s "$s" emb.npy m.tsv
		assert_equal "$stderr" "winnow-score: m.tsv:62: empty label: $s scores need the label of every row"
	done
	make_manifest in.tsv "id|label|row" "a|cat|0" "b|wolf|1"
	run -65 --separate-stderr winnow-score -M model -s loss emb.npy in.tsv
	assert_equal "$stderr" "winnow-score: in.tsv:3: label \"wolf\" is not a class of model"
	make_manifest in.tsv "id|row" "a|0"
	run -65 --separate-stderr winnow-score -M model -s el2n emb.npy in.tsv
	assert_equal "$stderr" "winnow-score: in.tsv:1: no \"label\" column: el2n scores need labels"
	# label-free methods ignore labels, known or not
	run -0 winnow-score -M model -s entropy emb.npy in.tsv
}

@test "bad input: rows, widths, model files" {
	fixture
	make_manifest in.tsv "id|row" "a|0" "b|90"
	run -65 --separate-stderr winnow-score -M model emb.npy in.tsv
	assert_equal "$stderr" "winnow-score: in.tsv:3: row 90 is past the end of emb.npy (90 rows)"
	make_manifest in.tsv "id|row" "a|x"
	run -65 --separate-stderr winnow-score -M model emb.npy in.tsv
	assert_equal "$stderr" "winnow-score: in.tsv:2: row \"x\" is not a non-negative integer"
	"$PYTHON" -c "import numpy as np; np.save('wide.npy', np.zeros((4, 6), np.float32))"
	run -65 --separate-stderr winnow-score -M model wide.npy m.tsv
	assert_equal "$stderr" "winnow-score: wide.npy: 6 columns, but model was fitted on 5"
	run -66 winnow-score -M missing emb.npy m.tsv
	printf 'hello\n' >bad
	run -65 --separate-stderr winnow-score -M bad emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: bad: not a winnow model (the first line is not \"# winnow-model 1\")"
	head -c 300 model >trunc
	run -65 winnow-score -M trunc emb.npy m.tsv
	sed 's/^# winnow-model 1$/# winnow-model 9/' model >v9
	run -65 --separate-stderr winnow-score -M v9 emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: v9: model file version \"9\" not supported (this winnow reads version 1)"
	cp model extra && printf 'x' >>extra
	run -65 --separate-stderr winnow-score -M extra emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: extra: trailing bytes after the checksum"
}

@test "a closed pipe ends quietly" {
	fixture
	run bash -c 'winnow-score -M model emb.npy m.tsv | head -1'
	assert_success
	assert_output "$(printf 'id\tlabel\trow\textra\tscore\tpred\tconf')"
}

@test "memory does not grow with the manifest: 400,000 rows in the space of 2,000" {
	fixture
	# 100-byte notes make holding the manifest show beside the set of
	# ids that refuses duplicates
	for n in 2000 400000; do
		awk -v n="$n" 'BEGIN { print "id\tlabel\trow\tnote"
			for (i = 0; i < n; i++) printf "r%d\tcat\t%d\t%0100d\n", i, i % 90, i }' >"big$n.tsv"
	done
	for s in entropy influence loss prototype; do
		for n in 2000 400000; do
			# (under ASan, freed blocks wait in its quarantine: none)
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0" \
				/usr/bin/time -f '%M' -o "rss.$s.$n" \
				winnow-score -M model -s "$s" --clusters 3 emb.npy "big$n.tsv" >"out.$n"
		done
		[ "$(wc -l <out.400000)" -eq 400001 ]
		small=$(cat "rss.$s.2000") big=$(cat "rss.$s.400000")
		echo "$s: max RSS $small KB for 2,000 rows, $big KB for 400,000"
		# the manifest alone is 46 MB: holding it would show; the
		# duplicate-id set (idset.h) peaks at 24 bytes a row while it
		# doubles (old and new tables, 12 MB for 400,000 ids)
		[ $((big - small)) -lt $((2048 + 12800)) ]
	done
}

@test "the fit/score chain on Fashion-MNIST embeddings: every method, a useful surrogate" {
	winnow-manifest idx --classes "$WINNOW_TOP/data/fashion-mnist-classes.txt" \
		"$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz" |
		head -n 1201 >all.tsv
	winnow-embed -m random -d 64 -o emb.npy all.tsv >emb.tsv
	winnow-manifest split -f 0.25 --seed 1 --stratify label -o seed.tsv -r rest.tsv emb.tsv
	run -0 --separate-stderr winnow-fit -l 1e-3 --influence class -o seed.model emb.npy seed.tsv
	[[ $stderr == "winnow-fit: softmax: 30"?" rows, 64 features, 10 classes: "* ]]
	[[ $stderr == *"winnow-fit: influence factors (class): 0.2 MB of the model" ]]
	for s in entropy margin least-confidence influence influence-shared loss el2n grand prototype; do
		if [ "$s" = influence-shared ]; then
			winnow-score -M seed.model -s influence --influence shared emb.npy rest.tsv >"$s.tsv"
		else
			winnow-score -M seed.model -s "$s" emb.npy rest.tsv >"$s.tsv"
		fi
		[ "$(wc -l <"$s.tsv")" -eq "$(wc -l <rest.tsv)" ]
	done
	# the surrogate beats chance by far, and each uncertainty, influence
	# and loss score is higher on average where its prediction is wrong
	run -0 "$PYTHON" - <<'EOF'
import csv
for s in ['entropy', 'margin', 'least-confidence', 'influence', 'influence-shared',
          'loss', 'el2n', 'grand']:
    rows = list(csv.DictReader(open(s + '.tsv'), delimiter='\t', quoting=csv.QUOTE_NONE))
    ok = [float(r['score']) for r in rows if r['pred'] == r['label']]
    bad = [float(r['score']) for r in rows if r['pred'] != r['label']]
    acc = len(ok) / len(rows)
    assert acc > 0.55, (s, acc)
    assert sum(bad) / len(bad) > sum(ok) / len(ok), (s, sum(bad) / len(bad), sum(ok) / len(ok))
    print(s, 'ok')
EOF
	assert_line "influence ok"
	assert_line "grand ok"
}

# Regression: -s loss printed "-0" (-log(1)) for rows the model is sure of.
# The classes lie 1,000 apart so that every row's probability rounds to
# exactly 1 whatever point the fit stops at (at 100 apart a fit that
# stopped a few iterations earlier left losses of 6e-8, and the -0 path
# went untested).
@test "-s loss never prints -0" {
	npy_from_python sep.npy "np.array([[-500, 0], [-510, 10], [-490, -10], [500, 0], [510, 10], [490, -10]], np.float32)"
	make_manifest sep.tsv "id|row|label" "r0|0|a" "r1|1|a" "r2|2|a" "r3|3|b" "r4|4|b" "r5|5|b"
	winnow-fit -l 1e-9 --no-standardize -o sep.model sep.npy sep.tsv
	run -0 sh -c 'winnow-score -M sep.model -s loss sep.npy sep.tsv | cut -f4'
	assert_output "$(printf 'score\n0\n0\n0\n0\n0\n0')"
}

# Regression: every model carried class influence factors (46 MB from 30
# seed rows); now only when asked for, and influence scores say how.
@test "models carry influence factors only with --influence; scores that need them say so" {
	fixture
	winnow-fit -l 0.01 -o plain emb.npy m.tsv 2>/dev/null
	grep -qx 'influence: none' plain
	[ "$(wc -c <plain)" -lt "$(wc -c <model)" ]
	run -65 --separate-stderr winnow-score -M plain -s influence emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: plain: the model has no per-class influence factors (fit a softmax model with --influence class)"
	run -0 winnow-score -M plain -s entropy emb.npy m.tsv
}

# Regression: --influence was accepted, and did nothing, with other methods.
@test "--influence with a method other than influence is refused" {
	fixture
	run -64 --separate-stderr winnow-score -M model -s margin --influence shared emb.npy m.tsv
	assert_equal "$stderr" "winnow-score: --influence goes with -s influence (it does nothing for margin)"
	run -0 winnow-score -M model -s influence --influence shared emb.npy m.tsv
}
