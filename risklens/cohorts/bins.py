"""Readable bins of a numeric column: quantile groups named by the values they hold, with their counts.

:func:`quantile_bins` cuts a column at its quantiles and names each bin by the smallest and largest value it
actually holds, in the column's own kind: whole numbers and calendar years as they are written ("1990–1994",
never "2e+03"), other numbers with just enough decimals to tell the edges apart, the unit from the dictionary.
Tied quantiles are merged (the edges are unique), so no bin is empty or missing; missing values get a bin of
their own ("not recorded"). Every name carries its count: "Year of diagnosis 1990–1994 (n=65)".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risklens.cohorts.dictionary import NOT_RECORDED

__all__ = ["Bins", "quantile_bins", "format_number"]

DASH = "–"


@dataclass
class Bins:
    """``codes`` (n,): the bin of each value (-1 = missing); ``names`` in order, ``counts`` per name."""

    codes: np.ndarray
    names: list[str]
    counts: list[int]

    def labels(self) -> np.ndarray:
        """The bin name of each value (``names[-1]`` is "not recorded" when values are missing)."""
        return np.array([self.names[c] for c in self.codes], dtype=object)


def _is_whole(values: np.ndarray) -> bool:
    return bool(len(values)) and bool(np.all(values == np.round(values))) and bool(np.all(np.abs(values) < 1e15))


def format_number(x: float, decimals: int | None) -> str:
    """A whole number as written (2000, not 2e+03), else with ``decimals`` decimals."""
    if decimals is None:
        return str(int(round(x)))
    return f"{x:.{decimals}f}"


def _decimals(values: np.ndarray, edges: list[float]) -> int | None:
    """None for whole numbers; else the fewest decimals (from 1, up to 6) at which the edges stay distinct."""
    if _is_whole(values):
        return None
    span = float(np.max(np.abs(values))) if len(values) else 1.0
    start = 0 if span >= 100 else 1 if span >= 10 else 2
    for d in range(start, 7):
        texts = [f"{e:.{d}f}" for e in edges]
        if len(set(texts)) == len(set(edges)):
            return d
    return 6


def quantile_bins(values, n_bins: int = 4, label: str = "", unit: str = "") -> Bins:
    """Up to ``n_bins`` groups of about equal size (fewer when values tie), each non-empty and named by its range
    in the column's kind, with its count; missing values are the last group, "not recorded"."""
    x = np.asarray(values, dtype=np.float64)
    gone = np.isnan(x)
    present = x[~gone]
    codes = np.full(len(x), -1, dtype=np.int64)
    names, counts = [], []
    if len(present):
        inner = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1], method="lower"))
        raw = np.searchsorted(inner, present, side="left")  # bin i holds inner[i-1] < v <= inner[i]
        used = np.unique(raw)  # ties leave some bins empty: they are merged away
        codes[~gone] = np.searchsorted(used, raw)
        ranges = [(float(present[raw == b].min()), float(present[raw == b].max())) for b in used]
        dec = _decimals(present, [v for r in ranges for v in r])
        u = f" {unit}" if unit and unit not in ("0/1", "category") else ""
        for k, (lo, hi) in enumerate(ranges):
            span = format_number(lo, dec) if lo == hi else f"{format_number(lo, dec)}{DASH}{format_number(hi, dec)}"
            n = int((codes == k).sum())
            names.append(f"{label + ' ' if label else ''}{span}{u} (n={n:,})")
            counts.append(n)
    if gone.any():
        codes[gone] = len(names)
        n = int(gone.sum())
        names.append(f"{label + ' ' if label else ''}{NOT_RECORDED} (n={n:,})")
        counts.append(n)
    return Bins(codes=codes, names=names, counts=counts)
