#!/bin/sh
# data/deps.sh [bench|check] - install the Debian packages winnow needs, if
# missing.  Run by `make deps` (and so by `make demo`); `make bench` adds
# "bench": the references its benchmarks measure against; `make check`
# adds "check": chromium, the headless browser tests/winnow-report.bats
# loads the reports in (about 110 MB, half a minute to install), and
# slurm-wlm and munge, for the one-node cluster of tests/slurm.bats (about
# 15 s to install), with python3-yaml to read pipelines/sharded-k8s.yaml.
set -eu
pkgs="gcc g++ make libopenblas-dev liblapacke-dev libyaml-dev zlib1g-dev
libpng-dev libjpeg62-turbo-dev libjansson-dev liblbfgs-dev libxxhash-dev
libfaiss-dev libgomp1
bats bats-assert bats-support dataset-fashion-mnist python3-numpy
python3-sklearn parallel gnuplot-nox time valgrind man-db groff-base
bsdextrautils"
if [ "${1:-}" = bench ]; then
	pkgs="$pkgs liblinear-tools python3-pil python3-faiss"
fi
if [ "${1:-}" = check ]; then
	pkgs="$pkgs chromium slurm-wlm munge python3-yaml"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
