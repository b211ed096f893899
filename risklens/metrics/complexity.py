"""Complexity of an attribution: how many features does it use to tell its story? Pure functions, one value per row.

- ``gini``: sparseness as the Gini index of |attribution| (Chalasani et al. 2020, Quantus ``Sparseness``):
  ``sum_i (2i - f - 1) |a|_(i) / (f * sum |a|)`` over |a| sorted ascending; 0 = every feature equal, (f - 1) / f =
  one feature carries everything. All-zero rows: 0.
- ``effective_complexity``: the number of features whose |attribution| is at least ``share`` (default 1%) of
  the row's total |attribution| (Nguyen & Martinez 2020 count features above a fixed threshold; a share of
  the total makes the threshold the same in every output space). All-zero rows: 0.
- ``compacity``: the fewest features whose |attribution| reaches ``share`` (90%) of the total
  (:func:`risklens.metrics.faithfulness.compacity`, re-exported here).
"""

from __future__ import annotations

import numpy as np

from risklens.metrics.faithfulness import compacity

__all__ = ["EFFECTIVE_SHARE", "COMPACITY_SHARE", "gini", "effective_complexity", "compacity", "complexity_table"]

EFFECTIVE_SHARE = 0.01
COMPACITY_SHARE = 0.9


def _abs_rows(values) -> np.ndarray:
    return np.abs(np.atleast_2d(np.asarray(values, dtype=np.float64)))


def gini(values) -> np.ndarray:
    """Per row: the Gini index of |attribution| (0 = uniform, (f - 1) / f = one feature)."""
    A = np.sort(_abs_rows(values), axis=1)
    f = A.shape[1]
    total = A.sum(axis=1)
    w = 2.0 * np.arange(1, f + 1) - f - 1
    return np.where(total > 0, (A * w).sum(axis=1) / (f * np.where(total > 0, total, 1.0)), 0.0)


def effective_complexity(values, share: float = EFFECTIVE_SHARE) -> np.ndarray:
    """Per row: features with |attribution| >= ``share`` x the row's total |attribution| (0 for all-zero rows)."""
    A = _abs_rows(values)
    total = A.sum(axis=1, keepdims=True)
    return np.where(total[:, 0] > 0, (A >= share * total).sum(axis=1), 0).astype(int)


def complexity_table(values) -> dict[str, np.ndarray]:
    """The three measures per row: {"gini", "effective", "compacity"}."""
    return {"gini": gini(values), "effective": effective_complexity(values),
            "compacity": compacity(values, COMPACITY_SHARE)}
