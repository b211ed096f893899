"""Per-patient agreement between two attribution vectors (pure numpy; no streamlit).

Small local versions of the study's metrics for one patient, so the Patients page can show a badge
without running the cohort evaluation: top-1 match, top-k overlap (FA), sign agreement on the
shared top-k, Spearman rank correlation, and LIME stability across seeds (mean pairwise FA).
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np

__all__ = ["ranks", "top_k", "patient_agreement", "seed_stability", "badge"]


def top_k(a, k: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return np.argsort(-np.abs(a), kind="stable")[: min(k, len(a))]


def ranks(a) -> np.ndarray:
    """1 = largest |a| (ties broken by position)."""
    a = np.asarray(a, dtype=np.float64)
    r = np.empty(len(a), dtype=np.int64)
    r[np.argsort(-np.abs(a), kind="stable")] = np.arange(1, len(a) + 1)
    return r


def _spearman(ra: np.ndarray, rb: np.ndarray) -> float:
    ra = ra.astype(np.float64) - ra.mean()
    rb = rb.astype(np.float64) - rb.mean()
    den = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / den) if den > 0 else float("nan")


def patient_agreement(a, b, k: int = 5) -> dict:
    """Agreement of two attribution vectors of one patient (same features, any output spaces)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("the two attribution vectors must have the same length")
    k = min(int(k), len(a))
    ta, tb = top_k(a, k), top_k(b, k)
    shared = np.intersect1d(ta, tb)
    sign = float(np.mean(np.sign(a[shared]) == np.sign(b[shared]))) if len(shared) else float("nan")
    return {
        "k": k,
        "top1_same": bool(ta[0] == tb[0]) if k else False,
        "topk_overlap": len(shared) / k if k else float("nan"),
        "sign_agreement": sign,
        "rank_correlation": _spearman(ranks(a), ranks(b)),
        "top1_a": int(ta[0]) if k else -1,
        "top1_b": int(tb[0]) if k else -1,
    }


def seed_stability(rows: Sequence[np.ndarray], k: int = 5) -> float:
    """Mean pairwise top-k overlap of the same patient's attributions under different seeds (1 = stable)."""
    rows = [np.asarray(r, dtype=np.float64) for r in rows]
    if len(rows) < 2:
        return float("nan")
    k = min(k, len(rows[0]))
    sets = [set(top_k(r, k).tolist()) for r in rows]
    return float(np.mean([len(s & t) / k for s, t in combinations(sets, 2)]))


def badge(agreement: dict, stability: float | None = None) -> tuple[str, str]:
    """('green'|'orange'|'red', one-line text) for the patient page.

    green: same top feature, top-k overlap >= 60% and (if measured) LIME stability >= 60%;
    red: top-k overlap < 40% or stability < 40%; orange otherwise."""
    parts = [
        "same top feature" if agreement["top1_same"] else "different top feature",
        f"top-{agreement['k']} overlap {agreement['topk_overlap']:.0%}",
    ]
    if not np.isnan(agreement["sign_agreement"]):
        parts.append(f"signs agree on {agreement['sign_agreement']:.0%} of shared features")
    if stability is not None and not np.isnan(stability):
        parts.append(f"LIME top-{agreement['k']} stability across seeds {stability:.0%}")
    stable = stability is None or np.isnan(stability) or stability >= 0.6
    overlap = agreement["topk_overlap"]
    if agreement["top1_same"] and overlap >= 0.6 and stable:
        colour = "green"
    elif overlap < 0.4 or (stability is not None and not np.isnan(stability) and stability < 0.4):
        colour = "red"
    else:
        colour = "orange"
    return colour, "; ".join(parts)
