"""``record(action, **details)``: the one call pages make to write the audit trail.

The user is the signed-in identity (or the open session); ``patient``, ``model`` and ``data`` are the
patient id, model id and data hash. Viewing actions (a patient opened, a model loaded) are written once
per change: Streamlit reruns the page on every click, and the same patient shown again is not a new event.
A failure to write is shown as a warning and logged; it never breaks the page.
"""

from __future__ import annotations

import logging

import streamlit as st

from risklens import audit
from risklens.ui.identity import current_user
from risklens.ui.state import K_LAST_VIEW

log = logging.getLogger("risklens.ui")
VIEW_ACTIONS = (audit.PATIENT_OPENED, audit.MODEL_LOADED)


def record(action: str, *, patient=None, model=None, data=None, **details) -> dict | None:
    """Append one audit row for this session's user; the stored row, or None when skipped or failed."""
    if action in VIEW_ACTIONS:
        key = (action, str(patient), str(model), str(data))
        last = st.session_state.setdefault(K_LAST_VIEW, {})
        if last.get(action) == key:
            return None
        last[action] = key
    try:
        return audit.record(action, user=current_user(), patient=patient, model=model, data=data, **details)
    except Exception as exc:  # noqa: BLE001 - the page keeps working; the failure is visible and logged
        log.exception("audit trail write failed")
        st.warning(f"The audit trail could not be written ({type(exc).__name__}); tell an administrator.",
                   icon=":material/warning:")
        return None


def download_callback(**details):
    """``on_click`` for a download button: records ``export downloaded`` with these details."""
    return lambda: record(audit.EXPORT_DOWNLOADED, **details)
