"""Batched LIME vs the lime package: speed and agreement, on the same models and rows in one run.

    python bench/bench_lime.py [--n 4000] [--patients 20] [--seeds 3] [--samples 5000]

For an XGBoost model and the ReLU MLP trained on the simulated ward cohort, prints per model:
ms/patient of ``lime`` (batched) and ``lime-ref`` (lime package), the model-call floor (time of
``predict_proba`` on patients x samples rows alone) and the agreement statistics -- Spearman of the
weights, top-5 overlap and sign agreement on the shared top 5 -- ours-vs-ref (all seed pairs) and
ref-vs-ref / ours-vs-ours (pairs of different seeds).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risklens.cohorts import load_builtin  # noqa: E402
from risklens.explain import explain  # noqa: E402
from risklens.explain.agreement import pairwise_agreement  # noqa: E402
from risklens.modeling import split_cohort, train_model  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_model(model, rows, background, seeds, samples) -> dict:
    n = len(rows)
    ours, ref, t_ours, t_ref = [], [], [], []
    for s in seeds:
        e, t = timed(lambda: explain(model, rows, "lime", seed=s, background=background, num_samples=samples))
        ours.append(e.values)
        t_ours.append(t)
        e, t = timed(lambda: explain(model, rows, "lime-ref", seed=s, background=background, num_samples=samples))
        ref.append(e.values)
        t_ref.append(t)
    big = np.resize(background.to_numpy(dtype=np.float64), (n * samples, background.shape[1]))
    big = np.where(np.isnan(big), 0.0, big)
    _, t_floor = timed(lambda: model.predict_proba(big))
    return {
        "ms_ours": 1000 * np.mean(t_ours) / n, "ms_ref": 1000 * np.mean(t_ref) / n, "ms_floor": 1000 * t_floor / n,
        "ours_ref": pairwise_agreement(ours, ref), "ref_ref": pairwise_agreement(ref),
        "ours_ours": pairwise_agreement(ours),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="ward cohort rows (default 4000)")
    ap.add_argument("--patients", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=5000)
    ap.add_argument("--families", nargs="+", default=["xgboost", "mlp"])
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    cohort = load_builtin("ward", n=args.n, seed=0)
    train_pos, test_pos = split_cohort(cohort, seed=0)
    background = cohort.X.iloc[train_pos]
    rows = cohort.X.iloc[test_pos].iloc[: args.patients]
    seeds = list(range(args.seeds))
    print(f"ward cohort n={args.n}, {cohort.X.shape[1]} features; {len(rows)} test patients; seeds {seeds}; "
          f"{args.samples} samples per patient; background = {len(background)} training rows")
    for fam in args.families:
        model, t_train = timed(lambda: train_model(cohort, fam, seed=0))
        print(f"\n== {fam} (trained in {t_train:.1f} s, held-out AUROC {model.metrics.get('auroc', float('nan')):.3f})")
        r = bench_model(model, rows, background, seeds, args.samples)
        print(f"ms/patient   batched lime {r['ms_ours']:8.1f}   lime package {r['ms_ref']:8.1f}   "
              f"speed-up x{r['ms_ref'] / r['ms_ours']:.1f}   model-call floor {r['ms_floor']:.1f}")
        print(f"{'agreement':20s} {'spearman':>9s} {'|w| spearman':>13s} {'top5 overlap':>13s} {'sign agree':>11s}")
        for key, label in (("ours_ref", "ours vs lime"), ("ref_ref", "lime vs lime"), ("ours_ours", "ours vs ours")):
            a = r[key]
            print(f"{label:20s} {a['spearman']:9.3f} {a['spearman_abs']:13.3f} {a['top5_overlap']:13.3f} "
                  f"{a['sign_agreement']:11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
