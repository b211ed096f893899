"""Data: choose a built-in cohort or upload a table, map its columns, inspect it, edit its dictionary."""

import streamlit as st

from risklens import plots, ui
from risklens.cohorts.dictionary import KINDS, FeatureDictionary
from risklens.cohorts.dictionary_edit import apply_dictionary, read_dictionary_csv
from risklens.cohorts.profile import cohort_stats, missingness, trigger_mix
from risklens.cohorts.upload import guess_columns
from risklens.errors import RiskLensError
from risklens.patients import exports
from risklens.safety import md_escape
from risklens.ui import state
from risklens.ui.checks import checks_panel, cohort_findings, table_findings
from risklens.ui.upload import (
    NONE, ROLE_KEYS, activate_upload, delete_stored, open_stored, read_uploaded_table, role_moved,
    start_mapping, stored_uploads, upload_error,
)


def choose_builtin() -> None:
    from risklens.cohorts import BUILTIN_COHORTS

    names = list(BUILTIN_COHORTS)
    name = st.selectbox("Built-in cohort", names, format_func=lambda n: f"{n}: {BUILTIN_COHORTS[n]}", key="data_builtin")
    n, preset = None, None
    if name == "ward":
        from risklens.cohorts.ward_setting import PRESETS

        c = st.columns(2)
        n = int(c[0].number_input("Simulated admissions", 500, 200_000, ui.demo_n(), step=1000, key="data_ward_n"))
        preset = c[1].selectbox("Simulator setting", list(PRESETS), key="data_ward_preset",
                                help="study: the care process (length of stay, observation frequency) carries the "
                                     "weight it carries in real wards, as in the study's data (see data/README.md)")
    if st.button("Load this cohort", key="data_load_builtin", type="primary"):
        with ui.guarded():
            state.set_cohort(ui.cache.builtin_cohort(name, n=n, seed=0, preset=preset))
            st.success(f"Loaded {md_escape(name)}.")


def choose_upload() -> None:
    st.caption("CSV or Parquet, one row per patient (or per stay): features, a 0/1 outcome, optionally an id, "
               "a patient column (for patient-level splits), a recorded trigger (the feature group behind each event) "
               "and, for windows of stays, a time column (hours since the stay began, or date-times).")
    file = st.file_uploader("Upload a table", type=["csv", "parquet", "pq"], key="data_upload")
    if file is not None:
        frame = read_uploaded_table(file.getvalue(), file.name)
        if frame is not None:
            start_mapping(frame, file.name)
            cols = [str(c) for c in frame.columns]
            guess = guess_columns(frame)
            none = NONE
            opts = [none] + cols

            def pick(label, role, help=None):
                key, g = ROLE_KEYS[role], guess[role]
                default = {} if key in st.session_state else {"index": opts.index(g) if g in opts else 0}
                return st.selectbox(label, opts, key=key, on_change=role_moved, args=(role,), help=help, **default)

            c = st.columns(5)
            with c[0]:
                outcome = pick("Outcome (0/1)", "outcome")
            with c[1]:
                id_col = pick("Row id", "id")
            with c[2]:
                group_col = pick("Patient (group)", "group", "the patient of each row, when a patient has several rows")
            with c[3]:
                time_col = pick("Time column (hours)", "time",
                                "the time of each row: hours since the stay began, or date-times (read as hours since the "
                                "stay's first row). With the patient (group) column, the rows are windows of stays: "
                                "the Patients page shows the stay and the Model page the lead time. Not a feature")
            with c[4]:
                trigger_col = pick("Recorded trigger", "trigger")
            drop = st.multiselect("Leave out columns", cols, key="map_drop",
                                  help="columns not to use as features (a leak, an identifier, free text); the "
                                       "models trained on this table record them and leave them out when scoring")
            findings, why_not = table_findings(frame, file.getvalue(), "" if outcome == none else outcome,
                                               id_col=None if id_col == none else id_col,
                                               group_col=None if group_col == none else group_col,
                                               trigger_col=None if trigger_col == none else trigger_col, drop=drop,
                                               time_col=None if time_col == none else time_col)
            checks_panel(findings, key="data_upload_checks", note=why_not)
            from risklens.cohorts import BUILTIN_COHORTS

            dict_opts = ["infer from the column names"] + [f"built-in: {n}" for n in BUILTIN_COHORTS] + ["upload a CSV"]
            dchoice = st.selectbox("Feature dictionary (labels, units, normal ranges, groups)", dict_opts,
                                   key="map_dictionary",
                                   help="trigger values must name a dictionary group; a built-in dictionary gives "
                                        "labels, units and normal ranges to columns with the built-in names")
            dictionary, bad_dictionary = None, False
            if dchoice.startswith("built-in: "):
                dictionary = dchoice.removeprefix("built-in: ")
            elif dchoice == "upload a CSV":
                dfile = st.file_uploader("Dictionary CSV", type=["csv"], key="map_dictionary_file")
                if dfile is not None:
                    try:
                        dictionary = FeatureDictionary.from_frame(read_dictionary_csv(dfile.getvalue()))
                    except RiskLensError as exc:
                        bad_dictionary = True
                        st.error(f"Could not use {md_escape(dfile.name)} as the dictionary: {md_escape(str(exc).rstrip('. '))}. "
                                 "Fix the file or choose another dictionary option.", icon=":material/error:")
            st.dataframe(frame.head(5), width="stretch")
            if st.button("Use this table", key="data_use_upload", type="primary", disabled=bad_dictionary):
                cohort = activate_upload(frame, file.name, "" if outcome == none else outcome,
                                         None if id_col == none else id_col,
                                         None if trigger_col == none else trigger_col,
                                         None if group_col == none else group_col, dictionary=dictionary,
                                         drop=drop, time_col=None if time_col == none else time_col)
                if cohort is not None:
                    ui.audit.record("upload", data=cohort.hash, file=file.name, rows=cohort.n, upload=state.cohort_link())
                    st.success(f"Using {md_escape(file.name)}: {cohort.n:,} rows, {len(cohort.features)} features.")
    kept = st.session_state.pop(state.K_KEEP_ERROR, None)
    if kept:
        st.warning(md_escape(kept), icon=":material/warning:")
    err = upload_error()
    if err:
        st.error(md_escape(err.rstrip(". ")) + ". The previously loaded cohort stays active.", icon=":material/error:")


