"""Consistency: the study's evaluation protocol, interactively (every number from one EvaluationReport)."""

import streamlit as st

from risklens import plots, ui
from risklens.safety import md_escape
from risklens.study import trust_views, views
from risklens.ui import study


def agreement_tab(rep) -> None:
    c = st.columns(3)
    metric = c[0].selectbox("Metric", list(views.METRIC_HELP), format_func=lambda m: f"{m}: {views.METRIC_HELP[m]}",
                            key="cons_metric")
    ks = views.agreement_ks(rep)
    k = c[1].selectbox("k", ks, index=ks.index(rep.settings.k) if rep.settings.k in ks else 0, key="cons_view_k")
    level = c[2].radio("Level", ["patient", "cohort"], key="cons_level", horizontal=True,
                       format_func=lambda v: "patient (mean over patients)" if v == "patient" else "cohort (mean |attribution|)")
    mat = views.agreement_matrix(rep, metric, level, k)
    st.plotly_chart(plots.agreement_heatmap(mat, f"{metric} at k = {k}, {level} level", zmin=-1.0 if metric == "CR" else 0.0,
                                            colorbar=metric), key="cons_heat")
    st.caption(" · ".join(f"{m}: {h}" for m, h in views.METRIC_HELP.items()))


def concordance_tab(rep) -> None:
    if not rep.concordance:
        st.info("This cohort records no trigger (the recorded cause of each event), so trigger concordance is not "
                "available.")
    else:
        st.markdown("Share of correctly predicted red flags whose top attributed feature belongs to the recorded "
                    "trigger's feature group. **A**: patients whose top feature is administrative or care-process "
                    "are dropped; **B**: they are kept and count as misses.")
        st.dataframe(views.display(views.concordance_frame(rep)), hide_index=True, width="stretch")
        st.plotly_chart(plots.curves_figure(views.topk_hits(rep), "k", "hit rate", "explainer",
                                            "Trigger among the top-k features", "k (top features)", "share of patients"),
                        key="cons_topk")
    st.markdown("**Mechanism concordance** (simulated cohorts know each patient's true process)")
    if not rep.mechanism:
        st.info("This cohort records no mechanism (only simulated cohorts can), so mechanism concordance is not available.")
    else:
        st.dataframe(views.display(views.mechanism_frame(rep)), hide_index=True, width="stretch")
        st.caption("In process: the top feature belongs to a vital-sign group the patient's process moves. First moved: "
                   "the group it moved first. Proxy: a care-process or administrative feature leads.")


def noise_tab(rep) -> None:
    st.markdown("Does an explanation change because the model changed between training runs, or because the "
                "explainer itself is noisy? Seed to seed: the run-1 model explained with several explainer seeds.")
    st.plotly_chart(plots.noise_floor_figure(views.noise_long(rep)), key="cons_noise_fig")
    st.dataframe(views.display(views.noise_frame(rep)), hide_index=True, width="stretch")
    st.caption("FA: feature agreement of the top-k (cohort level) · CR: rank correlation over all features · sign: "
               "top-5 sign agreement · share = (1 − seed-to-seed) / (1 − run-to-run), the part of the run-to-run "
               "disagreement the explainer's noise accounts for.")
    if rep.lime_stability:
        st.markdown("**LIME stability** (same patients, repeated seeds)")
        st.dataframe(views.display(views.stability_frame(rep)), hide_index=True, width="stretch")
        st.plotly_chart(plots.spread_figure(views.stability_patients(rep), "explainer", "jaccard",
                                            "LIME top-k Jaccard across seeds, per patient", "explainer",
                                            "mean pairwise Jaccard (1 = identical top-k)"), key="cons_stab")
        st.caption(f"VSI / CSI: variables / coefficients stability index. {rep.lime_stability[0].rule}.")


def uncertainty_tab(rep) -> None:
    if not rep.conformal:
        st.info("No conformal prediction sets: " + next((n for n in rep.notes if "conformal" in n),
                                                        "the evaluation did not compute them."))
        return
    alpha = rep.conformal[0].alpha
    st.markdown(f"How sure is each model about a patient? Split-conformal prediction sets at error rate {alpha:g}: "
                "each patient gets {event}, {no event}, or both (**uncertain**). Calibrated on half of the held-out "
                "patients, measured on the other half. **Mondrian** calibrates events and non-events separately, so "
                "coverage holds within each class.")
    st.dataframe(views.display(views.conformal_frame(rep)), hide_index=True, width="stretch")
    st.caption(f"Coverage: share of patients whose set holds their real outcome (nominal {1 - alpha:.0%}). Band: "
               "where the finite-sample guarantee lets it fall (per class only for Mondrian). An uncertain patient "
               "is one the model cannot vouch for at this error rate: the decision rests on clinical judgement.")


