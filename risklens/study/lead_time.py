"""Lead time of each family's run-1 model on the held-out windows (the Model page and the report share it).

See :mod:`risklens.metrics.lead_time` for the definitions and :mod:`risklens.cohorts.stays` for the windows.
"""

from __future__ import annotations

import numpy as np

from risklens.cohorts.stays import windows_of
from risklens.metrics.lead_time import LeadTimeRecord, lead_time_summary


def lead_time_record(model, cohort, positions, threshold: float, risk=None) -> LeadTimeRecord | None:
    """Lead time of ``model`` at ``threshold`` on the rows at ``positions``; None when the cohort has no windows.

    ``risk`` (optional): the model's risk of those rows, if already computed."""
    windows = windows_of(cohort)
    if windows is None:
        return None
    pos = np.asarray(positions)
    w = windows.take(pos)
    score = model.predict_proba(cohort.X.iloc[pos][model.feature_names]) if risk is None else np.asarray(risk)
    return lead_time_summary(w.stay, w.hour, score, w.event_hour, threshold, w.hours_per_window,
                             family=model.family, basis=w.basis)


def lead_time_stage(cohort, trained) -> tuple[list[LeadTimeRecord], list[str]]:
    """Each family's run-1 model at its own threshold on the held-out rows."""
    out = []
    for family, models in trained.models.items():
        rec = lead_time_record(models[0], cohort, trained.test_pos, models[0].threshold)
        if rec is not None:
            out.append(rec)
    notes = []
    if out and out[0].basis != "stays":
        notes.append("lead time from independent windows: each window is its own stay, so the lead time is the time "
                     "from the prediction to the event within the outcome horizon (simulate stays for lead times "
                     "over the stay)")
    return out, notes
