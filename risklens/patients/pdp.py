"""Partial dependence and ICE curves of a risk model, through scikit-learn's ``partial_dependence``.

:class:`RiskModelEstimator` is the smallest scikit-learn classifier around a fitted
:class:`~risklens.modeling.model.RiskModel` (``predict_proba`` only; ``fit`` checks the columns), so the
library's own brute-force partial dependence does the work: for each grid value of one feature,
every sampled patient's row is copied with that value and scored; the average over patients is the
partial dependence, each patient's own curve is its individual conditional expectation (ICE).

A text column (sex, a yes/no column, a category) has no values between its levels: its "curve" is one point per
level, every sampled patient's row copied with that level's 0/1 values (:func:`level_dependence`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from risklens.errors import RiskLensError
from risklens.modeling.encoded import encode_level, present_levels, text_specs

__all__ = ["RiskModelEstimator", "partial_dependence_curves", "level_dependence"]


class RiskModelEstimator(ClassifierMixin, BaseEstimator):
    """A fitted RiskModel seen by scikit-learn as a fitted binary classifier."""

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(self.model.feature_names, dtype=object)
        return self

    def predict_proba(self, X):
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=list(self.model.feature_names))
        p = np.asarray(self.model.predict_proba(frame[list(self.model.feature_names)]), dtype=np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _sample(rows: pd.DataFrame, n_rows: int, seed: int) -> pd.DataFrame:
    if len(rows) > n_rows:
        rows = rows.iloc[np.sort(np.random.default_rng(seed).choice(len(rows), size=n_rows, replace=False))]
    return rows


def level_dependence(model, X: pd.DataFrame, column: str, contract, *, n_rows: int = 300, seed: int = 0) -> dict:
    """PD and ICE of text column ``column``: for each of its levels (and "not recorded"), every sampled row
    scored with that level. ``levels`` (L,) in words, ``individual`` (n, L), ``average`` (L,)."""
    spec = text_specs(contract).get(column)
    if spec is None:
        raise RiskLensError(f"the model has no text column {column!r}")
    rows = _sample(X[list(model.feature_names)], n_rows, seed)
    levels = present_levels(spec)
    individual = np.empty((len(rows), len(levels)))
    for k, level in enumerate(levels):
        edited = rows.copy()
        for out, value in encode_level(spec, level).items():
            edited[out] = value
        individual[:, k] = np.asarray(model.predict_proba(edited), dtype=np.float64)
    return {"feature": column, "kind": "levels", "levels": levels, "grid": np.arange(len(levels), dtype=np.float64),
            "average": individual.mean(axis=0), "individual": individual, "n_rows": len(rows)}


def partial_dependence_curves(model, X: pd.DataFrame, feature: str, *, n_rows: int = 300, grid_resolution: int = 25,
                              seed: int = 0, contract=None) -> dict:
    """PD and ICE of ``feature`` over a seeded sample of ``X`` (rows with the feature recorded); with the model's
    input ``contract``, ``feature`` may name an original text column: one point per level
    (:func:`level_dependence`)."""
    from sklearn.inspection import partial_dependence

    if feature in text_specs(contract):
        return level_dependence(model, X, feature, contract, n_rows=n_rows, seed=seed)
    if feature not in model.feature_names:
        raise RiskLensError(f"the model does not use the feature {feature!r}")
    rows = X[list(model.feature_names)]
    rows = rows[rows[feature].notna()]
    if len(rows) < 2 or rows[feature].nunique() < 2:
        raise RiskLensError(f"{feature!r} takes fewer than two distinct recorded values here: no curve to draw")
    rows = _sample(rows, n_rows, seed)
    est = RiskModelEstimator(model).fit(rows)
    res = partial_dependence(est, rows, [feature], kind="both", grid_resolution=grid_resolution,
                             response_method="predict_proba", method="brute", percentiles=(0.02, 0.98))
    return {"feature": feature, "kind": "numbers", "grid": np.asarray(res["grid_values"][0], dtype=np.float64),
            "average": np.asarray(res["average"][0], dtype=np.float64),
            "individual": np.asarray(res["individual"][0], dtype=np.float64), "n_rows": len(rows)}
