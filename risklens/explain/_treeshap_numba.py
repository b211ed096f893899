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
  block its 'disagree' bit mask, the block's own splits give its decision bits, then one lookup.
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
    """
    n = X.shape[0]
    n_trees = node_start.shape[0]
    n_tasks = (n + block - 1) // block
    for b in prange(n_tasks):
        r0 = b * block
        r1 = min(n, r0 + block)
        mask = np.zeros(max_nodes, dtype=np.uint32)
        for t in range(n_trees):
            s0 = node_start[t]
            ni = n_internal[t]
            cs = c_start[t]
            nc = n_c[t]
            for r in range(r0, r1):
                mask[0] = 0
                for p in range(ni):
                    g = s0 + p
                    x = X[r, feat[g]]
                    if np.isnan(x):
                        go_left = default_left[g]
                    else:
                        go_left = x < thr[g]
                    m = mask[p]
                    bit = np.uint32(1) << np.uint32(pos[g])
                    if go_left:
                        mask[left[g]] = m
                        mask[right[g]] = m | bit
                    else:
                        mask[left[g]] = m | bit
                        mask[right[g]] = m
                for q in range(nc):
                    c = cs + q
                    w = c_w[c]
                    if w == 0:
                        continue
                    s = c_s[c]
                    dec = 0
                    j0 = c_sub_start[c]
                    for j in range(s):
                        x = X[r, sub_feat[j0 + j]]
                        if np.isnan(x):
                            right_ = not sub_dleft[j0 + j]
                        else:
                            right_ = not (x < sub_thr[j0 + j])
                        if right_:
                            dec |= 1 << j
                    agree = np.int64(c_full[c] & ~mask[ni + q])
                    base = c_off[c] + ((agree << s) + dec) * w
                    for k in range(w):
                        out[r, c_feat[c, k]] += tab[base + k]
