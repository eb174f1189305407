# winnow build configuration: edit to suit your system.
VERSION = 0.1

PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man

CC       = cc
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DWINNOW_VERSION=\"$(VERSION)\" -Ilib -Isurrogate -Ibin/util \
           -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/libpng16
# -fvect-cost-model=dynamic: GCC's -O2 vectorises only loops that need no
# remainder code; -O3's model takes the rest too (3% of make demo's CPU).
# Vectorised elementwise loops compute the same bits, and ISO C keeps
# sums unreordered and contraction off, so results do not change.  (Drop
# it for a compiler without the flag.)
CFLAGS   = -std=c11 -Wall -Wextra -O2 -fvect-cost-model=dynamic -g -pthread
LDFLAGS  = -pthread

# OpenBLAS (with LAPACKE for the Cholesky in influence scores)
BLAS_LIBS = -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -llapacke
LIBS      = $(BLAS_LIBS) -lyaml -lpng16 -ljpeg -lz -ljansson -lxxhash -llbfgs -lm

# winnow-dedup only: faiss (a C++ library, Debian ships no C API library
# for it: lib/dedup/faissx.cpp wraps it), its OpenMP runtime and BLAS.
CXX       = c++
CXXFLAGS  = -std=c++17 -Wall -Wextra -O2 -g -pthread -fopenmp
FAISS_LIBS = -lfaiss -fopenmp -lstdc++

# make check-asan overrides these
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
