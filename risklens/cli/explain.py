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
from risklens.cli.common import add_drop_argument, drop_from_frame, refuse_drop_partitioned
from risklens.errors import RiskLensError
from risklens.cli.scheduler import add_scheduler_argument


def add_parser(subparsers) -> None:
    from risklens.explain import all_methods, method

    p = subparsers.add_parser(
        "explain", help="explain a saved model's predictions for rows of a data file",
        description=__doc__,
    )
    p.add_argument("--model", required=True, help="directory of a saved model (model file + card.json)")
    p.add_argument("--data", required=True,
                   help="CSV or Parquet file with the model's raw input columns (extra columns are ignored)")
    p.add_argument("--method", required=True, help="an explanation method: " + ", ".join(
        f"{m} ({', '.join(method(m).families)})" if len(method(m).families) < 4 else m for m in all_methods()))
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
    add_drop_argument(p)
    p.add_argument("--concepts", action="store_true",
                   help="one attribution per clinical concept (the dictionary's groups: a vital sign's summaries, a "
                   "text column's categories): group Shapley values for SHAP, sums for the other methods")
    p.add_argument("--dictionary", default=None,
                   help="feature dictionary CSV whose 'group' column names the concepts (default: the built-in "
                   "cohort's dictionary, else groups inferred from the column names)")
    add_scheduler_argument(p)
    p.add_argument("--partition-rows", type=int, default=None,
                   help="rows per partition of a partitioned output (default 50000; 1000 for LIME / SHAP on the MLP)")
    p.set_defaults(func=run_explain)


def read_rows(path, model, id_col: str | None = None, drop=()):
    """The model's feature frame of a raw data file (through its input contract) and the contract's report.

    ``id_col`` overrides the model's id column; without either, a column named ``id`` is used if present.
    """
    import pandas as pd

    from risklens.modeling.contract import TransformReport
    from risklens.cohorts import read_table

    id_col = id_col or model.contract.id_col
    frame = drop_from_frame(read_table(path, text_columns=[id_col] if id_col else ["id"]), drop, Path(path).name)
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
    background = read_rows(args.data, model, args.id_col, getattr(args, "drop", ()))
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


def run_explain(args) -> int:
    from risklens.cli.common import print_json, write_table, write_text
    from risklens.explain import method, prepare
    from risklens.modeling import load_model
    from risklens.scale.dataset import wants_dataset

    if args.scheduler or wants_dataset(args.out):
        from risklens.cli.scheduler import explain_command
        from risklens.scale.dataset import check_file_out

        if not wants_dataset(args.out):  # a file: the parts are gathered into it (checked before any work)
            check_file_out(args.out)

        refuse_drop_partitioned(args)
        if args.concepts:
            raise RiskLensError("--concepts writes one .csv or .parquet file; drop --scheduler or the folder output")
        if args.expect_model_id:  # the pin is checked before any task starts (workers re-check the hash)
            load_model(args.model, expect_model_id=args.expect_model_id)
        return explain_command(args)
    if args.samples is not None and args.samples < 2:
        raise RiskLensError("--samples must be at least 2")
    if Path(args.out).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise RiskLensError(f"cannot write {Path(args.out).name}: use a .csv or .parquet file name")
    method(args.method)  # an unknown method fails before the model and the data are read
    model = load_model(args.model, expect_model_id=args.expect_model_id)
    X, background = _rows_frame(args, model)
    params = {} if args.samples is None else {"samples": args.samples}
    call = prepare(model, X, args.method, seed=args.seed, background=background, **params)  # the whole file
    print(f"explaining {len(X)} row(s) with {args.method}", file=sys.stderr)
    t0 = time.perf_counter()
    if args.concepts:  # the same checked request, its players the concepts
        reference = {} if call.background is None else {"background": call.background}
        expl = _explain_concepts(model, X, args, {**call.params, **reference})
    else:
        expl = call.run()
    seconds = time.perf_counter() - t0
    out = write_table(expl.output_frame(args.seed), args.out)
    sidecar = write_text(out.with_name(out.name + ".json"), json.dumps(expl.metadata(), indent=1))
    audit.record(audit.EXPORT_WRITTEN, model=expl.model_id, out=str(out), method=expl.method, rows=len(expl))
    print_json({"out": str(out), "metadata": str(sidecar), "rows": len(expl), "method": expl.method,
                "output": expl.output, "model_id": expl.model_id, "seconds": round(seconds, 3)})
    return 0


def _explain_concepts(model, X, args, params):
    """Concept attributions of the rows, with the concepts of ``--dictionary`` or the model's default dictionary."""
    from risklens.cohorts.dictionary import FeatureDictionary
    from risklens.explain.concepts import explain_concepts, model_dictionary

    dictionary = None
    if args.dictionary:
        path = Path(args.dictionary)
        if not path.is_file():
            raise RiskLensError(f"--dictionary {path.name!r} is not a file")
        dictionary = FeatureDictionary.from_csv(path.read_bytes())
    return explain_concepts(model, X, args.method, model_dictionary(model, dictionary), seed=args.seed, **params)
