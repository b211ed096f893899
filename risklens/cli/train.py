"""``risklens train`` (fit and save models, print held-out metrics) and ``risklens models`` (list the store)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from risklens import audit
from risklens.cli.common import add_cohort_source, json_ready, load_checked_cohort, print_json, stderr_progress
from risklens.errors import RiskLensError

FAMILY_CHOICES = ("xgboost", "l1-logistic", "mlp")
SUMMARY_KEYS = ("auroc", "auprc", "brier", "calibration_slope", "calibration_intercept", "sensitivity",
                "specificity", "ppv", "npv", "alerts_per_100")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a risk model on a cohort file or a built-in cohort and save it",
        description="Train XGBoost, L1 logistic regression or a ReLU MLP on a patient-level split; save "
                    "each run (model file + card.json) and print held-out metrics as JSON on stdout.",
    )
    add_cohort_source(p, group_help="patient column of --data (for the patient-level split)")
    p.add_argument("--data-seed", type=int, default=0, help="seed of a simulated built-in cohort (default 0)")
    p.add_argument("--model", required=True, choices=FAMILY_CHOICES, help="model family")
    p.add_argument("--runs", type=int, default=1, help="training runs with seeds S, S+1, ... (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first run (default 0)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the patient-level split (default 0)")
    p.add_argument("--test-size", type=float, default=0.3, help="held-out share of patients (default 0.3)")
    p.add_argument("--threshold", type=float, default=None,
                   help="alert threshold (default: alert rate = 2 x training event rate)")
    p.add_argument("--params", default=None, help='JSON of hyper-parameters, e.g. \'{"n_estimators": 100}\'')
    p.add_argument("--out", required=True, help="directory to save into (DIR/run-<r> when --runs > 1)")
    p.set_defaults(func=run_train)

    m = subparsers.add_parser("models", help="list saved models",
                              description="List the models saved under a directory (any depth).")
    m.add_argument("--root", default="models", help="store directory (default: models)")
    m.add_argument("--json", action="store_true", help="print JSON instead of a table")
    m.set_defaults(func=run_models)


def _parse_params(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RiskLensError(f"--params is not valid JSON ({exc.msg}); example: '{{\"n_estimators\": 100}}'") from None
    if not isinstance(params, dict):
        raise RiskLensError("--params must be a JSON object of parameter names to values")
    return params


def run_train(args) -> int:
    from risklens.modeling import save_model, train_runs

    if args.runs < 1:
        raise RiskLensError(f"--runs must be at least 1, got {args.runs}")
    params = _parse_params(args.params)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise RiskLensError(f"--out {out} is a file; give a directory to save the model(s) into")
    if not 0 < args.test_size < 1:
        raise RiskLensError(f"--test-size must be between 0 and 1, got {args.test_size}")
    cohort, findings = load_checked_cohort(args, seed=args.data_seed, test_size=args.test_size,
                                           split_seed=args.split_seed)
    s = cohort.summary()
    print(f"cohort {s['name']}: {s['rows']} rows, {s['patients']} patients, {s['features']} features, "
          f"{s['events']} events", file=sys.stderr)
    start = time.perf_counter()
    models = train_runs(cohort, args.model, runs=args.runs, seed=args.seed, split_seed=args.split_seed,
                        progress=stderr_progress, params=params, test_size=args.test_size,
                        threshold=args.threshold)
    runs = []
    for r, model in enumerate(models, start=1):
        path = save_model(model, out if args.runs == 1 else out / f"run-{r}")
        runs.append({"run": r, "seed": model.seed, "path": str(path), "model_id": model.model_id,
                     "metrics": model.metrics})
        audit.record(audit.MODEL_TRAINED, model=model.model_id, data=cohort.hash, path=str(path), family=args.model)
    seconds = time.perf_counter() - start
    print(f"saved {len(models)} model(s) under {out} in {seconds:.1f} s", file=sys.stderr)
    mean = {k: sum(r["metrics"][k] for r in runs) / len(runs) for k in SUMMARY_KEYS}
    print_json({"cohort": cohort.name, "data_hash": cohort.hash, "family": args.model,
                "split_seed": args.split_seed, "test_size": args.test_size, "runs": runs, "mean": mean,
                "dropped_columns": list(cohort.contract.dropped) if cohort.contract is not None else [],
                "checks": [f.to_dict() for f in findings]})
    return 0


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def run_models(args) -> int:
    from risklens.modeling import list_models

    rows = list_models(args.root)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"no models under {args.root}", file=sys.stderr)
        return 0
    cols = ("name", "family", "cohort", "model_id", "seed", "auroc", "created", "path")
    cells = [[_cell(json_ready(row.get(c))) for c in cols] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    for row in rows:
        if row.get("error"):
            print(f"invalid model: {row['error']}", file=sys.stderr)
    return 0
