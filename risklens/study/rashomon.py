"""Rashomon spread: how much do feature importances move across equally accurate models?

:func:`rashomon_set` trains candidate models (seeds x hyper-parameter settings x families) on one
fixed patient-level split and keeps those whose held-out AUROC is within ``margin`` (default 0.01)
of the best. :func:`importance_spread` measures each feature's importance in every kept model as
mean |SHAP| (log-odds) over held-out rows, normalised to sum to 1 per model, and reports its spread:
min / median / max share and the range of its rank (1 = most important).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

#: Hyper-parameter settings tried per family (besides the defaults) in the Rashomon search.
DEFAULT_GRID: dict[str, list[dict]] = {
    "xgboost": [{}, {"max_depth": 3, "n_estimators": 200}, {"max_depth": 6, "learning_rate": 0.1}],
    "l1-logistic": [{}, {"C": 0.03}, {"C": 1.0}],
    "mlp": [{}, {"hidden_layer_sizes": (32,)}],
}


def rashomon_set(cohort, families: Sequence[str] = ("xgboost", "l1-logistic"), seeds: Sequence[int] = (0, 1),
                 grid: dict[str, list[dict]] | None = None, margin: float = 0.01, split_seed: int = 0,
                 progress=None) -> tuple[list, list[dict]]:
    """(kept models, one record per candidate: family, seed, params, auroc, kept)."""
    from risklens.modeling import split_cohort, train_model

    grid = grid or DEFAULT_GRID
    split = split_cohort(cohort, 0.3, split_seed)
    plan = [(fam, s, p) for fam in families for p in grid.get(fam, [{}]) for s in seeds]
    models, records = [], []
    for i, (fam, s, p) in enumerate(plan):
        if progress is not None:
            progress(i / max(len(plan), 1), f"Rashomon: training {fam} seed {s} {p or 'defaults'}")
        m = train_model(cohort, fam, seed=s, params=p, split_seed=split_seed, split=split)
        models.append(m)
        records.append({"family": fam, "seed": int(s), "params": {k: _plain(v) for k, v in p.items()},
                        "auroc": float(m.metrics["auroc"]), "model_id": m.model_id})
    best = max(r["auroc"] for r in records)
    kept = []
    for m, r in zip(models, records):
        r["kept"] = bool(r["auroc"] >= best - margin)
        if r["kept"]:
            kept.append(m)
    return kept, records


def _plain(v):
    return list(v) if isinstance(v, tuple) else v


def normalised_importance(values) -> np.ndarray:
    """Mean |attribution| per feature, divided by its sum (all zeros stay zeros)."""
    imp = np.abs(np.atleast_2d(np.asarray(values, dtype=np.float64))).mean(axis=0)
    s = imp.sum()
    return imp / s if s > 0 else imp


def spread_table(importances: np.ndarray, feature_names: Sequence[str]) -> pd.DataFrame:
    """Per feature (rows sorted by median share): min, median, max share and min/max rank over models."""
    I = np.atleast_2d(np.asarray(importances, dtype=np.float64))  # (models, f)
    ranks = (-I).argsort(axis=1, kind="stable").argsort(axis=1, kind="stable") + 1
    df = pd.DataFrame({"feature": list(feature_names), "min": I.min(0), "median": np.median(I, 0), "max": I.max(0),
                       "rank_min": ranks.min(0), "rank_max": ranks.max(0)})
    df["rank_range"] = df["rank_max"] - df["rank_min"]
    return df.sort_values("median", ascending=False, kind="stable").reset_index(drop=True)


def importance_spread(models: Sequence, X: pd.DataFrame, *, seed: int = 0, store=None, background=None) -> pd.DataFrame:
    """:func:`spread_table` of SHAP importances of ``models`` on rows ``X`` (explanations cached)."""
    from risklens.explain import cached_explain
    from risklens.study.settings import STUDY_IMPORTANCE

    if not models:
        raise ValueError("the Rashomon set is empty")
    imps = []
    for m in models:
        e = cached_explain(m, X, STUDY_IMPORTANCE, seed=seed, store=store, background=background)
        imps.append(normalised_importance(e.values))
    return spread_table(np.stack(imps), list(X.columns))


def rashomon_stage(cohort, families, test_pos, settings, plan, store=None, progress=None):
    """The protocol's Rashomon stage: the set over ``families`` (the MLP only when it is the sole family),
    seeds ``rashomon + i``, the protocol's split, importances on 500 seeded held-out rows."""
    from risklens.study.rows import sample_ids
    from risklens.study.types import RashomonResult

    fams = [f for f in families if f != "mlp"] or list(families)
    seeds = tuple(plan.rashomon + i for i in range(settings.rashomon_seeds))
    kept, records = rashomon_set(cohort, fams, seeds=seeds, margin=settings.rashomon_margin, split_seed=plan.split,
                                 progress=progress)
    ids = sample_ids(cohort.X.index.to_numpy(dtype=object)[test_pos], 500, plan.cohort_rows)
    spread = importance_spread(kept, cohort.X.loc[ids], seed=plan.explainer(1), store=store)
    return RashomonResult(float(settings.rashomon_margin), records, spread.to_dict("records"))
