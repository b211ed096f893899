"""LIME on the L1 model against the exact answer, coef x (x - mean): top-1 agreement per LIME variant, with each
factor of the default measured on its own (discretisation, where samples are drawn, kernel width).

    python bench/bench_lime_linear.py                        # ward, preset study and default, n = 20,000
    python bench/bench_lime_linear.py --presets study --n 8000 --patients 60

The L1 model is the protocol's run-1 model (same split and seeds as ``risklens evaluate --seed 0``); patients are
its own correctly predicted held-out positives (a seeded sample of ``--patients``); the background is the
protocol's 200 training rows. Per variant: top-1 agreement with the exact attribution, mean Spearman correlation of
|attribution| over all features, the share of patients whose top-1 is an O2-flow feature, and trigger concordance
(patients with an administrative top feature kept as misses).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def variants(kw_default: float) -> list[tuple[str, str, dict]]:
    """(label, how, options): 'quartile' = the lime method, 'continuous' = the local variant's sampler."""
    return [
        ("quartile bins, training distribution, kw 0.75 sqrt(f)  [lime default]", "quartile", {}),
        ("quartile bins, training distribution, kw 1", "quartile", {"kernel_width": 1.0}),
        ("quartile bins, training distribution, kw 100", "quartile", {"kernel_width": 100.0}),
        ("continuous, around the training mean, kw 0.75 sqrt(f)", "continuous", {"around": False}),
        ("continuous, around the patient, kw 0.75 sqrt(f)  [lime-local]", "continuous", {"around": True}),
        ("continuous, around the patient, kw 1", "continuous", {"around": True, "kernel_width": 1.0}),
        ("continuous, around the patient, kw 100", "continuous", {"around": True, "kernel_width": 100.0}),
        ("continuous, around the patient, raw weights (no x deviation)", "weights", {"around": True}),
        ("lime-local with all training rows as background (not 200)", "continuous", {"around": True, "train": True}),
    ]


def run_variant(model, X, background, how: str, opts: dict, num_samples: int, seed: int, train=None):
    from risklens.explain import explain
    from risklens.explain.lime_batched import lime_explanation, lime_inputs, local_weights

    if how == "quartile":
        return explain(model, X, "lime", seed=seed, background=background, num_samples=num_samples, **opts)
    M, ids, Mi, Bi, kw = lime_inputs(model, X, train if opts.get("train") else background, opts.get("kernel_width"))
    coef, icpt, z = local_weights(model, Mi, ids, Bi, num_samples=num_samples, kernel_width=kw, seed=seed,
                                  around=opts.get("around", True))
    return lime_explanation(model, "lime-local", coef if how == "weights" else coef * z, icpt, M, ids, {})


def measure(preset: str, n: int, patients: int, num_samples: int) -> None:
    from scipy.stats import spearmanr

    from risklens.cohorts.ward import simulate_ward
    from risklens.explain import explain
    from risklens.metrics.concordance import explanation_concordance
    from risklens.study import ExplainerKey, ProtocolSettings, SeedPlan
    from risklens.study.rows import select_patients, train_stage

    cohort = simulate_ward(n, seed=SeedPlan(0).simulator, preset=preset)
    settings = ProtocolSettings(families=("l1-logistic",), runs=1, max_patients=patients)
    plan = SeedPlan(0)
    trained = train_stage(cohort, ["l1-logistic"], settings, plan)
    key = ExplainerKey("l1-logistic", "lime")
    rows = select_patients(cohort, trained, [key], settings, plan)
    model = trained.models["l1-logistic"][0]
    X = cohort.X.loc[rows.patient_rows[key]]
    exact = explain(model, X, "coef")
    names = np.array(exact.feature_names)
    top = lambda e: np.abs(e.values).argmax(axis=1)  # noqa: E731
    o2 = lambda e: float(np.mean([names[i].startswith("o2_flow") for i in top(e)]))  # noqa: E731
    conc = lambda e: explanation_concordance(e, cohort, 1).kept  # noqa: E731
    print(f"\n== preset {preset}: n = {n}, L1 model run 1, {len(X)} correctly predicted positives, "
          f"{num_samples} samples per patient, background {len(rows.background)} training rows ==")
    common = lambda e: "{} ({:.0%})".format(*max(((f, float(np.mean(names[top(e)] == f))) for f in set(names[top(e)])),
                                                   key=lambda t: t[1]))  # noqa: E731
    print(f"{'variant':66s} {'top-1 = exact':>13s} {'Spearman':>9s} {'O2 top-1':>9s} {'trigger conc.':>13s}  "
          "most common top-1")
    print(f"{'exact: coef x (x - training mean)':66s} {1.0:13.2f} {1.0:9.2f} {o2(exact):9.2f} {conc(exact):13.2f}  "
          f"{common(exact)}")
    for label, how, opts in variants(0.75 * np.sqrt(len(names))):
        e = run_variant(model, X, rows.background, how, opts, num_samples, seed=plan.explainer(1),
                        train=cohort.X.iloc[trained.train_pos])
        agree = float((top(e) == top(exact)).mean())
        rho = float(np.nanmean([spearmanr(np.abs(a), np.abs(b))[0] for a, b in zip(e.values, exact.values)]))
        print(f"{label:66s} {agree:13.2f} {rho:9.2f} {o2(e):9.2f} {conc(e):13.2f}  {common(e)}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=["study", "default"])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--samples", type=int, default=2000)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    for preset in args.presets:
        measure(preset, args.n, args.patients, args.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