def faithfulness_tab(rep) -> None:
    curves = views.faithfulness_curves(rep)
    c = st.columns(2)
    who = c[0].selectbox("Explainer", [e.label for e in rep.explainers], key="cons_faith_who")
    kind = c[1].radio("Curve", ["deletion", "insertion"], horizontal=True, key="cons_faith_kind")
    st.plotly_chart(plots.faithfulness_figure(curves, who, kind), key="cons_faith")
    st.caption("Deletion: features set to the training mean in order of |attribution|; a faithful explanation makes "
               "the risk fall faster than a random order (lower AUC). Insertion: the reverse (higher AUC). PGI / PGU: "
               "prediction gap when the important / unimportant features are perturbed (PGI should exceed PGU).")
    st.dataframe(views.display(views.faithfulness_frame(rep), 4), hide_index=True, width="stretch")


def trust_tab(rep) -> None:
    if not rep.sanity and not rep.complexity:
        st.info("The trust checks were not run (tick **Trust checks** in the settings).")
        return
    st.markdown("**Sanity check: does each explanation depend on the model?** Each explainer explains the same "
                "patients for a randomised model (neural network: layers re-drawn from the top down; XGBoost and "
                "L1: retrained on shuffled outcomes). An explanation that barely changes cannot show what the model "
                "learned.")
    failed = [k for k, ok in trust_views.sanity_verdicts(rep).items() if not ok]
    for label in failed:
        st.error(f"{md_escape(label)} FAILED the sanity check: its explanation barely changes when the model is randomised.",
                 icon=":material/gpp_bad:")
    if rep.sanity and not failed:
        st.success("Every explainer passed the sanity check.", icon=":material/verified_user:")
    sanity = trust_views.sanity_frame(rep)
    from risklens.metrics.randomisation import PASS_BELOW

    st.plotly_chart(plots.sanity_figure(sanity, PASS_BELOW), key="cons_sanity_fig")
    st.dataframe(views.display(sanity), hide_index=True, width="stretch")
    st.caption(f"An explainer {trust_views.SANITY_RULE}.")
    st.markdown("**Chance levels**: a seeded random explainer on the same patients and model, beside each number.")
    chance = trust_views.chance_frame(rep)
    st.plotly_chart(plots.value_vs_chance_figure(chance, "faithfulness correlation", "chance: correlation",
                                                 "Faithfulness correlation: explainer vs random explainer"),
                    key="cons_chance_fig")
    st.dataframe(views.display(chance), hide_index=True, width="stretch")
    st.markdown("**Complexity** (how many features carry each patient's explanation)")
    st.dataframe(views.display(trust_views.complexity_frame(rep)), hide_index=True, width="stretch")
    st.plotly_chart(plots.spread_figure(trust_views.complexity_patients(rep), "explainer", "Gini",
                                        "Gini sparseness per patient", "explainer", "Gini (1 = one feature)"),
                    key="cons_gini")
    st.markdown("**Faithfulness by removal, sensitivity, imputed deletion**")
    st.dataframe(views.display(trust_views.robustness_frame(rep), 4), hide_index=True, width="stretch")
    st.caption(trust_views.robustness_caption(rep))


def subgroups_tab(rep) -> None:
    model = trust_views.subgroup_frame(rep, "model")
    if model.empty:
        st.info("No subgroups were compared (the trust checks were off, or the cohort has no sex, age or chosen column).")
        return
    for sentence in trust_views.gap_sentences(rep):
        st.markdown(f"- {md_escape(sentence)}")
    columns = list(dict.fromkeys(model["column"]))
    col = st.selectbox("Subgroup column", columns, key="cons_sub_col")
    part = model[model["column"] == col]
    metric = st.radio("Model metric", ["AUROC", "calibration gap", "sensitivity"], horizontal=True, key="cons_sub_m")
    st.plotly_chart(plots.subgroup_figure(part, "model", metric, f"{metric} by {col}"), key="cons_sub_fig")
    st.dataframe(views.display(part), hide_index=True, width="stretch")
    expl = trust_views.subgroup_frame(rep, "explanation")
    if not expl.empty:
        st.markdown("**Explanation quality by subgroup** (analysed patients)")
        st.dataframe(views.display(expl[expl["column"] == col]), hide_index=True, width="stretch")
    st.markdown("**Largest gaps**")
    st.dataframe(views.display(trust_views.largest_gaps(rep)), hide_index=True, width="stretch")
    st.caption("Calibration gap: mean predicted risk minus the observed event rate. Faithfulness: deletion AUC / the "
               "patient's risk (lower = more faithful). Stability: top-k agreement of run 1 with the other runs. "
               "Computed with fairlearn's MetricFrame.")


