"""Trust stage: model performance and explanation quality per subgroup (fairlearn ``MetricFrame``).

Columns compared: ``sex`` and an age band (``age``: < 50, 50-64, 65-79, 80+) when the cohort has them,
plus ``settings.subgroup_columns`` (a column with more than :data:`MAX_LEVELS` values is cut into
quartiles of the held-out rows; missing values form their own group, "not recorded").

- Model (each family's run-1 model, every held-out row): AUROC, calibration gap (mean predicted risk
  minus the observed event rate) and sensitivity at the model's threshold.
- Explanation (each explainer, its analysed patients): trigger concordance (kept variant, run 1),
  faithfulness (deletion AUC to the training mean divided by the patient's risk: lower is more
  faithful) and stability (top-k feature agreement of run 1 with each other run, per patient).

Per column and metric, :class:`~risklens.study.types.SubgroupGap` names the groups with the highest and
lowest value among groups of at least :data:`MIN_GROUP` patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.metrics.concordance import trigger_concordance
from risklens.metrics.consistency import feature_agreement
from risklens.metrics.faithfulness import curve_auc, deletion_curve
from risklens.study.settings import EvaluationError
from risklens.study.types import SubgroupGap, SubgroupRecord

MAX_LEVELS = 8
MIN_GROUP = 10
AGE_BANDS = ((0, 50, "< 50"), (50, 65, "50–64"), (65, 80, "65–79"), (80, np.inf, "80+"))
MODEL_METRICS = ("AUROC", "calibration gap", "sensitivity")
EXPLANATION_METRICS = ("concordance", "faithfulness", "stability")


def subgroup_columns(cohort, chosen=()) -> list[str]:
    """sex and age when present, then the chosen columns (each must be a column of the cohort)."""
    cols = [c for c in ("sex", "age") if c in cohort.X.columns]
    for c in chosen:
        if c not in cohort.X.columns:
            raise EvaluationError(f"subgroup column {c!r} is not a column of the cohort")
        cols.append(c)
    return list(dict.fromkeys(cols))


def group_labels(values: pd.Series, column: str, dictionary) -> np.ndarray:
    """One text label per row: age bands for ``age``, quartiles for many-valued numbers, values otherwise."""
    v = pd.to_numeric(values, errors="coerce")
    out = np.full(len(v), "not recorded", dtype=object)
    ok = v.notna().to_numpy()
    if column == "age":
        for lo, hi, name in AGE_BANDS:
            out[ok & (v >= lo).to_numpy() & (v < hi).to_numpy()] = f"age {name}"
        return out
    info = dictionary.get_info(column)
    if v[ok].nunique() > MAX_LEVELS:
        q = pd.qcut(v[ok], 4, duplicates="drop")
        out[ok] = [f"{info.label} {iv.left:.4g}–{iv.right:.4g}" for iv in q]
        return out
    out[ok] = [f"{info.label}: {info.format_value(float(x))}" for x in v[ok]]
    return out


def _safe_auroc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def model_frame(y, risks: dict, thresholds: dict, groups):
    """One MetricFrame for every family: columns "family|metric" (and "n") per group of ``groups``."""
    from fairlearn.metrics import MetricFrame

    metrics = {"n": lambda yt, yp: len(yt)}
    for fam, p in risks.items():
        t = thresholds[fam]
        metrics[f"{fam}|AUROC"] = lambda yt, pos, p=p: _safe_auroc(yt, p[pos])
        metrics[f"{fam}|calibration gap"] = lambda yt, pos, p=p: float(np.mean(p[pos]) - np.mean(yt))
        metrics[f"{fam}|sensitivity"] = (lambda yt, pos, p=p, t=t: float(np.mean(p[pos][yt == 1] >= t))
                                         if (yt == 1).any() else float("nan"))
    return MetricFrame(metrics=metrics, y_true=np.asarray(y), y_pred=np.arange(len(y)),
                       sensitive_features=groups).by_group


def explanation_frame(per_key: dict, n: int, groups):
    """One MetricFrame over the union of analysed patients (positions 0..n-1): columns "key|metric" per group;
    each explainer's measure sees only the group's patients it explained."""
    from fairlearn.metrics import MetricFrame

    metrics = {}
    for key, (per, local) in per_key.items():  # local: union position -> the explainer's row (-1: not explained)
        metrics[f"{key}|n"] = lambda yt, yp, local=local: int((local[np.asarray(yt)] >= 0).sum())
        for name, fn in per.items():
            metrics[f"{key}|{name}"] = lambda yt, yp, fn=fn, local=local: fn(local[np.asarray(yt)][local[np.asarray(yt)] >= 0])
    pos = np.arange(n)
    return MetricFrame(metrics=metrics, y_true=pos, y_pred=pos, sensitive_features=groups).by_group


def _nanmean(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


def explanation_metrics(key, runs, model, cohort, rows, k: int) -> dict:
    """Per-patient measures of one explainer, each as fn(positions) -> group value."""
    e = runs[0]
    pos = cohort.X.index.get_indexer([str(i) for i in e.ids])
    out = {}
    if cohort.has_trigger:
        trig = cohort.trigger[pos]
        out["concordance"] = lambda idx: trigger_concordance(e.values[idx], e.feature_names, trig[idx],
                                                             cohort.dictionary).kept if len(idx) else float("nan")
    risk = model.predict_proba(e.data)
    faith = curve_auc(deletion_curve(model.predict_proba, e.data, e.values, rows.baseline)) / np.where(risk > 0, risk, np.nan)
    out["faithfulness"] = lambda idx: _nanmean(faith[idx])
    if len(runs) > 1:
        stab = np.mean([feature_agreement(e.values, r.rows_for_ids(e.ids).values, k) for r in runs[1:]], axis=0)
        out["stability"] = lambda idx: _nanmean(stab[idx])
    return out, pos


def _records(frame, column, scopes: dict, metrics, n_of) -> list[SubgroupRecord]:
    """Records from a "scope|metric" frame; ``scopes`` maps a scope's text to (family, explainer or None)."""
    out = []
    for group, row in frame.iterrows():
        for scope, (family, explainer) in scopes.items():
            if int(row[n_of(scope)]) == 0:  # this explainer explained nobody in the group
                continue
            for m in metrics:
                if f"{scope}|{m}" in row.index:
                    v = row[f"{scope}|{m}"]
                    out.append(SubgroupRecord(column, str(group), family, explainer, m,
                                              None if v is None or not np.isfinite(v) else float(v),
                                              int(row[n_of(scope)])))
    return out


