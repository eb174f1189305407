#!/bin/sh
# tests/bench/surrogate.sh - winnow-fit against liblinear-train -s 0 and
# scikit-learn LogisticRegression(lbfgs) (winnow-score against NumPy is
# tests/bench/score.sh).  Run from the repository root with bin/ on PATH
# (tests/bench/run.sh does that).
#
# Data: the 60,000 Fashion-MNIST training images as pixels / 255 (d = 784),
# the 10,000 test images for accuracy, and a 4% stratified seed.
#
# Regularisation: every solver sees the same raw features (winnow-fit
# --no-standardize) and the same L2 strength: winnow-fit minimises
# mean(loss) + (lambda/2)||W||^2, scikit-learn and liblinear minimise
# C sum(loss) + ||W||^2/2, so C = 1/(lambda n).  liblinear -s 0 fits
# one-vs-rest binary models (its only logistic multi-class mode) with the
# bias as a penalised feature (-B 1): the same C, not quite the same
# problem, so its objective is not comparable; its accuracy is.
#
# Every process runs single-threaded (OPENBLAS_NUM_THREADS=1): the machine
# is shared, and CPU seconds (user + sys) are the fair measure.  Ratios
# are against references measured in this same run.
set -eu
PY=/usr/bin/python3
FM=/usr/share/datasets/fashion-mnist
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
command -v liblinear-train >/dev/null || {
	echo "surrogate: liblinear-train missing (apt-get install liblinear-tools)" >&2
	exit 1
}
top=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/winnow-bench-surrogate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# cpu CMD...: run, print the CPU seconds (user + sys) on fd 3.
cpu() {
	/usr/bin/time -f '%U %S' -o cpu.out "$@"
	awk '{ printf "%.2f\n", $1 + $2 }' cpu.out
}

echo "# preparing data"
"$PY" - <<EOF
import gzip, numpy as np
from sklearn.datasets import dump_svmlight_file
def idx(p):
    b = gzip.open(p).read(); nd = b[3]
    dims = [int.from_bytes(b[4 + 4*i:8 + 4*i], 'big') for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4*nd).reshape(dims)
X = idx('$FM/train-images-idx3-ubyte.gz').reshape(60000, -1).astype(np.float32) / 255
y = idx('$FM/train-labels-idx1-ubyte.gz').astype(int)
Xt = idx('$FM/t10k-images-idx3-ubyte.gz').reshape(10000, -1).astype(np.float32) / 255
yt = idx('$FM/t10k-labels-idx1-ubyte.gz').astype(int)
np.save('train.npy', X); np.save('test.npy', Xt); np.save('y.npy', y); np.save('yt.npy', yt)
for name, lab, n in (('train', y, 60000), ('test', yt, 10000)):
    with open(name + '.tsv', 'w') as f:
        f.write('id\tlabel\trow\n')
        f.writelines('%s%d\t%d\t%d\n' % (name, i, lab[i], i) for i in range(n))
dump_svmlight_file(X, y, 'train.svm', zero_based=False)
dump_svmlight_file(Xt, yt, 'test.svm', zero_based=False)
EOF
winnow-manifest split -f 0.04 --seed 1 --stratify label -o seed.tsv train.tsv
"$PY" - <<'EOF'
from sklearn.datasets import load_svmlight_file, dump_svmlight_file
rows = [int(l.split('\t')[2]) for l in open('seed.tsv').read().split('\n')[1:] if l]
X, y = load_svmlight_file('train.svm', n_features=784)
dump_svmlight_file(X[rows], y[rows], 'seed.svm', zero_based=False)
open('seed.rows', 'w').write('\n'.join(map(str, rows)))
EOF

# fit_case NAME MANIFEST SVM LAMBDA
fit_case() {
	name=$1 man=$2 svm=$3 lam=$4
	n=$(($(wc -l <"$man") - 1))
	C=$("$PY" -c "print(1 / ($lam * $n))")
	echo "# fit: $name, n = $n, lambda = $lam (C = $C)"
	t_w=$(cpu winnow-fit --no-standardize --influence none -l "$lam" -o w.model train.npy "$man" 2>w.err)
	obj_w=$(sed -n 's/^objective: //p' w.model)
	gn_w=$(sed -n 's/^grad_norm: //p' w.model)
	it_w=$(sed -n 's/^iterations: //p' w.model)
	acc_w=$(winnow-score -M w.model test.npy test.tsv |
		awk -F'\t' 'NR > 1 { n++; c += ($2 == $5) } END { printf "%.4f", c / n }')
	t_l=$(cpu liblinear-train -q -s 0 -B 1 -c "$C" "$svm" l.model)
	acc_l=$(liblinear-predict -q test.svm l.model l.out >/dev/null;
		"$PY" -c "import numpy as np; p = np.loadtxt('l.out'); print('%.4f' % (p == np.load('yt.npy')).mean())")
	"$PY" - "$man" "$lam" "$C" >s.out <<'EOF'
import sys, time, warnings, numpy as np
from sklearn.linear_model import LogisticRegression
warnings.filterwarnings('ignore')
man, lam, C = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rows = np.array([int(l.split('\t')[2]) for l in open(man).read().split('\n')[1:] if l])
X = np.load('train.npy')[rows].astype(np.float64); y = np.load('y.npy')[rows]
t = time.process_time()
clf = LogisticRegression(C=C, solver='lbfgs', max_iter=2000).fit(X, y)
t = time.process_time() - t
W, b = clf.coef_, clf.intercept_
Z = X @ W.T + b; Z -= Z.max(1, keepdims=True)
lp = Z - np.log(np.exp(Z).sum(1, keepdims=True))
f = -lp[np.arange(len(y)), y].mean() + lam / 2 * (W ** 2).sum()
acc = (clf.predict(np.load('test.npy')) == np.load('yt.npy')).mean()
print('%.2f %.9g %d %.4f' % (t, f, clf.n_iter_[0], acc))
EOF
	read -r t_s obj_s it_s acc_s <s.out
	printf '%-10s %-22s %8s %14s %10s %6s %8s\n' "$name" solver cpu-s objective grad-norm iters test-acc
	printf '%-10s %-22s %8s %14.9g %10.3g %6s %8s\n' "$name" winnow-fit "$t_w" "$obj_w" "$gn_w" "$it_w" "$acc_w"
	printf '%-10s %-22s %8s %14.9g %10s %6s %8s\n' "$name" "sklearn lbfgs (fit)" "$t_s" "$obj_s" - "$it_s" "$acc_s"
	printf '%-10s %-22s %8s %14s %10s %6s %8s\n' "$name" "liblinear -s 0 (OvR)" "$t_l" - - - "$acc_l"
	"$PY" -c "print('%-10s speedup: %.1fx vs sklearn, %.1fx vs liblinear; accuracy %+.2f / %+.2f points' % ('$name', $t_s / $t_w, $t_l / $t_w, 100 * ($acc_w - $acc_s), 100 * ($acc_w - $acc_l)))"
}

fit_case seed-4% seed.tsv seed.svm 1e-3
fit_case full train.tsv train.svm 1e-4

# winnow-score against NumPy: tests/bench/score.sh
