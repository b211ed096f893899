"""Cohort explanations: global importance, beeswarm, dependence with a second feature, PD/ICE, subgroups."""

import numpy as np
import streamlit as st

from risklens import plots, ui
from risklens.cohorts.upload import order_subgroups, subgroup_labels, subgroup_options
from risklens.ui import concepts as ui_concepts


VIEWS = ["Global importance", "Beeswarm", "Dependence", "Partial dependence (PD/ICE)", "Subgroups"]


def dependence_tab(expl, model, cohort, method, rows):
    d = cohort.dictionary
    ranked = list(expl.cohort_importance().index)
    cc = st.columns(2)
    feat = cc[0].selectbox("Feature", ranked, format_func=d.label, key="dep_feature")
    others = [f for f in ranked if f != feat]
    colour = cc[1].selectbox("Colour by a second feature", ["(none)"] + others, index=1 if others else 0,
                             format_func=lambda f: "none" if f == "(none)" else d.label(f), key="dep_colour",
                             help="if the colours separate vertically at the same value, the two features interact: "
                                  "the effect of the first depends on the second")
    st.plotly_chart(ui.cache.dependence_fig(model.model_id, cohort.hash, method, rows, feat,
                                            None if colour == "(none)" else colour, expl, d), key="expl_dep")


def pdp_tab(model, cohort):
    d = cohort.dictionary
    feat = st.selectbox("Feature", list(model.feature_names), format_func=d.label, key="pdp_feature")
    curves = ui.cache.pdp_curves(model.model_id, cohort.hash, feat, model, cohort)
    st.plotly_chart(plots.pdp_ice_figure(curves, d), key="expl_pdp")
    st.caption(f"Each thin line is one of {curves['n_rows']:,} sampled held-out patients with only this feature "
               "changed (ICE); the bold line is their average (partial dependence). Lines that cross or fan out "
               "show that the feature's effect depends on the patient's other values.")


def subgroup_tab(expl, model, cohort, method, top, players=None):
    d = cohort.dictionary
    column = st.selectbox("Split patients by", subgroup_options(cohort), key="sub_column",
                          format_func=lambda c: c if c in ("age band", "recorded trigger", "outcome") else d.label(c))
    d = players if players is not None else d  # the labels of the bars: features, or concepts
    pos = cohort.X.index.get_indexer(list(expl.ids))
    labels = subgroup_labels(cohort, pos, column)
    frame = ui.cache.importance_by_group(model.model_id, cohort.hash, method, column, expl.values, labels,
                                         tuple(expl.feature_names))
    frame = frame[order_subgroups(list(frame.columns))]
    counts = dict(zip(*np.unique(labels, return_counts=True)))
    st.caption("Patients per subgroup: " + ", ".join(f"{k} {counts[k]:,}" for k in frame.columns))
    st.plotly_chart(plots.subgroup_importance_figure(frame, d, expl.output, top=min(top, 12),
                                                     title=f"Importance by {column}"), key="expl_sub")


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
    d = cohort.dictionary
    st.caption(f"{ui.method_name(method)} on {ui.model_label(model, models)}: {len(expl):,} held-out patients explained; "
               f"values in {plots.space_label(expl.output)}.")
    grouped = model.contract.has_encoded_columns and st.toggle(
        "One bar per original column (a category's columns summed)", value=True, key="expl_grouped",
        help="Text columns enter the model as one 0/1 column per category; their attributions add up, so the "
             "sum is the original column's contribution.")
    feature_expl = expl
    by_concept = ui_concepts.toggle(key="expl_concepts")
    if by_concept:  # one player per clinical concept: bar, beeswarm and subgroups by concept
        expl, d, figs = ui_concepts.cohort_figures(model, cohort, method, rows, top, feature_expl)
    else:
        figs = ui.cache.global_figures(model.model_id, cohort.hash, method, rows, top, expl, d, grouped, model.contract)
    view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="expl_view") or VIEWS[0]
    if by_concept and view in (VIEWS[2], VIEWS[3]):
        st.caption("Dependence and partial dependence are drawn per feature (a concept has no one value).")
    if view == VIEWS[0]:  # only the chosen view is built and drawn: a visit costs one figure
        st.plotly_chart(figs["bar"], key="expl_bar")
    elif view == VIEWS[1]:
        st.plotly_chart(figs["bee"], key="expl_bee")
    elif view == VIEWS[2]:
        dependence_tab(feature_expl, model, cohort, method, rows)
    elif view == VIEWS[3]:
        pdp_tab(model, cohort)
    else:
        subgroup_tab(expl, model, cohort, f"{method}@concepts" if by_concept else method, top, d if by_concept else None)


ui.run_page(body)
