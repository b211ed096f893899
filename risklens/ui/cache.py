"""Cached access to risklens for the pages: models and frames are computed once per key.

``st.cache_resource`` holds read-only objects (cohorts, models, explanations, patient indexes);
arguments starting with ``_`` are not hashed, so every function takes an explicit key (model id,
cohort hash) beside the object it caches on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.explain.base import Explanation
from risklens.explain.registry import BACKGROUND_ROWS
from risklens.modeling.model import RiskModel
from risklens.patients.index import PatientIndex, build_patient_index
from risklens.settings import store_root

def is_fast(family: str, method: str) -> bool:
    """Fast enough to explain every held-out row (the method registry's cost on this family)."""
    from risklens.explain import method as spec

    return spec(method).is_fast(family)


def default_rows(family: str, method: str) -> int | None:
    """Rows explained by default on the Cohort explanations page (None = every held-out row)."""
    from risklens.explain import method as spec

    return spec(method).rows_for(family)


@st.cache_resource(show_spinner="Loading the cohort ...", max_entries=8)
def builtin_cohort(name: str, n: int | None = None, seed: int = 0, preset: str | None = None,
                   stays: bool = False) -> Cohort:
    from risklens.cohorts import load_builtin

    return load_builtin(name, n=n, seed=seed, preset=preset, stays=stays)


@st.cache_resource(show_spinner="Loading the model ...", max_entries=32)
def load_model_dir(path: str, stamp: float = 0.0) -> RiskModel:
    """``stamp`` (the card's mtime) makes a re-saved model reload."""
    from risklens.modeling import load_model

    return load_model(Path(path))


def model_stamp(path: str | Path) -> float:
    p = Path(path)
    for name in ("card.json",):
        if (p / name).exists():
            return (p / name).stat().st_mtime
    return p.stat().st_mtime if p.exists() else 0.0


def load_model(path: str | Path) -> RiskModel:
    return load_model_dir(str(Path(path).resolve()), model_stamp(path))


@st.cache_resource(show_spinner=False, max_entries=32)
def _held_out(model_id: str, cohort_hash: str, _model: RiskModel, _cohort: Cohort) -> np.ndarray:
    from risklens.modeling.split import held_out_positions

    return held_out_positions(_model, _cohort)


def held_out(model: RiskModel, cohort: Cohort) -> np.ndarray:
    """The model's held-out rows of ``cohort`` (:func:`risklens.modeling.split.held_out_positions`), cached."""
    return _held_out(model.model_id, cohort.hash, model, cohort)


@st.cache_resource(show_spinner="Scoring the cohort ...", max_entries=32)
def predictions(model_id: str, cohort_hash: str, _model: RiskModel, _cohort: Cohort) -> np.ndarray:
    return np.asarray(_model.predict_proba(_cohort.X), dtype=np.float64)


@st.cache_resource(show_spinner=False, max_entries=32)
def background_rows(model_id: str, cohort_hash: str, _model: RiskModel, _cohort: Cohort,
                    size: int = BACKGROUND_ROWS) -> pd.DataFrame:
    """A seeded sample of ``size`` of the model's training rows (a method spec's ``background_rows``): the reference
    data of methods that need a background."""
    train = np.setdiff1d(np.arange(_cohort.n), held_out(_model, _cohort))
    if len(train) > size:
        train = np.sort(np.random.default_rng(0).choice(train, size=size, replace=False))
    return _cohort.X.iloc[train][_model.feature_names]


def prepared(model: RiskModel, cohort: Cohort, X: pd.DataFrame, method: str, seed: int = 0):
    """The checked call of ``method`` on rows ``X``: the training background goes to the methods that need one
    (the registry decides; the sample is drawn only then)."""
    from risklens.explain import method as spec, prepare

    size = spec(method).background_rows
    return prepare(model, X[model.feature_names], method, seed=seed,
                   background=lambda: background_rows(model.model_id, cohort.hash, model, cohort, size))


def background_params(model: RiskModel, cohort: Cohort, method: str) -> dict:
    """``{"background": the training sample}`` for a method that needs one on this model (the registry decides), else {}."""
    from risklens.explain import method as spec

    if not spec(method).needs_background(model.family):
        return {}
    return {"background": background_rows(model.model_id, cohort.hash, model, cohort, spec(method).background_rows)}


def explain_rows(model: RiskModel, cohort: Cohort, method: str, seed: int = 0, max_rows: int | None = None) -> Explanation:
    return cohort_explanation(model.model_id, cohort.hash, method, int(seed), max_rows, model, cohort)


@st.cache_resource(show_spinner="Explaining held-out patients ...", max_entries=64)
def cohort_explanation(model_id: str, cohort_hash: str, method: str, seed: int, max_rows: int | None,
                       _model: RiskModel, _cohort: Cohort) -> Explanation:
    """Explanation of the held-out rows (all of them for fast methods, else a seeded sample)."""
    pos = held_out(_model, _cohort)
    limit = max_rows if max_rows is not None else default_rows(_model.family, method)
    if limit is not None and len(pos) > limit:
        pos = np.sort(np.random.default_rng(seed).choice(pos, size=limit, replace=False))
    return _stored_explain(prepared(_model, _cohort, _cohort.X.iloc[pos], method, seed))


def _stored_explain(call) -> Explanation:
    from risklens.explain import ExplanationStore, run_cached

    try:
        store = ExplanationStore(store_root())
    except Exception:  # a read-only home still works, without the disk store
        store = None
    return run_cached(call, store) if store is not None else call.run()


@st.cache_resource(show_spinner="Preparing the worklist ...", max_entries=16)
def patient_index(model_id: str, cohort_hash: str, method: str, _model: RiskModel, _cohort: Cohort) -> PatientIndex:
    pos = held_out(_model, _cohort)
    expl = cohort_explanation(model_id, cohort_hash, method, 0, len(pos), _model, _cohort) if is_fast(_model.family, method) else None
    risk = predictions(model_id, cohort_hash, _model, _cohort)[pos]
    trig = None if _cohort.trigger is None else _cohort.trigger[pos]
    return build_patient_index(_cohort.ids[pos], risk, _cohort.y[pos], trig, _cohort.X.iloc[pos], expl,
                               feature_names=list(_model.feature_names))


@st.cache_resource(show_spinner=False, max_entries=5000)
def row_explanation(model_id: str, row_id: str, method: str, seed: int, _model: RiskModel, _row: pd.DataFrame,
                    _cohort: Cohort) -> Explanation:
    """One patient's explanation by a (slow, per-patient) method, e.g. LIME (training rows as background)."""
    return prepared(_model, _cohort, _row, method, seed).run()


@st.cache_resource(show_spinner="Running the sanity check on this model ...", max_entries=32)
def model_sanity(model_id: str, cohort_hash: str, method: str, _model: RiskModel, _cohort: Cohort):
    """The sanity check of ``method`` on this model (risklens.patients.trust.model_sanity), once per model."""
    from risklens.patients.trust import model_sanity as check

    return check(_model, _cohort, method, background_params(_model, _cohort, method), held_out(_model, _cohort))


@st.cache_resource(show_spinner=False, max_entries=1000)
def patient_sensitivity(model_id: str, cohort_hash: str, row_id: str, method: str, _model: RiskModel,
                        _cohort: Cohort) -> float:
    """Max-sensitivity of one patient's explanation (feature scale: std of the model's training rows)."""
    from risklens.patients.trust import patient_sensitivity as measure

    train = np.setdiff1d(np.arange(_cohort.n), held_out(_model, _cohort))
    scale = np.nanstd(_cohort.X.iloc[train][_model.feature_names].to_numpy(np.float64), axis=0)
    return measure(_model, _cohort.X.loc[[str(row_id)]], method, background_params(_model, _cohort, method), scale)


def what_if(model: RiskModel, cohort: Cohort, row: pd.DataFrame, method: str) -> tuple[float, Explanation]:
    """Risk and explanation of an edited copy of one patient's row (not cached: values change)."""
    return float(model.predict_proba(row)[0]), prepared(model, cohort, row, method).run()


@st.cache_data(show_spinner=False, max_entries=16)
def importance_by_group(model_id: str, cohort_hash: str, method: str, column: str, rows: int | None, grouped: bool,
                        _values: np.ndarray, _labels: np.ndarray, _names: tuple) -> pd.DataFrame:
    """Mean |attribution| per feature (rows) for each subgroup label (columns)."""
    frame = pd.DataFrame(np.abs(_values), columns=list(_names))
    frame["__g"] = _labels
    return frame.groupby("__g", sort=True).mean().T


@st.cache_resource(show_spinner=False, max_entries=64)
def words(model_id: str, dictionary_hash: str, _dictionary, _contract):
    """The dictionary reading a model's text columns as words (risklens.modeling.encoded.words_dictionary)."""
    from risklens.modeling.encoded import words_dictionary

    return words_dictionary(_dictionary, _contract)


def words_for(model: RiskModel, cohort: Cohort):
    """The cohort's dictionary reading the model's text columns as words ("Sex = F", "not recorded")."""
    return words(model.model_id, cohort.dictionary.hash, cohort.dictionary, model.contract)


@st.cache_resource(show_spinner=False, max_entries=64)
def shown_explanation(model_id: str, cohort_hash: str, method: str, rows: int | None, grouped: bool,
                      _expl: Explanation, _contract) -> Explanation:
    """The cohort explanation as the page shows it: ``grouped`` = one column per original column (a category's
    0/1 columns summed, its data the level code), else the model's own columns."""
    if not grouped or _contract is None:
        return _expl
    from risklens.modeling.encoded import group_onehot

    return group_onehot(_expl, _contract)


def report_html(report) -> str:
    """The evaluation report as one self-contained HTML page (risklens.study.report.to_html)."""
    from risklens.study.report import to_html

    return to_html(report)


def patient_card_html(view, model, cohort, threshold: float, expl: Explanation, certainty: str | None = None,
                      alpha: float | None = None, trust=None) -> str:
    """The patient card of risklens.study.card (risk, how sure, top contributions per original column, provenance,
    and the "can I trust this explanation?" lines when ``trust`` is given) with the plain-language summary added."""
    import html as _html

    from risklens.study.card import patient_card_html as card_fn

    from risklens.modeling.encoded import group_onehot

    expl = group_onehot(expl, model.contract)  # one bar per original column, its level in words ("Sex = F")
    card = card_fn(expl, view.id, dictionary=words_for(model, cohort), model=model, data_hash=cohort.hash,
                   risk=view.risk, threshold=threshold, certainty=certainty, alpha=alpha, trust=trust)
    extra = f"<p>{_html.escape(view.summary)}</p>"
    head, sep, tail = card.partition("</h1>")
    return head + sep + extra + tail if sep else card


# ---- cached views of the Cohort explanations page (a repeat visit draws from here) --------------
@st.cache_resource(show_spinner=False, max_entries=64)
def global_figures(model_id: str, analysis_key: str, method: str, rows: int | None, top: int, _expl: Explanation,
                   _dictionary, grouped: bool = False) -> dict:
    """Importance bar and beeswarm of one cohort explanation (as :func:`shown_explanation` gives it, ``grouped``
    naming which), built once per model + data and dictionary (``Cohort.analysis_key``: an edited label draws
    anew) + method + size."""
    from risklens import plots

    return {"bar": plots.importance_bar(_expl, _dictionary, top=top, title="Global importance"),
            "bee": plots.beeswarm_figure(_expl, _dictionary, top=top)}


@st.cache_resource(show_spinner=False, max_entries=128)
def dependence_fig(model_id: str, analysis_key: str, method: str, rows: int | None, feature: str, colour: str | None,
                   _expl: Explanation, _dictionary, grouped: bool = False):
    from risklens import plots

    return plots.dependence_figure(_expl, feature, colour, _dictionary)


@st.cache_resource(show_spinner="Computing partial dependence ...", max_entries=128)
def pdp_curves(model_id: str, cohort_hash: str, feature: str, _model: RiskModel, _cohort: Cohort) -> dict:
    """Partial dependence + ICE of one original column over a seeded sample of held-out rows (a number: sklearn's
    partial_dependence; a text column: one point per level)."""
    from risklens.patients.pdp import partial_dependence_curves

    pos = held_out(_model, _cohort)
    return partial_dependence_curves(_model, _cohort.X.iloc[pos], feature, n_rows=300, seed=0,
                                     contract=_model.contract)


def prepare_patients(model: RiskModel, cohort: Cohort, method: str) -> None:
    """Warm what a patient switch needs (scores, the stored explanation, the index, the second method's background)."""
    from risklens.explain import method as spec, patient_methods

    patient_index(model.model_id, cohort.hash, method, model, cohort)
    second = patient_methods(model.family)[1]
    if second is not None and spec(second).needs_background(model.family):
        background_rows(model.model_id, cohort.hash, model, cohort, spec(second).background_rows)


@st.cache_resource(show_spinner="Opening the scored worklist ...", max_entries=4)
def scored_worklist(path: str, stamp: float):
    """The scored cohort at ``path`` (a :class:`risklens.patients.worklist.ScoredWorklist`); ``stamp`` (its
    manifest's mtime) makes a rewritten folder reopen."""
    from risklens.patients.worklist import open_worklist

    return open_worklist(path)


@st.cache_data(show_spinner=False, max_entries=256)
def worklist_page(key: str, threshold: float, filters: tuple, page: int, page_size: int, _worklist) -> tuple:
    """(matching patients, one page of rows) of a scored worklist; ``filters`` = the fields of
    :class:`risklens.patients.worklist.WorklistFilters` in order."""
    from risklens.patients.worklist import WorklistFilters

    return _worklist.page(threshold, WorklistFilters(*filters), page, page_size)


@st.cache_data(show_spinner=False, max_entries=512)
def worklist_row(key: str, patient_id: str, _worklist) -> pd.DataFrame:
    """One patient's row of a scored worklist (read from its Parquet file once per patient)."""
    return _worklist.row(patient_id)
