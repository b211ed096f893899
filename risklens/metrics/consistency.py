"""Agreement between two attributions: pure functions on arrays (Krishna et al. 2022, the study).

Every metric takes two attribution arrays ``a`` and ``b`` over the same features, either one
vector ``(f,)`` (returns a float) or one row per patient ``(n, f)`` (returns an array ``(n,)``, a
distribution over patients). :class:`~risklens.explain.base.Explanation` objects are accepted too
(``b`` is re-ordered to ``a``'s feature names). Rankings are by |attribution|, largest first, ties
broken by feature position (as :meth:`Explanation.top_k`).

Metrics at top-k (``k`` features of largest |attribution| of each side):

- ``feature_agreement`` FA = |top_k(a) ∩ top_k(b)| / k
- ``rank_agreement`` RA = #{positions i < k with the same feature at rank i} / k
- ``sign_agreement`` SA (Krishna) = #{shared top-k features with the same sign} / k
- ``sign_agreement_shared`` (the study) = #{shared top-k features with the same sign} / #{shared};
  NaN when the top-k sets share nothing
- ``signed_rank_agreement`` SRA = #{ranks i < k with the same feature and the same sign} / k
- ``rank_correlation`` CR = Spearman correlation of |a| and |b| over *all* features (NaN if constant)
- ``pairwise_rank_agreement`` PRA = fraction of feature pairs that a and b order the same way by
  |attribution|; the pairs are taken among ``among="topk"`` the union of both top-k sets (Krishna's
  "features of interest", default) or ``among="all"`` features. Ties count as ordered alike only
  when both sides tie.

Levels: cohort level compares ``cohort_importance`` vectors (mean |attribution| over patients);
patient level compares row by row. :func:`agreement` gives every metric at once at either level.
"""

from __future__ import annotations

from itertools import combinations
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

METRICS = ("FA", "RA", "SA", "SA_shared", "SRA", "CR", "PRA")


# ---- inputs ---------------------------------------------------------------------------------
def as_values(a, names: Sequence[str] | None = None) -> np.ndarray:
    """Attribution array of an Explanation / array; re-ordered to ``names`` when given."""
    if hasattr(a, "values") and hasattr(a, "feature_names"):
        vals = np.asarray(a.values, dtype=np.float64)
        if names is not None and list(a.feature_names) != list(names):
            missing = [n for n in names if n not in a.feature_names]
            if missing:
                raise ValueError(f"the explanations do not share features: {', '.join(missing[:5])}")
            pos = [list(a.feature_names).index(n) for n in names]
            vals = vals[:, pos]
        return vals
    return np.asarray(a, dtype=np.float64)


def _pair(a, b) -> tuple[np.ndarray, np.ndarray, bool]:
    names = list(a.feature_names) if hasattr(a, "feature_names") else None
    A, B = as_values(a), as_values(b, names)
    single = A.ndim == 1 and B.ndim == 1
    A, B = np.atleast_2d(A), np.atleast_2d(B)
    if A.shape != B.shape:
        raise ValueError(f"attribution shapes differ: {A.shape} vs {B.shape}")
    return A, B, single


def _out(x: np.ndarray, single: bool):
    return float(x[0]) if single else x


def top_k(a, k: int) -> np.ndarray:
    """Indices of the k largest |attribution| per row (ties by position); 1-D in -> 1-D out."""
    A = as_values(a)
    idx = np.argsort(-np.abs(np.atleast_2d(A)), axis=1, kind="stable")[:, : min(int(k), A.shape[-1])]
    return idx[0] if A.ndim == 1 else idx


def cohort_importance(a) -> np.ndarray:
    """Mean |attribution| per feature over patients (the study's cohort level)."""
    A = np.atleast_2d(as_values(a))
    return np.abs(A).mean(axis=0)