def runs_tab(rep) -> None:
    st.dataframe(views.display(views.runs_frame(rep)), hide_index=True, width="stretch")
    if rep.sign_agreement:
        st.markdown("**Sign agreement across runs** (patient level)")
        st.dataframe(views.display(views.sign_frame(rep)), hide_index=True, width="stretch")
    if rep.rashomon:
        records, spread = views.rashomon_frames(rep)
        st.markdown(f"**Rashomon set**: {int(records['kept'].sum())} of {len(records)} candidate models kept "
                    f"(AUROC within {rep.rashomon.margin:.3f} of the best).")
        st.plotly_chart(plots.rashomon_figure(spread, None), key="rash_fig")
        st.dataframe(views.display(records), hide_index=True, width="stretch")


def disagreement_tab(rep) -> None:
    if not rep.disagreement:
        st.info("No model has two explainers to compare.")
        return
    first = rep.disagreement[0]
    st.markdown(f"Patients where **{md_escape(first.a.label)}** and **{md_escape(first.b.label)}** disagree most "
                f"(lowest top-{rep.settings.k} feature agreement).")
    top = views.disagreement_frame(rep)
    st.dataframe(views.display(top), hide_index=True, width="stretch")
    model_id = study.evaluated_model(rep, first.a.family)
    models = {m.model_id: m for m in ui.state.active_models(ui.state.active_cohort())}
    if model_id not in models:
        st.info("The model this evaluation explained is not in the model store (it could not be saved), so these "
                "patients cannot be opened on the Patients page.")
        return
    st.caption(f"These patients are held out from the evaluation's own models, not necessarily from the model "
               f"chosen on other pages: each link opens the patient with the model that was explained, "
               f"{ui.model_label(models[model_id])} (run 1, kept in the model store and added to the model picker).")
    query = {"model": model_id}
    if ui.state.cohort_link():
        query["cohort"] = ui.state.cohort_link()
    cols = st.columns(5)
    for i, pid in enumerate(top["id"]):
        with cols[i % 5]:
            st.page_link("pages/patients.py", label=f"Patient {md_escape(pid)}", query_params={**query, "patient": pid},
                         icon=":material/person:")


def show(rep) -> None:
    st.markdown("**Patients analysed.** Each model's explainers are measured on that model's own correctly "
                "predicted positives; comparisons between models or methods on the patients every compared model flags.")
    st.dataframe(views.patients_frame(rep), hide_index=True, width="stretch")
    st.caption(f"{rep.patient_rule[:1].upper()}{rep.patient_rule[1:]}. {rep.comparison_rule[:1].upper()}"
               f"{rep.comparison_rule[1:]}. Agreement metrics compare "
               "rankings by |attribution|, so they are valid across output spaces.")
    for note in rep.notes:
        st.caption(note)
    tabs = st.tabs(["Agreement", "Concordance", "Noise floor & stability", "Faithfulness", "Trust checks",
                    "Subgroups", "Uncertainty", "Runs & models", "Disagreements"])
    draws = (agreement_tab, concordance_tab, noise_tab, faithfulness_tab, trust_tab, subgroups_tab, uncertainty_tab,
             runs_tab, disagreement_tab)
    for tab, draw in zip(tabs, draws):
        with tab:
            draw(rep)


def body() -> None:
    cohort, _models = ui.page_context("Consistency", require_models=False)  # the protocol trains its own runs
    st.markdown("Do explanation methods agree, are they stable, "
                + ("do they point at the recorded trigger, " if cohort.has_trigger else "")
                + "and does removing what they point at change the risk? The protocol of Brankovic et al. (2023), plus the "
                "explainer's noise floor, mechanism concordance, LIME stability, faithfulness and conformal "
                "uncertainty. The protocol trains its own runs of each family from the seed.")
    rep = study.protocol_panel(cohort, "cons", "Run the evaluation",
                               "Choose the settings and press **Run the evaluation** (about a minute on the demo).")
    if rep is not None:
        show(rep)


ui.run_page(body)
