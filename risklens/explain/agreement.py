"""Patient-level agreement between two attribution matrices (used to check ``lime`` against ``lime-ref``).

Pure numpy; the study's metrics proper live in :mod:`risklens.consistency`.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _spearman_rows(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    ra, rb = rankdata(A, axis=1), rankdata(B, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    return np.where(den > 0, (ra * rb).sum(1) / np.where(den > 0, den, 1.0), np.nan)


def top_k_sets(A: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-np.abs(A), axis=1, kind="stable")[:, :k]


def row_agreement(A: np.ndarray, B: np.ndarray, k: int = 5) -> dict[str, np.ndarray]:
    """Per row: Spearman of the weights, Spearman of |weights|, top-k overlap / k, sign agreement on the shared top-k."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    ta, tb = top_k_sets(A, k), top_k_sets(B, k)
    overlap, signs = np.empty(len(A)), np.empty(len(A))
    for i in range(len(A)):
        shared = np.intersect1d(ta[i], tb[i])
        overlap[i] = len(shared) / k
        signs[i] = np.mean(np.sign(A[i, shared]) == np.sign(B[i, shared])) if len(shared) else np.nan
    return {"spearman": _spearman_rows(A, B), "spearman_abs": _spearman_rows(np.abs(A), np.abs(B)),
            f"top{k}_overlap": overlap, "sign_agreement": signs}


def mean_agreement(A: np.ndarray, B: np.ndarray, k: int = 5) -> dict[str, float]:
    return {name: float(np.nanmean(v)) for name, v in row_agreement(A, B, k).items()}


def pairwise_agreement(runs_a: list[np.ndarray], runs_b: list[np.ndarray] | None = None, k: int = 5) -> dict[str, float]:
    """Mean agreement over pairs of runs: a[i] vs b[j] for all i, j (or a[i] vs a[j], i < j, when b is None)."""
    if runs_b is None:
        pairs = [(runs_a[i], runs_a[j]) for i in range(len(runs_a)) for j in range(i + 1, len(runs_a))]
    else:
        pairs = [(a, b) for a in runs_a for b in runs_b]
    stats = [mean_agreement(a, b, k) for a, b in pairs]
    return {key: float(np.mean([s[key] for s in stats])) for key in stats[0]}
