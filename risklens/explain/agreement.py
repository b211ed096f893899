"""Patient-level agreement between two attribution matrices (used to check ``lime`` against ``lime-ref``).

A thin summary over the study's metrics in :mod:`risklens.metrics.consistency`; nothing is computed twice.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from risklens.metrics.consistency import feature_agreement, rank_correlation, sign_agreement_shared


def row_agreement(A: np.ndarray, B: np.ndarray, k: int = 5) -> dict[str, np.ndarray]:
    """Per row: Spearman of the weights, Spearman of |weights|, top-k overlap / k, sign agreement on the shared top-k."""
    A, B = np.atleast_2d(np.asarray(A, float)), np.atleast_2d(np.asarray(B, float))
    # Ranks are positive, so CR (Spearman of |.|) of the ranks is the Spearman of the signed weights.
    signed = rank_correlation(rankdata(A, axis=1), rankdata(B, axis=1))
    return {"spearman": signed, "spearman_abs": rank_correlation(A, B),
            f"top{k}_overlap": feature_agreement(A, B, k), "sign_agreement": sign_agreement_shared(A, B, k)}


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
