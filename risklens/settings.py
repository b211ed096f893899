"""Where the dashboard keeps its files, and the size of the built-in demo (environment-driven)."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_COHORT = "ward"
DEMO_FAMILIES = ("xgboost", "l1-logistic", "mlp")
DEMO_SEED = 0
DEFAULT_DEMO_N = 20_000


def home() -> Path:
    """Root for models and stored explanations: $RISKLENS_HOME, else the current directory."""
    return Path(os.environ.get("RISKLENS_HOME") or ".").resolve()


def models_root() -> Path:
    return home() / "models"


def store_root() -> Path:
    return home() / "data" / "explanations"


def demo_n() -> int:
    """Rows of the demo ward cohort: $RISKLENS_DEMO_N (tests use ~2000)."""
    raw = os.environ.get("RISKLENS_DEMO_N", "")
    try:
        n = int(raw) if raw.strip() else DEFAULT_DEMO_N
    except ValueError:
        n = DEFAULT_DEMO_N
    return max(n, 200)
