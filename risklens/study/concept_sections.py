"""Report sections of the concept level (Table 1 and trigger concordance by concept beside the feature level) and of
the lead time."""

from __future__ import annotations

from risklens.study.render import Section

CONCEPT_CAPTION = ("Concepts are the dictionary's groups (a vital sign's summaries, a text column's categories, one "
                   "feature on its own). Concept values are group Shapley values for SHAP (exact on XGBoost and the "
                   "L1 model, permutation-sampled on the MLP) and sums of feature values for LIME, coefficients and "
                   "DTD. Group Shapley gives each concept in an interaction an equal share; the sum gives a share "
                   "per feature, so the two differ only where interactions reach across concepts.")


def lead_time_section(rep) -> list[Section]:
    if not rep.lead_time:
        return []
    rows = [[v.family, v.threshold, v.events, v.alerted, v.median_lead_h, v.share_ahead, v.alerts_per_patient_day,
             v.patient_days, v.basis] for v in rep.lead_time]
    ahead = rep.lead_time[0].ahead_h
    return [Section("Lead time (held-out windows, run-1 model at its threshold)",
                    ["model", "threshold", "events", "alerted", "median lead (h)", f"share alerted ≥ {ahead:g} h ahead",
                     "alerts per patient-day", "patient-days", "basis"], rows,
                    "Lead time: hours from the first alert (score at or above the threshold, at most 24 h before the "
                    "event) to the event; missed events count as not ahead. Independent windows bound it by the "
                    "outcome horizon.")]


def concept_sections(rep) -> list[Section]:
    out = []
    if rep.concept_table1:
        out.append(_table1(rep))
    if rep.concept_concordance:
        feat = {v.explainer: v for v in rep.concordance}
        rows = []
        for c in rep.concept_concordance:
            f = feat.get(c.explainer)
            g = (lambda name, rec: None if rec is None else getattr(rec, name))  # noqa: E731
            rows.append([c.explainer.label, g("kept", f), c.kept, g("dropped", f), c.dropped,
                         None if f is None else f.topk_hit.get("3"), c.topk_hit.get("3"),
                         g("non_clinical_share", f), c.non_clinical_share, c.n])
        out.append(Section("Trigger concordance by concept beside by feature (correctly predicted positives, mean "
                           "over runs)", ["explainer", "kept (B) features", "kept (B) concepts", "dropped (A) features",
                                          "dropped (A) concepts", "top-3 hit features", "top-3 hit concepts",
                                          "non-clinical top features", "non-clinical top concepts", "patients"], rows,
                           "A concept matches the trigger when it is the trigger's group; it counts as non-clinical "
                           "only when all of its features are administrative or care process."))
    return out


def _table1(rep) -> Section:
    cols, data = [], []
    for key in rep.explainers:
        feats = [t.label for t in rep.table1 if t.explainer == key]
        concepts = [t.label for t in rep.concept_table1 if t.explainer == key]
        cols += [f"{key.label} features", f"{key.label} concepts"]
        data += [feats, concepts]
    n = max((len(d) for d in data), default=0)
    rows = [[r + 1] + [d[r] if r < len(d) else "" for d in data] for r in range(n)]
    return Section("Table 1 by concept – top-5 cohort concepts beside the top-5 features (run 1, mean |attribution|)",
                   ["rank"] + cols, rows, CONCEPT_CAPTION)
