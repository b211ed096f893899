"""Patients: worklist by risk, one patient's risk in context, SHAP vs LIME, summary, what-if."""

import numpy as np
import streamlit as st

from risklens import plots, ui
from risklens.ui import state
from risklens.ui.patient_page import index_for, primary_method, secondary_method, view_for, what_if_row

BADGE = {"green": ":green-badge[methods agree]", "orange": ":orange-badge[partial agreement]",
         "red": ":red-badge[methods disagree]"}


def worklist(index, threshold):
    st.subheader("Worklist (held-out patients, highest risk first)")
    c = st.columns([1, 1, 1, 2])
    above = c[0].checkbox("Only alerts (risk >= threshold)", key="wl_above")
    outcome = c[1].selectbox("Outcome", ["any", "event", "no event"], key="wl_outcome")
    trig_opts = ["any"]
    if index.trigger is not None:
        trig_opts += sorted(t for t in set(index.trigger) if t)
    trigger = c[2].selectbox("Recorded trigger", trig_opts, key="wl_trigger")
    search = c[3].text_input("Search by id", key="wl_search")
    wl = index.worklist(threshold, above_only=above, outcome=outcome, trigger=trigger, search=search, limit=500)
    counts = index.count(threshold)
    st.caption(f"{counts['patients']:,} held-out patients, {counts['alerts']:,} alerts at threshold "
               f"{100 * threshold:.1f}%, {counts['events']:,} events. Showing {len(wl):,} (at most 500).")
    st.dataframe(wl, hide_index=True, width="stretch", height=240,
                 column_config={"risk %": st.column_config.ProgressColumn("risk %", min_value=0, max_value=100, format="%.1f")})
    return list(wl["id"])


def choose_patient(ids, index) -> str | None:
    linked = st.query_params.get("patient")
    if linked and st.session_state.get("pt_linked") != linked:
        st.session_state["pt_linked"] = linked
        if str(linked) in index.pos:
            st.session_state["pt_select"] = str(linked)
        else:
            st.error(f"The link names patient {linked!r}, who is not among this model's held-out patients; "
                     "showing the worklist instead.", icon=":material/error:")
    current = st.session_state.get("pt_select")
    options = list(ids)
    if current and current not in options and str(current) in index.pos:
        options.insert(0, current)
    if not options:
        st.info("No patient matches these filters.")
        return None
    pid = st.selectbox("Patient", options, key="pt_select")
    if st.query_params.get("patient") != pid:
        st.query_params["patient"] = pid
    return pid


def show_patient(model, cohort, index, pid, threshold, other_method):
    d = cohort.dictionary
    stab = st.toggle("Check LIME stability over 3 seeds", value=True, key="pt_stab")
    v = view_for(model, cohort, index, pid, threshold, other_method, stability=stab)
    ui.audit.record("patient opened", patient=v.id, model=model.model_id, data=cohort.hash)
    st.subheader(f"Patient {v.id}")
    c = st.columns(5)
    c[0].metric("Predicted risk", ui.pct(v.risk), f"{100 * (v.risk - threshold):+.1f} pts vs threshold",
                delta_color="inverse")
    c[1].metric("Risk level", v.level)
    c[2].metric("Cohort percentile", f"{v.percentile:.0f}th")
    c[3].metric("Outcome", "event" if v.outcome else "no event")
    c[4].metric("Recorded trigger", v.trigger_label or "none")
    st.info(v.summary, icon=":material/description:")
    if v.badge:
        colour, text = v.badge
        st.markdown(f"{BADGE[colour]} {ui.method_name(v.method)} vs {ui.method_name(v.other_method)}: {text}.")

    left, right = st.columns(2)
    with left:
        st.plotly_chart(plots.risk_histogram(index.risk, threshold, marker=v.risk,
                                             title="Risk against held-out patients"), key="pt_hist")
    with right:
        order = np.argsort(-np.abs(v.attributions), kind="stable")[:15]
        names = [index.feature_names[j] for j in order]
        st.plotly_chart(plots.vitals_figure(names, v.values[order], d,
                                            title="Top features against normal ranges"), key="pt_vitals")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(plots.patient_bar(index.feature_names, v.attributions, v.values, d, v.output,
                                          title=f"{ui.method_name(v.method)} ({v.output})"), key="pt_bar_a")
    if v.other is not None:
        with right:
            st.plotly_chart(plots.patient_bar(index.feature_names, v.other, v.values, d, v.other_output,
                                              title=f"{ui.method_name(v.other_method)} ({v.other_output})"), key="pt_bar_b")
        if v.output != v.other_output:
            st.caption(f"The two methods explain different output spaces ({v.output} vs {v.other_output}); "
                       "compare them by rank, below, not by size.")
        st.plotly_chart(plots.rank_comparison_figure(index.feature_names, v.attributions, v.other,
                                                     ui.method_name(v.method), ui.method_name(v.other_method), d),
                        key="pt_ranks")
    what_if(model, cohort, index, v)


def what_if(model, cohort, index, v):
    st.subheader("What if?")
    d = cohort.dictionary
    top = [index.feature_names[j] for j in np.argsort(-np.abs(v.attributions), kind="stable")[:5]]
    with st.form(f"whatif_{v.id}"):
        cols = st.columns(len(top))
        edits = {}
        for c, f in zip(cols, top):
            cur = float(v.values[index.feature_names.index(f)])
            unit = d.get_info(f).unit
            edits[f] = c.number_input(f"{d.label(f)}" + (f" ({unit})" if unit else ""),
                                      value=None if np.isnan(cur) else cur, key=f"wi_{v.id}_{f}", format="%.2f")
        go = st.form_submit_button("Recompute risk and explanation")
    if go:
        row = what_if_row(cohort, v.id, edits)
        risk, expl = ui.cache.what_if(model, cohort, row, v.method)
        st.metric("Risk with these values", ui.pct(risk), f"{100 * (risk - v.risk):+.1f} pts vs actual",
                  delta_color="inverse")
        st.plotly_chart(plots.patient_bar(expl.feature_names, expl.values[0], expl.data[0], d, expl.output,
                                          title=f"{ui.method_name(v.method)} after the edits ({expl.output})"),
                        key="pt_whatif_bar")


def body() -> None:
    ctx = ui.page_context("Patients")
    if ctx is None:
        return
    cohort, models = ctx
    from risklens.explain import methods_for

    model = ui.pick_model(models, key="pt_model")
    methods = methods_for(model.family)
    primary = primary_method(methods)
    other = secondary_method(methods, primary)
    threshold = state.threshold(model)
    index = index_for(model, cohort, primary)
    ids = worklist(index, threshold)
    pid = choose_patient(ids, index)
    if pid is not None:
        show_patient(model, cohort, index, pid, threshold, other)


ui.run_page(body)
