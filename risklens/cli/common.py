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
    add_time_argument(p)
    add_drop_argument(p)


def add_time_argument(p) -> None:
    """``--time COLUMN``: the rows of --data are windows of stays (with --group, the stay or patient id)."""
    p.add_argument("--time", dest="time_col", metavar="COLUMN",
                   help="time column of --data: hours since admission, or ISO date-times (read as hours since the "
                        "stay's first window); with --group (the stay or patient id) the rows are windows of stays, "
                        "so lead time is measured over each stay. Not a feature")


def data_roles(args) -> dict:
    """The role columns of ``--data`` given on the command line (``id_col``, ``group_col``, ``trigger_col``,
    ``time_col``; None when not given)."""
    return {"id_col": getattr(args, "id_col", None), "group_col": getattr(args, "group_col", None),
            "trigger_col": getattr(args, "trigger_col", None), "time_col": getattr(args, "time_col", None)}


def add_drop_argument(p) -> None:
    """``--drop COLUMN`` (repeatable): a column left out of the data; recorded in a trained model's input contract."""
    p.add_argument("--drop", action="append", default=[], metavar="COLUMN",
                   help="leave this column of the data out (repeatable); a model trained without it records it "
                        "in its input contract and card, and scoring a raw file leaves it out again")


def print_findings(findings) -> None:
    """One ``warning:`` line per data-check finding on stderr (see risklens.cohorts.checks)."""
    for f in findings:
        print(f"warning: data check {f.line()}", file=sys.stderr)


def load_checked_cohort(args, *, seed: int = 0, preset: str | None = None, test_size: float = 0.3,
                        split_seed: int = 0, stays: bool = False):
    """``(cohort, findings)`` of ``--cohort``/``--data`` with the role flags and ``--drop``; the data checks run on
    the table as read (before a column the cohort refuses can stop it) and each finding is printed on stderr."""
    from risklens.cohorts import cohort_from_frame, load_builtin
    from risklens.cohorts.checks import check_cohort, check_table
    from risklens.cohorts.columns import leave_out

    drop = tuple(getattr(args, "drop", None) or ())
    if args.cohort:
        cohort = leave_out(load_builtin(args.cohort, n=args.n, seed=seed, preset=preset, stays=stays), drop)
        findings = check_cohort(cohort, test_size=test_size, split_seed=split_seed)
        print_findings(findings)
        return cohort, findings
    if not args.outcome:
        raise RiskLensError("--data needs --outcome COLUMN (the 0/1 outcome column)")
    path = Path(args.data)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", args.data)
    from risklens.cohorts.mechanism import read_mechanism
    from risklens.cohorts import read_table

    roles = data_roles(args)
    frame = read_table(path, text_columns=[roles[c] for c in ("id_col", "group_col", "trigger_col") if roles[c]])
    findings = check_table(frame, args.outcome, drop=drop, test_size=test_size, split_seed=split_seed, **roles)
    print_findings(findings)
    cohort = cohort_from_frame(frame, args.outcome, name=path.name if path.is_dir() else path.stem, drop=drop,
                               **roles)
    if not path.is_dir():
        cohort.mechanism = read_mechanism(path, cohort.ids)
    return cohort, findings


def drop_from_frame(frame, drop, label: str):
    """``frame`` without the ``--drop`` columns; RiskLensError naming a column the file does not have."""
    drop = list(dict.fromkeys(drop or ()))
    absent = [c for c in drop if c not in frame.columns]
    if absent:
        raise RiskLensError(f"--drop {absent[0]!r}: {label} has no such column")
    return frame.drop(columns=drop) if drop else frame


def refuse_drop_partitioned(args) -> None:
    if getattr(args, "drop", None):
        raise RiskLensError("--drop is not offered with a partitioned dataset or --scheduler; a model already leaves "
                            "out the columns it was trained without (its input contract lists them)")
