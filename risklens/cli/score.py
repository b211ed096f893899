"""``risklens score``: risk, alert and (optionally) attributions of a saved model for the raw rows of a file.

Send the rows of a CSV or Parquet file through the model's input contract (column selection, category
encoding, yes/no parsing, id column) and write one row per patient: id, risk, alert at the model's threshold
and, with --explain, attributions per input column. Extra columns are ignored; a missing column or text in a
numeric column is an error naming it; an unseen category scores as 'other' and is counted in a warning.
"""

from __future__ import annotations

import sys
from pathlib import Path

from risklens.cli.common import add_drop_argument, drop_from_frame, refuse_drop_partitioned
from risklens.errors import RiskLensError
from risklens.cli.scheduler import add_scheduler_argument


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "score", help="score the raw rows of a data file with a saved model (risk, alert, attributions)",
        description=__doc__,
    )
    p.add_argument("--model", required=True, help="directory of a saved model (model file + card.json)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="CSV or Parquet file (or a folder of Parquet files) with the model's raw input "
                     "columns")
    src.add_argument("--cohort", help="simulate this built-in cohort (ward) with --n rows and score it as it is made: "
                     "its rows plus risk, log_odds and alert, written block by block (any size; the Patients page "
                     "pages through such a folder, see RISKLENS_WORKLIST)")
    p.add_argument("--n", type=int, default=None, help="rows of the simulated --cohort")
    p.add_argument("--partitions", type=int, default=None, help="partitions of a simulated --cohort "
                   "(default: one per 50,000 rows)")
    p.add_argument("--out", required=True, help="output file, .csv or .parquet (CSV cells cannot start a formula); "
                   "a folder name (no suffix) writes a partitioned dataset (id, risk, log_odds, alert, input order); with "
                   "--scheduler a file gets that dataset's rows gathered into it")
    p.add_argument("--explain", dest="method", default=None, help="add attributions of this method (e.g. shap, lime)")
    p.add_argument("--threshold", type=float, default=None, help="alert threshold (default: the model's)")
    p.add_argument("--seed", type=int, default=0, help="seed of stochastic methods; with --cohort the simulation "
                   "seed (default 0)")
    p.add_argument("--samples", type=int, default=None, help="LIME samples per patient (default 5000)")
    p.add_argument("--expect-model-id", default=None,
                   help="refuse the model unless its id (content hash, see `risklens models`) is this one")
    add_drop_argument(p)
    add_scheduler_argument(p)
    p.add_argument("--partition-rows", type=int, default=None, help="rows per partition of a partitioned output "
                   "(default 50000)")
    p.set_defaults(func=run_score)


def run_score(args) -> int:
    from risklens.cli.common import print_json, write_table
    from risklens.cohorts import read_table
    from risklens.modeling import load_model
    from risklens.modeling.scoring import score_table
    from risklens.scale.dataset import wants_dataset

    if args.cohort or args.scheduler or wants_dataset(args.out):
        refuse_drop_partitioned(args)
        return _score_partitioned(args)
    if Path(args.out).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise RiskLensError(f"cannot write {Path(args.out).name}: use a .csv or .parquet file name")
    if args.threshold is not None and not 0 < args.threshold < 1:
        raise RiskLensError(f"--threshold must be between 0 and 1, got {args.threshold}")
    if args.samples is not None and args.samples < 2:
        raise RiskLensError("--samples must be at least 2")
    model = load_model(args.model, expect_model_id=args.expect_model_id)
    if args.method:
        from risklens.explain import method, methods_for

        if model.family not in method(args.method).families:
            raise RiskLensError(f"{args.method!r} does not apply to {model.family} models; use one of: "
                                f"{', '.join(methods_for(model.family))}")
    id_col = model.contract.id_col or "id"  # like `risklens explain`: an 'id' column when the model names none
    frame = drop_from_frame(read_table(args.data, text_columns=[id_col]), args.drop, Path(args.data).name)
    scored = score_table(model, frame, args.method, seed=args.seed, samples=args.samples, threshold=args.threshold,
                         id_col=id_col)
    for line in scored.warnings:
        print(f"warning: {line}", file=sys.stderr)
    out = write_table(scored.table, args.out)
    t = scored.table
    print_json({"out": str(out), "rows": len(t), "alerts": int(t["alert"].sum()), "model_id": model.model_id,
                "threshold": model.threshold if args.threshold is None else args.threshold,
                "method": args.method, "unseen_categories": scored.report.unseen,
                "ignored_columns": scored.report.ignored, "dropped_columns": list(model.contract.dropped)})
    return 0


def _score_partitioned(args) -> int:
    """Risk scores into a partitioned dataset, in this process or on a Dask cluster (``--scheduler``)."""
    from risklens.modeling import load_model
    from risklens.cli.scheduler import score_command
    from risklens.scale.dataset import check_file_out, wants_dataset

    if args.method:
        raise RiskLensError("--explain is not offered with a partitioned output or --scheduler; write attributions "
                            "with `risklens explain --scheduler ... --out FOLDER`")
    if args.threshold is not None:
        raise RiskLensError("--threshold is not offered with a partitioned output or --scheduler: alerts use the "
                            "model's threshold (the risk column lets you apply another)")
    load_model(args.model, expect_model_id=args.expect_model_id)  # the pin, checked before any task starts
    if not wants_dataset(args.out):  # a file: the parts are gathered into it
        check_file_out(args.out)
    if args.cohort:
        return _score_simulated(args)
    args.id_col, args.rows, args.ids = None, None, None
    return score_command(args)


def _score_simulated(args) -> int:
    """A simulated cohort scored block by block (:func:`risklens.scale.simulate.write_simulated` with a model)."""
    from risklens.cli.common import print_json
    from risklens.scale.cluster import connect
    from risklens.scale.simulate import BLOCK_ROWS, write_simulated

    if args.n is None or args.n < 1:
        raise RiskLensError("--cohort needs --n, the number of rows to simulate and score")
    partitions = args.partitions or max(1, -(-args.n // BLOCK_ROWS))
    with connect(args.scheduler) as client:
        summary = write_simulated(args.cohort, int(args.n), args.out, partitions=int(partitions), seed=args.seed,
                                  client=client, model_dir=args.model)
    print(f"wrote {summary['rows']:,} scored rows in {summary['partitions']} partition(s) to {summary['out']}",
          file=sys.stderr)
    print_json(summary)
    return 0
