#!/bin/sh
# tests/bench/audit.sh - winnow-audit on Fashion-MNIST with labels
# corrupted on purpose.  Run from the repository root with bin/ on PATH
# (tests/bench/run.sh does that).
#
# Data: the first AUDIT_BENCH_N (12,000) training images, embedded by
# winnow-embed -m random (-d AUDIT_BENCH_D, 512) and -m kmeans (a
# dictionary of AUDIT_BENCH_K, 400, atoms: 4 K = 1,600 features, the
# k-means setting README and issue 15 measured); the 10,000 test
# images for accuracy.  Corruption (a hash of the row, seeded, so every run
# corrupts the same rows):
#   uniform R:  R of all rows get another class, uniformly;
#   classes R:  R of the rows of the classes people confuse -- Shirt,
#               T-shirt/top, Pullover, Coat; Sneaker, Ankle boot -- get
#               another class of their group, uniformly.
# For each embedding and corruption (R = 10%, 30%), and each rule of
# winnow-audit -F in AUDIT_BENCH_FILTERS (prune-by-noise-rate and
# prune-by-class):
#   precision and recall of winnow-audit's flagged rows against the rows
#     actually corrupted; beside a slow Python implementation of the
#     rule given the same probabilities (--probs: it must flag the same
#     rows and estimate the same noise matrix) and beside
#     ranking by plain loss (-log p_given: the same number of rows, the
#     largest losses);
#   test accuracy of winnow-train on the corrupted labels, on them without
#     the flagged rows (--drop-issues), and on the clean labels; the share
#     of the lost accuracy that dropping the flagged rows wins back;
# and the CPU time of the K = 5 fits (the whole winnow-audit run) against
# sklearn.model_selection.cross_val_predict with LogisticRegression (lbfgs,
# the same L2: C = 1/(lambda n_train), standardised features) on the same
# data.  Everything single-threaded: the machine is shared, CPU seconds are
# the fair measure, and times are reported as ratios.
set -eu
PY=/usr/bin/python3
N=${AUDIT_BENCH_N:-12000}
D=${AUDIT_BENCH_D:-512}
K=${AUDIT_BENCH_K:-400}
FILTERS=${AUDIT_BENCH_FILTERS:-prune-by-class prune-by-noise-rate}
EMBEDS=${AUDIT_BENCH_EMBEDS:-random kmeans}    # one each in two runs side by side: half the time
LAMBDA=${AUDIT_BENCH_LAMBDA:-1e-2}     # winnow-audit's default; sklearn gets the same L2
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
top=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/winnow-bench-audit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# cpu CMD...: run, print the CPU seconds (user + sys)
cpu() {
	/usr/bin/time -f '%U %S' -o "$tmp/cpu.out" "$@"
	awk '{ printf "%.2f\n", $1 + $2 }' "$tmp/cpu.out"
}

echo "# audit bench: $N training images, random d=$D, kmeans K=$K, lambda $LAMBDA, $(date -u +%FT%TZ)"
sh data/fashion-mnist.sh "$tmp/fm"
head -n $((N + 1)) "$tmp/fm/train.tsv" >"$tmp/train.tsv"
cd "$tmp"
winnow-embed -m random -d "$D" -j 2 -o random.npy train.tsv >random.tsv
winnow-embed -m random -d "$D" -j 2 -o random-test.npy fm/test.tsv >random-test.tsv
winnow-embed learn -k "$K" -j 2 -o dict train.tsv
winnow-embed -m kmeans --dict dict -j 2 -o kmeans.npy train.tsv >kmeans.tsv
winnow-embed -m kmeans --dict dict -j 2 -o kmeans-test.npy fm/test.tsv >kmeans-test.tsv

