"""``risklens evaluate``: the study's protocol (:func:`risklens.study.run_protocol`) on a cohort;
writes report.json, report.html and report.md."""

from __future__ import annotations

import json
import sys

from risklens import audit
from risklens.cli.common import add_cohort_source
from risklens.errors import RiskLensError
from risklens.cli.scheduler import add_scheduler_argument


def add_parser(subparsers) -> None:
    from risklens.study import ProtocolSettings

    d = ProtocolSettings()
    p = subparsers.add_parser(
        "evaluate", help="run the study's evaluation protocol (runs x models x methods) and write a report",
        description="Train every model family R times, explain held-out correctly predicted positives and the "
                    "held-out cohort, and measure Table 1, trigger and mechanism concordance, consistency, the "
                    "explainer noise floor, sign and method agreement, LIME stability, faithfulness and conformal "
                    "coverage. Writes OUT/report.json, OUT/report.html (self-contained) and OUT/report.md; progress goes to stderr.",
    )
    add_cohort_source(p, group_help="patient column of --data",
                      trigger_help="recorded trigger column of --data (dictionary group names)")
    p.add_argument("--preset", default=None,
                   help="setting of the ward simulator: default, or study (the care process carries the weight it "
                        "carries in real wards; reproduces the shape of the study's Table 1 and Fig. 2)")
    p.add_argument("--stays", action="store_true",
                   help="ward: --n stays of consecutive windows (a 24 h window every 4 h) instead of independent "
                        "windows; the report's lead time is then measured over each stay")
    p.add_argument("--simulator-seed", type=int, default=None,
                   help="seed of the simulator (default: the 'simulator' stream of --seed)")
    p.add_argument("--families", nargs="+", default=None, help="model families (default: all three)")
    p.add_argument("--methods", nargs="+", default=None,
                   help="method names (shap lime coef dtd) or family/method keys; default: the study's "
                        "(coef for L1, SHAP for XGBoost and MLP, DTD for MLP) plus LIME for all")
    p.add_argument("--runs", type=int, default=None, help=f"training runs per family (default {d.runs})")
    p.add_argument("--seed", type=int, default=None, help="the one seed of the seed plan (default 0)")
    p.add_argument("--k", type=int, default=None, help=f"top-k of the agreement metrics (default {d.k})")
    p.add_argument("--max-patients", type=int, default=None,
                   help=f"cap on patients explained by slow methods (default {d.max_patients})")
    p.add_argument("--noise-seeds", type=int, default=None,
                   help=f"explainer seeds of the noise floor (default {d.noise_seeds})")
    p.add_argument("--conformal-alpha", type=float, default=None,
                   help=f"error rate of the conformal prediction sets (default {d.conformal_alpha})")
    p.add_argument("--budget", action="append", default=[], metavar="METHOD.PARAM=VALUE",
                   help="override a method's budget, e.g. lime.num_samples=500 (repeatable)")
    p.add_argument("--settings", help="JSON file of ProtocolSettings fields (flags given explicitly win)")
    p.add_argument("--rashomon", action="store_true", help="also measure importance spread over a Rashomon set")
    p.add_argument("--no-trust", action="store_true",
                   help="skip the trust checks (sanity checks, random-explainer control, complexity, robustness, subgroups)")
    p.add_argument("--subgroup", action="append", default=None, metavar="COLUMN",
                   help="also compare the subgroups of COLUMN (beside sex and age band); repeatable")
    p.add_argument("--cache", default=None, help="explanation store directory (reuse explanations across runs)")
    p.add_argument("--out", required=True, help="output directory")
    add_scheduler_argument(p)
    p.set_defaults(func=run_evaluate)


def parse_budgets(items) -> dict:
    out: dict = {}
    for item in items:
        name, sep, value = item.partition("=")
        method, dot, param = name.partition(".")
        if not sep or not dot or not method or not param:
            raise RiskLensError(f"--budget {item!r}: write METHOD.PARAM=VALUE, e.g. lime.num_samples=500")
        try:
            out.setdefault(method, {})[param] = json.loads(value)
        except json.JSONDecodeError:
            out.setdefault(method, {})[param] = value
    return out


def settings_from(args):
    from risklens.study import ProtocolSettings

    base = {}
    if args.settings:
        try:
            with open(args.settings, encoding="utf-8") as fh:
                base = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise RiskLensError(f"cannot read --settings {args.settings}: {exc}") from None
        if not isinstance(base, dict):
            raise RiskLensError(f"--settings {args.settings} must hold a JSON object of settings")
    flags = {"families": args.families, "methods": args.methods, "runs": args.runs, "seed": args.seed, "k": args.k,
             "max_patients": args.max_patients, "noise_seeds": args.noise_seeds, "rashomon": args.rashomon or None,
             "conformal_alpha": args.conformal_alpha, "trust": False if getattr(args, "no_trust", False) else None,
             "subgroup_columns": getattr(args, "subgroup", None)}
    merged = {**base, **{k: v for k, v in flags.items() if v is not None}}
    if args.budget:
        merged["budgets"] = {**merged.get("budgets", {}), **parse_budgets(args.budget)}
    return ProtocolSettings.from_dict(merged)


def load_cohort(args, settings):
    """``(cohort, findings)``: the cohort of --cohort/--data (with --drop) and its data checks, on the split the
    protocol uses (printed on stderr)."""
    from risklens.cli.common import load_checked_cohort
    from risklens.study import SeedPlan
    from risklens.study.rows import TEST_SIZE

    plan = SeedPlan(settings.seed)
    if args.cohort:
        seed = args.simulator_seed if args.simulator_seed is not None else plan.simulator
        return load_checked_cohort(args, seed=seed, preset=getattr(args, "preset", None), test_size=TEST_SIZE,
                                   split_seed=plan.split, stays=bool(getattr(args, "stays", False)))
    if getattr(args, "stays", False):
        raise RiskLensError("--stays applies to the ward simulator (--cohort ward), not to --data")
    if getattr(args, "preset", None):
        raise RiskLensError("--preset applies to a built-in simulated cohort (--cohort ward), not to --data")
    return load_checked_cohort(args, test_size=TEST_SIZE, split_seed=plan.split)


def run_evaluate(args) -> int:
    from risklens.cli.common import print_json, stderr_progress
    from risklens.explain import ExplanationStore
    from risklens.cli.scheduler import evaluation_executor
    from risklens.study import run_protocol
    from risklens.study.report import write_report

    settings = settings_from(args)
    cohort, findings = load_cohort(args, settings)
    print(f"evaluating cohort {cohort.name} ({cohort.n} rows, {cohort.n_events} events)", file=sys.stderr)
    with evaluation_executor(args.scheduler) as executor:
        rep = run_protocol(cohort, settings, progress=stderr_progress,
                           store=ExplanationStore(args.cache) if args.cache else None, executor=executor)
    paths = write_report(rep, args.out)
    audit.record(audit.EVALUATION_RUN, data=cohort.hash, out=str(args.out), settings=settings.to_dict())
    from risklens.study.views import patient_counts

    print_json({k: str(v) for k, v in paths.items()} | {"seconds": rep.provenance.total_seconds,
                                                        "patients": patient_counts(rep),
                                                        "checks": [f.to_dict() for f in findings]})
    return 0
