#!/usr/bin/env bats
# Wrong results with exit 0 (issue 15): every program that pairs a manifest
# with embeddings goes through the one loader (surrogate/data.h,
# sur_pair_open / sur_row_of / sur_data_load), which refuses (65) what it
# cannot pair for certain: a manifest without a row column, a NaN or inf
# feature (npy_read_rows, naming file, row and column), a duplicate id.

load test_helper

# emb.npy: 90 rows, 5 features, 3 classes; m.tsv: id, label, row (rows
# 0..59 labeled); a model.
fixture() {
	separable3 cat,dog,eel
	winnow-fit -l 0.01 --influence class -o model emb.npy m.tsv 2>/dev/null
	awk -F'\t' 'NR == 1 || $2 != ""' m.tsv >lab.tsv
}

# refuses STDERR CMD...: CMD exits 65 with STDERR, writes no -o output
# named out and no row on stdout (winnow-score streams: its header line
# may be out before the first block of rows is read).
refuses() {
	local msg=$1; shift
	rm -f out
	run -65 --separate-stderr "$@"
	assert_equal "$stderr" "$msg"
	case $1 in
	winnow-score) [ "${#lines[@]}" -le 1 ] ;;
	winnow-manifest) ;;     # a filter: the rows before the bad one are out
	*) assert_output "" ;;
	esac
	[ ! -e out ]
}

@test "no row column: fit, score and train refuse instead of pairing by position" {
	fixture
	# the issue's case: a seed split from the manifest before embedding
	cut -f1,2 m.tsv | head -n 61 >pre.tsv
	winnow-manifest split -f 0.2 --seed 1 -o seed.tsv pre.tsv
	why='no "row" column: which row of emb.npy belongs to which line is not known (winnow-embed writes the column; pairing by position is not done)'
	refuses "winnow-fit: seed.tsv:1: $why" winnow-fit -o out emb.npy seed.tsv
	refuses "winnow-train: seed.tsv:1: $why" winnow-train -o out emb.npy seed.tsv
	refuses "winnow-score: seed.tsv:1: $why" winnow-score -M model emb.npy seed.tsv
	refuses "winnow-score: seed.tsv:1: $why" winnow-score -s prototype --clusters 2 emb.npy seed.tsv
	# as many lines as rows is no proof of the order either
	cut -f1,2 m.tsv >same.tsv
	refuses "winnow-fit: same.tsv:1: $why" winnow-fit -o out emb.npy same.tsv
	refuses "winnow-score: same.tsv:1: $why" winnow-score -M model emb.npy same.tsv
	refuses "winnow-train: same.tsv:1: $why" winnow-train -o out emb.npy same.tsv
	refuses "winnow-train: same.tsv:1: $why" winnow-train --test emb.npy:same.tsv -o out emb.npy lab.tsv
}

@test "NaN and inf features are refused by every reader, naming file, row and column" {
	fixture
	for bad in nan inf -inf; do
		for dt in f2 f4 f8; do
			"$PYTHON" -c "import numpy as np; X = np.load('emb.npy').astype('<$dt'); X[7, 3] = float('$bad'); np.save('bad.npy', X)"
			msg="bad.npy: row 7, column 3: $bad is not a finite number"
			refuses "winnow-fit: $msg" winnow-fit -o out bad.npy m.tsv
			refuses "winnow-train: $msg" winnow-train -o out bad.npy m.tsv
			refuses "winnow-train: $msg" winnow-train --test bad.npy:lab.tsv -o out emb.npy lab.tsv
			refuses "winnow-score: $msg" winnow-score -M model bad.npy m.tsv
			# every scoring method: '<f4' rows are scored in place and
			# checked as they are standardised, the others as read
			for s in entropy margin least-confidence influence influence-shared loss el2n grand; do
				refuses "winnow-score: $msg" winnow-score -M model -s $s bad.npy lab.tsv
			done
			# the bad row in the second thread's share
			refuses "winnow-score: $msg" winnow-score -M model -j 2 bad.npy m.tsv
			refuses "winnow-score: $msg" winnow-score -M model -s prototype --clusters 3 bad.npy m.tsv
		done
	done
	# a row the k-means sample reads
	refuses "winnow-score: $msg" winnow-score -s prototype --clusters 3 --kmeans-sample 90 bad.npy m.tsv
	# a row the manifest does not name is not read: not refused
	awk -F'\t' 'NR == 1 || $3 != 7' m.tsv >no7.tsv
	run -0 winnow-fit -o out bad.npy no7.tsv
}

@test "duplicate ids are refused by fit, score, train and to-jsonl" {
	fixture
	{ cat m.tsv; printf 's3\tcat\t4\n'; } >dup.tsv
	msg='dup.tsv:92: duplicate id "s3"'
	refuses "winnow-fit: $msg" winnow-fit -o out emb.npy dup.tsv
	refuses "winnow-train: $msg" winnow-train -o out emb.npy dup.tsv
	refuses "winnow-train: $msg" winnow-train --test emb.npy:dup.tsv -o out emb.npy lab.tsv
	refuses "winnow-score: $msg" winnow-score -M model emb.npy dup.tsv
	refuses "winnow-score: $msg" winnow-score -s prototype --clusters 3 emb.npy dup.tsv
	{ printf 'id\tpath\tlabel\n'; printf 'a\tx.png\tcat\n'; printf 'a\ty.png\tdog\n'; } >dup2.tsv
	refuses 'winnow-manifest: dup2.tsv:3: duplicate id "a"' winnow-manifest to-jsonl dup2.tsv
	refute_output --partial y.png
}
