"""Precomputed arrays for the Patients page: switching patients is a dict lookup, not a recomputation.

Pure (no streamlit): :class:`PatientIndex` is built once per (cohort, model) from the held-out rows,
their predicted risks and the stored cohort explanation; :func:`patient_view` assembles everything one
patient's page needs from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.explain.base import Explanation
from risklens.explain.registry import label
from risklens.modeling.encoded import group_onehot, group_values
from risklens.patients.summary import patient_summary, risk_level
from risklens.patients.agreement import badge, patient_agreement, seed_stability

__all__ = ["PatientIndex", "build_patient_index", "PatientView", "patient_view"]


@dataclass(eq=False)
class PatientIndex:
    ids: np.ndarray  # held-out row ids (object)
    risk: np.ndarray  # predicted probability per row
    y: np.ndarray  # outcome per row
    trigger: np.ndarray | None  # recorded trigger group per row ("" = none)
    data: np.ndarray  # (n, f) feature values
    feature_names: list[str]
    explanation: Explanation | None  # the stored explanation, rows aligned with ids (None: per-patient method)
    pos: dict = field(repr=False, default_factory=dict)
    sorted_risk: np.ndarray = field(repr=False, default=None)
    order: np.ndarray = field(repr=False, default=None)  # positions by descending risk

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=object)
        if not self.pos:
            self.pos = {str(i): k for k, i in enumerate(self.ids)}
        self.sorted_risk = np.sort(self.risk)
        self.order = np.argsort(-self.risk, kind="stable")

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, patient_id: str) -> int:
        try:
            return self.pos[str(patient_id)]
        except KeyError:
            from risklens.errors import RiskLensError

            raise RiskLensError(
                f"no held-out patient with id {patient_id!r}; pick one from the worklist "
                "(only patients the model did not train on are shown)"
            ) from None

    def percentile(self, risk: float) -> float:
        """Share of held-out patients with a lower predicted risk (0..100)."""
        return 100.0 * np.searchsorted(self.sorted_risk, risk, side="left") / max(len(self.sorted_risk), 1)

    def mask(self, threshold: float, *, above_only: bool = False, outcome: str = "any", trigger: str = "any",
             search: str = "", extra=()) -> np.ndarray:
        """Boolean mask of the patients matching every filter; ``extra`` holds further masks (e.g. "uncertain")."""
        keep = np.ones(len(self.ids), dtype=bool)
        if above_only:
            keep &= self.risk >= threshold
        if outcome == "event":
            keep &= self.y == 1
        elif outcome == "no event":
            keep &= self.y == 0
        if trigger != "any" and self.trigger is not None:
            keep &= self.trigger == trigger
        if search:
            s = search.strip().lower()
            keep &= np.fromiter((s in str(i).lower() for i in self.ids), dtype=bool, count=len(self.ids))
        for m in extra:
            keep &= np.asarray(m, dtype=bool)
        return keep

    def matching(self, threshold: float, **filters) -> np.ndarray:
        """Positions of the matching patients, highest risk first (every one: no cap)."""
        keep = self.mask(threshold, **filters)
        return self.order[keep[self.order]]

    def page(self, positions: np.ndarray, page: int, page_size: int) -> np.ndarray:
        """Positions on 1-based ``page`` of ``positions`` (clipped to the last page)."""
        pages = max(1, -(-len(positions) // max(int(page_size), 1)))
        p = min(max(int(page), 1), pages)
        return positions[(p - 1) * page_size: p * page_size]

    def frame(self, positions: np.ndarray, threshold: float, dictionary: FeatureDictionary | None = None,
              outcome_name: str = "outcome") -> pd.DataFrame:
        """The worklist rows of ``positions``: id, risk %, alert, outcome in words, trigger label."""
        pos = np.asarray(positions, dtype=np.int64)
        out = pd.DataFrame({
            "id": self.ids[pos].astype(str),
            "risk %": np.round(100 * self.risk[pos], 1),
            "alert": np.where(self.risk[pos] >= threshold, "alert", ""),
            outcome_name: np.where(self.y[pos] == 1, "yes", "no"),
        })
        if self.trigger is not None:
            d = dictionary if dictionary is not None else FeatureDictionary([])
            out["recorded trigger"] = [d.group_label(str(t)) if t else "" for t in self.trigger[pos]]
        return out

    def worklist(self, threshold: float, *, above_only: bool = False, outcome: str = "any", trigger: str = "any",
                 search: str = "", limit: int | None = None, dictionary: FeatureDictionary | None = None,
                 outcome_name: str = "outcome") -> pd.DataFrame:
        """Matching patients sorted by risk (highest first); ``limit`` None = all of them."""
        pos = self.matching(threshold, above_only=above_only, outcome=outcome, trigger=trigger, search=search)
        if limit is not None:
            pos = pos[:limit]
        return self.frame(pos, threshold, dictionary, outcome_name)

    def count(self, threshold: float) -> dict:
        return {"patients": len(self.ids), "alerts": int((self.risk >= threshold).sum()), "events": int(self.y.sum())}


def build_patient_index(ids, risk, y, trigger, X: pd.DataFrame, explanation: Explanation | None = None,
                        feature_names: list[str] | None = None) -> PatientIndex:
    ids = np.asarray(ids, dtype=object)
    if explanation is not None:
        if len(explanation) != len(ids) or not np.array_equal(np.asarray(explanation.ids, dtype=str), ids.astype(str)):
            explanation = explanation.rows_for_ids([str(i) for i in ids])
        feature_names = list(explanation.feature_names)
    names = list(feature_names if feature_names is not None else X.columns)
    data = X[names].to_numpy(dtype=np.float64)
    return PatientIndex(ids=ids, risk=np.asarray(risk, dtype=np.float64), y=np.asarray(y),
                        trigger=None if trigger is None else np.asarray(trigger, dtype=object),
                        data=data, feature_names=names, explanation=explanation)


@dataclass
class PatientView:
    id: str
    risk: float
    level: str
    percentile: float
    outcome: int
    trigger: str
    trigger_label: str
    values: np.ndarray
    attributions: np.ndarray
    output: str
    method: str
    other: np.ndarray | None = None
    other_output: str = ""
    other_method: str = ""
    agreement: dict | None = None
    stability: float | None = None
    badge: tuple[str, str] | None = None
    summary: str = ""
    row: Explanation | None = None  # the primary method's one-row explanation (base value included)
    other_row: Explanation | None = None  # the second method's row (first seed)
    shown: Explanation | None = None  # the primary row per original column (a category's 0/1 columns summed)
    shown_other: np.ndarray | None = None  # the second method's attributions per original column


def _trigger_label(trigger: str, dictionary: FeatureDictionary) -> str:
    """Readable name of a dictionary group ('resp_rate' -> 'Respiratory rate')."""
    return dictionary.group_label(trigger) if trigger else ""


def patient_view(index: PatientIndex, patient_id: str, threshold: float, dictionary: FeatureDictionary,
                 other: np.ndarray | None = None, other_output: str = "", other_method: str = "",
                 other_seeds: list[np.ndarray] | None = None, k: int = 5,
                 primary: Explanation | None = None, other_row: Explanation | None = None,
                 contract=None, percentile: float | None = None) -> PatientView:
    """Everything one patient's page shows, from precomputed arrays (cheap: O(features)).

    ``primary`` (one row) replaces the index's stored explanation for per-patient methods; ``percentile`` replaces
    the index's own (an index of one patient taken from a larger scored cohort). With the model's
    input ``contract``, ``shown`` (and the summary) speak of original columns: a text column's 0/1 columns are
    summed into one attribution and its value is its level ("Sex = F"); ``dictionary`` should then be
    :func:`risklens.modeling.encoded.words_dictionary`. Method agreement stays on the model's own columns."""
    p = index.position(patient_id)
    risk = float(index.risk[p])
    expl = primary if primary is not None else index.explanation
    if expl is None:
        raise ValueError("no stored explanation in the index: pass the patient's row as primary")
    row = primary if primary is not None else expl[p]
    attr = row.values[0]
    if other_row is not None:
        other, other_output, other_method = other_row.values[0], other_row.output, other_row.method
    trig = "" if index.trigger is None else str(index.trigger[p] or "")
    tlabel = _trigger_label(trig, dictionary)
    view = PatientView(
        id=str(index.ids[p]), risk=risk, level=risk_level(risk, threshold),
        percentile=index.percentile(risk) if percentile is None else float(percentile),
        outcome=int(index.y[p]), trigger=trig, trigger_label=tlabel, values=index.data[p], attributions=attr,
        output=expl.output, method=expl.method, row=row, other_row=other_row,
    )
    if other is not None:
        view.other, view.other_output, view.other_method = np.asarray(other, dtype=np.float64), other_output, other_method
        view.agreement = patient_agreement(attr, view.other, k=k)
        if other_seeds:
            view.stability = seed_stability(other_seeds, k=k)
        view.badge = badge(view.agreement, view.stability)
    shown = group_onehot(row, contract) if contract is not None else row
    view.shown = shown
    if view.other is not None:
        view.shown_other = group_values(view.other, row.feature_names, contract)[1] if contract is not None else view.other
    view.summary = patient_summary(risk, threshold, shown.feature_names, shown.data[0], shown.values[0], dictionary,
                                   method_label=label(expl.method), trigger_label=tlabel or None,
                                   stderr=None if shown.stderr is None else shown.stderr[0])
    return view
