"""One conversion to plain JSON types, shared by model cards, explanation metadata and evaluation reports."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def to_json_safe(obj, *, nonfinite: str = "null", strict: bool = False):
    """Recursively turn numpy scalars/arrays, tuples and paths into JSON types; keys become strings.

    ``nonfinite``: NaN/inf become ``None`` ("null") or their text, e.g. "nan" ("string" -- keeps cache keys
    distinct). ``strict``: raise TypeError for any other object instead of passing it through.
    """
    rec = lambda v: to_json_safe(v, nonfinite=nonfinite, strict=strict)  # noqa: E731
    if isinstance(obj, dict):
        return {str(k): rec(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rec(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return rec(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        if math.isfinite(x):
            return x
        return None if nonfinite == "null" else str(x)
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Path):
        return str(obj)
    if strict:
        raise TypeError(type(obj).__name__)
    return obj
