"""Prediction windows as stays: which stay each row belongs to, its time, and the stay's event time.

A cohort whose ``extra`` frame has the columns ``stay``, ``hour`` (the window's time, hours since admission)
and ``event_hour`` (the stay's first event, hours since admission; NaN without one) is a cohort of *stays*:
consecutive windows of one admission. A ward cohort of independent windows (``hours_to_red_flag``) is read as
one-window stays at hour 0 whose event comes ``hours_to_red_flag`` later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.cohorts.base import CohortError

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


def stay_hours(frame, stay_col: str | None, time_col: str) -> np.ndarray:
    """The time column of a user's table of stays as hours: numbers are hours (since admission, as given);
    date-times (ISO 8601 text such as ``2024-03-01 14:00``, or a date-time column) become hours since the stay's
    first window. CohortError naming the column, the count and the first bad rows otherwise."""
    if not stay_col:
        raise CohortError(f"the time column {time_col!r} needs the patient (stay) id column too: give the group "
                          "column (--group on the command line)")
    col = frame[time_col]
    stay = frame[stay_col].astype(str).to_numpy(dtype=object)
    if pd.api.types.is_datetime64_any_dtype(col) or (
            not pd.api.types.is_numeric_dtype(col) and pd.to_numeric(col, errors="coerce").isna().all()):
        when = _datetimes(col)
        bad = when.isna().to_numpy()
        if bad.any():
            rows = np.flatnonzero(bad)[:5] + 1
            raise CohortError(f"the time column {time_col!r} is read as date-times, but {int(bad.sum())} row(s) are "
                              f"missing or not a date-time (first: row {', '.join(map(str, rows))}); give every row "
                              "an ISO date-time such as 2024-03-01 14:00, or hours as numbers")
        first = when.groupby(stay).transform("min")
        return ((when - first).dt.total_seconds() / 3600.0).to_numpy(dtype=np.float64)
    hour = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(hour).all():
        bad = ~np.isfinite(hour)
        rows = np.flatnonzero(bad)[:5] + 1
        raise CohortError(f"the time column {time_col!r} needs a number of hours (or a date-time) in every row; "
                          f"{int(bad.sum())} row(s) are missing or not numbers (first: row "
                          f"{', '.join(map(str, rows))})")
    return hour


def _datetimes(col):
    """Date-times of a column (text parsed as ISO 8601; time zones converted to UTC); NaT where unparseable."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.tz_convert("UTC").dt.tz_localize(None) if getattr(col.dt, "tz", None) else col
    text = col.astype("string").str.strip()
    try:
        return pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
    except (ValueError, TypeError):
        return pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")


def stay_extra(frame, stay_col: str, hour: np.ndarray, y: np.ndarray, ids, event_col: str | None = None):
    """The ``extra`` frame of a user's table of stays: ``stay`` (the patient id column), ``hour`` (its time column
    as hours, from :func:`stay_hours`) and ``event_hour`` (the ``event_col`` column when given, else the time of the
    stay's first positive window -- a lower bound of the event time, by at most the outcome horizon)."""
    stay = frame[stay_col].astype(str).to_numpy(dtype=object)
    if event_col is not None:
        event = pd.to_numeric(frame[event_col], errors="coerce").to_numpy(dtype=np.float64)
    else:
        first_pos = pd.Series(np.where(np.asarray(y) == 1, hour, np.nan)).groupby(stay).transform("min")
        event = first_pos.to_numpy(dtype=np.float64)
    return pd.DataFrame({"stay": stay, "hour": hour, "event_hour": event}, index=pd.Index(list(ids)))
