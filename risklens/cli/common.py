"""Sub-commands of the ``risklens`` CLI; each module exposes ``add_parser(subparsers)``.

Shared helpers for the command modules live here: progress on stderr, writing tables, JSON output.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from risklens.errors import RiskLensError
from risklens.safety import atomic_path, atomic_write_text, csv_safe


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
    """Write a frame as CSV or Parquet, chosen by the file extension, atomically (a unique temporary file
    in the same folder, renamed into place: a reader or a concurrent writer never sees a torn file).
    CSV text cells and headers that would start a spreadsheet formula are neutralised (OWASP rule)."""
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


def write_text(path, text: str) -> Path:
    """Write a text file (a JSON sidecar, a report) atomically."""
    return atomic_write_text(path, text)


def add_cohort_source(p, *, data_help: str = "CSV or Parquet file, one row per prediction",
                      group_help: str = "patient column of --data (the split is by patient)",
                      trigger_help: str = "recorded trigger column of --data") -> None:
    """The cohort flags of a command: --data or --cohort (one of them), --n, and --data's column flags."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help=data_help)
    src.add_argument("--cohort", help="built-in cohort instead of --data: ward, readmission or whas500")
    p.add_argument("--n", type=int, default=None, help="rows of a simulated built-in cohort")
    p.add_argument("--outcome", help="0/1 outcome column of --data (required with --data)")
    p.add_argument("--id", dest="id_col", help="row id column of --data")
    p.add_argument("--group", dest="group_col", help=group_help)
    p.add_argument("--trigger", dest="trigger_col", help=trigger_help)
