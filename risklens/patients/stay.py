"""One stay window by window: risk against the threshold, alerts, the event, the top concept, what changed.

:func:`stay_timeline` takes the stay's windows (in time order), their risks and their concept attributions
(:mod:`risklens.explain.concepts`) and gives one row per window: hours since admission, risk, alert (risk at or
above the threshold), outcome, top concept, and each concept's contribution in risk points (the waterfall steps
of :func:`risklens.patients.waterfall.risk_waterfall`, via ``risk_steps``, which add up to risk - base risk). "What changed since the
previous window" is the difference of those contributions between consecutive windows: it adds up exactly to
the change of risk (the base risk is the same for every window of one model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.explain.base import Explanation
from risklens.patients.waterfall import risk_steps


@dataclass
class StayTimeline:
    """``frame``: one row per window (id, hour, since_first_h, risk, alert, outcome, top_concept, top_label);
    ``steps``: windows x concepts contributions in risk points; ``event_hour`` (NaN: none); ``labels``: concepts'."""

    stay: str
    frame: pd.DataFrame
    steps: pd.DataFrame
    event_hour: float
    threshold: float
    labels: dict

    def window(self, row_id: str) -> int:
        """Position of a window id in the stay (KeyError naming it otherwise)."""
        pos = np.flatnonzero(self.frame["id"].to_numpy() == str(row_id))
        if not len(pos):
            raise KeyError(f"window {row_id!r} is not in stay {self.stay!r}")
        return int(pos[0])

    def changes(self, row_id: str) -> pd.Series:
        """Concept contributions of this window minus the previous window's (risk points), largest change first;
        empty for the first window."""
        k = self.window(row_id)
        if k == 0:
            return pd.Series(dtype=np.float64)
        diff = self.steps.iloc[k] - self.steps.iloc[k - 1]
        return diff.reindex(diff.abs().sort_values(ascending=False, kind="stable").index)

    @property
    def first_alert_hour(self) -> float:
        alerts = self.frame.loc[self.frame["alert"], "hour"]
        return float(alerts.iloc[0]) if len(alerts) else float("nan")


def stay_timeline(stay: str, ids, hours, risk, outcome, concepts: Explanation, threshold: float,
                  event_hour: float = float("nan"), labels: dict | None = None) -> StayTimeline:
    """The timeline of one stay; ``concepts`` holds the windows' concept attributions (any row order)."""
    ids = [str(i) for i in ids]
    hours = np.asarray(hours, dtype=np.float64)
    order = np.argsort(hours, kind="stable")
    ids = [ids[i] for i in order]
    hours, risk, outcome = hours[order], np.asarray(risk, dtype=np.float64)[order], np.asarray(outcome)[order]
    ce = concepts.rows_for_ids(ids)
    names = list(ce.feature_names)
    steps = np.vstack([risk_steps(ce.base_values[i], ce.values[i], ce.output) for i in range(len(ids))])
    top = [names[j] for j in np.argmax(np.abs(ce.values), axis=1)]
    labels = dict(labels or {})
    frame = pd.DataFrame({"id": ids, "hour": hours, "since_first_h": hours - hours[0], "risk": risk,
                          "alert": risk >= threshold, "outcome": outcome.astype(int), "top_concept": top,
                          "top_label": [labels.get(t, t) for t in top]})
    return StayTimeline(str(stay), frame, pd.DataFrame(steps, index=ids, columns=names), float(event_hour),
                        float(threshold), labels)
