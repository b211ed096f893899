"""``risklens import-model``: bring an XGBoost (.json/.ubj) or scikit-learn (.skops) model into the store.

Read a model file (never pickle; skops files only with allow-listed types), match its features with a data
file that has the outcome, measure it on those rows and save it with a card (features, hash, metrics,
versions, provenance). The model then works with the explainers that apply to it, the Patients page and the
protocol.
"""

from __future__ import annotations

import sys
from pathlib import Path

from risklens.cli.common import add_drop_argument
from risklens.errors import RiskLensError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "import-model", help="import an XGBoost (.json/.ubj) or scikit-learn (.skops) model trained elsewhere",
        description=__doc__,
    )
    p.add_argument("model_file", help="XGBoost model (.json/.ubj) or skops file (.skops)")
    p.add_argument("--data", required=True, help="CSV or Parquet file with the model's inputs and the outcome")
    p.add_argument("--outcome", required=True, help="0/1 outcome column of --data")
    p.add_argument("--id", dest="id_col", default=None, help="row id column of --data")
    add_drop_argument(p)
    p.add_argument("--threshold", type=float, default=None,
                   help="alert threshold (default: alert rate = 2 x the data's event rate)")
    p.add_argument("--name", default=None, help="model name on the card (default <data>-imported-<family>)")
    p.add_argument("--out", required=True, help="directory to save the model into")
    p.set_defaults(func=run_import)


def run_import(args) -> int:
    from risklens.cli.common import print_json
    from risklens.cohorts import load_cohort_file
    from risklens.modeling import save_model
    from risklens.modeling.imported import import_model
    from risklens.modeling.safeio import check_size

    src = Path(args.model_file)
    if not src.is_file():
        raise FileNotFoundError(2, "No such file or directory", args.model_file)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise RiskLensError(f"--out {out} is a file; give a directory to save the model into")
    if args.threshold is not None and not 0 < args.threshold < 1:
        raise RiskLensError(f"--threshold must be between 0 and 1, got {args.threshold}")
    check_size(src.stat().st_size, src.name)  # before reading a byte
    cohort = load_cohort_file(args.data, args.outcome, id_col=args.id_col, drop=args.drop)
    model = import_model(src.read_bytes(), src.name, cohort, threshold=args.threshold, name=args.name,
                         data_name=Path(args.data).name)
    path = save_model(model, out)
    print(f"imported {src.name} as a {model.family} model with {len(model.feature_names)} features into {path}",
          file=sys.stderr)
    print_json({"path": str(path), "model_id": model.model_id, "family": model.family,
                "features": model.feature_names, "metrics": model.metrics})
    return 0