def kept_uploads() -> None:
    """The user's earlier uploads, kept in the RiskLens home: reopen or delete."""
    entries = stored_uploads()
    st.subheader("Your uploaded cohorts")
    if not entries:
        st.caption("None kept yet: a table you use is kept here (for you only when login is on), so a reload or "
                   "a link brings it back.")
        return
    by_id = {e.id: e for e in entries}
    st.dataframe([{"cohort": e.name, "file": e.filename, "rows": e.rows, "features": e.features,
                   "uploaded (UTC)": e.created.replace("T", " ")[:16], "id": e.id} for e in entries],
                 hide_index=True, width="stretch", key="kept_table")
    c = st.columns([2, 1, 1])
    uid = c[0].selectbox("Kept cohort", list(by_id), key="kept_pick", label_visibility="collapsed",
                         format_func=lambda i: f"{by_id[i].name} ({by_id[i].filename}, {by_id[i].rows:,} rows)")
    if c[1].button("Open", key="kept_open", type="primary"):
        with ui.guarded():
            cohort = open_stored(uid)
            st.success(f"Using {md_escape(by_id[uid].filename)}: {cohort.n:,} rows.")
    if c[2].button("Delete", key="kept_delete"):
        with ui.guarded():
            gone = delete_stored(uid)
            st.success(f"Deleted {md_escape(gone.filename)} from the kept cohorts.")
            st.rerun()


