"""SHAP for every family, in log-odds.

- xgboost: exact TreeSHAP (``risklens.explain.treeshap.tree_shap`` when present, else XGBoost's own
  ``pred_contribs``) -- values + base value == margin.
- l1-logistic: exact linear SHAP with the scaler mean as background mean: ``coef_std * z`` where
  ``z`` are the imputed, standardised inputs; base value = intercept.
- mlp: model-agnostic SHAP over the background handed in (``background=``; else the rows explained).
  Default ``implementation="stratified"`` (:mod:`risklens.explain.mlp_shap`): every background row
  (up to ``background_size``; beyond, k-means strata) gets its own antithetic permutation per round;
  rounds repeat until the estimated relative error is <= ``tolerance`` (``min_rounds``..``max_rounds``,
  or exactly ``permutations`` rounds); the network runs from its weights (:mod:`mlp_forward`). The
  explanation carries each value's standard error (``Explanation.stderr``). Also
  ``implementation="batched"`` (shap's PermutationExplainer algorithm on a ``background_size``-row
  sample, ``permutations`` orders shared by all background rows) and ``"shap"`` (the shap package
  itself). Exactly additive: values + base value == margin, base = mean margin over the background.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.explain._common import array_hash, background_matrix, check_frame, model_fingerprint, seeded_rows
from risklens.explain.base import Explanation, ExplainError
from risklens.explain.mlp_shap import DEFAULT_MLP_SHAP, mlp_shap, relative_error
from risklens.explain.params import Param

#: Options of SHAP on the MLP and imported models; the exact families accept and ignore them (one settings record
#: for all)
SHAP_PARAMS = (
    Param("background_size", int, DEFAULT_MLP_SHAP["background_size"], min=1,
          help="background rows used (a larger background: k-means strata); 100 for the batched algorithms"),
    Param("tolerance", float, DEFAULT_MLP_SHAP["tolerance"], min=0, help="target relative error of the MLP estimator"),
    Param("min_rounds", int, DEFAULT_MLP_SHAP["min_rounds"], min=1, help="fewest rounds of the MLP estimator"),
    Param("max_rounds", int, DEFAULT_MLP_SHAP["max_rounds"], min=1, help="most rounds of the MLP estimator"),
    Param("permutations", int, None, min=1, help="exactly this many rounds (permutations for the batched algorithms)"),
    Param("samples", int, None, min=2, help="model evaluations per patient (shap's max_evals)"),
    Param("implementation", str, "stratified", choices=("stratified", "batched", "shap"),
          help="the MLP estimator: stratified (default), batched or the shap package"),
)
MLP_OPTIONS = ("background", *(p.name for p in SHAP_PARAMS))


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
    elif model.family != "mlp":  # an imported estimator: model-agnostic permutation SHAP on predict_margin
        values, base, used = _agnostic_shap(model, X, M, int(seed), **params)
    else:
        values, base, used, stderr = _mlp_shap(model, X, M, int(seed), **params)
        return Explanation(values=values, base_values=base, data=M, feature_names=model.feature_names, method="shap",
                           model_id=model_fingerprint(model), output="log-odds", ids=ids, params=used, stderr=stderr)
    return Explanation(values=values, base_values=base, data=M, feature_names=model.feature_names, method="shap",
                       model_id=model_fingerprint(model), output="log-odds", ids=ids, params=used)


def _mlp_shap(model, X, M, seed, background=None, background_size=DEFAULT_MLP_SHAP["background_size"],
              permutations=None, samples=None, tolerance=DEFAULT_MLP_SHAP["tolerance"],
              min_rounds=DEFAULT_MLP_SHAP["min_rounds"], max_rounds=DEFAULT_MLP_SHAP["max_rounds"],
              implementation="stratified", players=None):
    if players is not None and implementation != "stratified":
        raise ExplainError("concept SHAP on the MLP uses the stratified implementation; drop the implementation option")
    if implementation in ("batched", "shap"):
        values, base, used = _permutation_shap(model, X, M, seed, background, background_size or 100,
                                               permutations or 10, samples, implementation)
        return values, base, used, None
    if implementation != "stratified":
        raise ExplainError(f"implementation must be 'stratified', 'batched' or 'shap', not {implementation!r}")
    B = background_matrix(model, X, background)
    f = M.shape[1]
    lo, hi, tol = int(min_rounds), int(max_rounds), float(tolerance)
    if permutations is not None:
        lo = hi = int(permutations)
    elif samples is not None:  # shap's max_evals: one round costs what one permutation over the background does
        hi = max(1, int(samples) // (2 * f + 1))
        lo = min(lo, hi)
    size = int(background_size) if background_size else len(B)
    if lo < 1 or hi < lo or size < 1 or not tol >= 0:
        raise ExplainError("shap on the MLP needs 1 <= min_rounds <= max_rounds, background_size >= 1 and "
                           "tolerance >= 0")
    res = mlp_shap(model, M, B, seed=seed, ids=list(X.index), background_size=size, tolerance=tol,
                   min_rounds=lo, max_rounds=hi, players=players)
    est = relative_error(res.values, np.nan_to_num(res.stderr, nan=np.inf))
    used = {"algorithm": "stratified-permutation", "implementation": "stratified", "seed": seed,
            "background_rows": int(len(B)), "background_hash": array_hash(B), "background_size": size,
            "strata": int(res.n_strata), "strata_sampled": bool(res.sampled), "tolerance": tol,
            "min_rounds": lo, "max_rounds": hi, **_round_summary(int(res.rounds.sum()), len(M), int(res.rounds.max()),
                                                                 float(est.max()), res.n_strata * max(2 * f - 2, 1))}
    return res.values, res.base, used, res.stderr


#: Parameters of the MLP estimator that summarise the rows explained (combined by :func:`merge_row_summaries`).
ROW_SUMMARIES = ("rounds_total", "rows", "rounds_mean", "rounds_max", "relative_error_max", "evals_per_patient_mean")


def _round_summary(total: int, rows: int, most: int, worst, evals_per_round: int) -> dict:
    """``worst`` is kept as given (a float, or its JSON-safe text "inf" in stored metadata)."""
    mean = total / rows if rows else 0.0
    return {"rounds_total": int(total), "rows": int(rows), "rounds_mean": float(mean), "rounds_max": int(most),
            "relative_error_max": worst, "evals_per_round": int(evals_per_round),
            "evals_per_patient_mean": float(mean * evals_per_round)}


def _worst(values: list):
    """The largest relative error; stored metadata writes an infinite one as text ("inf")."""
    return max(values, key=lambda v: float(v))


def merge_row_summaries(parts: list[dict]) -> dict:
    """The parameters of rows explained in chunks, as one call on all of them would report them (the SHAP spec's
    ``merge_params``): the rounds' totals add up, maxima are maxima; every other parameter must agree."""
    first = parts[0]
    fixed = [{k: v for k, v in p.items() if k not in ROW_SUMMARIES} for p in parts]
    if any(f != fixed[0] for f in fixed):
        raise ExplainError("shap: chunks explained apart disagree on their parameters")
    if "rounds_total" not in first:
        return dict(first)
    merged = {**first, **_round_summary(sum(p["rounds_total"] for p in parts), sum(p["rows"] for p in parts),
                                        max(p["rounds_max"] for p in parts),
                                        _worst([p["relative_error_max"] for p in parts]), first["evals_per_round"])}
    return merged


