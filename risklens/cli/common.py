"""Sub-commands of the ``risklens`` CLI; each module exposes ``add_parser(subparsers)``.

Shared helpers for the command modules live here: progress on stderr, writing tables, JSON output.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from risklens.errors import RiskLensError


def stderr_progress(fraction: float, message: str) -> None:
    """A ``progress(fraction, message)`` callback that prints to stderr."""
    print(f"[{100 * fraction:3.0f}%] {message}", file=sys.stderr, flush=True)


def json_ready(obj):
    """Replace NaN/inf by None and numpy scalars by Python ones, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):
        return json_ready(obj.item())
    return obj


def print_json(obj) -> None:
    print(json.dumps(json_ready(obj), indent=2, allow_nan=False))


def write_table(frame, path) -> Path:
    """Write a frame as CSV or Parquet (by the file extension), atomically; CSV text cells cannot start a formula."""
    from risklens.safety import atomic_path, csv_safe

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise RiskLensError(f"cannot write {path.name}: use a .csv or .parquet file name")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            csv_safe(frame).to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    return path
