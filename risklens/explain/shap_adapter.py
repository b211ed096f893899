"""SHAP for every family, in log-odds.

- xgboost: exact TreeSHAP (``risklens.explain.treeshap.tree_shap`` when present, else XGBoost's own
  ``pred_contribs``) -- values + base value == margin.
- l1-logistic: exact linear SHAP with the scaler mean as background mean: ``coef_std * z`` where
  ``z`` are the imputed, standardised inputs; base value = intercept.
- mlp: ``shap.PermutationExplainer`` on ``predict_margin`` with a seeded background sample;
  antithetic permutations make it exactly additive: values + base value == margin, where the base
  value is the mean margin over the background.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.explain._common import array_hash, background_matrix, check_frame, model_fingerprint, seeded_rows
from risklens.explain.base import Explanation, ExplainError


def tree_shap_values(model, M: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact TreeSHAP in log-odds: (values (n, f), base value). The one place to swap implementations."""
    try:
        from risklens.explain.treeshap import tree_shap
    except ImportError:
        tree_shap = xgboost_contribs
    values, base = tree_shap(model.booster, M)
    return np.asarray(values, dtype=np.float64), float(base)


def xgboost_contribs(booster, M: np.ndarray) -> tuple[np.ndarray, float]:
    """XGBoost's built-in exact TreeSHAP (``pred_contribs``); last column is the base value."""
    import xgboost as xgb

    contribs = booster.predict(xgb.DMatrix(M, missing=np.nan), pred_contribs=True).astype(np.float64)
    return contribs[:, :-1], float(contribs[0, -1]) if len(contribs) else 0.0


def linear_shap_values(model, M: np.ndarray) -> tuple[np.ndarray, float]:
    """coef * (x - mean) on imputed inputs == coef_std * z; base value = intercept (log-odds)."""
    coef, intercept = model.linear_coef
    return coef[None, :] * model.preprocess(M), intercept


def explain_shap(model, X: pd.DataFrame, *, seed: int = 0, **params) -> Explanation:
    M, ids = check_frame(model, X)
    if model.family == "xgboost":
        _no_params(params, "shap on xgboost")
        values, base = tree_shap_values(model, M)
        used = {"algorithm": "tree-exact", "seed": int(seed)}
    elif model.family == "l1-logistic":
        _no_params(params, "shap on l1-logistic")
        values, base = linear_shap_values(model, M)
        used = {"algorithm": "linear-exact", "background": "training mean (scaler)", "seed": int(seed)}
    else:
        values, base, used = _permutation_shap(model, X, M, seed, **params)
    return Explanation(values=values, base_values=base, data=M, feature_names=model.feature_names, method="shap",
                       model_id=model_fingerprint(model), output="log-odds", ids=ids, params=used)


def _permutation_shap(model, X, M, seed, background=None, background_size=100, permutations=10, samples=None):
    import shap

    f = M.shape[1]
    B = seeded_rows(background_matrix(model, X, background), int(background_size), int(seed) + 7919)
    max_evals = int(samples) if samples is not None else int(permutations) * (2 * f + 1)
    if max_evals < 2 * f + 1:
        raise ExplainError(f"shap on the MLP needs at least {2 * f + 1} model evaluations per patient (2 x features + 1)")
    state = np.random.get_state()  # shap seeds and uses the global generator; leave it as we found it
    try:
        explainer = shap.PermutationExplainer(model.predict_margin, shap.maskers.Independent(B, max_samples=len(B)),
                                              seed=int(seed))
        out = explainer(M, max_evals=max_evals, silent=True)
    finally:
        np.random.set_state(state)
    values = np.asarray(out.values, dtype=np.float64)  # a shap.Explanation goes no further than here
    base = np.asarray(out.base_values, dtype=np.float64).reshape(-1)
    used = {"algorithm": "permutation", "seed": int(seed), "background_size": int(len(B)),
            "background_hash": array_hash(B), "max_evals": max_evals,
            "permutations": max_evals // (2 * f + 1)}
    return values, base, used


def _no_params(params: dict, what: str) -> None:
    extra = [k for k in params if k not in ("background", "background_size", "samples")]
    if extra:
        raise ExplainError(f"{what} is exact and takes no parameters; remove: {', '.join(extra)}")
