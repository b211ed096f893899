"""How sure the model is, per patient: split-conformal prediction sets for the pages (cached).

The predictor is calibrated once per (model, data, error rate, variant) on a seeded calibration half of
the model's held-out patients (:func:`risklens.modeling.conformal.conformal_for_cohort`; seed: the seed plan's
``conformal`` stream of seed 0, the protocol's default); coverage is measured on the other half. Pages use the Mondrian (class-conditional) variant by default: its error
rate holds within patients with the event too, where the standard variant mostly says "no event".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from risklens.cohorts.base import Cohort
from risklens.errors import RiskLensError
from risklens.modeling.model import RiskModel
from risklens.study.seeds import SeedPlan
from risklens.ui import cache
from risklens.ui.state import K_ALPHA

DEFAULT_ALPHA = 0.1
PLAIN = {
    "event": "the model is confident this patient will have the event",
    "no event": "the model is confident this patient will not have the event",
    "uncertain": "the model cannot tell at this error rate: both outcomes stay possible",
}


def alpha() -> float:
    """The session's conformal error rate (set on the Model page)."""
    return float(st.session_state.get(K_ALPHA, DEFAULT_ALPHA))


@st.cache_resource(show_spinner="Calibrating the prediction sets ...", max_entries=32)
def _calibrated(model_id: str, data_hash: str, a: float, mondrian: bool, _model: RiskModel, _cohort: Cohort):
    from risklens.modeling.conformal import conformal_for_cohort

    return conformal_for_cohort(_model, _cohort, SeedPlan(0).conformal, alpha=a, mondrian=mondrian)


def calibrated(model: RiskModel, cohort: Cohort, a: float | None = None, mondrian: bool = True):
    """(predictor, coverage summary) or None when the held-out split is too small to calibrate."""
    a = alpha() if a is None else float(a)
    try:
        return _calibrated(model.model_id, cohort.hash, round(a, 4), bool(mondrian), model, cohort)
    except RiskLensError:
        return None


@st.cache_resource(show_spinner=False, max_entries=32)
def _labels(model_id: str, data_hash: str, a: float, _model: RiskModel, _cohort: Cohort) -> pd.Series:
    res = calibrated(_model, _cohort, a)
    if res is None:
        return pd.Series(dtype=object)
    X = _cohort.X.iloc[cache.held_out(_model, _cohort)]  # the pages list held-out patients only
    return pd.Series(res[0].labels(X), index=X.index, dtype=object)


def labels(model: RiskModel, cohort: Cohort) -> pd.Series:
    """"event" / "no event" / "uncertain" per held-out row id (Mondrian, the session's error rate); empty if
    unavailable."""
    return _labels(model.model_id, cohort.hash, round(alpha(), 4), model, cohort)


def coverage_table(model: RiskModel, cohort: Cohort, a: float) -> pd.DataFrame:
    """One row per variant: coverage overall and per class, the expected range, the shares of set kinds."""
    rows = []
    for mondrian in (True, False):
        res = calibrated(model, cohort, a, mondrian)
        if res is None:
            continue
        s = res[1]
        lo, hi = s.band["overall"]
        rows.append({
            "variant": "per class (Mondrian)" if mondrian else "standard",
            "coverage": s.coverage, "expected range": f"{100 * lo:.1f}–{100 * hi:.1f}%",
            "coverage (no event)": s.coverage_by_class["no event"],
            "coverage (event)": s.coverage_by_class["event"],
            "uncertain": s.share["uncertain"] + s.share["empty"], "calibrated on": sum(s.n_calibration.values()),
            "measured on": sum(s.n_evaluation.values()),
        })
    frame = pd.DataFrame(rows)
    for col in ("coverage", "coverage (no event)", "coverage (event)", "uncertain"):
        if col in frame:
            frame[col] = frame[col].map(lambda v: "—" if not np.isfinite(v) else f"{100 * v:.1f}%")
    return frame
