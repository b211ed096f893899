"""LIME stability: the same patient explained with R seeds should give the same story.

Input: ``repeats`` -- R attribution arrays ``(n, f)`` (or Explanations) of the same n patients.

Per patient:
- ``jaccard``: mean pairwise Jaccard index of the top-k sets (|A ∩ B| / |A ∪ B|).
- ``VSI`` (variables stability, in the spirit of Visani et al. 2020): mean pairwise concordance of the
  selected top-k variables, |A ∩ B| / k.
- ``CSI`` (coefficient stability, Visani et al.): share of (feature, repeat pair) whose coefficient
  intervals overlap, over the union of top-k features. Visani's intervals are the ridge fit's 95%
  confidence intervals (``coef ± 1.96 stderr``); pass ``stderr`` (R, n, f) to use them. Without it,
  each repeat's interval is ``coef ± tol/2 × (the patient's largest mean |coef|)`` -- i.e. two repeats
  agree when they differ by less than ``tol`` of the patient's leading effect (stated in the output).
- ``coef_std`` / ``coef_cv``: per-feature spread across repeats (std; std / |mean|), summarised per
  patient as the mean over the union of top-k features.
- ``sign_flip_top3``: some feature of a repeat's top 3 has the opposite sign in another repeat.
- ``unstable`` rule: top-5 Jaccard < ``jaccard_min`` (0.6) **or** a sign flip in the top 3.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from risklens.metrics.consistency import as_values, top_k

UNSTABLE_RULE = "unstable = mean pairwise top-5 Jaccard < 0.6 or a sign flip among a repeat's top-3 features"


def _stack(repeats: Sequence) -> np.ndarray:
    names = list(repeats[0].feature_names) if hasattr(repeats[0], "feature_names") else None
    R = np.stack([np.atleast_2d(as_values(r, names)) for r in repeats])
    if R.shape[0] < 2:
        raise ValueError("stability needs at least two repeats")
    return R  # (R, n, f)


def lime_stability(repeats: Sequence, k: int = 5, stderr=None, tol: float = 0.1,
                   jaccard_min: float = 0.6) -> pd.DataFrame:
    """One row per patient: jaccard, VSI, CSI, coef_std, coef_cv, sign_flip_top3, unstable."""
    V = _stack(repeats)
    R, n, f = V.shape
    k = min(int(k), f)
    tops = np.stack([top_k(V[r], k) for r in range(R)])  # (R, n, k)
    top3 = np.stack([top_k(V[r], min(3, f)) for r in range(R)])
    mean_abs_max = np.abs(V.mean(axis=0)).max(axis=1)  # (n,)
    half = (1.96 * np.asarray(stderr, dtype=np.float64) if stderr is not None
            else np.broadcast_to((tol / 2.0) * mean_abs_max[None, :, None], V.shape))
    rows = []
    for i in range(n):
        jac, vsi = [], []
        for a, b in combinations(range(R), 2):
            inter = len(np.intersect1d(tops[a, i], tops[b, i]))
            jac.append(inter / len(np.union1d(tops[a, i], tops[b, i])))
            vsi.append(inter / k)
        union = np.unique(tops[:, i].ravel())
        lo, hi = V[:, i, union] - half[:, i, union], V[:, i, union] + half[:, i, union]
        overlap = [np.mean((lo[a] <= hi[b]) & (lo[b] <= hi[a])) for a, b in combinations(range(R), 2)]
        coefs = V[:, i, union]
        std = coefs.std(axis=0, ddof=1)
        mean = np.abs(coefs.mean(axis=0))
        cv = np.where(mean > 0, std / np.where(mean > 0, mean, 1.0), np.nan)
        s3 = np.sign(V[:, i, np.unique(top3[:, i].ravel())])
        flip = bool(((s3 > 0).any(axis=0) & (s3 < 0).any(axis=0)).any())
        j = float(np.mean(jac))
        rows.append({"jaccard": j, "VSI": float(np.mean(vsi)), "CSI": float(np.mean(overlap)),
                     "coef_std": float(std.mean()), "coef_cv": float(np.nanmean(cv)) if np.isfinite(cv).any() else np.nan,
                     "sign_flip_top3": flip, "unstable": bool(j < jaccard_min or flip)})
    ids = getattr(repeats[0], "ids", None)
    return pd.DataFrame(rows, index=pd.Index(ids if ids is not None else np.arange(n), name="id"))


def stability_summary(table: pd.DataFrame, repeats: int, k: int = 5, csi_intervals: str = "tolerance") -> dict:
    """Means of :func:`lime_stability` plus the share of unstable patients and the rule used."""
    return {"jaccard": float(table["jaccard"].mean()), "VSI": float(table["VSI"].mean()),
            "CSI": float(table["CSI"].mean()), "coef_cv": float(table["coef_cv"].mean()),
            "unstable_share": float(table["unstable"].mean()), "n": int(len(table)), "repeats": int(repeats),
            "k": int(k), "rule": UNSTABLE_RULE, "csi_intervals": csi_intervals}
