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

from functools import partial
from types import SimpleNamespace

import pandas as pd

from risklens.explain.concepts import (cached_explain_concepts, concept_algorithm, concept_dictionary, concepts_of,
                                       explain_concepts, sum_to_concepts)
from risklens.study.agree import table1
from risklens.study.concordance import trigger_record
from risklens.study.explain import Explained, method_params


def concept_requests(cohort, key, trained, rows, settings, plan) -> list[tuple]:
    """((model, X, method), keyword arguments) of each run's concept explanation of a Shapley method (none for
    the methods whose concept values are sums of their feature values)."""
    if concept_algorithm(key.method, key.family) == "sum":
        return []
    params = method_params(key, settings, rows.background)
    out = []
    for r, model in enumerate(trained.models[key.family], start=1):
        ids = pd.Index(rows.patient_rows[key])
        if r == 1:
            ids = ids.append(pd.Index(rows.cohort_rows[key])).unique()
        out.append(((model, cohort.X.loc[ids][model.feature_names], key.method, cohort.dictionary),
                    {"seed": plan.explainer(r), **params}))
    return out


def concept_runs(cohort, key, trained, exp: Explained, rows, settings, plan, store=None, computed=None) -> tuple[list, list]:
    """(patients' concept explanation per run, run-1 cohort rows' concept explanation) of one explainer;
    ``computed``: the explanations of :func:`concept_requests`, when already made."""
    concepts = concepts_of(cohort.features, cohort.dictionary)
    if concept_algorithm(key.method, key.family) == "sum":
        pats = [sum_to_concepts(e, concepts) for e in exp.patients[key]]
        return pats, sum_to_concepts(exp.cohort[key][0], concepts)
    if computed is None:
        explainer = explain_concepts if store is None else partial(cached_explain_concepts, store=store)
        computed = [explainer(*args, **kw) for args, kw in concept_requests(cohort, key, trained, rows, settings, plan)]
    pats = [e.rows_for_ids(rows.patient_rows[key]) for e in computed]
    return pats, computed[0].rows_for_ids(rows.cohort_rows[key])


def start_concepts(cohort, keys, trained, rows, settings, plan, workers=None):
    """A :class:`~risklens.study.workers.Pending` of {key: [concept explanation per run]} for the Shapley methods
    (handed to ``workers`` now; in this process when the result is asked for if there are none)."""
    from risklens.study.workers import Pending, start_map

    requests = {key: concept_requests(cohort, key, trained, rows, settings, plan) for key in keys}
    flat = [(key, req) for key, reqs in requests.items() for req in reqs]
    pending = start_map(workers, explain_concepts, [args for _, (args, _) in flat], [kw for _, (_, kw) in flat])

    def collect(progress):
        out: dict = {}
        for (key, _), (e, _) in zip(flat, pending.result(progress)):
            out.setdefault(key, []).append(e)
        return out

    return Pending(collect)


def concept_stage(cohort, keys, trained, exp: Explained, rows, settings, plan, store=None,
                  computed=None) -> tuple[list, list, list]:
    """(concept Table 1 entries, concept trigger concordance records, notes). ``computed``: the result of
    :func:`start_concepts` when the concept permutations were handed out earlier (else computed here, through
    ``store`` when one is given)."""
    concepts = concepts_of(cohort.features, cohort.dictionary)
    cdict = concept_dictionary(cohort.dictionary, concepts)
    judged = SimpleNamespace(X=cohort.X, trigger=cohort.trigger, dictionary=cdict, name=cohort.name)
    t1, conc = [], []
    for key in keys:
        pats, coh = concept_runs(cohort, key, trained, exp, rows, settings, plan, store, (computed or {}).get(key))
        t1 += table1(key, coh, cdict, 5)
        if cohort.has_trigger:
            conc.append(trigger_record(key, pats, judged))
    notes = [f"concept level: {len(concepts.names)} concepts from the dictionary's groups"]
    return t1, conc, notes
