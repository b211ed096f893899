"""Stage 7: faithfulness and robustness of each explainer's run-1 attributions (probability output).

Deletion / insertion curves against the training mean and a random order, PGI / PGU, compacity,
and (fast methods only) local Lipschitz robustness; seeds from the ``faithfulness`` stream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.metrics.faithfulness import compacity, faithfulness_curves, local_lipschitz, pgi_pgu
from risklens.study.explain import Explained
from risklens.study.rows import Rows, is_capped
from risklens.study.types import FaithfulnessRecord

LIPSCHITZ_ROWS = 25


def _array_explainer(model, method: str, seed: int, names, background=None):
    from risklens.explain import explain

    def fn(M):
        X = pd.DataFrame(M, columns=names, index=[str(i) for i in range(len(M))])
        return explain(model, X, method, seed=seed, background=background).values
    return fn


def faithfulness_record(key, model, expl, rows: Rows, seed: int) -> FaithfulnessRecord:
    e = expl
    f = faithfulness_curves(model.predict_proba, e.data, e.values, rows.baseline, seed=seed)
    gaps = pgi_pgu(model.predict_proba, e.data, e.values, scale=rows.scale, seed=seed)
    lip = None
    if not is_capped(key):
        lip = float(np.mean(local_lipschitz(_array_explainer(model, key.method, seed, e.feature_names, rows.background),
                                            e.data[:LIPSCHITZ_ROWS], scale=rows.scale, seed=seed)))
    curves = {f"{m}{s}": f[f"mean_curve_{m}{s}"] for m in ("deletion", "insertion") for s in ("", "_random")}
    return FaithfulnessRecord(key, f["deletion_auc"], f["deletion_auc_random"], f["insertion_auc"],
                              f["insertion_auc_random"], f["deletion_auc_norm"], f["insertion_auc_norm"],
                              gaps["PGI"], gaps["PGU"], float(compacity(e.values).mean()), lip, f["n"],
                              "training mean", curves)


def faithfulness_stage(keys, trained, exp: Explained, rows: Rows, settings, plan, progress=None) -> list:
    say = progress or (lambda f, m: None)
    out = []
    for i, key in enumerate(keys):
        say(i / len(keys), f"faithfulness of {key}")
        e = exp.patients[key][0][: settings.faithfulness_patients]
        out.append(faithfulness_record(key, trained.models[key.family][0], e, rows, plan.faithfulness))
    return out
