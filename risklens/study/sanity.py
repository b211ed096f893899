"""Trust stage: sanity checks (Adebayo et al. 2018) -- does each explanation depend on the model at all?

Per explainer, the run-1 explanation of ``trust_patients`` analysed patients (the first of the
explainer's patient rows, as the faithfulness stage takes them) is compared with the explanation the
same method (same seed and budget) gives for a randomised model:

- **MLP**: cascading model-parameter randomisation from the top: the output layer re-drawn, then the
  output and last hidden layer, ... then every layer (:func:`~risklens.metrics.randomisation.randomise_layers`,
  seed ``trust 1``);
- **XGBoost, L1**: data randomisation: a model of the same family and hyper-parameters retrained on
  permuted labels (a seeded sample of at most :data:`PERMUTED_ROWS` training rows).

The verdict is read on the last step (:data:`~risklens.metrics.randomisation.RULE`).
"""

from __future__ import annotations

import copy

import numpy as np

from risklens.metrics.randomisation import (RULE, explanation_similarity, permuted_labels, randomise_layers,
                                            sanity_verdict)
from risklens.study.explain import explain_rows, method_params
from risklens.study.rows import sample_ids
from risklens.study.types import SanityRecord

PERMUTED_ROWS = 4000


def layer_step_name(n_top: int, n_layers: int) -> str:
    if n_top >= n_layers:
        return "all layers"
    return "output layer" if n_top == 1 else f"top {n_top} layers"


def randomised_mlp(model, n_top: int, seed: int):
    """A copy of an MLP RiskModel whose top ``n_top`` layers are re-drawn (the original is untouched)."""
    from risklens.modeling.model import RiskModel

    est = copy.deepcopy(model.estimator)
    clf = est.named_steps["clf"]
    layers = randomise_layers(model.mlp_layers, n_top, seed)
    clf.coefs_, clf.intercepts_ = [W for W, _ in layers], [b for _, b in layers]
    return RiskModel(model.family, est, list(model.feature_names), model.seed, dict(model.params),
                     dict(model.metrics), {}, f"{model.model_id}~random-top{n_top}", model.contract)


def permuted_label_model(model, X_train, y_train, seed: int):
    """A model of ``model``'s family and parameters trained on permuted labels of (a sample of) the training rows."""
    from risklens.modeling.model import RiskModel
    from risklens.modeling.train import _fit, build_estimator

    pos = sample_ids(np.arange(len(X_train)), PERMUTED_ROWS, seed)
    est = build_estimator(model.family, seed, model.params)
    _fit(model.family, est, np.asarray(X_train, dtype=np.float64)[pos], permuted_labels(np.asarray(y_train)[pos], seed))
    return RiskModel(model.family, est, list(model.feature_names), model.seed, dict(model.params), {}, {},
                     f"{model.model_id}~permuted-labels", model.contract)


def randomised_models(model, X_train, y_train, seed: int) -> tuple[str, list]:
    """(randomisation, [(step, model), ...]) for a RiskLens-trained family; ("", []) for imported models."""
    if model.family == "mlp":
        L = len(model.mlp_layers)
        return "cascading layers", [(layer_step_name(t, L), randomised_mlp(model, t, seed)) for t in range(1, L + 1)]
    if model.family in ("xgboost", "l1-logistic"):
        return "permuted labels", [("labels permuted", permuted_label_model(model, X_train, y_train, seed))]
    return "", []


def sanity_records(key, real_values, explain_fn, randomisation: str, steps, k: int) -> list[SanityRecord]:
    """Records of every step; ``explain_fn(model) -> values`` explains the same rows as ``real_values``."""
    out = []
    for i, (step, model) in enumerate(steps):
        sim = explanation_similarity(real_values, explain_fn(model), k)
        rho, fa = float(np.mean(sim["spearman"])), float(np.mean(sim["top_k"]))
        final = i == len(steps) - 1
        out.append(SanityRecord(key, randomisation, step, rho, fa, int(k), int(len(real_values)), final,
                                sanity_verdict(rho) if final else None, RULE))
    return out


def sanity_stage(cohort, keys, trained, exp, rows, settings, plan, progress=None) -> tuple[list, list[str]]:
    say = progress or (lambda f, m: None)
    X_train, y_train = cohort.X.iloc[trained.train_pos], cohort.y[trained.train_pos]
    randomised, out, notes = {}, [], []
    for i, key in enumerate(keys):
        model = trained.models[key.family][0]
        if key.family not in randomised:
            randomised[key.family] = randomised_models(model, X_train.to_numpy(np.float64), y_train, plan.trust(1))
        how, steps = randomised[key.family]
        if not steps:
            notes.append(f"{key.label}: no sanity check (a model trained elsewhere cannot be randomised here)")
            continue
        say(i / len(keys), f"sanity check of {key} ({how})")
        e = exp.patients[key][0][: settings.trust_patients]
        X = cohort.X.loc[list(e.ids)]
        params = method_params(key, settings, rows.background)
        fn = lambda m, X=X, key=key, params=params: explain_rows(m, X, key.method, plan.explainer(1), None, params).values  # noqa: E731
        out += sanity_records(key, e.values, fn, how, steps, settings.k)
    return out, notes
