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
from risklens.modeling.model import RiskModel
from risklens.patients.index import PatientIndex, build_patient_index
from risklens.settings import store_root

#: methods that are fast enough to explain every held-out row; others are run on a seeded sample
FAST = {("xgboost", "shap"), ("l1-logistic", "shap"), ("l1-logistic", "coef"), ("mlp", "dtd")}
SAMPLE_ROWS = 100
#: default sample for the slowest method (permutation SHAP on the MLP: seconds per patient)
SLOW_SAMPLE = {("mlp", "shap"): 20}


def is_fast(family: str, method: str) -> bool:
    return (family, method) in FAST


def default_rows(family: str, method: str) -> int | None:
    """Rows explained by default on the Cohort explanations page (None = every held-out row)."""
    if is_fast(family, method):
        return None
    return SLOW_SAMPLE.get((family, method), SAMPLE_ROWS)


@st.cache_resource(show_spinner="Loading the cohort ...", max_entries=8)
def builtin_cohort(name: str, n: int | None = None, seed: int = 0, preset: str | None = None) -> Cohort:
    from risklens.cohorts import load_builtin

    return load_builtin(name, n=n, seed=seed, preset=preset)


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


def split_of(model: RiskModel) -> tuple[float, int]:
    card = model.card or {}
    src = card.get("split") if isinstance(card.get("split"), dict) else card
    return float(src.get("test_size", 0.3)), int(src.get("split_seed", 0))


@st.cache_resource(show_spinner=False, max_entries=32)
def test_positions(cohort_hash: str, test_size: float, split_seed: int, _cohort: Cohort) -> np.ndarray:
    from risklens.modeling import split_cohort

    return np.asarray(split_cohort(_cohort, test_size=test_size, seed=split_seed)[1])


def held_out(model: RiskModel, cohort: Cohort) -> np.ndarray:
    test_size, split_seed = split_of(model)
    return test_positions(cohort.hash, test_size, split_seed, cohort)


@st.cache_resource(show_spinner="Scoring the cohort ...", max_entries=32)
def predictions(model_id: str, cohort_hash: str, _model: RiskModel, _cohort: Cohort) -> np.ndarray:
    return np.asarray(_model.predict_proba(_cohort.X), dtype=np.float64)


BACKGROUND_ROWS = 500


@st.cache_resource(show_spinner=False, max_entries=32)
def background_rows(model_id: str, cohort_hash: str, _model: RiskModel, _cohort: Cohort) -> pd.DataFrame:
    """A seeded sample of the model's training rows: the reference data of LIME and permutation SHAP."""
    train = np.setdiff1d(np.arange(_cohort.n), held_out(_model, _cohort))
    if len(train) > BACKGROUND_ROWS:
        train = np.sort(np.random.default_rng(0).choice(train, size=BACKGROUND_ROWS, replace=False))
    return _cohort.X.iloc[train][_model.feature_names]


def method_params(model: RiskModel, cohort: Cohort, method: str) -> dict:
    """Parameters the dashboard passes to a method: training background for sampling methods."""
    if method in ("lime", "lime-ref"):
        return {"background": background_rows(model.model_id, cohort.hash, model, cohort)}
    if method == "shap" and model.family == "mlp":  # the method's own budget (the registry's defaults)
        return {"background": background_rows(model.model_id, cohort.hash, model, cohort)}
    return {}


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
    X = _cohort.X.iloc[pos][_model.feature_names]
    return _stored_explain(_model, X, method, seed, **method_params(_model, _cohort, method))


def _stored_explain(model: RiskModel, X: pd.DataFrame, method: str, seed: int, **params) -> Explanation:
    from risklens.explain import ExplanationStore, cached_explain

    try:
        store = ExplanationStore(store_root())
    except Exception:  # a read-only home still works, without the disk store
        store = None
    return cached_explain(model, X, method, seed=seed, store=store, **params)


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
    from risklens.explain import explain

    return explain(_model, _row[_model.feature_names], method, seed=seed, **method_params(_model, _cohort, method))


