"""A cohort at a glance for the Data page: counts, missing values per feature, the recorded triggers (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort


def cohort_stats(cohort: Cohort) -> dict:
    s = cohort.summary()
    miss = cohort.X.isna().to_numpy().mean() if cohort.n else float("nan")
    s["missing_cells"] = float(miss)
    return s


def missingness(cohort: Cohort) -> pd.Series:
    """Share of rows with a missing value, per feature (0..1), largest first."""
    return cohort.X.isna().mean().sort_values(ascending=False, kind="stable")


def trigger_mix(cohort: Cohort) -> pd.Series:
    """Counts of the recorded trigger among events ('not recorded' for events without one)."""
    if cohort.trigger is None:
        return pd.Series(dtype=np.int64)
    t = pd.Series(cohort.trigger[cohort.y == 1]).replace("", "not recorded")
    return t.value_counts()