def show_summary(cohort) -> None:
    s = cohort_stats(cohort)
    st.subheader(f"Active cohort: {md_escape(cohort.name)}")
    if cohort.source:
        st.caption(f"Provenance: {md_escape(cohort.source)}")
    c = st.columns(6)
    c[0].metric("Rows", f"{s['rows']:,}")
    c[1].metric("Patients", f"{s['patients']:,}")
    c[2].metric("Features", s["features"])
    c[3].metric("Events", f"{s['events']:,}")
    c[4].metric("Event rate", ui.pct(s["event_rate"]))
    c[5].metric("Missing cells", ui.pct(s["missing_cells"]))
    st.caption(f"Outcome: {md_escape(cohort.outcome_name)} · content hash {cohort.hash[:16]}")
    contract = cohort.contract
    if contract is not None and contract.encoding_notes():
        st.caption("Encoding: " + md_escape("; ".join(contract.encoding_notes())))
    checks_panel(cohort_findings(cohort), key="data_cohort_checks")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(plots.missingness_figure(missingness(cohort), cohort.dictionary), key="data_missing")
    with right:
        mix = trigger_mix(cohort)
        if len(mix):
            mix = mix.rename(index=cohort.dictionary.group_label)  # group labels, not raw group names
            st.plotly_chart(plots.count_bar(mix, "Recorded trigger of each event", "trigger (feature group)",
                                            "events (count)"), key="data_trigger")
        else:
            st.info("This cohort records no trigger, so trigger concordance is not available.")


def apply_dictionary_table(cohort, read, source: str) -> None:
    """Make ``read()`` (a dictionary table) the active cohort's dictionary, or show why not (nothing changes)."""
    try:
        new, ignored = apply_dictionary(cohort, read())
    except RiskLensError as exc:
        st.error(f"Could not apply {md_escape(source)}: {md_escape(str(exc).rstrip('. '))}. The previous dictionary stays active.",
                 icon=":material/error:")
        return
    msg = f"Dictionary updated from {md_escape(source)}."
    if ignored:
        msg += (f" {len(ignored)} name(s) are not features of this cohort and were ignored: "
                f"{md_escape(', '.join(ignored[:5]))}{' ...' if len(ignored) > 5 else ''}.")
    state.set_cohort(new)
    st.session_state[state.K_DICT_DONE] = msg
    st.rerun()  # redraw the summary, editor and download with the new dictionary


def edit_dictionary(cohort) -> None:
    st.subheader("Feature dictionary")
    st.caption("Labels, units, normal ranges, clinical group and kind drive every plot, the patient summary "
               "and trigger concordance. Edit them here, or upload a dictionary CSV (columns "
               "name, label, unit, normal_low, normal_high, group, kind, description; only name is required, "
               "absent columns keep their current values).")
    done = st.session_state.pop(state.K_DICT_DONE, None)
    if done:
        st.success(done)
    frame = cohort.dictionary.subset(cohort.features).to_frame()
    edited = st.data_editor(
        frame, key=state.dictionary_editor_key(cohort), hide_index=True, width="stretch", disabled=["name"],
        column_config={"kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True),
                       "normal_low": st.column_config.NumberColumn("normal low"),
                       "normal_high": st.column_config.NumberColumn("normal high"),
                       "group": st.column_config.TextColumn(
                           "group (concept)", help="features with the same group are one clinical concept: one player "
                           "of the explanations by concept, and what a recorded trigger names")},
    )
    c1, c2, c3 = st.columns([1, 1, 2])
    if c1.button("Apply edits", key="dict_apply"):
        apply_dictionary_table(cohort, lambda: edited, "your edits")
    c2.download_button("Download dictionary CSV", exports.dictionary_csv(cohort.dictionary.subset(cohort.features)),
                       file_name=f"{cohort.name}-dictionary.csv", mime="text/csv", key="dict_download",
                       on_click=ui.audit.download_callback(data=cohort.hash, file="dictionary CSV"))
    up = c3.file_uploader("Upload a dictionary CSV", type=["csv"], key="dict_upload")
    if up is not None and st.button("Apply uploaded dictionary", key="dict_apply_upload"):
        apply_dictionary_table(cohort, lambda: read_dictionary_csv(up.getvalue()), up.name)


def body() -> None:
    st.title("Data")
    sources = ["Built-in cohort", "Upload a file"]
    uploaded = state.cohort_link() is not None or state.active_cohort().contract is not None  # a user file
    source = st.radio("Source", sources, index=1 if uploaded else 0, horizontal=True, key="data_source")
    if source == "Built-in cohort":
        choose_builtin()
    else:
        choose_upload()
        kept_uploads()
    cohort = state.active_cohort()
    ui.sidebar_context(cohort, state.active_models(cohort))
    show_summary(cohort)
    edit_dictionary(cohort)


ui.run_page(body)
