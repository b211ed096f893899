"""Patients: a worklist by risk, one patient's risk from the base risk, SHAP beside LIME, what-if."""

import streamlit as st

from risklens import plots, ui
from risklens.modeling.performance import threshold_text
from risklens.patients.lime_bins import METHODS_HELP
from risklens.patients.waterfall import MAPPING_NOTE
from risklens.safety import md_escape
from risklens.ui import state
from risklens.ui import patient_page as pp
from risklens.ui import concepts as ui_concepts
from risklens.ui import stay_view

BADGE = {"green": ":green-badge[methods agree]", "orange": ":orange-badge[methods partly agree]",
         "red": ":red-badge[methods disagree]"}
OUTCOMES = {"any": "any", "event": "yes", "no event": "no"}
SURE = {"event": "sure: event", "no event": "sure: no event", "uncertain": "uncertain"}


def worklist_table(frame, page: int, n_matching: int) -> list:
    """Draw one worklist page (a click on a row selects that patient); returns the page's ids in order."""
    ids = list(frame["id"])
    key = f"wl_table_{page}_{n_matching}_{abs(hash(tuple(ids))) % 10**8}"  # a new table content resets the click

    def clicked():
        rows = st.session_state[key]["selection"]["rows"]
        if rows:
            state.select_patient(ids[rows[0]])

    st.dataframe(frame, hide_index=True, width="stretch", height=260, key=key, on_select=clicked,
                 selection_mode="single-row",
                 column_config={"risk %": st.column_config.ProgressColumn("risk %", min_value=0, max_value=100,
                                                                          format="%.1f")})
    return ids


