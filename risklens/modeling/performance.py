"""Held-out performance of a risk model: discrimination, calibration and alert-level metrics.

Conventions (also written into every model card):

- ``calibration_slope``: slope ``b`` of the logistic recalibration ``logit P(y=1) = a + b * logit(p)``
  (1 = ideal; < 1 means the predictions are too extreme).
- ``calibration_intercept``: calibration-in-the-large, the intercept ``a`` fitted with the slope fixed at 1
  (``logit P(y=1) = a + logit(p)``, logit(p) as an offset); 0 = ideal, > 0 means risks are underestimated.
- Alert metrics treat ``p >= threshold`` as an alert. ``alerts_per_100`` = alerts per 100 patients (rows).
- Default threshold (:func:`default_threshold`): the training-set risk above which the alert rate is
  twice the training event rate (an alert budget of 2 alerts per expected event), capped at 50%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.modeling.model import ModelError

ALERT_FACTOR = 2.0
THRESHOLD_RULE = (
    "alert budget: the training-set risk above which the alert rate equals "
    f"{ALERT_FACTOR:g} x the training event rate (capped at 50% of patients)"
)
CALIBRATION_NOTE = (
    "slope from logistic recalibration logit P(y) = a + b*logit(p); intercept = calibration-in-the-large "
    "with the slope fixed at 1"
)
_EPS = 1e-12


def _check(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64).ravel()
    p = np.asarray(p, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ModelError(f"{len(y)} outcomes but {len(p)} predictions")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ModelError("outcomes must be 0 or 1")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ModelError("predicted risks must be probabilities in [0, 1] without NaN")
    return y, p


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def _logistic_fit(y: np.ndarray, x: np.ndarray | None, offset: np.ndarray, iters: int = 100) -> np.ndarray:
    """Unpenalised logistic regression of y on [1, x] (x optional) with an offset, by Newton steps."""
    A = np.ones((len(y), 1)) if x is None else np.column_stack([np.ones(len(y)), x])
    beta = np.zeros(A.shape[1])
    for _ in range(iters):
        eta = offset + A @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = np.maximum(mu * (1 - mu), 1e-12)
        H = A.T @ (A * w[:, None])
        g = A.T @ (y - mu)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return np.full(A.shape[1], np.nan)
        step = np.clip(step, -5.0, 5.0)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def calibration(y, p) -> tuple[float, float]:
    """``(slope, intercept)`` as defined in the module docstring; NaN when y has one class."""
    y, p = _check(y, p)
    if y.min() == y.max():
        return float("nan"), float("nan")
    lp = logit(p)
    slope = float(_logistic_fit(y, lp, np.zeros_like(lp))[1])
    intercept = float(_logistic_fit(y, None, lp)[0])
    return slope, intercept


def default_threshold(p_train, event_rate: float, factor: float = ALERT_FACTOR) -> float:
    """Risk threshold at which ``factor * event_rate`` of the training patients (max 50%) are alerted."""
    p_train = np.asarray(p_train, dtype=np.float64).ravel()
    if not len(p_train):
        raise ModelError("cannot choose a threshold without training predictions")
    alert_rate = float(np.clip(factor * event_rate, 1.0 / len(p_train), 0.5))
    return float(np.quantile(p_train, 1.0 - alert_rate))


def _confusion(y: np.ndarray, alert: np.ndarray) -> dict:
    tp = float(np.sum(alert & (y == 1)))
    fp = float(np.sum(alert & (y == 0)))
    fn = float(np.sum(~alert & (y == 1)))
    tn = float(np.sum(~alert & (y == 0)))

    def ratio(a, b):
        return a / b if b > 0 else float("nan")

    return {
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "alerts_per_100": 100.0 * (tp + fp) / max(len(y), 1),
    }


def classification_metrics(y, p, threshold: float) -> dict:
    """AUROC, AUPRC, Brier, calibration slope/intercept and alert metrics at ``threshold``.

    Returns plain floats/ints (JSON-ready); undefined quantities (e.g. AUROC with one class) are NaN.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y, p = _check(y, p)
    if not len(y):
        raise ModelError("cannot compute metrics on an empty set")
    two_classes = y.min() != y.max()
    slope, intercept = calibration(y, p)
    out = {
        "auroc": float(roc_auc_score(y, p)) if two_classes else float("nan"),
        "auprc": float(average_precision_score(y, p)) if two_classes else float("nan"),
        "brier": float(np.mean((p - y) ** 2)),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "threshold": float(threshold),
    }
    out.update(_confusion(y, p >= threshold))
    out["n"] = int(len(y))
    out["events"] = int(y.sum())
    return out


def threshold_table(y, p, thresholds=None) -> pd.DataFrame:
    """Alert metrics over a grid of thresholds (default 0.01, 0.02, ..., 0.99), one row each.

    Columns: threshold, sensitivity, specificity, ppv, npv, alerts_per_100. Feeds a threshold slider.
    """
    y, p = _check(y, p)
    grid = np.round(np.arange(1, 100) / 100.0, 2) if thresholds is None else np.asarray(thresholds, float)
    order = np.sort(p)
    pos = np.sort(p[y == 1])
    n, n_pos = len(p), len(pos)
    n_neg = n - n_pos
    alerts = n - np.searchsorted(order, grid, side="left")  # count of p >= t
    tp = n_pos - np.searchsorted(pos, grid, side="left")
    fp = alerts - tp
    fn = n_pos - tp
    tn = n_neg - fp
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "threshold": grid,
            "sensitivity": np.where(n_pos > 0, tp / max(n_pos, 1), np.nan),
            "specificity": np.where(n_neg > 0, tn / max(n_neg, 1), np.nan),
            "ppv": np.where(alerts > 0, tp / np.maximum(alerts, 1), np.nan),
            "npv": np.where(tn + fn > 0, tn / np.maximum(tn + fn, 1), np.nan),
            "alerts_per_100": 100.0 * alerts / max(n, 1),
        })
    return table


def threshold_text(threshold: float, digits: int = 3) -> str:
    """A risk threshold as a percentage with ``digits`` significant digits, never rounded to zero:
    0.00035 -> '0.035%', 0.125 -> '12.5%', 0.5 -> '50%'."""
    t = float(threshold)
    if not np.isfinite(t):
        return "n/a"
    if t == 0:
        return "0%"
    return np.format_float_positional(100.0 * t, precision=digits, unique=True, fractional=False, trim="-") + "%"


def threshold_grid(per_decade: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0), lowest: float = 1e-5,
                   highest: float = 0.99) -> np.ndarray:
    """Thresholds on a log scale for a slider, from ``lowest`` to ``highest`` (fractions of 1)."""
    out = [m * 10.0 ** e for e in range(int(np.floor(np.log10(lowest))), 1) for m in per_decade]
    return np.array(sorted({round(v, 12) for v in out if lowest <= v <= highest} | {highest}))
