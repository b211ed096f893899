"""From the cohort's base risk to one patient's risk, in risk percentage points.

SHAP (and the coefficients of a logistic model) split a patient's *log-odds* into a base value plus
one additive contribution per feature. Clinicians read risk, not log-odds, so the contributions are
mapped to risk points sequentially: features are taken in order of |contribution| (largest first);
starting from the base log-odds ``s0``, each feature moves the running log-odds ``s`` by its
contribution, and its bar is the change of ``sigmoid(s)`` that step causes (in percentage points).
The steps telescope, so the bars always add up exactly to ``risk - base risk``; the size of a bar
depends on the order (a log-odds step moves the risk more near 50% than near 0%), which is why the
order is fixed and stated. Probability-space explanations are already in risk units and are only
scaled by 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.metrics.consistency import top_k

__all__ = ["sigmoid", "Waterfall", "risk_waterfall"]

MAPPING_NOTE = ("Each bar is one feature's SHAP contribution turned into risk points: starting from the base "
                "risk, features are added one at a time (largest first) on the log-odds scale and the bar is the "
                "change in risk that step causes, so the bars add up exactly to this patient's risk minus the "
                "base risk.")


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Waterfall:
    """Bars from ``base_risk`` to ``risk`` (both 0..1); ``steps`` in percentage points, one per bar."""

    base_risk: float
    risk: float
    frame: pd.DataFrame  # feature, label, value_text, step_pp, start_pp, end_pp (top features + "other")
    steps_all: np.ndarray  # the step of every feature (pp), in feature order

    @property
    def total_pp(self) -> float:
        return float(self.frame["step_pp"].sum())


def _steps(base: float, contributions: np.ndarray, order: np.ndarray, output: str) -> np.ndarray:
    steps = np.zeros(len(contributions))
    if output == "probability":
        steps[order] = 100.0 * contributions[order]
        return steps
    running = base + np.concatenate([[0.0], np.cumsum(contributions[order])])
    steps[order] = 100.0 * np.diff(sigmoid(running))
    return steps


def risk_waterfall(base_value: float, contributions, data, feature_names, dictionary: FeatureDictionary | None,
                   output: str = "log-odds", top: int = 10) -> Waterfall:
    """The waterfall of one patient: ``base_value`` and ``contributions`` in ``output`` space."""
    c = np.nan_to_num(np.asarray(contributions, dtype=np.float64))
    data = np.asarray(data, dtype=np.float64)
    names = list(feature_names)
    order = top_k(c, len(c)) if len(c) else np.zeros(0, dtype=int)
    base = float(base_value)
    steps = _steps(base, c, order, output)
    if output == "probability":
        base_risk, risk = base, base + float(c.sum())
    else:
        base_risk, risk = float(sigmoid(base)), float(sigmoid(base + c.sum()))
    d = dictionary if dictionary is not None else FeatureDictionary([])
    shown = order[: max(int(top), 0)]
    rest = order[len(shown):]
    rows = [{"feature": names[j], "label": d.label(names[j]), "value_text": d.get_info(names[j]).format_value(float(data[j])),
             "step_pp": float(steps[j])} for j in shown]
    if len(rest):
        rows.append({"feature": "", "label": f"{len(rest)} other features", "value_text": "",
                     "step_pp": float(steps[rest].sum())})
    frame = pd.DataFrame(rows, columns=["feature", "label", "value_text", "step_pp"])
    frame["end_pp"] = 100.0 * base_risk + frame["step_pp"].cumsum()
    frame["start_pp"] = frame["end_pp"] - frame["step_pp"]
    return Waterfall(base_risk=base_risk, risk=risk, frame=frame, steps_all=steps)


def risk_steps(base_value: float, contributions, output: str = "log-odds") -> np.ndarray:
    """Every contribution's bar in risk points, in feature order: the ``steps_all`` of :func:`risk_waterfall`
    without building its table (for many rows, e.g. the windows of a stay)."""
    c = np.nan_to_num(np.asarray(contributions, dtype=np.float64))
    order = top_k(c, len(c)) if len(c) else np.zeros(0, dtype=int)
    return _steps(float(base_value), c, order, output)
