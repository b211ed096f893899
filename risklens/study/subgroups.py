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


def model_frame(y, p, threshold: float, groups):
    from fairlearn.metrics import MetricFrame

    metrics = {"AUROC": _safe_auroc, "calibration gap": lambda yt, yp: float(np.mean(yp) - np.mean(yt)),
               "sensitivity": lambda yt, yp: float(np.mean(yp[yt == 1] >= threshold)) if (yt == 1).any() else float("nan"),
               "n": lambda yt, yp: len(yt)}
    return MetricFrame(metrics=metrics, y_true=np.asarray(y), y_pred=np.asarray(p), sensitive_features=groups).by_group


def explanation_frame(per_patient: dict, groups):
    """MetricFrame over patient positions: each metric a function of the group's positions."""
    from fairlearn.metrics import MetricFrame

    pos = np.arange(len(groups))
    metrics = {name: (lambda yt, yp, fn=fn: fn(np.asarray(yt))) for name, fn in per_patient.items()}
    metrics["n"] = lambda yt, yp: len(yt)
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


def _records(frame, column, family, explainer, metrics) -> list[SubgroupRecord]:
    out = []
    for group, row in frame.iterrows():
        for m in metrics:
            if m in row.index:
                v = row[m]
                out.append(SubgroupRecord(column, str(group), family, explainer, m,
                                          None if v is None or not np.isfinite(v) else float(v), int(row["n"])))
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
    records = []
    for col in cols:
        labels_test = group_labels(X_test[col], col, cohort.dictionary)
        for fam, ms in trained.models.items():
            p = ms[0].predict_proba(X_test)
            records += _records(model_frame(y_test, p, ms[0].threshold, labels_test), col, fam, None, MODEL_METRICS)
        for key in keys:
            runs = exp.patients[key]
            per, pos = explanation_metrics(key, runs, trained.models[key.family][0], cohort, rows, settings.k)
            labels = group_labels(cohort.X[col].iloc[pos], col, cohort.dictionary)
            records += _records(explanation_frame(per, labels), col, key.family, key, EXPLANATION_METRICS)
    return records, gaps(records)
