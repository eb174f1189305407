# tests/test_helper.bash - loaded by every Bats suite.
#
# Puts the built programs first on PATH (WINNOW_BIN, set by tests/run.sh to
# bin/ or build-asan/bin/), gives each test its own temporary directory as
# the working directory, and loads bats-support and bats-assert.

WINNOW_TOP=${WINNOW_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
WINNOW_BIN=${WINNOW_BIN:-$WINNOW_TOP/bin}
FIXTURES=$WINNOW_TOP/tests/fixtures
PATH=$WINNOW_BIN:$PATH
export WINNOW_TOP WINNOW_BIN FIXTURES PATH
# Debian's python3 has python3-numpy; a python3 earlier on PATH may not.
PYTHON=/usr/bin/python3
FMNIST=/usr/share/datasets/fashion-mnist

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# make_manifest FILE LINE...: write a manifest from TSV lines given with
# "|" standing for TAB (for readable tables in tests).
make_manifest() {
	local f=$1; shift
	printf '%s\n' "$@" | tr '|' '\t' >"$f"
}

# npy_from_python FILE EXPR: write a .npy with NumPy, EXPR a numpy
# expression using np.
npy_from_python() {
	"$PYTHON" -c "import numpy as np; np.save('$1', $2)"
}

# blobs N SEED NAME: N rows of 3 overlapping Gaussian classes in 4-D (unit
# variance, centres 2 apart), NAME.npy and NAME.tsv (id, row, label).
blobs() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
n, seed, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(seed)
y = rng.integers(0, 3, n)
centres = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], float)
x = centres[y] + rng.standard_normal((n, 4)) * 1.0
np.save(name + ".npy", x.astype(np.float32))
names = ["cat", "dog", "eel"]
with open(name + ".tsv", "w") as f:
    f.write("id\trow\tlabel\n")
    for i in range(n):
        f.write("%s-%d\t%d\t%s\n" % (name, i, i, names[y[i]]))
PY
}

# separable3 NAMES [extra]: emb.npy, 90 rows of 5 features in 3 classes a
# linear model separates well, and m.tsv (id, label, row[, extra]) with
# the labels (NAMES, comma-separated) on rows 0..59 and rows 60.. unlabeled;
# "extra" adds a column the programs must pass through (x0, x1, ...).
separable3() {
	"$PYTHON" - "$1" "${2:-}" <<'PY'
import sys, numpy as np
names, extra = sys.argv[1].split(','), sys.argv[2] == 'extra'
rng = np.random.default_rng(1)
n, d = 90, 5
y = np.arange(n) % 3
X = rng.normal(size=(n, d)).astype(np.float32)
X[:, 0] += 2.5 * (y == 0); X[:, 1] += 2.5 * (y == 1); X[:, 2] -= 2.5 * (y == 2)
np.save('emb.npy', X)
with open('m.tsv', 'w') as f:
    f.write('id\tlabel\trow' + ('\textra' if extra else '') + '\n')
    for i in range(n):
        f.write('s%d\t%s\t%d' % (i, names[y[i]] if i < 60 else '', i)
                + ('\tx%d' % i if extra else '') + '\n')
PY
}
