"""Benchmark: SHAP on the ward MLP -- ours vs shap's PermutationExplainer / KernelExplainer, error vs time.

    python bench/bench_mlp_shap.py                  # 20k ward cohort, default MLP, 200-row background, 20 patients
    python bench/bench_mlp_shap.py --background 500 --patients 40 --reference-rounds 300

Set-up as in the protocol: the default MLP trained on the ward cohort, a seeded sample of training rows as
the background the user hands in (``--background`` rows; the protocol uses 200, the dashboard 500), the
patients = held-out rows the model ranks highest. Reference: a converged estimate over that *whole*
background -- our estimator at ``--reference-rounds`` rounds (every background row walked that many times;
its own estimated error is printed) cross-checked against shap's permutation algorithm at 100 permutations
over the whole background on a few patients. Error = mean over patients of sum |est - ref| / sum |ref|
(so subsampling or summarising the background counts as error); spread = the same between seeds 0 and 1.
Each approach prints ms per patient (batch of patients, same run), error, spread and its speed ratio
against shap's PermutationExplainer on the same model and background.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rel_error(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.mean(np.abs(a - ref).sum(1) / np.abs(ref).sum(1)))


def setup(args):
    from risklens.cohorts import load_builtin
    from risklens.modeling.split import split_cohort
    from risklens.modeling.train import train_model

    cohort = load_builtin("ward", n=args.n, seed=args.seed)
    train_pos, test_pos = split_cohort(cohort, 0.3, args.seed)
    model = train_model(cohort, "mlp", seed=args.seed, split=(train_pos, test_pos))
    rng = np.random.default_rng(args.seed)
    X = cohort.X[model.feature_names]
    bg = X.iloc[np.sort(rng.choice(train_pos, args.background, replace=False))]
    margin = model.predict_margin(X.iloc[test_pos])
    pats = X.iloc[test_pos[np.argsort(-margin)[: args.patients]]]
    return model, X, bg, pats


def timed(fn, repeats: int = 1):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def forward_pass(model, X) -> None:
    """Time predict_margin against the forward pass from the weights (float64 and float32)."""
    from risklens.explain.mlp_forward import MLPForward

    net64, net32 = MLPForward(model, np.float64), MLPForward(model, np.float32)
    R = X.to_numpy(np.float64)[np.random.default_rng(1).integers(0, len(X), 116_000)]
    t_skl, ref_m = timed(lambda: model.predict_margin(R), 3)
    t64, m64 = timed(lambda: net64.margin(R), 3)
    t32, m32 = timed(lambda: net32.margin(R, exact=False), 3)
    print(f"\nforward pass of {len(R)} rows: predict_margin {1e3 * t_skl:.0f} ms; ours float64 {1e3 * t64:.0f} ms "
          f"({t_skl / t64:.1f}x, max diff {np.abs(m64 - ref_m).max():.1e}); ours float32 {1e3 * t32:.0f} ms "
          f"({t_skl / t32:.1f}x, max diff {np.abs(m32 - ref_m).max():.1e})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--background", type=int, default=200)
    ap.add_argument("--patients", type=int, default=20)
    ap.add_argument("--reference-rounds", type=int, default=100)
    ap.add_argument("--shap-patients", type=int, default=3, help="patients for the (slow) shap package runs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from risklens.explain import explain
    from risklens.explain.background import summarise
    from risklens.explain.mlp_forward import MLPForward
    from risklens.explain.mlp_shap import DEFAULT_MLP_SHAP, mlp_shap, relative_error
    from risklens.explain.shap_adapter import _shap_package_permutation, batched_permutation_shap

    model, X, bg, pats = setup(args)
    M, B, ids = pats.to_numpy(np.float64), bg.to_numpy(np.float64), list(pats.index)
    f = M.shape[1]
    print(f"ward: {len(X)} rows x {f} features; MLP {model.params.get('hidden_layer_sizes', '')}; "
          f"background {len(B)} training rows; {len(M)} highest-risk held-out patients")

    forward_pass(model, X)

    # ---- reference ------------------------------------------------------------------------------------
    mlp_shap(model, M[:1], B, seed=99, ids=ids[:1], min_rounds=2, max_rounds=2)  # JIT / cache load
    t_ref, ref_res = timed(lambda: mlp_shap(model, M, B, seed=12345, ids=ids, min_rounds=args.reference_rounds,
                                            max_rounds=args.reference_rounds))
    ref = ref_res.values
    k = min(3, len(M))
    net64, net32 = MLPForward(model, np.float64), MLPForward(model, np.float32)
    cross, _ = batched_permutation_shap(net64.margin, M[:k], B, 100, 777, ids[:k])
    print(f"reference: ours at {args.reference_rounds} rounds over the whole background ({t_ref:.1f} s), estimated "
          f"error {relative_error(ref, ref_res.stderr).mean():.2%}; vs shap's algorithm at 100 permutations over the "
          f"whole background on {k} patients: {rel_error(cross, ref[:k]):.2%} apart")

    rows = []

    def record(name, fn, n_pat, spread_fn=None, note=""):
        t, vals = timed(fn)
        err = rel_error(vals, ref[:n_pat])
        spread = rel_error(vals, spread_fn()) if spread_fn else float("nan")
        rows.append((name, 1e3 * t / n_pat, err, spread, note))
        print(f"  {name:44s} {1e3 * t / n_pat:9.1f} ms/patient  error {err:6.2%}  spread {spread:6.2%}  {note}",
              flush=True)

    n_s = min(args.shap_patients, len(M))
    print("\nerror vs time (ms per patient over a batch; error vs the reference; spread = seed 0 vs seed 1):")
    record("shap PermutationExplainer (10 perm, 100 bg)",
           lambda: _shap_package_permutation(model.predict_margin, M[:n_s], B[:100], 10 * (2 * f + 1), 0)[0], n_s,
           note="shap package, first 100 background rows")
    record("shap KernelExplainer (2 x 58 + 2048 samples)", lambda: _kernel_explainer(model, M[:n_s], B), n_s,
           note="shap package, whole background")
    ex = lambda s, **kw: explain(model, pats, "shap", seed=s, background=bg, **kw).values  # noqa: E731
    record("previous default (batched, 10 perm, 100 bg)", lambda: ex(0, implementation="batched"), len(M),
           lambda: ex(1, implementation="batched"), "a 100-row sample of the background: most of the spread")
    for perms in (1, 3):
        record(f"shap algorithm, fast forward, {perms} perm, all bg",
               lambda p=perms: batched_permutation_shap(net32.margin, M, B, p, 0, ids)[0], len(M))
    Zb = net64.impute(B)
    for k_c in (10, 50):
        C, w = summarise(Zb, k_c, seed=0, scale=Zb.std(0))
        record(f"k-means summary ({k_c} centroids), 40 rounds",
               lambda C=C, w=w: mlp_shap(model, M, C, seed=0, ids=ids, weights=w, min_rounds=40, max_rounds=40).values,
               len(M), note="deterministic background; error = summarisation bias")
    for rounds in (1, 2, 4):
        record(f"ours, fixed {rounds} round(s)", lambda r=rounds: ex(0, permutations=r), len(M),
               lambda r=rounds: ex(1, permutations=r))
    for tol in (0.05, 0.01):
        record(f"ours, tolerance {tol}", lambda t=tol: ex(0, tolerance=t), len(M), lambda t=tol: ex(1, tolerance=t))
    record(f"ours, DEFAULTS {DEFAULT_MLP_SHAP}", lambda: ex(0), len(M), lambda: ex(1), "<- the method's default")
    one, _ = timed(lambda: explain(model, pats.iloc[[0]], "shap", seed=0, background=bg), 3)
    print(f"\none patient alone (the Patients page) at the defaults: {1e3 * one:.1f} ms")

    summary(rows)
    return 0


def summary(rows) -> None:
    """The defaults against shap's explainers, and the bound."""
    base = next(r for r in rows if r[0].startswith("shap PermutationExplainer"))
    kern = next(r for r in rows if r[0].startswith("shap KernelExplainer"))
    ours = rows[-1]
    print(f"\nours (defaults) {ours[1]:.1f} ms/patient, error {ours[2]:.2%}, spread {ours[3]:.2%}; "
          f"speed ratio vs shap PermutationExplainer {base[1] / ours[1]:.0f}x, vs KernelExplainer {kern[1] / ours[1]:.0f}x")
    print(f"bound: <= 50 ms/patient and <= 5% error and spread: "
          f"{'MET' if ours[1] <= 50 and ours[2] <= 0.05 and ours[3] <= 0.05 else 'NOT MET'} on this run")


def _kernel_explainer(model, M, B):
    import shap

    state = np.random.get_state()
    try:
        np.random.seed(0)
        explainer = shap.KernelExplainer(model.predict_margin, B)
        return np.asarray(explainer.shap_values(M, nsamples=2 * M.shape[1] + 2048, silent=True), dtype=np.float64)
    finally:
        np.random.set_state(state)


if __name__ == "__main__":
    raise SystemExit(main())
