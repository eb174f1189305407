# winnow - prune image datasets before they are labeled or trained on
# See LICENSE and README.md.  Targets: all check check-asan demo bench
# bench-million bench-100m deps
# install uninstall clean.
include config.mk

# O is where objects and programs go: "." for the normal build (programs land
# in bin/ beside their sources), build-asan for the sanitizer build.
O = .

LIBSRC  = $(wildcard lib/*.c surrogate/*.c)
LIBHDR  = $(wildcard lib/*.h surrogate/*.h)
LIBOBJ  = $(LIBSRC:%.c=$(O)/%.o)
LIBA    = $(O)/lib/libwinnow.a

# Program-only helpers (die, usage, options, tty progress: they print and
# exit), kept out of libwinnow.a as sbase keeps libutil apart from its tools.
UTILSRC = $(wildcard bin/util/*.c)
UTILHDR = $(wildcard bin/util/*.h)
UTILOBJ = $(UTILSRC:%.c=$(O)/%.o)
UTILA   = $(O)/bin/util/libwnutil.a

# winnow-dedup's faiss search (lib/dedup/): linked into that program and its
# unit test only, since libfaiss.a is large and needs OpenMP.
DEDUPHDR = $(wildcard lib/dedup/*.h)
DEDUPOBJ = $(O)/lib/dedup/dedup.o $(O)/lib/dedup/faissx.o

PROGSRC = $(wildcard bin/*.c)
PROGS   = $(PROGSRC:%.c=$(O)/%)

# Small tools that make data (data/*.c), built like programs.
DATASRC = $(wildcard data/*.c)
DATATOOLS = $(DATASRC:%.c=$(O)/%)

UNITSRC = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRC:%.c=$(O)/%)

# Installed under $(SHAREDIR): the pipelines and the data tools they run.
SHAREDIR  = $(PREFIX)/share/winnow
PIPELINES = $(filter-out %~,$(wildcard pipelines/*))
DATAFILES = data/fashion-mnist.sh data/fashion-mnist-classes.txt

MAN1 = $(wildcard man/man1/*.1)
MAN5 = $(wildcard man/man5/*.5)
MAN7 = $(wildcard man/man7/*.7)

all: $(LIBA) $(UTILA) $(PROGS) $(UNITS) $(DATATOOLS)

$(O)/%.o: %.c $(LIBHDR) $(UTILHDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/%.o: %.cpp $(LIBHDR) $(DEDUPHDR) config.mk
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c -o $@ $<

$(O)/lib/dedup/dedup.o $(O)/bin/winnow-dedup.o $(O)/tests/unit/test_dedup.o: $(DEDUPHDR)
$(O)/lib/dedup/dedup.o $(O)/lib/dedup/faissx.o $(O)/bin/winnow-dedup.o \
$(O)/tests/unit/test_dedup.o: CPPFLAGS += -Ilib/dedup

$(O)/bin/winnow-dedup: $(O)/bin/winnow-dedup.o $(DEDUPOBJ) $(UTILA) $(LIBA)
	$(CXX) $(LDFLAGS) -o $@ $< $(DEDUPOBJ) $(UTILA) $(LIBA) $(FAISS_LIBS) $(LIBS)

$(O)/tests/unit/test_dedup: $(O)/tests/unit/test_dedup.o $(DEDUPOBJ) $(UTILA) $(LIBA)
	$(CXX) $(LDFLAGS) -o $@ $< $(DEDUPOBJ) $(UTILA) $(LIBA) $(FAISS_LIBS) $(LIBS)

$(LIBA): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(UTILA): $(UTILOBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(UTILOBJ)

$(O)/bin/%: $(O)/bin/%.o $(UTILA) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(UTILA) $(LIBA) $(LIBS)

$(O)/data/%: $(O)/data/%.o $(UTILA) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(UTILA) $(LIBA) $(LIBS)

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(UTILA) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(UTILA) $(LIBA) $(LIBS)

# Install the Debian packages winnow builds, tests and demonstrates with
# (deps-bench: and the references the benchmarks measure against;
# deps-check: and the browser the report tests use).
deps:
	@sh data/deps.sh

deps-bench:
	@sh data/deps.sh bench

deps-check:
	@sh data/deps.sh check

check: deps-check all
	@sh tests/run.sh "$(O)"

# "all" too: the suites and the man pages' EXAMPLES run the data tools from
# the top (data/png-sample), as a user would, whichever build is tested;
# without it check-asan failed from a clean clone unless check had run.
check-asan: deps-check all
	$(MAKE) O=build-asan CFLAGS="$(CFLAGS) -O1 $(SANFLAGS)" CXXFLAGS="$(CXXFLAGS) -O1 $(SANFLAGS)" \
		LDFLAGS="$(LDFLAGS) $(SANFLAGS)" all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		sh tests/run.sh build-asan

demo: deps all
	@sh pipelines/demo

bench: deps-bench all
	@sh tests/bench/run.sh

# The long benchmarks, not in make bench: a million images through the
# whole job (tests/bench/million.sh), 10^8 rows through winnow-select
# (tests/bench/select-100m.sh).
bench-million: deps-bench all
	@BENCH=million sh tests/bench/run.sh

bench-100m: deps-bench all
	@BENCH=select-100m sh tests/bench/run.sh

# Fuzz every parser with libFuzzer for FUZZ_SECONDS each (tests/fuzz/).
fuzz: deps
	@sh tests/fuzz/run.sh

# The pipelines find the programs in $(PREFIX)/bin from $(SHAREDIR)
# (pipelines/lib.sh, data/fashion-mnist.sh), so the installed tree works
# as is, also under DESTDIR.
install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7 \
		$(DESTDIR)$(SHAREDIR)/pipelines $(DESTDIR)$(SHAREDIR)/data
	cp -f $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp -f $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/
	cp -f $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/
	cp -f $(MAN7) $(DESTDIR)$(MANPREFIX)/man7/
	cp -f $(PIPELINES) $(DESTDIR)$(SHAREDIR)/pipelines/
	cp -f $(DATAFILES) $(DATATOOLS) $(DESTDIR)$(SHAREDIR)/data/

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(PREFIX)/bin/$${p##*/}; done
	for m in $(MAN1) $(MAN5) $(MAN7); do \
		s=$${m%/*}; s=$${s##*/}; rm -f $(DESTDIR)$(MANPREFIX)/$$s/$${m##*/}; done
	for f in $(PIPELINES); do rm -f $(DESTDIR)$(SHAREDIR)/$$f; done
	for f in $(DATAFILES) $(DATATOOLS); do rm -f $(DESTDIR)$(SHAREDIR)/data/$${f##*/}; done
	-rmdir $(DESTDIR)$(SHAREDIR)/pipelines $(DESTDIR)$(SHAREDIR)/data $(DESTDIR)$(SHAREDIR) 2>/dev/null

clean:
	rm -f $(LIBOBJ) $(LIBA) $(UTILOBJ) $(UTILA) $(DEDUPOBJ) $(PROGS) $(PROGS:=.o) $(UNITS) $(UNITS:=.o) $(DATATOOLS) $(DATATOOLS:=.o)
	rm -rf build-asan

# Keep the objects of programs and unit tests built through implicit rule
# chains: make would otherwise delete them after the tests, printing an
# "rm ..." line below the test count, and rebuild them next time.
.SECONDARY:

.PHONY: all deps deps-bench deps-check check check-asan demo bench bench-million bench-100m fuzz \
	install uninstall clean
