"""Stage 5b, concept level: Table 1 and trigger concordance with clinical concepts as the players.

The concepts are the cohort dictionary's groups (:mod:`risklens.explain.concepts`). Each explainer's concept
attributions are its group Shapley values where it is a Shapley method (exact group TreeSHAP on XGBoost; exact
on the L1 model, where they equal the sums; permutation over concepts on the MLP, same background and budget,
seed ``explainer run r``) and the sums of its feature values otherwise (LIME, coefficients, DTD). Table 1 takes
the run-1 cohort rows, concordance every run's analysed patients, as at the feature level; a concept counts as
clinical unless all of its features are administrative / care process, so "SpO2" matches a SpO2 trigger even
when its readings count pushed it up. The records reuse :class:`~risklens.study.types.Table1Entry` and
:class:`~risklens.study.types.TriggerConcordance` (feature = concept).
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from risklens.explain.concepts import (cached_explain_concepts, concept_algorithm, concept_dictionary, concepts_of,
                                       explain_concepts, sum_to_concepts)
from risklens.study.agree import table1
from risklens.study.concordance import trigger_record
from risklens.study.explain import Explained, method_params


def concept_runs(cohort, key, trained, exp: Explained, rows, settings, plan, store=None) -> tuple[list, list]:
    """(patients' concept explanation per run, run-1 cohort rows' concept explanation) of one explainer."""
    concepts = concepts_of(cohort.features, cohort.dictionary)
    models = trained.models[key.family]
    if concept_algorithm(key.method, key.family) == "sum":
        pats = [sum_to_concepts(e, concepts) for e in exp.patients[key]]
        return pats, sum_to_concepts(exp.cohort[key][0], concepts)
    params = method_params(key, settings, rows.background)
    pats, coh = [], None
    for r, model in enumerate(models, start=1):
        ids = pd.Index(rows.patient_rows[key])
        if r == 1:
            ids = ids.append(pd.Index(rows.cohort_rows[key])).unique()
        X = cohort.X.loc[ids][model.feature_names]
        if store is None:
            e = explain_concepts(model, X, key.method, cohort.dictionary, seed=plan.explainer(r), **params)
        else:
            e = cached_explain_concepts(model, X, key.method, cohort.dictionary, seed=plan.explainer(r), store=store,
                                        **params)
        pats.append(e.rows_for_ids(rows.patient_rows[key]))
        if r == 1:
            coh = e.rows_for_ids(rows.cohort_rows[key])
    return pats, coh


def concept_stage(cohort, keys, trained, exp: Explained, rows, settings, plan, store=None) -> tuple[list, list, list]:
    """(concept Table 1 entries, concept trigger concordance records, notes)."""
    concepts = concepts_of(cohort.features, cohort.dictionary)
    cdict = concept_dictionary(cohort.dictionary, concepts)
    judged = SimpleNamespace(X=cohort.X, trigger=cohort.trigger, dictionary=cdict, name=cohort.name)
    t1, conc = [], []
    for key in keys:
        pats, coh = concept_runs(cohort, key, trained, exp, rows, settings, plan, store)
        t1 += table1(key, coh, cdict, 5)
        if cohort.has_trigger:
            conc.append(trigger_record(key, pats, judged))
    notes = [f"concept level: {len(concepts.names)} concepts from the dictionary's groups"]
    return t1, conc, notes
