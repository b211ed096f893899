"""The study preset across simulator seeds: every Fig. 2 and Fig. 3 cell as mean ± sd beside the study's number,
with and without the L1 family (the CLI's defaults otherwise: 5 runs, seed 0, 20,000 rows).

    python bench/bench_study_seeds.py                      # seeds 0-4, n = 20,000, 5 runs (minutes)
    python bench/bench_study_seeds.py --seeds 0 1 --n 8000 --runs 2   # quicker
    nohup python bench/bench_study_seeds.py > bench/out-study-seeds.txt 2>&1 &

Fig. 2 and Fig. 3 use only SHAP and DTD (and the L1 coefficients), so LIME, the noise floor and LIME stability
are not run (they do not change these cells: each explainer's patients are its own model's). Prints one table per
family set and, per seed, the cells; writes the per-seed numbers as JSON beside the text (``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from risklens.safety import atomic_write_text  # noqa: E402

NN_XGB = ("mlp/shap", "mlp/dtd", "xgboost/shap")
WITH_L1 = ("l1-logistic/coef", *NN_XGB)


def cells(rep) -> dict[str, float | None]:
    """Every Fig. 2 / Fig. 3 cell of one report, named 'figure · explainer · figure cell'."""
    out = {}
    for c in rep.concordance:
        k = str(c.explainer)
        out |= {f"Fig. 2 · {k} · dropped": c.dropped, f"Fig. 2 · {k} · kept": c.kept,
                f"Fig. 2 · {k} · non-clinical share": c.non_clinical_share, f"patients · {k}": c.n}
    for r in rep.run_consistency:
        out |= {f"Fig. 3 · {r.explainer} · FA top-5 runs": r.FA, f"Fig. 3 · {r.explainer} · CR runs": r.CR}
    for r in rep.cross_model:
        if r.a.method == r.b.method == "shap":
            out |= {"Fig. 3 · SHAP XGB vs NN · FA": r.FA, "Fig. 3 · SHAP XGB vs NN · CR": r.CR}
    for s in rep.sign_agreement:
        if s.explainer.method == "shap":
            out |= {f"sign · {s.explainer} · leading": s.leading, f"sign · {s.explainer} · top 5": s.top5,
                    f"sign · {s.explainer} · all": s.all}
    out["patients flagged by every model"] = rep.n_patients
    return out


def study_value(name: str):
    from risklens.study import paper

    parts = name.split(" · ")
    if parts[0] == "Fig. 2":
        cell = {"dropped": "dropped", "kept": "kept", "non-clinical share": "non_clinical_share"}[parts[2]]
        return paper.CONCORDANCE_VS.get(parts[1], {}).get(cell)
    if parts[0] == "Fig. 3" and parts[1].startswith("SHAP XGB"):
        return paper.CROSS_MODEL["VS"][parts[2]]
    if parts[0] == "Fig. 3":
        return paper.RUN_CONSISTENCY["VS"].get(parts[1], {}).get("FA" if "FA" in parts[2] else "CR")
    if parts[0] == "sign":
        return paper.SIGN_AGREEMENT["VS"][{"leading": "leading", "top 5": "top5", "all": "all"}[parts[2]]]
    return None


def run_one(seed: int, n: int, runs: int, methods) -> tuple[dict, float]:
    from risklens.cohorts.ward import simulate_ward
    from risklens.study import ExplainerKey, ProtocolSettings, run_protocol

    families = tuple(dict.fromkeys(ExplainerKey(*m.split("/")).family for m in methods))
    settings = ProtocolSettings(families=families, methods=methods, runs=runs, seed=0, stability_repeats=0,
                                noise_seeds=0, faithfulness_patients=5)
    t = time.perf_counter()
    rep = run_protocol(simulate_ward(n, seed=seed, preset="study"), settings)
    return cells(rep), time.perf_counter() - t


def table(per_seed: list[dict]) -> list[str]:
    names = list(dict.fromkeys(k for d in per_seed for k in d))
    lines = [f"{'cell':58s} {'mean ± sd':>15s} {'min':>6s} {'max':>6s} {'study':>6s}"]
    for name in names:
        v = np.array([np.nan if d.get(name) is None else float(d[name]) for d in per_seed])
        s = study_value(name)
        digits = 0 if name.startswith("patients") else 3
        lines.append(f"{name:58s} {np.nanmean(v):>7.{digits}f} ± {np.nanstd(v, ddof=1) if len(v) > 1 else 0:<5.{digits}f} "
                     f"{np.nanmin(v):6.{digits}f} {np.nanmax(v):6.{digits}f} {'' if s is None else f'{s:6.3f}'}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", default=None, help="write the per-seed cells here")
    args = ap.parse_args(argv)
    results = {}
    for label, methods in (("with L1", WITH_L1), ("without L1", NN_XGB)):
        results[label] = []
        for seed in args.seeds:
            c, sec = run_one(seed, args.n, args.runs, methods)
            results[label].append(c)
            print(f"[{label}] simulator seed {seed}: {sec:.0f} s  " + "  ".join(
                f"{k.split(' · ', 1)[1]}={v:.3f}" for k, v in c.items()
                if k.startswith("Fig. 2") and v is not None), flush=True)
    for label, per_seed in results.items():
        print(f"\n== {label}: simulator seeds {args.seeds}, n = {args.n}, {args.runs} runs, preset study ==")
        print("\n".join(table(per_seed)))
    same = all(results["with L1"][i].get(k) == v for i, d in enumerate(results["without L1"]) for k, v in d.items()
               if "l1" not in k and "every model" not in k)
    print(f"\nXGBoost and NN cells identical with and without the L1 family: {same}")
    if args.json:
        atomic_write_text(args.json, json.dumps({"seeds": args.seeds, "n": args.n, "runs": args.runs, **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
