#!/usr/bin/env bats
# winnow-audit: label issues by confident learning on cross-fitted
# probabilities; fold independence, determinism across -j, the Ground
# Truth confidence, the noise matrix, every bad input.

load test_helper

# 400 rows of 3 Gaussian classes in 4-D (test_helper's blobs), every 10th
# row unlabeled, 12% of the labels moved to the next class; corrupt.txt
# lists the ids moved.
fixture() {
	blobs 400 3 b
	"$PYTHON" - <<'EOF'
import numpy as np
rng = np.random.default_rng(5)
names = ["cat", "dog", "eel"]
lines = open("b.tsv").read().splitlines()
out, bad = [lines[0]], []
for i, l in enumerate(lines[1:]):
    f = l.split("\t")
    if i % 10 == 9:
        f[2] = ""
    elif rng.random() < 0.12:
        f[2] = names[(names.index(f[2]) + 1) % 3]
        bad.append(f[0])
    out.append("\t".join(f))
open("m.tsv", "w").write("\n".join(out) + "\n")
open("corrupt.txt", "w").write("\n".join(bad) + "\n")
EOF
}

# col FILE NAME: the values of column NAME (without the header)
col() {
	awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ print $k }' "$1"
}

@test "-h prints the usage on stdout, --version the version; misuse exits 64" {
	run -0 winnow-audit -h
	assert_output --partial "usage: winnow-audit"
	run -0 winnow-audit --version
	assert_output --regexp '^winnow-audit [0-9]'
	run -64 --separate-stderr winnow-audit
	[[ $stderr == *"usage: winnow-audit"* ]]
	fixture
	run -64 winnow-audit -K 1 b.npy m.tsv
	run -64 winnow-audit -r loss b.npy m.tsv
	run -64 winnow-audit -F loss b.npy m.tsv
	run -64 winnow-audit --trust 2 b.npy m.tsv
	run -64 --separate-stderr winnow-audit --no-confidence --confidence-column c b.npy m.tsv
	assert_equal "$stderr" "winnow-audit: --no-confidence and --confidence-column exclude each other"
}

@test "appends label_quality, label_issue, suggested_label; unlabeled rows pass with empty fields" {
	fixture
	run -0 --separate-stderr winnow-audit b.npy m.tsv
	assert_line --index 0 "$(printf 'id\trow\tlabel\tlabel_quality\tlabel_issue\tsuggested_label')"
	printf '%s\n' "$output" >out.tsv
	run -0 awk -F'\t' 'NR > 1 && $3 == "" && ($4 != "" || $5 != "" || $6 != "")' out.tsv
	assert_output ""
	run -0 awk -F'\t' 'NR > 1 && $3 != "" && ($5 !~ /^[01]$/ || $4 < 0 || $4 > 1)' out.tsv
	assert_output ""
	# the rows pass through in order, their columns unchanged
	run -0 diff <(cut -f1-3 out.tsv) m.tsv
	# a flagged row's suggested label is never its given one
	run -0 awk -F'\t' '$5 == 1 && $6 == $3' out.tsv
	assert_output ""
}

@test "finds the corrupted labels: precision above 0.5 (4 times the 13% base rate), recall above 0.75" {
	fixture
	winnow-audit -o out.tsv b.npy m.tsv
	awk -F'\t' '$5 == 1 { print $1 }' out.tsv | sort >flagged
	sort corrupt.txt >truth
	run -0 "$PYTHON" -c "
f = set(open('flagged').read().split()); t = set(open('truth').read().split())
p, r = len(f & t) / len(f), len(f & t) / len(t)
print('%d flagged, %d corrupted, precision %.2f recall %.2f' % (len(f), len(t), p, r))
assert p > 0.5 and r > 0.75
"
}

