"""The stay on the Patients page: risk window by window, alerts and the event, the top concept, what changed.

Shown when the cohort is made of stays (:func:`risklens.cohorts.stays.has_stays`). The deep link
``?patient=STAY&t=H`` opens the window of that stay ``H`` hours after its first window (the last window at or
before ``H``); the page writes ``t`` back as the shown window changes.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.cohorts.stays import has_stays
from risklens.modeling.model import RiskModel
from risklens.patients.stay import StayTimeline, stay_timeline
from risklens.plots.stay import change_figure, stay_figure
from risklens.safety import md_escape
from risklens.ui import cache, state
from risklens.ui import concepts as ui_concepts


def _stay_rows(cohort: Cohort, stay: str):
    extra = cohort.extra
    rows = extra.index[extra["stay"].astype(str).to_numpy() == str(stay)]
    hours = extra.loc[rows, "hour"].to_numpy(dtype=np.float64)
    order = np.argsort(hours, kind="stable")
    return [str(r) for r in rows[order]], hours[order]


def apply_stay_link(cohort: Cohort, index) -> None:
    """Turn ``?patient=STAY&t=H`` into the window it names, before the page reads its deep link."""
    if not has_stays(cohort):
        return
    linked, t = st.query_params.get("patient"), st.query_params.get("t")
    if not linked or t is None or linked in index.pos:
        return
    try:
        wanted = float(t)
    except ValueError:
        return  # the page reports the unknown patient as it is
    ids, hours = _stay_rows(cohort, linked)
    if not ids or not np.isfinite(wanted):
        return
    since = hours - hours[0]
    k = int(np.searchsorted(since, wanted + 1e-9, side="right") - 1)
    st.query_params["patient"] = ids[max(k, 0)]


@st.cache_resource(show_spinner="Explaining the stay ...", max_entries=256)
def _timeline(model_id: str, analysis_key: str, stay: str, method: str, threshold: float, _model: RiskModel,
              _cohort: Cohort) -> StayTimeline:
    ids, hours = _stay_rows(_cohort, stay)
    pos = _cohort.X.index.get_indexer(ids)
    risk = cache.predictions(model_id, _cohort.hash, _model, _cohort)[pos]
    group = ui_concepts.rows_concepts(_model, _cohort, method, ids)
    d = ui_concepts.dictionary_for(model_id, analysis_key, _model, _cohort)
    event = _cohort.extra.loc[ids[0], "event_hour"]
    return stay_timeline(stay, ids, hours, risk, _cohort.y[pos], group, threshold, float(event),
                         labels={n: d.label(n) for n in group.feature_names})


def stay_section(model: RiskModel, cohort: Cohort, patient_id: str, method: str, threshold: float) -> None:
    """The stay of the shown window: its risk through the stay and what changed since the previous window."""
    if not has_stays(cohort) or patient_id not in cohort.extra.index:
        return
    st.subheader("The stay, window by window")
    if not st.toggle("Show the stay, window by window", value=True, key="stay_on"):
        return
    stay = str(cohort.extra.loc[patient_id, "stay"])
    tl = _timeline(model.model_id, cohort.analysis_key, stay, method, float(threshold), model, cohort)
    k = tl.window(patient_id)
    ids = list(tl.frame["id"])
    since = tl.frame["since_first_h"].to_numpy()
    st.caption(md_escape(f"Stay {stay}: {len(ids)} windows, one every {since[1] - since[0]:.0f} h"
                         if len(ids) > 1 else f"Stay {stay}: one window")
               + ". Pick a window to open it; the link names the stay and the hours since its first window.")
    st.session_state["stay_window"] = patient_id
    st.selectbox("Window", ids, key="stay_window", format_func=lambda i: f"+{since[ids.index(i)]:.0f} h ({i})",
                 on_change=lambda: state.select_patient(st.session_state["stay_window"]))
    st.query_params["t"] = f"{since[k]:.0f}"
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(stay_figure(tl, patient_id), key="stay_risk")
    with right:
        st.plotly_chart(change_figure(tl, patient_id), key="stay_changes")
