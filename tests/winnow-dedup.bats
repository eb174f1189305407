#!/usr/bin/env bats
# winnow-dedup: near-duplicate groups, nearest neighbours and density,
# checked against NumPy brute force and a slow union-find; invariance
# under input order, -j and shards; bad input; kill -9.

load test_helper

# pool N SEED NAME: N rows in 16-D with planted near-duplicates (copies,
# scaled copies, small noise, a chain), NAME.npy and NAME.tsv (id, row,
# label, q: a score).
pool() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
n, seed, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(seed)
x = rng.standard_normal((n, 16))
for g in range(n // 10):
    a = rng.integers(0, n); b = rng.integers(0, n)
    x[b] = x[a] * (1 + g % 3) + (0.02 * rng.standard_normal(16) if g % 2 else 0)
np.save(name + ".npy", x.astype(np.float32))
with open(name + ".tsv", "w") as f:
    f.write("id\trow\tlabel\tq\n")
    for i in range(n):
        f.write("%s-%d\t%d\t%d\t%d\n" % (name, i, i, i % 3, (i * 37) % 11))
PY
}

# col FILE NAME: the values of column NAME, one a line.
col() {
	awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ print $k }' "$1"
}

@test "-h prints the usage, --version the version; misuse exits 64" {
	run -0 winnow-dedup -h
	assert_output --partial "usage: winnow-dedup"
	run -0 winnow-dedup --version
	assert_output --partial "winnow-dedup 0."
	run -64 winnow-dedup
	run -64 winnow-dedup --bogus x.npy
	run -64 winnow-dedup a b c
}

@test "appends dup_group dup_rank nn_id nn_sim density, passes the rest through" {
	pool 300 1 p
	run -0 winnow-dedup -o out.tsv p.npy p.tsv
	run -0 head -1 out.tsv
	assert_output "$(printf 'id\trow\tlabel\tq\tdup_group\tdup_rank\tnn_id\tnn_sim\tdensity')"
	run -0 sh -c "cut -f1-4 out.tsv | cmp - p.tsv"
	run -0 sh -c "tail -n +2 out.tsv | wc -l"
	assert_output 300
}

@test "neighbours, similarities and density match NumPy brute force; groups a slow union-find" {
	pool 400 2 p
	winnow-dedup -k 7 -t 0.97 p.npy p.tsv >out.tsv
	run -0 "$PYTHON" - <<'PY'
import numpy as np
x = np.load("p.npy").astype(np.float64)
x /= np.linalg.norm(x, axis=1, keepdims=True)
S = x @ x.T
n = len(x)
np.fill_diagonal(S, -np.inf)
rows = [l.rstrip("\n").split("\t") for l in open("out.tsv")]
h = rows[0]; rows = rows[1:]
c = {k: i for i, k in enumerate(h)}
ids = [r[c["id"]] for r in rows]
at = {v: i for i, v in enumerate(ids)}
bad = 0
for i, r in enumerate(rows):
    best = S[i].max()
    j = at[r[c["nn_id"]]]
    dens = np.sort(S[i])[::-1][:7].mean()
    if abs(S[i, j] - best) > 1e-6 or abs(float(r[c["nn_sim"]]) - best) > 1e-6 \
       or abs(float(r[c["density"]]) - dens) > 1e-6:
        bad += 1
        print("row", i, r, best, dens)
# slow union-find over every pair at or above the threshold
par = list(range(n))
def find(a):
    while par[a] != a: a = par[a]
    return a
for i in range(n):
    for j in range(i + 1, n):
        if S[i, j] >= 0.97:
            par[find(i)] = find(j)
g = [find(i) for i in range(n)]
grp = [r[c["dup_group"]] for r in rows]
for i in range(n):
    for j in range(n):
        if (g[i] == g[j]) != (grp[i] == grp[j]):
            bad += 1
sizes = {}
for v in g: sizes[v] = sizes.get(v, 0) + 1
print("groups of 2+:", sum(1 for v in sizes.values() if v > 1), "bad:", bad)
# the kept row of a group is in it with rank 0
for i in range(n):
    k = at[grp[i]]
    if rows[k][c["dup_rank"]] != "0" or g[k] != g[i]: bad += 1
assert bad == 0
assert sum(1 for v in sizes.values() if v > 1) >= 20
PY
	echo "$output"
}

