"""Numba kernels of the fast exact TreeSHAP (see :mod:`risklens.explain.treeshap` for the maths).

- :func:`leaf_table` -- for one leaf with ``d`` unique path features, ``T[A, k]`` = SHAP value of
  the k-th path feature when the features in bit set ``A`` agree with the path (Fast TreeSHAP
  v2's precomputation, via elementary symmetric polynomials: O(2^d d) per leaf).
- :func:`build_tables` -- leaves are grouped under 'blocks': small subtrees (at most a few split
  nodes) hanging below the upper part of each tree. A block's table is indexed by (agree pattern
  of the block root's path features, the row's decisions at the block's split nodes) and holds
  the summed values of all its leaves, so a row adds one short vector per block instead of one
  per leaf.
- :func:`shap_kernel` -- per row block and tree: one pass over the upper split nodes gives each
  block its 'disagree' bit mask, the block's own splits give its decision bits, then one lookup;
  row blocks in parallel on every core, rows of a block in SIMD lanes.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def leaf_table(d, z, v, weights):  # pragma: no cover - jitted
    """(T flat (2^d * d), expected value v * prod z) of one leaf; weights[d, s] = s!(d-1-s)!/d!."""
    nb = 1 << d
    full = nb - 1
    E = np.zeros((nb, d + 1))  # E[B, m]: m-th elementary symmetric polynomial of z over the set B
    E[0, 0] = 1.0
    size = np.zeros(nb, dtype=np.int64)
    for B in range(1, nb):
        low = B & (-B)
        k = 0
        while (1 << k) != low:
            k += 1
        prev = B ^ low
        size[B] = size[prev] + 1
        E[B, 0] = E[prev, 0]
        for m in range(1, size[B] + 1):
            E[B, m] = E[prev, m] + z[k] * E[prev, m - 1]
    G = np.zeros(nb)  # G[B] = sum_{S subset of B} w(|S|) prod_{j in B \ S} z_j, for |B| <= d - 1
    for B in range(nb):
        b = size[B]
        if b >= d:
            continue
        acc = 0.0
        for s in range(b + 1):
            acc += weights[d, s] * E[B, b - s]
        G[B] = acc
    T = np.empty(nb * d)
    for A in range(nb):
        zc = E[full ^ A, size[full ^ A]]  # product of the zero fractions of the disagreeing features
        for k in range(d):
            bit = 1 << k
            if A & bit:
                T[A * d + k] = v * (1.0 - z[k]) * zc * G[A ^ bit]
            else:
                T[A * d + k] = -v * zc * G[A]
    return T, v * E[full, d]


@njit(cache=True, parallel=True)
def build_tables(c_d, c_s, c_w, c_off, c_leaf_start, c_n_leaves, leaf_d, leaf_z, leaf_v, leaf_slot,
                 leaf_np, leaf_pj, leaf_pdir, leaf_ppos, weights, tab):  # pragma: no cover - jitted
    """Fill ``tab`` block by block; returns the expected value of every leaf term.

    Block c: d = c_d[c] path features at its root, s = c_s[c] split nodes inside, w = c_w[c]
    output slots; entry ``(agree * 2^s + dec) * w + slot`` at c_off[c]. Leaf l: its own path
    (leaf_d, leaf_z, leaf_v), leaf_slot[l, k] = output slot of its k-th path feature, and the
    leaf_np[l] block splits on its path: local index leaf_pj, direction leaf_pdir (1 = right),
    bit leaf_ppos among the leaf's path features.
    """
    n_blocks = c_d.shape[0]
    expected = np.zeros(leaf_d.shape[0])
    for c in prange(n_blocks):
        d_c = c_d[c]
        s = c_s[c]
        w = c_w[c]
        full_c = (1 << d_c) - 1
        for li in range(c_leaf_start[c], c_leaf_start[c] + c_n_leaves[c]):
            d = leaf_d[li]
            T, ev = leaf_table(d, leaf_z[li], leaf_v[li], weights)
            expected[li] = ev
            if d == 0:
                continue
            full = (1 << d) - 1
            for dec in range(1 << s):
                m_sub = 0
                for q in range(leaf_np[li]):
                    if ((dec >> leaf_pj[li, q]) & 1) != leaf_pdir[li, q]:
                        m_sub |= 1 << leaf_ppos[li, q]
                for agree in range(1 << d_c):
                    A = full & ~(((~agree) & full_c) | m_sub)
                    base = c_off[c] + (agree * (1 << s) + dec) * w
                    for k in range(d):
                        tab[base + leaf_slot[li, k]] += T[A * d + k]
    return expected


@njit(cache=True, parallel=True)
def shap_kernel(X, node_start, n_internal, c_start, n_c, feat, thr, default_left, left, right, pos,
                     c_full, c_s, c_w, c_off, c_sub_start, c_feat, sub_feat, sub_thr, sub_dleft, tab,
                     max_nodes, block, out):  # pragma: no cover - jitted
    """Add every tree's SHAP values of the rows of X (float32, NaN = missing) into ``out`` (n, f).

    Upper split nodes of a tree come first (parents before children); left/right index the tree's
    mask slots: upper nodes 0..ni-1, then its blocks ni..ni+nc-1. ``pos`` is the bit of the node's
    feature among the unique features of its root path.

    Parallel over tasks of ``block`` rows (numba prange: every core); inside a task the rows are the
    innermost loop (SIMD over rows): the task transposes its rows to feature-major order, then walks
    every tree node by node for all of them at once -- comparisons, bit masks and table indices are
    vector instructions; only the table reads are gathers. A row's values are the same table entries
    added in the same order whatever the block size or thread count: bit-for-bit deterministic.
    """
    n, f = X.shape
    n_trees = node_start.shape[0]
    n_tasks = (n + block - 1) // block
    for b in prange(n_tasks):
        r0 = b * block
        nb = min(n, r0 + block) - r0
        XT = np.empty((f, block), dtype=np.float32)
        for i in range(nb):
            for j in range(f):
                XT[j, i] = X[r0 + i, j]
        acc = np.zeros((f, block))
        mask = np.zeros((max_nodes, block), dtype=np.uint32)
        idx = np.empty(block, dtype=np.int64)
        for t in range(n_trees):
            s0 = node_start[t]
            ni = n_internal[t]
            cs = c_start[t]
            for i in range(nb):
                mask[0, i] = 0
            for p in range(ni):
                g = s0 + p
                fe = feat[g]
                th = thr[g]
                dl = default_left[g]
                bit = np.uint32(1) << np.uint32(pos[g])
                lo = left[g]
                hi = right[g]
                for i in range(nb):
                    x = XT[fe, i]
                    go_left = (x < th) or (x != x and dl)
                    m = mask[p, i]
                    mb = m | bit
                    mask[lo, i] = m if go_left else mb
                    mask[hi, i] = mb if go_left else m
            for q in range(n_c[t]):
                c = cs + q
                w = c_w[c]
                if w == 0:
                    continue
                s = c_s[c]
                j0 = c_sub_start[c]
                full = c_full[c]
                for i in range(nb):
                    idx[i] = np.int64(full & ~mask[ni + q, i]) << s
                for j in range(s):
                    fe = sub_feat[j0 + j]
                    th = sub_thr[j0 + j]
                    dl = sub_dleft[j0 + j]
                    for i in range(nb):
                        x = XT[fe, i]
                        go_left = (x < th) or (x != x and dl)
                        if not go_left:
                            idx[i] |= np.int64(1) << j
                off = c_off[c]
                for i in range(nb):
                    idx[i] = off + idx[i] * w
                for k in range(w):
                    fk = c_feat[c, k]
                    for i in range(nb):
                        acc[fk, i] += tab[idx[i] + k]
        for i in range(nb):
            for j in range(f):
                out[r0 + i, j] += acc[j, i]
