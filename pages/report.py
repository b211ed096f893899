"""Report: the evaluation report (HTML, JSON), a patient card (HTML) and attributions (CSV) to download."""

import streamlit as st

from risklens import ui
from risklens.patients import exports
from risklens.ui import state
from risklens.ui.patient_page import index_for, primary_row, secondary_method, view_for


def evaluation_section(cohort) -> None:
    st.subheader("Evaluation report")
    st.caption("Runs the study's protocol end to end (trains its own runs of each family with seeds 0..runs-1) "
               "and writes every table with its provenance.")
    from risklens.modeling.model import FAMILIES, FAMILY_LABELS

    c = st.columns(3)
    fams = c[0].multiselect("Families", FAMILIES, default=list(FAMILIES), format_func=lambda f: FAMILY_LABELS[f],
                            key="rep_fams")
    runs = int(c[1].number_input("Runs per family", 1, 10, 2, key="rep_runs"))
    pats = int(c[2].number_input("Patients for sampled methods", 10, 500, 30, step=10, key="rep_pats"))
    key = ("report", cohort.analysis_key, tuple(fams), runs, pats)
    results = st.session_state.setdefault(state.K_EVAL, {})
    if st.button("Build the evaluation report", type="primary", key="rep_run") and fams:
        from risklens.study.protocol import run_evaluation

        bar = st.progress(0.0, text="starting ...")
        results[key] = run_evaluation(cohort, families=fams, runs=runs, max_patients=pats, max_cohort=1000,
                                      stability_patients=min(pats, 10), stability_repeats=3,
                                      faithfulness_patients=min(pats, 20),
                                      progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        bar.empty()
        ui.audit.record("evaluation run", data=cohort.hash, families=list(fams), runs=runs, patients=pats)
    rep = results.get(key)
    if rep is None:
        st.info("Press **Build the evaluation report** (a minute or two on the demo).")
        return
    html = ui.cache.report_html(rep)
    c = st.columns(2)
    c[0].download_button("Download the report (HTML)", html, file_name=f"risklens-{cohort.name}-report.html",
                         mime="text/html", key="rep_dl_html",
                         on_click=ui.audit.download_callback(data=cohort.hash, file="evaluation report (HTML)"))
    c[1].download_button("Download the report data (JSON)", rep.to_json(), file_name=f"risklens-{cohort.name}-report.json",
                         mime="application/json", key="rep_dl_json",
                         on_click=ui.audit.download_callback(data=cohort.hash, file="evaluation report (JSON)"))
    with st.expander("Preview"):
        st.html(html)


def patient_section(cohort, models) -> None:
    st.subheader("Patient card and attributions")
    model = ui.pick_model(models, key="rep_model")
    from risklens.explain import methods_for

    index = index_for(model, cohort)
    ids = [str(i) for i in index.ids[index.order[:500]]]
    current = st.session_state.get("pt_select")
    if current in index.pos and current not in ids:
        ids.insert(0, current)
    pid = st.selectbox("Patient (held out, highest risk first)", ids,
                       index=ids.index(current) if current in ids else 0, key="rep_patient")
    threshold = state.threshold(model)
    other = secondary_method(methods_for(model.family), index.explanation.method if index.explanation else "shap")
    view = view_for(model, cohort, index, pid, threshold, other, stability=False)
    expl = index.explanation if index.explanation is not None else primary_row(model, cohort, pid)
    card = ui.cache.patient_card_html(view, model, cohort, threshold, expl)
    c = st.columns(2)
    c[0].download_button("Download the patient card (HTML)", card, file_name=f"risklens-patient-{pid}.html",
                         mime="text/html", key="rep_dl_card",
                         on_click=ui.audit.download_callback(patient=pid, model=model.model_id, data=cohort.hash, file="patient card"))
    method = ui.pick_method(methods_for(model.family), key="rep_method")
    expl = ui.cache.explain_rows(model, cohort, method)
    c[1].download_button(f"Download {ui.method_name(method)} attributions (CSV, {len(expl):,} patients)",
                         exports.attributions_csv(expl, model, cohort), file_name=f"risklens-{cohort.name}-{method}-{model.model_id}.csv",
                         mime="text/csv", key="rep_dl_csv",
                         on_click=ui.audit.download_callback(model=model.model_id, data=cohort.hash, file=f"{method} attributions CSV"))
    st.caption(f"Provenance in every file: model {model.model_id} (SHA-256 {str(model.card.get('sha256', ''))[:16]}...), "
               f"data hash {cohort.hash[:16]}..., method, seed and output space.")
    with st.expander("Preview the patient card"):
        st.html(card)


def body() -> None:
    ctx = ui.page_context("Report")
    if ctx is None:
        return
    cohort, models = ctx
    patient_section(cohort, models)
    if ui.auth.can("evaluation"):  # clinicians get the patient card; the evaluation is for analysts
        evaluation_section(cohort)


ui.run_page(body)
