"""Prediction windows as stays: which stay each row belongs to, its time, and the stay's event time.

A cohort whose ``extra`` frame has the columns ``stay``, ``hour`` (the window's time, hours since admission)
and ``event_hour`` (the stay's first event, hours since admission; NaN without one) is a cohort of *stays*:
consecutive windows of one admission. A ward cohort of independent windows (``hours_to_red_flag``) is read as
one-window stays at hour 0 whose event comes ``hours_to_red_flag`` later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STAY_COLUMNS = ("stay", "hour", "event_hour")


@dataclass
class Windows:
    """Per row: stay id, time (h since admission), the stay's event time (h, NaN = none); the hours each
    window stands for; "stays" or "independent windows"."""

    stay: np.ndarray
    hour: np.ndarray
    event_hour: np.ndarray
    hours_per_window: float
    basis: str

    def take(self, pos) -> "Windows":
        return Windows(self.stay[pos], self.hour[pos], self.event_hour[pos], self.hours_per_window, self.basis)


def has_stays(cohort) -> bool:
    return cohort.extra is not None and all(c in cohort.extra.columns for c in STAY_COLUMNS)


def stays_frame(cohort):
    """The flat table of a cohort of stays as ``risklens cohort ward --stays`` writes it: :meth:`Cohort.to_frame`
    with the columns ``stay``, ``hour`` and ``event_hour`` at the end."""
    frame = cohort.to_frame()
    for col in STAY_COLUMNS:
        frame[col] = cohort.extra[col].to_numpy()
    return frame


def windows_of(cohort) -> Windows | None:
    """The windows of a cohort of stays or of independent ward windows; None when it records neither."""
    extra = cohort.extra
    if has_stays(cohort):
        stay = extra["stay"].astype(str).to_numpy(dtype=object)
        hour = extra["hour"].to_numpy(dtype=np.float64)
        return Windows(stay, hour, extra["event_hour"].to_numpy(dtype=np.float64), window_step(stay, hour), "stays")
    if extra is not None and "hours_to_red_flag" in extra.columns:
        return Windows(cohort.ids.astype(object), np.zeros(cohort.n), extra["hours_to_red_flag"].to_numpy(dtype=np.float64),
                       24.0, "independent windows")
    return None


def window_step(stay: np.ndarray, hour: np.ndarray) -> float:
    """The median hours between consecutive windows of a stay (24 when no stay has two windows)."""
    order = np.lexsort((hour, stay))
    s, h = stay[order], hour[order]
    same = s[1:] == s[:-1]
    steps = np.diff(h)[same]
    return float(np.median(steps)) if len(steps) else 24.0


def stay_extra(frame, stay_col: str, time_col: str, y: np.ndarray, ids, event_col: str | None = None):
    """The ``extra`` frame of a user's table of stays: ``stay`` (the patient id column), ``hour`` (its time column,
    hours since admission) and ``event_hour`` (the ``event_col`` column when given, else the time of the stay's
    first positive window -- a lower bound of the event time, by at most the outcome horizon)."""
    import pandas as pd

    from risklens.cohorts.base import CohortError

    hour = pd.to_numeric(frame[time_col], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(hour).all():
        bad = int((~np.isfinite(hour)).sum())
        raise CohortError(f"the time column {time_col!r} needs a number of hours in every row; {bad} row(s) are "
                          "missing or not numbers")
    stay = frame[stay_col].astype(str).to_numpy(dtype=object)
    if event_col is not None:
        event = pd.to_numeric(frame[event_col], errors="coerce").to_numpy(dtype=np.float64)
    else:
        first_pos = pd.Series(np.where(np.asarray(y) == 1, hour, np.nan)).groupby(stay).transform("min")
        event = first_pos.to_numpy(dtype=np.float64)
    return pd.DataFrame({"stay": stay, "hour": hour, "event_hour": event}, index=pd.Index(list(ids)))
