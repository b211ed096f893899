"""Session state: the active cohort, the models in use for it, thresholds, the selected patient."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.modeling.model import RiskModel

K_COHORT = "rl_cohort"
K_MODELS = "rl_models"  # cohort hash -> list of model directories
K_THRESHOLD = "rl_threshold"  # model id -> alert threshold
K_PATIENT = "rl_patient"  # THE selected patient id: dropdown, worklist row click and deep link all write here
K_LINK_WRITTEN = "rl_patient_link"  # the ?patient= value the Patients page itself last wrote
K_EVAL = "rl_eval"  # evaluation results by key
K_UPLOAD_ERROR = "rl_upload_error"
K_COHORT_LINK = "rl_cohort_link"  # the stored-upload id of the active cohort (None for a built-in one)
K_URL_SEEN = "rl_url_seen"  # ?cohort= / ?model= values this session handled or wrote itself (not a new link)
K_CHOICE = "rl_model_choice"  # THE selected model id: every page's picker, training, import, loading and links
K_TRAINED = "model_trained_message"  # a message the Model page shows once after its rerun
K_DICT_DONE = "dict_applied_message"  # a message the Data page shows once after applying a dictionary
K_ALPHA = "rl_conformal_alpha"  # the conformal error rate chosen on the Model page
K_KEEP_ERROR = "rl_upload_keep_error"  # why an upload in use could not be kept
K_MAPPED_FILE = "map_file"  # the file whose column mapping the Data page shows
K_ROLES = "_risklens_roles"  # the signed-in user's roles
K_LOGGED = "_risklens_login_recorded"  # the login was audited
K_ENTERED = "_risklens_entered"  # app.py ran in this session
K_RETURN_TO = "_risklens_return_to"  # a page URL opened before app.py had run
K_LAST_VIEW = "_risklens_audit_last_view"  # the last page view audited


def active_cohort() -> Cohort:
    cohort = st.session_state.get(K_COHORT)
    if cohort is None:
        from risklens.demo import demo_cohort

        cohort = demo_cohort()
        st.session_state[K_COHORT] = cohort
    return cohort


def set_cohort(cohort: Cohort, link: str | None = None) -> None:
    """Make ``cohort`` active; ``link`` is its stored-upload id (what ``?cohort=`` names), None for a built-in.
    The same data with a new dictionary keeps its link, selected model and patient."""
    old = st.session_state.get(K_COHORT)
    same_data = old is not None and old.hash == cohort.hash
    st.session_state[K_COHORT] = cohort
    if not same_data:
        st.session_state[K_COHORT_LINK] = link
        st.session_state.pop(K_PATIENT, None)
        st.session_state.pop(K_CHOICE, None)
    elif link is not None:
        st.session_state[K_COHORT_LINK] = link
    write_url()


def cohort_link() -> str | None:
    """The stored-upload id of the active cohort, or None (a built-in cohort, or an upload not kept)."""
    return st.session_state.get(K_COHORT_LINK)


def is_demo(cohort: Cohort) -> bool:
    from risklens.demo import demo_cohort

    try:
        return cohort.hash == demo_cohort().hash
    except Exception:
        return False


def model_paths(cohort: Cohort) -> list[str]:
    table = st.session_state.setdefault(K_MODELS, {})
    if cohort.hash not in table:
        from risklens.demo import demo_paths

        if is_demo(cohort):
            table[cohort.hash] = demo_paths()
        else:  # models saved earlier for exactly this data
            from risklens.modeling.catalog import store_table
            from risklens.settings import models_root

            saved = store_table(models_root(), cohort)
            table[cohort.hash] = [str(p) for p in saved.loc[saved["same data"], "path"]] if len(saved) else []
    return [p for p in table[cohort.hash] if Path(p).exists()]


def add_model_path(cohort: Cohort, path: str | Path) -> None:
    table = st.session_state.setdefault(K_MODELS, {})
    paths = table.setdefault(cohort.hash, [])
    p = str(Path(path).resolve())
    if p not in paths:
        paths.append(p)


def active_models(cohort: Cohort) -> list[RiskModel]:
    from risklens.ui.cache import load_model

    models = []
    for p in model_paths(cohort):
        m = load_model(p)
        if list(m.feature_names) == list(cohort.features) or set(m.feature_names) <= set(cohort.features):
            models.append(m)
    return models


def chosen_model() -> str | None:
    return st.session_state.get(K_CHOICE)


def choose_model(model_id: str) -> None:
    """Make ``model_id`` the selected model on every page (the pickers follow it on their next draw)."""
    st.session_state[K_CHOICE] = str(model_id)


def url_seen() -> dict:
    return st.session_state.setdefault(K_URL_SEEN, {})


def write_url(model_id: str | None = None) -> None:
    """Put the active cohort's upload id and the chosen model in the URL (removed when there is none), so a
    reload or a copied link names them (:mod:`risklens.ui.links` reads them back)."""
    seen = url_seen()
    values = {"cohort": cohort_link(), "model": model_id or chosen_model()}
    for key, value in values.items():
        if value:
            seen[key] = value
            if st.query_params.get(key) != value:
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


def threshold(model: RiskModel) -> float:
    table = st.session_state.setdefault(K_THRESHOLD, {})
    if model.model_id not in table:
        table[model.model_id] = float((model.metrics or {}).get("threshold", 0.5))
    return float(table[model.model_id])


def set_threshold(model: RiskModel, value: float) -> None:
    st.session_state.setdefault(K_THRESHOLD, {})[model.model_id] = float(value)


# ---- the selected patient: one key, three ways in ----------------------------------------------
def selected_patient() -> str | None:
    pid = st.session_state.get(K_PATIENT)
    return None if pid is None else str(pid)


def select_patient(patient_id) -> None:
    st.session_state[K_PATIENT] = str(patient_id)


def read_deep_link(is_known) -> str | None:
    """Apply ``?patient=ID`` when it differs from what the page itself last wrote (a new link, not our echo).

    A known id becomes the selected patient; an unknown one is returned (for a plain-text message) and
    the selection is left alone. Returns None when there is nothing to report."""
    linked = st.query_params.get("patient")
    if not linked or linked == st.session_state.get(K_LINK_WRITTEN):
        return None
    st.session_state[K_LINK_WRITTEN] = linked  # handled once, whatever it named
    if is_known(linked):
        select_patient(linked)
        return None
    return linked


def write_deep_link(patient_id: str) -> None:
    """Put the shown patient in the URL (shareable), remembering that this value is our own echo."""
    patient_id = str(patient_id)
    st.session_state[K_LINK_WRITTEN] = patient_id
    if st.query_params.get("patient") != patient_id:
        st.query_params["patient"] = patient_id


def dictionary_editor_key(cohort: Cohort) -> str:
    """Widget key of the Data page's dictionary editor. It changes with the applied dictionary, so after
    an apply the editor starts from the active dictionary (no stale cell edits replayed on top of it)."""
    digest = hashlib.sha256(cohort.dictionary.subset(cohort.features).to_csv().encode()).hexdigest()
    return f"dict_editor_{cohort.hash[:8]}_{digest[:8]}"
