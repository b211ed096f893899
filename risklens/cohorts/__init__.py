"""Cohorts: built-in simulators, packaged real data, and user files.

``load_builtin(name, n=None, seed=0, preset=None)`` gives a built-in cohort; ``read_table`` /
``cohort_from_frame`` / ``load_cohort_file`` turn a user's CSV or Parquet file into a
:class:`Cohort`, raising :class:`CohortError` with a specific message when they cannot.
"""

from __future__ import annotations

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.user import cohort_from_frame, load_cohort_file, read_table

BUILTIN_COHORTS: dict[str, str] = {
    "ward": "Simulated adult ward: 24 h of vital signs, red flag within 8 h, recorded trigger (study's VS shape)",
    "readmission": "Simulated paediatric inpatients: administrative data, readmission within 30 days (study's RA30 shape)",
    "whas500": "Real: Worcester Heart Attack Study (500 patients), death within 1 year of admission",
}

__all__ = [
    "BUILTIN_COHORTS", "Cohort", "CohortError", "load_builtin", "read_table", "cohort_from_frame",
    "load_cohort_file", "builtin_dictionary",
]


def load_builtin(name: str, n: int | None = None, seed: int = 0, preset: str | None = None,
                 stays: bool = False) -> Cohort:
    """A built-in cohort by name. ``n`` (rows) and ``seed`` apply to simulators; real data ignores them.

    ``preset`` chooses a setting of the ward simulator ("default", "study"); other cohorts have
    only their default and reject any other preset. ``stays=True`` (ward only): ``n`` stays of consecutive
    windows (:mod:`risklens.cohorts.ward_stays`) instead of independent windows.
    """
    key = str(name).strip().lower()
    if key == "ward":
        from risklens.cohorts.ward import simulate_ward

        return simulate_ward(n=n, seed=seed, preset=preset or "default", stays=bool(stays))
    if stays:
        raise CohortError(f"cohort {key!r} has no stays; --stays applies to the ward simulator only")
    if preset not in (None, "default") and key in BUILTIN_COHORTS:
        raise CohortError(f"cohort {key!r} has no presets; --preset applies to the ward simulator only")
    if key == "readmission":
        from risklens.cohorts.readmission import simulate_readmission

        return simulate_readmission(n=n, seed=seed)
    if key == "whas500":
        from risklens.cohorts.real import load_whas500

        return load_whas500()
    raise CohortError(f"no built-in cohort named {name!r}; choose one of: {', '.join(BUILTIN_COHORTS)}")


def builtin_dictionary(name: str):
    """The complete :class:`~risklens.cohorts.dictionary.FeatureDictionary` of a built-in cohort (no data made)."""
    key = str(name).strip().lower()
    if key == "ward":
        from risklens.cohorts.ward import ward_dictionary

        return ward_dictionary()
    if key == "readmission":
        from risklens.cohorts.readmission import readmission_dictionary

        return readmission_dictionary()
    if key == "whas500":
        from risklens.cohorts.real import whas500_dictionary

        return whas500_dictionary()
    raise CohortError(f"no built-in cohort named {name!r}; choose one of: {', '.join(BUILTIN_COHORTS)}")
