"""Patient-level train/test split: no patient's rows on both sides, events balanced across sides."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.modeling.model import ModelError


def split_cohort(cohort, test_size: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Integer positions ``(train_pos, test_pos)`` of a seeded, patient-level, event-stratified split.

    Patients (``cohort.groups``) are the unit: every row of one patient lands on the same side.
    Patients are stratified by whether they have any event, and ``round(test_size * n)`` patients
    of each stratum go to the test side, so both sides keep the cohort's event rate. The same
    cohort, ``test_size`` and ``seed`` always give the same split.
    """
    return split_groups(cohort.groups, cohort.y, test_size=test_size, seed=seed)


def split_groups(groups, y, test_size: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`split_cohort` on bare arrays (``groups`` = patient per row, ``y`` = 0/1 outcome)."""
    if not 0.0 < float(test_size) < 1.0:
        raise ModelError(f"test_size must be between 0 and 1 (exclusive), got {test_size}")
    y = np.asarray(y).astype(np.int8)
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups, dtype=object)), sort=True)
    n_groups = len(uniques)
    if n_groups < 4:
        raise ModelError(f"need at least 4 patients for a train/test split, got {n_groups}")
    group_event = np.zeros(n_groups, dtype=bool)
    np.logical_or.at(group_event, codes, y.astype(bool))
    rng = np.random.default_rng(seed)
    in_test = np.zeros(n_groups, dtype=bool)
    for stratum in (False, True):
        members = np.flatnonzero(group_event == stratum)
        k = int(round(test_size * len(members)))
        if len(members) >= 2:
            k = min(max(k, 1), len(members) - 1)  # both sides get at least one patient of each stratum
        in_test[rng.permutation(members)[:k]] = True
    test_rows = in_test[codes]
    train_pos, test_pos = np.flatnonzero(~test_rows), np.flatnonzero(test_rows)
    for side, pos in (("training", train_pos), ("test", test_pos)):
        if len(np.unique(y[pos])) < 2:
            raise ModelError(
                f"the {side} split has only one outcome class; the cohort needs more events "
                f"(it has {int(y.sum())} events in {len(y)} rows)"
            )
    return train_pos, test_pos


def held_out_positions(model, cohort) -> np.ndarray:
    """Positions of the rows of ``cohort`` that ``model`` was not fitted on: the one definition of held-out rows.

    - A model trained here on this very cohort (its card's ``data_hash``): the held-out side of its card's
      split (``test_size``, ``split_seed``), recomputed.
    - An imported model, or one trained on other data: every row (RiskLens did not fit it on any of them; an
      imported model is measured on every row of its import data).
    The Model page's curves, conformal calibration, the Patients page and the protocol all read this.
    """
    card = model.card or {}
    imported = (card.get("provenance") or {}).get("source") == "imported"
    other_data = bool(card.get("data_hash")) and card["data_hash"] != cohort.hash
    if imported or other_data:
        return np.arange(cohort.n)
    return split_cohort(cohort, float(card.get("test_size", 0.3)), int(card.get("split_seed", 0)))[1]
