"""Numba kernels of the fast exact TreeSHAP (see :mod:`risklens.explain.treeshap` for the maths).

Two kernels:

- :func:`build_tables` -- per leaf ``l`` with ``d`` unique path features, the table
  ``tab[A, k]`` = SHAP value of the k-th path feature when the features in bit set ``A`` agree with
  the path (Fast TreeSHAP v2's precomputation, done with elementary symmetric polynomials so a
  leaf costs O(2^d d) instead of O(4^d d)).
- :func:`shap_kernel` -- per row block and tree: one pass over the internal nodes gives every leaf
  its 'disagree' bit mask; each leaf then adds ``d`` table entries. Parallel over row blocks.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def build_tables(leaf_d, leaf_z, leaf_v, leaf_off, weights, tab):  # pragma: no cover - jitted
    """Fill ``tab`` (flat float64) for every leaf; returns the expected value of each leaf term.

    leaf_d (L,) unique path features, leaf_z (L, D) zero fraction of each (product of
    cover(child)/cover(node) over its nodes on the path), leaf_v (L,) leaf values, leaf_off (L,)
    offsets into ``tab`` (2^d * d entries per leaf), weights (D+1, D+1) with
    weights[d, s] = s! (d-1-s)! / d!.
    """
    n_leaves = leaf_d.shape[0]
    expected = np.zeros(n_leaves)
    for li in prange(n_leaves):
        d = leaf_d[li]
        v = leaf_v[li]
        nb = 1 << d
        full = nb - 1
        # E[B, m]: m-th elementary symmetric polynomial of the zero fractions of the set B
        E = np.zeros((nb, d + 1))
        E[0, 0] = 1.0
        size = np.zeros(nb, dtype=np.int64)
        for B in range(1, nb):
            low = B & (-B)
            k = 0
            while (1 << k) != low:
                k += 1
            prev = B ^ low
            size[B] = size[prev] + 1
            z = leaf_z[li, k]
            E[B, 0] = E[prev, 0]
            for m in range(1, size[B] + 1):
                E[B, m] = E[prev, m] + z * E[prev, m - 1]
        # G[B] = sum_{S subset of B} w(|S|, d) * prod_{j in B \ S} z_j   (needed for |B| <= d - 1)
        G = np.zeros(nb)
        for B in range(nb):
            b = size[B]
            if b >= d:
                continue
            acc = 0.0
            for s in range(b + 1):
                acc += weights[d, s] * E[B, b - s]
            G[B] = acc
        expected[li] = v * E[full, d]  # product of all zero fractions = cover(leaf) / cover(root)
        off = leaf_off[li]
        for A in range(nb):
            zc = E[full ^ A, size[full ^ A]]  # prod of zero fractions of the disagreeing features
            for k in range(d):
                bit = 1 << k
                if A & bit:
                    val = v * (1.0 - leaf_z[li, k]) * zc * G[A ^ bit]
                else:
                    val = -v * zc * G[A]
                tab[off + A * d + k] = val
    return expected


@njit(cache=True, parallel=True)
def shap_kernel(X, node_start, n_internal, n_nodes, leaf_start, feat, thr, default_left, left, right, pos,
                leaf_d, leaf_off, leaf_feat, tab, max_nodes, block, out):  # pragma: no cover - jitted
    """Add every tree's SHAP values of the rows of X (float32, NaN = missing) into ``out`` (n, f).

    Nodes of a tree are stored internal nodes first (parents before children), then leaves;
    left/right are tree-local indices. ``pos`` is the bit of the node's feature among the unique
    features of its root path.
    """
    n = X.shape[0]
    n_trees = node_start.shape[0]
    n_blocks = (n + block - 1) // block
    for b in prange(n_blocks):
        r0 = b * block
        r1 = min(n, r0 + block)
        mask = np.zeros(max_nodes, dtype=np.uint32)
        for t in range(n_trees):
            s = node_start[t]
            ni = n_internal[t]
            nl = n_nodes[t] - ni
            ls = leaf_start[t]
            for r in range(r0, r1):
                mask[0] = 0
                for p in range(ni):
                    g = s + p
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
                for q in range(nl):
                    li = ls + q
                    d = leaf_d[li]
                    if d == 0:
                        continue
                    full = np.uint32((1 << d) - 1)
                    agree = full & ~mask[ni + q]
                    base = leaf_off[li] + np.int64(agree) * d
                    for k in range(d):
                        out[r, leaf_feat[li, k]] += tab[base + k]