@test "a row between two big groups joins them: pairs past the k-NN list (range search)" {
	# 20 copies of u, 20 of v (u.v = 0.94), b with b.u = 0.99, b.v = 0.979,
	# threshold 0.96: b's 18 nearest are all copies of u, its pairs with the
	# copies of v come from the range search
	"$PYTHON" -c "
import numpy as np
rng = np.random.default_rng(3)
x = rng.standard_normal((100, 8))
a, b = np.arccos(0.94), np.arccos(0.99)
u = np.eye(8)[0]; v = np.cos(a) * u + np.sin(a) * np.eye(8)[1]
x[:20] = u; x[20:40] = v; x[40] = np.cos(b) * u + np.sin(b) * np.eye(8)[1]
np.save('e.npy', x.astype(np.float32))
open('m.tsv', 'w').write('id\trow\n' + ''.join('r%d\t%d\n' % (i, i) for i in range(100)))"
	winnow-dedup -t 0.96 e.npy m.tsv >out.tsv
	col out.tsv dup_group | head -41 | sort -u >groups
	assert_equal "$(wc -l <groups)" 1
	col out.tsv dup_rank | sort -n >ranks
	assert_equal "$(tail -1 ranks)" 40
}

@test "output does not depend on input order, -j, or sharding (exact, IVF, --clusters)" {
	pool 600 3 p
	(head -1 p.tsv; tail -n +2 p.tsv | sort -R --random-source=p.npy) >shuf.tsv
	for mode in "" "--index IVF8,Flat --nprobe 3" "--clusters 5" "--clusters 5 --keep semdedup"; do
		echo "mode: $mode"
		winnow-dedup $mode --score q p.npy p.tsv >ref.tsv
		winnow-dedup $mode --score q -j 2 p.npy shuf.tsv >shuf.out
		run -0 sh -c "(head -1 shuf.out; tail -n +2 shuf.out | sort) >a; (head -1 ref.tsv; tail -n +2 ref.tsv | sort) >b; cmp a b"
		run -0 winnow-dedup $mode -j 2 p.npy p.tsv -o j2.tsv
		run -0 sh -c "winnow-dedup $mode p.npy p.tsv | cmp - j2.tsv"
		for s in 0 1 2; do
			winnow-dedup $mode --shard $s/3 -o part$s.tsv p.npy p.tsv
		done
		keep=; case $mode in *semdedup*) keep="--keep semdedup" ;; esac
		winnow-dedup merge --score q $keep -o merged.tsv p.tsv part2.tsv part0.tsv part1.tsv
		run -0 cmp merged.tsv ref.tsv
	done
}

@test "an inverted file trained on threads (k-means on a subsample, as faiss does) and a graph index give the same bytes at -j 1, 2, 3" {
	# 20,000 rows: above IVF64's 64 x 256 training points, so faiss's
	# k-means draws its subsample; several BLAS blocks of rows
	pool 20000 4 big
	for mode in "--index IVF64,Flat --nprobe 4" "--index HNSW16"; do
		echo "mode: $mode"
		winnow-dedup $mode -j 1 -o j1.tsv big.npy big.tsv
		for j in 2 3; do
			winnow-dedup $mode -j $j -o j$j.tsv big.npy big.tsv
			run -0 cmp j1.tsv j$j.tsv
		done
	done
}

