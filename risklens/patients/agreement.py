"""Per-patient agreement between two attribution vectors (pure numpy; no streamlit).

Thin wrappers over the study's metrics in :mod:`risklens.metrics.consistency` and :mod:`risklens.metrics.stability`,
so the Patients page can show a badge without running the cohort evaluation: top-1 match, top-k
overlap (FA), sign agreement on the shared top-k, Spearman rank correlation (CR, ties get average
ranks), and LIME stability across seeds (mean pairwise top-k overlap, the VSI of ``lime_stability``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from risklens.metrics.consistency import (feature_agreement, rank_correlation, sign_agreement_shared, top_k,
                                  top_contributor_agreement)
from risklens.metrics.stability import lime_stability

__all__ = ["ranks", "top_k", "patient_agreement", "seed_stability", "badge"]


def ranks(a) -> np.ndarray:
    """1 = largest |a| (ties broken by position)."""
    a = np.asarray(a, dtype=np.float64)
    r = np.empty(len(a), dtype=np.int64)
    r[top_k(a, len(a))] = np.arange(1, len(a) + 1)
    return r


def patient_agreement(a, b, k: int = 5) -> dict:
    """Agreement of two attribution vectors of one patient (same features, any output spaces)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("the two attribution vectors must have the same length")
    k = min(int(k), len(a))
    if k < 1:  # nothing to compare (k = 0 or no features)
        return {"k": k, "top1_same": False, "topk_overlap": float("nan"), "sign_agreement": float("nan"),
                "rank_correlation": rank_correlation(a, b) if len(a) else float("nan"),
                "top1_a": -1, "top1_b": -1}
    return {
        "k": k,
        "top1_same": top_contributor_agreement(a, b)["exact"] == 1.0,
        "topk_overlap": feature_agreement(a, b, k),
        "sign_agreement": sign_agreement_shared(a, b, k),
        "rank_correlation": rank_correlation(a, b),
        "top1_a": int(top_k(a, 1)[0]),
        "top1_b": int(top_k(b, 1)[0]),
    }


def seed_stability(rows: Sequence[np.ndarray], k: int = 5) -> float:
    """Mean pairwise top-k overlap of the same patient's attributions under different seeds (1 = stable)."""
    rows = [np.asarray(r, dtype=np.float64) for r in rows]
    if len(rows) < 2:
        return float("nan")
    table = lime_stability([r[None, :] for r in rows], k=k)  # one patient, R repeats
    return float(table["VSI"].iloc[0])


def badge(agreement: dict, stability: float | None = None) -> tuple[str, str]:
    """('green'|'orange'|'red', one-line text) for the patient page.

    green: same top feature, top-k overlap >= 60% and (if measured) LIME stability >= 60%;
    red: top-k overlap < 40% or stability < 40%; orange otherwise."""
    k = agreement["k"]
    shared = int(round(agreement["topk_overlap"] * k)) if not np.isnan(agreement["topk_overlap"]) else 0
    parts = [
        "the same most important feature" if agreement["top1_same"] else "different most important features",
        f"{shared} of the top {k} features in common",
    ]
    if not np.isnan(agreement["sign_agreement"]):
        parts.append(f"same direction (raising or lowering) for {agreement['sign_agreement']:.0%} of those")
    if stability is not None and not np.isnan(stability):
        parts.append(f"LIME's own top {k} repeats {stability:.0%} between runs with different random seeds")
    stable = stability is None or np.isnan(stability) or stability >= 0.6
    overlap = agreement["topk_overlap"]
    if agreement["top1_same"] and overlap >= 0.6 and stable:
        colour = "green"
    elif overlap < 0.4 or (stability is not None and not np.isnan(stability) and stability < 0.4):
        colour = "red"
    else:
        colour = "orange"
    return colour, "; ".join(parts)
