"""``risklens evaluate``: the study's protocol on a cohort; writes report.json, report.html and report.md."""

from __future__ import annotations

import sys

from risklens.errors import RiskLensError
from risklens.scale.commands import add_scheduler_argument


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="run the study's evaluation protocol (runs x models x methods) and write a report",
        description="Train every model family R times, explain held-out correctly predicted positives and the "
                    "held-out cohort, and measure Table 1, trigger concordance, consistency, sign agreement, "
                    "top-contributor agreement, LIME stability and faithfulness. Writes OUT/report.json, "
                    "OUT/report.html (self-contained) and OUT/report.md; progress goes to stderr.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--cohort", help="built-in cohort: ward, readmission or whas500")
    src.add_argument("--data", help="CSV or Parquet file, one row per prediction")
    p.add_argument("--n", type=int, default=None, help="rows of a simulated built-in cohort")
    p.add_argument("--outcome", help="0/1 outcome column of --data (required with --data)")
    p.add_argument("--id", dest="id_col", help="row id column of --data")
    p.add_argument("--group", dest="group_col", help="patient column of --data")
    p.add_argument("--trigger", dest="trigger_col", help="recorded trigger column of --data (dictionary group names)")
    p.add_argument("--families", nargs="+", default=["l1-logistic", "mlp", "xgboost"],
                   help="model families (default: l1-logistic mlp xgboost)")
    p.add_argument("--methods", nargs="+", default=None,
                   help="method names (shap lime coef dtd) or family/method keys; default: the study's "
                        "(coef for L1, SHAP for XGBoost and MLP, DTD for MLP) plus LIME for all")
    p.add_argument("--runs", type=int, default=5, help="training runs per family (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of run 1 and of the split (default 0)")
    p.add_argument("--max-patients", type=int, default=100,
                   help="cap on patients explained by LIME / SHAP on the MLP (default 100)")
    p.add_argument("--rashomon", action="store_true", help="also measure importance spread over a Rashomon set")
    p.add_argument("--cache", default=None, help="explanation store directory (reuse explanations across runs)")
    p.add_argument("--out", required=True, help="output directory")
    add_scheduler_argument(p)
    p.set_defaults(func=run_evaluate)


def load_cohort(args):
    from risklens.cohorts import load_builtin
    from risklens.scale.commands import load_cohort_any

    if args.cohort:
        return load_builtin(args.cohort, n=args.n)
    if not args.outcome:
        raise RiskLensError("--data needs --outcome COLUMN (the 0/1 outcome column)")
    return load_cohort_any(args.data, args.outcome, id_col=args.id_col, trigger_col=args.trigger_col,
                            group_col=args.group_col)


def run_evaluate(args) -> int:
    from risklens.cli.common import print_json, stderr_progress
    from risklens.explain import ExplanationStore
    from risklens.scale.commands import evaluation_context
    from risklens.study.protocol import run_evaluation
    from risklens.study.report import write_report

    if args.runs < 1:
        raise RiskLensError("--runs must be at least 1")
    if args.max_patients < 5:
        raise RiskLensError("--max-patients must be at least 5")
    cohort = load_cohort(args)
    print(f"evaluating cohort {cohort.name} ({cohort.n} rows, {cohort.n_events} events)", file=sys.stderr)
    with evaluation_context(args.scheduler):
        rep = run_evaluation(cohort, families=tuple(args.families), methods=args.methods, runs=args.runs,
                             seed=args.seed, max_patients=args.max_patients, progress=stderr_progress,
                             rashomon=args.rashomon, store=ExplanationStore(args.cache) if args.cache else None)
    paths = write_report(rep, args.out)
    print_json({k: str(v) for k, v in paths.items()} | {"seconds": rep.provenance.get("total_seconds")})
    return 0
