"""The reference LIME: the ``lime`` package itself, one patient at a time (slow; used to check ``lime``).

``LimeTabularExplainer(background, discretize_continuous=True, discretizer="quartile",
kernel_width=0.75 sqrt(f), feature_selection="auto", random_state=seed)``; every patient explained
with ``num_features`` = all features, positive class, ``predict_fn = [1 - p, p]``. The explainer's
random state advances from patient to patient, so numbers depend on the row order (lime's behaviour).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from risklens.explain._common import (lime_budget)
from risklens.explain.base import Explanation
from risklens.explain.lime_batched import lime_explanation, lime_inputs, lime_params, local_params


def reference_explainer(Bi: np.ndarray, feature_names, kernel_width: float, seed: int, local: bool = False):
    """lime's explainer: the quartile default, or (``local``) continuous sampling around the patient."""
    from lime.lime_tabular import LimeTabularExplainer

    variant = ({"discretize_continuous": False, "sample_around_instance": True} if local else
               {"discretize_continuous": True, "discretizer": "quartile"})
    return LimeTabularExplainer(Bi, mode="classification", feature_names=list(feature_names), kernel_width=kernel_width,
                                feature_selection="auto", random_state=int(seed), **variant)


def reference_weights(model, rows: np.ndarray, Bi: np.ndarray, *, num_samples: int, kernel_width: float,
                      seed: int, local: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(weights (n, f), intercepts (n,)) from the lime package for imputed rows."""
    f = rows.shape[1]
    explainer = reference_explainer(Bi, model.feature_names, kernel_width, seed, local)

    def predict_fn(A):
        p = model.predict_proba(A)
        return np.column_stack([1.0 - p, p])

    coef, intercept = np.zeros((len(rows), f)), np.zeros(len(rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, row in enumerate(rows):
            exp = explainer.explain_instance(row, predict_fn, labels=(1,), num_features=f, num_samples=num_samples)
            for j, w in exp.local_exp[1]:  # the lime Explanation goes no further than here
                coef[i, j] = w
            intercept[i] = float(exp.intercept[1])
    return coef, intercept


def explain_lime_ref(model, X: pd.DataFrame, *, seed: int = 0, background=None, num_samples: int = 5000,
                     kernel_width: float | None = None, samples: int | None = None, **params) -> Explanation:
    num_samples = lime_budget("lime-ref", num_samples, samples, params)
    M, ids, Mi, Bi, kw = lime_inputs(model, X, background, kernel_width)
    coef, intercept = reference_weights(model, Mi, Bi, num_samples=num_samples, kernel_width=kw, seed=int(seed))
    return lime_explanation(model, "lime-ref", coef, intercept, M, ids,
                            lime_params(seed, num_samples, kw, Bi, "lime package"))


def explain_lime_local_ref(model, X: pd.DataFrame, *, seed: int = 0, background=None, num_samples: int = 5000,
                           kernel_width: float | None = None, samples: int | None = None, **params) -> Explanation:
    """The lime package's ``discretize_continuous=False, sample_around_instance=True``: the reference for
    ``lime-local`` (values = weight x the patient's standardised deviation, lime's own scaler)."""
    num_samples = lime_budget("lime-local-ref", num_samples, samples, params)
    M, ids, Mi, Bi, kw = lime_inputs(model, X, background, kernel_width)
    coef, intercept = reference_weights(model, Mi, Bi, num_samples=num_samples, kernel_width=kw, seed=int(seed),
                                        local=True)
    sc = reference_explainer(Bi, model.feature_names, kw, seed, local=True).scaler
    z = (Mi - sc.mean_) / sc.scale_
    return lime_explanation(model, "lime-local", coef * z, intercept, M, ids,
                            local_params(seed, num_samples, kw, Bi, "lime package"))