@test "the kept row: highest --score, ties by the hash of (seed, id); --drop keeps rank 0" {
	"$PYTHON" -c "import numpy as np; np.save('e.npy', np.array([[1,0],[2,0],[3,0],[0,1],[0,2]], np.float32))"
	make_manifest m.tsv "id|row|q" "a|0|1" "b|1|5" "c|2|5" "d|3|2" "e|4|1"
	winnow-dedup --score q e.npy m.tsv >out.tsv
	g=$(col out.tsv dup_group | head -1)
	echo "kept: $g"
	# b and c tie at 5: the one with the lower hash is kept
	run -0 col out.tsv dup_group
	assert_output "$(printf '%s\n%s\n%s\nd\nd' "$g" "$g" "$g")"
	run -0 col out.tsv dup_rank
	if [ "$g" = b ]; then assert_output "$(printf '2\n0\n1\n0\n1')"; else
		assert_output "$(printf '2\n1\n0\n0\n1')"; fi
	run -0 col <(winnow-dedup --score q --drop e.npy m.tsv) id
	assert_output "$(printf '%s\nd' "$g")"
	# the tie goes the same way whatever the input order
	make_manifest r.tsv "id|row|q" "e|4|1" "d|3|2" "c|2|5" "b|1|5" "a|0|1"
	run -0 col <(winnow-dedup --score q --drop e.npy r.tsv) id
	assert_output "$(printf 'd\n%s' "$g")"
	# without a score: the lowest hash, one row a group for every seed
	for s in 1 2 3 4 5; do
		run -0 sh -c "winnow-dedup --seed $s --drop e.npy m.tsv | tail -n +2 | wc -l"
		assert_output 2
	done
}

# The one pairing rule of every program (surrogate/data.h): no row
# column is refused, even when the line count equals the rows.
@test "without a row column the manifest is refused, even with as many lines as rows" {
	pool 50 4 p
	cut -f1,3 p.tsv >norow.tsv
	run -65 --separate-stderr winnow-dedup p.npy norow.tsv
	assert_output ""
	run -65 --separate-stderr winnow-dedup p.npy norow.tsv
	assert_equal "$(echo "$stderr" | grep -c 'norow.tsv:1: no "row" column')" 1
}

# bad CODE MESSAGE ARGS...: winnow-dedup ARGS exits CODE, stderr has MESSAGE.
bad() {
	local code=$1 msg=$2
	shift 2
	run "-$code" --separate-stderr winnow-dedup "$@"
	assert_equal "$(echo "$stderr" | grep -cF -- "$msg")" 1
	assert_output ""
}

@test "bad input: exit codes and FILE:LINE messages, nothing on stdout" {
	"$PYTHON" -c "
import numpy as np
x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
np.save('ok.npy', x)
y = x.copy(); y[2, 1] = np.nan; np.save('nan.npy', y)
y = x.copy(); y[3, 0] = np.inf; np.save('inf.npy', y)
y = x.copy(); y[1] = 0; np.save('zero.npy', y)
np.save('empty.npy', np.zeros((0, 3), np.float32))"
	make_manifest m.tsv "id|row" "a|0" "b|1" "c|2" "d|3" "e|4"
	make_manifest past.tsv "id|row" "a|0" "b|7"
	make_manifest dup.tsv "id|row" "a|0" "b|1" "a|2"
	make_manifest badrow.tsv "id|row" "a|0" "b|x"
	make_manifest score.tsv "id|row|q" "a|0|1" "b|1|nan"
	make_manifest empty.tsv "id|row"
	bad 65 "nan.npy: row 2, column 1: nan is not a finite number" nan.npy m.tsv
	bad 65 "inf.npy: row 3, column 0: inf is not a finite number" inf.npy m.tsv
	bad 65 "m.tsv:3: row 1 of zero.npy is all zeros: its cosine similarity is undefined" zero.npy m.tsv
	bad 65 "past.tsv:3: row 7 is past the end of ok.npy (5 rows)" ok.npy past.tsv
	bad 65 "dup.tsv:4: duplicate id" ok.npy dup.tsv
	bad 65 "badrow.tsv:3: row \"x\" is not a non-negative integer" ok.npy badrow.tsv
	bad 65 "score.tsv:3: q \"nan\" is not a finite number" --score q ok.npy score.tsv
	bad 65 "score.tsv:1: no \"nope\" column for --score" --score nope ok.npy score.tsv
	bad 65 "empty.tsv: no rows: the pool is empty" ok.npy empty.tsv
	bad 64 "-t: 1.5 is out of range (-1 to 1)" -t 1.5 ok.npy m.tsv
	bad 64 "--threshold: -1.01 is out of range (-1 to 1)" --threshold -1.01 ok.npy m.tsv
	bad 66 "missing.npy" missing.npy m.tsv
	bad 66 "missing.tsv" ok.npy missing.tsv
	bad 64 "is not an index faiss's index_factory builds" --index Bogus ok.npy m.tsv
	bad 64 "--keep semdedup needs --clusters K" --keep semdedup ok.npy m.tsv
	bad 64 "apply to an approximate --index" --nprobe 4 ok.npy m.tsv
	bad 64 "is not I/N" --shard 3/3 ok.npy m.tsv
	bad 65 "5 rows for --clusters 9" --clusters 9 ok.npy m.tsv
}

