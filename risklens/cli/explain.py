"""``risklens explain``: attributions of a saved model for rows of a data file, written as CSV or Parquet.

Compute SHAP, LIME, coefficient or DTD attributions of a saved model for rows of a CSV or Parquet file.
Output: one row per patient (id, base value, method, output space, one column per feature) plus a sidecar
<out>.json with the full metadata.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from risklens import audit
from risklens.errors import RiskLensError
from risklens.scale.commands import add_scheduler_argument


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "explain", help="explain a saved model's predictions for rows of a data file",
        description=__doc__,
    )
    p.add_argument("--model", required=True, help="directory of a saved model (model file + card.json)")
    p.add_argument("--data", required=True,
                   help="CSV or Parquet file with the model's raw input columns (extra columns are ignored)")
    p.add_argument("--method", required=True, help="shap, lime, lime-ref, coef (L1 model) or dtd (MLP)")
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--rows", type=int, default=None, help="explain the first N rows (default: all)")
    sel.add_argument("--ids", nargs="+", default=None, help="explain the rows with these ids")
    p.add_argument("--id", dest="id_col", default=None,
                   help="row id column (default: 'id' if present, else row numbers 1..n)")
    p.add_argument("--seed", type=int, default=0, help="seed of stochastic methods (default 0)")
    p.add_argument("--samples", type=int, default=None,
                   help="LIME samples per patient (default 5000) / model evaluations of SHAP on the MLP")
    p.add_argument("--expect-model-id", default=None,
                   help="refuse the model unless its id (content hash, see `risklens models`) is this one")
    p.add_argument("--out", required=True, help="output file, .csv or .parquet (CSV cells cannot start a formula; "
                   "with --scheduler the parts are gathered into it); a folder name (no suffix) writes a partitioned "
                   "dataset")
    add_scheduler_argument(p)
    p.add_argument("--partition-rows", type=int, default=None,
                   help="rows per partition of a partitioned output (default 50000; 1000 for LIME / SHAP on the MLP)")
    p.set_defaults(func=run_explain)


def read_rows(path, model, id_col: str | None = None):
    """The model's feature frame of a raw data file (through its input contract) and the contract's report.

    ``id_col`` overrides the model's id column; without either, a column named ``id`` is used if present.
    """
    import pandas as pd

    from risklens.modeling.contract import TransformReport
    from risklens.cohorts import read_table

    id_col = id_col or model.contract.id_col
    frame = read_table(path, text_columns=[id_col] if id_col else ["id"])
    if id_col is None and "id" in frame.columns:
        id_col = "id"
    if id_col is not None and id_col not in frame.columns and id_col != model.contract.id_col:
        raise RiskLensError(f"--id column {id_col!r} is not in {Path(path).name}")
    report = TransformReport()
    X = model.prepare(frame, report)
    if id_col and id_col in frame.columns and id_col != model.contract.id_col:
        ids = frame[id_col].astype(str)
        if ids.duplicated().any():
            raise RiskLensError(f"the id column {id_col!r} has repeated ids, e.g. {ids[ids.duplicated()].iloc[0]}")
        X.index = pd.Index(ids.to_numpy(dtype=object), name="id")
    for line in report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return X


def _rows_frame(args, model):
    background = read_rows(args.data, model, args.id_col)
    if args.ids:
        absent = [i for i in args.ids if i not in background.index]
        if absent:
            raise RiskLensError(f"ids not found in {Path(args.data).name}: {', '.join(absent[:5])}")
        return background.loc[list(args.ids)], background
    if args.rows is not None:
        if args.rows < 1:
            raise RiskLensError("--rows must be at least 1")
        return background.iloc[: args.rows], background
    return background, background


def output_frame(expl, seed: int):
    """One row per patient: id, base_value, method, output, model_id, seed, then one column per feature."""
    frame = expl.to_frame()
    frame.insert(2, "method", expl.method)
    frame.insert(3, "output", expl.output)
    frame.insert(4, "model_id", expl.model_id)
    frame.insert(5, "seed", int(seed))
    return frame


def run_explain(args) -> int:
    from risklens.cli.common import print_json, write_table, write_text
    from risklens.explain import ExplainError, explain, method, methods_for
    from risklens.modeling import load_model
    from risklens.scale.dataset import wants_dataset

    if args.scheduler or wants_dataset(args.out):
        from risklens.scale.commands import explain_command
        from risklens.scale.dataset import check_file_out

        if not wants_dataset(args.out):  # a file: the parts are gathered into it (checked before any work)
            check_file_out(args.out)

        if args.expect_model_id:  # the pin is checked before any task starts (workers re-check the hash)
            load_model(args.model, expect_model_id=args.expect_model_id)
        return explain_command(args)
    if args.samples is not None and args.samples < 2:
        raise RiskLensError("--samples must be at least 2")
    if Path(args.out).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise RiskLensError(f"cannot write {Path(args.out).name}: use a .csv or .parquet file name")
    spec = method(args.method)
    model = load_model(args.model, expect_model_id=args.expect_model_id)
    if model.family not in spec.families:
        raise ExplainError(f"{args.method!r} does not apply to {model.family} models; use one of: "
                           f"{', '.join(methods_for(model.family))}")
    X, background = _rows_frame(args, model)
    params = {} if args.samples is None else {"samples": args.samples}
    if args.method in ("lime", "lime-ref", "shap") and len(background) > len(X):
        params["background"] = background
    print(f"explaining {len(X)} row(s) with {args.method}", file=sys.stderr)
    t0 = time.perf_counter()
    expl = explain(model, X, args.method, seed=args.seed, **params)
    seconds = time.perf_counter() - t0
    out = write_table(output_frame(expl, args.seed), args.out)
    sidecar = write_text(out.with_name(out.name + ".json"), json.dumps(expl.metadata(), indent=1))
    audit.record(audit.EXPORT_WRITTEN, model=expl.model_id, out=str(out), method=expl.method, rows=len(expl))
    print_json({"out": str(out), "metadata": str(sidecar), "rows": len(expl), "method": expl.method,
                "output": expl.output, "model_id": expl.model_id, "seconds": round(seconds, 3)})
    return 0
