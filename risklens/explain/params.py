"""Declared parameters of an explanation method: :class:`Param` (name, type, default, bounds or choices).

A method lists its parameters on its :class:`~risklens.explain.registry.MethodSpec`; every call is checked
against that list before the method runs (:func:`check_params`), so an unknown option or a bad value is a clear
:class:`ExplainError` naming the option, never a ``TypeError`` from deep inside the method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from risklens.explain.base import ExplainError

TYPES = (int, float, str)


@dataclass(frozen=True)
class Param:
    """One parameter: ``type`` int, float or str; ``default`` (None: the method decides, see ``help``);
    ``min`` the smallest allowed number; ``choices`` the allowed texts. None is always accepted (= the default)."""

    name: str
    type: type
    default: object = None
    min: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ExplainError(f"parameter {self.name!r}: type must be int, float or str, not {self.type!r}")

    def check(self, method: str, value) -> None:
        """Raise ExplainError when ``value`` is not a valid value of this parameter of ``method``."""
        if value is None:
            return
        where = f"{method!r} option {self.name}"
        if self.type is str:
            if not isinstance(value, str):
                raise ExplainError(f"{where} must be text, not {type(value).__name__}")
            if self.choices and value not in self.choices:
                raise ExplainError(f"{where} must be one of {', '.join(self.choices)}, not {value!r}")
            return
        numeric = (int, np.integer) if self.type is int else (int, float, np.integer, np.floating)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numeric):
            kind = "a whole number" if self.type is int else "a number"
            raise ExplainError(f"{where} must be {kind}, not {value!r}")
        if not math.isfinite(float(value)):
            raise ExplainError(f"{where} must be a finite number, not {value!r}")
        if self.min is not None and value < self.min:
            raise ExplainError(f"{where} must be at least {self.min:g}, got {value!r}")


def check_params(method: str, declared: tuple[Param, ...], params: dict) -> None:
    """Every key of ``params`` is a declared parameter with a valid value; ExplainError otherwise."""
    by_name = {p.name: p for p in declared}
    unknown = [k for k in params if k not in by_name]
    if unknown:
        takes = ", ".join(by_name) or "no options"
        raise ExplainError(f"{method!r} does not take the option(s) {', '.join(map(str, unknown))}; it takes: {takes}")
    for name, value in params.items():
        by_name[name].check(method, value)
