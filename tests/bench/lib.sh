# tests/bench/lib.sh - sourced by the benchmarks that build a C tool of
# their own (run.sh does not run it).

# bench_cc OUT SOURCE: compile SOURCE against lib/libwinnow.a with the
# build's own compiler, flags and libraries (from config.mk).
bench_cc() {
	bench_flags=$(printf 'include config.mk\nall:\n\t@echo "$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)"\n\t@echo "$(LIBS)"\n' |
		make -s --no-print-directory -f -)
	# shellcheck disable=SC2046 # the flags are words
	$(echo "$bench_flags" | sed -n 1p) -o "$1" "$2" lib/libwinnow.a $(echo "$bench_flags" | sed -n 2p)
}
