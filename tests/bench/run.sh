#!/bin/sh
# tests/bench/run.sh - `make bench`: run every tests/bench/*.sh from the
# repository root with the built programs first on PATH.  Each benchmark
# prints its own figures, as ratios against a reference measured in the
# same script, because the machine is shared and absolute times are noisy.
# BENCH="embed select" runs only the named ones; million and select-100m
# (an hour, and tens of GB of temporary files) run only when named.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
PATH=$top/bin:$PATH
export PATH
status=0
for b in tests/bench/*.sh; do
	name=$(basename "$b" .sh)
	case $name in run | lib) continue ;; esac
	# the long ones only when named (make bench-million, bench-100m)
	case $name in million | select-100m) [ -n "${BENCH:-}" ] || continue ;; esac
	if [ -n "${BENCH:-}" ]; then
		case " $BENCH " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "== bench: $name"
	sh "$b" || { echo "bench $name failed" >&2; status=1; }
done
exit $status