def top_k_mask(A: np.ndarray, k: int) -> np.ndarray:
    """(n, f) bool: True at each row's :func:`top_k` features."""
    idx = top_k(A, k)
    mask = np.zeros(A.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


def _check_k(k: int, f: int) -> int:
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return min(k, f)


# ---- top-k metrics --------------------------------------------------------------------------
def feature_agreement(a, b, k: int = 5):
    """FA = |top_k(a) ∩ top_k(b)| / k."""
    A, B, single = _pair(a, b)
    k = _check_k(k, A.shape[1])
    out = (top_k_mask(A, k) & top_k_mask(B, k)).sum(axis=1) / k
    return _out(out, single)


def rank_agreement(a, b, k: int = 5):
    """RA = #{ranks i < k holding the same feature} / k."""
    A, B, single = _pair(a, b)
    k = _check_k(k, A.shape[1])
    return _out((top_k(A, k) == top_k(B, k)).mean(axis=1), single)


def _shared_same_sign(A, B, k):
    """(features in both top-k sets with the same sign, features in both top-k sets) per row."""
    both = top_k_mask(A, k) & top_k_mask(B, k)
    same = (both & (np.sign(A) == np.sign(B))).sum(axis=1).astype(np.float64)
    return same, both.sum(axis=1).astype(np.float64)


def sign_agreement(a, b, k: int = 5):
    """SA (Krishna) = #{shared top-k features with the same sign} / k."""
    A, B, single = _pair(a, b)
    k = _check_k(k, A.shape[1])
    same, _ = _shared_same_sign(A, B, k)
    return _out(same / k, single)


def sign_agreement_shared(a, b, k: int = 5):
    """The study's sign agreement: same-sign share *of the shared* top-k features (NaN if none shared)."""
    A, B, single = _pair(a, b)
    k = _check_k(k, A.shape[1])
    same, shared = _shared_same_sign(A, B, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(shared > 0, same / np.maximum(shared, 1), np.nan)
    return _out(out, single)


def signed_rank_agreement(a, b, k: int = 5):
    """SRA = #{ranks i < k with the same feature and the same sign} / k."""
    A, B, single = _pair(a, b)
    k = _check_k(k, A.shape[1])
    ta, tb = top_k(A, k), top_k(B, k)
    rows = np.arange(len(A))[:, None]
    ok = (ta == tb) & (np.sign(A[rows, ta]) == np.sign(B[rows, tb]))
    return _out(ok.mean(axis=1), single)


def rank_correlation(a, b):
    """CR = Spearman correlation of |a| and |b| over all features (NaN when one side is constant)."""
    A, B, single = _pair(a, b)
    ra, rb = rankdata(np.abs(A), axis=1), rankdata(np.abs(B), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    out = np.where(den > 0, (ra * rb).sum(1) / np.where(den > 0, den, 1.0), np.nan)
    return _out(out, single)


def pairwise_rank_agreement(a, b, k: int = 5, among: str = "topk"):
    """PRA = share of feature pairs ordered alike by |a| and |b| (pairs among the top-k union or all)."""
    if among not in ("topk", "all"):
        raise ValueError(f"among must be 'topk' or 'all', not {among!r}")
    A, B, single = _pair(a, b)
    k = _check_k(k, A.shape[1])
    f = A.shape[1]
    feats = top_k_mask(A, k) | top_k_mask(B, k) if among == "topk" else np.ones(A.shape, dtype=bool)
    x, y = np.abs(A), np.abs(B)
    alike = np.sign(x[:, :, None] - x[:, None, :]) == np.sign(y[:, :, None] - y[:, None, :])  # (n, f, f)
    pairs = feats[:, :, None] & feats[:, None, :] & np.triu(np.ones((f, f), dtype=bool), 1)
    n_pairs = pairs.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n_pairs > 0, (alike & pairs).sum(axis=(1, 2)) / np.maximum(n_pairs, 1), np.nan)
    return _out(out, single)


def agreement(a, b, k: int = 5, level: str = "patient", pra_among: str = "topk") -> dict[str, float]:
    """Every metric of :data:`METRICS` at top-k; ``level="cohort"`` compares mean |attribution| vectors,
    ``"patient"`` averages the per-patient values (NaNs ignored)."""
    if level == "cohort":
        names = list(a.feature_names) if hasattr(a, "feature_names") else None
        a, b = cohort_importance(a), cohort_importance(as_values(b, names))
    elif level != "patient":
        raise ValueError(f"level must be 'cohort' or 'patient', not {level!r}")
    dist = agreement_distribution(a, b, k, pra_among)
    return {m: float(np.nanmean(dist[m])) if np.isfinite(dist[m]).any() else float("nan") for m in METRICS}


def agreement_distribution(a, b, k: int = 5, pra_among: str = "topk") -> pd.DataFrame:
    """One row per patient, one column per metric of :data:`METRICS`."""
    A, B, _ = _pair(a, b)
    return pd.DataFrame({
        "FA": feature_agreement(A, B, k), "RA": rank_agreement(A, B, k), "SA": sign_agreement(A, B, k),
        "SA_shared": sign_agreement_shared(A, B, k), "SRA": signed_rank_agreement(A, B, k),
        "CR": rank_correlation(A, B), "PRA": pairwise_rank_agreement(A, B, k, pra_among),
    })


# ---- several runs / models ------------------------------------------------------------------
def mean_over_pairs(items: Sequence, fn: Callable[[object, object], float]) -> float:
    """Mean of ``fn(items[i], items[j])`` over all pairs i < j (NaN for fewer than two items)."""
    vals = [fn(x, y) for x, y in combinations(items, 2)]
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def mean_over_cross(items_a: Sequence, items_b: Sequence, fn: Callable[[object, object], float]) -> float:
    """Mean of ``fn(a, b)`` over every a in items_a and b in items_b."""
    vals = [fn(x, y) for x in items_a for y in items_b]
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def run_consistency(runs: Sequence, k: int = 5) -> dict[str, float]:
    """The study's run-to-run consistency: cohort-level FA (top k) and CR (all features), mean over run pairs."""
    imps = [cohort_importance(r) for r in runs]
    return {"FA": mean_over_pairs(imps, lambda x, y: feature_agreement(x, y, k)),
            "CR": mean_over_pairs(imps, rank_correlation), "pairs": len(imps) * (len(imps) - 1) // 2}


def sign_agreement_runs(runs: Sequence, ks: Sequence = (1, 5, None)) -> dict[str, float]:
    """Patient-level sign agreement across runs (study's shared-feature form), mean over run pairs and
    patients, for the leading feature (k=1), the top 5 and all features (``None``)."""
    out = {}
    for k in ks:
        name = "all" if k is None else ("leading" if k == 1 else f"top{k}")

        def fn(x, y, k=k):
            v = sign_agreement_shared(x, y, as_values(x).shape[-1] if k is None else k)
            return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
        out[name] = mean_over_pairs(list(runs), fn)
    return out


def top_contributor_agreement(a, b, groups: Sequence[str] | None = None) -> dict[str, float]:
    """Patient-level agreement of the top contributors of two methods, as shares of patients.

    ``exact``: same top-1 feature; ``group``: top-1 features in the same dictionary group (needs
    ``groups``, one per feature); ``top2_set`` / ``top3_set``: the same *unordered* top-2 / top-3 sets.
    """
    A, B, _ = _pair(a, b)
    ta, tb = top_k(A, 3), top_k(B, 3)
    out = {"exact": float(np.mean(ta[:, 0] == tb[:, 0]))}
    if groups is not None:
        g = np.asarray(groups, dtype=object)
        out["group"] = float(np.mean(g[ta[:, 0]] == g[tb[:, 0]]))
    for m in (2, 3):
        if A.shape[1] >= m:
            out[f"top{m}_set"] = float(np.mean(np.all(np.sort(ta[:, :m], 1) == np.sort(tb[:, :m], 1), axis=1)))
    out["n"] = int(len(A))
    return out