def what_if(model: RiskModel, cohort: Cohort, row: pd.DataFrame, method: str) -> tuple[float, Explanation]:
    """Risk and explanation of an edited copy of one patient's row (not cached: values change)."""
    from risklens.explain import explain

    return float(model.predict_proba(row)[0]), explain(model, row[model.feature_names], method, seed=0,
                                                       **method_params(model, cohort, method))


@st.cache_data(show_spinner=False, max_entries=16)
def importance_by_group(model_id: str, cohort_hash: str, method: str, column: str, _values: np.ndarray,
                        _labels: np.ndarray, _names: tuple) -> pd.DataFrame:
    """Mean |attribution| per feature (rows) for each subgroup label (columns)."""
    frame = pd.DataFrame(np.abs(_values), columns=list(_names))
    frame["__g"] = _labels
    return frame.groupby("__g", sort=True).mean().T


def report_html(report) -> str:
    """The evaluation report as one self-contained HTML page (risklens.study.report.to_html)."""
    from risklens.study.report import to_html

    return to_html(report)


def patient_card_html(view, model, cohort, threshold: float, expl: Explanation, certainty: str | None = None,
                      alpha: float | None = None) -> str:
    """The patient card of risklens.study.card (risk, how sure, top contributions, provenance) with the
    plain-language summary added."""
    import html as _html

    from risklens.study.card import patient_card_html as card_fn

    card = card_fn(expl, view.id, dictionary=cohort.dictionary, model=model, data_hash=cohort.hash,
                   risk=view.risk, threshold=threshold, certainty=certainty, alpha=alpha)
    extra = f"<p>{_html.escape(view.summary)}</p>"
    head, sep, tail = card.partition("</h1>")
    return head + sep + extra + tail if sep else card


# ---- cached views of the Cohort explanations page (a repeat visit draws from here) --------------
@st.cache_resource(show_spinner=False, max_entries=64)
def global_figures(model_id: str, cohort_hash: str, method: str, rows: int | None, top: int, _expl: Explanation,
                   _dictionary, grouped: bool = False, _contract=None) -> dict:
    """Importance bar and beeswarm of one cohort explanation, built once per model + data + method + size;
    ``grouped``: a category's one-hot columns summed per original column (its attributions add up)."""
    from risklens import plots

    if grouped and _contract is not None:
        from risklens.modeling.contract import group_onehot

        _expl = group_onehot(_expl, _contract, _dictionary)
    return {"bar": plots.importance_bar(_expl, _dictionary, top=top, title="Global importance"),
            "bee": plots.beeswarm_figure(_expl, _dictionary, top=top)}


@st.cache_resource(show_spinner=False, max_entries=128)
def dependence_fig(model_id: str, cohort_hash: str, method: str, rows: int | None, feature: str, colour: str | None,
                   _expl: Explanation, _dictionary):
    from risklens import plots

    return plots.dependence_figure(_expl, feature, colour, _dictionary)


@st.cache_resource(show_spinner="Computing partial dependence ...", max_entries=128)
def pdp_curves(model_id: str, cohort_hash: str, feature: str, _model: RiskModel, _cohort: Cohort) -> dict:
    """Partial dependence + ICE of one feature over a seeded sample of held-out rows (sklearn's partial_dependence)."""
    from risklens.patients.pdp import partial_dependence_curves

    pos = held_out(_model, _cohort)
    return partial_dependence_curves(_model, _cohort.X.iloc[pos], feature, n_rows=300, seed=0)


def prepare_patients(model: RiskModel, cohort: Cohort, method: str) -> None:
    """Warm what a patient switch needs (scores, the stored explanation, the index, the LIME background)."""
    patient_index(model.model_id, cohort.hash, method, model, cohort)
    background_rows(model.model_id, cohort.hash, model, cohort)


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
