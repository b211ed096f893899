"""``risklens conformal``: split-conformal prediction sets of a saved model; coverage per class as JSON.

Calibrate split-conformal prediction sets (MAPIE, LAC score) on half of the model's held-out patients and
measure them on the other half: coverage overall and per outcome class (with the range the finite-sample
guarantee allows), and the share of patients whose set is {event}, {no event}, both (uncertain) or empty.
--mondrian calibrates per class.
"""

from __future__ import annotations

import sys

from risklens.cli.common import add_cohort_source, data_roles
from risklens.errors import RiskLensError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "conformal", help="how sure is a model: conformal prediction sets, coverage per class, share uncertain",
        description=__doc__,
    )
    add_cohort_source(p, data_help="the CSV or Parquet file the model was trained on",
                      trigger_help="recorded trigger column of --data, as given when training")
    p.add_argument("--model", required=True, help="saved model directory (model file + card.json)")
    p.add_argument("--alpha", type=float, default=0.1, help="error rate: sets miss the outcome at most this often "
                   "(default 0.1)")
    p.add_argument("--mondrian", action="store_true", help="class-conditional: the error rate holds within events "
                   "and within non-events")
    p.add_argument("--seed", type=int, default=0, help="seed of the calibration/evaluation split (default 0)")
    p.add_argument("--cohort-seed", type=int, default=0, help="seed of a simulated built-in cohort (default 0)")
    p.set_defaults(func=run)


def run(args) -> int:
    from risklens.cli.common import print_json
    from risklens.cohorts import load_builtin, load_cohort_file
    from risklens.modeling import load_model
    from risklens.modeling.conformal import conformal_for_cohort
    from risklens.study.seeds import SeedPlan

    if not 0.0 < args.alpha < 1.0:
        raise RiskLensError(f"--alpha must be between 0 and 1 (e.g. 0.1), got {args.alpha}")
    model = load_model(args.model)
    from risklens.cohorts.columns import leave_out

    if args.cohort:
        cohort = leave_out(load_builtin(args.cohort, n=args.n, seed=args.cohort_seed), args.drop)
    elif not args.outcome:
        raise RiskLensError("--data needs --outcome COLUMN (the 0/1 outcome column)")
    else:
        cohort = load_cohort_file(args.data, args.outcome, drop=args.drop, **data_roles(args))
    if model.card.get("data_hash") not in (None, cohort.hash):
        raise RiskLensError("the model was trained on different data (or the same file read with other "
                            "--id/--group/--trigger columns); give the file and columns (and --drop) it was trained with")
    _, summary = conformal_for_cohort(model, cohort, SeedPlan(args.seed).conformal, alpha=args.alpha,
                                      mondrian=args.mondrian)
    s = summary.to_dict()
    cov = ", ".join(f"{k} {v:.3f}" for k, v in s["coverage_by_class"].items())
    print(f"coverage {s['coverage']:.3f} (target >= {1 - args.alpha:.2f}); per class: {cov}; uncertain "
          f"{s['share']['uncertain']:.1%}, empty {s['share']['empty']:.1%}", file=sys.stderr)
    print_json({"model_id": model.model_id, "cohort": cohort.name} | s)
    return 0
