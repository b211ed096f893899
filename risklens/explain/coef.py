"""The L1 model's coefficient attribution: the transparent reference.

``coef x (x - mean)`` in log-odds, with x imputed as the model imputes it and ``mean`` the training
mean kept by the scaler; on the standardised scale this is ``coef_std * z``. Values plus the
intercept equal the model's margin exactly (the same numbers as exact linear SHAP).
"""

from __future__ import annotations

import pandas as pd

from risklens.explain._common import check_frame, model_fingerprint
from risklens.explain.base import Explanation, ExplainError
from risklens.explain.shap_adapter import linear_shap_values


def raw_coefficients(model):
    """(coef per raw unit, training means): coef_std / scale and the scaler's mean."""
    coef, _ = model.linear_coef
    scaler = model.estimator.named_steps["scale"]
    return coef / scaler.scale_, scaler.mean_.copy()


def explain_coef(model, X: pd.DataFrame, *, seed: int = 0, **params) -> Explanation:
    extra = [k for k in params if k not in ("background", "background_size", "samples")]
    if extra:
        raise ExplainError(f"coef is exact and takes no parameters; remove: {', '.join(extra)}")
    M, ids = check_frame(model, X)
    values, intercept = linear_shap_values(model, M)
    coef, _ = model.linear_coef
    return Explanation(values=values, base_values=intercept, data=M, feature_names=model.feature_names,
                       method="coef", model_id=model_fingerprint(model), output="log-odds", ids=ids,
                       params={"attribution": "coef_std * z = coef * (x - training mean)", "seed": int(seed),
                               "nonzero_coefficients": int((coef != 0).sum())})
