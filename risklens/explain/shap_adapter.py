"""SHAP for every family, in log-odds.

- xgboost: exact TreeSHAP (``risklens.explain.treeshap.tree_shap`` when present, else XGBoost's own
  ``pred_contribs``) -- values + base value == margin.
- l1-logistic: exact linear SHAP with the scaler mean as background mean: ``coef_std * z`` where
  ``z`` are the imputed, standardised inputs; base value = intercept.
- mlp: permutation SHAP on ``predict_margin`` with a seeded background sample (100 rows): shap's
  ``PermutationExplainer`` algorithm (antithetic permutations, 10 by default), batched over patients
  (default) or the shap package itself (``implementation="shap"``; ~10 s numba compile on first use,
  and slower). Exactly additive: values + base value == margin, base = mean margin over the background.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.explain._common import array_hash, background_matrix, check_frame, model_fingerprint, seeded_rows
from risklens.explain.base import Explanation, ExplainError


def tree_shap_implementation():
    """(function, name) of the exact TreeSHAP in use: the fast one when present, else XGBoost's."""
    try:
        from risklens.explain.treeshap import tree_shap
    except ImportError:
        return xgboost_contribs, "xgboost pred_contribs"
    return tree_shap, "risklens.explain.treeshap"


def tree_shap_values(model, M: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact TreeSHAP in log-odds: (values (n, f), base value). The one place to swap implementations."""
    tree_shap, _ = tree_shap_implementation()
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
        used = {"algorithm": "tree-exact", "implementation": tree_shap_implementation()[1], "seed": int(seed)}
    elif model.family == "l1-logistic":
        _no_params(params, "shap on l1-logistic")
        values, base = linear_shap_values(model, M)
        used = {"algorithm": "linear-exact", "background": "training mean (scaler)", "seed": int(seed)}
    else:
        values, base, used = _permutation_shap(model, X, M, seed, **params)
    return Explanation(values=values, base_values=base, data=M, feature_names=model.feature_names, method="shap",
                       model_id=model_fingerprint(model), output="log-odds", ids=ids, params=used)


def _permutation_shap(model, X, M, seed, background=None, background_size=100, permutations=10, samples=None,
                      implementation="batched"):
    f = M.shape[1]
    B = seeded_rows(background_matrix(model, X, background), int(background_size), int(seed) + 7919)
    max_evals = int(samples) if samples is not None else int(permutations) * (2 * f + 1)
    if max_evals < 2 * f + 1:
        raise ExplainError(f"shap on the MLP needs at least {2 * f + 1} model evaluations per patient (2 x features + 1)")
    n_perm = max_evals // (2 * f + 1)
    if implementation == "batched":
        values, base = batched_permutation_shap(model.predict_margin, M, B, n_perm, int(seed), list(X.index))
    elif implementation == "shap":
        values, base = _shap_package_permutation(model.predict_margin, M, B, max_evals, int(seed))
    else:
        raise ExplainError(f"implementation must be 'batched' or 'shap', not {implementation!r}")
    used = {"algorithm": "permutation", "implementation": implementation, "seed": int(seed),
            "background_size": int(len(B)), "background_hash": array_hash(B), "max_evals": max_evals,
            "permutations": n_perm}
    return values, base, used


def batched_permutation_shap(predict, M: np.ndarray, B: np.ndarray, permutations: int, seed: int, ids,
                             chunk_rows: int = 300_000) -> tuple[np.ndarray, np.ndarray]:
    """Antithetic permutation SHAP (shap's PermutationExplainer algorithm) for many rows at once.

    For each row and random feature order, features are switched on one by one from the background
    (forward) and off again in the same order from the row (backward); each feature gets the mean
    change of ``predict`` averaged over the background rows. Exactly additive:
    ``values.sum(1) + base == predict(M)``; base = mean of ``predict`` over ``B``. One generator per
    row, seeded by (seed, row id), so a row's numbers do not depend on its batch mates.
    """
    from risklens.explain.lime_batched import patient_generator

    n, f = M.shape
    nb = len(B)
    ranks = np.empty((n, permutations, f), dtype=np.intp)
    for i, row_id in enumerate(ids):
        rng = patient_generator(seed, row_id)
        for r in range(permutations):
            ranks[i, r, rng.permutation(f)] = np.arange(f)
    jobs = np.arange(n * permutations)
    per_chunk = max(1, chunk_rows // (2 * f * nb))
    values = np.zeros((n, f))
    kf, kb = np.arange(f + 1), np.arange(1, f)
    for start in range(0, len(jobs), per_chunk):
        job = jobs[start:start + per_chunk]
        pi, rk = job // permutations, ranks[job // permutations, job % permutations]  # (c,), (c, f)
        on = np.concatenate([rk[:, None, :] < kf[None, :, None], rk[:, None, :] >= kb[None, :, None]], axis=1)
        inputs = np.where(on[:, :, None, :], M[pi][:, None, None, :], B[None, None, :, :])  # (c, 2f, nb, f)
        out = np.asarray(predict(inputs.reshape(-1, f)), dtype=np.float64).reshape(len(job), 2 * f, nb).mean(2)
        fwd = out[:, : f + 1]  # state k: the k first features of the order are the row's
        bwd = np.concatenate([fwd[:, f:], out[:, f + 1:], fwd[:, :1]], axis=1)  # state k: all but the k first
        take = np.take_along_axis
        phi = take(fwd, rk + 1, 1) - take(fwd, rk, 1) + take(bwd, rk, 1) - take(bwd, rk + 1, 1)
        np.add.at(values, pi, phi)
    base = float(np.mean(predict(B)))
    return values / (2 * permutations), np.full(n, base)


def _shap_package_permutation(predict, M, B, max_evals, seed):
    import shap

    state = np.random.get_state()  # shap seeds and uses the global generator; leave it as we found it
    try:
        explainer = shap.PermutationExplainer(predict, shap.maskers.Independent(B, max_samples=len(B)), seed=seed)
        out = explainer(M, max_evals=max_evals, silent=True)
    finally:
        np.random.set_state(state)
    # a shap.Explanation goes no further than here
    return np.asarray(out.values, dtype=np.float64), np.asarray(out.base_values, dtype=np.float64).reshape(-1)


def _no_params(params: dict, what: str) -> None:
    extra = [k for k in params if k not in ("background", "background_size", "samples")]
    if extra:
        raise ExplainError(f"{what} is exact and takes no parameters; remove: {', '.join(extra)}")
