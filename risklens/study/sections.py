"""Report sections for the study's tables (beside its published numbers), the noise floor and
mechanism concordance, conformal prediction, and the agreement tables."""

from __future__ import annotations

from risklens.study.render import Section
from risklens.study.settings import STUDY_IMPORTANCE


def _pub(rep, *path):
    d = rep.published or {}
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def study_sections(rep) -> list[Section]:
    out = []
    if rep.table1:
        out.append(_table1(rep))
    if rep.concordance:
        rows = []
        for v in rep.concordance:
            s = _pub(rep, "concordance", str(v.explainer)) or {}
            rows.append([v.explainer.label, v.dropped, s.get("dropped"), v.kept, s.get("kept"), v.non_clinical_share,
                         s.get("non_clinical_share")] + [v.topk_hit.get(str(i)) for i in (1, 3, 5)]
                        + [v.mean_trigger_rank, v.n])
        out.append(Section("Concordance with the recorded trigger (correctly predicted positives, mean over runs)",
                           ["explainer", "dropped (A)", "study", "kept (B)", "study", "non-clinical top", "study",
                            "top-1 hit", "top-3 hit", "top-5 hit", "mean trigger rank", "patients"], rows,
                           "A: patients whose top feature is administrative / care process are dropped; "
                           "B: kept as misses."))
    out.append(Section("Run-to-run consistency (cohort level, mean over run pairs)",
                       ["explainer", "FA top-k", "study", "CR all features", "study", "run pairs"],
                       [[v.explainer.label, v.FA, _pub(rep, "run_consistency", str(v.explainer), "FA"), v.CR,
                         _pub(rep, "run_consistency", str(v.explainer), "CR"), v.pairs] for v in rep.run_consistency]))
    if rep.cross_model:
        out.append(Section("Consistency across models (the same method on two families, cohort level)",
                           ["comparison", "FA top-k", "CR all", "study FA", "study CR", "run pairs"],
                           [[f"{v.a.label} vs {v.b.label}", v.FA, v.CR,
                             *((_pub(rep, "cross_model", "FA"), _pub(rep, "cross_model", "CR")) if v.a.method == STUDY_IMPORTANCE
                               else (None, None)), v.pairs] for v in rep.cross_model]))
    if rep.sign_agreement:
        sp = _pub(rep, "sign_agreement") or {}
        study = " / ".join(f"{sp[x]:.2f}" for x in ("leading", "top5", "all")) if sp else None
        out.append(Section("Sign agreement across runs (patient level, shared top-k features with the same sign)",
                           ["explainer", "leading", "top 5", "all", "study (SHAP) leading / top 5 / all"],
                           [[v.explainer.label, v.leading, v.top5, v.all, study] for v in rep.sign_agreement]))
    return out


def _table1(rep) -> Section:
    study = _pub(rep, "table1") or {}
    cols, data = [], []
    for key in rep.explainers:
        top = [t for t in rep.table1 if t.explainer == key]
        cols.append(key.label)
        data.append([t.label for t in top])
        if str(key) in study:
            cols.append(f"study {key.label}")
            data.append(study[str(key)])
    n = max((len(d) for d in data), default=0)
    rows = [[r + 1] + [d[r] if r < len(d) else "" for d in data] for r in range(n)]
    return Section("Table 1 – top-5 cohort features (run 1, mean |attribution|)", ["rank"] + cols, rows,
                   "Study columns are the published VS (ward) results." if study else "")


def noise_sections(rep) -> list[Section]:
    out = []
    if rep.noise_floor:
        rows = [[v.explainer.label, v.FA, v.run_FA, v.share_FA, v.CR, v.run_CR, v.share_CR, v.sign, v.run_sign,
                 v.verdict] for v in rep.noise_floor]
        out.append(Section("Explainer noise floor beside run-to-run consistency",
                           ["explainer", "FA seed-to-seed", "FA run-to-run", "share", "CR seed-to-seed",
                            "CR run-to-run", "share", "sign seed-to-seed", "sign run-to-run", "which dominates"], rows,
                           f"Seed-to-seed: the run-1 model explained with {rep.settings.noise_seeds} explainer seeds. "
                           "Share = (1 − floor) / (1 − run-to-run), clipped to [0, 1]: the part of the run-to-run "
                           "disagreement the explainer's own noise accounts for. Sign = top-5 sign agreement."))
    if rep.mechanism:
        trig = {v.explainer: v for v in rep.concordance}
        rows = [[v.explainer.label, v.top1_process, v.topk_process, v.top1_first, v.non_clinical_top1,
                 trig[v.explainer].kept if v.explainer in trig else None, v.n] for v in rep.mechanism]
        k = rep.mechanism[0].k
        out.append(Section("Mechanism concordance (simulated cause of each event; correctly predicted positives)",
                           ["explainer", "top-1 in process", f"top-{k} in process", "top-1 = first moved",
                            "top-1 is a proxy", "trigger concordance (kept)", "patients"], rows,
                           "Process: the dictionary groups the patient's simulated process moves. Proxy: a "
                           "care-process or administrative feature. High proxy share = the model leans on a proxy; "
                           "a clinical top-1 outside the process = the explanation points at the wrong cause."))
    if rep.lime_stability:
        out.append(Section("LIME stability (same patients, repeated seeds, run-1 model)",
                           ["explainer", "top-k Jaccard", "VSI", "CSI", "coef CV", "unstable share", "patients", "repeats"],
                           [[v.explainer.label, v.jaccard, v.VSI, v.CSI, v.coef_cv, v.unstable_share, v.n, v.repeats]
                            for v in rep.lime_stability], rep.lime_stability[0].rule))
    return out