def worklist(index, threshold, cohort, certainty):
    """Filters, counts and one page of the worklist; every matching patient's position, highest risk first."""
    st.subheader("Worklist (held-out patients, highest risk first)")
    triggers = pp.trigger_options(index)  # a recorded-trigger filter only where the cohort records triggers
    c = st.columns([2, 1, 1, 1] if len(triggers) > 1 else [2, 1, 1])
    checks = {key: c[0].checkbox(label, key=key) for label, key, _ in pp.available_filters(certainty)}
    outcome = c[1].selectbox(cohort.outcome_name.capitalize(), list(OUTCOMES), format_func=OUTCOMES.get, key="wl_outcome")
    trigger = "any"
    if len(triggers) > 1:
        trigger = c[2].selectbox("Recorded trigger", triggers, key="wl_trigger",
                                 format_func=lambda t: "any" if t == "any" else cohort.dictionary.group_label(t))
    search = c[-1].text_input("Search by id", key="wl_search")
    positions = pp.matching_positions(index, threshold, checks, outcome, trigger, search, certainty)
    pages = max(1, -(-len(positions) // pp.PAGE_SIZE))
    counts = index.count(threshold)
    cc = st.columns([3, 1])
    cc[0].caption(f"{len(positions):,} of {counts['patients']:,} held-out patients match ({counts['alerts']:,} alerts at "
                  f"threshold {threshold_text(threshold)}). Click a row to open that patient.")
    if st.session_state.get("wl_page", 1) > pages:  # fewer matches than before: stay on a page that exists
        st.session_state["wl_page"] = pages
    page = int(cc[1].number_input(f"Page (of {pages})", 1, pages, 1, key="wl_page")) if pages > 1 else 1
    shown = index.page(positions, page, pp.PAGE_SIZE)
    frame = index.frame(shown, threshold, cohort.dictionary, cohort.outcome_name)
    if certainty is not None:
        frame.insert(3, "model sure?", [SURE[c] for c in certainty[shown]])
    return positions, worklist_table(frame, page, len(positions))


def choose_patient(shown_ids, n_matching, pid):
    """The dropdown offers the worklist page on screen (every page is reachable, and search narrows it)."""
    options = list(shown_ids)
    if pid not in options:
        options.insert(0, pid)  # a filter or another page never drops the patient on screen
    st.session_state["pt_select"] = pid
    st.selectbox(f"Patient (the {len(shown_ids):,} on this worklist page of {n_matching:,} matching)", options,
                 key="pt_select", on_change=lambda: state.select_patient(st.session_state["pt_select"]))


def header(v, threshold, cohort, model, models, sure=None):
    st.subheader(f"Patient {v.id}")
    c = st.columns(4)
    c[0].metric("Predicted risk", ui.pct(v.risk), f"{100 * (v.risk - threshold):+.1f} pts vs threshold",
                delta_color="inverse")
    c[1].metric("Risk level", v.level)
    c[2].metric("Cohort percentile", f"{v.percentile:.0f}th")
    c[3].metric(cohort.outcome_name.capitalize(), "yes" if v.outcome else "no")
    trigger = f" · recorded trigger: {md_escape(v.trigger_label or 'none')}" if cohort.has_trigger else ""
    st.caption(f"Model: {ui.model_label(model, models)}{trigger}")  # a caption wraps where a metric would cut
    if sure is not None:
        a = ui.certainty.alpha()
        text = (f"How sure (conformal prediction, error rate {100 * a:.0f}%): {ui.certainty.PLAIN[sure]}.")
        (st.warning if sure == "uncertain" else st.caption)(text)
    st.info(md_escape(v.summary), icon=":material/description:")


def explanation(first, cohort, model):
    """The primary method's parts (waterfall, normal ranges), drawn before the second method runs (the browser
    draws them while the server computes LIME); returns the places of the parts that need the second method (the
    top-feature table ranks features by it too), which :func:`second_opinion` fills."""
    d = ui.cache.words_for(model, cohort)
    left, right = st.columns([3, 2])
    with left:
        if not ui_concepts.patient_waterfall(model, cohort, first.row):  # by concept when its toggle is on
            st.plotly_chart(plots.waterfall_figure(first.shown, d), key="pt_waterfall")
        if first.output == "log-odds":
            st.caption(MAPPING_NOTE)
    with right:
        st.markdown("**Top features: value, normal range, effect on risk**", help=METHODS_HELP)
        agreement = st.container()
    left, right = st.columns(2)
    with left:
        fig = plots.vitals_figure(first.shown, d)
        if fig is not None:
            st.plotly_chart(fig, key="pt_vitals")
        note = plots.vitals_note(first.shown, d)
        if note:
            st.caption(md_escape(note))
    return agreement, right


def second_opinion(places, v, cohort, model):
    """The second method's parts in the places :func:`explanation` left: the top-feature table (with the second
    method's ranks), agreement badge, LIME note, rankings side by side."""
    agreement, ranks = places
    d = ui.cache.words_for(model, cohort)
    name, other = ui.method_name(v.method), ui.method_name(v.other_method)
    with agreement:
        st.dataframe(pp.top_feature_table(v, d), hide_index=True, width="stretch")
        if v.badge:
            colour, text = v.badge
            st.markdown(f"{BADGE[colour]} {name} vs {other}: {text}.", help=METHODS_HELP)
        note = pp.lime_note(v, model, cohort)
        if note:
            st.caption(md_escape(note))
    if v.other_row is not None:
        with ranks:
            if st.toggle(f"Show the {name} and {other} rankings side by side", key="pt_ranks_on"):
                st.plotly_chart(plots.rank_comparison_figure(v.row, v.other_row, name, other, d,
                                                             title=f"{name} and {other}: rank of each feature"),
                                key="pt_ranks")


TRUST_ICON = {"ok": ":material/check_circle:", "caution": ":material/warning:", "info": ":material/info:"}


def trust_panel(model, cohort, v):
    """Can I trust this explanation? Measured lines for this patient and this model, each saying what it measured."""
    with st.container(border=True):
        st.markdown("**Can I trust this explanation?** Each line is a measurement on this patient and this model.")
        for line in pp.trust_panel_lines(model, cohort, v):
            st.markdown(f"{TRUST_ICON[line.status]} **{md_escape(line.topic)}**: {md_escape(line.text)}")


def what_if(model, cohort, index, v, row=None):
    """``row``: the patient's feature row when it is not in the cohort (a scored worklist's patient)."""
    st.subheader("What if?")
    d = ui.cache.words_for(model, cohort)
    fields = pp.what_if_fields(v, model.contract)
    with st.form(f"whatif_{v.id}"):
        cols = st.columns(len(fields))
        edits = {}
        for c, (f, levels, cur) in zip(cols, fields):
            if levels is not None:  # a text column: its levels only
                edits[f] = c.selectbox(d.label(f), levels, index=levels.index(cur), key=f"wi_{v.id}_{f}")
                continue
            unit = d.get_info(f).unit
            edits[f] = c.number_input(f"{d.label(f)}" + (f" ({unit})" if unit else ""), value=cur,
                                      key=f"wi_{v.id}_{f}", format="%.2f")
        go = st.form_submit_button("Recompute risk and explanation")
    if go:
        row = pp.what_if_row(cohort, v.id, edits, model.contract, row)
        risk, expl = ui.cache.what_if(model, cohort, row, v.method)
        st.metric("Risk with these values", ui.pct(risk), f"{100 * (risk - v.risk):+.1f} points vs actual",
                  delta_color="inverse")
        st.plotly_chart(plots.waterfall_figure(pp.shown_row(expl, model), d, title="After the edits"),
                        key="pt_whatif_bar")


def linked_elsewhere(pid, model, models, cohort) -> None:
    """A linked patient this model did not hold out: say which model would show them (and offer it)."""
    if pid not in cohort.X.index:
        st.error("The link names a patient who is not in the active cohort; showing the worklist instead. The "
                 "link's patient value, as given:", icon=":material/error:")
        st.text(pid)  # plain text: a link value is never markdown
        return
    holders = pp.models_holding_out(models, cohort, pid)
    st.warning(f"This patient was in the training rows of {ui.model_label(model, models)}, so that model cannot "
               "show them as a held-out patient. " + (
                   f"Held out by: {', '.join(ui.model_label(m, models) for m in holders)}." if holders else
                   "No model in use holds them out."), icon=":material/swap_horiz:")
    st.text(f"Patient: {pid}")
    for m in holders[:3]:
        if st.button(f"Show this patient with {ui.model_label(m, models)}", key=f"pt_holder_{m.model_id}"):
            state.choose_model(m.model_id)
            state.select_patient(pid)
            st.rerun(scope="app")


@st.fragment
def patient_section(model, models, cohort, index, threshold, other):
    """The worklist and the patient: filters, pages and row clicks rerun this part of the page only."""
    with ui.guarded():
        stay_view.apply_stay_link(cohort, index)  # ?patient=STAY&t=H names a window of a stay
        bad = state.read_deep_link(lambda pid: pid in index.pos)
        if bad is not None:
            linked_elsewhere(bad, model, models, cohort)
        certainty = pp.certainty_for(model, cohort, index)
        positions, shown = worklist(index, threshold, cohort, certainty)
        patient_detail(model, models, cohort, index, threshold, other, shown, len(positions), certainty)


@st.fragment
def patient_detail(model, models, cohort, index, threshold, other, shown, n_matching, certainty=None):
    """One patient: a dropdown switch reruns only this part (the worklist above stays as it is)."""
    with ui.guarded():
        wanted = state.selected_patient()
        pid = wanted if wanted is not None and wanted in index.pos else (
            shown[0] if shown else pp.resolve_patient(index, index.order[:0], None))
        if pid is None:
            st.info("This cohort has no held-out patients.")
            return
        state.select_patient(pid)
        state.write_deep_link(pid)
        pick = st.container()  # the dropdown sits above the name but is drawn after it: the name shows first
        first = pp.view_for(model, cohort, index, pid, threshold, None)  # the primary method only: no LIME yet
        header(first, threshold, cohort, model, models,
               None if certainty is None else certainty[index.position(first.id)])
        with pick:
            choose_patient(shown, n_matching, pid)
        ui.audit.record("patient opened", patient=first.id, model=model.model_id, data=cohort.hash)
        st.toggle("Check LIME's stability over 3 seeds", value=True, key="pt_stab")
        # what needs only the primary method is drawn first; the second method (LIME) fills its places after
        places = explanation(first, cohort, model)
        trust = st.container()
        stay_view.stay_section(model, cohort, first.id, first.method, threshold)  # only for cohorts of stays
        what_if(model, cohort, index, first)
        v = pp.view_for(model, cohort, index, pid, threshold, other, stability=st.session_state.get("pt_stab", True))
        second_opinion(places, v, cohort, model)
        with trust:
            if st.toggle("Can I trust this explanation? (sanity check, sampling error, sensitivity)", key="pt_trust"):
                trust_panel(model, cohort, v)


@st.fragment
def scored_section(model, models, cohort, wl, threshold, other):
    """The worklist of a scored cohort of any size (paging, filters, search answered from Parquet) and one patient."""
    with ui.guarded():
        bad = state.read_deep_link(wl.has)
        if bad is not None:
            st.error("The link names a patient who is not in the scored worklist; showing the worklist instead. "
                     "The link's patient value, as given:", icon=":material/error:")
            st.text(bad)  # plain text: a link value is never markdown
        n_matching, shown = scored_worklist(wl, threshold, cohort)
        scored_detail(model, models, cohort, wl, threshold, other, shown, n_matching)


def scored_worklist(wl, threshold, cohort):
    st.subheader("Worklist (scored patients, highest risk first)")
    st.caption(f"{wl.n:,} patients scored by this model, read page by page from {wl.folder.name} "
               "(RISKLENS_WORKLIST); filters and search run on the Parquet files.")
    c = st.columns([2, 1, 1, 1])
    checks = {key: c[0].checkbox(label, key=key) for label, key, _ in pp.available_filters(None)}
    outcome = c[1].selectbox(cohort.outcome_name.capitalize(), list(OUTCOMES), format_func=OUTCOMES.get, key="wl_outcome")
    trigger = c[2].selectbox("Recorded trigger", wl.trigger_options(), key="wl_trigger",
                             format_func=lambda t: "any" if t == "any" else cohort.dictionary.group_label(t))
    search = c[3].text_input("Search by id", key="wl_search")
    page = int(st.session_state.get("wl_page", 1))
    n_matching, rows = pp.scored_page(wl, threshold, checks, outcome, trigger, search, page)
    pages = max(1, -(-n_matching // pp.PAGE_SIZE))
    if page > pages:  # fewer matches than before: stay on a page that exists
        st.session_state["wl_page"] = page = pages
        n_matching, rows = pp.scored_page(wl, threshold, checks, outcome, trigger, search, page)
    counts = wl.counts(threshold)
    cc = st.columns([3, 1])
    first = (page - 1) * pp.PAGE_SIZE
    cc[0].caption(f"{n_matching:,} of {counts['patients']:,} scored patients match ({counts['alerts']:,} alerts at "
                  f"threshold {100 * threshold:.1f}%); showing {min(first + 1, n_matching):,}–"
                  f"{first + len(rows):,}. Click a row to open that patient.")
    if pages > 1:
        cc[1].number_input(f"Page (of {pages:,})", 1, pages, 1, key="wl_page")
    frame = rows.assign(**{"risk %": (100 * rows["risk"]).round(1),
                           "alert": ["alert" if r >= threshold else "" for r in rows["risk"]],
                           cohort.outcome_name: ["yes" if o == 1 else "no" for o in rows["outcome"]]})
    frame = frame[["id", "risk %", "alert", cohort.outcome_name]].assign(
        **({"recorded trigger": [cohort.dictionary.group_label(str(t)) if t else "" for t in rows["trigger"]]}
           if "trigger" in rows.columns else {}))
    return n_matching, worklist_table(frame, page, n_matching)


@st.fragment
def scored_detail(model, models, cohort, wl, threshold, other, shown, n_matching):
    """One scored patient: only their row is read and explained; a dropdown switch reruns only this part."""
    with ui.guarded():
        wanted = state.selected_patient()
        pid = wanted if wanted is not None and (wanted in shown or wl.has(wanted)) else (shown[0] if shown else None)
        if pid is None:
            st.info("No scored patient matches the filters.")
            return
        state.select_patient(pid)
        state.write_deep_link(pid)
        pick = st.container()
        first, X = pp.scored_view(model, cohort, wl, pid, threshold, None)  # the primary method only: no LIME yet
        header(first, threshold, cohort, model, models, pp.row_certainty(model, cohort, X))
        with pick:
            choose_patient(shown, n_matching, pid)
        ui.audit.record("patient opened", patient=first.id, model=model.model_id, data=wl.key)
        st.toggle("Check LIME's stability over 3 seeds", value=True, key="pt_stab")
        places = explanation(first, cohort, model)  # the primary method first, LIME's places filled after
        what_if(model, cohort, None, first, X)
        v, X = pp.scored_view(model, cohort, wl, pid, threshold, other, stability=st.session_state.get("pt_stab", True))
        second_opinion(places, v, cohort, model)


def body() -> None:
    ctx = ui.page_context("Patients")
    if ctx is None:
        return
    cohort, models = ctx
    model = ui.pick_model(models, key="pt_model")
    primary, other = pp.primary_method(model), pp.secondary_method(model)
    threshold = state.threshold(model)
    wl, note = pp.scored_worklist(model)
    if note:
        st.warning(md_escape(note), icon=":material/info:")
    if wl is not None:
        scored_section(model, models, cohort, wl, threshold, other)
        return
    index = pp.index_for(model, cohort, primary)
    patient_section(model, models, cohort, index, threshold, other)


ui.run_page(body)