# corrupt IN OUT MODE RATE: labels of IN corrupted into OUT, the ids in OUT.ids
corrupt() {
	"$PY" - "$@" <<'EOF'
import hashlib, sys
src, dst, mode, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
classes = [l.strip() for l in open("%s/data/fashion-mnist-classes.txt" % sys.argv[5])]
groups = [["Shirt", "T-shirt/top", "Pullover", "Coat"], ["Sneaker", "Ankle boot"]]
def u(s, salt):     # a uniform number from the id: the same rows every run
    h = hashlib.sha256(("%s:%s" % (salt, s)).encode()).digest()
    return int.from_bytes(h[:8], "little") / 2**64
lines = open(src).read().splitlines()
head = lines[0].split("\t"); L = head.index("label")
out, bad = [lines[0]], []
for l in lines[1:]:
    f = l.split("\t"); lab = f[L]
    if mode == "uniform":
        pool = [c for c in classes if c != lab]
    else:
        g = [g for g in groups if lab in g]
        pool = [c for c in g[0] if c != lab] if g else []
    if pool and u(f[0], "flip") < rate:
        f[L] = pool[int(u(f[0], "to") * len(pool))]
        bad.append(f[0])
    out.append("\t".join(f))
open(dst, "w").write("\n".join(out) + "\n")
open(dst + ".ids", "w").write("\n".join(bad) + "\n")
EOF
}

# accuracy EMB MANIFEST [OPTIONS]: winnow-train's test accuracy
accuracy() {
	e=$1 m=$2; shift 2
	winnow-train -j 1 "$@" -o model --test "$e-test.npy:$e-test.tsv" "$e.npy" "$m" 2>/dev/null |
		sed -n 's/.*test_accuracy \([0-9.]*\).*/\1/p'
}

printf '%-8s %-12s %-6s %7s %6s %6s %6s %6s %5s %6s %6s %6s %s\n' embed corruption filter \
	flagged prec recall l-prec l-rec ref acc-c acc-d acc-cl recovered
