"""Stage 6: the explainer's own noise -- LIME stability and the noise floor.

*LIME stability*: the run-1 model explains the same ``stability_patients`` patients with
``stability_repeats`` seeds (streams ``stability repeat j``); per-patient Jaccard, VSI, CSI, ...

*Noise floor*: every stochastic explainer explains its rows on the run-1 model with ``noise_seeds``
explainer seeds (repeat 1 = the run-1 explanation, then streams ``noise-floor repeat j``), and the
same figures as run-to-run consistency are measured seed to seed: cohort-level FA (top k) and CR,
patient-level sign agreement over the top 5. The seed-to-seed figure is the floor that run-to-run
agreement cannot beat; ``share`` = (1 - floor) / (1 - run-to-run), clipped to [0, 1], is the part of
the run-to-run disagreement the explainer's noise alone accounts for. Deterministic explainers
(exact SHAP, coefficients, DTD) have a floor of exactly 1.0 by construction.
"""

from __future__ import annotations

import numpy as np

from risklens.metrics import consistency as C
from risklens.metrics.stability import lime_stability, stability_summary
from risklens.study.explain import Explained, method_params
from risklens.study.types import NoiseFloorRecord, StabilityRecord


def share(floor, run) -> float | None:
    """(1 - floor) / (1 - run), clipped to [0, 1]; None when either is missing or runs agree fully."""
    if floor is None or run is None or not np.isfinite(floor) or not np.isfinite(run) or run >= 1.0:
        return None
    return float(min(max((1.0 - floor) / (1.0 - run), 0.0), 1.0))


def verdict(rec: NoiseFloorRecord) -> str:
    """One sentence: which source of run-to-run disagreement dominates."""
    if rec.deterministic:
        return "deterministic: the explanation changes only when the model does (noise floor 1.0 by construction)"
    if rec.FA is None and rec.CR is None:
        return f"no noise floor: it needs at least 2 explainer seeds (got {rec.seeds})"
    parts = [(n, v) for n, v in (("FA", rec.share_FA), ("CR", rec.share_CR)) if v is not None]
    if not parts:
        return "no run-to-run disagreement to account for (one run, or runs agree fully)"
    said = " and ".join(f"{v:.0%} of the {n}" for n, v in parts)
    if sum(v for _, v in parts) / len(parts) >= 0.5:
        return f"explainer noise dominates: it accounts for {said} run-to-run disagreement"
    return f"model changes between runs dominate: explainer noise accounts for {said} run-to-run disagreement"


def floor_requests(key, cohort, models, exp: Explained, rows, settings, plan) -> list[tuple]:
    """The extra explanations of the noise floor (explainer seeds 2..noise_seeds on the run-1 model)."""
    from risklens.explain import method

    if method(key.method).deterministic_for(key.family) or settings.noise_seeds < 2:
        return []
    union = list(dict.fromkeys([*exp.patients[key][0].ids, *exp.cohort[key][0].ids]))
    params = method_params(key, settings, rows.background)
    return [(models[0], cohort.X.loc[union], key.method, plan.noise(j), params)
            for j in range(2, settings.noise_seeds + 1)]


def floor_record(key, exp: Explained, settings, run_rec, sign_rec, extra: list) -> NoiseFloorRecord:
    """The noise-floor record of ``key`` from its run-1 explanation and the ``extra`` seeds' explanations."""
    from risklens.explain import method

    spec = method(key.method)
    run = (run_rec.FA, run_rec.CR, sign_rec.top5 if sign_rec else None)
    if spec.deterministic_for(key.family):
        vals = (1.0, 1.0, 1.0 if spec.signed else None)
        rec = NoiseFloorRecord(key, True, settings.noise_seeds, *vals, *run, None, None, None, "")
    elif settings.noise_seeds < 2:
        rec = NoiseFloorRecord(key, False, settings.noise_seeds, None, None, None, *run, None, None, None, "")
    else:
        pat, coh = [exp.patients[key][0]], [exp.cohort[key][0]]
        for e in extra:
            pat.append(e.rows_for_ids(pat[0].ids))
            coh.append(e.rows_for_ids(coh[0].ids))
        rc = C.run_consistency(coh, k=settings.k)
        sign = C.sign_agreement_runs(pat, ks=(5,))["top5"] if spec.signed else None
        rec = NoiseFloorRecord(key, False, settings.noise_seeds, rc["FA"], rc["CR"], sign, *run, None, None, None, "")
    rec.share_FA, rec.share_CR, rec.share_sign = share(rec.FA, rec.run_FA), share(rec.CR, rec.run_CR), share(rec.sign, rec.run_sign)
    rec.verdict = verdict(rec)
    return rec


