"""A real-shaped clinical extract for tests (unit, page and browser): what an analyst's export looks like.

Columns of :func:`extract_frame` (one row per patient):

- ``patient_id``: "P00001" ... (an identifier, unique per row);
- ``age`` (whole years), ``sex`` ("M"/"F"), ``diabetes`` ("yes"/"no"), ``admit_year`` (1995-2010);
- ``creatinine``: a lab value in mg/dL, blank for about a sixth of the rows (at random);
- ``died``: the outcome, "yes"/"no" (about 25% events), from age, sex, diabetes and creatinine;
- ``futime`` (``leak=True``): follow-up days, at most 365 for every death and over 365 for every survivor
  -- a planted leak that alone separates the outcome (held-out AUROC 1.0);
- ``cause`` (``cause=True``): 16 cause-of-death categories, blank for every survivor and for a share
  ``cause_unknown`` of deaths -- its blank *is* the outcome (a missingness leak);
- ``ward_code`` (``constant=True``): the same value in every row; ``age_years`` (``duplicate_column=True``):
  a copy of ``age``; ``twins=k`` appends k copies of existing rows under new patient ids.

Deterministic for a given seed. :func:`write_extract` writes it as CSV (blanks as empty cells).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CAUSES = tuple(f"cause {chr(ord('A') + i)}" for i in range(16))


def extract_frame(n: int = 1200, seed: int = 0, *, leak: bool = True, cause: bool = True, cause_unknown: float = 0.0,
                  constant: bool = False, duplicate_column: bool = False, twins: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(35, 95, n)
    sex = rng.choice(["M", "F"], n)
    diabetes = rng.choice(["yes", "no"], n, p=[0.3, 0.7])
    creat = rng.lognormal(0.1, 0.35, n).round(2)
    z = 0.05 * (age - 65) + 0.3 * (sex == "M") + 0.5 * (diabetes == "yes") + 0.9 * (creat - 1.1) - 1.3
    died = rng.random(n) < 1 / (1 + np.exp(-z))
    creat_obs = np.where(rng.random(n) < 1 / 6, np.nan, creat)
    frame = pd.DataFrame({
        "patient_id": [f"P{i + 1:05d}" for i in range(n)],
        "age": age, "sex": sex, "diabetes": diabetes,
        "admit_year": rng.integers(1995, 2011, n),
        "creatinine": creat_obs,
        "died": np.where(died, "yes", "no"),
    })
    if leak:
        frame["futime"] = np.where(died, rng.integers(1, 366, n), rng.integers(366, 3000, n))
    if cause:
        c = rng.choice(np.array(CAUSES, dtype=object), n, p=_cause_weights()).astype(object)
        blank = ~died | (rng.random(n) < cause_unknown)
        c[blank] = None
        frame["cause"] = c
    if constant:
        frame["ward_code"] = "W1"
    if duplicate_column:
        frame["age_years"] = frame["age"]
    if twins:
        copies = frame.iloc[rng.choice(n, twins, replace=False)].copy()
        copies["patient_id"] = [f"Q{i + 1:05d}" for i in range(twins)]
        frame = pd.concat([frame, copies], ignore_index=True)
    return frame


def _cause_weights() -> np.ndarray:
    w = np.linspace(3.0, 0.5, len(CAUSES))
    return w / w.sum()


def write_extract(path, **kwargs) -> Path:
    """:func:`extract_frame` as a CSV file (blank cells for missing values); returns the path."""
    path = Path(path)
    extract_frame(**kwargs).to_csv(path, index=False)
    return path