for e in $EMBEDS; do
	clean=$(accuracy "$e" "$e.tsv")
	for case in uniform:0.1 uniform:0.3 classes:0.1 classes:0.3; do
		mode=${case%:*} rate=${case#*:}
		corrupt "$e.tsv" c.tsv "$mode" "$rate" "$top"
		acc_c=$(accuracy "$e" c.tsv)
		for filter in $FILTERS; do
		t_audit=$(cpu winnow-audit -j 1 -l "$LAMBDA" -F "$filter" --probs --noise-matrix nm.tsv \
			-o a.tsv "$e.npy" c.tsv)
		ref=$(FILTER=$filter "$PY" - <<'EOF'
import os
import math
from fractions import Fraction
rows = [l.split("\t") for l in open("a.tsv").read().splitlines()]
h = rows[0]; rows = rows[1:]
pc = [i for i, c in enumerate(h) if c.startswith("p_")]
classes = [h[i][2:] for i in pc]
k = len(classes)
L, F = h.index("label"), h.index("label_issue")
y = [classes.index(r[L]) for r in rows]
P = [[float(r[i]) for i in pc] for r in rows]     # float32 values, exactly
n = len(rows)
# the slow, obvious prune by noise rate (Northcutt et al. 2021)
cnt = [sum(1 for i in range(n) if y[i] == j) for j in range(k)]
t = []
for j in range(k):
    s = 0.0
    for i in range(n):
        if y[i] == j:
            s += P[i][j]
    t.append(s / cnt[j])
C = [[0] * k for _ in range(k)]
for i in range(n):
    conf = [j for j in range(k) if P[i][j] >= t[j]]
    if conf:
        C[y[i]][max(conf, key=lambda j: (P[i][j], -j))] += 1
cal = []
for i in range(k):
    s = sum(C[i])
    f = [Fraction(C[i][j] * cnt[i], s) for j in range(k)] if s else \
        [Fraction(cnt[i] if j == i else 0) for j in range(k)]
    r = [round(x) for x in f]              # Fraction rounds half to even
    while sum(r) != cnt[i]:
        up = sum(r) < cnt[i]
        cand = [j for j in range(k) if up or r[j] > 0]
        j = (max if up else min)(cand, key=lambda j: (f[j] - r[j], -j) if up else (f[j] - r[j], j))
        r[j] += 1 if up else -1
    cal.append(r)
flag = [0] * n          # prune by noise rate
for i in range(k):
    if cnt[i] <= 1:
        continue
    mine = [r for r in range(n) if y[r] == i]
    left = cnt[i] - 1
    for j in range(k):
        if j == i or cal[i][j] <= 0 or left <= 0:
            continue
        take = min(cal[i][j], left); left -= take
        for r in sorted(mine, key=lambda r: (-(P[r][j] - P[r][i]), r))[:take]:
            flag[r] = 1
byc = [0] * n           # prune by class: the lowest p_given, the class's estimated errors
for i in range(k):
    mine = [r for r in range(n) if y[r] == i]
    for r in sorted(mine, key=lambda r: (P[r][i], r))[:max(0, min(cnt[i] - cal[i][i], cnt[i] - 1))]:
        byc[r] = 1
rule = os.environ["FILTER"]
if rule == "prune-by-class":
    flag = byc
elif rule == "both":
    flag = [a & b for a, b in zip(flag, byc)]
for r in range(n):
    if max(range(k), key=lambda j: (P[r][j], -j)) == y[r]:
        flag[r] = 0
got = [int(r[F]) for r in rows]
nm = [l.split("\t") for l in open("nm.tsv").read().splitlines()][1:]
same_nm = all(int(nm[i][j + 1]) == cal[i][j] for i in range(k) for j in range(k))
diff = sum(1 for a, b in zip(flag, got) if a != b)
bad = set(open("c.tsv.ids").read().split())
ids = [r[0] for r in rows]
fl = [ids[r] for r in range(n) if got[r]]
tp = sum(1 for i in fl if i in bad)
# plain loss: the same number of rows, the largest -log p_given
loss = sorted(range(n), key=lambda r: (P[r][y[r]], r))[:len(fl)]
tpl = sum(1 for r in loss if ids[r] in bad)
print(len(fl), "%.3f" % (tp / max(len(fl), 1)), "%.3f" % (tp / max(len(bad), 1)),
      "%.3f" % (tpl / max(len(fl), 1)), "%.3f" % (tpl / max(len(bad), 1)),
      "same" if diff == 0 and same_nm else "DIFF:%d%s" % (diff, "" if same_nm else ",nm"))
EOF
)
		acc_d=$(accuracy "$e" a.tsv --drop-issues)
		rec=$("$PY" -c "c, d, k = $acc_c, $acc_d, $clean
print('%.2f' % ((d - c) / (k - c)) if k - c > 1e-9 else 'n/a (nothing lost)')")
		set -- $ref
		printf '%-8s %-12s %-6s %7s %6s %6s %6s %6s %5s %6s %6s %6s %s\n' "$e" "$case" \
			"$(echo "$filter" | sed 's/prune-by-noise-rate/pbnr/; s/prune-by-class/pbc/')" \
			"$1" "$2" "$3" "$4" "$5" "$6" "$acc_c" "$acc_d" "$clean" "$rec"
		[ "$6" = same ] || echo "audit: winnow-audit and the slow reference disagree" >&2
		if [ "$case" = uniform:0.1 ] && [ "$filter" = "${FILTERS%% *}" ]; then
			t_sk=$("$PY" - "$e.npy" "$LAMBDA" <<'EOF'
import sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
warnings.simplefilter("ignore")
X = np.load(sys.argv[1])
lab = [l.split("\t") for l in open("c.tsv").read().splitlines()]
L = lab[0].index("label")
y = np.array([r[L] for r in lab[1:]])
n_train = len(y) * 4 // 5
t0 = time.process_time()
lam = float(sys.argv[2])
clf = make_pipeline(StandardScaler(), LogisticRegression(C=1 / (lam * n_train), max_iter=500))
cross_val_predict(clf, X, y, cv=KFold(5), method="predict_proba")
print("%.2f" % (time.process_time() - t0))
EOF
)
			echo "# $e: K = 5 fits, CPU s: winnow-audit $t_audit (whole run), sklearn cross_val_predict $t_sk: ratio $("$PY" -c "print('%.2f' % ($t_sk / max($t_audit, 0.01)))")x"
		fi
		done
	done
done
