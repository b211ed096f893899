"""How sure is the model about this patient: split-conformal prediction sets (MAPIE).

A fitted :class:`~risklens.modeling.model.RiskModel` is calibrated on a *calibration split* of its
own held-out rows (patient-level, seeded: :func:`calibration_split`); the rest of the held-out
rows are the *evaluation* rows on which coverage is measured. For each patient the prediction set
at error rate ``alpha`` is one of

- ``{event}`` -> "event", ``{no event}`` -> "no event": the model is sure at this error rate;
- ``{no event, event}`` -> "uncertain": both outcomes are plausible;
- ``{}`` -> "empty": neither outcome reaches the threshold (rare; possible when ``alpha`` is large).

Scores are MAPIE's LAC (1 - probability of the label). The standard variant guarantees marginal
coverage ``>= 1 - alpha`` over patients. The **Mondrian** (class-conditional, Vovk) variant
calibrates one threshold per outcome class on the calibration rows of that class, so coverage
``>= 1 - alpha`` holds *within* events and within non-events; with rare events the standard
variant can cover events far less often than non-events. MAPIE 1.6 has no class-conditional
classifier, so the Mondrian variant runs one ``SplitConformalClassifier`` per class, each
conformalized on that class's rows, and takes the membership of that class's label from it.

Coverage guarantee (exchangeable patients, ``n`` calibration rows): ``1 - alpha <= P(y in set)
<= 1 - alpha + 1/(n + 1)``; :func:`coverage_band` gives the range an empirical coverage on ``m``
evaluation rows should fall in.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from risklens.modeling.model import ModelError
from risklens.modeling.split import held_out_positions, split_groups

#: Share of the held-out rows (patients) used for calibration; the rest measure coverage.
CALIBRATION_SHARE = 0.5

CLASSES = ("no event", "event")
LABELS = ("event", "no event", "uncertain")


class RiskModelClassifier(ClassifierMixin, BaseEstimator):
    """A fitted RiskModel seen as a scikit-learn binary classifier (classes 0, 1); never refitted."""

    def __init__(self, model=None):
        self.model = model

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @property
    def classes_(self) -> np.ndarray:
        return np.array([0, 1])

    def fit(self, X, y=None):  # pragma: no cover - MAPIE is always used with prefit=True
        raise ModelError("RiskModelClassifier wraps a fitted model; it is never refitted")

    def predict_proba(self, X) -> np.ndarray:
        p = np.asarray(self.model.predict_proba(X), dtype=np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ModelError(f"the error rate alpha must be between 0 and 1 (e.g. 0.1), got {alpha}")
    return alpha


def _mapie(model, alpha: float, X, y):
    from mapie.classification import SplitConformalClassifier

    cp = SplitConformalClassifier(RiskModelClassifier(model), confidence_level=1.0 - alpha,
                                  conformity_score="lac", prefit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MAPIE warns on small calibration sets; the caller checks sizes
        return cp.conformalize(X, y)


class ConformalRisk:
    """Split-conformal prediction sets of one model (``mondrian=True``: class-conditional)."""

    def __init__(self, model, alpha: float = 0.1, mondrian: bool = False):
        self.model = model
        self.alpha = _check_alpha(alpha)
        self.mondrian = bool(mondrian)

    def calibrate(self, X, y) -> "ConformalRisk":
        """Conformalize on calibration rows ``X`` (frame or matrix) with outcomes ``y`` (0/1)."""
        y = np.asarray(y).astype(int)
        X = self.model.as_matrix(X)
        need = int(np.ceil(1.0 / self.alpha)) - 1  # fewer rows than this: every set is both labels
        counts = {k: int((y == k).sum()) for k in (0, 1)}
        if (min(counts.values()) if self.mondrian else len(y)) < need:
            who = "of each outcome class " if self.mondrian else ""
            raise ModelError(f"conformal calibration at alpha={self.alpha:g} needs at least {need} rows {who}"
                             f"(got {counts[0]} non-events and {counts[1]} events); use a larger alpha or cohort")
        if self.mondrian:
            self.calibrators_ = [_mapie(self.model, self.alpha, X[y == k], y[y == k]) for k in (0, 1)]
        else:
            self.calibrators_ = [_mapie(self.model, self.alpha, X, y)]
        self.n_calibration_ = counts
        return self

    def predict_sets(self, X) -> np.ndarray:
        """Boolean ``(n, 2)``: column 0 = "no event" in the set, column 1 = "event" in the set."""
        if not hasattr(self, "calibrators_"):
            raise ModelError("calibrate the conformal predictor before asking for prediction sets")
        M = self.model.as_matrix(X)
        sets = [c.predict_set(M)[1][:, :, 0] for c in self.calibrators_]
        if self.mondrian:
            return np.column_stack([sets[0][:, 0], sets[1][:, 1]]).astype(bool)
        return sets[0].astype(bool)

    def labels(self, X) -> np.ndarray:
        return set_labels(self.predict_sets(X))


def set_names(sets: np.ndarray) -> np.ndarray:
    """Each prediction set in words: "event", "no event", "uncertain" (both) or "empty"."""
    sets = np.asarray(sets, dtype=bool)
    out = np.full(len(sets), "empty", dtype=object)
    out[sets[:, 1] & ~sets[:, 0]] = "event"
    out[sets[:, 0] & ~sets[:, 1]] = "no event"
    out[sets[:, 0] & sets[:, 1]] = "uncertain"
    return out


def set_labels(sets: np.ndarray) -> np.ndarray:
    """Worklist labels: "event", "no event" or "uncertain" (both outcomes, or neither, in the set:
    either way the model cannot vouch for one outcome at this error rate)."""
    names = set_names(sets)
    names[names == "empty"] = "uncertain"
    return names


@dataclass
class ConformalSummary:
    """Coverage of prediction sets on evaluation rows (shares in [0, 1])."""

    alpha: float
    mondrian: bool
    n_calibration: dict  # {"no event": n, "event": n}
    n_evaluation: dict
    coverage: float  # share of evaluation rows whose true outcome is in their set
    coverage_by_class: dict  # {"no event": .., "event": ..}
    band: dict  # {"overall": [lo, hi]} (+ "no event", "event" when Mondrian): expected range of each coverage
    share: dict  # {"event": .., "no event": .., "uncertain": .., "empty": ..} of evaluation rows
    mean_set_size: float

    def to_dict(self) -> dict:
        return asdict(self)


def coverage_band(alpha: float, n_cal: int, m_eval: int, z: float = 3.0) -> tuple[float, float]:
    """Range an empirical coverage on ``m_eval`` rows should fall in, given ``n_cal`` calibration rows.

    The expected coverage lies in ``[1 - alpha, 1 - alpha + 1/(n_cal + 1)]``; around it the coverage
    of one calibration draw varies with variance about ``alpha (1 - alpha) / (n_cal + 2)`` (a Beta
    law) and its estimate on ``m_eval`` rows adds ``alpha (1 - alpha) / m_eval``; ``z`` sds each side.
    """
    sd = np.sqrt(alpha * (1 - alpha) * (1.0 / (n_cal + 2) + 1.0 / max(m_eval, 1)))
    return max(0.0, 1 - alpha - z * sd), min(1.0, 1 - alpha + 1.0 / (n_cal + 1) + z * sd)


def summarize(sets: np.ndarray, y, alpha: float, mondrian: bool, n_calibration: dict) -> ConformalSummary:
    """:class:`ConformalSummary` of prediction ``sets`` (from :meth:`ConformalRisk.predict_sets`) for outcomes ``y``."""
    sets, y = np.asarray(sets, dtype=bool), np.asarray(y).astype(int)
    covered = sets[np.arange(len(y)), y]
    names = set_names(sets)
    n_eval = {CLASSES[k]: int((y == k).sum()) for k in (0, 1)}
    by_class = {CLASSES[k]: float(covered[y == k].mean()) if n_eval[CLASSES[k]] else float("nan") for k in (0, 1)}
    n_cal_total = sum(n_calibration.values())
    band = {"overall": list(coverage_band(alpha, n_cal_total, len(y)))}
    if mondrian:  # the standard variant guarantees nothing within a class
        for k in (0, 1):
            band[CLASSES[k]] = list(coverage_band(alpha, n_calibration[k], n_eval[CLASSES[k]]))
    return ConformalSummary(
        alpha=float(alpha), mondrian=bool(mondrian),
        n_calibration={CLASSES[k]: int(n_calibration[k]) for k in (0, 1)}, n_evaluation=n_eval,
        coverage=float(covered.mean()), coverage_by_class=by_class, band=band,
        share={s: float((names == s).mean()) for s in ("event", "no event", "uncertain", "empty")},
        mean_set_size=float(sets.sum(1).mean()),
    )


def calibration_split(cohort, held: np.ndarray, seed: int, calibration_share: float = CALIBRATION_SHARE
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(calibration, evaluation)`` in ``cohort``: the held-out rows ``held`` split by patient
    (seeded, event-stratified); no patient is on both sides. The one conformal split: the pages, the CLI and
    the protocol all call it, with the seed of the seed plan's ``conformal`` stream."""
    held = np.asarray(held)
    cal, ev = split_groups(cohort.groups[held], cohort.y[held], test_size=1.0 - calibration_share, seed=seed)
    return held[cal], held[ev]


def conformal_for_cohort(model, cohort, seed: int, alpha: float = 0.1, mondrian: bool = False
                         ) -> tuple[ConformalRisk, ConformalSummary]:
    """Calibrate on the calibration part of the model's held-out rows (:func:`held_out_positions`, split by
    :func:`calibration_split` with ``seed``); coverage on the other part."""
    cal, ev = calibration_split(cohort, held_out_positions(model, cohort), seed)
    cp = ConformalRisk(model, alpha=alpha, mondrian=mondrian).calibrate(cohort.X.iloc[cal], cohort.y[cal])
    sets = cp.predict_sets(cohort.X.iloc[ev])
    return cp, summarize(sets, cohort.y[ev], alpha, mondrian, cp.n_calibration_)
