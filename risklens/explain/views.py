"""Tidy frames drawn by the plots and pages (pure pandas; no plotting here).

Every frame carries the dictionary's clinical label, group and kind of each feature; a missing
dictionary (``None``) gives neutral labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.explain.base import Explanation, ExplainError


def _dictionary(dictionary: FeatureDictionary | None) -> FeatureDictionary:
    return dictionary if dictionary is not None else FeatureDictionary([])


def global_importance(expl: Explanation, dictionary: FeatureDictionary | None = None) -> pd.DataFrame:
    """Mean |attribution| per feature (the study's cohort level), sorted descending, with rank 1 = largest."""
    d = _dictionary(dictionary)
    imp = np.abs(expl.values).mean(axis=0) if len(expl) else np.zeros(len(expl.feature_names))
    mean_signed = expl.values.mean(axis=0) if len(expl) else np.zeros(len(expl.feature_names))
    frame = pd.DataFrame({
        "feature": expl.feature_names,
        "label": d.labels(expl.feature_names),
        "group": [d.get_info(n).group for n in expl.feature_names],
        "kind": [d.get_info(n).kind for n in expl.feature_names],
        "importance": imp,
        "mean_attribution": mean_signed,
    })
    frame = frame.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.attrs.update(method=expl.method, output=expl.output, n=len(expl))
    return frame


def _normalise_columns(data: np.ndarray) -> np.ndarray:
    """Per column min-max scaling to [0, 1] (NaN stays NaN; a constant column maps to 0.5)."""
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(data, axis=0), np.nanmax(data, axis=0)
        span = hi - lo
        out = (data - lo) / np.where(span > 0, span, 1.0)
    return np.where(span > 0, out, np.where(np.isnan(data), np.nan, 0.5))


def beeswarm_frame(expl: Explanation, dictionary: FeatureDictionary | None = None, top: int = 15) -> pd.DataFrame:
    """Long format for a beeswarm: one row per (patient, feature) of the ``top`` features by importance.

    Columns: id, feature, label, order (1 = most important), attribution, value, value_norm (0-1 within
    the feature, for colouring; NaN when missing).
    """
    import warnings

    d = _dictionary(dictionary)
    order = global_importance(expl, d)["feature"].tolist()[: int(top)]
    cols = [expl.feature_names.index(f) for f in order]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        norm = _normalise_columns(expl.data[:, cols]) if len(expl) else np.zeros((0, len(cols)))
    n, k = len(expl), len(cols)
    return pd.DataFrame({
        "id": np.repeat(expl.ids, k),
        "feature": np.tile(order, n),
        "label": np.tile(d.labels(order), n),
        "order": np.tile(np.arange(1, k + 1), n),
        "attribution": expl.values[:, cols].reshape(-1),
        "value": expl.data[:, cols].reshape(-1),
        "value_norm": norm.reshape(-1),
    })


def _column(expl: Explanation, feature: str) -> int:
    try:
        return expl.feature_names.index(feature)
    except ValueError:
        raise ExplainError(f"feature {feature!r} is not in this explanation") from None


def dependence_frame(expl: Explanation, feature: str, color_feature: str | None = None) -> pd.DataFrame:
    """One row per patient: the feature's value and attribution, plus a colouring feature's value."""
    j = _column(expl, feature)
    frame = pd.DataFrame({"id": expl.ids, "value": expl.data[:, j], "attribution": expl.values[:, j]})
    if color_feature is not None:
        frame["color_value"] = expl.data[:, _column(expl, color_feature)]
    frame.attrs.update(feature=feature, color_feature=color_feature, output=expl.output)
    return frame


def patient_frame(expl: Explanation, row_id, dictionary: FeatureDictionary | None = None) -> pd.DataFrame:
    """One row per feature for one patient, sorted by |attribution| (rank 1 = largest).

    Columns: rank, feature, label, value, value_text (with unit), normal_range, status (low/high/normal
    or '' without a range), attribution, group, kind.
    """
    d = _dictionary(dictionary)
    pos = pd.Index(expl.ids).get_indexer([row_id])[0]
    if pos < 0:
        pos = pd.Index([str(i) for i in expl.ids]).get_indexer([str(row_id)])[0]
    if pos < 0:
        raise ExplainError(f"patient {row_id!r} is not in this explanation")
    infos = [d.get_info(n) for n in expl.feature_names]
    values, attr = expl.data[pos], expl.values[pos]
    frame = pd.DataFrame({
        "feature": expl.feature_names,
        "label": [i.label for i in infos],
        "value": values,
        "value_text": [i.format_value(float(v)) for i, v in zip(infos, values)],
        "normal_range": [i.normal_range_text for i in infos],
        "status": [i.status(float(v)) for i, v in zip(infos, values)],
        "attribution": attr,
        "group": [i.group for i in infos],
        "kind": [i.kind for i in infos],
    })
    frame = frame.iloc[np.argsort(-np.abs(attr), kind="stable")].reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.attrs.update(id=row_id, method=expl.method, output=expl.output, base_value=float(expl.base_values[pos]))
    return frame
