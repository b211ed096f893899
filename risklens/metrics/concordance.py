"""Trigger concordance: does the top attributed feature point at the vital sign that raised the alarm?

The study (criterion 2, "actionability"): among *correctly predicted* positives, the share whose
top-1 attributed feature belongs to the dictionary *group* of the recorded trigger (``spo2_min``,
``spo2_slope`` ... all count for a trigger ``spo2``). Two variants:

- **dropped** (A): patients whose top feature is non-clinical (kind in
  :data:`~risklens.cohorts.dictionary.NON_CLINICAL_KINDS`: administrative or care process, e.g. length of
  stay, number of recorded vital-sign sets) are removed before the share is taken; NaN when no
  patient is left.
- **kept** (B): they stay in the denominator and count as misses.

RiskLens adds the top-k hit rate (trigger group among the groups of the top-k features, k = 1..5)
and the rank of the trigger's group (rank of its best feature, 1 = top; mean over patients).
Non-clinical features never match a trigger, even when their group does (``spo2_count`` is a care
process feature in group ``spo2``: it says how often SpO2 was measured, not what it was).
Patients without a recorded trigger ("" or None) are excluded and counted in ``n_no_trigger``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.metrics.consistency import top_k


@dataclass
class Concordance:
    """Concordance of one explanation with the recorded triggers (shares in [0, 1])."""

    dropped: float  # variant A: non-clinical-top patients removed (NaN if none left)
    kept: float  # variant B: kept and counted as misses
    non_clinical_share: float  # share of patients whose top feature is non-clinical
    n: int  # patients with a recorded trigger
    n_no_trigger: int  # patients without one (excluded)
    topk_hit: dict = field(default_factory=dict)  # {"1": .., ..., "5": ..}
    mean_trigger_rank: float = float("nan")  # mean rank (1 = top) of the trigger group's best feature
    trigger_not_in_model: int = 0  # patients whose trigger group has no feature at all

    def to_dict(self) -> dict:
        return asdict(self)


def feature_groups(feature_names, dictionary: FeatureDictionary) -> tuple[np.ndarray, np.ndarray]:
    """(group per feature, is-clinical per feature) from the dictionary."""
    groups = dictionary.groups(feature_names)
    clinical = np.array([dictionary.is_clinical(n) for n in feature_names], dtype=bool)
    return groups, clinical


def trigger_concordance(values, feature_names, triggers, dictionary: FeatureDictionary, max_k: int = 5) -> Concordance:
    """Concordance of per-patient attributions ``values (n, f)`` with ``triggers (n,)`` (group names).

    Pass only the rows to be judged (the study: correctly predicted positives).
    """
    V = np.atleast_2d(np.asarray(values, dtype=np.float64))
    trig = np.array(["" if t is None else str(t) for t in np.asarray(triggers, dtype=object)], dtype=object)
    if len(trig) != len(V):
        raise ValueError(f"{len(V)} attribution rows but {len(trig)} triggers")
    has = trig != ""
    V, trig = V[has], trig[has]
    groups, clinical = feature_groups(feature_names, dictionary)
    n = len(V)
    if n == 0:
        nan = float("nan")
        return Concordance(nan, nan, nan, 0, int((~has).sum()), {str(k): nan for k in range(1, max_k + 1)})
    order = top_k(V, V.shape[1])
    ranked_groups = groups[order]  # (n, f) group of the feature at each rank
    ranked_clinical = clinical[order]
    top_clinical = ranked_clinical[:, 0]
    match = (ranked_groups == trig[:, None]) & ranked_clinical  # non-clinical features never match a trigger
    hit = match[:, 0]
    kept = float(hit.mean())
    dropped = float(hit[top_clinical].mean()) if top_clinical.any() else float("nan")
    any_match = match.any(axis=1)
    first = np.where(any_match, match.argmax(axis=1) + 1, -1)
    topk = {str(k): float(np.mean((first >= 1) & (first <= k))) for k in range(1, max_k + 1)}
    ranks = first[any_match]
    return Concordance(
        dropped=dropped, kept=kept, non_clinical_share=float(1 - top_clinical.mean()), n=int(n),
        n_no_trigger=int((~has).sum()), topk_hit=topk,
        mean_trigger_rank=float(ranks.mean()) if len(ranks) else float("nan"),
        trigger_not_in_model=int((~any_match).sum()),
    )


def explanation_concordance(expl, cohort, max_k: int = 5) -> Concordance:
    """:func:`trigger_concordance` of an Explanation whose ids are rows of ``cohort`` (needs a trigger)."""
    if cohort.trigger is None:
        raise ValueError(f"cohort {cohort.name!r} records no trigger; concordance needs one")
    pos = cohort_positions(expl, cohort)
    return trigger_concordance(expl.values, expl.feature_names, cohort.trigger[pos], cohort.dictionary, max_k)


def cohort_positions(expl, cohort) -> np.ndarray:
    """Row positions in ``cohort`` of an explanation's ids (ValueError when one is not in the cohort)."""
    pos = cohort.X.index.get_indexer([str(i) for i in expl.ids])
    if (pos < 0).any():
        raise ValueError("the explanation has rows that are not in the cohort")
    return pos
