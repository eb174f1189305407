#!/usr/bin/python3
"""tests/bench/dedup-faiss.py EMB.npy THRESHOLD K FACTORY PARAMS THREADS [EXACT.tsv]

The search winnow-dedup makes, by python3-faiss on the same rows, index and
parameters: rows normalised, the index trained and filled, the K+9 nearest
of every row, and a range search at THRESHOLD - 1e-4 for the rows whose
list may not hold all their pairs.  Prints its wall time (load excluded)
and, given winnow-dedup's exact output, the recall of its nearest
neighbours against it.
"""
import sys
import time

import faiss
import numpy as np

emb, thr, k, factory, params, threads = sys.argv[1:7]
thr, k, threads = float(thr), int(k), int(threads)
x = np.load(emb, mmap_mode="r")
faiss.omp_set_num_threads(threads)
t0 = time.monotonic()
x = np.array(x, dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
ix = faiss.index_factory(x.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
if not ix.is_trained:
    ix.train(x)
ix.add(x)
if params != "-":
    faiss.ParameterSpace().set_index_parameters(ix, params)
kn = min(k + 9, len(x))
nn = np.empty(len(x), np.int64)
B = 1024
for b in range(0, len(x), B):
    D, I = ix.search(x[b:b + B], kn)
    sat = np.nonzero(D[:, -1] >= thr - 1e-4)[0]
    if len(sat):
        ix.range_search(x[b + sat], thr - 1e-4)
    # the nearest other row
    self_first = I[:, 0] == np.arange(b, b + len(I))
    nn[b:b + len(I)] = np.where(self_first, I[:, 1], I[:, 0])
t = time.monotonic() - t0
line = "faiss (python3-faiss) %s: %.2f s" % (factory, t)
if len(sys.argv) > 7:
    rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[7])]
    h = {c: i for i, c in enumerate(rows[0])}
    ids = [r[h["id"]] for r in rows[1:]]
    exact = [r[h["nn_id"]] for r in rows[1:]]
    same = sum(ids[nn[i]] == exact[i] for i in range(len(ids)))
    line += ", nearest neighbour = exact's for %.4f of rows" % (same / len(ids))
print(line)
