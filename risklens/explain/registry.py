"""The registry of explanation methods by name: :class:`MethodSpec` and its look-ups.

The methods are registered in :mod:`risklens.explain` (``register(MethodSpec(...))``); callers ask
``method(name)``, ``methods_for(family)``, ``deterministic_for(name, family)`` or ``all_methods()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import pandas as pd

from risklens.explain.base import Explanation, ExplainError


class Explainer(Protocol):
    """Anything that turns a model and rows into an Explanation."""

    def __call__(self, model, X: pd.DataFrame, *, seed: int = 0, **params) -> Explanation: ...


COSTS = ("fast", "slow")


@dataclass(frozen=True)
class MethodSpec:
    """One explanation method: names, where it applies, its output space, cost and default budget.

    ``stochastic`` says whether the seed can change the result; ``exact_on`` lists families where the
    method is computed exactly instead (deterministic and fast: TreeSHAP on XGBoost, linear SHAP on
    the L1 model). ``defaults`` are the budget parameters (samples, permutations, background size) the
    evaluation protocol passes where the method samples, unless its settings override them.
    """

    name: str
    label: str
    families: tuple[str, ...]  # model families it applies to
    output: str  # output space of its values
    stochastic: bool  # does the seed change the result?
    explain: Callable[..., Explanation]
    description: str = ""
    short: str = ""  # short name for tables and axes ("SHAP", "DTD")
    cost: str = "fast"  # "fast" or "slow" where the method samples
    defaults: dict = field(default_factory=dict)  # default budget parameters where the method samples
    exact_on: tuple[str, ...] = ()  # families on which a stochastic method is exact (deterministic)

    def __post_init__(self) -> None:
        if self.cost not in COSTS:
            raise ExplainError(f"method {self.name!r}: cost must be one of {COSTS}, not {self.cost!r}")
        if not self.short:
            object.__setattr__(self, "short", self.label)

    def deterministic_for(self, family: str) -> bool:
        """True when explaining a ``family`` model gives the same values for every seed."""
        return not self.stochastic or family in self.exact_on

    def cost_for(self, family: str) -> str:
        """"fast" or "slow" on a ``family`` model (exact computations are fast)."""
        return "fast" if family in self.exact_on else self.cost

    def budget_for(self, family: str, overrides: dict | None = None) -> dict:
        """Budget parameters for a ``family`` model: ``defaults`` updated by ``overrides``; {} where exact."""
        if self.deterministic_for(family):
            return {}
        return {**self.defaults, **(overrides or {})}


_REGISTRY: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    """Add (or replace) a method under its name."""
    _REGISTRY[spec.name] = spec
    return spec


def method(name: str) -> MethodSpec:
    """The registered method ``name``; ExplainError naming the choices otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ExplainError(f"unknown explanation method {name!r}; choose one of {', '.join(_REGISTRY)}") from None


def deterministic_for(name: str, family: str) -> bool:
    """True when method ``name`` on a ``family`` model does not depend on its seed."""
    return method(name).deterministic_for(family)


def methods_for(family: str) -> list[str]:
    """Names of the methods that apply to a ``family`` model, in registration order."""
    return [m.name for m in _REGISTRY.values() if family in m.families]


def all_methods() -> list[str]:
    """Names of every registered method."""
    return list(_REGISTRY)
