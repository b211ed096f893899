"""Concept-level attributions for the pages: cached group Shapley explanations, the concept dictionary, the note.

The computing is :mod:`risklens.explain.concepts`; this module caches it per model, data, dictionary and method
and draws the shared toggle and note (how group Shapley differs from summing feature values).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.explain.base import Explanation
from risklens.explain.concepts import (CONCEPT_ALGORITHMS, concept_dictionary, concept_gap, concepts_of,
                                       sum_to_concepts)
from risklens.modeling.model import RiskModel
from risklens.settings import store_root
from risklens.ui import cache

NOTE = ("A concept (a vital sign's summaries, a text column's categories, or one feature on its own) is one player "
        "of the same game as the feature-level method: its group Shapley value credits every interaction between "
        "concepts equally to each concept involved. Adding up the features' own values instead gives a concept a "
        "share in proportion to its number of features, so the two differ only through interactions that reach "
        "across concepts; the sum is exact for additive models (linear, coefficients) and a fair stand-in where "
        "the gap below is small. Concepts come from the 'group' column of the feature dictionary (Data page).")


def toggle(key: str) -> bool:
    return st.toggle("One bar per clinical concept (group Shapley)", key=key, help=NOTE)


def concepts_for(model: RiskModel, cohort: Cohort):
    return concepts_of(model.feature_names, cohort.dictionary)


@st.cache_resource(show_spinner=False, max_entries=32)
def dictionary_for(model_id: str, analysis_key: str, _model: RiskModel, _cohort: Cohort):
    """The concepts as a dictionary (labels, kinds) for the plots and concordance."""
    return concept_dictionary(_cohort.dictionary, concepts_for(_model, _cohort))


@st.cache_resource(show_spinner="Computing concept attributions ...", max_entries=64)
def _concepts_of_rows(model_id: str, analysis_key: str, method: str, seed: int, ids: tuple, _model: RiskModel,
                      _cohort: Cohort) -> Explanation:
    from risklens.explain import ExplanationStore
    from risklens.explain.concepts import cached_explain_concepts

    X = _cohort.X.loc[list(ids)][_model.feature_names]
    try:
        store = ExplanationStore(store_root())
    except Exception:  # a read-only home still works, without the disk store
        store = None
    return cached_explain_concepts(_model, X, method, _cohort.dictionary, seed=seed, store=store,
                                   **cache.background_params(_model, _cohort, method))


@st.cache_resource(show_spinner="Explaining held-out patients by concept ...", max_entries=16)
def held_out_concepts(model_id: str, analysis_key: str, method: str, _model: RiskModel, _cohort: Cohort) -> Explanation:
    """Concept attributions of every held-out row (fast, exact methods only): computed once, sliced per patient."""
    pos = cache.held_out(_model, _cohort)
    return _concepts_of_rows(model_id, analysis_key, method, 0, tuple(str(i) for i in _cohort.ids[pos]), _model, _cohort)


def rows_concepts(model: RiskModel, cohort: Cohort, method: str, ids) -> Explanation:
    """Concept attributions of these rows: a slice of the held-out rows' for fast methods, else computed for them."""
    if cache.is_fast(model.family, method):
        everyone = held_out_concepts(model.model_id, cohort.analysis_key, method, model, cohort)
        known = set(map(str, everyone.ids))
        if all(str(i) in known for i in ids):
            return everyone.rows_for_ids([str(i) for i in ids])
    return _concepts_of_rows(model.model_id, cohort.analysis_key, method, 0, tuple(str(i) for i in ids), model, cohort)


def explain_like(model: RiskModel, cohort: Cohort, feature_expl: Explanation, seed: int = 0) -> Explanation:
    """Concept attributions of the same rows (and method) as a feature-level explanation."""
    return _concepts_of_rows(model.model_id, cohort.analysis_key, feature_expl.method, int(seed),
                             tuple(str(i) for i in feature_expl.ids), model, cohort)


def gap_caption(model: RiskModel, cohort: Cohort, group: Explanation, feature_expl: Explanation) -> str:
    """One sentence: how the values were computed and how far the plain sum of feature values is from them."""
    algo = group.params.get("concept_algorithm", "sum")
    text = f"Concept values: {CONCEPT_ALGORITHMS.get(algo, algo)}."
    if algo == "sum":
        return text
    summed = sum_to_concepts(feature_expl.rows_for_ids(list(group.ids)), concepts_for(model, cohort))
    gap = concept_gap(group, summed)
    return (text + f" The sum of feature values differs from the group value by at most {100 * np.median(gap):.1f}% "
            f"of the patient's total attribution in the median patient ({100 * np.max(gap):.1f}% at most).")


def cohort_figures(model: RiskModel, cohort: Cohort, method: str, rows, top: int, feature_expl: Explanation):
    """(concept explanation, concept dictionary, figures) of the Cohort explanations page."""
    group = explain_like(model, cohort, feature_expl)
    d = dictionary_for(model.model_id, cohort.analysis_key, model, cohort)
    figs = cache.global_figures(model.model_id, cohort.hash, f"{method}@concepts:{cohort.dictionary.hash[:16]}", rows,
                                top, group, d)
    st.caption(NOTE)
    st.caption(gap_caption(model, cohort, group, feature_expl))
    return group, d, figs


def patient_waterfall(model: RiskModel, cohort: Cohort, feature_row: Explanation) -> bool:
    """The Patients page's waterfall by concept when its toggle is on (then True), each concept expandable."""
    from risklens.plots.concepts import concept_waterfall_figure

    if not st.toggle("By clinical concept", key="pt_concepts", help=NOTE):
        return False
    group = rows_concepts(model, cohort, feature_row.method, list(feature_row.ids))
    d = dictionary_for(model.model_id, cohort.analysis_key, model, cohort)
    members = group.params.get("concepts", {})
    order = np.argsort(-np.abs(group.values[0]), kind="stable")
    options = [group.feature_names[j] for j in order if len(members.get(group.feature_names[j], [])) > 1]
    expanded = st.multiselect("Expand a concept to its features", options, key=f"pt_expand_{group.ids[0]}",
                              format_func=d.label)
    st.plotly_chart(concept_waterfall_figure(group, feature_row, d, cohort.dictionary, expanded), key="pt_concept_wf")
    st.caption(gap_caption(model, cohort, group, feature_row))
    return True
