"""Consistency: the study's evaluation protocol, interactively."""

import pandas as pd
import streamlit as st

from risklens import plots, ui
from risklens.safety import md_escape
from risklens.ui import state
from risklens.ui.consistency_view import analysis_rows, explainer_options, run_protocol

METRIC_HELP = {
    "FA": "feature agreement: share of the top-k features both methods name",
    "RA": "rank agreement: same feature at the same rank",
    "SA": "sign agreement: shared top-k features with the same sign (out of k)",
    "SRA": "signed rank agreement: same feature, same rank, same sign",
    "CR": "rank correlation (Spearman) over all features",
    "PRA": "pairwise rank agreement: feature pairs ordered the same way",
}


def controls(cohort, models):
    c = st.columns(4)
    k = int(c[0].slider("k (top features)", 1, 10, 5, key="cons_k"))
    n = int(c[1].number_input("Patients analysed", 10, 1000, 40, step=10, key="cons_n",
                              help="held-out, correctly predicted positives; a seeded sample"))
    reps = int(c[2].number_input("LIME repeats (seeds)", 1, 10, 3, key="cons_reps"))
    seed = int(c[3].number_input("Seed", 0, 10_000, 0, key="cons_seed"))
    options = explainer_options(models)
    include = st.multiselect("Explainers", options, default=options, key="cons_include",
                             help="SHAP on the neural network is model-agnostic (permutation) and takes a few "
                                  "seconds per patient; the others take well under a second for 40 patients.")
    return k, n, reps, seed, include


