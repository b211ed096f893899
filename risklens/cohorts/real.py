"""Real clinical data shipped by scikit-survival (no network): the Worcester Heart Attack Study.

WHAS500 is a survival data set (follow-up time ``lenfol`` in days since admission, vital status
``fstat``). RiskLens needs a binary outcome, so :func:`fixed_horizon_outcome` turns it into
"death within ``horizon_days`` of admission":

* died at or before the horizon                        -> 1
* followed beyond the horizon (alive or died later),
  or censored exactly at the horizon (alive then)      -> 0
* censored *before* the horizon                        -> unknown, the row is EXCLUDED
  (counting such patients as survivors would bias the event rate down).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort, CohortError
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo

WHAS500_HORIZON_DAYS = 365
WHAS500_CITATION = (
    "Hosmer D.W., Lemeshow S., May S. Applied Survival Analysis: Regression Modeling of Time-to-Event Data, "
    "2nd ed. Wiley, 2008 (Worcester Heart Attack Study, WHAS500 subset)"
)

_BINARY = "0/1"
# name -> (label, unit, normal_low, normal_high, kind, description)
_WHAS_INFO = {
    "age": ("Age", "years", None, None, "demographic", "age at hospital admission"),
    "gender": ("Sex (1 = female)", _BINARY, None, None, "demographic", "0 = male, 1 = female"),
    "bmi": ("Body mass index", "kg/m²", 18.5, 25.0, "vital sign", "body mass index at admission"),
    "hr": ("Heart rate", "/min", 60.0, 100.0, "vital sign", "initial heart rate"),
    "sysbp": ("Systolic BP", "mmHg", 90.0, 140.0, "vital sign", "initial systolic blood pressure"),
    "diasbp": ("Diastolic BP", "mmHg", 60.0, 90.0, "vital sign", "initial diastolic blood pressure"),
    "los": ("Length of hospital stay", "days", None, None, "administrative", "length of the index hospital stay"),
    "afb": ("Atrial fibrillation", _BINARY, None, None, "diagnosis", "atrial fibrillation (1 = yes)"),
    "av3": ("Complete heart block", _BINARY, None, None, "diagnosis", "third-degree AV block (1 = yes)"),
    "chf": ("Congestive heart complications", _BINARY, None, None, "diagnosis", "congestive heart complications (1 = yes)"),
    "cvd": ("History of cardiovascular disease", _BINARY, None, None, "diagnosis", "1 = yes"),
    "miord": ("Recurrent MI", _BINARY, None, None, "diagnosis", "MI order: 0 = first, 1 = recurrent"),
    "mitype": ("Q-wave MI", _BINARY, None, None, "diagnosis", "MI type: 0 = non Q-wave, 1 = Q-wave"),
    "sho": ("Cardiogenic shock", _BINARY, None, None, "diagnosis", "cardiogenic shock (1 = yes)"),
}
_GROUPS = {"hr": "heart_rate", "sysbp": "blood_pressure", "diasbp": "blood_pressure"}


def whas500_dictionary() -> FeatureDictionary:
    return FeatureDictionary(
        FeatureInfo(name=k, label=lab, unit=u, normal_low=lo, normal_high=hi, group=_GROUPS.get(k, k), kind=kind,
                    description=d)
        for k, (lab, u, lo, hi, kind, d) in _WHAS_INFO.items()
    )


def fixed_horizon_outcome(event, time, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """``(y, known)``: y = 1 for an event at or before ``horizon``; ``known`` is False for rows censored before it."""
    event = np.asarray(event, dtype=bool)
    time = np.asarray(time, dtype=np.float64)
    y = event & (time <= horizon)
    known = y | (time > horizon) | (~event & (time >= horizon))
    return y.astype(np.int8), known


def load_whas500(horizon_days: float = WHAS500_HORIZON_DAYS) -> Cohort:
    """WHAS500 as a cohort: death within ``horizon_days`` of admission (censored-before-horizon rows excluded)."""
    try:
        from sksurv.datasets import load_whas500 as _load
    except ImportError:  # pragma: no cover - scikit-survival is a dependency
        raise CohortError("the whas500 cohort needs scikit-survival (pip install scikit-survival)") from None
    if not horizon_days > 0:
        raise CohortError(f"the horizon must be a positive number of days, got {horizon_days}")
    X_raw, surv = _load()
    y, known = fixed_horizon_outcome(surv["fstat"], surv["lenfol"], horizon_days)
    X = pd.DataFrame({c: X_raw[c].astype(np.float64) for c in _WHAS_INFO})
    ids = pd.Index([f"WHAS{i + 1:03d}" for i in range(len(X))])
    X.index = ids
    extra = pd.DataFrame({"followup_days": surv["lenfol"], "died_during_followup": surv["fstat"].astype(np.int8)},
                         index=ids)
    n_excluded = int((~known).sum())
    keep = np.flatnonzero(known)
    h = f"{horizon_days:g}"
    return Cohort(
        name="whas500",
        X=X.iloc[keep],
        y=y[keep],
        dictionary=whas500_dictionary(),
        source=(
            f"Worcester Heart Attack Study, 500 de-identified patients admitted with acute myocardial infarction. "
            f"Citation: {WHAS500_CITATION}. Shipped with scikit-survival (sksurv.datasets.load_whas500). "
            f"Outcome: death within {h} days of admission; {n_excluded} patient(s) censored before day {h} "
            f"(status unknown) excluded, {len(keep)} kept."
        ),
        outcome_name=f"death within {h} days",
        extra=extra.iloc[keep],
    )
