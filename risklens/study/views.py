"""Tables of an :class:`~risklens.study.types.EvaluationReport` as frames for pages and plots.

Pure reshaping of the report's records (no computation of new numbers): pages call these and draw.
:func:`display` formats a frame for showing (numbers rounded, missing as "—").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.study.render import fmt

METRIC_HELP = {
    "FA": "feature agreement: share of the top-k features both methods name",
    "RA": "rank agreement: same feature at the same rank",
    "SA": "sign agreement: shared top-k features with the same sign (out of k)",
    "SA_shared": "sign agreement among the shared top-k features (the study's form)",
    "SRA": "signed rank agreement: same feature, same rank, same sign",
    "CR": "rank correlation (Spearman) over all features",
    "PRA": "pairwise rank agreement: feature pairs ordered the same way",
}


def display(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Every cell as text: numbers to ``digits`` decimals, missing numbers as "—"."""
    return frame.apply(lambda col: col.map(lambda v: fmt(v, digits) if not isinstance(v, str) else v)).astype(str)


def patient_counts(rep) -> dict:
    """Both patient rules and their counts: {"per model": {family label: n}, "every model": n, rules}."""
    from risklens.families import FAMILY_LABELS

    return {"per model": {FAMILY_LABELS.get(f, f): int(n) for f, n in rep.patients_per_family.items()},
            "every model": int(rep.n_patients), "per-model rule": rep.patient_rule,
            "comparison rule": rep.comparison_rule}


def patients_frame(rep) -> pd.DataFrame:
    """One row per model (its own correctly predicted positives), then the patients every model flags."""
    c = patient_counts(rep)
    rows = [{"patients of": label, "patients": n, "used for": "its explainers' per-patient metrics"}
            for label, n in c["per model"].items()]
    rows.append({"patients of": "every model", "patients": c["every model"],
                 "used for": "comparisons (each pair: the patients both compared models flag)"})
    return pd.DataFrame(rows, columns=["patients of", "patients", "used for"])


def agreement_matrix(rep, metric: str, level: str, k: int) -> pd.DataFrame:
    """Explainers x explainers matrix of one metric at one k and level (the diagonal is left empty)."""
    labels = [e.label for e in rep.explainers]
    mat = pd.DataFrame(np.nan, index=labels, columns=labels)
    for r in rep.method_agreement:
        if r.level == level and r.k == k:
            v = getattr(r, metric)
            mat.loc[r.a.label, r.b.label] = mat.loc[r.b.label, r.a.label] = np.nan if v is None else v
    return mat


def agreement_ks(rep) -> list[int]:
    return sorted({r.k for r in rep.method_agreement})


def concordance_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "dropped (A)": r.dropped, "kept (B)": r.kept,
                          "non-clinical top share": r.non_clinical_share, "mean trigger rank": r.mean_trigger_rank,
                          "patients": r.n, **{f"top-{k} hit": v for k, v in r.topk_hit.items()}}
                         for r in rep.concordance])


def topk_hits(rep) -> pd.DataFrame:
    """Long frame: explainer, k, hit rate (trigger group among the top-k features)."""
    return pd.DataFrame([{"explainer": r.explainer.label, "k": int(k), "hit rate": v}
                         for r in rep.concordance for k, v in r.topk_hit.items()])


def mechanism_frame(rep) -> pd.DataFrame:
    trig = {r.explainer: r.kept for r in rep.concordance}
    return pd.DataFrame([{"explainer": r.explainer.label, "top-1 in process": r.top1_process,
                          f"top-{r.k} in process": r.topk_process, "top-1 = first moved": r.top1_first,
                          "top-1 is a proxy": r.non_clinical_top1, "trigger concordance (kept)": trig.get(r.explainer),
                          "patients": r.n} for r in rep.mechanism])


def noise_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "deterministic": "yes" if r.deterministic else "no",
                          "FA seed-to-seed": r.FA, "FA run-to-run": r.run_FA, "FA share": r.share_FA,
                          "CR seed-to-seed": r.CR, "CR run-to-run": r.run_CR, "CR share": r.share_CR,
                          "sign seed-to-seed": r.sign, "sign run-to-run": r.run_sign, "which dominates": r.verdict}
                         for r in rep.noise_floor])


