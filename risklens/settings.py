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


def pins_file() -> Path:
    """The pinned-model list: $RISKLENS_PINNED_MODELS, else ``<home>/pinned_models.json``."""
    raw = os.environ.get("RISKLENS_PINNED_MODELS", "").strip()
    return Path(raw) if raw else home() / "pinned_models.json"


def pinned_models() -> dict[str, str]:
    """Model directory -> expected model id, from :func:`pins_file` (``{}`` when there is none).

    The file is a JSON object such as ``{"ward-xgb/run-1": "0a1b2c3d4e5f"}``; relative directories are
    read under :func:`models_root`. A model directory listed here loads only while its id matches.
    """
    import json

    from risklens.errors import RiskLensError

    path = pins_file()
    if not path.is_file():
        return {}
    try:
        pins = json.loads(path.read_text())
    except (ValueError, OSError) as exc:
        raise RiskLensError(f"the pinned-model list {path} is not valid JSON ({exc})") from None
    if not isinstance(pins, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in pins.items()):
        raise RiskLensError(f"the pinned-model list {path} must be a JSON object of directory -> model id")
    return {str((models_root() / k).resolve()): v.strip().lower() for k, v in pins.items()}
