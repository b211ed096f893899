"""Budget of the full evaluation protocol: ward cohort (default 20,000 rows), 3 families x R runs x the
study's methods (+ LIME), timings per stage.

    python bench/bench_evaluate.py                      # 20k ward, 5 runs, max 100 patients for LIME / MLP SHAP
    python bench/bench_evaluate.py --n 5000 --runs 2    # quicker
    python bench/bench_evaluate.py --cohort readmission
    python bench/bench_evaluate.py --workers 0          # in this process only (default: auto, 2 on >= 2 cores)

Prints one line per stage (wall seconds, share) and the total, then each explainer's compute seconds over its
runs (with worker processes these overlap, so they are not part of the stage table); writes the report to --out (default
bench/out-evaluate-<cohort>-<n>) as report.json / report.html / report.md.

The numba kernels (TreeSHAP, MLP-SHAP walks, LIME sampling, the scaler) are compiled on their first call and cached
beside their modules; the first run after a change to one of those files (or after a fresh checkout) compiles them
in every process and takes about 30 s longer on two cores. Time a second run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohort", default="ward")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-patients", type=int, default=100)
    ap.add_argument("--rashomon", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--workers", default="auto", help="worker processes: auto (default), or a number (0 = none)")
    args = ap.parse_args(argv)

    from risklens.cohorts import load_builtin
    from risklens.study import ProtocolSettings, SeedPlan, run_protocol
    from risklens.study.report import write_report

    t0 = time.perf_counter()
    cohort = load_builtin(args.cohort, n=args.n, seed=SeedPlan(args.seed).simulator)
    t_load = time.perf_counter() - t0
    print(f"cohort {cohort.name}: {cohort.n} rows, {cohort.n_events} events, {len(cohort.features)} features "
          f"(loaded in {t_load:.1f} s)", flush=True)
    start = time.perf_counter()
    settings = ProtocolSettings(runs=args.runs, seed=args.seed, max_patients=args.max_patients, rashomon=args.rashomon)
    workers = args.workers if args.workers == "auto" else int(args.workers)
    rep = run_protocol(cohort, settings, workers=workers,
                       progress=lambda f, m: print(f"  [{100 * f:3.0f}%] {time.perf_counter() - start:7.1f}s {m}",
                                                     file=sys.stderr, flush=True))
    total = time.perf_counter() - start
    out = Path(args.out or Path(__file__).parent / f"out-evaluate-{cohort.name}-{cohort.n}")
    write_report(rep, out)
    timings = rep.provenance.timings
    stages = {k: v for k, v in timings.items() if not k.startswith("explain ")}
    print(f"{'stage':32s} {'seconds':>9s} {'share':>6s}")
    for stage, sec in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"{stage:32s} {sec:9.1f} {sec / total:6.1%}")
    print(f"{'TOTAL (run_protocol)':32s} {total:9.1f}")
    print("compute seconds per explainer, all runs (inside 'explain'; they overlap in worker processes):")
    for stage, sec in sorted(timings.items(), key=lambda kv: -kv[1]):
        if stage.startswith("explain "):
            print(f"  {stage[8:]:30s} {sec:9.1f}")
    capped = [e.explainer.label for e in rep.explained if e.capped]
    per = ", ".join(f"{f} {n}" for f, n in rep.patients_per_family.items())
    print(f"patients analysed per model (own correctly predicted positives): {per}; flagged by every model: "
          f"{rep.n_patients}; capped methods: {', '.join(capped)} at {args.max_patients}")
    print(f"report: {out}/report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
