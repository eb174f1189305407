#!/usr/bin/env bats
# Conservation: for each stage, every input id is accounted for - kept,
# dropped by the stage's decision, or reported as skipped with a reason -
# none lost, none duplicated, none invented.
bats_require_minimum_version 1.5.0
load test_helper

E=$WINNOW_TOP/tests/fixtures/embed

# ids FILE: the id column of a manifest (by header name), one a line.
ids() {
	awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "id") c = i; next } { print $c }' "$1"
}

# account IN KEPT [DROPPED] [SKIPPED]: each is a file of ids (one a line);
# checks KEPT + DROPPED + SKIPPED = IN as multisets, no id twice anywhere.
account() {
	"$PYTHON" - "$@" <<'PY'
import sys, collections
def read(p):
    return [l.rstrip("\n") for l in open(p)] if p else []
inp, parts = read(sys.argv[1]), [read(p) for p in sys.argv[2:]]
bad = []
for name, ids in [("input", inp)] + list(zip(sys.argv[2:], parts)):
    d = [k for k, n in collections.Counter(ids).items() if n > 1]
    if d: bad.append("%s: duplicated ids %s" % (name, d[:5]))
out = collections.Counter(i for p in parts for i in p)
lost = set(inp) - set(out)
extra = set(out) - set(inp)
twice = [k for k, n in out.items() if n > 1]
if lost: bad.append("%d ids lost, e.g. %s" % (len(lost), sorted(lost)[:5]))
if extra: bad.append("%d ids invented, e.g. %s" % (len(extra), sorted(extra)[:5]))
if twice: bad.append("%d ids in two outcomes, e.g. %s" % (len(twice), twice[:5]))
print("in %d, %s" % (len(inp), ", ".join("%s %d" % (n, len(p)) for n, p in zip(sys.argv[2:], parts))))
if bad:
    print("\n".join(bad)); sys.exit(1)
PY
}

# minus A B: ids of A not in B (A's order).
minus() {
	awk 'NR == FNR { s[$0] = 1; next } !($0 in s)' "$2" "$1"
}

@test "manifest split: first + rest = input" {
	winnow-manifest idx "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz" >m.tsv
	for args in "-f 0.1" "-f 0.5 --stratify label" "-f 1" "-f 0"; do
		winnow-manifest split $args --seed 7 -o a.tsv -r b.tsv m.tsv
		ids m.tsv >in; ids a.tsv >a; ids b.tsv >b
		run -0 account in a b
		echo "$args: $output"
	done
}

@test "manifest to-jsonl | from-jsonl keeps every id, unicode ones too" {
	printf 'id\tpath\tlabel\n' >m.tsv
	printf '%s\tp%d.png\tx\n' "日本-1" 1 "Ünï-2" 2 "emoji-😀" 3 "plain" 4 >>m.tsv
	winnow-manifest to-jsonl m.tsv | winnow-manifest from-jsonl >back.tsv
	ids m.tsv >in; ids back.tsv >out
	run -0 account in out
}