def compute(cohort, models, k, n, reps, seed, include):
    thresholds = {m.model_id: state.threshold(m) for m in models}
    probs = {m.model_id: ui.cache.predictions(m.model_id, cohort.hash, m, cohort) for m in models}
    test = ui.cache.held_out(models[0], cohort)
    rows, rule = analysis_rows(cohort, models, test, probs, thresholds, n, seed)
    bar = st.progress(0.0, text="starting ...")
    res = run_protocol(cohort, models, rows, rule, k=k, lime_repeats=reps, seed=seed,
                       explain_fn=ui.cache.explain_fn(cohort), include=include, progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
    bar.empty()
    return res


def show(res, cohort):
    st.caption(f"{len(res.rows)} patients: {res.row_rule}. Output spaces: "
               + "; ".join(f"{lab} → {out}" for lab, out in res.outputs.items())
               + ". Agreement metrics compare rankings by |attribution|, so they are valid across spaces.")
    for note in res.notes:
        st.caption(note)
    tabs = st.tabs(["Agreement", "Trigger concordance", "LIME stability", "Faithfulness", "Runs & models",
                    "Disagreements"])
    with tabs[0]:
        c = st.columns(2)
        metric = c[0].selectbox("Metric", list(METRIC_HELP), format_func=lambda m: f"{m}: {METRIC_HELP[m]}",
                                key="cons_metric")
        level = c[1].radio("Level", ["patient (mean over patients)", "cohort (mean |attribution|)"], key="cons_level",
                           horizontal=True)
        mats = res.agreement if level.startswith("patient") else res.agreement_cohort
        lo = -1.0 if metric == "CR" else 0.0
        st.plotly_chart(plots.agreement_heatmap(mats[metric], f"{metric} at k = {res.k}, {level.split(' ')[0]} level",
                                                zmin=lo, colorbar=metric), key="cons_heat")
    with tabs[1]:
        if res.concordance is None:
            st.info("This cohort records no trigger: concordance needs the vital sign that raised each alarm.")
        else:
            st.markdown("Share of correctly predicted red flags whose top attributed feature belongs to the "
                        "recorded trigger's vital-sign group. **A**: patients whose top feature is administrative "
                        "or care-process are dropped; **B**: they are kept and count as misses.")
            st.dataframe(res.concordance.round(3), hide_index=True, width="stretch")
            hits = res.concordance.melt(id_vars=["explainer"], value_vars=[c for c in res.concordance if c.startswith("top-")],
                                        var_name="k", value_name="hit rate")
            hits["k"] = hits["k"].str.extract(r"(\d+)").astype(int)
            st.plotly_chart(plots.curves_figure(hits, "k", "hit rate", "explainer", "Trigger among the top-k features",
                                                "k (top features)", "share of patients"), key="cons_topk")
    with tabs[2]:
        if res.stability is None:
            st.info("Set LIME repeats to 2 or more to measure LIME stability.")
        else:
            st.dataframe(res.stability.round(3), hide_index=True, width="stretch")
            long = pd.concat([t.assign(explainer=lab) for lab, t in res.stability_rows.items()])
            st.plotly_chart(plots.spread_figure(long, "explainer", "jaccard", "LIME top-k Jaccard across seeds, per patient",
                                                "explainer", "mean pairwise Jaccard (1 = identical top-k)"), key="cons_stab")
    with tabs[3]:
        kind = st.radio("Curve", ["deletion", "insertion"], horizontal=True, key="cons_faith_kind")
        f = res.faithfulness
        part = f[f["kind"] == kind].assign(series=lambda d: d["explainer"] + " (" + d["order"] + ")")
        st.plotly_chart(plots.curves_figure(part, "fraction", "risk", "series",
                                            f"{kind.capitalize()} curves (mean over patients)",
                                            "fraction of features " + ("removed" if kind == "deletion" else "restored"),
                                            "predicted risk (probability)"), key="cons_faith")
        st.caption("Deletion: features set to the training mean in order of |attribution|; a faithful explanation "
                   "makes the risk fall faster than a random order (lower AUC). Insertion: the reverse (higher AUC).")
        st.dataframe(res.faithfulness_auc.round(4), hide_index=True, width="stretch")
    with tabs[4]:
        if res.runs is None:
            st.info("Train several runs (seeds) of a family on the Model page to measure run-to-run consistency.")
        else:
            st.dataframe(res.runs.round(3), hide_index=True, width="stretch")
    with tabs[5]:
        if res.disagreement is None:
            st.info("The reference model has no SHAP/LIME pair to compare.")
        else:
            a, b = res.disagreement_pair
            st.markdown(f"Patients where **{a}** and **{b}** disagree most (lowest top-{res.k} feature agreement).")
            top = res.disagreement.head(10)
            st.dataframe(top.round(3), hide_index=True, width="stretch")
            cols = st.columns(5)
            for i, pid in enumerate(top["id"]):
                with cols[i % 5]:
                    st.page_link("pages/patients.py", label=f"Patient {md_escape(pid)}", query_params={"patient": pid},
                                 icon=":material/person:")


def rashomon_tab(cohort) -> None:
    from risklens.modeling.model import FAMILIES, FAMILY_LABELS
    from risklens.ui.consistency_view import run_rashomon

    st.markdown("Train several equally accurate models (seeds x hyper-parameters) and see how far each "
                "feature's importance moves between them. Models within the AUROC margin of the best are kept.")
    c = st.columns(3)
    fams = c[0].multiselect("Families", FAMILIES, default=["xgboost"], format_func=lambda f: FAMILY_LABELS[f],
                            key="rash_fams")
    seeds = int(c[1].number_input("Seeds per setting", 1, 5, 2, key="rash_seeds"))
    margin = c[2].number_input("AUROC margin", 0.001, 0.1, 0.01, step=0.005, format="%.3f", key="rash_margin")
    key = ("rashomon", cohort.analysis_key, tuple(fams), seeds, round(margin, 4))
    results = st.session_state.setdefault(state.K_EVAL, {})
    if st.button("Build the Rashomon set", key="rash_run") and fams:
        bar = st.progress(0.0, text="starting ...")
        results[key] = run_rashomon(cohort, fams, tuple(range(seeds)), margin,
                                    progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        bar.empty()
    if key not in results:
        st.info("Press **Build the Rashomon set** (trains the candidate models; about a minute with XGBoost only).")
        return
    records, spread = results[key]
    st.caption(f"{int(records['kept'].sum())} of {len(records)} candidate models kept (AUROC within {margin:.3f} of the best).")
    st.plotly_chart(plots.rashomon_figure(spread, cohort.dictionary), key="rash_fig")
    with st.expander("Candidates and spread table"):
        st.dataframe(records, hide_index=True, width="stretch")
        st.dataframe(spread.round(4), hide_index=True, width="stretch")


def body() -> None:
    ctx = ui.page_context("Consistency")
    if ctx is None:
        return
    cohort, models = ctx
    st.markdown("Do explanation methods agree, are they stable, do they point at the recorded trigger, and "
                "does removing what they point at change the risk? The protocol of Brankovic et al. (2023), "
                "plus LIME stability and faithfulness.")
    k, n, reps, seed, include = controls(cohort, models)
    key = (cohort.analysis_key, tuple(m.model_id for m in models), k, n, reps, seed, tuple(include),
           tuple(round(state.threshold(m), 6) for m in models))
    results = st.session_state.setdefault(state.K_EVAL, {})
    if st.button("Run the evaluation", type="primary", key="cons_run"):
        results[key] = compute(cohort, models, k, n, reps, seed, include)
        ui.audit.record("evaluation run", data=cohort.hash, models=[m.model_id for m in models], k=k, patients=n)
    res = results.get(key)
    if res is None:
        st.info("Choose the settings and press **Run the evaluation** (about a minute on the demo).")
    else:
        show(res, cohort)
    st.subheader("Rashomon spread")
    rashomon_tab(cohort)


ui.run_page(body)
