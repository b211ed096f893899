"""Frames of the trust checks of an :class:`~risklens.study.types.EvaluationReport` (sanity checks, chance
levels, complexity, robustness, subgroups): pure reshaping for the pages, the plots and the report sections."""

from __future__ import annotations

import pandas as pd

from risklens.metrics.complexity import COMPACITY_SHARE, EFFECTIVE_SHARE
from risklens.metrics.randomisation import RULE

SANITY_RULE = RULE
VERDICT = {True: "passed", False: "FAILED: barely changes with the model", None: ""}


def sanity_frame(rep) -> pd.DataFrame:
    k = rep.sanity[0].k if rep.sanity else rep.settings.k
    return pd.DataFrame([{"explainer": r.explainer.label, "randomisation": r.randomisation, "step": r.step,
                          "Spearman |attribution|": r.spearman, f"top-{k} agreement": r.top_k,
                          "randomised explanation all zero": r.collapsed, "patients": r.n,
                          "verdict": VERDICT[r.passed]} for r in rep.sanity],
                        columns=["explainer", "randomisation", "step", "Spearman |attribution|", f"top-{k} agreement",
                                 "randomised explanation all zero", "patients", "verdict"])


def sanity_verdicts(rep) -> dict[str, bool]:
    """{explainer label: passed} from each explainer's last randomisation step."""
    return {r.explainer.label: bool(r.passed) for r in rep.sanity if r.final}


def chance_frame(rep) -> pd.DataFrame:
    """Each explainer's number beside the seeded random explainer's on the same patients and model."""
    conc = {r.explainer: r.kept for r in rep.concordance}
    faith = {r.explainer: r for r in rep.faithfulness}
    robust = {r.explainer: r for r in rep.robustness}
    comp = {r.explainer: r for r in rep.complexity}
    rows = []
    for c in rep.chance:
        f, r, x = faith.get(c.explainer), robust.get(c.explainer), comp.get(c.explainer)
        rows.append({"explainer": c.explainer.label, "FA with a random explainer": c.FA, "expected k/f": c.FA_expected,
                     "CR with a random explainer": c.CR,
                     "trigger concordance (kept)": conc.get(c.explainer), "chance: concordance": c.concordance_kept,
                     "deletion AUC": f.deletion_auc if f else None, "chance: deletion": c.deletion_auc,
                     "insertion AUC": f.insertion_auc if f else None, "chance: insertion": c.insertion_auc,
                     "faithfulness correlation": r.faithfulness_correlation if r else None,
                     "chance: correlation": c.faithfulness_correlation,
                     "infidelity": r.infidelity if r else None, "chance: infidelity": c.infidelity,
                     "Gini": x.gini if x else None, "chance: Gini": c.gini, "patients": c.n})
    return pd.DataFrame(rows)


def complexity_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "Gini sparseness": r.gini,
                          f"effective complexity (≥ {EFFECTIVE_SHARE:.0%} of total)": r.effective,
                          f"compacity ({COMPACITY_SHARE:.0%})": r.compacity, "explanation all zero": r.zero_share,
                          "features": r.features, "patients": r.n}
                         for r in rep.complexity])


def complexity_patients(rep) -> pd.DataFrame:
    """Long frame: explainer, Gini per patient (for a spread figure)."""
    return pd.DataFrame([{"explainer": r.explainer.label, "Gini": g} for r in rep.complexity for g in r.patient_gini],
                        columns=["explainer", "Gini"])


def robustness_frame(rep) -> pd.DataFrame:
    return pd.DataFrame([{"explainer": r.explainer.label, "output": r.output,
                          "faithfulness correlation": r.faithfulness_correlation, "infidelity (normalised)": r.infidelity,
                          "max-sensitivity": r.max_sensitivity, "local Lipschitz": r.lipschitz,
                          "deletion AUC (to the mean)": r.deletion_auc_mean,
                          "deletion AUC (imputed)": r.deletion_auc_imputed,
                          "imputed, random order": r.deletion_auc_imputed_random, "patients": r.n,
                          "sensitivity patients": r.n_sensitivity} for r in rep.robustness])


def robustness_caption(rep) -> str:
    if not rep.robustness:
        return ""
    r = rep.robustness[0]
    return (f"Perturbation for faithfulness correlation (Bhatt et al. 2020) and infidelity (Yeh et al. 2019): "
            f"{r.perturbation}. Infidelity is normalised by the effect's mean square (0 = exact, 1 = no better than "
            f"claiming nothing). Max-sensitivity: largest relative change of the explanation when every input moves "
            f"by up to {r.radius:g} feature std (sampling explainers include their own noise); local Lipschitz: "
            "change per unit of input distance. Deletion (probability): features removed in order of |attribution|, "
            "to the training mean or imputed from the kept features (a Gaussian fitted to training rows, ROAD-style); "
            "an imputed curve close to its random order means the deletion-to-the-mean effect was off-distribution.")


def _scope(r) -> str:
    from risklens.families import FAMILY_LABELS

    return r.explainer.label if r.explainer is not None else FAMILY_LABELS.get(r.family, r.family)


def subgroup_frame(rep, kind: str = "model") -> pd.DataFrame:
    """Wide frame: one row per column, group and model (``kind="model"``) or explainer (``"explanation"``)."""
    recs = [r for r in rep.subgroups if (r.explainer is None) == (kind == "model")]
    if not recs:
        return pd.DataFrame()
    name = "model" if kind == "model" else "explainer"
    rows: dict = {}
    for r in recs:
        row = rows.setdefault((r.column, _scope(r), r.group), {"column": r.column, name: _scope(r), "group": r.group})
        row[r.metric] = r.value
        row["n"] = r.n
    out = pd.DataFrame(list(rows.values()))
    return out[[c for c in out.columns if c != "n"] + ["n"]]
    return out


def largest_gaps(rep) -> pd.DataFrame:
    """Per column and metric, the model or explainer with the largest gap between groups, largest first."""
    rows = {}
    for g in rep.subgroup_gaps:
        key = (g.column, g.metric)
        if g.gap is not None and (key not in rows or g.gap > rows[key].gap):
            rows[key] = g
    return pd.DataFrame([{"column": g.column, "metric": g.metric, "where": _scope(g), "gap": g.gap,
                          "highest": f"{g.high_group} ({g.high:.3f})", "lowest": f"{g.low_group} ({g.low:.3f})"}
                         for g in sorted(rows.values(), key=lambda g: (g.column, -g.gap))],
                        columns=["column", "metric", "where", "gap", "highest", "lowest"])


def gap_sentences(rep) -> list[str]:
    """One sentence per column: its largest gap in model performance and in explanation quality."""
    out = []
    frame = largest_gaps(rep)
    for col, part in frame.groupby("column", sort=False):
        for model_side in (True, False):
            side = part[part["metric"].isin(["AUROC", "calibration gap", "sensitivity"]) == model_side]
            if side.empty:
                continue
            top = side.iloc[0]
            what = "model performance" if model_side else "explanation quality"
            out.append(f"{col}: largest gap in {what} is {top['metric']} of {top['where']}: {top['gap']:.3f} "
                       f"(highest {top['highest']}, lowest {top['lowest']}).")
    return out
