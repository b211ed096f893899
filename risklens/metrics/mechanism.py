"""Mechanism concordance: does the explanation point at what really caused the event?

Simulated cohorts know each patient's latent process (``Cohort.mechanism``: ``process``, ``groups``
-- the dictionary groups the process moves, joined by ";" -- and ``first_group``, the group it moved
first). For the analysed patients (the study's correctly predicted positives) that have a process:

- ``top1_process``: share whose top-1 feature belongs to a group the process moves;
- ``topk_process``: share with such a feature among the top k;
- ``top1_first``: share whose top-1 feature belongs to the group the process moved first;
- ``non_clinical_top1``: share whose top-1 feature is a care-process or administrative proxy (a kind in
  :data:`~risklens.cohorts.dictionary.NON_CLINICAL_KINDS`).

As for trigger concordance, a non-clinical feature never matches a process, even in a matching group
(``spo2_count`` says how often SpO2 was measured, not what it was). Patients without a process
("" or missing) are left out and counted in ``n_no_process``. This separates "the explanation is
wrong" (a clinical feature outside the process leads) from "the model leans on a proxy".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from risklens.cohorts.dictionary import FeatureDictionary
from risklens.metrics.concordance import cohort_positions
from risklens.metrics.consistency import top_k


@dataclass
class MechanismConcordance:
    """Shares in [0, 1] over ``n`` patients with a process (NaN when ``n`` is 0)."""

    top1_process: float
    topk_process: float
    top1_first: float
    non_clinical_top1: float
    k: int
    n: int
    n_no_process: int

    def to_dict(self) -> dict:
        return asdict(self)


def _split_groups(cell) -> frozenset:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return frozenset()
    return frozenset(g.strip() for g in str(cell).split(";") if g.strip())


def mechanism_concordance(values, feature_names, mechanism: pd.DataFrame, dictionary: FeatureDictionary,
                          k: int = 5) -> MechanismConcordance:
    """Mechanism concordance of attributions ``values (n, f)`` with ``mechanism`` (n rows, same order)."""
    V = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if len(mechanism) != len(V):
        raise ValueError(f"{len(V)} attribution rows but {len(mechanism)} mechanism rows")
    process = mechanism["process"].fillna("").astype(str).to_numpy()
    has = process != ""
    sets = [_split_groups(g) for g in mechanism["groups"]]
    first = mechanism["first_group"].fillna("").astype(str).to_numpy()
    groups = np.asarray(dictionary.groups(list(feature_names)), dtype=object)
    clinical = np.array([dictionary.is_clinical(n) for n in feature_names], dtype=bool)
    k = max(1, min(int(k), V.shape[1]))
    tops = top_k(V, k)
    rows = np.flatnonzero(has)
    n = len(rows)
    if n == 0:
        nan = float("nan")
        return MechanismConcordance(nan, nan, nan, nan, k, 0, int((~has).sum()))
    hit1 = hitk = first_hit = proxy = 0
    for i in rows:
        t = tops[i]
        moved = [clinical[j] and groups[j] in sets[i] for j in t]
        hit1 += moved[0]
        hitk += any(moved)
        first_hit += bool(clinical[t[0]] and first[i] != "" and groups[t[0]] == first[i])
        proxy += not clinical[t[0]]
    return MechanismConcordance(top1_process=hit1 / n, topk_process=hitk / n, top1_first=first_hit / n,
                                non_clinical_top1=proxy / n, k=k, n=n, n_no_process=int((~has).sum()))


def explanation_mechanism(expl, cohort, k: int = 5) -> MechanismConcordance:
    """:func:`mechanism_concordance` of an Explanation whose ids are rows of ``cohort`` (needs a mechanism)."""
    if cohort.mechanism is None:
        raise ValueError(f"cohort {cohort.name!r} has no recorded mechanism (only simulated cohorts do)")
    pos = cohort_positions(expl, cohort)
    return mechanism_concordance(expl.values, expl.feature_names, cohort.mechanism.iloc[pos], cohort.dictionary, k)
