"""Cohorts from uploaded tables: reading the file, building the cohort, guessing and moving the column roles (pure)."""

from __future__ import annotations

import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.dictionary import FeatureDictionary

__all__ = ["read_upload", "cohort_from_upload", "guess_columns", "move_role", "ROLES"]


def read_upload(data: bytes, filename: str) -> pd.DataFrame:
    """Bytes of an uploaded CSV/Parquet -> frame; CohortError with a clear message otherwise."""
    from risklens.cohorts import read_table

    if not data:
        raise CohortError(f"the file {filename!r} is empty; upload a CSV or Parquet file with one row per patient")
    return read_table(data, filename=filename)


def cohort_from_upload(frame: pd.DataFrame, outcome: str, id_col: str | None = None, trigger_col: str | None = None,
                       group_col: str | None = None, name: str = "uploaded",
                       dictionary: FeatureDictionary | None = None, drop=(), time_col: str | None = None) -> Cohort:
    """The cohort of a mapped upload; ``time_col`` (with ``group_col``): the rows are windows of stays."""
    from risklens.cohorts import cohort_from_frame

    if not outcome or outcome not in frame.columns:
        raise CohortError("choose the outcome column (0/1) of the uploaded table")
    return cohort_from_frame(frame, outcome, id_col=id_col or None, trigger_col=trigger_col or None,
                             group_col=group_col or None, name=name, dictionary=dictionary, drop=drop,
                             time_col=time_col or None)


ROLES = ("outcome", "id", "group", "trigger", "time")


def guess_columns(frame: pd.DataFrame) -> dict:
    """Best guesses for the mapping widgets: outcome, id, group and trigger columns (or None), no column twice;
    the time column is never guessed (choosing one makes the rows windows of stays).

    The row id is a column named like an id, or else the first identifier-like column (a different value in
    every row); a patient-named column is the patient (group) column only when its values repeat, and the row
    id when they do not."""
    from risklens.cohorts.checks import looks_like_id

    cols = [str(c) for c in frame.columns]
    low = {c.lower(): c for c in cols}

    def first(*names):
        for n in names:
            if n in low:
                return low[n]
        return None

    outcome = first("outcome", "y", "label", "target", "event", "death", "died", "readmitted", "fstat")
    if outcome is None:
        binary = [c for c in cols if frame[c].dropna().isin([0, 1]).all() and frame[c].notna().any()]
        outcome = binary[-1] if binary else None
    patient = first("patient_id", "subject_id", "patient", "mrn")
    group = patient if patient is not None and frame[patient].duplicated().any() else None
    id_col = first("id", "row_id", "encounter_id", "stay_id")
    if id_col is None and patient is not None and group is None and frame[patient].notna().all():
        id_col = patient
    if id_col is None:
        id_col = next((c for c in cols if c not in (outcome, group) and looks_like_id(frame[c])), None)
    trigger = first("trigger", "red_flag_trigger")
    return {"outcome": outcome, "id": id_col, "group": group, "trigger": trigger, "time": None}


def move_role(mapping: dict, role: str, column) -> dict:
    """The mapping after ``column`` is chosen for ``role``: another role holding it gives it up (None)."""
    out = {r: (None if c == column and r != role else c) for r, c in mapping.items()} if column else dict(mapping)
    out[role] = column
    return out