@test "merge: a missing or repeated shard, a foreign partial, mixed runs are refused" {
	pool 100 5 p
	for s in 0 1 2; do winnow-dedup --shard $s/3 -o part$s.tsv p.npy p.tsv; done
	winnow-dedup -t 0.5 --shard 1/3 -o other1.tsv p.npy p.tsv
	run -65 --separate-stderr winnow-dedup merge p.tsv part0.tsv part1.tsv
	assert_equal "$(echo "$stderr" | grep -c 'has no result in the partials (a shard missing?)')" 1
	run -65 --separate-stderr winnow-dedup merge p.tsv part0.tsv part1.tsv part1.tsv part2.tsv
	assert_equal "$(echo "$stderr" | grep -c 'already has a result (the same shard given twice?)')" 1
	run -65 --separate-stderr winnow-dedup merge p.tsv part0.tsv other1.tsv part2.tsv
	assert_equal "$(echo "$stderr" | grep -c 'partials of different runs')" 1
	run -65 --separate-stderr winnow-dedup merge p.tsv p.tsv
	assert_equal "$(echo "$stderr" | grep -c 'not a partial result of winnow-dedup --shard')" 1
	run -65 --separate-stderr winnow-dedup merge --seed 9 p.tsv part0.tsv part1.tsv part2.tsv
	assert_equal "$(echo "$stderr" | grep -c "is not of this manifest's 100 rows with seed 9")" 1
	run -0 winnow-dedup merge -o m.tsv p.tsv part0.tsv part1.tsv part2.tsv
	run -0 sh -c "winnow-dedup p.npy p.tsv | cmp - m.tsv"
}

@test "a config file's dedup section sets the defaults; the command line wins" {
	pool 200 6 p
	printf 'dedup:\n  threshold: 0.5\n  density-k: 3\n' >c.yaml
	winnow-dedup -t 0.5 -k 3 p.npy p.tsv >a.tsv
	run -0 sh -c "winnow-dedup -c c.yaml p.npy p.tsv | cmp - a.tsv"
	winnow-dedup -t 0.9 -k 3 p.npy p.tsv >b.tsv
	run -0 sh -c "winnow-dedup -c c.yaml -t 0.9 p.npy p.tsv | cmp - b.tsv"
	printf 'dedup:\n  treshold: 0.5\n' >bad.yaml
	run -78 --separate-stderr winnow-dedup -c bad.yaml p.npy p.tsv
	assert_equal "$(echo "$stderr" | grep -c 'bad.yaml:2:3: unknown key "treshold"')" 1
}

@test "kill -9 leaves -o absent or whole" {
	"$PYTHON" -c "
import numpy as np
x = np.random.default_rng(1).standard_normal((40000, 64)).astype(np.float32)
np.save('big.npy', x)
with open('big.tsv', 'w') as f:
    f.write('id\trow\n')
    for i in range(40000): f.write('r%d\t%d\n' % (i, i))"
	winnow-dedup -o ref.tsv big.npy big.tsv
	for t in 0.05 0.3 0.8; do
		rm -f out.tsv
		winnow-dedup -o out.tsv big.npy big.tsv &
		pid=$!
		sleep $t
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		if [ -e out.tsv ]; then run -0 cmp out.tsv ref.tsv; fi
	done
}

@test "a closed pipe ends quietly" {
	pool 3000 7 p
	run --separate-stderr sh -c "winnow-dedup p.npy p.tsv | head -1"
	assert_equal "$stderr" ""
}
