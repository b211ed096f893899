"""Report sections of the trust checks: sanity checks, chance levels, complexity, robustness, subgroups.
Built from :mod:`risklens.study.trust_views`, so the report and the Consistency page show the same numbers."""

from __future__ import annotations

from risklens.study import trust_views as TV
from risklens.study.render import Section
from risklens.study.subgroups import MIN_GROUP


def _section(title: str, frame, caption: str = "", extra=None) -> Section:
    return Section(title, [str(c) for c in frame.columns], frame.astype(object).where(frame.notna(), None).values.tolist(),
                   caption, extra=list(extra or []))


def trust_sections(rep) -> list[Section]:
    out = []
    if rep.sanity:
        failed = [k for k, ok in TV.sanity_verdicts(rep).items() if not ok]
        extra = [f"FAILED: {k}: its explanation barely changes when the model is randomised, so it cannot show what "
                 "this model learned." for k in failed]
        out.append(_section("Sanity checks: does the explanation depend on the model? (Adebayo et al. 2018)",
                            TV.sanity_frame(rep), "Run-1 explanation beside the explanation of a randomised model "
                            "(MLP: layers re-drawn from the top down; XGBoost and L1: retrained on permuted labels); "
                            f"same patients, method, seed and budget. An explainer {TV.SANITY_RULE}.", extra))
    if rep.chance:
        out.append(_section("Chance levels: a seeded random explainer on the same patients", TV.chance_frame(rep),
                            "Each 'chance' column is the random explainer's value (a random direction with the "
                            "explainer's own magnitude per patient) beside the explainer's. Trigger concordance, "
                            "deletion and insertion AUC: the explainer's over its analysed patients (mean over runs for "
                            "concordance); chance, faithfulness correlation and infidelity: the trust patients."))
    if rep.complexity:
        out.append(_section("Complexity of the explanations (run 1, per patient, mean)", TV.complexity_frame(rep),
                            "Gini: 0 = every feature equal, near 1 = one feature carries everything. Effective "
                            "complexity: features carrying at least 1% of the patient's total |attribution|. "
                            "Compacity: fewest features reaching 90% of it."))
    if rep.robustness:
        out.append(_section("Faithfulness by removal, sensitivity and imputed deletion (run 1)",
                            TV.robustness_frame(rep), TV.robustness_caption(rep)))
    if rep.subgroups:
        out.append(_section("Subgroups: model performance (run-1 models, held-out rows)", TV.subgroup_frame(rep, "model"),
                            "Calibration gap: mean predicted risk minus the observed event rate. Sensitivity at each "
                            "model's threshold. Computed with fairlearn's MetricFrame.",
                            TV.gap_sentences(rep)))
        out.append(_section("Subgroups: explanation quality (analysed patients)", TV.subgroup_frame(rep, "explanation"),
                            "Concordance: trigger concordance (kept). Faithfulness: deletion AUC / the patient's risk "
                            "(lower = more faithful). Stability: top-k agreement of run 1 with the other runs. Gaps "
                            f"use groups of at least {MIN_GROUP} patients."))
        out.append(_section("Largest gaps between subgroups", TV.largest_gaps(rep)))
    return out
