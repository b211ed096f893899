"""The flat forest layout of the fast TreeSHAP: every tree of a booster as arrays for the kernels.

:meth:`Forest.from_json` lays out the trees of a booster's JSON dump: per tree, its upper split
nodes in preorder, then its 'blocks' (bottom subtrees with at most ``block_splits`` splits) with
their leaves and the leaves' paths; :meth:`Forest.build_tables` fills the blocks' lookup tables
(:mod:`risklens.explain._treeshap_numba`). See :mod:`risklens.explain.treeshap` for the maths.
"""

from __future__ import annotations

import math

import numpy as np


class Forest:
    """Flat arrays of every tree, laid out for :func:`~risklens.explain._treeshap_numba.shap_kernel` (see there for the layout)."""

    @classmethod
    def from_json(cls, trees: list[dict], weights: list[float], block_splits: int, max_path_features: int,
                  max_table_bytes: int, player_of=None) -> Forest:
        """The layout of ``trees``; ``fast_ok`` says whether the tables fit the two limits.

        ``player_of`` (optional, one player index per feature) makes the players of the game groups of
        features: splits on features of one group share one bit of the agree pattern and one output slot,
        so the kernels compute exact group (concept) Shapley values under the same path-dependent value
        function (a leaf's game is a product over its path's players, whichever features they split on)."""
        self = cls()
        s_max = int(block_splits)
        self.n_trees = len(trees)
        acc = {k: [] for k in _ACC_KEYS}
        self.node_start, self.n_internal, self.c_start, self.n_c, self.root_leaf_values = [], [], [], [], []
        self.categorical = False
        for tree, weight in zip(trees, weights):
            self.node_start.append(len(acc["feat"]))
            self.c_start.append(len(acc["c_d"]))
            ni, nc, missing_value = _layout_tree(tree, float(weight), s_max, acc, player_of)
            self.n_internal.append(ni)
            self.n_c.append(nc)
            self.root_leaf_values.append(missing_value)
            if any(int(t) != 0 for t in tree.get("split_type", [])):
                self.categorical = True
        self.max_nodes = max([ni + nc for ni, nc in zip(self.n_internal, self.n_c)] or [1])
        for name in ("node_start", "n_internal", "c_start", "n_c"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        for key in ("feat", "left", "right", "pos", "sub_feat"):
            setattr(self, key, np.asarray(acc[key], dtype=np.int32))
        self.thr = np.asarray(acc["thr"], dtype=np.float32)
        self.sub_thr = np.asarray(acc["sub_thr"], dtype=np.float32)
        self.dleft = np.asarray(acc["dleft"], dtype=np.bool_)
        self.sub_dleft = np.asarray(acc["sub_dleft"], dtype=np.bool_)
        for key in ("c_d", "c_s", "c_w", "c_sub_start", "c_leaf_start", "c_n_leaves", "leaf_d", "leaf_np"):
            setattr(self, key, np.asarray(acc[key], dtype=np.int64))
        self.leaf_v = np.asarray(acc["leaf_v"], dtype=np.float64)
        self.c_full = ((np.int64(1) << self.c_d) - 1).astype(np.uint32)
        self.max_d = int(self.leaf_d.max()) if len(self.leaf_d) else 0
        self.c_feat = _pad(acc["c_feat"], np.int32)
        self.leaf_z = _pad(acc["leaf_z"], np.float64)
        self.leaf_slot = _pad(acc["leaf_slot"], np.int32)
        self.leaf_pj, self.leaf_pdir, self.leaf_ppos = (
            _pad(acc[k], np.int64) for k in ("leaf_pj", "leaf_pdir", "leaf_ppos"))
        sizes = (np.left_shift(np.int64(1), self.c_d + self.c_s) * self.c_w).astype(np.int64)
        self.c_off = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if len(sizes) else sizes
        self.table_size = int(sizes.sum())
        self.fast_ok = (
            not self.categorical and self.max_d <= max_path_features and self.table_size * 8 <= max_table_bytes
        )
        return self

    def predict_missing_row(self) -> float:
        return float(sum(self.root_leaf_values))

    def build_tables(self) -> float:
        """Fill the block tables; returns the sum over trees of the expected tree output."""
        from risklens.explain._treeshap_numba import build_tables

        D = max(self.max_d, 1)
        weights = np.zeros((D + 1, D + 1))
        for d in range(1, D + 1):
            for s in range(d):
                weights[d, s] = math.factorial(s) * math.factorial(d - 1 - s) / math.factorial(d)
        self.tab = np.zeros(self.table_size, dtype=np.float64)
        if not len(self.leaf_d):
            return 0.0
        expected = build_tables(self.c_d, self.c_s, self.c_w, self.c_off, self.c_leaf_start, self.c_n_leaves,
                                self.leaf_d, self.leaf_z, self.leaf_v, self.leaf_slot, self.leaf_np, self.leaf_pj,
                                self.leaf_pdir, self.leaf_ppos, weights, self.tab)
        return float(np.sum(expected))



_ACC_KEYS = ("feat", "thr", "dleft", "left", "right", "pos", "sub_feat", "sub_thr", "sub_dleft",
             "c_d", "c_s", "c_w", "c_sub_start", "c_feat", "c_leaf_start", "c_n_leaves",
             "leaf_d", "leaf_z", "leaf_v", "leaf_slot", "leaf_np", "leaf_pj", "leaf_pdir", "leaf_ppos")


def _pad(rows: list, dtype) -> np.ndarray:
    """Ragged rows -> zero-padded 2-D array (at least one column)."""
    width = max([len(r) for r in rows] + [1])
    out = np.zeros((len(rows), width), dtype=dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _layout_tree(tree: dict, weight: float, s_max: int, acc: dict, player_of=None) -> tuple[int, int, float]:
    """Append one tree: upper split nodes in preorder, then its blocks (subtrees with <= s_max splits).

    Returns (upper split nodes, blocks, value of the leaf an all-missing row reaches).
    """
    L, R = tree["left_children"], tree["right_children"]
    feat_of = tree["split_indices"]
    thr = np.asarray(tree["split_conditions"], dtype=np.float32)
    cover = np.asarray(tree["sum_hessian"], dtype=np.float32).astype(np.float64)
    dleft = tree["default_left"]
    # preorder walk: path features / zero fractions at each node, bit position of each split
    order, parent, path, pos = [], {0: -1}, {0: ((), ())}, {}
    stack = [0]
    while stack:
        nid = stack.pop()
        order.append(nid)
        if L[nid] == -1:
            continue
        pf, pz = path[nid]
        f = _player(int(feat_of[nid]), player_of)
        k = pf.index(f) if f in pf else len(pf)
        pos[nid] = k
        for child in (L[nid], R[nid]):
            frac = cover[child] / cover[nid] if cover[nid] > 0 else 0.0
            path[child] = (pf, pz[:k] + (pz[k] * frac,) + pz[k + 1:]) if k < len(pf) else (pf + (f,), pz + (frac,))
            parent[child] = nid
        stack.append(R[nid])
        stack.append(L[nid])
    splits = {}
    for nid in reversed(order):
        splits[nid] = 0 if L[nid] == -1 else 1 + splits[L[nid]] + splits[R[nid]]
    upper = [nid for nid in order if splits[nid] > s_max]
    blocks = [nid for nid in order if splits[nid] <= s_max and (parent[nid] == -1 or splits[parent[nid]] > s_max)]
    slot = {nid: i for i, nid in enumerate(upper + blocks)}
    for nid in upper:
        acc["feat"].append(int(feat_of[nid]))
        acc["thr"].append(thr[nid])
        acc["dleft"].append(bool(dleft[nid]))
        acc["left"].append(slot[L[nid]])
        acc["right"].append(slot[R[nid]])
        acc["pos"].append(pos[nid])
    for c in blocks:
        _layout_block(c, L, R, feat_of, thr, dleft, weight, parent, path, pos, acc, player_of)
    nid = 0
    while L[nid] != -1:
        nid = L[nid] if dleft[nid] else R[nid]
    return len(upper), len(blocks), float(thr[nid]) * weight


def _player(feature: int, player_of) -> int:
    """The player a split on ``feature`` belongs to: the feature itself, or its group's index."""
    return feature if player_of is None else int(player_of[feature])


def _layout_block(c, L, R, feat_of, thr, dleft, weight, parent, path, pos, acc, player_of=None) -> None:
    """One block: its split nodes (preorder), output features, and its leaves with their paths in it."""
    pf_c = path[c][0]
    subs, leaves, stack = [], [], [c]
    while stack:
        nid = stack.pop()
        if L[nid] == -1:
            leaves.append(nid)
        else:
            subs.append(nid)
            stack.append(R[nid])
            stack.append(L[nid])
    local = {nid: j for j, nid in enumerate(subs)}
    out_feats = list(pf_c)
    acc["c_sub_start"].append(len(acc["sub_feat"]))
    for nid in subs:
        f = int(feat_of[nid])
        acc["sub_feat"].append(f)
        acc["sub_thr"].append(thr[nid])
        acc["sub_dleft"].append(bool(dleft[nid]))
        if _player(f, player_of) not in out_feats:
            out_feats.append(_player(f, player_of))
    acc["c_d"].append(len(pf_c))
    acc["c_s"].append(len(subs))
    acc["c_w"].append(len(out_feats))
    acc["c_feat"].append(out_feats)
    acc["c_leaf_start"].append(len(acc["leaf_d"]))
    acc["c_n_leaves"].append(len(leaves))
    for leaf in leaves:
        pf, pz = path[leaf]
        acc["leaf_d"].append(len(pf))
        acc["leaf_z"].append(pz)
        acc["leaf_v"].append(float(thr[leaf]) * weight)
        acc["leaf_slot"].append([out_feats.index(f) for f in pf])
        pj, pdir, ppos = [], [], []
        nid = leaf
        while nid != c:
            up = parent[nid]
            pj.append(local[up])
            pdir.append(1 if R[up] == nid else 0)
            ppos.append(pos[up])
            nid = up
        acc["leaf_np"].append(len(pj))
        acc["leaf_pj"].append(pj)
        acc["leaf_pdir"].append(pdir)
        acc["leaf_ppos"].append(ppos)
