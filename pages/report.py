"""Report: the evaluation report (HTML, JSON), a patient card (HTML) and attributions (CSV) to download."""

import streamlit as st

from risklens import ui
from risklens.safety import safe_slug
from risklens.patients import exports
from risklens.ui import state, study
from risklens.ui.patient_page import (certainty_for, index_for, primary_row, secondary_method, trust_panel_lines,
                                       view_for)


def evaluation_section(cohort) -> None:
    st.subheader("Evaluation report")
    st.caption("Runs the study's protocol end to end (the same function and settings as the Consistency page and "
               "`risklens evaluate`; it trains its own runs of each family from the seed) and writes every table with "
               "its provenance.")
    rep = study.protocol_panel(cohort, "rep", "Build the evaluation report",
                               "Press **Build the evaluation report** (a minute or two on the demo).")
    if rep is None:
        return
    html = ui.cache.report_html(rep)
    slug = safe_slug(cohort.name, "cohort")
    c = st.columns(2)
    c[0].download_button("Download the report (HTML)", html, file_name=f"risklens-{slug}-report.html",
                         mime="text/html", key="rep_dl_html",
                         on_click=ui.audit.download_callback(data=cohort.hash, file="evaluation report (HTML)"))
    c[1].download_button("Download the report data (JSON)", rep.to_json(), file_name=f"risklens-{slug}-report.json",
                         mime="application/json", key="rep_dl_json",
                         on_click=ui.audit.download_callback(data=cohort.hash, file="evaluation report (JSON)"))
    with st.expander("Preview (the downloaded page, charts included)", expanded=True):
        st.iframe(html, height=900)  # our own rendered report (every user string escaped), scrollable


def patient_section(cohort, models) -> None:
    st.subheader("Patient card and attributions")
    model = ui.pick_model(models, key="rep_model")
    from risklens.explain import methods_for

    index = index_for(model, cohort)
    ids = [str(i) for i in index.ids[index.order[:500]]]
    current = state.selected_patient()
    if current in index.pos and current not in ids:
        ids.insert(0, current)
    pid = st.selectbox("Patient (held out, highest risk first)", ids,
                       index=ids.index(current) if current in ids else 0, key="rep_patient")
    threshold = state.threshold(model)
    other = secondary_method(model)
    view = view_for(model, cohort, index, pid, threshold, other, stability=False)
    expl = index.explanation if index.explanation is not None else primary_row(model, cohort, pid)
    certainty = certainty_for(model, cohort, index)
    trust = None
    if st.checkbox("Add \"Can I trust this explanation?\" to the card (runs the sanity check on this model)",
                   key="rep_card_trust"):
        trust = trust_panel_lines(model, cohort, view)
    card = ui.cache.patient_card_html(view, model, cohort, threshold, expl,
                                      certainty=None if certainty is None else certainty[index.position(pid)],
                                      alpha=ui.certainty.alpha(), trust=trust)
    c = st.columns(2)
    c[0].download_button("Download the patient card (HTML)", card, file_name=f"risklens-patient-{safe_slug(pid)}.html",
                         mime="text/html", key="rep_dl_card",
                         on_click=ui.audit.download_callback(patient=pid, model=model.model_id, data=cohort.hash,
                                                             file="patient card"))
    method = ui.pick_method(methods_for(model.family), key="rep_method")
    expl = ui.cache.explain_rows(model, cohort, method)
    c[1].download_button(f"Download {ui.method_name(method)} attributions (CSV, {len(expl):,} patients)",
                         exports.attributions_csv(expl, model, cohort), file_name=f"risklens-{safe_slug(cohort.name)}-{method}-{model.model_id}.csv",
                         mime="text/csv", key="rep_dl_csv",
                         on_click=ui.audit.download_callback(model=model.model_id, data=cohort.hash,
                                                             file=f"{method} attributions CSV"))
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
