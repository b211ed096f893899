"""Explanations on Dask: rows/s with 1 and 2 workers, against the in-process run measured in the same run.

    python bench/bench_scale.py [--tree-rows 1000000] [--lime-rows 20000] [--samples 5000] [--ten-million]

Trains an XGBoost model on a 20,000-row simulated ward cohort, writes a partitioned ward cohort of
``--tree-rows`` rows (50,000-row partitions), then explains it:

- TreeSHAP (exact, ``shap``) on all ``--tree-rows`` rows, 50,000 rows per task;
- LIME (``lime``, ``--samples`` per patient, the whole cohort as background) on the first
  ``--lime-rows`` rows, 1,000 rows per task;

each in this process (the reference; numba's TreeSHAP there uses every core) and on a LocalCluster of
1 and 2 single-threaded worker processes. Prints rows/s, the speed-up of 2 workers over 1 and the
scaling efficiency (speed-up / 2), and checks that every run wrote identical values. ``--ten-million``
also times writing the 10,000,000-row cohort on 2 workers. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risklens.cohorts import load_builtin  # noqa: E402
from risklens.modeling import save_model, train_model  # noqa: E402
from risklens.scale.cluster import connect  # noqa: E402
from risklens.scale.dataset import iter_parts  # noqa: E402
from risklens.scale.jobs import explain_to_dataset  # noqa: E402
from risklens.scale.simulate import write_simulated  # noqa: E402


def same_values(a: Path, b: Path) -> bool:
    return all(x.equals(y) for x, y in zip(iter_parts(a), iter_parts(b), strict=True))


def run(label: str, fn) -> float:
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    print(f"  {label:<28s} {seconds:8.1f} s", flush=True)
    return seconds


def bench_method(work: Path, model_dir: Path, data: Path, method: str, rows: int, **kw) -> dict:
    outs = {name: work / f"{method}-{name}" for name in ("here", "w1", "w2")}
    secs = {"here": run(f"{method} in process", lambda: explain_to_dataset(
        model_dir, data, method, outs["here"], rows=rows, progress=False, **kw))}
    for n in (1, 2):
        with connect(f"local:{n}") as client:
            explain_to_dataset(model_dir, data, method, work / "warm", rows=200, client=client, progress=False)
            secs[f"w{n}"] = run(f"{method} on {n} worker(s)", lambda: explain_to_dataset(
                model_dir, data, method, outs[f"w{n}"], rows=rows, client=client, progress=False, **kw))
    same = same_values(outs["here"], outs["w1"]) and same_values(outs["here"], outs["w2"])
    for out in outs.values():
        shutil.rmtree(out)
    return {"rows": rows, **secs, "identical": same}


def report(method: str, r: dict) -> None:
    rate = {k: r["rows"] / r[k] for k in ("here", "w1", "w2")}
    speedup = rate["w2"] / rate["w1"]
    print(f"{method:<9s} {r['rows']:>9,d} rows | in process {rate['here']:>9,.0f} rows/s | 1 worker "
          f"{rate['w1']:>9,.0f} rows/s ({rate['w1'] / rate['here']:.2f}x) | 2 workers {rate['w2']:>9,.0f} rows/s "
          f"({rate['w2'] / rate['here']:.2f}x) | 2 vs 1 worker {speedup:.2f}x, scaling efficiency {speedup / 2:.0%} "
          f"| identical values: {r['identical']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree-rows", type=int, default=1_000_000)
    ap.add_argument("--lime-rows", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=5000)
    ap.add_argument("--ten-million", action="store_true", help="also time writing the 10M-row cohort on 2 workers")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        print(f"training XGBoost on 20,000 ward rows; writing a {args.tree_rows:,}-row partitioned cohort", flush=True)
        model = train_model(load_builtin("ward", n=20_000, seed=0), "xgboost", seed=0)
        save_model(model, work / "model")
        data = work / "cohort"
        run("cohort (in process)", lambda: write_simulated("ward", args.tree_rows, data, seed=1, progress=False,
                                                           partitions=max(1, args.tree_rows // 50_000)))
        tree = bench_method(work, work / "model", data, "shap", args.tree_rows)
        lime = bench_method(work, work / "model", data, "lime", args.lime_rows, samples=args.samples)
        print()
        report("TreeSHAP", tree)
        report("LIME", lime)
        if args.ten_million:
            with connect("local:2") as client:
                secs = run("10M-row cohort, 2 workers", lambda: write_simulated(
                    "ward", 10_000_000, work / "ten", partitions=200, seed=0, client=client, progress=False))
            print(f"10M-row cohort on 2 workers: {10_000_000 / secs:,.0f} rows/s written")
        print("(a shared 2-core machine: numbers are noisy; the in-process reference is measured in the same run)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
