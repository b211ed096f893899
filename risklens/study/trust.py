"""Trust stage: the random-explainer control, complexity, removal faithfulness, sensitivity, ROAD-style deletion.

Per explainer, on its run-1 explanation of ``trust_patients`` analysed patients (the first of its
patient rows, as the faithfulness stage takes them) and its family's run-1 model:

- :class:`~risklens.study.types.ComplexityRecord`: Gini sparseness, effective complexity, compacity;
- :class:`~risklens.study.types.ChanceRecord`: a seeded random explainer (stream ``trust 2``) on the same
  patients through agreement, concordance and faithfulness: each number's chance level;
- :class:`~risklens.study.types.RobustnessRecord`: faithfulness correlation and infidelity (the explanation's
  own output space; perturbations from stream ``trust 3``), max-sensitivity and local Lipschitz on
  :data:`SENSITIVITY_ROWS` patients with :data:`NEIGHBOURS` neighbours (every explainer, sampling ones
  included), and deletion with Gaussian imputation beside deletion to the training mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.metrics import complexity as CX
from risklens.metrics.concordance import trigger_concordance
from risklens.metrics.consistency import feature_agreement, rank_correlation
from risklens.metrics.faithfulness import curve_auc, deletion_curve, faithfulness_curves
from risklens.metrics.robustness import (PERTURBATION, GaussianImputer, imputed_deletion_auc, max_sensitivity,
                                         random_attributions, removal_scores)
from risklens.study.explain import explain_rows, method_params
from risklens.study.rows import sample_ids
from risklens.study.types import ChanceRecord, ComplexityRecord, RobustnessRecord

SENSITIVITY_ROWS = 4
NEIGHBOURS = 3
RADIUS = 0.1
REMOVAL_SAMPLES = 20
IMPUTER_ROWS = 5000


def _mean(x) -> float | None:
    x = np.asarray(x, dtype=np.float64)
    return float(np.nanmean(x)) if np.isfinite(x).any() else None


def output_predict(model, output: str):
    """The model's output in an explanation's space: log-odds (margin) or probability."""
    return model.predict_margin if output == "log-odds" else model.predict_proba


def complexity_record(key, values) -> ComplexityRecord:
    t = CX.complexity_table(values)
    return ComplexityRecord(key, _mean(t["gini"]), _mean(t["effective"]), _mean(t["compacity"]), CX.EFFECTIVE_SHARE,
                            CX.COMPACITY_SHARE, int(np.shape(values)[1]), int(len(values)),
                            [float(v) for v in t["gini"]], [int(v) for v in t["effective"]],
                            float(np.mean(np.abs(np.nan_to_num(np.asarray(values, float))).sum(axis=1) == 0)))


def chance_record(key, e, model, cohort, baseline, k: int, seed: int, seed_perturb: int) -> ChanceRecord:
    R = random_attributions(len(e), len(e.feature_names), seed, like=e.values)
    conc = None
    if cohort.has_trigger:
        pos = cohort.X.index.get_indexer([str(i) for i in e.ids])
        conc = trigger_concordance(R, e.feature_names, cohort.trigger[pos], cohort.dictionary).kept
    f = faithfulness_curves(model.predict_proba, e.data, R, baseline, seed=seed_perturb)
    rem = removal_scores(output_predict(model, e.output), e.data, R, baseline, REMOVAL_SAMPLES, seed=seed_perturb)
    return ChanceRecord(key, _mean(feature_agreement(e.values, R, k)), min(k, R.shape[1]) / R.shape[1],
                        _mean(rank_correlation(e.values, R)), conc, f["deletion_auc"], f["insertion_auc"],
                        _mean(rem["correlation"]), _mean(rem["infidelity"]), _mean(CX.gini(R)), int(len(e)))


def sensitivity(key, e, model, cohort, rows, settings, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(max-sensitivity, local Lipschitz) per row of the first ``n`` rows, from one set of neighbours."""
    params = method_params(key, settings, rows.background)
    names = list(e.feature_names)
    X = e.data[:n]
    scale = np.where(rows.scale > 0, rows.scale, 1.0)
    seen = {}

    def fn(M):
        ids = [f"n{i}" for i in range(len(M))]
        out = explain_rows(model, pd.DataFrame(M, columns=names, index=ids), key.method, seed, None, params).values
        seen[len(M)] = (M, out)
        return out

    ms = max_sensitivity(fn, X, scale=scale, radius=RADIUS, n_neighbours=NEIGHBOURS, seed=seed)
    (M0, e0), (Mn, en) = seen[len(X)], seen[len(X) * NEIGHBOURS]
    d_in = np.linalg.norm(np.nan_to_num((Mn.reshape(NEIGHBOURS, len(X), -1) - M0[None]) / scale), axis=2)
    d_out = np.linalg.norm(en.reshape(NEIGHBOURS, len(X), -1) - e0[None], axis=2)
    lip = (d_out / np.where(d_in > 0, d_in, np.inf)).max(axis=0)
    return ms, lip


def robustness_record(key, e, model, cohort, rows, settings, imputer, seed: int) -> RobustnessRecord:
    rem = removal_scores(output_predict(model, e.output), e.data, e.values, rows.baseline, REMOVAL_SAMPLES, seed=seed)
    n_s = min(len(e), SENSITIVITY_ROWS)
    ms, lip = sensitivity(key, e, model, cohort, rows, settings, seed, n_s)
    road = imputed_deletion_auc(model.predict_proba, e.data, e.values, imputer, seed=seed)
    to_mean = curve_auc(deletion_curve(model.predict_proba, e.data, e.values, rows.baseline)).mean()
    return RobustnessRecord(key, e.output, _mean(rem["correlation"]), _mean(rem["infidelity"]), _mean(ms), _mean(lip),
                            float(to_mean), road["auc"], road["auc_random"], int(len(e)), int(n_s), PERTURBATION,
                            RADIUS)


def trust_stage(cohort, keys, trained, exp, rows, settings, plan, progress=None) -> tuple[list, list, list]:
    """(complexity, chance, robustness records), one each per explainer."""
    say = progress or (lambda f, m: None)
    train = cohort.X.iloc[trained.train_pos].to_numpy(np.float64)
    imputer = GaussianImputer.fit(train[sample_ids(np.arange(len(train)), IMPUTER_ROWS, plan.trust(3))])
    comp, chance, robust = [], [], []
    for i, key in enumerate(keys):
        say(i / len(keys), f"trust checks of {key}")
        model = trained.models[key.family][0]
        e = exp.patients[key][0][: settings.trust_patients]
        comp.append(complexity_record(key, e.values))
        chance.append(chance_record(key, e, model, cohort, rows.baseline, settings.k, plan.trust(2), plan.trust(3)))
        robust.append(robustness_record(key, e, model, cohort, rows, settings, imputer, plan.trust(3)))
    return comp, chance, robust