@test "--probs: one column per class, out-of-sample: a row's own label does not move them" {
	fixture
	winnow-audit --probs -o a.tsv b.npy m.tsv
	run -0 head -1 a.tsv
	assert_output "$(printf 'id\trow\tlabel\tlabel_quality\tlabel_issue\tsuggested_label\tp_cat\tp_dog\tp_eel')"
	# change the label of one row (b-3, then b-11): its probabilities stay
	# (two at once would not: each is in the other's training folds)
	for id in b-3 b-11; do
		awk -F'\t' -v OFS='\t' -v id=$id '$1 == id { $3 = ($3 == "eel" ? "dog" : "eel") } 1' \
			m.tsv >m2.tsv
		run -1 diff -q m.tsv m2.tsv
		winnow-audit --probs -o b.tsv b.npy m2.tsv
		run -0 diff <(grep -P "^$id\t" a.tsv | cut -f7-9) <(grep -P "^$id\t" b.tsv | cut -f7-9)
		# ... while other rows' models saw the change
		run -1 diff -q <(cut -f7-9 a.tsv) <(cut -f7-9 b.tsv)
	done
	# self-confidence is the probability of the given label
	run -0 awk -F'\t' 'NR > 1 && $3 != "" && $4 != $(($3 == "cat") ? 7 : ($3 == "dog") ? 8 : 9)' a.tsv
	assert_output ""
}

# -F prune-by-class, checked from the program's own outputs: per class c,
# the count_c - Cal[c][c] labeled rows with the lowest p_c (the noise
# matrix's diagonal, --probs), less those whose argmax is c; -F both is
# the rows flagged by both rules.
@test "-F prune-by-class flags each class's estimated errors by lowest self-confidence; both is the intersection" {
	fixture
	winnow-audit -F prune-by-noise-rate --probs -o nr.tsv b.npy m.tsv
	winnow-audit -F prune-by-class --probs --noise-matrix nm.tsv -o pc.tsv b.npy m.tsv
	winnow-audit -F both -o both.tsv b.npy m.tsv
	# prune by class is the default (measured: tests/bench/audit.sh)
	winnow-audit -o default.tsv b.npy m.tsv
	winnow-audit -F prune-by-class -o pc2.tsv b.npy m.tsv
	cmp default.tsv pc2.tsv
	run -0 "$PYTHON" - <<'EOF'
rows = [l.split("\t") for l in open("pc.tsv").read().splitlines()][1:]
nm = [l.split("\t") for l in open("nm.tsv").read().splitlines()]
classes = nm[0][1:]
cal = {r[0]: [int(v) for v in r[1:]] for r in nm[1:]}
want = set()
for ci, c in enumerate(classes):
    mine = [r for r in rows if r[2] == c]
    mine.sort(key=lambda r: float(r[6 + ci]))
    for r in mine[:len(mine) - cal[c][ci]]:
        p = [float(v) for v in r[6:9]]
        if p.index(max(p)) != ci:
            want.add(r[0])
got = {r[0] for r in rows if r[4] == "1"}
print(len(want), "wanted", len(got), "flagged")
assert got == want and got
def flags(f):
    return {l.split("\t")[0] for l in open(f).read().splitlines()[1:] if l.split("\t")[4] == "1"}
assert flags("both.tsv") == flags("nr.tsv") & got
assert flags("nr.tsv") != got
EOF
}

@test "the same bytes whatever -j, for softmax and mlp; the seed moves the folds" {
	fixture
	winnow-audit -j 1 --probs b.npy m.tsv >j1.tsv
	winnow-audit -j 2 --probs b.npy m.tsv >j2.tsv
	cmp j1.tsv j2.tsv
	winnow-audit -j 1 -m mlp --hidden 16 --epochs 5 --probs b.npy m.tsv >m1.tsv
	winnow-audit -j 2 -m mlp --hidden 16 --epochs 5 --probs b.npy m.tsv >m2.tsv
	cmp m1.tsv m2.tsv
	# the input through a pipe: the same
	cat m.tsv | winnow-audit -j 2 --probs b.npy >pipe.tsv
	cmp j1.tsv pipe.tsv
	winnow-audit --seed 9 --probs b.npy m.tsv >s9.tsv
	run -1 cmp -s j1.tsv s9.tsv
}

@test "-r normalized-margin: (p_given - max other + 1) / 2" {
	fixture
	winnow-audit --probs -r normalized-margin -o a.tsv b.npy m.tsv
	run -0 awk -F'\t' 'NR > 1 && $3 != "" {
		g = ($3 == "cat") ? 7 : ($3 == "dog") ? 8 : 9; o = -1
		for (c = 7; c <= 9; c++) if (c != g && $c > o) o = $c
		d = $4 - ($g - o + 1) / 2; if (d > 1e-6 || d < -1e-6) print }' a.tsv
	assert_output ""
}