def noise_long(rep) -> pd.DataFrame:
    """Long frame for a bar chart: explainer, source (seed-to-seed / run-to-run), FA."""
    rows = []
    for r in rep.noise_floor:
        rows += [{"explainer": r.explainer.label, "source": "seed to seed (noise floor)", "FA": r.FA},
                 {"explainer": r.explainer.label, "source": "run to run", "FA": r.run_FA}]
    return pd.DataFrame(rows)


def conformal_frame(rep) -> pd.DataFrame:
    """One row per family and conformal variant: coverage beside its band, shares of uncertain and empty sets."""
    from risklens.families import FAMILY_LABELS

    band = lambda b: f"{b[0]:.3f}–{b[1]:.3f}" if b else "—"  # noqa: E731
    return pd.DataFrame([{"model": FAMILY_LABELS.get(r.family, r.family), "variant": r.variant,
                          "coverage": r.coverage, "band": band(r.band), "events covered": r.coverage_event,
                          "events band": band(r.band_event), "non-events covered": r.coverage_no_event,
                          "non-events band": band(r.band_no_event), "inside the band": "yes" if r.in_band else "no",
                          "uncertain (both outcomes)": r.uncertain, "empty": r.empty,
                          "evaluation patients": r.n_evaluation} for r in rep.conformal])


def stability_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "top-k Jaccard": r.jaccard, "VSI": r.VSI, "CSI": r.CSI,
                          "coef CV": r.coef_cv, "unstable share": r.unstable_share, "patients": r.n}
                         for r in rep.lime_stability])


def stability_patients(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "jaccard": j} for r in rep.lime_stability
                         for j in r.patient_jaccard])


def faithfulness_curves(rep, explainer_label: str | None = None) -> pd.DataFrame:
    """Long frame: explainer, kind (deletion / insertion), order, fraction of features, risk."""
    rows = []
    for r in rep.faithfulness:
        if explainer_label is not None and r.explainer.label != explainer_label:
            continue
        for kind in ("deletion", "insertion"):
            for order, name in (("by attribution", kind), ("random order", f"{kind}_random")):
                ys = r.curves.get(name, [])
                rows += [{"explainer": r.explainer.label, "kind": kind, "order": order,
                          "fraction": i / max(len(ys) - 1, 1), "risk": y} for i, y in enumerate(ys)]
    return pd.DataFrame(rows, columns=["explainer", "kind", "order", "fraction", "risk"])


def faithfulness_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "deletion AUC": r.deletion_auc,
                          "deletion AUC (random)": r.deletion_auc_random, "insertion AUC": r.insertion_auc,
                          "insertion AUC (random)": r.insertion_auc_random, "PGI": r.PGI, "PGU": r.PGU,
                          "compacity (90%)": r.compacity_mean, "local Lipschitz": r.lipschitz_mean, "patients": r.n}
                         for r in rep.faithfulness])


def runs_frame(rep) -> pd.DataFrame:
    """Run-to-run consistency per explainer, then the same method across models."""
    k = rep.settings.k
    rows = [{"comparison": r.explainer.label, "kind": "run to run", f"FA top-{k}": r.FA, "CR all features": r.CR,
             "pairs": r.pairs} for r in rep.run_consistency]
    rows += [{"comparison": f"{r.a.label} vs {r.b.label}", "kind": "across models", f"FA top-{k}": r.FA,
              "CR all features": r.CR, "pairs": r.pairs} for r in rep.cross_model]
    return pd.DataFrame(rows)


def sign_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "leading": r.leading, "top 5": r.top5, "all": r.all}
                         for r in rep.sign_agreement])


def disagreement_frame(rep, n: int = 10) -> pd.DataFrame:
    return pd.DataFrame([{"id": r.id, "FA": r.FA, "CR": r.CR, "SA": r.SA} for r in rep.disagreement[:n]],
                        columns=["id", "FA", "CR", "SA"])


def rashomon_frames(rep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(candidate models with AUROC and kept flag, importance spread per feature)."""
    r = rep.rashomon
    rec = pd.DataFrame(r.records)
    if "params" in rec:
        rec["params"] = rec["params"].map(lambda p: ", ".join(f"{k}={v}" for k, v in (p or {}).items()) or "defaults")
    return rec, pd.DataFrame(r.spread)
