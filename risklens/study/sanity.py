"""Trust stage: sanity checks (Adebayo et al. 2018) -- does each explanation depend on the model at all?

Per explainer, the run-1 explanation of ``trust_patients`` analysed patients (the first of the
explainer's patient rows, as the faithfulness stage takes them) is compared with the explanation the
same method (same seed and budget) gives for a randomised model:

- **MLP**: cascading model-parameter randomisation from the top: the output layer re-drawn, then the
  output and last hidden layer, ... then every layer (:func:`~risklens.metrics.randomisation.randomise_layers`,
  seed ``trust 1``);
- **XGBoost, L1**: data randomisation: a model of the same family and hyper-parameters retrained on
  permuted labels (:mod:`risklens.modeling.randomised`).

Sampling methods (LIME, permutation SHAP) use at most :data:`SLOW_PATIENTS` of those patients.
The verdict is read on the last step (:data:`~risklens.metrics.randomisation.RULE`).
"""

from __future__ import annotations

import numpy as np

from risklens.metrics.randomisation import RULE, explanation_similarity, sanity_verdict
from risklens.modeling.randomised import randomised_models
from risklens.study.explain import explain_rows, method_params
from risklens.study.rows import is_capped
from risklens.study.types import SanityRecord

SLOW_PATIENTS = 10  # sampling methods (LIME, permutation SHAP) explain at most this many patients per step


def sanity_records(key, real_values, explain_fn, randomisation: str, steps, k: int) -> list[SanityRecord]:
    """Records of every step; ``explain_fn(model) -> values`` explains the same rows as ``real_values``."""
    out = []
    for i, (step, model) in enumerate(steps):
        sim = explanation_similarity(real_values, explain_fn(model), k)
        rho, fa = float(np.mean(sim["spearman"])), float(np.mean(sim["top_k"]))
        final = i == len(steps) - 1
        out.append(SanityRecord(key, randomisation, step, rho, fa, int(k), int(len(real_values)), final,
                                sanity_verdict(rho) if final else None, RULE, float(np.mean(sim["collapsed"]))))
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
        e = exp.patients[key][0][: settings.trust_patients if not is_capped(key) else min(settings.trust_patients, SLOW_PATIENTS)]
        X = cohort.X.loc[list(e.ids)]
        params = method_params(key, settings, rows.background)
        fn = lambda m, X=X, key=key, params=params: explain_rows(m, X, key.method, plan.explainer(1), None, params).values  # noqa: E731
        out += sanity_records(key, e.values, fn, how, steps, settings.k)
    return out, notes
