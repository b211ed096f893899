"""The Consistency page's work, as pure functions with a progress callback (no streamlit here).

:func:`run_protocol` explains the same patients (held-out, correctly predicted positives, seeded
sample) with every method of every active model and measures agreement, trigger concordance, LIME
stability, faithfulness and run-to-run / cross-model consistency. The result is plain data
(frames and dicts) that the page keeps in session state and draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort
from risklens.modeling.model import FAMILY_LABELS, RiskModel

Progress = Callable[[float, str], None]
SKIP_METHODS = ("lime-ref",)  # the slow reference implementation is for tests, not the dashboard


@dataclass
class ProtocolResult:
    k: int
    rows: list[str]  # analysed row ids
    row_rule: str
    labels: list[str]  # one per explainer ("XGBoost · SHAP")
    explanations: dict = field(repr=False, default_factory=dict)  # label -> Explanation
    outputs: dict = field(default_factory=dict)  # label -> output space
    agreement: dict = field(default_factory=dict)  # metric -> DataFrame (labels x labels), patient level
    agreement_cohort: dict = field(default_factory=dict)  # metric -> DataFrame, cohort level
    concordance: pd.DataFrame | None = None
    stability: pd.DataFrame | None = None  # one row per model
    stability_rows: dict = field(default_factory=dict)  # model label -> per-patient table
    faithfulness: pd.DataFrame | None = None  # long: explainer, kind, fraction, output
    faithfulness_auc: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None  # run-to-run consistency per family/method
    disagreement: pd.DataFrame | None = None  # patients where two methods disagree most
    disagreement_pair: tuple[str, str] = ("", "")
    notes: list[str] = field(default_factory=list)


SHORT_FAMILY = {"xgboost": "XGBoost", "l1-logistic": "L1 logistic", "mlp": "Neural net"}
SHORT_METHOD = {"shap": "SHAP", "lime": "LIME", "lime-ref": "LIME-ref", "coef": "coef", "dtd": "DTD"}


def explainer_label(model: RiskModel, method: str, with_seed: bool = False) -> str:
    """Short label for tables and heatmap axes: 'XGBoost · SHAP', 'Neural net · DTD'."""
    base = f"{SHORT_FAMILY.get(model.family, model.family)} · {SHORT_METHOD.get(method, method)}"
    return f"{base} · seed {model.seed}" if with_seed else base


def analysis_rows(cohort: Cohort, models: list[RiskModel], test_pos: np.ndarray, probs: dict, thresholds: dict,
                  n: int, seed: int = 0) -> tuple[np.ndarray, str]:
    """Held-out positives that every model flags (the study's correctly predicted positives), seeded sample."""
    pos = np.asarray(test_pos)
    pos = pos[cohort.y[pos] == 1]
    keep = np.ones(len(pos), dtype=bool)
    for m in models:
        keep &= probs[m.model_id][pos] >= thresholds[m.model_id]
    rule = "held-out patients with the event that every model flagged (correctly predicted positives)"
    if keep.sum() < 10:
        rule = "all held-out patients with the event (fewer than 10 were flagged by every model)"
        keep[:] = True
    chosen = pos[keep]
    if len(chosen) > n:
        chosen = np.sort(np.random.default_rng(seed).choice(chosen, size=n, replace=False))
    return chosen, rule


def _matrix(labels, expls, k, level):
    from risklens.metrics.consistency import METRICS, agreement

    mats = {m: pd.DataFrame(np.nan, index=labels, columns=labels) for m in METRICS}
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            if j < i:
                continue
            vals = agreement(expls[a], expls[b], k=k, level=level)
            for m in METRICS:
                mats[m].loc[a, b] = mats[m].loc[b, a] = vals[m]
    return mats


def explainer_options(models: list[RiskModel]) -> list[str]:
    """Labels of every (reference model, method) pair the protocol can run."""
    from risklens.explain import methods_for

    refs = {}
    for m in models:
        refs.setdefault(m.family, m)
    return [explainer_label(m, meth) for m in refs.values() for meth in methods_for(m.family) if meth not in SKIP_METHODS]


def run_protocol(cohort: Cohort, models: list[RiskModel], rows: np.ndarray, row_rule: str, k: int = 5,
                 lime_repeats: int = 3, seed: int = 0, explain_fn=None, progress: Progress | None = None,
                 include: list[str] | None = None) -> ProtocolResult:
    """Everything the Consistency page shows, for the given row positions of the cohort."""
    from risklens.explain import explain, methods_for
    from risklens.metrics.consistency import agreement_distribution, run_consistency
    from risklens.metrics.faithfulness import baseline_from, faithfulness_curves
    from risklens.metrics.stability import lime_stability, stability_summary

    explain_fn = explain_fn or (lambda m, X, meth, s: explain(m, X, meth, seed=s))
    say = progress or (lambda f, msg: None)
    X = cohort.X.iloc[rows]
    ids = [str(i) for i in X.index]
    # one model per family is the reference; other seeds of the family feed run-to-run consistency
    by_family: dict[str, list[RiskModel]] = {}
    for m in models:
        by_family.setdefault(m.family, []).append(m)
    refs = [ms[0] for ms in by_family.values()]
    jobs = [(m, meth) for m in refs for meth in methods_for(m.family) if meth not in SKIP_METHODS
            and (include is None or explainer_label(m, meth) in include)]
    if not jobs:
        from risklens.errors import RiskLensError

        raise RiskLensError("choose at least one explainer to evaluate")
    chosen = {(m.model_id, meth) for m, meth in jobs}
    extra = [(m, "shap") for ms in by_family.values() for m in ms[1:] if (ms[0].model_id, "shap") in chosen]
    lime_jobs = [m for m in refs if (m.model_id, "lime") in chosen] if lime_repeats > 1 else []
    total = len(jobs) + len(extra) + len(lime_jobs) * (lime_repeats - 1) + len(jobs) + 2
    done = 0

    def tick(msg):
        nonlocal done
        done += 1
        say(min(done / total, 1.0), msg)

    res = ProtocolResult(k=k, rows=ids, row_rule=row_rule, labels=[])
    for m, meth in jobs:
        label = explainer_label(m, meth)
        say(done / total, f"explaining {len(ids)} patients: {label}")
        e = explain_fn(m, X[m.feature_names], meth, seed)
        res.explanations[label], res.outputs[label] = e, e.output
        res.labels.append(label)
        tick(label)

    say(done / total, "agreement matrices")
    res.agreement = _matrix(res.labels, res.explanations, k, "patient")
    res.agreement_cohort = _matrix(res.labels, res.explanations, k, "cohort")
    tick("agreement")

    if cohort.trigger is not None:
        from risklens.metrics.concordance import explanation_concordance

        recs = []
        for label in res.labels:
            c = explanation_concordance(res.explanations[label], cohort, max_k=5)
            rec = {"explainer": label, "dropped (A)": c.dropped, "kept (B)": c.kept,
                   "non-clinical top share": c.non_clinical_share, "patients": c.n}
            rec.update({f"top-{kk} hit": v for kk, v in c.topk_hit.items()})
            recs.append(rec)
        res.concordance = pd.DataFrame(recs)
    else:
        res.notes.append("This cohort records no trigger, so trigger concordance is not available.")

    stab = []
    for m in lime_jobs:
        label = explainer_label(m, "lime")
        reps = [res.explanations[label]]
        for r in range(1, lime_repeats):
            say(done / total, f"LIME repeat {r + 1}/{lime_repeats} for {FAMILY_LABELS[m.family]}")
            reps.append(explain_fn(m, X[m.feature_names], "lime", seed + r))
            tick("lime")
        table = lime_stability(reps, k=k)
        res.stability_rows[label] = table
        s = stability_summary(table, lime_repeats, k=k)
        stab.append({"explainer": label, "top-k Jaccard": s["jaccard"], "VSI": s["VSI"], "CSI": s["CSI"],
                     "coef CV": s["coef_cv"], "unstable share": s["unstable_share"], "patients": s["n"]})
    if stab:
        res.stability = pd.DataFrame(stab)
        from risklens.metrics.stability import UNSTABLE_RULE

        res.notes.append(f"LIME instability rule: {UNSTABLE_RULE}.")

    curves, aucs = [], []
    for m, meth in jobs:
        label = explainer_label(m, meth)
        say(done / total, f"faithfulness: {label}")
        from risklens.ui.cache import held_out

        train = np.setdiff1d(np.arange(cohort.n), held_out(m, cohort))
        base = baseline_from(cohort.X.iloc[train][m.feature_names].to_numpy(dtype=np.float64))
        e = res.explanations[label]
        f = faithfulness_curves(m.predict_proba, X[m.feature_names].to_numpy(dtype=np.float64), e.values, base, seed=seed)
        nf = len(f["mean_curve_deletion"])
        for kind in ("deletion", "insertion"):
            for order, key in (("by attribution", f"mean_curve_{kind}"), ("random order", f"mean_curve_{kind}_random")):
                for step, val in enumerate(f[key]):
                    curves.append({"explainer": label, "kind": kind, "order": order,
                                   "fraction": step / max(nf - 1, 1), "risk": val})
        aucs.append({"explainer": label, "deletion AUC": f["deletion_auc"], "deletion AUC (random)": f["deletion_auc_random"],
                     "insertion AUC": f["insertion_auc"], "insertion AUC (random)": f["insertion_auc_random"]})
        tick(label)
    res.faithfulness, res.faithfulness_auc = pd.DataFrame(curves), pd.DataFrame(aucs)

    run_recs = []
    for fam, ms in by_family.items():
        if len(ms) < 2:
            continue
        shap_runs = [res.explanations[explainer_label(ms[0], "shap")]]
        for m in ms[1:]:
            say(done / total, f"run-to-run: SHAP on {FAMILY_LABELS[fam]} seed {m.seed}")
            shap_runs.append(explain_fn(m, X[m.feature_names], "shap", seed))
            tick("runs")
        rc = run_consistency(shap_runs, k=k)
        run_recs.append({"model": SHORT_FAMILY[fam], "method": "SHAP", "runs": len(ms),
                         f"FA top-{k} (cohort)": rc["FA"], "CR all features (cohort)": rc["CR"]})
    shap_labels = [label for label in res.labels if label.endswith("· SHAP")]
    for i, a in enumerate(shap_labels):
        for b in shap_labels[i + 1:]:
            ac = res.agreement_cohort
            run_recs.append({"model": f"{a.split(' · ')[0]} vs {b.split(' · ')[0]}", "method": "SHAP (cross-model)",
                             "runs": 1, f"FA top-{k} (cohort)": ac["FA"].loc[a, b], "CR all features (cohort)": ac["CR"].loc[a, b]})
    res.runs = pd.DataFrame(run_recs) if run_recs else None

    # patients where the reference model's SHAP and LIME disagree most
    ref = refs[0]
    a_lab, b_lab = explainer_label(ref, "shap"), explainer_label(ref, "lime")
    if a_lab in res.explanations and b_lab in res.explanations:
        dist = agreement_distribution(res.explanations[a_lab], res.explanations[b_lab], k=k)
        dist.insert(0, "id", ids)
        dist["y"] = cohort.y[rows]
        res.disagreement = dist.sort_values(["FA", "CR"], kind="stable").reset_index(drop=True)
        res.disagreement_pair = (a_lab, b_lab)
    tick("done")
    say(1.0, "done")
    return res


def run_rashomon(cohort: Cohort, families=("xgboost",), seeds=(0, 1, 2), margin: float = 0.01, rows: int = 300,
                 seed: int = 0, progress: Progress | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(candidate models with AUROC and kept flag, importance spread per feature over the kept models)."""
    from risklens.modeling import split_cohort
    from risklens.study.rashomon import importance_spread, rashomon_set

    kept, records = rashomon_set(cohort, families=tuple(families), seeds=tuple(seeds), margin=margin, progress=progress)
    test = split_cohort(cohort, 0.3, 0)[1]
    if len(test) > rows:
        test = np.sort(np.random.default_rng(seed).choice(test, size=rows, replace=False))
    if progress:
        progress(0.95, f"SHAP importances of {len(kept)} kept models")
    spread = importance_spread(kept, cohort.X.iloc[test], seed=seed)
    rec = pd.DataFrame(records)
    if "params" in rec:
        rec["params"] = rec["params"].map(lambda p: ", ".join(f"{k}={v}" for k, v in (p or {}).items()) or "defaults")
    return rec, spread