def stability_requests(key, cohort, model, rows, settings, plan) -> list[tuple]:
    """The repeated explanations of LIME stability (seeds ``stability repeat j`` on the run-1 model)."""
    X = cohort.X.loc[rows.patient_rows[key][: settings.stability_patients]]
    params = method_params(key, settings, rows.background)
    return [(model, X, key.method, plan.stability(j), params) for j in range(1, settings.stability_repeats + 1)]


def stability_record(key, settings, reps: list) -> StabilityRecord:
    table = lime_stability(reps, k=settings.k)
    s = stability_summary(table, settings.stability_repeats, k=settings.k)
    return StabilityRecord(key, s["jaccard"], s["VSI"], s["CSI"], s["coef_cv"], s["unstable_share"], s["n"],
                           s["repeats"], s["k"], s["rule"], table["jaccard"].tolist())


def noise_requests(cohort, keys, trained, exp: Explained, rows, settings, plan) -> dict:
    """Every explanation the noise stage needs, by (key, "stability" | "floor"): computed together so that worker
    processes can run them side by side (and before the agreement tables are done)."""
    from risklens.explain import method

    out = {}
    for key in keys:
        models = trained.models[key.family]
        if method(key.method).surrogate and settings.stability_repeats >= 2:
            out[(key, "stability")] = stability_requests(key, cohort, models[0], rows, settings, plan)
        out[(key, "floor")] = floor_requests(key, cohort, models, exp, rows, settings, plan)
    return out


def noise_stage(cohort, keys, trained, exp: Explained, rows, agreement, settings, plan, store=None,
                progress=None, executor=None, computed: dict | None = None) -> tuple[list, list]:
    """(LIME stability records of the surrogate methods, noise-floor records). ``computed``: the explanations of
    :func:`noise_requests` already made (by the same keys), else they are made here."""
    say = progress or (lambda f, m: None)
    if computed is None:
        computed = noise_explanations(noise_requests(cohort, keys, trained, exp, rows, settings, plan), store,
                                      executor, lambda d, t: say(d / max(t, 1), f"noise floor and stability: {d}/{t}"))
    stab, floors = [], []
    for key in keys:
        if (key, "stability") in computed:
            stab.append(stability_record(key, settings, computed[(key, "stability")]))
        run_rec = next(r for r in agreement.run_consistency if r.explainer == key)
        sign_rec = next((r for r in agreement.sign_agreement if r.explainer == key), None)
        floors.append(floor_record(key, exp, settings, run_rec, sign_rec, computed[(key, "floor")]))
    return stab, floors


def noise_explanations(requests: dict, store=None, executor=None, progress=None) -> dict:
    """The explanations of :func:`noise_requests`, by the same keys."""
    return start_noise(requests, store, executor).result(progress)


def start_noise(requests: dict, store=None, executor=None):
    """A :class:`~risklens.study.workers.Pending` of :func:`noise_explanations` (handed to worker processes now)."""
    from risklens.study.explain import start_calls
    from risklens.study.workers import Pending

    flat = [(name, req) for name, reqs in requests.items() for req in reqs]
    pending = start_calls([req for _, req in flat], store, executor)

    def collect(progress):
        out = {name: [] for name in requests}
        for (name, _), (e, _) in zip(flat, pending.result(progress)):
            out[name].append(e)
        return out

    return Pending(collect)
