"""Home: what RiskLens is, the demo that is ready, and a guided path."""

import streamlit as st

from risklens import ui
from risklens.safety import md_escape


def body() -> None:
    st.title("RiskLens")
    st.markdown(
        "**Clinical risk prediction with explanations you can check.** RiskLens trains or loads risk "
        "models on EHR-style tables, explains them with SHAP, LIME, model coefficients and Deep Taylor "
        "decomposition, and measures how far those explanations can be trusted: do methods agree, are "
        "they stable from run to run, do they point at what really drove the event?"
    )
    st.markdown(
        "It is for clinicians, data scientists and reviewers who want to look behind a risk score. It "
        "turns the evaluation protocol of Brankovic et al. (2023), *Evaluation of popular XAI applied "
        "to clinical prediction models: can they be trusted?*, into an interactive tool, and adds LIME "
        "stability, faithfulness checks and explanation spread across equally accurate models."
    )
    st.warning("A research and teaching tool: not a medical device and not for clinical decisions.",
               icon=":material/info:")

    cohort = ui.state.active_cohort()
    models = ui.state.active_models(cohort)
    ui.sidebar_context(cohort, models)

    demo = ui.state.is_demo(cohort)
    if demo:
        st.subheader("The built-in demo is ready" if models else "The built-in demo")
    else:
        st.subheader("Your cohort" + (": models ready" if models else ": no model trained yet"))
    cols = st.columns(4)
    cols[0].metric(ui.row_noun(cohort), f"{cohort.n:,}")
    cols[1].metric("Events", f"{cohort.n_events:,}")
    cols[2].metric("Event rate", ui.pct(cohort.event_rate))
    cols[3].metric("Models ready", len(models))
    st.caption(f"Active cohort: {md_escape(cohort.name)} ({md_escape(cohort.source or cohort.outcome_name)})")
    if models:
        rows = [{"model": ui.model_label(m, models), "AUROC (held out)": round(float(m.metrics.get("auroc", float("nan"))), 3),
                 "AUPRC": round(float(m.metrics.get("auprc", float("nan"))), 3),
                 "alert threshold": ui.pct(float(m.metrics.get("threshold", float("nan"))))} for m in models]
        st.dataframe(rows, hide_index=True, width="stretch")

    st.subheader("A guided path")
    steps = [
        ("pages/data.py", "1. Data", "look at the cohort, its missing values" + (", recorded triggers" if cohort.has_trigger
                                                                                  else "") + " and feature dictionary"),
        ("pages/model.py", "2. Model", "check discrimination and calibration; set the alert threshold"),
        ("pages/patients.py", "3. Patients", "open the worklist; compare SHAP and LIME for one patient; try what-if"),
        ("pages/consistency.py", "4. Consistency", "run the study's protocol: agreement, stability"
                                                   + (", trigger concordance" if cohort.has_trigger else ", faithfulness")),
    ]
    for path, label, text in steps:
        c1, c2 = st.columns([1, 4])
        with c1:
            st.page_link(path, label=label)
        c2.markdown(text)


ui.run_page(body)
