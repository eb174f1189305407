#!/usr/bin/python3
"""demo-reference.py - the winnow demo pipeline written with NumPy and
scikit-learn, for the speed comparison in tests/bench/demo.sh and for
checking winnow's numbers against an independent implementation.

    /usr/bin/python3 tests/bench/demo-reference.py [options]

Fashion-MNIST (IDX, gzip) -> embedding (pixels, random ReLU features, or
Coates-Ng k-means features with the dictionary learned here as
winnow-embed learn does)
-> a labeled seed (a share of the training set) -> softmax surrogate on the
seed -> scores for every training sample -> selection of a fraction ->
final softmax regression on the selection -> test accuracy.  Prints the
same table as pipelines/demo: full data, random subset, pruned subset.
"""
import argparse
import gzip
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore", category=ConvergenceWarning)

# CPU seconds of each stage (all threads: time.process_time), printed at
# the end, to set against the CPU seconds of winnow's programs
STAGE_CPU = {}


def charge(stage, since):
    """Add the CPU seconds since `since` to `stage`; the time now."""
    now = time.process_time()
    STAGE_CPU[stage] = STAGE_CPU.get(stage, 0.0) + now - since
    return now


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


NORM_EPS = 10.0 / (255.0 * 255.0)  # lib/embed.h EMB_NORM_EPS
ZCA_EPS = 0.1


def patches(x, p):
    """Every p x p patch (stride 1) of the images x (n, H, W), one a row."""
    v = np.lib.stride_tricks.sliding_window_view(x, (p, p), axis=(1, 2))
    return v.reshape(-1, p * p)


def normalise(v):
    """Contrast normalisation: (v - mean) / sqrt(var + eps), var unbiased."""
    m = v.mean(1, keepdims=True)
    return (v - m) / np.sqrt(v.var(1, ddof=1, keepdims=True) + np.float32(NORM_EPS))


