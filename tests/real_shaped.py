"""A small real-shaped extract for the word, missing-value and bin tests (not a test module itself).

Columns as a hospital extract has them: a text id, age in whole years, sex M/F, a yes/no column (MGUS), a lab
value missing for a sixth of the rows (creatinine), a calendar year with many ties, a 5-level text column, and
the outcome. It goes through the normal user-file path (``cohort_from_frame``), with a dictionary giving the
lab's unit and normal range and the yes/no column's label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ENCODED = ("sex_M", "sex_F", "mgus_yes", "mgus_no", "cause_cardiac", "cause_renal", "cause_neuro", "cause_cancer",
           "cause_respiratory")
CAUSES = ("cardiac", "renal", "respiratory", "neuro", "cancer")


def real_shaped_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(40, 90, n)
    sex = rng.choice(["M", "F"], n)
    mgus = rng.choice(["yes", "no"], n, p=[0.25, 0.75])
    creat = rng.lognormal(0.0, 0.35, n).round(2)
    creat_missing = rng.permutation(n) < n // 6  # exactly a sixth
    year = rng.choice(np.arange(1990, 2001), n, p=np.r_[[0.02] * 5, 0.5, [0.08] * 5] / 1.0)
    cause = rng.choice(CAUSES, n)
    z = (0.05 * (age - 65) + 0.7 * (sex == "M") + 0.9 * (mgus == "yes") + 1.2 * (creat - 1.0)
         + 0.6 * (cause == "cardiac") - 0.5 * (cause == "neuro") + 0.08 * (year - 1995))
    died = rng.random(n) < 1 / (1 + np.exp(-(z - 1.0)))
    return pd.DataFrame({"id": [f"R{i:04d}" for i in range(n)], "age": age, "sex": sex, "mgus": mgus,
                         "creatinine": np.where(creat_missing, np.nan, creat), "year": year, "cause": cause,
                         "died": died.astype(int)})


def real_shaped_dictionary():
    from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

    return FeatureDictionary([
        FeatureInfo("creatinine", "Creatinine", unit="mg/dL", normal_low=0.6, normal_high=1.3, kind="lab"),
        FeatureInfo("age", "Age", unit="years", kind="demographic"),
        FeatureInfo("year", "Year of diagnosis", kind="administrative"),
        FeatureInfo("mgus_yes", "MGUS: yes", unit="0/1", group="mgus", kind="diagnosis"),
    ])


def real_shaped_cohort(n: int = 600, seed: int = 0):
    from risklens.cohorts import cohort_from_frame

    return cohort_from_frame(real_shaped_frame(n, seed), "died", id_col="id", name="extract",
                             dictionary=real_shaped_dictionary())
