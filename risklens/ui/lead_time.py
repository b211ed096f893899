"""The Model page's lead-time panel: hours from the first alert to the event at the chosen threshold."""

from __future__ import annotations

import numpy as np
import streamlit as st

from risklens.study.lead_time import lead_time_record
from risklens.ui import cache, state
from risklens.ui.widgets import pct


@st.cache_data(show_spinner=False, max_entries=256)
def _record(model_id: str, cohort_hash: str, threshold: float, _model, _cohort):
    pos = cache.held_out(_model, _cohort)
    risk = cache.predictions(model_id, cohort_hash, _model, _cohort)[pos]
    return lead_time_record(_model, _cohort, pos, threshold, risk)


def lead_time_section(cohort, model) -> None:
    """Events alerted, median lead time, share alerted >= 4 h ahead and alerts per patient-day at the threshold."""
    threshold = state.threshold(model)
    rec = _record(model.model_id, cohort.hash, float(threshold), model, cohort)
    st.subheader("Lead time")
    if rec is None:
        st.caption("This cohort records no event times, so the lead time cannot be measured.")
        return
    k = st.columns(4)
    k[0].metric("Events alerted", f"{rec.alerted:,} of {rec.events:,}")
    k[1].metric("Median lead time", "—" if not np.isfinite(rec.median_lead_h) else f"{rec.median_lead_h:.1f} h")
    k[2].metric(f"Alerted ≥ {rec.ahead_h:g} h ahead", "—" if not np.isfinite(rec.share_ahead) else pct(rec.share_ahead))
    k[3].metric("Alerts per patient-day", f"{rec.alerts_per_patient_day:.2f}")
    basis = ("Each admission is a stay of consecutive windows: the lead time is the hours from the first alert "
             "(at most 24 h before the event) to the event." if rec.basis == "stays" else
             "This cohort's windows are independent (no stays): each window's lead time is the time from its "
             "prediction to the event, bounded by the outcome horizon, and each window counts as one patient-day. "
             "Simulate stays for lead times over the stay.")
    st.caption(f"Held-out windows at the threshold {100 * threshold:.1f}%: {rec.stays:,} stays, "
               f"{rec.patient_days:,.0f} patient-days. {basis}")
