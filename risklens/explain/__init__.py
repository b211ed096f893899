"""Explanations by name: ``explain(model, X, method, seed=0, **params) -> Explanation``.

Methods (see ``methods_for(family)``): ``shap`` (all families, log-odds), ``lime`` (batched, all
families, probability, quartile bins), ``lime-local`` (batched, continuous sampling around the patient),
``lime-ref`` (the lime package, slow reference), ``coef`` (l1-logistic, log-odds) and ``dtd`` (mlp, log-odds
relevance). Each is one registration below: every fact about a method is on its :class:`MethodSpec`
(:mod:`risklens.explain.registry`).
"""

from __future__ import annotations

import pandas as pd

from risklens.explain.base import OUTPUTS, Explanation, ExplainError, comparable, comparison_note
from risklens.explain.params import Param
from risklens.explain.registry import (IN_PROCESS, InProcess, MethodSpec, Prepared, all_methods, deterministic_for,
                                       method, methods_for, needs_background, patient_methods, prepare, register,
                                       registered, row_summaries, unregister)
from risklens.explain.coef import explain_coef
from risklens.explain.dtd import STARTS, explain_dtd
from risklens.explain.lime_batched import LIME_PARAMS, explain_lime, explain_lime_local
from risklens.explain.mlp_shap import DEFAULT_MLP_SHAP
from risklens.explain.lime_ref import explain_lime_ref
from risklens.explain.shap_adapter import SHAP_PARAMS, explain_shap, merge_row_summaries
from risklens.families import ALL_FAMILIES

#: Options an exact method accepts and ignores, so that one command line (``--samples``) serves every method.
EXACT_PARAMS = (Param("samples", int, None, min=2, help="accepted and ignored: the method is exact"),
                Param("background_size", int, None, min=1, help="accepted and ignored: the method is exact"))

register(MethodSpec("shap", "SHAP", ALL_FAMILIES, "log-odds", True, explain_shap,
                    "exact TreeSHAP (XGBoost), exact linear SHAP (L1), stratified permutation SHAP (MLP and "
                    "imported models; seeded, with standard errors)",
                    short="SHAP", cost="slow", exact_on=("xgboost", "l1-logistic"), defaults=DEFAULT_MLP_SHAP,
                    params=SHAP_PARAMS, background=True, page_rows={"mlp": 20}, additive=True,
                    patients="first", merge_params=merge_row_summaries))
register(MethodSpec("lime", "LIME", ALL_FAMILIES, "probability", True, explain_lime,
                    "lime's tabular algorithm, batched over patients (quartile bins, 5000 samples)",
                    short="LIME", cost="slow", defaults={"num_samples": 2000}, params=LIME_PARAMS, background=True,
                    surrogate=True))
register(MethodSpec("lime-local", "LIME (continuous, around the patient)", ALL_FAMILIES, "probability", True,
                    explain_lime_local,
                    "lime with discretize_continuous=False, sample_around_instance=True (kernel width 0.75 sqrt(f) on "
                    "standardised features); value = surrogate weight x (x - mean) / sd, which recovers the exact "
                    "coef x (x - mean) ranking on a linear model",
                    short="LIME-local", cost="slow", defaults={"num_samples": 2000}, params=LIME_PARAMS, background=True,
                    surrogate=True))
register(MethodSpec("lime-ref", "LIME (reference package)", ALL_FAMILIES, "probability", True, explain_lime_ref,
                    "the lime package itself, one patient at a time: the reference for 'lime'",
                    short="LIME-ref", cost="slow", defaults={"num_samples": 2000}, params=LIME_PARAMS,
                    background=True, surrogate=True, reference=True, batch_independent=False))
register(MethodSpec("coef", "Coefficients", ("l1-logistic",), "log-odds", False, explain_coef,
                    "coef x (x - training mean): the transparent reference of the L1 model", short="coef",
                    params=EXACT_PARAMS, additive=True, patients="first"))
register(MethodSpec("dtd", "Deep Taylor decomposition", ("mlp",), "log-odds", False, explain_dtd,
                    "non-negative relevance of the positive logit, conserved layer to layer (LRP z+)", short="DTD",
                    params=(Param("start", str, "logit", choices=STARTS, help="relevance put on the output: logit "
                                  "or evidence"), *EXACT_PARAMS), additive=True, signed=False, patients="first",
                    merge_params=row_summaries(sums=("rows_nonpositive_logit",), maxima=("max_lost_relevance",))))


def explain(model, X: pd.DataFrame, method: str, *, seed: int = 0, **params) -> Explanation:
    """Explain the rows of ``X`` (index = row ids) with the method called ``method`` (:func:`prepare` then run).

    Raises :class:`ExplainError` when the method does not apply to the model's family, an option is not one
    the method declares or a value is out of range, or a method that needs a background has too few rows.
    """
    return prepare(model, X, method, seed=seed, **params).run()


from risklens.explain.store import ExplanationStore, cached_explain, run_cached  # noqa: E402

__all__ = [
    "EXACT_PARAMS", "IN_PROCESS", "OUTPUTS", "Explanation", "ExplainError", "ExplanationStore", "InProcess",
    "MethodSpec", "Param", "Prepared", "all_methods", "cached_explain", "comparable", "comparison_note",
    "deterministic_for", "explain", "method", "methods_for", "needs_background", "patient_methods", "prepare",
    "register", "registered", "row_summaries", "run_cached", "unregister",
]
