"""Partial dependence and ICE curves of a risk model, through scikit-learn's ``partial_dependence``.

:class:`RiskModelEstimator` is the smallest scikit-learn classifier around a fitted
:class:`~risklens.modeling.model.RiskModel` (``predict_proba`` only; ``fit`` checks the columns), so the
library's own brute-force partial dependence does the work: for each grid value of one feature,
every sampled patient's row is copied with that value and scored; the average over patients is the
partial dependence, each patient's own curve is its individual conditional expectation (ICE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from risklens.errors import RiskLensError

__all__ = ["RiskModelEstimator", "partial_dependence_curves"]


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


def partial_dependence_curves(model, X: pd.DataFrame, feature: str, *, n_rows: int = 300, grid_resolution: int = 25,
                              seed: int = 0) -> dict:
    """PD and ICE of ``feature`` over a seeded sample of ``X`` (rows with the feature recorded)."""
    from sklearn.inspection import partial_dependence

    if feature not in model.feature_names:
        raise RiskLensError(f"the model does not use the feature {feature!r}")
    rows = X[list(model.feature_names)]
    rows = rows[rows[feature].notna()]
    if len(rows) < 2 or rows[feature].nunique() < 2:
        raise RiskLensError(f"{feature!r} takes fewer than two distinct recorded values here: no curve to draw")
    if len(rows) > n_rows:
        rows = rows.iloc[np.sort(np.random.default_rng(seed).choice(len(rows), size=n_rows, replace=False))]
    est = RiskModelEstimator(model).fit(rows)
    res = partial_dependence(est, rows, [feature], kind="both", grid_resolution=grid_resolution,
                             response_method="predict_proba", method="brute", percentiles=(0.02, 0.98))
    return {"feature": feature, "grid": np.asarray(res["grid_values"][0], dtype=np.float64),
            "average": np.asarray(res["average"][0], dtype=np.float64),
            "individual": np.asarray(res["individual"][0], dtype=np.float64), "n_rows": len(rows)}
