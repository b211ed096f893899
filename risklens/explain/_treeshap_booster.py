"""Reading an XGBoost model for TreeSHAP: the booster inside a model, its trees and its base margin.

:func:`as_booster` finds the ``xgboost.Booster``; :func:`check_single_output`, :func:`trees_of`
and :func:`base_margin` read the booster's JSON dump (see :mod:`risklens.explain.treeshap`).
"""

from __future__ import annotations

import numpy as np

from risklens.explain.base import ExplainError

_LOGIT_OBJECTIVES = ("binary:logistic", "reg:logistic", "binary:logitraw")
_LOG_OBJECTIVES = ("count:poisson", "reg:gamma", "reg:tweedie")


def as_booster(model):
    """The xgboost.Booster inside a RiskModel / XGBModel / Booster; ExplainError otherwise."""
    import xgboost as xgb

    if isinstance(model, xgb.Booster):
        return model
    if hasattr(model, "family") and hasattr(model, "estimator"):  # RiskModel
        if model.family != "xgboost":
            raise ExplainError(f"TreeSHAP applies to XGBoost models only, not to a {model.family} model")
        model = model.estimator
    if hasattr(model, "get_booster"):
        try:
            return model.get_booster()
        except Exception as exc:  # noqa: BLE001 - xgboost raises NotFittedError and friends
            raise ExplainError(f"the XGBoost model is not fitted yet ({exc}); train it before explaining") from None
    raise ExplainError(f"TreeSHAP needs an XGBoost model or booster, not {type(model).__name__}")


def check_single_output(learner: dict) -> None:
    """ExplainError unless the model has one output (binary risk)."""
    param = learner["learner_model_param"]
    n_class = int(param.get("num_class", "0") or 0)
    n_target = int(param.get("num_target", "1") or 1)
    if n_class > 1 or n_target > 1:
        raise ExplainError(
            f"TreeSHAP here explains single-output models (binary risk); this model has "
            f"{max(n_class, n_target)} outputs"
        )


def trees_of(learner: dict) -> tuple[list[dict], list[float]]:
    """The trees of a gbtree or dart booster and their weights (dart's weight_drop, else 1)."""
    gb = learner["gradient_booster"]
    name = gb.get("name", "gbtree")
    if name == "gbtree":
        trees = gb["model"]["trees"]
        return trees, [1.0] * len(trees)
    if name == "dart":
        trees = gb["gbtree"]["model"]["trees"]
        return trees, [float(w) for w in gb.get("weight_drop", [1.0] * len(trees))]
    raise ExplainError(f"TreeSHAP needs a tree booster; this model uses {name!r}")


def parse_base_score(value) -> list[float]:
    """base_score as stored by any XGBoost version: 0.5, "0.5", "5E-1" or "[5E-1]" / "[0.1,0.2]"."""
    if isinstance(value, (int, float)):
        return [float(value)]
    text = str(value).strip().strip("[]").strip()
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ExplainError(f"cannot read the model's base_score {value!r}") from None


def _link(objective: str, p: float) -> float:
    if objective in _LOGIT_OBJECTIVES:
        p = min(max(p, 1e-16), 1 - 1e-16)
        return float(np.log(p) - np.log1p(-p))
    if objective in _LOG_OBJECTIVES:
        return float(np.log(max(p, 1e-16)))
    return float(p)


def base_margin(learner: dict, objective: str, booster, forest, n_features: int) -> float:
    """Margin of the base score; checked against the booster on an all-missing row."""
    import xgboost as xgb

    scores = parse_base_score(learner["learner_model_param"].get("base_score", 0.5))
    analytic = _link(objective, float(np.float32(scores[0]))) if scores else 0.0
    row = np.full((1, n_features), np.nan)
    margin = float(booster.predict(xgb.DMatrix(row, missing=np.nan), output_margin=True,
                                   validate_features=False)[0])
    empirical = margin - forest.predict_missing_row()
    return analytic if abs(analytic - empirical) < 1e-4 * max(1.0, abs(margin)) else empirical