def agreement_sections(rep) -> list[Section]:
    out = []
    if rep.top_contributor:
        tp = _pub(rep, "top_contributor") or {}
        rows = [[f"{v.a.label} vs {v.b.label}", v.exact, v.group, v.top2_set, v.top3_set, v.n] for v in rep.top_contributor]
        if tp:
            rows.append(["study (between methods)", tp.get("exact"), None, tp.get("top2_set"), "< 0.03", None])
        out.append(Section("Top contributor agreement between methods (run 1, patient level)",
                           ["pair", "exact feature", "same group", "top-2 set", "top-3 set", "patients"], rows,
                           "Shares of patients; top-2 / top-3 sets are unordered."))
    k = rep.settings.k
    pairs = [v for v in rep.method_agreement if v.k == k]
    if pairs:
        out.append(Section(f"Agreement metrics between methods (k = {k}; Krishna et al. 2022)",
                           ["pair", "level", "FA", "RA", "SA", "SA shared", "SRA", "CR", "PRA"],
                           [[f"{v.a.label} vs {v.b.label}", v.level, v.FA, v.RA, v.SA, v.SA_shared, v.SRA, v.CR, v.PRA]
                            for v in pairs],
                           "Patient level: mean over patients; cohort level: mean |attribution| vectors."))
    return out


def _band(b) -> str:
    return f"{b[0]:.3f}–{b[1]:.3f}" if b else "not guaranteed"


def clinician_sentence(rec) -> str:
    """What one conformal record means for a clinician, in plain words."""
    from risklens.families import FAMILY_LABELS

    level = f"{1 - rec.alpha:.0%}"
    who = (f"for at least {level} of patients who go on to have the event and for at least {level} of those who do "
           "not" if rec.variant == "mondrian" else
           f"for at least {level} of all patients taken together, but not necessarily of those who have the event")
    unc = "—" if rec.uncertain is None else f"{rec.uncertain:.0%}"
    return (f"{FAMILY_LABELS.get(rec.family, rec.family)} ({rec.variant}): the prediction set holds the real outcome "
            f"{who}. For {unc} of patients both outcomes stay possible at this error rate: the model cannot vouch "
            "for either, and the decision rests on clinical judgement.")


def conformal_sections(rep) -> list[Section]:
    if not rep.conformal:
        return []
    alpha = rep.conformal[0].alpha
    from risklens.families import FAMILY_LABELS

    rows = [[FAMILY_LABELS.get(r.family, r.family), r.variant, r.coverage, _band(r.band), r.coverage_event, _band(r.band_event),
             r.coverage_no_event, _band(r.band_no_event), r.in_band, r.uncertain, r.empty, r.mean_set_size,
             f"{r.n_calibration} ({r.n_calibration_events} events)", f"{r.n_evaluation} ({r.n_evaluation_events} events)"]
            for r in rep.conformal]
    mond = [r for r in rep.conformal if r.variant == "mondrian"]
    extra = [clinician_sentence(r) for r in (mond or rep.conformal)]
    return [Section(f"How sure is each model: split-conformal prediction sets (run-1 models, error rate {alpha:g})",
                    ["model", "variant", "coverage", "band", "events covered", "band", "non-events covered", "band",
                     "inside the band", "uncertain (both)", "empty", "mean set size", "calibration rows",
                     "evaluation rows"], rows,
                    f"Each patient gets a set of outcomes: {{event}}, {{no event}}, or both (uncertain). Nominal "
                    f"coverage {1 - alpha:.0%}. Calibrated on a seeded half of the held-out patients, measured on "
                    "the other half. Band: where the finite-sample guarantee lets the measured coverage fall "
                    "(standard: overall only; Mondrian: also within each class). A coverage of events far below "
                    "the nominal level under the standard variant is why the Mondrian variant exists.",
                    extra=extra)]


def data_check_sections(rep) -> list[Section]:
    """"Data checks": the findings of risklens.cohorts.checks on the protocol's split (one row each)."""
    from risklens.cohorts.checks import LEAK_AUROC

    rows = [[f.severity, f.kind, f.column or "(table)", f.measured, f.threshold, f.message, f.action]
            for f in rep.data_checks]
    caption = (f"Checks of the cohort before training, on the protocol's patient-level split: a column alone "
               f"predicting the outcome on held-out rows with AUROC >= {LEAK_AUROC:.2f} (its value, or whether it is "
               "blank) is a likely outcome leak; post-outcome words in column names; identifier-like, constant and "
               "duplicated columns; duplicate patients across the split. Nothing was left out by the checks.")
    if not rows:
        caption += " No finding."
    return [Section("Data checks", ["severity", "check", "column", "measured", "threshold", "finding", "what to do"],
                    rows, caption=caption)]
