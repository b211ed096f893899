"""Lead time of an early-warning score: how many hours before the event the first alert fired.

Inputs, one entry per prediction window: the stay it belongs to, the window's time (hours since admission,
the moment the score is computed), the score, and the stay's event time (hours since admission; NaN for a
stay without an event). At a threshold, a window *alerts* when its score is at or above it. For each stay with
an event, the first alert is the earliest alerting window at or before the event and at most ``max_lead_h``
hours before it; its lead time is ``event time - window time`` (NaN when no window alerted: a missed event).

Summaries (:func:`lead_time_summary`): events, events alerted, the median lead time of alerted events, the
share of events alerted at least ``ahead_h`` hours (4 h) ahead (missed events count as not ahead), and alerts
per patient-day (alerting windows divided by the observed patient-days, each window standing for
``hours_per_window`` hours of the stay: 4 h in a stay sampled every 4 h, 24 h for independent daily windows).

For cohorts whose rows are independent windows (one prediction per window, the event a few hours later), each
window is its own stay at time 0: the lead time is then the time from the prediction to the event, bounded by
the outcome horizon -- what independent windows allow, not the lead time over a stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

AHEAD_H = 4.0
MAX_LEAD_H = 24.0


@dataclass
class LeadTimeRecord:
    """Lead-time summary of one model at one threshold (shares in [0, 1], hours, alerts per patient-day)."""

    family: str
    threshold: float
    events: int
    alerted: int
    median_lead_h: float
    share_ahead: float  # share of events whose first alert came >= ahead_h hours before the event
    ahead_h: float
    alerts_per_patient_day: float
    patient_days: float
    stays: int
    basis: str  # "stays" or "independent windows"


def lead_times(stay, time_h, score, event_h, threshold: float, max_lead_h: float = MAX_LEAD_H) -> pd.DataFrame:
    """One row per stay with an event: stay, event_h, first_alert_h (NaN if none), lead_h (NaN if missed)."""
    frame = pd.DataFrame({"stay": np.asarray(stay, dtype=object), "t": np.asarray(time_h, dtype=np.float64),
                          "score": np.asarray(score, dtype=np.float64), "event": np.asarray(event_h, dtype=np.float64)})
    ev = frame[np.isfinite(frame["event"])]
    events = ev.groupby("stay", sort=True)["event"].first()
    alerting = ev[(ev["score"] >= threshold) & (ev["t"] <= ev["event"]) & (ev["event"] - ev["t"] <= max_lead_h)]
    first = alerting.groupby("stay", sort=True)["t"].min().reindex(events.index)
    out = pd.DataFrame({"stay": events.index, "event_h": events.to_numpy(), "first_alert_h": first.to_numpy()})
    out["lead_h"] = out["event_h"] - out["first_alert_h"]
    return out.reset_index(drop=True)


def lead_time_summary(stay, time_h, score, event_h, threshold: float, hours_per_window: float, family: str = "",
                      basis: str = "stays", ahead_h: float = AHEAD_H, max_lead_h: float = MAX_LEAD_H) -> LeadTimeRecord:
    """The :class:`LeadTimeRecord` of these windows at ``threshold``."""
    per = lead_times(stay, time_h, score, event_h, threshold, max_lead_h)
    lead = per["lead_h"].to_numpy()
    alerted = np.isfinite(lead)
    n_alerts = int(np.sum(np.asarray(score, dtype=np.float64) >= threshold))
    days = len(np.asarray(score)) * float(hours_per_window) / 24.0
    return LeadTimeRecord(
        family=family, threshold=float(threshold), events=int(len(per)), alerted=int(alerted.sum()),
        median_lead_h=float(np.median(lead[alerted])) if alerted.any() else float("nan"),
        share_ahead=float(np.mean(alerted & (np.nan_to_num(lead, nan=-1.0) >= ahead_h))) if len(per) else float("nan"),
        ahead_h=float(ahead_h), alerts_per_patient_day=n_alerts / days if days > 0 else float("nan"),
        patient_days=float(days), stays=int(pd.unique(np.asarray(stay, dtype=object)).size), basis=basis)