@test "the noise matrix: -v on stderr, --noise-matrix FILE; its rows sum to the label counts" {
	fixture
	run -0 --separate-stderr winnow-audit -v --noise-matrix nm.tsv -o out.tsv b.npy m.tsv
	assert_output ""
	[[ $stderr == *"winnow-audit: 360 labeled rows, 3 classes, 5 folds: "* ]]
	[[ $stderr == *"estimated noise matrix (rows given, columns true):"* ]]
	run -0 head -1 nm.tsv
	assert_output "$(printf 'given\tcat\tdog\teel')"
	for c in cat dog eel; do
		want=$(awk -F'\t' -v c=$c '$3 == c' m.tsv | wc -l)
		got=$(awk -F'\t' -v c=$c '$1 == c { print $2 + $3 + $4 }' nm.tsv)
		assert_equal "$got" "$want"
	done
	# the corruption moved cat to dog, dog to eel, eel to cat: those cells
	# are the large off-diagonal ones
	run -0 awk -F'\t' '($1 == "dog" && $2 < 8) || ($1 == "eel" && $3 < 8) ||
		($1 == "cat" && $4 < 8)' nm.tsv
	assert_output ""
}

@test "Ground Truth confidence: a label at or above --trust is never flagged" {
	fixture
	winnow-audit -o plain.tsv b.npy m.tsv
	first=$(awk -F'\t' '$5 == 1 { print $1; exit }' plain.tsv)
	[ -n "$first" ]
	awk -F'\t' -v OFS='\t' -v id="$first" 'NR == 1 { print $0, "confidence"; next }
		{ print $0, ($1 == id ? "0.99" : $3 == "" ? "" : "0.5") }' m.tsv >c.tsv
	winnow-audit -o c-out.tsv b.npy c.tsv
	run -0 awk -F'\t' -v id="$first" '$1 == id { print $6 }' c-out.tsv
	assert_output "0"
	# every other flag as before
	run -0 diff <(awk -F'\t' -v id="$first" '$1 != id { print $1, $5 }' plain.tsv) \
		<(awk -F'\t' -v id="$first" '$1 != id { print $1, $6 }' c-out.tsv)
	# not when the label is trusted less, or the column ignored
	winnow-audit --trust 1 -o t1.tsv b.npy c.tsv
	run -0 awk -F'\t' -v id="$first" '$1 == id { print $6 }' t1.tsv
	assert_output "1"
	winnow-audit --no-confidence -o nc.tsv b.npy c.tsv
	run -0 awk -F'\t' -v id="$first" '$1 == id { print $6 }' nc.tsv
	assert_output "1"
	# another column name
	sed '1s/confidence/gt-conf/' c.tsv >g.tsv
	winnow-audit --confidence-column gt-conf -o g-out.tsv b.npy g.tsv
	run -0 awk -F'\t' -v id="$first" '$1 == id { print $6 }' g-out.tsv
	assert_output "0"
}

@test "config: the audit section gives defaults" {
	fixture
	printf 'audit:\n  folds: 4\n  rank-by: normalized-margin\n' >c.yaml
	winnow-audit -c c.yaml -o a.tsv b.npy m.tsv
	winnow-audit -K 4 -r normalized-margin -o b.tsv b.npy m.tsv
	cmp a.tsv b.tsv
	printf 'audit:\n  foldz: 4\n' >bad.yaml
	run -78 winnow-audit -c bad.yaml b.npy m.tsv
}

# bad_input CODE MESSAGE MANIFEST [OPTIONS...]: refused with CODE, the
# message on stderr, nothing on stdout, an existing -o file untouched.
bad_input() {
	local code=$1 msg=$2 man=$3; shift 3
	echo keep >out.tsv
	run -"$code" --separate-stderr winnow-audit "$@" -o out.tsv b.npy "$man"
	assert_output ""
	[[ $stderr == *"$msg"* ]] || { echo "stderr: $stderr"; false; }
	assert_equal "$(cat out.tsv)" keep
	run -0 find . -name '.out.tsv.*'
	assert_output ""
}

