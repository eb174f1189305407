#!/bin/sh
# data/deps.sh [bench] - install the Debian packages winnow needs, if
# missing.  Run by `make deps` (and so by `make check` and `make demo`);
# `make bench` adds "bench": the references its benchmarks measure against.
# slurm-wlm and munge: tests/slurm.bats runs a one-node cluster (about 15 s
# to install); python3-yaml: it reads pipelines/sharded-k8s.yaml.
set -eu
pkgs="gcc make libopenblas-dev liblapacke-dev libyaml-dev zlib1g-dev
libpng-dev libjpeg62-turbo-dev libjansson-dev liblbfgs-dev libxxhash-dev
bats bats-assert bats-support dataset-fashion-mnist python3-numpy
python3-sklearn parallel gnuplot-nox time valgrind slurm-wlm munge
python3-yaml"
if [ "${1:-}" = bench ]; then
	pkgs="$pkgs liblinear-tools python3-pil"
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
