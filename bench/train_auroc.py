"""Held-out AUROC and training time of every model family on every built-in cohort (default sizes).

Run from the repository root:  python bench/train_auroc.py [--cohorts ward,readmission,whas500] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risklens.cohorts import load_builtin  # noqa: E402
from risklens.families import FAMILIES  # noqa: E402
from risklens.modeling import split_cohort, train_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cohorts", default="ward,readmission,whas500")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"{'cohort':<12} {'rows':>6} {'events':>6} {'family':<12} {'AUROC':>6} {'AUPRC':>6} {'Brier':>6} "
          f"{'slope':>6} {'sens':>5} {'ppv':>5} {'alerts':>6} {'fit s':>6}")
    for name in args.cohorts.split(","):
        t = time.perf_counter()
        cohort = load_builtin(name, seed=args.seed)
        load_s = time.perf_counter() - t
        split = split_cohort(cohort, 0.3, 0)
        for family in FAMILIES:
            t = time.perf_counter()
            m = train_model(cohort, family, seed=args.seed, split=split)
            sec = time.perf_counter() - t
            x = m.metrics
            print(f"{name:<12} {cohort.n:>6} {cohort.n_events:>6} {family:<12} {x['auroc']:6.3f} {x['auprc']:6.3f} "
                  f"{x['brier']:6.3f} {x['calibration_slope']:6.2f} {x['sensitivity']:5.2f} {x['ppv']:5.2f} "
                  f"{x['alerts_per_100']:6.1f} {sec:6.1f}", flush=True)
        print(f"# {name}: cohort built in {load_s:.1f} s", flush=True)


if __name__ == "__main__":
    main()
