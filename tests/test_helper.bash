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