@test "embed --on-error skip: written rows + skipped rows (each warned) = input" {
	{
		printf 'id\tpath\n'
		i=0
		for f in gray.png missing.png rgb.png truncated.png gray.jpg corrupt.png \
		         rgb.ppm notanimage.txt cifar.bin#1 cifar.bin#99 tiny-idx3-ubyte.gz#1; do
			printf 'r%d\t%s\n' $i "$E/$f"
			i=$((i + 1))
		done
	} >m.tsv
	run --separate-stderr -0 winnow-embed --on-error skip -s 4x4 -o e.npy m.tsv
	printf '%s\n' "$output" >out.tsv
	ids m.tsv >in; ids out.tsv >kept
	# each skipped row is named by its line: "m.tsv:LINE: ... (skipped)"
	printf '%s\n' "$stderr" | sed -n 's/^winnow-embed: m\.tsv:\([0-9]*\):.*(skipped)$/\1/p' >lines
	awk 'NR == FNR { l[$0 + 0] = 1; next } FNR > 1 && (FNR in l) { print $1 }' lines m.tsv >skipped
	run -0 account in kept skipped
	echo "$output"
	[ "$(wc -l <skipped)" -eq 5 ]
	# the rows of the npy are the kept rows, in order, 0..n-1
	run -0 "$PYTHON" -c "import numpy as np; print(np.load('e.npy').shape[0])"
	[ "$output" -eq "$(wc -l <kept)" ]
	[ "$(awk -F'\t' 'NR > 1 { print $NF }' out.tsv | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
}

@test "select, every scheme: kept + dropped = input; sharded plans decide each id once" {
	"$PYTHON" -c "
import random
random.seed(1)
print('id\tlabel\tscore')
for i in range(3000): print('s%d\t%s\t%.6f' % (i, 'abcde'[i % 5], random.random() + 0.01))" >m.tsv
	ids m.tsv >in
	tail -n +2 m.tsv >body
	split -n l/3 -d body part
	for p in part0?; do { head -1 m.tsv; cat "$p"; } >"$p.tsv"; done
	for args in "-s random -n 300" "-s top -f 0.1" "-s bottom -n 5" \
	    "-s stratified -f 0.2 --by label" "-s stratified --balanced -n 100 --by label" \
	    "-s ccs --cutoff 0.1 --strata 5 -f 0.3" "-s biased --alpha 1 -f 0.2 --reweight" \
	    "-s threshold --min 0.5"; do
		winnow-select $args --seed 3 m.tsv >kept.tsv
		ids kept.tsv >kept
		minus in kept >dropped
		run -0 account in kept dropped
		echo "$args: $output"
		# sharded: each shard decides its own ids, the union is the whole
		for p in part0?.tsv; do winnow-select plan $args --seed 3 -o "$p.plan" "$p"; done
		winnow-select plan --merge -o all.plan part0?.tsv.plan
		: >skept
		for p in part0?.tsv; do
			winnow-select apply --plan all.plan "$p" >"$p.out"
			ids "$p.out" >>skept
		done
		minus in skept >sdropped
		run -0 account in skept sdropped
		cmp <(sort kept) <(sort skept)
	done
}

@test "select -n: exactly n kept, never an id twice, even with duplicate scores" {
	{ printf 'id\tscore\n'; for i in $(seq 1 500); do printf 'x%d\t1\n' $i; done; } >m.tsv
	ids m.tsv >in
	for s in top bottom random; do
		winnow-select -s $s -n 123 m.tsv >k.tsv
		ids k.tsv >kept
		[ "$(wc -l <kept)" -eq 123 ]
		minus in kept >dropped
		run -0 account in kept dropped
	done
}

@test "train: rows trained + rows reported without a label = input" {
	"$PYTHON" -c "
import numpy as np
rng = np.random.default_rng(2)
np.save('e.npy', rng.normal(size=(400, 5)).astype('<f4'))
with open('m.tsv', 'w') as f:
    f.write('id\trow\tlabel\n')
    for i in range(400):
        f.write('t%d\t%d\t%s\n' % (i, i, '' if i % 7 == 0 else 'ab'[i % 2]))"
	run --separate-stderr -0 winnow-train -o m.model e.npy m.tsv
	# regression: this read "final:" from stderr (it is on stdout) and its
	# [ "" -eq 342 ] && ... list failed in a way errexit ignores
	n=$(printf '%s\n' "$output" | sed -n 's/^final: samples \([0-9]*\) .*/\1/p')
	skipped=$(printf '%s\n' "$stderr" | sed -n 's/.*m\.tsv: \([0-9]*\) rows without a label skipped.*/\1/p')
	echo "trained $n, skipped $skipped"
	assert_equal "$n" 342
	assert_equal "$skipped" 58
	assert_equal "$((n + skipped))" 400
	grep -q '^n_train: 342$' m.model
}

@test "fit: rows fitted + rows without a label = input; score: every row scored once" {
	"$PYTHON" -c "
import numpy as np
rng = np.random.default_rng(2)
np.save('e.npy', rng.normal(size=(400, 5)).astype('<f4'))
with open('m.tsv', 'w') as f:
    f.write('id\trow\tlabel\n')
    for i in range(400):
        f.write('t%d\t%d\t%s\n' % (i, i, '' if i % 7 == 0 else 'ab'[i % 2]))"
	run --separate-stderr -0 winnow-fit --influence class -o m.model e.npy m.tsv
	echo "$stderr"
	grep -q '^n_train: 342$' m.model
	ids m.tsv >in
	for s in entropy margin least-confidence influence influence-shared loss el2n grand; do
		if [[ $s == loss || $s == el2n || $s == grand ]]; then
			# these need every label: refused with the line, not skipped silently
			run --separate-stderr -65 winnow-score -M m.model -s $s e.npy m.tsv
			assert_equal "$stderr" "winnow-score: m.tsv:2: empty label: $s scores need the label of every row"
			awk -F'\t' 'NR == 1 || $3 != ""' m.tsv >labeled.tsv
			ids labeled.tsv >lin
			run --separate-stderr -0 winnow-score -M m.model -s $s e.npy labeled.tsv
			printf '%s\n' "$output" >out.tsv
			ids out.tsv >out
			run -0 account lin out
			continue
		fi
		run --separate-stderr -0 winnow-score -M m.model -s $s e.npy m.tsv
		printf '%s\n' "$output" >out.tsv
		ids out.tsv >out
		run -0 account in out
	done
}
