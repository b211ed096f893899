"""Cohort explanations: global importance, beeswarm, dependence, importance by subgroup."""

import numpy as np
import streamlit as st

from risklens import plots, ui
from risklens.cohorts.upload import order_subgroups, subgroup_labels, subgroup_options


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
    st.caption(f"{ui.method_name(method)} on {ui.model_name(model)}: {len(expl):,} held-out patients explained; "
               f"values in **{expl.output}** space ({plots.space_label(expl.output)}).")

    tabs = st.tabs(["Global importance", "Beeswarm", "Dependence", "Subgroups"])
    with tabs[0]:
        st.plotly_chart(plots.importance_bar(expl.cohort_importance(), d, expl.output, top=top,
                                             title=f"Global importance: {ui.method_name(method)}"), key="expl_bar")
    with tabs[1]:
        st.plotly_chart(plots.beeswarm_figure(expl.values, expl.data, expl.feature_names, d, expl.output, top=top),
                        key="expl_bee")
    with tabs[2]:
        ranked = list(expl.cohort_importance().index)
        cc = st.columns(2)
        feat = cc[0].selectbox("Feature", ranked, format_func=d.label, key="dep_feature")
        others = [f for f in ranked if f != feat]
        colour = cc[1].selectbox("Colour by", ["(none)"] + others, index=1 if others else 0,
                                 format_func=lambda f: f if f == "(none)" else d.label(f), key="dep_colour")
        st.plotly_chart(plots.dependence_figure(expl.values, expl.data, expl.feature_names, feat,
                                                None if colour == "(none)" else colour, d, expl.output),
                        key="expl_dep")
    with tabs[3]:
        column = st.selectbox("Split patients by", subgroup_options(cohort), key="sub_column",
                              format_func=lambda c: c if c in ("age band", "recorded trigger", "outcome") else d.label(c))
        pos = cohort.X.index.get_indexer(list(expl.ids))
        labels = subgroup_labels(cohort, pos, column)
        frame = ui.cache.importance_by_group(model.model_id, cohort.hash, method, column, expl.values, labels,
                                             tuple(expl.feature_names))
        frame = frame[order_subgroups(list(frame.columns))]
        counts = dict(zip(*np.unique(labels, return_counts=True)))
        counts = {g: counts[g] for g in frame.columns}
        st.caption("Patients per subgroup: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        st.plotly_chart(plots.subgroup_importance_figure(frame, d, expl.output, top=min(top, 12),
                                                         title=f"Importance by {column}"), key="expl_sub")


ui.run_page(body)
