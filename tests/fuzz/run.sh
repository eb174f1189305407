#!/bin/sh
# tests/fuzz/run.sh [NAME...] - build the libFuzzer harnesses (tests/fuzz/
# fuzz_NAME.c) with clang against the library sources and run each one for
# FUZZ_SECONDS (default 60) seconds, FUZZ_JOBS (default 1) at a time.
#
# Seeds come from tests/fuzz/corpus/NAME/ (committed, read-only here); what
# the fuzzer finds goes to $FUZZ_DIR/corpus/NAME (default tests/fuzz/out/) and
# crashing inputs to $FUZZ_DIR/crash/NAME/.  Ends with one line per harness
# "NAME: N execs in S s, OK|CRASH (FILE)" and exits 1 if any crashed.
# FUZZ_BUILD_ONLY=1 only builds.  Installs clang and its runtime with
# apt-get if they are missing (as data/deps.sh does).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
out=${FUZZ_DIR:-$top/tests/fuzz/out}
case $out in /*) ;; *) out=$top/$out ;; esac
CC=${FUZZ_CC:-clang}

# ---- toolchain ----
rtlib() {
	$CC -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null
}
if ! command -v "$CC" >/dev/null 2>&1 || [ ! -f "$(rtlib)" ]; then
	echo "fuzz: installing clang libclang-rt-14-dev" >&2
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq &&
		$sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null ||
		{ echo "fuzz: cannot install clang" >&2; exit 1; }
fi

# The include paths and libraries of the normal build (config.mk).
mkvar() {
	printf 'include config.mk\nprint:\n\t@echo $(%s)\n' "$1" | make -s --no-print-directory -f - print
}
CPPFLAGS=$(mkvar CPPFLAGS)
LIBS=$(mkvar LIBS)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -g -O1 -pthread $SAN"

mkdir -p "$out/obj" "$out/bin"

# ---- library objects (rebuilt when any source or header is newer) ----
newest_hdr=$(ls -t lib/*.h surrogate/*.h 2>/dev/null | head -1)
objs=
for src in lib/*.c surrogate/*.c; do
	[ -e "$src" ] || continue
	obj=$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_hdr" -nt "$obj" ]; then
		$CC $CPPFLAGS $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src" || exit 1
	fi
	objs="$objs $obj"
done

# ---- harnesses: those whose headers exist (branches land one by one) ----
names=
if [ $# -gt 0 ]; then
	names=$*
else
	for h in tests/fuzz/fuzz_*.c; do
		n=${h#tests/fuzz/fuzz_}
		names="$names ${n%.c}"
	done
fi
built=
for n in $names; do
	src=tests/fuzz/fuzz_$n.c
	[ -e "$src" ] || { echo "fuzz: no harness $src" >&2; exit 1; }
	skip=
	for hdr in $(sed -n 's/^#include "\([a-z]*\.h\)"$/\1/p' "$src"); do
		[ "$hdr" = fuzz.h ] && continue
		[ -e "lib/$hdr" ] || [ -e "surrogate/$hdr" ] || skip=$hdr
	done
	if [ -n "$skip" ]; then
		echo "fuzz: $n: skipped ($skip not there yet)" >&2
		continue
	fi
	bin=$out/bin/fuzz_$n
	if [ ! -e "$bin" ] || [ "$src" -nt "$bin" ] || [ tests/fuzz/fuzz.h -nt "$bin" ] ||
	   [ -n "$(find $objs -newer "$bin" 2>/dev/null | head -1)" ]; then
		$CC $CPPFLAGS $CFLAGS -fsanitize=fuzzer -Itests/fuzz -o "$bin" "$src" $objs $LIBS || exit 1
	fi
	built="$built $n"
done
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# ---- run ----
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tmp=$out/tmp
mkdir -p "$tmp"
export TMPDIR=$tmp

run_one() {
	n=$1
	mkdir -p "$out/corpus/$n" "$out/crash/$n" "tests/fuzz/corpus/$n"
	log=$out/fuzz_$n.log
	# tests/fuzz/NAME.supp: LeakSanitizer suppressions for known,
	# reported leaks (each names its bug); delete it with the fix
	supp=
	[ -e "tests/fuzz/$n.supp" ] && supp=suppressions=$top/tests/fuzz/$n.supp:fast_unwind_on_malloc=0
	LSAN_OPTIONS=${LSAN_OPTIONS:-}${supp:+:$supp} "$out/bin/fuzz_$n" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$out/crash/$n/" \
		"$out/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "$n: ${execs:-?} execs in $secs s, OK"
	else
		a=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "$n: ${execs:-?} execs, CRASH (${a:-see $log})"
		grep -m3 -E 'ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/    /'
	fi
	return $rc
}

status=0
set -- $built
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
		(run_one "$1" >"$out/result_$1") &
		pids="$pids $!:$1"
		shift
		i=$((i + 1))
	done
	for p in $pids; do
		wait "${p%%:*}" || status=1
		cat "$out/result_${p#*:}"
	done
done
exit $status
