"""One :class:`Explanation` type for every method, and the registry of methods by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError

OUTPUTS = ("log-odds", "probability")


class ExplainError(RiskLensError):
    """An explanation cannot be computed (method does not apply to this model, bad rows ...)."""


@dataclass(eq=False)
class Explanation:
    """Attributions of ``n`` rows over ``f`` features, in the style of ``shap.Explanation``.

    values (n, f), base_values (n,), data (n, f) -- the feature values explained (NaN = missing),
    feature_names (f), ids (n) row ids, method name, model_id, output space ("log-odds" or
    "probability") and params (seed, samples, background ... everything needed to reproduce it).
    For additive methods, ``values.sum(1) + base_values`` is the model output in that space.
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    feature_names: list[str]
    method: str
    model_id: str
    output: str
    ids: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float64)
        if self.values.ndim == 1:
            self.values = self.values[None, :]
        n, f = self.values.shape
        self.base_values = np.broadcast_to(np.asarray(self.base_values, dtype=np.float64), (n,)).copy()
        self.data = np.asarray(self.data, dtype=np.float64).reshape(n, f)
        self.feature_names = list(self.feature_names)
        if len(self.feature_names) != f:
            raise ExplainError(f"{f} attribution columns but {len(self.feature_names)} feature names")
        if self.output not in OUTPUTS:
            raise ExplainError(f"output must be one of {OUTPUTS}, not {self.output!r}")
        self.ids = (np.arange(n).astype(str) if self.ids is None else np.asarray(self.ids)).astype(object)
        if len(self.ids) != n:
            raise ExplainError(f"{n} rows but {len(self.ids)} ids")

    # ---- shape and slicing -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def __len__(self) -> int:
        return self.values.shape[0]

    def __getitem__(self, rows) -> "Explanation":
        """Rows by integer, slice, mask or position array (always returns an Explanation)."""
        if isinstance(rows, (int, np.integer)):
            rows = [int(rows)]
        return Explanation(
            values=self.values[rows], base_values=self.base_values[rows], data=self.data[rows],
            feature_names=self.feature_names, method=self.method, model_id=self.model_id,
            output=self.output, ids=self.ids[rows], params=dict(self.params),
        )

    def rows_for_ids(self, ids) -> "Explanation":
        pos = pd.Index(self.ids).get_indexer(list(ids))
        if (pos < 0).any():
            bad = [i for i, p in zip(ids, pos) if p < 0]
            raise ExplainError(f"ids not in this explanation: {', '.join(map(str, bad[:5]))}")
        return self[pos]

    # ---- rankings ----------------------------------------------------------------------------
    def top_k(self, k: int) -> np.ndarray:
        """Per-row indices of the k features with largest |attribution|, shape (n, k), ties by index."""
        k = min(int(k), self.values.shape[1])
        return np.argsort(-np.abs(self.values), axis=1, kind="stable")[:, :k]

    def cohort_importance(self) -> pd.Series:
        """Mean |attribution| per feature over rows, sorted descending (the study's cohort level)."""
        imp = pd.Series(np.abs(self.values).mean(axis=0), index=self.feature_names, name=self.method)
        return imp.sort_values(ascending=False, kind="stable")

    def to_frame(self) -> pd.DataFrame:
        """One row per patient: id, base value, one column per feature's attribution."""
        df = pd.DataFrame(self.values, columns=self.feature_names)
        df.insert(0, "base_value", self.base_values)
        df.insert(0, "id", self.ids)
        return df

    @property
    def description(self) -> str:
        return f"{self.method} on model {self.model_id} ({self.output})"


class Explainer(Protocol):
    """Anything that turns a model and rows into an Explanation."""

    def __call__(self, model, X: pd.DataFrame, *, seed: int = 0, **params) -> Explanation: ...


@dataclass(frozen=True)
class MethodSpec:
    name: str
    label: str
    families: tuple[str, ...]  # model families it applies to
    output: str  # output space of its values
    stochastic: bool  # does the seed change the result?
    explain: Callable[..., Explanation]
    description: str = ""


_REGISTRY: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    _REGISTRY[spec.name] = spec
    return spec


def method(name: str) -> MethodSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ExplainError(f"unknown explanation method {name!r}; choose one of {', '.join(_REGISTRY)}") from None


def methods_for(family: str) -> list[str]:
    return [m.name for m in _REGISTRY.values() if family in m.families]


def all_methods() -> list[str]:
    return list(_REGISTRY)
