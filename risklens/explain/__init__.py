"""Explanations by name: ``explain(model, X, method, seed=0, **params) -> Explanation``.

Methods (see ``methods_for(family)``): ``shap`` (all families, log-odds), ``lime`` (batched, all
families, probability, quartile bins), ``lime-local`` (batched, continuous sampling around the patient),
``lime-ref`` (the lime package, slow reference), ``coef`` (l1-logistic,
log-odds) and ``dtd`` (mlp, log-odds relevance).
"""

from __future__ import annotations

import pandas as pd

from risklens.explain.base import OUTPUTS, Explanation, ExplainError, comparable, comparison_note
from risklens.explain.registry import MethodSpec, all_methods, deterministic_for, method, methods_for, register
from risklens.explain.coef import explain_coef
from risklens.explain.dtd import explain_dtd
from risklens.explain.lime_batched import explain_lime, explain_lime_local
from risklens.explain.mlp_shap import DEFAULT_MLP_SHAP
from risklens.explain.lime_ref import explain_lime_ref
from risklens.explain.shap_adapter import explain_shap

from risklens.modeling.model import ALL_FAMILIES  # noqa: E402  (the one list of families)

register(MethodSpec("shap", "SHAP", ALL_FAMILIES, "log-odds", True, explain_shap,
                    "exact TreeSHAP (XGBoost), exact linear SHAP (L1), stratified permutation SHAP (MLP and "
                    "imported models; seeded, with standard errors)",
                    short="SHAP", cost="slow", exact_on=("xgboost", "l1-logistic"), defaults=DEFAULT_MLP_SHAP))
register(MethodSpec("lime", "LIME", ALL_FAMILIES, "probability", True, explain_lime,
                    "lime's tabular algorithm, batched over patients (quartile bins, 5000 samples)",
                    short="LIME", cost="slow", defaults={"num_samples": 2000}))
register(MethodSpec("lime-local", "LIME (continuous, around the patient)", ALL_FAMILIES, "probability", True,
                    explain_lime_local,
                    "lime with discretize_continuous=False, sample_around_instance=True (kernel width 0.75 sqrt(f) on "
                    "standardised features); value = surrogate weight x (x - mean) / sd, which recovers the exact "
                    "coef x (x - mean) ranking on a linear model",
                    short="LIME-local", cost="slow", defaults={"num_samples": 2000}))
register(MethodSpec("lime-ref", "LIME (lime package)", ALL_FAMILIES, "probability", True, explain_lime_ref,
                    "the lime package itself, one patient at a time: the reference for 'lime'",
                    short="LIME-ref", cost="slow", defaults={"num_samples": 2000}))
register(MethodSpec("coef", "Coefficients", ("l1-logistic",), "log-odds", False, explain_coef,
                    "coef x (x - training mean): the transparent reference of the L1 model", short="coef"))
register(MethodSpec("dtd", "Deep Taylor (LRP z+)", ("mlp",), "log-odds", False, explain_dtd,
                    "non-negative relevance of the positive logit, conserved layer to layer", short="DTD"))


def explain(model, X: pd.DataFrame, method: str, *, seed: int = 0, **params) -> Explanation:
    """Explain the rows of ``X`` (index = row ids) with the method called ``method``.

    Raises :class:`ExplainError` when the method does not apply to the model's family.
    """
    spec = _lookup(method)
    if model.family not in spec.families:
        raise ExplainError(
            f"{method!r} does not apply to {model.family} models; for {model.family} use one of: "
            f"{', '.join(methods_for(model.family))}"
        )
    try:
        return spec.explain(model, X, seed=int(seed), **params)
    except TypeError as exc:  # an option this method does not know: a user error, not a crash
        if "unexpected keyword argument" not in str(exc):
            raise
        bad = str(exc).split("argument")[-1].strip()
        raise ExplainError(f"{method!r} on a {model.family} model does not take the option {bad}") from None


_lookup = method


from risklens.explain.store import ExplanationStore, cached_explain  # noqa: E402

__all__ = [
    "OUTPUTS", "Explanation", "ExplainError", "MethodSpec", "ExplanationStore", "all_methods", "cached_explain",
    "comparable", "comparison_note", "deterministic_for", "explain", "method", "methods_for", "register",
]
