"""Randomised copies of a RiskModel for sanity checks (Adebayo et al. 2018); the original is never touched.

- :func:`randomised_mlp`: cascading model-parameter randomisation: the top ``n_top`` layers of the network
  re-drawn (:func:`~risklens.metrics.randomisation.randomise_layers`);
- :func:`permuted_label_model`: data randomisation: the same family and hyper-parameters trained on permuted
  labels of a seeded sample of at most :data:`PERMUTED_ROWS` training rows;
- :func:`randomised_models`: the steps a family gets (MLP: every layer from the top; XGBoost and L1: one model
  on permuted labels; imported models: none).
"""

from __future__ import annotations

import copy

import numpy as np

from risklens.metrics.randomisation import permuted_labels, randomise_layers
from risklens.modeling.model import RiskModel

PERMUTED_ROWS = 4000


def layer_step_name(n_top: int, n_layers: int) -> str:
    if n_top >= n_layers:
        return "all layers"
    return "output layer" if n_top == 1 else f"top {n_top} layers"


def randomised_mlp(model: RiskModel, n_top: int, seed: int) -> RiskModel:
    """A copy of an MLP RiskModel whose top ``n_top`` layers are re-drawn."""
    est = copy.deepcopy(model.estimator)
    clf = est.named_steps["clf"]
    layers = randomise_layers(model.mlp_layers, n_top, seed)
    clf.coefs_, clf.intercepts_ = [W for W, _ in layers], [b for _, b in layers]
    return RiskModel(model.family, est, list(model.feature_names), model.seed, dict(model.params),
                     dict(model.metrics), {}, f"{model.model_id}~random-top{n_top}", model.contract)


def permuted_label_model(model: RiskModel, X_train, y_train, seed: int) -> RiskModel:
    """A model of ``model``'s family and parameters trained on permuted labels of (a sample of) the training rows."""
    from risklens.modeling.train import _fit, build_estimator

    X_train, y_train = np.asarray(X_train, dtype=np.float64), np.asarray(y_train)
    pos = np.arange(len(X_train))
    if len(pos) > PERMUTED_ROWS:
        pos = np.sort(np.random.default_rng(seed).permutation(len(pos))[:PERMUTED_ROWS])
    est = build_estimator(model.family, seed, model.params)
    _fit(model.family, est, X_train[pos], permuted_labels(y_train[pos], seed))
    return RiskModel(model.family, est, list(model.feature_names), model.seed, dict(model.params), {}, {},
                     f"{model.model_id}~permuted-labels", model.contract)


def randomised_models(model: RiskModel, X_train, y_train, seed: int) -> tuple[str, list]:
    """(randomisation, [(step, model), ...]); ("", []) for a model trained elsewhere."""
    if model.family == "mlp":
        L = len(model.mlp_layers)
        return "cascading layers", [(layer_step_name(t, L), randomised_mlp(model, t, seed)) for t in range(1, L + 1)]
    if model.family in ("xgboost", "l1-logistic"):
        return "permuted labels", [("labels permuted", permuted_label_model(model, X_train, y_train, seed))]
    return "", []
