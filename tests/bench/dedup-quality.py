#!/usr/bin/python3
"""tests/bench/dedup-quality.py - near-duplicates injected into Fashion-MNIST
for tests/bench/dedup.sh.

  dedup-quality.py gen N0 M OUT    the first N0 training images, then M
      near-copies each of distinct originals by transform (copy, noise: a
      Gaussian of sigma 5/255, shift: one pixel right, jpeg: re-encoded at
      quality 75, bright: pixels x 1.25): OUT-images-idx3-ubyte,
      OUT-labels-idx1-ubyte, OUT-truth.tsv (row, orig, kind)
  dedup-quality.py eval OUT DEDUP.tsv NAME
      recall of the injected pairs per transform (the copy in its
      original's dup_group), and the share of reported pairs (two rows of
      one group) that are not near-duplicates at all: neither an injected
      pair (or two copies of one original) nor within a pixel RMSE of 0.1
      of each other (pixels in [0, 1]).
"""
import io
import struct
import sys

import numpy as np

KINDS = ["copy", "noise", "shift", "jpeg", "bright"]


def gen(n0, m, out):
    import gzip
    from PIL import Image
    src = "/usr/share/datasets/fashion-mnist/"
    X = np.frombuffer(gzip.open(src + "train-images-idx3-ubyte.gz").read(), np.uint8,
                      offset=16).reshape(-1, 28, 28)
    Y = np.frombuffer(gzip.open(src + "train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    rng = np.random.default_rng(17)
    orig, lab = X[:n0].copy(), Y[:n0].copy()
    pick = rng.permutation(n0)[:m * len(KINDS)]
    imgs, labs, truth, row = [orig], [lab], [], n0
    for t, kind in enumerate(KINDS):
        rows = pick[t * m:(t + 1) * m]
        made = []
        for r in rows:
            a = orig[r].astype(np.float64)
            if kind == "copy":
                b = a
            elif kind == "noise":
                b = a + rng.normal(0, 5, a.shape)
            elif kind == "shift":
                b = np.zeros_like(a)
                b[:, 1:] = a[:, :-1]
            elif kind == "jpeg":
                buf = io.BytesIO()
                Image.fromarray(orig[r]).save(buf, "JPEG", quality=75)
                b = np.asarray(Image.open(io.BytesIO(buf.getvalue())), np.float64)
            else:
                b = a * 1.25
            made.append(np.clip(np.rint(b), 0, 255).astype(np.uint8))
            truth.append((row, r, kind))
            row += 1
        imgs.append(np.array(made))
        labs.append(lab[rows])
    I, L = np.concatenate(imgs), np.concatenate(labs)
    with open(out + "-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(I), 28, 28))
        f.write(I.tobytes())
    with open(out + "-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x801, len(L)))
        f.write(L.tobytes())
    with open(out + "-truth.tsv", "w") as f:
        f.write("row\torig\tkind\n")
        for t in truth:
            f.write("%d\t%d\t%s\n" % t)


def evaluate(out, dedup, name):
    P = np.frombuffer(open(out + "-images-idx3-ubyte", "rb").read(), np.uint8,
                      offset=16).reshape(-1, 784).astype(np.float32) / 255
    rows = [l.rstrip("\n").split("\t") for l in open(dedup)]
    h = {k: i for i, k in enumerate(rows[0])}
    rows = rows[1:]
    # ids are PREFIX-<index> in IDX order (winnow-manifest idx)
    idx = [int(r[h["id"]].rsplit("-", 1)[1]) for r in rows]
    group = {}
    for i, r in zip(idx, rows):
        group[i] = r[h["dup_group"]]
    fam = {}        # row -> its original (originals: themselves)
    kind = {}
    for l in open(out + "-truth.tsv").read().split("\n")[1:]:
        if l:
            a, b, k = l.split("\t")
            fam[int(a)] = int(b)
            kind[int(a)] = k
    line = "%-14s" % name
    for k in KINDS:
        pairs = [(a, fam[a]) for a in fam if kind[a] == k]
        hit = sum(group[a] == group[b] for a, b in pairs)
        line += "  %s %.3f" % (k, hit / len(pairs))
    members = {}
    for i in idx:
        members.setdefault(group[i], []).append(i)
    npairs = nfalse = 0
    famv = np.arange(len(P))
    for a, b in fam.items():
        famv[a] = b
    sq = (P.astype(np.float64) ** 2).sum(1)
    for g in members.values():
        if len(g) < 2:
            continue
        g = np.array(g)
        for r0 in range(0, len(g), 1024):
            a = g[r0:r0 + 1024]
            d2 = sq[a][:, None] + sq[g][None, :] - 2 * (P[a].astype(np.float64) @ P[g].T)
            upper = np.arange(r0, r0 + len(a))[:, None] < np.arange(len(g))[None, :]
            other = famv[a][:, None] != famv[g][None, :]
            npairs += int(upper.sum())
            nfalse += int((upper & other & (d2 / 784 > 0.01)).sum())
    dropped = sum(1 for r in rows if r[h["dup_rank"]] != "0")
    line += "  | pairs %d, false %.2f%%, rows dropped %d" % (npairs, 100 * nfalse / max(npairs, 1),
                                                           dropped)
    print(line)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        evaluate(sys.argv[2], sys.argv[3], sys.argv[4])
