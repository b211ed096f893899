"""Backgrounds for model-agnostic SHAP: k-means strata (deterministic, seeded) and weighted summaries.

A background of ``N`` rows defines the SHAP values to estimate (the mean over its rows of each
row's baseline game). When it is larger than an explainer can afford per patient, two ways out:

- :func:`strata` groups the rows into ``k`` k-means clusters (on standardised inputs). Drawing one
  member per cluster, weighted by cluster size, is an *unbiased* sample of the whole background
  with less spread than a plain random sample (stratification); successive draws go through a
  cluster's members without replacement.
- :func:`summarise` replaces each cluster by its weighted centroid, like ``shap.kmeans``:
  deterministic, but biased for a non-linear model (a network's mean output is not its output at
  the mean); the bias is measured in ``bench/bench_mlp_shap.py``.

Results are cached per (background bytes, k, seed): the protocol and the dashboard reuse a
background across many calls.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

_CACHE: OrderedDict[str, "Strata"] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Strata:
    """``labels`` (N,) cluster of each background row, ``members`` rows grouped by cluster
    (``members[start[c]:start[c + 1]]``), ``weights`` (k,) cluster share of the rows, ``centers``
    (k, f) the clusters' means in the original units (NaN-free: computed on imputed rows)."""

    labels: np.ndarray
    members: np.ndarray
    start: np.ndarray
    weights: np.ndarray
    centers: np.ndarray

    @property
    def k(self) -> int:
        return len(self.weights)

    def shuffled(self, rng: np.random.Generator) -> np.ndarray:
        """The members, in a random order within each stratum (strata stay where they are)."""
        order = np.lexsort((rng.random(len(self.members)), self.labels[self.members]))
        return self.members[order]

    def draw(self, shuffled: np.ndarray, r: int) -> np.ndarray:
        """Round r's background row of each stratum: its (r mod size)-th member in ``shuffled`` order, so
        that the rounds go through every member once before any is drawn again (sampling without
        replacement: less spread than independent draws, and exact once every member has had a turn)."""
        sizes = np.diff(self.start)
        return shuffled[self.start[:-1] + r % sizes]


def strata(Z: np.ndarray, k: int, seed: int = 0, scale: np.ndarray | None = None) -> Strata:
    """k-means strata of the imputed background ``Z`` (N, f); distances on ``Z / scale``.

    Deterministic for a given seed (one k-means++ start, at most 50 Lloyd steps). ``k >= N`` gives
    one stratum per row.
    """
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    n = len(Z)
    k = int(max(1, min(k, n)))
    scale = np.ones(Z.shape[1]) if scale is None else np.where(np.asarray(scale) > 0, scale, 1.0)
    h = hashlib.sha256(Z.tobytes())
    h.update(np.asarray(scale, dtype=np.float64).tobytes())
    key = f"{h.hexdigest()}:{k}:{int(seed)}"
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    labels = np.arange(n) if k == n else _kmeans_labels(Z / scale, k, seed)
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=k)
    keep = counts > 0  # k-means may leave a cluster empty: drop it
    remap = np.cumsum(keep) - 1
    labels = remap[labels]
    counts = counts[keep]
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    centers = np.zeros((len(counts), Z.shape[1]))
    np.add.at(centers, labels, Z)
    result = Strata(labels=labels, members=order.astype(np.int64), start=start, weights=counts / n,
                    centers=centers / counts[:, None])
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def summarise(Z: np.ndarray, k: int, seed: int = 0, scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means summary of the imputed background: (centers (k, f), weights (k,) summing to 1)."""
    s = strata(Z, k, seed, scale)
    return s.centers, s.weights


def _kmeans_labels(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):  # identical labels whatever the machine's core count
        km = KMeans(n_clusters=k, n_init=1, max_iter=50, random_state=int(seed)).fit(X)
    return np.asarray(km.labels_, dtype=np.int64)