@test "bad inputs are refused naming the file and line, exit 65/66/73" {
	fixture
	# a duplicate id
	{ cat m.tsv; sed -n 2p m.tsv; } >dup.tsv
	bad_input 65 "dup.tsv:402: duplicate id \"b-0\"" dup.tsv
	# a single class
	awk -F'\t' -v OFS='\t' 'NR > 1 && $3 != "" { $3 = "cat" } 1' m.tsv >one.tsv
	bad_input 65 "one.tsv: every labeled row has the label \"cat\"" one.tsv
	# a class with fewer labeled rows than folds
	awk -F'\t' -v OFS='\t' 'NR > 1 && $3 == "eel" && n++ >= 3 { $3 = "dog" } 1' m.tsv >few.tsv
	bad_input 65 "few.tsv: class \"eel\" has 3 labeled rows, fewer than the 5 folds" few.tsv
	bad_input 65 "class \"eel\" has 3 labeled rows, fewer than the 4 folds" few.tsv -K 4
	# no label column
	cut -f1,2 m.tsv >nolab.tsv
	bad_input 65 "nolab.tsv:1: no \"label\" column" nolab.tsv
	# a row past the end of the embeddings
	awk -F'\t' -v OFS='\t' 'NR == 3 { $2 = 400 } 1' m.tsv >past.tsv
	bad_input 65 "past.tsv:3: row 400 is past the end of b.npy" past.tsv
	# a bad confidence, a missing confidence column
	awk -F'\t' -v OFS='\t' 'NR == 1 { print $0, "confidence"; next }
		{ print $0, (NR == 5 ? "high" : "0.5") }' m.tsv >conf.tsv
	bad_input 65 "conf.tsv:5: confidence \"high\" is not a number in [0, 1]" conf.tsv
	bad_input 65 "m.tsv:1: no \"gt\" column (--confidence-column)" m.tsv --confidence-column gt
	# missing inputs
	bad_input 66 "nope.tsv" nope.tsv
	run -66 winnow-audit nope.npy m.tsv
	# an output that cannot be created
	run -73 --separate-stderr winnow-audit -o no/such/dir.tsv b.npy m.tsv
	assert_output ""
	run -73 --separate-stderr winnow-audit --noise-matrix no/such/nm.tsv b.npy m.tsv
}

@test "a NaN feature of a labeled row is refused naming the manifest line" {
	fixture
	"$PYTHON" -c "
import numpy as np
x = np.load('b.npy'); x[7, 2] = np.nan; np.save('nan.npy', x)"
	echo keep >out.tsv
	run -65 --separate-stderr winnow-audit -o out.tsv nan.npy m.tsv
	assert_equal "$stderr" "winnow-audit: nan.npy: row 7, column 2: nan is not a finite number"
	assert_equal "$(cat out.tsv)" keep
	# an unlabeled row's NaN does not matter: it is not judged
	"$PYTHON" -c "
import numpy as np
x = np.load('b.npy'); x[9, 2] = np.nan; np.save('nan9.npy', x)"
	run -0 winnow-audit -o out.tsv nan9.npy m.tsv
}

@test "-o: the output appears whole, the same as stdout" {
	fixture
	winnow-audit b.npy m.tsv >stdout.tsv
	winnow-audit -o o.tsv b.npy m.tsv
	cmp stdout.tsv o.tsv
	run -0 find . -name '.o.tsv.*'
	assert_output ""
}

@test "winnow-train --drop-issues leaves out the rows winnow-audit flagged" {
	fixture
	winnow-audit -o a.tsv b.npy m.tsv
	nflag=$(awk -F'\t' '$5 == 1' a.tsv | wc -l)
	[ "$nflag" -gt 0 ]
	run -0 --separate-stderr winnow-train --drop-issues -o model b.npy a.tsv
	[[ $stderr == *"a.tsv: $nflag rows flagged by winnow-audit left out (--drop-issues)"* ]]
	[[ $output == *"final: samples $((360 - nflag)) "* ]]
	# the same model as training on the manifest without those rows
	awk -F'\t' '$5 != 1' a.tsv >kept.tsv
	winnow-train -o model2 b.npy kept.tsv
	cmp model model2
	run -65 --separate-stderr winnow-train --drop-issues -o model b.npy m.tsv
	assert_equal "$stderr" "winnow-train: m.tsv:1: no \"label_issue\" column to leave rows out by"
	awk -F'\t' -v OFS='\t' 'NR == 4 { $5 = "yes" } 1' a.tsv >bad.tsv
	run -65 --separate-stderr winnow-train --drop-issues -o model b.npy bad.tsv
	assert_equal "$stderr" "winnow-train: bad.tsv:4: label_issue \"yes\" is not 0 or 1"
}