def gaps(records: list[SubgroupRecord]) -> list[SubgroupGap]:
    """Per (column, family, explainer, metric): highest minus lowest among groups of >= MIN_GROUP."""
    out, seen = [], {}
    for r in records:
        seen.setdefault((r.column, r.family, r.explainer, r.metric), []).append(r)
    for (col, fam, key, m), rs in seen.items():
        ok = [r for r in rs if r.value is not None and r.n >= MIN_GROUP]
        if len(ok) < 2:
            continue
        hi, lo = max(ok, key=lambda r: r.value), min(ok, key=lambda r: r.value)
        out.append(SubgroupGap(col, fam, key, m, hi.value - lo.value, hi.group, hi.value, lo.group, lo.value))
    return out


def subgroup_stage(cohort, keys, trained, exp, rows, settings) -> tuple[list, list]:
    """(records, gaps) for every subgroup column."""
    cols = subgroup_columns(cohort, settings.subgroup_columns)
    X_test, y_test = cohort.X.iloc[trained.test_pos], cohort.y[trained.test_pos]
    risks = {fam: ms[0].predict_proba(X_test) for fam, ms in trained.models.items()}
    thresholds = {fam: ms[0].threshold for fam, ms in trained.models.items()}
    union = np.unique(np.concatenate([cohort.X.index.get_indexer([str(i) for i in exp.patients[k][0].ids])
                                      for k in keys])) if keys else np.array([], dtype=int)
    per_key = {}
    for key in keys:  # per-patient measures once; each column only regroups them
        per, pos = explanation_metrics(key, exp.patients[key], trained.models[key.family][0], cohort, rows, settings.k)
        local = np.full(len(union), -1)
        local[np.searchsorted(union, pos)] = np.arange(len(pos))
        per_key[str(key)] = (per, local)
    fam_scopes = {fam: (fam, None) for fam in trained.models}
    key_scopes = {str(k): (k.family, k) for k in keys}
    records = []
    for col in cols:
        frame = model_frame(y_test, risks, thresholds, group_labels(X_test[col], col, cohort.dictionary))
        records += _records(frame, col, fam_scopes, MODEL_METRICS, lambda s: "n")
        if keys:
            frame = explanation_frame(per_key, len(union), group_labels(cohort.X[col].iloc[union], col, cohort.dictionary))
            records += _records(frame, col, key_scopes, EXPLANATION_METRICS, lambda s: f"{s}|n")
    return records, gaps(records)
