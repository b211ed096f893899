"""The mechanism side file: a simulated cohort's ground truth, written beside its data file.

``risklens cohort ward --out ward.parquet`` also writes ``ward.mechanism.parquet``: one row per
cohort row with columns ``id``, ``process``, ``groups`` (";"-joined dictionary groups) and
``first_group`` (see :attr:`~risklens.cohorts.base.Cohort.mechanism`). When a data file is loaded
from a path and its side file is present, :func:`read_mechanism` attaches it to the cohort, matched
by row id (rows of the data file may be a subset or reordered). Real data has no side file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risklens.cohorts.base import CohortError
from risklens.safety import atomic_path

SUFFIX = ".mechanism.parquet"
COLUMNS = ("process", "groups", "first_group")


def mechanism_path(data_path) -> Path:
    """``dir/name.csv`` -> ``dir/name.mechanism.parquet`` (the side file of a data file)."""
    p = Path(data_path)
    return p.with_name(p.stem + SUFFIX)


def write_mechanism(cohort, data_path, id_col: str = "id") -> Path | None:
    """Write ``cohort.mechanism`` beside ``data_path`` atomically; None (nothing written) without one."""
    if cohort.mechanism is None:
        return None
    frame = cohort.mechanism.loc[:, list(COLUMNS)].astype(str).copy()
    frame.insert(0, id_col, cohort.ids.astype(str))
    target = mechanism_path(data_path)
    with atomic_path(target) as tmp:
        frame.reset_index(drop=True).to_parquet(tmp, index=False)
    return target


def read_mechanism(data_path, ids, id_col: str = "id") -> pd.DataFrame | None:
    """The side file of ``data_path`` indexed by ``ids`` (the cohort's row ids), or None if absent.

    Raises :class:`CohortError` when the side file is unreadable, lacks a column, or does not
    describe every row id (a stale side file must not pass for the truth).
    """
    path = mechanism_path(data_path)
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise CohortError(f"{path.name} is not a readable mechanism file ({type(exc).__name__}); "
                          "delete it or write the cohort again") from None
    missing = [c for c in (id_col, *COLUMNS) if c not in frame.columns]
    if missing:
        raise CohortError(f"{path.name} has no column(s) {', '.join(missing)}; delete it or write the cohort again")
    frame = frame.assign(**{id_col: frame[id_col].astype(str)})
    if not frame[id_col].is_unique:
        raise CohortError(f"{path.name} lists some row ids twice; delete it or write the cohort again")
    keys = pd.Index([str(i) for i in ids])
    known = keys.isin(frame[id_col])
    if not known.all():
        raise CohortError(f"{path.name} does not describe {int((~known).sum())} row(s) of the data file "
                          f"(e.g. id {keys[~known][0]!r}); it belongs to another cohort: delete it or write "
                          "the cohort again")
    out = frame.set_index(id_col).loc[keys, list(COLUMNS)].fillna("").astype(str)
    out.index = keys
    return out
