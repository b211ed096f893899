"""Model: train or load, check discrimination and calibration, set the alert threshold, read the card."""

import streamlit as st

from risklens import plots, ui
from risklens.families import FAMILIES, FAMILY_LABELS
from risklens.modeling.performance import threshold_text
from risklens.safety import md_escape
from risklens.ui import state
from risklens.ui.checks import checks_warnings, cohort_findings
from risklens.ui.lead_time import lead_time_section
from risklens.ui.models import (
    broken_models, held_out_outcomes, import_upload, saved_models, score_upload, select_model, train_and_save,
)


def train_section(cohort) -> None:
    with st.expander("Train new models", expanded=False):
        checks_warnings(cohort_findings(cohort))
        with st.form("train_form"):
            c = st.columns(3)
            family = c[0].selectbox("Family", FAMILIES, format_func=lambda f: FAMILY_LABELS[f], key="train_family")
            runs = int(c[1].number_input("Runs (seeds)", 1, 10, 1, key="train_runs"))
            seed = int(c[2].number_input("First seed", 0, 10_000, 0, key="train_seed"))
            go = st.form_submit_button("Train", type="primary")
        if go:
            bar = st.progress(0.0, text="starting ...")
            with ui.guarded():
                paths = train_and_save(cohort, family, runs, seed, lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
                ui.audit.record("model trained", data=cohort.hash, family=family, seeds=list(range(seed, seed + runs)), paths=[str(p) for p in paths])
                # redraw the whole page so the new models appear below at once; the message survives the rerun
                st.session_state[state.K_TRAINED] = f"Trained and saved {len(paths)} model(s) in {ui.models_root()}."
                st.rerun()
    done = st.session_state.pop(state.K_TRAINED, None)
    if done:
        st.success(done)


def import_section(cohort) -> None:
    with st.expander("Import a model trained elsewhere", expanded=False):
        st.caption("An XGBoost model (.json/.ubj) or a scikit-learn estimator or pipeline saved with skops "
                   "(.skops; pickle is never read). It is measured on the active cohort, which must hold its "
                   "input columns and the outcome.")
        up = st.file_uploader("Model file", type=["json", "ubj", "skops"], key="import_upload")
        if up is not None and st.button("Import this model", key="import_go"):
            with ui.guarded():
                model = import_upload(cohort, up.getvalue(), up.name)
                select_model(model)
                st.session_state[state.K_TRAINED] = f"Imported a {FAMILY_LABELS[model.family]} (id {model.model_id})."
                st.rerun()


def score_section(cohort, model) -> None:
    with st.expander("Score a file with this model (new worklist)", expanded=False):
        st.caption("Rows go through the model's input contract: extra columns are ignored, a missing column or "
                   "text in a numeric column is refused naming it, an unseen category scores as 'other'.")
        up = st.file_uploader("Table to score (CSV or Parquet)", type=["csv", "parquet", "pq"], key="score_upload")
        if up is None:
            return
        with ui.guarded():
            scored = score_upload(model, up.getvalue(), up.name, cohort.dictionary)
            for line in scored.warnings:
                st.warning(md_escape(line))
            st.caption(f"{len(scored.table):,} rows scored, {int(scored.table['alert'].sum()):,} at or above the "
                       f"the model card's threshold {threshold_text(model.threshold)}, highest risk first.")
            st.dataframe(scored.table, hide_index=True, width="stretch", key="score_table")


def load_section(cohort) -> None:
    with st.expander("Load from the model store", expanded=False):
        for line in broken_models():
            st.text(f"Not loadable: {line}")
        table = saved_models(cohort)
        if table.empty:
            st.info(f"No saved model in {ui.models_root()} matches this cohort's features.")
            return
        st.dataframe(table.drop(columns=["path"]), hide_index=True, width="stretch")
        chosen = st.multiselect("Models to use", list(table["name"]), key="load_names")
        if st.button("Use these models", key="load_go") and chosen:
            paths = list(table.loc[table["name"].isin(chosen), "path"])
            for p in paths:
                state.add_model_path(cohort, p)
                ui.audit.record("model loaded", data=cohort.hash, path=str(p))
            select_model(ui.cache.load_model(paths[0]))  # the picker shows a loaded one
            st.session_state[state.K_TRAINED] = f"Added {len(chosen)} model(s); the first is selected."
            st.rerun()


def quality_section(cohort, model) -> None:
    y, p = held_out_outcomes(model, cohort)
    st.caption(f"Held-out patients: {len(y):,} ({int(y.sum()):,} events). The model never saw them in training.")
    c = st.columns(3)
    with c[0]:
        st.plotly_chart(plots.roc_figure(y, p), key="model_roc")
    with c[1]:
        st.plotly_chart(plots.pr_figure(y, p), key="model_pr")
    with c[2]:
        st.plotly_chart(plots.calibration_figure(y, p), key="model_cal")

    st.subheader("Alert threshold")
    thr = ui.threshold_control(model)
    from risklens.modeling import classification_metrics

    st.markdown(f"**At threshold {threshold_text(thr)}** (held-out patients):")
    m = classification_metrics(y, p, thr)
    k = st.columns(5)
    k[0].metric("Sensitivity", ui.pct(m["sensitivity"]))
    k[1].metric("Specificity", ui.pct(m["specificity"]))
    k[2].metric("PPV", ui.pct(m["ppv"]))
    k[3].metric("NPV", ui.pct(m["npv"]))
    k[4].metric("Alerts per 100 patients", f"{m['alerts_per_100']:.1f}")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(plots.confusion_figure(y, p, thr), key="model_confusion")
    with right:
        st.plotly_chart(plots.threshold_figure(y, p, thr), key="model_threshold")
    st.caption(f"The threshold is kept for this session and used on the Patients page. Default rule: "
               f"{model.card.get('threshold_rule', 'the model card')}.")


def uncertainty_section(cohort, model) -> None:
    st.subheader("How sure is the model? (conformal prediction)")
    st.caption("For each patient the model gives a set of outcomes that contains the true one with probability "
               "1 − error rate: {event}, {no event}, or both (uncertain). Calibrated on half of the held-out "
               "patients and measured on the other half. Per class (Mondrian) keeps the error rate within "
               "patients with the event too; the Patients page uses it.")
    a = st.select_slider("Error rate", options=[0.05, 0.1, 0.15, 0.2, 0.3], value=ui.certainty.alpha(),
                         format_func=lambda v: f"{100 * v:.0f}%", key="model_conformal_alpha")
    st.session_state[state.K_ALPHA] = a  # kept for the session: the Patients page reads it
    table = ui.certainty.coverage_table(model, cohort, a)
    if table.empty:
        st.info("Too few held-out patients to calibrate prediction sets at this error rate; try a larger one.")
        return
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("Coverage (event / no event): among patients with / without the event. Calibrated on / measured on: "
               "held-out patients used to calibrate the sets / to measure them.")


def card_section(model) -> None:
    with st.expander("Model card", expanded=False):
        card = dict(model.card)
        st.markdown(f"**{md_escape(card.get('label', model.family))}**, seed {model.seed}, id `{model.model_id}`, "
                    f"trained on {md_escape(card.get('cohort', '?'))} (data hash `{str(card.get('data_hash', ''))[:12]}`), "
                    f"{card.get('n_train', '?')} training / {card.get('n_test', '?')} held-out rows.")
        notes = model.contract.encoding_notes() if model.contract is not None else []
        if notes:
            st.caption("Input contract: " + md_escape("; ".join(notes)))
        st.json(card, expanded=False)


def body() -> None:
    cohort, _ = ui.page_context("Model", require_models=False)
    if ui.auth.can("train"):  # admins inspect and load stored models; analysts train and import
        train_section(cohort)
        import_section(cohort)
    load_section(cohort)
    models = state.active_models(cohort)
    if not models:
        st.info("No model yet for this cohort: train one above or load one from the store.")
        return
    model = ui.pick_model(models, key="model_pick")
    quality_section(cohort, model)
    lead_time_section(cohort, model)  # first alert to event at the threshold chosen above
    uncertainty_section(cohort, model)
    score_section(cohort, model)
    card_section(model)


ui.run_page(body)