def _agnostic_shap(model, X, M, seed, background=None, background_size=None, permutations=None, samples=None,
                   tolerance=None, min_rounds=None, max_rounds=None, implementation=None, players=None):
    """Antithetic permutation SHAP through ``predict_margin`` (any model): 10 permutations over a seeded
    100-row background sample unless told otherwise. The MLP estimator's stopping options (tolerance,
    rounds, the stratified implementation) need the network's weights and do not apply; they are accepted so one
    budget serves every family."""
    size = min(int(background_size or 100), 100)
    return _permutation_shap(model, X, M, seed, background, size, permutations or 10, samples, "batched", players)


def _permutation_shap(model, X, M, seed, background, background_size, permutations, samples, implementation,
                      players=None):
    f = M.shape[1]
    B = seeded_rows(background_matrix(model, X, background), int(background_size), int(seed) + 7919)
    max_evals = int(samples) if samples is not None else int(permutations) * (2 * f + 1)
    if max_evals < 2 * f + 1:
        raise ExplainError(f"shap on the MLP needs at least {2 * f + 1} model evaluations per patient (2 x features + 1)")
    n_perm = max_evals // (2 * f + 1)
    if implementation == "batched":
        values, base = batched_permutation_shap(model.predict_margin, M, B, n_perm, int(seed), list(X.index),
                                                players=players)
    else:
        values, base = _shap_package_permutation(model.predict_margin, M, B, max_evals, int(seed))
    used = {"algorithm": "permutation", "implementation": implementation, "seed": int(seed),
            "background_size": int(len(B)), "background_hash": array_hash(B), "max_evals": max_evals,
            "permutations": n_perm}
    return values, base, used


def batched_permutation_shap(predict, M: np.ndarray, B: np.ndarray, permutations: int, seed: int, ids,
                             chunk_rows: int = 300_000, players=None) -> tuple[np.ndarray, np.ndarray]:
    """Antithetic permutation SHAP (shap's PermutationExplainer algorithm) for many rows at once.

    For each row and random feature order, features are switched on one by one from the background
    (forward) and off again in the same order from the row (backward); each feature gets the mean
    change of ``predict`` averaged over the background rows. Exactly additive:
    ``values.sum(1) + base == predict(M)``; base = mean of ``predict`` over ``B``. One generator per
    row, seeded by (seed, row id), so a row's numbers do not depend on its batch mates.
    ``players`` (a group index per feature): group (concept) Shapley values (n, G) from orders that take
    each group's features together.
    """
    from risklens.explain.lime_batched import patient_generator
    from risklens.explain.mlp_shap import block_orders, player_matrix

    n, f = M.shape
    onehot = None if players is None else player_matrix(players, f)
    nb = len(B)
    ranks = np.empty((n, permutations, f), dtype=np.intp)
    for i, row_id in enumerate(ids):
        rng = patient_generator(seed, row_id)
        for r in range(permutations):
            order = rng.permutation(f) if onehot is None else block_orders(rng.random(onehot.shape[1]), onehot)
            ranks[i, r, order] = np.arange(f)
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
    values = values / (2 * permutations)
    return (values if onehot is None else values @ onehot), np.full(n, base)


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
    extra = [k for k in params if k not in MLP_OPTIONS]
    if extra:
        raise ExplainError(f"{what} is exact and takes no parameters; remove: {', '.join(extra)}")
