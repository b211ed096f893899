"""The :class:`Cohort`: features, a binary outcome, ids, an optional recorded trigger, a dictionary."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError

from risklens.cohorts.dictionary import FeatureDictionary


class CohortError(RiskLensError):
    """User data cannot be turned into a cohort. The message says what is wrong and how to fix it."""


@dataclass(eq=False)
class Cohort:
    """One modelling table.

    Attributes
    ----------
    name : short name ("ward", "readmission", a file name ...)
    X : numeric feature frame (float columns, NaN for missing), index = row ids (str, unique)
    y : outcome, int8 array of 0/1, aligned with X
    dictionary : one :class:`~risklens.cohorts.dictionary.FeatureInfo` per column of X
    groups : patient of each row (str), for patient-level splits; equal to the row ids when
        each patient has one row
    trigger : recorded trigger of each positive row (a dictionary *group* name, "" for none);
        None when the cohort records no trigger
    source : provenance, shown in the app and reports
    outcome_name : what y means, in words ("red flag within 8 h")
    mechanism : simulated cohorts only: the true cause of each row, a frame indexed like X with
        columns ``process`` (latent process name, "" for none), ``groups`` (the dictionary groups the
        process moves, joined by ";") and ``first_group`` (the group it moved first, "" for none);
        None for real data
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    dictionary: FeatureDictionary
    groups: np.ndarray | None = None
    trigger: np.ndarray | None = None
    source: str = ""
    outcome_name: str = "outcome"
    extra: pd.DataFrame | None = field(default=None, repr=False)  # non-feature columns kept for display
    mechanism: pd.DataFrame | None = field(default=None, repr=False)
    contract: object = field(default=None, repr=False)  # InputContract of a user file: raw columns -> X

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y).astype(np.int8)
        if len(self.y) != len(self.X):
            raise CohortError(f"{len(self.X)} feature rows but {len(self.y)} outcomes")
        if not self.X.index.is_unique:
            raise CohortError("row ids must be unique")
        if self.groups is None:
            self.groups = self.X.index.to_numpy(dtype=object)
        self.groups = np.asarray(self.groups, dtype=object)
        if self.trigger is not None:
            self.trigger = np.asarray(pd.Series(self.trigger).fillna("").astype(str), dtype=object)
        missing = [c for c in self.X.columns if c not in self.dictionary]
        if missing:
            raise CohortError(f"the dictionary has no entry for: {', '.join(missing[:10])}")
        if self.mechanism is not None and len(self.mechanism) != len(self.X):
            raise CohortError(f"{len(self.X)} feature rows but {len(self.mechanism)} mechanism rows")

    # ---- basic facts -------------------------------------------------------------------------
    @property
    def features(self) -> list[str]:
        return list(self.X.columns)

    @property
    def ids(self) -> np.ndarray:
        return self.X.index.to_numpy(dtype=object)

    @property
    def n(self) -> int:
        return len(self.X)

    @property
    def n_events(self) -> int:
        return int(self.y.sum())

    @property
    def event_rate(self) -> float:
        return float(self.y.mean()) if self.n else float("nan")

    @property
    def has_trigger(self) -> bool:
        return self.trigger is not None

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the cohort's content (features, outcome, ids, groups, trigger); a cache key."""
        h = hashlib.sha256()
        h.update(",".join(map(str, self.X.columns)).encode())
        h.update(np.ascontiguousarray(self.X.to_numpy(dtype=np.float64)).tobytes())
        h.update(self.y.tobytes())
        h.update("\x1f".join(map(str, self.ids)).encode())
        h.update("\x1f".join(map(str, self.groups)).encode())
        if self.trigger is not None:
            h.update("\x1f".join(self.trigger).encode())
        return h.hexdigest()

    @property
    def analysis_key(self) -> str:
        """Key for results that depend on the data *and* its dictionary (concordance reads groups and kinds)."""
        return f"{self.hash}:{self.dictionary.hash[:16]}"

    # ---- views -------------------------------------------------------------------------------
    def subset(self, rows) -> "Cohort":
        """Rows by boolean mask or integer positions; keeps dictionary and provenance."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return Cohort(
            name=self.name,
            X=self.X.iloc[rows],
            y=self.y[rows],
            dictionary=self.dictionary,
            groups=self.groups[rows],
            trigger=None if self.trigger is None else self.trigger[rows],
            source=self.source,
            outcome_name=self.outcome_name,
            extra=None if self.extra is None else self.extra.iloc[rows],
            mechanism=None if self.mechanism is None else self.mechanism.iloc[rows],
            contract=self.contract,
        )

    def with_dictionary(self, dictionary: FeatureDictionary) -> "Cohort":
        return Cohort(
            name=self.name, X=self.X, y=self.y, dictionary=self.dictionary.updated(dictionary),
            groups=self.groups, trigger=self.trigger, source=self.source,
            outcome_name=self.outcome_name, extra=self.extra, mechanism=self.mechanism, contract=self.contract,
        )

    def position(self, row_id: str) -> int:
        """Integer position of a row id; KeyError with a clear message if unknown."""
        try:
            return int(self.X.index.get_loc(str(row_id)))
        except KeyError:
            raise KeyError(f"no patient with id {row_id!r} in cohort {self.name!r}") from None

    def to_frame(self, outcome: str = "outcome", id_col: str = "id", group_col: str = "patient_id",
                 trigger_col: str = "trigger") -> pd.DataFrame:
        """One flat table (features + outcome + id + group + trigger), as written by `risklens cohort`."""
        out = self.X.copy()
        out.insert(0, id_col, self.ids)
        if not np.array_equal(self.groups, self.ids):
            out.insert(1, group_col, self.groups)
        out[outcome] = self.y
        if self.trigger is not None:
            out[trigger_col] = self.trigger
        return out.reset_index(drop=True)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "rows": self.n,
            "patients": int(pd.unique(self.groups).size),
            "features": len(self.features),
            "events": self.n_events,
            "event_rate": round(self.event_rate, 4),
            "has_trigger": self.has_trigger,
            "hash": self.hash[:12],
        }
