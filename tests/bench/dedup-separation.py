#!/usr/bin/python3
"""tests/bench/dedup-separation.py - can a cosine threshold separate
near-duplicates from distinct images on an embedding?

    dedup-separation.py OUT EMB.npy...

OUT is a pool made by `dedup-quality.py gen N0 M OUT` (N0 originals, then
M near-copies per transform); each EMB.npy embeds OUT's images in IDX
order.  Prints, per embedding (as it is, and with the originals' mean
subtracted): the 1st percentile of the cosine between each near-copy and
its original, per transform, and the distribution of each original's
cosine to its nearest distinct original (pixel RMSE above 0.1, as
dedup-quality.py counts a false pair).  A threshold t with recall >= 0.99
exists where the copy, noise and JPEG 1st percentiles are >= t; it makes
few false pairs only if almost no original has a distinct neighbour >= t.

Measured (N0 10,000, M 1,000, the embeddings made as tests/bench/dedup.sh
makes them, kmeans with 400 centroids learned on the pool):
random 1,024: JPEG p1 0.985, distinct p99.9 0.984 (0.06% of originals
above); kmeans K=400: noise p1 0.910, distinct median 0.998 (100% above:
no threshold).
"""
import sys

import numpy as np

KINDS = ["copy", "noise", "shift", "jpeg", "bright"]


def analyse(name, X, P, truth, n0, center):
    X = X.astype(np.float64)
    if center:
        X = X - X[:n0].mean(0)
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = X[:n0] @ X[:n0].T
    np.fill_diagonal(S, -2)
    sq = (P[:n0] ** 2).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2 * P[:n0] @ P[:n0].T) / P.shape[1]
    nn = np.where(d2 > 0.01, S, -2).max(1)
    line, p1 = "%-22s" % name, {}
    for kind in KINDS:
        c = np.array([X[a] @ X[b] for a, b, k in truth if k == kind])
        p1[kind] = np.quantile(c, 0.01)
        line += " %s %.4f" % (kind, p1[kind])
    t = min(p1["copy"], p1["noise"], p1["jpeg"])
    line += (" | distinct NN median %.4f p99 %.4f p99.9 %.4f; t = %.4f: %.2f%% of originals"
             " have a distinct NN >= t" % (np.median(nn), np.quantile(nn, .99),
                                           np.quantile(nn, .999), t, 100 * (nn >= t).mean()))
    print(line)


def main():
    out = sys.argv[1]
    P = np.frombuffer(open(out + "-images-idx3-ubyte", "rb").read(), np.uint8,
                      offset=16).reshape(-1, 784).astype(np.float64) / 255
    truth = [(int(a), int(b), k) for a, b, k in
             (l.split("\t") for l in open(out + "-truth.tsv").read().split("\n")[1:] if l)]
    n0 = min(a for a, _, _ in truth)
    for path in sys.argv[2:]:
        X = np.load(path)
        name = path.rsplit("/", 1)[-1][:-4]
        analyse(name, X, P, truth, n0, False)
        analyse(name + " (centred)", X, P, truth, n0, True)


if __name__ == "__main__":
    main()
