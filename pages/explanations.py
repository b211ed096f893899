"""Cohort explanations: global importance, beeswarm, dependence with a second feature, PD/ICE, subgroups."""

import streamlit as st

from risklens import plots, ui
from risklens.cohorts.subgroups import subgroup_options, subgroup_split
from risklens.ui import concepts as ui_concepts


VIEWS = ["Global importance", "Beeswarm", "Dependence", "Partial dependence (PD/ICE)", "Subgroups"]


def dependence_tab(expl, model, cohort, method, rows, d, grouped):
    ranked = list(expl.cohort_importance().index)
    cc = st.columns(2)
    feat = cc[0].selectbox("Feature", ranked, format_func=d.label, key="dep_feature")
    others = [f for f in ranked if f != feat]
    colour = cc[1].selectbox("Colour by a second feature", ["(none)"] + others, index=1 if others else 0,
                             format_func=lambda f: "none" if f == "(none)" else d.label(f), key="dep_colour",
                             help="if the colours separate vertically at the same value, the two features interact: "
                                  "the effect of the first depends on the second")
    st.plotly_chart(ui.cache.dependence_fig(model.model_id, cohort.analysis_key, method, rows, feat,
                                            None if colour == "(none)" else colour, expl, d, grouped),
                    key="expl_dep")


def pdp_tab(model, cohort, d):
    feat = st.selectbox("Feature", model.contract.raw_columns, format_func=d.label, key="pdp_feature")
    curves = ui.cache.pdp_curves(model.model_id, cohort.hash, feat, model, cohort)
    st.plotly_chart(plots.pdp_ice_figure(curves, d), key="expl_pdp")
    if "levels" in curves:
        st.caption(f"Each grey point is one of {curves['n_rows']:,} sampled held-out patients scored with this column "
                   "set to each level in turn, everything else unchanged (ICE); the bar is their average (partial "
                   "dependence). A category has no values between its levels, so no line joins them.")
    else:
        st.caption(f"Each thin line is one of {curves['n_rows']:,} sampled held-out patients with only this feature "
                   "changed (ICE); the bold line is their average (partial dependence). Lines that cross or fan out "
                   "show that the feature's effect depends on the patient's other values.")


def subgroup_tab(expl, model, cohort, method, rows, top, d, grouped, players=None):
    """Importance per subgroup; ``players``: the concepts' dictionary when the bars are concepts."""
    names = {"age band": "age band", "recorded trigger": "recorded trigger", "outcome": "outcome"}
    column = st.selectbox("Split patients by", subgroup_options(cohort, model.contract), key="sub_column",
                          format_func=lambda c: names.get(c) or d.label(c))
    pos = cohort.X.index.get_indexer(list(expl.ids))
    labels, order = subgroup_split(cohort, pos, column, model.contract, d)
    frame = ui.cache.importance_by_group(model.model_id, cohort.hash, method, column, rows, grouped, expl.values,
                                         labels, tuple(expl.feature_names))
    frame = frame[[g for g in order if g in frame.columns]]
    bars = "One bar per clinical concept." if players is not None else (
        "One bar per original column." if grouped else "One bar per model column.")
    st.caption("Patients per subgroup are in the legend (n). " + bars)
    st.plotly_chart(plots.subgroup_importance_figure(frame, players if players is not None else d, expl.output,
                                                     top=min(top, 12),
                                                     title=f"Importance by {names.get(column) or d.label(column)}"),
                    key="expl_sub")


def body() -> None:
    ctx = ui.page_context("Cohort explanations")
    if ctx is None:
        return
    cohort, models = ctx
    from risklens.explain import methods_for

    c = st.columns([2, 2, 1, 1])
    with c[0]:
        model = ui.pick_model(models, key="expl_model")
    with c[1]:
        method = ui.pick_method(methods_for(model.family), key="expl_method")
    with c[2]:
        top = int(st.number_input("Features shown", 5, 40, 15, key="expl_top"))
    rows = ui.cache.default_rows(model.family, method)
    with c[3]:
        if rows is None:
            st.caption("Every held-out patient is explained (exact, fast method).")
        else:
            rows = int(st.number_input("Patients explained", 10, 2000, rows, step=10, key=f"expl_rows_{model.family}_{method}",
                                       help="a seeded sample of held-out patients: this method samples the model "
                                            "for each patient and takes a moment per patient"))
    expl = ui.cache.explain_rows(model, cohort, method, max_rows=rows)
    d = ui.cache.words_for(model, cohort)
    st.caption(f"{ui.method_name(method)} on {ui.model_label(model, models)}: {len(expl):,} held-out patients explained; "
               f"values in {plots.space_label(expl.output)}.")
    grouped = model.contract.has_encoded_columns and st.toggle(
        "One bar per original column (a category's columns summed)", value=True, key="expl_grouped",
        help="Text columns enter the model as one 0/1 column per category; their attributions add up, so the "
             "sum is the original column's contribution.")
    shown = ui.cache.shown_explanation(model.model_id, cohort.hash, method, rows, grouped, expl, model.contract)
    by_concept = ui_concepts.toggle(key="expl_concepts")
    players = None
    if by_concept:  # one player per clinical concept: bar, beeswarm and subgroups by concept
        concept_expl, players, figs = ui_concepts.cohort_figures(model, cohort, method, rows, top, expl)
    else:
        figs = ui.cache.global_figures(model.model_id, cohort.analysis_key, method, rows, top, shown, d, grouped)
    view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="expl_view") or VIEWS[0]
    if by_concept and view in (VIEWS[2], VIEWS[3]):
        st.caption("Dependence and partial dependence are drawn per feature (a concept has no one value).")
    if view == VIEWS[0]:  # only the chosen view is built and drawn: a visit costs one figure
        st.plotly_chart(figs["bar"], key="expl_bar")
    elif view == VIEWS[1]:
        st.plotly_chart(figs["bee"], key="expl_bee")
    elif view == VIEWS[2]:
        dependence_tab(shown, model, cohort, method, rows, d, grouped)
    elif view == VIEWS[3]:
        pdp_tab(model, cohort, d)
    else:
        if by_concept:
            subgroup_tab(concept_expl, model, cohort, f"{method}@concepts", rows, top, d, False, players)
        else:
            subgroup_tab(shown, model, cohort, method, rows, top, d, grouped)


ui.run_page(body)