def learn_kmeans(x, k, p, npatch, iters, seed):
    """The dictionary as winnow-embed learn makes it: ceil(npatch / n)
    patches per image at random places, contrast-normalised, ZCA whitening
    (eigenvalues + 0.1), then iters Lloyd iterations started from the
    patches at rows i*n/k (an empty cluster keeps its centroid)."""
    rng = np.random.default_rng(seed)
    n, H, W = x.shape
    ppi = -(-npatch // n)
    ys = rng.integers(0, H - p + 1, (n, ppi))
    xs = rng.integers(0, W - p + 1, (n, ppi))
    off = np.arange(p)
    img = np.repeat(np.arange(n), ppi)
    v = x[img[:, None, None], ys.reshape(-1)[:, None, None] + off[None, :, None],
          xs.reshape(-1)[:, None, None] + off[None, None, :]].reshape(-1, p * p)
    v = normalise(v)
    mean = v.mean(0)
    ev, vec = np.linalg.eigh(np.cov(v.astype(np.float64), rowvar=False))
    zca = ((vec / np.sqrt(np.maximum(ev, 0) + ZCA_EPS)) @ vec.T).astype(np.float32)
    xw = (v - mean) @ zca
    m = len(xw)
    c = xw[np.arange(k) * m // k].copy()
    for _ in range(iters):
        a = np.empty(m, np.int64)
        cc = (c * c).sum(1)
        for i in range(0, m, 8192):
            a[i:i + 8192] = np.argmin(cc - 2 * xw[i:i + 8192] @ c.T, 1)
        cnt = np.bincount(a, minlength=k)
        s = np.zeros((k, xw.shape[1]))
        np.add.at(s, a, xw)
        c[cnt > 0] = (s[cnt > 0] / cnt[cnt > 0, None]).astype(np.float32)
    return mean, zca, c


def encode_kmeans(x, d, p, block=32):
    """Coates-Ng features: triangle activation max(0, mean(z) - z_k) of
    every whitened patch, z_k its distance to centroid k, sum-pooled over
    4 quadrants (quadrant-major, as winnow-embed -m kmeans).  In blocks of
    32 images, the elementwise steps in place: the distance matrix of a
    block (27 MB) stays in the caches (blocks of 256 made the reference
    4 times slower, most of it in page faults)."""
    mean, zca, c = d
    n, H, W = x.shape
    ph, pw, k = H - p + 1, W - p + 1, len(c)
    hy, hx = (ph + 1) // 2, (pw + 1) // 2
    cc = (c * c).sum(1)
    ct = np.ascontiguousarray(-2 * c.T)
    out = np.empty((n, 4 * k), np.float32)
    for i in range(0, n, block):
        b = x[i:i + block]
        xw = (normalise(patches(b, p)) - mean) @ zca
        z = xw @ ct
        z += cc
        z += (xw * xw).sum(1, keepdims=True)
        np.maximum(z, 0, out=z)
        np.sqrt(z, out=z)
        np.subtract(z.mean(1, keepdims=True), z, out=z)
        np.maximum(z, 0, out=z)
        f = z.reshape(len(b), ph, pw, k)
        o = out[i:i + block]
        o[:, :k] = f[:, :hy, :hx].sum((1, 2))
        o[:, k:2 * k] = f[:, :hy, hx:].sum((1, 2))
        o[:, 2 * k:3 * k] = f[:, hy:, :hx].sum((1, 2))
        o[:, 3 * k:] = f[:, hy:, hx:].sum((1, 2))
    return out


def embed(images, method, dim, seed, stats=None, k=400):
    """The embedding of the images, and what the test set's embedding
    needs from the training set's (the k-means dictionary)."""
    x = images.astype(np.float32) / 255.0
    if method == "kmeans":
        c = time.process_time()
        d = stats if stats is not None else learn_kmeans(x, k, 6, 100000, 10, seed)
        c = charge("learn", c)
        e = encode_kmeans(x, d, 6)
        charge("encode train" if stats is None else "encode test", c)
        return e, d
    x = x.reshape(len(images), -1)
    if method == "pixels":
        return x, None
    # random (as winnow-embed -m random): each image standardised on its
    # own, s = (x - mean) / sqrt(var + 0.01), then relu(R s / sqrt(784)).
    # R is drawn by NumPy here, not winnow's hash: the same distribution,
    # not the same numbers.
    s = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 0.01)
    g = np.random.default_rng(seed).standard_normal((x.shape[1], dim)).astype(np.float32)
    return np.maximum(s @ g / np.float32(np.sqrt(x.shape[1])), 0), None


def scores(p, how):
    ps = np.sort(p, axis=1)
    if how == "margin":
        return 1 - (ps[:, -1] - ps[:, -2])
    if how == "entropy":
        return -(p * np.log(np.clip(p, 1e-30, 1))).sum(1)
    if how == "least-confidence":
        return 1 - ps[:, -1]
    raise ValueError(how)


def inclusion(t, k):
    """pi = min(1, c t), c by bisection on log c so that sum pi = k."""
    lo, hi = -60.0, 60.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.minimum(1, np.exp(mid) * t).sum() < k:
            lo = mid
        else:
            hi = mid
    return np.minimum(1, np.exp(hi) * t)


def select_rounds(x, y, is_seed, s, frac, rounds, alpha, rng, fit_lambda, how):
    """Multi-round biased selection (pipelines/rounds, winnow-select
    --kept): the seed is kept from round 1 and counts in the budget B =
    frac * n; round r keeps K + (B - K) r / rounds in all (K seed rows),
    the rows kept before among them; between rounds the surrogate is
    refitted on the kept rows (the seed among them) and scores every row
    again."""
    n = len(s)
    kept = is_seed.copy()
    b, k0 = int(round(frac * n)), int(is_seed.sum())
    for r in range(1, rounds + 1):
        k = k0 + (b - k0) * r // rounds - kept.sum()
        pi = inclusion(np.where(kept, 0.0, np.power(np.maximum(s, 1e-12), alpha)), k)
        kept |= rng.random(n) < pi
        if r < rounds:
            lab = kept
            sur = train(x[lab], y[lab], None, fit_lambda, 500)
            s = scores(sur.predict_proba(x), how)
    idx = np.nonzero(kept)[0]
    return idx, np.ones(len(idx))


def select(s, frac, scheme, alpha, rng, reweight, pred=None):
    """Indices and weights of the kept samples."""
    n = len(s)
    k = int(round(frac * n))
    if scheme == "random":
        idx = np.sort(rng.choice(n, k, replace=False))
        return idx, np.ones(k)
    if scheme == "top":
        idx = np.sort(np.argsort(-s, kind="stable")[:k])
        return idx, np.ones(k)
    if scheme == "biased":
        pi = inclusion(np.power(np.maximum(s, 1e-12), alpha), k)
        keep = rng.random(n) < pi
        idx = np.nonzero(keep)[0]
        w = 1 / pi[idx] if reweight else np.ones(len(idx))
        return idx, w
    if scheme == "ccs":
        cut = 0.1  # drop the hardest 10%
        order = np.argsort(-s, kind="stable")
        pool = np.sort(order[int(cut * n):])
        ps = s[pool]
        K = 50
        edges = np.linspace(ps.min(), ps.max(), K + 1)
        st = np.clip(np.searchsorted(edges, ps, side="right") - 1, 0, K - 1)
        groups = [pool[st == j] for j in range(K)]
        groups.sort(key=len)
        left, chosen = k, []
        for j, g in enumerate(groups):
            m = min(len(g), left // (K - j))
            chosen.append(rng.choice(g, m, replace=False))
            left -= m
        idx = np.sort(np.concatenate(chosen))
        return idx, np.ones(len(idx))
    raise ValueError(scheme)


class Standardised:
    """A model on standardised features (as winnow-train and winnow-fit
    standardise by default: mean and standard deviation of the training
    rows), and the objective it reached."""

    def __init__(self, model, mu, sd, objective):
        self.model, self.mu, self.sd, self.objective = model, mu, sd, objective

    def predict_proba(self, x):
        return self.model.predict_proba((x - self.mu) / self.sd)

    def score(self, x, y):
        return self.model.score((x - self.mu) / self.sd, y)


def train(x, y, w, lam, max_iter, n_full=0):
    """Softmax regression on standardised features, L2 penalty lam/2
    ||W||^2 on the mean loss, or with n_full > 0 on the summed loss /
    n_full (winnow-train's --lambda-per full:N).  The objective is
    winnow's, so the two solvers' optima can be compared."""
    n = n_full if n_full > 0 else len(y)
    mu = x.mean(0)
    sd = x.std(0)
    sd[sd == 0] = 1
    xs = (x - mu) / sd
    m = LogisticRegression(C=1.0 / (lam * n), max_iter=max_iter, tol=1e-6)
    m.fit(xs, y, sample_weight=w)
    p = m.predict_proba(xs)
    nll = -np.log(np.clip(p[np.arange(len(y)), np.searchsorted(m.classes_, y)], 1e-300, 1))
    sw = np.ones(len(y)) if w is None else w
    objective = (sw * nll).sum() / n + 0.5 * lam * (m.coef_.astype(np.float64) ** 2).sum()
    return Standardised(m, mu, sd, objective)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--method", default="kmeans", choices=["pixels", "random", "kmeans"])
    ap.add_argument("--dim", type=int, default=1024, help="random features")
    ap.add_argument("--centroids", type=int, default=400, help="kmeans dictionary size")
    ap.add_argument("--embed-only", action="store_true",
                    help="embed the training and test sets, print the time, stop")
    ap.add_argument("--seed-share", type=float, default=0.04)
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--score", default="margin")
    ap.add_argument("--scheme", default="biased")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--reweight", action="store_true")
    ap.add_argument("--lambda", dest="lam", type=float, default=3e-3)
    ap.add_argument("--fit-lambda", type=float, default=1e-2, help="surrogate L2")
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--lambda-per-full", type=int, default=0, metavar="N",
                    help="normalise the penalty by N (--lambda-per full:N)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1,
                    help="rounds of biased selection, surrogate refitted between")
    ap.add_argument("--no-full", action="store_true", help="skip the full-data row")
    a = ap.parse_args()

    t0 = time.perf_counter()
    xtr = load_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    ytr = load_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))
    xte = load_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))
    yte = load_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz"))
    etr, stats = embed(xtr, a.method, a.dim, a.seed, k=a.centroids)
    ete, _ = embed(xte, a.method, a.dim, a.seed, stats, k=a.centroids)
    t_embed = time.perf_counter() - t0
    if a.embed_only:
        print("embed %.2fs (%d + %d images, %d features)" % (t_embed, len(etr), len(ete),
                                                            etr.shape[1]))
        return 0

    rng = np.random.default_rng(a.seed)
    n = len(ytr)
    is_seed = rng.random(n) < a.seed_share
    t1 = time.perf_counter()
    c = time.process_time()
    sur = train(etr[is_seed], ytr[is_seed], None, a.fit_lambda, 500)
    s = scores(sur.predict_proba(etr), a.score)
    t_score = time.perf_counter() - t1
    c = charge("seed fit + score", c)

    rows = []
    if not a.no_full:
        t = time.perf_counter()
        m = train(etr, ytr, None, a.lam, a.max_iter, a.lambda_per_full)
        rows.append(("full", n, m.score(ete, yte), time.perf_counter() - t, m.objective))
        c = charge("train full", c)
    t = time.perf_counter()
    # random: the seed and random rows, as winnow-select -s random --kept
    rest = np.nonzero(~is_seed)[0]
    extra = rng.choice(rest, int(round(a.fraction * n)) - int(is_seed.sum()), replace=False)
    idx = np.sort(np.concatenate([np.nonzero(is_seed)[0], extra]))
    w = np.ones(len(idx))
    m = train(etr[idx], ytr[idx], w, a.lam, a.max_iter, a.lambda_per_full)
    rows.append(("random %g%%" % (100 * a.fraction), len(idx), m.score(ete, yte),
                 time.perf_counter() - t, m.objective))
    c = charge("train random", c)
    t = time.perf_counter()
    if a.rounds > 1:
        idx, w = select_rounds(etr, ytr, is_seed, s, a.fraction, a.rounds, a.alpha, rng,
                               a.fit_lambda, a.score)
    else:
        idx, w = select(s, a.fraction, a.scheme, a.alpha, rng, a.reweight)
    t_rounds = time.perf_counter() - t
    c = charge("selection rounds", c)
    t = time.perf_counter()
    m = train(etr[idx], ytr[idx], w, a.lam, a.max_iter, a.lambda_per_full)
    rows.append(("%s %g%%" % (a.scheme, 100 * a.fraction), len(idx), m.score(ete, yte),
                 time.perf_counter() - t, m.objective))
    charge("train selected", c)

    print("%-16s %8s %9s %8s %12s" % ("training set", "samples", "accuracy", "seconds",
                                       "objective"))
    for name, k, acc, sec, obj in rows:
        print("%-16s %8d %9.4f %8.2f %12.9f" % (name, k, acc, sec, obj))
    print("embed %.2fs, seed fit + score %.2fs, selection rounds %.2fs, total %.2fs"
          % (t_embed, t_score, t_rounds, time.perf_counter() - t0))
    print("CPU seconds: " + ", ".join("%s %.2f" % kv for kv in STAGE_CPU.items()))


if __name__ == "__main__":
    sys.exit(main())
